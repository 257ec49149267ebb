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

impl EntityType {
    pub const ALL: [EntityType; 7] = [
        EntityType::Gene,
        EntityType::Disease,
        EntityType::Chemical,
        EntityType::Species,
        EntityType::CellLine,
        EntityType::CellType,
        EntityType::Variant,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EntityType::Gene => "Gene",
            EntityType::Disease => "Disease",
            EntityType::Chemical => "Chemical",
            EntityType::Species => "Species",
            EntityType::CellLine => "CellLine",
            EntityType::CellType => "CellType",
            EntityType::Variant => "Variant",
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for a name that is not one of [`EntityType::ALL`].
#[derive(Debug, thiserror::Error)]
#[error("unknown entity type `{0}`: expected one of Gene, Disease, Chemical, Species, CellLine, CellType, Variant")]
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
