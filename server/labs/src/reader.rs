//! The rule reader: biomarker, value, unit, range and flag spans found without a model, from
//! the analyte table's names, the unit grammar and the number and range grammar. It is the
//! lab profile's answer when no lab model is loaded, and the baseline the model is measured
//! against.
//!
//! Per line: the longest run of words (up to six) that names an analyte is a biomarker; the
//! first number after it (before the next biomarker) its value; then, in order, an optional
//! flag word, the longest unit the analyte accepts, a printed range (bracketed, after "ref",
//! "normal", "desirable", or bare) and a flag word.

use crate::analytes::{candidates, resolve};
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

/// Biomarker, value, unit, range and flag spans in `text`.
pub fn read(text: &str) -> Vec<Span> {
    let mark = DecimalMark::detect(text);
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        read_line(line, offset, mark, &mut spans);
        offset += line.len();
    }
    spans
}

fn read_line(line: &str, offset: usize, mark: DecimalMark, spans: &mut Vec<Span>) {
    let words = bioscope_core::corpus::split_words(line);
    // Biomarker names, left to right, longest first.
    let mut names = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match name_at(line, &words, i) {
            Some(n) => {
                names.push((words[i].start, words[i + n - 1].end));
                i += n;
            }
            None => i += 1,
        }
    }
    for (k, &(name_start, name_end)) in names.iter().enumerate() {
        let until = names.get(k + 1).map_or(line.len(), |n| n.0);
        let rest = &line[name_end..until];
        // The value: the first number after the name.
        let Some(value_at) = rest
            .char_indices()
            .filter(|&(j, _)| {
                // A number starts after a space, a separator or a bracket, not inside a word.
                j == 0 || {
                    let prev = rest[..j].chars().last().unwrap_or(' ');
                    !prev.is_alphanumeric()
                }
            })
            .find_map(|(j, _)| number_prefix(&rest[j..]).map(|len| (j, len)))
        else {
            continue;
        };
        let (value_start, value_len) = value_at;
        // Text between the name and the value must be filler ("of", "at", ":", dots).
        let between = &rest[..value_start];
        if between.split_whitespace().count() > 3 {
            continue;
        }
        let name_text = &line[name_start..name_end];
        let value_end = value_start + value_len;
        let push = |spans: &mut Vec<Span>, start: usize, end: usize, label| {
            spans.push(Span {
                start: offset + start,
                end: offset + end,
                label,
            })
        };
        push(spans, name_start, name_end, "BIOMARKER");
        push(spans, name_end + value_start, name_end + value_end, "VALUE");
        let after = name_end + value_end;
        let toks = tokens(&line[after..until], after);
        let mut t = 0;
        let flag_at = |t: usize| {
            toks.get(t).filter(|tok| {
                let word = trim_token(tok.text);
                FLAG_WORDS.contains(&word) || FLAG_WORDS.contains(&word.trim_start_matches('('))
            })
        };
        if let Some(tok) = flag_at(t) {
            let text = trim_token(tok.text);
            let (s, e) = flag_span(tok, text);
            push(spans, s, e, "FLAG");
            t += 1;
        }
        // The unit: the longest run of up to three tokens that parses and fits the analyte.
        if let Some(tok) = toks.get(t) {
            let analyte = resolve(name_text, None);
            let found = (1..=3.min(toks.len() - t)).rev().find_map(|n| {
                let end_tok = &toks[t + n - 1];
                let raw = &line[tok.start..end_tok.end];
                let trimmed = raw.trim_end_matches([',', ';', ')', ']']);
                let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
                let unit = parse_unit(trimmed)?;
                if trimmed.is_empty() || unit.quantity == crate::units::Quantity::Dimensionless {
                    return None;
                }
                let fits = crate::analytes::candidates(name_text)
                    .iter()
                    .any(|a| a.accepts(&unit))
                    || analyte.is_none();
                fits.then_some((n, tok.start, tok.start + trimmed.len()))
            });
            if let Some((n, s, e)) = found {
                push(spans, s, e, "UNIT");
                t += n;
            }
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
        if let Some(tok) = toks.get(t_range) {
            let found = (1..=3.min(toks.len() - t_range)).rev().find_map(|n| {
                let end_tok = &toks[t_range + n - 1];
                let raw = &line[tok.start..end_tok.end];
                let opened = raw.starts_with(['(', '[']);
                let inner_start = tok.start + usize::from(opened);
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
            }
        }
        if !spans
            .iter()
            .any(|s| s.label == "FLAG" && s.start >= offset + after)
        {
            if let Some(tok) = flag_at(t) {
                let text = trim_token(tok.text);
                let (s, e) = flag_span(tok, text);
                push(spans, s, e, "FLAG");
            }
        }
    }
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
        // Header numbers are not results: no analyte name precedes them.
        assert!(read("MRN: 4681672   Collected: 17/02/2022 07:36\n").is_empty());
    }

    /// The rule reader on generated reports: a floor the model must beat, measured per split.
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
