//! Word shapes: what an uncased encoder cannot see (capitals, digits, Greek letters), as one
//! small id per piece. Models trained with shape features add a learned vector per shape to
//! their input embeddings; the trainer and the tagger compute the ids with this one function.

use crate::encoding::Window;

/// How many shape ids there are (`0..NUM_SHAPES`).
pub const NUM_SHAPES: usize = 11;

/// The shape of `[CLS]`, `[SEP]` and padding.
pub const SPECIAL: u32 = 0;

/// The shape id of a word: 1 lower case ("cells"), 2 capitalized ("Patients"), 3 all capitals
/// ("DNA"), 4 one capital ("A"), 5 mixed case ("mRNA", "HeLa"), 6 letters and digits without
/// capitals ("p53"), 7 with capitals ("BRCA1"), 8 digits without letters ("1.5"), 9 neither
/// letters nor digits ("(", "-"), 10 a Greek letter anywhere ("TNF-α").
pub fn word_shape(word: &str) -> u32 {
    let (mut upper, mut lower, mut digits, mut greek) = (0usize, 0usize, false, false);
    for c in word.chars() {
        if ('\u{0370}'..='\u{03ff}').contains(&c) {
            greek = true;
        } else if c.is_uppercase() {
            upper += 1;
        } else if c.is_lowercase() {
            lower += 1;
        } else if c.is_numeric() {
            digits = true;
        }
    }
    let letters = upper + lower > 0;
    let first_upper = word
        .chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(char::is_uppercase);
    match () {
        _ if greek => 10,
        _ if digits && letters => {
            if upper > 0 {
                7
            } else {
                6
            }
        }
        _ if digits => 8,
        _ if !letters => 9,
        _ if upper == 0 => 1,
        _ if lower == 0 && upper == 1 => 4,
        _ if lower == 0 => 3,
        _ if upper == 1 && first_upper => 2,
        _ => 5,
    }
}

impl Window {
    /// The shape id of each piece: its word's shape, [`SPECIAL`] for `[CLS]` and `[SEP]`.
    /// `words` is the word list the window was encoded from.
    pub fn shapes<S: AsRef<str>>(&self, words: &[S]) -> Vec<u32> {
        self.piece_word
            .iter()
            .map(|w| w.map_or(SPECIAL, |w| word_shape(words[w].as_ref())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_tell_apart_what_lower_casing_merges() {
        let cases = [
            ("cells", 1),
            ("Patients", 2),
            ("DNA", 3),
            ("A", 4),
            ("mRNA", 5),
            ("HeLa", 5),
            ("p53", 6),
            ("BRCA1", 7),
            ("1.5", 8),
            ("(", 9),
            ("TNF-α", 10),
            ("cell-free", 1),
            ("Ca2+", 7),
        ];
        for (word, shape) in cases {
            assert_eq!(word_shape(word), shape, "{word}");
            assert!((shape as usize) < NUM_SHAPES);
        }
    }
}
