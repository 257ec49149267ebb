//! Readers for the lexicon sources (the layout of `../shared/data/lexicons`, one folder per
//! source; see each folder's PROVENANCE.md) and the order in which they are merged.
//!
//! Concepts are keyed by the identifier that the evaluation corpora and PubTator use: MeSH for
//! diseases and chemicals (OMIM, MONDO, DOID, ChEBI or DrugBank when there is no MeSH),
//! NCBI Gene for human genes (MGI/RGD for mouse and rat, FamPlex for families), NCBI Taxonomy,
//! Cellosaurus and the Cell Ontology. Other sources add names and cross-references to the
//! concept their mapping names.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, HUMAN, MOUSE, RAT};
use crate::LexiconError;

mod cells;
mod chemicals;
mod diseases;
mod genes;
mod mesh;
mod taxa;
mod umls;

/// The source families' files, in the order [`read_sources`] merges them.
const FAMILIES: [&[&str]; 6] = [
    mesh::FILES,
    diseases::FILES,
    chemicals::FILES,
    genes::FILES,
    taxa::FILES,
    cells::FILES,
];

/// The source files read, relative to the sources folder, in merge order (the lexicon's
/// manifest records a hash of each).
pub fn source_files() -> impl Iterator<Item = &'static str> {
    FAMILIES.iter().flat_map(|files| files.iter().copied())
}

/// How much of the sources a lexicon keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    /// Everything (about 4 million names, some 120 MB).
    Full,
    /// What manuscripts name (the shipped default, under 40 MB): taxa by species, genus,
    /// common and virus names (subspecies, strains, isolates and unnamed samples left out);
    /// chemical names up to 26 characters, a longer supplementary name shown but not looked
    /// up (long systematic names are not typed); supplementary disease synonyms up to 30.
    Compact,
}

/// Longest chemical name (supplementary concept names and synonyms, ChEBI names) that a
/// compact lexicon looks up; a longer preferred name is still shown.
const COMPACT_CHEMICAL_NAME: usize = 26;
/// Longest synonym of a supplementary disease concept that a compact lexicon keeps.
const COMPACT_SYNONYM: usize = 30;

impl Scope {
    fn keeps_chemical_name(self, name: &str) -> bool {
        self == Scope::Full || name.len() <= COMPACT_CHEMICAL_NAME
    }

    fn keeps_synonym(self, name: &str) -> bool {
        self == Scope::Full || name.len() <= COMPACT_SYNONYM
    }

    /// Whether a taxon name is kept: in a compact lexicon, genus and species names (two words),
    /// virus names (up to five words, digits allowed), no strains or unnamed samples.
    fn keeps_taxon(self, name: &str) -> bool {
        if self == Scope::Full {
            return true;
        }
        let words: Vec<&str> = name.split_whitespace().collect();
        let virus = name.to_ascii_lowercase().contains("virus");
        let max_words = if virus { 5 } else { 2 };
        words.len() <= max_words
            && (virus || !name.chars().any(|c| c.is_ascii_digit()))
            && !words.iter().any(|w| {
                matches!(
                    *w,
                    "sp."
                        | "cf."
                        | "aff."
                        | "uncultured"
                        | "unidentified"
                        | "environmental"
                        | "bacterium"
                        | "isolate"
                        | "strain"
                        | "clone"
                )
            })
    }
}

/// Options for [`read_sources`].
#[derive(Clone, Debug)]
pub struct SourceOptions {
    pub scope: Scope,
    /// A UMLS release's META folder (MRCONSO.RRF, MRSTY.RRF), when the user has a licence.
    pub umls: Option<PathBuf>,
    /// The annotated corpora folder (the layout of ../shared/data/corpora): names from their
    /// training splits ([`crate::annotated`]).
    pub corpora: Option<PathBuf>,
}

/// A tab- or comma-separated source file, gzip-compressed when its name ends in `.gz`.
pub(crate) struct Table {
    path: PathBuf,
    lines: Box<dyn BufRead>,
    line_number: usize,
    separator: char,
}

impl Table {
    pub(crate) fn open(path: &Path) -> Result<Table, LexiconError> {
        let file = File::open(path).map_err(|source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        Ok(Table {
            path: path.to_path_buf(),
            lines: Box::new(BufReader::with_capacity(1 << 16, reader)),
            line_number: 0,
            separator: '\t',
        })
    }

    /// Fields separated by `separator` instead of tabs.
    pub(crate) fn separated_by(mut self, separator: char) -> Table {
        self.separator = separator;
        self
    }

    /// The next line without its line break; `None` at the end.
    fn next_line(&mut self, line: &mut String) -> Result<bool, LexiconError> {
        line.clear();
        let read = self
            .lines
            .read_line(line)
            .map_err(|source| LexiconError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.line_number += 1;
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(read > 0)
    }

    /// Calls `row` with the tab-separated fields of every line after the header.
    pub(crate) fn each_row(
        mut self,
        header: bool,
        mut row: impl FnMut(&[&str]) -> Result<(), String>,
    ) -> Result<(), LexiconError> {
        let mut line = String::new();
        if header {
            self.next_line(&mut line)?;
        }
        while self.next_line(&mut line)? {
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(self.separator).collect();
            row(&fields).map_err(|why| LexiconError::Source {
                path: self.path.clone(),
                line: self.line_number,
                why,
            })?;
        }
        Ok(())
    }
}

pub(crate) fn field<'a>(fields: &[&'a str], i: usize) -> &'a str {
    fields.get(i).copied().unwrap_or("").trim()
}

fn list<'a>(text: &'a str, separators: &'a [char]) -> impl Iterator<Item = &'a str> + 'a {
    text.split(separators)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Reads every source under `dir` into `builder`.
pub fn read_sources(
    dir: &Path,
    options: &SourceOptions,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let mut merged = Merged::default();
    let (headings, organisms) = mesh::mesh(dir, options.scope, builder)?;
    diseases::disease_variants(dir, &headings, builder)?;
    let mut parents = Vec::new();
    diseases::disease_ontologies(dir, builder, &mut merged, &mut parents)?;
    diseases::broader_mesh(builder, &merged, &parents);
    chemicals::chebi(dir, options.scope, &headings, builder)?;
    chemicals::drugs(dir, &headings, builder)?;
    genes::genes(dir, builder, &mut merged)?;
    genes::famplex(dir, builder)?;
    genes::mouse_and_rat(dir, builder)?;
    taxa::taxa(dir, options.scope, &organisms, builder)?;
    cells::cell_lines(dir, builder)?;
    cells::cell_types(dir, builder)?;
    if let Some(umls) = &options.umls {
        umls::read_umls(umls, builder)?;
    }
    chemicals::chemical_symbols(&headings, builder);
    if let Some(corpora) = &options.corpora {
        crate::annotated::read_training_names(corpora, builder)?;
    }
    Ok(())
}

/// Where identifiers of merged sources ended up (e.g. a MONDO id on its MeSH concept).
#[derive(Default)]
struct Merged {
    concept_of: HashMap<ConceptId, u32>,
}
