//! How a report is cut into the word sequences a lab-value model reads: one per line, words as
//! `bioscope_core::corpus::split_words` splits them, with byte offsets into the report, less
//! leaders (dots, dashes, underscores or rules printed between a name and its value: layout,
//! never part of a result, and words a model may never have seen). The training data
//! ([`crate::synthetic::to_iob`]) and the tagging (`bioscope labs --model`) cut the same way.

use bioscope_core::corpus::{split_words, WordSpan};

/// Characters that, repeated, make a leader.
const LEADER_CHARS: [char; 6] = ['.', '_', '-', '=', '·', '…'];

/// A leader: at least this many of one leader character in a row, without spaces.
const LEADER_MIN: usize = 3;

/// The words of each line that has any, with offsets into `text`, leaders left out.
pub fn word_lines(text: &str) -> Vec<Vec<WordSpan>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let words: Vec<WordSpan> = without_leaders(line, split_words(line))
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

/// `words` of `line` less the runs of [`LEADER_MIN`] or more adjacent one-character words of
/// the same leader character.
fn without_leaders(line: &str, words: Vec<WordSpan>) -> Vec<WordSpan> {
    let leader_char = |w: &WordSpan| {
        let mut chars = line[w.start..w.end].chars();
        chars
            .next()
            .filter(|c| chars.next().is_none() && LEADER_CHARS.contains(c))
    };
    let mut kept = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut j = i + 1;
        if let Some(c) = leader_char(&words[i]) {
            while j < words.len()
                && words[j].start == words[j - 1].end
                && leader_char(&words[j]) == Some(c)
            {
                j += 1;
            }
        }
        if j - i >= LEADER_MIN {
            i = j;
            continue;
        }
        kept.extend_from_slice(&words[i..j]);
        i = j;
    }
    kept
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

    #[test]
    fn leaders_are_layout_not_words() {
        let text = "Glucose ........ 5.4 mmol/L (3.5-5.5) --\nNote ___ see ... below -- ok\n";
        let words: Vec<Vec<&str>> = word_lines(text)
            .iter()
            .map(|l| l.iter().map(|w| &text[w.start..w.end]).collect())
            .collect();
        assert_eq!(
            words[0],
            [
                "Glucose", "5", ".", "4", "mmol", "/", "L", "(", "3", ".", "5", "-", "5", ".", "5",
                ")", "-", "-"
            ]
        );
        assert_eq!(words[1], ["Note", "see", "below", "-", "-", "ok"]);
    }
}
