//! The `bioscope` binary on a freshly trained tiny bundle: model info, eval, and clear errors.

use std::path::Path;
use std::process::Command;

use bioscope_tests::{fixture, trained_tiny_run};
use bioscope_train::export::{export_bundle, ExportOptions};

fn tiny_bundle(dir: &Path) -> std::path::PathBuf {
    let run = trained_tiny_run(&dir.join("run"));
    let bundle = dir.join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: false }).unwrap();
    bundle
}

fn bioscope(args: &[&str]) -> (bool, String, String) {
    bioscope_tests::run_binary(env!("CARGO_BIN_EXE_bioscope"), args)
}

/// `bioscope tag --model models/bioscope-union ARGS...`.
fn tag_with_shipped_model(args: &[&str]) -> (bool, String, String) {
    let model = bioscope_tests::shipped_model();
    let mut all = vec!["tag", "--model", model.to_str().unwrap()];
    all.extend_from_slice(args);
    bioscope(&all)
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
    assert!(out.contains("scored types: Gene, Disease"), "{out}");

    // Scoring one type leaves the other's predictions out of the counts.
    let (ok, out, err) = bioscope(&[
        "eval",
        "--model",
        b,
        "--corpus",
        corpus.to_str().unwrap(),
        "--types",
        "gene",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("scored types: Gene\n"), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("Disease")), "{out}");
    let (ok, _, err) = bioscope(&[
        "eval",
        "--model",
        b,
        "--corpus",
        corpus.to_str().unwrap(),
        "--types",
        "Species",
    ]);
    assert!(!ok && err.contains("annotates none of the types"), "{err}");
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

#[test]
fn tag_prints_entities_outside_markup_and_skips_bad_files() {
    let manuscript = fixture("manuscript.md");
    let (ok, out, err) =
        tag_with_shipped_model(&["--format", "json", manuscript.to_str().unwrap()]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let text = std::fs::read_to_string(&manuscript).unwrap();
    let code_block = text.find("```python").unwrap()..text.rfind("```").unwrap();
    let entities = v["entities"].as_array().unwrap();
    let mut wilson = 0;
    for e in entities {
        let (start, end) = (
            e["start"].as_u64().unwrap() as usize,
            e["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[start..end], e["text"].as_str().unwrap());
        assert!(
            !code_block.contains(&start),
            "tagged inside the code block: {e}"
        );
        let score = e["score"].as_f64().unwrap();
        assert!(score > 0.0 && score <= 1.0);
        wilson += usize::from(e["text"] == "Wilson disease");
    }
    assert_eq!(wilson, 2, "twice in prose, never in code");

    // ANSI output colours the same entities and ends with a legend.
    let (ok, out, _) = tag_with_shipped_model(&[manuscript.to_str().unwrap()]);
    assert!(ok);
    assert!(out.contains("\x1b[1;31mWilson disease\x1b[0m"), "{out}");
    assert!(
        out.contains(&format!("-- {} entities", entities.len())),
        "{out}"
    );

    // A binary and a non-UTF-8 file are named and skipped; the good file is still tagged.
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("figure.md");
    std::fs::write(&binary, b"PNG\0\x01").unwrap();
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9 and Wilson disease").unwrap();
    let (ok, out, err) = tag_with_shipped_model(&[
        "--format",
        "json",
        binary.to_str().unwrap(),
        latin1.to_str().unwrap(),
        manuscript.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("figure.md looks binary"), "{err}");
    assert!(
        err.contains("latin1.txt is not UTF-8 (invalid byte at offset 3)"),
        "{err}"
    );
    assert!(err.contains("2 of 3 files could not be tagged"), "{err}");
    assert_eq!(out.lines().count(), 1, "the good file's JSON is printed");
}

#[test]
fn pubtator_and_conll_outputs_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pubtator");
    std::fs::write(
        &input,
        "1|t|Wilson disease in café owners.\n1|a|Copper builds up in Wilson disease and Menkes disease.\n1\t0\t14\tWilson disease\tSpecificDisease\tD006527\n\n\
         2|t|No title entities\n2|a|Patients with hemochromatosis.\n\n",
    )
    .unwrap();
    let (ok, out, err) = tag_with_shipped_model(&[
        "--input-format",
        "pubtator",
        "--format",
        "pubtator",
        input.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let output = dir.path().join("out.pubtator");
    std::fs::write(&output, &out).unwrap();
    let docs = bioscope_core::corpus::read_pubtator(&output).unwrap();
    assert_eq!(docs.len(), 2);
    assert!(docs[0]
        .text
        .starts_with("Wilson disease in café owners. Copper"));
    let names: Vec<&str> = docs
        .iter()
        .flat_map(|d| d.mentions.iter().map(move |m| &d.text[m.start..m.end]))
        .collect();
    assert!(
        names.contains(&"Menkes disease") && names.contains(&"hemochromatosis"),
        "{names:?}"
    );
    // Character offsets: "Menkes disease" after the multibyte "é" still lines up.
    let text = &docs[0].text;
    let menkes = text.find("Menkes disease").unwrap();
    assert!(docs[0].mentions.iter().any(|m| m.start == menkes));

    // The output scores against the input's gold mention (one, in the title) and itself.
    let (ok, out, err) = bioscope(&[
        "score",
        "--gold",
        input.to_str().unwrap(),
        "--predicted",
        output.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let row = |out: &str, name: &str| -> Vec<String> {
        let line = out
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_string();
        line.split_whitespace().map(str::to_string).collect()
    };
    let strict = row(&out, "Disease");
    assert_eq!(
        strict[2], "100.00",
        "recall of the gold title mention: {out}"
    );
    assert_eq!(strict[4], "1", "one true positive: {out}");
    let (ok, out, _) = bioscope(&[
        "score",
        "--gold",
        output.to_str().unwrap(),
        "--predicted",
        output.to_str().unwrap(),
    ]);
    assert!(ok);
    assert_eq!(row(&out, "all")[3], "100.00", "{out}");
    let (ok, _, err) = bioscope(&[
        "score",
        "--gold",
        "x",
        "--predicted",
        "y",
        "--format",
        "iob",
    ]);
    assert!(!ok && err.contains("character offsets"), "{err}");

    let (ok, out, _) = tag_with_shipped_model(&[
        "--format",
        "conll",
        fixture("manuscript.md").to_str().unwrap(),
    ]);
    assert!(ok);
    let conll = dir.path().join("out.tsv");
    std::fs::write(&conll, &out).unwrap();
    let sentences = bioscope_core::corpus::read_iob(&conll).unwrap();
    let words: Vec<&str> = sentences
        .iter()
        .flat_map(|s| s.words.iter().map(String::as_str))
        .collect();
    assert!(
        !words.contains(&"python") && !words.contains(&"c_"),
        "code and math stay out"
    );
    let tagged = sentences
        .iter()
        .flat_map(|s| s.words.iter().zip(&s.tags))
        .filter(|(w, t)| w.as_str() == "Wilson" && t.to_string() == "B-Disease")
        .count();
    assert_eq!(tagged, 2);
}

/// The shipped model card's generated section is exactly what `bioscope model card` prints for
/// the shipped bundle: its figures cannot drift from the bundle.
#[test]
fn the_model_card_is_generated_from_the_bundle() {
    let root = bioscope_tests::repo_root();
    let out = Command::new(env!("CARGO_BIN_EXE_bioscope"))
        .args(["model", "card", "models/bioscope-union"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let card = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "| name | `bioscope-union` |",
        "| NCBI-disease test | Disease |",
        "| ncbi-disease | dev |",
    ] {
        assert!(card.contains(expected), "{expected}: {card}");
    }
    let readme = std::fs::read_to_string(root.join("models/README.md")).unwrap();
    let begin = "<!-- begin: bioscope model card models/bioscope-union";
    let start = readme.find(begin).expect("the card's begin marker");
    let start = start + readme[start..].find('\n').unwrap() + 1;
    let end = readme
        .find("<!-- end: bioscope model card -->")
        .expect("end marker");
    assert_eq!(
        &readme[start..end],
        card,
        "models/README.md's generated section differs from `bioscope model card models/bioscope-union`: paste its output there"
    );

    // A damaged evaluation file is explained, not printed as a table.
    let dir = tempfile::tempdir().unwrap();
    let bundle = tiny_bundle(dir.path());
    std::fs::write(bundle.join("evaluation.tsv"), "corpus,type\n").unwrap();
    let (ok, _, err) = bioscope(&["model", "card", bundle.to_str().unwrap()]);
    assert!(
        !ok && err.contains("evaluation.tsv") && err.contains("first line"),
        "{err}"
    );
}

/// `bioscope eval --report` writes a self-contained page that a real browser renders: the DOM
/// holds the tables and both plots, and a screenshot comes out.
#[test]
fn the_evaluation_report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let model = bioscope_tests::shipped_model();
    let corpus = fixture("tiny-corpus.tsv");
    let (ok, out, err) = bioscope(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--corpus",
        corpus.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("strict (same span and type)"), "{out}");
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(
        !page.contains("<script") && !page.contains("http"),
        "self-contained"
    );
    let chromium = |args: &[&str]| {
        Command::new(bioscope_tests::chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .args(args)
            .arg(format!("file://{}", report.display()))
            .output()
            .unwrap()
    };
    let dom = chromium(&["--dump-dom"]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in [
        "per-type",
        "confusion",
        "boundaries",
        "f1-plot",
        "calibration",
        "worst",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "{id} missing from the rendered DOM"
        );
    }
    assert!(dom.matches("<rect").count() >= 3, "bars in the F1 plot");
    assert!(dom.contains("<circle"), "points in the calibration plot");
    assert!(dom.contains("<td>Gene</td>"), "a row per scored type");
    let png = dir.path().join("report.png");
    let shot = chromium(&[
        "--window-size=1200,1600",
        &format!("--screenshot={}", png.display()),
    ]);
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
}

/// `tag --shard I/N`: the shards' outputs, concatenated in order, are the unsharded output
/// (documents across several input files); a bad shard is refused with the expected form.
#[test]
fn shards_concatenate_to_the_unsharded_output() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = bioscope_tests::repo_root()
        .join("../shared/data/corpora/ncbi-disease/original/test/NCBItestset_corpus.txt");
    // Seven documents in two PubTator files.
    let text = std::fs::read_to_string(corpus).unwrap();
    let docs: Vec<&str> = text
        .split("\n\n")
        .filter(|d| !d.trim().is_empty())
        .collect();
    let first = dir.path().join("a.pubtator");
    let second = dir.path().join("b.pubtator");
    std::fs::write(&first, docs[..4].join("\n\n") + "\n").unwrap();
    std::fs::write(&second, docs[4..7].join("\n\n") + "\n").unwrap();
    let tag = |extra: &[&str]| {
        let mut args = vec![
            "--input-format",
            "pubtator",
            "--format",
            "pubtator",
            first.to_str().unwrap(),
            second.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (ok, out, err) = tag_with_shipped_model(&args);
        assert!(ok, "{err}");
        out
    };
    let whole = tag(&[]);
    assert_eq!(whole.matches("|t|").count(), 7, "{whole}");
    let shards: Vec<String> = (1..=3)
        .map(|i| tag(&["--shard", &format!("{i}/3")]))
        .collect();
    assert!(shards.iter().all(|s| !s.is_empty()));
    assert_eq!(shards.concat(), whole);
    let (ok, _, err) = tag_with_shipped_model(&["--shard", "4/3", first.to_str().unwrap()]);
    assert!(!ok && err.contains("expected I/N"), "{err}");
}

/// `--device cuda` with a CPU build of ONNX Runtime (this machine's): the same entities, on the
/// CPU, and a message saying why.
#[test]
fn cuda_falls_back_to_the_cpu_and_says_why() {
    let manuscript = fixture("manuscript.md");
    let file = manuscript.to_str().unwrap();
    let (ok, cpu, _) = tag_with_shipped_model(&["--format", "pubtator", file]);
    assert!(ok);
    let (ok, cuda, err) =
        tag_with_shipped_model(&["--device", "cuda", "--format", "pubtator", file]);
    assert!(ok, "{err}");
    assert!(
        err.contains("no CUDA execution provider") && err.contains("tagging on the CPU"),
        "{err}"
    );
    assert_eq!(cuda, cpu);
    let (ok, _, err) = tag_with_shipped_model(&["--device", "tpu", file]);
    assert!(!ok && err.contains("use cpu or cuda"), "{err}");
}
