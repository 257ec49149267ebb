//! `bioscope lexicon build|info` and `bioscope normalize`: building the name lexicon from the
//! shared sources and querying it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use bioscope_core::EntityType;
use bioscope_lexicon::DocumentContext;
use bioscope_lexicon::{Lexicon, LexiconManifest, Normalizer, Scope, SourceOptions};
use clap::{Subcommand, ValueEnum};

#[derive(Subcommand)]
pub enum LexiconCommand {
    /// Build a lexicon folder (names.lexicon + manifest.json) from the lexicon sources.
    Build {
        /// The sources folder (the layout of ../shared/data/lexicons).
        #[arg(long)]
        sources: PathBuf,
        /// Output folder (default: the shipped lexicon, models/lexicon).
        #[arg(long)]
        out: Option<PathBuf>,
        /// `compact` (the shipped default: what manuscripts name) or `full` (every name,
        /// strains and long systematic chemical names included; about 120 MB).
        #[arg(long, value_enum, default_value = "compact")]
        scope: ScopeArg,
        /// A licensed UMLS release: its META folder (MRCONSO.RRF, MRSTY.RRF) or the folder above.
        #[arg(long)]
        umls: Option<PathBuf>,
        /// The annotated corpora (the layout of ../shared/data/corpora), whose training splits
        /// add the names annotators normalized; default: `corpora` beside the sources' parent
        /// folder when it exists.
        #[arg(long)]
        corpora: Option<PathBuf>,
        /// Do not read annotated corpora.
        #[arg(long, conflicts_with = "corpora")]
        no_corpora: bool,
    },
    /// Check a lexicon and print its counts.
    Info {
        /// Lexicon folder (default: the shipped lexicon).
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    Compact,
    Full,
}

pub fn run(command: LexiconCommand) -> Result<()> {
    match command {
        LexiconCommand::Build {
            sources,
            out,
            scope,
            umls,
            corpora,
            no_corpora,
        } => {
            let out = out.unwrap_or_else(default_lexicon);
            let corpora = corpora.or_else(|| {
                let beside = sources.parent()?.join("corpora");
                beside.is_dir().then_some(beside)
            });
            let options = SourceOptions {
                scope: match scope {
                    ScopeArg::Compact => Scope::Compact,
                    ScopeArg::Full => Scope::Full,
                },
                umls,
                corpora: corpora.filter(|_| !no_corpora),
            };
            let started = Instant::now();
            let manifest = bioscope_lexicon::build(&sources, &options, &out)
                .with_context(|| format!("cannot build a lexicon from {}", sources.display()))?;
            eprintln!(
                "built {} in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            print_manifest(&manifest);
        }
        LexiconCommand::Info { dir } => {
            let dir = dir.unwrap_or_else(default_lexicon);
            let lexicon = open(&dir)?;
            println!("path:     {}", lexicon.path().display());
            println!("keys:     {}", lexicon.name_count());
            println!("concepts: {}", lexicon.concept_count());
            println!("size:     {:.1} MB", lexicon.bytes_on_disk() as f64 / 1e6);
        }
    }
    Ok(())
}

fn print_manifest(m: &LexiconManifest) {
    println!("concepts:       {}", m.stats.concepts);
    println!("names:          {}", m.stats.names);
    println!("keys:           {}", m.stats.keys);
    println!("ambiguous keys: {}", m.stats.ambiguous_keys);
    println!(
        "size:           {:.1} MB (name index {:.1} MB, concepts {:.1} MB)",
        m.stats.bytes as f64 / 1e6,
        m.stats.index_bytes as f64 / 1e6,
        m.stats.record_bytes as f64 / 1e6
    );
    for (entity_type, (concepts, names)) in &m.stats.per_type {
        println!("  {entity_type:<12} {concepts:>9} concepts {names:>9} names");
    }
    println!("sha256:         {}", m.sha256);
}

pub fn open(dir: &Path) -> Result<Lexicon> {
    bioscope_lexicon::open(dir).with_context(|| format!("cannot open lexicon {}", dir.display()))
}

/// `bioscope normalize TEXT --type T`: ranked candidates, one per line.
pub fn normalize(
    text: &str,
    entity_type: Option<EntityType>,
    lexicon: &Path,
    document: Option<&Path>,
    limit: usize,
) -> Result<()> {
    let lexicon = open(lexicon)?;
    let normalizer = Normalizer::new(&lexicon);
    let context = match document {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            DocumentContext::from_text(&text, [])
        }
        None => DocumentContext::default(),
    };
    let candidates = normalizer.candidates(text, entity_type, &context, limit);
    if candidates.is_empty() {
        anyhow::bail!("no concept found for {text:?}");
    }
    for c in candidates {
        let mut xrefs: Vec<String> = c.concept.xrefs.iter().map(|x| x.to_string()).collect();
        if let Some(broader) = &c.concept.broader {
            xrefs.push(format!("broader:{broader}"));
        }
        println!(
            "{:.3}\t{}\t{}\t{}\t{}\t{}",
            c.score,
            c.concept.id,
            c.concept.entity_type,
            c.concept.name,
            c.via.label(),
            xrefs.join(" ")
        );
    }
    Ok(())
}

/// The lexicon shipped in the repository's models/ directory (found like the default model).
pub fn default_lexicon() -> PathBuf {
    crate::beside_models("lexicon", bioscope_lexicon::MANIFEST_FILE)
}
