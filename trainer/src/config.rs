//! The training configuration, read from a TOML file (`bioscope-train train --config FILE`).
//! Relative paths are resolved from the current directory (run from the repository root).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bioscope_core::EntityType;
use serde::{Deserialize, Serialize};

use crate::data::CorpusSpec;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The bundle's name.
    pub name: String,
    /// A Hugging Face BERT directory (config.json, model.safetensors, tokenizer.json), or
    /// `tiny` for a seeded 2-layer, 32-wide encoder (tests) that uses `tokenizer`.
    pub encoder: String,
    /// tokenizer.json to use; defaults to the encoder directory's.
    #[serde(default)]
    pub tokenizer: Option<PathBuf>,
    /// Entity types the model tags (labels O, B-T, I-T in this order): built-in names, or
    /// names of types of one's own (defined for the run: "Organ", "BIOMARKER"), which corpora
    /// label by the same name.
    pub types: Vec<String>,
    pub train: Vec<CorpusSpec>,
    #[serde(default)]
    pub dev: Vec<CorpusSpec>,
    #[serde(default = "d_max_len")]
    pub max_len: usize,
    #[serde(default = "d_epochs")]
    pub epochs: usize,
    /// Padded pieces per batch.
    #[serde(default = "d_batch_tokens")]
    pub batch_tokens: usize,
    /// Peak learning rate of the encoder.
    #[serde(default = "d_lr")]
    pub lr: f64,
    /// Peak learning rate of the classifier and CRF.
    #[serde(default = "d_head_lr")]
    pub head_lr: f64,
    #[serde(default = "d_weight_decay")]
    pub weight_decay: f64,
    /// Fraction of the steps spent warming up linearly; the rest decays linearly to zero.
    #[serde(default = "d_warmup")]
    pub warmup: f64,
    /// Global gradient-norm clip.
    #[serde(default = "d_clip")]
    pub clip: f64,
    /// Dropout probability (hidden and attention).
    #[serde(default = "d_dropout")]
    pub dropout: f64,
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Freeze the embeddings and this many lower layers, caching their outputs once.
    #[serde(default)]
    pub freeze_layers: usize,
    /// Add a learned vector per word shape (capitals, digits, Greek letters) to the input
    /// embeddings, which the uncased encoder cannot see; the bundle then takes `shape_ids`.
    /// Needs `freeze_layers = 0` (the embeddings must train).
    #[serde(default)]
    pub shape_features: bool,
    /// A lexicon file (`names.lexicon`) whose names give each word lexicon-match features
    /// (`bioscope_lexicon::matches`): a learned vector per type whose name begins or continues
    /// there is added to the input embeddings. Build it without annotated corpora (`bioscope
    /// lexicon build --no-corpora`), or every training mention would be a lexicon name. Needs
    /// `freeze_layers = 0`.
    #[serde(default)]
    pub lexicon_features: Option<PathBuf>,
    /// Use only the pretrained encoder's first this many transformer layers: a smaller and
    /// faster model (the lab-value tagger). Default: all of them.
    #[serde(default)]
    pub encoder_layers: Option<usize>,
    /// Keep only the word pieces the training corpora use, the special tokens and every
    /// single-character piece ([`crate::vocabulary`]): a smaller embedding table for a model of
    /// a narrow kind of text (lab reports). The run's tokenizer is the trimmed one.
    #[serde(default)]
    pub trim_vocabulary: bool,
    /// With `trim_vocabulary`: also keep the pretrained vocabulary's first this many pieces
    /// (WordPiece vocabularies list common words early), so that ordinary words the training
    /// corpora never use keep their pretrained embeddings instead of splitting into fragments.
    #[serde(default)]
    pub keep_common_pieces: usize,
    /// Save a resumable checkpoint every this many steps (and at each epoch's end).
    #[serde(default = "d_checkpoint_every")]
    pub checkpoint_every: usize,
    /// With corpus-aware training (`convention` on [[train]] corpora): the convention the
    /// bundle tags in, folded into its weights (default: the unmarked one). Dev corpora are
    /// scored with it; a [[dev]] corpus that names a convention is also scored with its own.
    #[serde(default)]
    pub decode_convention: Option<String>,
    /// Probability that a training sequence loses its marker (takes the unmarked convention),
    /// so that the unmarked convention learns from every corpus.
    #[serde(default)]
    pub convention_dropout: f64,
    /// Ship the average of the last this many epochs' weights when it scores at least as well
    /// on the dev corpora as the best single epoch (checkpoint averaging; 1: no averaging).
    #[serde(default = "d_average_last")]
    pub average_last: usize,
}

fn d_max_len() -> usize {
    128
}
fn d_epochs() -> usize {
    3
}
fn d_batch_tokens() -> usize {
    2048
}
fn d_lr() -> f64 {
    5e-5
}
fn d_head_lr() -> f64 {
    1e-3
}
fn d_weight_decay() -> f64 {
    0.01
}
fn d_warmup() -> f64 {
    0.1
}
fn d_clip() -> f64 {
    1.0
}
fn d_dropout() -> f64 {
    0.1
}
fn d_seed() -> u64 {
    42
}
fn d_checkpoint_every() -> usize {
    500
}
fn d_average_last() -> usize {
    1
}

impl TrainConfig {
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let config: TrainConfig =
            toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        self.entity_types()?;
        if self.train.is_empty() {
            bail!("the config lists no [[train]] corpus");
        }
        if self.max_len < 8 {
            bail!("max_len must be at least 8");
        }
        if self.shape_features && self.freeze_layers > 0 {
            bail!("shape_features needs freeze_layers = 0: the shape vectors are part of the embeddings, which frozen layers cache");
        }
        if self.lexicon_features.is_some() && self.freeze_layers > 0 {
            bail!("lexicon_features needs freeze_layers = 0: the lexicon vectors are part of the embeddings, which frozen layers cache");
        }
        if !(0.0..1.0).contains(&self.dropout) {
            bail!("dropout must be in [0, 1)");
        }
        if self.encoder_layers == Some(0) {
            bail!("encoder_layers must be at least 1");
        }
        if !(0.0..1.0).contains(&self.convention_dropout) {
            bail!("convention_dropout must be in [0, 1)");
        }
        if self.average_last == 0 || self.average_last > self.epochs.max(1) {
            bail!(
                "average_last must be between 1 and epochs ({})",
                self.epochs
            );
        }
        if let Some(c) = self.train.iter().find(|c| c.repeat == Some(0)) {
            bail!("{}: repeat must be at least 1", c.path.display());
        }
        let conventions = self.conventions();
        if !conventions.is_empty() && self.freeze_layers > 0 {
            bail!("corpus conventions need freeze_layers = 0: their markers are added to the embeddings, which frozen layers cache");
        }
        let known = |name: &str| conventions.iter().any(|c| c == name);
        if let Some(d) = self.decode_convention.as_deref().filter(|d| !known(d)) {
            bail!("decode_convention = \"{d}\" is not the convention of any [[train]] corpus (they name: {})", conventions.join(", "));
        }
        if let Some(c) = self
            .dev
            .iter()
            .find(|c| c.convention.as_deref().is_some_and(|n| !known(n)))
        {
            bail!(
                "{}: no [[train]] corpus has the convention it names",
                c.path.display()
            );
        }
        Ok(())
    }

    /// The annotation conventions the [[train]] corpora name, sorted; convention `i` is row
    /// `i + 1` of the model's marker table (row 0 is the unmarked convention).
    pub fn conventions(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .train
            .iter()
            .filter_map(|c| c.convention.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The marker row of a convention name (`None`: the unmarked row 0).
    pub fn convention_row(&self, name: Option<&str>) -> u32 {
        name.and_then(|n| self.conventions().iter().position(|c| c == n))
            .map_or(crate::data::UNMARKED, |i| i as u32 + 1)
    }

    pub fn entity_types(&self) -> Result<Vec<EntityType>> {
        if self.types.is_empty() {
            bail!("the config lists no entity types");
        }
        self.types
            .iter()
            .map(|t| EntityType::named(t).map_err(anyhow::Error::from))
            .collect()
    }

    pub fn is_tiny(&self) -> bool {
        self.encoder == "tiny"
    }

    pub fn tokenizer_path(&self) -> Result<PathBuf> {
        match (&self.tokenizer, self.is_tiny()) {
            (Some(p), _) => Ok(p.clone()),
            (None, false) => Ok(Path::new(&self.encoder).join("tokenizer.json")),
            (None, true) => bail!("a `tiny` encoder needs `tokenizer = ...`"),
        }
    }
}
