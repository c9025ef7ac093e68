//! Black-Scholes: the fused, vectorised option pricer and its references.
//!
//! The workload of ARCHITECTURE.md §5.2. The formula is written once, array-style and
//! line for line as the Julia source, as the generic [`put`] over core's staging
//! trait; from that one source come
//!
//! - the **IR program** ([`program`], [`ir_dump`]): built array-at-a-time (28
//!   temporaries, as plain Julia would run it), the passes fuse it into one loop
//!   that reads the five inputs and writes `put` (and `checksum = sum(put)`);
//! - the **fused kernels** ([`price`], [`checksum`]): the formula ([`BlackScholes`])
//!   plus one call of the pool's formula runner (`Pool::map_formula`,
//!   `Pool::sum_formula`), which any user's formula gets too: the pool splits the
//!   options into chunks, and each chunk runs [`put`] in one pass on the active
//!   SIMD path's lane type from `accel_core::simd` ([`SimdPath::active`]). No
//!   temporaries, no bounds checks in the loop, several vectors of options at
//!   once so that independent chains hide the formula's latency. Nothing in this
//!   module is SIMD-specific.
//!
//! The references: [`price_serial`] (strict: libm functions, one option at a
//! time) and [`price_naive`] (array-at-a-time with a temporary per operation).
//!
//! # Accuracy
//! The elementary functions keep the bounds of core's accuracy table,
//! [`ACCURACY`](accel_core::math::precision::ACCURACY), which core's tests assert
//! (the FMA flavours the AVX paths use are held to the same rows). The AVX-512
//! path takes `exp`, `log10` and `erf` from `accel_core::math::fast` instead,
//! whose rows are looser: [`FAST_EXP`](accel_core::math::precision::FAST_EXP),
//! [`FAST_LOG10`](accel_core::math::precision::FAST_LOG10) and, *absolute*,
//! [`FAST_ERF`](accel_core::math::precision::FAST_ERF); the AVX2 path takes
//! `exp` and `erf_step` from there
//! ([`FAST_ERF_STEP`](accel_core::math::precision::FAST_ERF_STEP)), and the AVX2
//! and NEON paths take `log10` as `fast::log10_atanh`
//! ([`FAST_LOG10_ATANH`](accel_core::math::precision::FAST_LOG10_ATANH)) — the normal CDF needs
//! absolute, not relative, accuracy: a put moves by at most
//! `(spt + fv) · δ/2` when erf is off by δ. Through the formula every put stays
//! within 1e-13 relative of [`price_serial`] on the seed inputs (measured:
//! 5.3e-16), and in general within 1e-13 of the larger of the put and the spot
//! price (the put is computed as `call − fv + spt`, whose rounding scales with
//! `spt` however small the put is; the tests check random options spanning
//! four decades of moneyness, volatility and time on every path). The checksums of the seed sizes match
//! [`SEED_CHECKSUM_10M`] and [`SEED_CHECKSUM_40M`] to 1e-12 relative (2.4e-15
//! measured at 40 M).
//!
//! # Determinism
//! The put prices do not depend on the thread count. The portable path runs
//! core's executor with the plain `accel_core::math` functions and matches the
//! IR interpreter bit for bit; the other paths use the fused-multiply-add
//! flavours of the same functions (`accel_core::math::fma`: half the
//! arithmetic, the same rows of the accuracy table), AVX2 with the table `exp`
//! and `erf` of `math::fast` (read with gathers), AVX2 and NEON with its
//! one-division `log10_atanh`, and AVX-512 with its `exp`, `log10` and `erf`, so they differ from it in the last bits (about 1e-15
//! relative at most). [`checksum`] sums
//! fixed chunks of [`FORMULA_CHUNK`](accel_pool::FORMULA_CHUNK) options in a fixed lane order and adds the chunk
//! sums left to right: the same bits for any thread count.
//!
//! ```
//! use accel_kernels::blackscholes::{checksum, price, price_serial, OptionBatch};
//! let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
//! let batch = OptionBatch::seed(100_000);
//! let mut fused = vec![0.0; batch.len()];
//! price(&pool, &batch, &mut fused)?;
//! let mut strict = vec![0.0; batch.len()];
//! price_serial(&batch, &mut strict)?;
//! assert!(fused.iter().zip(&strict).all(|(a, b)| ((a - b) / b).abs() < 1e-13));
//! let sum = checksum(&pool, &batch)?;
//! assert!((sum - strict.iter().sum::<f64>()).abs() < 1e-12 * sum);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod formula;
mod reference;

use core::ops::Range;

use accel_core::simd::FormulaError;
use accel_pool::Pool;

pub use accel_core::simd::SimdPath;
pub use error::BlackScholesError;
pub use formula::{BlackScholes, INPUT_NAMES, cndf2, ir_dump, program, put, unoptimized_program};
pub use reference::{price_naive, price_serial, put_strict};

/// `sum(put)` for `OptionBatch::seed(10_000_000)`, from the original benchmark.
pub const SEED_CHECKSUM_10M: f64 = 2.0954821257116845e8;
/// `sum(put)` for `OptionBatch::seed(40_000_000)`, from the original benchmark.
pub const SEED_CHECKSUM_40M: f64 = 8.381928525856283e8;

/// A batch of European options, one array per parameter (structure of arrays),
/// all with one element per option.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptionBatch {
    /// Spot prices.
    pub spt: Vec<f64>,
    /// Strike prices.
    pub strike: Vec<f64>,
    /// Risk-free rates.
    pub rate: Vec<f64>,
    /// Volatilities.
    pub vol: Vec<f64>,
    /// Times to expiry.
    pub time: Vec<f64>,
}

impl OptionBatch {
    /// The benchmark's inputs for `n` options (ARCHITECTURE.md §5.2): for
    /// `i = 1..=n`, `spt = 42`, `strike = 40 + i/n`, `rate = 0.5`, `vol = 0.2`,
    /// `time = 0.5`.
    ///
    /// ```
    /// let b = accel_kernels::blackscholes::OptionBatch::seed(4);
    /// assert_eq!(b.strike, [40.25, 40.5, 40.75, 41.0]);
    /// assert_eq!((b.len(), b.spt[3], b.vol[0]), (4, 42.0, 0.2));
    /// ```
    pub fn seed(n: usize) -> Self {
        let nf = n as f64;
        OptionBatch {
            spt: vec![42.0; n],
            strike: (1..=n).map(|i| 40.0 + i as f64 / nf).collect(),
            rate: vec![0.5; n],
            vol: vec![0.2; n],
            time: vec![0.5; n],
        }
    }

    /// Options `range` of [`OptionBatch::seed(n)`](Self::seed), the same
    /// values at the same positions, generated without the rest: what one
    /// process of several (an MPI rank) prices of the seed's batch.
    ///
    /// ```
    /// use accel_kernels::blackscholes::OptionBatch;
    /// let whole = OptionBatch::seed(1000);
    /// let part = OptionBatch::seed_part(1000, 300..450);
    /// assert_eq!(part.strike, whole.strike[300..450]);
    /// assert_eq!(part.len(), 150);
    /// ```
    ///
    /// # Panics
    /// Panics if `range` does not lie within `0..n`.
    pub fn seed_part(n: usize, range: Range<usize>) -> Self {
        assert!(
            range.start <= range.end && range.end <= n,
            "options {range:?} of {n}"
        );
        let nf = n as f64;
        let len = range.len();
        OptionBatch {
            spt: vec![42.0; len],
            strike: (range.start + 1..=range.end)
                .map(|i| 40.0 + i as f64 / nf)
                .collect(),
            rate: vec![0.5; len],
            vol: vec![0.2; len],
            time: vec![0.5; len],
        }
    }

    /// The number of options (the length of `spt`).
    pub fn len(&self) -> usize {
        self.spt.len()
    }

    /// Whether the batch holds no options.
    pub fn is_empty(&self) -> bool {
        self.spt.is_empty()
    }

    /// Checks that every array has one element per option.
    ///
    /// # Errors
    /// [`BlackScholesError::LengthMismatch`] naming the first array that does not.
    ///
    /// ```
    /// let mut b = accel_kernels::blackscholes::OptionBatch::seed(3);
    /// b.vol.pop();
    /// assert_eq!(b.check().unwrap_err().to_string(),
    ///     "`vol` has 2 elements, but there are 3 options (the length of `spt`)");
    /// ```
    pub fn check(&self) -> Result<(), BlackScholesError> {
        let expected = self.len();
        for (array, found) in [
            ("strike", self.strike.len()),
            ("rate", self.rate.len()),
            ("vol", self.vol.len()),
            ("time", self.time.len()),
        ] {
            if found != expected {
                return Err(BlackScholesError::LengthMismatch {
                    array,
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }

    /// [`check`](Self::check), plus an output of `len` elements.
    pub(crate) fn check_output(&self, len: usize) -> Result<(), BlackScholesError> {
        self.check()?;
        if len != self.len() {
            return Err(BlackScholesError::LengthMismatch {
                array: "put",
                expected: self.len(),
                found: len,
            });
        }
        Ok(())
    }

    /// The five input columns of the options in `range`, in the order of
    /// [`INPUT_NAMES`] (the formula's and the program's argument order).
    ///
    /// ```
    /// use accel_kernels::blackscholes::OptionBatch;
    /// let batch = OptionBatch::seed(10);
    /// let [spt, strike, ..] = batch.columns(2..5);
    /// assert_eq!((spt.len(), strike[0]), (3, batch.strike[2]));
    /// ```
    ///
    /// # Panics
    /// If `range` reaches past a column (call [`OptionBatch::check`] first for
    /// a batch built by hand).
    pub fn columns(&self, range: Range<usize>) -> [&[f64]; 5] {
        [&self.spt, &self.strike, &self.rate, &self.vol, &self.time].map(|a| &a[range.clone()])
    }
}

/// Prices every option of `batch` into `put`, in parallel on `pool`, with the
/// fused kernel on the widest SIMD path of this CPU. A batch of at most
/// [`FORMULA_CHUNK`](accel_pool::FORMULA_CHUNK) options runs on the calling thread.
///
/// # Errors
/// [`BlackScholesError::LengthMismatch`] when an array of `batch` or `put` does
/// not have one element per option (nothing is written).
///
/// ```
/// use accel_kernels::blackscholes::{price, OptionBatch};
/// let pool = accel_pool::Pool::global();
/// let batch = OptionBatch::seed(3);
/// let mut put = [0.0; 3];
/// price(pool, &batch, &mut put)?;
/// assert!(put.iter().all(|&p| p > 20.0 && p < 22.0));
/// assert!(price(pool, &batch, &mut [0.0; 2]).is_err());
/// # Ok::<(), accel_kernels::blackscholes::BlackScholesError>(())
/// ```
pub fn price(pool: &Pool, batch: &OptionBatch, put: &mut [f64]) -> Result<(), BlackScholesError> {
    price_on(pool, batch, put, SimdPath::active())
}

/// [`price`] on a chosen SIMD path (to compare paths, or to pin one).
///
/// # Errors
/// As [`price`], and [`BlackScholesError::UnsupportedSimd`] when this CPU
/// cannot run `path`.
///
/// ```
/// use accel_kernels::blackscholes::{price, price_on, OptionBatch, SimdPath};
/// let pool = accel_pool::Pool::global();
/// let batch = OptionBatch::seed(1000);
/// let (mut a, mut b) = (vec![0.0; 1000], vec![0.0; 1000]);
/// price(pool, &batch, &mut a)?;
/// price_on(pool, &batch, &mut b, SimdPath::Portable)?;
/// // The AVX paths' elementary functions differ (fused multiply-adds, and on
/// // AVX-512 `math::fast`): the last bits may differ.
/// assert!(a.iter().zip(&b).all(|(x, y)| ((x - y) / y).abs() < 1e-14));
/// # Ok::<(), accel_kernels::blackscholes::BlackScholesError>(())
/// ```
pub fn price_on(
    pool: &Pool,
    batch: &OptionBatch,
    put: &mut [f64],
    path: SimdPath,
) -> Result<(), BlackScholesError> {
    batch.check_output(put.len())?;
    pool.map_formula_on(path, batch.columns(0..put.len()), put, &BlackScholes)
        .map_err(|e| simd_error(e, path))
}

/// `sum(put)` over every option of `batch`, fused (the prices are never
/// stored), in parallel on `pool`, on the widest SIMD path. Deterministic: the
/// same bits for any thread count (see the [module docs](self)).
///
/// # Errors
/// [`BlackScholesError::LengthMismatch`] when the arrays of `batch` differ in
/// length.
///
/// ```
/// use accel_kernels::blackscholes::{checksum, OptionBatch};
/// let batch = OptionBatch::seed(50_000);
/// let one = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(1))?;
/// let three = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(3))?;
/// assert_eq!(checksum(&one, &batch)?.to_bits(), checksum(&three, &batch)?.to_bits());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn checksum(pool: &Pool, batch: &OptionBatch) -> Result<f64, BlackScholesError> {
    checksum_on(pool, batch, SimdPath::active())
}

/// [`checksum`] on a chosen SIMD path.
///
/// # Errors
/// As [`checksum`], and [`BlackScholesError::UnsupportedSimd`] when this CPU
/// cannot run `path`.
pub fn checksum_on(
    pool: &Pool,
    batch: &OptionBatch,
    path: SimdPath,
) -> Result<f64, BlackScholesError> {
    batch.check()?;
    pool.sum_formula_on(path, batch.columns(0..batch.len()), &BlackScholes)
        .map_err(|e| simd_error(e, path))
}

/// The error of a formula run whose slices `OptionBatch` already checked.
fn simd_error(e: FormulaError, path: SimdPath) -> BlackScholesError {
    match e {
        FormulaError::Simd(_) => BlackScholesError::UnsupportedSimd { path: path.name() },
        FormulaError::Slices(e) => unreachable!("the batch checked its lengths: {e}"),
    }
}
