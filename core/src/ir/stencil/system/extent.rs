//! [`Extent`]: the size of a row, a plane or a volume, and how a stencil
//! system walks it ([`Extent::lines`]).

use super::super::StencilError;

/// The size of a row-major grid of 1, 2 or 3 dimensions: a row of `width`
/// values, a plane of `height` such rows, or a volume of `depth` such planes.
/// Point `(z, y, x)` sits at index `(z·height + y)·width + x`.
///
/// An extent whose dimensions are all zero is the empty grid; one that mixes
/// zero and non-zero dimensions (a plane of 0 rows of 5 values) is rejected by
/// [`Extent::len`] as the likely mix-up it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Extent {
    width: usize,
    height: usize,
    depth: usize,
    dims: u8,
}

impl Extent {
    /// A row of `width` values (1-D).
    pub const fn row(width: usize) -> Self {
        Self {
            width,
            height: 1,
            depth: 1,
            dims: 1,
        }
    }

    /// A plane of `height` rows of `width` values (2-D).
    pub const fn plane(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            depth: 1,
            dims: 2,
        }
    }

    /// A volume of `depth` planes of `height` rows of `width` values (3-D).
    pub const fn volume(width: usize, height: usize, depth: usize) -> Self {
        Self {
            width,
            height,
            depth,
            dims: 3,
        }
    }

    /// 1, 2 or 3.
    pub const fn dims(&self) -> usize {
        self.dims as usize
    }

    /// Values per row.
    pub const fn width(&self) -> usize {
        self.width
    }

    /// Rows per plane (1 for a row).
    pub const fn height(&self) -> usize {
        self.height
    }

    /// Planes (1 for a row or a plane).
    pub const fn depth(&self) -> usize {
        self.depth
    }

    /// The number of values, checked.
    ///
    /// # Errors
    /// [`StencilError::ExtentDimension`] if some dimensions are zero and others
    /// are not, [`StencilError::ExtentOverflow`] if the product overflows `usize`.
    pub fn len(&self) -> Result<usize, StencilError> {
        let (width, height, depth) = (self.width, self.height, self.depth);
        let used = &[depth, height, width][3 - self.dims as usize..];
        let zeros = used.iter().filter(|&&n| n == 0).count();
        if zeros != 0 && zeros != used.len() {
            return Err(StencilError::ExtentDimension {
                width,
                height,
                depth,
            });
        }
        width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(depth))
            .ok_or(StencilError::ExtentOverflow {
                width,
                height,
                depth,
            })
    }

    /// Whether the grid holds no value.
    pub const fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0 || self.depth == 0
    }

    /// The size along the dimensions a stencil reaches across, outermost first:
    /// `[depth, height, width]`, with 1 for the dimensions this extent lacks.
    pub(crate) const fn sizes(&self) -> [usize; 3] {
        [self.depth, self.height, self.width]
    }

    /// The units the executors split work into: the rows of a plane or volume
    /// (`depth·height` of them, each computed whole), or the columns of a row
    /// (a 1-D grid has one row, which members share by column ranges).
    pub fn lines(&self) -> usize {
        if self.dims == 1 {
            self.width
        } else {
            self.depth * self.height
        }
    }

    /// Values per unit of [`Extent::lines`]: `width` for planes and volumes,
    /// 1 for a row.
    pub fn line_len(&self) -> usize {
        if self.dims == 1 { 1 } else { self.width }
    }
}

impl From<crate::ir::stencil::Shape> for Extent {
    fn from(s: crate::ir::stencil::Shape) -> Self {
        Self::plane(s.width, s.height)
    }
}
