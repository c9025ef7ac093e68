//! The reference executor of a stencil system: every point on its own, every
//! read mapped through the boundary rule. It is the definition the fast
//! executors are tested against, so it is written for obviousness.

use alloc::vec;
use alloc::vec::Vec;

use super::super::point::StencilElement;
use super::{Cells, Extent, StencilSystem, SystemFormula};
use crate::ir::stencil::{Boundary, StencilError};

impl<F: SystemFormula, T: StencilElement> StencilSystem<F, T> {
    /// Runs the system's iterations on `buffers` (`fields × (levels + 1)`,
    /// laid out as the module docs say) with read-only `constants`, one point
    /// at a time.
    ///
    /// # Errors
    /// Those of [`StencilSystem::check`]; nothing is touched then.
    pub fn run_reference(
        &self,
        extent: Extent,
        buffers: &mut [&mut [T]],
        constants: &[&[T]],
    ) -> Result<(), StencilError> {
        let layout = self.layout(extent);
        let levels = layout.levels;
        let r = layout.radius as isize;
        let side = 2 * layout.radius + 1;
        let [depth, height, width] = extent.sizes();
        let reach = [layout.rz as isize, layout.ry as isize, r];
        let mut values = vec![T::ZERO; layout.rows() * side];
        self.run_steps(
            extent,
            buffers,
            constants,
            self.iterations(),
            |inputs, outputs| {
                for z in 0..depth {
                    for y in 0..height {
                        for x in 0..width {
                            let at = [z as isize, y as isize, x as isize];
                            let index = (z * height + y) * width + x;
                            let sizes = [depth, height, width];
                            let frame = (0..3)
                                .any(|d| at[d] < reach[d] || at[d] >= sizes[d] as isize - reach[d]);
                            if self.boundary() == Boundary::Skip && frame {
                                for (f, out) in outputs.iter_mut().enumerate() {
                                    out[index] = inputs[f * levels][index];
                                }
                                continue;
                            }
                            // The neighbourhood, window row by window row.
                            for (input, source) in inputs.iter().enumerate() {
                                for dz in -reach[0]..=reach[0] {
                                    for dy in -reach[1]..=reach[1] {
                                        let row = input * layout.per_input
                                            + (dz + reach[0]) as usize * layout.z_step
                                            + (dy + reach[1]) as usize * layout.y_step;
                                        for dx in -r..=r {
                                            let near = [at[0] + dz, at[1] + dy, at[2] + dx];
                                            let mut to = Some(0);
                                            for d in 0..3 {
                                                to = match (
                                                    to,
                                                    self.boundary().resolve(near[d], sizes[d]),
                                                ) {
                                                    (Some(i), Some(c)) => Some(i * sizes[d] + c),
                                                    _ => None,
                                                };
                                            }
                                            values[row * side + (dx + r) as usize] =
                                                to.map_or(T::ZERO, |i| source[i]);
                                        }
                                    }
                                }
                            }
                            let rows: Vec<&[T]> = values.chunks_exact(side).collect();
                            // SAFETY: one row of `2r + 1` values per window row,
                            // read at column `r`: `r + r + 1` values fit.
                            let cells = unsafe { Cells::new(&rows, layout.radius, layout) };
                            for (f, out) in outputs.iter_mut().enumerate() {
                                out[index] = self.formula().eval::<T>(f, &cells);
                            }
                        }
                    }
                }
                Ok(())
            },
        )
    }
}
