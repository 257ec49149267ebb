//! What the server is doing, told to the client as `bioscope/status` notifications so an
//! editor can show it (a status bar item): loading a model, tagging (only when it lasts long
//! enough to notice), retraining (with a percentage), or idle, with the model's name; and the
//! counters behind it (tagging in flight, the one retraining and how to cancel it).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::ProgressToken;

pub enum StatusNotification {}

impl Notification for StatusNotification {
    type Params = StatusParams;
    const METHOD: &'static str = "bioscope/status";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activity {
    Idle,
    Loading,
    Tagging,
    Retraining,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusParams {
    pub activity: Activity,
    /// The loaded model's name (`None`: no model; the lexicon alone, or nothing).
    pub model: Option<String>,
    pub message: Option<String>,
    pub percentage: Option<u32>,
}

/// Counts tagging work in flight and remembers whether "tagging" was announced.
#[derive(Default)]
pub struct TaggingActivity {
    in_flight: AtomicUsize,
    announced: AtomicBool,
}

impl TaggingActivity {
    /// Counts one more tagging in flight; true when it is the only one (time to start the
    /// clock before announcing).
    pub fn begin(&self) -> bool {
        self.in_flight.fetch_add(1, Ordering::SeqCst) == 0
    }

    /// True once, while tagging is still in flight and not yet announced: announce it now.
    pub fn announce_now(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) > 0 && !self.announced.swap(true, Ordering::SeqCst)
    }

    /// True when nothing is in flight any more but "tagging" was announced: retract it now
    /// (announce "idle").
    pub fn retract_now(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0 && self.announced.swap(false, Ordering::SeqCst)
    }

    /// Counts one tagging done; true when it was the last and "tagging" was announced.
    pub fn end(&self) -> bool {
        self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1
            && self.announced.swap(false, Ordering::SeqCst)
    }
}

/// At most one retraining at a time, and the way to cancel it.
#[derive(Default)]
pub struct Retraining {
    running: AtomicBool,
    cancel: Mutex<Option<(ProgressToken, oneshot::Sender<()>)>>,
}

impl Retraining {
    /// Marks a retraining as running; false when one already is.
    pub fn begin(&self) -> bool {
        !self.running.swap(true, Ordering::SeqCst)
    }

    /// Remembers how to cancel the running retraining (its `$/progress` token).
    pub fn cancellable(&self, token: ProgressToken, cancel: oneshot::Sender<()>) {
        *self.cancel.lock().unwrap_or_else(|e| e.into_inner()) = Some((token, cancel));
    }

    /// Marks the retraining as over.
    pub fn end(&self) {
        *self.cancel.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.running.store(false, Ordering::SeqCst);
    }

    /// Cancels the retraining whose progress token this is (`window/workDoneProgress/cancel`).
    pub fn cancel(&self, token: &ProgressToken) -> bool {
        let mut cancel = self.cancel.lock().unwrap_or_else(|e| e.into_inner());
        if cancel.as_ref().is_some_and(|(t, _)| t == token) {
            if let Some((_, tx)) = cancel.take() {
                let _ = tx.send(());
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_params_use_the_documented_json() {
        let params = StatusParams {
            activity: Activity::Retraining,
            model: Some("bioscope-union".into()),
            message: Some("epoch 1".into()),
            percentage: Some(40),
        };
        assert_eq!(
            serde_json::to_value(&params).unwrap(),
            serde_json::json!({"activity": "retraining", "model": "bioscope-union",
                               "message": "epoch 1", "percentage": 40})
        );
    }
}
