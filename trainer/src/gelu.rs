//! GELU in its exact form, `x · Φ(x)` with the normal distribution function Φ (what BERT was
//! pretrained with and what the ONNX export computes with `Erf`), as one candle op with a fused
//! backward pass.
//!
//! candle's `gelu_erf` calls a scalar `erf` per element, and its backward pass builds ten
//! full-size tensors (erf again, exp, products); together about a tenth of a training step.
//! Here erf comes from Abramowitz and Stegun's formula 7.1.26 (absolute error below 1.5e-7,
//! about one float32 rounding step) and exp from a branch-free polynomial, both written so
//! that the compiler vectorizes the loops, and the backward pass is one op and one product.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

/// `e^x` for `x ≤ 0` (relative error about 2e-7; 0 below -87): `2^n · e^r` with `n` the
/// nearest integer to `x / ln 2` and a degree-6 polynomial for `e^r`, `|r| ≤ ln 2 / 2`.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Adding and subtracting 1.5 · 2^23 rounds to the nearest integer without a branch.
    const ROUND: f32 = 12_582_912.0;
    let x = x.max(-87.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// erf(x) by Abramowitz and Stegun 7.1.26.
#[inline(always)]
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_8,
        -1.453_152_1,
        1.061_405_4,
    ];
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let y = 1.0 - poly * exp_nonpositive(-a * a);
    y.copysign(x)
}

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1 / √(2π).
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// Φ(x), the standard normal distribution function.
#[inline(always)]
fn normal_cdf(x: f32) -> f32 {
    0.5 * (1.0 + erf(x * FRAC_1_SQRT_2))
}

fn gelu(x: f32) -> f32 {
    x * normal_cdf(x)
}

/// d/dx x·Φ(x) = Φ(x) + x·φ(x).
fn gelu_derivative(x: f32) -> f32 {
    normal_cdf(x) + x * FRAC_1_SQRT_2PI * exp_nonpositive(-0.5 * x * x)
}

/// Applies `f` to every element of a contiguous float32 tensor.
fn map_f32(
    name: &str,
    storage: &CpuStorage,
    layout: &Layout,
    f: fn(f32) -> f32,
) -> Result<(CpuStorage, Shape)> {
    let CpuStorage::F32(values) = storage else {
        candle_core::bail!("{name} takes float32 tensors")
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("{name} takes contiguous tensors")
    };
    let out: Vec<f32> = values[start..end].iter().map(|&x| f(x)).collect();
    Ok((CpuStorage::F32(out), layout.shape().clone()))
}

struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "gelu-erf"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        map_f32(self.name(), storage, layout, gelu)
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad_res.mul(&arg.apply_op1_no_bwd(&GeluDerivative)?)?))
    }
}

struct GeluDerivative;

impl CustomOp1 for GeluDerivative {
    fn name(&self) -> &'static str {
        "gelu-erf-derivative"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        map_f32(self.name(), storage, layout, gelu_derivative)
    }
}

/// `x · Φ(x)` element-wise, differentiable.
pub fn gelu_erf(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Gelu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn grid() -> Vec<f32> {
        (-1200..=1200).map(|i| i as f32 / 100.0).collect()
    }

    #[test]
    fn exp_and_erf_match_the_standard_library() {
        for x in grid() {
            let e = exp_nonpositive(-x.abs());
            let want = (-x.abs() as f64).exp();
            assert!(((e as f64 - want) / want).abs() < 5e-7, "exp({})", -x.abs());
            let want = libm::erf(x as f64);
            assert!((erf(x) as f64 - want).abs() < 3e-7, "erf({x})");
        }
        assert_eq!(exp_nonpositive(-1000.0), exp_nonpositive(-87.0));
        assert!(exp_nonpositive(-1000.0) < 1e-37);
    }

    #[test]
    fn forward_and_gradient_match_candle_s_gelu_erf() {
        let x = Var::new(grid(), &Device::Cpu).unwrap();
        let ours = gelu_erf(x.as_tensor()).unwrap();
        let theirs = x.as_tensor().gelu_erf().unwrap();
        let diff = (&ours - &theirs).unwrap().abs().unwrap().max(0).unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-5);
        // Weighted sums, so that the gradient is not all ones.
        let w = Tensor::new(grid(), &Device::Cpu).unwrap();
        let g_ours = (ours * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let g_theirs = (theirs * &w)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let a = g_ours.get(x.as_tensor()).unwrap();
        let b = g_theirs.get(x.as_tensor()).unwrap();
        let diff = (a - b).unwrap().abs().unwrap().max(0).unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
    }
}
