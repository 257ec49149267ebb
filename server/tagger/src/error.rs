//! Why a tagger could not load or run.

use bioscope_core::bundle::BundleError;
use bioscope_core::encoding::EncodingError;

use crate::runtime::RuntimeError;

/// Why a tagger could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum TaggerError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("ONNX Runtime: {0}")]
    RuntimeCall(String),
    #[error("the model does not match its bundle: {0}")]
    Model(String),
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}
