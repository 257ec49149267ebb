//! Tagging text with the shipped model through ONNX Runtime: byte spans, confidences, and
//! masked markup that is never tagged.

use bioscope_analysis::DecidedEntity;
use bioscope_analysis::{Analyzer, Request, SentencePasses};
use bioscope_core::segment::{segment, DocFormat};
use bioscope_core::EntityType;
use bioscope_tagger::{CacheStats, CachedTagger, Priority, Tagger, TaggerOptions};
use bioscope_tests::{ort_library, shipped_lexicon, shipped_model};

fn shipped() -> Tagger {
    let options = TaggerOptions {
        threads: 1,
        library: Some(ort_library()),
        ..TaggerOptions::default()
    };
    // A model with lexicon features reads them from the shipped lexicon.
    let lexicon = bioscope_lexicon::open(&shipped_lexicon()).unwrap();
    Tagger::load(&shipped_model(), options)
        .unwrap()
        .with_feature_lexicon(Some(std::sync::Arc::new(lexicon)))
}

/// The model alone (no lexicon passes) through the analysis pipeline, caching `capacity`
/// sentences.
fn analyzer(capacity: usize) -> Analyzer {
    Analyzer::new(Some(shipped()), None, capacity, SentencePasses::NONE)
}

fn analyze(analyzer: &Analyzer, text: &str) -> Vec<DecidedEntity> {
    analyzer
        .analyze(
            text.to_string(),
            DocFormat::Plain,
            Request::whole(Priority::Background),
        )
        .entities()
        .to_vec()
}

#[test]
fn shipped_model_finds_typed_entities_with_byte_spans_and_scores() {
    let tagger = shipped();
    let text = "Mutations in the ATP7B gene cause Wilson disease, a disorder of copper metabolism — ça va.";
    let found = tagger.tag_texts(&[text]).unwrap().remove(0);
    let typed: Vec<(&str, EntityType)> = found
        .iter()
        .map(|e| (&text[e.start..e.end], e.entity_type))
        .collect();
    assert!(
        typed.contains(&("Wilson disease", EntityType::Disease)),
        "{typed:?}"
    );
    assert!(typed.contains(&("ATP7B", EntityType::Gene)), "{typed:?}");
    for e in &found {
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
fn long_paragraphs_are_tagged_through_overlapping_windows() {
    let tagger = shipped();
    let sentence = "Patients with Wilson disease were compared with healthy siblings. ";
    // Shifting the text word by word moves the window boundaries across every position of a
    // mention; wherever they fall, every mention is found whole.
    for shift in 0..12 {
        let text = format!("{}{}", "Controls ".repeat(shift), sentence.repeat(24));
        let words = bioscope_core::corpus::split_words(&text);
        let word_strs: Vec<&str> = words.iter().map(|w| &text[w.start..w.end]).collect();
        let windows = tagger
            .bundle
            .encoder
            .encode_words_with_context(
                &word_strs,
                tagger.bundle.manifest.max_sequence_length,
                bioscope_core::encoding::WINDOW_CONTEXT,
            )
            .unwrap();
        assert!(windows.len() >= 2, "the paragraph spans several windows");
        let found: Vec<_> = tagger
            .tag_texts(&[&text])
            .unwrap()
            .remove(0)
            .into_iter()
            .filter(|e| e.entity_type == EntityType::Disease)
            .collect();
        let names: Vec<&str> = found.iter().map(|e| &text[e.start..e.end]).collect();
        assert_eq!(
            names,
            vec!["Wilson disease"; 24],
            "shift {shift}: {names:?}"
        );
        let starts: Vec<usize> = found.iter().map(|e| e.start).collect();
        let expected: Vec<usize> = (0..24)
            .map(|i| shift * 9 + i * sentence.len() + 14)
            .collect();
        assert_eq!(starts, expected);
    }
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
            if e.entity_type == EntityType::Disease {
                spans.push(&doc[start..end]);
            }
        }
    }
    assert_eq!(
        spans,
        ["Wilson disease", "Wilson disease"],
        "heading and prose, not code"
    );
}

#[test]
fn cache_reruns_only_changed_sentences_and_shifts_offsets() {
    let tagger = analyzer(64);
    let doc = "Wilson disease is rare.\n\nWe studied TP53 in mice.\n\nPatients with Menkes disease were excluded.\n";
    let first = analyze(&tagger, doc);
    assert_eq!(
        tagger.stats(),
        CacheStats {
            hits: 0,
            misses: 3,
            entries: 3
        }
    );
    let again = analyze(&tagger, doc);
    assert_eq!(again, first);
    assert_eq!(
        tagger.stats(),
        CacheStats {
            hits: 3,
            misses: 3,
            entries: 3
        }
    );

    // An edit in the second paragraph moves the third; only the second goes through the model.
    let edited = doc.replace(
        "We studied TP53 in mice.",
        "We also studied the ATP7B gene in mice with liver failure.",
    );
    let after = analyze(&tagger, &edited);
    assert_eq!(
        tagger.stats(),
        CacheStats {
            hits: 5,
            misses: 4,
            entries: 4
        }
    );
    let fresh = analyze(&analyzer(64), &edited);
    assert_eq!(
        after, fresh,
        "reused results are shifted to the paragraph's new place"
    );
    let texts: Vec<&str> = after.iter().map(|e| &edited[e.start..e.end]).collect();
    assert!(texts.contains(&"Menkes disease"), "{texts:?}");

    // Other settings are other keys.
    let other = CachedTagger::new(shipped(), 64, "threshold=0.9");
    assert_ne!(other.tag_paragraphs(&["Wilson disease."]).unwrap().len(), 0);
    assert_eq!(other.stats().misses, 1);
}

#[test]
fn an_edit_reruns_only_the_sentence_it_touched() {
    let tagger = analyzer(64);
    let doc = "Wilson disease is rare. We studied TP53 in mice. Patients with Menkes disease \
               were excluded.\n";
    analyze(&tagger, doc);
    assert_eq!(tagger.stats().misses, 3, "one paragraph, three sentences");
    let edited = doc.replace("TP53 in mice", "TP53 and BRCA1 in mice");
    let after = analyze(&tagger, &edited);
    assert_eq!(
        (tagger.stats().hits, tagger.stats().misses),
        (2, 4),
        "only the edited sentence goes through the model"
    );
    let fresh = analyze(&analyzer(64), &edited);
    assert_eq!(after, fresh, "cached sentences give what a fresh run gives");
    let texts: Vec<&str> = after.iter().map(|e| &edited[e.start..e.end]).collect();
    assert!(
        texts.contains(&"BRCA1") && texts.contains(&"Menkes disease"),
        "{texts:?}"
    );
}

#[test]
fn cache_stays_within_its_bound() {
    let tagger = CachedTagger::new(shipped(), 2, "");
    for i in 0..5 {
        tagger
            .tag_paragraphs(&[&format!("Paragraph {i} on Wilson disease.")])
            .unwrap();
    }
    assert_eq!(tagger.stats().entries, 2);
    // The least recently used went first: paragraph 0 is tagged again.
    tagger
        .tag_paragraphs(&["Paragraph 0 on Wilson disease."])
        .unwrap();
    assert_eq!(tagger.stats().misses, 6);
}

/// Ordinary sentences, written by the team, with words that name chemicals, diseases or genes
/// in other senses ("lead", "iron", "depression", "cold"): the product as users get it (model,
/// lexicon, every pass) colours none of them. A retrained model must keep this.
#[test]
fn ordinary_prose_is_not_coloured() {
    let lexicon = bioscope_lexicon::open(&bioscope_tests::repo_root().join("models/lexicon"))
        .expect("the shipped lexicon opens");
    let analyzer = Analyzer::new(
        Some(shipped()),
        Some(std::sync::Arc::new(lexicon)),
        100,
        SentencePasses::ALL,
    );
    let text = std::fs::read_to_string(bioscope_tests::fixture("ordinary-prose.txt")).unwrap();
    let analysis = analyzer.analyze(
        text.clone(),
        DocFormat::Plain,
        Request::whole(Priority::Background),
    );
    let coloured: Vec<(&str, EntityType)> = analysis
        .entities()
        .iter()
        .map(|e| (&text[e.start..e.end], e.entity_type))
        .collect();
    assert!(text.contains("lead author") && text.contains("Iron gates"));
    assert_eq!(coloured, [], "ordinary prose coloured");
}
