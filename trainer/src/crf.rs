//! A linear-chain CRF over per-token label scores: negative log-likelihood by the forward
//! algorithm (differentiable, in candle). Decoding uses [`bioscope_core::decode::viterbi`] on
//! the learned scores, exactly as the tagger does.

use bioscope_core::decode::CrfTransitions;
use candle_core::{Result, Tensor, D};
use candle_nn::VarBuilder;

/// The CRF's learned scores: `start[L]`, `end[L]`, `transitions[from, to]` (`[L, L]`).
pub struct Crf {
    pub start: Tensor,
    pub end: Tensor,
    pub transitions: Tensor,
    num_labels: usize,
}

/// `log(sum(exp(x)))` over `dim`, stable: the max is subtracted and, being a constant shift,
/// kept out of the gradient.
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
        let (b, t, l) = emissions.dims3()?;
        let dev = emissions.device();
        let mut mask = vec![0f32; b * t];
        let mut tag_flat = vec![0u32; b * t];
        let mut pair_index = vec![0u32; b * t.saturating_sub(1)];
        let mut firsts = vec![0u32; b];
        let mut lasts = vec![0u32; b];
        for (i, (seq, &len)) in tags.iter().zip(lengths).enumerate() {
            for p in 0..len {
                mask[i * t + p] = 1.0;
                tag_flat[i * t + p] = seq[p];
                if p > 0 {
                    pair_index[i * (t - 1) + p - 1] = seq[p - 1] * l as u32 + seq[p];
                }
            }
            firsts[i] = seq[0];
            lasts[i] = seq[len - 1];
        }
        let mask_t = Tensor::from_vec(mask, (b, t), dev)?;
        let tags_t = Tensor::from_vec(tag_flat, (b, t, 1), dev)?;

        // Score of the gold path.
        let emit = emissions.gather(&tags_t, 2)?.squeeze(2)?;
        let emit = (emit * &mask_t)?.sum(1)?;
        let mut gold = (emit
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
            gold = (gold + trans)?;
        }

        // Log partition function by the forward algorithm.
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
        let log_z = log_sum_exp(&alpha.broadcast_add(&self.end)?, 1)?;
        (log_z - gold)?.mean(D::Minus1)
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

    /// Brute-force log partition and gold score, for checking the forward algorithm.
    fn brute_nll(em: &[Vec<f32>], crf: &CrfTransitions, gold: &[u32]) -> f32 {
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
            total += (score(&path) as f64).exp();
        }
        let gold: Vec<usize> = gold.iter().map(|&g| g as usize).collect();
        total.ln() as f32 - score(&gold)
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
        let want =
            (brute_nll(&em1, &params, &tags[0]) + brute_nll(&em2[..2], &params, &tags[1])) / 2.0;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
}
