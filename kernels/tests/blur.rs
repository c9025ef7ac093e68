//! The blur kernel against its serial reference (bit for bit, every boundary,
//! iteration count, shape, thread count and schedule), against closed-form values
//! on constant images, against a float64 model after 100 iterations, and its
//! errors and progress reports.

use std::sync::{Mutex, OnceLock};

use accel_core::ir::stencil::{GAUSSIAN_5X5, Shape, StencilError};
use accel_kernels::blur::{Blur, Boundary};
use accel_pool::{Pool, PoolConfig, StencilRunError, StencilSchedule};
use proptest::prelude::*;

/// Thread counts every parallel check runs with: 1, the core count, an odd
/// count, and far more threads than this machine's 2 cores.
const THREADS: [usize; 4] = [1, 2, 3, 16];

/// One pool per thread count, shared by all tests of this file.
fn pool(threads: usize) -> &'static Pool {
    static POOLS: OnceLock<Vec<Pool>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        THREADS
            .iter()
            .map(|&n| Pool::new(PoolConfig::new().threads(n)).expect("pool"))
            .collect()
    });
    let i = THREADS
        .iter()
        .position(|&n| n == threads)
        .expect("known count");
    &pools[i]
}

/// Forces the team path even for the smallest planes, fusing `levels`
/// iterations per pass (0: the default schedule's choice).
fn forced(levels: usize) -> StencilSchedule {
    StencilSchedule {
        inline_work: 0,
        levels,
        ..StencilSchedule::default()
    }
}

/// A deterministic pseudo-random 0..1 image (xorshift; no dependence on proptest).
fn random_plane(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

fn serial(plane: &[f32], w: usize, h: usize, opts: &Blur<'_>) -> Result<Vec<f32>, StencilError> {
    let mut out = plane.to_vec();
    opts.run_serial(&mut out, Shape::new(w, h)).map(|()| out)
}

/// Runs the single-plane team path with `tuning`, as a result comparable with
/// [`serial`]'s.
fn tuned(
    threads: usize,
    input: &[f32],
    w: usize,
    h: usize,
    opts: &Blur<'_>,
    tuning: &StencilSchedule,
) -> Result<Vec<f32>, StencilError> {
    let mut out = input.to_vec();
    let tuned = opts.clone().schedule(*tuning);
    match tuned.run(pool(threads), &mut [&mut out], Shape::new(w, h)) {
        Ok(()) => Ok(out),
        Err(StencilRunError::Plane { index: 0, source }) => Err(source),
        Err(other) => panic!("unexpected {other:?}"),
    }
}

/// Asserts that both runs failed the same way or produced the same bits.
fn assert_same(
    got: Result<Vec<f32>, StencilError>,
    want: &Result<Vec<f32>, StencilError>,
    what: &str,
) {
    match (got, want) {
        (Ok(g), Ok(w)) => assert_same_bits(&g, w, what),
        (Err(g), Err(w)) => assert_eq!(&g, w, "{what}"),
        (g, w) => panic!("{what}: {g:?} vs reference {w:?}"),
    }
}

/// Asserts bit-identity (so that NaN-free but signed-zero differences also fail).
fn assert_same_bits(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = got
        .iter()
        .zip(want)
        .position(|(a, b)| a.to_bits() != b.to_bits())
    {
        panic!(
            "{what}: first difference at index {i}: {} vs reference {}",
            got[i], want[i]
        );
    }
}

fn boundary() -> impl Strategy<Value = Boundary> {
    prop::sample::select(Boundary::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Team path, any schedule, any thread count: the reference's bits.
    #[test]
    fn parallel_equals_serial_on_random_planes(
        w in 1usize..40,
        h in 1usize..40,
        iters in 0usize..=11,
        b in boundary(),
        levels in 0usize..=12,
        threads in prop::sample::select(THREADS.to_vec()),
        seed in any::<u64>(),
    ) {
        let opts = Blur::gaussian().iterations(iters).boundary(b);
        let input = random_plane(w * h, seed);
        let want = serial(&input, w, h, &opts);
        let got = tuned(threads, &input, w, h, &opts, &forced(levels));
        assert_same(got, &want, &format!("{w}x{h} {b} iters {iters} k {levels} threads {threads}"));
    }

    /// The default entry points (inline below the threshold, team above it).
    #[test]
    fn blur_plane_equals_serial(
        w in 1usize..120,
        h in 1usize..120,
        iters in 0usize..=11,
        b in boundary(),
        threads in prop::sample::select(THREADS.to_vec()),
        seed in any::<u64>(),
    ) {
        let opts = Blur::gaussian().iterations(iters).boundary(b);
        let input = random_plane(w * h, seed);
        let want = serial(&input, w, h, &opts);
        let mut got = input.clone();
        let got = match opts.run(pool(threads), &mut [&mut got], Shape::new(w, h)) {
            Ok(()) => Ok(got),
            Err(StencilRunError::Plane { index: 0, source }) => Err(source),
            Err(other) => panic!("unexpected {other:?}"),
        };
        assert_same(got, &want, &format!("{w}x{h} {b} iters {iters} threads {threads}"));
    }

    /// Channels blurred together equal channels blurred one by one.
    #[test]
    fn planes_equal_each_plane_alone(
        w in 1usize..30,
        h in 1usize..30,
        planes in 0usize..5,
        iters in 0usize..=7,
        b in boundary(),
        threads in prop::sample::select(THREADS.to_vec()),
        seed in any::<u64>(),
    ) {
        let opts = Blur::gaussian().iterations(iters).boundary(b);
        let inputs: Vec<Vec<f32>> =
            (0..planes).map(|p| random_plane(w * h, seed.wrapping_add(p as u64))).collect();
        let mut together = inputs.clone();
        let mut refs: Vec<&mut [f32]> = together.iter_mut().map(|p| p.as_mut_slice()).collect();
        let outcome = opts.clone().schedule(forced(3)).run(pool(threads), &mut refs, Shape::new(w, h));
        for (p, input) in inputs.iter().enumerate() {
            let mut alone = input.clone();
            match (opts.run(pool(threads), &mut [&mut alone], Shape::new(w, h)), &outcome) {
                (Ok(()), Ok(())) => assert_same_bits(&together[p], &alone, &format!("plane {p}")),
                // every plane has the same shape, so the first one is named
                (Err(StencilRunError::Plane { index: 0, source: e }), Err(StencilRunError::Plane { index: 0, source })) => {
                    assert_eq!(&e, source);
                }
                (a, b) => panic!("plane {p}: alone {a:?}, together {b:?}"),
            }
        }
    }
}

/// Sizes around the edges of the algorithm: single pixels, planes smaller than
/// the 5×5 stencil, primes, planes shorter than the thread count.
#[test]
fn edge_sizes_every_mode_and_thread_count() {
    let sizes = [
        (1, 1),
        (4, 7),
        (7, 4),
        (5, 5),
        (2, 2),
        (1, 13),
        (13, 1),
        (6, 3),
        (17, 2),
        (13, 17),
        (31, 7),
        (3, 101),
        (101, 3),
        (53, 59),
    ];
    for (w, h) in sizes {
        let input = random_plane(w * h, (w * 1000 + h) as u64);
        for b in Boundary::ALL {
            for iters in [0, 1, 2, 3, 4, 5, 8, 11] {
                let opts = Blur::gaussian().iterations(iters).boundary(b);
                let want = serial(&input, w, h, &opts);
                for threads in THREADS {
                    for k in [1, 2, 5, 16] {
                        let got = tuned(threads, &input, w, h, &opts, &forced(k));
                        let what = format!("{w}x{h} {b} iters {iters} threads {threads} k {k}");
                        assert_same(got, &want, &what);
                    }
                }
            }
        }
    }
}

/// 100 iterations (several full passes and an uneven last one) and odd counts
/// with one iteration per pass (the copy-back path), with strips much narrower
/// than the plane.
#[test]
fn long_runs_and_narrow_strips() {
    let (w, h) = (97, 61);
    let input = random_plane(w * h, 7);
    for b in Boundary::ALL {
        for (iters, k) in [(100, 16), (100, 7), (9, 1), (1, 16), (13, 13)] {
            let opts = Blur::gaussian().iterations(iters).boundary(b);
            let want = serial(&input, w, h, &opts);
            for threads in THREADS {
                // 30-column strips: four per row.
                let tuning = StencilSchedule {
                    strip_width: 30,
                    ..forced(k)
                };
                let got = tuned(threads, &input, w, h, &opts, &tuning);
                assert_same(
                    got,
                    &want,
                    &format!("{b} iters {iters} k {k} threads {threads}"),
                );
            }
        }
    }
}

/// A plane big enough for the default schedule to fuse many iterations per pass
/// and split rows into several strips, through the public default API.
#[test]
fn default_schedule_on_a_larger_plane() {
    let (w, h) = (2100, 300);
    let input = random_plane(w * h, 99);
    for b in [Boundary::Skip, Boundary::Wrap] {
        let opts = Blur::gaussian().iterations(20).boundary(b);
        let want = serial(&input, w, h, &opts).unwrap();
        for threads in [2, 3] {
            let mut got = input.clone();
            opts.run(pool(threads), &mut [&mut got], Shape::new(w, h))
                .unwrap();
            assert_same_bits(&got, &want, &format!("{b} threads {threads}"));
        }
    }
}

/// The documented evaluation order of the symmetric 5×5 plan applied to a
/// constant `v`, in f32 (core's `taps` module docs): vertical pair sums,
/// column combinations, horizontal pair sums.
fn constant_step(v: f32) -> f32 {
    const W: [[f32; 3]; 3] = [
        [0.1621, 0.0983, 0.0219],
        [0.0983, 0.0596, 0.0133],
        [0.0219, 0.0133, 0.0030],
    ];
    let (v0, v1, v2) = (v, v + v, v + v);
    let c: [f32; 3] = std::array::from_fn(|j| W[0][j] * v0 + W[1][j] * v1 + W[2][j] * v2);
    (c[0] + (c[1] + c[1])) + (c[2] + c[2])
}

/// A constant image stays constant (away from the influence of the edges) and
/// darkens by the weight sum 0.9997 per iteration.
#[test]
fn constant_image_darkens_by_the_weight_sum() {
    let (w, h, c) = (64, 48, 0.8f32);
    let input = vec![c; w * h];
    for iters in [1, 2, 7, 30] {
        let mut expected = c;
        for _ in 0..iters {
            expected = constant_step(expected);
        }
        let model = f64::from(c) * 0.9997f64.powi(iters as i32);
        assert!(
            (f64::from(expected) - model).abs() < 1e-5,
            "{expected} vs {model}"
        );
        for b in Boundary::ALL {
            let mut got = input.clone();
            Blur::gaussian()
                .iterations(iters)
                .boundary(b)
                .run(pool(2), &mut [&mut got], Shape::new(w, h))
                .unwrap();
            // Skip keeps the input's frame and zero-src reads zeros outside: only
            // points beyond the reach of the edges (2 + 2·iters) see a constant
            // neighbourhood. Wrap and clamp see one everywhere.
            let reach = match b {
                Boundary::Skip => 2 + 2 * iters,
                Boundary::ZeroSrc => 2 * iters,
                Boundary::Wrap | Boundary::Clamp => 0,
            };
            let mut checked = 0;
            for y in reach..h.saturating_sub(reach) {
                for x in reach..w.saturating_sub(reach) {
                    assert_eq!(
                        got[y * w + x].to_bits(),
                        expected.to_bits(),
                        "{b} iters {iters} at ({y}, {x}): {} vs {expected}",
                        got[y * w + x]
                    );
                    checked += 1;
                }
            }
            assert!(
                checked > 0 || reach * 2 >= h.min(w),
                "{b} {iters}: nothing checked"
            );
            if b == Boundary::Skip {
                assert_eq!(got[0], c, "skip keeps the frame");
                assert_eq!(got[w * h - 1], c, "skip keeps the frame");
            }
        }
    }
}

/// Weights of ARCHITECTURE.md §5.3 as f64 decimals.
const W64: [[f64; 5]; 5] = [
    [0.0030, 0.0133, 0.0219, 0.0133, 0.0030],
    [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
    [0.0219, 0.0983, 0.1621, 0.0983, 0.0219],
    [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
    [0.0030, 0.0133, 0.0219, 0.0133, 0.0030],
];

/// A plain float64 Jacobi blur: 25 taps per point, boundary rule written out.
fn blur_f64(input: &[f32], w: usize, h: usize, b: Boundary, iters: usize) -> Vec<f64> {
    let wide: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
    blur_f64_with(&W64, &wide, w, h, b, iters)
}

/// [`blur_f64`] with other weights, on f64 input.
fn blur_f64_with(
    weights: &[[f64; 5]; 5],
    input: &[f64],
    w: usize,
    h: usize,
    b: Boundary,
    iters: usize,
) -> Vec<f64> {
    let (wi, hi) = (w as i64, h as i64);
    let mut cur = input.to_vec();
    let mut next = cur.clone();
    for _ in 0..iters {
        for y in 0..hi {
            for x in 0..wi {
                let inside = (2..hi - 2).contains(&y) && (2..wi - 2).contains(&x);
                if b == Boundary::Skip && !inside {
                    next[(y * wi + x) as usize] = cur[(y * wi + x) as usize];
                    continue;
                }
                let mut sum = 0.0;
                for (dy, row) in (-2i64..=2).zip(weights) {
                    for (dx, &wt) in (-2i64..=2).zip(row) {
                        let (yy, xx) = (y + dy, x + dx);
                        let v = match b {
                            Boundary::Wrap => {
                                cur[(yy.rem_euclid(hi) * wi + xx.rem_euclid(wi)) as usize]
                            }
                            Boundary::Clamp => {
                                cur[(yy.clamp(0, hi - 1) * wi + xx.clamp(0, wi - 1)) as usize]
                            }
                            Boundary::ZeroSrc | Boundary::Skip => {
                                if (0..hi).contains(&yy) && (0..wi).contains(&xx) {
                                    cur[(yy * wi + xx) as usize]
                                } else {
                                    0.0
                                }
                            }
                        };
                        sum += wt * v;
                    }
                }
                next[(y * wi + x) as usize] = sum;
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    cur
}

/// The f64 blur is the plain f64 loop with the f32 weights widened, bit for
/// bit: every boundary, edge sizes, 1, 2, 3 and 16 threads, forced schedules.
#[test]
fn f64_planes_equal_a_plain_f64_loop() {
    let widened: [[f64; 5]; 5] = GAUSSIAN_5X5.map(|row| row.map(f64::from));
    for (w, h) in [(1, 1), (2, 7), (5, 5), (13, 11), (67, 41), (4, 97)] {
        let input: Vec<f64> = random_plane(w * h, (w * 7 + h) as u64)
            .iter()
            .map(|&v| f64::from(v) * 1e300)
            .collect();
        for b in Boundary::ALL {
            for iters in [0, 1, 7, 40] {
                let want = blur_f64_with(&widened, &input, w, h, b, iters);
                let blur = Blur::gaussian().boundary(b).iterations(iters);
                let mut serial = input.clone();
                blur.run_serial(&mut serial, Shape::new(w, h)).unwrap();
                let same = |got: &[f64]| {
                    got.iter()
                        .zip(&want)
                        .all(|(x, y)| x.to_bits() == y.to_bits())
                };
                assert!(same(&serial), "serial {w}×{h} {b} {iters}");
                for threads in [1, 2, 3, 16] {
                    for schedule in [StencilSchedule::default(), forced(1), forced(3)] {
                        let mut got = input.clone();
                        blur.clone()
                            .schedule(schedule)
                            .run(pool(threads), &mut [&mut got], Shape::new(w, h))
                            .unwrap();
                        assert!(
                            same(&got),
                            "{w}×{h} {b} {iters} it, {threads} threads, {schedule:?}"
                        );
                    }
                }
            }
        }
    }
}

/// ARCHITECTURE.md §5.3: after 100 iterations within 1e-5 absolute of float64 on a
/// 0..1 image.
#[test]
fn hundred_iterations_match_float64() {
    let (w, h) = (83, 71);
    let input = random_plane(w * h, 2024);
    for b in Boundary::ALL {
        let mut got = input.clone();
        Blur::gaussian()
            .iterations(100)
            .boundary(b)
            .run(pool(2), &mut [&mut got], Shape::new(w, h))
            .unwrap();
        let model = blur_f64(&input, w, h, b, 100);
        let worst = got
            .iter()
            .zip(&model)
            .map(|(&g, &m)| (f64::from(g) - m).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-5, "{b}: max |f32 − f64| = {worst:e}");
    }
}

#[test]
fn errors_name_the_problem() {
    let p = pool(2);
    let mut short = vec![0.0f32; 11];
    let err = Blur::gaussian()
        .iterations(1)
        .run(p, &mut [&mut short], Shape::new(3, 4))
        .unwrap_err();
    assert_eq!(
        err,
        StencilRunError::Plane {
            index: 0,
            source: StencilError::PlaneLength {
                len: 11,
                width: 3,
                height: 4
            }
        }
    );
    assert_eq!(
        err.to_string(),
        "plane 0: buffer holds 11 values but the plane is 3×4"
    );
    assert!(std::error::Error::source(&err).is_some());

    let mut empty: Vec<f32> = Vec::new();
    let err = Blur::gaussian()
        .iterations(1)
        .run(p, &mut [&mut empty], Shape::new(0, 5))
        .unwrap_err();
    // A bad shape is the whole call's error, not one plane's.
    assert!(matches!(
        err,
        StencilRunError::Stencil(StencilError::EmptyDimension {
            width: 0,
            height: 5
        })
    ));

    // A plane thinner than the radius wraps periodically (no error): the
    // pool and the serial reference agree, and `check` accepts it.
    let wrap = Blur::gaussian().iterations(3).boundary(Boundary::Wrap);
    let thin: Vec<f32> = (0..5).map(|i| i as f32).collect();
    let (mut fast, mut serial) = (thin.clone(), thin.clone());
    wrap.run(p, &mut [&mut fast], Shape::new(5, 1)).unwrap();
    wrap.run_serial(&mut serial, Shape::new(5, 1)).unwrap();
    assert_eq!(fast, serial);
    assert_eq!(wrap.check(Shape::new(5, 1), 5), Ok(()));

    let (mut a, mut b, mut c) = (vec![0.0f32; 12], vec![0.0f32; 12], vec![0.0f32; 13]);
    let err = Blur::gaussian()
        .iterations(2)
        .run(p, &mut [&mut a, &mut b, &mut c], Shape::new(4, 3))
        .unwrap_err();
    assert_eq!(
        err,
        StencilRunError::Plane {
            index: 2,
            source: StencilError::PlaneLength {
                len: 13,
                width: 4,
                height: 3
            }
        }
    );
    assert_eq!(
        err.to_string(),
        "plane 2: buffer holds 13 values but the plane is 4×3"
    );
    // nothing was blurred before the error was found
    assert!(a.iter().chain(&b).all(|&v| v == 0.0));

    let err = Blur::gaussian()
        .iterations(2)
        .run::<f32>(p, &mut [], Shape::new(0, 3))
        .unwrap_err();
    assert!(matches!(
        err,
        StencilRunError::Stencil(StencilError::EmptyDimension { .. })
    ));
}

/// Progress comes from the calling thread only, strictly increasing, and ends
/// at the iteration count (times the plane count).
#[test]
fn progress_reports_each_pass() {
    let (w, h) = (300, 200);
    for threads in THREADS {
        let p = pool(threads);
        let caller = std::thread::current().id();
        let seen = Mutex::new(Vec::new());
        let mut plane = random_plane(w * h, 5);
        let report = |done: usize| {
            assert_eq!(
                std::thread::current().id(),
                caller,
                "progress off the caller"
            );
            seen.lock().unwrap().push(done);
        };
        Blur::gaussian()
            .iterations(37)
            .progress(&report)
            .run(p, &mut [&mut plane], Shape::new(w, h))
            .unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.len() >= 3, "{threads} threads: {seen:?}");
        assert!(seen.windows(2).all(|s| s[0] < s[1]), "{seen:?}");
        assert_eq!(seen.last(), Some(&37));

        let seen = Mutex::new(Vec::new());
        let (mut a, mut b) = (random_plane(w * h, 1), random_plane(w * h, 2));
        let report = |d: usize| seen.lock().unwrap().push(d);
        Blur::gaussian()
            .iterations(10)
            .progress(&report)
            .run(p, &mut [&mut a, &mut b], Shape::new(w, h))
            .unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.windows(2).all(|s| s[0] < s[1]), "{seen:?}");
        assert_eq!(seen.last(), Some(&20));
    }
    // No iterations: no report; the plane is untouched.
    let calls = Mutex::new(0);
    let mut plane = random_plane(100, 3);
    let before = plane.clone();
    let count = |_: usize| *calls.lock().unwrap() += 1;
    Blur::gaussian()
        .iterations(0)
        .progress(&count)
        .run(pool(2), &mut [&mut plane], Shape::new(10, 10))
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), 0);
    assert_eq!(plane, before);
}

/// A panicking progress callback reaches the caller as a panic, and the pool
/// keeps working afterwards.
#[test]
fn panicking_progress_reaches_the_caller() {
    let (w, h) = (300, 200);
    for threads in [2, 3] {
        let p = pool(threads);
        let mut plane = random_plane(w * h, 11);
        let opts = Blur::gaussian().iterations(30);
        let tuning = StencilSchedule {
            levels: 3,
            ..forced(0)
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let stop = |done: usize| {
                if done >= 9 {
                    panic!("stop at {done}");
                }
            };
            opts.clone().schedule(tuning).progress(&stop).run(
                p,
                &mut [&mut plane],
                Shape::new(w, h),
            )
        }));
        let payload = outcome.expect_err("the panic must propagate");
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or("");
        assert_eq!(message, "stop at 9");
        let input = random_plane(w * h, 12);
        let want = serial(&input, w, h, &opts).unwrap();
        let mut again = input.clone();
        opts.run(p, &mut [&mut again], Shape::new(w, h)).unwrap();
        assert_same_bits(&again, &want, "after a panic");
    }
}

/// `normalize`: flat areas keep their level, where the benchmark's weights
/// (sum 0.9997) darken them by about 3 % per 100 iterations; the parallel blur
/// still matches the serial one bit for bit, on every thread count.
#[test]
fn normalized_weights_keep_flat_areas_level() {
    let (w, h) = (64, 48);
    let flat = vec![0.5f32; w * h];
    let plain = Blur::gaussian().iterations(100).boundary(Boundary::Clamp);
    let normalized = Blur::gaussian_normalized()
        .iterations(100)
        .boundary(Boundary::Clamp);
    let mut dark = flat.clone();
    plain.run_serial(&mut dark, Shape::new(w, h)).unwrap();
    let mut level = flat.clone();
    normalized.run_serial(&mut level, Shape::new(w, h)).unwrap();
    let ratio = |plane: &[f32]| {
        plane
            .iter()
            .map(|&v| f64::from(v) / 0.5)
            .fold(0.0, f64::max)
    };
    assert!(
        (ratio(&dark) - 0.9997f64.powi(100)).abs() < 2e-3,
        "{}",
        ratio(&dark)
    );
    for &v in &level {
        assert!((f64::from(v) - 0.5).abs() < 1e-5, "{v}");
    }
    let image: Vec<f32> = (0..w * h).map(|i| ((i * 7919) % 255) as f32).collect();
    let mut reference = image.clone();
    normalized
        .run_serial(&mut reference, Shape::new(w, h))
        .unwrap();
    for threads in THREADS {
        let mut fast = image.clone();
        normalized
            .run(pool(threads), &mut [&mut fast], Shape::new(w, h))
            .unwrap();
        assert!(
            fast.iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{threads} threads"
        );
    }
}
