//! The name ranker end to end on the pretrained encoder (`.ci/setup` fetches it): synonym pairs
//! from the fixture sources,
//! training, the int8 graph through ONNX Runtime against candle, `bioscope lexicon build
//! --ranker` encoding the names, the ranker finding each name's own concept, and a damaged or
//! stale index refused while normalization goes on without it.

use bioscope_core::EntityType;
use bioscope_lexicon::ranker::{NameEncoder, RANKER_DIR, RANKER_VECTORS};
use bioscope_lexicon::{DocumentContext, Normalizer};
use bioscope_tagger::{attach_ranker, OnnxNameEncoder, TaggerOptions};
use bioscope_tests::{fixture, ort_library, pretrained_encoder, run_binary};
use bioscope_train::ranker::{
    concept_names, export_ranker, synonym_pairs, train_ranker, NameTokenizer, RankerSettings,
};

fn options() -> TaggerOptions {
    TaggerOptions {
        library: Some(ort_library()),
        ..TaggerOptions::default()
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn a_trained_ranker_encodes_like_candle_and_finds_each_names_concept() {
    let root = tempfile::tempdir().unwrap();
    // The tiny encoder's vocabulary has no disease words: every name would be [UNK].
    let encoder_dir =
        pretrained_encoder().expect("the pretrained encoder: run `bash .ci/setup` first");
    let sources = fixture("lexicon-sources");
    let concepts = concept_names(&sources, None, &[EntityType::Disease]).unwrap();
    let pairs = synonym_pairs(&concepts, 6, 1);
    assert!(pairs.len() >= 8, "{} pairs", pairs.len());
    let settings = RankerSettings {
        dimension: 16,
        trained_layers: 1,
        steps: 12,
        batch: 8,
        checkpoint_every: 6,
        ..RankerSettings::default()
    };
    let work = root.path().join("work");
    let (model, run) = train_ranker(&encoder_dir, &pairs, &settings, &work, |_| {}).unwrap();
    assert_eq!(run.steps, 12);
    assert_eq!(run.losses.len(), 2, "one mean loss per checkpoint");
    let trained_dir = root.path().join("trained");
    let manifest = export_ranker(&model, &encoder_dir, &settings, &run, &trained_dir).unwrap();
    assert_eq!(manifest.dimension, 16);

    // The int8 graph gives the vectors candle computes, within the quantization error.
    let names: Vec<&str> = concepts
        .iter()
        .flat_map(|(_, names)| names.iter().map(String::as_str))
        .take(6)
        .collect();
    let (onnx, _) = OnnxNameEncoder::load(&trained_dir, &options()).unwrap();
    let from_onnx = onnx.encode(&names).unwrap();
    let tokenizer =
        NameTokenizer::open(&encoder_dir.join("tokenizer.json"), settings.max_len).unwrap();
    let (ids, mask) = tokenizer.batch(&names).unwrap();
    let from_candle: Vec<Vec<f32>> = model
        .embed(&ids, &mask, 0, false)
        .unwrap()
        .to_vec2()
        .unwrap();
    for ((name, a), b) in names.iter().zip(&from_onnx).zip(&from_candle) {
        assert!(
            (cosine(a, a) - 1.0).abs() < 1e-3,
            "{name}: not a unit vector"
        );
        assert!(
            cosine(a, b) > 0.98,
            "{name}: ONNX and candle differ ({})",
            cosine(a, b)
        );
    }

    // The lexicon build copies the ranker in and encodes the disease names.
    let lexicon_dir = root.path().join("lexicon");
    let (ok, stdout, stderr) = run_binary(
        env!("CARGO_BIN_EXE_bioscope"),
        &[
            "lexicon",
            "build",
            "--sources",
            sources.to_str().unwrap(),
            "--no-corpora",
            "--out",
            lexicon_dir.to_str().unwrap(),
            "--ranker",
            trained_dir.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("names encoded"), "{stdout}");
    // `--ort-library` alone (no ORT_DYLIB_PATH) reaches the ranker too, as it does the tagger.
    let info = std::process::Command::new(env!("CARGO_BIN_EXE_bioscope"))
        .arg("--ort-library")
        .arg(ort_library())
        .args(["lexicon", "info", lexicon_dir.to_str().unwrap()])
        .env_remove("ORT_DYLIB_PATH")
        .output()
        .unwrap();
    let (info_out, info_err) = (
        String::from_utf8_lossy(&info.stdout),
        String::from_utf8_lossy(&info.stderr),
    );
    assert!(info.status.success(), "{info_err}");
    assert!(!info_err.contains("ranker is off"), "{info_err}");
    assert!(info_out.contains("names encoded"), "{info_out}");
    let lexicon = bioscope_lexicon::open(&lexicon_dir).unwrap();
    assert!(attach_ranker(&lexicon, &lexicon_dir, &options()).unwrap());
    let ranker = lexicon.ranker().unwrap();
    assert!(ranker.covers(EntityType::Disease) && !ranker.covers(EntityType::Gene));
    // Each name's own vector leads back to its concept (among the concepts that share the
    // name, which tie).
    for (id, names) in concepts.iter().filter(|(_, n)| n.len() > 1).take(8) {
        let found = ranker.nearest(&names[1], EntityType::Disease, 5);
        assert!(
            found[0].1 > 0.97 && found[0].1 <= 1.0,
            "{:?}: {found:?}",
            names[1]
        );
        let tied: Vec<String> = found
            .iter()
            .filter(|(_, s)| *s > found[0].1 - 0.01)
            .map(|(c, _)| lexicon.concept(*c).unwrap().id.to_string())
            .collect();
        assert!(tied.contains(id), "{:?} → {tied:?}, not {id}", names[1]);
    }
    assert!(ranker.nearest("asthma", EntityType::Gene, 3).is_empty());

    // An index damaged on disk is refused with the reason; the lexicon still normalizes.
    let vectors = lexicon_dir.join(RANKER_DIR).join(RANKER_VECTORS);
    let mut bytes = std::fs::read(&vectors).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&vectors, &bytes).unwrap();
    let plain = bioscope_lexicon::open(&lexicon_dir).unwrap();
    let error = attach_ranker(&plain, &lexicon_dir, &options())
        .unwrap_err()
        .to_string();
    assert!(error.contains("checksum"), "{error}");
    assert!(plain.ranker().is_none());
    let (id, names) = &concepts[0];
    let best = Normalizer::new(&plain)
        .best(
            &names[0],
            Some(EntityType::Disease),
            &DocumentContext::default(),
        )
        .unwrap();
    assert_eq!(best.concept.id.to_string(), *id);
    let (ok, _, stderr) = run_binary(
        env!("CARGO_BIN_EXE_bioscope"),
        &[
            "normalize",
            &names[0],
            "--type",
            "Disease",
            "--lexicon",
            lexicon_dir.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    assert!(stderr.contains("the name ranker is off"), "{stderr}");
}
