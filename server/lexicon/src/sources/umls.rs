//! A licensed UMLS release (Rich Release Format) as an extra source: English, unsuppressed
//! names from MRCONSO.RRF, typed by the semantic types in MRSTY.RRF.
//!
//! A CUI joins the MeSH concept its MSH rows name, else a concept that already lists it as a
//! cross-reference (MONDO and Disease Ontology carry UMLS CUIs), else becomes a UMLS concept
//! of its own when its semantic types map to an entity type.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use bioscope_core::EntityType;

use super::{field, Table};
use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

struct Atom {
    name: String,
    preferred: bool,
}

/// Reads `META/MRCONSO.RRF` and `META/MRSTY.RRF` from `dir` (the META folder itself or its
/// parent) into `builder`.
pub(super) fn read_umls(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    let meta = if dir.join("MRCONSO.RRF").exists() {
        dir.to_path_buf()
    } else {
        dir.join("META")
    };
    let mut types: HashMap<String, Vec<EntityType>> = HashMap::new();
    Table::open(&meta.join("MRSTY.RRF"))?
        .separated_by('|')
        .each_row(false, |f| {
            if let Some(entity_type) = EntityType::from_umls_semantic_type(field(f, 1)) {
                let entry = types.entry(field(f, 0).to_string()).or_default();
                if !entry.contains(&entity_type) {
                    entry.push(entity_type);
                }
            }
            Ok(())
        })?;
    // CUI → (its names, the MeSH descriptor or supplementary record it is linked to).
    let mut atoms: BTreeMap<String, (Vec<Atom>, Option<String>)> = BTreeMap::new();
    Table::open(&meta.join("MRCONSO.RRF"))?
        .separated_by('|')
        .each_row(false, |f| {
            if f.len() < 17 {
                return Err(format!(
                    "expected 18 `|`-separated MRCONSO fields, found {}",
                    f.len()
                ));
            }
            let (cui, language, suppress) = (field(f, 0), field(f, 1), field(f, 16));
            if language != "ENG" || suppress != "N" {
                return Ok(());
            }
            let entry = atoms.entry(cui.to_string()).or_default();
            if field(f, 11) == "MSH" && entry.1.is_none() {
                entry.1 = Some(field(f, 13).to_string());
            }
            entry.0.push(Atom {
                name: field(f, 14).to_string(),
                preferred: field(f, 2) == "P" && field(f, 4) == "PF" && field(f, 6) == "Y",
            });
            Ok(())
        })?;
    for (cui, (names, mesh)) in atoms {
        let umls = ConceptId::new(Namespace::Umls, &cui);
        let mesh_concept =
            mesh.and_then(|code| builder.find(&ConceptId::new(Namespace::Mesh, code)));
        let concept = match mesh_concept.or_else(|| builder.find_by_xref(&umls)) {
            Some(concept) => concept,
            None => {
                let Some(&entity_type) = types.get(&cui).and_then(|t| t.first()) else {
                    continue;
                };
                let preferred = names
                    .iter()
                    .find(|a| a.preferred)
                    .or(names.first())
                    .map(|a| a.name.as_str())
                    .unwrap_or_default();
                builder.concept(umls.clone(), entity_type, preferred)
            }
        };
        builder.xref(concept, umls);
        for atom in &names {
            builder.name(concept, &atom.name, NameKind::Synonym);
        }
    }
    Ok(())
}
