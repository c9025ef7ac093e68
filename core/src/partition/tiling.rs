//! 2-D tiling of an `h × w` domain, each tile with its halo.
//!
//! A stencil of radius `r` that writes a tile's *owned* rectangle reads the owned
//! rectangle dilated by `r` in each direction, clipped at the domain edges: its
//! *halo* rectangle. A [`Tiling`] cuts the domain into tiles that own every cell
//! exactly once (row-major order of tiles), either with a fixed tile size (the
//! last tile of a row or column may be smaller) or as a grid of a given number of
//! tiles per axis (sizes along an axis differ by at most one). Tiles are never
//! empty: an empty domain has no tiles.

use core::fmt;
use core::iter::FusedIterator;
use core::ops::Range;

use super::balanced_range;

/// A half-open rectangle `y0..y1 × x0..x1` of a 2-D domain (rows `y`, columns `x`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rect {
    /// First row.
    pub y0: usize,
    /// One past the last row.
    pub y1: usize,
    /// First column.
    pub x0: usize,
    /// One past the last column.
    pub x1: usize,
}

impl Rect {
    /// The rectangle `rows × cols`.
    #[inline]
    pub fn new(rows: Range<usize>, cols: Range<usize>) -> Self {
        Self {
            y0: rows.start,
            y1: rows.end,
            x0: cols.start,
            x1: cols.end,
        }
    }

    /// Its rows, `y0..y1`.
    #[inline]
    pub fn rows(&self) -> Range<usize> {
        self.y0..self.y1
    }

    /// Its columns, `x0..x1`.
    #[inline]
    pub fn cols(&self) -> Range<usize> {
        self.x0..self.x1
    }

    /// Number of rows (0 when reversed).
    #[inline]
    pub fn height(&self) -> usize {
        self.y1.saturating_sub(self.y0)
    }

    /// Number of columns (0 when reversed).
    #[inline]
    pub fn width(&self) -> usize {
        self.x1.saturating_sub(self.x0)
    }

    /// Number of cells. Saturates at `usize::MAX`.
    #[inline]
    pub fn area(&self) -> usize {
        self.height().saturating_mul(self.width())
    }

    /// Whether it holds no cell.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.height() == 0 || self.width() == 0
    }

    /// Whether cell `(y, x)` lies inside.
    #[inline]
    pub fn contains(&self, y: usize, x: usize) -> bool {
        self.rows().contains(&y) && self.cols().contains(&x)
    }

    /// The rectangle grown by `radius` on every side and clipped to
    /// `0..height × 0..width`.
    ///
    /// ```
    /// use accel_core::partition::Rect;
    /// let r = Rect::new(1..3, 5..8).dilate(2, 10, 9);
    /// assert_eq!(r, Rect::new(0..5, 3..9));
    /// ```
    #[inline]
    pub fn dilate(&self, radius: usize, height: usize, width: usize) -> Self {
        Self {
            y0: self.y0.saturating_sub(radius).min(height),
            y1: self.y1.saturating_add(radius).min(height),
            x0: self.x0.saturating_sub(radius).min(width),
            x1: self.x1.saturating_add(radius).min(width),
        }
    }

    /// The cells in both rectangles (empty, possibly reversed-clamped, when disjoint).
    #[inline]
    pub fn intersect(&self, other: &Rect) -> Self {
        let y0 = self.y0.max(other.y0);
        let x0 = self.x0.max(other.x0);
        Self {
            y0,
            y1: self.y1.min(other.y1).max(y0),
            x0,
            x1: self.x1.min(other.x1).max(x0),
        }
    }
}

/// One tile of a [`Tiling`]: its position in the tile grid, the cells it owns
/// and the cells its stencil reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tile {
    /// Row-major index of the tile, `row · tile_cols + col`.
    pub index: usize,
    /// Tile row in the grid.
    pub row: usize,
    /// Tile column in the grid.
    pub col: usize,
    /// The cells this tile owns (writes). Owned rectangles partition the domain.
    pub owned: Rect,
    /// `owned` dilated by the tiling's radius, clipped to the domain.
    pub halo: Rect,
}

/// A rejected tiling request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TilingError {
    /// A tile dimension of 0 was requested.
    ZeroTileSize {
        /// Requested tile height.
        tile_height: usize,
        /// Requested tile width.
        tile_width: usize,
    },
    /// A grid with 0 tiles along an axis was requested.
    ZeroGrid {
        /// Requested tiles per column of the grid (vertical count).
        tile_rows: usize,
        /// Requested tiles per row of the grid (horizontal count).
        tile_cols: usize,
    },
    /// The number of tiles, `tile_rows · tile_cols`, exceeds `usize::MAX`.
    TooManyTiles {
        /// Tiles along the vertical axis.
        tile_rows: usize,
        /// Tiles along the horizontal axis.
        tile_cols: usize,
    },
}

impl fmt::Display for TilingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TilingError::ZeroTileSize {
                tile_height,
                tile_width,
            } => write!(f, "tile size {tile_height} × {tile_width} has a zero side"),
            TilingError::ZeroGrid {
                tile_rows,
                tile_cols,
            } => write!(f, "tile grid {tile_rows} × {tile_cols} has a zero side"),
            TilingError::TooManyTiles {
                tile_rows,
                tile_cols,
            } => write!(f, "{tile_rows} × {tile_cols} tiles overflow usize"),
        }
    }
}

impl core::error::Error for TilingError {}

/// How one axis of the domain is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum AxisSplit {
    /// Chunks of `size` (the last one possibly shorter) over `0..n`.
    Fixed { n: usize, size: usize },
    /// `parts` balanced parts of `0..n` (`parts ≤ n`).
    Balanced { n: usize, parts: usize },
}

impl AxisSplit {
    fn fixed(n: usize, size: usize) -> Self {
        AxisSplit::Fixed { n, size }
    }

    fn balanced(n: usize, parts: usize) -> Self {
        AxisSplit::Balanced {
            n,
            parts: parts.min(n),
        }
    }

    #[inline]
    fn count(&self) -> usize {
        match *self {
            AxisSplit::Fixed { n, size } => n.div_ceil(size),
            AxisSplit::Balanced { parts, .. } => parts,
        }
    }

    #[inline]
    fn range(&self, i: usize) -> Range<usize> {
        match *self {
            AxisSplit::Fixed { n, size } => {
                let start = i * size;
                start..start.saturating_add(size).min(n)
            }
            AxisSplit::Balanced { n, parts } => balanced_range(n, parts, i),
        }
    }

    /// The part owning coordinate `c < n`.
    #[inline]
    fn part_of(&self, c: usize) -> usize {
        match *self {
            AxisSplit::Fixed { size, .. } => c / size,
            AxisSplit::Balanced { n, parts } => {
                // The first r parts have q + 1 items, the rest q (q ≥ 1 as parts ≤ n).
                let (q, r) = (n / parts, n % parts);
                let big = r * (q + 1);
                if c < big {
                    c / (q + 1)
                } else {
                    r + (c - big) / q
                }
            }
        }
    }
}

/// A tiling of an `h × w` domain with halos of radius `r` (see the [module docs](self)).
///
/// ```
/// use accel_core::partition::{Rect, Tiling};
/// // A 5-point-wide blur (radius 2) on a 10 × 7 image, in tiles of 4 × 4.
/// let t = Tiling::with_tile_size(10, 7, 4, 4, 2).unwrap();
/// assert_eq!((t.tile_rows(), t.tile_cols(), t.len()), (3, 2, 6));
/// let last = t.tile(5).unwrap();
/// assert_eq!(last.owned, Rect::new(8..10, 4..7));
/// assert_eq!(last.halo, Rect::new(6..10, 2..7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tiling {
    height: usize,
    width: usize,
    radius: usize,
    rows: AxisSplit,
    cols: AxisSplit,
}

impl Tiling {
    fn from_splits(
        height: usize,
        width: usize,
        radius: usize,
        rows: AxisSplit,
        cols: AxisSplit,
    ) -> Result<Self, TilingError> {
        let (tile_rows, tile_cols) = (rows.count(), cols.count());
        if tile_rows.checked_mul(tile_cols).is_none() {
            return Err(TilingError::TooManyTiles {
                tile_rows,
                tile_cols,
            });
        }
        Ok(Self {
            height,
            width,
            radius,
            rows,
            cols,
        })
    }

    /// Tiles of `tile_height × tile_width` cells, row-major; the last tile row and
    /// column are cut short at the domain edge.
    ///
    /// # Errors
    /// [`TilingError::ZeroTileSize`] for a zero tile side,
    /// [`TilingError::TooManyTiles`] when the tile count overflows `usize`.
    pub fn with_tile_size(
        height: usize,
        width: usize,
        tile_height: usize,
        tile_width: usize,
        radius: usize,
    ) -> Result<Self, TilingError> {
        if tile_height == 0 || tile_width == 0 {
            return Err(TilingError::ZeroTileSize {
                tile_height,
                tile_width,
            });
        }
        Self::from_splits(
            height,
            width,
            radius,
            AxisSplit::fixed(height, tile_height),
            AxisSplit::fixed(width, tile_width),
        )
    }

    /// A grid of `tile_rows × tile_cols` tiles whose heights (widths) differ by at
    /// most one. An axis with fewer cells than requested tiles gets one tile per
    /// cell, so no tile is empty.
    ///
    /// ```
    /// use accel_core::partition::{Rect, Tiling};
    /// // Three horizontal strips of a 10 × 4 image, radius 1.
    /// let t = Tiling::with_grid(10, 4, 3, 1, 1).unwrap();
    /// let owned: Vec<_> = t.tiles().map(|t| t.owned.rows()).collect();
    /// assert_eq!(owned, [0..4, 4..7, 7..10]);
    /// assert_eq!(t.tile(1).unwrap().halo, Rect::new(3..8, 0..4));
    /// ```
    ///
    /// # Errors
    /// [`TilingError::ZeroGrid`] for a zero count, [`TilingError::TooManyTiles`]
    /// when the tile count overflows `usize`.
    pub fn with_grid(
        height: usize,
        width: usize,
        tile_rows: usize,
        tile_cols: usize,
        radius: usize,
    ) -> Result<Self, TilingError> {
        if tile_rows == 0 || tile_cols == 0 {
            return Err(TilingError::ZeroGrid {
                tile_rows,
                tile_cols,
            });
        }
        Self::from_splits(
            height,
            width,
            radius,
            AxisSplit::balanced(height, tile_rows),
            AxisSplit::balanced(width, tile_cols),
        )
    }

    /// At most `count` tiles, preferring horizontal strips (whole rows are
    /// contiguous in row-major images): `min(count, h)` strips, each split into
    /// `min(count / strips, w)` columns.
    ///
    /// ```
    /// use accel_core::partition::Tiling;
    /// assert_eq!(Tiling::with_count(100, 50, 4, 2).unwrap().tile_cols(), 1);
    /// let t = Tiling::with_count(2, 50, 5, 2).unwrap(); // only 2 rows: 2 × 2 tiles
    /// assert_eq!((t.tile_rows(), t.tile_cols()), (2, 2));
    /// ```
    ///
    /// # Errors
    /// [`TilingError::ZeroGrid`] when `count == 0`.
    pub fn with_count(
        height: usize,
        width: usize,
        count: usize,
        radius: usize,
    ) -> Result<Self, TilingError> {
        if count == 0 {
            return Err(TilingError::ZeroGrid {
                tile_rows: 0,
                tile_cols: 0,
            });
        }
        let strips = count.min(height).max(1);
        Self::with_grid(height, width, strips, (count / strips).max(1), radius)
    }

    /// Height of the domain.
    #[inline]
    pub fn height(&self) -> usize {
        self.height
    }

    /// Width of the domain.
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Halo radius.
    #[inline]
    pub fn radius(&self) -> usize {
        self.radius
    }

    /// Number of tiles along the vertical axis.
    #[inline]
    pub fn tile_rows(&self) -> usize {
        self.rows.count()
    }

    /// Number of tiles along the horizontal axis.
    #[inline]
    pub fn tile_cols(&self) -> usize {
        self.cols.count()
    }

    /// Total number of tiles (0 for an empty domain).
    #[inline]
    pub fn len(&self) -> usize {
        self.tile_rows() * self.tile_cols()
    }

    /// Whether there are no tiles (the domain is empty).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tile in grid row `row`, grid column `col`, or `None` outside the grid. O(1).
    #[inline]
    pub fn tile_at(&self, row: usize, col: usize) -> Option<Tile> {
        if row >= self.tile_rows() || col >= self.tile_cols() {
            return None;
        }
        let owned = Rect::new(self.rows.range(row), self.cols.range(col));
        Some(Tile {
            index: row * self.tile_cols() + col,
            row,
            col,
            owned,
            halo: owned.dilate(self.radius, self.height, self.width),
        })
    }

    /// Tile number `index` in row-major order, or `None` past the end. O(1).
    #[inline]
    pub fn tile(&self, index: usize) -> Option<Tile> {
        let cols = self.tile_cols();
        if cols == 0 {
            return None;
        }
        self.tile_at(index / cols, index % cols)
    }

    /// The `(row, col)` grid position of the tile owning cell `(y, x)`, or `None`
    /// outside the domain. O(1).
    #[inline]
    pub fn tile_of(&self, y: usize, x: usize) -> Option<(usize, usize)> {
        (y < self.height && x < self.width).then(|| (self.rows.part_of(y), self.cols.part_of(x)))
    }

    /// All tiles in row-major order.
    #[inline]
    pub fn tiles(&self) -> Tiles {
        Tiles {
            tiling: *self,
            next: 0,
            end: self.len(),
        }
    }
}

/// Iterator over the tiles of a [`Tiling`] in row-major order.
#[derive(Clone, Debug)]
pub struct Tiles {
    tiling: Tiling,
    next: usize,
    end: usize,
}

impl Iterator for Tiles {
    type Item = Tile;

    #[inline]
    fn next(&mut self) -> Option<Tile> {
        if self.next >= self.end {
            return None;
        }
        let tile = self.tiling.tile(self.next);
        self.next += 1;
        tile
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Tiles {}
impl FusedIterator for Tiles {}
