//! The one per-pixel evaluation every executor shares: [`RowKernel`].
//!
//! Bit-identity between the one-iteration-at-a-time reference, the temporally
//! blocked executor and any parallel split of either rests on one rule: an output
//! value is computed by exactly one function of its own neighbourhood, always with
//! the same operations in the same order, no matter which executor asked for it,
//! which slice of the row it was computed in, or where the window came from (the
//! plane itself, a padded copy, a ring of intermediate rows). Executors only
//! decide *which* rows form the window; a [`RowKernel`] decides *how* each output
//! is formed from it.
//!
//! Window layout: a window for radius `r` is `2r + 1` row slices; slice `t` holds
//! the row at offset `dy = t − r`, and output `i` of a row call sits at column
//! `i + r` of every slice, so the neighbour at `(dy, dx)` of output `i` is
//! `window[r + dy][i + r + dx]`.

use crate::ir::Element;

/// A stencil's per-point computation, applied one output row at a time.
///
/// # Contract
/// `apply_row(window, out)` is called with `window.len() == 2·radius + 1` and every
/// `window[t].len() == out.len() + 2·radius`. It must set every `out[i]` to a value
/// that depends only on `window[t][i ..= i + 2·radius]` for all `t`, computed the
/// same way for every `i` and every call (deterministic, no state). Executors rely
/// on this to give bit-identical results however they split and schedule work.
pub trait RowKernel {
    /// The element type of the planes (`f32` or `f64`).
    type Value: Element;

    /// The neighbourhood radius `r`: offsets range over `-r..=r` in both axes.
    fn radius(&self) -> usize;

    /// Computes one output row from its `2r + 1` window rows (see the trait docs).
    fn apply_row(&self, window: &[&[Self::Value]], out: &mut [Self::Value]);

    /// Computes two consecutive output rows from `2r + 2` window rows: `upper`
    /// from `window[..2r + 1]` and `lower` from `window[1..]` (both as long as
    /// the rows minus `2r`). Must equal two [`RowKernel::apply_row`] calls bit
    /// for bit; a kernel overrides it when sharing the loads of the common rows is
    /// faster (the AVX-512 linear kernel does).
    #[inline]
    fn apply_row_pair(
        &self,
        window: &[&[Self::Value]],
        upper: &mut [Self::Value],
        lower: &mut [Self::Value],
    ) {
        let side = window.len() - 1;
        self.apply_row(&window[..side], upper);
        self.apply_row(&window[1..], lower);
    }
}

impl<K: RowKernel + ?Sized> RowKernel for &K {
    type Value = K::Value;

    #[inline(always)]
    fn radius(&self) -> usize {
        (**self).radius()
    }

    #[inline(always)]
    fn apply_row(&self, window: &[&[K::Value]], out: &mut [K::Value]) {
        (**self).apply_row(window, out)
    }

    #[inline(always)]
    fn apply_row_pair(
        &self,
        window: &[&[K::Value]],
        upper: &mut [K::Value],
        lower: &mut [K::Value],
    ) {
        (**self).apply_row_pair(window, upper, lower)
    }
}

/// The neighbourhood of one point, as seen by an [`ExprKernel`] closure.
#[derive(Clone, Copy, Debug)]
pub struct Window<'a> {
    rows: &'a [&'a [f32]],
    col: usize,
    radius: usize,
}

impl Window<'_> {
    /// The value at relative offset `(dy, dx)` (row, column).
    ///
    /// # Panics
    /// Panics if `|dy|` or `|dx|` exceeds the kernel's radius.
    #[inline(always)]
    pub fn at(&self, dy: i32, dx: i32) -> f32 {
        let (row, col) = neighbour(self.radius, self.col, dy, dx);
        self.rows[row][col]
    }

    /// The value at the centre, `at(0, 0)`.
    #[inline(always)]
    pub fn centre(&self) -> f32 {
        self.rows[self.radius][self.col]
    }

    /// The kernel's radius.
    #[inline(always)]
    pub fn radius(&self) -> usize {
        self.radius
    }
}

/// The window row and column of the neighbour at `(dy, dx)` of the point at
/// column `col`, for a kernel of radius `radius`.
///
/// # Panics
/// If `|dy|` or `|dx|` exceeds `radius`.
#[inline(always)]
pub(super) fn neighbour(radius: usize, col: usize, dy: i32, dx: i32) -> (usize, usize) {
    let r = radius as i64;
    assert!(
        (dy as i64).abs() <= r && (dx as i64).abs() <= r,
        "stencil read at ({dy}, {dx}) lies beyond the declared radius {r}"
    );
    ((r + dy as i64) as usize, (col as i64 + dx as i64) as usize)
}

/// A general stencil: an arbitrary function of each point's neighbourhood.
///
/// The closure sees a [`Window`] and returns the new value; it must be a pure
/// function of the window (the [`RowKernel`] contract). This is the slow, general
/// path: one call per point, no vectorisation across points unless the closure
/// inlines well.
#[derive(Clone, Copy, Debug)]
pub struct ExprKernel<F> {
    radius: usize,
    f: F,
}

impl<F: Fn(&Window<'_>) -> f32> ExprKernel<F> {
    /// A kernel of the given radius computing `f` at every point.
    ///
    /// The radius is checked against [`MAX_RADIUS`](super::MAX_RADIUS) when the
    /// kernel is put into a [`Stencil`](super::Stencil).
    pub const fn new(radius: usize, f: F) -> Self {
        Self { radius, f }
    }
}

impl<F: Fn(&Window<'_>) -> f32> RowKernel for ExprKernel<F> {
    type Value = f32;

    #[inline]
    fn radius(&self) -> usize {
        self.radius
    }

    #[inline]
    fn apply_row(&self, window: &[&[f32]], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate() {
            let w = Window {
                rows: window,
                col: i + self.radius,
                radius: self.radius,
            };
            *o = (self.f)(&w);
        }
    }
}
