//! Concepts: a database identifier with its type, preferred name, a few synonyms and its
//! cross-references to other databases.

use std::fmt;

use bioscope_core::EntityType;

/// NCBI Taxonomy ids of the organisms the lexicon's genes belong to.
pub const HUMAN: u32 = 9606;
pub const MOUSE: u32 = 10090;
pub const RAT: u32 = 10116;

/// The scientific names of the genes' organisms, for display.
pub const GENE_ORGANISMS: [(u32, &str); 3] = [
    (HUMAN, "Homo sapiens"),
    (MOUSE, "Mus musculus"),
    (RAT, "Rattus norvegicus"),
];

/// The databases whose identifiers BioScope reports. The order is the on-disk code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    Mesh,
    Omim,
    Umls,
    Mondo,
    Doid,
    Chebi,
    DrugBank,
    NcbiGene,
    Hgnc,
    UniProt,
    Mgi,
    Rgd,
    FamPlex,
    NcbiTaxon,
    Cellosaurus,
    CellOntology,
}

/// What BioScope knows about one namespace. [`Namespace::TABLE`] holds one row per namespace, in
/// the order of their on-disk codes: identifiers are parsed, written, linked and packed from it.
#[derive(Clone, Copy, Debug)]
pub struct NamespaceInfo {
    pub namespace: Namespace,
    /// The prefix in compact identifiers (`MESH:D003920`, `NCBIGene:672`).
    pub prefix: &'static str,
    /// A human-readable database name for hovers.
    pub label: &'static str,
    /// The prefixes the sources' cross-reference columns use, upper-case (parsing is
    /// case-insensitive).
    pub prefixes: &'static [&'static str],
    /// A resolvable link is this followed by the local part (identifiers.org where it resolves
    /// the namespace).
    pub url: &'static str,
    /// PubTator-style tools write the local part alone (NCBI Gene, Taxonomy, Cellosaurus).
    pub pubtator_bare: bool,
    /// The organism every identifier of this namespace belongs to (MGI: mouse, RGD: rat).
    pub implied_species: Option<u32>,
    /// The compact numeric form of its identifiers in the lexicon file ([`packed`]).
    pub packing: Packing,
}

/// How a namespace's identifiers pack into a number ([`packed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    /// Not packed: the concept keeps a record.
    None,
    /// A decimal number (`672`).
    Decimal,
    /// `CVCL_` and four base-36 characters.
    Cellosaurus,
    /// `C` or `D` and a fixed number of digits.
    Mesh,
}

impl Namespace {
    /// One row per namespace, in declaration (on-disk code) order.
    pub const TABLE: [NamespaceInfo; 16] = [
        NamespaceInfo {
            namespace: Namespace::Mesh,
            prefix: "MESH",
            label: "MeSH",
            prefixes: &["MESH", "MSH"],
            url: "https://identifiers.org/mesh:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::Mesh,
        },
        NamespaceInfo {
            namespace: Namespace::Omim,
            prefix: "OMIM",
            label: "OMIM",
            prefixes: &["OMIM", "MIM"],
            url: "https://identifiers.org/mim:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::Umls,
            prefix: "UMLS",
            label: "UMLS CUI",
            prefixes: &["UMLS", "UMLS_CUI"],
            url: "https://uts.nlm.nih.gov/uts/umls/concept/",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::Mondo,
            prefix: "MONDO",
            label: "MONDO",
            prefixes: &["MONDO"],
            url: "https://identifiers.org/MONDO:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::Doid,
            prefix: "DOID",
            label: "Disease Ontology",
            prefixes: &["DOID"],
            url: "https://identifiers.org/DOID:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::Chebi,
            prefix: "CHEBI",
            label: "ChEBI",
            prefixes: &["CHEBI"],
            url: "https://identifiers.org/CHEBI:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::Decimal,
        },
        NamespaceInfo {
            namespace: Namespace::DrugBank,
            prefix: "DrugBank",
            label: "DrugBank",
            prefixes: &["DRUGBANK"],
            url: "https://identifiers.org/drugbank:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::NcbiGene,
            prefix: "NCBIGene",
            label: "NCBI Gene",
            prefixes: &["NCBIGENE", "EGID"],
            url: "https://identifiers.org/ncbigene:",
            pubtator_bare: true,
            implied_species: None,
            packing: Packing::Decimal,
        },
        NamespaceInfo {
            namespace: Namespace::Hgnc,
            prefix: "HGNC",
            label: "HGNC",
            prefixes: &["HGNC"],
            url: "https://identifiers.org/hgnc:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::UniProt,
            prefix: "UniProt",
            label: "UniProt",
            prefixes: &["UNIPROT", "UP"],
            url: "https://identifiers.org/uniprot:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::Mgi,
            prefix: "MGI",
            label: "MGI",
            prefixes: &["MGI"],
            url: "https://identifiers.org/MGI:",
            pubtator_bare: false,
            implied_species: Some(10090),
            packing: Packing::Decimal,
        },
        NamespaceInfo {
            namespace: Namespace::Rgd,
            prefix: "RGD",
            label: "RGD",
            prefixes: &["RGD"],
            url: "https://identifiers.org/rgd:",
            pubtator_bare: false,
            implied_species: Some(10116),
            packing: Packing::Decimal,
        },
        NamespaceInfo {
            namespace: Namespace::FamPlex,
            prefix: "FPLX",
            label: "FamPlex",
            prefixes: &["FPLX"],
            url: "https://identifiers.org/fplx:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
        NamespaceInfo {
            namespace: Namespace::NcbiTaxon,
            prefix: "NCBITaxon",
            label: "NCBI Taxonomy",
            prefixes: &["NCBITAXON", "TAXONOMY"],
            url: "https://identifiers.org/taxonomy:",
            pubtator_bare: true,
            implied_species: None,
            packing: Packing::Decimal,
        },
        NamespaceInfo {
            namespace: Namespace::Cellosaurus,
            prefix: "Cellosaurus",
            label: "Cellosaurus",
            prefixes: &["CELLOSAURUS", "CVCL"],
            url: "https://identifiers.org/cellosaurus:",
            pubtator_bare: true,
            implied_species: None,
            packing: Packing::Cellosaurus,
        },
        NamespaceInfo {
            namespace: Namespace::CellOntology,
            prefix: "CL",
            label: "Cell Ontology",
            prefixes: &["CL"],
            url: "https://identifiers.org/CL:",
            pubtator_bare: false,
            implied_species: None,
            packing: Packing::None,
        },
    ];

    /// Every namespace, in on-disk code order.
    pub const ALL: [Namespace; 16] = {
        let mut all = [Namespace::Mesh; 16];
        let mut i = 0;
        while i < all.len() {
            all[i] = Namespace::TABLE[i].namespace;
            i += 1;
        }
        all
    };

    /// This namespace's row of [`Namespace::TABLE`].
    pub fn info(self) -> &'static NamespaceInfo {
        // The table is in declaration order (a unit test checks it).
        &Namespace::TABLE[self as usize]
    }

    /// The prefix in compact identifiers (`MESH:D003920`, `NCBIGene:672`); Cellosaurus
    /// accessions carry their own `CVCL_` prefix and are written bare.
    pub fn prefix(self) -> &'static str {
        self.info().prefix
    }

    /// A human-readable database name for hovers.
    pub fn label(self) -> &'static str {
        self.info().label
    }

    /// The organism every identifier of this namespace belongs to (MGI: mouse, RGD: rat).
    pub fn implied_species(self) -> Option<u32> {
        self.info().implied_species
    }

    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_code(code: u8) -> Option<Namespace> {
        Namespace::ALL.get(code as usize).copied()
    }

    /// Parses a prefix as written in the sources' cross-reference columns (case-insensitive;
    /// `UMLS_CUI`, `MIM` and `NCBITaxon` spellings included).
    pub fn from_prefix(prefix: &str) -> Option<Namespace> {
        let prefix = prefix.to_ascii_uppercase();
        Namespace::TABLE
            .iter()
            .find(|row| row.prefixes.contains(&prefix.as_str()))
            .map(|row| row.namespace)
    }
}

/// A database identifier: namespace plus the local part (`D003920`, `672`, `CVCL_0030`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConceptId {
    pub namespace: Namespace,
    pub local: String,
}

impl ConceptId {
    pub fn new(namespace: Namespace, local: impl Into<String>) -> ConceptId {
        ConceptId {
            namespace,
            local: local.into(),
        }
    }

    /// Parses `PREFIX:local` (or a bare `CVCL_…` accession).
    pub fn parse(text: &str) -> Option<ConceptId> {
        let text = text.trim();
        if text.starts_with("CVCL_") {
            return Some(ConceptId::new(Namespace::Cellosaurus, text));
        }
        let (prefix, local) = text.split_once(':')?;
        let namespace = Namespace::from_prefix(prefix)?;
        let local = local.trim();
        if local.is_empty() {
            return None;
        }
        // Some sources repeat the prefix inside the local part (`HGNC:HGNC:5`, `MGI:MGI:123`).
        let local = local.strip_prefix(&format!("{}:", prefix)).unwrap_or(local);
        Some(ConceptId::new(namespace, local))
    }

    /// The identifier as PubTator-style tools write it: MeSH `MESH:D003920`, NCBI Gene and
    /// Taxonomy bare numbers, Cellosaurus bare `CVCL_…`, others `PREFIX:local`.
    pub fn pubtator(&self) -> String {
        if self.namespace.info().pubtator_bare {
            self.local.clone()
        } else {
            self.to_string()
        }
    }

    /// A resolvable link for the identifier (identifiers.org where it resolves the namespace).
    pub fn url(&self) -> String {
        format!("{}{}", self.namespace.info().url, self.local)
    }
}

impl fmt::Display for ConceptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.namespace {
            Namespace::Cellosaurus => f.write_str(&self.local),
            namespace => write!(f, "{}:{}", namespace.prefix(), self.local),
        }
    }
}

/// How a name relates to its concept; better kinds rank first among equal matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    /// The preferred name or official symbol.
    Preferred = 0,
    /// A synonym or entry term.
    Synonym = 1,
    /// An alias or previous symbol, or a generated variant: more often ambiguous.
    Weak = 2,
    /// A mention text that annotators of a training corpus normalized to the concept most
    /// often: the curated convention, ranked first.
    Annotated = 3,
}

impl NameKind {
    pub(crate) fn from_code(code: u32) -> NameKind {
        match code {
            0 => NameKind::Preferred,
            1 => NameKind::Synonym,
            2 => NameKind::Weak,
            _ => NameKind::Annotated,
        }
    }
}

/// One concept as stored in a lexicon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Concept {
    pub id: ConceptId,
    pub entity_type: EntityType,
    pub name: String,
    /// A few synonyms for display (the lexicon knows `synonym_count` in all).
    pub synonyms: Vec<String>,
    pub synonym_count: u32,
    pub xrefs: Vec<ConceptId>,
    /// For a concept without a MeSH heading: the heading of its nearest ancestor that has one.
    pub broader: Option<ConceptId>,
    /// NCBI Taxonomy id of the organism, for genes.
    pub species: Option<u32>,
}

impl Concept {
    /// The identifier that PubTator-style annotations carry for this concept: MeSH for
    /// diseases and chemicals (its own, a cross-reference, else its broader heading), NCBI Gene
    /// for genes, else its own.
    pub fn annotation_id(&self) -> &ConceptId {
        let preferred = match self.entity_type {
            EntityType::Disease | EntityType::Chemical => Namespace::Mesh,
            EntityType::Gene => Namespace::NcbiGene,
            _ => self.id.namespace,
        };
        self.id_in(preferred)
            .or(self.broader.as_ref().filter(|b| b.namespace == preferred))
            .unwrap_or(&self.id)
    }

    /// The cross-references that are identifiers of this concept's own organism: a human
    /// gene's mouse (MGI) or rat (RGD) orthologue is left out.
    pub fn own_xrefs(&self) -> impl Iterator<Item = &ConceptId> {
        self.xrefs.iter().filter(
            move |x| match (x.namespace.implied_species(), self.species) {
                (Some(theirs), Some(ours)) => theirs == ours,
                _ => true,
            },
        )
    }

    /// The concept's identifier in `namespace`: its own or a cross-reference.
    pub fn id_in(&self, namespace: Namespace) -> Option<&ConceptId> {
        std::iter::once(&self.id)
            .chain(&self.xrefs)
            .find(|id| id.namespace == namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_parse_and_print() {
        assert_eq!(
            ConceptId::from_corpus("D003920", EntityType::Disease),
            ConceptId::parse("MESH:D003920")
        );
        assert_eq!(
            ConceptId::from_corpus("562", EntityType::Species),
            ConceptId::parse("NCBITaxon:562")
        );
        assert_eq!(
            ConceptId::from_corpus("Taxonomy:562", EntityType::Species),
            ConceptId::parse("NCBITaxon:562")
        );
        assert_eq!(ConceptId::from_corpus("-1", EntityType::Chemical), None);
        let mesh = ConceptId::parse("MESH:D003920").unwrap();
        assert_eq!(mesh, ConceptId::new(Namespace::Mesh, "D003920"));
        assert_eq!(mesh.to_string(), "MESH:D003920");
        assert_eq!(mesh.pubtator(), "MESH:D003920");
        assert_eq!(mesh.url(), "https://identifiers.org/mesh:D003920");
        let gene = ConceptId::parse("NCBIGene:672").unwrap();
        assert_eq!(gene.pubtator(), "672");
        assert_eq!(ConceptId::parse("HGNC:HGNC:5").unwrap().local, "5");
        assert_eq!(
            ConceptId::parse("UMLS_CUI:C0012634").unwrap().namespace,
            Namespace::Umls
        );
        let line = ConceptId::parse("CVCL_0030").unwrap();
        assert_eq!(line.to_string(), "CVCL_0030");
        assert_eq!(line.pubtator(), "CVCL_0030");
        assert_eq!(ConceptId::parse("ICD9:799.9"), None);
        for namespace in Namespace::ALL {
            assert_eq!(Namespace::from_code(namespace.code()), Some(namespace));
        }
        let mut prefixes = std::collections::HashSet::new();
        for (i, row) in Namespace::TABLE.iter().enumerate() {
            assert_eq!(row.namespace as usize, i, "{row:?}");
            assert_eq!(Namespace::from_prefix(row.prefix), Some(row.namespace));
            for p in row.prefixes {
                assert_eq!(p.to_ascii_uppercase(), *p);
                assert!(prefixes.insert(p), "prefix {p} names two namespaces");
            }
        }
    }
}

/// Compact numeric forms of identifiers, so that a concept with a single name and nothing else
/// to say is stored in its index entry alone (no record). `None` when the identifier has no
/// such form; decoding gives back exactly the same identifier.
pub(crate) mod packed {
    use super::{ConceptId, Namespace, Packing};

    /// Payloads are at most this many bits.
    pub const PAYLOAD_BITS: u32 = 50;

    fn decimal(local: &str) -> Option<u64> {
        let value: u64 = local.parse().ok()?;
        (value.to_string() == local && value < 1 << PAYLOAD_BITS).then_some(value)
    }

    const BASE36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    pub fn encode(id: &ConceptId) -> Option<u64> {
        let local = id.local.as_str();
        match id.namespace.info().packing {
            Packing::Decimal => decimal(local),
            Packing::Cellosaurus => {
                let code = local.strip_prefix("CVCL_")?;
                if code.len() != 4 {
                    return None;
                }
                code.bytes().try_fold(0u64, |acc, b| {
                    let digit = BASE36.iter().position(|c| *c == b)? as u64;
                    Some(acc * 36 + digit)
                })
            }
            Packing::Mesh => {
                // A letter (C or D), then a fixed number of digits.
                let letter = match local.as_bytes().first()? {
                    b'C' => 0,
                    b'D' => 1,
                    _ => return None,
                };
                let digits = &local[1..];
                if digits.is_empty()
                    || digits.len() > 12
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                let number: u64 = digits.parse().ok()?;
                Some((number << 5) | ((digits.len() as u64) << 1) | letter)
            }
            Packing::None => None,
        }
    }

    pub fn decode(namespace: Namespace, payload: u64) -> Option<ConceptId> {
        let local = match namespace.info().packing {
            Packing::Decimal => payload.to_string(),
            Packing::Cellosaurus => {
                let mut code = [0u8; 4];
                let mut rest = payload;
                for slot in code.iter_mut().rev() {
                    *slot = BASE36[(rest % 36) as usize];
                    rest /= 36;
                }
                format!("CVCL_{}", std::str::from_utf8(&code).ok()?)
            }
            Packing::Mesh => {
                let letter = if payload & 1 == 0 { 'C' } else { 'D' };
                let width = ((payload >> 1) & 0xf) as usize;
                format!("{letter}{:0width$}", payload >> 5)
            }
            Packing::None => return None,
        };
        Some(ConceptId::new(namespace, local))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn packed_identifiers_round_trip() {
            for id in [
                "NCBITaxon:9606",
                "CHEBI:15377",
                "Cellosaurus:CVCL_0030",
                "Cellosaurus:CVCL_ZZ9A",
                "MESH:D003920",
                "MESH:C000589256",
                "NCBIGene:672",
            ] {
                let id = ConceptId::parse(id).unwrap();
                let payload = encode(&id).unwrap();
                assert!(payload < 1 << PAYLOAD_BITS);
                assert_eq!(decode(id.namespace, payload), Some(id));
            }
            assert_eq!(encode(&ConceptId::new(Namespace::NcbiTaxon, "0123")), None);
            assert_eq!(encode(&ConceptId::new(Namespace::Mondo, "0000001")), None);
            assert_eq!(
                encode(&ConceptId::new(Namespace::Cellosaurus, "CVCL_12345")),
                None
            );
        }
    }
}

impl ConceptId {
    /// Reads an identifier as annotated corpora write it for a mention of `entity_type`: bare
    /// MeSH (`D003920`, `C535338`), bare NCBI Gene and Taxonomy numbers, `Taxonomy:562`,
    /// `OMIM:…`, `CVCL_…`. `None` for "no identifier" markers such as `-1`.
    pub fn from_corpus(text: &str, entity_type: EntityType) -> Option<ConceptId> {
        let text = text.trim();
        if text.is_empty() || text == "-1" || text == "-" {
            return None;
        }
        if let Some(id) = ConceptId::parse(text) {
            return Some(id);
        }
        let bytes = text.as_bytes();
        if bytes.iter().all(u8::is_ascii_digit) {
            let namespace = match entity_type {
                EntityType::Gene => Namespace::NcbiGene,
                EntityType::Species => Namespace::NcbiTaxon,
                EntityType::Disease => Namespace::Omim,
                _ => return None,
            };
            return Some(ConceptId::new(namespace, text));
        }
        if matches!(bytes[0], b'C' | b'D') && bytes[1..].iter().all(u8::is_ascii_digit) {
            return Some(ConceptId::new(Namespace::Mesh, text));
        }
        None
    }
}
