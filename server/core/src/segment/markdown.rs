//! What Markdown masks: fenced and indented code, inline code, math, link targets, URLs, HTML,
//! Pandoc citations, footnote labels and markup characters.

use std::ops::Range;

use super::{find_unescaped, lines};

/// The masks of a Markdown document: code, math, links' targets, HTML, front matter, markup.
pub(super) fn markdown_masks(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut masks = Vec::new();
    let lines = lines(text);
    let mut i = 0;
    // Front matter: a first line `---` up to the next `---` or `...` line.
    if lines
        .first()
        .is_some_and(|&(s, e)| text[s..e].trim_end() == "---")
    {
        if let Some(end) = lines[1..]
            .iter()
            .position(|&(s, e)| matches!(text[s..e].trim_end(), "---" | "..."))
        {
            masks.push(0..lines[end + 1].1);
            i = end + 2;
        }
    }
    let mut prev_blank = true;
    let mut in_code_block = false;
    while i < lines.len() {
        let (s, e) = lines[i];
        let line = &text[s..e];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        // Fenced code: ``` or ~~~ (3 or more) up to a closing fence of the same kind.
        let fence = ["```", "~~~"]
            .into_iter()
            .find(|f| indent <= 3 && trimmed.starts_with(f));
        if let Some(f) = fence {
            let close = lines[i + 1..]
                .iter()
                .position(|&(s2, e2)| text[s2..e2].trim_start().starts_with(f));
            let last = close.map_or(lines.len() - 1, |c| i + 1 + c);
            masks.push(s..lines[last].1);
            i = last + 1;
            prev_blank = false;
            continue;
        }
        // Display math: a line starting with $$ up to the line that closes it.
        if trimmed.starts_with("$$") {
            let from = s + indent + 2;
            let end = find_unescaped(bytes, from, b"$$").map_or(text.len(), |c| c + 2);
            masks.push(s + indent..end);
            while i < lines.len() && lines[i].0 < end {
                i += 1;
            }
            prev_blank = false;
            continue;
        }
        let blank = trimmed.is_empty();
        // Indented code: 4 spaces or a tab after a blank line (or continuing such a block).
        let indented = line.starts_with("    ") || line.starts_with('\t');
        if !blank && indented && (prev_blank || in_code_block) {
            masks.push(s..e);
            in_code_block = true;
            i += 1;
            continue;
        }
        in_code_block = in_code_block && blank;
        prev_blank = blank;
        // Link reference definitions: `[id]: url`.
        if trimmed.starts_with('[') && trimmed.contains("]:") && !trimmed.contains(' ') {
            masks.push(s..e);
            i += 1;
            continue;
        }
        markdown_line_masks(text, s + indent, e, &mut masks);
        i += 1;
    }
    masks
}

/// Block markers at the start of a line and inline markup within it.
fn markdown_line_masks(text: &str, start: usize, end: usize, masks: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    // Headings, block quotes, list markers.
    let mut p = start;
    loop {
        let rest = &text[p..end];
        let marker = if rest.starts_with('#') {
            rest.find(|c: char| c != '#').unwrap_or(rest.len())
        } else if rest.starts_with('>') || ["- ", "* ", "+ "].iter().any(|m| rest.starts_with(m)) {
            1
        } else {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let numbered = rest[digits..].starts_with(". ") || rest[digits..].starts_with(") ");
            if digits > 0 && numbered {
                digits + 1
            } else {
                0
            }
        };
        if marker == 0 {
            break;
        }
        masks.push(p..p + marker);
        p += marker;
        p += text[p..end].len() - text[p..end].trim_start().len();
    }
    let mut i = p;
    while i < end {
        let b = bytes[i];
        match b {
            b'\\' => {
                // An escaped character is literal; mask the backslash.
                masks.push(i..i + 1);
                i += 1 + text[i + 1..].chars().next().map_or(0, char::len_utf8);
            }
            b'`' => {
                let run = bytes[i..end].iter().take_while(|&&c| c == b'`').count();
                let fence = &bytes[i..i + run];
                let close =
                    (i + run..end.saturating_sub(run - 1)).find(|&j| &bytes[j..j + run] == fence);
                let stop = close.map_or(end, |c| c + run);
                masks.push(i..stop);
                i = stop;
            }
            b'$' => {
                let close = find_unescaped(bytes, i + 1, b"$").filter(|&c| c < end && c > i + 1);
                match close {
                    Some(c) => {
                        masks.push(i..c + 1);
                        i = c + 1;
                    }
                    None => i += 1,
                }
            }
            b'<' => {
                // HTML tags, comments and autolinks.
                let close = if text[i..].starts_with("<!--") {
                    text[i..].find("-->").map(|c| i + c + 3)
                } else {
                    let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                    (next.is_ascii_alphabetic() || next == b'/')
                        .then(|| text[i..end].find('>').map(|c| i + c + 1))
                        .flatten()
                };
                match close {
                    Some(c) => {
                        masks.push(i..c);
                        i = c;
                    }
                    None => i += 1,
                }
            }
            b'!' if bytes.get(i + 1) == Some(&b'[') => {
                masks.push(i..i + 2);
                i += 2;
            }
            b'[' if bytes.get(i + 1) == Some(&b'^') => {
                // A footnote reference or definition label (`[^1]`, `[^note]:`).
                let stop = text[i..end].find(']').map_or(end, |c| i + c + 1);
                let stop = stop + usize::from(bytes.get(stop) == Some(&b':'));
                masks.push(i..stop);
                i = stop;
            }
            b'[' if citation_group_end(text, i, end).is_some() => {
                // A Pandoc citation group (`[@smith2020; see @lee2021, p. 3]`): all of it.
                let stop = citation_group_end(text, i, end).unwrap_or(i + 1);
                masks.push(i..stop);
                i = stop;
            }
            b'[' => {
                masks.push(i..i + 1);
                i += 1;
            }
            b'@' if (i == start || bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b'(')
                && citation_key_len(&text[i + 1..end]) > 0 =>
            {
                // A Pandoc in-text citation (`@smith2020 showed`).
                let stop = i + 1 + citation_key_len(&text[i + 1..end]);
                masks.push(i..stop);
                i = stop;
            }
            b']' => {
                // `](target)` or `][ref]`: mask the bracket and the target.
                let stop = match bytes.get(i + 1) {
                    Some(b'(') => text[i..end].find(')').map_or(end, |c| i + c + 1),
                    Some(b'[') => text[i + 1..end].find(']').map_or(end, |c| i + 1 + c + 1),
                    _ => i + 1,
                };
                masks.push(i..stop);
                i = stop;
            }
            b'*' | b'|' => {
                masks.push(i..i + 1);
                i += 1;
            }
            b'_' | b'~' => {
                // Emphasis and strike-through markers, not underscores inside words.
                let before = i > start && bytes[i - 1].is_ascii_alphanumeric();
                let after = bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric);
                if !(before && after) {
                    masks.push(i..i + 1);
                }
                i += 1;
            }
            b'h' | b'w' if url_at(text, i) > 0 => {
                let len = url_at(text, i);
                masks.push(i..i + len);
                i += len;
            }
            _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
}

/// The length of a Pandoc citation key at the start of `text` (letters, digits, `_`, and
/// `:.#$%&-+?<>~/` inside it; it ends with a letter, digit or `_`), or 0.
fn citation_key_len(text: &str) -> usize {
    let key_char = |c: char| c.is_alphanumeric() || c == '_' || ":.#$%&-+?<>~/".contains(c);
    if !text.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return 0;
    }
    let run = text.find(|c: char| !key_char(c)).unwrap_or(text.len());
    text[..run]
        .trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
        .len()
}

/// The end (after its `]`) of a Pandoc citation group starting with the `[` at `at`: a
/// bracket, not followed by a link target, holding a key after `@` (`[@smith2020]`,
/// `[-@smith2020]`, `[see @lee2021, p. 3; @kim2019]`).
fn citation_group_end(text: &str, at: usize, end: usize) -> Option<usize> {
    let close = at + text[at..end].find(']')?;
    let after = &text[close + 1..end];
    if after.starts_with('(') || after.starts_with('[') {
        return None;
    }
    let inner = &text[at + 1..close];
    let cites = inner.match_indices('@').any(|(k, _)| {
        let before = inner[..k].chars().next_back();
        before.is_none_or(|c| c.is_whitespace() || c == '-' || c == ';')
            && citation_key_len(&inner[k + 1..]) > 0
    });
    cites.then_some(close + 1)
}

/// The length of a bare URL (`http://`, `https://`, `www.`) starting at `at`, or 0.
fn url_at(text: &str, at: usize) -> usize {
    let rest = &text[at..];
    let starts =
        rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www.");
    let word_start = at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric();
    if !starts || !word_start {
        return 0;
    }
    let len = rest
        .find(|c: char| c.is_whitespace() || c == '>' || c == ')' || c == ']')
        .unwrap_or(rest.len());
    // Trailing sentence punctuation is not part of the URL.
    len - rest[..len]
        .chars()
        .rev()
        .take_while(|c| matches!(c, '.' | ',' | ';' | ':'))
        .count()
}
