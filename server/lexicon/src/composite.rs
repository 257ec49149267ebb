//! Composite mentions: one mention that names several concepts, as the corpora annotate them
//! ("breast and ovarian cancer" → breast cancer | ovarian cancer, "brain, breast, and prostate
//! cancer", "C6 and C7 deficiencies", "BRCA1/2" → BRCA1 | BRCA2, "TIM-1 and 3"). [`parts`]
//! spells out each part; the normalizer resolves them (`Normalizer::composite_at`).

/// The parts of a coordinated mention, each spelled out as a name of its own, or `None` when
/// the mention is not one: one-word conjuncts before "and", "or", "and/or", "/" or commas,
/// sharing the words after the last conjunct's first word (its head). Only a proposal: a
/// conjunct of several words ("Duarte and Los Angeles variant") gives parts that name
/// nothing, and the normalizer keeps parts only when each is a name.
pub fn parts(mention: &str) -> Option<Vec<String>> {
    let tokens = tokens(mention);
    let last_conjunction = tokens.iter().rposition(|t| is_conjunction(t))?;
    let right = &tokens[last_conjunction + 1..];
    let (last, head) = right.split_first()?;
    // The conjuncts before the last: one word each, separated by conjunctions or commas.
    let mut conjuncts: Vec<&str> = Vec::new();
    let mut expect_word = true;
    for token in &tokens[..last_conjunction] {
        if is_conjunction(token) || token == "," {
            if expect_word {
                return None;
            }
            expect_word = true;
        } else {
            if !expect_word {
                return None;
            }
            conjuncts.push(token);
            expect_word = false;
        }
    }
    // A comma may stand before the last conjunction ("breast, ovarian, and prostate").
    let serial_comma = tokens[..last_conjunction].last().is_some_and(|t| t == ",");
    if conjuncts.is_empty() || (expect_word && !serial_comma) {
        return None;
    }
    conjuncts.push(last);
    // "BRCA1/2", "TIM-1 and 3": a bare number continues the symbol before it.
    let mut spelled: Vec<String> = Vec::with_capacity(conjuncts.len());
    for (i, conjunct) in conjuncts.iter().enumerate() {
        let word = if i > 0 && conjunct.chars().all(|c| c.is_ascii_digit()) {
            let first = conjuncts[0];
            let stem = first.trim_end_matches(|c: char| c.is_ascii_digit());
            if stem.len() == first.len() || stem.is_empty() {
                return None;
            }
            format!("{stem}{conjunct}")
        } else {
            conjunct.to_string()
        };
        spelled.push(word);
    }
    let head = head.join(" ");
    Some(
        spelled
            .into_iter()
            .map(|w| {
                if head.is_empty() {
                    w
                } else {
                    format!("{w} {head}")
                }
            })
            .collect(),
    )
}

fn is_conjunction(token: &str) -> bool {
    matches!(token, "and" | "or" | "and/or" | "/")
}

/// Words, with commas and the slash between two words as tokens of their own ("breast/ovarian"
/// → "breast", "/", "ovarian"; "and/or" stays one token).
fn tokens(mention: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in mention.split_whitespace() {
        let (word, comma) = match word.strip_suffix(',') {
            Some(w) => (w, true),
            None => (word, false),
        };
        if word == "and/or" {
            out.push(word.to_string());
        } else if let Some((a, b)) = word.split_once('/').filter(|(a, b)| {
            !a.is_empty() && !b.is_empty() && !b.contains('/') && !a.ends_with(['(', '-'])
        }) {
            out.extend([a.to_string(), "/".to_string(), b.to_string()]);
        } else if !word.is_empty() {
            out.push(word.to_string());
        }
        if comma {
            out.push(",".to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parts;

    fn p(text: &str) -> Option<Vec<String>> {
        parts(text)
    }

    #[test]
    fn coordinated_modifiers_share_the_head() {
        assert_eq!(
            p("breast and ovarian cancer").unwrap(),
            ["breast cancer", "ovarian cancer"]
        );
        assert_eq!(
            p("brain, breast, and prostate cancer").unwrap(),
            ["brain cancer", "breast cancer", "prostate cancer"]
        );
        assert_eq!(
            p("C6 and C7 deficiencies").unwrap(),
            ["C6 deficiencies", "C7 deficiencies"]
        );
        assert_eq!(
            p("breast/ovarian cancer").unwrap(),
            ["breast cancer", "ovarian cancer"]
        );
        assert_eq!(
            p("breast and/or ovarian cancer").unwrap(),
            ["breast cancer", "ovarian cancer"]
        );
    }

    #[test]
    fn a_bare_number_continues_the_symbol() {
        assert_eq!(p("BRCA1/2").unwrap(), ["BRCA1", "BRCA2"]);
        assert_eq!(p("TIM-1 and 3").unwrap(), ["TIM-1", "TIM-3"]);
        assert_eq!(p("IL-4/IL-13").unwrap(), ["IL-4", "IL-13"]);
    }

    #[test]
    fn other_mentions_are_not_composite() {
        for text in [
            "breast cancer",
            "and cancer",
            "cancer and",
            "1/2",
            "hepatitis B/C virus",
        ] {
            assert_eq!(p(text), None, "{text}");
        }
    }
}
