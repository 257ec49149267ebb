//! didOpen / didChange / didClose: the document map changes synchronously (before any await in
//! the caller), then live tagging is scheduled.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
};

use crate::document::Document;
use crate::state::{OpenDocument, State};

pub fn did_open(state: &Arc<State>, params: DidOpenTextDocumentParams) {
    let item = params.text_document;
    let doc = Document::new(&item.text, item.version, &item.language_id);
    let (analysis, _) = watch::channel(None);
    state.docs.insert(
        item.uri.clone(),
        OpenDocument {
            doc,
            analysis,
            last_tokens: None,
        },
    );
    state.schedule(item.uri, item.version, Duration::ZERO);
}

/// Applies the changes; an error message for the user when they do not fit the document.
pub fn did_change(state: &Arc<State>, params: DidChangeTextDocumentParams) -> Option<String> {
    let uri = params.text_document.uri;
    let version = params.text_document.version;
    let encoding = state.encoding();
    let result = {
        let mut open = state.docs.get_mut(&uri)?;
        open.doc
            .apply_changes(params.content_changes, version, encoding)
    };
    match result {
        Ok(()) => {
            state.schedule(uri, version, state.settings().debounce);
            None
        }
        Err(e) => Some(format!(
            "BioScope could not apply an edit to {}: {}. Close and reopen the file to resync.",
            uri.as_str(),
            e.0
        )),
    }
}

pub fn did_close(state: &State, params: DidCloseTextDocumentParams) {
    state.docs.remove(&params.text_document.uri);
}
