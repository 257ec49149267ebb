//! What the server is doing, told to the client as `bioscope/status` notifications so an
//! editor can show it (a status bar item): loading a model, tagging (only when it lasts long
//! enough to notice), retraining (with a percentage), or idle, with the model's name.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::notification::Notification;

use crate::state::State;

/// Tagging shorter than this is not announced (a keystroke's re-tag would make it flicker).
const ANNOUNCE_TAGGING_AFTER: Duration = Duration::from_millis(300);

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

/// Held while tagging; the last one dropped announces "idle" if "tagging" was announced.
pub struct TaggingGuard {
    state: Arc<State>,
}

impl State {
    /// Sends a `bioscope/status` notification (nothing before the client is known).
    pub async fn announce(
        &self,
        activity: Activity,
        message: Option<String>,
        percentage: Option<u32>,
    ) {
        let Some(client) = self.client.get() else {
            return;
        };
        let params = StatusParams {
            activity,
            model: self.engine().model_name().map(str::to_string),
            message,
            percentage,
        };
        client.send_notification::<StatusNotification>(params).await;
    }

    /// Marks tagging under way until the guard is dropped; announced after a short while.
    pub fn tagging_started(self: &Arc<Self>) -> TaggingGuard {
        if self.tagging.in_flight.fetch_add(1, Ordering::SeqCst) == 0 {
            let state = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(ANNOUNCE_TAGGING_AFTER).await;
                if state.tagging.in_flight.load(Ordering::SeqCst) > 0
                    && !state.tagging.announced.swap(true, Ordering::SeqCst)
                {
                    state.announce(Activity::Tagging, None, None).await;
                    // Finished while announcing: the guard saw nothing to retract.
                    if state.tagging.in_flight.load(Ordering::SeqCst) == 0
                        && state.tagging.announced.swap(false, Ordering::SeqCst)
                    {
                        state.announce(Activity::Idle, None, None).await;
                    }
                }
            });
        }
        TaggingGuard {
            state: self.clone(),
        }
    }
}

impl Drop for TaggingGuard {
    fn drop(&mut self) {
        let tagging = &self.state.tagging;
        if tagging.in_flight.fetch_sub(1, Ordering::SeqCst) == 1
            && tagging.announced.swap(false, Ordering::SeqCst)
        {
            let state = self.state.clone();
            tokio::spawn(async move { state.announce(Activity::Idle, None, None).await });
        }
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
