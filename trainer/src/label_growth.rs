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
//!
//! Averaged rows alone are never the best label anywhere, and a few steps of fine-tuning cannot
//! move them far: [`imprint`] then points each new label's classifier row at its examples (the
//! mean encoder output of the pieces the corrections label with it, less the mean of all
//! pieces), scaled like the other rows, with a bias that makes it the best label by
//! [`IMPRINT_MARGIN`] at that mean.

use anyhow::{bail, Result};
use bioscope_core::entity::Tag;
use bioscope_core::{EntityType, LabelScheme};
use candle_core::Tensor;

use crate::model::TokenClassifier;

/// How much lower a new label's bias starts than the mean of its kind.
pub const SHY_BIAS: f32 = 2.0;

/// How much the new label's score beats the others' at its examples' mean encoder output.
pub const IMPRINT_MARGIN: f32 = 1.0;

/// Sets the classifier rows of `labels` (indices in `model`'s scheme) from `outputs`: pairs of
/// an encoder output (`[hidden]`) and the label a correction gives its piece (see the module
/// doc). A label without pieces keeps its row.
pub fn imprint(
    model: &TokenClassifier,
    labels: &[usize],
    outputs: &[(Vec<f32>, usize)],
) -> Result<()> {
    if outputs.is_empty() || labels.is_empty() {
        return Ok(());
    }
    let h = outputs[0].0.len();
    let mean = |of: &mut dyn Iterator<Item = &Vec<f32>>| -> Option<Vec<f32>> {
        let mut sum = vec![0f32; h];
        let mut n = 0usize;
        for v in of {
            for (s, x) in sum.iter_mut().zip(v) {
                *s += x;
            }
            n += 1;
        }
        (n > 0).then(|| sum.into_iter().map(|s| s / n as f32).collect())
    };
    let all = mean(&mut outputs.iter().map(|(v, _)| v)).expect("outputs");
    let weights = model.named_tensors();
    let mut w: Vec<Vec<f32>> = weights["classifier.weight"].to_vec2()?;
    let mut b: Vec<f32> = weights["classifier.bias"].to_vec1()?;
    let dot = |a: &[f32], c: &[f32]| a.iter().zip(c).map(|(x, y)| x * y).sum::<f32>();
    let old: Vec<usize> = (0..w.len()).filter(|i| !labels.contains(i)).collect();
    let scale = old.iter().map(|&i| dot(&w[i], &w[i]).sqrt()).sum::<f32>() / old.len() as f32;
    for &label in labels {
        let Some(p) = mean(&mut outputs.iter().filter(|(_, l)| *l == label).map(|(v, _)| v)) else {
            continue;
        };
        let d: Vec<f32> = p.iter().zip(&all).map(|(x, m)| x - m).collect();
        let norm = dot(&d, &d).sqrt().max(1e-6);
        let row: Vec<f32> = d.iter().map(|x| scale * x / norm).collect();
        let best_other = old
            .iter()
            .map(|&i| dot(&w[i], &p) + b[i])
            .fold(f32::NEG_INFINITY, f32::max);
        b[label] = best_other + IMPRINT_MARGIN - dot(&row, &p);
        w[label] = row;
    }
    let device = weights["classifier.weight"].device().clone();
    for (name, var) in model.sorted_vars() {
        match name.as_str() {
            "classifier.weight" => {
                let flat: Vec<f32> = w.concat();
                var.set(&Tensor::from_vec(flat, (w.len(), h), &device)?)?
            }
            "classifier.bias" => var.set(&Tensor::from_vec(b.clone(), b.len(), &device)?)?,
            _ => {}
        }
    }
    Ok(())
}

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
    fn an_imprinted_label_wins_at_its_examples() {
        let organ = EntityType::define("Organ", "").unwrap();
        let old =
            TokenClassifier::new(&tiny_config(), LabelScheme::new(&[EntityType::Gene]), 3).unwrap();
        let model = grown(&old, &[organ]).unwrap().unwrap();
        let b_organ = model.scheme.index(Tag::Begin(organ));
        let example = vec![0.5f32, -1.0, 0.25, 2.0, 0.0, 1.0, -0.5, 0.75];
        let other = vec![0.1f32; 8];
        let outputs = vec![(example.clone(), b_organ), (other.clone(), 0), (other, 0)];
        imprint(&model, &[b_organ], &outputs).unwrap();
        let x = Tensor::from_vec(example, (1, 8), &candle_core::Device::Cpu).unwrap();
        let scores: Vec<f32> = candle_nn::Module::forward(&model.classifier, &x)
            .unwrap()
            .squeeze(0)
            .unwrap()
            .to_vec1()
            .unwrap();
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(best, b_organ, "{scores:?}");
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
