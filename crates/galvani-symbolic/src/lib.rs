//! galvani's symbolic middle: takes a checked `ir::Model`, rearranges every ODE into
//! `dy/dt = A − B·y` (linearity analysis, removable-singularity repair, teaching forms),
//! and hands on a `StepProgram` for each integration method. Rendering the results for
//! people (`explain`, the linear-stage text) is `galvani-views`'.
//!
//! ```text
//! ir::Model ──linearize──▶ Linearized ──discretize(method)──▶ StepProgram
//! ```
//!
//! Modules (all private; the crate exports `linearize`, `discretize`, their results, the
//! `Jacobian` of the right-hand sides and a read-only view of the expression DAG): `dag`
//! (hash-consed expressions), `simplify` (rewrite rules), `diff` (differentiation),
//! `lower` (IR → DAG), `linear` (A/B analysis), `discretize` (methods as data),
//! `jacobian` (`∂f_i/∂y_j` for Newton's method), `exact` (`dy/dt = M·y + c` for the
//! `exact` method).

mod dag;
mod diff;
mod discretize;
mod exact;
mod jacobian;
mod linear;
mod lower;
mod simplify;

#[cfg(test)]
mod tests;

pub use dag::{Dag, GateField, Node, NodeId, Sym};
pub use discretize::discretize;
pub use exact::{linear_system, LinearSystemForms};
pub use jacobian::{Jacobian, Point};
pub use linear::{
    linearize, Class, CseStats, EventForms, GateInfo, GateKind, Linearized, NamedForms, NoiseForm,
    Rewrite, StateForm,
};

use galvani_diag::{codes, Diagnostic, Span};
use galvani_ir::step::Method;
use std::fmt;

/// Why the symbolic middle could not process a model. Except for `TooDeep` (a model
/// beyond the engine's nesting limit), `NoiseMethod` and `NotExact` (a method the model
/// cannot take) these are bugs: `check` guarantees the rest.
#[derive(Clone, Debug, PartialEq)]
pub enum SymbolicError {
    /// The model refers to something that does not exist (an id out of range, a cycle).
    MalformedModel { what: String },
    /// An expression, with intermediates substituted, nests deeper than the limit.
    TooDeep { span: Span, depth: u32 },
    /// `Linearized::verify` failed.
    VerifyFailed { state: String, problem: String },
    /// Any other broken invariant.
    Internal { what: String },
    /// A method that cannot integrate white noise (`rk4`, `expeuler2`) for a model with
    /// noise; `span` is the first noise's use.
    NoiseMethod { method: Method, span: Span },
    /// `exact` for a model with an equation that is not linear with constant
    /// coefficients; `reason` says why, `span` is the equation.
    NotExact {
        state: String,
        reason: String,
        span: Span,
    },
}

impl fmt::Display for SymbolicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymbolicError::MalformedModel { what } => write!(f, "malformed model: {what}"),
            SymbolicError::TooDeep { depth, .. } => write!(
                f,
                "expression nests {depth} levels deep once intermediates are substituted (the limit is {})",
                lower::MAX_DEPTH
            ),
            SymbolicError::VerifyFailed { state, problem } => {
                write!(f, "linear form of `{state}` fails verification: {problem}")
            }
            SymbolicError::Internal { what } => write!(f, "internal error: {what}"),
            SymbolicError::NoiseMethod { method, .. } => write!(
                f,
                "the method `{}` cannot integrate white noise",
                method.name()
            ),
            SymbolicError::NotExact { state, .. } => write!(
                f,
                "the method `exact` needs linear equations with constant coefficients, and d{state}/dt is not one"
            ),
        }
    }
}

impl std::error::Error for SymbolicError {}

impl SymbolicError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            SymbolicError::TooDeep { span, .. } => Diagnostic::error(self.to_string())
                .with_code(codes::TOO_DEEP)
                .with_primary(*span, "this expression")
                .with_note(
                    "named intermediate values are substituted into the equations, so a chain of them nests as deep as one long expression",
                )
                .with_hint("make the chain of intermediates (or of nested calls) shorter"),
            SymbolicError::NoiseMethod { span, .. } => Diagnostic::error(self.to_string())
                .with_code(codes::NOISE_METHOD)
                .with_primary(*span, "this model has white noise")
                .with_note("a model with noise runs with `expeuler` when no method is given")
                .with_hint(
                    "use `expeuler` (exact for linear equations: the Ornstein–Uhlenbeck update) or `euler` (Euler–Maruyama)",
                ),
            SymbolicError::NotExact { reason, span, .. } => Diagnostic::error(self.to_string())
                .with_code(codes::NOT_EXACT)
                .with_primary(*span, reason.clone())
                .with_note(
                    "`exact` steps `dy/dt = M·y + c` with the matrix exponential e^(M·dt): M must be the same at every state, input and time",
                )
                .with_hint(
                    "use `expeuler2` (the default) or another method; they apply to every model",
                ),
            _ => Diagnostic::bug(self.to_string()).with_code(codes::INTERNAL),
        }
    }
}
