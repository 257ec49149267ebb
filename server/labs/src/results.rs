//! From labelled spans to results: each biomarker is paired with the value, unit, range and
//! flag that follow it before the next biomarker (on its line for tables, in its clause for
//! prose), its analyte resolved by name and unit, and the result assessed.
//!
//! Also the result-level score: a result is right when its analyte, value and unit all are.

use crate::analytes::{resolve, Analyte, Interval};
use crate::assess::{assess, Assessment};
use crate::numbers::{parse_range, parse_value, DecimalMark};
use crate::synthetic::{GoldResult, Span};
use crate::units::parse_unit;

/// One extracted result.
#[derive(Clone, Debug, PartialEq)]
pub struct LabResult {
    pub analyte: &'static Analyte,
    /// The analyte as written, and its byte span.
    pub text: String,
    pub span: (usize, usize),
    pub value: f64,
    /// The value's byte span; `end` is where the result's last part (unit, range or flag)
    /// ends.
    pub value_span: (usize, usize),
    pub end: usize,
    /// The unit as written.
    pub unit: Option<String>,
    /// The printed range, in the result's unit.
    pub printed_range: Option<Interval>,
    /// The printed flag.
    pub printed_flag: Option<String>,
    /// The SI value, the applied range and the flag, when the unit is known (or the analyte
    /// has none, as INR and pH).
    pub assessment: Option<Assessment>,
}

/// The spans a model proposes, kept where their text reads as what the label claims: a
/// biomarker that names an analyte, a value that parses as a number, a unit the unit grammar
/// knows, a range that parses. Flags are kept as they are. A span that fails (dot leaders read
/// as a value, "desirable" read as a biomarker) is dropped, so it neither becomes a result nor
/// cuts the result around it in two.
pub fn plausible_spans(text: &str, spans: Vec<Span>) -> Vec<Span> {
    let mark = DecimalMark::detect(text);
    spans
        .into_iter()
        .filter(|s| {
            let t = &text[s.start..s.end];
            match s.label {
                "BIOMARKER" => resolve(t, None).is_some(),
                "VALUE" => parse_value(t, mark).is_some(),
                "UNIT" => parse_unit(t).is_some(),
                "RANGE" => parse_range(t, mark).is_some(),
                _ => true,
            }
        })
        .collect()
}

/// Pairs labelled spans (sorted by start) into results.
pub fn pair(text: &str, spans: &[Span]) -> Vec<LabResult> {
    let mark = DecimalMark::detect(text);
    let mut spans: Vec<&Span> = spans.iter().collect();
    spans.sort_by_key(|s| s.start);
    let mut out = Vec::new();
    for (i, name) in spans.iter().enumerate() {
        if name.label != "BIOMARKER" {
            continue;
        }
        let until = spans[i + 1..]
            .iter()
            .position(|s| s.label == "BIOMARKER")
            .map_or(spans.len(), |p| i + 1 + p);
        let following = &spans[i + 1..until];
        let first = |label: &str| following.iter().find(|s| s.label == label).copied();
        let Some(value_span) = first("VALUE") else {
            continue;
        };
        let Some(value) = parse_value(&text[value_span.start..value_span.end], mark) else {
            continue;
        };
        let unit_text = first("UNIT").map(|s| text[s.start..s.end].to_string());
        let unit = unit_text.as_deref().and_then(parse_unit);
        let name_text = &text[name.start..name.end];
        let Some(analyte) = resolve(name_text, unit.as_ref()).or_else(|| resolve(name_text, None))
        else {
            continue;
        };
        let printed_range = first("RANGE").and_then(|s| parse_range(&text[s.start..s.end], mark));
        let printed_flag = first("FLAG").map(|s| text[s.start..s.end].to_string());
        // Without a printed unit, the analyte's own SI unit is assumed only where it has none
        // (INR, pH); otherwise the value cannot be converted or judged.
        let unit_for_assessment = match unit {
            Some(u) => Some(u),
            None if analyte.si.symbol.is_empty() => Some(analyte.si.unit),
            None => None,
        };
        let assessment =
            unit_for_assessment.and_then(|u| assess(analyte, value.number, &u, printed_range));
        out.push(LabResult {
            analyte,
            text: name_text.to_string(),
            span: (name.start, name.end),
            value: value.number,
            value_span: (value_span.start, value_span.end),
            end: following
                .iter()
                .map(|s| s.end)
                .max()
                .unwrap_or(value_span.end),
            unit: unit_text,
            printed_range,
            printed_flag,
            assessment,
        });
    }
    out
}

/// Result-level counts: right when analyte, value and unit (as written, ignoring case and
/// spaces; both absent counts as equal) all match a gold result not matched before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResultCounts {
    pub right: usize,
    pub predicted: usize,
    pub gold: usize,
}

impl ResultCounts {
    pub fn add(&mut self, other: ResultCounts) {
        self.right += other.right;
        self.predicted += other.predicted;
        self.gold += other.gold;
    }
    pub fn precision(&self) -> f64 {
        ratio(self.right, self.predicted)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.right, self.gold)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn same_unit(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |u: Option<&str>| {
        u.map(|u| {
            u.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
    };
    norm(a) == norm(b)
}

/// Scores extracted results against a report's gold results.
pub fn score(predicted: &[LabResult], gold: &[GoldResult]) -> ResultCounts {
    let mut used = vec![false; gold.len()];
    let mut right = 0;
    for p in predicted {
        let hit = gold.iter().enumerate().position(|(i, g)| {
            !used[i]
                && g.analyte == p.analyte.key
                && (g.value - p.value).abs() <= 1e-9 * g.value.abs().max(1.0)
                && same_unit(g.unit.as_deref(), p.unit.as_deref())
        });
        if let Some(i) = hit {
            used[i] = true;
            right += 1;
        }
    }
    ResultCounts {
        right,
        predicted: predicted.len(),
        gold: gold.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implausible_model_spans_are_dropped_before_pairing() {
        let text = "total cholesterol ..... 134 mg/dL (desirable <200)";
        let span = |word: &str, label| {
            let start = text.find(word).unwrap();
            Span {
                start,
                end: start + word.len(),
                label,
            }
        };
        let proposed = vec![
            span("total cholesterol", "BIOMARKER"),
            span(".....", "VALUE"),
            span("134", "VALUE"),
            span("mg/dL", "UNIT"),
            span("desirable", "BIOMARKER"),
            span("<200", "RANGE"),
        ];
        assert!(
            pair(text, &proposed).is_empty(),
            "the leaders stand in the value's place"
        );
        let kept = plausible_spans(text, proposed);
        let labels: Vec<&str> = kept.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(labels, ["total cholesterol", "134", "mg/dL", "<200"]);
        let results = pair(text, &kept);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].value, 134.0);
        assert_eq!(results[0].unit.as_deref(), Some("mg/dL"));
        assert!(results[0].printed_range.is_some());
    }
    use crate::assess::Flag;
    use crate::synthetic::{generate, Split};

    #[test]
    fn gold_spans_pair_into_the_gold_results() {
        let mut counts = ResultCounts::default();
        for split in [Split::Train, Split::Dev, Split::Test] {
            for report in generate(split, 60, 5) {
                let results = pair(&report.text, &report.spans);
                let c = score(&results, &report.results);
                assert_eq!(c.right, c.gold, "{}\n{results:#?}", report.text);
                counts.add(c);
            }
        }
        assert_eq!(counts.f1(), 1.0);
    }

    #[test]
    fn a_dropped_decimal_point_is_flagged_implausible() {
        let text = "Potassium 45 mmol/L (3.5-5.1)";
        let spans = [
            Span {
                start: 0,
                end: 9,
                label: "BIOMARKER",
            },
            Span {
                start: 10,
                end: 12,
                label: "VALUE",
            },
            Span {
                start: 13,
                end: 19,
                label: "UNIT",
            },
            Span {
                start: 21,
                end: 28,
                label: "RANGE",
            },
        ];
        let r = &pair(text, &spans)[0];
        assert_eq!(r.analyte.key, "potassium");
        assert_eq!(r.printed_range, Some(Interval::between(3.5, 5.1)));
        assert_eq!(r.assessment.unwrap().flag, Some(Flag::Implausible));
    }
}
