//! Choosing the annotation convention a corpus-aware run decodes in. `bioscope-train
//! conventions` scores every convention (and the unmarked one) on every dev corpus of the run's
//! config, from the run's full weights (its checkpoint, or the mean of epoch files), so the
//! choice is made on dev splits; `bioscope-train fold` writes the chosen convention into the
//! run's deployable weights (`best.safetensors`) and its record, for `export`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bioscope_core::bundle::EvaluationRecord;
use bioscope_core::corpus::{corpus_name, Sentence};
use bioscope_core::encoding::WordPieceEncoder;
use bioscope_core::metrics::Counts;
use bioscope_core::{EntityType, LabelScheme};

use crate::config::TrainConfig;
use crate::eval::{predict_as, score};
use crate::model::TokenClassifier;
use crate::run::{RunInfo, BEST_WEIGHTS, RUN_TOKENIZER};
use crate::train::{average, build_model, CHECKPOINT_DIR};

/// The name of the unmarked convention in tables and on the command line.
pub const UNMARKED_NAME: &str = "unmarked";

/// A dev corpus of the config: its path, sentences and the types it annotates.
type DevCorpus = (String, Vec<Sentence>, Vec<EntityType>);

/// A run's full weights (every convention's marker), ready to decode in any convention.
pub struct FullModel {
    pub config: TrainConfig,
    pub model: TokenClassifier,
    pub encoder: WordPieceEncoder,
    /// Which weights these are, for the run's record ("the checkpoint", "average of ...").
    pub source: String,
}

impl FullModel {
    /// The run's config (from its checkpoint state) with the checkpoint's weights, or the mean
    /// of `weights` (e.g. the epoch files the run keeps for averaging).
    pub fn load(run: &Path, weights: &[PathBuf]) -> Result<FullModel> {
        let state_path = run.join(CHECKPOINT_DIR).join("state.json");
        let state: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&state_path)
                .with_context(|| format!("cannot read {}", state_path.display()))?,
        )
        .with_context(|| format!("invalid {}", state_path.display()))?;
        let config: TrainConfig = serde_json::from_value(state["config"].clone())
            .with_context(|| format!("{}: no config", state_path.display()))?;
        // A finished run keeps its tokenizer; one still training reads the config's.
        let tokenizer = Some(run.join(RUN_TOKENIZER))
            .filter(|p| p.is_file())
            .map_or_else(|| config.tokenizer_path(), Ok)?;
        let encoder = WordPieceEncoder::from_file(&tokenizer)?;
        let scheme = LabelScheme::new(&config.entity_types()?);
        let model = build_model(&config, scheme, &encoder)?;
        let name = |p: &PathBuf| {
            p.file_name().map_or(p.display().to_string(), |n| {
                n.to_string_lossy().into_owned()
            })
        };
        let source = match weights {
            [] => "the last checkpoint".to_string(),
            [one] => name(one),
            several => format!(
                "average of {}",
                several.iter().map(name).collect::<Vec<_>>().join(", ")
            ),
        };
        match weights {
            [] => model.load(&run.join(CHECKPOINT_DIR).join("model.safetensors"))?,
            [one] => model.load(one)?,
            several => {
                let sets = several
                    .iter()
                    .map(|path| {
                        candle_core::safetensors::load(path, &crate::bert::device())
                            .with_context(|| format!("cannot read {}", path.display()))
                            .map(|m| m.into_iter().collect::<BTreeMap<_, _>>())
                    })
                    .collect::<Result<Vec<_>>>()?;
                model.set_tensors(&average(&sets)?)?;
            }
        }
        Ok(FullModel {
            config,
            model,
            encoder,
            source,
        })
    }

    /// `unmarked` first, then the config's conventions.
    pub fn convention_names(&self) -> Vec<String> {
        std::iter::once(UNMARKED_NAME.to_string())
            .chain(self.config.conventions())
            .collect()
    }

    fn row(&self, name: &str) -> Result<u32> {
        if name == UNMARKED_NAME {
            return Ok(crate::data::UNMARKED);
        }
        anyhow::ensure!(
            self.config.conventions().iter().any(|c| c == name),
            "no convention `{name}` in the run's config (it has {})",
            self.convention_names().join(", ")
        );
        Ok(self.config.convention_row(Some(name)))
    }

    /// The config's dev corpora: path, sentences, annotated types.
    fn dev(&self) -> Result<Vec<DevCorpus>> {
        let types = self.config.entity_types()?;
        self.config
            .dev
            .iter()
            .map(|spec| {
                Ok((
                    spec.path.display().to_string(),
                    spec.read()?,
                    spec.annotated_types(&types)?,
                ))
            })
            .collect()
    }

    /// Strict micro scores on each dev corpus, decoding in convention `row`.
    fn scores(&self, dev: &[DevCorpus], row: u32) -> Result<Vec<Counts>> {
        let sizes = (self.config.max_len, self.config.batch_tokens * 2);
        dev.iter()
            .map(|(_, sentences, types)| {
                let predicted = predict_as(&self.model, &self.encoder, sentences, sizes, row)?;
                Ok(score(sentences, &predicted, types).micro)
            })
            .collect()
    }

    /// Strict micro F1 of every convention on every dev corpus of the config.
    pub fn matrix(&self) -> Result<ConventionMatrix> {
        let dev = self.dev()?;
        let mut f1 = Vec::new();
        for name in self.convention_names() {
            let scores = self.scores(&dev, self.row(&name)?)?;
            f1.push((name, scores.iter().map(Counts::f1).collect()));
        }
        let corpora = dev.into_iter().map(|(path, _, _)| path).collect();
        Ok(ConventionMatrix { corpora, f1 })
    }

    /// Writes the weights folded for `name` as the run's deployable weights, and records the
    /// choice, the weights and their dev scores in that convention in its `run.json` (which
    /// `export` copies into the manifest).
    pub fn fold(&self, run: &Path, name: &str) -> Result<()> {
        let row = self.row(name)?;
        let dev = self.dev()?;
        let scores = self.scores(&dev, row)?;
        self.model.save_deployable(&run.join(BEST_WEIGHTS), row)?;
        let mut info = RunInfo::read(run)?;
        info.training.decode_convention = (name != UNMARKED_NAME).then(|| name.to_string());
        info.training.selected = Some(self.source.clone());
        info.evaluation = dev
            .iter()
            .zip(&scores)
            .map(|((path, _, _), s)| EvaluationRecord {
                corpus: path.clone(),
                split: format!("dev, {name} convention"),
                precision: s.precision(),
                recall: s.recall(),
                f1: s.f1(),
                engine: "candle fp32".into(),
            })
            .collect();
        info.write(run)
    }
}

/// Dev strict F1 per decode convention (rows) and corpus (columns).
pub struct ConventionMatrix {
    pub corpora: Vec<String>,
    pub f1: Vec<(String, Vec<f64>)>,
}

impl ConventionMatrix {
    /// The mean over corpora of one convention's row.
    pub fn mean(scores: &[f64]) -> f64 {
        scores.iter().sum::<f64>() / scores.len().max(1) as f64
    }
}

impl fmt::Display for ConventionMatrix {
    /// A Markdown table: one row per convention, the corpora's folder names as columns, and
    /// the mean.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "| decode convention |")?;
        for c in &self.corpora {
            write!(f, " {} |", corpus_name(c))?;
        }
        writeln!(f, " mean |")?;
        writeln!(f, "|---|{}---|", "---|".repeat(self.corpora.len()))?;
        for (name, scores) in &self.f1 {
            write!(f, "| {name} |")?;
            for s in scores {
                write!(f, " {:.2} |", 100.0 * s)?;
            }
            writeln!(f, " {:.2} |", 100.0 * Self::mean(scores))?;
        }
        Ok(())
    }
}
