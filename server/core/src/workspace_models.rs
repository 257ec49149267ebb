//! A workspace's own model bundles, fine-tuned from its corrections: `.bioscope/models/<name>/`,
//! and `.bioscope/models/history`, the names made current, newest last (`default` for the
//! server's own model). `bioscope model list|use|rollback` and the language server share this.
//!
//! Names are single path components (no separators, no `..`), so a history line can never point
//! outside the models folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::bundle::Manifest;

/// The workspace's BioScope folder (corrections, models), relative to its root.
pub const BIOSCOPE_DIR: &str = ".bioscope";
/// Where bundles live, relative to the workspace root.
pub const MODELS_DIR: &str = ".bioscope/models";
const HISTORY_FILE: &str = "history";
/// The history entry meaning "the server's own model".
pub const DEFAULT: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceModelsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no bundle named `{0}` in the workspace's models (see `bioscope model list`)")]
    Unknown(String),
    #[error("`{0}` is not a bundle name: names are single folder names under {MODELS_DIR}")]
    BadName(String),
    #[error("nothing to roll back: the workspace already uses the default model")]
    NothingToRollBack,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> WorkspaceModelsError + '_ {
    move |source| WorkspaceModelsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One bundle folder and its manifest (or why it does not read).
#[derive(Debug)]
pub struct WorkspaceBundle {
    pub name: String,
    pub path: PathBuf,
    pub manifest: Result<Manifest, String>,
}

pub struct WorkspaceModels {
    dir: PathBuf,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && name != HISTORY_FILE
}

impl WorkspaceModels {
    pub fn new(root: &Path) -> Self {
        WorkspaceModels {
            dir: root.join(MODELS_DIR),
        }
    }

    /// The bundles in `folder/models`, for a folder laid out like a workspace's `.bioscope`
    /// (the language server's per-user folder when no workspace folder is open).
    pub fn in_folder(folder: &Path) -> Self {
        WorkspaceModels {
            dir: folder.join("models"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bundle folders, oldest first (names start with their creation time).
    pub fn bundles(&self) -> Result<Vec<WorkspaceBundle>, WorkspaceModelsError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&self.dir)(e)),
        };
        let mut bundles: Vec<WorkspaceBundle> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join("manifest.json").is_file())
            // A trainer's staging folders (`NAME.tmp-PID`, `NAME.old-PID`) are not bundles.
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                !name.contains(".tmp-") && !name.contains(".old-")
            })
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let path = e.path();
                let manifest = Manifest::read(&path)
                    .map(|(m, _)| m)
                    .map_err(|e| e.to_string());
                Some(WorkspaceBundle {
                    name,
                    path,
                    manifest,
                })
            })
            .collect();
        bundles.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(bundles)
    }

    /// The names made current, oldest first (unreadable or invalid lines are skipped).
    pub fn history(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join(HISTORY_FILE))
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| *l == DEFAULT || valid_name(l))
            .map(str::to_string)
            .collect()
    }

    /// The folder of the current bundle; `None` for the default model (also when the bundle the
    /// history names was deleted).
    pub fn current(&self) -> Option<PathBuf> {
        let name = self.history().pop()?;
        let path = self.dir.join(&name);
        (name != DEFAULT && path.join("manifest.json").is_file() && self.holds(&path))
            .then_some(path)
    }

    /// Whether `path` really is inside the models folder: a bundle folder that is a symbolic
    /// link to somewhere else is not (a workspace's files cannot point the server elsewhere).
    fn holds(&self, path: &Path) -> bool {
        match (path.canonicalize(), self.dir.canonicalize()) {
            (Ok(path), Ok(dir)) => path.starts_with(dir),
            _ => false,
        }
    }

    /// Makes `name` (a bundle here, or [`DEFAULT`]) current.
    pub fn use_bundle(&self, name: &str) -> Result<(), WorkspaceModelsError> {
        if name != DEFAULT {
            if !valid_name(name) {
                return Err(WorkspaceModelsError::BadName(name.to_string()));
            }
            if !self.dir.join(name).join("manifest.json").is_file() {
                return Err(WorkspaceModelsError::Unknown(name.to_string()));
            }
        }
        std::fs::create_dir_all(&self.dir).map_err(io_error(&self.dir))?;
        let path = self.dir.join(HISTORY_FILE);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_error(&path))?;
        // One write of a short line: appends from two processes do not interleave.
        file.write_all(format!("{name}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io_error(&path))
    }

    /// Goes back to the bundle current before the last change; returns its name (`None`: the
    /// default model). The history is rewritten whole (temporary file, then rename).
    pub fn rollback(&self) -> Result<Option<String>, WorkspaceModelsError> {
        let mut history = self.history();
        if history
            .pop()
            .is_none_or(|last| last == DEFAULT && history.is_empty())
        {
            return Err(WorkspaceModelsError::NothingToRollBack);
        }
        let path = self.dir.join(HISTORY_FILE);
        let tmp = self
            .dir
            .join(format!("{HISTORY_FILE}.tmp-{}", std::process::id()));
        let text: String = history.iter().map(|n| format!("{n}\n")).collect();
        std::fs::write(&tmp, text).map_err(io_error(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_error(&path))?;
        Ok(history.pop().filter(|n| n != DEFAULT))
    }

    /// A new, unused folder path for a bundle fine-tuned from `base` (named by the time now).
    pub fn new_bundle_path(&self, base: &str) -> PathBuf {
        let stamp: String = crate::corrections::now_rfc3339()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let base: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut path = self.dir.join(format!("{stamp}-{base}"));
        let mut n = 2;
        while path.exists() {
            path = self.dir.join(format!("{stamp}-{base}-{n}"));
            n += 1;
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_bundle(models: &WorkspaceModels, name: &str) {
        let dir = models.dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("manifest.json"), "{}").unwrap();
    }

    #[test]
    fn use_and_rollback_walk_the_history() {
        let root = tempfile::tempdir().unwrap();
        let models = WorkspaceModels::new(root.path());
        assert_eq!(models.current(), None);
        assert!(models.bundles().unwrap().is_empty());
        assert!(matches!(
            models.rollback(),
            Err(WorkspaceModelsError::NothingToRollBack)
        ));
        assert!(matches!(
            models.use_bundle("missing"),
            Err(WorkspaceModelsError::Unknown(_))
        ));
        assert!(matches!(
            models.use_bundle("../elsewhere"),
            Err(WorkspaceModelsError::BadName(_))
        ));
        fake_bundle(&models, "a");
        fake_bundle(&models, "b");
        fake_bundle(&models, "c.tmp-123");
        models.use_bundle("a").unwrap();
        models.use_bundle("b").unwrap();
        assert_eq!(models.current(), Some(models.dir().join("b")));
        let listed: Vec<String> = models
            .bundles()
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(listed, ["a", "b"]);
        assert_eq!(models.rollback().unwrap(), Some("a".to_string()));
        assert_eq!(models.current(), Some(models.dir().join("a")));
        assert_eq!(models.rollback().unwrap(), None);
        assert_eq!(models.current(), None);
        models.use_bundle(DEFAULT).unwrap();
        assert_eq!(models.current(), None);
        // A deleted bundle falls back to the default model.
        models.use_bundle("b").unwrap();
        std::fs::remove_dir_all(models.dir().join("b")).unwrap();
        assert_eq!(models.current(), None);
    }

    #[test]
    fn a_history_line_cannot_point_outside_the_models_folder() {
        let root = tempfile::tempdir().unwrap();
        let models = WorkspaceModels::new(root.path());
        std::fs::create_dir_all(models.dir()).unwrap();
        let outside = root.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("manifest.json"), "{}").unwrap();
        std::fs::write(
            models.dir().join(HISTORY_FILE),
            format!("../outside\n{}\n", outside.display()),
        )
        .unwrap();
        assert!(models.history().is_empty());
        assert_eq!(models.current(), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_bundle_linked_from_outside_is_not_used() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("manifest.json"), "{}").unwrap();
        let models = WorkspaceModels::new(root.path());
        fake_bundle(&models, "inside");
        std::os::unix::fs::symlink(outside.path(), models.dir().join("linked")).unwrap();
        std::fs::write(models.dir().join(HISTORY_FILE), "inside\nlinked\n").unwrap();
        assert_eq!(models.current(), None, "the link is refused");
        std::fs::write(models.dir().join(HISTORY_FILE), "linked\ninside\n").unwrap();
        assert_eq!(models.current(), Some(models.dir().join("inside")));
    }

    #[test]
    fn new_bundle_paths_are_unused_and_plain() {
        let root = tempfile::tempdir().unwrap();
        let models = WorkspaceModels::new(root.path());
        let first = models.new_bundle_path("bioscope union/x");
        let name = first.file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.ends_with("-bioscope_union_x"), "{name}");
        assert!(valid_name(&name));
        std::fs::create_dir_all(&first).unwrap();
        assert_ne!(models.new_bundle_path("bioscope union/x"), first);
    }
}
