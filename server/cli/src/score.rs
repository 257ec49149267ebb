//! `bioscope score`: compare predicted annotations with gold ones at the character level
//! (PubTator files or brat directories), mention by mention, strict and overlap P/R/F1 per
//! type, and, when the predictions carry identifiers, end to end with the identifier. It scores
//! any tool's output, BioScope's own `tag --format pubtator` included.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::{map_corpus_type, read_brat, read_pubtator, CorpusFormat, Document};
use bioscope_core::metrics::{overlap_scores, restrict_to, strict_scores, types_of, ScoredEntity};
use bioscope_core::EntityType;
use bioscope_lexicon::ConceptId;

/// The documents of a PubTator file or a brat folder.
pub(crate) fn read_documents(path: &Path, format: CorpusFormat) -> Result<Vec<Document>> {
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

/// The mentions of `docs` of the types BioScope knows, in scored form (unit = the document's
/// index).
pub(crate) fn mentions(docs: &[Document]) -> Vec<ScoredEntity> {
    let unit_of: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    entities(docs, &unit_of)
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
    if pred_docs
        .iter()
        .flat_map(|d| &d.mentions)
        .any(|m| !m.ids.is_empty())
    {
        print!("{}", identifier_scores(&gold_docs, &pred_docs, &types));
    }
    Ok(())
}

/// A mention's identifiers in one spelling (`MESH:D003920`, `NCBIGene:672`, ...).
fn identifiers(ids: &[String], entity_type: EntityType) -> Vec<ConceptId> {
    ids.iter()
        .filter_map(|id| ConceptId::from_corpus(id, entity_type))
        .collect()
}

/// End-to-end normalization: a predicted mention is right when its span and type match a gold
/// mention and its identifier is one of that mention's identifiers.
fn identifier_scores(gold: &[Document], predicted: &[Document], types: &[EntityType]) -> String {
    type Key = (usize, usize, EntityType);
    let mut rows: BTreeMap<EntityType, (usize, usize, usize)> = BTreeMap::new();
    let by_id: HashMap<&str, &Document> = predicted.iter().map(|d| (d.id.as_str(), d)).collect();
    for doc in gold {
        let mut gold_ids: HashMap<Key, Vec<ConceptId>> = HashMap::new();
        for m in &doc.mentions {
            let Some(t) = map_corpus_type(&m.type_name).filter(|t| types.contains(t)) else {
                continue;
            };
            rows.entry(t).or_default().1 += 1;
            gold_ids.insert((m.start, m.end, t), identifiers(&m.ids, t));
        }
        for m in by_id
            .get(doc.id.as_str())
            .map(|d| &d.mentions[..])
            .unwrap_or_default()
        {
            let Some(t) = map_corpus_type(&m.type_name).filter(|t| types.contains(t)) else {
                continue;
            };
            let row = rows.entry(t).or_default();
            row.2 += 1;
            let predicted = identifiers(&m.ids, t);
            let right = gold_ids
                .get(&(m.start, m.end, t))
                .is_some_and(|g| predicted.iter().any(|p| g.contains(p)));
            row.0 += usize::from(right);
        }
    }
    let mut out = String::from("strict with identifier (same span, type and identifier):\n");
    let _ = writeln!(out, "{:<10} {:>7} {:>7} {:>7}", "type", "P", "R", "F1");
    for (t, (tp, n_gold, n_pred)) in rows {
        let p = tp as f64 / n_pred.max(1) as f64;
        let r = tp as f64 / n_gold.max(1) as f64;
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "{:<10} {:>7.2} {:>7.2} {:>7.2}",
            t.name(),
            100.0 * p,
            100.0 * r,
            100.0 * f
        );
    }
    out
}
