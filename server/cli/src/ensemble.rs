//! `bioscope model ensemble`: several bundles with the same labels and tokenizer combined into
//! one bundle whose tagger runs them all.
//!
//! The combined `model.onnx` holds every member's graph side by side (names prefixed `m0/`,
//! `m1/`, …; the inputs shared) and outputs `logits` = Σ wₖ·logitsₖ; the manifest's CRF is the
//! same weighted sum of the members' CRFs. A path's CRF score is linear in emissions and
//! transitions, so one Viterbi decode over the combination ranks paths by the weighted sum of
//! the members' path scores (a product of experts). Per-position constants cancel in that
//! ranking, so this equals averaging per-token log-probabilities. Because the result is an
//! ordinary bundle, `tag`, `eval`, the language server and the Python package use it unchanged.
//!
//! Default weights are proportional to each member's mean development F1 recorded at training
//! time (`--weights` overrides them).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use bioscope_core::bundle::{
    Bundle, EnsembleMember, Manifest, TrainingRecord, WeightFormat, BUNDLE_SCHEMA_VERSION,
    LEXICON_INPUT, SHAPE_INPUT,
};
use bioscope_core::decode::CrfTransitions;
use bioscope_core::hash::sha256_hex;
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::{
    GraphProto, Message, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, ValueInfoProto,
};

/// The graph inputs members share, in the order the tagger expects them.
const SHARED_INPUTS: [&str; 4] = ["input_ids", "attention_mask", SHAPE_INPUT, LEXICON_INPUT];
const LOGITS: &str = "logits";

/// What to combine and where to write it.
pub struct EnsembleRequest<'a> {
    pub members: &'a [PathBuf],
    /// One weight per member (normalized to sum 1), or `None` for weights from dev F1.
    pub weights: Option<&'a [f64]>,
    pub name: &'a str,
    pub out: &'a Path,
    /// The command line, recorded in the manifest.
    pub command: String,
}

/// Builds the ensemble bundle and returns its manifest.
pub fn ensemble(request: &EnsembleRequest) -> Result<Manifest> {
    ensure!(
        request.members.len() >= 2,
        "an ensemble needs at least two bundles, got {}",
        request.members.len()
    );
    let bundles: Vec<Bundle> = request
        .members
        .iter()
        .map(|dir| Bundle::open(dir).with_context(|| format!("cannot open {}", dir.display())))
        .collect::<Result<_>>()?;
    check_compatible(request.members, &bundles)?;
    let dev_f1: Vec<Option<f64>> = bundles.iter().map(|b| mean_dev_f1(&b.manifest)).collect();
    let weights = member_weights(request.weights, &dev_f1)?;

    let graphs: Vec<ModelProto> = bundles
        .iter()
        .zip(request.members)
        .map(|(b, dir)| {
            ModelProto::parse_from_bytes(&b.model_bytes)
                .with_context(|| format!("{} is not an ONNX model", dir.display()))
        })
        .collect::<Result<_>>()?;
    let model = combine_graphs(&graphs, &weights)?.write_to_bytes()?;

    let first = &bundles[0].manifest;
    let tokenizer_path = request.members[0].join(bioscope_core::bundle::TOKENIZER_FILE);
    let tokenizer = std::fs::read(&tokenizer_path)
        .with_context(|| format!("cannot read {}", tokenizer_path.display()))?;
    let manifest = Manifest {
        schema_version: BUNDLE_SCHEMA_VERSION,
        name: request.name.to_string(),
        entity_types: first.entity_types.clone(),
        labels: first.labels.clone(),
        crf: Some(weighted_crf(&bundles, &weights)),
        max_sequence_length: bundles
            .iter()
            .map(|b| b.manifest.max_sequence_length)
            .min()
            .unwrap_or(first.max_sequence_length),
        encoder: bioscope_core::bundle::EncoderShape {
            shape_features: bundles.iter().any(|b| b.manifest.encoder.shape_features),
            lexicon_features: bundles.iter().any(|b| b.manifest.encoder.lexicon_features),
            ..first.encoder.clone()
        },
        weights: if bundles
            .iter()
            .all(|b| b.manifest.weights == WeightFormat::Int8)
        {
            WeightFormat::Int8
        } else {
            WeightFormat::Fp32
        },
        model_sha256: String::new(),
        tokenizer_sha256: String::new(),
        training: summary_training(&bundles, request.command.clone()),
        evaluation: Vec::new(),
        finetune: None,
        ensemble: bundles
            .iter()
            .zip(&weights)
            .zip(&dev_f1)
            .map(|((b, &weight), &dev_f1)| EnsembleMember {
                name: b.manifest.name.clone(),
                model_sha256: b.manifest.model_sha256.clone(),
                weight,
                dev_f1,
            })
            .collect(),
    };
    Ok(manifest.write_bundle(request.out, &model, &tokenizer)?)
}

/// Members must decode the same labels from the same word pieces; an ensemble of ensembles is
/// refused (combine the original bundles instead).
fn check_compatible(dirs: &[PathBuf], bundles: &[Bundle]) -> Result<()> {
    let first = &bundles[0].manifest;
    for (dir, b) in dirs.iter().zip(bundles) {
        let m = &b.manifest;
        if !m.ensemble.is_empty() {
            bail!(
                "{} is itself an ensemble; combine its members instead",
                dir.display()
            );
        }
        if m.labels != first.labels {
            bail!(
                "{} has labels {:?} but {} has {:?}: members must tag the same types",
                dir.display(),
                m.labels,
                dirs[0].display(),
                first.labels
            );
        }
        if m.tokenizer_sha256 != first.tokenizer_sha256 {
            bail!(
                "{} uses another tokenizer than {}: members must read the same word pieces",
                dir.display(),
                dirs[0].display()
            );
        }
    }
    Ok(())
}

/// The mean F1 over a manifest's plain development rows (the decoded convention, not the
/// per-corpus marker rows).
fn mean_dev_f1(manifest: &Manifest) -> Option<f64> {
    let f1: Vec<f64> = manifest
        .evaluation
        .iter()
        .filter(|r| r.split == "dev")
        .map(|r| r.f1)
        .collect();
    (!f1.is_empty()).then(|| f1.iter().sum::<f64>() / f1.len() as f64)
}

/// Weights summing to 1: the given ones normalized, else proportional to dev F1 (equal when
/// some member has none).
fn member_weights(given: Option<&[f64]>, dev_f1: &[Option<f64>]) -> Result<Vec<f64>> {
    let raw: Vec<f64> = match given {
        Some(w) => {
            ensure!(
                w.len() == dev_f1.len(),
                "{} weights for {} bundles: give one per bundle",
                w.len(),
                dev_f1.len()
            );
            ensure!(
                w.iter().all(|x| x.is_finite() && *x > 0.0),
                "weights must be positive numbers, got {w:?}"
            );
            w.to_vec()
        }
        None => match dev_f1.iter().copied().collect::<Option<Vec<f64>>>() {
            Some(f1) if f1.iter().all(|&x| x > 0.0) => f1,
            _ => vec![1.0; dev_f1.len()],
        },
    };
    let total: f64 = raw.iter().sum();
    Ok(raw.iter().map(|w| w / total).collect())
}

fn weighted_crf(bundles: &[Bundle], weights: &[f64]) -> CrfTransitions {
    let n = bundles[0].scheme.len();
    let mut sum = CrfTransitions::zeros(n);
    for (b, &w) in bundles.iter().zip(weights) {
        let w = w as f32;
        for (acc, x) in sum.start.iter_mut().zip(&b.crf.start) {
            *acc += w * x;
        }
        for (acc, x) in sum.end.iter_mut().zip(&b.crf.end) {
            *acc += w * x;
        }
        for (row, from) in sum.transitions.iter_mut().zip(&b.crf.transitions) {
            for (acc, x) in row.iter_mut().zip(from) {
                *acc += w * x;
            }
        }
    }
    sum
}

/// The members' training, summarized: their corpora, the sum of their steps and wall time.
fn summary_training(bundles: &[Bundle], command: String) -> TrainingRecord {
    let mut corpora: Vec<String> = Vec::new();
    for b in bundles {
        for c in &b.manifest.training.corpora {
            if !corpora.contains(c) {
                corpora.push(c.clone());
            }
        }
    }
    let data: String = bundles
        .iter()
        .map(|b| b.manifest.training.data_sha256.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let first = &bundles[0].manifest.training;
    TrainingRecord {
        command,
        data_sha256: sha256_hex(data.as_bytes()),
        corpora,
        base_encoder: first.base_encoder.clone(),
        seed: first.seed,
        epochs: bundles
            .iter()
            .map(|b| b.manifest.training.epochs)
            .max()
            .unwrap_or(0),
        steps: bundles.iter().map(|b| b.manifest.training.steps).sum(),
        wall_seconds: bundles
            .iter()
            .map(|b| b.manifest.training.wall_seconds)
            .sum(),
        selected: None,
        decode_convention: None,
    }
}

/// One graph running every member on the shared inputs and summing their weighted logits.
fn combine_graphs(models: &[ModelProto], weights: &[f64]) -> Result<ModelProto> {
    let mut graph = GraphProto {
        name: "bioscope_ensemble".into(),
        ..Default::default()
    };
    let mut inputs: Vec<ValueInfoProto> = Vec::new();
    let mut output: Option<ValueInfoProto> = None;
    let mut weighted = Vec::new();
    for (k, (model, &w)) in models.iter().zip(weights).enumerate() {
        let g = model
            .graph
            .as_ref()
            .with_context(|| format!("member {k} has no graph"))?;
        let prefix = |name: &str| -> String {
            if name.is_empty() || SHARED_INPUTS.contains(&name) {
                name.to_string()
            } else {
                format!("m{k}/{name}")
            }
        };
        for input in &g.input {
            ensure!(
                SHARED_INPUTS.contains(&input.name.as_str()),
                "member {k} has an unexpected input `{}`",
                input.name
            );
            if !inputs.iter().any(|i| i.name == input.name) {
                inputs.push(input.clone());
            }
        }
        ensure!(
            g.output.iter().any(|o| o.name == LOGITS),
            "member {k} has no `{LOGITS}` output"
        );
        if output.is_none() {
            output = g.output.iter().find(|o| o.name == LOGITS).cloned();
        }
        for node in &g.node {
            if node
                .attribute
                .iter()
                .any(|a| a.type_.enum_value() == Ok(AttributeType::GRAPH) || a.g.is_some())
            {
                bail!("member {k} has control-flow subgraphs, which ensembles do not support");
            }
            let mut node = node.clone();
            node.name = prefix(&node.name);
            for name in node.input.iter_mut().chain(node.output.iter_mut()) {
                *name = prefix(name);
            }
            graph.node.push(node);
        }
        for init in &g.initializer {
            let mut init = init.clone();
            init.name = prefix(&init.name);
            graph.initializer.push(init);
        }
        for info in &g.value_info {
            let mut info = info.clone();
            info.name = prefix(&info.name);
            graph.value_info.push(info);
        }
        let weight = format!("m{k}/ensemble_weight");
        graph.initializer.push(TensorProto {
            name: weight.clone(),
            data_type: DataType::FLOAT as i32,
            float_data: vec![w as f32],
            ..Default::default()
        });
        let product = format!("m{k}/weighted_logits");
        graph.node.push(NodeProto {
            name: format!("m{k}/weigh"),
            op_type: "Mul".into(),
            input: vec![prefix(LOGITS), weight],
            output: vec![product.clone()],
            ..Default::default()
        });
        weighted.push(product);
    }
    graph.node.push(NodeProto {
        name: "ensemble_sum".into(),
        op_type: "Sum".into(),
        input: weighted,
        output: vec![LOGITS.into()],
        ..Default::default()
    });
    inputs.sort_by_key(|i| SHARED_INPUTS.iter().position(|&s| s == i.name));
    graph.input = inputs;
    graph.output = vec![output.context("no member has a logits output")?];

    let mut opsets: Vec<OperatorSetIdProto> = Vec::new();
    for model in models {
        for op in &model.opset_import {
            match opsets.iter_mut().find(|o| o.domain == op.domain) {
                Some(o) => o.version = o.version.max(op.version),
                None => opsets.push(op.clone()),
            }
        }
    }
    let domains: BTreeSet<&str> = opsets.iter().map(|o| o.domain.as_str()).collect();
    ensure!(domains.contains(""), "members import no standard opset");
    Ok(ModelProto {
        ir_version: models.iter().map(|m| m.ir_version).max().unwrap_or(0),
        opset_import: opsets,
        producer_name: "bioscope model ensemble".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(graph).into(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_normalized_and_default_to_dev_f1() {
        let w = member_weights(Some(&[3.0, 1.0]), &[None, None]).unwrap();
        assert_eq!(w, vec![0.75, 0.25]);
        let w = member_weights(None, &[Some(0.6), Some(0.9)]).unwrap();
        assert!((w[0] - 0.4).abs() < 1e-12 && (w[1] - 0.6).abs() < 1e-12);
        assert_eq!(
            member_weights(None, &[Some(0.8), None]).unwrap(),
            [0.5, 0.5]
        );
        assert!(member_weights(Some(&[1.0]), &[None, None]).is_err());
        assert!(member_weights(Some(&[1.0, -1.0]), &[None, None]).is_err());
        assert!(member_weights(Some(&[1.0, f64::NAN]), &[None, None]).is_err());
    }
}
