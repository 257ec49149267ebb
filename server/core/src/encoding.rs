//! Word-piece encoding of word sequences into model windows, and the mapping between word tags
//! and piece tags that training and decoding share.
//!
//! Every piece carries a label: the first piece of a word takes the word's tag, later pieces of
//! an entity word take `I-T`, pieces of other words `O`, and `[CLS]`/`[SEP]` take `O`. A word's
//! predicted tag is the tag of its first piece.

use std::path::Path;

use tokenizers::{EncodeInput, InputSequence, Tokenizer};

use crate::entity::Tag;

/// Pieces of context that inference windows see on each side of the words they keep, when a
/// sequence is longer than one window (the tagger and the trainer's evaluation share it).
pub const WINDOW_CONTEXT: usize = 32;

/// Errors from loading a tokenizer or encoding text.
#[derive(Debug, thiserror::Error)]
pub enum EncodingError {
    #[error("cannot load tokenizer {path}: {message}")]
    Load { path: String, message: String },
    #[error("tokenizer has no `{0}` token: a BERT WordPiece tokenizer.json is needed")]
    MissingSpecial(&'static str),
    #[error("tokenizer failed: {0}")]
    Encode(String),
}

/// One model input: piece ids with `[CLS]` and `[SEP]`, and for each piece the word it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub ids: Vec<u32>,
    /// For each piece, the index of its word in the encoded word list (`None` for specials).
    pub piece_word: Vec<Option<usize>>,
    /// The words `[first_word, end_word)` this window covers.
    pub first_word: usize,
    pub end_word: usize,
    /// The words `[keep_first, keep_end)` whose tags this window decides; the covered words
    /// around them are context (see [`WordPieceEncoder::encode_words_with_context`]).
    pub keep_first: usize,
    pub keep_end: usize,
}

impl Window {
    /// Piece tags for training, derived from the tags of all encoded words.
    pub fn piece_tags(&self, word_tags: &[Tag]) -> Vec<Tag> {
        self.spread(word_tags, Tag::Outside, |tag| match tag {
            Tag::Begin(t) | Tag::Inside(t) => Tag::Inside(t),
            Tag::Outside => Tag::Outside,
        })
    }

    /// A value per piece from a value per encoded word: the word's own on its first piece,
    /// `later` of it on its other pieces, `special` on `[CLS]` and `[SEP]`.
    pub fn spread<T: Copy>(&self, per_word: &[T], special: T, later: impl Fn(T) -> T) -> Vec<T> {
        let mut prev_word = None;
        self.piece_word
            .iter()
            .map(|&w| {
                let value = match w {
                    None => special,
                    Some(w) if prev_word == Some(w) => later(per_word[w]),
                    Some(w) => per_word[w],
                };
                prev_word = w;
                value
            })
            .collect()
    }

    /// The kept words' range within the covered words.
    pub fn kept_in_window(&self) -> std::ops::Range<usize> {
        self.keep_first - self.first_word..self.keep_end - self.first_word
    }

    /// Word tags read off the first piece of each word; words with no piece get `O`.
    pub fn word_tags(&self, piece_tags: &[Tag]) -> Vec<Tag> {
        let mut out = vec![Tag::Outside; self.end_word - self.first_word];
        let mut prev_word = None;
        for (&w, &tag) in self.piece_word.iter().zip(piece_tags) {
            if let Some(w) = w {
                if prev_word != Some(w) {
                    out[w - self.first_word] = tag;
                }
            }
            prev_word = w;
        }
        out
    }
}

/// A WordPiece tokenizer with padding and truncation turned off.
#[derive(Clone)]
pub struct WordPieceEncoder {
    tokenizer: Tokenizer,
    cls: u32,
    sep: u32,
    unknown: Option<u32>,
}

impl WordPieceEncoder {
    pub fn from_file(path: &Path) -> Result<Self, EncodingError> {
        let tokenizer = Tokenizer::from_file(path).map_err(|e| EncodingError::Load {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::new(tokenizer)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let tokenizer = Tokenizer::from_bytes(bytes).map_err(|e| EncodingError::Load {
            path: "<memory>".into(),
            message: e.to_string(),
        })?;
        Self::new(tokenizer)
    }

    fn new(mut tokenizer: Tokenizer) -> Result<Self, EncodingError> {
        // sentence-transformers tokenizers bake in padding and truncation to 128: both off.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| EncodingError::Encode(e.to_string()))?;
        let cls = tokenizer
            .token_to_id("[CLS]")
            .ok_or(EncodingError::MissingSpecial("[CLS]"))?;
        let sep = tokenizer
            .token_to_id("[SEP]")
            .ok_or(EncodingError::MissingSpecial("[SEP]"))?;
        let unknown = tokenizer.token_to_id("[UNK]");
        Ok(WordPieceEncoder {
            tokenizer,
            cls,
            sep,
            unknown,
        })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The `[UNK]` piece's id, if the vocabulary has one.
    pub fn unknown_piece(&self) -> Option<u32> {
        self.unknown
    }

    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// Piece ids of a short text (a name or mention) between `[CLS]` and `[SEP]`, cut to at
    /// most `max_len` pieces with the final `[SEP]` kept: the name ranker's input, the same
    /// in training and at run time.
    pub fn encode_text(&self, text: &str, max_len: usize) -> Result<Vec<u32>, EncodingError> {
        let pieces = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| EncodingError::Encode(format!("{text:?}: {e}")))?;
        let room = max_len.saturating_sub(2);
        let mut ids = Vec::with_capacity(pieces.len().min(room) + 2);
        ids.push(self.cls);
        ids.extend(pieces.get_ids().iter().take(room));
        ids.push(self.sep);
        Ok(ids)
    }

    /// Encodes pre-split words into consecutive windows of at most `max_len` pieces
    /// (specials included), breaking only between words. A single word longer than a window
    /// keeps only its first pieces.
    pub fn encode_words<S: AsRef<str>>(
        &self,
        words: &[S],
        max_len: usize,
    ) -> Result<Vec<Window>, EncodingError> {
        self.encode_words_with_context(words, max_len, 0)
    }

    /// Like [`encode_words`](Self::encode_words), but a sequence longer than one window is cut
    /// into overlapping windows: each keeps a run of words and sees up to `context` pieces
    /// (at most a quarter of the window) of the neighbouring words on each side, so no kept
    /// word sits at a window's edge unless the sequence starts or ends there. Every word is
    /// kept by exactly one window, in order.
    pub fn encode_words_with_context<S: AsRef<str>>(
        &self,
        words: &[S],
        max_len: usize,
        context: usize,
    ) -> Result<Vec<Window>, EncodingError> {
        assert!(
            max_len >= 3,
            "a window needs room for [CLS], one piece and [SEP]"
        );
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let seq: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        let input = EncodeInput::Single(InputSequence::from(seq));
        let enc = self
            .tokenizer
            .encode(input, false)
            .map_err(|e| EncodingError::Encode(e.to_string()))?;
        // Pieces of each word, in order.
        let mut word_pieces: Vec<Vec<u32>> = vec![Vec::new(); words.len()];
        for (&id, w) in enc.get_ids().iter().zip(enc.get_word_ids()) {
            if let Some(w) = w {
                word_pieces[*w as usize].push(id);
            }
        }
        let budget = max_len - 2;
        let context = context.min(budget / 4);
        let n = words.len();
        let len = |w: usize| word_pieces[w].len().min(budget);
        // Pieces from word `w` to the end.
        let mut rest = vec![0; n + 1];
        for w in (0..n).rev() {
            rest[w] = rest[w + 1] + len(w);
        }
        let mut windows = Vec::new();
        let mut keep_first = 0;
        while keep_first < n {
            let mut first = keep_first;
            let mut used = 0;
            while first > 0 && used + len(first - 1) <= context {
                first -= 1;
                used += len(first);
            }
            if used + len(keep_first) > budget {
                (first, used) = (keep_first, 0);
            }
            // Own everything left if it fits; otherwise leave room for context on the right.
            let limit = if used + rest[keep_first] <= budget {
                budget
            } else {
                budget - context
            };
            let mut end = keep_first;
            while end < n && (end == keep_first || used + len(end) <= limit) {
                used += len(end);
                end += 1;
            }
            let keep_end = end;
            let mut right = 0;
            while end < n && right + len(end) <= context && used + len(end) <= budget {
                right += len(end);
                used += len(end);
                end += 1;
            }
            let mut window = self.open_window(first);
            for (w, pieces) in word_pieces.iter().enumerate().take(end).skip(first) {
                for &id in pieces.iter().take(budget) {
                    window.ids.push(id);
                    window.piece_word.push(Some(w));
                }
            }
            window.keep_first = keep_first;
            window.keep_end = keep_end;
            windows.push(self.close_window(window, end));
            keep_first = keep_end;
        }
        Ok(windows)
    }

    fn open_window(&self, first_word: usize) -> Window {
        Window {
            ids: vec![self.cls],
            piece_word: vec![None],
            first_word,
            end_word: first_word,
            keep_first: first_word,
            keep_end: first_word,
        }
    }

    fn close_window(&self, mut window: Window, end_word: usize) -> Window {
        window.ids.push(self.sep);
        window.piece_word.push(None);
        window.end_word = end_word;
        window
    }
}

/// Groups sequences into batches of similar length holding at most `max_tokens` padded pieces
/// (a longer sequence gets a batch of its own). With a seed, equal lengths tie-break randomly
/// and the batch order is shuffled; without one, batches come in length order.
pub fn plan_batches(lengths: &[usize], max_tokens: usize, seed: Option<u64>) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    let mut rng = seed.map(SplitMix::new);
    if let Some(rng) = rng.as_mut() {
        rng.shuffle(&mut order);
    }
    order.sort_by_key(|&i| lengths[i]); // stable: shuffled ties stay shuffled
    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        // Sorted ascending, so the newest member is the longest.
        if !current.is_empty() && (current.len() + 1) * lengths[i] > max_tokens {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    if let Some(rng) = rng.as_mut() {
        rng.shuffle(&mut batches);
    }
    batches
}

/// A small seeded generator (SplitMix64), so that batch plans (and benchmark edits) repeat
/// across platforms.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::entity::EntityType;

    /// A tiny WordPiece tokenizer.json (BERT normalizer and pre-tokenizer).
    pub(crate) const TINY_TOKENIZER: &str = r###"{
      "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
      "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
      "pre_tokenizer": {"type": "BertPreTokenizer"},
      "post_processor": null, "decoder": null,
      "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
        "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "brca": 4, "##1": 5, "causes": 6, "cancer": 7, "breast": 8, "-": 9}}
    }"###;

    #[test]
    fn windows_break_between_words_and_tags_round_trip() {
        let enc = WordPieceEncoder::from_bytes(TINY_TOKENIZER.as_bytes()).unwrap();
        let words = ["BRCA1", "causes", "breast", "cancer"];
        let windows = enc.encode_words(&words, 5).unwrap();
        // [CLS] brca ##1 causes [SEP] | [CLS] breast cancer [SEP]
        assert_eq!(windows.len(), 2);
        assert_eq!(windows[0].ids, vec![2, 4, 5, 6, 3]);
        assert_eq!(windows[1].ids, vec![2, 8, 7, 3]);
        assert_eq!((windows[1].first_word, windows[1].end_word), (2, 4));

        let g = EntityType::Gene;
        let d = EntityType::Disease;
        let word_tags = [Tag::Begin(g), Tag::Outside, Tag::Begin(d), Tag::Inside(d)];
        let pieces = windows[0].piece_tags(&word_tags);
        assert_eq!(
            pieces,
            vec![
                Tag::Outside,
                Tag::Begin(g),
                Tag::Inside(g),
                Tag::Outside,
                Tag::Outside
            ]
        );
        assert_eq!(windows[0].word_tags(&pieces), word_tags[..2].to_vec());
        let pieces = windows[1].piece_tags(&word_tags);
        assert_eq!(windows[1].word_tags(&pieces), word_tags[2..].to_vec());
    }

    #[test]
    fn batches_respect_token_budget_and_cover_everything() {
        let lengths = [5, 30, 7, 12, 30, 3, 8, 64, 9];
        let batches = plan_batches(&lengths, 64, Some(3));
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort();
        assert_eq!(seen, (0..lengths.len()).collect::<Vec<_>>());
        for b in &batches {
            let longest = b.iter().map(|&i| lengths[i]).max().unwrap();
            assert!(b.len() * longest <= 64, "{b:?}");
        }
        assert_eq!(
            batches,
            plan_batches(&lengths, 64, Some(3)),
            "seeded plans repeat"
        );
        assert_ne!(
            batches,
            plan_batches(&lengths, 64, Some(4)),
            "seeds change the order"
        );
    }

    #[test]
    fn a_text_is_framed_by_specials_and_cut_keeping_the_final_sep() {
        let enc = WordPieceEncoder::from_bytes(TINY_TOKENIZER.as_bytes()).unwrap();
        assert_eq!(
            enc.encode_text("BRCA1 breast cancer", 16).unwrap(),
            vec![2, 4, 5, 8, 7, 3]
        );
        assert_eq!(
            enc.encode_text("BRCA1 breast cancer", 4).unwrap(),
            vec![2, 4, 5, 3]
        );
        assert_eq!(enc.encode_text("", 4).unwrap(), vec![2, 3]);
    }

    #[test]
    fn overlong_word_is_cut_not_dropped() {
        let enc = WordPieceEncoder::from_bytes(TINY_TOKENIZER.as_bytes()).unwrap();
        let windows = enc.encode_words(&["BRCA1", "cancer"], 3).unwrap();
        assert_eq!(windows.len(), 2);
        assert_eq!(windows[0].ids, vec![2, 4, 3]);
        assert_eq!(windows[1].ids, vec![2, 7, 3]);
    }

    #[test]
    fn long_sequences_get_overlapping_windows_that_keep_each_word_once() {
        let enc = WordPieceEncoder::from_bytes(TINY_TOKENIZER.as_bytes()).unwrap();
        let pattern = ["BRCA1", "causes", "breast", "cancer", "-"];
        let words: Vec<&str> = pattern.iter().cycle().take(40).copied().collect();
        let pieces = |w: &str| if w == "BRCA1" { 2 } else { 1 };
        let (max_len, context) = (14, 3);
        let windows = enc
            .encode_words_with_context(&words, max_len, context)
            .unwrap();
        assert!(windows.len() > 4);
        let mut next = 0;
        for w in &windows {
            assert!(w.ids.len() <= max_len);
            assert_eq!(w.keep_first, next, "kept runs tile the sequence in order");
            assert!(w.keep_first < w.keep_end);
            next = w.keep_end;
            let left: usize = words[w.first_word..w.keep_first]
                .iter()
                .map(|w| pieces(w))
                .sum();
            let right: usize = words[w.keep_end..w.end_word]
                .iter()
                .map(|w| pieces(w))
                .sum();
            assert!(left <= context && right <= context, "{left} {right}");
            if w.keep_first > 0 {
                assert!(w.first_word < w.keep_first, "context before {w:?}");
            }
            if w.keep_end < words.len() {
                assert!(w.end_word > w.keep_end, "context after {w:?}");
            }
            // Pieces are those of the covered words.
            let covered: usize = words[w.first_word..w.end_word]
                .iter()
                .map(|w| pieces(w))
                .sum();
            assert_eq!(w.ids.len(), covered + 2);
        }
        assert_eq!(next, words.len());

        // Without context the windows are the plain consecutive ones.
        assert_eq!(
            enc.encode_words_with_context(&words, max_len, 0).unwrap(),
            enc.encode_words(&words, max_len).unwrap()
        );
        // A sequence that fits is one window keeping everything.
        let short = enc
            .encode_words_with_context(&words[..5], max_len, context)
            .unwrap();
        assert_eq!(short.len(), 1);
        assert_eq!((short[0].keep_first, short[0].keep_end), (0, 5));
        assert_eq!((short[0].first_word, short[0].end_word), (0, 5));
    }
}
