//! The tagging engine behind the server: a cached tagger when the model loads, or the reason it
//! did not (the server then keeps serving documents, without entities, and says why).

use std::ops::Range;
use std::path::{Path, PathBuf};

use bioscope_core::corrections::{DecidedEntity, Overrides};
use bioscope_core::segment::{segment, DocFormat};
use bioscope_tagger::{CacheStats, CachedTagger, Tagger, TaggerOptions, TextEntity};

/// Paragraphs kept in the result cache.
const CACHE_PARAGRAPHS: usize = 20_000;

pub struct Engine {
    tagger: Option<CachedTagger>,
    model_dir: PathBuf,
    /// Why there is no model, in words for the user.
    problem: Option<String>,
}

impl Engine {
    /// Loads the bundle in `model_dir`; a failure is kept as the engine's problem.
    pub fn load(model_dir: &Path, options: TaggerOptions) -> Engine {
        match Tagger::load(model_dir, options) {
            Ok(tagger) => {
                tracing::info!(model = %model_dir.display(), "model loaded");
                Engine {
                    tagger: Some(CachedTagger::new(tagger, CACHE_PARAGRAPHS, "")),
                    model_dir: model_dir.to_path_buf(),
                    problem: None,
                }
            }
            Err(e) => {
                let problem = format!(
                    "BioScope cannot load the model {}: {e}. Entities are not tagged until a \
                     working model is configured (bioscope.modelPath).",
                    model_dir.display()
                );
                tracing::error!("{problem}");
                Engine {
                    tagger: None,
                    model_dir: model_dir.to_path_buf(),
                    problem: Some(problem),
                }
            }
        }
    }

    /// No model yet (before initialization has loaded one).
    pub fn unloaded(model_dir: &Path) -> Engine {
        Engine {
            tagger: None,
            model_dir: model_dir.to_path_buf(),
            problem: Some("the model is still loading".into()),
        }
    }

    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    pub fn model_dir(&self) -> &Path {
        &self.model_dir
    }

    /// The loaded model's name.
    pub fn model_name(&self) -> Option<&str> {
        self.tagger
            .as_ref()
            .map(|t| t.tagger().bundle.manifest.name.as_str())
    }

    /// The SHA-256 of the loaded model (empty without one), for corrections records.
    pub fn model_sha256(&self) -> &str {
        self.tagger
            .as_ref()
            .map_or("", |t| t.tagger().bundle.manifest.model_sha256.as_str())
    }

    /// Entities of the paragraphs of `text` that overlap `within` (all of them for `None`),
    /// with the user's decisions applied (`document` is the name they are recorded under).
    /// Never fails: a tagging error is logged and gives no model entities.
    pub fn tag(
        &self,
        text: &str,
        format: DocFormat,
        within: Option<Range<usize>>,
        document: &str,
        overrides: &Overrides,
    ) -> Vec<DecidedEntity> {
        let within = within.unwrap_or(0..text.len());
        let model: Vec<TextEntity> = match &self.tagger {
            Some(tagger) => tagger
                .tag_document_range(text, format, within.clone())
                .unwrap_or_else(|e| {
                    tracing::error!("tagging failed: {e}");
                    Vec::new()
                }),
            None => Vec::new(),
        };
        let decided: Vec<DecidedEntity> = model
            .iter()
            .map(|e| DecidedEntity {
                start: e.start,
                end: e.end,
                entity_type: e.entity_type,
                score: e.score,
                corrected: false,
            })
            .collect();
        if overrides.is_empty() {
            return decided;
        }
        let mut out = Vec::new();
        for p in segment(text, format)
            .into_iter()
            .filter(|p| p.range.start <= within.end && within.start <= p.range.end)
        {
            let shift = p.range.start;
            let relative: Vec<DecidedEntity> = decided
                .iter()
                .filter(|e| e.start >= p.range.start && e.end <= p.range.end)
                .map(|e| DecidedEntity {
                    start: e.start - shift,
                    end: e.end - shift,
                    ..e.clone()
                })
                .collect();
            let prose = p.prose(text);
            out.extend(
                overrides
                    .apply(document, &prose, &relative)
                    .into_iter()
                    .map(|e| DecidedEntity {
                        start: e.start + shift,
                        end: e.end + shift,
                        ..e
                    }),
            );
        }
        out
    }

    pub fn stats(&self) -> CacheStats {
        self.tagger.as_ref().map(|t| t.stats()).unwrap_or_default()
    }
}
