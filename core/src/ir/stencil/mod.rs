//! The Stencil pattern: relative-offset neighbourhoods, boundary modes, Jacobi
//! iteration with buffer rotation, and the serial executors the pool builds on.
//!
//! # What a stencil computes
//! A [`Stencil`] pairs a per-point computation (a [`RowKernel`]: linear
//! [`LinearTaps`], a general [`PointFormula`] run on SIMD lanes by
//! [`FormulaKernel`], or an [`ExprKernel`] closure) over a 2-D plane of
//! `Shape { width, height }` (row-major, `width` values per row) with a
//! [`Boundary`] mode and an iteration count. Iteration is Jacobi: every iteration
//! reads only the previous iteration's plane. The semantics (ARCHITECTURE.md §5.3):
//! * both ping-pong buffers start as copies of the input, so under
//!   [`Boundary::Skip`] the frame of width `r` keeps the input's values;
//! * with [`Boundary::Skip`], a plane smaller than `2r + 1` in either dimension is
//!   returned unchanged, and so is any plane after 0 iterations;
//! * the result is always in the caller's buffer, whatever the parity of the
//!   iteration count.
//!
//! The element type is the kernel's [`RowKernel::Value`]: `f32` for
//! [`LinearTaps`] (whose mirror-symmetric plan has hand-built AVX-512 and AVX2
//! row kernels) and [`ExprKernel`], `f32` or `f64` for a [`FormulaKernel`]
//! (`FormulaKernel::new` / `FormulaKernel::new_f64`). Every executor, here and
//! in the pool, is generic over it; an `f64` ring takes twice the cache, which
//! the cache model ([`BlockPlan::for_cache_of`]) accounts for.
//!
//! # Executors
//! * [`Stencil::run_reference`]: one iteration at a time over the whole plane;
//!   simple, and the definition the others are tested against.
//! * [`Stencil::run_band`]: the temporally blocked engine. It advances one band of
//!   rows by several iterations ("levels") in one pass over a read-only source
//!   plane, writing only that band of the destination; [`Stencil::run_blocked`]
//!   drives it serially, and the pool drives it with one band per worker and a
//!   barrier between passes (see [`blocked`]).
//!
//! All executors work on caller-provided slices and scratch (no heap); with the
//! `alloc` feature, [`Stencil::apply`] and [`Stencil::apply_reference`] allocate
//! the scratch themselves. They produce bit-identical results, because every value
//! is computed by the same [`RowKernel::apply_row`] from the same neighbourhood.
//!
//! # Floors (ARCHITECTURE.md §6)
//! The blur does 25 multiply-adds per point per iteration (21 operations with the
//! mirror-symmetric plan, see [`taps`]). A plain sweep per iteration moves at least
//! 8 B per point (read 4, write 4): 100 iterations of 7095×5322 move ≥ 30 GB,
//! so one sweep per iteration is bound by memory bandwidth long before the
//! arithmetic. Fusing `k` iterations per pass moves ≈ 8/k B per point per
//! iteration instead, which turns the blur compute bound; see
//! [`BlockPlan::for_cache`] for how `k` is chosen. Recorded timings of the
//! blocked executor against one sweep per iteration, with the machine and the
//! instruction set they ran on, are in `docs/PERFORMANCE.md`.
//!
//! # Vectorisation
//! [`LinearTaps`] picks its row kernel at run time: [`SimdPath::active`](crate::simd::SimdPath::active), the
//! crate's one detection (AVX-512, AVX2 or portable, forceable with `ACCEL_SIMD`;
//! see [`crate::simd`]), so callers need no `RUSTFLAGS` and no wrappers.
//! The results do not depend on the choice: every path performs the same
//! separate multiplies and adds (never fused) in the same order on each point.
//! [`FormulaKernel`] does the same for a user's [`PointFormula`]: its block
//! loop is compiled for the chosen path (see [`point`]). Other [`RowKernel`]s
//! are plain generic code.
//!
//! A [`Stencil`] is one `f32` or `f64` plane. Rows and volumes, several
//! buffers that rotate (the wave equation's `u`, `u⁻`, `u⁺`), several fields
//! and read-only coefficient arrays are [`system`]'s [`StencilSystem`](system::StencilSystem),
//! which sweeps once per iteration.

pub mod blocked;
pub mod boundary;
pub mod error;
pub mod kernel;
pub mod point;
pub mod reference;
#[cfg(feature = "alloc")]
pub mod system;
pub mod taps;
// AVX-512 intrinsics are stable since Rust 1.89.
#[cfg(target_arch = "x86_64")]
#[clippy::msrv = "1.89"]
mod x86;

pub use blocked::{BlockPlan, MAX_LEVELS, Passes};
pub use boundary::{Boundary, ParseBoundaryError};
pub use error::StencilError;
pub use kernel::{ExprKernel, RowKernel, Window};
pub use point::{FormulaKernel, Neighbourhood, PointFormula, RowLoad, StencilElement};
pub use taps::{GAUSSIAN_5X5, LinearTaps, MAX_TAPS, Tap};

/// The largest supported radius (offsets up to ±8, a 17×17 neighbourhood).
pub const MAX_RADIUS: usize = 8;

/// Rows in a window of [`MAX_RADIUS`] for a pair of output rows; executors keep
/// window arrays this long.
pub(crate) const MAX_WINDOW: usize = 2 * MAX_RADIUS + 2;

/// The dimensions of a row-major plane: `width` values per row, `height` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Values per row.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
}

impl Shape {
    /// A `width × height` plane.
    pub const fn new(width: usize, height: usize) -> Self {
        Self { width, height }
    }

    /// `width × height`, checked.
    ///
    /// # Errors
    /// [`StencilError::EmptyDimension`] if exactly one dimension is zero,
    /// [`StencilError::SizeOverflow`] if the product overflows.
    pub fn area(&self) -> Result<usize, StencilError> {
        let (width, height) = (self.width, self.height);
        if (width == 0) != (height == 0) {
            return Err(StencilError::EmptyDimension { width, height });
        }
        width
            .checked_mul(height)
            .ok_or(StencilError::SizeOverflow { width, height })
    }

    /// Checks that a buffer of length `len` holds exactly this plane.
    ///
    /// # Errors
    /// Those of [`Shape::area`], and [`StencilError::PlaneLength`].
    pub fn check(&self, len: usize) -> Result<(), StencilError> {
        if self.area()? != len {
            return Err(StencilError::PlaneLength {
                len,
                width: self.width,
                height: self.height,
            });
        }
        Ok(())
    }
}

/// A stencil: a per-point kernel, a boundary mode and an iteration count.
#[derive(Clone, Debug)]
pub struct Stencil<K> {
    kernel: K,
    boundary: Boundary,
    iterations: usize,
}

impl<K: RowKernel> Stencil<K> {
    /// A stencil applying `kernel` `iterations` times with the given boundary.
    ///
    /// # Errors
    /// [`StencilError::RadiusTooLarge`] if the kernel's radius exceeds
    /// [`MAX_RADIUS`].
    pub fn new(kernel: K, boundary: Boundary, iterations: usize) -> Result<Self, StencilError> {
        let radius = kernel.radius();
        if radius > MAX_RADIUS {
            return Err(StencilError::RadiusTooLarge {
                radius,
                max: MAX_RADIUS,
            });
        }
        Ok(Self {
            kernel,
            boundary,
            iterations,
        })
    }

    /// The per-point kernel.
    pub fn kernel(&self) -> &K {
        &self.kernel
    }

    /// The boundary mode.
    pub fn boundary(&self) -> Boundary {
        self.boundary
    }

    /// How many Jacobi iterations are applied.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The same stencil with a different iteration count.
    pub fn with_iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// The same stencil with a different boundary mode.
    pub fn with_boundary(mut self, boundary: Boundary) -> Self {
        self.boundary = boundary;
        self
    }

    /// The kernel's radius.
    #[inline]
    pub fn radius(&self) -> usize {
        self.kernel.radius()
    }

    /// Checks that a buffer of length `len` is a valid `shape` plane for this
    /// stencil. Any non-empty plane is: under [`Boundary::Wrap`] a plane thinner
    /// than the radius is read periodically too (a read wraps as many times as
    /// it needs).
    ///
    /// # Errors
    /// Those of [`Shape::check`].
    pub fn check_plane(&self, shape: Shape, len: usize) -> Result<(), StencilError> {
        shape.check(len)?;
        Ok(())
    }

    /// Whether running this stencil on a `shape` plane leaves it unchanged without
    /// computing anything: no iterations, an empty plane, or [`Boundary::Skip`] on
    /// a plane with no interior point (smaller than `2r + 1` in a dimension).
    pub fn leaves_unchanged(&self, shape: Shape) -> bool {
        let side = 2 * self.radius() + 1;
        self.iterations == 0
            || shape.width == 0
            || shape.height == 0
            || (self.boundary == Boundary::Skip && (shape.width < side || shape.height < side))
    }
}

impl Stencil<LinearTaps> {
    /// A stencil of linear taps. Unlike [`Stencil::new`] it cannot fail:
    /// [`LinearTaps`] check their radius against [`MAX_RADIUS`] when built.
    pub fn linear(taps: LinearTaps, boundary: Boundary, iterations: usize) -> Self {
        Self {
            kernel: taps,
            boundary,
            iterations,
        }
    }

    /// The blur of ARCHITECTURE.md §5.3: [`GAUSSIAN_5X5`] with the given boundary and
    /// iteration count.
    pub fn blur(boundary: Boundary, iterations: usize) -> Self {
        Self::linear(LinearTaps::gaussian_5x5(), boundary, iterations)
    }

    /// [`Stencil::blur`] with the weights rescaled to sum to 1
    /// ([`LinearTaps::gaussian_5x5_normalized`]).
    pub fn blur_normalized(boundary: Boundary, iterations: usize) -> Self {
        Self::linear(LinearTaps::gaussian_5x5_normalized(), boundary, iterations)
    }
}
