//! [`Cells`]: what a [`SystemFormula`](super::SystemFormula) reads, and
//! [`Offset`]: where, relative to the point being computed.
//!
//! The executors hand a formula a window of row slices: for every input (each
//! field's levels, then the constants), the `(2r + 1)^(d − 1)` rows that the
//! neighbourhood of the current output row touches, outermost offset first.
//! A read at offset `(dz, dy, dx)` of input `i` is column `col + dx` of window
//! row `i·per_input + (dz + rz)·side + (dy + ry)`, where `rz`, `ry` are the
//! radius in the dimensions the grid has and 0 in the others.

use core::marker::PhantomData;

use super::super::point::RowLoad;

/// A relative offset `(dz, dy, dx)`, outermost first. Write `dx` for a row,
/// `[dy, dx]` for a plane and `[dz, dy, dx]` for a volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Offset {
    /// Planes away (3-D only).
    pub dz: i32,
    /// Rows away (2-D and 3-D).
    pub dy: i32,
    /// Columns away.
    pub dx: i32,
}

impl From<i32> for Offset {
    #[inline(always)]
    fn from(dx: i32) -> Self {
        Self { dz: 0, dy: 0, dx }
    }
}

impl From<[i32; 2]> for Offset {
    #[inline(always)]
    fn from([dy, dx]: [i32; 2]) -> Self {
        Self { dz: 0, dy, dx }
    }
}

impl From<[i32; 3]> for Offset {
    #[inline(always)]
    fn from([dz, dy, dx]: [i32; 3]) -> Self {
        Self { dz, dy, dx }
    }
}

/// How a window is laid out: the same for every point of a run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WindowLayout {
    /// The formula's radius.
    pub radius: usize,
    /// Radius along z (0 unless the grid is a volume).
    pub rz: usize,
    /// Radius along y (0 for a row).
    pub ry: usize,
    /// Window rows per unit of dz (`2r + 1` for a volume, else 0).
    pub z_step: usize,
    /// Window rows per unit of dy (1 unless the grid is a row).
    pub y_step: usize,
    /// Window rows per input: `(2r + 1)^(d − 1)`.
    pub per_input: usize,
    /// Evolving fields.
    pub fields: usize,
    /// Levels read per field.
    pub levels: usize,
    /// Read-only constant arrays.
    pub constants: usize,
}

impl WindowLayout {
    pub(crate) fn new(
        radius: usize,
        dims: usize,
        fields: usize,
        levels: usize,
        constants: usize,
    ) -> Self {
        let side = 2 * radius + 1;
        let (rz, ry, z_step, y_step, per_input) = match dims {
            1 => (0, 0, 0, 0, 1),
            2 => (0, radius, 0, 1, side),
            _ => (radius, radius, side, 1, side * side),
        };
        Self {
            radius,
            rz,
            ry,
            z_step,
            y_step,
            per_input,
            fields,
            levels,
            constants,
        }
    }

    /// Inputs in a window: every level of every field, then the constants.
    pub(crate) fn inputs(&self) -> usize {
        self.fields * self.levels + self.constants
    }

    /// Row slices in a window.
    pub(crate) fn rows(&self) -> usize {
        self.inputs() * self.per_input
    }
}

/// The neighbourhood, in every input, of the point (or run of [`RowLoad`]
/// lanes of consecutive points) a [`SystemFormula`](super::SystemFormula) is
/// computing.
///
/// Inputs are named by what they are: the current level of a field
/// ([`Cells::at`], [`Cells::field`]), an older level ([`Cells::past`]), or a
/// read-only constant array ([`Cells::constant`]).
#[derive(Clone, Copy, Debug)]
pub struct Cells<'a, R: RowLoad> {
    rows: &'a [&'a [R::Elem]],
    col: usize,
    layout: WindowLayout,
    value: PhantomData<R>,
}

impl<'a, R: RowLoad> Cells<'a, R> {
    /// The cells of the point(s) at column `col` of `rows`.
    ///
    /// # Safety
    /// `rows.len() == layout.rows()`, `col >= layout.radius`, and every row
    /// holds at least `col + layout.radius + R::LANES` values: then every read
    /// that passes [`Cells::read`]'s offset and input checks lies inside the
    /// window, which lets the reads skip their bounds checks.
    #[inline(always)]
    pub(crate) unsafe fn new(rows: &'a [&'a [R::Elem]], col: usize, layout: WindowLayout) -> Self {
        debug_assert!(rows.len() == layout.rows() && col >= layout.radius);
        debug_assert!(
            rows.iter()
                .all(|r| r.len() >= col + layout.radius + R::LANES)
        );
        Self {
            rows,
            col,
            layout,
            value: PhantomData,
        }
    }

    #[inline(always)]
    fn read(&self, input: usize, off: Offset) -> R {
        let l = &self.layout;
        let (dz, dy, dx) = (off.dz as isize, off.dy as isize, off.dx as isize);
        if dz.unsigned_abs() > l.rz || dy.unsigned_abs() > l.ry || dx.unsigned_abs() > l.radius {
            beyond_radius(off.dz, off.dy, off.dx, l.radius);
        }
        let row = input * l.per_input
            + (dz + l.rz as isize) as usize * l.z_step
            + (dy + l.ry as isize) as usize * l.y_step;
        // SAFETY: the offset is within the radius along the grid's
        // dimensions and `input` names an input (checked above and by the
        // callers), so `row < layout.rows() == rows.len()` and the columns
        // `col + dx .. col + dx + LANES` lie inside the row (`Cells::new`).
        unsafe {
            let row = self.rows.get_unchecked(row);
            R::load_unchecked(row, (self.col as isize + dx) as usize)
        }
    }

    /// The current value of field 0 at `off` (the common one-field case).
    ///
    /// # Panics
    /// If the offset reaches beyond the radius, or along a dimension the grid
    /// does not have.
    #[inline(always)]
    pub fn at(&self, off: impl Into<Offset>) -> R {
        self.field(0, off)
    }

    /// The current value of field `f` at `off`.
    ///
    /// # Panics
    /// As [`Cells::at`], and if the system has no field `f`.
    #[inline(always)]
    pub fn field(&self, f: usize, off: impl Into<Offset>) -> R {
        self.past(f, 0, off)
    }

    /// Field `f` at `off`, `age` iterations ago (`past(f, 0, off)` is
    /// `field(f, off)`; with two levels, `past(f, 1, off)` is the value
    /// before the current one).
    ///
    /// # Panics
    /// As [`Cells::at`], and if the system has no field `f` or keeps fewer
    /// than `age + 1` levels.
    #[inline(always)]
    pub fn past(&self, f: usize, age: usize, off: impl Into<Offset>) -> R {
        let l = &self.layout;
        if f >= l.fields || age >= l.levels {
            no_such_level(f, age, l.fields, l.levels);
        }
        self.read(f * l.levels + age, off.into())
    }

    /// Constant array `c` at `off`.
    ///
    /// # Panics
    /// As [`Cells::at`], and if the system has no constant `c`.
    #[inline(always)]
    pub fn constant(&self, c: usize, off: impl Into<Offset>) -> R {
        let l = &self.layout;
        if c >= l.constants {
            no_such_constant(c, l.constants);
        }
        self.read(l.fields * l.levels + c, off.into())
    }
}

/// The panic of a read beyond the radius, out of line so that the hot path
/// keeps no copy of the offset for the message.
#[cold]
#[inline(never)]
fn beyond_radius(dz: i32, dy: i32, dx: i32, radius: usize) -> ! {
    panic!(
        "stencil read at ({dz}, {dy}, {dx}) lies beyond the declared radius {radius} of this grid's dimensions"
    )
}

/// The panic of a read of a field or level the system does not have.
#[cold]
#[inline(never)]
fn no_such_level(f: usize, age: usize, fields: usize, levels: usize) -> ! {
    panic!("read of field {f} level {age}: the system has {fields} fields of {levels} levels")
}

/// The panic of a read of a constant the system does not have.
#[cold]
#[inline(never)]
fn no_such_constant(c: usize, constants: usize) -> ! {
    panic!("read of constant {c}: the system has {constants}")
}
