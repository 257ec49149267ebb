//! The result cache: a sentence whose text, model and settings are unchanged is not run through
//! the model again.
//!
//! The sentence is the model's unit, as in training: each is tagged on its own, so an edit
//! re-runs only the sentence it touched, and a cached result is what a fresh run would give.
//! Callers pass paragraphs' prose (segmentation is `bioscope-analysis`'s); results are stored
//! relative to the sentence, so text that moved is reused as is, and returned relative to the
//! paragraph. The cache is bounded (least recently used sentences are evicted).
//!
//! A [`SentencePass`] (recall recovery, given by `bioscope-analysis`) runs on each sentence's
//! entities when they are computed and is cached with them.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bioscope_core::corpus::{split_sentences, split_words};
use bioscope_core::hash::Hasher;
use lru::LruCache;

use crate::error::TaggerError;
use crate::onnx::{InteractiveWork, Priority};
use crate::tagger::{Tagger, TextEntity};

/// Counters for tests, benchmarks and the status command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    /// Sentences that went through the model.
    pub misses: usize,
    pub entries: usize,
}

/// Work on one sentence's entities (offsets into the sentence's text) done once, when the
/// model tags it, and cached with its result.
pub type SentencePass = Arc<dyn Fn(&str, Vec<TextEntity>) -> Vec<TextEntity> + Send + Sync>;

/// A tagger with a bounded per-sentence result cache.
pub struct CachedTagger {
    tagger: Tagger,
    /// Part of every key: what, besides the text, changes results (model hash, settings).
    key_prefix: String,
    cache: Mutex<LruCache<String, Arc<Vec<TextEntity>>>>,
    pass: Option<SentencePass>,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

impl CachedTagger {
    /// `capacity` sentences at most (at least one); `settings` names any option that changes
    /// results, so that changing it misses the cache.
    pub fn new(tagger: Tagger, capacity: usize, settings: &str) -> Self {
        let key_prefix = format!(
            "{}\u{0}{}\u{0}{settings}\u{0}",
            tagger.bundle.manifest.model_sha256,
            tagger.feature_fingerprint()
        );
        CachedTagger {
            tagger,
            key_prefix,
            cache: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN),
            )),
            pass: None,
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// Runs `pass` on every sentence the model tags from now on; `fingerprint` identifies what
    /// the pass depends on (e.g. a lexicon's hash), so results cached before are not reused.
    pub fn with_sentence_pass(mut self, fingerprint: &str, pass: SentencePass) -> Self {
        self.key_prefix.push_str(fingerprint);
        self.key_prefix.push('\u{0}');
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.pass = Some(pass);
        self
    }

    pub fn tagger(&self) -> &Tagger {
        &self.tagger
    }

    /// Marks interactive work under way (see [`crate::OnnxModel::interactive`]): background
    /// callers wait here while interactive work runs, before they segment or hash a document.
    pub fn interactive(&self, priority: Priority) -> InteractiveWork<'_> {
        self.tagger.model().interactive(priority)
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
        let whole: Vec<Range<usize>> = proses.iter().map(|p| 0..p.len()).collect();
        self.tag_sentences(proses, &whole, Priority::Interactive)
    }

    /// Entities of the sentences of each paragraph's prose that overlap its window (offsets
    /// into the prose; `windows[i]` is relative to `proses[i]`), with `priority` for the
    /// model batches of the sentences not in the cache.
    pub fn tag_sentences(
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
                let entities = match &self.pass {
                    Some(pass) => pass(texts[i], entities),
                    None => entities,
                };
                let entities = Arc::new(entities);
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
