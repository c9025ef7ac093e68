//! The examples' one timing rule: the median of 7 runs.

use std::time::Instant;

/// The median of 7 timed runs of `f`, in seconds.
pub fn median(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..7)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[3]
}
