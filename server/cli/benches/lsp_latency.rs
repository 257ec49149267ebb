//! Time from `didChange` to updated semantic tokens on a 5,000-word Markdown document, through
//! the real `bioscope lsp` over stdio with the shipped model. Prints p50/p99 and the server's
//! RSS; never asserts timings.
//!
//!   cargo bench -p bioscope-cli --bench lsp_latency            (after `bash .ci/setup`)
//!
//! Each round inserts a word into one paragraph (a different one each time) and immediately
//! asks for `semanticTokens/full/delta`, as editors do. Measured with the debounce set to 0
//! (the work itself) and with the default 150 ms.

use std::path::Path;
use std::time::Instant;

use bioscope_tests::lsp_client::LspClient;
use bioscope_tests::{fixture, ort_library, shipped_model};
use serde_json::json;

const ROUNDS: usize = 60;
const WORDS: usize = 5_000;

/// A Markdown document of about `WORDS` words: the sample manuscript's prose paragraphs,
/// numbered so that no two paragraphs are identical.
fn document() -> String {
    let sample = std::fs::read_to_string(fixture("manuscript.md")).unwrap();
    let paragraphs: Vec<&str> = sample
        .split("\n\n")
        .filter(|p| !p.starts_with("```") && !p.starts_with("---") && !p.starts_with('#'))
        .collect();
    let mut doc = String::from("# Benchmark manuscript\n\n");
    let mut n = 0;
    while doc.split_whitespace().count() < WORDS {
        let p = paragraphs[n % paragraphs.len()];
        doc.push_str(&format!("Cohort {n}. {p}\n\n"));
        n += 1;
    }
    doc
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn run(debounce_ms: u64, text: &str) {
    let model = shipped_model();
    let mut client = LspClient::start(
        Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &["lsp", "--model", model.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", &ort_library())],
    );
    client.initialize(json!({}), json!({"bioscope": {"debounceMs": debounce_ms}}));
    let uri = "file:///bench/manuscript.md";
    let opened = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
    );
    let full = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let first = opened.elapsed().as_secs_f64() * 1e3;
    let mut result_id = full["result"]["resultId"].clone();

    // Lines that start a numbered paragraph: edit a different one each round.
    let lines: Vec<u32> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("Cohort "))
        .map(|(i, _)| i as u32)
        .collect();
    let mut times = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let line = lines[(round * 7) % lines.len()];
        let started = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": round + 2}, "contentChanges": [{
                "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                "text": "Revised "}]}),
        );
        let delta = client.request(
            "textDocument/semanticTokens/full/delta",
            json!({"textDocument": {"uri": uri}, "previousResultId": result_id}),
        );
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(delta.get("error").is_none(), "{delta}");
        result_id = delta["result"]["resultId"].clone();
    }
    times.sort_by(f64::total_cmp);
    let rss =
        rss_kib(client.pid()).map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
    println!(
        "debounce {debounce_ms:>3} ms: didChange -> tokens p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
         ({ROUNDS} edits); first tokens after didOpen {first:.0} ms; server RSS {rss}",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
    );
    client.shutdown();
}

fn main() {
    let text = document();
    println!(
        "document: {} words, {} paragraphs, {} bytes",
        text.split_whitespace().count(),
        text.split("\n\n").count(),
        text.len()
    );
    run(0, &text);
    run(150, &text);
}
