//! How the tagger runs its model: threads, the ONNX Runtime library, batch size.

use std::path::PathBuf;

/// How to run the model.
#[derive(Clone, Debug)]
pub struct TaggerOptions {
    /// Intra-op threads for ONNX Runtime.
    pub threads: usize,
    /// The ONNX Runtime library; `None` reads `ORT_DYLIB_PATH`.
    pub library: Option<PathBuf>,
    /// Padded pieces per inference batch.
    pub batch_tokens: usize,
}

impl Default for TaggerOptions {
    fn default() -> Self {
        TaggerOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            library: None,
            batch_tokens: 8192,
        }
    }
}
