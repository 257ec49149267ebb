//! Chemicals: ChEBI names, the drug dictionary, and the element symbols papers write for
//! common chemicals.

use std::collections::HashMap;
use std::path::Path;

use bioscope_core::EntityType;

use super::mesh::heading_key;
use super::{field, list, Scope, Table};
use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

const CHEBI: &str = "chebi/chebi_names_2026-05-01.tsv.gz";
const DRUGS: &str = "drug_ner_dictionary/drug_canonical_data.tsv.gz";
const DRUG_VARIANTS: &str = "drug_ner_dictionary/drug_variants.tsv.gz";
/// The files read, relative to the sources folder, in the order they are merged.
pub(super) const FILES: &[&str] = &[CHEBI, DRUGS, DRUG_VARIANTS];

/// Element symbols and simple formulas that papers write for common chemicals, with the MeSH
/// heading they name. Symbols that fold to an English word ("As", "Co", "No") are left out.
const CHEMICAL_SYMBOLS: [(&str, &str); 30] = [
    ("Na", "sodium"),
    ("K", "potassium"),
    ("Ca", "calcium"),
    ("Mg", "magnesium"),
    ("Fe", "iron"),
    ("Zn", "zinc"),
    ("Cu", "copper"),
    ("Pb", "lead"),
    ("Li", "lithium"),
    ("Hg", "mercury"),
    ("Cd", "cadmium"),
    ("Mn", "manganese"),
    ("Se", "selenium"),
    ("Al", "aluminum"),
    ("Ni", "nickel"),
    ("Cr", "chromium"),
    ("Ag", "silver"),
    ("Pt", "platinum"),
    ("Cl", "chlorine"),
    ("NaCl", "sodium chloride"),
    ("KCl", "potassium chloride"),
    ("CaCl2", "calcium chloride"),
    ("MgSO4", "magnesium sulfate"),
    ("H2O2", "hydrogen peroxide"),
    ("CO2", "carbon dioxide"),
    ("O2", "oxygen"),
    ("N2O", "nitrous oxide"),
    ("NaHCO3", "sodium bicarbonate"),
    ("LiCl", "lithium chloride"),
    ("ZnSO4", "zinc sulfate"),
];

pub(super) fn chemical_symbols(headings: &HashMap<String, u32>, builder: &mut LexiconBuilder) {
    for (symbol, name) in CHEMICAL_SYMBOLS {
        if let Some(&concept) = headings.get(&heading_key(name)) {
            if builder.entity_type(concept) == EntityType::Chemical {
                builder.name(concept, symbol, NameKind::Weak);
            }
        }
    }
}

/// ChEBI names: on the MeSH concept a curated mapping names, else a ChEBI concept.
pub(super) fn chebi(
    dir: &Path,
    scope: Scope,
    headings: &HashMap<String, u32>,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let mut mesh_of: HashMap<String, ConceptId> = HashMap::new();
    Table::open(&dir.join(super::mesh::XREF_MAPPINGS))?.each_row(false, |f| {
        if field(f, 3) == "CHEBI" {
            mesh_of
                .entry(field(f, 4).to_string())
                .or_insert_with(|| ConceptId::new(Namespace::Mesh, field(f, 1)));
        }
        Ok(())
    })?;
    Table::open(&dir.join(CHEBI))?.each_row(true, |f| {
        let (id, name) = (field(f, 0), field(f, 1));
        if field(f, 2) == "1" || name.is_empty() {
            return Ok(());
        }
        let Some(chebi) = ConceptId::parse(id) else {
            return Ok(());
        };
        // A curated mapping, else a MeSH chemical with the same name.
        let mapped = mesh_of
            .get(id)
            .and_then(|mesh| builder.find(mesh))
            .or_else(|| {
                headings
                    .get(&heading_key(name))
                    .copied()
                    .filter(|c| builder.entity_type(*c) == EntityType::Chemical)
            });
        match mapped {
            Some(concept) => {
                builder.xref(concept, chebi);
                builder.name(concept, name, NameKind::Synonym);
            }
            None if scope.keeps_chemical_name(name) => {
                builder.concept(chebi, EntityType::Chemical, name);
            }
            None => {}
        }
        Ok(())
    })
}

/// The drug dictionary: canonical drugs on the MeSH concept of the same name (else a DrugBank
/// concept), with synonyms, brand names and spelling variants. The file's MeSH id column is
/// not used: it is off for many rows (doxorubicin given D059005, Topoisomerase II Inhibitors).
pub(super) fn drugs(
    dir: &Path,
    headings: &HashMap<String, u32>,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let mut canonical: HashMap<String, u32> = HashMap::new();
    let path = dir.join(DRUGS);
    Table::open(&path)?.each_row(true, |f| {
        let (name, drugbank) = (field(f, 0), field(f, 1));
        let display = Some(field(f, 8)).filter(|n| !n.is_empty()).unwrap_or(name);
        let mesh_concept = headings
            .get(&heading_key(name))
            .copied()
            .filter(|c| builder.entity_type(*c) == EntityType::Chemical);
        let concept = match (mesh_concept, drugbank.is_empty()) {
            (Some(concept), _) => concept,
            (None, false) => builder.concept(
                ConceptId::new(Namespace::DrugBank, drugbank),
                EntityType::Chemical,
                display,
            ),
            (None, true) => return Ok(()),
        };
        if !drugbank.is_empty() {
            builder.xref(concept, ConceptId::new(Namespace::DrugBank, drugbank));
        }
        builder.name(concept, display, NameKind::Synonym);
        for synonym in list(field(f, 12), &['|']) {
            builder.name(concept, synonym, NameKind::Synonym);
        }
        canonical.insert(name.to_string(), concept);
        Ok(())
    })?;
    Table::open(&dir.join(DRUG_VARIANTS))?.each_row(true, |f| {
        if let Some(&concept) = canonical.get(field(f, 1)) {
            builder.name(concept, field(f, 0), NameKind::Weak);
        }
        Ok(())
    })
}
