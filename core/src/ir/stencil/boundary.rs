//! Boundary modes: what a stencil reads outside the plane, and which points it writes.
//!
//! The names (`skip`, `zero-src`, `wrap`, `clamp`) are part of the command-line
//! interface: [`Boundary`] parses them with [`FromStr`] and prints them with
//! [`Display`](fmt::Display), so `b.to_string().parse() == Ok(b)`.

use core::fmt;
use core::str::FromStr;

/// How a stencil treats points whose neighbourhood leaves the plane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Boundary {
    /// Points closer than the radius to an edge are not written: they keep their
    /// previous value, so under Jacobi iteration they keep the input's values
    /// (ParallelAccelerator's `oob_skip`). A plane smaller than `2r + 1` in either
    /// dimension is returned unchanged.
    #[default]
    Skip,
    /// Every point is written; reads outside the plane are 0.
    ZeroSrc,
    /// Every point is written; the plane is periodic in both dimensions.
    Wrap,
    /// Every point is written; a read outside the plane returns the nearest edge
    /// point (replicated border).
    Clamp,
}

impl Boundary {
    /// All modes, in a stable order (handy for tests and command-line help).
    pub const ALL: [Boundary; 4] = [
        Boundary::Skip,
        Boundary::ZeroSrc,
        Boundary::Wrap,
        Boundary::Clamp,
    ];

    /// The mode's command-line name.
    pub const fn name(self) -> &'static str {
        match self {
            Boundary::Skip => "skip",
            Boundary::ZeroSrc => "zero-src",
            Boundary::Wrap => "wrap",
            Boundary::Clamp => "clamp",
        }
    }
}

impl Boundary {
    /// Where a read at index `i` along a dimension of `n` values lands: the
    /// index itself inside, the nearest edge (`clamp`), `i mod n` (`wrap`, as
    /// often as needed), or `None` for a zero (`zero-src`). `skip` never reads
    /// outside (points that would are not computed); it clamps.
    #[inline]
    pub(crate) fn resolve(self, i: isize, n: usize) -> Option<usize> {
        if (0..n as isize).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Boundary::ZeroSrc => None,
            Boundary::Wrap => Some(i.rem_euclid(n as isize) as usize),
            Boundary::Clamp | Boundary::Skip => Some(if i < 0 { 0 } else { n - 1 }),
        }
    }
}

impl fmt::Display for Boundary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The text given to [`Boundary::from_str`] names no mode.
///
/// It keeps (up to [`ParseBoundaryError::KEPT`] bytes of) the rejected text so that
/// the message can quote it without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseBoundaryError {
    text: [u8; ParseBoundaryError::KEPT],
    len: usize,
    truncated: bool,
}

impl ParseBoundaryError {
    /// How many bytes of the rejected text are kept for the message.
    pub const KEPT: usize = 32;

    fn new(s: &str) -> Self {
        let mut len = s.len().min(Self::KEPT);
        while !s.is_char_boundary(len) {
            len -= 1;
        }
        let mut text = [0u8; Self::KEPT];
        text[..len].copy_from_slice(&s.as_bytes()[..len]);
        Self {
            text,
            len,
            truncated: len < s.len(),
        }
    }

    /// The rejected text (cut at [`Self::KEPT`] bytes).
    pub fn text(&self) -> &str {
        // The kept prefix was cut at a char boundary of a `str`, so it is UTF-8.
        core::str::from_utf8(&self.text[..self.len]).unwrap_or("")
    }
}

impl fmt::Display for ParseBoundaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dots = if self.truncated { "…" } else { "" };
        write!(
            f,
            "unknown boundary mode \"{}{dots}\": expected one of skip, zero-src, wrap, clamp",
            self.text()
        )
    }
}

impl core::error::Error for ParseBoundaryError {}

impl FromStr for Boundary {
    type Err = ParseBoundaryError;

    /// Parses a mode name, ignoring ASCII case and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Boundary::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| ParseBoundaryError::new(s))
    }
}
