//! Stencil systems on the pool ([`Pool::run_system`]) against core's
//! point-by-point reference: rows, planes and volumes, one to three levels,
//! several fields and constants, every boundary, 1, 2, 3 and more threads
//! than cores, every SIMD path.

use accel_core::ir::stencil::system::{Cells, Extent, ROW_TILE, StencilSystem, SystemFormula};
use accel_core::ir::stencil::{Boundary, RowLoad, StencilElement, StencilError};
use accel_core::simd::SimdPath;
use accel_pool::{Pool, PoolConfig, StencilSchedule};
use proptest::prelude::*;

fn pool(threads: usize) -> Pool {
    Pool::new(PoolConfig::new().threads(threads)).expect("pool")
}

/// Forks for any size, so that small grids exercise the team path.
fn team_always() -> StencilSchedule {
    StencilSchedule {
        inline_work: 0,
        ..StencilSchedule::default()
    }
}

/// A damped, coupled update: each field mixes its own face neighbours, its
/// previous levels, the other field and the constants.
#[derive(Clone, Copy, Debug)]
struct Coupled {
    dims: usize,
    radius: usize,
    fields: usize,
    levels: usize,
    constants: usize,
}

impl SystemFormula for Coupled {
    fn radius(&self) -> usize {
        self.radius
    }
    fn fields(&self) -> usize {
        self.fields
    }
    fn levels(&self) -> usize {
        self.levels
    }
    fn constants(&self) -> usize {
        self.constants
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, field: usize, n: &Cells<'_, R>) -> R {
        let d = self.radius as i32;
        let mut faces = n.field(field, d) + n.field(field, -d);
        if self.dims >= 2 {
            faces = faces + n.field(field, [d, 0]) + n.field(field, [-d, 0]);
        }
        if self.dims == 3 {
            faces = faces + n.field(field, [d, 0, 0]) + n.field(field, [-d, 0, 0]);
        }
        let mut v = R::lit(0.1) * faces + R::lit(0.3) * n.field(field, 0);
        for age in 1..self.levels {
            v = v - R::lit(0.05) * n.past(field, age, 0);
        }
        let other = (field + 1) % self.fields;
        v = v + R::lit(0.02) * n.field(other, 0);
        for c in 0..self.constants {
            v = v + n.constant(c, 0) * n.field(field, 0) * R::lit(0.01);
        }
        v
    }
}

fn extent_of(dims: usize, w: usize, h: usize, d: usize) -> Extent {
    match dims {
        1 => Extent::row(w),
        2 => Extent::plane(w, h),
        _ => Extent::volume(w, h, d),
    }
}

fn filled<T: StencilElement>(count: usize, n: usize, seed: u64) -> Vec<Vec<T>> {
    (0..count)
        .map(|k| {
            (0..n)
                .map(|i| {
                    let h = (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (k as u64) << 7;
                    T::from_f64(((h >> 40) % 1000) as f64 / 500.0 - 1.0)
                })
                .collect()
        })
        .collect()
}

/// [`compare_on`] with 1, 2, 3 and 5 threads (more than this machine's cores).
fn compare<T: StencilElement>(
    formula: Coupled,
    extent: Extent,
    boundary: Boundary,
    iters: usize,
    seed: u64,
) {
    for threads in [1, 2, 3, 5] {
        compare_on::<T>(&pool(threads), formula, extent, boundary, iters, seed);
    }
}

/// Runs `formula` from seeded buffers with the reference and on `pool`
/// (every SIMD path), and compares every buffer bit for bit.
fn compare_on<T: StencilElement>(
    pool: &Pool,
    formula: Coupled,
    extent: Extent,
    boundary: Boundary,
    iters: usize,
    seed: u64,
) {
    let n = extent.len().unwrap();
    let system: StencilSystem<Coupled, T> = StencilSystem::new(formula, boundary, iters).unwrap();
    let start = filled::<T>(system.buffer_count(), n, seed);
    let constants = filled::<T>(formula.constants, n, !seed);
    let consts: Vec<&[T]> = constants.iter().map(|c| c.as_slice()).collect();
    let mut expected = start.clone();
    {
        let mut bufs: Vec<&mut [T]> = expected.iter_mut().map(|b| b.as_mut_slice()).collect();
        system.run_reference(extent, &mut bufs, &consts).unwrap();
    }
    check_pool(pool, &system, &start, &consts, &expected, extent);
}

/// Runs `system` from `start` on `pool` on every SIMD path and compares
/// every buffer with `expected`, bit for bit.
fn check_pool<T: StencilElement>(
    pool: &Pool,
    system: &StencilSystem<Coupled, T>,
    start: &[Vec<T>],
    consts: &[&[T]],
    expected: &[Vec<T>],
    extent: Extent,
) {
    let threads = pool.num_threads();
    let (formula, boundary, iters) = (*system.formula(), system.boundary(), system.iterations());
    // Every field's levels (each field's last buffer is scratch, whose
    // contents a run leaves unspecified), on every path, sweeping and, but
    // under `wrap`, in blocked passes of 2 and 3 levels and of the model's
    // choice.
    let slots = formula.levels + 1;
    let kept = |i: &usize| i % slots != formula.levels;
    for path in SimdPath::supported() {
        for levels in [0, 1, 2, 3] {
            let schedule = StencilSchedule {
                levels,
                ..team_always()
            };
            let on = system.with_simd(path).unwrap();
            let mut got = start.to_vec();
            let mut bufs: Vec<&mut [T]> = got.iter_mut().map(|b| b.as_mut_slice()).collect();
            pool.run_system_scheduled(&on, extent, &mut bufs, consts, &schedule)
                .unwrap();
            assert!(
                (0..got.len()).filter(kept).all(|i| got[i]
                    .iter()
                    .zip(&expected[i])
                    .all(|(a, b)| a.to_f64().to_bits() == b.to_f64().to_bits())),
                "{threads} threads, {path}, {levels} levels per pass, {extent:?}, {boundary}, {iters} iterations, {formula:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn pool_matches_reference(
        dims in 1usize..=3,
        radius in 0usize..=2,
        w in 1usize..=45,
        h in 1usize..=9,
        d in 1usize..=6,
        fields in 1usize..=2,
        levels in 1usize..=3,
        constants in 0usize..=1,
        boundary in prop::sample::select(Boundary::ALL.to_vec()),
        iters in 0usize..=5,
        seed in any::<u64>(),
        wide in any::<bool>(),
    ) {
        let formula = Coupled { dims, radius, fields, levels, constants };
        let extent = extent_of(dims, w, h, d);
        if wide {
            compare::<f64>(formula, extent, boundary, iters, seed);
        } else {
            compare::<f32>(formula, extent, boundary, iters, seed);
        }
    }
}

/// Fewer lines than threads, single points, primes.
#[test]
fn edge_sizes_on_the_team_path() {
    for dims in 1..=3 {
        for size in [1usize, 2, 3, 7, 13] {
            for boundary in Boundary::ALL {
                let formula = Coupled {
                    dims,
                    radius: 2,
                    fields: 2,
                    levels: 2,
                    constants: 1,
                };
                compare::<f64>(
                    formula,
                    extent_of(dims, size, size, size.min(5)),
                    boundary,
                    3,
                    1,
                );
            }
        }
    }
}

/// The default schedule runs small grids inline and large ones on the team;
/// both agree with the reference.
#[test]
fn default_schedule_agrees_on_small_and_large_grids() {
    let formula = Coupled {
        dims: 3,
        radius: 1,
        fields: 1,
        levels: 2,
        constants: 0,
    };
    for extent in [Extent::volume(6, 5, 4), Extent::volume(64, 48, 40)] {
        let n = extent.len().unwrap();
        let system: StencilSystem<Coupled, f64> =
            StencilSystem::new(formula, Boundary::Wrap, 4).unwrap();
        let start = filled::<f64>(3, n, 5);
        let mut expected = start.clone();
        let mut got = start;
        {
            let mut e: Vec<&mut [f64]> = expected.iter_mut().map(|b| b.as_mut_slice()).collect();
            system.run_reference(extent, &mut e, &[]).unwrap();
        }
        let mut g: Vec<&mut [f64]> = got.iter_mut().map(|b| b.as_mut_slice()).collect();
        pool(2).run_system(&system, extent, &mut g, &[]).unwrap();
        // u and u⁻ (the third buffer is scratch).
        assert_eq!(got[..2], expected[..2], "{extent:?}");
    }
}

#[test]
fn bad_buffers_are_rejected_before_anything_runs() {
    let formula = Coupled {
        dims: 2,
        radius: 1,
        fields: 1,
        levels: 1,
        constants: 0,
    };
    let system: StencilSystem<Coupled, f32> =
        StencilSystem::new(formula, Boundary::Skip, 2).unwrap();
    let (mut a, mut b) = (vec![1.0f32; 20], vec![2.0f32; 19]);
    let err = pool(2).run_system(&system, Extent::plane(5, 4), &mut [&mut a, &mut b], &[]);
    assert_eq!(
        err,
        Err(StencilError::ArrayLength {
            constant: false,
            index: 1,
            len: 19,
            expected: 20
        })
    );
    assert!(a.iter().all(|&v| v == 1.0) && b.iter().all(|&v| v == 2.0));
}

/// A formula that panics on one member ends the run with that panic on the
/// caller, after the region has wound down: no member waits at a barrier
/// for ever.
#[test]
fn a_panicking_formula_reaches_the_caller() {
    struct Explodes;
    impl SystemFormula for Explodes {
        fn radius(&self) -> usize {
            1
        }
        fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
            // Only the pool's workers panic; the caller's member carries on
            // to the barrier.
            let on_worker = std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("accel-worker"));
            assert!(!on_worker, "a formula panic on a worker");
            n.at([0, 1])
        }
    }
    let system: StencilSystem<Explodes, f64> =
        StencilSystem::new(Explodes, Boundary::Wrap, 5).unwrap();
    let extent = Extent::plane(64, 64);
    let pool = pool(3);
    let mut a = vec![0.0f64; 64 * 64];
    let mut b = vec![0.0f64; 64 * 64];
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.run_system_scheduled(&system, extent, &mut [&mut a, &mut b], &[], &team_always())
    }));
    assert!(got.is_err(), "the formula's panic must reach the caller");
    // The pool still runs a system on its team afterwards.
    let calm = Coupled {
        dims: 2,
        radius: 1,
        fields: 1,
        levels: 1,
        constants: 0,
    };
    compare_on::<f64>(&pool, calm, extent, Boundary::Wrap, 4, 3);
}

/// Blocked passes on rows (in tiles), planes and volumes, for systems of one to three
/// levels (the wave's history), on the team and on one thread, against the
/// reference: every boundary they run, radius 0 to 2, grids whose slabs are
/// thinner than the halo.
#[test]
fn blocked_passes_on_the_team() {
    for boundary in [Boundary::Skip, Boundary::ZeroSrc, Boundary::Clamp] {
        for radius in 0..=2 {
            for (fields, levels, constants) in [(1, 1, 0), (2, 1, 1), (1, 2, 1), (2, 3, 0)] {
                let grids = [
                    Extent::volume(23, 9, 13),
                    Extent::volume(9, 5, 2),
                    Extent::plane(31, 17),
                    Extent::plane(8, 3),
                    Extent::row(ROW_TILE + 301),
                    Extent::row(50),
                ];
                for extent in grids {
                    let formula = Coupled {
                        dims: extent.dims(),
                        radius,
                        fields,
                        levels,
                        constants,
                    };
                    compare::<f64>(formula, extent, boundary, 7, radius as u64);
                }
            }
        }
    }
}

/// With the schedule's own choice on a grid above its cache budget, a run
/// probes (a blocked pass, a sweep, a blocked pass, then the rest with the
/// winner) and the next run of the same shape takes the kept verdict; both
/// agree with the reference bit for bit, for one- and two-level systems,
/// on 1, 2 and 3 threads.
#[test]
fn probed_runs_agree_with_the_reference() {
    let schedule = StencilSchedule {
        ring_bytes: 4096,
        ..team_always()
    };
    for (levels, extent) in [(1, Extent::plane(40, 30)), (2, Extent::volume(12, 9, 10))] {
        let formula = Coupled {
            dims: extent.dims(),
            radius: 1,
            fields: 1,
            levels,
            constants: 1,
        };
        let n = extent.len().unwrap();
        let system: StencilSystem<Coupled, f64> =
            StencilSystem::new(formula, Boundary::Clamp, 20).unwrap();
        let start = filled::<f64>(system.buffer_count(), n, 11);
        let constants = filled::<f64>(1, n, 12);
        let consts: Vec<&[f64]> = constants.iter().map(|c| c.as_slice()).collect();
        let mut expected = start.clone();
        {
            let mut e: Vec<&mut [f64]> = expected.iter_mut().map(|b| b.as_mut_slice()).collect();
            system.run_reference(extent, &mut e, &consts).unwrap();
        }
        for threads in [1, 2, 3] {
            let pool = pool(threads);
            for run in ["probing", "kept verdict"] {
                let mut got = start.clone();
                let mut g: Vec<&mut [f64]> = got.iter_mut().map(|b| b.as_mut_slice()).collect();
                pool.run_system_scheduled(&system, extent, &mut g, &consts, &schedule)
                    .unwrap();
                assert_eq!(
                    got[..levels],
                    expected[..levels],
                    "{threads} threads, {run}, {extent:?}"
                );
            }
        }
    }
}
