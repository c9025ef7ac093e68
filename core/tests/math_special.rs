//! Special values, symmetries and vectorisation invariance of `accel_core::math`.
//!
//! The ulp sweeps in `math_ulp.rs` cover ordinary arguments; this file pins the IEEE
//! special cases one by one (NaN, ±inf, ±0, overflow, underflow, subnormals), checks
//! identities that must hold exactly, and checks that a loop compiled for AVX2 or
//! AVX-512 gives bit-identical results to scalar calls, for the plain and the FMA
//! flavours. LLVM vectorises those loops in optimised builds only, so the last test
//! checks vectorised code under `cargo test --release` (the test profile's
//! opt-level 1 still checks the ISA-specific scalar code).

use accel_core::math;
use proptest::prelude::*;

/// One f64 function in both flavours (the FMA one only where the CPU has FMA).
fn flavours_f64(
    plain: fn(f64) -> f64,
    fused: Option<unsafe fn(f64) -> f64>,
) -> Vec<Box<dyn Fn(f64) -> f64>> {
    let mut out: Vec<Box<dyn Fn(f64) -> f64>> = vec![Box::new(plain)];
    if let Some(fused) = fused.filter(|_| has_fma()) {
        // SAFETY: the CPU has FMA (checked by the filter above).
        out.push(Box::new(move |x| unsafe { fused(x) }));
    }
    out
}

/// One f32 function in both flavours.
fn flavours_f32(
    plain: fn(f32) -> f32,
    fused: Option<unsafe fn(f32) -> f32>,
) -> Vec<Box<dyn Fn(f32) -> f32>> {
    let mut out: Vec<Box<dyn Fn(f32) -> f32>> = vec![Box::new(plain)];
    if let Some(fused) = fused.filter(|_| has_fma()) {
        // SAFETY: the CPU has FMA (checked by the filter above).
        out.push(Box::new(move |x| unsafe { fused(x) }));
    }
    out
}

fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    let found = std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    let found = false;
    found
}

/// The FMA flavour of a function, where the target has one.
macro_rules! fused {
    ($name:ident, $t:ty) => {{
        #[cfg(target_arch = "x86_64")]
        let fused = Some(math::fma::$name as unsafe fn($t) -> $t);
        #[cfg(not(target_arch = "x86_64"))]
        let fused = None;
        fused
    }};
}

/// Same value, and same sign for zeros; any NaN matches any NaN.
fn same64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn same32(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn expect64(name: &str, f: &dyn Fn(f64) -> f64, cases: &[(f64, f64)]) {
    for &(x, want) in cases {
        let got = f(x);
        assert!(same64(got, want), "{name}({x:e}) = {got:e}, want {want:e}");
    }
}

fn expect32(name: &str, f: &dyn Fn(f32) -> f32, cases: &[(f32, f32)]) {
    for &(x, want) in cases {
        let got = f(x);
        assert!(same32(got, want), "{name}({x:e}) = {got:e}, want {want:e}");
    }
}

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;
const TINY: f64 = 5e-324;

#[test]
fn exp_special_values() {
    for f in flavours_f64(math::exp, fused!(exp, f64)) {
        expect64(
            "exp",
            &f,
            &[
                (NAN, NAN),
                (INF, INF),
                (-INF, 0.0),
                (0.0, 1.0),
                (-0.0, 1.0),
                (709.79, INF),
                (1000.0, INF),
                (f64::MAX, INF),
                (-746.0, 0.0),
                (-1000.0, 0.0),
                (f64::MIN, 0.0),
                (-745.1332191019411, TINY), // rounds up to the least subnormal
                (1e-300, 1.0),
                (-1e-300, 1.0),
            ],
        );
        // Largest finite result, and subnormal results are graded, not flushed.
        assert!(f(709.782712893384).is_finite());
        let sub = f(-720.0);
        assert!(sub > 0.0 && sub < f64::MIN_POSITIVE, "exp(-720) = {sub:e}");
        assert!(f(-740.0) < sub && f(-740.0) > 0.0);
    }
    for f in flavours_f32(math::expf, fused!(expf, f32)) {
        expect32(
            "expf",
            &f,
            &[
                (f32::NAN, f32::NAN),
                (f32::INFINITY, f32::INFINITY),
                (f32::NEG_INFINITY, 0.0),
                (0.0, 1.0),
                (-0.0, 1.0),
                (88.73, f32::INFINITY),
                (-104.0, 0.0),
                (-103.5, 1e-45),
            ],
        );
        let sub = f(-95.0);
        assert!(sub > 0.0 && sub < f32::MIN_POSITIVE, "expf(-95) = {sub:e}");
    }
}

#[test]
fn log_special_values() {
    for f in flavours_f64(math::ln, fused!(ln, f64)) {
        expect64(
            "ln",
            &f,
            &[
                (NAN, NAN),
                (INF, INF),
                (-INF, NAN),
                (-1.0, NAN),
                (-TINY, NAN),
                (0.0, -INF),
                (-0.0, -INF),
                (1.0, 0.0),
                (2.0, std::f64::consts::LN_2),
                (0.5, -std::f64::consts::LN_2),
            ],
        );
        // Subnormal inputs are computed, not treated as zero.
        let l = f(TINY);
        assert!((l - -744.4400719213812).abs() < 1e-12, "ln(5e-324) = {l}");
    }
    for f in flavours_f64(math::log10, fused!(log10, f64)) {
        expect64(
            "log10",
            &f,
            &[
                (NAN, NAN),
                (INF, INF),
                (-INF, NAN),
                (-1.0, NAN),
                (0.0, -INF),
                (-0.0, -INF),
                (1.0, 0.0),
                (2.0, std::f64::consts::LOG10_2),
            ],
        );
        // Exact powers of ten give exact integers.
        let mut p = 1.0;
        for k in 0..=22 {
            assert_eq!(f(p), f64::from(k), "log10(1e{k})");
            assert_eq!(f(1.0 / p), -f64::from(k), "log10(1e-{k})");
            p *= 10.0;
        }
        let l = f(TINY);
        assert!(
            (l - -323.3062153431158).abs() < 1e-12,
            "log10(5e-324) = {l}"
        );
    }
    let f32_cases = [
        (f32::NAN, f32::NAN),
        (f32::INFINITY, f32::INFINITY),
        (f32::NEG_INFINITY, f32::NAN),
        (-1.0, f32::NAN),
        (0.0, f32::NEG_INFINITY),
        (-0.0, f32::NEG_INFINITY),
        (1.0, 0.0),
    ];
    for f in flavours_f32(math::lnf, fused!(lnf, f32)) {
        expect32("lnf", &f, &f32_cases);
        expect32(
            "lnf",
            &f,
            &[
                (2.0, std::f32::consts::LN_2),
                (1e-45, libm::log(1e-45f32.into()) as f32),
            ],
        );
    }
    for f in flavours_f32(math::log10f, fused!(log10f, f32)) {
        expect32("log10f", &f, &f32_cases);
        expect32(
            "log10f",
            &f,
            &[
                (10.0, 1.0),
                (1000.0, 3.0),
                (1e-45, libm::log10(1e-45f32.into()) as f32),
            ],
        );
    }
}

#[test]
fn erf_special_values() {
    for f in flavours_f64(math::erf, fused!(erf, f64)) {
        expect64(
            "erf",
            &f,
            &[
                (NAN, NAN),
                (INF, 1.0),
                (-INF, -1.0),
                (0.0, 0.0),
                (-0.0, -0.0),
                (6.0, 1.0),
                (-6.0, -1.0),
                (5.95, 1.0),
                (1e10, 1.0),
                (f64::MAX, 1.0),
                (f64::MIN, -1.0),
                (TINY, TINY), // 2/sqrt(pi) * 5e-324 rounds back to 5e-324
                (-TINY, -TINY),
            ],
        );
        // Just below 1 before it saturates.
        assert!(f(5.8) < 1.0);
    }
    for f in flavours_f32(math::erff, fused!(erff, f32)) {
        expect32(
            "erff",
            &f,
            &[
                (f32::NAN, f32::NAN),
                (f32::INFINITY, 1.0),
                (f32::NEG_INFINITY, -1.0),
                (0.0, 0.0),
                (-0.0, -0.0),
                (4.0, 1.0),
                (-10.0, -1.0),
            ],
        );
        assert!(f(3.8) < 1.0);
    }
}

#[test]
fn sqrt_special_values() {
    expect64(
        "sqrt",
        &math::sqrt,
        &[
            (NAN, NAN),
            (INF, INF),
            (-INF, NAN),
            (-1.0, NAN),
            (0.0, 0.0),
            (-0.0, -0.0),
            (4.0, 2.0),
        ],
    );
    expect32(
        "sqrtf",
        &math::sqrtf,
        &[
            (f32::NAN, f32::NAN),
            (f32::INFINITY, f32::INFINITY),
            (-1.0, f32::NAN),
            (-0.0, -0.0),
            (9.0, 3.0),
        ],
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// erf is odd, bit for bit, in both flavours.
    #[test]
    fn erf_is_odd(x in prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL, y in -7.0f64..7.0) {
        for f in flavours_f64(math::erf, fused!(erf, f64)) {
            for v in [x, y] {
                prop_assert!(same64(f(-v), -f(v)), "erf(-{v:e}) != -erf({v:e})");
            }
        }
        for f in flavours_f32(math::erff, fused!(erff, f32)) {
            let v = y as f32;
            prop_assert!(same32(f(-v), -f(v)));
        }
    }

    /// ln undoes exp to within their combined error.
    #[test]
    fn exp_ln_round_trip(x in -700.0f64..700.0) {
        let back = math::ln(math::exp(x));
        prop_assert!((back - x).abs() <= 4.0 * f64::EPSILON * x.abs().max(1.0), "ln(exp({x})) = {back}");
    }
}

/// Loops that LLVM vectorises, one per instruction set, for the invariance test.
#[cfg(target_arch = "x86_64")]
mod loops {
    use accel_core::math;

    pub type Set64 = [fn(f64) -> f64; 4];

    pub const F64_PLAIN: Set64 = [math::exp, math::ln, math::log10, math::erf];

    macro_rules! with_features {
        ($name:ident, $feat:literal, $f:ident, $t:ty) => {
            /// # Safety
            /// The CPU must support the named features.
            #[target_feature(enable = $feat)]
            pub unsafe fn $name(xs: &[$t], out: &mut [$t], which: usize) {
                match which {
                    0 => xs
                        .iter()
                        .zip(out.iter_mut())
                        .for_each(|(x, o)| *o = $f::exp(*x)),
                    1 => xs
                        .iter()
                        .zip(out.iter_mut())
                        .for_each(|(x, o)| *o = $f::ln(*x)),
                    2 => xs
                        .iter()
                        .zip(out.iter_mut())
                        .for_each(|(x, o)| *o = $f::log10(*x)),
                    _ => xs
                        .iter()
                        .zip(out.iter_mut())
                        .for_each(|(x, o)| *o = $f::erf(*x)),
                }
            }
        };
    }

    mod plain {
        pub use accel_core::math::{erf, exp, ln, log10};
    }

    /// The FMA flavours behind safe-looking names, for use inside FMA functions only.
    mod fused {
        macro_rules! wrap {
            ($($n:ident),*) => {$(
                #[inline(always)]
                pub fn $n(x: f64) -> f64 {
                    // SAFETY: only called from the `target_feature` loops below, which
                    // run only after the caller checked the CPU features (FMA included).
                    unsafe { accel_core::math::fma::$n(x) }
                }
            )*};
        }
        wrap!(exp, ln, log10, erf);
    }

    with_features!(plain_avx2, "avx2,fma", plain, f64);
    with_features!(plain_avx512, "avx512f", plain, f64);
    with_features!(fused_avx2, "avx2,fma", fused, f64);
    with_features!(fused_avx512, "avx512f", fused, f64);

    /// Scalar FMA flavour of function `which`.
    pub fn fused_scalar(which: usize) -> fn(f64) -> f64 {
        [fused::exp, fused::ln, fused::log10, fused::erf][which]
    }
}

/// Vectorised loops give the same bits as one call at a time.
#[cfg(target_arch = "x86_64")]
#[test]
fn vectorised_loops_match_scalar_calls() {
    let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let avx512 = is_x86_feature_detected!("avx512f");
    // Mixed magnitudes and specials, in an odd count so that loop tails run too.
    let mut xs: Vec<f64> = (0..4099)
        .map(|i| {
            let t = (i as f64 * 0.618_033_988_749_895).fract();
            match i % 4 {
                0 => (t - 0.5) * 12.0,
                1 => t * 1e3,
                2 => (t - 0.5) * 1500.0,
                _ => t * 1e-300,
            }
        })
        .collect();
    xs.extend([
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        -f64::INFINITY,
        TINY,
        f64::MAX,
    ]);
    let mut out = vec![0.0; xs.len()];
    for which in 0..4 {
        let plain = loops::F64_PLAIN[which];
        let check = |out: &[f64], f: &dyn Fn(f64) -> f64, label: &str| {
            for (x, got) in xs.iter().zip(out) {
                let want = f(*x);
                assert!(
                    same64(*got, want),
                    "{label} #{which}: f({x:e}) = {got:e} vs scalar {want:e}"
                );
            }
        };
        if avx2 {
            // SAFETY: AVX2 and FMA were detected above.
            unsafe { loops::plain_avx2(&xs, &mut out, which) };
            check(&out, &plain, "avx2");
            // SAFETY: as above.
            unsafe { loops::fused_avx2(&xs, &mut out, which) };
            check(&out, &loops::fused_scalar(which), "fma/avx2");
        }
        if avx512 {
            // SAFETY: AVX-512F was detected above (it implies FMA).
            unsafe { loops::plain_avx512(&xs, &mut out, which) };
            check(&out, &plain, "avx512");
            // SAFETY: as above.
            unsafe { loops::fused_avx512(&xs, &mut out, which) };
            check(&out, &loops::fused_scalar(which), "fma/avx512");
        }
    }
}
