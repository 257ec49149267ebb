//! Numbers and reference ranges as reports print them: decimal points or commas ("4,5"),
//! thousands separators ("1,200"), comparators ("<0.01", "≥ 60"), and ranges in brackets or
//! columns ("3.5-5.0", "(3.5 – 5.0)", "[135 to 145]", "< 5.2", "> 1.0", "up to 40").

use crate::analytes::Interval;

/// How a report writes decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DecimalMark {
    /// "4.5"; a comma before exactly three digits separates thousands ("1,200").
    #[default]
    Point,
    /// "4,5" (European reports); points then separate thousands ("1.200").
    Comma,
}

impl DecimalMark {
    /// The mark a report uses: a comma after a digit and before one or two digits that end the
    /// number ("4,5", "0,75") means decimal commas; otherwise points.
    pub fn detect(text: &str) -> DecimalMark {
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b != b',' || i == 0 || !bytes[i - 1].is_ascii_digit() {
                continue;
            }
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if (1..=2).contains(&digits) {
                return DecimalMark::Comma;
            }
        }
        DecimalMark::Point
    }
}

/// A number read from text, `None` unless the whole text is one number.
pub fn parse_number(text: &str, mark: DecimalMark) -> Option<f64> {
    let text = text.trim();
    let (sign, body) = match text.strip_prefix(['-', '−', '–']) {
        Some(rest) => (-1.0, rest.trim_start()),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if body.is_empty()
        || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let (decimal, group) = match mark {
        DecimalMark::Point => ('.', ','),
        DecimalMark::Comma => (',', '.'),
    };
    // Group separators must split the integer part into groups of three.
    let (integer, fraction) = match body.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if let Some(f) = fraction {
        if f.contains([decimal, group]) {
            return None;
        }
    }
    let mut groups = integer.split(group);
    let first = groups.next()?;
    let rest: Vec<&str> = groups.collect();
    if !rest.is_empty()
        && (first.is_empty() || first.len() > 3 || rest.iter().any(|g| g.len() != 3))
    {
        return None;
    }
    let mut plain: String = std::iter::once(first).chain(rest).collect();
    if let Some(f) = fraction {
        plain.push('.');
        plain.push_str(f);
    }
    plain.parse::<f64>().ok().map(|v| sign * v)
}

/// A printed value: a number, possibly behind a comparator ("<0.01" is below the assay's
/// limit; the number is kept, the comparator reported).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Value {
    pub number: f64,
    pub comparator: Option<Comparator>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparator {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

fn split_comparator(text: &str) -> (Option<Comparator>, &str) {
    let text = text.trim();
    // "> OR = 50", as some US laboratories print "≥ 50".
    for (prefix, c) in [
        ("> or =", Comparator::GreaterOrEqual),
        ("< or =", Comparator::LessOrEqual),
    ] {
        if text.len() >= prefix.len()
            && text.is_char_boundary(prefix.len())
            && text[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return (Some(c), text[prefix.len()..].trim_start());
        }
    }
    for (prefix, c) in [
        ("<=", Comparator::LessOrEqual),
        ("≤", Comparator::LessOrEqual),
        (">=", Comparator::GreaterOrEqual),
        ("≥", Comparator::GreaterOrEqual),
        ("<", Comparator::Less),
        (">", Comparator::Greater),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return (Some(c), rest.trim_start());
        }
    }
    (None, text)
}

/// A value as printed ("5.4", "<0.01", "> 90").
pub fn parse_value(text: &str, mark: DecimalMark) -> Option<Value> {
    let (comparator, rest) = split_comparator(text);
    Some(Value {
        number: parse_number(rest, mark)?,
        comparator,
    })
}

/// A reference range as printed, brackets and a trailing unit-free text allowed: "3.5-5.0",
/// "(3.5 – 5.0)", "[135 to 145]", "<5.2", "> 1.0", "≥60", "up to 40".
pub fn parse_range(text: &str, mark: DecimalMark) -> Option<Interval> {
    let t = text
        .trim()
        .trim_start_matches(['(', '['])
        .trim_end_matches([')', ']'])
        .trim();
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("up to") {
        return Some(Interval::below(parse_number(rest, mark)?));
    }
    let (comparator, rest) = split_comparator(t);
    if let Some(c) = comparator {
        let n = parse_number(rest, mark)?;
        return Some(match c {
            Comparator::Less | Comparator::LessOrEqual => Interval::below(n),
            Comparator::Greater | Comparator::GreaterOrEqual => Interval::above(n),
        });
    }
    // "low - high": the separator is a dash (not a leading minus) or "to".
    for sep in [" to ", "–", "—", " - ", "-"] {
        let mut search = 0;
        while let Some(at) = t[search..].find(sep) {
            let at = search + at;
            search = at + sep.len();
            if at == 0 {
                continue;
            }
            let (low, high) = (&t[..at], &t[at + sep.len()..]);
            if let (Some(l), Some(h)) = (parse_number(low, mark), parse_number(high, mark)) {
                if l <= h {
                    return Some(Interval::between(l, h));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecimalMark::*;

    #[test]
    fn numbers_with_points_commas_and_groups() {
        assert_eq!(parse_number("4.5", Point), Some(4.5));
        assert_eq!(parse_number("1,200", Point), Some(1200.0));
        assert_eq!(parse_number("12,345.6", Point), Some(12345.6));
        assert_eq!(parse_number("4,5", Comma), Some(4.5));
        assert_eq!(parse_number("1.200,5", Comma), Some(1200.5));
        assert_eq!(parse_number("-2.5", Point), Some(-2.5));
        assert_eq!(parse_number(".5", Point), Some(0.5));
        for bad in ["4,5", "1,20", "4.5.6", "abc", "", "12a", "1,2345"] {
            assert_eq!(parse_number(bad, Point), None, "{bad}");
        }
    }

    #[test]
    fn the_decimal_mark_is_detected_from_the_report() {
        assert_eq!(DecimalMark::detect("Kalium 4,5 mmol/l"), Comma);
        assert_eq!(
            parse_range("> OR = 50", Point),
            parse_range(">= 50", Point),
            "US reports print \"≥\" in words"
        );
        assert!(parse_range("> OR = 50", Point).is_some());
        assert_eq!(DecimalMark::detect("Platelets 1,200 x10^9/L; K 4.5"), Point);
        assert_eq!(DecimalMark::detect("Na, K, Cl"), Point);
    }

    #[test]
    fn values_keep_their_comparator() {
        assert_eq!(
            parse_value("<0.01", Point),
            Some(Value {
                number: 0.01,
                comparator: Some(Comparator::Less)
            })
        );
        assert_eq!(parse_value("≥ 90", Point).unwrap().number, 90.0);
        assert_eq!(parse_value("5.4", Point).unwrap().comparator, None);
    }

    #[test]
    fn ranges_in_every_common_layout() {
        let between = |l, h| Some(Interval::between(l, h));
        assert_eq!(parse_range("3.5-5.0", Point), between(3.5, 5.0));
        assert_eq!(parse_range("(3.5 – 5.0)", Point), between(3.5, 5.0));
        assert_eq!(parse_range("[135 to 145]", Point), between(135.0, 145.0));
        assert_eq!(parse_range("3,5 - 5,1", Comma), between(3.5, 5.1));
        assert_eq!(parse_range("-2 - 2", Point), between(-2.0, 2.0));
        assert_eq!(parse_range("-2-+2", Point), between(-2.0, 2.0));
        assert_eq!(parse_range("<5.2", Point), Some(Interval::below(5.2)));
        assert_eq!(parse_range("> 1.0", Point), Some(Interval::above(1.0)));
        assert_eq!(parse_range("≥60", Point), Some(Interval::above(60.0)));
        assert_eq!(parse_range("up to 40", Point), Some(Interval::below(40.0)));
        for bad in ["5.0-3.5", "normal", "", "3.5-", "H"] {
            assert_eq!(parse_range(bad, Point), None, "{bad}");
        }
    }
}
