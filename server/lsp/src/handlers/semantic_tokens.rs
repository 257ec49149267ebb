//! textDocument/semanticTokens/{full, full/delta, range}: the entities of a manuscript, or the
//! biomarkers, values and units of a lab report (`crate::labs`).

use std::sync::Arc;

use bioscope_analysis::DecidedEntity;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    SemanticTokens, SemanticTokensDelta, SemanticTokensDeltaParams, SemanticTokensFullDeltaResult,
    SemanticTokensParams, SemanticTokensRangeParams, SemanticTokensRangeResult,
    SemanticTokensResult, Uri,
};

use crate::document::word_around;
use crate::error::ServerError;
use crate::labs;
use crate::position::to_byte;
use crate::semantic_tokens::{delta, encode, encode_spans, flatten};
use crate::settings::Settings;
use crate::state::State;

fn content_modified() -> Error {
    ServerError::ContentModified.into()
}

/// The mentions coloured: those of the enabled types, except one that touches the word being
/// typed in `version` (its colour would change with every letter: "Li-Fraumen" a chemical,
/// "Li-Fraumeni" a gene, ...; it is shown once the word is complete).
fn shown(
    state: &State,
    uri: &Uri,
    version: i32,
    rope: &ropey::Rope,
    entities: &[DecidedEntity],
    settings: &Settings,
) -> Vec<DecidedEntity> {
    let typing = state
        .docs
        .get(uri)
        .filter(|open| open.doc.version == version)
        .and_then(|open| open.doc.typing)
        .map(|at| word_around(rope, at));
    entities
        .iter()
        .filter(|e| settings.shows(e.entity_type))
        .filter(|e| {
            typing
                .as_ref()
                .is_none_or(|w| e.end < w.start || e.start > w.end)
        })
        .cloned()
        .collect()
}

/// Tokens of the current version under a new result id.
async fn current_tokens(state: &State, uri: &Uri) -> Result<SemanticTokens> {
    if let Some((rope, reading)) = labs::current_reading(state, uri) {
        return Ok(SemanticTokens {
            result_id: Some(state.next_result_id()),
            data: encode_spans(&rope, &reading.colored(), state.encoding()),
        });
    }
    let analysis = state
        .current_analysis(uri)
        .await
        .ok_or_else(content_modified)?;
    let settings = state.settings();
    let shown = shown(
        state,
        uri,
        analysis.version,
        &analysis.rope,
        analysis.document.entities(),
        &settings,
    );
    let tokens = encode(
        &analysis.rope,
        &shown,
        settings.confidence_threshold,
        analysis.document.abbreviations(),
        &settings.custom_entity_types(),
        state.encoding(),
    );
    Ok(SemanticTokens {
        result_id: Some(state.next_result_id()),
        data: tokens,
    })
}

/// Keeps what was sent, for the next delta.
fn remember(state: &State, uri: &Uri, tokens: &SemanticTokens) {
    if let (Some(mut open), Some(id)) = (state.docs.get_mut(uri), &tokens.result_id) {
        open.last_tokens = Some((id.clone(), flatten(&tokens.data)));
    }
}

pub async fn full(
    state: &State,
    params: SemanticTokensParams,
) -> Result<Option<SemanticTokensResult>> {
    let uri = params.text_document.uri;
    let tokens = current_tokens(state, &uri).await?;
    remember(state, &uri, &tokens);
    Ok(Some(SemanticTokensResult::Tokens(tokens)))
}

pub async fn full_delta(
    state: &State,
    params: SemanticTokensDeltaParams,
) -> Result<Option<SemanticTokensFullDeltaResult>> {
    let uri = params.text_document.uri;
    let tokens = current_tokens(state, &uri).await?;
    let previous = state
        .docs
        .get(&uri)
        .and_then(|open| open.last_tokens.clone())
        .filter(|(prev_id, _)| *prev_id == params.previous_result_id);
    remember(state, &uri, &tokens);
    Ok(Some(match previous {
        Some((_, old)) => SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta {
            edits: delta(&old, &flatten(&tokens.data)),
            result_id: tokens.result_id,
        }),
        None => SemanticTokensFullDeltaResult::Tokens(tokens),
    }))
}

/// The visible range first: only the paragraphs it overlaps are tagged (from the cache where
/// possible), without waiting for the whole document.
pub async fn range(
    state: Arc<State>,
    params: SemanticTokensRangeParams,
) -> Result<Option<SemanticTokensRangeResult>> {
    let uri = params.text_document.uri;
    let Some((rope, version, format)) = state.snapshot(&uri) else {
        return Ok(None);
    };
    let encoding = state.encoding();
    let start = to_byte(&rope, params.range.start, encoding).unwrap_or(rope.len_bytes());
    let end = to_byte(&rope, params.range.end, encoding).unwrap_or(rope.len_bytes());
    if let Some(reading) = labs::reading_of(&state, &uri, &rope) {
        let in_range: Vec<_> = reading
            .colored()
            .into_iter()
            .filter(|c| c.range.end > start && c.range.start < end)
            .collect();
        return Ok(Some(SemanticTokensRangeResult::Tokens(SemanticTokens {
            result_id: None,
            data: encode_spans(&rope, &in_range, encoding),
        })));
    }
    let document = state
        .analyze(
            &uri,
            &rope,
            format,
            Some(start..end),
            bioscope_tagger::Priority::Interactive,
        )
        .await;
    if state.snapshot(&uri).map(|s| s.1) != Some(version) {
        return Err(content_modified());
    }
    let settings = state.settings();
    let in_range: Vec<DecidedEntity> =
        shown(&state, &uri, version, &rope, document.entities(), &settings)
            .into_iter()
            .filter(|e| e.end > start && e.start < end)
            .collect();
    let tokens = encode(
        &rope,
        &in_range,
        settings.confidence_threshold,
        document.abbreviations(),
        &settings.custom_entity_types(),
        encoding,
    );
    Ok(Some(SemanticTokensRangeResult::Tokens(SemanticTokens {
        result_id: None,
        data: tokens,
    })))
}
