//! Shared helpers for BioScope's end-to-end tests (the tests themselves are in `tests/*.rs`).

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
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

/// The pretrained encoder that `.ci/setup` fetches, if present.
pub fn pretrained_encoder() -> Option<PathBuf> {
    let dir = repo_root().join(".assets/all-MiniLM-L6-v2");
    dir.join("model.safetensors").is_file().then_some(dir)
}
