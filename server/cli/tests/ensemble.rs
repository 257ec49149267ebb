//! `bioscope model ensemble` on two freshly trained tiny bundles (one with shape features): the
//! combined model's logits are the weighted sum of the members', its CRF the weighted sum of
//! theirs, it tags through the ordinary bundle path, and what cannot be combined is refused.

use std::path::{Path, PathBuf};

use bioscope_core::bundle::Bundle;
use bioscope_tagger::{Features, OnnxModel, Priority, Tagger, TaggerOptions};
use bioscope_tests::{ort_library, tiny_config, trained_run};
use bioscope_train::export::{export_bundle, ExportOptions};

fn bioscope(args: &[&str]) -> (bool, String, String) {
    bioscope_tests::run_binary(env!("CARGO_BIN_EXE_bioscope"), args)
}

fn options() -> TaggerOptions {
    TaggerOptions {
        library: Some(ort_library()),
        threads: 1,
        ..TaggerOptions::default()
    }
}

/// A tiny bundle trained with `seed`, with or without shape features, under `dir/name`.
fn bundle(dir: &Path, name: &str, seed: u64, shapes: bool, types: &[&str]) -> PathBuf {
    let mut config = tiny_config();
    config.seed = seed;
    config.shape_features = shapes;
    config.types = types.iter().map(|t| t.to_string()).collect();
    let run = trained_run(&config, &dir.join(format!("{name}-run")));
    let out = dir.join(name);
    export_bundle(&run, &out, &ExportOptions { int8: false }).unwrap();
    out
}

/// The model's logits for a few sentences, and their common padded length.
fn logits(bundle: &Path, sentences: &[&[&str]]) -> Vec<f32> {
    let b = Bundle::open(bundle).unwrap();
    let model = OnnxModel::from_bytes(
        &b.model_bytes,
        b.scheme.len(),
        (b.manifest.encoder.shape_features, false),
        &options(),
    )
    .unwrap();
    let windows: Vec<_> = sentences
        .iter()
        .map(|words| {
            b.encoder
                .encode_words_with_context(words, b.manifest.max_sequence_length, 0)
                .unwrap()
                .remove(0)
        })
        .collect();
    let ids: Vec<&[u32]> = windows.iter().map(|w| w.ids.as_slice()).collect();
    let shapes: Vec<Vec<u32>> = if b.manifest.encoder.shape_features {
        windows
            .iter()
            .zip(sentences)
            .map(|(w, words)| w.shapes(words))
            .collect()
    } else {
        Vec::new()
    };
    let features = Features {
        shapes: shapes.iter().map(|s| s.as_slice()).collect(),
        lexicon: Vec::new(),
    };
    model
        .logits(&ids, &features, Priority::Background)
        .unwrap()
        .0
}

#[test]
fn an_ensemble_sums_weighted_logits_and_crf_scores_and_tags_like_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let a = bundle(dir.path(), "a", 5, false, &["Gene", "Disease"]);
    let b = bundle(dir.path(), "b", 11, true, &["Gene", "Disease"]);
    let out = dir.path().join("ens");
    let (ok, stdout, err) = bioscope(&[
        "model",
        "ensemble",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--weights",
        "3,1",
    ]);
    assert!(ok, "{err}");
    assert!(stdout.contains("weight 0.750"), "{stdout}");

    let sentences: &[&[&str]] = &[
        &["BRCA1", "mutations", "cause", "breast", "cancer", "."],
        &["p53", "is", "lost", "."],
    ];
    let (la, lb, le) = (
        logits(&a, sentences),
        logits(&b, sentences),
        logits(&out, sentences),
    );
    assert_eq!(le.len(), la.len());
    let worst = le
        .iter()
        .zip(la.iter().zip(&lb))
        .map(|(e, (a, b))| (e - (0.75 * a + 0.25 * b)).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "ensemble logits differ by {worst}");
    assert!(
        la.iter().zip(&lb).any(|(a, b)| (a - b).abs() > 1e-2),
        "the two members should differ, or the test shows nothing"
    );

    let (ma, mb, me) = (
        Bundle::open(&a).unwrap(),
        Bundle::open(&b).unwrap(),
        Bundle::open(&out).unwrap(),
    );
    assert!(me.manifest.encoder.shape_features);
    assert_eq!(me.manifest.ensemble.len(), 2);
    for (i, row) in me.crf.transitions.iter().enumerate() {
        for (j, x) in row.iter().enumerate() {
            let want = 0.75 * ma.crf.transitions[i][j] + 0.25 * mb.crf.transitions[i][j];
            assert!((x - want).abs() < 1e-5);
        }
    }

    // Tagging, info and the model card go through the ordinary bundle path.
    let tagger = Tagger::load(&out, options()).unwrap();
    tagger
        .tag_texts(&["BRCA1 mutations cause breast cancer."])
        .unwrap();
    let (ok, info, err) = bioscope(&["model", "info", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(info.contains("member:      tiny (weight 0.750"), "{info}");
    let (ok, card, err) = bioscope(&["model", "card", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        card.contains("| ensemble | `tiny` (0.75), `tiny` (0.25)"),
        "{card}"
    );

    // An ensemble cannot be trained further: the message says what to do instead.
    let err = bioscope_train::import::import_bundle(&out, None)
        .err()
        .expect("importing an ensemble fails");
    assert!(
        format!("{err:#}").contains("fine-tune one of its members"),
        "{err:#}"
    );
}

#[test]
fn bundles_that_cannot_be_combined_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let both = bundle(dir.path(), "both", 5, false, &["Gene", "Disease"]);
    let genes = bundle(dir.path(), "genes", 5, false, &["Gene"]);
    let out = dir.path().join("ens");
    let (ok, _, err) = bioscope(&[
        "model",
        "ensemble",
        both.to_str().unwrap(),
        genes.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("members must tag the same types"), "{err}");
    assert!(!out.exists(), "nothing is written for a refused ensemble");

    let (ok, _, err) = bioscope(&[
        "model",
        "ensemble",
        both.to_str().unwrap(),
        both.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--weights",
        "1",
    ]);
    assert!(!ok);
    assert!(err.contains("1 weights for 2 bundles"), "{err}");
}
