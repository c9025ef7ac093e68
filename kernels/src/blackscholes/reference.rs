//! The two references the fused kernel is measured against.
//!
//! - [`price_serial`]: the strict one — a plain loop, one option at a time, with
//!   the `libm` crate's functions (correctly rounded or within 1 ulp) and no
//!   fusion; this is what every other version is checked against.
//! - [`price_naive`]: array-at-a-time, as plain Julia or numpy run the source:
//!   every operation allocates and streams a whole temporary array.

use super::OptionBatch;
use super::error::BlackScholesError;

/// `0.5 + 0.5 · erf(0.707106781 · x)` with libm's erf.
#[allow(clippy::approx_constant)] // the benchmark's own constant
fn cndf2_strict(x: f64) -> f64 {
    0.5 + 0.5 * libm::erf(0.707106781 * x)
}

/// The put price of one option, strictly: the `libm` crate's `log10`, `sqrt`,
/// `exp` and `erf`, in the order of the source and without fused
/// multiply-adds. [`price_serial`] is this in a loop; it is also the body a
/// rayon user would write (the benches' rayon peer calls it).
///
/// ```
/// use accel_kernels::blackscholes::put_strict;
/// let p = put_strict(42.0, 40.5, 0.5, 0.2, 0.5);
/// assert!(p > 20.0 && p < 21.5);
/// ```
#[inline]
pub fn put_strict(spt: f64, strike: f64, rate: f64, vol: f64, time: f64) -> f64 {
    let logterm = libm::log10(spt / strike);
    let powterm = 0.5 * vol * vol;
    let den = vol * libm::sqrt(time);
    let d1 = ((rate + powterm) * time + logterm) / den;
    let d2 = d1 - den;
    let fv = strike * libm::exp(-rate * time);
    let call = spt * cndf2_strict(d1) - fv * cndf2_strict(d2);
    call - fv + spt
}

/// The strict serial reference: `put[i]` for every option, one at a time, with
/// the `libm` crate's `log10`, `sqrt`, `exp` and `erf`, in the order of the
/// source and without fused multiply-adds.
///
/// # Errors
/// [`BlackScholesError::LengthMismatch`] when an array of `batch` or `put` does
/// not have one element per option.
///
/// ```
/// use accel_kernels::blackscholes::{price_serial, OptionBatch};
/// let batch = OptionBatch::seed(4);
/// let mut put = [0.0; 4];
/// price_serial(&batch, &mut put)?;
/// assert!(put.iter().all(|&p| p > 20.0 && p < 21.5));
/// # Ok::<(), accel_kernels::blackscholes::BlackScholesError>(())
/// ```
pub fn price_serial(batch: &OptionBatch, put: &mut [f64]) -> Result<(), BlackScholesError> {
    batch.check_output(put.len())?;
    for (i, out) in put.iter_mut().enumerate() {
        *out = put_strict(
            batch.spt[i],
            batch.strike[i],
            batch.rate[i],
            batch.vol[i],
            batch.time[i],
        );
    }
    Ok(())
}

/// `f` applied elementwise: a new array.
fn map1(a: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    a.iter().map(|&x| f(x)).collect()
}

/// `f` applied elementwise to two arrays: a new array.
fn map2(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// The array-at-a-time version: every operation of the source allocates and
/// fills a whole temporary array (28 of them), as plain Julia or numpy would.
/// The same strict libm functions as [`price_serial`], so the same values; it
/// exists to be measured. Arrays shorter than `spt` are treated as truncating
/// the batch (like `zip`).
///
/// ```
/// use accel_kernels::blackscholes::{price_naive, price_serial, OptionBatch};
/// let batch = OptionBatch::seed(100);
/// let mut strict = vec![0.0; 100];
/// price_serial(&batch, &mut strict)?;
/// assert_eq!(price_naive(&batch), strict);
/// # Ok::<(), accel_kernels::blackscholes::BlackScholesError>(())
/// ```
#[allow(clippy::approx_constant)]
pub fn price_naive(batch: &OptionBatch) -> Vec<f64> {
    let OptionBatch {
        spt,
        strike,
        rate,
        vol,
        time,
    } = batch;
    let cndf2 = |x: &[f64]| {
        let scaled = map1(x, |x| 0.707106781 * x);
        let e = map1(&scaled, libm::erf);
        let half = map1(&e, |e| 0.5 * e);
        map1(&half, |h| 0.5 + h)
    };
    let ratio = map2(spt, strike, |a, b| a / b);
    let logterm = map1(&ratio, libm::log10);
    let half_vol = map1(vol, |v| 0.5 * v);
    let powterm = map2(&half_vol, vol, |a, b| a * b);
    let root = map1(time, libm::sqrt);
    let den = map2(vol, &root, |a, b| a * b);
    let drift = map2(rate, &powterm, |a, b| a + b);
    let drift_t = map2(&drift, time, |a, b| a * b);
    let num = map2(&drift_t, &logterm, |a, b| a + b);
    let d1 = map2(&num, &den, |a, b| a / b);
    let d2 = map2(&d1, &den, |a, b| a - b);
    let neg_rate = map1(rate, |r| -r);
    let rt = map2(&neg_rate, time, |a, b| a * b);
    let discount = map1(&rt, libm::exp);
    let fv = map2(strike, &discount, |a, b| a * b);
    let n1 = cndf2(&d1);
    let n2 = cndf2(&d2);
    let left = map2(spt, &n1, |a, b| a * b);
    let right = map2(&fv, &n2, |a, b| a * b);
    let call = map2(&left, &right, |a, b| a - b);
    let call_minus_fv = map2(&call, &fv, |a, b| a - b);
    map2(&call_minus_fv, spt, |a, b| a + b)
}
