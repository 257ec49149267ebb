//! The language server end to end: the built `bioscope lsp` driven over stdio as an editor
//! drives it, with the shipped model through ONNX Runtime.

use bioscope_tests::lsp_client::{decode_tokens, token_text, LspClient};
use bioscope_tests::{fixture, ort_library, shipped_model};
use serde_json::{json, Value};

const DISEASE: u64 = 1; // legend order: gene, disease, chemical, ...

fn start() -> LspClient {
    let model = shipped_model();
    LspClient::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &["lsp", "--threads", "1", "--model", model.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", &ort_library())],
    )
}

fn open(client: &mut LspClient, uri: &str, language: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
    );
}

fn data(tokens: &Value) -> Vec<u64> {
    tokens["data"]
        .as_array()
        .expect("token data")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// `(line, text, type)` of each token.
fn spans(text: &str, data: &[u64]) -> Vec<(u64, String, u64)> {
    decode_tokens(data)
        .into_iter()
        .map(|(line, start, len, ty, _)| (line, token_text(text, line, start, len), ty))
        .collect()
}

/// The full tokens of `uri` now, as `(line, text, type)`.
fn full_spans(client: &mut LspClient, uri: &str, text: &str) -> Vec<(u64, String, u64)> {
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    spans(text, &data(&tokens["result"]))
}

fn status(client: &mut LspClient) -> Value {
    client.request(
        "workspace/executeCommand",
        json!({"command": "bioscope.status", "arguments": []}),
    )["result"]
        .clone()
}

#[test]
fn markdown_tokens_hover_and_incremental_edits() {
    let mut client = start();
    let init = client.initialize(
        json!({"general": {"positionEncodings": ["utf-16"]}}),
        json!(null),
    );
    let caps = &init["capabilities"];
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    let legend = &caps["semanticTokensProvider"]["legend"]["tokenTypes"];
    assert_eq!(legend[DISEASE as usize], "disease", "{legend}");
    assert_eq!(caps["semanticTokensProvider"]["full"]["delta"], true);

    let text = std::fs::read_to_string(fixture("manuscript.md")).unwrap();
    let uri = "file:///work/manuscript.md";
    open(&mut client, uri, "markdown", &text);
    let full = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let before = data(&full["result"]);
    let found = spans(&text, &before);
    let names: Vec<&str> = found.iter().map(|(_, t, _)| t.as_str()).collect();
    assert!(names.contains(&"Wilson disease"), "{found:?}");
    let code_lines: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("code is never tagged") || l.contains("print("))
        .map(|(i, _)| i as u64)
        .collect();
    assert_eq!(code_lines.len(), 2);
    assert!(
        found.iter().all(|(line, _, _)| !code_lines.contains(line)),
        "nothing in the fenced code block: {found:?}"
    );

    // Hover on the first "Wilson disease".
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("Wilson disease").map(|c| (i, c)))
        .unwrap();
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col + 3}}),
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        value.contains("**Disease**") && value.contains("confidence"),
        "{hover}"
    );
    // The shipped lexicon normalizes it: MeSH heading with its link, cross-references.
    assert!(
        value.contains("[MESH:D006527](https://identifiers.org/mesh:D006527)"),
        "{value}"
    );
    assert!(value.contains("Hepatolenticular Degeneration"), "{value}");
    assert_eq!(hover["result"]["range"]["start"]["character"], col);
    // No entity under the cursor: no hover.
    let none = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert!(none["result"].is_null(), "{none}");

    // The outline groups mentions by type; workspace symbols search them.
    let outline = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let groups = outline["result"].as_array().expect("symbols");
    let disease = groups
        .iter()
        .find(|g| g["name"] == "Disease")
        .expect("a Disease group");
    let wilson = disease["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Wilson disease")
        .expect("Wilson disease in the outline");
    let wilson_count = found
        .iter()
        .filter(|(_, t, _)| t == "Wilson disease")
        .count();
    assert_eq!(wilson["detail"], format!("{wilson_count} mentions"));
    let search = client.request("workspace/symbol", json!({"query": "wilson"}));
    let hits = search["result"].as_array().unwrap();
    assert_eq!(hits.len(), wilson_count, "{search}");
    assert!(hits
        .iter()
        .all(|h| h["location"]["uri"] == uri && h["containerName"] == "Disease"));

    // Edit one paragraph (the last): only its tokens change, and the model runs only there.
    let misses_before = status(&mut client)["cache"]["misses"].as_u64().unwrap();
    let last_line = text.lines().count() - 1;
    let old_line = text.lines().nth(last_line).unwrap();
    assert!(old_line.contains("hemochromatosis"), "{old_line}");
    let col = old_line.find("hemochromatosis").unwrap();
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": last_line, "character": col},
                      "end": {"line": last_line, "character": col + "hemochromatosis".len()}},
            "text": "cystic fibrosis"}]}),
    );
    let new_text = text.replacen("hemochromatosis", "cystic fibrosis", 1);
    let delta = client.request(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": full["result"]["resultId"]}),
    );
    let edits = delta["result"]["edits"]
        .as_array()
        .expect("a delta, not full tokens");
    let mut after = before.clone();
    for e in edits.iter().rev() {
        let start = e["start"].as_u64().unwrap() as usize;
        let count = e["deleteCount"].as_u64().unwrap() as usize;
        let new: Vec<u64> = e["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        after.splice(start..start + count, new);
    }
    let after_spans = spans(&new_text, &after);
    let paragraph_start = text
        .lines()
        .position(|l| l.starts_with("Serum ceruloplasmin"))
        .unwrap() as u64;
    let outside = |s: &Vec<(u64, String, u64)>| -> Vec<(u64, String, u64)> {
        s.iter()
            .filter(|(l, _, _)| *l < paragraph_start)
            .cloned()
            .collect()
    };
    assert_eq!(
        outside(&found),
        outside(&after_spans),
        "other paragraphs unchanged"
    );
    assert!(
        after_spans
            .iter()
            .any(|(_, t, ty)| t == "cystic fibrosis" && *ty == DISEASE),
        "{after_spans:?}"
    );
    let misses_after = status(&mut client)["cache"]["misses"].as_u64().unwrap();
    assert_eq!(misses_after - misses_before, 1, "one paragraph re-tagged");

    // A range request (the visible part) gives only the tokens inside it.
    let range = client.request(
        "textDocument/semanticTokens/range",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                "end": {"line": paragraph_start, "character": 0}}}),
    );
    let in_range = spans(&new_text, &data(&range["result"]));
    assert_eq!(in_range, outside(&after_spans));

    assert_eq!(client.shutdown(), Some(0), "clean exit");
}

#[test]
fn latex_and_plain_text_with_utf8_positions_and_bad_input() {
    let mut client = start();
    let init = client.initialize(
        json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
        json!({"bioscope": {"confidenceThreshold": 2.0}}),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let warning = client.notification("window/showMessage");
    assert!(
        warning["params"]["message"]
            .as_str()
            .unwrap()
            .contains("between 0 and 1"),
        "{warning}"
    );

    let tex = "\\section{Wilson disease}\nIn Wilson disease $c = \\mathrm{Wilson\\ disease}$ \
               copper builds up \\cite{wilson_disease_review}.\n% Wilson disease in a comment\n";
    let uri = "file:///work/paper.tex";
    open(&mut client, uri, "latex", tex);
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let found: Vec<(u64, u64, u64)> = decode_tokens(&data(&tokens["result"]))
        .into_iter()
        .map(|(l, s, n, _, _)| (l, s, n))
        .collect();
    // UTF-8 columns: byte offsets within the line.
    let lines: Vec<&str> = tex.lines().collect();
    let texts: Vec<&str> = found
        .iter()
        .map(|&(l, s, n)| &lines[l as usize][s as usize..(s + n) as usize])
        .collect();
    // Prose only: the heading's and the sentence's "Wilson disease" (and whatever else the
    // model tags in the sentence's prose, e.g. "copper"), nothing in the math, the citation
    // key or the comment.
    let wilson: Vec<(u64, u64, u64)> = found
        .iter()
        .zip(&texts)
        .filter(|(_, t)| t.contains("Wilson"))
        .map(|(f, _)| *f)
        .collect();
    assert_eq!(wilson, [(0, 9, 14), (1, 3, 14)], "{found:?} {texts:?}");
    let math = lines[1].find('$').unwrap() as u64..lines[1].rfind('$').unwrap() as u64 + 1;
    let cite = lines[1].find("\\cite").unwrap() as u64..lines[1].len() as u64;
    for &(l, s, n) in &found {
        assert!(l < 2, "nothing in the comment: {found:?}");
        let overlaps = |r: &std::ops::Range<u64>| s < r.end && r.start < s + n;
        assert!(
            l == 0 || !(overlaps(&math) || overlaps(&cite)),
            "prose, not math or cite: {found:?} {texts:?}"
        );
    }

    // An edit outside the document is refused with a message; the server keeps working.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 40, "character": 0}, "end": {"line": 41, "character": 0}},
            "text": "x"}]}),
    );
    let warning = client.notification("window/showMessage");
    assert!(
        warning["params"]["message"]
            .as_str()
            .unwrap()
            .contains("outside the document"),
        "{warning}"
    );
    // Garbage on the wire and an unknown method get errors, not a crash.
    client.send_raw(b"Content-Length: 9\r\n\r\n{garbage}");
    let parse_error = client.wait_for(|m| m["error"]["code"] == -32700);
    assert!(parse_error["id"].is_null(), "{parse_error}");
    let not_rpc = br#"{"jsonrpc":"2.0","id":99,"method":7}"#;
    client.send_raw(format!("Content-Length: {}\r\n\r\n", not_rpc.len()).as_bytes());
    client.send_raw(not_rpc);
    let invalid = client.wait_for(|m| m["id"] == 99);
    assert_eq!(invalid["error"]["code"], -32600, "{invalid}");
    let unknown = client.request("bioscope/noSuchMethod", json!({}));
    assert!(unknown.get("error").is_some(), "{unknown}");

    let plain = "Patients with Wilson disease 😀 and cystic fibrosis.";
    let uri = "file:///work/notes.unknown-extension";
    open(&mut client, uri, "something-else", plain);
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let cols: Vec<(u64, u64)> = decode_tokens(&data(&tokens["result"]))
        .into_iter()
        .map(|(_, s, n, _, _)| (s, n))
        .collect();
    let cf = plain.find("cystic").unwrap() as u64;
    assert!(
        cols.contains(&(cf, 15)),
        "byte column after the 4-byte emoji: {cols:?}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

fn titles(actions: &Value) -> Vec<String> {
    actions["result"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["title"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn run_action(client: &mut LspClient, actions: &Value, title: &str) -> Value {
    let action = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no action {title}: {actions}"));
    client.request(
        "workspace/executeCommand",
        json!({"command": action["command"]["command"], "arguments": action["command"]["arguments"]}),
    )
}

fn token_texts(client: &mut LspClient, uri: &str, text: &str) -> Vec<(String, u64)> {
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    decode_tokens(&data(&tokens["result"]))
        .into_iter()
        .map(|(l, s, n, _, m)| (token_text(text, l, s, n), m))
        .collect()
}

#[test]
fn corrections_apply_everywhere_persist_and_survive_a_damaged_store() {
    let workspace = tempfile::tempdir().unwrap();
    let root = format!("file://{}", workspace.path().display());
    let uri = format!("{root}/paper.md");
    let text = "Patients with Wilson disease were seen. Wilson disease is rare.\n\nMore on Wilson disease here.\n";
    let init = |client: &mut LspClient| {
        client.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        client.notify("initialized", json!({}));
    };
    let mut client = start();
    init(&mut client);
    open(&mut client, &uri, "markdown", text);
    let before = token_texts(&mut client, &uri, text);
    assert_eq!(
        before.iter().filter(|(t, _)| t == "Wilson disease").count(),
        3,
        "{before:?}"
    );

    // The cursor inside the first "Wilson disease".
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 17},
               "end": {"line": 0, "character": 17}}, "context": {"diagnostics": []}}),
    );
    let t = titles(&actions);
    for expected in [
        "Accept “Wilson disease” as Disease",
        "Not an entity: “Wilson disease”",
        "Not an entity here only: “Wilson disease”",
        "Change type of “Wilson disease” to Gene",
        "Always ignore “Wilson disease” in this project",
    ] {
        assert!(
            t.iter().any(|x| x == expected),
            "{expected} missing from {t:?}"
        );
    }
    let done = run_action(&mut client, &actions, "Not an entity: “Wilson disease”");
    assert!(done.get("error").is_none(), "{done}");
    let after = token_texts(&mut client, &uri, text);
    assert!(
        after.iter().all(|(t, _)| t != "Wilson disease"),
        "rejected everywhere, in both paragraphs: {after:?}"
    );
    assert!(client
        .server_requests
        .iter()
        .any(|m| m == "workspace/semanticTokens/refresh"));

    // Tag a selection the model left alone: it becomes a corrected mention.
    let rare = text.find("rare").unwrap() as u64;
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": rare},
               "end": {"line": 0, "character": rare + 4}}, "context": {"diagnostics": []}}),
    );
    run_action(&mut client, &actions, "Tag “rare” as Disease");
    let after = token_texts(&mut client, &uri, text);
    assert!(
        after.contains(&("rare".to_string(), 2)),
        "corrected modifier: {after:?}"
    );
    // Its hover says the user decided it, not that the model is unsure.
    let value = hover_at(&mut client, &uri, text, "rare");
    assert!(
        value.contains("corrected by you") && !value.contains("uncertain"),
        "{value}"
    );

    // Two records, one line each, with the paragraph and the spans.
    let store = workspace.path().join(".bioscope/corrections.jsonl");
    let content = std::fs::read_to_string(&store).unwrap();
    let records: Vec<Value> = content
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{content}");
    assert_eq!(records[0]["action"], "reject");
    assert_eq!(records[0]["document"], "paper.md");
    assert_eq!(records[0]["old"]["start"], 14);
    assert_eq!(records[0]["old"]["type"], "Disease");
    assert!(records[0]["new"].is_null());
    assert!(records[0]["paragraph"]
        .as_str()
        .unwrap()
        .starts_with("Patients with Wilson disease"));
    assert_eq!(records[1]["action"], "tag");

    // Exports: the document as corrected, and the decisions themselves.
    let export = |client: &mut LspClient, command: &str, format: &str| {
        client.request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": [{"uri": uri, "format": format}]}),
        )
    };
    let pubtator = export(&mut client, "bioscope.exportDocument", "pubtator");
    let exported = pubtator["result"]["content"].as_str().unwrap();
    assert!(exported.contains("\trare\tDisease\t"), "{exported}");
    // Exports carry the lexicon's identifiers.
    assert!(exported.contains("\tPatients\tSpecies\t9606"), "{exported}");
    assert!(!exported.contains("Wilson disease\tDisease"), "{exported}");
    let bioc = export(&mut client, "bioscope.exportDocument", "bioc");
    assert!(bioc["result"]["content"]
        .as_str()
        .unwrap()
        .contains("<infon key=\"type\">Disease</infon>"));
    let decisions = export(&mut client, "bioscope.exportCorrections", "pubtator");
    let decided = decisions["result"]["content"].as_str().unwrap();
    assert!(
        decided.starts_with("correction1|t|\ncorrection1|a|Patients with"),
        "{decided}"
    );
    // Both decisions were about one paragraph: one document, with the label they leave (the
    // rejected disease is gone, the tagged word is there).
    assert!(!decided.contains("correction2"), "{decided}");
    assert!(
        decided.contains("\trare\tDisease"),
        "the tag decision's label: {decided}"
    );
    assert!(!decided.contains("Wilson disease\tDisease"), "{decided}");
    let brat = export(&mut client, "bioscope.exportCorrections", "brat");
    assert_eq!(
        brat["result"]["content"].as_str().unwrap().trim_end(),
        format!("T1\tDisease {rare} {}\trare", rare + 4),
        "{brat}"
    );
    assert!(brat["result"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Patients with Wilson disease"));
    let conll = export(&mut client, "bioscope.exportCorrections", "conll");
    let conll = conll["result"]["content"].as_str().unwrap();
    assert!(
        conll.contains("rare\tB-Disease") && conll.contains("Wilson\tO"),
        "{conll}"
    );
    let bioc = export(&mut client, "bioscope.exportCorrections", "bioc");
    assert!(
        bioc["result"]["content"]
            .as_str()
            .unwrap()
            .contains("<text>rare</text>"),
        "{bioc}"
    );
    let bad = export(&mut client, "bioscope.exportDocument", "docx");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown export format"),
        "{bad}"
    );
    assert!(client.shutdown().is_some());

    // A damaged line: a new server warns, skips it, keeps the decisions and the file as is.
    let mut damaged = content.clone();
    damaged.push_str("{\"schema\":1,\"act\n");
    std::fs::write(&store, &damaged).unwrap();
    let mut client = start();
    init(&mut client);
    let warning = client.notification("window/showMessage");
    let message = warning["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("skipped 1 unreadable line") && message.contains("lines 3"),
        "{message}"
    );
    open(&mut client, &uri, "markdown", text);
    let again = token_texts(&mut client, &uri, text);
    assert!(
        again.iter().all(|(t, _)| t != "Wilson disease"),
        "{again:?}"
    );
    assert!(again.contains(&("rare".to_string(), 2)));
    assert_eq!(std::fs::read_to_string(&store).unwrap(), damaged);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_missing_model_is_explained_and_the_server_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = LspClient::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &[
            "lsp",
            "--model",
            dir.path().join("no-model").to_str().unwrap(),
        ],
        &[("ORT_DYLIB_PATH", &ort_library())],
    );
    client.initialize(json!({}), json!(null));
    let warning = client.notification("window/showMessage");
    let message = warning["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("cannot load the model") && message.contains("no-model"),
        "{message}"
    );
    let uri = "file:///work/a.md";
    open(
        &mut client,
        uri,
        "markdown",
        "Patients with Wilson disease.",
    );
    assert!(
        message.contains("only names the lexicon knows"),
        "{message}"
    );
    // Without a model the lexicon still shows the names it knows, with their identifiers.
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let found = spans("Patients with Wilson disease.", &data(&tokens["result"]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].1.as_str(), found[0].2),
        ("Wilson disease", DISEASE)
    );
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 16}}),
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("MESH:D006527"), "{hover}");
    let status = status(&mut client);
    assert!(status["model"].is_null());
    assert!(status["problem"]
        .as_str()
        .unwrap()
        .contains("cannot load the model"));

    // A working model named in the settings is loaded, and the entities appear.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bioscope": {"modelPath": shipped_model()}}}),
    );
    let refresh = client.wait_for(|m| m["method"] == "workspace/semanticTokens/refresh");
    client.respond(refresh["id"].clone(), Value::Null);
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let found = spans("Patients with Wilson disease.", &data(&tokens["result"]));
    assert!(
        found
            .iter()
            .any(|(_, t, ty)| t == "Wilson disease" && *ty == DISEASE),
        "{found:?}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_long_document_reports_progress_while_it_is_first_tagged() {
    let mut client = start();
    client.initialize(json!({"window": {"workDoneProgress": true}}), json!(null));
    let text: String = (0..60)
        .map(|i| format!("Cohort {i}: patients with Wilson disease.\n\n"))
        .collect();
    let uri = "file:///work/long.md";
    open(&mut client, uri, "markdown", &text);
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let found = spans(&text, &data(&tokens["result"]));
    let wilson = found
        .iter()
        .filter(|(_, t, _)| t == "Wilson disease")
        .count();
    assert_eq!(wilson, 60, "every paragraph tagged once: {found:?}");
    assert!(client
        .server_requests
        .iter()
        .any(|m| m == "window/workDoneProgress/create"));
    // The protocol does not order notifications against responses: the "end" report may
    // arrive after the tokens.
    if !client
        .notifications
        .iter()
        .any(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
    {
        let end = client
            .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
        client.notifications.push(end);
    }
    let kinds: Vec<String> = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "$/progress")
        .map(|m| m["params"]["value"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("begin"),
        "{kinds:?}"
    );
    assert_eq!(kinds.last().map(String::as_str), Some("end"), "{kinds:?}");
    assert!(
        kinds.iter().filter(|k| *k == "report").count() >= 5,
        "{kinds:?}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

/// The first analysis of a long document is made in steps (with progress reports); it must
/// still be one analysis of the whole document: an abbreviation defined in the first
/// paragraph holds in the last, as it does after any edit.
#[test]
fn the_first_analysis_of_a_long_document_equals_the_analysis_after_an_edit() {
    let mut client = start();
    client.initialize(json!({"window": {"workDoneProgress": true}}), json!(null));
    let mut text = String::from("Patients with Wilson disease (WD) were enrolled.\n\n");
    for i in 0..60 {
        text.push_str(&format!("Cohort {i} was followed for a year.\n\n"));
    }
    text.push_str("In WD, copper accumulates.\n");
    let uri = "file:///work/long-abbreviation.md";
    open(&mut client, uri, "markdown", &text);
    let first = token_texts(&mut client, uri, &text);
    assert!(
        client
            .notifications
            .iter()
            .any(|m| m["method"] == "$/progress"),
        "tagged in steps"
    );
    // An edit that changes nothing: the document is analysed again as a whole.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "text": ""
            }]
        }),
    );
    let after = token_texts(&mut client, uri, &text);
    assert_eq!(first, after);
    let last_line = text.lines().count() as u64 - 1;
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(
        spans(&text, &data(&tokens["result"]))
            .iter()
            .any(|(line, t, ty)| *line == last_line && t == "WD" && *ty == DISEASE),
        "the short form defined in the first paragraph is a disease in the last: {first:?}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn uncertain_mentions_are_ranked_hinted_and_the_status_is_announced() {
    let mut client = start();
    // A threshold of 1 makes every mention the model is not fully sure of uncertain.
    client.initialize(
        json!({}),
        json!({"bioscope": {"confidenceThreshold": 1.0, "uncertainHints": true}}),
    );
    let idle = client.notification("bioscope/status");
    assert_eq!(idle["params"]["activity"], "idle", "{idle}");
    assert_eq!(idle["params"]["model"], "bioscope-union", "{idle}");

    let text = "BRCA1 mutations cause breast cancer.\n\nTamoxifen was tested in MCF-7 cells and in mice.\n";
    let uri = "file:///work/uncertain.md";
    open(&mut client, uri, "markdown", text);
    let published = client.notification("textDocument/publishDiagnostics");
    let hints = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .clone();
    assert!(hints.len() >= 3, "{published}");
    assert!(hints
        .iter()
        .all(|d| d["severity"] == 4 && d["code"] == "uncertain"));

    // Walk the ranking: each step goes to another mention, confidences never decrease, and
    // after every candidate it wraps to the first.
    let next = |client: &mut LspClient, line: u64, character: u64| {
        client.request(
            "workspace/executeCommand",
            json!({"command": "bioscope.nextUncertain", "arguments": [
                {"uri": uri, "position": {"line": line, "character": character}}]}),
        )["result"]
            .clone()
    };
    let first = next(&mut client, 3, 0); // the blank line: on no mention
    let count = first["remaining"].as_u64().unwrap() as usize;
    assert_eq!(count, hints.len(), "{first}");
    let mut seen = vec![first.clone()];
    while seen.len() < count {
        let at = &seen.last().unwrap()["range"]["start"];
        let step = next(
            &mut client,
            at["line"].as_u64().unwrap(),
            at["character"].as_u64().unwrap(),
        );
        assert!(step["confidence"].as_f64() >= seen.last().unwrap()["confidence"].as_f64());
        assert!(!seen.iter().any(|s| s["range"] == step["range"]), "{step}");
        seen.push(step);
    }
    let at = &seen.last().unwrap()["range"]["start"];
    let wrapped = next(
        &mut client,
        at["line"].as_u64().unwrap(),
        at["character"].as_u64().unwrap(),
    );
    assert_eq!(wrapped["range"], first["range"]);
    // The walk visits exactly the hinted mentions.
    let mut walked: Vec<String> = seen.iter().map(|s| s["range"].to_string()).collect();
    let mut hinted: Vec<String> = hints.iter().map(|d| d["range"].to_string()).collect();
    walked.sort();
    hinted.sort();
    assert_eq!(walked, hinted);
    // Where the walk puts the cursor (the start of the mention), code actions are about that
    // mention, also when another one ends there.
    for step in &seen {
        let at = step["range"]["start"].clone();
        let actions = client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": at, "end": at},
                   "context": {"diagnostics": []}}),
        );
        let expected = format!(
            "Accept “{}” as {}",
            step["text"].as_str().unwrap(),
            step["entityType"].as_str().unwrap()
        );
        assert!(
            titles(&actions).contains(&expected),
            "{expected}: {actions}"
        );
    }

    // Out of range: an error, not a crash.
    let bad = client.request(
        "workspace/executeCommand",
        json!({"command": "bioscope.nextUncertain", "arguments": [
            {"uri": uri, "position": {"line": 99, "character": 0}}]}),
    );
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("outside"),
        "{bad}"
    );

    // Turning the hints off clears them.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bioscope": {"uncertainHints": false}}}),
    );
    let cleared = client.notification("textDocument/publishDiagnostics");
    assert_eq!(cleared["params"]["diagnostics"], json!([]), "{cleared}");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_failed_retraining_keeps_the_old_model_serving_and_says_why() {
    let workspace = tempfile::tempdir().unwrap();
    let root = format!("file://{}", workspace.path().display());
    let uri = format!("{root}/paper.md");
    let text = "Patients with Wilson disease were seen.\n";
    let model = shipped_model();
    // A trainer that fails at once, as a crashed one would.
    let mut client = LspClient::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &[
            "lsp",
            "--threads",
            "1",
            "--model",
            model.to_str().unwrap(),
            "--trainer",
            "/bin/false",
        ],
        &[("ORT_DYLIB_PATH", &ort_library())],
    );
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": root, "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    open(&mut client, &uri, "markdown", text);
    let retrain = |client: &mut LspClient| {
        client.request(
            "workspace/executeCommand",
            json!({"command": "bioscope.retrain", "arguments": [{}]}),
        )
    };
    let none = retrain(&mut client);
    assert!(
        none["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no corrections yet"),
        "{none}"
    );

    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 17},
               "end": {"line": 0, "character": 17}}, "context": {"diagnostics": []}}),
    );
    run_action(&mut client, &actions, "Not an entity: “Wilson disease”");
    let failed = retrain(&mut client);
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(message.contains("the trainer failed"), "{failed}");
    assert!(message.contains("keeps using bioscope-union"), "{failed}");
    // Still serving with the same model, and no bundle was made current.
    assert_eq!(status(&mut client)["model"], "bioscope-union");
    assert!(!workspace.path().join(".bioscope/models/history").exists());
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(tokens.get("error").is_none(), "{tokens}");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_file_opened_without_a_folder_keeps_its_corrections_where_the_status_says() {
    let folder = tempfile::tempdir().unwrap();
    let uri = format!("file://{}/notes.md", folder.path().display());
    let text = "Patients with Wilson disease were seen.\n";
    let reject = |client: &mut LspClient| {
        client.initialize(json!({}), json!(null));
        open(client, &uri, "markdown", text);
        let actions = client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 17},
                   "end": {"line": 0, "character": 17}}, "context": {"diagnostics": []}}),
        );
        let done = run_action(client, &actions, "Not an entity: “Wilson disease”");
        assert!(done.get("error").is_none(), "{done}");
        let after = token_texts(client, &uri, text);
        assert!(
            after.iter().all(|(t, _)| t != "Wilson disease"),
            "{after:?}"
        );
        status(client)
    };

    // No folder, no flag: the user's data folder, and the status says so.
    let mut client = start();
    let data = client.data_home.as_ref().unwrap().path().to_path_buf();
    let s = reject(&mut client);
    let store = data.join("bioscope/corrections.jsonl");
    assert_eq!(s["correctionsPath"], store.display().to_string(), "{s}");
    assert_eq!(s["correctionsChosenBy"], "userData");
    assert!(s["correctionsWhere"]
        .as_str()
        .unwrap()
        .contains("no workspace folder is open"));
    let record: Value =
        serde_json::from_str(std::fs::read_to_string(&store).unwrap().trim()).unwrap();
    assert_eq!(record["action"], "reject");
    assert_eq!(
        record["document"],
        folder.path().join("notes.md").display().to_string()
    );
    assert_eq!(client.shutdown(), Some(0));

    // Inference runs on the CPU (this machine has no GPU build of ONNX Runtime).
    assert_eq!(s["device"], "cpu", "{s}");
    assert!(s["deviceNote"].is_null(), "{s}");

    // The user's own choice on the command line (what the editors pass from user settings).
    let chosen = folder.path().join("mine/decisions.jsonl");
    let model = shipped_model();
    let mut client = LspClient::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &[
            "lsp",
            "--threads",
            "1",
            "--model",
            model.to_str().unwrap(),
            "--corrections",
            chosen.to_str().unwrap(),
            "--device",
            "cuda",
        ],
        &[("ORT_DYLIB_PATH", &ort_library())],
    );
    let s = reject(&mut client);
    assert_eq!(s["correctionsPath"], chosen.display().to_string(), "{s}");
    assert_eq!(s["correctionsChosenBy"], "commandLine");
    // Asked for CUDA without a GPU build: on the CPU, and the status says why.
    assert_eq!(s["device"], "cpu", "{s}");
    assert!(
        s["deviceNote"]
            .as_str()
            .unwrap()
            .contains("tagging on the CPU"),
        "{s}"
    );
    assert_eq!(std::fs::read_to_string(&chosen).unwrap().lines().count(), 1);
    assert_eq!(client.shutdown(), Some(0));
}

fn hover_at(client: &mut LspClient, uri: &str, text: &str, word: &str) -> String {
    let character = text.find(word).unwrap() as u64 + 1;
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": character}}),
    );
    hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover on {word}: {hover}"))
        .to_string()
}

#[test]
fn a_gene_hover_is_short_names_its_organism_and_offers_the_other() {
    let mut client = start();
    client.initialize(json!({}), json!(null));
    let human = "TP53 mutations were found in most tumours.\n";
    open(&mut client, "file:///h.md", "markdown", human);
    let value = hover_at(&mut client, "file:///h.md", human, "TP53");
    let lines: Vec<&str> = value.lines().collect();
    assert!(lines.len() <= 14, "{} lines:\n{value}", lines.len());
    assert!(value.contains("[NCBIGene:7157]("), "{value}");
    assert!(
        value.contains("Homo sapiens gene: the default: this document names no species"),
        "{value}"
    );
    // One line per namespace, its first identifier a link, the rest counted.
    for line in lines.iter().filter(|l| l.starts_with("- [")) {
        let namespace = line[3..].split(':').next().unwrap();
        assert_eq!(line.matches(&format!("[{namespace}:")).count(), 1, "{line}");
    }
    assert!(value.contains("more)"), "{value}");
    // The label is not repeated before an identifier that carries it.
    for label in [
        "OMIM OMIM",
        "UniProt UniProt",
        "HGNC HGNC",
        "NCBI Gene NCBIGene",
    ] {
        assert!(!value.contains(label), "{label}: {value}");
    }
    // Only the human gene's own identifiers; the mouse one is offered on its own line.
    let own = value.split("other organism").next().unwrap();
    assert!(!own.contains("[MGI:") && !own.contains("[RGD:"), "{value}");
    let other = value
        .lines()
        .find(|l| l.starts_with("other organism: "))
        .unwrap_or_else(|| panic!("no other organism: {value}"));
    assert!(
        !other.contains("Homo sapiens") && (other.contains("[MGI:") || other.contains("[RGD:")),
        "{value}"
    );

    // A mouse study: the mouse gene (its sentence names mice), said why, and the human one
    // offered.
    let mouse = "Trp53 knockout mice developed tumours; the mice were treated.\n";
    open(&mut client, "file:///m.md", "markdown", mouse);
    let value = hover_at(&mut client, "file:///m.md", mouse, "Trp53");
    assert!(
        value.contains("Mus musculus gene: the species named nearest in its sentence"),
        "{value}"
    );
    assert!(
        value.contains("other organism: Homo sapiens · ") && value.contains("[NCBIGene:7157]("),
        "{value}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_resized_mention_can_be_retyped_and_stays_coloured() {
    let workspace = tempfile::tempdir().unwrap();
    let root = format!("file://{}", workspace.path().display());
    let uri = format!("{root}/paper.md");
    let text = "Patients with Wilson disease were seen.\n";
    let mut client = start();
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": root, "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    open(&mut client, &uri, "markdown", text);
    let typed = |client: &mut LspClient| -> Vec<(String, u64)> {
        full_spans(client, &uri, text)
            .into_iter()
            .map(|(_, t, ty)| (t, ty))
            .filter(|(t, _)| t.starts_with("Wilson"))
            .collect()
    };
    assert_eq!(
        typed(&mut client),
        [("Wilson disease".to_string(), DISEASE)]
    );
    let wilson = text.find("Wilson").unwrap() as u64;
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": wilson},
               "end": {"line": 0, "character": wilson + 6}}, "context": {"diagnostics": []}}),
    );
    run_action(&mut client, &actions, "Resize “Wilson disease” to “Wilson”");
    assert_eq!(typed(&mut client), [("Wilson".to_string(), DISEASE)]);
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": wilson + 2},
               "end": {"line": 0, "character": wilson + 2}}, "context": {"diagnostics": []}}),
    );
    run_action(&mut client, &actions, "Change type of “Wilson” to Gene");
    assert_eq!(
        typed(&mut client),
        [("Wilson".to_string(), 0)],
        "retyped to Gene, still coloured"
    );
    assert_eq!(client.shutdown(), Some(0));
}

/// Typing a word letter by letter: the partial word never takes a colour ("Li-Fraumen" a
/// chemical, then a gene, ...); a space or a pause completes it, and it is coloured then.
#[test]
fn a_word_being_typed_is_not_coloured_until_it_is_complete() {
    let mut client = start();
    client.initialize(json!({}), json!(null));
    let uri = "file:///typing.md";
    let mut text = String::from("Patients with \n");
    open(&mut client, uri, "markdown", &text);
    let mut version = 1;
    let mut type_text = |client: &mut LspClient, text: &mut String, typed: &str| {
        for c in typed.chars() {
            let at = text.find('\n').unwrap() as u64;
            version += 1;
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [
                    {"range": {"start": {"line": 0, "character": at}, "end": {"line": 0, "character": at}},
                     "text": c.to_string()}]}),
            );
            text.insert(at as usize, c);
            let tokens = client.request(
                "textDocument/semanticTokens/full",
                json!({"textDocument": {"uri": uri}}),
            );
            // The word at the cursor: from the last space to the end of the line.
            let line = text.lines().next().unwrap();
            let word_start = line.rfind(' ').map_or(0, |i| i + 1) as u64;
            let cursor = line.len() as u64;
            // (A full stop or a space completes the word.)
            if word_start < cursor && c.is_alphanumeric() {
                for (_, start, len, ty, _) in decode_tokens(&data(&tokens["result"])) {
                    assert!(
                        start + len < word_start || start > cursor,
                        "{:?} coloured as type {ty} while typing {line:?}",
                        token_text(text, 0, start, len)
                    );
                }
            }
        }
    };
    type_text(&mut client, &mut text, "Wilson disease");
    // A pause: the server asks the editor to fetch the tokens again, and the word is coloured.
    let refresh = client.wait_for(|m| m["method"] == "workspace/semanticTokens/refresh");
    client.respond(refresh["id"].clone(), Value::Null);
    let shown = full_spans(&mut client, uri, &text);
    assert!(
        shown.contains(&(0, "Wilson disease".to_string(), DISEASE)),
        "{shown:?}"
    );
    // A space completes a word at once.
    type_text(&mut client, &mut text, " and Menkes disease");
    let shown = full_spans(&mut client, uri, &text);
    assert!(
        !shown.iter().any(|(_, t, _)| t.contains("Menkes disease")),
        "{shown:?}"
    );
    type_text(&mut client, &mut text, ".");
    let shown = full_spans(&mut client, uri, &text);
    assert!(
        shown.contains(&(0, "Menkes disease".to_string(), DISEASE)),
        "{shown:?}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_lab_report_is_coloured_hovered_and_its_flagged_values_are_diagnostics() {
    let mut client = start();
    let init = client.initialize(json!({}), json!({}));
    let legend: Vec<String> = init["capabilities"]["semanticTokensProvider"]["legend"]
        ["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let index = |name: &str| legend.iter().position(|t| t == name).unwrap() as u64;
    let (biomarker, value, unit) = (index("biomarker"), index("labValue"), index("labUnit"));
    let text =
        "Potassium 6.1 mmol/L (3.5-5.1)\nSodium 139 mmol/L\nK 45 mmol/L\nGlucose 100 mg/dL\n";
    let uri = "file:///work/2026-12-01.lab.txt";
    open(&mut client, uri, "plaintext", text);

    // High potassium is information, a potassium of 45 (a dropped decimal point) a warning.
    let published = client.notification("textDocument/publishDiagnostics");
    let found: Vec<(u64, u64, String)> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["severity"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(0, 3, "out-of-range".into()), (2, 2, "implausible".into())],
        "{published}"
    );

    // Biomarkers, values and units are coloured, no entity types.
    let tokens = full_spans(&mut client, uri, text);
    assert!(
        tokens.contains(&(0, "Potassium".into(), biomarker)),
        "{tokens:?}"
    );
    assert!(tokens.contains(&(0, "6.1".into(), value)), "{tokens:?}");
    assert!(tokens.contains(&(3, "mg/dL".into(), unit)), "{tokens:?}");
    assert!(tokens.iter().all(|(.., ty)| *ty >= biomarker), "{tokens:?}");

    // The hover gives the SI value: glucose 100 mg/dL is 5.55 mmol/L.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 10}}),
    );
    let shown = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        shown.contains("Glucose") && shown.contains("5.55"),
        "{hover}"
    );

    // Fixing the dropped decimal point leaves only the high potassium.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 2, "character": 2}, "end": {"line": 2, "character": 4}},
            "text": "4.5"}]}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    let left = published["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{published}");
    assert_eq!(left[0]["range"]["start"]["line"], 0, "{published}");

    // The same text in a manuscript is tagged for entities, not read as a report.
    let paper = "file:///work/paper.md";
    open(&mut client, paper, "markdown", text);
    let tokens = full_spans(&mut client, paper, text);
    assert!(tokens.iter().all(|(.., ty)| *ty < biomarker), "{tokens:?}");
    assert_eq!(client.shutdown(), Some(0));
}

/// A user declares a type of their own, tags a selection with it, and every mention of those
/// words is coloured in the type's legend slot, in other documents too and after a restart; a
/// declaration that clashes with a built-in type is refused with a message.
#[test]
fn a_type_of_ones_own_is_declared_tagged_and_coloured_everywhere() {
    let workspace = tempfile::tempdir().unwrap();
    let root = format!("file://{}", workspace.path().display());
    let uri = format!("{root}/liver.md");
    let other = format!("{root}/notes.md");
    let text = "Biopsies of the hepatic lobule showed steatosis in most patients.\n";
    let other_text = "The hepatic lobule is the liver's unit; Hepatic lobules drain bile.\n";
    let options = json!({"bioscope": {"customTypes": [
        {"name": "Organ", "description": "organs, tissues and their parts"},
        {"name": "gene", "description": "clashes"}
    ]}});
    let init = |client: &mut LspClient| {
        let init = client.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {},
                   "initializationOptions": options}),
        );
        client.notify("initialized", json!({}));
        let legend: Vec<String> = init["result"]["capabilities"]["semanticTokensProvider"]
            ["legend"]["tokenTypes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        legend.iter().position(|t| t == "customType1").unwrap() as u64
    };
    let mut client = start();
    let slot = init(&mut client);
    let warning = client.notification("window/showMessage");
    let message = warning["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("customTypes[1]") && message.contains("built-in type Gene"),
        "{message}"
    );
    let declared = status(&mut client);
    assert_eq!(declared["customTypes"][0]["name"], "Organ", "{declared}");
    assert_eq!(declared["customTypes"][0]["tokenType"], "customType1");

    open(&mut client, &uri, "markdown", text);
    open(&mut client, &other, "markdown", other_text);
    let from = text.find("hepatic lobule").unwrap() as u64;
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": from},
               "end": {"line": 0, "character": from + 14}}, "context": {"diagnostics": []}}),
    );
    let offered = titles(&actions);
    assert!(
        offered.contains(&"Tag “hepatic lobule” as Disease".to_string()),
        "{offered:?}"
    );
    let done = run_action(&mut client, &actions, "Tag “hepatic lobule” as Organ");
    assert!(done.get("error").is_none(), "{done}");

    let organs = |client: &mut LspClient, uri: &str, text: &str| -> Vec<String> {
        full_spans(client, uri, text)
            .into_iter()
            .filter(|(_, _, ty)| *ty == slot)
            .map(|(_, t, _)| t)
            .collect()
    };
    assert_eq!(organs(&mut client, &uri, text), ["hepatic lobule"]);
    assert_eq!(
        organs(&mut client, &other, other_text),
        ["hepatic lobule", "Hepatic lobules"],
        "the decision applies in every document, to other spellings too"
    );
    let hover = hover_at(&mut client, &uri, text, "hepatic");
    assert!(
        hover.starts_with("**Organ**") && hover.contains("organs, tissues and their parts"),
        "{hover}"
    );
    // Its mentions get the usual actions, retyping to a built-in type among them.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": other}, "range": {"start": {"line": 0, "character": 6},
               "end": {"line": 0, "character": 6}}, "context": {"diagnostics": []}}),
    );
    let offered = titles(&actions);
    for expected in [
        "Not an entity: “hepatic lobule”",
        "Change type of “hepatic lobule” to CellType",
    ] {
        assert!(offered.iter().any(|t| t == expected), "{offered:?}");
    }
    // A decision naming a type nobody declared is refused.
    let undeclared = client.request(
        "workspace/executeCommand",
        json!({"command": "bioscope.applyCorrection", "arguments": [{
            "uri": uri, "version": 1, "action": "tag", "scope": "everywhere", "old": null,
            "new": {"start": 0, "end": 8, "type": "Tissue"}}]}),
    );
    assert!(undeclared.get("error").is_some(), "{undeclared}");

    let store = workspace.path().join(".bioscope/corrections.jsonl");
    let record: Value =
        serde_json::from_str(std::fs::read_to_string(&store).unwrap().trim()).unwrap();
    assert_eq!(record["new"]["type"], "Organ", "{record}");
    assert_eq!(client.shutdown(), Some(0));

    // After a restart the declaration and the decision are read again.
    let mut client = start();
    let slot_again = init(&mut client);
    assert_eq!(slot_again, slot);
    open(&mut client, &other, "markdown", other_text);
    assert_eq!(
        organs(&mut client, &other, other_text).len(),
        2,
        "the stored decision colours the type again"
    );
    assert_eq!(client.shutdown(), Some(0));
}
