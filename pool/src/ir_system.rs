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
//! # When not to fork
//! With one thread, or less work than [`StencilSchedule::runs_inline`] allows
//! (a team region and a barrier per iteration cost a few microseconds), the
//! caller runs core's [`StencilSystem::run_sweeps`] alone.

use accel_core::ir::stencil::StencilElement;
use accel_core::ir::stencil::StencilError;
use accel_core::ir::stencil::system::{Extent, StencilSystem, SystemFormula, restore_order};
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
                let turn = step % slots;
                for f in 0..fields {
                    for age in 0..levels {
                        // Age `age` sits in slot (age − step) mod slots (core's
                        // `slot_role`).
                        let slot = (age + slots - turn) % slots;
                        // SAFETY: during this iteration the buffers holding
                        // levels are only read (members write only the
                        // buffers receiving new values, which are no level's),
                        // and the barrier below ends the iteration before any
                        // of them is written.
                        inputs.push(unsafe { buffers[f * slots + slot].slice(0..n) });
                    }
                }
                inputs.extend_from_slice(constants);
                for f in 0..fields {
                    let slot = (levels + slots - turn) % slots;
                    // SAFETY: members' line ranges are disjoint, and nobody
                    // reads this buffer during the iteration (it holds no
                    // level until the barrier).
                    outputs.push(unsafe { buffers[f * slots + slot].slice_mut(values.clone()) });
                }
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
