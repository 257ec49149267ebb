//! The replay sample: a few hundred labelled sentences of the original training corpora,
//! shipped in the bundle as `replay.tsv`, that `finetune` mixes with the user's corrections so
//! that the model does not forget what it knew.
//!
//! `bioscope-train replay-sample --config C --out BUNDLE/replay.tsv` writes it. The choice is
//! deterministic: from each `[[train]]` corpus of the config (after its `fraction`), the
//! sentences of 4 to `max_words` words are ranked by a SplitMix64 hash of (seed, corpus index,
//! sentence index) and the first `per_corpus` are kept, in corpus order.
//!
//! Format: UTF-8 text, `#` lines are comments, then one sentence per line with three
//! tab-separated columns: the entity types the corpus annotates (comma-separated: elsewhere its
//! `O` leaves other types possible, as in training), the words separated by single spaces, and
//! the BIO tags separated by single spaces.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use bioscope_core::corpus::Sentence;
use bioscope_core::entity::Tag;
use bioscope_core::EntityType;

use crate::config::TrainConfig;

/// The replay file's name inside a bundle.
pub const REPLAY_FILE: &str = "replay.tsv";

/// One replayed sentence and the types its corpus annotates.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplaySentence {
    pub annotates: Vec<EntityType>,
    pub sentence: Sentence,
}

/// How many sentences to take and which.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    pub per_corpus: usize,
    pub max_words: usize,
    pub seed: u64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            per_corpus: 50,
            max_words: 40,
            seed: 42,
        }
    }
}

/// The SplitMix64 finalizer: a stable hash for seeded orders.
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Picks the sample from the config's training corpora (see the module doc).
pub fn sample(config: &TrainConfig, options: &ReplayOptions) -> Result<Vec<ReplaySentence>> {
    let types = config.entity_types()?;
    let mut out = Vec::new();
    for (c, spec) in config.train.iter().enumerate() {
        let annotates = spec.annotated_types(&types)?;
        let sentences = spec.read()?;
        let mut ranked: Vec<(u64, usize)> = sentences
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                (4..=options.max_words).contains(&s.words.len())
                    && s.words
                        .iter()
                        .all(|w| !w.is_empty() && !w.contains(char::is_whitespace))
            })
            .map(|(i, _)| {
                let key = splitmix(options.seed ^ splitmix(((c as u64) << 32) | i as u64));
                (key, i)
            })
            .collect();
        ranked.sort_unstable();
        let mut chosen: Vec<usize> = ranked
            .iter()
            .take(options.per_corpus)
            .map(|&(_, i)| i)
            .collect();
        chosen.sort_unstable();
        out.extend(chosen.into_iter().map(|i| ReplaySentence {
            annotates: annotates.clone(),
            sentence: sentences[i].clone(),
        }));
    }
    Ok(out)
}

/// The file's text, with `header` as its comment lines.
pub fn to_text(sentences: &[ReplaySentence], header: &str) -> String {
    let mut text = String::new();
    for line in header.lines() {
        let _ = writeln!(text, "# {line}");
    }
    for r in sentences {
        let types: Vec<&str> = r.annotates.iter().map(|t| t.name()).collect();
        let tags: Vec<String> = r.sentence.tags.iter().map(Tag::to_string).collect();
        let _ = writeln!(
            text,
            "{}\t{}\t{}",
            types.join(","),
            r.sentence.words.join(" "),
            tags.join(" ")
        );
    }
    text
}

/// Reads a replay file; any malformed line is an error naming the line.
pub fn read(path: &Path) -> Result<Vec<ReplaySentence>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("invalid replay file {}", path.display()))
}

pub fn parse(text: &str) -> Result<Vec<ReplaySentence>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let line_no = i + 1;
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 3 {
            bail!("line {line_no}: expected 3 tab-separated columns");
        }
        let annotates = cols[0]
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| t.parse::<EntityType>())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("line {line_no}"))?;
        let words: Vec<String> = cols[1].split(' ').map(str::to_string).collect();
        let tags = cols[2]
            .split(' ')
            .map(|t| t.parse::<Tag>())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("line {line_no}"))?;
        ensure!(
            words.len() == tags.len(),
            "line {line_no}: {} words but {} tags",
            words.len(),
            tags.len()
        );
        out.push(ReplaySentence {
            annotates,
            sentence: Sentence { words, tags },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_bad_lines_are_named() {
        let s = ReplaySentence {
            annotates: vec![EntityType::Disease, EntityType::Gene],
            sentence: Sentence {
                words: vec!["BRCA1".into(), "breast".into(), "cancer".into()],
                tags: vec![
                    Tag::Begin(EntityType::Gene),
                    Tag::Begin(EntityType::Disease),
                    Tag::Inside(EntityType::Disease),
                ],
            },
        };
        let text = to_text(std::slice::from_ref(&s), "a header\nsecond line");
        assert!(text.starts_with("# a header\n# second line\n"), "{text}");
        assert_eq!(parse(&text).unwrap(), vec![s]);
        let err = format!("{:#}", parse("Gene\ta b\tO").unwrap_err());
        assert!(err.contains("line 1: 2 words but 1 tags"), "{err}");
    }
}
