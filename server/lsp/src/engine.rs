//! The tagging engine behind the server: a cached tagger when the model loads, or the reason it
//! did not (the server then keeps serving documents, without entities, and says why), and the
//! name lexicon that hovers normalize mentions with (or the reason it did not load).

use std::ops::Range;
use std::path::{Path, PathBuf};

use bioscope_core::corrections::{DecidedEntity, Overrides};
use bioscope_core::segment::DocFormat;
use bioscope_core::EntityType;
use bioscope_lexicon::Lexicon;
use bioscope_tagger::cache::RECOVERED_SCORE;
use bioscope_tagger::{
    CacheStats, CachedTagger, Priority, TaggedParagraph, Tagger, TaggerOptions, TextEntity,
};
use std::sync::Arc;

/// Sentences kept in the result cache (a few hundred bytes each).
const CACHE_SENTENCES: usize = 50_000;

pub struct Engine {
    tagger: Option<CachedTagger>,
    model_dir: PathBuf,
    /// Why there is no model, in words for the user.
    problem: Option<String>,
    lexicon: Option<Arc<Lexicon>>,
    lexicon_dir: PathBuf,
    /// Why there is no lexicon, in words for the user.
    lexicon_problem: Option<String>,
}

/// Opens the lexicon in `dir`, or says why it cannot.
fn load_lexicon(dir: &Path) -> (Option<Arc<Lexicon>>, Option<String>) {
    match bioscope_lexicon::open(dir) {
        Ok(lexicon) => {
            tracing::info!(lexicon = %dir.display(), keys = lexicon.name_count(), "lexicon loaded");
            (Some(Arc::new(lexicon)), None)
        }
        Err(e) => {
            let problem = format!(
                "BioScope cannot load the lexicon {}: {e}. Hovers show no identifiers until a \
                 working lexicon is configured (bioscope.lexiconPath).",
                dir.display()
            );
            tracing::error!("{problem}");
            (None, Some(problem))
        }
    }
}

impl Engine {
    /// Loads the bundle in `model_dir` and the lexicon in `lexicon_dir`; failures are kept as
    /// the engine's problems.
    pub fn load(model_dir: &Path, lexicon_dir: &Path, options: TaggerOptions) -> Engine {
        let (lexicon, lexicon_problem) = load_lexicon(lexicon_dir);
        let engine = Engine::load_model(model_dir, options, lexicon.clone());
        Engine {
            lexicon,
            lexicon_dir: lexicon_dir.to_path_buf(),
            lexicon_problem,
            ..engine
        }
    }

    /// The model's engine; with a lexicon, the model's misses that the lexicon knows precisely
    /// are added (recall recovery).
    fn load_model(
        model_dir: &Path,
        options: TaggerOptions,
        lexicon: Option<Arc<Lexicon>>,
    ) -> Engine {
        match Tagger::load(model_dir, options) {
            Ok(tagger) => {
                tracing::info!(model = %model_dir.display(), "model loaded");
                let mut cached = CachedTagger::new(tagger, CACHE_SENTENCES, "");
                if let Some(lexicon) = lexicon {
                    cached = cached.with_recovery(lexicon);
                }
                Engine {
                    tagger: Some(cached),
                    model_dir: model_dir.to_path_buf(),
                    problem: None,
                    ..Engine::unloaded(model_dir, Path::new(""))
                }
            }
            Err(e) => {
                let problem = format!(
                    "BioScope cannot load the model {}: {e}. Until a working model is \
                     configured (bioscope.modelPath), only names the lexicon knows are shown.",
                    model_dir.display()
                );
                tracing::error!("{problem}");
                Engine {
                    problem: Some(problem),
                    ..Engine::unloaded(model_dir, Path::new(""))
                }
            }
        }
    }

    /// No model yet (before initialization has loaded one).
    pub fn unloaded(model_dir: &Path, lexicon_dir: &Path) -> Engine {
        Engine {
            tagger: None,
            model_dir: model_dir.to_path_buf(),
            problem: Some("the model is still loading".into()),
            lexicon: None,
            lexicon_dir: lexicon_dir.to_path_buf(),
            lexicon_problem: Some("the lexicon is still loading".into()),
        }
    }

    /// The name lexicon, when it loaded.
    pub fn lexicon(&self) -> Option<&Lexicon> {
        self.lexicon.as_deref()
    }

    pub fn lexicon_dir(&self) -> &Path {
        &self.lexicon_dir
    }

    pub fn lexicon_problem(&self) -> Option<&str> {
        self.lexicon_problem.as_deref()
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
    /// `priority` says whether someone waits for the answer (see [`Priority`]).
    /// Never fails: a tagging error is logged and gives no model entities.
    pub fn tag(
        &self,
        text: &str,
        format: DocFormat,
        within: Option<Range<usize>>,
        document: &str,
        overrides: &Overrides,
        priority: Priority,
    ) -> Vec<DecidedEntity> {
        let within = within.unwrap_or(0..text.len());
        let paragraphs = match (&self.tagger, &self.lexicon) {
            (Some(tagger), _) => tagger
                .tag_paragraphs_in(text, format, within, priority)
                .unwrap_or_else(|e| {
                    tracing::error!("tagging failed: {e}");
                    Vec::new()
                }),
            (None, Some(lexicon)) => lexicon_only(lexicon, text, format, within),
            (None, None) => return Vec::new(),
        };
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

/// Without a model: the names the lexicon knows (multi-word preferred names and synonyms, and
/// the names annotators marked), per paragraph, with the recovered-mention confidence.
fn lexicon_only(
    lexicon: &Lexicon,
    text: &str,
    format: DocFormat,
    within: Range<usize>,
) -> Vec<TaggedParagraph> {
    use bioscope_lexicon::recover::{recover, word_spans, Strictness};
    bioscope_core::segment::segment(text, format)
        .into_iter()
        .filter(|p| p.range.start <= within.end && within.start <= p.range.end)
        .map(|p| {
            let prose = p.prose(text);
            let words = word_spans(&prose);
            let entities = recover(
                lexicon,
                &prose,
                &words,
                &[],
                &EntityType::ALL,
                Strictness::Alone,
            )
            .into_iter()
            // Words on both sides of hidden math or code are not one name.
            .filter(|found| {
                let start = p.range.start + found.range.start;
                p.content_break(text, start, p.range.start + found.range.end)
                    .is_none()
            })
            .map(|found| TextEntity {
                start: p.range.start + found.range.start,
                end: p.range.start + found.range.end,
                entity_type: found.entity_type,
                score: RECOVERED_SCORE,
            })
            .collect();
            TaggedParagraph {
                range: p.range.clone(),
                prose,
                entities,
            }
        })
        .collect()
}
