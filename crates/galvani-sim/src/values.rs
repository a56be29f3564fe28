//! Values and protocols written on the command line: `10uA/cm^2`, `0.025ms`, `"10 ms"`,
//! `linspace(0, 10nA)`, `file(g.csv)`, `step(10ms, 60ms, 10uA/cm^2) + ou(0, 1uA/cm^2, 5ms)`.
//!
//! Numbers are read with the model grammar's own rule (`galvani_syntax::number_literal_len`),
//! and a number with a unit is converted to galvani's internal units with the same unit
//! table as model files (`galvani_ir::units`); a bare number is read in the declared unit
//! of the quantity it sets (a bare time in ms, a bare frequency in Hz). Every dimension is
//! checked against what the option sets.

use galvani_ir::dim::Dim;
use galvani_ir::units;
use num_rational::Ratio;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a command-line value could not be used. The message says what was expected.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueError {
    pub message: String,
    pub hint: Option<String>,
}

impl ValueError {
    fn new(message: impl Into<String>) -> ValueError {
        ValueError {
            message: message.into(),
            hint: None,
        }
    }
    fn with_hint(mut self, hint: impl Into<String>) -> ValueError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A number as written, with its unit (if any) already applied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// The number times the unit's internal scale (the bare number when no unit).
    pub value: f64,
    /// `None` for a bare number.
    pub dim: Option<Dim>,
    /// The internal value of one of the written unit (1 for a bare number).
    pub unit_scale: f64,
}

/// What a value on the command line sets: its dimension and the unit a bare number is
/// read in.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    /// What it is, for messages: "`I_e`", "the time step".
    pub what: String,
    pub dim: Dim,
    /// Internal value of one bare unit (the declared unit's scale).
    pub bare_scale: f64,
    /// The unit a bare number is read in, for messages (`nA`, `ms`).
    pub bare_unit: String,
    /// In a dimensionless model only time units (read as ms) are accepted.
    pub dimensionless_model: bool,
}

impl Expect {
    /// A time: bare numbers in ms.
    pub fn time(what: impl Into<String>, dimensionless_model: bool) -> Expect {
        Expect {
            what: what.into(),
            dim: if dimensionless_model {
                Dim::NONE
            } else {
                Dim::TIME
            },
            bare_scale: 1.0,
            bare_unit: "ms".into(),
            dimensionless_model,
        }
    }

    /// A frequency: bare numbers in Hz (the internal unit is 1/ms = kHz).
    pub fn frequency(what: impl Into<String>, dimensionless_model: bool) -> Expect {
        Expect {
            what: what.into(),
            dim: if dimensionless_model {
                Dim::NONE
            } else {
                Dim::TIME.powi(-1)
            },
            bare_scale: 1e-3,
            bare_unit: "Hz".into(),
            dimensionless_model,
        }
    }

    /// A value of a declared variable (`what` names it, "`g_Na`"): a bare number is in its
    /// declared unit.
    pub fn declared(what: String, unit: &galvani_ir::DisplayUnit, dimensionless: bool) -> Expect {
        Expect {
            what,
            dim: unit.dim,
            bare_scale: unit.scale,
            bare_unit: unit.text.clone(),
            dimensionless_model: dimensionless,
        }
    }

    /// A plain count or dimensionless number.
    pub fn number(what: impl Into<String>) -> Expect {
        Expect {
            what: what.into(),
            dim: Dim::NONE,
            bare_scale: 1.0,
            bare_unit: String::new(),
            dimensionless_model: false,
        }
    }

    /// Applies the rules: a bare number is in the declared unit; a unit must have the
    /// expected dimension. Returns the internal value.
    pub fn resolve(&self, q: Quantity) -> Result<f64, ValueError> {
        match q.dim {
            None => Ok(q.value * self.bare_scale),
            Some(dim) if self.dimensionless_model => {
                // One unit of time is read as 1 ms in a dimensionless model (and a
                // frequency in Hz as per second of those ms).
                if (dim == Dim::TIME && self.bare_unit == "ms")
                    || (dim == Dim::TIME.powi(-1) && self.bare_unit == "Hz")
                {
                    Ok(q.value)
                } else {
                    Err(ValueError::new(format!(
                        "{} is a plain number in this dimensionless model; write it without a unit",
                        self.what
                    )))
                }
            }
            Some(dim) if dim == self.dim => Ok(q.value),
            Some(dim) => {
                let expected = if self.dim.is_none() {
                    "dimensionless".to_string()
                } else {
                    format!("{} ({})", self.dim, units::internal_unit_text(self.dim))
                };
                Err(ValueError::new(format!(
                    "{} must be {expected}, but the value given is {dim}",
                    self.what
                ))
                .with_hint(if self.bare_unit.is_empty() {
                    "write a plain number".to_string()
                } else {
                    format!(
                        "write it in {} or another unit of that dimension",
                        self.bare_unit
                    )
                }))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64, String),
    Word(String),
    Punct(char),
    /// The raw text inside `file( … )`: a path, not an expression.
    Path(String),
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, ValueError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if let Some(length) = galvani_syntax::number_literal_len(&text[i..]) {
            // The model grammar's own `number` rule: `2e-3` is one number, `2em` is 2 em.
            let start = i;
            i += length;
            let literal = &text[start..i];
            let value: f64 = literal
                .parse()
                .map_err(|_| ValueError::new(format!("`{literal}` is not a number")))?;
            if !value.is_finite() {
                return Err(ValueError::new(format!("`{literal}` is too large")));
            }
            tokens.push((Token::Number(value, literal.to_string()), start));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &text[start..i];
            tokens.push((Token::Word(word.to_string()), start));
            // `file(PATH)`: the path is taken verbatim up to the first `)`, so dots,
            // slashes and dashes in it are not read as arithmetic.
            let open = i + (text[i..].len() - text[i..].trim_start().len());
            if word == "file" && bytes.get(open) == Some(&b'(') {
                let close = text[open..]
                    .find(')')
                    .map(|k| open + k)
                    .ok_or_else(|| ValueError::new(format!("unclosed `(` in `{text}`")))?;
                tokens.push((Token::Punct('('), open));
                tokens.push((
                    Token::Path(text[open + 1..close].trim().to_string()),
                    open + 1,
                ));
                tokens.push((Token::Punct(')'), close));
                i = close + 1;
            }
        } else if "()+-*/^,".contains(c) {
            tokens.push((Token::Punct(c), i));
            i += 1;
        } else {
            let shown = text[i..].chars().next().unwrap_or(c);
            let err = ValueError::new(format!("unexpected `{shown}` in `{text}`"));
            return Err(if shown == 'µ' || shown == 'μ' {
                err.with_hint("write `u` for micro: `uA`, `uF`")
            } else {
                err
            });
        }
    }
    Ok(tokens)
}

/// A recursive-descent reader over the tokens of one option value.
struct Reader<'t> {
    text: &'t str,
    tokens: Vec<(Token, usize)>,
    at: usize,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Result<Reader<'t>, ValueError> {
        Ok(Reader {
            text,
            tokens: tokenize(text)?,
            at: 0,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn peek_punct(&self, c: char) -> bool {
        self.peek() == Some(&Token::Punct(c))
    }

    fn error(&self, expected: &str) -> ValueError {
        let found = match self.peek() {
            None => "the end".to_string(),
            Some(Token::Number(_, s)) => format!("`{s}`"),
            Some(Token::Word(w)) => format!("`{w}`"),
            Some(Token::Punct(c)) => format!("`{c}`"),
            Some(Token::Path(p)) => format!("the path `{p}`"),
        };
        ValueError::new(format!(
            "expected {expected} in `{}`, found {found}",
            self.text
        ))
    }

    fn expect_punct(&mut self, c: char) -> Result<(), ValueError> {
        if self.peek_punct(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("`{c}`")))
        }
    }

    fn at_end(&self) -> bool {
        self.at >= self.tokens.len()
    }

    /// `[-|+] NUMBER [UNIT]`
    fn quantity(&mut self) -> Result<Quantity, ValueError> {
        let mut sign = 1.0;
        while let Some(Token::Punct(c @ ('-' | '+'))) = self.peek() {
            if *c == '-' {
                sign = -sign;
            }
            self.at += 1;
        }
        let value = match self.peek() {
            Some(Token::Number(v, _)) => *v,
            _ => return Err(self.error("a number")),
        };
        self.at += 1;
        let unit = self.unit()?;
        Ok(match unit {
            None => Quantity {
                value: sign * value,
                dim: None,
                unit_scale: 1.0,
            },
            Some((scale, dim)) => Quantity {
                value: sign * value * scale,
                dim: Some(dim),
                unit_scale: scale,
            },
        })
    }

    /// An optional unit after a number: `mV`, `uA/cm^2`, `/ms`, `1/(ms*mV)` is not
    /// needed here. Returns (internal value of one unit, dimension).
    fn unit(&mut self) -> Result<Option<(f64, Dim)>, ValueError> {
        let starts = matches!(self.peek(), Some(Token::Word(_)))
            || (self.peek_punct('/')
                && matches!(
                    self.tokens.get(self.at + 1),
                    Some((Token::Word(_), _)) | Some((Token::Punct('('), _))
                ));
        if !starts {
            return Ok(None);
        }
        let (mut scale, mut dim) = (1.0, Dim::NONE);
        let mut first = true;
        loop {
            let divide = if first && matches!(self.peek(), Some(Token::Word(_))) {
                false
            } else if self.peek_punct('*') {
                self.at += 1;
                false
            } else if self.peek_punct('/') {
                self.at += 1;
                true
            } else {
                break;
            };
            first = false;
            let (s, d) = self.unit_factor()?;
            if divide {
                scale /= s;
                dim = dim
                    .checked_div(d)
                    .ok_or_else(|| self.error("a smaller unit exponent"))?;
            } else {
                scale *= s;
                dim = dim
                    .checked_mul(d)
                    .ok_or_else(|| self.error("a smaller unit exponent"))?;
            }
        }
        Ok(Some((scale, dim)))
    }

    /// `NAME [^ [-]INT]` or `( unit )`.
    fn unit_factor(&mut self) -> Result<(f64, Dim), ValueError> {
        if self.peek_punct('(') {
            self.at += 1;
            let inner = self.unit()?.ok_or_else(|| self.error("a unit"))?;
            self.expect_punct(')')?;
            return self.power(inner);
        }
        let name = match self.peek() {
            Some(Token::Word(w)) => w.clone(),
            _ => return Err(self.error("a unit")),
        };
        self.at += 1;
        let unit = units::lookup(&name).ok_or_else(|| {
            let err = ValueError::new(format!("unknown unit `{name}` in `{}`", self.text));
            let lower = name.to_ascii_lowercase();
            match units::all_unit_names()
                .into_iter()
                .find(|u| u.to_ascii_lowercase() == lower)
            {
                Some(u) => err.with_hint(format!("did you mean `{u}`?")),
                None => err.with_hint(
                    "units are V A S F ohm s m M Hz mol K C J g with a prefix p n u m c d k M",
                ),
            }
        })?;
        self.power((unit.scale(), unit.dim))
    }

    fn power(&mut self, (scale, dim): (f64, Dim)) -> Result<(f64, Dim), ValueError> {
        if !self.peek_punct('^') {
            return Ok((scale, dim));
        }
        self.at += 1;
        let mut sign = 1;
        if self.peek_punct('-') {
            self.at += 1;
            sign = -1;
        }
        let exponent = match self.peek() {
            Some(Token::Number(v, s))
                if v.fract() == 0.0 && v.abs() <= 12.0 && !s.contains('.') =>
            {
                sign * (*v as i32)
            }
            _ => return Err(self.error("a whole-number unit exponent")),
        };
        self.at += 1;
        let dim = dim
            .checked_pow(Ratio::from_integer(exponent))
            .ok_or_else(|| self.error("a smaller unit exponent"))?;
        Ok((scale.powi(exponent), dim))
    }

    /// `NAME(` — a function-style form; returns its name.
    fn call_name(&self) -> Option<String> {
        match (self.tokens.get(self.at), self.tokens.get(self.at + 1)) {
            (Some((Token::Word(w), _)), Some((Token::Punct('('), _))) => Some(w.clone()),
            _ => None,
        }
    }

    /// At `file(PATH)`: the path (the tokenizer keeps it verbatim).
    fn raw_path(&mut self) -> Result<PathBuf, ValueError> {
        let path = match self.tokens.get(self.at + 2) {
            Some((Token::Path(path), _)) => path.clone(),
            _ => return Err(ValueError::new("`file()` needs a path: `file(values.csv)`")),
        };
        if path.is_empty() {
            return Err(ValueError::new("`file()` needs a path: `file(values.csv)`"));
        }
        // `file`, `(`, the path, `)`.
        self.at += 4;
        Ok(PathBuf::from(path))
    }

    /// Comma-separated quantities up to `)`.
    fn arguments(&mut self) -> Result<Vec<Quantity>, ValueError> {
        self.at += 2; // NAME (
        let mut args = Vec::new();
        if !self.peek_punct(')') {
            loop {
                args.push(self.quantity()?);
                if self.peek_punct(',') {
                    self.at += 1;
                } else {
                    break;
                }
            }
        }
        self.expect_punct(')')?;
        Ok(args)
    }
}

/// A per-neuron value: `--set`, `--init`.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueSpec {
    One(Quantity),
    /// `linspace(A, B)`: evenly from A to B across the population (A when N = 1).
    Linspace(Quantity, Quantity),
    /// `file(path.csv)`: one value per neuron, one per line (a header line is allowed).
    File(PathBuf),
}

pub fn parse_value_spec(text: &str) -> Result<ValueSpec, ValueError> {
    let mut reader = Reader::new(text)?;
    let spec = match reader.call_name().as_deref() {
        Some("linspace") => {
            let args = reader.arguments()?;
            match args[..] {
                [a, b] => ValueSpec::Linspace(a, b),
                _ => {
                    return Err(ValueError::new(
                        "`linspace` takes two values: `linspace(A, B)`",
                    ))
                }
            }
        }
        Some("file") => ValueSpec::File(reader.raw_path()?),
        Some(other) => return Err(ValueError::new(format!(
            "unknown form `{other}(…)` in `{text}`"
        ))
        .with_hint(
            "a value is a number with an optional unit, `linspace(A, B)` or `file(values.csv)`",
        )),
        None => ValueSpec::One(reader.quantity()?),
    };
    if !reader.at_end() {
        return Err(reader.error("the end of the value"));
    }
    Ok(spec)
}

/// The files a value or protocol text reads (`file(g.csv)`, in any term): the inputs a
/// run's outputs must not overwrite. Text that does not tokenize names none.
pub fn file_paths(text: &str) -> Vec<PathBuf> {
    tokenize(text)
        .map(|tokens| {
            tokens
                .into_iter()
                .filter_map(|(token, _)| match token {
                    Token::Path(path) => Some(PathBuf::from(path)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a single quantity (`--t`, `--dt`, `--every`).
pub fn parse_quantity(text: &str) -> Result<Quantity, ValueError> {
    let mut reader = Reader::new(text)?;
    let q = reader.quantity()?;
    if !reader.at_end() {
        return Err(reader.error("the end of the value"));
    }
    Ok(q)
}

/// Parses `A..B` (`0..20uA/cm^2`): a bare end takes the unit written on the other end.
pub fn parse_range(text: &str) -> Result<(Quantity, Quantity), ValueError> {
    let Some((low, high)) = text.split_once("..") else {
        return Err(ValueError::new(format!("expected A..B, found `{text}`"))
            .with_hint("for example: --range 0..20uA/cm^2"));
    };
    let (mut a, mut b) = (parse_quantity(low)?, parse_quantity(high)?);
    if a.dim.is_none() && b.dim.is_some() {
        a = Quantity {
            value: a.value * b.unit_scale,
            ..b
        };
    } else if b.dim.is_none() && a.dim.is_some() {
        b = Quantity {
            value: b.value * a.unit_scale,
            ..a
        };
    }
    Ok((a, b))
}

/// Resolves a per-neuron value for `n` neurons into internal units.
pub fn resolve_values(spec: &ValueSpec, expect: &Expect, n: usize) -> Result<Vec<f64>, ValueError> {
    match spec {
        ValueSpec::One(q) => Ok(vec![expect.resolve(*q)?; n]),
        ValueSpec::Linspace(a, b) => {
            let (a, b) = (expect.resolve(*a)?, expect.resolve(*b)?);
            Ok(linspace(a, b, n))
        }
        ValueSpec::File(path) => {
            let column = read_column(path, 1)?;
            if column.len() != n {
                return Err(ValueError::new(format!(
                    "`{}` has {} values for {}, but the population has {n} neurons",
                    path.display(),
                    column.len(),
                    expect.what
                ))
                .with_hint("give one value per line, one line per neuron, or change --n"));
            }
            Ok(column
                .into_iter()
                .map(|row| row[0] * expect.bare_scale)
                .collect())
        }
    }
}

/// `n` evenly spaced values from `a` to `b` inclusive; `[a]` for one neuron. Each value
/// is computed from its index (`a + (b − a)·i/(n − 1)`), not by accumulation.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![a],
        _ => (0..n)
            .map(|i| {
                if i == n - 1 {
                    b
                } else {
                    a + (b - a) * (i as f64) / ((n - 1) as f64)
                }
            })
            .collect(),
    }
}

/// The longest line a values CSV may have, in bytes: a row is one or two numbers, so a
/// longer line is not a values file (`file(/dev/zero)` is one endless line).
pub const MAX_CSV_LINE_BYTES: usize = 4096;

/// The most rows a values CSV may have (one per neuron, or one sample per row): more is
/// not a file a simulation reads, and the rows are kept in memory.
pub const MAX_CSV_ROWS: usize = 100_000_000;

/// Reads a CSV of numbers with `columns` columns per row; a first line that is not
/// numeric is a header and skipped; blank lines and `#` comments are skipped. The file is
/// read line by line: a line longer than [`MAX_CSV_LINE_BYTES`] or more than
/// [`MAX_CSV_ROWS`] rows is an error, and the rows are allocated fallibly (memory running
/// out is an error, never an abort).
pub fn read_column(path: &Path, columns: usize) -> Result<Vec<Vec<f64>>, ValueError> {
    read_rows(path, Some(columns))
}

/// As [`read_column`], with `columns: None` taking the width of the first row of numbers
/// (every later row must have as many).
fn read_rows(path: &Path, columns: Option<usize>) -> Result<Vec<Vec<f64>>, ValueError> {
    use std::io::{BufRead, Read};
    let cannot_read =
        |e: std::io::Error| ValueError::new(format!("cannot read `{}`: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut reader = std::io::BufReader::new(file);
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut bytes = Vec::new();
    for number in 0usize.. {
        bytes.clear();
        let limit = (MAX_CSV_LINE_BYTES + 1) as u64;
        let read = (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut bytes)
            .map_err(cannot_read)?;
        if read == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&bytes);
        if bytes.len() > MAX_CSV_LINE_BYTES && !bytes.ends_with(b"\n") {
            return Err(ValueError::new(format!(
                "`{}` line {} is longer than {MAX_CSV_LINE_BYTES} bytes: `{}`",
                path.display(),
                number + 1,
                shortened(&text)
            ))
            .with_hint("a values file has one or two numbers per line"));
        }
        let line = text.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Result<Vec<f64>, _> = cells.iter().map(|c| c.parse::<f64>()).collect();
        let columns = columns
            .or(rows.first().map(Vec::len))
            .unwrap_or(cells.len());
        match parsed {
            Ok(values) if values.len() == columns && values.iter().all(|v| v.is_finite()) => {
                if rows.len() >= MAX_CSV_ROWS {
                    return Err(ValueError::new(format!(
                        "`{}` has more than {MAX_CSV_ROWS} rows",
                        path.display()
                    )));
                }
                rows.try_reserve(1).map_err(|_| {
                    ValueError::new(format!(
                        "not enough memory to read `{}` ({} rows read)",
                        path.display(),
                        rows.len()
                    ))
                })?;
                rows.push(values)
            }
            Err(_) if rows.is_empty() && number == 0 => continue, // a header line
            _ => {
                return Err(ValueError::new(format!(
                    "`{}` line {}: expected {columns} number{} separated by commas, found `{}`",
                    path.display(),
                    number + 1,
                    if columns == 1 { "" } else { "s" },
                    shortened(line)
                )))
            }
        }
    }
    Ok(rows)
}

/// At most 60 characters of `line` for a message (a bad line may be megabytes long),
/// control characters escaped (`\0`, `\u{1b}`) so that a binary file cannot write to the
/// terminal.
fn shortened(line: &str) -> String {
    const SHOWN: usize = 60;
    let mut out = String::new();
    for (k, c) in line.chars().enumerate() {
        if k == SHOWN {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// What an input's protocol needs to know about the input.
pub struct InputContext {
    /// The input's dimension and declared unit (for amplitudes).
    pub amplitude: Expect,
    pub dimensionless_model: bool,
    pub n: usize,
}

/// Parses `--input NAME=PROTOCOL` text into a runtime protocol in internal units.
pub fn parse_protocol(
    text: &str,
    ctx: &InputContext,
) -> Result<galvani_runtime::Protocol, ValueError> {
    use galvani_runtime::Protocol;
    let mut reader = Reader::new(text)?;
    let mut terms = Vec::new();
    loop {
        terms.push(protocol_term(&mut reader, ctx)?);
        if reader.peek_punct('+') {
            reader.at += 1;
        } else {
            break;
        }
    }
    if !reader.at_end() {
        return Err(reader.error("`+` or the end of the protocol"));
    }
    Ok(if terms.len() == 1 {
        terms.pop().expect("one term")
    } else {
        Protocol::Sum(terms)
    })
}

/// A time in ms for a message, without float noise.
fn time_text(ms: f64) -> String {
    format!("{} ms", crate::output::format_time(ms))
}

/// `step` and `ramp` act for `t0 ≤ t < t1`: with `t1 ≤ t0` they would never act.
fn ordered_times(protocol: &str, t0: f64, t1: f64) -> Result<(), ValueError> {
    if t1 > t0 {
        return Ok(());
    }
    let (a, b) = (time_text(t0), time_text(t1));
    let message = if t1 == t0 {
        format!("{protocol}: the start and the end are both {a}, so it never acts")
    } else {
        format!("{protocol}: the end {b} is before the start {a}, so it never acts")
    };
    let hint = if t1 < t0 {
        let compact = |ms: f64| format!("{}ms", crate::output::format_time(ms));
        format!(
            "swap them, start then end: `{protocol}({}, {}, …)`",
            compact(t1),
            compact(t0)
        )
    } else {
        format!("give an end after the start: `{protocol}(t0, t1, …)` with t0 < t1")
    };
    Err(ValueError::new(message).with_hint(hint))
}

/// A pulse train needs a positive period and pulses that are shorter than it: a width of
/// 0 gives no pulse, and a width ≥ the period merges the pulses into a constant.
fn pulse_shape(width: f64, period: f64) -> Result<(), ValueError> {
    if period.is_nan() || period <= 0.0 {
        return Err(ValueError::new(format!(
            "pulses: the period is {}, it must be > 0",
            time_text(period)
        ))
        .with_hint("the form is `pulses(start, width, period, amp[, count])`"));
    }
    if width.is_nan() || width <= 0.0 {
        return Err(ValueError::new(format!(
            "pulses: the pulse width is {}, it must be > 0",
            time_text(width)
        ))
        .with_hint("the form is `pulses(start, width, period, amp[, count])`"));
    }
    if width >= period {
        return Err(ValueError::new(format!(
            "pulses: the pulse width {} is not shorter than the period {}, so the pulses merge into a constant",
            time_text(width),
            time_text(period)
        ))
        .with_hint(
            "the form is `pulses(start, width, period, amp[, count])`; for a constant use `step(t0, t1, amp)`",
        ));
    }
    Ok(())
}

fn protocol_term(
    reader: &mut Reader,
    ctx: &InputContext,
) -> Result<galvani_runtime::Protocol, ValueError> {
    use galvani_runtime::Protocol;
    let time = |what: &str| Expect::time(format!("the {what} time"), ctx.dimensionless_model);
    let amp = &ctx.amplitude;
    let Some(name) = reader.call_name() else {
        return Ok(Protocol::Constant(amp.resolve(reader.quantity()?)?));
    };
    if name == "file" {
        let path = reader.raw_path()?;
        let rows = read_rows(&path, None)?;
        let Some(first) = rows.first() else {
            return Err(ValueError::new(format!(
                "`{}` has no samples",
                path.display()
            )));
        };
        match first.len() {
            // One value per line: one constant per neuron, as `--set NAME=file(…)`.
            1 => {
                if rows.len() != ctx.n {
                    return Err(ValueError::new(format!(
                        "`{}` has one column, so one value per neuron, but {} values for a population of {} neurons",
                        path.display(),
                        rows.len(),
                        ctx.n
                    ))
                    .with_hint("give one line per neuron, or change --n; a time series has two columns, `t, value`"));
                }
                return Ok(Protocol::PerNeuron(
                    rows.iter().map(|r| r[0] * amp.bare_scale).collect(),
                ));
            }
            2 => {}
            other => {
                return Err(ValueError::new(format!(
                    "`{}` has {other} columns; an input file has one (a value per neuron) or two (time in ms, value)",
                    path.display()
                ))
                .with_hint("one column: one line per neuron; two columns: `t, value` samples held between rows"));
            }
        }
        let mut samples: Vec<(f64, f64)> =
            rows.iter().map(|r| (r[0], r[1] * amp.bare_scale)).collect();
        if samples.windows(2).any(|w| w[1].0 < w[0].0) {
            return Err(ValueError::new(format!(
                "`{}`: the times in the first column must not decrease",
                path.display()
            )));
        }
        samples.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        return Ok(Protocol::Samples(samples));
    }
    let args = reader.arguments()?;
    let arity = |lo: usize, hi: usize, form: &str| -> Result<(), ValueError> {
        if args.len() < lo || args.len() > hi {
            Err(ValueError::new(format!(
                "`{name}` takes {} values: `{form}`, found {}",
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo} or {hi}")
                },
                args.len()
            )))
        } else {
            Ok(())
        }
    };
    Ok(match name.as_str() {
        "step" => {
            arity(3, 3, "step(t0, t1, amp)")?;
            let (t0, t1) = (
                time("start").resolve(args[0])?,
                time("end").resolve(args[1])?,
            );
            ordered_times("step", t0, t1)?;
            Protocol::Step {
                t0,
                t1,
                amp: amp.resolve(args[2])?,
            }
        }
        "pulses" => {
            arity(4, 5, "pulses(start, width, period, amp[, count])")?;
            let count = match args.get(4) {
                None => None,
                Some(q) => {
                    let c = Expect::number("the pulse count").resolve(*q)?;
                    if c < 0.0 || c.fract() != 0.0 {
                        return Err(ValueError::new(
                            "the pulse count must be a whole number ≥ 0",
                        ));
                    }
                    Some(c as u64)
                }
            };
            let width = time("pulse width").resolve(args[1])?;
            let period = time("period").resolve(args[2])?;
            pulse_shape(width, period)?;
            Protocol::Pulses {
                start: time("start").resolve(args[0])?,
                width,
                period,
                amp: amp.resolve(args[3])?,
                count,
            }
        }
        "ramp" => {
            arity(4, 4, "ramp(t0, t1, a0, a1)")?;
            let (t0, t1) = (
                time("start").resolve(args[0])?,
                time("end").resolve(args[1])?,
            );
            ordered_times("ramp", t0, t1)?;
            Protocol::Ramp {
                t0,
                t1,
                a0: amp.resolve(args[2])?,
                a1: amp.resolve(args[3])?,
            }
        }
        "sine" => {
            arity(2, 3, "sine(amp, freq[, offset])")?;
            Protocol::Sine {
                amp: amp.resolve(args[0])?,
                freq: Expect::frequency("the frequency", ctx.dimensionless_model)
                    .resolve(args[1])?,
                offset: args.get(2).map(|q| amp.resolve(*q)).transpose()?,
            }
        }
        "ou" => {
            arity(3, 3, "ou(mean, sigma, tau)")?;
            let sigma = amp.resolve(args[1])?;
            let tau = time("correlation").resolve(args[2])?;
            if tau.is_nan() || tau <= 0.0 {
                return Err(ValueError::new(format!(
                    "ou: the correlation time tau is {}, it must be > 0",
                    time_text(tau)
                ))
                .with_hint("for white-like noise give a tau of a few --dt"));
            }
            if sigma.is_nan() || sigma < 0.0 {
                return Err(ValueError::new(
                    "ou: the standard deviation sigma must be ≥ 0",
                ));
            }
            Protocol::Ou {
                mean: amp.resolve(args[0])?,
                sigma,
                tau,
            }
        }
        "linspace" => {
            arity(2, 2, "linspace(A, B)")?;
            Protocol::PerNeuron(linspace(
                amp.resolve(args[0])?,
                amp.resolve(args[1])?,
                ctx.n,
            ))
        }
        other => return Err(
            ValueError::new(format!("unknown protocol `{other}`")).with_hint(
                "protocols: AMP, step(t0, t1, amp), pulses(start, width, period, amp[, count]), \
                 ramp(t0, t1, a0, a1), sine(amp, freq[, offset]), ou(mean, sigma, tau), \
                 file(path.csv), linspace(A, B), and sums P1 + P2",
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current_density() -> Expect {
        let unit = units::lookup("uA")
            .unwrap()
            .dim
            .div(units::lookup("cm").unwrap().dim.powi(2));
        Expect {
            what: "`I_e`".into(),
            dim: unit,
            bare_scale: 1.0,
            bare_unit: "uA/cm^2".into(),
            dimensionless_model: false,
        }
    }

    #[test]
    fn quantities_with_units() {
        let q = parse_quantity("10uA/cm^2").unwrap();
        assert_eq!(current_density().resolve(q).unwrap(), 10.0);
        assert_eq!(
            Expect::time("dt", false)
                .resolve(parse_quantity("0.025ms").unwrap())
                .unwrap(),
            0.025
        );
        assert_eq!(
            Expect::time("t", false)
                .resolve(parse_quantity("10 ms").unwrap())
                .unwrap(),
            10.0
        );
        assert_eq!(
            Expect::time("t", false)
                .resolve(parse_quantity("1s").unwrap())
                .unwrap(),
            1000.0
        );
        assert_eq!(
            Expect::time("t", false)
                .resolve(parse_quantity("250").unwrap())
                .unwrap(),
            250.0
        );
        assert_eq!(parse_quantity("-2e-3").unwrap().value, -0.002);
    }

    #[test]
    fn a_bad_csv_line_is_quoted_shortened() {
        let dir = std::env::temp_dir().join(format!("galvani-values-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.csv");
        std::fs::write(&path, format!("1\n{}\n", "x".repeat(100_000))).unwrap();
        let error = read_column(&path, 1).unwrap_err();
        assert!(error.message.len() < 300, "{}", error.message.len());
        assert!(error.message.contains("line 2") && error.message.ends_with("…`"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_endless_line_or_a_non_utf8_line_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("long.csv");
        std::fs::write(&long, "0".repeat(MAX_CSV_LINE_BYTES * 3)).unwrap();
        let error = read_column(&long, 1).unwrap_err();
        assert!(
            error.message.contains("line 1 is longer than"),
            "{}",
            error.message
        );
        assert!(error.message.contains("long.csv") && error.message.len() < 300);
        let error = read_column(Path::new("/dev/zero"), 1).unwrap_err();
        assert!(
            error.message.contains("/dev/zero` line 1 is longer"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("`\\0\\0\\0"),
            "escaped: {}",
            error.message
        );
        assert!(!error.message.contains('\0'));
        let binary = dir.path().join("binary.csv");
        std::fs::write(&binary, b"1\n\xff\xfe\n").unwrap();
        let error = read_column(&binary, 1).unwrap_err();
        assert!(error.message.contains("line 2"), "{}", error.message);
        let fine = dir.path().join("fine.csv");
        std::fs::write(&fine, "value\n1\n\n# comment\n2.5").unwrap();
        assert_eq!(read_column(&fine, 1).unwrap(), vec![vec![1.0], vec![2.5]]);
    }

    #[test]
    fn file_paths_are_found_in_any_term() {
        assert_eq!(
            file_paths("step(1ms, 2ms, 3nA) + file(data/ie.csv)"),
            vec![PathBuf::from("data/ie.csv")]
        );
        assert_eq!(file_paths("linspace(0, 1)"), Vec::<PathBuf>::new());
    }

    #[test]
    fn numbers_follow_the_model_grammar() {
        for (text, value) in [(".5", 0.5), ("1.", 1.0), ("2.5E+4", 2.5e4), ("1e-3", 1e-3)] {
            assert_eq!(parse_quantity(text).unwrap().value, value, "{text}");
        }
        // `2em`: the number 2 and the unit `em`, as in a model file (not an exponent).
        let error = parse_quantity("2em").unwrap_err();
        assert!(error.message.contains("em"), "{}", error.message);
        // `1.2.3` is the number 1.2 followed by `.3`, which cannot follow a value.
        assert!(parse_quantity("1.2.3").is_err());
    }

    #[test]
    fn dimension_errors_say_what_was_expected() {
        let err = Expect::time("the time step", false)
            .resolve(parse_quantity("10 mV").unwrap())
            .unwrap_err();
        assert!(
            err.message.contains("the time step must be time"),
            "{}",
            err.message
        );
        let err = parse_quantity("10 mv").unwrap_err();
        assert_eq!(err.hint.as_deref(), Some("did you mean `mV`?"));
        assert!(parse_quantity("10 µA")
            .unwrap_err()
            .hint
            .unwrap()
            .contains("micro"));
        assert!(parse_quantity("ms").is_err());
        assert!(parse_quantity("3 4").is_err());
    }

    #[test]
    fn protocols() {
        use galvani_runtime::Protocol;
        let ctx = InputContext {
            amplitude: current_density(),
            dimensionless_model: false,
            n: 3,
        };
        assert_eq!(
            parse_protocol("step(10ms,60ms,10uA/cm^2)", &ctx).unwrap(),
            Protocol::Step {
                t0: 10.0,
                t1: 60.0,
                amp: 10.0
            }
        );
        assert_eq!(
            parse_protocol("sine(1, 10 Hz) + 2", &ctx).unwrap(),
            Protocol::Sum(vec![
                Protocol::Sine {
                    amp: 1.0,
                    freq: 0.01,
                    offset: None
                },
                Protocol::Constant(2.0)
            ])
        );
        assert_eq!(
            parse_protocol("linspace(0, 10)", &ctx).unwrap(),
            Protocol::PerNeuron(vec![0.0, 5.0, 10.0])
        );
        assert!(parse_protocol("step(10ms, 60ms)", &ctx).is_err());
        assert!(parse_protocol("steps(1, 2, 3)", &ctx)
            .unwrap_err()
            .hint
            .is_some());
        assert!(parse_protocol("step(10 mV, 60ms, 1)", &ctx).is_err());
    }

    #[test]
    fn ranges_share_their_unit() {
        let (a, b) = parse_range("0..20nA").unwrap();
        assert_eq!((a.value, b.value), (0.0, 0.02));
        assert_eq!(a.dim, b.dim);
        let (a, _) = parse_range("5..20nA").unwrap();
        assert_eq!(a.value, 0.005);
        assert!(parse_range("5-20").is_err());
    }

    #[test]
    fn linspace_is_exact_at_both_ends() {
        assert_eq!(linspace(0.1, 0.7, 7).last(), Some(&0.7));
        assert_eq!(linspace(5.0, 9.0, 1), vec![5.0]);
    }
}
