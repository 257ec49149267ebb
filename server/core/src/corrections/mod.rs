//! The corrections store: one JSON record per user decision (accept, reject, retype, resize,
//! tag, ignore), appended to a JSONL file that the trainer reads back.
//!
//! The file is append-only: each record is one line written with a single `write_all` under an
//! exclusive file lock (two servers on one workspace interleave whole lines), then flushed and
//! fsync'd. A file whose last line was cut short gets a line break before the next record, so
//! the damage stays on its line. Reading skips and reports lines that do not parse; nothing
//! ever truncates or rewrites the file.

mod store;
mod training;

pub use store::{append, now_rfc3339, read, CorrectionsError, SkippedLine};
pub use training::{corrected_paragraphs, CorrectedParagraph, SpanDecision};

use serde::{Deserialize, Serialize};

use crate::entity::EntityType;
/// The record format's version; a reader skips records of other versions with a message.
pub const SCHEMA_VERSION: u32 = 1;

/// What the user decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The model's mention is right.
    Accept,
    /// Not an entity.
    Reject,
    /// Right span, other type.
    Retype,
    /// Right type, other boundaries.
    Resize,
    /// A mention the model missed (a selection tagged by hand).
    Tag,
    /// Never tag this text in this project.
    Ignore,
}

/// Where a decision applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Wherever the same text occurs in the workspace.
    #[default]
    Everywhere,
    /// Only this occurrence.
    Here,
}

/// A labelled span of the record's paragraph (byte offsets into `paragraph`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanLabel {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub entity_type: EntityType,
}

/// One decision, with the context a trainer needs to learn from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub schema: u32,
    pub action: Action,
    #[serde(default)]
    pub scope: Scope,
    /// The document's path relative to the workspace root (or its URI outside any root).
    pub document: String,
    /// The paragraph's text as it was when the decision was made.
    pub paragraph: String,
    /// The model's label before the decision (`None` for a mention it missed).
    pub old: Option<SpanLabel>,
    /// The label after the decision (`None`: not an entity).
    pub new: Option<SpanLabel>,
    /// SHA-256 of the model that made the original prediction.
    pub model_sha256: String,
    /// When, as RFC 3339 UTC.
    pub timestamp: String,
}

impl Correction {
    /// The mention's text (of the new span, else the old one).
    pub fn text(&self) -> Option<&str> {
        let span = self.new.as_ref().or(self.old.as_ref())?;
        self.paragraph.get(span.start..span.end)
    }

    /// Checks that spans lie on character boundaries of the paragraph.
    fn validate(&self) -> Result<(), String> {
        for span in [&self.old, &self.new].into_iter().flatten() {
            if span.start >= span.end || self.paragraph.get(span.start..span.end).is_none() {
                return Err(format!(
                    "span {}..{} is not a piece of its paragraph",
                    span.start, span.end
                ));
            }
        }
        if self.old.is_none() && self.new.is_none() {
            return Err("neither an old nor a new label".into());
        }
        Ok(())
    }
}
