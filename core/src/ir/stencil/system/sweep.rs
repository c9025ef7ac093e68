//! The sweep executor of a stencil system: one pass over memory per
//! iteration, rows computed from the source rows in place, interiors on SIMD
//! lanes (module docs of [`super`], "Executors").
//!
//! # One output row
//! The window of an output row `(z, y)` is, for each input, the
//! `(2r + 1)^(d − 1)` source rows at `(z + dz, y + dy)`, each resolved once by
//! the boundary rule (a row inside, a clamped or wrapped row, or a shared row
//! of zeros). Output `x` then reads column `x + dx` of those rows, which lies
//! inside the row for `r ≤ x < width − r`: those points run in blocks of
//! lanes straight from the source. The up to `r` points at each end are
//! computed from short copies of their columns, padded by the boundary rule
//! (`3r` values per window row); their copies are made for a group of rows at
//! a time, so that one list of row references serves the whole group.
//!
//! # Runs of rows
//! The rows of a plane whose whole neighbourhood lies inside the grid (all
//! but `r` at each edge) are computed as one run: the window row for offset
//! `(dz, dy)` is then one contiguous span of the source, the run's rows back
//! to back, so the window is built once per run rather than once per row
//! (on a 48-wide volume that per-row bookkeeping had cost as much as the
//! arithmetic). The block loop ([`blocks`]) walks the run's rows; it is a
//! function of its own per SIMD path, never inlined, so that its output
//! slice is known not to alias the window and the row addresses stay in
//! registers.
//!
//! A 1-D grid is one row; its "lines" are columns, so members of a team
//! share the row by column ranges and the same code runs with a one-row
//! window per input.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use super::super::point::{RowLoad, StencilElement};
use super::cells::WindowLayout;
use super::{Cells, Extent, StencilSystem, SystemFormula, slot_role};
use crate::ir::stencil::{Boundary, StencilError};
use crate::simd::SimdPath;

/// Rows whose end copies share one list of references.
const EDGE_GROUP: usize = 32;

impl<F: SystemFormula, T: StencilElement> StencilSystem<F, T> {
    /// Runs the system's iterations on `buffers` with read-only `constants`,
    /// one sweep per iteration (module docs). Bit-identical to
    /// [`StencilSystem::run_reference`].
    ///
    /// # Errors
    /// Those of [`StencilSystem::check`]; nothing is touched then.
    pub fn run_sweeps(
        &self,
        extent: Extent,
        buffers: &mut [&mut [T]],
        constants: &[&[T]],
    ) -> Result<(), StencilError> {
        self.sweep_iterations(extent, buffers, constants, self.iterations())
    }

    /// [`StencilSystem::run_sweeps`] for `iterations` iterations instead of
    /// the system's own count: a driver that runs a system in parts (the
    /// pool's probe times a few sweeps, then runs the rest) calls it once
    /// per part. The buffers are back in their documented order after each.
    ///
    /// # Errors
    /// Those of [`StencilSystem::check`]; nothing is touched then.
    pub fn sweep_iterations(
        &self,
        extent: Extent,
        buffers: &mut [&mut [T]],
        constants: &[&[T]],
        iterations: usize,
    ) -> Result<(), StencilError> {
        self.run_steps(extent, buffers, constants, iterations, |inputs, outputs| {
            self.step_lines(extent, inputs, outputs, 0..extent.lines())
        })
    }

    /// One iteration over the lines `lines` of `extent` ([`Extent::lines`]:
    /// rows of a plane or volume, columns of a row). `inputs` are the whole
    /// arrays read, in window order: each field's levels, newest first, then
    /// the constants. `outputs[f]` receives field `f`'s new values for
    /// exactly those lines (`lines.len() × extent.line_len()` values).
    ///
    /// This is the unit of work a parallel driver hands its members; see
    /// [`split_step`] for naming the buffers of an iteration.
    ///
    /// # Errors
    /// Those of [`Extent::len`], [`StencilError::WindowTooLarge`],
    /// [`StencilError::StepArrays`] if the counts are wrong,
    /// [`StencilError::ArrayLength`] if an input is not the whole grid (its
    /// index counts the fields' levels, or the constants) or an output does
    /// not fit `lines` (its index is the field's), [`StencilError::RowsOutOfRange`] if
    /// `lines` leaves the grid (its `height` is [`Extent::lines`], the
    /// columns of a row grid).
    pub fn step_lines(
        &self,
        extent: Extent,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        lines: Range<usize>,
    ) -> Result<(), StencilError> {
        let n = extent.len()?;
        let layout = self.layout(extent);
        if layout.rows() > super::MAX_WINDOW_ROWS {
            return Err(StencilError::WindowTooLarge {
                rows: layout.rows(),
                max: super::MAX_WINDOW_ROWS,
            });
        }
        if inputs.len() != layout.inputs() || outputs.len() != layout.fields {
            return Err(StencilError::StepArrays {
                inputs: inputs.len(),
                expected_inputs: layout.inputs(),
                outputs: outputs.len(),
                expected_outputs: layout.fields,
            });
        }
        if lines.start > lines.end || lines.end > extent.lines() {
            return Err(StencilError::RowsOutOfRange {
                start: lines.start,
                end: lines.end,
                height: extent.lines(),
            });
        }
        let wanted = lines.len() * extent.line_len();
        let bad_input = inputs.iter().enumerate().find(|(_, a)| a.len() != n);
        let bad_output = outputs.iter().enumerate().find(|(_, a)| a.len() != wanted);
        if let Some((index, a)) = bad_input {
            let levels = layout.fields * layout.levels;
            return Err(StencilError::ArrayLength {
                constant: index >= levels,
                index: if index >= levels {
                    index - levels
                } else {
                    index
                },
                len: a.len(),
                expected: n,
            });
        }
        if let Some((index, a)) = bad_output {
            return Err(StencilError::ArrayLength {
                constant: false,
                index,
                len: a.len(),
                expected: wanted,
            });
        }
        if n == 0 || lines.is_empty() {
            return Ok(());
        }
        let plane_len = extent.width() * extent.height();
        let job = Job {
            formula: self.formula(),
            boundary: self.boundary(),
            layout: &layout,
            extent,
            rows: &|i, z, y, count| {
                &inputs[i][z * plane_len + y * extent.width()..][..count * extent.width()]
            },
            blocks: block_loop::<F, T>(self.simd()),
        };
        job.lines(outputs, lines);
        Ok(())
    }
}

/// Splits one field-major list of buffers for iteration `step`: the inputs
/// in window order (each field's levels newest first, then `constants`) and
/// the buffers that receive each field's new value (module docs, "Buffers
/// and rotation").
#[allow(clippy::type_complexity)]
pub fn split_step<'b, T>(
    buffers: &'b mut [&mut [T]],
    constants: &[&'b [T]],
    fields: usize,
    levels: usize,
    step: usize,
) -> (Vec<&'b [T]>, Vec<&'b mut [T]>) {
    let slots = levels + 1;
    let mut ages: Vec<Option<&[T]>> = vec![None; fields * levels];
    let mut outputs = Vec::with_capacity(fields);
    for (i, buffer) in buffers.iter_mut().enumerate() {
        let (field, slot) = (i / slots, i % slots);
        match slot_role(slot, levels, step) {
            Some(age) => ages[field * levels + age] = Some(&**buffer),
            None => outputs.push(&mut **buffer),
        }
    }
    let mut inputs: Vec<&[T]> = ages
        .into_iter()
        .map(|a| a.expect("each age of each field has one slot"))
        .collect();
    inputs.extend_from_slice(constants);
    (inputs, outputs)
}

/// What every line of one iteration shares.
pub(super) struct Job<'a, F, T> {
    pub(super) formula: &'a F,
    pub(super) boundary: Boundary,
    pub(super) layout: &'a WindowLayout,
    pub(super) extent: Extent,
    /// `count` rows of input `i` from row `(z, y)` on, back to back
    /// (`count × width` values; a row grid's one row is `(0, 0)`): slices of
    /// the whole arrays for a sweep, of ring slots for a blocked pass (which
    /// asks for one row at a time where a ring holds rows).
    pub(super) rows: &'a dyn Fn(usize, usize, usize, usize) -> &'a [T],
    /// [`blocks`] compiled for the system's SIMD path.
    pub(super) blocks: BlockLoop<F, T>,
}

impl<F: SystemFormula, T: StencilElement> Job<'_, F, T> {
    /// Computes `lines` into `outputs` (see [`StencilSystem::step_lines`]).
    #[inline(always)]
    pub(super) fn lines(&self, outputs: &mut [&mut [T]], lines: Range<usize>) {
        let [depth, height, width] = self.extent.sizes();
        let l = self.layout;
        let r = l.radius;
        let padded = self.boundary != Boundary::Skip && r > 0;
        let group_rows = if self.extent.dims() == 1 {
            1
        } else {
            EDGE_GROUP.min(lines.len())
        };
        let mut ends = vec![
            T::ZERO;
            if padded {
                group_rows * 2 * l.rows() * 3 * r
            } else {
                0
            }
        ];
        // A 1-D grid: one row, `lines` are its columns.
        if self.extent.dims() == 1 {
            let shift = 0usize.wrapping_sub(lines.start);
            let rows: Vec<&[T]> = (0..l.inputs()).map(|i| (self.rows)(i, 0, 0, 1)).collect();
            self.run(outputs, &rows, lines.clone(), shift, 1, &mut ends);
            return;
        }
        let zeros = vec![
            T::ZERO;
            if self.boundary == Boundary::ZeroSrc {
                width
            } else {
                0
            }
        ];
        let mut window: Vec<&[T]> = Vec::with_capacity(l.rows());
        let (rz, ry) = (l.rz as isize, l.ry as isize);
        let mut u = lines.start;
        while u < lines.end {
            let (z, y) = (u / height, u % height);
            let at = (u - lines.start) * width;
            let inside = z >= l.rz && z + l.rz < depth && y >= l.ry && y + l.ry < height;
            if !inside && self.boundary == Boundary::Skip {
                // The frame (rows within the radius of an edge) keeps its value.
                for (f, out) in outputs.iter_mut().enumerate() {
                    let current = (self.rows)(f * l.levels, z, y, 1);
                    out[at..at + width].copy_from_slice(current);
                }
                u += 1;
                continue;
            }
            window.clear();
            let rows = if inside {
                // The inside rows of this plane from `u` on form one run:
                // each window row is then the run's rows of one source row
                // offset, contiguous in memory.
                let rows = (z * height + height - l.ry).min(lines.end) - u;
                for i in 0..l.inputs() {
                    for dz in -rz..=rz {
                        let zi = (z as isize + dz) as usize;
                        window.extend(
                            (-ry..=ry)
                                .map(|dy| (self.rows)(i, zi, (y as isize + dy) as usize, rows)),
                        );
                    }
                }
                rows
            } else {
                for i in 0..l.inputs() {
                    for dz in -rz..=rz {
                        let zi = self.boundary.resolve(z as isize + dz, depth);
                        for dy in -ry..=ry {
                            let yi = self.boundary.resolve(y as isize + dy, height);
                            window.push(match zi.zip(yi) {
                                Some((zi, yi)) => (self.rows)(i, zi, yi, 1),
                                None => &zeros[..],
                            });
                        }
                    }
                }
                1
            };
            self.run(outputs, &window, 0..width, at, rows, &mut ends);
            u += rows;
        }
    }

    /// `rows` consecutive rows (a 1-D grid: one row), columns `xs` of each,
    /// from `window`, whose rows hold the run's rows back to back: column
    /// `x` of row `i` of the run is `window[k][i·width + x]`, and its output
    /// goes to `outputs[f][at + i·width + x]` (`at` wraps to subtract).
    /// `ends` holds the padded end copies of up to [`EDGE_GROUP`] rows.
    #[inline(always)]
    fn run(
        &self,
        outputs: &mut [&mut [T]],
        window: &[&[T]],
        xs: Range<usize>,
        at: usize,
        rows: usize,
        ends: &mut [T],
    ) {
        let width = self.extent.width();
        let l = self.layout;
        let r = l.radius;
        self.interior(outputs, window, xs.clone(), at, rows);
        if self.boundary == Boundary::Skip || r == 0 {
            return;
        }
        let span = 2 * l.rows() * 3 * r;
        let mut first = 0;
        while first < rows {
            let group = first..(first + EDGE_GROUP).min(rows);
            first = group.end;
            for (g, i) in group.clone().enumerate() {
                self.copy_ends(
                    window,
                    i * width,
                    xs.clone(),
                    &mut ends[g * span..(g + 1) * span],
                );
            }
            let refs: Vec<&[T]> = ends[..group.len() * span].chunks_exact(3 * r).collect();
            for (g, i) in group.enumerate() {
                let refs = &refs[g * 2 * l.rows()..(g + 1) * 2 * l.rows()];
                self.ends(outputs, refs, xs.clone(), at.wrapping_add(i * width));
            }
        }
    }

    /// The two end segments of a row's columns `xs`, for a row of `width`:
    /// `[0, r)` and `[max(r, width − r), width)`, each cut to `xs`.
    #[inline(always)]
    fn end_segments(&self, xs: &Range<usize>) -> [Range<usize>; 2] {
        let width = self.extent.width();
        let r = self.layout.radius;
        let cut = |a: usize, b: usize| a.max(xs.start)..b.min(xs.end).max(a.max(xs.start));
        [
            cut(0, r.min(width)),
            cut(r.max(width.saturating_sub(r)), width),
        ]
    }

    /// Points `xs ∩ [r, width − r)` of every field in each of the run's
    /// `rows` rows (see [`Job::run`]), from `window` directly; the others of
    /// `xs` too under `skip` (their current value).
    #[inline(always)]
    fn interior(
        &self,
        outputs: &mut [&mut [T]],
        window: &[&[T]],
        xs: Range<usize>,
        at: usize,
        rows: usize,
    ) {
        let width = self.extent.width();
        let l = self.layout;
        let r = l.radius;
        let lo = xs.start.max(r).min(xs.end);
        let inner = lo..xs.end.min(width.saturating_sub(r)).max(lo);
        let centre = l.rz * l.z_step + l.ry * l.y_step;
        for (f, out) in outputs.iter_mut().enumerate() {
            if self.boundary == Boundary::Skip {
                let current = window[f * l.levels * l.per_input + centre];
                for i in 0..rows {
                    for kept in [xs.start..inner.start, inner.end..xs.end] {
                        // At most `r` values each side: a loop, not a memcpy call.
                        for x in kept {
                            out[at.wrapping_add(i * width + x)] = current[i * width + x];
                        }
                    }
                }
            }
            if inner.is_empty() {
                continue;
            }
            let run = Run {
                cols: inner.clone(),
                rows,
                stride: width,
            };
            let first = at.wrapping_add(inner.start);
            let out = &mut out[first..first + (rows - 1) * width + inner.len()];
            // SAFETY: `blocks` is `block_loop`'s choice for a path this CPU
            // runs (systems only hold supported paths); the window holds the
            // layout's rows, each holding the run's `rows` rows of `width`
            // values (source rows, or a row of `width` zeros for one row), and
            // `r <= inner.start <= inner.end <= width − r`.
            unsafe { (self.blocks)(self.formula, f, window, *l, run.clone(), out) };
        }
    }

    /// Copies, for both end segments of `xs`, the columns their points read
    /// from every window row (its values from `row_at` on), padded by the
    /// boundary rule, into `ends`:
    /// segment `e`, window row `k` at `(e·rows + k)·3r`.
    #[inline(always)]
    fn copy_ends(&self, window: &[&[T]], row_at: usize, xs: Range<usize>, ends: &mut [T]) {
        let width = self.extent.width();
        let r = self.layout.radius;
        let m = 3 * r;
        for (e, seg) in self.end_segments(&xs).into_iter().enumerate() {
            if seg.is_empty() {
                continue;
            }
            for (k, row) in window.iter().enumerate() {
                let to = &mut ends[(e * window.len() + k) * m..][..m];
                for (j, v) in to.iter_mut().take(seg.len() + 2 * r).enumerate() {
                    let col = seg.start as isize - r as isize + j as isize;
                    *v = match self.boundary.resolve(col, width) {
                        Some(c) => row[row_at + c],
                        None => T::ZERO,
                    };
                }
            }
        }
    }

    /// The end segments' points of every field, from their padded copies
    /// (`refs`: segment `e`'s window at `e·rows`).
    #[inline(always)]
    fn ends(&self, outputs: &mut [&mut [T]], refs: &[&[T]], xs: Range<usize>, shift: usize) {
        let l = self.layout;
        let rows = l.rows();
        for (e, seg) in self.end_segments(&xs).into_iter().enumerate() {
            let window = &refs[e * rows..(e + 1) * rows];
            for (f, out) in outputs.iter_mut().enumerate() {
                for x in seg.clone() {
                    // SAFETY: a window row per window row of the layout,
                    // each `3r` long; a segment has at most `r` points, so
                    // `col + r + 1 <= 2r − 1 + r + 1 = 3r`.
                    let cells = unsafe { Cells::new(window, l.radius + (x - seg.start), *l) };
                    out[x.wrapping_add(shift)] = self.formula.eval::<T>(f, &cells);
                }
            }
        }
    }
}

/// The signature of [`blocks`] compiled for one SIMD path.
pub(super) type BlockLoop<F, T> = unsafe fn(&F, usize, &[&[T]], WindowLayout, Run, &mut [T]);

/// Where [`blocks`] computes: columns `cols` of `rows` rows, `stride`
/// values apart in the window and in the output.
#[derive(Clone, Debug)]
pub(super) struct Run {
    cols: Range<usize>,
    rows: usize,
    stride: usize,
}

/// [`blocks`] for `path`: the hot loop is the only code that needs the
/// path's instructions, and as a function of its own (never inlined) its
/// `&mut` output is known not to alias the window, so the compiler keeps
/// the window's row addresses in registers across blocks.
pub(super) fn block_loop<F: SystemFormula, T: StencilElement>(path: SimdPath) -> BlockLoop<F, T> {
    match path {
        #[cfg(target_arch = "x86_64")]
        SimdPath::Avx512 => x86::blocks_avx512::<F, T>,
        #[cfg(target_arch = "x86_64")]
        SimdPath::Avx2 => x86::blocks_avx2::<F, T>,
        _ => blocks_baseline::<F, T>,
    }
}

/// [`blocks`] for the build's baseline (portable, and NEON on aarch64).
///
/// # Safety
/// That of [`blocks`].
#[inline(never)]
unsafe fn blocks_baseline<F: SystemFormula, T: StencilElement>(
    formula: &F,
    f: usize,
    window: &[&[T]],
    layout: WindowLayout,
    run: Run,
    out: &mut [T],
) {
    // SAFETY: the caller's.
    unsafe { blocks(formula, f, window, layout, run, out) }
}

/// Points `run.cols` (`xs` below) of field `f` in each of `run.rows` rows
/// `run.stride` apart (`rows`, `stride`), from
/// `window` into `out` (row `i`'s points at `out[i·stride..][..xs.len()]`):
/// all in blocks on lanes, the last block of a row overlapping the one
/// before it when the count is not a multiple of the block (fewer points
/// than one block go one at a time).
///
/// # Safety
/// Every row of `window` holds at least `(rows − 1)·stride + width` values,
/// where `layout.radius <= xs.start` and `xs.end + layout.radius <= width <=
/// stride` (or `rows == 1`); `out` holds at least `(rows − 1)·stride +
/// xs.len()` values (checked). `window.len() == layout.rows()` is checked.
#[inline(always)]
unsafe fn blocks<F: SystemFormula, T: StencilElement>(
    formula: &F,
    f: usize,
    window: &[&[T]],
    layout: WindowLayout,
    run: Run,
    out: &mut [T],
) {
    let Run {
        cols: xs,
        rows,
        stride,
    } = run;
    // Part of `Cells::new`'s contract, checked for real once per run.
    assert_eq!(window.len(), layout.rows(), "a window row per layout row");
    let block = T::BLOCK;
    let n = xs.len();
    // By the contract, a block at column `x <= xs.end − block` of row `i`
    // reads up to `i·stride + x + r + block <= (rows − 1)·stride + width`
    // values of each window row, and a single point at `x < xs.end` up to
    // `i·stride + x + r + 1`; both start at `x − r >= 0`: `Cells::new`'s
    // contract.
    for i in 0..rows {
        let base = i * stride + xs.start;
        let out = &mut out[i * stride..i * stride + n];
        let mut at = 0;
        while at + block <= n {
            // SAFETY: a block at `xs.start + at <= xs.end − block` (above).
            let cells = unsafe { Cells::new(window, base + at, layout) };
            let v: T::Block = formula.eval(f, &cells);
            v.store(&mut out[at..at + block]);
            at = opaque(at + block);
        }
        if at < n && n >= block {
            // The last points as one block ending at the last point: it
            // repeats some of the previous block's points, with the same values.
            let last = n - block;
            // SAFETY: a block at `xs.end − block` (above).
            let cells = unsafe { Cells::new(window, base + last, layout) };
            let v: T::Block = formula.eval(f, &cells);
            v.store(&mut out[last..]);
            continue;
        }
        for (j, o) in out.iter_mut().enumerate().skip(at) {
            // SAFETY: a single point at `xs.start + j < xs.end` (above).
            let cells = unsafe { Cells::new(window, base + j, layout) };
            *o = formula.eval::<T>(f, &cells);
        }
    }
}

/// `i`, through a register the optimiser cannot see into.
///
/// The block loop's body is already one block of lanes. Left countable,
/// LLVM's loop vectoriser may vectorise it again *across* blocks for some
/// formulas, turning each lane's load and store into a gather and a
/// scatter (a 3-point average on a row ran 4.4× slower on AVX-512 than on
/// the portable path that way). An induction variable it cannot follow
/// keeps the loop as written; the cost is nothing (no instruction).
#[inline(always)]
fn opaque(i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let mut i = i;
        // SAFETY: an empty template that names `i`'s register: it reads and
        // writes no memory, touches no flags or stack, and leaves `i` as is.
        unsafe {
            core::arch::asm!("/* {0} */", inout(reg) i, options(pure, nomem, nostack, preserves_flags));
        }
        i
    }
    #[cfg(not(target_arch = "x86_64"))]
    i
}

/// [`blocks`] compiled for the x86-64 paths.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Run, StencilElement, SystemFormula, WindowLayout, blocks};

    /// # Safety
    /// The CPU must run the AVX-512 path; and that of [`blocks`].
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline(never)]
    pub(super) unsafe fn blocks_avx512<F: SystemFormula, T: StencilElement>(
        formula: &F,
        f: usize,
        window: &[&[T]],
        layout: WindowLayout,
        run: Run,
        out: &mut [T],
    ) {
        // SAFETY: the caller's.
        unsafe { blocks(formula, f, window, layout, run, out) }
    }

    /// # Safety
    /// The CPU must run the AVX2 path; and that of [`blocks`].
    #[target_feature(enable = "avx2,fma")]
    #[inline(never)]
    pub(super) unsafe fn blocks_avx2<F: SystemFormula, T: StencilElement>(
        formula: &F,
        f: usize,
        window: &[&[T]],
        layout: WindowLayout,
        run: Run,
        out: &mut [T],
    ) {
        // SAFETY: the caller's.
        unsafe { blocks(formula, f, window, layout, run, out) }
    }
}
