//! Name keys: the folded form under which names are stored and looked up.
//!
//! Folding makes spelling variants meet: case, diacritics, Greek letters (α and "alpha"),
//! hyphens, spaces and punctuation ("IL-2", "IL 2", "il2"), and Roman numerals after the first
//! word ("type II diabetes", "type 2 diabetes"). The key keeps word boundaries as single spaces
//! so that query-time variants (plurals, dropped words) can work word by word.

use unicode_normalization::UnicodeNormalization;

/// Greek letters (lower case) and their spelled names.
const GREEK: [(char, &str); 24] = [
    ('α', "alpha"),
    ('β', "beta"),
    ('γ', "gamma"),
    ('δ', "delta"),
    ('ε', "epsilon"),
    ('ζ', "zeta"),
    ('η', "eta"),
    ('θ', "theta"),
    ('ι', "iota"),
    ('κ', "kappa"),
    ('λ', "lambda"),
    ('μ', "mu"),
    ('ν', "nu"),
    ('ξ', "xi"),
    ('ο', "omicron"),
    ('π', "pi"),
    ('ρ', "rho"),
    ('σ', "sigma"),
    ('τ', "tau"),
    ('υ', "upsilon"),
    ('φ', "phi"),
    ('χ', "chi"),
    ('ψ', "psi"),
    ('ω', "omega"),
];

const ROMAN: [(&str, &str); 12] = [
    ("i", "1"),
    ("ii", "2"),
    ("iii", "3"),
    ("iv", "4"),
    ("v", "5"),
    ("vi", "6"),
    ("vii", "7"),
    ("viii", "8"),
    ("ix", "9"),
    ("x", "10"),
    ("xi", "11"),
    ("xii", "12"),
];

/// The words of `text` after folding: lower case, no diacritics, Greek letters spelled out,
/// split at every non-alphanumeric character and between letters and digits, Roman numerals
/// after the first word as digits.
pub fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut last_digit: Option<bool> = None;
    // A possessive "'s" is dropped: "Crohn's disease" and "Crohn disease" share a key.
    let mut after_apostrophe = false;
    let mut word_after_apostrophe = false;
    let flush = |current: &mut String, words: &mut Vec<String>, possessive: bool| {
        let dropped = possessive && current == "s";
        if !current.is_empty() && !dropped {
            words.push(std::mem::take(current));
        }
        current.clear();
    };
    for c in text.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        // Final sigma folds to sigma; the German sharp s is the usual stand-in for beta.
        let lower = match lower {
            'ς' => 'σ',
            'ß' => 'β',
            other => other,
        };
        if let Some((_, name)) = GREEK.iter().find(|(g, _)| *g == lower) {
            if last_digit != Some(false) {
                flush(&mut current, &mut words, word_after_apostrophe);
                word_after_apostrophe = false;
            }
            current.push_str(name);
            last_digit = Some(false);
            after_apostrophe = false;
            continue;
        }
        if lower.is_alphanumeric() {
            let digit = lower.is_numeric();
            if last_digit.is_some_and(|d| d != digit) {
                flush(&mut current, &mut words, word_after_apostrophe);
                word_after_apostrophe = false;
            }
            if current.is_empty() {
                word_after_apostrophe = after_apostrophe;
            }
            current.push(lower);
            last_digit = Some(digit);
            after_apostrophe = false;
        } else {
            flush(&mut current, &mut words, word_after_apostrophe);
            word_after_apostrophe = false;
            last_digit = None;
            after_apostrophe = matches!(lower, '\'' | '’');
        }
    }
    flush(&mut current, &mut words, word_after_apostrophe);
    for word in words.iter_mut().skip(1) {
        if let Some((_, digits)) = ROMAN.iter().find(|(roman, _)| roman == word) {
            *word = (*digits).to_string();
        }
    }
    words
}

/// The key of a name: its folded words joined without separators, so that "IL-2", "IL 2" and
/// "IL2" share one key. Empty when the name has no letters or digits.
pub fn key(text: &str) -> String {
    words(text).concat()
}

/// Singular forms of the last word that a plural mention may stand for ("cancers" → "cancer",
/// "therapies" → "therapy", "viruses" → "virus").
pub fn singulars(words: &[String]) -> Vec<Vec<String>> {
    let Some(last) = words.last() else {
        return Vec::new();
    };
    let mut forms = Vec::new();
    let mut push = |stem: String| {
        let mut variant = words.to_vec();
        *variant.last_mut().expect("non-empty") = stem;
        forms.push(variant);
    };
    const IRREGULAR: [(&str, &str); 8] = [
        ("mice", "mouse"),
        ("lice", "louse"),
        ("geese", "goose"),
        ("men", "man"),
        ("women", "woman"),
        ("children", "child"),
        ("people", "person"),
        ("teeth", "tooth"),
    ];
    if let Some((_, singular)) = IRREGULAR.iter().find(|(plural, _)| plural == last) {
        push((*singular).to_string());
    }
    if last.len() > 4 && last.ends_with("ies") {
        push(format!("{}y", &last[..last.len() - 3]));
    }
    if last.len() > 4 && (last.ends_with("ses") || last.ends_with("xes") || last.ends_with("ches"))
    {
        push(last[..last.len() - 2].to_string());
    }
    if last.len() > 3 && last.ends_with('s') && !last.ends_with("ss") && !last.ends_with("us") {
        push(last[..last.len() - 1].to_string());
    }
    if last.len() > 3 && last.ends_with("ae") {
        push(last[..last.len() - 1].to_string());
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_variants_share_a_key() {
        assert_eq!(key("IL-2"), key("il 2"));
        assert_eq!(key("IL2"), "il2");
        assert_eq!(key("TNF-α"), key("TNF alpha"));
        assert_eq!(key("TNFα"), "tnfalpha");
        assert_eq!(key("Type II diabetes"), key("type 2 diabetes"));
        assert_eq!(key("Sjögren syndrome"), key("Sjogren's syndrome"));
        assert_eq!(key("Sjögren syndrome"), "sjogrensyndrome");
        assert_eq!(key("5'-nucleotidase"), "5nucleotidase");
        assert_eq!(key("Crohn’s disease"), key("Crohn disease"));
        assert_eq!(key("ß-catenin"), key("beta catenin"));
        assert_eq!(key("---"), "");
    }

    #[test]
    fn roman_numerals_only_after_the_first_word() {
        assert_eq!(words("IV injection"), vec!["iv", "injection"]);
        assert_eq!(words("factor VIII"), vec!["factor", "8"]);
        assert_eq!(
            words("complex I deficiency"),
            vec!["complex", "1", "deficiency"]
        );
    }

    #[test]
    fn plural_last_words_have_singular_forms() {
        let w = |s: &str| words(s);
        assert!(singulars(&w("breast cancers")).contains(&w("breast cancer")));
        assert!(singulars(&w("therapies")).contains(&w("therapy")));
        assert!(singulars(&w("viruses")).contains(&w("virus")));
        assert!(singulars(&w("stress")).is_empty());
    }
}
