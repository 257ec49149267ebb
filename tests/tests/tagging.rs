//! Tagging text with the shipped model through ONNX Runtime: byte spans, confidences, and
//! masked markup that is never tagged.

use bioscope_core::segment::{segment, DocFormat};
use bioscope_core::EntityType;
use bioscope_tagger::{Tagger, TaggerOptions};
use bioscope_tests::{ort_library, repo_root};

fn shipped() -> Tagger {
    let options = TaggerOptions {
        threads: 1,
        library: Some(ort_library()),
        ..TaggerOptions::default()
    };
    Tagger::load(&repo_root().join("models/ncbi-disease"), options).unwrap()
}

#[test]
fn shipped_model_finds_diseases_with_byte_spans_and_scores() {
    let tagger = shipped();
    let text = "Mutations in the ATP7B gene cause Wilson disease, a disorder of copper metabolism — ça va.";
    let found = tagger.tag_texts(&[text]).unwrap().remove(0);
    let names: Vec<&str> = found.iter().map(|e| &text[e.start..e.end]).collect();
    assert!(names.contains(&"Wilson disease"), "{names:?}");
    for e in &found {
        assert_eq!(e.entity_type, EntityType::Disease);
        assert!(e.score > 0.0 && e.score <= 1.0, "{e:?}");
    }
    // The same words through the word-level path give the same entities.
    let words = bioscope_core::corpus::split_words(text);
    let word_strs: Vec<&str> = words.iter().map(|w| &text[w.start..w.end]).collect();
    let tags = tagger.tag_words(&[word_strs]).unwrap().remove(0);
    let runs = bioscope_core::decode::tag_runs(tags);
    assert_eq!(runs.len(), found.len());
}

#[test]
fn masked_markdown_is_never_tagged() {
    let tagger = shipped();
    let doc = "# Wilson disease\n\nPatients with Wilson disease and `Wilson disease` in code.\n\n```\nWilson disease\n```\n";
    let paragraphs = segment(doc, DocFormat::Markdown);
    let prose: Vec<String> = paragraphs.iter().map(|p| p.prose(doc)).collect();
    let texts: Vec<&str> = prose.iter().map(String::as_str).collect();
    let found = tagger.tag_texts(&texts).unwrap();
    let mut spans = Vec::new();
    for (p, entities) in paragraphs.iter().zip(found) {
        for e in entities {
            let (start, end) = (p.range.start + e.start, p.range.start + e.end);
            assert!(
                !p.is_masked(start) && !p.is_masked(end - 1),
                "entity inside markup at {start}..{end}"
            );
            spans.push(&doc[start..end]);
        }
    }
    assert_eq!(
        spans,
        ["Wilson disease", "Wilson disease"],
        "heading and prose, not code"
    );
}
