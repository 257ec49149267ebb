//! Lexicon-match features: for each word, which entity types' names the lexicon knows starting
//! or continuing there, as a small bit set per piece. Models trained with lexicon features add
//! a learned vector per set bit to their input embeddings. `bioscope_lexicon::matches` finds
//! the words' bits; the trainer and the tagger spread them over pieces with this one function.
//!
//! Guard against common English words: a one-word name whose word the encoder's vocabulary
//! holds whole (a single piece other than `[UNK]`: "depression", "lead", "cat", "human") sets no
//! bit. The encoder's vocabulary was drawn from general English text, so a word it holds whole
//! is common there and is as often the ordinary word as the name; the model tags it from its
//! context alone, as it would without the feature. Rarer names (gene symbols, Latin species
//! names, chemical names) and names of several words keep their bits.

use crate::encoding::Window;
use crate::entity::EntityType;

/// How many feature bits there are: a "begins a name" and a "continues a name" bit for each
/// type of [`EntityType::BUILT_IN`], in that order.
pub const NUM_LEXICON_FEATURES: usize = 2 * EntityType::BUILT_IN.len();

/// One word's (or piece's) feature bits.
pub type MatchBits = u16;

/// The bit saying that a name of `entity_type` begins at a word.
pub fn begin_bit(entity_type: EntityType) -> MatchBits {
    1 << (2 * entity_type.ordinal())
}

/// The bit saying that a name of `entity_type` continues at a word.
pub fn inside_bit(entity_type: EntityType) -> MatchBits {
    1 << (2 * entity_type.ordinal() + 1)
}

/// The bits of a word's later pieces: every name that begins or continues at the word
/// continues there.
fn continued(bits: MatchBits) -> MatchBits {
    const INSIDE: MatchBits = 0xAAAA & ((1 << NUM_LEXICON_FEATURES) - 1);
    (bits & INSIDE) | ((bits << 1) & INSIDE)
}

/// Writes `bits` as `NUM_LEXICON_FEATURES` floats (1.0 for a set bit), the model's input.
pub fn write_floats(bits: MatchBits, out: &mut [f32]) {
    for (i, slot) in out.iter_mut().enumerate().take(NUM_LEXICON_FEATURES) {
        *slot = f32::from(u8::from(bits & (1 << i) != 0));
    }
}

/// The bits of the names that begin at a word and end there too, given the word's and the next
/// word's bits (a name continuing into the next word sets that word's inside bit).
fn one_word_names(bits: MatchBits, next: MatchBits) -> MatchBits {
    const BEGIN: MatchBits = 0x5555 & ((1 << NUM_LEXICON_FEATURES) - 1);
    bits & BEGIN & !(next >> 1)
}

impl Window {
    /// The lexicon-match bits of each piece: its word's bits on the word's first piece, the
    /// [continued](continued) bits on its later pieces, none on `[CLS]` and `[SEP]`.
    /// `word_bits` holds one entry per word of the list the window was encoded from;
    /// `unknown_piece` is the encoder's `[UNK]` id. One-word names of common words are
    /// dropped (the module's guard).
    pub fn lexicon_features(
        &self,
        word_bits: &[MatchBits],
        unknown_piece: Option<u32>,
    ) -> Vec<MatchBits> {
        let mut guarded = word_bits.to_vec();
        for (i, (&id, &word)) in self.ids.iter().zip(&self.piece_word).enumerate() {
            let Some(w) = word else { continue };
            let alone = self.piece_word.get(i.wrapping_sub(1)) != Some(&Some(w))
                && self.piece_word.get(i + 1) != Some(&Some(w));
            if alone && Some(id) != unknown_piece {
                let next = word_bits.get(w + 1).copied().unwrap_or(0);
                guarded[w] &= !one_word_names(word_bits[w], next);
            }
        }
        self.spread(&guarded, 0, continued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_pieces_continue_the_names_of_their_word() {
        let window = Window {
            ids: vec![101, 1, 2, 3, 102],
            piece_word: vec![None, Some(0), Some(0), Some(1), None],
            first_word: 0,
            end_word: 2,
            keep_first: 0,
            keep_end: 2,
        };
        let gene = begin_bit(EntityType::Gene);
        let species_inside = inside_bit(EntityType::Species);
        let bits = window.lexicon_features(&[gene | species_inside, 0], None);
        assert_eq!(
            bits,
            vec![
                0,
                gene | species_inside,
                inside_bit(EntityType::Gene) | species_inside,
                0,
                0
            ]
        );
    }

    #[test]
    fn one_word_names_of_whole_vocabulary_words_set_no_bit() {
        // Words: "Depression"(1 piece) "of"(1) "BRCA1"(2) "lung"(1) "cancer"(1) "foo"([UNK]).
        let window = Window {
            ids: vec![101, 10, 11, 12, 13, 14, 15, 100, 102],
            piece_word: vec![
                None,
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                None,
            ],
            first_word: 0,
            end_word: 6,
            keep_first: 0,
            keep_end: 6,
        };
        let disease = begin_bit(EntityType::Disease);
        let disease_inside = inside_bit(EntityType::Disease);
        let gene = begin_bit(EntityType::Gene);
        let chemical = begin_bit(EntityType::Chemical);
        let word_bits = [
            disease,
            0,
            gene,
            disease | gene,
            disease_inside | chemical,
            chemical,
        ];
        let bits = window.lexicon_features(&word_bits, Some(100));
        assert_eq!(
            bits,
            vec![
                0,
                // "Depression": a one-word name of a whole vocabulary word.
                0,
                0,
                // "BRCA1" is two pieces: kept.
                gene,
                inside_bit(EntityType::Gene),
                // "lung" begins the two-word "lung cancer": kept; its one-word gene is not.
                disease,
                // "cancer" continues it; its own one-word chemical is dropped.
                disease_inside,
                // An [UNK] piece is no vocabulary word: kept.
                chemical,
                0
            ]
        );
    }

    #[test]
    fn bits_are_distinct_and_fit() {
        let mut seen: MatchBits = 0;
        for t in EntityType::BUILT_IN {
            for bit in [begin_bit(t), inside_bit(t)] {
                assert_eq!(seen & bit, 0);
                seen |= bit;
            }
        }
        assert_eq!(seen.count_ones() as usize, NUM_LEXICON_FEATURES);
        let mut floats = [0.0; NUM_LEXICON_FEATURES];
        write_floats(begin_bit(EntityType::Disease), &mut floats);
        assert_eq!(floats.iter().sum::<f32>(), 1.0);
        // Disease is the second type: its "begins" bit is bit 2.
        assert_eq!(floats[2], 1.0);
    }
}
