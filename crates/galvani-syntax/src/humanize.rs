//! Turns pest's raw failure (a byte position and the rules it tried there) into a
//! `SyntaxError` a modeller can act on: "expected `=` after the name, found `3`", with the
//! offending token underlined and a hint where the mistake has a usual cause (`;`, `**`,
//! chained comparisons, an unclosed `(`). Rule names never reach the message.

use std::collections::BTreeSet;

use galvani_diag::{FileId, Span};
use pest::error::{Error as PestError, ErrorVariant, InputLocation};

use crate::error::{ParseError, SyntaxError};
use crate::grammar::Rule;

/// What the parser would have accepted, in the order the message lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Expect {
    Declaration,
    GateField,
    Model,
    Name,
    Description,
    Expression,
    Equals,
    LParen,
    Comma,
    RParen,
    LBrace,
    RBrace,
    Then,
    Else,
    Operator,
    EndOfLine,
    Unit,
    Arrow,
    NetworkDeclaration,
    NetworkField,
    Pre,
}

impl Expect {
    fn human(self) -> &'static str {
        match self {
            Expect::Declaration => "a declaration",
            Expect::GateField => "a gate field such as `alpha = …`",
            Expect::Model => "`model`",
            Expect::Name => "a name",
            Expect::Description => "a description in quotes",
            Expect::Expression => "an expression",
            Expect::Equals => "`=`",
            Expect::LParen => "`(`",
            Expect::RParen => "`)`",
            Expect::Comma => "`,`",
            Expect::LBrace => "`{`",
            Expect::RBrace => "`}`",
            Expect::Then => "`then`",
            Expect::Else => "`else`",
            Expect::Operator => "an operator",
            Expect::EndOfLine => "end of line",
            Expect::Unit => "a unit such as `nA` or `uA/cm^2`",
            Expect::Arrow => "`->`",
            Expect::NetworkDeclaration => "`param`, `population`, `connect` or `drive`",
            Expect::NetworkField => "a field such as `size = 100`",
            Expect::Pre => "`pre`",
        }
    }

    /// The human category of a rule pest tried, or `None` for rules that are only noise
    /// in a report (the parts of a quantity, the inside of a string).
    fn of_rule(rule: Rule) -> Option<Expect> {
        Some(match rule {
            Rule::item
            | Rule::param_decl
            | Rule::input_decl
            | Rule::state_decl
            | Rule::gate_decl
            | Rule::fn_decl
            | Rule::on_decl
            | Rule::refractory_stmt
            | Rule::extra_model
            | Rule::ode
            | Rule::ode_head
            | Rule::assign
            | Rule::kw_param
            | Rule::kw_input
            | Rule::kw_state
            | Rule::kw_gate
            | Rule::kw_fn
            | Rule::kw_on
            | Rule::kw_refractory => Expect::Declaration,
            Rule::gate_field | Rule::field_name => Expect::GateField,
            Rule::arrow => Expect::Arrow,
            Rule::network_item
            | Rule::population_decl
            | Rule::connect_decl
            | Rule::drive_decl
            | Rule::kw_population
            | Rule::kw_connect
            | Rule::kw_drive => Expect::NetworkDeclaration,
            Rule::net_field | Rule::field_set | Rule::init_decl | Rule::on_pre | Rule::kw_init => {
                Expect::NetworkField
            }
            Rule::kw_pre => Expect::Pre,
            Rule::network_header | Rule::kw_network => Expect::Model,
            Rule::header | Rule::kw_model => Expect::Model,
            Rule::ident => Expect::Name,
            Rule::description => Expect::Description,
            Rule::expr
            | Rule::if_expr
            | Rule::exponent
            | Rule::kw_if
            | Rule::not_op
            | Rule::neg_op
            | Rule::number
            | Rule::quantity
            | Rule::call
            | Rule::call_name
            | Rule::name
            | Rule::paren
            | Rule::lparen => Expect::Expression,
            Rule::eq | Rule::assign_op => Expect::Equals,
            // (`unit_suffix` stays out: it is also the inside of every quantity.)
            Rule::unit_annotation | Rule::unit_one => Expect::Unit,
            Rule::args_open => Expect::LParen,
            Rule::rparen | Rule::args_close => Expect::RParen,
            Rule::comma => Expect::Comma,
            Rule::lbrace => Expect::LBrace,
            Rule::rbrace => Expect::RBrace,
            Rule::kw_then => Expect::Then,
            Rule::kw_else => Expect::Else,
            Rule::or_op
            | Rule::and_op
            | Rule::cmp_op
            | Rule::add_op
            | Rule::mul_op
            | Rule::pow_op => Expect::Operator,
            // A chunk (see `prescan.rs`) ends where its declaration's line ends.
            Rule::eol | Rule::EOI => Expect::EndOfLine,
            _ => return None,
        })
    }
}

/// What stands at the error position.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Found {
    EndOfLine(usize),
    EndOfFile(usize),
    Token {
        start: usize,
        end: usize,
        kind: TokenKind,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Word,
    Number,
    Symbol,
    Quote,
    /// A control character or a lone carriage return.
    Control,
}

/// Longest text shown in backticks before it is cut with `…`.
const MAX_SHOWN: usize = 32;

/// `text` cut to [`MAX_SHOWN`] characters.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Found {
    fn at(source: &str, position: usize) -> Found {
        let mut start = position.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let rest = &source[start..];
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let start = start + skipped;
        let rest = &source[start..];
        let Some(first) = rest.chars().next() else {
            return Found::EndOfFile(start);
        };
        let token = |len: usize, kind| Found::Token {
            start,
            end: start + len,
            kind,
        };
        match first {
            '\n' | '#' => Found::EndOfLine(start),
            '\r' if rest.starts_with("\r\n") => Found::EndOfLine(start),
            '"' => token(1, TokenKind::Quote),
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
                token(len, TokenKind::Word)
            }
            c if c.is_ascii_digit()
                || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) =>
            {
                token(number_len(rest), TokenKind::Number)
            }
            c if c.is_ascii_control() => token(1, TokenKind::Control),
            _ => {
                const PAIRS: [&str; 10] =
                    ["<=", ">=", "==", "!=", "+=", "-=", "**", "&&", "||", "//"];
                let len = PAIRS
                    .iter()
                    .find(|pair| rest.starts_with(**pair))
                    .map_or(first.len_utf8(), |pair| pair.len());
                token(len, TokenKind::Symbol)
            }
        }
    }

    fn span(&self, file: FileId) -> Span {
        match *self {
            Found::EndOfLine(at) | Found::EndOfFile(at) => Span::new(file, at, at),
            Found::Token { start, end, .. } => Span::new(file, start, end),
        }
    }

    fn text<'s>(&self, source: &'s str) -> &'s str {
        match *self {
            Found::Token { start, end, .. } => &source[start..end],
            _ => "",
        }
    }

    /// "`4`", "end of line", "a control character (U+0007)".
    fn describe(&self, source: &str) -> String {
        match self {
            Found::EndOfLine(_) => "end of line".to_string(),
            Found::EndOfFile(_) => "end of file".to_string(),
            Found::Token {
                kind: TokenKind::Control,
                ..
            } => {
                let c = self.text(source).chars().next().unwrap_or('\0');
                if c == '\r' {
                    "a carriage return without a line feed".to_string()
                } else {
                    format!("a control character (U+{:04X})", u32::from(c))
                }
            }
            Found::Token { .. } => format!("`{}`", shorten(self.text(source))),
        }
    }

    fn is_token(&self) -> bool {
        matches!(self, Found::Token { .. })
    }
}

/// Length of the number-like text at the start of `rest` (`12.5e-3`).
fn number_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut len = bytes
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let mut exponent = len + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        let digits = bytes[exponent.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 {
            len = exponent + digits;
        }
    }
    len
}

/// Converts a pest failure into a `ParseError`.
/// `base` is where the parsed chunk starts in `source`.
pub(crate) fn humanize(
    source: &str,
    file: FileId,
    error: &PestError<Rule>,
    base: usize,
) -> ParseError {
    let position = base
        + match error.location {
            InputLocation::Pos(position) => position,
            InputLocation::Span((start, _)) => start,
        };
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        // pest's own stack or call limit: the pre-scan should make this unreachable, but a
        // refusal is reported as nesting, never as pest's wording.
        ErrorVariant::CustomError { .. } => {
            let (start, end) = line_bounds(source, position);
            return ParseError::ExpressionTooDeep {
                span: Span::new(file, start, end),
            };
        }
    };
    ParseError::Syntax(Box::new(compose(source, file, position, positives)))
}

/// The start and end (without line ending) of the line holding `position`.
fn line_bounds(source: &str, position: usize) -> (usize, usize) {
    let position = position.min(source.len());
    let start = source[..position].rfind('\n').map_or(0, |i| i + 1);
    let mut end = source[position..]
        .find('\n')
        .map_or(source.len(), |i| position + i);
    if end > start && source.as_bytes()[end - 1] == b'\r' {
        end -= 1;
    }
    (start, end)
}

/// The identifier-like word or single character just before `position` on its line,
/// skipping spaces.
fn previous_token(source: &str, position: usize) -> Option<&str> {
    let before = source.get(..position)?;
    let before = before.trim_end_matches([' ', '\t']);
    let last = before.chars().next_back()?;
    if last == '\n' {
        return None;
    }
    if is_word_char(last) {
        let start = before
            .rfind(|c: char| !is_word_char(c))
            .map_or(0, |i| i + 1);
        Some(&before[start..])
    } else {
        Some(&before[before.len() - last.len_utf8()..])
    }
}

/// The last `open` in `source[from..to]` that no `close` matches, skipping comments and
/// strings.
fn unmatched_opener(source: &str, from: usize, to: usize, open: u8, close: u8) -> Option<usize> {
    let mut stack = Vec::new();
    let mut in_comment = false;
    let mut in_string = false;
    for (index, &byte) in source.as_bytes()[from..to].iter().enumerate() {
        match byte {
            b'\n' => {
                in_comment = false;
                in_string = false;
            }
            _ if in_comment => {}
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'#' => in_comment = true,
            _ if byte == open => stack.push(from + index),
            _ if byte == close => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}

const DECLARATION_KEYWORDS: [&str; 9] = [
    "model",
    "param",
    "input",
    "state",
    "gate",
    "fn",
    "on",
    "refractory",
    "if",
];

const COMPARISONS: [&str; 6] = ["<", "<=", ">", ">=", "==", "!="];

/// Whether `rest` (from a name up to the end of its line) reads as the start of another
/// statement: `NAME =`, `NAME +=`, `NAME -=` (but not `NAME ==`).
fn starts_another_statement(rest: &str) -> bool {
    let name_len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
    let after = rest[name_len..].trim_start_matches([' ', '\t']);
    (after.starts_with('=') && !after.starts_with("=="))
        || after.starts_with("+=")
        || after.starts_with("-=")
}

fn syntax(message: String, span: Span, label: impl Into<String>) -> SyntaxError {
    SyntaxError {
        message,
        span,
        label: label.into(),
        secondary: None,
        hints: Vec::new(),
    }
}

fn with_hint(mut error: SyntaxError, hint: impl Into<String>) -> SyntaxError {
    error.hints.push(hint.into());
    error
}

/// "a", "a or b", "a, b or c".
fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn compose(source: &str, file: FileId, position: usize, positives: &[Rule]) -> SyntaxError {
    let found = Found::at(source, position);
    let found_text = found.text(source);
    let found_span = found.span(file);
    let found_description = found.describe(source);
    let mut expected: BTreeSet<Expect> = positives
        .iter()
        .copied()
        .filter_map(Expect::of_rule)
        .collect();
    let comparison_allowed = positives.contains(&Rule::cmp_op);
    let previous = previous_token(source, found_span.start as usize);
    let unexpected = format!("unexpected {found_description}");

    // Tokens from other languages, whatever was expected.
    if found_text == ";" {
        return with_hint(
            syntax(
                format!("unexpected {found_description}"),
                found_span,
                "remove this",
            ),
            "a line ends a statement; remove the `;`",
        );
    }
    let start = found_span.start as usize;
    if found_text.starts_with('*') && start > 0 && source.as_bytes()[start - 1] == b'*' {
        let span = Span::new(file, start - 1, start + 1);
        return with_hint(
            syntax(
                "`**` is not an operator".to_string(),
                span,
                "not an operator",
            ),
            "write `^` for powers: `x^2`",
        );
    }
    if found_text == "**" {
        return with_hint(
            syntax(
                "`**` is not an operator".to_string(),
                found_span,
                "not an operator",
            ),
            "write `^` for powers: `x^2`",
        );
    }
    for (symbol, word) in [("&&", "and"), ("||", "or"), ("!", "not")] {
        if found_text == symbol {
            return with_hint(
                syntax(unexpected.clone(), found_span, "not an operator"),
                format!("write `{word}`"),
            );
        }
    }

    // A second comparison after a complete one.
    if COMPARISONS.contains(&found_text)
        && expected.contains(&Expect::Operator)
        && !comparison_allowed
    {
        return with_hint(
            syntax(
                "comparisons do not chain".to_string(),
                found_span,
                "a second comparison",
            ),
            "comparisons do not chain: write `a < b and b < c`",
        );
    }

    // An unclosed `(` at the end of its line.
    if !found.is_token() && expected.contains(&Expect::RParen) {
        let (line_start, _) = line_bounds(source, start);
        if let Some(open) = unmatched_opener(source, line_start, start, b'(', b')') {
            let mut error = syntax(
                "unclosed `(`".to_string(),
                Span::new(file, open, open + 1),
                "this `(` is never closed",
            );
            error.secondary = Some((found_span, "expected `)` here".to_string()));
            return error;
        }
    }

    // An unclosed block at the end of the file.
    if matches!(found, Found::EndOfFile(_)) && expected.contains(&Expect::RBrace) {
        if let Some(open) = unmatched_opener(source, 0, start, b'{', b'}') {
            let mut error = syntax(
                "unclosed `{`".to_string(),
                Span::new(file, open, open + 1),
                "this block is never closed",
            );
            error.secondary = Some((found_span, "expected `}` here".to_string()));
            return with_hint(error, "close the block with `}` on a line of its own");
        }
    }

    // An unterminated description.
    if found_text == "\"" && expected.contains(&Expect::Description) {
        return with_hint(
            syntax(
                "unclosed description string".to_string(),
                found_span,
                "this `\"` is never closed",
            ),
            "a description is one line between two `\"`",
        );
    }

    // A `)` with no `(`.
    if found_text == ")"
        && !expected.contains(&Expect::RParen)
        && !expected.contains(&Expect::Expression)
    {
        return syntax("unmatched `)`".to_string(), found_span, "no `(` opens this");
    }

    // Trim the list to what helps: operators are always possible after an operand and only
    // add noise next to a structural expectation.
    if expected.contains(&Expect::Declaration) || expected.contains(&Expect::GateField) {
        expected.remove(&Expect::EndOfLine);
    }
    if [
        Expect::EndOfLine,
        Expect::RParen,
        Expect::Comma,
        Expect::Then,
        Expect::Else,
        Expect::LBrace,
        Expect::RBrace,
    ]
    .iter()
    .any(|e| expected.contains(e))
    {
        expected.remove(&Expect::Operator);
    }
    let after_keyword = previous.is_some_and(|p| DECLARATION_KEYWORDS.contains(&p));
    if expected.contains(&Expect::Name) && after_keyword {
        expected.remove(&Expect::Equals);
    }
    if expected.is_empty() {
        return syntax(unexpected, found_span, "not expected here");
    }

    let names: Vec<&str> = expected.iter().map(|e| e.human()).collect();
    let list = join(&names);
    let after_name = expected.len() == 1
        && expected.contains(&Expect::Equals)
        && previous.is_some_and(|p| p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
    let message = if after_name {
        format!("expected `=` after the name, found {found_description}")
    } else {
        format!("expected {list}, found {found_description}")
    };
    let label = if found.is_token() {
        format!("expected {list}")
    } else {
        format!("expected {list} here")
    };
    let mut error = syntax(message, found_span, label);

    // Hints for the usual causes.
    let word_found = matches!(
        found,
        Found::Token {
            kind: TokenKind::Word,
            ..
        }
    );
    if word_found && found_text == "if" && expected.contains(&Expect::Expression) {
        error = with_hint(
            error,
            "an `if … then … else …` inside a larger expression needs parentheses: \
             `1 + (if c then a else b)`",
        );
    } else if found_text == "="
        && positives
            .iter()
            .any(|r| Expect::of_rule(*r) == Some(Expect::Operator))
    {
        error = with_hint(error, "to compare two values, write `==`");
    } else if expected.contains(&Expect::Else) && !found.is_token() {
        error = with_hint(error, "an `if` needs both branches: `if C then A else B`");
    } else if expected.contains(&Expect::EndOfLine) && found.is_token() {
        if previous == Some("{") && expected.contains(&Expect::RBrace) {
            error = with_hint(
                error,
                "a block's body starts on the next line, one statement per line, \
                 with `}` on a line of its own",
            );
        } else if word_found && DECLARATION_KEYWORDS.contains(&found_text) && found_text != "if" {
            error = with_hint(error, "put each declaration on a line of its own");
        } else if word_found && starts_another_statement(&source[found_span.start as usize..]) {
            // `v = c  u += d`: a second statement, not a missing operator.
            error = with_hint(
                error,
                "one statement per line: put the second statement on a line of its own",
            );
        } else if matches!(
            found,
            Found::Token {
                kind: TokenKind::Word | TokenKind::Number,
                ..
            }
        ) || found_text == "("
        {
            error = with_hint(
                error,
                "there is no implicit multiplication: write `*` between factors",
            );
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_joined_like_prose() {
        assert_eq!(join(&[]), "");
        assert_eq!(join(&["a"]), "a");
        assert_eq!(join(&["a", "b"]), "a or b");
        assert_eq!(join(&["a", "b", "c"]), "a, b or c");
    }

    #[test]
    fn found_tokens_are_whole_tokens() {
        let found = |source: &str, at: usize| {
            let found = Found::at(source, at);
            (found.text(source).to_string(), found.describe(source))
        };
        assert_eq!(found("x = 12.5e-3 mV", 4).0, "12.5e-3");
        assert_eq!(found("x = name_2 + 1", 3).0, "name_2");
        assert_eq!(found("a <= b", 2).0, "<=");
        assert_eq!(found("a # c\n", 2).1, "end of line");
        assert_eq!(found("a\r\n", 1).1, "end of line");
        assert_eq!(found("a", 1).1, "end of file");
        assert_eq!(found("aµ", 2).0, "µ");
        assert_eq!(found("x\u{7}", 1).1, "a control character (U+0007)");
    }

    #[test]
    fn long_tokens_are_shortened() {
        let long = "a".repeat(100);
        assert_eq!(shorten(&long).chars().count(), MAX_SHOWN + 1);
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn the_opener_without_a_closer_is_found() {
        assert_eq!(unmatched_opener("f((a) + (b", 0, 10, b'(', b')'), Some(8));
        assert_eq!(unmatched_opener("x = \"(\" # (", 0, 11, b'(', b')'), None);
        assert_eq!(previous_token("x = abc  ", 9), Some("abc"));
        assert_eq!(previous_token("x {", 3), Some("{"));
        assert_eq!(previous_token("a\n  ", 4), None);
    }
}
