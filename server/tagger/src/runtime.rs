//! Loading the ONNX Runtime shared library, once per process.
//!
//! Invariant: the library path comes from the caller (a command-line flag or a machine-level
//! setting) or from the `ORT_DYLIB_PATH` environment variable; nothing in a workspace chooses it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

/// The environment variable naming the ONNX Runtime library.
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("no ONNX Runtime library given: set {ORT_DYLIB_ENV} to libonnxruntime.so (run `bash .ci/setup` to fetch it into .assets/onnxruntime/)")]
    NotConfigured,
    #[error("ONNX Runtime library {path} does not exist (run `bash .ci/setup`, or point {ORT_DYLIB_ENV} at libonnxruntime.so)")]
    Missing { path: PathBuf },
    #[error("cannot load ONNX Runtime from {path}: {message}")]
    Load { path: PathBuf, message: String },
    #[error("ONNX Runtime was already loaded from {loaded}; cannot switch to {requested} in the same process")]
    AlreadyLoaded { loaded: PathBuf, requested: PathBuf },
}

struct Loaded {
    path: PathBuf,
    environment: Result<Environment, String>,
}

static RUNTIME: OnceLock<Loaded> = OnceLock::new();

/// The library path: `explicit` if given, else `ORT_DYLIB_PATH`.
pub fn library_path(explicit: Option<&Path>) -> Result<PathBuf, RuntimeError> {
    match explicit {
        Some(p) => Ok(p.to_path_buf()),
        None => std::env::var_os(ORT_DYLIB_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .ok_or(RuntimeError::NotConfigured),
    }
}

/// Loads ONNX Runtime (first call) and returns the process-wide environment.
pub fn environment(explicit: Option<&Path>) -> Result<&'static Environment, RuntimeError> {
    let path = library_path(explicit)?;
    if !path.is_file() {
        return Err(RuntimeError::Missing { path });
    }
    let loaded = RUNTIME.get_or_init(|| {
        let environment = ort::init_from(&path)
            .map_err(|e| e.to_string())
            .and_then(|builder| {
                builder
                    .with_name("bioscope")
                    .build()
                    .map_err(|e| e.to_string())
            });
        Loaded {
            path: path.clone(),
            environment,
        }
    });
    if loaded.path != path {
        return Err(RuntimeError::AlreadyLoaded {
            loaded: loaded.path.clone(),
            requested: path,
        });
    }
    loaded
        .environment
        .as_ref()
        .map_err(|message| RuntimeError::Load {
            path: loaded.path.clone(),
            message: message.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_named_with_the_fix() {
        let err = environment(Some(Path::new("/nonexistent/libonnxruntime.so")))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("/nonexistent/libonnxruntime.so does not exist"),
            "{err}"
        );
        assert!(err.contains(".ci/setup"), "{err}");
    }
}
