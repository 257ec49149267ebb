//! What a writer feels, through the real `bioscope lsp` over stdio with the shipped model and
//! lexicon, on the committed 10,000-word Markdown manuscript (`benches/data/manuscript-10k.md`,
//! built from shared abstracts by `benches/make_manuscript.py`). Prints figures; never asserts
//! timings.
//!
//!   cargo bench -p bioscope-cli --bench lsp_latency            (after `bash .ci/setup`)
//!
//! - Cold open: `didOpen`, then at once `semanticTokens/range` for the first 60 lines (one
//!   screen), then `semanticTokens/full`: time to each answer.
//! - Keystrokes: 1,000 typed characters (words typed a character at a time at word boundaries
//!   of random prose lines, seeded), each a `didChange` followed at once by
//!   `semanticTokens/full/delta`, as editors do: p50/p99 from `didChange` to the tokens.
//!   Default settings (the 150 ms debounce applies to unrequested work only).
//! - Server RSS after the open and after the edits.
//!
//! `BIOSCOPE_BENCH_EDITS=N` changes the number of keystrokes.

use std::path::Path;
use std::time::Instant;

use bioscope_core::encoding::SplitMix;
use bioscope_tests::lsp_client::LspClient;
use bioscope_tests::{ort_library, percentile, shipped_model};
use serde_json::json;

const VISIBLE_LINES: u32 = 60;
const WORDS_TYPED: [&str; 6] = ["novel ", "the ", "severe ", "BRCA1 ", "mice ", "acute "];

fn manuscript() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/manuscript-10k.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rss_mib(pid: u32) -> String {
    bioscope_tests::memory_mib(pid, "VmRSS").map_or("n/a".into(), |m| format!("{m} MiB"))
}

/// Lines of running prose (not headings, list markers, math or code), where typing happens.
fn prose_lines(lines: &[String]) -> Vec<usize> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("```") || line.starts_with("$$") {
            fenced = !fenced;
            continue;
        }
        if !fenced && line.len() > 20 && line.starts_with(|c: char| c.is_alphabetic()) {
            out.push(i);
        }
    }
    out
}

fn main() {
    let text = manuscript();
    let edits: usize = std::env::var("BIOSCOPE_BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    println!(
        "manuscript: {} words, {} lines, {} bytes",
        text.split_whitespace().count(),
        text.lines().count(),
        text.len()
    );
    let model = shipped_model();
    let mut client = LspClient::start(
        Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &["lsp", "--model", model.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", &ort_library())],
    );
    client.initialize(json!({}), json!({}));
    let uri = "file:///bench/manuscript.md";

    // Cold open.
    let opened = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
    );
    let range = client.request(
        "textDocument/semanticTokens/range",
        json!({"textDocument": {"uri": uri}, "range": {
            "start": {"line": 0, "character": 0}, "end": {"line": VISIBLE_LINES, "character": 0}}}),
    );
    let visible_ms = opened.elapsed().as_secs_f64() * 1e3;
    assert!(range.get("error").is_none(), "{range}");
    let full = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let full_ms = opened.elapsed().as_secs_f64() * 1e3;
    assert!(full.get("error").is_none(), "{full}");
    println!(
        "cold open: first {VISIBLE_LINES} lines' tokens after {visible_ms:.0} ms ({} tokens), \
         whole document after {full_ms:.0} ms ({} tokens); server RSS {}",
        range["result"]["data"]
            .as_array()
            .map_or(0, |d| d.len() / 5),
        full["result"]["data"].as_array().map_or(0, |d| d.len() / 5),
        rss_mib(client.pid())
    );
    let mut result_id = full["result"]["resultId"].clone();

    // Keystrokes.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let candidates = prose_lines(&lines);
    let mut rng = SplitMix::new(2026);
    let mut times = Vec::with_capacity(edits);
    let mut version = 1;
    let mut typed = 0;
    while typed < edits {
        let line = candidates[rng.below(candidates.len())];
        let word = WORDS_TYPED[rng.below(WORDS_TYPED.len())];
        let boundaries: Vec<usize> = std::iter::once(0)
            .chain(lines[line].match_indices(' ').map(|(i, _)| i + 1))
            .collect();
        let mut at = boundaries[rng.below(boundaries.len())];
        for c in word.chars().take(edits - typed) {
            let character = lines[line][..at].encode_utf16().count();
            version += 1;
            let started = Instant::now();
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
                    "range": {"start": {"line": line, "character": character},
                              "end": {"line": line, "character": character}},
                    "text": c.to_string()}]}),
            );
            let delta = client.request(
                "textDocument/semanticTokens/full/delta",
                json!({"textDocument": {"uri": uri}, "previousResultId": result_id}),
            );
            times.push(started.elapsed().as_secs_f64() * 1e3);
            assert!(delta.get("error").is_none(), "{delta}");
            result_id = delta["result"]["resultId"].clone();
            lines[line].insert(at, c);
            at += c.len_utf8();
            typed += 1;
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "keystrokes: didChange -> tokens p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} edits); \
         server RSS after them {}",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        times.len(),
        rss_mib(client.pid())
    );
    client.shutdown();
}
