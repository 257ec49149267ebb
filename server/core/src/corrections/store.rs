//! Appending records to the store and reading them back (see the module above for the rules).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Correction, SCHEMA_VERSION};

/// Why the store could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionsError {
    #[error("cannot write corrections to {path}: {source} (check the directory exists and is writable, or set bioscope.correctionsPath)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read corrections from {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid correction: {0}")]
    Invalid(String),
}

/// A record that could not be read back, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedLine {
    pub line: usize,
    pub reason: String,
}

/// Appends `record` to the store at `path` (creating it and its directory), durably.
pub fn append(path: &Path, record: &Correction) -> Result<(), CorrectionsError> {
    record.validate().map_err(CorrectionsError::Invalid)?;
    let write_err = |source| CorrectionsError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(write_err)?;
    }
    let mut line =
        serde_json::to_string(record).map_err(|e| CorrectionsError::Invalid(e.to_string()))?;
    line.push('\n');
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(write_err)?;
    file.lock().map_err(write_err)?;
    let result = (|| {
        if !ends_with_newline(&mut file)? {
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes())?;
        file.flush()?;
        file.sync_data()
    })();
    let _ = file.unlock();
    result.map_err(write_err)
}

fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Reads every record; lines that do not parse (or have another schema version) are skipped and
/// reported. A missing file is an empty store.
pub fn read(path: &Path) -> Result<(Vec<Correction>, Vec<SkippedLine>), CorrectionsError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(source) => {
            return Err(CorrectionsError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = serde_json::from_slice::<Correction>(line)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                if c.schema != SCHEMA_VERSION {
                    return Err(format!(
                        "schema version {} (expected {SCHEMA_VERSION})",
                        c.schema
                    ));
                }
                c.validate().map(|()| c)
            });
        match parsed {
            Ok(c) => records.push(c),
            Err(reason) => skipped.push(SkippedLine {
                line: i + 1,
                reason,
            }),
        }
    }
    Ok((records, skipped))
}

/// The current time as RFC 3339 UTC (`2026-11-23T21:05:00Z`).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC (proleptic Gregorian calendar).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corrections::{Action, Scope, SpanLabel};
    use crate::entity::EntityType;

    fn record(action: Action, text: &str) -> Correction {
        let paragraph = format!("Patients with {text} were seen.");
        let span = SpanLabel {
            start: 14,
            end: 14 + text.len(),
            entity_type: EntityType::Disease,
        };
        Correction {
            schema: SCHEMA_VERSION,
            action,
            scope: Scope::Everywhere,
            document: "paper.md".into(),
            paragraph,
            old: Some(span.clone()),
            new: (action != Action::Reject).then_some(span),
            model_sha256: "abc".into(),
            timestamp: now_rfc3339(),
        }
    }

    #[test]
    fn records_round_trip_and_damage_stays_on_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".bioscope/corrections.jsonl");
        let first = record(Action::Accept, "Wilson disease");
        append(&path, &first).unwrap();
        // A crash left half a record, then some garbage line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"schema\":1,\"action\":\"rej").unwrap();
        drop(f);
        let second = record(Action::Reject, "café");
        append(&path, &second).unwrap();
        let before = fs::read(&path).unwrap();

        let (records, skipped) = read(&path).unwrap();
        assert_eq!(records, vec![first, second.clone()]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].line, 2);
        assert_eq!(records[1].text(), Some("café"));
        // Reading never changes the file.
        assert_eq!(fs::read(&path).unwrap(), before);
        assert!(before.starts_with(b"{\"schema\":1"));
    }

    #[test]
    fn bad_spans_and_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut bad = record(Action::Accept, "é");
        bad.new.as_mut().unwrap().end = 15; // inside the two-byte "é"
        assert!(matches!(
            append(&path, &bad),
            Err(CorrectionsError::Invalid(_))
        ));
        assert!(!path.exists(), "nothing written");
        let mut future = record(Action::Accept, "gout");
        future.schema = 99;
        fs::write(&path, serde_json::to_string(&future).unwrap() + "\n").unwrap();
        let (records, skipped) = read(&path).unwrap();
        assert!(records.is_empty());
        assert!(skipped[0].reason.contains("schema version 99"));
        assert_eq!(read(&dir.path().join("none.jsonl")).unwrap().0, vec![]);
    }

    #[test]
    fn two_writers_interleave_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::thread::scope(|s| {
            for w in 0..4 {
                let path = &path;
                s.spawn(move || {
                    for i in 0..25 {
                        append(path, &record(Action::Tag, &format!("disease {w} {i}"))).unwrap();
                    }
                });
            }
        });
        let (records, skipped) = read(&path).unwrap();
        assert_eq!(records.len(), 100);
        assert!(skipped.is_empty());
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_467_900), "2026-11-23T21:05:00Z");
    }
}
