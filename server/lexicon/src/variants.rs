//! Spelling and wording variants of a mention that does not match as written: the keys that
//! the normalizer tries next, in order.
//!
//! All types: singular forms of a plural last word, British spellings ("oedema",
//! "haemorrhage", "tumour"). Genes: a trailing "gene"/"protein" and a leading organism word
//! dropped. Species: an abbreviated genus ("E. coli") spelled out from the document. Diseases:
//! a disease noun for a trailing adjective ("epileptic" → "epilepsy"), the first conjunct of a
//! coordination, the phrase turned around a preposition ("injury to the kidney" → "kidney
//! injury"), and a vague head noun after an organ or function word replaced by the nouns
//! curated vocabularies use ("renal impairment" → "kidney diseases", "visual deficits" →
//! "vision disorders"). Chemicals: a trailing salt or counter-ion dropped ("bupropion HCl").

use bioscope_core::EntityType;

use crate::context::{DocumentContext, ORGANISM_WORDS};
use crate::key;

/// Words that may follow a gene name without being part of it.
const GENE_SUFFIXES: [&str; 8] = [
    "gene",
    "genes",
    "protein",
    "proteins",
    "mrna",
    "transcript",
    "expression",
    "locus",
];

/// Head nouns that say only that something is wrong with what precedes them. After an organ
/// or function word they stand for that organ's or function's disease ("renal impairment").
pub(crate) const VAGUE_HEADS: [&str; 40] = [
    "disease",
    "diseases",
    "disorder",
    "disorders",
    "syndrome",
    "illness",
    "condition",
    "conditions",
    "abnormality",
    "abnormalities",
    "anomaly",
    "anomalies",
    "lesion",
    "lesions",
    "damage",
    "injury",
    "injuries",
    "impairment",
    "impairments",
    "dysfunction",
    "dysfunctions",
    "disturbance",
    "disturbances",
    "involvement",
    "complication",
    "complications",
    "toxicity",
    "toxicities",
    "defect",
    "defects",
    "deficit",
    "deficits",
    "problem",
    "problems",
    "symptom",
    "symptoms",
    "event",
    "events",
    "infection",
    "infections",
];

/// The nouns curated vocabularies put after an organ or function ("Kidney Diseases", "Vision
/// Disorders", "Adenovirus Infections"), tried in this order.
const CURATED_HEADS: [&str; 7] = [
    "diseases",
    "disease",
    "disorders",
    "injury",
    "infections",
    "abnormalities",
    "dysfunction",
];

/// Adjectives of organs and functions and the nouns that vocabularies name them by.
const ORGAN_NOUNS: [(&str, &str); 24] = [
    ("renal", "kidney"),
    ("nephrotic", "kidney"),
    ("hepatic", "liver"),
    ("cardiac", "heart"),
    ("myocardial", "heart"),
    ("pulmonary", "lung"),
    ("cerebral", "brain"),
    ("neurological", "nervous system"),
    ("neurologic", "nervous system"),
    ("neural", "nervous system"),
    ("visual", "vision"),
    ("ocular", "eye"),
    ("cutaneous", "skin"),
    ("dermal", "skin"),
    ("gastric", "stomach"),
    ("intestinal", "intestinal"),
    ("muscle", "muscular"),
    ("hematological", "hematologic"),
    ("haematological", "hematologic"),
    ("cognitive", "cognition"),
    ("auditory", "hearing"),
    ("thyroid", "thyroid"),
    ("urothelial", "urinary bladder"),
    ("psychiatric", "mental"),
];

/// Salts and counter-ions written after a drug's name ("bupropion HCl", "morphine sulfate").
pub(crate) const SALT_WORDS: [&str; 19] = [
    "hcl",
    "hydrochloride",
    "dihydrochloride",
    "hydrobromide",
    "sodium",
    "potassium",
    "calcium",
    "sulfate",
    "sulphate",
    "maleate",
    "citrate",
    "mesylate",
    "tartrate",
    "fumarate",
    "succinate",
    "phosphate",
    "chloride",
    "bromide",
    "acetate",
];

/// Prepositions around which a disease phrase may be turned ("cancer of the breast").
const PREPOSITIONS: [&str; 5] = ["of", "to", "in", "by", "from"];

/// Keys of spelling variants of a mention that does not match as written.
pub(crate) fn variants(
    mention: &str,
    words: &[String],
    entity_type: Option<EntityType>,
    context: &DocumentContext,
) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut push = |words: &[String]| {
        let key = words.concat();
        if !key.is_empty() && !keys.contains(&key) {
            keys.push(key);
        }
    };
    for singular in key::singulars(words) {
        push(&singular);
    }
    let american = american_spelling(words);
    if american != words {
        push(&american);
        for singular in key::singulars(&american) {
            push(&singular);
        }
    }
    let gene_like = matches!(entity_type, None | Some(EntityType::Gene));
    if gene_like && words.len() > 1 {
        push(without_leading(
            without_trailing(words, &GENE_SUFFIXES),
            &ORGANISM_WORDS.map(|(word, _)| word),
        ));
    }
    // "E. coli": an abbreviated genus that the document spells out elsewhere.
    let species_like = matches!(entity_type, None | Some(EntityType::Species));
    if species_like {
        let mut parts = mention.split_whitespace();
        if let (Some(first), Some(rest)) = (parts.next(), Some(parts.collect::<Vec<_>>())) {
            let initial = first.trim_end_matches('.');
            if initial.chars().count() <= 2 && !rest.is_empty() {
                for genus in &context.genera {
                    if genus.starts_with(initial) {
                        push(&key::words(&format!("{genus} {}", rest.join(" "))));
                    }
                }
            }
        }
    }
    if matches!(entity_type, None | Some(EntityType::Disease)) {
        for form in adjective_to_noun(&american) {
            push(&form);
        }
        if let Some(first) = first_conjunct(&american) {
            push(&first);
        }
        if let Some(turned) = turned_around_preposition(&american) {
            for singular in key::singulars(&turned) {
                push(&singular);
            }
            push(&turned);
            for form in curated_heads(&turned) {
                push(&form);
            }
        }
        for form in curated_heads(&american) {
            push(&form);
        }
    }
    if entity_type == Some(EntityType::Chemical) {
        let trimmed = without_trailing(words, &SALT_WORDS);
        if trimmed.len() < words.len() {
            push(trimmed);
        }
    }
    keys
}

/// `words` without the trailing words in `dropped` (at least one word is kept).
fn without_trailing<'w>(mut words: &'w [String], dropped: &[&str]) -> &'w [String] {
    while let [rest @ .., last] = words {
        if rest.is_empty() || !dropped.contains(&last.as_str()) {
            break;
        }
        words = rest;
    }
    words
}

/// `words` without the leading words in `dropped` (at least one word is kept).
fn without_leading<'w>(mut words: &'w [String], dropped: &[&str]) -> &'w [String] {
    while let [first, rest @ ..] = words {
        if rest.is_empty() || !dropped.contains(&first.as_str()) {
            break;
        }
        words = rest;
    }
    words
}

/// American spellings of British ones, word by word: "oedema" → "edema", "haemorrhage" →
/// "hemorrhage", "anaemia" → "anemia", "tumours" → "tumors", "leukaemia" → "leukemia".
fn american_spelling(words: &[String]) -> Vec<String> {
    words
        .iter()
        .map(|word| {
            let mut w = word.clone();
            if let Some(rest) = w.strip_prefix("oe") {
                w = format!("e{rest}");
            }
            if let Some(rest) = w.strip_prefix("haem") {
                w = format!("hem{rest}");
            }
            for (british, american) in [("aem", "em"), ("oes", "es"), ("paed", "ped")] {
                if w.len() > 5 {
                    w = w.replace(british, american);
                }
            }
            for (british, american) in [("ours", "ors"), ("our", "or")] {
                if w.len() > 5 && w.ends_with(british) {
                    w = format!("{}{american}", &w[..w.len() - british.len()]);
                    break;
                }
            }
            if w.len() > 7 && w.contains("isation") {
                w = w.replace("isation", "ization");
            }
            w
        })
        .collect()
}

/// Disease nouns for an adjective in last position: "epileptic" → "epilepsy", "diabetic" →
/// "diabetes", "hypotensive" → "hypotension", "thrombotic" → "thrombosis", "anemic" →
/// "anemia", "dyskinetic" → "dyskinesia", "edematous" → "edema", "choreoathetoid" →
/// "choreoathetosis".
fn adjective_to_noun(words: &[String]) -> Vec<Vec<String>> {
    let Some(last) = words.last() else {
        return Vec::new();
    };
    const RULES: [(&str, &str); 14] = [
        ("tic", "sis"),
        ("tic", "sy"),
        ("tic", "sia"),
        ("ic", "y"),
        ("ic", "ia"),
        ("ic", "es"),
        ("ic", "e"),
        ("ive", "ion"),
        ("ian", ""),
        ("ian", "ism"),
        ("al", ""),
        ("tous", ""),
        ("ous", "osis"),
        ("oid", "osis"),
    ];
    RULES
        .iter()
        .filter(|(suffix, _)| last.len() > suffix.len() + 3 && last.ends_with(suffix))
        .map(|(suffix, noun)| {
            let mut form = words.to_vec();
            let stem = &last[..last.len() - suffix.len()];
            *form.last_mut().expect("non-empty") = format!("{stem}{noun}");
            form
        })
        .collect()
}

/// "breast and ovarian cancer" → "breast cancer": the first conjunct with the shared head.
fn first_conjunct(words: &[String]) -> Option<Vec<String>> {
    let at = words
        .iter()
        .position(|w| w == "and" || w == "or")
        .filter(|&at| at > 0 && at + 2 < words.len())?;
    let mut form = words[..at].to_vec();
    form.push(words.last()?.clone());
    Some(form)
}

/// "injury to the kidney" → "kidney injury", "cancer of the breast" → "breast cancer",
/// "infection by hepatitis B virus" → "hepatitis b virus infection": one preposition, one to
/// three words on either side, an article after the preposition dropped.
fn turned_around_preposition(words: &[String]) -> Option<Vec<String>> {
    let at = words
        .iter()
        .position(|w| PREPOSITIONS.contains(&w.as_str()))?;
    let mut after = &words[at + 1..];
    if after
        .first()
        .is_some_and(|w| matches!(w.as_str(), "the" | "a" | "an"))
    {
        after = &after[1..];
    }
    let before = &words[..at];
    let fits = |part: &[String]| (1..=3).contains(&part.len());
    if !fits(before)
        || !fits(after)
        || after
            .iter()
            .any(|w| PREPOSITIONS.contains(&w.as_str()) || w == "and" || w == "or")
    {
        return None;
    }
    Some(after.iter().chain(before).cloned().collect())
}

/// An organ or function word followed by a vague head ("renal impairment", "visual deficits",
/// "adenovirus disease") with the head replaced by the nouns vocabularies use, the organ
/// adjective also replaced by its noun ("kidney diseases").
fn curated_heads(words: &[String]) -> Vec<Vec<String>> {
    let Some((head, stem)) = words.split_last() else {
        return Vec::new();
    };
    if stem.is_empty() || !VAGUE_HEADS.contains(&head.as_str()) {
        return Vec::new();
    }
    let mut stems = vec![stem.to_vec()];
    let organ = stem
        .iter()
        .map(|w| {
            ORGAN_NOUNS
                .iter()
                .find(|(adjective, _)| adjective == w)
                .map_or(w.as_str(), |(_, noun)| noun)
        })
        .flat_map(key::words)
        .collect::<Vec<_>>();
    if organ != stem {
        stems.insert(0, organ);
    }
    let mut forms = Vec::new();
    for stem in &stems {
        for curated in CURATED_HEADS {
            if curated != head {
                let mut form = stem.clone();
                form.push(curated.to_string());
                forms.push(form);
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `key` is among the variant keys of a mention of `entity_type`.
    fn has_variant(mention: &str, entity_type: EntityType, key: &str) -> bool {
        variants(
            mention,
            &key::words(mention),
            Some(entity_type),
            &DocumentContext::default(),
        )
        .iter()
        .any(|k| k == key)
    }

    #[test]
    fn british_spellings_become_american() {
        assert!(has_variant("oedema", EntityType::Disease, "edema"));
        assert!(has_variant(
            "haemangioblastomas",
            EntityType::Disease,
            "hemangioblastoma"
        ));
        assert!(has_variant(
            "Wilms tumours",
            EntityType::Disease,
            "wilmstumor"
        ));
        assert!(has_variant("leukaemia", EntityType::Disease, "leukemia"));
    }

    #[test]
    fn disease_phrases_turn_around_a_preposition() {
        assert!(has_variant(
            "Injury to the kidney",
            EntityType::Disease,
            "kidneyinjury"
        ));
        assert!(has_variant(
            "infection by hepatitis B virus",
            EntityType::Disease,
            "hepatitisbvirusinfection"
        ));
        // Two prepositions: no single reading.
        assert!(turned_around_preposition(&key::words("loss of function of the heart")).is_none());
    }

    #[test]
    fn vague_heads_after_organ_words_become_curated_nouns() {
        assert!(has_variant(
            "renal impairment",
            EntityType::Disease,
            "kidneydiseases"
        ));
        assert!(has_variant(
            "visual deficits",
            EntityType::Disease,
            "visiondisorders"
        ));
        assert!(has_variant(
            "adenovirus disease",
            EntityType::Disease,
            "adenovirusinfections"
        ));
        // A specific head is not vague.
        assert!(curated_heads(&key::words("renal failure")).is_empty());
    }

    #[test]
    fn disease_adjectives_become_nouns() {
        assert!(has_variant("dyskinetic", EntityType::Disease, "dyskinesia"));
        assert!(has_variant("edematous", EntityType::Disease, "edema"));
        assert!(has_variant(
            "parkinsonian",
            EntityType::Disease,
            "parkinsonism"
        ));
    }

    #[test]
    fn salts_after_a_drug_name_are_dropped() {
        assert!(has_variant(
            "bupropion HCl",
            EntityType::Chemical,
            "bupropion"
        ));
        assert!(has_variant(
            "trihexyphenidyl hydrochloride",
            EntityType::Chemical,
            "trihexyphenidyl"
        ));
        // Not for other types.
        assert!(!has_variant(
            "bupropion HCl",
            EntityType::Disease,
            "bupropion"
        ));
    }
}
