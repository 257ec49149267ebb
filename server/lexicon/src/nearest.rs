//! The annotated mention most similar to a mention that matches no name: character trigram
//! TF-IDF vectors compared by cosine, over the mention texts that annotators of the training
//! splits normalized (the lexicon's annotated section). It carries the annotators'
//! conventions to wordings no vocabulary lists ("decreased renal function" is near "reduced
//! renal function", which they filed under Renal Insufficiency).

use std::collections::HashMap;

use bioscope_core::EntityType;

use crate::key;

/// Trigram vectors of annotated mentions, with an inverted index from trigram to mentions.
pub struct MentionIndex {
    mentions: Vec<(EntityType, String)>,
    /// trigram → (mention index, weight in that mention's unit vector)
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// trigram → inverse document frequency
    idf: HashMap<String, f32>,
    /// The weight of a trigram no mention has.
    unseen_idf: f32,
}

/// The folded words of a text joined by spaces, padded: word starts and ends make trigrams too.
fn padded(text: &str) -> Vec<char> {
    format!(" {} ", key::words(text).join(" "))
        .chars()
        .collect()
}

fn trigrams(text: &str) -> HashMap<String, f32> {
    let chars = padded(text);
    let mut counts: HashMap<String, f32> = HashMap::new();
    for window in chars.windows(3) {
        *counts.entry(window.iter().collect()).or_default() += 1.0;
    }
    counts
}

/// Scales a vector to unit length (a zero vector stays zero).
fn unit(vector: &mut HashMap<String, f32>) {
    let norm = vector.values().map(|w| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.values_mut().for_each(|w| *w /= norm);
    }
}

/// Smoothed inverse document frequency: every trigram weighs at least 1.
fn smooth_idf(mentions: f32, document_frequency: f32) -> f32 {
    ((1.0 + mentions) / (1.0 + document_frequency)).ln() + 1.0
}

impl MentionIndex {
    /// Indexes the section's lines (`Type<TAB>text`); lines of unknown types are skipped.
    pub fn from_lines(text: &str) -> MentionIndex {
        let mentions: Vec<(EntityType, String)> = text
            .lines()
            .filter_map(|line| {
                let (entity_type, mention) = line.split_once('\t')?;
                Some((entity_type.parse().ok()?, mention.to_string()))
            })
            .collect();
        let vectors: Vec<HashMap<String, f32>> =
            mentions.iter().map(|(_, text)| trigrams(text)).collect();
        let mut document_frequency: HashMap<&str, u32> = HashMap::new();
        for vector in &vectors {
            for gram in vector.keys() {
                *document_frequency.entry(gram).or_default() += 1;
            }
        }
        let n = mentions.len().max(1) as f32;
        let idf: HashMap<String, f32> = document_frequency
            .into_iter()
            .map(|(gram, df)| (gram.to_string(), smooth_idf(n, df as f32)))
            .collect();
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        for (index, mut vector) in vectors.into_iter().enumerate() {
            for (gram, weight) in vector.iter_mut() {
                *weight *= idf.get(gram).copied().unwrap_or(1.0);
            }
            unit(&mut vector);
            for (gram, weight) in vector {
                if weight > 0.0 {
                    postings
                        .entry(gram)
                        .or_default()
                        .push((index as u32, weight));
                }
            }
        }
        MentionIndex {
            mentions,
            postings,
            idf,
            unseen_idf: smooth_idf(n, 0.0),
        }
    }

    pub fn len(&self) -> usize {
        self.mentions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mentions.is_empty()
    }

    /// The annotated mention of `entity_type` most similar to `text`, with its cosine
    /// similarity, if it reaches `min_similarity` (ties go to the earlier mention).
    pub fn nearest(
        &self,
        text: &str,
        entity_type: EntityType,
        min_similarity: f32,
    ) -> Option<(&str, f32)> {
        let mut query = trigrams(text);
        for (gram, weight) in query.iter_mut() {
            *weight *= self.idf.get(gram).copied().unwrap_or(self.unseen_idf);
        }
        unit(&mut query);
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for (gram, weight) in &query {
            for &(index, other) in self.postings.get(gram).into_iter().flatten() {
                if self.mentions[index as usize].0 == entity_type {
                    *scores.entry(index).or_default() += weight * other;
                }
            }
        }
        let (index, score) = scores
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
        (score >= min_similarity).then(|| (self.mentions[index as usize].1.as_str(), score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_most_similar_mention_of_the_type() {
        let index = MentionIndex::from_lines(
            "Disease\treduced renal function\nDisease\tbreast cancer\nChemical\trenal function\n\
             Disease\tcardiac arrest\nbad line\nVehicle\tcar\n",
        );
        assert_eq!(index.len(), 4);
        let (found, score) = index
            .nearest("decreased renal function", EntityType::Disease, 0.3)
            .expect("a neighbour");
        assert_eq!(found, "reduced renal function");
        assert!(score < 1.0);
        // Identical text: similarity 1.
        let (_, score) = index
            .nearest("Breast cancer", EntityType::Disease, 0.3)
            .expect("itself");
        assert!((score - 1.0).abs() < 1e-5);
        // Nothing close enough, or nothing of the type.
        assert_eq!(index.nearest("zebrafish", EntityType::Disease, 0.3), None);
        assert_eq!(index.nearest("breast cancer", EntityType::Gene, 0.0), None);
    }
}
