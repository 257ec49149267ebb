//! Genes: human genes (NCBI Gene, HGNC, UniProt), FamPlex families and complexes, mouse and
//! rat genes (MGI, RGD).

use std::path::Path;

use bioscope_core::EntityType;

use super::{field, list, Merged, Table, HUMAN, MOUSE, RAT};
use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

const NCBI_GENE_HUMAN: &str = "ncbigene_human/ncbigene_human_2022-09-12.tsv.gz";
const HGNC: &str = "hgnc/hgnc_entries.tsv";
const UNIPROT: &str = "uniprot/uniprot_swissprot_accession_mnemonic_2026-01-28.tsv.gz";
const FAMPLEX_ENTITIES: &str = "famplex/entities.csv";
const FAMPLEX_GROUNDING: &str = "famplex/grounding_map.csv";
const FAMPLEX_EQUIVALENCES: &str = "famplex/equivalences.csv";
const MGI: &str = "mgi_rgd/mgi_entries_indra2024.tsv.gz";
const RGD: &str = "mgi_rgd/rgd_entries_indra2024.tsv.gz";
/// The files read, relative to the sources folder, in the order they are merged.
pub(super) const FILES: &[&str] = &[
    NCBI_GENE_HUMAN,
    HGNC,
    UNIPROT,
    FAMPLEX_ENTITIES,
    FAMPLEX_GROUNDING,
    FAMPLEX_EQUIVALENCES,
    MGI,
    RGD,
];

/// Human genes from NCBI Gene joined with HGNC (symbols, aliases, previous symbols, UniProt),
/// UniProt entry names of human proteins.
pub(super) fn genes(
    dir: &Path,
    builder: &mut LexiconBuilder,
    merged: &mut Merged,
) -> Result<(), LexiconError> {
    let path = dir.join(NCBI_GENE_HUMAN);
    Table::open(&path)?.each_row(true, |f| {
        let (id, symbol, name, kind) = (field(f, 0), field(f, 1), field(f, 2), field(f, 3));
        if kind == "biological-region" || symbol.is_empty() {
            return Ok(());
        }
        let concept = builder.concept(
            ConceptId::new(Namespace::NcbiGene, id),
            EntityType::Gene,
            symbol,
        );
        builder.species(concept, HUMAN);
        builder.name(concept, name, NameKind::Synonym);
        for alias in list(field(f, 5), &['|']) {
            builder.name(concept, alias, NameKind::Weak);
        }
        for accession in list(field(f, 6), &['|']) {
            let uniprot = ConceptId::new(Namespace::UniProt, accession);
            merged.concept_of.entry(uniprot.clone()).or_insert(concept);
            builder.xref(concept, uniprot);
        }
        for omim in list(field(f, 8), &['|']) {
            builder.xref(concept, ConceptId::new(Namespace::Omim, omim));
        }
        Ok(())
    })?;
    Table::open(&dir.join(HGNC))?.each_row(true, |f| {
        let (hgnc, symbol, name, status) = (field(f, 0), field(f, 1), field(f, 2), field(f, 3));
        if status != "Approved" {
            return Ok(());
        }
        let Some(hgnc) = ConceptId::parse(hgnc) else {
            return Ok(());
        };
        let ncbi = field(f, 5);
        let existing = (!ncbi.is_empty())
            .then(|| builder.find(&ConceptId::new(Namespace::NcbiGene, ncbi)))
            .flatten();
        let concept = match existing {
            Some(concept) => concept,
            None => builder.concept(hgnc.clone(), EntityType::Gene, symbol),
        };
        builder.species(concept, HUMAN);
        builder.xref(concept, hgnc);
        builder.name(concept, symbol, NameKind::Preferred);
        builder.name(concept, name, NameKind::Synonym);
        for alias in list(field(f, 4), &[',']).chain(list(field(f, 9), &[','])) {
            builder.name(concept, alias, NameKind::Weak);
        }
        for accession in list(field(f, 6), &[',', '|']) {
            let uniprot = ConceptId::new(Namespace::UniProt, accession);
            merged.concept_of.entry(uniprot.clone()).or_insert(concept);
            builder.xref(concept, uniprot);
        }
        for (column, namespace) in [(7, Namespace::Mgi), (8, Namespace::Rgd)] {
            for id in list(field(f, column), &[',', '|']) {
                if let Some(id) = ConceptId::parse(id).filter(|i| i.namespace == namespace) {
                    builder.xref(concept, id);
                }
            }
        }
        Ok(())
    })?;
    let path = dir.join(UNIPROT);
    Table::open(&path)?.each_row(true, |f| {
        if field(f, 2) != "HUMAN" || field(f, 3) == "1" {
            return Ok(());
        }
        let accession = ConceptId::new(Namespace::UniProt, field(f, 0));
        if let Some(&concept) = merged.concept_of.get(&accession) {
            builder.name(concept, field(f, 1), NameKind::Weak);
        }
        Ok(())
    })
}

fn famplex_name(id: &str) -> String {
    id.replace('_', " ")
}

/// FamPlex families and complexes, with the grounding map's names for them.
pub(super) fn famplex(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    let csv_rows = |name: &str| -> Result<Vec<csv::StringRecord>, LexiconError> {
        let path = dir.join(name);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&path)
            .map_err(|e| LexiconError::Source {
                path: path.clone(),
                line: 0,
                why: e.to_string(),
            })?;
        reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LexiconError::Source {
                path: path.clone(),
                line: e.position().map_or(0, |p| p.line() as usize),
                why: e.to_string(),
            })
    };
    for row in csv_rows(FAMPLEX_ENTITIES)? {
        let id = row.get(0).unwrap_or("").trim();
        if !id.is_empty() {
            let concept = builder.concept(
                ConceptId::new(Namespace::FamPlex, id),
                EntityType::Gene,
                &famplex_name(id),
            );
            builder.name(concept, id, NameKind::Synonym);
        }
    }
    for row in csv_rows(FAMPLEX_GROUNDING)? {
        let (text, namespace, id) = (
            row.get(0).unwrap_or(""),
            row.get(1).unwrap_or(""),
            row.get(2).unwrap_or(""),
        );
        if namespace == "FPLX" {
            if let Some(concept) = builder.find(&ConceptId::new(Namespace::FamPlex, id)) {
                builder.name(concept, text, NameKind::Synonym);
            }
        }
    }
    for row in csv_rows(FAMPLEX_EQUIVALENCES)? {
        let (namespace, id, family) = (
            row.get(0).unwrap_or(""),
            row.get(1).unwrap_or(""),
            row.get(2).unwrap_or(""),
        );
        if let Some(concept) = builder.find(&ConceptId::new(Namespace::FamPlex, family)) {
            match namespace {
                "MESH" => builder.xref(concept, ConceptId::new(Namespace::Mesh, id)),
                "BEL" | "PF" | "NXP" | "IP" => builder.name(concept, id, NameKind::Weak),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Mouse (MGI) and rat (RGD) gene symbols, tagged with their species.
pub(super) fn mouse_and_rat(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    for (file, namespace, species) in [(MGI, Namespace::Mgi, MOUSE), (RGD, Namespace::Rgd, RAT)] {
        Table::open(&dir.join(file))?.each_row(true, |f| {
            let (id, symbol) = (field(f, 0), field(f, 1));
            if id.is_empty() || symbol.is_empty() {
                return Ok(());
            }
            let concept = builder.concept(ConceptId::new(namespace, id), EntityType::Gene, symbol);
            builder.species(concept, species);
            // Synonyms of mouse and rat genes are mostly clone names and old symbols: they
            // would crowd the human genes that manuscripts name far more often.
            Ok(())
        })?;
    }
    Ok(())
}
