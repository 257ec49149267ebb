//! Conversion between LSP positions (line, character in the negotiated encoding) and the UTF-8
//! byte offsets used everywhere else. Only the protocol layer converts; the rope does the work.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, PositionEncodingKind, Range};

/// The unit of `Position::character`, negotiated at initialization.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PositionEncoding {
    Utf8,
    /// The protocol's default, and the only one every client supports.
    #[default]
    Utf16,
}

impl PositionEncoding {
    /// UTF-8 when the client offers it (no conversion needed), UTF-16 otherwise.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Self {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
            _ => PositionEncoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    /// The length of `text` in this encoding's units.
    pub fn len(self, text: &str) -> u32 {
        match self {
            PositionEncoding::Utf8 => text.len() as u32,
            PositionEncoding::Utf16 => text.encode_utf16().count() as u32,
        }
    }
}

/// The byte offset of `pos`, or `None` when its line is past the end of the text. A character
/// past the end of its line means the end of the line (as the protocol says); one inside a
/// multi-unit character moves to that character's start.
pub fn to_byte(rope: &Rope, pos: Position, encoding: PositionEncoding) -> Option<usize> {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return None;
    }
    let line_start = rope.line_to_byte(line);
    let slice = rope.line(line);
    // The line's content without its line break.
    let mut content_chars = slice.len_chars();
    while content_chars > 0 && matches!(slice.char(content_chars - 1), '\n' | '\r') {
        content_chars -= 1;
    }
    let content = slice.slice(..content_chars);
    let character = pos.character as usize;
    let byte_in_line = match encoding {
        PositionEncoding::Utf8 => {
            let b = character.min(content.len_bytes());
            // Snap to a character boundary.
            content.char_to_byte(content.byte_to_char(b))
        }
        PositionEncoding::Utf16 => {
            let cu = character.min(content.len_utf16_cu());
            content.char_to_byte(content.utf16_cu_to_char(cu))
        }
    };
    Some(line_start + byte_in_line)
}

/// The position of byte offset `byte` (clamped to the text).
pub fn to_position(rope: &Rope, byte: usize, encoding: PositionEncoding) -> Position {
    let byte = byte.min(rope.len_bytes());
    let line = rope.byte_to_line(byte);
    let line_start = rope.line_to_byte(line);
    let character = match encoding {
        PositionEncoding::Utf8 => byte - line_start,
        PositionEncoding::Utf16 => {
            let c = rope.byte_to_char(byte);
            rope.char_to_utf16_cu(c) - rope.char_to_utf16_cu(rope.line_to_char(line))
        }
    };
    Position::new(line as u32, character as u32)
}

pub fn to_range(rope: &Rope, span: std::ops::Range<usize>, encoding: PositionEncoding) -> Range {
    Range::new(
        to_position(rope, span.start, encoding),
        to_position(rope, span.end, encoding),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_surrogate_pairs_and_clamps_past_line_end() {
        let text = "a😀b\r\nçx\n";
        let rope = Rope::from_str(text);
        let e = PositionEncoding::Utf16;
        // "b" is after a two-unit emoji.
        assert_eq!(to_byte(&rope, Position::new(0, 3), e), Some(5));
        assert_eq!(to_position(&rope, 5, e), Position::new(0, 3));
        // Inside the surrogate pair: snaps to the emoji's start.
        assert_eq!(to_byte(&rope, Position::new(0, 2), e), Some(1));
        // Past the end of the line: its end, before "\r\n".
        assert_eq!(to_byte(&rope, Position::new(0, 99), e), Some(6));
        assert_eq!(to_byte(&rope, Position::new(1, 1), e), Some(10));
        assert_eq!(to_position(&rope, 10, e), Position::new(1, 1));
        // The empty last line exists; the one after does not.
        assert_eq!(to_byte(&rope, Position::new(2, 0), e), Some(text.len()));
        assert_eq!(to_byte(&rope, Position::new(3, 0), e), None);
    }

    #[test]
    fn utf8_positions_are_byte_columns() {
        let rope = Rope::from_str("çx\ny");
        let e = PositionEncoding::Utf8;
        assert_eq!(to_byte(&rope, Position::new(0, 2), e), Some(2));
        // Inside "ç": its start.
        assert_eq!(to_byte(&rope, Position::new(0, 1), e), Some(0));
        assert_eq!(to_position(&rope, 4, e), Position::new(1, 0));
        assert_eq!(e.len("çx"), 3);
        assert_eq!(PositionEncoding::Utf16.len("😀"), 2);
    }

    #[test]
    fn negotiation_prefers_utf8_when_offered() {
        use PositionEncodingKind as K;
        assert_eq!(
            PositionEncoding::negotiate(Some(&[K::UTF16, K::UTF8])),
            PositionEncoding::Utf8
        );
        assert_eq!(
            PositionEncoding::negotiate(Some(&[K::UTF32])),
            PositionEncoding::Utf16
        );
        assert_eq!(PositionEncoding::negotiate(None), PositionEncoding::Utf16);
    }
}
