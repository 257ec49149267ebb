//! Load: 50 open documents edited at 10 edits/s from this process over the server's stdio, as
//! an editor with many files would, with token requests in between. At the end every
//! document's text and version on the server must equal what was sent (no edit lost or
//! reordered), and the server's memory must stay bounded (the caches have fixed sizes).
//!
//! 6 s by default; `BIOSCOPE_LONG_TESTS=1` runs 60 s.

use std::time::{Duration, Instant};

use bioscope_tests::lsp_client::LspClient;
use bioscope_tests::{fixture, ort_library, shipped_model};
use serde_json::{json, Value};

const DOCUMENTS: usize = 50;
const EDITS_PER_SECOND: u64 = 10;

/// Resident memory of a process now, in MiB.
fn rss_mib(pid: u32) -> u64 {
    bioscope_tests::memory_mib(pid, "VmRSS").expect("the server is running")
}

/// Lines of `text` (all edits keep to ASCII and `\n`, so columns are bytes).
fn line_of(text: &str, line: usize) -> (usize, &str) {
    let mut start = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i == line {
            return (start, l);
        }
        start += l.len() + 1;
    }
    unreachable!()
}

#[test]
fn fifty_documents_edited_ten_times_a_second_stay_in_sync() {
    let long = std::env::var_os("BIOSCOPE_LONG_TESTS").is_some_and(|v| v != "0");
    let seconds = if long { 60 } else { 6 };
    let model = shipped_model();
    let mut client = LspClient::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &["lsp", "--threads", "1", "--model", model.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", &ort_library())],
    );
    client.initialize(json!({}), json!(null));
    let pid = client.pid();
    let base = std::fs::read_to_string(fixture("manuscript.md")).unwrap();
    let mut texts: Vec<String> = (0..DOCUMENTS)
        .map(|i| base.replace("Wilson disease", &format!("Wilson disease (cohort {i})")))
        .collect();
    let mut versions = [1; DOCUMENTS];
    let uri = |i: usize| format!("file:///load/doc{i:02}.md");
    for (i, text) in texts.iter().enumerate() {
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(i), "languageId": "markdown", "version": 1, "text": text}}),
        );
    }
    let words = [
        "BRCA1 ",
        "tamoxifen ",
        "the ",
        "breast cancer ",
        "mice ",
        "x",
    ];
    let mut rng = bioscope_core::encoding::SplitMix::new(7);
    let total = seconds * EDITS_PER_SECOND;
    let started = Instant::now();
    let (mut peak, mut requests) = (rss_mib(pid), 0);
    for k in 0..total {
        let due = started + Duration::from_millis(k * 1000 / EDITS_PER_SECOND);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let d = rng.below(DOCUMENTS);
        let text = &mut texts[d];
        let lines = text.split('\n').count();
        let line = rng.below(lines);
        let (start, content) = line_of(text, line);
        let column = rng.below(content.len() + 1);
        // Mostly insertions, some deletions of up to 5 bytes within the line.
        let delete = if rng.below(4) == 0 {
            rng.below(6).min(content.len() - column)
        } else {
            0
        };
        let insert = if delete > 0 {
            ""
        } else {
            words[rng.below(words.len())]
        };
        text.replace_range(start + column..start + column + delete, insert);
        versions[d] += 1;
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(d), "version": versions[d]}, "contentChanges": [{
                "range": {"start": {"line": line, "character": column},
                          "end": {"line": line, "character": column + delete}},
                "text": insert}]}),
        );
        if k % 5 == 0 {
            let tokens = client.request(
                "textDocument/semanticTokens/full",
                json!({"textDocument": {"uri": uri(d)}}),
            );
            assert!(tokens["result"]["data"].is_array(), "{tokens}");
            requests += 1;
        }
        if k % EDITS_PER_SECOND == 0 {
            peak = peak.max(rss_mib(pid));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    for (d, text) in texts.iter().enumerate() {
        let held = client.request(
            "workspace/executeCommand",
            json!({"command": "bioscope.documentText", "arguments": [{"uri": uri(d)}]}),
        );
        assert_eq!(held["result"]["version"], versions[d], "document {d}");
        assert_eq!(
            held["result"]["text"].as_str(),
            Some(text.as_str()),
            "document {d}"
        );
        let tokens = client.request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": uri(d)}}),
        );
        assert!(tokens["result"]["data"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
    }
    peak = peak.max(rss_mib(pid));
    let status = client.request(
        "workspace/executeCommand",
        json!({"command": "bioscope.status", "arguments": []}),
    );
    let cache: &Value = &status["result"]["cache"];
    eprintln!(
        "load: {DOCUMENTS} documents, {total} edits in {elapsed:.1} s ({:.1}/s), {requests} token \
         requests during the run, every final text verified; RSS peak {peak} MiB, end {} MiB; \
         cache {cache}",
        total as f64 / elapsed,
        rss_mib(pid)
    );
    // The paragraph cache holds at most 20,000 entries; the model and lexicon are fixed.
    assert!(peak < 1024, "peak RSS {peak} MiB");
    assert_eq!(client.shutdown(), Some(0));
}
