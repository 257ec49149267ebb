//! AdamW with decoupled weight decay, per-group learning rates, global-norm clipping and a
//! state that checkpoints save and restore (candle-nn's AdamW keeps its moments private);
//! optionally a decoupled pull towards the starting weights (L2-SP), which keeps a fine-tuned
//! model close to its base.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::bert::device;

/// A trainable variable with its optimizer group.
pub struct Param {
    pub name: String,
    pub var: Var,
    /// Head parameters (classifier, CRF) use the head learning rate.
    pub head: bool,
    pub decay: bool,
}

pub struct AdamW {
    params: Vec<Param>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub step: usize,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    /// The starting weights and how strongly each step pulls towards them (see
    /// [`AdamW::anchor_to_start`]).
    anchor: Option<Anchor>,
}

/// Where L2-SP pulls the weights back to, and how strongly (in learning rates) for the head and
/// for the encoder.
struct Anchor {
    start: Vec<Tensor>,
    head: f64,
    encoder: f64,
}

impl AdamW {
    pub fn new(params: Vec<Param>, weight_decay: f64) -> Result<Self> {
        let zeros = |p: &Param| Tensor::zeros_like(p.var.as_tensor());
        let m = params
            .iter()
            .map(zeros)
            .collect::<candle_core::Result<_>>()?;
        let v = params
            .iter()
            .map(zeros)
            .collect::<candle_core::Result<_>>()?;
        Ok(AdamW {
            params,
            m,
            v,
            step: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            anchor: None,
        })
    }

    /// From now on each step also moves every parameter by `rate * strength` of its distance
    /// back to its value now (decoupled, like the weight decay), with `head` for the head's
    /// parameters and `encoder` for the encoder's: L2-SP, against forgetting what the starting
    /// model knew. Strengths of 0 turn it off.
    pub fn anchor_to_start(&mut self, head: f64, encoder: f64) -> Result<()> {
        self.anchor = None;
        if head > 0.0 || encoder > 0.0 {
            // Copies: a variable's update writes into the storage its tensor shares.
            let start = self.params.iter().map(|p| p.var.as_tensor().copy());
            self.anchor = Some(Anchor {
                start: start.collect::<candle_core::Result<_>>()?,
                head,
                encoder,
            });
        }
        Ok(())
    }

    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The global L2 norm of the gradients of this optimizer's parameters, each the sum of its
    /// gradients in `grads` (one store per data-parallel shard).
    pub fn grad_norm(&self, grads: &[GradStore]) -> Result<f64> {
        let mut total = 0f64;
        for p in &self.params {
            let shards = shard_grads(grads, p)?;
            if shards.is_empty() {
                continue;
            }
            total += with_values(&shards, |gs| {
                (0..gs[0].len())
                    .map(|i| {
                        let g: f32 = gs.iter().map(|g| g[i]).sum();
                        (g * g) as f64
                    })
                    .sum::<f64>()
            })?;
        }
        Ok(total.sqrt())
    }

    /// One update from the gradients in `grads` (one store per data-parallel shard, summed);
    /// they are scaled down first when their global norm exceeds `clip`. Returns the norm
    /// before clipping.
    ///
    /// Fused: one pass over each parameter's values, gradients and moments (the tensor-op form
    /// made fourteen full-size tensors per parameter, a fifth of a training step), with the
    /// parameters dealt over the cores.
    pub fn step(&mut self, grads: &[GradStore], lr: f64, head_lr: f64, clip: f64) -> Result<f64> {
        let norm = self.grad_norm(grads)?;
        let scale = if norm > clip && norm > 0.0 {
            clip / norm
        } else {
            1.0
        };
        self.step += 1;
        let t = self.step as i32;
        let h = Hyper {
            beta1: self.beta1 as f32,
            beta2: self.beta2 as f32,
            bc1: (1.0 - self.beta1.powi(t)) as f32,
            bc2: (1.0 - self.beta2.powi(t)) as f32,
            eps: self.eps as f32,
            scale: scale as f32,
        };
        // Deal the parameters over the cores, largest first, each to the least loaded.
        let workers = crate::parallel::workers();
        let mut order: Vec<usize> = (0..self.params.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.m[i].elem_count()));
        let mut shards = vec![(0usize, Vec::new()); workers];
        for i in order {
            let lightest = shards.iter_mut().min_by_key(|s| s.0).expect("one worker");
            lightest.0 += self.m[i].elem_count();
            lightest.1.push(i);
        }
        let updates = crate::parallel::run_shards(&shards, |_, (_, members)| {
            let mut out = Vec::new();
            for &i in members {
                let p = &self.params[i];
                let gs = shard_grads(grads, p)?;
                if gs.is_empty() {
                    continue;
                }
                let rate = (if p.head { head_lr } else { lr }) as f32;
                let decay = if p.decay {
                    1.0 - rate * self.weight_decay as f32
                } else {
                    1.0
                };
                let mut state = vec![
                    p.var.as_tensor().clone(),
                    self.m[i].clone(),
                    self.v[i].clone(),
                ];
                let pull = match &self.anchor {
                    Some(anchor) => {
                        state.push(anchor.start[i].clone());
                        rate * (if p.head { anchor.head } else { anchor.encoder }) as f32
                    }
                    None => 0.0,
                };
                let (w, m, v) = with_values(&state, |wmv| {
                    with_values(&gs, |gs| h.update(wmv, gs, rate, decay, pull))
                })??;
                let shape = self.m[i].shape().clone();
                let dev = device();
                out.push((
                    i,
                    Tensor::from_vec(w, shape.clone(), &dev)?,
                    Tensor::from_vec(m, shape.clone(), &dev)?,
                    Tensor::from_vec(v, shape, &dev)?,
                ));
            }
            Ok(out)
        })?;
        for (i, w, m, v) in updates.into_iter().flatten() {
            self.params[i].var.set(&w)?;
            self.m[i] = m;
            self.v[i] = v;
        }
        Ok(norm)
    }

    /// Saves the moments (`m.NAME`, `v.NAME`) to a safetensors file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut map = HashMap::new();
        for (i, p) in self.params.iter().enumerate() {
            map.insert(format!("m.{}", p.name), self.m[i].clone());
            map.insert(format!("v.{}", p.name), self.v[i].clone());
        }
        candle_core::safetensors::save(&map, path)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn load(&mut self, path: &Path, step: usize) -> Result<()> {
        let map = candle_core::safetensors::load(path, &device())
            .with_context(|| format!("cannot read {}", path.display()))?;
        for (i, p) in self.params.iter().enumerate() {
            let get = |k: String| {
                map.get(&k)
                    .cloned()
                    .with_context(|| format!("{} lacks `{k}`", path.display()))
            };
            self.m[i] = get(format!("m.{}", p.name))?;
            self.v[i] = get(format!("v.{}", p.name))?;
        }
        self.step = step;
        Ok(())
    }
}

/// AdamW's constants for one step.
struct Hyper {
    beta1: f32,
    beta2: f32,
    /// Bias corrections `1 - beta^t`.
    bc1: f32,
    bc2: f32,
    eps: f32,
    /// The clipping factor applied to the gradients.
    scale: f32,
}

impl Hyper {
    /// New weights and moments from `[w, m, v]` (and the starting weights when `pull` is not
    /// 0) and the shards' gradients.
    fn update(
        &self,
        wmv: &[&[f32]],
        gs: &[&[f32]],
        rate: f32,
        decay: f32,
        pull: f32,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (w, m, v) = (wmv[0], wmv[1], wmv[2]);
        let start = wmv.get(3);
        let n = w.len();
        let (mut w2, mut m2, mut v2) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for i in 0..n {
            let g = gs.iter().map(|g| g[i]).sum::<f32>() * self.scale;
            let mi = self.beta1 * m[i] + (1.0 - self.beta1) * g;
            let vi = self.beta2 * v[i] + (1.0 - self.beta2) * g * g;
            let step = (mi / self.bc1) / ((vi / self.bc2).sqrt() + self.eps);
            let back = start.map_or(0.0, |s| pull * (w[i] - s[i]));
            w2.push(w[i] * decay - rate * step - back);
            m2.push(mi);
            v2.push(vi);
        }
        (w2, m2, v2)
    }
}

/// The gradients of `p` in each store that has one (contiguous).
fn shard_grads(grads: &[GradStore], p: &Param) -> Result<Vec<Tensor>> {
    let mut out = Vec::new();
    for store in grads {
        if let Some(g) = store.get(p.var.as_tensor()) {
            out.push(g.contiguous()?);
        }
    }
    Ok(out)
}

/// Calls `f` with the values of contiguous float32 CPU tensors of one size, without copying.
fn with_values<R>(tensors: &[Tensor], f: impl FnOnce(&[&[f32]]) -> R) -> Result<R> {
    let guards: Vec<_> = tensors.iter().map(|t| t.storage_and_layout()).collect();
    let mut slices = Vec::with_capacity(tensors.len());
    for (storage, layout) in &guards {
        let candle_core::Storage::Cpu(candle_core::CpuStorage::F32(values)) = &**storage else {
            anyhow::bail!("the optimizer takes float32 CPU tensors");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            anyhow::bail!("the optimizer takes contiguous tensors");
        };
        slices.push(&values[start..end]);
    }
    if slices.windows(2).any(|w| w[0].len() != w[1].len()) {
        anyhow::bail!("a gradient's size differs from its parameter's");
    }
    Ok(f(&slices))
}

/// Linear warm-up over `warmup` steps, then linear decay to zero at `total`.
pub fn schedule(step: usize, warmup: usize, total: usize) -> f64 {
    if step < warmup {
        (step + 1) as f64 / warmup as f64
    } else if total > warmup {
        ((total - step) as f64 / (total - warmup) as f64).max(0.0)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays() {
        assert!((schedule(0, 10, 100) - 0.1).abs() < 1e-12);
        assert!((schedule(9, 10, 100) - 1.0).abs() < 1e-12);
        assert!((schedule(55, 10, 100) - 0.5).abs() < 1e-12);
        assert_eq!(schedule(100, 10, 100), 0.0);
    }

    #[test]
    fn adamw_minimizes_a_quadratic_and_clips() {
        let var = Var::new(&[3.0f32, -2.0], &device()).unwrap();
        let mut opt = AdamW::new(
            vec![Param {
                name: "w".into(),
                var: var.clone(),
                head: false,
                decay: false,
            }],
            0.0,
        )
        .unwrap();
        for _ in 0..300 {
            let loss = var.as_tensor().sqr().unwrap().sum_all().unwrap();
            let grads = loss.backward().unwrap();
            let norm = opt.step(&[grads], 0.05, 0.05, 1.0).unwrap();
            assert!(norm.is_finite());
        }
        let w: Vec<f32> = var.as_tensor().to_vec1().unwrap();
        assert!(w.iter().all(|x| x.abs() < 0.05), "{w:?}");
    }

    #[test]
    fn an_anchor_holds_weights_near_their_start() {
        // The loss pulls w from 1 towards 5; the anchor pulls it back towards 1.
        let run = |strength: f64| {
            let var = Var::new(&[1.0f32], &device()).unwrap();
            let param = Param {
                name: "w".into(),
                var: var.clone(),
                head: false,
                decay: false,
            };
            let mut opt = AdamW::new(vec![param], 0.0).unwrap();
            opt.anchor_to_start(0.0, strength).unwrap();
            for _ in 0..400 {
                let loss = (var.as_tensor() - 5.0)
                    .unwrap()
                    .sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap();
                let grads = loss.backward().unwrap();
                opt.step(&[grads], 0.05, 0.05, 10.0).unwrap();
            }
            var.as_tensor().to_vec1::<f32>().unwrap()[0]
        };
        let free = run(0.0);
        let anchored = run(2.0);
        assert!((free - 5.0).abs() < 0.1, "{free}");
        assert!(anchored > 1.2 && anchored < 4.0, "{anchored}");
    }

    #[test]
    fn shard_gradients_update_like_the_whole_batch_gradient() {
        let x = [[1f32, 2.0, 3.0], [0.5, -1.0, 4.0], [2.0, 2.0, -1.0]];
        // Sum over rows of (x·w)², divided by the whole batch's size.
        let loss = |w: &Var, rows: &[[f32; 3]]| {
            let x = Tensor::from_vec(rows.concat(), (rows.len(), 3), &device()).unwrap();
            let y = x.broadcast_mul(w.as_tensor()).unwrap().sum(1).unwrap();
            (y.sqr().unwrap().sum_all().unwrap() / 3.0).unwrap()
        };
        let fresh = || {
            let var = Var::new(&[1f32, -2.0, 0.5], &device()).unwrap();
            let param = Param {
                name: "w".into(),
                var: var.clone(),
                head: false,
                decay: true,
            };
            (var, AdamW::new(vec![param], 0.01).unwrap())
        };
        let (whole, mut opt_whole) = fresh();
        let (sharded, mut opt_sharded) = fresh();
        for _ in 0..3 {
            let g = loss(&whole, &x).backward().unwrap();
            let n1 = opt_whole.step(&[g], 0.1, 0.1, 5.0).unwrap();
            let parts = [
                loss(&sharded, &x[..1]).backward().unwrap(),
                loss(&sharded, &x[1..]).backward().unwrap(),
            ];
            let n2 = opt_sharded.step(&parts, 0.1, 0.1, 5.0).unwrap();
            assert!((n1 - n2).abs() < 1e-4 * n1.max(1.0), "{n1} vs {n2}");
        }
        let a: Vec<f32> = whole.as_tensor().to_vec1().unwrap();
        let b: Vec<f32> = sharded.as_tensor().to_vec1().unwrap();
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        assert_ne!(a, vec![1.0, -2.0, 0.5]);
    }
}
