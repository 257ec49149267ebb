//! workspace/executeCommand: `bioscope.status` (model, problem, cache counters, corrections),
//! `bioscope.applyCorrection` (record a [`Decision`] and apply it everywhere),
//! `bioscope.exportDocument` (a document's entities as PubTator, CoNLL, brat or BioC) and
//! `bioscope.exportCorrections` (the decisions as PubTator or JSONL) and
//! `bioscope.nextUncertain` (see [`uncertain`]) and `bioscope.retrain` (see [`super::retrain`]);
//! `bioscope.reloadModel` (load the model again once its problem is fixed; run by the server,
//! which owns the messages) and `bioscope.documentText` (what the server holds for a document:
//! version and text, to diagnose an editor out of sync; not advertised).

use std::sync::Arc;

use bioscope_core::corrections::{self, Correction, SpanLabel, SCHEMA_VERSION};
use bioscope_core::export::{self, Annotation, ExportDocument, ExportFormat};
use bioscope_core::segment::DocFormat;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::ExecuteCommandParams;

use crate::decision_store::ChosenBy;
use crate::error::ServerError;
use crate::handlers::code_action::{Decision, DocSpan};
use crate::handlers::uncertain;
use crate::state::State;

pub const STATUS: &str = "bioscope.status";
pub const APPLY_CORRECTION: &str = "bioscope.applyCorrection";
pub const EXPORT_DOCUMENT: &str = "bioscope.exportDocument";
pub const EXPORT_CORRECTIONS: &str = "bioscope.exportCorrections";
pub const NEXT_UNCERTAIN: &str = "bioscope.nextUncertain";
pub const RETRAIN: &str = "bioscope.retrain";
pub const RELOAD_MODEL: &str = "bioscope.reloadModel";
pub const DOCUMENT_TEXT: &str = "bioscope.documentText";

pub fn commands() -> Vec<String> {
    [
        STATUS,
        APPLY_CORRECTION,
        EXPORT_DOCUMENT,
        EXPORT_CORRECTIONS,
        NEXT_UNCERTAIN,
        RETRAIN,
        RELOAD_MODEL,
    ]
    .map(String::from)
    .to_vec()
}

#[derive(serde::Deserialize)]
struct ExportRequest {
    uri: Option<tower_lsp_server::ls_types::Uri>,
    format: String,
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
            let decision: Decision =
                serde_json::from_value(arg).map_err(|e| ServerError::BadArgument {
                    command: APPLY_CORRECTION.into(),
                    expected: "a decision {uri, version, action, scope, old, new}",
                    reason: e.to_string(),
                })?;
            let stored = apply_correction(state, decision).await?;
            Ok((Some(json!({"stored": stored})), true))
        }
        EXPORT_DOCUMENT | EXPORT_CORRECTIONS => {
            let arg = params.arguments.into_iter().next().unwrap_or(Value::Null);
            let request: ExportRequest =
                serde_json::from_value(arg).map_err(|e| ServerError::BadArgument {
                    command: params.command.clone(),
                    expected: "{uri, format}",
                    reason: e.to_string(),
                })?;
            let content = if params.command == EXPORT_DOCUMENT {
                export_document(state, request).await?
            } else {
                export_corrections(state, &request.format)?
            };
            Ok((Some(content), false))
        }
        NEXT_UNCERTAIN => {
            let arg = params.arguments.into_iter().next().unwrap_or(Value::Null);
            Ok((Some(uncertain::next_uncertain(state, arg).await?), false))
        }
        // The new model changes every document's results.
        RETRAIN => Ok((Some(super::retrain::retrain(state).await?), true)),
        other => Err(ServerError::UnknownCommand {
            command: other.to_string(),
            known: commands(),
        }
        .into()),
    }
}

/// The current entities of a document (the types shown) in an annotation format.
async fn export_document(state: &State, request: ExportRequest) -> Result<Value> {
    let uri = request.uri.ok_or_else(|| ServerError::BadArgument {
        command: EXPORT_DOCUMENT.into(),
        expected: "{uri, format}",
        reason: "no uri".into(),
    })?;
    let format = state
        .snapshot(&uri)
        .ok_or_else(|| ServerError::NotOpen(uri.clone()))?
        .2;
    let analysis = state
        .current_analysis(&uri)
        .await
        .ok_or(ServerError::ContentModified)?;
    let settings = state.settings();
    let document = &analysis.document;
    let annotations = document.annotations(|t| settings.shows(t));
    let text = document.text();
    let id = state.document_name(&uri);
    let export_format =
        ExportFormat::from_name(&request.format).map_err(ServerError::UnknownExportFormat)?;
    let content = export_format.write(&ExportDocument {
        id: &id,
        text,
        format,
        title_len: None,
        annotations: &annotations,
    });
    Ok(json!({"format": request.format, "content": content}))
}

/// The decisions so far: JSONL as stored, or the corrected paragraphs with the labels the
/// decisions leave on them (later decisions win) as PubTator (one document per paragraph),
/// BioC XML, brat standoff or CoNLL (the paragraphs one after another, a blank line between;
/// brat's answer carries that text too, for the `.txt`).
fn export_corrections(state: &State, format: &str) -> Result<Value> {
    let decisions = state.decisions.read().unwrap_or_else(|e| e.into_inner());
    if format == "jsonl" {
        let content: String = decisions
            .records
            .iter()
            .filter_map(|r| serde_json::to_string(r).ok())
            .map(|line| line + "\n")
            .collect();
        return Ok(json!({"format": format, "content": content}));
    }
    let paragraphs = corrections::corrected_paragraphs(&decisions.records);
    let labels = |p: &corrections::CorrectedParagraph, shift: usize| -> Vec<Annotation> {
        let mut labels: Vec<Annotation> = p
            .decisions
            .iter()
            .filter_map(|d| {
                d.label.map(|entity_type| Annotation {
                    start: shift + d.start,
                    end: shift + d.end,
                    entity_type,
                    id: None,
                })
            })
            .collect();
        labels.sort_by_key(|a| (a.start, a.end));
        labels
    };
    if format == "pubtator" {
        let content: String = paragraphs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                export::pubtator(
                    &format!("correction{}", i + 1),
                    &p.text,
                    None,
                    &labels(p, 0),
                )
            })
            .collect();
        return Ok(json!({"format": format, "content": content}));
    }
    // The other formats take the paragraphs as one document; a name that is neither JSONL nor
    // an export format gets the export table's error, which lists the formats there are.
    let export_format = ExportFormat::from_name(format)
        .map_err(|e| ServerError::UnknownExportFormat(format!("{e} (or jsonl)")))?;
    let mut text = String::new();
    let mut annotations = Vec::new();
    for p in &paragraphs {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        annotations.extend(labels(p, text.len()));
        // A paragraph's own line breaks would split it in CoNLL: keep one paragraph per block.
        text.push_str(&p.text.replace(['\n', '\r'], " "));
    }
    text.push('\n');
    let content = export_format.write(&ExportDocument {
        id: "corrections",
        text: &text,
        format: DocFormat::Plain,
        title_len: None,
        annotations: &annotations,
    });
    Ok(json!({"format": format, "content": content, "text": text}))
}

/// The `bioscope.status` answer.
pub fn status_value(state: &State) -> Value {
    status(state)
}

/// `bioscope.documentText`: `{uri}` → `{version, text, tagged}` of an open document.
pub fn document_text(
    state: &State,
    untagged: &crate::handlers::sync::Untagged,
    arguments: Vec<Value>,
) -> Result<Value> {
    #[derive(serde::Deserialize)]
    struct Request {
        uri: tower_lsp_server::ls_types::Uri,
    }
    let arg = arguments.into_iter().next().unwrap_or(Value::Null);
    let request: Request = serde_json::from_value(arg).map_err(|e| ServerError::BadArgument {
        command: DOCUMENT_TEXT.into(),
        expected: "{uri}",
        reason: e.to_string(),
    })?;
    if let Some(open) = state.docs.get(&request.uri) {
        return Ok(json!({"version": open.doc.version, "text": open.doc.text(), "tagged": true}));
    }
    let (text, version) = untagged
        .text(&request.uri)
        .ok_or_else(|| ServerError::NotOpen(request.uri.clone()))?;
    Ok(json!({"version": version, "text": text, "tagged": false}))
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
    let store = state.corrections_store();
    let custom_types: Vec<Value> = state
        .settings()
        .custom_types
        .iter()
        .zip(crate::semantic_tokens::CUSTOM_TOKEN_TYPES)
        .map(|(c, slot)| json!({"name": c.entity_type.name(), "tokenType": slot, "color": c.color}))
        .collect();
    json!({
        "model": engine.model_name(),
        "modelDir": engine.model_dir().display().to_string(),
        "problem": engine.problem(),
        "lexicon": engine.lexicon().map(|l| json!({
            "path": l.path().display().to_string(),
            "names": l.name_count(),
            "concepts": l.concept_count(),
            "bytes": l.bytes_on_disk(),
        })),
        "lexiconProblem": engine.lexicon_problem(),
        "device": engine.device().map(|(d, _)| d),
        "deviceNote": engine.device().and_then(|(_, note)| note),
        "cache": {"hits": stats.hits, "misses": stats.misses, "entries": stats.entries},
        "openDocuments": state.docs.len(),
        "customTypes": custom_types,
        "corrections": decisions,
        "correctionsPath": store.as_ref().map(|(p, _)| p.display().to_string()),
        "correctionsChosenBy": store.as_ref().map(|(_, by)| by.key()),
        "correctionsWhere": match &store {
            Some((p, by)) => format!("{} ({})", p.display(), by.describe()),
            None => ServerError::NoCorrectionsStore.to_string(),
        },
    })
}

/// Records the decision in the store (durably) and applies it to every open document; the
/// store's path, or `None` when it could not be written (the decision still applies in memory
/// and the user is told).
async fn apply_correction(state: &Arc<State>, d: Decision) -> Result<Option<String>> {
    let Some((_, version, _)) = state.snapshot(&d.uri) else {
        return Err(ServerError::NotOpen(d.uri.clone()).into());
    };
    if version != d.version {
        return Err(ServerError::ContentModified.into());
    }
    let (path, chosen_by) = state
        .corrections_store()
        .ok_or(ServerError::NoCorrectionsStore)?;
    let target = d.new.or(d.old).ok_or(ServerError::EmptyDecision)?;
    if let Some(new) = d.new {
        let t = new.entity_type;
        if !t.is_built_in() && state.settings().custom(t).is_none() {
            return Err(ServerError::BadArgument {
                command: APPLY_CORRECTION.into(),
                expected: "a decision whose type is built in or declared in bioscope.customTypes",
                reason: format!("{t} is not declared"),
            }
            .into());
        }
    }
    let analysis = state
        .current_analysis(&d.uri)
        .await
        .filter(|a| a.version == d.version)
        .ok_or(ServerError::ContentModified)?;
    let spans: Vec<std::ops::Range<usize>> = [d.old, d.new]
        .iter()
        .flatten()
        .map(|s| s.start..s.end)
        .collect();
    let paragraph =
        analysis
            .document
            .paragraph_containing(&spans)
            .ok_or(ServerError::NotInOneParagraph {
                start: target.start,
                end: target.end,
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
        paragraph: paragraph.prose.clone(),
        old: d.old.map(relative),
        new: d.new.map(relative),
        model_sha256: state.engine().model_sha256().to_string(),
        timestamp: corrections::now_rfc3339(),
    };
    let to_store = record.clone();
    let store = path.clone();
    // A place the workspace chose must stay inside it; the user's own choice may be anywhere.
    let root = state
        .root
        .get()
        .cloned()
        .flatten()
        .filter(|_| matches!(chosen_by, ChosenBy::Setting | ChosenBy::Workspace));
    let stored = tokio::task::spawn_blocking(move || {
        // The folder may have become a link out of the workspace since the setting was read.
        if let Some(root) = root.filter(|r| !crate::settings::is_inside(&store, r)) {
            return Err(format!(
                "{} is outside the workspace folder {}",
                store.display(),
                root.display()
            ));
        }
        corrections::append(&store, &to_store).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("the write did not finish: {e}")));
    // The decision applies either way; the user is told when it is not on disk.
    state.add_decision(record);
    super::publish::schedule_all(state);
    match stored {
        Ok(()) => Ok(Some(path.display().to_string())),
        Err(problem) => {
            let message = format!(
                "BioScope could not save the decision: {problem}. It applies until the server \
                 stops; fix the store and decide again to keep it."
            );
            tracing::warn!("{message}");
            if let Some(client) = state.client.get() {
                client
                    .show_message(tower_lsp_server::ls_types::MessageType::WARNING, message)
                    .await;
            }
            Ok(None)
        }
    }
}
