//! A smaller model for a narrow kind of text (`trim_vocabulary` in the config): the WordPiece
//! vocabulary cut to the pieces the training corpora use, plus the special tokens and every
//! single-character piece, so that any word still has pieces. Words the corpora spell keep
//! exactly their pieces (greedy longest-match finds the same longest prefixes, all kept);
//! other words split into shorter ones, unless they are among the vocabulary's common words
//! kept on purpose (`keep_common_pieces`). The embedding table keeps the pretrained rows of the
//! kept pieces ([`pretrained_rows`]).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use bioscope_core::corpus::Sentence;
use bioscope_core::encoding::WordPieceEncoder;
use serde_json::Value;

use crate::config::TrainConfig;
use crate::run::RUN_TOKENIZER;

/// Writes the run's tokenizer, trimmed to the pieces `config`'s training corpora use, into
/// `out` at the start of training (so that a resumed run and `conventions` read the vocabulary
/// the weights have), and returns its encoder. `encoder` is the full tokenizer at
/// `tokenizer_path`.
pub fn write_trimmed_tokenizer(
    config: &TrainConfig,
    encoder: &WordPieceEncoder,
    tokenizer_path: &Path,
    out: &Path,
) -> Result<WordPieceEncoder> {
    let mut used: BTreeSet<u32> = (0..config.keep_common_pieces as u32).collect();
    for spec in &config.train {
        used.extend(used_pieces(encoder, &spec.read()?, config.max_len)?);
    }
    let original = std::fs::read(tokenizer_path)
        .with_context(|| format!("cannot read {}", tokenizer_path.display()))?;
    let trimmed = trim_tokenizer(&original, &used)?;
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join(RUN_TOKENIZER), &trimmed)?;
    Ok(WordPieceEncoder::from_bytes(&trimmed)?)
}

/// The piece ids `sentences` encode to (in windows of `max_len`).
pub fn used_pieces(
    encoder: &WordPieceEncoder,
    sentences: &[Sentence],
    max_len: usize,
) -> Result<BTreeSet<u32>> {
    let mut used = BTreeSet::new();
    for sentence in sentences {
        for window in encoder.encode_words(&sentence.words, max_len)? {
            used.extend(window.ids);
        }
    }
    Ok(used)
}

/// A copy of a Hugging Face WordPiece `tokenizer.json` that keeps only the pieces in `used`,
/// the added (special) tokens and the single-character pieces (`a`, `##a`), renumbered in
/// their old order. Every id the file holds (vocabulary, added tokens, the post-processor's
/// special tokens, padding) is renumbered.
pub fn trim_tokenizer(tokenizer_json: &[u8], used: &BTreeSet<u32>) -> Result<Vec<u8>> {
    let mut doc: Value =
        serde_json::from_slice(tokenizer_json).context("invalid tokenizer.json")?;
    if doc["model"]["type"] != "WordPiece" {
        bail!("trim_vocabulary needs a WordPiece tokenizer");
    }
    let prefix = doc["model"]["continuing_subword_prefix"]
        .as_str()
        .unwrap_or("##")
        .to_string();
    let specials: BTreeSet<u32> = doc["added_tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_u64().map(|id| id as u32))
        .collect();
    let vocab = doc["model"]["vocab"]
        .as_object()
        .context("tokenizer.json has no model.vocab")?;
    let mut kept: Vec<(u32, String)> = vocab
        .iter()
        .filter_map(|(piece, id)| Some((id.as_u64()? as u32, piece.clone())))
        .filter(|(id, piece)| {
            let bare = piece.strip_prefix(prefix.as_str()).unwrap_or(piece);
            used.contains(id) || specials.contains(id) || bare.chars().count() == 1
        })
        .collect();
    kept.sort();
    let new_id = |old: u64| -> Option<u64> {
        kept.binary_search_by_key(&(old as u32), |(id, _)| *id)
            .ok()
            .map(|i| i as u64)
    };
    let renumber = |value: &mut Value| -> Result<()> {
        let old = value.as_u64().context("a token id is not a number")?;
        *value = new_id(old)
            .with_context(|| format!("token id {old} is not in the trimmed vocabulary"))?
            .into();
        Ok(())
    };
    for token in doc["added_tokens"].as_array_mut().into_iter().flatten() {
        renumber(&mut token["id"])?;
    }
    if let Some(specials) = doc["post_processor"]["special_tokens"].as_object_mut() {
        for special in specials.values_mut() {
            for id in special["ids"].as_array_mut().into_iter().flatten() {
                renumber(id)?;
            }
        }
    }
    if doc["padding"]["pad_id"].is_u64() {
        renumber(&mut doc["padding"]["pad_id"])?;
    }
    doc["model"]["vocab"] = Value::Object(
        kept.iter()
            .enumerate()
            .map(|(new, (_, piece))| (piece.clone(), Value::from(new as u64)))
            .collect(),
    );
    Ok(serde_json::to_vec(&doc)?)
}

/// For each piece of `trimmed`, in id order, its id in `original`: the pretrained embedding
/// rows the trimmed model starts from.
pub fn pretrained_rows(
    original: &WordPieceEncoder,
    trimmed: &WordPieceEncoder,
) -> Result<Vec<u32>> {
    (0..trimmed.vocab_size() as u32)
        .map(|id| {
            let piece = trimmed
                .tokenizer()
                .id_to_token(id)
                .with_context(|| format!("the trimmed vocabulary has no id {id}"))?;
            original
                .tokenizer()
                .token_to_id(&piece)
                .with_context(|| format!("`{piece}` is not in the original vocabulary"))
        })
        .collect()
}
