//! Species: NCBI Taxonomy names, people words for Homo sapiens, and BioScope's list of common
//! organism names.

use std::collections::HashSet;
use std::path::Path;

use bioscope_core::EntityType;

use super::{field, list, Scope, Table, HUMAN};
use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

const TAXON_NAMES: &str = "ncbitaxon/ncbitaxon_names_v2026-05-13.tsv.gz";
const TAXON_COMMON_NAMES: &str = "ncbitaxon/ncbitaxon_with_common_names.tsv";
const TAXON_ALL_NAMES: &str = "ncbitaxon/ncbitaxon_all_names_genomeinfodbdata-1.2.9.tsv.gz";
/// The files read, relative to the sources folder, in the order they are merged.
pub(super) const FILES: &[&str] = &[TAXON_NAMES, TAXON_COMMON_NAMES, TAXON_ALL_NAMES];

/// Words that name people in biomedical text and that corpora such as BioRED normalize to
/// Homo sapiens (plurals are found at lookup).
const HUMAN_WORDS: [&str; 14] = [
    "patient",
    "woman",
    "man",
    "child",
    "person",
    "participant",
    "infant",
    "boy",
    "girl",
    "adult",
    "volunteer",
    "proband",
    "human being",
    "individual",
];

/// Common names of model and crop organisms that the taxonomy sources lack (the eukaryote
/// file misses several major taxa), and the abbreviated binomials that papers use without
/// spelling the genus out. BioScope's own list; taxon ids from NCBI Taxonomy.
const COMMON_ORGANISM_NAMES: [(&str, u32); 46] = [
    ("cattle", 9913),
    ("cow", 9913),
    ("pig", 9823),
    ("dog", 9615),
    ("cat", 9685),
    ("sheep", 9940),
    ("goat", 9925),
    ("horse", 9796),
    ("chicken", 9031),
    ("rabbit", 9986),
    ("zebrafish", 7955),
    ("rhesus monkey", 9544),
    ("elephant", 9785),
    ("cacao", 3641),
    ("Epstein-Barr virus", 10376),
    ("EBV", 10376),
    ("human cytomegalovirus", 10359),
    ("HCMV", 10359),
    ("varicella-zoster virus", 10335),
    ("VZV", 10335),
    ("measles virus", 11234),
    ("vesicular stomatitis virus", 11276),
    ("yeast", 4932),
    ("baker's yeast", 4932),
    ("budding yeast", 4932),
    ("S. cerevisiae", 4932),
    ("fission yeast", 4896),
    ("maize", 4577),
    ("corn", 4577),
    ("rice", 4530),
    ("tobacco", 4097),
    ("wheat", 4565),
    ("barley", 4513),
    ("tomato", 4081),
    ("potato", 4113),
    ("soybean", 3847),
    ("thale cress", 3702),
    ("Arabidopsis", 3702),
    ("A. thaliana", 3702),
    ("fruit fly", 7227),
    ("D. melanogaster", 7227),
    ("C. elegans", 6239),
    ("E. coli", 562),
    ("B. subtilis", 1423),
    ("HIV", 11676),
    ("SARS-CoV-2", 2697049),
];

/// NCBI Taxonomy: eukaryotes with scientific and common names, then every domain's names
/// (bacteria, archaea, viruses) from the older full dump; people words for Homo sapiens.
pub(super) fn taxa(
    dir: &Path,
    scope: Scope,
    organisms: &HashSet<String>,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let taxon = |id: &str| ConceptId::new(Namespace::NcbiTaxon, id);
    // Homonyms carry a rank in angle brackets ("Mus <genus>"): not part of the name.
    let bare = |name: &str| -> String {
        match name.find(" <") {
            Some(at) if name.ends_with('>') => name[..at].to_string(),
            _ => name.to_string(),
        }
    };
    let path = dir.join(TAXON_COMMON_NAMES);
    Table::open(&path)?.each_row(true, |f| {
        let concept = builder.concept(taxon(field(f, 0)), EntityType::Species, &bare(field(f, 1)));
        for synonym in list(field(f, 2), &['|']) {
            builder.name(concept, synonym, NameKind::Synonym);
        }
        Ok(())
    })?;
    let path = dir.join(TAXON_NAMES);
    Table::open(&path)?.each_row(true, |f| {
        let (id, name) = (field(f, 0), field(f, 1));
        if field(f, 4) == "1" || !scope.keeps_taxon(name) {
            return Ok(());
        }
        let concept = builder.concept(taxon(id), EntityType::Species, &bare(name));
        for synonym in list(field(f, 2), &['|']).filter(|s| scope.keeps_taxon(s)) {
            builder.name(concept, synonym, NameKind::Synonym);
        }
        Ok(())
    })?;
    // This dump lists a taxon's names alphabetically, without saying which is the scientific
    // one ("Bacillus coli" comes before "Escherichia coli"): a name that is a MeSH organism
    // heading becomes the preferred name of a taxon first seen here.
    let path = dir.join(TAXON_ALL_NAMES);
    let mut first_seen_here: HashSet<u32> = HashSet::new();
    Table::open(&path)?.each_row(true, |f| {
        let (id, name) = (field(f, 0), field(f, 1));
        if !scope.keeps_taxon(name) {
            return Ok(());
        }
        let known = builder.find(&taxon(id));
        let concept = builder.concept(taxon(id), EntityType::Species, &bare(name));
        if known.is_none() {
            first_seen_here.insert(concept);
        } else if first_seen_here.contains(&concept) && organisms.contains(&crate::key::key(name)) {
            builder.rename(concept, &bare(name));
        }
        builder.name(concept, name, NameKind::Synonym);
        Ok(())
    })?;
    if let Some(human) = builder.find(&taxon(&HUMAN.to_string())) {
        for word in HUMAN_WORDS {
            builder.name(human, word, NameKind::Weak);
        }
    }
    for (name, id) in COMMON_ORGANISM_NAMES {
        if let Some(concept) = builder.find(&taxon(&id.to_string())) {
            builder.name(concept, name, NameKind::Synonym);
        }
    }
    Ok(())
}
