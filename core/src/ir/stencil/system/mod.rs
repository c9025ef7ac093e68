//! Stencil systems: stencils of any number of buffers on rows, planes and
//! volumes ([`StencilSystem`]), written once as a [`SystemFormula`].
//!
//! [`Stencil`](super::Stencil) is the one-buffer 2-D stencil with the
//! temporally blocked engine. A stencil system is the general form of
//! ParallelAccelerator's `runStencil(kernel, buf1, buf2, …, iterations, boundary)`:
//! * a grid of 1, 2 or 3 dimensions ([`Extent`]);
//! * `fields ≥ 1` arrays that evolve, each keeping `levels ≥ 1` past values
//!   (one for a Jacobi iteration, two for a second-order-in-time equation),
//!   stored in `levels + 1` buffers that rotate every iteration;
//! * `constants ≥ 0` read-only arrays (a coefficient field);
//! * per iteration, every field's new level computed at every point by the
//!   formula from the neighbourhoods of all of them ([`Cells`]).
//!
//! The wave equation `u⁺ = 2u − u⁻ + c²∇²u` is one field of two levels (`u`
//! and `u⁻`) and one constant (`c²`), so three rotating buffers and a fourth
//! read-only one:
//!
//! ```
//! use accel_core::ir::stencil::{Boundary, RowLoad};
//! use accel_core::ir::stencil::system::{Cells, Extent, StencilSystem, SystemFormula};
//!
//! struct Wave;
//! impl SystemFormula for Wave {
//!     fn radius(&self) -> usize { 1 }
//!     fn levels(&self) -> usize { 2 }
//!     fn constants(&self) -> usize { 1 }
//!     #[inline(always)]
//!     fn eval<R: RowLoad>(&self, _field: usize, n: &Cells<'_, R>) -> R {
//!         let u = n.at([0, 0]);
//!         let lap = n.at([-1, 0]) + n.at([1, 0]) + n.at([0, -1]) + n.at([0, 1]) - R::lit(4.0) * u;
//!         R::lit(2.0) * u - n.past(0, 1, [0, 0]) + n.constant(0, [0, 0]) * lap
//!     }
//! }
//!
//! let extent = Extent::plane(64, 48);
//! let mut u = vec![0.0f64; 64 * 48];
//! u[24 * 64 + 32] = 1.0; // a pulse, at rest: u⁻ = u
//! let (mut before, mut scratch) = (u.clone(), vec![0.0; 64 * 48]);
//! let c2 = vec![0.2f64; 64 * 48];
//! let waves = StencilSystem::new(Wave, Boundary::ZeroSrc, 20)?;
//! waves.run_sweeps(extent, &mut [&mut u, &mut before, &mut scratch], &[&c2])?;
//! assert!(u[24 * 64 + 32] < 1.0 && u[24 * 64 + 40] != 0.0); // it spread
//! # Ok::<(), accel_core::ir::stencil::StencilError>(())
//! ```
//!
//! # Buffers and rotation
//! The caller passes `fields × (levels + 1)` buffers, field by field: for each
//! field its current value, then older ones (`levels − 1` of them), then one
//! scratch buffer whose contents are ignored. Iteration `s` writes each
//! field's new level into the buffer holding its oldest value (the scratch at
//! first) and the roles rotate; nothing is copied. When the run ends, the
//! buffers are rotated back so that the caller finds, for each field, the
//! current value first and older ones after it, whatever the iteration count.
//! The scratch buffer's contents afterwards are unspecified (a sweep leaves
//! the level before the oldest there; a blocked pass never stores it).
//!
//! # Boundaries
//! Every [`Boundary`] applies along every dimension of the grid, to every
//! input: reads outside the grid are 0 (`zero-src`), the nearest edge value
//! (`clamp`), or periodic (`wrap`, any size: a read wraps as often as it
//! needs). Under `skip`, points closer than the radius to an edge take their
//! field's current value, so a frame keeps its values over a Jacobi run.
//!
//! # Executors
//! * [`StencilSystem::run_reference`]: each point on its own, with every read
//!   mapped through the boundary rule. The definition; slow.
//! * [`StencilSystem::run_sweeps`]: one sweep per iteration. Each output row's
//!   window is the source rows themselves (rows outside the grid are resolved
//!   once per row: a clamped or wrapped row, or a row of zeros); interior
//!   points are computed in blocks of [`StencilElement::BLOCK`] lanes compiled
//!   for the chosen [`SimdPath`], and the `r` points at each end of a row read
//!   short padded copies of their columns. [`StencilSystem::step_lines`] is one
//!   iteration over a range of rows: the pool runs it on its members, one range
//!   each, with a barrier between iterations.
//!
//! Every executor evaluates the same formula, with the same operations in the
//! same order, on the same values ([`super::point`] explains why lanes and
//! plain numbers agree), so results are bit-identical between executors,
//! thread counts and SIMD paths.
//!
//! * [`StencilSystem::advance_slab`]: temporal blocking on rows, planes and
//!   volumes, for systems of any number of fields and levels (Jacobi
//!   iterations, the wave's leapfrog) under any boundary but `wrap`: a slab
//!   of units (planes of a volume, rows of a plane, columns of a row)
//!   advances several iterations in one pass over memory, the intermediate
//!   levels kept in rings of units, or whole per tile of a row (see
//!   `blocked`). The pool runs it with one slab per member, or on the
//!   caller alone.
//!
//! `wrap` sweeps once per iteration, moving at least
//! `(inputs + fields) × size_of::<T>()` bytes per point per iteration.
//!
//! This module needs the `alloc` feature (the executors keep per-call windows).

mod blocked;
mod cells;
mod extent;
mod reference;
mod sweep;

use core::marker::PhantomData;

pub use blocked::ROW_TILE;
pub use cells::{Cells, Offset};
pub use extent::Extent;
pub use sweep::split_step;

use super::point::{RowLoad, StencilElement};
use super::{Boundary, MAX_RADIUS, StencilError};
use crate::simd::SimdPath;
use cells::WindowLayout;

/// The most window rows (inputs × `(2r + 1)^(dims − 1)`) a system may need: a
/// 3-D radius-2 formula over 40 inputs, or radius 8 over 3.
pub const MAX_WINDOW_ROWS: usize = 1024;

/// A stencil system's per-point computation, written once over any
/// [`RowLoad`] type (see the [module docs](self) for an example).
///
/// `eval(field, n)` returns the new value of field `field` at the point(s) of
/// `n`; it must depend on `n`'s reads alone, with the same operations for
/// every number type (write it generically and it does). Mark it
/// `#[inline(always)]` so that it compiles into the executors' vector loop.
pub trait SystemFormula {
    /// The neighbourhood radius `r`: reads reach `-r..=r` along every
    /// dimension of the grid.
    fn radius(&self) -> usize;

    /// Fields that evolve (each gets a new value per iteration). Default 1.
    fn fields(&self) -> usize {
        1
    }

    /// Past values read per field: 1 for a Jacobi iteration (the current
    /// value), 2 when the update also reads the value before it. Default 1.
    fn levels(&self) -> usize {
        1
    }

    /// Read-only arrays read. Default 0.
    fn constants(&self) -> usize {
        0
    }

    /// The new value of field `field` at the point(s) of `n`.
    fn eval<R: RowLoad>(&self, field: usize, n: &Cells<'_, R>) -> R;
}

/// A system's shape, read from its formula once.
#[derive(Clone, Copy, Debug)]
struct Counts {
    radius: usize,
    fields: usize,
    levels: usize,
    constants: usize,
    /// `fields × (levels + 1)`.
    buffers: usize,
}

/// A [`SystemFormula`] with a boundary mode and an iteration count, run on
/// grids of `T` (`f32` or `f64`).
#[derive(Clone, Copy, Debug)]
pub struct StencilSystem<F, T = f64> {
    formula: F,
    /// The formula's radius, fields, levels and constants, read once and
    /// checked in [`StencilSystem::new`]: every executor sizes its windows
    /// from these, never from a second call of the formula's methods.
    counts: Counts,
    boundary: Boundary,
    iterations: usize,
    simd: SimdPath,
    value: PhantomData<fn() -> T>,
}

impl<F: SystemFormula, T: StencilElement> StencilSystem<F, T> {
    /// `formula` iterated `iterations` times under `boundary`, on
    /// [`SimdPath::active`]. The element type is inferred from the buffers it
    /// runs on.
    ///
    /// # Errors
    /// [`StencilError::RadiusTooLarge`] beyond [`MAX_RADIUS`],
    /// [`StencilError::EmptySystem`] if the formula declares no field or no
    /// level, [`StencilError::WindowTooLarge`] if it reads more than
    /// [`MAX_WINDOW_ROWS`] inputs (levels of all fields and constants).
    pub fn new(formula: F, boundary: Boundary, iterations: usize) -> Result<Self, StencilError> {
        let radius = formula.radius();
        if radius > MAX_RADIUS {
            return Err(StencilError::RadiusTooLarge {
                radius,
                max: MAX_RADIUS,
            });
        }
        let (fields, levels, constants) = (formula.fields(), formula.levels(), formula.constants());
        if fields == 0 || levels == 0 {
            return Err(StencilError::EmptySystem { fields, levels });
        }
        // One window row per input at least (a row grid), so the inputs must
        // stay within MAX_WINDOW_ROWS; this also keeps every count below
        // from overflowing.
        let inputs = fields.saturating_mul(levels).saturating_add(constants);
        if inputs > MAX_WINDOW_ROWS {
            return Err(StencilError::WindowTooLarge {
                rows: inputs,
                max: MAX_WINDOW_ROWS,
            });
        }
        // ≤ 2 × (fields × levels), which did not overflow.
        let buffers = fields * (levels + 1);
        Ok(Self {
            formula,
            counts: Counts {
                radius,
                fields,
                levels,
                constants,
                buffers,
            },
            boundary,
            iterations,
            simd: SimdPath::active(),
            value: PhantomData,
        })
    }

    /// The same system on SIMD path `path` (results are identical on every
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

    /// The same system with another iteration count.
    pub fn with_iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// The formula.
    pub fn formula(&self) -> &F {
        &self.formula
    }

    /// The boundary mode.
    pub fn boundary(&self) -> Boundary {
        self.boundary
    }

    /// Iterations per run.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The SIMD path the executors run on.
    pub fn simd(&self) -> SimdPath {
        self.simd
    }

    /// Buffers a run takes: `fields × (levels + 1)`.
    pub fn buffer_count(&self) -> usize {
        self.counts.buffers
    }

    /// Fields, levels per field and constants, as the formula declared them
    /// when the system was built.
    pub fn counts(&self) -> (usize, usize, usize) {
        let c = &self.counts;
        (c.fields, c.levels, c.constants)
    }

    /// Checks a run's arrays, then calls `step(inputs, outputs)` once per
    /// iteration (`iterations` of them) with the buffers [`split_step`] names
    /// for it, and puts every field's buffers back in order: what the
    /// reference and the sweep executor share (they differ only in how one
    /// iteration is done).
    fn run_steps(
        &self,
        extent: Extent,
        buffers: &mut [&mut [T]],
        constants: &[&[T]],
        iterations: usize,
        mut step: impl FnMut(&[&[T]], &mut [&mut [T]]) -> Result<(), StencilError>,
    ) -> Result<(), StencilError> {
        let n = self.check(
            extent,
            buffers.iter().map(|b| b.len()),
            constants.iter().map(|c| c.len()),
        )?;
        if n == 0 || iterations == 0 {
            return Ok(());
        }
        let c = self.counts;
        for s in 0..iterations {
            let (inputs, mut outputs) = split_step(buffers, constants, c.fields, c.levels, s);
            step(&inputs, &mut outputs)?;
        }
        for field in buffers.chunks_mut(c.levels + 1) {
            restore_order(field, iterations);
        }
        Ok(())
    }

    pub(crate) fn layout(&self, extent: Extent) -> WindowLayout {
        let c = &self.counts;
        WindowLayout::new(c.radius, extent.dims(), c.fields, c.levels, c.constants)
    }

    /// Checks buffers and constants against `extent` and returns its number
    /// of values.
    ///
    /// # Errors
    /// Those of [`Extent::len`]; [`StencilError::BufferCount`],
    /// [`StencilError::ConstantCount`], [`StencilError::ArrayLength`] for the
    /// first array that does not fit; [`StencilError::WindowTooLarge`] if the
    /// formula reads more than [`MAX_WINDOW_ROWS`] rows around a point of this
    /// grid.
    pub fn check(
        &self,
        extent: Extent,
        buffer_lens: impl ExactSizeIterator<Item = usize>,
        constant_lens: impl ExactSizeIterator<Item = usize>,
    ) -> Result<usize, StencilError> {
        let n = extent.len()?;
        let expected = self.buffer_count();
        if buffer_lens.len() != expected {
            return Err(StencilError::BufferCount {
                given: buffer_lens.len(),
                expected,
            });
        }
        let constants = self.counts.constants;
        if constant_lens.len() != constants {
            return Err(StencilError::ConstantCount {
                given: constant_lens.len(),
                expected: constants,
            });
        }
        let buffers = buffer_lens.enumerate().map(|(i, len)| (false, i, len));
        let arrays = constant_lens.enumerate().map(|(i, len)| (true, i, len));
        if let Some((constant, index, len)) = buffers.chain(arrays).find(|&(_, _, len)| len != n) {
            return Err(StencilError::ArrayLength {
                constant,
                index,
                len,
                expected: n,
            });
        }
        let rows = self.layout(extent).rows();
        if rows > MAX_WINDOW_ROWS {
            return Err(StencilError::WindowTooLarge {
                rows,
                max: MAX_WINDOW_ROWS,
            });
        }
        Ok(n)
    }
}

/// The role of buffer `slot` of a field (of `levels + 1`) during iteration
/// `step`: `Some(age)` if it holds the value `age` iterations old, `None` if
/// the iteration writes the field's new value into it (module docs,
/// "Buffers and rotation").
#[inline]
pub fn slot_role(slot: usize, levels: usize, step: usize) -> Option<usize> {
    let age = (slot + step) % (levels + 1);
    (age < levels).then_some(age)
}

/// Puts a field's buffers back in order after `steps` iterations: the
/// current value first, then older ones (module docs). Moves whole contents
/// (at most `levels + 1` swaps); `buffers` may also be the same sub-range of
/// each buffer, which is how pool members restore their own rows.
pub fn restore_order<T>(buffers: &mut [&mut [T]], steps: usize) {
    let slots = buffers.len();
    if slots < 2 {
        return;
    }
    // After `steps`, slot j holds age (j + steps) mod slots, which belongs in
    // slot (j + steps) mod slots: a right rotation by `steps`.
    let k = steps % slots;
    if k == 0 {
        return;
    }
    reverse_contents(buffers);
    reverse_contents(&mut buffers[..k]);
    reverse_contents(&mut buffers[k..]);
}

/// Reverses the order of the buffers' contents (buffer 0 swaps with the last,
/// and so on).
fn reverse_contents<T>(buffers: &mut [&mut [T]]) {
    let n = buffers.len();
    for i in 0..n / 2 {
        let (low, high) = buffers.split_at_mut(n - 1 - i);
        low[i].swap_with_slice(high[0]);
    }
}
