//! Building a program: declare inputs, write expressions with handles, and turn them
//! into patterns (maps, comprehensions, reductions).
//!
//! The builder owns the program under construction behind a `RefCell`, so that the
//! `Copy` handles ([`Ex`], [`Cond`]) can add nodes through a shared reference while
//! ordinary Rust operators combine them. Operators cannot return errors, so a problem
//! found inside one (handles of two builders mixed, or, array-at-a-time, arrays of
//! different lengths combined) is recorded, and every later fallible call (at the latest
//! [`Builder::finish`]) returns it.
//!
//! Two styles:
//! - [`Builder::new`]: expressions stay lazy; arrays exist only where the program says
//!   so (`map`, `output`, `comprehension`), so a formula is one loop from the start;
//! - [`Builder::array_at_a_time`]: every operation produces a temporary array, exactly
//!   like plain Julia or numpy. This is the honest model of array-style source, and
//!   [`Program::optimize`] fuses it back into one loop. Temporaries are named `$0`,
//!   `$1`, … (names a user cannot choose).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ops::Range;

use super::error::IrError;
use super::graph::{ArrayId, Expr, Graph, NodeId};
use super::handle::{Cond, Ex, Term};
use super::op::{ReduceOp, ValueKind};
use super::program::{
    ArrayDecl, ArrayRole, Loop, PatternKind, Program, ReductionDecl, ReductionId,
};
use super::real::DType;

/// When expressions become arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Only where the program asks (`map`, `output`, `comprehension`).
    Lazy,
    /// After every operation, like array languages do.
    ArrayAtATime,
}

pub(crate) struct State {
    pub(crate) style: Style,
    pub(crate) prog: Program,
    pub(crate) error: Option<IrError>,
    temps: usize,
}

/// Builds a [`Program`]; see the module docs for the two styles.
///
/// ```
/// use accel_core::ir::{Builder, DType, Plan, sqrt};
///
/// let b = Builder::new(DType::F64);
/// let x = b.input("x", 4)?;
/// let y = b.input("y", 4)?;
/// let r = b.output("r", sqrt(x * x + y * y))?;
/// b.sum("total", r)?;
/// let mut p = b.finish()?;
/// p.optimize();
/// assert_eq!(p.loops().len(), 1); // the map and the reduction share one loop
///
/// let plan = Plan::<f64>::compile(&p)?;
/// let mut r = [0.0; 4];
/// let sums = plan.run(&[&[3.0, 5.0, 8.0, 0.0], &[4.0, 12.0, 15.0, 1.0]], &mut [&mut r])?;
/// assert_eq!(r, [5.0, 13.0, 17.0, 1.0]);
/// assert_eq!(sums, [36.0]);
/// # Ok::<(), accel_core::ir::IrError>(())
/// ```
pub struct Builder {
    pub(crate) state: RefCell<State>,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl State {
    fn check_name(&self, name: &str) -> Result<(), IrError> {
        if !valid_name(name) {
            return Err(IrError::InvalidName {
                name: name.to_string(),
            });
        }
        let p = &self.prog;
        if p.arrays.iter().any(|a| a.name == name) || p.reductions.iter().any(|r| r.name == name) {
            return Err(IrError::DuplicateName {
                name: name.to_string(),
            });
        }
        Ok(())
    }

    fn pending(&self) -> Result<(), IrError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    pub(crate) fn record(&mut self, e: IrError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    pub(crate) fn intern(&mut self, e: Expr) -> NodeId {
        let kind = match e {
            Expr::Load { array, .. } => self.prog.arrays[array.index()].kind,
            _ => ValueKind::Num,
        };
        self.prog.graph.intern(e, kind)
    }

    /// A constant node for a literal pair, in this program's element type.
    pub(crate) fn literal(&mut self, f64v: f64, f32v: f32, kind: ValueKind) -> NodeId {
        let v = match self.prog.dtype {
            DType::F64 => f64v,
            DType::F32 => f64::from(f32v),
        };
        match kind {
            ValueKind::Num => self.intern(Expr::constant(v)),
            ValueKind::Bool => self.intern(Expr::Bool(v != 0.0)),
        }
    }

    fn declare(&mut self, name: String, len: usize, kind: ValueKind, role: ArrayRole) -> ArrayId {
        let id = ArrayId(u32::try_from(self.prog.arrays.len()).expect("more than 2^32 arrays"));
        self.prog.arrays.push(ArrayDecl {
            name,
            len,
            kind,
            role,
        });
        id
    }

    fn loads(&self, roots: &[NodeId]) -> Vec<(ArrayId, isize)> {
        self.prog
            .graph
            .reachable(roots.iter().copied())
            .into_iter()
            .filter_map(|n| match self.prog.graph.expr(n) {
                Expr::Load { array, offset } => Some((array, offset)),
                _ => None,
            })
            .collect()
    }

    /// The common length of the arrays `roots` read (a map's or reduction's length).
    fn infer_len(&self, pattern: &str, roots: &[NodeId]) -> Result<usize, IrError> {
        let loads = self.loads(roots);
        let Some(&(first, _)) = loads.first() else {
            return Err(IrError::UnknownLength {
                pattern: pattern.to_string(),
            });
        };
        let n = self.prog.arrays[first.index()].len;
        for &(a, _) in &loads {
            let decl = &self.prog.arrays[a.index()];
            if decl.len != n {
                return Err(IrError::LengthMismatch {
                    pattern: pattern.to_string(),
                    array: decl.name.clone(),
                    len: decl.len,
                    expected: n,
                    expected_from: self.prog.arrays[first.index()].name.clone(),
                });
            }
        }
        Ok(n)
    }

    /// Every read stays inside its array for every index of `domain`.
    fn check_reads(
        &self,
        pattern: &str,
        roots: &[NodeId],
        domain: &Range<usize>,
    ) -> Result<(), IrError> {
        if domain.start > domain.end {
            return Err(IrError::InvalidRange {
                pattern: pattern.to_string(),
                range: domain.clone(),
            });
        }
        if domain.is_empty() {
            return Ok(());
        }
        for (a, offset) in self.loads(roots) {
            let decl = &self.prog.arrays[a.index()];
            let first = domain.start as i128 + offset as i128;
            let last = domain.end as i128 - 1 + offset as i128;
            if first < 0 || last >= decl.len as i128 {
                return Err(IrError::OffsetOutOfBounds {
                    pattern: pattern.to_string(),
                    array: decl.name.clone(),
                    len: decl.len,
                    offset,
                    range: domain.clone(),
                });
            }
        }
        Ok(())
    }

    fn check_kind(&self, pattern: &str, node: NodeId, expected: ValueKind) -> Result<(), IrError> {
        let found = self.prog.graph.kind(node);
        if found != expected {
            return Err(IrError::KindMismatch {
                pattern: pattern.to_string(),
                expected,
                found,
            });
        }
        Ok(())
    }

    /// Adds a loop writing `outputs` over `domain` (already validated).
    fn add_array_loop(
        &mut self,
        domain: Range<usize>,
        outputs: Vec<(String, NodeId, ArrayRole)>,
        pattern: PatternKind,
    ) -> Vec<ArrayId> {
        let len = domain.len();
        let mut ids = Vec::with_capacity(outputs.len());
        let mut outs = Vec::with_capacity(outputs.len());
        for (name, node, role) in outputs {
            let kind = self.prog.graph.kind(node);
            let id = self.declare(name, len, kind, role);
            ids.push(id);
            outs.push((id, node));
        }
        self.prog.loops.push(Loop {
            domain,
            outputs: outs,
            reductions: Vec::new(),
            patterns: alloc::vec![pattern],
        });
        ids
    }

    /// Array-at-a-time: `node` becomes a temporary array, and a read of it is returned.
    pub(crate) fn materialize(&mut self, node: NodeId) -> NodeId {
        if self.style == Style::Lazy {
            return node;
        }
        let name = format!("${}", self.temps);
        let n = match self.infer_len(&name, &[node]) {
            Ok(n) => n,
            Err(IrError::UnknownLength { .. }) => return node, // literals and the index stay scalar
            Err(e) => {
                self.record(e);
                return node;
            }
        };
        if let Err(e) = self.check_reads(&name, &[node], &(0..n)) {
            self.record(e);
            return node;
        }
        self.temps += 1;
        let ids = self.add_array_loop(
            0..n,
            alloc::vec![(name, node, ArrayRole::Temp)],
            PatternKind::Map,
        );
        self.intern(Expr::Load {
            array: ids[0],
            offset: 0,
        })
    }

    /// `node` evaluated at `i + by`: every read and index shifted.
    pub(crate) fn shift(&mut self, node: NodeId, by: isize) -> NodeId {
        if by == 0 {
            return node;
        }
        let order = self.prog.graph.reachable([node]);
        let mut map: Vec<Option<NodeId>> = alloc::vec![None; self.prog.graph.len()];
        for id in order {
            let e = match self.prog.graph.expr(id) {
                Expr::Load { array, offset } => Expr::Load {
                    array,
                    offset: offset.saturating_add(by),
                },
                Expr::Index { offset } => Expr::Index {
                    offset: offset.saturating_add(by),
                },
                e => e.map_operands(|c| map[c.index()].expect("operands precede their node")),
            };
            map[id.index()] = Some(self.intern(e));
        }
        map[node.index()].expect("root visited")
    }
}

impl Builder {
    /// A builder whose expressions stay lazy until they are stored ([`Style::Lazy`]).
    pub fn new(dtype: DType) -> Builder {
        Builder::with_style(dtype, Style::Lazy)
    }

    /// A builder where every operation yields a temporary array, like Julia or numpy
    /// ([`Style::ArrayAtATime`]); [`Program::optimize`] fuses them.
    pub fn array_at_a_time(dtype: DType) -> Builder {
        Builder::with_style(dtype, Style::ArrayAtATime)
    }

    /// A builder with the given style.
    pub fn with_style(dtype: DType, style: Style) -> Builder {
        Builder {
            state: RefCell::new(State {
                style,
                prog: Program {
                    dtype,
                    graph: Graph::new(),
                    arrays: Vec::new(),
                    loops: Vec::new(),
                    reductions: Vec::new(),
                },
                error: None,
                temps: 0,
            }),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.state.borrow().prog.dtype
    }

    /// The style.
    pub fn style(&self) -> Style {
        self.state.borrow().style
    }

    /// Declares an input array of `len` elements; the handle reads `name[i]`.
    ///
    /// # Errors
    /// [`IrError::InvalidName`], [`IrError::DuplicateName`], or an error recorded earlier.
    pub fn input(&self, name: &str, len: usize) -> Result<Ex<'_>, IrError> {
        let mut s = self.state.borrow_mut();
        s.pending()?;
        s.check_name(name)?;
        let id = s.declare(name.to_string(), len, ValueKind::Num, ArrayRole::Input);
        let node = s.intern(Expr::Load {
            array: id,
            offset: 0,
        });
        Ok(Ex::node(self, node))
    }

    /// The loop index `i` as a value.
    pub fn index(&self) -> Ex<'_> {
        let node = self.state.borrow_mut().intern(Expr::Index { offset: 0 });
        Ex::node(self, node)
    }

    /// The node behind a handle, checking it belongs to this builder; a bare literal
    /// has no length, so it cannot stand for an array here.
    fn node_of(&self, t: Term<'_>, pattern: &str) -> Result<NodeId, IrError> {
        match t {
            Term::Node(b, id) if core::ptr::eq(b, self) => Ok(id),
            Term::Node(..) => Err(IrError::MixedBuilders),
            Term::Lit { .. } => Err(IrError::UnknownLength {
                pattern: pattern.to_string(),
            }),
        }
    }

    fn store<'g, const M: usize>(
        &'g self,
        outs: [(&str, Ex<'g>); M],
        role: ArrayRole,
    ) -> Result<[Ex<'g>; M], IrError> {
        let mut s = self.state.borrow_mut();
        s.pending()?;
        let mut items = Vec::with_capacity(M);
        for (i, (name, ex)) in outs.iter().enumerate() {
            s.check_name(name)?;
            if outs[..i].iter().any(|o| o.0 == *name) {
                return Err(IrError::DuplicateName {
                    name: name.to_string(),
                });
            }
            let node = self.node_of(ex.term(), name)?;
            items.push((name.to_string(), node, role));
        }
        let roots: Vec<NodeId> = items.iter().map(|i| i.1).collect();
        let n = match roots.first() {
            Some(_) => s.infer_len(&items[0].0, &roots)?,
            None => 0,
        };
        s.check_reads(items.first().map_or("map", |i| &i.0), &roots, &(0..n))?;
        let ids = s.add_array_loop(0..n, items, PatternKind::Map);
        let loads: Vec<NodeId> = ids
            .iter()
            .map(|&a| {
                s.intern(Expr::Load {
                    array: a,
                    offset: 0,
                })
            })
            .collect();
        Ok(core::array::from_fn(|k| Ex::node(self, loads[k])))
    }

    /// A map computing temporary arrays `name[i] = value` (one loop, `M` outputs) over
    /// the common length of the arrays the values read; returns reads of the new arrays.
    ///
    /// # Errors
    /// [`IrError::LengthMismatch`] if the values read arrays of different lengths,
    /// [`IrError::OffsetOutOfBounds`] for a shifted read that leaves its array,
    /// [`IrError::UnknownLength`] if they read no array, name errors, or an error
    /// recorded earlier.
    pub fn map<'g, const M: usize>(
        &'g self,
        outs: [(&str, Ex<'g>); M],
    ) -> Result<[Ex<'g>; M], IrError> {
        self.store(outs, ArrayRole::Temp)
    }

    /// Like [`Builder::map`], but the arrays are program results.
    ///
    /// # Errors
    /// As [`Builder::map`].
    pub fn outputs<'g, const M: usize>(
        &'g self,
        outs: [(&str, Ex<'g>); M],
    ) -> Result<[Ex<'g>; M], IrError> {
        self.store(outs, ArrayRole::Result)
    }

    /// A one-output result map: `name[i] = value`.
    ///
    /// # Errors
    /// As [`Builder::map`].
    pub fn output<'g>(&'g self, name: &str, value: Ex<'g>) -> Result<Ex<'g>, IrError> {
        let [r] = self.outputs([(name, value)])?;
        Ok(r)
    }

    /// A comprehension: the temporary array `name[i - range.start] = value(i)` for `i` in
    /// `range`; `value` may read arrays at constant offsets (`x.at(-1)`) and use
    /// [`Builder::index`]. Returns a read of the new array.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, IrError};
    /// let b = Builder::new(DType::F64);
    /// let x = b.input("x", 10)?;
    /// // Central differences over the interior 1..9.
    /// let d = b.comprehension("d", 1..9, x.at(1) - x.at(-1))?;
    /// b.keep(d)?;
    /// // Reading x[i + 1] for i up to 9 would leave x.
    /// let err = b.comprehension("bad", 1..10, x.at(1)).unwrap_err();
    /// assert!(matches!(err, IrError::OffsetOutOfBounds { offset: 1, .. }));
    /// # Ok::<(), IrError>(())
    /// ```
    ///
    /// # Errors
    /// [`IrError::OffsetOutOfBounds`] naming the read, its offset and the range,
    /// [`IrError::InvalidRange`], name errors, or an error recorded earlier.
    pub fn comprehension<'g>(
        &'g self,
        name: &str,
        range: Range<usize>,
        value: Ex<'g>,
    ) -> Result<Ex<'g>, IrError> {
        let mut s = self.state.borrow_mut();
        s.pending()?;
        s.check_name(name)?;
        let node = match value.term() {
            Term::Lit { f64: a, f32: b } => s.literal(a, b, ValueKind::Num),
            t => self.node_of(t, name)?,
        };
        s.check_reads(name, &[node], &range)?;
        let ids = s.add_array_loop(
            range,
            alloc::vec![(name.to_string(), node, ArrayRole::Temp)],
            PatternKind::Comprehension,
        );
        let load = s.intern(Expr::Load {
            array: ids[0],
            offset: 0,
        });
        Ok(Ex::node(self, load))
    }

    /// Marks the temporary array `array` reads as a program result.
    ///
    /// # Errors
    /// [`IrError::NotAnArray`] if `array` is not a plain read,
    /// [`IrError::InputAsResult`] for an input, or an error recorded earlier.
    pub fn keep(&self, array: Ex<'_>) -> Result<(), IrError> {
        let mut s = self.state.borrow_mut();
        s.pending()?;
        let node = self.node_of(array.term(), "keep")?;
        let Expr::Load { array, offset: 0 } = s.prog.graph.expr(node) else {
            return Err(IrError::NotAnArray { operation: "keep" });
        };
        let decl = &mut s.prog.arrays[array.index()];
        if decl.role == ArrayRole::Input {
            return Err(IrError::InputAsResult {
                array: decl.name.clone(),
            });
        }
        decl.role = ArrayRole::Result;
        Ok(())
    }

    fn add_reduction(
        &self,
        name: &str,
        op: ReduceOp,
        t: Term<'_>,
        kind: ValueKind,
        range: Option<Range<usize>>,
    ) -> Result<ReductionId, IrError> {
        let mut s = self.state.borrow_mut();
        s.pending()?;
        s.check_name(name)?;
        let node = match (t, &range) {
            (Term::Lit { f64: a, f32: b }, Some(_)) => s.literal(a, b, kind),
            (t, _) => self.node_of(t, name)?,
        };
        s.check_kind(name, node, op.operand_kind())?;
        let domain = match range {
            Some(r) => r,
            None => 0..s.infer_len(name, &[node])?,
        };
        s.check_reads(name, &[node], &domain)?;
        let id =
            ReductionId(u32::try_from(s.prog.reductions.len()).expect("more than 2^32 reductions"));
        s.prog.reductions.push(ReductionDecl {
            name: name.to_string(),
            op,
        });
        s.prog.loops.push(Loop {
            domain,
            outputs: Vec::new(),
            reductions: alloc::vec![(id, node)],
            patterns: alloc::vec![PatternKind::Reduce],
        });
        Ok(id)
    }

    /// The reduction `op` (sum, prod, min or max) of `value` over the common length of
    /// the arrays it reads, as the named scalar result `name`.
    ///
    /// # Errors
    /// [`IrError::KindMismatch`] for `any`/`all` (use [`Builder::reduce_cond`]), and the
    /// errors of [`Builder::map`].
    pub fn reduce(&self, name: &str, op: ReduceOp, value: Ex<'_>) -> Result<ReductionId, IrError> {
        self.add_reduction(name, op, value.term(), ValueKind::Num, None)
    }

    /// The reduction `op` of `value` over an explicit index range (reads may be shifted).
    ///
    /// # Errors
    /// As [`Builder::comprehension`], plus [`IrError::KindMismatch`] as [`Builder::reduce`].
    pub fn reduce_over(
        &self,
        name: &str,
        op: ReduceOp,
        range: Range<usize>,
        value: Ex<'_>,
    ) -> Result<ReductionId, IrError> {
        self.add_reduction(name, op, value.term(), ValueKind::Num, Some(range))
    }

    /// The reduction `op` (any or all) of a boolean expression.
    ///
    /// # Errors
    /// [`IrError::KindMismatch`] for numeric operations, and the errors of [`Builder::map`].
    pub fn reduce_cond(
        &self,
        name: &str,
        op: ReduceOp,
        value: Cond<'_>,
    ) -> Result<ReductionId, IrError> {
        self.add_reduction(name, op, value.term(), ValueKind::Bool, None)
    }

    /// `reduce(name, ReduceOp::Sum, value)`.
    ///
    /// # Errors
    /// As [`Builder::reduce`].
    pub fn sum(&self, name: &str, value: Ex<'_>) -> Result<ReductionId, IrError> {
        self.reduce(name, ReduceOp::Sum, value)
    }

    /// The finished program, or the first error recorded by an operator.
    ///
    /// # Errors
    /// The first error an operator recorded ([`IrError::MixedBuilders`], or
    /// array-at-a-time [`IrError::LengthMismatch`]).
    pub fn finish(self) -> Result<Program, IrError> {
        let s = self.state.into_inner();
        match s.error {
            Some(e) => Err(e),
            None => Ok(s.prog),
        }
    }
}
