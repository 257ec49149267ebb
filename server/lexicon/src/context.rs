//! The document context of normalization: what a document tells the normalizer about its
//! mentions (its abbreviations, its organism, the genera and species it names). Built once per
//! document version ([`crate::Normalizer::context`]) and read by every stage.

use crate::abbreviations::Abbreviations;

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
}
