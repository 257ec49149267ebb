//! Decoding per-token scores into BIO tags and entity spans.
//!
//! The trainer (candle) and the tagger (ONNX Runtime) both call [`viterbi`], so a bundle decodes
//! the same way wherever it runs. Decoding is constrained to well-formed BIO: `I-T` only follows
//! `B-T` or `I-T`. Without a CRF the transition scores are zero and only the constraint applies.

use serde::{Deserialize, Serialize};

use crate::encoding::Window;
use crate::entity::{EntityType, LabelScheme, Tag};

/// Learned linear-chain CRF scores: `transitions[from][to]`, plus start and end scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrfTransitions {
    pub start: Vec<f32>,
    pub end: Vec<f32>,
    pub transitions: Vec<Vec<f32>>,
}

impl CrfTransitions {
    /// All-zero scores: decoding is then the best BIO-valid path through the emissions alone.
    pub fn zeros(num_labels: usize) -> Self {
        CrfTransitions {
            start: vec![0.0; num_labels],
            end: vec![0.0; num_labels],
            transitions: vec![vec![0.0; num_labels]; num_labels],
        }
    }

    pub fn num_labels(&self) -> usize {
        self.start.len()
    }

    /// Whether every vector and row has `num_labels` entries.
    pub fn is_shaped_for(&self, num_labels: usize) -> bool {
        self.start.len() == num_labels
            && self.end.len() == num_labels
            && self.transitions.len() == num_labels
            && self.transitions.iter().all(|row| row.len() == num_labels)
    }
}

/// The highest-scoring BIO-valid label path for `emissions` (`len` rows of `num_labels` scores).
///
/// Returns label indices into `scheme`. An empty input gives an empty path.
pub fn viterbi(emissions: &[f32], scheme: &LabelScheme, crf: &CrfTransitions) -> Vec<usize> {
    let n = scheme.len();
    assert_eq!(crf.num_labels(), n, "CRF and label scheme disagree");
    assert_eq!(
        emissions.len() % n,
        0,
        "emissions are not rows of num_labels"
    );
    let len = emissions.len() / n;
    if len == 0 {
        return Vec::new();
    }
    let tags = scheme.tags();
    let allowed_start: Vec<bool> = tags.iter().map(|t| t.may_follow(None)).collect();
    let allowed: Vec<Vec<bool>> = tags
        .iter()
        .map(|&from| tags.iter().map(|to| to.may_follow(Some(from))).collect())
        .collect();

    let mut score: Vec<f32> = (0..n)
        .map(|j| {
            if allowed_start[j] {
                crf.start[j] + emissions[j]
            } else {
                f32::NEG_INFINITY
            }
        })
        .collect();
    let mut back = vec![0usize; len * n];
    let mut next = vec![0f32; n];
    for t in 1..len {
        let row = &emissions[t * n..(t + 1) * n];
        for j in 0..n {
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0;
            for i in 0..n {
                if !allowed[i][j] {
                    continue;
                }
                let s = score[i] + crf.transitions[i][j];
                if s > best {
                    best = s;
                    arg = i;
                }
            }
            next[j] = best + row[j];
            back[t * n + j] = arg;
        }
        std::mem::swap(&mut score, &mut next);
    }
    let mut last = 0;
    let mut best = f32::NEG_INFINITY;
    for (j, (s, e)) in score.iter().zip(&crf.end).enumerate() {
        if s + e > best {
            best = s + e;
            last = j;
        }
    }
    let mut path = vec![0usize; len];
    path[len - 1] = last;
    for t in (1..len).rev() {
        path[t - 1] = back[t * n + path[t]];
    }
    path
}

/// Posterior probability of every label at every position under the CRF (forward–backward in
/// log space), with the BIO constraints that [`viterbi`] applies. Row-major `[len, labels]`.
pub fn marginals(emissions: &[f32], scheme: &LabelScheme, crf: &CrfTransitions) -> Vec<f32> {
    let n = scheme.len();
    let len = emissions.len() / n;
    if len == 0 {
        return Vec::new();
    }
    let tags = scheme.tags();
    let neg = f32::NEG_INFINITY;
    let trans: Vec<f32> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            if tags[j].may_follow(Some(tags[i])) {
                crf.transitions[i][j]
            } else {
                neg
            }
        })
        .collect();
    let log_sum = |values: &mut dyn Iterator<Item = f32>| -> f32 {
        let v: Vec<f32> = values.collect();
        let max = v.iter().copied().fold(neg, f32::max);
        if max == neg {
            return neg;
        }
        max + v.iter().map(|x| (x - max).exp()).sum::<f32>().ln()
    };
    let mut alpha = vec![neg; len * n];
    for j in 0..n {
        if tags[j].may_follow(None) {
            alpha[j] = crf.start[j] + emissions[j];
        }
    }
    for t in 1..len {
        for j in 0..n {
            let prev = &alpha[(t - 1) * n..t * n];
            alpha[t * n + j] =
                log_sum(&mut (0..n).map(|i| prev[i] + trans[i * n + j])) + emissions[t * n + j];
        }
    }
    let mut beta = vec![neg; len * n];
    beta[(len - 1) * n..].copy_from_slice(&crf.end);
    for t in (0..len - 1).rev() {
        for i in 0..n {
            let next = &beta[(t + 1) * n..(t + 2) * n];
            let em = &emissions[(t + 1) * n..(t + 2) * n];
            beta[t * n + i] = log_sum(&mut (0..n).map(|j| trans[i * n + j] + em[j] + next[j]));
        }
    }
    let log_z = log_sum(&mut (0..n).map(|j| alpha[(len - 1) * n + j] + crf.end[j]));
    alpha
        .iter()
        .zip(&beta)
        .map(|(a, b)| (a + b - log_z).exp())
        .collect()
}

/// Decodes one window's piece emissions and writes the tags of the words it keeps into
/// `sentence_tags` (the tags of the whole word sequence the window was cut from).
pub fn decode_window_into(
    sentence_tags: &mut [Tag],
    window: &Window,
    emissions: &[f32],
    scheme: &LabelScheme,
    crf: &CrfTransitions,
) {
    let path = viterbi(emissions, scheme, crf);
    let piece_tags: Vec<Tag> = path.into_iter().map(|i| scheme.tag(i)).collect();
    let words = window.word_tags(&piece_tags);
    sentence_tags[window.keep_first..window.keep_end]
        .copy_from_slice(&words[window.kept_in_window()]);
}

/// Decodes one window's piece emissions into `(tag, confidence)` for each word it keeps: the
/// Viterbi tag of the word's first piece and that tag's posterior probability there
/// ([`marginals`]). Words without pieces are `O` with confidence 1.
pub fn decode_window_scored(
    window: &Window,
    emissions: &[f32],
    scheme: &LabelScheme,
    crf: &CrfTransitions,
) -> Vec<(Tag, f32)> {
    let n = scheme.len();
    let path = viterbi(emissions, scheme, crf);
    let probs = marginals(emissions, scheme, crf);
    let mut out = vec![(Tag::Outside, 1.0); window.end_word - window.first_word];
    let mut prev_word = None;
    for (p, &w) in window.piece_word.iter().enumerate() {
        if let Some(w) = w {
            if prev_word != Some(w) {
                out[w - window.first_word] = (scheme.tag(path[p]), probs[p * n + path[p]]);
            }
        }
        prev_word = w;
    }
    out.drain(window.kept_in_window()).collect()
}

/// A run of positions `[start, end)` that a BIO path labels as one entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagRun {
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
}

/// Groups a BIO tag sequence into entity runs. A stray `I-T` (no `B-T` before it) starts a run.
pub fn tag_runs(tags: impl IntoIterator<Item = Tag>) -> Vec<TagRun> {
    let mut runs = Vec::new();
    let mut open: Option<TagRun> = None;
    let mut pos = 0;
    for tag in tags {
        match tag {
            Tag::Inside(t) if open.is_some_and(|r| r.entity_type == t) => {}
            Tag::Begin(t) | Tag::Inside(t) => {
                runs.extend(open.take().map(|r| TagRun { end: pos, ..r }));
                open = Some(TagRun {
                    start: pos,
                    end: pos,
                    entity_type: t,
                });
            }
            Tag::Outside => runs.extend(open.take().map(|r| TagRun { end: pos, ..r })),
        }
        pos += 1;
    }
    runs.extend(open.map(|r| TagRun { end: pos, ..r }));
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme() -> LabelScheme {
        LabelScheme::new(&[EntityType::Gene])
    }

    /// Every BIO-valid label path of `len` positions with its score, for brute-force checks.
    fn scored_paths(
        emissions: &[f32],
        scheme: &LabelScheme,
        crf: &CrfTransitions,
    ) -> Vec<(f32, Vec<usize>)> {
        let n = scheme.len();
        let len = emissions.len() / n;
        (0..n.pow(len as u32))
            .map(|code| {
                (0..len)
                    .map(|t| (code / n.pow(t as u32)) % n)
                    .collect::<Vec<_>>()
            })
            .filter(|path| {
                path.iter().enumerate().all(|(t, &j)| {
                    let prev = (t > 0).then(|| scheme.tag(path[t - 1]));
                    scheme.tag(j).may_follow(prev)
                })
            })
            .map(|path| {
                let mut s = crf.start[path[0]] + crf.end[path[len - 1]];
                for t in 0..len {
                    s += emissions[t * n + path[t]];
                    if t > 0 {
                        s += crf.transitions[path[t - 1]][path[t]];
                    }
                }
                (s, path)
            })
            .collect()
    }

    fn brute_force(emissions: &[f32], scheme: &LabelScheme, crf: &CrfTransitions) -> Vec<usize> {
        let paths = scored_paths(emissions, scheme, crf);
        let best = paths
            .iter()
            .fold(&paths[0], |b, p| if p.0 > b.0 { p } else { b });
        best.1.clone()
    }

    #[test]
    fn viterbi_matches_hand_computed_path() {
        // Labels O, B-Gene, I-Gene. Emissions alone prefer O, I, I (invalid);
        // the constraint forces B at position 1.
        let em = [2.0, 0.0, 0.0, 0.0, 1.0, 1.5, 0.0, 0.0, 3.0];
        let path = viterbi(&em, &scheme(), &CrfTransitions::zeros(3));
        assert_eq!(path, vec![0, 1, 2]);
    }

    #[test]
    fn transitions_change_the_best_path() {
        let em = [1.0, 0.9, 0.0, 1.0, 0.9, 0.0];
        let mut crf = CrfTransitions::zeros(3);
        assert_eq!(viterbi(&em, &scheme(), &crf), vec![0, 0]);
        // A strong reward for B -> B makes "two genes" the best reading.
        crf.transitions[1][1] = 1.0;
        crf.start[1] = 0.5;
        assert_eq!(viterbi(&em, &scheme(), &crf), vec![1, 1]);
    }

    #[test]
    fn viterbi_agrees_with_brute_force() {
        let scheme = LabelScheme::new(&[EntityType::Gene, EntityType::Disease]);
        let n = scheme.len();
        let mut seed = 7u64;
        let mut rnd = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) * 4.0 - 2.0
        };
        for len in 1..=4 {
            let em: Vec<f32> = (0..len * n).map(|_| rnd()).collect();
            let crf = CrfTransitions {
                start: (0..n).map(|_| rnd()).collect(),
                end: (0..n).map(|_| rnd()).collect(),
                transitions: (0..n).map(|_| (0..n).map(|_| rnd()).collect()).collect(),
            };
            assert_eq!(viterbi(&em, &scheme, &crf), brute_force(&em, &scheme, &crf));
        }
    }

    #[test]
    fn marginals_agree_with_brute_force() {
        let scheme = LabelScheme::new(&[EntityType::Gene]);
        let n = scheme.len();
        let em = [1.0f32, 0.5, -0.2, 0.3, 1.2, 0.8, -0.5, 0.1, 0.9];
        let crf = CrfTransitions {
            start: vec![0.1, 0.2, 0.0],
            end: vec![0.0, -0.3, 0.2],
            transitions: vec![
                vec![0.2, -0.1, 0.0],
                vec![0.0, 0.1, 0.4],
                vec![-0.2, 0.3, 0.1],
            ],
        };
        let len = em.len() / n;
        let mut expected = vec![0f64; len * n];
        let mut z = 0f64;
        for (score, path) in scored_paths(&em, &scheme, &crf) {
            let w = (score as f64).exp();
            z += w;
            for t in 0..len {
                expected[t * n + path[t]] += w;
            }
        }
        let got = marginals(&em, &scheme, &crf);
        for (g, e) in got.iter().zip(&expected) {
            assert!((*g as f64 - e / z).abs() < 1e-5, "{got:?}");
        }
        // I-Gene cannot start a sequence.
        assert_eq!(got[2], 0.0);
    }

    #[test]
    fn runs_group_bio_tags() {
        let g = EntityType::Gene;
        let d = EntityType::Disease;
        let tags = [
            Tag::Begin(g),
            Tag::Inside(g),
            Tag::Outside,
            Tag::Inside(d),
            Tag::Begin(d),
            Tag::Inside(g),
        ];
        let runs: Vec<_> = tag_runs(tags)
            .into_iter()
            .map(|r| (r.start, r.end, r.entity_type))
            .collect();
        assert_eq!(runs, vec![(0, 2, g), (3, 4, d), (4, 5, d), (5, 6, g)]);
    }
}
