//! Building a lexicon: concepts and their names in, one deterministic file out.

use std::collections::HashMap;

use bioscope_core::EntityType;

use crate::concept::{Concept, ConceptId, NameKind};
use crate::key;
use crate::lexicon::{ConceptRef, Posting};
use crate::store::{self, Sections};

/// How many synonyms a concept record keeps for display, and how long each may be.
const SHOWN_SYNONYMS: usize = 2;
const SHOWN_SYNONYM_MAX_LEN: usize = 40;
/// Names longer than this are mostly systematic chemical names: rarely typed as they stand.
const MAX_NAME_LEN: usize = 120;

/// The rank of a name kind's code: Annotated (3) first, then Preferred, Synonym, Weak.
fn kind_rank(code: u32) -> u32 {
    (code + 1) % 4
}

/// The inverse of [`kind_rank`].
fn kind_code(rank: u32) -> u32 {
    (rank + 3) % 4
}

/// Counts that a build reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BuildStats {
    pub concepts: u32,
    /// Concepts stored in their index entries alone (a single name, nothing else).
    pub packed_concepts: u32,
    pub names: u64,
    pub keys: u64,
    pub ambiguous_keys: u64,
    pub bytes: u64,
    /// Bytes of the name index (fst) and of the concept records.
    pub index_bytes: u64,
    pub record_bytes: u64,
    /// Concepts and (key, concept) pairs per entity type.
    pub per_type: std::collections::BTreeMap<String, (u32, u64)>,
}

/// Collects concepts and names from sources; `finish` writes the lexicon bytes.
#[derive(Default)]
pub struct LexiconBuilder {
    concepts: Vec<Concept>,
    index: HashMap<ConceptId, u32>,
    by_xref: HashMap<ConceptId, u32>,
    /// (key, concept index << 2 | name kind).
    names: Vec<(String, u32)>,
    /// Mention texts of annotated training splits, for similarity search.
    annotated: std::collections::BTreeSet<(EntityType, String)>,
    /// Concepts that only annotated mentions created (no vocabulary has them).
    annotation_only: std::collections::HashSet<u32>,
    /// Concepts whose preferred name is shown but is not a key.
    unindexed: std::collections::HashSet<u32>,
    /// The types whose names are also kept as written ([`LexiconBuilder::keep_texts`]), and
    /// those names: (concept, text).
    kept_types: Vec<EntityType>,
    kept_texts: Vec<(u32, String)>,
}

impl LexiconBuilder {
    pub fn new() -> LexiconBuilder {
        LexiconBuilder::default()
    }

    /// The index of the concept `id`, creating it (with `name` as its preferred name) when it
    /// is new. An existing concept keeps its type and name.
    pub fn concept(&mut self, id: ConceptId, entity_type: EntityType, name: &str) -> u32 {
        let (index, new) = self.concept_unnamed(id, entity_type, name);
        if new {
            self.name(index, name, NameKind::Preferred);
        }
        index
    }

    /// Like [`concept`](Self::concept), but a new concept's preferred name is only shown, not
    /// a key (a long systematic name nobody types): the concept is found by its other names,
    /// and a concept left without any is not written.
    pub fn concept_unindexed(&mut self, id: ConceptId, entity_type: EntityType, name: &str) -> u32 {
        let (index, new) = self.concept_unnamed(id, entity_type, name);
        if new {
            self.unindexed.insert(index);
        }
        index
    }

    /// The concept `id` and whether it was created now.
    fn concept_unnamed(
        &mut self,
        id: ConceptId,
        entity_type: EntityType,
        name: &str,
    ) -> (u32, bool) {
        if let Some(&index) = self.index.get(&id) {
            return (index, false);
        }
        let index = self.concepts.len() as u32;
        self.concepts.push(Concept {
            id: id.clone(),
            entity_type,
            name: name.trim().to_string(),
            synonyms: Vec::new(),
            synonym_count: 0,
            xrefs: Vec::new(),
            broader: None,
            species: None,
        });
        self.index.insert(id, index);
        (index, true)
    }

    /// The index of an existing concept.
    pub fn find(&self, id: &ConceptId) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The first concept that lists `id` as a cross-reference.
    pub fn find_by_xref(&self, id: &ConceptId) -> Option<u32> {
        self.by_xref.get(id).copied()
    }

    /// Makes `name` the preferred name of `concept` (it stays one of its names).
    pub fn rename(&mut self, concept: u32, name: &str) {
        let record = &mut self.concepts[concept as usize];
        let old = std::mem::replace(&mut record.name, name.trim().to_string());
        let new_key = key::key(&record.name);
        record.synonyms.retain(|s| key::key(s) != new_key);
        if record.synonyms.len() < SHOWN_SYNONYMS && key::key(&old) != new_key {
            record.synonyms.insert(0, old);
        }
        self.name(concept, name, NameKind::Preferred);
    }

    pub fn preferred_name(&self, concept: u32) -> &str {
        &self.concepts[concept as usize].name
    }

    pub fn entity_type(&self, concept: u32) -> EntityType {
        self.concepts[concept as usize].entity_type
    }

    /// From now on, also keeps the names of concepts of `types` as written (keys fold case,
    /// spaces and punctuation away), for readers that need the words themselves: the trained
    /// name ranker's synonym pairs and its index ([`LexiconBuilder::kept_names`]).
    pub fn keep_texts(&mut self, types: &[EntityType]) {
        self.kept_types = types.to_vec();
    }

    /// The names kept since [`keep_texts`](Self::keep_texts), each once per concept and key:
    /// (concept id, type, preferred name, name), in the order they were given.
    pub fn kept_names(&self) -> Vec<(&ConceptId, EntityType, &str, &str)> {
        let mut seen = std::collections::HashSet::new();
        self.kept_texts
            .iter()
            .filter(|(concept, text)| seen.insert((*concept, key::key(text))))
            .map(|(concept, text)| {
                let record = &self.concepts[*concept as usize];
                (
                    &record.id,
                    record.entity_type,
                    record.name.as_str(),
                    text.as_str(),
                )
            })
            .collect()
    }

    /// Adds a name of `concept`. Names without letters or digits, or absurdly long, are skipped.
    pub fn name(&mut self, concept: u32, text: &str, kind: NameKind) {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_NAME_LEN {
            return;
        }
        let key = key::key(text);
        if key.is_empty() {
            return;
        }
        if self
            .kept_types
            .contains(&self.concepts[concept as usize].entity_type)
        {
            self.kept_texts.push((concept, text.to_string()));
        }
        let record = &mut self.concepts[concept as usize];
        if kind != NameKind::Preferred
            && record.synonyms.len() < SHOWN_SYNONYMS
            && text.len() <= SHOWN_SYNONYM_MAX_LEN
            && key != key::key(&record.name)
            && !record.synonyms.iter().any(|s| key::key(s) == key)
        {
            record.synonyms.push(text.to_string());
        }
        self.names.push((key, (concept << 2) | kind as u32));
    }

    /// Records that `concept` is also known as `id` in another database.
    pub fn xref(&mut self, concept: u32, id: ConceptId) {
        let record = &mut self.concepts[concept as usize];
        if record.id != id && !record.xrefs.contains(&id) {
            record.xrefs.push(id.clone());
            self.by_xref.entry(id).or_insert(concept);
        }
    }

    /// The MeSH identifier of `concept`: its own or a cross-reference.
    pub fn mesh_id(&self, concept: u32) -> Option<ConceptId> {
        self.concepts[concept as usize]
            .id_in(crate::concept::Namespace::Mesh)
            .cloned()
    }

    /// Records the broader MeSH heading of a concept that has none of its own.
    pub fn broader(&mut self, concept: u32, heading: ConceptId) {
        self.concepts[concept as usize].broader = Some(heading);
    }

    /// The organism of a gene concept (NCBI Taxonomy id).
    pub fn species(&mut self, concept: u32, taxon: u32) {
        self.concepts[concept as usize].species = Some(taxon);
    }

    /// Records that `concept` exists only because annotators normalized mentions to it: none
    /// of its names is a vocabulary's ([`Posting::from_vocabulary`]).
    pub fn annotation_only(&mut self, concept: u32) {
        self.annotation_only.insert(concept);
    }

    /// Records a mention text that annotators of a training split normalized (it is also a
    /// name of its concept, given with [`LexiconBuilder::name`]), so that readers can find
    /// the annotated mention most similar to a mention that matches no name.
    pub fn annotated_mention(&mut self, entity_type: EntityType, text: &str) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            self.annotated.insert((entity_type, text));
        }
    }

    /// Sorts, deduplicates and encodes everything into the lexicon file's bytes.
    pub fn finish(mut self) -> (Vec<u8>, BuildStats) {
        let mut stats = BuildStats {
            names: self.names.len() as u64,
            ..BuildStats::default()
        };
        // Sort by key, then concept, then name kind in rank order (the kind is the low bits):
        // the first entry of each (key, concept) pair carries its best kind.
        for (_, raw) in self.names.iter_mut() {
            *raw = (*raw & !3) | kind_rank(*raw & 3);
        }
        self.names.sort_unstable();
        // One entry per (key, concept), and whether a vocabulary gives that name.
        let mut names: Vec<(String, u32)> = Vec::with_capacity(self.names.len());
        let mut vocabulary: Vec<bool> = Vec::with_capacity(self.names.len());
        for (key, raw) in std::mem::take(&mut self.names) {
            let raw = (raw & !3) | kind_code(raw & 3);
            let concept = raw >> 2;
            let given =
                raw & 3 != NameKind::Annotated as u32 && !self.annotation_only.contains(&concept);
            match names.last() {
                Some((k, r)) if *k == key && r >> 2 == concept => {
                    *vocabulary.last_mut().expect("one flag per name") |= given;
                }
                _ => {
                    names.push((key, raw));
                    vocabulary.push(given);
                }
            }
        }
        self.names = names;
        let mut distinct_keys = vec![0u32; self.concepts.len()];
        for (_, raw) in &self.names {
            distinct_keys[(raw >> 2) as usize] += 1;
        }
        for (concept, keys) in self.concepts.iter().zip(&distinct_keys) {
            if *keys == 0 {
                continue;
            }
            stats.concepts += 1;
            let entry = stats
                .per_type
                .entry(concept.entity_type.name().to_string())
                .or_default();
            entry.0 += 1;
            entry.1 += u64::from(*keys);
        }
        for (index, (concept, keys)) in self.concepts.iter_mut().zip(&distinct_keys).enumerate() {
            let named = !self.unindexed.contains(&(index as u32));
            concept.synonym_count = keys.saturating_sub(u32::from(named));
            concept.xrefs.sort();
        }

        // Concepts with one name and nothing else are packed into their postings; the others
        // get records, numbered in build order (the order ranking falls back on); a concept
        // without a key is not written.
        let packed: Vec<Option<ConceptRef>> = self
            .concepts
            .iter()
            .enumerate()
            .map(|(index, concept)| {
                (concept.synonym_count == 0
                    && !self.unindexed.contains(&(index as u32))
                    && concept.xrefs.is_empty()
                    && concept.broader.is_none()
                    && concept.species == concept.id.namespace.implied_species())
                .then(|| ConceptRef::thin(&concept.id, concept.entity_type))
                .flatten()
            })
            .collect();
        let record_order: Vec<usize> = (0..self.concepts.len())
            .filter(|c| packed[*c].is_none() && distinct_keys[*c] > 0)
            .collect();
        let mut refs = packed;
        for (index, concept) in record_order.iter().enumerate() {
            refs[*concept] = Some(ConceptRef::record(index as u32));
        }
        stats.packed_concepts = stats.concepts - record_order.len() as u32;

        let mut map = fst::MapBuilder::memory();
        let mut postings: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < self.names.len() {
            let mut j = i + 1;
            while j < self.names.len() && self.names[j].0 == self.names[i].0 {
                j += 1;
            }
            let mut group: Vec<Posting> = self.names[i..j]
                .iter()
                .zip(&vocabulary[i..j])
                .map(|((_, raw), &given)| {
                    let kind = NameKind::from_code(raw & 3);
                    Posting {
                        concept: refs[(raw >> 2) as usize].expect("a named concept is written"),
                        kind,
                        vocabulary: kind == NameKind::Annotated && given,
                    }
                })
                .collect();
            // Best name kind first, then concept order.
            group.sort_by_key(|p| (kind_rank(p.kind as u32), p.concept));
            let value = if let [only] = group[..] {
                only.encode() << 1
            } else {
                stats.ambiguous_keys += 1;
                let codes: Vec<u64> = group.iter().map(|p| p.encode()).collect();
                let offset = store::put_postings(&mut postings, &codes) as u64;
                (offset << 1) | 1
            };
            map.insert(&self.names[i].0, value)
                .expect("keys are sorted and distinct");
            stats.keys += 1;
            i = j;
        }
        let fst = map.into_inner().expect("in-memory fst");

        let records =
            store::EncodedRecords::encode(record_order.iter().map(|c| &self.concepts[*c]));
        stats.index_bytes = fst.len() as u64;
        stats.record_bytes = records.bytes.len() as u64;
        let mut annotated = Vec::new();
        for (entity_type, text) in &self.annotated {
            annotated.extend_from_slice(entity_type.name().as_bytes());
            annotated.push(b'\t');
            annotated.extend_from_slice(text.as_bytes());
            annotated.push(b'\n');
        }
        let bytes = store::encode(&Sections {
            fst,
            postings,
            records,
            annotated,
        });
        stats.bytes = bytes.len() as u64;
        (bytes, stats)
    }
}
