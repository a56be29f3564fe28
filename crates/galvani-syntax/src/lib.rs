//! The `.gal` syntax: pest grammar, parser into the spanned `ast::Model`, AST text form.
//!
//! `parse` walks the file one declaration at a time (a line, or a `{ … }` block), in
//! three steps per declaration; the first error in source order stops it:
//! 1. `prescan` (no recursion) cuts the declaration out and refuses non-ASCII characters
//!    outside comments and the description, a first declaration other than `model`, and
//!    lines nested deeper than [`MAX_NESTING`];
//! 2. pest (`grammar.pest`) parses it; `humanize` rewrites a failure for people;
//! 3. `build` turns the pairs into the AST and refuses reserved words as names,
//!    overflowing numbers and too-deep expression trees.
//!
//! pest's types stay inside this crate.

pub mod ast;
mod build;
mod error;
mod grammar;
mod humanize;
mod prescan;
mod print;

use galvani_diag::{FileId, Span};
use pest::Parser;

pub use error::{BadNumberReason, ParseError, SyntaxError};
pub use print::print_ast;

use grammar::{GalParser, Rule};

/// Words that cannot name anything: `t` (the simulation time) and the keywords that start
/// a declaration or an expression. `alpha beta inf tau init` are not reserved.
pub const RESERVED_WORDS: &[&str] = &[
    "t",
    "model",
    "param",
    "input",
    "state",
    "gate",
    "fn",
    "on",
    "refractory",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
];

/// Whether `name` names a white noise: `xi` or `xi_NAME`. Such names are reserved (they
/// cannot be declared) and are allowed only as an additive term of a `dX/dt` equation
/// (the checker says where else they were written).
pub fn is_noise_name(name: &str) -> bool {
    name == "xi"
        || name
            .strip_prefix("xi_")
            .is_some_and(|rest| !rest.is_empty())
}

/// Names kept for noise that cannot be declared but may be written in expressions (unlike
/// [`RESERVED_WORDS`]): every [`is_noise_name`] and `hazard` (escape noise,
/// `on hazard(RATE)`).
pub fn is_reserved_for_noise(name: &str) -> bool {
    is_noise_name(name) || name == "hazard"
}

/// The deepest nesting the parser accepts, in two senses:
/// - per line: (deepest block) + (deepest parenthesis) + (number of `^`) + (number of
///   `if`) — the only constructs that make the parser recurse;
/// - per expression: the depth of its tree, where each operator adds one level (so a
///   chain `a + b + …` of more than this many operators is refused too).
///
/// 128 is far beyond any real model and keeps parsing, building, printing and dropping a
/// maximal tree within a 2 MiB thread stack in an unoptimised build (tested in
/// `tests/robustness.rs`).
pub const MAX_NESTING: usize = 128;

/// Syntax errors reported for one file at most; the rest are not looked for.
pub const MAX_PARSE_ERRORS: usize = 50;

/// The length in bytes of the number literal at the start of `text` under the grammar's
/// `number` rule (`1`, `0.5`, `.5`, `1.`, `1e-3`, `2.5E+4`; in `2em` only `2`), or `None`
/// when `text` does not start with one. Values written on the command line are read with
/// it, so a number means the same in a model file and in an option.
pub fn number_literal_len(text: &str) -> Option<usize> {
    let mut pairs = GalParser::parse(Rule::number, text).ok()?;
    pairs.next().map(|pair| pair.as_span().end())
}

/// Parses one `.gal` file. `file` is stamped on every span of the result and the error.
/// Stops at the first error; [`parse_all`] goes on to report every broken declaration.
pub fn parse(source: &str, file: FileId) -> Result<ast::Model, ParseError> {
    parse_all(source, file).map_err(|mut errors| errors.swap_remove(0))
}

/// Parses one `.gal` file, declaration by declaration: a declaration that does not parse
/// is reported and the next one is read, as rustc recovers at item boundaries, so one run
/// shows every syntax error (up to [`MAX_PARSE_ERRORS`], in source order). A broken
/// `model` line, or a file whose lines cannot be split into declarations (an unclosed
/// block, a line nested too deeply, text that is not ASCII outside strings and comments),
/// stops at that error. The error list is never empty.
pub fn parse_all(source: &str, file: FileId) -> Result<ast::Model, Vec<ParseError>> {
    let parsed = parse_declarations(source, file, FileKind::Model, |builder, pair, header| {
        builder.item(pair, header)
    })?;
    Ok(ast::Model {
        name: parsed.name,
        description: parsed.description,
        items: parsed.items,
        header_span: parsed.header_span,
    })
}

/// Which kind of file [`parse_declarations`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Model,
    Network,
}

/// The first line and the declarations of a file, before they become an AST.
struct Parsed<T> {
    name: ast::Ident,
    description: Option<(String, Span)>,
    header_span: Span,
    items: Vec<T>,
}

/// Reads a file of `kind` declaration by declaration, each built with `item` (given the
/// span of the first line); recovers at declaration boundaries as [`parse_all`] says.
fn parse_declarations<T>(
    source: &str,
    file: FileId,
    kind: FileKind,
    item: impl Fn(&build::Builder, pest::iterators::Pair<'_, Rule>, Span) -> Result<T, ParseError>,
) -> Result<Parsed<T>, Vec<ParseError>> {
    if u32::try_from(source.len()).is_err() {
        return Err(vec![ParseError::Syntax(Box::new(SyntaxError {
            message: "the file is larger than 4 GiB".to_string(),
            span: Span::new(file, 0, 0),
            label: "this file".to_string(),
            secondary: None,
            hints: Vec::new(),
        }))]);
    }
    let (header_rule, item_rule, first_line) = match kind {
        FileKind::Model => (Rule::header_chunk, Rule::item_chunk, "model line"),
        FileKind::Network => (
            Rule::network_header_chunk,
            Rule::network_item_chunk,
            "network line",
        ),
    };
    let mut chunks = prescan::Chunks::new(source, file);
    let header_range = chunks
        .next()
        .unwrap_or_else(|| {
            Err(ParseError::Internal {
                span: Span::new(file, 0, 0),
                what: first_line,
            })
        })
        .map_err(|e| vec![e])?;
    let base = header_range.start;
    if kind == FileKind::Model && is_network(source, &header_range) {
        let keyword = Span::new(file, base, base + "network".len());
        return Err(vec![ParseError::MissingModel {
            span: keyword,
            found: Some("network".to_string()),
        }]);
    }
    let header = parse_chunk(source, file, header_range, header_rule).map_err(|e| vec![e])?;
    let (name, description, header_span) = build::Builder::new(file, base)
        .header(header)
        .map_err(|e| vec![e])?;
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for range in chunks {
        let range = match range {
            Ok(range) => range,
            Err(error) => {
                // The declarations cannot be split any further.
                errors.push(error);
                break;
            }
        };
        let base = range.start;
        let built = parse_chunk(source, file, range, item_rule)
            .and_then(|pair| item(&build::Builder::new(file, base), pair, header_span));
        match built {
            Ok(built) => items.push(built),
            Err(error) => {
                errors.push(error);
                if errors.len() == MAX_PARSE_ERRORS {
                    break;
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Parsed {
        name,
        description,
        header_span,
        items,
    })
}

/// Runs pest on `source[range]` with a `*_chunk` rule and returns the chunk's one
/// declaration pair (positions relative to `range.start`).
fn parse_chunk(
    source: &str,
    file: FileId,
    range: std::ops::Range<usize>,
    rule: Rule,
) -> Result<pest::iterators::Pair<'_, Rule>, ParseError> {
    let base = range.start;
    let internal = ParseError::Internal {
        span: Span::new(file, range.start, range.end),
        what: "declaration",
    };
    let mut chunk = GalParser::parse(rule, &source[range])
        .map_err(|error| humanize::humanize(source, file, &error, base))?;
    chunk
        .next()
        .and_then(|chunk| chunk.into_inner().next())
        .ok_or(internal)
}

/// Whether `source`'s first declaration is a `network` line (a network file), read
/// without parsing the rest.
pub fn is_network_file(source: &str) -> bool {
    matches!(
        prescan::Chunks::new(source, FileId(0)).next(),
        Some(Ok(range)) if is_network(source, &range)
    )
}

/// Whether the first declaration, at `range`, is a `network` line.
fn is_network(source: &str, range: &std::ops::Range<usize>) -> bool {
    let first = &source[range.clone()];
    first.starts_with("network")
        && !first[7..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A parsed `.gal` file: a model or a network.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceFile {
    Model(ast::Model),
    Network(ast::Network),
}

/// Parses a `.gal` file of either kind, telling them apart by the first declaration
/// (`model` or `network`); errors as [`parse_all`].
pub fn parse_file_all(source: &str, file: FileId) -> Result<SourceFile, Vec<ParseError>> {
    let mut chunks = prescan::Chunks::new(source, file);
    let network = match chunks.next() {
        Some(Ok(range)) => is_network(source, &range),
        _ => false,
    };
    if network {
        parse_network_all(source, file).map(SourceFile::Network)
    } else {
        parse_all(source, file).map(SourceFile::Model)
    }
}

/// Parses a network file, declaration by declaration, recovering as [`parse_all`] does.
pub fn parse_network_all(source: &str, file: FileId) -> Result<ast::Network, Vec<ParseError>> {
    let parsed = parse_declarations(source, file, FileKind::Network, |builder, pair, _| {
        builder.network_item(pair)
    })?;
    Ok(ast::Network {
        name: parsed.name,
        description: parsed.description,
        items: parsed.items,
        header_span: parsed.header_span,
    })
}
