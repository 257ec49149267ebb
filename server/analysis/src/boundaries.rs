//! Mention boundaries after the model, per sentence: rules that mend what a word-piece tagger
//! gets wrong at the edges of a mention. Chosen on the development splits (models/README.md).
//!
//! - Two mentions of one type with only a function word between them at the end of the first
//!   ("autosomal recessive disorder of" + "copper metabolism", "breast and" + "ovarian
//!   cancer") are one mention.
//! - A function word at either end of a mention is not part of it ("the ATP7B" → "ATP7B").
//! - A cell line is its name without "cells" or "cell line" after it ("HepG2 cells" →
//!   "HepG2"), as in BioRED and Cellosaurus (JNLPBA includes the word).
//! - Two mentions of one type joined by a conjunction are one composite mention when the first
//!   is no name but its last word with the second's head is ("breast, ovarian" + "prostate
//!   cancer"; [`join_coordinated`], with the lexicon).
//! - A disease or chemical that is one lower-case word the lexicon has no name for at all is
//!   an ordinary word ("see", "stress"), not a mention ([`drop_unknown_words`]).
//! - A disease or chemical phrase built with "of" that the model is unsure of ("Depression of
//!   the ground", "closing of the eyes") is not a mention ([`is_unsure_of_phrase`]).
//! - A disease, chemical or species the model is unsure of that the lexicon cannot name
//!   ("heavy turbulence", "farmers") is not a mention either ([`drop_unsure_unknown`]).
//! - A gene or chemical is named without the specimen it was measured in ("Serum
//!   ceruloplasmin" → "ceruloplasmin") when the rest is a name of its type and the whole is
//!   not ("serum amyloid A" stays) ([`trim_specimen_words`]).

use bioscope_core::EntityType;
use bioscope_lexicon::{key, DocumentContext, Lexicon, Normalizer};
use bioscope_tagger::TextEntity;

/// Names this rule set in cache keys: results cached under other rules are not reused.
pub const RULES: &str = "mention-rules-6";

/// Words that neither start nor end a mention (fewer than recall recovery's list in
/// `bioscope_lexicon::recover`: "no", "not" and "non" can open a disease name).
const FUNCTION_WORDS: [&str; 17] = [
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "with", "by", "for", "from", "as",
    "that", "which",
];

/// Below this score, a disease or chemical phrase with "of" in it is dropped. On the dev
/// PubTator documents (the default model, whole pipeline) such phrases below 0.75 were 3 right
/// of 18 ("akinesia of the base", "closing of the eyes", "decrease of blood pressure"), and
/// every threshold from 0.7 to 0.8 gave the same strict F1 gain (NCBI-disease +0.16, BC5CDR
/// +0.03, BioRED +0.01); 0.85 and above began to drop right ones.
const UNSURE_OF_PHRASE_SCORE: f32 = 0.75;

/// Words after a cell line's name that are not part of it.
const CELL_LINE_TAILS: [&str; 4] = ["cells", "cell", "lines", "line"];

/// One sentence's entities (byte offsets into `sentence`, in order, disjoint) with the rules
/// applied, in order.
pub fn mend(sentence: &str, entities: Vec<TextEntity>) -> Vec<TextEntity> {
    let joined = join_across_function_words(sentence, entities);
    joined
        .into_iter()
        .filter_map(|e| trim(sentence, e))
        .filter(|e| !is_unsure_of_phrase(sentence, e))
        .collect()
}

/// Whether `e` is a disease or chemical phrase with "of" between its words that the model
/// scored below [`UNSURE_OF_PHRASE_SCORE`]: more often an ordinary noun phrase ("Depression of
/// the ground", "loss of righting reflex") than a name.
fn is_unsure_of_phrase(sentence: &str, e: &TextEntity) -> bool {
    matches!(e.entity_type, EntityType::Disease | EntityType::Chemical)
        && e.score < UNSURE_OF_PHRASE_SCORE
        && sentence[e.start..e.end]
            .split_whitespace()
            .any(|w| w == "of")
}

/// Joins two mentions of one type with only a conjunction between them ("breast, ovarian" +
/// ", and" + "prostate cancer") into one composite mention, as the corpora annotate such
/// coordinations, when the first is no name of its type but its last word with the second's
/// head is one ("ovarian cancer"); normalization then resolves the parts
/// (`Normalizer::composite_at`). "hypertension and diabetes" stays two mentions.
pub fn join_coordinated(
    lexicon: &Lexicon,
    sentence: &str,
    entities: Vec<TextEntity>,
) -> Vec<TextEntity> {
    join_adjacent(entities, |prev, e| {
        let gap = sentence
            .get(prev.end..e.start)
            .unwrap_or("")
            .trim_start_matches(',')
            .trim();
        let first = &sentence[prev.start..prev.end];
        let second = &sentence[e.start..e.end];
        let Some((_, head)) = second.split_once(char::is_whitespace) else {
            return false;
        };
        let modifier = last_word(first).trim_end_matches(',');
        prev.entity_type == e.entity_type
            && prev.end < e.start
            && matches!(gap, "and" | "or" | "and/or")
            && !names(lexicon, first, e.entity_type)
            && names(
                lexicon,
                &format!("{modifier} {}", head.trim()),
                e.entity_type,
            )
    })
}

/// Merges each entity into the one before it where `join(previous, entity)` says so (the
/// merged mention keeps the lower score).
fn join_adjacent(
    entities: Vec<TextEntity>,
    join: impl Fn(&TextEntity, &TextEntity) -> bool,
) -> Vec<TextEntity> {
    let mut out: Vec<TextEntity> = Vec::with_capacity(entities.len());
    for e in entities {
        if let Some(prev) = out.last_mut() {
            if join(prev, &e) {
                prev.end = e.end;
                prev.score = prev.score.min(e.score);
                continue;
            }
        }
        out.push(e);
    }
    out
}

/// Whether `text` is a name of a concept of `entity_type` (exact key).
fn names(lexicon: &Lexicon, text: &str, entity_type: EntityType) -> bool {
    lexicon
        .postings(&key::key(text))
        .into_iter()
        .filter_map(|p| lexicon.concept(p.concept))
        .any(|c| c.entity_type == entity_type)
}

/// Drops the diseases and chemicals that are one lower-case word with no name in `lexicon`
/// (exact key, any type): the model's guesses at ordinary words. Chosen on the development
/// splits: NCBI-disease +0.6, BC5CDR +0.2 strict F1; for genes, species and cell types the
/// same rule lost 0.3 to 0.6 (JNLPBA, LINNAEUS), so it keeps them.
pub fn drop_unknown_words(
    lexicon: &Lexicon,
    sentence: &str,
    entities: Vec<TextEntity>,
) -> Vec<TextEntity> {
    entities
        .into_iter()
        .filter(|e| {
            let word = &sentence[e.start..e.end];
            let ordinary = matches!(e.entity_type, EntityType::Disease | EntityType::Chemical)
                && word.chars().all(|c| c.is_ascii_lowercase());
            !ordinary || !lexicon.postings(&key::key(word)).is_empty()
        })
        .collect()
}

/// Words naming where a gene product or chemical was measured, not part of its name.
const SPECIMEN_WORDS: [&str; 7] = [
    "serum",
    "plasma",
    "urinary",
    "urine",
    "salivary",
    "blood",
    "circulating",
];

/// Trims a leading specimen word ([`SPECIMEN_WORDS`]) off a gene or chemical mention when the
/// rest is a name of its type in `lexicon` and the whole is not.
pub fn trim_specimen_words(
    lexicon: &Lexicon,
    sentence: &str,
    entities: Vec<TextEntity>,
) -> Vec<TextEntity> {
    entities
        .into_iter()
        .map(|mut e| {
            if !matches!(e.entity_type, EntityType::Gene | EntityType::Chemical) {
                return e;
            }
            let text = &sentence[e.start..e.end];
            let first = text.split(char::is_whitespace).next().unwrap_or("");
            let rest = text[first.len()..].trim_start();
            if !rest.is_empty()
                && SPECIMEN_WORDS.iter().any(|w| first.eq_ignore_ascii_case(w))
                && names(lexicon, rest, e.entity_type)
                && !names(lexicon, text, e.entity_type)
            {
                e.start = e.end - rest.len();
            }
            e
        })
        .collect()
}

/// Below this score, a disease, chemical or species that the lexicon cannot name is dropped.
/// Chosen on the dev splits (models/README.md, "Model quality"): 0.8, 0.9 and 0.95 all gained
/// on NCBI-disease, BC5CDR and BioRED; 0.9 gained most over the three.
const UNSURE_UNKNOWN_SCORE: f32 = 0.9;

/// Drops the diseases, chemicals and species scored below [`UNSURE_UNKNOWN_SCORE`] that no
/// concept of their type names, as a whole or part by part (a composite mention), without the
/// document's context: mostly ordinary phrases ("heavy turbulence", "farmers"). The trained
/// ranker's nearest name does not count as naming one (it kept more of these phrases and
/// lowered span and identifier F1 on the dev splits). Genes, cell
/// types and cell lines are kept: BC2GM and JNLPBA annotate many protein and cell phrases that
/// no database names (the same rule lost 3.3 and 13.8 strict F1 there); variants too, since
/// no lexicon lists them.
pub fn drop_unsure_unknown(
    lexicon: &Lexicon,
    sentence: &str,
    entities: Vec<TextEntity>,
) -> Vec<TextEntity> {
    let normalizer = Normalizer::new(lexicon).without_ranker();
    let context = DocumentContext::default();
    entities
        .into_iter()
        .filter(|e| {
            let text = &sentence[e.start..e.end];
            e.score >= UNSURE_UNKNOWN_SCORE
                || !matches!(
                    e.entity_type,
                    EntityType::Disease | EntityType::Chemical | EntityType::Species
                )
                || normalizer
                    .best(text, Some(e.entity_type), &context)
                    .is_some()
                || normalizer
                    .composite_at(text, None, e.entity_type, &context)
                    .is_some()
        })
        .collect()
}

/// A function word as prose writes it: lower case, or capitalized at a sentence's start ("The");
/// "A" and "AT" are left alone (a nucleotide, ataxia-telangiectasia).
fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.iter().any(|f| {
        word == *f
            || (f.len() > 1
                && word.as_bytes().first() == Some(&f.as_bytes()[0].to_ascii_uppercase())
                && word.get(1..) == Some(&f[1..]))
    })
}

/// The last word of `text` (after its last whitespace).
fn last_word(text: &str) -> &str {
    text.rsplit(char::is_whitespace).next().unwrap_or("")
}

fn join_across_function_words(sentence: &str, entities: Vec<TextEntity>) -> Vec<TextEntity> {
    join_adjacent(entities, |prev, e| {
        let gap = &sentence[prev.end.min(e.start)..e.start];
        let first = &sentence[prev.start..prev.end];
        prev.entity_type == e.entity_type
            && prev.end <= e.start
            && !gap.is_empty()
            && gap.chars().all(|c| c == ' ')
            && is_function_word(last_word(first))
            && first.contains(char::is_whitespace)
    })
}

/// The mention without function words at its ends (and, for a cell line, the words after its
/// name); `None` when nothing is left.
fn trim(sentence: &str, mut e: TextEntity) -> Option<TextEntity> {
    loop {
        let text = &sentence[e.start..e.end];
        if is_function_word(text.trim()) {
            return None;
        }
        let first = text.split(char::is_whitespace).next().unwrap_or("");
        let last = last_word(text);
        if first.len() < text.len() && is_function_word(first) {
            let rest = &text[first.len()..];
            e.start = e.end - rest.trim_start().len();
        } else if last.len() < text.len()
            && (is_function_word(last)
                || (e.entity_type == EntityType::CellLine
                    && CELL_LINE_TAILS.iter().any(|t| last.eq_ignore_ascii_case(t))))
        {
            let rest = &text[..text.len() - last.len()];
            e.end = e.start + rest.trim_end().len();
        } else {
            break;
        }
    }
    (e.start < e.end).then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioscope_core::entity::built_in::*;

    fn entity(sentence: &str, text: &str, entity_type: EntityType) -> TextEntity {
        let start = sentence.find(text).unwrap();
        TextEntity {
            start,
            end: start + text.len(),
            entity_type,
            score: 0.9,
        }
    }

    fn texts<'a>(sentence: &'a str, found: &[TextEntity]) -> Vec<(&'a str, EntityType)> {
        found
            .iter()
            .map(|e| (&sentence[e.start..e.end], e.entity_type))
            .collect()
    }

    #[test]
    fn a_mention_split_after_a_function_word_is_joined() {
        let s = "Wilson disease is an autosomal recessive disorder of copper metabolism.";
        let found = mend(
            s,
            vec![
                entity(s, "Wilson disease", Disease),
                entity(s, "autosomal recessive disorder of", Disease),
                entity(s, "copper metabolism", Disease),
            ],
        );
        assert_eq!(
            texts(s, &found),
            [
                ("Wilson disease", Disease),
                ("autosomal recessive disorder of copper metabolism", Disease)
            ]
        );
        // Of different types, or with more than spaces between them: not joined, but trimmed.
        let s = "loss of ATP7B in copper metabolism";
        let found = mend(
            s,
            vec![entity(s, "loss of", Disease), entity(s, "ATP7B", Gene)],
        );
        assert_eq!(texts(s, &found), [("loss", Disease), ("ATP7B", Gene)]);
    }

    #[test]
    fn unsure_of_phrases_are_not_diseases_or_chemicals() {
        let s = "Depression of the ground and carcinoma of the breast, loss of Gfi1 in mice";
        let mut ground = entity(s, "Depression of the ground", Disease);
        ground.score = 0.7;
        let breast = entity(s, "carcinoma of the breast", Disease);
        let mut gene = entity(s, "loss of Gfi1", Gene);
        gene.score = 0.5;
        let found = mend(s, vec![ground, breast, gene]);
        assert_eq!(
            texts(s, &found),
            [("carcinoma of the breast", Disease), ("loss of Gfi1", Gene)]
        );
        // "of" only as a word: "Prof" or "offspring" in a mention are not phrases.
        let s = "Prof offspring syndrome";
        let mut syndrome = entity(s, s, Disease);
        syndrome.score = 0.5;
        assert_eq!(mend(s, vec![syndrome]).len(), 1);
    }

    #[test]
    fn function_words_and_cell_line_tails_are_trimmed() {
        let s = "In the HepG2 cells and the TP53 gene of mice";
        let found = mend(
            s,
            vec![
                entity(s, "the HepG2 cells", CellLine),
                entity(s, "the TP53", Gene),
                entity(s, "of", Species),
            ],
        );
        assert_eq!(texts(s, &found), [("HepG2", CellLine), ("TP53", Gene)]);
        // Capitals are not function words: "A" is a nucleotide, "AT" an abbreviation.
        let s = "G to A - T in AT region";
        let found = mend(
            s,
            vec![entity(s, "A - T", Disease), entity(s, "AT region", Gene)],
        );
        assert_eq!(texts(s, &found), [("A - T", Disease), ("AT region", Gene)]);
        // Words that share bytes with a function word but not its characters, and no word.
        assert!(!is_function_word("éa") && !is_function_word(""));
        assert!(is_function_word("The") && is_function_word("of"));
        // A cell type keeps "cells"; a one-word mention is left alone.
        let s = "T cells and Of";
        let found = mend(s, vec![entity(s, "T cells", CellType)]);
        assert_eq!(texts(s, &found), [("T cells", CellType)]);
    }

    /// A lexicon that knows one disease, "tremor".
    fn tremor_lexicon() -> Lexicon {
        use bioscope_lexicon::{ConceptId, LexiconBuilder, Namespace};
        let mut builder = LexiconBuilder::new();
        builder.concept(
            ConceptId::new(Namespace::Mesh, "D014202"),
            Disease,
            "tremor",
        );
        Lexicon::from_bytes(builder.finish().0).unwrap()
    }

    #[test]
    fn a_specimen_word_is_trimmed_where_the_rest_is_a_name_and_the_whole_is_not() {
        use bioscope_lexicon::{ConceptId, LexiconBuilder, Namespace};
        let mut builder = LexiconBuilder::new();
        builder.concept(
            ConceptId::new(Namespace::Hgnc, "2295"),
            Gene,
            "ceruloplasmin",
        );
        builder.concept(
            ConceptId::new(Namespace::Hgnc, "10513"),
            Gene,
            "serum amyloid A",
        );
        builder.concept(
            ConceptId::new(Namespace::Mesh, "D005947"),
            Chemical,
            "glucose",
        );
        let lexicon = Lexicon::from_bytes(builder.finish().0).unwrap();
        let s = "Serum ceruloplasmin, serum amyloid A, plasma glucose and serum albumin were low";
        let found = trim_specimen_words(
            &lexicon,
            s,
            vec![
                entity(s, "Serum ceruloplasmin", Gene),
                entity(s, "serum amyloid A", Gene),
                entity(s, "plasma glucose", Chemical),
                entity(s, "serum albumin", Gene),
            ],
        );
        assert_eq!(
            texts(s, &found),
            [
                ("ceruloplasmin", Gene),
                ("serum amyloid A", Gene),
                ("glucose", Chemical),
                ("serum albumin", Gene),
            ],
            "albumin is no name here: the mention stays as the model found it"
        );
    }

    #[test]
    fn ordinary_lower_case_words_the_lexicon_lacks_are_not_diseases_or_chemicals() {
        let lexicon = tremor_lexicon();
        let s = "tremor (see below) and stress in mice given Cisplatin";
        let found = drop_unknown_words(
            &lexicon,
            s,
            vec![
                entity(s, "tremor", Disease),
                entity(s, "see", Chemical),
                entity(s, "stress", Disease),
                entity(s, "mice", Species),
                entity(s, "Cisplatin", Chemical),
            ],
        );
        assert_eq!(
            texts(s, &found),
            [
                ("tremor", Disease),
                ("mice", Species),
                ("Cisplatin", Chemical)
            ]
        );
    }

    #[test]
    fn unsure_mentions_the_lexicon_cannot_name_are_dropped() {
        let lexicon = tremor_lexicon();
        let s = "tremor and heavy turbulence in farmers, sure storm, unsure ABC9 and p.V600E";
        let unsure = |text: &str, entity_type: EntityType| TextEntity {
            score: 0.5,
            ..entity(s, text, entity_type)
        };
        let found = drop_unsure_unknown(
            &lexicon,
            s,
            vec![
                unsure("tremor", Disease),
                unsure("heavy turbulence", Disease),
                unsure("farmers", Species),
                entity(s, "storm", Chemical),
                unsure("ABC9", Gene),
                unsure("p.V600E", Variant),
            ],
        );
        assert_eq!(
            texts(s, &found),
            [
                ("tremor", Disease),
                ("storm", Chemical),
                ("ABC9", Gene),
                ("p.V600E", Variant)
            ]
        );
    }

    #[test]
    fn coordinated_modifiers_join_the_mention_whose_head_they_share() {
        use bioscope_lexicon::{ConceptId, LexiconBuilder, Namespace};
        let mut builder = LexiconBuilder::new();
        for (id, name) in [
            ("D001943", "breast cancer"),
            ("D010051", "ovarian cancer"),
            ("D011471", "prostate cancer"),
            ("D006973", "hypertension"),
            ("D003920", "diabetes"),
        ] {
            builder.concept(ConceptId::new(Namespace::Mesh, id), Disease, name);
        }
        let lexicon = Lexicon::from_bytes(builder.finish().0).unwrap();
        let s = "breast, ovarian, and prostate cancer, hypertension and diabetes";
        let found = join_coordinated(
            &lexicon,
            s,
            vec![
                entity(s, "breast, ovarian", Disease),
                entity(s, "prostate cancer", Disease),
                entity(s, "hypertension", Disease),
                entity(s, "diabetes", Disease),
            ],
        );
        assert_eq!(
            texts(s, &found),
            [
                ("breast, ovarian, and prostate cancer", Disease),
                ("hypertension", Disease),
                ("diabetes", Disease)
            ]
        );
    }
}
