//! What the server analyses with: an [`Analyzer`] over the model and the lexicon that loaded,
//! and, for each that did not, the reason in words for the user (the server then keeps
//! serving: without a model, the names the lexicon knows; without a lexicon, no identifiers).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bioscope_analysis::{Analyzer, DocumentAnalysis, Request, SentencePasses};
use bioscope_core::segment::DocFormat;
use bioscope_lexicon::Lexicon;
use bioscope_tagger::{CacheStats, Tagger, TaggerOptions};

/// Sentences kept in the result cache (a few hundred bytes each).
const CACHE_SENTENCES: usize = 50_000;

pub struct Engine {
    analyzer: Analyzer,
    model_dir: PathBuf,
    /// Why there is no model, in words for the user.
    problem: Option<String>,
    lexicon_dir: PathBuf,
    /// Why there is no lexicon, in words for the user.
    lexicon_problem: Option<String>,
}

/// Opens the lexicon in `dir`, or says why it cannot.
/// Its name ranker is attached when it has one; one that cannot be used is logged, and
/// normalization goes on without it.
fn load_lexicon(dir: &Path, options: &TaggerOptions) -> (Option<Arc<Lexicon>>, Option<String>) {
    match bioscope_lexicon::open(dir) {
        Ok(lexicon) => {
            tracing::info!(lexicon = %dir.display(), keys = lexicon.name_count(), "lexicon loaded");
            if dir.is_dir() {
                match bioscope_tagger::attach_ranker(&lexicon, dir, options) {
                    Ok(true) => tracing::info!("name ranker loaded"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!("the name ranker is off: {e}"),
                }
            }
            let lexicon = Arc::new(lexicon);
            // The mention rules normalize unsure mentions: build the similarity index off the
            // first screen's path.
            let warm = Arc::clone(&lexicon);
            std::thread::spawn(move || warm.prepare_similarity_index());
            (Some(lexicon), None)
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

/// Loads the bundle in `dir`, or says why it cannot.
fn load_model(dir: &Path, options: TaggerOptions) -> (Option<Tagger>, Option<String>) {
    match Tagger::load(dir, options) {
        Ok(tagger) => {
            let device = tagger.model().device();
            tracing::info!(model = %dir.display(), %device, "model loaded");
            if let Some(note) = tagger.model().device_note() {
                tracing::warn!("{note}");
            }
            (Some(tagger), None)
        }
        Err(e) => {
            let problem = format!(
                "BioScope cannot load the model {}: {e}. Until a working model is \
                 configured (bioscope.modelPath), only names the lexicon knows are shown.",
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
        let (lexicon, mut lexicon_problem) = load_lexicon(lexicon_dir, &options);
        let (tagger, problem) = load_model(model_dir, options);
        let analyzer = Analyzer::new(tagger, lexicon, CACHE_SENTENCES, SentencePasses::ALL);
        if let Some(note) = analyzer.tagger().and_then(|t| t.feature_note()) {
            tracing::warn!("{note}");
            if let Some(problem) = &mut lexicon_problem {
                problem.push_str(&format!(" Also, {note}."));
            }
        }
        Engine {
            analyzer,
            model_dir: model_dir.to_path_buf(),
            problem,
            lexicon_dir: lexicon_dir.to_path_buf(),
            lexicon_problem,
        }
    }

    /// No model yet (before initialization has loaded one).
    pub fn unloaded(model_dir: &Path, lexicon_dir: &Path) -> Engine {
        Engine {
            analyzer: Analyzer::new(None, None, 1, SentencePasses::NONE),
            model_dir: model_dir.to_path_buf(),
            problem: Some("the model is still loading".into()),
            lexicon_dir: lexicon_dir.to_path_buf(),
            lexicon_problem: Some("the lexicon is still loading".into()),
        }
    }

    /// The name lexicon, when it loaded.
    pub fn lexicon(&self) -> Option<&Lexicon> {
        self.analyzer.lexicon().map(|l| l.as_ref())
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
        self.analyzer
            .tagger()
            .map(|t| t.bundle.manifest.name.as_str())
    }

    /// Where the loaded model runs ("cpu", "cuda"), and why not where asked, if so.
    pub fn device(&self) -> Option<(String, Option<String>)> {
        self.analyzer.tagger().map(|t| {
            let model = t.model();
            (
                model.device().to_string(),
                model.device_note().map(str::to_string),
            )
        })
    }

    /// The SHA-256 of the loaded model (empty without one), for corrections records.
    pub fn model_sha256(&self) -> &str {
        self.analyzer
            .tagger()
            .map_or("", |t| t.bundle.manifest.model_sha256.as_str())
    }

    /// The analysis of `text` (see [`Analyzer::analyze`]).
    pub fn analyze(&self, text: String, format: DocFormat, request: Request) -> DocumentAnalysis {
        self.analyzer.analyze(text, format, request)
    }

    /// Fills the sentence cache for part of a document (see [`Analyzer::prepare`]).
    pub fn prepare(
        &self,
        text: &str,
        format: DocFormat,
        within: std::ops::Range<usize>,
        priority: bioscope_tagger::Priority,
    ) {
        self.analyzer.prepare(text, format, within, priority)
    }

    pub fn stats(&self) -> CacheStats {
        self.analyzer.stats()
    }
}
