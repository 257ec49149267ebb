//! A BERT encoder in candle whose every weight trains.
//!
//! candle-transformers' `BertModel` uses a fused layer-norm op with no backward pass, so only a
//! classifier on top of it would learn. This module composes layer norm and softmax from
//! differentiable ops and applies seeded dropout. Weight names follow Hugging Face's BERT
//! (`embeddings.word_embeddings.weight`, `encoder.layer.N.attention.self.query.weight`, ...).

use std::sync::Mutex;

use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{Linear, VarBuilder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// The Hugging Face `config.json` fields of a BERT encoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_hidden_act")]
    pub hidden_act: String,
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// BioScope's addition: a learned vector per word shape
    /// ([`bioscope_core::shape::word_shape`]) is added to the input embeddings, so that the
    /// uncased encoder sees capitals, digits and Greek letters. Absent (false) in Hugging Face
    /// configs and in runs made without it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shape_features: bool,
    /// BioScope's addition: lexicon-match features
    /// ([`bioscope_core::lexicon_match`]), a learned vector per set bit added to the input
    /// embeddings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lexicon_features: bool,
}

fn default_hidden_act() -> String {
    "gelu".into()
}
fn default_dropout() -> f64 {
    0.1
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

impl BertConfig {
    /// A 2-layer, 32-wide encoder for tests that must run in seconds.
    pub fn tiny(vocab_size: usize) -> Self {
        BertConfig {
            vocab_size,
            hidden_size: 32,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 64,
            hidden_act: default_hidden_act(),
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            max_position_embeddings: 128,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            shape_features: false,
            lexicon_features: false,
        }
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.hidden_act != "gelu" {
            return Err(format!(
                "hidden_act `{}` is not supported (only gelu)",
                self.hidden_act
            ));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err("hidden_size must be a multiple of num_attention_heads".into());
        }
        Ok(())
    }
}

/// The additive attention bias for padding positions; the ONNX export uses the same constant.
pub const MASKED_SCORE: f32 = -10000.0;

/// Dropout driven by a seeded generator, so that training runs repeat exactly.
pub struct SeededDropout {
    rng: Mutex<StdRng>,
}

impl SeededDropout {
    pub fn new(seed: u64) -> Self {
        SeededDropout {
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)`.
    pub fn apply(&self, xs: &Tensor, p: f64, train: bool) -> Result<Tensor> {
        if !train || p <= 0.0 {
            return Ok(xs.clone());
        }
        let n = xs.elem_count();
        let scale = (1.0 / (1.0 - p)) as f32;
        let threshold = (p * u32::MAX as f64) as u32;
        let mask: Vec<f32> = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            (0..n)
                .map(|_| {
                    if rng.random::<u32>() >= threshold {
                        scale
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let mask = Tensor::from_vec(mask, xs.shape(), xs.device())?.to_dtype(xs.dtype())?;
        xs * mask
    }
}

/// Layer normalization over the last dimension, built from differentiable ops.
#[derive(Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    pub fn new(size: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        Ok(LayerNorm {
            weight: vb.get_with_hints(size, "weight", candle_nn::init::ONE)?,
            bias: vb.get_with_hints(size, "bias", candle_nn::init::ZERO)?,
            eps,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centered.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

/// Softmax over the last dimension, built from differentiable ops.
pub fn softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let exp = x.broadcast_sub(&max)?.exp()?;
    exp.broadcast_div(&exp.sum_keepdim(D::Minus1)?)
}

#[derive(Clone)]
struct Embeddings {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    norm: LayerNorm,
}

#[derive(Clone)]
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
}

/// The BERT encoder: embeddings and `num_hidden_layers` transformer layers (no pooler).
pub struct BertEncoder {
    pub config: BertConfig,
    embeddings: Embeddings,
    layers: Vec<Layer>,
    dropout: SeededDropout,
}

impl BertEncoder {
    /// Creates the encoder's variables under `vb` (for a VarMap-backed builder they start at
    /// their init hints; [`crate::model`] then fills them from a checkpoint or a seeded init).
    pub fn new(config: &BertConfig, vb: VarBuilder, seed: u64) -> Result<Self> {
        config.validate().map_err(candle_core::Error::msg)?;
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let zeros = candle_nn::init::ZERO;
        let e = vb.pp("embeddings");
        let embeddings = Embeddings {
            word: e.get_with_hints((config.vocab_size, h), "word_embeddings.weight", zeros)?,
            position: e.get_with_hints(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
                zeros,
            )?,
            token_type: e.get_with_hints(
                (config.type_vocab_size, h),
                "token_type_embeddings.weight",
                zeros,
            )?,
            norm: LayerNorm::new(h, eps, e.pp("LayerNorm"))?,
        };
        let linear = |i: usize, o: usize, vb: VarBuilder| -> Result<Linear> {
            let w = vb.get_with_hints((o, i), "weight", zeros)?;
            let b = vb.get_with_hints(o, "bias", zeros)?;
            Ok(Linear::new(w, Some(b)))
        };
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let a = l.pp("attention");
            layers.push(Layer {
                query: linear(h, h, a.pp("self.query"))?,
                key: linear(h, h, a.pp("self.key"))?,
                value: linear(h, h, a.pp("self.value"))?,
                attn_out: linear(h, h, a.pp("output.dense"))?,
                attn_norm: LayerNorm::new(h, eps, a.pp("output.LayerNorm"))?,
                intermediate: linear(h, config.intermediate_size, l.pp("intermediate.dense"))?,
                output: linear(config.intermediate_size, h, l.pp("output.dense"))?,
                out_norm: LayerNorm::new(h, eps, l.pp("output.LayerNorm"))?,
            });
        }
        Ok(BertEncoder {
            config: config.clone(),
            embeddings,
            layers,
            dropout: SeededDropout::new(seed),
        })
    }

    /// The same weights (shared, not copied) with a dropout generator of their own: one per
    /// data-parallel shard ([`crate::parallel`]), so that shards draw their masks independently
    /// of thread timing.
    pub fn with_dropout_seed(&self, seed: u64) -> BertEncoder {
        BertEncoder {
            config: self.config.clone(),
            embeddings: self.embeddings.clone(),
            layers: self.layers.clone(),
            dropout: SeededDropout::new(seed),
        }
    }

    /// The additive attention bias `[batch, 1, 1, seq]` for a `[batch, seq]` 0/1 float mask.
    pub fn attention_bias(mask: &Tensor) -> Result<Tensor> {
        let (b, s) = mask.dims2()?;
        ((1.0 - mask)? * MASKED_SCORE as f64)?.reshape((b, 1, 1, s))
    }

    /// Embeds `input_ids` (`[batch, seq]` u32) into `[batch, seq, hidden]`; `extra`
    /// (`[batch, seq or 1, hidden]`, e.g. shape embeddings or per-sequence markers) is added
    /// before the layer norm.
    pub fn embed(&self, input_ids: &Tensor, extra: Option<&Tensor>, train: bool) -> Result<Tensor> {
        let (_, s) = input_ids.dims2()?;
        let e = &self.embeddings;
        let words = e.word.index_select(&input_ids.flatten_all()?, 0)?;
        let words = words.reshape((input_ids.dim(0)?, s, self.config.hidden_size))?;
        let pos = e.position.narrow(0, 0, s)?;
        let token_type = e.token_type.narrow(0, 0, 1)?;
        let mut x = words.broadcast_add(&pos)?.broadcast_add(&token_type)?;
        if let Some(extra) = extra {
            x = x.broadcast_add(extra)?;
        }
        let x = e.norm.forward(&x)?;
        self.dropout
            .apply(&x, self.config.hidden_dropout_prob, train)
    }

    /// Runs layers `[from, to)` over hidden states `x` with attention bias `bias`.
    pub fn run_layers(
        &self,
        mut x: Tensor,
        bias: &Tensor,
        from: usize,
        to: usize,
        train: bool,
    ) -> Result<Tensor> {
        for layer in &self.layers[from..to] {
            x = self.layer_forward(layer, &x, bias, train)?;
        }
        Ok(x)
    }

    /// All layers: `[batch, seq]` ids and 0/1 float mask to `[batch, seq, hidden]` (`extra` as
    /// in [`embed`](Self::embed)).
    pub fn forward(
        &self,
        input_ids: &Tensor,
        extra: Option<&Tensor>,
        mask: &Tensor,
        train: bool,
    ) -> Result<Tensor> {
        let bias = Self::attention_bias(mask)?;
        let x = self.embed(input_ids, extra, train)?;
        self.run_layers(x, &bias, 0, self.layers.len(), train)
    }

    fn layer_forward(&self, l: &Layer, x: &Tensor, bias: &Tensor, train: bool) -> Result<Tensor> {
        let c = &self.config;
        let (b, s, h) = x.dims3()?;
        let heads = |t: Tensor| -> Result<Tensor> {
            t.reshape((b, s, c.num_attention_heads, c.head_dim()))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = heads(l.query.forward(x)?)?;
        let k = heads(l.key.forward(x)?)?;
        let v = heads(l.value.forward(x)?)?;
        let scale = 1.0 / (c.head_dim() as f64).sqrt();
        let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(bias)?;
        let probs = softmax_last_dim(&scores)?;
        let probs = self
            .dropout
            .apply(&probs, c.attention_probs_dropout_prob, train)?;
        let ctx = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, s, h))?;
        let attn = self
            .dropout
            .apply(&l.attn_out.forward(&ctx)?, c.hidden_dropout_prob, train)?;
        let x1 = l.attn_norm.forward(&(attn + x)?)?;
        let inter = crate::gelu::gelu_erf(&l.intermediate.forward(&x1)?)?;
        let out = self
            .dropout
            .apply(&l.output.forward(&inter)?, c.hidden_dropout_prob, train)?;
        l.out_norm.forward(&(out + x1)?)
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }
}

/// The device the trainer runs on (CPU; candle's CUDA backend is not built in).
pub fn device() -> Device {
    Device::Cpu
}

pub const DTYPE: DType = DType::F32;
