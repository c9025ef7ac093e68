//! Vectorisable elementary functions for `f64` and `f32`, without `std`.
//!
//! PLACEHOLDER: these forward to `libm` through num-traits until the branch-free,
//! vectorisable implementations land. The names and signatures are the contract.

use num_traits::float::Float;

/// e^x.
#[inline]
pub fn exp(x: f64) -> f64 {
    Float::exp(x)
}
/// Natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    Float::ln(x)
}
/// Base-10 logarithm.
#[inline]
pub fn log10(x: f64) -> f64 {
    Float::log10(x)
}
/// The error function.
#[inline]
pub fn erf(x: f64) -> f64 {
    libm_erf(x)
}
/// Square root.
#[inline]
pub fn sqrt(x: f64) -> f64 {
    Float::sqrt(x)
}
/// e^x.
#[inline]
pub fn expf(x: f32) -> f32 {
    Float::exp(x)
}
/// Natural logarithm.
#[inline]
pub fn lnf(x: f32) -> f32 {
    Float::ln(x)
}
/// Base-10 logarithm.
#[inline]
pub fn log10f(x: f32) -> f32 {
    Float::log10(x)
}
/// The error function.
#[inline]
pub fn erff(x: f32) -> f32 {
    libm_erf(f64::from(x)) as f32
}
/// Square root.
#[inline]
pub fn sqrtf(x: f32) -> f32 {
    Float::sqrt(x)
}

// Abramowitz–Stegun 7.1.26 stand-in (|err| < 1.5e-7) until the real erf lands.
fn libm_erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * Float::abs(x));
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * Float::exp(-x * x);
    if x < 0.0 { -y } else { y }
}
