//! Parity between the trainer (candle) and the exported bundle (ONNX Runtime): logits within
//! 1e-4 for fp32, identical decoded entities, and int8 close enough to decode the same.

use std::path::Path;

use bioscope_core::corpus::{read_iob, Sentence};
use bioscope_core::encoding::WordPieceEncoder;
use bioscope_core::metrics::entities_of;
use bioscope_core::{EntityType, LabelScheme};
use bioscope_tagger::{Priority, Tagger, TaggerOptions};
use bioscope_tests::{fixture, ort_library, pretrained_encoder, trained_tiny_run};
use bioscope_train::data::CorpusSpec;
use bioscope_train::eval::predict;
use bioscope_train::export::{export_bundle, ExportOptions};
use bioscope_train::model::TokenClassifier;
use bioscope_train::run::{load_run, LoadedRun};
use candle_core::Tensor;

fn options() -> TaggerOptions {
    TaggerOptions {
        threads: 1,
        library: Some(ort_library()),
        ..TaggerOptions::default()
    }
}

/// Candle logits `[len, labels]` for one id sequence.
fn candle_logits(model: &TokenClassifier, ids: &[u32]) -> Vec<Vec<f32>> {
    let dev = candle_core::Device::Cpu;
    let t = Tensor::new(ids, &dev).unwrap().unsqueeze(0).unwrap();
    let mask = Tensor::ones((1, ids.len()), candle_core::DType::F32, &dev).unwrap();
    let out: Vec<Vec<Vec<f32>>> = model.logits(&t, &mask, false).unwrap().to_vec3().unwrap();
    out.into_iter().next().unwrap()
}

/// Max |candle - ort| over every real (unpadded) position of a padded ONNX batch.
fn max_logit_diff(run: &LoadedRun, tagger: &Tagger, sequences: &[Vec<u32>]) -> f32 {
    let batch: Vec<&[u32]> = sequences.iter().map(|s| s.as_slice()).collect();
    let (ort, t) = tagger
        .model()
        .logits(&batch, Priority::Interactive)
        .unwrap();
    let n = run.model.scheme.len();
    let mut max = 0f32;
    for (row, ids) in sequences.iter().enumerate() {
        let reference = candle_logits(&run.model, ids);
        for (p, labels) in reference.iter().enumerate() {
            for (l, &v) in labels.iter().enumerate() {
                max = max.max((v - ort[(row * t + p) * n + l]).abs());
            }
        }
    }
    max
}

fn sample_sentences() -> Vec<Sentence> {
    read_iob(&fixture("tiny-corpus.tsv"))
        .unwrap()
        .into_iter()
        .take(25)
        .collect()
}

fn id_sequences(
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    max_len: usize,
) -> Vec<Vec<u32>> {
    sentences
        .iter()
        .flat_map(|s| encoder.encode_words(&s.words, max_len).unwrap())
        .map(|w| w.ids)
        .collect()
}

#[test]
fn fp32_export_matches_candle_logits_and_entities() {
    let dir = tempfile::tempdir().unwrap();
    let run = trained_tiny_run(&dir.path().join("run"));
    let bundle = dir.path().join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: false }).unwrap();
    let tagger = Tagger::load(&bundle, options()).unwrap();

    let sentences = sample_sentences();
    // Sequences of different lengths in one padded batch exercise the attention mask.
    let seqs = id_sequences(&run.encoder, &sentences, run.info.max_len);
    assert!(seqs.iter().map(Vec::len).min() < seqs.iter().map(Vec::len).max());
    let diff = max_logit_diff(&run, &tagger, &seqs);
    assert!(diff <= 1e-4, "max abs logit difference {diff}");

    let reference = predict(&run.model, &run.encoder, &sentences, run.info.max_len, 512).unwrap();
    let words: Vec<Vec<String>> = sentences.iter().map(|s| s.words.clone()).collect();
    let exported = tagger.tag_words(&words).unwrap();
    let found = entities_of(&reference);
    assert!(
        found.len() >= sentences.len(),
        "the trained tiny model should find entities, found {}",
        found.len()
    );
    assert_eq!(found, entities_of(&exported));
    // The manifest carries the CRF the trainer learned.
    assert_eq!(tagger.bundle.crf, run.model.crf.to_transitions().unwrap());
}

#[test]
fn int8_export_runs_and_stays_close() {
    let dir = tempfile::tempdir().unwrap();
    let run = trained_tiny_run(&dir.path().join("run"));
    let fp32 = dir.path().join("fp32");
    let int8 = dir.path().join("int8");
    export_bundle(&run, &fp32, &ExportOptions { int8: false }).unwrap();
    export_bundle(&run, &int8, &ExportOptions { int8: true }).unwrap();
    let size = |p: &Path| std::fs::metadata(p.join("model.onnx")).unwrap().len();
    let tagger = Tagger::load(&int8, options()).unwrap();
    assert_eq!(
        tagger.bundle.manifest.weights,
        bioscope_core::bundle::WeightFormat::Int8
    );
    assert!(
        size(&int8) < size(&fp32),
        "int8 {} vs fp32 {}",
        size(&int8),
        size(&fp32)
    );

    let sentences = sample_sentences();
    let seqs = id_sequences(&run.encoder, &sentences, run.info.max_len);
    let diff = max_logit_diff(&run, &tagger, &seqs);
    let range = seqs
        .iter()
        .flat_map(|ids| candle_logits(&run.model, ids).into_iter().flatten())
        .fold(0f32, |m, v| m.max(v.abs()));
    // Quantization changes the numbers a little, never wholesale.
    assert!(
        diff > 0.0 && diff < 0.25 * range,
        "int8 max abs logit difference {diff} for logits up to {range}"
    );
    // Activations are quantized per token: a sequence's logits do not depend on its batch.
    let n = run.model.scheme.len();
    let alone = &seqs[0];
    let (solo, _) = tagger
        .model()
        .logits(&[alone.as_slice()], Priority::Interactive)
        .unwrap();
    let batch: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let (batched, t) = tagger
        .model()
        .logits(&batch, Priority::Interactive)
        .unwrap();
    let drift = (0..alone.len() * n)
        .map(|k| (solo[k] - batched[(k / n) * n + k % n]).abs())
        .fold(0f32, f32::max);
    assert!(
        t > alone.len() && drift <= 1e-4,
        "batching moved int8 logits by {drift}"
    );

    let words: Vec<Vec<String>> = sentences.iter().map(|s| s.words.clone()).collect();
    let reference = predict(&run.model, &run.encoder, &sentences, run.info.max_len, 512).unwrap();
    let exported = tagger.tag_words(&words).unwrap();
    let (a, b) = (entities_of(&reference), entities_of(&exported));
    let same = a.iter().filter(|e| b.contains(e)).count();
    assert!(
        same * 10 >= a.len() * 9,
        "int8 keeps {same} of {} entities",
        a.len()
    );
}

#[test]
fn pretrained_encoder_exports_with_parity() {
    let encoder_dir =
        pretrained_encoder().expect("run `bash .ci/setup` to fetch the pretrained encoder");
    let tokenizer = WordPieceEncoder::from_file(&encoder_dir.join("tokenizer.json")).unwrap();
    let config: bioscope_train::bert::BertConfig =
        serde_json::from_str(&std::fs::read_to_string(encoder_dir.join("config.json")).unwrap())
            .unwrap();
    let scheme = LabelScheme::new(&[EntityType::Disease]);
    let model = TokenClassifier::new(&config, scheme, 3).unwrap();
    model.load_pretrained_encoder(&encoder_dir).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    model
        .save(&run_dir.join(bioscope_train::run::BEST_WEIGHTS))
        .unwrap();
    std::fs::copy(
        encoder_dir.join("tokenizer.json"),
        run_dir.join("tokenizer.json"),
    )
    .unwrap();
    bioscope_train::run::RunInfo {
        name: "minilm-untrained-head".into(),
        bert: config,
        types: vec!["Disease".into()],
        max_len: 64,
        training: Default::default(),
        evaluation: vec![],
        throughput: Default::default(),
    }
    .write(&run_dir)
    .unwrap();
    let run = load_run(&run_dir).unwrap();
    let bundle = dir.path().join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: false }).unwrap();
    let tagger = Tagger::load(&bundle, options()).unwrap();
    let words = [
        "Mutations",
        "in",
        "BRCA1",
        "cause",
        "hereditary",
        "breast",
        "cancer",
        ".",
    ];
    let short = ["Wilson", "disease", "."];
    let seqs = vec![
        tokenizer.encode_words(&words, 64).unwrap().remove(0).ids,
        tokenizer.encode_words(&short, 64).unwrap().remove(0).ids,
    ];
    let diff = max_logit_diff(&run, &tagger, &seqs);
    assert!(diff <= 1e-4, "max abs logit difference {diff}");
}

#[test]
fn training_reads_corpus_spec_paths() {
    // The config's corpus resolves and reads: a guard for the fixture the parity tests train on.
    let spec = CorpusSpec {
        path: fixture("tiny-corpus.tsv"),
        format: "iob".into(),
        fraction: Some(0.5),
        annotates: None,
    };
    assert_eq!(spec.read().unwrap().len(), 30);
}
