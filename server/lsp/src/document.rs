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
}

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
        for change in changes {
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
                    let (start, end) = (rope.byte_to_char(start), rope.byte_to_char(end));
                    rope.remove(start..end);
                    rope.insert(start, &change.text);
                }
            }
        }
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
