//! The lexicon file format (version 2), written by the builder and memory-mapped by readers.
//!
//! Layout, little-endian:
//! - header: magic `BIOSCOPE-LEXICON`, u32 version, u32 concept count, then five u64 section
//!   lengths (fst, postings, offsets, records, annotated mentions);
//! - the sections, each padded to 8 bytes: an `fst::Map` from name key to a value (one posting,
//!   or an offset into the postings with the low bit set), the postings (u64 count then u64
//!   postings, see [`crate::lexicon::Posting`]), one u32 record offset per concept record, the
//!   concept records (varint-coded), and the annotated mention texts of the training splits
//!   (UTF-8 lines `Type<TAB>text`, sorted; see [`crate::nearest`]);
//! - a trailing SHA-256 of everything before it, checked on open, so that a damaged file is
//!   reported instead of read.

use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bioscope_core::EntityType;

use crate::concept::{Concept, ConceptId, Namespace};
use crate::LexiconError;

pub(crate) const MAGIC: &[u8; 16] = b"BIOSCOPE-LEXICON";
/// Version 2 added the annotated mentions section.
pub(crate) const VERSION: u32 = 2;
const SECTIONS: usize = 5;
const HEADER_LEN: usize = 16 + 4 + 4 + SECTIONS * 8;
const HASH_LEN: usize = 32;

/// The sections of a lexicon file, ready to be written.
pub(crate) struct Sections {
    pub fst: Vec<u8>,
    pub postings: Vec<u64>,
    pub records: Vec<u8>,
    pub offsets: Vec<u32>,
    pub annotated: Vec<u8>,
}

fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

/// Serializes the sections into the file's bytes (deterministic: same sections, same bytes).
pub(crate) fn encode(sections: &Sections) -> Vec<u8> {
    let postings: Vec<u8> = sections
        .postings
        .iter()
        .flat_map(|p| p.to_le_bytes())
        .collect();
    let offsets: Vec<u8> = sections
        .offsets
        .iter()
        .flat_map(|o| o.to_le_bytes())
        .collect();
    let mut out = Vec::with_capacity(
        HEADER_LEN
            + sections.fst.len()
            + postings.len()
            + offsets.len()
            + sections.records.len()
            + sections.annotated.len(),
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(sections.offsets.len() as u32).to_le_bytes());
    for len in [
        sections.fst.len(),
        postings.len(),
        offsets.len(),
        sections.records.len(),
        sections.annotated.len(),
    ] {
        out.extend_from_slice(&(len as u64).to_le_bytes());
    }
    pad8(&mut out);
    for section in [
        &sections.fst,
        &postings,
        &offsets,
        &sections.records,
        &sections.annotated,
    ] {
        out.extend_from_slice(section);
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
        use std::io::{Read, Seek};
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
    fn body_sha256(&self, body: usize) -> [u8; 32] {
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
    pub concept_count: u32,
    pub fst: Section,
    pub postings: Section,
    pub offsets: Section,
    pub records: Section,
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
    if ranges[2].len() != concept_count as usize * 4 || !ranges[1].len().is_multiple_of(8) {
        return Err(corrupt(
            path,
            "section sizes disagree with the concept count",
        ));
    }
    let backing = Arc::new(backing);
    let section = |range: &Range<usize>| Section {
        backing: backing.clone(),
        range: range.clone(),
    };
    Ok(Layout {
        concept_count,
        fst: section(&ranges[0]),
        postings: section(&ranges[1]),
        offsets: section(&ranges[2]),
        records: section(&ranges[3]),
        annotated: section(&ranges[4]),
    })
}

pub(crate) fn read_u32(section: &Section, index: usize) -> Option<u32> {
    let bytes = section.as_ref().get(index * 4..index * 4 + 4)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

pub(crate) fn read_u64(section: &Section, index: usize) -> Option<u64> {
    let bytes = section.as_ref().get(index * 8..index * 8 + 8)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

// Records: entity type (u8), species (varint, 0 = none), id, name, synonym count (varint),
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

fn put_id(out: &mut Vec<u8>, id: &ConceptId) {
    out.push(id.namespace.code());
    put_str(out, &id.local);
}

pub(crate) fn encode_record(out: &mut Vec<u8>, concept: &Concept) {
    out.push(entity_code(concept.entity_type));
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
        let namespace = Namespace::from_code(self.byte()?)?;
        Some(ConceptId::new(namespace, self.string()?))
    }
}

/// Decodes the record at `offset`; `None` when the bytes do not form one.
pub(crate) fn decode_record(records: &[u8], offset: usize) -> Option<Concept> {
    let mut r = Reader {
        bytes: records,
        at: offset,
    };
    let entity_type = *EntityType::BUILT_IN.get(r.byte()? as usize)?;
    let species = u32::try_from(r.varint()?).ok().filter(|s| *s != 0);
    let id = r.id()?;
    let name = r.string()?;
    let synonym_count = u32::try_from(r.varint()?).ok()?;
    let shown = r.varint()?.min(64);
    let synonyms = (0..shown).map(|_| r.string()).collect::<Option<Vec<_>>>()?;
    let xref_count = r.varint()?.min(4096);
    let xrefs = (0..xref_count)
        .map(|_| r.id())
        .collect::<Option<Vec<_>>>()?;
    let broader = match r.byte()? {
        0 => None,
        _ => Some(r.id()?),
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

fn entity_code(entity_type: EntityType) -> u8 {
    entity_type.ordinal() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let concept = |broader: Option<ConceptId>| Concept {
            id: ConceptId::new(Namespace::Mondo, "0005159"),
            entity_type: EntityType::Disease,
            name: "prostate carcinoma".into(),
            synonyms: vec!["carcinoma of prostate".into()],
            synonym_count: 4,
            xrefs: vec![ConceptId::new(Namespace::Umls, "C0600139")],
            broader,
            species: Some(9606),
        };
        let with = concept(Some(ConceptId::new(Namespace::Mesh, "D011471")));
        let without = concept(None);
        let mut records = Vec::new();
        encode_record(&mut records, &with);
        let second = records.len();
        encode_record(&mut records, &without);
        assert_eq!(decode_record(&records, 0), Some(with));
        assert_eq!(decode_record(&records, second), Some(without));
        assert_eq!(decode_record(&records[..second - 1], 0), None);
    }
}
