//! Reading a lexicon: exact and fuzzy lookups of name keys, and the concept table.

use std::fs::File;
use std::path::{Path, PathBuf};

use fst::{Automaton, IntoStreamer, Streamer};

use bioscope_core::EntityType;

use crate::concept::{packed, Concept, ConceptId, NameKind, Namespace};
use crate::nearest::MentionIndex;
use crate::store::{self, Backing, Section};
use crate::LexiconError;

/// A concept in a lexicon: a record in the concept table, or (for concepts with a single
/// name and nothing else to say) an identifier packed into the index entry itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConceptRef(u64);

const THIN: u64 = 1;

/// The (entity type, namespace) pairs whose concepts may be packed into an index entry; a
/// packed reference stores the pair's position here (4 bits) rather than the type and the
/// namespace, so that the index's values stay short.
const PACKED_KINDS: [(EntityType, Namespace); 10] = [
    (EntityType::Species, Namespace::NcbiTaxon),
    (EntityType::Chemical, Namespace::Mesh),
    (EntityType::Chemical, Namespace::Chebi),
    (EntityType::CellLine, Namespace::Cellosaurus),
    (EntityType::Gene, Namespace::NcbiGene),
    (EntityType::Gene, Namespace::Mgi),
    (EntityType::Gene, Namespace::Rgd),
    (EntityType::Disease, Namespace::Mesh),
    (EntityType::Species, Namespace::Mesh),
    (EntityType::Gene, Namespace::Mesh),
];

impl ConceptRef {
    pub(crate) fn record(index: u32) -> ConceptRef {
        ConceptRef(u64::from(index) << 1)
    }

    /// A concept packed into its reference; `None` when its identifier has no packed form or
    /// its kind is not one of [`PACKED_KINDS`].
    pub(crate) fn thin(id: &ConceptId, entity_type: EntityType) -> Option<ConceptRef> {
        let payload = packed::encode(id)?;
        let kind = PACKED_KINDS
            .iter()
            .position(|pair| *pair == (entity_type, id.namespace))? as u64;
        Some(ConceptRef(THIN | (kind << 1) | (payload << 5)))
    }

    /// The reference as a number (what `names.vectors` stores; see [`crate::ranker`]).
    pub fn raw(self) -> u64 {
        self.0
    }

    /// A reference read back from [`raw`](Self::raw).
    pub fn from_raw(raw: u64) -> ConceptRef {
        ConceptRef(raw)
    }

    /// A packed reference's type and namespace.
    fn packed_kind(self) -> Option<(EntityType, Namespace)> {
        PACKED_KINDS.get(((self.0 >> 1) & 15) as usize).copied()
    }

    /// The record index of a reference that is not packed.
    pub(crate) fn record_index(self) -> Option<u32> {
        (self.0 & THIN == 0)
            .then(|| u32::try_from(self.0 >> 1).ok())
            .flatten()
    }
}

/// One concept that a name key leads to, with how the name relates to it. Encoded in 62 bits:
/// the name kind (2 bits), then the concept (59 bits: a flag, and either the record index or
/// the packed identifier: its position in `PACKED_KINDS` 4 bits, payload 50 bits), then the
/// [`vocabulary`](Posting::vocabulary) flag of an annotated name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Posting {
    pub concept: ConceptRef,
    pub kind: NameKind,
    /// For an [`NameKind::Annotated`] name: a source vocabulary gives the concept this name
    /// too (annotators' wording that no vocabulary has is `false`). Lexicons built before
    /// 2026-12-07 say `false` throughout.
    pub vocabulary: bool,
}

const CONCEPT_BITS: u32 = 59;

impl Posting {
    pub(crate) fn encode(self) -> u64 {
        (u64::from(self.vocabulary) << (CONCEPT_BITS + 2))
            | (self.concept.0 << 2)
            | self.kind as u64
    }

    fn decode(raw: u64) -> Posting {
        Posting {
            concept: ConceptRef((raw >> 2) & ((1 << CONCEPT_BITS) - 1)),
            kind: NameKind::from_code((raw & 3) as u32),
            vocabulary: raw >> (CONCEPT_BITS + 2) & 1 == 1,
        }
    }

    /// Whether a source vocabulary gives this name (every kind but annotators' own wording):
    /// what lexicon-match features count, so that they do not know the training mentions.
    pub fn from_vocabulary(&self) -> bool {
        self.kind != NameKind::Annotated || self.vocabulary
    }
}

/// What the normalizer asks of a trained name ranker ([`crate::ranker::Ranker`] is one): the
/// concepts whose names are nearest to a mention.
pub trait NameRanker: Send + Sync {
    /// Whether it encodes names of `entity_type`.
    fn covers(&self, entity_type: EntityType) -> bool;
    /// The `limit` concepts of `entity_type` nearest to `mention`, with their cosine
    /// similarity, most similar first.
    fn nearest(
        &self,
        mention: &str,
        entity_type: EntityType,
        limit: usize,
    ) -> Vec<(ConceptRef, f32)>;
    /// One line for `bioscope lexicon info`: its dimension and names per type.
    fn summary(&self) -> String;
}

/// An opened lexicon (memory-mapped; cheap to share behind an `Arc`).
pub struct Lexicon {
    path: PathBuf,
    names: fst::Map<Section>,
    postings: Section,
    records: store::Records,
    annotated: Section,
    /// Built from `annotated` on first use.
    nearest: std::sync::OnceLock<MentionIndex>,
    /// The concepts of the annotated names, built from `annotated` on first use.
    annotators_concepts: std::sync::OnceLock<std::collections::HashSet<ConceptRef>>,
    bytes_on_disk: u64,
    fingerprint: String,
    /// The SHA-256 of the file's body (its last 32 bytes), in hex.
    sha256: String,
    /// The trained name ranker, when a front end attached one ([`crate::ranker`]).
    ranker: std::sync::OnceLock<Box<dyn NameRanker>>,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("path", &self.path)
            .field("names", &self.names.len())
            .field("records", &self.records.count())
            .finish()
    }
}

impl Lexicon {
    /// Memory-maps and checks the lexicon file at `path`.
    pub fn open(path: &Path) -> Result<Lexicon, LexiconError> {
        let io = |source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let backing = Backing::map(&file).map_err(io)?;
        Lexicon::from_backing(path, backing)
    }

    /// A lexicon held in memory (built just now, or read by a caller).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Lexicon, LexiconError> {
        Lexicon::from_backing(Path::new("<memory>"), Backing::Owned(bytes))
    }

    fn from_backing(path: &Path, backing: Backing) -> Result<Lexicon, LexiconError> {
        let bytes_on_disk = backing.len() as u64;
        let sha256: String = backing[backing.len().saturating_sub(32)..]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let fingerprint = sha256.chars().take(16).collect();
        let layout = store::layout(path, backing)?;
        let names = fst::Map::new(layout.fst).map_err(|e| LexiconError::Corrupt {
            path: path.to_path_buf(),
            why: format!("name index: {e}"),
        })?;
        Ok(Lexicon {
            path: path.to_path_buf(),
            names,
            postings: layout.postings,
            records: layout.records,
            annotated: layout.annotated,
            nearest: std::sync::OnceLock::new(),
            annotators_concepts: std::sync::OnceLock::new(),
            bytes_on_disk,
            fingerprint,
            sha256,
            ranker: std::sync::OnceLock::new(),
        })
    }

    /// The SHA-256 of the lexicon's content, in hex: the checksum its last 32 bytes hold (of
    /// everything before them; the manifest's `sha256` is of the whole file).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Gives the normalizer a trained name ranker for this lexicon; `false` when one is
    /// attached already (it stays).
    pub fn attach_ranker(&self, ranker: Box<dyn NameRanker>) -> bool {
        self.ranker.set(ranker).is_ok()
    }

    /// The attached name ranker, if any.
    pub fn ranker(&self) -> Option<&dyn NameRanker> {
        self.ranker.get().map(|r| r.as_ref())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of distinct name keys.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Number of concept records (concepts with one name and nothing else to say are packed
    /// into the index instead and not counted).
    pub fn concept_count(&self) -> u32 {
        self.records.count()
    }

    /// A short identity of the lexicon's content (the start of its checksum), for cache keys.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    pub fn bytes_on_disk(&self) -> u64 {
        self.bytes_on_disk
    }

    /// The postings of one exact key (see [`crate::key::key`]), best name kind first.
    pub fn postings(&self, key: &str) -> Vec<Posting> {
        match self.names.get(key) {
            Some(value) => self.decode_value(value),
            None => Vec::new(),
        }
    }

    /// The annotated training mention of `entity_type` most similar to `text` (see
    /// [`crate::nearest`]) and its similarity, if at least `min_similarity`. The index is built
    /// on the first call (tens of milliseconds).
    pub fn nearest_annotated(
        &self,
        text: &str,
        entity_type: EntityType,
        min_similarity: f32,
    ) -> Option<(String, f32)> {
        self.similarity_index()
            .nearest(text, entity_type, min_similarity)
            .map(|(found, score)| (found.to_string(), score))
    }

    /// Builds the similarity index of [`nearest_annotated`](Self::nearest_annotated) now, so
    /// that its first lookup does not wait for it (a server calls this on a thread of its own
    /// after opening the lexicon).
    pub fn prepare_similarity_index(&self) {
        self.similarity_index();
    }

    /// Whether annotators of a training split normalized a mention to `concept` (an annotated
    /// name leads to it): what the corpora's own conventions use. The set is built on the first
    /// call (a lookup per annotated mention text, a few milliseconds).
    pub fn annotators_named(&self, concept: ConceptRef) -> bool {
        self.annotators_concepts
            .get_or_init(|| {
                String::from_utf8_lossy(self.annotated.as_ref())
                    .lines()
                    .filter_map(|line| line.split_once('\t'))
                    .flat_map(|(_, mention)| self.postings(&crate::key::key(mention)))
                    .filter(|posting| posting.kind == NameKind::Annotated)
                    .map(|posting| posting.concept)
                    .collect()
            })
            .contains(&concept)
    }

    fn similarity_index(&self) -> &MentionIndex {
        self.nearest.get_or_init(|| {
            MentionIndex::from_lines(&String::from_utf8_lossy(self.annotated.as_ref()))
        })
    }

    /// Keys within `distance` edits of `key`, with their postings (at most `limit` keys).
    pub fn fuzzy(&self, key: &str, distance: u32, limit: usize) -> Vec<(String, Vec<Posting>)> {
        match fst::automaton::Levenshtein::new(key, distance) {
            Ok(automaton) => self.search(automaton, limit),
            Err(_) => Vec::new(),
        }
    }

    /// The keys `automaton` accepts, in key order, with their postings (at most `limit`).
    fn search<A: Automaton>(&self, automaton: A, limit: usize) -> Vec<(String, Vec<Posting>)> {
        let mut stream = self.names.search(automaton).into_stream();
        let mut found = Vec::new();
        while let Some((name, value)) = stream.next() {
            if found.len() >= limit {
                break;
            }
            if let Ok(name) = std::str::from_utf8(name) {
                found.push((name.to_string(), self.decode_value(value)));
            }
        }
        found
    }

    /// Every identifier the lexicon can answer with: each concept's own id, its
    /// cross-references and its broader heading. Walks the whole index (a few seconds on the
    /// shipped lexicon): for evaluation reports, not for interactive use.
    pub fn known_ids(&self) -> std::collections::HashSet<ConceptId> {
        let mut seen_refs = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        let mut stream = self.names.stream();
        while let Some((_, value)) = stream.next() {
            for posting in self.decode_value(value) {
                if !seen_refs.insert(posting.concept) {
                    continue;
                }
                if let Some(concept) = self.concept(posting.concept) {
                    ids.extend(concept.xrefs);
                    ids.extend(concept.broader);
                    ids.insert(concept.id);
                }
            }
        }
        ids
    }

    fn decode_value(&self, value: u64) -> Vec<Posting> {
        if value & 1 == 0 {
            return vec![Posting::decode(value >> 1)];
        }
        usize::try_from(value >> 1)
            .ok()
            .and_then(|offset| store::read_postings(self.postings.as_ref(), offset))
            .unwrap_or_default()
            .into_iter()
            .map(Posting::decode)
            .collect()
    }

    /// The entity type of `concept` (one byte of the record types); `None` when the reference
    /// does not resolve.
    pub fn entity_type(&self, concept: ConceptRef) -> Option<EntityType> {
        match concept.record_index() {
            Some(index) => self.records.entity_type(index),
            None => Some(concept.packed_kind()?.0),
        }
    }

    /// The concept behind `concept`; `None` when the reference does not resolve. A packed
    /// concept has an empty `name`: its only name is the one that was looked up.
    pub fn concept(&self, concept: ConceptRef) -> Option<Concept> {
        if let Some(index) = concept.record_index() {
            return self.records.concept(index);
        }
        let (entity_type, namespace) = concept.packed_kind()?;
        let id = packed::decode(namespace, concept.0 >> 5)?;
        Some(Concept {
            id,
            entity_type,
            name: String::new(),
            synonyms: Vec::new(),
            synonym_count: 0,
            xrefs: Vec::new(),
            broader: None,
            species: namespace.implied_species(),
        })
    }
}
