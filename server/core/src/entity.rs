//! Entity types and the BIO label scheme that models are trained and decoded with.
//!
//! Types are data: an [`EntityType`] is an index into the process's type table, whose first
//! rows are BioScope's seven built-in types ([`EntityType::BUILT_IN_TABLE`], in legend order) and
//! whose further rows are types a user or a model bundle defines at run time
//! ([`EntityType::define`]: "Organ", or a lab model's "BIOMARKER").

use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;

/// An entity type: a built-in one (the associated constants, named as the types are) or one
/// defined at run time. Serialized by [`EntityType::name`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityType(u16);

#[allow(non_upper_case_globals)]
impl EntityType {
    pub const Gene: EntityType = built_in::Gene;
    pub const Disease: EntityType = built_in::Disease;
    pub const Chemical: EntityType = built_in::Chemical;
    pub const Species: EntityType = built_in::Species;
    pub const CellLine: EntityType = built_in::CellLine;
    pub const CellType: EntityType = built_in::CellType;
    pub const Variant: EntityType = built_in::Variant;
}

/// The built-in types as plain constants, for `use bioscope_core::entity::built_in::*` where
/// code names many of them (the same values as `EntityType::Gene` and its siblings).
#[allow(non_upper_case_globals)]
pub mod built_in {
    use super::EntityType;
    pub const Gene: EntityType = EntityType(0);
    pub const Disease: EntityType = EntityType(1);
    pub const Chemical: EntityType = EntityType(2);
    pub const Species: EntityType = EntityType(3);
    pub const CellLine: EntityType = EntityType(4);
    pub const CellType: EntityType = EntityType(5);
    pub const Variant: EntityType = EntityType(6);
}

/// What each front end needs to know about one entity type. [`EntityType::BUILT_IN_TABLE`] holds
/// one row per built-in type, in legend order: the LSP legend, the terminal colours, corpus
/// readers and the error text read it, and the editors' tests check their legends against it. A
/// defined type gets a row of its own ([`EntityType::define`]).
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
    /// What the type covers, in a sentence (a defined type's description; empty for built-ins).
    pub description: &'static str,
}

impl EntityType {
    /// One row per built-in type, in legend order.
    pub const BUILT_IN_TABLE: [TypeInfo; 7] = [
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
            description: "",
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
            description: "",
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
            description: "",
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
            description: "",
        },
        TypeInfo {
            entity_type: EntityType::CellLine,
            name: "CellLine",
            token: "cellLine",
            ansi_colour: "1;33",
            corpus_labels: &["cellline", "cell_line"],
            umls_semantic_types: &[],
            description: "",
        },
        TypeInfo {
            entity_type: EntityType::CellType,
            name: "CellType",
            token: "cellType",
            ansi_colour: "1;36",
            corpus_labels: &["celltype", "cell_type", "cell"],
            // Cell.
            umls_semantic_types: &["T025"],
            description: "",
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
            description: "",
        },
    ];

    /// The built-in types, in legend order (defined types follow them: [`EntityType::all`]).
    pub const BUILT_IN: [EntityType; 7] = [
        EntityType::Gene,
        EntityType::Disease,
        EntityType::Chemical,
        EntityType::Species,
        EntityType::CellLine,
        EntityType::CellType,
        EntityType::Variant,
    ];

    /// The most types that may be defined in one process.
    pub const MAX_DEFINED: usize = 256;

    /// Every type this process knows, in legend order: the built-in ones, then the defined
    /// ones in the order they were defined.
    pub fn all() -> Vec<EntityType> {
        let defined = DEFINED.read().unwrap_or_else(|e| e.into_inner()).len();
        (0..EntityType::BUILT_IN.len() + defined)
            .map(|i| EntityType(i as u16))
            .collect()
    }

    /// Whether this is one of the seven built-in types.
    pub fn is_built_in(self) -> bool {
        usize::from(self.0) < EntityType::BUILT_IN.len()
    }

    /// Defines a type (or returns the one already defined under that name, ignoring case).
    /// The name is what labels (`B-Organ`), files and settings use: an ASCII letter, then up to
    /// 39 ASCII letters, digits or underscores; a built-in type's name (in any case) is refused.
    /// The type's semantic token is its name with a lower-case first letter (`organ`).
    pub fn define(name: &str, description: &str) -> Result<EntityType, TypeDefinitionError> {
        let bad = |why: &str| TypeDefinitionError::Name {
            name: name.to_string(),
            why: why.to_string(),
        };
        let mut chars = name.chars();
        if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(bad("it must begin with an ASCII letter"));
        }
        if name.len() > 40 || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad(
                "it may hold only ASCII letters, digits and underscores, at most 40",
            ));
        }
        if let Some(row) = EntityType::BUILT_IN_TABLE
            .iter()
            .find(|row| row.name.eq_ignore_ascii_case(name))
        {
            return Err(TypeDefinitionError::BuiltIn {
                name: name.to_string(),
                built_in: row.name,
            });
        }
        let mut defined = DEFINED.write().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = defined
            .iter()
            .position(|row| row.name.eq_ignore_ascii_case(name))
        {
            return Ok(EntityType((EntityType::BUILT_IN.len() + i) as u16));
        }
        if defined.len() >= EntityType::MAX_DEFINED {
            return Err(TypeDefinitionError::TooMany);
        }
        let at = defined.len();
        let entity_type = EntityType((EntityType::BUILT_IN.len() + at) as u16);
        let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
        let name: &'static str = leak(name.to_string());
        let token = leak(format!("{}{}", name[..1].to_ascii_lowercase(), &name[1..]));
        let row: &'static TypeInfo = Box::leak(Box::new(TypeInfo {
            entity_type,
            name,
            token,
            ansi_colour: DEFINED_COLOURS[at % DEFINED_COLOURS.len()],
            corpus_labels: &[],
            umls_semantic_types: &[],
            description: leak(description.trim().to_string()),
        }));
        defined.push(row);
        Ok(entity_type)
    }

    /// The type of this name (built-in or defined, ignoring case), defining it when it is new:
    /// how a model bundle's manifest or a training config brings the types it names into the
    /// process.
    pub fn named(name: &str) -> Result<EntityType, TypeDefinitionError> {
        match name.parse() {
            Ok(t) => Ok(t),
            Err(UnknownEntityType(_)) => EntityType::define(name, ""),
        }
    }

    /// This type's row: of [`EntityType::BUILT_IN_TABLE`], or the one [`EntityType::define`]
    /// made.
    pub fn info(self) -> &'static TypeInfo {
        match EntityType::BUILT_IN_TABLE.get(usize::from(self.0)) {
            Some(row) => row,
            None => {
                let defined = DEFINED.read().unwrap_or_else(|e| e.into_inner());
                // An EntityType beyond the built-ins is only made by `define`, which pushed its row.
                defined[usize::from(self.0) - EntityType::BUILT_IN.len()]
            }
        }
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// This type's position in [`EntityType::all`] (for a built-in type, also in
    /// [`EntityType::BUILT_IN`] and its row of [`EntityType::BUILT_IN_TABLE`]).
    pub fn ordinal(self) -> usize {
        usize::from(self.0)
    }

    /// The type a corpus's type name means (case-insensitive): a built-in type's corpus label,
    /// or a defined type's name; `None` when it is not tagged.
    pub fn from_corpus_label(label: &str) -> Option<EntityType> {
        let lower = label.to_ascii_lowercase();
        EntityType::BUILT_IN_TABLE
            .iter()
            .find(|row| row.corpus_labels.contains(&lower.as_str()))
            .map(|row| row.entity_type)
            .or_else(|| label.parse().ok().filter(|t: &EntityType| !t.is_built_in()))
    }

    /// The type of a UMLS semantic type (TUI); `None` for semantic types BioScope does not tag.
    pub fn from_umls_semantic_type(tui: &str) -> Option<EntityType> {
        EntityType::BUILT_IN_TABLE
            .iter()
            .find(|row| row.umls_semantic_types.contains(&tui))
            .map(|row| row.entity_type)
    }
}

/// The rows of the types defined in this process, in definition order (leaked: a process
/// defines at most [`EntityType::MAX_DEFINED`], each a few dozen bytes).
static DEFINED: RwLock<Vec<&'static TypeInfo>> = RwLock::new(Vec::new());

/// Terminal colours of defined types, in turn (the built-in types use the others).
const DEFINED_COLOURS: [&str; 6] = ["1;94", "1;95", "1;96", "1;92", "1;91", "1;90"];

/// Why [`EntityType::define`] refused a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeDefinitionError {
    #[error("cannot define entity type `{name}`: {why}")]
    Name { name: String, why: String },
    #[error("cannot define entity type `{name}`: it is the built-in type {built_in}")]
    BuiltIn {
        name: String,
        built_in: &'static str,
    },
    #[error("cannot define more than {} entity types", EntityType::MAX_DEFINED)]
    TooMany,
}

impl fmt::Debug for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for EntityType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for EntityType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type names, for error messages: "Gene, Disease, …".
fn type_names() -> String {
    EntityType::all()
        .into_iter()
        .map(EntityType::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Error for a name that is neither a built-in type nor a defined one.
#[derive(Debug, thiserror::Error)]
#[error("unknown entity type `{0}`: expected one of {names}", names = type_names())]
pub struct UnknownEntityType(pub String);

impl FromStr for EntityType {
    type Err = UnknownEntityType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let named = |row: &TypeInfo| row.name.eq_ignore_ascii_case(s);
        if let Some(row) = EntityType::BUILT_IN_TABLE.iter().find(|row| named(row)) {
            return Ok(row.entity_type);
        }
        let defined = DEFINED.read().unwrap_or_else(|e| e.into_inner());
        defined
            .iter()
            .find(|row| named(row))
            .map(|row| row.entity_type)
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
        for (i, row) in EntityType::BUILT_IN_TABLE.iter().enumerate() {
            assert_eq!(row.entity_type.ordinal(), i, "{row:?}");
            assert_eq!(EntityType::BUILT_IN[i], row.entity_type);
            assert_eq!(row.entity_type.info().name, row.name);
            assert_eq!(row.name.parse::<EntityType>().unwrap(), row.entity_type);
            assert_eq!(
                EntityType::from_corpus_label(&row.name.to_uppercase()),
                Some(row.entity_type),
                "a type's own name is one of its corpus labels"
            );
        }
        let column = |get: fn(&TypeInfo) -> &'static str| {
            let values: std::collections::HashSet<_> =
                EntityType::BUILT_IN_TABLE.iter().map(get).collect();
            values.len()
        };
        assert_eq!(column(|row| row.name), EntityType::BUILT_IN_TABLE.len());
        assert_eq!(column(|row| row.token), EntityType::BUILT_IN_TABLE.len());
        assert_eq!(
            column(|row| row.ansi_colour),
            EntityType::BUILT_IN_TABLE.len()
        );
        let mut labels = std::collections::HashSet::new();
        let mut tuis = std::collections::HashSet::new();
        for row in &EntityType::BUILT_IN_TABLE {
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
        // Other tests may have defined types, which the message lists after the built-ins.
        assert!("Protein"
            .parse::<EntityType>()
            .unwrap_err()
            .to_string()
            .starts_with("unknown entity type `Protein`: expected one of Gene, Disease, Chemical, Species, CellLine, CellType, Variant"));
    }

    #[test]
    fn defined_types_are_data_like_the_built_in_ones() {
        let organ = EntityType::define("Organ", " A body part with a function. ").unwrap();
        assert!(!organ.is_built_in() && EntityType::Gene.is_built_in());
        assert_eq!(organ.name(), "Organ");
        assert_eq!(organ.info().token, "organ");
        assert_eq!(organ.info().description, "A body part with a function.");
        assert_eq!(organ.to_string(), "Organ");
        assert_eq!(format!("{organ:?}"), "Organ");
        assert_eq!(
            EntityType::define("ORGAN", "").unwrap(),
            organ,
            "one type per name"
        );
        assert_eq!("organ".parse::<EntityType>().unwrap(), organ);
        assert!(EntityType::all().contains(&organ));
        assert_eq!(EntityType::all()[..7], EntityType::BUILT_IN);
        assert!(organ.info().ansi_colour != EntityType::Gene.info().ansi_colour);
        // Labels, serde and the scheme treat it like any type.
        let scheme = LabelScheme::new(&[EntityType::Gene, organ]);
        assert_eq!(
            scheme.label_strings(),
            ["O", "B-Gene", "I-Gene", "B-Organ", "I-Organ"]
        );
        assert_eq!("I-Organ".parse::<Tag>().unwrap(), Tag::Inside(organ));
        assert_eq!(serde_json::to_string(&organ).unwrap(), "\"Organ\"");
        assert_eq!(
            serde_json::from_str::<EntityType>("\"Organ\"").unwrap(),
            organ
        );
        assert_eq!(
            serde_json::to_string(&EntityType::CellLine).unwrap(),
            "\"CellLine\""
        );
        assert!(serde_json::from_str::<EntityType>("\"Tissue_never_defined\"").is_err());
        // A corpus or a bundle that names a defined type means it; `named` defines new names.
        assert_eq!(EntityType::from_corpus_label("ORGAN"), Some(organ));
        assert_eq!(EntityType::from_corpus_label("Tissue_never_defined"), None);
        let tissue = EntityType::named("Tissue_named").unwrap();
        assert_eq!(EntityType::named("tissue_NAMED").unwrap(), tissue);
        assert_eq!(EntityType::named("disease").unwrap(), EntityType::Disease);
        assert!(EntityType::named("not a name").is_err());
    }

    #[test]
    fn bad_or_clashing_type_names_are_refused_with_a_reason() {
        let refused = |name: &str| EntityType::define(name, "").unwrap_err().to_string();
        assert_eq!(
            refused("gene"),
            "cannot define entity type `gene`: it is the built-in type Gene"
        );
        assert!(refused("").contains("must begin with an ASCII letter"));
        assert!(refused("3D_structure").contains("must begin with an ASCII letter"));
        assert!(refused("Cell component").contains("only ASCII letters, digits and underscores"));
        assert!(refused(&"A".repeat(41)).contains("at most 40"));
        assert!(EntityType::define("Cellular_component", "").is_ok());
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
