//! `PointFormula` stencils on `FormulaKernel` against the same computation as an
//! `ExprKernel` closure: bit for bit, on every SIMD path, boundary, executor and
//! row length (whole blocks of lanes, the scalar rest, and rows shorter than a
//! block).

use accel_core::ir::Real;
use accel_core::ir::stencil::{
    Boundary, ExprKernel, FormulaKernel, Neighbourhood, PointFormula, RowLoad, Shape, Stencil,
    StencilError, Window,
};
use accel_core::simd::SimdPath;
use proptest::prelude::*;

/// A non-linear step over the 3×3 cross and one corner, with an elementary
/// function and a select, written once over `Real`.
#[inline(always)]
fn step<R: Real>(c: R, n: R, s: R, w: R, e: R, corner: R) -> R {
    let l = R::lit;
    let lap = n + s + w + e - l(4.0) * c;
    let damp = (-(corner * corner)).exp();
    let up = c + l(0.15) * lap * damp;
    R::select(up.lt(l(0.0)), l(0.0), up)
}

#[derive(Debug)]
struct Damped;

impl PointFormula for Damped {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        step(
            n.centre(),
            n.at(-1, 0),
            n.at(1, 0),
            n.at(0, -1),
            n.at(0, 1),
            n.at(1, 1),
        )
    }
}

fn closure(win: &Window<'_>) -> f32 {
    step(
        win.centre(),
        win.at(-1, 0),
        win.at(1, 0),
        win.at(0, -1),
        win.at(0, 1),
        win.at(1, 1),
    )
}

fn plane(w: usize, h: usize, seed: u64) -> Vec<f32> {
    (0..w * h)
        .map(|i| {
            let x = (i as u64 ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
            (x % 2000) as f32 / 1000.0 - 0.5
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn formula_kernels_equal_the_closure_on_every_path(
        w in 1usize..70,
        h in 1usize..20,
        iters in 0usize..5,
        boundary in prop::sample::select(Boundary::ALL.to_vec()),
        seed: u64,
    ) {
        let shape = Shape::new(w, h);
        let input = plane(w, h, seed);
        let mut want = input.clone();
        let reference = Stencil::new(ExprKernel::new(1, closure), boundary, iters)
            .unwrap()
            .apply_reference(&mut want, shape);
        for path in SimdPath::supported() {
            let kernel = FormulaKernel::new(Damped).with_simd(path).unwrap();
            let stencil = Stencil::new(kernel, boundary, iters).unwrap();
            let mut swept = input.clone();
            let ran = stencil.apply_reference(&mut swept, shape);
            prop_assert_eq!(ran.is_ok(), reference.is_ok());
            prop_assert_eq!(bits(&swept), bits(&want), "{} {}×{} {} reference", path, w, h, boundary);
            let mut blocked = input.clone();
            let _ = stencil.apply(&mut blocked, shape);
            prop_assert_eq!(bits(&blocked), bits(&want), "{} {}×{} {} blocked", path, w, h, boundary);
        }
    }
}

#[test]
fn rows_around_the_block_length_and_primes() {
    for w in [1usize, 2, 15, 16, 17, 31, 32, 33, 47, 97, 131] {
        let shape = Shape::new(w, 7);
        let input = plane(w, 7, w as u64);
        let mut want = input.clone();
        Stencil::new(ExprKernel::new(1, closure), Boundary::Wrap, 3)
            .unwrap()
            .apply_reference(&mut want, shape)
            .unwrap();
        for path in SimdPath::supported() {
            let kernel = FormulaKernel::new(Damped).with_simd(path).unwrap();
            let mut got = input.clone();
            Stencil::new(kernel, Boundary::Wrap, 3)
                .unwrap()
                .apply(&mut got, shape)
                .unwrap();
            assert_eq!(bits(&got), bits(&want), "{path} width {w}");
        }
    }
}

#[test]
fn unsupported_paths_are_refused_and_reads_beyond_the_radius_panic() {
    for path in SimdPath::ALL {
        let kernel = FormulaKernel::new(Damped).with_simd(path);
        if path.is_supported() {
            assert_eq!(kernel.unwrap().simd(), path);
        } else {
            assert_eq!(kernel.unwrap_err(), StencilError::SimdUnsupported { path });
        }
    }
    struct TooFar;
    impl PointFormula for TooFar {
        fn radius(&self) -> usize {
            1
        }
        fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
            n.at(0, 2)
        }
    }
    let stencil = Stencil::new(FormulaKernel::new(TooFar), Boundary::Clamp, 1).unwrap();
    let caught = std::panic::catch_unwind(|| {
        let mut p = vec![0.0f32; 64];
        let _ = stencil.apply_reference(&mut p, Shape::new(8, 8));
    });
    let message = caught.unwrap_err();
    let text = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or("");
    assert!(text.contains("beyond the declared radius 1"), "{text}");
}

/// A plain `f64` reference, written without any of the stencil module's
/// executors: every iteration reads the whole previous plane through the
/// boundary rule and writes a new one.
fn plain_f64(input: &[f64], w: usize, h: usize, boundary: Boundary, iters: usize) -> Vec<f64> {
    let r = 1isize;
    let mut cur = input.to_vec();
    for _ in 0..iters {
        let read = |y: isize, x: isize| -> f64 {
            let (wi, hi) = (w as isize, h as isize);
            match boundary {
                Boundary::Wrap => cur[(y.rem_euclid(hi) * wi + x.rem_euclid(wi)) as usize],
                Boundary::Clamp => cur[(y.clamp(0, hi - 1) * wi + x.clamp(0, wi - 1)) as usize],
                Boundary::ZeroSrc | Boundary::Skip => {
                    if (0..hi).contains(&y) && (0..wi).contains(&x) {
                        cur[(y * wi + x) as usize]
                    } else {
                        0.0
                    }
                }
            }
        };
        let mut next = cur.clone();
        for y in 0..h as isize {
            for x in 0..w as isize {
                let inside = y >= r && x >= r && y < h as isize - r && x < w as isize - r;
                if boundary == Boundary::Skip && !inside {
                    continue;
                }
                next[(y * w as isize + x) as usize] = step(
                    read(y, x),
                    read(y - 1, x),
                    read(y + 1, x),
                    read(y, x - 1),
                    read(y, x + 1),
                    read(y + 1, x + 1),
                );
            }
        }
        cur = next;
    }
    cur
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn f64_formula_kernels_equal_a_plain_loop_on_every_path(
        w in 1usize..40,
        h in 1usize..20,
        iters in 0usize..5,
        boundary in prop::sample::select(Boundary::ALL.to_vec()),
        seed: u64,
    ) {
        let shape = Shape::new(w, h);
        let input: Vec<f64> = plane(w, h, seed).iter().map(|&x| f64::from(x) * 1.0001).collect();
        let want = plain_f64(&input, w, h, boundary, iters);
        for path in SimdPath::supported() {
            let kernel = FormulaKernel::new_f64(Damped).with_simd(path).unwrap();
            let stencil = Stencil::new(kernel, boundary, iters).unwrap();
            let mut swept = input.clone();
            let _ = stencil.apply_reference(&mut swept, shape);
            let mut blocked = input.clone();
            let _ = stencil.apply(&mut blocked, shape);
            let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits64(&swept), bits64(&want), "{} {}×{} {} reference", path, w, h, boundary);
            prop_assert_eq!(bits64(&blocked), bits64(&want), "{} {}×{} {} blocked", path, w, h, boundary);
        }
    }
}
