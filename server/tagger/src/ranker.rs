//! The name ranker's encoder on ONNX Runtime ([`bioscope_lexicon::ranker`]): names in, unit
//! vectors out, and [`attach_ranker`], which gives a lexicon the ranker folder beside it.

use std::path::Path;
use std::sync::Mutex;

use bioscope_core::encoding::WordPieceEncoder;
use bioscope_lexicon::ranker::{RankerManifest, RANKER_DIR, RANKER_MODEL, RANKER_TOKENIZER};
use bioscope_lexicon::{Lexicon, NameEncoder, Ranker};
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;

use crate::error::TaggerError;
use crate::onnx::ort_err;
use crate::options::TaggerOptions;
use crate::runtime::environment;

/// The ranker's graph and tokenizer.
pub struct OnnxNameEncoder {
    session: Mutex<Session>,
    tokenizer: WordPieceEncoder,
    max_len: usize,
    dimension: usize,
}

impl OnnxNameEncoder {
    /// Loads the graph and tokenizer of the ranker folder `dir`, checked against its manifest.
    pub fn load(
        dir: &Path,
        options: &TaggerOptions,
    ) -> Result<(OnnxNameEncoder, RankerManifest), TaggerError> {
        let manifest = RankerManifest::read(dir).map_err(|e| TaggerError::Model(e.to_string()))?;
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path)
                .map_err(|e| TaggerError::Model(format!("cannot read {}: {e}", path.display())))
        };
        let model = read(RANKER_MODEL)?;
        let tokenizer = read(RANKER_TOKENIZER)?;
        for (name, bytes, expected) in [
            (RANKER_MODEL, &model, &manifest.model_sha256),
            (RANKER_TOKENIZER, &tokenizer, &manifest.tokenizer_sha256),
        ] {
            if bioscope_core::hash::sha256_hex(bytes) != *expected {
                return Err(TaggerError::Model(format!(
                    "{} does not match the checksum in its ranker.json",
                    dir.join(name).display()
                )));
            }
        }
        let tokenizer = WordPieceEncoder::from_bytes(&tokenizer)?;
        let env = environment(options.library.as_deref())?;
        let session = Session::builder(env)
            .map_err(ort_err)?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(ort_err)?
            // One thread: a name is a few pieces; more threads only add hand-over costs.
            .with_intra_threads(1)
            .map_err(ort_err)?
            .commit_from_memory(&model)
            .map_err(|e| TaggerError::Model(e.to_string()))?;
        if !session.outputs().iter().any(|o| o.name() == "embedding") {
            return Err(TaggerError::Model(
                "the ranker graph has no `embedding` output".into(),
            ));
        }
        Ok((
            OnnxNameEncoder {
                session: Mutex::new(session),
                tokenizer,
                max_len: manifest.max_len,
                dimension: manifest.dimension,
            },
            manifest,
        ))
    }
}

impl NameEncoder for OnnxNameEncoder {
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| {
                self.tokenizer
                    .encode_text(t, self.max_len)
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        let b = ids.len();
        let t = ids.iter().map(Vec::len).max().unwrap_or(1);
        let mut flat = vec![0i64; b * t];
        let mut mask = vec![0i64; b * t];
        for (row, seq) in ids.iter().enumerate() {
            for (p, &id) in seq.iter().enumerate() {
                flat[row * t + p] = i64::from(id);
                mask[row * t + p] = 1;
            }
        }
        let flat = Tensor::from_array(([b, t], flat)).map_err(|e| e.to_string())?;
        let mask = Tensor::from_array(([b, t], mask)).map_err(|e| e.to_string())?;
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session
            .run(ort::inputs!["input_ids" => flat, "attention_mask" => mask])
            .map_err(|e| e.to_string())?;
        let (shape, values) = outputs["embedding"]
            .try_extract_tensor::<f32>()
            .map_err(|e| e.to_string())?;
        if shape.len() != 2 || shape[0] as usize != b || shape[1] as usize != self.dimension {
            return Err(format!("the ranker graph returned shape {shape:?}"));
        }
        Ok(values.chunks(self.dimension).map(<[f32]>::to_vec).collect())
    }
}

/// Attaches the ranker folder inside the lexicon folder `lexicon_dir` (`ranker/`) to
/// `lexicon`: `Ok(false)` when there is none, an error saying why when it cannot be used (the
/// lexicon then normalizes without it).
pub fn attach_ranker(
    lexicon: &Lexicon,
    lexicon_dir: &Path,
    options: &TaggerOptions,
) -> Result<bool, TaggerError> {
    let dir = lexicon_dir.join(RANKER_DIR);
    if !dir.is_dir() {
        return Ok(false);
    }
    let (encoder, _) = OnnxNameEncoder::load(&dir, options)?;
    let ranker = Ranker::open(&dir, lexicon, Box::new(encoder))
        .map_err(|e| TaggerError::Model(e.to_string()))?;
    Ok(lexicon.attach_ranker(Box::new(ranker)))
}
