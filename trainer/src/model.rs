//! The token classifier: BERT encoder, dropout, a linear head over BIO labels and a CRF.
//!
//! Variables live in one `VarMap` named like a Hugging Face token-classification checkpoint:
//! `bert.…` for the encoder, `classifier.{weight,bias}`, and `crf.{start,end,transitions}`;
//! with shape features, `shape_embeddings.weight` (one row per word shape, starting at zero so
//! that the pretrained encoder's output is unchanged until training moves them); with
//! lexicon features, `lexicon_embeddings.weight` (one row per lexicon-match bit, at zero too,
//! and the lexicon the bits come from); with
//! corpus-aware training, `convention_embeddings.weight` (one marker per annotation convention,
//! row 0 the unmarked one, also starting at zero), added to every position of a sequence.
//! [`TokenClassifier::deployable_tensors`] folds one marker into the token-type embedding, so
//! that runs, bundles and the server see an ordinary BERT.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use bioscope_core::LabelScheme;
use candle_core::{Module, Tensor};
use candle_nn::{Linear, VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bert::{device, BertConfig, BertEncoder, SeededDropout, DTYPE};
use crate::crf::Crf;
use crate::data::Batch;
use bioscope_core::lexicon_match::NUM_LEXICON_FEATURES;
use bioscope_core::shape::NUM_SHAPES;
use bioscope_lexicon::Lexicon;

/// The name of the shape-embedding table.
pub const SHAPE_EMBEDDINGS: &str = "shape_embeddings.weight";

/// The lexicon (a lexicon folder or its `names.lexicon`) that gives a model its lexicon-match
/// features.
pub fn open_feature_lexicon(path: &Path) -> Result<Arc<Lexicon>> {
    let lexicon = bioscope_lexicon::open(path)
        .with_context(|| format!("cannot open the feature lexicon {}", path.display()))?;
    Ok(Arc::new(lexicon))
}

/// The name of the lexicon-feature table.
pub const LEXICON_EMBEDDINGS: &str = "lexicon_embeddings.weight";

/// The name of the convention-marker table.
pub const CONVENTION_EMBEDDINGS: &str = "convention_embeddings.weight";

/// The token-type embedding; BioScope feeds type 0 only, so row 0 is a bias on every position.
const TOKEN_TYPE_EMBEDDINGS: &str = "bert.embeddings.token_type_embeddings.weight";

pub struct TokenClassifier {
    pub config: BertConfig,
    pub scheme: LabelScheme,
    pub encoder: BertEncoder,
    pub classifier: Linear,
    pub crf: Crf,
    /// `[NUM_SHAPES, hidden]` when the config has shape features.
    pub shape_embeddings: Option<Tensor>,
    /// `[NUM_LEXICON_FEATURES, hidden]` when the config has lexicon features.
    pub lexicon_embeddings: Option<Tensor>,
    /// The lexicon whose names give the lexicon features (set by whoever builds the model
    /// from a config or run that names one).
    pub lexicon: Option<Arc<Lexicon>>,
    /// `[conventions, hidden]` when trained corpus-aware.
    pub convention_embeddings: Option<Tensor>,
    /// The marker predictions use ([`crate::data::UNMARKED`] unless trained corpus-aware).
    pub decode_convention: u32,
    pub varmap: VarMap,
    head_dropout: SeededDropout,
}

impl TokenClassifier {
    /// A classifier with seeded random weights (normal-ish, std 0.02; layer norms at 1 and 0;
    /// biases and CRF scores at 0).
    pub fn new(config: &BertConfig, scheme: LabelScheme, seed: u64) -> Result<Self> {
        Self::with_conventions(config, scheme, seed, 0)
    }

    /// A classifier with a marker table of `conventions` rows (none when 0); see the module doc.
    pub fn with_conventions(
        config: &BertConfig,
        scheme: LabelScheme,
        seed: u64,
        conventions: usize,
    ) -> Result<Self> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DTYPE, &device());
        let encoder = BertEncoder::new(config, vb.pp("bert"), seed)?;
        let zeros = candle_nn::init::ZERO;
        let classifier = Linear::new(
            vb.get_with_hints(
                (scheme.len(), config.hidden_size),
                "classifier.weight",
                zeros,
            )?,
            Some(vb.get_with_hints(scheme.len(), "classifier.bias", zeros)?),
        );
        let crf = Crf::new(scheme.len(), vb.pp("crf"))?;
        let shape_embeddings = if config.shape_features {
            Some(vb.get_with_hints((NUM_SHAPES, config.hidden_size), SHAPE_EMBEDDINGS, zeros)?)
        } else {
            None
        };
        let lexicon_embeddings = if config.lexicon_features {
            Some(vb.get_with_hints(
                (NUM_LEXICON_FEATURES, config.hidden_size),
                LEXICON_EMBEDDINGS,
                zeros,
            )?)
        } else {
            None
        };
        let convention_embeddings = (conventions > 0)
            .then(|| {
                vb.get_with_hints(
                    (conventions, config.hidden_size),
                    CONVENTION_EMBEDDINGS,
                    zeros,
                )
            })
            .transpose()?;
        let model = TokenClassifier {
            config: config.clone(),
            scheme,
            encoder,
            classifier,
            crf,
            shape_embeddings,
            lexicon_embeddings,
            lexicon: None,
            convention_embeddings,
            decode_convention: crate::data::UNMARKED,
            varmap,
            head_dropout: SeededDropout::new(seed ^ 0x5eed),
        };
        model.init_seeded(seed)?;
        Ok(model)
    }

    fn init_seeded(&self, seed: u64) -> Result<()> {
        let mut rng = StdRng::seed_from_u64(seed);
        for (name, var) in self.sorted_vars() {
            let shape = var.shape().clone();
            let n = shape.elem_count();
            let values: Vec<f32> = if name.contains("LayerNorm.weight") {
                vec![1.0; n]
            } else if name.ends_with("bias")
                || name.starts_with("crf.")
                || name == SHAPE_EMBEDDINGS
                || name == LEXICON_EMBEDDINGS
                || name == CONVENTION_EMBEDDINGS
            {
                vec![0.0; n]
            } else {
                // Uniform with the variance of N(0, 0.02^2).
                let a = 0.02f32 * 3f32.sqrt();
                (0..n).map(|_| rng.random_range(-a..a)).collect()
            };
            var.set(&Tensor::from_vec(values, shape, &device())?)?;
        }
        Ok(())
    }

    /// All variables by name, in name order (the order checkpoints and the optimizer use).
    pub fn sorted_vars(&self) -> Vec<(String, candle_core::Var)> {
        let data = self.varmap.data().lock().unwrap_or_else(|e| e.into_inner());
        let mut vars: Vec<_> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    /// The current weights by name.
    pub fn named_tensors(&self) -> BTreeMap<String, Tensor> {
        self.sorted_vars()
            .into_iter()
            .map(|(k, v)| (k, v.as_tensor().clone()))
            .collect()
    }

    /// Loads encoder weights from a Hugging Face BERT checkpoint directory's `model.safetensors`,
    /// whose names may or may not carry the `bert.` prefix. Every encoder weight must be present
    /// (layers beyond the model's are not read). `word_rows`: the checkpoint's word-embedding
    /// row of each of the model's pieces, for a trimmed vocabulary.
    pub fn load_pretrained_encoder(&self, dir: &Path, word_rows: Option<&[u32]>) -> Result<()> {
        let path = dir.join("model.safetensors");
        let tensors = candle_core::safetensors::load(&path, &device())
            .with_context(|| format!("cannot read encoder weights {}", path.display()))?;
        for (name, var) in self.sorted_vars() {
            let Some(stripped) = name.strip_prefix("bert.") else {
                continue;
            };
            let tensor = tensors
                .get(&name)
                .or_else(|| tensors.get(stripped))
                .with_context(|| format!("{} has no tensor `{stripped}`", path.display()))?;
            // A trimmed vocabulary keeps the rows of its pieces, in its own order.
            let gathered;
            let tensor = match word_rows {
                Some(rows) if stripped == "embeddings.word_embeddings.weight" => {
                    let index = Tensor::new(rows, &device())?;
                    gathered = tensor.index_select(&index, 0)?;
                    &gathered
                }
                _ => tensor,
            };
            if tensor.shape() != var.shape() {
                bail!(
                    "{}: `{stripped}` has shape {:?}, the config expects {:?}",
                    path.display(),
                    tensor.dims(),
                    var.dims()
                );
            }
            var.set(&tensor.to_dtype(DTYPE)?)?;
        }
        Ok(())
    }

    /// The weights with the marker of `convention` folded into the token-type embedding and
    /// the marker table left out: the same outputs as this model with that marker, from an
    /// ordinary BERT (what runs, exports and fine-tuning read).
    pub fn deployable_tensors(&self, convention: u32) -> Result<BTreeMap<String, Tensor>> {
        let mut tensors = self.named_tensors();
        if let Some(table) = tensors.remove(CONVENTION_EMBEDDINGS) {
            let marker = table.get(convention as usize)?;
            let token_type = &tensors[TOKEN_TYPE_EMBEDDINGS];
            let first = (token_type.get(0)? + marker)?.unsqueeze(0)?;
            let rest = token_type.narrow(0, 1, token_type.dim(0)? - 1)?;
            let folded = Tensor::cat(&[first, rest], 0)?;
            tensors.insert(TOKEN_TYPE_EMBEDDINGS.to_string(), folded);
        }
        Ok(tensors)
    }

    /// Saves [`Self::deployable_tensors`] to a safetensors file.
    pub fn save_deployable(&self, path: &Path, convention: u32) -> Result<()> {
        let map: std::collections::HashMap<_, _> =
            self.deployable_tensors(convention)?.into_iter().collect();
        candle_core::safetensors::save(&map, path)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Sets every weight from a map by name (e.g. averaged weights).
    pub fn set_tensors(&self, tensors: &BTreeMap<String, Tensor>) -> Result<()> {
        for (name, var) in self.sorted_vars() {
            let t = tensors
                .get(&name)
                .with_context(|| format!("no weights for `{name}`"))?;
            var.set(t)
                .with_context(|| format!("`{name}` has the wrong shape"))?;
        }
        Ok(())
    }

    /// Saves every weight to a safetensors file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let map: std::collections::HashMap<_, _> = self.named_tensors().into_iter().collect();
        candle_core::safetensors::save(&map, path)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Loads every weight from a safetensors file written by [`Self::save`].
    pub fn load(&self, path: &Path) -> Result<()> {
        let tensors = candle_core::safetensors::load(path, &device())
            .with_context(|| format!("cannot read {}", path.display()))?;
        for (name, var) in self.sorted_vars() {
            let t = tensors
                .get(&name)
                .with_context(|| format!("{} has no tensor `{name}`", path.display()))?;
            var.set(t)
                .with_context(|| format!("{}: `{name}` has the wrong shape", path.display()))?;
        }
        Ok(())
    }

    /// The same weights (shared, not copied) with dropout generators of their own, seeded by
    /// `seed`: what a data-parallel shard trains through ([`crate::parallel`]).
    pub fn with_dropout_seed(&self, seed: u64) -> TokenClassifier {
        TokenClassifier {
            config: self.config.clone(),
            scheme: self.scheme.clone(),
            encoder: self.encoder.with_dropout_seed(seed),
            classifier: self.classifier.clone(),
            crf: self.crf.clone(),
            shape_embeddings: self.shape_embeddings.clone(),
            lexicon_embeddings: self.lexicon_embeddings.clone(),
            lexicon: self.lexicon.clone(),
            convention_embeddings: self.convention_embeddings.clone(),
            decode_convention: self.decode_convention,
            varmap: self.varmap.clone(),
            head_dropout: SeededDropout::new(seed ^ 0x5eed),
        }
    }

    /// Per-token label scores `[batch, seq, labels]` of a batch (shape ids are ignored by a
    /// model without shape features, convention markers by one without a marker table).
    pub fn logits(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        let extra = self.extra_vectors(batch)?;
        let hidden = self
            .encoder
            .forward(&batch.ids, extra.as_ref(), &batch.mask, train)?;
        self.head(&hidden, train)
    }

    /// The input embeddings (before the first layer) of a batch.
    pub fn embed(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        let extra = self.extra_vectors(batch)?;
        Ok(self.encoder.embed(&batch.ids, extra.as_ref(), train)?)
    }

    /// What the model adds to the input embeddings: `[batch, seq, hidden]` shape and lexicon
    /// vectors and `[batch, 1, hidden]` convention markers, for the tables the model has.
    fn extra_vectors(&self, batch: &Batch) -> Result<Option<Tensor>> {
        let h = self.config.hidden_size;
        let shapes = match &self.shape_embeddings {
            Some(table) => {
                let (b, s) = batch.shapes.dims2()?;
                let rows = table.index_select(&batch.shapes.flatten_all()?, 0)?;
                Some(rows.reshape((b, s, h))?)
            }
            None => None,
        };
        let shapes = match &self.lexicon_embeddings {
            Some(table) => {
                let (b, s, f) = batch.lexicon.dims3()?;
                let vectors = batch
                    .lexicon
                    .reshape((b * s, f))?
                    .matmul(table)?
                    .reshape((b, s, h))?;
                Some(match shapes {
                    Some(shapes) => (shapes + vectors)?,
                    None => vectors,
                })
            }
            None => shapes,
        };
        let markers = match &self.convention_embeddings {
            Some(table) => {
                let b = batch.conventions.dim(0)?;
                Some(
                    table
                        .index_select(&batch.conventions, 0)?
                        .reshape((b, 1, h))?,
                )
            }
            None => None,
        };
        Ok(match (shapes, markers) {
            (Some(s), Some(m)) => Some(s.broadcast_add(&m)?),
            (s, m) => s.or(m),
        })
    }

    /// Scores from hidden states after layer `from` (cached when lower layers are frozen).
    pub fn logits_from_layer(
        &self,
        hidden: Tensor,
        mask: &Tensor,
        from: usize,
        train: bool,
    ) -> Result<Tensor> {
        let hidden = self.final_hidden_from_layer(hidden, mask, from, train)?;
        self.head(&hidden, train)
    }

    /// The encoder's output (what the head reads) from hidden states after layer `from`.
    pub fn final_hidden_from_layer(
        &self,
        hidden: Tensor,
        mask: &Tensor,
        from: usize,
        train: bool,
    ) -> Result<Tensor> {
        let bias = BertEncoder::attention_bias(mask)?;
        let n = self.encoder.num_layers();
        Ok(self.encoder.run_layers(hidden, &bias, from, n, train)?)
    }

    fn head(&self, hidden: &Tensor, train: bool) -> Result<Tensor> {
        let hidden = self
            .head_dropout
            .apply(hidden, self.config.hidden_dropout_prob, train)?;
        Ok(self.classifier.forward(&hidden)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioscope_core::EntityType;
    use candle_core::DType;

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        let d = (a - b).unwrap().abs().unwrap().max_all().unwrap();
        d.to_scalar().unwrap()
    }

    fn tiny() -> TokenClassifier {
        let scheme = LabelScheme::new(&[EntityType::Gene, EntityType::Disease]);
        TokenClassifier::new(&BertConfig::tiny(50), scheme, 1).unwrap()
    }

    /// A batch of ids and mask, with zero shape ids and the given convention markers.
    fn inputs(ids: &Tensor, mask: &Tensor, conventions: &[u32]) -> Batch {
        Batch {
            ids: ids.clone(),
            shapes: ids.zeros_like().unwrap(),
            lexicon: Tensor::zeros(
                (
                    ids.dim(0).unwrap(),
                    ids.dim(1).unwrap(),
                    NUM_LEXICON_FEATURES,
                ),
                DTYPE,
                &device(),
            )
            .unwrap(),
            conventions: Tensor::new(conventions, &device()).unwrap(),
            mask: mask.clone(),
            labels: Vec::new(),
            lengths: Vec::new(),
            members: Vec::new(),
        }
    }

    /// Logits of a batch without shape ids (all zero: the tiny model has no shape features).
    fn scores(model: &TokenClassifier, ids: &Tensor, mask: &Tensor, train: bool) -> Tensor {
        let rows = vec![0; ids.dim(0).unwrap()];
        model.logits(&inputs(ids, mask, &rows), train).unwrap()
    }

    #[test]
    fn a_folded_convention_marker_gives_the_marked_model_s_outputs() {
        let scheme = LabelScheme::new(&[EntityType::Gene, EntityType::Disease]);
        let marked =
            TokenClassifier::with_conventions(&BertConfig::tiny(50), scheme.clone(), 1, 3).unwrap();
        let table = marked.varmap.data().lock().unwrap()[CONVENTION_EMBEDDINGS].clone();
        let values: Vec<f32> = (0..3 * 32).map(|i| (i as f32 * 0.37).sin()).collect();
        table
            .set(&Tensor::from_vec(values, (3, 32), &device()).unwrap())
            .unwrap();
        let (ids, mask) = batch();
        let with_marker = marked.logits(&inputs(&ids, &mask, &[2, 2]), false).unwrap();
        let other_marker = marked.logits(&inputs(&ids, &mask, &[1, 1]), false).unwrap();
        assert!(
            max_diff(&with_marker, &other_marker) > 1e-3,
            "markers must matter"
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("folded.safetensors");
        marked.save_deployable(&path, 2).unwrap();
        let plain = TokenClassifier::new(&BertConfig::tiny(50), scheme, 5).unwrap();
        plain.load(&path).unwrap();
        let folded = scores(&plain, &ids, &mask, false);
        assert!(max_diff(&with_marker, &folded) < 1e-5);
    }

    fn batch() -> (Tensor, Tensor) {
        let ids = Tensor::new(&[[2u32, 7, 9, 11, 3], [2, 5, 3, 0, 0]], &device()).unwrap();
        let mask = Tensor::new(&[[1f32, 1., 1., 1., 1.], [1., 1., 1., 0., 0.]], &device()).unwrap();
        (ids, mask)
    }

    #[test]
    fn every_weight_receives_a_gradient() {
        let model = tiny();
        let (ids, mask) = batch();
        let logits = scores(&model, &ids, &mask, true);
        let tags = vec![vec![0u32, 1, 2, 0, 3], vec![0u32, 3, 0]];
        let loss = model.crf.nll(&logits, &tags, &[5, 3]).unwrap();
        let grads = loss.backward().unwrap();
        let vars = model.sorted_vars();
        assert!(vars.len() > 30, "{} variables", vars.len());
        for (name, var) in vars {
            let g = grads
                .get(var.as_tensor())
                .unwrap_or_else(|| panic!("no gradient for {name}"));
            let norm: f32 = g.sqr().unwrap().sum_all().unwrap().to_scalar().unwrap();
            if name == "bert.embeddings.word_embeddings.weight"
                || name.ends_with("token_type_embeddings.weight")
            {
                // Only the rows that were looked up get gradient, but some must.
                assert!(norm > 0.0, "zero gradient for {name}");
            } else {
                assert!(
                    norm > 0.0 && norm.is_finite(),
                    "gradient of {name} is {norm}"
                );
            }
        }
    }

    #[test]
    fn dropout_is_active_in_training_only() {
        let model = tiny();
        let (ids, mask) = batch();
        let a = scores(&model, &ids, &mask, true);
        let b = scores(&model, &ids, &mask, true);
        assert!(
            max_diff(&a, &b) > 0.0,
            "two training passes must drop different units"
        );
        let c = scores(&model, &ids, &mask, false);
        let d = scores(&model, &ids, &mask, false);
        let diff: f32 = max_diff(&c, &d);
        assert_eq!(diff, 0.0);
    }

    #[test]
    fn padding_does_not_change_real_positions() {
        let model = tiny();
        let (ids, mask) = batch();
        let padded: Vec<Vec<Vec<f32>>> = scores(&model, &ids, &mask, false).to_vec3().unwrap();
        let alone_ids = Tensor::new(&[[2u32, 5, 3]], &device()).unwrap();
        let alone_mask = Tensor::ones((1, 3), DType::F32, &device()).unwrap();
        let alone: Vec<Vec<Vec<f32>>> = scores(&model, &alone_ids, &alone_mask, false)
            .to_vec3()
            .unwrap();
        for p in 0..3 {
            for l in 0..5 {
                assert!((padded[1][p][l] - alone[0][p][l]).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn seeded_models_are_identical_and_save_load_round_trips() {
        let a = tiny();
        let b = tiny();
        assert_eq!(a.named_tensors().len(), b.named_tensors().len());
        for ((n1, t1), (_, t2)) in a.named_tensors().iter().zip(b.named_tensors().iter()) {
            let d: f32 = max_diff(t1, t2);
            assert_eq!(d, 0.0, "{n1} differs between equal seeds");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        a.save(&path).unwrap();
        let scheme = LabelScheme::new(&[EntityType::Gene, EntityType::Disease]);
        let c = TokenClassifier::new(&BertConfig::tiny(50), scheme, 99).unwrap();
        c.load(&path).unwrap();
        let (ids, mask) = batch();
        let x = scores(&a, &ids, &mask, false);
        let y = scores(&c, &ids, &mask, false);
        let d: f32 = max_diff(&x, &y);
        assert_eq!(d, 0.0);
    }

    #[test]
    fn pretrained_encoder_loads_with_or_without_bert_prefix() {
        let source = tiny();
        let dir = tempfile::tempdir().unwrap();
        for prefixed in [true, false] {
            let tensors: std::collections::HashMap<String, Tensor> = source
                .named_tensors()
                .into_iter()
                .filter_map(|(k, t)| {
                    let bare = k.strip_prefix("bert.")?.to_string();
                    Some((if prefixed { k } else { bare }, t))
                })
                .collect();
            candle_core::safetensors::save(&tensors, dir.path().join("model.safetensors")).unwrap();
            let scheme = LabelScheme::new(&[EntityType::Gene, EntityType::Disease]);
            let target = TokenClassifier::new(&BertConfig::tiny(50), scheme, 77).unwrap();
            target.load_pretrained_encoder(dir.path(), None).unwrap();
            let (a, b) = (source.named_tensors(), target.named_tensors());
            let diff = |k: &str| -> f32 { max_diff(&a[k], &b[k]) };
            for k in a.keys().filter(|k| k.starts_with("bert.")) {
                assert_eq!(diff(k), 0.0, "{k} (prefixed: {prefixed})");
            }
            // The head is not part of the encoder checkpoint: it keeps its own seeded init.
            assert!(diff("classifier.weight") > 0.0);
        }
        // A missing tensor is named.
        let partial: std::collections::HashMap<String, Tensor> = source
            .named_tensors()
            .into_iter()
            .filter(|(k, _)| k.starts_with("bert.embeddings."))
            .collect();
        candle_core::safetensors::save(&partial, dir.path().join("model.safetensors")).unwrap();
        let err = tiny()
            .load_pretrained_encoder(dir.path(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no tensor `encoder.layer.0"), "{err}");
    }
}
