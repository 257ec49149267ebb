//! `bioscope score`: compare predicted annotations with gold ones at the character level
//! (PubTator files or brat directories), mention by mention, strict and overlap P/R/F1 per
//! type. It scores any tool's output, BioScope's own `tag --format pubtator` included.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::{map_corpus_type, read_brat, read_pubtator, CorpusFormat, Document};
use bioscope_core::metrics::{overlap_scores, restrict_to, strict_scores, types_of, ScoredEntity};

fn read_documents(path: &Path, format: CorpusFormat) -> Result<Vec<Document>> {
    let docs = match format {
        CorpusFormat::PubTator => read_pubtator(path)?,
        CorpusFormat::Brat => read_brat(path)?,
        CorpusFormat::Iob => bail!("score compares character offsets: use pubtator or brat files"),
    };
    Ok(docs)
}

/// Mentions of documents as scored entities: unit = the gold document's index, span = bytes.
fn entities(docs: &[Document], unit_of: &HashMap<&str, usize>) -> Vec<ScoredEntity> {
    docs.iter()
        .filter_map(|d| unit_of.get(d.id.as_str()).map(|&unit| (unit, d)))
        .flat_map(|(unit, d)| {
            d.mentions.iter().filter_map(move |m| {
                map_corpus_type(&m.type_name).map(|entity_type| ScoredEntity {
                    unit,
                    start: m.start,
                    end: m.end,
                    entity_type,
                })
            })
        })
        .collect()
}

pub fn run(gold: &Path, predicted: &Path, format: CorpusFormat) -> Result<()> {
    let gold_docs =
        read_documents(gold, format).with_context(|| format!("cannot read {}", gold.display()))?;
    let pred_docs = read_documents(predicted, format)
        .with_context(|| format!("cannot read {}", predicted.display()))?;
    let unit_of: HashMap<&str, usize> = gold_docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let unknown = pred_docs
        .iter()
        .filter(|d| !unit_of.contains_key(d.id.as_str()))
        .count();
    if unknown > 0 {
        eprintln!(
            "bioscope: {unknown} predicted documents are not in {} and are ignored",
            gold.display()
        );
    }
    let gold_entities = entities(&gold_docs, &unit_of);
    let types = types_of(&gold_entities);
    let pred_entities = restrict_to(entities(&pred_docs, &unit_of), &types);
    println!(
        "{} against {} ({} documents, {} gold and {} predicted mentions)",
        predicted.display(),
        gold.display(),
        gold_docs.len(),
        gold_entities.len(),
        pred_entities.len()
    );
    println!("strict (same character span and type):");
    print!("{}", strict_scores(&gold_entities, &pred_entities));
    println!("overlap (same type, overlapping span):");
    print!("{}", overlap_scores(&gold_entities, &pred_entities));
    Ok(())
}
