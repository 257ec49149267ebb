//! workspace/executeCommand: `bioscope.status` (model, problem, cache counters, corrections)
//! and `bioscope.applyCorrection` (record a [`Decision`] and apply it everywhere).

use std::sync::Arc;

use bioscope_core::corrections::{self, Correction, SpanLabel, SCHEMA_VERSION};
use bioscope_core::segment::segment;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::ExecuteCommandParams;

use crate::handlers::code_action::{Decision, DocSpan};
use crate::state::State;

pub const STATUS: &str = "bioscope.status";
pub const APPLY_CORRECTION: &str = "bioscope.applyCorrection";

pub fn commands() -> Vec<String> {
    vec![STATUS.to_string(), APPLY_CORRECTION.to_string()]
}

/// Runs a command; `Ok((value, changed))` where `changed` says results changed without an edit.
pub async fn execute(
    state: &Arc<State>,
    params: ExecuteCommandParams,
) -> Result<(Option<Value>, bool)> {
    match params.command.as_str() {
        STATUS => Ok((Some(status(state)), false)),
        APPLY_CORRECTION => {
            let arg = params.arguments.into_iter().next().unwrap_or(Value::Null);
            let decision: Decision = serde_json::from_value(arg).map_err(|e| {
                Error::invalid_params(format!("bioscope.applyCorrection needs a decision: {e}"))
            })?;
            let stored = apply_correction(state, decision).await?;
            Ok((Some(json!({"stored": stored})), true))
        }
        other => Err(Error::invalid_params(format!("unknown command {other}"))),
    }
}

fn status(state: &State) -> Value {
    let engine = state.engine();
    let stats = engine.stats();
    let decisions = state
        .decisions
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .records
        .len();
    json!({
        "model": engine.model_name(),
        "modelDir": engine.model_dir().display().to_string(),
        "problem": engine.problem(),
        "cache": {"hits": stats.hits, "misses": stats.misses, "entries": stats.entries},
        "openDocuments": state.docs.len(),
        "corrections": decisions,
        "correctionsPath": state.corrections_path().map(|p| p.display().to_string()),
    })
}

/// Records the decision in the store (durably) and applies it to every open document.
async fn apply_correction(state: &Arc<State>, d: Decision) -> Result<String> {
    let Some((rope, version, format)) = state.snapshot(&d.uri) else {
        return Err(Error::invalid_params("the document is not open"));
    };
    if version != d.version {
        return Err(Error::new(ErrorCode::ContentModified));
    }
    let path = state.corrections_path().ok_or_else(|| {
        Error::invalid_params(
            "no workspace folder to keep corrections in: open a folder or set bioscope.correctionsPath",
        )
    })?;
    let text = rope.to_string();
    let target = d
        .new
        .or(d.old)
        .ok_or_else(|| Error::invalid_params("empty decision"))?;
    let paragraph = segment(&text, format)
        .into_iter()
        .find(|p| {
            [d.old, d.new]
                .iter()
                .flatten()
                .all(|s| p.range.start <= s.start && s.end <= p.range.end)
        })
        .ok_or_else(|| {
            Error::invalid_params(format!(
                "the span {}..{} is not inside one paragraph of prose",
                target.start, target.end
            ))
        })?;
    let shift = paragraph.range.start;
    let relative = |s: DocSpan| SpanLabel {
        start: s.start - shift,
        end: s.end - shift,
        entity_type: s.entity_type,
    };
    let record = Correction {
        schema: SCHEMA_VERSION,
        action: d.action,
        scope: d.scope,
        document: state.document_name(&d.uri),
        paragraph: paragraph.prose(&text),
        old: d.old.map(relative),
        new: d.new.map(relative),
        model_sha256: state.engine().model_sha256().to_string(),
        timestamp: corrections::now_rfc3339(),
    };
    let to_store = record.clone();
    let store = path.clone();
    tokio::task::spawn_blocking(move || corrections::append(&store, &to_store))
        .await
        .map_err(|e| Error::invalid_params(e.to_string()))?
        .map_err(|e| Error::invalid_params(e.to_string()))?;
    state.add_decision(record);
    state.schedule_all();
    Ok(path.display().to_string())
}
