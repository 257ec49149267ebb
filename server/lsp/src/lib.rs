//! bioscope-lsp: the language server. The only crate that knows LSP and JSON-RPC.
//!
//! [`server`] implements `tower_lsp_server::LanguageServer` with one short call per method into
//! [`handlers`]; [`state`] holds the open documents (ropes), their latest analysis and the
//! live-tagging scheduler; [`decision_store`] says where corrections and retrained models
//! go; [`engine`] wraps the cached tagger; [`position`] converts between
//! LSP positions and byte offsets; [`semantic_tokens`] encodes entities as tokens.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod activity;
pub mod decision_store;
pub mod document;
pub mod engine;
pub mod error;
pub mod handlers;
pub mod labs;
pub mod position;
pub mod semantic_tokens;
pub mod server;
pub mod settings;
pub mod state;
pub mod transport;

use std::sync::Arc;

pub use state::ServerOptions;

/// Serves LSP over stdin/stdout until the client exits; malformed input is answered with
/// errors and skipped ([`transport`]).
pub async fn run_stdio(options: ServerOptions) {
    let state = Arc::new(state::State::new(options));
    let (service, socket) = tower_lsp_server::LspService::build(|client| {
        let _ = state.client.set(client.clone());
        server::Backend::new(client, state)
    })
    // Not in the LanguageServer trait of tower-lsp-server 0.23.
    .custom_method(
        "window/workDoneProgress/cancel",
        server::Backend::work_done_progress_cancel,
    )
    .finish();
    let (server_in, filtered) = tokio::io::duplex(1 << 20);
    let (server_out, to_client) = tokio::io::duplex(1 << 20);
    let (errors_tx, errors_rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(transport::filter_input(
        tokio::io::stdin(),
        filtered,
        errors_tx,
    ));
    let output = tokio::spawn(transport::merge_output(
        to_client,
        errors_rx,
        tokio::io::stdout(),
    ));
    tower_lsp_server::Server::new(server_in, server_out, socket)
        .serve(service)
        .await;
    let _ = output.await;
}
