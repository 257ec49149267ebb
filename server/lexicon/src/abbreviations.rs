//! Abbreviations defined in a document, found with the Schwartz–Hearst algorithm
//! ("tumour necrosis factor (TNF)"): the short form in parentheses, and the shortest run of
//! preceding words whose letters spell it in order, the first letter starting a word.

use std::collections::HashMap;
use std::ops::Range;

/// One definition: byte ranges of the long form and of the short form in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub long: Range<usize>,
    pub short: Range<usize>,
}

/// Finds the definitions `long form (SF)` in `text`.
pub fn definitions(text: &str) -> Vec<Definition> {
    let mut found = Vec::new();
    for (open, _) in text.match_indices('(') {
        let Some(close_rel) = text[open + 1..].find([')', '(']) else {
            continue;
        };
        let close = open + 1 + close_rel;
        if text.as_bytes()[close] != b')' {
            continue;
        }
        // The short form: the parenthesized text up to a ';', ',' or ':' ("(TNF; also
        // cachectin)", "(PB: 15 mg per rat)").
        let inner = &text[open + 1..close];
        let inner_end = inner.find([';', ',', ':']).unwrap_or(inner.len());
        let short_text = inner[..inner_end].trim();
        if !plausible_short_form(short_text) {
            continue;
        }
        let short_start = open + 1 + (inner.len() - inner.trim_start().len());
        let short = short_start..short_start + short_text.len();
        if let Some(long) = long_form(text, open, short_text) {
            found.push(Definition { long, short });
        }
    }
    found
}

fn plausible_short_form(short: &str) -> bool {
    let chars = short.chars().count();
    (2..=10).contains(&chars)
        && short.split_whitespace().count() <= 2
        && short.chars().next().is_some_and(char::is_alphanumeric)
        && short.chars().any(char::is_alphabetic)
}

/// The long form ending just before the parenthesis at `open`.
fn long_form(text: &str, open: usize, short: &str) -> Option<Range<usize>> {
    let before = &text[..open];
    let end = before.trim_end().len();
    // The candidate window: at most min(|SF| + 5, 2|SF|) words, not crossing a sentence end.
    let short_len = short.chars().filter(|c| c.is_alphanumeric()).count();
    let max_words = (short_len + 5).min(short_len * 2);
    let base = before.as_ptr() as usize;
    let mut start = end;
    // From the parenthesis backwards, lazily: the cost is the window's, not the text's.
    for word in before[..end].split_whitespace().rev().take(max_words) {
        let at = word.as_ptr() as usize - base;
        let sentence_end = start != end && word.ends_with(['.', ';', ':', '!', '?']);
        if sentence_end || word.contains(['(', ')', '[', ']']) {
            break;
        }
        start = at;
    }
    if start == end {
        return None;
    }
    let window = &before[start..end];
    let offset = best_long_form(window, short)?;
    let long = start + offset..end;
    let long_text = &text[long.clone()];
    // The long form must be longer than the short form and not merely contain it.
    (long_text.len() > short.len() && !long_text.contains(short)).then_some(long)
}

/// Schwartz–Hearst's match: each alphanumeric character of the short form, from the last,
/// is found in the long form from the right; the first must start a word. Returns the byte
/// offset in `window` where the long form starts.
fn best_long_form(window: &str, short: &str) -> Option<usize> {
    let long: Vec<(usize, char)> = window.char_indices().collect();
    let short: Vec<char> = short.chars().collect();
    let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
    let mut l = long.len() as isize - 1;
    let mut s = short.len() as isize - 1;
    while s >= 0 {
        let c = lower(short[s as usize]);
        if !c.is_alphanumeric() {
            s -= 1;
            continue;
        }
        loop {
            if l < 0 {
                return None;
            }
            let lc = lower(long[l as usize].1);
            let word_start = l == 0 || !long[l as usize - 1].1.is_alphanumeric();
            if lc == c && (s > 0 || word_start) {
                break;
            }
            l -= 1;
        }
        l -= 1;
        s -= 1;
    }
    // Extend to the start of the word the match began in.
    let mut begin = (l + 1) as usize;
    while begin > 0 && !long[begin - 1].1.is_whitespace() {
        begin -= 1;
    }
    Some(long.get(begin).map_or(window.len(), |(at, _)| *at))
}

/// The abbreviations of one document: short form → long form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Abbreviations {
    long_forms: HashMap<String, String>,
}

impl Abbreviations {
    /// Collects the definitions in `text`; the first definition of a short form wins.
    pub fn from_text(text: &str) -> Abbreviations {
        let mut abbreviations = Abbreviations::default();
        abbreviations.add(text, &definitions(text));
        abbreviations
    }

    /// Adds `found`, definitions in `text` (e.g. one paragraph's prose of a document): a
    /// short form already known keeps its first long form.
    pub fn add(&mut self, text: &str, found: &[Definition]) {
        for definition in found {
            let (Some(short), Some(long)) = (
                text.get(definition.short.clone()),
                text.get(definition.long.clone()),
            ) else {
                continue;
            };
            self.long_forms
                .entry(short.to_string())
                .or_insert_with(|| long.to_string());
        }
    }

    /// The long form that `short` abbreviates in this document (exact, then ignoring a plural
    /// "s": "TNFs").
    pub fn expand(&self, short: &str) -> Option<&str> {
        let short = short.trim();
        self.long_forms
            .get(short)
            .or_else(|| short.strip_suffix('s').and_then(|s| self.long_forms.get(s)))
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.long_forms.is_empty()
    }

    pub fn len(&self) -> usize {
        self.long_forms.len()
    }

    /// Every (short, long) pair, sorted by short form.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self
            .long_forms
            .iter()
            .map(|(s, l)| (s.as_str(), l.as_str()))
            .collect();
        pairs.sort();
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        definitions(text)
            .into_iter()
            .map(|d| (text[d.short].to_string(), text[d.long].to_string()))
            .collect()
    }

    #[test]
    fn finds_classic_definitions() {
        assert_eq!(
            pairs("Levels of tumour necrosis factor (TNF) rose."),
            vec![("TNF".into(), "tumour necrosis factor".into())]
        );
        assert_eq!(
            pairs("Patients with Parkinson's disease (PD) and heart rate variability (HRV)."),
            vec![
                ("PD".into(), "Parkinson's disease".into()),
                ("HRV".into(), "heart rate variability".into())
            ]
        );
        assert_eq!(
            pairs("We studied hepatocellular carcinoma (HCC; n = 12)."),
            vec![("HCC".into(), "hepatocellular carcinoma".into())]
        );
    }

    #[test]
    fn ignores_parentheses_that_are_not_definitions() {
        assert!(pairs("The dose was raised (p < 0.05).").is_empty());
        assert!(pairs("as shown before (Figure 2)").is_empty());
        assert!(pairs("in mice (n=5)").is_empty());
        assert!(pairs("(TNF) at the start").is_empty());
    }

    #[test]
    fn a_definition_does_not_cross_a_sentence() {
        assert_eq!(
            pairs("It was late. Cystic fibrosis (CF) is common."),
            vec![("CF".into(), "Cystic fibrosis".into())]
        );
    }

    #[test]
    fn expands_short_forms_and_their_plurals() {
        let abbreviations =
            Abbreviations::from_text("Matrix metalloproteinase (MMP) activity. MMPs were high.");
        assert_eq!(
            abbreviations.expand("MMP"),
            Some("Matrix metalloproteinase")
        );
        assert_eq!(
            abbreviations.expand("MMPs"),
            Some("Matrix metalloproteinase")
        );
        assert_eq!(abbreviations.expand("TNF"), None);
    }
}
