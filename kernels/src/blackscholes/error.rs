//! Why a Black-Scholes call refused its arguments.

use core::fmt;

/// A rejected Black-Scholes call. Nothing is written when one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlackScholesError {
    /// An input array, or the output, does not have one element per option.
    LengthMismatch {
        /// Which array: `"strike"`, `"rate"`, `"vol"`, `"time"` or `"put"`.
        array: &'static str,
        /// The number of options (the length of `spt`).
        expected: usize,
        /// That array's length.
        found: usize,
    },
    /// A SIMD code path was requested that this CPU cannot run.
    UnsupportedSimd {
        /// The path's name (see [`SimdPath::name`](super::SimdPath::name)).
        path: &'static str,
    },
}

impl fmt::Display for BlackScholesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BlackScholesError::LengthMismatch {
                array,
                expected,
                found,
            } => write!(
                f,
                "`{array}` has {found} elements, but there are {expected} options (the length of `spt`)"
            ),
            BlackScholesError::UnsupportedSimd { path } => {
                write!(f, "this CPU cannot run the {path} code path")
            }
        }
    }
}

impl std::error::Error for BlackScholesError {}
