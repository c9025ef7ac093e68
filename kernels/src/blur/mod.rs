//! The iterated 5×5 blur (ARCHITECTURE.md §5.3), run by the pool with temporal blocking.
//!
//! # What is computed
//! [`GAUSSIAN_5X5`](accel_core::ir::stencil::GAUSSIAN_5X5) applied `iters` times
//! as a Jacobi iteration to a row-major `f32` plane, with a [`Boundary`] mode
//! (`skip` keeps a 2-pixel frame, `zero-src`, `wrap`, `clamp`). The exact
//! arithmetic (the order of every multiply and add) is core's [`LinearTaps`]
//! plan, so every function here returns the same bits as [`blur_plane_serial`],
//! the one-iteration-at-a-time reference, for any number of threads and any
//! [`Tuning`]. The result is always in the caller's buffer. Multi-channel images
//! are independent planes: [`blur_planes`] runs them all in one team region.
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
//! points run on the caller with core's one-iteration-at-a-time executor: a
//! single core sweeping is not short of bandwidth, so blocking would only add
//! ring traffic (see `accel_pool::StencilSchedule`).
//!
//! ```
//! use accel_kernels::blur::{Boundary, BlurOptions, blur_plane, blur_plane_serial};
//! use accel_pool::{Pool, PoolConfig};
//!
//! let pool = Pool::new(PoolConfig::new().threads(2))?;
//! let (w, h) = (64, 48);
//! let image: Vec<f32> = (0..w * h).map(|i| (i % 7) as f32 / 7.0).collect();
//! let opts = BlurOptions::new(10).with_boundary(Boundary::Clamp);
//!
//! let mut fast = image.clone();
//! blur_plane(&pool, &mut fast, w, h, &opts)?;
//! let mut reference = image.clone();
//! blur_plane_serial(&mut reference, w, h, &opts)?;
//! assert_eq!(fast, reference); // bit for bit
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;

use accel_core::ir::stencil::{LinearTaps, Shape, Stencil};
use accel_pool::Pool;

pub use accel_core::ir::stencil::Boundary;
pub use error::BlurError;

/// The knobs of the blur's schedule: the pool's [`StencilSchedule`](accel_pool::StencilSchedule)
/// (inline threshold, fused levels, ring budget, strip width). They change only
/// the speed, never the result.
///
/// ```
/// use accel_kernels::blur::Tuning;
/// // force the team path and one iteration per pass (a plain per-iteration sweep)
/// let sweep = Tuning { inline_work: 0, levels: 1, ..Tuning::default() };
/// assert_eq!(sweep.levels, 1);
/// ```
pub type Tuning = accel_pool::StencilSchedule;

/// What to blur how: the iteration count and the boundary mode.
///
/// ```
/// use accel_kernels::blur::{Boundary, BlurOptions};
///
/// let opts = BlurOptions::new(100);
/// assert_eq!(opts.boundary, Boundary::Skip);
/// let wrapped = BlurOptions { iters: 5, boundary: "wrap".parse()?, normalize: false };
/// assert_eq!(wrapped, BlurOptions::new(5).with_boundary(Boundary::Wrap));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlurOptions {
    /// Number of Jacobi iterations (0 leaves the plane unchanged).
    pub iters: usize,
    /// What the stencil reads and writes at the edges.
    pub boundary: Boundary,
    /// Rescale the weights to sum to 1
    /// ([`LinearTaps::gaussian_5x5_normalized`]); off, they are the benchmark's,
    /// which sum to 0.9997.
    pub normalize: bool,
}

impl BlurOptions {
    /// `iters` iterations with the default boundary ([`Boundary::Skip`]).
    ///
    /// ```
    /// assert_eq!(accel_kernels::blur::BlurOptions::new(3).iters, 3);
    /// ```
    pub const fn new(iters: usize) -> Self {
        Self {
            iters,
            boundary: Boundary::Skip,
            normalize: false,
        }
    }

    /// The same options with another boundary mode.
    ///
    /// ```
    /// use accel_kernels::blur::{Boundary, BlurOptions};
    /// assert_eq!(BlurOptions::new(1).with_boundary(Boundary::ZeroSrc).boundary, Boundary::ZeroSrc);
    /// ```
    pub const fn with_boundary(mut self, boundary: Boundary) -> Self {
        self.boundary = boundary;
        self
    }

    /// The same options with the weights normalised (`true`) or the
    /// benchmark's (`false`).
    ///
    /// ```
    /// assert!(accel_kernels::blur::BlurOptions::new(1).with_normalize(true).normalize);
    /// ```
    pub const fn with_normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }

    /// The core stencil these options describe.
    pub fn stencil(&self) -> Stencil<LinearTaps> {
        if self.normalize {
            Stencil::blur_normalized(self.boundary, self.iters)
        } else {
            Stencil::blur(self.boundary, self.iters)
        }
    }
}

/// Blurs one `f32` plane (row-major, `width × height` values) in place, in
/// parallel on `pool`.
///
/// Bit-identical to [`blur_plane_serial`] for every pool size. A plane smaller
/// than 5×5 under [`Boundary::Skip`], an empty plane, or 0 iterations is left
/// unchanged.
///
/// # Errors
/// [`BlurError::Stencil`] if `plane` does not hold `width × height` values (or
/// exactly one dimension is 0, or `wrap` is asked on a plane narrower or shorter
/// than 2), [`BlurError::OutOfMemory`] if the second buffer cannot be allocated.
///
/// ```
/// use accel_kernels::blur::{BlurOptions, blur_plane};
///
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let mut plane = vec![1.0f32; 8 * 8];
/// blur_plane(&pool, &mut plane, 8, 8, &BlurOptions::new(1))?;
/// // the weights sum to 0.9997: the interior darkens, the 2-pixel frame is kept
/// assert!(plane[3 * 8 + 3] < 1.0 && plane[3 * 8 + 3] > 0.999);
/// assert_eq!(plane[0], 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn blur_plane(
    pool: &Pool,
    plane: &mut [f32],
    width: usize,
    height: usize,
    opts: &BlurOptions,
) -> Result<(), BlurError> {
    blur_plane_with_progress(pool, plane, width, height, opts, &|_| {})
}

/// Like [`blur_plane`], calling `progress(iterations_done)` after each fused pass
/// (always from the calling thread, strictly increasing, ending with
/// `opts.iters`; once with `opts.iters` when the plane needs no computing, and
/// never for 0 iterations). The other workers wait at the next barrier while it
/// runs, so it should be quick.
///
/// # Errors
/// Those of [`blur_plane`].
///
/// # Panics
/// A panic in `progress` reaches the caller after the team region has wound
/// down; the plane then holds a mix of iterations.
///
/// ```
/// use std::sync::Mutex;
/// use accel_kernels::blur::{BlurOptions, blur_plane_with_progress};
///
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let mut plane = vec![0.5f32; 300 * 200];
/// let seen = Mutex::new(Vec::new());
/// blur_plane_with_progress(&pool, &mut plane, 300, 200, &BlurOptions::new(40), &|done| {
///     seen.lock().unwrap().push(done)
/// })?;
/// let seen = seen.into_inner().unwrap();
/// assert!(seen.windows(2).all(|p| p[0] < p[1]));
/// assert_eq!(seen.last(), Some(&40));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn blur_plane_with_progress(
    pool: &Pool,
    plane: &mut [f32],
    width: usize,
    height: usize,
    opts: &BlurOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(), BlurError> {
    blur_planes_with_progress(pool, &mut [plane], width, height, opts, progress).map_err(
        |e| match e {
            BlurError::Plane { source, .. } => BlurError::Stencil(source),
            other => other,
        },
    )
}

/// Blurs several planes of the same shape (the channels of an image), each
/// independently, in one team region.
///
/// Equivalent to calling [`blur_plane`] on each plane (bit for bit) but forks
/// the pool once, keeps every worker on the same rows throughout and allocates
/// the second buffer once (one plane's worth, whatever the number of planes).
///
/// # Errors
/// [`BlurError::Plane`] naming the first plane that does not hold
/// `width × height` values (see [`blur_plane`]); [`BlurError::Stencil`] if the
/// shape itself is invalid and there are no planes; [`BlurError::OutOfMemory`].
///
/// ```
/// use accel_kernels::blur::{BlurOptions, blur_plane, blur_planes};
///
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let (w, h) = (40, 30);
/// let mut r: Vec<f32> = (0..w * h).map(|i| (i % 5) as f32).collect();
/// let mut g: Vec<f32> = (0..w * h).map(|i| (i % 3) as f32).collect();
/// let mut r_alone = r.clone();
/// blur_planes(&pool, &mut [&mut r, &mut g], w, h, &BlurOptions::new(7))?;
/// blur_plane(&pool, &mut r_alone, w, h, &BlurOptions::new(7))?;
/// assert_eq!(r, r_alone);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn blur_planes(
    pool: &Pool,
    planes: &mut [&mut [f32]],
    width: usize,
    height: usize,
    opts: &BlurOptions,
) -> Result<(), BlurError> {
    blur_planes_with_progress(pool, planes, width, height, opts, &|_| {})
}

/// Like [`blur_planes`], calling `progress(done)` after each fused pass with the
/// iterations done summed over planes (so it ends at `opts.iters × planes`).
///
/// # Errors
/// Those of [`blur_planes`].
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use accel_kernels::blur::{BlurOptions, blur_planes_with_progress};
///
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(1))?;
/// let (mut a, mut b, mut c) = (vec![0.0f32; 100], vec![0.0f32; 100], vec![0.0f32; 100]);
/// let last = AtomicUsize::new(0);
/// blur_planes_with_progress(&pool, &mut [&mut a, &mut b, &mut c], 10, 10, &BlurOptions::new(4),
///     &|done| last.store(done, Ordering::Relaxed))?;
/// assert_eq!(last.into_inner(), 12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn blur_planes_with_progress(
    pool: &Pool,
    planes: &mut [&mut [f32]],
    width: usize,
    height: usize,
    opts: &BlurOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(), BlurError> {
    blur_planes_tuned(
        pool,
        planes,
        width,
        height,
        opts,
        &Tuning::default(),
        progress,
    )
}

/// [`blur_planes_with_progress`] with an explicit schedule (for benchmarks, and
/// for tests that force the team path or a given number of fused iterations on
/// small planes). The result does not depend on `tuning`.
///
/// # Errors
/// Those of [`blur_planes`].
///
/// ```
/// use accel_kernels::blur::{BlurOptions, Tuning, blur_plane_serial, blur_planes_tuned};
///
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(3))?;
/// let mut plane: Vec<f32> = (0..9 * 11).map(|i| (i % 4) as f32).collect();
/// let mut reference = plane.clone();
/// let opts = BlurOptions::new(5);
/// let tuning = Tuning { inline_work: 0, levels: 2, ..Tuning::default() };
/// blur_planes_tuned(&pool, &mut [&mut plane], 9, 11, &opts, &tuning, &|_| {})?;
/// blur_plane_serial(&mut reference, 9, 11, &opts)?;
/// assert_eq!(plane, reference);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn blur_planes_tuned(
    pool: &Pool,
    planes: &mut [&mut [f32]],
    width: usize,
    height: usize,
    opts: &BlurOptions,
    tuning: &Tuning,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(), BlurError> {
    let stencil = opts.stencil();
    pool.run_stencil_planes(
        &stencil,
        planes,
        Shape::new(width, height),
        tuning,
        progress,
    )?;
    Ok(())
}

/// Blurs one plane in place with the plain reference executor: one iteration at
/// a time over the whole plane, serially. This is the definition the parallel
/// functions are tested against.
///
/// # Errors
/// [`BlurError::Stencil`] as for [`blur_plane`].
///
/// ```
/// use accel_kernels::blur::{BlurOptions, blur_plane_serial};
///
/// let mut plane = vec![0.0f32; 5 * 5];
/// plane[12] = 1.0; // centre of a 5×5 plane: the only interior point
/// blur_plane_serial(&mut plane, 5, 5, &BlurOptions::new(1))?;
/// assert_eq!(plane[12], 0.1621);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn blur_plane_serial(
    plane: &mut [f32],
    width: usize,
    height: usize,
    opts: &BlurOptions,
) -> Result<(), BlurError> {
    opts.stencil()
        .apply_reference(plane, Shape::new(width, height))
        .map_err(BlurError::Stencil)
}
