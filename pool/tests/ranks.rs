//! The MPI rank driver against one process, bit for bit (feature `mpi`).
//!
//! A plain program (no test harness: MPI allows one initialisation per
//! process, and the harness's threads would call it concurrently). Every rank
//! runs the same checks; rank 0 compares with one-process results and the
//! program exits non-zero on the first mismatch. `cargo test -p accel-pool
//! --features mpi` runs it as one rank; CI also runs the built binary under
//! `mpirun -np N` for N = 2, 3, 4 (see `.ci/mpi`).
//!
//! Checks:
//! - banded blur, f32, every boundary mode, 0, 1, 2 and 7 iterations, a cap
//!   of 1, 3 or 16 iterations per exchange, planes from 1 row (fewer rows
//!   than ranks) to 2000 (several iterations per exchange, edge strips deeper
//!   than the radius), two channels at once;
//! - the banded driver with a radius-1 f64 formula;
//! - volumes split into slabs of planes: a 3-D Jacobi system (every boundary
//!   mode, slabs thinner than the halo included) through `Pool::run_system`;
//! - the deterministic sum of a formula over chunk-aligned rank ranges,
//!   against the one-process sum, bit for bit, for lengths around the chunk;
//! - a banded run whose `advance` fails on the last rank mid-run: every rank
//!   returns that error;
//! - `agree`: the last rank fails, every rank gets its message.

use accel_core::ir::stencil::RowLoad;
use accel_core::ir::stencil::system::{Cells, Extent, StencilSystem, SystemFormula};
use accel_core::ir::stencil::{
    Boundary, FormulaKernel, Neighbourhood, PointFormula, Shape, Stencil,
};
use accel_core::ir::{Formula, Real};
use accel_core::partition::RowBands;
use accel_core::simd::SimdPath;
use accel_pool::ranks::{BandedStencil, Ranks};
use accel_pool::{Pool, PoolConfig, StencilSchedule};

/// A reproducible value for point `i` of case `seed` (splitmix64).
fn value(seed: u64, i: u64) -> f64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(i.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

const BOUNDARIES: [Boundary; 4] = [
    Boundary::Skip,
    Boundary::ZeroSrc,
    Boundary::Wrap,
    Boundary::Clamp,
];

/// A radius-1 five-point average in f64: a formula kernel, not linear taps.
#[derive(Clone, Copy)]
struct Diffuse;
impl PointFormula for Diffuse {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        let c = n.centre();
        c + (n.at(-1, 0) + n.at(1, 0) + n.at(0, -1) + n.at(0, 1) - c * R::lit(4.0)) * R::lit(0.2)
    }
}

/// The 3-D 7-point Jacobi update (one field, one level) for volumes split
/// into slabs of planes.
#[derive(Clone, Copy)]
struct Jacobi3d;
impl SystemFormula for Jacobi3d {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, _field: usize, n: &Cells<'_, R>) -> R {
        (n.at([-1, 0, 0])
            + n.at([1, 0, 0])
            + n.at([0, -1, 0])
            + n.at([0, 1, 0])
            + n.at([0, 0, -1])
            + n.at([0, 0, 1]))
            * R::lit(1.0 / 6.0)
    }
}

/// A volume of `w × h × d` split into slabs of planes (rows of `w · h`
/// values), advanced on each rank by `Pool::run_system`, against one process.
fn check_volume(
    ranks: &Ranks,
    pool: &Pool,
    (w, h, d): (usize, usize, usize),
    boundary: Boundary,
    iterations: usize,
    seed: u64,
) -> usize {
    let plane = w * h;
    let whole: Vec<f64> = (0..(plane * d) as u64).map(|i| value(seed, i)).collect();
    let system: StencilSystem<Jacobi3d, f64> =
        StencilSystem::new(Jacobi3d, boundary, iterations).expect("a system");
    let bands = RowBands::new(d, ranks.size());
    let slab = bands.band(ranks.rank());
    let mut mine = whole[slab.start * plane..slab.end * plane].to_vec();
    let banded = BandedStencil {
        rows: d,
        row_len: plane,
        radius: 1,
        wrap: boundary == Boundary::Wrap,
        iterations,
        max_pass_iterations: 4,
    };
    let label = format!("jacobi {w}x{h}x{d} {boundary:?} x{iterations}");
    ranks
        .run_stencil_bands(banded, &mut [&mut mine[..]], &mut |strips, planes, k| {
            let one = system.with_iterations(k);
            let mut scratch = vec![0.0f64; strips[0].len()];
            pool.run_system(
                &one,
                Extent::volume(w, h, planes),
                &mut [&mut *strips[0], &mut scratch],
                &[],
            )
        })
        .unwrap_or_else(|e| fail(ranks, format!("{label}: {e}")));
    let mut gathered = if ranks.is_root() {
        vec![0.0; whole.len()]
    } else {
        Vec::new()
    };
    ranks.gather_bands(
        bands,
        plane,
        &mine,
        ranks.is_root().then_some(&mut gathered[..]),
    );
    if ranks.is_root() {
        let mut expected = whole.clone();
        let mut scratch = vec![0.0; whole.len()];
        pool.run_system(
            &system,
            Extent::volume(w, h, d),
            &mut [&mut expected, &mut scratch],
            &[],
        )
        .unwrap_or_else(|e| fail(ranks, format!("{label}: reference: {e}")));
        if let Some(i) =
            (0..expected.len()).find(|&i| gathered[i].to_bits() != expected[i].to_bits())
        {
            fail(
                ranks,
                format!(
                    "{label}: point {i} is {}, one process gives {}",
                    gathered[i], expected[i]
                ),
            );
        }
    }
    1
}

struct Square;
impl Formula<1, 1> for Square {
    #[inline(always)]
    fn eval<R: Real>(&self, [x]: [R; 1]) -> [R; 1] {
        [(x * x).sqrt() * R::lit(1.000_1) + x]
    }
}

fn fail(ranks: &Ranks, what: String) -> ! {
    eprintln!(
        "ranks check failed on rank {} of {}: {what}",
        ranks.rank(),
        ranks.size()
    );
    ranks.abort(1)
}

/// Runs `stencil` (radius `radius`) banded over the ranks on `planes` whole
/// planes, gathers on rank 0 and compares with one process.
fn check_banded<K>(
    ranks: &Ranks,
    pool: &Pool,
    stencil: &Stencil<K>,
    shape: Shape,
    whole: &[Vec<K::Value>],
    max_pass_iterations: usize,
    label: &str,
) -> usize
where
    K: accel_core::ir::stencil::RowKernel + Sync + Clone,
    K::Value: mpi::datatype::Equivalence + Copy + Default + PartialEq + std::fmt::Debug,
{
    let bands = RowBands::new(shape.height, ranks.size());
    let band = bands.band(ranks.rank());
    let w = shape.width;
    let mut mine: Vec<Vec<K::Value>> = whole
        .iter()
        .map(|p| p[band.start * w..band.end * w].to_vec())
        .collect();
    let banded = BandedStencil {
        rows: shape.height,
        row_len: w,
        radius: stencil.radius(),
        wrap: stencil.boundary() == Boundary::Wrap,
        iterations: stencil.iterations(),
        max_pass_iterations,
    };
    let mut views: Vec<&mut [K::Value]> = mine.iter_mut().map(|v| &mut v[..]).collect();
    let stats = ranks
        .run_stencil_bands(banded, &mut views, &mut |strips, rows, k| {
            let one = stencil.clone().with_iterations(k);
            pool.run_stencil_planes(
                &one,
                strips,
                Shape::new(w, rows),
                &StencilSchedule::default(),
                &|_| {},
            )
        })
        .unwrap_or_else(|e| fail(ranks, format!("{label}: {e}")));
    for (plane, reference) in mine.iter().zip(whole) {
        let mut gathered = if ranks.is_root() {
            vec![K::Value::default(); reference.len()]
        } else {
            Vec::new()
        };
        ranks.gather_bands(
            bands,
            w,
            plane,
            ranks.is_root().then_some(&mut gathered[..]),
        );
        if ranks.is_root() {
            let mut expected = reference.clone();
            pool.run_stencil_planes(
                stencil,
                &mut [&mut expected[..]],
                shape,
                &StencilSchedule::default(),
                &|_| {},
            )
            .unwrap_or_else(|e| fail(ranks, format!("{label}: reference: {e}")));
            if let Some(i) = (0..expected.len()).find(|&i| gathered[i] != expected[i]) {
                fail(
                    ranks,
                    format!(
                        "{label}: point ({}, {}) is {:?}, one process gives {:?} ({} passes of {} iterations)",
                        i / w,
                        i % w,
                        gathered[i],
                        expected[i],
                        stats.passes,
                        stats.pass_iterations
                    ),
                );
            }
        }
    }
    1
}

fn main() {
    let ranks = Ranks::init().expect("MPI initialises");
    let pool = Pool::new(PoolConfig::new().threads(2)).expect("a pool of 2");
    let mut cases = 0;
    let shapes = [
        (1, 5),
        (2, 7),
        (3, 9),
        (5, 4),
        (9, 11),
        (16, 13),
        (37, 23),
        (64, 64),
        (131, 40),
        (2000, 16),
    ];
    for (seed, &(h, w)) in shapes.iter().enumerate() {
        let shape = Shape::new(w, h);
        for boundary in BOUNDARIES {
            for iterations in [0, 1, 2, 7] {
                for cap in [1, 3, 16] {
                    let whole: Vec<Vec<f32>> = (0..2u64)
                        .map(|c| {
                            (0..(h * w) as u64)
                                .map(|i| value(seed as u64 * 2 + c, i) as f32)
                                .collect()
                        })
                        .collect();
                    let stencil = Stencil::blur(boundary, iterations);
                    let label = format!("blur {w}x{h} {boundary:?} x{iterations} cap {cap}");
                    cases += check_banded(&ranks, &pool, &stencil, shape, &whole, cap, &label);
                }
            }
            let whole = vec![
                (0..(h * w) as u64)
                    .map(|i| value(99 + seed as u64, i))
                    .collect::<Vec<f64>>(),
            ];
            let stencil =
                Stencil::new(FormulaKernel::new_f64(Diffuse), boundary, 5).expect("a stencil");
            let label = format!("diffuse f64 {w}x{h} {boundary:?}");
            cases += check_banded(&ranks, &pool, &stencil, shape, &whole, 2, &label);
        }
    }
    // Volumes split into slabs of planes.
    for (seed, dims) in [(5, 7, 13), (4, 3, 2), (6, 5, 9)].into_iter().enumerate() {
        for boundary in BOUNDARIES {
            for iterations in [1, 6] {
                cases += check_volume(&ranks, &pool, dims, boundary, iterations, 500 + seed as u64);
            }
        }
    }
    // The deterministic sum.
    let path = SimdPath::active();
    for n in [0usize, 1, 8191, 8192, 8193, 3 * 8192 + 5, 40_000, 100_003] {
        let x: Vec<f64> = (0..n as u64).map(|i| value(7, i) * 100.0 - 30.0).collect();
        let range = ranks.formula_range(n);
        let sum = ranks
            .sum_formula_on(&pool, path, n, [&x[range]], &Square)
            .unwrap_or_else(|e| fail(&ranks, format!("sum of {n}: {e}")));
        let one = pool
            .sum_formula_on(path, [&x], &Square)
            .expect("one-process sum");
        if sum.to_bits() != one.to_bits() {
            fail(
                &ranks,
                format!("sum of {n}: {sum:e} across ranks, {one:e} in one process"),
            );
        }
        cases += 1;
    }
    // A failure inside a banded run, on the last rank in its second pass: every
    // rank returns it, and the ranks go on together afterwards.
    {
        let last = ranks.size() - 1;
        let bands = RowBands::new(64, ranks.size());
        let mut mine = vec![1.0f32; bands.band(ranks.rank()).len() * 8];
        let banded = BandedStencil {
            rows: 64,
            row_len: 8,
            radius: 2,
            wrap: false,
            iterations: 4,
            max_pass_iterations: 1,
        };
        let mut calls = 0;
        let outcome = ranks.run_stencil_bands(banded, &mut [&mut mine[..]], &mut |_, _, _| {
            calls += 1;
            if ranks.rank() == last && calls > 1 {
                Err("out of strips")
            } else {
                Ok(())
            }
        });
        match outcome {
            Err(e) if e.rank == last && e.message == "out of strips" => cases += 1,
            other => fail(&ranks, format!("a failing pass returned {other:?}")),
        }
    }
    // Agreement: the last rank fails, everybody hears it.
    let last = ranks.size() - 1;
    let local: Result<(), String> = if ranks.rank() == last {
        Err(format!("rank {last} says no"))
    } else {
        Ok(())
    };
    match ranks.agree(local) {
        Err(e) if e.rank == last && e.message == format!("rank {last} says no") => cases += 1,
        other => fail(&ranks, format!("agree returned {other:?}")),
    }
    ranks.barrier();
    if ranks.is_root() {
        println!(
            "ranks check: {cases} cases passed on {} ranks x {} threads",
            ranks.size(),
            pool.num_threads()
        );
    }
}
