//! The context a team region's body receives.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Range;

use accel_core::partition::balanced_range;

use crate::barrier::{Barrier, BarrierError};
use crate::sleep::{Sleep, SpinPolicy};
use crate::team_loop::{TeamLoops, team_pieces};
use crate::unwind::BarrierPoisoned;

/// One member's view of a team region ([`Pool::team`](crate::Pool::team)): its
/// index, the team size, the team barrier and worksharing loops.
///
/// Member `i` is always the same thread — worker `i` of the pool, pinned to the
/// same CPU — so data a member touches in one iteration is still in its cache in
/// the next. The context is neither `Send` nor `Sync`: a barrier can only be
/// reached from the member's own body, never from a job it hands to another
/// thread.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let hits = AtomicUsize::new(0);
/// pool.team(|t| {
///     assert!(t.index() < t.size());
///     hits.fetch_add(1, Ordering::Relaxed);
///     t.barrier();
///     // every member has counted itself before anyone gets here
///     assert_eq!(hits.load(Ordering::Relaxed), t.size());
/// });
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
pub struct TeamCtx<'a> {
    index: usize,
    size: usize,
    shared: Option<&'a TeamShared<'a>>,
    /// The number of team loops this member has run.
    loops: Cell<u32>,
    /// The cumulative piece count of those loops.
    pieces: Cell<u64>,
    _not_send: PhantomData<*const ()>,
}

/// What the members of one team region share.
pub(crate) struct TeamShared<'a> {
    pub(crate) barrier: Barrier,
    pub(crate) loops: TeamLoops,
    pub(crate) sleep: &'a Sleep,
    pub(crate) policy: SpinPolicy,
}

impl<'a> TeamShared<'a> {
    /// The shared state of a team of `size` pool threads.
    pub(crate) fn new(size: usize, sleep: &'a Sleep, policy: SpinPolicy) -> Self {
        TeamShared {
            barrier: Barrier::new(size, policy),
            loops: TeamLoops::new(size),
            sleep,
            policy,
        }
    }

    /// Wakes every member (after poisoning the barrier, or when one departs).
    pub(crate) fn wake_all(&self) {
        self.sleep.unpark_all();
    }
}

impl<'a> TeamCtx<'a> {
    /// The context of a team of one (1-thread pools, nested teams).
    pub(crate) fn solo() -> Self {
        TeamCtx {
            index: 0,
            size: 1,
            shared: None,
            loops: Cell::new(0),
            pieces: Cell::new(0),
            _not_send: PhantomData,
        }
    }

    /// Member `index` of a team of `size`.
    pub(crate) fn member(index: usize, size: usize, shared: &'a TeamShared<'a>) -> Self {
        TeamCtx {
            index,
            size,
            shared: Some(shared),
            loops: Cell::new(0),
            pieces: Cell::new(0),
            _not_send: PhantomData,
        }
    }

    /// This member's index, `0..size()` (0 is the calling thread).
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(1))?;
    /// pool.team(|t| assert_eq!(t.index(), 0));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    #[inline]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of members.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(1))?;
    /// pool.team(|t| assert_eq!(t.size(), 1));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    #[inline]
    pub fn size(&self) -> usize {
        self.size
    }

    /// This member's static share of `0..n`: `balanced_range(n, size, index)`.
    /// The same member gets the same share every time.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(1))?;
    /// pool.team(|t| assert_eq!(t.share(10), 0..10));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    #[inline]
    pub fn share(&self, n: usize) -> Range<usize> {
        balanced_range(n, self.size, self.index)
    }

    /// Waits until every member has reached this barrier; everything the members
    /// wrote before it is visible to all after it. Every member must call it the
    /// same number of times.
    ///
    /// # Panics
    /// If another member panicked (this member then unwinds quietly and the region
    /// reports the original panic), or if another member returned from the body
    /// while this one waits (mismatched barrier calls). It never hangs.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let mut grid = vec![0u32; 8];
    /// let cells = accel_pool::SharedSlice::new(&mut grid);
    /// pool.team(|t| {
    ///     for step in 1..=3u32 {
    ///         for i in t.share(8) {
    ///             // SAFETY: shares are disjoint.
    ///             unsafe { *cells.get_mut(i) = step };
    ///         }
    ///         t.barrier();
    ///     }
    /// });
    /// assert_eq!(grid, vec![3; 8]);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn barrier(&self) {
        let Some(shared) = self.shared else {
            return;
        };
        match shared.barrier.wait(|| shared.wake_all()) {
            Ok(()) => {}
            Err(BarrierError::Poisoned) => std::panic::resume_unwind(Box::new(BarrierPoisoned)),
            Err(BarrierError::Mismatch) => panic!(
                "team barrier: member {} of {} waits at a barrier that another member \
                 will never reach (it returned from the region body); every member must \
                 call barrier() the same number of times",
                self.index, self.size
            ),
        }
    }

    /// A worksharing loop inside the team: calls `f` on disjoint grain-sized
    /// pieces that together cover `range` exactly once, spread over the members,
    /// and returns once *every* piece has run — everything the pieces wrote is
    /// then visible to every member (as after a barrier, for the loop's writes).
    ///
    /// Every member must call it, with the same `range` and `grain`, in the same
    /// order as its other team loops. Each member starts on its static share
    /// ([`share`](Self::share) of the pieces), so a balanced team keeps every tile
    /// on the same core; a member that runs dry takes the back half of the largest
    /// remaining share. Completion is counted in pieces, not awaited by arrival: a
    /// member that the OS preempts does not hold the others up — they run its
    /// share. `f` runs on whichever member takes a piece, so every member's `f`
    /// must do the same work for the same piece. A team of one calls `f(range)`.
    ///
    /// # Panics
    /// If another member panicked (this member then unwinds quietly, and the
    /// region reports the original panic).
    ///
    /// ```
    /// use accel_pool::{Pool, PoolConfig, SharedSlice};
    /// let pool = Pool::new(PoolConfig::new().threads(2))?;
    /// let (mut a, mut b) = (vec![1u64; 1000], vec![0u64; 1000]);
    /// let (sa, sb) = (SharedSlice::new(&mut a), SharedSlice::new(&mut b));
    /// pool.team(|t| {
    ///     for step in 0..10 {
    ///         let (src, dst) = if step % 2 == 0 { (&sa, &sb) } else { (&sb, &sa) };
    ///         t.for_range(0..1000, 100, |rows| {
    ///             // SAFETY: pieces are disjoint; `src` is only read in this loop.
    ///             let (s, d) = unsafe { (src.slice(0..1000), dst.slice_mut(rows.clone())) };
    ///             for (x, i) in d.iter_mut().zip(rows) {
    ///                 *x = s[i] + s[(i + 1) % 1000];
    ///             }
    ///         });
    ///     }
    /// });
    /// assert!(a.iter().all(|&x| x == 1 << 10));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn for_range(&self, range: Range<usize>, grain: usize, mut f: impl FnMut(Range<usize>)) {
        let Some(shared) = self.shared else {
            if !range.is_empty() {
                f(range);
            }
            return;
        };
        let (pieces, grain) = team_pieces(&range, grain);
        let epoch = self.loops.get().wrapping_add(1);
        self.loops.set(epoch);
        let target = self.pieces.get() + pieces as u64;
        self.pieces.set(target);
        let start = range.start;
        let len = range.len();
        let mut run = |lo: usize, hi: usize| {
            f(start + lo * grain..start + hi.saturating_mul(grain).min(len));
        };
        let outcome = shared.loops.run(
            self.index,
            epoch,
            pieces,
            target,
            &mut run,
            &shared.barrier,
            shared.sleep,
            shared.policy,
        );
        if outcome.is_err() {
            std::panic::resume_unwind(Box::new(BarrierPoisoned));
        }
    }
}
