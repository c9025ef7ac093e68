//! The temporally blocked executor is bit-identical to the one-iteration-at-a-time
//! reference: random sizes (including 1×1, planes narrower and shorter than the
//! strip, the band and the dependency cone), random data, every boundary, every
//! kind of kernel, iteration counts 0..=11, random levels, strips and band splits.

use accel_core::ir::Element;
use accel_core::ir::stencil::{
    BlockPlan, Boundary, ExprKernel, FormulaKernel, LinearTaps, Neighbourhood, Passes,
    PointFormula, RowKernel, RowLoad, Shape, Stencil, Tap, Window,
};
use proptest::prelude::*;

/// Drives `run_band` the way the pool does: bands in any order over one source,
/// then swap; copies back if the schedule ends in the second buffer.
fn banded<T: Element, K: RowKernel<Value = T>>(
    st: &Stencil<K>,
    img: &[T],
    shape: Shape,
    plan: BlockPlan,
    cuts: &[usize],
) -> Vec<T> {
    let (w, h) = (shape.width, shape.height);
    let mut a = img.to_vec();
    if st.leaves_unchanged(shape) {
        return a;
    }
    let nan = T::from_f64(f64::NAN);
    let mut b = vec![nan; w * h];
    let mut scratch = vec![nan; st.band_scratch_len(w, plan).unwrap()];
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c % (h + 1)).collect();
    bounds.push(0);
    bounds.push(h);
    bounds.sort_unstable();
    let passes = Passes::new(st.iterations(), plan.levels);
    let ends_in_scratch = passes.ends_in_scratch();
    for levels in passes {
        let pass = BlockPlan { levels, ..plan };
        // Bands run back to front to show they are independent.
        for pair in bounds.windows(2).rev() {
            let rows = pair[0]..pair[1];
            let band = &mut b[rows.start * w..rows.end * w];
            st.run_band(&a, band, shape, rows, pass, &mut scratch)
                .unwrap();
        }
        core::mem::swap(&mut a, &mut b);
    }
    if ends_in_scratch {
        // `a` holds the result after the last swap; the caller's buffer is `b`.
        b.copy_from_slice(&a);
        return b;
    }
    a
}

fn random_taps(radius: usize, seeds: &[f32], dense_symmetric: bool) -> LinearTaps {
    let side = 2 * radius + 1;
    if dense_symmetric {
        let grid: Vec<f32> = (0..side * side)
            .map(|i| {
                let (dy, dx) = ((i / side).abs_diff(radius), (i % side).abs_diff(radius));
                seeds[(dy * 4 + dx) % seeds.len()] / (side * side) as f32
            })
            .collect();
        let t = LinearTaps::from_grid(radius, &grid).unwrap();
        assert_eq!(t.is_symmetric(), (1..=3).contains(&radius));
        t
    } else {
        let r = radius as i32;
        let taps: Vec<Tap> = seeds
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let i = i as i32;
                Tap::new(i % (2 * r + 1) - r, (i * 7 / 3) % (2 * r + 1) - r, s / 4.0)
            })
            .fold(Vec::new(), |mut v: Vec<Tap>, t| {
                if !v.iter().any(|u| u.dy == t.dy && u.dx == t.dx) {
                    v.push(t);
                }
                v
            });
        LinearTaps::new(radius, &taps).unwrap()
    }
}

fn check<T: Element, K: RowKernel<Value = T>>(
    st: &Stencil<K>,
    img: &[T],
    shape: Shape,
    plan: BlockPlan,
    cuts: &[usize],
) {
    let mut want = img.to_vec();
    st.apply_reference(&mut want, shape).unwrap();
    let got = banded(st, img, shape, plan, cuts);
    let mut serial = img.to_vec();
    let mut scratch = vec![T::ZERO; st.blocked_scratch_len(shape, plan).unwrap()];
    st.run_blocked(&mut serial, shape, plan, &mut scratch)
        .unwrap();
    let bits = |x: &T| x.to_f64().to_bits();
    for (i, ((w, g), s)) in want.iter().zip(&got).zip(&serial).enumerate() {
        assert!(
            bits(w) == bits(g) && bits(w) == bits(s),
            "{}×{} {} n={} plan={plan:?} cuts={cuts:?}: at ({}, {}) reference {w} banded {g} serial {s}",
            shape.width,
            shape.height,
            st.boundary(),
            st.iterations(),
            i / shape.width,
            i % shape.width,
        );
    }
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..=8, Just(11), Just(13), 9usize..=40]
}

fn boundary() -> impl Strategy<Value = Boundary> {
    prop::sample::select(Boundary::ALL.to_vec())
}

fn wrap_ok(_b: Boundary, _r: usize, _w: usize, _h: usize) -> bool {
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn blur_blocked_equals_reference(
        w in size(), h in size(), b in boundary(), n in 0usize..=11,
        levels in 1usize..=6, strip in 1usize..=48,
        cuts in prop::collection::vec(0usize..64, 0..4),
        seed in any::<u64>(),
    ) {
        prop_assume!(wrap_ok(b, 2, w, h));
        let img = random(w * h, seed);
        check(&Stencil::blur(b, n), &img, Shape::new(w, h), BlockPlan::new(levels, strip), &cuts);
    }

    #[test]
    fn linear_taps_blocked_equal_reference(
        w in size(), h in size(), b in boundary(), n in 0usize..=11,
        radius in 0usize..=3, dense in any::<bool>(),
        seeds in prop::collection::vec(-1.0f32..1.0, 1..12),
        levels in 1usize..=5, strip in 1usize..=40,
        cuts in prop::collection::vec(0usize..64, 0..3),
        seed in any::<u64>(),
    ) {
        prop_assume!(wrap_ok(b, radius, w, h));
        let img = random(w * h, seed);
        let st = Stencil::new(random_taps(radius, &seeds, dense), b, n).unwrap();
        check(&st, &img, Shape::new(w, h), BlockPlan::new(levels, strip), &cuts);
    }

    #[test]
    fn expression_blocked_equals_reference(
        w in size(), h in size(), b in boundary(), n in 0usize..=7,
        levels in 1usize..=4, strip in 1usize..=30,
        cuts in prop::collection::vec(0usize..64, 0..3),
        seed in any::<u64>(),
    ) {
        prop_assume!(wrap_ok(b, 1, w, h));
        let img = random(w * h, seed);
        let kernel = ExprKernel::new(1, |n: &Window<'_>| {
            0.5 * n.centre() + 0.25 * n.at(-1, 1).max(n.at(1, -1)) + 0.2 * n.at(0, 1) * n.at(1, 0)
        });
        let st = Stencil::new(kernel, b, n).unwrap();
        check(&st, &img, Shape::new(w, h), BlockPlan::new(levels, strip), &cuts);
    }
}

/// A damped, non-linear radius-1 formula (a heat step plus a product term),
/// to run on `f64` planes.
struct Damped;

impl PointFormula for Damped {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        let c = n.centre();
        let lap = n.at(-1, 0) + n.at(1, 0) + n.at(0, -1) + n.at(0, 1) - R::lit(4.0) * c;
        c + R::lit(0.2) * lap + R::lit(0.01) * n.at(-1, -1) * n.at(1, 1)
    }
}

/// A radius-2 formula whose reads reach every corner, to run on `f64` planes.
struct Corners;

impl PointFormula for Corners {
    fn radius(&self) -> usize {
        2
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        R::lit(0.3) * n.centre()
            + R::lit(0.2) * (n.at(-2, -2) + n.at(2, 2))
            + R::lit(0.15) * (n.at(-2, 2) + n.at(2, -2))
            + R::lit(-0.1) * n.at(0, 1)
    }
}

fn random_f64(n: usize, seed: u64) -> Vec<f64> {
    random(n, seed)
        .iter()
        .enumerate()
        .map(|(i, &x)| f64::from(x) + (i as f64) * 1e-9)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn f64_formulas_blocked_equal_reference(
        w in size(), h in size(), b in boundary(), n in 0usize..=9,
        wide in any::<bool>(),
        levels in 1usize..=5, strip in 1usize..=40,
        cuts in prop::collection::vec(0usize..64, 0..3),
        seed in any::<u64>(),
    ) {
        let img = random_f64(w * h, seed);
        let (shape, plan) = (Shape::new(w, h), BlockPlan::new(levels, strip));
        if wide {
            prop_assume!(wrap_ok(b, 2, w, h));
            let st = Stencil::new(FormulaKernel::new_f64(Corners), b, n).unwrap();
            check(&st, &img, shape, plan, &cuts);
        } else {
            prop_assume!(wrap_ok(b, 1, w, h));
            let st = Stencil::new(FormulaKernel::new_f64(Damped), b, n).unwrap();
            check(&st, &img, shape, plan, &cuts);
        }
    }
}

#[test]
fn default_plan_on_a_wide_plane_equals_reference() {
    let (w, h) = (1500, 37);
    let img = random(w * h, 7);
    for b in Boundary::ALL {
        for n in [1, 9, 10] {
            let st = Stencil::blur(b, n);
            let mut want = img.clone();
            st.apply_reference(&mut want, Shape::new(w, h)).unwrap();
            let mut got = img.clone();
            st.apply(&mut got, Shape::new(w, h)).unwrap();
            assert!(
                want.iter()
                    .zip(&got)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{b} n={n}"
            );
        }
    }
}

/// Deterministic values in -1..1 with a few exact zeros and repeats (xorshift).
fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            match s % 16 {
                0 => 0.0,
                1 => 1.0,
                _ => (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0,
            }
        })
        .collect()
}

#[test]
fn deep_passes_on_small_planes_equal_reference() {
    // Many levels per pass: the cone is far wider and taller than the plane, so
    // wrap recomputes rows and columns several periods away.
    for b in Boundary::ALL {
        for (w, h) in [(2, 3), (5, 5), (9, 4), (17, 13)] {
            let img = random(w * h, (w * 31 + h) as u64);
            let st = Stencil::blur(b, 61);
            for plan in [
                BlockPlan::new(30, 4),
                BlockPlan::new(26, 1536),
                BlockPlan::new(64, 1),
            ] {
                check(&st, &img, Shape::new(w, h), plan, &[h / 2]);
            }
        }
    }
}
