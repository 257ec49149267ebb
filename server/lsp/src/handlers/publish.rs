//! Analysis runs and their publication: a document is re-analysed after an edit (debounced,
//! unless a newer version arrives first) or when every analysis goes stale (a decision, a model
//! change); the result goes to the requests waiting for it, and the document's diagnostics
//! (uncertain-mention hints, a lab report's findings) are published.

use std::sync::Arc;
use std::time::Duration;

use bioscope_tagger::Priority;
use tower_lsp_server::ls_types::{PublishDiagnosticsParams, Uri};

use super::uncertain;
use crate::labs;
use crate::state::{Analysis, State};

/// A newly opened document waits this long before it is tagged whole, unless a request for its
/// results comes first: an editor asks for the visible range right after opening, and that
/// range is then tagged first rather than behind the rest of the document.
const OPEN_GRACE: Duration = Duration::from_millis(50);

/// How long typing must pause before the word being typed is coloured (a space or a
/// punctuation mark completes it at once).
pub const TYPING_PAUSE: Duration = Duration::from_millis(800);

/// After [`TYPING_PAUSE`] without another edit, the word typed at `version` counts as complete:
/// the client is asked to fetch the tokens again, which now colour it.
pub fn show_typed_word_after_pause(state: &Arc<State>, uri: Uri, version: i32) {
    let state = state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(TYPING_PAUSE).await;
        let completed = state.docs.get_mut(&uri).is_some_and(|mut open| {
            open.doc.version == version && open.doc.typing.take().is_some()
        });
        if let (true, Some(client)) = (completed, state.client.get()) {
            let _ = client.semantic_tokens_refresh().await;
        }
    });
}

/// Re-tags `uri` at `version` after `delay`, unless a newer version arrives first; the
/// result is published only if the document is still at that version.
pub fn schedule(state: &Arc<State>, uri: Uri, version: i32, delay: Duration) {
    let state = state.clone();
    tokio::spawn(async move {
        let first = state
            .docs
            .get(&uri)
            .is_some_and(|open| open.analysis.borrow().is_none());
        let delay = if first && delay.is_zero() {
            OPEN_GRACE
        } else {
            delay
        };
        if !delay.is_zero() {
            let Some(mut wanted) = state.docs.get(&uri).map(|open| open.wanted.subscribe()) else {
                return;
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = wanted.wait_for(|&v| v == version) => {}
            }
        }
        let Some((rope, current, format)) = state.snapshot(&uri) else {
            return;
        };
        if current != version {
            return; // a newer edit has its own task
        }
        let generation = state.generation();
        let _busy = state.tagging_started();
        // A new document is tagged in the background, behind what a range request (the
        // visible part) or an edit elsewhere is waiting for.
        let document = if first {
            state.analyze_with_progress(&uri, &rope, format).await
        } else {
            state
                .analyze(&uri, &rope, format, None, Priority::Interactive)
                .await
        };
        let published = match state.docs.get(&uri) {
            Some(open) if open.doc.version == version && state.generation() == generation => {
                let analysis = Arc::new(Analysis {
                    version,
                    generation,
                    rope,
                    document,
                });
                open.analysis.send_replace(Some(analysis.clone()));
                Some(analysis)
            }
            _ => None,
        };
        if let Some(analysis) = published {
            publish_diagnostics(&state, &uri, &analysis).await;
        }
    });
}

/// Publishes the diagnostics of `analysis`: hints on uncertain mentions when the setting is
/// on, and the flagged values of a lab report. An empty list clears what was published before
/// (the setting turned off, the finding fixed); nothing is sent when nothing was shown.
pub async fn publish_diagnostics(state: &State, uri: &Uri, analysis: &Analysis) {
    let Some(client) = state.client.get() else {
        return;
    };
    let settings = state.settings();
    let mut diagnostics = if settings.uncertain_hints {
        uncertain::hints(analysis, &settings, state)
    } else {
        Vec::new()
    };
    if let Some(reading) = labs::reading_of(state, uri, &analysis.rope) {
        diagnostics.extend(reading.diagnostics(&analysis.rope, state.encoding()));
    }
    let shown_before = if diagnostics.is_empty() && !settings.uncertain_hints {
        state.hinted.remove(uri).is_some()
    } else {
        !state.hinted.insert(uri.clone())
    };
    if diagnostics.is_empty() && !settings.uncertain_hints && !shown_before {
        return;
    }
    client
        .send_notification::<tower_lsp_server::ls_types::notification::PublishDiagnostics>(
            PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics,
                version: Some(analysis.version),
            },
        )
        .await;
}

/// Marks every analysis stale and re-analyses every open document now (after a decision or a
/// model change).
pub fn schedule_all(state: &Arc<State>) {
    state.mark_stale();
    let versions: Vec<(Uri, i32)> = state
        .docs
        .iter()
        .map(|d| (d.key().clone(), d.doc.version))
        .collect();
    for (uri, version) in versions {
        schedule(state, uri, version, Duration::ZERO);
    }
}
