//! `accel blackscholes`: price the seed's options with the fused kernel.
//!
//! The inputs are the seed's (`OptionBatch::seed(N)`): five f64 streams of N
//! elements, checked against memory before anything is allocated. The timed run is
//! the fused map-and-reduce `checksum = sum(put)`: the prices are never stored, so
//! it reads 40 bytes per option and writes nothing.
//!
//! With `--compare` the serial reference prices every option with libm's functions
//! (and sums them in order; under MPI each rank sums its block in order and the
//! block sums are added in rank order, so the last bits of that reference sum
//! depend on the ranks); the fused kernel prices them again into an array, and
//! every price must be within [`PUT_REL_TOLERANCE`] of the reference, the checksums
//! within [`CHECKSUM_REL_TOLERANCE`] of each other, and, at the seed sizes (10 M and
//! 40 M options), of the seed's published checksum.

use std::time::Instant;

use accel_core::simd::SimdPath;

use crate::args::BlackScholesArgs;
use crate::engine::{self, Engine, OptionBatch, SEED_CHECKSUM_10M, SEED_CHECKSUM_40M};
use crate::error::Error;
use crate::group::Group;
use crate::memory;
use crate::report::{self, Comparison, ErrorStats};

/// The kernel's stated accuracy: every put within 1e-13 relative of the strict
/// serial reference on the seed inputs (see `accel_kernels::blackscholes`).
pub const PUT_REL_TOLERANCE: f64 = 1e-13;

/// The checksum's tolerance, relative (ARCHITECTURE.md §5.2).
pub const CHECKSUM_REL_TOLERANCE: f64 = 1e-12;

/// Bytes the run needs: five input streams, plus two put vectors with `--compare`.
pub fn bytes_needed(options: usize, compare: bool) -> Option<u128> {
    let streams = if compare { 7 } else { 5 };
    memory::product(&[options as u128, streams, 8])
}

/// The seed's published checksum for `options`, when that is a seed size.
pub fn seed_checksum(options: usize) -> Option<f64> {
    match options {
        10_000_000 => Some(SEED_CHECKSUM_10M),
        40_000_000 => Some(SEED_CHECKSUM_40M),
        _ => None,
    }
}

/// What `--compare` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    /// Errors of the fused prices against the serial reference's.
    pub errors: ErrorStats,
    /// `sum(put)` of the serial reference.
    pub serial_checksum: f64,
    /// The kernel's checksum.
    pub checksum: f64,
    /// The seed's published checksum, at the seed sizes.
    pub seed_checksum: Option<f64>,
}

/// `|a − b| / |b|` (0 when both are 0).
fn relative(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / b.abs() }
}

/// Whether `error` is at most `bound` (false for NaN: an unknown error never passes).
fn within(error: f64, bound: f64) -> bool {
    error <= bound
}

impl Accuracy {
    /// The verdict: an error naming the first check that failed and its numbers.
    pub fn check(&self) -> Result<(), Error> {
        let fail = |what: String| Error::accuracy("blackscholes", what);
        if self.errors.nan_mismatch {
            return Err(fail(
                "a price is NaN where the serial reference's is not (or the reverse)".into(),
            ));
        }
        if !within(self.errors.max_rel, PUT_REL_TOLERANCE) {
            return Err(fail(format!(
                "largest relative error of a put price is {:.3e}, above the stated bound {PUT_REL_TOLERANCE:.0e}",
                self.errors.max_rel
            )));
        }
        let rel = relative(self.checksum, self.serial_checksum);
        if !within(rel, CHECKSUM_REL_TOLERANCE) {
            return Err(fail(format!(
                "checksum {:e} differs from the serial reference's {:e} by {rel:.3e} relative (allowed {CHECKSUM_REL_TOLERANCE:.0e})",
                self.checksum, self.serial_checksum
            )));
        }
        if let Some(seed) = self.seed_checksum {
            let rel = relative(self.checksum, seed);
            if !within(rel, CHECKSUM_REL_TOLERANCE) {
                return Err(fail(format!(
                    "checksum {:e} differs from the seed's {seed:e} by {rel:.3e} relative (allowed {CHECKSUM_REL_TOLERANCE:.0e})",
                    self.checksum
                )));
            }
        }
        Ok(())
    }
}

/// An output array of `n` NaNs, every page already written: a fresh zeroed `Vec`
/// is mapped lazily, and its first-touch page faults (≈ 0.3 s for 40 M options
/// here) would be timed as pricing. NaN, so that a price never written shows up in
/// the comparison.
fn touched_array(n: usize) -> Vec<f64> {
    vec![f64::NAN; n]
}

/// What `--explain` prints for `n` options on `engine`: the array-style
/// program before and after the passes (core's dump), the compiled formula the
/// pool runs (the same source, called with expression handles), and how its
/// run is cut up.
fn explain(n: usize, engine: &Engine, simd: SimdPath) -> Result<String, Error> {
    use accel_kernels::blackscholes::{BlackScholes, INPUT_NAMES, ir_dump};
    let compiled = accel_core::ir::dump_formula(
        &BlackScholes,
        accel_core::ir::DType::F64,
        INPUT_NAMES,
        ["put"],
        n,
    )
    .map_err(|e| Error::workload("blackscholes", e.to_string()))?;
    let chunks = n.div_ceil(accel_pool::FORMULA_CHUNK);
    let lanes = match simd {
        SimdPath::Avx512 => {
            "three zmm registers (24 options) per step, math::fast's table exp/log10/erf"
        }
        SimdPath::Avx2 => {
            "blocks of 32 options in ymm registers, math::fast's table exp/erf_step (AVX2 gathers) and one-division ln_atanh/log10_atanh"
        }
        SimdPath::Neon => {
            "blocks of 32 options in NEON registers, math::fma's exp/erf, math::fast's ln_atanh/log10_atanh"
        }
        SimdPath::Portable => {
            "blocks of 16 options in the baseline's registers, math's exp/ln/log10/erf (bit-identical to the interpreter)"
        }
    };
    Ok(format!(
        "Black-Scholes for {n} options, written array-style as the Julia source writes it, and \
         what accel's passes make of it:\n\n{}\n== the compiled formula (BlackScholes, the same \
         source called with expression handles), which Pool::sum_formula runs ==\n{}\n== how \
         it runs ==\nSIMD path {simd}: {lanes}.\n{chunks} chunk{} of {} options over {}; each \
         chunk is one pass that reads the five inputs and adds the puts into 8 lanes in order, \
         and the chunk sums are added left to right: the same checksum bits for any thread \
         count. No temporary array is allocated.",
        ir_dump(n),
        compiled,
        if chunks == 1 { "" } else { "s" },
        accel_pool::FORMULA_CHUNK,
        engine.team(),
    ))
}

/// Runs `accel blackscholes`. Under MPI each rank generates and prices its
/// own block of the seed's options (whole formula chunks), and the checksum
/// has the same bits as one process's for any number of ranks and threads;
/// `--compare` compares each rank's block with the serial reference and
/// gathers the largest errors.
pub fn run(args: &BlackScholesArgs, group: &Group) -> Result<(), Error> {
    let n = args.options;
    let engine = group.agree(Engine::new(&args.pool))?;
    let simd = group.agree(engine::active_simd())?;
    if args.explain {
        return group.agree(explain(n, &engine, simd).and_then(|text| report::emit(&text)));
    }
    let part = group.formula_range(n);
    let local = part.len();
    group.agree(
        memory::ensure_fits(bytes_needed(local, args.report.compare))
            .map_err(|e| Error::workload("blackscholes", format!("--options {n} {e}"))),
    )?;
    let batch = if group.distributed() {
        OptionBatch::seed_part(n, part)
    } else {
        OptionBatch::seed(n)
    };

    group.barrier();
    let start = Instant::now();
    let checksum = engine.blackscholes_checksum_ranks(group, n, &batch)?;
    let seconds = start.elapsed().as_secs_f64();

    let mut compared = None;
    if args.report.compare {
        let mut reference = touched_array(local);
        let start = Instant::now();
        group.agree(Engine::blackscholes_price_serial(&batch, &mut reference))?;
        let serial_checksum = group.sum_in_rank_order(reference.iter().sum());
        let serial_seconds = group.max_f64(start.elapsed().as_secs_f64());

        let mut put = touched_array(local);
        let start = Instant::now();
        group.agree(engine.blackscholes_price(&batch, &mut put))?;
        let price_seconds = group.max_f64(start.elapsed().as_secs_f64());

        let mut errors = ErrorStats::default();
        for (&got, &want) in put.iter().zip(&reference) {
            errors.add(got, want);
        }
        errors.max_abs = group.max_f64(errors.max_abs);
        errors.max_rel = group.max_f64(errors.max_rel);
        errors.nan_mismatch = group.max_f64(f64::from(u8::from(errors.nan_mismatch))) > 0.0;
        let accuracy = Accuracy {
            errors,
            serial_checksum,
            checksum,
            seed_checksum: seed_checksum(n),
        };
        group.agree(accuracy.check())?;
        let comparison = Comparison {
            serial_seconds,
            accel_seconds: seconds,
            errors,
        };
        compared = Some((comparison, accuracy, price_seconds));
    }

    let rate = n as f64 / seconds;
    if args.report.json {
        let mut json = serde_json::json!({
            "workload": "blackscholes",
            "options": n,
            "threads": engine.threads(),
            "ranks": group.size(),
            "threads_per_rank": engine.threads(),
            "pinned": engine.pinned(),
            "pinning": engine.pinning(),
            "seconds": seconds,
            "options_per_second": report::finite_or_null(rate),
            "checksum": checksum,
            "simd": simd.name(),
        });
        if let Some((comparison, accuracy, price_seconds)) = &compared {
            comparison.add_to(&mut json);
            if let Some(obj) = json.as_object_mut() {
                obj.insert("price_seconds".into(), (*price_seconds).into());
                obj.insert("serial_checksum".into(), accuracy.serial_checksum.into());
                obj.insert(
                    "seed_checksum".into(),
                    accuracy
                        .seed_checksum
                        .map_or(serde_json::Value::Null, Into::into),
                );
            }
        }
        return group.agree(report::emit_json(&json));
    }
    let mut line = format!(
        "blackscholes: {n} option{}, {}{}, SIMD {simd}: checksum {checksum:e}, kernel {} ({})",
        if n == 1 { "" } else { "s" },
        group.summary_prefix(),
        engine.team(),
        report::seconds(seconds),
        report::rate(rate, "options/s"),
    );
    if let Some((comparison, accuracy, price_seconds)) = &compared {
        line.push_str(&format!(
            "; priced into an array in {}; {}; serial checksum {:e}",
            report::seconds(*price_seconds),
            comparison.summary(),
            accuracy.serial_checksum
        ));
        if let Some(seed) = accuracy.seed_checksum {
            line.push_str(&format!(
                "; matches the seed's checksum {seed:e} within {CHECKSUM_REL_TOLERANCE:.0e}"
            ));
        }
    }
    group.agree(report::emit(&line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Accuracy {
        Accuracy {
            errors: ErrorStats {
                max_abs: 1e-14,
                max_rel: 5e-16,
                nan_mismatch: false,
            },
            serial_checksum: 2.0954821257116845e8,
            checksum: 2.0954821257116848e8,
            seed_checksum: Some(SEED_CHECKSUM_10M),
        }
    }

    #[test]
    fn accurate_results_pass() {
        good().check().unwrap();
        let mut no_seed = good();
        no_seed.seed_checksum = None;
        no_seed.check().unwrap();
    }

    #[test]
    fn each_failed_check_is_an_exit_3_error_naming_its_numbers() {
        let mut a = good();
        a.errors.max_rel = 3e-13;
        let e = a.check().unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(
            e.to_string()
                .starts_with("blackscholes: accuracy check failed"),
            "{e}"
        );
        assert!(e.to_string().contains("3.000e-13"), "{e}");

        let mut a = good();
        a.errors.max_rel = f64::NAN;
        assert!(a.check().is_err(), "NaN errors must not pass");

        let mut a = good();
        a.errors.nan_mismatch = true;
        assert!(a.check().unwrap_err().to_string().contains("NaN"));

        let mut a = good();
        a.checksum *= 1.0 + 1e-11;
        assert!(
            a.check()
                .unwrap_err()
                .to_string()
                .contains("serial reference")
        );

        let mut a = good();
        a.seed_checksum = Some(SEED_CHECKSUM_40M);
        assert!(a.check().unwrap_err().to_string().contains("seed"));
    }

    #[test]
    fn seed_sizes() {
        assert_eq!(seed_checksum(10_000_000), Some(SEED_CHECKSUM_10M));
        assert_eq!(seed_checksum(40_000_000), Some(SEED_CHECKSUM_40M));
        assert_eq!(seed_checksum(1000), None);
    }
}
