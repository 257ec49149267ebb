//! Lexicon-match features: for each word, which entity types' names the lexicon knows starting
//! or continuing there, as a small bit set per piece. Models trained with lexicon features add
//! a learned vector per set bit to their input embeddings. `bioscope_lexicon::matches` finds
//! the words' bits; the trainer and the tagger spread them over pieces with this one function.

use crate::encoding::Window;
use crate::entity::EntityType;

/// How many feature bits there are: a "begins a name" and a "continues a name" bit for each
/// type of [`EntityType::ALL`], in that order.
pub const NUM_LEXICON_FEATURES: usize = 2 * EntityType::ALL.len();

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

impl Window {
    /// The lexicon-match bits of each piece: its word's bits on the word's first piece, the
    /// [continued](continued) bits on its later pieces, none on `[CLS]` and `[SEP]`.
    /// `word_bits` holds one entry per word of the list the window was encoded from.
    pub fn lexicon_features(&self, word_bits: &[MatchBits]) -> Vec<MatchBits> {
        self.spread(word_bits, 0, continued)
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
        let bits = window.lexicon_features(&[gene | species_inside, 0]);
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
    fn bits_are_distinct_and_fit() {
        let mut seen: MatchBits = 0;
        for t in EntityType::ALL {
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
