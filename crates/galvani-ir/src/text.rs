//! The deterministic text form of a checked `ir::Model`: what `galvani explain --stage ir`
//! prints and what the IR snapshots contain. Expressions print in the language's own
//! syntax with the fewest parentheses that re-parse to the same tree, names as written,
//! and constants in the internal unit of their dimension (`-65 mV`, `0.1/(mV*ms)`,
//! `120 mS/cm^2`), every `f64` in its shortest round-trip form. Never panics, even on a
//! malformed model (an out-of-range id prints as `#i`), so it is usable for debugging.
//!
//! Example (LIF):
//!
//! ```text
//! model lif "Leaky integrate-and-fire (Dayan & Abbott eq. 5.9)"
//! units: checked
//!
//! params (6, in dependency order)
//!   tau_m = 10 ms : time [s]
//!   …
//! states (1)
//!   V : voltage [m^2 kg s^-3 A^-1], unit mV
//!     init = E_L  (= -65 mV)
//!     dV/dt = (E_L - V + R_m * I_e) / tau_m
//! ```

use crate::dim::Dim;
use crate::model::{
    AssignOp, BinOp, DisplayUnit, EventKind, ExprId, ExprKind, GateForm, Model, StateId,
};
use crate::units;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// Printing stops (with `…`) beyond this many bytes for one expression: an arena is a DAG
/// and a tree print of shared nodes could otherwise grow exponentially.
const MAX_EXPR_TEXT: usize = 1 << 20;
/// Printing stops (with `…`) below this nesting depth, so printing never overflows the stack.
const MAX_PRINT_DEPTH: usize = 2_000;

/// The whole model: header, then `params`, `inputs`, `states`, `intermediates`, `events`
/// and `init order`, each in the model's own order.
pub fn model_to_text(model: &Model) -> String {
    let mut out = String::new();
    match &model.description {
        Some(d) => {
            let _ = writeln!(out, "model {} {:?}", model.name, d);
        }
        None => {
            let _ = writeln!(out, "model {}", model.name);
        }
    }
    if model.dimensionless {
        out.push_str("units: none (dimensionless; one unit of time is read as 1 ms)\n");
    } else {
        out.push_str("units: checked\n");
    }

    let mut printer = Printer::new(model);
    let params = model.param_values();
    let inputs = model.input_defaults(&params);
    let init = model.initial_state(&params, &inputs);

    let _ = writeln!(
        out,
        "\nparams ({}, in dependency order)",
        model.params.len()
    );
    for (i, p) in model.params.iter().enumerate() {
        write_constant_line(
            &mut out,
            &mut printer,
            &p.name,
            p.value,
            &p.unit,
            params.get(i),
        );
    }

    let _ = writeln!(out, "\ninputs ({})", model.inputs.len());
    for (i, input) in model.inputs.iter().enumerate() {
        write_constant_line(
            &mut out,
            &mut printer,
            &input.name,
            input.default,
            &input.unit,
            inputs.get(i),
        );
    }

    let _ = writeln!(out, "\nstates ({})", model.states.len());
    for (i, s) in model.states.iter().enumerate() {
        let _ = write!(out, "  {}", s.name);
        let mut facts: Vec<String> = Vec::new();
        match &s.gate {
            Some(GateForm::AlphaBeta { .. }) => facts.push("gate (alpha, beta)".into()),
            Some(GateForm::InfTau { .. }) => facts.push("gate (inf, tau)".into()),
            None => {}
        }
        if !model.dimensionless {
            facts.push(s.unit.dim.to_string());
        }
        if !facts.is_empty() {
            let _ = write!(out, " : {}", facts.join(", "));
        }
        if !s.unit.text.is_empty() {
            let _ = write!(out, ", unit {}", s.unit.text);
        }
        out.push('\n');
        match &s.gate {
            Some(GateForm::AlphaBeta { alpha, beta }) => {
                let _ = writeln!(out, "    alpha = {}", printer.print(*alpha));
                let _ = writeln!(out, "    beta = {}", printer.print(*beta));
            }
            Some(GateForm::InfTau { inf, tau }) => {
                let _ = writeln!(out, "    inf = {}", printer.print(*inf));
                let _ = writeln!(out, "    tau = {}", printer.print(*tau));
            }
            None => {}
        }
        let _ = write!(out, "    init = {}", printer.print(s.init));
        if let Some(v) = init.get(i) {
            let _ = write!(out, "  (= {})", value_in_unit(*v, &s.unit));
        }
        out.push('\n');
        let _ = writeln!(out, "    d{}/dt = {}", s.name, printer.print(s.derivative));
        for term in &s.noise {
            let noise = &model.noises[term.noise.index()].name;
            let _ = writeln!(out, "    noise {} · {}", printer.print(term.scale), noise);
        }
    }

    let _ = writeln!(
        out,
        "\nintermediates ({}, in evaluation order)",
        model.intermediates.len()
    );
    for m in &model.intermediates {
        let _ = write!(out, "  {} = {}", m.name, printer.print(m.value));
        if !model.dimensionless {
            let _ = write!(out, " : {}", dim_of(model, m.value));
            // A unit given with `: UNIT`; otherwise values are reported in the internal one.
            if m.unit.text != units::internal_unit_text(m.unit.dim) {
                let _ = write!(out, ", unit {}", m.unit.text);
            }
        }
        out.push('\n');
    }

    let _ = writeln!(out, "\nevents ({})", model.events.len());
    for e in &model.events {
        // Spikes are the usual case; only a silent event says what it is, so the text
        // of a model whose events are all spikes reads as the file does.
        let kind = match e.kind {
            EventKind::Spike => "",
            EventKind::Silent => " silent",
        };
        match e.hazard {
            Some(rate) => {
                let _ = writeln!(out, "  on hazard({}){kind}", printer.print(rate));
            }
            None => {
                let _ = writeln!(out, "  on {}{kind}", printer.print(e.condition));
            }
        }
        for a in &e.actions {
            let op = match a.op {
                AssignOp::Set => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
            };
            let _ = writeln!(
                out,
                "    {} {op} {}",
                state_name(model, a.state),
                printer.print(a.value)
            );
        }
        if let Some(r) = e.refractory {
            let _ = writeln!(out, "    refractory {}", printer.print(r));
        }
    }

    let order: Vec<String> = model
        .init_order
        .iter()
        .map(|s| state_name(model, *s))
        .collect();
    let _ = writeln!(out, "\ninit order: {}", order.join(", "));
    out
}

/// `  name = value unit : dimension` and, when the defining expression is not a plain
/// literal, `:= expression`.
fn write_constant_line(
    out: &mut String,
    printer: &mut Printer,
    name: &str,
    value: ExprId,
    unit: &DisplayUnit,
    evaluated: Option<&f64>,
) {
    let model = printer.model;
    let literal = is_plain_literal(model, value);
    let shown = match evaluated {
        Some(v) if literal => value_text(*v, unit, format_f64),
        Some(v) => value_in_unit(*v, unit),
        None => "?".to_string(),
    };
    let _ = write!(out, "  {name} = {shown}");
    if !model.dimensionless {
        let _ = write!(out, " : {}", dim_of(model, value));
    }
    if !literal {
        let _ = write!(out, " := {}", printer.print(value));
    }
    out.push('\n');
}

/// A `Const` or a negated `Const`: the declaration was a number (with a unit).
fn is_plain_literal(model: &Model, id: ExprId) -> bool {
    match model.exprs.nodes.get(id.index()).map(|n| &n.kind) {
        Some(ExprKind::Const(_)) => true,
        Some(ExprKind::Neg(inner)) => matches!(
            model.exprs.nodes.get(inner.index()).map(|n| &n.kind),
            Some(ExprKind::Const(_))
        ),
        _ => false,
    }
}

fn dim_of(model: &Model, id: ExprId) -> Dim {
    model
        .exprs
        .nodes
        .get(id.index())
        .map(|n| n.dim)
        .unwrap_or(Dim::NONE)
}

fn state_name(model: &Model, id: StateId) -> String {
    match model.states.get(id.index()) {
        Some(s) => s.name.clone(),
        None => format!("#{}", id.0),
    }
}

/// An internal value shown in a declared unit, to 9 significant digits (computed values
/// may carry last-bit noise that is not worth a snapshot change): `-40.4 mV`.
pub fn value_in_unit(internal: f64, unit: &DisplayUnit) -> String {
    value_text(internal, unit, format_f64_9)
}

fn value_text(internal: f64, unit: &DisplayUnit, fmt: fn(f64) -> String) -> String {
    let shown = from_internal(internal, unit.scale);
    with_unit_text(&fmt(shown), &unit.text).0
}

/// Internal value → value in a unit of size `scale` (internal = shown × scale). Scales are
/// powers of ten; dividing by `1e-3` is inexact, multiplying by `1000` is one rounding.
pub fn from_internal(internal: f64, scale: f64) -> f64 {
    if scale >= 1.0 {
        internal / scale
    } else {
        let inverse = 1.0 / scale;
        if inverse == inverse.round() {
            internal * inverse
        } else {
            internal / scale
        }
    }
}

/// Shortest round-trip decimal form of `x`: `1`, `-65`, `0.1`, `1e-7`, `2.5e20`, `NaN`,
/// `inf`. Integral values print without `.0`. (Rust's `{:?}` is shortest round-trip.)
pub fn format_f64(x: f64) -> String {
    let text = format!("{x:?}");
    match text.strip_suffix(".0") {
        Some(stripped) => stripped.to_string(),
        None => text,
    }
}

/// `x` rounded to 9 significant digits, then printed shortest: `-40.400000000000006` →
/// `-40.4`.
pub fn format_f64_9(x: f64) -> String {
    format_significant(x, 9)
}

/// A number for people (summaries, messages, times): `x` rounded to 12 significant
/// digits, then printed shortest. A value that is a short decimal up to a few roundings —
/// `33 · 0.1 = 3.3000000000000003`, `18 · 0.001 = 0.018000000000000002` — prints as that
/// decimal (`3.3`, `0.018`), while 12 digits keep every value a person could have meant
/// (a time of 10⁷ ms on a 1 µs grid needs 11). Data outputs (CSV values, JSON) stay exact.
pub fn format_for_people(x: f64) -> String {
    format_significant(x, 12)
}

/// A number in the language's syntax for people (the `explain` views, `--stage linear`,
/// the singularity warnings): rounded to 15 significant digits, then printed shortest.
/// Float noise lives in the 16th and 17th digits (`0.6666666666666667` →
/// `0.666666666666667`), and the text still re-parses to within 5·10⁻¹⁵ relative.
pub fn format_for_language(x: f64) -> String {
    format_significant(x, 15)
}

/// `x` rounded to `digits` significant digits (1..=17), then printed shortest.
pub fn format_significant(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return format_f64(x);
    }
    let precision = digits.clamp(1, 17) - 1;
    let rounded: f64 = format!("{x:.precision$e}").parse().unwrap_or(x);
    format_f64(rounded)
}

/// A number written with a unit text so that it re-parses to the same value, and how
/// tightly the result binds:
/// `("55", "mV")` → `55 mV`; `("4", "1/ms")` → `4/ms`; `("0.1", "1/(mV*ms)")` →
/// `0.1/(mV*ms)`; `("120", "mS/cm^2")` → `120 mS/cm^2`; `("3", "mV^(1/2)")` →
/// `3 * mV^(1/2)` (a quantity suffix takes only an integer exponent).
fn with_unit_text(number: &str, unit: &str) -> (String, Prec) {
    let negative = number.starts_with('-');
    if unit.is_empty() {
        let prec = if negative { Prec::Neg } else { Prec::Atom };
        return (number.to_string(), prec);
    }
    if let Some(rest) = unit.strip_prefix("1/") {
        return (format!("{number}/{rest}"), Prec::Mul);
    }
    let first_factor_end = unit.find(['*', '/']).unwrap_or(unit.len());
    if unit[..first_factor_end].contains('(') {
        return (format!("{number} * {unit}"), Prec::Mul);
    }
    if first_factor_end < unit.len() {
        return (format!("{number} {unit}"), Prec::Mul);
    }
    let prec = if negative { Prec::Neg } else { Prec::Quantity };
    (format!("{number} {unit}"), prec)
}

/// Rewrites the unit names after the first factor of a unit text (the first one follows
/// the number and is always a unit) that a model name shadows as quantities `(1 name)`:
/// with `ms` shadowed, `1/(mV*ms)` → `1/(mV*(1 ms))`, `mS/ms^2` → `mS/(1 ms)^2`.
fn protect_unit_names(unit: &str, shadowing: &HashSet<&str>) -> String {
    let mut out = String::with_capacity(unit.len() + 8);
    let mut rest = unit;
    // The first factor of `a/b…` (not of `1/…`) stands after the number: leave it.
    let first_len = if unit.starts_with("1/") {
        0
    } else {
        unit.find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(unit.len())
    };
    out.push_str(&rest[..first_len]);
    rest = &rest[first_len..];
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        if shadowing.contains(word) {
            let _ = write!(out, "(1 {word})");
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out
}

/// `number` written in the internal unit of `dim`, as a user would type it in a model:
/// `quantity_text("55", voltage)` → `55 mV`, `quantity_text("4", 1/time)` → `4/ms`.
/// Used for "write `55 mV`" hints.
pub fn quantity_text(number: &str, dim: Dim) -> String {
    with_unit_text(number, &units::internal_unit_text(dim)).0
}

/// How tightly an expression binds, loosest first. A parent wraps a child in parentheses
/// when the child binds less tightly than the parent's operand slot requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    If,
    Or,
    And,
    Not,
    Cmp,
    Add,
    Mul,
    Neg,
    Pow,
    /// `40 mV`: atomic, except as the base of `^` (`40 mV^2` would be a unit power).
    Quantity,
    Atom,
}

fn binop_prec(op: BinOp) -> Prec {
    match op {
        BinOp::Or => Prec::Or,
        BinOp::And => Prec::And,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => Prec::Cmp,
        BinOp::Add | BinOp::Sub => Prec::Add,
        BinOp::Mul | BinOp::Div => Prec::Mul,
        BinOp::Pow => Prec::Pow,
    }
}

/// One expression in the language's own syntax, with minimal parentheses:
/// `0.1/(mV*ms) * (V + 40 mV) / (1 - exp(-(V + 40 mV) / 10 mV))`.
pub fn expr_to_string(model: &Model, id: ExprId) -> String {
    Printer::new(model).print(id)
}

/// Prints expressions of one model, remembering the unit text of each dimension
/// (`internal_unit_text` searches many factorings).
struct Printer<'m> {
    model: &'m Model,
    out: String,
    unit_texts: HashMap<Dim, String>,
    /// Model names that are also unit names (`param ms = …`): inside a constant's unit
    /// text such a name would mean the model's value, so it is written `(1 ms)`.
    shadowing: HashSet<&'m str>,
}

impl<'m> Printer<'m> {
    fn new(model: &'m Model) -> Printer<'m> {
        let names = model
            .params
            .iter()
            .map(|p| p.name.as_str())
            .chain(model.inputs.iter().map(|i| i.name.as_str()))
            .chain(model.states.iter().map(|s| s.name.as_str()))
            .chain(model.intermediates.iter().map(|m| m.name.as_str()));
        Printer {
            model,
            out: String::new(),
            unit_texts: HashMap::new(),
            shadowing: names.filter(|n| units::lookup(n).is_some()).collect(),
        }
    }

    fn print(&mut self, id: ExprId) -> String {
        self.out.clear();
        self.write(id, Prec::If, 0);
        std::mem::take(&mut self.out)
    }

    /// The text of a constant node and its binding strength.
    fn constant(&mut self, value: f64, dim: Dim) -> (String, Prec) {
        if self.model.dimensionless || dim.is_none() {
            return with_unit_text(&format_f64(value), "");
        }
        let unit = self
            .unit_texts
            .entry(dim)
            .or_insert_with(|| units::internal_unit_text(dim));
        if self.shadowing.is_empty() {
            return with_unit_text(&format_f64(value), unit);
        }
        let unit = protect_unit_names(unit, &self.shadowing);
        with_unit_text(&format_f64(value), &unit)
    }

    fn prec(&mut self, id: ExprId) -> Prec {
        let Some(node) = self.model.exprs.nodes.get(id.index()) else {
            return Prec::Atom;
        };
        match &node.kind {
            ExprKind::Const(v) => self.constant(*v, node.dim).1,
            ExprKind::Param(_)
            | ExprKind::Input(_)
            | ExprKind::State(_)
            | ExprKind::Intermediate(_)
            | ExprKind::Time
            | ExprKind::Call(..) => Prec::Atom,
            ExprKind::Neg(_) => Prec::Neg,
            ExprKind::Not(_) => Prec::Not,
            ExprKind::Binary(op, _, _) => binop_prec(*op),
            ExprKind::If(..) => Prec::If,
        }
    }

    /// Writes `id`, parenthesised when it binds less tightly than `min`.
    fn write(&mut self, id: ExprId, min: Prec, depth: usize) {
        if self.out.len() > MAX_EXPR_TEXT || depth > MAX_PRINT_DEPTH {
            if !self.out.ends_with('…') {
                self.out.push('…');
            }
            return;
        }
        let wrap = self.prec(id) < min;
        if wrap {
            self.out.push('(');
        }
        self.write_bare(id, depth);
        if wrap {
            self.out.push(')');
        }
    }

    /// The right operand of a binary operator: as `min`, and a negation is always
    /// parenthesised (`a - (-b)`, never `a - -b`).
    fn write_right(&mut self, id: ExprId, min: Prec, depth: usize) {
        let min = if self.prec(id) == Prec::Neg {
            Prec::Pow
        } else {
            min
        };
        self.write(id, min, depth);
    }

    fn write_bare(&mut self, id: ExprId, depth: usize) {
        let model = self.model;
        let Some(node) = model.exprs.nodes.get(id.index()) else {
            let _ = write!(self.out, "#{}", id.0);
            return;
        };
        let next = depth + 1;
        match &node.kind {
            ExprKind::Const(v) => {
                let text = self.constant(*v, node.dim).0;
                self.out.push_str(&text);
            }
            ExprKind::Param(p) => self.name(model.params.get(p.index()).map(|x| &x.name), p.0),
            ExprKind::Input(i) => self.name(model.inputs.get(i.index()).map(|x| &x.name), i.0),
            ExprKind::State(s) => self.name(model.states.get(s.index()).map(|x| &x.name), s.0),
            ExprKind::Intermediate(m) => {
                self.name(model.intermediates.get(m.index()).map(|x| &x.name), m.0)
            }
            ExprKind::Time => self.out.push('t'),
            ExprKind::Neg(x) => {
                self.out.push('-');
                // `-(-x)`, never `--x`; `-x^2` is `-(x^2)`.
                self.write(*x, Prec::Pow, next);
            }
            ExprKind::Not(x) => {
                self.out.push_str("not ");
                self.write(*x, Prec::Atom, next);
            }
            ExprKind::Binary(op, a, b) => {
                let p = binop_prec(*op);
                let (left_min, right_min) = match p {
                    // `^` is right-associative; its base must be atomic (`(-x)^2`,
                    // `(40 mV)^2`).
                    Prec::Pow => (Prec::Atom, Prec::Pow),
                    // Comparisons do not chain: both sides bind tighter.
                    Prec::Cmp => (Prec::Add, Prec::Add),
                    // Left-associative: `a - (b - c)`, `(a - b) - c` → `a - b - c`.
                    Prec::Or => (Prec::Or, Prec::And),
                    Prec::And => (Prec::And, Prec::Not),
                    Prec::Add => (Prec::Add, Prec::Mul),
                    _ => (Prec::Mul, Prec::Neg),
                };
                self.write(*a, left_min, next);
                let symbol = op.symbol();
                if *op == BinOp::Pow {
                    self.out.push('^');
                } else {
                    self.out.push(' ');
                    self.out.push_str(symbol);
                    self.out.push(' ');
                }
                self.write_right(*b, right_min, next);
            }
            ExprKind::If(c, a, b) => {
                self.out.push_str("if ");
                self.write(*c, Prec::Or, next);
                self.out.push_str(" then ");
                self.write(*a, Prec::Or, next);
                self.out.push_str(" else ");
                self.write(*b, Prec::Or, next);
            }
            ExprKind::Call(f, args) => {
                self.out.push_str(f.name());
                self.out.push('(');
                for (k, arg) in args.iter().enumerate() {
                    if k > 0 {
                        self.out.push_str(", ");
                    }
                    self.write(*arg, Prec::If, next);
                }
                self.out.push(')');
            }
        }
    }

    fn name(&mut self, name: Option<&String>, index: u32) {
        match name {
            Some(n) => self.out.push_str(n),
            None => {
                let _ = write!(self.out, "#{index}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExprArena, Param};
    use crate::units::lookup;
    use galvani_diag::Span;

    #[test]
    fn numbers_for_people_drop_float_noise_and_keep_what_was_meant() {
        assert_eq!(format_for_people(33.0 * 0.1), "3.3");
        assert_eq!(format_for_people(18.0 * 0.001), "0.018");
        assert_eq!(format_for_people(6.0 * 0.1), "0.6");
        assert_eq!(format_for_people(2.0 / 3.0), "0.666666666667");
        assert_eq!(format_for_people(1e7 + 0.001), "10000000.001");
        assert_eq!(format_for_people(-65.0), "-65");
        assert_eq!(format_for_people(1e-300), "1e-300");
        assert_eq!(format_for_people(f64::NAN), "NaN");
        assert_eq!(format_for_language(2.0 / 3.0), "0.666666666666667");
        assert_eq!(format_for_language(18.0 * 0.001), "0.018");
        // Re-parsing the language form stays within 5e-15 relative.
        for x in [2.0 / 3.0, std::f64::consts::PI, 1.0 / 7.0, 0.1 + 0.2] {
            let back: f64 = format_for_language(x).parse().unwrap();
            assert!((back - x).abs() <= 5e-15 * x.abs(), "{x} → {back}");
        }
    }

    fn empty(dimensionless: bool) -> Model {
        Model {
            name: "m".into(),
            description: None,
            dimensionless,
            exprs: ExprArena::default(),
            params: vec![],
            inputs: vec![],
            states: vec![],
            intermediates: vec![],
            events: vec![],
            init_order: vec![],
            noises: vec![],
        }
    }

    fn c(m: &mut Model, v: f64, dim: Dim) -> ExprId {
        m.exprs.add(ExprKind::Const(v), Span::default(), dim)
    }

    fn bin(m: &mut Model, op: BinOp, a: ExprId, b: ExprId) -> ExprId {
        m.exprs
            .add(ExprKind::Binary(op, a, b), Span::default(), Dim::NONE)
    }

    #[test]
    fn floats_are_shortest_round_trip() {
        assert_eq!(format_f64(1.0), "1");
        assert_eq!(format_f64(-65.0), "-65");
        assert_eq!(format_f64(0.1), "0.1");
        assert_eq!(format_f64(1e-7), "1e-7");
        assert_eq!(format_f64(0.0015), "0.0015");
        assert_eq!(format_f64_9(-40.400000000000006), "-40.4");
        assert_eq!(format_f64_9(0.052932485257249805), "0.0529324853");
    }

    #[test]
    fn quantities_print_so_they_reparse() {
        let per_ms = Dim::TIME.powi(-1);
        let rate = Dim::TIME.mul(Dim::VOLTAGE).powi(-1);
        let mscm = lookup("mS").unwrap().dim.div(Dim::LENGTH.powi(2));
        assert_eq!(quantity_text("55", Dim::VOLTAGE), "55 mV");
        assert_eq!(quantity_text("4", per_ms), "4/ms");
        assert_eq!(quantity_text("0.1", rate), "0.1/(mV*ms)");
        assert_eq!(quantity_text("120", mscm), "120 mS/cm^2");
        assert_eq!(
            quantity_text(
                "3",
                Dim::VOLTAGE
                    .powi(1)
                    .checked_pow(num_rational::Ratio::new(1, 2))
                    .unwrap()
            ),
            "3 * mV^(1/2)"
        );
        assert_eq!(quantity_text("3", Dim::NONE), "3");
    }

    #[test]
    fn minimal_parentheses() {
        let mut m = empty(false);
        let v = c(&mut m, 40.0, Dim::VOLTAGE);
        let w = c(&mut m, 10.0, Dim::VOLTAGE);
        let sum = bin(&mut m, BinOp::Add, v, w);
        let neg = m
            .exprs
            .add(ExprKind::Neg(sum), Span::default(), Dim::VOLTAGE);
        let ratio = bin(&mut m, BinOp::Div, neg, w);
        assert_eq!(expr_to_string(&m, ratio), "-(40 mV + 10 mV) / 10 mV");
        // a - (b - c) keeps its parentheses, (a - b) - c loses them.
        let ab = bin(&mut m, BinOp::Sub, v, w);
        let left = bin(&mut m, BinOp::Sub, ab, v);
        let right = bin(&mut m, BinOp::Sub, v, ab);
        assert_eq!(expr_to_string(&m, left), "40 mV - 10 mV - 40 mV");
        assert_eq!(expr_to_string(&m, right), "40 mV - (40 mV - 10 mV)");
        // A quantity as a base of ^ is parenthesised; -x^2 is -(x^2).
        let two = c(&mut m, 2.0, Dim::NONE);
        let sq = bin(&mut m, BinOp::Pow, v, two);
        assert_eq!(expr_to_string(&m, sq), "(40 mV)^2");
        let negsq = m.exprs.add(ExprKind::Neg(sq), Span::default(), Dim::NONE);
        assert_eq!(expr_to_string(&m, negsq), "-(40 mV)^2");
        let nv = c(&mut m, -65.0, Dim::VOLTAGE);
        let sub = bin(&mut m, BinOp::Sub, v, nv);
        assert_eq!(expr_to_string(&m, sub), "40 mV - (-65 mV)");
        // a rate constant on the right of `/` must stay grouped.
        let rate = c(&mut m, 4.0, Dim::TIME.powi(-1));
        let q = bin(&mut m, BinOp::Div, two, rate);
        assert_eq!(expr_to_string(&m, q), "2 / (4/ms)");
        // out-of-range ids print, never panic
        assert_eq!(expr_to_string(&m, ExprId(999)), "#999");
    }

    #[test]
    fn params_show_value_in_declared_unit() {
        let mut m = empty(false);
        let r = c(&mut m, 10000.0, lookup("Mohm").unwrap().dim);
        m.params.push(Param {
            name: "R_m".into(),
            value: r,
            unit: DisplayUnit {
                text: "Mohm".into(),
                dim: lookup("Mohm").unwrap().dim,
                scale: 1000.0,
            },
            span: Span::default(),
        });
        let text = model_to_text(&m);
        assert!(text.contains("  R_m = 10 Mohm : resistance"), "{text}");
        assert_eq!(from_internal(0.0015, 1e-3), 1.5);
    }

    #[test]
    fn shadowed_unit_names_become_quantities() {
        let shadowing: HashSet<&str> = ["ms", "cm"].into_iter().collect();
        assert_eq!(protect_unit_names("1/(mV*ms)", &shadowing), "1/(mV*(1 ms))");
        assert_eq!(protect_unit_names("mS/cm^2", &shadowing), "mS/(1 cm)^2");
        assert_eq!(protect_unit_names("ms*mV", &shadowing), "ms*mV");
        assert_eq!(protect_unit_names("mV", &shadowing), "mV");
    }
}
