//! How a report is cut into the word sequences a lab-value model reads: one per line, words as
//! `bioscope_core::corpus::split_words` splits them, with byte offsets into the report. The
//! training data ([`crate::synthetic::to_iob`]) and the tagging (`bioscope labs --model`) cut
//! the same way.

use bioscope_core::corpus::{split_words, WordSpan};

/// The words of each line that has any, with offsets into `text`.
pub fn word_lines(text: &str) -> Vec<Vec<WordSpan>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let words: Vec<WordSpan> = split_words(line)
            .into_iter()
            .map(|w| WordSpan {
                start: offset + w.start,
                end: offset + w.end,
            })
            .collect();
        if !words.is_empty() {
            lines.push(words);
        }
        offset += line.len();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_report_offsets() {
        let text = "Na 140 mmol/L\n\n  K 4.1\r\n";
        let lines = word_lines(text);
        let words: Vec<Vec<&str>> = lines
            .iter()
            .map(|l| l.iter().map(|w| &text[w.start..w.end]).collect())
            .collect();
        assert_eq!(words.len(), 2);
        assert_eq!(words[1][0], "K");
        assert_eq!(words[0][0], "Na");
    }
}
