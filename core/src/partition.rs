//! Exact partitioning math: how `0..n` (or a 2-D domain) is split among workers.

use core::ops::Range;

/// Part `part` of the balanced split of `0..n` into `parts` contiguous ranges.
///
/// Part sizes differ by at most one; the first `n % parts` parts get the extra item.
/// `start(p) = (n / parts) * p + min(n % parts, p)`.
///
/// # Panics
/// Panics if `parts == 0` or `part >= parts`.
#[inline]
pub fn balanced_range(n: usize, parts: usize, part: usize) -> Range<usize> {
    assert!(parts > 0 && part < parts, "part {part} of {parts} parts");
    let q = n / parts;
    let r = n % parts;
    let start = q * part + part.min(r);
    let len = q + usize::from(part < r);
    start..start + len
}
