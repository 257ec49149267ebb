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
    report: Option<&Path>,
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
    let mut confidences = Vec::new();
    for (unit, doc) in docs.iter().enumerate() {
        let analysis = analyzer.analyze(
            doc.text.clone(),
            DocFormat::Plain,
            Request::whole(Priority::Background),
        );
        if let Some(problem) = analysis.warnings().first() {
            bail!("cannot tag document {}: {problem}", doc.id);
        }
        for e in analysis.entities() {
            predicted.push(ScoredEntity {
                unit,
                start: e.start,
                end: e.end,
                entity_type: e.entity_type,
            });
            confidences.push(e.score);
        }
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
    if let Some(path) = report {
        let units = docs.iter().map(|d| d.text.clone()).collect();
        write_report(
            path,
            &header,
            units,
            &scored,
            &gold,
            &predicted,
            &confidences,
        )?;
    }
    print_scores(
        &header,
        &scored,
        &restrict_to(gold, &scored),
        &restrict_to(predicted, &scored),
    );
    Ok(())
}

/// `--report`: the HTML page of this evaluation (byte offsets of each unit's text), the scored
/// types only.
fn write_report(
    path: &Path,
    title: &str,
    units: Vec<String>,
    scored: &[EntityType],
    gold: &[ScoredEntity],
    predicted: &[ScoredEntity],
    confidences: &[f32],
) -> Result<()> {
    let evaluation = crate::report::Evaluation {
        title: title.to_string(),
        units,
        types: scored.to_vec(),
        gold: restrict_to(gold.to_vec(), scored),
        predicted: predicted
            .iter()
            .zip(confidences)
            .filter(|(p, _)| scored.contains(&p.entity_type))
            .map(|(p, c)| (*p, *c))
            .collect(),
    };
    crate::report::write(path, &evaluation)?;
    eprintln!("wrote the report {}", path.display());
    Ok(())
}

/// The model alone on a token file's sentences.
pub fn sentences(
    tagger: &Tagger,
    corpus: &Path,
    types: Option<Vec<EntityType>>,
    lexicon: Option<&Lexicon>,
    passes: SentencePasses,
    report: Option<&Path>,
) -> Result<()> {
    let sentences = read_sentences(corpus, CorpusFormat::Iob)
        .with_context(|| format!("cannot read corpus {}", corpus.display()))?;
    let gold: Vec<_> = sentences.iter().map(|s| s.tags.clone()).collect();
    let gold = entities_of(&gold);
    let scored = scored_types(types, &gold, tagger, corpus)?;
    let bar = progress::bar(sentences.len(), "sentences");
    let started = Instant::now();
    let mut predicted = Vec::with_capacity(sentences.len());
    let mut word_confidences = Vec::with_capacity(sentences.len());
    for chunk in sentences.chunks(CHUNK) {
        let words: Vec<&[String]> = chunk.iter().map(|s| s.words.as_slice()).collect();
        for scored in tagger.tag_words_scored(&words)? {
            let (tags, confidences): (Vec<_>, Vec<_>) = scored.into_iter().unzip();
            predicted.push(tags);
            word_confidences.push(confidences);
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let model_types = tagger.bundle.scheme.types();
    for ((sentence, tags), confidences) in sentences
        .iter()
        .zip(predicted.iter_mut())
        .zip(&word_confidences)
    {
        passes.on_words(lexicon, model_types, &sentence.words, confidences, tags);
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
    let predicted = entities_of(&predicted);
    if let Some(path) = report {
        // Each sentence as its words joined by spaces; word spans become byte spans.
        let mut units = Vec::with_capacity(sentences.len());
        let mut starts: Vec<Vec<usize>> = Vec::with_capacity(sentences.len());
        for s in &sentences {
            let mut text = String::new();
            let mut at = Vec::with_capacity(s.words.len() + 1);
            for (i, w) in s.words.iter().enumerate() {
                if i > 0 {
                    text.push(' ');
                }
                at.push(text.len());
                text.push_str(w);
            }
            at.push(text.len() + 1);
            units.push(text);
            starts.push(at);
        }
        let to_bytes = |e: &ScoredEntity| ScoredEntity {
            start: starts[e.unit][e.start],
            end: starts[e.unit][e.end] - 1,
            ..*e
        };
        // A mention's confidence: the lowest of its words'.
        let confidences: Vec<f32> = predicted
            .iter()
            .map(|e| {
                word_confidences[e.unit][e.start..e.end]
                    .iter()
                    .copied()
                    .fold(1.0, f32::min)
            })
            .collect();
        let gold_bytes: Vec<ScoredEntity> = gold.iter().map(to_bytes).collect();
        let predicted_bytes: Vec<ScoredEntity> = predicted.iter().map(to_bytes).collect();
        write_report(
            path,
            &header,
            units,
            &scored,
            &gold_bytes,
            &predicted_bytes,
            &confidences,
        )?;
    }
    print_scores(
        &header,
        &scored,
        &restrict_to(gold, &scored),
        &restrict_to(predicted, &scored),
    );
    Ok(())
}
