//! Values of a network file: constant expressions with units (network params, sizes,
//! rates, delays, rule arguments), evaluated to a number in internal units with its
//! dimension, and the dimensions of `on pre` expressions, whose names are resolved by the
//! caller's scope.

use galvani_diag::{codes, suggest, Diagnostic, Span};
use galvani_ir::units;
use galvani_ir::Dim;
use galvani_syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// A value in internal units with its dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub dim: Dim,
}

/// What a name means in an expression.
pub(crate) enum Meaning {
    /// A constant known now (a network param).
    Constant(Quantity),
    /// A value known only when the network runs (a state, a per-synapse param): its
    /// dimension.
    Variable(Dim),
}

/// Resolves the names of one expression.
pub(crate) trait Scope {
    fn lookup(&self, name: &str) -> Option<Meaning>;
    /// Every name, for a "did you mean" (most likely first).
    fn names(&self) -> Vec<String>;
}

/// What an expression evaluates to: a known constant, or only its dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Value {
    Constant(Quantity),
    Variable(Dim),
}

impl Value {
    pub(crate) fn dim(self) -> Dim {
        match self {
            Value::Constant(q) => q.dim,
            Value::Variable(d) => d,
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, Box<Diagnostic>>;

fn dimension_text(dim: Dim) -> String {
    match units::dimension_name(dim) {
        Some(name) => format!("{name} [{}]", units::internal_unit_text(dim)),
        None if dim.is_none() => "dimensionless".to_string(),
        None => format!("[{}]", units::internal_unit_text(dim)),
    }
}

/// Evaluates `expr` in `scope`: arithmetic with units, names of the scope, and `-x`.
pub(crate) fn evaluate(expr: &Expr, scope: &dyn Scope) -> Result<Value> {
    match &expr.kind {
        ExprKind::Number { value, .. } => Ok(Value::Constant(Quantity {
            value: *value,
            dim: Dim::NONE,
        })),
        ExprKind::Quantity { value, unit, .. } => {
            let resolved = units::lookup(&unit.name)
                .and_then(|u| u.powi(unit.exponent))
                .ok_or_else(|| unknown_unit(&unit.name, unit.span))?;
            Ok(Value::Constant(Quantity {
                value: value * resolved.scale(),
                dim: resolved.dim,
            }))
        }
        ExprKind::Name(name) => match scope.lookup(name) {
            Some(Meaning::Constant(q)) => Ok(Value::Constant(q)),
            Some(Meaning::Variable(dim)) => Ok(Value::Variable(dim)),
            None => match units::lookup(name) {
                // A unit name used as a value (`1/ms`).
                Some(unit) => Ok(Value::Constant(Quantity {
                    value: unit.scale(),
                    dim: unit.dim,
                })),
                None => Err(unknown_name(name, expr.span, scope)),
            },
        },
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => Ok(match evaluate(operand, scope)? {
            Value::Constant(q) => Value::Constant(Quantity {
                value: -q.value,
                dim: q.dim,
            }),
            variable => variable,
        }),
        ExprKind::Binary { op, lhs, rhs } => binary(*op, lhs, rhs, expr.span, scope),
        ExprKind::Call { function, args } => call(function, args, expr.span, scope),
        ExprKind::Unary { .. } | ExprKind::If { .. } => Err(Box::new(
            Diagnostic::error("this expression is not supported in a network file yet")
                .with_code(codes::NETWORK_FIELD)
                .with_primary(expr.span, "here")
                .with_hint(
                    "network values are arithmetic on numbers with units, params and states",
                ),
        )),
    }
}

/// A built-in function whose dimensions need no constant: dimensionless arguments and
/// result (`sin`, `exp`, …), one dimension throughout (`abs`, `min`, `max`), or a sign
/// (`heaviside`). The others (`sqrt`, `pow`) are refused for now.
fn call(
    function: &galvani_syntax::ast::Ident,
    args: &[Expr],
    span: Span,
    scope: &dyn Scope,
) -> Result<Value> {
    use galvani_ir::builtins::{Builtin, DimRule};
    use galvani_ir::step::Func;
    let Some(builtin) = Builtin::from_name(&function.name) else {
        let names = Builtin::ALL.iter().map(|b| b.name());
        let d = Diagnostic::error(format!("unknown function `{}`", function.name))
            .with_code(codes::UNKNOWN_NAME)
            .with_primary(function.span, "not a built-in function");
        return Err(Box::new(match suggest::suggest(&function.name, names) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d,
        }));
    };
    let func = Func::Builtin(builtin);
    if args.len() != func.arity() {
        return Err(Box::new(
            Diagnostic::error(format!(
                "`{}` takes {} argument{}, not {}",
                function.name,
                func.arity(),
                if func.arity() == 1 { "" } else { "s" },
                args.len()
            ))
            .with_code(codes::ARITY)
            .with_primary(span, "here"),
        ));
    }
    let values = args
        .iter()
        .map(|a| evaluate(a, scope))
        .collect::<Result<Vec<Value>>>()?;
    let dim = match func.spec().dims {
        DimRule::Dimensionless => {
            if let Some((a, v)) = args.iter().zip(&values).find(|(_, v)| !v.dim().is_none()) {
                return Err(wrong_dimension(a.span, "this argument", Dim::NONE, v.dim()));
            }
            Dim::NONE
        }
        DimRule::SameAsArguments => {
            let first = values[0].dim();
            if let Some((a, v)) = args.iter().zip(&values).find(|(_, v)| v.dim() != first) {
                return Err(wrong_dimension(a.span, "this argument", first, v.dim()));
            }
            first
        }
        DimRule::SignOfArgument => Dim::NONE,
        DimRule::SquareRoot | DimRule::Power => {
            return Err(Box::new(
                Diagnostic::error(format!(
                    "`{}` is not supported in a network file yet",
                    function.name
                ))
                .with_code(codes::NETWORK_FIELD)
                .with_primary(span, "here")
                .with_hint("write the power with `^` and a whole exponent"),
            ))
        }
    };
    let constants: Option<Vec<f64>> = values
        .iter()
        .map(|v| match v {
            Value::Constant(q) => Some(q.value),
            Value::Variable(_) => None,
        })
        .collect();
    Ok(match constants {
        Some(x) => Value::Constant(Quantity {
            value: func.eval(&x),
            dim,
        }),
        None => Value::Variable(dim),
    })
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span, scope: &dyn Scope) -> Result<Value> {
    let left = evaluate(lhs, scope)?;
    if op == BinaryOp::Pow {
        let Ok(Value::Constant(exponent)) = evaluate(rhs, scope) else {
            return Err(not_constant_exponent(rhs.span));
        };
        if !exponent.dim.is_none() || exponent.value.fract() != 0.0 {
            return Err(not_constant_exponent(rhs.span));
        }
        let power = exponent.value as i32;
        let dim = left.dim().powi(power);
        return Ok(match left {
            Value::Constant(q) => Value::Constant(Quantity {
                value: q.value.powi(power),
                dim,
            }),
            Value::Variable(_) => Value::Variable(dim),
        });
    }
    let right = evaluate(rhs, scope)?;
    let dim = match op {
        BinaryOp::Add | BinaryOp::Sub => {
            if left.dim() != right.dim() {
                return Err(Box::new(
                    Diagnostic::error(format!(
                        "the two sides of `{}` have different dimensions",
                        if op == BinaryOp::Add { "+" } else { "-" }
                    ))
                    .with_code(codes::DIMENSION_MISMATCH)
                    .with_primary(span, "both sides need the same dimension")
                    .with_secondary(lhs.span, format!("this is {}", dimension_text(left.dim())))
                    .with_secondary(rhs.span, format!("this is {}", dimension_text(right.dim()))),
                ));
            }
            left.dim()
        }
        BinaryOp::Mul => left.dim().mul(right.dim()),
        BinaryOp::Div => left.dim().div(right.dim()),
        _ => {
            return Err(Box::new(
                Diagnostic::error("a comparison is not a value")
                    .with_code(codes::CONDITION_TYPE)
                    .with_primary(span, "here"),
            ))
        }
    };
    Ok(match (left, right) {
        (Value::Constant(a), Value::Constant(b)) => Value::Constant(Quantity {
            value: match op {
                BinaryOp::Add => a.value + b.value,
                BinaryOp::Sub => a.value - b.value,
                BinaryOp::Mul => a.value * b.value,
                _ => a.value / b.value,
            },
            dim,
        }),
        _ => Value::Variable(dim),
    })
}

/// Evaluates a value that must be known before the network runs, of dimension `want`.
pub(crate) fn constant(expr: &Expr, scope: &dyn Scope, want: Dim, what: &str) -> Result<f64> {
    match evaluate(expr, scope)? {
        Value::Constant(q) if q.dim == want => {
            if q.value.is_finite() {
                Ok(q.value)
            } else {
                Err(Box::new(
                    Diagnostic::error(format!("{what} is not a finite number"))
                        .with_code(codes::NETWORK_FIELD)
                        .with_primary(expr.span, format!("this is {}", q.value)),
                ))
            }
        }
        Value::Constant(q) => Err(wrong_dimension(expr.span, what, want, q.dim)),
        Value::Variable(_) => Err(Box::new(
            Diagnostic::error(format!("{what} must be known before the network runs"))
                .with_code(codes::NETWORK_FIELD)
                .with_primary(expr.span, "this depends on a state or a per-synapse value"),
        )),
    }
}

pub(crate) fn wrong_dimension(span: Span, what: &str, want: Dim, got: Dim) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(format!(
            "{what} must be {}, not {}",
            dimension_text(want),
            dimension_text(got)
        ))
        .with_code(codes::DIMENSION_MISMATCH)
        .with_primary(span, format!("this is {}", dimension_text(got))),
    )
}

fn unknown_unit(name: &str, span: Span) -> Box<Diagnostic> {
    let names = units::all_unit_names();
    let d = Diagnostic::error(format!("unknown unit `{name}`"))
        .with_code(codes::UNKNOWN_UNIT)
        .with_primary(span, "not a unit galvani knows");
    Box::new(
        match suggest::suggest(name, names.iter().map(String::as_str)) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d,
        },
    )
}

fn unknown_name(name: &str, span: Span, scope: &dyn Scope) -> Box<Diagnostic> {
    let names = scope.names();
    let d = Diagnostic::error(format!("unknown name `{name}`"))
        .with_code(codes::UNKNOWN_NAME)
        .with_primary(span, "not declared here");
    Box::new(
        match suggest::suggest(name, names.iter().map(String::as_str)) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d,
        },
    )
}

fn not_constant_exponent(span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error("an exponent in a network file must be a whole number")
            .with_code(codes::BAD_EXPONENT)
            .with_primary(span, "here"),
    )
}
