//! How many parts a piece of work is worth: the rule that keeps tiny work serial.
//!
//! The seed's tiny fill ran far slower in parallel than serially: splitting
//! costs a fixed overhead per task (wake a worker, hand over the task, join), and
//! below some size that overhead is all there is. The model here is the simplest
//! one that captures it: `W` ns of perfectly divisible work split into `p` parts
//! takes
//!
//! ```text
//! T(p) = W / p + o · p
//! ```
//!
//! where `o` is the per-task overhead (tasks are handed out one after another, so
//! their overheads add up). Going from `p − 1` to `p` parts helps iff
//! `W/(p−1) − W/p > o`, i.e. iff `(p − 1) · p · o < W`; that condition only gets
//! harder as `p` grows, so the best `p` is the largest one satisfying it
//! (≈ `√(W / o)`). [`worthwhile_parts`] computes it exactly under that model,
//! capped by the number of items and of available workers.
//!
//! [`grain_size`] answers the dual question: how many items must a task hold so
//! that the overhead is at most a given fraction of its work.

/// The number of parts worth splitting `items` items of `cost_per_item_ns` each
/// into, given a per-task overhead of `overhead_ns`: the `p` minimising
/// `W/p + overhead·p` with `W = items · cost_per_item_ns` (see the
/// [module docs](self)), clamped to `1..=min(items, max_parts)`.
///
/// Always at least 1. A non-positive or NaN cost means "no work" (1 part); a
/// non-positive or NaN overhead means "splitting is free" (the cap).
///
/// ```
/// use accel_core::partition::worthwhile_parts;
/// // 24 entries at 0.25 ns each against 2 µs per task: stay serial.
/// assert_eq!(worthwhile_parts(24, 0.25, 2_000.0, 16), 1);
/// // 286 ms of work: use every worker.
/// assert_eq!(worthwhile_parts(125_000_000, 2.3, 2_000.0, 16), 16);
/// // 20 µs of work: 3 parts (T(3) ≈ 12.7 µs beats T(2) = 14 µs and T(4) = 13 µs).
/// assert_eq!(worthwhile_parts(20_000, 1.0, 2_000.0, 16), 3);
/// ```
pub fn worthwhile_parts(
    items: usize,
    cost_per_item_ns: f64,
    overhead_ns: f64,
    max_parts: usize,
) -> usize {
    let cap = items.min(max_parts).max(1);
    if !positive(cost_per_item_ns) {
        return 1;
    }
    if !positive(overhead_ns) {
        return cap;
    }
    let work = items as f64 * cost_per_item_ns;
    // p parts beat p − 1 iff (p − 1)·p·o < W; monotone in p, so binary search
    // for the largest such p in 1..=cap.
    let helps = |p: usize| {
        let p = p as f64;
        (p - 1.0) * p * overhead_ns < work
    };
    let (mut lo, mut hi) = (1usize, cap);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if helps(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// The smallest number of items per task for which the per-task overhead is at
/// most `max_overhead_fraction` of the task's work:
/// `ceil(overhead_ns / (max_overhead_fraction · cost_per_item_ns))`, at least 1.
///
/// Returns `usize::MAX` when no finite grain achieves it (zero, negative or NaN
/// cost or fraction): such work should not be split. A non-positive or NaN
/// overhead gives 1.
///
/// ```
/// use accel_core::partition::grain_size;
/// // Overhead 2 µs, 5 ns per item, overhead ≤ 10 %: 4000 items per task.
/// assert_eq!(grain_size(5.0, 2_000.0, 0.1), 4_000);
/// assert_eq!(grain_size(0.0, 2_000.0, 0.1), usize::MAX);
/// ```
pub fn grain_size(cost_per_item_ns: f64, overhead_ns: f64, max_overhead_fraction: f64) -> usize {
    if !positive(overhead_ns) {
        return 1;
    }
    let per_item = max_overhead_fraction * cost_per_item_ns;
    if !(positive(cost_per_item_ns) && positive(max_overhead_fraction) && positive(per_item)) {
        return usize::MAX;
    }
    let exact = overhead_ns / per_item;
    if exact.is_nan() || exact >= usize::MAX as f64 {
        return usize::MAX;
    }
    // `as` truncates toward zero (exact is positive): round up by hand, as
    // `f64::ceil` needs std.
    let floor = exact as usize;
    let ceil = if (floor as f64) < exact {
        floor + 1
    } else {
        floor
    };
    ceil.max(1)
}

/// The number of parts when every part should hold at least `grain` items:
/// `ceil(items / grain)`, clamped to `1..=max(1, max_parts)`. A `grain` of 0 is
/// treated as 1.
///
/// ```
/// use accel_core::partition::parts_for_grain;
/// assert_eq!(parts_for_grain(10_000, 4_000, 8), 3);
/// assert_eq!(parts_for_grain(10, 4_000, 8), 1);
/// assert_eq!(parts_for_grain(1_000_000, 4_000, 8), 8);
/// ```
pub fn parts_for_grain(items: usize, grain: usize, max_parts: usize) -> usize {
    items.div_ceil(grain.max(1)).clamp(1, max_parts.max(1))
}

/// `x > 0`, false for NaN: every "not positive" branch above also catches NaN.
#[inline]
fn positive(x: f64) -> bool {
    x > 0.0
}
