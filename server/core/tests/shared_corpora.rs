//! The readers on the real shared corpora: document and mention counts match ../shared's
//! STATS.md, and every mention's byte span lands on character boundaries without surrounding
//! white space (character offsets were converted correctly, accents and Greek letters included).

use std::path::PathBuf;

use bioscope_core::corpus::{read_brat, read_iob, read_pubtator, Document};
use bioscope_core::entity::Tag;

fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/corpora")
        .join(rel);
    assert!(
        p.exists(),
        "{} is missing: the shared data must sit beside the repository",
        p.display()
    );
    p
}

fn check_spans(docs: &[Document]) -> usize {
    let mut n = 0;
    for d in docs {
        for m in &d.mentions {
            let text = d
                .text
                .get(m.start..m.end)
                .unwrap_or_else(|| panic!("{}: bad span {}..{}", d.id, m.start, m.end));
            assert!(
                !text.is_empty() && text.trim() == text,
                "{}: mention {text:?}",
                d.id
            );
            n += 1;
        }
    }
    n
}

#[test]
fn ncbi_disease_pubtator_test_split() {
    let docs = read_pubtator(&shared("ncbi-disease/original/test/NCBItestset_corpus.txt")).unwrap();
    assert_eq!(docs.len(), 100);
    assert_eq!(check_spans(&docs), 960);
    assert!(docs
        .iter()
        .flat_map(|d| &d.mentions)
        .all(|m| !m.ids.is_empty()));
}

#[test]
fn bc5cdr_pubtator_test_split() {
    let docs = read_pubtator(&shared("bc5cdr/original/CDR_TestSet.PubTator.txt")).unwrap();
    assert_eq!(docs.len(), 500);
    assert_eq!(check_spans(&docs), 9809);
}

#[test]
fn s800_brat_test_split() {
    let docs = read_brat(&shared("s800/split-standoff/test")).unwrap();
    assert_eq!(docs.len(), 160);
    assert_eq!(check_spans(&docs), 767);
    let sentences: usize = docs.iter().map(|d| d.sentences().len()).sum();
    assert!(sentences > 1000, "{sentences} sentences");
}

#[test]
fn ncbi_disease_iob_test_split() {
    let sentences = read_iob(&shared("ncbi-disease/iob-mtl2016/test.tsv")).unwrap();
    assert_eq!(sentences.len(), 940);
    let begins = sentences
        .iter()
        .flat_map(|s| &s.tags)
        .filter(|t| matches!(t, Tag::Begin(_)))
        .count();
    assert_eq!(begins, 960);
}
