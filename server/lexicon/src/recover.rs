//! Recall recovery: names the lexicon knows that the model left untagged, added only where a
//! match is precise. A match must be unambiguous (one concept for the name), a name that
//! annotators of a training corpus marked as a mention (beside a model; without one, any
//! preferred name or synonym), of a type the caller tags, at least [`MIN_CHARS`] long and
//! several words long, every word
//! with a letter and none a function word (keys join words without spaces, so "of a" would
//! otherwise meet the gene alias "OFA"). Cell lines are left to the model: their names are
//! short codes that collide with numbers and units. It never overlaps what the model found,
//! and longer matches win.

use std::ops::Range;

use bioscope_core::EntityType;

use crate::concept::NameKind;
use crate::key;
use crate::lexicon::Lexicon;

/// Shortest recovered mention, in characters.
pub const MIN_CHARS: usize = 4;
/// Longest recovered mention, in words.
pub const MAX_WORDS: usize = 6;

/// A mention found by the lexicon alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    pub range: Range<usize>,
    pub entity_type: EntityType,
}

/// The words of `text`: runs of non-space characters without the punctuation around them.
pub fn word_spans(text: &str) -> Vec<Range<usize>> {
    let trim = |c: char| {
        matches!(
            c,
            '(' | ')' | '[' | ']' | '{' | '}' | ',' | '.' | ';' | ':' | '"' | '!' | '?'
        )
    };
    let base = text.as_ptr() as usize;
    text.split_whitespace()
        .filter_map(|w| {
            let start = w.as_ptr() as usize - base;
            let trimmed = w.trim_start_matches(trim);
            let start = start + (w.len() - trimmed.len());
            let trimmed = trimmed.trim_end_matches(trim);
            (!trimmed.is_empty()).then(|| start..start + trimmed.len())
        })
        .collect()
}

/// The types recovered beside a model. Chosen on the development splits (models/README.md):
/// recovering diseases raised F1 on NCBI-disease, BC5CDR and BioRED; chemicals and species
/// lowered it on some split (names the corpora do not annotate, such as drug classes).
pub const BESIDE_MODEL_TYPES: [EntityType; 1] = [EntityType::Disease];

/// How much to trust the lexicon alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Beside a model: only multi-word disease names that annotators of a training corpus
    /// marked as mentions and whose concept a disease vocabulary also knows (it has
    /// cross-references): the rule that lowers no development split's F1.
    BesideModel,
    /// Without a model (it is missing or broken): also multi-word preferred names and synonyms,
    /// so that the editor still shows the common names.
    Alone,
}

/// Lexicon matches in `text` over its `words` (byte ranges, in order) that overlap none of
/// `taken` and whose concept type is in `types`.
pub fn recover(
    lexicon: &Lexicon,
    text: &str,
    words: &[Range<usize>],
    taken: &[Range<usize>],
    types: &[EntityType],
    strictness: Strictness,
) -> Vec<Recovered> {
    let free = |range: &Range<usize>| {
        taken
            .iter()
            .all(|t| t.end <= range.start || range.end <= t.start)
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut matched = None;
        for n in (1..=MAX_WORDS.min(words.len() - i)).rev() {
            let range = words[i].start..words[i + n - 1].end;
            if !free(&range) {
                continue;
            }
            let Some(surface) = text.get(range.clone()) else {
                continue;
            };
            if surface.chars().count() < MIN_CHARS || !plain_words(text, &words[i..i + n]) {
                continue;
            }
            if let Some(entity_type) = precise_match(lexicon, surface, n, types, strictness) {
                matched = Some((n, Recovered { range, entity_type }));
                break;
            }
        }
        match matched {
            Some((n, recovered)) => {
                found.push(recovered);
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

/// Function words that never start, end or join a recovered name.
pub(crate) const FUNCTION_WORDS: [&str; 24] = [
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "with", "by", "for", "from", "as",
    "is", "was", "be", "had", "has", "non", "not", "no", "vs",
];

/// Every word has a letter and is not a function word.
fn plain_words(text: &str, words: &[Range<usize>]) -> bool {
    words.iter().all(|w| {
        let word = &text[w.clone()];
        word.chars().any(char::is_alphabetic)
            && !FUNCTION_WORDS.iter().any(|f| word.eq_ignore_ascii_case(f))
    })
}

/// The type of `surface` when the lexicon names exactly one concept with it, by a strong name.
fn precise_match(
    lexicon: &Lexicon,
    surface: &str,
    words: usize,
    types: &[EntityType],
    strictness: Strictness,
) -> Option<EntityType> {
    let postings = lexicon.postings(&key::key(surface));
    let [posting] = postings[..] else {
        return None;
    };
    let strong = match posting.kind {
        NameKind::Annotated => words > 1,
        NameKind::Preferred | NameKind::Synonym => strictness == Strictness::Alone && words > 1,
        NameKind::Weak => false,
    };
    if !strong {
        return None;
    }
    let concept = lexicon.concept(posting.concept)?;
    let allowed = match strictness {
        // A disease vocabulary (MONDO, Disease Ontology, OMIM, UMLS) must know the concept too:
        // annotators of one corpus mark phenomena ("chromosomal instability") that others
        // leave out.
        Strictness::BesideModel => {
            BESIDE_MODEL_TYPES.contains(&concept.entity_type) && !concept.xrefs.is_empty()
        }
        Strictness::Alone => concept.entity_type != EntityType::CellLine,
    };
    (allowed && types.contains(&concept.entity_type)).then_some(concept.entity_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_lose_surrounding_punctuation() {
        let text = "(BRCA1) mutations, e.g. in MCF-7.";
        let words: Vec<&str> = word_spans(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(words, ["BRCA1", "mutations", "e.g", "in", "MCF-7"]);
    }
}
