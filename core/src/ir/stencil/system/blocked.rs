//! Temporal blocking of stencil systems on volumes: several iterations per
//! pass over memory ([`StencilSystem::advance_planes`]).
//!
//! A sweep reads every input and writes every field once per iteration. A
//! blocked pass advances a slab of planes `[z0, z1)` by `k` iterations
//! ("levels") while reading the source volume and writing the destination
//! slab once; the intermediate levels live in small rings of planes.
//!
//! # The z front
//! Level `ℓ`'s plane `p` needs level `ℓ − 1`'s planes `p − r ..= p + r`.
//! The pass walks a front `f` upwards; at each step, level `ℓ = 1, 2, …, k`
//! computes its plane `p = f − (ℓ − 1)·r`, whose inputs level `ℓ − 1` has
//! just completed (its newest plane is `p + r`). Each intermediate level
//! keeps the last `2r + 1` planes of every field in a ring, so a plane it
//! writes replaces one no level reads any more. Level `ℓ` covers
//! `[z0 − (k − ℓ)r, z1 + (k − ℓ)r) ∩ [0, depth)`: near a slab's ends it
//! recomputes the planes its neighbour owns (the halo), so slabs need no
//! exchange within a pass.
//!
//! Reads outside the volume resolve by the boundary rule inside the ring
//! (`clamp` reads the edge plane, which the ring still holds; `zero-src`
//! reads zeros; `skip` never reads outside). `wrap` would read the far end
//! of the volume, which no ring holds, so wrapped systems are not blocked.
//! Every value is computed by the same row code as a sweep, from the same
//! values, so a blocked pass gives the same bits as `k` sweeps.

use alloc::vec::Vec;
use core::ops::Range;

use super::super::point::StencilElement;
use super::sweep::{Job, block_loop};
use super::{Extent, StencilSystem, SystemFormula};
use crate::ir::stencil::{Boundary, StencilError};

impl<F: SystemFormula, T: StencilElement> StencilSystem<F, T> {
    /// Whether [`StencilSystem::advance_planes`] runs this system on
    /// `extent`: a volume, one level per field, and a boundary other than
    /// `wrap`.
    pub fn blocks_volumes(&self, extent: Extent) -> bool {
        let (_, levels, _) = self.counts();
        extent.dims() == 3 && levels == 1 && self.boundary() != Boundary::Wrap
    }

    /// Scratch values [`StencilSystem::advance_planes`] needs for passes of
    /// `levels` levels on `extent`: a ring of `2r + 1` planes per field per
    /// intermediate level.
    pub fn planes_scratch_len(&self, extent: Extent, levels: usize) -> usize {
        let (fields, _, _) = self.counts();
        let side = 2 * self.layout(extent).radius + 1;
        levels.saturating_sub(1) * fields * side * extent.width() * extent.height()
    }

    /// Advances planes `planes` of every field by `levels` iterations in one
    /// pass (module docs): `src[f]` is field `f`'s whole current volume,
    /// `dst[f]` receives its planes `planes` after `levels` iterations
    /// (`planes.len() × height × width` values). Bit-identical to `levels`
    /// sweeps.
    ///
    /// # Errors
    /// [`StencilError::StepArrays`] if the system is not one
    /// [`StencilSystem::blocks_volumes`] runs on `extent` (reported as
    /// counts), or the arrays are miscounted; [`StencilError::ArrayLength`],
    /// [`StencilError::RowsOutOfRange`] (in planes),
    /// [`StencilError::TooManyLevels`] for 0 levels,
    /// [`StencilError::ScratchTooShort`].
    #[allow(clippy::too_many_arguments)]
    pub fn advance_planes(
        &self,
        extent: Extent,
        src: &[&[T]],
        constants: &[&[T]],
        dst: &mut [&mut [T]],
        planes: Range<usize>,
        levels: usize,
        scratch: &mut [T],
    ) -> Result<(), StencilError> {
        let n = extent.len()?;
        let layout = self.layout(extent);
        let (fields, _, consts) = self.counts();
        if !self.blocks_volumes(extent)
            || src.len() != fields
            || constants.len() != consts
            || dst.len() != fields
        {
            return Err(StencilError::StepArrays {
                inputs: src.len() + constants.len(),
                expected_inputs: layout.inputs(),
                outputs: dst.len(),
                expected_outputs: fields,
            });
        }
        if levels == 0 {
            return Err(StencilError::TooManyLevels { levels, max: 0 });
        }
        let [depth, height, width] = extent.sizes();
        if planes.start > planes.end || planes.end > depth {
            return Err(StencilError::RowsOutOfRange {
                start: planes.start,
                end: planes.end,
                height: depth,
            });
        }
        let plane_len = height * width;
        let arrays = src.iter().map(|a| (false, a.len(), n));
        let arrays = arrays.chain(constants.iter().map(|a| (true, a.len(), n)));
        let wanted = planes.len() * plane_len;
        let arrays = arrays.chain(dst.iter().map(|a| (false, a.len(), wanted)));
        if let Some((index, (constant, len, expected))) = arrays
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
        let needed = self.planes_scratch_len(extent, levels);
        if scratch.len() < needed {
            return Err(StencilError::ScratchTooShort {
                len: scratch.len(),
                needed,
            });
        }
        if n == 0 || planes.is_empty() {
            return Ok(());
        }
        let r = layout.radius;
        let side = 2 * r + 1;
        let ring_len = fields * side * plane_len;
        // Planes level `l` (1..=levels) computes.
        let span = |l: usize| {
            let reach = (levels - l) * r;
            planes.start.saturating_sub(reach)..(planes.end + reach).min(depth)
        };
        let blocks = block_loop::<F, T>(self.simd());
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
                // Level l − 1's planes: the source, or the ring below.
                let (below, above) = rings.split_at_mut(l - 1);
                let prev: Option<&[T]> = if l >= 2 { Some(&*below[l - 2]) } else { None };
                let plane = |i: usize, z: usize| -> &[T] {
                    match (i < fields, prev) {
                        (true, None) => &src[i][z * plane_len..][..plane_len],
                        (true, Some(ring)) => {
                            &ring[(i * side + z % side) * plane_len..][..plane_len]
                        }
                        (false, _) => &constants[i - fields][z * plane_len..][..plane_len],
                    }
                };
                let mut outputs: Vec<&mut [T]> = if l == levels {
                    let at = (p - planes.start) * plane_len;
                    dst.iter_mut().map(|o| &mut o[at..at + plane_len]).collect()
                } else {
                    above[0]
                        .chunks_mut(side * plane_len)
                        .map(|ring| &mut ring[(p % side) * plane_len..][..plane_len])
                        .collect()
                };
                let job = Job {
                    formula: self.formula(),
                    boundary: self.boundary(),
                    layout: &layout,
                    extent,
                    plane: &plane,
                    blocks,
                };
                job.lines(&mut outputs, p * height..(p + 1) * height);
            }
        }
        Ok(())
    }
}
