//! Tests of the banded-block-banded layout against ARCHITECTURE.md §5.1's check vectors
//! and a dense brute-force model of the BlockBandedMatrices.jl rules.

use accel_core::banded::{BandedBlockBandedSizes, BlockAxis, SizeError};
#[cfg(feature = "alloc")]
use proptest::prelude::*;

#[cfg(feature = "alloc")]
/// Fills the storage from a dense row-major matrix (stored entries only), walking
/// the blocks in storage order with the per-column segment API a kernel uses.
fn fill_from_dense<S: AsRef<[usize]>>(
    sizes: &BandedBlockBandedSizes<S>,
    dense: &[f64],
    width: usize,
) -> Vec<f64> {
    let mut storage = vec![f64::NAN; sizes.storage_len()];
    for b in sizes.blocks() {
        let (r0, c0) = (sizes.row_offset(b.block_row), sizes.col_offset(b.block_col));
        for j in 0..b.cols {
            let rows = b.layout.col_rows(j);
            let seg = b.layout.col_storage(j);
            assert_eq!(rows.len(), seg.len());
            for (k, slot) in rows.zip(&mut storage[seg]) {
                *slot = dense[(r0 + k) * width + c0 + j];
            }
        }
    }
    storage
}

#[cfg(feature = "alloc")]
/// Reads the storage back as a dense row-major matrix (0 where not stored).
fn read_dense<S: AsRef<[usize]>>(sizes: &BandedBlockBandedSizes<S>, storage: &[f64]) -> Vec<f64> {
    let (h, w) = (sizes.total_rows(), sizes.total_cols());
    let mut out = vec![0.0; h * w];
    for i in 0..h {
        for j in 0..w {
            if let Some(o) = sizes.dense_offset(i, j) {
                out[i * w + j] = storage[o];
            }
        }
    }
    out
}

#[test]
#[cfg(feature = "alloc")]
fn check_vector_dense_1_to_25() {
    let sizes = BandedBlockBandedSizes::new(&[2, 3], &[2, 3], 0, 1, 1, 1).unwrap();
    let dense: Vec<f64> = (1..=25).map(f64::from).collect();
    let storage = fill_from_dense(&sizes, &dense, 5);
    #[rustfmt::skip]
    let expected = [
        1.0, 2.0, 3.0, 4.0, 0.0,
        6.0, 7.0, 8.0, 9.0, 10.0,
        0.0, 0.0, 13.0, 14.0, 0.0,
        0.0, 0.0, 18.0, 19.0, 20.0,
        0.0, 0.0, 0.0, 24.0, 25.0,
    ];
    assert_eq!(read_dense(&sizes, &storage), expected);
    // (l+u+1)(λ+μ+1) = 2·3 storage rows, Σ cols = 5 columns.
    assert_eq!(
        (
            sizes.storage_rows(),
            sizes.storage_cols(),
            sizes.storage_len()
        ),
        (6, 5, 30)
    );
    assert_eq!(sizes.stored_entries(), 16);
}

#[test]
#[cfg(feature = "alloc")]
fn check_vector_ones_non_square_blocks() {
    let sizes = BandedBlockBandedSizes::new(&[2, 6], &[1, 3], 0, 0, 4, 0).unwrap();
    let mut storage = vec![0.0; sizes.storage_len()];
    for b in sizes.blocks() {
        for j in 0..b.cols {
            storage[b.layout.col_storage(j)].fill(1.0);
        }
    }
    #[rustfmt::skip]
    let expected = [
        1.0, 0.0, 0.0, 0.0,
        1.0, 0.0, 0.0, 0.0,
        0.0, 1.0, 0.0, 0.0,
        0.0, 1.0, 1.0, 0.0,
        0.0, 1.0, 1.0, 1.0,
        0.0, 1.0, 1.0, 1.0,
        0.0, 1.0, 1.0, 1.0,
        0.0, 0.0, 1.0, 1.0,
    ];
    assert_eq!(read_dense(&sizes, &storage), expected);
    assert_eq!(sizes.storage_rows(), 5);
}

/// The same check vector with no heap in the crate's API: offsets live in
/// caller-provided arrays and borrowed slices.
#[test]
fn no_alloc_constructors() {
    let sizes = BandedBlockBandedSizes::from_buffers(
        &[2, 6],
        &[1, 3],
        0,
        0,
        4,
        0,
        [0usize; 3],
        [0usize; 3],
    )
    .unwrap();
    assert_eq!(sizes.row_offsets(), &[0, 2, 8]);
    assert_eq!(sizes.col_offsets(), &[0, 1, 4]);
    assert_eq!(sizes.stored_entries(), 2 + 14);
    assert_eq!(sizes.nonzero_block_count(), 2);
    let mut seen = [(0usize, 0usize, 0usize); 2];
    for (slot, b) in seen.iter_mut().zip(sizes.blocks()) {
        *slot = (b.block_row, b.block_col, b.entries);
    }
    assert_eq!(seen, [(0, 0, 2), (1, 1, 14)]);
    // Entry (3, 2) of the matrix is local (1, 1) of block (1, 1):
    // row (u+K−J)(λ+μ+1) + (μ+k−j) = 0, column coloff[1] + 1 = 2, ld = 5.
    assert_eq!(sizes.dense_offset(3, 2), Some(10));
    assert_eq!(sizes.dense_offset(2, 2), None);

    let mut rows_buf = [7usize; 3];
    let mut cols_buf = [7usize; 3];
    let borrowed = BandedBlockBandedSizes::from_buffers(
        &[2, 6],
        &[1, 3],
        0,
        0,
        4,
        0,
        &mut rows_buf[..],
        &mut cols_buf[..],
    )
    .unwrap();
    assert_eq!(borrowed.as_borrowed(), sizes.as_borrowed());

    static ROWS: [usize; 3] = [0, 2, 8];
    static COLS: [usize; 3] = [0, 1, 4];
    let shared = BandedBlockBandedSizes::from_offsets(&ROWS[..], &COLS[..], 0, 0, 4, 0).unwrap();
    assert_eq!(shared, sizes.as_borrowed());

    let short = BandedBlockBandedSizes::from_buffers(&[1, 2], &[1], 0, 0, 0, 0, [0; 2], [0; 2]);
    assert_eq!(
        short,
        Err(SizeError::BufferLength {
            axis: BlockAxis::Rows,
            expected: 3,
            actual: 2
        })
    );
    static BAD: [usize; 3] = [0, 3, 2];
    assert_eq!(
        BandedBlockBandedSizes::from_offsets(&BAD[..], &COLS[..], 0, 0, 0, 0),
        Err(SizeError::BadOffsets {
            axis: BlockAxis::Rows,
            index: 2
        })
    );
    static NOT_ZERO: [usize; 2] = [1, 3];
    assert_eq!(
        BandedBlockBandedSizes::from_offsets(&COLS[..], &NOT_ZERO[..], 0, 0, 0, 0),
        Err(SizeError::BadOffsets {
            axis: BlockAxis::Cols,
            index: 0
        })
    );
}

#[test]
#[cfg(feature = "alloc")]
fn overflow_is_an_error() {
    let big = isize::MAX as usize;
    assert_eq!(
        BandedBlockBandedSizes::new(&[big, 1], &[1], 0, 0, 0, 0),
        Err(SizeError::SizeSumOverflow {
            axis: BlockAxis::Rows,
            block: 1,
            size: 1
        })
    );
    assert_eq!(
        BandedBlockBandedSizes::new(&[1], &[usize::MAX], 0, 0, 0, 0),
        Err(SizeError::SizeSumOverflow {
            axis: BlockAxis::Cols,
            block: 0,
            size: usize::MAX
        })
    );
    assert_eq!(
        BandedBlockBandedSizes::new(&[1], &[1], isize::MAX, 0, 0, 0),
        Err(SizeError::BlockBandOverflow {
            lower: isize::MAX,
            upper: 0
        })
    );
    assert_eq!(
        BandedBlockBandedSizes::new(&[1], &[1], 0, 0, isize::MAX - 3, 3),
        Err(SizeError::SubBandOverflow {
            lower: isize::MAX - 3,
            upper: 3
        })
    );
    assert_eq!(
        BandedBlockBandedSizes::new(&[1], &[1], 0, 1 << 32, 0, 1 << 32),
        Err(SizeError::StorageRowsOverflow {
            block_diagonals: (1 << 32) + 1,
            subblock_diagonals: (1 << 32) + 1
        })
    );
    assert_eq!(
        BandedBlockBandedSizes::new(&[1], &[big / 2], 0, 2, 0, 0),
        Err(SizeError::StorageOverflow {
            storage_rows: 3,
            storage_cols: big / 2
        })
    );
    // Huge but cancelling bandwidths are fine: l + u + 1 = 0 stores nothing.
    let empty = BandedBlockBandedSizes::new(&[3], &[3], isize::MIN, isize::MAX, 1, 1).unwrap();
    assert_eq!((empty.storage_rows(), empty.nonzero_block_count()), (0, 0));
    // Huge sub-bandwidths with no columns need no storage.
    let wide = BandedBlockBandedSizes::new(&[4], &[], 0, 0, isize::MAX - 1, 0).unwrap();
    assert_eq!(wide.storage_len(), 0);
    // Every error names its values.
    let msg = format!(
        "{}",
        SizeError::StorageOverflow {
            storage_rows: 3,
            storage_cols: 9
        }
    );
    assert!(msg.contains('3') && msg.contains('9'), "{msg}");
}

#[test]
#[cfg(feature = "alloc")]
fn empty_lists_and_zero_size_blocks() {
    let none = BandedBlockBandedSizes::new(&[], &[], 1, 1, 1, 1).unwrap();
    assert_eq!((none.row_blocks(), none.col_blocks()), (0, 0));
    assert_eq!(none.blocks().count(), 0);
    assert_eq!(none.storage_len(), 0);
    assert_eq!(none.dense_offset(0, 0), None);

    let zeros = BandedBlockBandedSizes::new(&[0, 2, 0], &[0, 0, 2], 2, 2, 0, 0).unwrap();
    // All 3×3 blocks are in the band, even the empty ones (as in BlockBandedMatrices.jl).
    assert_eq!(zeros.nonzero_block_count(), 9);
    assert_eq!(zeros.stored_entries(), 2);
    // Global (1, 1) is local (1, 1) of block (1, 2).
    assert_eq!(zeros.dense_offset(1, 1), zeros.offset(1, 2, 1, 1));
    assert!(zeros.dense_offset(1, 1).is_some());
    assert_eq!(zeros.block_column_range(0), 0..0);
    assert_eq!(zeros.block_column_range(2), 0..zeros.storage_len());
}

#[cfg(feature = "alloc")]
/// A random size description: small block lists (possibly empty, possibly with
/// zero-size blocks) and signed bandwidths around the interesting range.
fn small_sizes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, [isize; 4])> {
    (
        prop::collection::vec(0usize..5, 0..5),
        prop::collection::vec(0usize..5, 0..5),
        [-3isize..4, -3isize..4, -4isize..5, -4isize..5],
    )
}

#[cfg(feature = "alloc")]
/// Brute-force model: (K, J, k, j) → expected storage index, straight from §5.1.
fn model_offset(
    rows: &[usize],
    cols: &[usize],
    [l, u, lambda, mu]: [isize; 4],
    (bk, bj, k, j): (usize, usize, usize, usize),
) -> Option<usize> {
    if bk >= rows.len() || bj >= cols.len() || k >= rows[bk] || j >= cols[bj] {
        return None;
    }
    let (bd, d) = (bj as isize - bk as isize, j as isize - k as isize);
    if bd < -l || bd > u || d < -lambda || d > mu {
        return None;
    }
    let b = (lambda + mu + 1).max(0);
    let ld = (l + u + 1).max(0) * b;
    let row = (u - bd) * b + (mu - d);
    let col = cols[..bj].iter().sum::<usize>() + j;
    Some(row as usize + col * ld as usize)
}

#[cfg(feature = "alloc")]
mod properties {
    use super::*;
    use accel_core::banded::BandedBlock;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn offsets_match_brute_force((rows, cols, bands) in small_sizes()) {
            let [l, u, lambda, mu] = bands;
            let s = BandedBlockBandedSizes::new(&rows, &cols, l, u, lambda, mu).unwrap();
            let ld = ((l + u + 1).max(0) * (lambda + mu + 1).max(0)) as usize;
            prop_assert_eq!(s.storage_rows(), ld);
            prop_assert_eq!(s.storage_len(), ld * cols.iter().sum::<usize>());

            let mut owner = vec![None; s.storage_len()];
            let mut stored = 0usize;
            // One past every bound, so "outside" is exercised too.
            for bk in 0..=rows.len() {
                for bj in 0..=cols.len() {
                    let (h, w) = (rows.get(bk).copied().unwrap_or(1), cols.get(bj).copied().unwrap_or(1));
                    let mut block_count = 0usize;
                    for k in 0..=h {
                        for j in 0..=w {
                            let got = s.offset(bk, bj, k, j);
                            prop_assert_eq!(got, model_offset(&rows, &cols, bands, (bk, bj, k, j)));
                            if let Some(o) = got {
                                prop_assert!(o < s.storage_len());
                                prop_assert_eq!(owner[o], None, "offset {} used twice", o);
                                owner[o] = Some((bk, bj, k, j));
                                stored += 1;
                                block_count += 1;
                                prop_assert!(s.block_column_range(bj).contains(&o));
                            }
                        }
                    }
                    match s.block(bk, bj) {
                        Some(b) => prop_assert_eq!(b.entries, block_count),
                        None => prop_assert_eq!(block_count, 0),
                    }
                    let in_band = bk < rows.len() && bj < cols.len()
                        && -l <= bj as isize - bk as isize && bj as isize - bk as isize <= u;
                    prop_assert_eq!(s.is_block_stored(bk, bj), in_band);
                }
            }
            prop_assert_eq!(s.stored_entries(), stored);
        }

        #[test]
        fn blocks_in_storage_order((rows, cols, [l, u, lambda, mu]) in small_sizes()) {
            let s = BandedBlockBandedSizes::new(&rows, &cols, l, u, lambda, mu).unwrap();
            let expected: Vec<(usize, usize)> = (0..cols.len())
                .flat_map(|bj| (0..rows.len()).map(move |bk| (bk, bj)))
                .filter(|&(bk, bj)| {
                    let d = bj as isize - bk as isize;
                    -l <= d && d <= u
                })
                .collect();
            let blocks: Vec<BandedBlock> = s.blocks().collect();
            let got: Vec<(usize, usize)> = blocks.iter().map(|b| (b.block_row, b.block_col)).collect();
            prop_assert_eq!(&got, &expected);
            prop_assert_eq!(s.blocks().len(), expected.len());
            prop_assert_eq!(s.nonzero_block_count(), expected.len());
            prop_assert_eq!(blocks.iter().map(|b| b.entries).sum::<usize>(), s.stored_entries());

            for b in &blocks {
                prop_assert_eq!((b.rows, b.cols), (rows[b.block_row], cols[b.block_col]));
                prop_assert_eq!(Some(*b), s.block(b.block_row, b.block_col));
                // Per-column segments: exactly the stored rows, contiguous in storage.
                for j in 0..=b.cols {
                    let r = b.layout.col_rows(j);
                    let seg = b.layout.col_storage(j);
                    prop_assert_eq!(r.len(), seg.len());
                    prop_assert!(seg.end <= s.storage_len());
                    for k in 0..=b.rows {
                        let idx = b.layout.index(k, j);
                        prop_assert_eq!(idx.is_some(), r.contains(&k));
                        if let Some(o) = idx {
                            prop_assert_eq!(o, seg.start + (k - r.start));
                            prop_assert!(b.slab().contains(&o));
                        }
                    }
                }
            }
            // Slab spans never go backwards in storage order.
            for w in blocks.windows(2) {
                prop_assert!(w[0].slab().start <= w[1].slab().start);
                prop_assert!(w[0].slab().end <= w[1].slab().end);
            }
            // Block column ranges tile the storage; column entry counts add up.
            let mut next = 0;
            for bj in 0..cols.len() {
                let r = s.block_column_range(bj);
                prop_assert_eq!(r.start, next);
                next = r.end;
                let col_sum: usize = blocks.iter().filter(|b| b.block_col == bj).map(|b| b.entries).sum();
                prop_assert_eq!(s.column_entries(bj), col_sum);
            }
            prop_assert_eq!(next, s.storage_len());
        }

        #[test]
        fn runs_split_at_block_columns_are_disjoint(
            (rows, cols, [l, u, lambda, mu]) in small_sizes(),
            cut in 0usize..6,
        ) {
            let s = BandedBlockBandedSizes::new(&rows, &cols, l, u, lambda, mu).unwrap();
            let blocks: Vec<BandedBlock> = s.blocks().collect();
            let cut = cut.min(cols.len());
            let (left, right): (Vec<_>, Vec<_>) = blocks.iter().partition(|b| b.block_col < cut);
            let covered = |run: &[&BandedBlock]| match (run.first(), run.last()) {
                (Some(a), Some(b)) => s.blocks_storage_range(a, b),
                _ => 0..0,
            };
            let (lr, rr) = (covered(&left), covered(&right));
            prop_assert!(lr.end <= s.storage_len() && rr.end <= s.storage_len());
            if !left.is_empty() && !right.is_empty() {
                prop_assert!(lr.end <= rr.start, "{:?} overlaps {:?}", lr, rr);
            }
            for (run, range) in [(&left, &lr), (&right, &rr)] {
                for b in run.iter() {
                    for j in 0..b.cols {
                        let seg = b.layout.col_storage(j);
                        prop_assert!(seg.is_empty() || (range.start <= seg.start && seg.end <= range.end));
                    }
                }
            }
            // The column-run range agrees with the per-column ranges.
            let r = s.block_columns_range(0..cut);
            prop_assert_eq!(r.start, 0);
            prop_assert_eq!(r.end, if cut == 0 { 0 } else { s.block_column_range(cut - 1).end });
        }

        #[test]
        fn dense_offsets_match_block_offsets((rows, cols, [l, u, lambda, mu]) in small_sizes()) {
            let s = BandedBlockBandedSizes::new(&rows, &cols, l, u, lambda, mu).unwrap();
            let mut global = 0;
            let mut seen = 0;
            for (bk, &h) in rows.iter().enumerate() {
                for k in 0..h {
                    let mut gc = 0;
                    for (bj, &w) in cols.iter().enumerate() {
                        for j in 0..w {
                            let got = s.dense_offset(global, gc);
                            prop_assert_eq!(got, s.offset(bk, bj, k, j));
                            seen += usize::from(got.is_some());
                            gc += 1;
                        }
                    }
                    prop_assert_eq!(s.dense_offset(global, gc), None);
                    global += 1;
                }
            }
            prop_assert_eq!(seen, s.stored_entries());
            prop_assert_eq!(s.dense_offset(global, 0), None);
        }

        #[test]
        fn constructors_agree((rows, cols, [l, u, lambda, mu]) in small_sizes()) {
            let s = BandedBlockBandedSizes::new(&rows, &cols, l, u, lambda, mu).unwrap();
            let mut rb = vec![0; rows.len() + 1];
            let mut cb = vec![0; cols.len() + 1];
            let t = BandedBlockBandedSizes::from_buffers(&rows, &cols, l, u, lambda, mu, &mut rb[..], &mut cb[..]).unwrap();
            prop_assert_eq!(t.as_borrowed(), s.as_borrowed());
            let o = BandedBlockBandedSizes::from_offsets(s.row_offsets(), s.col_offsets(), l, u, lambda, mu).unwrap();
            prop_assert_eq!(o, s.as_borrowed());
        }

        /// Absurd sizes and bandwidths never panic or wrap: either an error, or a
        /// layout whose totals equal the exact (wide) arithmetic.
        #[test]
        fn huge_inputs_error_or_are_exact(
            rows in prop::collection::vec(prop_oneof![0usize..4, Just(usize::MAX / 3), Just(isize::MAX as usize)], 0..4),
            cols in prop::collection::vec(prop_oneof![0usize..4, Just(usize::MAX / 3), Just(1usize << 40)], 0..4),
            bands in [
                prop_oneof![-3isize..4, Just(isize::MAX), Just(isize::MIN), Just(1isize << 31)],
                prop_oneof![-3isize..4, Just(isize::MAX), Just(isize::MIN), Just(1isize << 31)],
                prop_oneof![-3isize..4, Just(isize::MAX), Just(isize::MIN), Just(1isize << 31)],
                prop_oneof![-3isize..4, Just(isize::MAX), Just(isize::MIN), Just(1isize << 31)],
            ],
        ) {
            let [l, u, lambda, mu] = bands;
            let wide = |v: &[usize]| v.iter().map(|&x| x as i128).sum::<i128>();
            let max = isize::MAX as i128;
            let bd = l as i128 + u as i128 + 1;
            let sd = lambda as i128 + mu as i128 + 1;
            // Factors above 2^63 are errors anyway; clamped, the product fits i128. Only the
            // storage length needs a saturating model.
            let ld = bd.clamp(0, 1 << 63) * sd.clamp(0, 1 << 63);
            let len = ld.saturating_mul(wide(&cols));
            let fits = wide(&rows) <= max && wide(&cols) <= max
                && bd <= max && sd <= max && ld <= max && len <= max;
            match BandedBlockBandedSizes::new(&rows, &cols, l, u, lambda, mu) {
                Ok(s) => {
                    prop_assert!(fits);
                    prop_assert_eq!(s.storage_rows() as i128, ld);
                    prop_assert_eq!(s.storage_len() as i128, len);
                    prop_assert!(s.stored_entries() <= s.storage_len());
                    let total: usize = s.blocks().map(|b| b.entries).sum();
                    prop_assert_eq!(total, s.stored_entries());
                }
                Err(e) => {
                    prop_assert!(!fits, "unexpected error {}", e);
                }
            }
        }
    }
}
