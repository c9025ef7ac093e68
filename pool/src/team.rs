//! The context a team region's body receives.

use std::marker::PhantomData;
use std::ops::Range;

use accel_core::partition::balanced_range;

use crate::barrier::{Barrier, BarrierError};
use crate::sleep::Sleep;
use crate::unwind::BarrierPoisoned;

/// One member's view of a team region ([`Pool::team`](crate::Pool::team)): its
/// index, the team size and the team barrier.
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
    barrier: Option<(&'a Barrier, &'a Sleep)>,
    _not_send: PhantomData<*const ()>,
}

impl<'a> TeamCtx<'a> {
    /// The context of a team of one (1-thread pools, nested teams).
    pub(crate) fn solo() -> Self {
        TeamCtx {
            index: 0,
            size: 1,
            barrier: None,
            _not_send: PhantomData,
        }
    }

    /// Member `index` of a team of `size` sharing `barrier`.
    pub(crate) fn member(
        index: usize,
        size: usize,
        barrier: &'a Barrier,
        sleep: &'a Sleep,
    ) -> Self {
        TeamCtx {
            index,
            size,
            barrier: Some((barrier, sleep)),
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
        let Some((barrier, sleep)) = self.barrier else {
            return;
        };
        match barrier.wait(|| sleep.unpark_all()) {
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
}
