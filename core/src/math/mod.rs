//! Vectorisable elementary functions for `f64` and `f32`, without `std`.
//!
//! `core` has no `exp`, `ln`, `erf` or even `sqrt` for floats, and the `libm` crate's
//! versions branch on the argument, so a loop calling them stays scalar. These are
//! written for loops: every function is `#[inline(always)]` straight-line code (pure
//! polynomial evaluation and bit manipulation through `to_bits`/`from_bits`, special
//! cases patched in with value selects, no lookup tables, and no division in the f64
//! `ln`, `log10`, `erf`), so LLVM vectorises a loop that calls them, e.g. inside a
//! `#[target_feature(enable = "avx2,fma")]` kernel.
//!
//! One function per file, f64 and f32 together, each doc stating the maximum error
//! in ulps measured by `core/tests/math_ulp.rs` against the `libm` crate:
//!
//! | function | f64 | f32 |
//! |---|---|---|
//! | [`exp`], [`expf`] | ≤ 1 ulp | ≤ 1 ulp |
//! | [`ln`], [`lnf`] | ≤ 1 ulp | ≤ 1 ulp |
//! | [`log10`], [`log10f`] | ≤ 1 ulp | ≤ 1 ulp |
//! | [`erf`], [`erff`] | ≤ 1 ulp | ≤ 1.5 ulp |
//! | [`sqrt`], [`sqrtf`] | exact | exact |
//!
//! NaN in gives NaN out everywhere; infinities, overflow, underflow and subnormals
//! follow IEEE 754 and the C library (see each function). The f32 functions compute
//! in f32 arithmetic throughout (fractional ulp errors against the exact value, the
//! test's f64 reference), so on a core with a single-precision FPU only — the
//! Cortex-M4F — they cost no software f64; `sqrtf` is the hardware instruction
//! there and on x86_64.
//!
//! On x86_64, [`fma`] has the same functions built on fused multiply-adds, for
//! kernels compiled with FMA (Rust never fuses `a * b + c` by itself).
//!
//! Cost, for orientation (a loop over 4096 values on the 2.8 GHz Ice Lake Xeon
//! where this was written; `core/benches/math.rs` has the same loops): the [`fma`]
//! flavours inside an `avx512f` function take about 1.0 ns per element for `exp`,
//! 1.7 ns for `log10` and 1.8 ns for `erf`, against 8.5, 10.8 and 23 ns for the
//! `libm` crate; inside `avx2,fma` about twice that. In a build for the plain
//! x86_64 baseline (SSE2) LLVM keeps loops over `ln`/`log10` scalar, where they are
//! no faster than `libm`: dispatch to AVX2 or AVX-512 at run time.
//!
//! [`fast`] has faster variants for kernels whose error budget is absolute or looser
//! than 1 ulp (Black-Scholes' normal CDF), each with its stated, tested bound.
//!
//! The polynomial coefficients come from `gen_coefficients.py` (a Remez exchange in
//! mpmath), which writes `coefficients.rs`.

mod arith;
mod coefficients;
mod erf;
mod exp;
pub mod fast;
#[cfg(target_arch = "x86_64")]
pub mod fma;
mod ln;
mod log10;
mod sqrt;

pub use erf::{erf, erff};
pub use exp::{exp, expf};
pub use ln::{ln, lnf};
pub use log10::{log10, log10f};
pub use sqrt::{sqrt, sqrtf};
