//! The document context of normalization: what a document tells the normalizer about its
//! mentions (its abbreviations, its organism, the genera and species it names). Built once per
//! document version ([`crate::Normalizer::context`]) and read by every stage.

use crate::abbreviations::Abbreviations;
use crate::concept::{GENE_ORGANISMS, HUMAN};

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
        }
    }

    /// The organism genes are taken from unless no gene of it has the name: the document's,
    /// else human.
    pub fn gene_organism(&self) -> u32 {
        self.organism.unwrap_or(HUMAN)
    }

    /// Why genes are taken from [`gene_organism`](Self::gene_organism), for hovers.
    pub fn organism_reason(&self) -> &'static str {
        let human_named = self.species.iter().any(|(_, taxon)| *taxon == HUMAN);
        if self.organism.is_some() || human_named {
            "the species this document names most"
        } else {
            "the default: this document names no species"
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
