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
//! One function per file, f64 and f32 together. Their error bounds, and those of
//! [`fast`], are stated once, in the accuracy table [`precision::ACCURACY`]; each
//! function's doc links to its row, and the accuracy tests (`core/tests/math_ulp.rs`,
//! `core/tests/math_fast.rs`) assert the same rows against the `libm` crate.
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
//! Cost: the point of these functions is that a loop over them vectorises, so
//! they pay off inside a kernel compiled for wide vectors (the [`fma`] flavours
//! in an `avx512f` or `avx2,fma` function), where they run several times faster
//! than the `libm` crate's branchy code. In a build for the plain x86_64 baseline
//! (SSE2) LLVM keeps loops over `ln`/`log10` scalar, where they are no faster than
//! `libm`: dispatch to AVX2 or AVX-512 at run time. `cargo bench -p accel-core
//! --bench math` times each flavour against `libm` on the machine at hand.
//!
//! [`fast`] has faster variants for kernels whose error budget is absolute or looser
//! than that of the functions here (Black-Scholes' normal CDF); their bounds are rows
//! of the same table.
//!
//! The polynomial coefficients come from `gen_coefficients.py` (a Remez exchange in
//! mpmath), which writes `coefficients.rs`.

mod arith;
mod coefficients;
mod erf;
mod exp;
pub mod fast;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub mod fma;
mod ln;
mod log10;
pub mod precision;
mod sqrt;

pub use erf::{erf, erff};
pub use exp::{exp, expf};
pub use ln::{ln, lnf};
pub use log10::{log10, log10f};
pub use sqrt::{sqrt, sqrtf};
