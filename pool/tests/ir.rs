//! The pool running core's IR: compiled plans ([`Pool::run_plan`]) and iterated
//! stencils ([`Pool::run_stencil_planes`]) against core's serial executors, on
//! random inputs, edge sizes, and 1, 2, 3 and 16 threads (more than this
//! machine's cores); plans on every SIMD path this CPU runs.

use std::sync::atomic::{AtomicUsize, Ordering};

use accel_core::ir::stencil::{
    Boundary, ExprKernel, FormulaKernel, MAX_LEVELS, Neighbourhood, PointFormula, RowLoad, Shape,
    Stencil, StencilError, Window,
};
use accel_core::ir::{
    Builder, DType, Formula, IrError, Plan, Program, Real, ReduceOp, erf, exp, ln, log10, sqrt,
};
use accel_core::simd::SimdPath;
use accel_pool::{Pool, PoolConfig, StencilRunError, StencilSchedule, stage_grain};
use proptest::prelude::*;

const THREADS: [usize; 4] = [1, 2, 3, 16];

fn pool(threads: usize) -> Pool {
    Pool::new(PoolConfig::new().threads(threads)).expect("pool")
}

/// Two loops: `t = exp(-x²) + y/2` with `Σ t`, then a neighbour average of `t`
/// (the `t[i ± 1]` reads keep it out of the first loop) with `max u` and `min u`.
fn two_stage(n: usize) -> Program {
    let b = Builder::new(DType::F64);
    let x = b.input("x", n).unwrap();
    let y = b.input("y", n).unwrap();
    let t = b.output("t", exp(-(x * x)) + y * 0.5).unwrap();
    b.sum("s", t).unwrap();
    let u = b
        .comprehension("u", 1..n - 1, (t.at(-1) + t.at(1)) * 0.5 - t)
        .unwrap();
    b.keep(u).unwrap();
    b.reduce_over("m", ReduceOp::Max, 0..n - 2, u).unwrap();
    b.reduce_over("lo", ReduceOp::Min, 0..n - 2, u).unwrap();
    let mut p = b.finish().unwrap();
    p.optimize();
    p
}

/// One fused loop: `y = 3x − 1` and `Σ y`.
fn one_stage(n: usize) -> Plan<f64> {
    let b = Builder::new(DType::F64);
    let x = b.input("x", n).unwrap();
    let y = b.output("y", x * 3.0 - 1.0).unwrap();
    b.sum("s", y).unwrap();
    let mut p = b.finish().unwrap();
    p.optimize();
    Plan::compile(&p).unwrap()
}

fn data(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
        })
        .collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Runs the two-stage plan on every pool size: the arrays equal core's serial run
/// bit for bit, the reductions are the same bits on every pool size, the sum is
/// within rounding of the serial sum and max/min are exact.
fn check_two_stage(n: usize, seed: u64) {
    for path in SimdPath::supported() {
        check_two_stage_on(path, n, seed);
    }
}

fn check_two_stage_on(path: SimdPath, n: usize, seed: u64) {
    let plan = Plan::<f64>::compile(&two_stage(n)).unwrap();
    let (x, y) = (data(n, seed), data(n, seed ^ 0x9e37_79b9));
    let (mut t0, mut u0) = (vec![0.0; n], vec![0.0; n - 2]);
    let serial = plan
        .run_on(path, &[&x, &y], &mut [&mut t0, &mut u0])
        .unwrap();
    let mut first: Option<Vec<u64>> = None;
    for threads in THREADS {
        let (mut t, mut u) = (vec![f64::NAN; n], vec![f64::NAN; n - 2]);
        let red = pool(threads)
            .run_plan_on(path, &plan, &[&x, &y], &mut [&mut t, &mut u])
            .unwrap();
        assert_eq!(bits(&t), bits(&t0), "t, n {n}, {threads} threads, {path}");
        assert_eq!(bits(&u), bits(&u0), "u, n {n}, {threads} threads, {path}");
        let rel = (red[0] - serial[0]).abs() / serial[0].abs().max(1.0);
        assert!(rel < 1e-12, "sum {} vs {}", red[0], serial[0]);
        assert_eq!(red[1], serial[1], "max, n {n}");
        assert_eq!(red[2], serial[2], "min, n {n}");
        match &first {
            None => first = Some(bits(&red)),
            Some(b) => assert_eq!(&bits(&red), b, "n {n}, {threads} threads"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn plans_match_the_serial_executor(n in 3usize..20_000, seed: u64) {
        check_two_stage(n, seed);
    }
}

#[test]
fn plans_on_edge_sizes() {
    let grain = stage_grain(&one_stage(1 << 16).stages()[0]);
    for n in [
        3,
        4,
        5,
        7,
        13,
        97,
        grain - 1,
        grain,
        grain + 1,
        3 * grain + 17,
    ] {
        check_two_stage(n, n as u64);
    }
    for n in [0, 1, 2, 5, 31, grain + 1, 5 * grain - 3] {
        let plan = one_stage(n);
        let x = data(n, 7);
        let mut want = vec![0.0; n];
        // No elementary function: every path gives the portable executor's bits.
        let serial = plan.run(&[&x], &mut [&mut want]).unwrap();
        let mut sums = Vec::new();
        for threads in THREADS {
            let mut y = vec![f64::NAN; n];
            let s = pool(threads).run_plan(&plan, &[&x], &mut [&mut y]).unwrap();
            assert_eq!(bits(&y), bits(&want), "n {n}, {threads} threads");
            sums.push(s[0].to_bits());
        }
        assert!(sums.windows(2).all(|w| w[0] == w[1]), "n {n}: {sums:?}");
        if n <= grain {
            // One piece: the same fold as the serial executor.
            assert_eq!(sums[0], serial[0].to_bits(), "n {n}");
        }
    }
}

/// A formula with every elementary function, written once over [`Real`].
#[inline(always)]
fn mixed<T: Real>(a: T, b: T, c: T) -> T {
    let k = T::lit;
    let q = sqrt(a * a + k(0.25)) / (k(1.5) + b * b);
    exp(-q) * log10(k(2.0) + c * c) + erf(a - b) - ln(k(1.0) + q)
}

struct Mixed;

impl Formula<3, 1> for Mixed {
    #[inline(always)]
    fn eval<R: Real>(&self, [a, b, c]: [R; 3]) -> [R; 1] {
        [mixed(a, b, c)]
    }
}

/// A program built at run time from a formula's source runs on every SIMD path
/// through the path's elementary functions: on the portable, AVX2 and NEON paths
/// it gives the formula's bits ([`accel_core::simd::map`] on the same path); on
/// AVX-512 (whose formula lanes use the faster table functions) it stays within
/// their bounds. A path the CPU lacks is refused before anything is written.
#[test]
fn plans_run_each_simd_path_with_the_formulas_functions() {
    for n in [0, 1, 5, 97, 4099, 70_001] {
        let b = Builder::new(DType::F64);
        let [a, bb, c] = ["a", "b", "c"].map(|name| b.input(name, n).unwrap());
        b.output("y", mixed(a, bb, c)).unwrap();
        let mut program = b.finish().unwrap();
        program.optimize();
        let plan = Plan::<f64>::compile(&program).unwrap();
        let (xa, xb, xc) = (data(n, 1), data(n, 2), data(n, 3));
        for path in SimdPath::supported() {
            let mut want = vec![0.0; n];
            accel_core::simd::map(path, &Mixed, [&xa, &xb, &xc], &mut want).unwrap();
            for threads in [1, 3] {
                let mut got = vec![f64::NAN; n];
                pool(threads)
                    .run_plan_on(path, &plan, &[&xa, &xb, &xc], &mut [&mut got])
                    .unwrap();
                if path == SimdPath::Avx512 {
                    for (g, w) in got.iter().zip(&want) {
                        assert!((g - w).abs() <= 1e-14 * w.abs().max(1.0), "{g} vs {w}");
                    }
                } else {
                    assert_eq!(bits(&got), bits(&want), "n {n}, {path}, {threads} threads");
                }
            }
        }
    }
    let plan = one_stage(4);
    for path in SimdPath::ALL.into_iter().filter(|p| !p.is_supported()) {
        let mut y = [7.0; 4];
        let err = pool(2)
            .run_plan_on(path, &plan, &[&[1.0; 4]], &mut [&mut y])
            .unwrap_err();
        assert!(matches!(err, IrError::Simd(_)), "{err:?}");
        assert_eq!(y, [7.0; 4]);
    }
}

#[test]
fn plan_argument_errors_write_nothing() {
    let n = 10_000;
    let plan = one_stage(n);
    let p = pool(3);
    let x = data(n - 1, 1);
    let mut y = vec![5.0; n];
    let err = p.run_plan(&plan, &[&x], &mut [&mut y]).unwrap_err();
    assert!(
        matches!(err, IrError::ArgumentLength { what: "input", expected, found, .. } if expected == n && found == n - 1),
        "{err:?}"
    );
    assert!(y.iter().all(|&v| v == 5.0));
    let x = data(n, 1);
    let mut short = vec![5.0; n - 3];
    let err = p.run_plan(&plan, &[&x], &mut [&mut short]).unwrap_err();
    assert!(
        matches!(err, IrError::ArgumentLength { what: "output", .. }),
        "{err:?}"
    );
    let err = p.run_plan(&plan, &[], &mut [&mut y]).unwrap_err();
    assert!(matches!(err, IrError::ArgumentCount { .. }), "{err:?}");
    assert!(y.iter().all(|&v| v == 5.0));
    // A stage run directly with wrong slices: core names the problem.
    let stage = &plan.stages()[0];
    let mut red = [0.0];
    let err = p
        .run_stage(stage, &[&x], &mut [&mut short], &mut red)
        .unwrap_err();
    assert!(
        matches!(err, IrError::ArgumentLength { what: "output", .. }),
        "{err:?}"
    );
    let err = p
        .run_stage(stage, &[&x], &mut [&mut y], &mut [])
        .unwrap_err();
    assert!(
        matches!(
            err,
            IrError::ArgumentCount {
                what: "reductions",
                expected: 1,
                found: 0
            }
        ),
        "{err:?}"
    );
    assert!(y.iter().all(|&v| v == 5.0));
}

#[test]
fn plans_nest_inside_parallel_work_and_run_from_many_threads() {
    let n = 50_000;
    let plan = one_stage(n);
    let x = data(n, 3);
    let mut want = vec![0.0; n];
    pool(1).run_plan(&plan, &[&x], &mut [&mut want]).unwrap();
    let p = pool(3);
    let hits = AtomicUsize::new(0);
    p.for_range(0..4, 1, |r| {
        for _ in r {
            let mut y = vec![0.0; n];
            p.run_plan(&plan, &[&x], &mut [&mut y]).unwrap();
            assert_eq!(bits(&y), bits(&want));
            hits.fetch_add(1, Ordering::Relaxed);
        }
    });
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut y = vec![0.0; n];
                p.run_plan(&plan, &[&x], &mut [&mut y]).unwrap();
                assert_eq!(bits(&y), bits(&want));
                hits.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    assert_eq!(hits.load(Ordering::Relaxed), 8);
}

fn plane(w: usize, h: usize, seed: u64) -> Vec<f32> {
    data(w * h, seed)
        .iter()
        .map(|&v| (v * 0.25 + 0.5) as f32)
        .collect()
}

/// Forces the team path with `levels` fused iterations per pass.
fn forced(levels: usize) -> StencilSchedule {
    StencilSchedule {
        inline_work: 0,
        levels,
        ..StencilSchedule::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn stencils_match_the_reference(
        w in 1usize..48,
        h in 1usize..48,
        iters in 0usize..8,
        boundary in prop::sample::select(Boundary::ALL.to_vec()),
        levels in prop::sample::select(vec![0usize, 1, 2, 3, MAX_LEVELS]),
        planes in 1usize..4,
        seed: u64,
    ) {
        let shape = Shape::new(w, h);
        let stencil = Stencil::blur(boundary, iters);
        let inputs: Vec<Vec<f32>> = (0..planes).map(|k| plane(w, h, seed + k as u64)).collect();
        let mut want = inputs.clone();
        let reference = want.iter_mut().map(|p| stencil.apply_reference(p, shape)).collect::<Result<Vec<()>, _>>();
        for threads in THREADS {
            let mut got = inputs.clone();
            let mut views: Vec<&mut [f32]> = got.iter_mut().map(Vec::as_mut_slice).collect();
            let ran = pool(threads).run_stencil_planes(&stencil, &mut views, shape, &forced(levels), &|_| {});
            match &reference {
                Ok(_) => {
                    prop_assert!(ran.is_ok(), "{ran:?}");
                    prop_assert_eq!(&got, &want, "{}×{} {} iters {} levels {} threads", w, h, iters, levels, threads);
                }
                Err(e) => {
                    prop_assert_eq!(ran, Err(StencilRunError::Plane { index: 0, source: *e }));
                    prop_assert_eq!(&got, &inputs);
                }
            }
        }
    }
}

#[test]
fn stencils_on_edge_sizes_and_the_default_schedule() {
    for (w, h) in [
        (0, 0),
        (1, 1),
        (4, 4),
        (5, 5),
        (2, 97),
        (97, 2),
        (13, 7),
        (300, 211),
    ] {
        for boundary in Boundary::ALL {
            for iters in [1, 2, 5] {
                let stencil = Stencil::blur(boundary, iters);
                let shape = Shape::new(w, h);
                let mut want = plane(w, h, 11);
                let reference = stencil.apply_reference(&mut want, shape);
                for threads in THREADS {
                    let mut got = plane(w, h, 11);
                    let ran = pool(threads).run_stencil(&stencil, &mut got, shape);
                    assert_eq!(ran.is_ok(), reference.is_ok(), "{w}×{h} {boundary}");
                    assert_eq!(
                        got, want,
                        "{w}×{h} {boundary} {iters} iters {threads} threads"
                    );
                }
            }
        }
    }
}

#[test]
fn any_row_kernel_runs_on_the_pool() {
    // A non-linear kernel (the maximum of the 3×3 neighbourhood) through the
    // generic path: still the reference's bits.
    let kernel = ExprKernel::new(1, |win: &Window<'_>| {
        let mut m = f32::MIN;
        for dy in -1..=1 {
            for dx in -1..=1 {
                m = m.max(win.at(dy, dx));
            }
        }
        m
    });
    let stencil = Stencil::new(kernel, Boundary::Clamp, 6).unwrap();
    let shape = Shape::new(61, 53);
    let mut want = plane(61, 53, 5);
    stencil.apply_reference(&mut want, shape).unwrap();
    for threads in THREADS {
        for levels in [1, 2, 4] {
            let mut got = plane(61, 53, 5);
            pool(threads)
                .run_stencil_planes(&stencil, &mut [&mut got], shape, &forced(levels), &|_| {})
                .unwrap();
            assert_eq!(got, want, "{threads} threads, {levels} levels");
        }
    }
}

/// A smoothing step that never lets a value drop below zero, written once
/// over `Real` (for the formula kernel and the closure alike).
#[inline(always)]
fn clipped_heat<R: Real>(c: R, n: R, s: R, w: R, e: R) -> R {
    let up = c + R::lit(0.2) * (n + s + w + e - R::lit(4.0) * c);
    R::select(up.lt(R::lit(0.0)), R::lit(0.0), up.sqrt() * up.sqrt())
}

struct ClippedHeat;

impl PointFormula for ClippedHeat {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        clipped_heat(n.centre(), n.at(-1, 0), n.at(1, 0), n.at(0, -1), n.at(0, 1))
    }
}

#[test]
fn point_formulas_run_on_the_pool_on_every_path() {
    let closure = ExprKernel::new(1, |win: &Window<'_>| {
        clipped_heat(
            win.centre(),
            win.at(-1, 0),
            win.at(1, 0),
            win.at(0, -1),
            win.at(0, 1),
        )
    });
    for boundary in Boundary::ALL {
        let shape = Shape::new(67, 41);
        let mut want = plane(67, 41, 9);
        Stencil::new(closure, boundary, 5)
            .unwrap()
            .apply_reference(&mut want, shape)
            .unwrap();
        for path in SimdPath::supported() {
            let kernel = FormulaKernel::new(ClippedHeat).with_simd(path).unwrap();
            let stencil = Stencil::new(kernel, boundary, 5).unwrap();
            for threads in THREADS {
                for levels in [0, 1, 3] {
                    let mut got = plane(67, 41, 9);
                    pool(threads)
                        .run_stencil_planes(
                            &stencil,
                            &mut [&mut got],
                            shape,
                            &forced(levels),
                            &|_| {},
                        )
                        .unwrap();
                    assert_eq!(
                        got, want,
                        "{boundary} {path} {threads} threads {levels} levels"
                    );
                }
            }
        }
    }
}

#[test]
fn f64_point_formulas_run_on_the_pool_on_every_path() {
    // The f64 reference: core's sweep on the portable path (core's tests hold it
    // to a plain loop).
    let plane64 = |seed| -> Vec<f64> {
        plane(67, 41, seed)
            .iter()
            .map(|&x| f64::from(x) * 1.000_1)
            .collect()
    };
    for boundary in Boundary::ALL {
        let shape = Shape::new(67, 41);
        let portable = FormulaKernel::new_f64(ClippedHeat)
            .with_simd(SimdPath::Portable)
            .unwrap();
        let (mut want_a, mut want_b) = (plane64(3), plane64(4));
        let reference = Stencil::new(portable, boundary, 7).unwrap();
        reference.apply_reference(&mut want_a, shape).unwrap();
        reference.apply_reference(&mut want_b, shape).unwrap();
        for path in SimdPath::supported() {
            let kernel = FormulaKernel::new_f64(ClippedHeat).with_simd(path).unwrap();
            let stencil = Stencil::new(kernel, boundary, 7).unwrap();
            for threads in THREADS {
                for levels in [0, 1, 3] {
                    let (mut a, mut b) = (plane64(3), plane64(4));
                    pool(threads)
                        .run_stencil_planes(
                            &stencil,
                            &mut [&mut a, &mut b],
                            shape,
                            &forced(levels),
                            &|_| {},
                        )
                        .unwrap();
                    let what = format!("{boundary} {path} {threads} threads {levels} levels");
                    assert!(
                        a.iter()
                            .zip(&want_a)
                            .all(|(x, y)| x.to_bits() == y.to_bits()),
                        "{what}"
                    );
                    assert!(
                        b.iter()
                            .zip(&want_b)
                            .all(|(x, y)| x.to_bits() == y.to_bits()),
                        "{what}"
                    );
                }
            }
        }
    }
}

#[test]
fn one_member_runs_that_time_sweeps_against_blocking_equal_the_reference() {
    // Enough iterations for the one-member probe (two sweeps and a pair of
    // blocked passes of the cache model's levels), then the rest on whichever
    // executor won; two planes, so the second runs on the choice alone. Even
    // and odd counts, every boundary. A 16 KiB ring budget keeps the 67×41
    // plane from counting as cache-resident (22 KB with its second buffer,
    // which would sweep without probing) and gives 7 levels.
    let schedule = StencilSchedule {
        ring_bytes: 16 << 10,
        ..StencilSchedule::default()
    };
    assert_eq!(schedule.plan_of(67, 41, 70, 2, 1, 4).levels, 7);
    use std::sync::Mutex;
    for iters in [70, 75, 200] {
        for boundary in Boundary::ALL {
            let shape = Shape::new(67, 41);
            let stencil = Stencil::blur(boundary, iters);
            let (mut want_a, mut want_b) = (plane(67, 41, 1), plane(67, 41, 2));
            stencil.apply_reference(&mut want_a, shape).unwrap();
            stencil.apply_reference(&mut want_b, shape).unwrap();
            for threads in [1, 2] {
                let (mut a, mut b) = (plane(67, 41, 1), plane(67, 41, 2));
                let seen = Mutex::new(Vec::new());
                pool(threads)
                    .run_stencil_planes(&stencil, &mut [&mut a, &mut b], shape, &schedule, &|n| {
                        seen.lock().unwrap().push(n)
                    })
                    .unwrap();
                assert_eq!(
                    a, want_a,
                    "{boundary} {iters} iterations, {threads} threads"
                );
                assert_eq!(
                    b, want_b,
                    "{boundary} {iters} iterations, {threads} threads"
                );
                let seen = seen.into_inner().unwrap();
                assert!(seen.windows(2).all(|p| p[0] < p[1]), "{seen:?}");
                assert_eq!(seen.last(), Some(&(2 * iters)));
            }
        }
    }
}

#[test]
fn stencil_errors_name_the_plane_and_touch_nothing() {
    let p = pool(2);
    let stencil = Stencil::blur(Boundary::Skip, 4);
    let shape = Shape::new(20, 10);
    let (mut good, mut bad) = (plane(20, 10, 1), vec![0.5f32; 199]);
    let before = good.clone();
    let err = p
        .run_stencil_planes(
            &stencil,
            &mut [&mut good, &mut bad],
            shape,
            &forced(0),
            &|_| {},
        )
        .unwrap_err();
    assert_eq!(
        err,
        StencilRunError::Plane {
            index: 1,
            source: StencilError::PlaneLength {
                len: 199,
                width: 20,
                height: 10
            }
        }
    );
    assert_eq!(
        err.to_string(),
        "plane 1: buffer holds 199 values but the plane is 20×10"
    );
    assert_eq!(good, before);
    let err = p.run_stencil(&stencil, &mut bad, shape).unwrap_err();
    assert!(
        matches!(
            err,
            StencilRunError::Stencil(StencilError::PlaneLength { .. })
        ),
        "{err:?}"
    );
}

#[test]
fn progress_counts_every_plane_iteration() {
    for threads in THREADS {
        for levels in [1, 3] {
            let stencil = Stencil::blur(Boundary::Wrap, 7);
            let shape = Shape::new(40, 30);
            let (mut a, mut b) = (plane(40, 30, 1), plane(40, 30, 2));
            let seen = std::sync::Mutex::new(Vec::new());
            pool(threads)
                .run_stencil_planes(
                    &stencil,
                    &mut [&mut a, &mut b],
                    shape,
                    &forced(levels),
                    &|n| seen.lock().unwrap().push(n),
                )
                .unwrap();
            let seen = seen.into_inner().unwrap();
            assert_eq!(
                seen.last(),
                Some(&14),
                "{threads} threads {levels} levels: {seen:?}"
            );
            assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        }
    }
}

#[test]
fn a_panicking_progress_reaches_the_caller_and_the_pool_survives() {
    let p = pool(3);
    let stencil = Stencil::blur(Boundary::Skip, 6);
    let shape = Shape::new(64, 64);
    let mut a = plane(64, 64, 3);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        p.run_stencil_planes(&stencil, &mut [&mut a], shape, &forced(1), &|n| {
            assert!(n < 3, "progress gave up at {n}");
        })
    }));
    assert!(caught.is_err());
    let mut want = plane(64, 64, 4);
    let mut got = want.clone();
    stencil.apply_reference(&mut want, shape).unwrap();
    p.run_stencil(&stencil, &mut got, shape).unwrap();
    assert_eq!(got, want);
}
