//! The finetune benchmark (`bioscope-train bench-finetune`): simulates a user who corrects the
//! shipped model on a development split, retrains, and measures what changed.
//!
//! The split's first half supplies the corrections: for each sentence in order, each predicted
//! mention that gold does not have becomes a `retype` (same span, other type), a `resize`
//! (overlapping gold mention of the same type) or a `reject`, and each gold mention still
//! missed becomes a `tag`, until `count` records are written (the sentence is the paragraph:
//! its words joined by spaces). `finetune` then runs as a child process (the wall time is the
//! whole command: loading, caching, training, export), and strict F1 is measured before and
//! after with the candle model imported from each bundle, on the corrected sentences and on the
//! held-out second half. Both parts are written as IOB files so that the figures can be checked
//! with ONNX Runtime (`bioscope eval --corpus WORK/heldout.tsv --format iob --model BUNDLE`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::{sentence_text, Sentence};
use bioscope_core::corrections::{self, Action, Correction, Scope, SpanLabel, SCHEMA_VERSION};
use bioscope_core::decode::{tag_runs, TagRun};
use bioscope_core::entity::Tag;
use bioscope_core::EntityType;

use bioscope_train::data::CorpusSpec;
use bioscope_train::eval::{predict, score};
use bioscope_train::import::import_bundle;

pub struct BenchOptions {
    pub base: PathBuf,
    pub corpus: CorpusSpec,
    pub count: usize,
    pub work: PathBuf,
    pub finetune_args: Vec<String>,
    /// The `bioscope-train` binary to run `finetune` with.
    pub exe: PathBuf,
    /// The lexicon a base with lexicon-match features reads them from.
    pub lexicon: Option<PathBuf>,
}

fn runs(tags: &[Tag], types: &[EntityType]) -> Vec<TagRun> {
    tag_runs(tags.iter().copied())
        .into_iter()
        .filter(|r| types.contains(&r.entity_type))
        .collect()
}

/// Runs `EXE finetune --base BASE --corrections FILE --out OUT [--lexicon L] ARGS..` as a
/// child process (its output passes through) and returns the command's wall time in seconds.
pub fn finetune_child(
    exe: &Path,
    (base, lexicon): (&Path, Option<&Path>),
    corrections: &Path,
    out: &Path,
    args: &[String],
) -> Result<f64> {
    let started = Instant::now();
    let mut command = Command::new(exe);
    command
        .arg("finetune")
        .arg("--base")
        .arg(base)
        .arg("--corrections")
        .arg(corrections)
        .arg("--out")
        .arg(out);
    if let Some(lexicon) = lexicon {
        command.arg("--lexicon").arg(lexicon);
    }
    let status = command
        .args(args)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let wall = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("finetune failed ({status})");
    }
    Ok(wall)
}

/// Correction records for one sentence, gold against predicted tags.
pub fn corrections_for(
    sentence: &Sentence,
    predicted: &[Tag],
    types: &[EntityType],
    document: &str,
) -> Vec<Correction> {
    let (text, offsets) = sentence_text(&sentence.words);
    let span = |r: &TagRun| SpanLabel {
        start: offsets[r.start].0,
        end: offsets[r.end - 1].1,
        entity_type: r.entity_type,
    };
    let record = |action, old: Option<SpanLabel>, new: Option<SpanLabel>| Correction {
        schema: SCHEMA_VERSION,
        action,
        scope: Scope::Here,
        document: document.to_string(),
        paragraph: text.clone(),
        old,
        new,
        model_sha256: String::new(),
        timestamp: "2026-11-24T00:00:00Z".into(),
    };
    let gold = runs(&sentence.tags, types);
    let pred = runs(predicted, types);
    let mut used = vec![false; gold.len()];
    let mut out = Vec::new();
    for p in &pred {
        if let Some(g) = gold.iter().position(|g| g == p) {
            used[g] = true;
            continue;
        }
        let same_span = gold
            .iter()
            .position(|g| (g.start, g.end) == (p.start, p.end));
        let overlapping = gold.iter().enumerate().position(|(i, g)| {
            !used[i] && g.entity_type == p.entity_type && g.start < p.end && p.start < g.end
        });
        match (same_span, overlapping) {
            (Some(g), _) => {
                used[g] = true;
                out.push(record(Action::Retype, Some(span(p)), Some(span(&gold[g]))));
            }
            (None, Some(g)) => {
                used[g] = true;
                out.push(record(Action::Resize, Some(span(p)), Some(span(&gold[g]))));
            }
            (None, None) => out.push(record(Action::Reject, Some(span(p)), None)),
        }
    }
    for (g, u) in gold.iter().zip(&used) {
        if !u {
            out.push(record(Action::Tag, None, Some(span(g))));
        }
    }
    out
}

/// Writes sentences as an IOB file (word TAB tag, a blank line after each sentence).
pub fn write_iob(path: &Path, sentences: &[&Sentence]) -> Result<()> {
    let mut text = String::new();
    for s in sentences {
        for (w, t) in s.words.iter().zip(&s.tags) {
            let _ = writeln!(text, "{w}\t{t}");
        }
        text.push('\n');
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn f1_line(name: &str, before: f64, after: f64, n: usize) -> String {
    format!(
        "{name:<32} {n:>5} sentences   strict F1 before {:6.2}   after {:6.2}   ({:+.2})",
        100.0 * before,
        100.0 * after,
        100.0 * (after - before)
    )
}

/// Runs the benchmark and prints its figures.
pub fn run(options: &BenchOptions) -> Result<()> {
    fs::create_dir_all(&options.work)
        .with_context(|| format!("cannot create {}", options.work.display()))?;
    let base = import_bundle(&options.base, options.lexicon.as_deref())?;
    let types = options
        .corpus
        .annotated_types(base.run.model.scheme.types())?;
    let sentences = options.corpus.read()?;
    let half = sentences.len() / 2;
    let started = Instant::now();
    let before = predict(
        &base.run.model,
        &base.run.encoder,
        &sentences,
        base.run.info.max_len,
        4096,
    )?;
    eprintln!(
        "tagged {} sentences with the base model in {:.1} s",
        sentences.len(),
        started.elapsed().as_secs_f64()
    );
    let document = options.corpus.path.display().to_string();
    let mut records = Vec::new();
    let mut corrected = Vec::new();
    for i in 0..half {
        if records.len() >= options.count {
            break;
        }
        let c = corrections_for(&sentences[i], &before[i], &types, &document);
        if c.is_empty() {
            continue;
        }
        corrected.push(i);
        records.extend(c);
    }
    records.truncate(options.count);
    if records.is_empty() {
        bail!(
            "the base model agrees with every sentence in the first half of {document}: nothing to correct"
        );
    }
    if records.len() < options.count {
        // A strong base model leaves fewer disagreements than asked for: use them all.
        eprintln!(
            "only {} disagreements in the first half of {document} (asked for {}): using them all",
            records.len(),
            options.count
        );
    }
    let path = options.work.join("corrections.jsonl");
    let _ = fs::remove_file(&path);
    for r in &records {
        corrections::append(&path, r)?;
    }
    let heldout: Vec<usize> = (half..sentences.len()).collect();
    let pick = |idx: &[usize]| idx.iter().map(|&i| &sentences[i]).collect::<Vec<_>>();
    write_iob(&options.work.join("corrected.tsv"), &pick(&corrected))?;
    write_iob(&options.work.join("heldout.tsv"), &pick(&heldout))?;

    let out = options.work.join("finetuned");
    let wall = finetune_child(
        &options.exe,
        (&options.base, options.lexicon.as_deref()),
        &path,
        &out,
        &options.finetune_args,
    )?;
    let after_bundle = import_bundle(&out, options.lexicon.as_deref())?;
    let scores = |idx: &[usize]| -> Result<(f64, f64)> {
        let subset: Vec<Sentence> = idx.iter().map(|&i| sentences[i].clone()).collect();
        let b: Vec<Vec<Tag>> = idx.iter().map(|&i| before[i].clone()).collect();
        let a = predict(
            &after_bundle.run.model,
            &after_bundle.run.encoder,
            &subset,
            after_bundle.run.info.max_len,
            4096,
        )?;
        Ok((
            score(&subset, &b, &types).micro.f1(),
            score(&subset, &a, &types).micro.f1(),
        ))
    };
    let (cb, ca) = scores(&corrected)?;
    let (hb, ha) = scores(&heldout)?;
    println!(
        "{} corrections from {} sentences of {} ({} types: {:?})",
        records.len(),
        corrected.len(),
        document,
        types.len(),
        types
    );
    println!(
        "finetune {} wall time {wall:.1} s (whole command: load, cache, train, export)",
        options.finetune_args.join(" ")
    );
    println!(
        "{}",
        f1_line("corrected sentences", cb, ca, corrected.len())
    );
    println!("{}", f1_line("held-out second half", hb, ha, heldout.len()));
    println!(
        "candle, weights imported from each bundle; IOB files for `bioscope eval` in {}",
        options.work.display()
    );
    Ok(())
}
