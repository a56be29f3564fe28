//! Checks a parsed model: `ast::Model` → `ir::Model`, or every problem found as a typed
//! `CheckError`. The passes, in order:
//!
//! 1. `collect`: declarations into one table; reserved and duplicate names, gate fields,
//!    statement placement, one equation per state.
//! 2. `resolve`: every name in every expression resolved once (scopes, innermost first:
//!    function parameters, model names, `t`, built-ins, units); unknown names with "did
//!    you mean", arity, forbidden references; dependency edges; recursive functions;
//!    whether the file uses any unit at all (if not, it is dimensionless).
//! 3. `order`: params, intermediates and initial values in dependency order (stable, so
//!    declaration order is kept where possible); cycles named in full.
//! 4. `build` with `lower`: every expression lowered into the IR arena with its
//!    dimension, functions inlined, gates expanded, quantities converted to internal units
//!    with one rounding, every required dimension checked; then the model is assembled.
//!
//! Errors are sorted by position; after [`MAX_ERRORS`] only a count is kept. Every pass
//! is iterative or depth-bounded, and `O(n log n)` in the size of the file.

mod build;
mod collect;
mod error;
mod lower;
mod noise;
mod order;
mod resolve;
mod sink;

#[cfg(test)]
mod tests;

pub use error::{
    CheckError, CycleKind, DeclKind, DimContext, ExponentProblem, GateProblem, MismatchSite,
    NameRole, Operand, RefContext, RefKind, ReservedReason, StatementKind, TooLargeReason,
};
pub use sink::MAX_ERRORS;

use galvani_diag::{Diagnostic, Span};
use galvani_syntax::ast;
use std::fmt;

/// A model that passed every check, with the warnings found on the way.
#[derive(Clone, Debug)]
pub struct Checked {
    pub model: galvani_ir::Model,
    pub warnings: Vec<Diagnostic>,
}

/// Every error found, sorted by position; the last may be a
/// [`CheckError::TooManyErrors`] note.
#[derive(Clone, Debug)]
pub struct CheckErrors(pub Vec<CheckError>);

impl CheckErrors {
    pub fn to_diagnostics(&self) -> Vec<Diagnostic> {
        self.0.iter().map(CheckError::to_diagnostic).collect()
    }
}

impl fmt::Display for CheckErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, e) in self.0.iter().enumerate() {
            if k > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&e.to_diagnostic().message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CheckErrors {}

/// Checks one parsed model. In debug builds the result is also verified
/// (`ir::Model::verify`); a failure there is reported as an internal error.
pub fn check(ast: &ast::Model) -> Result<Checked, CheckErrors> {
    let mut sink = sink::Sink::new();
    let decls = collect::collect(ast, &mut sink);
    let resolution = resolve::resolve(&decls, &mut sink);
    let orders = order::order(&decls, &resolution, &mut sink);
    let built = build::build(ast, &decls, &resolution, &orders, &mut sink);
    match built {
        Some(built) if !sink.has_errors() => {
            if cfg!(debug_assertions) {
                if let Err(err) = built.model.verify() {
                    return Err(CheckErrors(vec![CheckError::Internal {
                        message: format!("the checked model fails verification: {err}"),
                    }]));
                }
            }
            let non_finite = non_finite_params(&built.model);
            if !non_finite.is_empty() {
                return Err(CheckErrors(non_finite));
            }
            Ok(Checked {
                model: built.model,
                warnings: built.warnings,
            })
        }
        _ => {
            if !sink.has_errors() {
                sink.push(|| CheckError::Internal {
                    message: "checking failed without a diagnostic".to_string(),
                });
            }
            Err(CheckErrors(sink.finish(end_of(ast))))
        }
    }
}

/// The params whose declared value is NaN or ±∞ (every param is a constant: it refers
/// only to earlier params), each reported where it arises: a param computed from one
/// already reported is not reported again.
fn non_finite_params(model: &galvani_ir::Model) -> Vec<CheckError> {
    let values = model.param_values();
    let mut reported = vec![false; values.len()];
    let mut errors = Vec::new();
    for (k, (param, value)) in model.params.iter().zip(&values).enumerate() {
        if value.is_finite() {
            continue;
        }
        reported[k] = true;
        let mut from_reported = false;
        let mut stack = vec![param.value];
        while let Some(id) = stack.pop() {
            if let galvani_ir::ExprKind::Param(p) = model.exprs.kind(id) {
                from_reported |= reported.get(p.index()).copied().unwrap_or(false);
            }
            galvani_ir::eval::for_each_child(model.exprs.kind(id), |c| stack.push(c));
        }
        if !from_reported {
            errors.push(CheckError::NonFiniteParam {
                name: param.name.clone(),
                span: param.span,
                value_span: model.exprs.span(param.value),
                value: *value,
            });
        }
    }
    errors
}

/// An empty span at the end of the last declaration: where "…and N more" points.
fn end_of(ast: &ast::Model) -> Span {
    let end = ast
        .items
        .iter()
        .map(|i| i.span)
        .chain(std::iter::once(ast.header_span))
        .max_by_key(|s| s.end)
        .unwrap_or(ast.header_span);
    Span {
        file: end.file,
        start: end.end,
        end: end.end,
    }
}
