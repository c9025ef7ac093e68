//! The reference executor: one Jacobi iteration at a time over the whole plane.
//!
//! It is the literal reading of the semantics: both ping-pong buffers start as
//! copies of the input; each iteration builds, for the non-skip modes, a padded
//! copy of the previous plane (`r` extra rows and columns on every side filled by
//! the boundary rule) and computes every output row from `2r + 1` rows of it; for
//! [`Boundary::Skip`] it computes only the interior rows and columns, so the frame
//! keeps its values. The result is copied into the caller's buffer if the
//! iteration count left it in the other one.

use super::{Boundary, MAX_WINDOW, RowKernel, Shape, Stencil, StencilError};
use crate::ir::Element;

impl<K: RowKernel> Stencil<K> {
    /// Scratch length [`Stencil::run_reference`] needs for a `shape` plane: the
    /// second ping-pong plane, plus a padded plane `(w + 2r)(h + 2r)` for the
    /// non-skip boundaries.
    ///
    /// # Errors
    /// Those of [`Shape::area`], or [`StencilError::SizeOverflow`].
    pub fn reference_scratch_len(&self, shape: Shape) -> Result<usize, StencilError> {
        let n = shape.area()?;
        if self.boundary() == Boundary::Skip {
            return Ok(n);
        }
        padded_len(shape, self.radius())
            .and_then(|p| p.checked_add(n))
            .ok_or(StencilError::SizeOverflow {
                width: shape.width,
                height: shape.height,
            })
    }

    /// Applies the stencil to `plane` in place, one iteration at a time.
    ///
    /// `scratch` must hold at least [`Stencil::reference_scratch_len`] values; its
    /// contents are ignored and left unspecified.
    ///
    /// # Errors
    /// Those of [`Stencil::check_plane`] and [`Stencil::reference_scratch_len`],
    /// and [`StencilError::ScratchTooShort`].
    pub fn run_reference(
        &self,
        plane: &mut [K::Value],
        shape: Shape,
        scratch: &mut [K::Value],
    ) -> Result<(), StencilError> {
        self.run_reference_reporting(plane, shape, scratch, &mut |_| {})
    }

    /// [`Stencil::run_reference`], calling `done(i)` after iteration `i`
    /// (counting from 1; not called when the stencil leaves the plane unchanged).
    /// This is the executor the pool runs when one thread sweeps alone.
    ///
    /// # Errors
    /// Those of [`Stencil::run_reference`].
    ///
    /// ```
    /// use accel_core::ir::stencil::{Boundary, Shape, Stencil};
    /// let blur = Stencil::blur(Boundary::Clamp, 3);
    /// let shape = Shape::new(8, 8);
    /// let mut plane = vec![1.0f32; 64];
    /// let mut scratch = vec![0.0f32; blur.reference_scratch_len(shape)?];
    /// let mut seen = Vec::new();
    /// blur.run_reference_reporting(&mut plane, shape, &mut scratch, &mut |i| seen.push(i))?;
    /// assert_eq!(seen, [1, 2, 3]);
    /// # Ok::<(), accel_core::ir::stencil::StencilError>(())
    /// ```
    pub fn run_reference_reporting(
        &self,
        plane: &mut [K::Value],
        shape: Shape,
        scratch: &mut [K::Value],
        done: &mut dyn FnMut(usize),
    ) -> Result<(), StencilError> {
        self.check_plane(shape, plane.len())?;
        if self.leaves_unchanged(shape) {
            return Ok(());
        }
        let needed = self.reference_scratch_len(shape)?;
        if scratch.len() < needed {
            return Err(StencilError::ScratchTooShort {
                len: scratch.len(),
                needed,
            });
        }
        let (other, padded) = scratch[..needed].split_at_mut(plane.len());
        other.copy_from_slice(plane);
        let mut in_plane = true;
        for i in 1..=self.iterations() {
            if in_plane {
                self.sweep(plane, other, shape, padded);
            } else {
                self.sweep(other, plane, shape, padded);
            }
            in_plane = !in_plane;
            done(i);
        }
        if !in_plane {
            plane.copy_from_slice(other);
        }
        Ok(())
    }

    /// Like [`Stencil::run_reference`], allocating the scratch.
    ///
    /// # Errors
    /// Those of [`Stencil::run_reference`].
    #[cfg(feature = "alloc")]
    pub fn apply_reference(
        &self,
        plane: &mut [K::Value],
        shape: Shape,
    ) -> Result<(), StencilError> {
        self.check_plane(shape, plane.len())?;
        if self.leaves_unchanged(shape) {
            return Ok(());
        }
        let mut scratch = alloc::vec![K::Value::ZERO; self.reference_scratch_len(shape)?];
        self.run_reference(plane, shape, &mut scratch)
    }

    /// One Jacobi iteration `src → dst`. Under [`Boundary::Skip`] the frame of
    /// `dst` is not written.
    fn sweep(&self, src: &[K::Value], dst: &mut [K::Value], shape: Shape, padded: &mut [K::Value]) {
        let (w, h, r) = (shape.width, shape.height, self.radius());
        let mut window: [&[K::Value]; MAX_WINDOW] = [&[]; MAX_WINDOW];
        let side = 2 * r + 1;
        if self.boundary() == Boundary::Skip {
            for y in r..h - r {
                for (t, row) in window[..side].iter_mut().enumerate() {
                    let yy = y + t - r;
                    *row = &src[yy * w..yy * w + w];
                }
                let out = &mut dst[y * w + r..y * w + w - r];
                self.kernel().apply_row(&window[..side], out);
            }
            return;
        }
        let pw = w + 2 * r;
        let padded = &mut padded[..pw * (h + 2 * r)];
        for (py, prow) in padded.chunks_exact_mut(pw).enumerate() {
            let y = py as isize - r as isize;
            match self.boundary().source_row(y, h) {
                Some(yy) => {
                    let row = &src[yy * w..yy * w + w];
                    for (px, p) in prow.iter_mut().enumerate() {
                        let x = px as isize - r as isize;
                        *p = self
                            .boundary()
                            .source_col(x, w)
                            .map_or(K::Value::ZERO, |xx| row[xx]);
                    }
                }
                None => prow.fill(K::Value::ZERO),
            }
        }
        for (y, out) in dst.chunks_exact_mut(w).enumerate() {
            for (t, row) in window[..side].iter_mut().enumerate() {
                *row = &padded[(y + t) * pw..(y + t + 1) * pw];
            }
            self.kernel().apply_row(&window[..side], out);
        }
    }
}

/// `(w + 2r)(h + 2r)`, checked.
fn padded_len(shape: Shape, r: usize) -> Option<usize> {
    let pw = shape.width.checked_add(2 * r)?;
    let ph = shape.height.checked_add(2 * r)?;
    pw.checked_mul(ph)
}

impl Boundary {
    /// The source row for virtual row `y` of a plane `n` rows high, or `None` if
    /// the read is zero. Only meaningful for the modes that read outside.
    #[inline]
    pub(crate) fn source_row(self, y: isize, n: usize) -> Option<usize> {
        self.source_index(y, n)
    }

    /// The source column for virtual column `x` of a row `n` wide, or `None` if
    /// the read is zero.
    #[inline]
    pub(crate) fn source_col(self, x: isize, n: usize) -> Option<usize> {
        self.source_index(x, n)
    }

    #[inline]
    fn source_index(self, i: isize, n: usize) -> Option<usize> {
        let n = n as isize;
        if (0..n).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Boundary::Wrap => Some(i.rem_euclid(n) as usize),
            Boundary::Clamp => Some(i.clamp(0, n - 1) as usize),
            Boundary::ZeroSrc | Boundary::Skip => None,
        }
    }
}
