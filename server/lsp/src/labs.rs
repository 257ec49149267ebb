//! The lab-report profile in the editor. A document whose file name matches one of the
//! `bioscope.labReportFiles` patterns is read as a laboratory report by `bioscope_labs` (the
//! rule reader, the same as `bioscope labs`): its biomarkers, values and units are coloured
//! (token types `biomarker`, `labValue`, `labUnit`; a value outside its reference interval is
//! `outOfRange`, one outside what is physiologically possible `implausible`), a hover on a
//! result shows the canonical analyte, the SI value, the interval and the flag, and flagged
//! values are diagnostics (information for H and L, a warning for an implausible value).
//! Reading a report takes microseconds, so it is read from the current text on each request.

use std::fmt::Write as _;

use bioscope_labs::reader::read;
use bioscope_labs::results::{pair, LabResult};
use bioscope_labs::synthetic::Span;
use bioscope_labs::{rounded, Flag, RangeSource};
use ropey::Rope;
use tower_lsp_server::ls_types::{Diagnostic, DiagnosticSeverity, NumberOrString, Uri};

use crate::position::{to_range, PositionEncoding};
use crate::semantic_tokens::{lab_type_index, Colored, IMPLAUSIBLE, OUT_OF_RANGE};
use crate::state::State;

/// Whether `uri` names a lab report: its file name matches one of `patterns` (ignoring case).
pub fn is_lab_report(uri: &Uri, patterns: &[String]) -> bool {
    let text = uri.as_str();
    let path = crate::state::file_path(text)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| text.split(['?', '#']).next().unwrap_or(text).to_string());
    let name = path.rsplit('/').next().unwrap_or(&path).to_lowercase();
    patterns
        .iter()
        .any(|p| wildcard_match(&p.to_lowercase(), &name))
}

/// `*` matches any run of characters, `?` one character, anything else itself.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// The current text of `uri` and its reading, when it is an open lab report.
pub fn current_reading(state: &State, uri: &Uri) -> Option<(Rope, LabReading)> {
    let (rope, ..) = state.snapshot(uri)?;
    let reading = reading_of(state, uri, &rope)?;
    Some((rope, reading))
}

/// The reading of `rope`, the text of `uri`, when `uri` is a lab report within the size limit
/// (a larger one is not read, as a larger manuscript is not tagged).
pub fn reading_of(state: &State, uri: &Uri, rope: &Rope) -> Option<LabReading> {
    let settings = state.settings();
    (is_lab_report(uri, &settings.lab_report_files)
        && rope.len_bytes() <= settings.max_document_bytes)
        .then(|| LabReading::of(&rope.to_string()))
}

/// What the profile reads from a report: the labelled spans and the results paired from them.
pub struct LabReading {
    pub spans: Vec<Span>,
    pub results: Vec<LabResult>,
}

impl LabReading {
    pub fn of(text: &str) -> LabReading {
        let spans = read(text);
        let results = pair(text, &spans);
        LabReading { spans, results }
    }

    /// The result whose extent (biomarker to its last part) holds byte `at`.
    pub fn result_at(&self, at: usize) -> Option<&LabResult> {
        self.results
            .iter()
            .find(|r| r.span.0 <= at && at < r.end.max(r.span.1))
    }

    /// The spans to colour: biomarkers, values (with their result's flag) and units.
    pub fn colored(&self) -> Vec<Colored> {
        let mut out: Vec<Colored> = self
            .spans
            .iter()
            .filter_map(|s| {
                let name = match s.label {
                    "BIOMARKER" => "biomarker",
                    "VALUE" => "labValue",
                    "UNIT" => "labUnit",
                    _ => return None,
                };
                let modifiers = match self.flag_of_value(s.start) {
                    Some(Flag::High | Flag::Low) => OUT_OF_RANGE,
                    Some(Flag::Implausible) => IMPLAUSIBLE,
                    _ => 0,
                };
                Some(Colored {
                    range: s.start..s.end,
                    token_type: lab_type_index(name),
                    modifiers,
                })
            })
            .collect();
        out.sort_by_key(|c| (c.range.start, c.range.end));
        out
    }

    fn flag_of_value(&self, start: usize) -> Option<Flag> {
        self.results
            .iter()
            .find(|r| r.value_span.0 == start)
            .and_then(|r| r.assessment?.flag)
    }

    /// Diagnostics on the values flagged high, low or implausible.
    pub fn diagnostics(&self, rope: &Rope, encoding: PositionEncoding) -> Vec<Diagnostic> {
        self.results
            .iter()
            .filter_map(|r| {
                let flag = r.assessment?.flag?;
                let (severity, code) = match flag {
                    Flag::Normal => return None,
                    Flag::High | Flag::Low => (DiagnosticSeverity::INFORMATION, "out-of-range"),
                    Flag::Implausible => (DiagnosticSeverity::WARNING, "implausible"),
                };
                Some(Diagnostic {
                    range: to_range(rope, r.value_span.0..r.value_span.1, encoding),
                    severity: Some(severity),
                    code: Some(NumberOrString::String(code.into())),
                    source: Some("bioscope".into()),
                    message: finding(r, flag),
                    ..Default::default()
                })
            })
            .collect()
    }
}

/// A result as written: "5.9 mmol/L".
fn as_written(r: &LabResult) -> String {
    format!("{} {}", r.value, r.unit.as_deref().unwrap_or(""))
        .trim()
        .to_string()
}

/// The interval applied, in the SI unit, and where it came from: "3.5-5.1 mmol/L (report)".
fn interval(r: &LabResult) -> Option<String> {
    let a = r.assessment?;
    let range = a.range_si?.describe();
    let source = a.range_source.unwrap_or(RangeSource::Default);
    let source = match source {
        RangeSource::Report => "printed in the report",
        RangeSource::Default => "adult default",
    };
    Some(format!("{range} {} ({source})", r.analyte.si.symbol).replace("  ", " "))
}

/// What a flag says about a result, as a diagnostic's message.
fn finding(r: &LabResult, flag: Flag) -> String {
    let name = r.analyte.name;
    let value = as_written(r);
    let range = interval(r).unwrap_or_default();
    match flag {
        Flag::High => format!("{name} {value} is above the reference interval {range}"),
        Flag::Low => format!("{name} {value} is below the reference interval {range}"),
        Flag::Implausible => format!(
            "{name} {value} is outside what is physiologically possible: a transcription error \
             (a dropped decimal point?) rather than a finding"
        ),
        Flag::Normal => format!("{name} {value} is within {range}"),
    }
}

/// The hover of a result: analyte, value as written and in SI, interval and flag.
pub fn hover_markdown(r: &LabResult) -> String {
    let mut md = format!("**{}** `{}`", r.analyte.name, r.text.replace('`', "'"));
    if let Some(loinc) = r.analyte.loinc {
        let _ = write!(md, " · LOINC {loinc}");
    }
    let _ = write!(md, "\n\nvalue: {}", as_written(r));
    match r.assessment {
        Some(a) => {
            let _ = write!(md, " = {} {}", rounded(a.value_si), r.analyte.si.symbol);
            if let Some(range) = interval(r) {
                let _ = write!(md, "\n\nreference: {range}");
            }
            let flag = match a.flag {
                Some(Flag::High) => "**H** (above the interval)",
                Some(Flag::Low) => "**L** (below the interval)",
                Some(Flag::Normal) => "N (within the interval)",
                Some(Flag::Implausible) => {
                    "**implausible**: outside what is physiologically possible"
                }
                None => "none (no interval to compare with)",
            };
            let _ = write!(md, "\n\nflag: {flag}");
        }
        None => md.push_str("\n\n_unit not recognized for this analyte: no SI value or flag_"),
    }
    if let Some(printed) = &r.printed_flag {
        let _ = write!(md, " · printed flag `{}`", printed.replace('`', "'"));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_patterns_pick_lab_reports() {
        let patterns = crate::settings::Settings::default().lab_report_files;
        let is = |uri: &str| is_lab_report(&uri.parse().unwrap(), &patterns);
        assert!(is("file:///home/a/reports/2026-12-01.lab.txt"));
        assert!(is("file:///home/a/Lab-Report%20March.txt"));
        assert!(is("untitled:lab-report-1"));
        assert!(is("file:///home/a/renal_lab_report.md"));
        assert!(!is("file:///home/a/lab.txt.md"));
        assert!(!is("file:///home/a/paper.md"));
        assert!(
            !is("file:///home/a/lab-reports/paper.md"),
            "the folder does not count"
        );
        assert!(wildcard_match("a?c*", "abcdef") && !wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", "") && !wildcard_match("x*", ""));
    }

    #[test]
    fn a_report_gives_coloured_parts_flags_and_hovers() {
        let text = "Potassium 6.1 mmol/L (3.5-5.1)\nSodium 139 mmol/L\nK 45 mmol/L\n";
        let reading = LabReading::of(text);
        assert_eq!(reading.results.len(), 3);
        let rope = Rope::from_str(text);
        let diagnostics = reading.diagnostics(&rope, PositionEncoding::Utf16);
        let codes: Vec<(u32, String)> = diagnostics
            .iter()
            .map(|d| {
                let NumberOrString::String(code) = d.code.clone().unwrap() else {
                    panic!()
                };
                (d.range.start.line, code)
            })
            .collect();
        assert_eq!(
            codes,
            vec![(0, "out-of-range".into()), (2, "implausible".into())]
        );
        assert!(
            diagnostics[0].message.contains("above"),
            "{:?}",
            diagnostics[0]
        );
        let colored = reading.colored();
        let value = colored
            .iter()
            .find(|c| &text[c.range.clone()] == "6.1")
            .unwrap();
        assert_eq!(value.modifiers, OUT_OF_RANGE);
        assert!(colored.iter().any(
            |c| &text[c.range.clone()] == "mmol/L" && c.token_type == lab_type_index("labUnit")
        ));
        let potassium = reading.result_at(text.find("mmol").unwrap()).unwrap();
        let md = hover_markdown(potassium);
        assert!(md.contains("Potassium") && md.contains("**H**"), "{md}");
        assert!(md.contains("printed in the report"), "{md}");
        assert!(reading.result_at(text.len() - 1).is_none());
    }
}
