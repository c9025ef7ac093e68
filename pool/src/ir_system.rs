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
//! # Blocked passes
//! A system on a row, a plane or a volume, of any number of fields and
//! levels, with any boundary but `wrap`, runs in passes of `k` iterations instead
//! when the cache model says it pays (`blocked_levels`: not when every
//! buffer fits the private cache; `k` from [`SYSTEM_RING_BYTES`], or taken
//! from [`StencilSchedule::levels`]). The units are the grid's outermost
//! coordinate: planes of a volume, rows of a plane, columns of a row (which
//! core advances in tiles).
//! ```text
//! the current set: each field's L levels (its first L buffers)
//! the other set:   each field's scratch buffer and L − 1 lent arrays
//! member w owns units slab(w): a balanced split
//! for each pass of k levels:
//!     member w: advance_slab(src = the whole current set,
//!                            dst = slab(w) of the other set, k levels)
//!     barrier
//!     swap current and other
//! if the result is in the other set: member w copies slab(w) back
//! ```
//! Core's `advance_slab` keeps the intermediate levels in rings of units
//! and recomputes `r(k − ℓ)` units of halo at each slab end, so members
//! exchange nothing within a pass; it gives the same bits as `k` sweeps, for
//! every level the next pass reads. The other set needs every level of a
//! field, so systems of `L ≥ 2` levels (the wave) borrow `L − 1` arrays per
//! field from the pool's kept scratch (and sweep if it cannot be had).
//! After a blocked run each field's scratch buffer holds no particular
//! level (the sweep's "level before the oldest" is never stored).
//!
//! With one thread the caller runs the same passes alone, as one member.
//!
//! # When blocking pays
//! The cache model proposes blocking for grids larger than the private
//! cache budget, but a grid that still fits the shared L3 often sweeps
//! faster: a sweep runs whole planes as one run of rows, a blocked pass one
//! unit per level at a time. On the 2-vCPU Zen 4, a 5-point `f64` system
//! swept 400² and 700² planes 1.3–1.8× faster than the model's passes
//! (buffers of 2.6 and 7.8 MB), broke even at 1000², and lost from 1200²
//! (23 MB) on; 96³ volumes broke even. So, unless the schedule forces a
//! level count, the run times both on its own first iterations: one
//! untimed pass (it faults in the rings and wakes the team), `k` swept
//! iterations and one pass of `k`, each one region (`k` is the plan's
//! levels, or a third of the run's iterations if fewer). The faster per
//! iteration runs the rest, and the pool keeps the verdict by formula type,
//! grid, radius, levels and members, so the next run of the same shape does
//! not probe again. Every executor gives the same bits, so the probe
//! changes only the time.
//!
//! # When not to fork
//! With one thread, or less work than [`StencilSchedule::runs_inline`] allows
//! (a team region and a barrier per iteration cost a few microseconds), the
//! caller runs alone: blocked passes if the cache model asks for them,
//! otherwise core's [`StencilSystem::run_sweeps`].

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
        let inline = schedule.runs_inline(n, iters, 1);
        let members = if self.num_threads() == 1 || lines < 2 || inline {
            1
        } else {
            self.team_size()
        };
        let levels = blocked_levels(system, extent, iters, members, schedule);
        let job = SystemJob {
            system,
            extent,
            constants,
        };
        let probing = schedule.levels == 0;
        if levels >= 2
            && !(inline && probing)
            && !(probing
                && self
                    .stencil_probes
                    .blocking_won(job.probe_key(levels, members))
                    == Some(false))
        {
            // The other set of arrays a blocked pass writes needs `L − 1` more
            // arrays per field; without the memory, sweep.
            let (fields, ages, _) = system.counts();
            if let Ok(extra) = self.stencil_scratch.zeroed::<T>(fields * (ages - 1) * n) {
                let mut run = BlockedRun {
                    levels,
                    members,
                    extra,
                    rings: vec![T::ZERO; members * system.slab_scratch_len(extent, levels)],
                };
                let done = if probing {
                    match self.probe_blocking(&job, buffers, &mut run) {
                        Probed::Block { done } => done,
                        Probed::Sweep { done } => {
                            self.sweep_system(&job, buffers, members, iters - done);
                            return Ok(());
                        }
                    }
                } else {
                    0
                };
                self.run_system_blocked(&job, buffers, &mut run, iters - done);
                return Ok(());
            }
        }
        self.sweep_system(&job, buffers, members, iters);
        Ok(())
    }

    /// Decides whether blocked passes beat sweeps for this run, from the
    /// last verdict on the same formula type, grid, levels and members, or
    /// by timing both on the run's own first iterations (module docs,
    /// "When blocking pays"). Returns the verdict and how many of the run's
    /// iterations the probe advanced.
    fn probe_blocking<F: SystemFormula + Sync, T: StencilElement>(
        &self,
        job: &SystemJob<'_, F, T>,
        buffers: &mut [&mut [T]],
        run: &mut BlockedRun<'_, T>,
    ) -> Probed {
        let (levels, members) = (run.levels, run.members);
        let key = job.probe_key(levels, members);
        match self.stencil_probes.blocking_won(key) {
            Some(true) => return Probed::Block { done: 0 },
            Some(false) => return Probed::Sweep { done: 0 },
            None => {}
        }
        // The probe's passes: the plan's levels, or fewer when the run is
        // too short to time three times that (a shorter pass only
        // understates what blocking saves).
        let probe = levels.min(job.system.iterations() / 3);
        if probe < 2 {
            return Probed::Block { done: 0 };
        }
        // One untimed pass (it also faults in the rings and wakes the team),
        // then as many iterations swept as a pass fuses, then one pass, each
        // timed as one region: the faster per iteration runs the rest.
        self.run_system_blocked(job, buffers, run, probe);
        let start = std::time::Instant::now();
        self.sweep_system(job, buffers, members, probe);
        let per_sweep = start.elapsed().as_secs_f64() / probe as f64;
        let start = std::time::Instant::now();
        self.run_system_blocked(job, buffers, run, probe);
        let per_blocked = start.elapsed().as_secs_f64() / probe as f64;
        let won = per_blocked < per_sweep;
        self.stencil_probes.remember(key, won);
        let done = 3 * probe;
        if won {
            Probed::Block { done }
        } else {
            Probed::Sweep { done }
        }
    }

    /// `iters` iterations of `system`, one sweep each, on `members` members
    /// (1: the caller alone); the buffers are left in their documented order.
    fn sweep_system<F: SystemFormula + Sync, T: StencilElement>(
        &self,
        job: &SystemJob<'_, F, T>,
        buffers: &mut [&mut [T]],
        members: usize,
        iters: usize,
    ) {
        let SystemJob {
            system,
            extent,
            constants,
        } = *job;
        if members == 1 {
            system
                .sweep_iterations(extent, buffers, constants, iters)
                .expect("buffers and constants are checked before the run");
            return;
        }
        let n = buffers.first().map_or(0, |b| b.len());
        let lines = extent.lines();
        let (fields, levels, _) = system.counts();
        let buffers: Vec<SharedSlice<'_, T>> =
            buffers.iter_mut().map(|b| SharedSlice::new(b)).collect();
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
    }
}

/// What every step of one system run shares: the system, its grid and its
/// read-only arrays.
struct SystemJob<'a, F, T> {
    system: &'a StencilSystem<F, T>,
    extent: Extent,
    constants: &'a [&'a [T]],
}

impl<F, T> Clone for SystemJob<'_, F, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F, T> Copy for SystemJob<'_, F, T> {}

impl<F: SystemFormula, T: StencilElement> SystemJob<'_, F, T> {
    /// What a probe's verdict on this run depends on: the formula's type,
    /// the grid, the radius, the levels per pass and the members.
    fn probe_key(&self, levels: usize, members: usize) -> crate::ir_stencil::ProbeKey {
        let e = self.extent;
        (
            std::any::type_name::<F>(),
            [
                e.width(),
                e.height(),
                e.depth(),
                self.system.formula().radius(),
                levels,
                members,
            ],
        )
    }
}

/// What [`Pool::probe_blocking`] found, and how many iterations it ran.
enum Probed {
    Block { done: usize },
    Sweep { done: usize },
}

/// Levels per blocked pass for `system` on `extent` with `members` members:
/// 0 or 1 to sweep. `schedule.levels` forces a count (1: sweep). Otherwise
/// the cache model decides:
/// * a grid whose buffers all fit the private cache budget
///   ([`StencilSchedule::ring_bytes`]) has no memory traffic to save, only
///   halo work to add: it sweeps;
/// * the rings get as many levels as [`SYSTEM_RING_BYTES`] holds (or the
///   private budget, if larger): rings of planes (volumes: a 256² `f64`
///   plane is 512 KiB) live in the shared L3; rings of rows are small and
///   reach [`MAX_SYSTEM_LEVELS`] long before;
/// * with several members, the halo each slab recomputes per pass,
///   `r(k − 1)` units at each end, stays within a quarter of the slab.
fn blocked_levels<F: SystemFormula, T: StencilElement>(
    system: &StencilSystem<F, T>,
    extent: Extent,
    iters: usize,
    members: usize,
    schedule: &StencilSchedule,
) -> usize {
    let units = system.slab_units(extent);
    if !system.blocks_in_passes(extent) || units < members {
        return 1;
    }
    if schedule.levels > 0 {
        return schedule.levels.min(iters).min(MAX_SYSTEM_LEVELS);
    }
    let bytes = std::mem::size_of::<T>();
    let (fields, levels, constants) = system.counts();
    let arrays = fields * (levels + 1) + constants;
    let grid = extent.len().unwrap_or(usize::MAX);
    if grid.saturating_mul(arrays).saturating_mul(bytes) <= schedule.ring_bytes {
        return 1;
    }
    let ring = system
        .slab_scratch_len(extent, 2)
        .saturating_mul(bytes)
        .max(1);
    let by_cache = 1 + schedule.ring_bytes.max(SYSTEM_RING_BYTES) / ring;
    let r = system.formula().radius().max(1);
    let by_halo = if members > 1 {
        1 + units / members / (4 * r)
    } else {
        usize::MAX
    };
    by_cache.min(by_halo).min(iters).min(MAX_SYSTEM_LEVELS)
}

/// Bytes of rings one member's blocked pass over a volume may keep. A
/// volume's planes are too large for a core's private L2 (a 256² `f64` plane
/// is 512 KiB, and a level keeps three), so the rings live in the shared L3.
/// On a 2-core Zen 4 (32 MiB L3) the 256³ Jacobi ran 1.8–2.0× faster than
/// sweeping with 3–4 levels (rings of 3–4.5 MiB per member) and slower again
/// beyond (6 levels: 1.4×); 128³ kept improving up to 8 levels (2.7 MiB).
pub const SYSTEM_RING_BYTES: usize = 5 << 20;

/// The most levels a blocked pass of a system fuses.
const MAX_SYSTEM_LEVELS: usize = 8;

impl Pool {
    /// Runs a system in blocked passes of `levels` iterations (module docs,
    /// "Blocked passes") on `members` members (1: the caller alone): each
    /// member owns a slab of units (planes of a volume, rows of a plane) and
    /// advances it with core's [`StencilSystem::advance_slab`], reading the
    /// whole current arrays of every field's levels and writing its slab of
    /// the other set; a barrier ends each pass.
    ///
    /// Field `f`'s buffers are `f·(L + 1) + a` (age `a < L`, the current
    /// set) and `f·(L + 1) + L` (scratch). The other set is the scratch
    /// buffer and, for `L ≥ 2`, `L − 1` arrays lent by the pool.
    fn run_system_blocked<F: SystemFormula + Sync, T: StencilElement>(
        &self,
        job: &SystemJob<'_, F, T>,
        buffers: &mut [&mut [T]],
        run: &mut BlockedRun<'_, T>,
        iters: usize,
    ) {
        let SystemJob {
            system,
            extent,
            constants,
        } = *job;
        let BlockedRun {
            levels,
            members,
            extra,
            rings,
        } = run;
        let (levels, members) = (*levels, *members);
        let n = system
            .check(
                extent,
                buffers.iter().map(|b| b.len()),
                constants.iter().map(|c| c.len()),
            )
            .expect("checked by the caller");
        let (_, ages, _) = system.counts();
        let slots = ages + 1;
        let units = system.slab_units(extent);
        let unit_len = n / units;
        // The current set: each field's ages. The other: each field's scratch
        // buffer, then its lent arrays.
        let mut lent = extra.chunks_mut(n);
        let mut sets: [Vec<SharedSlice<'_, T>>; 2] = [Vec::new(), Vec::new()];
        for (i, buffer) in buffers.iter_mut().enumerate() {
            if i % slots < ages {
                sets[0].push(SharedSlice::new(buffer));
            } else {
                sets[1].push(SharedSlice::new(buffer));
                for _ in 1..ages {
                    let part = lent.next().expect("L − 1 lent arrays per field");
                    sets[1].push(SharedSlice::new(part));
                }
            }
        }
        let ring_len = system.slab_scratch_len(extent, levels);
        let rings: Vec<SharedSlice<'_, T>> = rings
            .chunks_mut(ring_len.max(1))
            .map(SharedSlice::new)
            .collect();
        let member = |index: usize, size: usize, barrier: &dyn Fn()| {
            let slab = balanced_range(units, size, index);
            let values = slab.start * unit_len..slab.end * unit_len;
            // SAFETY: each member uses only its own rings.
            let scratch = unsafe { rings[index].slice_mut(0..ring_len) };
            let mut current = 0;
            let mut done = 0;
            while done < iters {
                let pass = levels.min(iters - done);
                {
                    // SAFETY: during a pass the current set is only read
                    // (members write only the other set), and the barrier
                    // below ends the pass before any member writes it.
                    let src: Vec<&[T]> = sets[current]
                        .iter()
                        .map(|b| unsafe { b.slice(0..n) })
                        .collect();
                    // SAFETY: members' slabs are disjoint, and nobody reads
                    // the other set during the pass.
                    let mut dst: Vec<&mut [T]> = sets[1 - current]
                        .iter()
                        .map(|b| unsafe { b.slice_mut(values.clone()) })
                        .collect();
                    system
                        .advance_slab(
                            extent,
                            &src,
                            constants,
                            &mut dst,
                            slab.clone(),
                            pass,
                            scratch,
                        )
                        .expect("buffers and constants are checked before the region");
                }
                barrier();
                current = 1 - current;
                done += pass;
            }
            if current == 1 {
                for (from, to) in sets[1].iter().zip(&sets[0]) {
                    // SAFETY: after the last barrier each member touches only
                    // its own slab of any buffer.
                    let (from, to) =
                        unsafe { (from.slice(values.clone()), to.slice_mut(values.clone())) };
                    to.copy_from_slice(from);
                }
            }
        };
        if members == 1 {
            member(0, 1, &|| {});
        } else {
            self.team(|t| member(t.index(), t.size(), &|| t.barrier()));
        }
    }
}

/// How [`Pool::run_system_blocked`] runs: levels per pass, members, the
/// lent arrays of the other set (`fields × (L − 1)` arrays, back to back),
/// and every member's rings (allocated once per run, so that a probe's
/// passes and the rest share them).
struct BlockedRun<'a, T> {
    levels: usize,
    members: usize,
    extra: crate::scratch::Scratch<'a, T>,
    rings: Vec<T>,
}
