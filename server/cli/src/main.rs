//! `bioscope`: the command-line entry point (model bundles, evaluation; tagging and the language
//! server build on the same tagger).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bioscope_analysis::{Analyzer, Consistency, Request, SentencePasses};
use bioscope_core::bundle::Manifest;
use bioscope_core::corpus::CorpusFormat;
use bioscope_core::segment::DocFormat;
use bioscope_core::EntityType;
use bioscope_lexicon::Lexicon;
use bioscope_tagger::{Priority, Tagger, TaggerOptions};
use clap::{Parser, Subcommand};

mod ensemble;
mod eval;
mod eval_normalization;
mod labs_cmd;
mod lexicon_cmd;
mod model_card;
mod model_cmd;
mod progress;
mod report;
mod score;
mod tag;
use tag::{InputDocument, InputFormat, TagFormat};

#[derive(Parser)]
#[command(
    name = "bioscope",
    version,
    about = "Biomedical entity tagging for manuscripts"
)]
struct Cli {
    /// The ONNX Runtime library (default: $ORT_DYLIB_PATH).
    #[arg(long, global = true)]
    ort_library: Option<PathBuf>,
    /// Inference threads (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Where inference runs: cpu, or cuda (a GPU build of ONNX Runtime in ORT_DYLIB_PATH, with
    /// CUDA and cuDNN); cuda falls back to the CPU and says why when it cannot run.
    #[arg(long, global = true, env = "BIOSCOPE_DEVICE", default_value = "cpu")]
    device: bioscope_tagger::Device,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tag Markdown, LaTeX or plain-text files (format from the extension) and print the entities.
    Tag {
        files: Vec<PathBuf>,
        /// Model bundle directory (default: the shipped model).
        #[arg(long, env = "BIOSCOPE_MODEL")]
        model: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "ansi")]
        format: TagFormat,
        #[arg(long, value_enum, default_value = "auto")]
        input_format: InputFormat,
        /// Lexicon folder for identifiers (default: the shipped lexicon).
        #[arg(long, env = "BIOSCOPE_LEXICON")]
        lexicon: Option<PathBuf>,
        /// Do not use the lexicon: no identifiers, no recall recovery.
        #[arg(long, conflicts_with = "lexicon")]
        no_lexicon: bool,
        /// Keep the model's mentions sentence by sentence: no document-level consistency of
        /// abbreviations (a short form takes its tagged long form's type, or is dropped with an
        /// untagged one).
        #[arg(long)]
        no_consistency: bool,
        /// Keep the model's mentions as they are: no joining across a function word, no
        /// trimming of function words or of "cells" after a cell line, no dropping of ordinary
        /// words the lexicon does not know, of unsure phrases with "of" or of unsure diseases,
        /// chemicals and species the lexicon cannot name.
        #[arg(long)]
        no_mention_rules: bool,
        /// Tag only the I-th of N contiguous parts of the input documents (1-based), e.g. a
        /// Slurm array task's `--shard $SLURM_ARRAY_TASK_ID/8`; the N outputs, concatenated in
        /// order, are the output without --shard.
        #[arg(long, value_name = "I/N")]
        shard: Option<tag::Shard>,
    },
    /// Run the language server on stdin/stdout (editors start it; logs go to stderr, filtered
    /// by BIOSCOPE_LOG).
    Lsp {
        /// Model bundle directory (default: the shipped model); clients may name another in
        /// their settings (bioscope.modelPath).
        #[arg(long, env = "BIOSCOPE_MODEL")]
        model: Option<PathBuf>,
        /// Lexicon folder (default: the shipped lexicon); clients may name another in their
        /// settings (bioscope.lexiconPath).
        #[arg(long, env = "BIOSCOPE_LEXICON")]
        lexicon: Option<PathBuf>,
        /// The trainer executable that `bioscope.retrain` runs (default: bioscope-train beside
        /// this binary). Only the command line or the environment can name it, never a
        /// workspace's settings.
        #[arg(long, env = "BIOSCOPE_TRAINER")]
        trainer: Option<PathBuf>,
        /// The corrections file (editors pass the user's own setting): used in every folder
        /// unless the workspace's settings name one inside it (default: the workspace's
        /// .bioscope/corrections.jsonl, or, with no folder open, corrections.jsonl in the
        /// user's data folder, $XDG_DATA_HOME/bioscope or ~/.local/share/bioscope).
        #[arg(long, env = "BIOSCOPE_CORRECTIONS")]
        corrections: Option<PathBuf>,
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Score a bundle on an annotated corpus: strict and overlap P/R/F1 per type.
    Eval {
        /// Model bundle directory (default: the shipped model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Corpus file (iob, pubtator) or directory (brat).
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long, default_value = "iob")]
        format: CorpusFormat,
        /// Types to score, comma-separated (default: those the corpus's gold mentions have).
        #[arg(long, value_delimiter = ',')]
        types: Option<Vec<EntityType>>,
        /// Score normalization instead: accuracy@1 of the lexicon on the gold mentions and
        /// identifiers (PubTator or brat corpora; no model needed).
        #[arg(long)]
        normalization: bool,
        /// Lexicon folder for --normalization, --recover and documents (default: the shipped
        /// lexicon).
        #[arg(long, env = "BIOSCOPE_LEXICON")]
        lexicon: Option<PathBuf>,
        /// With --normalization, print up to this many wrong or missed mentions.
        #[arg(long, default_value_t = 0)]
        show_errors: usize,
        /// With --normalization, leave the lexicon's name ranker out (to measure what it adds).
        #[arg(long)]
        no_ranker: bool,
        /// With --normalization, the least similarity at which the name ranker's nearest name
        /// is taken (default: the shipped 0.7), to choose it on a development split.
        #[arg(long, conflicts_with = "no_ranker")]
        ranker_threshold: Option<f32>,
        /// Also write a self-contained HTML report: per-type scores, type confusion, boundary
        /// errors, the worst examples highlighted, plots of F1 per type and of calibration.
        #[arg(long, value_name = "FILE.html")]
        report: Option<PathBuf>,
        /// Token files: add the lexicon's precise matches that the model missed (recall
        /// recovery). Documents (PubTator, brat) always run the pipeline of `bioscope tag`,
        /// recovery included.
        #[arg(long)]
        recover: bool,
        /// Documents: no lexicon (no recall recovery), as `bioscope tag --no-lexicon`.
        #[arg(long)]
        no_lexicon: bool,
        /// Documents: no document-level abbreviation consistency, as `bioscope tag
        /// --no-consistency`.
        #[arg(long)]
        no_consistency: bool,
        /// Keep the model's mentions as they are: no joining across a function word, no
        /// trimming of function words or of "cells" after a cell line, no dropping of ordinary
        /// words the lexicon does not know, of unsure phrases with "of" or of unsure diseases,
        /// chemicals and species the lexicon cannot name.
        #[arg(long)]
        no_mention_rules: bool,
    },
    /// Score predicted annotations against gold ones by character offsets (PubTator files or
    /// brat directories), e.g. the output of `tag --input-format pubtator --format pubtator`.
    Score {
        /// The gold annotations.
        #[arg(long)]
        gold: PathBuf,
        /// The predicted annotations.
        #[arg(long)]
        predicted: PathBuf,
        #[arg(long, default_value = "pubtator")]
        format: CorpusFormat,
    },
    /// Build and inspect the name lexicon used for normalization.
    Lexicon {
        #[command(subcommand)]
        command: lexicon_cmd::LexiconCommand,
    },
    /// Print the ranked concepts (identifiers) that a name may refer to.
    Normalize {
        text: String,
        /// Only concepts of this type (Gene, Disease, Chemical, Species, CellLine, CellType).
        #[arg(long = "type")]
        entity_type: Option<EntityType>,
        /// Lexicon folder (default: the shipped lexicon).
        #[arg(long, env = "BIOSCOPE_LEXICON")]
        lexicon: Option<PathBuf>,
        /// How many candidates to print.
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// A document whose abbreviation definitions ("tumour necrosis factor (TNF)") apply.
        #[arg(long)]
        document: Option<PathBuf>,
    },
    /// Laboratory reports: each result's analyte, value, unit, SI value, reference range
    /// (printed, else the adult default) and flag (H, L, N, implausible).
    Labs {
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "json")]
        format: labs_cmd::LabsFormat,
        /// Instead of reading files, score the reader on a generated corpus
        /// (`bioscope-train lab-reports` writes <split>.jsonl).
        #[arg(long, conflicts_with = "files")]
        score: Option<PathBuf>,
        /// Find the spans with this lab-value model bundle instead of the rule reader.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Inspect model bundles.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Check a bundle and print its manifest summary.
    Info { dir: PathBuf },
    /// Print the generated part of the bundle's model card (Markdown): what it is, how it was
    /// trained, its dev scores and its test scores (evaluation.tsv, from models/evaluate.sh).
    Card { dir: PathBuf },
    /// List the bundles a workspace fine-tuned from its corrections (.bioscope/models), marking
    /// the one the language server uses there.
    List {
        /// The workspace folder (default: the current directory).
        #[arg(long, default_value = ".")]
        workspace: PathBuf,
    },
    /// Make a workspace bundle (a name from `list`, or `default`) the one the server uses.
    Use {
        name: String,
        #[arg(long, default_value = ".")]
        workspace: PathBuf,
    },
    /// Go back to the bundle the workspace used before.
    Rollback {
        #[arg(long, default_value = ".")]
        workspace: PathBuf,
    },
    /// Combine bundles with the same labels and tokenizer into one bundle that runs them all:
    /// their logits and CRF scores are averaged with weights (default: proportional to each
    /// member's development F1) before one CRF decode. Costs one model run per member.
    Ensemble {
        /// The member bundle directories (two or more).
        #[arg(required = true, num_args = 2..)]
        members: Vec<PathBuf>,
        /// Where to write the combined bundle.
        #[arg(long)]
        out: PathBuf,
        /// One weight per member, comma-separated (normalized to sum 1).
        #[arg(long, value_delimiter = ',')]
        weights: Option<Vec<f64>>,
        /// The bundle's name (default: the output folder's name).
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    end_quietly_on_a_closed_pipe();
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bioscope: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `bioscope … | head` closes the pipe early: Rust ignores SIGPIPE, so the next `println!`
/// fails and panics. Such a process ends as a killed one would, with status 141 (128 + SIGPIPE)
/// and no panic message; every other panic is reported as usual.
fn end_quietly_on_a_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info);
    }));
}

fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("BIOSCOPE_LOG"))
        .init();
    let cli = Cli::parse();
    let options = TaggerOptions {
        library: cli.ort_library.clone(),
        threads: cli.threads.unwrap_or(TaggerOptions::default().threads),
        device: cli.device,
        ..TaggerOptions::default()
    };
    match cli.command {
        Command::Tag {
            files,
            model,
            format,
            input_format,
            lexicon,
            no_lexicon,
            no_consistency,
            no_mention_rules,
            shard,
        } => {
            if files.is_empty() {
                anyhow::bail!("no files to tag: bioscope tag FILE...");
            }
            let model = model.unwrap_or_else(default_model);
            let tagger = load_tagger(&model, options.clone())?;
            let lexicon = lexicon_for_analysis(lexicon, no_lexicon, &options);
            // Sentences repeated across files (boilerplate, shared sections) run once.
            let mut analyzer =
                Analyzer::new(Some(tagger), lexicon, 4096, passes(no_mention_rules, true));
            say_feature_note(analyzer.tagger());
            if no_consistency {
                analyzer = analyzer.with_consistency(Consistency::OFF);
            }
            let mut failed = 0;
            let mut inputs = Vec::new();
            for path in &files {
                match read_inputs(path, input_format) {
                    Ok(docs) => inputs.push((path, docs)),
                    Err(e) => {
                        eprintln!("bioscope: {e:#}");
                        failed += 1;
                    }
                }
            }
            let total = inputs.iter().map(|(_, d)| d.len()).sum();
            let mine = shard.map_or(0..total, |s| s.range(total));
            let bar = progress::bar(mine.len(), "documents");
            let mut index = 0;
            for (path, docs) in &inputs {
                let doc_format = match input_format {
                    InputFormat::Auto => DocFormat::from_path(path),
                    InputFormat::Pubtator => DocFormat::Plain,
                };
                for doc in docs {
                    index += 1;
                    if !mine.contains(&(index - 1)) {
                        continue;
                    }
                    let analysis = analyzer.analyze(
                        doc.text.clone(),
                        doc_format,
                        Request::whole(Priority::Background),
                    );
                    if let Some(problem) = analysis.warnings().first() {
                        anyhow::bail!("cannot tag {}: {problem}", path.display());
                    }
                    let rendered = tag::render(format, path, doc, &analysis);
                    bar.suspend(|| print!("{rendered}"));
                    bar.inc(1);
                }
            }
            bar.finish_and_clear();
            if failed > 0 {
                anyhow::bail!("{failed} of {} files could not be tagged", files.len());
            }
        }
        Command::Eval {
            normalization: true,
            lexicon,
            corpus,
            format,
            types,
            show_errors,
            no_ranker,
            ranker_threshold,
            ..
        } => {
            let dir = lexicon.unwrap_or_else(lexicon_cmd::default_lexicon);
            let lexicon = if no_ranker {
                lexicon_cmd::open_without_ranker(&dir)?
            } else {
                lexicon_cmd::open(&dir, &options)?
            };
            eval_normalization::run(
                &lexicon,
                &corpus,
                format,
                types,
                show_errors,
                ranker_threshold,
            )?;
        }
        Command::Eval {
            model,
            corpus,
            format,
            types,
            lexicon,
            recover,
            no_lexicon,
            no_consistency,
            no_mention_rules,
            report,
            ..
        } => {
            let model = model.unwrap_or_else(default_model);
            let tagger = load_tagger(&model, options.clone())?;
            if format == CorpusFormat::Iob {
                let lexicon = if recover {
                    Some(std::sync::Arc::new(lexicon_cmd::open(
                        &lexicon.unwrap_or_else(lexicon_cmd::default_lexicon),
                        &options,
                    )?))
                } else if tagger.model().lexicon_features() {
                    lexicon_for_analysis(lexicon, no_lexicon, &options)
                } else {
                    None
                };
                let tagger = tagger.with_feature_lexicon(lexicon.clone());
                say_feature_note(Some(&tagger));
                let passes = passes(no_mention_rules, recover);
                eval::sentences(
                    &tagger,
                    &corpus,
                    types,
                    lexicon.as_deref().filter(|_| recover),
                    passes,
                    report.as_deref(),
                )?;
            } else {
                let lexicon = lexicon_for_analysis(lexicon, no_lexicon, &options);
                let mut analyzer =
                    Analyzer::new(Some(tagger), lexicon, 4096, passes(no_mention_rules, true));
                say_feature_note(analyzer.tagger());
                if no_consistency {
                    analyzer = analyzer.with_consistency(Consistency::OFF);
                }
                eval::documents(&analyzer, &corpus, format, types, report.as_deref())?;
            }
        }
        Command::Lsp {
            model,
            lexicon,
            trainer,
            corrections,
            stdio: _,
        } => {
            let options = bioscope_lsp::ServerOptions {
                model_dir: model.unwrap_or_else(default_model),
                lexicon_dir: lexicon.unwrap_or_else(lexicon_cmd::default_lexicon),
                tagger: options,
                trainer: trainer.or_else(trainer_beside_exe),
                corrections: corrections.map(|p| std::path::absolute(&p).unwrap_or(p)),
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(bioscope_lsp::run_stdio(options));
            // The stdin reader may still be blocked in a read: do not wait for it.
            runtime.shutdown_background();
        }
        Command::Score {
            gold,
            predicted,
            format,
        } => score::run(&gold, &predicted, format)?,
        Command::Lexicon { command } => lexicon_cmd::run(command, &options)?,
        Command::Normalize {
            text,
            entity_type,
            lexicon,
            limit,
            document,
        } => lexicon_cmd::normalize(
            &text,
            entity_type,
            &lexicon.unwrap_or_else(lexicon_cmd::default_lexicon),
            document.as_deref(),
            limit,
            &options,
        )?,
        Command::Labs {
            files,
            format,
            score,
            model,
        } => {
            let source = match model {
                Some(dir) => labs_cmd::SpanSource::model(load_tagger(&dir, options)?)?,
                None => labs_cmd::SpanSource::Rules,
            };
            match score {
                Some(corpus) => labs_cmd::score_corpus(&corpus, &source)?,
                None => {
                    if files.is_empty() {
                        anyhow::bail!("no reports to read: bioscope labs FILE...");
                    }
                    if !labs_cmd::labs(&files, format, &source)? {
                        anyhow::bail!("some files could not be read (see above)");
                    }
                }
            }
        }
        Command::Model {
            command: ModelCommand::Info { dir },
        } => {
            let (manifest, _) = Manifest::read(&dir)?;
            // Open fully too: hashes and tokenizer are checked, the ONNX session started.
            let tagger = Tagger::load(&dir, options)
                .with_context(|| format!("bundle {} does not load", dir.display()))?;
            print_info(&manifest, tagger.model().num_labels());
        }
        Command::Model {
            command: ModelCommand::Card { dir },
        } => print!("{}", model_card::card(&dir)?),
        Command::Model {
            command: ModelCommand::List { workspace },
        } => model_cmd::list(&workspace)?,
        Command::Model {
            command: ModelCommand::Use { name, workspace },
        } => model_cmd::use_bundle(&workspace, &name)?,
        Command::Model {
            command: ModelCommand::Rollback { workspace },
        } => model_cmd::rollback(&workspace)?,
        Command::Model {
            command:
                ModelCommand::Ensemble {
                    members,
                    out,
                    weights,
                    name,
                },
        } => {
            let name = name.unwrap_or_else(|| {
                out.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "ensemble".into())
            });
            let manifest = ensemble::ensemble(&ensemble::EnsembleRequest {
                members: &members,
                weights: weights.as_deref(),
                name: &name,
                out: &out,
                command: std::env::args().collect::<Vec<_>>().join(" "),
            })?;
            for m in &manifest.ensemble {
                println!(
                    "{:<24} weight {:.3}{}",
                    m.name,
                    m.weight,
                    m.dev_f1
                        .map(|f| format!("  (mean dev F1 {:.2})", 100.0 * f))
                        .unwrap_or_default()
                );
            }
            println!(
                "wrote {} ({} members)",
                out.display(),
                manifest.ensemble.len()
            );
        }
    }
    Ok(())
}

/// The sentence passes of `tag` and `eval`: mention rules unless turned off, recovery where
/// asked (it needs a lexicon too).
fn passes(no_mention_rules: bool, recovery: bool) -> SentencePasses {
    SentencePasses {
        mention_rules: !no_mention_rules,
        recovery,
    }
}

/// The lexicon that analysis uses for recall recovery and identifiers (`dir`, else the
/// shipped one; none with `off`); one that does not open is named on stderr, and analysis
/// goes on without it. Its name ranker runs on the ONNX Runtime that `options` name.
fn lexicon_for_analysis(
    dir: Option<PathBuf>,
    off: bool,
    options: &TaggerOptions,
) -> Option<std::sync::Arc<Lexicon>> {
    if off {
        return None;
    }
    let dir = dir.unwrap_or_else(lexicon_cmd::default_lexicon);
    lexicon_cmd::open(&dir, options)
        .map_err(|e| eprintln!("bioscope: {e:#}; no identifiers or recall recovery"))
        .ok()
        .map(std::sync::Arc::new)
}

/// Says on stderr when the model reads lexicon features but has no lexicon to read them from.
fn say_feature_note(tagger: Option<&Tagger>) {
    if let Some(note) = tagger.and_then(Tagger::feature_note) {
        eprintln!("bioscope: {note}");
    }
}

/// `bioscope-train` in the same folder as this executable (as cargo builds and installs them).
fn trainer_beside_exe() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let trainer = exe.with_file_name(format!("bioscope-train{}", std::env::consts::EXE_SUFFIX));
    trainer.is_file().then_some(trainer)
}

/// The bundle shipped in the repository's models/ directory: found next to the executable
/// (target/release/bioscope → models/), else where the binary was built from.
/// The bundle in `dir` on the device `options` ask for; says on stderr when it runs elsewhere.
fn load_tagger(dir: &Path, options: TaggerOptions) -> Result<Tagger> {
    let tagger = Tagger::load(dir, options)
        .with_context(|| format!("cannot load model {}", dir.display()))?;
    if let Some(note) = tagger.model().device_note() {
        eprintln!("bioscope: {note}");
    }
    Ok(tagger)
}

fn default_model() -> PathBuf {
    beside_models("bioscope-union", "manifest.json")
}

/// `models/NAME` of the repository: found next to the executable (target/release/bioscope →
/// models/) when it holds `marker`, else where the binary was built from.
fn beside_models(name: &str, marker: &str) -> PathBuf {
    let beside_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()?
            .parent()?
            .parent()
            .map(|root| root.join("models").join(name))
    });
    beside_exe
        .filter(|p| p.join(marker).is_file())
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../models")
                .join(name)
        })
}

/// The documents of one input file.
fn read_inputs(path: &std::path::Path, format: InputFormat) -> Result<Vec<InputDocument>> {
    match format {
        InputFormat::Auto => Ok(vec![InputDocument {
            id: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            text: tag::read_text(path)?,
            title_len: None,
        }]),
        InputFormat::Pubtator => Ok(bioscope_core::corpus::read_pubtator(path)?
            .into_iter()
            .map(|d| InputDocument {
                id: d.id,
                text: d.text,
                title_len: d.title_len,
            })
            .collect()),
    }
}

fn print_info(m: &Manifest, outputs: usize) {
    println!("name:        {}", m.name);
    println!("types:       {}", m.entity_types.join(", "));
    println!(
        "labels:      {} ({} model outputs)",
        m.labels.join(" "),
        outputs
    );
    println!(
        "decoding:    {}",
        if m.crf.is_some() {
            "CRF (Viterbi, BIO-constrained)"
        } else {
            "BIO-constrained argmax"
        }
    );
    println!("weights:     {:?}", m.weights);
    println!(
        "encoder:     {} layers, hidden {}, {} heads, vocabulary {}",
        m.encoder.num_hidden_layers,
        m.encoder.hidden_size,
        m.encoder.num_attention_heads,
        m.encoder.vocab_size
    );
    println!("window:      {} word pieces", m.max_sequence_length);
    println!(
        "trained:     {} ({} steps, {:.0} s)",
        m.training.command, m.training.steps, m.training.wall_seconds
    );
    println!("data sha256: {}", m.training.data_sha256);
    for member in &m.ensemble {
        println!(
            "member:      {} (weight {:.3}, model sha256 {})",
            member.name, member.weight, member.model_sha256
        );
    }
    for e in &m.evaluation {
        println!(
            "eval:        {} {}: P {:.2} R {:.2} F1 {:.2} ({})",
            e.corpus,
            e.split,
            100.0 * e.precision,
            100.0 * e.recall,
            100.0 * e.f1,
            e.engine
        );
    }
}
