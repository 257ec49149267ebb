//! The training view of the store: the decisions that stand for each corrected paragraph.

use std::collections::HashMap;

use super::{Action, Correction, SpanLabel};
use crate::entity::EntityType;

/// A decided span of a paragraph: `Some(type)`, or `None` for "not an entity".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanDecision {
    pub start: usize,
    pub end: usize,
    pub label: Option<EntityType>,
}

/// A corrected paragraph: its text (as stored with the decisions) and the decisions that stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectedParagraph {
    /// The document of the first decision about it.
    pub document: String,
    pub text: String,
    pub decisions: Vec<SpanDecision>,
}

/// The decisions one record makes, in the order they apply (a later one wins on overlap).
fn decisions_of(c: &Correction) -> Vec<SpanDecision> {
    let span = |s: &SpanLabel, label| SpanDecision {
        start: s.start,
        end: s.end,
        label,
    };
    match c.action {
        Action::Reject | Action::Ignore => c
            .old
            .as_ref()
            .or(c.new.as_ref())
            .map(|s| vec![span(s, None)])
            .unwrap_or_default(),
        Action::Accept | Action::Retype | Action::Resize | Action::Tag => {
            let mut out = Vec::new();
            if let (Some(old), Some(new)) = (&c.old, &c.new) {
                if (old.start, old.end) != (new.start, new.end) {
                    out.push(span(old, None));
                }
            }
            if let Some(s) = c.new.as_ref().or(c.old.as_ref()) {
                out.push(span(s, Some(s.entity_type)));
            }
            out
        }
    }
}

/// The decisions that stand, per paragraph, for training and exports: groups records by paragraph text (first-seen order) and resolves their decisions: records
/// apply in file order, and each replaces the earlier decisions whose spans it overlaps.
pub fn corrected_paragraphs(records: &[Correction]) -> Vec<CorrectedParagraph> {
    let mut order: Vec<CorrectedParagraph> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for c in records {
        let new = decisions_of(c);
        if new.is_empty() {
            continue;
        }
        let i = *index.entry(c.paragraph.as_str()).or_insert_with(|| {
            order.push(CorrectedParagraph {
                document: c.document.clone(),
                text: c.paragraph.clone(),
                decisions: Vec::new(),
            });
            order.len() - 1
        });
        let p = &mut order[i];
        p.decisions
            .retain(|d| new.iter().all(|n| d.end <= n.start || d.start >= n.end));
        p.decisions.extend(new);
    }
    order
}
