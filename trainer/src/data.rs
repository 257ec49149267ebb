//! Training data: corpora read through bioscope-core, encoded into word-piece windows with
//! piece labels, grouped into length-bucketed batches, and hashed for the bundle manifest.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use bioscope_core::corpus::{read_sentences, CorpusFormat, Sentence};
use bioscope_core::encoding::{Window, WordPieceEncoder};
use bioscope_core::entity::Tag;
use bioscope_core::hash::Hasher;
use bioscope_core::lexicon_match::{write_floats, MatchBits, NUM_LEXICON_FEATURES};
use bioscope_core::{EntityType, LabelScheme};
use bioscope_lexicon::Lexicon;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use crate::bert::device;

/// A corpus file (or brat directory) and its format.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CorpusSpec {
    pub path: PathBuf,
    pub format: String,
    /// Keep only this fraction of the sentences (from the start), for quick runs or to
    /// down-weight a large corpus in a union.
    #[serde(default)]
    pub fraction: Option<f64>,
    /// The entity types this corpus annotates exhaustively (default: all the model's types).
    /// Where it says `O`, the other types stay possible: training uses the partial-label loss.
    #[serde(default)]
    pub annotates: Option<Vec<String>>,
    /// The annotation convention this corpus follows (corpus-aware training, after AIONER):
    /// its sequences carry that convention's learned marker, so that corpora whose guidelines
    /// disagree (what a span includes, which mentions count) stop blurring each other. Corpora
    /// without one share the unmarked convention.
    #[serde(default)]
    pub convention: Option<String>,
    /// Use every sentence this many times per epoch (upsampling a small corpus).
    #[serde(default)]
    pub repeat: Option<usize>,
}

impl CorpusSpec {
    pub fn format(&self) -> Result<CorpusFormat> {
        self.format.parse().map_err(anyhow::Error::msg)
    }

    /// The types this corpus annotates, among the model's `types`.
    pub fn annotated_types(&self, types: &[EntityType]) -> Result<Vec<EntityType>> {
        let Some(names) = &self.annotates else {
            return Ok(types.to_vec());
        };
        names
            .iter()
            .map(|n| {
                let t: EntityType = n.parse().map_err(anyhow::Error::from)?;
                anyhow::ensure!(
                    types.contains(&t),
                    "{}: annotates {n}, which the model does not tag",
                    self.path.display()
                );
                Ok(t)
            })
            .collect()
    }

    pub fn read(&self) -> Result<Vec<Sentence>> {
        let mut s = read_sentences(&self.path, self.format()?)
            .with_context(|| format!("cannot read corpus {}", self.path.display()))?;
        if let Some(f) = self.fraction {
            s.truncate(((s.len() as f64) * f).ceil() as usize);
        }
        Ok(s)
    }
}

/// SHA-256 over the corpora's bytes (files in name order for directories), their formats and
/// the label list: the `data_sha256` of the manifest.
pub fn data_hash(specs: &[CorpusSpec], scheme: &LabelScheme) -> Result<String> {
    let mut h = Hasher::default();
    h.update(scheme.label_strings().join(",").as_bytes());
    for spec in specs {
        h.update(spec.format.as_bytes());
        h.update(format!("{:?} {:?}", spec.fraction, spec.annotates).as_bytes());
        // Hashed only when set, so that the hashes of runs made before these options stay.
        if spec.convention.is_some() || spec.repeat.is_some() {
            h.update(format!("{:?} {:?}", spec.convention, spec.repeat).as_bytes());
        }
        let mut files = vec![spec.path.clone()];
        if spec.path.is_dir() {
            files = fs::read_dir(&spec.path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            files.sort();
        }
        for f in files {
            h.update(&fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?);
        }
    }
    Ok(h.finish_hex())
}

/// One model input window with its gold piece labels.
#[derive(Clone, Debug)]
pub struct Example {
    pub ids: Vec<u32>,
    /// Per piece, its word's shape ([`bioscope_core::shape::word_shape`]).
    pub shapes: Vec<u32>,
    /// Per piece, its lexicon-match bits ([`bioscope_core::lexicon_match`]; all 0 without a
    /// lexicon).
    pub lexicon: Vec<MatchBits>,
    pub labels: Vec<u32>,
    /// Per piece, the bit set of labels the corpus admits (see [`CorpusSpec::annotates`]);
    /// `None` when the labels are complete.
    pub allowed: Option<Vec<u32>>,
    /// The annotation convention's marker ([`UNMARKED`] or a row of the model's table).
    pub convention: u32,
    pub window: Window,
    /// Index of the sentence this window comes from.
    pub sentence: usize,
}

/// Encodes tagged sentences into windows of at most `max_len` pieces, with `context` pieces of
/// overlap (0 for training, [`bioscope_core::encoding::WINDOW_CONTEXT`] to predict as the
/// tagger does). `annotated` lists the types the sentences' corpus annotates; an `O` piece may
/// also be any other type's label. With a `lexicon`, pieces carry its lexicon-match bits.
pub fn encode(
    sentences: &[Sentence],
    encoder: &WordPieceEncoder,
    scheme: &LabelScheme,
    annotated: &[EntityType],
    (max_len, context): (usize, usize),
    lexicon: Option<&Lexicon>,
) -> Result<Vec<Example>> {
    // Labels an `O` piece admits: O itself and both labels of every unannotated type.
    let outside_bits = scheme
        .tags()
        .iter()
        .enumerate()
        .filter(|(_, t)| t.entity_type().is_none_or(|e| !annotated.contains(&e)))
        .fold(0u32, |bits, (i, _)| bits | (1 << i));
    let partial = outside_bits != 1;
    let mut out = Vec::new();
    for (i, s) in sentences.iter().enumerate() {
        let word_bits = match lexicon {
            Some(lexicon) => bioscope_lexicon::matches::word_matches(lexicon, &s.words),
            None => vec![0; s.words.len()],
        };
        for window in encoder.encode_words_with_context(&s.words, max_len, context)? {
            let labels: Vec<u32> = window
                .piece_tags(&s.tags)
                .into_iter()
                .map(|t| scheme.index(t) as u32)
                .collect();
            let allowed = partial.then(|| {
                labels
                    .iter()
                    .map(|&l| if l == 0 { outside_bits } else { 1 << l })
                    .collect()
            });
            out.push(Example {
                ids: window.ids.clone(),
                shapes: window.shapes(&s.words),
                lexicon: window.lexicon_features(&word_bits, encoder.unknown_piece()),
                labels,
                allowed,
                convention: UNMARKED,
                window,
                sentence: i,
            });
        }
    }
    Ok(out)
}

/// The convention marker of corpora that name no convention (row 0 of the marker table).
pub const UNMARKED: u32 = 0;

/// A padded batch: ids and shape ids `[B, T]` (u32), lexicon-match features `[B, T, F]`
/// (f32, 0 or 1), convention markers `[B]` (u32), mask `[B, T]` (f32), and the unpadded labels.
pub struct Batch {
    pub ids: Tensor,
    pub shapes: Tensor,
    pub lexicon: Tensor,
    pub conventions: Tensor,
    pub mask: Tensor,
    pub labels: Vec<Vec<u32>>,
    pub lengths: Vec<usize>,
    /// Members' indices, for their [`Example::allowed`] label sets.
    pub members: Vec<usize>,
}

impl Batch {
    /// Each row's allowed-label sets (`None`: fully labelled), for [`crate::crf::Crf::partial_nll`].
    pub fn allowed<'a>(&self, examples: &'a [Example]) -> Vec<Option<&'a [u32]>> {
        self.members
            .iter()
            .map(|&i| examples[i].allowed.as_deref())
            .collect()
    }

    /// Replaces the rows' convention markers (marker dropout during training).
    pub fn set_conventions(&mut self, conventions: Vec<u32>) -> Result<()> {
        let b = conventions.len();
        self.conventions = Tensor::from_vec(conventions, b, &device())?;
        Ok(())
    }
}

pub fn make_batch(examples: &[Example], members: &[usize]) -> Result<Batch> {
    let t = members
        .iter()
        .map(|&i| examples[i].ids.len())
        .max()
        .unwrap_or(0);
    let b = members.len();
    let mut ids = vec![0u32; b * t];
    let mut shapes = vec![bioscope_core::shape::SPECIAL; b * t];
    let mut mask = vec![0f32; b * t];
    let f = NUM_LEXICON_FEATURES;
    let mut lexicon = vec![0f32; b * t * f];
    for (row, &i) in members.iter().enumerate() {
        let e = &examples[i];
        for (p, &bits) in e.lexicon.iter().enumerate() {
            let at = (row * t + p) * f;
            write_floats(bits, &mut lexicon[at..at + f]);
        }
        ids[row * t..row * t + e.ids.len()].copy_from_slice(&e.ids);
        shapes[row * t..row * t + e.shapes.len()].copy_from_slice(&e.shapes);
        mask[row * t..row * t + e.ids.len()].fill(1.0);
    }
    Ok(Batch {
        ids: Tensor::from_vec(ids, (b, t), &device())?,
        shapes: Tensor::from_vec(shapes, (b, t), &device())?,
        lexicon: Tensor::from_vec(lexicon, (b, t, f), &device())?,
        conventions: Tensor::from_vec(
            members.iter().map(|&i| examples[i].convention).collect(),
            b,
            &device(),
        )?,
        mask: Tensor::from_vec(mask, (b, t), &device())?,
        labels: members
            .iter()
            .map(|&i| examples[i].labels.clone())
            .collect(),
        lengths: members.iter().map(|&i| examples[i].ids.len()).collect(),
        members: members.to_vec(),
    })
}

/// Gold word tags of every sentence, for scoring.
pub fn gold_tags(sentences: &[Sentence]) -> Vec<Vec<Tag>> {
    sentences.iter().map(|s| s.tags.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_batch_masks_padding() {
        let scheme = LabelScheme::new(&[EntityType::Gene]);
        let ex = |n: usize| Example {
            ids: vec![7; n],
            shapes: vec![1; n],
            lexicon: vec![0; n],
            labels: vec![0; n],
            allowed: None,
            convention: UNMARKED,
            window: Window {
                ids: vec![7; n],
                piece_word: vec![None; n],
                first_word: 0,
                end_word: 0,
                keep_first: 0,
                keep_end: 0,
            },
            sentence: 0,
        };
        let examples = vec![ex(3), ex(5)];
        let b = make_batch(&examples, &[1, 0]).unwrap();
        assert_eq!(b.ids.dims(), &[2, 5]);
        let mask: Vec<Vec<f32>> = b.mask.to_vec2().unwrap();
        assert_eq!(mask[1], vec![1.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(b.lengths, vec![5, 3]);
        assert_eq!(scheme.len(), 3);
    }

    #[test]
    fn unannotated_types_stay_possible_where_the_corpus_says_outside() {
        let tokenizer = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/tiny-tokenizer.json"
        );
        let encoder = WordPieceEncoder::from_file(std::path::Path::new(tokenizer)).unwrap();
        let scheme = LabelScheme::new(&[EntityType::Gene, EntityType::Disease]);
        let sentence = Sentence {
            words: vec!["the".into(), "gene".into()],
            tags: vec![Tag::Outside, Tag::Begin(EntityType::Gene)],
        };
        let sentences = [sentence];
        let gene = scheme.index(Tag::Begin(EntityType::Gene)) as u32;
        let disease_bits = (1 << scheme.index(Tag::Begin(EntityType::Disease)))
            | (1 << scheme.index(Tag::Inside(EntityType::Disease)));

        // A gene-only corpus: its O pieces may be diseases, its gene piece is certain.
        let partial = encode(
            &sentences,
            &encoder,
            &scheme,
            &[EntityType::Gene],
            (16, 0),
            None,
        )
        .unwrap();
        let e = &partial[0];
        let allowed = e.allowed.as_ref().expect("partial labels");
        for (&label, &bits) in e.labels.iter().zip(allowed) {
            if label == gene {
                assert_eq!(bits, 1 << gene);
            } else {
                assert_eq!(label, 0);
                assert_eq!(bits, 1 | disease_bits);
            }
        }
        assert!(e.labels.contains(&gene));

        // A corpus annotating every type is fully labelled.
        let full = encode(&sentences, &encoder, &scheme, scheme.types(), (16, 0), None).unwrap();
        assert!(full[0].allowed.is_none());
        assert_eq!(full[0].labels, e.labels);
    }
}
