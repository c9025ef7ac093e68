//! Why a blur call was rejected.
//!
//! The stencil layer already names every problem with a plane precisely
//! ([`StencilError`]); this type keeps that error as it is and adds what only the
//! blur knows: which plane of a multi-plane call was wrong, and that the second
//! (ping-pong) buffer could not be allocated.

use std::fmt;

use accel_core::ir::stencil::StencilError;
use accel_pool::StencilRunError;

/// A blur that cannot be run.
///
/// ```
/// use accel_kernels::blur::{BlurError, BlurOptions, blur_plane_serial};
///
/// let mut plane = vec![0.0f32; 10];
/// let err = blur_plane_serial(&mut plane, 4, 3, &BlurOptions::new(1)).unwrap_err();
/// assert!(matches!(err, BlurError::Stencil(_)));
/// assert_eq!(err.to_string(), "buffer holds 10 values but the plane is 4×3");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BlurError {
    /// The plane (or the options) of a single-plane call were rejected by the
    /// stencil layer: a buffer that does not hold `width × height` values, one
    /// zero dimension, a size that overflows, or a `wrap` radius larger than the
    /// plane.
    Stencil(StencilError),
    /// Plane `index` of a multi-plane call was rejected.
    Plane {
        /// Position of the plane in the slice that was passed.
        index: usize,
        /// What is wrong with it.
        source: StencilError,
    },
    /// The second buffer the Jacobi iteration needs (one plane of `f32`) could
    /// not be allocated.
    OutOfMemory {
        /// Bytes requested.
        bytes: usize,
    },
}

impl fmt::Display for BlurError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stencil(e) => e.fmt(f),
            Self::Plane { index, source } => write!(f, "plane {index}: {source}"),
            Self::OutOfMemory { bytes } => write!(
                f,
                "could not allocate the blur's second buffer ({bytes} bytes)"
            ),
        }
    }
}

impl std::error::Error for BlurError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Stencil(e) | Self::Plane { source: e, .. } => Some(e),
            Self::OutOfMemory { .. } => None,
        }
    }
}

impl From<StencilRunError> for BlurError {
    fn from(e: StencilRunError) -> Self {
        match e {
            StencilRunError::Stencil(e) => Self::Stencil(e),
            StencilRunError::Plane { index, source } => Self::Plane { index, source },
            StencilRunError::OutOfMemory { bytes } => Self::OutOfMemory { bytes },
        }
    }
}

impl From<StencilError> for BlurError {
    fn from(e: StencilError) -> Self {
        Self::Stencil(e)
    }
}
