//! Accuracy of `accel_core::math` against the `libm` crate, in ulps.
//!
//! Each function is evaluated at 12 million points (plus edge values) spread over
//! its whole domain: uniform in value over the interesting range, uniform in bit
//! pattern (so every binade, tiny and subnormal arguments included, gets its
//! share) and dense around the places where the algorithms switch method. The
//! maximum error is asserted against the bound stated in each function's doc.
//!
//! f64 results are compared with libm's f64 result as an integer ulp distance
//! (libm itself is within about half an ulp, so this measures our error plus
//! theirs). f32 results are compared with libm's *f64* value, which is exact at
//! f32 scale, as a fractional f32 ulp error. On CPUs with FMA the `math::fma`
//! flavours are held to the same bounds.

mod math_common;

use accel_core::math;
use math_common::{Rng, pow2, ulp_distance};

/// Points per function (the docs say 1.2e7).
const POINTS: usize = 12_000_000;
/// Points for the FMA flavour of each function, which shares the algorithm.
const FUSED_POINTS: usize = 4_000_000;

/// Stated bounds (keep in sync with the function docs).
const EXP_ULP: u64 = 1;
const LN_ULP: u64 = 1;
const LOG10_ULP: u64 = 1;
const ERF_ULP: u64 = 1;
/// The f32 functions compute in f32 arithmetic: fractional ulp bounds.
const EXPF_ULP: f64 = 1.0;
const LNF_ULP: f64 = 1.0;
const LOG10F_ULP: f64 = 1.0;
const ERFF_ULP: f64 = 1.5;

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

fn assert_f64(name: &str, worst: Worst<u64>, bound: u64, f: &dyn Fn(f64) -> f64) {
    println!(
        "{name}: max error {} ulp at x = {:e}",
        worst.error, worst.at
    );
    assert!(
        worst.error <= bound,
        "{name}: {} ulp > {bound} ulp at x = {:e} ({:e})",
        worst.error,
        worst.at,
        f(worst.at)
    );
}

fn assert_f32(name: &str, worst: Worst<f64>, bound: f64) {
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
    assert_f64("exp", worst, EXP_ULP, &math::exp);
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
        assert_f64("fma::exp", worst, EXP_ULP, &fused);
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
    assert_f64("ln", worst, LN_ULP, &math::ln);
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
        assert_f64("fma::ln", worst, LN_ULP, &fused);
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
    assert_f64("log10", worst, LOG10_ULP, &math::log10);
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
        assert_f64("fma::log10", worst, LOG10_ULP, &fused);
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
    assert_f64("erf", worst, ERF_ULP, &math::erf);
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
        assert_f64("fma::erf", worst, ERF_ULP, &fused);
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
    assert_f64("sqrt", worst, 0, &math::sqrt);
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
    bound: f64,
) {
    let mut inputs = f32_inputs(range.0, range.1, -140, 7);
    let worst = measure_f32(name, POINTS, &mut inputs, &f, &reference, F32_EDGES);
    assert_f32(name, worst, bound);
    if let Some(fused) = fused.filter(|_| has_fma()) {
        // SAFETY: the CPU has FMA (checked by the filter above).
        let g = |x| unsafe { fused(x) };
        let mut inputs = f32_inputs(range.0, range.1, -140, 7);
        let worst = measure_f32(name, FUSED_POINTS, &mut inputs, &g, &reference, F32_EDGES);
        assert_f32(&format!("fma::{name}"), worst, bound);
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
        EXPF_ULP,
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
        LNF_ULP,
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
        LOG10F_ULP,
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
        ERFF_ULP,
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
    println!(
        "sqrtf: max error {:.4} ulp at x = {:e}",
        worst.error, worst.at
    );
    // Correct rounding: at most half an ulp from the root (the f64 reference is off by
    // at most 2^-30 f32 ulp).
    assert!(
        worst.error <= 0.5 + 1e-8,
        "sqrtf: {} ulp at {:e}",
        worst.error,
        worst.at
    );
}
