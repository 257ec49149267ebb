//! workspace/executeCommand: `bioscope.status` (model, problem, cache counters, open documents).

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::ExecuteCommandParams;

use crate::state::State;

pub const STATUS: &str = "bioscope.status";

pub fn commands() -> Vec<String> {
    vec![STATUS.to_string()]
}

pub fn execute(state: &State, params: ExecuteCommandParams) -> Result<Option<Value>> {
    match params.command.as_str() {
        STATUS => {
            let engine = state.engine();
            let stats = engine.stats();
            Ok(Some(json!({
                "model": engine.model_name(),
                "modelDir": engine.model_dir().display().to_string(),
                "problem": engine.problem(),
                "cache": {"hits": stats.hits, "misses": stats.misses, "entries": stats.entries},
                "openDocuments": state.docs.len(),
            })))
        }
        other => Err(Error::invalid_params(format!("unknown command {other}"))),
    }
}
