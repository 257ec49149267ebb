//! Annotation export formats shared by `bioscope tag` and the language server: PubTator,
//! CoNLL, brat standoff and BioC XML. Spans come in as UTF-8 byte offsets and go out as the
//! format counts them (characters for PubTator, brat and BioC).

use std::fmt::Write as _;

use crate::corpus::split_words;
use crate::entity::EntityType;
use crate::segment::{segment, DocFormat};

/// A typed span of a document, in UTF-8 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
    /// The normalized identifier as PubTator writes it (`MESH:D003920`, `672`, `CVCL_0030`).
    pub id: Option<String>,
}

/// The annotation formats a document exports to: the one list that `bioscope tag`, the
/// language server's export commands and the editors' export menus follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Pubtator,
    Conll,
    Brat,
    Bioc,
}

/// A document to export: its id (PubTator, BioC), text, how it was segmented (CoNLL), the
/// title's byte length when it has one (PubTator), and its annotations.
pub struct ExportDocument<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub format: DocFormat,
    pub title_len: Option<usize>,
    pub annotations: &'a [Annotation],
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Pubtator,
        ExportFormat::Conll,
        ExportFormat::Brat,
        ExportFormat::Bioc,
    ];

    /// The name on command lines and in LSP commands.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Pubtator => "pubtator",
            ExportFormat::Conll => "conll",
            ExportFormat::Brat => "brat",
            ExportFormat::Bioc => "bioc",
        }
    }

    /// The file-name suffix of an exported document.
    pub fn suffix(self) -> &'static str {
        match self {
            ExportFormat::Pubtator => ".pubtator",
            ExportFormat::Conll => ".conll",
            ExportFormat::Brat => ".ann",
            ExportFormat::Bioc => ".bioc.xml",
        }
    }

    /// One line on what the format holds (command-line help).
    pub fn description(self) -> &'static str {
        match self {
            ExportFormat::Pubtator => "PubTator: `id|t|title`, `id|a|abstract`, then one line per entity with character offsets (plain files: empty title, line breaks as spaces, id = file stem)",
            ExportFormat::Conll => "CoNLL: one word per line with its BIO tag, a blank line between paragraphs",
            ExportFormat::Brat => "brat standoff: the `.ann` lines (character offsets) for the file as its `.txt`",
            ExportFormat::Bioc => "BioC XML: one collection per input document",
        }
    }

    /// The format of a name; the error lists the names there are.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown export format `{name}`: expected one of {}",
                    names.join(", ")
                )
            })
    }

    /// The document in this format.
    pub fn write(self, doc: &ExportDocument) -> String {
        match self {
            ExportFormat::Pubtator => pubtator(doc.id, doc.text, doc.title_len, doc.annotations),
            ExportFormat::Conll => conll(doc.text, doc.format, doc.annotations),
            ExportFormat::Brat => brat(doc.text, doc.annotations),
            ExportFormat::Bioc => bioc(doc.id, doc.text, doc.annotations),
        }
    }
}

/// The character offset of byte offset `byte` in `text`.
fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r', '\t'], " ")
}

/// PubTator lines for one document: `id|t|title`, `id|a|abstract`, one line per annotation with
/// character offsets. `title_len` is the title's byte length (the abstract starts one byte
/// later); without a title the text becomes the abstract, after an empty title and a space.
pub fn pubtator(
    id: &str,
    text: &str,
    title_len: Option<usize>,
    annotations: &[Annotation],
) -> String {
    let (title, abstract_, shift) = match title_len {
        Some(n) => (
            one_line(&text[..n]),
            one_line(text.get(n + 1..).unwrap_or_default()),
            0,
        ),
        None => (String::new(), one_line(text), 1),
    };
    let mut out = format!("{id}|t|{title}\n{id}|a|{abstract_}\n");
    for a in annotations {
        let _ = writeln!(
            out,
            "{id}\t{}\t{}\t{}\t{}\t{}",
            shift + char_offset(text, a.start),
            shift + char_offset(text, a.end),
            one_line(&text[a.start..a.end]),
            a.entity_type,
            a.id.as_deref().map(one_line).unwrap_or_else(|| "-".into())
        );
    }
    out.push('\n');
    out
}

/// CoNLL lines: the words of each paragraph of prose with BIO tags, a blank line between
/// paragraphs.
pub fn conll(text: &str, format: DocFormat, annotations: &[Annotation]) -> String {
    let mut out = String::new();
    for p in segment(text, format) {
        let prose = p.prose(text);
        for w in split_words(&prose) {
            let (start, end) = (p.range.start + w.start, p.range.start + w.end);
            let tag = match annotations
                .iter()
                .find(|a| a.start <= start && end <= a.end)
            {
                Some(a) if a.start == start => format!("B-{}", a.entity_type),
                Some(a) => format!("I-{}", a.entity_type),
                None => "O".into(),
            };
            let _ = writeln!(out, "{}\t{tag}", &text[start..end]);
        }
        out.push('\n');
    }
    out
}

/// A brat `.ann` file for the document (the `.txt` is the document itself): `T<n>` lines with
/// character offsets; a mention over a line break becomes a discontinuous span.
pub fn brat(text: &str, annotations: &[Annotation]) -> String {
    let mut out = String::new();
    for (i, a) in annotations.iter().enumerate() {
        let mut fragments = Vec::new();
        let mut start = a.start;
        for (offset, _) in text[a.start..a.end].match_indices('\n') {
            let end = a.start + offset;
            if end > start {
                fragments.push((start, end));
            }
            start = end + 1;
        }
        if a.end > start {
            fragments.push((start, a.end));
        }
        let spans: Vec<String> = fragments
            .iter()
            .map(|&(s, e)| format!("{} {}", char_offset(text, s), char_offset(text, e)))
            .collect();
        let shown: Vec<&str> = fragments.iter().map(|&(s, e)| &text[s..e]).collect();
        let _ = writeln!(
            out,
            "T{}\t{} {}\t{}",
            i + 1,
            a.entity_type,
            spans.join(";"),
            shown.join(" ")
        );
        if let Some(id) = &a.id {
            // A brat normalization note: `N1<TAB>Reference T1 MESH:D003920`.
            let _ = writeln!(out, "N{}\tReference T{} {}", i + 1, i + 1, one_line(id));
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A BioC XML collection with one document and one passage holding the whole text;
/// annotation offsets and lengths in characters.
pub fn bioc(id: &str, text: &str, annotations: &[Annotation]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE collection SYSTEM \"BioC.dtd\">\n\
         <collection><source>BioScope</source><date></date><key>bioscope.key</key>\n",
    );
    let _ = write!(
        out,
        "<document><id>{}</id>\n<passage><offset>0</offset><text>{}</text>\n",
        xml_escape(id),
        xml_escape(text)
    );
    for (i, a) in annotations.iter().enumerate() {
        let start = char_offset(text, a.start);
        let length = text[a.start..a.end].chars().count();
        let identifier =
            a.id.as_deref()
                .map(|id| format!("<infon key=\"identifier\">{}</infon>", xml_escape(id)))
                .unwrap_or_default();
        let _ = writeln!(
            out,
            "<annotation id=\"T{}\"><infon key=\"type\">{}</infon>{identifier}<location offset=\"{start}\" length=\"{length}\"/><text>{}</text></annotation>",
            i + 1,
            a.entity_type,
            xml_escape(&text[a.start..a.end])
        );
    }
    out.push_str("</passage>\n</document>\n</collection>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_format_is_found_by_its_name_and_writes_its_document() {
        let text = "Wilson disease";
        let annotations = [Annotation {
            start: 0,
            end: 14,
            entity_type: EntityType::Disease,
            id: None,
        }];
        let doc = ExportDocument {
            id: "d1",
            text,
            format: DocFormat::Plain,
            title_len: None,
            annotations: &annotations,
        };
        let mut suffixes = Vec::new();
        for f in ExportFormat::ALL {
            assert_eq!(ExportFormat::from_name(f.name()), Ok(f));
            assert!(f.suffix().starts_with('.') && !suffixes.contains(&f.suffix()));
            suffixes.push(f.suffix());
            let out = f.write(&doc);
            assert!(
                out.contains("Disease") || out.contains("B-Disease"),
                "{f:?}: {out}"
            );
        }
        let err = ExportFormat::from_name("csv").unwrap_err();
        assert_eq!(
            err,
            "unknown export format `csv`: expected one of pubtator, conll, brat, bioc"
        );
    }

    fn ann(text: &str, mention: &str, t: EntityType) -> Annotation {
        let start = text.find(mention).unwrap();
        Annotation {
            start,
            end: start + mention.len(),
            entity_type: t,
            id: None,
        }
    }

    #[test]
    fn formats_count_characters_and_escape() {
        let text = "Café <b> & Wilson\ndisease";
        let a = [ann(text, "Wilson\ndisease", EntityType::Disease)];
        let pt = pubtator("7", text, None, &a);
        // "Café <b> & " is 11 characters (13 bytes); +1 for the empty title's space.
        assert!(pt.contains("7\t12\t26\tWilson disease\tDisease\t-"), "{pt}");
        let ann_file = brat(text, &a);
        assert_eq!(ann_file, "T1\tDisease 11 17;18 25\tWilson disease\n");
        let xml = bioc("7", text, &a);
        assert!(
            xml.contains("<text>Café &lt;b&gt; &amp; Wilson\ndisease</text>"),
            "{xml}"
        );
        assert!(
            xml.contains("<location offset=\"11\" length=\"14\"/>"),
            "{xml}"
        );
        let tsv = conll(text, DocFormat::Plain, &a);
        assert!(
            tsv.contains("Wilson\tB-Disease\ndisease\tI-Disease\n"),
            "{tsv}"
        );
    }
}
