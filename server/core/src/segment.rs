//! Splitting a manuscript into paragraphs of prose, with what is not prose masked.
//!
//! Plain text, Markdown and LaTeX. Masked bytes (code, math, citations, URLs, markup, command
//! names) keep their place: [`Paragraph::prose`] turns them into spaces, so every byte offset in
//! the prose is the same offset in the source, and no word (hence no entity) can start or end
//! inside a masked region. Paragraphs are separated by lines with no prose on them.

use std::ops::Range;
use std::path::Path;

/// The formats BioScope reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocFormat {
    Plain,
    Markdown,
    Latex,
}

impl DocFormat {
    /// By file extension: `.md`/`.markdown` Markdown, `.tex`/`.latex`/`.ltx` LaTeX, else plain text.
    pub fn from_path(path: &Path) -> DocFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        match ext.to_ascii_lowercase().as_str() {
            "md" | "markdown" | "mdown" | "mkd" | "rmd" | "qmd" => DocFormat::Markdown,
            "tex" | "latex" | "ltx" => DocFormat::Latex,
            _ => DocFormat::Plain,
        }
    }

    /// By LSP language id; unknown languages are plain text.
    pub fn from_language_id(id: &str) -> DocFormat {
        match id {
            "markdown" | "rmd" | "quarto" => DocFormat::Markdown,
            "latex" | "tex" | "plaintex" | "context" => DocFormat::Latex,
            _ => DocFormat::Plain,
        }
    }
}

/// A paragraph: its byte range in the source and the masked byte ranges inside it (sorted,
/// disjoint, absolute offsets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paragraph {
    pub range: Range<usize>,
    pub masked: Vec<Range<usize>>,
}

impl Paragraph {
    /// The paragraph's source with every masked character replaced by spaces (one per byte), so
    /// that offsets into the prose plus `range.start` are offsets into the source.
    pub fn prose(&self, source: &str) -> String {
        let text = &source[self.range.clone()];
        let mut out = String::with_capacity(text.len());
        let mut masks = self.masked.iter().peekable();
        for (i, c) in text.char_indices() {
            let at = self.range.start + i;
            while masks.peek().is_some_and(|m| m.end <= at) {
                masks.next();
            }
            if masks.peek().is_some_and(|m| m.start <= at) {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            } else {
                out.push(c);
            }
        }
        out
    }

    pub fn is_masked(&self, offset: usize) -> bool {
        self.masked.iter().any(|m| m.contains(&offset))
    }

    /// Where a span `[start, end)` (absolute) must stop: the start of the first masked run
    /// inside it that hides content (math, code, a citation key, a command or URL: anything
    /// with a letter or digit), since words on both sides of it are not one mention. Runs of
    /// bare markup such as `**` or `}` do not break. `None` when nothing breaks the span.
    pub fn content_break(&self, source: &str, start: usize, end: usize) -> Option<usize> {
        self.masked
            .iter()
            .filter(|m| m.start > start && m.start < end)
            .find(|m| {
                source
                    .get((*m).clone())
                    .is_some_and(|t| t.chars().any(char::is_alphanumeric))
            })
            .map(|m| m.start)
    }
}

/// Splits `text` into paragraphs and masks what is not prose.
pub fn segment(text: &str, format: DocFormat) -> Vec<Paragraph> {
    let mut masks = match format {
        DocFormat::Plain => Vec::new(),
        DocFormat::Markdown => markdown_masks(text),
        DocFormat::Latex => latex_masks(text),
    };
    let masks = normalize(&mut masks);
    paragraphs(text, &masks)
}

/// Sorts and merges overlapping or touching ranges.
fn normalize(masks: &mut [Range<usize>]) -> Vec<Range<usize>> {
    masks.sort_by_key(|m| (m.start, m.end));
    let mut out: Vec<Range<usize>> = Vec::new();
    for m in masks.iter().filter(|m| m.start < m.end) {
        match out.last_mut() {
            Some(last) if m.start <= last.end => last.end = last.end.max(m.end),
            _ => out.push(m.clone()),
        }
    }
    out
}

/// Groups lines that hold prose (a non-space byte outside the masks) into paragraphs.
fn paragraphs(text: &str, masks: &[Range<usize>]) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut mask_index = 0;
    let mut line_start = 0;
    let bytes = text.as_bytes();
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        // Does the line have a non-space byte outside every mask?
        let mut has_prose = false;
        let mut m = mask_index;
        for (at, byte) in bytes.iter().enumerate().take(line_end).skip(line_start) {
            while m < masks.len() && masks[m].end <= at {
                m += 1;
            }
            let masked = m < masks.len() && masks[m].start <= at;
            if !masked && !byte.is_ascii_whitespace() {
                has_prose = true;
                break;
            }
        }
        while mask_index < masks.len() && masks[mask_index].end <= line_start {
            mask_index += 1;
        }
        if has_prose {
            current = Some(current.map_or(line_start..line_end, |r| r.start..line_end));
        } else if let Some(r) = current.take() {
            out.push(r);
        }
        line_start = line_end + 1;
    }
    out.extend(current);
    out.into_iter()
        .map(|range| Paragraph {
            masked: masks
                .iter()
                .filter(|m| m.start < range.end && range.start < m.end)
                .map(|m| m.start.max(range.start)..m.end.min(range.end))
                .collect(),
            range,
        })
        .collect()
}

/// Byte offsets of the lines of `text`: `(start, end)` without the newline.
fn lines(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// The index of the unescaped `close` at or after `from`, on bytes.
fn find_unescaped(bytes: &[u8], from: usize, close: &[u8]) -> Option<usize> {
    let mut i = from;
    while i + close.len() <= bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if &bytes[i..i + close.len()] == close {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn markdown_masks(text: &str) -> Vec<Range<usize>> {
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
            b'[' => {
                masks.push(i..i + 1);
                i += 1;
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

/// LaTeX environments whose whole body is masked.
const MASKED_ENVIRONMENTS: &[&str] = &[
    "equation",
    "equation*",
    "align",
    "align*",
    "alignat",
    "alignat*",
    "gather",
    "gather*",
    "multline",
    "multline*",
    "eqnarray",
    "eqnarray*",
    "math",
    "displaymath",
    "flalign",
    "flalign*",
    "verbatim",
    "verbatim*",
    "lstlisting",
    "minted",
    "tikzpicture",
    "comment",
    "thebibliography",
];

/// LaTeX commands whose arguments are masked, not just their names.
const MASKED_ARGUMENT_COMMANDS: &[&str] = &[
    "cite",
    "citep",
    "citet",
    "citealp",
    "citealt",
    "citeauthor",
    "citeyear",
    "nocite",
    "parencite",
    "textcite",
    "autocite",
    "footcite",
    "ref",
    "eqref",
    "autoref",
    "cref",
    "Cref",
    "pageref",
    "nameref",
    "label",
    "url",
    "includegraphics",
    "input",
    "include",
    "bibliography",
    "bibliographystyle",
    "documentclass",
    "usepackage",
    "newcommand",
    "renewcommand",
    "providecommand",
    "newenvironment",
    "setlength",
    "setcounter",
    "vspace",
    "hspace",
    "vspace*",
    "hspace*",
    "begin",
    "end",
    "graphicspath",
    "addbibresource",
    "hypersetup",
    "color",
    "pagestyle",
    "thispagestyle",
    "doi",
    "email",
];

fn latex_masks(text: &str) -> Vec<Range<usize>> {
    let mut masks = Vec::new();
    latex_scan(text, 0, text.len(), &mut masks);
    masks
}

/// The end (exclusive) of the brace group opening at `open`, or `limit` when it never closes.
fn brace_group_end(bytes: &[u8], open: usize, limit: usize, left: u8, right: u8) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < limit {
        match bytes[i] {
            b'\\' => i += 1,
            b if b == left => depth += 1,
            b if b == right => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b'%' if left == b'{' => {
                // A comment inside a group runs to the end of its line.
                while i < limit && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    limit
}

fn latex_scan(text: &str, start: usize, end: usize, masks: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < end {
        match bytes[i] {
            b'%' => {
                let stop = text[i..end].find('\n').map_or(end, |c| i + c);
                masks.push(i..stop);
                i = stop;
            }
            b'$' => {
                let delim: &[u8] = if bytes.get(i + 1) == Some(&b'$') {
                    b"$$"
                } else {
                    b"$"
                };
                let stop = find_unescaped(&bytes[..end], i + delim.len(), delim)
                    .map_or(end, |c| c + delim.len());
                masks.push(i..stop);
                i = stop;
            }
            b'{' | b'}' | b'~' => {
                masks.push(i..i + 1);
                i += 1;
            }
            b'\\' => {
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                if next == b'(' || next == b'[' {
                    let close = if next == b'(' { "\\)" } else { "\\]" };
                    let stop = text[i + 2..end].find(close).map_or(end, |c| i + 2 + c + 2);
                    masks.push(i..stop);
                    i = stop;
                    continue;
                }
                if !next.is_ascii_alphabetic() {
                    // `\%`, `\$`, `\&`, `\\`, `\,` ...: mask the backslash; a spacing command is a space.
                    let literal = matches!(next, b'%' | b'$' | b'&' | b'#' | b'_' | b'{' | b'}');
                    let after =
                        (i + 1 + text[i + 1..].chars().next().map_or(0, char::len_utf8)).min(end);
                    masks.push(i..if literal { i + 1 } else { after });
                    i = after;
                    continue;
                }
                let name_end = (i + 1..end)
                    .find(|&j| !bytes[j].is_ascii_alphabetic())
                    .unwrap_or(end);
                let mut name_stop = name_end;
                if bytes.get(name_end) == Some(&b'*') {
                    name_stop += 1;
                }
                let name = &text[i + 1..name_stop];
                masks.push(i..name_stop);
                i = name_stop;
                if name == "begin" {
                    if let Some((env, after)) = environment_name(text, i, end) {
                        if MASKED_ENVIRONMENTS.contains(&env) {
                            let closing = format!("\\end{{{env}}}");
                            let stop = text[after..end]
                                .find(&closing)
                                .map_or(end, |c| after + c + closing.len());
                            masks.push(i..stop);
                            i = stop;
                            continue;
                        }
                    }
                }
                let mask_args = MASKED_ARGUMENT_COMMANDS.contains(&name);
                // Optional arguments are always masked; braced arguments of argument-masked
                // commands too; other commands keep their argument text (\emph, \section, ...).
                loop {
                    let ws =
                        text[i..end].len() - text[i..end].trim_start_matches([' ', '\t']).len();
                    let at = i + ws;
                    match bytes.get(at) {
                        Some(b'[') if at < end => {
                            let stop = brace_group_end(bytes, at, end, b'[', b']');
                            masks.push(i..stop);
                            i = stop;
                        }
                        Some(b'{') if mask_args && at < end => {
                            let stop = brace_group_end(bytes, at, end, b'{', b'}');
                            masks.push(i..stop);
                            i = stop;
                        }
                        _ => break,
                    }
                }
            }
            _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
}

/// The name inside `{...}` at `at` (after `\begin`), and the offset after the closing brace.
fn environment_name(text: &str, at: usize, end: usize) -> Option<(&str, usize)> {
    let rest = &text[at..end];
    let rest_trim = rest.trim_start();
    let open = at + (rest.len() - rest_trim.len());
    if !rest_trim.starts_with('{') {
        return None;
    }
    let close = text[open..end].find('}')? + open;
    Some((&text[open + 1..close], close + 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_breaks_are_hidden_content_not_markup() {
        let tex = "In Wilson disease $c = x$ copper and \\emph{Wilson} disease.";
        let p = &segment(tex, DocFormat::Latex)[0];
        let start = tex.find("Wilson").unwrap();
        let math = tex.find('$').unwrap();
        let copper_end = tex.find("copper").unwrap() + 6;
        assert_eq!(p.content_break(tex, start, copper_end), Some(math));
        assert_eq!(p.content_break(tex, start, start + 14), None);
        let emph = tex.rfind("Wilson").unwrap();
        assert_eq!(
            p.content_break(tex, emph, emph + 15),
            None,
            "a closing brace is markup"
        );
    }

    use super::*;

    /// The prose of each paragraph with white space collapsed, paragraphs joined by " | ".
    fn prose(text: &str, format: DocFormat) -> String {
        let paragraphs = segment(text, format);
        for p in &paragraphs {
            let prose = p.prose(text);
            assert_eq!(prose.len(), p.range.len(), "prose keeps byte offsets");
            for (i, c) in prose.char_indices() {
                if !c.is_whitespace() {
                    assert_eq!(
                        &text[p.range.start + i..p.range.start + i + c.len_utf8()],
                        c.to_string()
                    );
                }
            }
        }
        paragraphs
            .iter()
            .map(|p| {
                p.prose(text)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn plain_text_splits_on_blank_lines_only() {
        let text = "BRCA1 and $x$ cause\ncancer.\n\n  \nTP53 `code` here.";
        assert_eq!(
            prose(text, DocFormat::Plain),
            "BRCA1 and $x$ cause cancer. | TP53 `code` here."
        );
    }

    #[test]
    fn markdown_masks_code_math_links_and_markup() {
        let text = "---\ntitle: TP53 paper\n---\n# Results in *BRCA1* carriers\n\n\
Mutations in `BRCA1` cause breast cancer [Smith](http://x.org/TP53).\n\
See https://example.org/brca1. Math $x^2$ and escaped \\$5 in `$ code`.\n\n\
```python\ngene = \"TP53\"\n```\n\n    indented code TP53\n\n\
- item with TNF-alpha\n1. numbered IL-2\n\n\
| gene | disease |\n|------|---------|\n| APC | colon_cancer |\n\n<div class=\"x\">HeLa cells</div> <!-- TP53 -->\n";
        assert_eq!(
            prose(text, DocFormat::Markdown),
            "Results in BRCA1 carriers | Mutations in cause breast cancer Smith . See . Math and escaped $5 in . \
| item with TNF-alpha numbered IL-2 | gene disease ------ --------- APC colon_cancer | HeLa cells"
        );
    }

    #[test]
    fn markdown_display_math_spans_lines() {
        let text = "Before TP53.\n$$\na = b\n$$\nAfter.";
        assert_eq!(prose(text, DocFormat::Markdown), "Before TP53. | After.");
    }

    #[test]
    fn latex_masks_math_citations_commands_and_comments() {
        let text = "\\section{Mutations in \\emph{BRCA1}}\n% a comment with TP53\n\
We show that \\textbf{BRCA1} mutations cause breast cancer~\\cite[p.~3]{smith2020, doe2021}.\n\
It costs \\$5; $\\alpha$-synuclein \\( x \\) and \\[ y \\] aggregate.\n\n\
\\begin{equation}\n  E = mc^2 \\text{ TP53 }\n\\end{equation}\n\n\
See Fig.~\\ref{fig:1}\\footnote{Data from \\url{http://x.org} on TNF.}\n\n\
\\begin{figure}[h]\\caption{IL-2 levels}\\label{f}\\end{figure}\n\\textit{nested {braces} here}";
        assert_eq!(
            prose(text, DocFormat::Latex),
            // The comment line holds no prose, so it separates the heading from the text.
            "Mutations in BRCA1 | We show that BRCA1 mutations cause breast cancer . It costs $5; -synuclein and aggregate. \
| See Fig. Data from on TNF. | IL-2 levels nested braces here"
        );
    }

    #[test]
    fn latex_escaped_dollar_and_unclosed_groups_do_not_run_away() {
        let text =
            "Price \\$3 and \\$4 for IL-6.\n\nOpen \\textbf{group never closes\n\nNext TP53.";
        assert_eq!(
            prose(text, DocFormat::Latex),
            "Price $3 and $4 for IL-6. | Open group never closes | Next TP53."
        );
    }

    #[test]
    fn formats_from_paths_and_language_ids() {
        assert_eq!(
            DocFormat::from_path(Path::new("a/paper.MD")),
            DocFormat::Markdown
        );
        assert_eq!(
            DocFormat::from_path(Path::new("paper.tex")),
            DocFormat::Latex
        );
        assert_eq!(DocFormat::from_path(Path::new("notes")), DocFormat::Plain);
        assert_eq!(DocFormat::from_language_id("latex"), DocFormat::Latex);
        assert_eq!(DocFormat::from_language_id("rust"), DocFormat::Plain);
    }

    #[test]
    fn multibyte_text_keeps_offsets() {
        let text = "Le gène *TP53* — α-synuclein `κ`.";
        assert_eq!(
            prose(text, DocFormat::Markdown),
            "Le gène TP53 — α-synuclein ."
        );
    }

    #[test]
    fn random_markup_never_panics_and_keeps_invariants() {
        let alphabet: Vec<char> =
            "ab TP53 \\$${}[]()`%#*_~<>!|-.:/\n\n\tαé—\\begin{equation}\\end{x}http://w."
                .chars()
                .collect();
        let mut seed = 0x2545F4914F6CDD1Du64;
        for case in 0..3000 {
            let len = case % 80;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            for format in [DocFormat::Plain, DocFormat::Markdown, DocFormat::Latex] {
                let paragraphs = segment(&text, format);
                let mut last_end = 0;
                for p in &paragraphs {
                    assert!(
                        p.range.start >= last_end && p.range.end <= text.len(),
                        "{text:?}"
                    );
                    assert!(p
                        .masked
                        .iter()
                        .all(|m| p.range.start <= m.start && m.end <= p.range.end));
                    assert_eq!(p.prose(&text).len(), p.range.len());
                    assert!(
                        !p.prose(&text).trim().is_empty(),
                        "a paragraph holds prose: {text:?}"
                    );
                    last_end = p.range.end;
                }
            }
        }
    }
}
