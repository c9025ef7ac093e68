//! The temporally blocked executor: several Jacobi iterations per pass over memory.
//!
//! # Why
//! One sweep per iteration streams the whole plane through memory: ≥ 8 B per point
//! per iteration. A pass of `k` *levels* instead reads the source plane once and
//! writes the destination once while advancing it by `k` iterations, keeping the
//! intermediate levels in small row rings that stay in cache: ≈ 8/k B per point per
//! iteration (see [`BlockPlan`] for the cache model that picks `k`).
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
//! the strip: at step `t` level 0 provides row `t` and level `j` computes row
//! `t − j·r`, whose `2r + 1` inputs at level `j − 1` are exactly the rows the ring of
//! level `j − 1` holds at that moment. A ring holds `2r + 1` rows. Points outside the
//! plane (`clamp`, `zero-src`) or in the frame (`skip`) are never computed: they are
//! filled by the boundary rule at the same level, as the reference's padding does.
//! Every computed value comes from [`RowKernel::apply_row`] on the same
//! neighbourhood as in the reference, so the result is bit-identical.

use core::ops::Range;

use super::{Boundary, MAX_WINDOW, RowKernel, Shape, Stencil, StencilError};
use crate::partition::balanced_range;

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
    /// Levels the cache model picks when nothing else limits it.
    pub const DEFAULT_LEVELS: usize = 8;

    /// The private-cache budget [`BlockPlan::for_cache`] is meant to be given by
    /// callers that do not know better: half of this machine's 1.25 MiB L2.
    pub const DEFAULT_CACHE_BYTES: usize = 640 * 1024;

    /// A plan with the given levels per pass and strip width.
    pub const fn new(levels: usize, strip_width: usize) -> Self {
        Self {
            levels,
            strip_width,
        }
    }

    /// A plan whose rings fit `cache_bytes` (placeholder model; see the module
    /// docs).
    pub fn for_cache(radius: usize, width: usize, cache_bytes: usize) -> Self {
        let levels = Self::DEFAULT_LEVELS;
        let rows = (2 * radius + 1) * levels;
        let per_column = rows * core::mem::size_of::<f32>();
        let strip = (cache_bytes / per_column.max(1)).saturating_sub(2 * radius * levels);
        Self {
            levels,
            strip_width: strip.clamp(64, width.max(64)),
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

/// Scratch length of a band pass: the zero row plus one ring per level below the
/// output, each `2r + 1` rows of the widest row that level stores.
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
        .checked_mul(2 * r + 1)?;
    rings.checked_add(widest)
}

impl<K: RowKernel> Stencil<K> {
    /// Scratch length one [`Stencil::run_band`] call needs for planes `width`
    /// wide and passes of up to `plan.levels` levels. Each worker needs its own.
    ///
    /// # Errors
    /// [`StencilError::ZeroStripWidth`], or [`StencilError::SizeOverflow`].
    pub fn band_scratch_len(&self, width: usize, plan: BlockPlan) -> Result<usize, StencilError> {
        if plan.strip_width == 0 {
            return Err(StencilError::ZeroStripWidth);
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
    /// [`StencilError::BandLength`], [`StencilError::ZeroStripWidth`] and
    /// [`StencilError::ScratchTooShort`].
    #[inline(always)]
    pub fn run_band(
        &self,
        src: &[f32],
        dst_band: &mut [f32],
        shape: Shape,
        rows: Range<usize>,
        pass: BlockPlan,
        scratch: &mut [f32],
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
        plane: &mut [f32],
        shape: Shape,
        plan: BlockPlan,
        scratch: &mut [f32],
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
    pub fn apply(&self, plane: &mut [f32], shape: Shape) -> Result<(), StencilError> {
        self.check_plane(shape, plane.len())?;
        if self.leaves_unchanged(shape) {
            return Ok(());
        }
        let plan = BlockPlan::for_cache(self.radius(), shape.width, BlockPlan::DEFAULT_CACHE_BYTES);
        let mut scratch = alloc::vec![0.0f32; self.blocked_scratch_len(shape, plan)?];
        self.run_blocked(plane, shape, plan, &mut scratch)
    }

    /// [`Stencil::run_band`] after validation.
    #[inline(always)]
    fn band_unchecked(
        &self,
        src: &[f32],
        dst_band: &mut [f32],
        shape: Shape,
        rows: Range<usize>,
        pass: BlockPlan,
        scratch: &mut [f32],
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
        let strips = w.div_ceil(pass.strip_width.min(w));
        for s in 0..strips {
            let cols = balanced_range(w, strips, s);
            let strip = Strip {
                kernel: self.kernel(),
                boundary: self.boundary(),
                src,
                w,
                h,
                r,
                k: pass.levels,
                x0: cols.start as isize,
                x1: cols.end as isize,
                y0: rows.start as isize,
                y1: rows.end as isize,
                row_stride: pass.strip_width.min(w),
            };
            strip.run(dst_band, scratch);
        }
    }
}

/// One strip of one band: the geometry of its dependency cone and the wavefront.
///
/// Coordinates are signed: under `wrap` the cone extends beyond the plane.
struct Strip<'a, K> {
    kernel: &'a K,
    boundary: Boundary,
    src: &'a [f32],
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
    /// The strip width the scratch was laid out for.
    row_stride: usize,
}

impl<K: RowKernel> Strip<'_, K> {
    /// Positions computed at `level` in one dimension of length `n`, for outputs
    /// `lo..hi`: the cone widened by `(k − level)·r`, clipped to what the boundary
    /// lets us compute.
    #[inline(always)]
    fn computed(&self, lo: isize, hi: isize, n: usize, level: usize) -> (isize, isize) {
        let ext = ((self.k - level) * self.r) as isize;
        let (a, b) = (lo - ext, hi + ext);
        let (n, r) = (n as isize, self.r as isize);
        match self.boundary {
            Boundary::Wrap => (a, b),
            Boundary::ZeroSrc | Boundary::Clamp => (a.max(0), b.min(n)),
            Boundary::Skip => (a.max(r), b.min(n - r)),
        }
    }

    #[inline(always)]
    fn cols(&self, level: usize) -> (isize, isize) {
        self.computed(self.x0, self.x1, self.w, level)
    }

    #[inline(always)]
    fn rows(&self, level: usize) -> (isize, isize) {
        self.computed(self.y0, self.y1, self.h, level)
    }

    /// Columns stored for `level < k`: those the next level reads.
    #[inline(always)]
    fn stored_cols(&self, level: usize) -> (isize, isize) {
        let (a, b) = self.cols(level + 1);
        (a - self.r as isize, b + self.r as isize)
    }

    /// Row stride of the ring of `level`: its widest stored row.
    #[inline(always)]
    fn ring_width(&self, level: usize) -> usize {
        self.row_stride + 2 * self.r * (self.k - level)
    }

    /// Offset of the ring of `level` in the scratch (after the zero row).
    #[inline(always)]
    fn ring_offset(&self, level: usize) -> usize {
        let (s, r, k, j) = (self.row_stride, self.r, self.k, level);
        // widest row, then Σ_{i<j} (2r + 1)(s + 2r(k − i))
        let before = j * s + r * j * (2 * k + 1 - j);
        (s + 2 * r * k) + (2 * r + 1) * before
    }

    #[inline(always)]
    fn slot(&self, y: isize) -> usize {
        y.rem_euclid(2 * self.r as isize + 1) as usize
    }

    /// Whether level-0 rows must be padded copies (the cone leaves the plane
    /// sideways); otherwise level 1 reads the source rows directly.
    #[inline(always)]
    fn level0_padded(&self) -> bool {
        let (sa, sb) = self.stored_cols(0);
        sa < 0 || sb > self.w as isize
    }

    /// Row `y` of the source, columns `a..b` (inside the plane).
    #[inline(always)]
    fn src_row(&self, y: usize, a: isize, b: isize) -> &[f32] {
        &self.src[y * self.w + a as usize..y * self.w + b as usize]
    }

    /// The stored row `y` of `level < k`, as the next level reads it.
    /// `lower` is the scratch up to (not including) the ring being written.
    #[inline(always)]
    fn level_row<'s>(&'s self, lower: &'s [f32], level: usize, y: isize) -> &'s [f32] {
        let (sa, sb) = self.stored_cols(level);
        let len = (sb - sa) as usize;
        let h = self.h as isize;
        let ring_row = |y: isize| {
            let start = self.ring_offset(level) + self.slot(y) * self.ring_width(level);
            &lower[start..start + len]
        };
        let from_level = |y: isize| {
            if level == 0 && !self.level0_padded() {
                self.src_row(y.rem_euclid(h) as usize, sa, sb)
            } else {
                ring_row(y)
            }
        };
        match self.boundary {
            Boundary::Wrap => from_level(y),
            Boundary::Clamp => from_level(y.clamp(0, h - 1)),
            Boundary::ZeroSrc => {
                if (0..h).contains(&y) {
                    from_level(y)
                } else {
                    &lower[..len]
                }
            }
            Boundary::Skip => {
                let r = self.r as isize;
                if level == 0 || y < r || y >= h - r {
                    self.src_row(y as usize, sa, sb)
                } else {
                    ring_row(y)
                }
            }
        }
    }

    /// Level-0 padded copy of (virtual) source row `y` into its ring slot.
    #[inline(always)]
    fn load_padded(&self, scratch: &mut [f32], y: isize) {
        let (sa, sb) = self.stored_cols(0);
        let start = self.ring_offset(0) + self.slot(y) * self.ring_width(0);
        let dst = &mut scratch[start..start + (sb - sa) as usize];
        let Some(yy) = self.boundary.source_row(y, self.h) else {
            dst.fill(0.0);
            return;
        };
        let row = &self.src[yy * self.w..(yy + 1) * self.w];
        for (i, d) in dst.iter_mut().enumerate() {
            *d = self
                .boundary
                .source_col(sa + i as isize, self.w)
                .map_or(0.0, |x| row[x]);
        }
    }

    /// Runs the wavefront over the strip, writing its part of `dst_band`.
    #[inline(always)]
    fn run(&self, dst_band: &mut [f32], scratch: &mut [f32]) {
        let (w, r, k) = (self.w, self.r as isize, self.k);
        let (xa, xb) = self.cols(k);
        let (ya, yb) = self.rows(k);
        let (x0, x1) = (self.x0 as usize, self.x1 as usize);
        // Output rows and columns that are not computed (the skip frame) keep the
        // source's values.
        for y in self.y0..self.y1 {
            let band_row = (y - self.y0) as usize * w;
            let dst = &mut dst_band[band_row..band_row + w];
            let src = self.src_row(y as usize, 0, w as isize);
            if y < ya || y >= yb || xa >= xb {
                dst[x0..x1].copy_from_slice(&src[x0..x1]);
            } else {
                let (xa, xb) = (xa as usize, xb as usize);
                dst[x0..xa].copy_from_slice(&src[x0..xa]);
                dst[xb..x1].copy_from_slice(&src[xb..x1]);
            }
        }
        if ya >= yb || xa >= xb {
            return;
        }
        let widest = self.ring_width(0);
        if self.boundary == Boundary::ZeroSrc {
            scratch[..widest].fill(0.0);
        }
        let padded0 = self.level0_padded();
        let (load_a, load_b) = {
            let (a, b) = self.rows(1);
            (a - r, b + r)
        };
        let side = 2 * self.r + 1;
        for t in self.y0 - k as isize * r..self.y1 + k as isize * r {
            if padded0
                && (load_a..load_b).contains(&t)
                && (self.boundary == Boundary::Wrap || (0..self.h as isize).contains(&t))
            {
                self.load_padded(scratch, t);
            }
            for j in 1..=k {
                let y = t - j as isize * r;
                let (rows_a, rows_b) = self.rows(j);
                if y < rows_a || y >= rows_b {
                    continue;
                }
                let (a, b) = self.cols(j);
                let mut window: [&[f32]; MAX_WINDOW] = [&[]; MAX_WINDOW];
                if j < k {
                    let (sa, sb) = self.stored_cols(j);
                    let start = self.ring_offset(j) + self.slot(y) * self.ring_width(j);
                    let (lower, upper) = scratch.split_at_mut(self.ring_offset(j));
                    for (i, row) in window[..side].iter_mut().enumerate() {
                        *row = self.level_row(lower, j - 1, y - r + i as isize);
                    }
                    let out = &mut upper[start - lower.len()..][..(sb - sa) as usize];
                    let (lo, hi) = ((a - sa) as usize, (b - sa) as usize);
                    self.kernel.apply_row(&window[..side], &mut out[lo..hi]);
                    self.fill_pad(out, y, sa, lo, hi);
                } else {
                    for (i, row) in window[..side].iter_mut().enumerate() {
                        *row = self.level_row(scratch, j - 1, y - r + i as isize);
                    }
                    let band_row = (y - self.y0) as usize * w;
                    let out = &mut dst_band[band_row + a as usize..band_row + b as usize];
                    self.kernel.apply_row(&window[..side], out);
                }
            }
        }
    }

    /// Fills the stored-but-not-computed columns of an intermediate row: outside
    /// the plane (`clamp`: edge value, `zero-src`: 0) or in the frame (`skip`:
    /// the source's value, which every level keeps).
    #[inline(always)]
    fn fill_pad(&self, out: &mut [f32], y: isize, sa: isize, lo: usize, hi: usize) {
        match self.boundary {
            Boundary::Wrap => {}
            Boundary::Clamp => {
                let (left, right) = (out[lo], out[hi - 1]);
                out[..lo].fill(left);
                out[hi..].fill(right);
            }
            Boundary::ZeroSrc => {
                out[..lo].fill(0.0);
                out[hi..].fill(0.0);
            }
            Boundary::Skip => {
                let row = self.src_row(y as usize, sa, sa + out.len() as isize);
                out[..lo].copy_from_slice(&row[..lo]);
                out[hi..].copy_from_slice(&row[hi..]);
            }
        }
    }
}
