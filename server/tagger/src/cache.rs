//! The result cache: a sentence whose text, model and settings are unchanged is not run through
//! the model again.
//!
//! Documents are segmented into paragraphs (non-prose masked) and paragraphs into sentences;
//! the sentence is the model's unit, as in training: each is tagged on its own, so an edit
//! re-runs only the sentence it touched, and a cached result is what a fresh run would give.
//! Results are stored relative to the sentence, so text that moved is reused as is; callers
//! get paragraph- or document-relative offsets. The cache is bounded (least recently used
//! sentences are evicted).
//!
//! With a lexicon ([`CachedTagger::with_recovery`]), each sentence also gets the lexicon's
//! precise matches that the model missed (`bioscope_lexicon::recover`), cached with it.
//! Abbreviations are then made consistent across the paragraphs of each answer
//! ([`crate::consistency`]); that depends on the whole document and is not cached.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bioscope_core::corpus::{split_sentences, split_words};
use bioscope_core::hash::Hasher;
use bioscope_core::segment::{segment, DocFormat, Paragraph};
use bioscope_lexicon::recover::{recover, word_spans, Strictness};
use bioscope_lexicon::Lexicon;
use lru::LruCache;

use crate::consistency::{harmonize, Consistency};
use crate::onnx::Priority;
use crate::tagger::{Tagger, TaggerError, TextEntity};

/// The confidence given to a mention that the lexicon recovered (the model had none for it).
pub const RECOVERED_SCORE: f32 = 0.75;

/// Counters for tests, benchmarks and the status command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    /// Sentences that went through the model.
    pub misses: usize,
    pub entries: usize,
}

/// A paragraph's byte range, its prose (masked bytes as spaces) and its entities, in document
/// offsets.
#[derive(Clone, Debug)]
pub struct TaggedParagraph {
    pub range: Range<usize>,
    pub prose: String,
    pub entities: Vec<TextEntity>,
}

/// A tagger with a bounded per-sentence result cache.
pub struct CachedTagger {
    tagger: Tagger,
    /// Part of every key: what, besides the text, changes results (model hash, settings).
    key_prefix: String,
    cache: Mutex<LruCache<String, Arc<Vec<TextEntity>>>>,
    /// The lexicon for recall recovery, if any.
    recovery: Option<Arc<Lexicon>>,
    /// The document-level rules applied to every answer (not cached: they depend on the
    /// whole document).
    consistency: Consistency,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

impl CachedTagger {
    /// `capacity` sentences at most (at least one); `settings` names any option that changes
    /// results, so that changing it misses the cache.
    /// Adds the lexicon's precise matches that the model misses to every sentence (they carry
    /// the confidence [`RECOVERED_SCORE`]); results cached before are not reused.
    pub fn with_recovery(mut self, lexicon: Arc<Lexicon>) -> Self {
        self.key_prefix.push_str(&lexicon.fingerprint());
        self.key_prefix.push('\u{0}');
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.recovery = Some(lexicon);
        self
    }

    /// `entities` of one sentence, with the lexicon's recovered mentions added.
    fn with_recovered(&self, prose: &str, mut entities: Vec<TextEntity>) -> Vec<TextEntity> {
        let Some(lexicon) = &self.recovery else {
            return entities;
        };
        let taken: Vec<Range<usize>> = entities.iter().map(|e| e.start..e.end).collect();
        let types = self.tagger.bundle.scheme.types();
        let words = word_spans(prose);
        for found in recover(
            lexicon,
            prose,
            &words,
            &taken,
            types,
            Strictness::BesideModel,
        ) {
            entities.push(TextEntity {
                start: found.range.start,
                end: found.range.end,
                entity_type: found.entity_type,
                score: RECOVERED_SCORE,
            });
        }
        entities.sort_by_key(|e| e.start);
        entities
    }

    pub fn new(tagger: Tagger, capacity: usize, settings: &str) -> Self {
        let key_prefix = format!(
            "{}\u{0}{settings}\u{0}",
            tagger.bundle.manifest.model_sha256
        );
        CachedTagger {
            tagger,
            key_prefix,
            cache: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN),
            )),
            recovery: None,
            consistency: Consistency::default(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// Chooses the document-level consistency rules (all of them by default).
    pub fn with_consistency(mut self, rules: Consistency) -> Self {
        self.consistency = rules;
        self
    }

    pub fn tagger(&self) -> &Tagger {
        &self.tagger
    }

    fn key(&self, prose: &str) -> String {
        let mut h = Hasher::default();
        h.update(self.key_prefix.as_bytes())
            .update(prose.as_bytes());
        h.finish_hex()
    }

    /// Entities of each paragraph's prose (offsets into it), sentence by sentence from the
    /// cache where possible; the missing sentences are tagged in one batch.
    pub fn tag_paragraphs(&self, proses: &[&str]) -> Result<Vec<Vec<TextEntity>>, TaggerError> {
        self.tag_paragraphs_at(proses, Priority::Interactive)
    }

    /// [`tag_paragraphs`](Self::tag_paragraphs) with the priority of its model batches.
    pub fn tag_paragraphs_at(
        &self,
        proses: &[&str],
        priority: Priority,
    ) -> Result<Vec<Vec<TextEntity>>, TaggerError> {
        let whole: Vec<Range<usize>> = proses.iter().map(|p| 0..p.len()).collect();
        self.tag_sentences(proses, &whole, priority)
    }

    /// Entities of the sentences of each paragraph's prose that overlap its window (offsets
    /// into the prose; `windows[i]` is relative to `proses[i]`).
    fn tag_sentences(
        &self,
        proses: &[&str],
        windows: &[Range<usize>],
        priority: Priority,
    ) -> Result<Vec<Vec<TextEntity>>, TaggerError> {
        // (paragraph, sentence range in its prose) of every sentence in a window.
        let units: Vec<(usize, Range<usize>)> = proses
            .iter()
            .zip(windows)
            .enumerate()
            .flat_map(|(i, (prose, window))| {
                sentence_ranges(prose)
                    .into_iter()
                    .filter(|r| r.start <= window.end && window.start <= r.end)
                    .map(move |r| (i, r))
            })
            .collect();
        let texts: Vec<&str> = units.iter().map(|(i, r)| &proses[*i][r.clone()]).collect();
        let keys: Vec<String> = texts.iter().map(|t| self.key(t)).collect();
        let mut found: Vec<Option<Arc<Vec<TextEntity>>>> = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter().map(|k| cache.get(k).cloned()).collect()
        };
        let missing: Vec<usize> = (0..units.len()).filter(|&i| found[i].is_none()).collect();
        self.hits
            .fetch_add(units.len() - missing.len(), Ordering::Relaxed);
        self.misses.fetch_add(missing.len(), Ordering::Relaxed);
        if !missing.is_empty() {
            let missing_texts: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let tagged = self.tagger.tag_texts_at(&missing_texts, priority)?;
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            for (&i, entities) in missing.iter().zip(tagged) {
                let entities = Arc::new(self.with_recovered(texts[i], entities));
                cache.put(keys[i].clone(), entities.clone());
                found[i] = Some(entities);
            }
        }
        let mut out: Vec<Vec<TextEntity>> = vec![Vec::new(); proses.len()];
        for ((paragraph, range), entities) in units.iter().zip(found) {
            out[*paragraph].extend(entities.unwrap_or_default().iter().map(|e| TextEntity {
                start: range.start + e.start,
                end: range.start + e.end,
                ..e.clone()
            }));
        }
        Ok(out)
    }

    /// Entities of a whole document in byte offsets of the document: segmented into paragraphs
    /// (non-prose masked), each paragraph from the cache or the model.
    pub fn tag_document(
        &self,
        text: &str,
        format: DocFormat,
    ) -> Result<Vec<TextEntity>, TaggerError> {
        self.tag_document_range(text, format, 0..text.len(), Priority::Background)
    }

    /// Like [`tag_document`](Self::tag_document), but only the paragraphs that overlap the byte
    /// range `within` (e.g. what an editor shows), so that a large file answers quickly; the
    /// paragraphs tagged here are cached for the rest of the document.
    pub fn tag_document_range(
        &self,
        text: &str,
        format: DocFormat,
        within: Range<usize>,
        priority: Priority,
    ) -> Result<Vec<TextEntity>, TaggerError> {
        Ok(self
            .tag_paragraphs_in(text, format, within, priority)?
            .into_iter()
            .flat_map(|p| p.entities)
            .collect())
    }

    /// The paragraphs of `text` that overlap `within`, each with its prose and the entities of
    /// its sentences that overlap `within` (in document offsets), made consistent across those
    /// paragraphs ([`harmonize`]): a visible range costs only the sentences on screen. An
    /// entity that runs over masked content (math, code) is cut before it
    /// ([`Paragraph::content_break`]).
    pub fn tag_paragraphs_in(
        &self,
        text: &str,
        format: DocFormat,
        within: Range<usize>,
        priority: Priority,
    ) -> Result<Vec<TaggedParagraph>, TaggerError> {
        // Background work waits here, before segmenting and hashing a whole document, while
        // interactive work is under way; interactive work holds background batches back from now.
        let _interactive = self.tagger.model().interactive(priority);
        let paragraphs: Vec<Paragraph> = segment(text, format)
            .into_iter()
            .filter(|p| p.range.start <= within.end && within.start <= p.range.end)
            .collect();
        let prose: Vec<String> = paragraphs.iter().map(|p| p.prose(text)).collect();
        let proses: Vec<&str> = prose.iter().map(String::as_str).collect();
        let windows: Vec<Range<usize>> = paragraphs
            .iter()
            .map(|p| {
                within.start.saturating_sub(p.range.start)..within.end.saturating_sub(p.range.start)
            })
            .collect();
        let found = self.tag_sentences(&proses, &windows, priority)?;
        let mut out = Vec::with_capacity(paragraphs.len());
        for ((p, prose), found) in paragraphs.iter().zip(prose).zip(found) {
            let shift = p.range.start;
            let mut entities = Vec::with_capacity(found.len());
            for e in found.iter() {
                let (start, mut end) = (shift + e.start, shift + e.end);
                // Words on both sides of hidden math or code are not one mention.
                if let Some(cut) = p.content_break(text, start, end) {
                    end = start + text[start..cut].trim_end().len();
                    if end == start {
                        continue;
                    }
                }
                entities.push(TextEntity {
                    start,
                    end,
                    ..e.clone()
                });
            }
            out.push(TaggedParagraph {
                range: p.range.clone(),
                prose,
                entities,
            });
        }
        harmonize(&mut out, within, self.consistency);
        Ok(out)
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.cache.lock().unwrap_or_else(|e| e.into_inner()).len(),
        }
    }
}

/// The sentences of a paragraph's prose, as byte ranges from a sentence's first word to its
/// last (the model's unit).
fn sentence_ranges(prose: &str) -> Vec<Range<usize>> {
    let words = split_words(prose);
    split_sentences(prose, &words)
        .into_iter()
        .map(|(first, end)| words[first].start..words[end - 1].end)
        .collect()
}
