//! A real editor: headless Neovim 0.11 with the plugin in editors/nvim starts `bioscope lsp`,
//! and the test reads back the highlights and the hover text a user would see.

use std::process::Command;

use bioscope_core::export::ExportFormat;
use bioscope_core::EntityType;
use bioscope_lsp::semantic_tokens::{CUSTOM_TOKEN_TYPES, LAB_TOKEN_TYPES};
use bioscope_tests::{fixture, neovim, ort_library, repo_root, shipped_model};
use serde_json::Value;

/// Headless Neovim running the probe `script` (a fixture) on `doc` with the plugin, the built
/// server and the shipped model; the probe writes what it saw to `out`.
fn probe(script: &str, doc: &std::path::Path, out: &std::path::Path) -> Command {
    let mut nvim = Command::new(neovim());
    nvim.args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", fixture(script).display()))
        .env("BIOSCOPE_PLUGIN", repo_root().join("editors/nvim"))
        .env("BIOSCOPE_BIN", env!("CARGO_BIN_EXE_bioscope"))
        .env("BIOSCOPE_MODEL_DIR", shipped_model())
        .env("BIOSCOPE_DOC", doc)
        .env("BIOSCOPE_TEST_OUT", out)
        .env("ORT_DYLIB_PATH", ort_library());
    // Neovim's own state (swap files, logs) beside the test's files, not in the user's home:
    // tests running at once would otherwise race to create ~/.local/state/nvim on a new
    // machine (E303, and the probe never finishes).
    if let Some(dir) = out.parent() {
        nvim.env("XDG_STATE_HOME", dir.join("nvim-state"))
            .env("XDG_CACHE_HOME", dir.join("nvim-cache"));
    }
    nvim
}

#[test]
fn neovim_shows_entity_highlights_and_hovers() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("paper.md");
    let text = "# Results\n\nPatients with Wilson disease carry ATP7B mutations.\n\n```\nWilson disease\n```\n";
    std::fs::write(&doc, text).unwrap();
    let out = dir.path().join("seen.json");
    // The workspace root (for the corrections store).
    std::fs::create_dir(dir.path().join(".bioscope")).unwrap();
    // (row, col), 0-based: inside "Wilson disease" in prose, inside "ATP7B", inside the code
    // block, on "carry" (the prose line is ASCII, so bytes are UTF-16 columns).
    let prose = text.lines().nth(2).unwrap();
    let col = |word: &str, into: usize| prose.find(word).unwrap() + into;
    let wilson = (2, col("Wilson", 4));
    let atp7b = (2, col("ATP7B", 2));
    let code = (5, 3);
    let plain = (2, col("carry", 1));
    let positions = [wilson, atp7b, code, plain]
        .map(|(r, c)| format!("{r}:{c}"))
        .join(",");
    let status = probe("neovim_probe.lua", &doc, &out)
        .env("BIOSCOPE_POSITIONS", positions)
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "nvim exited with {status}");
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(seen["filetype"], "markdown");
    assert_eq!(seen["attached"], true, "{seen}");
    assert_eq!(seen["highlighted"], true, "{seen}");
    let at = |i: usize| -> Vec<String> {
        seen["positions"][i]
            .as_array()
            .map(|a| a.iter().map(|g| g.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert!(
        at(0).contains(&"@lsp.type.disease.markdown".to_string()),
        "{seen}"
    );
    assert!(
        at(1).contains(&"@lsp.type.gene.markdown".to_string()),
        "{seen}"
    );
    assert!(at(2).is_empty(), "nothing in the code block: {seen}");
    // A code action round trip: "Not an entity" on ATP7B removes its highlight and is stored.
    assert_eq!(seen["rejected"], true, "{seen}");
    assert_eq!(seen["corrections"], true, "{seen}");
    // :BioscopeNextUncertain lands on an uncertain mention.
    let groups = seen["uncertain_groups"].to_string();
    assert!(groups.contains("@lsp.mod.uncertain"), "{seen}");
    // The plugin has a highlight group for each token type of the server's legend, no more.
    let groups = seen["token_groups"].as_object().expect("token groups");
    assert_eq!(
        groups.len(),
        EntityType::BUILT_IN_TABLE.len() + LAB_TOKEN_TYPES.len() + CUSTOM_TOKEN_TYPES.len(),
        "{seen}"
    );
    for row in EntityType::BUILT_IN_TABLE {
        assert_eq!(
            groups.get(row.token).and_then(Value::as_str),
            Some(format!("Bioscope{}", row.name).as_str()),
            "{row:?}: {seen}"
        );
    }
    for token in LAB_TOKEN_TYPES.into_iter().chain(CUSTOM_TOKEN_TYPES) {
        let group = groups
            .get(token)
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert!(
            group.eq_ignore_ascii_case(&format!("Bioscope{token}")),
            "{token}: {seen}"
        );
    }
    // :BioscopeExport offers the server's export formats, each to a file with its suffix.
    let paths = seen["export_paths"].as_object().expect("export paths");
    assert_eq!(paths.len(), ExportFormat::ALL.len(), "{seen}");
    for f in ExportFormat::ALL {
        assert_eq!(
            paths.get(f.name()).and_then(Value::as_str),
            Some(format!("/ws/paper{}", f.suffix()).as_str()),
            "{f:?}: {seen}"
        );
    }
    // :BioscopeExport writes the entities with identifiers.
    let exported = seen["exported"].as_str().unwrap();
    assert!(
        exported.contains("Wilson disease\tDisease\tMESH:D006527"),
        "{seen}"
    );
    assert!(
        !exported.contains("ATP7B\tGene"),
        "the rejected mention is not exported: {seen}"
    );
    // The rejection, exported as the paragraph's words with their labels.
    let conll = seen["corrections_conll"].as_str().unwrap();
    assert!(conll.contains("ATP7B\tO"), "{seen}");
    assert!(
        seen["statusline"]
            .as_str()
            .unwrap()
            .contains("bioscope-union"),
        "{seen}"
    );
    let health = seen["health"].as_str().unwrap();
    for expected in [
        "OK server binary",
        "OK ONNX Runtime library",
        "OK model loaded: bioscope-union",
        "OK lexicon loaded",
    ] {
        assert!(
            health.contains(expected),
            "{expected} missing from :checkhealth: {health}"
        );
    }
    assert!(at(3).is_empty(), "nothing on a plain word: {seen}");
    let hover = seen["hover"].as_str().unwrap_or_default();
    assert!(
        hover.contains("**Disease**") && hover.contains("Wilson disease"),
        "{seen}"
    );
    assert_eq!(
        seen["messages"],
        serde_json::json!([]),
        "no warnings: {seen}"
    );
}

/// A 256-colour terminal and a file opened without a folder: every type keeps its own colour,
/// and a correction is stored where the plugin's setup said, which :checkhealth reports.
#[test]
fn neovim_in_a_plain_terminal_without_a_folder_colours_and_stores_corrections() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("notes.md");
    let text = "Patients with Wilson disease carry ATP7B mutations.\n";
    std::fs::write(&doc, text).unwrap();
    let out = dir.path().join("seen.json");
    let corrections = dir.path().join("elsewhere/decisions.jsonl");
    let position = format!("0:{}", text.find("Wilson").unwrap() + 3);
    let status = probe("neovim_plain_terminal.lua", &doc, &out)
        .env("BIOSCOPE_POSITION", position)
        .env("BIOSCOPE_CORRECTIONS", &corrections)
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "nvim exited with {status}");
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(seen["highlighted"], true, "{seen}");
    assert_eq!(seen["workspace_folders"], 0, "no root marker: {seen}");
    let cterm = seen["cterm"].as_object().expect("cterm colours");
    let mut colours: Vec<u64> = cterm
        .values()
        .map(|v| {
            v.as_u64()
                .unwrap_or_else(|| panic!("no cterm colour: {seen}"))
        })
        .collect();
    colours.sort_unstable();
    colours.dedup();
    // Every entity type and every slot of one's own types has its own colour (lab-report
    // types may share the entity types': a report shows no entities).
    assert_eq!(
        colours.len(),
        EntityType::BUILT_IN_TABLE.len() + CUSTOM_TOKEN_TYPES.len(),
        "distinct: {seen}"
    );
    assert_eq!(seen["rejected"], true, "{seen}");
    assert_eq!(seen["stored"], true, "{seen}");
    let record = std::fs::read_to_string(&corrections).unwrap();
    assert!(record.contains("\"action\":\"reject\""), "{record}");
    let health = seen["health"].as_str().unwrap();
    let expected = format!("OK corrections (1) kept in {}", corrections.display());
    assert!(health.contains(&expected), "{expected} missing: {health}");
}
