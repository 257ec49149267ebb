//! A linear-chain CRF over per-token label scores: negative log-likelihood by the forward
//! algorithm (differentiable, in candle), for fully or partially labelled sequences. Decoding uses [`bioscope_core::decode::viterbi`] on
//! the learned scores, exactly as the tagger does.

use bioscope_core::decode::CrfTransitions;
use candle_core::{Result, Tensor, D};
use candle_nn::VarBuilder;

/// The CRF's learned scores: `start[L]`, `end[L]`, `transitions[from, to]` (`[L, L]`).
#[derive(Clone)]
pub struct Crf {
    pub start: Tensor,
    pub end: Tensor,
    pub transitions: Tensor,
    num_labels: usize,
}

/// `log(sum(exp(x)))` over `dim`, stable: the max is subtracted and, being a constant shift,
/// kept out of the gradient.
/// The score given to a label a partially labelled position does not allow: low enough that
/// its paths vanish from the sum, finite so that no NaN appears.
const FORBIDDEN: f32 = -1e4;

/// `[B, T]` with 1 on each sequence's positions and 0 on padding.
fn length_mask(lengths: &[usize], b: usize, t: usize, dev: &candle_core::Device) -> Result<Tensor> {
    let mut mask = vec![0f32; b * t];
    for (i, &len) in lengths.iter().enumerate() {
        mask[i * t..i * t + len].fill(1.0);
    }
    Tensor::from_vec(mask, (b, t), dev)
}

fn log_sum_exp(x: &Tensor, dim: usize) -> Result<Tensor> {
    let max = x.max_keepdim(dim)?.detach();
    let sum = x.broadcast_sub(&max)?.exp()?.sum_keepdim(dim)?.log()?;
    (sum + max)?.squeeze(dim)
}

impl Crf {
    pub fn new(num_labels: usize, vb: VarBuilder) -> Result<Self> {
        let zeros = candle_nn::init::ZERO;
        Ok(Crf {
            start: vb.get_with_hints(num_labels, "start", zeros)?,
            end: vb.get_with_hints(num_labels, "end", zeros)?,
            transitions: vb.get_with_hints((num_labels, num_labels), "transitions", zeros)?,
            num_labels,
        })
    }

    /// Mean negative log-likelihood of the gold `tags` under `emissions` (`[B, T, L]`).
    ///
    /// Sequences are left-aligned: sequence `b` has `lengths[b]` positions, the rest is padding.
    pub fn nll(&self, emissions: &Tensor, tags: &[Vec<u32>], lengths: &[usize]) -> Result<Tensor> {
        let (b, t, _) = emissions.dims3()?;
        let mask_t = length_mask(lengths, b, t, emissions.device())?;
        let gold = self.path_score(emissions, tags, lengths, &mask_t)?;
        let log_z = self.log_partition(emissions, &mask_t)?;
        (log_z - gold)?.mean(D::Minus1)
    }

    /// Mean negative log-likelihood when some positions admit several labels: `allowed[b][p]`
    /// is a bit set over labels (bit `l` = label `l`). The likelihood is the total probability
    /// of every path through allowed labels, so a corpus that does not annotate a type teaches
    /// nothing about that type where it says `O` (partial-label CRF). Rows given `None` are
    /// fully labelled by `tags`.
    pub fn partial_nll(
        &self,
        emissions: &Tensor,
        tags: &[Vec<u32>],
        allowed: &[Option<&[u32]>],
        lengths: &[usize],
    ) -> Result<Tensor> {
        if allowed.iter().all(Option::is_none) {
            return self.nll(emissions, tags, lengths);
        }
        let (b, t, l) = emissions.dims3()?;
        let dev = emissions.device();
        let mask_t = length_mask(lengths, b, t, dev)?;
        // 0 where a label is allowed, a large negative score where it is not.
        let mut penalty = vec![0f32; b * t * l];
        for (row, (&len, seq)) in lengths.iter().zip(tags).enumerate() {
            for p in 0..len {
                let bits = match allowed[row] {
                    Some(a) => a[p],
                    None => 1 << seq[p],
                };
                for label in 0..l {
                    if bits & (1 << label) == 0 {
                        penalty[(row * t + p) * l + label] = FORBIDDEN;
                    }
                }
            }
        }
        let penalty = Tensor::from_vec(penalty, (b, t, l), dev)?;
        let constrained = self.log_partition(&(emissions + penalty)?, &mask_t)?;
        let log_z = self.log_partition(emissions, &mask_t)?;
        (log_z - constrained)?.mean(D::Minus1)
    }

    /// Score of the given label paths (`[B]`).
    fn path_score(
        &self,
        emissions: &Tensor,
        tags: &[Vec<u32>],
        lengths: &[usize],
        mask_t: &Tensor,
    ) -> Result<Tensor> {
        let (b, t, l) = emissions.dims3()?;
        let dev = emissions.device();
        let mut tag_flat = vec![0u32; b * t];
        let mut pair_index = vec![0u32; b * t.saturating_sub(1)];
        let mut firsts = vec![0u32; b];
        let mut lasts = vec![0u32; b];
        for (i, (seq, &len)) in tags.iter().zip(lengths).enumerate() {
            for p in 0..len {
                tag_flat[i * t + p] = seq[p];
                if p > 0 {
                    pair_index[i * (t - 1) + p - 1] = seq[p - 1] * l as u32 + seq[p];
                }
            }
            firsts[i] = seq[0];
            lasts[i] = seq[len - 1];
        }
        let tags_t = Tensor::from_vec(tag_flat, (b, t, 1), dev)?;
        let emit = emissions.gather(&tags_t, 2)?.squeeze(2)?;
        let emit = (emit * mask_t)?.sum(1)?;
        let mut score = (emit
            + self.start.index_select(&Tensor::new(firsts, dev)?, 0)?
            + self.end.index_select(&Tensor::new(lasts, dev)?, 0)?)?;
        if t > 1 {
            let pairs = Tensor::from_vec(pair_index, b * (t - 1), dev)?;
            let trans = self
                .transitions
                .flatten_all()?
                .index_select(&pairs, 0)?
                .reshape((b, t - 1))?;
            let trans = (trans * mask_t.narrow(1, 1, t - 1)?)?.sum(1)?;
            score = (score + trans)?;
        }
        Ok(score)
    }

    /// Log of the summed exponentiated scores of all paths (`[B]`), by the forward algorithm.
    fn log_partition(&self, emissions: &Tensor, mask_t: &Tensor) -> Result<Tensor> {
        let (_, t, _) = emissions.dims3()?;
        let mut alpha = emissions
            .narrow(1, 0, 1)?
            .squeeze(1)?
            .broadcast_add(&self.start)?;
        let trans = self.transitions.unsqueeze(0)?;
        for p in 1..t {
            let em = emissions.narrow(1, p, 1)?; // [B, 1, L]
            let scores = alpha
                .unsqueeze(2)?
                .broadcast_add(&trans)?
                .broadcast_add(&em)?;
            let next = log_sum_exp(&scores, 1)?;
            let m = mask_t.narrow(1, p, 1)?; // [B, 1]
            alpha = (next.broadcast_mul(&m)? + alpha.broadcast_mul(&(1.0 - &m)?)?)?;
        }
        log_sum_exp(&alpha.broadcast_add(&self.end)?, 1)
    }

    /// The learned scores as plain numbers, for the manifest and for decoding.
    pub fn to_transitions(&self) -> Result<CrfTransitions> {
        Ok(CrfTransitions {
            start: self.start.to_vec1()?,
            end: self.end.to_vec1()?,
            transitions: self.transitions.to_vec2()?,
        })
    }

    pub fn num_labels(&self) -> usize {
        self.num_labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    /// Brute-force log of the summed path scores over the paths that `keep` accepts.
    fn brute_log_sum(
        em: &[Vec<f32>],
        crf: &CrfTransitions,
        keep: impl Fn(&[usize]) -> bool,
    ) -> f64 {
        let l = crf.start.len();
        let t = em.len();
        let score = |path: &[usize]| {
            let mut s = crf.start[path[0]] + crf.end[path[t - 1]];
            for p in 0..t {
                s += em[p][path[p]];
                if p > 0 {
                    s += crf.transitions[path[p - 1]][path[p]];
                }
            }
            s
        };
        let mut total = 0f64;
        for code in 0..l.pow(t as u32) {
            let path: Vec<usize> = (0..t).map(|p| (code / l.pow(p as u32)) % l).collect();
            if keep(&path) {
                total += (score(&path) as f64).exp();
            }
        }
        total.ln()
    }

    /// Brute-force NLL when position `p` may take the labels in bit set `allowed[p]`.
    fn brute_nll(em: &[Vec<f32>], crf: &CrfTransitions, allowed: &[u32]) -> f32 {
        let all = brute_log_sum(em, crf, |_| true);
        let kept = brute_log_sum(em, crf, |path| {
            path.iter()
                .zip(allowed)
                .all(|(&l, &bits)| bits & (1 << l) != 0)
        });
        (all - kept) as f32
    }

    fn one_hot(tags: &[u32]) -> Vec<u32> {
        tags.iter().map(|&t| 1 << t).collect()
    }

    #[test]
    fn nll_matches_brute_force_with_padding() {
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
        let crf = Crf::new(3, vb).unwrap();
        let set = |name: &str, t: Tensor| {
            vm.data().lock().unwrap()[name].set(&t).unwrap();
        };
        set(
            "start",
            Tensor::new(&[0.5f32, -0.2, 0.1], &Device::Cpu).unwrap(),
        );
        set(
            "end",
            Tensor::new(&[0.0f32, 0.3, -0.4], &Device::Cpu).unwrap(),
        );
        set(
            "transitions",
            Tensor::new(
                &[[0.1f32, 0.2, -1.0], [0.0, -0.5, 0.7], [0.3, 0.1, 0.2]],
                &Device::Cpu,
            )
            .unwrap(),
        );
        let em1 = vec![
            vec![1.0f32, 0.2, -0.3],
            vec![0.1, 0.9, 0.0],
            vec![0.4, 0.4, 1.2],
        ];
        let em2 = vec![
            vec![0.3f32, -0.1, 0.6],
            vec![1.1, 0.0, 0.2],
            vec![0.0, 0.0, 0.0],
        ];
        let flat: Vec<f32> = em1.iter().chain(&em2).flatten().copied().collect();
        let emissions = Tensor::from_vec(flat, (2, 3, 3), &Device::Cpu).unwrap();
        let tags = vec![vec![0u32, 1, 2], vec![2u32, 0]];
        let got: f32 = crf
            .nll(&emissions, &tags, &[3, 2])
            .unwrap()
            .to_scalar()
            .unwrap();
        let params = crf.to_transitions().unwrap();
        let want = (brute_nll(&em1, &params, &one_hot(&tags[0]))
            + brute_nll(&em2[..2], &params, &one_hot(&tags[1])))
            / 2.0;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");

        // Partial labels: the first sequence's middle position may be label 1 (gold) or 0; the second
        // sequence stays fully labelled (None).
        let partial = [0b001u32, 0b011, 0b100];
        let got: f32 = crf
            .partial_nll(&emissions, &tags, &[Some(&partial), None], &[3, 2])
            .unwrap()
            .to_scalar()
            .unwrap();
        let want = (brute_nll(&em1, &params, &partial)
            + brute_nll(&em2[..2], &params, &one_hot(&tags[1])))
            / 2.0;
        assert!((got - want).abs() < 1e-5, "partial: {got} vs {want}");
        // Allowing more labels can only make the observation more likely.
        let full: f32 = crf
            .nll(&emissions, &tags, &[3, 2])
            .unwrap()
            .to_scalar()
            .unwrap();
        assert!(got < full, "{got} !< {full}");
    }
}
