//! Mention replacement for types with few examples: copies of a labelled word sequence in which
//! one mention of such a type is replaced by another example's mention of the same type, as
//! written or with its first letter's case turned, the labels following the words. A type
//! taught from a handful of corrections then meets each context with several mentions, and
//! each mention in several contexts.

use bioscope_core::encoding::SplitMix;
use bioscope_core::entity::Tag;
use bioscope_core::EntityType;

/// A word sequence and its labels (`None`: left open).
pub type Labelled = (Vec<String>, Vec<Option<Tag>>);

/// The mentions of `types` in `labels`: (type, word range).
fn mentions(
    labels: &[Option<Tag>],
    types: &[EntityType],
) -> Vec<(EntityType, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    let mut w = 0;
    while w < labels.len() {
        if let Some(Tag::Begin(t)) = labels[w] {
            let mut end = w + 1;
            while end < labels.len() && labels[end] == Some(Tag::Inside(t)) {
                end += 1;
            }
            if types.contains(&t) {
                found.push((t, w..end));
            }
            w = end;
        } else {
            w += 1;
        }
    }
    found
}

/// The words with the first letter's case turned ("Liver" ↔ "liver").
fn case_turned(words: &[String]) -> Vec<String> {
    let mut out = words.to_vec();
    if let Some(first) = out.first_mut() {
        let mut chars = first.chars();
        if let Some(c) = chars.next() {
            let turned: String = if c.is_uppercase() {
                c.to_lowercase().collect()
            } else {
                c.to_uppercase().collect()
            };
            *first = turned + chars.as_str();
        }
    }
    out
}

/// Up to `per_sequence` copies of each sequence that has a mention of `types`: the k-th copy
/// replaces its k-th mention (cycling) by a mention of the same type drawn from the other
/// sequences (different words), every other copy with the first letter's case turned.
/// Deterministic for a `seed`; nothing when a type has a single distinct mention.
pub fn mention_swaps(
    sequences: &[Labelled],
    types: &[EntityType],
    per_sequence: usize,
    seed: u64,
) -> Vec<Labelled> {
    let found: Vec<Vec<(EntityType, std::ops::Range<usize>)>> = sequences
        .iter()
        .map(|(_, labels)| mentions(labels, types))
        .collect();
    // The distinct mention texts of each type, in first-seen order.
    let mut pool: Vec<(EntityType, Vec<String>)> = Vec::new();
    for ((words, _), mentions) in sequences.iter().zip(&found) {
        for (t, range) in mentions {
            let text = words[range.clone()].to_vec();
            if !pool.iter().any(|(pt, pw)| pt == t && *pw == text) {
                pool.push((*t, text));
            }
        }
    }
    let mut rng = SplitMix::new(seed);
    let mut out = Vec::new();
    for ((words, labels), mentions) in sequences.iter().zip(&found) {
        if mentions.is_empty() {
            continue;
        }
        for k in 0..per_sequence {
            let (t, range) = &mentions[k % mentions.len()];
            let own = &words[range.clone()];
            let others: Vec<&Vec<String>> = pool
                .iter()
                .filter(|(pt, pw)| pt == t && pw.as_slice() != own)
                .map(|(_, pw)| pw)
                .collect();
            if others.is_empty() {
                break;
            }
            let chosen = others[rng.below(others.len())];
            let replacement = if k % 2 == 1 {
                case_turned(chosen)
            } else {
                chosen.clone()
            };
            let mut new_words = words[..range.start].to_vec();
            let mut new_labels = labels[..range.start].to_vec();
            for (i, word) in replacement.into_iter().enumerate() {
                new_words.push(word);
                new_labels.push(Some(if i == 0 {
                    Tag::Begin(*t)
                } else {
                    Tag::Inside(*t)
                }));
            }
            new_words.extend_from_slice(&words[range.end..]);
            new_labels.extend_from_slice(&labels[range.end..]);
            out.push((new_words, new_labels));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(text: &str, tags: &[Option<Tag>]) -> Labelled {
        (text.split(' ').map(str::to_string).collect(), tags.to_vec())
    }

    #[test]
    fn a_mention_is_replaced_by_another_of_its_type_with_its_labels() {
        let organ = EntityType::Disease; // any type stands for a new one here
        let o = Some(Tag::Outside);
        let b = Some(Tag::Begin(organ));
        let i = Some(Tag::Inside(organ));
        let sequences = vec![
            seq("the liver was enlarged", &[o, b, o, o]),
            seq("cells of the bone marrow", &[o, o, o, b, i]),
            seq("nothing here", &[o, None]),
        ];
        let copies = mention_swaps(&sequences, &[organ], 2, 7);
        // Two copies of each sequence with a mention; none of the one without.
        assert_eq!(copies.len(), 4);
        let (words, labels) = &copies[0];
        assert_eq!(words.join(" "), "the bone marrow was enlarged");
        assert_eq!(labels, &vec![o, b, i, o, o]);
        // The second copy turns the first letter's case.
        assert_eq!(copies[1].0.join(" "), "the Bone marrow was enlarged");
        assert_eq!(copies[2].0.join(" "), "cells of the liver");
        assert_eq!(copies[2].1, vec![o, o, o, b]);
        // Other types' mentions are left as they are, and one distinct mention gives nothing.
        assert!(mention_swaps(&sequences, &[EntityType::Gene], 2, 7).is_empty());
        assert!(mention_swaps(&sequences[..1], &[organ], 2, 7).is_empty());
    }
}
