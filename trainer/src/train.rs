//! The training loop: AdamW with warm-up and linear decay, gradient clipping, length-bucketed
//! batches, optional frozen lower layers with cached outputs, resumable checkpoints, a progress
//! bar, and strict entity F1 on the dev corpora after each epoch.
//!
//! Each batch is dealt into one shard per core ([`crate::parallel`]). Runs repeat exactly for a
//! seed and a number of cores (weights init, batch order, dropout drawn per step and shard),
//! resumed runs included.

use std::collections::BTreeMap;
use std::fs;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bioscope_core::bundle::{EvaluationRecord, TrainingRecord};
use bioscope_core::corpus::{corpus_name, Sentence};
use bioscope_core::encoding::{plan_batches, WordPieceEncoder};
use bioscope_core::metrics::EntityScores;
use bioscope_core::{EntityType, LabelScheme};
use candle_core::Tensor;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::bert::BertConfig;
use crate::config::TrainConfig;
use crate::data::{data_hash, encode, make_batch, Example, UNMARKED};
use crate::eval::{predict_as, score};
use crate::model::{TokenClassifier, SHAPE_EMBEDDINGS};
use crate::optim::{schedule, AdamW, Param};
use crate::parallel;
use crate::run::{RunInfo, Throughput, BEST_WEIGHTS, RUN_TOKENIZER};
use crate::tensorboard::{EventWriter, TENSORBOARD_DIR};

/// The folder of a run's resumable checkpoint (full weights, optimizer, state).
pub const CHECKPOINT_DIR: &str = "checkpoint";

/// Where a checkpoint stands.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CheckpointState {
    config: TrainConfig,
    epoch: usize,
    /// Batches of `epoch` already done.
    batch: usize,
    step: usize,
    best_f1: f64,
    dev: Vec<EvaluationRecord>,
    /// Which weights `best.safetensors` holds ("epoch 3 of 5", "average of epochs 4-5").
    #[serde(default)]
    selected: Option<String>,
    seconds: f64,
}

/// Options that do not change the model: for benchmarks and tests.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Stop after this many optimizer steps (benchmarks).
    pub max_steps: Option<usize>,
    /// Hide the progress bar.
    pub quiet: bool,
    /// Save a checkpoint and stop with an error after this many steps, as an interrupted run
    /// would (tests of resumption).
    pub interrupt_after: Option<usize>,
}

/// Builds the model the config describes: the pretrained encoder (its first `encoder_layers`
/// layers; with a trimmed vocabulary, `encoder` is the trimmed tokenizer's), or the seeded
/// tiny one.
pub fn build_model(
    config: &TrainConfig,
    scheme: LabelScheme,
    encoder: &WordPieceEncoder,
) -> Result<TokenClassifier> {
    let mut word_rows = None;
    let mut bert = if config.is_tiny() {
        BertConfig::tiny(encoder.vocab_size())
    } else {
        let path = Path::new(&config.encoder).join("config.json");
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut bert = serde_json::from_str::<BertConfig>(&text)
            .with_context(|| format!("invalid {}", path.display()))?;
        if config.trim_vocabulary {
            let original = WordPieceEncoder::from_file(&config.tokenizer_path()?)?;
            word_rows = Some(crate::vocabulary::pretrained_rows(&original, encoder)?);
            bert.vocab_size = encoder.vocab_size();
        }
        bert
    };
    if let Some(layers) = config.encoder_layers {
        if layers > bert.num_hidden_layers {
            bail!(
                "encoder_layers = {layers}, but the encoder has {}",
                bert.num_hidden_layers
            );
        }
        bert.num_hidden_layers = layers;
    }
    bert.hidden_dropout_prob = config.dropout;
    bert.attention_probs_dropout_prob = config.dropout;
    bert.shape_features = config.shape_features;
    bert.lexicon_features = config.lexicon_features.is_some();
    let conventions = config.conventions();
    // Row 0 is the unmarked convention; no table at all without conventions.
    let rows = if conventions.is_empty() {
        0
    } else {
        conventions.len() + 1
    };
    let mut model = TokenClassifier::with_conventions(&bert, scheme, config.seed, rows)?;
    model.decode_convention = config.convention_row(config.decode_convention.as_deref());
    if let Some(path) = &config.lexicon_features {
        model.lexicon = Some(crate::model::open_feature_lexicon(path)?);
    }
    if !config.is_tiny() {
        model.load_pretrained_encoder(Path::new(&config.encoder), word_rows.as_deref())?;
    }
    Ok(model)
}

/// The parameters that train: all, or all but the embeddings and the lowest `frozen` layers.
pub(crate) fn trainable(model: &TokenClassifier, frozen: usize) -> Vec<Param> {
    model
        .sorted_vars()
        .into_iter()
        .filter(|(name, _)| {
            if frozen == 0 {
                return true;
            }
            if name.starts_with("bert.embeddings.") || name == SHAPE_EMBEDDINGS {
                return false;
            }
            match name.strip_prefix("bert.encoder.layer.") {
                Some(rest) => rest
                    .split('.')
                    .next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_none_or(|layer| layer >= frozen),
                None => true,
            }
        })
        .map(|(name, var)| Param {
            head: !name.starts_with("bert."),
            decay: !(name.ends_with("bias")
                || name.contains("LayerNorm")
                || name.starts_with("crf.")),
            name,
            var,
        })
        .collect()
}

/// Hidden states after the frozen layers, one `[len, hidden]` tensor per example.
pub(crate) fn cache_frozen(
    model: &TokenClassifier,
    examples: &[Example],
    frozen: usize,
    batch_tokens: usize,
) -> Result<Vec<Tensor>> {
    let mut cache: Vec<Option<Tensor>> = vec![None; examples.len()];
    let lengths: Vec<usize> = examples.iter().map(|e| e.ids.len()).collect();
    for members in plan_batches(&lengths, batch_tokens, None) {
        let batch = make_batch(examples, &members)?;
        let bias = crate::bert::BertEncoder::attention_bias(&batch.mask)?;
        let x = model.embed(&batch, false)?;
        let hidden = model.encoder.run_layers(x, &bias, 0, frozen, false)?;
        for (row, &i) in members.iter().enumerate() {
            // Detached, so that it does not keep its batch's forward graph alive (rows of one
            // batch share its storage; `copy()` would clone the whole batch per row).
            cache[i] = Some(hidden.get(row)?.narrow(0, 0, lengths[i])?.detach());
        }
    }
    Ok(cache
        .into_iter()
        .map(|t| t.expect("every example is in one batch"))
        .collect())
}

/// Stacks cached hidden states of a batch, zero-padded to the longest.
pub(crate) fn stack_cached(cache: &[Tensor], members: &[usize]) -> Result<Tensor> {
    let t = members
        .iter()
        .map(|&i| cache[i].dim(0))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let max = t.iter().copied().max().unwrap_or(0);
    let rows = members
        .iter()
        .zip(&t)
        .map(|(&i, &len)| cache[i].pad_with_zeros(0, 0, max - len))
        .collect::<candle_core::Result<Vec<_>>>()?;
    Ok(Tensor::stack(&rows, 0)?)
}

/// Dev corpora read once for per-epoch evaluation.
struct DevSet {
    name: String,
    sentences: Vec<Sentence>,
    annotated: Vec<EntityType>,
    /// The corpus's own convention's marker, when it names one (scored with it as well).
    own_convention: Option<(String, u32)>,
}

/// The micro F1 over the dev corpora, the run's records of them, and each corpus's scores
/// under its dashboard name.
type DevScores = (f64, Vec<EvaluationRecord>, Vec<(String, EntityScores)>);

/// Strict scores of each dev corpus with the model's decode convention (micro F1 over all of
/// them, and a record per corpus), printing a report per corpus; a corpus that names its own
/// convention is also scored and reported with that marker (not part of the micro F1).
fn evaluate_dev(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    dev: &[DevSet],
    config: &TrainConfig,
    heading: &str,
    print: &dyn Fn(String),
) -> Result<DevScores> {
    let mut records = Vec::new();
    let mut scores = Vec::new();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    let sizes = (config.max_len, config.batch_tokens * 2);
    for d in dev {
        let pred = predict_as(model, encoder, &d.sentences, sizes, model.decode_convention)?;
        let s = score(&d.sentences, &pred, &d.annotated);
        (tp, fp, fn_) = (tp + s.micro.tp, fp + s.micro.fp, fn_ + s.micro.fn_);
        print(format!("{heading} dev {}:\n{s}", d.name));
        records.push(EvaluationRecord {
            corpus: d.name.clone(),
            split: "dev".into(),
            precision: s.micro.precision(),
            recall: s.micro.recall(),
            f1: s.micro.f1(),
            engine: "candle fp32".into(),
        });
        scores.push((corpus_name(&d.name).to_string(), s));
        if let Some((name, row)) = &d.own_convention {
            let pred = predict_as(model, encoder, &d.sentences, sizes, *row)?;
            let s = score(&d.sentences, &pred, &d.annotated);
            print(format!(
                "{heading} dev {} with its own convention ({name}):\n{s}",
                d.name
            ));
            records.push(EvaluationRecord {
                corpus: d.name.clone(),
                split: format!("dev, {name} convention"),
                precision: s.micro.precision(),
                recall: s.micro.recall(),
                f1: s.micro.f1(),
                engine: "candle fp32".into(),
            });
            scores.push((format!("{} ({name} convention)", corpus_name(&d.name)), s));
        }
    }
    let f1 = if dev.is_empty() {
        0.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fn_).max(1) as f64
    };
    Ok((f1, records, scores))
}

/// Dev scores as scalars at `step`: micro F1 over all corpora, and per corpus P, R, F1 and
/// each type's F1, under `prefix` ("dev" for epochs, "dev average" for averaged weights).
fn log_dev(
    events: &mut EventWriter,
    prefix: &str,
    step: u64,
    micro_f1: f64,
    scores: &[(String, EntityScores)],
) -> Result<()> {
    events.scalar(&format!("{prefix}/micro_f1"), step, micro_f1)?;
    for (corpus, s) in scores {
        events.scalar(
            &format!("{prefix}/{corpus}/precision"),
            step,
            s.micro.precision(),
        )?;
        events.scalar(&format!("{prefix}/{corpus}/recall"), step, s.micro.recall())?;
        events.scalar(&format!("{prefix}/{corpus}/f1"), step, s.micro.f1())?;
        for (t, counts) in &s.per_type {
            events.scalar(
                &format!("{prefix}/{corpus}/f1 {}", t.name()),
                step,
                counts.f1(),
            )?;
        }
    }
    events.flush()
}

/// The element-wise mean of weight sets with the same names and shapes.
pub fn average(sets: &[BTreeMap<String, Tensor>]) -> Result<BTreeMap<String, Tensor>> {
    let first = sets.first().context("no weights to average")?;
    first
        .keys()
        .map(|name| {
            let mut sum = first[name].clone();
            for set in &sets[1..] {
                let t = set
                    .get(name)
                    .with_context(|| format!("an epoch's weights lack `{name}`"))?;
                sum = (sum + t)?;
            }
            Ok((name.clone(), (sum / sets.len() as f64)?))
        })
        .collect()
}

/// The checkpoint file of the weights after `epoch` (1-based), kept for averaging.
fn epoch_weights(out: &Path, epoch: usize) -> std::path::PathBuf {
    out.join(CHECKPOINT_DIR)
        .join(format!("epoch-{epoch}.safetensors"))
}

/// The seed of shard `shard`'s dropout at `step`.
fn dropout_seed(seed: u64, step: usize, shard: usize) -> u64 {
    seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ ((step as u64) << 8) ^ shard as u64
}

/// Trains per `config` into `out` (resuming from `out/checkpoint` when it holds the same config),
/// writes `run.json`, `tokenizer.json` and `best.safetensors`, and returns the run's record.
pub fn train(
    config: &TrainConfig,
    out: &Path,
    command: &str,
    options: &RunOptions,
) -> Result<RunInfo> {
    let scheme = LabelScheme::new(&config.entity_types()?);
    let tokenizer_path = config.tokenizer_path()?;
    let mut encoder = WordPieceEncoder::from_file(&tokenizer_path)?;
    if config.trim_vocabulary {
        encoder =
            crate::vocabulary::write_trimmed_tokenizer(config, &encoder, &tokenizer_path, out)?;
    }
    let model = build_model(config, scheme.clone(), &encoder)?;

    let mut examples = Vec::new();
    for spec in &config.train {
        let annotated = spec.annotated_types(scheme.types())?;
        let mut encoded = encode(
            &spec.read()?,
            &encoder,
            &scheme,
            &annotated,
            (config.max_len, 0),
            model.lexicon.as_deref(),
        )?;
        let row = config.convention_row(spec.convention.as_deref());
        for e in &mut encoded {
            e.convention = row;
        }
        for _ in 1..spec.repeat.unwrap_or(1) {
            examples.extend(encoded.iter().cloned());
        }
        examples.extend(encoded);
    }
    let dev: Vec<DevSet> = config
        .dev
        .iter()
        .map(|spec| {
            Ok(DevSet {
                name: spec.path.display().to_string(),
                sentences: spec.read()?,
                annotated: spec.annotated_types(scheme.types())?,
                own_convention: spec.convention.clone().map(|name| {
                    let row = config.convention_row(Some(&name));
                    (name, row)
                }),
            })
        })
        .collect::<Result<_>>()?;
    let lengths: Vec<usize> = examples.iter().map(|e| e.ids.len()).collect();
    let frozen = config.freeze_layers.min(model.encoder.num_layers());
    let cache = if frozen > 0 {
        Some(cache_frozen(
            &model,
            &examples,
            frozen,
            config.batch_tokens,
        )?)
    } else {
        None
    };
    let mut opt = AdamW::new(trainable(&model, frozen), config.weight_decay)?;
    let workers = parallel::workers();

    let steps_per_epoch = plan_batches(&lengths, config.batch_tokens, Some(config.seed)).len();
    let total = options.max_steps.unwrap_or(steps_per_epoch * config.epochs);
    let warmup = ((total as f64) * config.warmup).ceil() as usize;

    fs::create_dir_all(out.join(CHECKPOINT_DIR))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut state = CheckpointState {
        config: config.clone(),
        epoch: 0,
        batch: 0,
        step: 0,
        best_f1: -1.0,
        dev: Vec::new(),
        selected: None,
        seconds: 0.0,
    };
    let mut events = EventWriter::create(&out.join(TENSORBOARD_DIR))?;
    let config_text = toml::to_string(config).unwrap_or_else(|e| format!("(not shown: {e})"));
    events.text("config", 0, &format!("```toml\n{config_text}\n```"))?;
    let state_path = out.join(CHECKPOINT_DIR).join("state.json");
    if let Ok(text) = fs::read_to_string(&state_path) {
        let saved: CheckpointState = serde_json::from_str(&text)
            .with_context(|| format!("invalid {}", state_path.display()))?;
        if saved.config == *config && options.max_steps.is_none() {
            model.load(&out.join(CHECKPOINT_DIR).join("model.safetensors"))?;
            opt.load(
                &out.join(CHECKPOINT_DIR).join("optimizer.safetensors"),
                saved.step,
            )?;
            eprintln!(
                "resuming from {} at epoch {}, batch {} (step {})",
                state_path.display(),
                saved.epoch + 1,
                saved.batch,
                saved.step
            );
            state = saved;
        } else {
            eprintln!(
                "{} is for another config: starting afresh",
                state_path.display()
            );
        }
    }
    let save_checkpoint = |state: &CheckpointState, opt: &AdamW| -> Result<()> {
        let dir = out.join(CHECKPOINT_DIR);
        model.save(&dir.join("model.safetensors"))?;
        opt.save(&dir.join("optimizer.safetensors"))?;
        let tmp = dir.join("state.json.tmp");
        fs::write(&tmp, serde_json::to_string_pretty(state)?)?;
        fs::rename(&tmp, dir.join("state.json"))?;
        Ok(())
    };

    let bar = if options.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} steps, eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(state.step as u64);
    // Without a terminal the bar is hidden: log a line every 100 steps instead.
    let plain_log = !options.quiet && !std::io::stderr().is_terminal();
    let started = Instant::now();
    let (mut seqs, mut tokens) = (0usize, 0usize);
    let mut done = false;
    while state.epoch < config.epochs && !done {
        let batches = plan_batches(
            &lengths,
            config.batch_tokens,
            Some(config.seed + state.epoch as u64),
        );
        while state.batch < batches.len() {
            let members = &batches[state.batch];
            // Marker dropout, seeded by step, so that a resumed run drops the same markers.
            let kept: Option<Vec<u32>> = (config.convention_dropout > 0.0).then(|| {
                let mut rng = StdRng::seed_from_u64(config.seed ^ (state.step as u64) << 20);
                members
                    .iter()
                    .map(|&i| {
                        if rng.random::<f64>() < config.convention_dropout {
                            UNMARKED
                        } else {
                            examples[i].convention
                        }
                    })
                    .collect()
            });
            // One shard per core; each shard's loss is its share of the batch's mean, so the
            // summed gradients are the whole batch's.
            let rows: Vec<usize> = (0..members.len()).collect();
            let shards = parallel::deal(&rows, workers);
            let step = state.step;
            let outputs = parallel::run_shards(&shards, |k, rows| {
                let part: Vec<usize> = rows.iter().map(|&r| members[r]).collect();
                let mut batch = make_batch(&examples, &part)?;
                if let Some(kept) = &kept {
                    batch.set_conventions(rows.iter().map(|&r| kept[r]).collect())?;
                }
                let view = model.with_dropout_seed(dropout_seed(config.seed, step, k));
                let logits = match &cache {
                    Some(cache) => view.logits_from_layer(
                        stack_cached(cache, &part)?,
                        &batch.mask,
                        frozen,
                        true,
                    )?,
                    None => view.logits(&batch, true)?,
                };
                let share = part.len() as f64 / members.len() as f64;
                let loss = (view.crf.partial_nll(
                    &logits,
                    &batch.labels,
                    &batch.allowed(&examples),
                    &batch.lengths,
                )? * share)?;
                let grads = loss.backward()?;
                let pieces: usize = batch.lengths.iter().sum();
                Ok((loss.to_scalar::<f32>()?, pieces, grads))
            })?;
            let mut loss = 0f32;
            let mut stores = Vec::with_capacity(outputs.len());
            for (shard_loss, pieces, grads) in outputs {
                loss += shard_loss;
                tokens += pieces;
                stores.push(grads);
            }
            let factor = schedule(state.step, warmup, total);
            let grad_norm = opt.step(
                &stores,
                config.lr * factor,
                config.head_lr * factor,
                config.clip,
            )?;
            state.step += 1;
            state.batch += 1;
            seqs += members.len();
            bar.inc(1);
            if state.step.is_multiple_of(20) {
                bar.set_message(format!("loss {loss:.3}"));
                let step = state.step as u64;
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                events.scalar("train/loss", step, loss as f64)?;
                events.scalar("train/learning_rate", step, config.lr * factor)?;
                events.scalar("train/grad_norm", step, grad_norm)?;
                events.scalar("train/pieces_per_second", step, tokens as f64 / secs)?;
                events.flush()?;
                if plain_log && state.step.is_multiple_of(100) {
                    let secs = started.elapsed().as_secs_f64();
                    eprintln!(
                        "step {}/{total} epoch {} loss {loss:.3} {:.1} sequences/s",
                        state.step,
                        state.epoch + 1,
                        seqs as f64 / secs
                    );
                }
            }
            if options.max_steps.is_some_and(|m| state.step >= m) {
                done = true;
                break;
            }
            if options.interrupt_after == Some(state.step) {
                save_checkpoint(&state, &opt)?;
                anyhow::bail!("interrupted after step {}", state.step);
            }
            if state.step.is_multiple_of(config.checkpoint_every) {
                state.seconds += started.elapsed().as_secs_f64();
                save_checkpoint(&state, &opt)?;
                state.seconds -= started.elapsed().as_secs_f64();
            }
        }
        if done {
            break;
        }
        state.epoch += 1;
        state.batch = 0;
        // Pick the best epoch on the dev corpora (micro F1 over all of them).
        let print = |report: String| {
            if plain_log {
                eprint!("{report}");
            } else {
                bar.println(report);
            }
        };
        let heading = format!("epoch {}", state.epoch);
        let (f1, records, scores) = evaluate_dev(&model, &encoder, &dev, config, &heading, &print)?;
        log_dev(&mut events, "dev", state.step as u64, f1, &scores)?;
        if f1 >= state.best_f1 {
            state.best_f1 = f1;
            state.dev = records;
            state.selected = Some(format!("epoch {} of {}", state.epoch, config.epochs));
            model.save_deployable(&out.join(BEST_WEIGHTS), model.decode_convention)?;
        }
        if config.average_last > 1 && state.epoch + config.average_last > config.epochs {
            model.save(&epoch_weights(out, state.epoch))?;
        }
        if config.average_last > 1 && state.epoch == config.epochs {
            // Checkpoint averaging: the mean of the last epochs' weights, kept if it scores
            // at least as well as the best single epoch.
            let first = config.epochs + 1 - config.average_last;
            let sets = (first..=config.epochs)
                .map(|e| {
                    let path = epoch_weights(out, e);
                    candle_core::safetensors::load(&path, &crate::bert::device())
                        .with_context(|| format!("cannot read {}", path.display()))
                        .map(|m| m.into_iter().collect::<BTreeMap<_, _>>())
                })
                .collect::<Result<Vec<_>>>()?;
            // Copies: a variable cannot be set from its own storage.
            let last = model
                .named_tensors()
                .into_iter()
                .map(|(k, t)| Ok((k, t.copy()?)))
                .collect::<Result<BTreeMap<_, _>>>()?;
            model.set_tensors(&average(&sets)?)?;
            let heading = format!("average of epochs {first}-{}", config.epochs);
            let (f1, records, scores) =
                evaluate_dev(&model, &encoder, &dev, config, &heading, &print)?;
            log_dev(&mut events, "dev average", state.step as u64, f1, &scores)?;
            if f1 >= state.best_f1 {
                state.best_f1 = f1;
                state.dev = records;
                state.selected = Some(heading);
                model.save_deployable(&out.join(BEST_WEIGHTS), model.decode_convention)?;
            }
            model.set_tensors(&last)?;
        }
        state.seconds += started.elapsed().as_secs_f64();
        save_checkpoint(&state, &opt)?;
        state.seconds -= started.elapsed().as_secs_f64();
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    if done || !out.join(BEST_WEIGHTS).exists() {
        model.save_deployable(&out.join(BEST_WEIGHTS), model.decode_convention)?;
    }
    if !config.trim_vocabulary {
        fs::copy(&tokenizer_path, out.join(RUN_TOKENIZER))
            .with_context(|| format!("cannot copy {}", tokenizer_path.display()))?;
    }
    let info = RunInfo {
        lexicon: config.lexicon_features.clone(),
        name: config.name.clone(),
        bert: model.config.clone(),
        types: config.types.clone(),
        max_len: config.max_len,
        training: TrainingRecord {
            command: command.to_string(),
            data_sha256: data_hash(&config.train, &scheme)?,
            corpora: config
                .train
                .iter()
                .map(|c| c.path.display().to_string())
                .collect(),
            base_encoder: config.encoder.clone(),
            seed: config.seed,
            epochs: config.epochs,
            steps: state.step,
            wall_seconds: state.seconds + elapsed,
            selected: state.selected.clone(),
            decode_convention: config.decode_convention.clone(),
        },
        evaluation: state.dev.clone(),
        throughput: Throughput {
            sequences_per_second: seqs as f64 / elapsed.max(1e-9),
            tokens_per_second: tokens as f64 / elapsed.max(1e-9),
        },
    };
    info.write(out)?;
    events.text(
        "run",
        state.step as u64,
        &format!("```json\n{}\n```", serde_json::to_string_pretty(&info)?),
    )?;
    events.flush()?;
    Ok(info)
}
