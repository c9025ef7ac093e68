//! Accuracy of `accel_core::math` against the `libm` crate, in ulps.
//!
//! Each function is evaluated at 12 million points (plus edge values) spread over
//! its whole domain: uniform in value over the interesting range, uniform in bit
//! pattern (so every binade, tiny and subnormal arguments included, gets its
//! share) and dense around the places where the algorithms switch method. The
//! maximum error is asserted against the function's row of the accuracy table
//! (`accel_core::math::precision`), which the function docs link to.
//!
//! f64 results are compared with libm's f64 result as an integer ulp distance
//! (libm itself is within about half an ulp, so this measures our error plus
//! theirs). f32 results are compared with libm's *f64* value, which is exact at
//! f32 scale, as a fractional f32 ulp error. On CPUs with FMA the `math::fma`
//! flavours are held to the same bounds.

mod math_common;

use accel_core::math;
use accel_core::math::precision::{self, Accuracy};
use math_common::{Rng, pow2, ulp_distance};

/// Points per function (the docs say 1.2e7).
const POINTS: usize = 12_000_000;
/// Points for the FMA flavour of each function, which shares the algorithm.
const FUSED_POINTS: usize = 4_000_000;

/// The bound of a row in ulps (every row this file checks has one).
fn max_ulp(row: &Accuracy) -> f64 {
    row.bound
        .max_ulp()
        .unwrap_or_else(|| panic!("{}: not an ulp bound", row.function))
}

/// Error of an f32 result against an exact(ish) f64 value, in f32 ulps of the value.
fn f32_error(got: f32, want: f64) -> f64 {
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let rounded = want as f32;
    if rounded.is_infinite() || want.is_infinite() {
        return if got == rounded { 0.0 } else { f64::INFINITY };
    }
    let exponent = ((want.abs().to_bits() >> 52) as i32 - 1023).max(-126);
    let ulp = pow2(exponent - 23);
    (f64::from(got) - want).abs() / ulp
}

/// Largest error seen and where.
struct Worst<T> {
    error: T,
    at: f64,
}

fn measure_f64(
    name: &str,
    points: usize,
    inputs: &mut dyn FnMut(&mut Rng, usize) -> f64,
    f: &dyn Fn(f64) -> f64,
    reference: &dyn Fn(f64) -> f64,
    edges: &[f64],
) -> Worst<u64> {
    let mut rng = Rng(0x5eed_0000 ^ name.len() as u64);
    let mut worst = Worst { error: 0, at: 0.0 };
    let mut check = |x: f64| {
        let error = ulp_distance(f(x), reference(x));
        if error > worst.error {
            worst = Worst { error, at: x };
        }
    };
    edges.iter().copied().for_each(&mut check);
    for i in 0..points {
        check(inputs(&mut rng, i));
    }
    worst
}

fn measure_f32(
    name: &str,
    points: usize,
    inputs: &mut dyn FnMut(&mut Rng, usize) -> f32,
    f: &dyn Fn(f32) -> f32,
    reference: &dyn Fn(f64) -> f64,
    edges: &[f32],
) -> Worst<f64> {
    let mut rng = Rng(0xf32_0000 ^ name.len() as u64);
    let mut worst = Worst {
        error: 0.0,
        at: 0.0,
    };
    let mut check = |x: f32| {
        let error = f32_error(f(x), reference(f64::from(x)));
        if error > worst.error {
            worst = Worst {
                error,
                at: f64::from(x),
            };
        }
    };
    edges.iter().copied().for_each(&mut check);
    for i in 0..points {
        check(inputs(&mut rng, i));
    }
    worst
}

/// Asserts an integer ulp distance from libm's f64 result against `row`.
fn assert_f64(name: &str, worst: Worst<u64>, row: &Accuracy, f: &dyn Fn(f64) -> f64) {
    assert_eq!(row.reference, precision::Reference::Libm, "{name}");
    let bound = max_ulp(row);
    println!(
        "{name}: max error {} ulp at x = {:e}",
        worst.error, worst.at
    );
    assert!(
        worst.error as f64 <= bound,
        "{name}: {} ulp > {bound} ulp at x = {:e} ({:e})",
        worst.error,
        worst.at,
        f(worst.at)
    );
}

/// Asserts a fractional f32 ulp error against the exact value (libm in f64)
/// against `row`; `slack` allows for the reference's own rounding.
fn assert_f32(name: &str, worst: Worst<f64>, row: &Accuracy, slack: f64) {
    assert_eq!(row.reference, precision::Reference::LibmF64, "{name}");
    let bound = max_ulp(row) + slack;
    println!(
        "{name}: max error {:.4} ulp at x = {:e}",
        worst.error, worst.at
    );
    assert!(
        worst.error <= bound,
        "{name}: {} ulp > {bound} ulp at x = {:e}",
        worst.error,
        worst.at
    );
}

/// Whether the `math::fma` flavours can run here.
fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    let found = std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    let found = false;
    found
}

const EXP_EDGES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    709.782712893384,
    709.7827128933841,
    710.0,
    -708.3964185322641,
    -708.4,
    -744.4400719213812,
    -745.1332191019411,
    -745.1332191019412,
    -746.0,
    1e-300,
    -1e-300,
    5e-324,
    f64::MAX,
    f64::MIN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

fn exp_inputs(rng: &mut Rng, i: usize) -> f64 {
    match i % 4 {
        0 => rng.uniform(-746.0, 710.0),
        1 => rng.log_uniform(-60, 9),
        2 => rng.uniform(-5.0, 5.0),
        _ => rng.uniform(-746.0, -700.0), // subnormal results
    }
}

#[test]
fn exp_f64() {
    let worst = measure_f64(
        "exp",
        POINTS,
        &mut exp_inputs,
        &math::exp,
        &libm::exp,
        EXP_EDGES,
    );
    assert_f64("exp", worst, &precision::EXP, &math::exp);
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has FMA (checked just above).
        let fused = |x| unsafe { math::fma::exp(x) };
        let worst = measure_f64(
            "exp",
            FUSED_POINTS,
            &mut exp_inputs,
            &fused,
            &libm::exp,
            EXP_EDGES,
        );
        assert_f64("fma::exp", worst, &precision::EXP, &fused);
    }
}

const LOG_EDGES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.0,
    0.5,
    10.0,
    0.1,
    1e-300,
    5e-324,
    1e-310,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    f64::MAX,
    f64::MIN,
    std::f64::consts::FRAC_1_SQRT_2,
    f64::from_bits(std::f64::consts::FRAC_1_SQRT_2.to_bits() - 1),
    std::f64::consts::SQRT_2,
    f64::from_bits(std::f64::consts::SQRT_2.to_bits() - 1),
    1.0000000000000002,
    0.9999999999999999,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

fn log_inputs(rng: &mut Rng, i: usize) -> f64 {
    match i % 6 {
        0 | 1 => rng.positive_bits(),
        2 => rng.uniform(0.5, 2.0),
        3 => rng.uniform(0.0, 1000.0),
        4 => 1.0 + rng.log_uniform(-60, -4),
        _ => rng.subnormal(),
    }
}

#[test]
fn ln_f64() {
    let worst = measure_f64(
        "ln",
        POINTS,
        &mut log_inputs,
        &math::ln,
        &libm::log,
        LOG_EDGES,
    );
    assert_f64("ln", worst, &precision::LN, &math::ln);
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has FMA (checked just above).
        let fused = |x| unsafe { math::fma::ln(x) };
        let worst = measure_f64(
            "ln",
            FUSED_POINTS,
            &mut log_inputs,
            &fused,
            &libm::log,
            LOG_EDGES,
        );
        assert_f64("fma::ln", worst, &precision::LN, &fused);
    }
}

#[test]
fn log10_f64() {
    let worst = measure_f64(
        "log10",
        POINTS,
        &mut log_inputs,
        &math::log10,
        &libm::log10,
        LOG_EDGES,
    );
    assert_f64("log10", worst, &precision::LOG10, &math::log10);
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has FMA (checked just above).
        let fused = |x| unsafe { math::fma::log10(x) };
        let worst = measure_f64(
            "log10",
            FUSED_POINTS,
            &mut log_inputs,
            &fused,
            &libm::log10,
            LOG_EDGES,
        );
        assert_f64("fma::log10", worst, &precision::LOG10, &fused);
    }
}

const ERF_EDGES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.9999999999999999,
    1.0000000000000002,
    5.9,
    5.92,
    5.93,
    6.0,
    6.1,
    -6.0,
    1e-300,
    5e-324,
    -5e-324,
    1e-310,
    f64::MAX,
    f64::MIN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

fn erf_inputs(rng: &mut Rng, i: usize) -> f64 {
    match i % 5 {
        0 | 1 => rng.uniform(-6.5, 6.5),
        2 => rng.log_uniform(-80, 3),
        3 => rng.uniform(0.8, 1.2) * if i & 1 == 0 { 1.0 } else { -1.0 },
        _ => rng.log_uniform(-1074, 3),
    }
}

#[test]
fn erf_f64() {
    let worst = measure_f64(
        "erf",
        POINTS,
        &mut erf_inputs,
        &math::erf,
        &libm::erf,
        ERF_EDGES,
    );
    assert_f64("erf", worst, &precision::ERF, &math::erf);
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU has FMA (checked just above).
        let fused = |x| unsafe { math::fma::erf(x) };
        let worst = measure_f64(
            "erf",
            FUSED_POINTS,
            &mut erf_inputs,
            &fused,
            &libm::erf,
            ERF_EDGES,
        );
        assert_f64("fma::erf", worst, &precision::ERF, &fused);
    }
}

#[test]
fn sqrt_f64_is_exact() {
    let inputs = &mut |rng: &mut Rng, i: usize| {
        if i & 1 == 0 {
            rng.positive_bits()
        } else {
            rng.uniform(0.0, 100.0)
        }
    };
    let edges = [
        0.0,
        -0.0,
        -1.0,
        5e-324,
        f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let worst = measure_f64("sqrt", POINTS, inputs, &math::sqrt, &libm::sqrt, &edges);
    // libm's sqrt is correctly rounded too: a correctly rounded result is 0 ulp
    // from it.
    assert_f64("sqrt", worst, &precision::SQRT, &math::sqrt);
}

fn f32_inputs(lo: f32, hi: f32, min_exp: i32, max_exp: i32) -> impl FnMut(&mut Rng, usize) -> f32 {
    move |rng: &mut Rng, i: usize| match i % 3 {
        0 => rng.uniform(f64::from(lo), f64::from(hi)) as f32,
        1 => rng.log_uniform(min_exp, max_exp) as f32,
        _ => f32::from_bits(rng.next_u64() as u32),
    }
}

const F32_EDGES: &[f32] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    10.0,
    88.72283,
    88.72284,
    89.0,
    -87.33655,
    -103.27893,
    -103.97208,
    -104.0,
    1e-45,
    1e-40,
    1.1754942e-38,
    f32::MAX,
    f32::MIN,
    3.9,
    3.92,
    4.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
];

/// Runs one f32 function (and its FMA flavour, where the CPU has FMA) over the
/// spread inputs.
fn check_f32(
    name: &str,
    f: fn(f32) -> f32,
    fused: Option<unsafe fn(f32) -> f32>,
    reference: fn(f64) -> f64,
    range: (f32, f32),
    row: &Accuracy,
) {
    let mut inputs = f32_inputs(range.0, range.1, -140, 7);
    let worst = measure_f32(name, POINTS, &mut inputs, &f, &reference, F32_EDGES);
    assert_f32(name, worst, row, 0.0);
    if let Some(fused) = fused.filter(|_| has_fma()) {
        // SAFETY: the CPU has FMA (checked by the filter above).
        let g = |x| unsafe { fused(x) };
        let mut inputs = f32_inputs(range.0, range.1, -140, 7);
        let worst = measure_f32(name, FUSED_POINTS, &mut inputs, &g, &reference, F32_EDGES);
        assert_f32(&format!("fma::{name}"), worst, row, 0.0);
    }
}

/// The FMA flavour of an f32 function, where the target has one.
macro_rules! fused_f32 {
    ($name:ident) => {{
        #[cfg(target_arch = "x86_64")]
        let fused = Some(math::fma::$name as unsafe fn(f32) -> f32);
        #[cfg(not(target_arch = "x86_64"))]
        let fused = None;
        fused
    }};
}

#[test]
fn expf_f32() {
    check_f32(
        "expf",
        math::expf,
        fused_f32!(expf),
        libm::exp,
        (-104.0, 89.0),
        &precision::EXPF,
    );
}

#[test]
fn lnf_f32() {
    check_f32(
        "lnf",
        math::lnf,
        fused_f32!(lnf),
        libm::log,
        (0.0, 4.0),
        &precision::LNF,
    );
}

#[test]
fn log10f_f32() {
    check_f32(
        "log10f",
        math::log10f,
        fused_f32!(log10f),
        libm::log10,
        (0.0, 1000.0),
        &precision::LOG10F,
    );
}

#[test]
fn erff_f32() {
    check_f32(
        "erff",
        math::erff,
        fused_f32!(erff),
        libm::erf,
        (-4.5, 4.5),
        &precision::ERFF,
    );
}

#[test]
fn sqrtf_f32_is_exact() {
    let mut inputs = f32_inputs(0.0, 100.0, -149, 127);
    let worst = measure_f32(
        "sqrtf",
        POINTS,
        &mut inputs,
        &math::sqrtf,
        &libm::sqrt,
        F32_EDGES,
    );
    // Correct rounding: at most half an ulp from the root (the f64 reference is off by
    // at most 2^-30 f32 ulp).
    assert_f32("sqrtf", worst, &precision::SQRTF, 1e-8);
}

/// Every row of the accuracy table outside `fast::` is one this file checks, so a
/// row added without a test fails here.
#[test]
fn every_row_outside_fast_is_checked_here() {
    let checked = [
        precision::EXP,
        precision::EXPF,
        precision::LN,
        precision::LNF,
        precision::LOG10,
        precision::LOG10F,
        precision::ERF,
        precision::ERFF,
        precision::SQRT,
        precision::SQRTF,
    ];
    let rows: Vec<&str> = precision::ACCURACY
        .iter()
        .map(|a| a.function)
        .filter(|f| !f.starts_with("fast::"))
        .collect();
    let names: Vec<&str> = checked.iter().map(|a| a.function).collect();
    assert_eq!(rows, names);
}
