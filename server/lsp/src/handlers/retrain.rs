//! `bioscope.retrain`: fine-tunes the current model on the workspace's corrections by running
//! the trainer (`bioscope-train finetune`) as a child process, reports its progress
//! (`$/progress`, cancellable, and `bioscope/status`), and switches to the new bundle only once
//! it loads; on any failure the old model keeps serving and the error says why.
//!
//! The trainer executable comes only from the server's command line or environment
//! (`--trainer`, `BIOSCOPE_TRAINER`, else `bioscope-train` beside the server binary), never from
//! workspace settings. New bundles go to `.bioscope/models/` in the workspace
//! ([`WorkspaceModels`]), and the choice of bundle survives a restart.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bioscope_core::retraining::TrainerEvent;
use bioscope_core::workspace_models::WorkspaceModels;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::oneshot;
use tower_lsp_server::ls_types::ProgressToken;
use tower_lsp_server::{Bounded, Cancellable, OngoingProgress};

use crate::activity::Activity;
use crate::engine::Engine;
use crate::error::ServerError;
use crate::state::State;

/// Lines of the trainer's stderr kept for the error message.
const STDERR_TAIL: usize = 12;

/// However the retraining ends (also when the client cancels the request and its future is
/// dropped, which kills the trainer): clears the running flag, ends the `$/progress` and
/// announces "idle".
struct RunningGuard {
    state: Arc<State>,
    progress: Option<OngoingProgress<Bounded, Cancellable>>,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.state.retraining.end();
        let progress = self.progress.take();
        let state = self.state.clone();
        tokio::spawn(async move {
            if let Some(p) = progress {
                p.finish().await;
            }
            state.announce(Activity::Idle, None, None).await;
        });
    }
}

/// Runs the retraining; the result names the new model, its bundle and the figures.
pub async fn retrain(state: &Arc<State>) -> Result<Value, ServerError> {
    if !state.retraining.begin() {
        return Err(ServerError::AlreadyRetraining);
    }
    let mut guard = RunningGuard {
        state: state.clone(),
        progress: None,
    };
    let old = state.engine();
    let old_name = old.model_name().unwrap_or("no model").to_string();
    let keep = format!("BioScope keeps using {old_name}");
    let trainer = state.options.trainer.clone().ok_or_else(|| {
        ServerError::Retraining(format!(
            "no trainer: start the server with --trainer PATH (or BIOSCOPE_TRAINER), or install \
             bioscope-train beside the bioscope binary. {keep}."
        ))
    })?;
    if old.model_name().is_none() {
        return Err(ServerError::Retraining(format!(
            "there is no model to retrain ({}); configure one first",
            old.problem().unwrap_or("not loaded")
        )));
    }
    let (Some(corrections), Some(folder)) = (state.corrections_path(), state.decision_folder())
    else {
        return Err(ServerError::Retraining(format!(
            "{} {keep}.",
            ServerError::NoCorrectionsStore
        )));
    };
    let count = state
        .decisions
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .records
        .len();
    if count == 0 {
        return Err(ServerError::Retraining(format!(
            "no corrections yet in {}: accept, reject or retype some mentions first",
            corrections.display()
        )));
    }
    let models = WorkspaceModels::in_folder(&folder.dir());
    std::fs::create_dir_all(models.dir()).map_err(|e| {
        ServerError::Retraining(format!(
            "cannot create {}: {e}; check that the workspace folder is writable. {keep}.",
            models.dir().display()
        ))
    })?;
    // A workspace's `.bioscope` or `models` that links elsewhere cannot send the trainer there.
    if !crate::settings::is_inside(models.dir(), folder.boundary()) {
        return Err(ServerError::Retraining(format!(
            "{} leads outside {}: remove the link. {keep}.",
            models.dir().display(),
            folder.boundary().display()
        )));
    }
    let out = models.new_bundle_path(&old_name);

    let mut command = tokio::process::Command::new(&trainer);
    command
        .arg("finetune")
        .arg("--base")
        .arg(old.model_dir())
        .arg("--corrections")
        .arg(&corrections)
        .arg("--out")
        .arg(&out);
    // A model with lexicon features retrains reading them from the lexicon the server uses.
    if old.lexicon().is_some() {
        command.arg("--lexicon").arg(old.lexicon_dir());
    }
    let mut child = command
        .args(["--progress", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true) // a cancelled request or a server exit stops it
        .spawn()
        .map_err(|e| {
            ServerError::Retraining(format!(
                "cannot start the trainer {}: {e}. {keep}.",
                trainer.display()
            ))
        })?;
    tracing::info!(trainer = %trainer.display(), out = %out.display(), corrections = count, "retraining");

    // Progress: `$/progress` with a cancel button where the client supports it.
    let (cancel_tx, mut cancel_rx) = oneshot::channel();
    let token = ProgressToken::String(format!("bioscope/retrain/{}", state.next_result_id()));
    let client = state
        .client
        .get()
        .filter(|_| state.progress_supported.load(Ordering::Relaxed));
    guard.progress = match client {
        Some(client)
            if client
                .create_work_done_progress(token.clone())
                .await
                .is_ok() =>
        {
            state.retraining.cancellable(token.clone(), cancel_tx);
            Some(
                client
                    .progress(token, format!("BioScope: retraining {old_name}"))
                    .with_percentage(0)
                    .with_cancel_button()
                    .begin()
                    .await,
            )
        }
        _ => None,
    };
    state
        .announce(
            Activity::Retraining,
            Some(format!("{count} corrections")),
            Some(0),
        )
        .await;

    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let stderr_task = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(STDERR_TAIL)..].join("\n")
    });
    let mut lines = BufReader::new(stdout).lines();
    let mut done = None;
    let outcome: std::result::Result<(), String> = loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => match TrainerEvent::from_line(&line) {
                    Some(TrainerEvent::Progress { percentage, message }) => {
                        let pct = percentage.min(100);
                        if let Some(p) = &guard.progress {
                            p.report_with_message(message.clone(), pct, None).await;
                        }
                        state.announce(Activity::Retraining, Some(message), Some(pct)).await;
                    }
                    Some(event @ TrainerEvent::Done { .. }) => done = Some(event),
                    None => tracing::info!(trainer = %line),
                },
                Ok(None) => break Ok(()),
                Err(e) => break Err(format!("reading the trainer's output: {e}")),
            },
            _ = &mut cancel_rx => {
                let _ = child.kill().await;
                break Err("cancelled".into());
            }
        }
    };
    let status = child.wait().await;
    let stderr_tail = stderr_task.await.unwrap_or_default();
    let result = match (outcome, status) {
        (Err(reason), _) => Err(reason),
        (Ok(()), Err(e)) => Err(format!("the trainer did not finish: {e}")),
        (Ok(()), Ok(status)) if !status.success() => Err(format!(
            "the trainer failed ({status}): {}",
            if stderr_tail.is_empty() {
                "no message"
            } else {
                &stderr_tail
            }
        )),
        (Ok(()), Ok(_)) => match done {
            Some(TrainerEvent::Done {
                bundle,
                corrections,
                seconds,
            }) => switch_to(state, &models, bundle).await.map(|engine| {
                json!({
                    "model": engine.model_name(),
                    "bundle": engine.model_dir(),
                    "corrections": corrections,
                    "seconds": seconds,
                })
            }),
            _ => Err("the trainer ended without saying where the new model is".into()),
        },
    };
    drop(guard); // ends the progress and announces "idle"
    result.map_err(|reason| {
        tracing::warn!("retraining failed: {reason}");
        ServerError::Retraining(format!("Retraining failed: {reason}. {keep}."))
    })
}

/// Loads the new bundle and makes it current (for this server and, through the workspace's
/// model history, for the next start); the old engine stays if it does not load.
async fn switch_to(
    state: &Arc<State>,
    models: &WorkspaceModels,
    bundle: PathBuf,
) -> std::result::Result<Arc<Engine>, String> {
    let inside = bundle
        .parent()
        .zip(models.dir().canonicalize().ok())
        .is_some_and(|(parent, dir)| parent.canonicalize().ok() == Some(dir));
    let name = bundle
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string);
    let (true, Some(name)) = (inside, name) else {
        return Err(format!(
            "the trainer wrote {} outside {}",
            bundle.display(),
            models.dir().display()
        ));
    };
    let engine = state.load_engine_from(bundle).await;
    if let Some(problem) = engine.problem() {
        return Err(format!("the new model does not load: {problem}"));
    }
    models
        .use_bundle(&name)
        .map_err(|e| format!("the new model works but cannot be recorded as current: {e}"))?;
    state.set_engine(engine.clone());
    super::publish::schedule_all(state);
    Ok(engine)
}
