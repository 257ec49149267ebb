//! What runs on each sentence after the model: the mention rules ([`crate::boundaries`]), then
//! recall recovery ([`crate::recovery`]). The analyzer runs them on text through its sentence
//! cache; `bioscope eval` runs the same passes on a token file's words and tags.

use bioscope_core::corpus::sentence_text;
use bioscope_core::decode::tag_runs;
use bioscope_core::entity::Tag;
use bioscope_core::EntityType;
use bioscope_lexicon::Lexicon;
use bioscope_tagger::TextEntity;

use crate::{boundaries, recovery};

/// Which passes run on each sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentencePasses {
    /// The mention rules of [`crate::boundaries`]: boundaries mended, and (with a lexicon)
    /// coordinations joined, ordinary words and unsure mentions it cannot name dropped.
    pub mention_rules: bool,
    /// Add the lexicon's precise names the model missed (needs a lexicon).
    pub recovery: bool,
}

impl SentencePasses {
    /// Every pass: what users get.
    pub const ALL: SentencePasses = SentencePasses {
        mention_rules: true,
        recovery: true,
    };
    /// The model's mentions as they are.
    pub const NONE: SentencePasses = SentencePasses {
        mention_rules: false,
        recovery: false,
    };

    /// Names the passes in cache keys, so results cached under other passes are not reused.
    pub fn fingerprint(self, lexicon: Option<&Lexicon>) -> String {
        let mut key = String::new();
        if self.mention_rules {
            key.push_str(boundaries::RULES);
        }
        if let Some(lexicon) = lexicon.filter(|_| self.recovery || self.mention_rules) {
            key.push_str(&lexicon.fingerprint());
        }
        key
    }

    /// One sentence's model entities (offsets into `sentence`, in order) after the passes.
    pub fn on_text(
        self,
        lexicon: Option<&Lexicon>,
        types: &[EntityType],
        sentence: &str,
        entities: Vec<TextEntity>,
    ) -> Vec<TextEntity> {
        let entities = match (self.mention_rules, lexicon) {
            (false, _) => entities,
            (true, None) => boundaries::mend(sentence, entities),
            (true, Some(lexicon)) => {
                let mended = boundaries::mend(sentence, entities);
                let joined = boundaries::join_coordinated(lexicon, sentence, mended);
                let trimmed = boundaries::trim_specimen_words(lexicon, sentence, joined);
                let named = boundaries::drop_unknown_words(lexicon, sentence, trimmed);
                boundaries::drop_unsure_unknown(lexicon, sentence, named)
            }
        };
        match lexicon.filter(|_| self.recovery) {
            Some(lexicon) => recovery::beside_model(lexicon, types, sentence, entities),
            None => entities,
        }
    }

    /// The same passes over a token file's sentence: its words joined by single spaces stand
    /// for its text, a mention's score is the lowest of its words' `confidences` (one per
    /// word, as in `Tagger::tag_texts`), and the tags are rewritten from the result.
    pub fn on_words(
        self,
        lexicon: Option<&Lexicon>,
        types: &[EntityType],
        words: &[String],
        confidences: &[f32],
        tags: &mut [Tag],
    ) {
        let (text, spans) = sentence_text(words);
        let entities: Vec<TextEntity> = tag_runs(tags.iter().copied())
            .into_iter()
            .map(|run| TextEntity {
                start: spans[run.start].0,
                end: spans[run.end - 1].1,
                entity_type: run.entity_type,
                score: confidences[run.start..run.end]
                    .iter()
                    .copied()
                    .fold(1.0, f32::min),
            })
            .collect();
        let entities = self.on_text(lexicon, types, &text, entities);
        tags.fill(Tag::Outside);
        for e in entities {
            // A mention covers the words inside it (a boundary inside a word cannot be
            // written as tags: that word is left out).
            let mut first = true;
            for (span, tag) in spans.iter().zip(tags.iter_mut()) {
                if e.start <= span.0 && span.1 <= e.end {
                    *tag = if first {
                        Tag::Begin(e.entity_type)
                    } else {
                        Tag::Inside(e.entity_type)
                    };
                    first = false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_on_words_rewrite_the_tags() {
        use bioscope_core::entity::built_in::*;
        let words: Vec<String> = "the HepG2 cells and a disorder of copper metabolism"
            .split(' ')
            .map(String::from)
            .collect();
        let mut tags = vec![
            Tag::Begin(CellLine),
            Tag::Inside(CellLine),
            Tag::Inside(CellLine),
            Tag::Outside,
            Tag::Outside,
            Tag::Begin(Disease),
            Tag::Inside(Disease),
            Tag::Begin(Disease),
            Tag::Inside(Disease),
        ];
        let before = tags.clone();
        let sure = vec![0.9; words.len()];
        SentencePasses::NONE.on_words(None, &[CellLine, Disease], &words, &sure, &mut tags);
        assert_eq!(tags, before);
        SentencePasses::ALL.on_words(None, &[CellLine, Disease], &words, &sure, &mut tags);
        assert_eq!(
            tags,
            [
                Tag::Outside,
                Tag::Begin(CellLine),
                Tag::Outside,
                Tag::Outside,
                Tag::Outside,
                Tag::Begin(Disease),
                Tag::Inside(Disease),
                Tag::Inside(Disease),
                Tag::Inside(Disease),
            ]
        );
        // The words' confidences are the mentions' scores: an unsure phrase with "of" goes.
        let mut unsure = sure.clone();
        unsure[6] = 0.5;
        let mut tags = before;
        SentencePasses::ALL.on_words(None, &[CellLine, Disease], &words, &unsure, &mut tags);
        assert_eq!(tags[5..], [Tag::Outside; 4]);
        assert_eq!(tags[1], Tag::Begin(CellLine));
    }
}
