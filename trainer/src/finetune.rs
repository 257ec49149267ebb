//! Fast retraining from the user's corrections: `bioscope-train finetune --base BUNDLE
//! --corrections FILE --out DIR`.
//!
//! 1. The base bundle's weights are imported from its `model.onnx` ([`crate::import`]): users
//!    have bundles, not training runs.
//! 2. Each corrected paragraph becomes a training sequence ([`corrected_paragraphs`]): the corrected
//!    spans carry their decided labels (a rejected or ignored span is `O`, a retyped, resized or
//!    tagged span its new label, an accepted one stays); elsewhere the base model's own
//!    confident decisions (posterior ≥ `confidence` on every word of an entity, or on an `O`
//!    word) are kept, and the words it is unsure of are left open (partial-label CRF loss), so
//!    that an untouched mention is never taught as `O`. Records are applied in file order: a
//!    later decision replaces earlier ones whose spans it overlaps. A type the corrections
//!    teach that the base does not tag (a user's own, `bioscope.customTypes`) is added to the
//!    model first ([`crate::label_growth`]: its classifier rows imprinted from the corrected
//!    pieces' encoder outputs), and the replayed sentences count as without it.
//! 3. The bundle's `replay.tsv` ([`crate::replay`]) is mixed in, `replay_per_paragraph`
//!    sentences per corrected paragraph, so the model does not forget the original corpora.
//! 4. Only the top `trained_layers` encoder layers, the classifier and the CRF train; the
//!    embeddings and lower layers run once and their outputs are cached. Epochs, learning rates
//!    and seed are fixed ([`FinetuneSettings`]), so a run repeats exactly.
//! 5. The new bundle (same weight format as the base; its `replay.tsv` copied) is written into
//!    `OUT.tmp-PID` and renamed to `OUT` only when complete ([`publish`]): a killed run leaves
//!    no `OUT` or its previous version untouched; stale `OUT.tmp-PID` directories of dead
//!    processes are removed by the next run.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bioscope_core::bundle::{FinetuneRecord, Manifest, WeightFormat, MANIFEST_FILE};
use bioscope_core::corpus::{split_words, Sentence};
use bioscope_core::corrections::{
    self, corrected_paragraphs, Correction, SkippedLine, SpanDecision,
};
use bioscope_core::decode::{decode_window_scored, tag_runs};
use bioscope_core::encoding::{plan_batches, WordPieceEncoder};
use bioscope_core::entity::Tag;
use bioscope_core::hash::sha256_hex;
use bioscope_core::{EntityType, LabelScheme};
use bioscope_lexicon::Lexicon;
use serde::{Deserialize, Serialize};

use crate::data::{encode, make_batch, Example};
use crate::eval::decode_windows;
use crate::export::{prepare_bundle, ExportOptions};
use crate::import::import_bundle;
use crate::model::TokenClassifier;
use crate::optim::{schedule, AdamW};
use crate::replay::{self, REPLAY_FILE};
use crate::tensorboard::{EventWriter, TENSORBOARD_DIR};
use crate::train::{cache_frozen, stack_cached, trainable};

/// The fixed training settings of a finetune run. The defaults keep 100 corrections within a
/// minute on two CPU cores with the shipped six-layer model, and were chosen on the
/// NCBI-disease development split (`bench-finetune`, see models/README.md): a higher encoder
/// learning rate learns the corrections better but costs more on text nobody corrected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinetuneSettings {
    /// Top encoder layers that train (the rest and the embeddings are frozen and cached).
    pub trained_layers: usize,
    pub epochs: usize,
    /// Padded pieces per batch.
    pub batch_tokens: usize,
    pub lr: f64,
    pub head_lr: f64,
    pub weight_decay: f64,
    pub warmup: f64,
    pub clip: f64,
    pub dropout: f64,
    pub seed: u64,
    /// Each corrected paragraph appears this many times per epoch.
    pub paragraph_repeats: usize,
    /// Replay sentences per corrected paragraph (at most the whole replay file).
    pub replay_per_paragraph: usize,
    /// The base model's decisions with at least this posterior probability are kept as labels.
    pub confidence: f32,
    /// At least this many epochs when the corrections teach a new type (its rows start from
    /// nothing the model learned); chosen with `bench-new-type` on BioNLP13CG's development split.
    #[serde(default = "d_new_type_epochs")]
    pub new_type_epochs: usize,
    /// At least this head learning rate when the corrections teach a new type.
    #[serde(default = "d_new_type_head_lr")]
    pub new_type_head_lr: f64,
    /// At least this many replay sentences per corrected paragraph when the corrections teach a
    /// new type: the longer training would otherwise pull the other types towards the few
    /// corrected paragraphs (BioNLP13CG Organ, K = 20: NCBI-disease dev −4.49 with 2, −1.24
    /// with 8, for Organ F1 24.07 → 19.05).
    #[serde(default = "d_new_type_replay")]
    pub new_type_replay_per_paragraph: usize,
    /// L2-SP: each step pulls every trained weight back by this many learning rates of its
    /// distance from where training started (0: off), against forgetting what the base knew.
    #[serde(default)]
    pub anchor: f64,
    /// At least this pull when the corrections teach a new type; chosen with `bench-new-type`
    /// (BioNLP13CG Organ, K = 5/20/51: the other types' dev F1 kept better at each K, Organ
    /// F1 equal or higher; see models/README.md).
    #[serde(default = "d_new_type_anchor")]
    pub new_type_anchor: f64,
    /// The pull for the encoder's trained layers (its learning rate is much lower than the
    /// head's, so the same strength would barely hold it).
    #[serde(default)]
    pub encoder_anchor: f64,
    /// Copies of each corrected paragraph with a new type's mention swapped for another of its
    /// mentions ([`crate::augment::mention_swaps`]) when the corrections teach a new type;
    /// chosen with `bench-new-type` (BioNLP13CG Organ, K = 20: Organ F1 23.53 → 31.19 with 4,
    /// the other types' dev F1 about 1 point lower; see models/README.md).
    #[serde(default = "d_new_type_augment")]
    pub new_type_augment: usize,
}

fn d_new_type_augment() -> usize {
    4
}

fn d_new_type_anchor() -> f64 {
    5.0
}

fn d_new_type_replay() -> usize {
    8
}

fn d_new_type_epochs() -> usize {
    15
}

fn d_new_type_head_lr() -> f64 {
    5e-3
}

impl Default for FinetuneSettings {
    fn default() -> Self {
        FinetuneSettings {
            trained_layers: 2,
            epochs: 5,
            batch_tokens: 1024,
            lr: 7e-5,
            head_lr: 1e-3,
            weight_decay: 0.01,
            warmup: 0.1,
            clip: 1.0,
            dropout: 0.1,
            seed: 42,
            paragraph_repeats: 2,
            replay_per_paragraph: 2,
            confidence: 0.9,
            new_type_epochs: d_new_type_epochs(),
            new_type_head_lr: d_new_type_head_lr(),
            new_type_replay_per_paragraph: d_new_type_replay(),
            anchor: 0.0,
            new_type_anchor: d_new_type_anchor(),
            encoder_anchor: 0.0,
            new_type_augment: d_new_type_augment(),
        }
    }
}

/// What a finetune run is asked to do.
#[derive(Clone, Debug)]
pub struct FinetuneRequest {
    pub base: PathBuf,
    pub corrections: PathBuf,
    pub out: PathBuf,
    /// The lexicon a base with lexicon-match features reads them from (ignored otherwise).
    pub lexicon: Option<PathBuf>,
    pub settings: FinetuneSettings,
    /// Tests only: wait this long with the complete bundle in `OUT.tmp-PID` before renaming it,
    /// so that a test can kill the process there.
    pub pause_before_publish: Option<Duration>,
}

/// A progress report for the language server (or a terminal).
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Progress { percentage: u32, message: String },
    Warning(String),
}

/// The result of a finetune run.
#[derive(Clone, Debug)]
pub struct FinetuneOutcome {
    pub manifest: Manifest,
    /// Correction records used.
    pub corrections: usize,
    pub skipped: Vec<SkippedLine>,
    pub seconds: f64,
}

/// Word labels of a paragraph: `Some(tag)` to teach, `None` left open.
pub fn word_labels(
    text: &str,
    decisions: &[SpanDecision],
    predicted: &[(Tag, f32)],
    confidence: f32,
) -> Vec<Option<Tag>> {
    let words = split_words(text);
    debug_assert_eq!(words.len(), predicted.len());
    let mut labels: Vec<Option<Tag>> = vec![None; words.len()];
    let overlapping = |start: usize, end: usize| -> Vec<usize> {
        (0..words.len())
            .filter(|&w| words[w].start < end && words[w].end > start)
            .collect()
    };
    let decided: Vec<Vec<usize>> = decisions
        .iter()
        .map(|d| overlapping(d.start, d.end))
        .collect();
    let in_decision = |w: usize| decided.iter().any(|ws| ws.contains(&w));
    // The base model's confident decisions.
    for (w, (tag, p)) in predicted.iter().enumerate() {
        if *tag == Tag::Outside && *p >= confidence {
            labels[w] = Some(Tag::Outside);
        }
    }
    for run in tag_runs(predicted.iter().map(|(t, _)| *t)) {
        let range = run.start..run.end;
        let sure = predicted[range.clone()]
            .iter()
            .all(|(_, p)| *p >= confidence);
        // A predicted mention cut by a decision is not kept in pieces.
        let cut = decided.iter().any(|ws| {
            ws.iter().any(|w| range.contains(w)) && *ws != range.clone().collect::<Vec<_>>()
        });
        if sure && !cut {
            for w in range {
                labels[w] = Some(predicted[w].0);
            }
        }
    }
    for (d, ws) in decisions.iter().zip(&decided) {
        for (k, &w) in ws.iter().enumerate() {
            labels[w] = Some(match (d.label, k) {
                (None, _) => Tag::Outside,
                (Some(t), 0) => Tag::Begin(t),
                (Some(t), _) => Tag::Inside(t),
            });
        }
    }
    // An `I-T` after anything but `B-T`/`I-T` would continue another mention: leave it open
    // unless a decision made it.
    for w in 0..labels.len() {
        if let Some(Tag::Inside(t)) = labels[w] {
            let continues =
                w > 0 && matches!(labels[w - 1], Some(Tag::Begin(p) | Tag::Inside(p)) if p == t);
            if !continues && !in_decision(w) {
                labels[w] = None;
            }
        }
    }
    labels
}

/// `(tag, confidence)` per word of each word sequence, decoded as the tagger decodes.
pub fn predict_scored(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    sequences: &[Vec<String>],
    max_len: usize,
    batch_tokens: usize,
) -> Result<Vec<Vec<(Tag, f32)>>> {
    let sentences: Vec<Sentence> = sequences
        .iter()
        .map(|w| Sentence {
            words: w.clone(),
            tags: vec![Tag::Outside; w.len()],
        })
        .collect();
    let mut out: Vec<Vec<(Tag, f32)>> = sequences
        .iter()
        .map(|w| vec![(Tag::Outside, 1.0); w.len()])
        .collect();
    decode_windows(
        model,
        encoder,
        &sentences,
        max_len,
        batch_tokens,
        |e, emissions, crf| {
            let words = decode_window_scored(&e.window, emissions, &model.scheme, crf);
            out[e.sentence][e.window.keep_first..e.window.keep_end].copy_from_slice(&words);
        },
    )?;
    Ok(out)
}

/// Training windows of a paragraph whose word labels may be open (`None`: any label).
fn encode_open(
    words: &[String],
    labels: &[Option<Tag>],
    encoder: &WordPieceEncoder,
    scheme: &LabelScheme,
    max_len: usize,
    lexicon: Option<&Lexicon>,
) -> Result<Vec<Example>> {
    let all = (1u32 << scheme.len()) - 1;
    let word_bits = match lexicon {
        Some(lexicon) => bioscope_lexicon::matches::word_matches(lexicon, words),
        None => vec![0; words.len()],
    };
    let tags: Vec<Tag> = labels.iter().map(|l| l.unwrap_or(Tag::Outside)).collect();
    let mut out = Vec::new();
    for window in encoder.encode_words_with_context(words, max_len, 0)? {
        let labels_idx: Vec<u32> = window
            .piece_tags(&tags)
            .into_iter()
            .map(|t| scheme.index(t) as u32)
            .collect();
        let allowed = labels_idx
            .iter()
            .zip(&window.piece_word)
            .map(|(&l, w)| match w {
                Some(w) if labels[*w].is_none() => all,
                _ => 1 << l,
            })
            .collect();
        out.push(Example {
            ids: window.ids.clone(),
            shapes: window.shapes(words),
            lexicon: window.lexicon_features(&word_bits, encoder.unknown_piece()),
            labels: labels_idx,
            allowed: Some(allowed),
            convention: crate::data::UNMARKED,
            window,
            sentence: 0,
        });
    }
    Ok(out)
}

/// Runs a finetune and publishes the bundle at `request.out`.
pub fn finetune(
    request: &FinetuneRequest,
    report: &mut dyn FnMut(Event),
) -> Result<FinetuneOutcome> {
    let started = Instant::now();
    let s = &request.settings;
    progress(report, 0, "reading corrections".into());
    let (records, skipped, corrections_sha256) = read_corrections(&request.corrections)?;
    for line in &skipped {
        report(Event::Warning(format!(
            "{}: line {} skipped: {}",
            request.corrections.display(),
            line.line,
            line.reason
        )));
    }
    let paragraphs = corrected_paragraphs(&records);
    if paragraphs.is_empty() {
        bail!(
            "{} holds no usable correction ({} records, {} lines skipped): nothing to learn",
            request.corrections.display(),
            records.len(),
            skipped.len()
        );
    }
    if !request.base.join(MANIFEST_FILE).is_file() {
        bail!(
            "{} is not a model bundle (no {MANIFEST_FILE})",
            request.base.display()
        );
    }
    let staging = Staging::create(&request.out)?;

    progress(report, 2, format!("loading {}", request.base.display()));
    let mut base = import_bundle(&request.base, request.lexicon.as_deref())?;
    let replay_path = request.base.join(REPLAY_FILE);
    let replay_all = if replay_path.is_file() {
        replay::read(&replay_path)?
    } else {
        report(Event::Warning(format!(
            "{} has no {REPLAY_FILE}: training on the corrections alone, the model may forget \
             what it knew (write one with `bioscope-train replay-sample`)",
            request.base.display()
        )));
        Vec::new()
    };
    let model = &base.run.model;
    let scheme = model.scheme.clone();
    let max_len = base.run.info.max_len;
    let layers = model.encoder.num_layers();
    let frozen = layers - s.trained_layers.min(layers);
    // Dropout of the layers that train (frozen ones run without it when cached).
    set_dropout(&mut base, s.dropout)?;
    // Types the corrections teach that the base does not tag: the model grows their labels.
    let mut new_types: Vec<EntityType> = Vec::new();
    for t in paragraphs
        .iter()
        .flat_map(|p| &p.decisions)
        .filter_map(|d| d.label)
    {
        if !scheme.types().contains(&t) && !new_types.contains(&t) {
            new_types.push(t);
        }
    }
    if let Some(grown) = crate::label_growth::grown(&base.run.model, &new_types)? {
        let names: Vec<&str> = new_types.iter().map(|t| t.name()).collect();
        progress(
            report,
            6,
            format!("adding the type {} to the model", names.join(", ")),
        );
        base.run.model = grown;
        base.run.info.types = base
            .run
            .model
            .scheme
            .types()
            .iter()
            .map(|t| t.name().to_string())
            .collect();
    }
    let scheme = base.run.model.scheme.clone();
    let model = &base.run.model;
    let (epochs, head_lr) = if new_types.is_empty() {
        (s.epochs, s.head_lr)
    } else {
        (
            s.epochs.max(s.new_type_epochs),
            s.head_lr.max(s.new_type_head_lr),
        )
    };
    let encoder = &base.run.encoder;

    progress(
        report,
        8,
        format!(
            "tagging {} corrected paragraphs with the base model",
            paragraphs.len()
        ),
    );
    let word_seqs: Vec<Vec<String>> = paragraphs
        .iter()
        .map(|p| {
            split_words(&p.text)
                .iter()
                .map(|w| p.text[w.start..w.end].to_string())
                .collect()
        })
        .collect();
    let predicted = predict_scored(model, encoder, &word_seqs, max_len, s.batch_tokens * 2)?;
    let mut labelled: Vec<crate::augment::Labelled> = paragraphs
        .iter()
        .zip(word_seqs)
        .zip(&predicted)
        .map(|((p, words), pred)| {
            let labels = word_labels(&p.text, &p.decisions, pred, s.confidence);
            (words, labels)
        })
        .collect();
    if !new_types.is_empty() && s.new_type_augment > 0 {
        // A new type has only the user's few mentions: each also appears in other contexts.
        let copies =
            crate::augment::mention_swaps(&labelled, &new_types, s.new_type_augment, s.seed);
        labelled.extend(copies);
    }
    let mut examples = Vec::new();
    for (words, labels) in &labelled {
        examples.extend(encode_open(
            words,
            labels,
            encoder,
            &scheme,
            max_len,
            model.lexicon.as_deref(),
        )?);
    }
    let correction_examples = examples.len();
    let replay_per_paragraph = if new_types.is_empty() {
        s.replay_per_paragraph
    } else {
        s.replay_per_paragraph.max(s.new_type_replay_per_paragraph)
    };
    let replay_count = (paragraphs.len() * replay_per_paragraph).min(replay_all.len());
    // An even spread over the file, so every corpus of the sample is represented.
    let replay_chosen: Vec<&replay::ReplaySentence> = (0..replay_count)
        .map(|k| &replay_all[k * replay_all.len() / replay_count.max(1)])
        .collect();
    for r in &replay_chosen {
        // A new type is taken as absent from the replayed sentences: they teach where it is not.
        let annotates: Vec<EntityType> = r.annotates.iter().chain(&new_types).copied().collect();
        examples.extend(encode(
            std::slice::from_ref(&r.sentence),
            encoder,
            &scheme,
            &annotates,
            (max_len, 0),
            model.lexicon.as_deref(),
        )?);
    }

    progress(
        report,
        15,
        format!(
            "caching the frozen layers for {} windows ({} from corrections, {} replayed sentences)",
            examples.len(),
            correction_examples,
            replay_chosen.len()
        ),
    );
    let mut cache = cache_frozen(model, &examples, frozen, s.batch_tokens)?;
    if !new_types.is_empty() {
        // The new labels' rows point at their examples before training starts.
        let new_labels: Vec<usize> = new_types
            .iter()
            .flat_map(|&t| [scheme.index(Tag::Begin(t)), scheme.index(Tag::Inside(t))])
            .collect();
        let mut outputs = Vec::new();
        for i in 0..correction_examples {
            let batch = make_batch(&examples, &[i])?;
            let hidden = model.final_hidden_from_layer(
                stack_cached(&cache, &[i])?,
                &batch.mask,
                frozen,
                false,
            )?;
            let rows: Vec<Vec<f32>> = hidden.squeeze(0)?.to_vec2()?;
            for (row, &label) in rows.into_iter().zip(&examples[i].labels) {
                outputs.push((row, label as usize));
            }
        }
        crate::label_growth::imprint(model, &new_labels, &outputs)?;
    }
    for _ in 1..s.paragraph_repeats.max(1) {
        for i in 0..correction_examples {
            examples.push(examples[i].clone());
            cache.push(cache[i].clone());
        }
    }
    let lengths: Vec<usize> = examples.iter().map(|e| e.ids.len()).collect();
    let mut opt = AdamW::new(trainable(model, frozen), s.weight_decay)?;
    let head_anchor = if new_types.is_empty() {
        s.anchor
    } else {
        s.anchor.max(s.new_type_anchor)
    };
    opt.anchor_to_start(head_anchor, s.encoder_anchor)?;
    let steps_per_epoch = plan_batches(&lengths, s.batch_tokens, Some(s.seed)).len();
    let total = steps_per_epoch * epochs;
    let warmup = ((total as f64) * s.warmup).ceil() as usize;
    let mut step = 0;
    // The dashboard goes with the bundle (`BUNDLE/tensorboard/`).
    let mut events = EventWriter::create(&staging.tmp.join(TENSORBOARD_DIR))?;
    let tokens_started = Instant::now();
    let mut pieces = 0usize;
    for epoch in 0..epochs {
        let batches = plan_batches(&lengths, s.batch_tokens, Some(s.seed + epoch as u64));
        let mut loss_sum = 0.0;
        for members in &batches {
            let batch = make_batch(&examples, members)?;
            let logits = model.logits_from_layer(
                stack_cached(&cache, members)?,
                &batch.mask,
                frozen,
                true,
            )?;
            let loss = model.crf.partial_nll(
                &logits,
                &batch.labels,
                &batch.allowed(&examples),
                &batch.lengths,
            )?;
            let grads = loss.backward()?;
            let factor = schedule(step, warmup, total);
            let grad_norm = opt.step(
                std::slice::from_ref(&grads),
                s.lr * factor,
                head_lr * factor,
                s.clip,
            )?;
            let loss = loss.to_scalar::<f32>()? as f64;
            loss_sum += loss;
            step += 1;
            pieces += batch.lengths.iter().sum::<usize>();
            let secs = tokens_started.elapsed().as_secs_f64().max(1e-9);
            events.scalar("finetune/loss", step as u64, loss)?;
            events.scalar("finetune/learning_rate", step as u64, s.lr * factor)?;
            events.scalar("finetune/grad_norm", step as u64, grad_norm)?;
            events.scalar(
                "finetune/pieces_per_second",
                step as u64,
                pieces as f64 / secs,
            )?;
        }
        events.flush()?;
        progress(
            report,
            25 + (65 * (epoch + 1) / epochs.max(1)) as u32,
            format!(
                "epoch {}/{}: {} steps, mean loss {:.3}",
                epoch + 1,
                epochs,
                batches.len(),
                loss_sum / batches.len().max(1) as f64
            ),
        );
    }

    progress(report, 92, "exporting the bundle".into());
    let int8 = base.manifest.weights == WeightFormat::Int8;
    let mut prepared = prepare_bundle(&base.run, &ExportOptions { int8 })?;
    let m = &mut prepared.manifest;
    if !m.name.ends_with("-finetuned") {
        m.name.push_str("-finetuned");
    }
    // The base model's figures do not describe this one.
    m.evaluation.clear();
    m.finetune = Some(FinetuneRecord {
        base_name: base.manifest.name.clone(),
        base_model_sha256: base.manifest.model_sha256.clone(),
        corrections_sha256,
        corrections: records.len(),
        skipped_lines: skipped.len(),
        paragraphs: paragraphs.len(),
        replay_sentences: replay_chosen.len(),
        trained_layers: layers - frozen,
        epochs,
        steps: step,
        lr: s.lr,
        head_lr,
        seed: s.seed,
        wall_seconds: started.elapsed().as_secs_f64(),
    });
    if let Some(record) = &prepared.manifest.finetune {
        let text = serde_json::to_string_pretty(record)?;
        events.text("finetune", step as u64, &format!("```json\n{text}\n```"))?;
    }
    events.flush()?;
    drop(events);
    let manifest = prepared
        .manifest
        .write_bundle(&staging.tmp, &prepared.model, &prepared.tokenizer)
        .with_context(|| format!("cannot write the bundle to {}", staging.tmp.display()))?;
    if replay_path.is_file() {
        fs::copy(&replay_path, staging.tmp.join(REPLAY_FILE))
            .with_context(|| format!("cannot copy {}", replay_path.display()))?;
    }
    if let Some(pause) = request.pause_before_publish {
        progress(report, 98, "waiting before publishing (test pause)".into());
        std::thread::sleep(pause);
    }
    staging.publish()?;
    let seconds = started.elapsed().as_secs_f64();
    progress(report, 100, format!("wrote {}", request.out.display()));
    Ok(FinetuneOutcome {
        manifest,
        corrections: records.len(),
        skipped,
        seconds,
    })
}

fn progress(report: &mut dyn FnMut(Event), percentage: u32, message: String) {
    report(Event::Progress {
        percentage,
        message,
    });
}

fn set_dropout(base: &mut crate::import::ImportedBundle, p: f64) -> Result<()> {
    if (base.run.model.config.hidden_dropout_prob - p).abs() < f64::EPSILON {
        return Ok(());
    }
    // The dropout probability is part of the model's config: rebuild it with the same weights.
    let mut config = base.run.model.config.clone();
    config.hidden_dropout_prob = p;
    config.attention_probs_dropout_prob = p;
    let mut model = TokenClassifier::new(&config, base.run.model.scheme.clone(), 0)?;
    let weights = base.run.model.named_tensors();
    for (name, var) in model.sorted_vars() {
        var.set(&weights[&name])?;
    }
    model.lexicon = base.run.model.lexicon.clone();
    model.decode_convention = base.run.model.decode_convention;
    base.run.model = model;
    base.run.info.bert = config;
    Ok(())
}

/// Reads the corrections file: records, skipped lines, and the file's SHA-256.
fn read_corrections(path: &Path) -> Result<(Vec<Correction>, Vec<SkippedLine>, String)> {
    let bytes = fs::read(path).with_context(|| {
        format!(
            "cannot read the corrections file {} (pass the JSONL file the language server writes)",
            path.display()
        )
    })?;
    define_named_types(&bytes);
    let (records, skipped) = corrections::read(path)
        .with_context(|| format!("cannot read the corrections file {}", path.display()))?;
    Ok((records, skipped, sha256_hex(&bytes)))
}

/// Defines the types the records name that this process does not know yet (a user's own types,
/// which the language server declared when it wrote them), so that their records are read and
/// the model learns them. Lines that are not JSON, and names that are no type name, are left to
/// the reader to skip and report.
fn define_named_types(bytes: &[u8]) {
    for line in String::from_utf8_lossy(bytes).lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        for side in ["old", "new"] {
            if let Some(name) = record[side]["type"].as_str() {
                let _ = EntityType::named(name);
            }
        }
    }
}

/// The temporary directory a bundle is written into before it is renamed into place.
struct Staging {
    tmp: PathBuf,
    out: PathBuf,
    published: bool,
}

fn with_suffix(parent: &Path, name: &std::ffi::OsStr, suffix: &str) -> PathBuf {
    let mut s = OsString::from(name);
    s.push(suffix);
    parent.join(s)
}

impl Staging {
    /// Checks that `out` may be (re)placed, removes stale staging directories of dead
    /// processes, and creates `OUT.tmp-PID`.
    fn create(out: &Path) -> Result<Staging> {
        let name = out
            .file_name()
            .with_context(|| format!("--out {} must name a directory", out.display()))?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if out.exists() && !out.join(MANIFEST_FILE).is_file() {
            let empty = fs::read_dir(out)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !empty {
                bail!(
                    "{} exists and is not a model bundle: refusing to replace it (choose another --out)",
                    out.display()
                );
            }
        }
        remove_stale(&parent, name);
        let tmp = with_suffix(&parent, name, &format!(".tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| {
            format!(
                "cannot create {} (is {} writable?)",
                tmp.display(),
                parent.display()
            )
        })?;
        Ok(Staging {
            tmp,
            out: out.to_path_buf(),
            published: false,
        })
    }

    /// Syncs the staged files and renames the directory to `out` (replacing a previous bundle
    /// there: it is first renamed aside, then removed).
    fn publish(mut self) -> Result<()> {
        for entry in fs::read_dir(&self.tmp)? {
            let path = entry?.path();
            fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot sync {}", path.display()))?;
        }
        if let Ok(dir) = fs::File::open(&self.tmp) {
            let _ = dir.sync_all();
        }
        let name = self.out.file_name().unwrap_or_default().to_os_string();
        let parent = self.tmp.parent().map(Path::to_path_buf).unwrap_or_default();
        let old = with_suffix(&parent, &name, &format!(".old-{}", std::process::id()));
        let replaced = self.out.exists();
        if replaced {
            fs::rename(&self.out, &old).with_context(|| {
                format!("cannot move the previous {} aside", self.out.display())
            })?;
        }
        if let Err(e) = fs::rename(&self.tmp, &self.out) {
            if replaced {
                let _ = fs::rename(&old, &self.out);
            }
            return Err(e).with_context(|| {
                format!(
                    "cannot rename {} to {}",
                    self.tmp.display(),
                    self.out.display()
                )
            });
        }
        self.published = true;
        if replaced {
            let _ = fs::remove_dir_all(&old);
        }
        if let Ok(dir) = fs::File::open(&parent) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Removes `NAME.tmp-PID` and `NAME.old-PID` directories whose process is gone (a killed
/// run's leftovers). Only where `/proc` tells which processes live.
fn remove_stale(parent: &Path, name: &std::ffi::OsStr) {
    let proc_dir = Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let name = name.to_string_lossy();
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let Some(rest) = file.strip_prefix(name.as_ref()) else {
            continue;
        };
        let pid = rest
            .strip_prefix(".tmp-")
            .or_else(|| rest.strip_prefix(".old-"));
        if let Some(pid) = pid.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
            if !proc_dir.join(pid).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioscope_core::corrections::Action;
    use bioscope_core::corrections::{Scope, SpanLabel, SCHEMA_VERSION};
    use bioscope_core::EntityType;

    fn record(
        action: Action,
        old: Option<(usize, usize)>,
        new: Option<(usize, usize)>,
    ) -> Correction {
        let span = |(start, end): (usize, usize), t| SpanLabel {
            start,
            end,
            entity_type: t,
        };
        Correction {
            schema: SCHEMA_VERSION,
            action,
            scope: Scope::Here,
            document: "a.md".into(),
            paragraph: "BRCA1 causes hereditary breast cancer in TNF mice .".into(),
            old: old.map(|s| span(s, EntityType::Disease)),
            new: new.map(|s| span(s, EntityType::Gene)),
            model_sha256: String::new(),
            timestamp: String::new(),
        }
    }

    #[test]
    fn later_decisions_replace_overlapping_earlier_ones() {
        let records = vec![
            record(Action::Reject, Some((13, 37)), None),
            record(Action::Tag, None, Some((41, 44))),
            // Resize "hereditary breast cancer" to "breast cancer" (as Gene, for the test).
            record(Action::Resize, Some((13, 37)), Some((24, 37))),
        ];
        let p = corrected_paragraphs(&records);
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].decisions,
            vec![
                SpanDecision {
                    start: 41,
                    end: 44,
                    label: Some(EntityType::Gene)
                },
                SpanDecision {
                    start: 13,
                    end: 37,
                    label: None
                },
                SpanDecision {
                    start: 24,
                    end: 37,
                    label: Some(EntityType::Gene)
                },
            ]
        );
        let words = split_words(&p[0].text);
        let d = Tag::Begin(EntityType::Disease);
        let g = Tag::Begin(EntityType::Gene);
        // The model: BRCA1 a confident gene, "hereditary breast cancer" a disease, "in" unsure.
        let mut predicted = vec![(Tag::Outside, 0.99); words.len()];
        predicted[0] = (g, 0.95);
        predicted[2] = (d, 0.97);
        predicted[3] = (Tag::Inside(EntityType::Disease), 0.97);
        predicted[4] = (Tag::Inside(EntityType::Disease), 0.97);
        predicted[5] = (Tag::Outside, 0.5);
        let labels = word_labels(&p[0].text, &p[0].decisions, &predicted, 0.9);
        assert_eq!(
            labels,
            vec![
                Some(g),
                Some(Tag::Outside),
                Some(Tag::Outside),
                Some(g),
                Some(Tag::Inside(EntityType::Gene)),
                None,
                Some(g),
                Some(Tag::Outside),
                Some(Tag::Outside),
            ]
        );
    }
}
