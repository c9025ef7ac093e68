//! Scopes: spawn any number of jobs that may borrow from the enclosing stack.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::job::{HeapJob, Panic, ScopeSink};
use crate::latch::CountLatch;
use crate::registry::Registry;
use crate::sleep::Sleep;
use crate::unwind::PanicSlot;

/// A scope created by [`Pool::scope`](crate::Pool::scope): jobs spawned into it
/// may borrow anything that outlives `'scope`, and all of them have finished when
/// `scope` returns.
///
/// A spawn pushes a boxed job onto the spawning thread's deque, where an idle
/// worker may steal it; the scope's owner runs the ones nobody took while it
/// waits. Spawning from a thread that is not one of the pool's (a scope shared
/// with a foreign thread) runs the job immediately on that thread, as does every
/// spawn in a 1-thread pool.
///
/// A scope opened where the pool cannot lend the caller a context — a thread of
/// another pool that finds this pool's caller seat taken — has no owner to wait
/// for queued jobs, so *every* spawn into it runs immediately on the spawning
/// thread, even one made later from a pool thread (for example from a loop body
/// nested in the scope). Whatever the seat or context, a scope never returns
/// while a job spawned into it is pending.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let count = AtomicUsize::new(0);
/// pool.scope(|s| {
///     for _ in 0..10 {
///         s.spawn(|s| {
///             count.fetch_add(1, Ordering::Relaxed);
///             s.spawn(|_| {
///                 count.fetch_add(1, Ordering::Relaxed);
///             });
///         });
///     }
/// });
/// assert_eq!(count.into_inner(), 20);
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
pub struct Scope<'scope> {
    registry: *const Registry,
    /// Whether the scope's creator waits for queued spawns (it had a pool
    /// context); without one, spawns never queue.
    owned: bool,
    latch: CountLatch,
    panic: PanicSlot,
    _invariant: PhantomData<fn(&'scope ()) -> &'scope ()>,
}

// SAFETY: the registry pointer is only dereferenced while the pool call that made
// the scope is running (the registry is Sync and outlives it); the other fields
// are Sync.
unsafe impl Sync for Scope<'_> {}
// SAFETY: as above.
unsafe impl Send for Scope<'_> {}

impl<'scope> Scope<'scope> {
    /// A scope owned by pool thread `owner`, or an inline scope (`None`: the
    /// creator has no context and cannot wait for queued spawns). Its latch counts
    /// pending spawns only: the owner looks at it after the body has returned.
    pub(crate) fn new(registry: &Registry, owner: Option<usize>) -> Self {
        Scope {
            registry,
            owned: owner.is_some(),
            latch: CountLatch::new(0, owner.unwrap_or(0)),
            panic: PanicSlot::new(),
            _invariant: PhantomData,
        }
    }

    fn registry(&self) -> &Registry {
        // SAFETY: see the Sync impl: the registry outlives the scope.
        unsafe { &*self.registry }
    }

    /// Spawns `job` into the scope; it runs before the scope ends, on some pool
    /// thread, and may spawn more jobs into the same scope.
    ///
    /// A panic in a job is re-raised by [`Pool::scope`](crate::Pool::scope) after
    /// every job has finished.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let mut halves = [0u64; 2];
    /// let (a, b) = halves.split_at_mut(1);
    /// pool.scope(|s| {
    ///     s.spawn(|_| a[0] = (0..100).sum());
    ///     s.spawn(|_| b[0] = (100..200).sum());
    /// });
    /// assert_eq!(halves[0] + halves[1], (0..200).sum::<u64>());
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn spawn<F>(&self, job: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        let registry = self.registry();
        // Queue only into a scope whose owner waits for its latch; the decision
        // depends on the scope, not on where the spawn happens to run.
        match registry.current().filter(|_| self.owned) {
            Some(ctx) => {
                self.latch.increment();
                // SAFETY: the scope's owner waits for its latch, which now counts
                // this job, so the scope outlives the job.
                let job_ref = unsafe { HeapJob::into_job_ref(job, self as *const Self) };
                ctx.push(job_ref);
                registry.sleep.hint_new_work();
            }
            None => {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job(self))) {
                    self.panic.store(payload);
                }
            }
        }
    }

    /// Whether every spawned job has finished (once the body has returned).
    pub(crate) fn is_done(&self) -> bool {
        self.latch.probe()
    }

    /// Re-raises the first panic of a job, if any.
    pub(crate) fn resume_panic(&self) {
        self.panic.resume();
    }
}

impl ScopeSink for Scope<'_> {
    fn record_panic(&self, payload: Panic) {
        self.panic.store(payload);
    }
    fn latch(&self) -> &CountLatch {
        &self.latch
    }
    fn sleep(&self) -> &Sleep {
        &self.registry().sleep
    }
}
