//! How a blur is cut up: who runs it, which rows each worker owns, how many
//! iterations one pass fuses and how wide a column strip is.
//!
//! # The cost model
//! One iteration costs ≈ 0.3–0.5 ns per point on one core (the row kernel's
//! arithmetic), wherever its inputs come from as long as they are in L1 or L2.
//! A pass of `k` fused iterations additionally streams the plane through memory
//! once (read 4 B, write 4 B plus the write-allocate read: ≈ 0.6 ns per point on
//! one core here), and recomputes a halo: a band of `b` rows needs
//! `r·k(k − 1)` extra row-levels per band edge pair (≈ `r(k − 1)/b` relative), a
//! strip of `s` columns `r·k(k − 1)` extra column-levels (≈ `r(k − 1)/s`).
//! The rings of one strip (`(2r + 1)` rows per level) must stay in the core's
//! private L2, which bounds `k·s`.
//!
//! So: as many levels as the rings allow (up to [`Tuning::max_fused`]) while the band
//! halo stays a few per cent, and strips as wide as the cache budget allows.

use std::ops::Range;

use accel_core::ir::stencil::{BlockPlan, MAX_LEVELS};
use accel_core::partition::balanced_range;

/// Largest relative band-halo overhead `r(k − 1)/b` accepted when choosing `k`
/// (as `1 / HALO_BUDGET_DIV`).
const HALO_BUDGET_DIV: usize = 20;

/// The knobs of the blur's schedule. They change only the speed, never the
/// result: every setting gives the same bits as
/// [`blur_plane_serial`](super::blur_plane_serial).
///
/// ```
/// use accel_kernels::blur::Tuning;
///
/// let t = Tuning::default();
/// assert_eq!(t.max_fused, Tuning::MAX_FUSED);
/// // force the team path and one iteration per pass (a plain per-iteration sweep)
/// let sweep = Tuning { inline_work: 0, max_fused: 1, ..Tuning::default() };
/// assert_eq!(sweep.max_fused, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tuning {
    /// Below this much work (points × iterations × planes), or for planes of
    /// fewer than `inline_work / 16` points (too little per worker and pass to
    /// pay for a barrier), the caller runs the blur alone instead of forking the
    /// pool.
    pub inline_work: usize,
    /// The most iterations one pass fuses (0 counts as 1; values above core's
    /// [`MAX_LEVELS`] count as that).
    pub max_fused: usize,
    /// Bytes of one core's private cache the row rings of one strip may use;
    /// bounds the strip width (never below 64 columns).
    pub ring_bytes: usize,
}

impl Tuning {
    /// Default [`Tuning::max_fused`]: beyond this the memory traffic saved is a
    /// few per cent while strips must get narrower (more column halo). Measured
    /// on the seed run (7095×5322, 100 iterations, one thread, CPU time): 24 with
    /// 1 MiB rings (6 passes of 16–17 levels) ≈ 5 % faster than 16 with 768 KiB
    /// (8 passes); 8, 12 and 32 no better.
    pub const MAX_FUSED: usize = 24;

    /// Default [`Tuning::ring_bytes`]: about 80 % of this machine's 1.25 MiB L2,
    /// leaving room for the source and destination streams.
    pub const RING_BYTES: usize = 1024 * 1024;

    /// Default [`Tuning::inline_work`]: a team region (one fork, a barrier per
    /// pass, one join) costs a few microseconds, ≈ 10⁴ point-iterations.
    pub const INLINE_WORK: usize = 1 << 17;
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            inline_work: Self::INLINE_WORK,
            max_fused: Self::MAX_FUSED,
            ring_bytes: Self::RING_BYTES,
        }
    }
}

impl Tuning {
    /// Whether a blur of `planes` planes of `points` points each, `iters`
    /// iterations, should run on the caller alone.
    pub(crate) fn runs_inline(&self, points: usize, iters: usize, planes: usize) -> bool {
        let work = points.saturating_mul(iters).saturating_mul(planes);
        work < self.inline_work || points < self.inline_work / 16
    }
}

/// The rows of a `height`-row plane that member `index` of `members` owns: a
/// balanced split, the same every pass, so its data stays in its cache.
pub(crate) fn band(height: usize, members: usize, index: usize) -> Range<usize> {
    balanced_range(height, members, index)
}

impl Tuning {
    /// The blocking plan for a `width × height` plane, `iters` iterations, radius
    /// `r`, split into `members` bands.
    pub(crate) fn plan(
        &self,
        width: usize,
        height: usize,
        iters: usize,
        r: usize,
        members: usize,
    ) -> BlockPlan {
        let r = r.max(1);
        let band_rows = height.div_ceil(members.max(1));
        // Keep the band halo r(k − 1)/b within 1/HALO_BUDGET_DIV.
        let by_halo = 1 + band_rows / (HALO_BUDGET_DIV * r);
        let levels = iters
            .min(self.max_fused.clamp(1, MAX_LEVELS))
            .min(by_halo)
            .max(1);
        BlockPlan::new(levels, self.strip_width(width, levels, r))
    }

    /// The widest strip whose rings fit [`Tuning::ring_bytes`], then evened out
    /// so that all strips of a row have (nearly) the same width.
    fn strip_width(&self, width: usize, levels: usize, r: usize) -> usize {
        let side = 2 * r + 1;
        // Rings of a strip s wide: side · (k·s + r·k(k + 1)) values.
        let per_col = side * levels * std::mem::size_of::<f32>();
        let fixed = r * (levels + 1);
        let max = (self.ring_bytes / per_col).saturating_sub(fixed).max(64);
        let strips = width.div_ceil(max).max(1);
        width.div_ceil(strips).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_even_out_and_fit() {
        let t = Tuning::default();
        for width in [1, 5, 63, 64, 1000, 7095, 100_000] {
            for levels in 1..=Tuning::MAX_FUSED {
                let s = t.strip_width(width, levels, 2);
                assert!(s >= 1 && s <= width.max(64));
                let strips = width.div_ceil(s);
                // every strip is s or s − 1 wide: balanced
                assert!(strips * s - width < strips, "{width} {levels} {s}");
                if s > 64 {
                    let ring = 5 * (levels * s + 2 * levels * (levels + 1)) * 4;
                    assert!(ring <= Tuning::RING_BYTES, "{width} {levels} {s} {ring}");
                }
            }
        }
    }

    #[test]
    fn small_work_and_small_planes_run_inline() {
        let t = Tuning::default();
        assert!(t.runs_inline(100, 10, 1));
        assert!(
            t.runs_inline(90 * 90, 10_000, 3),
            "tiny plane, many iterations"
        );
        assert!(!t.runs_inline(1024 * 1024, 1, 1));
        assert!(!t.runs_inline(200 * 200, 100, 1));
        let forced = Tuning {
            inline_work: 0,
            ..t
        };
        assert!(!forced.runs_inline(1, 1, 1));
    }

    #[test]
    fn levels_respect_iterations_and_halo() {
        let t = Tuning::default();
        assert_eq!(t.plan(7095, 5322, 100, 2, 2).levels, Tuning::MAX_FUSED);
        assert_eq!(t.plan(7095, 5322, 3, 2, 2).levels, 3);
        assert_eq!(t.plan(100, 10, 100, 2, 2).levels, 1);
        assert_eq!(t.plan(100, 10, 0, 2, 2).levels, 1);
        let big = Tuning {
            max_fused: 1000,
            ..t
        };
        assert_eq!(big.plan(7095, 5322, 100, 2, 1).levels, MAX_LEVELS);
        let p = t.plan(1024, 1024, 100, 2, 2);
        assert!(2 * (p.levels - 1) * HALO_BUDGET_DIV <= 512, "{p:?}");
    }
}
