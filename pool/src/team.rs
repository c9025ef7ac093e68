//! The context a team region's body receives.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Range;

use accel_core::partition::balanced_range;

use crate::barrier::{Barrier, BarrierError};
use crate::job::Panic;
use crate::sleep::{Sleep, SpinPolicy};
use crate::sync::{AtomicU64, Ordering};
use crate::team_loop::{LoopCall, LoopError, Mismatch, TeamLoops, team_pieces};
use crate::unwind::BarrierPoisoned;

/// The rule every team-loop mismatch message ends with.
const LOOP_RULE: &str =
    "every member must call the same team loops, with the same range and grain, in the same order";

/// `TeamShared::loops_at_return` before any member has returned.
const NO_RETURN_YET: u64 = 1 << 32;

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
    /// Whether this member is inside a team loop's body.
    in_loop: Cell<bool>,
    _not_send: PhantomData<*const ()>,
}

/// What the members of one team region share.
pub(crate) struct TeamShared<'a> {
    pub(crate) barrier: Barrier,
    pub(crate) loops: TeamLoops,
    /// The number of team loops the first member to return from the body ran
    /// (`u32::MAX + 1` until then); the others must have run as many.
    loops_at_return: AtomicU64,
    pub(crate) sleep: &'a Sleep,
    pub(crate) policy: SpinPolicy,
}

impl<'a> TeamShared<'a> {
    /// The shared state of a team of `size` pool threads.
    pub(crate) fn new(size: usize, sleep: &'a Sleep, policy: SpinPolicy) -> Self {
        TeamShared {
            barrier: Barrier::new(size, policy),
            loops: TeamLoops::new(size),
            loops_at_return: AtomicU64::new(NO_RETURN_YET),
            sleep,
            policy,
        }
    }

    /// Wakes every member (after poisoning the barrier, or when one departs).
    pub(crate) fn wake_all(&self) {
        self.sleep.unpark_first(self.barrier.members());
    }

    /// Poisons the barrier and wakes every member: waiters at the barrier and in
    /// team loops see the flag and unwind.
    pub(crate) fn poison(&self) {
        self.barrier.poison(|| self.wake_all());
        // Members waiting for a team loop count on no barrier sleepers.
        self.wake_all();
    }

    /// Checks, when member `index` returns from the body after `loops` team
    /// loops, that it ran as many as the first member that returned: a loop that
    /// one member skipped may well have completed (the others ran its pieces),
    /// but the body was misused. Returns the panic to report otherwise.
    pub(crate) fn check_loop_count(&self, index: usize, loops: u32) -> Result<(), Panic> {
        let first = match self.loops_at_return.compare_exchange(
            NO_RETURN_YET,
            u64::from(loops),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return Ok(()),
            Err(first) => first,
        };
        if first == u64::from(loops) {
            return Ok(());
        }
        Err(Box::new(format!(
            "team loop mismatch: member {index} of {} returned from the region body after \
             {loops} team loops, another member after {first}; {LOOP_RULE}",
            self.barrier.members()
        )))
    }

    /// Records that a member returned from the body, waking the members that
    /// wait at a barrier or for a team loop (a mismatched wait then fails).
    pub(crate) fn depart(&self) {
        self.barrier.depart(|| self.wake_all());
        self.loops.wake_after_departure(self.sleep);
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
            in_loop: Cell::new(false),
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
            in_loop: Cell::new(false),
            _not_send: PhantomData,
        }
    }

    /// The number of team loops this member has called.
    pub(crate) fn loops_run(&self) -> u32 {
        self.loops.get()
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
    /// reports the original panic), if another member returned from the body
    /// while this one waits (mismatched barrier calls), or if called from inside
    /// a [`for_range`](Self::for_range) body (whose pieces run on any member, so
    /// the calls could never pair up). It never hangs.
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
        self.refuse_inside_loop("barrier()");
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
    /// region reports the original panic), or on misuse, which would otherwise
    /// hang: members that call different loops (another range or grain, a loop
    /// one member skips, a member that returns while others wait for a loop), or
    /// a `barrier()` or team loop called from inside a team loop's body. The
    /// message names the misuse.
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
        self.refuse_inside_loop("for_range()");
        let _inside = InsideLoop::enter(&self.in_loop);
        let Some(shared) = self.shared else {
            if !range.is_empty() {
                f(range);
            }
            return;
        };
        let requested_grain = grain;
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
        let call = LoopCall {
            epoch,
            pieces,
            target,
            signature: loop_signature(&range, requested_grain.max(1)),
        };
        // A piece that panics leaves the loop one piece short for good, and a
        // mismatch means the others wait for pieces nobody runs: either way this
        // member unwinds, and poisons the barrier on the way out, so the others
        // unwind instead of waiting, even if this member's body catches the panic.
        let poison_on_unwind = PoisonOnUnwind(shared);
        let outcome = shared.loops.run(
            self.index,
            call,
            &mut run,
            &shared.barrier,
            shared.sleep,
            shared.policy,
        );
        let why = match outcome {
            Ok(()) => {
                core::mem::forget(poison_on_unwind);
                return;
            }
            // Both unwind through `poison_on_unwind`: a mismatch poisons the
            // barrier there, so the others stop too.
            Err(LoopError::Poisoned) => std::panic::resume_unwind(Box::new(BarrierPoisoned)),
            Err(LoopError::Mismatch(mismatch)) => match mismatch {
                Mismatch::Departed => {
                    "another member returned from the region body without running it".to_string()
                }
                Mismatch::Ahead => {
                    "another member completed this loop with fewer pieces".to_string()
                }
                Mismatch::Other { pieces: other } if other != pieces => {
                    format!("another member called loop #{epoch} with {other} pieces")
                }
                Mismatch::Other { .. } => {
                    format!("another member called loop #{epoch} with another range or grain")
                }
                Mismatch::PieceOutOfRange { piece } => format!(
                    "the loop's shares hold piece {piece}: another member called a larger \
                     loop #{epoch}"
                ),
            },
        };
        panic!(
            "team loop mismatch: member {} of {} called team loop #{epoch} as \
             for_range({range:?}, grain {requested_grain}) ({pieces} pieces), but {why}; \
             {LOOP_RULE}",
            self.index, self.size
        );
    }

    /// Panics if this member is inside a team loop's body: `what` (a barrier or
    /// a nested team loop) would have to pair up with calls on members that may
    /// never make them.
    fn refuse_inside_loop(&self, what: &str) {
        if self.in_loop.get() {
            panic!(
                "team misuse: member {} of {} called {what} inside a team loop's body; \
                 a piece may run on any member, so barriers and team loops belong \
                 between team loops, not inside them",
                self.index, self.size
            );
        }
    }
}

/// Poisons the team barrier if dropped, that is, if a team loop unwinds.
struct PoisonOnUnwind<'s, 'a>(&'s TeamShared<'a>);

impl Drop for PoisonOnUnwind<'_, '_> {
    fn drop(&mut self) {
        self.0.poison();
    }
}

/// Marks a member as inside a team loop's body until dropped (also on unwind).
struct InsideLoop<'c>(&'c Cell<bool>);

impl<'c> InsideLoop<'c> {
    fn enter(flag: &'c Cell<bool>) -> Self {
        flag.set(true);
        InsideLoop(flag)
    }
}

impl Drop for InsideLoop<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// A 16-bit hash of a team loop's range and grain (the members compare it).
fn loop_signature(range: &Range<usize>, grain: usize) -> u16 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for word in [range.start, range.end, grain] {
        h = (h ^ word as u64).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 29;
    }
    (h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)) as u16
}
