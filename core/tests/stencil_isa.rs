//! Every instruction-set path of the linear row kernels (single rows and pairs)
//! gives bit-identical results to the portable one (the hand-written AVX-512 and AVX2
//! kernels included), on
//! random rows of every length around the vector widths and random weights.

use accel_core::ir::stencil::{Boundary, LinearTaps, RowKernel, Shape, Stencil, StencilError, Tap};
use accel_core::simd::SimdPath;
use proptest::prelude::*;

fn taps(radius: usize, seeds: &[f32], symmetric: bool) -> LinearTaps {
    let side = 2 * radius + 1;
    let grid: Vec<f32> = (0..side * side)
        .map(|i| {
            let (y, x) = (i / side, i % side);
            let key = if symmetric {
                y.abs_diff(radius) * 7 + x.abs_diff(radius)
            } else {
                i
            };
            seeds[key % seeds.len()] * (1.0 + key as f32 * 0.01)
        })
        .collect();
    let t = LinearTaps::from_grid(radius, &grid).unwrap();
    // Bitwise-symmetric weights take the symmetric plan (radius 1..=3).
    if symmetric {
        assert_eq!(t.is_symmetric(), (1..=3).contains(&radius));
    }
    t
}

fn supported() -> Vec<SimdPath> {
    SimdPath::ALL
        .into_iter()
        .filter(|i| i.is_supported())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_isa_row_kernel_equals_portable(
        radius in 0usize..=3,
        symmetric in any::<bool>(),
        seeds in prop::collection::vec(-1.0f32..1.0, 1..10),
        n in prop_oneof![0usize..80, 80usize..300],
        data in prop::collection::vec(-4.0f32..4.0, 400 * 8),
    ) {
        let t = taps(radius, &seeds, symmetric);
        let side = 2 * radius + 1;
        let window: Vec<&[f32]> = (0..side).map(|r| &data[r * 400..r * 400 + n + 2 * radius]).collect();
        let mut want = vec![0.0f32; n];
        t.clone().with_simd(SimdPath::Portable).unwrap().apply_row(&window, &mut want);
        // The row below, for the pair kernel: window rows 1..=2r+1.
        let below: Vec<&[f32]> = (1..=side).map(|r| &data[r * 400..r * 400 + n + 2 * radius]).collect();
        let mut want_below = vec![0.0f32; n];
        t.clone().with_simd(SimdPath::Portable).unwrap().apply_row(&below, &mut want_below);
        let pair_window: Vec<&[f32]> = (0..=side).map(|r| &data[r * 400..r * 400 + n + 2 * radius]).collect();
        for isa in supported() {
            let ti = t.clone().with_simd(isa).unwrap();
            let mut got = vec![f32::NAN; n];
            ti.apply_row(&window, &mut got);
            let (mut upper, mut lower) = (vec![f32::NAN; n], vec![f32::NAN; n]);
            ti.apply_row_pair(&pair_window, &mut upper, &mut lower);
            for i in 0..n {
                prop_assert_eq!(got[i].to_bits(), want[i].to_bits(), "{} r={} n={} at {}", isa, radius, n, i);
                prop_assert_eq!(upper[i].to_bits(), want[i].to_bits(), "pair {} r={} n={} at {}", isa, radius, n, i);
                prop_assert_eq!(lower[i].to_bits(), want_below[i].to_bits(), "pair {} r={} n={} at {}", isa, radius, n, i);
            }
        }
    }
}

#[test]
fn blur_is_identical_on_every_isa_and_executor() {
    let (w, h) = (203, 61);
    let img: Vec<f32> = (0..w * h)
        .map(|i| ((i * 7919) % 1013) as f32 / 1013.0)
        .collect();
    let shape = Shape::new(w, h);
    for b in Boundary::ALL {
        let mut want = img.clone();
        let portable = LinearTaps::gaussian_5x5()
            .with_simd(SimdPath::Portable)
            .unwrap();
        Stencil::new(portable, b, 7)
            .unwrap()
            .apply_reference(&mut want, shape)
            .unwrap();
        for isa in supported() {
            let st =
                Stencil::new(LinearTaps::gaussian_5x5().with_simd(isa).unwrap(), b, 7).unwrap();
            let mut reference = img.clone();
            st.apply_reference(&mut reference, shape).unwrap();
            let mut blocked = img.clone();
            st.apply(&mut blocked, shape).unwrap();
            assert!(
                reference
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{isa} {b} reference"
            );
            assert!(
                blocked
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{isa} {b} blocked"
            );
        }
    }
}

#[test]
fn detection_is_consistent_and_unsupported_levels_are_refused() {
    let best = SimdPath::best();
    assert!(SimdPath::active() <= best);
    assert_eq!(LinearTaps::gaussian_5x5().simd(), SimdPath::active());
    assert!(SimdPath::Portable.is_supported());
    assert!(best.is_supported());
    for isa in SimdPath::ALL {
        let t = LinearTaps::new(0, &[Tap::new(0, 0, 1.0)])
            .unwrap()
            .with_simd(isa);
        if isa.is_supported() {
            assert!(isa <= best, "{isa} is supported but wider than {best}");
            assert_eq!(t.unwrap().simd(), isa);
        } else {
            assert_eq!(t.unwrap_err(), StencilError::SimdUnsupported { path: isa });
        }
        assert_eq!(isa.to_string(), isa.name());
    }
}
