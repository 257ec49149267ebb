//! AdamW with decoupled weight decay, per-group learning rates, global-norm clipping and a
//! state that checkpoints save and restore (candle-nn's AdamW keeps its moments private).

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
        })
    }

    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The global L2 norm of the gradients of this optimizer's parameters.
    pub fn grad_norm(&self, grads: &GradStore) -> Result<f64> {
        let mut total = 0f64;
        for p in &self.params {
            if let Some(g) = grads.get(p.var.as_tensor()) {
                total += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
            }
        }
        Ok(total.sqrt())
    }

    /// One update; gradients are scaled down first when their global norm exceeds `clip`.
    /// Returns the norm before clipping.
    pub fn step(&mut self, grads: &GradStore, lr: f64, head_lr: f64, clip: f64) -> Result<f64> {
        let norm = self.grad_norm(grads)?;
        let scale = if norm > clip && norm > 0.0 {
            clip / norm
        } else {
            1.0
        };
        self.step += 1;
        let t = self.step as i32;
        let bc1 = 1.0 - self.beta1.powi(t);
        let bc2 = 1.0 - self.beta2.powi(t);
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = grads.get(p.var.as_tensor()) else {
                continue;
            };
            let g = (g * scale)?;
            self.m[i] = ((&self.m[i] * self.beta1)? + (&g * (1.0 - self.beta1))?)?;
            self.v[i] = ((&self.v[i] * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let rate = if p.head { head_lr } else { lr };
            let m_hat = (&self.m[i] / bc1)?;
            let v_hat = (&self.v[i] / bc2)?;
            let update = (m_hat / (v_hat.sqrt()? + self.eps)?)?;
            let w = p.var.as_tensor();
            let decayed = if p.decay {
                (w * (1.0 - rate * self.weight_decay))?
            } else {
                w.clone()
            };
            p.var.set(&(decayed - (update * rate)?)?)?;
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
            let norm = opt.step(&grads, 0.05, 0.05, 1.0).unwrap();
            assert!(norm.is_finite());
        }
        let w: Vec<f32> = var.as_tensor().to_vec1().unwrap();
        assert!(w.iter().all(|x| x.abs() < 0.05), "{w:?}");
    }
}
