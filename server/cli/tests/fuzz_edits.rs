//! Edit fuzzing through the LSP layer: random incremental edits (multi-byte UTF-8, surrogate
//! pairs, CRLF and lone CR, empty and whole-document replacements) are sent to one real
//! `bioscope lsp` over stdio, and after each case the server's text must equal a reference
//! model and its semantic tokens must be sorted, non-overlapping, inside their lines and on
//! character boundaries.
//!
//! 256 cases by default (about 4 s); `PROPTEST_CASES=N`, or `BIOSCOPE_LONG_TESTS=1` for 5000.

use std::cell::RefCell;

use bioscope_tests::lsp_client::{decode_tokens, LspClient};
use bioscope_tests::{ort_library, shipped_model};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

/// Pieces of text the cases are made of: ASCII, 2-, 3- and 4-byte UTF-8 (the last two are
/// surrogate pairs in UTF-16), every line break LSP knows, a Unicode line separator (not a
/// break for LSP), entity names the model tags.
const PIECES: &[&str] = &[
    "a",
    "word ",
    "é",
    "中文",
    "😀",
    "𝔊",
    "\r\n",
    "\r",
    "\n",
    "\n\n",
    "\u{2028}",
    "\t",
    "BRCA1",
    " Wilson disease ",
    "breast cancer",
    "tamoxifen",
    "`code`",
    "$x$",
];

fn text_strategy(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..max).prop_map(|p| p.concat())
}

/// An edit before it meets a text: where (as fractions of the document's lines and of a
/// line's characters, or past the line's end) and what.
#[derive(Clone, Debug)]
enum Edit {
    Whole(String),
    Range {
        start: (u16, u16),
        len: (u16, u16),
        past_end: bool,
        text: String,
    },
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => text_strategy(12).prop_map(Edit::Whole),
        12 => (any::<(u16, u16)>(), (0u16..3, any::<u16>()), prop::bool::weighted(0.1), text_strategy(4))
            .prop_map(|(start, len, past_end, text)| Edit::Range { start, len, past_end, text }),
    ]
}

/// A case: the text opened, then didChange notifications of 1 to 3 edits each.
fn case_strategy() -> impl Strategy<Value = (String, Vec<Vec<Edit>>)> {
    (
        text_strategy(40),
        prop::collection::vec(prop::collection::vec(edit_strategy(), 1..4), 1..10),
    )
}

/// Lines as LSP counts them: `(start, content end)` byte offsets; breaks are \r\n, \r, \n.
fn lines(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.push((start, i));
                i += 2;
                start = i;
            }
            b'\r' | b'\n' => {
                out.push((start, i));
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push((start, bytes.len()));
    out
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A position (line, UTF-16 column) and its byte offset, from fractions.
fn position(text: &str, line: u16, column: u16, past_end: bool) -> ((usize, usize), usize) {
    let lines = lines(text);
    let l = line as usize % lines.len();
    let (start, end) = lines[l];
    let content = &text[start..end];
    let chars: Vec<(usize, char)> = content.char_indices().collect();
    if past_end {
        return ((l, utf16_len(content) + 1 + column as usize % 3), end);
    }
    let k = column as usize % (chars.len() + 1);
    let byte = chars.get(k).map_or(content.len(), |&(b, _)| b);
    ((l, utf16_len(&content[..byte])), start + byte)
}

/// Applies `edit` to the reference text; returns the LSP change event.
fn apply(text: &mut String, edit: &Edit) -> Value {
    match edit {
        Edit::Whole(new) => {
            *text = new.clone();
            json!({"text": new})
        }
        Edit::Range {
            start,
            len,
            past_end,
            text: new,
        } => {
            let (from, from_byte) = position(text, start.0, start.1, *past_end);
            let line_count = lines(text).len();
            let end_line = (from.0 + len.0 as usize).min(line_count - 1);
            let (to, to_byte) = if end_line == from.0 {
                let (s, e) = lines(text)[from.0];
                let rest: Vec<usize> = text[from_byte.min(e)..e]
                    .char_indices()
                    .map(|(b, _)| from_byte + b)
                    .chain([e])
                    .collect();
                let to_byte = rest[len.1 as usize % rest.len()].max(from_byte);
                ((from.0, utf16_len(&text[s..to_byte])), to_byte)
            } else {
                position(text, end_line as u16, len.1, false)
            };
            let (from_byte, to_byte) = (from_byte.min(to_byte), from_byte.max(to_byte));
            text.replace_range(from_byte..to_byte, new);
            json!({"range": {"start": {"line": from.0, "character": from.1},
                             "end": {"line": to.0, "character": to.1}}, "text": new})
        }
    }
}

/// Sorted, non-overlapping, inside their line, on character boundaries.
fn check_tokens(text: &str, data: &[u64]) -> Result<usize, String> {
    let lines = lines(text);
    let tokens = decode_tokens(data);
    let mut previous: Option<(u64, u64)> = None;
    for &(line, start, length, _, _) in &tokens {
        let Some(&(s, e)) = lines.get(line as usize) else {
            return Err(format!("token on line {line} of {}", lines.len()));
        };
        let units: Vec<u16> = text[s..e].encode_utf16().collect();
        let end = (start + length) as usize;
        if length == 0 || end > units.len() {
            return Err(format!(
                "token {line}:{start}+{length} outside its line of {} units",
                units.len()
            ));
        }
        let splits_pair =
            |i: usize| i > 0 && i < units.len() && (0xDC00..0xE000).contains(&units[i]);
        if splits_pair(start as usize) || splits_pair(end) {
            return Err(format!(
                "token {line}:{start}+{length} splits a surrogate pair"
            ));
        }
        if let Some((pl, pend)) = previous {
            if line < pl || (line == pl && start < pend) {
                return Err(format!(
                    "token {line}:{start} not after the previous one ending at {pl}:{pend}"
                ));
            }
        }
        previous = Some((line, start + length));
    }
    Ok(tokens.len())
}

fn cases() -> u32 {
    if let Some(n) = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if std::env::var_os("BIOSCOPE_LONG_TESTS").is_some_and(|v| v != "0") {
        5000
    } else {
        256
    }
}

struct Fuzz {
    client: LspClient,
    cases: usize,
    edits: usize,
    tokens: usize,
}

impl Fuzz {
    fn run_case(&mut self, initial: &str, changes: &[Vec<Edit>]) -> Result<(), TestCaseError> {
        self.cases += 1;
        let uri = format!("file:///fuzz/case{}.md", self.cases);
        let mut text = initial.to_string();
        self.client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
        );
        let mut version = 1;
        for (i, batch) in changes.iter().enumerate() {
            version += 1;
            let events: Vec<Value> = batch.iter().map(|e| apply(&mut text, e)).collect();
            self.edits += events.len();
            self.client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": events}),
            );
            // Tokens in the middle of the case too (tagging races the next edits).
            if i == changes.len() / 2 || i + 1 == changes.len() {
                let tokens = self.client.request(
                    "textDocument/semanticTokens/full",
                    json!({"textDocument": {"uri": uri}}),
                );
                let data: Vec<u64> = tokens["result"]["data"]
                    .as_array()
                    .ok_or_else(|| TestCaseError::fail(format!("no tokens: {tokens}")))?
                    .iter()
                    .filter_map(Value::as_u64)
                    .collect();
                self.tokens += check_tokens(&text, &data).map_err(TestCaseError::fail)?;
            }
        }
        let held = self.client.request(
            "workspace/executeCommand",
            json!({"command": "bioscope.documentText", "arguments": [{"uri": uri}]}),
        );
        prop_assert_eq!(held["result"]["version"].as_i64(), Some(version as i64));
        prop_assert_eq!(held["result"]["text"].as_str(), Some(text.as_str()));
        self.client.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
        Ok(())
    }
}

#[test]
fn random_edits_keep_the_text_and_the_tokens_right() {
    let model = shipped_model();
    let mut client = LspClient::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_bioscope")),
        &["lsp", "--threads", "1", "--model", model.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", &ort_library())],
    );
    client.initialize(
        json!({"general": {"positionEncodings": ["utf-16"]}}),
        json!({"bioscope": {"debounceMs": 0}}),
    );
    let fuzz = RefCell::new(Fuzz {
        client,
        cases: 0,
        edits: 0,
        tokens: 0,
    });
    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case_strategy(), |(initial, changes)| {
        fuzz.borrow_mut().run_case(&initial, &changes)
    });
    let fuzz = fuzz.into_inner();
    eprintln!(
        "edit fuzz: {cases} cases passed ({} run with shrinking), {} edits, {} tokens checked",
        fuzz.cases, fuzz.edits, fuzz.tokens
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(fuzz.tokens > 0, "the cases had entities to check");
    assert_eq!(fuzz.client.shutdown(), Some(0), "no crash");
}

#[test]
fn the_reference_model_counts_lines_as_lsp_does() {
    assert_eq!(lines("a\r\nb\rc\nd"), [(0, 1), (3, 4), (5, 6), (7, 8)]);
    assert_eq!(lines("x\u{2028}y"), [(0, 5)]);
    let mut text = "😀a\r\nb".to_string();
    let change = apply(
        &mut text,
        &Edit::Range {
            start: (0, 1),
            len: (0, 1),
            past_end: false,
            text: "é".into(),
        },
    );
    assert_eq!(text, "😀é\r\nb");
    assert_eq!(change["range"]["start"]["character"], 2, "after the pair");
    assert_eq!(check_tokens("😀ab", &[0, 2, 1, 0, 0]), Ok(1));
    assert!(check_tokens("😀ab", &[0, 1, 1, 0, 0]).is_err());
    assert!(check_tokens("ab", &[0, 0, 3, 0, 0]).is_err());
    assert!(check_tokens("ab\ncd", &[1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]).is_err());
}
