//! An ONNX Runtime session over a bundle's model: padded id batches in, per-piece logits out.
//!
//! One batch runs at a time (each uses all the session's threads). Work is
//! [`Priority::Interactive`] (what an editor is waiting for) or [`Priority::Background`] (whole
//! documents, batch runs): no background batch starts while interactive work is under way
//! ([`OnnxModel::interactive`]) or waiting, so a keystroke waits for at most one background
//! batch, never for a long document.

use std::sync::{Condvar, Mutex};

use bioscope_core::bundle::{LEXICON_INPUT, SHAPE_INPUT};
use bioscope_core::lexicon_match::{write_floats, MatchBits, NUM_LEXICON_FEATURES};
use bioscope_core::shape::SPECIAL;
use ort::ep::{ExecutionProvider, CUDA};
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use ort::value::Tensor;

use crate::error::TaggerError;
use crate::options::{Device, TaggerOptions};
use crate::runtime::environment;

/// Who waits for a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Priority {
    /// Someone is waiting for the answer (an edit, the visible part of a document).
    #[default]
    Interactive,
    /// Work nobody waits on right now; yields to interactive batches.
    Background,
}

/// Admits one batch at a time, interactive batches first.
#[derive(Default)]
struct PriorityGate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    running: bool,
    /// Interactive batches waiting, plus interactive calls under way.
    interactive: usize,
}

/// Keeps background batches out for the length of an interactive call (see
/// [`OnnxModel::interactive`]).
pub struct InteractiveWork<'a>(Option<&'a PriorityGate>);

impl Drop for InteractiveWork<'_> {
    fn drop(&mut self) {
        if let Some(gate) = self.0 {
            gate.state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .interactive -= 1;
            gate.changed.notify_all();
        }
    }
}

/// Holds the gate; releases it on drop (also on a panic).
struct GatePass<'a>(&'a PriorityGate);

impl PriorityGate {
    fn enter(&self, priority: Priority) -> GatePass<'_> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match priority {
            Priority::Interactive => {
                state.interactive += 1;
                while state.running {
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                state.interactive -= 1;
            }
            Priority::Background => {
                while state.running || state.interactive > 0 {
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
        state.running = true;
        GatePass(self)
    }
}

impl Drop for GatePass<'_> {
    fn drop(&mut self) {
        self.0
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .running = false;
        self.0.changed.notify_all();
    }
}

/// The per-piece inputs besides the ids, one slice per sequence of a batch: shape ids and
/// lexicon-match bits, each empty (no slices) when the model does not take them.
#[derive(Default)]
pub struct Features<'a> {
    pub shapes: Vec<&'a [u32]>,
    pub lexicon: Vec<&'a [MatchBits]>,
}

/// Whether `per_sequence` holds one value per piece of every sequence of `batch`.
fn one_per_piece<T>(per_sequence: &[&[T]], batch: &[&[u32]]) -> bool {
    per_sequence.len() == batch.len()
        && per_sequence
            .iter()
            .zip(batch)
            .all(|(v, ids)| v.len() == ids.len())
}

/// A loaded `model.onnx` with the bundle's input/output contract.
pub struct OnnxModel {
    /// Taken only inside the gate, so never contended.
    session: Mutex<Session>,
    gate: PriorityGate,
    num_labels: usize,
    shape_features: bool,
    lexicon_features: bool,
    device: Device,
    device_note: Option<String>,
}

/// A session on the CUDA execution provider, or why there is none (the library has no CUDA
/// provider, or registering it failed: no GPU, no CUDA or cuDNN libraries).
fn cuda_session(
    builder: SessionBuilder,
    commit: &dyn Fn(SessionBuilder) -> Result<Session, TaggerError>,
) -> Result<Session, String> {
    match CUDA::is_available() {
        Ok(true) => {}
        Ok(false) => {
            return Err(
                "this ONNX Runtime library has no CUDA execution provider (use the \
                 onnxruntime-gpu wheel's library in ORT_DYLIB_PATH)"
                    .into(),
            )
        }
        Err(e) => return Err(format!("ONNX Runtime could not list its providers: {e}")),
    }
    let builder = builder
        .with_execution_providers([CUDA::default().build().error_on_failure()])
        .map_err(|e| format!("the CUDA execution provider did not start: {e}"))?;
    commit(builder).map_err(|e| format!("the model did not load on CUDA: {e}"))
}

pub(crate) fn ort_err(e: impl std::fmt::Display) -> TaggerError {
    TaggerError::RuntimeCall(e.to_string())
}

impl OnnxModel {
    /// A session over `model`, whose inputs must be `input_ids`, `attention_mask` and, when
    /// `shape_features`, `shape_ids`, then when `lexicon_features`, `lexicon_features`.
    pub fn from_bytes(
        model: &[u8],
        num_labels: usize,
        (shape_features, lexicon_features): (bool, bool),
        options: &TaggerOptions,
    ) -> Result<Self, TaggerError> {
        let env = environment(options.library.as_deref())?;
        let builder = || {
            Session::builder(env)
                .map_err(ort_err)?
                .with_optimization_level(GraphOptimizationLevel::All)
                .map_err(ort_err)?
                .with_intra_threads(options.threads.max(1))
                .map_err(ort_err)
        };
        let commit = |mut b: SessionBuilder| {
            b.commit_from_memory(model)
                .map_err(|e| TaggerError::Model(e.to_string()))
        };
        let (session, device, device_note) = match options.device {
            Device::Cpu => (commit(builder()?)?, Device::Cpu, None),
            Device::Cuda => match cuda_session(builder()?, &commit) {
                Ok(session) => (session, Device::Cuda, None),
                Err(why) => (
                    commit(builder()?)?,
                    Device::Cpu,
                    Some(format!("CUDA was asked for but {why}; tagging on the CPU")),
                ),
            },
        };
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        let mut expected = vec!["input_ids", "attention_mask"];
        if shape_features {
            expected.push(SHAPE_INPUT);
        }
        if lexicon_features {
            expected.push(LEXICON_INPUT);
        }
        if inputs != expected {
            return Err(TaggerError::Model(format!(
                "model inputs are {inputs:?}, the manifest implies {expected:?}"
            )));
        }
        if !session.outputs().iter().any(|o| o.name() == "logits") {
            return Err(TaggerError::Model("model has no `logits` output".into()));
        }
        Ok(OnnxModel {
            session: Mutex::new(session),
            gate: PriorityGate::default(),
            num_labels,
            shape_features,
            lexicon_features,
            device,
            device_note,
        })
    }

    /// Where inference runs.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Why inference runs elsewhere than asked (CUDA unavailable), if it does.
    pub fn device_note(&self) -> Option<&str> {
        self.device_note.as_deref()
    }

    /// Marks the caller's work as interactive until the guard drops: background batches wait
    /// for all of its batches, not just the current one. For `Background` work, first waits
    /// until no interactive work is under way, so that its preparation (tokenizing a whole
    /// document) does not take a core from the work someone waits for.
    pub fn interactive(&self, priority: Priority) -> InteractiveWork<'_> {
        let mut state = self.gate.state.lock().unwrap_or_else(|e| e.into_inner());
        if priority == Priority::Background {
            while state.interactive > 0 {
                state = self
                    .gate
                    .changed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            return InteractiveWork(None);
        }
        state.interactive += 1;
        InteractiveWork(Some(&self.gate))
    }

    pub fn num_labels(&self) -> usize {
        self.num_labels
    }

    /// Whether the model takes word-shape ids.
    pub fn shape_features(&self) -> bool {
        self.shape_features
    }

    /// Whether the model takes lexicon-match features.
    pub fn lexicon_features(&self) -> bool {
        self.lexicon_features
    }

    /// Logits for a batch of id sequences, right-padded to the longest: returns the
    /// row-major `[batch, len, labels]` scores and `len`. `features` holds each sequence's
    /// shape ids and lexicon bits when the model takes them
    /// ([`shape_features`](Self::shape_features), [`lexicon_features`](Self::lexicon_features)).
    pub fn logits(
        &self,
        batch: &[&[u32]],
        features: &Features,
        priority: Priority,
    ) -> Result<(Vec<f32>, usize), TaggerError> {
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
        let shapes = &features.shapes;
        let shape_ids = if self.shape_features {
            if !one_per_piece(shapes, batch) {
                return Err(TaggerError::Model(
                    "the model takes shape ids: one per piece of every sequence".into(),
                ));
            }
            let mut padded = vec![i64::from(SPECIAL); b * t];
            for (row, seq) in shapes.iter().enumerate() {
                for (p, &s) in seq.iter().enumerate() {
                    padded[row * t + p] = i64::from(s);
                }
            }
            Some(Tensor::from_array(([b, t], padded)).map_err(ort_err)?)
        } else {
            None
        };
        let lexicon = &features.lexicon;
        let lexicon_bits = if self.lexicon_features {
            if !one_per_piece(lexicon, batch) {
                return Err(TaggerError::Model(
                    "the model takes lexicon features: one per piece of every sequence".into(),
                ));
            }
            let f = NUM_LEXICON_FEATURES;
            let mut padded = vec![0f32; b * t * f];
            for (row, seq) in lexicon.iter().enumerate() {
                for (p, &bits) in seq.iter().enumerate() {
                    let at = (row * t + p) * f;
                    write_floats(bits, &mut padded[at..at + f]);
                }
            }
            Some(Tensor::from_array(([b, t, f], padded)).map_err(ort_err)?)
        } else {
            None
        };
        let mut inputs = ort::inputs!["input_ids" => ids, "attention_mask" => mask];
        if let Some(shape_ids) = shape_ids {
            inputs.push((SHAPE_INPUT.into(), shape_ids.into()));
        }
        if let Some(bits) = lexicon_bits {
            inputs.push((LEXICON_INPUT.into(), bits.into()));
        }
        let _pass = self.gate.enter(priority);
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session.run(inputs).map_err(ort_err)?;
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
