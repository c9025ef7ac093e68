//! The parallel driver: one team region for the whole blur, one band of rows per
//! worker, one barrier per fused pass.
//!
//! # Protocol
//! ```text
//! A = caller's plane, B = second plane (allocated once, shared by all planes)
//! member w owns rows band(w) in every pass and every plane
//! for each plane:
//!     for each pass (k levels, Passes makes the count even when it can):
//!         member w: run_band(src = whole A, dst = rows band(w) of B, k levels)
//!         barrier                       -- nobody reads A or writes B any more
//!         member 0: progress(done)
//!         swap(A, B)
//!     if the pass count was odd (only when every pass has 1 level):
//!         member w copies rows band(w) of B back into A
//! ```
//! During a pass the source plane is only read and each member writes only its
//! own rows of the destination, so the pass is race-free; the barrier orders one
//! pass's writes before the next pass's reads. The copy-back after an odd pass
//! count needs no extra barrier: a member only copies its own rows, and the next
//! plane's first pass writes only the member's own rows of `B` as well.
//!
//! Every value comes from the core's band executor, which is bit-identical to the
//! one-iteration-at-a-time reference whatever the bands, so the result does not
//! depend on the number of members.

use accel_core::ir::stencil::{BlockPlan, LinearTaps, Passes, Shape, Stencil};
use accel_pool::SharedSlice;

use super::schedule::{self, Tuning};

/// One blur run over one or more planes of the same shape.
pub(crate) struct Run<'a> {
    /// The stencil (its iteration count is the blur's).
    pub stencil: &'a Stencil<LinearTaps>,
    /// Shape of every plane.
    pub shape: Shape,
    /// The caller's planes, validated against `shape`.
    pub planes: &'a [SharedSlice<'a, f32>],
    /// The second plane.
    pub other: &'a SharedSlice<'a, f32>,
    /// Called by member 0 with the plane-iterations done so far.
    pub progress: &'a (dyn Fn(usize) + Sync),
    /// The schedule's knobs.
    pub tuning: &'a Tuning,
}

impl Run<'_> {
    /// The body of member `index` of a team of `members`; `barrier` waits for
    /// all members (a no-op for a team of one). Every member calls `barrier` the
    /// same number of times.
    pub(crate) fn member(&self, index: usize, members: usize, barrier: &dyn Fn()) {
        let Shape { width, height } = self.shape;
        let iters = self.stencil.iterations();
        let rows = schedule::band(height, members, index);
        let mine = rows.start * width..rows.end * width;
        let n = width * height;
        let plan = self
            .tuning
            .plan(width, height, iters, self.stencil.radius(), members);
        let scratch_len = self
            .stencil
            .band_scratch_len(width, plan)
            .expect("blur plans have a strip width ≥ 1 and at most MAX_LEVELS levels");
        let mut scratch = vec![0.0f32; scratch_len];
        let mut done = 0;
        for plane in self.planes {
            let passes = Passes::new(iters, plan.levels);
            let ends_in_other = passes.ends_in_scratch();
            let mut in_plane = true;
            for levels in passes {
                let (src, dst) = if in_plane {
                    (plane, self.other)
                } else {
                    (self.other, plane)
                };
                {
                    // SAFETY: during a pass nobody writes `src` (members write only
                    // the other buffer), and the barrier below ends the pass before
                    // any member writes `src` again.
                    let src = unsafe { src.slice(0..n) };
                    // SAFETY: bands of distinct members are disjoint, and nobody
                    // reads `dst` during the pass (it becomes a source only after
                    // the barrier).
                    let dst = unsafe { dst.slice_mut(mine.clone()) };
                    let pass = BlockPlan { levels, ..plan };
                    self.stencil
                        .run_band(src, dst, self.shape, rows.clone(), pass, &mut scratch)
                        .expect("blur plane and band validated before the region");
                }
                barrier();
                done += levels;
                if index == 0 {
                    (self.progress)(done);
                }
                in_plane = !in_plane;
            }
            if ends_in_other {
                // SAFETY: the last pass's barrier has passed, so nobody reads
                // this member's rows of `plane` or writes its rows of `other`
                // until this member moves on (module docs).
                let (from, to) = unsafe {
                    (
                        self.other.slice(mine.clone()),
                        plane.slice_mut(mine.clone()),
                    )
                };
                to.copy_from_slice(from);
            }
        }
    }
}
