//! `bioscope labs`: results (analyte, value, unit, SI value, range, flag) from laboratory
//! reports, and `bioscope labs --score CORPUS.jsonl`: span and result-level scores on a
//! generated corpus (`bioscope-train lab-reports`).
//!
//! Reports are plain text or PDF (its text layer). Spans come from the rule reader of
//! `bioscope-labs`, or from a lab-value model bundle (`--model`: a token classifier whose types
//! are the lab labels, trained on `bioscope-train lab-reports` data), which reads the report
//! line by line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bioscope_core::decode::tag_runs;
use bioscope_labs::reader::read;
use bioscope_labs::results::{pair, plausible_spans, score, LabResult, ResultCounts};
use bioscope_labs::synthetic::{GoldResult, Span, LABELS};
use bioscope_labs::{rounded, RangeSource};
use bioscope_tagger::Tagger;
use serde_json::{json, Value};

use crate::tag::read_text;

/// Where a report's spans come from.
pub enum SpanSource {
    /// The rule reader over the analyte table.
    Rules,
    /// A lab-value model.
    Model(Box<Tagger>),
}

impl SpanSource {
    /// A lab-value model: its types must be lab labels, BIOMARKER, VALUE and UNIT among them.
    pub fn model(tagger: Tagger) -> Result<SpanSource> {
        let types = tagger.bundle.scheme.types();
        let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
        let stray: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !LABELS.contains(n))
            .collect();
        let missing: Vec<&str> = ["BIOMARKER", "VALUE", "UNIT"]
            .into_iter()
            .filter(|l| !names.contains(l))
            .collect();
        if !stray.is_empty() || !missing.is_empty() {
            bail!(
                "{} is not a lab-value model: it tags {} (a lab-value model tags {}, at least BIOMARKER, VALUE and UNIT)",
                tagger.bundle.dir.display(),
                names.join(", "),
                LABELS.join(", ")
            );
        }
        Ok(SpanSource::Model(Box::new(tagger)))
    }

    fn describe(&self) -> String {
        match self {
            SpanSource::Rules => "rule reader".into(),
            SpanSource::Model(tagger) => format!("model {}", tagger.bundle.manifest.name),
        }
    }

    /// The labelled spans of a report, in reading order; a model's where they read as what
    /// their labels claim (`plausible_spans`).
    pub fn spans(&self, text: &str) -> Result<Vec<Span>> {
        let tagger = match self {
            SpanSource::Rules => return Ok(read(text)),
            SpanSource::Model(tagger) => tagger,
        };
        let lines = bioscope_labs::lines::word_lines(text);
        let words: Vec<Vec<&str>> = lines
            .iter()
            .map(|line| line.iter().map(|w| &text[w.start..w.end]).collect())
            .collect();
        let tags = tagger.tag_words(&words)?;
        let mut spans = Vec::new();
        for (line, tags) in lines.iter().zip(tags) {
            for run in tag_runs(tags) {
                let name = run.entity_type.name();
                if let Some(label) = LABELS.iter().copied().find(|l| *l == name) {
                    spans.push(Span {
                        start: line[run.start].start,
                        end: line[run.end - 1].end,
                        label,
                    });
                }
            }
        }
        Ok(plausible_spans(text, spans))
    }
}

/// Output formats of `bioscope labs`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LabsFormat {
    /// One JSON object per file.
    Json,
    /// Aligned columns, one row per result.
    Table,
    /// Comma-separated values with a header, one row per result.
    Csv,
}

fn number(x: f64) -> Value {
    json!(rounded(x))
}

fn result_json(r: &LabResult) -> Value {
    let a = r.assessment;
    json!({
        "analyte": r.analyte.name,
        "text": r.text,
        "value": r.value,
        "unit": r.unit,
        "value_si": a.map(|a| number(a.value_si)),
        "unit_si": a.map(|_| r.analyte.si.symbol),
        "range": a.and_then(|a| a.range_si.map(|range| json!({
            "low": range.low.map(number),
            "high": range.high.map(number),
            "source": a.range_source.unwrap_or(RangeSource::Default).as_str(),
        }))),
        "flag": a.and_then(|a| a.flag).map(|f| f.as_str()),
        "printed_flag": r.printed_flag,
        "loinc": r.analyte.loinc,
        "span": [r.span.0, r.span.1],
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A report's text: a PDF's text layer, else the file as UTF-8 text (as `tag` reads it).
fn read_report(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !bytes.starts_with(b"%PDF-") {
        return read_text(path);
    }
    // A malformed PDF must not take the other files down with it.
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes));
    match extracted {
        Ok(Ok(text)) if !text.trim().is_empty() => Ok(text),
        Ok(Ok(_)) => bail!(
            "{} is a PDF without a text layer (a scan?): run OCR on it first; skipped",
            path.display()
        ),
        Ok(Err(e)) => bail!(
            "cannot read the text of PDF {}: {e}; skipped",
            path.display()
        ),
        Err(_) => bail!(
            "the PDF reader failed on {} (a damaged file?); skipped",
            path.display()
        ),
    }
}

/// Prints the results of each file; files that cannot be read are reported and skipped.
/// Returns whether every file was read.
pub fn labs(files: &[PathBuf], format: LabsFormat, source: &SpanSource) -> Result<bool> {
    let mut all_read = true;
    if matches!(format, LabsFormat::Csv) {
        println!(
            "file,analyte,text,value,unit,value_si,unit_si,low,high,range_source,flag,start,end"
        );
    }
    for path in files {
        let text = match read_report(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("bioscope: {e:#}");
                all_read = false;
                continue;
            }
        };
        let results = pair(&text, &source.spans(&text)?);
        match format {
            LabsFormat::Json => {
                let results: Vec<Value> = results.iter().map(result_json).collect();
                println!(
                    "{}",
                    json!({"file": path.display().to_string(), "results": results})
                );
            }
            LabsFormat::Table => print!("{}", table(path, &results)),
            LabsFormat::Csv => {
                for r in &results {
                    let a = r.assessment;
                    let range = a.and_then(|a| a.range_si);
                    let fmt =
                        |x: Option<f64>| x.map(|x| format!("{}", number(x))).unwrap_or_default();
                    println!(
                        "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                        csv_field(&path.display().to_string()),
                        csv_field(r.analyte.name),
                        csv_field(&r.text),
                        r.value,
                        csv_field(r.unit.as_deref().unwrap_or("")),
                        fmt(a.map(|a| a.value_si)),
                        csv_field(if a.is_some() { r.analyte.si.symbol } else { "" }),
                        fmt(range.and_then(|r| r.low)),
                        fmt(range.and_then(|r| r.high)),
                        a.and_then(|a| a.range_source)
                            .map_or("", RangeSource::as_str),
                        a.and_then(|a| a.flag).map(|f| f.as_str()).unwrap_or(""),
                        r.span.0,
                        r.span.1
                    );
                }
            }
        }
    }
    Ok(all_read)
}

fn table(path: &Path, results: &[LabResult]) -> String {
    let mut out = format!("{}\n", path.display());
    let rows: Vec<[String; 6]> = results
        .iter()
        .map(|r| {
            let a = r.assessment;
            [
                r.analyte.name.to_string(),
                format!("{} {}", r.value, r.unit.as_deref().unwrap_or(""))
                    .trim()
                    .to_string(),
                a.map(|a| format!("{} {}", number(a.value_si), r.analyte.si.symbol))
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                a.and_then(|a| a.range_si)
                    .map(|r| r.describe())
                    .unwrap_or_default(),
                a.and_then(|a| a.range_source)
                    .map_or("", RangeSource::as_str)
                    .to_string(),
                a.and_then(|a| a.flag)
                    .map(|f| f.as_str())
                    .unwrap_or("")
                    .to_string(),
            ]
        })
        .collect();
    let header = [
        "analyte",
        "as printed",
        "SI",
        "range (SI)",
        "range from",
        "flag",
    ];
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header.map(String::from)).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
    if results.is_empty() {
        out.push_str("  (no results found)\n");
    }
    out
}

/// Gold report of a generated corpus line.
struct GoldReport {
    layout: String,
    text: String,
    spans: Vec<Span>,
    has_spans: bool,
    results: Vec<GoldResult>,
}

fn parse_gold(line: &str, path: &Path, n: usize) -> Result<GoldReport> {
    let at = || format!("{} line {n}", path.display());
    let v: Value = serde_json::from_str(line).with_context(at)?;
    // A generated report carries its text; a hand-written one names its file (beside the
    // corpus) and may leave its spans out.
    let text = match (v["text"].as_str(), v["file"].as_str()) {
        (Some(text), _) => text.to_string(),
        (None, Some(file)) => read_text(&path.parent().unwrap_or(Path::new(".")).join(file))?,
        (None, None) => bail!("{}: neither \"text\" nor \"file\"", at()),
    };
    let label = |s: &str| LABELS.iter().copied().find(|l| *l == s);
    let no_spans = Vec::new();
    let spans = v["spans"]
        .as_array()
        .unwrap_or(&no_spans)
        .iter()
        .map(|s| {
            Some(Span {
                start: s[0].as_u64()? as usize,
                end: s[1].as_u64()? as usize,
                label: label(s[2].as_str()?)?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .with_context(|| format!("{}: malformed span", at()))?;
    let results = v["results"]
        .as_array()
        .with_context(at)?
        .iter()
        .map(|r| {
            let key = r["analyte"].as_str()?;
            let analyte = bioscope_labs::ANALYTES.iter().find(|a| a.key == key)?;
            Some(GoldResult {
                analyte: analyte.key,
                text: r["text"].as_str().unwrap_or_default().to_string(),
                value: r["value"].as_f64()?,
                unit: r["unit"].as_str().map(String::from),
                range: None,
                flag: r["flag"].as_str().map(String::from),
            })
        })
        .collect::<Option<Vec<_>>>()
        .with_context(|| format!("{}: malformed result", at()))?;
    Ok(GoldReport {
        layout: v["layout"]
            .as_str()
            .or(v["file"].as_str())
            .unwrap_or("")
            .to_string(),
        has_spans: v["spans"].is_array(),
        text,
        spans,
        results,
    })
}

/// Word-level scores: each word of the report (as a lab-value model reads it) takes the label of
/// the span that covers it, or none; accuracy over all words, and F1 over the labelled ones.
#[derive(Default)]
struct TokenCounts {
    words: usize,
    right: usize,
    labelled: ResultCounts,
}

impl TokenCounts {
    fn add(&mut self, text: &str, gold: &[Span], predicted: &[Span]) {
        let label_of = |spans: &[Span], start: usize, end: usize| {
            spans
                .iter()
                .find(|s| s.start <= start && end <= s.end)
                .map(|s| s.label)
        };
        for word in bioscope_labs::lines::word_lines(text).iter().flatten() {
            let g = label_of(gold, word.start, word.end);
            let p = label_of(predicted, word.start, word.end);
            self.words += 1;
            self.right += usize::from(g == p);
            self.labelled.add(ResultCounts {
                right: usize::from(g.is_some() && g == p),
                predicted: usize::from(p.is_some()),
                gold: usize::from(g.is_some()),
            });
        }
    }
}

/// Span (strict, per label), word and result-level scores of the rule reader or a model on a
/// generated corpus, and the time per report.
pub fn score_corpus(path: &Path, source: &SpanSource) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut spans: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut by_layout: BTreeMap<String, ResultCounts> = BTreeMap::new();
    let mut total = ResultCounts::default();
    let mut tokens = TokenCounts::default();
    let mut reports = 0;
    let started = std::time::Instant::now();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let gold = parse_gold(line, path, i + 1)?;
        let predicted = source.spans(&gold.text)?;
        for label in LABELS.iter().filter(|_| gold.has_spans) {
            let label = *label;
            let g: Vec<(usize, usize)> = gold
                .spans
                .iter()
                .filter(|s| s.label == label)
                .map(|s| (s.start, s.end))
                .collect();
            let p: Vec<(usize, usize)> = predicted
                .iter()
                .filter(|s| s.label == label)
                .map(|s| (s.start, s.end))
                .collect();
            let entry = spans.entry(label).or_default();
            entry.0 += p.iter().filter(|s| g.contains(s)).count();
            entry.1 += p.len();
            entry.2 += g.len();
        }
        if gold.has_spans {
            tokens.add(&gold.text, &gold.spans, &predicted);
        }
        let counts = score(&pair(&gold.text, &predicted), &gold.results);
        by_layout.entry(gold.layout).or_default().add(counts);
        total.add(counts);
        reports += 1;
    }
    if reports == 0 {
        bail!("{} holds no reports", path.display());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let counts = |right: usize, predicted: usize, gold: usize| ResultCounts {
        right,
        predicted,
        gold,
    };
    println!(
        "{} reports, {}, {:.2} ms per report",
        reports,
        source.describe(),
        1e3 * elapsed / reports as f64
    );
    if tokens.words > 0 {
        println!(
            "words: accuracy {:.2} over {}, labelled-word F1 {:.2} (P {:.2}, R {:.2})",
            100.0 * tokens.right as f64 / tokens.words as f64,
            tokens.words,
            100.0 * tokens.labelled.f1(),
            100.0 * tokens.labelled.precision(),
            100.0 * tokens.labelled.recall()
        );
    }
    if !spans.is_empty() {
        println!(
            "spans (strict)\n{:<10} {:>7} {:>7} {:>7} {:>6}",
            "label", "P", "R", "F1", "gold"
        );
    }
    for label in LABELS.iter().filter(|l| spans.contains_key(*l)) {
        let (r, p, g) = spans[label];
        let c = counts(r, p, g);
        println!(
            "{label:<10} {:>7.2} {:>7.2} {:>7.2} {g:>6}",
            100.0 * c.precision(),
            100.0 * c.recall(),
            100.0 * c.f1()
        );
    }
    let width = by_layout.keys().map(String::len).max().unwrap_or(0).max(14);
    println!(
        "results (analyte, value and unit right)\n{:<width$} {:>7} {:>7} {:>7} {:>6}",
        "layout", "P", "R", "F1", "gold"
    );
    for (layout, c) in by_layout
        .iter()
        .chain(std::iter::once((&"all".to_string(), &total)))
    {
        println!(
            "{layout:<width$} {:>7.2} {:>7.2} {:>7.2} {:>6}",
            100.0 * c.precision(),
            100.0 * c.recall(),
            100.0 * c.f1(),
            c.gold
        );
    }
    Ok(())
}
