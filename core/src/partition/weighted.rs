//! Weighted split: contiguous parts of a sequence of item costs, each within one
//! item's cost of the ideal share.
//!
//! # The rule
//! Let `c_0 … c_{n−1}` be the item costs, `P(t) = c_0 + … + c_{t−1}` their prefix
//! sums, `T = P(n)` the total and `p` the number of parts. Part `i` is
//! `b_i .. b_{i+1}` with `b_0 = 0`, `b_p = n` and, for `0 < i < p`,
//!
//! ```text
//! b_i = the smallest t in 0..=n with P(t) · p ≥ i · T
//! ```
//!
//! (compared exactly in 128-bit integers). When `T = 0` every split is equally
//! good and the items are split by count instead ([`balanced_range`]).
//!
//! # The bound
//! The `b_i` never decrease, so the parts cover `0..n` exactly once. For
//! `0 < i < p` and `T > 0`, `P(0) = 0 < i·T/p`, so `b_i ≥ 1` and, by minimality,
//! `P(b_i − 1) < i·T/p ≤ P(b_i)`; since `P(b_i) = P(b_i − 1) + c_{b_i − 1}`,
//!
//! ```text
//! i·T/p ≤ P(b_i) < i·T/p + c_{b_i − 1}.
//! ```
//!
//! At the ends `P(b_0) = 0` and `P(b_p) = T` exactly. The cost of part `i`,
//! `C_i = P(b_{i+1}) − P(b_i)`, is therefore bracketed by its two boundary items:
//!
//! ```text
//! T/p − c_{b_i − 1} < C_i < T/p + c_{b_{i+1} − 1}
//! ```
//!
//! (a missing end term is 0, and the inequality on that side is not strict: the
//! first part gets at least the ideal share and the last at most). Hence
//! `|C_i − T/p| < max_t c_t`: every part is within one item's cost of the ideal.
//! No contiguous split can do better in general (one item of cost `c` among
//! zero-cost items forces some part to be off by at least `c·(1 − 1/p)`).
//!
//! [`balanced_range`]: super::balanced_range

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use super::balanced_range;

/// A rejected weighted-split input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WeightError {
    /// The running total of the costs exceeds `u64::MAX` at item `item`.
    CostOverflow {
        /// Index of the item whose cost pushed the total over.
        item: usize,
        /// That item's cost.
        cost: u64,
    },
    /// A caller-provided buffer has the wrong length.
    BufferLength {
        /// The length required.
        expected: usize,
        /// The length provided.
        actual: usize,
    },
    /// A split into zero parts was requested.
    NoParts,
}

impl fmt::Display for WeightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WeightError::CostOverflow { item, cost } => write!(
                f,
                "total item cost exceeds u64::MAX at item {item} (cost {cost})"
            ),
            WeightError::BufferLength { expected, actual } => {
                write!(f, "buffer has length {actual}, expected {expected}")
            }
            WeightError::NoParts => f.write_str("cannot split into 0 parts"),
        }
    }
}

impl core::error::Error for WeightError {}

/// Writes the prefix sums of `costs` into `prefix` (`prefix[t] = c_0 + … + c_{t−1}`,
/// so `prefix[0] = 0`) and returns the total. `prefix` must have `costs.len() + 1`
/// entries. This is the table [`weighted_part`] searches.
///
/// # Errors
/// [`WeightError::BufferLength`] for a wrong-sized `prefix`,
/// [`WeightError::CostOverflow`] when the total exceeds `u64::MAX`.
///
/// ```
/// use accel_core::partition::prefix_sums;
/// let mut prefix = [0u64; 4];
/// assert_eq!(prefix_sums(&[3, 1, 4], &mut prefix), Ok(8));
/// assert_eq!(prefix, [0, 3, 4, 8]);
/// ```
pub fn prefix_sums(costs: &[u64], prefix: &mut [u64]) -> Result<u64, WeightError> {
    if prefix.len() != costs.len() + 1 {
        return Err(WeightError::BufferLength {
            expected: costs.len() + 1,
            actual: prefix.len(),
        });
    }
    let mut total = 0u64;
    prefix[0] = 0;
    for (item, (&cost, slot)) in costs.iter().zip(&mut prefix[1..]).enumerate() {
        total = total
            .checked_add(cost)
            .ok_or(WeightError::CostOverflow { item, cost })?;
        *slot = total;
    }
    Ok(total)
}

/// `P(t) · parts ≥ i · T`, exactly.
#[inline]
fn reaches(prefix_t: u64, parts: usize, i: usize, total: u64) -> bool {
    u128::from(prefix_t) * parts as u128 >= i as u128 * u128::from(total)
}

/// Boundary `b_i` (`0 ≤ i ≤ parts`) of the weighted split described by the prefix
/// sums `prefix` (as written by [`prefix_sums`]: `n + 1` non-decreasing entries
/// starting at 0) into `parts` parts. See the [module docs](self) for the rule.
/// O(log n).
///
/// # Panics
/// Panics if `prefix` is empty, `parts == 0` or `i > parts`.
#[inline]
pub fn weighted_boundary(prefix: &[u64], parts: usize, i: usize) -> usize {
    assert!(
        !prefix.is_empty() && parts > 0 && i <= parts,
        "boundary {i} of {parts} parts over {} prefix sums",
        prefix.len()
    );
    let n = prefix.len() - 1;
    let total = prefix[n];
    if i == 0 {
        return 0;
    }
    if i == parts {
        return n;
    }
    if total == 0 {
        return balanced_range(n, parts, i).start;
    }
    prefix.partition_point(|&x| !reaches(x, parts, i, total))
}

/// Part `part` of the weighted split of `n` items into `parts` contiguous ranges,
/// given their prefix sums (`n + 1` entries, see [`prefix_sums`]). Each part's
/// cost is within one item's cost of `total / parts` (proof in the
/// [module docs](self)). O(log n), no allocation.
///
/// ```
/// use accel_core::partition::{prefix_sums, weighted_part};
/// // One heavy item among light ones is not lumped with the others.
/// let costs = [1, 1, 8, 1, 1, 1, 1, 1, 1];
/// let mut prefix = [0; 10];
/// prefix_sums(&costs, &mut prefix).unwrap();
/// let parts: Vec<_> = (0..2).map(|i| weighted_part(&prefix, 2, i)).collect();
/// assert_eq!(parts, [0..3, 3..9]); // costs 10 and 6; ideal 8, item costs ≤ 8
/// ```
///
/// # Panics
/// Panics if `prefix` is empty, `parts == 0` or `part >= parts`.
#[inline]
pub fn weighted_part(prefix: &[u64], parts: usize, part: usize) -> Range<usize> {
    assert!(part < parts, "part {part} of {parts} parts");
    let start = weighted_boundary(prefix, parts, part);
    let end = weighted_boundary(prefix, parts, part + 1);
    start..end.max(start)
}

/// All `parts + 1` boundaries of the weighted split of `costs`, written into
/// `bounds` (`parts = bounds.len() − 1`), in one pass over the costs and no other
/// memory: part `i` is `bounds[i]..bounds[i + 1]`. Identical to
/// [`weighted_boundary`] over the prefix sums. O(n + parts).
///
/// # Errors
/// [`WeightError::NoParts`] when `bounds.len() < 2`, [`WeightError::CostOverflow`]
/// when the total cost exceeds `u64::MAX`.
///
/// ```
/// use accel_core::partition::weighted_bounds;
/// let mut bounds = [0; 4];
/// weighted_bounds(&[5, 1, 1, 1, 1, 1, 5], &mut bounds).unwrap();
/// assert_eq!(bounds, [0, 1, 6, 7]);
/// ```
pub fn weighted_bounds(costs: &[u64], bounds: &mut [usize]) -> Result<(), WeightError> {
    if bounds.len() < 2 {
        return Err(WeightError::NoParts);
    }
    let parts = bounds.len() - 1;
    let n = costs.len();
    let mut total = 0u64;
    for (item, &cost) in costs.iter().enumerate() {
        total = total
            .checked_add(cost)
            .ok_or(WeightError::CostOverflow { item, cost })?;
    }
    bounds[0] = 0;
    bounds[parts] = n;
    if total == 0 {
        for (i, b) in bounds.iter_mut().enumerate().take(parts).skip(1) {
            *b = balanced_range(n, parts, i).start;
        }
        return Ok(());
    }
    // Targets i·T/p increase with i, so one forward walk finds every b_i.
    // Each b_i is the first t whose prefix P(t) reaches target i; the walk checks
    // P(t) before adding c_t. Every target below p is reached by P(n) = T.
    let mut i = 1;
    let mut prefix = 0u64;
    for (t, &cost) in costs.iter().enumerate() {
        while i < parts && reaches(prefix, parts, i, total) {
            bounds[i] = t;
            i += 1;
        }
        prefix += cost;
    }
    for b in &mut bounds[i..parts] {
        *b = n;
    }
    Ok(())
}

/// The weighted split of `costs` into `parts` contiguous ranges (convenience
/// over [`weighted_bounds`]).
///
/// # Errors
/// As [`weighted_bounds`]; `parts == 0` is [`WeightError::NoParts`].
///
/// ```
/// use accel_core::partition::weighted_ranges;
/// let parts = weighted_ranges(&[4, 4, 1, 1, 1, 1, 1, 1, 1, 1], 2).unwrap();
/// assert_eq!(parts, [0..2, 2..10]);
/// ```
#[cfg(feature = "alloc")]
pub fn weighted_ranges(costs: &[u64], parts: usize) -> Result<Vec<Range<usize>>, WeightError> {
    if parts == 0 {
        return Err(WeightError::NoParts);
    }
    let mut bounds = alloc::vec![0; parts + 1];
    weighted_bounds(costs, &mut bounds)?;
    Ok(bounds.windows(2).map(|w| w[0]..w[1]).collect())
}
