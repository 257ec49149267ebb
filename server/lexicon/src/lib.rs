//! bioscope-lexicon: name lexicons for normalizing biomedical mentions to database identifiers.
//!
//! A lexicon is one file: an `fst` map from folded name keys ([`key`]) to concepts, and a
//! compact concept table (identifier, type, preferred name, a few synonyms, cross-references),
//! memory-mapped at run time. [`build`] makes it from the shared sources ([`sources`], plus a
//! user's UMLS release through `sources::umls`); [`normalize`] ranks the concepts for a mention, using
//! abbreviations defined in the same document ([`abbreviations`]); [`recover`] finds the precise
//! names that a model missed; [`matches`] marks each word with the types whose names the lexicon
//! knows there, a model's input features.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

pub mod abbreviations;
pub mod annotated;
pub mod build;
pub mod composite;
pub mod concept;
pub mod context;
pub mod key;
pub mod lexicon;
pub mod matches;
pub mod nearest;
pub mod normalize;
pub mod ranker;
pub mod recover;
pub mod sources;
mod store;
mod variants;

pub use abbreviations::Abbreviations;
pub use build::{BuildStats, LexiconBuilder};
pub use concept::{Concept, ConceptId, NameKind, Namespace};
pub use context::{DocumentContext, GeneOrganism, OrganismCue};
pub use lexicon::{ConceptRef, Lexicon, NameRanker, Posting};
pub use normalize::{Candidate, MatchKind, Normalizer};
pub use ranker::{NameEncoder, Ranker, RankerManifest};
pub use sources::{Scope, SourceOptions};

/// The lexicon file's name inside a lexicon folder, next to `manifest.json`.
pub const LEXICON_FILE: &str = "names.lexicon";
pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a usable lexicon: {why}; rebuild it with `bioscope lexicon build`")]
    Corrupt { path: PathBuf, why: String },
    #[error("{path} is lexicon format {found}, this BioScope reads format {expected}; rebuild it with `bioscope lexicon build`")]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{path}:{line}: {why}")]
    Source {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error("the name ranker could not encode names: {0}")]
    Encoder(String),
}

/// What `manifest.json` records about a built lexicon: how to rebuild it and what went in.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LexiconManifest {
    pub format: u32,
    /// SHA-256 of the lexicon file.
    pub sha256: String,
    pub stats: BuildStats,
    pub scope: Scope,
    pub umls: bool,
    /// Whether the training splits of annotated corpora were read.
    pub annotated_corpora: bool,
    /// Source files (relative to the sources folder) and their SHA-256.
    pub sources: Vec<(String, String)>,
}

/// Builds a lexicon folder (`names.lexicon` and `manifest.json`) at `out` from the sources
/// folder `sources_dir`. The result depends only on the sources and the options.
pub fn build(
    sources_dir: &Path,
    options: &SourceOptions,
    out: &Path,
) -> Result<LexiconManifest, LexiconError> {
    Ok(build_keeping(sources_dir, options, out, &[])?.0)
}

/// A name of a concept as its source wrote it: (concept id, type, text).
pub type KeptName = (ConceptId, bioscope_core::EntityType, String);

/// [`build`], also returning the names of concepts of `keep` as written (each once per
/// concept and key), for the ranker's index ([`ranker`]).
pub fn build_keeping(
    sources_dir: &Path,
    options: &SourceOptions,
    out: &Path,
    keep: &[bioscope_core::EntityType],
) -> Result<(LexiconManifest, Vec<KeptName>), LexiconError> {
    let mut builder = LexiconBuilder::new();
    builder.keep_texts(keep);
    sources::read_sources(sources_dir, options, &mut builder)?;
    let kept: Vec<KeptName> = builder
        .kept_names()
        .into_iter()
        .map(|(id, t, _, text)| (id.clone(), t, text.to_string()))
        .collect();
    let (bytes, stats) = builder.finish();
    let mut source_hashes = Vec::new();
    for file in sources::source_files() {
        let path = sources_dir.join(file);
        let content = std::fs::read(&path).map_err(|source| LexiconError::Io { path, source })?;
        source_hashes.push((file.to_string(), bioscope_core::hash::sha256_hex(&content)));
    }
    let manifest = LexiconManifest {
        format: store::VERSION,
        sha256: bioscope_core::hash::sha256_hex(&bytes),
        stats,
        scope: options.scope,
        umls: options.umls.is_some(),
        annotated_corpora: options.corpora.is_some(),
        sources: source_hashes,
    };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LexiconError::Io { path, source }
    };
    let lexicon_path = out.join(LEXICON_FILE);
    store::write_atomically(&lexicon_path, &bytes).map_err(io(&lexicon_path))?;
    let manifest_path = out.join(MANIFEST_FILE);
    let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes") + "\n";
    store::write_atomically(&manifest_path, json.as_bytes()).map_err(io(&manifest_path))?;
    Ok((manifest, kept))
}

/// Opens the lexicon in folder `dir` (or the lexicon file `dir` itself).
pub fn open(dir: &Path) -> Result<Lexicon, LexiconError> {
    if dir.is_dir() {
        Lexicon::open(&dir.join(LEXICON_FILE))
    } else {
        Lexicon::open(dir)
    }
}
