//! `bioscope tag`: print each file's analysis (ANSI colours, JSON, or an export format).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use bioscope_analysis::DecidedEntity;
use bioscope_analysis::DocumentAnalysis;
use bioscope_core::export::{ExportDocument, ExportFormat};
use bioscope_core::EntityType;
use bioscope_lexicon::Candidate;

/// Output formats of `bioscope tag`: a terminal view, JSON, or any export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagFormat {
    /// The text with entities coloured by type, for a terminal.
    Ansi,
    /// One JSON object per file: entities with type, text, byte offsets and score.
    Json,
    /// An annotation format (`ExportFormat::ALL`, the list the server's exports follow).
    Export(ExportFormat),
}

/// Every `--format` value: the two views, then the export formats in their table's order.
const TAG_FORMATS: [TagFormat; 2 + ExportFormat::ALL.len()] = {
    let mut all = [TagFormat::Ansi; 2 + ExportFormat::ALL.len()];
    all[1] = TagFormat::Json;
    let mut i = 0;
    while i < ExportFormat::ALL.len() {
        all[2 + i] = TagFormat::Export(ExportFormat::ALL[i]);
        i += 1;
    }
    all
};

impl clap::ValueEnum for TagFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &TAG_FORMATS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = match self {
            TagFormat::Ansi => clap::builder::PossibleValue::new("ansi")
                .help("The text with entities coloured by type, for a terminal"),
            TagFormat::Json => clap::builder::PossibleValue::new("json")
                .help("One JSON object per file: entities with type, text, byte offsets and score"),
            TagFormat::Export(f) => {
                clap::builder::PossibleValue::new(f.name()).help(f.description())
            }
        };
        Some(value)
    }
}

/// How to read the input files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Markdown, LaTeX or plain text by file extension.
    Auto,
    /// PubTator documents (title and abstract lines; annotation lines are ignored).
    Pubtator,
}

/// `--shard I/N`: the I-th of N contiguous parts of the input documents (1-based), for job
/// arrays; the N outputs, concatenated in order, are the unsharded output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s}: expected I/N with 1 <= I <= N, e.g. 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The documents (by their index in the whole input) this shard tags.
    pub fn range(self, total: usize) -> std::ops::Range<usize> {
        (self.index - 1) * total / self.count..self.index * total / self.count
    }
}

/// A document to tag: its id, text (title + " " + abstract for PubTator) and title length.
pub struct InputDocument {
    pub id: String,
    pub text: String,
    pub title_len: Option<usize>,
}

/// One document of the input file `path`, analysed, in the output `format`.
pub fn render(
    format: TagFormat,
    path: &Path,
    doc: &InputDocument,
    analysis: &DocumentAnalysis,
) -> String {
    let text = analysis.text();
    let entities = analysis.entities();
    match format {
        TagFormat::Export(f) => f.write(&ExportDocument {
            id: &doc.id,
            text,
            format: analysis.format(),
            title_len: doc.title_len,
            annotations: &analysis.annotations(|_| true),
        }),
        TagFormat::Ansi => render_ansi(text, entities),
        TagFormat::Json => {
            let concepts = analysis.concepts(entities);
            format!("{}\n", render_json(path, text, entities, &concepts))
        }
    }
}

/// Reads a file as UTF-8 text, refusing binary content with a clear reason.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.contains(&0) {
        bail!(
            "{} looks binary (it contains NUL bytes): skipped",
            path.display()
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 (invalid byte at offset {}): skipped",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// The document with each entity wrapped in its type's colour, and a legend of the types seen.
pub fn render_ansi(text: &str, entities: &[DecidedEntity]) -> String {
    let mut out = String::with_capacity(text.len() + entities.len() * 12);
    let mut at = 0;
    let mut seen: Vec<EntityType> = Vec::new();
    for e in entities {
        out.push_str(&text[at..e.start]);
        let _ = write!(
            out,
            "\x1b[{}m{}\x1b[0m",
            e.entity_type.info().ansi_colour,
            &text[e.start..e.end]
        );
        at = e.end;
        if !seen.contains(&e.entity_type) {
            seen.push(e.entity_type);
        }
    }
    out.push_str(&text[at..]);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    seen.sort();
    let legend: Vec<String> = seen
        .iter()
        .map(|&t| {
            let n = entities.iter().filter(|e| e.entity_type == t).count();
            format!("\x1b[{}m{}\x1b[0m {n}", t.info().ansi_colour, t)
        })
        .collect();
    let _ = writeln!(out, "-- {} entities: {}", entities.len(), legend.join(", "));
    out
}

/// The JSON object for one file.
pub fn render_json(
    path: &Path,
    text: &str,
    entities: &[DecidedEntity],
    concepts: &[Option<Candidate>],
) -> serde_json::Value {
    serde_json::json!({
        "file": path.display().to_string(),
        "entities": entities.iter().zip(concepts).map(|(e, best)| serde_json::json!({
            "type": e.entity_type.name(),
            "text": &text[e.start..e.end],
            "start": e.start,
            "end": e.end,
            "score": (f64::from(e.score) * 1000.0).round() / 1000.0,
            "id": best.as_ref().map(|c| c.concept.annotation_id().to_string()),
            "name": best.as_ref().map(|c| c.concept.name.clone()),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod shard_tests {
    use super::Shard;

    #[test]
    fn shards_cover_every_document_once_in_order() {
        for total in [0, 1, 7, 100] {
            for count in 1..=5 {
                let mut next = 0;
                for index in 1..=count {
                    let r = Shard { index, count }.range(total);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!("2/8".parse(), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/3", "4/3", "a/3", "3", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
