//! Entity types and the BIO label scheme that models are trained and decoded with.

use std::fmt;
use std::str::FromStr;

/// The entity types BioScope tags (serialized by [`EntityType::name`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum EntityType {
    Gene,
    Disease,
    Chemical,
    Species,
    CellLine,
    CellType,
    Variant,
}

/// What each front end needs to know about one entity type. [`EntityType::TABLE`] holds one row
/// per type, in legend order: the LSP legend, the terminal colours, corpus readers and the error
/// text read it, and the editors' tests check their legends against it.
#[derive(Clone, Copy, Debug)]
pub struct TypeInfo {
    pub entity_type: EntityType,
    /// The name in labels (`B-Gene`), files and settings.
    pub name: &'static str,
    /// The LSP semantic token type.
    pub token: &'static str,
    /// SGR parameters of its colour in a terminal (`bioscope tag`).
    pub ansi_colour: &'static str,
    /// The lower-case type names of the shared corpora that mean this type (their names do not
    /// collide across corpora).
    pub corpus_labels: &'static [&'static str],
    /// The UMLS semantic types (TUIs) whose concepts have this type in the lexicon.
    pub umls_semantic_types: &'static [&'static str],
}

impl EntityType {
    /// One row per type, in legend order.
    pub const TABLE: [TypeInfo; 7] = [
        TypeInfo {
            entity_type: EntityType::Gene,
            name: "Gene",
            token: "gene",
            ansi_colour: "1;34",
            corpus_labels: &[
                "gene",
                "geneorgeneproduct",
                "gene_or_gene_product",
                "protein",
                "dna",
                "rna",
                "gene_or_protein",
                "genemention",
            ],
            // Gene or Genome; Amino Acid, Peptide, or Protein; Enzyme; Receptor.
            umls_semantic_types: &["T028", "T116", "T126", "T192"],
        },
        TypeInfo {
            entity_type: EntityType::Disease,
            name: "Disease",
            token: "disease",
            ansi_colour: "1;31",
            corpus_labels: &[
                "disease",
                "specificdisease",
                "diseaseclass",
                "compositemention",
                "modifier",
                "diseaseorphenotypicfeature",
                "cancer",
            ],
            // Disease or Syndrome, Neoplastic Process, Mental or Behavioral Dysfunction,
            // Congenital and Acquired Abnormalities, Anatomical Abnormality, Sign or Symptom,
            // Injury or Poisoning, Pathologic Function, Cell or Molecular Dysfunction, Finding.
            umls_semantic_types: &[
                "T047", "T191", "T048", "T019", "T020", "T190", "T184", "T037", "T046", "T049",
            ],
        },
        TypeInfo {
            entity_type: EntityType::Chemical,
            name: "Chemical",
            token: "chemical",
            ansi_colour: "1;32",
            corpus_labels: &["chemical", "chemicalentity", "simple_chemical", "drug"],
            // Organic Chemical, Pharmacologic Substance, Inorganic Chemical, Element/Ion/Isotope,
            // Antibiotic, Biologically Active Substance, Hazardous Substance, Hormone, Vitamin,
            // Clinical Drug, Chemical, Nucleic Acid/Nucleoside/Nucleotide, Lipid-like substances.
            umls_semantic_types: &[
                "T109", "T121", "T197", "T196", "T195", "T123", "T131", "T125", "T127", "T200",
                "T103", "T104", "T114", "T118", "T110",
            ],
        },
        TypeInfo {
            entity_type: EntityType::Species,
            name: "Species",
            token: "species",
            ansi_colour: "1;35",
            corpus_labels: &["species", "livb", "organismtaxon", "organism", "strain"],
            // Virus, Bacterium, Archaeon, Eukaryote, Fungus, Plant, Animal, Vertebrate, Amphibian,
            // Bird, Fish, Mammal, Reptile, Human, Organism.
            umls_semantic_types: &[
                "T005", "T007", "T194", "T204", "T004", "T002", "T008", "T010", "T011", "T012",
                "T013", "T015", "T014", "T016", "T001",
            ],
        },
        TypeInfo {
            entity_type: EntityType::CellLine,
            name: "CellLine",
            token: "cellLine",
            ansi_colour: "1;33",
            corpus_labels: &["cellline", "cell_line"],
            umls_semantic_types: &[],
        },
        TypeInfo {
            entity_type: EntityType::CellType,
            name: "CellType",
            token: "cellType",
            ansi_colour: "1;36",
            corpus_labels: &["celltype", "cell_type", "cell"],
            // Cell.
            umls_semantic_types: &["T025"],
        },
        TypeInfo {
            entity_type: EntityType::Variant,
            name: "Variant",
            token: "variant",
            ansi_colour: "1;93",
            corpus_labels: &[
                "sequencevariant",
                "variant",
                "dnamutation",
                "proteinmutation",
                "snp",
            ],
            umls_semantic_types: &[],
        },
    ];

    /// Every type, in legend order.
    pub const ALL: [EntityType; 7] = {
        let mut all = [EntityType::Gene; 7];
        let mut i = 0;
        while i < all.len() {
            all[i] = EntityType::TABLE[i].entity_type;
            i += 1;
        }
        all
    };

    /// This type's row of [`EntityType::TABLE`].
    pub fn info(self) -> &'static TypeInfo {
        // The table is in declaration order (a unit test checks it).
        &EntityType::TABLE[self.ordinal()]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// This type's position in [`EntityType::ALL`] (and its row of [`EntityType::TABLE`]).
    pub fn ordinal(self) -> usize {
        self as usize
    }

    /// The type a corpus's type name means (case-insensitive); `None` when it is not tagged.
    pub fn from_corpus_label(label: &str) -> Option<EntityType> {
        let label = label.to_ascii_lowercase();
        EntityType::TABLE
            .iter()
            .find(|row| row.corpus_labels.contains(&label.as_str()))
            .map(|row| row.entity_type)
    }

    /// The type of a UMLS semantic type (TUI); `None` for semantic types BioScope does not tag.
    pub fn from_umls_semantic_type(tui: &str) -> Option<EntityType> {
        EntityType::TABLE
            .iter()
            .find(|row| row.umls_semantic_types.contains(&tui))
            .map(|row| row.entity_type)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type names, for error messages: "Gene, Disease, …".
fn type_names() -> String {
    EntityType::TABLE
        .iter()
        .map(|row| row.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Error for a name that is not one of [`EntityType::ALL`].
#[derive(Debug, thiserror::Error)]
#[error("unknown entity type `{0}`: expected one of {names}", names = type_names())]
pub struct UnknownEntityType(pub String);

impl FromStr for EntityType {
    type Err = UnknownEntityType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntityType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownEntityType(s.to_string()))
    }
}

/// One BIO tag: outside, or the beginning / inside of an entity of some type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tag {
    Outside,
    Begin(EntityType),
    Inside(EntityType),
}

impl Tag {
    pub fn entity_type(self) -> Option<EntityType> {
        match self {
            Tag::Outside => None,
            Tag::Begin(t) | Tag::Inside(t) => Some(t),
        }
    }

    /// Whether a tag may follow `prev` in a well-formed BIO sequence (`None` = sequence start).
    pub fn may_follow(self, prev: Option<Tag>) -> bool {
        match self {
            Tag::Inside(t) => matches!(prev, Some(Tag::Begin(p) | Tag::Inside(p)) if p == t),
            _ => true,
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tag::Outside => f.write_str("O"),
            Tag::Begin(t) => write!(f, "B-{t}"),
            Tag::Inside(t) => write!(f, "I-{t}"),
        }
    }
}

/// Error for a label string that is not `O`, `B-<Type>` or `I-<Type>`.
#[derive(Debug, thiserror::Error)]
pub enum BadLabel {
    #[error("label `{0}` is not O, B-<Type> or I-<Type>")]
    Shape(String),
    #[error(transparent)]
    Type(#[from] UnknownEntityType),
}

impl FromStr for Tag {
    type Err = BadLabel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "O" {
            return Ok(Tag::Outside);
        }
        match s.split_once('-') {
            Some(("B", t)) => Ok(Tag::Begin(t.parse()?)),
            Some(("I", t)) => Ok(Tag::Inside(t.parse()?)),
            _ => Err(BadLabel::Shape(s.to_string())),
        }
    }
}

/// The ordered label list of a model: `O`, then `B-T`, `I-T` for each entity type in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelScheme {
    types: Vec<EntityType>,
    tags: Vec<Tag>,
}

impl LabelScheme {
    pub fn new(types: &[EntityType]) -> Self {
        let mut tags = vec![Tag::Outside];
        for &t in types {
            tags.push(Tag::Begin(t));
            tags.push(Tag::Inside(t));
        }
        LabelScheme {
            types: types.to_vec(),
            tags,
        }
    }

    pub fn types(&self) -> &[EntityType] {
        &self.types
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    pub fn tag(&self, index: usize) -> Tag {
        self.tags[index]
    }

    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }

    /// The index of a tag; tags of types outside the scheme map to `O` (index 0).
    pub fn index(&self, tag: Tag) -> usize {
        self.tags.iter().position(|&t| t == tag).unwrap_or(0)
    }

    /// The label strings in index order, as stored in a bundle manifest.
    pub fn label_strings(&self) -> Vec<String> {
        self.tags.iter().map(Tag::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_table_has_one_row_per_type_in_declaration_order_with_distinct_names() {
        for (i, row) in EntityType::TABLE.iter().enumerate() {
            assert_eq!(row.entity_type as usize, i, "{row:?}");
            assert_eq!(row.entity_type.info().name, row.name);
            assert_eq!(row.name.parse::<EntityType>().unwrap(), row.entity_type);
            assert_eq!(
                EntityType::from_corpus_label(&row.name.to_uppercase()),
                Some(row.entity_type),
                "a type's own name is one of its corpus labels"
            );
        }
        let column = |get: fn(&TypeInfo) -> &'static str| {
            let values: std::collections::HashSet<_> = EntityType::TABLE.iter().map(get).collect();
            values.len()
        };
        assert_eq!(column(|row| row.name), EntityType::TABLE.len());
        assert_eq!(column(|row| row.token), EntityType::TABLE.len());
        assert_eq!(column(|row| row.ansi_colour), EntityType::TABLE.len());
        let mut labels = std::collections::HashSet::new();
        let mut tuis = std::collections::HashSet::new();
        for row in &EntityType::TABLE {
            for tui in row.umls_semantic_types {
                assert!(tuis.insert(tui), "UMLS semantic type {tui} means two types");
            }
            for label in row.corpus_labels {
                assert_eq!(label.to_ascii_lowercase(), *label);
                assert!(labels.insert(label), "corpus label {label} means two types");
            }
        }
        assert_eq!(
            EntityType::from_corpus_label("Disease_Or_Phenotypic_Feature"),
            None
        );
        assert_eq!(
            "Protein".parse::<EntityType>().unwrap_err().to_string(),
            "unknown entity type `Protein`: expected one of Gene, Disease, Chemical, Species, CellLine, CellType, Variant"
        );
    }

    #[test]
    fn labels_round_trip_in_scheme_order() {
        let scheme = LabelScheme::new(&[EntityType::Gene, EntityType::CellLine]);
        assert_eq!(
            scheme.label_strings(),
            ["O", "B-Gene", "I-Gene", "B-CellLine", "I-CellLine"]
        );
        for (i, s) in scheme.label_strings().iter().enumerate() {
            assert_eq!(scheme.index(s.parse().unwrap()), i);
        }
        assert_eq!(scheme.index(Tag::Begin(EntityType::Disease)), 0);
    }

    #[test]
    fn inside_must_continue_same_type() {
        let g = EntityType::Gene;
        assert!(!Tag::Inside(g).may_follow(None));
        assert!(!Tag::Inside(g).may_follow(Some(Tag::Outside)));
        assert!(!Tag::Inside(g).may_follow(Some(Tag::Begin(EntityType::Disease))));
        assert!(Tag::Inside(g).may_follow(Some(Tag::Begin(g))));
        assert!(Tag::Begin(g).may_follow(Some(Tag::Inside(EntityType::Disease))));
    }

    #[test]
    fn bad_labels_are_reported() {
        assert!("X-Gene".parse::<Tag>().is_err());
        assert!("B-Protein".parse::<Tag>().is_err());
        assert_eq!("b-gene".parse::<Tag>().ok(), None);
    }
}
