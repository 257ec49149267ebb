//! Batch throughput against the machine's limit, and side by side with the Python pipeline.
//! Prints figures; never asserts timings.
//!
//!   cargo bench -p bioscope-cli --bench throughput      (after `bash .ci/setup`; the first run
//!   also builds .assets/bench-python with server/cli/benches/python-env.sh, from PyPI)
//!
//! 1. `bioscope tag` (the release binary, all cores, JSON output) over the test splits of every
//!    shared corpus (paragraphs of eight sentences), with the shipped int8 bundle and with an
//!    fp32 bundle made from it (dequantized into `target/bench-throughput/fp32`): words/s.
//! 2. The machine's limit: the best fp32 matrix product on all cores (candle's CPU kernels,
//!    2048³), against the model's floating-point operations per word piece (encoder shape from
//!    the manifest, at the mean sentence length): the share of the limit each run reaches.
//! 3. Side by side on the same sentences and bundle: BioScope's tagger in process vs the
//!    onnxruntime + tokenizers Python packages (`python_pipeline.py`): throughput over all
//!    sentences, and latency of 200 sentences tagged one at a time (p50/p99).
//!
//! `BIOSCOPE_BENCH_SPLITS=ncbi` limits the corpora to those whose path contains the string.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use bioscope_core::corpus::read_iob;
use bioscope_core::encoding::WINDOW_CONTEXT;
use bioscope_tagger::{Tagger, TaggerOptions};
use bioscope_tests::{ort_library, percentile, repo_root, shipped_lexicon, shipped_model};

/// The test splits of models/evaluate.sh (BioRED has no shared test split: its dev split).
const SPLITS: [&str; 9] = [
    "ncbi-disease/iob-mtl2016/test.tsv",
    "bc5cdr/iob-mtl2016/BC5CDR-IOB/test.tsv",
    "bc2gm/iob-mtl2016/test.tsv",
    "jnlpba/iob-mtl2016/test.tsv",
    "linnaeus/iob-mtl2016/test.tsv",
    "s800/iob-derived/test.tsv",
    "s1000/iob-derived/test.tsv",
    "bionlp13cg/iob-mtl2016/test.tsv",
    "biored/iob-derived/dev.tsv",
];
const SENTENCES_PER_PARAGRAPH: usize = 8;
const LATENCY_ROUNDS: usize = 200;

fn threads() -> usize {
    TaggerOptions::default().threads
}

/// The sentences of the selected splits, as words; the paragraph files for `bioscope tag` and
/// the one-sentence-per-line file for the side by side are written to `work`.
fn prepare(work: &Path) -> (Vec<Vec<String>>, Vec<PathBuf>, PathBuf) {
    let corpora = repo_root().join("../shared/data/corpora");
    let only = std::env::var("BIOSCOPE_BENCH_SPLITS").unwrap_or_default();
    let mut all = Vec::new();
    let mut files = Vec::new();
    for split in SPLITS.iter().filter(|s| s.contains(only.as_str())) {
        let sentences = read_iob(&corpora.join(split))
            .unwrap_or_else(|e| panic!("{split}: {e} (is ../shared beside the repository?)"));
        let words: Vec<Vec<String>> = sentences.into_iter().map(|s| s.words).collect();
        let text: Vec<String> = words
            .chunks(SENTENCES_PER_PARAGRAPH)
            .map(|p| p.iter().map(|s| s.join(" ")).collect::<Vec<_>>().join(" "))
            .collect();
        let file = work.join(format!("{}.txt", split.replace('/', "_")));
        std::fs::write(&file, text.join("\n\n") + "\n").unwrap();
        files.push(file);
        all.extend(words);
    }
    let lines = work.join("sentences.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&lines).unwrap());
    for s in &all {
        writeln!(out, "{}", s.join(" ")).unwrap();
    }
    (all, files, lines)
}

/// An fp32 bundle with the shipped model's weights (dequantized), made once.
fn fp32_bundle(work: &Path) -> PathBuf {
    let out = work.join("fp32");
    let shipped = shipped_model();
    let manifest = std::fs::read_to_string(shipped.join("manifest.json")).unwrap();
    let stamp = out.join("made-from.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(manifest.as_str()) {
        let imported =
            bioscope_train::import::import_bundle(&shipped, Some(&shipped_lexicon())).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        bioscope_train::export::export_bundle(
            &imported.run,
            &out,
            &bioscope_train::export::ExportOptions { int8: false },
        )
        .unwrap();
        std::fs::write(&stamp, manifest).unwrap();
    }
    out
}

/// Stops the bench with the child's error output when it failed.
fn succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Seconds for `bioscope tag` over `files` with `model`.
fn bioscope_tag(model: &Path, files: &[PathBuf]) -> f64 {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_bioscope"))
        .arg("tag")
        .arg("--model")
        .arg(model)
        .args(["--format", "json"])
        .args(files)
        .env("ORT_DYLIB_PATH", ort_library())
        .output()
        .unwrap();
    succeeded(&output);
    started.elapsed().as_secs_f64()
}

/// The best fp32 GFLOP/s of a 2048³ matrix product on all cores.
fn matmul_peak_gflops() -> f64 {
    use candle_core::{Device, Tensor};
    let n = 2048;
    let a = Tensor::randn(0f32, 1.0, (n, n), &Device::Cpu).unwrap();
    let b = Tensor::randn(0f32, 1.0, (n, n), &Device::Cpu).unwrap();
    let mut best = f64::MAX;
    for _ in 0..6 {
        let started = Instant::now();
        let c = a.matmul(&b).unwrap();
        let _ = c.sum_all().unwrap().to_scalar::<f32>().unwrap();
        best = best.min(started.elapsed().as_secs_f64());
    }
    2.0 * (n as f64).powi(3) / best / 1e9
}

/// Floating-point operations per word piece of a forward pass at sequence length `t`.
fn flops_per_piece(manifest: &bioscope_core::bundle::Manifest, t: f64) -> f64 {
    let e = &manifest.encoder;
    let (h, i, l) = (
        e.hidden_size as f64,
        e.intermediate_size as f64,
        e.num_hidden_layers as f64,
    );
    let labels = manifest.labels.len() as f64;
    l * (2.0 * (4.0 * h * h + 2.0 * h * i) + 4.0 * h * t) + 2.0 * h * labels
}

fn main() {
    let work = repo_root().join("target/bench-throughput");
    std::fs::create_dir_all(&work).unwrap();
    let (sentences, files, lines) = prepare(&work);
    let words: usize = sentences.iter().map(Vec::len).sum();
    let threads = threads();
    let int8 = shipped_model();
    let fp32 = fp32_bundle(&work);
    let options = TaggerOptions {
        library: Some(ort_library()),
        ..TaggerOptions::default()
    };
    let lexicon = std::sync::Arc::new(bioscope_lexicon::open(&shipped_lexicon()).unwrap());
    let tagger = Tagger::load(&int8, options.clone())
        .unwrap()
        .with_feature_lexicon(Some(lexicon));
    let manifest = tagger.bundle.manifest.clone();
    let mut pieces = 0usize;
    for s in &sentences {
        for w in tagger
            .bundle
            .encoder
            .encode_words_with_context(s, manifest.max_sequence_length, WINDOW_CONTEXT)
            .unwrap()
        {
            pieces += w.ids.len();
        }
    }
    let mean_len = pieces as f64 / sentences.len() as f64;
    let per_piece = flops_per_piece(&manifest, mean_len);
    println!(
        "corpora: {} test splits, {} sentences, {words} words, {pieces} word pieces (mean {mean_len:.1} per sentence); \
         {threads} threads; model {:.1} MFLOP per piece",
        files.len(),
        sentences.len(),
        per_piece / 1e6
    );
    let peak = matmul_peak_gflops();
    println!(
        "machine limit: fp32 matrix product (candle, 2048^3, {threads} threads) {peak:.1} GFLOP/s"
    );

    for (label, model) in [("int8", &int8), ("fp32", &fp32)] {
        let seconds = bioscope_tag(model, &files);
        let achieved = pieces as f64 * per_piece / seconds / 1e9;
        println!(
            "bioscope tag, {label}: {seconds:.1} s, {:.0} words/s, {:.0} pieces/s; \
             {achieved:.1} GFLOP/s = {:.0} % of the fp32 limit",
            words as f64 / seconds,
            pieces as f64 / seconds,
            100.0 * achieved / peak
        );
    }

    // Side by side: in process, the same sentences.
    let texts: Vec<String> = sentences.iter().map(|s| s.join(" ")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let _ = tagger.tag_texts(&refs[..refs.len().min(32)]).unwrap(); // warm-up
    let started = Instant::now();
    let found: usize = tagger.tag_texts(&refs).unwrap().iter().map(Vec::len).sum();
    let ours_seconds = started.elapsed().as_secs_f64();
    let mut ours_latency: Vec<f64> = refs
        .iter()
        .take(LATENCY_ROUNDS)
        .map(|s| {
            let t = Instant::now();
            tagger.tag_texts(&[s]).unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ours_latency.sort_by(f64::total_cmp);
    println!(
        "bioscope in process (int8): {:.0} words/s ({found} entities); one sentence at a time p50 {:.2} ms, p99 {:.2} ms",
        words as f64 / ours_seconds,
        percentile(&ours_latency, 0.5),
        percentile(&ours_latency, 0.99)
    );

    let env = Command::new("bash")
        .arg(repo_root().join("server/cli/benches/python-env.sh"))
        .output()
        .unwrap();
    let python = String::from_utf8_lossy(&env.stdout).trim().to_string();
    if !env.status.success() || python.is_empty() {
        println!(
            "python side by side skipped: {}",
            String::from_utf8_lossy(&env.stderr)
        );
        return;
    }
    let output = Command::new(&python)
        .arg(repo_root().join("server/cli/benches/python_pipeline.py"))
        .arg(&int8)
        .arg(&lines)
        .arg(threads.to_string())
        .arg(LATENCY_ROUNDS.to_string())
        .output()
        .unwrap();
    succeeded(&output);
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let py_seconds = result["seconds"].as_f64().unwrap();
    let mut py_latency: Vec<f64> = result["latencies_ms"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    py_latency.sort_by(f64::total_cmp);
    println!(
        "python onnxruntime + tokenizers (int8): {:.0} words/s ({} entities); one sentence at a time p50 {:.2} ms, p99 {:.2} ms",
        words as f64 / py_seconds,
        result["entities"],
        percentile(&py_latency, 0.5),
        percentile(&py_latency, 0.99)
    );
    println!(
        "ratio bioscope / python: throughput x{:.2}, latency p50 x{:.2} (below 1 is faster), p99 x{:.2}",
        py_seconds / ours_seconds,
        percentile(&ours_latency, 0.5) / percentile(&py_latency, 0.5),
        percentile(&ours_latency, 0.99) / percentile(&py_latency, 0.99)
    );
}
