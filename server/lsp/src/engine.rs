//! The tagging engine behind the server: a cached tagger when the model loads, or the reason it
//! did not (the server then keeps serving documents, without entities, and says why).

use std::ops::Range;
use std::path::{Path, PathBuf};

use bioscope_core::corrections::{DecidedEntity, Overrides};
use bioscope_core::segment::DocFormat;
use bioscope_tagger::{CacheStats, CachedTagger, Tagger, TaggerOptions};

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
        let Some(tagger) = &self.tagger else {
            return Vec::new();
        };
        let within = within.unwrap_or(0..text.len());
        let paragraphs = tagger
            .tag_paragraphs_in(text, format, within)
            .unwrap_or_else(|e| {
                tracing::error!("tagging failed: {e}");
                Vec::new()
            });
        let mut out = Vec::new();
        for p in paragraphs {
            // Decisions are kept relative to the paragraph's prose.
            let shift = p.range.start;
            let relative: Vec<DecidedEntity> = p
                .entities
                .iter()
                .map(|e| DecidedEntity {
                    start: e.start - shift,
                    end: e.end - shift,
                    entity_type: e.entity_type,
                    score: e.score,
                    corrected: false,
                })
                .collect();
            let decided = if overrides.is_empty() {
                relative
            } else {
                overrides.apply(document, &p.prose, &relative)
            };
            out.extend(decided.into_iter().map(|e| DecidedEntity {
                start: e.start + shift,
                end: e.end + shift,
                ..e
            }));
        }
        out
    }

    pub fn stats(&self) -> CacheStats {
        self.tagger.as_ref().map(|t| t.stats()).unwrap_or_default()
    }
}
