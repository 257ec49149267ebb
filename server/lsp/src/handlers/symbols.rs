//! textDocument/documentSymbol (the outline as an entity index: one group per type, one entry
//! per distinct mention with its count) and workspace/symbol (mentions across open documents).

use std::collections::BTreeMap;

use bioscope_core::EntityType;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, Location, OneOf, SymbolKind,
    WorkspaceSymbol, WorkspaceSymbolParams, WorkspaceSymbolResponse,
};

use crate::position::to_range;
use crate::state::State;

/// A distinct mention text and the byte spans where it occurs, in document order.
type MentionSpans = (String, Vec<(usize, usize)>);

/// At most this many workspace symbols per query.
const MAX_WORKSPACE_SYMBOLS: usize = 500;

pub async fn document_symbols(
    state: &State,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    let Some(analysis) = state.current_analysis(&params.text_document.uri).await else {
        return Ok(None);
    };
    let encoding = state.encoding();
    let settings = state.settings();
    let mut groups: BTreeMap<EntityType, Vec<MentionSpans>> = BTreeMap::new();
    for e in analysis.document.entities() {
        if !settings.shows(e.entity_type) {
            continue;
        }
        let text: String = analysis.rope.byte_slice(e.start..e.end).into();
        let mentions = groups.entry(e.entity_type).or_default();
        match mentions.iter_mut().find(|(t, _)| *t == text) {
            Some((_, spans)) => spans.push((e.start, e.end)),
            None => mentions.push((text, vec![(e.start, e.end)])),
        }
    }
    #[allow(deprecated)] // `deprecated` must be spelled out in the struct literal
    let symbols = groups
        .into_iter()
        .map(|(entity_type, mentions)| {
            let first = mentions[0].1[0].0;
            let last = mentions
                .iter()
                .flat_map(|(_, s)| s)
                .map(|s| s.1)
                .max()
                .unwrap_or(first);
            let count: usize = mentions.iter().map(|(_, s)| s.len()).sum();
            let children = mentions
                .into_iter()
                .map(|(text, spans)| {
                    let range = to_range(&analysis.rope, spans[0].0..spans[0].1, encoding);
                    DocumentSymbol {
                        name: text,
                        detail: Some(match spans.len() {
                            1 => "1 mention".to_string(),
                            n => format!("{n} mentions"),
                        }),
                        kind: SymbolKind::CONSTANT,
                        tags: None,
                        deprecated: None,
                        range,
                        selection_range: range,
                        children: None,
                    }
                })
                .collect();
            let range = to_range(&analysis.rope, first..last, encoding);
            DocumentSymbol {
                name: entity_type.name().to_string(),
                detail: Some(format!("{count} mentions")),
                kind: SymbolKind::NAMESPACE,
                tags: None,
                deprecated: None,
                range,
                selection_range: to_range(&analysis.rope, first..first, encoding),
                children: Some(children),
            }
        })
        .collect();
    Ok(Some(DocumentSymbolResponse::Nested(symbols)))
}

/// Mentions in every open document whose text contains the query (case-insensitive), from each
/// document's latest analysis.
pub fn workspace_symbols(
    state: &State,
    params: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>> {
    let query = params.query.to_lowercase();
    let encoding = state.encoding();
    let settings = state.settings();
    let mut found = Vec::new();
    for open in state.docs.iter() {
        let Some(analysis) = open.analysis.borrow().clone() else {
            continue;
        };
        for e in analysis.document.entities() {
            if !settings.shows(e.entity_type) {
                continue;
            }
            let text: String = analysis.rope.byte_slice(e.start..e.end).into();
            if !text.to_lowercase().contains(&query) {
                continue;
            }
            found.push(WorkspaceSymbol {
                name: text,
                kind: SymbolKind::CONSTANT,
                tags: None,
                container_name: Some(e.entity_type.name().to_string()),
                location: OneOf::Left(Location::new(
                    open.key().clone(),
                    to_range(&analysis.rope, e.start..e.end, encoding),
                )),
                data: None,
            });
            if found.len() >= MAX_WORKSPACE_SYMBOLS {
                return Ok(Some(WorkspaceSymbolResponse::Nested(found)));
            }
        }
    }
    Ok(Some(WorkspaceSymbolResponse::Nested(found)))
}
