//! Running core's [`StencilSystem`] on the pool: one team region for all the
//! iterations, each member keeping the same lines (rows of a plane or volume,
//! columns of a row) throughout.
//!
//! # Protocol
//! ```text
//! member w owns lines(w): a balanced split of extent.lines()
//! for each iteration s:
//!     member w: step_lines(inputs = the whole buffers holding each field's
//!               levels at s, outputs = lines(w) of the buffers receiving
//!               each field's new value at s)
//!     barrier                    -- nobody reads this iteration's inputs any more
//! member w: restore the buffer order over lines(w) of every field
//! ```
//! During an iteration the buffers read are only read, and each member writes
//! only its own lines of the buffers written, which are not among those read
//! (core's rotation gives each iteration's new values the buffer of a level
//! no longer needed), so the iteration is race-free; the barrier orders one
//! iteration's writes before the next one's reads. The final reordering
//! swaps contents between the buffers of a field over the member's own lines
//! only, after the last barrier, so it needs no further synchronisation.
//!
//! Every value comes from core's [`StencilSystem::step_lines`], which gives
//! the same bits whatever the range of lines it is asked for, so the result
//! does not depend on the number of members.
//!
//! # Blocked passes (volumes)
//! A one-level system on a volume, with any boundary but `wrap`, runs in
//! passes of `k` iterations instead ([`Pool::run_system_scheduled`] picks
//! `k` from [`SYSTEM_RING_BYTES`], or takes [`StencilSchedule::levels`]):
//! ```text
//! member w owns planes slab(w): a balanced split of the depth
//! for each pass of k levels:
//!     member w: advance_planes(src = the whole current buffers,
//!                              dst = slab(w) of the other buffers, k levels)
//!     barrier
//!     swap current and other
//! if the result is in the other buffers: member w copies slab(w) back
//! ```
//! Core's `advance_planes` keeps the intermediate levels in rings of planes
//! and recomputes `r(k − ℓ)` planes of halo at each slab end, so members
//! exchange nothing within a pass; it gives the same bits as `k` sweeps.
//! After a blocked run each field's scratch buffer holds no particular
//! level (the sweep's "level before the oldest" is never stored).
//!
//! # When not to fork
//! With one thread, or less work than [`StencilSchedule::runs_inline`] allows
//! (a team region and a barrier per iteration cost a few microseconds), the
//! caller runs core's [`StencilSystem::run_sweeps`] alone.

use accel_core::ir::stencil::StencilElement;
use accel_core::ir::stencil::StencilError;
use accel_core::ir::stencil::system::{
    Extent, StencilSystem, SystemFormula, restore_order, slot_role,
};
use accel_core::partition::balanced_range;

use crate::ir_stencil::StencilSchedule;
use crate::pool::Pool;
use crate::shared::SharedSlice;

impl Pool {
    /// Runs `system` (its iterations, its boundary mode) on `buffers` (each
    /// field's current value, older values, then one scratch buffer: see
    /// core's [`accel_core::ir::stencil::system`]) with read-only
    /// `constants`, with the default [`StencilSchedule`]. The result is
    /// bit-identical to core's [`StencilSystem::run_reference`] for any pool
    /// size.
    ///
    /// # Errors
    /// Those of [`StencilSystem::check`]; nothing is touched then.
    ///
    /// ```
    /// use accel_core::ir::stencil::{Boundary, RowLoad};
    /// use accel_core::ir::stencil::system::{Cells, Extent, StencilSystem, SystemFormula};
    /// use accel_pool::{Pool, PoolConfig};
    ///
    /// /// 3-D Jacobi: the mean of the six face neighbours.
    /// struct Jacobi;
    /// impl SystemFormula for Jacobi {
    ///     fn radius(&self) -> usize { 1 }
    ///     #[inline(always)]
    ///     fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
    ///         let s = n.at([-1, 0, 0]) + n.at([1, 0, 0]) + n.at([0, -1, 0])
    ///             + n.at([0, 1, 0]) + n.at([0, 0, -1]) + n.at([0, 0, 1]);
    ///         R::lit(1.0 / 6.0) * s
    ///     }
    /// }
    ///
    /// let pool = Pool::new(PoolConfig::new().threads(3))?;
    /// let extent = Extent::volume(40, 30, 20);
    /// let start: Vec<f64> = (0..40 * 30 * 20).map(|i| (i % 17) as f64).collect();
    /// let system = StencilSystem::new(Jacobi, Boundary::Clamp, 7)?;
    ///
    /// let (mut a, mut b) = (start.clone(), vec![0.0; start.len()]);
    /// pool.run_system(&system, extent, &mut [&mut a, &mut b], &[])?;
    /// let (mut c, mut d) = (start, vec![0.0; a.len()]);
    /// system.run_reference(extent, &mut [&mut c, &mut d], &[])?;
    /// assert_eq!(a, c); // bit for bit
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_system<F: SystemFormula + Sync, T: StencilElement>(
        &self,
        system: &StencilSystem<F, T>,
        extent: Extent,
        buffers: &mut [&mut [T]],
        constants: &[&[T]],
    ) -> Result<(), StencilError> {
        self.run_system_scheduled(
            system,
            extent,
            buffers,
            constants,
            &StencilSchedule::default(),
        )
    }

    /// [`Pool::run_system`] with an explicit schedule (only
    /// [`StencilSchedule::inline_work`] applies: systems sweep once per
    /// iteration).
    ///
    /// # Errors
    /// Those of [`Pool::run_system`].
    pub fn run_system_scheduled<F: SystemFormula + Sync, T: StencilElement>(
        &self,
        system: &StencilSystem<F, T>,
        extent: Extent,
        buffers: &mut [&mut [T]],
        constants: &[&[T]],
        schedule: &StencilSchedule,
    ) -> Result<(), StencilError> {
        let n = system.check(
            extent,
            buffers.iter().map(|b| b.len()),
            constants.iter().map(|c| c.len()),
        )?;
        let iters = system.iterations();
        if n == 0 || iters == 0 {
            return Ok(());
        }
        let lines = extent.lines();
        if self.num_threads() == 1 || lines < 2 || schedule.runs_inline(n, iters, 1) {
            return system.run_sweeps(extent, buffers, constants);
        }
        let members = self.team_size();
        let levels = blocked_levels(system, extent, iters, members, schedule);
        if levels >= 2 {
            return self.run_system_blocked(system, extent, buffers, constants, levels);
        }
        let buffers: Vec<SharedSlice<'_, T>> =
            buffers.iter_mut().map(|b| SharedSlice::new(b)).collect();
        let (fields, levels, _) = system.counts();
        let slots = levels + 1;
        self.team(|t| {
            let mine = balanced_range(lines, t.size(), t.index());
            let values = mine.start * extent.line_len()..mine.end * extent.line_len();
            let mut inputs: Vec<&[T]> = Vec::with_capacity(fields * levels + constants.len());
            let mut outputs: Vec<&mut [T]> = Vec::with_capacity(fields);
            for step in 0..iters {
                // Core's rotation rule names each buffer's role this
                // iteration: a level (an input, in window order) or the
                // field's new value (its output).
                inputs.resize(fields * levels, &[]);
                for f in 0..fields {
                    for slot in 0..slots {
                        let buffer = &buffers[f * slots + slot];
                        match slot_role(slot, levels, step) {
                            // SAFETY: during this iteration the buffers holding
                            // levels are only read (members write only the
                            // buffers receiving new values, which are no
                            // level's), and the barrier below ends the
                            // iteration before any of them is written.
                            Some(age) => inputs[f * levels + age] = unsafe { buffer.slice(0..n) },
                            // SAFETY: members' line ranges are disjoint, and
                            // nobody reads this buffer during the iteration (it
                            // holds no level until the barrier).
                            None => outputs.push(unsafe { buffer.slice_mut(values.clone()) }),
                        }
                    }
                }
                inputs.extend_from_slice(constants);
                system
                    .step_lines(extent, &inputs, &mut outputs, mine.clone())
                    .expect("buffers and constants are checked before the region");
                // No reference into this iteration's buffers outlives it.
                inputs.clear();
                outputs.clear();
                t.barrier();
            }
            for f in 0..fields {
                let mut parts: Vec<&mut [T]> = (0..slots)
                    // SAFETY: after the last barrier each member touches only
                    // its own lines of any buffer (module docs).
                    .map(|j| unsafe { buffers[f * slots + j].slice_mut(values.clone()) })
                    .collect();
                restore_order(&mut parts, iters);
            }
        });
        Ok(())
    }
}

/// Levels per blocked pass for `system` on `extent` with `members` members:
/// 0 or 1 to sweep. `schedule.levels` forces a count (1: sweep); 0 lets the
/// ring budget ([`SYSTEM_RING_BYTES`]) decide: as many levels as keep a
/// member's rings (`2r + 1` planes per field per intermediate level) within
/// it.
fn blocked_levels<F: SystemFormula, T: StencilElement>(
    system: &StencilSystem<F, T>,
    extent: Extent,
    iters: usize,
    members: usize,
    schedule: &StencilSchedule,
) -> usize {
    if !system.blocks_volumes(extent) || extent.depth() < members {
        return 1;
    }
    let wanted = if schedule.levels > 0 {
        schedule.levels
    } else {
        let ring = system.planes_scratch_len(extent, 2) * std::mem::size_of::<T>();
        1 + SYSTEM_RING_BYTES / ring.max(1)
    };
    wanted.min(iters).min(MAX_SYSTEM_LEVELS)
}

/// Bytes of rings one member's blocked pass may keep. A volume's planes are
/// too large for a core's private L2 (a 256² `f64` plane is 512 KiB, and a
/// level keeps three), so the rings live in the shared L3. On a 2-core
/// Zen 4 (32 MiB L3) the 256³ Jacobi ran 1.8–2.0× faster than sweeping with
/// 3–4 levels (rings of 3–4.5 MiB per member) and slower again beyond
/// (6 levels: 1.4×); 128³ kept improving up to 8 levels (2.7 MiB).
pub const SYSTEM_RING_BYTES: usize = 5 << 20;

/// The most levels a blocked pass of a system fuses.
const MAX_SYSTEM_LEVELS: usize = 8;

impl Pool {
    /// Runs a one-level system on a volume in blocked passes of `levels`
    /// iterations: each member owns a slab of planes and advances it with
    /// core's [`StencilSystem::advance_planes`], reading the whole current
    /// buffers and writing its slab of the other ones; a barrier ends each
    /// pass. Field `f`'s buffers are `2f` (current) and `2f + 1`.
    fn run_system_blocked<F: SystemFormula + Sync, T: StencilElement>(
        &self,
        system: &StencilSystem<F, T>,
        extent: Extent,
        buffers: &mut [&mut [T]],
        constants: &[&[T]],
        levels: usize,
    ) -> Result<(), StencilError> {
        let n = extent.len()?;
        let iters = system.iterations();
        let (fields, _, _) = system.counts();
        let plane_len = extent.width() * extent.height();
        let buffers: Vec<SharedSlice<'_, T>> =
            buffers.iter_mut().map(|b| SharedSlice::new(b)).collect();
        self.team(|t| {
            let planes = balanced_range(extent.depth(), t.size(), t.index());
            let values = planes.start * plane_len..planes.end * plane_len;
            let mut scratch = vec![T::ZERO; system.planes_scratch_len(extent, levels)];
            let mut current = 0;
            let mut done = 0;
            while done < iters {
                let pass = levels.min(iters - done);
                {
                    // SAFETY: during a pass the current buffers are only read
                    // (members write only the other slot), and the barrier
                    // below ends the pass before any member writes them.
                    let src: Vec<&[T]> = (0..fields)
                        .map(|f| unsafe { buffers[2 * f + current].slice(0..n) })
                        .collect();
                    // SAFETY: members' slabs are disjoint, and nobody reads
                    // the other slot during the pass.
                    let mut dst: Vec<&mut [T]> = (0..fields)
                        .map(|f| unsafe { buffers[2 * f + 1 - current].slice_mut(values.clone()) })
                        .collect();
                    system
                        .advance_planes(
                            extent,
                            &src,
                            constants,
                            &mut dst,
                            planes.clone(),
                            pass,
                            &mut scratch,
                        )
                        .expect("buffers and constants are checked before the region");
                }
                t.barrier();
                current = 1 - current;
                done += pass;
            }
            if current == 1 {
                for f in 0..fields {
                    // SAFETY: after the last barrier each member touches only
                    // its own slab of any buffer.
                    let (from, to) = unsafe {
                        (
                            buffers[2 * f + 1].slice(values.clone()),
                            buffers[2 * f].slice_mut(values.clone()),
                        )
                    };
                    to.copy_from_slice(from);
                }
            }
        });
        Ok(())
    }
}
