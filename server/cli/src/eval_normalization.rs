//! `bioscope eval --normalization`: accuracy@1 of normalization on a corpus's gold mentions
//! (PubTator or brat with identifiers), per type.
//!
//! A prediction is right when the top concept's identifier, one of its cross-references, or
//! its broader MeSH heading (the identifier that PubTator output writes for a concept without
//! a heading of its own) is among the mention's gold identifiers. Composite mentions ("breast and ovarian cancer",
//! gold `D001943+D010051`) and mentions without identifiers are counted apart, not scored.
//! Beside accuracy it reports how many scored mentions have gold identifiers that no concept
//! of the lexicon carries (a MeSH record of an older release, a mouse gene's NCBI Gene id),
//! the ceiling that leaves, and the accuracy on the rest.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::{map_corpus_type, read_brat, read_pubtator, CorpusFormat};
use bioscope_core::EntityType;
use bioscope_lexicon::concept::HUMAN;
use bioscope_lexicon::{Abbreviations, Candidate, ConceptId, Lexicon, MatchKind, Normalizer};

#[derive(Default)]
struct Tally {
    scored: usize,
    correct: usize,
    unmatched: usize,
    skipped: usize,
    /// Scored mentions none of whose gold identifiers the lexicon knows (a MeSH record of an
    /// older release, a mouse gene's NCBI Gene id): no ranking can get them right.
    unknown: usize,
    /// Mentions whose best candidate the trained name ranker found, and those right.
    ranked: usize,
    ranked_right: usize,
}

/// Gene mentions whose gold organism is known (human or not), and those whose best candidate
/// agrees.
#[derive(Default)]
struct OrganismTally {
    scored: usize,
    right: usize,
}

/// Whether a candidate names `id`: as its own identifier, a cross-reference or its broader
/// MeSH heading (what PubTator output writes for a concept without a heading of its own).
fn names(candidate: &Candidate, id: &ConceptId) -> bool {
    let concept = &candidate.concept;
    std::iter::once(&concept.id)
        .chain(&concept.xrefs)
        .chain(&concept.broader)
        .any(|x| x == id)
}

/// Mentions whose gold names several concepts ("breast and ovarian cancer"), those resolved
/// as composite, and those whose parts are exactly the gold concepts.
#[derive(Default)]
struct CompositeTally {
    scored: usize,
    resolved: usize,
    right: usize,
    /// Mentions of one gold concept resolved as composite all the same.
    split_single: usize,
}

/// Candidates looked at per mention: enough to find the gold gene's organism.
const CANDIDATES: usize = 12;

pub fn run(
    lexicon: &Lexicon,
    corpus: &Path,
    format: CorpusFormat,
    types: Option<Vec<EntityType>>,
    show_errors: usize,
    ranker_threshold: Option<f32>,
) -> Result<()> {
    let docs = match format {
        CorpusFormat::PubTator => read_pubtator(corpus),
        CorpusFormat::Brat => read_brat(corpus),
        _ => bail!("normalization needs identifiers: use --format pubtator or brat"),
    }
    .with_context(|| format!("cannot read corpus {}", corpus.display()))?;
    let mut normalizer = Normalizer::new(lexicon);
    if let Some(threshold) = ranker_threshold {
        normalizer = normalizer.with_min_ranker_similarity(threshold);
    }
    // Walked before the clock starts: not part of the lookups' time.
    let known = lexicon.known_ids();
    let mut tallies: BTreeMap<EntityType, Tally> = BTreeMap::new();
    let mut errors = Vec::new();
    let started = Instant::now();
    let mut lookups = 0usize;
    let mut organisms = OrganismTally::default();
    let mut composites = CompositeTally::default();
    for doc in &docs {
        let typed: Vec<(EntityType, &str, Range<usize>, &Vec<String>)> = doc
            .mentions
            .iter()
            .filter_map(|m| {
                let entity_type = map_corpus_type(&m.type_name)?;
                let text = doc.text.get(m.start..m.end)?;
                Some((entity_type, text, m.start..m.end, &m.ids))
            })
            .collect();
        let of_type = |entity_type: EntityType| {
            typed
                .iter()
                .filter(move |(t, ..)| *t == entity_type)
                .map(|(_, _, at, _)| at.clone())
        };
        let context = normalizer.context_in(
            &doc.text,
            Abbreviations::from_text(&doc.text),
            of_type(EntityType::Species),
            of_type(EntityType::Gene),
        );
        for (entity_type, text, at, ids) in typed.iter().cloned() {
            if types.as_ref().is_some_and(|t| !t.contains(&entity_type)) {
                continue;
            }
            let tally = tallies.entry(entity_type).or_default();
            let gold: Vec<ConceptId> = ids
                .iter()
                .filter(|id| !id.contains('+'))
                .filter_map(|id| ConceptId::from_corpus(id, entity_type))
                .collect();
            if gold.is_empty() || ids.iter().any(|id| id.contains('+')) {
                tally.skipped += 1;
                continue;
            }
            tally.scored += 1;
            if !gold.iter().any(|id| known.contains(id)) {
                tally.unknown += 1;
            }
            lookups += 1;
            let candidates = normalizer.candidates_at(
                text,
                Some(at.clone()),
                Some(entity_type),
                &context,
                CANDIDATES,
            );
            let names_gold = |c: &&Candidate| gold.iter().any(|g| names(c, g));
            // Whether a gene is human: the gold gene's organism where the lexicon has it among
            // the candidates; a gold gene id that no concept carries is taken as another
            // organism's (the lexicon has every human NCBI Gene id, but no mouse or rat ones).
            if entity_type == EntityType::Gene {
                let gold_human = if !gold.iter().any(|id| known.contains(id)) {
                    Some(false)
                } else {
                    candidates
                        .iter()
                        .find(names_gold)
                        .and_then(|c| c.concept.species)
                        .map(|s| s == HUMAN)
                };
                if let (Some(best), Some(gold_human)) = (candidates.first(), gold_human) {
                    organisms.scored += 1;
                    organisms.right +=
                        usize::from((best.concept.species == Some(HUMAN)) == gold_human);
                }
            }
            if gold.len() == 1 {
                composites.split_single += usize::from(
                    normalizer
                        .composite_at(text, Some(at.clone()), entity_type, &context)
                        .is_some(),
                );
            } else {
                composites.scored += 1;
                if let Some(parts) =
                    normalizer.composite_at(text, Some(at.clone()), entity_type, &context)
                {
                    composites.resolved += 1;
                    let every_part = parts.iter().all(|p| gold.iter().any(|g| names(p, g)));
                    let every_gold = gold.iter().all(|g| parts.iter().any(|p| names(p, g)));
                    composites.right += usize::from(every_part && every_gold);
                }
            }
            match candidates.into_iter().next() {
                None => {
                    tally.unmatched += 1;
                    if errors.len() < show_errors {
                        errors.push(format!(
                            "{entity_type}\t{text}\t(none)\tgold {}\tdocument {}",
                            ids.join("|"),
                            doc.id
                        ));
                    }
                }
                Some(best) => {
                    let concept = &best.concept;
                    let right = names_gold(&&best);
                    if best.via == MatchKind::Ranked {
                        tally.ranked += 1;
                        tally.ranked_right += usize::from(right);
                    }
                    if right {
                        tally.correct += 1;
                    } else if errors.len() < show_errors {
                        errors.push(format!(
                            "{entity_type}\t{text}\t{} {}\tgold {}\tdocument {}\t{}",
                            concept.id,
                            concept.name,
                            ids.join("|"),
                            doc.id,
                            best.via.label()
                        ));
                    }
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "normalization on {} ({} documents, {} mentions, {:.2} s, {:.0} mentions/s)",
        corpus.display(),
        docs.len(),
        lookups,
        secs,
        lookups as f64 / secs.max(1e-9)
    );
    println!(
        "{:<10} {:>7} {:>9} {:>10} {:>8} {:>10} {:>9} {:>11}",
        "type", "scored", "acc@1", "no match", "skipped", "unknown id", "ceiling", "known acc@1"
    );
    let percent = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    for (entity_type, t) in &tallies {
        println!(
            "{:<10} {:>7} {:>8.2}% {:>10} {:>8} {:>10} {:>8.2}% {:>10.2}%",
            entity_type.name(),
            t.scored,
            percent(t.correct, t.scored),
            t.unmatched,
            t.skipped,
            t.unknown,
            percent(t.scored - t.unknown, t.scored),
            percent(t.correct, t.scored - t.unknown)
        );
    }
    println!(
        "(unknown id: scored mentions none of whose gold identifiers any concept of the \
         lexicon has, as id, cross-reference or broader heading; ceiling: the accuracy that \
         leaves; known acc@1: accuracy on the other mentions)"
    );
    for (entity_type, t) in tallies.iter().filter(|(_, t)| t.ranked > 0) {
        println!(
            "{}: the trained name ranker decided {} mentions, {} of them right ({:.2}%)",
            entity_type.name(),
            t.ranked,
            t.ranked_right,
            percent(t.ranked_right, t.ranked)
        );
    }
    if organisms.scored > 0 {
        println!(
            "gene organism (human or not) right: {:.2}% of {} gene mentions (a gold id that no \
             concept has is taken as a mouse or rat gene)",
            percent(organisms.right, organisms.scored),
            organisms.scored
        );
    }
    if composites.scored > 0 {
        println!(
            "composite mentions (gold names several concepts): {}; resolved into parts: {}; \
             every part right: {} ({:.2}%); mentions of one gold concept split into parts: {}",
            composites.scored,
            composites.resolved,
            composites.right,
            percent(composites.right, composites.scored),
            composites.split_single
        );
    }
    for error in errors {
        println!("error\t{error}");
    }
    Ok(())
}
