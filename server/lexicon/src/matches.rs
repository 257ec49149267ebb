//! Lexicon-match features (the bit layout is `bioscope_core::lexicon_match`): for each word of
//! a sentence, the types whose names the lexicon knows beginning or continuing there. Per type,
//! the longest name starting at a word wins and the next match of that type starts after it,
//! so each type's bits read like a BIO tagging; types overlap freely ("HIV" is a species and a
//! disease). A name counts only when its words are plain (its first and last word has a letter
//! or digit and is no function word) and its key has at least two characters. Names that only
//! annotators of a training corpus gave do not count ([`Posting::from_vocabulary`]): a model
//! trained with them would learn that every training mention is a lexicon name.

use bioscope_core::lexicon_match::{begin_bit, inside_bit, MatchBits};
use bioscope_core::EntityType;

use crate::key;
use crate::lexicon::Lexicon;
#[cfg(doc)]
use crate::lexicon::Posting;
use crate::recover::FUNCTION_WORDS;

/// Longest name looked up, in words (corpus tokens split punctuation off: "IL - 2").
pub const MAX_NAME_WORDS: usize = 8;

/// Each word's match bits.
pub fn word_matches<S: AsRef<str>>(lexicon: &Lexicon, words: &[S]) -> Vec<MatchBits> {
    let n = words.len();
    let mut bits = vec![0 as MatchBits; n];
    // Per type, the first word not yet inside one of its matches.
    let mut free_from = [0usize; EntityType::BUILT_IN.len()];
    let mut span = String::new();
    for start in 0..n {
        if !plain(words[start].as_ref()) {
            continue;
        }
        // The longest match of each type starting here.
        let mut longest = [0usize; EntityType::BUILT_IN.len()];
        span.clear();
        for end in start + 1..=(start + MAX_NAME_WORDS).min(n) {
            if end > start + 1 {
                span.push(' ');
            }
            span.push_str(words[end - 1].as_ref());
            if !plain(words[end - 1].as_ref()) {
                continue;
            }
            let key = key::key(&span);
            if key.chars().count() < 2 {
                continue;
            }
            for posting in lexicon.postings(&key) {
                if !posting.from_vocabulary() {
                    continue;
                }
                if let Some(t) = lexicon.entity_type(posting.concept) {
                    longest[t.ordinal()] = end - start;
                }
            }
        }
        for (t, &len) in longest.iter().enumerate() {
            if len == 0 || start < free_from[t] {
                continue;
            }
            let entity_type = EntityType::BUILT_IN[t];
            bits[start] |= begin_bit(entity_type);
            for b in &mut bits[start + 1..start + len] {
                *b |= inside_bit(entity_type);
            }
            free_from[t] = start + len;
        }
    }
    bits
}

/// A word that may begin or end a name: it has a letter or digit and is no function word.
fn plain(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
        && !FUNCTION_WORDS.iter().any(|f| word.eq_ignore_ascii_case(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::concept::{ConceptId, NameKind, Namespace};
    use crate::LexiconBuilder;

    fn lexicon() -> Lexicon {
        let mut b = LexiconBuilder::new();
        b.concept(
            ConceptId::new(Namespace::NcbiTaxon, "9606"),
            EntityType::Species,
            "Homo sapiens",
        );
        let hiv = b.concept(
            ConceptId::new(Namespace::NcbiTaxon, "12721"),
            EntityType::Species,
            "HIV",
        );
        b.name(hiv, "human immunodeficiency virus", NameKind::Synonym);
        b.concept(
            ConceptId::new(Namespace::Mesh, "D015658"),
            EntityType::Disease,
            "HIV infections",
        );
        let d = b.concept(
            ConceptId::new(Namespace::Mesh, "D000163"),
            EntityType::Disease,
            "AIDS",
        );
        b.name(d, "HIV", NameKind::Synonym);
        let a = b.concept(
            ConceptId::new(Namespace::Mesh, "D000001"),
            EntityType::Chemical,
            "calcimycin",
        );
        b.name(a, "of a", NameKind::Annotated);
        b.name(a, "A23187", NameKind::Annotated);
        // Annotators' wording that a vocabulary also gives still counts.
        b.name(a, "calcimycin", NameKind::Annotated);
        // A concept that only annotators' mentions created counts for nothing.
        let created = b.concept(
            ConceptId::new(Namespace::Mesh, "D000002"),
            EntityType::Chemical,
            "temefos",
        );
        b.annotation_only(created);
        b.name(created, "temefos", NameKind::Annotated);
        let (bytes, _) = b.finish();
        Lexicon::from_bytes(bytes).unwrap()
    }

    fn bits(words: &[&str]) -> Vec<MatchBits> {
        word_matches(&lexicon(), words)
    }

    #[test]
    fn each_type_marks_its_longest_name() {
        let words = [
            "human",
            "immunodeficiency",
            "virus",
            "and",
            "HIV",
            "infections",
        ];
        let found = bits(&words);
        let species = |w: usize| {
            found[w] & (begin_bit(EntityType::Species) | inside_bit(EntityType::Species))
        };
        assert_eq!(found[0], begin_bit(EntityType::Species));
        assert_eq!(species(1), inside_bit(EntityType::Species));
        assert_eq!(species(2), inside_bit(EntityType::Species));
        assert_eq!(found[3], 0, "a function word is no name");
        // "HIV" is a species; "HIV infections" a disease, longer than the disease synonym "HIV".
        assert_eq!(
            found[4],
            begin_bit(EntityType::Species) | begin_bit(EntityType::Disease)
        );
        assert_eq!(found[5], inside_bit(EntityType::Disease));
    }

    #[test]
    fn names_only_annotators_gave_and_function_words_do_not_count() {
        assert_eq!(bits(&["treated", "with", "A23187"]), vec![0, 0, 0]);
        assert_eq!(bits(&["temefos"]), vec![0]);
        assert_eq!(bits(&["calcimycin"]), vec![begin_bit(EntityType::Chemical)]);
        assert_eq!(bits(&["of", "a"]), vec![0, 0]);
        assert!(bits(&[]).is_empty());
    }
}
