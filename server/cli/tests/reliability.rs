//! Reliability and security of the language server, end to end over stdio: protocol abuse,
//! a panicking handler, bad documents, model faults and their recovery, corrections written by
//! two servers at once or to a store that cannot be written, and what a workspace can (not)
//! make the server load, run, read or write.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bioscope_tests::lsp_client::LspClient;
use bioscope_tests::{ort_library, repo_root, shipped_model};
use serde_json::{json, Value};

fn bioscope() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bioscope"))
}

/// A server on the shipped model, with `extra` arguments and environment.
fn start_with(extra: &[&str], envs: &[(&str, &Path)]) -> LspClient {
    let model = shipped_model();
    let mut args = vec!["lsp", "--threads", "1", "--model", model.to_str().unwrap()];
    args.extend_from_slice(extra);
    let ort = ort_library();
    let mut all: Vec<(&str, &Path)> = vec![("ORT_DYLIB_PATH", &ort)];
    all.extend_from_slice(envs);
    LspClient::start(bioscope(), &args, &all)
}

fn initialize_in(client: &mut LspClient, root: Option<&Path>, options: Value) -> Value {
    let root = root.map(|r| format!("file://{}", r.display()));
    let response = client.request(
        "initialize",
        json!({"processId": null, "rootUri": root, "capabilities": {},
               "initializationOptions": options}),
    );
    client.notify("initialized", json!({}));
    response
}

fn open(client: &mut LspClient, uri: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
    );
}

fn tokens(client: &mut LspClient, uri: &str) -> Value {
    client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    )
}

fn token_count(response: &Value) -> usize {
    response["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("tokens: {response}"))
        .len()
        / 5
}

fn command(client: &mut LspClient, name: &str, argument: Value) -> Value {
    client.request(
        "workspace/executeCommand",
        json!({"command": name, "arguments": [argument]}),
    )
}

fn status(client: &mut LspClient) -> Value {
    command(client, "bioscope.status", json!({}))["result"].clone()
}

fn held_text(client: &mut LspClient, uri: &str) -> Value {
    command(client, "bioscope.documentText", json!({"uri": uri}))["result"].clone()
}

/// The next `window/showMessage` text.
fn message(client: &mut LspClient) -> String {
    client.notification("window/showMessage")["params"]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Peak resident memory of a process, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    bioscope_tests::memory_mib(pid, "VmHWM").expect("the server is running")
}

/// The targets of the process's open file descriptors.
fn open_files(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .collect()
}

#[test]
fn protocol_abuse_gets_errors_and_the_server_keeps_serving() {
    let mut client = start_with(&[], &[]);
    // Before initialize: "server not initialized".
    let early = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///a.md"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(early["error"]["code"], -32002, "{early}");
    let init = initialize_in(&mut client, None, json!(null));
    assert!(init.get("error").is_none(), "{init}");
    let again = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert_eq!(
        again["error"]["code"], -32600,
        "a second initialize: {again}"
    );

    // Malformed frames and bodies: each answered with an error, none stops the reader.
    let bad: Vec<(Vec<u8>, i64)> = vec![
        (frame(b"{\"jsonrpc\":\"2.0\",\"id\":1,"), -32700),
        (frame(b"[]"), -32600),
        (frame(b"\"just a string\""), -32600),
        (
            frame(b"{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"shutdown\"}"),
            -32600,
        ),
        // Invalid UTF-8 inside a string (a file read with the wrong encoding).
        (
            frame(b"{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"textDocument\":{\"uri\":\"file:///bad.md\",\"languageId\":\"markdown\",\"version\":1,\"text\":\"caf\xe9\"}}}"),
            -32700,
        ),
        (b"Content-Length: many\r\n\r\n".to_vec(), -32700),
        (b"no header at all\r\n\r\n".to_vec(), -32700),
    ];
    for (bytes, code) in bad {
        client.send_raw(&bytes);
        let error = client.wait_for(|m| m.get("error").is_some());
        assert_eq!(error["error"]["code"], code, "{error}");
    }
    // A message over the 64 MiB limit is skipped without being kept.
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"workspace/symbol\",\"params\":{{\"query\":\"{}\"}}}}",
        "x".repeat(65 << 20)
    );
    client.send_raw(&frame(huge.as_bytes()));
    let over = client.wait_for(|m| m.get("error").is_some());
    assert!(
        over["error"]["message"]
            .as_str()
            .unwrap()
            .contains("over the limit"),
        "{over}"
    );
    // Unknown methods: an error for a request, nothing for a notification.
    let unknown = client.request("bioscope/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    client.notify("bioscope/noSuchNotification", json!({}));
    // Params of the wrong shape.
    let shape = client.request("textDocument/hover", json!({"position": "here"}));
    assert_eq!(shape["error"]["code"], -32602, "{shape}");
    let no_command = command(&mut client, "bioscope.noSuchCommand", json!({}));
    assert!(no_command.get("error").is_some(), "{no_command}");

    // Requests about a document that is not open.
    let closed = "file:///work/never-opened.md";
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": closed}, "position": {"line": 0, "character": 0}}),
    );
    assert!(hover["result"].is_null(), "{hover}");
    assert!(tokens(&mut client, closed).get("error").is_some());
    // An edit to it is refused with a message.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": closed, "version": 2}, "contentChanges": [{"text": "x"}]}),
    );
    let refused = message(&mut client);
    assert!(refused.contains("not open"), "{refused}");

    // Positions out of range.
    let uri = "file:///work/abuse.md";
    let text = "Patients with Wilson disease.\n";
    open(&mut client, uri, text);
    assert!(token_count(&tokens(&mut client, uri)) > 0);
    let far = json!({"line": 1_000_000, "character": 4_000_000_000u32});
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": far}),
    );
    assert!(hover["result"].is_null(), "{hover}");
    for (start, end) in [
        (far.clone(), far.clone()),
        (
            json!({"line": 0, "character": 20}),
            json!({"line": 0, "character": 2}),
        ),
    ] {
        let range = client.request(
            "textDocument/semanticTokens/range",
            json!({"textDocument": {"uri": uri}, "range": {"start": start, "end": end}}),
        );
        assert!(range.get("error").is_none(), "{range}");
        let actions = client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": start, "end": end},
                   "context": {"diagnostics": []}}),
        );
        assert!(actions["error"]["code"] != -32603, "{actions}");
    }
    // Version regressions and out-of-range edits are refused; the text stays as it was.
    for (version, change) in [
        (1, json!({"text": "replaced"})),
        (0, json!({"text": "replaced"})),
        (
            5,
            json!({"range": {"start": {"line": 9, "character": 0}, "end": {"line": 9, "character": 1}}, "text": "x"}),
        ),
    ] {
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        let refused = message(&mut client);
        assert!(
            refused.contains("not newer") || refused.contains("outside the document"),
            "{refused}"
        );
    }
    let held = held_text(&mut client, uri);
    assert_eq!(held["text"], text);
    assert_eq!(held["version"], 1);
    // Still serving.
    assert!(token_count(&tokens(&mut client, uri)) > 0);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_panic_in_a_handler_is_reported_and_the_server_keeps_serving() {
    let mut client = start_with(
        &[],
        &[(
            "BIOSCOPE_TEST_PANIC_METHOD",
            Path::new("textDocument/documentSymbol"),
        )],
    );
    initialize_in(&mut client, None, json!(null));
    let uri = "file:///work/panic.md";
    open(&mut client, uri, "Patients with Wilson disease.\n");
    for _ in 0..2 {
        let symbols = client.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
        assert_eq!(symbols["error"]["code"], -32603, "{symbols}");
        let text = symbols["error"]["message"].as_str().unwrap();
        assert!(
            text.contains("internal error in textDocument/documentSymbol")
                && text.contains("keeps running"),
            "{text}"
        );
        let shown = message(&mut client);
        assert!(shown.contains("internal error"), "{shown}");
        // Everything else still works.
        assert!(token_count(&tokens(&mut client, uri)) > 0);
    }
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn binary_huge_and_long_line_documents_are_skipped_with_a_message() {
    let mut client = start_with(&[], &[]);
    initialize_in(&mut client, None, json!(null));
    let started = Instant::now();
    // Binary content (as an editor sends a PNG opened as text).
    let binary = "\u{89}PNG\r\n\u{1a}\n\0\0\0\rIHDR\0\0\u{fffd}\u{fffd}";
    let cases = [
        ("file:///work/image.md", binary.to_string(), "looks binary"),
        (
            "file:///work/huge.md",
            "Patients with Wilson disease were seen.\n".repeat((50 << 20) / 40 + 1),
            "maxDocumentBytes",
        ),
        (
            "file:///work/one-line.md",
            "Wilson disease ".repeat((1 << 20) / 15),
            "maxLineBytes",
        ),
    ];
    for (uri, text, why) in &cases {
        open(&mut client, uri, text);
        let skipped = message(&mut client);
        assert!(
            skipped.contains("does not tag") && skipped.contains(why),
            "{skipped}"
        );
        assert_eq!(token_count(&tokens(&mut client, uri)), 0);
        assert_eq!(held_text(&mut client, uri)["tagged"], false);
    }
    // Edits still apply to a skipped document; one that brings it under the limits makes it
    // an ordinary document again.
    let (uri, _, _) = &cases[2];
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 0, "character": 15}, "end": {"line": 0, "character": 2_000_000}},
            "text": "\nwas seen.\n"}]}),
    );
    let held = held_text(&mut client, uri);
    let held_len = held["text"].as_str().map(str::len);
    assert_eq!(held_len, Some(26), "the edit applied to the untagged text");
    assert_eq!(held["text"], "Wilson disease \nwas seen.\n");
    assert_eq!(held["tagged"], true);
    assert!(token_count(&tokens(&mut client, uri)) > 0);
    let seconds = started.elapsed().as_secs_f64();
    let rss = peak_rss_mib(client.pid());
    eprintln!(
        "bad documents: binary, 50 MiB and a 1 MiB line answered in {seconds:.1} s, peak RSS {rss} MiB"
    );
    // 50 MiB arrives as JSON, is checked by the transport and parsed once more: bounded.
    assert!(rss < 2048, "peak RSS {rss} MiB");

    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    // The limits are settings: lowered, an open document stops being tagged; raised, it is
    // tagged again.
    let small = "file:///work/small.md";
    open(&mut client, small, "Patients with Wilson disease.\n");
    assert!(token_count(&tokens(&mut client, small)) > 0);
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bioscope": {"maxDocumentBytes": 10}}}),
    );
    let skipped = message(&mut client);
    assert!(skipped.contains("over the limit of 10"), "{skipped}");
    assert_eq!(token_count(&tokens(&mut client, small)), 0);
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bioscope": {"maxDocumentBytes": 1000000, "maxLineBytes": 0}}}),
    );
    let refused = message(&mut client);
    assert!(
        refused.contains("maxLineBytes must be between"),
        "{refused}"
    );
    assert!(token_count(&tokens(&mut client, small)) > 0);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn files_on_disk_that_are_binary_or_not_utf8_are_skipped_by_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.md");
    let latin1 = dir.path().join("latin1.md");
    let binary = dir.path().join("image.md");
    std::fs::write(&good, "Patients with Wilson disease.\n").unwrap();
    std::fs::write(&latin1, b"Caf\xe9 with Wilson disease.\n").unwrap();
    std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = std::process::Command::new(bioscope())
        .args(["tag", "--threads", "1", "--format", "json"])
        .args([&latin1, &good, &binary])
        .env("ORT_DYLIB_PATH", ort_library())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "two files could not be tagged");
    assert!(
        stderr.contains("is not UTF-8 (invalid byte at offset 3)"),
        "{stderr}"
    );
    assert!(stderr.contains("looks binary"), "{stderr}");
    assert!(stderr.contains("2 of 3 files"), "{stderr}");
    assert!(stdout.contains("Wilson disease"), "the good file: {stdout}");
}

/// A copy of the shipped bundle in `dir`.
fn copy_bundle(dir: &Path) -> PathBuf {
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    for entry in std::fs::read_dir(shipped_model()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), bundle.join(entry.file_name())).unwrap();
    }
    bundle
}

/// A server on `bundle` with `ort` as ONNX Runtime serves names from the lexicon, says why
/// there is no model, and loads it after `fix` and `bioscope.reloadModel`.
fn model_fault(bundle: &Path, ort: &Path, expected: &str, fix: impl FnOnce()) {
    let mut client = LspClient::start(
        bioscope(),
        &["lsp", "--threads", "1", "--model", bundle.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", ort)],
    );
    initialize_in(&mut client, None, json!(null));
    let problem = message(&mut client);
    assert!(
        problem.contains("cannot load the model") && problem.contains(expected),
        "{problem}"
    );
    let uri = "file:///work/fault.md";
    open(&mut client, uri, "Patients with Wilson disease.\n");
    assert!(
        token_count(&tokens(&mut client, uri)) > 0,
        "the lexicon alone"
    );
    assert!(status(&mut client)["model"].is_null());
    fix();
    let reloaded = command(&mut client, "bioscope.reloadModel", json!({}));
    assert_eq!(reloaded["result"]["model"], "bioscope-union", "{reloaded}");
    assert!(reloaded["result"]["problem"].is_null(), "{reloaded}");
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 16}}),
    );
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("model `bioscope-union`"), "{value}");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn model_faults_fall_back_to_the_lexicon_and_recover_when_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let ort = ort_library();
    // A truncated model.onnx (a copy interrupted half way).
    let bundle = copy_bundle(&dir.path().join("truncated"));
    let onnx = bundle.join("model.onnx");
    let whole = std::fs::read(&onnx).unwrap();
    std::fs::write(&onnx, &whole[..whole.len() / 2]).unwrap();
    model_fault(&bundle, &ort, "model.onnx", || {
        std::fs::write(&onnx, &whole).unwrap()
    });
    // A mismatched tokenizer (from another model).
    let bundle = copy_bundle(&dir.path().join("mismatched"));
    let tokenizer = bundle.join("tokenizer.json");
    let good = std::fs::read(&tokenizer).unwrap();
    std::fs::copy(bioscope_tests::fixture("tiny-tokenizer.json"), &tokenizer).unwrap();
    model_fault(&bundle, &ort, "tokenizer.json", || {
        std::fs::write(&tokenizer, &good).unwrap()
    });
    // A missing bundle.
    let missing = dir.path().join("not-yet");
    model_fault(&missing, &ort, "not-yet", || {
        copy_bundle(&dir.path().join("later"));
        std::fs::rename(dir.path().join("later/bundle"), &missing).unwrap();
    });
    // No ONNX Runtime library where the environment says.
    let lib = dir.path().join("lib/libonnxruntime.so.1.31.1");
    model_fault(&shipped_model(), &lib, "ONNX Runtime", || {
        std::fs::create_dir_all(lib.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&ort, &lib).unwrap();
    });
}

/// A workspace with a document, a server with `trainer`, one correction recorded.
/// Opens a one-line document at `uri` and rejects its "Wilson disease" everywhere; the answer.
fn open_and_reject_wilson_disease(client: &mut LspClient, uri: &str) -> Value {
    open(client, uri, "Patients with Wilson disease were seen.\n");
    command(
        client,
        "bioscope.applyCorrection",
        json!({"uri": uri, "version": 1, "action": "reject", "scope": "everywhere",
               "old": {"start": 14, "end": 28, "type": "Disease"}, "new": null}),
    )
}

fn workspace_with_a_correction(workspace: &Path, trainer: &Path) -> (LspClient, String) {
    let mut client = start_with(&["--trainer", trainer.to_str().unwrap()], &[]);
    initialize_in(&mut client, Some(workspace), json!(null));
    let uri = format!("file://{}/paper.md", workspace.display());
    let stored = open_and_reject_wilson_disease(&mut client, &uri);
    assert!(stored["result"]["stored"].is_string(), "{stored}");
    (client, uri)
}

#[test]
fn a_trainer_killed_mid_retraining_leaves_the_old_model_serving() {
    let workspace = tempfile::tempdir().unwrap();
    let trainer = workspace.path().join("trainer.sh");
    std::fs::write(
        &trainer,
        "#!/bin/sh\necho '{\"event\":\"progress\",\"percentage\":40,\"message\":\"epoch 2\"}'\n\
         mkdir -p \"$6.tmp-1\"\necho 'half a bundle' > \"$6.tmp-1/model.onnx\"\nkill -KILL $$\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &trainer,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let (mut client, uri) = workspace_with_a_correction(workspace.path(), &trainer);
    let failed = command(&mut client, "bioscope.retrain", json!({}));
    let text = failed["error"]["message"].as_str().unwrap();
    assert!(
        text.contains("the trainer failed") && text.contains("keeps using bioscope-union"),
        "{text}"
    );
    assert_eq!(status(&mut client)["model"], "bioscope-union");
    assert!(!workspace.path().join(".bioscope/models/history").exists());
    let tokens = tokens(&mut client, &uri);
    assert!(tokens.get("error").is_none(), "{tokens}");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn two_servers_append_to_one_store_without_losing_or_mixing_records() {
    let workspace = tempfile::tempdir().unwrap();
    let words: Vec<String> = (0..40).map(|i| format!("w{i:02}")).collect();
    let text = words.join(" ") + "\n";
    std::fs::write(workspace.path().join("paper.md"), &text).unwrap();
    let uri = format!("file://{}/paper.md", workspace.path().display());
    let run = |server: usize| {
        let root = workspace.path().to_path_buf();
        let (uri, text) = (uri.clone(), text.clone());
        std::thread::spawn(move || {
            // The lexicon alone: fast, and the store is what is under test.
            let mut client = LspClient::start(
                bioscope(),
                &["lsp", "--model", "/nonexistent-model"],
                &[("ORT_DYLIB_PATH", &ort_library())],
            );
            initialize_in(&mut client, Some(&root), json!(null));
            open(&mut client, &uri, &text);
            // Server 0 tags the even words, server 1 the odd ones, in order.
            for i in (server..40).step_by(2) {
                let start = i * 4;
                let stored = command(
                    &mut client,
                    "bioscope.applyCorrection",
                    json!({"uri": uri, "version": 1, "action": "tag", "scope": "here",
                           "old": null, "new": {"start": start, "end": start + 3, "type": "Gene"}}),
                );
                assert!(stored["result"]["stored"].is_string(), "{stored}");
            }
            assert_eq!(client.shutdown(), Some(0));
        })
    };
    let (a, b) = (run(0), run(1));
    a.join().unwrap();
    b.join().unwrap();
    let store = workspace.path().join(".bioscope/corrections.jsonl");
    let content = std::fs::read_to_string(&store).unwrap();
    let starts: Vec<u64> = content
        .lines()
        .map(|l| {
            let record: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            record["new"]["start"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(starts.len(), 40, "{content}");
    for parity in [0, 4] {
        let one: Vec<u64> = starts.iter().copied().filter(|s| s % 8 == parity).collect();
        let expected: Vec<u64> = (0..20).map(|k| k * 8 + parity).collect();
        assert_eq!(one, expected, "each server's records whole and in order");
    }
}

#[test]
fn a_store_that_cannot_be_written_is_reported_and_the_decision_still_applies() {
    let workspace = tempfile::tempdir().unwrap();
    // A folder where the store's file should be: every write fails (as on a read-only or
    // full disk; the tests run as root, which ignores permissions).
    std::fs::create_dir_all(workspace.path().join(".bioscope/corrections.jsonl")).unwrap();
    let mut client = start_with(&[], &[]);
    initialize_in(&mut client, Some(workspace.path()), json!(null));
    let _cannot_read = message(&mut client);
    let uri = format!("file://{}/paper.md", workspace.path().display());
    let text = "Patients with Wilson disease were seen.\n";
    open(&mut client, &uri, text);
    let before = token_count(&tokens(&mut client, &uri));
    let stored = command(
        &mut client,
        "bioscope.applyCorrection",
        json!({"uri": uri, "version": 1, "action": "reject", "scope": "everywhere",
               "old": {"start": 14, "end": 28, "type": "Disease"}, "new": null}),
    );
    assert!(stored["result"]["stored"].is_null(), "{stored}");
    let told = message(&mut client);
    assert!(
        told.contains("could not save the decision") && told.contains("applies until"),
        "{told}"
    );
    assert_eq!(
        token_count(&tokens(&mut client, &uri)),
        before - 1,
        "the rejection applies in memory"
    );
    assert_eq!(status(&mut client)["corrections"], 1);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn the_server_opens_no_network_connection() {
    let workspace = tempfile::tempdir().unwrap();
    let (mut client, uri) = workspace_with_a_correction(workspace.path(), Path::new("/bin/false"));
    let pid = client.pid();
    let mut checks = 0;
    // Every socket the process holds must be an unnamed Unix socket (tokio's signal
    // socketpair), found in the process's own net/unix table and in none of the IP tables.
    let mut check = |files: Vec<String>| {
        checks += 1;
        assert!(!files.is_empty());
        let table = |name: &str| {
            std::fs::read_to_string(format!("/proc/{pid}/net/{name}")).unwrap_or_default()
        };
        let unix = table("unix");
        let ip: String = ["tcp", "tcp6", "udp", "udp6", "raw", "raw6"]
            .iter()
            .map(|t| table(t))
            .collect();
        for file in &files {
            let Some(inode) = file
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
            else {
                continue;
            };
            let ip_socket = ip
                .lines()
                .any(|l| l.split_whitespace().nth(9) == Some(inode));
            assert!(!ip_socket, "an IP socket: {file} in {files:?}");
            let entry = unix
                .lines()
                .find(|l| l.split_whitespace().nth(6) == Some(inode))
                .unwrap_or_else(|| panic!("{file} is not a Unix socket: {files:?}"));
            assert_eq!(
                entry.split_whitespace().nth(7),
                None,
                "a named Unix socket: {entry}"
            );
        }
    };
    check(open_files(pid));
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}),
    );
    // "Patients": a species, normalized by the lexicon (the disease was rejected).
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("identifiers.org"), "{hover}");
    command(
        &mut client,
        "bioscope.exportDocument",
        json!({"uri": uri, "format": "bioc"}),
    );
    command(&mut client, "bioscope.retrain", json!({}));
    command(&mut client, "bioscope.reloadModel", json!({}));
    check(open_files(pid));
    assert_eq!(client.shutdown(), Some(0));
    assert_eq!(checks, 2);

    // No HTTP or TLS client is compiled into the workspace, and ONNX Runtime is loaded from a
    // file, never downloaded.
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).unwrap();
    for client in [
        "reqwest",
        "ureq",
        "hyper",
        "curl",
        "isahc",
        "attohttpc",
        "rustls",
        "native-tls",
        "hf-hub",
    ] {
        assert!(
            !lock.contains(&format!("name = \"{client}\"")),
            "{client} in Cargo.lock"
        );
    }
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let ort = manifest
        .lines()
        .find(|l| l.starts_with("ort ="))
        .expect("ort in the workspace dependencies");
    assert!(
        ort.contains("default-features = false")
            && ort.contains("load-dynamic")
            && !ort.contains("download"),
        "{ort}"
    );
}

#[test]
fn workspace_settings_cannot_choose_code_models_or_stores_outside() {
    let workspace = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let root = workspace.path();
    // What a malicious workspace might name: a "trainer" that leaves a marker, a "library".
    let marker = elsewhere.path().join("trainer-ran");
    let script = root.join("evil-trainer.sh");
    std::fs::write(&script, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let library = root.join("libevil.so");
    std::fs::write(&library, "not a library").unwrap();
    let outside_model = copy_bundle(elsewhere.path());
    let settings = json!({"bioscope": {
        "trainer": script, "trainerPath": script, "trainerExecutable": script,
        "ortLibrary": library, "onnxruntimePath": library, "ortDylibPath": library,
        "modelPath": outside_model,
        "correctionsPath": elsewhere.path().join("corrections.jsonl"),
    }});
    // The server's trainer (command line) fails at once; the workspace's must never run.
    let mut client = start_with(&["--trainer", "/bin/false"], &[]);
    initialize_in(&mut client, Some(root), settings.clone());
    let mut warnings = vec![message(&mut client), message(&mut client)];
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": settings}),
    );
    warnings.push(message(&mut client));
    assert!(
        warnings.iter().any(|w| w.contains("bioscope.modelPath")
            && w.contains("ignored")
            && w.contains(&outside_model.display().to_string())),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("bioscope.correctionsPath")),
        "{warnings:?}"
    );
    let uri = format!("file://{}/paper.md", root.display());
    let stored = open_and_reject_wilson_disease(&mut client, &uri);
    let path = stored["result"]["stored"].as_str().unwrap();
    assert!(Path::new(path).starts_with(root), "{path}");
    assert!(!elsewhere.path().join("corrections.jsonl").exists());
    let retrain = command(&mut client, "bioscope.retrain", json!({}));
    assert!(
        retrain["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/bin/false")
            || retrain["error"]["message"]
                .as_str()
                .unwrap()
                .contains("the trainer failed"),
        "{retrain}"
    );
    let st = status(&mut client);
    assert_eq!(
        st["modelDir"],
        shipped_model().display().to_string(),
        "{st}"
    );
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", client.pid())).unwrap();
    assert!(
        maps.contains("libonnxruntime"),
        "the real library is loaded"
    );
    assert!(!maps.contains("libevil"), "the workspace's is not");
    assert_eq!(client.shutdown(), Some(0));
    assert!(!marker.exists(), "the workspace's trainer never ran");

    // A `.bioscope` that links out of the workspace: nothing is written through it.
    let linked = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), linked.path().join(".bioscope")).unwrap();
    let mut client = start_with(&[], &[]);
    initialize_in(&mut client, Some(linked.path()), json!(null));
    let uri = format!("file://{}/paper.md", linked.path().display());
    let stored = open_and_reject_wilson_disease(&mut client, &uri);
    assert!(stored["result"]["stored"].is_null(), "{stored}");
    let told = message(&mut client);
    assert!(told.contains("outside the workspace folder"), "{told}");
    assert!(!elsewhere.path().join("corrections.jsonl").exists());

    // Exports are answers: the server writes no file, whatever the request names.
    let before = list(elsewhere.path()).len() + list(linked.path()).len();
    let export = command(
        &mut client,
        "bioscope.exportDocument",
        json!({"uri": uri, "format": "brat", "path": "../../../tmp/x.ann", "target": "/tmp/x"}),
    );
    let keys: Vec<&String> = export["result"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["content", "format"], "{export}");
    assert_eq!(
        list(elsewhere.path()).len() + list(linked.path()).len(),
        before
    );
    assert_eq!(client.shutdown(), Some(0));
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            out.extend(list(&path));
        }
        out.push(path);
    }
    out
}
