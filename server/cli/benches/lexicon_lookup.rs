//! Lexicon speed and size: time to open the shipped lexicon, its size on disk, resident memory
//! before and after a run of lookups, the similarity index's build time and memory, and
//! normalization throughput (p50/p99 per mention) on the
//! gold mention texts of the shared development splits, without and then with the lexicon's
//! trained name ranker (`models/lexicon/ranker/`, through ONNX Runtime: `ORT_DYLIB_PATH`).
//! Prints figures; never asserts them.
//!
//!   cargo bench -p bioscope-cli --bench lexicon_lookup

use std::path::Path;
use std::time::Instant;

use bioscope_core::corpus::{map_corpus_type, read_brat, read_pubtator, Document};
use bioscope_core::EntityType;
use bioscope_lexicon::DocumentContext;
use bioscope_lexicon::Normalizer;
use bioscope_tests::percentile;

/// This process's resident memory in MiB.
fn rss_mib() -> u64 {
    bioscope_tests::memory_mib(std::process::id(), "VmRSS").unwrap_or(0)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpora = root.join("../shared/data/corpora");
    let mut docs: Vec<Document> = Vec::new();
    for split in [
        "ncbi-disease/original/devel/NCBIdevelopset_corpus.txt",
        "bc5cdr/original/CDR_DevelopmentSet.PubTator.txt",
        "biored/original/Dev.PubTator",
    ] {
        docs.extend(read_pubtator(&corpora.join(split)).expect("development split"));
    }
    docs.extend(read_brat(&corpora.join("s800/split-standoff/devel")).expect("S800 devel"));
    let mentions: Vec<(String, EntityType)> = docs
        .iter()
        .flat_map(|d| {
            d.mentions.iter().filter_map(|m| {
                let t = map_corpus_type(&m.type_name)?;
                Some((d.text.get(m.start..m.end)?.to_string(), t))
            })
        })
        .collect();

    let rss_before = rss_mib();
    let started = Instant::now();
    let lexicon = bioscope_lexicon::open(&root.join("models/lexicon")).expect("shipped lexicon");
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    let rss_open = rss_mib();
    println!(
        "lexicon: {:.1} MB on disk, {} keys, {} concept records; open + checksum {:.0} ms",
        lexicon.bytes_on_disk() as f64 / 1e6,
        lexicon.name_count(),
        lexicon.concept_count(),
        open_ms
    );

    // Exact key lookups.
    let keys: Vec<String> = mentions
        .iter()
        .map(|(t, _)| bioscope_lexicon::key::key(t))
        .collect();
    let started = Instant::now();
    let mut found = 0usize;
    for _ in 0..5 {
        for key in &keys {
            found += usize::from(!lexicon.postings(key).is_empty());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "exact lookups: {:.0}/s ({} keys x 5, {:.1}% found)",
        (keys.len() * 5) as f64 / secs,
        keys.len(),
        100.0 * found as f64 / (keys.len() * 5) as f64
    );

    // The similarity index over annotated mentions, built on first use.
    let rss_before_index = rss_mib();
    let started = Instant::now();
    let _ = lexicon.nearest_annotated("myocardial injury", EntityType::Disease, 1.0);
    println!(
        "similarity index (annotated mentions): built on first use in {:.0} ms, +{} MiB resident",
        started.elapsed().as_secs_f64() * 1e3,
        rss_mib().saturating_sub(rss_before_index)
    );

    // Full normalization, one mention at a time.
    normalize_all("normalization", &Normalizer::new(&lexicon), &mentions);
    println!(
        "RSS: {} MiB before opening, {} MiB after opening, {} MiB after the lookups",
        rss_before,
        rss_open,
        rss_mib()
    );

    // The same with the trained name ranker attached (diseases): each mention that exact and
    // variant matching leave open is encoded once (a ranker remembers its last 4,096 answers).
    let dir = root.join("models/lexicon");
    let rss_before_ranker = rss_mib();
    let started = Instant::now();
    match bioscope_tagger::attach_ranker(&lexicon, &dir, &bioscope_tagger::TaggerOptions::default())
    {
        Ok(true) => {
            println!(
                "ranker: loaded in {:.0} ms, +{} MiB resident",
                started.elapsed().as_secs_f64() * 1e3,
                rss_mib().saturating_sub(rss_before_ranker)
            );
            normalize_all(
                "normalization with the ranker",
                &Normalizer::new(&lexicon),
                &mentions,
            );
            println!("RSS after the lookups with the ranker: {} MiB", rss_mib());
        }
        Ok(false) => println!("ranker: the shipped lexicon has none"),
        Err(e) => println!("ranker: not measured ({e})"),
    }
}

/// Normalizes every mention once, timing each, and prints throughput and percentiles.
fn normalize_all(label: &str, normalizer: &Normalizer, mentions: &[(String, EntityType)]) {
    let context = DocumentContext::default();
    let mut times = Vec::with_capacity(mentions.len());
    let started = Instant::now();
    for (text, t) in mentions {
        let one = Instant::now();
        let _ = normalizer.best(text, Some(*t), &context);
        times.push(one.elapsed().as_secs_f64() * 1e6);
    }
    let secs = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: {:.0} mentions/s over {} gold mentions; p50 {:.1} µs, p99 {:.1} µs, max {:.0} µs",
        mentions.len() as f64 / secs,
        mentions.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or(0.0)
    );
}
