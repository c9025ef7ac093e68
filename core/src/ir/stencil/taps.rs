//! Linear stencils: a list of taps (offset + weight) and its fixed evaluation order.
//!
//! A [`LinearTaps`] is validated once (offsets inside the radius, no duplicates,
//! finite weights) and then classified into one of two evaluation plans. The plan
//! *is* the definition of the result, bit for bit, so both executors get it from
//! the same [`RowKernel::apply_row`]:
//!
//! * **Mirror-symmetric** (dense `(2r+1)²` taps with `r ∈ 1..=3` whose weights are
//!   bitwise equal under `dy → −dy` and under `dx → −dx`, e.g. the blur's Gaussian):
//!   with `p(dy, dx)` the neighbour of the output point,
//!   ```text
//!   V₀(c) = p(0, c),   V_k(c) = p(−k, c) + p(k, c)                   k = 1..r
//!   C_j(c) = (…((w₀ⱼ·V₀(c) + w₁ⱼ·V₁(c)) + w₂ⱼ·V₂(c)) + …) + w_rⱼ·V_r(c)  j = 0..r
//!   out    = (…((C₀(0) + (C₁(−1) + C₁(1))) + (C₂(−2) + C₂(2))) + …)
//!   ```
//!   where `w_kj` is the weight at `(±k, ±j)`. It needs `2r` vertical adds,
//!   `(r+1)²` multiplies and `r(r+1)` adds for the column combinations and `2r`
//!   horizontal adds: 21 operations per point for 5×5 instead of 49 (25 multiplies,
//!   24 adds), and the column combinations are shared by `2r + 1` outputs. Nothing
//!   about the data is assumed; only the weights' symmetry is detected.
//! * **General** (anything else): `out = (…((w₀·p₀ + w₁·p₁) + w₂·p₂) + …)` in the
//!   order the taps were declared.
//!
//! Both accumulate in `f32` with separate multiplies and adds (no fused
//! multiply-add), so the result is the same on every CPU and in every build.

use super::MAX_RADIUS;
use super::error::StencilError;
use super::kernel::RowKernel;
use crate::simd::SimdPath;

/// The most taps a [`LinearTaps`] holds (a dense 9×9 neighbourhood).
pub const MAX_TAPS: usize = 81;

/// The blur weights of ARCHITECTURE.md §5.3: a 5×5 Gaussian, rows are `dy = −2..=2`,
/// columns `dx = −2..=2`. They sum to 0.9997, so a constant image darkens by about
/// 3 % over 100 iterations; that is the specification.
pub const GAUSSIAN_5X5: [[f32; 5]; 5] = [
    [0.0030, 0.0133, 0.0219, 0.0133, 0.0030],
    [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
    [0.0219, 0.0983, 0.1621, 0.0983, 0.0219],
    [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
    [0.0030, 0.0133, 0.0219, 0.0133, 0.0030],
];

/// Largest radius with a fused mirror-symmetric kernel.
pub(super) const SYMMETRIC_MAX_RADIUS: usize = 3;

/// Columns per chunk of a row: chunk temporaries live on the stack and in L1.
/// On bare-metal targets (`target_os = "none"`: microcontrollers, with a few KB
/// of stack and no data cache to fill) a chunk is 32 columns, which keeps the
/// symmetric plan's column combinations at 768 bytes instead of 4.3 KB; every
/// output is computed by the same operations in the same order either way, so
/// the results are bit-identical.
#[cfg(not(target_os = "none"))]
const CHUNK: usize = 256;
/// Columns per chunk of a row (bare-metal size, see the other definition).
#[cfg(target_os = "none")]
const CHUNK: usize = 32;

/// One linear tap: `weight × value at (row + dy, column + dx)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tap {
    /// Row offset (negative is up).
    pub dy: i32,
    /// Column offset (negative is left).
    pub dx: i32,
    /// The weight.
    pub weight: f32,
}

impl Tap {
    /// A tap at `(dy, dx)` with the given weight.
    pub const fn new(dy: i32, dx: i32, weight: f32) -> Self {
        Self { dy, dx, weight }
    }
}

/// Symmetric weights indexed `[k][j]` = weight at `(±k, ±j)`.
pub(super) type HalfGrid = [[f32; SYMMETRIC_MAX_RADIUS + 1]; SYMMETRIC_MAX_RADIUS + 1];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Plan {
    Symmetric(HalfGrid),
    General,
}

/// A validated linear stencil: weighted sum of a point's neighbours.
///
/// See the module docs for the exact evaluation order. The row kernel runs with
/// the best [`SimdPath`] the CPU supports (detected when the taps are built); the
/// result does not depend on it.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearTaps {
    radius: usize,
    taps: [Tap; MAX_TAPS],
    len: usize,
    plan: Plan,
    simd: SimdPath,
}

impl LinearTaps {
    /// Validates `taps` against `radius` and chooses the evaluation plan.
    ///
    /// # Errors
    /// [`StencilError::RadiusTooLarge`], [`StencilError::NoTaps`],
    /// [`StencilError::TooManyTaps`], [`StencilError::OffsetBeyondRadius`],
    /// [`StencilError::NonFiniteWeight`] or [`StencilError::DuplicateTap`], naming
    /// the first offending value.
    pub fn new(radius: usize, taps: &[Tap]) -> Result<Self, StencilError> {
        if radius > MAX_RADIUS {
            return Err(StencilError::RadiusTooLarge {
                radius,
                max: MAX_RADIUS,
            });
        }
        if taps.is_empty() {
            return Err(StencilError::NoTaps);
        }
        if taps.len() > MAX_TAPS {
            return Err(StencilError::TooManyTaps {
                count: taps.len(),
                max: MAX_TAPS,
            });
        }
        for (i, t) in taps.iter().enumerate() {
            let r = radius as i64;
            if (t.dy as i64).abs() > r || (t.dx as i64).abs() > r {
                return Err(StencilError::OffsetBeyondRadius {
                    dy: t.dy,
                    dx: t.dx,
                    radius,
                });
            }
            if !t.weight.is_finite() {
                return Err(StencilError::NonFiniteWeight {
                    dy: t.dy,
                    dx: t.dx,
                    weight: t.weight,
                });
            }
            if taps[..i].iter().any(|u| u.dy == t.dy && u.dx == t.dx) {
                return Err(StencilError::DuplicateTap { dy: t.dy, dx: t.dx });
            }
        }
        let mut stored = [Tap::new(0, 0, 0.0); MAX_TAPS];
        stored[..taps.len()].copy_from_slice(taps);
        let plan = symmetric_plan(radius, taps).map_or(Plan::General, Plan::Symmetric);
        Ok(Self {
            radius,
            taps: stored,
            len: taps.len(),
            plan,
            simd: SimdPath::active(),
        })
    }

    /// A dense stencil from a row-major `(2r+1) × (2r+1)` grid of weights
    /// (`grid[(dy + r)(2r + 1) + dx + r]`); every entry is a tap, zeros included.
    ///
    /// # Errors
    /// [`StencilError::GridLength`] if the grid is not `(2r+1)²` long, and the
    /// errors of [`LinearTaps::new`].
    pub fn from_grid(radius: usize, grid: &[f32]) -> Result<Self, StencilError> {
        if radius > MAX_RADIUS {
            return Err(StencilError::RadiusTooLarge {
                radius,
                max: MAX_RADIUS,
            });
        }
        let side = 2 * radius + 1;
        if grid.len() != side * side {
            return Err(StencilError::GridLength {
                len: grid.len(),
                radius,
            });
        }
        if grid.len() > MAX_TAPS {
            return Err(StencilError::TooManyTaps {
                count: grid.len(),
                max: MAX_TAPS,
            });
        }
        let mut taps = [Tap::new(0, 0, 0.0); MAX_TAPS];
        let r = radius as i32;
        for (i, (t, &w)) in taps.iter_mut().zip(grid).enumerate() {
            *t = Tap::new((i / side) as i32 - r, (i % side) as i32 - r, w);
        }
        Self::new(radius, &taps[..grid.len()])
    }

    /// The blur stencil: [`GAUSSIAN_5X5`] as a dense radius-2 grid.
    pub fn gaussian_5x5() -> Self {
        Self::gaussian_scaled(|w| w)
    }

    /// [`GAUSSIAN_5X5`] with every weight mapped by `scale`, as a dense radius-2
    /// grid (always valid: 25 taps of radius 2).
    fn gaussian_scaled(scale: impl Fn(f32) -> f32) -> Self {
        let flat: [f32; 25] = core::array::from_fn(|i| scale(GAUSSIAN_5X5[i / 5][i % 5]));
        match Self::from_grid(2, &flat) {
            Ok(t) => t,
            Err(e) => unreachable!("a 5×5 grid of radius 2 is valid: {e}"),
        }
    }

    /// [`GAUSSIAN_5X5`] rescaled so that its weights sum to 1 (each divided by
    /// the sum, 0.9997, in f64 and rounded to f32): flat areas keep their level,
    /// where the benchmark's own weights darken them by about 3 % per 100
    /// iterations. Still mirror-symmetric, so it runs on the same fast plan.
    ///
    /// ```
    /// use accel_core::ir::stencil::LinearTaps;
    /// let taps = LinearTaps::gaussian_5x5_normalized();
    /// let sum: f64 = taps.taps().iter().map(|t| f64::from(t.weight)).sum();
    /// assert!((sum - 1.0).abs() < 1e-6);
    /// assert!(taps.is_symmetric());
    /// ```
    pub fn gaussian_5x5_normalized() -> Self {
        let sum: f64 = GAUSSIAN_5X5.iter().flatten().map(|&w| f64::from(w)).sum();
        Self::gaussian_scaled(|w| (f64::from(w) / sum) as f32)
    }

    /// The taps, in declaration order.
    pub fn taps(&self) -> &[Tap] {
        &self.taps[..self.len]
    }

    /// The weight at `(dy, dx)`, or `None` if there is no tap there.
    pub fn weight(&self, dy: i32, dx: i32) -> Option<f32> {
        self.taps()
            .iter()
            .find(|t| t.dy == dy && t.dx == dx)
            .map(|t| t.weight)
    }

    /// Whether the fused mirror-symmetric plan was chosen (see the module docs).
    pub fn is_symmetric(&self) -> bool {
        matches!(self.plan, Plan::Symmetric(_))
    }

    /// The SIMD path the row kernel runs with ([`SimdPath::active`] when the
    /// taps were built).
    pub fn simd(&self) -> SimdPath {
        self.simd
    }

    /// The same taps running on SIMD path `path` (to compare paths, or to
    /// measure one). Results are identical whichever is chosen.
    ///
    /// # Errors
    /// [`StencilError::SimdUnsupported`] if this CPU cannot run `path`.
    pub fn with_simd(mut self, path: SimdPath) -> Result<Self, StencilError> {
        if !path.is_supported() {
            return Err(StencilError::SimdUnsupported { path });
        }
        self.simd = path;
        Ok(self)
    }

    /// The half grid of the symmetric plan, if chosen.
    #[cfg(target_arch = "x86_64")]
    pub(super) fn half_grid(&self) -> Option<&HalfGrid> {
        match &self.plan {
            Plan::Symmetric(w) => Some(w),
            Plan::General => None,
        }
    }

    /// The radius (for the plan dispatch of the x86 kernels).
    #[cfg(target_arch = "x86_64")]
    pub(super) fn radius_of_plan(&self) -> usize {
        self.radius
    }

    /// The row kernel in plain Rust (what every [`SimdPath`] computes).
    #[inline(always)]
    pub(super) fn apply_portable(&self, window: &[&[f32]], out: &mut [f32]) {
        match (&self.plan, self.radius) {
            (Plan::Symmetric(w), 1) => symmetric_row::<1>(w, window, out),
            (Plan::Symmetric(w), 2) => symmetric_row::<2>(w, window, out),
            (Plan::Symmetric(w), 3) => symmetric_row::<3>(w, window, out),
            _ => general_row(self.taps(), self.radius, window, out),
        }
    }
}

/// The half grid if `taps` is dense, mirror-symmetric in both axes and has a
/// radius with a fused kernel.
fn symmetric_plan(radius: usize, taps: &[Tap]) -> Option<HalfGrid> {
    let side = 2 * radius + 1;
    if !(1..=SYMMETRIC_MAX_RADIUS).contains(&radius) || taps.len() != side * side {
        return None;
    }
    // Dense and duplicate-free (validated), so every offset is present.
    let at = |dy: i32, dx: i32| {
        taps.iter()
            .find(|t| t.dy == dy && t.dx == dx)
            .map(|t| t.weight.to_bits())
    };
    let mut half = [[0.0; SYMMETRIC_MAX_RADIUS + 1]; SYMMETRIC_MAX_RADIUS + 1];
    for t in taps {
        let mirror_v = at(-t.dy, t.dx)?;
        let mirror_h = at(t.dy, -t.dx)?;
        if mirror_v != t.weight.to_bits() || mirror_h != t.weight.to_bits() {
            return None;
        }
        half[t.dy.unsigned_abs() as usize][t.dx.unsigned_abs() as usize] = t.weight;
    }
    Some(half)
}

impl RowKernel for LinearTaps {
    type Value = f32;

    #[inline(always)]
    fn radius(&self) -> usize {
        self.radius
    }

    #[inline]
    fn apply_row(&self, window: &[&[f32]], out: &mut [f32]) {
        match self.simd {
            // SAFETY: `simd` is only ever set to a path `SimdPath::is_supported` approved
            // (detection in `new`, the check in `with_simd`).
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => unsafe { super::x86::apply_avx512(self, window, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx2 => unsafe { super::x86::apply_avx2(self, window, out) },
            _ => self.apply_portable(window, out),
        }
    }

    #[inline]
    fn apply_row_pair(&self, window: &[&[f32]], upper: &mut [f32], lower: &mut [f32]) {
        match self.simd {
            // SAFETY: `simd` is only ever set to a supported path (see `apply_row`).
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => unsafe {
                super::x86::apply_pair_avx512(self, window, upper, lower)
            },
            _ => {
                let side = window.len() - 1;
                self.apply_row(&window[..side], upper);
                self.apply_row(&window[1..], lower);
            }
        }
    }
}

/// Length of one row of [`Combinations`]: a chunk and its halo, rounded up to
/// whole cache lines.
const COMB_ROW: usize = (CHUNK + 2 * SYMMETRIC_MAX_RADIUS).next_multiple_of(16);

/// Column combinations of one chunk. Every row starts on a cache line, so the
/// vector stores of the first loop never straddle two lines.
#[repr(C, align(64))]
struct Combinations([[f32; COMB_ROW]; SYMMETRIC_MAX_RADIUS + 1]);

/// The mirror-symmetric plan for radius `R` (module docs), chunk by chunk.
///
/// Per chunk of up to [`CHUNK`] outputs it first forms the column combinations
/// `C_j` over the chunk plus `R` columns each side, then the horizontal sums. Both
/// loops run over slices whose lengths the compiler can see, so they vectorise.
#[inline(always)]
pub(super) fn symmetric_row<const R: usize>(w: &HalfGrid, window: &[&[f32]], out: &mut [f32]) {
    debug_assert!(window.len() == 2 * R + 1);
    let n = out.len();
    let mut comb = Combinations([[0.0; COMB_ROW]; SYMMETRIC_MAX_RADIUS + 1]);
    let mut x0 = 0;
    while x0 < n {
        let m = (n - x0).min(CHUNK);
        let span = m + 2 * R;
        let centre = &window[R][x0..x0 + span];
        let up: [&[f32]; R] = core::array::from_fn(|k| &window[R - 1 - k][x0..x0 + span]);
        let down: [&[f32]; R] = core::array::from_fn(|k| &window[R + 1 + k][x0..x0 + span]);
        {
            let [c0, c1, c2, c3] = &mut comb.0;
            let mut c = [
                &mut c0[..span],
                &mut c1[..span],
                &mut c2[..span],
                &mut c3[..span],
            ];
            for i in 0..span {
                let v0 = centre[i];
                let v: [f32; R] = core::array::from_fn(|k| up[k][i] + down[k][i]);
                for (j, cj) in c.iter_mut().enumerate().take(R + 1) {
                    let mut acc = w[0][j] * v0;
                    for k in 1..=R {
                        acc += w[k][j] * v[k - 1];
                    }
                    cj[i] = acc;
                }
            }
        }
        let c = &comb.0;
        let centre = &c[0][R..R + m];
        let left: [&[f32]; R] = core::array::from_fn(|j| &c[j + 1][R - 1 - j..R - 1 - j + m]);
        let right: [&[f32]; R] = core::array::from_fn(|j| &c[j + 1][R + 1 + j..R + 1 + j + m]);
        for (i, o) in out[x0..x0 + m].iter_mut().enumerate() {
            let mut acc = centre[i];
            for j in 0..R {
                acc += left[j][i] + right[j][i];
            }
            *o = acc;
        }
        x0 += m;
    }
}

/// The general plan: taps in declaration order, one pass per tap over an L1 chunk.
#[inline(always)]
fn general_row(taps: &[Tap], r: usize, window: &[&[f32]], out: &mut [f32]) {
    let n = out.len();
    let Some((first, rest)) = taps.split_first() else {
        return;
    };
    let src = |t: &Tap, x0: usize, m: usize| {
        let row = window[(r as i64 + t.dy as i64) as usize];
        let start = (x0 as i64 + r as i64 + t.dx as i64) as usize;
        &row[start..start + m]
    };
    let mut x0 = 0;
    while x0 < n {
        let m = (n - x0).min(CHUNK);
        let o = &mut out[x0..x0 + m];
        for (o, s) in o.iter_mut().zip(src(first, x0, m)) {
            *o = first.weight * s;
        }
        for t in rest {
            for (o, s) in o.iter_mut().zip(src(t, x0, m)) {
                *o += t.weight * s;
            }
        }
        x0 += m;
    }
}
