//! Where the server keeps what the user decides: the corrections file and the models retrained
//! from it. With a workspace folder, its `.bioscope` folder; with a file opened on its own (no
//! folder, no root marker), the user's data folder, so that corrections work anywhere.
//!
//! Only the user chooses a place outside the workspace: the server's command line
//! (`--corrections`, passed by the editor from the user's own settings) or the environment
//! (`XDG_DATA_HOME`, `HOME`). A workspace's settings stay confined to the workspace
//! ([`crate::settings::Confinement`]).

use std::path::{Path, PathBuf};

/// The folder that holds `corrections.jsonl` and `models/` when nothing else is named.
#[derive(Clone, Debug, PartialEq)]
pub enum DecisionFolder {
    /// `<root>/.bioscope`; nothing in it may lead outside the workspace root.
    Workspace(PathBuf),
    /// The user's data folder (no workspace folder is open).
    User(PathBuf),
}

impl DecisionFolder {
    /// The folder itself.
    pub fn dir(&self) -> PathBuf {
        match self {
            DecisionFolder::Workspace(root) => {
                root.join(bioscope_core::workspace_models::BIOSCOPE_DIR)
            }
            DecisionFolder::User(dir) => dir.clone(),
        }
    }

    /// What the folder's contents must stay inside (a link out of it is refused).
    pub fn boundary(&self) -> &Path {
        match self {
            DecisionFolder::Workspace(root) | DecisionFolder::User(root) => root,
        }
    }
}

/// The user's data folder for BioScope: `$XDG_DATA_HOME/bioscope`, else
/// `$HOME/.local/share/bioscope` (`%APPDATA%\bioscope` on Windows); `None` without any of them.
pub fn user_data_folder() -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute("XDG_DATA_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local").join("share")))
        .or_else(|| absolute("APPDATA"))
        .map(|base| base.join("bioscope"))
}

/// Who chose where corrections are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChosenBy {
    /// The workspace's `bioscope.correctionsPath` (inside the workspace).
    Setting,
    /// The server's `--corrections` (the user's own settings, through the editor).
    CommandLine,
    /// `.bioscope/corrections.jsonl` in the workspace folder.
    Workspace,
    /// `corrections.jsonl` in the user's data folder: no workspace folder is open.
    UserData,
}

impl ChosenBy {
    /// A short phrase for status reports: "where" and "why there".
    pub fn describe(self) -> &'static str {
        match self {
            ChosenBy::Setting => "bioscope.correctionsPath",
            ChosenBy::CommandLine => "the server's --corrections",
            ChosenBy::Workspace => "the workspace folder",
            ChosenBy::UserData => "your data folder, as no workspace folder is open",
        }
    }

    /// The name status reports carry (`correctionsChosenBy`).
    pub fn key(self) -> &'static str {
        match self {
            ChosenBy::Setting => "setting",
            ChosenBy::CommandLine => "commandLine",
            ChosenBy::Workspace => "workspace",
            ChosenBy::UserData => "userData",
        }
    }
}

/// The corrections file and who chose it, in order: the workspace's setting (already made
/// absolute and confined), the command line, the decision folder.
pub fn corrections_store(
    setting: Option<&Path>,
    command_line: Option<&Path>,
    folder: Option<&DecisionFolder>,
) -> Option<(PathBuf, ChosenBy)> {
    if let Some(p) = setting {
        return Some((p.to_path_buf(), ChosenBy::Setting));
    }
    if let Some(p) = command_line {
        return Some((p.to_path_buf(), ChosenBy::CommandLine));
    }
    let folder = folder?;
    let chosen_by = match folder {
        DecisionFolder::Workspace(_) => ChosenBy::Workspace,
        DecisionFolder::User(_) => ChosenBy::UserData,
    };
    Some((folder.dir().join("corrections.jsonl"), chosen_by))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_wins_then_the_command_line_then_the_folder() {
        let ws = DecisionFolder::Workspace(PathBuf::from("/w"));
        let user = DecisionFolder::User(PathBuf::from("/home/u/.local/share/bioscope"));
        let setting = Path::new("/w/notes/c.jsonl");
        let flag = Path::new("/home/u/c.jsonl");
        assert_eq!(
            corrections_store(Some(setting), Some(flag), Some(&ws)),
            Some((setting.to_path_buf(), ChosenBy::Setting))
        );
        assert_eq!(
            corrections_store(None, Some(flag), Some(&ws)),
            Some((flag.to_path_buf(), ChosenBy::CommandLine))
        );
        assert_eq!(
            corrections_store(None, None, Some(&ws)),
            Some((
                PathBuf::from("/w/.bioscope/corrections.jsonl"),
                ChosenBy::Workspace
            ))
        );
        assert_eq!(
            corrections_store(None, None, Some(&user)),
            Some((
                PathBuf::from("/home/u/.local/share/bioscope/corrections.jsonl"),
                ChosenBy::UserData
            ))
        );
        assert_eq!(corrections_store(None, None, None), None);
        assert_eq!(ws.boundary(), Path::new("/w"));
        assert_eq!(ws.dir(), PathBuf::from("/w/.bioscope"));
    }
}
