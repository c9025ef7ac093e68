//! Shared set-up of the pool benchmarks: an accel pool and a rayon pool of the
//! same size, and criterion settings short enough for a 2-core machine.

use std::time::Duration;

use accel_pool::{Pool, PoolConfig};
use criterion::Criterion;

/// The accel pool (default threads: the affinity mask, or `ACCEL_NUM_THREADS`)
/// and a rayon pool with as many threads.
pub fn pools() -> (Pool, rayon::ThreadPool) {
    let pool = Pool::new(PoolConfig::new()).expect("accel pool");
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(pool.num_threads())
        .build()
        .expect("rayon pool");
    (pool, rayon)
}

/// Criterion settings: 1 s warm-up, 3 s measurement, 60 samples.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(60)
}
