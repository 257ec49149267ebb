//! Document-level consistency of abbreviations, applied after the sentence-by-sentence model:
//! a short form means what its long form means throughout the document.
//!
//! Where a document defines one ("Duchenne muscular dystrophy (DMD)", found by
//! [`bioscope_lexicon::abbreviations`]) and the model tagged the long form, every whole-word use
//! of the short form gets the long form's type: a mention of exactly the short form is retyped,
//! an untagged use that no other mention overlaps is added. Where the model tagged nothing in
//! the long form, the short form's own mentions are dropped ("fluorescence in situ
//! hybridization (FISH)" is not a species). Longer mentions that contain the short form ("DMD
//! gene") stay as the model found them.
//!
//! Chosen on the development splits (`bioscope tag` then `bioscope score`, strict F1, all types):
//! NCBI-disease 74.70 → 76.23, BC5CDR 81.03 → 82.65, BioRED 74.72 → 76.94, S800 56.93 → 58.04,
//! LINNAEUS 74.02 → 74.45. Tagging untagged repeats of any tagged name as well was tried and
//! left out: it helped BioRED's chemicals but cost species and variants, and NCBI-disease and
//! BC5CDR slightly.

use std::ops::Range;

use bioscope_core::EntityType;
use bioscope_tagger::TextEntity;

use crate::document::TaggedParagraph;

/// Which rules run (both by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consistency {
    /// Short forms take the type of their tagged long form.
    pub abbreviation_type: bool,
    /// Short forms whose long form is untagged lose their mentions.
    pub abbreviation_drop: bool,
}

impl Default for Consistency {
    fn default() -> Self {
        Consistency {
            abbreviation_type: true,
            abbreviation_drop: true,
        }
    }
}

impl Consistency {
    /// No rule: the model's mentions as they are, sentence by sentence.
    pub const OFF: Consistency = Consistency {
        abbreviation_type: false,
        abbreviation_drop: false,
    };
}

/// Makes the mentions of `paragraphs` (one document, entities in document offsets, each with
/// the abbreviation definitions of its prose) consistent;
/// only occurrences inside `within` (document offsets) are added, retyped or dropped, so that a
/// visible range changes only what it shows.
pub fn harmonize(paragraphs: &mut [TaggedParagraph], within: Range<usize>, rules: Consistency) {
    if rules == Consistency::OFF {
        return;
    }
    abbreviations(paragraphs, &within, rules);
    for p in paragraphs.iter_mut() {
        p.entities.sort_by_key(|e| (e.start, e.end));
    }
}

/// What a defined short form should be: the type of its tagged long form, or nothing.
struct ShortForm {
    short: String,
    long_type: Option<(EntityType, f32)>,
}

fn abbreviations(paragraphs: &mut [TaggedParagraph], within: &Range<usize>, rules: Consistency) {
    let mut forms: Vec<ShortForm> = Vec::new();
    for p in paragraphs.iter() {
        for definition in &p.definitions {
            let short = p.prose[definition.short.clone()].to_string();
            if forms.iter().any(|f| f.short == short) {
                continue; // The first definition wins, as in hovers.
            }
            let long = shift(&definition.long, p.range.start);
            let short_at = shift(&definition.short, p.range.start);
            // The mention that ends with the long form (it may start before it: "X-linked
            // Duchenne muscular dystrophy (DMD)"); a mention across the parenthesis says
            // nothing about the short form alone.
            let tagged = p
                .entities
                .iter()
                .filter(|e| e.end == long.end && e.start < long.end)
                .max_by_key(|e| e.end - e.start);
            let long_free = !p
                .entities
                .iter()
                .any(|e| e.start < long.end && long.start < e.end);
            let inside = p
                .entities
                .iter()
                .any(|e| e.start < short_at.start && short_at.end < e.end);
            if inside {
                continue;
            }
            let long_type = match tagged {
                Some(e) => Some((e.entity_type, e.score)),
                None if long_free => None,
                None => continue, // Tagged in part only: no evidence either way.
            };
            forms.push(ShortForm { short, long_type });
        }
    }
    for form in forms {
        for p in paragraphs.iter_mut() {
            for at in whole_word_occurrences(&p.prose, &form.short) {
                let at = shift(&at, p.range.start);
                if at.start < within.start || at.end > within.end {
                    continue;
                }
                let exact = p
                    .entities
                    .iter()
                    .position(|e| e.start == at.start && e.end == at.end);
                let overlapped = p
                    .entities
                    .iter()
                    .any(|e| e.start < at.end && at.start < e.end);
                match (form.long_type, exact) {
                    (Some((t, _)), Some(i)) if rules.abbreviation_type => {
                        p.entities[i].entity_type = t;
                    }
                    (Some((t, score)), None) if rules.abbreviation_type && !overlapped => {
                        p.entities.push(TextEntity {
                            start: at.start,
                            end: at.end,
                            entity_type: t,
                            score,
                        });
                    }
                    (None, Some(i)) if rules.abbreviation_drop => {
                        p.entities.remove(i);
                    }
                    _ => {}
                }
            }
        }
    }
}

fn shift(r: &Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

/// Byte ranges where `needle` occurs in `text` with no letter or digit on either side.
fn whole_word_occurrences(text: &str, needle: &str) -> Vec<Range<usize>> {
    if needle.is_empty() {
        return Vec::new();
    }
    text.match_indices(needle)
        .map(|(at, _)| at..at + needle.len())
        .filter(|r| {
            let before = text[..r.start].chars().next_back();
            let after = text[r.end..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraph(text: &str, mentions: &[(&str, EntityType)]) -> TaggedParagraph {
        let entities = mentions
            .iter()
            .map(|(name, t)| {
                let start = text.find(name).expect("mention in text");
                TextEntity {
                    start,
                    end: start + name.len(),
                    entity_type: *t,
                    score: 0.9,
                }
            })
            .collect();
        TaggedParagraph {
            range: 0..text.len(),
            prose: text.to_string(),
            definitions: bioscope_lexicon::abbreviations::definitions(text),
            entities,
        }
    }

    fn names(p: &TaggedParagraph) -> Vec<(&str, EntityType)> {
        p.entities
            .iter()
            .map(|e| (&p.prose[e.start..e.end], e.entity_type))
            .collect()
    }

    #[test]
    fn short_forms_take_the_long_forms_type() {
        let text =
            "Duchenne muscular dystrophy (DMD) is common. DMD patients and DMDs vary; xDMD no.";
        let mut ps = [paragraph(
            text,
            &[
                ("Duchenne muscular dystrophy", EntityType::Disease),
                ("DMD patients", EntityType::Gene),
            ],
        )];
        ps[0].entities[1].end = ps[0].entities[1].start + 3; // "DMD" as a gene
        harmonize(&mut ps, 0..text.len(), Consistency::default());
        assert_eq!(
            names(&ps[0]),
            vec![
                ("Duchenne muscular dystrophy", EntityType::Disease),
                ("DMD", EntityType::Disease),
                ("DMD", EntityType::Disease),
            ]
        );
    }

    #[test]
    fn short_forms_of_untagged_long_forms_are_dropped() {
        let text = "We used fluorescence in situ hybridization (FISH). FISH showed it.";
        let mut ps = [paragraph(text, &[("FISH", EntityType::Species)])];
        let second = text.rfind("FISH").unwrap();
        ps[0].entities.push(TextEntity {
            start: second,
            end: second + 4,
            entity_type: EntityType::Species,
            score: 0.8,
        });
        harmonize(&mut ps, 0..text.len(), Consistency::default());
        assert!(ps[0].entities.is_empty());
    }

    #[test]
    fn only_the_window_changes() {
        let text = "Acetylsalicylic acid (ASA) here. ASA there.";
        let mut ps = [paragraph(
            text,
            &[("Acetylsalicylic acid", EntityType::Chemical)],
        )];
        harmonize(&mut ps, 0..30, Consistency::default());
        assert_eq!(ps[0].entities.len(), 2);
        harmonize(&mut ps, 0..text.len(), Consistency::OFF);
        assert_eq!(ps[0].entities.len(), 2);
        harmonize(&mut ps, 0..text.len(), Consistency::default());
        assert_eq!(ps[0].entities.len(), 3);
    }
}
