//! `bioscope-train`: train, evaluate, benchmark and export BioScope models.

mod experiments;

use std::path::PathBuf;

use anyhow::{Context, Result};
use bioscope_core::bundle::EvaluationRecord;
use bioscope_core::retraining::TrainerEvent;
use bioscope_train::config::TrainConfig;
use bioscope_train::conventions::FullModel;
use bioscope_train::data::CorpusSpec;
use bioscope_train::eval::{gold_types, predict, score};
use bioscope_train::export::{export_bundle_as, ExportOptions};
use bioscope_train::finetune::{finetune, Event, FinetuneRequest, FinetuneSettings};
use bioscope_train::ranker::RankerSettings;
use bioscope_train::replay::{self, ReplayOptions};
use bioscope_train::run::load_run;
use bioscope_train::train::{train, RunOptions};
use clap::{Parser, Subcommand, ValueEnum};
use experiments::loop_simulation::{self, LoopOptions};
use std::os::unix::process::CommandExt;

/// Training allocates and frees tensors of tens of megabytes every step; glibc's allocator
/// maps and unmaps them each time (a quarter of the wall time went to page faults), mimalloc
/// reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The environment variable that stops mimalloc from giving freed memory back to the system.
const KEEP_FREED_MEMORY: (&str, &str) = ("MIMALLOC_PURGE_DELAY", "-1");

/// By default mimalloc purges freed memory after 10 ms, and the next step's tensors fault the
/// pages in again, zeroed by the kernel: a fifth of the full fine-tuning time (685 → 828
/// tokens/s on the union config). mimalloc reads its options before `main`, so the process
/// replaces itself once with the option set (same pid, arguments and environment otherwise).
fn keep_freed_memory() {
    let (name, value) = KEEP_FREED_MEMORY;
    if std::env::var_os(name).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(name, value)
        .exec();
    // Not fatal: training only runs slower.
    eprintln!("warning: cannot restart with {name}={value}: {error}");
}

#[derive(Parser)]
#[command(
    name = "bioscope-train",
    version,
    about = "Fine-tune BERT+CRF entity taggers and export BioScope bundles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fine-tune per a TOML config; resumes from OUT/checkpoint when interrupted.
    Train {
        #[arg(long)]
        config: PathBuf,
        /// Run directory (default: runs/<name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Strict entity P/R/F1 of a run's model (candle) on a corpus split.
    Eval {
        #[arg(long)]
        run: PathBuf,
        #[arg(long)]
        corpus: PathBuf,
        /// iob, pubtator or brat.
        #[arg(long, default_value = "iob")]
        format: String,
        /// Split name stored with the figure in run.json (and so in exported manifests).
        #[arg(long, default_value = "test")]
        split: String,
    },
    /// Score every annotation convention of a corpus-aware run (and the unmarked one) on every
    /// dev corpus of its config: strict F1 as a Markdown table, to choose the decode convention.
    Conventions {
        #[arg(long)]
        run: PathBuf,
        /// Weight files to average (e.g. RUN/checkpoint/epoch-2.safetensors and epoch-3);
        /// default: the run's checkpoint.
        #[arg(long = "weights", num_args = 1..)]
        weights: Vec<PathBuf>,
    },
    /// Make a run decode in CONVENTION (a name from `conventions`, or `unmarked`): rewrites its
    /// best.safetensors from the full weights, folded for that convention, and its run.json.
    Fold {
        #[arg(long)]
        run: PathBuf,
        #[arg(long)]
        convention: String,
        /// Weight files to average; default: the run's checkpoint.
        #[arg(long = "weights", num_args = 1..)]
        weights: Vec<PathBuf>,
    },
    /// Write a model bundle (model.onnx, tokenizer.json, manifest.json) from a run.
    Export {
        #[arg(long)]
        run: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Quantize MatMul weights and the word embeddings to int8.
        #[arg(long)]
        int8: bool,
        /// The bundle's name (default: the run's config name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Retrain a bundle from the user's corrections (JSONL) into a new bundle, atomically.
    Finetune {
        /// The bundle to start from (model.onnx, tokenizer.json, manifest.json; replay.tsv if any).
        #[arg(long)]
        base: PathBuf,
        /// The corrections file the language server writes.
        #[arg(long)]
        corrections: PathBuf,
        /// The new bundle's directory (replaced only once the new bundle is complete).
        #[arg(long)]
        out: PathBuf,
        /// The lexicon (folder or names.lexicon) a base with lexicon-match features reads them
        /// from: the one the language server uses (ignored for other bases).
        #[arg(long)]
        lexicon: Option<PathBuf>,
        /// `json`: one JSON object per line on stdout (progress events, then `done`).
        #[arg(long, value_enum, default_value_t = ProgressMode::Text)]
        progress: ProgressMode,
        /// Override the fixed number of epochs.
        #[arg(long)]
        epochs: Option<usize>,
        /// Override the number of top encoder layers that train.
        #[arg(long)]
        trained_layers: Option<usize>,
        /// Override the encoder's peak learning rate.
        #[arg(long)]
        lr: Option<f64>,
        /// Override the classifier's and CRF's peak learning rate.
        #[arg(long)]
        head_lr: Option<f64>,
        /// Override the replay sentences per corrected paragraph.
        #[arg(long)]
        replay_per_paragraph: Option<usize>,
        /// Override how often each corrected paragraph appears per epoch.
        #[arg(long)]
        paragraph_repeats: Option<usize>,
        /// Override the pull back towards the base's weights (L2-SP) of the classifier and CRF,
        /// with a new type or without; 0 turns it off.
        #[arg(long)]
        anchor: Option<f64>,
        /// Override the pull back towards the base's weights of the encoder's trained layers.
        #[arg(long)]
        encoder_anchor: Option<f64>,
        /// Override the copies of each corrected paragraph with a new type's mention swapped
        /// for another of its mentions (0 turns it off).
        #[arg(long)]
        augment: Option<usize>,
        /// Tests only: pause with the bundle staged before renaming it into place.
        #[arg(long, hide = true)]
        pause_before_publish_ms: Option<u64>,
    },
    /// Write the replay sample of a config's training corpora (a bundle's replay.tsv).
    ReplaySample {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = ReplayOptions::default().per_corpus)]
        per_corpus: usize,
        #[arg(long, default_value_t = ReplayOptions::default().max_words)]
        max_words: usize,
        #[arg(long, default_value_t = ReplayOptions::default().seed)]
        seed: u64,
    },
    /// Generate the synthetic lab-report corpus (bioscope-labs): <split>.tsv (IOB: BIOMARKER,
    /// VALUE, UNIT, RANGE, FLAG) and <split>.jsonl (texts, spans, gold results); the splits use
    /// different report layouts.
    LabReports {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 3000)]
        train: usize,
        #[arg(long, default_value_t = 400)]
        dev: usize,
        #[arg(long, default_value_t = 400)]
        test: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Simulate corrections on a dev split, finetune on them, print wall time and F1 before/after.
    BenchFinetune {
        #[arg(long)]
        base: PathBuf,
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long, default_value = "iob")]
        format: String,
        /// The types the corpus annotates (default: all the model's types).
        #[arg(long, value_delimiter = ',')]
        annotates: Option<Vec<String>>,
        /// Corrections to simulate (fewer when the first half has fewer disagreements).
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Working directory (corrections.jsonl, finetuned/, IOB files).
        #[arg(long)]
        work: PathBuf,
        /// Extra arguments for `finetune` (e.g. `--epochs 3`), split at white space.
        #[arg(long, allow_hyphen_values = true, default_value = "")]
        finetune_args: String,
        /// The lexicon (folder or names.lexicon) a base with lexicon-match features reads
        /// them from (e.g. models/lexicon).
        #[arg(long)]
        lexicon: Option<PathBuf>,
    },
    /// A type the base lacks learned from K tagged mentions: the type's dev F1 against K, the
    /// retrain time, the base types' dev F1 before and after.
    BenchNewType {
        #[arg(long)]
        base: PathBuf,
        /// The split the simulated user tags in.
        #[arg(long)]
        train: PathBuf,
        /// The split the type is scored on.
        #[arg(long)]
        dev: PathBuf,
        #[arg(long, default_value = "iob")]
        format: String,
        /// The new type, as the corpora label it (e.g. Organ).
        #[arg(long = "type")]
        new_type: String,
        /// Numbers of tagged mentions.
        #[arg(long, value_delimiter = ',', default_value = "5,10,20,50")]
        counts: Vec<usize>,
        #[arg(long)]
        work: PathBuf,
        /// Extra arguments for `finetune`, split at white space.
        #[arg(long, allow_hyphen_values = true, default_value = "")]
        finetune_args: String,
        #[arg(long)]
        lexicon: Option<PathBuf>,
    },
    /// Simulate the learning loop: K corrections chosen by uncertainty or at random, answered
    /// by gold, a finetune each, test F1 and retrain times (table, JSON, CSV, SVG plot).
    SimulateLoop {
        #[arg(long)]
        base: PathBuf,
        /// The split the simulated user corrects.
        #[arg(long)]
        pool: PathBuf,
        /// The split the retrained models are scored on.
        #[arg(long)]
        test: PathBuf,
        #[arg(long, default_value = "iob")]
        format: String,
        /// The types the corpus annotates (default: all the model's types).
        #[arg(long, value_delimiter = ',')]
        annotates: Option<Vec<String>>,
        /// Numbers of corrections.
        #[arg(long, value_delimiter = ',', default_value = "25,50,100,200")]
        ks: Vec<usize>,
        /// Seeds of the random strategy.
        #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
        seeds: Vec<u64>,
        /// Near misses: runs of words not tagged T with posterior mass of T at least this
        /// (above 1: none).
        #[arg(long, default_value_t = 0.2)]
        near_miss: f32,
        /// Use only this fraction of the pool (from the start), for quick runs.
        #[arg(long)]
        pool_fraction: Option<f64>,
        /// Use only this fraction of the test split (from the start), for quick runs.
        #[arg(long)]
        test_fraction: Option<f64>,
        /// Working directory (per-run corrections and results, results.json/csv, plot).
        #[arg(long)]
        work: PathBuf,
        /// Extra arguments for `finetune`, split at white space.
        #[arg(long, allow_hyphen_values = true, default_value = "")]
        finetune_args: String,
        /// Keep each retrained bundle instead of removing it once scored.
        #[arg(long)]
        keep_bundles: bool,
        /// The lexicon (folder or names.lexicon) a base with lexicon-match features reads
        /// them from (e.g. models/lexicon).
        #[arg(long)]
        lexicon: Option<PathBuf>,
    },
    /// Train the name ranker (a bi-encoder over the lexicon's synonyms and the training
    /// splits' annotated mentions) and write its folder: int8 graph, tokenizer, ranker.json.
    /// Checkpoints go to OUT.work and a stopped run resumes from there. The lexicon's
    /// names are then encoded with `bioscope lexicon embed`.
    Ranker {
        /// The pretrained encoder folder (config.json, model.safetensors, tokenizer.json).
        #[arg(long)]
        encoder: PathBuf,
        /// The lexicon sources folder (../shared/data/lexicons).
        #[arg(long)]
        sources: PathBuf,
        /// The annotated corpora folder, whose training splits add mention-to-name pairs.
        #[arg(long)]
        corpora: Option<PathBuf>,
        /// The ranker folder to write (e.g. models/lexicon/ranker).
        #[arg(long)]
        out: PathBuf,
        /// Entity types to train on and encode.
        #[arg(long, value_delimiter = ',', default_values_t = RankerSettings::default().types)]
        types: Vec<bioscope_core::EntityType>,
        #[arg(long, default_value_t = RankerSettings::default().steps)]
        steps: usize,
        /// Pairs per step.
        #[arg(long, default_value_t = RankerSettings::default().batch)]
        batch: usize,
        /// Length of the output vectors.
        #[arg(long, default_value_t = RankerSettings::default().dimension)]
        dimension: usize,
        /// Encoder layers trained, from the top (the others stay as pretrained).
        #[arg(long, default_value_t = RankerSettings::default().trained_layers)]
        trained_layers: usize,
        #[arg(long, default_value_t = RankerSettings::default().encoder_lr)]
        encoder_lr: f64,
    },
    /// Measure training throughput (sequences/s, tokens/s) over a number of steps.
    Bench {
        #[arg(long)]
        config: PathBuf,
        #[arg(long, default_value_t = 30)]
        steps: usize,
        /// Override the config's frozen lower layers.
        #[arg(long)]
        freeze_layers: Option<usize>,
    },
}

/// `--finetune-args` as the separate arguments it holds (split at white space).
fn split_args(args: &str) -> Vec<String> {
    args.split_whitespace().map(str::to_string).collect()
}

fn main() -> Result<()> {
    keep_freed_memory();
    let cli = Cli::parse();
    // These commands deal their batches into one shard per core (`parallel`).
    if matches!(
        cli.command,
        Command::Train { .. }
            | Command::Bench { .. }
            | Command::Conventions { .. }
            | Command::Eval { .. }
    ) {
        bioscope_train::parallel::single_threaded_ops();
    }
    let command_line = std::env::args().collect::<Vec<_>>().join(" ");
    match cli.command {
        Command::Train { config, out } => {
            let cfg = TrainConfig::from_file(&config)?;
            let out = out.unwrap_or_else(|| PathBuf::from("runs").join(&cfg.name));
            let info = train(&cfg, &out, &command_line, &RunOptions::default())?;
            println!(
                "trained {} in {:.0} s ({} steps, {:.1} sequences/s, {:.0} tokens/s) -> {}",
                info.name,
                info.training.wall_seconds,
                info.training.steps,
                info.throughput.sequences_per_second,
                info.throughput.tokens_per_second,
                out.display()
            );
            for r in &info.evaluation {
                println!(
                    "{} {}: P {:.2} R {:.2} F1 {:.2}",
                    r.corpus,
                    r.split,
                    100.0 * r.precision,
                    100.0 * r.recall,
                    100.0 * r.f1
                );
            }
        }
        Command::Conventions { run, weights } => {
            let full = FullModel::load(&run, &weights)?;
            print!("{}", full.matrix()?);
        }
        Command::Fold {
            run,
            convention,
            weights,
        } => {
            FullModel::load(&run, &weights)?.fold(&run, &convention)?;
            eprintln!(
                "{} now decodes in the {convention} convention: export it with `bioscope-train export --run {}`",
                run.display(),
                run.display()
            );
        }
        Command::Eval {
            run,
            corpus,
            format,
            split,
        } => {
            let mut loaded = load_run(&run)?;
            let spec = CorpusSpec {
                path: corpus.clone(),
                format,
                fraction: None,
                annotates: None,
                ..Default::default()
            };
            let sentences = spec.read()?;
            let started = std::time::Instant::now();
            let pred = predict(
                &loaded.model,
                &loaded.encoder,
                &sentences,
                loaded.info.max_len,
                4096,
            )?;
            let scores = score(&sentences, &pred, &gold_types(&sentences));
            println!(
                "{} ({} sentences, {:.1} s, candle)",
                corpus.display(),
                sentences.len(),
                started.elapsed().as_secs_f64()
            );
            print!("{scores}");
            loaded.info.record_evaluation(EvaluationRecord {
                corpus: corpus.display().to_string(),
                split,
                precision: scores.micro.precision(),
                recall: scores.micro.recall(),
                f1: scores.micro.f1(),
                engine: "candle fp32".into(),
            });
            loaded.info.write(&run)?;
        }
        Command::Export {
            run,
            out,
            int8,
            name,
        } => {
            let loaded = load_run(&run)?;
            let manifest =
                export_bundle_as(&loaded, &out, &ExportOptions { int8 }, name.as_deref())
                    .with_context(|| {
                        format!("cannot export {} to {}", run.display(), out.display())
                    })?;
            println!(
                "wrote {} ({:?} weights) to {}",
                manifest.name,
                manifest.weights,
                out.display()
            );
        }
        Command::Finetune {
            base,
            corrections,
            out,
            lexicon,
            progress,
            epochs,
            trained_layers,
            lr,
            head_lr,
            replay_per_paragraph,
            paragraph_repeats,
            anchor,
            encoder_anchor,
            augment,
            pause_before_publish_ms,
        } => {
            let mut settings = FinetuneSettings::default();
            if let Some(a) = anchor {
                settings.anchor = a;
                settings.new_type_anchor = a;
            }
            settings.encoder_anchor = encoder_anchor.unwrap_or(settings.encoder_anchor);
            settings.new_type_augment = augment.unwrap_or(settings.new_type_augment);
            settings.lr = lr.unwrap_or(settings.lr);
            settings.head_lr = head_lr.unwrap_or(settings.head_lr);
            settings.replay_per_paragraph =
                replay_per_paragraph.unwrap_or(settings.replay_per_paragraph);
            settings.paragraph_repeats = paragraph_repeats.unwrap_or(settings.paragraph_repeats);
            if let Some(e) = epochs {
                settings.epochs = e;
            }
            if let Some(l) = trained_layers {
                settings.trained_layers = l;
            }
            let request = FinetuneRequest {
                base,
                corrections,
                out,
                lexicon,
                settings,
                pause_before_publish: pause_before_publish_ms.map(std::time::Duration::from_millis),
            };
            run_finetune(&request, progress)?;
        }
        Command::LabReports {
            out,
            train,
            dev,
            test,
            seed,
        } => {
            use bioscope_labs::synthetic::{write_corpus, Split};
            let counts = [
                (Split::Train, train),
                (Split::Dev, dev),
                (Split::Test, test),
            ];
            for path in write_corpus(&out, &counts, seed)
                .with_context(|| format!("cannot write {}", out.display()))?
            {
                println!("wrote {}", path.display());
            }
        }
        Command::ReplaySample {
            config,
            out,
            per_corpus,
            max_words,
            seed,
        } => {
            let cfg = TrainConfig::from_file(&config)?;
            let options = ReplayOptions {
                per_corpus,
                max_words,
                seed,
            };
            let sample = replay::sample(&cfg, &options)?;
            let header = format!(
                "BioScope replay sample: {} sentences of the training corpora of {}, {} per corpus \
                 (4 to {} words), seed {}.\nRebuild: bioscope-train replay-sample --config {} --out {}\n\
                 Columns: annotated types, words, BIO tags (tab-separated; words and tags space-separated).",
                sample.len(),
                config.display(),
                per_corpus,
                max_words,
                seed,
                config.display(),
                out.display()
            );
            let text = replay::to_text(&sample, &header);
            std::fs::write(&out, &text)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "wrote {} sentences ({} bytes) to {}",
                sample.len(),
                text.len(),
                out.display()
            );
        }
        Command::BenchFinetune {
            base,
            corpus,
            format,
            annotates,
            count,
            work,
            finetune_args,
            lexicon,
        } => {
            experiments::finetune_bench::run(&experiments::finetune_bench::BenchOptions {
                base,
                corpus: CorpusSpec {
                    path: corpus,
                    format,
                    fraction: None,
                    annotates,
                    ..Default::default()
                },
                count,
                work,
                finetune_args: split_args(&finetune_args),
                exe: std::env::current_exe().context("cannot find this executable")?,
                lexicon,
            })?;
        }
        Command::BenchNewType {
            base,
            train,
            dev,
            format,
            new_type,
            counts,
            work,
            finetune_args,
            lexicon,
        } => {
            let spec = |path| CorpusSpec {
                path,
                format: format.clone(),
                ..Default::default()
            };
            experiments::type_curve::run(&experiments::type_curve::TypeCurveOptions {
                base,
                train: spec(train),
                dev: spec(dev),
                new_type,
                counts,
                work,
                finetune_args: split_args(&finetune_args),
                exe: std::env::current_exe().context("cannot find this executable")?,
                lexicon,
            })?;
        }
        Command::SimulateLoop {
            base,
            pool,
            test,
            format,
            annotates,
            ks,
            seeds,
            near_miss,
            pool_fraction,
            test_fraction,
            work,
            finetune_args,
            keep_bundles,
            lexicon,
        } => {
            let spec = |path, fraction| CorpusSpec {
                path,
                format: format.clone(),
                fraction,
                annotates: annotates.clone(),
                ..Default::default()
            };
            let options = LoopOptions {
                base,
                pool: spec(pool, pool_fraction),
                test: spec(test, test_fraction),
                ks,
                seeds,
                near_miss,
                work,
                finetune_args: split_args(&finetune_args),
                keep_bundles,
                lexicon,
                exe: std::env::current_exe().context("cannot find this executable")?,
            };
            loop_simulation::check(&options)?;
            loop_simulation::run(&options)?;
        }
        Command::Ranker {
            encoder,
            sources,
            corpora,
            out,
            types,
            steps,
            batch,
            dimension,
            trained_layers,
            encoder_lr,
        } => {
            use bioscope_train::ranker;
            let settings = RankerSettings {
                types,
                steps,
                batch,
                dimension,
                trained_layers,
                encoder_lr,
                ..RankerSettings::default()
            };
            let started = std::time::Instant::now();
            let concepts = ranker::concept_names(&sources, corpora.as_deref(), &settings.types)?;
            let pairs = ranker::synonym_pairs(&concepts, settings.pairs_per_concept, settings.seed);
            eprintln!(
                "{} concepts, {} synonym pairs ({:.0} s to read)",
                concepts.len(),
                pairs.len(),
                started.elapsed().as_secs_f64()
            );
            let (model, run) = ranker::train_ranker(
                &encoder,
                &pairs,
                &settings,
                &ranker::work_dir(&out),
                |line| eprintln!("{line}"),
            )?;
            let manifest = ranker::export_ranker(&model, &encoder, &settings, &run, &out)?;
            println!(
                "ranker: {} steps on {} pairs of {} concepts in {:.0} s; dimension {} -> {}",
                run.steps,
                run.pairs,
                run.concepts,
                run.seconds,
                manifest.dimension,
                out.display()
            );
        }
        Command::Bench {
            config,
            steps,
            freeze_layers,
        } => {
            let mut cfg = TrainConfig::from_file(&config)?;
            if let Some(k) = freeze_layers {
                cfg.freeze_layers = k;
            }
            cfg.dev.clear();
            let out = tempdir()?;
            let started = std::time::Instant::now();
            let info = train(
                &cfg,
                &out,
                "bench",
                &RunOptions {
                    max_steps: Some(steps),
                    quiet: true,
                    ..RunOptions::default()
                },
            )?;
            println!(
                "{}: frozen layers {}, {} steps in {:.1} s (setup and caching included: {:.1} s): {:.2} sequences/s, {:.0} tokens/s",
                cfg.name,
                cfg.freeze_layers,
                info.training.steps,
                info.training.wall_seconds,
                started.elapsed().as_secs_f64(),
                info.throughput.sequences_per_second,
                info.throughput.tokens_per_second
            );
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ProgressMode {
    Text,
    Json,
}

fn run_finetune(request: &FinetuneRequest, mode: ProgressMode) -> Result<()> {
    let mut report = |event: Event| match (event, mode) {
        (
            Event::Progress {
                percentage,
                message,
            },
            ProgressMode::Json,
        ) => println!(
            "{}",
            TrainerEvent::Progress {
                percentage,
                message
            }
            .to_line()
        ),
        (
            Event::Progress {
                percentage,
                message,
            },
            ProgressMode::Text,
        ) => {
            eprintln!("[{percentage:>3}%] {message}")
        }
        (Event::Warning(w), _) => eprintln!("warning: {w}"),
    };
    let outcome = finetune(request, &mut report)?;
    match mode {
        ProgressMode::Json => println!(
            "{}",
            TrainerEvent::Done {
                bundle: request.out.clone(),
                corrections: outcome.corrections,
                seconds: outcome.seconds,
            }
            .to_line()
        ),
        ProgressMode::Text => println!(
            "fine-tuned {} on {} corrections in {:.1} s -> {}",
            outcome.manifest.name,
            outcome.corrections,
            outcome.seconds,
            request.out.display()
        ),
    }
    Ok(())
}

fn tempdir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bioscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
