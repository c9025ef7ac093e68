//! Which SIMD path accel's kernels run: detected once, here, and forceable.
//!
//! Every vectorised kernel in accel — the stencil's row kernels, Black-Scholes'
//! fused formula, the fill's streaming stores — comes in up to three builds of
//! the same source, and [`SimdPath::active`] says which one runs:
//!
//! | path | what the CPU must have | lanes of f64 / f32 |
//! |---|---|---|
//! | [`SimdPath::Avx512`] | AVX-512 F, DQ and VL, AVX2, FMA, and an OS that saves the zmm state | 8 / 16 |
//! | [`SimdPath::Avx2`] | AVX2 and FMA, and an OS that saves the ymm state | 4 / 8 |
//! | [`SimdPath::Neon`] | an aarch64 CPU (NEON and FMA are in its baseline) | 2 / 4 |
//! | [`SimdPath::Portable`] | nothing: the build's baseline target, vectorised by the compiler (SSE2 on x86-64, NEON on aarch64), plain math | 2 / 4 |
//!
//! The lane types of the AVX paths live here too (`zmm`, `fma_lanes`), with the
//! one dispatch that runs a [`Formula`](crate::ir::Formula) on a path's lanes:
//! [`map`] and [`sum`].
//!
//! ## Detection
//!
//! This crate is `no_std`, so it cannot use `std::is_x86_feature_detected!`. On
//! x86-64 it asks the CPU directly (`cpuid`, and `xgetbv` for the register state
//! the operating system saves: a CPU with AVX-512 under an OS that does not save
//! zmm registers must not use them), the same checks `std` makes, once; the
//! answer is cached in an atomic. On aarch64 the widest path is
//! [`SimdPath::Neon`] (NEON and FMA are part of the architecture's baseline);
//! elsewhere only [`SimdPath::Portable`] exists.
//!
//! ## Forcing a path
//!
//! [`force`] (a library setting) or the environment variable `ACCEL_SIMD`
//! (`avx512`, `avx2`, `neon` or `portable`; read on first use when the `std` feature is
//! on) makes [`SimdPath::active`] return a narrower path than the CPU's best, so
//! that the AVX2 path can be tested and measured on an AVX-512 machine and the
//! portable path anywhere. A path the CPU lacks is refused: [`force`] returns an
//! error, and an `ACCEL_SIMD` naming one makes the first use panic with a one-line
//! message (a measurement must never silently run another path than the one it
//! names). Programs that want a clean error instead call [`force_from_env`] at
//! start-up, as the `accel` command and `cargo xtask bench` do. The setting is
//! process-wide: set it before any work, not while kernels run.

use core::fmt;
use core::sync::atomic::{AtomicU8, Ordering};

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod fma_lanes;
mod formula;
#[cfg(target_arch = "x86_64")]
mod zmm;

pub use formula::{FormulaError, map, sum};

/// A SIMD path: which build of the vectorised kernels runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SimdPath {
    /// The build's baseline target, vectorised by the compiler (SSE2 on x86-64),
    /// with the plain math (bit-identical to the interpreter).
    Portable,
    /// aarch64 NEON (128-bit vectors) with fused multiply-adds.
    Neon,
    /// x86-64 AVX2 with FMA: 256-bit vectors.
    Avx2,
    /// x86-64 AVX-512 (F, DQ, VL) with AVX2 and FMA: 512-bit vectors.
    Avx512,
}

/// Why a path cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdError {
    /// The name is none of `avx512`, `avx2`, `neon`, `portable`.
    UnknownName,
    /// This CPU cannot run the path.
    Unsupported {
        /// The path asked for.
        requested: SimdPath,
        /// The widest path this CPU runs.
        best: SimdPath,
    },
}

impl fmt::Display for SimdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimdError::UnknownName => {
                f.write_str("unknown SIMD path (expected avx512, avx2, neon or portable)")
            }
            SimdError::Unsupported { requested, best } => write!(
                f,
                "this CPU cannot run the {requested} SIMD path (its widest is {best})"
            ),
        }
    }
}

impl core::error::Error for SimdError {}

impl SimdPath {
    /// Every path, narrowest first (Neon and the AVX paths belong to different
    /// architectures: a CPU runs the portable path and one of the two families).
    pub const ALL: [SimdPath; 4] = [
        SimdPath::Portable,
        SimdPath::Neon,
        SimdPath::Avx2,
        SimdPath::Avx512,
    ];

    /// The widest path this CPU runs, detected once and cached.
    ///
    /// ```
    /// use accel_core::simd::SimdPath;
    /// assert!(SimdPath::best().is_supported());
    /// assert!(SimdPath::active() <= SimdPath::best());
    /// ```
    pub fn best() -> SimdPath {
        match BEST.load(Ordering::Relaxed) {
            0 => {
                let best = detect();
                // Racing threads compute the same answer; any store wins.
                BEST.store(encode(best), Ordering::Relaxed);
                best
            }
            v => decode(v),
        }
    }

    /// The path kernels run now: the forced one ([`force`], `ACCEL_SIMD`) if
    /// any, else [`SimdPath::best`].
    ///
    /// # Panics
    /// On first use, if `ACCEL_SIMD` (with the `std` feature) names an unknown
    /// path or one this CPU lacks (see the module docs).
    pub fn active() -> SimdPath {
        #[cfg(feature = "std")]
        env::apply_once();
        match FORCED.load(Ordering::Relaxed) {
            0 => Self::best(),
            v => decode(v),
        }
    }

    /// Whether this CPU can run the path: the portable one, or a path of this
    /// CPU's family no wider than its best.
    pub fn is_supported(self) -> bool {
        let best = Self::best();
        self == SimdPath::Portable || (self.family() == best.family() && self <= best)
    }

    /// The architecture a path belongs to: 0 for the portable path, 1 for
    /// aarch64's, 2 for x86-64's.
    fn family(self) -> u8 {
        match self {
            SimdPath::Portable => 0,
            SimdPath::Neon => 1,
            SimdPath::Avx2 | SimdPath::Avx512 => 2,
        }
    }

    /// The paths this CPU can run, narrowest first.
    pub fn supported() -> impl Iterator<Item = SimdPath> {
        Self::ALL.into_iter().filter(|p| p.is_supported())
    }

    /// `"avx512"`, `"avx2"`, `"neon"` or `"portable"`: the names `ACCEL_SIMD` takes.
    pub const fn name(self) -> &'static str {
        match self {
            SimdPath::Portable => "portable",
            SimdPath::Neon => "neon",
            SimdPath::Avx2 => "avx2",
            SimdPath::Avx512 => "avx512",
        }
    }

    /// The path a name stands for (ASCII case and surrounding spaces ignored).
    ///
    /// ```
    /// use accel_core::simd::{SimdError, SimdPath};
    /// assert_eq!(SimdPath::from_name(" AVX2 "), Ok(SimdPath::Avx2));
    /// assert_eq!(SimdPath::from_name("sse"), Err(SimdError::UnknownName));
    /// ```
    pub fn from_name(name: &str) -> Result<SimdPath, SimdError> {
        let name = name.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
            .ok_or(SimdError::UnknownName)
    }

    /// `Ok(self)` if this CPU runs it.
    pub fn checked(self) -> Result<SimdPath, SimdError> {
        if self.is_supported() {
            Ok(self)
        } else {
            Err(SimdError::Unsupported {
                requested: self,
                best: Self::best(),
            })
        }
    }
}

impl fmt::Display for SimdPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Makes every kernel run `path` from now on (or the CPU's best again, with
/// `None`); a path this CPU lacks is refused and nothing changes. Overrides
/// `ACCEL_SIMD`.
///
/// ```
/// use accel_core::simd::{force, SimdPath};
/// force(Some(SimdPath::Portable)).unwrap();
/// assert_eq!(SimdPath::active(), SimdPath::Portable);
/// force(None).unwrap();
/// assert_eq!(SimdPath::active(), SimdPath::best());
/// ```
pub fn force(path: Option<SimdPath>) -> Result<(), SimdError> {
    if let Some(p) = path {
        p.checked()?;
    }
    #[cfg(feature = "std")]
    env::mark_applied();
    FORCED.store(path.map_or(0, encode), Ordering::Relaxed);
    Ok(())
}

/// The path forced by [`force`] or `ACCEL_SIMD`, if any.
pub fn forced() -> Option<SimdPath> {
    #[cfg(feature = "std")]
    env::apply_once();
    match FORCED.load(Ordering::Relaxed) {
        0 => None,
        v => Some(decode(v)),
    }
}

/// Applies `ACCEL_SIMD` now, returning the path it forces (`None` when unset
/// or empty) or why it cannot: for programs that report a bad value as an error
/// rather than let the first kernel panic. An explicit [`force`] made earlier
/// is kept.
#[cfg(feature = "std")]
pub fn force_from_env() -> Result<Option<SimdPath>, EnvError> {
    env::apply()
}

/// A bad `ACCEL_SIMD` value.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError {
    /// The value as set.
    pub value: std::string::String,
    /// What is wrong with it.
    pub error: SimdError,
}

#[cfg(feature = "std")]
impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ACCEL_SIMD='{}': {}", self.value, self.error)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EnvError {}

/// The CPU's best path, cached: 0 = not detected yet, else [`encode`]d.
static BEST: AtomicU8 = AtomicU8::new(0);
/// The forced path: 0 = none, else [`encode`]d.
static FORCED: AtomicU8 = AtomicU8::new(0);

const fn encode(path: SimdPath) -> u8 {
    path as u8 + 1
}

fn decode(v: u8) -> SimdPath {
    SimdPath::ALL[usize::from(v - 1)]
}

#[cfg(feature = "std")]
mod env {
    use super::{EnvError, FORCED, SimdPath, encode};
    use core::sync::atomic::{AtomicBool, Ordering};

    /// Whether `ACCEL_SIMD` was read (or overridden by `force`).
    static APPLIED: AtomicBool = AtomicBool::new(false);

    pub(super) fn mark_applied() {
        APPLIED.store(true, Ordering::Relaxed);
    }

    pub(super) fn apply_once() {
        if !APPLIED.load(Ordering::Relaxed)
            && let Err(e) = apply()
        {
            panic!("{e}; unset it or name a path this CPU runs");
        }
    }

    pub(super) fn apply() -> Result<Option<SimdPath>, EnvError> {
        if APPLIED.swap(true, Ordering::Relaxed) {
            return Ok(super::forced_now());
        }
        let Some(value) = std::env::var_os("ACCEL_SIMD") else {
            return Ok(None);
        };
        let value = value.to_string_lossy().into_owned();
        if value.trim().is_empty() {
            return Ok(None);
        }
        let path = SimdPath::from_name(&value)
            .and_then(SimdPath::checked)
            .map_err(|error| EnvError {
                value: value.clone(),
                error,
            });
        match path {
            Ok(p) => {
                FORCED.store(encode(p), Ordering::Relaxed);
                Ok(Some(p))
            }
            Err(e) => {
                // Read again next time, so that every caller hears of it.
                APPLIED.store(false, Ordering::Relaxed);
                Err(e)
            }
        }
    }
}

/// The forced path without consulting the environment.
#[cfg(feature = "std")]
fn forced_now() -> Option<SimdPath> {
    match FORCED.load(Ordering::Relaxed) {
        0 => None,
        v => Some(decode(v)),
    }
}

#[cfg(target_arch = "x86_64")]
fn detect() -> SimdPath {
    use core::arch::x86_64::{__cpuid, __cpuid_count};

    /// XCR0, the register state the OS saves on context switches.
    ///
    /// # Safety
    /// The CPU must report OSXSAVE (CPUID.1:ECX bit 27), which makes `xgetbv`
    /// available.
    #[target_feature(enable = "xsave")]
    unsafe fn xcr0() -> u64 {
        // SAFETY: the caller checked OSXSAVE, so XGETBV is enabled.
        unsafe { core::arch::x86_64::_xgetbv(0) }
    }

    let bit = |reg: u32, n: u32| reg & (1 << n) != 0;
    // `__cpuid` is a safe function from Rust 1.87 on and unsafe before; the
    // instruction exists on every x86-64 CPU.
    #[allow(unused_unsafe)]
    // SAFETY: CPUID is available on all x86-64 processors.
    let (max_leaf, leaf1) = unsafe { (__cpuid(0).eax, __cpuid(1)) };
    let (osxsave, avx, fma) = (bit(leaf1.ecx, 27), bit(leaf1.ecx, 28), bit(leaf1.ecx, 12));
    if !osxsave || !avx || !fma || max_leaf < 7 {
        return SimdPath::Portable;
    }
    #[allow(unused_unsafe)]
    // SAFETY: leaf 7 exists (max_leaf ≥ 7).
    let leaf7 = unsafe { __cpuid_count(7, 0) };
    // SAFETY: OSXSAVE was checked above.
    let xcr0 = unsafe { xcr0() };
    let ymm_state = xcr0 & 0b110 == 0b110; // SSE and AVX state
    let zmm_state = xcr0 & 0b1110_0110 == 0b1110_0110; // + opmask, ZMM_Hi256, Hi16_ZMM
    let avx2 = bit(leaf7.ebx, 5);
    let (f, dq, vl) = (bit(leaf7.ebx, 16), bit(leaf7.ebx, 17), bit(leaf7.ebx, 31));
    if avx2 && f && dq && vl && zmm_state {
        SimdPath::Avx512
    } else if avx2 && ymm_state {
        SimdPath::Avx2
    } else {
        SimdPath::Portable
    }
}

#[cfg(target_arch = "aarch64")]
fn detect() -> SimdPath {
    // NEON and the FP unit (with FMA) are mandatory in the aarch64 ABIs Rust
    // targets; the target enables `neon` for the whole build.
    if cfg!(target_feature = "neon") {
        SimdPath::Neon
    } else {
        SimdPath::Portable
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detect() -> SimdPath {
    SimdPath::Portable
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn names_round_trip_and_order_is_width() {
        for p in SimdPath::ALL {
            assert_eq!(SimdPath::from_name(p.name()), Ok(p));
        }
        assert!(SimdPath::Portable < SimdPath::Avx2 && SimdPath::Avx2 < SimdPath::Avx512);
        // One family per CPU: Neon and the AVX paths are never both supported.
        assert!(!(SimdPath::Neon.is_supported() && SimdPath::Avx2.is_supported()));
        #[cfg(target_arch = "aarch64")]
        assert_eq!(SimdPath::best(), SimdPath::Neon);
        assert_eq!(SimdPath::from_name("avx512f"), Err(SimdError::UnknownName));
        assert!(SimdPath::Portable.is_supported());
        assert_eq!(SimdPath::supported().last(), Some(SimdPath::best()));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn detection_agrees_with_std() {
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        let avx512 = avx2
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl");
        let want = if avx512 {
            SimdPath::Avx512
        } else if avx2 {
            SimdPath::Avx2
        } else {
            SimdPath::Portable
        };
        assert_eq!(SimdPath::best(), want);
    }

    #[test]
    fn an_unsupported_path_is_refused_and_changes_nothing() {
        let before = FORCED.load(Ordering::Relaxed);
        for p in SimdPath::ALL.into_iter().filter(|p| !p.is_supported()) {
            assert_eq!(
                force(Some(p)),
                Err(SimdError::Unsupported {
                    requested: p,
                    best: SimdPath::best()
                })
            );
            assert_eq!(FORCED.load(Ordering::Relaxed), before);
        }
        let e = SimdError::Unsupported {
            requested: SimdPath::Avx512,
            best: SimdPath::Avx2,
        };
        assert_eq!(
            format!("{e}"),
            "this CPU cannot run the avx512 SIMD path (its widest is avx2)"
        );
    }
}
