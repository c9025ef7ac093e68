//! Square root for f64 and f32: the hardware instruction where there is one.
//!
//! `core` has no stable `sqrt` for floats, so on x86_64 the scalar SSE2 intrinsic is
//! used; it is defined through LLVM's `llvm.sqrt`, which the loop vectoriser widens
//! to `vsqrtpd`/`vsqrtps`, and SSE2 is part of the x86_64 baseline. Elsewhere a
//! portable, correctly rounded integer square root takes over: exact but slow and
//! not vectorisable, a fallback only.

/// Square root, correctly rounded (IEEE 754).
///
/// `sqrt(-0) = -0`, `sqrt(x < 0) = NaN`, `sqrt(inf) = inf`, `sqrt(NaN) = NaN`.
/// Correctly rounded on every target ([`precision::SQRT`](super::precision::SQRT)):
/// the `sqrtsd` instruction on x86_64 and `fsqrt` on aarch64 (both vectorised in
/// loops), an integer algorithm elsewhere.
#[inline(always)]
pub fn sqrt(x: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_cvtsd_f64, _mm_set_sd, _mm_setzero_pd, _mm_sqrt_sd};
        // SAFETY: these intrinsics need only SSE2, which every x86_64 CPU has (it is
        // enabled for the whole target). Newer compilers treat them as safe calls.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_cvtsd_f64(_mm_sqrt_sd(_mm_setzero_pd(), _mm_set_sd(x)))
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        use core::arch::aarch64::{vdup_n_f64, vget_lane_f64, vsqrt_f64};
        // SAFETY: NEON and the FP unit are part of the aarch64 baseline (enabled for
        // the whole target); `fsqrt` is correctly rounded.
        #[allow(unused_unsafe)]
        unsafe {
            vget_lane_f64::<0>(vsqrt_f64(vdup_n_f64(x)))
        }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        sqrt_portable(x)
    }
}

/// Square root for f32, correctly rounded (IEEE 754).
///
/// Same special values as [`sqrt`]; correctly rounded
/// ([`precision::SQRTF`](super::precision::SQRTF)): `sqrtss` on x86_64, `vsqrt.f32`
/// on 32-bit Arm with a hard-float ABI (every such core has a VFP unit with a
/// single-precision square root: the Cortex-M4F, M7, M33…), elsewhere the f64
/// fallback rounded to f32 (rounding the correctly rounded f64 root to f32 is
/// still correctly rounded, since 53 >= 2 * 24 + 2).
#[inline(always)]
pub fn sqrtf(x: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_cvtss_f32, _mm_set_ss, _mm_sqrt_ss};
        // SAFETY: SSE only, part of the x86_64 baseline; see `sqrt`.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(x)))
        }
    }
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        // Rust's `sreg` operands need the `vfp2` feature (double precision), which
        // single-precision-only parts such as the Cortex-M4F lack, so the value
        // travels through a core register and `s0` is saved and restored by hand.
        let bits: u32;
        // SAFETY: the hard-float ABI guarantees the VFP unit these instructions run
        // on; `s0` is pushed and popped around its use, so no register the
        // compiler relies on changes; the stack is only used within the block, in
        // balanced push/pop, and no memory the program sees is touched.
        unsafe {
            core::arch::asm!(
                "vpush {{s0}}",
                "vmov s0, {x}",
                "vsqrt.f32 s0, s0",
                "vmov {bits}, s0",
                "vpop {{s0}}",
                x = in(reg) x.to_bits(),
                bits = lateout(reg) bits,
                options(pure, nomem, preserves_flags)
            );
        }
        f32::from_bits(bits)
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "arm", target_abi = "eabihf")
    )))]
    {
        sqrt_portable(f64::from(x)) as f32
    }
}

/// Correctly rounded square root by integer arithmetic: the fallback for targets
/// without a reachable instruction, and the test oracle for the instruction path.
///
/// Writes `x = m 2^(2q)` with an integer `m < 2^54`, takes the integer square root of
/// `m 2^52` (a 53-bit result) by Newton's method, and rounds it up when the remainder
/// exceeds the root (ties cannot happen for an integer radicand).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(crate) fn sqrt_portable(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    let bits = x.to_bits();
    let mut field = (bits >> 52) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    if field == 0 {
        // Subnormal: normalise the mantissa.
        let shift = mant.leading_zeros() as i64 - 11;
        mant <<= shift;
        field = 1 - shift;
    }
    let mut m = mant | (1 << 52); // x = m * 2^(field - 1075)
    let mut e = field - 1075;
    if e % 2 != 0 {
        m <<= 1;
        e -= 1;
    }
    let radicand = u128::from(m) << 52; // in [2^104, 2^106)
    let mut root: u128 = 1 << 53; // above the true root, which is in [2^52, 2^53)
    loop {
        let next = (root + radicand / root) / 2;
        if next >= root {
            break;
        }
        root = next;
    }
    if radicand - root * root > root {
        root += 1;
    }
    // sqrt(x) = root * 2^(e/2 - 26); root in [2^52, 2^53].
    let mut exp = e / 2 - 26;
    if root == 1 << 53 {
        root >>= 1;
        exp += 1;
    }
    let biased = (exp + 52 + 1023) as u64;
    f64::from_bits((biased << 52) | (root as u64 & ((1 << 52) - 1)))
}

#[cfg(test)]
mod tests {
    use super::sqrt_portable;

    /// The integer fallback agrees bit for bit with libm's correctly rounded sqrt.
    #[test]
    fn portable_is_correctly_rounded() {
        let mut state = 0x1234_5678_9abc_def0u64;
        let check = |x: f64| {
            let want = libm::sqrt(x);
            let got = sqrt_portable(x);
            assert!(
                want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                "sqrt({x:e}) = {want:e}, fallback {got:e}"
            );
        };
        for x in [
            0.0,
            -0.0,
            -1.0,
            1.0,
            2.0,
            4.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
        ] {
            check(x);
        }
        check(f64::INFINITY);
        check(f64::NEG_INFINITY);
        check(f64::NAN);
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            check(f64::from_bits(state >> 1)); // all positive floats, subnormals too
            check((state >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0) * 4.0);
        }
    }
}
