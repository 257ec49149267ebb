//! What LaTeX masks: math, comments, command names, citation and reference arguments, and
//! environments whose body is not prose.

use std::ops::Range;

use super::find_unescaped;

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

/// The masks of a LaTeX document: math, comments, command names and the arguments and
/// environments that hold no prose.
pub(super) fn latex_masks(text: &str) -> Vec<Range<usize>> {
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
