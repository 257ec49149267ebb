//! Mentions the model is least sure of: the `bioscope.nextUncertain` command (pool-based
//! ranking over the open documents) and optional hint diagnostics (published with the others
//! by `publish::publish_diagnostics`).
//!
//! A mention's confidence is its score: the lowest CRF marginal probability of the labels of its
//! words (see bioscope-tagger). Unreviewed mentions (no decision recorded) of the types shown,
//! below the confidence threshold, are ranked from the least confident; ties go in document
//! order. Asking again from a ranked mention moves to the next one, so a user can walk the list
//! without deciding each.

use std::sync::Arc;

use bioscope_analysis::DecidedEntity;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Diagnostic, DiagnosticSeverity, NumberOrString, Position, Uri};

use crate::error::ServerError;
use crate::position::{to_byte, to_range};
use crate::settings::Settings;
use crate::state::{Analysis, State};

/// One unreviewed uncertain mention.
#[derive(Clone, Debug)]
struct Candidate {
    uri: Uri,
    analysis: Arc<Analysis>,
    entity: DecidedEntity,
}

fn is_uncertain(e: &DecidedEntity, settings: &Settings) -> bool {
    !e.corrected && e.score < settings.confidence_threshold && settings.shows(e.entity_type)
}

/// Candidates from the least confident; ties by document, then position.
fn rank(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| {
        a.entity
            .score
            .total_cmp(&b.entity.score)
            .then_with(|| a.uri.as_str().cmp(b.uri.as_str()))
            .then_with(|| a.entity.start.cmp(&b.entity.start))
    });
    candidates
}

/// The candidate after the one at `cursor` (a byte offset in `uri`) in the ranking, wrapping;
/// the first one when the cursor is on none.
fn next_after<'a>(ranked: &'a [Candidate], uri: &Uri, cursor: usize) -> Option<&'a Candidate> {
    let here = ranked
        .iter()
        .position(|c| c.uri == *uri && c.entity.start <= cursor && cursor <= c.entity.end);
    match here {
        Some(i) if ranked.len() > 1 => ranked.get((i + 1) % ranked.len()),
        Some(_) => None, // the only one is where the cursor already is
        None => ranked.first(),
    }
}

#[derive(Deserialize)]
struct NextRequest {
    uri: Uri,
    position: Position,
}

/// `bioscope.nextUncertain {uri, position}`: the most informative unreviewed mention after the
/// one at the cursor, over every open document, or null when there is none.
pub async fn next_uncertain(state: &State, argument: Value) -> Result<Value> {
    let request: NextRequest =
        serde_json::from_value(argument).map_err(|e| ServerError::BadArgument {
            command: super::command::NEXT_UNCERTAIN.into(),
            expected: "{uri, position}",
            reason: e.to_string(),
        })?;
    let current = state
        .current_analysis(&request.uri)
        .await
        .ok_or_else(|| ServerError::NotOpen(request.uri.clone()))?;
    let encoding = state.encoding();
    let cursor =
        to_byte(&current.rope, request.position, encoding).ok_or(ServerError::OutOfRange {
            line: request.position.line,
            character: request.position.character,
        })?;
    let settings = state.settings();
    let generation = state.generation();
    let mut candidates = Vec::new();
    let uris: Vec<Uri> = state.docs.iter().map(|d| d.key().clone()).collect();
    for uri in uris {
        let analysis = if uri == request.uri {
            Some(current.clone())
        } else {
            // Other documents as last tagged, if that is their current version.
            state.docs.get(&uri).and_then(|open| {
                open.analysis
                    .borrow()
                    .clone()
                    .filter(|a| a.version == open.doc.version && a.generation == generation)
            })
        };
        let Some(analysis) = analysis else { continue };
        candidates.extend(
            analysis
                .document
                .entities()
                .iter()
                .filter(|e| is_uncertain(e, &settings))
                .map(|e| Candidate {
                    uri: uri.clone(),
                    analysis: analysis.clone(),
                    entity: e.clone(),
                }),
        );
    }
    let ranked = rank(candidates);
    let Some(next) = next_after(&ranked, &request.uri, cursor) else {
        return Ok(Value::Null);
    };
    let e = &next.entity;
    let text = next.analysis.rope.byte_slice(e.start..e.end).to_string();
    Ok(json!({
        "uri": next.uri,
        "range": to_range(&next.analysis.rope, e.start..e.end, encoding),
        "entityType": e.entity_type.name(),
        "confidence": e.score,
        "text": text,
        "remaining": ranked.len(),
    }))
}

/// Hint diagnostics on the uncertain mentions of `analysis`.
pub(crate) fn hints(analysis: &Analysis, settings: &Settings, state: &State) -> Vec<Diagnostic> {
    analysis
        .document
        .entities()
        .iter()
        .filter(|e| is_uncertain(e, settings))
        .map(|e| {
            let text = analysis.rope.byte_slice(e.start..e.end).to_string();
            Diagnostic {
                range: to_range(&analysis.rope, e.start..e.end, state.encoding()),
                severity: Some(DiagnosticSeverity::HINT),
                code: Some(NumberOrString::String("uncertain".into())),
                source: Some("bioscope".into()),
                message: format!(
                    "{} \"{text}\"? confidence {:.2}: accept, reject or retype it (code actions)",
                    e.entity_type.name(),
                    e.score
                ),
                ..Default::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioscope_core::EntityType;

    fn candidate(uri: &str, start: usize, score: f32) -> Candidate {
        Candidate {
            uri: uri.parse().unwrap(),
            analysis: Arc::new(Analysis {
                version: 1,
                generation: 0,
                rope: ropey::Rope::from_str(&"x".repeat(100)),
                document: bioscope_analysis::DocumentAnalysis::failed(
                    "x".repeat(100),
                    bioscope_core::segment::DocFormat::Plain,
                    String::new(),
                ),
            }),
            entity: DecidedEntity {
                start,
                end: start + 5,
                entity_type: EntityType::Gene,
                score,
                corrected: false,
            },
        }
    }

    #[test]
    fn ranking_goes_from_the_least_confident_and_walks_on_from_the_cursor() {
        let ranked = rank(vec![
            candidate("file:///a.md", 10, 0.45),
            candidate("file:///b.md", 0, 0.20),
            candidate("file:///a.md", 40, 0.30),
        ]);
        let order: Vec<(String, usize)> = ranked
            .iter()
            .map(|c| (c.uri.as_str().to_string(), c.entity.start))
            .collect();
        assert_eq!(
            order,
            [
                ("file:///b.md".to_string(), 0),
                ("file:///a.md".to_string(), 40),
                ("file:///a.md".to_string(), 10)
            ]
        );
        let a: Uri = "file:///a.md".parse().unwrap();
        // Cursor on nothing ranked: the least confident, even in another document.
        assert_eq!(next_after(&ranked, &a, 0).unwrap().entity.start, 0);
        // On the second: the third; on the last: back to the first.
        assert_eq!(next_after(&ranked, &a, 42).unwrap().entity.start, 10);
        assert_eq!(
            next_after(&ranked, &a, 12).unwrap().uri.as_str(),
            "file:///b.md"
        );
        // A single candidate under the cursor: nowhere else to go.
        let single = rank(vec![candidate("file:///a.md", 10, 0.4)]);
        assert!(next_after(&single, &a, 11).is_none());
        assert!(next_after(&single, &a, 60).is_some());
    }

    #[test]
    fn reviewed_hidden_and_confident_mentions_are_not_uncertain() {
        let settings = Settings {
            enabled_types: vec![EntityType::Gene],
            ..Settings::default()
        };
        let mut e = candidate("file:///a.md", 0, 0.3).entity;
        assert!(is_uncertain(&e, &settings));
        e.corrected = true;
        assert!(!is_uncertain(&e, &settings));
        e.corrected = false;
        e.score = 0.9;
        assert!(!is_uncertain(&e, &settings));
        e.score = 0.3;
        e.entity_type = EntityType::Disease;
        assert!(!is_uncertain(&e, &settings));
    }
}
