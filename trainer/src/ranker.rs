//! Training of the name ranker ([`bioscope_lexicon::ranker`]): the pretrained encoder
//! fine-tuned as a bi-encoder on synonym pairs, in the spirit of SapBERT.
//!
//! Pairs come from the lexicon's own sources and the training splits' annotated mentions
//! (read with [`LexiconBuilder::keep_texts`]): two names of one concept are a positive pair,
//! every other pair in the batch a negative (in-batch InfoNCE, both directions, with a
//! temperature; pairs of the same concept in one batch are not counted as negatives). A name is
//! the mean of the encoder's last hidden states over its word pieces, projected to a smaller
//! dimension and scaled to unit length. The lower layers stay as pretrained (their states carry
//! no gradient, so a step costs the trained layers only); the top layers and the projection
//! learn. The projection starts as a random Gaussian map, which keeps angles nearly as they were.
//! Checkpointed every `checkpoint_every` steps; a run resumes from its folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bioscope_core::encoding::WordPieceEncoder;
use bioscope_core::EntityType;
use bioscope_lexicon::ranker::{RankerManifest, RANKER_MODEL, RANKER_TOKENIZER};
use bioscope_lexicon::{LexiconBuilder, SourceOptions};
use candle_core::{DType, Tensor};
use candle_nn::{VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::bert::{device, BertConfig, BertEncoder};
use crate::optim::{schedule, AdamW, Param};

/// The projection's weight and bias names (the exporter reads `projection.weight`/`.bias`).
pub const PROJECTION: &str = "projection";
const CHECKPOINT: &str = "ranker.safetensors";
const OPTIMIZER: &str = "ranker.optimizer.safetensors";
const PROGRESS: &str = "ranker-progress.json";

/// What a ranker run does (`bioscope-train ranker`'s options).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RankerSettings {
    pub types: Vec<EntityType>,
    /// Length of the output vectors.
    pub dimension: usize,
    /// Encoder layers trained, counted from the top; the others stay as pretrained.
    pub trained_layers: usize,
    pub steps: usize,
    /// Pairs per step.
    pub batch: usize,
    pub encoder_lr: f64,
    pub projection_lr: f64,
    pub temperature: f64,
    /// Word pieces per name, special tokens included.
    pub max_len: usize,
    /// At most this many pairs per concept (large synonym sets would dominate).
    pub pairs_per_concept: usize,
    pub seed: u64,
    pub checkpoint_every: usize,
}

impl Default for RankerSettings {
    fn default() -> Self {
        RankerSettings {
            types: vec![EntityType::Disease],
            dimension: 128,
            trained_layers: 2,
            steps: 600,
            batch: 64,
            encoder_lr: 3e-5,
            projection_lr: 1e-3,
            temperature: 0.05,
            max_len: 24,
            pairs_per_concept: 6,
            seed: 17,
            checkpoint_every: 50,
        }
    }
}

/// Two names of one concept (its index among the concepts read).
#[derive(Clone, Debug, PartialEq)]
pub struct NamePair {
    pub a: String,
    pub b: String,
    pub concept: u32,
}

/// The names of the settings' types as the lexicon build reads them (sources, plus the
/// training splits of `corpora`), grouped per concept: (concept id, names), in source order.
pub fn concept_names(
    sources: &Path,
    corpora: Option<&Path>,
    types: &[EntityType],
) -> Result<Vec<(String, Vec<String>)>> {
    let mut builder = LexiconBuilder::new();
    builder.keep_texts(types);
    let options = SourceOptions {
        scope: bioscope_lexicon::Scope::Compact,
        umls: None,
        corpora: corpora.map(Path::to_path_buf),
    };
    bioscope_lexicon::sources::read_sources(sources, &options, &mut builder)
        .with_context(|| format!("cannot read the lexicon sources in {}", sources.display()))?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut concepts: Vec<(String, Vec<String>)> = Vec::new();
    for (id, _, _, text) in builder.kept_names() {
        let id = id.to_string();
        let at = *index.entry(id.clone()).or_insert_with(|| {
            concepts.push((id, Vec::new()));
            concepts.len() - 1
        });
        concepts[at].1.push(text.to_string());
    }
    Ok(concepts)
}

/// Positive pairs: each name with the concept's first name or, every other time, another of
/// its names; at most `per_concept` per concept; shuffled.
pub fn synonym_pairs(
    concepts: &[(String, Vec<String>)],
    per_concept: usize,
    seed: u64,
) -> Vec<NamePair> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pairs = Vec::new();
    for (c, (_, names)) in concepts.iter().enumerate() {
        if names.len() < 2 {
            continue;
        }
        let mut others: Vec<usize> = (1..names.len()).collect();
        others.shuffle(&mut rng);
        for (k, &i) in others.iter().take(per_concept).enumerate() {
            let j = if k % 2 == 0 || names.len() == 2 {
                0
            } else {
                // Any name but itself.
                let j = rng.random_range(0..names.len() - 1);
                if j >= i {
                    j + 1
                } else {
                    j
                }
            };
            pairs.push(NamePair {
                a: names[i].clone(),
                b: names[j].clone(),
                concept: c as u32,
            });
        }
    }
    pairs.shuffle(&mut rng);
    pairs
}

/// The bi-encoder: BERT, mean pooling over word pieces, a projection, unit length.
pub struct NameModel {
    pub config: BertConfig,
    encoder: BertEncoder,
    projection: Tensor,
    projection_bias: Tensor,
    pub varmap: VarMap,
}

impl NameModel {
    /// The pretrained encoder in `encoder_dir` (`config.json`, `model.safetensors`) with a
    /// seeded random projection to `dimension`.
    pub fn pretrained(encoder_dir: &Path, dimension: usize, seed: u64) -> Result<NameModel> {
        let config_path = encoder_dir.join("config.json");
        let config: BertConfig = serde_json::from_str(
            &std::fs::read_to_string(&config_path)
                .with_context(|| format!("cannot read {}", config_path.display()))?,
        )
        .with_context(|| format!("{} is not a BERT config", config_path.display()))?;
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device());
        let encoder = BertEncoder::new(&config, vb.pp("bert"), seed)?;
        let zeros = candle_nn::init::ZERO;
        let h = config.hidden_size;
        let projection = vb.get_with_hints((dimension, h), "projection.weight", zeros)?;
        let projection_bias = vb.get_with_hints(dimension, "projection.bias", zeros)?;
        let path = encoder_dir.join("model.safetensors");
        let tensors = candle_core::safetensors::load(&path, &device())
            .with_context(|| format!("cannot read encoder weights {}", path.display()))?;
        let mut rng = StdRng::seed_from_u64(seed);
        for (name, var) in sorted_vars(&varmap) {
            if name == "projection.weight" {
                // A Gaussian map with variance 1/dimension keeps lengths and angles nearly.
                let std = (1.0 / dimension as f64).sqrt() as f32;
                let values: Vec<f32> = (0..dimension * h)
                    .map(|_| {
                        // Box–Muller.
                        let u: f32 = rng.random_range(f32::EPSILON..1.0);
                        let v: f32 = rng.random_range(0.0..1.0);
                        std * (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
                    })
                    .collect();
                var.set(&Tensor::from_vec(values, (dimension, h), &device())?)?;
                continue;
            }
            if name == "projection.bias" {
                continue;
            }
            let stripped = name.strip_prefix("bert.").unwrap_or(&name);
            let tensor = tensors
                .get(stripped)
                .or_else(|| tensors.get(&name))
                .with_context(|| format!("{} has no tensor `{stripped}`", path.display()))?;
            if tensor.shape() != var.shape() {
                bail!(
                    "{}: `{stripped}` has shape {:?}, expected {:?}",
                    path.display(),
                    tensor.dims(),
                    var.dims()
                );
            }
            var.set(&tensor.to_dtype(DType::F32)?)?;
        }
        Ok(NameModel {
            config,
            encoder,
            projection,
            projection_bias,
            varmap,
        })
    }

    /// Unit vectors `[batch, dimension]` for `[batch, seq]` ids and 0/1 float mask; layers
    /// below `frozen` carry no gradient.
    pub fn embed(&self, ids: &Tensor, mask: &Tensor, frozen: usize, train: bool) -> Result<Tensor> {
        let layers = self.encoder.num_layers();
        let frozen = frozen.min(layers);
        let bias = BertEncoder::attention_bias(mask)?;
        let x = self.encoder.embed(ids, None, train && frozen == 0)?;
        let x = self.encoder.run_layers(x, &bias, 0, frozen, false)?;
        let x = if frozen > 0 { x.detach() } else { x };
        let x = self.encoder.run_layers(x, &bias, frozen, layers, train)?;
        let m = mask.unsqueeze(2)?;
        let summed = x.broadcast_mul(&m)?.sum(1)?;
        let counts = mask.sum_keepdim(1)?.clamp(1.0, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let projected = mean
            .matmul(&self.projection.t()?)?
            .broadcast_add(&self.projection_bias)?;
        let norm = projected
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12, f64::MAX)?;
        Ok(projected.broadcast_div(&norm)?)
    }

    pub fn named_tensors(&self) -> std::collections::BTreeMap<String, Tensor> {
        sorted_vars(&self.varmap)
            .into_iter()
            .map(|(k, v)| (k, v.as_tensor().clone()))
            .collect()
    }
}

fn sorted_vars(varmap: &VarMap) -> Vec<(String, candle_core::Var)> {
    let data = varmap.data().lock().unwrap_or_else(|e| e.into_inner());
    let mut vars: Vec<_> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

/// Word-piece ids of names, special tokens included, cut at `max_len`.
/// (The tokenizer's own padding and truncation are off: [`WordPieceEncoder`].)
pub struct NameTokenizer {
    encoder: WordPieceEncoder,
    max_len: usize,
}

impl NameTokenizer {
    pub fn open(path: &Path, max_len: usize) -> Result<NameTokenizer> {
        let encoder = WordPieceEncoder::from_file(path)
            .with_context(|| format!("cannot read tokenizer {}", path.display()))?;
        Ok(NameTokenizer { encoder, max_len })
    }

    pub fn ids(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self.encoder.encode_text(text, self.max_len)?)
    }

    /// Padded ids (u32) and mask (f32), `[names, longest]`.
    pub fn batch(&self, names: &[&str]) -> Result<(Tensor, Tensor)> {
        let ids: Vec<Vec<u32>> = names.iter().map(|n| self.ids(n)).collect::<Result<_>>()?;
        let longest = ids.iter().map(Vec::len).max().unwrap_or(1);
        let mut flat = Vec::with_capacity(ids.len() * longest);
        let mut mask = Vec::with_capacity(ids.len() * longest);
        for row in &ids {
            for i in 0..longest {
                flat.push(row.get(i).copied().unwrap_or(0));
                mask.push(if i < row.len() { 1f32 } else { 0.0 });
            }
        }
        let shape = (ids.len(), longest);
        Ok((
            Tensor::from_vec(flat, shape, &device())?,
            Tensor::from_vec(mask, shape, &device())?,
        ))
    }
}

/// Where a run stands (written with each checkpoint).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Progress {
    step: usize,
    seconds: f64,
    /// Mean loss of each block of `checkpoint_every` steps.
    losses: Vec<f64>,
}

/// In-batch InfoNCE of unit vectors `a` and `b` (`[n, d]`, row i of each a positive pair),
/// both directions; entries of pairs whose concepts are equal (other than the diagonal) are
/// left out.
pub fn contrastive_loss(
    a: &Tensor,
    b: &Tensor,
    concepts: &[u32],
    temperature: f64,
) -> Result<Tensor> {
    let n = concepts.len();
    let mut exclude = vec![0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j && concepts[i] == concepts[j] {
                exclude[i * n + j] = -1e4;
            }
        }
    }
    let exclude = Tensor::from_vec(exclude, (n, n), &device())?;
    let logits = ((a.matmul(&b.t()?)? / temperature)? + exclude)?;
    let targets = Tensor::from_vec((0..n as u32).collect::<Vec<_>>(), n, &device())?;
    let forward = candle_nn::loss::cross_entropy(&logits, &targets)?;
    let backward = candle_nn::loss::cross_entropy(&logits.t()?.contiguous()?, &targets)?;
    Ok(((forward + backward)? / 2.0)?)
}

/// A finished run's report.
pub struct RankerRun {
    pub pairs: usize,
    pub concepts: usize,
    pub steps: usize,
    pub seconds: f64,
    pub losses: Vec<f64>,
}

/// Trains a ranker on `pairs` from the encoder in `encoder_dir`, checkpointing into `work`
/// (resumed from there); returns the model and the run's record.
pub fn train_ranker(
    encoder_dir: &Path,
    pairs: &[NamePair],
    settings: &RankerSettings,
    work: &Path,
    mut report: impl FnMut(&str),
) -> Result<(NameModel, RankerRun)> {
    if pairs.len() < settings.batch.max(2) {
        bail!("{} synonym pairs are too few to train on", pairs.len());
    }
    std::fs::create_dir_all(work)?;
    let model = NameModel::pretrained(encoder_dir, settings.dimension, settings.seed)?;
    let tokenizer = NameTokenizer::open(&encoder_dir.join(RANKER_TOKENIZER), settings.max_len)?;
    let layers = model.config.num_hidden_layers;
    let frozen = layers.saturating_sub(settings.trained_layers);
    let trained_prefixes: Vec<String> = (frozen..layers)
        .map(|i| format!("bert.encoder.layer.{i}."))
        .collect();
    let params: Vec<Param> = sorted_vars(&model.varmap)
        .into_iter()
        .filter(|(name, _)| {
            name.starts_with(PROJECTION) || trained_prefixes.iter().any(|p| name.starts_with(p))
        })
        .map(|(name, var)| Param {
            head: name.starts_with(PROJECTION),
            decay: !name.contains("LayerNorm") && !name.ends_with("bias"),
            name,
            var,
        })
        .collect();
    let mut optimizer = AdamW::new(params, 0.01)?;
    let mut progress = Progress::default();
    let progress_path = work.join(PROGRESS);
    if progress_path.exists() {
        progress = serde_json::from_str(&std::fs::read_to_string(&progress_path)?)
            .with_context(|| format!("cannot read {}", progress_path.display()))?;
        let tensors = candle_core::safetensors::load(work.join(CHECKPOINT), &device())?;
        for (name, var) in sorted_vars(&model.varmap) {
            if let Some(t) = tensors.get(&name) {
                var.set(t)?;
            }
        }
        optimizer.load(&work.join(OPTIMIZER), progress.step)?;
        report(&format!("resuming at step {}", progress.step));
    }
    let started = Instant::now() - std::time::Duration::from_secs_f64(progress.seconds);
    let per_epoch = pairs.len() / settings.batch;
    let warmup = (settings.steps / 10).max(1);
    let mut block = Vec::new();
    while progress.step < settings.steps {
        let step = progress.step;
        let start = (step % per_epoch) * settings.batch;
        let batch = &pairs[start..start + settings.batch];
        let a: Vec<&str> = batch.iter().map(|p| p.a.as_str()).collect();
        let b: Vec<&str> = batch.iter().map(|p| p.b.as_str()).collect();
        let concepts: Vec<u32> = batch.iter().map(|p| p.concept).collect();
        let (ids_a, mask_a) = tokenizer.batch(&a)?;
        let (ids_b, mask_b) = tokenizer.batch(&b)?;
        let ea = model.embed(&ids_a, &mask_a, frozen, true)?;
        let eb = model.embed(&ids_b, &mask_b, frozen, true)?;
        let loss = contrastive_loss(&ea, &eb, &concepts, settings.temperature)?;
        let grads = loss.backward()?;
        let rate = schedule(step, warmup, settings.steps);
        optimizer.step(
            &[grads],
            settings.encoder_lr * rate,
            settings.projection_lr * rate,
            1.0,
        )?;
        block.push(f64::from(loss.to_scalar::<f32>()?));
        progress.step += 1;
        if progress.step % settings.checkpoint_every == 0 || progress.step == settings.steps {
            let mean = block.iter().sum::<f64>() / block.len().max(1) as f64;
            block.clear();
            progress.losses.push(mean);
            progress.seconds = started.elapsed().as_secs_f64();
            let tensors: HashMap<String, Tensor> = model.named_tensors().into_iter().collect();
            candle_core::safetensors::save(&tensors, work.join(CHECKPOINT))?;
            optimizer.save(&work.join(OPTIMIZER))?;
            std::fs::write(&progress_path, serde_json::to_string(&progress)?)?;
            report(&format!(
                "step {}/{}: loss {mean:.4} ({:.0} s)",
                progress.step, settings.steps, progress.seconds
            ));
        }
    }
    let run = RankerRun {
        pairs: pairs.len(),
        concepts: pairs
            .iter()
            .map(|p| p.concept)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        steps: progress.step,
        seconds: progress.seconds,
        losses: progress.losses,
    };
    Ok((model, run))
}

/// Writes the ranker folder `out`: the int8 graph, the encoder's tokenizer, the manifest.
pub fn export_ranker(
    model: &NameModel,
    encoder_dir: &Path,
    settings: &RankerSettings,
    run: &RankerRun,
    out: &Path,
) -> Result<RankerManifest> {
    std::fs::create_dir_all(out)?;
    let graph =
        crate::export::name_encoder_onnx_bytes(&model.named_tensors(), &model.config, true)?;
    let tokenizer = std::fs::read(encoder_dir.join(RANKER_TOKENIZER))?;
    std::fs::write(out.join(RANKER_MODEL), &graph)?;
    std::fs::write(out.join(RANKER_TOKENIZER), &tokenizer)?;
    let manifest = RankerManifest {
        types: settings.types.clone(),
        dimension: settings.dimension,
        max_len: settings.max_len,
        pretrained: encoder_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        model_sha256: bioscope_core::hash::sha256_hex(&graph),
        tokenizer_sha256: bioscope_core::hash::sha256_hex(&tokenizer),
        training: serde_json::json!({
            "settings": settings,
            "pairs": run.pairs,
            "concepts": run.concepts,
            "steps": run.steps,
            "seconds": run.seconds.round(),
            "loss_per_block": run.losses,
        }),
    };
    manifest.write(out)?;
    Ok(manifest)
}

/// The work folder of a ranker run whose output is `out`.
pub fn work_dir(out: &Path) -> PathBuf {
    out.with_extension("work")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_stay_within_a_concept_and_respect_the_cap() {
        let concepts = vec![
            ("D1".to_string(), vec!["asthma".to_string()]),
            (
                "D2".to_string(),
                (0..10).map(|i| format!("name {i}")).collect::<Vec<_>>(),
            ),
            (
                "D3".to_string(),
                vec!["gout".to_string(), "podagra".to_string()],
            ),
        ];
        let pairs = synonym_pairs(&concepts, 4, 1);
        assert_eq!(pairs.iter().filter(|p| p.concept == 1).count(), 4);
        assert_eq!(pairs.iter().filter(|p| p.concept == 2).count(), 1);
        assert!(
            pairs.iter().all(|p| p.concept != 0),
            "one name makes no pair"
        );
        assert!(pairs.iter().all(|p| p.a != p.b));
        for p in &pairs {
            let names = &concepts[p.concept as usize].1;
            assert!(names.contains(&p.a) && names.contains(&p.b));
        }
    }

    #[test]
    fn the_loss_is_low_for_matching_pairs_and_ignores_same_concept_negatives() {
        let d = &device();
        let a = Tensor::new(&[[1f32, 0.0], [0.0, 1.0]], d).unwrap();
        let swapped = Tensor::new(&[[0f32, 1.0], [1.0, 0.0]], d).unwrap();
        let good = contrastive_loss(&a, &a, &[0, 1], 0.05)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let bad = contrastive_loss(&a, &swapped, &[0, 1], 0.05)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(good < 0.01 && bad > 10.0, "{good} {bad}");
        // The same wrong pairing costs nothing when both rows are of one concept.
        let same = contrastive_loss(&a, &swapped, &[3, 3], 0.05)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(same < 0.01, "{same}");
    }
}
