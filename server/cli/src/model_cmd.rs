//! `bioscope model list|use|rollback`: the bundles a workspace fine-tuned from its corrections
//! (`.bioscope/models/`), and which one the language server uses there.

use std::path::Path;

use anyhow::Result;
use bioscope_core::workspace_models::{WorkspaceModels, DEFAULT};

/// Prints the workspace's bundles, marking the current one.
pub fn list(workspace: &Path) -> Result<()> {
    let models = WorkspaceModels::new(workspace);
    let bundles = models.bundles()?;
    let current = models.current();
    let mark = |is: bool| if is { "*" } else { " " };
    println!(
        "{} {DEFAULT} (the server's own model)",
        mark(current.is_none())
    );
    for b in &bundles {
        let summary = match &b.manifest {
            Ok(m) => match &m.finetune {
                Some(f) => format!(
                    "{}, fine-tuned from {} on {} corrections",
                    m.name, f.base_name, f.corrections
                ),
                None => m.name.clone(),
            },
            Err(e) => format!("unreadable: {e}"),
        };
        println!(
            "{} {}  {summary}",
            mark(current.as_deref() == Some(&b.path)),
            b.name
        );
    }
    if bundles.is_empty() {
        println!(
            "  (no fine-tuned bundles in {} yet: retrain from the editor)",
            models.dir().display()
        );
    }
    Ok(())
}

/// Makes a bundle (or `default`) current; the server picks it up when it starts.
pub fn use_bundle(workspace: &Path, name: &str) -> Result<()> {
    WorkspaceModels::new(workspace).use_bundle(name)?;
    println!("now using {name}; restart the language server (or reload the editor) to switch");
    Ok(())
}

/// Goes back to the bundle used before.
pub fn rollback(workspace: &Path) -> Result<()> {
    let now = WorkspaceModels::new(workspace).rollback()?;
    println!(
        "rolled back to {}; restart the language server (or reload the editor) to switch",
        now.as_deref().unwrap_or(DEFAULT)
    );
    Ok(())
}
