//! bioscope-analysis: the analysis of one version of a document, computed once and read by
//! every front end (the language server, `bioscope tag`, `bioscope eval`, exports).
//!
//! [`Analyzer`] holds what analysis needs (the cached tagger, the lexicon, the rules) and
//! turns a text into a [`DocumentAnalysis`]: paragraphs with their prose (non-prose masked),
//! entities after the model sentence by sentence, recall recovery ([`recovery`]),
//! whole-document abbreviation consistency ([`consistency`]) and the user's decisions, the
//! abbreviations the prose defines, and the document context that normalization reads (its
//! organism, the species it names). Front ends only convert it: to LSP positions and tokens,
//! to PubTator or JSON, to scores.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod analyzer;
pub mod boundaries;
pub mod consistency;
pub mod decisions;
pub mod document;
pub mod passes;
pub mod recovery;

pub use analyzer::{steps, Analyzer, Request};
pub use consistency::Consistency;
pub use decisions::{DecidedEntity, Overrides};
pub use document::{DocumentAnalysis, TaggedParagraph};
pub use passes::SentencePasses;
pub use recovery::RECOVERED_SCORE;
