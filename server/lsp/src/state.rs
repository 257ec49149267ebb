//! The server's shared state: open documents with their latest analysis, the engine, settings,
//! and the live-tagging scheduler (off the async runtime, stale work dropped). The debounce
//! holds back work nobody asked for yet: a request for the current version's results ends it
//! at once, so an editor that asks for tokens after each keystroke waits only for the work.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use bioscope_analysis::Overrides;
use bioscope_analysis::{DocumentAnalysis, Request};
use bioscope_core::corrections::{self, Correction};
use bioscope_core::segment::DocFormat;
use bioscope_tagger::{Priority, TaggerOptions};
use dashmap::DashMap;
use ropey::Rope;
use tokio::sync::watch;
use tower_lsp_server::ls_types::Uri;

use crate::activity::{Activity, Retraining, StatusNotification, StatusParams, TaggingActivity};
use crate::decision_store::{self, ChosenBy, DecisionFolder};
use crate::document::Document;
use crate::engine::Engine;
use crate::position::PositionEncoding;
use crate::settings::Settings;

/// How long a request waits for the analysis of the current version before giving up.
const ANALYSIS_WAIT: Duration = Duration::from_secs(30);

/// The most padded word pieces in one model batch in the server: a batch runs to its end, so
/// this bounds how long an edit or a visible range waits behind background work (about 0.2 s
/// on two cores), at little cost in throughput.
const SERVER_BATCH_TOKENS: usize = 1024;

/// A newly opened document with more paragraphs than this is tagged in steps that report
/// `$/progress` (when the client supports it).
const PROGRESS_MIN_PARAGRAPHS: usize = 40;
const PROGRESS_STEPS: usize = 10;

/// The analysis of one version of a document, with the rope it was computed on (for
/// positions).
#[derive(Debug)]
pub struct Analysis {
    pub version: i32,
    /// The [`State::generation`] it was computed under.
    pub generation: u64,
    pub rope: Rope,
    pub document: DocumentAnalysis,
}

pub struct OpenDocument {
    pub doc: Document,
    /// The latest finished analysis (possibly of an older version).
    pub analysis: watch::Sender<Option<Arc<Analysis>>>,
    /// The last semantic tokens sent (result id, flat data), for deltas.
    pub last_tokens: Option<(String, Vec<u32>)>,
    /// The version a request is waiting for: its scheduled tagging skips the debounce.
    pub wanted: watch::Sender<i32>,
}

impl OpenDocument {
    pub fn new(doc: Document) -> Self {
        OpenDocument {
            wanted: watch::Sender::new(doc.version),
            doc,
            analysis: watch::Sender::new(None),
            last_tokens: None,
        }
    }
}

/// What the server was started with (command line), before any client setting.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub model_dir: std::path::PathBuf,
    pub lexicon_dir: std::path::PathBuf,
    pub tagger: TaggerOptions,
    /// The trainer executable for `bioscope.retrain` (command line or environment only).
    pub trainer: Option<std::path::PathBuf>,
    /// The corrections file the user chose (`--corrections`): used unless the workspace's
    /// settings name one inside the workspace.
    pub corrections: Option<std::path::PathBuf>,
}

/// The user's decisions: the records read or written so far and the rules they make.
#[derive(Default)]
pub struct Decisions {
    pub records: Vec<Correction>,
    pub overrides: Arc<Overrides>,
}

pub struct State {
    pub docs: DashMap<Uri, OpenDocument>,
    pub encoding: OnceLock<PositionEncoding>,
    /// The workspace root (first folder, else rootUri), if the client gave one.
    pub root: OnceLock<Option<std::path::PathBuf>>,
    pub decisions: RwLock<Decisions>,
    pub settings: RwLock<Settings>,
    engine: RwLock<Arc<Engine>>,
    pub options: ServerOptions,
    next_result_id: AtomicU64,
    /// Bumped when results change without an edit (a decision, a model): older analyses are stale.
    generation: AtomicU64,
    /// For progress reports from background work.
    pub client: OnceLock<tower_lsp_server::Client>,
    /// The client accepts `window/workDoneProgress/create`.
    pub progress_supported: AtomicBool,
    /// Tagging in flight, for `bioscope/status`.
    pub tagging: TaggingActivity,
    /// Documents with diagnostics published (uncertain-mention hints, lab findings), to clear
    /// them.
    pub hinted: dashmap::DashSet<Uri>,
    pub retraining: Retraining,
}

impl State {
    pub fn new(options: ServerOptions) -> Self {
        State {
            docs: DashMap::new(),
            encoding: OnceLock::new(),
            root: OnceLock::new(),
            decisions: RwLock::new(Decisions::default()),
            settings: RwLock::new(Settings::default()),
            engine: RwLock::new(Arc::new(Engine::unloaded(
                &options.model_dir,
                &options.lexicon_dir,
            ))),
            options,
            next_result_id: AtomicU64::new(1),
            generation: AtomicU64::new(0),
            client: OnceLock::new(),
            progress_supported: AtomicBool::new(false),
            tagging: Default::default(),
            hinted: dashmap::DashSet::new(),
            retraining: Default::default(),
        }
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The model bundle to use: the settings' `modelPath`, else the current fine-tuned bundle
    /// of the [decision folder](Self::decision_folder), else the server's default.
    pub fn model_dir(&self) -> std::path::PathBuf {
        let workspace = || {
            let folder = self.decision_folder()?;
            bioscope_core::workspace_models::WorkspaceModels::in_folder(&folder.dir()).current()
        };
        self.settings()
            .model_path
            .or_else(workspace)
            .unwrap_or_else(|| self.options.model_dir.clone())
    }

    /// Loads the model [`model_dir`](Self::model_dir) names off the async runtime and makes it
    /// current; returns the engine (check its problem).
    pub async fn load_engine(&self) -> Arc<Engine> {
        let engine = self.load_engine_from(self.model_dir()).await;
        self.set_engine(engine.clone());
        engine
    }

    pub fn set_engine(&self, engine: Arc<Engine>) {
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = engine;
    }

    /// Loads the bundle in `dir` (and the lexicon the settings name) off the async runtime,
    /// without making it current.
    pub async fn load_engine_from(&self, dir: std::path::PathBuf) -> Arc<Engine> {
        let settings = self.settings();
        let lexicon_dir = settings
            .lexicon_path
            .clone()
            .unwrap_or_else(|| self.options.lexicon_dir.clone());
        let mut options = self.options.tagger.clone();
        if let Some(threads) = settings.threads {
            options.threads = threads;
        }
        options.batch_tokens = options.batch_tokens.min(SERVER_BATCH_TOKENS);
        tokio::task::spawn_blocking(move || Engine::load(&dir, &lexicon_dir, options))
            .await
            .map(Arc::new)
            .unwrap_or_else(|_| self.engine())
    }

    pub fn overrides(&self) -> Arc<Overrides> {
        self.decisions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .overrides
            .clone()
    }

    /// The workspace's `.bioscope`, else the user's data folder (no workspace folder open).
    pub fn decision_folder(&self) -> Option<DecisionFolder> {
        match self.root.get().cloned().flatten() {
            Some(root) => Some(DecisionFolder::Workspace(root)),
            None => decision_store::user_data_folder().map(DecisionFolder::User),
        }
    }

    /// Where corrections are stored and who chose it (see [`decision_store::corrections_store`]);
    /// `None` with no workspace folder, no `--corrections` and no home folder.
    pub fn corrections_store(&self) -> Option<(std::path::PathBuf, ChosenBy)> {
        let root = self.root.get().cloned().flatten();
        let setting = self.settings().corrections_path.and_then(|p| {
            if p.is_absolute() {
                Some(p)
            } else {
                root.map(|r| r.join(p))
            }
        });
        decision_store::corrections_store(
            setting.as_deref(),
            self.options.corrections.as_deref(),
            self.decision_folder().as_ref(),
        )
    }

    /// Where corrections are stored (see [`corrections_store`](Self::corrections_store)).
    pub fn corrections_path(&self) -> Option<std::path::PathBuf> {
        self.corrections_store().map(|(path, _)| path)
    }

    /// Reads the corrections store (if any); returns a message about skipped lines.
    pub fn load_decisions(&self) -> Option<String> {
        let path = self.corrections_path()?;
        match corrections::read(&path) {
            Ok((records, skipped)) => {
                let overrides = Arc::new(Overrides::from_records(&records));
                *self.decisions.write().unwrap_or_else(|e| e.into_inner()) =
                    Decisions { records, overrides };
                (!skipped.is_empty()).then(|| {
                    let lines: Vec<String> = skipped.iter().take(5).map(|s| s.line.to_string()).collect();
                    format!(
                        "BioScope skipped {} unreadable lines of {} (lines {}{}; first problem: {}). \
                         The file is left as it is.",
                        skipped.len(),
                        path.display(),
                        lines.join(", "),
                        if skipped.len() > 5 { ", ..." } else { "" },
                        skipped[0].reason
                    )
                })
            }
            Err(e) => Some(format!("BioScope cannot read corrections: {e}")),
        }
    }

    /// Adds a decision to the in-memory rules (after it was stored).
    pub fn add_decision(&self, record: Correction) {
        let mut d = self.decisions.write().unwrap_or_else(|e| e.into_inner());
        Arc::make_mut(&mut d.overrides).add(&record);
        d.records.push(record);
    }

    /// The name a document's decisions are recorded under: its path relative to the workspace
    /// root, else its URI.
    pub fn document_name(&self, uri: &Uri) -> String {
        let path = file_path(uri.as_str());
        match (path, self.root.get().cloned().flatten()) {
            (Some(p), Some(root)) => p
                .strip_prefix(&root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_else(|_| p.to_string_lossy().into_owned()),
            (Some(p), None) => p.to_string_lossy().into_owned(),
            (None, _) => uri.as_str().to_string(),
        }
    }

    pub fn next_result_id(&self) -> String {
        self.next_result_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string()
    }

    /// The document's rope, version and format now (a cheap clone), if it is open.
    pub fn snapshot(&self, uri: &Uri) -> Option<(Rope, i32, DocFormat)> {
        self.docs
            .get(uri)
            .map(|d| (d.doc.rope.clone(), d.doc.version, d.doc.format))
    }

    /// The analysis of the document (only the paragraphs overlapping `within`, all for
    /// `None`) with the user's decisions, off the runtime.
    pub async fn analyze(
        &self,
        uri: &Uri,
        rope: &Rope,
        format: DocFormat,
        within: Option<std::ops::Range<usize>>,
        priority: Priority,
    ) -> DocumentAnalysis {
        let engine = self.engine();
        let overrides = self.overrides();
        let name = self.document_name(uri);
        let text = rope.to_string();
        let fallback = text.clone();
        tokio::task::spawn_blocking(move || {
            let request = Request {
                within,
                priority,
                decisions: Some((&overrides, &name)),
            };
            engine.analyze(text, format, request)
        })
        .await
        .unwrap_or_else(|e| {
            DocumentAnalysis::failed(fallback, format, format!("the analysis stopped: {e}"))
        })
    }

    /// Analyses a whole document; a long one is first run through the model in steps of
    /// paragraphs with `$/progress` reports, and then analysed whole (from the cache), so the
    /// result is the same as after any later edit.
    pub async fn analyze_with_progress(
        &self,
        uri: &Uri,
        rope: &Rope,
        format: DocFormat,
    ) -> DocumentAnalysis {
        let client = self
            .client
            .get()
            .filter(|_| self.progress_supported.load(Ordering::Relaxed));
        let text = rope.to_string();
        let steps =
            bioscope_analysis::steps(&text, format, PROGRESS_STEPS, PROGRESS_MIN_PARAGRAPHS);
        let whole = || self.analyze(uri, rope, format, None, Priority::Background);
        let (Some(client), Some((_, total))) = (client, steps.last().cloned()) else {
            return whole().await;
        };
        let token = tower_lsp_server::ls_types::ProgressToken::String(format!(
            "bioscope/tag/{}",
            self.next_result_id()
        ));
        if client
            .create_work_done_progress(token.clone())
            .await
            .is_err()
        {
            return whole().await;
        }
        let name = self.document_name(uri);
        let progress = client
            .progress(token, format!("BioScope: tagging {name}"))
            .with_percentage(0)
            .begin()
            .await;
        let text = Arc::new(text);
        for (within, done) in steps {
            let (engine, text) = (self.engine(), text.clone());
            let _ = tokio::task::spawn_blocking(move || {
                engine.prepare(&text, format, within, Priority::Background)
            })
            .await;
            progress
                .report_with_message(
                    format!("{done} of {total} paragraphs"),
                    (100 * done / total) as u32,
                )
                .await;
        }
        let document = whole().await;
        progress.finish().await;
        document
    }

    /// Which analyses are current: an analysis computed under an older generation is stale.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Marks every analysis stale (after a decision or a model change).
    pub fn mark_stale(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The analysis of the document's current version, waiting for it if tagging is under
    /// way; `None` if the document is closed or the wait times out while edits keep coming.
    pub async fn current_analysis(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        let mut rx = self.docs.get(uri)?.analysis.subscribe();
        let deadline = tokio::time::Instant::now() + ANALYSIS_WAIT;
        loop {
            let version = {
                let open = self.docs.get(uri)?;
                open.wanted.send_if_modified(|wanted| {
                    std::mem::replace(wanted, open.doc.version) != open.doc.version
                });
                open.doc.version
            };
            let latest = rx.borrow_and_update().clone();
            let generation = self.generation();
            if let Some(a) = latest.filter(|a| a.version == version && a.generation == generation) {
                return Some(a);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }
}

/// The local path of a `file://` URI (percent-decoded), if it is one.
pub fn file_path(uri: &str) -> Option<std::path::PathBuf> {
    let encoded = uri.strip_prefix("file://")?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).and_then(|&b| hex(b)),
            bytes.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(std::path::PathBuf::from(
        String::from_utf8_lossy(&out).into_owned(),
    ))
}

/// Tagging shorter than this is not announced (a keystroke's re-tag would make it flicker).
const ANNOUNCE_TAGGING_AFTER: Duration = Duration::from_millis(300);

/// Held while tagging; the last one dropped announces "idle" if "tagging" was announced.
pub struct TaggingGuard {
    state: Arc<State>,
}

impl State {
    /// Sends a `bioscope/status` notification (nothing before the client is known).
    pub async fn announce(
        &self,
        activity: Activity,
        message: Option<String>,
        percentage: Option<u32>,
    ) {
        let Some(client) = self.client.get() else {
            return;
        };
        let params = StatusParams {
            activity,
            model: self.engine().model_name().map(str::to_string),
            message,
            percentage,
        };
        client.send_notification::<StatusNotification>(params).await;
    }

    /// Marks tagging under way until the guard is dropped; announced after a short while.
    pub fn tagging_started(self: &Arc<Self>) -> TaggingGuard {
        if self.tagging.begin() {
            let state = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(ANNOUNCE_TAGGING_AFTER).await;
                if state.tagging.announce_now() {
                    state.announce(Activity::Tagging, None, None).await;
                    // Finished while announcing: the guard saw nothing to retract.
                    if state.tagging.retract_now() {
                        state.announce(Activity::Idle, None, None).await;
                    }
                }
            });
        }
        TaggingGuard {
            state: self.clone(),
        }
    }
}

impl Drop for TaggingGuard {
    fn drop(&mut self) {
        if self.state.tagging.end() {
            let state = self.state.clone();
            tokio::spawn(async move { state.announce(Activity::Idle, None, None).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_decoded_paths() {
        assert_eq!(
            file_path("file:///home/a%20b/caf%C3%A9.md"),
            Some(std::path::PathBuf::from("/home/a b/café.md"))
        );
        assert_eq!(file_path("untitled:Untitled-1"), None);
    }
}
