//! A mutable slice that several threads may write, in disjoint parts.
//!
//! Team regions keep data in place across barriers: every member writes its own
//! tile of a shared buffer, then reads its neighbours' after the barrier. The
//! borrow checker cannot see that the tiles are disjoint or that the barrier orders
//! the phases, so [`SharedSlice`] hands out the raw access and leaves those two
//! facts to the caller (`unsafe`).

use std::marker::PhantomData;
use std::ops::Range;

/// A `&mut [T]` that can be shared between threads, accessed with `unsafe`
/// element or sub-slice access (see the module docs).
///
/// ```
/// let mut data = vec![0u64; 6];
/// let shared = accel_pool::SharedSlice::new(&mut data);
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// pool.for_range(0..6, 2, |r| {
///     // SAFETY: `for_range` hands out disjoint ranges.
///     let part = unsafe { shared.slice_mut(r.clone()) };
///     for (x, i) in part.iter_mut().zip(r) {
///         *x = i as u64 * 10;
///     }
/// });
/// assert_eq!(data, [0, 10, 20, 30, 40, 50]);
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
pub struct SharedSlice<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a SharedSlice is a `&mut [T]` whose aliasing rules the user upholds in
// the unsafe accessors; sending or sharing it moves `T`s between threads like
// sending the `&mut [T]` would, which needs `T: Send`.
unsafe impl<T: Send> Send for SharedSlice<'_, T> {}
// SAFETY: as above; shared access only goes through the unsafe accessors.
unsafe impl<T: Send> Sync for SharedSlice<'_, T> {}

impl<'a, T> SharedSlice<'a, T> {
    /// Borrows `slice` for shared writing.
    ///
    /// ```
    /// let mut v = [1, 2, 3];
    /// assert_eq!(accel_pool::SharedSlice::new(&mut v).len(), 3);
    /// ```
    pub fn new(slice: &'a mut [T]) -> Self {
        SharedSlice {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            _borrow: PhantomData,
        }
    }

    /// The number of elements.
    ///
    /// ```
    /// let mut v: [u8; 0] = [];
    /// assert!(accel_pool::SharedSlice::new(&mut v).is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the slice is empty.
    ///
    /// ```
    /// let mut v = [0u8];
    /// assert!(!accel_pool::SharedSlice::new(&mut v).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The elements in `range`, for reading.
    ///
    /// # Safety
    /// No thread may write any of them while the returned slice is alive.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    ///
    /// ```
    /// let mut v = [1, 2, 3];
    /// let s = accel_pool::SharedSlice::new(&mut v);
    /// // SAFETY: nothing writes `v` meanwhile.
    /// assert_eq!(unsafe { s.slice(1..3) }, &[2, 3]);
    /// ```
    pub unsafe fn slice(&self, range: Range<usize>) -> &[T] {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "range {range:?} out of 0..{}",
            self.len
        );
        // SAFETY: in bounds (checked); no concurrent writer (caller's promise).
        unsafe { std::slice::from_raw_parts(self.ptr.add(range.start), range.len()) }
    }

    /// The elements in `range`, for writing.
    ///
    /// # Safety
    /// No other thread may access any of them while the returned slice is alive.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    ///
    /// ```
    /// let mut v = [1, 2, 3];
    /// let s = accel_pool::SharedSlice::new(&mut v);
    /// // SAFETY: the only access.
    /// unsafe { s.slice_mut(0..2) }.fill(9);
    /// assert_eq!(v, [9, 9, 3]);
    /// ```
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice_mut(&self, range: Range<usize>) -> &mut [T] {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "range {range:?} out of 0..{}",
            self.len
        );
        // SAFETY: in bounds (checked); exclusive (caller's promise).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }
    }

    /// Element `i`, for writing.
    ///
    /// # Safety
    /// No other thread may access it while the returned reference is alive.
    ///
    /// # Panics
    /// If `i` is out of bounds.
    ///
    /// ```
    /// let mut v = [1, 2, 3];
    /// let s = accel_pool::SharedSlice::new(&mut v);
    /// // SAFETY: the only access.
    /// unsafe { *s.get_mut(2) = 7 };
    /// assert_eq!(v, [1, 2, 7]);
    /// ```
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get_mut(&self, i: usize) -> &mut T {
        assert!(i < self.len, "index {i} out of 0..{}", self.len);
        // SAFETY: in bounds (checked); exclusive (caller's promise).
        unsafe { &mut *self.ptr.add(i) }
    }
}
