//! How a blur is cut up: who runs it, which rows each worker owns, and how many
//! iterations one pass fuses over which column strips.
//!
//! # The cost model
//! Core's [`BlockPlan::for_cache`] owns the cache model: column strips of about
//! 1536 columns, and as many fused levels as keep one strip's row rings inside a
//! core's private L2 (up to 32). What only the parallel driver knows is added
//! here:
//! * **the band halo.** A worker advancing its band of `b` rows by `k` levels
//!   recomputes `r·k(k − 1)` row-levels at each inner band edge, ≈ `r(k − 1)/b`
//!   of its work; `k` is capped to keep that under 5 % (it binds only for bands
//!   under ≈ 1000 rows);
//! * **the iteration count** (a pass never fuses more than is left), or a
//!   level count the caller fixes ([`Tuning::levels`]);
//! * **when not to fork at all** ([`Tuning::runs_inline`]).

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
/// assert_eq!(t.levels, 0); // chosen by the cache model
/// // force the team path and one iteration per pass (a plain per-iteration sweep)
/// let sweep = Tuning { inline_work: 0, levels: 1, ..Tuning::default() };
/// assert_eq!(sweep.levels, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tuning {
    /// Below this much work (points × iterations × planes), or for planes of
    /// fewer than `inline_work / 16` points (too little per worker and pass to
    /// pay for a barrier), the caller runs the blur alone instead of forking the
    /// pool.
    pub inline_work: usize,
    /// Iterations fused per pass: 0 (the default) lets core's cache model
    /// choose, capped so the band halo stays under 5 %; `n > 0` fuses exactly
    /// `n` (at most core's [`MAX_LEVELS`], and never more than the iterations
    /// asked for).
    pub levels: usize,
    /// Bytes of one core's private cache the row rings of one strip may use:
    /// the budget given to core's [`BlockPlan::for_cache`].
    pub ring_bytes: usize,
    /// Output columns per strip; 0 (the default) takes the cache model's choice.
    /// The level count is still the cache model's for its own strip width.
    pub strip_width: usize,
}

impl Tuning {
    /// Default [`Tuning::ring_bytes`]: core's default, 1 MiB of this machine's
    /// 1.25 MiB L2 per core ([`BlockPlan::DEFAULT_CACHE_BYTES`]).
    pub const RING_BYTES: usize = BlockPlan::DEFAULT_CACHE_BYTES;

    /// Default [`Tuning::inline_work`]: a team region (one fork, a barrier per
    /// pass, one join) costs a few microseconds, ≈ 10⁴ point-iterations.
    pub const INLINE_WORK: usize = 1 << 17;

    /// Whether a blur of `planes` planes of `points` points each, `iters`
    /// iterations, should run on the caller alone.
    pub(crate) fn runs_inline(&self, points: usize, iters: usize, planes: usize) -> bool {
        let work = points.saturating_mul(iters).saturating_mul(planes);
        work < self.inline_work || points < self.inline_work / 16
    }

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
        let cache = BlockPlan::for_cache(r, width, self.ring_bytes);
        let band_rows = height.div_ceil(members.max(1));
        // Keep the band halo r(k − 1)/b within 1/HALO_BUDGET_DIV.
        let by_halo = 1 + band_rows / (HALO_BUDGET_DIV * r.max(1));
        let levels = match self.levels {
            0 => cache.levels.min(by_halo),
            n => n.min(MAX_LEVELS),
        };
        let levels = levels.min(iters).max(1);
        let strip = match self.strip_width {
            0 => cache.strip_width,
            s => s,
        };
        BlockPlan::new(levels, strip.max(1))
    }
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            inline_work: Self::INLINE_WORK,
            levels: 0,
            ring_bytes: Self::RING_BYTES,
            strip_width: 0,
        }
    }
}

/// The rows of a `height`-row plane that member `index` of `members` owns: a
/// balanced split, the same every pass, so its data stays in its cache.
pub(crate) fn band(height: usize, members: usize, index: usize) -> Range<usize> {
    balanced_range(height, members, index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use accel_core::ir::stencil::Stencil;

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
    fn levels_respect_iterations_caps_and_halo() {
        let t = Tuning::default();
        let seed = t.plan(7095, 5322, 100, 2, 2);
        assert!(
            seed.levels >= 16 && seed.levels <= BlockPlan::MODEL_MAX_LEVELS,
            "{seed:?}"
        );
        assert_eq!(t.plan(7095, 5322, 3, 2, 2).levels, 3);
        assert_eq!(t.plan(100, 10, 100, 2, 2).levels, 1);
        assert_eq!(t.plan(100, 10, 0, 2, 2).levels, 1);
        let fixed = Tuning { levels: 5, ..t };
        assert_eq!(fixed.plan(7095, 5322, 100, 2, 1).levels, 5);
        assert_eq!(fixed.plan(10, 10, 100, 2, 3).levels, 5, "no halo cap");
        assert_eq!(fixed.plan(10, 10, 3, 2, 3).levels, 3);
        let huge = Tuning { levels: 1000, ..t };
        assert_eq!(huge.plan(10, 10, 100, 2, 3).levels, MAX_LEVELS);
        let p = t.plan(1024, 1024, 100, 2, 2);
        assert!(2 * (p.levels - 1) * HALO_BUDGET_DIV <= 512, "{p:?}");
    }

    #[test]
    fn every_plan_has_valid_scratch() {
        let stencil = Stencil::blur(Default::default(), 1);
        for ring_bytes in [0, 1, 4096, Tuning::RING_BYTES, usize::MAX / 8] {
            for levels in [0, 1, 7, 32, 1000] {
                let t = Tuning {
                    ring_bytes,
                    levels,
                    ..Tuning::default()
                };
                for (w, h) in [(1, 1), (5, 5), (97, 61), (7095, 5322)] {
                    let narrow = Tuning {
                        strip_width: 3,
                        ..t
                    }
                    .plan(w, h, 9, 2, 2);
                    assert_eq!(narrow.strip_width, 3);
                    stencil.band_scratch_len(w, narrow).expect("valid plan");
                    let p = t.plan(w, h, 100, 2, 3);
                    assert!(p.levels >= 1 && p.levels <= MAX_LEVELS && p.strip_width >= 1);
                    stencil.band_scratch_len(w, p).expect("valid plan");
                }
            }
        }
    }
}
