//! `bioscope eval`: score a bundle on an annotated corpus, strict and overlap P/R/F1 per type.
//!
//! Two paths, and the output says which ran:
//! - documents (PubTator files, brat folders): each document's text goes through the analysis
//!   pipeline exactly as `bioscope tag` runs it (sentences, recall recovery, abbreviation
//!   consistency), and mentions are compared by character offsets, as `bioscope score` does:
//!   the figure is the product's;
//! - token files (IOB): the model alone on the corpus's own sentences and words, the setting
//!   that published token-level figures use (`--recover` adds recall recovery per sentence).
//!
//! Only the types the corpus annotates are scored (by default, those among its gold mentions):
//! a seven-type model tagging genes in a disease corpus is not wrong, just unscorable there.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bioscope_analysis::{Analyzer, Request, SentencePasses};
use bioscope_core::corpus::{read_sentences, CorpusFormat};
use bioscope_core::metrics::{
    entities_of, overlap_scores, restrict_to, strict_scores, types_of, ScoredEntity,
};
use bioscope_core::segment::DocFormat;
use bioscope_core::EntityType;
use bioscope_lexicon::Lexicon;
use bioscope_tagger::{Priority, Tagger};

use crate::progress;

/// Sentences tagged per progress step.
const CHUNK: usize = 512;

/// The types both the corpus (or `--types`) and the model have; an error when there are none.
fn scored_types(
    requested: Option<Vec<EntityType>>,
    gold: &[ScoredEntity],
    tagger: &Tagger,
    corpus: &Path,
) -> Result<Vec<EntityType>> {
    let model_types = tagger.bundle.scheme.types();
    let scored: Vec<EntityType> = requested
        .unwrap_or_else(|| types_of(gold))
        .into_iter()
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
    Ok(scored)
}

fn print_scores(
    header: &str,
    scored: &[EntityType],
    gold: &[ScoredEntity],
    predicted: &[ScoredEntity],
) {
    println!("{header}");
    let names: Vec<&str> = scored.iter().map(|t| t.name()).collect();
    println!("scored types: {}", names.join(", "));
    println!("strict (same span and type):");
    print!("{}", strict_scores(gold, predicted));
    println!("overlap (same type, overlapping span):");
    print!("{}", overlap_scores(gold, predicted));
}

/// Documents through the analysis pipeline, scored by character offsets.
pub fn documents(
    analyzer: &Analyzer,
    corpus: &Path,
    format: CorpusFormat,
    types: Option<Vec<EntityType>>,
) -> Result<()> {
    let Some(tagger) = analyzer.tagger() else {
        bail!("eval needs a model");
    };
    let docs = crate::score::read_documents(corpus, format)
        .with_context(|| format!("cannot read corpus {}", corpus.display()))?;
    let gold = crate::score::mentions(&docs);
    let scored = scored_types(types, &gold, tagger, corpus)?;
    let bar = progress::bar(docs.len(), "documents");
    let started = Instant::now();
    let mut predicted = Vec::new();
    for (unit, doc) in docs.iter().enumerate() {
        let analysis = analyzer.analyze(
            doc.text.clone(),
            DocFormat::Plain,
            Request::whole(Priority::Background),
        );
        if let Some(problem) = analysis.warnings().first() {
            bail!("cannot tag document {}: {problem}", doc.id);
        }
        predicted.extend(analysis.entities().iter().map(|e| ScoredEntity {
            unit,
            start: e.start,
            end: e.end,
            entity_type: e.entity_type,
        }));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let words: usize = docs.iter().map(|d| d.text.split_whitespace().count()).sum();
    let header = format!(
        "{} on {} ({} documents, {words} words, {secs:.1} s, {:.0} words/s)\n\
         documents through the analysis pipeline, as `bioscope tag` writes them (sentences, {}, \
         abbreviation consistency), scored by character offsets",
        tagger.bundle.manifest.name,
        corpus.display(),
        docs.len(),
        words as f64 / secs.max(1e-9),
        if analyzer.lexicon().is_some() {
            "lexicon recall recovery"
        } else {
            "no lexicon"
        },
    );
    print_scores(
        &header,
        &scored,
        &restrict_to(gold, &scored),
        &restrict_to(predicted, &scored),
    );
    Ok(())
}

/// The model alone on a token file's sentences.
pub fn sentences(
    tagger: &Tagger,
    corpus: &Path,
    types: Option<Vec<EntityType>>,
    lexicon: Option<&Lexicon>,
    passes: SentencePasses,
) -> Result<()> {
    let sentences = read_sentences(corpus, CorpusFormat::Iob)
        .with_context(|| format!("cannot read corpus {}", corpus.display()))?;
    let gold: Vec<_> = sentences.iter().map(|s| s.tags.clone()).collect();
    let gold = entities_of(&gold);
    let scored = scored_types(types, &gold, tagger, corpus)?;
    let bar = progress::bar(sentences.len(), "sentences");
    let started = Instant::now();
    let mut predicted = Vec::with_capacity(sentences.len());
    for chunk in sentences.chunks(CHUNK) {
        let words: Vec<&[String]> = chunk.iter().map(|s| s.words.as_slice()).collect();
        predicted.extend(tagger.tag_words(&words)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let model_types = tagger.bundle.scheme.types();
    for (sentence, tags) in sentences.iter().zip(predicted.iter_mut()) {
        passes.on_words(lexicon, model_types, &sentence.words, tags);
    }
    let secs = started.elapsed().as_secs_f64();
    let n_words: usize = sentences.iter().map(|s| s.words.len()).sum();
    let header = format!(
        "{} on {} ({} sentences, {n_words} words, {secs:.1} s, {:.0} words/s, onnxruntime)\n\
         token file: the model on each sentence's words{}{}",
        tagger.bundle.manifest.name,
        corpus.display(),
        sentences.len(),
        n_words as f64 / secs.max(1e-9),
        if passes.mention_rules {
            ", mention rules"
        } else {
            ""
        },
        if passes.recovery && lexicon.is_some() {
            ", lexicon recall recovery"
        } else {
            ""
        },
    );
    print_scores(
        &header,
        &scored,
        &restrict_to(gold, &scored),
        &restrict_to(entities_of(&predicted), &scored),
    );
    Ok(())
}
