//! Why a stencil, a plane or an executor call was rejected.
//!
//! Every variant carries the offending values, so that a message such as
//! "tap offset (3, 0) lies beyond the declared radius 2" can be shown as is.

use core::fmt;

use crate::simd::SimdPath;

/// A stencil description or an executor call that cannot be run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StencilError {
    /// The buffer does not hold `width × height` values.
    PlaneLength {
        /// Length of the buffer that was passed.
        len: usize,
        /// Declared width.
        width: usize,
        /// Declared height.
        height: usize,
    },
    /// `width × height` (or a padded size derived from it) overflows `usize`.
    SizeOverflow {
        /// Declared width.
        width: usize,
        /// Declared height.
        height: usize,
    },
    /// One dimension is zero and the other is not: such a plane has no rows of
    /// its declared width (or rows of no width) and is almost certainly a mix-up.
    EmptyDimension {
        /// Declared width.
        width: usize,
        /// Declared height.
        height: usize,
    },
    /// A tap offset lies outside the declared radius.
    OffsetBeyondRadius {
        /// Row offset of the tap.
        dy: i32,
        /// Column offset of the tap.
        dx: i32,
        /// Declared radius.
        radius: usize,
    },
    /// The same offset appears twice in a tap list.
    DuplicateTap {
        /// Row offset of the repeated tap.
        dy: i32,
        /// Column offset of the repeated tap.
        dx: i32,
    },
    /// A tap weight is NaN or infinite.
    NonFiniteWeight {
        /// Row offset of the tap.
        dy: i32,
        /// Column offset of the tap.
        dx: i32,
        /// The weight.
        weight: f32,
    },
    /// A linear stencil with no taps at all.
    NoTaps,
    /// More taps than [`MAX_TAPS`](super::MAX_TAPS).
    TooManyTaps {
        /// Number of taps given.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// A dense weight grid whose length is not `(2·radius + 1)²`.
    GridLength {
        /// Length of the grid that was passed.
        len: usize,
        /// Declared radius.
        radius: usize,
    },
    /// The radius exceeds [`MAX_RADIUS`](super::MAX_RADIUS).
    RadiusTooLarge {
        /// Declared radius.
        radius: usize,
        /// The maximum.
        max: usize,
    },
    /// A band's row range does not lie inside the plane.
    RowsOutOfRange {
        /// First row of the band.
        start: usize,
        /// One past the last row of the band.
        end: usize,
        /// Plane height.
        height: usize,
    },
    /// The destination band does not hold `rows × width` values.
    BandLength {
        /// Length of the destination band.
        len: usize,
        /// Number of rows in the band.
        rows: usize,
        /// Plane width.
        width: usize,
    },
    /// A strip width of zero was requested.
    ZeroStripWidth,
    /// A pass asks for more levels than [`MAX_LEVELS`](super::blocked::MAX_LEVELS).
    TooManyLevels {
        /// Levels requested.
        levels: usize,
        /// The maximum.
        max: usize,
    },
    /// The requested instruction set is not available on this CPU.
    SimdUnsupported {
        /// The path asked for.
        path: SimdPath,
    },
    /// The caller's scratch buffer is shorter than the executor needs.
    ScratchTooShort {
        /// Length of the scratch buffer that was passed.
        len: usize,
        /// Length needed.
        needed: usize,
    },
    /// An [`Extent`](super::system::Extent) mixes zero and non-zero dimensions.
    ExtentDimension {
        /// Values per row.
        width: usize,
        /// Rows per plane.
        height: usize,
        /// Planes.
        depth: usize,
    },
    /// `width × height × depth` overflows `usize`.
    ExtentOverflow {
        /// Values per row.
        width: usize,
        /// Rows per plane.
        height: usize,
        /// Planes.
        depth: usize,
    },
    /// A stencil system's formula declares no field or no level.
    EmptySystem {
        /// Fields declared.
        fields: usize,
        /// Levels declared per field.
        levels: usize,
    },
    /// A stencil system's window would hold more rows than the executors keep.
    WindowTooLarge {
        /// Rows needed: inputs × (2r + 1)^(dims − 1).
        rows: usize,
        /// The maximum.
        max: usize,
    },
    /// The wrong number of field buffers was passed to a stencil system.
    BufferCount {
        /// Buffers passed.
        given: usize,
        /// `fields × (levels + 1)`.
        expected: usize,
    },
    /// The wrong number of constant arrays was passed to a stencil system.
    ConstantCount {
        /// Arrays passed.
        given: usize,
        /// Constants the formula reads.
        expected: usize,
    },
    /// A call of one iteration ([`StencilSystem::step_lines`](super::system::StencilSystem::step_lines))
    /// was given the wrong number of inputs (all levels of all fields, then
    /// the constants) or outputs (one per field).
    StepArrays {
        /// Inputs passed.
        inputs: usize,
        /// Inputs the formula reads.
        expected_inputs: usize,
        /// Outputs passed.
        outputs: usize,
        /// Fields the formula updates.
        expected_outputs: usize,
    },
    /// A field buffer or constant array does not hold the extent's values.
    ArrayLength {
        /// Whether it is a constant array (else a field buffer).
        constant: bool,
        /// Its index among the buffers (or the constants).
        index: usize,
        /// Its length.
        len: usize,
        /// The extent's number of values.
        expected: usize,
    },
}

impl fmt::Display for StencilError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::PlaneLength { len, width, height } => write!(
                f,
                "buffer holds {len} values but the plane is {width}×{height}"
            ),
            Self::SizeOverflow { width, height } => {
                write!(f, "plane size {width}×{height} overflows usize")
            }
            Self::EmptyDimension { width, height } => write!(
                f,
                "plane {width}×{height} has one zero and one nonzero dimension"
            ),
            Self::OffsetBeyondRadius { dy, dx, radius } => write!(
                f,
                "tap offset ({dy}, {dx}) lies beyond the declared radius {radius}"
            ),
            Self::DuplicateTap { dy, dx } => write!(f, "tap offset ({dy}, {dx}) appears twice"),
            Self::NonFiniteWeight { dy, dx, weight } => {
                write!(f, "tap ({dy}, {dx}) has non-finite weight {weight}")
            }
            Self::NoTaps => f.write_str("linear stencil has no taps"),
            Self::TooManyTaps { count, max } => {
                write!(f, "{count} taps given, at most {max} are supported")
            }
            Self::GridLength { len, radius } => write!(
                f,
                "weight grid has {len} values but radius {radius} needs {}",
                (2 * radius + 1) * (2 * radius + 1)
            ),
            Self::RadiusTooLarge { radius, max } => {
                write!(f, "radius {radius} exceeds the maximum {max}")
            }
            Self::RowsOutOfRange { start, end, height } => {
                write!(f, "band rows {start}..{end} do not lie in 0..{height}")
            }
            Self::BandLength { len, rows, width } => write!(
                f,
                "destination band holds {len} values but {rows} rows of width {width} need {}",
                rows.saturating_mul(width)
            ),
            Self::ZeroStripWidth => f.write_str("strip width must be at least 1"),
            Self::TooManyLevels { levels, max } => {
                write!(f, "a pass of {levels} levels exceeds the maximum {max}")
            }
            Self::SimdUnsupported { path } => {
                write!(f, "the {path} SIMD path is not supported by this CPU")
            }
            Self::ScratchTooShort { len, needed } => {
                write!(f, "scratch holds {len} values but {needed} are needed")
            }
            Self::ExtentDimension {
                width,
                height,
                depth,
            } => write!(
                f,
                "grid {width}×{height}×{depth} has both zero and nonzero dimensions"
            ),
            Self::ExtentOverflow {
                width,
                height,
                depth,
            } => write!(f, "grid size {width}×{height}×{depth} overflows usize"),
            Self::EmptySystem { fields, levels } => write!(
                f,
                "a stencil system needs at least one field and one level, not {fields} fields of {levels} levels"
            ),
            Self::WindowTooLarge { rows, max } => write!(
                f,
                "the stencil system's window needs {rows} rows, at most {max} are supported (fewer inputs or a smaller radius)"
            ),
            Self::BufferCount { given, expected } => write!(
                f,
                "{given} field buffers given, the system rotates {expected} (fields × (levels + 1))"
            ),
            Self::ConstantCount { given, expected } => {
                write!(
                    f,
                    "{given} constant arrays given, the formula reads {expected}"
                )
            }
            Self::StepArrays {
                inputs,
                expected_inputs,
                outputs,
                expected_outputs,
            } => write!(
                f,
                "one iteration takes {expected_inputs} inputs and {expected_outputs} outputs, not {inputs} and {outputs}"
            ),
            Self::ArrayLength {
                constant,
                index,
                len,
                expected,
            } => write!(
                f,
                "{} {index} holds {len} values but the grid has {expected}",
                if constant {
                    "constant array"
                } else {
                    "field buffer"
                }
            ),
        }
    }
}

impl core::error::Error for StencilError {}
