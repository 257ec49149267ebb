//! The `LanguageServer` implementation: capabilities and one short call per method into
//! [`crate::handlers`].

use std::sync::Arc;

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::activity::Activity;
use crate::handlers::{code_action, command, hover, semantic_tokens, symbols, sync};
use crate::position::PositionEncoding;
use crate::semantic_tokens::legend;
use crate::state::State;

pub struct Backend {
    client: Client,
    state: Arc<State>,
}

impl Backend {
    pub fn new(client: Client, state: Arc<State>) -> Self {
        Backend { client, state }
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
        let (next, problems) = current.updated(value);
        let model_changed = next.model_path != current.model_path
            || next.lexicon_path != current.lexicon_path
            || next.threads != current.threads;
        // Hints depend on the threshold and the types shown: republish them.
        let hints_changed = (next.uncertain_hints || current.uncertain_hints) && next != current;
        *self
            .state
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner()) = next;
        for p in problems {
            self.warn(p).await;
        }
        if model_changed {
            self.state.announce(Activity::Loading, None, None).await;
            let engine = self.state.load_engine().await;
            for problem in engine.problem().into_iter().chain(engine.lexicon_problem()) {
                self.warn(problem.to_string()).await;
            }
            self.state.announce(Activity::Idle, None, None).await;
            self.state.schedule_all();
        } else if hints_changed {
            self.state.schedule_all();
        }
        // Results change without an edit (types shown, threshold, model).
        let _ = self.client.semantic_tokens_refresh().await;
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
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
        if let Some(options) = &params.initialization_options {
            let (settings, problems) = self.state.settings().updated(options);
            *self
                .state
                .settings
                .write()
                .unwrap_or_else(|e| e.into_inner()) = settings;
            for p in problems {
                self.warn(p).await;
            }
        }
        #[allow(deprecated)] // root_uri: older clients send only this
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or(params.root_uri.clone())
            .and_then(|uri| crate::state::file_path(uri.as_str()));
        let _ = self.state.root.set(root);
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

    async fn initialized(&self, _: InitializedParams) {
        let engine = self.state.engine();
        for problem in engine.problem().into_iter().chain(engine.lexicon_problem()) {
            self.warn(problem.to_string()).await;
        }
        self.state.announce(Activity::Idle, None, None).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        sync::did_open(&self.state, params);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        if let Some(problem) = sync::did_change(&self.state, params) {
            self.warn(problem).await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri.clone();
        sync::did_close(&self.state, params);
        if self.state.hinted.remove(&uri).is_some() {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.apply_settings(&params.settings).await;
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        semantic_tokens::full(&self.state, params).await
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        semantic_tokens::full_delta(&self.state, params).await
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        semantic_tokens::range(self.state.clone(), params).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        hover::hover(&self.state, params).await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        symbols::document_symbols(&self.state, params).await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        symbols::workspace_symbols(&self.state, params)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        code_action::code_action(&self.state, params).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let (value, changed) = command::execute(&self.state, params).await?;
        if changed {
            let _ = self.client.semantic_tokens_refresh().await;
        }
        Ok(value)
    }
}
