//! Running core's iterated [`Stencil`] on the pool: one team region for all the
//! iterations, each member keeping the same band of rows throughout.
//!
//! # Protocol
//! ```text
//! A = caller's plane, B = second plane (allocated once, shared by all planes)
//! member w owns rows band(w) in every pass and every plane
//! for each plane:
//!     for each pass (k fused iterations; core's Passes makes the count even when it can):
//!         member w: run_band(src = whole A, dst = rows band(w) of B, k levels)
//!         barrier                       -- nobody reads A or writes B any more
//!         member 0: progress(iterations done)
//!         swap(A, B)                    -- buffer rotation
//!     if the pass count was odd (only when every pass has 1 level):
//!         member w copies rows band(w) of B back into A
//! ```
//! During a pass the source plane is only read and each member writes only its
//! own rows of the destination, so the pass is race-free; the barrier orders one
//! pass's writes before the next pass's reads. The copy-back after an odd pass
//! count needs no extra barrier: a member only copies its own rows, and the next
//! plane's first pass writes only the member's own rows of `B` as well.
//!
//! With one level per pass this is the classic schedule: one barrier per
//! iteration. With `k` levels, core's band executor keeps the intermediate
//! iterations in small row rings (recomputing a halo of `r` rows per level at band
//! edges), so a pass streams the plane through memory once for `k` iterations.
//! Every value comes from that executor, which is bit-identical to the
//! one-iteration-at-a-time reference whatever the bands, so the result does not
//! depend on the number of members or on the [`StencilSchedule`].
//!
//! # The cost model
//! Core's [`BlockPlan::for_cache`] owns the cache model: column strips and as many
//! fused levels as keep one strip's row rings inside a core's private L2. What only
//! the parallel driver knows is added here: the band halo (a member advancing `b`
//! rows by `k` levels recomputes ≈ `r(k − 1)/b` of its work; `k` is capped to keep
//! that under 5 %), the iteration count, and when not to fork at all.
//!
//! It also decides whether to block at all. Fusing levels saves memory traffic
//! and costs ring traffic through L2 plus halo work. Whether that pays with one
//! member depends on the core and the kernel more than any model here can
//! tell: on a Zen 3 core with the AVX2 blur kernel one member ran 12–17 %
//! slower blocked than sweeping (its prefetchers feed one core sweeping a
//! kernel of a few dozen operations per point), while on a Zen 4 core with the
//! AVX-512 kernel one member ran the 2000² blur 4.3× faster blocked (12 levels:
//! 73 ms against 313 ms for 48 iterations), and the f64 heat equation 3×. So a
//! run with one member (one thread, or a run too small to fork) measures: it
//! sweeps once (untimed: it also touches the sweep's scratch), times one sweep
//! with core's one-sweep executor ([`Stencil::run_reference_reporting`]) and
//! one pair of blocked passes ([`Stencil::run_blocked`], the cache model's
//! `k` levels each), and runs the rest of the iterations, and the other
//! planes, on the faster per iteration. Both executors give the same bits, so
//! the choice can only change the time; the probe costs at most the
//! difference over `2k + 2` iterations. With fewer than `2k + 2` iterations,
//! one level, or a plane that fits the ring budget with its second buffer
//! (nothing for blocking to save: a 64×64 blur of 100 iterations ran 1.55×
//! slower with the probe than sweeping), it sweeps;
//! [`StencilSchedule::levels`] forces either (1: sweeps, more: blocked).
//! The pool remembers the last few probes' verdicts (by kernel type, shape,
//! radius and levels): calling the same stencil again on the same shape, a
//! few iterations at a time (a time-stepping loop, an MPI rank's passes),
//! probes once, not per call. It also keeps the scratch plane between runs
//! (`scratch`), so repeated calls do not fault in a fresh plane each time.

use std::fmt;
use std::ops::Range;

use accel_core::ir::Element;
use accel_core::ir::stencil::{
    BlockPlan, MAX_LEVELS, Passes, RowKernel, Shape, Stencil, StencilError,
};
use accel_core::partition::balanced_range;

use crate::pool::Pool;
use crate::scratch::ScratchCache;
use crate::shared::SharedSlice;

/// Largest relative band-halo overhead `r(k − 1)/b` accepted when choosing the
/// level count (as `1 / HALO_BUDGET_DIV`).
const HALO_BUDGET_DIV: usize = 20;

/// The knobs of a stencil run's schedule. They change only the speed, never the
/// result: every setting gives the same bits as core's
/// [`Stencil::apply_reference`].
///
/// ```
/// use accel_pool::StencilSchedule;
///
/// let s = StencilSchedule::default();
/// assert_eq!(s.levels, 0); // chosen by the cache model
/// // force the team path and one iteration per pass (a plain per-iteration sweep)
/// let sweep = StencilSchedule { inline_work: 0, levels: 1, ..StencilSchedule::default() };
/// assert_eq!(sweep.levels, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StencilSchedule {
    /// Below this much work (points × iterations × planes), or for planes of
    /// fewer than `inline_work / 16` points (too little per member and pass to
    /// pay for a barrier), the caller runs the stencil alone instead of forking
    /// the pool.
    pub inline_work: usize,
    /// Iterations fused per pass: 0 (the default) lets core's cache model
    /// choose, capped so the band halo stays under 5 % (when one member runs
    /// the stencil, it times sweeping against blocking on the first plane and
    /// keeps the faster: see the module docs); `n > 0` fuses exactly `n` (at
    /// most core's [`MAX_LEVELS`], and never more than the iterations asked
    /// for), and 1 sweeps with core's one-sweep executor.
    pub levels: usize,
    /// Bytes of one core's private cache the row rings of one strip may use:
    /// the budget given to core's [`BlockPlan::for_cache`].
    pub ring_bytes: usize,
    /// Output columns per strip; 0 (the default) takes the cache model's choice.
    /// The level count is still the cache model's for its own strip width.
    pub strip_width: usize,
}

impl StencilSchedule {
    /// Default [`StencilSchedule::ring_bytes`]: core's default
    /// ([`BlockPlan::DEFAULT_CACHE_BYTES`]).
    ///
    /// ```
    /// use accel_pool::StencilSchedule;
    /// assert_eq!(StencilSchedule::default().ring_bytes, StencilSchedule::RING_BYTES);
    /// ```
    pub const RING_BYTES: usize = BlockPlan::DEFAULT_CACHE_BYTES;

    /// Default [`StencilSchedule::inline_work`]: a team region (one fork, a
    /// barrier per pass, one join) costs a few microseconds, ≈ 10⁴
    /// point-iterations.
    ///
    /// ```
    /// use accel_pool::StencilSchedule;
    /// let s = StencilSchedule::default();
    /// assert!(s.runs_inline(64 * 64, StencilSchedule::INLINE_WORK / (64 * 64) - 1, 1));
    /// ```
    pub const INLINE_WORK: usize = 1 << 17;

    /// Whether `planes` planes of `points` points each, `iters` iterations,
    /// should run on the caller alone.
    ///
    /// ```
    /// let s = accel_pool::StencilSchedule::default();
    /// assert!(s.runs_inline(100, 10, 1));
    /// assert!(!s.runs_inline(1024 * 1024, 1, 1));
    /// ```
    pub fn runs_inline(&self, points: usize, iters: usize, planes: usize) -> bool {
        let work = points.saturating_mul(iters).saturating_mul(planes);
        work < self.inline_work || points < self.inline_work / 16
    }

    /// The blocking plan for a `width × height` plane, `iters` iterations,
    /// radius `r`, split into `members` bands.
    ///
    /// ```
    /// let s = accel_pool::StencilSchedule::default();
    /// let plan = s.plan(7095, 5322, 100, 2, 2);
    /// assert!(plan.levels >= 2 && plan.strip_width >= 1);
    /// assert_eq!(s.plan(7095, 5322, 3, 2, 2).levels, 3); // never more than asked
    /// ```
    pub fn plan(
        &self,
        width: usize,
        height: usize,
        iters: usize,
        r: usize,
        members: usize,
    ) -> BlockPlan {
        self.plan_of(width, height, iters, r, members, std::mem::size_of::<f32>())
    }

    /// [`StencilSchedule::plan`] for planes of `value_bytes`-byte values (8 for
    /// `f64`, whose rings take twice the cache).
    ///
    /// ```
    /// let s = accel_pool::StencilSchedule::default();
    /// let f32_plan = s.plan_of(7095, 5322, 100, 2, 2, 4);
    /// let f64_plan = s.plan_of(7095, 5322, 100, 2, 2, 8);
    /// assert!(f64_plan.levels < f32_plan.levels);
    /// ```
    pub fn plan_of(
        &self,
        width: usize,
        height: usize,
        iters: usize,
        r: usize,
        members: usize,
        value_bytes: usize,
    ) -> BlockPlan {
        let cache = BlockPlan::for_cache_of(r, width, self.ring_bytes, value_bytes);
        let band_rows = height.div_ceil(members.max(1));
        // Keep the band halo r(k − 1)/b within 1/HALO_BUDGET_DIV.
        let by_halo = 1 + band_rows / (HALO_BUDGET_DIV * r.max(1));
        let levels = match self.levels {
            // One member: no band halo (whether to block at all is measured:
            // module docs, "the cost model").
            0 if members <= 1 => cache.levels,
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

impl Default for StencilSchedule {
    fn default() -> Self {
        Self {
            inline_work: Self::INLINE_WORK,
            levels: 0,
            ring_bytes: Self::RING_BYTES,
            strip_width: 0,
        }
    }
}

/// Why [`Pool::run_stencil`] or [`Pool::run_stencil_planes`] refused to run.
///
/// ```
/// use accel_core::ir::stencil::{Shape, Stencil};
/// use accel_pool::{Pool, PoolConfig, StencilRunError};
///
/// let pool = Pool::new(PoolConfig::new().threads(2))?;
/// let stencil = Stencil::blur(Default::default(), 3);
/// let mut plane = vec![0.0f32; 10];
/// let err = pool.run_stencil(&stencil, &mut plane, Shape::new(4, 3)).unwrap_err();
/// assert!(matches!(err, StencilRunError::Stencil(_)));
/// assert_eq!(err.to_string(), "buffer holds 10 values but the plane is 4×3");
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StencilRunError {
    /// The plane of a single-plane call, or the shape, was rejected by core.
    Stencil(StencilError),
    /// Plane `index` of a multi-plane call was rejected.
    Plane {
        /// Position of the plane in the slice that was passed.
        index: usize,
        /// What is wrong with it.
        source: StencilError,
    },
    /// The working buffers could not be allocated: the second buffer of the
    /// Jacobi iteration (one plane), and, when one thread sweeps with a
    /// boundary other than `Skip`, the reference executor's padded copy (one
    /// plane plus its frame) as well.
    OutOfMemory {
        /// Bytes requested.
        bytes: usize,
    },
}

impl fmt::Display for StencilRunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stencil(e) => e.fmt(f),
            Self::Plane { index, source } => write!(f, "plane {index}: {source}"),
            Self::OutOfMemory { bytes } => write!(
                f,
                "could not allocate the stencil's working buffers ({bytes} bytes)"
            ),
        }
    }
}

impl std::error::Error for StencilRunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Stencil(e) | Self::Plane { source: e, .. } => Some(e),
            Self::OutOfMemory { .. } => None,
        }
    }
}

impl From<StencilError> for StencilRunError {
    fn from(e: StencilError) -> Self {
        Self::Stencil(e)
    }
}

impl Pool {
    /// Applies `stencil` (its iteration count, its boundary mode) to one
    /// row-major `f32` plane in place, in one team region with the default
    /// [`StencilSchedule`]. The result is bit-identical to core's
    /// [`Stencil::apply_reference`] for any pool size.
    ///
    /// # Errors
    /// [`StencilRunError::Stencil`] if the plane does not fit `shape` (see
    /// [`Stencil::check_plane`]), [`StencilRunError::OutOfMemory`] if the working
    /// buffers cannot be allocated. The plane is untouched then.
    ///
    /// ```
    /// use accel_core::ir::stencil::{Boundary, Shape, Stencil};
    /// use accel_pool::{Pool, PoolConfig};
    ///
    /// let pool = Pool::new(PoolConfig::new().threads(3))?;
    /// let shape = Shape::new(300, 200);
    /// let stencil = Stencil::blur(Boundary::Wrap, 20);
    /// let image: Vec<f32> = (0..300 * 200).map(|i| (i % 13) as f32 / 13.0).collect();
    ///
    /// let mut parallel = image.clone();
    /// pool.run_stencil(&stencil, &mut parallel, shape)?;
    /// let mut reference = image;
    /// stencil.apply_reference(&mut reference, shape)?;
    /// assert_eq!(parallel, reference); // bit for bit
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_stencil<K: RowKernel + Sync>(
        &self,
        stencil: &Stencil<K>,
        plane: &mut [K::Value],
        shape: Shape,
    ) -> Result<(), StencilRunError> {
        self.run_stencil_planes(
            stencil,
            &mut [plane],
            shape,
            &StencilSchedule::default(),
            &|_| {},
        )
        .map_err(|e| match e {
            StencilRunError::Plane { source, .. } => StencilRunError::Stencil(source),
            other => other,
        })
    }

    /// Applies `stencil` to several planes of the same shape (the channels of an
    /// image), each independently, all in one team region, with an explicit
    /// `schedule`. `progress` is called on the first member with the
    /// plane-iterations done so far, after each pass (from 1 up to
    /// `iterations × planes`; once with that total if there is nothing to
    /// compute). The result does not depend on `schedule` or on the pool size.
    ///
    /// # Errors
    /// [`StencilRunError::Plane`] naming the first plane that does not fit
    /// `shape`, [`StencilRunError::Stencil`] if `shape` itself is too large,
    /// [`StencilRunError::OutOfMemory`] if the working buffers cannot be allocated.
    /// No plane is touched then.
    ///
    /// # Panics
    /// A panic in `progress` reaches the caller after the region has wound down;
    /// the planes are then partly iterated.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use accel_core::ir::stencil::{Shape, Stencil};
    /// use accel_pool::{Pool, PoolConfig, StencilSchedule};
    ///
    /// let pool = Pool::new(PoolConfig::new().threads(2))?;
    /// let shape = Shape::new(64, 64);
    /// let stencil = Stencil::blur(Default::default(), 9);
    /// let (mut red, mut green) = (vec![1.0f32; 64 * 64], vec![0.5f32; 64 * 64]);
    /// let done = AtomicUsize::new(0);
    /// // force the team path and 2 fused iterations per pass on these small planes
    /// let schedule = StencilSchedule { inline_work: 0, levels: 2, ..StencilSchedule::default() };
    /// pool.run_stencil_planes(&stencil, &mut [&mut red, &mut green], shape, &schedule, &|n| {
    ///     done.store(n, Ordering::Relaxed)
    /// })?;
    /// assert_eq!(done.load(Ordering::Relaxed), 18);
    /// assert!(red[32 * 64 + 32] < 1.0 && green[32 * 64 + 32] < 0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_stencil_planes<K: RowKernel + Sync>(
        &self,
        stencil: &Stencil<K>,
        planes: &mut [&mut [K::Value]],
        shape: Shape,
        schedule: &StencilSchedule,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), StencilRunError> {
        let n = shape.area()?;
        for (index, plane) in planes.iter().enumerate() {
            stencil
                .check_plane(shape, plane.len())
                .map_err(|source| StencilRunError::Plane { index, source })?;
        }
        let iters = stencil.iterations();
        if planes.is_empty() || iters == 0 {
            return Ok(());
        }
        if stencil.leaves_unchanged(shape) {
            // Nothing to compute (an empty plane, or a skip frame that covers the
            // plane): the result is already in place, so all iterations are done.
            progress(iters.saturating_mul(planes.len()));
            return Ok(());
        }
        if self.num_threads() == 1 || schedule.runs_inline(n, iters, planes.len()) {
            return run_alone(
                &self.stencil_scratch,
                &self.stencil_probes,
                stencil,
                planes,
                shape,
                schedule,
                progress,
            );
        }
        let mut other = self.stencil_scratch.zeroed::<K::Value>(n)?;
        let other = SharedSlice::new(&mut other);
        let planes: Vec<SharedSlice<'_, K::Value>> =
            planes.iter_mut().map(|p| SharedSlice::new(p)).collect();
        let run = StencilRun {
            stencil,
            shape,
            planes: &planes,
            other: &other,
            progress,
            schedule,
        };
        self.team(|t| run.member(t.index(), t.size(), &|| t.barrier()));
        Ok(())
    }
}

/// Sweeps the probe of a run with one member makes before it blocks (module
/// docs, "the cost model").
const PROBE_SWEEPS: usize = 2;

/// The verdicts of the last few one-member probes (module docs, "the cost
/// model"): a stencil run again on the same shape takes the kept verdict
/// instead of probing again.
#[derive(Debug, Default)]
pub(crate) struct ProbeVerdicts {
    /// Whether blocking won, by key, newest last; at most [`PROBES_KEPT`].
    kept: std::sync::Mutex<Vec<(ProbeKey, bool)>>,
}

/// How many probe verdicts the pool keeps: enough for a few shapes used in
/// turn (an MPI rank's band and its edge strips).
const PROBES_KEPT: usize = 8;

/// What a probe's verdict depends on: the kernel's (or system formula's)
/// type, and the grid's width, height and depth, the radius, the levels per
/// pass and the members.
pub(crate) type ProbeKey = (&'static str, [usize; 6]);

impl ProbeVerdicts {
    /// A kept probe verdict for `key` (whether blocking won): runs of the
    /// same stencil on the same shape skip probing again.
    pub(crate) fn blocking_won(&self, key: ProbeKey) -> Option<bool> {
        let choices = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        choices
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|&(_, won)| won)
    }

    /// Keeps a probe's verdict for `key`, forgetting the oldest beyond
    /// [`PROBES_KEPT`].
    pub(crate) fn remember(&self, key: ProbeKey, blocking_won: bool) {
        let mut choices = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        choices.retain(|(k, _)| *k != key);
        if choices.len() == PROBES_KEPT {
            choices.remove(0);
        }
        choices.push((key, blocking_won));
    }
}

/// How a run with one member advances its planes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AloneExecutor {
    /// Core's one-sweep executor, one iteration at a time.
    Sweep,
    /// Core's blocked executor, the plan's levels per pass.
    Blocked,
}

/// Runs `stencil` on the caller alone (one thread, or too little work to fork),
/// choosing between sweeping and blocking by timing both on the first plane
/// (module docs, "the cost model"). Every choice gives the same bits.
fn run_alone<K: RowKernel>(
    cache: &ScratchCache,
    probes: &ProbeVerdicts,
    stencil: &Stencil<K>,
    planes: &mut [&mut [K::Value]],
    shape: Shape,
    schedule: &StencilSchedule,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(), StencilRunError> {
    let iters = stencil.iterations();
    let value_bytes = std::mem::size_of::<K::Value>();
    let plan = schedule.plan_of(
        shape.width,
        shape.height,
        iters,
        stencil.radius(),
        1,
        value_bytes,
    );
    let blocked_len = stencil.blocked_scratch_len(shape, plan)?;
    let mut scratch =
        cache.zeroed::<K::Value>(stencil.reference_scratch_len(shape)?.max(blocked_len))?;
    let levels = plan.levels;
    // Blocking saves memory traffic; a plane that fits the private cache with
    // its second buffer has none to save, only halo work to add: it sweeps.
    let n = shape.width * shape.height;
    let resident = 2 * n * value_bytes <= schedule.ring_bytes;
    let key = (
        std::any::type_name::<K>(),
        [shape.width, shape.height, 1, stencil.radius(), levels, 1],
    );
    let mut executor = match schedule.levels {
        _ if levels <= 1 => Some(AloneExecutor::Sweep),
        0 if resident => Some(AloneExecutor::Sweep),
        // The last probe of this stencil on this shape decides, if there was one.
        0 => probes.blocking_won(key).map(|won| {
            if won {
                AloneExecutor::Blocked
            } else {
                AloneExecutor::Sweep
            }
        }),
        _ => Some(AloneExecutor::Blocked),
    };
    let run = Alone {
        stencil,
        shape,
        plan,
    };
    for (index, plane) in planes.iter_mut().enumerate() {
        let before = index * iters;
        let report = |i: usize| progress(before + i);
        let mut done = 0;
        if executor.is_none() && iters >= PROBE_SWEEPS + 2 * levels {
            // One untimed sweep (it also touches the sweep's scratch), one timed
            // sweep, then a timed pair of blocked passes: the faster per
            // iteration runs the rest, and the other planes.
            let (sweep, blocked) = (AloneExecutor::Sweep, AloneExecutor::Blocked);
            run.advance(sweep, plane, &mut scratch, 1, done, &report);
            let start = std::time::Instant::now();
            run.advance(sweep, plane, &mut scratch, 1, 1, &report);
            let per_sweep = start.elapsed().as_secs_f64();
            let start = std::time::Instant::now();
            run.advance(
                blocked,
                plane,
                &mut scratch,
                2 * levels,
                PROBE_SWEEPS,
                &report,
            );
            let per_blocked = start.elapsed().as_secs_f64() / (2 * levels) as f64;
            done = PROBE_SWEEPS + 2 * levels;
            probes.remember(key, per_blocked < per_sweep);
            executor = Some(if per_blocked < per_sweep {
                AloneExecutor::Blocked
            } else {
                AloneExecutor::Sweep
            });
        }
        let how = executor.unwrap_or(AloneExecutor::Sweep);
        run.advance(how, plane, &mut scratch, iters - done, done, &report);
    }
    Ok(())
}

/// The two executors of a run with one member, for parts of its iterations.
struct Alone<'a, K> {
    stencil: &'a Stencil<K>,
    shape: Shape,
    plan: BlockPlan,
}

impl<K: RowKernel> Alone<'_, K> {
    /// The stencil's kernel and boundary for `k` iterations.
    fn part(&self, k: usize) -> Stencil<&K> {
        Stencil::new(self.stencil.kernel(), self.stencil.boundary(), k)
            .expect("the radius was checked when the stencil was built")
    }

    /// `k` iterations of `plane` in place on executor `how`, reporting the
    /// plane-iterations done so far (counting from `done`): after each sweep,
    /// or after each pair of blocked passes of the plan's levels (a pair ends
    /// in the plane).
    fn advance(
        &self,
        how: AloneExecutor,
        plane: &mut [K::Value],
        scratch: &mut [K::Value],
        k: usize,
        done: usize,
        report: &dyn Fn(usize),
    ) {
        const CHECKED: &str = "the plane and the scratch were checked before the run";
        match how {
            AloneExecutor::Sweep => self
                .part(k)
                .run_reference_reporting(plane, self.shape, scratch, &mut |i| report(done + i))
                .expect(CHECKED),
            AloneExecutor::Blocked => {
                let chunk = 2 * self.plan.levels.max(1);
                let mut left = k;
                while left > 0 {
                    let now = left.min(chunk);
                    self.part(now)
                        .run_blocked(plane, self.shape, self.plan, scratch)
                        .expect(CHECKED);
                    left -= now;
                    report(done + k - left);
                }
            }
        }
    }
}

/// One stencil run over one or more planes of the same shape.
struct StencilRun<'a, K: RowKernel> {
    stencil: &'a Stencil<K>,
    shape: Shape,
    /// The caller's planes, validated against `shape`.
    planes: &'a [SharedSlice<'a, K::Value>],
    /// The second plane.
    other: &'a SharedSlice<'a, K::Value>,
    /// Called by member 0 with the plane-iterations done so far.
    progress: &'a (dyn Fn(usize) + Sync),
    schedule: &'a StencilSchedule,
}

impl<K: RowKernel> StencilRun<'_, K> {
    /// The body of member `index` of a team of `members`; `barrier` waits for
    /// all members (a no-op for a team of one). Every member calls `barrier` the
    /// same number of times (module docs).
    fn member(&self, index: usize, members: usize, barrier: &dyn Fn()) {
        let Shape { width, height } = self.shape;
        let iters = self.stencil.iterations();
        let rows = band(height, members, index);
        let mine = rows.start * width..rows.end * width;
        let n = width * height;
        let plan = self.schedule.plan_of(
            width,
            height,
            iters,
            self.stencil.radius(),
            members,
            std::mem::size_of::<K::Value>(),
        );
        let scratch_len = self
            .stencil
            .band_scratch_len(width, plan)
            .expect("schedules give plans with a strip width ≥ 1 and at most MAX_LEVELS levels");
        let mut scratch = vec![K::Value::ZERO; scratch_len];
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
                        .expect("planes and bands are validated before the region");
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

/// The rows of a `height`-row plane that member `index` of `members` owns: a
/// balanced split, the same every pass, so its data stays in its cache.
fn band(height: usize, members: usize, index: usize) -> Range<usize> {
    balanced_range(height, members, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_work_and_small_planes_run_inline() {
        let s = StencilSchedule::default();
        assert!(s.runs_inline(100, 10, 1));
        assert!(
            s.runs_inline(90 * 90, 10_000, 3),
            "tiny plane, many iterations"
        );
        assert!(!s.runs_inline(1024 * 1024, 1, 1));
        assert!(!s.runs_inline(200 * 200, 100, 1));
        let forced = StencilSchedule {
            inline_work: 0,
            ..s
        };
        assert!(!forced.runs_inline(1, 1, 1));
    }

    #[test]
    fn levels_respect_iterations_caps_and_halo() {
        let s = StencilSchedule::default();
        // The seed plane: whole rows, the levels that fit the ring budget.
        let seed = s.plan(7095, 5322, 100, 2, 2);
        assert_eq!(seed, BlockPlan::new(6, 7095));
        let wide = s.plan(2048, 1536, 100, 2, 2);
        assert!(
            wide.levels >= 16 && wide.levels <= BlockPlan::MODEL_MAX_LEVELS,
            "{wide:?}"
        );
        // One member: the cache model's levels, no halo cap (whether to block
        // at all is measured at run time).
        assert_eq!(s.plan(7095, 5322, 100, 2, 1), seed);
        assert_eq!(
            s.plan(100, 10, 100, 2, 1).levels,
            BlockPlan::MODEL_MAX_LEVELS
        );
        assert_eq!(s.plan(7095, 5322, 3, 2, 2).levels, 3);
        assert_eq!(s.plan(100, 10, 100, 2, 2).levels, 1);
        assert_eq!(s.plan(100, 10, 0, 2, 2).levels, 1);
        let fixed = StencilSchedule { levels: 5, ..s };
        assert_eq!(fixed.plan(7095, 5322, 100, 2, 1).levels, 5);
        assert_eq!(fixed.plan(10, 10, 100, 2, 3).levels, 5, "no halo cap");
        assert_eq!(fixed.plan(10, 10, 3, 2, 3).levels, 3);
        let huge = StencilSchedule { levels: 1000, ..s };
        assert_eq!(huge.plan(10, 10, 100, 2, 3).levels, MAX_LEVELS);
        let p = s.plan(1024, 1024, 100, 2, 2);
        assert!(2 * (p.levels - 1) * HALO_BUDGET_DIV <= 512, "{p:?}");
    }

    #[test]
    fn every_plan_has_valid_scratch() {
        let stencil = Stencil::blur(Default::default(), 1);
        for ring_bytes in [0, 1, 4096, StencilSchedule::RING_BYTES, usize::MAX / 8] {
            for levels in [0, 1, 7, 32, 1000] {
                let s = StencilSchedule {
                    ring_bytes,
                    levels,
                    ..StencilSchedule::default()
                };
                for (w, h) in [(1, 1), (5, 5), (97, 61), (7095, 5322)] {
                    let narrow = StencilSchedule {
                        strip_width: 3,
                        ..s
                    }
                    .plan(w, h, 9, 2, 2);
                    assert_eq!(narrow.strip_width, 3);
                    stencil.band_scratch_len(w, narrow).expect("valid plan");
                    let p = s.plan(w, h, 100, 2, 3);
                    assert!(p.levels >= 1 && p.levels <= MAX_LEVELS && p.strip_width >= 1);
                    stencil.band_scratch_len(w, p).expect("valid plan");
                }
            }
        }
    }

    #[test]
    fn bands_cover_the_rows_once() {
        for height in [0, 1, 2, 7, 100] {
            for members in 1..6 {
                let mut next = 0;
                for w in 0..members {
                    let r = band(height, members, w);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, height);
            }
        }
    }

    #[test]
    fn probe_verdicts_are_kept_per_shape_up_to_a_few() {
        let cache = ProbeVerdicts::default();
        let key = |h: usize| ("k", [10, h, 1, 2, 4, 1]);
        assert_eq!(cache.blocking_won(key(1)), None);
        cache.remember(key(1), true);
        cache.remember(key(2), false);
        assert_eq!(
            (cache.blocking_won(key(1)), cache.blocking_won(key(2))),
            (Some(true), Some(false))
        );
        for h in 3..3 + PROBES_KEPT {
            cache.remember(key(h), true);
        }
        assert_eq!(cache.blocking_won(key(1)), None, "the oldest is forgotten");
        assert_eq!(cache.blocking_won(key(2 + PROBES_KEPT)), Some(true));
    }
}
