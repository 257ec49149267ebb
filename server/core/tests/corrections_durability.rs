//! The corrections store under concurrent writers, a writer killed mid-record, and a full
//! disk. The writers are real processes: this test binary runs itself as the child, with
//! `BIOSCOPE_CORRECTIONS_CHILD` saying what to do.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use bioscope_core::corrections::{self, Action, Correction, Scope, SpanLabel, SCHEMA_VERSION};
use bioscope_core::EntityType;

const CHILD: &str = "BIOSCOPE_CORRECTIONS_CHILD";
const RECORDS_PER_WRITER: usize = 200;

fn record(writer: &str, i: usize) -> Correction {
    Correction {
        schema: SCHEMA_VERSION,
        action: Action::Tag,
        scope: Scope::Here,
        document: format!("{writer}-{i:04}"),
        // Long enough that a torn write would show.
        paragraph: format!("{} BRCA1 {}", "x".repeat(2000), writer),
        old: None,
        new: Some(SpanLabel {
            start: 2001,
            end: 2006,
            entity_type: EntityType::Gene,
        }),
        model_sha256: "0".repeat(64),
        timestamp: corrections::now_rfc3339(),
    }
}

/// What a child process does: `append WRITER` or `partial` (lock the store, write half a
/// record, say so, and wait to be killed).
fn child(role: &str, store: &Path) {
    if let Some(writer) = role.strip_prefix("append ") {
        for i in 0..RECORDS_PER_WRITER {
            corrections::append(store, &record(writer, i)).unwrap();
        }
        return;
    }
    assert_eq!(role, "partial");
    let line = serde_json::to_string(&record("killed", 0)).unwrap();
    let mut file = OpenOptions::new().append(true).open(store).unwrap();
    file.lock().unwrap();
    file.write_all(&line.as_bytes()[..line.len() / 2]).unwrap();
    file.sync_data().unwrap();
    println!("written");
    std::io::stdout().flush().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(120));
}

fn spawn(role: &str, store: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "writers_in_other_processes",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, role)
        .env("BIOSCOPE_CORRECTIONS_STORE", store)
        .stdout(if role == "partial" {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

#[test]
fn writers_in_other_processes() {
    if let Ok(role) = std::env::var(CHILD) {
        let store = std::env::var_os("BIOSCOPE_CORRECTIONS_STORE").unwrap();
        child(&role, Path::new(&store));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join(".bioscope/corrections.jsonl");

    // Two processes append at once: every record whole, each writer's in its order.
    let writers = [spawn("append a", &store), spawn("append b", &store)];
    for mut w in writers {
        assert!(w.wait().unwrap().success());
    }
    let (records, skipped) = corrections::read(&store).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(records.len(), 2 * RECORDS_PER_WRITER);
    for writer in ["a", "b"] {
        let order: Vec<&str> = records
            .iter()
            .map(|r| r.document.as_str())
            .filter(|d| d.starts_with(writer))
            .collect();
        let expected: Vec<String> = (0..RECORDS_PER_WRITER)
            .map(|i| format!("{writer}-{i:04}"))
            .collect();
        assert_eq!(order, expected);
    }

    // A writer killed with SIGKILL half way through a record (holding the lock).
    let before = std::fs::read(&store).unwrap();
    let mut killed = spawn("partial", &store);
    // The test harness prints first; wait for the child's own line.
    let mut output = BufReader::new(killed.stdout.take().unwrap());
    let mut said = String::new();
    while !said.trim_end().ends_with("written") {
        said.clear();
        assert!(output.read_line(&mut said).unwrap() > 0, "the child wrote");
    }
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    drop(output);
    let after_kill = std::fs::read(&store).unwrap();
    assert!(
        after_kill.starts_with(&before),
        "nothing before the cut changed"
    );
    assert!(after_kill.len() > before.len(), "the half record is there");
    let (records, skipped) = corrections::read(&store).unwrap();
    assert_eq!(records.len(), 2 * RECORDS_PER_WRITER, "nothing else lost");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].line, 2 * RECORDS_PER_WRITER + 1, "the last line");
    // The lock died with the writer; the next record starts on a line of its own.
    corrections::append(&store, &record("after", 0)).unwrap();
    let after = std::fs::read(&store).unwrap();
    assert!(
        after.starts_with(&after_kill),
        "the file is never truncated"
    );
    let (records, skipped) = corrections::read(&store).unwrap();
    assert_eq!(records.len(), 2 * RECORDS_PER_WRITER + 1);
    assert_eq!(records.last().unwrap().document, "after-0000");
    assert_eq!(skipped.len(), 1);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error_that_names_the_store() {
    let full = Path::new("/dev/full");
    let err = corrections::append(full, &record("full", 0)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("/dev/full") && message.contains("No space left"),
        "{message}"
    );
}
