//! didOpen / didChange / didClose: the document map changes synchronously (before any await in
//! the caller), then live tagging is scheduled.
//!
//! A document over the size limits (`bioscope.maxDocumentBytes`, `bioscope.maxLineBytes`) or
//! with NUL bytes (binary content) is kept in sync in [`Untagged`] but never reaches the
//! tagger: it has no entities, the user is told why, and a change that brings it under the
//! limits makes it an ordinary document again. An edit that does not fit (a range outside the
//! document, a version not above the current one, a document that is not open) is refused
//! with a message and changes nothing.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, Uri,
};

use crate::document::Document;
use crate::settings::Settings;
use crate::state::{OpenDocument, State};

/// Open documents that are not tagged, with their text.
#[derive(Default)]
pub struct Untagged {
    docs: DashMap<Uri, Document>,
}

impl Untagged {
    pub fn contains(&self, uri: &Uri) -> bool {
        self.docs.contains_key(uri)
    }

    /// The document's text and version, if it is open and untagged.
    pub fn text(&self, uri: &Uri) -> Option<(String, i32)> {
        self.docs.get(uri).map(|d| (d.text(), d.version))
    }
}

/// Why `doc` is not tagged under `settings`, if it is not.
pub fn skip_reason(doc: &Document, settings: &Settings) -> Option<String> {
    let bytes = doc.rope.len_bytes();
    if bytes > settings.max_document_bytes {
        return Some(format!(
            "it has {bytes} bytes, over the limit of {} (bioscope.maxDocumentBytes)",
            settings.max_document_bytes
        ));
    }
    if doc.rope.chunks().any(|c| c.contains('\0')) {
        return Some("it looks binary (it contains NUL characters)".into());
    }
    let (mut longest, mut line) = (0, 0);
    for chunk in doc.rope.chunks() {
        for piece in chunk.split_inclusive('\n') {
            line += piece.len();
            if piece.ends_with('\n') {
                longest = longest.max(line);
                line = 0;
            }
        }
    }
    let longest = longest.max(line);
    (longest > settings.max_line_bytes).then(|| {
        format!(
            "it has a line of {longest} bytes, over the limit of {} (bioscope.maxLineBytes)",
            settings.max_line_bytes
        )
    })
}

fn not_tagged(state: &State, uri: &Uri, reason: &str) -> String {
    format!(
        "BioScope does not tag {}: {reason}. It stays open without entities.",
        state.document_name(uri)
    )
}

/// Makes `doc` an ordinary (tagged) document and schedules its tagging.
fn insert_tagged(state: &Arc<State>, uri: Uri, doc: Document, delay: Duration) {
    let version = doc.version;
    state.docs.insert(uri.clone(), OpenDocument::new(doc));
    super::publish::schedule(state, uri, version, delay);
}

/// Opens a document; a message for the user when it is not tagged.
pub fn did_open(
    state: &Arc<State>,
    untagged: &Untagged,
    params: DidOpenTextDocumentParams,
) -> Option<String> {
    let item = params.text_document;
    let doc = Document::new(&item.text, item.version, &item.language_id);
    match skip_reason(&doc, &state.settings()) {
        Some(reason) => {
            state.docs.remove(&item.uri);
            let message = not_tagged(state, &item.uri, &reason);
            untagged.docs.insert(item.uri, doc);
            Some(message)
        }
        None => {
            untagged.docs.remove(&item.uri);
            insert_tagged(state, item.uri, doc, Duration::ZERO);
            None
        }
    }
}

/// Applies the changes; a message for the user when they do not fit the document, or when the
/// document stops (or starts again) being tagged.
pub fn did_change(
    state: &Arc<State>,
    untagged: &Untagged,
    params: DidChangeTextDocumentParams,
) -> Option<String> {
    let uri = params.text_document.uri;
    let version = params.text_document.version;
    let encoding = state.encoding();
    let settings = state.settings();
    let mut changes = Some(params.content_changes);
    let refused = |reason: String| {
        Some(format!(
            "BioScope could not apply an edit to {}: {reason}. Close and reopen the file to resync.",
            uri.as_str()
        ))
    };
    // The guard is dropped before the maps change again.
    let tagged = state.docs.get_mut(&uri).map(|mut open| {
        let current = open.doc.version;
        if version <= current {
            return Err(format!(
                "version {version} is not newer than the current version {current}"
            ));
        }
        open.doc
            .apply_changes(changes.take().unwrap_or_default(), version, encoding)
            .map_err(|e| e.0)?;
        Ok((skip_reason(&open.doc, &settings), open.doc.typing.is_some()))
    });
    match tagged {
        Some(Err(reason)) => return refused(reason),
        Some(Ok((None, typing))) => {
            if typing {
                super::publish::show_typed_word_after_pause(state, uri.clone(), version);
            }
            super::publish::schedule(state, uri, version, settings.debounce);
            return None;
        }
        Some(Ok((Some(reason), _))) => {
            let doc = state.docs.remove(&uri).map(|(_, open)| open.doc)?;
            let message = not_tagged(state, &uri, &reason);
            untagged.docs.insert(uri, doc);
            return Some(message);
        }
        None => {}
    }
    let result = untagged.docs.get_mut(&uri).map(|mut doc| {
        if version <= doc.version {
            return Err(format!(
                "version {version} is not newer than the current version {}",
                doc.version
            ));
        }
        doc.apply_changes(changes.take().unwrap_or_default(), version, encoding)
            .map_err(|e| e.0)?;
        Ok(skip_reason(&doc, &settings).is_none())
    });
    match result {
        None => refused("the document is not open (no didOpen)".into()),
        Some(Err(reason)) => refused(reason),
        Some(Ok(false)) => None,
        Some(Ok(true)) => {
            let (uri, doc) = untagged.docs.remove(&uri)?;
            tracing::info!(uri = uri.as_str(), "now within the limits: tagged again");
            insert_tagged(state, uri, doc, settings.debounce);
            None
        }
    }
}

/// After the limits changed: moves documents between tagged and untagged; messages for the
/// documents no longer tagged.
pub fn recheck(state: &Arc<State>, untagged: &Untagged) -> Vec<String> {
    let settings = state.settings();
    let mut messages = Vec::new();
    let over: Vec<(Uri, String)> = state
        .docs
        .iter()
        .filter_map(|d| skip_reason(&d.doc, &settings).map(|r| (d.key().clone(), r)))
        .collect();
    for (uri, reason) in over {
        if let Some((uri, open)) = state.docs.remove(&uri) {
            messages.push(not_tagged(state, &uri, &reason));
            untagged.docs.insert(uri, open.doc);
        }
    }
    let fits: Vec<Uri> = untagged
        .docs
        .iter()
        .filter(|d| skip_reason(d.value(), &settings).is_none())
        .map(|d| d.key().clone())
        .collect();
    for uri in fits {
        if let Some((uri, doc)) = untagged.docs.remove(&uri) {
            insert_tagged(state, uri, doc, Duration::ZERO);
        }
    }
    messages
}

pub fn did_close(state: &State, untagged: &Untagged, params: DidCloseTextDocumentParams) {
    state.docs.remove(&params.text_document.uri);
    untagged.docs.remove(&params.text_document.uri);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_over_the_limits_or_binary_are_not_tagged() {
        let settings = Settings {
            max_document_bytes: 100,
            max_line_bytes: 20,
            ..Settings::default()
        };
        let doc = |text: &str| Document::new(text, 1, "plaintext");
        assert_eq!(skip_reason(&doc("short\nlines\n"), &settings), None);
        assert_eq!(
            skip_reason(&doc(&"ten bytes\n".repeat(10)), &settings),
            None
        );
        let big = skip_reason(&doc(&"ten bytes\n".repeat(11)), &settings).unwrap();
        assert!(big.contains("110 bytes") && big.contains("maxDocumentBytes"));
        let long = skip_reason(&doc(&format!("a\n{}\nb", "x".repeat(25))), &settings).unwrap();
        assert!(long.contains("line of 26 bytes"), "{long}");
        let last = skip_reason(&doc(&format!("a\n{}", "x".repeat(21))), &settings).unwrap();
        assert!(last.contains("line of 21 bytes"), "{last}");
        let binary = skip_reason(&doc("PNG\0\0\u{1}"), &settings).unwrap();
        assert!(binary.contains("binary"));
    }
}
