//! textDocument/codeAction: decisions about the mention under the cursor or the selection
//! (accept, not an entity, change type, resize to the selection, extend to whole words, tag
//! the selection, always ignore). Each action runs the `bioscope.applyCorrection` command with a [`Decision`].

use bioscope_analysis::DecidedEntity;
use bioscope_core::corrections::{Action, Scope};
use bioscope_core::EntityType;
use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse, Command,
    Uri,
};

use crate::handlers::command::APPLY_CORRECTION;
use crate::position::to_byte;
use crate::state::State;

/// A span of the document (UTF-8 bytes) with a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSpan {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub entity_type: EntityType,
}

/// The argument of `bioscope.applyCorrection`: what to record, for which document version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub uri: Uri,
    pub version: i32,
    pub action: Action,
    pub scope: Scope,
    pub old: Option<DocSpan>,
    pub new: Option<DocSpan>,
}

fn action(title: String, decision: Decision) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title: title.clone(),
        kind: Some(CodeActionKind::QUICKFIX),
        command: Some(Command {
            title,
            command: APPLY_CORRECTION.into(),
            arguments: serde_json::to_value(decision).ok().map(|v| vec![v]),
        }),
        ..Default::default()
    })
}

pub async fn code_action(
    state: &State,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri;
    let Some(analysis) = state.current_analysis(&uri).await else {
        return Ok(None);
    };
    let encoding = state.encoding();
    let rope = &analysis.rope;
    let (Some(start), Some(end)) = (
        to_byte(rope, params.range.start, encoding),
        to_byte(rope, params.range.end, encoding),
    ) else {
        return Ok(None);
    };
    let settings = state.settings();
    let decision = |action, scope, old, new| Decision {
        uri: uri.clone(),
        version: analysis.version,
        action,
        scope,
        old,
        new,
    };
    let quote = |s: usize, e: usize| -> String {
        let t: String = rope.byte_slice(s..e).into();
        format!("“{}”", t.replace('\n', " "))
    };
    // The built-in types, then the user's own (`bioscope.customTypes`).
    let offered = settings.offered_types();
    let mut actions = Vec::new();
    let under = mention_at(analysis.document.entities(), start, end);
    if let Some(e) = under.filter(|e| settings.shows(e.entity_type)) {
        let span = DocSpan {
            start: e.start,
            end: e.end,
            entity_type: e.entity_type,
        };
        let text = quote(e.start, e.end);
        let ty = e.entity_type.name();
        if !e.corrected {
            actions.push(action(
                format!("Accept {text} as {ty}"),
                decision(Action::Accept, Scope::Everywhere, Some(span), Some(span)),
            ));
        }
        actions.push(action(
            format!("Not an entity: {text}"),
            decision(Action::Reject, Scope::Everywhere, Some(span), None),
        ));
        actions.push(action(
            format!("Not an entity here only: {text}"),
            decision(Action::Reject, Scope::Here, Some(span), None),
        ));
        for other in offered.iter().copied().filter(|&t| t != e.entity_type) {
            let new = DocSpan {
                entity_type: other,
                ..span
            };
            actions.push(action(
                format!("Change type of {text} to {}", other.name()),
                decision(Action::Retype, Scope::Everywhere, Some(span), Some(new)),
            ));
        }
        if start < end && (start, end) != (e.start, e.end) {
            let new = DocSpan { start, end, ..span };
            actions.push(action(
                format!("Resize {text} to {}", quote(start, end)),
                decision(Action::Resize, Scope::Everywhere, Some(span), Some(new)),
            ));
        }
        let (word_start, word_end) = whole_words(rope, e.start, e.end);
        if (word_start, word_end) != (e.start, e.end) {
            let new = DocSpan {
                start: word_start,
                end: word_end,
                ..span
            };
            actions.push(action(
                format!(
                    "Extend {text} to the whole word {}",
                    quote(word_start, word_end)
                ),
                decision(Action::Resize, Scope::Everywhere, Some(span), Some(new)),
            ));
        }
        actions.push(action(
            format!("Always ignore {text} in this project"),
            decision(Action::Ignore, Scope::Everywhere, Some(span), None),
        ));
    } else if start < end {
        let text = quote(start, end);
        for &t in &offered {
            let new = DocSpan {
                start,
                end,
                entity_type: t,
            };
            actions.push(action(
                format!("Tag {text} as {}", t.name()),
                decision(Action::Tag, Scope::Everywhere, None, Some(new)),
            ));
        }
    }
    Ok(Some(actions))
}

/// The mention a code action is about: for a cursor, the one it is inside, else one it
/// touches at its end (the cursor just after a word); for a selection, the first it overlaps.
/// At the boundary of two adjacent mentions ("EGFR" and "-mutant") the cursor is on the second.
fn mention_at(entities: &[DecidedEntity], start: usize, end: usize) -> Option<&DecidedEntity> {
    if start == end {
        entities
            .iter()
            .find(|e| e.start <= start && start < e.end)
            .or_else(|| entities.iter().find(|e| e.end == start))
    } else {
        entities.iter().find(|e| e.start < end && start < e.end)
    }
}

/// `start..end` grown to the word boundaries around it: a mention cut inside a word ("BRCA" of
/// "BRCA1") becomes the whole word. Letters, digits, hyphens and apostrophes inside a word
/// count as the word.
fn whole_words(rope: &ropey::Rope, start: usize, end: usize) -> (usize, usize) {
    let text: String = rope.into();
    let inner = |c: char| c.is_alphanumeric() || c == '-' || c == '\'';
    let mut s = start;
    while let Some(c) = text[..s].chars().next_back().filter(|&c| inner(c)) {
        s -= c.len_utf8();
    }
    let mut e = end;
    while let Some(c) = text[e..].chars().next().filter(|&c| inner(c)) {
        e += c.len_utf8();
    }
    // A trailing hyphen or apostrophe ends the word rather than joining the next one.
    while text[s..e].ends_with(['-', '\'']) && e > end {
        e -= 1;
    }
    while text[s..e].starts_with(['-', '\'']) && s < start {
        s += 1;
    }
    (s, e)
}

#[cfg(test)]
mod tests {
    use super::{mention_at, whole_words, DecidedEntity, EntityType};

    #[test]
    fn the_cursor_between_two_mentions_acts_on_the_one_it_is_in() {
        let mention = |start, end| DecidedEntity {
            start,
            end,
            entity_type: EntityType::Gene,
            score: 0.5,
            corrected: false,
        };
        // "EGFR-mutant": "EGFR" 0..4 and "-mutant" 4..11.
        let both = [mention(0, 4), mention(4, 11)];
        assert_eq!(mention_at(&both, 4, 4).map(|e| e.start), Some(4));
        assert_eq!(mention_at(&both, 2, 2).map(|e| e.start), Some(0));
        // Just after a lone mention still counts.
        assert_eq!(mention_at(&both[..1], 4, 4).map(|e| e.start), Some(0));
        assert_eq!(mention_at(&both, 12, 12), None);
        // A selection: the first it overlaps.
        assert_eq!(mention_at(&both, 3, 6).map(|e| e.start), Some(0));
    }

    #[test]
    fn mentions_cut_inside_a_word_extend_to_it() {
        let text = "The BRCA1-mutated cells and p53 (TP53) loss";
        let rope = ropey::Rope::from_str(text);
        let at = |s: &str| text.find(s).unwrap();
        // "BRCA" → "BRCA1-mutated".
        let (s, e) = whole_words(&rope, at("BRCA"), at("BRCA") + 4);
        assert_eq!(&text[s..e], "BRCA1-mutated");
        // A whole word stays as it is; parentheses are not part of a word.
        assert_eq!(
            whole_words(&rope, at("TP53"), at("TP53") + 4),
            (at("TP53"), at("TP53") + 4)
        );
        let (s, e) = whole_words(&rope, at("p5"), at("p5") + 2);
        assert_eq!(&text[s..e], "p53");
    }
}
