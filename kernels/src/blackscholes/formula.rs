//! The Black-Scholes put, written once, and the IR program it builds.
//!
//! [`put`] is the Julia source of ARCHITECTURE.md §5.2 line for line, generic over
//! core's staging trait [`Real`]: called with expression handles it builds the
//! graph that [`program`] optimises and [`ir_dump`] prints; called with `f64` it
//! is the straight-line scalar code that the fused kernels monomorphise and LLVM
//! vectorises. Both meanings evaluate every operation with the same scalar
//! functions of `accel_core::math`, so they agree bit for bit.

// 0.707106781 is the benchmark's own constant (not exactly 1/sqrt(2)); keep it.
#![allow(clippy::approx_constant)]

use accel_core::ir::{Builder, DType, Formula, IrError, Program, Real, erf, exp, log10, sqrt};

/// Names of the program's input arrays, in [`put`]'s argument order.
pub const INPUT_NAMES: [&str; 5] = ["spt", "strike", "rate", "vol", "time"];

/// The normal cumulative distribution as the benchmark writes it.
#[inline(always)]
pub fn cndf2<T: Real>(x: T) -> T {
    let c = T::lit;
    c(0.5) + c(0.5) * erf(c(0.707106781) * x)
}

/// The Black-Scholes put price, line for line as ARCHITECTURE.md §5.2 (`log10`
/// included, as in the original benchmark).
///
/// ```
/// use accel_kernels::blackscholes::put;
/// let p: f64 = put(42.0, 40.5, 0.5, 0.2, 0.5);
/// assert!((p - 20.9548).abs() < 1e-3);
/// ```
#[inline(always)]
pub fn put<T: Real>(spt: T, strike: T, rate: T, vol: T, time: T) -> T {
    let c = T::lit;
    let logterm = log10(spt / strike);
    let powterm = c(0.5) * vol * vol;
    let den = vol * sqrt(time);
    let d1 = ((rate + powterm) * time + logterm) / den;
    let d2 = d1 - den;
    let fv = strike * exp(-rate * time);
    let call = spt * cndf2(d1) - fv * cndf2(d2);
    call - fv + spt
}

/// [`put`] as a core [`Formula`] (five inputs, one result), for core's block
/// executors (`map_formula`, `reduce_formula`).
///
/// ```
/// use accel_core::ir::Formula;
/// use accel_kernels::blackscholes::{put, BlackScholes};
/// let x = [42.0, 40.5, 0.5, 0.2, 0.5];
/// assert_eq!(BlackScholes.eval(x), [put(x[0], x[1], x[2], x[3], x[4])]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct BlackScholes;

impl Formula<5, 1> for BlackScholes {
    #[inline(always)]
    fn eval<R: Real>(&self, [spt, strike, rate, vol, time]: [R; 5]) -> [R; 1] {
        [put(spt, strike, rate, vol, time)]
    }
}

/// The Black-Scholes program over `n` options, built array-at-a-time (every
/// operation a whole-array temporary, as plain Julia or numpy would run it) and
/// then optimised: the passes fuse it into one loop that reads the five inputs,
/// writes `put` and reduces `checksum = sum(put)`, with no temporaries.
///
/// # Errors
/// An [`IrError`] if the builder rejects the program (it does not for any `n`
/// that fits in memory).
///
/// ```
/// let p = accel_kernels::blackscholes::program(1000)?;
/// assert_eq!(p.loops().len(), 1);
/// # Ok::<(), accel_core::ir::IrError>(())
/// ```
pub fn program(n: usize) -> Result<Program, IrError> {
    let mut p = unoptimized_program(n)?;
    p.optimize();
    Ok(p)
}

/// [`program`] before the passes: 28 operation temporaries, the copy into
/// `put` and the reduction, each its own loop.
///
/// # Errors
/// As [`program`].
pub fn unoptimized_program(n: usize) -> Result<Program, IrError> {
    let b = Builder::array_at_a_time(DType::F64);
    let [spt, strike, rate, vol, time] = [0, 1, 2, 3, 4].map(|i| b.input(INPUT_NAMES[i], n));
    let price = put(spt?, strike?, rate?, vol?, time?);
    let price = b.output("put", price)?;
    b.sum("checksum", price)?;
    b.finish()
}

/// The dump of the program before and after the passes, for `n` options: what
/// the array-style source became (one fused loop). For the CLI's `--explain`
/// and the bench.
///
/// ```
/// let dump = accel_kernels::blackscholes::ir_dump(40_000_000);
/// let after = dump.split("== after").nth(1).unwrap();
/// assert_eq!(after.lines().filter(|l| l.starts_with("loop ")).count(), 1);
/// ```
///
/// # Panics
/// Never for sizes that fit in memory (the builder rejects nothing here).
pub fn ir_dump(n: usize) -> String {
    let mut p = unoptimized_program(n).expect("the Black-Scholes program is valid");
    p.optimize_explained().to_string()
}
