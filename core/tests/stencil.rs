//! Stencil semantics against hand-written direct formulas, validation errors,
//! boundary names, the pass schedule and accuracy against a float64 reference.

use accel_core::ir::stencil::{
    BlockPlan, Boundary, ExprKernel, GAUSSIAN_5X5, LinearTaps, MAX_LEVELS, MAX_RADIUS, MAX_TAPS,
    Passes, Shape, Stencil, StencilError, Tap,
};

/// Value read at `(y, x)` of `img` (`w × h`) under boundary `b`, by definition.
fn read(img: &[f64], w: usize, h: usize, b: Boundary, y: i64, x: i64) -> f64 {
    let (wi, hi) = (w as i64, h as i64);
    let (yy, xx) = match b {
        Boundary::Wrap => (y.rem_euclid(hi), x.rem_euclid(wi)),
        Boundary::Clamp => (y.clamp(0, hi - 1), x.clamp(0, wi - 1)),
        Boundary::ZeroSrc | Boundary::Skip => {
            if y < 0 || y >= hi || x < 0 || x >= wi {
                return 0.0;
            }
            (y, x)
        }
    };
    img[(yy * wi + xx) as usize]
}

/// Direct Jacobi iteration of `Σ w·p` in f64 with the boundary rule written out.
fn direct(
    img: &[f64],
    w: usize,
    h: usize,
    taps: &[Tap],
    r: usize,
    b: Boundary,
    n: usize,
) -> Vec<f64> {
    let mut cur = img.to_vec();
    for _ in 0..n {
        let mut next = cur.clone();
        for y in 0..h {
            for x in 0..w {
                let interior = y >= r && y + r < h && x >= r && x + r < w;
                if b == Boundary::Skip && !interior {
                    continue;
                }
                next[y * w + x] = taps
                    .iter()
                    .map(|t| {
                        f64::from(t.weight)
                            * read(
                                &cur,
                                w,
                                h,
                                b,
                                y as i64 + t.dy as i64,
                                x as i64 + t.dx as i64,
                            )
                    })
                    .sum();
            }
        }
        cur = next;
    }
    cur
}

fn both_executors(st: &Stencil<LinearTaps>, img: &[f32], shape: Shape) -> (Vec<f32>, Vec<f32>) {
    let mut a = img.to_vec();
    st.apply_reference(&mut a, shape).unwrap();
    let mut b = img.to_vec();
    st.apply(&mut b, shape).unwrap();
    (a, b)
}

/// Small integers and dyadic weights: every sum is exact in f32, so the result
/// must equal the direct formula exactly whatever the evaluation order.
fn exact_case(taps: &[Tap], r: usize, w: usize, h: usize, symmetric: bool) {
    let img: Vec<f32> = (0..w * h).map(|i| ((i * 7 + 3) % 16) as f32).collect();
    let img64: Vec<f64> = img.iter().map(|&v| f64::from(v)).collect();
    let lt = LinearTaps::new(r, taps).unwrap();
    assert_eq!(lt.is_symmetric(), symmetric);
    for b in Boundary::ALL {
        for n in 0..=3 {
            let st = Stencil::new(lt.clone(), b, n).unwrap();
            let want = direct(&img64, w, h, taps, r, b, n);
            let (got_ref, got_blk) = both_executors(&st, &img, Shape::new(w, h));
            for (i, ((&g, &k), &e)) in got_ref.iter().zip(&got_blk).zip(&want).enumerate() {
                assert_eq!(f64::from(g), e, "reference {b} n={n} {w}x{h} at {i}");
                assert_eq!(g.to_bits(), k.to_bits(), "blocked {b} n={n} {w}x{h} at {i}");
            }
        }
    }
}

#[test]
fn symmetric_3x3_each_boundary_matches_direct_formula() {
    let grid = [
        0.0625, 0.125, 0.0625, 0.125, 0.25, 0.125, 0.0625, 0.125, 0.0625,
    ];
    let taps: Vec<Tap> = (0..9)
        .map(|i| Tap::new(i / 3 - 1, i % 3 - 1, grid[i as usize]))
        .collect();
    for (w, h) in [(7, 6), (3, 3), (1, 4), (2, 2), (9, 1)] {
        exact_case(&taps, 1, w, h, true);
    }
}

#[test]
fn asymmetric_taps_each_boundary_match_direct_formula() {
    let taps = [
        Tap::new(0, 0, 0.5),
        Tap::new(-1, 2, 0.25),
        Tap::new(2, -1, 0.125),
        Tap::new(1, 1, -0.0625),
    ];
    for (w, h) in [(8, 7), (5, 5), (2, 3), (4, 1)] {
        exact_case(&taps, 2, w, h, false);
    }
}

#[test]
fn gaussian_on_a_delta_reproduces_the_weights() {
    // One iteration on a delta: every output is one weight times 1, exactly.
    let (w, h) = (9, 8);
    let mut img = vec![0.0f32; w * h];
    img[4 * w + 4] = 1.0;
    for b in [
        Boundary::ZeroSrc,
        Boundary::Wrap,
        Boundary::Clamp,
        Boundary::Skip,
    ] {
        let st = Stencil::blur(b, 1);
        let (got, blk) = both_executors(&st, &img, Shape::new(w, h));
        assert_eq!(got, blk);
        for y in 0..h {
            for x in 0..w {
                let (dy, dx) = (4 - y as i64, 4 - x as i64);
                let frame = y < 2 || y >= h - 2 || x < 2 || x >= w - 2;
                let want = if b == Boundary::Skip && frame {
                    0.0
                } else if dy.abs() <= 2 && dx.abs() <= 2 {
                    GAUSSIAN_5X5[(dy + 2) as usize][(dx + 2) as usize]
                } else {
                    0.0
                };
                assert_eq!(got[y * w + x], want, "{b} at ({y}, {x})");
            }
        }
    }
}

#[test]
fn skip_frame_keeps_input_values_and_small_planes_are_unchanged() {
    let (w, h) = (11, 9);
    let img: Vec<f32> = (0..w * h).map(|i| (i as f32 * 0.37).sin()).collect();
    for n in [1, 2, 7] {
        let st = Stencil::blur(Boundary::Skip, n);
        let (got, blk) = both_executors(&st, &img, Shape::new(w, h));
        assert_eq!(got, blk);
        for y in 0..h {
            for x in 0..w {
                if y < 2 || y >= h - 2 || x < 2 || x >= w - 2 {
                    assert_eq!(got[y * w + x], img[y * w + x], "frame ({y}, {x}) n={n}");
                } else {
                    assert_ne!(got[y * w + x], img[y * w + x], "interior ({y}, {x}) n={n}");
                }
            }
        }
    }
    for (w, h) in [(4, 10), (10, 4), (1, 1), (4, 4), (0, 0)] {
        let img: Vec<f32> = (0..w * h).map(|i| i as f32).collect();
        let (got, blk) = both_executors(&Stencil::blur(Boundary::Skip, 5), &img, Shape::new(w, h));
        assert_eq!(got, img);
        assert_eq!(blk, img);
    }
    let img: Vec<f32> = (0..64).map(|i| i as f32).collect();
    for b in Boundary::ALL {
        let (got, blk) = both_executors(&Stencil::blur(b, 0), &img, Shape::new(8, 8));
        assert_eq!(got, img);
        assert_eq!(blk, img);
    }
}

#[test]
fn expression_kernel_matches_direct_formula() {
    // max of the 4-neighbourhood minus the centre: nonlinear, exact.
    let kernel = ExprKernel::new(1, |n: &accel_core::ir::stencil::Window<'_>| {
        n.at(-1, 0).max(n.at(1, 0)).max(n.at(0, -1)).max(n.at(0, 1)) - n.centre()
    });
    let (w, h) = (6, 5);
    let img: Vec<f32> = (0..w * h).map(|i| ((i * 5) % 11) as f32).collect();
    let img64: Vec<f64> = img.iter().map(|&v| f64::from(v)).collect();
    for b in Boundary::ALL {
        let st = Stencil::new(&kernel, b, 1).unwrap();
        let mut got = img.clone();
        st.apply_reference(&mut got, Shape::new(w, h)).unwrap();
        let mut blk = img.clone();
        st.apply(&mut blk, Shape::new(w, h)).unwrap();
        assert_eq!(got, blk);
        for y in 0..h {
            for x in 0..w {
                if b == Boundary::Skip && (y == 0 || y == h - 1 || x == 0 || x == w - 1) {
                    assert_eq!(got[y * w + x], img[y * w + x]);
                    continue;
                }
                let p = |dy: i64, dx: i64| read(&img64, w, h, b, y as i64 + dy, x as i64 + dx);
                let want = p(-1, 0).max(p(1, 0)).max(p(0, -1)).max(p(0, 1)) - p(0, 0);
                assert_eq!(f64::from(got[y * w + x]), want, "{b} ({y}, {x})");
            }
        }
    }
}

/// A deterministic 0..1 image (xorshift).
fn random_image(n: usize, mut seed: u64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

#[test]
fn hundred_iterations_agree_with_float64_within_1e_5() {
    let (w, h) = (23, 19);
    let img = random_image(w * h, 0x9e37_79b9_7f4a_7c15);
    let img64: Vec<f64> = img.iter().map(|&v| f64::from(v)).collect();
    let taps: Vec<Tap> = (0..25)
        .map(|i| {
            Tap::new(
                i / 5 - 2,
                i % 5 - 2,
                GAUSSIAN_5X5[i as usize / 5][i as usize % 5],
            )
        })
        .collect();
    for b in Boundary::ALL {
        let want = direct(&img64, w, h, &taps, 2, b, 100);
        let (got, blk) = both_executors(&Stencil::blur(b, 100), &img, Shape::new(w, h));
        assert_eq!(got, blk, "{b}");
        let worst = got
            .iter()
            .zip(&want)
            .map(|(&g, &e)| (f64::from(g) - e).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-5, "{b}: max error {worst:e}");
    }
}

#[test]
fn invalid_stencils_and_calls_give_precise_errors() {
    use StencilError as E;
    assert_eq!(
        LinearTaps::new(1, &[Tap::new(2, 0, 1.0)]),
        Err(E::OffsetBeyondRadius {
            dy: 2,
            dx: 0,
            radius: 1
        })
    );
    assert_eq!(
        LinearTaps::new(1, &[Tap::new(0, -1, 1.0), Tap::new(0, -1, 2.0)]),
        Err(E::DuplicateTap { dy: 0, dx: -1 })
    );
    assert!(matches!(
        LinearTaps::new(1, &[Tap::new(1, 1, f32::NAN)]),
        Err(E::NonFiniteWeight { dy: 1, dx: 1, .. })
    ));
    assert_eq!(LinearTaps::new(1, &[]), Err(E::NoTaps));
    assert_eq!(
        LinearTaps::new(MAX_RADIUS + 1, &[Tap::new(0, 0, 1.0)]),
        Err(E::RadiusTooLarge {
            radius: MAX_RADIUS + 1,
            max: MAX_RADIUS
        })
    );
    let many: Vec<Tap> = (0..MAX_TAPS as i32 + 1)
        .map(|i| Tap::new(i / 17 - 8, i % 17 - 8, 1.0))
        .collect();
    assert_eq!(
        LinearTaps::new(8, &many),
        Err(E::TooManyTaps {
            count: MAX_TAPS + 1,
            max: MAX_TAPS
        })
    );
    assert_eq!(
        LinearTaps::from_grid(1, &[1.0; 8]),
        Err(E::GridLength { len: 8, radius: 1 })
    );
    assert!(matches!(
        Stencil::new(
            ExprKernel::new(MAX_RADIUS + 1, |_: &_| 0.0),
            Boundary::Skip,
            1
        ),
        Err(E::RadiusTooLarge { .. })
    ));

    let st = Stencil::blur(Boundary::Skip, 3);
    let mut img = vec![0.0f32; 20];
    assert_eq!(
        st.apply(&mut img, Shape::new(4, 6)),
        Err(E::PlaneLength {
            len: 20,
            width: 4,
            height: 6
        })
    );
    assert_eq!(
        st.apply_reference(&mut img, Shape::new(4, 6)),
        Err(E::PlaneLength {
            len: 20,
            width: 4,
            height: 6
        })
    );
    assert_eq!(
        st.apply(&mut [], Shape::new(0, 3)),
        Err(E::EmptyDimension {
            width: 0,
            height: 3
        })
    );
    assert_eq!(
        st.apply(&mut [], Shape::new(usize::MAX, 2)),
        Err(E::SizeOverflow {
            width: usize::MAX,
            height: 2
        })
    );
    // Wrap on planes thinner than the radius reads periodically: a 10×1 row
    // wraps every vertical read onto itself, so a constant row stays constant
    // times the weight sum, on both executors.
    let wrap = Stencil::blur(Boundary::Wrap, 1);
    for shape in [Shape::new(10, 1), Shape::new(1, 10), Shape::new(1, 1)] {
        let (mut a, mut b) = (
            vec![1.0f32; shape.width * shape.height],
            vec![1.0f32; shape.width * shape.height],
        );
        wrap.apply(&mut a, shape).unwrap();
        wrap.apply_reference(&mut b, shape).unwrap();
        let sum: f32 = GAUSSIAN_5X5.iter().flatten().sum();
        assert!(
            a.iter().all(|&v| (v - sum).abs() < 1e-6),
            "{shape:?}: {a:?}"
        );
        assert_eq!(a, b);
    }

    let shape = Shape::new(8, 8);
    let src = vec![0.0f32; 64];
    let plan = BlockPlan::new(2, 8);
    let mut scratch = vec![0.0f32; st.band_scratch_len(8, plan).unwrap()];
    let mut band = vec![0.0f32; 16];
    assert_eq!(
        st.run_band(&src, &mut band, shape, 6..9, plan, &mut scratch),
        Err(E::RowsOutOfRange {
            start: 6,
            end: 9,
            height: 8
        })
    );
    assert_eq!(
        st.run_band(&src, &mut band, shape, 0..3, plan, &mut scratch),
        Err(E::BandLength {
            len: 16,
            rows: 3,
            width: 8
        })
    );
    assert_eq!(
        st.run_band(
            &src,
            &mut band,
            shape,
            0..2,
            BlockPlan::new(2, 0),
            &mut scratch
        ),
        Err(E::ZeroStripWidth)
    );
    assert_eq!(
        st.band_scratch_len(8, BlockPlan::new(MAX_LEVELS + 1, 8)),
        Err(E::TooManyLevels {
            levels: MAX_LEVELS + 1,
            max: MAX_LEVELS
        })
    );
    let needed = scratch.len();
    assert_eq!(
        st.run_band(
            &src,
            &mut band,
            shape,
            0..2,
            plan,
            &mut scratch[..needed - 1]
        ),
        Err(E::ScratchTooShort {
            len: needed - 1,
            needed
        })
    );
    assert_eq!(
        st.run_band(&src, &mut band, shape, 0..2, plan, &mut scratch),
        Ok(())
    );
    let mut plane = vec![0.0f32; 64];
    let mut short = vec![0.0f32; 10];
    assert!(matches!(
        st.run_reference(&mut plane, shape, &mut short),
        Err(E::ScratchTooShort {
            len: 10,
            needed: 64
        })
    ));
    assert!(matches!(
        st.run_blocked(&mut plane, shape, plan, &mut short),
        Err(E::ScratchTooShort { len: 10, .. })
    ));
    // Messages name the values.
    let msg = E::OffsetBeyondRadius {
        dy: 3,
        dx: 0,
        radius: 2,
    }
    .to_string();
    assert!(msg.contains("(3, 0)") && msg.contains('2'), "{msg}");
}

#[test]
fn boundary_names_round_trip_and_bad_names_are_quoted() {
    for b in Boundary::ALL {
        assert_eq!(b.to_string().parse::<Boundary>(), Ok(b));
    }
    assert_eq!("skip".parse(), Ok(Boundary::Skip));
    assert_eq!("zero-src".parse(), Ok(Boundary::ZeroSrc));
    assert_eq!("wrap".parse(), Ok(Boundary::Wrap));
    assert_eq!(" Clamp ".parse(), Ok(Boundary::Clamp));
    assert_eq!(Boundary::default(), Boundary::Skip);
    let e = "mirror".parse::<Boundary>().unwrap_err();
    assert_eq!(e.text(), "mirror");
    assert!(e.to_string().contains("\"mirror\""), "{e}");
    let long = "é".repeat(40);
    let e = long.parse::<Boundary>().unwrap_err();
    assert!(e.text().len() <= 32 && long.starts_with(e.text()));
}

#[test]
fn pass_schedule_covers_iterations_and_ends_in_the_callers_buffer() {
    for n in 0..60 {
        for k in 0..10 {
            let p = Passes::new(n, k);
            let total = p.total();
            let ends = p.ends_in_scratch();
            let levels: Vec<usize> = p.collect();
            assert_eq!(levels.len(), total);
            assert_eq!(levels.iter().sum::<usize>(), n, "n={n} k={k}");
            assert!(
                levels.iter().all(|&l| l >= 1 && l <= k.max(1)),
                "n={n} k={k} {levels:?}"
            );
            let (lo, hi) = (levels.iter().min(), levels.iter().max());
            if let (Some(lo), Some(hi)) = (lo, hi) {
                assert!(hi - lo <= 1);
            }
            assert_eq!(ends, total % 2 == 1);
            // Odd only when every pass has one level.
            if ends {
                assert!(levels.iter().all(|&l| l == 1), "n={n} k={k} {levels:?}");
            }
        }
    }
}

#[test]
fn symmetry_is_detected_from_weights_only() {
    assert!(LinearTaps::gaussian_5x5().is_symmetric());
    let mut g = [1.0f32; 9];
    assert!(LinearTaps::from_grid(1, &g).unwrap().is_symmetric());
    g[0] = 2.0;
    assert!(!LinearTaps::from_grid(1, &g).unwrap().is_symmetric());
    // Sparse symmetric taps use the general plan.
    let cross = [
        Tap::new(0, 0, 0.5),
        Tap::new(1, 0, 0.125),
        Tap::new(-1, 0, 0.125),
        Tap::new(0, 1, 0.125),
        Tap::new(0, -1, 0.125),
    ];
    assert!(!LinearTaps::new(1, &cross).unwrap().is_symmetric());
    assert_eq!(LinearTaps::gaussian_5x5().weight(-2, 1), Some(0.0133));
    assert_eq!(LinearTaps::new(1, &cross).unwrap().weight(1, 1), None);
}

#[test]
fn cache_model_plans_fit_their_budget() {
    for r in 0..=3usize {
        for width in [1usize, 7, 100, 1536, 7095, 100_000] {
            for budget in [0usize, 10_000, 256 << 10, 1 << 20, 8 << 20] {
                let plan = BlockPlan::for_cache(r, width, budget);
                assert!(plan.levels >= 1 && plan.levels <= BlockPlan::MODEL_MAX_LEVELS);
                // A ring holds lag + r + 2 rows (lag = r rounded up to even).
                let rows = r + r % 2 + r + 2;
                // Whole rows where they are short enough and one level of
                // whole-row rings fits the budget.
                let whole_rows =
                    width <= BlockPlan::FULL_ROW_MAX && rows * (width + 2 * r) * 4 <= budget;
                let strip = if whole_rows {
                    width
                } else {
                    BlockPlan::PREFERRED_STRIP.min(width)
                };
                assert_eq!(plan.strip_width, strip, "r={r} w={width} b={budget}");
                let footprint = |k: usize| k * rows * (plan.strip_width + 2 * r * k) * 4;
                if plan.levels > 1 {
                    assert!(
                        footprint(plan.levels) <= budget,
                        "r={r} w={width} b={budget} {plan:?}"
                    );
                }
                if plan.levels < BlockPlan::MODEL_MAX_LEVELS {
                    assert!(
                        footprint(plan.levels + 1) > budget,
                        "r={r} w={width} b={budget} {plan:?}"
                    );
                }
            }
        }
    }
    // The benchmark: radius 2, 7095 wide, 1 MiB of L2 per worker: whole rows,
    // six levels of rings of 6 rows of 7095 + 4k columns each.
    let plan = BlockPlan::for_cache(2, 7095, BlockPlan::DEFAULT_CACHE_BYTES);
    assert_eq!(plan, BlockPlan::new(6, 7095));
    // Wider than FULL_ROW_MAX: strips.
    let plan = BlockPlan::for_cache(2, 100_000, BlockPlan::DEFAULT_CACHE_BYTES);
    assert_eq!(plan, BlockPlan::new(26, BlockPlan::PREFERRED_STRIP));
    // A bare-metal 4 KiB budget: one level of 2000-wide row rings (6 × 2004 ×
    // 4 B) does not fit, so strips; a 1 MiB budget takes the whole row.
    assert_eq!(
        BlockPlan::for_cache(2, 2000, 4096),
        BlockPlan::new(1, BlockPlan::PREFERRED_STRIP)
    );
    assert_eq!(BlockPlan::for_cache(2, 2000, 1 << 20).strip_width, 2000);
}
