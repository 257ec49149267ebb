//! [`DocumentAnalysis`]: what BioScope found in one version of a document, in byte offsets of
//! its text, and what the front ends ask of it (identifiers for mentions, the paragraph a
//! correction belongs to, export annotations).

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::decisions::DecidedEntity;
use bioscope_core::export::Annotation;
use bioscope_core::segment::DocFormat;
use bioscope_core::EntityType;
use bioscope_lexicon::abbreviations::{Abbreviations, Definition};
use bioscope_lexicon::normalize::Candidate;
use bioscope_lexicon::DocumentContext;
use bioscope_lexicon::{Lexicon, Normalizer};
use bioscope_tagger::TextEntity;

/// A paragraph during analysis: its byte range in the document, its prose (masked bytes as
/// spaces, so prose offsets plus `range.start` are document offsets), the abbreviation
/// definitions of its prose, and its entities in document offsets.
#[derive(Clone, Debug)]
pub struct TaggedParagraph {
    pub range: Range<usize>,
    pub prose: String,
    pub definitions: Vec<Definition>,
    pub entities: Vec<TextEntity>,
}

/// One paragraph of an analysis: where it is and its prose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParagraphText {
    pub range: Range<usize>,
    pub prose: String,
}

/// The analysis of one version of a document.
#[derive(Debug)]
pub struct DocumentAnalysis {
    pub(crate) text: String,
    pub(crate) format: DocFormat,
    /// The part of the document analysed (all of it but for a visible-range preview).
    pub(crate) within: Range<usize>,
    pub(crate) paragraphs: Vec<ParagraphText>,
    pub(crate) entities: Vec<DecidedEntity>,
    pub(crate) abbreviations: Abbreviations,
    pub(crate) lexicon: Option<Arc<Lexicon>>,
    /// Built on first use from the abbreviations and species mentions.
    pub(crate) context: OnceLock<DocumentContext>,
    /// What went wrong (a tagging error); the analysis holds what could still be found.
    pub(crate) warnings: Vec<String>,
}

impl DocumentAnalysis {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn format(&self) -> DocFormat {
        self.format
    }

    /// The byte range that was analysed: the whole text, or what a range request asked for.
    pub fn within(&self) -> Range<usize> {
        self.within.clone()
    }

    /// The paragraphs analysed, in order.
    pub fn paragraphs(&self) -> &[ParagraphText] {
        &self.paragraphs
    }

    /// The entities in document byte offsets, in order, with the user's decisions applied.
    pub fn entities(&self) -> &[DecidedEntity] {
        &self.entities
    }

    /// The abbreviations the document's prose defines ("tumour necrosis factor (TNF)").
    pub fn abbreviations(&self) -> &Abbreviations {
        &self.abbreviations
    }

    /// Problems met while analysing (the analysis then holds what could still be found).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The lexicon identifiers come from, if one is loaded.
    pub fn lexicon(&self) -> Option<&Lexicon> {
        self.lexicon.as_deref()
    }

    /// The entity's text.
    pub fn mention(&self, entity: &DecidedEntity) -> &str {
        self.text.get(entity.start..entity.end).unwrap_or("")
    }

    /// The paragraph holding every one of `spans` (byte ranges), if one does.
    pub fn paragraph_containing(&self, spans: &[Range<usize>]) -> Option<&ParagraphText> {
        self.paragraphs.iter().find(|p| {
            spans
                .iter()
                .all(|s| p.range.start <= s.start && s.end <= p.range.end)
        })
    }

    /// What normalization reads from the document: its abbreviations, its organism and the
    /// species it names (from the analysis's species and gene mentions); computed once. `None`
    /// without a lexicon.
    pub fn context(&self) -> Option<&DocumentContext> {
        let lexicon = self.lexicon.as_deref()?;
        Some(self.context.get_or_init(|| {
            let of_type = |entity_type: EntityType| {
                self.entities
                    .iter()
                    .filter(move |e| e.entity_type == entity_type)
                    .map(|e| e.start..e.end)
            };
            Normalizer::new(lexicon).context_in(
                &self.text,
                self.abbreviations.clone(),
                of_type(EntityType::Species),
                of_type(EntityType::Gene),
            )
        }))
    }

    /// Up to `limit` concepts for the text `range` as a mention of `entity_type`, best first
    /// (none without a lexicon).
    pub fn candidates(
        &self,
        range: Range<usize>,
        entity_type: EntityType,
        limit: usize,
    ) -> Vec<Candidate> {
        let (Some(lexicon), Some(context), Some(mention)) =
            (self.lexicon(), self.context(), self.text.get(range.clone()))
        else {
            return Vec::new();
        };
        Normalizer::new(lexicon).candidates_at(
            mention,
            Some(range),
            Some(entity_type),
            context,
            limit,
        )
    }

    /// One concept per part when the entity is a composite mention ("breast and ovarian
    /// cancer"; `Normalizer::composite_at`), else `None`.
    pub fn composite(&self, entity: &DecidedEntity) -> Option<Vec<Candidate>> {
        let (lexicon, context) = (self.lexicon()?, self.context()?);
        Normalizer::new(lexicon).composite_at(
            self.mention(entity),
            Some(entity.start..entity.end),
            entity.entity_type,
            context,
        )
    }

    /// The best concept of each of `entities` (mentions of this document).
    pub fn concepts<'a>(
        &self,
        entities: impl IntoIterator<Item = &'a DecidedEntity>,
    ) -> Vec<Option<Candidate>> {
        entities
            .into_iter()
            .map(|e| {
                self.candidates(e.start..e.end, e.entity_type, 1)
                    .into_iter()
                    .next()
            })
            .collect()
    }

    /// The entities whose type `keep` accepts as export annotations, with the best
    /// concept's identifier (a composite mention's parts' identifiers joined by `|`, as the
    /// corpora write them).
    pub fn annotations(&self, keep: impl Fn(EntityType) -> bool) -> Vec<Annotation> {
        let kept: Vec<&DecidedEntity> = self
            .entities
            .iter()
            .filter(|e| keep(e.entity_type))
            .collect();
        let concepts = self.concepts(kept.iter().copied());
        kept.iter()
            .zip(concepts)
            .map(|(e, best)| Annotation {
                start: e.start,
                end: e.end,
                entity_type: e.entity_type,
                id: match self.composite(e) {
                    Some(parts) => Some(
                        parts
                            .iter()
                            .map(|c| c.concept.annotation_id().pubtator())
                            .collect::<Vec<_>>()
                            .join("|"),
                    ),
                    None => best.map(|c| c.concept.annotation_id().pubtator()),
                },
            })
            .collect()
    }
}

impl DocumentAnalysis {
    /// The analysis of a document in which nothing could be looked for, and why.
    pub fn failed(text: String, format: DocFormat, warning: String) -> Self {
        DocumentAnalysis {
            format,
            within: 0..text.len(),
            paragraphs: Vec::new(),
            entities: Vec::new(),
            abbreviations: Abbreviations::default(),
            lexicon: None,
            context: OnceLock::new(),
            warnings: vec![warning],
            text,
        }
    }
}
