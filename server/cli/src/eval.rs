//! `bioscope eval`: score a bundle on an annotated corpus, strict and overlap P/R/F1 per type.
//!
//! Only the types the corpus annotates are scored (by default, those among its gold mentions):
//! a seven-type model tagging genes in a disease corpus is not wrong, just unscorable there.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::{read_sentences, CorpusFormat};
use bioscope_core::entity::Tag;
use bioscope_core::metrics::{entities_of, overlap_scores, restrict_to, strict_scores, types_of};
use bioscope_core::EntityType;
use bioscope_lexicon::Lexicon;
use bioscope_tagger::Tagger;

use crate::progress;

/// Sentences tagged per progress step.
const CHUNK: usize = 512;

pub fn run(
    tagger: &Tagger,
    corpus: &Path,
    format: CorpusFormat,
    types: Option<Vec<EntityType>>,
    recovery: Option<&Lexicon>,
) -> Result<()> {
    let sentences = read_sentences(corpus, format)
        .with_context(|| format!("cannot read corpus {}", corpus.display()))?;
    let gold: Vec<_> = sentences.iter().map(|s| s.tags.clone()).collect();
    let gold = entities_of(&gold);
    let model_types = tagger.bundle.scheme.types();
    let types = match types {
        Some(t) => t,
        None => types_of(&gold),
    };
    let scored: Vec<EntityType> = types
        .iter()
        .copied()
        .filter(|t| model_types.contains(t))
        .collect();
    if scored.is_empty() {
        bail!(
            "{} annotates none of the types {} tags ({})",
            corpus.display(),
            tagger.bundle.manifest.name,
            tagger.bundle.manifest.entity_types.join(", ")
        );
    }
    let bar = progress::bar(sentences.len(), "sentences");
    let started = Instant::now();
    let mut predicted = Vec::with_capacity(sentences.len());
    for chunk in sentences.chunks(CHUNK) {
        let words: Vec<&[String]> = chunk.iter().map(|s| s.words.as_slice()).collect();
        predicted.extend(tagger.tag_words(&words)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if let Some(lexicon) = recovery {
        for (sentence, tags) in sentences.iter().zip(predicted.iter_mut()) {
            recover_into(lexicon, &sentence.words, tags, model_types);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let n_words: usize = sentences.iter().map(|s| s.words.len()).sum();
    let gold = restrict_to(gold, &scored);
    let predicted = restrict_to(entities_of(&predicted), &scored);
    println!(
        "{} on {} ({} sentences, {} words, {:.1} s, {:.0} words/s, onnxruntime)",
        tagger.bundle.manifest.name,
        corpus.display(),
        sentences.len(),
        n_words,
        secs,
        n_words as f64 / secs.max(1e-9)
    );
    let names: Vec<&str> = scored.iter().map(|t| t.name()).collect();
    println!("scored types: {}", names.join(", "));
    if recovery.is_some() {
        println!("with lexicon recall recovery");
    }
    println!("strict (same span and type):");
    print!("{}", strict_scores(&gold, &predicted));
    println!("overlap (same type, overlapping span):");
    print!("{}", overlap_scores(&gold, &predicted));
    Ok(())
}

/// Adds the lexicon's precise matches that the model missed to one sentence's tags (the words
/// joined by single spaces stand for its text).
fn recover_into(lexicon: &Lexicon, words: &[String], tags: &mut [Tag], types: &[EntityType]) {
    let mut text = String::new();
    let mut spans = Vec::with_capacity(words.len());
    for word in words {
        if !text.is_empty() {
            text.push(' ');
        }
        spans.push(text.len()..text.len() + word.len());
        text.push_str(word);
    }
    let taken: Vec<std::ops::Range<usize>> = spans
        .iter()
        .zip(tags.iter())
        .filter(|(_, t)| **t != Tag::Outside)
        .map(|(s, _)| s.clone())
        .collect();
    let candidates: Vec<std::ops::Range<usize>> = spans
        .iter()
        .filter(|s| text[(*s).clone()].chars().any(char::is_alphanumeric))
        .cloned()
        .collect();
    let strictness = bioscope_lexicon::recover::Strictness::BesideModel;
    for found in
        bioscope_lexicon::recover::recover(lexicon, &text, &candidates, &taken, types, strictness)
    {
        let mut first = true;
        for (span, tag) in spans.iter().zip(tags.iter_mut()) {
            if found.range.start <= span.start && span.end <= found.range.end {
                *tag = if first {
                    Tag::Begin(found.entity_type)
                } else {
                    Tag::Inside(found.entity_type)
                };
                first = false;
            }
        }
    }
}
