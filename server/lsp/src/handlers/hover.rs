//! textDocument/hover: what the model says about the mention under the cursor.

use std::fmt::Write as _;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::position::{to_byte, to_range};
use crate::state::State;

pub async fn hover(state: &State, params: HoverParams) -> Result<Option<Hover>> {
    let uri = params.text_document_position_params.text_document.uri;
    let pos = params.text_document_position_params.position;
    let Some(analysis) = state.current_analysis(&uri).await else {
        return Ok(None);
    };
    let encoding = state.encoding();
    let Some(byte) = to_byte(&analysis.rope, pos, encoding) else {
        return Ok(None);
    };
    let settings = state.settings();
    let Some(entity) = analysis.entities.iter().find(|e| {
        e.start <= byte && byte < e.end && settings.enabled_types.contains(&e.entity_type)
    }) else {
        return Ok(None);
    };
    let text: String = analysis.rope.byte_slice(entity.start..entity.end).into();
    let engine = state.engine();
    let mut md = format!(
        "**{}** `{}`\n\nconfidence {:.2}",
        entity.entity_type.name(),
        text.replace('`', "'"),
        entity.score
    );
    if entity.score < settings.confidence_threshold {
        md.push_str(" (uncertain: below the threshold)");
    }
    if let Some(model) = engine.model_name() {
        let _ = write!(md, " · model `{model}`");
    }
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(to_range(&analysis.rope, entity.start..entity.end, encoding)),
    }))
}
