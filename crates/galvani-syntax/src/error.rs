//! `ParseError`: the typed reasons a `.gal` file cannot be read, each with the exact span
//! to underline, and its conversion into a plain-data `galvani_diag::Diagnostic`.

use std::fmt;

use galvani_diag::{codes, Diagnostic, Span};

use crate::MAX_NESTING;

/// Why a file could not be parsed. Only the first problem in a file is reported.
#[derive(Clone, Debug, PartialEq)]
pub enum ParseError {
    /// The grammar rejected the text; the message has been written for humans. Boxed to
    /// keep `Result<_, ParseError>` small.
    Syntax(Box<SyntaxError>),
    /// A non-ASCII character outside a comment or the description string.
    NonAscii { character: char, span: Span },
    /// A line nests parentheses, `^` and `if` (and blocks) deeper than [`MAX_NESTING`].
    LineTooDeep { span: Span, depth: usize },
    /// An expression tree would be deeper than [`MAX_NESTING`] (long operator chains
    /// count one level per operator).
    ExpressionTooDeep { span: Span },
    /// The first declaration is not `model NAME "description"`.
    MissingModel {
        /// The first token of the first declaration, or an empty span at the end of a
        /// file that has no declaration at all.
        span: Span,
        found: Option<String>,
    },
    /// A second `model` line.
    DuplicateModel { span: Span, first: Span },
    /// A numeric literal that is not a finite `f64`, or a unit exponent out of range.
    BadNumber {
        text: String,
        span: Span,
        reason: BadNumberReason,
    },
    /// A reserved word used as a name.
    Reserved { word: String, span: Span },
    /// `4 mV^0.5`: a quantity directly raised to a power that is not the unit's own
    /// integer exponent; it would silently mean `(4 mV)^0.5`.
    QuantityPower {
        /// The whole `quantity ^ exponent` expression.
        span: Span,
        /// The quantity, to suggest `(…)`.
        quantity_text: String,
    },
    /// The parse tree lacked a part the grammar guarantees: a bug in galvani.
    Internal { span: Span, what: &'static str },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadNumberReason {
    /// The literal rounds to infinity.
    Overflow,
    /// A unit exponent (`m^99999999999`) does not fit an `i32`.
    ExponentOutOfRange,
}

/// A grammar error after humanisation: message, where to point and what to suggest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// One line: "expected an expression, found `)`".
    pub message: String,
    /// The offending token (empty only at the end of a line or file).
    pub span: Span,
    /// Text under the primary span.
    pub label: String,
    /// A related place, such as the `(` that is never closed.
    pub secondary: Option<(Span, String)>,
    pub hints: Vec<String>,
}

impl ParseError {
    /// The primary span of the error.
    pub fn span(&self) -> Span {
        match self {
            ParseError::Syntax(syntax) => syntax.span,
            ParseError::NonAscii { span, .. }
            | ParseError::LineTooDeep { span, .. }
            | ParseError::ExpressionTooDeep { span }
            | ParseError::MissingModel { span, .. }
            | ParseError::DuplicateModel { span, .. }
            | ParseError::BadNumber { span, .. }
            | ParseError::Reserved { span, .. }
            | ParseError::QuantityPower { span, .. }
            | ParseError::Internal { span, .. } => *span,
        }
    }

    /// Every span the diagnostic will show (primary first), for tests and tools.
    pub fn spans(&self) -> Vec<Span> {
        self.to_diagnostic().labels.iter().map(|l| l.span).collect()
    }

    /// The one-line message.
    pub fn message(&self) -> String {
        match self {
            ParseError::Syntax(syntax) => syntax.message.clone(),
            ParseError::NonAscii { character, .. } => format!(
                "non-ASCII character `{character}` (U+{:04X})",
                u32::from(*character)
            ),
            ParseError::LineTooDeep { .. } => "this line is nested too deeply".to_string(),
            ParseError::ExpressionTooDeep { .. } => {
                "this expression is nested too deeply".to_string()
            }
            ParseError::MissingModel { found: None, .. } => {
                "the file has no `model` declaration".to_string()
            }
            ParseError::MissingModel {
                found: Some(found), ..
            } => {
                format!("expected `model` as the first declaration, found `{found}`")
            }
            ParseError::DuplicateModel { .. } => "a file holds exactly one `model`".to_string(),
            ParseError::BadNumber { text, reason, .. } => match reason {
                BadNumberReason::Overflow => format!("the number `{text}` is too large"),
                BadNumberReason::ExponentOutOfRange => {
                    format!("the unit exponent `{text}` is out of range")
                }
            },
            ParseError::Reserved { word, .. } if word == "t" => {
                "`t` is reserved: it is the simulation time".to_string()
            }
            ParseError::Reserved { word, .. } if crate::is_noise_name(word) => {
                format!("`{word}` is reserved: it names a white noise")
            }
            ParseError::Reserved { word, .. } if word == "hazard" => {
                "`hazard` is reserved: it is escape noise, `on hazard(RATE)`".to_string()
            }
            ParseError::Reserved { word, .. } => format!("`{word}` is a keyword"),
            ParseError::QuantityPower { .. } => {
                "a unit's exponent must be a whole number written right after it".to_string()
            }
            ParseError::Internal { what, .. } => {
                format!("internal error: the parse tree has no {what}")
            }
        }
    }

    pub fn code(&self) -> galvani_diag::Code {
        match self {
            ParseError::Syntax(_)
            | ParseError::DuplicateModel { .. }
            | ParseError::QuantityPower { .. } => codes::SYNTAX,
            ParseError::NonAscii { .. } => codes::NON_ASCII,
            ParseError::LineTooDeep { .. } | ParseError::ExpressionTooDeep { .. } => {
                codes::TOO_DEEP
            }
            ParseError::MissingModel { .. } => codes::MISSING_MODEL,
            ParseError::BadNumber { .. } => codes::BAD_NUMBER,
            ParseError::Reserved { .. } => codes::RESERVED,
            ParseError::Internal { .. } => codes::INTERNAL,
        }
    }

    /// The plain-data diagnostic: code, message, labelled spans and hints.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let diagnostic = Diagnostic::error(self.message()).with_code(self.code());
        match self {
            ParseError::Internal { span, .. } => Diagnostic::bug(self.message())
                .with_code(self.code())
                .with_primary(*span, "while reading this"),
            ParseError::Syntax(syntax) => {
                let mut diagnostic = diagnostic.with_primary(syntax.span, syntax.label.clone());
                if let Some((span, label)) = &syntax.secondary {
                    diagnostic = diagnostic.with_secondary(*span, label.clone());
                }
                syntax
                    .hints
                    .iter()
                    .fold(diagnostic, |d, hint| d.with_hint(hint.clone()))
            }
            ParseError::NonAscii { character, span } => {
                let diagnostic = diagnostic.with_primary(*span, "not ASCII");
                match non_ascii_hint(*character) {
                    Some(hint) => diagnostic.with_hint(hint),
                    None => diagnostic.with_hint(
                        "names, numbers, units and operators are ASCII; other characters \
                         may appear only in comments and in the description string",
                    ),
                }
            }
            ParseError::LineTooDeep { span, depth } => diagnostic
                .with_primary(
                    *span,
                    format!(
                        "{depth} levels of `(`, `^`, `if` and blocks; the limit is {MAX_NESTING}"
                    ),
                )
                .with_hint(
                    "split the expression into named intermediates (`x1 = …`) on separate lines",
                ),
            ParseError::ExpressionTooDeep { span } => diagnostic
                .with_primary(*span, format!("deeper than {MAX_NESTING} levels"))
                .with_note("each operator in a chain such as `a + b + c + …` adds one level")
                .with_hint(
                    "split the expression into named intermediates (`x1 = …`) on separate lines",
                ),
            ParseError::MissingModel { span, found } => {
                let label = match found {
                    Some(_) => "expected `model` here",
                    None => "no declaration in this file",
                };
                if found.as_deref() == Some("network") {
                    // A network file where a model file is needed (`fi`, `bench`).
                    return diagnostic
                        .with_primary(*span, "this is a network file")
                        .with_note(
                            "`galvani check`, `galvani explain` and `galvani run` take network \
                             files; this command takes a model file",
                        );
                }
                diagnostic
                    .with_primary(*span, label)
                    .with_hint("a model file starts with `model NAME \"description\"`")
            }
            ParseError::DuplicateModel { span, first } => diagnostic
                .with_primary(*span, "second `model` line")
                .with_secondary(*first, "the model is declared here")
                .with_hint("write one model per file"),
            ParseError::BadNumber { span, reason, .. } => match reason {
                BadNumberReason::Overflow => diagnostic
                    .with_primary(*span, "does not fit a 64-bit float")
                    .with_note("the largest finite number is about 1.8e308"),
                BadNumberReason::ExponentOutOfRange => diagnostic
                    .with_primary(*span, "exponent out of range")
                    .with_note("a unit exponent is a small whole number such as `2` or `-1`"),
            },
            ParseError::Reserved { word, span } => {
                let label = if word == "t" {
                    "`t` always means the time"
                } else {
                    "reserved word"
                };
                // `xi_e_` would still name a noise: suggest a name that does not.
                let other = if crate::is_noise_name(word) {
                    format!("sigma_{word}")
                } else {
                    format!("{word}_")
                };
                diagnostic
                    .with_primary(*span, label)
                    .with_hint(format!("choose another name, such as `{other}`"))
            }
            ParseError::QuantityPower {
                span,
                quantity_text,
            } => diagnostic
                .with_primary(*span, "ambiguous power of a quantity")
                .with_hint(format!(
                    "write `({quantity_text})^…` to raise the whole quantity, or an integer unit \
                     exponent such as `mV^2`"
                )),
        }
    }
}

/// Specific advice for characters that look like ASCII operators or prefixes.
fn non_ascii_hint(character: char) -> Option<&'static str> {
    match character {
        '\u{00B5}' | '\u{03BC}' => Some("write `u` for micro: `uA`, `uF`, `um`"),
        '\u{2212}' | '\u{2013}' | '\u{2014}' => Some("write `-` (ASCII hyphen-minus)"),
        '\u{00D7}' | '\u{00B7}' | '\u{22C5}' => Some("write `*` to multiply"),
        '\u{00B2}' => Some("write `^2` for a square: `cm^2`"),
        '\u{00B3}' => Some("write `^3` for a cube"),
        '\u{2126}' | '\u{03A9}' => Some("write `ohm`: `Mohm`, `kohm`"),
        '\u{2264}' => Some("write `<=`"),
        '\u{2265}' => Some("write `>=`"),
        '\u{2260}' => Some("write `!=`"),
        '\u{201C}' | '\u{201D}' => Some("write the description between ASCII quotes `\"…\"`"),
        '\u{00A0}' => Some("this is a non-breaking space; write an ordinary space"),
        _ => None,
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ParseError {}
