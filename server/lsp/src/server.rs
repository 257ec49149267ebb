//! The `LanguageServer` implementation: capabilities and one short call per method into
//! [`crate::handlers`].
//!
//! Every method runs under [`Backend::guarded`]: a panic in a handler is caught, logged and
//! shown, a request gets an internal error (-32603) that says so, and the server keeps serving
//! (tower-lsp-server would otherwise stop at the first panic, taking the process with it).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::activity::Activity;
use crate::error::ServerError;
use crate::handlers::{code_action, command, hover, semantic_tokens, symbols, sync};
use crate::position::PositionEncoding;
use crate::semantic_tokens::legend;
use crate::settings::Confinement;
use crate::state::State;

/// Names an LSP method whose handler panics on purpose, to test that panics are caught. Read
/// once from the server's environment at start-up, which no workspace can set.
pub const TEST_PANIC_ENV: &str = "BIOSCOPE_TEST_PANIC_METHOD";

pub struct Backend {
    client: Client,
    state: Arc<State>,
    /// Open documents over the size limits or binary: in sync, not tagged.
    untagged: sync::Untagged,
    panic_on: Option<String>,
}

/// A future whose panics become an `Err` with the panic's payload.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

impl Backend {
    pub fn new(client: Client, state: Arc<State>) -> Self {
        Backend {
            client,
            state,
            untagged: Default::default(),
            panic_on: std::env::var(TEST_PANIC_ENV).ok().filter(|m| !m.is_empty()),
        }
    }

    /// Runs `work` (the handler of `method`); a panic is logged, shown to the user and returned
    /// as an internal error, and the server goes on.
    async fn guarded<T>(&self, method: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
        let panic_on = self.panic_on.as_deref() == Some(method);
        let work = async move {
            if panic_on {
                panic!("{TEST_PANIC_ENV} asked for a panic in {method}");
            }
            work.await
        };
        match CatchUnwind(Box::pin(work)).await {
            Ok(result) => result,
            Err(panic) => {
                let error = ServerError::Internal {
                    method: method.to_string(),
                    message: panic_message(panic.as_ref()).to_string(),
                };
                let message = error.to_string();
                tracing::error!("{message}");
                self.client
                    .show_message(MessageType::ERROR, message.clone())
                    .await;
                Err(error.into())
            }
        }
    }

    /// [`guarded`](Self::guarded) for a notification (no answer to carry the error).
    async fn guarded_notification(&self, method: &str, work: impl Future<Output = ()>) {
        let _ = self
            .guarded(method, async move {
                work.await;
                Ok(())
            })
            .await;
    }

    /// Where the client's settings may point (see [`Confinement`]).
    fn confinement(&self) -> Confinement {
        let options = &self.state.options;
        Confinement {
            workspace: self.state.root.get().cloned().flatten(),
            machine: [&options.model_dir, &options.lexicon_dir]
                .into_iter()
                .filter_map(|dir| dir.parent().map(|p| p.to_path_buf()))
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
        }
    }

    /// `current` updated from a client's settings, paths confined; the problems.
    fn updated_settings(&self, value: &Value) -> (crate::settings::Settings, Vec<String>) {
        let current = self.state.settings();
        let (next, mut problems) = current.updated(value);
        let (next, confined) = self.confinement().apply(&current, next);
        problems.extend(confined);
        (next, problems)
    }

    /// Reloads the model and re-tags every open document; the problems are shown.
    pub async fn reload(&self) {
        self.state.announce(Activity::Loading, None, None).await;
        let engine = self.state.load_engine().await;
        for problem in engine.problem().into_iter().chain(engine.lexicon_problem()) {
            self.warn(problem.to_string()).await;
        }
        self.state.announce(Activity::Idle, None, None).await;
        crate::handlers::publish::schedule_all(&self.state);
    }

    /// An empty token set, for documents that are not tagged.
    fn no_tokens(&self) -> SemanticTokens {
        SemanticTokens {
            result_id: Some(self.state.next_result_id()),
            data: Vec::new(),
        }
    }

    /// `window/workDoneProgress/cancel`: the user pressed cancel on the retraining's progress.
    pub async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        if self.state.retraining.cancel(&params.token) {
            tracing::info!("retraining cancelled by the user");
        }
    }

    async fn warn(&self, message: String) {
        tracing::warn!("{message}");
        self.client
            .show_message(MessageType::WARNING, message)
            .await;
    }

    /// Applies settings from the client; problems are shown, and a model change reloads the
    /// engine and re-tags every open document.
    async fn apply_settings(&self, value: &Value) {
        let current = self.state.settings();
        let (next, problems) = self.updated_settings(value);
        // A model that did not load is tried again: the cause may be fixed.
        let model_changed = next.model_path != current.model_path
            || next.lexicon_path != current.lexicon_path
            || next.threads != current.threads
            || self.state.engine().problem().is_some();
        let limits_changed = (next.max_document_bytes, next.max_line_bytes)
            != (current.max_document_bytes, current.max_line_bytes);
        // Hints depend on the threshold and the types shown: republish them.
        let hints_changed = (next.uncertain_hints || current.uncertain_hints) && next != current;
        // Decisions naming a type declared only now were skipped when the store was read.
        let types_added = next
            .custom_types
            .iter()
            .any(|c| current.custom(c.entity_type).is_none());
        *self
            .state
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner()) = next;
        for p in problems {
            self.warn(p).await;
        }
        if limits_changed {
            for message in sync::recheck(&self.state, &self.untagged) {
                self.warn(message).await;
            }
        }
        if types_added {
            if let Some(problem) = self.state.load_decisions() {
                self.warn(problem).await;
            }
        }
        if model_changed {
            self.reload().await;
        } else if hints_changed || types_added {
            crate::handlers::publish::schedule_all(&self.state);
        }
        // Results change without an edit (types shown, threshold, model).
        let _ = self.client.semantic_tokens_refresh().await;
    }
}

impl Backend {
    /// `initialize`: encoding, progress support, workspace root, settings, decisions, model.
    async fn start(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref());
        let encoding = PositionEncoding::negotiate(offered);
        let progress = params
            .capabilities
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false);
        self.state
            .progress_supported
            .store(progress, std::sync::atomic::Ordering::Relaxed);
        let _ = self.state.encoding.set(encoding);
        #[allow(deprecated)] // root_uri: older clients send only this
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or(params.root_uri.clone())
            .and_then(|uri| crate::state::file_path(uri.as_str()));
        let _ = self.state.root.set(root);
        if let Some(options) = &params.initialization_options {
            let (settings, problems) = self.updated_settings(options);
            *self
                .state
                .settings
                .write()
                .unwrap_or_else(|e| e.into_inner()) = settings;
            for p in problems {
                self.warn(p).await;
            }
        }
        if let Some(problem) = self.state.load_decisions() {
            self.warn(problem).await;
        }
        self.state.load_engine().await;
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "bioscope".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        ..Default::default()
                    },
                )),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: legend(),
                            range: Some(true),
                            full: Some(SemanticTokensFullOptions::Delta { delta: Some(true) }),
                            ..Default::default()
                        },
                    ),
                ),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: command::commands(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        })
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        self.guarded("initialize", self.start(params)).await
    }

    async fn initialized(&self, _: InitializedParams) {
        self.guarded_notification("initialized", async {
            let engine = self.state.engine();
            for problem in engine.problem().into_iter().chain(engine.lexicon_problem()) {
                self.warn(problem.to_string()).await;
            }
            self.state.announce(Activity::Idle, None, None).await;
        })
        .await
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.guarded_notification("textDocument/didOpen", async {
            if let Some(message) = sync::did_open(&self.state, &self.untagged, params) {
                self.warn(message).await;
            }
        })
        .await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.guarded_notification("textDocument/didChange", async {
            if let Some(problem) = sync::did_change(&self.state, &self.untagged, params) {
                self.warn(problem).await;
            }
        })
        .await
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.guarded_notification("textDocument/didClose", async {
            let uri = params.text_document.uri.clone();
            sync::did_close(&self.state, &self.untagged, params);
            if self.state.hinted.remove(&uri).is_some() {
                self.client.publish_diagnostics(uri, Vec::new(), None).await;
            }
        })
        .await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.guarded_notification(
            "workspace/didChangeConfiguration",
            self.apply_settings(&params.settings),
        )
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        if self.untagged.contains(&params.text_document.uri) {
            return Ok(Some(SemanticTokensResult::Tokens(self.no_tokens())));
        }
        self.guarded(
            "textDocument/semanticTokens/full",
            semantic_tokens::full(&self.state, params),
        )
        .await
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        if self.untagged.contains(&params.text_document.uri) {
            return Ok(Some(SemanticTokensFullDeltaResult::Tokens(
                self.no_tokens(),
            )));
        }
        self.guarded(
            "textDocument/semanticTokens/full/delta",
            semantic_tokens::full_delta(&self.state, params),
        )
        .await
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        if self.untagged.contains(&params.text_document.uri) {
            return Ok(Some(SemanticTokensRangeResult::Tokens(self.no_tokens())));
        }
        self.guarded(
            "textDocument/semanticTokens/range",
            semantic_tokens::range(self.state.clone(), params),
        )
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.guarded("textDocument/hover", hover::hover(&self.state, params))
            .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.guarded(
            "textDocument/documentSymbol",
            symbols::document_symbols(&self.state, params),
        )
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        self.guarded("workspace/symbol", async {
            symbols::workspace_symbols(&self.state, params)
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.guarded(
            "textDocument/codeAction",
            code_action::code_action(&self.state, params),
        )
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        self.guarded("workspace/executeCommand", async {
            if params.command == command::RELOAD_MODEL {
                self.reload().await;
                return Ok(Some(command::status_value(&self.state)));
            }
            if params.command == command::DOCUMENT_TEXT {
                return Ok(Some(command::document_text(
                    &self.state,
                    &self.untagged,
                    params.arguments,
                )?));
            }
            let (value, changed) = command::execute(&self.state, params).await?;
            if changed {
                let _ = self.client.semantic_tokens_refresh().await;
            }
            Ok(value)
        })
        .await
    }
}
