//! The learning-loop simulation (`bioscope-train simulate-loop`): a user reviews K mentions
//! chosen by the model's uncertainty or at random, the gold annotations answer for the user,
//! `finetune` retrains the base bundle on those corrections, and strict F1 on a test split
//! shows what K corrections bought (issue 8).
//!
//! 1. **Candidates** ([`candidates`]): the base model (candle, weights imported from the
//!    bundle) tags every sentence of the pool split with CRF marginals ([`predict_posteriors`]).
//!    A candidate is either a *predicted* mention of a type the corpus annotates, with the
//!    server's confidence (the lowest posterior probability of its words' decoded tags, as
//!    `handlers/uncertain.rs` ranks them), or a *near miss*: a maximal run of words not tagged
//!    `T` whose posterior mass of `B-T` + `I-T` is at least `near_miss`, with confidence
//!    1 − the largest such mass (the model's probability that the doubtful word is not `T`).
//!    The set depends on the model alone, never on gold: gold mentions the model neither
//!    predicted nor nearly predicted are not offered (a user is shown mentions, not missed
//!    ones), and both strategies draw from the same set.
//! 2. **Oracle** ([`oracle`]): the gold mention that overlaps the candidate most (same type
//!    first) decides. A predicted mention equal to it is accepted, one of the same type with
//!    other bounds resized, one of another type retyped (to the gold span); a predicted mention
//!    that overlaps no gold mention is rejected. A near miss over a gold mention becomes a tag
//!    of that gold mention; one over none a reject (the user dismisses the hint).
//! 3. **Strategies** ([`order`]): uncertainty reviews candidates by confidence, lowest first;
//!    random in a seeded SplitMix64 order. The first K of an order are the K corrections, so
//!    each strategy's sets are nested across K.
//! 4. **Retraining**: the K records are written as the server writes them
//!    (`bioscope_core::corrections`, the sentence's words joined by spaces as the paragraph),
//!    `finetune` runs from the base as a child process (its wall time is the whole command:
//!    loading, tagging, caching, training, export), and the new bundle is scored (candle,
//!    imported weights) on the test split, strict P/R/F1 over the annotated types.
//!
//! Every run's figures go to `WORK/<strategy>-k<K>/result.json` with the SHA-256 of its
//! corrections: a rerun with the same corrections and finetune arguments reuses them, so an
//! interrupted simulation resumes. The table is printed and written as `WORK/results.json`,
//! `WORK/results.csv` and a plot, `WORK/loop-simulation.svg`.

use std::cmp::Reverse;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::{sentence_text, Sentence};
use bioscope_core::corrections::{self, Action, Correction, Scope, SpanLabel, SCHEMA_VERSION};
use bioscope_core::decode::{decode_window_scored, marginals, tag_runs, TagRun};
use bioscope_core::encoding::WordPieceEncoder;
use bioscope_core::entity::Tag;
use bioscope_core::hash::sha256_hex;
use bioscope_core::EntityType;
use serde::{Deserialize, Serialize};

use super::finetune_bench::finetune_child;
use bioscope_train::data::{gold_tags, CorpusSpec};
use bioscope_train::eval::{decode_windows, predict, score};
use bioscope_train::import::import_bundle;
use bioscope_train::model::TokenClassifier;
use bioscope_train::replay::splitmix;

/// What `simulate-loop` is asked to do.
pub struct LoopOptions {
    pub base: PathBuf,
    /// The split whose sentences the simulated user corrects.
    pub pool: CorpusSpec,
    /// The split the retrained models are scored on.
    pub test: CorpusSpec,
    pub ks: Vec<usize>,
    /// Seeds of the random strategy (one run per seed and K).
    pub seeds: Vec<u64>,
    /// Near-miss threshold on a type's posterior mass; above 1 turns near misses off.
    pub near_miss: f32,
    pub work: PathBuf,
    pub finetune_args: Vec<String>,
    /// The lexicon a base with lexicon-match features reads them from.
    pub lexicon: Option<PathBuf>,
    /// Keep each retrained bundle (`WORK/<run>/bundle`); by default it is removed once scored.
    pub keep_bundles: bool,
    /// The `bioscope-train` binary to run `finetune` with.
    pub exe: PathBuf,
}

/// What the model says about one word: its decoded tag, that tag's posterior probability, and
/// for each scored type `T` the posterior mass of `B-T` + `I-T`, at the word's first piece.
#[derive(Clone, Debug, PartialEq)]
pub struct WordPosterior {
    pub tag: Tag,
    pub confidence: f32,
    /// One entry per type of the `types` the posteriors were computed for.
    pub mass: Vec<f32>,
}

/// Word posteriors of every sentence, decoded as the tagger decodes (the same windows and
/// Viterbi path as [`bioscope_train::finetune::predict_scored`], plus the marginals of `types`).
pub fn predict_posteriors(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    types: &[EntityType],
    max_len: usize,
    batch_tokens: usize,
) -> Result<Vec<Vec<WordPosterior>>> {
    let scheme = &model.scheme;
    let n = scheme.len();
    let labels: Vec<(usize, usize)> = types
        .iter()
        .map(|&t| (scheme.index(Tag::Begin(t)), scheme.index(Tag::Inside(t))))
        .collect();
    let empty = WordPosterior {
        tag: Tag::Outside,
        confidence: 1.0,
        mass: vec![0.0; types.len()],
    };
    let mut out: Vec<Vec<WordPosterior>> = sentences
        .iter()
        .map(|s| vec![empty.clone(); s.words.len()])
        .collect();
    decode_windows(
        model,
        encoder,
        sentences,
        max_len,
        batch_tokens,
        |e, emissions, crf| {
            let w = &e.window;
            let scored = decode_window_scored(w, emissions, scheme, crf);
            let probs = marginals(emissions, scheme, crf);
            let mut first_piece = vec![None; w.end_word - w.first_word];
            let mut prev = None;
            for (p, &word) in w.piece_word.iter().enumerate() {
                if let Some(word) = word {
                    if prev != Some(word) {
                        first_piece[word - w.first_word] = Some(p);
                    }
                }
                prev = word;
            }
            for (word, (tag, confidence)) in (w.keep_first..w.keep_end).zip(scored) {
                let mass = match first_piece[word - w.first_word] {
                    Some(p) => labels
                        .iter()
                        .map(|&(b, i)| probs[p * n + b] + probs[p * n + i])
                        .collect(),
                    None => vec![0.0; types.len()],
                };
                out[e.sentence][word] = WordPosterior {
                    tag,
                    confidence,
                    mass,
                };
            }
        },
    )?;
    Ok(out)
}

/// Where a candidate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CandidateKind {
    /// A mention the model predicted.
    Predicted,
    /// Words the model did not tag `T` but gave at least `near_miss` probability of `T`.
    NearMiss,
}

/// A mention the simulated user may review: words `[start, end)` of a pool sentence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub sentence: usize,
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
    pub kind: CandidateKind,
    pub confidence: f32,
}

/// The candidates of one sentence (see the module doc), predicted mentions first.
pub fn candidates(
    sentence: usize,
    words: &[WordPosterior],
    types: &[EntityType],
    near_miss: f32,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for run in tag_runs(words.iter().map(|w| w.tag)) {
        if !types.contains(&run.entity_type) {
            continue;
        }
        let confidence = words[run.start..run.end]
            .iter()
            .map(|w| w.confidence)
            .fold(1.0, f32::min);
        out.push(Candidate {
            sentence,
            start: run.start,
            end: run.end,
            entity_type: run.entity_type,
            kind: CandidateKind::Predicted,
            confidence,
        });
    }
    for (k, &t) in types.iter().enumerate() {
        let near = |w: &WordPosterior| w.tag.entity_type() != Some(t) && w.mass[k] >= near_miss;
        let mut i = 0;
        while i < words.len() {
            if !near(&words[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < words.len() && near(&words[i]) {
                i += 1;
            }
            let most = words[start..i]
                .iter()
                .map(|w| w.mass[k])
                .fold(0.0, f32::max);
            out.push(Candidate {
                sentence,
                start,
                end: i,
                entity_type: t,
                kind: CandidateKind::NearMiss,
                confidence: 1.0 - most,
            });
        }
    }
    out
}

/// The oracle's answer for a candidate, in word spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleDecision {
    pub action: Action,
    pub old: Option<TagRun>,
    pub new: Option<TagRun>,
}

/// What the gold annotation says about a candidate (see the module doc).
pub fn oracle(c: &Candidate, gold: &[TagRun]) -> OracleDecision {
    let span = TagRun {
        start: c.start,
        end: c.end,
        entity_type: c.entity_type,
    };
    let overlap = |g: &TagRun| g.end.min(c.end).saturating_sub(g.start.max(c.start));
    let best = gold
        .iter()
        .filter(|g| overlap(g) > 0)
        .max_by_key(|g| (g.entity_type == c.entity_type, overlap(g), Reverse(g.start)))
        .copied();
    let decision = |action, old, new| OracleDecision { action, old, new };
    match (c.kind, best) {
        (_, None) => decision(Action::Reject, Some(span), None),
        (CandidateKind::NearMiss, Some(g)) => decision(Action::Tag, None, Some(g)),
        (CandidateKind::Predicted, Some(g)) if g == span => {
            decision(Action::Accept, Some(span), Some(span))
        }
        (CandidateKind::Predicted, Some(g)) if g.entity_type == c.entity_type => {
            decision(Action::Resize, Some(span), Some(g))
        }
        (CandidateKind::Predicted, Some(g)) => decision(Action::Retype, Some(span), Some(g)),
    }
}

/// The correction record the server would write for a decision on a pool sentence.
pub fn to_correction(
    sentence: &Sentence,
    d: &OracleDecision,
    document: &str,
    model_sha256: &str,
) -> Correction {
    let (paragraph, offsets) = sentence_text(&sentence.words);
    let span = |r: &TagRun| SpanLabel {
        start: offsets[r.start].0,
        end: offsets[r.end - 1].1,
        entity_type: r.entity_type,
    };
    Correction {
        schema: SCHEMA_VERSION,
        action: d.action,
        scope: Scope::Here,
        document: document.to_string(),
        paragraph,
        old: d.old.as_ref().map(span),
        new: d.new.as_ref().map(span),
        model_sha256: model_sha256.to_string(),
        timestamp: "2026-11-24T00:00:00Z".into(),
    }
}

/// How the simulated user picks what to review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Lowest confidence first (ties: pool order).
    Uncertainty,
    /// A seeded shuffle.
    Random(u64),
}

impl Strategy {
    pub fn name(self) -> String {
        match self {
            Strategy::Uncertainty => "uncertainty".into(),
            Strategy::Random(seed) => format!("random-{seed}"),
        }
    }
}

/// The order in which a strategy reviews the candidates (indices into `candidates`).
pub fn order(candidates: &[Candidate], strategy: Strategy) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..candidates.len()).collect();
    match strategy {
        Strategy::Uncertainty => idx.sort_by(|&a, &b| {
            candidates[a]
                .confidence
                .total_cmp(&candidates[b].confidence)
                .then(a.cmp(&b))
        }),
        Strategy::Random(seed) => {
            idx.sort_by_key(|&i| (splitmix(seed ^ splitmix(i as u64)), i));
        }
    }
    idx
}

/// The figures of one retrained model (or of the base, K = 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub strategy: String,
    pub k: usize,
    /// Paragraphs (sentences) the K corrections fall in.
    pub paragraphs: usize,
    /// Records per action: accept, reject, resize, retype, tag.
    pub actions: [usize; 5],
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Wall time of the `finetune` command (0 for the base).
    pub retrain_seconds: f64,
    /// SHA-256 of the corrections file, and the finetune arguments (for reuse).
    pub corrections_sha256: String,
    pub finetune_args: Vec<String>,
}

fn action_counts(decisions: &[&OracleDecision]) -> [usize; 5] {
    let mut counts = [0; 5];
    for d in decisions {
        let slot = match d.action {
            Action::Accept => 0,
            Action::Reject | Action::Ignore => 1,
            Action::Resize => 2,
            Action::Retype => 3,
            Action::Tag => 4,
        };
        counts[slot] += 1;
    }
    counts
}

/// Strict P/R/F1 of a model on the test sentences, over `types`.
fn test_scores(
    model: &TokenClassifier,
    encoder: &WordPieceEncoder,
    max_len: usize,
    test: &[Sentence],
    types: &[EntityType],
) -> Result<(f64, f64, f64)> {
    let predicted = predict(model, encoder, test, max_len, 4096)?;
    let s = score(test, &predicted, types).micro;
    Ok((s.precision(), s.recall(), s.f1()))
}

/// Runs the simulation, prints the table and writes it (and the plot) into the work directory.
pub fn run(options: &LoopOptions) -> Result<Vec<RunResult>> {
    fs::create_dir_all(&options.work)
        .with_context(|| format!("cannot create {}", options.work.display()))?;
    let base = import_bundle(&options.base, options.lexicon.as_deref())?;
    let model = &base.run.model;
    let types = options.pool.annotated_types(model.scheme.types())?;
    let pool = options.pool.read()?;
    let test = options.test.read()?;
    let max_len = base.run.info.max_len;

    let started = std::time::Instant::now();
    let (p, r, f) = test_scores(model, &base.run.encoder, max_len, &test, &types)?;
    eprintln!(
        "base: strict F1 {:.2} on {} test sentences ({:.0} s)",
        100.0 * f,
        test.len(),
        started.elapsed().as_secs_f64()
    );
    let mut results = vec![RunResult {
        strategy: "base".into(),
        k: 0,
        paragraphs: 0,
        actions: [0; 5],
        precision: p,
        recall: r,
        f1: f,
        retrain_seconds: 0.0,
        corrections_sha256: String::new(),
        finetune_args: Vec::new(),
    }];

    let started = std::time::Instant::now();
    let posteriors = predict_posteriors(model, &base.run.encoder, &pool, &types, max_len, 4096)?;
    let gold = gold_tags(&pool);
    let mut pool_candidates = Vec::new();
    for (i, words) in posteriors.iter().enumerate() {
        pool_candidates.extend(candidates(i, words, &types, options.near_miss));
    }
    let decisions: Vec<OracleDecision> = pool_candidates
        .iter()
        .map(|c| {
            let runs: Vec<TagRun> = tag_runs(gold[c.sentence].iter().copied())
                .into_iter()
                .filter(|g| types.contains(&g.entity_type))
                .collect();
            oracle(c, &runs)
        })
        .collect();
    let near = pool_candidates
        .iter()
        .filter(|c| c.kind == CandidateKind::NearMiss)
        .count();
    let all = action_counts(&decisions.iter().collect::<Vec<_>>());
    eprintln!(
        "pool: {} sentences tagged in {:.0} s; {} candidates ({} predicted, {} near misses); \
         oracle: {} accept, {} reject, {} resize, {} retype, {} tag",
        pool.len(),
        started.elapsed().as_secs_f64(),
        pool_candidates.len(),
        pool_candidates.len() - near,
        near,
        all[0],
        all[1],
        all[2],
        all[3],
        all[4]
    );
    drop(posteriors);

    let title = format!(
        "Strict {} F1 on {} after K corrections",
        types.iter().map(|t| t.name()).collect::<Vec<_>>().join("/"),
        corpus_label(&options.test.path)
    );
    let mut strategies = vec![Strategy::Uncertainty];
    strategies.extend(options.seeds.iter().map(|&s| Strategy::Random(s)));
    let document = options.pool.path.display().to_string();
    for strategy in strategies {
        let ranked = order(&pool_candidates, strategy);
        for &k in &options.ks {
            if k > ranked.len() {
                eprintln!(
                    "skipping K = {k}: only {} candidates in the pool",
                    ranked.len()
                );
                continue;
            }
            let chosen: Vec<&OracleDecision> = ranked[..k].iter().map(|&i| &decisions[i]).collect();
            let mut sentences: Vec<usize> = ranked[..k]
                .iter()
                .map(|&i| pool_candidates[i].sentence)
                .collect();
            sentences.sort_unstable();
            sentences.dedup();
            let records: Vec<Correction> = ranked[..k]
                .iter()
                .map(|&i| {
                    to_correction(
                        &pool[pool_candidates[i].sentence],
                        &decisions[i],
                        &document,
                        &base.manifest.model_sha256,
                    )
                })
                .collect();
            let result = retrain_and_score(
                options,
                &format!("{}-k{k}", strategy.name()),
                &records,
                &test,
                &types,
            )?;
            let result = RunResult {
                strategy: strategy.name(),
                k,
                paragraphs: sentences.len(),
                actions: action_counts(&chosen),
                ..result
            };
            eprintln!(
                "{} K = {k}: strict F1 {:.2} (retrain {:.1} s)",
                result.strategy,
                100.0 * result.f1,
                result.retrain_seconds
            );
            results.push(result);
            write_outputs(&options.work, &results, &title)?;
        }
    }
    print!("{}", table(&results));
    println!("{}", summary(&results));
    println!(
        "candle, weights imported from each bundle; figures in {}",
        options.work.display()
    );
    write_outputs(&options.work, &results, &title)?;
    Ok(results)
}

/// Writes the records, runs `finetune` (unless this run's figures exist for the same
/// corrections and arguments) and scores the new bundle on `test`.
fn retrain_and_score(
    options: &LoopOptions,
    name: &str,
    records: &[Correction],
    test: &[Sentence],
    types: &[EntityType],
) -> Result<RunResult> {
    let dir = options.work.join(name);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("corrections.jsonl");
    let _ = fs::remove_file(&path);
    for r in records {
        corrections::append(&path, r)?;
    }
    let sha = sha256_hex(&fs::read(&path)?);
    let result_path = dir.join("result.json");
    if let Ok(text) = fs::read_to_string(&result_path) {
        if let Ok(previous) = serde_json::from_str::<RunResult>(&text) {
            if previous.corrections_sha256 == sha && previous.finetune_args == options.finetune_args
            {
                eprintln!("{name}: reusing {}", result_path.display());
                return Ok(previous);
            }
        }
    }
    let out = dir.join("bundle");
    let seconds = finetune_child(
        &options.exe,
        (&options.base, options.lexicon.as_deref()),
        &path,
        &out,
        &options.finetune_args,
    )?;
    let tuned = import_bundle(&out, options.lexicon.as_deref())?;
    let (precision, recall, f1) = test_scores(
        &tuned.run.model,
        &tuned.run.encoder,
        tuned.run.info.max_len,
        test,
        types,
    )?;
    drop(tuned);
    if !options.keep_bundles {
        let _ = fs::remove_dir_all(&out);
    }
    let result = RunResult {
        strategy: String::new(),
        k: records.len(),
        paragraphs: 0,
        actions: [0; 5],
        precision,
        recall,
        f1,
        retrain_seconds: seconds,
        corrections_sha256: sha,
        finetune_args: options.finetune_args.clone(),
    };
    fs::write(&result_path, serde_json::to_string_pretty(&result)?)
        .with_context(|| format!("cannot write {}", result_path.display()))?;
    Ok(result)
}

/// Every run, one line each.
pub fn table(results: &[RunResult]) -> String {
    let mut s = String::from(
        "strategy        K  paragraphs  accept reject resize retype  tag      P      R     F1  retrain s\n",
    );
    for r in results {
        let _ = writeln!(
            s,
            "{:<13} {:>3} {:>11} {:>7} {:>6} {:>6} {:>6} {:>4} {:>6.2} {:>6.2} {:>6.2} {:>10.1}",
            r.strategy,
            r.k,
            r.paragraphs,
            r.actions[0],
            r.actions[1],
            r.actions[2],
            r.actions[3],
            r.actions[4],
            100.0 * r.precision,
            100.0 * r.recall,
            100.0 * r.f1,
            r.retrain_seconds
        );
    }
    s
}

/// F1 per K: uncertainty, and the random seeds' mean (min–max).
fn curves(results: &[RunResult]) -> Vec<(usize, Option<f64>, Vec<f64>)> {
    let base = results.iter().find(|r| r.strategy == "base").map(|r| r.f1);
    let mut ks: Vec<usize> = results.iter().map(|r| r.k).collect();
    ks.sort_unstable();
    ks.dedup();
    ks.into_iter()
        .map(|k| {
            if k == 0 {
                return (0, base, base.into_iter().collect());
            }
            let unc = results
                .iter()
                .find(|r| r.k == k && r.strategy == "uncertainty")
                .map(|r| r.f1);
            let random = results
                .iter()
                .filter(|r| r.k == k && r.strategy.starts_with("random"))
                .map(|r| r.f1)
                .collect();
            (k, unc, random)
        })
        .collect()
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Uncertainty against the random mean at each K.
pub fn summary(results: &[RunResult]) -> String {
    let mut s =
        String::from("K     uncertainty F1   random F1 mean (min-max, seeds)   difference\n");
    let fmt = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.2}", 100.0 * x));
    for (k, unc, random) in curves(results) {
        let lo = random.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = random.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let m = mean(&random);
        let diff = match (unc, m) {
            (Some(u), Some(m)) if k > 0 => format!("{:+.2}", 100.0 * (u - m)),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "{k:<5} {:>14}   {:>6} ({}-{}, {})   {diff:>18}",
            fmt(unc),
            fmt(m),
            fmt(m.map(|_| lo)),
            fmt(m.map(|_| hi)),
            random.len()
        );
    }
    s
}

fn write_outputs(work: &Path, results: &[RunResult], title: &str) -> Result<()> {
    let json = serde_json::to_string_pretty(results)?;
    fs::write(work.join("results.json"), json)?;
    let mut csv = String::from(
        "strategy,k,paragraphs,accept,reject,resize,retype,tag,precision,recall,f1,retrain_seconds\n",
    );
    for r in results {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{:.4},{:.4},{:.4},{:.1}",
            r.strategy,
            r.k,
            r.paragraphs,
            r.actions[0],
            r.actions[1],
            r.actions[2],
            r.actions[3],
            r.actions[4],
            r.precision,
            r.recall,
            r.f1,
            r.retrain_seconds
        );
    }
    fs::write(work.join("results.csv"), csv)?;
    fs::write(work.join("loop-simulation.svg"), plot_svg(results, title))?;
    Ok(())
}

/// F1 against K as an SVG line plot: uncertainty, the random mean with its seeds as dots, the
/// base at K = 0.
pub fn plot_svg(results: &[RunResult], title: &str) -> String {
    let curves = curves(results);
    let (w, h) = (580.0, 340.0);
    let (left, right, top, bottom) = (58.0, 160.0, 30.0, 48.0);
    let values: Vec<f64> = curves
        .iter()
        .flat_map(|(_, u, r)| u.iter().chain(r.iter()).copied())
        .map(|f| 100.0 * f)
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() {
        ((lo - 1.0).floor(), (hi + 1.0).ceil())
    } else {
        (0.0, 100.0)
    };
    let max_k = curves.iter().map(|c| c.0).max().unwrap_or(1).max(1) as f64;
    let x = |k: usize| left + (w - left - right) * k as f64 / max_k;
    let y = |f: f64| top + (h - top - bottom) * (1.0 - (100.0 * f - lo) / (hi - lo));
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let (x0, x1, y0, y1) = (left, w - right, top, h - bottom);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="18" text-anchor="middle" font-size="13">{title}</text>"#,
        (x0 + x1) / 2.0
    );
    let step = if hi - lo > 12.0 { 2.0 } else { 1.0 };
    let mut t = lo;
    while t <= hi + 1e-9 {
        let yy = y(t / 100.0);
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" y1="{yy:.1}" x2="{x1}" y2="{yy:.1}" stroke="#e4e4e4"/><text x="{}" y="{:.1}" text-anchor="end">{t:.0}</text>"##,
            x0 - 6.0,
            yy + 4.0
        );
        t += step;
    }
    for (k, _, _) in &curves {
        let xx = x(*k);
        let _ = writeln!(
            s,
            r##"<line x1="{xx:.1}" y1="{y1}" x2="{xx:.1}" y2="{}" stroke="#444"/><text x="{xx:.1}" y="{}" text-anchor="middle">{k}</text>"##,
            y1 + 4.0,
            y1 + 18.0
        );
    }
    let _ = writeln!(
        s,
        r##"<polyline points="{x0},{y0} {x0},{y1} {x1},{y1}" fill="none" stroke="#444"/>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">K (corrections)</text>"#,
        (x0 + x1) / 2.0,
        h - 10.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">strict F1 (%)</text>"#,
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0
    );
    let line = |points: Vec<(usize, f64)>, color: &str, dash: &str| -> String {
        let pts: Vec<String> = points
            .iter()
            .map(|&(k, f)| format!("{:.1},{:.1}", x(k), y(f)))
            .collect();
        let mut out = format!(
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
            pts.join(" ")
        );
        for &(k, f) in &points {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"/>"#,
                x(k),
                y(f)
            );
        }
        out
    };
    let (blue, orange) = ("#1f77b4", "#e6730f");
    let unc: Vec<(usize, f64)> = curves
        .iter()
        .filter_map(|(k, u, _)| Some((*k, (*u)?)))
        .collect();
    let rnd: Vec<(usize, f64)> = curves
        .iter()
        .filter_map(|(k, _, r)| Some((*k, mean(r)?)))
        .collect();
    for (k, _, r) in curves.iter().filter(|c| c.0 > 0) {
        for f in r {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{orange}" fill-opacity="0.45"/>"#,
                x(*k),
                y(*f)
            );
        }
    }
    let _ = writeln!(s, "{}", line(rnd, orange, "6 4"));
    let _ = writeln!(s, "{}", line(unc, blue, "none"));
    let seeds = results
        .iter()
        .filter(|r| r.strategy.starts_with("random"))
        .map(|r| &r.strategy)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let lx = x1 + 14.0;
    let _ = writeln!(
        s,
        r##"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{blue}" stroke-width="2"/><text x="{}" y="{}">uncertainty</text>"##,
        y0 + 20.0,
        lx + 24.0,
        y0 + 20.0,
        lx + 30.0,
        y0 + 24.0
    );
    let _ = writeln!(
        s,
        r##"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{orange}" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{}">random (mean</text><text x="{}" y="{}">of {seeds} seed{}; dots)</text>"##,
        y0 + 42.0,
        lx + 24.0,
        y0 + 42.0,
        lx + 30.0,
        y0 + 46.0,
        lx + 30.0,
        y0 + 61.0,
        if seeds == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        s,
        r#"<text x="{lx}" y="{}">K = 0: the base model</text>"#,
        y0 + 86.0
    );
    s.push_str("</svg>\n");
    s
}

/// A short name for a corpus file: the folder under `corpora` and the file's stem
/// (`ncbi-disease test`), else the file's stem.
fn corpus_label(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match parts.iter().position(|p| p == "corpora") {
        Some(i) if i + 1 < parts.len() => format!("{} {stem}", parts[i + 1]),
        _ => stem,
    }
}

/// Checks the options before any work is done.
pub fn check(options: &LoopOptions) -> Result<()> {
    if options.ks.is_empty() || options.ks.contains(&0) {
        bail!("--ks must list positive numbers of corrections (e.g. 25,50,100,200)");
    }
    if !options
        .base
        .join(bioscope_core::bundle::MANIFEST_FILE)
        .is_file()
    {
        bail!("{} is not a model bundle", options.base.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: EntityType = EntityType::Disease;
    const G: EntityType = EntityType::Gene;

    fn word(tag: Tag, confidence: f32, disease: f32) -> WordPosterior {
        WordPosterior {
            tag,
            confidence,
            mass: vec![disease],
        }
    }

    fn run(start: usize, end: usize, entity_type: EntityType) -> TagRun {
        TagRun {
            start,
            end,
            entity_type,
        }
    }

    /// "BRCA1 carriers develop breast cancer and ovarian tumours , not anemia ." with the model's
    /// posteriors, and what each kind of disagreement becomes.
    #[test]
    fn each_disagreement_becomes_the_users_correction() {
        let o = |p: f32, d: f32| word(Tag::Outside, p, d);
        let words = vec![
            word(Tag::Begin(D), 0.55, 0.55), // BRCA1: predicted Disease, gold nothing
            o(0.99, 0.01),                   // carriers
            o(0.98, 0.02),                   // develop
            o(0.70, 0.30),                   // breast: near miss, gold "breast cancer"
            word(Tag::Begin(D), 0.80, 0.80), // cancer: predicted, gold "breast cancer"
            o(0.99, 0.0),                    // and
            word(Tag::Begin(G), 0.60, 0.35), // ovarian: predicted Gene, Disease-ish
            word(Tag::Inside(G), 0.60, 0.35), // tumours
            o(0.99, 0.0),                    // ,
            o(0.75, 0.25),                   // not: near miss, gold nothing
            word(Tag::Begin(D), 0.97, 0.97), // anemia: predicted, gold "anemia"
            o(0.99, 0.0),                    // .
        ];
        let gold = vec![run(3, 5, D), run(6, 8, D), run(10, 11, D)];
        let found = candidates(7, &words, &[D], 0.2);
        let summary: Vec<(usize, usize, CandidateKind)> =
            found.iter().map(|c| (c.start, c.end, c.kind)).collect();
        // The Gene mention is not a candidate (the corpus does not annotate genes), but its
        // Disease mass makes it a near miss.
        assert_eq!(
            summary,
            vec![
                (0, 1, CandidateKind::Predicted),
                (4, 5, CandidateKind::Predicted),
                (10, 11, CandidateKind::Predicted),
                (3, 4, CandidateKind::NearMiss),
                (6, 8, CandidateKind::NearMiss),
                (9, 10, CandidateKind::NearMiss),
            ]
        );
        assert!(found.iter().all(|c| c.sentence == 7 && c.entity_type == D));
        assert!((found[3].confidence - 0.70).abs() < 1e-6);
        assert!((found[4].confidence - 0.65).abs() < 1e-6);
        let decided: Vec<OracleDecision> = found.iter().map(|c| oracle(c, &gold)).collect();
        let d = |action, old, new| OracleDecision { action, old, new };
        assert_eq!(
            decided,
            vec![
                d(Action::Reject, Some(run(0, 1, D)), None),
                d(Action::Resize, Some(run(4, 5, D)), Some(run(3, 5, D))),
                d(Action::Accept, Some(run(10, 11, D)), Some(run(10, 11, D))),
                d(Action::Tag, None, Some(run(3, 5, D))),
                d(Action::Tag, None, Some(run(6, 8, D))),
                d(Action::Reject, Some(run(9, 10, D)), None),
            ]
        );
        // A predicted mention of another annotated type over a gold mention is retyped to it.
        let chem = Candidate {
            sentence: 0,
            start: 6,
            end: 7,
            entity_type: EntityType::Chemical,
            kind: CandidateKind::Predicted,
            confidence: 0.5,
        };
        assert_eq!(
            oracle(&chem, &gold),
            d(
                Action::Retype,
                Some(run(6, 7, EntityType::Chemical)),
                Some(run(6, 8, D))
            )
        );
        // Above 1 the threshold turns near misses off.
        assert_eq!(candidates(0, &words, &[D], 1.5).len(), 3);

        // The record is the server's: byte spans of the sentence's words joined by spaces.
        let sentence = Sentence {
            words: "BRCA1 carriers develop breast cancer and ovarian tumours , not anemia ."
                .split(' ')
                .map(str::to_string)
                .collect(),
            tags: vec![Tag::Outside; 12],
        };
        let c = to_correction(&sentence, &decided[1], "ncbi/train.tsv", "abc");
        assert_eq!(c.action, Action::Resize);
        assert_eq!(c.text(), Some("breast cancer"));
        assert_eq!(c.old.as_ref().map(|s| (s.start, s.end)), Some((30, 36)));
        assert_eq!(c.paragraph, sentence.words.join(" "));
    }

    #[test]
    fn uncertainty_ranks_by_confidence_and_random_is_seeded() {
        let c = |confidence: f32| Candidate {
            sentence: 0,
            start: 0,
            end: 1,
            entity_type: D,
            kind: CandidateKind::Predicted,
            confidence,
        };
        let pool: Vec<Candidate> = [0.9, 0.3, 0.99, 0.3, 0.5].into_iter().map(c).collect();
        assert_eq!(order(&pool, Strategy::Uncertainty), vec![1, 3, 4, 0, 2]);
        let many: Vec<Candidate> = (0..50).map(|i| c(i as f32 / 50.0)).collect();
        let a = order(&many, Strategy::Random(1));
        assert_eq!(a, order(&many, Strategy::Random(1)));
        assert_ne!(a, order(&many, Strategy::Random(2)));
        assert_ne!(a, (0..50).collect::<Vec<_>>());
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        // Pinned, so that the published figures' corrections can be rebuilt.
        assert_eq!(order(&pool, Strategy::Random(1)), vec![0, 4, 2, 1, 3]);
    }
}
