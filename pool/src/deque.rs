//! The work-stealing deques of `join` and `scope` jobs: crossbeam-deque's.
//!
//! Every pool thread (the caller seat included) owns one LIFO
//! [`crossbeam_deque::Worker`]: it pushes the second half of a `join` and a
//! scope's spawns at the back and pops them back from there, newest first, so a
//! recursion runs depth-first and its data stays in cache. Every other thread holds
//! a [`crossbeam_deque::Stealer`] of it and takes the *oldest* job from the front
//! (the biggest piece of a recursion). The deques grow as needed, so no push is
//! ever refused.
//!
//! # Why crossbeam's, and what it costs
//! The design card asks for a pool built on crossbeam's deques, and they are the
//! best-tested Chase–Lev deques in Rust. Earlier versions of this pool used a
//! bounded deque of their own whose last-element pop saved one locked
//! instruction. Measured side by side (the same benches built from both
//! versions, alternating runs on one machine), an unstolen `join` and a `scope`
//! spawn cost the same with crossbeam's, within noise; and none of accel's
//! workloads uses `join` on a hot path (they run on regions, team regions and
//! inline small work, which never touch a deque). So the hand-written structure
//! did not earn its keep. `cargo bench -p accel-pool --bench overhead` measures
//! `join` and `scope` against rayon (which uses the same deques) in one run.
//!
//! # Under loom
//! crossbeam's atomics are not loom's, so loom could neither explore nor see them.
//! Models (`--cfg loom`) get [`Worker`] and [`Stealer`] backed by a loom mutex around
//! a `VecDeque`, with the same interface and the same LIFO/FIFO ends, and an
//! atomic length so that looking (`is_empty`, in the sleep re-check) takes no
//! lock, as with crossbeam's. (With a lock there, loom reported a deadlock in
//! the three-thread team model, which pushes no job at all.) The models
//! check the pool's protocols around the deques (who waits for which job, who
//! wakes whom), not crossbeam's own algorithm, which crossbeam checks itself.

use crate::job::JobRef;

/// The outcome of a steal attempt.
#[derive(Debug)]
pub enum Steal {
    /// Nothing to steal.
    Empty,
    /// Lost a race; the deque may still hold work. (The loom stand-in never
    /// loses one.)
    #[cfg_attr(loom, allow(dead_code))]
    Retry,
    /// Got a job.
    Success(JobRef),
}

#[cfg(not(loom))]
mod imp {
    use super::{JobRef, Steal};

    /// The owner's end of a deque.
    pub struct Worker(crossbeam_deque::Worker<JobRef>);

    /// Another thread's end of a deque.
    pub struct Stealer(crossbeam_deque::Stealer<JobRef>);

    /// A new empty deque: the owner's end and its stealer.
    pub fn new_deque() -> (Worker, Stealer) {
        let worker = crossbeam_deque::Worker::new_lifo();
        let stealer = worker.stealer();
        (Worker(worker), Stealer(stealer))
    }

    impl Worker {
        /// Pushes `job` at the back.
        #[inline]
        pub fn push(&self, job: JobRef) {
            self.0.push(job);
        }

        /// Pops the newest job.
        #[inline]
        pub fn pop(&self) -> Option<JobRef> {
            self.0.pop()
        }
    }

    impl Stealer {
        /// Takes the oldest job.
        #[inline]
        pub fn steal(&self) -> Steal {
            match self.0.steal() {
                crossbeam_deque::Steal::Empty => Steal::Empty,
                crossbeam_deque::Steal::Retry => Steal::Retry,
                crossbeam_deque::Steal::Success(job) => Steal::Success(job),
            }
        }

        /// Whether the deque looks empty (a hint: it may change at once).
        #[inline]
        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::collections::VecDeque;

    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::{Arc, Mutex};

    use super::{JobRef, Steal};

    /// The jobs, and their number as an atomic (crossbeam's `is_empty` reads
    /// atomics too: looking is never a lock).
    struct Ring {
        jobs: Mutex<VecDeque<JobRef>>,
        len: AtomicUsize,
    }

    /// The owner's end of a deque (loom stand-in, see the module docs).
    pub struct Worker(Arc<Ring>);

    /// Another thread's end of a deque (loom stand-in).
    pub struct Stealer(Arc<Ring>);

    /// A new empty deque: the owner's end and its stealer.
    pub fn new_deque() -> (Worker, Stealer) {
        let ring = Arc::new(Ring {
            jobs: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        });
        (Worker(Arc::clone(&ring)), Stealer(ring))
    }

    impl Ring {
        fn take(&self, newest: bool) -> Option<JobRef> {
            let mut jobs = self.jobs.lock().unwrap();
            let job = if newest {
                jobs.pop_back()
            } else {
                jobs.pop_front()
            };
            if job.is_some() {
                self.len.fetch_sub(1, Ordering::SeqCst);
            }
            job
        }
    }

    impl Worker {
        /// Pushes `job` at the back.
        pub fn push(&self, job: JobRef) {
            // Count first: the length never runs below the jobs present.
            self.0.len.fetch_add(1, Ordering::SeqCst);
            self.0.jobs.lock().unwrap().push_back(job);
        }

        /// Pops the newest job.
        pub fn pop(&self) -> Option<JobRef> {
            self.0.take(true)
        }
    }

    impl Stealer {
        /// Takes the oldest job.
        pub fn steal(&self) -> Steal {
            match self.0.take(false) {
                Some(job) => Steal::Success(job),
                None => Steal::Empty,
            }
        }

        /// Whether the deque looks empty.
        pub fn is_empty(&self) -> bool {
            self.0.len.load(Ordering::SeqCst) == 0
        }
    }
}

pub use imp::{Stealer, Worker, new_deque};

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn numbered(n: usize) -> JobRef {
        /// Runs nothing.
        unsafe fn noop(_: *const ()) {}
        let execute: unsafe fn(*const ()) = noop;
        // SAFETY: the function pointer comes from a function of the right type.
        unsafe { JobRef::from_raw(n as *const (), execute as *mut ()) }
    }

    #[test]
    fn owner_pops_newest_thieves_take_oldest() {
        let (worker, stealer) = new_deque();
        assert!(stealer.is_empty());
        for n in 1..=3 {
            worker.push(numbered(n));
        }
        assert!(!stealer.is_empty());
        let Steal::Success(oldest) = stealer.steal() else {
            panic!("a non-empty deque gives a job to a lone thief");
        };
        assert_eq!(oldest.into_raw().0 as usize, 1);
        assert_eq!(worker.pop().map(|j| j.into_raw().0 as usize), Some(3));
        assert_eq!(worker.pop().map(|j| j.into_raw().0 as usize), Some(2));
        assert!(worker.pop().is_none());
        assert!(matches!(stealer.steal(), Steal::Empty));
    }
}
