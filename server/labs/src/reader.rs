//! The rule reader: biomarker, value, unit, range and flag spans found without a model, from
//! the analyte table's names, the unit grammar and the number and range grammar. It is the
//! lab profile's answer when no lab model is loaded, and the baseline the model is measured
//! against.
//!
//! Per line: the longest run of words (up to six) that names an analyte is a biomarker; the
//! first number after it (before the next biomarker) its value; then, in order, an optional
//! flag word, the longest unit the analyte accepts, a printed range (bracketed, after "ref",
//! "normal", "desirable", or bare; a unit printed only after it, as in "65-99 mg/dL" in a
//! reference column, is the result's unit) and a flag word.

use crate::analytes::candidates;
use crate::numbers::{parse_range, DecimalMark};
use crate::synthetic::Span;
use crate::units::parse_unit;

const FLAG_WORDS: [&str; 14] = [
    "H", "L", "HH", "LL", "High", "Low", "HIGH", "LOW", "H*", "L*", "(H)", "(L)", "↑", "↓",
];

/// A whitespace-separated token of a line, with its byte span in the text.
#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn tokens(text: &str, offset: usize) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || c == ';' || c == '|' {
            if let Some(s) = start.take() {
                out.push(Token {
                    text: &text[s..i],
                    start: offset + s,
                    end: offset + i,
                });
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Token {
            text: &text[s..],
            start: offset + s,
            end: offset + text.len(),
        });
    }
    out
}

/// Trailing punctuation that ends a token without belonging to it.
fn trim_token(t: &str) -> &str {
    t.trim_end_matches([',', ';', ':', '.', ')', ']'])
}

/// A number at the start of `s` ("<", "≥" and a sign allowed): its byte length.
fn number_prefix(s: &str) -> Option<usize> {
    let mut i = 0;
    let bytes = s.as_bytes();
    for p in ["<=", ">=", "≤", "≥", "<", ">"] {
        if s.starts_with(p) {
            i = p.len();
            break;
        }
    }
    if s[i..].starts_with('-') || s[i..].starts_with('+') {
        i += 1;
    }
    let digits_start = i;
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b',') {
        i += 1;
    }
    // Trailing separators are punctuation, not part of the number.
    while i > digits_start && matches!(bytes[i - 1], b'.' | b',') {
        i -= 1;
    }
    (i > digits_start && bytes[digits_start..i].iter().any(u8::is_ascii_digit)).then_some(i)
}

/// The longest analyte name starting at word `i` of `words` (byte spans in `line`): the
/// number of words it takes.
fn name_at(line: &str, words: &[bioscope_core::corpus::WordSpan], i: usize) -> Option<usize> {
    // A name stands alone: not inside a unit ("K" of "K/uL") or a word.
    let before = line[..words[i].start].chars().last();
    if before.is_some_and(|c| c == '/' || c == '^' || c.is_alphanumeric()) {
        return None;
    }
    (1..=6.min(words.len() - i)).rev().find(|&n| {
        let end = words[i + n - 1].end;
        let text = &line[words[i].start..end];
        if line[end..].starts_with(['/', '^']) {
            return false;
        }
        // A name starts and ends with a letter or digit (not "(" or ":").
        text.chars().next().is_some_and(char::is_alphanumeric)
            && text
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '+' | '-' | '%' | ')'))
            && !candidates(text).is_empty()
    })
}

/// Labels that open a line holding the previous result's reference range
/// ("Standard range: 70 - 99 mg/dL", as patient portals print results).
const RANGE_LINE_LABELS: [&str; 6] = [
    "standard range",
    "reference range",
    "normal range",
    "ref range",
    "reference interval",
    "range",
];

/// Biomarker, value, unit, range and flag spans in `text`.
///
/// A name alone on its line ("Hemoglobin A1C", or with a word or two such as "(calculated)")
/// takes its value from the next two non-empty lines ("Your value: 6.8 %"), and a line
/// opening with a range label gives the result before it its range.
pub fn read(text: &str) -> Vec<Span> {
    let mark = DecimalMark::detect(text);
    let mut spans = Vec::new();
    let mut offset = 0;
    // A lone name waiting for its value, and how many more non-empty lines it may wait.
    let mut carried: Option<((usize, usize), usize)> = None;
    // Whether the last line gave a result (so a range line may follow it).
    let mut last_line_had_result = false;
    for line in text.split_inclusive('\n') {
        let range = offset..offset + line.len();
        offset += line.len();
        if line.trim().is_empty() {
            continue;
        }
        if last_line_had_result && range_line(text, range.clone(), mark, &mut spans) {
            last_line_had_result = false;
            continue;
        }
        let before = spans.len();
        let outcome = read_line(text, range, mark, carried.map(|(c, _)| c), &mut spans);
        last_line_had_result = spans[before..].iter().any(|s| s.label == "VALUE");
        carried = match outcome {
            Some(lone) => Some((lone, 2)),
            None if last_line_had_result => None,
            None => carried.and_then(|(c, left)| (left > 1).then_some((c, left - 1))),
        };
    }
    spans
}

/// A line such as "Standard range: 4.0 - 5.6 %": its range, if it is one.
fn range_line(
    text: &str,
    line: std::ops::Range<usize>,
    mark: DecimalMark,
    spans: &mut Vec<Span>,
) -> bool {
    let content = &text[line.clone()];
    let trimmed = content.trim_start();
    let lead = line.start + content.len() - trimmed.len();
    let lower = trimmed.to_ascii_lowercase();
    let Some(label) = RANGE_LINE_LABELS.iter().find(|l| lower.starts_with(*l)) else {
        return false;
    };
    let after_label = &trimmed[label.len()..];
    let Some(rest) = after_label.trim_start().strip_prefix(':') else {
        return false;
    };
    let rest_start = lead + label.len() + (after_label.len() - after_label.trim_start().len()) + 1;
    let toks = tokens(rest, rest_start);
    let found = (1..=3.min(toks.len())).rev().find_map(|n| {
        let raw = &text[toks[0].start..toks[n - 1].end];
        parse_range(raw, mark)?;
        Some((toks[0].start, toks[n - 1].end))
    });
    match found {
        Some((start, end)) => {
            spans.push(Span {
                start,
                end,
                label: "RANGE",
            });
            true
        }
        None => false,
    }
}

/// Reads one line (`line`: its byte range in `text`); a name from an earlier line
/// (`carried`) takes its value here when the line names no analyte itself. Returns a name
/// that found no value and stands nearly alone on its line, to be carried on.
fn read_line(
    text: &str,
    line: std::ops::Range<usize>,
    mark: DecimalMark,
    carried: Option<(usize, usize)>,
    spans: &mut Vec<Span>,
) -> Option<(usize, usize)> {
    let content = &text[line.clone()];
    let words = bioscope_core::corpus::split_words(content);
    // Biomarker names, left to right, longest first (absolute byte spans).
    let mut names = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match name_at(content, &words, i) {
            Some(n) => {
                names.push((
                    line.start + words[i].start,
                    line.start + words[i + n - 1].end,
                ));
                i += n;
            }
            None => i += 1,
        }
    }
    if names.is_empty() {
        if let Some(name) = carried {
            read_result(text, name, line.start, line.end, mark, spans);
        }
        return None;
    }
    let mut lone = None;
    for (k, &name) in names.iter().enumerate() {
        let until = names.get(k + 1).map_or(line.end, |n| n.0);
        if !read_result(text, name, name.1, until, mark, spans) && k + 1 == names.len() {
            let others = text[line.start..name.0].split_whitespace().count()
                + text[name.1..line.end].split_whitespace().count();
            if others <= 2 && names.len() == 1 {
                lone = Some(name);
            }
        }
    }
    lone
}

/// The value, flag, unit, range and flag of the analyte named at `name`, read from
/// `text[from..until]`; pushes the spans (the name's first) and says whether a value was found.
fn read_result(
    text: &str,
    name: (usize, usize),
    from: usize,
    until: usize,
    mark: DecimalMark,
    spans: &mut Vec<Span>,
) -> bool {
    let rest = &text[from..until];
    // The value: the first number after the name, not inside a word.
    let Some((value_start, value_len)) = rest
        .char_indices()
        .filter(|&(j, _)| {
            let prev = if j == 0 {
                text[..from].chars().last()
            } else {
                rest[..j].chars().last()
            };
            !prev.is_some_and(char::is_alphanumeric)
        })
        .find_map(|(j, _)| number_prefix(&rest[j..]).map(|len| (j, len)))
    else {
        return false;
    };
    // Text between the name and the value must be filler ("of", "at", ":", dots, "Your value:").
    if rest[..value_start].split_whitespace().count() > 3 {
        return false;
    }
    let name_text = &text[name.0..name.1];
    let push = |spans: &mut Vec<Span>, start: usize, end: usize, label| {
        spans.push(Span { start, end, label })
    };
    push(spans, name.0, name.1, "BIOMARKER");
    let value_end = from + value_start + value_len;
    push(spans, from + value_start, value_end, "VALUE");
    let toks = tokens(&text[value_end..until], value_end);
    let flag_at = |t: usize| {
        toks.get(t).filter(|tok| {
            let word = trim_token(tok.text);
            FLAG_WORDS.contains(&word)
                || FLAG_WORDS.contains(&word.trim_start_matches('('))
                // "+" and "-" flag a result only at the end of its row.
                || (t + 1 == toks.len() && matches!(word, "+" | "-" | "++" | "--"))
        })
    };
    let mut t = 0;
    let mut flagged = false;
    if let Some(tok) = flag_at(t) {
        let (s, e) = flag_span(tok, trim_token(tok.text));
        push(spans, s, e, "FLAG");
        flagged = true;
        t += 1;
    }
    // The unit: the longest run of up to three tokens at `t` that parses and fits the analyte.
    let unit_at = |t: usize| {
        (1..=3.min(toks.len().saturating_sub(t)))
            .rev()
            .find_map(|n| {
                let raw = &text[toks[t].start..toks[t + n - 1].end];
                let trimmed = raw.trim_end_matches([',', ';', ')', ']']);
                let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
                if trimmed.is_empty() {
                    return None;
                }
                let unit = parse_unit(trimmed)?;
                if unit.quantity == crate::units::Quantity::Dimensionless {
                    return None;
                }
                let known = candidates(name_text);
                let fits = known.is_empty() || known.iter().any(|a| a.accepts(&unit));
                fits.then_some((n, toks[t].start, toks[t].start + trimmed.len()))
            })
    };
    let unit = unit_at(t);
    if let Some((n, s, e)) = unit {
        push(spans, s, e, "UNIT");
        t += n;
    }
    // The range: bracketed contents or the following tokens, after an optional label word.
    let mut t_range = t;
    while toks.get(t_range).is_some_and(|tok| {
        let w = tok.text.trim_start_matches(['(', '[']).to_ascii_lowercase();
        matches!(
            w.as_str(),
            "ref" | "ref." | "ref:" | "normal" | "desirable" | "reference" | "range" | "range:"
        )
    }) {
        t_range += 1;
    }
    if t_range < toks.len() {
        let found = (1..=4.min(toks.len() - t_range)).rev().find_map(|n| {
            let first = &toks[t_range];
            let raw = &text[first.start..toks[t_range + n - 1].end];
            let opened = raw.starts_with(['(', '[']);
            let inner_start = first.start + usize::from(opened);
            let inner = raw[usize::from(opened)..].trim_end_matches([',', ';']);
            let inner = if opened {
                inner.strip_suffix([')', ']'])?
            } else {
                let inner = inner.trim_end_matches([')', ']']);
                inner.strip_suffix('.').unwrap_or(inner)
            };
            parse_range(inner, mark)?;
            Some((n, inner_start, inner_start + inner.len()))
        });
        if let Some((n, s, e)) = found {
            push(spans, s, e, "RANGE");
            t = t_range + n;
            // A unit printed only with the range ("<200 mg/dL" in a reference column).
            if unit.is_none() {
                if let Some((n, s, e)) = unit_at(t) {
                    push(spans, s, e, "UNIT");
                    t += n;
                }
            }
        }
    }
    if !flagged {
        if let Some(tok) = flag_at(t) {
            let (s, e) = flag_span(tok, trim_token(tok.text));
            push(spans, s, e, "FLAG");
        }
    }
    true
}

/// The flag's span inside its token, without brackets ("(H)" is flagged "H").
fn flag_span(tok: &Token, text: &str) -> (usize, usize) {
    let inner = tok.text.trim_start_matches('(');
    let lead = tok.text.len() - inner.len();
    let inner = inner.trim_end_matches([')', ',', ';', ':', '.']);
    let inner = if inner.is_empty() { text } else { inner };
    (tok.start + lead, tok.start + lead + inner.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{pair, score, ResultCounts};
    use crate::synthetic::{generate, Split};

    fn labelled(text: &str) -> Vec<(String, &'static str)> {
        read(text)
            .into_iter()
            .map(|s| (text[s.start..s.end].to_string(), s.label))
            .collect()
    }

    #[test]
    fn table_rows_and_prose() {
        assert_eq!(
            labelled("Potassium      5.8   H    mmol/L    3.5-5.1\n"),
            [
                ("Potassium".into(), "BIOMARKER"),
                ("5.8".into(), "VALUE"),
                ("H".into(), "FLAG"),
                ("mmol/L".into(), "UNIT"),
                ("3.5-5.1".into(), "RANGE"),
            ]
        );
        assert_eq!(
            labelled("Her haemoglobin was 104 g/L (ref 130-170) and ferritin 8 µg/L."),
            [
                ("haemoglobin".into(), "BIOMARKER"),
                ("104".into(), "VALUE"),
                ("g/L".into(), "UNIT"),
                ("130-170".into(), "RANGE"),
                ("ferritin".into(), "BIOMARKER"),
                ("8".into(), "VALUE"),
                ("µg/L".into(), "UNIT"),
            ]
        );
        // A portal prints the value and the range under the name.
        assert_eq!(
            labelled("Glucose, Fasting\n    Your value: 131 mg/dL  High\n    Standard range: 70 - 99 mg/dL\n"),
            [
                ("Glucose, Fasting".into(), "BIOMARKER"),
                ("131".into(), "VALUE"),
                ("mg/dL".into(), "UNIT"),
                ("High".into(), "FLAG"),
                ("70 - 99".into(), "RANGE"),
            ]
        );
        // Header numbers are not results: no analyte name precedes them.
        assert!(read("MRN: 4681672   Collected: 17/02/2022 07:36\n").is_empty());
    }

    /// The rule reader on generated reports: a floor the model must beat, measured per split.
    #[test]
    fn a_unit_printed_only_with_the_range_is_the_results_unit() {
        assert_eq!(
            labelled("   GLUCOSE        112 H     65-99 mg/dL     EZ\n"),
            [
                ("GLUCOSE".into(), "BIOMARKER"),
                ("112".into(), "VALUE"),
                ("H".into(), "FLAG"),
                ("65-99".into(), "RANGE"),
                ("mg/dL".into(), "UNIT"),
            ]
        );
        assert_eq!(
            labelled("   HDL CHOLESTEROL   52     > OR = 50 mg/dL   EZ\n"),
            [
                ("HDL CHOLESTEROL".into(), "BIOMARKER"),
                ("52".into(), "VALUE"),
                ("> OR = 50".into(), "RANGE"),
                ("mg/dL".into(), "UNIT"),
            ]
        );
    }

    #[test]
    fn the_rule_reader_extracts_most_generated_results() {
        for (split, floor) in [(Split::Train, 0.9), (Split::Dev, 0.9), (Split::Test, 0.9)] {
            let mut counts = ResultCounts::default();
            for report in generate(split, 80, 2) {
                counts.add(score(
                    &pair(&report.text, &read(&report.text)),
                    &report.results,
                ));
            }
            assert!(
                counts.f1() >= floor,
                "{split:?}: result F1 {:.3} (P {:.3} R {:.3})",
                counts.f1(),
                counts.precision(),
                counts.recall()
            );
        }
    }
}
