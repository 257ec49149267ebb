//! The corrections store: one JSON record per user decision (accept, reject, retype, resize,
//! tag, ignore), appended to a JSONL file that the trainer reads back.
//!
//! The file is append-only: each record is one line written with a single `write_all` under an
//! exclusive file lock (two servers on one workspace interleave whole lines), then flushed and
//! fsync'd. A file whose last line was cut short gets a line break before the next record, so
//! the damage stays on its line. Reading skips and reports lines that do not parse; nothing
//! ever truncates or rewrites the file.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::entity::EntityType;

/// The record format's version; a reader skips records of other versions with a message.
pub const SCHEMA_VERSION: u32 = 1;

/// What the user decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The model's mention is right.
    Accept,
    /// Not an entity.
    Reject,
    /// Right span, other type.
    Retype,
    /// Right type, other boundaries.
    Resize,
    /// A mention the model missed (a selection tagged by hand).
    Tag,
    /// Never tag this text in this project.
    Ignore,
}

/// Where a decision applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Wherever the same text occurs in the workspace.
    #[default]
    Everywhere,
    /// Only this occurrence.
    Here,
}

/// A labelled span of the record's paragraph (byte offsets into `paragraph`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanLabel {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub entity_type: EntityType,
}

/// One decision, with the context a trainer needs to learn from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub schema: u32,
    pub action: Action,
    #[serde(default)]
    pub scope: Scope,
    /// The document's path relative to the workspace root (or its URI outside any root).
    pub document: String,
    /// The paragraph's text as it was when the decision was made.
    pub paragraph: String,
    /// The model's label before the decision (`None` for a mention it missed).
    pub old: Option<SpanLabel>,
    /// The label after the decision (`None`: not an entity).
    pub new: Option<SpanLabel>,
    /// SHA-256 of the model that made the original prediction.
    pub model_sha256: String,
    /// When, as RFC 3339 UTC.
    pub timestamp: String,
}

impl Correction {
    /// The mention's text (of the new span, else the old one).
    pub fn text(&self) -> Option<&str> {
        let span = self.new.as_ref().or(self.old.as_ref())?;
        self.paragraph.get(span.start..span.end)
    }

    /// Checks that spans lie on character boundaries of the paragraph.
    fn validate(&self) -> Result<(), String> {
        for span in [&self.old, &self.new].into_iter().flatten() {
            if span.start >= span.end || self.paragraph.get(span.start..span.end).is_none() {
                return Err(format!(
                    "span {}..{} is not a piece of its paragraph",
                    span.start, span.end
                ));
            }
        }
        if self.old.is_none() && self.new.is_none() {
            return Err("neither an old nor a new label".into());
        }
        Ok(())
    }
}

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

/// An entity after the user's decisions: `corrected` when a decision made or confirmed it.
#[derive(Clone, Debug, PartialEq)]
pub struct DecidedEntity {
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
    pub score: f32,
    pub corrected: bool,
}

/// A decided span of a paragraph: `Some(type)`, or `None` for "not an entity".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanDecision {
    pub start: usize,
    pub end: usize,
    pub label: Option<EntityType>,
}

/// A corrected paragraph: its text (as stored with the decisions) and the decisions that stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectedParagraph {
    /// The document of the first decision about it.
    pub document: String,
    pub text: String,
    pub decisions: Vec<SpanDecision>,
}

/// The decisions one record makes, in the order they apply (a later one wins on overlap).
fn decisions_of(c: &Correction) -> Vec<SpanDecision> {
    let span = |s: &SpanLabel, label| SpanDecision {
        start: s.start,
        end: s.end,
        label,
    };
    match c.action {
        Action::Reject | Action::Ignore => c
            .old
            .as_ref()
            .or(c.new.as_ref())
            .map(|s| vec![span(s, None)])
            .unwrap_or_default(),
        Action::Accept | Action::Retype | Action::Resize | Action::Tag => {
            let mut out = Vec::new();
            if let (Some(old), Some(new)) = (&c.old, &c.new) {
                if (old.start, old.end) != (new.start, new.end) {
                    out.push(span(old, None));
                }
            }
            if let Some(s) = c.new.as_ref().or(c.old.as_ref()) {
                out.push(span(s, Some(s.entity_type)));
            }
            out
        }
    }
}

/// The decisions that stand, per paragraph, for training and exports: groups records by paragraph text (first-seen order) and resolves their decisions: records
/// apply in file order, and each replaces the earlier decisions whose spans it overlaps.
pub fn corrected_paragraphs(records: &[Correction]) -> Vec<CorrectedParagraph> {
    let mut order: Vec<CorrectedParagraph> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for c in records {
        let new = decisions_of(c);
        if new.is_empty() {
            continue;
        }
        let i = *index.entry(c.paragraph.as_str()).or_insert_with(|| {
            order.push(CorrectedParagraph {
                document: c.document.clone(),
                text: c.paragraph.clone(),
                decisions: Vec::new(),
            });
            order.len() - 1
        });
        let p = &mut order[i];
        p.decisions
            .retain(|d| new.iter().all(|n| d.end <= n.start || d.start >= n.end));
        p.decisions.extend(new);
    }
    order
}

/// What a decision does to a mention text.
#[derive(Clone, Debug, PartialEq)]
enum Rule {
    /// Keep (as this type), marked corrected.
    Keep(EntityType),
    /// Drop mentions of this type (`None`: of any type).
    Drop(Option<EntityType>),
    /// Tag the text as this type wherever it occurs, replacing what it overlaps.
    Tag(EntityType),
}

/// The user's decisions as rules over mention texts; the latest decision about a text wins.
/// Decisions with scope `Here` apply to their document and paragraph (unchanged text) only.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    everywhere: Vec<(String, Rule)>,
    here: Vec<(String, String, String, Rule)>, // document, paragraph, text, rule
}

impl Overrides {
    pub fn from_records(records: &[Correction]) -> Self {
        let mut o = Overrides::default();
        for c in records {
            for (text, rule) in rules_of(c) {
                match c.scope {
                    Scope::Everywhere => {
                        o.everywhere.retain(|(t, _)| *t != text);
                        o.everywhere.push((text, rule));
                    }
                    Scope::Here => {
                        o.here.retain(|(d, p, t, _)| {
                            !(*d == c.document && *p == c.paragraph && *t == text)
                        });
                        o.here
                            .push((c.document.clone(), c.paragraph.clone(), text, rule));
                    }
                }
            }
        }
        o
    }

    pub fn is_empty(&self) -> bool {
        self.everywhere.is_empty() && self.here.is_empty()
    }

    /// Applies the rules to one paragraph's model entities (byte offsets into `paragraph`).
    pub fn apply(
        &self,
        document: &str,
        paragraph: &str,
        entities: &[DecidedEntity],
    ) -> Vec<DecidedEntity> {
        let rules: Vec<(&str, &Rule)> = self
            .everywhere
            .iter()
            .map(|(t, r)| (t.as_str(), r))
            .chain(
                self.here
                    .iter()
                    .filter(|(d, p, _, _)| d == document && p == paragraph)
                    .map(|(_, _, t, r)| (t.as_str(), r)),
            )
            .collect();
        if rules.is_empty() {
            return entities.to_vec();
        }
        // The last rule for a text wins (document-specific ones come last).
        let rule_for = |text: &str| {
            rules
                .iter()
                .rev()
                .find(|(t, _)| *t == text)
                .map(|(_, r)| *r)
        };
        let mut out: Vec<DecidedEntity> = Vec::new();
        for e in entities {
            let text = &paragraph[e.start..e.end];
            match rule_for(text) {
                None => out.push(e.clone()),
                Some(Rule::Keep(t)) => out.push(DecidedEntity {
                    entity_type: *t,
                    corrected: true,
                    ..e.clone()
                }),
                Some(Rule::Drop(None)) => {}
                Some(Rule::Drop(Some(t))) if *t == e.entity_type => {}
                Some(Rule::Drop(Some(_))) => out.push(e.clone()),
                Some(Rule::Tag(_)) => {} // re-added below at every occurrence
            }
        }
        // Tagged texts wherever they occur as whole words; they replace what they overlap.
        for (text, rule) in &rules {
            let Rule::Tag(to) = rule else { continue };
            if rule_for(text) != Some(*rule) || text.is_empty() {
                continue;
            }
            for (start, _) in paragraph.match_indices(*text) {
                let end = start + text.len();
                if !at_word_boundaries(paragraph, start, end) {
                    continue;
                }
                out.retain(|e| e.end <= start || e.start >= end);
                out.push(DecidedEntity {
                    start,
                    end,
                    entity_type: *to,
                    score: 1.0,
                    corrected: true,
                });
            }
        }
        out.sort_by_key(|e| (e.start, e.end));
        out
    }
}

fn rules_of(c: &Correction) -> Vec<(String, Rule)> {
    let text_of = |s: &SpanLabel| c.paragraph.get(s.start..s.end).map(str::to_string);
    let old = c
        .old
        .as_ref()
        .and_then(|s| text_of(s).map(|t| (t, s.entity_type)));
    let new = c
        .new
        .as_ref()
        .and_then(|s| text_of(s).map(|t| (t, s.entity_type)));
    match (c.action, old, new) {
        (Action::Accept | Action::Retype, _, Some((t, ty))) => vec![(t, Rule::Keep(ty))],
        (Action::Reject, Some((t, ty)), _) => vec![(t, Rule::Drop(Some(ty)))],
        (Action::Ignore, Some((t, _)), _) | (Action::Ignore, None, Some((t, _))) => {
            vec![(t, Rule::Drop(None))]
        }
        (Action::Tag, _, Some((t, ty))) => vec![(t, Rule::Tag(ty))],
        (Action::Resize, Some((old_text, old_ty)), Some((t, ty))) => {
            vec![(old_text, Rule::Drop(Some(old_ty))), (t, Rule::Tag(ty))]
        }
        _ => Vec::new(),
    }
}

/// True when `start..end` neither starts nor ends inside a word.
fn at_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric();
    let before = text[..start].chars().next_back().is_none_or(|c| !word(c));
    let after = text[end..].chars().next().is_none_or(|c| !word(c));
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn decided(start: usize, end: usize, t: EntityType) -> DecidedEntity {
        DecidedEntity {
            start,
            end,
            entity_type: t,
            score: 0.8,
            corrected: false,
        }
    }

    fn correction(
        action: Action,
        scope: Scope,
        paragraph: &str,
        old: Option<(&str, EntityType)>,
        new: Option<(&str, EntityType)>,
    ) -> Correction {
        let span = |(text, t): (&str, EntityType)| {
            let start = paragraph.find(text).unwrap();
            SpanLabel {
                start,
                end: start + text.len(),
                entity_type: t,
            }
        };
        Correction {
            schema: SCHEMA_VERSION,
            action,
            scope,
            document: "a.md".into(),
            paragraph: paragraph.into(),
            old: old.map(span),
            new: new.map(span),
            model_sha256: String::new(),
            timestamp: String::new(),
        }
    }

    #[test]
    fn decisions_override_the_model_everywhere_or_here() {
        use EntityType::*;
        let p = "BRCA1 and p53 in breast cancer; BRCA1 again, with cancer.";
        let model = vec![
            decided(0, 5, Gene),
            decided(10, 13, Disease),
            decided(17, 30, Disease),
            decided(32, 37, Gene),
            decided(
                p.rfind("cancer").unwrap(),
                p.rfind("cancer").unwrap() + 6,
                Disease,
            ),
        ];
        let records = vec![
            correction(
                Action::Accept,
                Scope::Everywhere,
                p,
                Some(("BRCA1", Gene)),
                Some(("BRCA1", Gene)),
            ),
            correction(
                Action::Retype,
                Scope::Everywhere,
                p,
                Some(("p53", Disease)),
                Some(("p53", Gene)),
            ),
            correction(
                Action::Reject,
                Scope::Here,
                p,
                Some(("cancer.", Disease)),
                None,
            ),
            correction(
                Action::Resize,
                Scope::Everywhere,
                p,
                Some(("breast cancer", Disease)),
                Some(("breast cancer;", Disease)),
            ),
        ];
        // "cancer." is not a mention text (the model's is "cancer"): rejecting it changes nothing.
        let o = Overrides::from_records(&records);
        let got = o.apply("a.md", p, &model);
        let view: Vec<(&str, EntityType, bool)> = got
            .iter()
            .map(|e| (&p[e.start..e.end], e.entity_type, e.corrected))
            .collect();
        assert_eq!(
            view,
            vec![
                ("BRCA1", Gene, true),
                ("p53", Gene, true),
                ("breast cancer;", Disease, true),
                ("BRCA1", Gene, true),
                ("cancer", Disease, false),
            ]
        );

        // Later decisions win; "here" applies to its document only; ignore drops every type.
        let mut more = records.clone();
        more.push(correction(
            Action::Reject,
            Scope::Here,
            p,
            Some(("cancer", Disease)),
            None,
        ));
        more.push(correction(
            Action::Ignore,
            Scope::Everywhere,
            p,
            Some(("BRCA1", Gene)),
            None,
        ));
        let o = Overrides::from_records(&more);
        let here: Vec<&str> = o
            .apply("a.md", p, &model)
            .iter()
            .map(|e| &p[e.start..e.end])
            .collect();
        assert_eq!(here, ["p53", "breast cancer;"]);
        let elsewhere: Vec<&str> = o
            .apply("b.md", p, &model)
            .iter()
            .map(|e| &p[e.start..e.end])
            .collect();
        assert_eq!(elsewhere, ["p53", "breast cancer;", "cancer"]);
    }

    #[test]
    fn tagged_text_is_found_at_word_boundaries_only() {
        let p = "HeLa cells; not HeLaS3, but HeLa.";
        let records = vec![correction(
            Action::Tag,
            Scope::Everywhere,
            p,
            None,
            Some(("HeLa", EntityType::CellLine)),
        )];
        let o = Overrides::from_records(&records);
        let got = o.apply("x.tex", p, &[decided(0, 10, EntityType::CellType)]);
        let spans: Vec<(usize, &str)> = got.iter().map(|e| (e.start, &p[e.start..e.end])).collect();
        assert_eq!(
            spans,
            vec![(0, "HeLa"), (28, "HeLa")],
            "the overlapped model mention gives way"
        );
        assert!(got
            .iter()
            .all(|e| e.corrected && e.entity_type == EntityType::CellLine));
    }
}
