//! Training-loop behaviour on the tiny encoder: resumption, frozen layers, seeds.

use bioscope_tests::{fixture, tiny_config};
use bioscope_train::config::TrainConfig;
use bioscope_train::data::CorpusSpec;
use bioscope_train::model::TokenClassifier;
use bioscope_train::run::load_run;
use bioscope_train::train::{train, RunOptions};

/// Two short epochs with a dev split, so that resumption crosses an epoch boundary.
fn config() -> TrainConfig {
    let mut config = tiny_config();
    config.epochs = 2;
    config.dev = vec![CorpusSpec {
        path: fixture("tiny-corpus.tsv"),
        format: "iob".into(),
        fraction: Some(0.3),
        annotates: None,
        ..CorpusSpec::default()
    }];
    config
}

fn max_weight_diff(a: &TokenClassifier, b: &TokenClassifier) -> f32 {
    let (ta, tb) = (a.named_tensors(), b.named_tensors());
    ta.iter()
        .map(|(k, t)| {
            let d = (t - &tb[k]).unwrap().abs().unwrap().max_all().unwrap();
            d.to_scalar::<f32>().unwrap()
        })
        .fold(0.0, f32::max)
}

fn quiet() -> RunOptions {
    RunOptions {
        quiet: true,
        ..RunOptions::default()
    }
}

#[test]
fn interrupted_run_resumes_to_the_same_weights() {
    // Without dropout a run is fully deterministic, so resumption must be exact.
    let mut cfg = config();
    cfg.dropout = 0.0;
    resumes_exactly(&cfg);
}

/// Corpus-aware training: the same corpus under two conventions, markers dropped at random,
/// the last two epochs averaged; the run holds an ordinary model in the decode convention.
#[test]
fn corpus_aware_runs_resume_exactly_and_ship_one_convention() {
    let mut cfg = config();
    cfg.dropout = 0.0;
    let mut second = cfg.train[0].clone();
    cfg.train[0].convention = Some("first".into());
    second.convention = Some("second".into());
    second.fraction = Some(0.5);
    second.repeat = Some(2);
    cfg.train.push(second);
    cfg.dev[0].convention = Some("first".into());
    cfg.decode_convention = Some("second".into());
    cfg.convention_dropout = 0.3;
    cfg.average_last = 2;
    cfg.validate().unwrap();
    let (info, weights) = resumes_exactly(&cfg);
    assert_eq!(info.training.decode_convention.as_deref(), Some("second"));
    let selected = info.training.selected.clone().unwrap();
    assert!(
        selected == "epoch 2 of 2"
            || selected == "epoch 1 of 2"
            || selected == "average of epochs 1-2",
        "{selected}"
    );
    let splits: Vec<&str> = info.evaluation.iter().map(|r| r.split.as_str()).collect();
    assert_eq!(splits, ["dev", "dev, first convention"]);
    // The run's weights are an ordinary BERT: no marker table.
    assert!(weights.iter().any(|n| n.contains("token_type_embeddings")));
    assert!(
        !weights.iter().any(|n| n.starts_with("convention")),
        "{weights:?}"
    );

    let mut bad = cfg.clone();
    bad.decode_convention = Some("third".into());
    let err = bad.validate().unwrap_err().to_string();
    assert!(
        err.contains("not the convention of any [[train]] corpus"),
        "{err}"
    );
}

/// A fresh run of `cfg`, and one interrupted after 5 steps and resumed, end with the same
/// weights, steps, dev figures and data hash; returns the resumed run's record and the names
/// of its shipped weights.
fn resumes_exactly(cfg: &TrainConfig) -> (bioscope_train::run::RunInfo, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let straight = dir.path().join("straight");
    train(cfg, &straight, "test", &quiet()).unwrap();

    let resumed = dir.path().join("resumed");
    let interrupt = RunOptions {
        interrupt_after: Some(5),
        ..quiet()
    };
    let err = train(cfg, &resumed, "test", &interrupt).unwrap_err();
    assert!(err.to_string().contains("interrupted"), "{err}");
    let info = train(cfg, &resumed, "test", &quiet()).unwrap();

    let a = load_run(&straight).unwrap();
    let b = load_run(&resumed).unwrap();
    assert_eq!(max_weight_diff(&a.model, &b.model), 0.0);
    assert_eq!(info.training.steps, a.info.training.steps);
    assert!(!info.evaluation.is_empty());
    assert_eq!(info.evaluation, a.info.evaluation);
    assert_eq!(info.training.data_sha256, a.info.training.data_sha256);
    assert_eq!(info.training.data_sha256.len(), 64);
    let best = straight.join(bioscope_train::run::BEST_WEIGHTS);
    let weights = candle_core::safetensors::load(&best, &candle_core::Device::Cpu)
        .unwrap()
        .into_keys()
        .collect();
    (info, weights)
}

#[test]
fn frozen_layers_keep_their_weights() {
    let mut cfg = config();
    cfg.freeze_layers = 1;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frozen");
    let options = RunOptions {
        max_steps: Some(10),
        ..quiet()
    };
    train(&cfg, &out, "test", &options).unwrap();
    let trained = load_run(&out).unwrap();
    let scheme = trained.model.scheme.clone();
    let initial = TokenClassifier::new(&trained.info.bert, scheme, cfg.seed).unwrap();
    let (before, after) = (initial.named_tensors(), trained.model.named_tensors());
    let changed = |name: &str| {
        let d = (&before[name] - &after[name])
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap();
        d.to_scalar::<f32>().unwrap() > 0.0
    };
    assert!(!changed("bert.embeddings.word_embeddings.weight"));
    assert!(!changed("bert.encoder.layer.0.attention.self.query.weight"));
    assert!(changed("bert.encoder.layer.1.attention.self.query.weight"));
    assert!(changed("classifier.weight"));
    assert!(changed("crf.transitions"));
}

/// `trainer/configs/tiny.toml` trains in seconds on a shared corpus, and its run directory
/// holds TensorBoard event files whose scalars and texts the `tensorboard` package reads.
#[test]
fn the_tiny_config_trains_and_writes_a_dashboard_tensorboard_reads() {
    let root = bioscope_tests::repo_root();
    let mut config = TrainConfig::from_file(&root.join("trainer/configs/tiny.toml")).unwrap();
    // The config's paths are relative to the repository root.
    config.tokenizer = config.tokenizer.map(|p| root.join(p));
    for spec in config.train.iter_mut().chain(config.dev.iter_mut()) {
        spec.path = root.join(&spec.path);
    }
    let dir = tempfile::tempdir().unwrap();
    let quiet = RunOptions {
        quiet: true,
        ..RunOptions::default()
    };
    let info = train(&config, dir.path(), "tiny.toml", &quiet).unwrap();
    assert!(info.training.steps > 0);
    let events = dir.path().join("tensorboard");
    let script = r#"
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util
ea = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "tensors": 0})
ea.Reload()
tags = ea.Tags()
out = {t: [[e.step, e.value] for e in ea.Scalars(t)] for t in tags["scalars"]}
texts = {t: tensor_util.make_ndarray(ea.Tensors(t)[-1].tensor_proto).item().decode() for t in tags["tensors"]}
print(json.dumps({"scalars": out, "texts": texts}))
"#;
    let output = std::process::Command::new(bioscope_tests::test_tool("python"))
        .args(["-c", script])
        .arg(&events)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let scalars = &seen["scalars"];
    let loss = scalars["train/loss"].as_array().expect("loss scalars");
    assert!(loss.len() >= 2, "{seen}");
    let first = loss[0][1].as_f64().unwrap();
    let last = loss.last().unwrap()[1].as_f64().unwrap();
    assert!(last < first, "the loss falls: {loss:?}");
    for tag in [
        "train/learning_rate",
        "train/grad_norm",
        "train/pieces_per_second",
    ] {
        assert!(
            scalars[tag].as_array().is_some_and(|a| !a.is_empty()),
            "{tag}: {seen}"
        );
    }
    // Dev F1 once per epoch, at the epoch's last step, equal to the run's record.
    let f1 = scalars["dev/ncbi-disease/f1"].as_array().expect("dev F1");
    assert_eq!(f1.len(), config.epochs, "{seen}");
    assert_eq!(
        f1.last().unwrap()[0].as_u64(),
        Some(info.training.steps as u64)
    );
    // The run records the best epoch's scores.
    let recorded = info.evaluation[0].f1;
    assert!(
        f1.iter()
            .any(|p| (p[1].as_f64().unwrap() - recorded).abs() < 1e-4),
        "{recorded} not among {f1:?}"
    );
    assert!(scalars["dev/ncbi-disease/f1 Disease"].is_array(), "{seen}");
    assert!(seen["texts"]["config"]
        .as_str()
        .unwrap()
        .contains("name = \"tiny\""));
    assert!(seen["texts"]["run"]
        .as_str()
        .unwrap()
        .contains("\"evaluation\""));
}

/// A corpus-aware run: every convention is scored on the dev corpus, and folding one into the
/// deployable weights changes them and is recorded.
#[test]
fn conventions_are_scored_and_the_chosen_one_is_folded() {
    use bioscope_train::conventions::FullModel;
    use bioscope_train::run::RunInfo;
    let mut config = config();
    let mut other = config.train[0].clone();
    config.train[0].convention = Some("first".into());
    other.convention = Some("second".into());
    config.train.push(other);
    config.epochs = 1;
    let dir = tempfile::tempdir().unwrap();
    let quiet = RunOptions {
        quiet: true,
        ..RunOptions::default()
    };
    train(&config, dir.path(), "conventions test", &quiet).unwrap();
    // As during training: the run has no tokenizer copy yet, only its checkpoint.
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let full = FullModel::load(dir.path(), &[]).unwrap();
    assert_eq!(full.convention_names(), ["unmarked", "first", "second"]);
    let matrix = full.matrix().unwrap();
    assert_eq!(matrix.f1.len(), 3);
    assert!(matrix.f1.iter().all(|(_, row)| row.len() == 1));
    let table = matrix.to_string();
    assert!(
        table.starts_with("| decode convention |") && table.contains("| second |"),
        "{table}"
    );

    let before = std::fs::read(dir.path().join("best.safetensors")).unwrap();
    full.fold(dir.path(), "second").unwrap();
    let after = std::fs::read(dir.path().join("best.safetensors")).unwrap();
    assert_ne!(
        before, after,
        "the folded marker changes the deployable weights"
    );
    let info = RunInfo::read(dir.path()).unwrap();
    assert_eq!(info.training.decode_convention.as_deref(), Some("second"));
    assert_eq!(
        info.training.selected.as_deref(),
        Some("the last checkpoint")
    );
    // The record's dev scores are the folded convention's: the matrix's row.
    assert_eq!(info.evaluation.len(), 1);
    assert_eq!(info.evaluation[0].split, "dev, second convention");
    assert!((info.evaluation[0].f1 - matrix.f1[2].1[0]).abs() < 1e-9);
    assert!(
        full.fold(dir.path(), "third").is_err(),
        "an unknown convention is refused"
    );
    let tokenizer = config.tokenizer_path().unwrap();
    std::fs::copy(tokenizer, dir.path().join("tokenizer.json")).unwrap();
    // The folded run still loads and exports.
    assert!(bioscope_train::run::load_run(dir.path()).is_ok());
}
