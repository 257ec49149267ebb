//! A model's label set grown by new entity types (a user's own type, learned from corrections
//! by `finetune`): the classifier and the CRF gain the `B-`/`I-` rows of each new type, every
//! other weight stays as it was.
//!
//! The new rows start where the model's existing types are on average: a new `B-` row of the
//! classifier is the mean of the existing `B-` rows (its bias lowered by [`SHY_BIAS`], so that
//! the type is rarely predicted before it is taught), likewise for `I-`; a CRF score between two
//! labels of which one is new is the mean of the existing scores between labels of the same
//! kinds (`O`, `B-`, `I-`) and the same relation (of one type or not). The existing labels keep
//! their scores exactly, so before training the grown model tags as the old one did.

use anyhow::{bail, Result};
use bioscope_core::entity::Tag;
use bioscope_core::{EntityType, LabelScheme};
use candle_core::Tensor;

use crate::model::TokenClassifier;

/// How much lower a new label's bias starts than the mean of its kind.
pub const SHY_BIAS: f32 = 2.0;

/// `model` with `new_types` added after its own (types it already has are skipped); `None` when
/// there is nothing to add.
pub fn grown(model: &TokenClassifier, new_types: &[EntityType]) -> Result<Option<TokenClassifier>> {
    let old = &model.scheme;
    let mut types = old.types().to_vec();
    for &t in new_types {
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.len() == old.types().len() {
        return Ok(None);
    }
    if old.types().is_empty() {
        bail!("a model without entity types cannot lend its rows to new ones");
    }
    let scheme = LabelScheme::new(&types);
    let mut grown = TokenClassifier::new(&model.config, scheme.clone(), 0)?;
    grown.lexicon = model.lexicon.clone();
    grown.decode_convention = model.decode_convention;
    let weights = model.named_tensors();
    let old_index = |tag: Tag| -> Option<usize> {
        match tag.entity_type() {
            Some(t) if !old.types().contains(&t) => None,
            _ => Some(old.index(tag)),
        }
    };
    let map: Vec<Option<usize>> = scheme.tags().iter().map(|&t| old_index(t)).collect();
    for (name, var) in grown.sorted_vars() {
        let before = &weights[&name];
        let value = match name.as_str() {
            "classifier.weight" => rows(before, old, &scheme, &map, 0.0)?,
            "classifier.bias" | "crf.start" | "crf.end" => {
                let shy = if name == "classifier.bias" {
                    SHY_BIAS
                } else {
                    0.0
                };
                rows(before, old, &scheme, &map, shy)?
            }
            "crf.transitions" => transitions(before, old, &scheme, &map)?,
            _ => before.clone(),
        };
        var.set(&value)?;
    }
    Ok(Some(grown))
}

/// The kind of a label: 0 for `O`, 1 for `B-`, 2 for `I-`.
fn kind(tag: Tag) -> usize {
    match tag {
        Tag::Outside => 0,
        Tag::Begin(_) => 1,
        Tag::Inside(_) => 2,
    }
}

/// Per-label rows (of a `[labels]` or `[labels, n]` tensor) in the grown order: an old label's
/// row, or the mean of the old rows of its kind less `shy`.
fn rows(
    before: &Tensor,
    old: &LabelScheme,
    scheme: &LabelScheme,
    map: &[Option<usize>],
    shy: f32,
) -> Result<Tensor> {
    let dims = before.dims().to_vec();
    let width: usize = dims[1..].iter().product();
    let flat: Vec<f32> = before.flatten_all()?.to_vec1()?;
    let row = |i: usize| &flat[i * width..(i + 1) * width];
    let mut out = Vec::with_capacity(scheme.len() * width);
    for (j, &tag) in scheme.tags().iter().enumerate() {
        match map[j] {
            Some(i) => out.extend_from_slice(row(i)),
            None => {
                let same: Vec<usize> = (0..old.len())
                    .filter(|&i| kind(old.tag(i)) == kind(tag))
                    .collect();
                for c in 0..width {
                    let mean = same.iter().map(|&i| row(i)[c]).sum::<f32>() / same.len() as f32;
                    out.push(mean - shy);
                }
            }
        }
    }
    let mut shape = dims;
    shape[0] = scheme.len();
    Ok(Tensor::from_vec(out, shape.as_slice(), before.device())?)
}

/// The CRF transition scores in the grown order (see the module doc).
fn transitions(
    before: &Tensor,
    old: &LabelScheme,
    scheme: &LabelScheme,
    map: &[Option<usize>],
) -> Result<Tensor> {
    let n_old = old.len();
    let flat: Vec<f32> = before.flatten_all()?.to_vec1()?;
    let same_type =
        |a: Tag, b: Tag| a.entity_type().is_some() && a.entity_type() == b.entity_type();
    // Mean score per (kind from, kind to, same type).
    let mut sums = [[[(0.0f32, 0usize); 2]; 3]; 3];
    for i in 0..n_old {
        for j in 0..n_old {
            let (a, b) = (old.tag(i), old.tag(j));
            let cell = &mut sums[kind(a)][kind(b)][usize::from(same_type(a, b))];
            cell.0 += flat[i * n_old + j];
            cell.1 += 1;
        }
    }
    let n = scheme.len();
    let mut out = Vec::with_capacity(n * n);
    for (i, &a) in scheme.tags().iter().enumerate() {
        for (j, &b) in scheme.tags().iter().enumerate() {
            out.push(match (map[i], map[j]) {
                (Some(oi), Some(oj)) => flat[oi * n_old + oj],
                _ => {
                    let (sum, count) = sums[kind(a)][kind(b)][usize::from(same_type(a, b))];
                    if count == 0 {
                        0.0
                    } else {
                        sum / count as f32
                    }
                }
            });
        }
    }
    Ok(Tensor::from_vec(out, (n, n), before.device())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bert::BertConfig;

    fn tiny_config() -> BertConfig {
        BertConfig {
            vocab_size: 30,
            hidden_size: 8,
            num_hidden_layers: 1,
            num_attention_heads: 2,
            intermediate_size: 16,
            hidden_act: "gelu".into(),
            hidden_dropout_prob: 0.0,
            attention_probs_dropout_prob: 0.0,
            max_position_embeddings: 16,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            shape_features: false,
            lexicon_features: false,
        }
    }

    #[test]
    fn new_types_get_rows_and_the_old_labels_keep_theirs() {
        let organ = EntityType::define("Organ", "").unwrap();
        let old = TokenClassifier::new(
            &tiny_config(),
            LabelScheme::new(&[EntityType::Gene, EntityType::Disease]),
            7,
        )
        .unwrap();
        let model = grown(&old, &[EntityType::Gene, organ]).unwrap().unwrap();
        assert_eq!(
            model.scheme.types(),
            [EntityType::Gene, EntityType::Disease, organ]
        );
        assert!(grown(&model, &[organ]).unwrap().is_none(), "nothing new");
        let (before, after) = (old.named_tensors(), model.named_tensors());
        let bias = |w: &std::collections::BTreeMap<String, Tensor>| -> Vec<f32> {
            w["classifier.bias"].to_vec1().unwrap()
        };
        let (b0, b1) = (bias(&before), bias(&after));
        assert_eq!(b1.len(), 7);
        assert_eq!(&b1[..5], &b0[..], "O, B-/I-Gene, B-/I-Disease unchanged");
        let mean_b = (b0[1] + b0[3]) / 2.0;
        assert!(
            (b1[5] - (mean_b - SHY_BIAS)).abs() < 1e-6,
            "B-Organ from the B- rows"
        );
        let t0: Vec<Vec<f32>> = before["crf.transitions"].to_vec2().unwrap();
        let t1: Vec<Vec<f32>> = after["crf.transitions"].to_vec2().unwrap();
        for i in 0..5 {
            assert_eq!(&t1[i][..5], &t0[i][..]);
        }
        // B-Organ -> I-Organ is the mean of B-T -> I-T.
        let expected = (t0[1][2] + t0[3][4]) / 2.0;
        assert!((t1[5][6] - expected).abs() < 1e-6);
        assert_eq!(
            before["bert.embeddings.word_embeddings.weight"]
                .to_vec2::<f32>()
                .unwrap(),
            after["bert.embeddings.word_embeddings.weight"]
                .to_vec2::<f32>()
                .unwrap()
        );
    }
}
