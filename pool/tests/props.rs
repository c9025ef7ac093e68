//! Property tests: loops cover every index exactly once, and reductions are
//! bit-identical across thread counts, on random inputs.

use std::sync::{Mutex, OnceLock};

use accel_pool::{Pool, PoolConfig};
use proptest::prelude::*;

/// Pools of 1, 2, 3 and 5 threads, built once for all cases.
fn pools() -> &'static [Pool] {
    static POOLS: OnceLock<Vec<Pool>> = OnceLock::new();
    POOLS.get_or_init(|| {
        [1, 2, 3, 5]
            .iter()
            .map(|&t| Pool::new(PoolConfig::new().threads(t)).unwrap())
            .collect()
    })
}

fn sorted(v: Mutex<Vec<usize>>) -> Vec<usize> {
    let mut v = v.into_inner().unwrap();
    v.sort_unstable();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn for_range_covers_each_index_once(start in 0usize..1_000, len in 0usize..3_000, grain in 0usize..400) {
        for pool in pools() {
            let seen = Mutex::new(Vec::new());
            pool.for_range(start..start + len, grain, |r| seen.lock().unwrap().extend(r));
            prop_assert_eq!(sorted(seen), (start..start + len).collect::<Vec<_>>());
        }
    }

    #[test]
    fn for_weighted_covers_each_item_once(
        costs in prop::collection::vec(0u64..10_000, 0..600),
        grain in 1u64..50_000,
    ) {
        for pool in pools() {
            let seen = Mutex::new(Vec::new());
            pool.for_weighted_with_grain(&costs, grain, |items| {
                assert!(!items.is_empty());
                seen.lock().unwrap().extend(items);
            });
            prop_assert_eq!(sorted(seen), (0..costs.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn for_each_chunk_mut_equals_serial(len in 0usize..3_000, grain in 0usize..300, seed in any::<u64>()) {
        let serial: Vec<u64> = (0..len as u64).map(|i| i.wrapping_mul(seed) ^ seed).collect();
        for pool in pools() {
            let mut v = vec![0u64; len];
            pool.for_each_chunk_mut(&mut v, grain, |off, chunk| {
                for (i, x) in chunk.iter_mut().enumerate() {
                    *x = ((off + i) as u64).wrapping_mul(seed) ^ seed;
                }
            });
            prop_assert_eq!(&v, &serial);
        }
    }

    #[test]
    fn reduce_is_deterministic_and_covers_once(
        data in prop::collection::vec(-1e6f64..1e6, 0..4_000),
        grain in 1usize..500,
    ) {
        let sums: Vec<u64> = pools()
            .iter()
            .map(|pool| {
                pool.reduce(0..data.len(), grain, || 0.0f64, |r| data[r].iter().sum::<f64>(), |a, b| a + b)
                    .to_bits()
            })
            .collect();
        prop_assert!(sums.windows(2).all(|w| w[0] == w[1]), "{:?}", sums);
        // The same fold, serially.
        let serial = data.chunks(grain).fold(0.0f64, |acc, c| acc + c.iter().sum::<f64>());
        prop_assert_eq!(sums[0], serial.to_bits());
        // Coverage: every index mapped exactly once.
        for pool in pools() {
            let seen = pool.reduce(0..data.len(), grain, Vec::new, |r| r.collect::<Vec<_>>(), |mut a, b| {
                a.extend(b);
                a
            });
            prop_assert_eq!(seen, (0..data.len()).collect::<Vec<_>>());
        }
    }
}
