//! `Formula`: a checked network expression (an `on pre` value, a synapse state's initial
//! value or equation) with every name resolved to what the network runtime reads — a
//! per-synapse param or state, a state or param of the post neuron — and every constant
//! (numbers with units, network params) folded to a number in internal units, in the order the checker's evaluator
//! folds them (so a folded value is the same bits as the checked constant).

use galvani_ir::builtins::Builtin;
use galvani_ir::step::Func;
use galvani_ir::units;
use galvani_ir::{ParamId, StateId};
use galvani_syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// What a name in a network expression reads when the network runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Leaf {
    /// Index into the connection's `synapse_params`.
    SynapseParam(usize),
    /// Index into the connection's `synapse_states`.
    SynapseState(usize),
    /// A state of the post neuron.
    PostState(StateId),
    /// A param of the post neuron (its population's value, overrides included).
    PostParam(ParamId),
    /// The time `t` (ms) of a rate that depends on time.
    Time,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Formula {
    Const(f64),
    Leaf(Leaf),
    Neg(Box<Formula>),
    Binary(Op, Box<Formula>, Box<Formula>),
    /// `x^n` for a whole `n`.
    Powi(Box<Formula>, i32),
    /// A built-in function (`sin`, `exp`, …).
    Call(Func, Vec<Formula>),
}

/// What a name resolves to, for [`Formula::lower`].
pub(crate) enum Resolved {
    Const(f64),
    Leaf(Leaf),
}

impl Formula {
    /// The formula of `expr`, which the checker has accepted (names known, exponents whole
    /// constants); `resolve` gives the meaning of each name. `None` only for an expression
    /// the checker would have refused.
    pub(crate) fn lower(
        expr: &Expr,
        resolve: &dyn Fn(&str) -> Option<Resolved>,
    ) -> Option<Formula> {
        Some(match &expr.kind {
            ExprKind::Number { value, .. } => Formula::Const(*value),
            ExprKind::Quantity { value, unit, .. } => {
                let resolved = units::lookup(&unit.name)?.powi(unit.exponent)?;
                Formula::Const(value * resolved.scale())
            }
            ExprKind::Name(name) => match resolve(name) {
                Some(Resolved::Const(v)) => Formula::Const(v),
                Some(Resolved::Leaf(leaf)) => Formula::Leaf(leaf),
                None => Formula::Const(units::lookup(name)?.scale()),
            },
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match Formula::lower(operand, resolve)? {
                Formula::Const(v) => Formula::Const(-v),
                f => Formula::Neg(Box::new(f)),
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let left = Formula::lower(lhs, resolve)?;
                if *op == BinaryOp::Pow {
                    let Formula::Const(exponent) = Formula::lower(rhs, resolve)? else {
                        return None;
                    };
                    let power = exponent as i32;
                    return Some(match left {
                        Formula::Const(v) => Formula::Const(v.powi(power)),
                        f => Formula::Powi(Box::new(f), power),
                    });
                }
                let right = Formula::lower(rhs, resolve)?;
                let op = match op {
                    BinaryOp::Add => Op::Add,
                    BinaryOp::Sub => Op::Sub,
                    BinaryOp::Mul => Op::Mul,
                    BinaryOp::Div => Op::Div,
                    _ => return None,
                };
                match (left, right) {
                    (Formula::Const(a), Formula::Const(b)) => Formula::Const(op.apply(a, b)),
                    (a, b) => Formula::Binary(op, Box::new(a), Box::new(b)),
                }
            }
            ExprKind::Call { function, args } => {
                let func = Func::Builtin(Builtin::from_name(&function.name)?);
                let args = args
                    .iter()
                    .map(|a| Formula::lower(a, resolve))
                    .collect::<Option<Vec<Formula>>>()?;
                match args
                    .iter()
                    .map(Formula::constant)
                    .collect::<Option<Vec<f64>>>()
                {
                    Some(values) => Formula::Const(func.eval(&values)),
                    None => Formula::Call(func, args),
                }
            }
            _ => return None,
        })
    }

    /// The value, with `leaf` giving each name's value.
    pub fn eval(&self, leaf: &dyn Fn(Leaf) -> f64) -> f64 {
        match self {
            Formula::Const(v) => *v,
            Formula::Leaf(l) => leaf(*l),
            Formula::Neg(f) => -f.eval(leaf),
            Formula::Binary(op, a, b) => op.apply(a.eval(leaf), b.eval(leaf)),
            Formula::Powi(f, n) => f.eval(leaf).powi(*n),
            Formula::Call(func, args) => {
                let values: Vec<f64> = args.iter().map(|a| a.eval(leaf)).collect();
                func.eval(&values)
            }
        }
    }

    /// The folded value when the formula reads no name.
    pub fn constant(&self) -> Option<f64> {
        match self {
            Formula::Const(v) => Some(*v),
            _ => None,
        }
    }

    /// Whether any name the formula reads satisfies `test`.
    pub fn reads(&self, test: &dyn Fn(Leaf) -> bool) -> bool {
        match self {
            Formula::Const(_) => false,
            Formula::Leaf(l) => test(*l),
            Formula::Neg(f) | Formula::Powi(f, _) => f.reads(test),
            Formula::Binary(_, a, b) => a.reads(test) || b.reads(test),
            Formula::Call(_, args) => args.iter().any(|a| a.reads(test)),
        }
    }
}

impl Op {
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
        }
    }
}
