//! Splitting a manuscript into paragraphs of prose, with what is not prose masked.
//!
//! Plain text, Markdown and LaTeX. Masked bytes (code, math, citations, URLs, markup, command
//! names) keep their place: [`Paragraph::prose`] turns them into spaces, so every byte offset in
//! the prose is the same offset in the source, and no word (hence no entity) can start or end
//! inside a masked region. Paragraphs are separated by lines with no prose on them.

use std::ops::Range;
use std::path::Path;

mod latex;
mod markdown;

use latex::latex_masks;
use markdown::markdown_masks;

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
    fn markdown_masks_pandoc_citations_and_footnote_labels_but_not_links_or_emails() {
        let text = "TP53 falls [@smith2020; see @lee-2021, p. 3] and [-@kim:2019]. \
@doe2018 showed it (@roe_2017). Write to a@b.org or see [the @ sign](http://x.org) [BRCA1].\
[^2]\n\n[^2]: From ATCC.";
        assert_eq!(
            prose(text, DocFormat::Markdown),
            "TP53 falls and . showed it ( ). Write to a@b.org or see the @ sign BRCA1 . | From ATCC."
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
