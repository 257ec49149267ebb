//! The document context of normalization: what a document tells the normalizer about its
//! mentions (its abbreviations, its organism, the genera and species it names, and where it
//! names the organisms that genes belong to). Built once per document version
//! ([`crate::Normalizer::context`], [`crate::Normalizer::context_in`]) and read by every stage.
//!
//! A gene mention's organism ([`DocumentContext::gene_organism_of`]) follows GNormPlus's
//! species assignment, first cue wins: an organism word in the mention ("murine Met"); the
//! symbol's case where it contradicts the species around it (human symbols are written in
//! capitals, "KRAS"; mouse and rat symbols are not, "Kras"); the nearest organism named in
//! the mention's sentence; the organism its paragraph names most; the document's focus
//! organism; human. The focus is where the document discusses its genes: each paragraph that
//! has gene mentions votes for the organism it names most, weighted by its gene mentions (a
//! human study's mouse-xenograft paragraph names "mice" often but discusses few genes); with no
//! such vote, the organism the document names most.

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
    /// The organism the mention's paragraph names most.
    Paragraph,
    /// The document's focus organism (where it discusses genes, else the one it names most).
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
    /// The document's paragraphs (byte ranges between blank lines, in order), when it was
    /// given positions.
    pub paragraphs: Vec<Range<usize>>,
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
            paragraphs: Vec::new(),
        }
    }

    /// The document's paragraphs: byte ranges of text between blank lines, trimmed.
    pub(crate) fn paragraphs_of(text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        let mut end = 0;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let content = line.trim_end();
            if content.trim().is_empty() {
                if let Some(s) = start.take() {
                    out.push(s..end);
                }
            } else {
                start.get_or_insert(offset + (content.len() - content.trim_start().len()));
                end = offset + content.len();
            }
            offset += line.len();
        }
        if let Some(s) = start {
            out.push(s..end);
        }
        out
    }

    /// The organism a paragraph names most (human where it is among the most named), if any.
    fn paragraph_organism(&self, paragraph: &Range<usize>) -> Option<u32> {
        most_named(
            self.organisms_at
                .iter()
                .filter(|(r, _)| paragraph.start <= r.start && r.end <= paragraph.end)
                .map(|(_, taxon)| *taxon),
        )
    }

    /// The focus organism of a document whose gene mentions are at `genes`: each paragraph
    /// with gene mentions votes for the organism it names most, weighted by its gene mentions.
    /// `None` where no such paragraph names an organism, or human wins.
    pub(crate) fn gene_focus(&self, genes: &[Range<usize>]) -> Option<Option<u32>> {
        let mut votes: std::collections::BTreeMap<u32, usize> = Default::default();
        for paragraph in &self.paragraphs {
            let discussed = genes
                .iter()
                .filter(|g| paragraph.start <= g.start && g.end <= paragraph.end)
                .count();
            if discussed == 0 {
                continue;
            }
            if let Some(taxon) = self.paragraph_organism(paragraph) {
                *votes.entry(taxon).or_default() += discussed;
            }
        }
        if votes.is_empty() {
            return None;
        }
        Some(top_organism(&votes))
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
            .as_ref()
            .and_then(|range| self.sentence_organism(range.clone()))
            .map(|taxon| (taxon, OrganismCue::Sentence))
            .or_else(|| {
                let paragraph = self.paragraph_of(at.as_ref()?)?;
                self.paragraph_organism(paragraph)
                    .map(|taxon| (taxon, OrganismCue::Paragraph))
            })
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

    /// The paragraph holding the start of `range`, if paragraphs are known.
    fn paragraph_of(&self, range: &Range<usize>) -> Option<&Range<usize>> {
        self.paragraphs
            .iter()
            .find(|p| p.start <= range.start && range.start < p.end)
    }

    /// The gene organism named nearest to `range` within its sentence (and its paragraph: a
    /// heading without a full stop is no sentence of the next paragraph).
    fn sentence_organism(&self, range: Range<usize>) -> Option<u32> {
        let mut sentence = self
            .sentences
            .iter()
            .find(|s| s.start <= range.start && range.start < s.end.max(s.start + 1))?
            .clone();
        if let Some(paragraph) = self.paragraph_of(&range) {
            sentence = sentence.start.max(paragraph.start)..sentence.end.min(paragraph.end);
        }
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
            OrganismCue::Paragraph => "the species its paragraph names most",
            OrganismCue::Document => {
                "the species this document names most where it discusses genes"
            }
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

/// The most frequent of `taxa` (human where it is among the most frequent), if any.
fn most_named(taxa: impl Iterator<Item = u32>) -> Option<u32> {
    let mut counts: std::collections::BTreeMap<u32, usize> = Default::default();
    for taxon in taxa {
        *counts.entry(taxon).or_default() += 1;
    }
    (!counts.is_empty()).then(|| top_organism(&counts).unwrap_or(HUMAN))
}

/// The organism with the highest count, `None` (human) where human is among the highest.
pub(crate) fn top_organism(counts: &std::collections::BTreeMap<u32, usize>) -> Option<u32> {
    let top = counts.values().copied().max().unwrap_or(0);
    match counts.get(&HUMAN) {
        Some(&n) if n == top => None,
        _ => counts.iter().find(|(_, n)| **n == top).map(|(t, _)| *t),
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
    fn genes_take_their_paragraphs_organism_and_the_focus_is_where_genes_are_discussed() {
        // A human study with a mouse-xenograft paragraph that names mice more often.
        let text = "# KRAS in lung cancer\n\n\
                    We sequenced tumours of patients. BRCA1, ERBB3 and MET were amplified.\n\n\
                    Tumours grew in nude mice. The mice were treated. Mice lost weight. \
                    Murine Met was measured.\n";
        let mut context = placed(text, &[("patients", HUMAN)], None);
        for word in ["nude mice", "The mice", "Mice lost"] {
            let start = text.find(word).unwrap() + word.find("ice").unwrap() - 1;
            context.organisms_at.push((start..start + 4, MOUSE));
        }
        context.organisms_at.sort_by_key(|(r, _)| r.start);
        context.organism = Some(MOUSE);
        context.paragraphs = DocumentContext::paragraphs_of(text);
        assert_eq!(context.paragraphs.len(), 3);
        assert_eq!(
            &text[context.paragraphs[0].clone()],
            "# KRAS in lung cancer"
        );
        let brca1 = organism(&context, text, "BRCA1");
        assert_eq!((brca1.taxon, brca1.cue), (HUMAN, OrganismCue::Paragraph));
        // Named most, mice are not the focus: the genes are discussed where patients are.
        let genes: Vec<Range<usize>> = ["KRAS", "BRCA1", "ERBB3", "MET", "Murine Met"]
            .iter()
            .map(|g| {
                let start = text.find(g).unwrap();
                start..start + g.len()
            })
            .collect();
        assert_eq!(context.gene_focus(&genes), Some(None));
        context.organism = None;
        let kras = organism(&context, text, "KRAS");
        assert_eq!((kras.taxon, kras.cue), (HUMAN, OrganismCue::Document));
        let met = organism(&context, text, "Murine Met");
        assert_eq!(met.taxon, MOUSE);
        // Only the xenograft paragraph's genes: mice are the focus.
        assert_eq!(context.gene_focus(&genes[4..]), Some(Some(MOUSE)));
        // No paragraph with genes names an organism: no vote.
        assert_eq!(context.gene_focus(&genes[..1]), None);
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
