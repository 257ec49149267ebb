//! Retraining from corrections on the tiny encoder: bundle import (fp32 exact, int8 within the
//! quantization error), corrections → finetune → a bundle that tags the corrected text as
//! corrected, damaged corrections lines, the `--progress json` contract, and a killed run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bioscope_core::bundle::{Bundle, WeightFormat};
use bioscope_core::corpus::split_words;
use bioscope_core::corrections::{self, Action, Correction, Scope, SpanLabel, SCHEMA_VERSION};
use bioscope_core::entity::Tag;
use bioscope_core::EntityType;
use bioscope_tests::{fixture, tiny_config};
use bioscope_train::eval::predict;
use bioscope_train::export::{export_bundle, ExportOptions};
use bioscope_train::finetune::{
    finetune, predict_scored, Event, FinetuneRequest, FinetuneSettings,
};
use bioscope_train::import::import_bundle;
use bioscope_train::model::TokenClassifier;
use bioscope_train::replay::{self, ReplayOptions, REPLAY_FILE};
use bioscope_train::run::load_run;
use bioscope_train::train::{train, RunOptions};

/// A trained tiny run and its int8 and fp32 bundles (the int8 one with a replay sample).
struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    run: PathBuf,
    int8: PathBuf,
    fp32: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let run = root.join("run");
    let options = RunOptions {
        max_steps: Some(120),
        quiet: true,
        ..RunOptions::default()
    };
    train(&tiny_config(), &run, "tiny test run", &options).unwrap();
    let loaded = load_run(&run).unwrap();
    let (int8, fp32) = (root.join("int8"), root.join("fp32"));
    export_bundle(&loaded, &int8, &ExportOptions { int8: true }).unwrap();
    export_bundle(&loaded, &fp32, &ExportOptions { int8: false }).unwrap();
    let options = ReplayOptions {
        per_corpus: 20,
        ..ReplayOptions::default()
    };
    let sample = replay::sample(&tiny_config(), &options).unwrap();
    std::fs::write(int8.join(REPLAY_FILE), replay::to_text(&sample, "tiny")).unwrap();
    Setup {
        _dir: dir,
        root,
        run,
        int8,
        fp32,
    }
}

fn max_abs(t: &candle_core::Tensor) -> f32 {
    t.abs().unwrap().max_all().unwrap().to_scalar().unwrap()
}

#[test]
fn imported_bundles_give_back_the_exported_weights() {
    let s = setup();
    let original = load_run(&s.run).unwrap();
    let weights = original.model.named_tensors();
    let fp32 = import_bundle(&s.fp32, None).unwrap();
    let int8 = import_bundle(&s.int8, None).unwrap();
    assert_eq!(int8.manifest.weights, WeightFormat::Int8);
    let (w32, w8) = (
        fp32.run.model.named_tensors(),
        int8.run.model.named_tensors(),
    );
    assert_eq!(w32.len(), weights.len());
    for (name, w) in &weights {
        // The graph keeps the first token-type row only (token types are never fed).
        let (w, a, b) = if name.ends_with("token_type_embeddings.weight") {
            let row = |t: &candle_core::Tensor| t.narrow(0, 0, 1).unwrap();
            (row(w), row(&w32[name]), row(&w8[name]))
        } else {
            (w.clone(), w32[name].clone(), w8[name].clone())
        };
        let d32 = max_abs(&(&a - &w).unwrap());
        assert_eq!(d32, 0.0, "fp32 import changed {name}");
        let d8 = max_abs(&(&b - &w).unwrap());
        let quantized = name.ends_with("word_embeddings.weight")
            || (name.ends_with(".weight") && w.rank() == 2 && !name.contains("embeddings"));
        if quantized {
            // Half a step of a scale that is at most the tensor's largest magnitude / 127.
            let bound = max_abs(&w) / 127.0 / 2.0 * 1.0001;
            assert!(d8 <= bound, "{name}: int8 error {d8} > {bound}");
            assert!(d8 > 0.0, "{name} should carry a quantization error");
        } else {
            assert_eq!(d8, 0.0, "int8 import changed the float weight {name}");
        }
    }
    // The imported models tag the fixture as the trained one does.
    let sentences = bioscope_core::corpus::read_iob(&fixture("tiny-corpus.tsv")).unwrap();
    let tags = |m: &TokenClassifier| predict(m, &original.encoder, &sentences, 24, 512).unwrap();
    let expected = tags(&original.model);
    assert!(expected.iter().flatten().any(|t| *t != Tag::Outside));
    assert_eq!(tags(&fp32.run.model), expected);
    assert_eq!(tags(&int8.run.model), expected);
}

const PARAGRAPH: &str = "mice with breast cancer were given aspirin .";

fn span(text: &str, mention: &str, t: EntityType) -> SpanLabel {
    let start = text.find(mention).unwrap();
    SpanLabel {
        start,
        end: start + mention.len(),
        entity_type: t,
    }
}

fn correction(action: Action, old: Option<SpanLabel>, new: Option<SpanLabel>) -> Correction {
    Correction {
        schema: SCHEMA_VERSION,
        action,
        scope: Scope::Everywhere,
        document: "paper.md".into(),
        paragraph: PARAGRAPH.into(),
        old,
        new,
        model_sha256: String::new(),
        timestamp: corrections::now_rfc3339(),
    }
}

/// Rejects "breast cancer" and tags "aspirin" as a gene, with a damaged line between them.
fn write_corrections(path: &Path) {
    let disease = span(PARAGRAPH, "breast cancer", EntityType::Disease);
    corrections::append(path, &correction(Action::Reject, Some(disease), None)).unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    std::io::Write::write_all(&mut f, b"{\"schema\": 1, \"action\": \"tag\", cut short\n").unwrap();
    let gene = span(PARAGRAPH, "aspirin", EntityType::Gene);
    corrections::append(path, &correction(Action::Tag, None, Some(gene))).unwrap();
}

fn paragraph_tags(bundle: &Path) -> Vec<Tag> {
    let b = import_bundle(bundle, None).unwrap();
    let words: Vec<String> = split_words(PARAGRAPH)
        .iter()
        .map(|w| PARAGRAPH[w.start..w.end].to_string())
        .collect();
    predict_scored(&b.run.model, &b.run.encoder, &[words], 24, 512).unwrap()[0]
        .iter()
        .map(|(t, _)| *t)
        .collect()
}

fn tiny_settings() -> FinetuneSettings {
    FinetuneSettings {
        trained_layers: 1,
        epochs: 40,
        batch_tokens: 64,
        lr: 3e-3,
        head_lr: 1e-2,
        paragraph_repeats: 4,
        ..FinetuneSettings::default()
    }
}

#[test]
fn corrections_retrain_a_bundle_that_tags_the_text_as_corrected() {
    let s = setup();
    let before = paragraph_tags(&s.int8);
    let d = EntityType::Disease;
    assert_eq!(
        &before[2..4],
        &[Tag::Begin(d), Tag::Inside(d)],
        "{before:?}"
    );
    assert_eq!(before[6], Tag::Outside, "{before:?}");

    let file = s.root.join("corrections.jsonl");
    write_corrections(&file);
    let out = s.root.join("finetuned");
    let mut events = Vec::new();
    let request = FinetuneRequest {
        base: s.int8.clone(),
        corrections: file.clone(),
        out: out.clone(),
        lexicon: None,
        settings: tiny_settings(),
        pause_before_publish: None,
    };
    let outcome = finetune(&request, &mut |e| events.push(e)).unwrap();
    assert_eq!(outcome.corrections, 2);
    assert_eq!(outcome.skipped.len(), 1);
    assert_eq!(outcome.skipped[0].line, 2);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Warning(w) if w.contains("line 2 skipped"))));
    assert!(matches!(
        events.last(),
        Some(Event::Progress {
            percentage: 100,
            ..
        })
    ));

    // The new bundle opens as the tagger opens it, keeps the base's format and replay sample,
    // and records where it came from.
    let bundle = Bundle::open(&out).unwrap();
    let base = Bundle::open(&s.int8).unwrap();
    assert_eq!(bundle.manifest.weights, WeightFormat::Int8);
    let record = bundle.manifest.finetune.clone().unwrap();
    assert_eq!(record.base_name, "tiny");
    assert_eq!(record.base_model_sha256, base.manifest.model_sha256);
    assert_eq!(
        record.corrections_sha256,
        bioscope_core::hash::sha256_hex(&std::fs::read(&file).unwrap())
    );
    assert_eq!((record.corrections, record.skipped_lines), (2, 1));
    assert!(record.replay_sentences > 0);
    assert_eq!(record.trained_layers, 1);
    assert!(out.join(REPLAY_FILE).is_file());
    // Its dashboard: an event file with the loss of every step.
    let dashboard: Vec<_> = std::fs::read_dir(out.join("tensorboard"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        dashboard.len() == 1 && dashboard[0].starts_with("events.out.tfevents."),
        "{dashboard:?}"
    );
    assert_eq!(bundle.manifest.training, base.manifest.training);

    let after = paragraph_tags(&out);
    assert_eq!(
        &after[2..4],
        &[Tag::Outside, Tag::Outside],
        "{after:?} {events:?}"
    );
    assert_eq!(after[6], Tag::Begin(EntityType::Gene), "{after:?}");
    // Words no decision touched keep the base model's tags.
    assert_eq!(after[0], before[0]);
    assert!(!out
        .with_file_name(format!("finetuned.tmp-{}", std::process::id()))
        .exists());
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bioscope-train"))
}

#[test]
fn progress_is_json_lines_and_failures_are_explained() {
    let s = setup();
    let file = s.root.join("corrections.jsonl");
    write_corrections(&file);
    let out = s.root.join("json-out");
    let output = bin()
        .args(["finetune", "--progress", "json", "--epochs", "1", "--base"])
        .arg(&s.fp32)
        .arg("--corrections")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("line 2 skipped"), "{stderr}");
    assert!(stderr.contains("no replay.tsv"), "{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, progress) = lines.split_last().unwrap();
    assert!(progress.len() >= 5);
    let mut previous = 0;
    for p in progress {
        assert_eq!(p["event"], "progress");
        assert!(p["message"].as_str().is_some_and(|m| !m.is_empty()));
        let pct = p["percentage"].as_u64().unwrap();
        assert!(pct >= previous && pct <= 100, "{p}");
        previous = pct;
    }
    assert_eq!(last["event"], "done");
    assert_eq!(last["bundle"], out.display().to_string());
    assert_eq!(last["corrections"], 2);
    assert!(last["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(
        Bundle::open(&out).unwrap().manifest.weights,
        WeightFormat::Fp32
    );

    let fails = |base: &Path, corrections: &Path, out: &Path| {
        let o = bin()
            .arg("finetune")
            .arg("--base")
            .arg(base)
            .arg("--corrections")
            .arg(corrections)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(!String::from_utf8_lossy(&o.stdout).contains("fine-tuned"));
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let junk = s.root.join("junk.jsonl");
    std::fs::write(&junk, "not json\n{\"schema\": 1}\n").unwrap();
    let fresh = s.root.join("never");
    let err = fails(&s.fp32, &junk, &fresh);
    assert!(err.contains("no usable correction"), "{err}");
    assert!(err.contains("line 1 skipped"), "{err}");
    let err = fails(&s.fp32, &s.root.join("missing.jsonl"), &fresh);
    assert!(err.contains("cannot read the corrections file"), "{err}");
    let err = fails(&s.root.join("no-bundle"), &file, &fresh);
    assert!(err.contains("is not a model bundle"), "{err}");
    let err = fails(&s.fp32, &file, &file.join("out"));
    assert!(err.contains("cannot create"), "{err}");
    let err = fails(&s.fp32, &file, &s.root);
    assert!(err.contains("not a model bundle: refusing"), "{err}");
    assert!(!fresh.exists());
}

#[test]
fn a_killed_run_leaves_no_half_written_bundle() {
    let s = setup();
    let file = s.root.join("corrections.jsonl");
    write_corrections(&file);
    let out = s.root.join("killed");
    let spawn = || {
        bin()
            .args(["finetune", "--progress", "json", "--epochs", "1"])
            .args(["--pause-before-publish-ms", "30000", "--base"])
            .arg(&s.fp32)
            .arg("--corrections")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Kill it with the complete bundle staged, just before the rename.
    let kill_when_staged = |mut child: std::process::Child| {
        let stdout = child.stdout.take().unwrap();
        for line in BufReader::new(stdout).lines() {
            if line.unwrap().contains("waiting before publishing") {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        child.id()
    };
    let pid = kill_when_staged(spawn());
    assert!(
        !out.exists(),
        "a killed run must not leave {}",
        out.display()
    );
    let staged = s.root.join(format!("killed.tmp-{pid}"));
    assert!(staged.join("model.onnx").is_file());

    // The next run cleans up and publishes; a run killed after that leaves it untouched.
    let status = bin()
        .args(["finetune", "--epochs", "1", "--base"])
        .arg(&s.fp32)
        .arg("--corrections")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(!staged.exists(), "stale staging directory not removed");
    let published = std::fs::read(out.join("manifest.json")).unwrap();
    Bundle::open(&out).unwrap();
    kill_when_staged(spawn());
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), published);
    Bundle::open(&out).unwrap();
}

/// A type the base does not tag (a user's own, declared in the editor) is learned from its
/// corrections: the bundle grows its labels, tags the corrected words with it, and keeps the
/// base model's other mentions. The corrections file names the type before this process knows
/// it, as when the language server starts the trainer.
#[test]
fn a_correction_with_a_new_type_grows_the_bundles_labels() {
    let s = setup();
    let before = paragraph_tags(&s.int8);
    let file = s.root.join("corrections.jsonl");
    let placeholder = EntityType::define("PlaceholderKind", "").unwrap();
    let tagged = span(PARAGRAPH, "aspirin", placeholder);
    corrections::append(&file, &correction(Action::Tag, None, Some(tagged))).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"PlaceholderKind\""), "{text}");
    // "Regimen" is defined by no one in this process until the trainer reads the file.
    std::fs::write(&file, text.replace("PlaceholderKind", "Regimen")).unwrap();
    let out = s.root.join("grown");
    let mut events = Vec::new();
    let request = FinetuneRequest {
        base: s.int8.clone(),
        corrections: file,
        out: out.clone(),
        lexicon: None,
        settings: tiny_settings(),
        pause_before_publish: None,
    };
    let outcome = finetune(&request, &mut |e| events.push(e)).unwrap();
    assert_eq!((outcome.corrections, outcome.skipped.len()), (1, 0));
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Progress { message, .. } if message.contains("adding the type Regimen"))
        ),
        "{events:?}"
    );
    let bundle = Bundle::open(&out).unwrap();
    let base = Bundle::open(&s.int8).unwrap();
    let mut types = base.manifest.entity_types.clone();
    types.push("Regimen".into());
    assert_eq!(bundle.manifest.entity_types, types);
    let regimen: EntityType = "Regimen".parse().unwrap();
    let after = paragraph_tags(&out);
    assert_eq!(after[6], Tag::Begin(regimen), "{after:?} {events:?}");
    let d = EntityType::Disease;
    assert_eq!(
        &before[2..4],
        &[Tag::Begin(d), Tag::Inside(d)],
        "{before:?}"
    );
    assert_eq!(
        &after[2..4],
        &before[2..4],
        "the base's mentions stay: {after:?}"
    );
}
