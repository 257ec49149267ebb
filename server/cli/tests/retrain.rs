//! The learning loop end to end: corrections made over LSP → `bioscope.retrain` (the real
//! `bioscope-train finetune` as the server's child process, on a tiny model so it runs in
//! seconds) → the server switches to the new bundle, whose own predictions follow the
//! corrections; the choice survives a restart and `bioscope model rollback` undoes it.

use std::path::{Path, PathBuf};
use std::process::Command;

use bioscope_tests::lsp_client::LspClient;
use bioscope_tests::{ort_library, trained_tiny_run};
use bioscope_train::export::{export_bundle, ExportOptions};
use serde_json::{json, Value};

const PARAGRAPH: &str = "mice with breast cancer were given aspirin .";

fn bioscope() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bioscope"))
}

/// `bioscope-train`, built beside `bioscope` (by `cargo test --workspace`, else built here).
fn trainer_binary() -> PathBuf {
    let path = bioscope().with_file_name("bioscope-train");
    if !path.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--locked", "-p", "bioscope-train"])
            .status()
            .unwrap();
        assert!(status.success(), "cannot build bioscope-train");
    }
    assert!(path.is_file(), "{} missing", path.display());
    path
}

/// A trainer command with settings a tiny model learns from in seconds, as a user's own
/// `--trainer` wrapper script would pass them (`extra`: more flags).
fn tiny_trainer(dir: &Path, extra: &str) -> PathBuf {
    let script = dir.join("tiny-trainer.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec '{}' \"$@\" --epochs 40 --trained-layers 1 --lr 3e-3 --head-lr 1e-2 --paragraph-repeats 4 {extra}\n",
            trainer_binary().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

fn start(model: &Path, trainer: &Path) -> LspClient {
    LspClient::start(
        bioscope(),
        &[
            "lsp",
            "--threads",
            "1",
            "--model",
            model.to_str().unwrap(),
            "--trainer",
            trainer.to_str().unwrap(),
        ],
        &[("ORT_DYLIB_PATH", &ort_library())],
    )
}

fn initialize(client: &mut LspClient, root: &str) {
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": root,
               "capabilities": {"window": {"workDoneProgress": true}}}),
    );
    client.notify("initialized", json!({}));
}

fn command(client: &mut LspClient, name: &str, argument: Value) -> Value {
    client.request(
        "workspace/executeCommand",
        json!({"command": name, "arguments": [argument]}),
    )
}

/// Runs the code action with this title on `mention` in PARAGRAPH.
fn act(client: &mut LspClient, uri: &str, mention: &str, title: &str) {
    act_in(client, uri, PARAGRAPH, mention, title)
}

/// Runs the code action with this title on the first `mention` of the one-line `text`.
fn act_in(client: &mut LspClient, uri: &str, text: &str, mention: &str, title: &str) {
    let start = text.find(mention).unwrap() as u64;
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": start},
               "end": {"line": 0, "character": start + mention.len() as u64}},
               "context": {"diagnostics": []}}),
    );
    let action = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no action {title}: {actions}"))
        .clone();
    let done = command(
        client,
        action["command"]["command"].as_str().unwrap(),
        action["command"]["arguments"][0].clone(),
    );
    assert!(done.get("error").is_none(), "{done}");
}

/// The model's own mentions of the paragraph (no lexicon, no decisions): (text, type).
fn model_mentions(model: &Path, dir: &Path) -> Vec<(String, String)> {
    model_mentions_of(model, dir, PARAGRAPH)
}

/// The model's own mentions of `text` (no lexicon, no decisions): (text, type).
fn model_mentions_of(model: &Path, dir: &Path, text: &str) -> Vec<(String, String)> {
    let file = dir.join("probe.txt");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(bioscope())
        .args([
            "tag",
            "--format",
            "json",
            "--no-lexicon",
            "--threads",
            "1",
            "--model",
        ])
        .arg(model)
        .arg(&file)
        .env("ORT_DYLIB_PATH", ort_library())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["text"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A tiny base bundle and an empty workspace with one document, `paper.txt` (PARAGRAPH).
struct Setup {
    dir: tempfile::TempDir,
    base: PathBuf,
    workspace: PathBuf,
    root: String,
    uri: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("tiny-bundle");
    let run = trained_tiny_run(&dir.path().join("run"));
    export_bundle(&run, &base, &ExportOptions { int8: true }).unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let root = format!("file://{}", workspace.display());
    let uri = format!("{root}/paper.txt");
    Setup {
        dir,
        base,
        workspace,
        root,
        uri,
    }
}

/// A server on the tiny base in the workspace, with the document open.
fn serve(s: &Setup, trainer: &Path) -> LspClient {
    let mut client = start(&s.base, trainer);
    initialize(&mut client, &s.root);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": s.uri, "languageId": "plaintext", "version": 1, "text": PARAGRAPH}}),
    );
    client
}

/// Starts a retraining without waiting; returns the request id and the progress token once the
/// trainer has staged its bundle and pauses before publishing it.
fn retrain_until_staged(client: &mut LspClient) -> (i64, Value) {
    let id = client.send_request(
        "workspace/executeCommand",
        json!({"command": "bioscope.retrain", "arguments": [{}]}),
    );
    let report = client.wait_for(|m| {
        m["method"] == "$/progress"
            && m["params"]["value"]["message"]
                .as_str()
                .is_some_and(|s| s.contains("before publishing"))
    });
    (id, report["params"]["token"].clone())
}

/// `bioscope model list` in the workspace.
fn model_list(workspace: &Path) -> String {
    let listed = Command::new(bioscope())
        .args(["model", "list", "--workspace"])
        .arg(workspace)
        .output()
        .unwrap();
    String::from_utf8_lossy(&listed.stdout).to_string()
}

#[test]
fn corrections_retrain_the_model_and_the_server_switches_to_it() {
    let s = setup();
    let (base, workspace, root, uri) = (&s.base, &s.workspace, &s.root, &s.uri);
    let before = model_mentions(base, s.dir.path());
    assert!(
        before.contains(&("breast cancer".into(), "Disease".into())),
        "the tiny model tags the disease to begin with: {before:?}"
    );
    assert!(!before.iter().any(|(t, _)| t == "aspirin"), "{before:?}");

    let trainer = tiny_trainer(s.dir.path(), "");
    let mut client = serve(&s, &trainer);
    act(
        &mut client,
        uri,
        "breast cancer",
        "Not an entity: “breast cancer”",
    );
    act(&mut client, uri, "aspirin", "Tag “aspirin” as Gene");

    let retrained = command(&mut client, "bioscope.retrain", json!({}));
    let result = &retrained["result"];
    assert!(retrained.get("error").is_none(), "{retrained}");
    assert_eq!(result["corrections"], 2, "{result}");
    let bundle = PathBuf::from(result["bundle"].as_str().unwrap());
    assert!(
        bundle.starts_with(workspace.join(".bioscope/models")),
        "{result}"
    );
    // Progress was reported, and the status bar heard about it.
    let kinds: Vec<&str> = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "$/progress")
        .filter_map(|m| m["params"]["value"]["kind"].as_str())
        .collect();
    assert_eq!(kinds.first(), Some(&"begin"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"end"), "{kinds:?}");
    assert!(client
        .notifications
        .iter()
        .any(|m| m["method"] == "bioscope/status" && m["params"]["activity"] == "retraining"));
    let status = command(&mut client, "bioscope.status", json!({}))["result"].clone();
    assert_eq!(status["modelDir"], bundle.display().to_string(), "{status}");

    // The new model itself now follows the corrections.
    let after = model_mentions(&bundle, s.dir.path());
    assert!(
        !after.iter().any(|(t, _)| t == "breast cancer"),
        "rejected: {after:?}"
    );
    assert!(
        after.contains(&("aspirin".into(), "Gene".into())),
        "tagged: {after:?}"
    );
    assert_eq!(client.shutdown(), Some(0));

    // A restart in the same workspace uses the retrained bundle; a rollback goes back.
    let mut client = start(base, &trainer);
    initialize(&mut client, root);
    let status = command(&mut client, "bioscope.status", json!({}))["result"].clone();
    assert_eq!(status["modelDir"], bundle.display().to_string(), "{status}");
    assert_eq!(client.shutdown(), Some(0));
    let listed = model_list(workspace);
    let name = bundle.file_name().unwrap().to_str().unwrap();
    assert!(
        listed.contains(&format!("* {name}")) && listed.contains("on 2 corrections"),
        "{listed}"
    );
    let rolled = Command::new(bioscope())
        .args(["model", "rollback", "--workspace"])
        .arg(workspace)
        .status()
        .unwrap();
    assert!(rolled.success());
    let mut client = start(base, &trainer);
    initialize(&mut client, root);
    let status = command(&mut client, "bioscope.status", json!({}))["result"].clone();
    assert_eq!(status["modelDir"], base.display().to_string(), "{status}");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_cancelled_retraining_leaves_no_bundle_and_the_old_model_serving() {
    let s = setup();
    // The trainer waits, its bundle staged, before publishing it: time to cancel.
    let trainer = tiny_trainer(s.dir.path(), "--pause-before-publish-ms 60000");
    let mut client = serve(&s, &trainer);
    let uri = &s.uri;
    act(
        &mut client,
        uri,
        "breast cancer",
        "Not an entity: “breast cancer”",
    );
    // The progress's cancel button, while the bundle is staged.
    let (id, token) = retrain_until_staged(&mut client);
    client.notify("window/workDoneProgress/cancel", json!({"token": token}));
    let cancelled = client.response(id);
    let message = cancelled["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("cancelled") && message.contains("keeps using tiny"),
        "{cancelled}"
    );

    // The editor may instead cancel the request itself ($/cancelRequest): the trainer is
    // killed with the request, and the progress still ends.
    client.notifications.clear();
    let (id, token) = retrain_until_staged(&mut client);
    client.notify("$/cancelRequest", json!({"id": id}));
    let cancelled = client.response(id);
    assert_eq!(cancelled["error"]["code"], -32800, "{cancelled}");
    // The progress may end before or after the cancelled response arrives.
    let ended = |m: &serde_json::Value| {
        m["method"] == "$/progress"
            && m["params"]["token"] == token
            && m["params"]["value"]["kind"] == "end"
    };
    if !client.notifications.iter().any(ended) {
        client.wait_for(ended);
    }

    let status = command(&mut client, "bioscope.status", json!({}))["result"].clone();
    assert_eq!(status["modelDir"], s.base.display().to_string(), "{status}");
    assert_eq!(client.shutdown(), Some(0));
    let listed = model_list(&s.workspace);
    assert!(listed.contains("no fine-tuned bundles"), "{listed}");
}

/// A user declares a type of their own, tags a few of its mentions and retrains: the retrained
/// model itself tags them in text it never saw (no decision involved), and the server colours
/// them in the type's legend slot.
#[test]
fn a_declared_type_is_learned_by_retraining() {
    let s = setup();
    let text = "the liver and the kidney of mice were given aspirin .";
    let unseen = "in mice the kidney was enlarged , the liver was not .";
    let trainer = tiny_trainer(s.dir.path(), "");
    let mut client = start(&s.base, &trainer);
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": s.root, "capabilities": {},
               "initializationOptions": {"customTypes": [{"name": "Organ"}]}}),
    );
    client.notify("initialized", json!({}));
    let legend = init["result"]["capabilities"]["semanticTokensProvider"]["legend"]["tokenTypes"]
        .as_array()
        .unwrap()
        .clone();
    let slot = legend.iter().position(|t| t == "customType1").unwrap() as u64;
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": s.uri, "languageId": "plaintext", "version": 1, "text": text}}),
    );
    for organ in ["liver", "kidney"] {
        act_in(
            &mut client,
            &s.uri,
            text,
            organ,
            &format!("Tag “{organ}” as Organ"),
        );
    }
    assert!(
        !model_mentions_of(&s.base, s.dir.path(), unseen)
            .iter()
            .any(|(_, t)| t == "Organ"),
        "the base knows no organs"
    );
    let retrained = command(&mut client, "bioscope.retrain", json!({}));
    assert!(retrained.get("error").is_none(), "{retrained}");
    let bundle = PathBuf::from(retrained["result"]["bundle"].as_str().unwrap());
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["entity_types"].as_array().unwrap().last().unwrap(),
        "Organ"
    );

    let found = model_mentions_of(&bundle, s.dir.path(), unseen);
    for organ in ["kidney", "liver"] {
        assert!(
            found.contains(&(organ.into(), "Organ".into())),
            "the retrained model tags {organ} in a new sentence: {found:?}"
        );
    }
    // The server serves the new model, and colours a new document's organs in the slot.
    let other = format!("{}/unseen.txt", s.root);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": other, "languageId": "plaintext", "version": 1, "text": unseen}}),
    );
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": other}}),
    );
    let data: Vec<u64> = tokens["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let organ_tokens = data.chunks(5).filter(|t| t[3] == slot).count();
    assert_eq!(organ_tokens, 2, "{data:?}");
    assert_eq!(client.shutdown(), Some(0));
}
