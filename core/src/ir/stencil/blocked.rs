//! The temporally blocked executor: several Jacobi iterations per pass over memory.
//!
//! # Why
//! One sweep per iteration streams the whole plane through memory: ≥ 8 B per point
//! per iteration. A pass of `k` *levels* instead reads the source plane once and
//! writes the destination once while advancing it by `k` iterations, keeping the
//! intermediate levels in small row rings that stay in cache: ≈ 8/k B per point per
//! iteration (see [`BlockPlan::for_cache`] for the cache model that picks `k`).
//!
//! # The pass protocol (what the pool's parallel driver does)
//! ```text
//! plan   = BlockPlan::for_cache(radius, width, cache_bytes)
//! passes = Passes::new(iterations, plan.levels)     // even count whenever possible
//! a = caller's plane, b = second plane (any contents)
//! for levels in passes:
//!     every worker w: run_band(src = a, dst_band = its rows of b, rows_w,
//!                              BlockPlan { levels, ..plan }, scratch_w)
//!     barrier; swap(a, b)
//! if passes.ends_in_scratch(): copy b back into the caller's plane
//! ```
//! [`Stencil::run_band`] reads any rows of the source (it needs a halo of
//! `levels · r` rows around its band) and writes exactly its band of the
//! destination, so bands can run in parallel on disjoint parts of one buffer. The
//! source must not change during a pass (hence the barrier).
//!
//! # How a band is advanced
//! The band is cut into column strips of at most `strip_width` columns. For a strip,
//! level `j` (0 = source, `k` = output) is needed over the strip widened by
//! `(k − j)·r` columns and rows each side: the dependency cone, clipped to the
//! plane for `zero-src`/`clamp`/`skip` and left unclipped for `wrap` (a row or
//! column beyond the edge is recomputed from wrapped source reads, which gives
//! exactly the value of the row it stands for). Levels advance as a wavefront down
//! the strip, two rows per step (so a kernel can share the loads of the rows two
//! outputs have in common, [`RowKernel::apply_row_pair`]): at step `t` level 0
//! provides rows `t, t + 1` and level `j` computes rows `t − j·lag` and the next,
//! `lag = r` rounded up to even; their `2r + 2` inputs at level `j − 1` are rows
//! that level's ring (of `lag + r + 2` rows) holds at that moment. Points outside
//! the plane (`clamp`, `zero-src`) or in the frame (`skip`) are never computed:
//! they are filled by the boundary rule at the same level, as the reference's
//! padding does. Every computed value comes from the same [`RowKernel`] on the
//! same neighbourhood as in the reference, so the result is bit-identical.

use core::ops::Range;

use super::{Boundary, MAX_WINDOW, RowKernel, Shape, Stencil, StencilError};
use crate::ir::Element;
use crate::partition::balanced_range;

/// The most levels (iterations) one pass may fuse. Beyond a few dozen the rings
/// outgrow any private cache, so this bound costs nothing and lets a strip keep
/// its per-level geometry on the stack.
pub const MAX_LEVELS: usize = 64;

/// How a band is blocked: iterations fused per pass, and the strip width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockPlan {
    /// Iterations advanced per pass (`k`). A plan's scratch holds this many
    /// levels; a pass may use fewer (the last one usually does).
    pub levels: usize,
    /// Output columns per strip; the rings of one strip are what must stay in
    /// cache. At least 1; a width larger than the plane means whole rows.
    pub strip_width: usize,
}

impl BlockPlan {
    /// Strip width the cache model uses for planes wider than
    /// [`BlockPlan::FULL_ROW_MAX`]: 6 KiB of contiguous row per level-0 and
    /// output row, long enough for the hardware prefetchers to stream the source
    /// and destination rows, short enough that several levels fit in L2.
    pub const PREFERRED_STRIP: usize = 1536;

    /// Planes up to this many columns are blocked in whole rows (one strip).
    ///
    /// Splitting a row into strips cuts the plane's one sequential stream into
    /// a short stream per row and strip, which the hardware prefetchers must
    /// pick up again each time; the strips' halo columns are recomputed as well.
    /// On a Zen 3 core with the AVX2 blur kernel, two strips of a 2048-wide
    /// plane cost about 20 % at one level per pass, and on the 7095-wide plane
    /// whole rows with the few levels that fit beat 1536-column strips with
    /// many levels at one and two threads alike (level sweeps of the seed blur
    /// while this was chosen: whole rows within 3 % of each other for 3 to 24
    /// levels, 1536-column strips 12–20 % slower). A 32 KiB row per level still
    /// leaves room for a few levels in a 1 MiB budget; where one level of
    /// whole-row rings does not fit the budget, strips are used after all.
    pub const FULL_ROW_MAX: usize = 8192;

    /// The most levels the cache model picks: beyond this the memory traffic
    /// (already 8/32 B per point per iteration) no longer matters, while every
    /// level adds `2r` halo columns per strip.
    pub const MODEL_MAX_LEVELS: usize = 32;

    /// The private-cache budget for the rings of one worker when the caller does
    /// not know better: on hosted targets 1 MiB (most of a desktop or server
    /// core's L2); on bare-metal targets (`target_os = "none"`) 4 KiB.
    ///
    /// A microcontroller has no data cache for temporal blocking to exploit, and
    /// the rings are scratch it must find in a few KB of RAM: with 4 KiB the
    /// blur of a 32×24 plane needs its 3 KB plane copy plus at most 4 KB of
    /// rings, instead of 79 KB under the desktop budget. On a Cortex-M7 with a data
    /// cache, pass about half its size to [`Stencil::apply_with_cache`]; on parts
    /// without one, the RAM you can spare for scratch (any budget gives the same
    /// bits).
    #[cfg(not(target_os = "none"))]
    pub const DEFAULT_CACHE_BYTES: usize = 1024 * 1024;
    /// The cache budget on bare-metal targets (see the hosted definition).
    #[cfg(target_os = "none")]
    pub const DEFAULT_CACHE_BYTES: usize = 4 * 1024;

    /// A plan with the given levels per pass and strip width.
    pub const fn new(levels: usize, strip_width: usize) -> Self {
        Self {
            levels,
            strip_width,
        }
    }

    /// The plan whose rings fit `cache_bytes` of a worker's private cache, for a
    /// kernel of radius `radius` on planes `width` wide.
    ///
    /// The model: a pass reads the source and writes the destination once,
    /// ≈ 12 B per point with the write's read-for-ownership, so `k` levels cost
    /// ≈ 12/k B per point per iteration in memory traffic, against ≥ 8 B for a
    /// sweep per iteration; each level also recomputes `2r` halo columns per
    /// strip. The compute then dominates once `k` is a few, as long as the rings
    /// — `k` levels × `lag + r + 2` rows × (strip + 2rk) columns × 4 B — stay in
    /// the private cache (L2): rows must come back from there at the rate the
    /// kernel reads them. So the strip is the whole row up to
    /// [`BlockPlan::FULL_ROW_MAX`] columns (if one level of whole-row rings fits
    /// the budget) and [`BlockPlan::PREFERRED_STRIP`] (or the row, if narrower)
    /// otherwise, and `k` the largest level count whose rings fit, capped at
    /// [`BlockPlan::MODEL_MAX_LEVELS`]. On the benchmark plane the time is flat
    /// across a wide range of level counts around the model's pick and rises
    /// sharply once the rings spill out of L2, which is why the model caps the
    /// levels by the cache rather than pushing them as high as possible.
    pub fn for_cache(radius: usize, width: usize, cache_bytes: usize) -> Self {
        Self::for_cache_of(radius, width, cache_bytes, core::mem::size_of::<f32>())
    }

    /// [`BlockPlan::for_cache`] for values of `value_bytes` bytes each (8 for
    /// `f64` planes, whose rings take twice the cache).
    pub fn for_cache_of(
        radius: usize,
        width: usize,
        cache_bytes: usize,
        value_bytes: usize,
    ) -> Self {
        let rows = ring_rows(radius);
        let footprint = |k: usize, strip: usize| k * rows * (strip + 2 * radius * k) * value_bytes;
        // Whole rows only where one level of whole-row rings fits the budget
        // (a bare-metal 4 KiB budget keeps strips on all but tiny planes).
        let strip = if width <= Self::FULL_ROW_MAX && footprint(1, width) <= cache_bytes {
            width
        } else {
            Self::PREFERRED_STRIP.min(width)
        }
        .max(1);
        let footprint = |k: usize| footprint(k, strip);
        let mut levels = 1;
        while levels < Self::MODEL_MAX_LEVELS && footprint(levels + 1) <= cache_bytes {
            levels += 1;
        }
        Self {
            levels,
            strip_width: strip,
        }
    }
}

/// The levels of each pass for `iterations` Jacobi iterations at most
/// `max_levels` per pass.
///
/// The pass count is made even whenever that is possible (every pass keeps at
/// least one level), so that after the last pass the result is back in the buffer
/// the first pass read: the caller's. Passes differ by at most one level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passes {
    iterations_left: usize,
    passes_left: usize,
    total: usize,
}

impl Passes {
    /// The schedule for `iterations` iterations (`max_levels == 0` counts as 1).
    pub fn new(iterations: usize, max_levels: usize) -> Self {
        let mut passes = iterations.div_ceil(max_levels.max(1));
        if passes % 2 == 1 && passes < iterations {
            passes += 1;
        }
        Self {
            iterations_left: iterations,
            passes_left: passes,
            total: passes,
        }
    }

    /// Total number of passes in the schedule.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether the result of the last pass lies in the second buffer (an odd pass
    /// count, which happens only when every pass has one level), so the driver must
    /// copy it back into the caller's plane.
    pub fn ends_in_scratch(&self) -> bool {
        self.total % 2 == 1
    }
}

impl Iterator for Passes {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.passes_left == 0 {
            return None;
        }
        let levels = self.iterations_left.div_ceil(self.passes_left);
        self.passes_left -= 1;
        self.iterations_left -= levels;
        Some(levels)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.passes_left, Some(self.passes_left))
    }
}

impl ExactSizeIterator for Passes {}

/// Wavefront lag between consecutive levels, in rows: at least `r` (the level
/// below must be `r` rows ahead) and even (levels advance two rows per step).
const fn lag(r: usize) -> usize {
    r + r % 2
}

/// Rows in a ring: the `2r + 2` rows a pair of output rows reads, reaching back
/// `r` rows, and forward to the last row the level below computed: `lag + r + 2`.
const fn ring_rows(r: usize) -> usize {
    lag(r) + r + 2
}

/// Scratch length of a band pass: the zero row plus one ring per level below the
/// output, each [`ring_rows`] rows of the widest row that level stores.
fn band_scratch(width: usize, r: usize, plan: BlockPlan) -> Option<usize> {
    let k = plan.levels;
    if k == 0 || width == 0 {
        return Some(0);
    }
    let s = plan.strip_width.min(width);
    let widest = s.checked_add(2 * r * k)?;
    // Σ_{j<k} (s + 2r(k − j)) = k·s + r·k(k + 1)
    let rings = k
        .checked_mul(s)?
        .checked_add(r.checked_mul(k)?.checked_mul(k + 1)?)?
        .checked_mul(ring_rows(r))?;
    rings.checked_add(widest)
}

impl<K: RowKernel> Stencil<K> {
    /// Scratch length one [`Stencil::run_band`] call needs for planes `width`
    /// wide and passes of up to `plan.levels` levels. Each worker needs its own.
    ///
    /// # Errors
    /// [`StencilError::ZeroStripWidth`], [`StencilError::TooManyLevels`], or
    /// [`StencilError::SizeOverflow`].
    pub fn band_scratch_len(&self, width: usize, plan: BlockPlan) -> Result<usize, StencilError> {
        if plan.strip_width == 0 {
            return Err(StencilError::ZeroStripWidth);
        }
        if plan.levels > MAX_LEVELS {
            return Err(StencilError::TooManyLevels {
                levels: plan.levels,
                max: MAX_LEVELS,
            });
        }
        band_scratch(width, self.radius(), plan).ok_or(StencilError::SizeOverflow {
            width,
            height: plan.levels,
        })
    }

    /// Advances rows `rows` of the plane `src` by `pass.levels` iterations and
    /// writes them to `dst_band` (exactly `rows.len() × width` values: row `y` of
    /// the plane is `dst_band[(y − rows.start)·width ..][..width]`).
    ///
    /// The result equals rows `rows` of [`Stencil::run_reference`] with
    /// `pass.levels` iterations applied to `src`, bit for bit; `dst_band` need not
    /// hold anything beforehand. It reads rows of `src` up to `pass.levels · r`
    /// beyond the band. `scratch` must hold [`Stencil::band_scratch_len`] values;
    /// its contents are ignored and left unspecified. The stencil's own iteration
    /// count is not used.
    ///
    /// # Errors
    /// Those of [`Stencil::check_plane`] for `src`, [`StencilError::RowsOutOfRange`],
    /// [`StencilError::BandLength`], [`StencilError::ZeroStripWidth`],
    /// [`StencilError::TooManyLevels`] and [`StencilError::ScratchTooShort`].
    #[inline(always)]
    pub fn run_band(
        &self,
        src: &[K::Value],
        dst_band: &mut [K::Value],
        shape: Shape,
        rows: Range<usize>,
        pass: BlockPlan,
        scratch: &mut [K::Value],
    ) -> Result<(), StencilError> {
        self.check_plane(shape, src.len())?;
        if rows.start > rows.end || rows.end > shape.height {
            return Err(StencilError::RowsOutOfRange {
                start: rows.start,
                end: rows.end,
                height: shape.height,
            });
        }
        let band_rows = rows.end - rows.start;
        if dst_band.len() != band_rows * shape.width {
            return Err(StencilError::BandLength {
                len: dst_band.len(),
                rows: band_rows,
                width: shape.width,
            });
        }
        let needed = self.band_scratch_len(shape.width, pass)?;
        if scratch.len() < needed {
            return Err(StencilError::ScratchTooShort {
                len: scratch.len(),
                needed,
            });
        }
        self.band_unchecked(src, dst_band, shape, rows, pass, scratch);
        Ok(())
    }

    /// Scratch length [`Stencil::run_blocked`] needs: the second plane plus one
    /// band scratch.
    ///
    /// # Errors
    /// Those of [`Shape::area`] and [`Stencil::band_scratch_len`].
    pub fn blocked_scratch_len(
        &self,
        shape: Shape,
        plan: BlockPlan,
    ) -> Result<usize, StencilError> {
        let n = shape.area()?;
        self.band_scratch_len(shape.width, plan)?
            .checked_add(n)
            .ok_or(StencilError::SizeOverflow {
                width: shape.width,
                height: shape.height,
            })
    }

    /// Applies the stencil to `plane` in place with the blocked executor, serially
    /// (the whole plane is one band). Bit-identical to [`Stencil::run_reference`].
    ///
    /// `scratch` must hold [`Stencil::blocked_scratch_len`] values.
    ///
    /// # Errors
    /// Those of [`Stencil::check_plane`] and [`Stencil::blocked_scratch_len`], and
    /// [`StencilError::ScratchTooShort`].
    #[inline(always)]
    pub fn run_blocked(
        &self,
        plane: &mut [K::Value],
        shape: Shape,
        plan: BlockPlan,
        scratch: &mut [K::Value],
    ) -> Result<(), StencilError> {
        self.check_plane(shape, plane.len())?;
        if self.leaves_unchanged(shape) {
            return Ok(());
        }
        let plan = BlockPlan {
            levels: plan.levels.max(1),
            ..plan
        };
        let needed = self.blocked_scratch_len(shape, plan)?;
        if scratch.len() < needed {
            return Err(StencilError::ScratchTooShort {
                len: scratch.len(),
                needed,
            });
        }
        let (other, band_scratch) = scratch.split_at_mut(plane.len());
        let passes = Passes::new(self.iterations(), plan.levels);
        let ends_in_scratch = passes.ends_in_scratch();
        let mut in_plane = true;
        for levels in passes {
            let pass = BlockPlan { levels, ..plan };
            let rows = 0..shape.height;
            if in_plane {
                self.band_unchecked(plane, other, shape, rows, pass, band_scratch);
            } else {
                self.band_unchecked(other, plane, shape, rows, pass, band_scratch);
            }
            in_plane = !in_plane;
        }
        debug_assert_eq!(in_plane, !ends_in_scratch);
        if !in_plane {
            plane.copy_from_slice(other);
        }
        Ok(())
    }

    /// Like [`Stencil::run_blocked`] with the default plan
    /// ([`BlockPlan::for_cache`] with [`BlockPlan::DEFAULT_CACHE_BYTES`]),
    /// allocating the scratch.
    ///
    /// # Errors
    /// Those of [`Stencil::run_blocked`].
    #[cfg(feature = "alloc")]
    pub fn apply(&self, plane: &mut [K::Value], shape: Shape) -> Result<(), StencilError> {
        self.apply_with_cache(plane, shape, BlockPlan::DEFAULT_CACHE_BYTES)
    }

    /// Like [`Stencil::apply`] with the blocking planned for `cache_bytes` of
    /// private cache ([`BlockPlan::for_cache`]): the heap scratch is one plane
    /// plus rings of about `cache_bytes`. The result does not depend on the
    /// budget, only the speed and the scratch do (see
    /// [`BlockPlan::DEFAULT_CACHE_BYTES`] for how to pick it on a microcontroller).
    ///
    /// # Errors
    /// Those of [`Stencil::run_blocked`].
    ///
    /// ```
    /// use accel_core::ir::stencil::{BlockPlan, Boundary, Shape, Stencil};
    /// let blur = Stencil::blur(Boundary::Clamp, 5);
    /// let shape = Shape::new(32, 24);
    /// let image: Vec<f32> = (0..32 * 24).map(|i| (i % 7) as f32).collect();
    /// let (mut small, mut large) = (image.clone(), image);
    /// blur.apply_with_cache(&mut small, shape, 4 * 1024)?;
    /// blur.apply_with_cache(&mut large, shape, 1 << 20)?;
    /// assert_eq!(small, large);
    /// let plan = BlockPlan::for_cache(blur.radius(), shape.width, 4 * 1024);
    /// assert!(blur.blocked_scratch_len(shape, plan)? * 4 <= 32 * 24 * 4 + 4 * 1024);
    /// # Ok::<(), accel_core::ir::stencil::StencilError>(())
    /// ```
    #[cfg(feature = "alloc")]
    pub fn apply_with_cache(
        &self,
        plane: &mut [K::Value],
        shape: Shape,
        cache_bytes: usize,
    ) -> Result<(), StencilError> {
        self.check_plane(shape, plane.len())?;
        if self.leaves_unchanged(shape) {
            return Ok(());
        }
        let plan = BlockPlan::for_cache_of(
            self.radius(),
            shape.width,
            cache_bytes,
            core::mem::size_of::<K::Value>(),
        );
        let mut scratch = alloc::vec![K::Value::ZERO; self.blocked_scratch_len(shape, plan)?];
        self.run_blocked(plane, shape, plan, &mut scratch)
    }

    /// [`Stencil::run_band`] after validation.
    #[inline(always)]
    fn band_unchecked(
        &self,
        src: &[K::Value],
        dst_band: &mut [K::Value],
        shape: Shape,
        rows: Range<usize>,
        pass: BlockPlan,
        scratch: &mut [K::Value],
    ) {
        let (w, h, r) = (shape.width, shape.height, self.radius());
        if rows.is_empty() || w == 0 {
            return;
        }
        let side = 2 * r + 1;
        if pass.levels == 0 || (self.boundary() == Boundary::Skip && (w < side || h < side)) {
            dst_band.copy_from_slice(&src[rows.start * w..rows.end * w]);
            return;
        }
        let stride = pass.strip_width.min(w);
        let strips = w.div_ceil(stride);
        for s in 0..strips {
            let cols = balanced_range(w, strips, s);
            Strip::new(self, src, shape, pass.levels, cols, rows.clone(), stride)
                .run(dst_band, scratch);
        }
    }
}

/// Two disjoint rows `start0..start0+len` and `start1..start1+len` of `buf`.
#[inline(always)]
fn two_rows<T>(buf: &mut [T], start0: usize, start1: usize, len: usize) -> (&mut [T], &mut [T]) {
    if start0 < start1 {
        let (a, b) = buf.split_at_mut(start1);
        (&mut a[start0..start0 + len], &mut b[..len])
    } else {
        let (a, b) = buf.split_at_mut(start0);
        (&mut b[..len], &mut a[start1..start1 + len])
    }
}

/// Geometry of one level of a strip's dependency cone.
#[derive(Clone, Copy, Debug, Default)]
struct Level {
    /// Computed columns `a..b` and rows `ya..yb` (signed: virtual under wrap).
    a: isize,
    b: isize,
    ya: isize,
    yb: isize,
    /// Stored columns `sa..sb` (what the next level reads; levels below `k`).
    sa: isize,
    sb: isize,
    /// Offset of this level's ring in the scratch, and its row stride.
    offset: usize,
    stride: usize,
    /// `(level · lag) mod ring`: how far this level's ring slot trails the
    /// wavefront's (level `j` computes rows `t − j·lag` and the next at step `t`).
    trail: usize,
}

/// One strip of one band: the geometry of its dependency cone and the wavefront.
///
/// Coordinates are signed: under `wrap` the cone extends beyond the plane.
struct Strip<'a, K: RowKernel> {
    kernel: &'a K,
    boundary: Boundary,
    src: &'a [K::Value],
    w: usize,
    h: usize,
    r: usize,
    /// Levels of this pass.
    k: usize,
    /// Output columns `x0..x1` and rows `y0..y1`.
    x0: isize,
    x1: isize,
    y0: isize,
    y1: isize,
    /// Rows per ring ([`ring_rows`]).
    ring: usize,
    /// Whether level-0 rows are padded copies (the cone leaves the plane
    /// sideways); otherwise level 1 reads the source rows directly.
    padded0: bool,
    levels: [Level; MAX_LEVELS + 1],
}

impl<'a, K: RowKernel> Strip<'a, K> {
    /// The strip `cols × rows` of a pass; `stride` is the strip width the scratch
    /// was laid out for.
    #[inline(always)]
    fn new(
        stencil: &'a Stencil<K>,
        src: &'a [K::Value],
        shape: Shape,
        k: usize,
        cols: Range<usize>,
        rows: Range<usize>,
        stride: usize,
    ) -> Self {
        let (w, h, r) = (shape.width, shape.height, stencil.radius());
        let boundary = stencil.boundary();
        // The cone widened by `(k − j)·r`, clipped to what the boundary lets us
        // compute.
        let computed = |lo: usize, hi: usize, n: usize, j: usize| {
            let ext = ((k - j) * r) as isize;
            let (a, b) = (lo as isize - ext, hi as isize + ext);
            let (n, r) = (n as isize, r as isize);
            match boundary {
                Boundary::Wrap => (a, b),
                Boundary::ZeroSrc | Boundary::Clamp => (a.max(0), b.min(n)),
                Boundary::Skip => (a.max(r), b.min(n - r)),
            }
        };
        let ring = ring_rows(r);
        let mut levels = [Level::default(); MAX_LEVELS + 1];
        // The zero row (as wide as the widest ring row) comes first.
        let mut offset = stride + 2 * r * k;
        for (j, l) in levels[..=k].iter_mut().enumerate() {
            (l.a, l.b) = computed(cols.start, cols.end, w, j);
            (l.ya, l.yb) = computed(rows.start, rows.end, h, j);
            if j < k {
                let (a, b) = computed(cols.start, cols.end, w, j + 1);
                (l.sa, l.sb) = (a - r as isize, b + r as isize);
                l.stride = stride + 2 * r * (k - j);
                l.offset = offset;
                offset += ring * l.stride;
            }
            l.trail = (j * lag(r)) % ring;
        }
        let padded0 = levels[0].sa < 0 || levels[0].sb > w as isize;
        Self {
            kernel: stencil.kernel(),
            boundary,
            src,
            w,
            h,
            r,
            k,
            x0: cols.start as isize,
            x1: cols.end as isize,
            y0: rows.start as isize,
            y1: rows.end as isize,
            ring,
            padded0,
            levels,
        }
    }

    /// `(a + b) mod ring` for `a, b < ring`, without a division.
    #[inline(always)]
    fn wrap_add(&self, a: usize, b: usize) -> usize {
        let s = a + b;
        if s >= self.ring { s - self.ring } else { s }
    }

    /// Row `y` of the source, columns `a..b` (inside the plane).
    #[inline(always)]
    fn src_row(&self, y: usize, a: isize, b: isize) -> &'a [K::Value] {
        &self.src[y * self.w + a as usize..y * self.w + b as usize]
    }

    /// The stored row `y` of level `j < k` (in ring slot `slot` = `y mod ring`),
    /// as level `j + 1` reads it. `lower` is the scratch below the ring being
    /// written.
    #[inline(always)]
    fn level_row<'s>(
        &self,
        lower: &'s [K::Value],
        j: usize,
        y: isize,
        slot: usize,
    ) -> &'s [K::Value]
    where
        'a: 's,
    {
        let l = &self.levels[j];
        let len = (l.sb - l.sa) as usize;
        let h = self.h as isize;
        let from_level = |y: isize, slot: usize| -> &'s [K::Value] {
            if j == 0 && !self.padded0 {
                let yy = if (0..h).contains(&y) {
                    y
                } else {
                    y.rem_euclid(h)
                };
                self.src_row(yy as usize, l.sa, l.sb)
            } else {
                let start = l.offset + slot * l.stride;
                &lower[start..start + len]
            }
        };
        match self.boundary {
            Boundary::Wrap => from_level(y, slot),
            Boundary::Clamp => {
                if (0..h).contains(&y) {
                    from_level(y, slot)
                } else {
                    let yy = y.clamp(0, h - 1);
                    from_level(yy, yy.rem_euclid(self.ring as isize) as usize)
                }
            }
            Boundary::ZeroSrc => {
                if (0..h).contains(&y) {
                    from_level(y, slot)
                } else {
                    &lower[..len]
                }
            }
            Boundary::Skip => {
                let r = self.r as isize;
                if j == 0 || y < r || y >= h - r {
                    self.src_row(y as usize, l.sa, l.sb)
                } else {
                    let start = l.offset + slot * l.stride;
                    &lower[start..start + len]
                }
            }
        }
    }

    /// Level-0 padded copy of (virtual) source row `y` into ring slot `slot`.
    #[inline(always)]
    fn load_padded(&self, scratch: &mut [K::Value], y: isize, slot: usize) {
        let l = &self.levels[0];
        let start = l.offset + slot * l.stride;
        let dst = &mut scratch[start..start + (l.sb - l.sa) as usize];
        let Some(yy) = self.boundary.source_row(y, self.h) else {
            dst.fill(K::Value::ZERO);
            return;
        };
        let row = &self.src[yy * self.w..(yy + 1) * self.w];
        // The part inside the plane is a plain copy; the sides follow the rule.
        let inside_a = l.sa.clamp(0, self.w as isize);
        let inside_b = l.sb.clamp(inside_a, self.w as isize);
        let (ia, ib) = ((inside_a - l.sa) as usize, (inside_b - l.sa) as usize);
        dst[ia..ib].copy_from_slice(&row[inside_a as usize..inside_b as usize]);
        for (i, d) in dst.iter_mut().enumerate() {
            if i < ia || i >= ib {
                *d = self
                    .boundary
                    .source_col(l.sa + i as isize, self.w)
                    .map_or(K::Value::ZERO, |x| row[x]);
            }
        }
    }

    /// Runs the wavefront over the strip, writing its part of `dst_band`.
    ///
    /// Each step advances every level by two rows: level 0 provides rows `t` and
    /// `t + 1`, level `j` computes rows `t − j·lag` and the next (those inside its
    /// range), reading `2r + 2` rows of level `j − 1`, which its ring holds.
    #[inline(always)]
    fn run(&self, dst_band: &mut [K::Value], scratch: &mut [K::Value]) {
        let (w, r, k, ring) = (self.w, self.r as isize, self.k, self.ring);
        let top = self.levels[k];
        let (x0, x1) = (self.x0 as usize, self.x1 as usize);
        // Output rows and columns that are not computed (the skip frame) keep the
        // source's values.
        for y in self.y0..self.y1 {
            let band_row = (y - self.y0) as usize * w;
            let dst = &mut dst_band[band_row + x0..band_row + x1];
            let src = self.src_row(y as usize, self.x0, self.x1);
            if y < top.ya || y >= top.yb || top.a >= top.b {
                dst.copy_from_slice(src);
            } else {
                let (xa, xb) = ((top.a - self.x0) as usize, (top.b - self.x0) as usize);
                dst[..xa].copy_from_slice(&src[..xa]);
                dst[xb..].copy_from_slice(&src[xb..]);
            }
        }
        if top.ya >= top.yb || top.a >= top.b {
            return;
        }
        if self.boundary == Boundary::ZeroSrc {
            scratch[..self.levels[0].offset].fill(K::Value::ZERO);
        }
        let (load_a, load_b) = (self.levels[1].ya - r, self.levels[1].yb + r);
        let lag = lag(self.r) as isize;
        let t0 = self.y0 - k as isize * lag;
        // `slot_t` = t mod ring, kept incrementally (no division per row).
        let mut slot_t = t0.rem_euclid(ring as isize) as usize;
        let mut t = t0;
        while t < self.y1 + k as isize * lag {
            for (i, tt) in [t, t + 1].into_iter().enumerate() {
                if self.padded0
                    && (load_a..load_b).contains(&tt)
                    && (self.boundary == Boundary::Wrap || (0..self.h as isize).contains(&tt))
                {
                    self.load_padded(scratch, tt, self.wrap_add(slot_t, i));
                }
            }
            for j in 1..=k {
                let l = self.levels[j];
                let y = t - j as isize * lag;
                let first = (l.ya..l.yb).contains(&y);
                let second = (l.ya..l.yb).contains(&(y + 1));
                if first || second {
                    let slot_y = self.wrap_add(slot_t, ring - l.trail);
                    self.compute(dst_band, scratch, j, y, slot_y, [first, second]);
                }
            }
            slot_t = self.wrap_add(slot_t, 2 % ring);
            t += 2;
        }
    }

    /// Level `j` rows `y` and `y + 1` (those flagged in `which`); `slot_y` is the
    /// ring slot of row `y`.
    #[inline(always)]
    fn compute(
        &self,
        dst_band: &mut [K::Value],
        scratch: &mut [K::Value],
        j: usize,
        y: isize,
        slot_y: usize,
        which: [bool; 2],
    ) {
        let (r, ring, side) = (self.r, self.ring, 2 * self.r + 1);
        let l = self.levels[j];
        let (lower, upper) = if j < self.k {
            scratch.split_at_mut(l.offset)
        } else {
            (&mut *scratch, &mut [][..])
        };
        // Window row i is row y − r + i, in slot (slot_y − r + i) mod ring; a
        // single output row reads only its own 2r + 1 of them (the other one may
        // lie outside the plane).
        let mut window: [&[K::Value]; MAX_WINDOW] = [&[]; MAX_WINDOW];
        let mut slot = self.wrap_add(slot_y, ring - r);
        for (i, row) in window[..side + 1].iter_mut().enumerate() {
            if (i > 0 || which[0]) && (i < side || which[1]) {
                *row = self.level_row(lower, j - 1, y - r as isize + i as isize, slot);
            }
            slot = self.wrap_add(slot, 1);
        }
        let window = &window[..side + 1];
        // The two output rows: ring rows of this level, or band rows at the top.
        let (sa, sb) = if j < self.k {
            (l.sa, l.sb)
        } else {
            (0, self.w as isize)
        };
        let (lo, hi) = ((l.a - sa) as usize, (l.b - sa) as usize);
        let len = (sb - sa) as usize;
        let (start0, start1) = if j < self.k {
            let s1 = self.wrap_add(slot_y, 1);
            (slot_y * l.stride, s1 * l.stride)
        } else {
            let b = (y - self.y0) as usize * self.w;
            (b, b + self.w)
        };
        let out: &mut [K::Value] = if j < self.k { upper } else { dst_band };
        match which {
            [true, true] => {
                let (row0, row1) = two_rows(out, start0, start1, len);
                self.kernel
                    .apply_row_pair(window, &mut row0[lo..hi], &mut row1[lo..hi]);
                if j < self.k {
                    self.fill_pad(row0, y, sa, lo, hi);
                    self.fill_pad(row1, y + 1, sa, lo, hi);
                }
            }
            [true, false] => {
                let row0 = &mut out[start0..start0 + len];
                self.kernel.apply_row(&window[..side], &mut row0[lo..hi]);
                if j < self.k {
                    self.fill_pad(row0, y, sa, lo, hi);
                }
            }
            _ => {
                let row1 = &mut out[start1..start1 + len];
                self.kernel.apply_row(&window[1..], &mut row1[lo..hi]);
                if j < self.k {
                    self.fill_pad(row1, y + 1, sa, lo, hi);
                }
            }
        }
    }

    /// Fills the stored-but-not-computed columns of an intermediate row: outside
    /// the plane (`clamp`: edge value, `zero-src`: 0) or in the frame (`skip`:
    /// the source's value, which every level keeps).
    #[inline(always)]
    fn fill_pad(&self, out: &mut [K::Value], y: isize, sa: isize, lo: usize, hi: usize) {
        match self.boundary {
            Boundary::Wrap => {}
            Boundary::Clamp => {
                let (left, right) = (out[lo], out[hi - 1]);
                out[..lo].fill(left);
                out[hi..].fill(right);
            }
            Boundary::ZeroSrc => {
                out[..lo].fill(K::Value::ZERO);
                out[hi..].fill(K::Value::ZERO);
            }
            Boundary::Skip => {
                let row = self.src_row(y as usize, sa, sa + out.len() as isize);
                out[..lo].copy_from_slice(&row[..lo]);
                out[hi..].copy_from_slice(&row[hi..]);
            }
        }
    }
}
