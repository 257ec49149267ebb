//! Why the server refuses or fails a request: one variant per kind, each message saying what to
//! do about it, turned into a JSON-RPC error (with its code) only at the edge.

use tower_lsp_server::jsonrpc::{Error, ErrorCode};
use tower_lsp_server::ls_types::Uri;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{command} needs {expected}: {reason}")]
    BadArgument {
        command: String,
        expected: &'static str,
        reason: String,
    },
    #[error("unknown command `{command}`: expected one of {}", known.join(", "))]
    UnknownCommand { command: String, known: Vec<String> },
    #[error("{} is not open: open it in the editor first", .0.as_str())]
    NotOpen(Uri),
    #[error("the document changed while BioScope worked on it: ask again for its new version")]
    ContentModified,
    #[error("the position {line}:{character} is outside the document: send a position inside it")]
    OutOfRange { line: u32, character: u32 },
    #[error(
        "nowhere to keep corrections: no workspace folder is open and neither XDG_DATA_HOME nor \
         HOME is set; open a folder, or start the server with --corrections PATH"
    )]
    NoCorrectionsStore,
    #[error("the decision names no span: give `old`, `new` or both")]
    EmptyDecision,
    #[error(
        "the span {start}..{end} is not inside one paragraph of prose: select words of one paragraph"
    )]
    NotInOneParagraph { start: usize, end: usize },
    /// The export table's message, which lists the formats there are.
    #[error("{0}")]
    UnknownExportFormat(String),
    #[error(
        "BioScope is already retraining: wait for it to finish, or cancel it from its progress \
         notification"
    )]
    AlreadyRetraining,
    /// A retraining that could not start or did not finish: what went wrong, what to do, and
    /// which model keeps serving.
    #[error("{0}")]
    Retraining(String),
    /// A handler panicked; the server caught it.
    #[error(
        "BioScope hit an internal error in {method}: {message}. The server keeps running; please \
         report this with the log."
    )]
    Internal { method: String, message: String },
}

impl From<ServerError> for Error {
    fn from(e: ServerError) -> Error {
        let code = match e {
            ServerError::ContentModified => ErrorCode::ContentModified,
            ServerError::Retraining(_) | ServerError::Internal { .. } => ErrorCode::InternalError,
            _ => ErrorCode::InvalidParams,
        };
        Error {
            code,
            message: e.to_string().into(),
            data: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_code_and_says_what_to_do() {
        let uri: Uri = "file:///ws/paper.md".parse().unwrap();
        let not_open = Error::from(ServerError::NotOpen(uri));
        assert_eq!(not_open.code, ErrorCode::InvalidParams);
        assert_eq!(
            not_open.message,
            "file:///ws/paper.md is not open: open it in the editor first"
        );
        let unknown = Error::from(ServerError::UnknownCommand {
            command: "bioscope.nope".into(),
            known: vec!["bioscope.status".into(), "bioscope.retrain".into()],
        });
        assert_eq!(
            unknown.message,
            "unknown command `bioscope.nope`: expected one of bioscope.status, bioscope.retrain"
        );
        assert_eq!(
            Error::from(ServerError::ContentModified).code,
            ErrorCode::ContentModified
        );
        let busy = Error::from(ServerError::AlreadyRetraining);
        assert_eq!(busy.code, ErrorCode::InvalidParams);
        assert!(busy.message.contains("cancel it"), "{}", busy.message);
        let failed = Error::from(ServerError::Retraining("no trainer: start ...".into()));
        assert_eq!(failed.code, ErrorCode::InternalError);
    }
}
