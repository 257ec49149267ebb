//! A training run directory: `run.json` ([`RunInfo`]), `tokenizer.json`, `best.safetensors`
//! (the weights chosen on the dev split) and `checkpoint/` (the latest resumable state).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bioscope_core::bundle::{EvaluationRecord, TrainingRecord};
use bioscope_core::encoding::WordPieceEncoder;
use bioscope_core::{EntityType, LabelScheme};
use serde::{Deserialize, Serialize};

use crate::bert::BertConfig;
use crate::model::TokenClassifier;

pub const RUN_FILE: &str = "run.json";
pub const BEST_WEIGHTS: &str = "best.safetensors";
pub const RUN_TOKENIZER: &str = "tokenizer.json";

/// Training speed, measured over the run's optimizer steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub sequences_per_second: f64,
    pub tokens_per_second: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub name: String,
    pub bert: BertConfig,
    pub types: Vec<String>,
    pub max_len: usize,
    pub training: TrainingRecord,
    #[serde(default)]
    pub evaluation: Vec<EvaluationRecord>,
    #[serde(default)]
    pub throughput: Throughput,
    /// The lexicon that gives the model its lexicon-match features, when it takes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lexicon: Option<PathBuf>,
}

impl RunInfo {
    pub fn read(dir: &Path) -> Result<RunInfo> {
        let path = dir.join(RUN_FILE);
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("invalid {}", path.display()))
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(RUN_FILE);
        fs::write(&path, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn scheme(&self) -> Result<LabelScheme> {
        let types: Vec<EntityType> = self
            .types
            .iter()
            .map(|t| EntityType::named(t))
            .collect::<Result<_, _>>()?;
        Ok(LabelScheme::new(&types))
    }

    /// Replaces or adds the figure for `(corpus, split)`.
    pub fn record_evaluation(&mut self, record: EvaluationRecord) {
        self.evaluation
            .retain(|r| !(r.corpus == record.corpus && r.split == record.split));
        self.evaluation.push(record);
    }
}

/// A trained model loaded from a run directory.
pub struct LoadedRun {
    pub dir: PathBuf,
    pub info: RunInfo,
    pub model: TokenClassifier,
    pub encoder: WordPieceEncoder,
}

pub fn load_run(dir: &Path) -> Result<LoadedRun> {
    let info = RunInfo::read(dir)?;
    let mut model = TokenClassifier::new(&info.bert, info.scheme()?, 0)?;
    model.load(&dir.join(BEST_WEIGHTS))?;
    if info.bert.lexicon_features {
        let Some(path) = &info.lexicon else {
            bail!(
                "{}: the model takes lexicon features but the run names no lexicon",
                dir.display()
            );
        };
        model.lexicon = Some(crate::model::open_feature_lexicon(path)?);
    }
    let encoder = WordPieceEncoder::from_file(&dir.join(RUN_TOKENIZER))?;
    Ok(LoadedRun {
        dir: dir.to_path_buf(),
        info,
        model,
        encoder,
    })
}
