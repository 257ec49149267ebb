//! ONNX export (written below).
use anyhow::Result;
use bioscope_core::bundle::Manifest;
use std::path::Path;
pub struct ExportOptions {
    pub int8: bool,
}
pub fn export_bundle(
    _run: &crate::run::LoadedRun,
    _out: &Path,
    _o: &ExportOptions,
) -> Result<Manifest> {
    anyhow::bail!("not yet")
}
