//! TensorBoard event files for a training run (`RUN/tensorboard/events.out.tfevents.*`): scalars
//! (loss, learning rate, gradient norm, pieces/s, dev P/R/F1) and text (the config, the run's
//! card), which `tensorboard --logdir runs` shows and `wandb sync --sync-tensorboard` uploads.
//!
//! The format is TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C
//! of the data) around `tensorflow.Event` protocol buffers, written field by field with the
//! `protobuf` crate's coded stream (the messages are small and fixed: no generated code).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use protobuf::CodedOutputStream;

/// The folder under a run directory that holds its event files.
pub const TENSORBOARD_DIR: &str = "tensorboard";

/// `tensorflow.DataType.DT_STRING`.
const DT_STRING: i32 = 7;

/// Appends events to one new event file.
pub struct EventWriter {
    path: PathBuf,
    file: BufWriter<File>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The CRC-32C of `data`, masked as TFRecord stores it.
fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    (crc.rotate_right(15)).wrapping_add(0xa282_ead8)
}

/// Encodes one message with `write`, as bytes (for embedding as a length-delimited field).
fn message(write: impl FnOnce(&mut CodedOutputStream) -> protobuf::Result<()>) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut os = CodedOutputStream::vec(&mut bytes);
        // Writing into a Vec cannot fail.
        let _ = write(&mut os).and_then(|()| os.flush());
    }
    bytes
}

/// A `tensorflow.Summary` with one value (`tag`, then the value's own fields).
fn summary(value: Vec<u8>) -> Vec<u8> {
    message(|os| os.write_bytes(1, &value))
}

impl EventWriter {
    /// A new event file in `dir` (created), starting with the file-version event.
    pub fn create(dir: &Path) -> Result<EventWriter> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "bioscope".into());
        let path = dir.join(format!(
            "events.out.tfevents.{}.{host}.{}",
            now() as u64,
            std::process::id()
        ));
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = EventWriter {
            path,
            file: BufWriter::new(file),
        };
        let version = message(|os| {
            os.write_double(1, now())?;
            os.write_string(3, "brain.Event:2")
        });
        writer.record(&version)?;
        Ok(writer)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn record(&mut self, data: &[u8]) -> Result<()> {
        let len = (data.len() as u64).to_le_bytes();
        let write = |file: &mut BufWriter<File>| -> std::io::Result<()> {
            file.write_all(&len)?;
            file.write_all(&masked_crc(&len).to_le_bytes())?;
            file.write_all(data)?;
            file.write_all(&masked_crc(data).to_le_bytes())
        };
        write(&mut self.file).with_context(|| format!("cannot write {}", self.path.display()))
    }

    fn event(&mut self, step: u64, summary: Vec<u8>) -> Result<()> {
        let event = message(|os| {
            os.write_double(1, now())?;
            os.write_int64(2, step as i64)?;
            os.write_bytes(5, &summary)
        });
        self.record(&event)
    }

    /// A scalar (`simple_value`) at `step`.
    pub fn scalar(&mut self, tag: &str, step: u64, value: f64) -> Result<()> {
        let value = message(|os| {
            os.write_string(1, tag)?;
            os.write_float(2, value as f32)
        });
        self.event(step, summary(value))
    }

    /// A text summary (the text plugin: a string tensor) at `step`; Markdown is rendered.
    pub fn text(&mut self, tag: &str, step: u64, text: &str) -> Result<()> {
        let tensor = message(|os| {
            os.write_int32(1, DT_STRING)?;
            os.write_bytes(2, &[])?; // a scalar: a shape with no dimensions
            os.write_bytes(8, text.as_bytes())
        });
        let plugin = message(|os| os.write_string(1, "text"));
        let metadata = message(|os| os.write_bytes(1, &plugin));
        let value = message(|os| {
            os.write_string(1, tag)?;
            os.write_bytes(8, &tensor)?;
            os.write_bytes(9, &metadata)
        });
        self.event(step, summary(value))
    }

    /// Makes what was written so far readable (TensorBoard reads files as they grow).
    pub fn flush(&mut self) -> Result<()> {
        self.file
            .flush()
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_framed_with_masked_crcs() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = EventWriter::create(dir.path()).unwrap();
        w.scalar("loss", 3, 0.5).unwrap();
        w.text("config", 0, "lr = 1e-4").unwrap();
        w.flush().unwrap();
        let bytes = std::fs::read(w.path()).unwrap();
        // Walk the records: each length and its data check out.
        let mut at = 0;
        let mut records = 0;
        while at < bytes.len() {
            let len = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
            let len_crc = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap());
            assert_eq!(len_crc, masked_crc(&bytes[at..at + 8]));
            let data = &bytes[at + 12..at + 12 + len];
            let data_crc =
                u32::from_le_bytes(bytes[at + 12 + len..at + 16 + len].try_into().unwrap());
            assert_eq!(data_crc, masked_crc(data));
            at += 16 + len;
            records += 1;
        }
        assert_eq!(records, 3, "version, scalar, text");
        assert!(bytes.windows(13).any(|w| w == b"brain.Event:2"));
    }
}
