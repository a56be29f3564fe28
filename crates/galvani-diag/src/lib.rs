//! Plain-data diagnostics shared by every galvani stage: byte-range `Span`s, `FileId`s,
//! `Diagnostic`s with labels, notes and hints, the table of error and warning codes, and
//! the "did you mean" suggestions (`suggest`) every stage's hints share.
//!
//! Library crates build their own typed errors (`ParseError`, `CheckError`, …) and convert
//! them into `Diagnostic` values; only the command-line crate renders them (with
//! codespan-reporting). Nothing here prints.

pub mod suggest;

use std::fmt;
use std::ops::Range;

/// Identifies one source file inside a `galvani` invocation (an index into the driver's
/// file table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        debug_assert!(start <= end, "span start {start} after end {end}");
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// A compiler bug: exit status 3, "please report".
    Bug,
    Error,
    Warning,
    Note,
}

/// A stable diagnostic code, printed as `error[E0301]` or `warning[W0601]`. Each code is one
/// class of problem; the table lives in [`codes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(pub &'static str);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One underlined span with a message. The primary label marks where the problem is;
/// secondary labels point at related places (the other operand, the first definition…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

/// A finished diagnostic, ready to render. Plain data: no references into source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Option<Code>,
    pub message: String,
    pub labels: Vec<Label>,
    /// Free-form notes printed after the snippet (`= note: …`).
    pub notes: Vec<String>,
    /// Suggestions printed as `= help: …`.
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            code: None,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            hints: Vec::new(),
        }
    }

    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, message)
    }

    /// A warning. It takes its code up front because every warning has one (see
    /// [`codes`]), unlike errors built up step by step.
    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, message).with_code(code)
    }

    /// An internal compiler error: a bug in galvani, not in the user's model.
    pub fn bug(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Bug, message)
            .with_note("this is a bug in galvani, not in your model; please report it with the model file attached")
    }

    pub fn with_code(mut self, code: Code) -> Diagnostic {
        self.code = Some(code);
        self
    }

    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hints.push(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error | Severity::Bug)
    }

    /// The span of the first primary label, if any (used to sort diagnostics by position).
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// A list of diagnostics produced by one stage; sorted by position for stable output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Stable order: by primary span start, then by message.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.primary_span().map(|s| (s.file, s.start, s.end));
            key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
        });
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Diagnostic codes, one per class of problem; every error and every warning carries one
/// (`Diagnostic::warning` requires it).
///
/// The two digits after the letter name the family, shared by errors (`E`) and warnings
/// (`W`), so a warning sits next to the errors of the stage that raises it:
///
/// | family | what |
/// |---|---|
/// | `E01xx` | syntax |
/// | `E02xx`, `W02xx` | names (`W0201`: a function never used) |
/// | `E03xx` | units and dimensions |
/// | `E04xx` | model structure |
/// | `E05xx` | events |
/// | `W06xx` | numerics (`W0601`: a removable singularity rewritten) |
/// | `E07xx` | network files |
/// | `E09xx` | internal errors (bugs in galvani) |
pub mod codes {
    use super::Code;
    pub const SYNTAX: Code = Code("E0101");
    pub const NON_ASCII: Code = Code("E0102");
    pub const TOO_DEEP: Code = Code("E0103");
    pub const MISSING_MODEL: Code = Code("E0104");
    pub const BAD_NUMBER: Code = Code("E0105");
    pub const GATE_FIELDS: Code = Code("E0106");
    pub const UNKNOWN_NAME: Code = Code("E0201");
    pub const DUPLICATE: Code = Code("E0202");
    pub const RESERVED: Code = Code("E0203");
    pub const ARITY: Code = Code("E0204");
    pub const NOT_A_FUNCTION: Code = Code("E0205");
    pub const FUNCTION_AS_VALUE: Code = Code("E0206");
    pub const RECURSIVE_FUNCTION: Code = Code("E0207");
    pub const FORBIDDEN_REFERENCE: Code = Code("E0208");
    /// A warning: a user `fn` that no expression calls.
    pub const UNUSED_FUNCTION: Code = Code("W0201");
    pub const UNKNOWN_UNIT: Code = Code("E0301");
    pub const DIMENSION_MISMATCH: Code = Code("E0302");
    pub const DIMENSIONED_ARGUMENT: Code = Code("E0303");
    pub const DERIVATIVE_DIMENSION: Code = Code("E0304");
    pub const BAD_EXPONENT: Code = Code("E0305");
    pub const CONDITION_TYPE: Code = Code("E0306");
    pub const MISSING_ODE: Code = Code("E0401");
    pub const ODE_WITHOUT_STATE: Code = Code("E0402");
    pub const CYCLE: Code = Code("E0403");
    pub const DUPLICATE_ODE: Code = Code("E0404");
    pub const NOT_A_STATE: Code = Code("E0405");
    /// A param whose declared value is NaN or ±∞ (`param p = 0/0`).
    pub const NON_FINITE_PARAM: Code = Code("E0406");
    /// White noise `xi` written outside a `dX/dt` equation or not as an additive term.
    pub const NOISE_PLACEMENT: Code = Code("E0407");
    /// The factor of a white noise depends on a state (multiplicative noise).
    pub const NOISE_FACTOR: Code = Code("E0408");
    /// A method that cannot integrate noise (`rk4`, `expeuler2`) asked for a noisy model.
    pub const NOISE_METHOD: Code = Code("E0409");
    /// `exact` asked for a model with an equation that is not linear with constant
    /// coefficients.
    pub const NOT_EXACT: Code = Code("E0410");
    pub const MISPLACED_REFRACTORY: Code = Code("E0501");
    pub const ASSIGN_NOT_STATE: Code = Code("E0502");
    pub const MISPLACED_STATEMENT: Code = Code("E0503");
    pub const DUPLICATE_REFRACTORY: Code = Code("E0504");
    /// `hazard(RATE)` anywhere but as the whole condition of an `on` block.
    pub const HAZARD: Code = Code("E0505");
    /// A warning: a removable singularity (`0/0` at one point) rewritten with `exprel`.
    pub const SINGULARITY_REWRITE: Code = Code("W0601");
    /// A network block names a population the file does not declare.
    pub const UNKNOWN_POPULATION: Code = Code("E0701");
    /// A field a network block does not take, lacks, or has twice, or with a bad value.
    pub const NETWORK_FIELD: Code = Code("E0702");
    /// A connection rule that is not one of the rules, or with bad arguments.
    pub const CONNECTION_RULE: Code = Code("E0703");
    /// A model file a population uses does not load or check.
    pub const MODEL_FILE: Code = Code("E0704");
    /// A name of a connection block that is also a name of the post model.
    pub const AMBIGUOUS_NAME: Code = Code("E0705");
    pub const INTERNAL: Code = Code("E0900");
}
