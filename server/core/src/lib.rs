//! bioscope-core: the plain-data heart of BioScope.
//!
//! Entity types and the BIO label scheme, spans in UTF-8 byte offsets, CRF/BIO decoding,
//! word-piece encoding, word shapes and lexicon-match bits, corpus readers, entity-level metrics, the model bundle format and the
//! corrections store format.
//! No async, no LSP, no ONNX Runtime, no candle: the trainer and the tagger both build on it,
//! so that they decode and score exactly the same way.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod bundle;
pub mod corpus;
pub mod corrections;
pub mod decode;
pub mod encoding;
pub mod entity;
pub mod export;
pub mod hash;
pub mod lexicon_match;
pub mod metrics;
pub mod retraining;
pub mod segment;
pub mod shape;
pub mod workspace_models;

pub use entity::{EntityType, LabelScheme, TypeDefinitionError};
