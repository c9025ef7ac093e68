//! General stencils written once over [`Real`] and run on SIMD lanes:
//! [`PointFormula`] and its [`RowKernel`], [`FormulaKernel`].
//!
//! An [`ExprKernel`](super::ExprKernel) closure is called once per point with a
//! bounds-checked [`Window`](super::Window): fine for a prototype, but a heat
//! equation written that way ran at about a quarter of a plain rayon loop. A
//! [`PointFormula`] is the same computation written the way a
//! [`Formula`](crate::ir::Formula) is: generic over the number type, reading its
//! neighbours with [`Neighbourhood::at`]. [`FormulaKernel`] evaluates it on
//! [`Lanes`] of [`BLOCK`] consecutive `f32` outputs ([`BLOCK_F64`] `f64` ones: 64
//! bytes either way) at a time, so every operation of the formula becomes a
//! vector operation, and compiles that loop for the SIMD path ([`SimdPath`]) it
//! was built with (AVX-512 or AVX2 on x86-64, NEON is aarch64's baseline). The
//! row's last outputs short of a block take the same formula on plain `f32` or
//! `f64`. The same formula runs on either element type:
//! [`FormulaKernel::new`] for `f32` planes, [`FormulaKernel::new_f64`] for `f64`.
//!
//! Every path and both loops perform the same operations in the same
//! order on every point (Rust never fuses a multiply and an add, and [`Lanes`]
//! apply the scalar functions of `crate::math` lane by lane), so results are
//! bit-identical across paths, executors, thread counts and block positions,
//! as the [`RowKernel`] contract requires.
//!
//! ```
//! use accel_core::ir::stencil::{Boundary, FormulaKernel, Neighbourhood, PointFormula, RowLoad, Shape, Stencil};
//!
//! /// One explicit step of the heat equation, 5-point Laplacian.
//! struct Heat;
//! impl PointFormula for Heat {
//!     fn radius(&self) -> usize {
//!         1
//!     }
//!     #[inline(always)]
//!     fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
//!         let c = n.centre();
//!         let lap = n.at(-1, 0) + n.at(1, 0) + n.at(0, -1) + n.at(0, 1) - R::lit(4.0) * c;
//!         c + R::lit(0.2) * lap
//!     }
//! }
//!
//! let heat = Stencil::new(FormulaKernel::new(Heat), Boundary::ZeroSrc, 10)?;
//! let shape = Shape::new(40, 30);
//! let mut plane = vec![0.0f32; 40 * 30];
//! plane[15 * 40 + 20] = 100.0;
//! heat.apply(&mut plane, shape)?;
//! let total: f32 = plane.iter().sum();
//! assert!(total > 99.0 && total < 100.01); // heat spreads, none lost yet
//! # Ok::<(), accel_core::ir::stencil::StencilError>(())
//! ```

use core::marker::PhantomData;

use super::kernel::neighbour;
use super::{RowKernel, StencilError};
use crate::ir::{Element, Lanes, Real};
use crate::simd::SimdPath;

/// Outputs per block of [`FormulaKernel`]'s vector loop for `f32` planes: 16,
/// one AVX-512 register or two AVX2 ones per operation.
pub const BLOCK: usize = 16;

/// Outputs per block for `f64` planes: 8, the same 64 bytes per operation (one
/// AVX-512 register, two AVX2 ones), so a formula keeps the same number of
/// values in registers in either type.
pub const BLOCK_F64: usize = 8;

/// The number types a [`PointFormula`] is evaluated on: one `f32` or `f64` (a
/// single point), or [`Lanes`] of consecutive points.
pub trait RowLoad: Real + sealed::Sealed {
    /// The element type of the rows read.
    type Elem: Element;

    /// The value at column `col` of `row` (for lanes, columns `col..col + N`).
    fn load(row: &[Self::Elem], col: usize) -> Self;

    /// Values read by one [`RowLoad::load`]: 1, or the lanes' `N`.
    const LANES: usize;

    /// [`RowLoad::load`] without the bounds check.
    ///
    /// # Safety
    /// `col + Self::LANES <= row.len()`.
    #[doc(hidden)]
    unsafe fn load_unchecked(row: &[Self::Elem], col: usize) -> Self;

    /// Stores the value (for lanes, all `N`) at the start of `out`.
    fn store(self, out: &mut [Self::Elem]);
}

impl<T: Element> RowLoad for T {
    type Elem = T;

    #[inline(always)]
    fn load(row: &[T], col: usize) -> Self {
        row[col]
    }

    const LANES: usize = 1;

    #[inline(always)]
    unsafe fn load_unchecked(row: &[T], col: usize) -> Self {
        // SAFETY: the caller promises `col < row.len()`.
        unsafe { *row.get_unchecked(col) }
    }

    #[inline(always)]
    fn store(self, out: &mut [T]) {
        out[0] = self;
    }
}

impl<T: Element, const N: usize> RowLoad for Lanes<T, N> {
    type Elem = T;

    #[inline(always)]
    fn load(row: &[T], col: usize) -> Self {
        let mut v = [T::ZERO; N];
        v.copy_from_slice(&row[col..col + N]);
        Lanes(v)
    }

    const LANES: usize = N;

    #[inline(always)]
    unsafe fn load_unchecked(row: &[T], col: usize) -> Self {
        // SAFETY: the caller promises `col + N <= row.len()`, so the `N`
        // values from `col` lie inside the row; `[T; N]` has `T`'s alignment.
        Lanes(unsafe { row.as_ptr().add(col).cast::<[T; N]>().read_unaligned() })
    }

    #[inline(always)]
    fn store(self, out: &mut [T]) {
        out[..N].copy_from_slice(&self.0);
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T: crate::ir::Element> Sealed for T {}
    impl<T: crate::ir::Element, const N: usize> Sealed for crate::ir::Lanes<T, N> {}

    pub trait SealedElement {}
    impl SealedElement for f32 {}
    impl SealedElement for f64 {}
}

/// The plane element types a [`FormulaKernel`] runs on, with the lanes of its
/// vector loop: `f32` on [`BLOCK`] lanes, `f64` on [`BLOCK_F64`].
pub trait StencilElement: Element + sealed::SealedElement {
    /// The lanes of one block of outputs.
    type Block: RowLoad<Elem = Self>;
    /// Outputs per block.
    const BLOCK: usize;
}

impl StencilElement for f32 {
    type Block = Lanes<f32, BLOCK>;
    const BLOCK: usize = BLOCK;
}

impl StencilElement for f64 {
    type Block = Lanes<f64, BLOCK_F64>;
    const BLOCK: usize = BLOCK_F64;
}

/// The neighbourhood of the point (or run of points) being computed.
#[derive(Clone, Copy, Debug)]
pub struct Neighbourhood<'a, R: RowLoad> {
    rows: &'a [&'a [R::Elem]],
    col: usize,
    radius: usize,
    value: PhantomData<R>,
}

impl<'a, R: RowLoad> Neighbourhood<'a, R> {
    /// The neighbourhood of the point(s) at column `col` of the window's rows.
    #[inline(always)]
    fn new(rows: &'a [&'a [R::Elem]], col: usize, radius: usize) -> Self {
        Self {
            rows,
            col,
            radius,
            value: PhantomData,
        }
    }

    /// The value at relative offset `(dy, dx)` (row, column) of each point.
    ///
    /// # Panics
    /// If `|dy|` or `|dx|` exceeds the formula's radius.
    #[inline(always)]
    pub fn at(&self, dy: i32, dx: i32) -> R {
        let (row, col) = neighbour(self.radius, self.col, dy, dx);
        R::load(self.rows[row], col)
    }

    /// The value at the point itself, `at(0, 0)`.
    #[inline(always)]
    pub fn centre(&self) -> R {
        R::load(self.rows[self.radius], self.col)
    }

    /// The formula's radius.
    #[inline(always)]
    pub fn radius(&self) -> usize {
        self.radius
    }
}

/// A stencil's per-point computation, written once over any [`RowLoad`] type.
///
/// `eval` must compute the new value of each point from its [`Neighbourhood`]
/// alone, with the same operations for every number type (write it generically
/// and it does). Mark it `#[inline(always)]` so that it compiles into the
/// kernel's vector loop. See the [module docs](self) for an example.
pub trait PointFormula {
    /// The neighbourhood radius `r`: reads reach `-r..=r` in both axes.
    fn radius(&self) -> usize;

    /// The new value of the point(s) of `n`.
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R;
}

/// A [`PointFormula`] as a [`RowKernel`] on planes of `T` (`f32` or `f64`):
/// blocks of [`StencilElement::BLOCK`] outputs on [`Lanes`], compiled for a
/// SIMD path.
#[derive(Clone, Copy, Debug)]
pub struct FormulaKernel<F, T = f32> {
    formula: F,
    simd: SimdPath,
    value: PhantomData<fn() -> T>,
}

impl<F: PointFormula> FormulaKernel<F, f32> {
    /// The kernel of `formula` on `f32` planes, on [`SimdPath::active`].
    pub fn new(formula: F) -> Self {
        Self::of(formula)
    }
}

impl<F: PointFormula> FormulaKernel<F, f64> {
    /// The kernel of `formula` on `f64` planes, on [`SimdPath::active`].
    pub fn new_f64(formula: F) -> Self {
        Self::of(formula)
    }
}

impl<F: PointFormula, T: StencilElement> FormulaKernel<F, T> {
    /// The kernel of `formula` on planes of `T`, on [`SimdPath::active`] (the
    /// element type is inferred from the planes it runs on).
    pub fn of(formula: F) -> Self {
        Self {
            formula,
            simd: SimdPath::active(),
            value: PhantomData,
        }
    }

    /// The same kernel on SIMD path `path` (results are identical on every
    /// path; this is for measuring one).
    ///
    /// # Errors
    /// [`StencilError::SimdUnsupported`] if this CPU cannot run `path`.
    pub fn with_simd(mut self, path: SimdPath) -> Result<Self, StencilError> {
        if !path.is_supported() {
            return Err(StencilError::SimdUnsupported { path });
        }
        self.simd = path;
        Ok(self)
    }

    /// The SIMD path the kernel runs on.
    pub fn simd(&self) -> SimdPath {
        self.simd
    }

    /// The formula.
    pub fn formula(&self) -> &F {
        &self.formula
    }
}

/// One output row: whole blocks on lanes, the rest one point at a time.
#[inline(always)]
fn formula_row<F: PointFormula, T: StencilElement>(formula: &F, window: &[&[T]], out: &mut [T]) {
    let r = formula.radius();
    let n = out.len();
    let block = T::BLOCK;
    let whole = n - n % block;
    for (b, o) in out[..whole].chunks_exact_mut(block).enumerate() {
        let v: T::Block = formula.eval(&Neighbourhood::new(window, b * block + r, r));
        v.store(o);
    }
    for (i, o) in out.iter_mut().enumerate().skip(whole) {
        *o = formula.eval::<T>(&Neighbourhood::new(window, i + r, r));
    }
}

impl<F: PointFormula, T: StencilElement> RowKernel for FormulaKernel<F, T> {
    type Value = T;

    #[inline(always)]
    fn radius(&self) -> usize {
        self.formula.radius()
    }

    #[inline]
    fn apply_row(&self, window: &[&[T]], out: &mut [T]) {
        match self.simd {
            // SAFETY: `simd` is only ever a path `SimdPath::is_supported`
            // approved (`SimdPath::active` in `new`, the check in `with_simd`).
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => unsafe { x86::row_avx512(&self.formula, window, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx2 => unsafe { x86::row_avx2(&self.formula, window, out) },
            _ => formula_row(&self.formula, window, out),
        }
    }
}

/// [`formula_row`] compiled for the x86-64 paths.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{PointFormula, StencilElement, formula_row};

    /// # Safety
    /// The CPU must run the AVX-512 path.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn row_avx512<F: PointFormula, T: StencilElement>(
        f: &F,
        window: &[&[T]],
        out: &mut [T],
    ) {
        formula_row(f, window, out)
    }

    /// # Safety
    /// The CPU must run the AVX2 path.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn row_avx2<F: PointFormula, T: StencilElement>(
        f: &F,
        window: &[&[T]],
        out: &mut [T],
    ) {
        formula_row(f, window, out)
    }
}
