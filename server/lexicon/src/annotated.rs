//! Names from the training splits of annotated corpora: each mention text with the identifier
//! its annotators chose most often. They teach the lexicon the conventions of curated
//! annotation ("nephrotoxicity" is Kidney Diseases, "toxicity" is the MeSH heading for adverse
//! drug effects) that no database lists. Only training splits are read, and a training
//! document that any development or test split also contains (BioRED reuses NCBI-disease and
//! BC5CDR abstracts) is skipped, so that no evaluation document is seen.

use std::collections::BTreeMap;
use std::path::Path;

use bioscope_core::corpus::{map_corpus_type, read_brat, read_pubtator, Document};
use bioscope_core::EntityType;

use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind};
use crate::LexiconError;

/// The training splits read, relative to the corpora folder (PubTator files, or brat folders
/// when the path has no extension).
pub const TRAINING_SPLITS: [&str; 4] = [
    "ncbi-disease/original/train/NCBItrainset_corpus.txt",
    "bc5cdr/original/CDR_TrainingSet.PubTator.txt",
    "biored/original/Train.PubTator",
    "s800/split-standoff/train",
];

/// Development and test splits whose documents are kept out of the training names.
pub const EVALUATION_SPLITS: [&str; 7] = [
    "ncbi-disease/original/devel/NCBIdevelopset_corpus.txt",
    "ncbi-disease/original/test/NCBItestset_corpus.txt",
    "bc5cdr/original/CDR_DevelopmentSet.PubTator.txt",
    "bc5cdr/original/CDR_TestSet.PubTator.txt",
    "biored/original/Dev.PubTator",
    "s800/split-standoff/devel",
    "s800/split-standoff/test",
];

fn read_split(dir: &Path, split: &str) -> Result<Vec<Document>, LexiconError> {
    let path = dir.join(split);
    if !path.exists() {
        return Ok(Vec::new());
    }
    if path.extension().is_some() {
        read_pubtator(&path)
    } else {
        read_brat(&path)
    }
    .map_err(|e| LexiconError::Source {
        path: path.clone(),
        line: 0,
        why: e.to_string(),
    })
}

/// Adds the annotated names of the training splits under `dir` to their concepts. A concept
/// that the sources lack (a mouse gene's NCBI Gene id) is created with the mention as its name;
/// a gene created so belongs to the organism that its documents' species mentions name most
/// often, so that it ranks below the human gene in a document about patients.
pub fn read_training_names(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    // (type, folded key) → (a surface form, identifier → count)
    let mut seen: BTreeMap<(EntityType, String), (String, BTreeMap<ConceptId, u32>)> =
        BTreeMap::new();
    // gene identifier → organism of a document it was annotated in → count
    let mut organisms: BTreeMap<ConceptId, BTreeMap<u32, u32>> = BTreeMap::new();
    // How often each identifier was written each way: a concept that only annotators know is
    // named by its most frequent wording.
    let mut wordings: BTreeMap<ConceptId, BTreeMap<String, u32>> = BTreeMap::new();
    let mut held_out = std::collections::HashSet::new();
    for split in EVALUATION_SPLITS {
        held_out.extend(read_split(dir, split)?.into_iter().map(|d| d.id));
    }
    for split in TRAINING_SPLITS {
        for doc in read_split(dir, split)?
            .iter()
            .filter(|d| !held_out.contains(&d.id))
        {
            let organism = document_organism(doc);
            for mention in &doc.mentions {
                let Some(entity_type) = map_corpus_type(&mention.type_name) else {
                    continue;
                };
                let Some(text) = doc.text.get(mention.start..mention.end) else {
                    continue;
                };
                // One identifier only: composite mentions name several concepts.
                let [id] = &mention.ids[..] else {
                    continue;
                };
                if id.contains('+') {
                    continue;
                }
                let Some(id) = ConceptId::from_corpus(id, entity_type) else {
                    continue;
                };
                let key = crate::key::key(text);
                if key.is_empty() {
                    continue;
                }
                if let (EntityType::Gene, Some(organism)) = (entity_type, organism) {
                    *organisms
                        .entry(id.clone())
                        .or_default()
                        .entry(organism)
                        .or_default() += 1;
                }
                *wordings
                    .entry(id.clone())
                    .or_default()
                    .entry(text.to_string())
                    .or_default() += 1;
                let entry = seen
                    .entry((entity_type, key))
                    .or_insert_with(|| (text.to_string(), BTreeMap::new()));
                *entry.1.entry(id).or_default() += 1;
            }
        }
    }
    for ((entity_type, _), (text, ids)) in seen {
        // The identifier chosen most often (the smallest on a tie, for determinism).
        let Some((id, _)) = ids.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else {
            continue;
        };
        let concept = match builder.find(id).or_else(|| builder.find_by_xref(id)) {
            Some(concept) if builder.entity_type(concept) == entity_type => concept,
            Some(_) => continue,
            None => {
                let name = wordings
                    .get(id)
                    .and_then(|counts| {
                        counts
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                            .map(|(wording, _)| wording.as_str())
                    })
                    .unwrap_or(&text);
                // Shown, not a key of its own: its keys are the wordings whose annotators chose
                // this identifier most often.
                let concept = builder.concept_unindexed(id.clone(), entity_type, name);
                builder.annotation_only(concept);
                if let Some(organism) = organisms.get(id).and_then(most_frequent) {
                    builder.species(concept, organism);
                }
                concept
            }
        };
        builder.name(concept, &text, NameKind::Annotated);
        builder.annotated_mention(entity_type, &text);
    }
    Ok(())
}

/// The taxon that a document's species mentions name most often (the smallest on a tie).
fn document_organism(doc: &Document) -> Option<u32> {
    let mut counts: BTreeMap<u32, u32> = BTreeMap::new();
    for mention in &doc.mentions {
        if map_corpus_type(&mention.type_name) != Some(EntityType::Species) {
            continue;
        }
        for id in &mention.ids {
            let taxon = ConceptId::from_corpus(id, EntityType::Species)
                .and_then(|id| id.local.parse::<u32>().ok());
            if let Some(taxon) = taxon {
                *counts.entry(taxon).or_default() += 1;
            }
        }
    }
    most_frequent(&counts)
}

/// The key with the highest count (the smallest key on a tie).
fn most_frequent(counts: &BTreeMap<u32, u32>) -> Option<u32> {
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(key, _)| *key)
}
