//! An ONNX Runtime session over a bundle's model: padded id batches in, per-piece logits out.

use std::sync::Mutex;

use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;

use crate::runtime::environment;
use crate::tagger::{TaggerError, TaggerOptions};

/// A loaded `model.onnx` with the bundle's input/output contract.
pub struct OnnxModel {
    session: Mutex<Session>,
    num_labels: usize,
}

fn ort_err(e: impl std::fmt::Display) -> TaggerError {
    TaggerError::RuntimeCall(e.to_string())
}

impl OnnxModel {
    pub fn from_bytes(
        model: &[u8],
        num_labels: usize,
        options: &TaggerOptions,
    ) -> Result<Self, TaggerError> {
        let env = environment(options.library.as_deref())?;
        let session = Session::builder(env)
            .map_err(ort_err)?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(ort_err)?
            .with_intra_threads(options.threads.max(1))
            .map_err(ort_err)?
            .commit_from_memory(model)
            .map_err(|e| TaggerError::Model(e.to_string()))?;
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        if inputs != ["input_ids", "attention_mask"] {
            return Err(TaggerError::Model(format!(
                "model inputs are {inputs:?}, expected [\"input_ids\", \"attention_mask\"]"
            )));
        }
        if !session.outputs().iter().any(|o| o.name() == "logits") {
            return Err(TaggerError::Model("model has no `logits` output".into()));
        }
        Ok(OnnxModel {
            session: Mutex::new(session),
            num_labels,
        })
    }

    pub fn num_labels(&self) -> usize {
        self.num_labels
    }

    /// Logits for a batch of id sequences, right-padded to the longest: returns the
    /// row-major `[batch, len, labels]` scores and `len`.
    pub fn logits(&self, batch: &[&[u32]]) -> Result<(Vec<f32>, usize), TaggerError> {
        let b = batch.len();
        let t = batch.iter().map(|s| s.len()).max().unwrap_or(0);
        if b == 0 || t == 0 {
            return Ok((Vec::new(), 0));
        }
        let mut ids = vec![0i64; b * t];
        let mut mask = vec![0i64; b * t];
        for (row, seq) in batch.iter().enumerate() {
            for (p, &id) in seq.iter().enumerate() {
                ids[row * t + p] = id as i64;
                mask[row * t + p] = 1;
            }
        }
        let ids = Tensor::from_array(([b, t], ids)).map_err(ort_err)?;
        let mask = Tensor::from_array(([b, t], mask)).map_err(ort_err)?;
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session
            .run(ort::inputs!["input_ids" => ids, "attention_mask" => mask])
            .map_err(ort_err)?;
        let logits = outputs
            .get("logits")
            .ok_or_else(|| TaggerError::Model("model returned no `logits`".into()))?;
        let (shape, data) = logits.try_extract_tensor::<f32>().map_err(ort_err)?;
        let expected = [b as i64, t as i64, self.num_labels as i64];
        if shape[..] != expected[..] {
            return Err(TaggerError::Model(format!(
                "logits have shape {shape:?}, expected {expected:?}"
            )));
        }
        Ok((data.to_vec(), t))
    }
}
