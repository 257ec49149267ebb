//! The tagger facade: a checked bundle plus its ONNX session, tagging word sequences and text.
//! Sequences longer than the model's window run in overlapping windows
//! ([`WINDOW_CONTEXT`] pieces of context on each side of the words a window decides).
//!
//! Confidence: each word gets the posterior probability (CRF forward–backward marginal at its
//! first piece) of the tag the Viterbi path gave it; an entity's score is the lowest over its
//! words, so one doubtful word makes the whole mention doubtful.
//!
//! A model trained with lexicon-match features takes each piece's bits
//! ([`bioscope_core::lexicon_match`]) from the lexicon it is given
//! ([`Tagger::with_feature_lexicon`]); without one every bit is off, and the tagger says so.

use std::path::Path;
use std::sync::Arc;

use bioscope_core::bundle::Bundle;
use bioscope_core::corpus::split_words;
use bioscope_core::decode::{decode_window_scored, tag_runs};
use bioscope_core::encoding::{plan_batches, Window, WINDOW_CONTEXT};
use bioscope_core::entity::{EntityType, Tag};
use bioscope_core::lexicon_match::MatchBits;
use bioscope_lexicon::matches::word_matches;
use bioscope_lexicon::Lexicon;

use crate::error::TaggerError;
use crate::onnx::{Features, OnnxModel, Priority};
use crate::options::TaggerOptions;

/// An entity found in text: UTF-8 byte span, type, and confidence in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct TextEntity {
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
    pub score: f32,
}

pub struct Tagger {
    pub bundle: Bundle,
    model: OnnxModel,
    options: TaggerOptions,
    /// Where a model with lexicon features takes them from.
    lexicon: Option<Arc<Lexicon>>,
}

impl Tagger {
    /// Opens and checks the bundle in `dir` and starts an ONNX Runtime session on it.
    pub fn load(dir: &Path, options: TaggerOptions) -> Result<Tagger, TaggerError> {
        let mut bundle = Bundle::open(dir)?;
        let model = OnnxModel::from_bytes(
            &bundle.model_bytes,
            bundle.scheme.len(),
            (
                bundle.manifest.encoder.shape_features,
                bundle.manifest.encoder.lexicon_features,
            ),
            &options,
        )?;
        bundle.model_bytes = Vec::new();
        Ok(Tagger {
            bundle,
            model,
            options,
            lexicon: None,
        })
    }

    /// The lexicon whose names give a model with lexicon features its input (the one the
    /// analysis uses for identifiers); ignored by models without them.
    pub fn with_feature_lexicon(mut self, lexicon: Option<Arc<Lexicon>>) -> Tagger {
        self.lexicon = lexicon;
        self
    }

    /// Whether a feature lexicon was given.
    pub fn has_feature_lexicon(&self) -> bool {
        self.lexicon.is_some()
    }

    /// Why tagging is worse than the model can do, if it is: the model takes lexicon features
    /// and no lexicon was given.
    pub fn feature_note(&self) -> Option<String> {
        (self.model.lexicon_features() && self.lexicon.is_none()).then(|| {
            "the model takes lexicon-match features but no lexicon is loaded: it tags \
             without them, with lower accuracy"
                .to_string()
        })
    }

    /// The fingerprint of the feature lexicon when the model reads one (part of what a cached
    /// result depends on).
    pub fn feature_fingerprint(&self) -> String {
        match (&self.lexicon, self.model.lexicon_features()) {
            (Some(lexicon), true) => lexicon.fingerprint(),
            _ => String::new(),
        }
    }

    pub fn model(&self) -> &OnnxModel {
        &self.model
    }

    /// `(tag, confidence)` for every word of every word sequence, batched across sequences.
    fn tag_sequences<W: AsRef<[S]>, S: AsRef<str>>(
        &self,
        sequences: &[W],
        priority: Priority,
    ) -> Result<Vec<Vec<(Tag, f32)>>, TaggerError> {
        let _interactive = self.model.interactive(priority);
        let max_len = self.bundle.manifest.max_sequence_length;
        let shape_features = self.model.shape_features();
        let lexicon_features = self.model.lexicon_features();
        // (sequence, window, its pieces' shape ids and lexicon bits if the model takes them)
        let mut windows: Vec<(usize, Window, Vec<u32>, Vec<MatchBits>)> = Vec::new();
        for (i, words) in sequences.iter().enumerate() {
            let words = words.as_ref();
            let word_bits = match &self.lexicon {
                _ if !lexicon_features => Vec::new(),
                Some(lexicon) => word_matches(lexicon, words),
                None => vec![0; words.len()],
            };
            for w in
                self.bundle
                    .encoder
                    .encode_words_with_context(words, max_len, WINDOW_CONTEXT)?
            {
                let shapes = if shape_features {
                    w.shapes(words)
                } else {
                    Vec::new()
                };
                let bits = if lexicon_features {
                    w.lexicon_features(&word_bits, self.bundle.encoder.unknown_piece())
                } else {
                    Vec::new()
                };
                windows.push((i, w, shapes, bits));
            }
        }
        let mut out: Vec<Vec<(Tag, f32)>> = sequences
            .iter()
            .map(|s| vec![(Tag::Outside, 1.0); s.as_ref().len()])
            .collect();
        let lengths: Vec<usize> = windows.iter().map(|(_, w, ..)| w.ids.len()).collect();
        let n = self.bundle.scheme.len();
        for members in plan_batches(&lengths, self.options.batch_tokens, None) {
            let batch: Vec<&[u32]> = members
                .iter()
                .map(|&i| windows[i].1.ids.as_slice())
                .collect();
            let features = Features {
                shapes: members.iter().map(|&i| windows[i].2.as_slice()).collect(),
                lexicon: members.iter().map(|&i| windows[i].3.as_slice()).collect(),
            };
            let (logits, t) = self.model.logits(&batch, &features, priority)?;
            for (row, &i) in members.iter().enumerate() {
                let (seq, window, ..) = &windows[i];
                let emissions = &logits[row * t * n..(row * t + window.ids.len()) * n];
                let words =
                    decode_window_scored(window, emissions, &self.bundle.scheme, &self.bundle.crf);
                out[*seq][window.keep_first..window.keep_end].copy_from_slice(&words);
            }
        }
        Ok(out)
    }

    /// BIO tags for each word sequence (e.g. the sentences of a token-level corpus).
    pub fn tag_words<W: AsRef<[S]>, S: AsRef<str>>(
        &self,
        sentences: &[W],
    ) -> Result<Vec<Vec<Tag>>, TaggerError> {
        Ok(self
            .tag_words_scored(sentences)?
            .into_iter()
            .map(|words| words.into_iter().map(|(tag, _)| tag).collect())
            .collect())
    }

    /// [`tag_words`](Self::tag_words) with each word's confidence in its tag.
    pub fn tag_words_scored<W: AsRef<[S]>, S: AsRef<str>>(
        &self,
        sentences: &[W],
    ) -> Result<Vec<Vec<(Tag, f32)>>, TaggerError> {
        self.tag_sequences(sentences, Priority::Background)
    }

    /// Entities in each text (a sentence, a paragraph's prose), in byte offsets of that text.
    pub fn tag_texts(&self, texts: &[&str]) -> Result<Vec<Vec<TextEntity>>, TaggerError> {
        self.tag_texts_at(texts, Priority::Interactive)
    }

    /// [`tag_texts`](Self::tag_texts) with the priority of its model batches.
    pub fn tag_texts_at(
        &self,
        texts: &[&str],
        priority: Priority,
    ) -> Result<Vec<Vec<TextEntity>>, TaggerError> {
        let spans: Vec<_> = texts.iter().map(|t| split_words(t)).collect();
        let words: Vec<Vec<&str>> = texts
            .iter()
            .zip(&spans)
            .map(|(t, s)| s.iter().map(|w| &t[w.start..w.end]).collect())
            .collect();
        let tagged = self.tag_sequences(&words, priority)?;
        Ok(tagged
            .iter()
            .zip(&spans)
            .map(|(words, spans)| {
                tag_runs(words.iter().map(|(tag, _)| *tag))
                    .into_iter()
                    .map(|run| TextEntity {
                        start: spans[run.start].start,
                        end: spans[run.end - 1].end,
                        entity_type: run.entity_type,
                        score: words[run.start..run.end]
                            .iter()
                            .map(|(_, c)| *c)
                            .fold(1.0, f32::min),
                    })
                    .collect()
            })
            .collect())
    }
}
