//! Export of a trained model to an ONNX graph and a BioScope bundle, written in Rust on the
//! `onnx-protobuf` message types.
//!
//! The graph uses standard opset-17 operators: inputs `input_ids` and `attention_mask`
//! (int64 `[batch, sequence]`; with shape features also `shape_ids`, gathered from an fp32
//! table and added to the embeddings), output `logits` (float `[batch, sequence, labels]`), both axes
//! dynamic. With `int8`, every weight MatMul becomes ONNX Runtime's `MatMulIntegerToFloat`
//! (`com.microsoft`) on int8 weights (a float scale per output column) and uint8 activations
//! quantized on the fly by `QuantizeLinear` with a scale per token, so results do not depend on
//! batch neighbours (this pair runs about a fifth faster than `MatMulInteger` with the
//! quantization spelled out in elementwise operators); the word-embedding table is stored as
//! int8 rows with a scale per row; attention products, layer norms and biases stay float.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use bioscope_core::bundle::{
    EncoderShape, Manifest, WeightFormat, BUNDLE_SCHEMA_VERSION, LEXICON_INPUT, SHAPE_INPUT,
};
use bioscope_core::lexicon_match::NUM_LEXICON_FEATURES;
use bioscope_core::shape::NUM_SHAPES;
use candle_core::Tensor;
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Value};
use onnx_protobuf::{
    AttributeProto, GraphProto, Message, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

use crate::bert::{BertConfig, MASKED_SCORE};
use crate::model::{LEXICON_EMBEDDINGS, SHAPE_EMBEDDINGS};

/// The ONNX initializer holding the shape-embedding table (the importer reads it back).
pub const SHAPE_EMBEDDING_INIT: &str = "shape_embeddings";
/// The ONNX initializer holding the lexicon-feature table (`[NUM_LEXICON_FEATURES, hidden]`).
pub const LEXICON_EMBEDDING_INIT: &str = "lexicon_embeddings";
use crate::run::{LoadedRun, RUN_TOKENIZER};

pub const OPSET: i64 = 17;
/// ONNX Runtime's contrib operators (`MatMulIntegerToFloat` in int8 graphs).
const ORT_DOMAIN: &str = "com.microsoft";
const IR_VERSION: i64 = 8;

#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    pub int8: bool,
}

/// Builds the nodes and initializers of one graph, naming intermediate values `t0`, `t1`, ...
#[derive(Default)]
struct GraphBuilder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    next: usize,
}

fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: AttributeType::INT.into(),
        i: value,
        ..Default::default()
    }
}

fn attr_ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: AttributeType::INTS.into(),
        ints: values.to_vec(),
        ..Default::default()
    }
}

fn attr_float(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: AttributeType::FLOAT.into(),
        f: value,
        ..Default::default()
    }
}

impl GraphBuilder {
    fn fresh(&mut self) -> String {
        self.next += 1;
        format!("t{}", self.next)
    }

    fn raw_init(
        &mut self,
        name: &str,
        dims: &[usize],
        data_type: DataType,
        raw: Vec<u8>,
    ) -> String {
        self.initializers.push(TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: data_type as i32,
            raw_data: raw,
            ..Default::default()
        });
        name.to_string()
    }

    fn f32_init(&mut self, name: &str, dims: &[usize], data: &[f32]) -> String {
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.raw_init(name, dims, DataType::FLOAT, raw)
    }

    fn i64_init(&mut self, name: &str, data: &[i64]) -> String {
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.raw_init(name, &[data.len()], DataType::INT64, raw)
    }

    fn i8_init(&mut self, name: &str, dims: &[usize], data: &[i8]) -> String {
        let raw = data.iter().map(|&v| v as u8).collect();
        self.raw_init(name, dims, DataType::INT8, raw)
    }

    fn scalar(&mut self, name: &str, value: f32) -> String {
        self.f32_init(name, &[], &[value])
    }

    fn op_n(
        &mut self,
        op: &str,
        inputs: &[&str],
        outputs: usize,
        attributes: Vec<AttributeProto>,
    ) -> Vec<String> {
        let outs: Vec<String> = (0..outputs).map(|_| self.fresh()).collect();
        self.nodes.push(NodeProto {
            op_type: op.into(),
            name: format!("{op}_{}", self.nodes.len()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outs.clone(),
            attribute: attributes,
            ..Default::default()
        });
        outs
    }

    fn op(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        self.op_n(op, inputs, 1, attributes).remove(0)
    }

    /// An operator of ONNX Runtime's `com.microsoft` domain.
    fn ort_op(&mut self, op: &str, inputs: &[&str]) -> String {
        let out = self.op(op, inputs, vec![]);
        if let Some(node) = self.nodes.last_mut() {
            node.domain = ORT_DOMAIN.into();
        }
        out
    }
}

/// Host copies of the model weights, by name.
struct Weights(BTreeMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str) -> Result<&Tensor> {
        self.0
            .get(name)
            .with_context(|| format!("the model has no weight `{name}`"))
    }

    fn vec(&self, name: &str) -> Result<Vec<f32>> {
        Ok(self.get(name)?.flatten_all()?.to_vec1()?)
    }

    /// A `[out, in]` linear weight transposed to `[in, out]` for `MatMul(x, W)`.
    fn transposed(&self, name: &str) -> Result<(Vec<f32>, usize, usize)> {
        let t = self.get(name)?;
        let (out_dim, in_dim) = t.dims2()?;
        Ok((
            t.t()?.contiguous()?.flatten_all()?.to_vec1()?,
            in_dim,
            out_dim,
        ))
    }
}

/// Symmetric int8 quantization of a row-major `[rows, cols]` matrix with one scale per column
/// (`per_column`) or per row. Returns the values and the scales.
pub fn quantize_symmetric(
    data: &[f32],
    rows: usize,
    cols: usize,
    per_column: bool,
) -> (Vec<i8>, Vec<f32>) {
    let groups = if per_column { cols } else { rows };
    let mut max = vec![0f32; groups];
    for r in 0..rows {
        for c in 0..cols {
            let g = if per_column { c } else { r };
            max[g] = max[g].max(data[r * cols + c].abs());
        }
    }
    let scales: Vec<f32> = max
        .iter()
        .map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 })
        .collect();
    let mut q = vec![0i8; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let s = scales[if per_column { c } else { r }];
            q[r * cols + c] = (data[r * cols + c] / s).round().clamp(-127.0, 127.0) as i8;
        }
    }
    (q, scales)
}

struct Exporter<'a> {
    g: GraphBuilder,
    w: &'a Weights,
    int8: bool,
}

impl Exporter<'_> {
    /// `x @ W^T + b` for the linear layer `prefix` (`prefix.weight`, `prefix.bias`).
    fn linear(&mut self, x: &str, prefix: &str) -> Result<String> {
        let (data, k, n) = self.w.transposed(&format!("{prefix}.weight"))?;
        let bias = self.w.vec(&format!("{prefix}.bias"))?;
        let b = self.g.f32_init(&format!("{prefix}.bias"), &[n], &bias);
        let y = if self.int8 {
            let (q, scales) = quantize_symmetric(&data, k, n, true);
            let wq = self
                .g
                .i8_init(&format!("{prefix}.weight_int8"), &[k, n], &q);
            let ws = self
                .g
                .f32_init(&format!("{prefix}.weight_scale"), &[n], &scales);
            // Activations: symmetric int8 with one scale per token (row), so that a token's
            // result never depends on the other rows of its batch.
            let abs = self.g.op("Abs", &[x], vec![]);
            let absmax = self.g.op(
                "ReduceMax",
                &[&abs],
                vec![attr_ints("axes", &[-1]), attr_int("keepdims", 1)],
            );
            let q_max = self.g.scalar("int8_max", 127.0);
            let tiny = self.g.scalar("scale_floor", 1e-12);
            let x_scale = self.g.op("Div", &[&absmax, &q_max], vec![]);
            let x_scale = self.g.op("Max", &[&x_scale, &tiny], vec![]);
            // QuantizeLinear along axis 0 of the [tokens, k] view: one fused pass for
            // round(x / scale) + 128 as uint8 (the same values as int8 with zero point 128,
            // which ONNX Runtime's fast u8×s8 kernels take).
            let flat_shape = self.g.i64_init(&format!("shape_rows_{k}"), &[-1, k as i64]);
            let x_rows = self.g.op("Reshape", &[x, &flat_shape], vec![]);
            let column = self.g.i64_init("shape_column", &[-1]);
            let scale_rows = self.g.op("Reshape", &[&x_scale, &column], vec![]);
            let scale_shape = self.g.op("Shape", &[&scale_rows], vec![]);
            let zero_point = self
                .g
                .raw_init("uint8_zero_point", &[], DataType::UINT8, vec![128]);
            let zero_points = self.g.op("Expand", &[&zero_point, &scale_shape], vec![]);
            let xq = self.g.op(
                "QuantizeLinear",
                &[&x_rows, &scale_rows, &zero_points],
                vec![attr_int("axis", 0)],
            );
            let x_shape = self.g.op("Shape", &[x], vec![]);
            let xq = self.g.op("Reshape", &[&xq, &x_shape], vec![]);
            // The integer product times each column's weight scale, in one kernel; then each
            // token's own scale.
            let one = self.g.scalar("one_f32", 1.0);
            let acc = self
                .g
                .ort_op("MatMulIntegerToFloat", &[&xq, &wq, &one, &ws, &zero_point]);
            self.g.op("Mul", &[&acc, &x_scale], vec![])
        } else {
            let w = self
                .g
                .f32_init(&format!("{prefix}.weight_t"), &[k, n], &data);
            self.g.op("MatMul", &[x, &w], vec![])
        };
        Ok(self.g.op("Add", &[&y, &b], vec![]))
    }

    fn layer_norm(&mut self, x: &str, prefix: &str, eps: f64) -> Result<String> {
        let gamma = self.w.vec(&format!("{prefix}.weight"))?;
        let beta = self.w.vec(&format!("{prefix}.bias"))?;
        let g = self
            .g
            .f32_init(&format!("{prefix}.weight"), &[gamma.len()], &gamma);
        let b = self
            .g
            .f32_init(&format!("{prefix}.bias"), &[beta.len()], &beta);
        Ok(self.g.op(
            "LayerNormalization",
            &[x, &g, &b],
            vec![attr_int("axis", -1), attr_float("epsilon", eps as f32)],
        ))
    }

    fn embeddings(&mut self, c: &BertConfig) -> Result<String> {
        let h = c.hidden_size;
        let word = self.w.vec("bert.embeddings.word_embeddings.weight")?;
        let words = if self.int8 {
            let (q, scales) = quantize_symmetric(&word, c.vocab_size, h, false);
            let table = self
                .g
                .i8_init("word_embeddings_int8", &[c.vocab_size, h], &q);
            let scale = self
                .g
                .f32_init("word_embeddings_scale", &[c.vocab_size, 1], &scales);
            let rows = self.g.op("Gather", &[&table, "input_ids"], vec![]);
            let rows = self.g.op(
                "Cast",
                &[&rows],
                vec![attr_int("to", DataType::FLOAT as i64)],
            );
            let row_scale = self.g.op("Gather", &[&scale, "input_ids"], vec![]);
            self.g.op("Mul", &[&rows, &row_scale], vec![])
        } else {
            let table = self
                .g
                .f32_init("word_embeddings", &[c.vocab_size, h], &word);
            self.g.op("Gather", &[&table, "input_ids"], vec![])
        };
        let pos = self.w.vec("bert.embeddings.position_embeddings.weight")?;
        let pos = self
            .g
            .f32_init("position_embeddings", &[c.max_position_embeddings, h], &pos);
        let shape = self.g.op("Shape", &["input_ids"], vec![]);
        let one = self.g.i64_init("one_i64", &[1]);
        let two = self.g.i64_init("two_i64", &[2]);
        let zero = self.g.i64_init("zero_i64", &[0]);
        let seq_len = self.g.op("Slice", &[&shape, &one, &two], vec![]);
        let positions = self.g.op("Slice", &[&pos, &zero, &seq_len, &zero], vec![]);
        let token_type = self.w.get("bert.embeddings.token_type_embeddings.weight")?;
        let token_type: Vec<f32> = token_type.get(0)?.to_vec1()?;
        let token_type = self.g.f32_init("token_type_embedding", &[h], &token_type);
        let x = self.g.op("Add", &[&words, &positions], vec![]);
        let mut x = self.g.op("Add", &[&x, &token_type], vec![]);
        if c.shape_features {
            // fp32 even in int8 bundles: 11 rows.
            let table = self.w.vec(SHAPE_EMBEDDINGS)?;
            let table = self
                .g
                .f32_init(SHAPE_EMBEDDING_INIT, &[NUM_SHAPES, h], &table);
            let shapes = self.g.op("Gather", &[&table, SHAPE_INPUT], vec![]);
            x = self.g.op("Add", &[&x, &shapes], vec![]);
        }
        if c.lexicon_features {
            // fp32 even in int8 bundles: 14 rows, one per feature bit, summed by a product.
            let table = self.w.vec(LEXICON_EMBEDDINGS)?;
            let table = self
                .g
                .f32_init(LEXICON_EMBEDDING_INIT, &[NUM_LEXICON_FEATURES, h], &table);
            let vectors = self.g.op("MatMul", &[LEXICON_INPUT, &table], vec![]);
            x = self.g.op("Add", &[&x, &vectors], vec![]);
        }
        self.layer_norm(&x, "bert.embeddings.LayerNorm", c.layer_norm_eps)
    }

    fn attention_bias(&mut self) -> String {
        let mask = self.g.op(
            "Cast",
            &["attention_mask"],
            vec![attr_int("to", DataType::FLOAT as i64)],
        );
        let one = self.g.scalar("one_f32", 1.0);
        let masked = self.g.scalar("masked_score", MASKED_SCORE);
        let inverted = self.g.op("Sub", &[&one, &mask], vec![]);
        let bias = self.g.op("Mul", &[&inverted, &masked], vec![]);
        let axes = self.g.i64_init("axes_1_2", &[1, 2]);
        self.g.op("Unsqueeze", &[&bias, &axes], vec![])
    }

    fn layer(&mut self, x: &str, bias: &str, i: usize, c: &BertConfig) -> Result<String> {
        let p = format!("bert.encoder.layer.{i}");
        let heads = self.g.i64_init(
            &format!("{p}.head_shape"),
            &[0, 0, c.num_attention_heads as i64, c.head_dim() as i64],
        );
        let split = |e: &mut Self, t: &str, perm: &[i64]| {
            let r = e.g.op("Reshape", &[t, &heads], vec![]);
            e.g.op("Transpose", &[&r], vec![attr_ints("perm", perm)])
        };
        let q = self.linear(x, &format!("{p}.attention.self.query"))?;
        let k = self.linear(x, &format!("{p}.attention.self.key"))?;
        let v = self.linear(x, &format!("{p}.attention.self.value"))?;
        let q = split(self, &q, &[0, 2, 1, 3]);
        let k = split(self, &k, &[0, 2, 3, 1]);
        let v = split(self, &v, &[0, 2, 1, 3]);
        let scores = self.g.op("MatMul", &[&q, &k], vec![]);
        let scale = self.g.scalar(
            &format!("{p}.scale"),
            (1.0 / (c.head_dim() as f64).sqrt()) as f32,
        );
        let scores = self.g.op("Mul", &[&scores, &scale], vec![]);
        let scores = self.g.op("Add", &[&scores, bias], vec![]);
        let probs = self.g.op("Softmax", &[&scores], vec![attr_int("axis", -1)]);
        let ctx = self.g.op("MatMul", &[&probs, &v], vec![]);
        let ctx = self
            .g
            .op("Transpose", &[&ctx], vec![attr_ints("perm", &[0, 2, 1, 3])]);
        let merged = self
            .g
            .i64_init(&format!("{p}.merged_shape"), &[0, 0, c.hidden_size as i64]);
        let ctx = self.g.op("Reshape", &[&ctx, &merged], vec![]);
        let attn = self.linear(&ctx, &format!("{p}.attention.output.dense"))?;
        let x1 = self.g.op("Add", &[&attn, x], vec![]);
        let x1 = self.layer_norm(
            &x1,
            &format!("{p}.attention.output.LayerNorm"),
            c.layer_norm_eps,
        )?;
        let inter = self.linear(&x1, &format!("{p}.intermediate.dense"))?;
        let gelu = self.gelu(&inter);
        let out = self.linear(&gelu, &format!("{p}.output.dense"))?;
        let out = self.g.op("Add", &[&out, &x1], vec![]);
        self.layer_norm(&out, &format!("{p}.output.LayerNorm"), c.layer_norm_eps)
    }

    /// `0.5 * x * (1 + erf(x / sqrt(2)))`, the exact GELU that [`crate::gelu`] computes.
    fn gelu(&mut self, x: &str) -> String {
        let sqrt2 = self.g.scalar("sqrt2", std::f32::consts::SQRT_2);
        let half = self.g.scalar("half", 0.5);
        let one = self.g.scalar("one_f32", 1.0);
        let scaled = self.g.op("Div", &[x, &sqrt2], vec![]);
        let erf = self.g.op("Erf", &[&scaled], vec![]);
        let plus = self.g.op("Add", &[&erf, &one], vec![]);
        let prod = self.g.op("Mul", &[x, &plus], vec![]);
        self.g.op("Mul", &[&prod, &half], vec![])
    }
}

fn tensor_value(name: &str, elem: DataType, dims: &[Result<i64, &str>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Ok(v) => dimension::Value::DimValue(*v),
                Err(p) => dimension::Value::DimParam((*p).to_string()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        type_: Some(TypeProto {
            value: Some(Value::TensorType(type_proto::Tensor {
                elem_type: elem as i32,
                shape: Some(TensorShapeProto {
                    dim,
                    ..Default::default()
                })
                .into(),
                ..Default::default()
            })),
            ..Default::default()
        })
        .into(),
        ..Default::default()
    }
}

/// The encoder's nodes and initializers with `head` on the last hidden states, ending in the
/// graph output `output` (initializers declared more than once, the shared scalars, are kept
/// once): the body of every graph BioScope exports.
fn encoder_graph(
    weights: &BTreeMap<String, Tensor>,
    config: &BertConfig,
    int8: bool,
    output: &str,
    head: impl FnOnce(&mut Exporter, &str) -> Result<String>,
) -> Result<GraphBuilder> {
    let weights = Weights(weights.clone());
    let mut e = Exporter {
        g: GraphBuilder::default(),
        w: &weights,
        int8,
    };
    let mut x = e.embeddings(config)?;
    let bias = e.attention_bias();
    for i in 0..config.num_hidden_layers {
        x = e.layer(&x, &bias, i, config)?;
    }
    let top = head(&mut e, &x)?;
    let mut g = e.g;
    g.nodes.push(NodeProto {
        op_type: "Identity".into(),
        name: "output".into(),
        input: vec![top],
        output: vec![output.into()],
        ..Default::default()
    });
    let mut seen = std::collections::HashSet::new();
    g.initializers.retain(|t| seen.insert(t.name.clone()));
    Ok(g)
}

/// Serializes the model's ONNX graph.
pub fn onnx_bytes(
    weights: &BTreeMap<String, Tensor>,
    config: &BertConfig,
    num_labels: usize,
    int8: bool,
) -> Result<Vec<u8>> {
    let g = encoder_graph(weights, config, int8, "logits", |e, x| {
        e.linear(x, "classifier")
    })?;
    let dynamic = [Err("batch"), Err("sequence")];
    let mut inputs = vec![
        tensor_value("input_ids", DataType::INT64, &dynamic),
        tensor_value("attention_mask", DataType::INT64, &dynamic),
    ];
    if config.shape_features {
        inputs.push(tensor_value(SHAPE_INPUT, DataType::INT64, &dynamic));
    }
    if config.lexicon_features {
        inputs.push(tensor_value(
            LEXICON_INPUT,
            DataType::FLOAT,
            &[
                Err("batch"),
                Err("sequence"),
                Ok(NUM_LEXICON_FEATURES as i64),
            ],
        ));
    }
    let graph = GraphProto {
        name: "bioscope_token_classifier".into(),
        node: g.nodes,
        initializer: g.initializers,
        input: inputs,
        output: vec![tensor_value(
            "logits",
            DataType::FLOAT,
            &[Err("batch"), Err("sequence"), Ok(num_labels as i64)],
        )],
        ..Default::default()
    };
    model_bytes(graph)
}

/// Serializes the name ranker's graph ([`crate::ranker`]): the encoder, the mean of its last
/// hidden states over the word pieces that `attention_mask` keeps, the projection, unit length.
/// Output `embedding`, float `[batch, dimension]`.
pub fn name_encoder_onnx_bytes(
    weights: &BTreeMap<String, Tensor>,
    config: &BertConfig,
    int8: bool,
) -> Result<Vec<u8>> {
    let dimension = weights
        .get("projection.weight")
        .context("the ranker has no projection.weight")?
        .dims2()?
        .0;
    let g = encoder_graph(weights, config, int8, "embedding", |e, x| {
        let mask = e.g.op(
            "Cast",
            &["attention_mask"],
            vec![attr_int("to", DataType::FLOAT as i64)],
        );
        let last_axis = e.g.i64_init("axes_2", &[2]);
        let mask = e.g.op("Unsqueeze", &[&mask, &last_axis], vec![]);
        let kept = e.g.op("Mul", &[x, &mask], vec![]);
        let sequence_axis = e.g.i64_init("axes_1", &[1]);
        let sum = e.g.op(
            "ReduceSum",
            &[&kept, &sequence_axis],
            vec![attr_int("keepdims", 0)],
        );
        let count = e.g.op(
            "ReduceSum",
            &[&mask, &sequence_axis],
            vec![attr_int("keepdims", 0)],
        );
        let one = e.g.scalar("one_f32", 1.0);
        let count = e.g.op("Max", &[&count, &one], vec![]);
        let mean = e.g.op("Div", &[&sum, &count], vec![]);
        let projected = e.linear(&mean, "projection")?;
        Ok(e.g.op(
            "LpNormalization",
            &[&projected],
            vec![attr_int("axis", -1), attr_int("p", 2)],
        ))
    })?;
    let dynamic = [Err("batch"), Err("sequence")];
    let graph = GraphProto {
        name: "bioscope_name_encoder".into(),
        node: g.nodes,
        initializer: g.initializers,
        input: vec![
            tensor_value("input_ids", DataType::INT64, &dynamic),
            tensor_value("attention_mask", DataType::INT64, &dynamic),
        ],
        output: vec![tensor_value(
            "embedding",
            DataType::FLOAT,
            &[Err("batch"), Ok(dimension as i64)],
        )],
        ..Default::default()
    };
    model_bytes(graph)
}

/// A graph as an ONNX model (opset 17 and ONNX Runtime's contrib domain).
fn model_bytes(graph: GraphProto) -> Result<Vec<u8>> {
    let model = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: OPSET,
                ..Default::default()
            },
            OperatorSetIdProto {
                domain: ORT_DOMAIN.into(),
                version: 1,
                ..Default::default()
            },
        ],
        producer_name: "bioscope-train".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(graph).into(),
        ..Default::default()
    };
    Ok(model.write_to_bytes()?)
}

/// A bundle's three files, ready to write.
pub struct PreparedBundle {
    /// The manifest, hashes still empty ([`Manifest::write_bundle`] fills them in).
    pub manifest: Manifest,
    pub model: Vec<u8>,
    pub tokenizer: Vec<u8>,
}

/// Builds the ONNX graph and the manifest for a trained run, with the run's tokenizer.
pub fn prepare_bundle(run: &LoadedRun, options: &ExportOptions) -> Result<PreparedBundle> {
    let info = &run.info;
    let c = &info.bert;
    if info.max_len > c.max_position_embeddings {
        bail!(
            "max_len {} exceeds the encoder's {} positions",
            info.max_len,
            c.max_position_embeddings
        );
    }
    let model = onnx_bytes(
        &run.model.named_tensors(),
        c,
        run.model.scheme.len(),
        options.int8,
    )?;
    let tokenizer_path = run.dir.join(RUN_TOKENIZER);
    let tokenizer = std::fs::read(&tokenizer_path)
        .with_context(|| format!("cannot read {}", tokenizer_path.display()))?;
    let manifest = Manifest {
        schema_version: BUNDLE_SCHEMA_VERSION,
        name: info.name.clone(),
        entity_types: info.types.clone(),
        labels: run.model.scheme.label_strings(),
        crf: Some(run.model.crf.to_transitions()?),
        max_sequence_length: info.max_len,
        encoder: EncoderShape {
            vocab_size: c.vocab_size,
            hidden_size: c.hidden_size,
            num_hidden_layers: c.num_hidden_layers,
            num_attention_heads: c.num_attention_heads,
            intermediate_size: c.intermediate_size,
            max_position_embeddings: c.max_position_embeddings,
            shape_features: c.shape_features,
            lexicon_features: c.lexicon_features,
        },
        weights: if options.int8 {
            WeightFormat::Int8
        } else {
            WeightFormat::Fp32
        },
        model_sha256: String::new(),
        tokenizer_sha256: String::new(),
        training: info.training.clone(),
        evaluation: info.evaluation.clone(),
        finetune: None,
        ensemble: Vec::new(),
    };
    Ok(PreparedBundle {
        manifest,
        model,
        tokenizer,
    })
}

/// Writes a bundle for a trained run: ONNX graph, the run's tokenizer, and the manifest.
pub fn export_bundle(run: &LoadedRun, out: &Path, options: &ExportOptions) -> Result<Manifest> {
    export_bundle_as(run, out, options, None)
}

/// [`export_bundle`] under another bundle name than the run's (the shipped default is
/// `bioscope-union` whichever config trained it).
pub fn export_bundle_as(
    run: &LoadedRun,
    out: &Path,
    options: &ExportOptions,
    name: Option<&str>,
) -> Result<Manifest> {
    let mut b = prepare_bundle(run, options)?;
    if let Some(name) = name {
        b.manifest.name = name.to_string();
    }
    Ok(b.manifest.write_bundle(out, &b.model, &b.tokenizer)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_quantization_round_trips_within_half_a_step() {
        let data = [0.5f32, -1.0, 0.25, 0.0, 2.0, -0.3];
        let (q, scales) = quantize_symmetric(&data, 2, 3, true);
        assert_eq!(scales.len(), 3);
        for r in 0..2 {
            for c in 0..3 {
                let back = q[r * 3 + c] as f32 * scales[c];
                assert!((back - data[r * 3 + c]).abs() <= scales[c] / 2.0 + 1e-7);
            }
        }
        assert_eq!(q[4], 127, "the largest magnitude maps to 127");
        let (_, row_scales) = quantize_symmetric(&data, 2, 3, false);
        assert_eq!(row_scales, vec![1.0 / 127.0, 2.0 / 127.0]);
    }
}
