//! White noise in equations (the spec's "Noise inside a model"): a `dX/dt` right-hand
//! side that names `xi` or `xi_NAME` is split into its deterministic part `f` and additive
//! noise terms `g · xi_NAME`, each `g` written with the noise replaced by `1`. Anything else
//! — noise inside a function, a power, a denominator, two noises in one product — is
//! refused at the noise's span, as is noise outside a `dX/dt` equation (from `resolve`).
//!
//! The split works on the AST so that the deterministic part is lowered, dimension-checked
//! and linearised exactly like an equation without noise.

use crate::error::CheckError;
use crate::sink::Sink;
use galvani_diag::{codes, Diagnostic, Span};
use galvani_ir::Dim;
use galvani_syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use galvani_syntax::is_noise_name;

/// One additive noise term of an equation.
pub struct SplitTerm {
    /// `xi` or `xi_NAME`.
    pub name: String,
    /// Where the noise is named.
    pub name_span: Span,
    /// `g`: the term with the noise replaced by `1`, negated when the term is subtracted.
    pub factor: Expr,
    /// The term as written.
    pub span: Span,
}

/// A right-hand side taken apart.
pub struct Split {
    /// The sum of the terms without noise, in the order written; `None` when every term
    /// is noise.
    pub deterministic: Option<Expr>,
    pub terms: Vec<SplitTerm>,
}

/// The rate of an escape-noise condition `hazard(RATE)`: `Some(Ok(RATE))`, or
/// `Some(Err(arguments))` when `hazard` is called with another number of arguments;
/// `None` for any other condition.
pub fn hazard_rate(condition: &Expr) -> Option<Result<&Expr, usize>> {
    match &condition.kind {
        ExprKind::Call { function, args } if function.name == "hazard" => match args.as_slice() {
            [rate] => Some(Ok(rate)),
            _ => Some(Err(args.len())),
        },
        _ => None,
    }
}

/// Whether `e` names a white noise anywhere.
pub fn mentions_noise(e: &Expr) -> bool {
    first_noise(e).is_some()
}

/// The first noise name in `e` (in a depth-first walk), with its span.
fn first_noise(e: &Expr) -> Option<(&str, Span)> {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(name) if is_noise_name(name) => return Some((name, e.span)),
            ExprKind::Number { .. } | ExprKind::Quantity { .. } | ExprKind::Name(_) => {}
            ExprKind::Unary { operand, .. } => stack.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(rhs);
                stack.push(lhs);
            }
            ExprKind::If {
                condition,
                then_branch,
                else_branch,
            } => {
                stack.push(else_branch);
                stack.push(then_branch);
                stack.push(condition);
            }
            ExprKind::Call { args, .. } => stack.extend(args.iter().rev()),
        }
    }
    None
}

/// Splits the right-hand side `rhs` of `dstate/dt`; reports every misplaced noise and
/// returns `None` if there was one.
pub fn split(rhs: &Expr, sink: &mut Sink) -> Option<Split> {
    // Top-level terms with their signs, in the order written. Sums, differences and
    // negations are opened only where they contain noise, so the rest keeps its shape.
    let mut terms: Vec<(&Expr, bool)> = Vec::new();
    let mut stack: Vec<(&Expr, bool)> = vec![(rhs, false)];
    while let Some((e, negated)) = stack.pop() {
        if !mentions_noise(e) {
            terms.push((e, negated));
            continue;
        }
        match &e.kind {
            ExprKind::Binary {
                op: op @ (BinaryOp::Add | BinaryOp::Sub),
                lhs,
                rhs,
            } => {
                stack.push((rhs, negated ^ (*op == BinaryOp::Sub)));
                stack.push((lhs, negated));
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => stack.push((operand, !negated)),
            _ => terms.push((e, negated)),
        }
    }

    let mut ok = true;
    let mut out = Split {
        deterministic: None,
        terms: Vec::new(),
    };
    for (term, negated) in terms {
        if !mentions_noise(term) {
            out.deterministic = Some(match out.deterministic.take() {
                None if negated => negate(term.clone()),
                None => term.clone(),
                Some(sum) => {
                    let op = if negated {
                        BinaryOp::Sub
                    } else {
                        BinaryOp::Add
                    };
                    let span = sum.span.to(term.span);
                    Expr {
                        kind: ExprKind::Binary {
                            op,
                            lhs: Box::new(sum),
                            rhs: Box::new(term.clone()),
                        },
                        span,
                    }
                }
            });
            continue;
        }
        match factor_of(term) {
            Ok((name, name_span, factor)) => out.terms.push(SplitTerm {
                name: name.to_string(),
                name_span,
                factor: if negated { negate(factor) } else { factor },
                span: term.span,
            }),
            Err((name, span)) => {
                ok = false;
                sink.push(|| CheckError::NoiseNotAdditive {
                    name: name.to_string(),
                    span,
                    term: term.span,
                });
            }
        }
    }
    ok.then_some(out)
}

fn negate(e: Expr) -> Expr {
    let span = e.span;
    Expr {
        kind: ExprKind::Unary {
            op: UnaryOp::Neg,
            operand: Box::new(e),
        },
        span,
    }
}

/// For a product `term` with exactly one noise factor (in a numerator, possibly under
/// unary minus), the noise and `term` with it replaced by `1`; otherwise the noise that
/// is misplaced.
fn factor_of(term: &Expr) -> Result<(&str, Span, Expr), (&str, Span)> {
    // Walk down the one branch that holds noise; every step must keep the noise a factor.
    let mut e = term;
    loop {
        match &e.kind {
            ExprKind::Name(name) if is_noise_name(name) => break,
            ExprKind::Binary {
                op: BinaryOp::Mul,
                lhs,
                rhs,
            } => match (first_noise(lhs), first_noise(rhs)) {
                (Some(_), Some(second)) => return Err(second),
                (Some(_), None) => e = lhs,
                (None, _) => e = rhs,
            },
            ExprKind::Binary {
                op: BinaryOp::Div,
                lhs,
                rhs,
            } => match (first_noise(lhs), first_noise(rhs)) {
                (_, Some(in_denominator)) => return Err(in_denominator),
                _ => e = lhs,
            },
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => e = operand,
            _ => return Err(first_noise(e).unwrap_or(("xi", e.span))),
        }
    }
    let ExprKind::Name(name) = &e.kind else {
        unreachable!("the walk stops only at a noise name")
    };
    let mut factor = term.clone();
    replace_by_one(&mut factor, e.span);
    Ok((name, e.span, factor))
}

/// Takes the one noise of a product out: `g * xi` and `xi * g` become `g`, and a noise
/// elsewhere in the product (alone, negated, over a denominator) becomes the number `1`.
fn replace_by_one(e: &mut Expr, span: Span) {
    let is_noise = |e: &Expr| e.span == span && matches!(e.kind, ExprKind::Name(_));
    let mut e = e;
    loop {
        if is_noise(e) {
            e.kind = ExprKind::Number {
                value: 1.0,
                text: "1".to_string(),
            };
            return;
        }
        if let ExprKind::Binary {
            op: BinaryOp::Mul,
            lhs,
            rhs,
        } = &mut e.kind
        {
            let other = if is_noise(lhs) {
                Some(std::mem::replace(rhs.as_mut(), placeholder()))
            } else if is_noise(rhs) {
                Some(std::mem::replace(lhs.as_mut(), placeholder()))
            } else {
                None
            };
            if let Some(other) = other {
                *e = other;
                return;
            }
        }
        e = match &mut e.kind {
            ExprKind::Binary { lhs, rhs, .. } => {
                if lhs.span.start <= span.start && span.end <= lhs.span.end {
                    lhs
                } else {
                    rhs
                }
            }
            ExprKind::Unary { operand, .. } => operand,
            _ => return,
        };
    }
}

fn placeholder() -> Expr {
    Expr {
        kind: ExprKind::Number {
            value: 1.0,
            text: "1".to_string(),
        },
        span: Span::default(),
    }
}

/// The wording of the noise errors (E0407, E0408, and E0304 for a noise term's
/// dimension).
pub(crate) fn diagnostic(error: &CheckError) -> Option<Diagnostic> {
    let shape_hint = "write it as a term of the sum, `dX/dt = f + g * xi`, with a factor `g` \
                      that does not depend on states";
    Some(match error {
        CheckError::NoiseOutsideEquation { name, span } => Diagnostic::error(format!(
            "white noise `{name}` can appear only in a `dX/dt` equation"
        ))
        .with_code(codes::NOISE_PLACEMENT)
        .with_primary(*span, "not allowed here")
        .with_hint(shape_hint),
        CheckError::NoiseNotAdditive { name, span, term } => Diagnostic::error(format!(
            "white noise `{name}` must be an additive term `+ g * {name}`"
        ))
        .with_code(codes::NOISE_PLACEMENT)
        .with_primary(*span, "not a factor of a term of the sum")
        .with_secondary(*term, "in this term")
        .with_hint(shape_hint),
        CheckError::NoiseFactorReadsState {
            name,
            span,
            state,
        } => Diagnostic::error(format!(
            "the factor of `{name}` depends on the state `{state}`"
        ))
        .with_code(codes::NOISE_FACTOR)
        .with_primary(*span, format!("this term reads `{state}`"))
        .with_note("only additive noise is supported: the factor `g` of `g * xi` may use params, inputs and `t`")
        .with_hint(format!("take `{state}` out of the factor of `{name}`")),
        CheckError::NoiseDimension {
            name,
            state,
            span,
            found,
            expected,
        } => {
            let needed = expected.checked_div(Dim::NOISE);
            let written = found.checked_div(Dim::NOISE);
            let mut d = Diagnostic::error(format!(
                "the noise term must have the dimension of `d{state}/dt`"
            ))
            .with_code(codes::DERIVATIVE_DIMENSION)
            .with_primary(*span, format!("this term is {found}"))
            .with_note(format!(
                "`{name}` has dimension time^(-1/2) {} and `d{state}/dt` is {expected}",
                Dim::NOISE
            ));
            if let (Some(needed), Some(written)) = (needed, written) {
                d = d.with_note(format!(
                    "so the factor of `{name}` must be {needed}; it is {written}"
                ));
            }
            d.with_hint(format!(
                "for fluctuations of standard deviation `sigma` (in the unit of `{state}`) with time constant `tau`, write `sigma * sqrt(2 / tau) * {name}`"
            ))
        }
        CheckError::HazardMisplaced { span } => Diagnostic::error(
            "`hazard(RATE)` can only be the whole condition of an `on` block",
        )
        .with_code(codes::HAZARD)
        .with_primary(*span, "not an event's condition")
        .with_note("`on hazard(RATE) { … }` is escape noise: it fires in each step with probability 1 − exp(−RATE·dt)")
        .with_hint("write it as its own event: `on hazard(rate) { … }`"),
        _ => return None,
    })
}
