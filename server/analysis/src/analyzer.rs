//! [`Analyzer`]: the one pipeline from a document's text to its [`DocumentAnalysis`].
//!
//! 1. Segmentation into paragraphs with non-prose masked (`bioscope_core::segment`).
//! 2. The model, sentence by sentence through the cache, with its mention boundaries mended
//!    ([`crate::boundaries`]) and recall recovery, cached per sentence
//!    ([`crate::recovery`]); without a model, the names the lexicon knows.
//! 3. Entities cut before hidden math or code (`Paragraph::content_break`).
//! 4. Abbreviation definitions from each paragraph's prose, and document-level consistency
//!    ([`crate::consistency`]) over every paragraph analysed.
//! 5. The user's decisions ([`crate::decisions::Overrides`]), per paragraph.
//!
//! The same function runs for an editor's keystroke, a whole file of `bioscope tag` and the
//! documents of `bioscope eval`, so what is scored is what users see.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::decisions::{DecidedEntity, Overrides};
use bioscope_core::segment::{segment, DocFormat, Paragraph};
use bioscope_lexicon::abbreviations::{definitions, Abbreviations};
use bioscope_lexicon::Lexicon;
use bioscope_tagger::{CacheStats, CachedTagger, Priority, Tagger, TextEntity};

use crate::consistency::{harmonize, Consistency};
use crate::document::{DocumentAnalysis, ParagraphText, TaggedParagraph};
use crate::passes::SentencePasses;
use crate::recovery;

/// What an analysis is asked for.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// Only the paragraphs overlapping this byte range, and of them only the sentences that
    /// overlap it (a visible range); `None` for the whole document.
    pub within: Option<Range<usize>>,
    /// Whether someone waits for the answer (see [`Priority`]).
    pub priority: Priority,
    /// The user's decisions and the name of the document they are recorded under.
    pub decisions: Option<(&'a Overrides, &'a str)>,
}

impl Request<'_> {
    /// The whole document, no decisions: a batch job.
    pub fn whole(priority: Priority) -> Self {
        Request {
            within: None,
            priority,
            decisions: None,
        }
    }
}

/// The model (through its sentence cache), the lexicon and the document-level rules.
pub struct Analyzer {
    tagger: Option<CachedTagger>,
    lexicon: Option<Arc<Lexicon>>,
    consistency: Consistency,
}

impl Analyzer {
    /// An analyzer over `tagger` (cached up to `cache_sentences` sentences) and `lexicon`,
    /// either of which may be missing: without a model, the lexicon's names are shown;
    /// without a lexicon, there is no recovery and there are no identifiers (and a model with
    /// lexicon features tags without them). The lexicon becomes the tagger's feature lexicon
    /// unless it was given one. `passes` run on
    /// each sentence the model tags ([`SentencePasses::ALL`] for what users get).
    pub fn new(
        tagger: Option<Tagger>,
        lexicon: Option<Arc<Lexicon>>,
        cache_sentences: usize,
        passes: SentencePasses,
    ) -> Self {
        let tagger = tagger.map(|tagger| {
            let tagger = if tagger.has_feature_lexicon() {
                tagger
            } else {
                tagger.with_feature_lexicon(lexicon.clone())
            };
            let cached = CachedTagger::new(tagger, cache_sentences, "");
            let lexicon = lexicon.clone();
            let types = cached.tagger().bundle.scheme.types().to_vec();
            cached.with_sentence_pass(
                &passes.fingerprint(lexicon.as_deref()),
                Arc::new(move |sentence: &str, entities: Vec<TextEntity>| {
                    passes.on_text(lexicon.as_deref(), &types, sentence, entities)
                }),
            )
        });
        Analyzer {
            tagger,
            lexicon,
            consistency: Consistency::default(),
        }
    }

    /// Chooses the document-level consistency rules (all of them by default).
    pub fn with_consistency(mut self, rules: Consistency) -> Self {
        self.consistency = rules;
        self
    }

    /// The loaded model, if any.
    pub fn tagger(&self) -> Option<&Tagger> {
        self.tagger.as_ref().map(CachedTagger::tagger)
    }

    /// The lexicon, if any.
    pub fn lexicon(&self) -> Option<&Arc<Lexicon>> {
        self.lexicon.as_ref()
    }

    pub fn stats(&self) -> CacheStats {
        self.tagger
            .as_ref()
            .map(CachedTagger::stats)
            .unwrap_or_default()
    }

    /// Runs the model over the sentences of `text` that overlap `within`, only to fill the
    /// cache (the first tagging of a long document, in steps that report progress); the
    /// analysis that follows then finds them there.
    pub fn prepare(&self, text: &str, format: DocFormat, within: Range<usize>, priority: Priority) {
        let Some(tagger) = &self.tagger else {
            return;
        };
        let _interactive = tagger.interactive(priority);
        let paragraphs = overlapping(text, format, &within);
        let prose: Vec<String> = paragraphs.iter().map(|p| p.prose(text)).collect();
        let proses: Vec<&str> = prose.iter().map(String::as_str).collect();
        let windows = windows(&paragraphs, &within);
        if let Err(e) = tagger.tag_sentences(&proses, &windows, priority) {
            tracing::error!("tagging failed: {e}");
        }
    }

    /// The analysis of `text` (see the module documentation). Never fails: a tagging error
    /// is logged and kept in [`DocumentAnalysis::warnings`], and the analysis holds no model
    /// entities.
    pub fn analyze(&self, text: String, format: DocFormat, request: Request) -> DocumentAnalysis {
        let within = request.within.clone().unwrap_or(0..text.len());
        // Background work waits here, before segmenting and hashing a whole document, while
        // interactive work is under way; interactive work holds background batches back from now.
        let _interactive = self
            .tagger
            .as_ref()
            .map(|t| t.interactive(request.priority));
        let paragraphs = overlapping(&text, format, &within);
        let prose: Vec<String> = paragraphs.iter().map(|p| p.prose(&text)).collect();
        let mut warnings = Vec::new();
        let found: Vec<Vec<TextEntity>> = match (&self.tagger, &self.lexicon) {
            (Some(tagger), _) => {
                let proses: Vec<&str> = prose.iter().map(String::as_str).collect();
                let windows = windows(&paragraphs, &within);
                tagger
                    .tag_sentences(&proses, &windows, request.priority)
                    .unwrap_or_else(|e| {
                        tracing::error!("tagging failed: {e}");
                        warnings.push(format!("tagging failed: {e}"));
                        vec![Vec::new(); proses.len()]
                    })
            }
            (None, Some(lexicon)) => prose.iter().map(|p| recovery::alone(lexicon, p)).collect(),
            (None, None) => vec![Vec::new(); prose.len()],
        };
        let from_model = self.tagger.is_some();
        let mut tagged: Vec<TaggedParagraph> = paragraphs
            .iter()
            .zip(prose)
            .zip(found)
            .map(|((p, prose), found)| TaggedParagraph {
                range: p.range.clone(),
                definitions: definitions(&prose),
                entities: within_prose(&text, p, found, from_model),
                prose,
            })
            .collect();
        harmonize(&mut tagged, within.clone(), self.consistency);
        let mut abbreviations = Abbreviations::default();
        for p in &tagged {
            abbreviations.add(&p.prose, &p.definitions);
        }
        let mut entities = Vec::new();
        for p in &tagged {
            entities.extend(decided(p, request.decisions));
        }
        DocumentAnalysis {
            format,
            within,
            paragraphs: tagged
                .into_iter()
                .map(|p| ParagraphText {
                    range: p.range,
                    prose: p.prose,
                })
                .collect(),
            entities,
            abbreviations,
            lexicon: self.lexicon.clone(),
            context: OnceLock::new(),
            warnings,
            text,
        }
    }
}

/// Splits a document into at most `count` runs of whole paragraphs for a first analysis in
/// steps ([`Analyzer::prepare`] each, then [`Analyzer::analyze`] the whole): the byte range
/// of each run and the number of paragraphs done after it. Empty when the document has no
/// more than `min_paragraphs` paragraphs (it is analysed in one go).
pub fn steps(
    text: &str,
    format: DocFormat,
    count: usize,
    min_paragraphs: usize,
) -> Vec<(Range<usize>, usize)> {
    let paragraphs = segment(text, format);
    if paragraphs.len() <= min_paragraphs {
        return Vec::new();
    }
    let chunk = paragraphs.len().div_ceil(count.max(1));
    paragraphs
        .chunks(chunk)
        .enumerate()
        .map(|(i, group)| {
            let range = group[0].range.start..group[group.len() - 1].range.end;
            (range, ((i + 1) * chunk).min(paragraphs.len()))
        })
        .collect()
}

/// The paragraphs of `text` that overlap `within`.
fn overlapping(text: &str, format: DocFormat, within: &Range<usize>) -> Vec<Paragraph> {
    segment(text, format)
        .into_iter()
        .filter(|p| p.range.start <= within.end && within.start <= p.range.end)
        .collect()
}

/// `within` relative to each paragraph's prose.
fn windows(paragraphs: &[Paragraph], within: &Range<usize>) -> Vec<Range<usize>> {
    paragraphs
        .iter()
        .map(|p| {
            within.start.saturating_sub(p.range.start)..within.end.saturating_sub(p.range.start)
        })
        .collect()
}

/// A paragraph's entities (offsets into its prose) in document offsets, none running across
/// hidden math or code: words on both sides of it are not one mention. The model's mention is
/// cut before it; a lexicon name is dropped (the lexicon matched across the gap).
fn within_prose(text: &str, p: &Paragraph, found: Vec<TextEntity>, cut: bool) -> Vec<TextEntity> {
    let shift = p.range.start;
    found
        .into_iter()
        .filter_map(|e| {
            let (start, mut end) = (shift + e.start, shift + e.end);
            if let Some(at) = p.content_break(text, start, end) {
                if !cut {
                    return None;
                }
                end = start + text[start..at].trim_end().len();
                if end == start {
                    return None;
                }
            }
            Some(TextEntity { start, end, ..e })
        })
        .collect()
}

/// A paragraph's entities with the user's decisions applied (decisions are kept relative to
/// the paragraph's prose), in document offsets.
fn decided(p: &TaggedParagraph, decisions: Option<(&Overrides, &str)>) -> Vec<DecidedEntity> {
    let shift = p.range.start;
    let relative: Vec<DecidedEntity> = p
        .entities
        .iter()
        .map(|e| DecidedEntity {
            start: e.start - shift,
            end: e.end - shift,
            entity_type: e.entity_type,
            score: e.score,
            corrected: false,
        })
        .collect();
    let relative = match decisions {
        Some((overrides, document)) if !overrides.is_empty() => {
            overrides.apply(document, &p.prose, &relative)
        }
        _ => relative,
    };
    relative
        .into_iter()
        .map(|e| DecidedEntity {
            start: e.start + shift,
            end: e.end + shift,
            ..e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_cover_every_paragraph_in_order_and_short_documents_take_one() {
        let text: String = (0..25).map(|i| format!("Paragraph {i}.\n\n")).collect();
        let steps = steps(&text, DocFormat::Plain, 10, 20);
        assert_eq!(steps.len(), 9, "25 paragraphs in runs of 3");
        assert_eq!(steps[0].0.start, 0);
        assert_eq!(steps.last().unwrap().1, 25);
        assert!(steps.windows(2).all(|w| w[0].0.end < w[1].0.start));
        assert!(text[steps.last().unwrap().0.clone()].ends_with("Paragraph 24."));
        assert!(super::steps(&text, DocFormat::Plain, 10, 25).is_empty());
    }
}
