//! General stencils written once over [`Real`] and run on SIMD lanes:
//! [`PointFormula`] and its [`RowKernel`], [`FormulaKernel`].
//!
//! An [`ExprKernel`](super::ExprKernel) closure is called once per point with a
//! bounds-checked [`Window`](super::Window): fine for a prototype, but a heat
//! equation written that way ran at about a quarter of a plain rayon loop. A
//! [`PointFormula`] is the same computation written the way a
//! [`Formula`](crate::ir::Formula) is: generic over the number type, reading its
//! neighbours with [`Neighbourhood::at`]. [`FormulaKernel`] evaluates it on
//! [`Lanes`] of [`BLOCK`] consecutive outputs at a time, so every operation of
//! the formula becomes a vector operation, and compiles that loop for the SIMD
//! path ([`SimdPath`]) it was built with (AVX-512 or AVX2 on x86-64, NEON is
//! aarch64's baseline). The row's last `len % BLOCK` outputs take the same
//! formula on plain `f32`.
//!
//! Every path and both loops perform the same `f32` operations in the same
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
use crate::ir::{Lanes, Real};
use crate::simd::SimdPath;

/// Outputs per block of [`FormulaKernel`]'s vector loop: 16 `f32`, one
/// AVX-512 register or two AVX2 ones per operation.
pub const BLOCK: usize = 16;

/// The number types a [`PointFormula`] is evaluated on: one `f32` (a single
/// point), or [`Lanes`] of consecutive points.
pub trait RowLoad: Real + sealed::Sealed {
    /// The value at column `col` of `row` (for lanes, columns `col..col + N`).
    fn load(row: &[f32], col: usize) -> Self;
}

impl RowLoad for f32 {
    #[inline(always)]
    fn load(row: &[f32], col: usize) -> Self {
        row[col]
    }
}

impl<const N: usize> RowLoad for Lanes<f32, N> {
    #[inline(always)]
    fn load(row: &[f32], col: usize) -> Self {
        let mut v = [0.0f32; N];
        v.copy_from_slice(&row[col..col + N]);
        Lanes(v)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl<const N: usize> Sealed for crate::ir::Lanes<f32, N> {}
}

/// The neighbourhood of the point (or run of points) being computed.
#[derive(Clone, Copy, Debug)]
pub struct Neighbourhood<'a, R> {
    rows: &'a [&'a [f32]],
    col: usize,
    radius: usize,
    value: PhantomData<R>,
}

impl<'a, R: RowLoad> Neighbourhood<'a, R> {
    /// The neighbourhood of the point(s) at column `col` of the window's rows.
    #[inline(always)]
    fn new(rows: &'a [&'a [f32]], col: usize, radius: usize) -> Self {
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

/// A [`PointFormula`] as a [`RowKernel`]: blocks of [`BLOCK`] outputs on
/// [`Lanes`], compiled for a SIMD path.
#[derive(Clone, Copy, Debug)]
pub struct FormulaKernel<F> {
    formula: F,
    simd: SimdPath,
}

impl<F: PointFormula> FormulaKernel<F> {
    /// The kernel of `formula` on [`SimdPath::active`].
    pub fn new(formula: F) -> Self {
        Self {
            formula,
            simd: SimdPath::active(),
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
fn formula_row<F: PointFormula>(formula: &F, window: &[&[f32]], out: &mut [f32]) {
    let r = formula.radius();
    let n = out.len();
    let whole = n - n % BLOCK;
    for (b, o) in out[..whole].chunks_exact_mut(BLOCK).enumerate() {
        let v: Lanes<f32, BLOCK> = formula.eval(&Neighbourhood::new(window, b * BLOCK + r, r));
        o.copy_from_slice(&v.0);
    }
    for (i, o) in out.iter_mut().enumerate().skip(whole) {
        *o = formula.eval::<f32>(&Neighbourhood::new(window, i + r, r));
    }
}

impl<F: PointFormula> RowKernel for FormulaKernel<F> {
    #[inline(always)]
    fn radius(&self) -> usize {
        self.formula.radius()
    }

    #[inline]
    fn apply_row(&self, window: &[&[f32]], out: &mut [f32]) {
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
    use super::{PointFormula, formula_row};

    /// # Safety
    /// The CPU must run the AVX-512 path.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn row_avx512<F: PointFormula>(f: &F, window: &[&[f32]], out: &mut [f32]) {
        formula_row(f, window, out)
    }

    /// # Safety
    /// The CPU must run the AVX2 path.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn row_avx2<F: PointFormula>(f: &F, window: &[&[f32]], out: &mut [f32]) {
        formula_row(f, window, out)
    }
}
