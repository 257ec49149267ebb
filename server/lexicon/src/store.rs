//! The lexicon file format (version 3), written by the builder and memory-mapped by readers.
//!
//! Layout, little-endian:
//! - header: magic `BIOSCOPE-LEXICON`, u32 version, u32 record count, then six u64 section
//!   lengths (fst, postings, record types, record blocks, records, annotated mentions);
//! - the sections, each padded to 8 bytes: an `fst::Map` from name key to a value (one posting,
//!   or a byte offset into the postings with the low bit set), the postings of keys that name
//!   several concepts (a varint count, then varint postings, see [`crate::lexicon::Posting`]),
//!   one entity-type byte per concept record (what
//!   lexicon-match features and ranking read, without opening a record), one u32 offset per
//!   block of [`RECORDS_PER_BLOCK`] records into the records section (and the section's end),
//!   the records, deflated block by block (a block is the u32 offsets of its records, then the
//!   varint-coded records), and the annotated mention texts of the training splits (UTF-8 lines
//!   `Type<TAB>text`, sorted; see [`crate::nearest`]);
//! - a trailing SHA-256 of everything before it, checked on open, so that a damaged file is
//!   reported instead of read.
//!
//! Version 3 deflates the records (26 MB → 10.6 MB on the shipped lexicon; a reader keeps the
//! most recently opened blocks, see [`Records`]), numbers them in the order of their first
//! key, codes postings as varints and packs a concept's type and namespace into 4 bits.

use std::fs::File;
use std::io::{Read, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bioscope_core::EntityType;

use crate::concept::{packed, Concept, ConceptId, Namespace};
use crate::LexiconError;

pub(crate) const MAGIC: &[u8; 16] = b"BIOSCOPE-LEXICON";
/// Version 2 added the annotated mentions section; version 3 deflates the records in blocks.
pub(crate) const VERSION: u32 = 3;
const SECTIONS: usize = 6;
const HEADER_LEN: usize = 16 + 4 + 4 + SECTIONS * 8;
pub(crate) const HASH_LEN: usize = 32;
/// Records per deflated block: larger blocks compress better, smaller ones open faster.
pub(crate) const RECORDS_PER_BLOCK: usize = 256;
/// Decompressed blocks a reader keeps (direct-mapped by block number).
const CACHED_BLOCKS: usize = 512;

/// The sections of a lexicon file, ready to be written.
pub(crate) struct Sections {
    pub fst: Vec<u8>,
    /// Varint-coded, see [`put_postings`].
    pub postings: Vec<u8>,
    pub records: EncodedRecords,
    pub annotated: Vec<u8>,
}

/// Concept records as the file holds them: a type byte each, block offsets, deflated blocks.
#[derive(Default)]
pub(crate) struct EncodedRecords {
    pub types: Vec<u8>,
    pub blocks: Vec<u32>,
    pub bytes: Vec<u8>,
}

impl EncodedRecords {
    /// Encodes `concepts` (in record order) into deflated blocks.
    pub(crate) fn encode<'a>(concepts: impl IntoIterator<Item = &'a Concept>) -> EncodedRecords {
        let concepts: Vec<&Concept> = concepts.into_iter().collect();
        let mut encoded = EncodedRecords::default();
        for block in concepts.chunks(RECORDS_PER_BLOCK) {
            encoded.blocks.push(encoded.bytes.len() as u32);
            let mut plain = Vec::new();
            for concept in block {
                encode_record(&mut plain, concept);
                encoded.types.push(entity_code(concept.entity_type));
            }
            let mut deflater =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            deflater.write_all(&plain).expect("writing to memory");
            let deflated = deflater.finish().expect("writing to memory");
            encoded.bytes.extend_from_slice(&deflated);
        }
        encoded.blocks.push(encoded.bytes.len() as u32);
        encoded
    }
}

fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

/// Serializes the sections into the file's bytes (deterministic: same sections, same bytes).
pub(crate) fn encode(sections: &Sections) -> Vec<u8> {
    let postings = &sections.postings;
    let records = &sections.records;
    let blocks: Vec<u8> = records
        .blocks
        .iter()
        .flat_map(|o| o.to_le_bytes())
        .collect();
    let parts: [&[u8]; SECTIONS] = [
        &sections.fst,
        postings,
        &records.types,
        &blocks,
        &records.bytes,
        &sections.annotated,
    ];
    let mut out = Vec::with_capacity(HEADER_LEN + parts.iter().map(|p| p.len() + 8).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(records.types.len() as u32).to_le_bytes());
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
    }
    pad8(&mut out);
    for part in parts {
        out.extend_from_slice(part);
        pad8(&mut out);
    }
    let digest = bioscope_core::hash::sha256_bytes(&out);
    out.extend_from_slice(&digest);
    out
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a reader that has
/// the old file mapped keeps a valid mapping and never sees a half-written one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("lexicon"),
        std::process::id()
    ));
    {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The bytes of an opened lexicon: a read-only memory map (with the SHA-256 of all but its
/// last 32 bytes, computed by reading the file rather than through the map, so that checking
/// it leaves the map's pages out of the process's resident memory), or an owned copy.
pub(crate) enum Backing {
    Mapped {
        map: memmap2::Mmap,
        body_sha256: [u8; 32],
    },
    Owned(Vec<u8>),
}

impl std::ops::Deref for Backing {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Backing::Mapped { map, .. } => map,
            Backing::Owned(bytes) => bytes,
        }
    }
}

impl Backing {
    /// Hashes `file` (all but the trailing hash) with ordinary reads, then maps it read-only.
    #[allow(unsafe_code)]
    pub(crate) fn map(mut file: &File) -> std::io::Result<Backing> {
        use std::io::Seek;
        let body = (file.metadata()?.len() as usize).saturating_sub(HASH_LEN);
        file.rewind()?;
        let mut hasher = bioscope_core::hash::Hasher::default();
        let mut buffer = vec![0u8; 1 << 20];
        let mut left = body;
        while left > 0 {
            let n = file.read(&mut buffer[..left.min(1 << 20)])?;
            if n == 0 {
                break; // shorter than it said: the hash check below fails
            }
            hasher.update(&buffer[..n]);
            left -= n;
        }
        let body_sha256 = hasher.finish_bytes();
        // SAFETY: the mapping is read-only and the bytes are checked (hash, bounds) before use.
        // The remaining hazard of any file mapping is another process truncating or rewriting
        // the file in place while it is mapped; BioScope never does that (the builder writes a
        // new file and renames it over the old one, which leaves existing mappings intact), and
        // lexicons live in the installed models/ folder, not in a user's workspace.
        // The same open file is hashed and mapped, so a lexicon renamed over this one in
        // between is not mixed in.
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(Backing::Mapped { map, body_sha256 })
    }

    /// The SHA-256 of the first `body` bytes.
    pub(crate) fn body_sha256(&self, body: usize) -> [u8; 32] {
        match self {
            Backing::Mapped { map, body_sha256 } if map.len() == body + HASH_LEN => *body_sha256,
            _ => bioscope_core::hash::sha256_bytes(&self[..body]),
        }
    }
}

/// A byte range of the shared backing, usable as an `fst::Map`'s storage.
#[derive(Clone)]
pub(crate) struct Section {
    backing: Arc<Backing>,
    range: Range<usize>,
}

impl AsRef<[u8]> for Section {
    fn as_ref(&self) -> &[u8] {
        &self.backing[self.range.clone()]
    }
}

/// The checked layout of a lexicon file.
pub(crate) struct Layout {
    pub fst: Section,
    pub postings: Section,
    pub records: Records,
    pub annotated: Section,
}

fn corrupt(path: &Path, why: impl Into<String>) -> LexiconError {
    LexiconError::Corrupt {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Checks the header, the section bounds and the trailing hash.
pub(crate) fn layout(path: &Path, backing: Backing) -> Result<Layout, LexiconError> {
    let bytes: &[u8] = &backing;
    if bytes.len() < HEADER_LEN + HASH_LEN || &bytes[..16] != MAGIC {
        return Err(corrupt(path, "not a BioScope lexicon (bad magic)"));
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let version = u32_at(16);
    if version != VERSION {
        return Err(LexiconError::Version {
            path: path.to_path_buf(),
            found: version,
            expected: VERSION,
        });
    }
    let body = bytes.len() - HASH_LEN;
    let digest = backing.body_sha256(body);
    if digest[..] != bytes[body..] {
        return Err(corrupt(
            path,
            "checksum mismatch (truncated or damaged file)",
        ));
    }
    let concept_count = u32_at(20);
    let mut ranges = Vec::with_capacity(SECTIONS);
    let mut at = HEADER_LEN.next_multiple_of(8);
    for i in 0..SECTIONS {
        let len =
            usize::try_from(u64_at(24 + 8 * i)).map_err(|_| corrupt(path, "section too large"))?;
        let end = at.checked_add(len).filter(|end| *end <= body);
        let end = end.ok_or_else(|| corrupt(path, "section runs past the end"))?;
        ranges.push(at..end);
        at = end.next_multiple_of(8);
    }
    let record_count = concept_count as usize;
    let block_count = record_count.div_ceil(RECORDS_PER_BLOCK);
    if ranges[2].len() != record_count || ranges[3].len() != (block_count + 1) * 4 {
        return Err(corrupt(
            path,
            "section sizes disagree with the record count",
        ));
    }
    let backing = Arc::new(backing);
    let section = |range: &Range<usize>| Section {
        backing: backing.clone(),
        range: range.clone(),
    };
    Ok(Layout {
        fst: section(&ranges[0]),
        postings: section(&ranges[1]),
        records: Records {
            count: concept_count,
            types: section(&ranges[2]),
            blocks: section(&ranges[3]),
            bytes: section(&ranges[4]),
            cache: Mutex::new(vec![None; CACHED_BLOCKS]),
        },
        annotated: section(&ranges[5]),
    })
}

/// An opened lexicon's concept records: type bytes read in place, blocks inflated on demand
/// and the most recent kept.
pub(crate) struct Records {
    count: u32,
    types: Section,
    blocks: Section,
    bytes: Section,
    cache: Mutex<Vec<CachedBlock>>,
}

impl Records {
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// The entity-type code of record `index`.
    fn type_code(&self, index: u32) -> Option<u8> {
        self.types.as_ref().get(index as usize).copied()
    }

    /// Record `index`, decoded; `None` when it is out of range or its block is damaged.
    pub(crate) fn concept(&self, index: u32) -> Option<Concept> {
        if index >= self.count {
            return None;
        }
        let block = self.block(index / RECORDS_PER_BLOCK as u32)?;
        let start = *block.starts.get(index as usize % RECORDS_PER_BLOCK)?;
        Reader {
            bytes: &block.bytes,
            at: start,
        }
        .record(self.entity_type(index)?)
    }

    /// The entity type of record `index` (its type byte; the record stays deflated).
    pub(crate) fn entity_type(&self, index: u32) -> Option<EntityType> {
        EntityType::BUILT_IN
            .get(usize::from(self.type_code(index)?))
            .copied()
    }

    /// Block `number`, inflated, with where its records start (from the cache when it was
    /// opened recently).
    fn block(&self, number: u32) -> Option<Arc<Block>> {
        let slot = number as usize % CACHED_BLOCKS;
        if let Some((cached, block)) = &self.cache.lock().ok()?[slot] {
            if *cached == number {
                return Some(block.clone());
            }
        }
        let start = read_u32(&self.blocks, number as usize)? as usize;
        let end = read_u32(&self.blocks, number as usize + 1)? as usize;
        let deflated = self.bytes.as_ref().get(start..end)?;
        let mut bytes = Vec::new();
        flate2::read::DeflateDecoder::new(deflated)
            .take(MAX_BLOCK_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        let first = number * RECORDS_PER_BLOCK as u32;
        let records = (self.count - first).min(RECORDS_PER_BLOCK as u32);
        let mut reader = Reader {
            bytes: &bytes,
            at: 0,
        };
        let mut starts = Vec::with_capacity(records as usize);
        for _ in 0..records {
            starts.push(reader.at);
            reader.skip_record()?;
        }
        let block = Arc::new(Block { bytes, starts });
        self.cache.lock().ok()?[slot] = Some((number, block.clone()));
        Some(block)
    }
}

/// A cache slot: a block's number and the block.
type CachedBlock = Option<(u32, Arc<Block>)>;

/// An inflated block of records.
struct Block {
    bytes: Vec<u8>,
    /// Where each record starts in `bytes`.
    starts: Vec<usize>,
}

/// No block inflates to more than this (a damaged block cannot exhaust memory).
const MAX_BLOCK_BYTES: u64 = 16 << 20;

pub(crate) fn read_u32(section: &Section, index: usize) -> Option<u32> {
    let bytes = section.as_ref().get(index * 4..index * 4 + 4)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// Appends one key's postings (raw [`crate::lexicon::Posting`] codes) and returns where they
/// start.
pub(crate) fn put_postings(out: &mut Vec<u8>, postings: &[u64]) -> usize {
    let start = out.len();
    put_varint(out, postings.len() as u64);
    for posting in postings {
        put_varint(out, *posting);
    }
    start
}

/// The postings that start at byte `offset`; `None` when the bytes do not form them.
pub(crate) fn read_postings(postings: &[u8], offset: usize) -> Option<Vec<u64>> {
    let mut reader = Reader {
        bytes: postings,
        at: offset,
    };
    let count = reader.varint()?.min(1 << 20);
    (0..count).map(|_| reader.varint()).collect()
}

// Records (the entity type is in the type section): species (varint, 0 = none), id, name, synonym count (varint),
// shown synonyms (varint count + strings), cross-references (varint count + ids), broader
// MeSH heading (u8 flag, then an id).
// An id is a namespace code (u8) and a string; a string is a varint length and UTF-8 bytes.

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// The namespace code with its high bit set when a packed numeric form follows instead of the
/// local id's text.
const PACKED_ID: u8 = 0x80;

fn put_id(out: &mut Vec<u8>, id: &ConceptId) {
    match packed::encode(id) {
        Some(payload) => {
            out.push(id.namespace.code() | PACKED_ID);
            put_varint(out, payload);
        }
        None => {
            out.push(id.namespace.code());
            put_str(out, &id.local);
        }
    }
}

pub(crate) fn encode_record(out: &mut Vec<u8>, concept: &Concept) {
    put_varint(out, concept.species.unwrap_or(0) as u64);
    put_id(out, &concept.id);
    put_str(out, &concept.name);
    put_varint(out, concept.synonym_count as u64);
    put_varint(out, concept.synonyms.len() as u64);
    for synonym in &concept.synonyms {
        put_str(out, synonym);
    }
    put_varint(out, concept.xrefs.len() as u64);
    for xref in &concept.xrefs {
        put_id(out, xref);
    }
    match &concept.broader {
        Some(broader) => {
            out.push(1);
            put_id(out, broader);
        }
        None => out.push(0),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn string(&mut self) -> Option<String> {
        let len = usize::try_from(self.varint()?).ok()?;
        let bytes = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        String::from_utf8(bytes.to_vec()).ok()
    }

    fn id(&mut self) -> Option<ConceptId> {
        let code = self.byte()?;
        let namespace = Namespace::from_code(code & !PACKED_ID)?;
        if code & PACKED_ID != 0 {
            return packed::decode(namespace, self.varint()?);
        }
        Some(ConceptId::new(namespace, self.string()?))
    }
}

impl Reader<'_> {
    /// Moves past the record that starts here without decoding it.
    fn skip_record(&mut self) -> Option<()> {
        self.varint()?; // species
        self.skip_id()?;
        self.skip_string()?; // name
        self.varint()?; // synonym count
        for _ in 0..self.varint()? {
            self.skip_string()?;
        }
        for _ in 0..self.varint()? {
            self.skip_id()?;
        }
        if self.byte()? != 0 {
            self.skip_id()?;
        }
        Some(())
    }

    fn skip_string(&mut self) -> Option<()> {
        let len = usize::try_from(self.varint()?).ok()?;
        self.at = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())?;
        Some(())
    }

    fn skip_id(&mut self) -> Option<()> {
        if self.byte()? & PACKED_ID != 0 {
            self.varint().map(|_| ())
        } else {
            self.skip_string()
        }
    }

    /// The record that starts here, of a concept of `entity_type`; `None` when the bytes do not
    /// form one.
    fn record(&mut self, entity_type: EntityType) -> Option<Concept> {
        let species = u32::try_from(self.varint()?).ok().filter(|s| *s != 0);
        let id = self.id()?;
        let name = self.string()?;
        let synonym_count = u32::try_from(self.varint()?).ok()?;
        let shown = self.varint()?.min(64);
        let synonyms = (0..shown)
            .map(|_| self.string())
            .collect::<Option<Vec<_>>>()?;
        let xref_count = self.varint()?.min(4096);
        let xrefs = (0..xref_count)
            .map(|_| self.id())
            .collect::<Option<Vec<_>>>()?;
        let broader = match self.byte()? {
            0 => None,
            _ => Some(self.id()?),
        };
        Some(Concept {
            id,
            entity_type,
            name,
            synonyms,
            synonym_count,
            xrefs,
            broader,
            species,
        })
    }
}

fn entity_code(entity_type: EntityType) -> u8 {
    entity_type.ordinal() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concept(i: usize) -> Concept {
        Concept {
            id: ConceptId::new(Namespace::Mondo, format!("{:07}", 5159 + i)),
            entity_type: if i.is_multiple_of(3) {
                EntityType::Disease
            } else {
                EntityType::Chemical
            },
            name: format!("prostate carcinoma {i}"),
            synonyms: vec!["carcinoma of prostate".into()],
            synonym_count: 4,
            xrefs: vec![
                ConceptId::new(Namespace::Umls, "C0600139"),
                ConceptId::new(Namespace::Mesh, format!("D{:06}", 11471 + i)),
            ],
            broader: i
                .is_multiple_of(2)
                .then(|| ConceptId::new(Namespace::Mesh, "D011471")),
            species: i.is_multiple_of(5).then_some(9606),
        }
    }

    #[test]
    fn records_round_trip_across_blocks() {
        let concepts: Vec<Concept> = (0..RECORDS_PER_BLOCK * 2 + 7).map(concept).collect();
        let records = EncodedRecords::encode(&concepts);
        assert_eq!(records.blocks.len(), 4, "three blocks and the end");
        let bytes = encode(&Sections {
            fst: fst::MapBuilder::memory().into_inner().unwrap(),
            postings: Vec::new(),
            records,
            annotated: Vec::new(),
        });
        let layout = layout(Path::new("test"), Backing::Owned(bytes)).unwrap();
        let records = layout.records;
        assert_eq!(records.count() as usize, concepts.len());
        // Out of order, twice: from the blocks, then from the cache.
        for _ in 0..2 {
            for i in (0..concepts.len()).rev() {
                assert_eq!(
                    records.concept(i as u32).as_ref(),
                    Some(&concepts[i]),
                    "{i}"
                );
                assert_eq!(
                    records.type_code(i as u32),
                    Some(entity_code(concepts[i].entity_type))
                );
            }
        }
        assert_eq!(records.concept(concepts.len() as u32), None);
    }

    #[test]
    fn a_cut_record_is_not_read() {
        let mut bytes = Vec::new();
        encode_record(&mut bytes, &concept(1));
        let whole = Reader {
            bytes: &bytes,
            at: 0,
        }
        .record(EntityType::Chemical);
        assert_eq!(whole, Some(concept(1)));
        let cut = Reader {
            bytes: &bytes[..bytes.len() - 1],
            at: 0,
        }
        .record(EntityType::Chemical);
        assert_eq!(cut, None);
    }
}
