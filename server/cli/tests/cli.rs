//! The `bioscope` binary on a freshly trained tiny bundle: model info, eval, and clear errors.

use std::path::Path;
use std::process::Command;

use bioscope_tests::{fixture, ort_library, trained_tiny_run};
use bioscope_train::export::{export_bundle, ExportOptions};

fn tiny_bundle(dir: &Path) -> std::path::PathBuf {
    let run = trained_tiny_run(&dir.join("run"));
    let bundle = dir.join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: false }).unwrap();
    bundle
}

fn bioscope(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bioscope"))
        .args(args)
        .env("ORT_DYLIB_PATH", ort_library())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn info_and_eval_on_a_real_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = tiny_bundle(dir.path());
    let b = bundle.to_str().unwrap();

    let (ok, out, err) = bioscope(&["model", "info", b]);
    assert!(ok, "{err}");
    assert!(out.contains("name:        tiny"), "{out}");
    assert!(
        out.contains("O B-Gene I-Gene B-Disease I-Disease (5 model outputs)"),
        "{out}"
    );
    assert!(out.contains("CRF"), "{out}");

    let corpus = fixture("tiny-corpus.tsv");
    let (ok, out, err) = bioscope(&["eval", "--model", b, "--corpus", corpus.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("strict (same span and type):") && out.contains("overlap"),
        "{out}"
    );
    let all = out
        .lines()
        .find(|l| l.starts_with("all"))
        .expect("a micro-average row");
    let f1: f64 = all.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(
        f1 > 50.0,
        "the tiny model learned its training corpus: {all}"
    );
}

#[test]
fn broken_bundles_and_missing_runtime_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = tiny_bundle(dir.path());
    let b = bundle.to_str().unwrap();

    let (ok, _, err) = bioscope(&[
        "model",
        "info",
        dir.path().join("nowhere").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("manifest.json"), "{err}");

    let model = bundle.join("model.onnx");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, _, err) = bioscope(&["model", "info", b]);
    assert!(!ok);
    assert!(
        err.contains("model.onnx") && err.contains("corrupt"),
        "{err}"
    );
    std::fs::write(&model, &bytes).unwrap();

    let (ok, _, err) = bioscope(&[
        "--ort-library",
        "/nonexistent/libonnxruntime.so",
        "model",
        "info",
        b,
    ]);
    assert!(!ok);
    assert!(
        err.contains("/nonexistent/libonnxruntime.so does not exist"),
        "{err}"
    );
}
