//! Data-driven checks in the style of rust-analyzer's `check(fixture, expect)`: every input
//! under `tests/fixtures/check/` (Markdown, LaTeX or plain text, by its extension) is analysed
//! on the lexicon-only path (no model, so retraining the default model cannot change them) with
//! the shipped lexicon, and rendered with each entity inline as `[mention]{Type identifier}`.
//! The rendering must equal the `.expect` file beside the input.
//!
//! After a deliberate change, `UPDATE_EXPECT=1 cargo test --release -p bioscope-tests --test
//! check` rewrites the expectations; review their diff before committing it.

use std::path::Path;
use std::sync::Arc;

use bioscope_analysis::{Analyzer, DocumentAnalysis, Request, SentencePasses};
use bioscope_core::segment::DocFormat;
use bioscope_tagger::Priority;
use bioscope_tests::{fixture, repo_root};

/// The document with its entities inline: `[Wilson disease]{Disease MESH:D006527}`; a mention
/// the lexicon cannot name gets `-` for its identifier.
fn render(analysis: &DocumentAnalysis) -> String {
    let text = analysis.text();
    let entities = analysis.entities();
    let concepts = analysis.concepts(entities);
    let mut out = String::with_capacity(text.len() * 2);
    let mut at = 0;
    for (entity, concept) in entities.iter().zip(concepts) {
        out.push_str(&text[at..entity.start]);
        let id = concept.map_or("-".to_string(), |c| c.concept.annotation_id().pubtator());
        out.push_str(&format!(
            "[{}]{{{} {id}}}",
            &text[entity.start..entity.end],
            entity.entity_type
        ));
        at = entity.end;
    }
    out.push_str(&text[at..]);
    out
}

fn check(input: &Path, analyzer: &Analyzer) -> Option<String> {
    let format = DocFormat::from_path(input);
    let text = std::fs::read_to_string(input).unwrap();
    let analysis = analyzer.analyze(text, format, Request::whole(Priority::Background));
    let actual = render(&analysis);
    let expect_path = input.with_extension("expect");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expect_path, &actual).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
    (actual != expected).then(|| {
        format!(
            "{} differs from {}:\n--- expected\n{expected}\n--- actual\n{actual}",
            input.display(),
            expect_path.display()
        )
    })
}

#[test]
fn fixtures_render_as_expected_on_the_lexicon_only_path() {
    let lexicon = bioscope_lexicon::open(&repo_root().join("models/lexicon"))
        .expect("the shipped lexicon opens");
    let analyzer = Analyzer::new(None, Some(Arc::new(lexicon)), 1000, SentencePasses::ALL);
    let mut inputs: Vec<_> = std::fs::read_dir(fixture("check"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "expect"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 5, "fixtures missing: {inputs:?}");
    let failures: Vec<String> = inputs.iter().filter_map(|p| check(p, &analyzer)).collect();
    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_EXPECT=1 rewrites the expectations after a deliberate change)",
        failures.join("\n\n")
    );
}

#[test]
fn a_missing_expectation_fails_and_says_how_to_write_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("new.txt");
    std::fs::write(&input, "Wilson disease").unwrap();
    let analyzer = Analyzer::new(None, None, 10, SentencePasses::NONE);
    if std::env::var_os("UPDATE_EXPECT").is_none() {
        let failure = check(&input, &analyzer).expect("no .expect file: a failure");
        assert!(failure.contains("--- actual\nWilson disease"), "{failure}");
    }
}
