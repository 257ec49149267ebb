//! Recall recovery wired to the model's output: the lexicon's precise names that the model
//! missed (`bioscope_lexicon::recover`), beside a model per sentence, or alone when there is
//! no model. The one place that decides how recovered mentions enter an analysis.

use std::ops::Range;

use bioscope_core::EntityType;
use bioscope_lexicon::recover::{recover, word_spans, Recovered, Strictness};
use bioscope_lexicon::Lexicon;
use bioscope_tagger::TextEntity;

/// The confidence given to a mention that the lexicon recovered (the model had none for it).
pub const RECOVERED_SCORE: f32 = 0.75;

/// The lexicon's precise matches over `words` of `text` that overlap none of the model's
/// `entities`, of the model's `types`, as entities with [`RECOVERED_SCORE`].
pub fn missed_by_model(
    lexicon: &Lexicon,
    text: &str,
    words: &[Range<usize>],
    entities: &[TextEntity],
    types: &[EntityType],
) -> Vec<TextEntity> {
    let taken: Vec<Range<usize>> = entities.iter().map(|e| e.start..e.end).collect();
    recover(lexicon, text, words, &taken, types, Strictness::BesideModel)
        .into_iter()
        .map(entity)
        .collect()
}

/// A recovered mention as an entity with [`RECOVERED_SCORE`].
fn entity(found: Recovered) -> TextEntity {
    TextEntity {
        start: found.range.start,
        end: found.range.end,
        entity_type: found.entity_type,
        score: RECOVERED_SCORE,
    }
}

/// One sentence's model entities with the lexicon's recovered mentions added, in order.
pub fn beside_model(
    lexicon: &Lexicon,
    types: &[EntityType],
    sentence: &str,
    mut entities: Vec<TextEntity>,
) -> Vec<TextEntity> {
    let words = word_spans(sentence);
    let found = missed_by_model(lexicon, sentence, &words, &entities, types);
    entities.extend(found);
    entities.sort_by_key(|e| e.start);
    entities
}

/// Without a model: the names the lexicon knows in a paragraph's prose (multi-word preferred
/// names and synonyms, and the names annotators marked), of every type.
pub fn alone(lexicon: &Lexicon, prose: &str) -> Vec<TextEntity> {
    let words = word_spans(prose);
    recover(
        lexicon,
        prose,
        &words,
        &[],
        &EntityType::BUILT_IN,
        Strictness::Alone,
    )
    .into_iter()
    .map(entity)
    .collect()
}
