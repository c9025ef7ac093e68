//! `Pool::map_formula`, `Pool::sum_formula` and `Pool::reduce_formula` against
//! one serial call of core's executor on the same SIMD path: every supported path, edge sizes (0, 1,
//! primes, fewer elements than threads, one chunk and a bit), 1, 2, 3 and more
//! threads than CPUs, and random inputs.

use accel_core::ir::{Formula, Real, ReduceOp};
use accel_core::simd::{self, FormulaError, SimdPath};
use accel_pool::{FORMULA_CHUNK, Pool, PoolConfig};
use proptest::prelude::*;

/// Three inputs, `exp` and `sqrt` (the example (b)), a division, `ln`
/// and `erf` (a table read with gathers on the AVX2 path).
struct Mixed;
impl Formula<3, 1> for Mixed {
    #[inline(always)]
    fn eval<R: Real>(&self, [a, b, c]: [R; 3]) -> [R; 1] {
        let l = R::lit;
        [(-(a * a) * l(0.5)).exp() * (b.abs() + l(1.0)).sqrt()
            + (c.abs() + l(2.0)).ln() / (b * b + l(1.0))
            + (a - c).erf()]
    }
}

fn pools() -> Vec<Pool> {
    let many = std::thread::available_parallelism().map_or(4, |n| n.get()) + 3;
    [1, 2, 3, many]
        .into_iter()
        .map(|n| Pool::new(PoolConfig::new().threads(n).pin(false)).unwrap())
        .collect()
}

fn columns(n: usize, seed: u64) -> [Vec<f64>; 3] {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0
    };
    std::array::from_fn(|_| (0..n).map(|_| next()).collect())
}

fn check(n: usize, seed: u64, pools: &[Pool]) {
    let cols = columns(n, seed);
    let ins = [&cols[0][..], &cols[1][..], &cols[2][..]];
    for path in SimdPath::supported() {
        let mut want = vec![0.0; n];
        simd::map(path, &Mixed, ins, &mut want).unwrap();
        let mut sums = Vec::new();
        for pool in pools {
            let mut got = vec![f64::NAN; n];
            pool.map_formula_on(path, ins, &mut got, &Mixed).unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&got),
                bits(&want),
                "{path}, n={n}, {} threads",
                pool.num_threads()
            );
            sums.push(pool.sum_formula_on(path, ins, &Mixed).unwrap());
        }
        // The same bits for every thread count, and the serial sum's value.
        assert!(
            sums.iter().all(|s| s.to_bits() == sums[0].to_bits()),
            "{path} n={n}: {sums:?}"
        );
        let serial: f64 = want.iter().sum();
        assert!(
            (sums[0] - serial).abs() <= 1e-12 * serial.abs().max(1.0),
            "{path} n={n}: {} vs {serial}",
            sums[0]
        );
    }
}

#[test]
fn edge_sizes_on_every_path_and_thread_count() {
    let pools = pools();
    for n in [
        0,
        1,
        2,
        3,
        7,
        13,
        31,
        FORMULA_CHUNK - 1,
        FORMULA_CHUNK,
        FORMULA_CHUNK + 1,
        3 * FORMULA_CHUNK + 17,
    ] {
        check(n, n as u64 + 1, &pools);
    }
}

/// Values near 1, so that a product of tens of thousands stays finite.
struct NearOne;
impl Formula<3, 1> for NearOne {
    #[inline(always)]
    fn eval<R: Real>(&self, [a, b, c]: [R; 3]) -> [R; 1] {
        let l = R::lit;
        [(a * l(1e-4)).exp() + (b * c).erf() * l(1e-5)]
    }
}

/// Every reduction but the sum, on every path and pool size: the same bits on
/// every pool; the serial fold of the path's mapped values (exactly for min,
/// max, any and all; within rounding for the product, whose chunks associate
/// differently); and on the portable path, core's serial `reduce_formula` bit
/// for bit while the input is one chunk.
fn check_reductions(n: usize, seed: u64, pools: &[Pool]) {
    let cols = columns(n, seed);
    let ins = [&cols[0][..], &cols[1][..], &cols[2][..]];
    for path in SimdPath::supported() {
        for op in [
            ReduceOp::Prod,
            ReduceOp::Min,
            ReduceOp::Max,
            ReduceOp::Any,
            ReduceOp::All,
        ] {
            let results: Vec<f64> = pools
                .iter()
                .map(|p| match op {
                    ReduceOp::Prod => p.reduce_formula_on(path, op, ins, &NearOne),
                    _ => p.reduce_formula_on(path, op, ins, &Mixed),
                })
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                results.iter().all(|r| r.to_bits() == results[0].to_bits()),
                "{path} {op:?} n={n}: {results:?}"
            );
            let mut mapped = vec![0.0; n];
            if op == ReduceOp::Prod {
                simd::map(path, &NearOne, ins, &mut mapped).unwrap();
            } else {
                simd::map(path, &Mixed, ins, &mut mapped).unwrap();
            }
            let mut lanes = op.new_lanes::<f64>();
            op.fold_lanes(&mut lanes, &mapped);
            let serial = op.finish_lanes(lanes);
            if op == ReduceOp::Prod {
                assert!(
                    (results[0] - serial).abs() <= 1e-12 * serial.abs(),
                    "{path} n={n}"
                );
            } else {
                assert_eq!(
                    results[0].to_bits(),
                    serial.to_bits(),
                    "{path} {op:?} n={n}"
                );
            }
            if path == SimdPath::Portable && n <= FORMULA_CHUNK {
                let core = match op {
                    ReduceOp::Prod => accel_core::ir::reduce_formula(op, ins, &NearOne),
                    _ => accel_core::ir::reduce_formula(op, ins, &Mixed),
                }
                .unwrap();
                assert_eq!(results[0].to_bits(), core.to_bits(), "{op:?} n={n}");
            }
        }
    }
}

#[test]
fn reductions_on_edge_sizes_every_path_and_thread_count() {
    let pools = pools();
    for n in [
        0,
        1,
        7,
        13,
        FORMULA_CHUNK,
        FORMULA_CHUNK + 1,
        3 * FORMULA_CHUNK + 17,
    ] {
        check_reductions(n, n as u64 + 5, &pools);
    }
    // A zero makes `all` false and is the minimum of non-negative values.
    let pool = &pools[1];
    let mut a = vec![1.0; 20_000];
    a[12_345] = 0.0;
    struct Id;
    impl Formula<1, 1> for Id {
        fn eval<R: Real>(&self, [x]: [R; 1]) -> [R; 1] {
            [x]
        }
    }
    assert_eq!(pool.reduce_formula(ReduceOp::All, [&a], &Id).unwrap(), 0.0);
    assert_eq!(pool.reduce_formula(ReduceOp::Any, [&a], &Id).unwrap(), 1.0);
    assert_eq!(pool.reduce_formula(ReduceOp::Min, [&a], &Id).unwrap(), 0.0);
    assert_eq!(pool.reduce_formula(ReduceOp::Max, [&a], &Id).unwrap(), 1.0);
    assert_eq!(
        pool.reduce_formula(ReduceOp::Sum, [&a], &Id).unwrap(),
        19_999.0
    );
}

#[test]
fn bad_lengths_and_paths_are_refused_before_any_write() {
    let pool = Pool::new(PoolConfig::new().threads(2)).unwrap();
    let (a, b) = (vec![1.0; 20_000], vec![1.0; 19_999]);
    let mut out = vec![7.0; 20_000];
    let e = pool
        .map_formula([&a, &b, &a], &mut out, &Mixed)
        .unwrap_err();
    assert!(matches!(e, FormulaError::Slices(_)), "{e}");
    assert!(out.iter().all(|&x| x == 7.0));
    assert!(pool.sum_formula([&a, &a, &b], &Mixed).is_err());
    for path in SimdPath::ALL.into_iter().filter(|p| !p.is_supported()) {
        let e = pool
            .map_formula_on(path, [&a, &a, &a], &mut out, &Mixed)
            .unwrap_err();
        assert!(matches!(e, FormulaError::Simd(_)), "{e}");
        assert!(pool.sum_formula_on(path, [&a, &a, &a], &Mixed).is_err());
        assert!(
            pool.reduce_formula_on(path, ReduceOp::Max, [&a, &a, &a], &Mixed)
                .is_err()
        );
    }
    assert!(
        pool.reduce_formula(ReduceOp::Min, [&a, &b, &a], &Mixed)
            .is_err()
    );
    assert!(out.iter().all(|&x| x == 7.0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_lengths_match_the_serial_executor(n in 0usize..40_000, seed in any::<u64>()) {
        check(n, seed, &pools());
    }

    #[test]
    fn random_lengths_reduce_like_the_serial_fold(n in 0usize..30_000, seed in any::<u64>()) {
        check_reductions(n, seed, &pools());
    }
}
