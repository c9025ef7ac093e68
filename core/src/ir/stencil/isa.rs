//! Which vector instruction set the linear row kernels use, detected at run time.
//!
//! `accel-core` is `no_std`, so it cannot use `std::is_x86_feature_detected!`; on
//! x86-64 it asks the CPU directly (`cpuid`, and `xgetbv` for the register state
//! the operating system saves), exactly the checks `std` makes, and caches the
//! answer. Elsewhere only [`Isa::Portable`] exists.
//!
//! The choice never changes results: every path performs the same operations in
//! the same order on every point (see [`taps`](super::taps)); only the number of
//! points per instruction differs. Tests compare the paths bit for bit.

use core::fmt;

/// An instruction-set level for the linear row kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Plain Rust, vectorised by the compiler for the build's baseline target.
    Portable,
    /// x86-64 AVX2: the portable kernels compiled for 256-bit vectors.
    Avx2,
    /// x86-64 AVX-512F (with AVX2): a hand-written 512-bit kernel for mirror-symmetric taps
    /// (column combinations kept in registers, horizontal shifts with `valignd`),
    /// the portable kernels compiled for 512-bit vectors otherwise.
    Avx512,
}

impl Isa {
    /// All levels, lowest first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The best level this CPU supports (cached after the first call).
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            x86_detect::cached()
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Isa::Portable
        }
    }

    /// Whether this CPU can run this level.
    pub fn is_supported(self) -> bool {
        self <= Isa::detect()
    }

    /// A short name (`portable`, `avx2`, `avx512f`).
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512f",
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(target_arch = "x86_64")]
mod x86_detect {
    use super::Isa;
    use core::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
    use core::sync::atomic::{AtomicU8, Ordering};

    /// 0 = not yet detected, otherwise 1 + the level's index in [`Isa::ALL`].
    static DETECTED: AtomicU8 = AtomicU8::new(0);

    pub(super) fn cached() -> Isa {
        let v = DETECTED.load(Ordering::Relaxed);
        if v != 0 {
            return Isa::ALL[usize::from(v - 1)];
        }
        let isa = detect();
        // Racing threads compute the same answer; any of the stores wins.
        DETECTED.store(isa as u8 + 1, Ordering::Relaxed);
        isa
    }

    /// XCR0, the register state the OS saves on context switches.
    ///
    /// # Safety
    /// The CPU must report OSXSAVE (CPUID.1:ECX bit 27), which makes `xgetbv`
    /// available.
    #[target_feature(enable = "xsave")]
    unsafe fn xcr0() -> u64 {
        // SAFETY: the caller checked OSXSAVE, so XGETBV is enabled.
        unsafe { _xgetbv(0) }
    }

    fn detect() -> Isa {
        // `__cpuid` is a safe function from Rust 1.87 on and unsafe before; the
        // instruction exists on every x86-64 CPU.
        #[allow(unused_unsafe)]
        // SAFETY: CPUID is available on all x86-64 processors.
        let (max_leaf, leaf1) = unsafe { (__cpuid(0).eax, __cpuid(1)) };
        let osxsave = leaf1.ecx & (1 << 27) != 0;
        let avx = leaf1.ecx & (1 << 28) != 0;
        if !osxsave || !avx || max_leaf < 7 {
            return Isa::Portable;
        }
        #[allow(unused_unsafe)]
        // SAFETY: leaf 7 exists (max_leaf ≥ 7).
        let leaf7 = unsafe { __cpuid_count(7, 0) };
        // SAFETY: OSXSAVE was checked above.
        let xcr0 = unsafe { xcr0() };
        let ymm_state = xcr0 & 0b110 == 0b110; // SSE and AVX state
        let zmm_state = xcr0 & 0b1110_0110 == 0b1110_0110; // + opmask, ZMM_Hi256, Hi16_ZMM
        let avx2 = leaf7.ebx & (1 << 5) != 0;
        let avx512f = leaf7.ebx & (1 << 16) != 0;
        if avx512f && avx2 && zmm_state {
            Isa::Avx512
        } else if avx2 && ymm_state {
            Isa::Avx2
        } else {
            Isa::Portable
        }
    }
}
