//! The server's shared state: open documents with their latest analysis, the engine, settings,
//! and the live-tagging scheduler (debounced, off the async runtime, stale work dropped).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use bioscope_core::segment::DocFormat;
use bioscope_tagger::{TaggerOptions, TextEntity};
use dashmap::DashMap;
use ropey::Rope;
use tokio::sync::watch;
use tower_lsp_server::ls_types::Uri;

use crate::document::Document;
use crate::engine::Engine;
use crate::position::PositionEncoding;
use crate::settings::Settings;

/// How long a request waits for the analysis of the current version before giving up.
const ANALYSIS_WAIT: Duration = Duration::from_secs(30);

/// Entities of one version of a document, with the text they were found in.
#[derive(Debug)]
pub struct Analysis {
    pub version: i32,
    pub rope: Rope,
    pub entities: Vec<TextEntity>,
}

pub struct OpenDocument {
    pub doc: Document,
    /// The latest finished analysis (possibly of an older version).
    pub analysis: watch::Sender<Option<Arc<Analysis>>>,
    /// The last semantic tokens sent (result id, flat data), for deltas.
    pub last_tokens: Option<(String, Vec<u32>)>,
}

/// What the server was started with (command line), before any client setting.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub model_dir: std::path::PathBuf,
    pub tagger: TaggerOptions,
}

pub struct State {
    pub docs: DashMap<Uri, OpenDocument>,
    pub encoding: OnceLock<PositionEncoding>,
    pub settings: RwLock<Settings>,
    engine: RwLock<Arc<Engine>>,
    pub options: ServerOptions,
    next_result_id: AtomicU64,
}

impl State {
    pub fn new(options: ServerOptions) -> Self {
        State {
            docs: DashMap::new(),
            encoding: OnceLock::new(),
            settings: RwLock::new(Settings::default()),
            engine: RwLock::new(Arc::new(Engine::unloaded(&options.model_dir))),
            options,
            next_result_id: AtomicU64::new(1),
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

    /// Loads the model the settings name (or the server's default) off the async runtime and
    /// makes it current; returns the engine (check its problem).
    pub async fn load_engine(&self) -> Arc<Engine> {
        let settings = self.settings();
        let dir = settings
            .model_path
            .clone()
            .unwrap_or_else(|| self.options.model_dir.clone());
        let mut options = self.options.tagger.clone();
        if let Some(threads) = settings.threads {
            options.threads = threads;
        }
        let engine = tokio::task::spawn_blocking(move || Engine::load(&dir, options))
            .await
            .map(Arc::new)
            .unwrap_or_else(|_| self.engine());
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = engine.clone();
        engine
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

    /// Re-tags `uri` at `version` after `delay`, unless a newer version arrives first; the
    /// result is published only if the document is still at that version.
    pub fn schedule(self: &Arc<Self>, uri: Uri, version: i32, delay: Duration) {
        let state = self.clone();
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let Some((rope, current, format)) = state.snapshot(&uri) else {
                return;
            };
            if current != version {
                return; // a newer edit has its own task
            }
            let engine = state.engine();
            let text_rope = rope.clone();
            let entities = tokio::task::spawn_blocking(move || {
                engine.tag(&text_rope.to_string(), format, None)
            })
            .await
            .unwrap_or_default();
            if let Some(open) = state.docs.get(&uri) {
                if open.doc.version == version {
                    open.analysis.send_replace(Some(Arc::new(Analysis {
                        version,
                        rope,
                        entities,
                    })));
                }
            }
        });
    }

    /// Re-tags every open document now (e.g. after a model change).
    pub fn schedule_all(self: &Arc<Self>) {
        let versions: Vec<(Uri, i32)> = self
            .docs
            .iter()
            .map(|d| (d.key().clone(), d.doc.version))
            .collect();
        for (uri, version) in versions {
            self.schedule(uri, version, Duration::ZERO);
        }
    }

    /// The analysis of the document's current version, waiting for it if tagging is under
    /// way; `None` if the document is closed or the wait times out while edits keep coming.
    pub async fn current_analysis(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        let mut rx = self.docs.get(uri)?.analysis.subscribe();
        let deadline = tokio::time::Instant::now() + ANALYSIS_WAIT;
        loop {
            let version = self.docs.get(uri)?.doc.version;
            let latest = rx.borrow_and_update().clone();
            if let Some(a) = latest.filter(|a| a.version == version) {
                return Some(a);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }
}
