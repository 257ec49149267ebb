//! An open document: its rope, version and format, and the in-order application of
//! incremental changes.

use bioscope_core::segment::DocFormat;
use ropey::Rope;
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use crate::position::{to_byte, PositionEncoding};

#[derive(Clone, Debug)]
pub struct Document {
    pub rope: Rope,
    pub version: i32,
    pub format: DocFormat,
    /// Where the cursor is (a byte offset) when the last edit typed or deleted letters inside
    /// a word: the word being typed, whose colour is held back until it is complete.
    pub typing: Option<usize>,
}

/// Characters that continue a word being typed ("Li-Fraumeni", "Crohn's").
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '\''
}

/// The word around `offset` (bytes), empty when there is none.
pub fn word_around(rope: &Rope, offset: usize) -> std::ops::Range<usize> {
    let offset = offset.min(rope.len_bytes());
    let at = rope.byte_to_char(offset);
    let mut start = at;
    while start > 0 && is_word_char(rope.char(start - 1)) {
        start -= 1;
    }
    let mut end = at;
    while end < rope.len_chars() && is_word_char(rope.char(end)) {
        end += 1;
    }
    rope.char_to_byte(start)..rope.char_to_byte(end)
}

/// The longest insertion that still counts as typing (longer ones are pastes or completions).
const MAX_TYPED_CHARS: usize = 3;

/// Why a change could not be applied (the document is then left as it was before the change).
#[derive(Debug, PartialEq, Eq)]
pub struct ChangeError(pub String);

impl Document {
    /// A document in the client's `language_id` (markdown, latex/tex, plaintext; anything
    /// else is treated as plain text).
    pub fn new(text: &str, version: i32, language_id: &str) -> Self {
        Document {
            rope: Rope::from_str(text),
            version,
            format: DocFormat::from_language_id(language_id),
            typing: None,
        }
    }

    /// Applies the changes of one `didChange`, in order: a change with a range replaces that
    /// range, one without replaces the whole text.
    pub fn apply_changes(
        &mut self,
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
        encoding: PositionEncoding,
    ) -> Result<(), ChangeError> {
        let mut rope = self.rope.clone();
        let mut typing = None;
        let single = changes.len() == 1;
        for change in changes {
            typing = None;
            match change.range {
                None => rope = Rope::from_str(&change.text),
                Some(range) => {
                    let start = to_byte(&rope, range.start, encoding);
                    let end = to_byte(&rope, range.end, encoding);
                    let (Some(start), Some(end)) = (start, end) else {
                        return Err(ChangeError(format!(
                            "change range {}:{}-{}:{} is outside the document ({} lines)",
                            range.start.line,
                            range.start.character,
                            range.end.line,
                            range.end.character,
                            rope.len_lines()
                        )));
                    };
                    let (start, end) = (start.min(end), start.max(end));
                    let removed_word = rope.byte_slice(start..end).chars().all(is_word_char);
                    let typed_word = change.text.chars().count() <= MAX_TYPED_CHARS
                        && change.text.chars().all(is_word_char);
                    let changes_something = start < end || !change.text.is_empty();
                    if single && changes_something && removed_word && typed_word {
                        typing = Some(start + change.text.len());
                    }
                    let (start, end) = (rope.byte_to_char(start), rope.byte_to_char(end));
                    rope.remove(start..end);
                    rope.insert(start, &change.text);
                }
            }
        }
        // A keystroke that touches no word (a space, a full stop) completes the word.
        self.typing = typing.filter(|&at| !word_around(&rope, at).is_empty());
        self.rope = rope;
        self.version = version;
        Ok(())
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn edit(range: ((u32, u32), (u32, u32)), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(range.0 .0, range.0 .1),
                Position::new(range.1 .0, range.1 .1),
            )),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn letters_typed_or_deleted_inside_a_word_mark_it_as_being_typed() {
        let mut doc = Document::new("Li-Fraumen\n", 1, "markdown");
        let utf8 = PositionEncoding::Utf8;
        doc.apply_changes(vec![edit(((0, 10), (0, 10)), "i")], 2, utf8)
            .unwrap();
        assert_eq!(doc.typing, Some(11));
        assert_eq!(word_around(&doc.rope, 11), 0..11);
        // Backspace inside the word: still typing.
        doc.apply_changes(vec![edit(((0, 10), (0, 11)), "")], 3, utf8)
            .unwrap();
        assert_eq!(doc.typing, Some(10));
        // A space completes it; so does a paste or a change elsewhere too.
        doc.apply_changes(vec![edit(((0, 10), (0, 10)), " ")], 4, utf8)
            .unwrap();
        assert_eq!(doc.typing, None);
        doc.apply_changes(vec![edit(((0, 11), (0, 11)), "syndrome")], 5, utf8)
            .unwrap();
        assert_eq!(doc.typing, None, "eight letters at once are a paste");
    }

    #[test]
    fn changes_apply_in_order_in_utf16_units() {
        let mut doc = Document::new("😀 BRCA1 gene\nline two\n", 1, "markdown");
        assert_eq!(doc.format, DocFormat::Markdown);
        doc.apply_changes(
            vec![
                // Replace "BRCA1" (after a two-unit emoji and a space).
                edit(((0, 3), (0, 8)), "TP53"),
                // Then, on the already-changed text, insert at the start of line two.
                edit(((1, 0), (1, 0)), "the "),
            ],
            2,
            PositionEncoding::Utf16,
        )
        .unwrap();
        assert_eq!(doc.text(), "😀 TP53 gene\nthe line two\n");
        assert_eq!(doc.version, 2);
    }

    #[test]
    fn a_change_outside_the_document_is_refused_and_changes_nothing() {
        let mut doc = Document::new("one line", 1, "plaintext");
        let err = doc
            .apply_changes(
                vec![edit(((0, 0), (0, 3)), "1"), edit(((5, 0), (5, 1)), "x")],
                2,
                PositionEncoding::Utf16,
            )
            .unwrap_err();
        assert!(err.0.contains("outside the document"), "{err:?}");
        assert_eq!(doc.text(), "one line");
        assert_eq!(doc.version, 1);
    }
}
