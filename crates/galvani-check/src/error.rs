//! The checker's typed errors (`CheckError`) and their conversion into plain-data
//! `Diagnostic`s with stable codes from `galvani_diag::codes`. Every variant carries the
//! names, spans and dimensions it talks about; the wording lives only here.

use galvani_diag::{codes, Diagnostic, Severity, Span};
use galvani_ir::text::quantity_text;
use galvani_ir::units::internal_unit_text;
use galvani_ir::Dim;

/// What kind of thing a model name is, for messages (`` `g_L` is a param ``).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Param,
    Input,
    State,
    Gate,
    Intermediate,
    Function,
    /// A parameter of a user `fn`.
    FunctionParam,
}

impl DeclKind {
    /// `a param`, `an input`, …
    pub fn with_article(self) -> &'static str {
        match self {
            DeclKind::Param => "a param",
            DeclKind::Input => "an input",
            DeclKind::State => "a state",
            DeclKind::Gate => "a gate",
            DeclKind::Intermediate => "an intermediate value",
            DeclKind::Function => "a function",
            DeclKind::FunctionParam => "a function parameter",
        }
    }

    /// `param`, `input`, … (the declaration keyword, or a description).
    pub fn noun(self) -> &'static str {
        match self {
            DeclKind::Param => "param",
            DeclKind::Input => "input",
            DeclKind::State => "state",
            DeclKind::Gate => "gate",
            DeclKind::Intermediate => "intermediate value",
            DeclKind::Function => "function",
            DeclKind::FunctionParam => "function parameter",
        }
    }
}

/// What a name or a reference is, for forbidden-reference messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    Decl(DeclKind),
    /// `t`
    Time,
}

impl RefKind {
    fn describe(self, name: &str) -> String {
        match self {
            RefKind::Decl(kind) => format!("the {} `{name}`", kind.noun()),
            RefKind::Time => "the time `t`".to_string(),
        }
    }
}

/// Where a reference was written, for forbidden-reference messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefContext {
    ParamValue,
    InputDefault,
    FunctionBody,
}

/// Where an unknown name was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRole {
    /// A value in an expression.
    Value,
    /// The name of a call.
    Function,
    /// The target of an assignment in an `on` block.
    AssignTarget,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReservedReason {
    /// `t` is the simulation time.
    Time,
    /// A keyword of the language.
    Keyword,
    /// The name of a built-in function.
    Builtin,
    /// `xi`, `xi_NAME` (white noise) or `hazard` (escape noise).
    Noise,
}

/// One side of a dimension mismatch.
#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    pub span: Span,
    pub dim: Dim,
    /// The literal text when this side is a bare number (`55`, `-1`), for the hint
    /// "write `55 mV`".
    pub bare_number: Option<String>,
    /// When this side is the name of a param/input/state declared as a bare number:
    /// (keyword, name, number text) for the hint "write `param E_L = -65 mV`".
    pub bare_declaration: Option<(DeclKind, String, String)>,
}

/// Which construct needs equal dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MismatchSite {
    /// A binary operator, as written (`+`, `<`, …).
    Operator(&'static str),
    /// The `then` and `else` branches of `if`.
    IfBranches,
    /// The two arguments of `min`/`max`.
    Arguments(&'static str),
}

/// What a required dimension belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DimContext {
    GateField {
        gate: String,
        field: &'static str,
    },
    Assignment {
        state: String,
    },
    Refractory,
    /// The rate of `on hazard(RATE)`.
    HazardRate,
    /// The exponent of `^` or `pow`.
    Exponent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExponentProblem {
    /// A dimensioned base with an exponent that is not written as a number.
    NotConstant,
    /// A constant exponent that is not a ratio of small integers (`x^0.123`).
    NotRational(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GateProblem {
    UnknownField {
        field: String,
        suggestion: Option<String>,
    },
    DuplicateField {
        field: String,
        first: Span,
    },
    /// `alpha`/`beta` mixed with `inf`/`tau`.
    Mixed {
        alpha_beta: Span,
        inf_tau: Span,
    },
    /// One of a pair is missing: `have` is present, `missing` is not.
    Missing {
        have: &'static str,
        missing: &'static str,
    },
    /// Neither pair.
    Empty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleKind {
    Params,
    Intermediates,
    /// Initial values of states (possibly through intermediates).
    InitialValues,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// `X += …` / `X -= …` at top level.
    CompoundAssignment,
    /// `X = … : UNIT` inside an `on` block (a display unit is an intermediate's).
    DisplayUnitInEvent,
    /// A `param`/`input`/`state`/`gate`/`fn` inside an `on` block.
    Declaration,
    /// `dX/dt` inside an `on` block.
    Ode,
    /// `on` inside an `on` block.
    NestedOn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooLargeReason {
    /// Functions inlined into each other nest too deeply.
    Nesting,
    /// Inlining functions makes the model's expressions too large.
    Expansion,
}

/// One problem found by `check`. Spans point into the model file.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckError {
    UnknownName {
        name: String,
        span: Span,
        role: NameRole,
        suggestion: Option<String>,
    },
    UnknownUnit {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    Duplicate {
        name: String,
        span: Span,
        first: Span,
        first_kind: DeclKind,
    },
    Reserved {
        name: String,
        span: Span,
        reason: ReservedReason,
    },
    Arity {
        function: String,
        span: Span,
        expected: usize,
        found: usize,
    },
    NotAFunction {
        name: String,
        span: Span,
        /// `None` for a unit name.
        kind: Option<DeclKind>,
    },
    FunctionAsValue {
        name: String,
        span: Span,
        builtin: bool,
    },
    /// User functions call each other in a cycle; each entry is a function and the span
    /// of its call of the next one.
    RecursiveFunction {
        cycle: Vec<(String, Span)>,
    },
    ForbiddenReference {
        name: String,
        span: Span,
        kind: RefKind,
        context: RefContext,
        /// The declaration or function the reference is in.
        owner: String,
    },
    DimensionMismatch {
        site: MismatchSite,
        span: Span,
        left: Operand,
        right: Operand,
        /// The call of the `fn` whose inlined body this is in.
        call_site: Option<Span>,
    },
    DimensionedArgument {
        function: String,
        span: Span,
        dim: Dim,
        call_site: Option<Span>,
    },
    WrongDimension {
        context: DimContext,
        span: Span,
        expected: Dim,
        found: Dim,
        bare_number: Option<String>,
    },
    /// `NAME = VALUE : UNIT` where the unit's dimension is not the value's.
    DisplayUnitDimension {
        name: String,
        span: Span,
        unit: String,
        unit_dim: Dim,
        value_span: Span,
        value_dim: Dim,
    },
    DerivativeDimension {
        state: String,
        span: Span,
        state_span: Span,
        state_dim: Dim,
        found: Dim,
    },
    BadExponent {
        span: Span,
        base: Dim,
        problem: ExponentProblem,
        call_site: Option<Span>,
    },
    /// A dimension's exponent overflows (`mV^2000000000`).
    DimensionOverflow {
        span: Span,
    },
    /// A value leaves the range of `f64` when converted to internal units.
    NumberOverflow {
        span: Span,
    },
    ConditionType {
        span: Span,
        /// True: a condition was needed and a number found; false: the reverse.
        expected_condition: bool,
        call_site: Option<Span>,
    },
    MissingOde {
        state: String,
        span: Span,
    },
    /// `xi` or `xi_NAME` outside a `dX/dt` equation (a param, an intermediate, an event,
    /// a gate field, a function body).
    NoiseOutsideEquation {
        name: String,
        span: Span,
    },
    /// `hazard(…)` anywhere but as the whole condition of an `on` block.
    HazardMisplaced {
        span: Span,
    },
    /// Noise in a `dX/dt` equation that is not a factor of one additive term.
    NoiseNotAdditive {
        name: String,
        span: Span,
        /// The term it is in.
        term: Span,
    },
    /// The factor `g` of `g·xi` reads a state (multiplicative noise).
    NoiseFactorReadsState {
        name: String,
        /// The term.
        span: Span,
        state: String,
    },
    /// A noise term `g·xi` whose dimension is not the state's per time.
    NoiseDimension {
        name: String,
        state: String,
        /// The term.
        span: Span,
        found: Dim,
        expected: Dim,
    },
    OdeWithoutState {
        name: String,
        span: Span,
        actual: Option<DeclKind>,
        suggestion: Option<String>,
    },
    /// `dm/dt` written for a gate, whose equation comes from its fields.
    OdeForGate {
        name: String,
        span: Span,
        gate: Span,
    },
    DuplicateOde {
        state: String,
        span: Span,
        first: Span,
    },
    /// A param whose declared value (a constant of the model) is NaN or ±∞.
    NonFiniteParam {
        name: String,
        /// The param's name in its declaration.
        span: Span,
        /// Its value expression.
        value_span: Span,
        value: f64,
    },
    GateFields {
        gate: String,
        span: Span,
        problem: GateProblem,
    },
    /// `steps[i].0` uses `steps[i+1].0` (the last uses the first) at `steps[i].1`.
    Cycle {
        kind: CycleKind,
        steps: Vec<(String, Span)>,
    },
    MisplacedRefractory {
        span: Span,
    },
    MisplacedStatement {
        span: Span,
        what: StatementKind,
    },
    AssignNotState {
        name: String,
        span: Span,
        kind: DeclKind,
    },
    DuplicateRefractory {
        span: Span,
        first: Span,
    },
    TooLarge {
        span: Span,
        reason: TooLargeReason,
    },
    /// The last entry when more than `MAX_ERRORS` errors were found.
    TooManyErrors {
        omitted: usize,
        span: Span,
    },
    /// A bug in the checker.
    Internal {
        message: String,
    },
}

fn did_you_mean(d: Diagnostic, suggestion: &Option<String>) -> Diagnostic {
    match suggestion {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d,
    }
}

fn this_is(dim: Dim) -> String {
    format!("this is {dim}")
}

fn arguments(n: usize) -> String {
    if n == 1 {
        "1 argument".to_string()
    } else {
        format!("{n} arguments")
    }
}

fn in_call(d: Diagnostic, call_site: &Option<Span>) -> Diagnostic {
    match call_site {
        Some(span) => d.with_secondary(*span, "in this call of the function"),
        None => d,
    }
}

/// The hint for one side of a mismatch when it is a bare number or a name declared as
/// one, written in the unit of the other side.
fn unit_hint(side: &Operand, other: Dim) -> Option<String> {
    if !side.dim.is_none() || other.is_none() {
        return None;
    }
    if let Some(number) = &side.bare_number {
        return Some(format!("write `{}`", quantity_text(number, other)));
    }
    if let Some((kind, name, number)) = &side.bare_declaration {
        return Some(format!(
            "`{name}` is declared as a bare number, so it is dimensionless: write `{} {name} = {}`",
            kind.noun(),
            quantity_text(number, other)
        ));
    }
    None
}

impl CheckError {
    /// The span errors are sorted by.
    pub fn primary_span(&self) -> Option<Span> {
        use CheckError::*;
        match self {
            UnknownName { span, .. }
            | UnknownUnit { span, .. }
            | Duplicate { span, .. }
            | Reserved { span, .. }
            | Arity { span, .. }
            | NotAFunction { span, .. }
            | FunctionAsValue { span, .. }
            | ForbiddenReference { span, .. }
            | DimensionMismatch { span, .. }
            | DimensionedArgument { span, .. }
            | WrongDimension { span, .. }
            | DisplayUnitDimension { span, .. }
            | DerivativeDimension { span, .. }
            | BadExponent { span, .. }
            | DimensionOverflow { span }
            | NumberOverflow { span }
            | ConditionType { span, .. }
            | MissingOde { span, .. }
            | NoiseOutsideEquation { span, .. }
            | HazardMisplaced { span }
            | NoiseNotAdditive { span, .. }
            | NoiseFactorReadsState { span, .. }
            | NoiseDimension { span, .. }
            | OdeWithoutState { span, .. }
            | OdeForGate { span, .. }
            | DuplicateOde { span, .. }
            | NonFiniteParam { span, .. }
            | GateFields { span, .. }
            | MisplacedRefractory { span }
            | MisplacedStatement { span, .. }
            | AssignNotState { span, .. }
            | DuplicateRefractory { span, .. }
            | TooLarge { span, .. }
            | TooManyErrors { span, .. } => Some(*span),
            RecursiveFunction { cycle } => cycle.first().map(|c| c.1),
            Cycle { steps, .. } => steps.iter().map(|s| s.1).min(),
            Internal { .. } => None,
        }
    }

    /// The diagnostic a user sees: code, one-line message, labelled spans, hints. The
    /// wording is written per family of errors, one function each.
    pub fn to_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            UnknownName { .. } | UnknownUnit { .. } | Duplicate { .. } | Reserved { .. } => {
                self.name_diagnostic()
            }
            Arity { .. }
            | NotAFunction { .. }
            | FunctionAsValue { .. }
            | RecursiveFunction { .. }
            | ForbiddenReference { .. } => self.function_diagnostic(),
            DimensionMismatch { .. }
            | DimensionedArgument { .. }
            | WrongDimension { .. }
            | DisplayUnitDimension { .. }
            | DerivativeDimension { .. } => self.dimension_diagnostic(),
            BadExponent { .. }
            | DimensionOverflow { .. }
            | NumberOverflow { .. }
            | ConditionType { .. } => self.exponent_number_condition_diagnostic(),
            MissingOde { .. }
            | OdeWithoutState { .. }
            | OdeForGate { .. }
            | DuplicateOde { .. }
            | NonFiniteParam { .. }
            | GateFields { .. }
            | Cycle { .. } => self.structure_diagnostic(),
            MisplacedRefractory { .. }
            | MisplacedStatement { .. }
            | AssignNotState { .. }
            | DuplicateRefractory { .. } => self.event_diagnostic(),
            TooLarge { .. } | TooManyErrors { .. } | Internal { .. } => self.limit_diagnostic(),
            NoiseOutsideEquation { .. }
            | HazardMisplaced { .. }
            | NoiseNotAdditive { .. }
            | NoiseFactorReadsState { .. }
            | NoiseDimension { .. } => {
                crate::noise::diagnostic(self).unwrap_or_else(|| self.misrouted())
            }
        }
    }

    /// Unknown, duplicate and reserved names (E0201–E0203, E0301).
    fn name_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            UnknownName {
                name,
                span,
                role,
                suggestion,
            } => {
                let (message, label) = match role {
                    NameRole::Value => (format!("unknown name `{name}`"), "not defined"),
                    NameRole::Function => {
                        (format!("unknown function `{name}`"), "no such function")
                    }
                    NameRole::AssignTarget => (
                        format!("cannot assign `{name}`: there is no state of that name"),
                        "not a state",
                    ),
                };
                let d = Diagnostic::error(message)
                    .with_code(codes::UNKNOWN_NAME)
                    .with_primary(*span, label);
                let d = did_you_mean(d, suggestion);
                if let Some(own) = name.strip_prefix("post.") {
                    // The network form of a name, written in a model file.
                    d.with_note(
                        "`post.NAME` names the postsynaptic model's value inside a network \
                         file's `connect` block (`on pre { post.V += w }`)",
                    )
                    .with_hint(format!(
                        "in a model file, name the model's own value: `{own}`"
                    ))
                } else if suggestion.is_none() && *role == NameRole::Function {
                    // The list is the table's, so a new built-in is named here too.
                    let names: Vec<&str> =
                        galvani_ir::Builtin::ALL.iter().map(|b| b.name()).collect();
                    d.with_note(format!("built-in functions: {}", names.join(" ")))
                } else {
                    d
                }
            }
            UnknownUnit {
                name,
                span,
                suggestion,
            } => {
                let d = Diagnostic::error(format!("unknown unit `{name}`"))
                    .with_code(codes::UNKNOWN_UNIT)
                    .with_primary(*span, "not a unit");
                let d = did_you_mean(d, suggestion);
                d.with_note(
                    "units are V A S F ohm s m M Hz mol K C J g with an optional prefix p n u m c d k M (`mV`, `uA`, `Mohm`)",
                )
            }
            Duplicate {
                name,
                span,
                first,
                first_kind,
            } => Diagnostic::error(format!("`{name}` is defined more than once"))
                .with_code(codes::DUPLICATE)
                .with_primary(*span, "defined again here")
                .with_secondary(
                    *first,
                    format!("first defined here as {}", first_kind.with_article()),
                )
                .with_hint("a name is defined once; rename one of them"),
            Reserved { name, span, reason } => {
                let message = match reason {
                    ReservedReason::Time => {
                        format!("`{name}` is reserved: it is the simulation time")
                    }
                    ReservedReason::Keyword => format!("`{name}` is a keyword"),
                    ReservedReason::Noise if name == "hazard" => {
                        "`hazard` is reserved: it is escape noise, `on hazard(RATE)`".to_string()
                    }
                    ReservedReason::Noise => {
                        format!("`{name}` is reserved: it names a white noise")
                    }
                    ReservedReason::Builtin => {
                        format!("`{name}` is a built-in function and cannot be redefined")
                    }
                };
                Diagnostic::error(message)
                    .with_code(codes::RESERVED)
                    .with_primary(*span, "choose another name")
            }
            _ => self.misrouted(),
        }
    }

    /// Calls and the bodies of functions (E0204–E0208).
    fn function_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            Arity {
                function,
                span,
                expected,
                found,
            } => Diagnostic::error(format!(
                "`{function}` takes {}, but {} given",
                arguments(*expected),
                if *found == 1 {
                    "1 was".to_string()
                } else {
                    format!("{found} were")
                }
            ))
            .with_code(codes::ARITY)
            .with_primary(
                *span,
                format!("expected {}, found {found}", arguments(*expected)),
            ),
            NotAFunction { name, span, kind } => {
                let d = match kind {
                    Some(kind) => Diagnostic::error(format!(
                        "`{name}` is {}, not a function",
                        kind.with_article()
                    ))
                    .with_hint(format!("to multiply, write `{name} * (…)`")),
                    None => Diagnostic::error(format!("`{name}` is a unit, not a function"))
                        .with_hint(format!(
                            "to give a number a unit, write it after the number: `3 {name}`"
                        )),
                };
                d.with_code(codes::NOT_A_FUNCTION)
                    .with_primary(*span, "called here")
            }
            FunctionAsValue {
                name,
                span,
                builtin,
            } => {
                let what = if *builtin {
                    "a built-in function"
                } else {
                    "a function"
                };
                Diagnostic::error(format!("`{name}` is {what}, not a value"))
                    .with_code(codes::FUNCTION_AS_VALUE)
                    .with_primary(*span, "used as a value")
                    .with_hint(format!("call it with arguments: `{name}(…)`"))
            }
            RecursiveFunction { cycle } => {
                let mut names: Vec<&str> = cycle.iter().map(|c| c.0.as_str()).collect();
                if let Some(first) = names.first().copied() {
                    names.push(first);
                }
                let mut d = Diagnostic::error(format!(
                    "functions call each other in a cycle: {}",
                    names.join(" → ")
                ))
                .with_code(codes::RECURSIVE_FUNCTION);
                for (k, (name, span)) in cycle.iter().enumerate() {
                    let callee = &cycle[(k + 1) % cycle.len()].0;
                    let message = format!("`{name}` calls `{callee}`");
                    d = if k == 0 {
                        d.with_primary(*span, message)
                    } else {
                        d.with_secondary(*span, message)
                    };
                }
                d.with_note(
                    "functions are inlined where they are called, so they cannot be recursive",
                )
            }
            ForbiddenReference {
                name,
                span,
                kind,
                context,
                owner,
            } => {
                let what = kind.describe(name);
                let (message, hint) = match context {
                    RefContext::ParamValue => (
                        format!("a param is a constant: it cannot depend on {what}"),
                        format!("if `{owner}` should change with {what}, make it an intermediate value: `{owner} = …` without `param`"),
                    ),
                    RefContext::InputDefault => (
                        format!("an input's default can only use params, not {what}"),
                        "give the input a constant default and compute the rest as an intermediate value".to_string(),
                    ),
                    RefContext::FunctionBody => (
                        format!("a function body can only use its parameters, params and other functions, not {what}"),
                        if name == "t" {
                            // `t` is reserved, so it cannot be a parameter's name.
                            format!("add a parameter for the time, such as `time`, to `{owner}` and pass `t` at each call")
                        } else {
                            format!("add `{name}` to the parameters of `{owner}` and pass it at each call")
                        },
                    ),
                };
                Diagnostic::error(message)
                    .with_code(codes::FORBIDDEN_REFERENCE)
                    .with_primary(*span, format!("`{name}` is used here, in `{owner}`"))
                    .with_hint(hint)
            }
            _ => self.misrouted(),
        }
    }

    /// Dimensions that do not match what the place requires (E0302–E0304).
    fn dimension_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            DimensionMismatch {
                site,
                span,
                left,
                right,
                call_site,
            } => {
                let (message, primary) = match site {
                    MismatchSite::Operator(op) => (
                        format!("the two sides of `{op}` have different dimensions"),
                        format!("`{op}` needs both sides in the same dimension"),
                    ),
                    MismatchSite::IfBranches => (
                        "the branches of `if` have different dimensions".to_string(),
                        "both branches need the same dimension".to_string(),
                    ),
                    MismatchSite::Arguments(f) => (
                        format!("the arguments of `{f}` have different dimensions"),
                        format!("`{f}` needs both arguments in the same dimension"),
                    ),
                };
                let mut d = Diagnostic::error(message)
                    .with_code(codes::DIMENSION_MISMATCH)
                    .with_primary(*span, primary)
                    .with_secondary(left.span, this_is(left.dim))
                    .with_secondary(right.span, this_is(right.dim));
                d = in_call(d, call_site);
                if let Some(h) = unit_hint(left, right.dim).or_else(|| unit_hint(right, left.dim)) {
                    d = d.with_hint(h);
                }
                d
            }
            DimensionedArgument {
                function,
                span,
                dim,
                call_site,
            } => {
                let d = Diagnostic::error(format!(
                    "the argument of `{function}` must be dimensionless"
                ))
                .with_code(codes::DIMENSIONED_ARGUMENT)
                .with_primary(*span, this_is(*dim))
                .with_hint(format!(
                    "divide by a reference value of the same dimension: `{function}(… / {})`",
                    quantity_text("10", *dim)
                ));
                in_call(d, call_site)
            }
            WrongDimension {
                context,
                span,
                expected,
                found,
                bare_number,
            } => {
                let message = match context {
                    DimContext::GateField { gate, field } => {
                        format!(
                            "the `{field}` of gate `{gate}` must be {}",
                            describe_required(*expected)
                        )
                    }
                    DimContext::Assignment { state } => {
                        format!("`{state}` is {expected}, so the value assigned to it must be too")
                    }
                    DimContext::Refractory => "a refractory period must be a time".to_string(),
                    DimContext::HazardRate => {
                        "the rate of `hazard(RATE)` must be a rate, 1/time".to_string()
                    }
                    DimContext::Exponent => "an exponent must be dimensionless".to_string(),
                };
                let mut d = Diagnostic::error(message)
                    .with_code(codes::DIMENSION_MISMATCH)
                    .with_primary(*span, this_is(*found))
                    .with_note(format!("expected {expected}"));
                if let (Some(number), true) = (bare_number, found.is_none()) {
                    if !expected.is_none() {
                        d = d.with_hint(format!("write `{}`", quantity_text(number, *expected)));
                    }
                }
                d
            }
            DisplayUnitDimension {
                name,
                span,
                unit,
                unit_dim,
                value_span,
                value_dim,
            } => Diagnostic::error(format!(
                "`{name}` cannot be reported in `{unit}`: the unit and the value have different dimensions"
            ))
            .with_code(codes::DIMENSION_MISMATCH)
            .with_primary(*span, this_is(*unit_dim))
            .with_secondary(*value_span, this_is(*value_dim))
            .with_hint(format!(
                "give a unit of the value's dimension, e.g. `: {}`, or none to report it in that unit",
                internal_unit_text(*value_dim)
            )),
            DerivativeDimension {
                state,
                span,
                state_span,
                state_dim,
                found,
            } => {
                let expected = state_dim.checked_div(Dim::TIME);
                let mut d = Diagnostic::error(format!(
                    "`d{state}/dt` must have the dimension of `{state}` per time"
                ))
                .with_code(codes::DERIVATIVE_DIMENSION)
                .with_primary(*span, this_is(*found))
                .with_secondary(*state_span, format!("`{state}` is {state_dim}"));
                if let Some(expected) = expected {
                    let unit = internal_unit_text(expected);
                    d = d.with_note(if unit.is_empty() {
                        format!("expected {expected}")
                    } else {
                        format!("expected {expected}, e.g. {unit}")
                    });
                }
                if found == state_dim {
                    d = d.with_hint("divide by a time constant: `(…) / tau`");
                }
                d
            }
            _ => self.misrouted(),
        }
    }

    /// Exponents, numbers out of range, and conditions used as numbers or the reverse (E0305, E0105, E0306).
    fn exponent_number_condition_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            BadExponent {
                span,
                base,
                problem,
                call_site,
            } => {
                let (message, label) = match problem {
                    ExponentProblem::NotConstant => (
                        "the exponent of a value with a dimension must be a number written in the file".to_string(),
                        "not a constant number".to_string(),
                    ),
                    ExponentProblem::NotRational(v) => (
                        format!("the exponent `{v}` of a value with a dimension must be a ratio of small integers"),
                        "such as 2, -1 or (1/3)".to_string(),
                    ),
                };
                let d = Diagnostic::error(message)
                    .with_code(codes::BAD_EXPONENT)
                    .with_primary(*span, label)
                    .with_note(format!(
                        "the base is {base}; its dimension raised to this power must be known when the model is checked"
                    ));
                in_call(d, call_site)
            }
            DimensionOverflow { span } => Diagnostic::error("a dimension's exponent is too large")
                .with_code(codes::BAD_EXPONENT)
                .with_primary(*span, "its dimension cannot be represented"),
            NumberOverflow { span } => Diagnostic::error(
                "this value is too large or too small to represent once converted to internal units",
            )
            .with_code(codes::BAD_NUMBER)
            .with_primary(*span, "out of the range of a 64-bit float"),
            ConditionType {
                span,
                expected_condition,
                call_site,
            } => {
                let d = if *expected_condition {
                    Diagnostic::error("expected a condition, found a number")
                        .with_primary(*span, "this is a number")
                        .with_hint("write a comparison, such as `V > -50 mV`")
                } else {
                    Diagnostic::error("a condition cannot be used as a number")
                        .with_primary(*span, "this is a condition")
                        .with_hint("to turn a condition into a number, write `if … then 1 else 0`")
                };
                in_call(d.with_code(codes::CONDITION_TYPE), call_site)
            }
            _ => self.misrouted(),
        }
    }

    /// The model's structure: equations, gates and cycles (E04xx, E0106).
    fn structure_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            MissingOde { state, span } => Diagnostic::error(format!("state `{state}` has no equation"))
                .with_code(codes::MISSING_ODE)
                .with_primary(*span, "declared here")
                .with_hint(format!("add `d{state}/dt = …`")),
            OdeWithoutState {
                name,
                span,
                actual,
                suggestion,
            } => {
                let d = match actual {
                    Some(kind) => Diagnostic::error(format!(
                        "`d{name}/dt`: `{name}` is {}, not a state",
                        kind.with_article()
                    ))
                    .with_primary(*span, "not a state")
                    .with_hint(format!("only states have equations; to make `{name}` one, declare it with `state {name} = …`")),
                    None => {
                        let d = Diagnostic::error(format!("`d{name}/dt`: there is no state `{name}`"))
                            .with_primary(*span, "no such state");
                        match suggestion {
                            Some(_) => did_you_mean(d, suggestion),
                            None => d.with_hint(format!("declare it: `state {name} = …`")),
                        }
                    }
                };
                d.with_code(codes::ODE_WITHOUT_STATE)
            }
            OdeForGate { name, span, gate } => Diagnostic::error(format!(
                "`{name}` is a gate: its equation comes from its fields, so `d{name}/dt` cannot be written"
            ))
            .with_code(codes::DUPLICATE_ODE)
            .with_primary(*span, "second equation")
            .with_secondary(*gate, "the gate defines the equation here")
            .with_hint(format!("remove `d{name}/dt`, or declare `{name}` with `state` instead of `gate`")),
            DuplicateOde { state, span, first } => Diagnostic::error(format!("`{state}` has more than one equation"))
                .with_code(codes::DUPLICATE_ODE)
                .with_primary(*span, "second equation")
                .with_secondary(*first, "first equation"),
            NonFiniteParam {
                name,
                span,
                value_span,
                value,
            } => {
                let value = if value.is_nan() {
                    "NaN"
                } else if *value > 0.0 {
                    "+∞"
                } else {
                    "−∞"
                };
                Diagnostic::error(format!("param `{name}` is {value}"))
                .with_code(codes::NON_FINITE_PARAM)
                .with_primary(*span, "this param")
                .with_secondary(*value_span, format!("evaluates to {value}"))
                .with_note("a param is a constant of the model: every neuron would compute with it and fail at the first step")
                .with_hint(format!("give `{name}` a finite value (a division by zero, `log` of 0 or of a negative number, `sqrt` of a negative number, or a number too large give NaN or ±∞)"))
            }
            GateFields { gate, span, problem } => gate_fields(gate, *span, problem),
            Cycle { kind, steps } => {
                let mut names: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
                if let Some(first) = names.first().copied() {
                    names.push(first);
                }
                let what = match kind {
                    CycleKind::Params => "params depend on each other in a cycle",
                    CycleKind::Intermediates => "intermediate values depend on each other in a cycle",
                    CycleKind::InitialValues => "initial values depend on each other in a cycle",
                };
                let mut d = Diagnostic::error(format!("{what}: {}", names.join(" → ")))
                    .with_code(codes::CYCLE);
                let first_position = steps.iter().map(|s| s.1).min();
                for (k, (name, span)) in steps.iter().enumerate() {
                    let next = &steps[(k + 1) % steps.len()].0;
                    let message = format!("`{name}` uses `{next}`");
                    d = if Some(*span) == first_position && d.primary_span().is_none() {
                        d.with_primary(*span, message)
                    } else {
                        d.with_secondary(*span, message)
                    };
                }
                if *kind == CycleKind::InitialValues {
                    d = d.with_hint("give one of these states a constant initial value");
                }
                d
            }
            _ => self.misrouted(),
        }
    }

    /// Statements inside and outside `on` blocks (E05xx).
    fn event_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            MisplacedRefractory { span } => {
                Diagnostic::error("`refractory` is only allowed inside an `on` block")
                    .with_code(codes::MISPLACED_REFRACTORY)
                    .with_primary(*span, "outside any `on` block")
                    .with_hint(
                        "move it into the `on` block whose event starts the refractory period",
                    )
            }
            MisplacedStatement { span, what } => {
                let (message, label) = match what {
                    StatementKind::CompoundAssignment => (
                        "`+=` and `-=` are only allowed inside an `on` block",
                        "outside any `on` block",
                    ),
                    StatementKind::DisplayUnitInEvent => (
                        "a display unit `: UNIT` is only for an intermediate, not an assignment in an `on` block",
                        "remove this unit",
                    ),
                    StatementKind::Declaration => (
                        "declarations are not allowed inside an `on` block",
                        "move this to the top level",
                    ),
                    StatementKind::Ode => (
                        "an equation `dX/dt = …` is not allowed inside an `on` block",
                        "move this to the top level",
                    ),
                    StatementKind::NestedOn => (
                        "an `on` block cannot contain another `on` block",
                        "nested event",
                    ),
                };
                Diagnostic::error(message)
                    .with_code(codes::MISPLACED_STATEMENT)
                    .with_primary(*span, label)
            }
            AssignNotState { name, span, kind } => Diagnostic::error(format!(
                "`{name}` is {}; only states can be assigned in an `on` block",
                kind.with_article()
            ))
            .with_code(codes::ASSIGN_NOT_STATE)
            .with_primary(*span, "not a state"),
            DuplicateRefractory { span, first } => {
                Diagnostic::error("an `on` block can have only one `refractory`")
                    .with_code(codes::DUPLICATE_REFRACTORY)
                    .with_primary(*span, "second `refractory`")
                    .with_secondary(*first, "first `refractory`")
            }
            _ => self.misrouted(),
        }
    }

    /// Limits of the checker and its own bugs (E0103, E0900).
    fn limit_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            TooLarge { span, reason } => {
                let message = match reason {
                    TooLargeReason::Nesting => "functions are nested too deeply here",
                    TooLargeReason::Expansion => {
                        "inlining functions makes this expression too large"
                    }
                };
                Diagnostic::error(message)
                    .with_code(codes::TOO_DEEP)
                    .with_primary(*span, "here")
                    .with_hint("use intermediate values (`x = …`) instead of nested function calls")
            }
            TooManyErrors { omitted, span } => Diagnostic::new(
                Severity::Note,
                format!(
                    "…and {omitted} more error{}",
                    if *omitted == 1 { "" } else { "s" }
                ),
            )
            .with_primary(*span, "checking stopped reporting here"),
            Internal { message } => Diagnostic::bug(format!("internal checker error: {message}"))
                .with_code(codes::INTERNAL),
            _ => self.misrouted(),
        }
    }

    /// A variant that `to_diagnostic` sent to the wrong family: a bug in the checker,
    /// reported as one rather than as a panic.
    fn misrouted(&self) -> Diagnostic {
        CheckError::Internal {
            message: format!("no wording for {self:?} in its family"),
        }
        .to_diagnostic()
    }
}

/// The fields of a gate: unknown, duplicate, mixed between the two forms, or missing.
fn gate_fields(gate: &str, span: Span, problem: &GateProblem) -> Diagnostic {
    let d = Diagnostic::error(match problem {
        GateProblem::UnknownField { field, .. } => {
            format!("gate `{gate}` has an unknown field `{field}`")
        }
        GateProblem::DuplicateField { field, .. } => {
            format!("gate `{gate}` sets `{field}` twice")
        }
        GateProblem::Mixed { .. } => {
            format!("gate `{gate}` mixes `alpha`/`beta` with `inf`/`tau`")
        }
        GateProblem::Missing { have, missing } => {
            format!("gate `{gate}` has `{have}` but no `{missing}`")
        }
        GateProblem::Empty => format!("gate `{gate}` defines no rates"),
    })
    .with_code(codes::GATE_FIELDS);
    let d = match problem {
        GateProblem::UnknownField { suggestion, .. } => {
            let d = d.with_primary(span, "unknown field");
            match suggestion {
                Some(_) => did_you_mean(d, suggestion),
                None => d,
            }
        }
        GateProblem::DuplicateField { first, .. } => d
            .with_primary(span, "set again here")
            .with_secondary(*first, "first set here"),
        GateProblem::Mixed {
            alpha_beta,
            inf_tau,
        } => d
            .with_primary(span, "in this gate")
            .with_secondary(*alpha_beta, "a rate (alpha/beta)")
            .with_secondary(*inf_tau, "a steady state or time constant (inf/tau)"),
        GateProblem::Missing { missing, .. } => d.with_primary(span, format!("needs `{missing}`")),
        GateProblem::Empty => d.with_primary(span, "no rates"),
    };
    d.with_note("a gate has either `alpha` and `beta`, or `inf` and `tau`, and optionally `init`")
}

/// `a rate [1/time]`, `dimensionless`, `a time`.
fn describe_required(dim: Dim) -> String {
    if dim.is_none() {
        "dimensionless".to_string()
    } else if dim == Dim::TIME {
        "a time".to_string()
    } else if Some(dim) == Dim::TIME.checked_pow(num_rational::Ratio::from_integer(-1)) {
        "a rate (1/time)".to_string()
    } else {
        format!("{dim}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of every variant, so that a variant sent to the wrong family (which
    /// would come out as an internal error) fails here.
    fn one_of_each() -> Vec<CheckError> {
        use CheckError::*;
        let span = Span::default();
        let name = || "x".to_string();
        let operand = Operand {
            span,
            dim: Dim::NONE,
            bare_number: None,
            bare_declaration: None,
        };
        vec![
            UnknownName {
                name: name(),
                span,
                role: NameRole::Value,
                suggestion: None,
            },
            UnknownUnit {
                name: name(),
                span,
                suggestion: None,
            },
            Duplicate {
                name: name(),
                span,
                first: span,
                first_kind: DeclKind::Param,
            },
            Reserved {
                name: name(),
                span,
                reason: ReservedReason::Keyword,
            },
            Arity {
                function: name(),
                span,
                expected: 1,
                found: 2,
            },
            NotAFunction {
                name: name(),
                span,
                kind: None,
            },
            FunctionAsValue {
                name: name(),
                span,
                builtin: true,
            },
            RecursiveFunction {
                cycle: vec![(name(), span)],
            },
            ForbiddenReference {
                name: name(),
                span,
                kind: RefKind::Time,
                context: RefContext::ParamValue,
                owner: name(),
            },
            DimensionMismatch {
                site: MismatchSite::IfBranches,
                span,
                left: operand.clone(),
                right: operand,
                call_site: None,
            },
            DimensionedArgument {
                function: name(),
                span,
                dim: Dim::TIME,
                call_site: None,
            },
            WrongDimension {
                context: DimContext::Refractory,
                span,
                expected: Dim::TIME,
                found: Dim::NONE,
                bare_number: None,
            },
            DerivativeDimension {
                state: name(),
                span,
                state_span: span,
                state_dim: Dim::NONE,
                found: Dim::NONE,
            },
            BadExponent {
                span,
                base: Dim::TIME,
                problem: ExponentProblem::NotConstant,
                call_site: None,
            },
            DimensionOverflow { span },
            NumberOverflow { span },
            ConditionType {
                span,
                expected_condition: true,
                call_site: None,
            },
            MissingOde {
                state: name(),
                span,
            },
            OdeWithoutState {
                name: name(),
                span,
                actual: None,
                suggestion: None,
            },
            OdeForGate {
                name: name(),
                span,
                gate: span,
            },
            DuplicateOde {
                state: name(),
                span,
                first: span,
            },
            NonFiniteParam {
                name: name(),
                span,
                value_span: span,
                value: f64::NAN,
            },
            GateFields {
                gate: name(),
                span,
                problem: GateProblem::Empty,
            },
            Cycle {
                kind: CycleKind::Params,
                steps: vec![(name(), span)],
            },
            MisplacedRefractory { span },
            MisplacedStatement {
                span,
                what: StatementKind::NestedOn,
            },
            MisplacedStatement {
                span,
                what: StatementKind::DisplayUnitInEvent,
            },
            DisplayUnitDimension {
                name: name(),
                span,
                unit: "mV".to_string(),
                unit_dim: Dim::NONE,
                value_span: span,
                value_dim: Dim::NONE,
            },
            AssignNotState {
                name: name(),
                span,
                kind: DeclKind::Param,
            },
            DuplicateRefractory { span, first: span },
            TooLarge {
                span,
                reason: TooLargeReason::Nesting,
            },
            TooManyErrors { omitted: 1, span },
        ]
    }

    #[test]
    fn every_variant_has_its_wording() {
        for error in one_of_each() {
            let d = error.to_diagnostic();
            assert_ne!(d.severity, Severity::Bug, "{error:?} → {d:?}");
            assert!(!d.message.contains("no wording"), "{error:?}");
        }
        let internal = CheckError::Internal {
            message: "m".to_string(),
        };
        let d = internal.to_diagnostic();
        assert_eq!(d.message, "internal checker error: m");
        assert_eq!(d.code, Some(codes::INTERNAL));
    }

    #[test]
    fn a_misrouted_variant_is_reported_as_a_bug_not_a_panic() {
        let error = CheckError::MissingOde {
            state: "V".to_string(),
            span: Span::default(),
        };
        let d = error.name_diagnostic();
        assert_eq!(d.severity, Severity::Bug);
        assert!(d
            .message
            .starts_with("internal checker error: no wording for MissingOde"));
    }
}
