//! Compiling the band executor for the CPU's vector width.
//!
//! Core's [`LinearTaps`] already picks its row kernel at run time (AVX-512, AVX2
//! or portable: [`Isa`]). What remains generic is the band executor's own work
//! between row-kernel calls: copying the frame, padding rows, filling ring edges.
//! [`run_band`] compiles that (core's `run_band` is `#[inline(always)]`) inside a
//! `#[target_feature]` function for the level the taps run with, so those copies
//! use the same wide vectors. The results do not depend on it: only the row
//! kernel computes values, and it is the same function either way.

use std::ops::Range;

use accel_core::ir::stencil::{BlockPlan, Isa, LinearTaps, Shape, Stencil, StencilError};

/// [`Stencil::run_band`], compiled for the instruction set of the stencil's
/// row kernel.
pub(crate) fn run_band(
    stencil: &Stencil<LinearTaps>,
    src: &[f32],
    dst_band: &mut [f32],
    shape: Shape,
    rows: Range<usize>,
    pass: BlockPlan,
    scratch: &mut [f32],
) -> Result<(), StencilError> {
    match stencil.kernel().isa() {
        // SAFETY: the taps only run with a level `Isa::is_supported` approved
        // (core detects it with cpuid), so this CPU has AVX-512F and AVX2.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe {
            x86::run_band_avx512(stencil, src, dst_band, shape, rows, pass, scratch)
        },
        // SAFETY: as above, this CPU has AVX2.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe {
            x86::run_band_avx2(stencil, src, dst_band, shape, rows, pass, scratch)
        },
        _ => stencil.run_band(src, dst_band, shape, rows, pass, scratch),
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;

    /// [`Stencil::run_band`] compiled for AVX-512.
    ///
    /// # Safety
    /// The CPU must support AVX-512F and AVX2.
    #[target_feature(enable = "avx512f,avx2")]
    pub(super) unsafe fn run_band_avx512(
        stencil: &Stencil<LinearTaps>,
        src: &[f32],
        dst_band: &mut [f32],
        shape: Shape,
        rows: Range<usize>,
        pass: BlockPlan,
        scratch: &mut [f32],
    ) -> Result<(), StencilError> {
        stencil.run_band(src, dst_band, shape, rows, pass, scratch)
    }

    /// [`Stencil::run_band`] compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn run_band_avx2(
        stencil: &Stencil<LinearTaps>,
        src: &[f32],
        dst_band: &mut [f32],
        shape: Shape,
        rows: Range<usize>,
        pass: BlockPlan,
        scratch: &mut [f32],
    ) -> Result<(), StencilError> {
        stencil.run_band(src, dst_band, shape, rows, pass, scratch)
    }
}
