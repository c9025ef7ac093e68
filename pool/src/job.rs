//! Jobs: type-erased closures that travel through the work-stealing deques.
//!
//! A [`JobRef`] is two words (data pointer, execute function), cheap to push and
//! steal. Two kinds exist:
//! - [`StackJob`]: the second half of a `join`, on the joining thread's stack. The
//!   joiner either pops it back and runs it inline, or waits on its [`Latch`],
//!   which the thief sets after storing the result (or the panic payload).
//! - [`HeapJob`]: a `scope` spawn, boxed; executing it frees it and counts down
//!   the scope's [`CountLatch`].
//!
//! Executing a job never unwinds: panics are caught and handed to whoever waits.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::latch::{CountLatch, Latch};
use crate::sleep::Sleep;

/// A panic payload.
pub type Panic = Box<dyn Any + Send + 'static>;

/// A type-erased job.
#[derive(Clone, Copy, Debug)]
pub struct JobRef {
    data: *const (),
    execute: unsafe fn(*const ()),
}

// SAFETY: a JobRef is only created for jobs whose closures are `Send` and whose
// owners keep them alive until they have run, on whichever thread.
unsafe impl Send for JobRef {}

impl JobRef {
    /// The two words of the reference (tests tell jobs apart by them).
    #[cfg(test)]
    pub fn into_raw(self) -> (*const (), *mut ()) {
        (self.data, self.execute as *mut ())
    }

    /// Rebuilds a reference from [`into_raw`](Self::into_raw)'s words.
    ///
    /// # Safety
    /// `execute` must come from `into_raw` (it is turned back into a function
    /// pointer); the reference may only be executed if both words come from the
    /// same `into_raw` call.
    #[cfg(test)]
    pub unsafe fn from_raw(data: *const (), execute: *mut ()) -> JobRef {
        JobRef {
            data,
            // SAFETY: `execute` was produced from a function pointer of exactly
            // this type by `into_raw` (caller's promise).
            execute: unsafe { std::mem::transmute::<*mut (), unsafe fn(*const ())>(execute) },
        }
    }

    /// Whether both refer to the same job (jobs are told apart by their address).
    #[inline]
    pub fn is(self, other: JobRef) -> bool {
        std::ptr::eq(self.data, other.data)
    }

    /// Runs the job.
    ///
    /// # Safety
    /// Each `JobRef` must be executed exactly once, while its job is alive.
    #[inline]
    pub unsafe fn execute(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.execute)(self.data) }
    }
}

/// What a job left behind.
pub enum JobResult<R> {
    /// Not run yet.
    Pending,
    /// Returned normally.
    Ok(R),
    /// Panicked.
    Panicked(Panic),
}

/// The stolen-or-not half of a `join`, on the joiner's stack.
pub struct StackJob<'s, F, R> {
    func: UnsafeCell<Option<F>>,
    result: UnsafeCell<JobResult<R>>,
    latch: Latch,
    sleep: &'s Sleep,
}

impl<'s, F, R> StackJob<'s, F, R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    /// A job that thread `owner` of the pool whose sleep state is `sleep` waits on.
    #[inline]
    pub fn new(func: F, owner: usize, sleep: &'s Sleep) -> Self {
        StackJob {
            func: UnsafeCell::new(Some(func)),
            result: UnsafeCell::new(JobResult::Pending),
            latch: Latch::new(owner),
            sleep,
        }
    }

    /// The reference to push.
    ///
    /// # Safety
    /// The job must stay alive (and unmoved) until it has been popped back or its
    /// latch is set.
    #[inline]
    pub unsafe fn as_job_ref(&self) -> JobRef {
        JobRef {
            data: (self as *const Self).cast(),
            execute: Self::execute_erased,
        }
    }

    /// Whether a thief has finished running it.
    #[inline]
    pub fn is_done(&self) -> bool {
        self.latch.probe()
    }

    /// Runs the closure on the owner after popping the job back.
    #[inline]
    pub fn run_inline(self) -> Result<R, Panic> {
        let func = self.func.into_inner().expect("a join job runs once");
        catch_unwind(AssertUnwindSafe(func))
    }

    /// The result after [`is_done`](Self::is_done) returned true.
    #[inline]
    pub fn into_result(self) -> Result<R, Panic> {
        match self.result.into_inner() {
            JobResult::Ok(value) => Ok(value),
            JobResult::Panicked(payload) => Err(payload),
            JobResult::Pending => unreachable!("join job latch set without a result"),
        }
    }

    /// # Safety
    /// `this` comes from [`as_job_ref`](Self::as_job_ref), executed once.
    unsafe fn execute_erased(this: *const ()) {
        let this = this.cast::<Self>();
        // SAFETY: the owner keeps the job alive until the latch is set, and only
        // this execution touches `func` and `result` until then.
        let (func, sleep) = unsafe { ((*(*this).func.get()).take(), (*this).sleep) };
        let func = func.expect("a join job runs once");
        let outcome = match catch_unwind(AssertUnwindSafe(func)) {
            Ok(value) => JobResult::Ok(value),
            Err(payload) => JobResult::Panicked(payload),
        };
        // SAFETY: as above; the owner reads `result` only after the latch is set.
        unsafe { *(*this).result.get() = outcome };
        // SAFETY: the latch is live until set; `this` is not used afterwards.
        unsafe { Latch::set(&raw const (*this).latch, sleep) };
    }
}

/// What a scope job reports to its scope when it finishes.
pub trait ScopeSink {
    /// Records a panic of one of the scope's jobs.
    fn record_panic(&self, payload: Panic);
    /// The scope's pending-job latch.
    fn latch(&self) -> &CountLatch;
    /// The pool's sleep state (to wake the scope's owner).
    fn sleep(&self) -> &Sleep;
}

/// A boxed `scope` spawn.
pub struct HeapJob<F, S> {
    func: F,
    scope: *const S,
}

impl<F, S> HeapJob<F, S>
where
    F: FnOnce(&S) + Send,
    S: ScopeSink,
{
    /// Boxes `func` for `scope`; the scope's latch must already count it.
    ///
    /// # Safety
    /// The scope must stay alive until the job has run.
    pub unsafe fn into_job_ref(func: F, scope: *const S) -> JobRef {
        let job = Box::new(HeapJob { func, scope });
        JobRef {
            data: Box::into_raw(job).cast_const().cast(),
            execute: Self::execute_erased,
        }
    }

    /// # Safety
    /// `this` comes from [`into_job_ref`](Self::into_job_ref), executed once.
    unsafe fn execute_erased(this: *const ()) {
        // SAFETY: created by `Box::into_raw` in `into_job_ref`, executed once.
        let job = unsafe { Box::from_raw(this.cast::<Self>().cast_mut()) };
        let HeapJob { func, scope } = *job;
        // SAFETY: the scope waits for its latch, which this job still holds.
        let scope_ref = unsafe { &*scope };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| func(scope_ref))) {
            scope_ref.record_panic(payload);
        }
        let sleep: *const Sleep = scope_ref.sleep();
        let latch: *const CountLatch = scope_ref.latch();
        // SAFETY: the latch is live until this decrement; neither the scope nor
        // the latch is touched afterwards. The sleep state belongs to the pool,
        // which outlives its jobs.
        unsafe { CountLatch::decrement(latch, &*sleep) };
    }
}
