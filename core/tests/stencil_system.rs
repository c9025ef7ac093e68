//! Stencil systems: every executor, dimension, element type, buffer count and
//! boundary mode against the point-by-point reference, and the reference
//! against plain loops written out by hand.

use accel_core::ir::stencil::system::{
    Cells, Extent, Offset, ROW_TILE, StencilSystem, SystemFormula,
};
use accel_core::ir::stencil::{
    Boundary, FormulaKernel, Neighbourhood, PointFormula, RowLoad, Shape, Stencil, StencilElement,
    StencilError,
};
use accel_core::simd::SimdPath;
use proptest::prelude::*;

/// A random mix of every input at every offset of the cube, plus a product
/// term, so that every read and every input's position matters.
#[derive(Clone, Debug)]
struct Mixer {
    dims: usize,
    radius: usize,
    fields: usize,
    levels: usize,
    constants: usize,
    /// One weight per (field, input, offset).
    weights: Vec<f64>,
}

impl Mixer {
    fn offsets(&self) -> Vec<Offset> {
        let r = self.radius as i32;
        let reach = |d: usize| if self.dims > d { r } else { 0 };
        let mut all = Vec::new();
        for dz in -reach(2)..=reach(2) {
            for dy in -reach(1)..=reach(1) {
                for dx in -r..=r {
                    all.push(Offset { dz, dy, dx });
                }
            }
        }
        all
    }

    fn inputs(&self) -> usize {
        self.fields * self.levels + self.constants
    }

    fn read<R: RowLoad>(&self, n: &Cells<'_, R>, input: usize, off: Offset) -> R {
        let per_field = self.levels;
        if input < self.fields * per_field {
            n.past(
                input / per_field,
                input % per_field,
                [off.dz, off.dy, off.dx],
            )
        } else {
            n.constant(input - self.fields * per_field, [off.dz, off.dy, off.dx])
        }
    }
}

impl SystemFormula for Mixer {
    fn radius(&self) -> usize {
        self.radius
    }
    fn fields(&self) -> usize {
        self.fields
    }
    fn levels(&self) -> usize {
        self.levels
    }
    fn constants(&self) -> usize {
        self.constants
    }
    fn eval<R: RowLoad>(&self, field: usize, n: &Cells<'_, R>) -> R {
        let offsets = self.offsets();
        let mut w = self.weights[field * self.inputs() * offsets.len()..].iter();
        let mut acc = R::lit(0.0);
        for input in 0..self.inputs() {
            for &off in &offsets {
                acc = acc + R::lit(*w.next().unwrap()) * self.read(n, input, off);
            }
        }
        let centre = Offset {
            dz: 0,
            dy: 0,
            dx: 0,
        };
        let last = self.read(n, self.inputs() - 1, centre);
        acc + R::lit(0.125) * n.field(field, [0, 0, 0]) * last
    }
}

fn extent_of(dims: usize, sizes: [usize; 3]) -> Extent {
    match dims {
        1 => Extent::row(sizes[2]),
        2 => Extent::plane(sizes[2], sizes[1]),
        _ => Extent::volume(sizes[2], sizes[1], sizes[0]),
    }
}

fn arrays<T: StencilElement>(count: usize, n: usize, seed: u64) -> Vec<Vec<T>> {
    let mut state = seed | 1;
    (0..count)
        .map(|_| {
            (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    T::from_f64((state % 2001) as f64 / 1000.0 - 1.0)
                })
                .collect()
        })
        .collect()
}

fn bits<T: StencilElement>(a: &[Vec<T>]) -> Vec<Vec<u64>> {
    a.iter()
        .map(|v| v.iter().map(|x| x.to_f64().to_bits()).collect())
        .collect()
}

/// Runs `mixer` with the reference and with sweeps on every SIMD path and
/// asserts equal bits in every buffer.
fn check_all_paths<T: StencilElement>(
    mixer: Mixer,
    extent: Extent,
    boundary: Boundary,
    iterations: usize,
    seed: u64,
) {
    let n = extent.len().unwrap();
    let system: StencilSystem<Mixer, T> = StencilSystem::new(mixer, boundary, iterations).unwrap();
    let start = arrays::<T>(system.buffer_count(), n, seed);
    let constants = arrays::<T>(system.formula().constants, n, seed ^ 0x9e37);
    let consts: Vec<&[T]> = constants.iter().map(|c| c.as_slice()).collect();
    let mut reference = start.clone();
    let mut refs: Vec<&mut [T]> = reference.iter_mut().map(|b| b.as_mut_slice()).collect();
    system.run_reference(extent, &mut refs, &consts).unwrap();
    for path in SimdPath::supported() {
        let on = system.clone().with_simd(path).unwrap();
        let mut swept = start.clone();
        let mut bufs: Vec<&mut [T]> = swept.iter_mut().map(|b| b.as_mut_slice()).collect();
        on.run_sweeps(extent, &mut bufs, &consts).unwrap();
        // The scratch buffer's contents are the level before the oldest in
        // both, so every buffer must agree.
        assert_eq!(
            bits(&swept),
            bits(&reference),
            "path {path}, {extent:?}, {boundary}"
        );
    }
}

fn mixer_strategy() -> impl Strategy<Value = (Mixer, [usize; 3])> {
    (
        1usize..=3,
        0usize..=2,
        1usize..=2,
        1usize..=3,
        0usize..=2,
        any::<u64>(),
    )
        .prop_flat_map(|(dims, radius, fields, levels, constants, seed)| {
            let width = if dims == 1 { 1usize..=70 } else { 1usize..=40 };
            let other = if dims == 3 { 1usize..=7 } else { 1usize..=12 };
            (
                Just((dims, radius, fields, levels, constants, seed)),
                width,
                other.clone(),
                other,
            )
        })
        .prop_map(
            |((dims, radius, fields, levels, constants, seed), w, h, d)| {
                let side = 2 * radius + 1;
                let cube = side.pow(dims as u32);
                let inputs = fields * levels + constants;
                let count = fields * inputs * cube;
                let mut state = seed | 1;
                // Weights summing to at most about 0.9 in absolute value per field.
                let weights = (0..count)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((state >> 33) % 2001) as f64 / 1000.0 - 1.0
                    })
                    .map(|w| 0.9 * w / (inputs * cube) as f64)
                    .collect();
                let sizes = match dims {
                    1 => [1, 1, w],
                    2 => [1, h, w],
                    _ => [d, h, w],
                };
                (
                    Mixer {
                        dims,
                        radius,
                        fields,
                        levels,
                        constants,
                        weights,
                    },
                    sizes,
                )
            },
        )
}

fn boundary_strategy() -> impl Strategy<Value = Boundary> {
    prop::sample::select(Boundary::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn sweeps_match_reference_f64(
        (mixer, sizes) in mixer_strategy(),
        boundary in boundary_strategy(),
        iterations in 0usize..=4,
        seed in any::<u64>(),
    ) {
        let extent = extent_of(mixer.dims, sizes);
        check_all_paths::<f64>(mixer, extent, boundary, iterations, seed);
    }

    #[test]
    fn sweeps_match_reference_f32(
        (mixer, sizes) in mixer_strategy(),
        boundary in boundary_strategy(),
        iterations in 0usize..=4,
        seed in any::<u64>(),
    ) {
        let extent = extent_of(mixer.dims, sizes);
        check_all_paths::<f32>(mixer, extent, boundary, iterations, seed);
    }
}

/// Edge sizes: empty grids, single points, primes, rows shorter than a block
/// and than the radius.
#[test]
fn sweeps_match_reference_on_edge_sizes() {
    for dims in 1..=3 {
        for size in [1usize, 2, 3, 5, 8, 17, 31] {
            for boundary in Boundary::ALL {
                let sizes = [size.min(7), size, size + 6];
                let mixer = Mixer {
                    dims,
                    radius: 2,
                    fields: 1,
                    levels: 2,
                    constants: 1,
                    weights: (0..3 * 125)
                        .map(|i| ((i % 7) as f64 - 3.0) / 900.0)
                        .collect(),
                };
                check_all_paths::<f64>(mixer, extent_of(dims, sizes), boundary, 3, size as u64);
            }
        }
    }
}

/// The 3-D 7-point Jacobi written as a plain loop (zero outside the volume).
fn jacobi_loop(u: &[f64], n: [usize; 3], iterations: usize) -> Vec<f64> {
    let [d, h, w] = n;
    let mut a = u.to_vec();
    let mut b = vec![0.0; u.len()];
    let at = |a: &[f64], z: isize, y: isize, x: isize| {
        if z < 0 || y < 0 || x < 0 || z >= d as isize || y >= h as isize || x >= w as isize {
            0.0
        } else {
            a[(z as usize * h + y as usize) * w + x as usize]
        }
    };
    for _ in 0..iterations {
        for z in 0..d as isize {
            for y in 0..h as isize {
                for x in 0..w as isize {
                    let s = at(&a, z - 1, y, x)
                        + at(&a, z + 1, y, x)
                        + at(&a, z, y - 1, x)
                        + at(&a, z, y + 1, x)
                        + at(&a, z, y, x - 1)
                        + at(&a, z, y, x + 1);
                    b[(z as usize * h + y as usize) * w + x as usize] = (1.0 / 6.0) * s;
                }
            }
        }
        std::mem::swap(&mut a, &mut b);
    }
    a
}

struct Jacobi3;
impl SystemFormula for Jacobi3 {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
        let s = n.at([-1, 0, 0])
            + n.at([1, 0, 0])
            + n.at([0, -1, 0])
            + n.at([0, 1, 0])
            + n.at([0, 0, -1])
            + n.at([0, 0, 1]);
        R::lit(1.0 / 6.0) * s
    }
}

#[test]
fn jacobi_3d_matches_a_plain_loop() {
    let n = [9, 11, 37];
    let u = arrays::<f64>(1, 9 * 11 * 37, 7).remove(0);
    for iterations in [1, 2, 5] {
        let expected = jacobi_loop(&u, n, iterations);
        let system = StencilSystem::new(Jacobi3, Boundary::ZeroSrc, iterations).unwrap();
        let (mut a, mut b) = (u.clone(), vec![0.0; u.len()]);
        system
            .run_sweeps(Extent::volume(37, 11, 9), &mut [&mut a, &mut b], &[])
            .unwrap();
        assert_eq!(a, expected, "{iterations} iterations");
    }
}

/// The wave equation, three buffers and a coefficient array, clamped edges.
struct Wave;
impl SystemFormula for Wave {
    fn radius(&self) -> usize {
        1
    }
    fn levels(&self) -> usize {
        2
    }
    fn constants(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
        let u = n.at([0, 0]);
        let lap = n.at([-1, 0]) + n.at([1, 0]) + n.at([0, -1]) + n.at([0, 1]) - R::lit(4.0) * u;
        R::lit(2.0) * u - n.past(0, 1, [0, 0]) + n.constant(0, [0, 0]) * lap
    }
}

fn wave_loop(
    u: &[f32],
    prev: &[f32],
    c2: &[f32],
    w: usize,
    h: usize,
    steps: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (mut now, mut before) = (u.to_vec(), prev.to_vec());
    let at = |a: &[f32], y: isize, x: isize| {
        a[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]
    };
    for _ in 0..steps {
        let mut next = vec![0.0f32; w * h];
        for y in 0..h as isize {
            for x in 0..w as isize {
                let i = y as usize * w + x as usize;
                let c = now[i];
                let lap = at(&now, y - 1, x)
                    + at(&now, y + 1, x)
                    + at(&now, y, x - 1)
                    + at(&now, y, x + 1)
                    - 4.0 * c;
                next[i] = 2.0 * c - before[i] + c2[i] * lap;
            }
        }
        before = std::mem::replace(&mut now, next);
    }
    (now, before)
}

#[test]
fn wave_matches_a_plain_loop_for_every_iteration_count() {
    let (w, h) = (45, 13);
    let start = arrays::<f32>(3, w * h, 11);
    let c2: Vec<f32> = start[2].iter().map(|v| 0.1 + 0.1 * v.abs()).collect();
    for steps in 0..7 {
        let (now, before) = wave_loop(&start[0], &start[1], &c2, w, h, steps);
        let system = StencilSystem::new(Wave, Boundary::Clamp, steps).unwrap();
        let (mut u, mut p, mut s) = (start[0].clone(), start[1].clone(), vec![9.0f32; w * h]);
        system
            .run_sweeps(Extent::plane(w, h), &mut [&mut u, &mut p, &mut s], &[&c2])
            .unwrap();
        assert_eq!((u, p), (now, before), "{steps} steps");
    }
}

/// The same heat step as a one-buffer [`Stencil`] and as a system.
struct Heat;
impl PointFormula for Heat {
    fn radius(&self) -> usize {
        1
    }
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        let c = n.centre();
        let lap = n.at(-1, 0) + n.at(1, 0) + n.at(0, -1) + n.at(0, 1) - R::lit(4.0) * c;
        c + R::lit(0.2) * lap
    }
}
impl SystemFormula for Heat {
    fn radius(&self) -> usize {
        1
    }
    fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
        let c = n.at([0, 0]);
        let lap = n.at([-1, 0]) + n.at([1, 0]) + n.at([0, -1]) + n.at([0, 1]) - R::lit(4.0) * c;
        c + R::lit(0.2) * lap
    }
}

#[test]
fn a_one_buffer_system_equals_the_plane_stencil() {
    let (w, h) = (53, 29);
    let u = arrays::<f64>(1, w * h, 3).remove(0);
    for boundary in Boundary::ALL {
        let plane = Stencil::new(FormulaKernel::new_f64(Heat), boundary, 5).unwrap();
        let mut expected = u.clone();
        plane.apply(&mut expected, Shape::new(w, h)).unwrap();
        let system = StencilSystem::new(Heat, boundary, 5).unwrap();
        let (mut a, mut b) = (u.clone(), vec![0.0; w * h]);
        system
            .run_sweeps(Extent::plane(w, h), &mut [&mut a, &mut b], &[])
            .unwrap();
        assert_eq!(a, expected, "{boundary}");
    }
}

#[test]
fn bad_calls_are_rejected_with_the_values() {
    let wave: StencilSystem<Wave, f32> = StencilSystem::new(Wave, Boundary::Wrap, 1).unwrap();
    let (mut a, mut b, mut c) = (vec![0.0f32; 12], vec![0.0f32; 12], vec![0.0f32; 12]);
    let k = vec![0.0f32; 12];
    let e = Extent::plane(4, 3);
    assert_eq!(
        wave.run_sweeps(e, &mut [&mut a, &mut b], &[&k]),
        Err(StencilError::BufferCount {
            given: 2,
            expected: 3
        })
    );
    assert_eq!(
        wave.run_sweeps(e, &mut [&mut a, &mut b, &mut c], &[]),
        Err(StencilError::ConstantCount {
            given: 0,
            expected: 1
        })
    );
    let short = vec![0.0f32; 11];
    assert_eq!(
        wave.run_reference(e, &mut [&mut a, &mut b, &mut c], &[&short]),
        Err(StencilError::ArrayLength {
            constant: true,
            index: 0,
            len: 11,
            expected: 12
        })
    );
    assert_eq!(
        wave.run_sweeps(Extent::plane(4, 0), &mut [&mut a, &mut b, &mut c], &[&k]),
        Err(StencilError::ExtentDimension {
            width: 4,
            height: 0,
            depth: 1
        })
    );
    assert_eq!(
        Extent::volume(usize::MAX, 2, 1).len(),
        Err(StencilError::ExtentOverflow {
            width: usize::MAX,
            height: 2,
            depth: 1
        })
    );
    struct Nothing;
    impl SystemFormula for Nothing {
        fn radius(&self) -> usize {
            0
        }
        fn fields(&self) -> usize {
            0
        }
        fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
            n.at(0)
        }
    }
    assert_eq!(
        StencilSystem::<_, f64>::new(Nothing, Boundary::Skip, 1).err(),
        Some(StencilError::EmptySystem {
            fields: 0,
            levels: 1
        })
    );
    // One iteration, as a parallel driver calls it: the wave reads u, u⁻ and
    // c² and writes one field.
    let (u, before, c2) = (vec![0.0f32; 12], vec![0.0f32; 12], vec![0.0f32; 12]);
    let mut out = vec![0.0f32; 8];
    assert_eq!(
        wave.step_lines(e, &[&u, &before], &mut [&mut out], 0..2),
        Err(StencilError::StepArrays {
            inputs: 2,
            expected_inputs: 3,
            outputs: 1,
            expected_outputs: 1
        })
    );
    assert_eq!(
        wave.step_lines(e, &[&u, &before[..11], &c2], &mut [&mut out], 0..2),
        Err(StencilError::ArrayLength {
            constant: false,
            index: 1,
            len: 11,
            expected: 12
        })
    );
    assert_eq!(
        wave.step_lines(e, &[&u, &before, &c2[..3]], &mut [&mut out], 0..2),
        Err(StencilError::ArrayLength {
            constant: true,
            index: 0,
            len: 3,
            expected: 12
        })
    );
    assert_eq!(
        wave.step_lines(e, &[&u, &before, &c2], &mut [&mut out], 0..3),
        Err(StencilError::ArrayLength {
            constant: false,
            index: 0,
            len: 8,
            expected: 12
        })
    );
    assert_eq!(
        wave.step_lines(e, &[&u, &before, &c2], &mut [&mut out], 2..4),
        Err(StencilError::RowsOutOfRange {
            start: 2,
            end: 4,
            height: 3
        })
    );
    assert_eq!(
        wave.step_lines(e, &[&u, &before, &c2], &mut [&mut out], 1..3),
        Ok(())
    );
    let msg = StencilError::BufferCount {
        given: 2,
        expected: 3,
    }
    .to_string();
    assert!(msg.contains('2') && msg.contains('3'), "{msg}");
}

#[test]
#[should_panic(expected = "beyond the declared radius")]
fn reading_along_a_missing_dimension_panics() {
    // Jacobi3 reads dz = ±1, which a plane does not have.
    let system: StencilSystem<Jacobi3, f64> =
        StencilSystem::new(Jacobi3, Boundary::ZeroSrc, 1).unwrap();
    let (mut a, mut b) = (vec![1.0; 64], vec![0.0; 64]);
    let _ = system.run_sweeps(Extent::plane(8, 8), &mut [&mut a, &mut b], &[]);
}

/// A formula's counts are read once, when the system is built: absurd ones
/// are rejected, and a formula that changes its answers later cannot make
/// an executor size its windows from the new ones.
#[test]
fn counts_are_checked_once() {
    struct Huge;
    impl SystemFormula for Huge {
        fn radius(&self) -> usize {
            1
        }
        fn constants(&self) -> usize {
            usize::MAX
        }
        fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
            n.at(0)
        }
    }
    assert_eq!(
        StencilSystem::<_, f32>::new(Huge, Boundary::Clamp, 1).err(),
        Some(StencilError::WindowTooLarge {
            rows: usize::MAX,
            max: accel_core::ir::stencil::system::MAX_WINDOW_ROWS
        })
    );

    /// Declares radius 1 once, then claims an enormous one.
    struct Fickle(std::cell::Cell<usize>);
    impl SystemFormula for Fickle {
        fn radius(&self) -> usize {
            let calls = self.0.get();
            self.0.set(calls + 1);
            if calls == 0 { 1 } else { usize::MAX / 3 }
        }
        fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
            R::lit(0.5) * (n.at(-1) + n.at(1))
        }
    }
    let system: StencilSystem<Fickle, f64> =
        StencilSystem::new(Fickle(std::cell::Cell::new(0)), Boundary::Wrap, 3).unwrap();
    let start: Vec<f64> = (0..40).map(|i| i as f64).collect();
    let (mut a, mut b) = (start.clone(), vec![0.0; 40]);
    system
        .run_sweeps(Extent::row(40), &mut [&mut a, &mut b], &[])
        .unwrap();
    let (mut c, mut d) = (start, vec![0.0; 40]);
    system
        .run_reference(Extent::row(40), &mut [&mut c, &mut d], &[])
        .unwrap();
    assert_eq!(a, c);
}

/// A formula that reads beyond what it declared panics (never reads out of
/// bounds): beyond the radius along x, an undeclared level, an undeclared
/// constant.
#[test]
fn undeclared_reads_panic() {
    #[derive(Clone, Copy)]
    enum Bad {
        Far,
        Level,
        Constant,
    }
    impl SystemFormula for Bad {
        fn radius(&self) -> usize {
            1
        }
        fn eval<R: RowLoad>(&self, _: usize, n: &Cells<'_, R>) -> R {
            match self {
                Bad::Far => n.at([0, 2]),
                Bad::Level => n.past(0, 1, [0, 0]),
                Bad::Constant => n.constant(0, [0, 0]),
            }
        }
    }
    for (bad, message) in [
        (Bad::Far, "beyond the declared radius"),
        (Bad::Level, "field 0 level 1"),
        (Bad::Constant, "constant 0"),
    ] {
        let system: StencilSystem<Bad, f32> = StencilSystem::new(bad, Boundary::Clamp, 1).unwrap();
        let got = std::panic::catch_unwind(|| {
            let (mut a, mut b) = (vec![1.0f32; 64], vec![0.0f32; 64]);
            let _ = system.run_sweeps(Extent::plane(8, 8), &mut [&mut a, &mut b], &[]);
        });
        let err = got.expect_err("an undeclared read must panic");
        let text = err
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(text.contains(message), "{text}");
    }
}

/// Runs of more rows than one group of end copies (32), on every boundary
/// that pads the row ends, in f32 and f64.
#[test]
fn long_runs_match_reference() {
    for boundary in [Boundary::ZeroSrc, Boundary::Clamp, Boundary::Wrap] {
        for radius in [1, 2] {
            let side = 2 * radius + 1;
            let mixer = Mixer {
                dims: 2,
                radius,
                fields: 1,
                levels: 1,
                constants: 1,
                weights: (0..2 * side * side)
                    .map(|i| ((i % 5) as f64 - 2.0) / 60.0)
                    .collect(),
            };
            check_all_paths::<f32>(mixer.clone(), Extent::plane(21, 80), boundary, 3, 9);
            let mixer3 = Mixer {
                dims: 3,
                weights: (0..2 * side * side * side)
                    .map(|i| ((i % 7) as f64 - 3.0) / 400.0)
                    .collect(),
                ..mixer
            };
            check_all_paths::<f64>(mixer3, Extent::volume(19, 45, 6), boundary, 2, 4);
        }
    }
}

/// A blocked pass over a slab equals as many sweeps, bit for bit, for every
/// age the next pass reads: rows (in tiles), planes and volumes, every boundary it runs,
/// radius 0 to 2, one or two fields of one to three levels, with or without
/// a constant, passes shorter and longer than the history, slabs cut
/// anywhere (including empty ones).
#[test]
fn blocked_passes_match_sweeps() {
    let mut seed = 1u64;
    for dims in [1, 2, 3] {
        for boundary in [Boundary::Skip, Boundary::ZeroSrc, Boundary::Clamp] {
            for radius in 0..=2 {
                for (fields, ages, constants) in [(1, 1, 0), (2, 1, 1), (1, 2, 1), (2, 3, 0)] {
                    for levels in [1, 2, 3, 5] {
                        seed += 1;
                        check_blocked_pass(
                            dims,
                            boundary,
                            radius,
                            (fields, ages, constants),
                            levels,
                            seed,
                        );
                    }
                }
            }
        }
    }
}

fn check_blocked_pass(
    dims: usize,
    boundary: Boundary,
    radius: usize,
    (fields, ages, constants): (usize, usize, usize),
    levels: usize,
    seed: u64,
) {
    let side = 2 * radius + 1;
    let window = side.pow(dims as u32);
    let inputs = fields * ages + constants;
    let mixer = Mixer {
        dims,
        radius,
        fields,
        levels: ages,
        constants,
        weights: (0..fields * inputs * window)
            .map(|i| ((i * 7 + seed as usize) % 11) as f64 / (11.0 * (inputs * window) as f64))
            .collect(),
    };
    // A row longer than one tile, so that tiles meet inside slabs.
    let (extent, units) = match dims {
        3 => (Extent::volume(19, 7, 11), 11),
        2 => (Extent::plane(23, 13), 13),
        _ => (Extent::row(ROW_TILE + 37), ROW_TILE + 37),
    };
    let n = extent.len().unwrap();
    let unit = n / units;
    let system: StencilSystem<Mixer, f64> = StencilSystem::new(mixer, boundary, levels).unwrap();
    assert!(system.blocks_in_passes(extent));
    assert_eq!(system.slab_units(extent), units);
    let slots = ages + 1;
    let start = arrays::<f64>(fields * slots, n, seed);
    let consts = arrays::<f64>(constants, n, !seed);
    let consts: Vec<&[f64]> = consts.iter().map(|c| c.as_slice()).collect();
    let mut swept = start.clone();
    {
        let mut bufs: Vec<&mut [f64]> = swept.iter_mut().map(|b| b.as_mut_slice()).collect();
        system.run_sweeps(extent, &mut bufs, &consts).unwrap();
    }
    let src: Vec<&[f64]> = (0..fields * ages)
        .map(|i| start[i / ages * slots + i % ages].as_slice())
        .collect();
    let mut scratch = vec![0.0; system.slab_scratch_len(extent, levels)];
    for cut in [0, 1, 4, units - 5, units] {
        for slab in [0..cut, cut..units] {
            let mut dst: Vec<Vec<f64>> = (0..fields * ages)
                .map(|_| vec![f64::NAN; slab.len() * unit])
                .collect();
            let mut outs: Vec<&mut [f64]> = dst.iter_mut().map(|v| v.as_mut_slice()).collect();
            system
                .advance_slab(
                    extent,
                    &src,
                    &consts,
                    &mut outs,
                    slab.clone(),
                    levels,
                    &mut scratch,
                )
                .unwrap();
            for (i, got) in dst.iter().enumerate() {
                let want = &swept[i / ages * slots + i % ages][slab.start * unit..slab.end * unit];
                assert!(
                    got.iter()
                        .zip(want)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{dims}-D {boundary}, r {radius}, {fields} fields of {ages} levels, \
                     {levels} levels per pass, slab {slab:?}, field {} age {}",
                    i / ages,
                    i % ages
                );
            }
        }
    }
}
