//! The iterated 5×5 blur (ARCHITECTURE.md §5.3), run by the pool with temporal blocking.
//!
//! # What is computed
//! Linear taps ([`GAUSSIAN_5X5`](accel_core::ir::stencil::GAUSSIAN_5X5) for
//! [`Blur::gaussian`]) applied `iterations` times as a Jacobi iteration to
//! row-major `f32` planes, with a [`Boundary`] mode (`skip` keeps a frame as
//! wide as the radius, `zero-src`, `wrap`, `clamp`). The exact arithmetic (the
//! order of every multiply and add) is core's [`LinearTaps`] plan, so
//! [`Blur::run`] returns the same bits as [`Blur::run_serial`], the
//! one-iteration-at-a-time reference, for any number of threads and any
//! schedule. The result is always in the caller's buffer. Multi-channel images
//! are independent planes, which one [`Blur::run`] blurs in one team region.
//!
//! This module is a thin client of the stencil layer: the pattern is core's
//! [`Stencil`], its parallel driver is the pool's
//! [`Pool::run_stencil_planes`], and the errors are theirs
//! ([`StencilError`], [`StencilRunError`]).
//!
//! # How it runs
//! The blur is a core [`Stencil`] handed to the pool's
//! [`Pool::run_stencil_planes`]: one team region for the whole call. Each worker owns a fixed band of
//! rows (the same every pass, so it stays in that core's cache) and advances it
//! by as many iterations per pass as core's cache model fits in the ring budget
//! (whole rows up to 8192 columns: 6 levels for the 7095-wide seed image, about
//! 20 for a 2048-wide one) with core's band executor ([`Stencil::run_band`]),
//! which keeps the intermediate iterations in small row rings and recomputes a
//! halo of 2 rows per fused iteration at band edges; a barrier separates passes.
//! One pass streams the plane through memory once, so 100 iterations move about
//! 17 plane-sized reads and writes instead of 100: below the per-iteration memory
//! floor. The row kernel is the active SIMD path's
//! ([`SimdPath::active`](accel_core::simd::SimdPath::active), chosen at run time).
//! A one-thread pool, work below ≈ 10⁵ point-iterations, and planes under ≈ 8 K
//! points run on the caller, which times core's one-iteration-at-a-time
//! executor against a pair of blocked passes and keeps the faster (whether
//! blocking pays on one core depends on the core and the kernel: see
//! `accel_pool::StencilSchedule`).
//!
//! ```
//! use accel_kernels::blur::{Blur, Boundary};
//! use accel_core::ir::stencil::Shape;
//! use accel_pool::{Pool, PoolConfig};
//!
//! let pool = Pool::new(PoolConfig::new().threads(2))?;
//! let shape = Shape::new(64, 48);
//! let image: Vec<f32> = (0..64 * 48).map(|i| (i % 7) as f32 / 7.0).collect();
//! let blur = Blur::gaussian().boundary(Boundary::Clamp).iterations(10);
//!
//! let mut fast = image.clone();
//! blur.run(&pool, &mut [&mut fast], shape)?;
//! let mut reference = image.clone();
//! blur.run_serial(&mut reference, shape)?;
//! assert_eq!(fast, reference); // bit for bit
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use accel_core::ir::Element;
use accel_core::ir::stencil::{
    FormulaKernel, LinearTaps, MAX_RADIUS, Neighbourhood, PointFormula, RowKernel, RowLoad, Shape,
    Stencil, StencilError,
};
use accel_pool::{Pool, StencilRunError, StencilSchedule};

pub use accel_core::ir::stencil::Boundary;

/// The blur of one or more planes: the weights, the boundary mode, the
/// iteration count, the schedule and who hears of progress, set step by step,
/// then [`Blur::run`] on a pool (or [`Blur::run_serial`], the reference).
///
/// Errors are the stencil layer's own: [`StencilError`] for a plane the blur
/// cannot take (see [`Blur::check`]) and [`StencilRunError`] from a run, which
/// names the plane.
///
/// ```
/// use accel_kernels::blur::{Blur, Boundary};
/// use accel_core::ir::stencil::{LinearTaps, Shape};
///
/// let blur = Blur::new(LinearTaps::gaussian_5x5_normalized())
///     .boundary(Boundary::Wrap)
///     .iterations(3);
/// assert_eq!((blur.stencil().iterations(), blur.stencil().boundary()), (3, Boundary::Wrap));
/// assert!(blur.check(Shape::new(4, 4), 16).is_ok());
/// ```
#[derive(Clone)]
pub struct Blur<'p> {
    stencil: Stencil<LinearTaps>,
    schedule: StencilSchedule,
    progress: &'p (dyn Fn(usize) + Sync),
}

impl Blur<'static> {
    /// A blur with `weights`, [`Boundary::Skip`], one iteration, the default
    /// schedule and no progress reports.
    pub fn new(weights: LinearTaps) -> Self {
        Self {
            stencil: Stencil::linear(weights, Boundary::Skip, 1),
            schedule: StencilSchedule::default(),
            progress: &|_| {},
        }
    }

    /// The benchmark's blur: [`GAUSSIAN_5X5`](accel_core::ir::stencil::GAUSSIAN_5X5),
    /// whose weights sum to 0.9997 (a flat image darkens by 0.03 % per
    /// iteration).
    pub fn gaussian() -> Self {
        Self::new(LinearTaps::gaussian_5x5())
    }

    /// [`Blur::gaussian`] with the weights rescaled to sum to 1
    /// ([`LinearTaps::gaussian_5x5_normalized`]): a flat image stays flat.
    pub fn gaussian_normalized() -> Self {
        Self::new(LinearTaps::gaussian_5x5_normalized())
    }
}

impl<'p> Blur<'p> {
    /// The same blur with another boundary mode.
    pub fn boundary(mut self, boundary: Boundary) -> Self {
        self.stencil = self.stencil.with_boundary(boundary);
        self
    }

    /// The same blur with another iteration count (0 leaves planes unchanged).
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.stencil = self.stencil.with_iterations(iterations);
        self
    }

    /// The same blur with another schedule (inline threshold, fused levels,
    /// ring budget, strip width): it changes only the speed, never the result.
    ///
    /// ```
    /// use accel_kernels::blur::Blur;
    /// use accel_pool::StencilSchedule;
    /// // force the team path and one iteration per pass (a plain per-iteration sweep)
    /// let sweep = Blur::gaussian().schedule(StencilSchedule { inline_work: 0, levels: 1, ..Default::default() });
    /// # let _ = sweep;
    /// ```
    pub fn schedule(mut self, schedule: StencilSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The same blur calling `progress(done)` after each fused pass, with the
    /// plane-iterations done so far: from the calling thread, strictly
    /// increasing, ending with `iterations × planes` (once with that total when
    /// nothing needs computing, never for 0 iterations). The other workers wait
    /// at the next barrier while it runs, so it should be quick. A panic in it
    /// reaches the caller of [`Blur::run`] after the team region has wound
    /// down; the planes then hold a mix of iterations.
    pub fn progress<'q>(self, progress: &'q (dyn Fn(usize) + Sync)) -> Blur<'q> {
        Blur {
            stencil: self.stencil,
            schedule: self.schedule,
            progress,
        }
    }

    /// The core stencil this blur runs.
    pub fn stencil(&self) -> &Stencil<LinearTaps> {
        &self.stencil
    }

    /// Whether a buffer of `len` values is a `shape` plane this blur can take,
    /// before any work is done: the rule [`Blur::run`] applies to every plane.
    ///
    /// # Errors
    /// Those of [`Stencil::check_plane`]: a buffer that does not hold
    /// `width × height` values, exactly one zero dimension, or a size that
    /// overflows. (`wrap` takes planes of any size: a plane thinner than the
    /// weights' radius is read periodically.)
    pub fn check(&self, shape: Shape, len: usize) -> Result<(), StencilError> {
        self.stencil.check_plane(shape, len)
    }

    /// Blurs every plane (row-major `shape` planes, e.g. the channels of one
    /// image) in place, in one team region of `pool`.
    ///
    /// Bit-identical to [`Blur::run_serial`] on each plane, for every pool size
    /// and schedule. A plane smaller than the kernel under [`Boundary::Skip`],
    /// an empty plane, or 0 iterations is left unchanged.
    ///
    /// # Errors
    /// [`StencilRunError::Plane`] naming the first plane that fails
    /// [`Blur::check`] (no plane is touched then), and
    /// [`StencilRunError::OutOfMemory`] if the working buffers cannot be
    /// allocated.
    ///
    /// ```
    /// use accel_kernels::blur::Blur;
    /// use accel_core::ir::stencil::Shape;
    ///
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let mut plane = vec![1.0f32; 8 * 8];
    /// Blur::gaussian().run(&pool, &mut [&mut plane], Shape::new(8, 8))?;
    /// // the weights sum to 0.9997: the interior darkens, the 2-pixel frame is kept
    /// assert!(plane[3 * 8 + 3] < 1.0 && plane[3 * 8 + 3] > 0.999);
    /// assert_eq!(plane[0], 1.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run<T: BlurSample>(
        &self,
        pool: &Pool,
        planes: &mut [&mut [T]],
        shape: Shape,
    ) -> Result<(), StencilRunError> {
        T::run_planes(self, pool, planes, shape)
    }

    /// Blurs one plane in place with core's one-iteration-at-a-time reference
    /// executor, on the calling thread: the definition [`Blur::run`] is tested
    /// against. Progress is not reported.
    ///
    /// # Errors
    /// Those of [`Blur::check`].
    pub fn run_serial<T: BlurSample>(
        &self,
        plane: &mut [T],
        shape: Shape,
    ) -> Result<(), StencilError> {
        T::run_serial(self, plane, shape)
    }
}

/// The plane element types a [`Blur`] runs on.
///
/// * `f32`: core's [`LinearTaps`] kernel (the mirror-symmetric plan, with its
///   AVX-512 and AVX2 row kernels), accumulating in `f32` as the benchmark's
///   specification asks.
/// * `f64`: the same weights, widened exactly from `f32`, as a
///   [`PointFormula`] on core's formula lanes ([`FormulaKernel::new_f64`]):
///   the taps summed in row-major order, in `f64`. For data that `f32` would
///   round (a float64 `.npy`) or overflow.
///
/// Both are bit-identical between [`Blur::run`], any pool size and
/// [`Blur::run_serial`].
///
/// ```
/// use accel_kernels::blur::Blur;
/// use accel_core::ir::stencil::Shape;
///
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let blur = Blur::gaussian().iterations(5);
/// let image: Vec<f64> = (0..40 * 30).map(|i| 1e40 * (i % 9) as f64).collect();
/// let (mut fast, mut reference) = (image.clone(), image.clone());
/// blur.run(&pool, &mut [&mut fast], Shape::new(40, 30))?;
/// blur.run_serial(&mut reference, Shape::new(40, 30))?;
/// assert_eq!(fast, reference); // bit for bit, beyond f32's range
/// assert!(fast[15 * 40 + 20] > 1e40);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait BlurSample: Element + sealed::Sealed {
    /// [`Blur::run`] on planes of this type.
    #[doc(hidden)]
    fn run_planes(
        blur: &Blur<'_>,
        pool: &Pool,
        planes: &mut [&mut [Self]],
        shape: Shape,
    ) -> Result<(), StencilRunError>;

    /// [`Blur::run_serial`] on a plane of this type.
    #[doc(hidden)]
    fn run_serial(blur: &Blur<'_>, plane: &mut [Self], shape: Shape) -> Result<(), StencilError>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

impl BlurSample for f32 {
    fn run_planes(
        blur: &Blur<'_>,
        pool: &Pool,
        planes: &mut [&mut [f32]],
        shape: Shape,
    ) -> Result<(), StencilRunError> {
        pool.run_stencil_planes(&blur.stencil, planes, shape, &blur.schedule, blur.progress)
    }

    fn run_serial(blur: &Blur<'_>, plane: &mut [f32], shape: Shape) -> Result<(), StencilError> {
        blur.stencil.apply_reference(plane, shape)
    }
}

impl BlurSample for f64 {
    fn run_planes(
        blur: &Blur<'_>,
        pool: &Pool,
        planes: &mut [&mut [f64]],
        shape: Shape,
    ) -> Result<(), StencilRunError> {
        let stencil = wide_stencil(&blur.stencil);
        pool.run_stencil_planes(&stencil, planes, shape, &blur.schedule, blur.progress)
    }

    fn run_serial(blur: &Blur<'_>, plane: &mut [f64], shape: Shape) -> Result<(), StencilError> {
        wide_stencil(&blur.stencil).apply_reference(plane, shape)
    }
}

/// The `f64` stencil of a blur: its taps as a [`WideFormula`], its boundary
/// and iteration count.
fn wide_stencil(stencil: &Stencil<LinearTaps>) -> Stencil<FormulaKernel<WideFormula, f64>> {
    Stencil::new(
        FormulaKernel::new_f64(WideFormula::of(stencil.kernel())),
        stencil.boundary(),
        stencil.iterations(),
    )
    .expect("LinearTaps keep their radius within MAX_RADIUS")
}

/// The weights of a blur in `f64`, widened exactly from its `f32` taps, as a
/// [`PointFormula`]: `Σ w · x[dy, dx]` over the taps in row-major order.
///
/// A grid of radius 1 to 3 with a tap at every point (the Gaussian among them)
/// is evaluated by loops of constant bounds, which the compiler unrolls into
/// straight vector code; any other walks the list of taps. Both sum the same
/// terms in the same order.
#[derive(Clone, Debug)]
struct WideFormula {
    radius: usize,
    /// The taps `(dy, dx, w)` in row-major order.
    taps: Vec<(i32, i32, f64)>,
    /// `full[y][x]`: the weight at `(y − r, x − r)`, when every grid point has
    /// a tap.
    full: Option<[[f64; 2 * MAX_RADIUS + 1]; 2 * MAX_RADIUS + 1]>,
}

impl WideFormula {
    fn of(taps: &LinearTaps) -> Self {
        let r = taps.radius() as i32;
        let list: Vec<(i32, i32, f64)> = (-r..=r)
            .flat_map(|dy| (-r..=r).map(move |dx| (dy, dx)))
            .filter_map(|(dy, dx)| Some((dy, dx, f64::from(taps.weight(dy, dx)?))))
            .collect();
        let side = 2 * r as usize + 1;
        let full = (list.len() == side * side).then(|| {
            let mut grid = [[0.0; 2 * MAX_RADIUS + 1]; 2 * MAX_RADIUS + 1];
            for &(dy, dx, w) in &list {
                grid[(dy + r) as usize][(dx + r) as usize] = w;
            }
            grid
        });
        Self {
            radius: r as usize,
            taps: list,
            full,
        }
    }

    /// The full grid of radius `R`, row-major.
    #[inline(always)]
    fn full<const R: usize, V: RowLoad>(
        weights: &[[f64; 2 * MAX_RADIUS + 1]; 2 * MAX_RADIUS + 1],
        n: &Neighbourhood<'_, V>,
    ) -> V {
        let mut sum = V::lit(0.0);
        for (y, row) in weights.iter().enumerate().take(2 * R + 1) {
            for (x, &w) in row.iter().enumerate().take(2 * R + 1) {
                sum = sum + V::lit(w) * n.at(y as i32 - R as i32, x as i32 - R as i32);
            }
        }
        sum
    }
}

impl PointFormula for WideFormula {
    fn radius(&self) -> usize {
        self.radius
    }

    #[inline(always)]
    fn eval<V: RowLoad>(&self, n: &Neighbourhood<'_, V>) -> V {
        match (self.radius, &self.full) {
            (1, Some(w)) => Self::full::<1, V>(w, n),
            (2, Some(w)) => Self::full::<2, V>(w, n),
            (3, Some(w)) => Self::full::<3, V>(w, n),
            _ => self.taps.iter().fold(V::lit(0.0), |sum, &(dy, dx, w)| {
                sum + V::lit(w) * n.at(dy, dx)
            }),
        }
    }
}

impl core::fmt::Debug for Blur<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Blur")
            .field("stencil", &self.stencil)
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}
