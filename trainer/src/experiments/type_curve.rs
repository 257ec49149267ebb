//! The few-shot curve of a type of one's own (`bioscope-train bench-new-type`): a simulated user
//! tags K mentions of a type the base model lacks (BioNLP13CG's `Organ`, say) in training
//! documents, retrains with `finetune` (which grows the model's labels), and the new type's
//! strict F1 on a development split is printed against K, with the retrain's wall time and the
//! base types' F1 on that split before and after.
//!
//! The user tags whole sentences: every mention of the type in each training sentence, in file
//! order, until at least K mentions are tagged (a user who tags one mention of a sentence and
//! leaves the next would teach the model that it is not one). The sentence is the paragraph.

use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use bioscope_core::corrections;
use bioscope_core::decode::tag_runs;
use bioscope_core::entity::Tag;
use bioscope_core::EntityType;

use bioscope_train::data::CorpusSpec;
use bioscope_train::eval::{gold_types, predict, score};
use bioscope_train::import::import_bundle;

use super::finetune_bench::{corrections_for, finetune_child};

pub struct TypeCurveOptions {
    pub base: PathBuf,
    /// Where the simulated user tags (a training split).
    pub train: CorpusSpec,
    /// Where the new type is scored (a development split).
    pub dev: CorpusSpec,
    /// The new type: its name, as the corpora label it.
    pub new_type: String,
    /// Mentions to tag, one retraining each.
    pub counts: Vec<usize>,
    pub work: PathBuf,
    pub finetune_args: Vec<String>,
    pub exe: PathBuf,
    pub lexicon: Option<PathBuf>,
}

/// Runs the curve and prints its table.
pub fn run(o: &TypeCurveOptions) -> Result<()> {
    // Defined first, so that the corpora's labels of it are read as it.
    let new_type = EntityType::named(&o.new_type)?;
    fs::create_dir_all(&o.work).with_context(|| format!("cannot create {}", o.work.display()))?;
    let base = import_bundle(&o.base, o.lexicon.as_deref())?;
    if base.run.model.scheme.types().contains(&new_type) {
        bail!("{} already tags {new_type}", o.base.display());
    }
    let train = o.train.read()?;
    let dev = o.dev.read()?;
    let known: Vec<EntityType> = gold_types(&dev)
        .into_iter()
        .filter(|t| base.run.model.scheme.types().contains(t))
        .collect();
    let predict_dev = |bundle: &bioscope_train::import::ImportedBundle| {
        predict(
            &bundle.run.model,
            &bundle.run.encoder,
            &dev,
            bundle.run.info.max_len,
            4096,
        )
    };
    let before = predict_dev(&base)?;
    let known_before = score(&dev, &before, &known);
    let gold_new = {
        let c = score(&dev, &before, &[new_type]).micro;
        c.tp + c.fn_
    };
    if gold_new == 0 {
        bail!(
            "{} has no {new_type} mention to score",
            o.dev.path.display()
        );
    }
    let document = o.train.path.display().to_string();
    // The tag records of each training sentence with mentions of the type, in order.
    let per_sentence: Vec<Vec<corrections::Correction>> = train
        .iter()
        .filter(|s| {
            tag_runs(s.tags.iter().copied())
                .iter()
                .any(|r| r.entity_type == new_type)
        })
        .map(|s| {
            let none = vec![Tag::Outside; s.words.len()];
            corrections_for(s, &none, &[new_type], &document)
        })
        .collect();
    println!(
        "{new_type} on {} ({gold_new} gold mentions); the base's types there: {}",
        o.dev.path.display(),
        known
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "{:>4} {:>9} {:>9} {:>10} {:>8} {:>8} {:>8} {:>14}",
        "K", "sentences", "retrain s", "type P", "type R", "type F1", "base F1", "base F1 change"
    );
    println!(
        "{:>4} {:>9} {:>9} {:>10} {:>8} {:>8} {:>8.2} {:>14}",
        0,
        0,
        "-",
        "-",
        "-",
        "0.00",
        100.0 * known_before.micro.f1(),
        "-"
    );
    for &k in &o.counts {
        let mut records = Vec::new();
        let mut sentences = 0;
        for c in &per_sentence {
            if records.len() >= k {
                break;
            }
            records.extend(c.iter().cloned());
            sentences += 1;
        }
        if records.len() < k {
            eprintln!(
                "only {} mentions of {new_type} in {document} (asked for {k})",
                records.len()
            );
        }
        let dir = o.work.join(format!("k{k}"));
        fs::create_dir_all(&dir)?;
        let path = dir.join("corrections.jsonl");
        let _ = fs::remove_file(&path);
        for r in &records {
            corrections::append(&path, r)?;
        }
        let out = dir.join("finetuned");
        let wall = finetune_child(
            &o.exe,
            (&o.base, o.lexicon.as_deref()),
            &path,
            &out,
            &o.finetune_args,
        )?;
        let after = import_bundle(&out, o.lexicon.as_deref())?;
        let predicted = predict_dev(&after)?;
        let new = score(&dev, &predicted, &[new_type]).micro;
        let known_after = score(&dev, &predicted, &known).micro.f1();
        println!(
            "{:>4} {:>9} {:>9.1} {:>10.2} {:>8.2} {:>8.2} {:>8.2} {:>+14.2}",
            records.len(),
            sentences,
            wall,
            100.0 * new.precision(),
            100.0 * new.recall(),
            100.0 * new.f1(),
            100.0 * known_after,
            100.0 * (known_after - known_before.micro.f1())
        );
    }
    println!(
        "strict F1 on {}, candle with the weights imported from each bundle; work in {}",
        o.dev.path.display(),
        o.work.display()
    );
    Ok(())
}
