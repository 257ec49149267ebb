//! bioscope-tagger: runs a BioScope model bundle through ONNX Runtime.
//!
//! [`runtime`] loads the ONNX Runtime library (from an explicit path or `ORT_DYLIB_PATH`, never
//! from a workspace); [`OnnxModel`] wraps a session over a bundle's `model.onnx`; [`Tagger`]
//! turns word sequences into BIO tags with the bundle's tokenizer and the CRF decoding of
//! bioscope-core, exactly as the trainer decodes; [`ranker`] runs the lexicon's name ranker.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cache;
pub mod error;
pub mod onnx;
pub mod options;
pub mod ranker;
pub mod runtime;
pub mod tagger;

pub use cache::{CacheStats, CachedTagger, SentencePass};
pub use error::TaggerError;
pub use onnx::{Features, InteractiveWork, OnnxModel, Priority};
pub use options::{Device, TaggerOptions};
pub use ranker::{attach_ranker, OnnxNameEncoder};
pub use tagger::{Tagger, TextEntity};
