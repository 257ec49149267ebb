//! The retraining protocol between `bioscope-train finetune --progress json` and the language
//! server: one JSON object per line on the trainer's stdout, `{"event": "progress", ...}` while
//! it works and `{"event": "done", ...}` once the new bundle is published. Both sides use this
//! type, so the protocol has one definition.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One line of the trainer's JSON progress output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum TrainerEvent {
    /// Work in progress: percent done (0 to 100) and what is being done.
    Progress { percentage: u32, message: String },
    /// The new bundle is published at `bundle`, trained on `corrections` records.
    Done {
        bundle: PathBuf,
        corrections: usize,
        seconds: f64,
    },
}

impl TrainerEvent {
    /// The event as one line of JSON (without the newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an event always serializes")
    }

    /// Reads one line of the trainer's stdout; `None` for anything else it prints.
    pub fn from_line(line: &str) -> Option<Self> {
        serde_json::from_str(line).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_tagged_json_lines() {
        let progress = TrainerEvent::Progress {
            percentage: 40,
            message: "training".into(),
        };
        let line = progress.to_line();
        assert_eq!(
            line,
            r#"{"event":"progress","percentage":40,"message":"training"}"#
        );
        assert_eq!(TrainerEvent::from_line(&line), Some(progress));
        let done = TrainerEvent::Done {
            bundle: "/tmp/b".into(),
            corrections: 3,
            seconds: 1.5,
        };
        assert_eq!(TrainerEvent::from_line(&done.to_line()), Some(done));
        assert_eq!(TrainerEvent::from_line("warning: slow"), None);
        assert_eq!(TrainerEvent::from_line(r#"{"event":"other"}"#), None);
    }
}
