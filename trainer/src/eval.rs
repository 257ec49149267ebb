//! Prediction and strict entity-level scoring with the candle model, decoded by bioscope-core
//! exactly as the tagger decodes ONNX output.

use anyhow::Result;
use bioscope_core::corpus::Sentence;
use bioscope_core::decode::{decode_window_into, CrfTransitions};
use bioscope_core::encoding::{plan_batches, WordPieceEncoder, WINDOW_CONTEXT};
use bioscope_core::entity::Tag;
use bioscope_core::metrics::{entities_of, restrict_to, strict_scores, types_of, EntityScores};
use bioscope_core::EntityType;

use crate::data::{encode, gold_tags, make_batch, Example};
use crate::model::TokenClassifier;
use crate::parallel;

/// Runs the model over every window of `sentences` (length-bucketed batches) and hands each
/// window, with its piece emissions, to `decode`.
pub fn decode_windows(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    max_len: usize,
    batch_tokens: usize,
    decode: impl FnMut(&Example, &[f32], &CrfTransitions),
) -> Result<()> {
    let convention = model.decode_convention;
    decode_windows_as(
        model,
        encoder,
        sentences,
        (max_len, batch_tokens),
        convention,
        decode,
    )
}

/// [`decode_windows`] with the marker of `convention` instead of the model's own.
fn decode_windows_as(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    (max_len, batch_tokens): (usize, usize),
    convention: u32,
    mut decode: impl FnMut(&Example, &[f32], &CrfTransitions),
) -> Result<()> {
    let mut examples = encode(
        sentences,
        encoder,
        &model.scheme,
        model.scheme.types(),
        (max_len, WINDOW_CONTEXT),
        model.lexicon.as_deref(),
    )?;
    for e in &mut examples {
        e.convention = convention;
    }
    let crf = model.crf.to_transitions()?;
    let lengths: Vec<usize> = examples.iter().map(|e| e.ids.len()).collect();
    let batches = plan_batches(&lengths, batch_tokens, None);
    // One batch per core at a time ([`crate::parallel`]), decoded in order.
    for group in batches.chunks(parallel::workers()) {
        let scores = parallel::run_shards(group, |_, members| {
            let batch = make_batch(&examples, members)?;
            Ok(model.logits(&batch, false)?.to_vec3::<f32>()?)
        })?;
        for (members, logits) in group.iter().zip(scores) {
            for (row, &i) in members.iter().enumerate() {
                let e = &examples[i];
                let emissions: Vec<f32> = logits[row][..e.ids.len()].concat();
                decode(e, &emissions, &crf);
            }
        }
    }
    Ok(())
}

/// Word tags for every sentence.
pub fn predict(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    max_len: usize,
    batch_tokens: usize,
) -> Result<Vec<Vec<Tag>>> {
    let convention = model.decode_convention;
    predict_as(
        model,
        encoder,
        sentences,
        (max_len, batch_tokens),
        convention,
    )
}

/// [`predict`] with the marker of `convention` (a corpus-aware model tagging in one corpus's
/// convention).
pub fn predict_as(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    (max_len, batch_tokens): (usize, usize),
    convention: u32,
) -> Result<Vec<Vec<Tag>>> {
    let mut tags: Vec<Vec<Tag>> = sentences
        .iter()
        .map(|s| vec![Tag::Outside; s.words.len()])
        .collect();
    decode_windows_as(
        model,
        encoder,
        sentences,
        (max_len, batch_tokens),
        convention,
        |e, emissions, crf| {
            decode_window_into(
                &mut tags[e.sentence],
                &e.window,
                emissions,
                &model.scheme,
                crf,
            );
        },
    )?;
    Ok(tags)
}

/// Strict (span and type) entity scores of predictions against the sentences' gold tags, over
/// the `types` their corpus annotates.
pub fn score(sentences: &[Sentence], predicted: &[Vec<Tag>], types: &[EntityType]) -> EntityScores {
    strict_scores(
        &restrict_to(entities_of(&gold_tags(sentences)), types),
        &restrict_to(entities_of(predicted), types),
    )
}

/// The types a corpus annotates, as far as its gold mentions show.
pub fn gold_types(sentences: &[Sentence]) -> Vec<EntityType> {
    types_of(&entities_of(&gold_tags(sentences)))
}
