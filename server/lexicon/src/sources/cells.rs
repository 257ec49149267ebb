//! Cell lines (Cellosaurus) and cell types (Cell Ontology).

use std::path::Path;

use bioscope_core::EntityType;

use super::{field, list, Table};
use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

const CELLOSAURUS: &str = "cellosaurus/cellosaurus_v55_labels.tsv.gz";
const CELL_ONTOLOGY: &str = "cell_ontology/cl_v2026-03-26.tsv";
/// The files read, relative to the sources folder, in the order they are merged.
pub(super) const FILES: &[&str] = &[CELLOSAURUS, CELL_ONTOLOGY];

pub(super) fn cell_lines(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    let path = dir.join(CELLOSAURUS);
    Table::open(&path)?.each_row(true, |f| {
        let (id, name) = (field(f, 0), field(f, 1));
        if field(f, 2) != "1" && id.starts_with("CVCL_") && !name.is_empty() {
            builder.concept(
                ConceptId::new(Namespace::Cellosaurus, id),
                EntityType::CellLine,
                name,
            );
        }
        Ok(())
    })
}

pub(super) fn cell_types(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    Table::open(&dir.join(CELL_ONTOLOGY))?.each_row(true, |f| {
        let (id, name) = (field(f, 0), field(f, 1));
        let Some(id) = ConceptId::parse(id).filter(|i| i.namespace == Namespace::CellOntology)
        else {
            return Ok(());
        };
        if field(f, 3) == "1" || name.is_empty() {
            return Ok(());
        }
        let concept = builder.concept(id, EntityType::CellType, name);
        for synonym in list(field(f, 2), &['|']) {
            builder.name(concept, synonym, NameKind::Synonym);
        }
        Ok(())
    })
}
