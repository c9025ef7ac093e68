//! The computations the firmware runs on the Cortex-M4F and `cargo xtask
//! embedded` repeats on the host: every one ends in a checksum of the exact bits
//! of its results, so the two runs must agree bit for bit.
//!
//! This file is compiled twice: into the firmware (`src/main.rs`) and into
//! `xtask` (`#[path]` include), so both sides run the same source with the same
//! inputs. It uses `accel-core` only, without `alloc`: no heap.

// 0.707106781 is the benchmark's own constant (not exactly 1/sqrt(2)); keep it.
#![allow(clippy::approx_constant)]

use accel_core::banded::BandedBlockBandedSizes;
use accel_core::ir::stencil::{BlockPlan, Boundary, Shape, Stencil};
use accel_core::ir::{Formula, Real, ReduceOp, erf, exp, log10, map_reduce_formula, sqrt};

/// Width of the blurred plane.
pub const BLUR_WIDTH: usize = 32;
/// Height of the blurred plane.
pub const BLUR_HEIGHT: usize = 24;
/// Iterations of each blur.
pub const BLUR_ITERS: usize = 5;
/// Values in a blur plane.
pub const BLUR_AREA: usize = BLUR_WIDTH * BLUR_HEIGHT;
/// Scratch values the blur executors get (more than either needs; checked).
pub const BLUR_SCRATCH: usize = 4 * BLUR_AREA;
/// Options priced per Black-Scholes run.
pub const OPTIONS: usize = 64;
/// Levels of temporal blocking of the blocked blur.
pub const BLOCKED_LEVELS: usize = 5;

/// The boundary modes.
pub const BOUNDARIES: [Boundary; 4] = Boundary::ALL;

/// FNV-1a over 64-bit words: a checksum of exact bit patterns.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(pub u64);

impl Fnv {
    /// The empty checksum.
    pub const fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Adds one word.
    pub fn add(&mut self, word: u64) {
        for byte in word.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Self::new()
    }
}

/// Deterministic pseudo-random values in `[0, 1)` (xorshift64*), the same on
/// every target.
pub struct Uniform(u64);

impl Uniform {
    /// A generator from `seed` (non-zero).
    pub const fn new(seed: u64) -> Self {
        Uniform(seed | 1)
    }

    /// The next value.
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        bits as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Fills `plane` with the test image: smooth gradients plus noise.
pub fn fill_plane(plane: &mut [f32]) {
    let mut rng = Uniform::new(0x5eed);
    for (i, v) in plane.iter_mut().enumerate() {
        let (x, y) = ((i % BLUR_WIDTH) as f32, (i / BLUR_WIDTH) as f32);
        *v = 0.5 * x + 0.25 * y + rng.next_f64() as f32 * 16.0;
    }
}

fn plane_checksum(plane: &[f32]) -> u64 {
    let mut sum = Fnv::new();
    for v in plane {
        sum.add(u64::from(v.to_bits()));
    }
    sum.0
}

/// The blur with the one-sweep reference executor; the checksum of the plane.
pub fn blur_reference(boundary: Boundary, plane: &mut [f32], scratch: &mut [f32]) -> u64 {
    fill_plane(plane);
    let stencil = Stencil::blur(boundary, BLUR_ITERS);
    stencil
        .run_reference(plane, Shape::new(BLUR_WIDTH, BLUR_HEIGHT), scratch)
        .expect("the scratch is large enough");
    plane_checksum(plane)
}

/// The blur with the temporally blocked executor; the checksum of the plane.
pub fn blur_blocked(boundary: Boundary, plane: &mut [f32], scratch: &mut [f32]) -> u64 {
    fill_plane(plane);
    let stencil = Stencil::blur(boundary, BLUR_ITERS);
    let plan = BlockPlan::new(BLOCKED_LEVELS, BLUR_WIDTH);
    stencil
        .run_blocked(plane, Shape::new(BLUR_WIDTH, BLUR_HEIGHT), plan, scratch)
        .expect("the scratch is large enough");
    plane_checksum(plane)
}

/// The Black-Scholes put (the benchmark's formula, `log10` included).
struct Put;

impl Formula<5, 1> for Put {
    #[inline(always)]
    fn eval<R: Real>(&self, [spt, strike, rate, vol, time]: [R; 5]) -> [R; 1] {
        let c = R::lit;
        let cndf2 = |x: R| c(0.5) + c(0.5) * erf(c(0.707_106_781) * x);
        let logterm = log10(spt / strike);
        let powterm = c(0.5) * vol * vol;
        let den = vol * sqrt(time);
        let d1 = ((rate + powterm) * time + logterm) / den;
        let d2 = d1 - den;
        let fv = strike * exp(-rate * time);
        [spt * cndf2(d1) - fv * cndf2(d2) - fv + spt]
    }
}

/// The five Black-Scholes inputs of option `i`, from `rng`.
fn option_inputs(rng: &mut Uniform) -> [f64; 5] {
    [
        10.0 + 90.0 * rng.next_f64(),
        10.0 + 90.0 * rng.next_f64(),
        0.01 + 0.09 * rng.next_f64(),
        0.05 + 0.6 * rng.next_f64(),
        0.1 + 2.9 * rng.next_f64(),
    ]
}

/// The Black-Scholes inputs in f64 (five arrays of [`OPTIONS`]).
pub type OptionsF64 = [[f64; OPTIONS]; 5];
/// The Black-Scholes inputs in f32.
pub type OptionsF32 = [[f32; OPTIONS]; 5];

/// Black-Scholes over [`OPTIONS`] options in f64 through `map_reduce_formula`;
/// the checksum of every put and of their sum. The arrays are the caller's, so
/// a stack measurement counts the executor alone.
pub fn blackscholes_f64(inputs: &mut OptionsF64, put: &mut [f64; OPTIONS]) -> u64 {
    let mut rng = Uniform::new(0xb5);
    for i in 0..OPTIONS {
        let option = option_inputs(&mut rng);
        for (column, v) in inputs.iter_mut().zip(option) {
            column[i] = v;
        }
    }
    let [a, b, c, d, e] = &*inputs;
    let total =
        map_reduce_formula(ReduceOp::Sum, 0, [a, b, c, d, e], [put], &Put).expect("equal lengths");
    let mut sum = Fnv::new();
    for p in put.iter() {
        sum.add(p.to_bits());
    }
    sum.add(total.to_bits());
    sum.0
}

/// [`blackscholes_f64`] in f32 (the same inputs, rounded to f32).
pub fn blackscholes_f32(inputs: &mut OptionsF32, put: &mut [f32; OPTIONS]) -> u64 {
    let mut rng = Uniform::new(0xb5);
    for i in 0..OPTIONS {
        let option = option_inputs(&mut rng);
        for (column, v) in inputs.iter_mut().zip(option) {
            column[i] = v as f32;
        }
    }
    let [a, b, c, d, e] = &*inputs;
    let total =
        map_reduce_formula(ReduceOp::Sum, 0, [a, b, c, d, e], [put], &Put).expect("equal lengths");
    let mut sum = Fnv::new();
    for p in put.iter() {
        sum.add(u64::from(p.to_bits()));
    }
    sum.add(u64::from(total.to_bits()));
    sum.0
}

/// Block row sizes, block column sizes and `(l, u, λ, μ)` of one matrix.
type BandedCase = (
    &'static [usize],
    &'static [usize],
    isize,
    isize,
    isize,
    isize,
);

/// The banded-block-banded sizes of a few matrices, built without a heap;
/// the checksum of their storage lengths, entries and block offsets.
pub fn banded_sizes() -> u64 {
    let mut sum = Fnv::new();
    let shapes: [BandedCase; 3] = [
        (&[3, 3, 3, 3, 3, 3, 3, 3], &[3, 3, 3, 3, 3, 3], 1, 2, 0, 1),
        (&[2, 6, 1, 4], &[1, 3, 5], 0, 1, 4, 0),
        (&[5, 5, 5], &[5, 5, 5], 1, 1, 2, 2),
    ];
    for (rows, cols, l, u, lambda, mu) in shapes {
        let mut row_buf = [0usize; 9];
        let mut col_buf = [0usize; 7];
        let sizes = BandedBlockBandedSizes::from_buffers(
            rows,
            cols,
            l,
            u,
            lambda,
            mu,
            &mut row_buf[..rows.len() + 1],
            &mut col_buf[..cols.len() + 1],
        )
        .expect("valid sizes");
        sum.add(sizes.storage_len() as u64);
        sum.add(sizes.stored_entries() as u64);
        for block in sizes.blocks() {
            sum.add(block.block_row as u64);
            sum.add(block.block_col as u64);
            sum.add(block.entries as u64);
        }
    }
    let fixed = static_sizes();
    sum.add(fixed.storage_len() as u64);
    sum.add(fixed.stored_entries() as u64);
    sum.0
}

/// Sizes from constant offset tables, named by the bare type. This file builds
/// with `alloc` off (the firmware) and on (xtask), so it also proves the default
/// offset type is the same in both: `alloc` is additive.
pub fn static_sizes() -> BandedBlockBandedSizes {
    static ROWS: [usize; 4] = [0, 4, 8, 12];
    static COLS: [usize; 3] = [0, 4, 8];
    BandedBlockBandedSizes::from_offsets(&ROWS[..], &COLS[..], 1, 0, 1, 1).expect("valid offsets")
}
