//! Entities as LSP semantic tokens: the legend (one token type per built-in entity type, the
//! lab-report profile's types, then reserved slots for the user's own types; modifiers), the relative encoding with spans split per line,
//! and deltas between two encodings.

use bioscope_analysis::DecidedEntity;
use bioscope_core::EntityType;
use bioscope_lexicon::abbreviations::Abbreviations;
use ropey::Rope;
use tower_lsp_server::ls_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensEdit,
    SemanticTokensLegend,
};

use crate::position::{to_position, PositionEncoding};

/// Modifier bit of a mention whose confidence is below the threshold.
pub const UNCERTAIN: u32 = 1 << 0;
/// Modifier bit of a mention the user decided (accepted, retyped, resized or tagged).
pub const CORRECTED: u32 = 1 << 1;
/// A short form that the document defines ("TNF" after "tumour necrosis factor (TNF)").
pub const ABBREVIATION: u32 = 1 << 2;

/// Modifier bit of a lab value outside its reference interval (the lab-report profile).
pub const OUT_OF_RANGE: u32 = 1 << 3;
/// Modifier bit of a lab value outside what is physiologically possible.
pub const IMPLAUSIBLE: u32 = 1 << 4;

/// The lab-report profile's token types, after the entity types in the legend.
pub const LAB_TOKEN_TYPES: [&str; 3] = ["biomarker", "labValue", "labUnit"];

/// The slots of the user's own types (`bioscope.customTypes`), after the lab types: the n-th
/// declared type is coloured as `customTypeN`. The legend is fixed at initialization, so types
/// declared later still have a place; editors colour the slots (VS Code through their
/// super-types and scopes, Neovim through `@lsp.type.customTypeN` links).
pub const CUSTOM_TOKEN_TYPES: [&str; crate::settings::MAX_CUSTOM_TYPES] = [
    "customType1",
    "customType2",
    "customType3",
    "customType4",
    "customType5",
    "customType6",
    "customType7",
    "customType8",
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: EntityType::BUILT_IN
            .iter()
            .map(|&t| t.info().token)
            .chain(LAB_TOKEN_TYPES)
            .chain(CUSTOM_TOKEN_TYPES)
            .map(SemanticTokenType::new)
            .collect(),
        token_modifiers: vec![
            SemanticTokenModifier::new("uncertain"),
            SemanticTokenModifier::new("corrected"),
            SemanticTokenModifier::new("abbreviation"),
            SemanticTokenModifier::new("outOfRange"),
            SemanticTokenModifier::new("implausible"),
        ],
    }
}

/// The type's index in the legend: a built-in type's place ([`EntityType::BUILT_IN_TABLE`] is
/// in declaration order), or the slot of its place in `custom` (the declared types); `None`
/// for a type with neither (a bundle's own type the user did not declare).
pub fn type_index(t: EntityType, custom: &[EntityType]) -> Option<u32> {
    if t.is_built_in() {
        return Some(t.ordinal() as u32);
    }
    let slot = custom
        .iter()
        .take(CUSTOM_TOKEN_TYPES.len())
        .position(|&c| c == t)?;
    Some((EntityType::BUILT_IN.len() + LAB_TOKEN_TYPES.len() + slot) as u32)
}

/// The legend index of a lab token type (one of [`LAB_TOKEN_TYPES`]).
pub fn lab_type_index(name: &str) -> u32 {
    let at = LAB_TOKEN_TYPES
        .iter()
        .position(|t| *t == name)
        .expect("a lab token type");
    (EntityType::BUILT_IN.len() + at) as u32
}

/// One span to colour: its bytes, legend type and modifier bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colored {
    pub range: std::ops::Range<usize>,
    pub token_type: u32,
    pub modifiers: u32,
}

/// Tokens for `entities` (byte spans in `rope`'s text, sorted, disjoint), one per line an
/// entity touches, in the negotiated encoding; a user-decided mention is `corrected`, another
/// below `threshold` is `uncertain`; a short form the document defines is also `abbreviation`.
/// `custom` are the user's declared types, in slot order; a mention of a type without a place
/// in the legend is left out.
pub fn encode(
    rope: &Rope,
    entities: &[DecidedEntity],
    threshold: f32,
    abbreviations: &Abbreviations,
    custom: &[EntityType],
    encoding: PositionEncoding,
) -> Vec<SemanticToken> {
    let spans: Vec<Colored> = entities
        .iter()
        .filter_map(|e| {
            let token_type = type_index(e.entity_type, custom)?;
            let mut modifiers = if e.corrected {
                CORRECTED
            } else if e.score < threshold {
                UNCERTAIN
            } else {
                0
            };
            if !abbreviations.is_empty() {
                let end = e.end.min(rope.len_bytes());
                let text: String = rope.byte_slice(e.start.min(end)..end).into();
                if abbreviations.expand(&text).is_some() {
                    modifiers |= ABBREVIATION;
                }
            }
            Some(Colored {
                range: e.start..e.end,
                token_type,
                modifiers,
            })
        })
        .collect();
    encode_spans(rope, &spans, encoding)
}

/// Tokens for `spans` (sorted by start), one per line a span touches, in the negotiated
/// encoding; overlapping or out-of-range parts are left out, so tokens never overlap.
pub fn encode_spans(
    rope: &Rope,
    spans: &[Colored],
    encoding: PositionEncoding,
) -> Vec<SemanticToken> {
    let mut tokens = Vec::new();
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    let mut last_end = 0usize;
    let len = rope.len_bytes();
    for span in spans {
        let (start, end) = (
            span.range.start.max(last_end).min(len),
            span.range.end.min(len),
        );
        if start >= end {
            continue; // overlapping or out of range: never emit overlapping tokens
        }
        last_end = end;
        let mut seg_start = start;
        while seg_start < end {
            let line = rope.byte_to_line(seg_start);
            let line_end = if line + 1 < rope.len_lines() {
                rope.line_to_byte(line + 1)
            } else {
                len
            };
            let seg_end = end.min(line_end);
            let text: String = rope.byte_slice(seg_start..seg_end).into();
            let text = text.trim_end_matches(['\n', '\r']);
            let pos = to_position(rope, seg_start, encoding);
            if !text.is_empty() {
                let delta_line = pos.line - prev_line;
                let delta_start = if delta_line == 0 {
                    pos.character - prev_start
                } else {
                    pos.character
                };
                tokens.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length: encoding.len(text),
                    token_type: span.token_type,
                    token_modifiers_bitset: span.modifiers,
                });
                (prev_line, prev_start) = (pos.line, pos.character);
            }
            seg_start = seg_end;
        }
    }
    tokens
}

/// The flat integer form of tokens, for deltas.
pub fn flatten(tokens: &[SemanticToken]) -> Vec<u32> {
    tokens
        .iter()
        .flat_map(|t| {
            [
                t.delta_line,
                t.delta_start,
                t.length,
                t.token_type,
                t.token_modifiers_bitset,
            ]
        })
        .collect()
}

/// One edit turning `old` into `new` (flat integer arrays): the differing middle between the
/// common prefix and suffix, in whole tokens. Empty when they are equal.
pub fn delta(old: &[u32], new: &[u32]) -> Vec<SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count() / 5 * 5;
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count()
        / 5
        * 5;
    if prefix == old.len() && prefix == new.len() {
        return Vec::new();
    }
    let inserted = &new[prefix..new.len() - suffix];
    vec![SemanticTokensEdit {
        start: prefix as u32,
        delete_count: (old.len() - suffix - prefix) as u32,
        data: Some(
            inserted
                .chunks(5)
                .map(|c| SemanticToken {
                    delta_line: c[0],
                    delta_start: c[1],
                    length: c[2],
                    token_type: c[3],
                    token_modifiers_bitset: c[4],
                })
                .collect(),
        ),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(start: usize, end: usize, t: EntityType, score: f32) -> DecidedEntity {
        DecidedEntity {
            start,
            end,
            entity_type: t,
            score,
            corrected: false,
        }
    }

    #[test]
    fn short_forms_the_document_defines_are_abbreviations() {
        let text = "tumour necrosis factor (TNF) and TNF again, and IL6";
        let rope = Rope::from_str(text);
        let at = |needle: &str, nth: usize| text.match_indices(needle).nth(nth).unwrap().0;
        let entities = [
            entity(0, 22, EntityType::Gene, 0.9),
            entity(at("TNF", 0), at("TNF", 0) + 3, EntityType::Gene, 0.9),
            entity(at("TNF", 1), at("TNF", 1) + 3, EntityType::Gene, 0.2),
            entity(at("IL6", 0), at("IL6", 0) + 3, EntityType::Gene, 0.9),
        ];
        let abbreviations = Abbreviations::from_text(text);
        let tokens = encode(
            &rope,
            &entities,
            0.5,
            &abbreviations,
            &[],
            PositionEncoding::Utf8,
        );
        let modifiers: Vec<u32> = tokens.iter().map(|t| t.token_modifiers_bitset).collect();
        assert_eq!(
            modifiers,
            vec![0, ABBREVIATION, ABBREVIATION | UNCERTAIN, 0]
        );
    }

    #[test]
    fn entities_become_relative_tokens_split_per_line() {
        let text = "😀 BRCA1 in breast\ncancer and TP53";
        let rope = Rope::from_str(text);
        let b = text.find("BRCA1").unwrap();
        let d = text.find("breast").unwrap();
        let t = text.find("TP53").unwrap();
        let entities = [
            entity(b, b + 5, EntityType::Gene, 0.9),
            entity(
                d,
                text.find("cancer").unwrap() + 6,
                EntityType::Disease,
                0.3,
            ),
            entity(t, t + 4, EntityType::Gene, 0.99),
        ];
        let tokens = encode(
            &rope,
            &entities,
            0.5,
            &Abbreviations::default(),
            &[],
            PositionEncoding::Utf16,
        );
        let flat = flatten(&tokens);
        let gene = type_index(EntityType::Gene, &[]).unwrap();
        let disease = type_index(EntityType::Disease, &[]).unwrap();
        assert_eq!(
            flat,
            vec![
                0, 3, 5, gene, 0, // BRCA1 after the two-unit emoji and a space
                0, 9, 6, disease, UNCERTAIN, // "breast", first line of the mention
                1, 0, 6, disease, UNCERTAIN, // "cancer", its second line
                0, 11, 4, gene, 0,
            ]
        );
        // UTF-8 columns count bytes: the emoji is four.
        let utf8 = flatten(&encode(
            &rope,
            &entities[..1],
            0.5,
            &Abbreviations::default(),
            &[],
            PositionEncoding::Utf8,
        ));
        assert_eq!(utf8[..3], [0, 5, 5]);
    }

    #[test]
    fn declared_types_take_the_slots_after_the_lab_types() {
        let organ = EntityType::define("Organ", "").unwrap();
        let assay = EntityType::define("Assay", "").unwrap();
        let lab_end = (EntityType::BUILT_IN.len() + LAB_TOKEN_TYPES.len()) as u32;
        assert_eq!(type_index(assay, &[organ, assay]), Some(lab_end + 1));
        assert_eq!(type_index(organ, &[organ, assay]), Some(lab_end));
        assert_eq!(type_index(organ, &[]), None, "undeclared: no colour");
        let names: Vec<String> = legend()
            .token_types
            .iter()
            .map(|t| t.as_str().to_string())
            .collect();
        assert_eq!(names[lab_end as usize + 1], "customType2");
        let rope = Rope::from_str("liver and BRCA1");
        let entities = [
            entity(0, 5, organ, 0.9),
            entity(10, 15, EntityType::Gene, 0.9),
        ];
        let shown = |custom: &[EntityType]| {
            flatten(&encode(
                &rope,
                &entities,
                0.5,
                &Abbreviations::default(),
                custom,
                PositionEncoding::Utf8,
            ))
        };
        assert_eq!(shown(&[organ])[3], lab_end);
        assert_eq!(shown(&[]).len(), 5, "only the gene");
    }

    #[test]
    fn overlapping_entities_never_give_overlapping_tokens() {
        let rope = Rope::from_str("breast cancer gene");
        let entities = [
            entity(0, 13, EntityType::Disease, 0.9),
            entity(7, 13, EntityType::Disease, 0.9),
            entity(14, 18, EntityType::Gene, 0.9),
        ];
        let flat = flatten(&encode(
            &rope,
            &entities,
            0.5,
            &Abbreviations::default(),
            &[],
            PositionEncoding::Utf16,
        ));
        assert_eq!(flat.len(), 10, "{flat:?}");
    }

    #[test]
    fn delta_replaces_only_the_changed_tokens() {
        let old = vec![0, 1, 2, 0, 0, 1, 0, 3, 1, 0, 2, 0, 4, 2, 0];
        let mut new = old.clone();
        new[6] = 9; // second token moves
        new.splice(10..10, [0, 5, 1, 3, 0]); // a token inserted before the last
        let edits = delta(&old, &new);
        assert_eq!(edits.len(), 1);
        let e = &edits[0];
        let mut applied = old.clone();
        let data = flatten(e.data.as_deref().unwrap());
        applied.splice(e.start as usize..(e.start + e.delete_count) as usize, data);
        assert_eq!(applied, new);
        assert_eq!(e.start, 5, "the first token is kept");
        assert!(delta(&old, &old).is_empty());
    }
}
