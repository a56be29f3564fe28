//! Lowering of AST expressions into the IR arena, with their dimensions: names become
//! typed references, user functions are inlined at each call (their body checked with
//! the dimensions of that call's arguments), and every operator's dimension rule is
//! applied (`+ - < min max if` need equal dimensions, `* /` combine them, `x^p` needs a
//! constant rational `p` when `x` has a dimension, `exp log sin …` need dimensionless
//! arguments, `sqrt` halves exponents).
//!
//! Numbers with units stay symbolic (`Konst`: mantissa × unit) while they are combined
//! only with unit names (`120 mS/cm^2`, `0.1/(ms*mV)`, `4/ms`), so each written value is
//! converted to internal units with one rounding: `value × 10^k`, `k` exact.
//!
//! Errors already reported by name resolution (unknown names, arity…) are not repeated:
//! such subexpressions get the type `Unknown`, which silences every check that involves
//! them, so one mistake gives one message.

use crate::collect::{DeclBody, DeclId, Decls};
use crate::error::{
    CheckError, DeclKind, DimContext, ExponentProblem, MismatchSite, Operand, TooLargeReason,
};
use crate::resolve::Resolution;
use crate::sink::Sink;
use galvani_diag::Span;
use galvani_ir::builtins::DimRule;
use galvani_ir::dim::{exponent_from_f64, Exponent};
use galvani_ir::eval::for_each_child;
use galvani_ir::text::format_f64;
use galvani_ir::units::{self, Unit};
use galvani_ir::{
    BinOp, Builtin, Dim, DisplayUnit, ExprArena, ExprId, ExprKind as IrKind, InputId,
    IntermediateId, ParamId, StateId,
};
use galvani_syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use num_rational::Ratio;
use std::collections::HashMap;

/// Deepest recursion of the lowering (expression nesting plus inlined bodies). The parser
/// bounds one expression's nesting at 128; this leaves room for a few nested calls and
/// keeps the stack small.
const MAX_DEPTH: usize = 384;
/// Deepest chain of function calls inlined into each other.
const MAX_INLINE_DEPTH: usize = 32;
/// Largest expression tree (counting shared nodes once per use) one declaration may
/// expand to by inlining; later stages may walk expressions as trees.
const MAX_TREE_SIZE: u64 = 1 << 20;
/// Most arena nodes one top-level expression may add by inlining functions (real
/// expressions add tens); beyond it, inlining stops and is reported.
const MAX_NODES_PER_ROOT: usize = 1 << 16;
/// Most user-function calls one top-level expression may inline. The arena shares equal
/// nodes, so a fan-out (`fn f0(x) = f1(x) + f1(x)` … 33 levels) adds few nodes while its
/// expansion does 2³³ calls' work: the work itself is bounded here.
const MAX_INLINED_CALLS_PER_ROOT: usize = 1 << 16;
/// Largest arena; beyond it lowering stops inlining and reports.
const MAX_ARENA: usize = 1 << 22;

pub const DIMENSIONLESS_UNIT: Unit = Unit {
    dim: Dim::NONE,
    exp10: Ratio::new_raw(0, 1),
};

/// What a lowered expression is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    Num(Dim),
    Bool,
    /// An error was already reported inside: check nothing more.
    Unknown,
}

#[derive(Clone, Copy, Debug)]
pub enum Val {
    Node(ExprId),
    /// A number with a unit not yet converted: `mantissa × unit`.
    Konst(f64, Unit),
    /// No value (after an error).
    None,
}

#[derive(Clone, Copy, Debug)]
pub struct Typed {
    pub val: Val,
    pub ty: Ty,
    pub span: Span,
}

impl Typed {
    fn poison(span: Span) -> Typed {
        Typed {
            val: Val::None,
            ty: Ty::Unknown,
            span,
        }
    }
}

/// How a model name is referred to in the IR.
#[derive(Clone, Copy, Debug)]
pub enum IrRef {
    Param(ParamId),
    Input(InputId),
    State(StateId),
    Intermediate(IntermediateId),
}

/// A user function's parameters bound to the lowered arguments of one call.
type Scope<'s> = &'s [(&'s str, Typed)];

pub struct Lowerer<'d, 'a> {
    pub decls: &'d Decls<'a>,
    pub res: &'d Resolution,
    pub sink: &'d mut Sink,
    pub arena: ExprArena,
    /// Tree size of each arena node (saturating).
    tree_size: Vec<u64>,
    pub dimensionless: bool,
    /// IR reference of each declaration (functions: `None`).
    pub refs: Vec<Option<IrRef>>,
    /// Dimension of each declaration once its definition is lowered (`None`: not yet, or
    /// unknown after an error).
    pub dims: Vec<Option<Dim>>,
    depth: usize,
    inline_depth: usize,
    /// The outermost call of the function being inlined, for "in this call" labels.
    call_site: Option<Span>,
    /// The current root already reported being too deep.
    reported_depth: bool,
    /// Arena length when the current root started.
    root_start: usize,
    /// User-function calls inlined so far in the current root.
    inlined_calls: usize,
    exhausted: bool,
    /// `internal_display_unit` per dimension (it searches 625 factorings per call).
    pub units: HashMap<Dim, DisplayUnit>,
}

impl<'d, 'a> Lowerer<'d, 'a> {
    pub fn new(
        decls: &'d Decls<'a>,
        res: &'d Resolution,
        sink: &'d mut Sink,
        refs: Vec<Option<IrRef>>,
    ) -> Lowerer<'d, 'a> {
        let n = decls.decls.len();
        Lowerer {
            decls,
            res,
            sink,
            arena: ExprArena::default(),
            tree_size: Vec::new(),
            dimensionless: !res.uses_units,
            refs,
            dims: vec![None; n],
            depth: 0,
            inline_depth: 0,
            call_site: None,
            reported_depth: false,
            root_start: 0,
            inlined_calls: 0,
            exhausted: false,
            units: HashMap::new(),
        }
    }

    /// Simulated time's dimension.
    pub fn time(&self) -> Dim {
        if self.dimensionless {
            Dim::NONE
        } else {
            Dim::TIME
        }
    }

    /// `1/time` (dimensionless in a dimensionless model).
    pub fn rate(&self) -> Dim {
        if self.dimensionless {
            Dim::NONE
        } else {
            Dim::TIME.powi(-1)
        }
    }

    /// Appends a node, keeping tree sizes.
    pub fn add(&mut self, kind: IrKind, span: Span, dim: Dim) -> ExprId {
        let mut size: u64 = 1;
        for_each_child(&kind, |c| {
            size = size.saturating_add(self.tree_size.get(c.index()).copied().unwrap_or(1));
        });
        self.tree_size.push(size);
        self.arena.add(kind, span, dim)
    }

    /// The arena node of a lowered value (converting a pending constant).
    pub fn node(&mut self, t: Typed) -> ExprId {
        match t.val {
            Val::Node(id) => id,
            Val::Konst(mantissa, unit) => {
                let value = unit.to_internal(mantissa);
                let value = if value.is_finite() {
                    value
                } else {
                    self.sink
                        .push(|| CheckError::NumberOverflow { span: t.span });
                    0.0
                };
                let dim = if self.dimensionless {
                    Dim::NONE
                } else {
                    unit.dim
                };
                self.add(IrKind::Const(value), t.span, dim)
            }
            Val::None => self.add(IrKind::Const(0.0), t.span, Dim::NONE),
        }
    }

    /// Lowers one top-level expression (a declaration's value, an equation, a
    /// condition…).
    pub fn lower_root(&mut self, e: &Expr) -> Typed {
        self.reported_depth = false;
        self.root_start = self.arena.len();
        self.inlined_calls = 0;
        let t = self.lower(e, &[]);
        if let Val::Node(id) = t.val {
            if self.tree_size.get(id.index()).copied().unwrap_or(0) > MAX_TREE_SIZE {
                self.sink.push(|| CheckError::TooLarge {
                    span: e.span,
                    reason: TooLargeReason::Expansion,
                });
                return Typed::poison(t.span);
            }
        }
        t
    }

    fn lower(&mut self, e: &Expr, scope: Scope) -> Typed {
        if self.depth >= MAX_DEPTH {
            if !self.reported_depth {
                self.reported_depth = true;
                self.sink.push(|| CheckError::TooLarge {
                    span: e.span,
                    reason: TooLargeReason::Nesting,
                });
            }
            return Typed::poison(e.span);
        }
        self.depth += 1;
        // Debug builds use several KiB per level; grow the stack rather than overflow.
        let t = stacker::maybe_grow(256 * 1024, 2 * 1024 * 1024, || self.lower_inner(e, scope));
        self.depth -= 1;
        t
    }

    fn lower_inner(&mut self, e: &Expr, scope: Scope) -> Typed {
        let span = e.span;
        match &e.kind {
            ExprKind::Number { value, .. } => Typed {
                val: Val::Konst(*value, DIMENSIONLESS_UNIT),
                ty: Ty::Num(Dim::NONE),
                span,
            },
            ExprKind::Quantity { value, unit, .. } => {
                let Some(base) = units::lookup(&unit.name) else {
                    return Typed::poison(span);
                };
                match base.powi(unit.exponent) {
                    Some(u) => Typed {
                        val: Val::Konst(*value, u),
                        ty: Ty::Num(u.dim),
                        span,
                    },
                    None => {
                        self.sink
                            .push(|| CheckError::DimensionOverflow { span: unit.span });
                        Typed::poison(span)
                    }
                }
            }
            ExprKind::Name(name) => self.name(name, span, scope),
            ExprKind::Unary { op, operand } => {
                let x = self.lower(operand, scope);
                match op {
                    UnaryOp::Neg => {
                        let Some(d) = self.expect_num(&x) else {
                            return Typed::poison(span);
                        };
                        let val = match x.val {
                            Val::Konst(m, u) => Val::Konst(-m, u),
                            _ => {
                                let n = self.node(x);
                                Val::Node(self.add(IrKind::Neg(n), span, d))
                            }
                        };
                        Typed {
                            val,
                            ty: Ty::Num(d),
                            span,
                        }
                    }
                    UnaryOp::Not => {
                        if !self.expect_bool(&x) {
                            return self.bool_poison(span);
                        }
                        let n = self.node(x);
                        let id = self.add(IrKind::Not(n), span, Dim::NONE);
                        Typed {
                            val: Val::Node(id),
                            ty: Ty::Bool,
                            span,
                        }
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, e, lhs, rhs, scope),
            ExprKind::If {
                condition,
                then_branch,
                else_branch,
            } => {
                let c = self.lower(condition, scope);
                let a = self.lower(then_branch, scope);
                let b = self.lower(else_branch, scope);
                let c_ok = self.expect_bool(&c);
                let (da, db) = (self.expect_num(&a), self.expect_num(&b));
                let (Some(da), Some(db), true) = (da, db, c_ok) else {
                    return Typed::poison(span);
                };
                if da != db {
                    self.mismatch(
                        MismatchSite::IfBranches,
                        span,
                        (then_branch, da),
                        (else_branch, db),
                        scope,
                    );
                    return Typed::poison(span);
                }
                let (nc, na, nb) = (self.node(c), self.node(a), self.node(b));
                let id = self.add(IrKind::If(nc, na, nb), span, da);
                Typed {
                    val: Val::Node(id),
                    ty: Ty::Num(da),
                    span,
                }
            }
            ExprKind::Call { function, args } => {
                let name = function.name.as_str();
                if scope.iter().any(|(p, _)| *p == name) {
                    return self.poison_args(args, scope, span);
                }
                if let Some(id) = self.decls.lookup(name) {
                    if self.decls.decls[id].kind == DeclKind::Function {
                        return self.inline(id, e, args, scope);
                    }
                    return self.poison_args(args, scope, span);
                }
                match Builtin::from_name(name) {
                    Some(b) => self.builtin(b, e, args, scope),
                    None => self.poison_args(args, scope, span),
                }
            }
        }
    }

    fn bool_poison(&self, span: Span) -> Typed {
        Typed {
            val: Val::None,
            ty: Ty::Bool,
            span,
        }
    }

    /// Lowers arguments only for the errors inside them.
    fn poison_args(&mut self, args: &[Expr], scope: Scope, span: Span) -> Typed {
        for a in args {
            self.lower(a, scope);
        }
        Typed::poison(span)
    }

    fn name(&mut self, name: &str, span: Span, scope: Scope) -> Typed {
        if let Some((_, t)) = scope.iter().find(|(p, _)| *p == name) {
            return Typed { span, ..*t };
        }
        if let Some(id) = self.decls.lookup(name) {
            let (Some(r), Some(d)) = (self.refs[id], self.dims[id]) else {
                return Typed::poison(span);
            };
            let kind = match r {
                IrRef::Param(p) => IrKind::Param(p),
                IrRef::Input(i) => IrKind::Input(i),
                IrRef::State(s) => IrKind::State(s),
                IrRef::Intermediate(m) => IrKind::Intermediate(m),
            };
            let id = self.add(kind, span, d);
            return Typed {
                val: Val::Node(id),
                ty: Ty::Num(d),
                span,
            };
        }
        if name == "t" {
            let d = self.time();
            let id = self.add(IrKind::Time, span, d);
            return Typed {
                val: Val::Node(id),
                ty: Ty::Num(d),
                span,
            };
        }
        if Builtin::from_name(name).is_some() {
            return Typed::poison(span);
        }
        match units::lookup(name) {
            Some(u) => Typed {
                val: Val::Konst(1.0, u),
                ty: Ty::Num(u.dim),
                span,
            },
            None => Typed::poison(span),
        }
    }

    fn expect_num(&mut self, t: &Typed) -> Option<Dim> {
        match t.ty {
            Ty::Num(d) => Some(d),
            Ty::Bool => {
                let call_site = self.call_site;
                self.sink.push(|| CheckError::ConditionType {
                    span: t.span,
                    expected_condition: false,
                    call_site,
                });
                None
            }
            Ty::Unknown => None,
        }
    }

    /// A condition for `if`, `on`, `and`, `or`, `not`.
    pub fn expect_bool(&mut self, t: &Typed) -> bool {
        match t.ty {
            Ty::Bool => !matches!(t.val, Val::None),
            Ty::Num(_) => {
                let call_site = self.call_site;
                self.sink.push(|| CheckError::ConditionType {
                    span: t.span,
                    expected_condition: true,
                    call_site,
                });
                false
            }
            Ty::Unknown => false,
        }
    }

    /// A numeric value for a declaration: reports a condition used as a number.
    pub fn expect_value(&mut self, t: &Typed) -> Option<Dim> {
        self.expect_num(t)
    }

    /// Describes one side of a mismatch, with what the hints need.
    pub fn operand(&self, e: &Expr, dim: Dim, scope: Scope) -> Operand {
        let bare_declaration = match &e.kind {
            ExprKind::Name(name) if !scope.iter().any(|(p, _)| p == name) => {
                self.decls.lookup(name).and_then(|id| {
                    let d = self.decls.decls[id];
                    let value = match d.body {
                        DeclBody::Param(v) | DeclBody::Input(v) | DeclBody::State(v) => v,
                        _ => return None,
                    };
                    bare_number(value).map(|text| (d.kind, d.name.to_string(), text))
                })
            }
            _ => None,
        };
        Operand {
            span: e.span,
            dim,
            bare_number: bare_number(e),
            bare_declaration,
        }
    }

    /// Reports two operands of different dimensions (kept out of the recursive frames).
    #[inline(never)]
    fn mismatch(
        &mut self,
        site: MismatchSite,
        span: Span,
        (lhs, da): (&Expr, Dim),
        (rhs, db): (&Expr, Dim),
        scope: Scope,
    ) {
        let left = self.operand(lhs, da, scope);
        let right = self.operand(rhs, db, scope);
        let call_site = self.call_site;
        self.sink.push(|| CheckError::DimensionMismatch {
            site,
            span,
            left,
            right,
            call_site,
        });
    }

    fn binary(&mut self, op: BinaryOp, e: &Expr, lhs: &Expr, rhs: &Expr, scope: Scope) -> Typed {
        let span = e.span;
        if op == BinaryOp::Pow {
            return self.power(span, lhs, rhs, scope, None);
        }
        let a = self.lower(lhs, scope);
        let b = self.lower(rhs, scope);
        if op.is_logical() {
            let (ok_a, ok_b) = (self.expect_bool(&a), self.expect_bool(&b));
            if !(ok_a && ok_b) {
                return self.bool_poison(span);
            }
            let ir = if op == BinaryOp::And {
                BinOp::And
            } else {
                BinOp::Or
            };
            let (na, nb) = (self.node(a), self.node(b));
            let id = self.add(IrKind::Binary(ir, na, nb), span, Dim::NONE);
            return Typed {
                val: Val::Node(id),
                ty: Ty::Bool,
                span,
            };
        }
        let (da, db) = (self.expect_num(&a), self.expect_num(&b));
        let (Some(da), Some(db)) = (da, db) else {
            return if op.is_comparison() {
                self.bool_poison(span)
            } else {
                Typed::poison(span)
            };
        };
        let ir = ir_binop(op);
        let dim = match op {
            BinaryOp::Mul | BinaryOp::Div => {
                // Units still symbolic: `4/ms`, `mS/cm^2`, `0.1/(ms*mV)` stay one constant.
                if let (Val::Konst(ma, ua), Val::Konst(mb, ub)) = (a.val, b.val) {
                    let folded = match op {
                        BinaryOp::Mul if ma == 1.0 || mb == 1.0 => {
                            Some((ma * mb, unit_mul(ua, ub)))
                        }
                        BinaryOp::Div if mb == 1.0 => Some((ma, unit_div(ua, ub))),
                        _ => None,
                    };
                    match folded {
                        Some((m, Some(u))) => {
                            return Typed {
                                val: Val::Konst(m, u),
                                ty: Ty::Num(u.dim),
                                span,
                            }
                        }
                        Some((_, None)) => {
                            self.sink.push(|| CheckError::DimensionOverflow { span });
                            return Typed::poison(span);
                        }
                        None => {}
                    }
                }
                let d = if op == BinaryOp::Mul {
                    da.checked_mul(db)
                } else {
                    da.checked_div(db)
                };
                match d {
                    Some(d) => d,
                    None => {
                        self.sink.push(|| CheckError::DimensionOverflow { span });
                        return Typed::poison(span);
                    }
                }
            }
            _ => {
                if da != db {
                    self.mismatch(
                        MismatchSite::Operator(op.symbol()),
                        span,
                        (lhs, da),
                        (rhs, db),
                        scope,
                    );
                    return if op.is_comparison() {
                        self.bool_poison(span)
                    } else {
                        Typed::poison(span)
                    };
                }
                if op.is_comparison() {
                    Dim::NONE
                } else {
                    da
                }
            }
        };
        let (na, nb) = (self.node(a), self.node(b));
        let id = self.add(IrKind::Binary(ir, na, nb), span, dim);
        Typed {
            val: Val::Node(id),
            ty: if op.is_comparison() {
                Ty::Bool
            } else {
                Ty::Num(dim)
            },
            span,
        }
    }

    /// `base ^ exponent` or `pow(base, exponent)`. A dimensionless base takes any
    /// dimensionless exponent; a dimensioned base needs a constant small rational
    /// exponent, which the IR stores as a `Const` (`(20000 um)^2` → `Const(2)`).
    fn power(
        &mut self,
        span: Span,
        base_ast: &Expr,
        exp_ast: &Expr,
        scope: Scope,
        call: Option<Builtin>,
    ) -> Typed {
        let base = self.lower(base_ast, scope);
        let exp = self.lower(exp_ast, scope);
        let (db, de) = (self.expect_num(&base), self.expect_num(&exp));
        let (Some(db), Some(de)) = (db, de) else {
            return Typed::poison(span);
        };
        if !de.is_none() {
            self.sink.push(|| CheckError::WrongDimension {
                context: DimContext::Exponent,
                span: exp_ast.span,
                expected: Dim::NONE,
                found: de,
                bare_number: None,
            });
            return Typed::poison(span);
        }
        let build = |this: &mut Self, nb: ExprId, ne: ExprId, dim: Dim| -> Typed {
            let kind = match call {
                Some(b) => IrKind::Call(b, vec![nb, ne]),
                None => IrKind::Binary(BinOp::Pow, nb, ne),
            };
            let id = this.add(kind, span, dim);
            Typed {
                val: Val::Node(id),
                ty: Ty::Num(dim),
                span,
            }
        };
        if db.is_none() {
            let (nb, ne) = (self.node(base), self.node(exp));
            return build(self, nb, ne, Dim::NONE);
        }
        let p = match self.constant_exponent(exp_ast, &exp, scope) {
            Ok(p) => p,
            Err(problem) => {
                let call_site = self.call_site;
                self.sink.push(|| CheckError::BadExponent {
                    span: exp_ast.span,
                    base: db,
                    problem,
                    call_site,
                });
                return Typed::poison(span);
            }
        };
        let Some(dim) = db.checked_pow(p) else {
            self.sink.push(|| CheckError::DimensionOverflow { span });
            return Typed::poison(span);
        };
        // A unit name to an integer power stays a unit: `cm^2`.
        if let (Val::Konst(m, u), true, None) = (base.val, p.is_integer(), call) {
            if m == 1.0 {
                if let Some(u) = u.powi(*p.numer()) {
                    return Typed {
                        val: Val::Konst(1.0, u),
                        ty: Ty::Num(u.dim),
                        span,
                    };
                }
            }
        }
        let nb = self.node(base);
        let value = f64::from(*p.numer()) / f64::from(*p.denom());
        let ne = self.add(IrKind::Const(value), exp_ast.span, Dim::NONE);
        build(self, nb, ne, dim)
    }

    /// The exponent of a dimensioned base as a small rational: an expression of number
    /// literals (`2`, `-1`, `(1/3)`, `1.5`), or a function parameter bound to one.
    fn constant_exponent(
        &self,
        exp_ast: &Expr,
        exp: &Typed,
        scope: Scope,
    ) -> Result<Exponent, ExponentProblem> {
        let value = match exp.val {
            Val::Konst(m, u) if u.dim.is_none() && *u.exp10.numer() == 0 => Some(m),
            _ => literal_value(exp_ast, scope, 0),
        };
        let Some(value) = value else {
            return Err(ExponentProblem::NotConstant);
        };
        exponent_from_f64(value).ok_or_else(|| ExponentProblem::NotRational(format_f64(value)))
    }

    /// A call of a built-in, its dimensions checked by the table's rule for it.
    fn builtin(&mut self, b: Builtin, e: &Expr, args: &[Expr], scope: Scope) -> Typed {
        let span = e.span;
        if args.len() != b.arity() {
            return self.poison_args(args, scope, span);
        }
        let rule = b.spec().dims;
        if rule == DimRule::Power {
            return self.power(span, &args[0], &args[1], scope, Some(b));
        }
        let mut lowered = Vec::with_capacity(args.len());
        let mut dims = Vec::with_capacity(args.len());
        for arg in args {
            let x = self.lower(arg, scope);
            dims.push(self.expect_num(&x));
            lowered.push(x);
        }
        let dx = dims[0];
        let result = match rule {
            DimRule::SameAsArguments => {
                let Some(dims) = dims.iter().copied().collect::<Option<Vec<Dim>>>() else {
                    return Typed::poison(span);
                };
                for (k, d) in dims.iter().enumerate().skip(1) {
                    if *d != dims[0] {
                        self.mismatch(
                            MismatchSite::Arguments(b.name()),
                            span,
                            (&args[0], dims[0]),
                            (&args[k], *d),
                            scope,
                        );
                        return Typed::poison(span);
                    }
                }
                Some(Some(dims[0]))
            }
            DimRule::SquareRoot => dx.map(|d| d.checked_pow(Ratio::new(1, 2))),
            // Any dimension: only the sign matters, and unit scales are positive.
            DimRule::SignOfArgument => dx.map(|_| Some(Dim::NONE)),
            // (`Power` returned above.)
            DimRule::Dimensionless | DimRule::Power => {
                for (arg, d) in args.iter().zip(&dims) {
                    if let Some(d) = d.filter(|d| !d.is_none()) {
                        let call_site = self.call_site;
                        self.sink.push(|| CheckError::DimensionedArgument {
                            function: b.name().to_string(),
                            span: arg.span,
                            dim: d,
                            call_site,
                        });
                    }
                }
                dims.iter()
                    .copied()
                    .collect::<Option<Vec<Dim>>>()
                    .map(|_| Some(Dim::NONE))
            }
        };
        let dim = match result {
            Some(Some(d)) => d,
            Some(None) => {
                self.sink.push(|| CheckError::DimensionOverflow { span });
                return Typed::poison(span);
            }
            None => return Typed::poison(span),
        };
        let nodes: Vec<ExprId> = lowered.iter().map(|x| self.node(*x)).collect();
        let id = self.add(IrKind::Call(b, nodes), span, dim);
        Typed {
            val: Val::Node(id),
            ty: Ty::Num(dim),
            span,
        }
    }

    /// Inlines a call of a user function: lowers the arguments in the caller's scope,
    /// then the body with the function's parameters bound to them.
    fn inline(&mut self, id: DeclId, call: &Expr, args: &[Expr], scope: Scope) -> Typed {
        let span = call.span;
        let DeclBody::Function { params, body } = self.decls.decls[id].body else {
            return self.poison_args(args, scope, span);
        };
        if self.res.unusable_function[id] || self.exhausted || params.len() != args.len() {
            return self.poison_args(args, scope, span);
        }
        if self.inline_depth >= MAX_INLINE_DEPTH {
            self.sink.push(|| CheckError::TooLarge {
                span,
                reason: TooLargeReason::Nesting,
            });
            return Typed::poison(span);
        }
        let grown = self.arena.len() - self.root_start;
        self.inlined_calls += 1;
        if self.arena.len() >= MAX_ARENA
            || grown >= MAX_NODES_PER_ROOT
            || self.inlined_calls > MAX_INLINED_CALLS_PER_ROOT
        {
            self.exhausted |= self.arena.len() >= MAX_ARENA;
            if !self.reported_depth {
                self.reported_depth = true;
                self.sink.push(|| CheckError::TooLarge {
                    span,
                    reason: TooLargeReason::Expansion,
                });
            }
            return self.poison_args(args, scope, span);
        }
        let bound: Vec<(&str, Typed)> = params
            .iter()
            .zip(args)
            .map(|(p, a)| (p.name.as_str(), self.lower(a, scope)))
            .collect();
        let outer_call = self.call_site;
        if outer_call.is_none() {
            self.call_site = Some(span);
        }
        self.inline_depth += 1;
        let result = self.lower(body, &bound);
        self.inline_depth -= 1;
        self.call_site = outer_call;
        Typed { span, ..result }
    }
}

fn ir_binop(op: BinaryOp) -> BinOp {
    match op {
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div => BinOp::Div,
        BinaryOp::Pow => BinOp::Pow,
        BinaryOp::Lt => BinOp::Lt,
        BinaryOp::Le => BinOp::Le,
        BinaryOp::Gt => BinOp::Gt,
        BinaryOp::Ge => BinOp::Ge,
        BinaryOp::Eq => BinOp::Eq,
        BinaryOp::Ne => BinOp::Ne,
        BinaryOp::And => BinOp::And,
        BinaryOp::Or => BinOp::Or,
    }
}

/// `a·b` of two units: dimensions multiply, powers of ten add. `None` on overflow.
pub fn unit_mul(a: Unit, b: Unit) -> Option<Unit> {
    let (x, y) = (a.exp10, b.exp10);
    // x/p + y/q = (x·q + y·p)/(p·q)
    let numer = x
        .numer()
        .checked_mul(*y.denom())?
        .checked_add(y.numer().checked_mul(*x.denom())?)?;
    let denom = x.denom().checked_mul(*y.denom())?;
    Some(Unit {
        dim: a.dim.checked_mul(b.dim)?,
        exp10: Ratio::new(numer, denom),
    })
}

fn unit_div(a: Unit, b: Unit) -> Option<Unit> {
    unit_mul(a, b.powi(-1)?)
}

/// The literal text when `e` is a bare number, possibly negated: `55`, `-1`.
pub fn bare_number(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Number { text, .. } => Some(text.clone()),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match &operand.kind {
            ExprKind::Number { text, .. } => Some(format!("-{text}")),
            _ => None,
        },
        _ => None,
    }
}

/// The value of an expression made only of number literals, `+ - * /` and parentheses
/// (and function parameters bound to such constants), or `None`.
fn literal_value(e: &Expr, scope: Scope, depth: usize) -> Option<f64> {
    if depth > 64 {
        return None;
    }
    match &e.kind {
        ExprKind::Number { value, .. } => Some(*value),
        ExprKind::Name(name) => match scope.iter().find(|(p, _)| p == name)?.1.val {
            Val::Konst(m, u) if u.dim.is_none() && *u.exp10.numer() == 0 => Some(m),
            _ => None,
        },
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => literal_value(operand, scope, depth + 1).map(|v| -v),
        ExprKind::Binary { op, lhs, rhs } => {
            let a = literal_value(lhs, scope, depth + 1)?;
            let b = literal_value(rhs, scope, depth + 1)?;
            match op {
                BinaryOp::Add => Some(a + b),
                BinaryOp::Sub => Some(a - b),
                BinaryOp::Mul => Some(a * b),
                BinaryOp::Div => Some(a / b),
                _ => None,
            }
        }
        _ => None,
    }
}
