//! fill (ARCHITECTURE.md §5.1) through the matrix and block-view API: the check vectors,
//! random sizes and bands (negative too) against an independent dense model, the
//! parallel populate against the serial one with 1, 2, 3 and 16 threads, every
//! stored block visited exactly once, and the `BandError` cases.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use accel_kernels::fill::{
    BandError, BandedBlockBandedMatrix, BandedBlockBandedSizes, FillError, STREAM_MIN_BYTES,
    fill_stored, populate, populate_serial, populate_with_cost, rank_block_columns, simplefill,
    simplefill_columns, simplefill_serial,
};
use accel_pool::{Pool, PoolConfig};
use proptest::prelude::*;

/// Pools with 1, 2, 3 and 16 threads (more than this machine's cores), built once.
fn pools() -> &'static [Pool] {
    static POOLS: OnceLock<Vec<Pool>> = OnceLock::new();
    POOLS.get_or_init(|| {
        [1, 2, 3, 16]
            .into_iter()
            .map(|n| Pool::new(PoolConfig::new().threads(n).pin(false)).unwrap())
            .collect()
    })
}

/// A cost per entry so high that every matrix with two block columns is split.
const FORCE_PARALLEL: f64 = 1e9;

/// The block containing global index `x` (skipping zero-size blocks) and the
/// local index, computed by a linear scan — independent of core's search.
fn locate(sizes: &[usize], x: usize) -> (usize, usize) {
    let mut start = 0;
    for (b, &s) in sizes.iter().enumerate() {
        if x < start + s {
            return (b, x - start);
        }
        start += s;
    }
    panic!("{x} is outside the blocks {sizes:?}");
}

/// The dense model of ARCHITECTURE.md §5.1: entry (i, j) is stored iff its blocks
/// satisfy -l ≤ J − K ≤ u and its local indices -λ ≤ j − k ≤ μ.
fn model_stored(
    rows: &[usize],
    cols: &[usize],
    (l, u, lam, mu): (isize, isize, isize, isize),
    i: usize,
    j: usize,
) -> bool {
    let (bk, k) = locate(rows, i);
    let (bj, jj) = locate(cols, j);
    let d = bj as isize - bk as isize;
    let dl = jj as isize - k as isize;
    -l <= d && d <= u && -lam <= dl && dl <= mu
}

/// The value a test fill writes at global (i, j): distinct and nonzero.
fn value(i: usize, j: usize) -> f64 {
    (i * 1000 + j + 1) as f64
}

/// Fills every stored entry of a block view with `value(global i, global j)`.
fn fill_globally(mut b: accel_kernels::fill::BlockViewMut<'_, f64>) {
    let (r0, c0) = (b.first_row(), b.first_col());
    b.fill_with(|k, j| value(r0 + k, c0 + j));
}

#[test]
fn check_vector_one_reads_back_the_dense_matrix() {
    // rows = cols = [2, 3], (l,u) = (0,1), (λ,μ) = (1,1), filled from row-major 1..25.
    let expected = [
        1., 2., 3., 4., 0., //
        6., 7., 8., 9., 10., //
        0., 0., 13., 14., 0., //
        0., 0., 18., 19., 20., //
        0., 0., 0., 24., 25.,
    ];
    let dense_source = |i: usize, j: usize| (i * 5 + j + 1) as f64;
    // (a) entry by entry through `set`, writing the whole block (zeros outside the
    // band are accepted, nonzeros rejected).
    let mut m = BandedBlockBandedMatrix::<f64>::new(&[2, 3], &[2, 3], 0, 1, 1, 1).unwrap();
    let sizes = m.sizes().clone();
    for b in sizes.blocks() {
        let mut view = m.block_mut(b.block_row, b.block_col).unwrap();
        let (r0, c0) = (view.first_row(), view.first_col());
        for k in 0..view.rows() {
            for j in 0..view.cols() {
                let v = dense_source(r0 + k, c0 + j);
                match view.set(k, j, v) {
                    Ok(()) => assert!(view.is_stored(k, j)),
                    Err(BandError::OutsideBand { .. }) => {
                        assert!(!view.is_stored(k, j));
                        view.set(k, j, 0.0).unwrap();
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
    assert_eq!(m.to_dense(), expected);
    // (b) through populate on every pool, via the column segments.
    for pool in pools() {
        let mut p = BandedBlockBandedMatrix::<f64>::new(&[2, 3], &[2, 3], 0, 1, 1, 1).unwrap();
        populate_with_cost(pool, &mut p, FORCE_PARALLEL, |mut b, _, _| {
            let (r0, c0) = (b.first_row(), b.first_col());
            for j in 0..b.cols() {
                let rows = b.col_rows(j);
                for (x, k) in b.col_mut(j).iter_mut().zip(rows) {
                    *x = dense_source(r0 + k, c0 + j);
                }
            }
        });
        assert_eq!(p.to_dense(), expected, "{} threads", pool.num_threads());
        assert_eq!(p, m);
    }
}

#[test]
fn check_vector_two_simplefill() {
    let expected = [
        1., 0., 0., 0., //
        1., 0., 0., 0., //
        0., 1., 0., 0., //
        0., 1., 1., 0., //
        0., 1., 1., 1., //
        0., 1., 1., 1., //
        0., 1., 1., 1., //
        0., 0., 1., 1.,
    ];
    let mut serial = BandedBlockBandedMatrix::<f64>::new(&[2, 6], &[1, 3], 0, 0, 4, 0).unwrap();
    simplefill_serial(&mut serial);
    assert_eq!(serial.to_dense(), expected);
    for pool in pools() {
        let mut m = BandedBlockBandedMatrix::<f64>::new(&[2, 6], &[1, 3], 0, 0, 4, 0).unwrap();
        simplefill(pool, &mut m);
        assert_eq!(m.to_dense(), expected);
        let mut forced = BandedBlockBandedMatrix::<f64>::new(&[2, 6], &[1, 3], 0, 0, 4, 0).unwrap();
        populate_with_cost(pool, &mut forced, FORCE_PARALLEL, |mut b, _, _| b.fill(1.0));
        assert_eq!(forced, serial);
    }
}

#[test]
fn the_notebooks_tiny_case_has_105_entries() {
    let mut m = BandedBlockBandedMatrix::<f64>::new(&[3; 8], &[3; 6], 1, 2, 0, 1).unwrap();
    assert_eq!(m.sizes().stored_entries(), 105);
    simplefill(&pools()[1], &mut m);
    assert_eq!(m.storage().iter().filter(|&&x| x == 1.0).count(), 105);
    assert_eq!(m.storage().iter().filter(|&&x| x != 0.0).count(), 105);
}

#[test]
fn band_errors_name_the_entry_and_the_band() {
    let mut m = BandedBlockBandedMatrix::<f64>::new(&[3, 4], &[2, 5], 1, 1, 0, 1).unwrap();
    let mut b = m.block_mut(1, 1).unwrap();
    assert_eq!((b.rows(), b.cols(), b.bandwidths()), (4, 5, (0, 1)));
    // In band: diagonal and first super-diagonal.
    b.set(2, 2, 1.0).unwrap();
    b.set(2, 3, 2.0).unwrap();
    // Out of band: below the diagonal, two above it.
    let e = b.set(3, 2, 5.0).unwrap_err();
    assert_eq!(
        e,
        BandError::OutsideBand {
            block_row: 1,
            block_col: 1,
            k: 3,
            j: 2,
            lambda: 0,
            mu: 1
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains("(3, 2)") && msg.contains("(1, 1)") && msg.contains("(0, 1)"),
        "{msg}"
    );
    assert!(matches!(
        b.set(0, 2, -1.0),
        Err(BandError::OutsideBand { .. })
    ));
    // Zero out of band is a no-op; reads there give zero.
    b.set(3, 2, 0.0).unwrap();
    assert_eq!(b.get(3, 2), Some(0.0));
    // Outside the block: rows 4.., cols 5.. — even zero.
    let e = b.set(4, 0, 0.0).unwrap_err();
    assert_eq!(
        e,
        BandError::OutsideBlock {
            block_row: 1,
            block_col: 1,
            k: 4,
            j: 0,
            rows: 4,
            cols: 5
        }
    );
    assert!(e.to_string().contains("4×5"), "{e}");
    assert!(b.set(0, 5, 1.0).is_err());
    assert_eq!(b.get(0, 5), None);
    assert_eq!(b.get(2, 3), Some(2.0));
    // Nothing but the two in-band writes reached the storage.
    assert_eq!(m.storage().iter().filter(|&&x| x != 0.0).count(), 2);
    assert_eq!(m.get(3 + 2, 2 + 3), Some(2.0));
    // Blocks outside the block band have no view.
    assert!(m.block_mut(0, 1).is_some());
    assert!(m.block(1, 0).is_some());
    let mut narrow = BandedBlockBandedMatrix::<f64>::new(&[2; 3], &[2; 3], 0, 0, 0, 0).unwrap();
    assert!(narrow.block_mut(0, 1).is_none());
    assert!(narrow.block(2, 3).is_none());
}

#[test]
fn size_errors_reach_the_caller() {
    let e = BandedBlockBandedMatrix::<f64>::new(&[1], &[1], isize::MAX, 1, 0, 0).unwrap_err();
    assert!(matches!(e, FillError::Size(_)), "{e}");
    assert!(e.to_string().contains("invalid"), "{e}");
    // Storage beyond what any allocator gives.
    let sizes = BandedBlockBandedSizes::new(&[1 << 40], &[1 << 40], 0, 0, 1 << 20, 0).unwrap();
    let e = BandedBlockBandedMatrix::<f64>::zeros(sizes).unwrap_err();
    assert!(matches!(e, FillError::StorageAlloc { .. }), "{e}");
}

#[test]
fn a_panic_in_the_closure_reaches_the_caller_and_the_pool_survives() {
    for pool in pools() {
        let mut m = BandedBlockBandedMatrix::<f64>::new(&[5; 7], &[5; 7], 1, 1, 1, 1).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            populate_with_cost(pool, &mut m, FORCE_PARALLEL, |_, k, j| {
                assert!((k, j) != (3, 4), "block (3, 4) refuses");
            })
        }));
        assert!(r.is_err());
        simplefill(pool, &mut m);
        assert_eq!(m.get(0, 0), Some(1.0));
    }
}

/// Block sizes (zero-size blocks included) and signed bandwidths.
fn shape() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, (isize, isize, isize, isize))> {
    (
        prop::collection::vec(0usize..6, 0..6),
        prop::collection::vec(0usize..6, 0..6),
        (-2isize..3, -2isize..3, -3isize..4, -3isize..4),
    )
}

/// Shapes big enough for the default cost model to go parallel, and with more
/// block columns than some pools have threads, or fewer.
fn big_shape() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, (isize, isize, isize, isize))> {
    (
        prop::collection::vec(0usize..90, 1..12),
        prop::collection::vec(0usize..90, 1..12),
        (-1isize..3, -1isize..3, -4isize..12, -4isize..12),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random sizes and bands: to_dense, get and the views agree with the model,
    /// and no padding entry is written.
    #[test]
    fn random_shapes_match_the_dense_model((rows, cols, bands) in shape()) {
        let (l, u, lam, mu) = bands;
        let mut m = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        populate_serial(&mut m, |b, _, _| fill_globally(b));
        let (nr, nc) = (rows.iter().sum::<usize>(), cols.iter().sum::<usize>());
        let dense = m.to_dense();
        prop_assert_eq!(dense.len(), nr * nc);
        let mut stored = 0;
        for i in 0..nr {
            for j in 0..nc {
                let want = if model_stored(&rows, &cols, bands, i, j) {
                    stored += 1;
                    value(i, j)
                } else {
                    0.0
                };
                prop_assert_eq!(dense[i * nc + j], want, "({}, {})", i, j);
                prop_assert_eq!(m.get(i, j), Some(want));
            }
        }
        prop_assert_eq!(m.get(nr, 0), None);
        prop_assert_eq!(m.sizes().stored_entries(), stored);
        // Exactly the stored entries were written: the padding is untouched.
        prop_assert_eq!(m.storage().iter().filter(|&&x| x != 0.0).count(), stored);
        // The same through simplefill, serial and parallel.
        let mut ones = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        simplefill_serial(&mut ones);
        prop_assert_eq!(ones.storage().iter().filter(|&&x| x == 1.0).count(), stored);
        for pool in pools() {
            let mut p = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
            simplefill(pool, &mut p);
            prop_assert_eq!(&p, &ones);
        }
        // Split among 1 to 5 ranks by stored entries: the shares tile the block
        // columns, and filling each share gives the whole fill.
        for parts in 1..=5 {
            let mut p = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
            let mut next = 0;
            for part in 0..parts {
                let share = rank_block_columns(p.sizes(), parts, part);
                prop_assert_eq!(share.start, next);
                next = share.end;
                simplefill_columns(&pools()[1], &mut p, share);
            }
            prop_assert_eq!(next, cols.len());
            prop_assert_eq!(&p, &ones);
        }
        // Read views agree with the dense matrix entry by entry.
        for b in m.sizes().clone().blocks() {
            let v = m.block(b.block_row, b.block_col).unwrap();
            prop_assert_eq!(v.entries(), b.entries);
            for k in 0..v.rows() {
                for j in 0..v.cols() {
                    let g = dense[(v.first_row() + k) * nc + v.first_col() + j];
                    prop_assert_eq!(v.get(k, j), Some(g));
                    prop_assert_eq!(v.is_stored(k, j), g != 0.0);
                }
            }
        }
    }

    /// Parallel populate (default cost model and forced splitting) equals the
    /// serial one, with 1, 2, 3 and 16 threads.
    #[test]
    fn parallel_populate_equals_serial((rows, cols, bands) in big_shape()) {
        let (l, u, lam, mu) = bands;
        let mut serial = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        populate_serial(&mut serial, |b, _, _| fill_globally(b));
        let mut ones = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        simplefill_serial(&mut ones);
        for pool in pools() {
            for cost in [accel_kernels::fill::DEFAULT_NS_PER_ENTRY, FORCE_PARALLEL] {
                let mut p = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
                populate_with_cost(pool, &mut p, cost, |b, _, _| fill_globally(b));
                prop_assert_eq!(&p, &serial, "{} threads, cost {}", pool.num_threads(), cost);
            }
            let mut p = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
            populate(pool, &mut p, |b, _, _| fill_globally(b));
            prop_assert_eq!(&p, &serial);
            let mut s = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
            simplefill(pool, &mut s);
            prop_assert_eq!(&s, &ones);
        }
    }

    /// populate calls the closure exactly once per stored block (and never for
    /// another), with the view of that block.
    #[test]
    fn every_stored_block_is_visited_exactly_once((rows, cols, bands) in big_shape()) {
        let (l, u, lam, mu) = bands;
        let (nb, mb) = (rows.len(), cols.len());
        for pool in pools() {
            for cost in [accel_kernels::fill::DEFAULT_NS_PER_ENTRY, FORCE_PARALLEL] {
                let mut m = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
                let calls: Vec<AtomicUsize> = (0..nb * mb).map(|_| AtomicUsize::new(0)).collect();
                let sizes = m.sizes().clone();
                populate_with_cost(pool, &mut m, cost, |b, k, j| {
                    assert_eq!((b.block_row(), b.block_col()), (k, j));
                    assert_eq!((b.rows(), b.cols()), (rows[k], cols[j]));
                    assert_eq!(b.first_row(), rows[..k].iter().sum::<usize>());
                    assert_eq!(b.first_col(), cols[..j].iter().sum::<usize>());
                    calls[k * mb + j].fetch_add(1, Ordering::Relaxed);
                });
                for k in 0..nb {
                    for j in 0..mb {
                        let d = j as isize - k as isize;
                        let stored = -l <= d && d <= u;
                        prop_assert_eq!(calls[k * mb + j].load(Ordering::Relaxed), usize::from(stored),
                            "block ({}, {}), {} threads", k, j, pool.num_threads());
                        prop_assert_eq!(sizes.is_block_stored(k, j), stored);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// The one-pass fill writes exactly what a per-block fill writes, including
    /// wide block bands (many blocks per block column),
    /// wide sub-bands (runs longer than its fixed-length stores) and blocks of
    /// different heights in one block column.
    #[test]
    fn fill_stored_equals_a_fill_per_block(
        rows in prop::collection::vec(0usize..40, 1..14),
        cols in prop::collection::vec(0usize..40, 1..14),
        bands in (-1isize..6, -1isize..6, -3isize..12, -3isize..12),
    ) {
        let (l, u, lam, mu) = bands;
        let mut per_block = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        populate_serial(&mut per_block, |mut b, _, _| b.fill(2.5));
        let stored = per_block.sizes().stored_entries();
        prop_assert_eq!(per_block.storage().iter().filter(|&&x| x == 2.5).count(), stored);
        prop_assert_eq!(per_block.storage().iter().filter(|&&x| x != 0.0).count(), stored);
        for pool in pools() {
            let mut one_pass = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
            fill_stored(pool, &mut one_pass, 2.5);
            prop_assert_eq!(&one_pass, &per_block, "{} threads", pool.num_threads());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Equal block heights (the common case, which the one-value fill writes a
    /// block column's edge columns in one pass for), with a differently sized
    /// last block row and column: `fill_stored` and `simplefill` write what a
    /// per-block fill and the serial loop write, with 1, 2, 3 and 16 threads.
    #[test]
    fn fill_stored_on_equal_blocks_equals_a_fill_per_block(
        (n, r, last_r) in (1usize..12, 0usize..30, 0usize..30),
        (m, c, last_c) in (1usize..12, 0usize..30, 0usize..30),
        bands in (-1isize..5, -1isize..5, -3isize..10, -3isize..10),
    ) {
        let (l, u, lam, mu) = bands;
        let rows: Vec<usize> = std::iter::repeat_n(r, n).chain([last_r]).collect();
        let cols: Vec<usize> = std::iter::repeat_n(c, m).chain([last_c]).collect();
        let new = || BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        let mut per_block = new();
        populate_serial(&mut per_block, |mut b, _, _| b.fill(1.0));
        let mut serial = new();
        simplefill_serial(&mut serial);
        prop_assert_eq!(&serial, &per_block);
        for pool in pools() {
            let mut one_pass = new();
            fill_stored(pool, &mut one_pass, 1.0);
            prop_assert_eq!(&one_pass, &per_block, "fill_stored, {} threads", pool.num_threads());
            let mut simple = new();
            simplefill(pool, &mut simple);
            prop_assert_eq!(&simple, &per_block, "simplefill, {} threads", pool.num_threads());
        }
    }
}

#[test]
fn edge_sizes() {
    // No blocks at all; one block; zero-size blocks only; fewer block columns
    // than threads; a prime number of block columns.
    let shapes: [(&[usize], &[usize]); 6] = [
        (&[], &[]),
        (&[1], &[1]),
        (&[0, 0], &[0, 0, 0]),
        (&[7], &[3, 4]),
        (&[13; 13], &[11; 13]),
        (&[2, 0, 3], &[0, 5, 0]),
    ];
    for (rows, cols) in shapes {
        for bands in [(0, 0, 0, 0), (1, 2, 2, 1), (-1, 2, 1, -1)] {
            let (l, u, lam, mu) = bands;
            let mut serial =
                BandedBlockBandedMatrix::<f64>::new(rows, cols, l, u, lam, mu).unwrap();
            populate_serial(&mut serial, |b, _, _| fill_globally(b));
            for pool in pools() {
                let mut p = BandedBlockBandedMatrix::<f64>::new(rows, cols, l, u, lam, mu).unwrap();
                populate_with_cost(pool, &mut p, FORCE_PARALLEL, |b, _, _| fill_globally(b));
                assert_eq!(p, serial, "{rows:?} {cols:?} {bands:?}");
            }
        }
    }
}

/// Block sizes (rows and columns alike) and `[l, u, λ, μ]` of two matrices above the
/// threshold of streaming stores and prefetching ([`STREAM_MIN_BYTES`]): uneven
/// block sizes with a
/// few empty blocks and partial block bands at both ends, then equal blocks with a
/// negative sub-band.
fn larger_than_the_cache() -> [(Vec<usize>, [isize; 4]); 2] {
    let uneven = (0..160)
        .map(|i| if i % 41 == 7 { 0 } else { 430 + (i * 37) % 60 })
        .collect();
    let shapes = [(uneven, [1, 2, 2, 1]), (vec![997; 181], [0, 1, 3, -1])];
    for (sizes, [l, u, lam, mu]) in &shapes {
        let s = BandedBlockBandedSizes::new(sizes, sizes, *l, *u, *lam, *mu).unwrap();
        assert!(s.storage_len() * size_of::<f64>() > STREAM_MIN_BYTES);
    }
    shapes
}

/// Matrices larger than the streaming threshold ([`STREAM_MIN_BYTES`]): `simplefill` writes
/// long runs with streaming stores, on several workers, and must still write
/// exactly what the serial loop writes ([`larger_than_the_cache`]), with 1, 2, 3
/// and 16 threads.
#[test]
fn simplefill_of_a_matrix_larger_than_the_cache_equals_serial() {
    for (sizes, [l, u, lam, mu]) in larger_than_the_cache() {
        let new = || BandedBlockBandedMatrix::<f64>::new(&sizes, &sizes, l, u, lam, mu).unwrap();
        let mut serial = new();
        simplefill_serial(&mut serial);
        for pool in pools() {
            let mut p = new();
            simplefill(pool, &mut p);
            assert!(
                p == serial,
                "{l} {u} {lam} {mu}, {} threads",
                pool.num_threads()
            );
        }
    }
}

/// Matrices larger than the prefetch threshold ([`STREAM_MIN_BYTES`]): `populate` prefetches each
/// next block column, and must still visit every block once and write what the
/// serial visit writes ([`larger_than_the_cache`]), with 1, 2, 3 and 16 threads.
#[test]
fn populate_of_a_matrix_larger_than_the_cache_equals_serial() {
    for (sizes, [l, u, lam, mu]) in larger_than_the_cache() {
        let new = || BandedBlockBandedMatrix::<f64>::new(&sizes, &sizes, l, u, lam, mu).unwrap();
        let mut serial = new();
        populate_serial(&mut serial, |b, _, _| fill_globally(b));
        for pool in pools() {
            let mut p = new();
            let visits = AtomicUsize::new(0);
            populate_with_cost(pool, &mut p, FORCE_PARALLEL, |b, _, _| {
                visits.fetch_add(1, Ordering::Relaxed);
                fill_globally(b);
            });
            assert_eq!(
                visits.into_inner(),
                p.sizes().nonzero_block_count(),
                "{} threads",
                pool.num_threads()
            );
            assert!(
                p == serial,
                "{l} {u} {lam} {mu}, {} threads",
                pool.num_threads()
            );
        }
    }
}
