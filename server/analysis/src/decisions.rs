//! The user's decisions as they change an analysis: rules over mention texts, built from the
//! corrections store (`bioscope_core::corrections`) and updated one record at a time.

use bioscope_core::corrections::{Action, Correction, Scope, SpanLabel};
use bioscope_core::EntityType;

/// An entity after the user's decisions: `corrected` when a decision made or confirmed it.
#[derive(Clone, Debug, PartialEq)]
pub struct DecidedEntity {
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
    pub score: f32,
    pub corrected: bool,
}

/// What a decision does to a mention text.
#[derive(Clone, Debug, PartialEq)]
enum Rule {
    /// Keep (as this type), marked corrected.
    Keep(EntityType),
    /// Drop mentions of this type (`None`: of any type).
    Drop(Option<EntityType>),
    /// Tag the text as this type wherever it occurs, replacing what it overlaps.
    Tag(EntityType),
}

/// The user's decisions as rules over mention texts; the latest decision about a text wins.
/// Decisions with scope `Here` apply to their document and paragraph (unchanged text) only.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    everywhere: Vec<(String, Rule)>,
    here: Vec<(String, String, String, Rule)>, // document, paragraph, text, rule
}

impl Overrides {
    pub fn from_records(records: &[Correction]) -> Self {
        let mut o = Overrides::default();
        for c in records {
            o.add(c);
        }
        o
    }

    /// Adds one record's decisions: they replace earlier decisions about the same text (in
    /// the same paragraph, for scope `Here`).
    pub fn add(&mut self, c: &Correction) {
        for (text, rule) in rules_of(c) {
            // Accepting or retyping a text the user tagged (or resized to) keeps it tagged: the
            // model may never find that text on its own.
            let rule = match rule {
                Rule::Keep(to) if self.tagged(c, &text) => Rule::Tag(to),
                rule => rule,
            };
            match c.scope {
                Scope::Everywhere => {
                    self.everywhere.retain(|(t, _)| *t != text);
                    self.everywhere.push((text, rule));
                }
                Scope::Here => {
                    self.here.retain(|(d, p, t, _)| {
                        !(*d == c.document && *p == c.paragraph && *t == text)
                    });
                    self.here
                        .push((c.document.clone(), c.paragraph.clone(), text, rule));
                }
            }
        }
    }

    /// Whether the rule in force for `text` where `c` was made is a [`Rule::Tag`].
    fn tagged(&self, c: &Correction, text: &str) -> bool {
        let here = self
            .here
            .iter()
            .rev()
            .find(|(d, p, t, _)| *d == c.document && *p == c.paragraph && t == text)
            .map(|(_, _, _, r)| r);
        let everywhere = self
            .everywhere
            .iter()
            .find(|(t, _)| t == text)
            .map(|(_, r)| r);
        matches!(here.or(everywhere), Some(Rule::Tag(_)))
    }

    pub fn is_empty(&self) -> bool {
        self.everywhere.is_empty() && self.here.is_empty()
    }

    /// Applies the rules to one paragraph's model entities (byte offsets into `paragraph`).
    pub fn apply(
        &self,
        document: &str,
        paragraph: &str,
        entities: &[DecidedEntity],
    ) -> Vec<DecidedEntity> {
        let rules: Vec<(&str, &Rule)> = self
            .everywhere
            .iter()
            .map(|(t, r)| (t.as_str(), r))
            .chain(
                self.here
                    .iter()
                    .filter(|(d, p, _, _)| d == document && p == paragraph)
                    .map(|(_, _, t, r)| (t.as_str(), r)),
            )
            .collect();
        if rules.is_empty() {
            return entities.to_vec();
        }
        // The last rule for a text wins (document-specific ones come last).
        let rule_for = |text: &str| {
            rules
                .iter()
                .rev()
                .find(|(t, _)| *t == text)
                .map(|(_, r)| *r)
        };
        let mut out: Vec<DecidedEntity> = Vec::new();
        for e in entities {
            let text = &paragraph[e.start..e.end];
            match rule_for(text) {
                None => out.push(e.clone()),
                Some(Rule::Keep(t)) => out.push(DecidedEntity {
                    entity_type: *t,
                    corrected: true,
                    ..e.clone()
                }),
                Some(Rule::Drop(None)) => {}
                Some(Rule::Drop(Some(t))) if *t == e.entity_type => {}
                Some(Rule::Drop(Some(_))) => out.push(e.clone()),
                Some(Rule::Tag(_)) => {} // re-added below at every occurrence
            }
        }
        // Tagged texts wherever they occur as whole words; they replace what they overlap.
        let tagged: Vec<(&str, EntityType)> = rules
            .iter()
            .filter_map(|&(text, rule)| match rule {
                Rule::Tag(to) if rule_for(text) == Some(rule) && !text.is_empty() => {
                    Some((text, *to))
                }
                _ => None,
            })
            .collect();
        let mut placed: Vec<(usize, usize)> = Vec::new();
        let place = |out: &mut Vec<DecidedEntity>, start: usize, end: usize, to| {
            out.retain(|e| e.end <= start || e.start >= end);
            out.push(DecidedEntity {
                start,
                end,
                entity_type: to,
                score: 1.0,
                corrected: true,
            });
        };
        for &(text, to) in &tagged {
            for (start, _) in paragraph.match_indices(text) {
                let end = start + text.len();
                if at_word_boundaries(paragraph, start, end) {
                    place(&mut out, start, end, to);
                    placed.push((start, end));
                }
            }
        }
        // Then their other spellings, where no exact repeat is and the text has no rule of
        // its own.
        for (start, end, to) in variant_repeats(paragraph, &tagged) {
            let free = placed.iter().all(|&(s, e)| e <= start || s >= end);
            if free && rule_for(&paragraph[start..end]).is_none() {
                place(&mut out, start, end, to);
                placed.push((start, end));
            }
        }
        out.sort_by_key(|e| (e.start, e.end));
        out
    }
}

/// Where `paragraph` repeats a tagged text in another spelling: the same lexicon key (case,
/// hyphens and spaces, Greek letters, diacritics: `bioscope_lexicon::key`) or its plural
/// ("hepatic lobules" for "hepatic lobule"). A text with a capital after its first letter (a
/// symbol such as "MET" or "IL-2") matches only with the same letters in the same case, so
/// that "met" stays a verb. Spans start and end at words.
fn variant_repeats(
    paragraph: &str,
    tagged: &[(&str, EntityType)],
) -> Vec<(usize, usize, EntityType)> {
    use bioscope_lexicon::key::{key, singulars, words};
    if tagged.is_empty() {
        return Vec::new();
    }
    let letters = |t: &str| {
        t.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
    };
    // Each tagged text: its key, and for a symbol its letters as written.
    let targets: Vec<(String, Option<String>, &str, EntityType)> = tagged
        .iter()
        .map(|&(t, to)| {
            let symbol = t.chars().skip(1).any(char::is_uppercase);
            (key(t), symbol.then(|| letters(t)), t, to)
        })
        .filter(|(k, _, _, _)| !k.is_empty())
        .collect();
    let first_chars: Vec<char> = targets
        .iter()
        .filter_map(|(k, _, _, _)| k.chars().next())
        .collect();
    let spans = bioscope_core::corpus::split_words(paragraph);
    let is_word = |i: usize| {
        paragraph[spans[i].start..spans[i].end]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric)
    };
    let longest = targets
        .iter()
        .map(|(_, _, t, _)| bioscope_core::corpus::split_words(t).len() + 2)
        .max()
        .unwrap_or(1);
    let mut found = Vec::new();
    for i in 0..spans.len() {
        let starts_like_one = paragraph[spans[i].start..]
            .chars()
            .next()
            .and_then(|c| c.to_lowercase().next())
            .is_some_and(|c| first_chars.contains(&c));
        if !is_word(i) || !starts_like_one {
            continue;
        }
        for j in i..spans.len().min(i + longest) {
            if !is_word(j) {
                continue;
            }
            let (start, end) = (spans[i].start, spans[j].end);
            let candidate = &paragraph[start..end];
            let folded = words(candidate);
            let plural_of = singulars(&folded);
            let joined = folded.concat();
            let hit = targets.iter().find(|(k, symbol, _, _)| match symbol {
                Some(written) => letters(candidate) == *written,
                None => *k == joined || plural_of.iter().any(|w| w.concat() == *k),
            });
            if let Some(&(_, _, _, to)) = hit {
                found.push((start, end, to));
            }
        }
    }
    found
}

fn rules_of(c: &Correction) -> Vec<(String, Rule)> {
    let text_of = |s: &SpanLabel| c.paragraph.get(s.start..s.end).map(str::to_string);
    let old = c
        .old
        .as_ref()
        .and_then(|s| text_of(s).map(|t| (t, s.entity_type)));
    let new = c
        .new
        .as_ref()
        .and_then(|s| text_of(s).map(|t| (t, s.entity_type)));
    match (c.action, old, new) {
        (Action::Accept | Action::Retype, _, Some((t, ty))) => vec![(t, Rule::Keep(ty))],
        (Action::Reject, Some((t, ty)), _) => vec![(t, Rule::Drop(Some(ty)))],
        (Action::Ignore, Some((t, _)), _) | (Action::Ignore, None, Some((t, _))) => {
            vec![(t, Rule::Drop(None))]
        }
        (Action::Tag, _, Some((t, ty))) => vec![(t, Rule::Tag(ty))],
        (Action::Resize, Some((old_text, old_ty)), Some((t, ty))) => {
            vec![(old_text, Rule::Drop(Some(old_ty))), (t, Rule::Tag(ty))]
        }
        _ => Vec::new(),
    }
}

/// True when `start..end` neither starts nor ends inside a word.
fn at_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric();
    let before = text[..start].chars().next_back().is_none_or(|c| !word(c));
    let after = text[end..].chars().next().is_none_or(|c| !word(c));
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioscope_core::corrections::SCHEMA_VERSION;

    fn decided(start: usize, end: usize, t: EntityType) -> DecidedEntity {
        DecidedEntity {
            start,
            end,
            entity_type: t,
            score: 0.8,
            corrected: false,
        }
    }

    fn correction(
        action: Action,
        scope: Scope,
        paragraph: &str,
        old: Option<(&str, EntityType)>,
        new: Option<(&str, EntityType)>,
    ) -> Correction {
        let span = |(text, t): (&str, EntityType)| {
            let start = paragraph.find(text).unwrap();
            SpanLabel {
                start,
                end: start + text.len(),
                entity_type: t,
            }
        };
        Correction {
            schema: SCHEMA_VERSION,
            action,
            scope,
            document: "a.md".into(),
            paragraph: paragraph.into(),
            old: old.map(span),
            new: new.map(span),
            model_sha256: String::new(),
            timestamp: String::new(),
        }
    }

    #[test]
    fn decisions_override_the_model_everywhere_or_here() {
        use bioscope_core::entity::built_in::*;
        let p = "BRCA1 and p53 in breast cancer; BRCA1 again, with cancer.";
        let model = vec![
            decided(0, 5, Gene),
            decided(10, 13, Disease),
            decided(17, 30, Disease),
            decided(32, 37, Gene),
            decided(
                p.rfind("cancer").unwrap(),
                p.rfind("cancer").unwrap() + 6,
                Disease,
            ),
        ];
        let records = vec![
            correction(
                Action::Accept,
                Scope::Everywhere,
                p,
                Some(("BRCA1", Gene)),
                Some(("BRCA1", Gene)),
            ),
            correction(
                Action::Retype,
                Scope::Everywhere,
                p,
                Some(("p53", Disease)),
                Some(("p53", Gene)),
            ),
            correction(
                Action::Reject,
                Scope::Here,
                p,
                Some(("cancer.", Disease)),
                None,
            ),
            correction(
                Action::Resize,
                Scope::Everywhere,
                p,
                Some(("breast cancer", Disease)),
                Some(("breast cancer;", Disease)),
            ),
        ];
        // "cancer." is not a mention text (the model's is "cancer"): rejecting it changes nothing.
        let o = Overrides::from_records(&records);
        let got = o.apply("a.md", p, &model);
        let view: Vec<(&str, EntityType, bool)> = got
            .iter()
            .map(|e| (&p[e.start..e.end], e.entity_type, e.corrected))
            .collect();
        assert_eq!(
            view,
            vec![
                ("BRCA1", Gene, true),
                ("p53", Gene, true),
                ("breast cancer;", Disease, true),
                ("BRCA1", Gene, true),
                ("cancer", Disease, false),
            ]
        );

        // Later decisions win; "here" applies to its document only; ignore drops every type.
        let mut more = records.clone();
        more.push(correction(
            Action::Reject,
            Scope::Here,
            p,
            Some(("cancer", Disease)),
            None,
        ));
        more.push(correction(
            Action::Ignore,
            Scope::Everywhere,
            p,
            Some(("BRCA1", Gene)),
            None,
        ));
        let o = Overrides::from_records(&more);
        let here: Vec<&str> = o
            .apply("a.md", p, &model)
            .iter()
            .map(|e| &p[e.start..e.end])
            .collect();
        assert_eq!(here, ["p53", "breast cancer;"]);
        let elsewhere: Vec<&str> = o
            .apply("b.md", p, &model)
            .iter()
            .map(|e| &p[e.start..e.end])
            .collect();
        assert_eq!(elsewhere, ["p53", "breast cancer;", "cancer"]);
    }

    #[test]
    fn a_resized_mention_keeps_its_colour_when_it_is_retyped_or_accepted() {
        use bioscope_core::entity::built_in::*;
        let p = "Homo sapiens cells were cultured.";
        let model = [decided(0, 18, CellType)];
        let mut records = vec![correction(
            Action::Resize,
            Scope::Everywhere,
            p,
            Some(("Homo sapiens cells", CellType)),
            Some(("Homo sapiens", CellType)),
        )];
        for (action, scope) in [
            (Action::Retype, Scope::Everywhere),
            (Action::Accept, Scope::Everywhere),
            (Action::Retype, Scope::Here),
        ] {
            records.push(correction(
                action,
                scope,
                p,
                Some(("Homo sapiens", CellType)),
                Some(("Homo sapiens", Species)),
            ));
            let got = Overrides::from_records(&records).apply("a.md", p, &model);
            let spans: Vec<(&str, EntityType, bool)> = got
                .iter()
                .map(|e| (&p[e.start..e.end], e.entity_type, e.corrected))
                .collect();
            assert_eq!(
                spans,
                [("Homo sapiens", Species, true)],
                "{action:?} {scope:?}"
            );
        }
    }

    #[test]
    fn tagged_text_is_found_at_word_boundaries_only() {
        let p = "HeLa cells; not HeLaS3, but HeLa.";
        let records = vec![correction(
            Action::Tag,
            Scope::Everywhere,
            p,
            None,
            Some(("HeLa", EntityType::CellLine)),
        )];
        let o = Overrides::from_records(&records);
        let got = o.apply("x.tex", p, &[decided(0, 10, EntityType::CellType)]);
        let spans: Vec<(usize, &str)> = got.iter().map(|e| (e.start, &p[e.start..e.end])).collect();
        assert_eq!(
            spans,
            vec![(0, "HeLa"), (28, "HeLa")],
            "the overlapped model mention gives way"
        );
        assert!(got
            .iter()
            .all(|e| e.corrected && e.entity_type == EntityType::CellLine));
    }

    #[test]
    fn tagged_texts_repeat_in_other_spellings_but_symbols_keep_their_case() {
        let organ = EntityType::define("Organ", "").unwrap();
        let tag = |p: &str, text: &str, t| {
            correction(Action::Tag, Scope::Everywhere, p, None, Some((text, t)))
        };
        let first = "Biopsies of the hepatic lobule were taken; MET was amplified.";
        let records = vec![
            tag(first, "hepatic lobule", organ),
            tag(first, "MET", EntityType::Gene),
        ];
        let o = Overrides::from_records(&records);
        let p = "Hepatic lobules and one hepatic-lobule; we met MET and IL2 but not the hepatic lobule.";
        let got = o.apply("y.md", p, &[]);
        let found: Vec<(&str, EntityType)> = got
            .iter()
            .map(|e| (&p[e.start..e.end], e.entity_type))
            .collect();
        assert_eq!(
            found,
            [
                ("Hepatic lobules", organ),
                ("hepatic-lobule", organ),
                ("MET", EntityType::Gene),
                ("hepatic lobule", organ),
            ],
            "a plural, a capital and a hyphen are the same name; \"met\" is no gene"
        );
        // A rejected spelling stays rejected.
        let mut records = records;
        records.push(correction(
            Action::Ignore,
            Scope::Everywhere,
            p,
            Some(("Hepatic lobules", organ)),
            None,
        ));
        let o = Overrides::from_records(&records);
        let got = o.apply("y.md", p, &[]);
        assert!(got.iter().all(|e| &p[e.start..e.end] != "Hepatic lobules"));
    }
}
