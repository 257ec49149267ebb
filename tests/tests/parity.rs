//! Parity between the trainer (candle) and the exported bundle (ONNX Runtime): logits within
//! 1e-4 for fp32, identical decoded entities, and int8 close enough to decode the same.

use std::path::Path;

use bioscope_core::corpus::{read_iob, Sentence};
use bioscope_core::encoding::WordPieceEncoder;
use bioscope_core::lexicon_match::{write_floats, MatchBits, NUM_LEXICON_FEATURES};
use bioscope_core::metrics::entities_of;
use bioscope_core::{EntityType, LabelScheme};
use bioscope_lexicon::matches::word_matches;
use bioscope_lexicon::{ConceptId, Lexicon, Namespace};
use bioscope_tagger::{Features, Priority, Tagger, TaggerOptions};
use bioscope_tests::{
    fixture, ort_library, pretrained_encoder, tiny_config, trained_run, trained_tiny_run,
};
use bioscope_train::data::{Batch, CorpusSpec, UNMARKED};
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

/// One model input: piece ids, their word-shape ids and their lexicon-match bits.
type Sequence = (Vec<u32>, Vec<u32>, Vec<MatchBits>);

/// Candle logits `[len, labels]` for one sequence.
fn candle_logits(model: &TokenClassifier, (ids, shapes, bits): &Sequence) -> Vec<Vec<f32>> {
    let dev = candle_core::Device::Cpu;
    let f = NUM_LEXICON_FEATURES;
    let mut features = vec![0f32; bits.len() * f];
    for (p, &b) in bits.iter().enumerate() {
        write_floats(b, &mut features[p * f..(p + 1) * f]);
    }
    let batch = Batch {
        lexicon: Tensor::from_vec(features, (1, bits.len(), f), &dev).unwrap(),
        ids: Tensor::new(ids.as_slice(), &dev)
            .unwrap()
            .unsqueeze(0)
            .unwrap(),
        shapes: Tensor::new(shapes.as_slice(), &dev)
            .unwrap()
            .unsqueeze(0)
            .unwrap(),
        conventions: Tensor::new(&[UNMARKED], &dev).unwrap(),
        mask: Tensor::ones((1, ids.len()), candle_core::DType::F32, &dev).unwrap(),
        labels: Vec::new(),
        lengths: vec![ids.len()],
        members: Vec::new(),
    };
    let out: Vec<Vec<Vec<f32>>> = model.logits(&batch, false).unwrap().to_vec3().unwrap();
    out.into_iter().next().unwrap()
}

/// ONNX Runtime logits of a padded batch (shape ids passed when the model takes them).
fn ort_logits(tagger: &Tagger, sequences: &[Sequence]) -> (Vec<f32>, usize) {
    let batch: Vec<&[u32]> = sequences.iter().map(|s| s.0.as_slice()).collect();
    let model = tagger.model();
    let features = Features {
        shapes: if model.shape_features() {
            sequences.iter().map(|s| s.1.as_slice()).collect()
        } else {
            Vec::new()
        },
        lexicon: if model.lexicon_features() {
            sequences.iter().map(|s| s.2.as_slice()).collect()
        } else {
            Vec::new()
        },
    };
    model
        .logits(&batch, &features, Priority::Interactive)
        .unwrap()
}

/// Max |candle - ort| over every real (unpadded) position of a padded ONNX batch.
fn max_logit_diff(run: &LoadedRun, tagger: &Tagger, sequences: &[Sequence]) -> f32 {
    let (ort, t) = ort_logits(tagger, sequences);
    let n = run.model.scheme.len();
    let mut max = 0f32;
    for (row, seq) in sequences.iter().enumerate() {
        let reference = candle_logits(&run.model, seq);
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
) -> Vec<Sequence> {
    lexicon_sequences(encoder, sentences, max_len, None)
}

/// [`id_sequences`] with each piece's lexicon-match bits from `lexicon`.
fn lexicon_sequences(
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    max_len: usize,
    lexicon: Option<&Lexicon>,
) -> Vec<Sequence> {
    sentences
        .iter()
        .flat_map(|s| {
            let word_bits = match lexicon {
                Some(lexicon) => word_matches(lexicon, &s.words),
                None => vec![0; s.words.len()],
            };
            encoder
                .encode_words(&s.words, max_len)
                .unwrap()
                .into_iter()
                .map(move |w| {
                    let shapes = w.shapes(&s.words);
                    let bits = w.lexicon_features(&word_bits, encoder.unknown_piece());
                    (w.ids, shapes, bits)
                })
        })
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
    assert!(seqs.iter().map(|s| s.0.len()).min() < seqs.iter().map(|s| s.0.len()).max());
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
        .flat_map(|seq| candle_logits(&run.model, seq).into_iter().flatten())
        .fold(0f32, |m, v| m.max(v.abs()));
    // Quantization changes the numbers a little, never wholesale.
    assert!(
        diff > 0.0 && diff < 0.25 * range,
        "int8 max abs logit difference {diff} for logits up to {range}"
    );
    // Activations are quantized per token: a sequence's logits do not depend on its batch.
    let n = run.model.scheme.len();
    let alone = &seqs[0].0;
    let (solo, _) = ort_logits(&tagger, &seqs[..1]);
    let (batched, t) = ort_logits(&tagger, &seqs);
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
fn shape_features_train_export_and_import_with_parity() {
    let mut config = tiny_config();
    config.shape_features = true;
    config.freeze_layers = 1;
    assert!(
        config.validate().is_err(),
        "frozen embeddings cannot learn shapes"
    );
    config.freeze_layers = 0;
    let dir = tempfile::tempdir().unwrap();
    let run = trained_run(&config, &dir.path().join("run"));
    let table = run.model.shape_embeddings.as_ref().expect("a shape table");
    let moved: f32 = table.abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
    assert!(moved > 0.0, "training left the shape vectors at zero");

    let bundle = dir.path().join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: false }).unwrap();
    let tagger = Tagger::load(&bundle, options()).unwrap();
    assert!(tagger.bundle.manifest.encoder.shape_features);
    let sentences = sample_sentences();
    let seqs = id_sequences(&run.encoder, &sentences, run.info.max_len);
    let diff = max_logit_diff(&run, &tagger, &seqs);
    assert!(diff <= 1e-4, "max abs logit difference {diff}");
    // The shapes reach the scores: the same pieces with other shapes score differently.
    let mut altered = seqs[..1].to_vec();
    for shape in altered[0].1.iter_mut().filter(|s| **s != 0) {
        *shape = if *shape == 3 { 1 } else { 3 };
    }
    assert_ne!(
        ort_logits(&tagger, &seqs[..1]).0,
        ort_logits(&tagger, &altered).0
    );
    let words: Vec<Vec<String>> = sentences.iter().map(|s| s.words.clone()).collect();
    let reference = predict(&run.model, &run.encoder, &sentences, run.info.max_len, 512).unwrap();
    assert_eq!(
        entities_of(&reference),
        entities_of(&tagger.tag_words(&words).unwrap())
    );

    // The bundle imports back (where retraining from corrections starts) with its shapes.
    let imported = bioscope_train::import::import_bundle(&bundle, None).unwrap();
    assert!(imported.run.info.bert.shape_features);
    let diff = max_logit_diff(&imported.run, &tagger, &seqs);
    assert!(diff <= 1e-4, "imported model differs by {diff}");
    // An int8 export of it loads and tags.
    let int8 = dir.path().join("int8");
    export_bundle(&run, &int8, &ExportOptions { int8: true }).unwrap();
    let quantized = Tagger::load(&int8, options()).unwrap();
    assert_eq!(quantized.tag_words(&words).unwrap().len(), words.len());
}

#[test]
fn lexicon_features_train_export_and_tag_with_parity() {
    let dir = tempfile::tempdir().unwrap();
    // A small vocabulary: two of the corpus's disease names and two of its genes.
    let mut builder = bioscope_lexicon::LexiconBuilder::new();
    for (local, entity_type, name) in [
        ("D015470", EntityType::Disease, "acute leukemia"),
        ("D006973", EntityType::Disease, "hypertension"),
        ("672", EntityType::Gene, "BRCA1"),
        ("7124", EntityType::Gene, "TNF-alpha"),
    ] {
        let namespace = if entity_type == EntityType::Gene {
            Namespace::NcbiGene
        } else {
            Namespace::Mesh
        };
        builder.concept(ConceptId::new(namespace, local), entity_type, name);
    }
    let lexicon_path = dir.path().join("names.lexicon");
    std::fs::write(&lexicon_path, builder.finish().0).unwrap();
    let lexicon = std::sync::Arc::new(Lexicon::open(&lexicon_path).unwrap());

    let mut config = tiny_config();
    config.lexicon_features = Some(lexicon_path.clone());
    config.freeze_layers = 1;
    assert!(
        config.validate().is_err(),
        "frozen embeddings cannot learn lexicon vectors"
    );
    config.freeze_layers = 0;
    let run = trained_run(&config, &dir.path().join("run"));
    let table = run
        .model
        .lexicon_embeddings
        .as_ref()
        .expect("a lexicon table");
    let moved: f32 = table.abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
    assert!(moved > 0.0, "training left the lexicon vectors at zero");
    // The run remembers its lexicon: loading it again gives the same features.
    let reloaded = load_run(&dir.path().join("run")).unwrap();
    assert!(reloaded.model.lexicon.is_some());

    let bundle = dir.path().join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: false }).unwrap();
    let plain = Tagger::load(&bundle, options()).unwrap();
    assert!(plain.bundle.manifest.encoder.lexicon_features);
    assert!(
        plain.feature_note().is_some(),
        "no lexicon: the tagger says so"
    );
    let tagger = plain.with_feature_lexicon(Some(lexicon.clone()));
    assert!(tagger.feature_note().is_none());

    let sentences = sample_sentences();
    let seqs = lexicon_sequences(&run.encoder, &sentences, run.info.max_len, Some(&lexicon));
    assert!(
        seqs.iter().any(|s| s.2.iter().any(|&b| b != 0)),
        "the sample has lexicon names"
    );
    let diff = max_logit_diff(&run, &tagger, &seqs);
    assert!(diff <= 1e-4, "max abs logit difference {diff}");
    // The features reach the scores: the same pieces without them score differently.
    let first = seqs
        .iter()
        .position(|s| s.2.iter().any(|&b| b != 0))
        .unwrap();
    let mut cleared = vec![seqs[first].clone()];
    cleared[0].2.fill(0);
    assert_ne!(
        ort_logits(&tagger, &seqs[first..=first]).0,
        ort_logits(&tagger, &cleared).0
    );
    let words: Vec<Vec<String>> = sentences.iter().map(|s| s.words.clone()).collect();
    let reference = predict(&run.model, &run.encoder, &sentences, run.info.max_len, 512).unwrap();
    assert_eq!(
        entities_of(&reference),
        entities_of(&tagger.tag_words(&words).unwrap())
    );
    // Retraining starts from the bundle: it needs the lexicon, and then scores as exported.
    let err = bioscope_train::import::import_bundle(&bundle, None)
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("--lexicon"), "{err:#}");
    let imported = bioscope_train::import::import_bundle(&bundle, Some(&lexicon_path)).unwrap();
    let diff = max_logit_diff(&imported.run, &tagger, &seqs);
    assert!(diff <= 1e-4, "imported model differs by {diff}");
    // An int8 export of it loads and tags.
    let int8 = dir.path().join("int8");
    export_bundle(&run, &int8, &ExportOptions { int8: true }).unwrap();
    let quantized = Tagger::load(&int8, options())
        .unwrap()
        .with_feature_lexicon(Some(lexicon));
    assert_eq!(quantized.tag_words(&words).unwrap().len(), words.len());
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
    model.load_pretrained_encoder(&encoder_dir, None).unwrap();

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
        lexicon: None,
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
    let seqs: Vec<Sequence> = [&words[..], &short[..]]
        .iter()
        .map(|w| {
            let window = tokenizer.encode_words(w, 64).unwrap().remove(0);
            let shapes = window.shapes(w);
            let bits = vec![0; window.ids.len()];
            (window.ids, shapes, bits)
        })
        .collect();
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
        ..CorpusSpec::default()
    };
    assert_eq!(spec.read().unwrap().len(), 30);
}

/// Types are data: a model of a type of one's own ("Organ", as a writer would define it; a lab
/// model's "BIOMARKER" is the same) trains, exports, loads and tags like a built-in one, and
/// the tagger's entities carry it.
#[test]
fn a_defined_type_trains_exports_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    // The tiny corpus with its diseases relabelled as organs (its genes stay Gene, which this
    // model does not tag).
    let text = std::fs::read_to_string(fixture("tiny-corpus.tsv"))
        .unwrap()
        .replace("-Disease", "-Organ_test");
    let corpus = dir.path().join("organs.tsv");
    std::fs::write(&corpus, text).unwrap();
    let mut config = tiny_config();
    config.types = vec!["Organ_test".into()];
    config.train[0].path = corpus.clone();
    let run = trained_run(&config, &dir.path().join("run"));
    let organ = EntityType::named("Organ_test").unwrap();
    assert!(!organ.is_built_in());
    let bundle = dir.path().join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: false }).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["entity_types"], serde_json::json!(["Organ_test"]));
    assert_eq!(
        manifest["labels"],
        serde_json::json!(["O", "B-Organ_test", "I-Organ_test"])
    );
    let tagger = Tagger::load(&bundle, options()).unwrap();
    let sentences: Vec<Sentence> = read_iob(&corpus).unwrap().into_iter().take(25).collect();
    let words: Vec<Vec<String>> = sentences.iter().map(|s| s.words.clone()).collect();
    let tagged = entities_of(&tagger.tag_words(&words).unwrap());
    let gold: Vec<_> = entities_of(&sentences.iter().map(|s| s.tags.clone()).collect::<Vec<_>>())
        .into_iter()
        .filter(|e| e.entity_type == organ)
        .collect();
    assert!(!gold.is_empty(), "the corpus names the defined type");
    assert!(tagged.iter().all(|e| e.entity_type == organ), "{tagged:?}");
    let right = tagged.iter().filter(|e| gold.contains(e)).count();
    assert!(
        right * 2 > gold.len(),
        "the model learned the defined type: {right} of {} gold organs found",
        gold.len()
    );
    let reference = predict(&run.model, &run.encoder, &sentences, run.info.max_len, 512).unwrap();
    assert_eq!(entities_of(&reference), tagged);
}

/// The lab-value tagger's recipe for a small model: the pretrained encoder's first layer only
/// and the vocabulary trimmed to the corpus's pieces. The model starts from the pretrained
/// rows of the pieces it keeps, spells the corpus's words as the full vocabulary does, spells
/// other words with shorter pieces, and exports a bundle that tags with parity.
#[test]
fn a_trimmed_vocabulary_and_fewer_layers_start_from_the_pretrained_model() {
    let encoder_dir =
        pretrained_encoder().expect("run `bash .ci/setup` to fetch the pretrained encoder");
    let mut config = tiny_config();
    config.encoder = encoder_dir.display().to_string();
    config.tokenizer = None;
    config.encoder_layers = Some(1);
    config.trim_vocabulary = true;
    config.max_len = 64;
    config.validate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = trained_run(&config, &dir.path().join("run"));
    assert_eq!(run.info.bert.num_hidden_layers, 1);

    let full = WordPieceEncoder::from_file(&encoder_dir.join("tokenizer.json")).unwrap();
    let trimmed = &run.encoder;
    assert!(
        trimmed.vocab_size() < full.vocab_size() / 5,
        "{} of {} pieces kept",
        trimmed.vocab_size(),
        full.vocab_size()
    );
    assert_eq!(run.info.bert.vocab_size, trimmed.vocab_size());
    let pieces = |encoder: &WordPieceEncoder, words: &[String]| -> Vec<String> {
        let window = encoder.encode_words(words, 64).unwrap().remove(0);
        window
            .ids
            .iter()
            .map(|&id| encoder.tokenizer().id_to_token(id).unwrap())
            .collect()
    };
    for sentence in sample_sentences().iter().take(10) {
        assert_eq!(
            pieces(trimmed, &sentence.words),
            pieces(&full, &sentence.words)
        );
    }
    // A word the corpus never spells still has pieces (no [UNK]), only shorter ones.
    let unseen = vec!["haemoglobin".to_string()];
    let spelled = pieces(trimmed, &unseen);
    assert!(!spelled.iter().any(|p| p == "[UNK]"), "{spelled:?}");
    assert!(spelled.len() >= pieces(&full, &unseen).len());

    // Before training, each kept piece has its pretrained embedding row.
    let scheme = LabelScheme::new(&config.entity_types().unwrap());
    let model = bioscope_train::train::build_model(&config, scheme, trimmed).unwrap();
    let rows = model.named_tensors()["bert.embeddings.word_embeddings.weight"].clone();
    let pretrained = candle_core::safetensors::load(
        encoder_dir.join("model.safetensors"),
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let original = &pretrained["embeddings.word_embeddings.weight"];
    for piece in ["gene", "patients", "[CLS]", "x", "##x"] {
        let (new, old) = (
            trimmed.tokenizer().token_to_id(piece).unwrap(),
            full.tokenizer().token_to_id(piece).unwrap(),
        );
        let diff = (rows.get(new as usize).unwrap() - original.get(old as usize).unwrap())
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert_eq!(
            diff, 0.0,
            "{piece}: row {new} is not the pretrained row {old}"
        );
    }

    let bundle = dir.path().join("bundle");
    export_bundle(&run, &bundle, &ExportOptions { int8: true }).unwrap();
    let tagger = Tagger::load(&bundle, options()).unwrap();
    let words: Vec<Vec<String>> = sample_sentences().iter().map(|s| s.words.clone()).collect();
    assert_eq!(tagger.tag_words(&words).unwrap().len(), words.len());
    let size = std::fs::metadata(bundle.join("model.onnx")).unwrap().len();
    // The full vocabulary alone would take 11.7 MB at int8 (30,522 rows of 384).
    assert!(
        size < 5_000_000,
        "a one-layer trimmed int8 model is small: {size} bytes"
    );
}
