//! The region slot: how one fork reaches every worker, and how its join is known.
//!
//! A *region* is a closure `body(worker_index)` that the thread in the caller seat
//! (worker 0) offers to every worker at once: parallel loops (each worker runs its
//! share and then steals) and team regions (each worker runs the body once, with
//! barriers inside). Only the caller seat opens regions, one at a time, so one slot
//! per pool suffices.
//!
//! # The state word
//! One `AtomicU64` packs
//!
//! ```text
//! bits 0..12   entered   workers that entered this region
//! bits 12..24  active    workers inside it now
//! bit  24      CLOSED    no more workers may enter
//! bit  25      TEAM      every worker must enter exactly once
//! bits 26..64  gen       region number
//! ```
//!
//! - **Open** (caller): write the body pointer, then swap in `{gen + 1, open}`
//!   (`SeqCst`; a release that publishes the body), then wake sleepers.
//! - **Enter** (worker): a compare-and-swap that succeeds only while the region is
//!   open and its generation is not the last one this worker entered; it adds one
//!   to `entered` and `active`. A team region is open to workers
//!   `1..=team_workers` only (a team may be smaller than the pool, see
//!   [`Pool::team_size`](crate::Pool::team_size)); a worker outside it records
//!   the generation as seen without entering. The entry that brings `entered` to
//!   `team_workers` also sets `CLOSED`. Only after a successful entry does the
//!   worker read the body pointer, so a late worker never touches a finished
//!   region's (stack-allocated) body.
//! - **Close** (caller, loops only): set `CLOSED` once the caller finds no work
//!   left in any share. Workers that have not entered by then never will; the
//!   caller has already run their shares.
//! - **Leave** (worker): subtract one from `active` (`SeqCst`); the leave that
//!   finds the region closed with itself the last one inside wakes the caller
//!   ([`Sleep::wake_specific`] for index 0).
//! - **Done** (caller): `CLOSED` and `active == 0`. The caller waits for it with
//!   the wake protocol, then the region's stack frame may go.
//!
//! A worker remembers the generation it last entered, so it runs each region at
//! most once; 38 generation bits wrap after 2.7·10¹¹ regions, far beyond the time
//! a worker can spend inside a single job.

use crate::sleep::Sleep;
use crate::sync::{AtomicPtr, AtomicU64, Ordering};

const COUNT_BITS: u32 = 12;
/// The largest number of workers besides the caller a region can track.
pub const MAX_REGION_WORKERS: usize = (1 << COUNT_BITS) - 1;
const ENTERED_ONE: u64 = 1;
const ACTIVE_SHIFT: u32 = COUNT_BITS;
const ACTIVE_ONE: u64 = 1 << ACTIVE_SHIFT;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
const CLOSED: u64 = 1 << (2 * COUNT_BITS);
const TEAM: u64 = CLOSED << 1;
const GEN_SHIFT: u32 = 2 * COUNT_BITS + 2;

#[inline]
fn entered(state: u64) -> usize {
    (state & COUNT_MASK) as usize
}
#[inline]
fn active(state: u64) -> usize {
    ((state >> ACTIVE_SHIFT) & COUNT_MASK) as usize
}
#[inline]
fn generation(state: u64) -> u64 {
    state >> GEN_SHIFT
}

/// The type-erased head of a region body (first field of a `#[repr(C)]` struct
/// that holds the body closure).
#[repr(C)]
pub struct RegionHeader {
    run: unsafe fn(*const RegionHeader, usize),
}

/// A region body on the caller's stack.
#[repr(C)]
pub struct RegionJob<F> {
    header: RegionHeader,
    body: F,
}

impl<F: Fn(usize) + Sync> RegionJob<F> {
    /// Wraps `body`, which every participant calls with its worker index.
    pub fn new(body: F) -> Self {
        RegionJob {
            header: RegionHeader {
                run: Self::run_erased,
            },
            body,
        }
    }

    /// Runs the body here, as worker `worker` (the caller's own part).
    pub fn run_here(&self, worker: usize) {
        (self.body)(worker);
    }

    /// The header to publish.
    pub fn header(&self) -> *const RegionHeader {
        &self.header
    }

    /// # Safety
    /// `header` must be the header of a live `RegionJob<F>`.
    unsafe fn run_erased(header: *const RegionHeader, worker: usize) {
        // SAFETY: `header` is the first field of a `#[repr(C)]` `RegionJob<F>`
        // that the caller keeps alive while any worker is inside the region.
        let job = unsafe { &*header.cast::<RegionJob<F>>() };
        (job.body)(worker);
    }
}

/// Runs a region body for `worker`.
///
/// # Safety
/// `header` must come from a successful [`RegionSlot::try_enter`] whose matching
/// [`RegionSlot::leave`] has not happened yet.
pub unsafe fn run_region(header: *const RegionHeader, worker: usize) {
    // SAFETY: the caller guarantees the region is live and entered.
    unsafe { ((*header).run)(header, worker) }
}

/// The pool's region slot (see the module docs).
pub struct RegionSlot {
    state: AtomicU64,
    body: AtomicPtr<RegionHeader>,
}

impl Default for RegionSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl RegionSlot {
    /// A closed slot at generation 0.
    pub fn new() -> Self {
        RegionSlot {
            state: AtomicU64::new(CLOSED),
            body: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Opens a region running `header` (caller seat only, previous region done).
    /// Returns its generation.
    pub fn open(&self, header: *const RegionHeader, team: bool) -> u64 {
        let previous = self.state.load(Ordering::Relaxed);
        debug_assert!(previous & CLOSED != 0 && active(previous) == 0);
        self.body.store(header.cast_mut(), Ordering::Relaxed);
        let next_gen = generation(previous).wrapping_add(1) & (u64::MAX >> GEN_SHIFT);
        let state = (next_gen << GEN_SHIFT) | if team { TEAM } else { 0 };
        self.state.swap(state, Ordering::SeqCst);
        next_gen
    }

    /// Whether a region this worker has not entered is open (a `SeqCst` load: part
    /// of the re-check before sleeping).
    #[inline]
    pub fn has_new(&self, last_entered: u64) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        state & CLOSED == 0 && generation(state) != last_entered
    }

    /// Tries to enter the open region as worker `worker`; a team region is open
    /// to workers `1..=team_workers` only (the rest of the team's members). On
    /// success records its generation in `last_entered`; a worker outside an open
    /// team records it too, so it does not look again.
    pub fn try_enter(
        &self,
        last_entered: &mut u64,
        worker: usize,
        team_workers: usize,
    ) -> Option<*const RegionHeader> {
        let mut state = self.state.load(Ordering::SeqCst);
        loop {
            if state & CLOSED != 0 || generation(state) == *last_entered {
                return None;
            }
            if state & TEAM != 0 && worker > team_workers {
                *last_entered = generation(state);
                return None;
            }
            let mut next = state + ENTERED_ONE + ACTIVE_ONE;
            if state & TEAM != 0 && entered(state) + 1 >= team_workers {
                next |= CLOSED;
            }
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => {
                    *last_entered = generation(state);
                    return Some(self.body.load(Ordering::Relaxed).cast_const());
                }
                Err(now) => state = now,
            }
        }
    }

    /// Leaves an entered region; the last one out of a closed region wakes the
    /// caller (index 0).
    pub fn leave(&self, sleep: &Sleep) {
        let before = self.state.fetch_sub(ACTIVE_ONE, Ordering::SeqCst);
        if before & CLOSED != 0 && active(before) == 1 {
            sleep.wake_specific(0);
        }
    }

    /// Closes a loop region: no more workers may enter.
    pub fn close(&self) {
        self.state.fetch_or(CLOSED, Ordering::SeqCst);
    }

    /// Whether the open (or last) region is a team region.
    #[inline]
    pub fn is_team(&self) -> bool {
        self.state.load(Ordering::Relaxed) & TEAM != 0
    }

    /// Whether the region is closed and empty (the caller may return).
    #[inline]
    pub fn is_done(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        state & CLOSED != 0 && active(state) == 0
    }
}
