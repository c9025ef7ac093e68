//! The C contenders: each workload as one fused OpenMP loop (`csrc/peers.c`),
//! built by `build.rs` as `gcc -O3 -march=native -fopenmp`, and Black-Scholes
//! also with `-ffast-math` (glibc's less accurate vector math), on x86-64 once
//! more without AVX-512 (the row accel's AVX2 path is judged against). The
//! mission is
//! "as fast as an expert's parallel C", so these are the rows accel must match.
//!
//! Where the build found no C compiler with OpenMP, [`available`] says why and
//! the suite skips these rows.

use accel_kernels::fill::BandedBlockBandedSizes;

/// Which build of the C code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `-O3 -march=native -fopenmp`: IEEE semantics, glibc's scalar libm.
    Strict,
    /// The same plus `-ffast-math`: vectorised calls into libmvec.
    FastMath,
    /// [`Flavour::FastMath`] with `-mno-avx512f`: AVX2 and FMA at most, the
    /// vector width of accel's AVX2 path (x86-64 only).
    FastMathAvx2,
}

impl Flavour {
    /// The contender's name in the tables.
    pub fn contender(self) -> &'static str {
        match self {
            Flavour::Strict => "C OpenMP",
            Flavour::FastMath => "C fast-math",
            Flavour::FastMathAvx2 => "C fast-math AVX2",
        }
    }

    /// The gcc flags of the build, for the tables' notes.
    pub fn flags(self) -> &'static str {
        match self {
            Flavour::Strict => "-O3 -march=native -fopenmp",
            Flavour::FastMath => "-O3 -march=native -fopenmp -ffast-math",
            Flavour::FastMathAvx2 => "-O3 -march=native -fopenmp -ffast-math -mno-avx512f",
        }
    }

    /// The flavours built on this target (`build.rs`).
    pub fn built() -> &'static [Flavour] {
        if cfg!(target_arch = "x86_64") {
            &[Flavour::Strict, Flavour::FastMath, Flavour::FastMathAvx2]
        } else {
            &[Flavour::Strict, Flavour::FastMath]
        }
    }
}

/// `Ok(())` if the C contenders were built, else why not (one line).
pub fn available() -> Result<(), &'static str> {
    #[cfg(c_peers)]
    return Ok(());
    #[cfg(not(c_peers))]
    Err(option_env!("ACCEL_C_PEERS_MISSING").unwrap_or("not built"))
}

#[cfg(c_peers)]
mod ffi {
    use std::ffi::c_int;
    macro_rules! blackscholes {
        ($name:ident) => {
            unsafe extern "C" {
                pub fn $name(
                    spt: *const f64,
                    strike: *const f64,
                    rate: *const f64,
                    vol: *const f64,
                    time: *const f64,
                    put: *mut f64,
                    n: isize,
                );
            }
        };
    }
    blackscholes!(peer_blackscholes_strict);
    // The fast-math build's other functions are the same code; only its
    // Black-Scholes (libmvec) differs, so only that is called.
    blackscholes!(peer_blackscholes_fast);
    #[cfg(target_arch = "x86_64")]
    blackscholes!(peer_blackscholes_fast_avx2);
    unsafe extern "C" {
        pub fn peer_set_threads_strict(threads: c_int);
        pub fn peer_blur_strict(
            img: *mut f32,
            tmp: *mut f32,
            width: isize,
            height: isize,
            iters: c_int,
            weights: *const f32,
        );
        pub fn peer_fill_strict(
            storage: *mut f64,
            seg_start: *const isize,
            seg_end: *const isize,
            col_first: *const isize,
            cols: isize,
        );
    }
}

/// Sets OpenMP's thread count for the next parallel region.
#[cfg(c_peers)]
fn set_threads(threads: usize) {
    let t = std::ffi::c_int::try_from(threads).unwrap_or(std::ffi::c_int::MAX);
    // SAFETY: omp_set_num_threads takes any positive count.
    unsafe { ffi::peer_set_threads_strict(t.max(1)) };
}

/// Black-Scholes put prices of the five input columns into `put`, on `threads`
/// OpenMP threads.
///
/// # Panics
/// If a column is shorter than `put`, or the C code was not built.
pub fn blackscholes(flavour: Flavour, inputs: [&[f64]; 5], put: &mut [f64], threads: usize) {
    let n = put.len();
    assert!(
        inputs.iter().all(|x| x.len() >= n),
        "every column holds n values"
    );
    #[cfg(c_peers)]
    {
        set_threads(threads);
        let [s, k, r, v, t] = inputs.map(<[f64]>::as_ptr);
        let f = match flavour {
            Flavour::Strict => ffi::peer_blackscholes_strict,
            Flavour::FastMath => ffi::peer_blackscholes_fast,
            #[cfg(target_arch = "x86_64")]
            Flavour::FastMathAvx2 => ffi::peer_blackscholes_fast_avx2,
            #[cfg(not(target_arch = "x86_64"))]
            Flavour::FastMathAvx2 => panic!("the AVX2 build of the C code is x86-64 only"),
        };
        // SAFETY: five columns of at least `n` values and an output of `n`,
        // distinct (the output is borrowed mutably); the C loop touches
        // indices below `n` only.
        unsafe { f(s, k, r, v, t, put.as_mut_ptr(), n as isize) };
    }
    #[cfg(not(c_peers))]
    {
        let _ = (flavour, threads);
        panic!("the C contenders were not built");
    }
}

/// `iters` sweeps of the 5×5 stencil `weights` (skip boundary) on `img`, on
/// `threads` OpenMP threads; `tmp` is scratch of the same size.
///
/// # Panics
/// If `img` or `tmp` is not `width × height`, or the C code was not built.
pub fn blur(
    img: &mut [f32],
    tmp: &mut [f32],
    (width, height): (usize, usize),
    iters: usize,
    weights: &[[f32; 5]; 5],
    threads: usize,
) {
    assert!(img.len() == width * height && tmp.len() == img.len());
    #[cfg(c_peers)]
    {
        set_threads(threads);
        let iters = std::ffi::c_int::try_from(iters).expect("an iteration count that fits C's int");
        // SAFETY: both buffers hold `width × height` values and are distinct;
        // the weights are 25 contiguous f32; the C code stays inside them.
        unsafe {
            ffi::peer_blur_strict(
                img.as_mut_ptr(),
                tmp.as_mut_ptr(),
                width as isize,
                height as isize,
                iters,
                weights.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(c_peers))]
    {
        let _ = (iters, weights, threads);
        panic!("the C contenders were not built");
    }
}

/// The stored column segments of a banded-block-banded matrix, grouped by
/// block column, as the C fill walks them.
#[derive(Debug)]
pub struct FillSegments {
    start: Vec<isize>,
    end: Vec<isize>,
    col_first: Vec<isize>,
    storage_len: usize,
}

impl FillSegments {
    /// The segments of `sizes`' storage.
    pub fn new(sizes: &BandedBlockBandedSizes) -> Self {
        let (mut start, mut end, mut col_first) = (Vec::new(), Vec::new(), vec![0isize]);
        for jb in 0..sizes.col_blocks() {
            for kb in sizes.block_col_support(jb) {
                let Some(layout) = sizes.block_layout(kb, jb) else {
                    continue;
                };
                for j in 0..layout.cols() {
                    let seg = layout.col_storage(j);
                    start.push(seg.start as isize);
                    end.push(seg.end as isize);
                }
            }
            col_first.push(start.len() as isize);
        }
        let storage_len = end.iter().copied().max().unwrap_or(0) as usize;
        FillSegments {
            start,
            end,
            col_first,
            storage_len,
        }
    }

    /// Sets every stored entry of `storage` to 1 on `threads` OpenMP threads.
    ///
    /// # Panics
    /// If `storage` is shorter than the segments reach, or the C code was not
    /// built.
    pub fn fill(&self, storage: &mut [f64], threads: usize) {
        assert!(storage.len() >= self.storage_len);
        #[cfg(c_peers)]
        {
            set_threads(threads);
            // SAFETY: every segment lies inside `storage` (checked above), the
            // block columns' segments are disjoint, and `col_first` has one
            // more entry than there are block columns.
            unsafe {
                ffi::peer_fill_strict(
                    storage.as_mut_ptr(),
                    self.start.as_ptr(),
                    self.end.as_ptr(),
                    self.col_first.as_ptr(),
                    (self.col_first.len() - 1) as isize,
                )
            };
        }
        #[cfg(not(c_peers))]
        {
            let _ = threads;
            panic!("the C contenders were not built");
        }
    }
}

#[cfg(all(test, c_peers))]
mod tests {
    use super::*;

    #[test]
    fn each_c_contender_computes_its_workload() {
        let batch = accel_kernels::blackscholes::OptionBatch::seed(1000);
        let mut strict = vec![0.0; 1000];
        accel_kernels::blackscholes::price_serial(&batch, &mut strict).unwrap();
        for flavour in [Flavour::Strict, Flavour::FastMath] {
            let mut put = vec![f64::NAN; 1000];
            let cols = [
                &batch.spt[..],
                &batch.strike,
                &batch.rate,
                &batch.vol,
                &batch.time,
            ];
            blackscholes(flavour, cols, &mut put, 2);
            let worst = put
                .iter()
                .zip(&strict)
                .map(|(a, b)| ((a - b) / b).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-12, "{flavour:?}: {worst:e}");
        }
        let (w, h) = (9, 7);
        let mut img: Vec<f32> = (0..w * h).map(|i| (i % 5) as f32).collect();
        let mut want = img.clone();
        let mut tmp = vec![0.0; w * h];
        blur(
            &mut img,
            &mut tmp,
            (w, h),
            3,
            &accel_core::ir::stencil::GAUSSIAN_5X5,
            2,
        );
        crate::bench::peers::blur(&mut want, w, h, 3, &accel_core::ir::stencil::GAUSSIAN_5X5);
        assert!(img.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-5));
        let sizes = BandedBlockBandedSizes::new(&[3; 8], &[3; 6], 1, 2, 0, 1).unwrap();
        let segs = FillSegments::new(&sizes);
        let mut want = accel_kernels::fill::BandedBlockBandedMatrix::<f64>::zeros(sizes).unwrap();
        let mut storage = vec![0.0; want.storage().len()];
        segs.fill(&mut storage, 3);
        accel_kernels::fill::simplefill_serial(&mut want);
        assert_eq!(storage, want.storage());
    }
}
