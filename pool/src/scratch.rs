//! The stencil runs' second plane, kept by the pool between runs.
//!
//! An iterated stencil needs a plane-sized scratch buffer (the other half of
//! the double buffer, or the one-member executors' padded copy). Allocating it
//! per call costs little in time to allocate but a page fault per 4 KiB on
//! first touch: for a 7095 × 5322 f32 plane about 18 000 faults, tens of
//! milliseconds on a VM, paid again by every call. Programs that call the
//! stencil again and again with a few iterations each (a time-stepping loop
//! that checkpoints, the passes of an MPI rank) paid it every time. So the
//! pool keeps the largest scratch plane it has handed out and lends it to the
//! next run, zeroed again (a `memset`, far cheaper than faulting the pages
//! in). The pool holds that memory until it is dropped.
//!
//! Runs at the same time (nested, or on several threads) each get a buffer:
//! one borrows the kept plane, the others allocate their own, and the largest
//! returned is kept.

use std::marker::PhantomData;
use std::sync::Mutex;

use accel_core::ir::Element;

use crate::ir_stencil::StencilRunError;

/// The kept plane, as 8-byte words (aligned for `f32` and `f64`).
#[derive(Debug, Default)]
pub(crate) struct ScratchCache {
    kept: Mutex<Vec<u64>>,
}

/// A zeroed buffer of `len` values lent by a [`ScratchCache`]; given back on
/// drop.
pub(crate) struct Scratch<'a, T> {
    cache: &'a ScratchCache,
    words: Vec<u64>,
    len: usize,
    value: PhantomData<T>,
}

impl ScratchCache {
    /// A buffer of `n` zeros of `T`: the kept plane if it is large enough,
    /// otherwise a fresh allocation.
    ///
    /// # Errors
    /// [`StencilRunError::OutOfMemory`] if a fresh buffer cannot be allocated.
    pub(crate) fn zeroed<T: Element>(&self, n: usize) -> Result<Scratch<'_, T>, StencilRunError> {
        let bytes = n.saturating_mul(size_of::<T>());
        let needed = bytes.div_ceil(8);
        let kept = std::mem::take(&mut *self.kept.lock().unwrap_or_else(|e| e.into_inner()));
        let words = if kept.len() >= needed {
            let mut words = kept;
            words[..needed].fill(0);
            words
        } else {
            self.give_back(kept);
            fresh_zeroed(needed).ok_or(StencilRunError::OutOfMemory { bytes })?
        };
        Ok(Scratch {
            cache: self,
            words,
            len: n,
            value: PhantomData,
        })
    }

    /// Keeps `words` if it is larger than the plane kept now.
    fn give_back(&self, words: Vec<u64>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if words.len() > kept.len() {
            *kept = words;
        }
    }
}

/// `n` zero words, allocated zeroed (the pages are mapped lazily), or `None`
/// if the allocator refuses.
fn fresh_zeroed(n: usize) -> Option<Vec<u64>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u64>(n).ok()?;
    // SAFETY: `layout` has a non-zero size (n > 0).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<u64>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout of
    // `[u64; n]`, and its n words are zero, a valid u64 each.
    Some(unsafe { Vec::from_raw_parts(ptr, n, n) })
}

impl<T: Element> std::ops::Deref for Scratch<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `words` holds at least `len · size_of::<T>()` bytes (see
        // `zeroed`), aligned to 8 ≥ align_of::<T>() (f32 or f64, the only
        // `Element`s), and every bit pattern is a valid f32 or f64; the slice
        // borrows `self`, which owns the words.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<T>(), self.len) }
    }
}

impl<T: Element> std::ops::DerefMut for Scratch<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and the borrow is unique through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<T>(), self.len) }
    }
}

impl<T> Drop for Scratch<'_, T> {
    fn drop(&mut self) {
        self.cache.give_back(std::mem::take(&mut self.words));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lent_plane_comes_back_zeroed_and_the_largest_is_kept() {
        let cache = ScratchCache::default();
        {
            let mut a = cache.zeroed::<f64>(1000).unwrap();
            assert!(a.iter().all(|&x| x == 0.0));
            a.fill(7.5);
        }
        let kept = cache.kept.lock().unwrap().as_ptr();
        {
            // Reused (same words), zeroed again, as f32 this time.
            let b = cache.zeroed::<f32>(1999).unwrap();
            assert_eq!(b.len(), 1999);
            assert!(b.iter().all(|&x| x == 0.0));
            assert_eq!(b.as_ptr().cast::<u64>(), kept);
            // A second run at the same time gets its own buffer.
            let c = cache.zeroed::<f64>(10).unwrap();
            assert_ne!(c.as_ptr().cast::<u64>(), kept);
        }
        assert_eq!(cache.kept.lock().unwrap().len(), 1000);
        drop(cache.zeroed::<f64>(5000).unwrap());
        assert_eq!(cache.kept.lock().unwrap().len(), 5000);
    }
}
