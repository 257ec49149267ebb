//! Settings in two stages: [`RawSettings`] is what clients send (camelCase, every field
//! optional, under a `bioscope` key or at the top level); [`Settings`] is validated, and every
//! problem becomes a message while the previous value of that setting is kept.

use std::path::{Component, Path, PathBuf};
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
    pub max_document_bytes: Option<usize>,
    pub max_line_bytes: Option<usize>,
    pub lab_report_files: Option<Vec<String>>,
    /// Read item by item, so that one bad entry does not drop the other settings.
    pub custom_types: Option<Vec<serde_json::Value>>,
}

/// How many types of their own users may declare: the legend's reserved slots
/// (`crate::semantic_tokens::CUSTOM_TOKEN_TYPES`).
pub const MAX_CUSTOM_TYPES: usize = 8;

/// A type the user declared (`bioscope.customTypes`): coloured through the legend slot of its
/// place in the list, offered in code actions, recorded by name in corrections.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomType {
    pub entity_type: EntityType,
    pub description: String,
    /// A colour for editors that can set one (`#rrggbb`); VS Code themes colour the slot.
    pub color: Option<String>,
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
    /// Larger documents are kept in sync but not tagged (with a message).
    pub max_document_bytes: usize,
    /// Documents with a longer line (minified or data files) are kept in sync but not tagged.
    pub max_line_bytes: usize,
    /// File-name patterns of documents read as laboratory reports (the lab-report profile).
    pub lab_report_files: Vec<String>,
    /// The user's own types, in legend-slot order (at most [`MAX_CUSTOM_TYPES`]).
    pub custom_types: Vec<CustomType>,
}

/// Default [`Settings::max_document_bytes`]: a long thesis is under 1 MB of Markdown; tagging
/// 2 MiB takes a few minutes of CPU on two cores.
pub const MAX_DOCUMENT_BYTES: usize = 2 << 20;
/// Default [`Settings::max_line_bytes`]: a paragraph is re-tagged whole after each edit.
pub const MAX_LINE_BYTES: usize = 100_000;

/// Default [`Settings::lab_report_files`]: file-name patterns (`*` any run of characters, `?`
/// one, case ignored; see `crate::labs`).
pub const DEFAULT_LAB_REPORT_FILES: [&str; 4] =
    ["*.lab.txt", "*.labs.txt", "*lab-report*", "*lab_report*"];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled_types: EntityType::BUILT_IN.to_vec(),
            confidence_threshold: 0.5,
            model_path: None,
            lexicon_path: None,
            corrections_path: None,
            debounce: Duration::from_millis(150),
            threads: None,
            uncertain_hints: false,
            max_document_bytes: MAX_DOCUMENT_BYTES,
            max_line_bytes: MAX_LINE_BYTES,
            lab_report_files: DEFAULT_LAB_REPORT_FILES
                .iter()
                .map(|p| p.to_string())
                .collect(),
            custom_types: Vec::new(),
        }
    }
}

impl Settings {
    /// Whether mentions of `t` are shown: an enabled built-in type, or a declared custom one.
    pub fn shows(&self, t: EntityType) -> bool {
        self.enabled_types.contains(&t) || self.custom(t).is_some()
    }

    /// The declaration of `t`, if the user declared it.
    pub fn custom(&self, t: EntityType) -> Option<&CustomType> {
        self.custom_types.iter().find(|c| c.entity_type == t)
    }

    /// The declared types, in legend-slot order.
    pub fn custom_entity_types(&self) -> Vec<EntityType> {
        self.custom_types.iter().map(|c| c.entity_type).collect()
    }

    /// The types a mention may be given in code actions: the built-in ones, then the user's.
    pub fn offered_types(&self) -> Vec<EntityType> {
        EntityType::BUILT_IN
            .iter()
            .copied()
            .chain(self.custom_entity_types())
            .collect()
    }

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
        if let Some(items) = raw.custom_types {
            let (types, mut messages) = custom_types(&items);
            next.custom_types = types;
            problems.append(&mut messages);
        }
        if let Some(names) = raw.enabled_types {
            let parsed: Result<Vec<EntityType>, _> =
                names.iter().map(|n| n.parse::<EntityType>()).collect();
            match parsed {
                Ok(types) => next.enabled_types = types,
                Err(e) => problems.push(format!(
                    "bioscope.enabledTypes: {e}; known types: {}",
                    EntityType::BUILT_IN.map(|t| t.name()).join(", ")
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
        if let Some(patterns) = raw.lab_report_files {
            match patterns
                .iter()
                .find(|p| p.trim().is_empty() || p.len() > 200 || p.contains('/'))
            {
                Some(bad) => problems.push(format!(
                    "bioscope.labReportFiles: {bad:?} is no file-name pattern (non-empty, at \
                     most 200 characters, no '/'; '*' and '?' are wildcards)"
                )),
                None => next.lab_report_files = patterns,
            }
        }
        let limit = crate::transport::MAX_MESSAGE_BYTES;
        for (name, value, field) in [
            (
                "maxDocumentBytes",
                raw.max_document_bytes,
                &mut next.max_document_bytes,
            ),
            ("maxLineBytes", raw.max_line_bytes, &mut next.max_line_bytes),
        ] {
            match value {
                Some(n) if (1..=limit).contains(&n) => *field = n,
                Some(n) => problems.push(format!(
                    "bioscope.{name} must be between 1 and {limit}, not {n}"
                )),
                None => {}
            }
        }
        (next, problems)
    }
}

/// The valid declarations among `items` (`{"name", "description"?, "color"?}`), and a message
/// for each refused one: a malformed item, a name that is not a type name or is a built-in
/// type's, a name declared twice, more than [`MAX_CUSTOM_TYPES`].
fn custom_types(items: &[serde_json::Value]) -> (Vec<CustomType>, Vec<String>) {
    let mut types: Vec<CustomType> = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("bioscope.customTypes[{i}]");
        let Some(name) = item.get("name").and_then(|n| n.as_str()) else {
            problems.push(format!(
                "{at}: expected {{\"name\": ..., \"description\": ..., \"color\": ...}} with a name"
            ));
            continue;
        };
        let description = match item.get("description") {
            None | Some(serde_json::Value::Null) => "",
            Some(d) => match d.as_str() {
                Some(d) => d,
                None => {
                    problems.push(format!("{at} ({name}): the description must be text"));
                    continue;
                }
            },
        };
        let color = match item.get("color") {
            None | Some(serde_json::Value::Null) => None,
            Some(c) => match c.as_str().filter(|c| is_hex_colour(c)) {
                Some(c) => Some(c.to_string()),
                None => {
                    problems.push(format!(
                        "{at} ({name}): the color must be written #rrggbb, not {c}"
                    ));
                    continue;
                }
            },
        };
        if types.len() == MAX_CUSTOM_TYPES {
            problems.push(format!(
                "{at} ({name}): at most {MAX_CUSTOM_TYPES} types of your own can be declared"
            ));
            continue;
        }
        match EntityType::define(name, description) {
            Ok(t) if types.iter().any(|c| c.entity_type == t) => {
                problems.push(format!("{at}: {name} is declared twice"));
            }
            Ok(entity_type) => types.push(CustomType {
                entity_type,
                description: description.to_string(),
                color,
            }),
            Err(e) => problems.push(format!("{at}: {e}")),
        }
    }
    (types, problems)
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit())
}

/// `path` made absolute (relative paths are under `base`), with the symbolic links of the part
/// that exists resolved and `.` and `..` applied; `None` for a relative path without a base.
pub fn resolve(path: &Path, base: Option<&Path>) -> Option<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base?.join(path)
    };
    let components: Vec<Component> = absolute.components().collect();
    for split in (1..=components.len()).rev() {
        let existing: PathBuf = components[..split].iter().collect();
        if let Ok(mut out) = existing.canonicalize() {
            for c in &components[split..] {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(name) => out.push(name),
                    _ => {}
                }
            }
            return Some(out);
        }
    }
    None
}

/// Whether `path` lies inside `folder` once both are [resolved](resolve).
pub fn is_inside(path: &Path, folder: &Path) -> bool {
    match (resolve(path, None), resolve(folder, None)) {
        (Some(path), Some(folder)) => path.starts_with(folder),
        _ => false,
    }
}

/// Where a client's settings may point the server at files on disk.
///
/// A client's settings can come from a workspace, so its paths are confined: `modelPath` and
/// `lexiconPath` to the workspace folder or to the folders that hold the model and lexicon the
/// server's command line named (machine settings reach the server that way);
/// `correctionsPath` to the workspace folder. Relative paths are under the workspace folder.
#[derive(Clone, Debug, Default)]
pub struct Confinement {
    pub workspace: Option<PathBuf>,
    /// Folders the command line chose.
    pub machine: Vec<PathBuf>,
}

impl Confinement {
    /// `next` with every path setting that changed from `previous` checked: a path outside
    /// where it may point is refused with a message and the previous value kept; the others
    /// are made absolute.
    pub fn apply(&self, previous: &Settings, mut next: Settings) -> (Settings, Vec<String>) {
        let mut problems = Vec::new();
        let workspace = self.workspace.as_deref();
        let anywhere: Vec<&Path> = workspace
            .into_iter()
            .chain(self.machine.iter().map(PathBuf::as_path))
            .collect();
        let checks = [
            (
                "modelPath",
                &mut next.model_path,
                &previous.model_path,
                anywhere.as_slice(),
            ),
            (
                "lexiconPath",
                &mut next.lexicon_path,
                &previous.lexicon_path,
                anywhere.as_slice(),
            ),
            (
                "correctionsPath",
                &mut next.corrections_path,
                &previous.corrections_path,
                workspace.as_slice(),
            ),
        ];
        for (name, value, old, allowed) in checks {
            let Some(path) = value.clone().filter(|p| Some(p) != old.as_ref()) else {
                continue;
            };
            let resolved = resolve(&path, workspace);
            match resolved {
                Some(resolved) if allowed.iter().any(|f| is_inside(&resolved, f)) => {
                    *value = Some(resolved);
                }
                _ => {
                    *value = old.clone();
                    let places: Vec<String> =
                        allowed.iter().map(|f| f.display().to_string()).collect();
                    problems.push(format!(
                        "bioscope.{name} {} ignored: settings may only name paths inside {} \
                         (anything else goes on the server's command line, from a machine setting)",
                        path.display(),
                        if places.is_empty() {
                            "a workspace folder, and none is open".to_string()
                        } else {
                            places.join(" or ")
                        }
                    ));
                }
            }
        }
        (next, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_types_are_declared_item_by_item() {
        let (s, problems) = Settings::default().updated(&json!({"bioscope": {"customTypes": [
            {"name": "Organ", "description": "organs and tissues", "color": "#aa5500"},
            {"name": "gene"},
            {"name": "2nd"},
            {"description": "no name"},
            {"name": "organ"},
            {"name": "Assay", "color": "teal"},
            {"name": "Device"}
        ], "confidenceThreshold": 0.6}}));
        let names: Vec<&str> = s
            .custom_types
            .iter()
            .map(|c| c.entity_type.name())
            .collect();
        assert_eq!(names, ["Organ", "Device"]);
        assert_eq!(s.custom_types[0].description, "organs and tissues");
        assert_eq!(s.custom_types[0].color.as_deref(), Some("#aa5500"));
        assert_eq!(
            s.confidence_threshold, 0.6,
            "the other settings still apply"
        );
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].contains("[1]") && problems[0].contains("built-in type Gene"));
        assert!(problems[1].contains("begin with an ASCII letter"));
        assert!(problems[2].contains("with a name"));
        assert!(problems[3].contains("declared twice"));
        assert!(problems[4].contains("#rrggbb"));
        let organ = s.custom_types[0].entity_type;
        assert!(s.shows(organ) && s.shows(EntityType::Gene));
        assert_eq!(s.offered_types().len(), EntityType::BUILT_IN.len() + 2);

        let many: Vec<_> = (0..10)
            .map(|i| json!({"name": format!("Kind{i}")}))
            .collect();
        let (s, problems) = s.updated(&json!({"customTypes": many}));
        assert_eq!(s.custom_types.len(), MAX_CUSTOM_TYPES);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(!s.shows(organ), "no longer declared");
    }

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

        let (labs, problems) = s.updated(&json!({"labReportFiles": ["*.results"]}));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(labs.lab_report_files, ["*.results"]);
        let (kept, problems) = labs.updated(&json!({"labReportFiles": ["reports/*.txt"]}));
        assert!(problems[0].contains("labReportFiles"), "{problems:?}");
        assert_eq!(kept.lab_report_files, ["*.results"], "kept");
    }

    #[test]
    fn paths_in_settings_are_confined_to_the_workspace_or_the_machine_folders() {
        let workspace = tempfile::tempdir().unwrap();
        let machine = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let confinement = Confinement {
            workspace: Some(workspace.path().to_path_buf()),
            machine: vec![machine.path().to_path_buf()],
        };
        let base = Settings::default();
        let (s, problems) = base.updated(&json!({
            "modelPath": "models/mine", "lexiconPath": machine.path().join("lexicon"),
            "correctionsPath": "notes/decisions.jsonl"
        }));
        assert!(problems.is_empty());
        let (s, problems) = confinement.apply(&base, s);
        assert!(problems.is_empty(), "{problems:?}");
        let ws = workspace.path().canonicalize().unwrap();
        assert_eq!(s.model_path, Some(ws.join("models/mine")));
        assert_eq!(s.corrections_path, Some(ws.join("notes/decisions.jsonl")));
        // Outside, `..` out of the workspace, a link out of it, corrections in a machine
        // folder: refused, the previous value kept.
        #[cfg(unix)]
        std::os::unix::fs::symlink(elsewhere.path(), workspace.path().join("link")).unwrap();
        for (key, value) in [
            ("modelPath", elsewhere.path().to_path_buf()),
            ("modelPath", PathBuf::from("../../../../etc")),
            ("lexiconPath", PathBuf::from("link/lexicon")),
            ("correctionsPath", machine.path().join("c.jsonl")),
            ("correctionsPath", PathBuf::from("link/c.jsonl")),
        ] {
            let (next, problems) = s.updated(&json!({ key: value }));
            assert!(problems.is_empty());
            let (next, problems) = confinement.apply(&s, next);
            assert_eq!(next, s, "{key} {value:?}");
            assert_eq!(problems.len(), 1, "{key} {value:?}");
            assert!(problems[0].contains("ignored"), "{problems:?}");
        }
        // Without a workspace, only the machine folders.
        let none = Confinement {
            workspace: None,
            machine: vec![machine.path().to_path_buf()],
        };
        let (next, _) = base.updated(&json!({"correctionsPath": "/tmp/c.jsonl"}));
        assert_eq!(none.apply(&base, next).0.corrections_path, None);
    }
}
