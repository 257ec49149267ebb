//! How the tagger runs its model: threads, the ONNX Runtime library, batch size, device.

use std::path::PathBuf;

/// How to run the model.
#[derive(Clone, Debug)]
pub struct TaggerOptions {
    /// Intra-op threads for ONNX Runtime.
    pub threads: usize,
    /// The ONNX Runtime library; `None` reads `ORT_DYLIB_PATH`.
    pub library: Option<PathBuf>,
    /// Padded pieces per inference batch.
    pub batch_tokens: usize,
    /// Where inference runs; CUDA falls back to the CPU, saying why, when it cannot run.
    pub device: Device,
}

/// Where inference runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Device {
    #[default]
    Cpu,
    /// ONNX Runtime's CUDA execution provider (a GPU build of the library: the
    /// `onnxruntime-gpu` wheel's `libonnxruntime.so`, with CUDA and cuDNN installed).
    Cuda,
}

impl std::str::FromStr for Device {
    type Err = String;

    fn from_str(s: &str) -> Result<Device, String> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Device::Cpu),
            "cuda" | "gpu" => Ok(Device::Cuda),
            other => Err(format!("unknown device `{other}`: use cpu or cuda")),
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        })
    }
}

impl Default for TaggerOptions {
    fn default() -> Self {
        TaggerOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            library: None,
            batch_tokens: 8192,
            device: Device::Cpu,
        }
    }
}
