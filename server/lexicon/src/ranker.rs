//! The trained name ranker: a bi-encoder (in the spirit of SapBERT) that maps a mention and
//! every name of a concept to unit vectors whose dot product says how likely the mention names
//! the concept, for the mentions that exact and variant matching leave unresolved.
//!
//! A ranker folder (`ranker/` inside a lexicon folder) holds the encoder as an ONNX graph with
//! its tokenizer and [`RankerManifest`] (what `bioscope-train ranker` wrote), and
//! `names.vectors`, the lexicon's names of the ranker's types encoded by that graph
//! ([`write_index`], which `bioscope lexicon build` runs): one int8 row per name, with the concept it names, grouped by
//! type. The file records the SHA-256 of the lexicon and of the graph it was made from, and is
//! refused when either differs. Running the graph needs ONNX Runtime, which this crate does not
//! know: the front ends give a [`NameEncoder`] (`bioscope-tagger`'s) and attach the [`Ranker`] to
//! the [`Lexicon`] ([`Lexicon::attach_ranker`]), where [`crate::Normalizer`] finds it.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use bioscope_core::EntityType;

use crate::lexicon::{ConceptRef, Lexicon, NameRanker};
use crate::store::{write_atomically, Backing, HASH_LEN};
use crate::LexiconError;

/// The ranker's manifest file inside its folder.
pub const RANKER_MANIFEST: &str = "ranker.json";
/// The encoder graph inside a ranker folder.
pub const RANKER_MODEL: &str = "model.onnx";
/// The encoder's tokenizer inside a ranker folder.
pub const RANKER_TOKENIZER: &str = "tokenizer.json";
/// The encoded names inside a ranker folder.
pub const RANKER_VECTORS: &str = "names.vectors";
/// The ranker folder's name inside a lexicon folder.
pub const RANKER_DIR: &str = "ranker";

const MAGIC: &[u8; 8] = b"BSRANKV1";
/// int8 rows hold a unit vector times this.
const ROW_SCALE: f32 = 127.0;

/// How a ranker was made and what its graph expects (`ranker.json`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RankerManifest {
    /// Entity types whose names it was trained on and encodes.
    pub types: Vec<EntityType>,
    /// Length of the unit vectors the graph outputs (`embedding`, `[batch, dimension]`).
    pub dimension: usize,
    /// Word pieces per name, special tokens included; longer names are cut.
    pub max_len: usize,
    /// The pretrained encoder it started from.
    pub pretrained: String,
    /// SHA-256 of `model.onnx` and `tokenizer.json`.
    pub model_sha256: String,
    pub tokenizer_sha256: String,
    /// What training did: pairs, steps, settings, wall time, final loss.
    pub training: serde_json::Value,
}

impl RankerManifest {
    /// Reads and checks the manifest of the ranker folder `dir` against its files.
    pub fn read(dir: &Path) -> Result<RankerManifest, LexiconError> {
        let path = dir.join(RANKER_MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|source| LexiconError::Io {
            path: path.clone(),
            source,
        })?;
        let manifest: RankerManifest =
            serde_json::from_str(&text).map_err(|e| LexiconError::Corrupt {
                path: path.clone(),
                why: e.to_string(),
            })?;
        if manifest.dimension == 0 || manifest.max_len < 3 {
            return Err(LexiconError::Corrupt {
                path,
                why: "dimension and max_len must be positive".into(),
            });
        }
        Ok(manifest)
    }

    /// Writes the manifest into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), LexiconError> {
        let path = dir.join(RANKER_MANIFEST);
        let json = serde_json::to_string_pretty(self).expect("manifest serializes") + "\n";
        write_atomically(&path, json.as_bytes()).map_err(|source| LexiconError::Io { path, source })
    }
}

/// Turns texts into the ranker's unit vectors (an ONNX Runtime session in the front ends).
pub trait NameEncoder: Send + Sync {
    /// One unit vector of the manifest's dimension per text, in order.
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
}

/// The rows of `names.vectors`, checked and memory-mapped.
pub struct NameVectors {
    backing: Backing,
    dimension: usize,
    /// (type, first row, end row), rows of one type together.
    spans: Vec<(EntityType, usize, usize)>,
    /// Byte offsets of the concept references and of the int8 rows.
    refs_at: usize,
    rows_at: usize,
    rows: usize,
}

/// The header fields of `names.vectors` that tie it to its lexicon and graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorsOrigin {
    pub lexicon_sha256: String,
    pub model_sha256: String,
}

impl NameVectors {
    /// Encodes `names` ((concept, type, text), grouped by type in any order) into the bytes of
    /// `names.vectors`.
    pub fn encode_file(
        dimension: usize,
        origin: &VectorsOrigin,
        names: &[(ConceptRef, EntityType, Vec<f32>)],
    ) -> Vec<u8> {
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by_key(|&i| (names[i].1.ordinal(), i));
        let mut spans: Vec<(EntityType, usize, usize)> = Vec::new();
        for (row, &i) in order.iter().enumerate() {
            match spans.last_mut() {
                Some((t, _, end)) if *t == names[i].1 => *end = row + 1,
                _ => spans.push((names[i].1, row, row + 1)),
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        for field in [&origin.lexicon_sha256, &origin.model_sha256] {
            let mut fixed = [0u8; 64];
            let bytes = field.as_bytes();
            fixed[..bytes.len().min(64)].copy_from_slice(&bytes[..bytes.len().min(64)]);
            out.extend_from_slice(&fixed);
        }
        out.extend_from_slice(&(dimension as u32).to_le_bytes());
        out.extend_from_slice(&(names.len() as u32).to_le_bytes());
        out.extend_from_slice(&(spans.len() as u32).to_le_bytes());
        for (t, start, end) in &spans {
            out.push(t.ordinal() as u8);
            out.extend_from_slice(&(*start as u32).to_le_bytes());
            out.extend_from_slice(&(*end as u32).to_le_bytes());
        }
        for &i in &order {
            out.extend_from_slice(&names[i].0.raw().to_le_bytes());
        }
        for &i in &order {
            let v = &names[i].2;
            debug_assert_eq!(v.len(), dimension);
            out.extend(
                v.iter()
                    .map(|x| (x * ROW_SCALE).round().clamp(-127.0, 127.0) as i8 as u8),
            );
        }
        let digest = bioscope_core::hash::sha256_bytes(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Writes [`encode_file`](Self::encode_file)'s bytes to `path` (atomically).
    pub fn write(path: &Path, bytes: &[u8]) -> Result<(), LexiconError> {
        write_atomically(path, bytes).map_err(|source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Opens and checks `names.vectors` (magic, checksum, bounds).
    pub fn open(path: &Path) -> Result<NameVectors, LexiconError> {
        let io = |source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let backing = Backing::map(&file).map_err(io)?;
        Self::from_backing(path, backing)
    }

    fn from_backing(path: &Path, backing: Backing) -> Result<NameVectors, LexiconError> {
        let corrupt = |why: &str| LexiconError::Corrupt {
            path: path.to_path_buf(),
            why: why.to_string(),
        };
        let len = backing.len();
        if len < MAGIC.len() + 128 + 12 + HASH_LEN || &backing[..MAGIC.len()] != MAGIC {
            return Err(corrupt("not a BioScope name-vectors file"));
        }
        let body = len - HASH_LEN;
        if backing.body_sha256(body)[..] != backing[body..] {
            return Err(corrupt("checksum mismatch: the file is damaged"));
        }
        let u32_at = |at: usize| -> usize {
            u32::from_le_bytes(backing[at..at + 4].try_into().expect("4 bytes")) as usize
        };
        let mut at = MAGIC.len() + 128;
        let dimension = u32_at(at);
        let rows = u32_at(at + 4);
        let span_count = u32_at(at + 8);
        at += 12;
        let mut spans = Vec::with_capacity(span_count);
        for _ in 0..span_count {
            if at + 9 > body {
                return Err(corrupt("truncated type table"));
            }
            let entity_type = EntityType::BUILT_IN
                .get(usize::from(backing[at]))
                .copied()
                .ok_or_else(|| corrupt("unknown entity type"))?;
            let (start, end) = (u32_at(at + 1), u32_at(at + 5));
            if start > end || end > rows {
                return Err(corrupt("type span out of range"));
            }
            spans.push((entity_type, start, end));
            at += 9;
        }
        let refs_at = at;
        let rows_at = refs_at + rows * 8;
        if dimension == 0 || rows_at + rows * dimension != body {
            return Err(corrupt("sizes do not add up"));
        }
        Ok(NameVectors {
            backing,
            dimension,
            spans,
            refs_at,
            rows_at,
            rows,
        })
    }

    /// The lexicon and graph this file was made from.
    pub fn origin(&self) -> VectorsOrigin {
        let field = |at: usize| {
            String::from_utf8_lossy(&self.backing[at..at + 64])
                .trim_end_matches('\0')
                .to_string()
        };
        VectorsOrigin {
            lexicon_sha256: field(MAGIC.len()),
            model_sha256: field(MAGIC.len() + 64),
        }
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Number of encoded names.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Rows per type.
    pub fn per_type(&self) -> Vec<(EntityType, usize)> {
        self.spans.iter().map(|(t, s, e)| (*t, e - s)).collect()
    }

    fn concept_at(&self, row: usize) -> ConceptRef {
        let at = self.refs_at + row * 8;
        ConceptRef::from_raw(u64::from_le_bytes(
            self.backing[at..at + 8].try_into().expect("8 bytes"),
        ))
    }

    /// The `limit` concepts of `entity_type` whose best name is nearest to the unit vector
    /// `query`, with that name's cosine similarity, most similar first.
    pub fn nearest(
        &self,
        query: &[f32],
        entity_type: EntityType,
        limit: usize,
    ) -> Vec<(ConceptRef, f32)> {
        let Some(&(_, start, end)) = self.spans.iter().find(|(t, ..)| *t == entity_type) else {
            return Vec::new();
        };
        if query.len() != self.dimension || limit == 0 {
            return Vec::new();
        }
        let q: Vec<i16> = query
            .iter()
            .map(|x| (x * ROW_SCALE).round().clamp(-127.0, 127.0) as i16)
            .collect();
        let dim = self.dimension;
        let rows = &self.backing[self.rows_at + start * dim..self.rows_at + end * dim];
        // The best rows, kept sorted (a few more than `limit`: one concept has several names).
        let keep = limit * 4;
        let mut best: Vec<(i32, usize)> = Vec::with_capacity(keep + 1);
        let mut dots = Vec::with_capacity(end - start);
        dot_products(rows, &q, &mut dots);
        for (i, dot) in dots.into_iter().enumerate() {
            if best.len() == keep && dot <= best[keep - 1].0 {
                continue;
            }
            let at = best.partition_point(|(d, _)| *d >= dot);
            best.insert(at, (dot, start + i));
            best.truncate(keep);
        }
        let mut found: Vec<(ConceptRef, f32)> = Vec::new();
        for (dot, row) in best {
            let concept = self.concept_at(row);
            if found.iter().any(|(c, _)| *c == concept) {
                continue;
            }
            // Rounding both vectors can take a dot product a little past 1.
            found.push((concept, (dot as f32 / (ROW_SCALE * ROW_SCALE)).min(1.0)));
            if found.len() == limit {
                break;
            }
        }
        found
    }
}

/// The dot product of `query` with each int8 row of `rows` (`query.len()` bytes a row), appended
/// to `out`. Compiled twice, and the AVX2 version runs where the CPU has it: the scan over every
/// name of a type is most of a ranker call after the encoder.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn dot_products(rows: &[u8], query: &[i16], out: &mut Vec<i32>) {
    // Both sides fit 16 bits, so the products vectorize as pairwise 16-bit multiply-adds.
    out.extend(rows.chunks_exact(query.len()).map(|row| {
        row.iter()
            .zip(query)
            .map(|(&r, &q)| i32::from(i16::from(r as i8)) * i32::from(q))
            .sum::<i32>()
    }));
}

/// Names encoded per call of the encoder while an index is written.
const INDEX_BATCH: usize = 64;

/// Encodes `names` (of the types in the ranker folder `dir`'s manifest; the others are
/// skipped) with `encoder` and writes `dir/names.vectors` for `lexicon`. A name whose key
/// does not lead to its concept in `lexicon` is left out. `progress(done, total)` follows
/// the encoding. Returns the rows written.
pub fn write_index(
    dir: &Path,
    lexicon: &Lexicon,
    names: &[crate::KeptName],
    encoder: &dyn NameEncoder,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, LexiconError> {
    let manifest = RankerManifest::read(dir)?;
    let mut rows: Vec<(ConceptRef, EntityType, &str)> = Vec::new();
    for (id, entity_type, text) in names {
        if !manifest.types.contains(entity_type) {
            continue;
        }
        let concept = lexicon
            .postings(&crate::key::key(text))
            .into_iter()
            .map(|p| p.concept)
            .find(|c| lexicon.concept(*c).is_some_and(|record| record.id == *id));
        if let Some(concept) = concept {
            rows.push((concept, *entity_type, text));
        }
    }
    // Names of similar length together: less padding per batch (a stable sort, so the file
    // stays the same for the same lexicon and graph).
    rows.sort_by_key(|(_, _, text)| text.len());
    let mut encoded = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(INDEX_BATCH) {
        let texts: Vec<&str> = chunk.iter().map(|(_, _, t)| *t).collect();
        let vectors = encoder.encode(&texts).map_err(LexiconError::Encoder)?;
        if vectors.len() != chunk.len() || vectors.iter().any(|v| v.len() != manifest.dimension) {
            return Err(LexiconError::Encoder(format!(
                "expected {} vectors of {} numbers",
                chunk.len(),
                manifest.dimension
            )));
        }
        for ((concept, entity_type, _), vector) in chunk.iter().zip(vectors) {
            encoded.push((*concept, *entity_type, vector));
        }
        progress(encoded.len(), rows.len());
    }
    let origin = VectorsOrigin {
        lexicon_sha256: lexicon.sha256().to_string(),
        model_sha256: manifest.model_sha256.clone(),
    };
    let bytes = NameVectors::encode_file(manifest.dimension, &origin, &encoded);
    NameVectors::write(&dir.join(RANKER_VECTORS), &bytes)?;
    Ok(encoded.len())
}

/// Mentions whose nearest concepts a ranker remembers (an analysis asks again for the same
/// mentions after every edit); the memory is emptied when full.
const REMEMBERED: usize = 4096;

/// What a ranker remembers: (mention, type, limit) → its nearest concepts.
type Memory = HashMap<(String, EntityType, usize), Vec<(ConceptRef, f32)>>;

/// A loaded ranker: the encoder and the encoded names of one lexicon.
pub struct Ranker {
    encoder: Box<dyn NameEncoder>,
    vectors: NameVectors,
    manifest: RankerManifest,
    remembered: Mutex<Memory>,
}

impl Ranker {
    /// Opens the ranker folder `dir` for `lexicon` with `encoder` (which runs the folder's
    /// graph). Refuses vectors made from another lexicon or graph.
    pub fn open(
        dir: &Path,
        lexicon: &Lexicon,
        encoder: Box<dyn NameEncoder>,
    ) -> Result<Ranker, LexiconError> {
        let manifest = RankerManifest::read(dir)?;
        let path = dir.join(RANKER_VECTORS);
        let vectors = NameVectors::open(&path)?;
        let origin = vectors.origin();
        let stale = |what: &str| LexiconError::Corrupt {
            path: path.clone(),
            why: format!(
                "made for another {what}; rebuild the lexicon (`bioscope lexicon build`), \
                 which encodes its names again"
            ),
        };
        if origin.lexicon_sha256 != lexicon.sha256() {
            return Err(stale("lexicon"));
        }
        if origin.model_sha256 != manifest.model_sha256 {
            return Err(stale("ranker graph"));
        }
        if vectors.dimension() != manifest.dimension {
            return Err(stale("graph dimension"));
        }
        Ok(Ranker {
            encoder,
            vectors,
            manifest,
            remembered: Mutex::new(HashMap::new()),
        })
    }

    pub fn manifest(&self) -> &RankerManifest {
        &self.manifest
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.remembered.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn vectors(&self) -> &NameVectors {
        &self.vectors
    }
}

impl NameRanker for Ranker {
    fn covers(&self, entity_type: EntityType) -> bool {
        self.manifest.types.contains(&entity_type)
    }

    /// Empty when the type is not covered or the encoder fails.
    fn nearest(
        &self,
        mention: &str,
        entity_type: EntityType,
        limit: usize,
    ) -> Vec<(ConceptRef, f32)> {
        if !self.covers(entity_type) {
            return Vec::new();
        }
        let question = (mention.to_string(), entity_type, limit);
        if let Some(found) = self.remembered().get(&question) {
            return found.clone();
        }
        let found = match self.encoder.encode(&[mention]) {
            Ok(vectors) => vectors
                .first()
                .map(|v| self.vectors.nearest(v, entity_type, limit))
                .unwrap_or_default(),
            // Not remembered: the next call may succeed.
            Err(_) => return Vec::new(),
        };
        let mut memory = self.remembered();
        if memory.len() >= REMEMBERED {
            memory.clear();
        }
        memory.insert(question, found.clone());
        found
    }

    fn summary(&self) -> String {
        let per_type: Vec<String> = self
            .vectors
            .per_type()
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        format!(
            "{} dimensions, names encoded: {}",
            self.manifest.dimension,
            per_type.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn vectors_round_trip_and_find_the_nearest_concept_of_the_type() {
        let origin = VectorsOrigin {
            lexicon_sha256: "ab".repeat(32),
            model_sha256: "cd".repeat(32),
        };
        let names = vec![
            (
                ConceptRef::record(1),
                EntityType::Disease,
                unit(&[1.0, 0.0, 0.0]),
            ),
            (
                ConceptRef::record(2),
                EntityType::Chemical,
                unit(&[0.9, 0.1, 0.0]),
            ),
            (
                ConceptRef::record(3),
                EntityType::Disease,
                unit(&[0.0, 1.0, 0.0]),
            ),
            (
                ConceptRef::record(1),
                EntityType::Disease,
                unit(&[0.7, 0.7, 0.0]),
            ),
        ];
        let bytes = NameVectors::encode_file(3, &origin, &names);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RANKER_VECTORS);
        NameVectors::write(&path, &bytes).unwrap();
        let vectors = NameVectors::open(&path).unwrap();
        assert_eq!(vectors.origin(), origin);
        assert_eq!(vectors.len(), 4);
        let found = vectors.nearest(&unit(&[1.0, 0.05, 0.0]), EntityType::Disease, 5);
        // Concept 1 once (its best name), then concept 3; the chemical is not of the type.
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, ConceptRef::record(1));
        assert!(found[0].1 > 0.98, "{found:?}");
        assert_eq!(found[1].0, ConceptRef::record(3));
        assert!(vectors
            .nearest(&unit(&[1.0, 0.0, 0.0]), EntityType::Species, 5)
            .is_empty());
    }

    #[test]
    fn a_damaged_vectors_file_is_refused() {
        let origin = VectorsOrigin {
            lexicon_sha256: String::new(),
            model_sha256: String::new(),
        };
        let names = vec![(
            ConceptRef::record(1),
            EntityType::Disease,
            unit(&[1.0, 2.0]),
        )];
        let mut bytes = NameVectors::encode_file(2, &origin, &names);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RANKER_VECTORS);
        let last = bytes.len() - HASH_LEN - 1;
        bytes[last] ^= 1;
        NameVectors::write(&path, &bytes).unwrap();
        let error = NameVectors::open(&path).err().expect("refused").to_string();
        assert!(error.contains("checksum"), "{error}");
        NameVectors::write(&path, b"not vectors").unwrap();
        assert!(NameVectors::open(&path).is_err());
    }
}
