//! Import of a shipped bundle back into a trainable candle model: the inverse of [`crate::export`].
//!
//! Users have bundles, not run directories, so retraining starts from `model.onnx`. fp32
//! initializers are read as they are (linear weights were stored transposed, `[in, out]`);
//! int8 weights are dequantized with their scales (`MatMulInteger` weights per output column,
//! word-embedding rows per row), which gives back the exported weights within half a
//! quantization step. The CRF scores come from the manifest. The graph keeps only the first
//! token-type embedding (BioScope never feeds token types), so every row of the imported
//! token-type table is that row.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use bioscope_core::bundle::{Bundle, Manifest};
use bioscope_core::decode::CrfTransitions;
use candle_core::Tensor;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::{Message, ModelProto, TensorProto};

use crate::bert::{device, BertConfig};
use crate::export::{LEXICON_EMBEDDING_INIT, SHAPE_EMBEDDING_INIT};
use crate::model::{TokenClassifier, LEXICON_EMBEDDINGS, SHAPE_EMBEDDINGS};
use crate::run::{LoadedRun, RunInfo, Throughput};

/// A bundle opened for training: the model as a run (its `dir` is the bundle, whose
/// `tokenizer.json` an export copies), the checked manifest, and the model file's bytes.
pub struct ImportedBundle {
    pub run: LoadedRun,
    pub manifest: Manifest,
}

/// Opens and checks a bundle (hashes, labels, tokenizer) and loads its weights into a
/// [`TokenClassifier`]. A bundle with lexicon features needs `lexicon` (a lexicon folder or
/// file: the one the analysis uses), which the model then reads its features from.
pub fn import_bundle(dir: &Path, lexicon: Option<&Path>) -> Result<ImportedBundle> {
    let bundle = Bundle::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    if !bundle.manifest.ensemble.is_empty() {
        let names: Vec<&str> = bundle
            .manifest
            .ensemble
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        bail!(
            "{} is an ensemble of {} bundles ({}): it cannot be trained further; fine-tune one \
             of its members and combine again with `bioscope model ensemble`",
            dir.display(),
            names.len(),
            names.join(", ")
        );
    }
    let path = dir.join(bioscope_core::bundle::MODEL_FILE);
    let proto = ModelProto::parse_from_bytes(&bundle.model_bytes)
        .with_context(|| format!("{} is not an ONNX model", path.display()))?;
    let graph = proto
        .graph
        .as_ref()
        .with_context(|| format!("{} has no graph", path.display()))?;
    let inits: HashMap<&str, &TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let eps = graph
        .node
        .iter()
        .find(|n| n.op_type == "LayerNormalization")
        .and_then(|n| n.attribute.iter().find(|a| a.name == "epsilon"))
        .map_or(1e-12, |a| a.f as f64);
    let m = &bundle.manifest;
    let bert = BertConfig {
        vocab_size: m.encoder.vocab_size,
        hidden_size: m.encoder.hidden_size,
        num_hidden_layers: m.encoder.num_hidden_layers,
        num_attention_heads: m.encoder.num_attention_heads,
        intermediate_size: m.encoder.intermediate_size,
        hidden_act: "gelu".into(),
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        max_position_embeddings: m.encoder.max_position_embeddings,
        type_vocab_size: 2,
        layer_norm_eps: eps,
        shape_features: m.encoder.shape_features,
        lexicon_features: m.encoder.lexicon_features,
    };
    let mut model = TokenClassifier::new(&bert, bundle.scheme.clone(), 0)?;
    let lexicon = if bert.lexicon_features {
        let Some(path) = lexicon else {
            bail!(
                "{} reads lexicon-match features: give the lexicon its features come from \
                 (--lexicon, e.g. models/lexicon)",
                dir.display()
            );
        };
        model.lexicon = Some(crate::model::open_feature_lexicon(path)?);
        Some(path.to_path_buf())
    } else {
        None
    };
    let crf = m
        .crf
        .clone()
        .unwrap_or_else(|| CrfTransitions::zeros(bundle.scheme.len()));
    let reader = Initializers { inits, path: &path };
    for (name, var) in model.sorted_vars() {
        let dims = var.dims().to_vec();
        let values = match name.as_str() {
            "crf.start" => crf.start.clone(),
            "crf.end" => crf.end.clone(),
            "crf.transitions" => crf.transitions.concat(),
            "bert.embeddings.word_embeddings.weight" => reader.word_embeddings(&dims)?,
            "bert.embeddings.position_embeddings.weight" => {
                reader.floats("position_embeddings", &dims)?
            }
            SHAPE_EMBEDDINGS => reader.floats(SHAPE_EMBEDDING_INIT, &dims)?,
            LEXICON_EMBEDDINGS => reader.floats(LEXICON_EMBEDDING_INIT, &dims)?,
            "bert.embeddings.token_type_embeddings.weight" => {
                let row = reader.floats("token_type_embedding", &dims[1..])?;
                row.repeat(dims[0])
            }
            _ => match name.strip_suffix(".weight") {
                Some(prefix) if reader.has_linear(prefix) => reader.linear(prefix, &dims)?,
                _ => reader.floats(&name, &dims)?,
            },
        };
        var.set(&Tensor::from_vec(values, dims.as_slice(), &device())?)
            .with_context(|| format!("cannot set `{name}`"))?;
    }
    let info = RunInfo {
        name: m.name.clone(),
        bert,
        types: m.entity_types.clone(),
        max_len: m.max_sequence_length,
        training: m.training.clone(),
        evaluation: m.evaluation.clone(),
        throughput: Throughput::default(),
        lexicon,
    };
    Ok(ImportedBundle {
        run: LoadedRun {
            dir: dir.to_path_buf(),
            info,
            model,
            encoder: bundle.encoder,
        },
        manifest: bundle.manifest,
    })
}

struct Initializers<'a> {
    inits: HashMap<&'a str, &'a TensorProto>,
    path: &'a Path,
}

impl Initializers<'_> {
    fn get(&self, name: &str, dims: &[usize], want: DataType) -> Result<&TensorProto> {
        let t = self
            .inits
            .get(name)
            .with_context(|| format!("{} has no initializer `{name}`", self.path.display()))?;
        let found: Vec<usize> = t.dims.iter().map(|&d| d as usize).collect();
        ensure!(
            found == dims,
            "{}: `{name}` has shape {found:?}, the manifest implies {dims:?}",
            self.path.display()
        );
        ensure!(
            t.data_type == want as i32,
            "{}: `{name}` has ONNX data type {}, expected {want:?}",
            self.path.display(),
            t.data_type
        );
        Ok(t)
    }

    fn floats(&self, name: &str, dims: &[usize]) -> Result<Vec<f32>> {
        let t = self.get(name, dims, DataType::FLOAT)?;
        let n: usize = dims.iter().product();
        let values: Vec<f32> = if t.raw_data.is_empty() {
            t.float_data.clone()
        } else {
            t.raw_data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        if values.len() != n {
            bail!(
                "{}: `{name}` holds {} values, expected {n}",
                self.path.display(),
                values.len()
            );
        }
        Ok(values)
    }

    fn int8s(&self, name: &str, dims: &[usize]) -> Result<Vec<i8>> {
        let t = self.get(name, dims, DataType::INT8)?;
        let n: usize = dims.iter().product();
        let values: Vec<i8> = if t.raw_data.is_empty() {
            t.int32_data.iter().map(|&v| v as i8).collect()
        } else {
            t.raw_data.iter().map(|&b| b as i8).collect()
        };
        if values.len() != n {
            bail!(
                "{}: `{name}` holds {} values, expected {n}",
                self.path.display(),
                values.len()
            );
        }
        Ok(values)
    }

    fn has_linear(&self, prefix: &str) -> bool {
        self.inits
            .contains_key(format!("{prefix}.weight_t").as_str())
            || self
                .inits
                .contains_key(format!("{prefix}.weight_int8").as_str())
    }

    /// A linear layer's `[out, in]` weight from the graph's `[in, out]` MatMul operand.
    fn linear(&self, prefix: &str, dims: &[usize]) -> Result<Vec<f32>> {
        let (out_dim, in_dim) = (dims[0], dims[1]);
        let stored = [in_dim, out_dim];
        let t_name = format!("{prefix}.weight_t");
        let transposed = if self.inits.contains_key(t_name.as_str()) {
            self.floats(&t_name, &stored)?
        } else {
            let q = self.int8s(&format!("{prefix}.weight_int8"), &stored)?;
            let scales = self.floats(&format!("{prefix}.weight_scale"), &[out_dim])?;
            q.iter()
                .enumerate()
                .map(|(i, &v)| v as f32 * scales[i % out_dim])
                .collect()
        };
        let mut w = vec![0f32; out_dim * in_dim];
        for k in 0..in_dim {
            for n in 0..out_dim {
                w[n * in_dim + k] = transposed[k * out_dim + n];
            }
        }
        Ok(w)
    }

    fn word_embeddings(&self, dims: &[usize]) -> Result<Vec<f32>> {
        if self.inits.contains_key("word_embeddings") {
            return self.floats("word_embeddings", dims);
        }
        let (rows, cols) = (dims[0], dims[1]);
        let q = self.int8s("word_embeddings_int8", dims)?;
        let scales = self.floats("word_embeddings_scale", &[rows, 1])?;
        Ok(q.iter()
            .enumerate()
            .map(|(i, &v)| v as f32 * scales[i / cols])
            .collect())
    }
}
