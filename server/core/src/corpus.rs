//! Readers for the annotated corpus formats in the shared data: token-per-line IOB/CoNLL,
//! PubTator (title|abstract + offset lines) and brat standoff; and the mapping of each
//! corpus's entity types onto BioScope's.
//!
//! PubTator and brat documents carry character offsets; [`Document`] stores UTF-8 byte
//! offsets. [`Document::sentences`] splits a document into word-tagged sentences with the
//! same simple word splitter the tagger uses on raw text.

use std::fs;
use std::path::{Path, PathBuf};

use crate::entity::{EntityType, Tag};

/// Errors from reading a corpus file; each names the file and, where it applies, the line.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Format {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The supported corpus formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorpusFormat {
    Iob,
    PubTator,
    Brat,
}

impl std::str::FromStr for CorpusFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "iob" | "conll" => Ok(CorpusFormat::Iob),
            "pubtator" => Ok(CorpusFormat::PubTator),
            "brat" => Ok(CorpusFormat::Brat),
            _ => Err(format!(
                "unknown corpus format `{s}`: expected iob, pubtator or brat"
            )),
        }
    }
}

/// Maps a corpus's type name onto a BioScope type; `None` means the type is not tagged
/// (the labels are in [`EntityType::BUILT_IN_TABLE`]).
pub fn map_corpus_type(name: &str) -> Option<EntityType> {
    EntityType::from_corpus_label(name)
}

/// A corpus file's short name for tables and dashboards: its folder under `corpora/`
/// (`../shared/data/corpora/bc2gm/iob-mtl2016/devel.tsv` → `bc2gm`), else its file name.
pub fn corpus_name(path: &str) -> &str {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    parts
        .iter()
        .position(|p| *p == "corpora")
        .and_then(|i| parts.get(i + 1))
        .or(parts.last())
        .copied()
        .unwrap_or(path)
}

/// A token file's sentence as text: its words joined by single spaces, and each word's byte
/// span in it.
pub fn sentence_text(words: &[String]) -> (String, Vec<(usize, usize)>) {
    let mut offsets = Vec::with_capacity(words.len());
    let mut text = String::new();
    for w in words {
        if !text.is_empty() {
            text.push(' ');
        }
        offsets.push((text.len(), text.len() + w.len()));
        text.push_str(w);
    }
    (text, offsets)
}

/// A sentence of words with BIO tags over BioScope types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    pub words: Vec<String>,
    pub tags: Vec<Tag>,
}

fn read(path: &Path) -> Result<String, CorpusError> {
    fs::read_to_string(path).map_err(|source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a token-per-line file (`word<TAB>label`, blank lines between sentences, `-DOCSTART-`
/// lines ignored). Labels are mapped with [`map_corpus_type`]; unmapped types become `O` and a
/// stray `I-T` becomes `B-T`.
pub fn read_iob(path: &Path) -> Result<Vec<Sentence>, CorpusError> {
    let text = read(path)?;
    let mut sentences = Vec::new();
    let mut current = Sentence {
        words: Vec::new(),
        tags: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.words.is_empty() {
                sentences.push(std::mem::replace(
                    &mut current,
                    Sentence {
                        words: Vec::new(),
                        tags: Vec::new(),
                    },
                ));
            }
            continue;
        }
        let mut cols = line.split('\t');
        let word = cols.next().unwrap_or_default();
        let label = cols.next_back().filter(|_| line.contains('\t'));
        let Some(label) = label else {
            return Err(CorpusError::Format {
                path: path.to_path_buf(),
                line: n + 1,
                message: "expected `word<TAB>label`".into(),
            });
        };
        if word == "-DOCSTART-" {
            continue;
        }
        let tag = match label.split_once('-') {
            Some((prefix @ ("B" | "I"), name)) => match map_corpus_type(name) {
                Some(t) if prefix == "B" => Tag::Begin(t),
                Some(t) => {
                    let continues = matches!(current.tags.last(), Some(Tag::Begin(p) | Tag::Inside(p)) if *p == t);
                    if continues {
                        Tag::Inside(t)
                    } else {
                        Tag::Begin(t)
                    }
                }
                None => Tag::Outside,
            },
            _ if label == "O" => Tag::Outside,
            _ => {
                return Err(CorpusError::Format {
                    path: path.to_path_buf(),
                    line: n + 1,
                    message: format!("label `{label}` is not O, B-<type> or I-<type>"),
                })
            }
        };
        current.words.push(word.to_string());
        current.tags.push(tag);
    }
    if !current.words.is_empty() {
        sentences.push(current);
    }
    Ok(sentences)
}

/// An annotated entity mention in a document, in UTF-8 byte offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    /// The corpus's own type name.
    pub type_name: String,
    /// Normalized identifiers, as the corpus writes them (e.g. `MESH:D003920`).
    pub ids: Vec<String>,
}

/// A document with its text and mentions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub text: String,
    /// For PubTator documents, the byte length of the title (the abstract starts one byte later).
    pub title_len: Option<usize>,
    pub mentions: Vec<Mention>,
}

/// Converts character offsets to byte offsets in `text` (offsets past the end clamp to its length).
fn char_to_byte(text: &str) -> impl Fn(usize) -> usize + use<> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .collect();
    move |c| bounds[c.min(bounds.len() - 1)]
}

/// Reads a PubTator file: `id|t|title`, `id|a|abstract`, then `id<TAB>start<TAB>end<TAB>text<TAB>type<TAB>ids`
/// lines; relation lines (four columns) are skipped. The text is title, a space, abstract.
pub fn read_pubtator(path: &Path) -> Result<Vec<Document>, CorpusError> {
    let text = read(path)?;
    let bad = |line: usize, message: String| CorpusError::Format {
        path: path.to_path_buf(),
        line,
        message,
    };
    // Mentions hold character offsets until the document's text is complete.
    let mut docs: Vec<Document> = Vec::new();
    let mut title = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if let Some((id, rest)) = line.split_once("|t|") {
            title = rest.to_string();
            docs.push(Document {
                id: id.to_string(),
                text: title.clone(),
                title_len: Some(title.len()),
                mentions: Vec::new(),
            });
            continue;
        }
        if let Some((id, rest)) = line.split_once("|a|") {
            let Some(doc) = docs.last_mut().filter(|d| d.id == id) else {
                return Err(bad(
                    n + 1,
                    format!("abstract for `{id}` without its title line"),
                ));
            };
            doc.text = format!("{title} {rest}");
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        // Relation lines: `id<TAB>type<TAB>arg1<TAB>arg2` (BioCreative), with a novelty column
        // in BioRED. Annotation lines have numeric offsets in the second column.
        let is_relation =
            cols.len() == 4 || (cols.len() >= 4 && !cols[1].bytes().all(|b| b.is_ascii_digit()));
        if is_relation {
            continue;
        }
        if cols.len() < 5 {
            return Err(bad(
                n + 1,
                "expected an annotation line with 5 or 6 tab-separated columns".into(),
            ));
        }
        let Some(doc) = docs.last_mut().filter(|d| d.id == cols[0]) else {
            return Err(bad(
                n + 1,
                format!("annotation for `{}` outside its document", cols[0]),
            ));
        };
        let start: usize = cols[1]
            .parse()
            .map_err(|_| bad(n + 1, format!("start offset `{}` is not a number", cols[1])))?;
        let end: usize = cols[2]
            .parse()
            .map_err(|_| bad(n + 1, format!("end offset `{}` is not a number", cols[2])))?;
        let ids = cols
            .get(5)
            .map(|s| {
                s.split(['|', ';', ','])
                    .filter(|s| !s.is_empty() && *s != "-")
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        doc.mentions.push(Mention {
            start,
            end,
            type_name: cols[4].to_string(),
            ids,
        });
    }
    for doc in &mut docs {
        let to_byte = char_to_byte(&doc.text);
        for m in &mut doc.mentions {
            (m.start, m.end) = (to_byte(m.start), to_byte(m.end));
        }
    }
    Ok(docs)
}

/// Reads a brat standoff directory: each `X.txt` with its `X.ann` (`T` lines give mentions,
/// discontinuous ones as their covering span; `N` lines add identifiers). Documents come in
/// file-name order.
pub fn read_brat(dir: &Path) -> Result<Vec<Document>, CorpusError> {
    let io = |source| CorpusError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut txts: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    txts.sort();
    let mut docs = Vec::new();
    for txt in txts {
        let text = read(&txt)?;
        let ann_path = txt.with_extension("ann");
        let ann = if ann_path.exists() {
            read(&ann_path)?
        } else {
            String::new()
        };
        let to_byte = char_to_byte(&text);
        let mut mentions: Vec<(String, Mention)> = Vec::new();
        for (n, line) in ann.lines().enumerate() {
            let bad = |message: String| CorpusError::Format {
                path: ann_path.clone(),
                line: n + 1,
                message,
            };
            let cols: Vec<&str> = line.split('\t').collect();
            if line.starts_with('T') {
                let head = cols
                    .get(1)
                    .ok_or_else(|| bad("a T line needs `type start end`".into()))?;
                let (type_name, ranges) = head
                    .split_once(' ')
                    .ok_or_else(|| bad("a T line needs `type start end`".into()))?;
                let mut start = usize::MAX;
                let mut end = 0;
                for range in ranges.split(';') {
                    let (s, e) = range
                        .split_once(' ')
                        .ok_or_else(|| bad(format!("bad offsets `{range}`")))?;
                    let s: usize = s.parse().map_err(|_| bad(format!("bad offset `{s}`")))?;
                    let e: usize = e.parse().map_err(|_| bad(format!("bad offset `{e}`")))?;
                    start = start.min(s);
                    end = end.max(e);
                }
                mentions.push((
                    cols[0].to_string(),
                    Mention {
                        start: to_byte(start),
                        end: to_byte(end),
                        type_name: type_name.to_string(),
                        ids: Vec::new(),
                    },
                ));
            } else if line.starts_with('N') {
                // N1<TAB>Reference T1 Taxonomy:9606<TAB>text
                let fields: Vec<&str> = cols
                    .get(1)
                    .map(|s| s.split(' ').collect())
                    .unwrap_or_default();
                if let [_, target, id, ..] = fields[..] {
                    if let Some((_, m)) = mentions.iter_mut().find(|(k, _)| k == target) {
                        m.ids.push(id.to_string());
                    }
                }
            }
        }
        let id = txt
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        docs.push(Document {
            id,
            text,
            title_len: None,
            mentions: mentions.into_iter().map(|(_, m)| m).collect(),
        });
    }
    Ok(docs)
}

/// A word of raw text with its byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordSpan {
    pub start: usize,
    pub end: usize,
}

/// Splits text into words the way BERT's basic tokenizer does: on white space, with every
/// punctuation or symbol character a word of its own.
pub fn split_words(text: &str) -> Vec<WordSpan> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                words.push(WordSpan { start: s, end: i });
            }
        } else if is_punctuation(c) {
            if let Some(s) = start.take() {
                words.push(WordSpan { start: s, end: i });
            }
            words.push(WordSpan {
                start: i,
                end: i + c.len_utf8(),
            });
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push(WordSpan {
            start: s,
            end: text.len(),
        });
    }
    words
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_alphanumeric() && !c.is_whitespace() && !c.is_control())
}

/// Sentence boundaries over words: after `.`, `?` or `!` when the next word starts with an
/// upper-case letter, a digit or an opening bracket. Returns `[start, end)` word ranges.
pub fn split_sentences(text: &str, words: &[WordSpan]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..words.len() {
        let w = &text[words[i].start..words[i].end];
        let ends = matches!(w, "." | "?" | "!")
            && words.get(i + 1).is_none_or(|next| {
                let gap = &text[words[i].end..next.start];
                let first = text[next.start..].chars().next().unwrap_or(' ');
                !gap.is_empty()
                    && (first.is_uppercase()
                        || first.is_ascii_digit()
                        || first == '('
                        || first == '[')
            });
        if ends {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < words.len() {
        out.push((start, words.len()));
    }
    out
}

impl Document {
    /// The document as tagged sentences: words from [`split_words`], sentences from
    /// [`split_sentences`], a word tagged when it overlaps a mention whose type maps to BioScope's.
    /// Where mentions overlap, the first listed wins.
    pub fn sentences(&self) -> Vec<Sentence> {
        let words = split_words(&self.text);
        let mut owner: Vec<Option<(usize, EntityType)>> = vec![None; words.len()];
        for (m_index, m) in self.mentions.iter().enumerate() {
            let Some(t) = map_corpus_type(&m.type_name) else {
                continue;
            };
            for (w, span) in words.iter().enumerate() {
                if span.start < m.end && m.start < span.end && owner[w].is_none() {
                    owner[w] = Some((m_index, t));
                }
            }
        }
        split_sentences(&self.text, &words)
            .into_iter()
            .map(|(s, e)| {
                let mut tags = Vec::with_capacity(e - s);
                for w in s..e {
                    let tag = match owner[w] {
                        None => Tag::Outside,
                        Some((m, t)) if w > s && owner[w - 1].is_some_and(|(pm, _)| pm == m) => {
                            Tag::Inside(t)
                        }
                        Some((_, t)) => Tag::Begin(t),
                    };
                    tags.push(tag);
                }
                Sentence {
                    words: words[s..e]
                        .iter()
                        .map(|w| self.text[w.start..w.end].to_string())
                        .collect(),
                    tags,
                }
            })
            .collect()
    }
}

/// Reads a corpus in `format` from `path` (a file, or a directory for brat) as tagged sentences.
pub fn read_sentences(path: &Path, format: CorpusFormat) -> Result<Vec<Sentence>, CorpusError> {
    match format {
        CorpusFormat::Iob => read_iob(path),
        CorpusFormat::PubTator => Ok(read_pubtator(path)?
            .iter()
            .flat_map(Document::sentences)
            .collect()),
        CorpusFormat::Brat => Ok(read_brat(path)?
            .iter()
            .flat_map(Document::sentences)
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::built_in::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    fn tagged(s: &Sentence) -> Vec<String> {
        s.words
            .iter()
            .zip(&s.tags)
            .map(|(w, t)| format!("{w}/{t}"))
            .collect()
    }

    #[test]
    fn iob_maps_types_and_repairs_stray_inside() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.tsv",
            "-DOCSTART-\tO\n\nAPC2\tB-GENE\nin\tO\ncolon\tI-Disease\ncancer\tI-Disease\nx\tB-Other\n\nok\tO\n",
        );
        let s = read_iob(&p).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            tagged(&s[0]),
            [
                "APC2/B-Gene",
                "in/O",
                "colon/B-Disease",
                "cancer/I-Disease",
                "x/O"
            ]
        );
    }

    #[test]
    fn iob_error_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "bad.tsv", "a\tO\nb\tQ-Gene\n");
        let err = read_iob(&p).unwrap_err().to_string();
        assert!(err.contains("bad.tsv:2"), "{err}");
    }

    #[test]
    fn pubtator_offsets_are_characters_converted_to_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "p.txt",
            "1|t|Café lung cancer.\n1|a|TNF-α binds aspirin.\n1\t5\t16\tlung cancer\tDiseaseClass\tD008175\n\
             1\t18\t23\tTNF-α\tGene\t7124\n1\t30\t37\taspirin\tChemical\tMESH:D001241|CHEBI:15365\n1\tCID\tD1\tD2\n\n",
        );
        let docs = read_pubtator(&p).unwrap();
        assert_eq!(docs.len(), 1);
        let d = &docs[0];
        let texts: Vec<&str> = d.mentions.iter().map(|m| &d.text[m.start..m.end]).collect();
        assert_eq!(texts, ["lung cancer", "TNF-α", "aspirin"]);
        assert_eq!(d.mentions[2].ids, ["MESH:D001241", "CHEBI:15365"]);
        let s = d.sentences();
        assert_eq!(s.len(), 2);
        assert_eq!(
            tagged(&s[1]),
            [
                "TNF/B-Gene",
                "-/I-Gene",
                "α/I-Gene",
                "binds/O",
                "aspirin/B-Chemical",
                "./O"
            ]
        );
    }

    #[test]
    fn brat_reads_mentions_and_normalizations() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "d1.txt", "Mice and E. coli grew.");
        write(
            dir.path(),
            "d1.ann",
            "T1\tSpecies 0 4\tMice\nT2\tSpecies 9 11;12 16\tE. coli\nN1\tReference T2 Taxonomy:562\tE. coli\n",
        );
        let docs = read_brat(dir.path()).unwrap();
        assert_eq!(docs[0].mentions[1].ids, ["Taxonomy:562"]);
        let s = docs[0].sentences();
        // "E." is not a sentence end: "coli" starts lower case.
        assert_eq!(s.len(), 1);
        assert_eq!(
            tagged(&s[0]),
            [
                "Mice/B-Species",
                "and/O",
                "E/B-Species",
                "./I-Species",
                "coli/I-Species",
                "grew/O",
                "./O"
            ]
        );
        let _ = (Gene, Disease);
    }

    #[test]
    fn words_split_on_space_and_punctuation() {
        let text = "IL-2 (β) cells";
        let w: Vec<&str> = split_words(text)
            .iter()
            .map(|w| &text[w.start..w.end])
            .collect();
        assert_eq!(w, ["IL", "-", "2", "(", "β", ")", "cells"]);
    }
}
