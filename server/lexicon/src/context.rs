//! The document context of normalization: what a document tells the normalizer about its
//! mentions (its abbreviations, its organism, the genera and species it names, and where it
//! names the organisms that genes belong to). Built once per document version
//! ([`crate::Normalizer::context`], [`crate::Normalizer::context_in`]) and read by every stage.
//!
//! A gene mention's organism ([`DocumentContext::gene_organism_of`]) follows GNormPlus's
//! species assignment, first cue wins: an organism word in the mention ("murine Met"); the
//! symbol's case where it contradicts the species around it (human symbols are written in
//! capitals, "KRAS"; mouse and rat symbols are not, "Kras"); the nearest organism named in
//! the mention's sentence; the organism the document names most; human.

use std::ops::Range;

use bioscope_core::corpus::{split_sentences, split_words};

use crate::abbreviations::Abbreviations;
use crate::concept::{GENE_ORGANISMS, HUMAN, MOUSE, RAT};

/// Words that may open a gene mention without being part of the gene's name, with the
/// organism they name where the lexicon has genes of it ("human TNF", "murine Met").
pub(crate) const ORGANISM_WORDS: [(&str, Option<u32>); 9] = [
    ("human", Some(HUMAN)),
    ("mouse", Some(MOUSE)),
    ("murine", Some(MOUSE)),
    ("mice", Some(MOUSE)),
    ("rat", Some(RAT)),
    ("bovine", None),
    ("porcine", None),
    ("yeast", None),
    ("zebrafish", None),
];

/// Why a gene mention is taken as a gene of its organism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrganismCue {
    /// The mention names it ("mouse Foxp3").
    InMention,
    /// The symbol is written in that organism's nomenclature, against the species around it.
    SymbolCase,
    /// The nearest organism named in the mention's sentence.
    Sentence,
    /// The organism the document's species mentions name most.
    Document,
    /// Human: the document names no organism with genes.
    Default,
}

/// The organism a gene mention is taken from, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneOrganism {
    pub taxon: u32,
    pub cue: OrganismCue,
}

/// What the document tells the normalizer: its abbreviations, its organism and the genera its
/// species mentions spell out.
#[derive(Clone, Debug, Default)]
pub struct DocumentContext {
    pub abbreviations: Abbreviations,
    /// The organism genes default to (human when `None`).
    pub organism: Option<u32>,
    /// Genus names written out in the document ("Escherichia"), for "E. coli".
    pub genera: Vec<String>,
    /// The species-level taxa that the document's species mentions name, with their names.
    pub species: Vec<(String, u32)>,
    /// Where the document names an organism the lexicon has genes of (byte ranges, in order),
    /// when the normalizer was given positions ([`crate::Normalizer::context_in`]).
    pub organisms_at: Vec<(Range<usize>, u32)>,
    /// The document's sentences (byte ranges, in order), when it was given positions.
    pub sentences: Vec<Range<usize>>,
}

impl DocumentContext {
    /// Context from a document's text and the species mentions found in it.
    pub fn from_text<'a>(text: &str, species_mentions: impl IntoIterator<Item = &'a str>) -> Self {
        DocumentContext::new(Abbreviations::from_text(text), species_mentions)
    }

    /// Context from abbreviations already found and the document's species mentions.
    pub fn new<'a>(
        abbreviations: Abbreviations,
        species_mentions: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut genera: Vec<String> = Vec::new();
        for mention in species_mentions {
            let Some(first) = mention.split_whitespace().next() else {
                continue;
            };
            let genus = first.trim_matches(|c: char| !c.is_alphanumeric());
            if genus.chars().count() > 2
                && genus.chars().next().is_some_and(char::is_uppercase)
                && !genera.iter().any(|g| g == genus)
            {
                genera.push(genus.to_string());
            }
        }
        DocumentContext {
            abbreviations,
            organism: None,
            genera,
            species: Vec::new(),
            organisms_at: Vec::new(),
            sentences: Vec::new(),
        }
    }

    /// The document's sentences as byte ranges (BioScope's word and sentence splitter).
    pub(crate) fn sentences_of(text: &str) -> Vec<Range<usize>> {
        let words = split_words(text);
        split_sentences(text, &words)
            .into_iter()
            .map(|(first, end)| words[first].start..words[end - 1].end)
            .collect()
    }

    /// The organism a gene mention (its text, and its byte range where known) is taken from.
    pub fn gene_organism_of(&self, mention: &str, at: Option<Range<usize>>) -> GeneOrganism {
        let named = mention
            .split_whitespace()
            .next()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .and_then(|w| ORGANISM_WORDS.iter().find(|(word, _)| *word == w))
            .and_then(|(_, taxon)| *taxon);
        if let Some(taxon) = named {
            return GeneOrganism {
                taxon,
                cue: OrganismCue::InMention,
            };
        }
        let around = at
            .and_then(|range| self.sentence_organism(range))
            .map(|taxon| (taxon, OrganismCue::Sentence))
            .or_else(|| self.organism.map(|taxon| (taxon, OrganismCue::Document)));
        // Capitals are not taken as a cue for human: mouse studies write mouse proteins in
        // capitals ("TNF-alpha", "IL-6"), and the rule lost 6.9 points of organism accuracy on
        // BioRED dev (models/README.md).
        if rodent_symbol(mention) && around.is_none_or(|(taxon, _)| taxon == HUMAN) {
            if let Some(taxon) = self.rodent_named() {
                return GeneOrganism {
                    taxon,
                    cue: OrganismCue::SymbolCase,
                };
            }
        }
        self.organism_around(around)
    }

    fn organism_around(&self, around: Option<(u32, OrganismCue)>) -> GeneOrganism {
        match around {
            Some((taxon, cue)) => GeneOrganism { taxon, cue },
            None => GeneOrganism {
                taxon: HUMAN,
                cue: if self.organisms_at.is_empty() && self.species.is_empty() {
                    OrganismCue::Default
                } else {
                    OrganismCue::Document
                },
            },
        }
    }

    /// The gene organism named nearest to `range` within its sentence.
    fn sentence_organism(&self, range: Range<usize>) -> Option<u32> {
        let sentence = self
            .sentences
            .iter()
            .find(|s| s.start <= range.start && range.start < s.end.max(s.start + 1))?;
        let distance = |r: &Range<usize>| {
            if r.end <= range.start {
                range.start - r.end
            } else {
                r.start.saturating_sub(range.end)
            }
        };
        self.organisms_at
            .iter()
            .filter(|(r, _)| sentence.start <= r.start && r.end <= sentence.end)
            .min_by_key(|(r, _)| distance(r))
            .map(|(_, taxon)| *taxon)
    }

    /// Mouse or rat, where the document names one of them (the more often named).
    fn rodent_named(&self) -> Option<u32> {
        let count = |taxon: u32| {
            let placed = self
                .organisms_at
                .iter()
                .filter(|(_, t)| *t == taxon)
                .count();
            let named = self.species.iter().filter(|(_, t)| *t == taxon).count();
            placed.max(named)
        };
        let (mouse, rat) = (count(MOUSE), count(RAT));
        match (mouse, rat) {
            (0, 0) => None,
            (m, r) if m >= r => Some(MOUSE),
            _ => Some(RAT),
        }
    }

    /// Why a gene mention is taken from its organism, for hovers.
    pub fn organism_reason(&self, organism: GeneOrganism) -> &'static str {
        match organism.cue {
            OrganismCue::InMention => "named in the mention",
            OrganismCue::SymbolCase => {
                "written as a mouse or rat symbol (not all capitals), and the document names it"
            }
            OrganismCue::Sentence => "the species named nearest in its sentence",
            OrganismCue::Document => "the species this document names most",
            OrganismCue::Default => "the default: this document names no species",
        }
    }

    /// An organism's name: as the document names it (its lexicon name), else the gene
    /// organisms' scientific names, else its Taxonomy id.
    pub fn organism_name(&self, taxon: u32) -> String {
        GENE_ORGANISMS
            .iter()
            .find(|(t, _)| *t == taxon)
            .map(|(_, name)| name.to_string())
            .or_else(|| {
                self.species
                    .iter()
                    .find(|(_, t)| *t == taxon)
                    .map(|(name, _)| name.clone())
            })
            .unwrap_or_else(|| format!("NCBI Taxonomy {taxon}"))
    }
}

/// Whether a mention is written as a mouse or rat symbol: one word of three or more letters,
/// a capital and then lower case ("Kras", "Foxp3"; human symbols are capitals, "KRAS").
fn rodent_symbol(mention: &str) -> bool {
    let mention = mention.trim();
    let letters: Vec<char> = mention.chars().filter(|c| c.is_alphabetic()).collect();
    !mention.contains(char::is_whitespace)
        && letters.len() >= 3
        && mention.chars().next().is_some_and(char::is_uppercase)
        && letters[1..].iter().all(|c| c.is_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(text: &str, organisms: &[(&str, u32)], focus: Option<u32>) -> DocumentContext {
        let mut context = DocumentContext {
            sentences: DocumentContext::sentences_of(text),
            organism: focus,
            ..Default::default()
        };
        for (word, taxon) in organisms {
            let start = text.find(word).unwrap();
            context
                .organisms_at
                .push((start..start + word.len(), *taxon));
        }
        context
    }

    fn organism(context: &DocumentContext, text: &str, mention: &str) -> GeneOrganism {
        let start = text.find(mention).unwrap();
        context.gene_organism_of(mention, Some(start..start + mention.len()))
    }

    #[test]
    fn a_gene_takes_the_organism_in_its_mention_then_its_sentence_then_the_document() {
        let text = "Foxp3 is expressed in rats. Murine Met binds HGF. We also studied Ret in mice.";
        let context = placed(text, &[("rats", RAT), ("mice", MOUSE)], Some(MOUSE));
        let cue = |m: &str| {
            let o = organism(&context, text, m);
            (o.taxon, o.cue)
        };
        assert_eq!(cue("Murine Met"), (MOUSE, OrganismCue::InMention));
        assert_eq!(cue("Foxp3"), (RAT, OrganismCue::Sentence));
        assert_eq!(cue("Ret"), (MOUSE, OrganismCue::Sentence));
        assert_eq!(cue("HGF"), (MOUSE, OrganismCue::Document));
        let human = placed(text, &[], None);
        assert_eq!(organism(&human, text, "HGF").cue, OrganismCue::Default);
    }

    #[test]
    fn a_mouse_symbol_in_a_human_sentence_is_a_mouse_gene_where_the_document_names_mice() {
        let text = "KRAS and Trp53 were sequenced in the patients. Tumours grew in nude mice.";
        let context = placed(text, &[("patients", HUMAN), ("mice", MOUSE)], None);
        assert_eq!(organism(&context, text, "KRAS").taxon, HUMAN);
        let trp53 = organism(&context, text, "Trp53");
        assert_eq!((trp53.taxon, trp53.cue), (MOUSE, OrganismCue::SymbolCase));
        let no_mice = placed(text, &[("patients", HUMAN)], None);
        assert_eq!(organism(&no_mice, text, "Trp53").taxon, HUMAN);
        assert!(
            !rodent_symbol("c-Met") && !rodent_symbol("IL-6") && !rodent_symbol("Met receptor")
        );
    }
}
