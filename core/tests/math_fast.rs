//! Accuracy of `accel_core::math::fast` against the `libm` crate, as stated in
//! the `fast::` rows of the accuracy table (`accel_core::math::precision`), over
//! 1.2e7 points per function; and the AVX-512 and AVX2 flavours against the FMA
//! ones, bit for bit.
//!
//! Points are spread over the whole domain: uniform in value over the range where
//! the function varies, uniform in binary exponent (tiny and subnormal arguments
//! included), dense around every piece boundary of the tables, plus the special
//! values.

mod math_common;

use accel_core::math::fast;
use accel_core::math::precision;
use math_common::{Rng, ulp_distance};

/// Points per function (the docs say 1.2e7).
const POINTS: usize = 12_000_000;

/// The absolute bound of `fast::erf`.
const ERF_ABS: f64 = precision::FAST_ERF.bound.max_absolute().unwrap();
/// The bound of `fast::exp`, in whole ulps.
const EXP_ULP: u64 = whole_ulps(precision::FAST_EXP.bound);
/// The bound of `fast::erf_step`, in whole ulps.
const ERF_STEP_ULP: u64 = whole_ulps(precision::FAST_ERF_STEP.bound);
/// The bound of `fast::log10`, in whole ulps.
const LOG10_ULP: u64 = whole_ulps(precision::FAST_LOG10.bound);
/// The bound of `fast::ln_atanh`, in whole ulps.
const LN_ATANH_ULP: u64 = whole_ulps(precision::FAST_LN_ATANH.bound);
/// The bound of `fast::log10_atanh`, in whole ulps.
const LOG10_ATANH_ULP: u64 = whole_ulps(precision::FAST_LOG10_ATANH.bound);

/// An ulp bound as the integer distance from libm that it allows.
const fn whole_ulps(bound: precision::Bound) -> u64 {
    match bound.max_ulp() {
        Some(u) => u as u64,
        None => panic!("not an ulp bound"),
    }
}

/// Special and boundary arguments every function is checked at.
fn edges() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        -f64::from_bits(1),
        f64::EPSILON,
        1.0,
        -1.0,
        5.9,
        6.0,
        6.1,
        30.0,
        -30.0,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    // Both sides of every piece boundary of the erf table (pieces of 6/16).
    for k in 0..=16 {
        let b = f64::from(k) * 0.375;
        for x in [b, b.next_up(), b.next_down()] {
            v.extend([x, -x]);
        }
    }
    v
}

/// Checks that a vector flavour (`width` lanes, compiled with `features`,
/// loaded and stored with `load`/`store`, run where `detect` finds every
/// feature) gives, lane for lane, the bits of the FMA one on `edges()`, the
/// `extra` arguments and 10^6 generated ones; a last partial vector is padded
/// with `pad`. With `any_nan`, any NaN answers a NaN (the flavours may differ in
/// the payload); otherwise every bit must match.
#[cfg(target_arch = "x86_64")]
macro_rules! vector_matches_fma {
    ($vector:path, $scalar:path, width: $width:literal, features: $features:literal,
     detect: [$($feature:tt),*], load: $load:ident, store: $store:ident,
     seed: $seed:expr, extra: $extra:expr, inputs: $inputs:path,
     pad: $pad:expr, any_nan: $any_nan:expr) => {{
        use std::arch::x86_64::{$load, $store};

        #[target_feature(enable = $features)]
        fn lanes_of(xs: &[f64; $width]) -> [f64; $width] {
            let mut out = [0.0; $width];
            // SAFETY: this function is compiled for the flavour's features and
            // only called on CPUs that have them; the load and store touch
            // exactly the two arrays of `width` elements.
            unsafe {
                let v = $vector($load(xs.as_ptr()));
                $store(out.as_mut_ptr(), v);
            }
            out
        }

        if !(true $(&& std::arch::is_x86_feature_detected!($feature))*) {
            return;
        }
        let mut rng = Rng($seed);
        let mut xs: Vec<f64> = edges();
        xs.extend($extra);
        xs.extend((0..1_000_000).map(|i| $inputs(&mut rng, i)));
        for chunk in xs.chunks($width) {
            let mut lanes = [$pad; $width];
            lanes[..chunk.len()].copy_from_slice(chunk);
            // SAFETY: the features were detected above.
            let got = unsafe { lanes_of(&lanes) };
            for (&x, &y) in lanes.iter().zip(&got) {
                // SAFETY: as above (FMA is among them).
                let want = unsafe { $scalar(x) };
                assert!(
                    y.to_bits() == want.to_bits() || ($any_nan && y.is_nan() && want.is_nan()),
                    "at {x:e}: {y:e} vs {want:e}"
                );
            }
        }
    }};
}

/// [`vector_matches_fma`] for an AVX-512 flavour on eight lanes.
#[cfg(target_arch = "x86_64")]
macro_rules! avx512_matches_fma {
    ($vector:path, $scalar:path, $($rest:tt)*) => {
        vector_matches_fma!($vector, $scalar, width: 8, features: "avx512f,fma",
            detect: ["avx512f", "fma"], load: _mm512_loadu_pd, store: _mm512_storeu_pd,
            $($rest)*)
    };
}

/// [`vector_matches_fma`] for an AVX2 flavour on four lanes.
#[cfg(target_arch = "x86_64")]
macro_rules! avx2_matches_fma {
    ($vector:path, $scalar:path, $($rest:tt)*) => {
        vector_matches_fma!($vector, $scalar, width: 4, features: "avx2,fma",
            detect: ["avx2", "fma"], load: _mm256_loadu_pd, store: _mm256_storeu_pd,
            $($rest)*)
    };
}

fn erf_inputs(rng: &mut Rng, i: usize) -> f64 {
    match i % 4 {
        0 | 1 => rng.uniform(-6.5, 6.5),
        2 => rng.log_uniform(-1022, 4),
        _ => {
            // Near a piece boundary.
            let k = (rng.next_u64() % 17) as f64;
            let x = k * 0.375 + rng.uniform(-1e-6, 1e-6);
            if i & 8 == 0 { x } else { -x }
        }
    }
}

/// Largest absolute error of `f` against `reference` over the inputs and edges,
/// and where; NaN must match NaN exactly.
fn worst_abs(
    inputs: &mut dyn FnMut(&mut Rng, usize) -> f64,
    f: &dyn Fn(f64) -> f64,
    reference: &dyn Fn(f64) -> f64,
) -> (f64, f64) {
    let mut rng = Rng(0x5eed_0fe4);
    let mut worst = (0.0f64, 0.0f64);
    let points = (0..POINTS).map(|i| inputs(&mut rng, i));
    for x in edges().into_iter().chain(points) {
        let (got, want) = (f(x), reference(x));
        assert_eq!(got.is_nan(), want.is_nan(), "at {x:e}: {got} vs {want}");
        let err = (got - want).abs();
        if err > worst.0 {
            worst = (err, x);
        }
    }
    worst
}

#[test]
fn erf_within_its_absolute_bound() {
    let (err, at) = worst_abs(&mut erf_inputs, &fast::erf, &libm::erf);
    println!("fast::erf: max absolute error {err:e} at {at:e}");
    assert!(err <= ERF_ABS, "fast::erf: {err:e} at {at:e}");
    // A real bound, not a loose one: the table is near its stated accuracy.
    assert!(
        err > ERF_ABS / 10.0,
        "fast::erf: only {err:e}; tighten the accuracy table"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA (checked just above).
        let fused = |x| unsafe { fast::erf_fma(x) };
        let (err, at) = worst_abs(&mut erf_inputs, &fused, &libm::erf);
        println!("fast::erf_fma: max absolute error {err:e} at {at:e}");
        assert!(err <= ERF_ABS, "fast::erf_fma: {err:e} at {at:e}");
    }
}

#[test]
fn erf_special_values_and_symmetry() {
    assert_eq!(fast::erf(0.0).to_bits(), 0.0f64.to_bits());
    assert_eq!(fast::erf(-0.0).to_bits(), (-0.0f64).to_bits());
    assert_eq!(fast::erf(f64::INFINITY), 1.0);
    assert_eq!(fast::erf(f64::NEG_INFINITY), -1.0);
    assert_eq!(fast::erf(6.0), 1.0);
    assert!(fast::erf(f64::NAN).is_nan());
    // Tiny arguments: piece 0 is a multiple of x, so the value stays relative.
    for x in [1e-300, 1e-20, 1e-8, f64::from_bits(1) * 1e10] {
        let rel = (fast::erf(x) - libm::erf(x)).abs() / libm::erf(x);
        assert!(rel < 1e-15, "{x:e}: {rel:e}");
    }
    let mut rng = Rng(7);
    for i in 0..100_000 {
        let x = erf_inputs(&mut rng, i);
        assert_eq!(fast::erf(-x).to_bits(), (-fast::erf(x)).to_bits(), "{x:e}");
        assert!(fast::erf(x).abs() <= 1.0, "{x:e}");
    }
}

/// The AVX-512 flavour of `erf`, lane for lane, gives the bits of the FMA one.
#[cfg(target_arch = "x86_64")]
#[test]
fn erf_avx512_matches_erf_fma_bit_for_bit() {
    avx512_matches_fma!(fast::erf_avx512, fast::erf_fma, seed: 11, extra: [f64::NAN],
        inputs: erf_inputs, pad: 0.5, any_nan: false);
}

fn erf_step_inputs(rng: &mut Rng, i: usize) -> f64 {
    match i % 4 {
        0 | 1 => rng.uniform(-6.5, 6.5),
        2 => rng.log_uniform(-1022, 4),
        _ => {
            // Near a grid point, or halfway between two (where `d` is largest).
            let k = (rng.next_u64() % 769) as f64 + if i & 16 == 0 { 0.0 } else { 0.5 };
            let x = k / 128.0 + rng.uniform(-1e-9, 1e-9);
            if i & 8 == 0 { x } else { -x }
        }
    }
}

/// Whether the FMA flavours can run here (every aarch64 CPU has FMA).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("fma");
    #[cfg(target_arch = "aarch64")]
    return true;
}

#[test]
fn erf_step_within_its_ulp_bound() {
    let (err, at) = worst_ulp(&mut erf_step_inputs, &fast::erf_step, &libm::erf);
    println!("fast::erf_step: max error {err} ulp at {at:e}");
    assert!(err <= ERF_STEP_ULP, "fast::erf_step: {err} ulp at {at:e}");
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    if has_fma() {
        // SAFETY: the CPU has FMA (checked just above; every aarch64 CPU has it).
        let fused = |x| unsafe { fast::erf_step_fma(x) };
        let (err, at) = worst_ulp(&mut erf_step_inputs, &fused, &libm::erf);
        println!("fast::erf_step_fma: max error {err} ulp at {at:e}");
        assert!(
            err <= ERF_STEP_ULP,
            "fast::erf_step_fma: {err} ulp at {at:e}"
        );
        // A real bound, not a loose one.
        assert!(
            err >= ERF_STEP_ULP - 1,
            "fast::erf_step_fma: only {err} ulp; tighten the accuracy table"
        );
    }
}

#[test]
fn erf_step_special_values_and_symmetry() {
    let f = fast::erf_step;
    assert_eq!(f(0.0).to_bits(), 0.0f64.to_bits());
    assert_eq!(f(-0.0).to_bits(), (-0.0f64).to_bits());
    assert_eq!((f(f64::INFINITY), f(f64::NEG_INFINITY)), (1.0, -1.0));
    assert_eq!((f(6.0), f(30.0), f(f64::MAX)), (1.0, 1.0, 1.0));
    assert!(f(f64::NAN).is_nan());
    // Tiny arguments keep their relative accuracy (erf x = 2x/sqrt(pi) there).
    for x in [1e-300, 1e-20, 1e-8, f64::from_bits(1) * 1e10] {
        let rel = (f(x) - libm::erf(x)).abs() / libm::erf(x);
        assert!(rel < 3e-16, "{x:e}: {rel:e}");
    }
    let mut rng = Rng(9);
    for i in 0..100_000 {
        let x = erf_step_inputs(&mut rng, i);
        assert_eq!(f(-x).to_bits(), (-f(x)).to_bits(), "{x:e}");
        assert!(f(x).abs() <= 1.0, "{x:e}");
    }
}

/// The AVX2 flavour of `erf_step`, lane for lane, gives the bits of the FMA one.
#[cfg(target_arch = "x86_64")]
#[test]
fn erf_step_avx2_matches_erf_step_fma_bit_for_bit() {
    avx2_matches_fma!(fast::erf_step_avx2, fast::erf_step_fma, seed: 13,
        extra: [f64::NAN, -f64::NAN, 1.0 / 256.0, 6.0 - 1.0 / 256.0],
        inputs: erf_step_inputs, pad: 0.5, any_nan: false);
}

fn log10_inputs(rng: &mut Rng, i: usize) -> f64 {
    match i % 6 {
        0 => rng.positive_bits(),
        1 => rng.uniform(0.5, 2.0),
        2 => 1.0 + rng.uniform(-1e-3, 1e-3),
        3 => f64::from_bits(1 + rng.next_u64() % ((1 << 52) - 1)), // subnormal
        4 => {
            // Near a piece boundary or the fold, in a random binade.
            let k = (rng.next_u64() % 33) as f64;
            let m = 1.0 + k / 32.0 + rng.uniform(-1e-9, 1e-9);
            m * f64::from_bits((rng.next_u64() % 200 + 923) << 52)
        }
        _ => rng.log_uniform(-1022, 1023).abs(),
    }
}

/// Largest ulp error of `f` against `reference` over the inputs and edges.
fn worst_ulp(
    inputs: &mut dyn FnMut(&mut Rng, usize) -> f64,
    f: &dyn Fn(f64) -> f64,
    reference: &dyn Fn(f64) -> f64,
) -> (u64, f64) {
    let mut rng = Rng(0x10_910);
    let mut worst = (0, 0.0);
    let points = (0..POINTS).map(|i| inputs(&mut rng, i));
    for x in edges().into_iter().chain(points) {
        let err = ulp_distance(f(x), reference(x));
        if err > worst.0 {
            worst = (err, x);
        }
    }
    worst
}

#[test]
fn log10_within_its_ulp_bound() {
    let (err, at) = worst_ulp(&mut log10_inputs, &fast::log10, &libm::log10);
    println!("fast::log10: max error {err} ulp at {at:e}");
    assert!(err <= LOG10_ULP, "fast::log10: {err} ulp at {at:e}");
    assert!(
        err >= LOG10_ULP - 1,
        "fast::log10: only {err} ulp; tighten the accuracy table"
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA (checked just above).
        let fused = |x| unsafe { fast::log10_fma(x) };
        let (err, at) = worst_ulp(&mut log10_inputs, &fused, &libm::log10);
        println!("fast::log10_fma: max error {err} ulp at {at:e}");
        assert!(err <= LOG10_ULP, "fast::log10_fma: {err} ulp at {at:e}");
    }
}

/// `fast::ln_atanh` and `fast::log10_atanh` (and their FMA flavours) within
/// their rows, over the same inputs as `fast::log10`.
#[test]
fn atanh_logarithms_within_their_ulp_bounds() {
    type Row = (&'static str, fn(f64) -> f64, fn(f64) -> f64, u64);
    let rows: [Row; 2] = [
        ("ln_atanh", fast::ln_atanh, libm::log, LN_ATANH_ULP),
        (
            "log10_atanh",
            fast::log10_atanh,
            libm::log10,
            LOG10_ATANH_ULP,
        ),
    ];
    for (name, f, reference, bound) in rows {
        let (err, at) = worst_ulp(&mut log10_inputs, &f, &reference);
        println!("fast::{name}: max error {err} ulp at {at:e}");
        assert!(err <= bound, "fast::{name}: {err} ulp at {at:e}");
        assert!(
            err >= bound - 1,
            "fast::{name}: only {err} ulp; tighten the accuracy table"
        );
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA (checked just above).
        let fused: [Row; 2] = unsafe {
            [
                (
                    "ln_atanh_fma",
                    |x| fast::ln_atanh_fma(x),
                    libm::log,
                    LN_ATANH_ULP,
                ),
                (
                    "log10_atanh_fma",
                    |x| fast::log10_atanh_fma(x),
                    libm::log10,
                    LOG10_ATANH_ULP,
                ),
            ]
        };
        for (name, f, reference, bound) in fused {
            let (err, at) = worst_ulp(&mut log10_inputs, &f, &reference);
            println!("fast::{name}: max error {err} ulp at {at:e}");
            assert!(err <= bound, "fast::{name}: {err} ulp at {at:e}");
        }
    }
}

#[test]
fn ln_atanh_special_values() {
    let f = fast::ln_atanh;
    assert_eq!(f(1.0).to_bits(), 0.0f64.to_bits());
    assert_eq!(f(0.0), f64::NEG_INFINITY);
    assert_eq!(f(-0.0), f64::NEG_INFINITY);
    assert_eq!(f(f64::INFINITY), f64::INFINITY);
    for x in [
        -1.0,
        -1e-300,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::from_bits(1),
    ] {
        assert!(f(x).is_nan(), "{x:e}");
    }
    assert_eq!(f(f64::from_bits(1)), libm::log(f64::from_bits(1)));
    assert_eq!(f(f64::MAX), libm::log(f64::MAX));
}

#[test]
fn log10_special_values() {
    for f in [fast::log10 as fn(f64) -> f64, fast::log10_atanh] {
        assert_eq!(f(1.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(f(0.0), f64::NEG_INFINITY);
        assert_eq!(f(-0.0), f64::NEG_INFINITY);
        assert_eq!(f(f64::INFINITY), f64::INFINITY);
        for x in [
            -1.0,
            -1e-300,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::from_bits(1),
        ] {
            assert!(f(x).is_nan(), "{x:e}");
        }
        assert_eq!(f(1e10), 10.0);
        assert_eq!(f(1e-5), -5.0);
        assert_eq!(f(f64::from_bits(1)), libm::log10(f64::from_bits(1)));
    }
}

/// The AVX-512 flavour of `log10`, lane for lane, gives the bits of the FMA one
/// (any NaN for NaN), special values included.
#[cfg(target_arch = "x86_64")]
#[test]
fn log10_avx512_matches_log10_fma_bit_for_bit() {
    avx512_matches_fma!(fast::log10_avx512, fast::log10_fma, seed: 13,
        extra: [f64::NAN, -2.5, -f64::from_bits(3), f64::from_bits(12345)],
        inputs: log10_inputs, pad: 2.0, any_nan: true);
}

fn exp_inputs(rng: &mut Rng, i: usize) -> f64 {
    match i % 5 {
        0 | 1 => rng.uniform(-5.0, 5.0),
        2 => rng.uniform(-745.2, 709.8),
        3 => rng.uniform(-745.2, -707.0), // subnormal results
        _ => rng.log_uniform(-1022, 9),
    }
}

#[test]
fn exp_within_its_ulp_bound() {
    let (err, at) = worst_ulp(&mut exp_inputs, &fast::exp, &libm::exp);
    println!("fast::exp: max error {err} ulp at {at:e}");
    assert!(err <= EXP_ULP, "fast::exp: {err} ulp at {at:e}");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA (checked just above).
        let fused = |x| unsafe { fast::exp_fma(x) };
        let (err, at) = worst_ulp(&mut exp_inputs, &fused, &libm::exp);
        println!("fast::exp_fma: max error {err} ulp at {at:e}");
        assert!(err <= EXP_ULP, "fast::exp_fma: {err} ulp at {at:e}");
    }
}

#[test]
fn exp_special_values() {
    assert_eq!(fast::exp(0.0), 1.0);
    assert_eq!(fast::exp(-0.0), 1.0);
    assert_eq!(fast::exp(f64::INFINITY), f64::INFINITY);
    assert_eq!(fast::exp(f64::NEG_INFINITY), 0.0);
    assert_eq!(fast::exp(709.8), f64::INFINITY);
    assert_eq!(fast::exp(-745.2), 0.0);
    assert_eq!(fast::exp(-745.0), f64::from_bits(1));
    assert!(fast::exp(f64::NAN).is_nan());
    assert_eq!(fast::exp(-708.5), libm::exp(-708.5));
}

/// The AVX-512 flavour of `exp`, lane for lane, gives the bits of the FMA one.
#[cfg(target_arch = "x86_64")]
#[test]
fn exp_avx512_matches_exp_fma_bit_for_bit() {
    avx512_matches_fma!(fast::exp_avx512, fast::exp_fma, seed: 17,
        extra: [f64::NAN, 709.78, -745.13, -708.4, 1e-300],
        inputs: exp_inputs, pad: 0.5, any_nan: true);
}

/// The AVX2 flavour of `exp`, lane for lane, gives the bits of the FMA one.
#[cfg(target_arch = "x86_64")]
#[test]
fn exp_avx2_matches_exp_fma_bit_for_bit() {
    avx2_matches_fma!(fast::exp_avx2, fast::exp_fma, seed: 23,
        extra: [f64::NAN, 709.78, -745.13, -708.4, 1e-300, -1022.5 * std::f64::consts::LN_2],
        inputs: exp_inputs, pad: 0.5, any_nan: true);
}

/// Every `fast::` row of the accuracy table is one this file checks, so a row
/// added without a test fails here.
#[test]
fn every_fast_row_is_checked_here() {
    let rows: Vec<&str> = precision::ACCURACY
        .iter()
        .map(|a| a.function)
        .filter(|f| f.starts_with("fast::"))
        .collect();
    assert_eq!(
        rows,
        [
            "fast::exp",
            "fast::log10",
            "fast::erf",
            "fast::erf_step",
            "fast::ln_atanh",
            "fast::log10_atanh"
        ]
    );
}
