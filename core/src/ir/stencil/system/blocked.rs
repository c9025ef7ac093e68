//! Temporal blocking of stencil systems: several iterations per pass over
//! memory ([`StencilSystem::advance_slab`]), on planes and volumes, for
//! systems of any number of fields and levels.
//!
//! A sweep reads every input and writes every field once per iteration. A
//! blocked pass advances a slab `[s0, s1)` of the grid's outermost
//! coordinate (the *units*: planes `z` of a volume, rows `y` of a plane) by
//! `k` iterations ("levels") while reading the source arrays and writing the
//! destination slab once; the intermediate levels live in small rings of
//! units.
//!
//! # The front
//! Level `ℓ`'s unit `p` needs units `p − r ..= p + r` of the levels before
//! it that its window reads: level `ℓ − 1` for a field's newest value, and
//! `ℓ − 1 − a` for age `a` of a system of `L` levels (the wave reads `u` at
//! `ℓ − 1` and `u⁻` at `ℓ − 2`); levels at or before the pass's start are
//! the source arrays. The pass walks a front `f` upwards; at each step,
//! level `ℓ = 1, 2, …, k` computes its unit `p = f − (ℓ − 1)·r`, whose inputs
//! the levels below have just completed. Level `m`'s units are read up to
//! `L` levels later, by then `(L + 1)·r` units behind its newest, so each
//! intermediate level keeps the last `(L + 1)·r + 1` units of every field
//! in a ring (`2r + 1` for Jacobi iterations), and a unit it writes replaces
//! one nobody reads any more. Level `ℓ` covers
//! `[s0 − (k − ℓ)r, s1 + (k − ℓ)r) ∩ [0, units)`: near a slab's ends it
//! recomputes the units its neighbour owns (the halo), so slabs need no
//! exchange within a pass.
//!
//! The destination receives every age the next pass reads: age `a` of the
//! result is level `k − a` (copied from its ring as it is computed), or the
//! source's age `a − k` when the pass is shorter than the history.
//!
//! Reads outside the grid resolve by the boundary rule inside the ring
//! (`clamp` reads the edge unit, which the ring still holds; `zero-src`
//! reads zeros; `skip` never reads outside). `wrap` would read the far end
//! of the grid, which no ring holds, so wrapped systems are not blocked.
//! Every value is computed by the same row code as a sweep, from the same
//! values, so a blocked pass gives the same bits as `k` sweeps.
//!
//! # Row grids: tiles
//! A row grid's one row is its only line, so its slab (a range of columns)
//! is cut into tiles of [`ROW_TILE`] columns instead, each advanced level
//! after level: level `ℓ` of tile `[x0, x1)` covers
//! `R_ℓ = [x0 − (k − ℓ)r, x1 + (k − ℓ)r) ∩ [0, width)` and is kept whole
//! (a tile's levels fit the private cache). Level `ℓ` is computed by the
//! sweep's row code on the sub-row `R_{ℓ−1}`, every input sliced to start at
//! its first column: the columns of `R_ℓ` lie `r` inside an end of the
//! sub-row wherever that end is not the grid's, so the boundary rule is only
//! ever applied at the grid's own ends, as in a sweep.

use alloc::vec::Vec;
use core::ops::Range;

use super::super::point::StencilElement;
use super::sweep::BlockLoop;
use super::sweep::{Job, block_loop};
use super::{Extent, StencilSystem, SystemFormula};
use crate::ir::stencil::{Boundary, StencilError};

/// Columns of a row grid advanced together in a blocked pass (module docs,
/// "Row grids"): 4096 `f64` are 32 KiB per level and field, so eight levels
/// stay within a private L2.
pub const ROW_TILE: usize = 4096;

/// How a blocked pass cuts a grid into units: `count` units of `len`
/// values, each `lines` lines ([`Extent::lines`]) long.
#[derive(Clone, Copy)]
struct Units {
    count: usize,
    len: usize,
    lines: usize,
}

impl Units {
    fn of(extent: Extent) -> Self {
        let [depth, height, width] = extent.sizes();
        if extent.dims() == 1 {
            Self {
                count: width,
                len: 1,
                lines: 1,
            }
        } else if extent.dims() == 3 {
            Self {
                count: depth,
                len: height * width,
                lines: height,
            }
        } else {
            Self {
                count: height,
                len: width,
                lines: 1,
            }
        }
    }

    /// The unit row `(z, y)` lies in, and the row's offset within it.
    #[inline(always)]
    fn locate(&self, extent: Extent, z: usize, y: usize) -> (usize, usize) {
        if extent.dims() == 3 {
            (z, y * extent.width())
        } else {
            (y, 0)
        }
    }
}

impl<F: SystemFormula, T: StencilElement> StencilSystem<F, T> {
    /// Whether [`StencilSystem::advance_slab`] runs this system on
    /// `extent`: any boundary other than `wrap`.
    pub fn blocks_in_passes(&self, _extent: Extent) -> bool {
        self.boundary() != Boundary::Wrap
    }

    /// Units of ring one intermediate level keeps per field (module docs).
    fn ring_side(&self, extent: Extent) -> usize {
        let (_, levels, _) = self.counts();
        (levels + 1) * self.layout(extent).radius + 1
    }

    /// Scratch values [`StencilSystem::advance_slab`] needs for passes of
    /// `levels` levels on `extent`: a ring per field per intermediate level.
    pub fn slab_scratch_len(&self, extent: Extent, levels: usize) -> usize {
        let (fields, _, _) = self.counts();
        if extent.dims() == 1 {
            let reach = levels.saturating_mul(self.layout(extent).radius);
            let tile = ROW_TILE.saturating_add(reach.saturating_mul(2));
            return levels.saturating_sub(1) * fields * tile;
        }
        let units = Units::of(extent);
        levels.saturating_sub(1) * fields * self.ring_side(extent) * units.len
    }

    /// The number of units ([`Extent::depth`] of a volume, [`Extent::height`]
    /// of a plane, [`Extent::width`] of a row) a slab of [`StencilSystem::advance_slab`] ranges over.
    pub fn slab_units(&self, extent: Extent) -> usize {
        Units::of(extent).count
    }

    /// Advances units `slab` (planes of a volume, rows of a plane, columns of
    /// a row) of every
    /// field by `levels` iterations in one pass (module docs). `src` holds
    /// the whole arrays of every field's levels, newest first, field after
    /// field (the window order of [`StencilSystem::step_lines`], without the
    /// constants); `dst` receives the same arrays for the slab's units only
    /// (`slab.len()` units each) after `levels` iterations. Bit-identical to
    /// `levels` sweeps.
    ///
    /// # Errors
    /// [`StencilError::StepArrays`] if [`StencilSystem::blocks_in_passes`]
    /// is false on `extent` or the arrays are miscounted (reported as
    /// counts); [`StencilError::ArrayLength`], [`StencilError::RowsOutOfRange`]
    /// (in units), [`StencilError::TooManyLevels`] for 0 levels,
    /// [`StencilError::ScratchTooShort`].
    #[allow(clippy::too_many_arguments)]
    pub fn advance_slab(
        &self,
        extent: Extent,
        src: &[&[T]],
        constants: &[&[T]],
        dst: &mut [&mut [T]],
        slab: Range<usize>,
        levels: usize,
        scratch: &mut [T],
    ) -> Result<(), StencilError> {
        let n = extent.len()?;
        let layout = self.layout(extent);
        let (fields, ages, consts) = self.counts();
        let arrays = fields * ages;
        if !self.blocks_in_passes(extent)
            || src.len() != arrays
            || constants.len() != consts
            || dst.len() != arrays
        {
            return Err(StencilError::StepArrays {
                inputs: src.len() + constants.len(),
                expected_inputs: layout.inputs(),
                outputs: dst.len(),
                expected_outputs: arrays,
            });
        }
        if levels == 0 {
            return Err(StencilError::TooManyLevels { levels, max: 0 });
        }
        let units = Units::of(extent);
        if slab.start > slab.end || slab.end > units.count {
            return Err(StencilError::RowsOutOfRange {
                start: slab.start,
                end: slab.end,
                height: units.count,
            });
        }
        let lens = src.iter().map(|a| (false, a.len(), n));
        let lens = lens.chain(constants.iter().map(|a| (true, a.len(), n)));
        let wanted = slab.len() * units.len;
        let lens = lens.chain(dst.iter().map(|a| (false, a.len(), wanted)));
        if let Some((index, (constant, len, expected))) = lens
            .enumerate()
            .find(|(_, (_, len, expected))| len != expected)
        {
            return Err(StencilError::ArrayLength {
                constant,
                index,
                len,
                expected,
            });
        }
        let needed = self.slab_scratch_len(extent, levels);
        if scratch.len() < needed {
            return Err(StencilError::ScratchTooShort {
                len: scratch.len(),
                needed,
            });
        }
        if n == 0 || slab.is_empty() {
            return Ok(());
        }
        // Ages of the result older than the pass: straight from the source.
        for a in levels..ages {
            for f in 0..fields {
                let from = &src[f * ages + a - levels][slab.start * units.len..][..wanted];
                dst[f * ages + a].copy_from_slice(from);
            }
        }
        let blocks = block_loop::<F, T>(self.simd());
        if extent.dims() == 1 {
            let pass = RowPass {
                src,
                constants,
                levels,
                blocks,
            };
            let mut start = slab.start;
            while start < slab.end {
                let tile = start..(start + ROW_TILE).min(slab.end);
                start = tile.end;
                self.advance_tile(extent, &pass, dst, &slab, tile, &mut scratch[..needed]);
            }
            return Ok(());
        }
        let r = layout.radius;
        let side = self.ring_side(extent);
        let ring_len = fields * side * units.len;
        // Units level `l` (1..=levels) computes.
        let span = |l: usize| {
            let reach = (levels - l) * r;
            slab.start.saturating_sub(reach)..(slab.end + reach).min(units.count)
        };
        let mut rings: Vec<&mut [T]> = scratch[..needed].chunks_mut(ring_len.max(1)).collect();
        let first = span(1);
        for front in first.start..first.end + (levels - 1) * r {
            for l in 1..=levels {
                let Some(p) = front.checked_sub((l - 1) * r) else {
                    continue;
                };
                if !span(l).contains(&p) {
                    continue;
                }
                // Level l − 1 − a's units: a ring below, or the source.
                let (below, above) = rings.split_at_mut(l - 1);
                let below: &[&mut [T]] = below;
                let rows = |i: usize, z: usize, y: usize, count: usize| -> &[T] {
                    let (u, offset) = units.locate(extent, z, y);
                    let take = count * extent.width();
                    if i >= arrays {
                        let at = u * units.len + offset;
                        return &constants[i - arrays][at..][..take];
                    }
                    let (f, a) = (i / ages, i % ages);
                    match (l - 1).checked_sub(a) {
                        Some(m) if m >= 1 => {
                            debug_assert!(offset + take <= units.len, "one unit at a time");
                            let at = (f * side + u % side) * units.len + offset;
                            &below[m - 1][at..][..take]
                        }
                        // Level l − 1 − a is at or before the pass's start:
                        // the source's age a − (l − 1).
                        _ => {
                            let at = u * units.len + offset;
                            &src[f * ages + a + 1 - l][at..][..take]
                        }
                    }
                };
                // Where unit p lies in the destination, if it is the slab's.
                let at = p.wrapping_sub(slab.start).wrapping_mul(units.len);
                let mut outputs: Vec<&mut [T]> = if l == levels {
                    dst.iter_mut()
                        .step_by(ages)
                        .map(|o| &mut o[at..at + units.len])
                        .collect()
                } else {
                    above[0]
                        .chunks_mut(side * units.len)
                        .map(|ring| &mut ring[(p % side) * units.len..][..units.len])
                        .collect()
                };
                let job = Job {
                    formula: self.formula(),
                    boundary: self.boundary(),
                    layout: &layout,
                    extent,
                    rows: &rows,
                    blocks,
                };
                job.lines(&mut outputs, p * units.lines..(p + 1) * units.lines);
                drop(outputs);
                // Ages 1.. of the result come from the last levels but one.
                let age = levels - l;
                if l < levels && age < ages && slab.contains(&p) {
                    for (f, ring) in above[0].chunks(side * units.len).enumerate() {
                        let unit = &ring[(p % side) * units.len..][..units.len];
                        dst[f * ages + age][at..at + units.len].copy_from_slice(unit);
                    }
                }
            }
        }
        Ok(())
    }

    /// Advances columns `tile` of a row grid by `pass.levels` levels into
    /// `dst` (whose columns are `slab`'s), each level whole in `scratch`
    /// (module docs, "Row grids").
    fn advance_tile(
        &self,
        extent: Extent,
        pass: &RowPass<'_, F, T>,
        dst: &mut [&mut [T]],
        slab: &Range<usize>,
        tile: Range<usize>,
        scratch: &mut [T],
    ) {
        let width = extent.width();
        let layout = self.layout(extent);
        let r = layout.radius;
        let (fields, ages, _) = self.counts();
        let arrays = fields * ages;
        let k = pass.levels;
        // Columns level m (0..=k) covers; level 0 is the source's.
        let range = |m: usize| {
            let reach = (k - m) * r;
            tile.start.saturating_sub(reach)..(tile.end + reach).min(width)
        };
        let stride = ROW_TILE + 2 * k * r;
        // Level m (1..k) of field f at `(m − 1)·fields + f`, from its first column.
        let mut kept: Vec<&mut [T]> = scratch.chunks_mut(stride.max(1)).collect();
        let at = tile.start - slab.start;
        for l in 1..=k {
            let sub = range(l - 1);
            let cols = range(l);
            let (below, above) = kept.split_at_mut((l - 1) * fields);
            let below: &[&mut [T]] = below;
            let rows = |i: usize, _: usize, _: usize, _: usize| -> &[T] {
                if i >= arrays {
                    return &pass.constants[i - arrays][sub.clone()];
                }
                let (f, a) = (i / ages, i % ages);
                match (l - 1).checked_sub(a) {
                    Some(m) if m >= 1 => {
                        let from = sub.start - range(m).start;
                        &below[(m - 1) * fields + f][from..from + sub.len()]
                    }
                    _ => &pass.src[f * ages + a + 1 - l][sub.clone()],
                }
            };
            let mut outputs: Vec<&mut [T]> = if l == k {
                dst.iter_mut()
                    .step_by(ages)
                    .map(|o| &mut o[at..at + tile.len()])
                    .collect()
            } else {
                above[..fields]
                    .iter_mut()
                    .map(|o| &mut o[..cols.len()])
                    .collect()
            };
            let job = Job {
                formula: self.formula(),
                boundary: self.boundary(),
                layout: &layout,
                extent: Extent::row(sub.len()),
                rows: &rows,
                blocks: pass.blocks,
            };
            job.lines(&mut outputs, cols.start - sub.start..cols.end - sub.start);
            drop(outputs);
            let age = k - l;
            if l < k && age < ages {
                let from = tile.start - cols.start;
                for (f, level) in above[..fields].iter().enumerate() {
                    dst[f * ages + age][at..at + tile.len()]
                        .copy_from_slice(&level[from..from + tile.len()]);
                }
            }
        }
    }
}

/// What every tile of a row grid's blocked pass shares.
struct RowPass<'a, F, T> {
    src: &'a [&'a [T]],
    constants: &'a [&'a [T]],
    levels: usize,
    blocks: BlockLoop<F, T>,
}
