//! `bioscope tag`: segment files, tag their paragraphs, print entities (ANSI colours or JSON).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::split_words;
use bioscope_core::segment::{segment, DocFormat};
use bioscope_core::EntityType;
use bioscope_tagger::TextEntity;

/// Output formats of `bioscope tag`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TagFormat {
    /// The text with entities coloured by type, for a terminal.
    Ansi,
    /// One JSON object per file: entities with type, text, byte offsets and score.
    Json,
    /// PubTator: `id|t|title`, `id|a|abstract`, then one line per entity with character
    /// offsets (plain files: empty title, line breaks as spaces, id = file stem).
    Pubtator,
    /// CoNLL: one word per line with its BIO tag, a blank line between paragraphs.
    Conll,
}

/// How to read the input files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Markdown, LaTeX or plain text by file extension.
    Auto,
    /// PubTator documents (title and abstract lines; annotation lines are ignored).
    Pubtator,
}

/// A document to tag: its id, text (title + " " + abstract for PubTator) and title length.
pub struct InputDocument {
    pub id: String,
    pub text: String,
    pub title_len: Option<usize>,
}

/// The character offset of byte offset `byte` in `text`.
fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

/// PubTator lines for one document (entity offsets in characters, as PubTator counts them).
pub fn render_pubtator(doc: &InputDocument, entities: &[TextEntity]) -> String {
    let one_line = |s: &str| s.replace(['\n', '\r', '\t'], " ");
    let (title, abstract_, shift) = match doc.title_len {
        Some(n) => (
            one_line(&doc.text[..n]),
            one_line(doc.text.get(n + 1..).unwrap_or_default()),
            0,
        ),
        // No title: the text becomes the abstract, which PubTator places after "" and a space.
        None => (String::new(), one_line(&doc.text), 1),
    };
    let mut out = format!("{id}|t|{title}\n{id}|a|{abstract_}\n", id = doc.id);
    for e in entities {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t-",
            doc.id,
            shift + char_offset(&doc.text, e.start),
            shift + char_offset(&doc.text, e.end),
            one_line(&doc.text[e.start..e.end]),
            e.entity_type
        );
    }
    out.push('\n');
    out
}

/// CoNLL lines: the words of each paragraph of prose with BIO tags from the entities.
pub fn render_conll(text: &str, format: DocFormat, entities: &[TextEntity]) -> String {
    let mut out = String::new();
    for p in segment(text, format) {
        let prose = p.prose(text);
        for w in split_words(&prose) {
            let (start, end) = (p.range.start + w.start, p.range.start + w.end);
            let tag = match entities.iter().find(|e| e.start <= start && end <= e.end) {
                Some(e) if e.start == start => format!("B-{}", e.entity_type),
                Some(e) => format!("I-{}", e.entity_type),
                None => "O".into(),
            };
            let _ = writeln!(out, "{}\t{tag}", &text[start..end]);
        }
        out.push('\n');
    }
    out
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

/// The ANSI colour (SGR parameters) of each type.
fn colour(t: EntityType) -> &'static str {
    match t {
        EntityType::Gene => "1;34",
        EntityType::Disease => "1;31",
        EntityType::Chemical => "1;32",
        EntityType::Species => "1;35",
        EntityType::CellLine => "1;33",
        EntityType::CellType => "1;36",
        EntityType::Variant => "1;93",
    }
}

/// The document with each entity wrapped in its type's colour, and a legend of the types seen.
pub fn render_ansi(text: &str, entities: &[TextEntity]) -> String {
    let mut out = String::with_capacity(text.len() + entities.len() * 12);
    let mut at = 0;
    let mut seen: Vec<EntityType> = Vec::new();
    for e in entities {
        out.push_str(&text[at..e.start]);
        let _ = write!(
            out,
            "\x1b[{}m{}\x1b[0m",
            colour(e.entity_type),
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
            format!("\x1b[{}m{}\x1b[0m {n}", colour(t), t)
        })
        .collect();
    let _ = writeln!(out, "-- {} entities: {}", entities.len(), legend.join(", "));
    out
}

/// The JSON object for one file.
pub fn render_json(path: &Path, text: &str, entities: &[TextEntity]) -> serde_json::Value {
    serde_json::json!({
        "file": path.display().to_string(),
        "entities": entities.iter().map(|e| serde_json::json!({
            "type": e.entity_type.name(),
            "text": &text[e.start..e.end],
            "start": e.start,
            "end": e.end,
            "score": (f64::from(e.score) * 1000.0).round() / 1000.0,
        })).collect::<Vec<_>>(),
    })
}
