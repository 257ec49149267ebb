//! The model bundle: the one format the trainer writes and the tagger reads.
//!
//! A bundle is a directory with `model.onnx` (inputs `input_ids` and `attention_mask`, int64
//! `[batch, sequence]`, and `shape_ids` when the encoder has shape features; output `logits`,
//! float `[batch, sequence, labels]`), `tokenizer.json`
//! and `manifest.json` ([`Manifest`]). [`Bundle::open`] checks every part and names the file
//! and the mismatch when something is wrong.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::decode::CrfTransitions;
use crate::encoding::{EncodingError, WordPieceEncoder};
use crate::entity::{EntityType, LabelScheme};
use crate::hash::sha256_hex;

/// The manifest schema this build reads and writes.
pub const BUNDLE_SCHEMA_VERSION: u32 = 1;
pub const MANIFEST_FILE: &str = "manifest.json";
pub const MODEL_FILE: &str = "model.onnx";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// The model input of word-shape ids ([`crate::shape::word_shape`] per piece), present when
/// [`EncoderShape::shape_features`] is set.
pub const SHAPE_INPUT: &str = "shape_ids";
/// The model input of lexicon-match features (float `[batch, sequence,
/// NUM_LEXICON_FEATURES]`, 0 or 1: [`crate::lexicon_match`] per piece), present when
/// [`EncoderShape::lexicon_features`] is set.
pub const LEXICON_INPUT: &str = "lexicon_features";

/// Numeric format of the exported weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightFormat {
    Fp32,
    /// MatMul weights quantized to int8 per output column; activations quantized dynamically.
    Int8,
}

/// The encoder's shape, mirroring the Hugging Face `config.json` fields that matter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderShape {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    /// The model adds a learned vector per word shape to its input embeddings and takes
    /// [`SHAPE_INPUT`] (absent, false, in bundles without it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shape_features: bool,
    /// The model adds a learned vector per lexicon-match bit to its input embeddings and takes
    /// [`LEXICON_INPUT`], which the tagger fills from the lexicon it is given (absent, false,
    /// in bundles without it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lexicon_features: bool,
}

/// How the model was trained: enough to reproduce it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The command line that trained the model.
    pub command: String,
    /// SHA-256 over the training corpora and the label mapping.
    pub data_sha256: String,
    pub corpora: Vec<String>,
    pub base_encoder: String,
    pub seed: u64,
    pub epochs: usize,
    pub steps: usize,
    pub wall_seconds: f64,
    /// Which weights the bundle holds when not simply the last epoch's: "epoch 3 of 5", or
    /// "average of epochs 4-5" (checkpoint averaging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<String>,
    /// The annotation convention the bundle decodes with, when it was trained corpus-aware
    /// (one learned marker per corpus convention, folded into the exported weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decode_convention: Option<String>,
}

/// How a bundle was fine-tuned from another on user corrections (`bioscope-train finetune`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FinetuneRecord {
    /// The base bundle's name and `model.onnx` SHA-256.
    pub base_name: String,
    pub base_model_sha256: String,
    /// SHA-256 of the corrections file as read, the records used and the lines skipped.
    pub corrections_sha256: String,
    pub corrections: usize,
    pub skipped_lines: usize,
    /// Distinct paragraphs the corrections came from, and replay sentences mixed in.
    pub paragraphs: usize,
    pub replay_sentences: usize,
    /// Top encoder layers trained (the others, and the embeddings, were frozen and cached).
    pub trained_layers: usize,
    pub epochs: usize,
    pub steps: usize,
    pub lr: f64,
    pub head_lr: f64,
    pub seed: u64,
    pub wall_seconds: f64,
}

/// One member of an ensemble bundle (`bioscope model ensemble`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleMember {
    pub name: String,
    pub model_sha256: String,
    /// Its share of the combined emission and CRF scores (the members' weights sum to 1).
    pub weight: f64,
    /// Its mean development F1 at training time, when its manifest had one (the default
    /// weights are proportional to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_f1: Option<f64>,
}

/// One evaluation figure stored with the bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRecord {
    pub corpus: String,
    pub split: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// What computed the figure, e.g. `candle fp32` for the trained model before export.
    #[serde(default)]
    pub engine: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub name: String,
    pub entity_types: Vec<String>,
    /// BIO labels in output order: `O`, then `B-T`, `I-T` per entity type.
    pub labels: Vec<String>,
    /// Learned CRF scores, or `None` for a softmax head (decoded with BIO constraints only).
    pub crf: Option<CrfTransitions>,
    /// The longest window (in word pieces, specials included) the tagger may feed the model.
    pub max_sequence_length: usize,
    pub encoder: EncoderShape,
    pub weights: WeightFormat,
    pub model_sha256: String,
    pub tokenizer_sha256: String,
    pub training: TrainingRecord,
    #[serde(default)]
    pub evaluation: Vec<EvaluationRecord>,
    /// Set when this bundle was fine-tuned from another on user corrections; `training` is then
    /// the base model's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finetune: Option<FinetuneRecord>,
    /// Set when `model.onnx` combines several bundles' graphs (their logits weighted and
    /// summed; `crf` is the same weighted sum of theirs); `training` then summarizes theirs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ensemble: Vec<EnsembleMember>,
}

/// What is wrong with a bundle; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid manifest: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{path}: schema version {found}, but this build reads version {expected}; re-export the bundle with a matching bioscope-train")]
    SchemaVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{path}: {message}")]
    Mismatch { path: PathBuf, message: String },
    #[error("{path}: SHA-256 is {actual} but the manifest says {expected}: the file is corrupt or from another bundle")]
    Hash {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: {source}")]
    Tokenizer {
        path: PathBuf,
        source: EncodingError,
    },
}

/// A checked bundle: manifest, label scheme, decoding scores and tokenizer, plus the model bytes.
pub struct Bundle {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub scheme: LabelScheme,
    /// The manifest's CRF, or zeros for a softmax head.
    pub crf: CrfTransitions,
    pub encoder: WordPieceEncoder,
    pub model_bytes: Vec<u8>,
}

fn read_file(path: &Path) -> Result<Vec<u8>, BundleError> {
    fs::read(path).map_err(|source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl Manifest {
    /// Checks the manifest's internal consistency and returns its label scheme.
    pub fn validate(&self, path: &Path) -> Result<LabelScheme, BundleError> {
        let mismatch = |message: String| BundleError::Mismatch {
            path: path.to_path_buf(),
            message,
        };
        if self.schema_version != BUNDLE_SCHEMA_VERSION {
            return Err(BundleError::SchemaVersion {
                path: path.to_path_buf(),
                found: self.schema_version,
                expected: BUNDLE_SCHEMA_VERSION,
            });
        }
        let types: Vec<EntityType> = self
            .entity_types
            .iter()
            .map(|t| EntityType::named(t).map_err(|e| mismatch(format!("entity_types: {e}"))))
            .collect::<Result<_, _>>()?;
        let scheme = LabelScheme::new(&types);
        if scheme.label_strings() != self.labels {
            return Err(mismatch(format!(
                "labels {:?} do not match entity_types {:?} (expected {:?})",
                self.labels,
                self.entity_types,
                scheme.label_strings()
            )));
        }
        if let Some(crf) = &self.crf {
            if !crf.is_shaped_for(scheme.len()) {
                return Err(mismatch(format!(
                    "crf scores are not {n}x{n} for {n} labels",
                    n = scheme.len()
                )));
            }
        }
        if self.max_sequence_length < 3
            || self.max_sequence_length > self.encoder.max_position_embeddings
        {
            return Err(mismatch(format!(
                "max_sequence_length {} must be between 3 and the encoder's max_position_embeddings {}",
                self.max_sequence_length, self.encoder.max_position_embeddings
            )));
        }
        Ok(scheme)
    }

    /// Writes a bundle directory: the model, the tokenizer, and this manifest with their hashes filled in.
    pub fn write_bundle(
        mut self,
        dir: &Path,
        model: &[u8],
        tokenizer: &[u8],
    ) -> Result<Manifest, BundleError> {
        let io = |path: PathBuf| move |source| BundleError::Io { path, source };
        fs::create_dir_all(dir).map_err(io(dir.to_path_buf()))?;
        self.model_sha256 = sha256_hex(model);
        self.tokenizer_sha256 = sha256_hex(tokenizer);
        self.validate(&dir.join(MANIFEST_FILE))?;
        fs::write(dir.join(MODEL_FILE), model).map_err(io(dir.join(MODEL_FILE)))?;
        fs::write(dir.join(TOKENIZER_FILE), tokenizer).map_err(io(dir.join(TOKENIZER_FILE)))?;
        let json = serde_json::to_string_pretty(&self).map_err(|e| BundleError::Manifest {
            path: dir.join(MANIFEST_FILE),
            message: e.to_string(),
        })?;
        fs::write(dir.join(MANIFEST_FILE), json + "\n").map_err(io(dir.join(MANIFEST_FILE)))?;
        Ok(self)
    }

    /// Reads and validates `manifest.json` in `dir`, without touching the other files.
    pub fn read(dir: &Path) -> Result<(Manifest, LabelScheme), BundleError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = read_file(&path)?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| BundleError::Manifest {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let scheme = manifest.validate(&path)?;
        Ok((manifest, scheme))
    }
}

impl Bundle {
    /// Opens and checks a bundle directory: manifest schema and labels, file hashes, tokenizer.
    pub fn open(dir: &Path) -> Result<Bundle, BundleError> {
        let (manifest, scheme) = Manifest::read(dir)?;
        let check_hash = |path: PathBuf, bytes: &[u8], expected: &str| {
            let actual = sha256_hex(bytes);
            if actual == expected {
                Ok(())
            } else {
                Err(BundleError::Hash {
                    path,
                    expected: expected.to_string(),
                    actual,
                })
            }
        };
        let tok_path = dir.join(TOKENIZER_FILE);
        let tok_bytes = read_file(&tok_path)?;
        check_hash(tok_path.clone(), &tok_bytes, &manifest.tokenizer_sha256)?;
        let model_path = dir.join(MODEL_FILE);
        let model_bytes = read_file(&model_path)?;
        check_hash(model_path, &model_bytes, &manifest.model_sha256)?;
        let encoder =
            WordPieceEncoder::from_bytes(&tok_bytes).map_err(|source| BundleError::Tokenizer {
                path: tok_path.clone(),
                source,
            })?;
        if encoder.vocab_size() > manifest.encoder.vocab_size {
            return Err(BundleError::Mismatch {
                path: tok_path,
                message: format!(
                    "tokenizer has {} tokens but the encoder's vocabulary has {}",
                    encoder.vocab_size(),
                    manifest.encoder.vocab_size
                ),
            });
        }
        let crf = manifest
            .crf
            .clone()
            .unwrap_or_else(|| CrfTransitions::zeros(scheme.len()));
        Ok(Bundle {
            dir: dir.to_path_buf(),
            manifest,
            scheme,
            crf,
            encoder,
            model_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::tests::TINY_TOKENIZER;

    fn manifest() -> Manifest {
        let scheme = LabelScheme::new(&[EntityType::Disease]);
        Manifest {
            schema_version: BUNDLE_SCHEMA_VERSION,
            name: "test".into(),
            entity_types: vec!["Disease".into()],
            labels: scheme.label_strings(),
            crf: Some(CrfTransitions::zeros(3)),
            max_sequence_length: 16,
            encoder: EncoderShape {
                vocab_size: 10,
                hidden_size: 8,
                num_hidden_layers: 1,
                num_attention_heads: 2,
                intermediate_size: 16,
                max_position_embeddings: 32,
                shape_features: false,
                lexicon_features: false,
            },
            weights: WeightFormat::Fp32,
            model_sha256: String::new(),
            tokenizer_sha256: String::new(),
            training: TrainingRecord::default(),
            evaluation: vec![],
            finetune: None,
            ensemble: vec![],
        }
    }

    #[test]
    fn written_bundle_opens_and_corruption_is_named() {
        let dir = tempfile::tempdir().unwrap();
        manifest()
            .write_bundle(dir.path(), b"model bytes", TINY_TOKENIZER.as_bytes())
            .unwrap();
        let b = Bundle::open(dir.path()).unwrap();
        assert_eq!(b.scheme.len(), 3);
        assert_eq!(b.model_bytes, b"model bytes");

        fs::write(dir.path().join(MODEL_FILE), b"model byte").unwrap();
        let err = Bundle::open(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("model.onnx") && err.contains("corrupt"),
            "{err}"
        );

        fs::remove_file(dir.path().join(TOKENIZER_FILE)).unwrap();
        let err = Bundle::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("tokenizer.json"), "{err}");
    }

    #[test]
    fn inconsistent_manifests_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = manifest();
        m.labels.pop();
        let err = m
            .write_bundle(dir.path(), b"m", b"t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("do not match entity_types"), "{err}");

        let mut m = manifest();
        m.crf = Some(CrfTransitions::zeros(2));
        assert!(m.write_bundle(dir.path(), b"m", b"t").is_err());

        let mut m = manifest();
        m.schema_version = 99;
        let err = m
            .write_bundle(dir.path(), b"m", b"t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("schema version 99"), "{err}");
    }

    #[test]
    fn finetune_record_is_optional() {
        let json = serde_json::to_string(&manifest()).unwrap();
        assert!(!json.contains("finetune"), "{json}");
        let mut m = manifest();
        m.finetune = Some(FinetuneRecord {
            base_name: "base".into(),
            corrections: 3,
            ..FinetuneRecord::default()
        });
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);
    }

    #[test]
    fn garbage_manifest_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(MANIFEST_FILE), b"{not json").unwrap();
        let err = Bundle::open(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("manifest.json is not a valid manifest"),
            "{err}"
        );
    }
}
