//! Settings in two stages: [`RawSettings`] is what clients send (camelCase, every field
//! optional, under a `bioscope` key or at the top level); [`Settings`] is validated, and every
//! problem becomes a message while the previous value of that setting is kept.

use std::path::PathBuf;
use std::time::Duration;

use bioscope_core::EntityType;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawSettings {
    pub enabled_types: Option<Vec<String>>,
    pub confidence_threshold: Option<f64>,
    pub model_path: Option<PathBuf>,
    pub lexicon_path: Option<PathBuf>,
    pub corrections_path: Option<PathBuf>,
    pub debounce_ms: Option<u64>,
    pub threads: Option<usize>,
    pub uncertain_hints: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Entity types shown; the others are tagged (the cache does not depend on this) but hidden.
    pub enabled_types: Vec<EntityType>,
    /// Mentions below this confidence are marked `uncertain`.
    pub confidence_threshold: f32,
    /// A model bundle directory replacing the server's default.
    pub model_path: Option<PathBuf>,
    /// A lexicon folder (from `bioscope lexicon build`) replacing the server's default.
    pub lexicon_path: Option<PathBuf>,
    /// The corrections store (relative paths are under the workspace root).
    pub corrections_path: Option<PathBuf>,
    /// Quiet time after an edit before re-tagging.
    pub debounce: Duration,
    /// Inference threads (default: the server's command line).
    pub threads: Option<usize>,
    /// Hint diagnostics on mentions below the confidence threshold.
    pub uncertain_hints: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled_types: EntityType::ALL.to_vec(),
            confidence_threshold: 0.5,
            model_path: None,
            lexicon_path: None,
            corrections_path: None,
            debounce: Duration::from_millis(150),
            threads: None,
            uncertain_hints: false,
        }
    }
}

impl Settings {
    /// `self` updated from a client's JSON; the messages say what was wrong and kept.
    pub fn updated(&self, value: &serde_json::Value) -> (Settings, Vec<String>) {
        let value = value.get("bioscope").unwrap_or(value);
        let mut next = self.clone();
        let mut problems = Vec::new();
        // Neovim encodes an empty Lua table as `[]`: no settings, like null.
        if value.is_null() || value.as_array().is_some_and(Vec::is_empty) {
            return (next, problems);
        }
        let raw: RawSettings = match serde_json::from_value(value.clone()) {
            Ok(raw) => raw,
            Err(e) => {
                problems.push(format!("BioScope settings ignored: {e}"));
                return (next, problems);
            }
        };
        if let Some(names) = raw.enabled_types {
            let parsed: Result<Vec<EntityType>, _> =
                names.iter().map(|n| n.parse::<EntityType>()).collect();
            match parsed {
                Ok(types) => next.enabled_types = types,
                Err(e) => problems.push(format!(
                    "bioscope.enabledTypes: {e}; known types: {}",
                    EntityType::ALL.map(|t| t.name()).join(", ")
                )),
            }
        }
        if let Some(t) = raw.confidence_threshold {
            if (0.0..=1.0).contains(&t) {
                next.confidence_threshold = t as f32;
            } else {
                problems.push(format!(
                    "bioscope.confidenceThreshold must be between 0 and 1, not {t}"
                ));
            }
        }
        if let Some(p) = raw.model_path {
            next.model_path = Some(p);
        }
        if let Some(p) = raw.lexicon_path {
            next.lexicon_path = Some(p);
        }
        if let Some(p) = raw.corrections_path {
            next.corrections_path = Some(p);
        }
        if let Some(ms) = raw.debounce_ms {
            if ms <= 5_000 {
                next.debounce = Duration::from_millis(ms);
            } else {
                problems.push(format!(
                    "bioscope.debounceMs must be at most 5000, not {ms}"
                ));
            }
        }
        if let Some(n) = raw.threads {
            if n >= 1 {
                next.threads = Some(n);
            } else {
                problems.push("bioscope.threads must be at least 1".into());
            }
        }
        if let Some(on) = raw.uncertain_hints {
            next.uncertain_hints = on;
        }
        (next, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vscode_and_neovim_payloads_validate_and_bad_values_keep_defaults() {
        let base = Settings::default();
        // VS Code nests under the section name.
        let (s, problems) = base.updated(&json!({"bioscope": {
            "enabledTypes": ["Gene", "disease"], "confidenceThreshold": 0.7, "debounceMs": 50
        }}));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.enabled_types, [EntityType::Gene, EntityType::Disease]);
        assert_eq!(s.confidence_threshold, 0.7);
        assert_eq!(s.debounce, Duration::from_millis(50));

        // Neovim's init_options are often flat.
        let (s, problems) = s.updated(&json!({
            "confidenceThreshold": 3, "enabledTypes": ["Protein"], "threads": 2
        }));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("Protein") && problems[0].contains("known types"));
        assert!(problems[1].contains("between 0 and 1"));
        assert_eq!(s.confidence_threshold, 0.7, "kept");
        assert_eq!(s.enabled_types.len(), 2, "kept");
        assert_eq!(s.threads, Some(2));

        let (same, problems) = s.updated(&json!({"debounceMs": "fast"}));
        assert_eq!(problems.len(), 1);
        assert_eq!(same, s);
        assert_eq!(s.updated(&serde_json::Value::Null).0, s);
        // Neovim sends an empty Lua table as an empty array.
        let (same, problems) = s.updated(&json!({"bioscope": []}));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(same, s);
    }
}
