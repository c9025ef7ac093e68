//! Property tests of the partitioning math: exact cover, size bounds, monotone
//! boundaries, tiles and halos against brute force, and the grain rule against
//! its cost model.

use accel_core::partition::{
    Rect, Tiling, TilingError, WeightError, balanced_range, grain_size, parts_for_grain,
    prefix_sums, weighted_boundary, weighted_bounds, weighted_part, worthwhile_parts,
};
use proptest::prelude::*;

/// Checks that `ranges` are contiguous, in order, and cover `0..n` exactly once.
fn assert_exact_cover(ranges: &[core::ops::Range<usize>], n: usize) {
    let mut next = 0;
    for r in ranges {
        assert_eq!(r.start, next, "gap or overlap in {ranges:?}");
        assert!(r.start <= r.end, "reversed range in {ranges:?}");
        next = r.end;
    }
    assert_eq!(next, n, "{ranges:?} does not end at {n}");
}

#[test]
fn balanced_edge_sizes() {
    for n in [0usize, 1, 2, 3, 5, 7, 13, 64, 101] {
        for parts in [1usize, 2, 3, 4, 7, 16, 200] {
            let ranges: Vec<_> = (0..parts).map(|p| balanced_range(n, parts, p)).collect();
            assert_exact_cover(&ranges, n);
            let (min, max) = ranges.iter().fold((usize::MAX, 0), |(a, b), r| {
                (a.min(r.len()), b.max(r.len()))
            });
            assert!(max - min <= 1, "n={n} parts={parts}: {ranges:?}");
        }
    }
}

#[test]
fn weighted_examples() {
    // The seed split blocks by count; a heavy tail must not be lumped together.
    let costs = [1u64, 1, 1, 1, 1, 1, 10, 10, 10];
    let mut prefix = [0u64; 10];
    assert_eq!(prefix_sums(&costs, &mut prefix), Ok(36));
    let parts: Vec<_> = (0..3).map(|i| weighted_part(&prefix, 3, i)).collect();
    // Ideal share 12: prefix reaches 12 at t = 7 (6 + 10 = 16 ≥ 12), 24 at t = 8 (26).
    assert_eq!(parts, [0..7, 7..8, 8..9]);
    // Ties go to the earlier boundary: equal costs split evenly.
    let mut halves = [0usize; 3];
    weighted_bounds(&[4, 4, 4, 4], &mut halves).unwrap();
    assert_eq!(halves, [0, 2, 4]);
    // All-zero costs fall back to the balanced split.
    let mut bounds = [0usize; 4];
    weighted_bounds(&[0; 10], &mut bounds).unwrap();
    assert_eq!(bounds, [0, 4, 7, 10]);
    // Empty input: every part is empty.
    weighted_bounds(&[], &mut bounds).unwrap();
    assert_eq!(bounds, [0, 0, 0, 0]);
}

#[test]
fn weighted_errors() {
    assert_eq!(
        weighted_bounds(&[u64::MAX, 1], &mut [0; 3]),
        Err(WeightError::CostOverflow { item: 1, cost: 1 })
    );
    assert_eq!(
        weighted_bounds(&[1], &mut [0; 1]),
        Err(WeightError::NoParts)
    );
    assert_eq!(
        prefix_sums(&[1, 2], &mut [0; 2]),
        Err(WeightError::BufferLength {
            expected: 3,
            actual: 2
        })
    );
    #[cfg(feature = "alloc")]
    assert_eq!(
        accel_core::partition::weighted_ranges(&[1], 0),
        Err(WeightError::NoParts)
    );
}

#[test]
fn tiling_errors_and_empty_domains() {
    assert_eq!(
        Tiling::with_tile_size(4, 4, 0, 2, 1),
        Err(TilingError::ZeroTileSize {
            tile_height: 0,
            tile_width: 2
        })
    );
    assert_eq!(
        Tiling::with_grid(4, 4, 2, 0, 1),
        Err(TilingError::ZeroGrid {
            tile_rows: 2,
            tile_cols: 0
        })
    );
    assert_eq!(
        Tiling::with_tile_size(usize::MAX, usize::MAX, 1, 1, 0),
        Err(TilingError::TooManyTiles {
            tile_rows: usize::MAX,
            tile_cols: usize::MAX
        })
    );
    for t in [
        Tiling::with_tile_size(0, 9, 4, 4, 2).unwrap(),
        Tiling::with_grid(9, 0, 3, 3, 2).unwrap(),
        Tiling::with_count(0, 0, 3, 2).unwrap(),
    ] {
        assert!(t.is_empty());
        assert_eq!(t.tiles().count(), 0);
        assert_eq!(t.tile(0), None);
        assert_eq!(t.tile_of(0, 0), None);
    }
}

#[test]
fn grain_rules_on_examples() {
    assert_eq!(worthwhile_parts(0, 5.0, 1_000.0, 8), 1);
    assert_eq!(worthwhile_parts(1_000, f64::NAN, 1_000.0, 8), 1);
    assert_eq!(worthwhile_parts(1_000, 1.0, 0.0, 8), 8);
    assert_eq!(worthwhile_parts(5, 1e9, 1.0, 8), 5);
    assert_eq!(worthwhile_parts(1_000, 1.0, 1_000.0, 0), 1);
    assert_eq!(grain_size(1.0, -1.0, 0.1), 1);
    assert_eq!(grain_size(1.0, 1.0, f64::NAN), usize::MAX);
    assert_eq!(grain_size(1e-300, 1e300, 1e-10), usize::MAX);
    assert_eq!(grain_size(3.0, 10.0, 1.0), 4);
    assert_eq!(parts_for_grain(0, 0, 0), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn balanced_covers_and_differs_by_at_most_one(n in 0usize..2_000, parts in 1usize..70) {
        let ranges: Vec<_> = (0..parts).map(|p| balanced_range(n, parts, p)).collect();
        assert_exact_cover(&ranges, n);
        for (p, r) in ranges.iter().enumerate() {
            // The first n % parts parts hold the extra item.
            prop_assert_eq!(r.len(), n / parts + usize::from(p < n % parts));
        }
    }

    #[test]
    fn weighted_parts_are_exact_and_near_ideal(
        costs in prop::collection::vec(prop_oneof![0u64..5, 0u64..1_000, Just(0u64)], 0..60),
        parts in 1usize..12,
    ) {
        let n = costs.len();
        let mut prefix = vec![0u64; n + 1];
        let total = prefix_sums(&costs, &mut prefix).unwrap();
        prop_assert_eq!(total, costs.iter().sum::<u64>());

        let ranges: Vec<_> = (0..parts).map(|i| weighted_part(&prefix, parts, i)).collect();
        assert_exact_cover(&ranges, n);
        let mut bounds = vec![0usize; parts + 1];
        weighted_bounds(&costs, &mut bounds).unwrap();
        for (i, &b) in bounds.iter().enumerate() {
            prop_assert_eq!(b, weighted_boundary(&prefix, parts, i));
        }
        #[cfg(feature = "alloc")]
        prop_assert_eq!(&accel_core::partition::weighted_ranges(&costs, parts).unwrap(), &ranges);

        let cmax = costs.iter().copied().max().unwrap_or(0) as i128;
        let (t, p) = (total as i128, parts as i128);
        for (i, r) in ranges.iter().enumerate() {
            let c = costs[r.clone()].iter().sum::<u64>() as i128;
            // |C_i − T/p| < max cost, in integers: |p·C_i − T| < p·cmax (or 0 if T = 0).
            let dev = (p * c - t).abs();
            if total == 0 {
                prop_assert!(r.len() + 1 >= n / parts && r.len() <= n / parts + 1);
            } else {
                prop_assert!(dev < p * cmax, "part {} {:?} cost {} total {} parts {}", i, r, c, t, p);
                // The sharper, per-boundary bracket of the proof.
                let left = if i == 0 { 0 } else { costs[r.start - 1] as i128 };
                let right = if i + 1 == parts { 0 } else { costs[r.end - 1] as i128 };
                prop_assert!(p * c - t >= -p * left && p * c - t <= p * right);
            }
        }
    }

    #[test]
    fn weighted_handles_huge_costs(
        costs in prop::collection::vec(prop_oneof![Just(u64::MAX / 64), 0u64..3], 0..40),
        parts in 1usize..9,
    ) {
        let mut bounds = vec![0usize; parts + 1];
        weighted_bounds(&costs, &mut bounds).unwrap();
        prop_assert!(bounds.windows(2).all(|w| w[0] <= w[1]));
        prop_assert_eq!(bounds[parts], costs.len());
    }

    #[test]
    fn tiles_cover_once_and_halos_are_clipped_dilations(
        h in 0usize..24, w in 0usize..24,
        a in 1usize..9, b in 1usize..9,
        radius in 0usize..4,
        grid in any::<bool>(),
    ) {
        let t = if grid {
            Tiling::with_grid(h, w, a, b, radius).unwrap()
        } else {
            Tiling::with_tile_size(h, w, a, b, radius).unwrap()
        };
        let mut owner = vec![usize::MAX; h * w];
        let tiles: Vec<_> = t.tiles().collect();
        prop_assert_eq!(tiles.len(), t.len());
        for (index, tile) in tiles.iter().enumerate() {
            prop_assert_eq!(tile.index, index);
            prop_assert_eq!(Some(*tile), t.tile_at(tile.row, tile.col));
            prop_assert!(!tile.owned.is_empty());
            if grid {
                prop_assert!(tile.owned.height().abs_diff(h / t.tile_rows()) <= 1);
                prop_assert!(tile.owned.width().abs_diff(w / t.tile_cols()) <= 1);
            } else {
                prop_assert!(tile.owned.height() <= a && tile.owned.width() <= b);
                prop_assert!(tile.owned.y1 == h || tile.owned.height() == a);
                prop_assert!(tile.owned.x1 == w || tile.owned.width() == b);
            }
            for y in tile.owned.rows() {
                for x in tile.owned.cols() {
                    prop_assert_eq!(owner[y * w + x], usize::MAX, "cell ({}, {}) owned twice", y, x);
                    owner[y * w + x] = index;
                    prop_assert_eq!(t.tile_of(y, x), Some((tile.row, tile.col)));
                }
            }
            // Halo: exactly the cells within Chebyshev distance r of an owned cell.
            for y in 0..h {
                for x in 0..w {
                    let near = tile.owned.rows().any(|oy| oy.abs_diff(y) <= radius)
                        && tile.owned.cols().any(|ox| ox.abs_diff(x) <= radius);
                    prop_assert_eq!(tile.halo.contains(y, x), near);
                }
            }
            prop_assert!(tile.halo.y1 <= h && tile.halo.x1 <= w);
        }
        prop_assert!(owner.iter().all(|&o| o != usize::MAX));
        prop_assert_eq!(t.tile(t.len()), None);
        prop_assert_eq!(t.tile_of(h, 0), None);
    }

    #[test]
    fn count_tiling_respects_the_count(h in 0usize..40, w in 0usize..40, count in 1usize..20) {
        let t = Tiling::with_count(h, w, count, 1).unwrap();
        prop_assert!(t.len() <= count);
        let area: usize = t.tiles().map(|tile| tile.owned.area()).sum();
        prop_assert_eq!(area, h * w);
        if h >= count && w > 0 {
            prop_assert_eq!((t.tile_rows(), t.tile_cols()), (count, 1));
        }
    }

    #[test]
    fn rect_intersection_is_cellwise(
        a in (0usize..8, 0usize..8, 0usize..8, 0usize..8),
        b in (0usize..8, 0usize..8, 0usize..8, 0usize..8),
    ) {
        let ra = Rect::new(a.0..a.0 + a.1, a.2..a.2 + a.3);
        let rb = Rect::new(b.0..b.0 + b.1, b.2..b.2 + b.3);
        let both = ra.intersect(&rb);
        for y in 0..20 {
            for x in 0..20 {
                prop_assert_eq!(both.contains(y, x), ra.contains(y, x) && rb.contains(y, x));
            }
        }
        prop_assert_eq!(both.area(), (0..20).flat_map(|y| (0..20).map(move |x| (y, x)))
            .filter(|&(y, x)| both.contains(y, x)).count());
    }

    #[test]
    fn worthwhile_parts_minimise_the_model(
        items in 0usize..100_000,
        cost in 0.01f64..50.0,
        overhead in 1.0f64..20_000.0,
        max_parts in 0usize..64,
    ) {
        let p = worthwhile_parts(items, cost, overhead, max_parts);
        let cap = items.min(max_parts).max(1);
        prop_assert!((1..=cap).contains(&p));
        let work = items as f64 * cost;
        let time = |q: usize| work / q as f64 + overhead * q as f64;
        for q in 1..=cap {
            prop_assert!(time(p) <= time(q) * (1.0 + 1e-12), "p={} q={}", p, q);
        }
        // Monotone: more work never means fewer parts, more overhead never more.
        prop_assert!(worthwhile_parts(items.saturating_mul(2), cost, overhead, max_parts) >= p);
        prop_assert!(worthwhile_parts(items, cost, overhead * 2.0, max_parts) <= p);
    }

    #[test]
    fn grain_size_is_the_smallest_sufficient(
        cost in 0.01f64..100.0,
        overhead in 0.5f64..100_000.0,
        fraction in 0.001f64..1.0,
    ) {
        let g = grain_size(cost, overhead, fraction);
        prop_assert!(g >= 1);
        let per_item = fraction * cost;
        prop_assert!(g as f64 * per_item >= overhead * (1.0 - 1e-12));
        if g > 1 {
            prop_assert!(((g - 1) as f64) * per_item < overhead * (1.0 + 1e-12));
        }
    }

    #[test]
    fn parts_for_grain_bounds(items in 0usize..10_000, grain in 0usize..500, max_parts in 0usize..40) {
        let p = parts_for_grain(items, grain, max_parts);
        prop_assert!(p >= 1 && p <= max_parts.max(1));
        let g = grain.max(1);
        if p < max_parts.max(1) {
            // Not capped: exactly enough parts for grain-sized chunks.
            prop_assert!(p * g >= items && (p - 1) * g < items.max(1));
        }
    }
}

/// The global rows of `rank`'s halo by brute force: `depth` rows above or
/// below its band, periodic under `wrap`, clipped otherwise.
fn halo_rows_brute(
    bands: &accel_core::partition::RowBands,
    rank: usize,
    depth: usize,
    wrap: bool,
    above: bool,
) -> Vec<usize> {
    let band = bands.band(rank);
    if band.is_empty() {
        return Vec::new();
    }
    let h = bands.rows() as i64;
    let (lo, hi, d) = (band.start as i64, band.end as i64, depth as i64);
    let span = if above { lo - d..lo } else { hi..hi + d };
    span.filter(|&g| wrap || (0..h).contains(&g))
        .map(|g| g.rem_euclid(h) as usize)
        .collect()
}

proptest! {
    #[test]
    fn row_bands_cover_and_own(rows in 0usize..300, ranks in 1usize..9) {
        let bands = accel_core::partition::RowBands::new(rows, ranks);
        let parts: Vec<_> = (0..ranks).map(|r| bands.band(r)).collect();
        assert_exact_cover(&parts, rows);
        for (rank, band) in parts.iter().enumerate() {
            prop_assert!(band.len() >= bands.min_band() && band.len() <= bands.min_band() + 1);
            for row in band.clone() {
                prop_assert_eq!(bands.owner(row), rank);
            }
        }
    }

    #[test]
    fn halo_pieces_are_the_halo_rows_from_their_owners(
        rows in 1usize..60,
        ranks in 1usize..9,
        depth in 0usize..20,
        wrap in any::<bool>(),
        above in any::<bool>(),
    ) {
        let bands = accel_core::partition::RowBands::new(rows, ranks);
        for rank in 0..ranks {
            let mut got = Vec::new();
            for piece in bands.halo_pieces(rank, depth, wrap, above) {
                prop_assert_eq!(piece.offset, got.len(), "pieces in order, no gap");
                prop_assert!(!piece.rows.is_empty());
                let owner = bands.band(piece.rank);
                prop_assert!(owner.start <= piece.rows.start && piece.rows.end <= owner.end);
                got.extend(piece.rows);
            }
            let expected = halo_rows_brute(&bands, rank, depth, wrap, above);
            prop_assert_eq!(got.len(), bands.halo_rows(rank, depth, wrap, above));
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn aligned_ranges_cover_on_chunk_boundaries(n in 0usize..5000, align in 1usize..100, parts in 1usize..9) {
        let ranges: Vec<_> = (0..parts)
            .map(|p| accel_core::partition::aligned_range(n, align, parts, p))
            .collect();
        assert_exact_cover(&ranges, n);
        for r in &ranges {
            prop_assert!(r.start % align == 0 || r.start == n);
            let chunks = r.len().div_ceil(align);
            prop_assert!(chunks <= n.div_ceil(align).div_ceil(parts));
        }
    }

    #[test]
    fn halo_iterations_stay_in_bounds(min_band in 0usize..5000, radius in 0usize..5, remaining in 1usize..200, cap in 1usize..32) {
        let k = accel_core::partition::halo_iterations(min_band, radius, remaining, cap);
        prop_assert!(k >= 1 && k <= remaining && k <= cap);
        if k > 1 {
            prop_assert!(24 * k * radius <= min_band);
        }
    }
}
