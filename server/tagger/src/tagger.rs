//! The tagger facade: a checked bundle plus its ONNX session, tagging word sequences.

use std::path::{Path, PathBuf};

use bioscope_core::bundle::{Bundle, BundleError};
use bioscope_core::decode::decode_window_into;
use bioscope_core::encoding::{plan_batches, EncodingError, Window};
use bioscope_core::entity::Tag;

use crate::onnx::OnnxModel;
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

pub struct Tagger {
    pub bundle: Bundle,
    model: OnnxModel,
    options: TaggerOptions,
}

impl Tagger {
    /// Opens and checks the bundle in `dir` and starts an ONNX Runtime session on it.
    pub fn load(dir: &Path, options: TaggerOptions) -> Result<Tagger, TaggerError> {
        let mut bundle = Bundle::open(dir)?;
        let model = OnnxModel::from_bytes(&bundle.model_bytes, bundle.scheme.len(), &options)?;
        bundle.model_bytes = Vec::new();
        Ok(Tagger {
            bundle,
            model,
            options,
        })
    }

    pub fn model(&self) -> &OnnxModel {
        &self.model
    }

    /// BIO tags for each word sequence (e.g. the sentences of a token-level corpus).
    pub fn tag_words<S: AsRef<str>>(
        &self,
        sentences: &[Vec<S>],
    ) -> Result<Vec<Vec<Tag>>, TaggerError> {
        let max_len = self.bundle.manifest.max_sequence_length;
        let mut windows: Vec<(usize, Window)> = Vec::new();
        for (i, words) in sentences.iter().enumerate() {
            for w in self.bundle.encoder.encode_words(words, max_len)? {
                windows.push((i, w));
            }
        }
        let mut tags: Vec<Vec<Tag>> = sentences
            .iter()
            .map(|s| vec![Tag::Outside; s.len()])
            .collect();
        let lengths: Vec<usize> = windows.iter().map(|(_, w)| w.ids.len()).collect();
        let n = self.bundle.scheme.len();
        for members in plan_batches(&lengths, self.options.batch_tokens, None) {
            let batch: Vec<&[u32]> = members
                .iter()
                .map(|&i| windows[i].1.ids.as_slice())
                .collect();
            let (logits, t) = self.model.logits(&batch)?;
            for (row, &i) in members.iter().enumerate() {
                let (sentence, window) = &windows[i];
                let emissions = &logits[row * t * n..(row * t + window.ids.len()) * n];
                decode_window_into(
                    &mut tags[*sentence],
                    window,
                    emissions,
                    &self.bundle.scheme,
                    &self.bundle.crf,
                );
            }
        }
        Ok(tags)
    }
}
