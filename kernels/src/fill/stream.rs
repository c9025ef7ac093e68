//! Streaming (non-temporal) stores for the long runs of a fill larger than the cache.
//!
//! A fill of tens of megabytes ends in memory whatever the stores do, and plain
//! stores make it cost twice: each line is first read for ownership, then
//! written back. Streaming stores of whole 64-byte lines skip the read. Measured
//! side by side on a large fill, the order is: plain baseline (16-byte) stores
//! slowest, then plain AVX-512 stores, then 16-byte streaming stores, and 64-byte
//! streaming stores fastest, at the core's write bandwidth; hence the widest
//! streaming store the CPU has. The `memset` and `memset-stream` variants of
//! `kernels/benches/fill.rs` show the difference on the machine at hand. Two
//! things measured no better and are not used: `rep stosq`, and transparent huge
//! pages for the storage (`madvise(MADV_HUGEPAGE)`), which stayed within noise.
//! A fill that fits the shared L3 comfortably is different: filled again and
//! again (or read soon after), its lines stay in L3, where plain stores are as
//! fast and leave the data cached; at 6.4 MB plain and streaming fills measured
//! within noise of each other, at 12.8 MB streaming won clearly. Hence
//! [`STREAM_MIN_BYTES`](super::STREAM_MIN_BYTES), between the two.
//!
//! # Protocol
//! [`Streamer::detect`] picks the widest streaming store the CPU has (AVX-512,
//! AVX, SSE2 on x86-64; plain stores elsewhere). A worker writes its long runs
//! with [`Streamer::fill`] and calls [`Streamer::fence`] when its part is
//! done, before the pool's completion signal: streaming stores are weakly
//! ordered, and the ordinary atomics that publish a worker's result do not
//! order them on x86.

/// Runs of fewer entries than this use plain stores: a streaming store pays
/// off only over whole lines, and the head and tail of a run are plain anyway.
pub(crate) const MIN_RUN: usize = 32;

/// The widest streaming store this CPU supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Width {
    /// No streaming stores (not x86-64): plain `fill`.
    Plain,
    /// 16-byte `movntpd` (SSE2, the x86-64 baseline).
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// 32-byte `vmovntpd` (AVX).
    #[cfg(target_arch = "x86_64")]
    Avx,
    /// 64-byte `vmovntpd`: one whole line per store (AVX-512F).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// Writes long f64 runs with streaming stores (see the [module docs](self)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Streamer {
    width: Width,
}

impl Streamer {
    /// The streaming store of the active SIMD path (core's one detection,
    /// forceable with `ACCEL_SIMD`): a whole line per store on AVX-512, 32
    /// bytes on AVX2, the baseline's 16 otherwise.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        let width = match accel_core::simd::SimdPath::active() {
            accel_core::simd::SimdPath::Avx512 => Width::Avx512,
            accel_core::simd::SimdPath::Avx2 => Width::Avx,
            accel_core::simd::SimdPath::Portable | accel_core::simd::SimdPath::Neon => Width::Sse2,
        };
        #[cfg(not(target_arch = "x86_64"))]
        let width = Width::Plain;
        Streamer { width }
    }

    /// Plain stores only, whatever the CPU (for tests of the plain path).
    #[cfg(test)]
    pub(crate) fn plain() -> Self {
        Streamer {
            width: Width::Plain,
        }
    }

    /// Writes `value` to every entry of `dst`: the whole lines in the middle
    /// with streaming stores, the partial lines at both ends with plain ones.
    /// Call [`fence`](Self::fence) before another thread may read `dst`.
    #[inline]
    pub(crate) fn fill(&self, dst: &mut [f64], value: f64) {
        if dst.len() < MIN_RUN {
            dst.fill(value);
            return;
        }
        match self.width {
            Width::Plain => dst.fill(value),
            #[cfg(target_arch = "x86_64")]
            Width::Sse2 => x86::fill_sse2(dst, value),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `detect` chose this width only for the AVX2 path or wider,
            // which the CPU runs (`SimdPath::active` returns supported paths only).
            Width::Avx => unsafe { x86::fill_avx(dst, value) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `detect` chose this width only for the AVX-512 path, which the
            // CPU runs.
            Width::Avx512 => unsafe { x86::fill_avx512(dst, value) },
        }
    }

    /// Orders this thread's streaming stores before its later stores (the pool's
    /// completion signal among them).
    #[inline]
    pub(crate) fn fence(&self) {
        #[cfg(target_arch = "x86_64")]
        if self.width != Width::Plain {
            // SAFETY: SSE (sfence) is part of the x86-64 baseline.
            unsafe { core::arch::x86_64::_mm_sfence() };
        }
    }
}

/// The x86-64 streaming loops: a plain head up to the first boundary of the
/// store width, streaming stores over the aligned middle, a plain tail.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::{
        _mm_set1_pd, _mm_stream_pd, _mm256_set1_pd, _mm256_stream_pd, _mm512_set1_pd,
        _mm512_stream_pd,
    };

    /// Splits `dst` into a plain head, a middle of whole `lanes`-entry vectors
    /// starting at a `lanes · 8`-byte boundary, and a plain tail; fills head
    /// and tail, returns the middle's pointer and vector count.
    #[inline(always)]
    fn split(dst: &mut [f64], value: f64, lanes: usize) -> (*mut f64, usize) {
        let head = dst
            .as_ptr()
            .align_offset(lanes * size_of::<f64>())
            .min(dst.len());
        let (head, rest) = dst.split_at_mut(head);
        head.fill(value);
        let vectors = rest.len() / lanes;
        let (middle, tail) = rest.split_at_mut(vectors * lanes);
        tail.fill(value);
        (middle.as_mut_ptr(), vectors)
    }

    pub(super) fn fill_sse2(dst: &mut [f64], value: f64) {
        let (p, vectors) = split(dst, value, 2);
        // SAFETY: SSE2 is part of the x86-64 baseline.
        let v = unsafe { _mm_set1_pd(value) };
        for i in 0..vectors {
            // SAFETY: `split` made `p` 16-byte aligned with `vectors` whole
            // 2-entry vectors of `dst` behind it; SSE2 is baseline.
            unsafe { _mm_stream_pd(p.add(2 * i), v) };
        }
    }

    #[target_feature(enable = "avx")]
    pub(super) unsafe fn fill_avx(dst: &mut [f64], value: f64) {
        let (p, vectors) = split(dst, value, 4);
        let v = _mm256_set1_pd(value);
        for i in 0..vectors {
            // SAFETY: `split` made `p` 32-byte aligned with `vectors` whole
            // 4-entry vectors of `dst` behind it.
            unsafe { _mm256_stream_pd(p.add(4 * i), v) };
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn fill_avx512(dst: &mut [f64], value: f64) {
        let (p, vectors) = split(dst, value, 8);
        let v = _mm512_set1_pd(value);
        for i in 0..vectors {
            // SAFETY: `split` made `p` 64-byte aligned with `vectors` whole
            // 8-entry vectors (cache lines) of `dst` behind it.
            unsafe { _mm512_stream_pd(p.add(8 * i), v) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of every sub-slice (all alignments, lengths around the
    /// vector widths and `MIN_RUN`) is written, nothing outside it.
    #[test]
    fn streaming_fills_exactly_the_slice() {
        let mut widths = vec![Streamer::detect(), Streamer::plain()];
        #[cfg(target_arch = "x86_64")]
        {
            widths.push(Streamer { width: Width::Sse2 });
            if accel_core::simd::SimdPath::Avx2.is_supported() {
                widths.push(Streamer { width: Width::Avx });
            }
        }
        let mut buf = vec![0.0f64; 300];
        for s in widths {
            for start in 0..9 {
                for len in (0..40).chain([63, 64, 65, 200, 291 - start]) {
                    buf.fill(0.0);
                    s.fill(&mut buf[start..start + len], 2.5);
                    s.fence();
                    for (i, &x) in buf.iter().enumerate() {
                        let inside = (start..start + len).contains(&i);
                        assert_eq!(x, if inside { 2.5 } else { 0.0 }, "{s:?} {start} {len} {i}");
                    }
                }
            }
        }
    }
}
