//! `bioscope lexicon build|info` and `bioscope normalize`: building the name lexicon from the
//! shared sources and querying it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use bioscope_core::EntityType;
use bioscope_lexicon::ranker::{
    RankerManifest, RANKER_DIR, RANKER_MANIFEST, RANKER_MODEL, RANKER_TOKENIZER, RANKER_VECTORS,
};
use bioscope_lexicon::DocumentContext;
use bioscope_lexicon::{Lexicon, LexiconManifest, Normalizer, Scope, SourceOptions};
use bioscope_tagger::{OnnxNameEncoder, TaggerOptions};
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
        /// A trained name ranker's folder (`bioscope-train ranker`'s output) to copy into the
        /// lexicon folder's `ranker/`. Whichever ranker the folder then has gets the new
        /// lexicon's names encoded (`ranker/names.vectors`; needs ONNX Runtime).
        #[arg(long)]
        ranker: Option<PathBuf>,
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

/// Runs a `bioscope lexicon` command; `runtime` names the ONNX Runtime the name ranker runs on.
pub fn run(command: LexiconCommand, runtime: &TaggerOptions) -> Result<()> {
    match command {
        LexiconCommand::Build {
            sources,
            out,
            scope,
            umls,
            corpora,
            no_corpora,
            ranker,
        } => {
            let out = out.unwrap_or_else(default_lexicon);
            let ranker_dir = out.join(RANKER_DIR);
            if let Some(from) = &ranker {
                copy_ranker(from, &ranker_dir)?;
            }
            let ranker_types = match RankerManifest::read(&ranker_dir) {
                Ok(manifest) => manifest.types,
                Err(_) if !ranker_dir.exists() => Vec::new(),
                Err(e) => return Err(e).context("cannot read the lexicon's name ranker"),
            };
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
            let (manifest, kept) =
                bioscope_lexicon::build_keeping(&sources, &options, &out, &ranker_types)
                    .with_context(|| {
                        format!("cannot build a lexicon from {}", sources.display())
                    })?;
            eprintln!(
                "built {} in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            print_manifest(&manifest);
            if !ranker_types.is_empty() {
                let started = Instant::now();
                let rows = embed_names(&out, &kept, runtime)?;
                println!(
                    "ranker:         {rows} names encoded in {:.0} s ({:.1} MB)",
                    started.elapsed().as_secs_f64(),
                    std::fs::metadata(ranker_dir.join(RANKER_VECTORS))
                        .map(|m| m.len() as f64 / 1e6)
                        .unwrap_or(0.0)
                );
            }
        }
        LexiconCommand::Info { dir } => {
            let dir = dir.unwrap_or_else(default_lexicon);
            let lexicon = open(&dir, runtime)?;
            println!("path:     {}", lexicon.path().display());
            println!("keys:     {}", lexicon.name_count());
            println!("concepts: {}", lexicon.concept_count());
            println!("size:     {:.1} MB", lexicon.bytes_on_disk() as f64 / 1e6);
            match lexicon.ranker() {
                Some(ranker) => println!("ranker:   {}", ranker.summary()),
                None => println!("ranker:   none"),
            }
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

/// Opens the lexicon folder `dir` with its name ranker when it has one, run on the ONNX Runtime
/// that `options` name (the command line's `--ort-library`); a ranker that cannot be used is
/// named on stderr and the lexicon normalizes without it.
pub fn open(dir: &Path, options: &TaggerOptions) -> Result<Lexicon> {
    let lexicon = open_without_ranker(dir)?;
    if dir.is_dir() {
        if let Err(e) = bioscope_tagger::attach_ranker(&lexicon, dir, options) {
            eprintln!("bioscope: the name ranker is off: {e}");
        }
    }
    Ok(lexicon)
}

/// Opens the lexicon folder `dir` (or its file) without the name ranker.
pub fn open_without_ranker(dir: &Path) -> Result<Lexicon> {
    bioscope_lexicon::open(dir).with_context(|| format!("cannot open lexicon {}", dir.display()))
}

/// Copies a ranker folder's graph, tokenizer and manifest to `to`.
fn copy_ranker(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for name in [RANKER_MANIFEST, RANKER_MODEL, RANKER_TOKENIZER] {
        std::fs::copy(from.join(name), to.join(name))
            .with_context(|| format!("cannot copy {}", from.join(name).display()))?;
    }
    Ok(())
}

/// Encodes the names of the ranker's types into `out/ranker/names.vectors`.
fn embed_names(
    out: &Path,
    kept: &[bioscope_lexicon::KeptName],
    runtime: &TaggerOptions,
) -> Result<usize> {
    let ranker_dir = out.join(RANKER_DIR);
    let lexicon = open_without_ranker(out)?;
    let (encoder, _) = OnnxNameEncoder::load(&ranker_dir, runtime)
        .context("cannot load the name ranker to encode the lexicon's names")?;
    let bar = crate::progress::bar(0, "encoding names");
    let rows = bioscope_lexicon::ranker::write_index(
        &ranker_dir,
        &lexicon,
        kept,
        &encoder,
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )
    .context("cannot encode the lexicon's names")?;
    bar.finish_and_clear();
    Ok(rows)
}

/// `bioscope normalize TEXT --type T`: ranked candidates, one per line.
pub fn normalize(
    text: &str,
    entity_type: Option<EntityType>,
    lexicon: &Path,
    document: Option<&Path>,
    limit: usize,
    runtime: &TaggerOptions,
) -> Result<()> {
    let lexicon = open(lexicon, runtime)?;
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
