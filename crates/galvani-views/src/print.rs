//! Printing DAG expressions in three styles:
//! - `Lang`: the language's own syntax, re-parseable, constants with their internal units
//!   (`0.1/(mV*ms)*(V + 40 mV)`, `-(V + 40 mV)/(10 mV)`); used by `--stage linear`, JSON
//!   and the texts of the singularity rewrites;
//! - `Unicode`: the same for people (`g_K·n⁴`, `α_m`, `m∞`, `τ_m`);
//! - `Latex`: equations to paste into notes (`\frac{…}{…}`, `g_{\mathrm{Na}}`, `\alpha_{m}`).
//!
//! Sums print their terms in canonical order, but lead with a positive term
//! (`10 mV - V`, not `-V + 10 mV`); products print `coefficient·numerator/denominator`,
//! a coefficient whose reciprocal is shorter moving to the denominator
//! (`-0.1/mV·x` → `-x/(10 mV)`).

use galvani_ir::builtins::Latex;
use galvani_ir::step::Func;
use galvani_ir::text::{format_f64, format_f64_9, format_for_language};
use galvani_ir::units::internal_unit_text;
use galvani_ir::{BinOp, Dim, Model};
use galvani_symbolic::{Dag, GateField, Linearized, Node, NodeId, Sym};

/// An expression larger than this (as a tree) prints as `…` instead of its text.
const MAX_PRINT_SIZE: u64 = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Lang,
    Unicode,
    Latex,
}

/// How tightly a printed expression binds, loosest first.
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
    Atom,
}

/// Prints expressions of one model's DAG in one style.
pub struct Printer<'a> {
    dag: &'a Dag,
    model: &'a Model,
    style: Style,
}

impl<'a> Printer<'a> {
    /// A printer for expressions of `model` kept in `dag` (a copy of a linearized
    /// model's DAG with nodes added, as `galvani_symbolic::LinearSystemForms` has).
    pub fn over(dag: &'a Dag, model: &'a Model, style: Style) -> Printer<'a> {
        Printer { dag, model, style }
    }

    /// A printer for the expressions of a linearized model.
    pub fn new(lin: &'a Linearized, style: Style) -> Printer<'a> {
        Printer {
            dag: lin.dag(),
            model: lin.model(),
            style,
        }
    }

    pub fn print(&self, id: NodeId) -> String {
        if self.dag.size(id) > MAX_PRINT_SIZE {
            return format!("… ({} nodes)", self.dag.size(id));
        }
        // A whole expression that is zero is `0` in any unit (`B = 0` for a perfect
        // integrator, not `0/ms`); inside an expression a zero keeps its unit, which a
        // comparison such as `V < 0 mV` needs.
        if self.dag.const_value(id) == Some(0.0) {
            return "0".to_string();
        }
        self.expr(id).0
    }

    /// The display name of a symbol.
    pub fn sym_name(&self, sym: Sym) -> String {
        let plain = |name: Option<&String>, kind: &str, i: u32| match name {
            Some(n) => n.clone(),
            None => format!("{kind}#{i}"),
        };
        let raw = match sym {
            Sym::Param(i) => plain(
                self.model.params.get(i as usize).map(|p| &p.name),
                "param",
                i,
            ),
            Sym::Input(i) => plain(
                self.model.inputs.get(i as usize).map(|p| &p.name),
                "input",
                i,
            ),
            Sym::State(i) => plain(
                self.model.states.get(i as usize).map(|p| &p.name),
                "state",
                i,
            ),
            Sym::Time => "t".to_string(),
            Sym::Dt => "dt".to_string(),
            Sym::Gate(i, field) => {
                let gate = plain(
                    self.model.states.get(i as usize).map(|p| &p.name),
                    "state",
                    i,
                );
                return gate_field_name(&gate, field, self.style);
            }
        };
        match self.style {
            Style::Latex => latex_name(&raw),
            _ => raw,
        }
    }

    fn wrap(&self, (text, prec): (String, Prec), min: Prec) -> String {
        if prec >= min {
            text
        } else if self.style == Style::Latex {
            format!("\\left({text}\\right)")
        } else {
            format!("({text})")
        }
    }

    fn expr(&self, id: NodeId) -> (String, Prec) {
        match self.dag.node(id) {
            Node::Const(bits, dim) => self.constant(f64::from_bits(*bits), *dim),
            Node::Sym(sym) => (self.sym_name(*sym), Prec::Atom),
            Node::Add(terms) => self.sum(terms),
            Node::Mul(factors) => self.product(factors, false),
            Node::Pow(base, exponent) => match self.dag.const_value(*exponent) {
                Some(e) if e < 0.0 => self.product(&[id], false),
                _ => self.power(*base, *exponent),
            },
            Node::Call(func, args) => (self.call(*func, args), Prec::Atom),
            Node::If(c, a, b) => {
                let (c, a, b) = (self.expr(*c).0, self.expr(*a).0, self.expr(*b).0);
                if self.style == Style::Latex {
                    (
                        format!(
                            "\\begin{{cases}} {a} & \\text{{if }} {c} \\\\ {b} & \\text{{otherwise}} \\end{{cases}}"
                        ),
                        Prec::Atom,
                    )
                } else {
                    (format!("if {c} then {a} else {b}"), Prec::If)
                }
            }
            Node::Logic(op, a, b) => {
                let prec = match op {
                    BinOp::Or => Prec::Or,
                    BinOp::And => Prec::And,
                    _ => Prec::Cmp,
                };
                let operand_min = match prec {
                    Prec::Cmp => Prec::Add,
                    Prec::And => Prec::Not,
                    _ => Prec::And,
                };
                let left = self.wrap(self.expr(*a), operand_min);
                let right = self.wrap(self.expr(*b), operand_min);
                (format!("{left} {} {right}", self.op_symbol(*op)), prec)
            }
            Node::Not(a) => {
                let inner = self.wrap(self.expr(*a), Prec::Cmp);
                let word = if self.style == Style::Latex {
                    "\\lnot"
                } else {
                    "not"
                };
                (format!("{word} {inner}"), Prec::Not)
            }
        }
    }

    fn op_symbol(&self, op: BinOp) -> &'static str {
        if self.style != Style::Latex {
            return op.symbol();
        }
        match op {
            BinOp::Le => "\\le",
            BinOp::Ge => "\\ge",
            BinOp::Eq => "=",
            BinOp::Ne => "\\ne",
            BinOp::And => "\\land",
            BinOp::Or => "\\lor",
            other => other.symbol(),
        }
    }

    /// A constant with its internal unit, and how tightly it binds.
    /// A number: exact (shortest round-trip) in `Lang`, 9 significant digits for people.
    fn number(&self, value: f64) -> String {
        match self.style {
            Style::Lang => format_for_language(value),
            Style::Unicode | Style::Latex => format_f64_9(value),
        }
    }

    fn constant(&self, value: f64, dim: Dim) -> (String, Prec) {
        let number = self.number(value);
        let negative = value < 0.0;
        if self.model.dimensionless || dim.is_none() {
            let prec = if negative { Prec::Neg } else { Prec::Atom };
            return (number, prec);
        }
        let unit = internal_unit_text(dim);
        let prec = if negative { Prec::Neg } else { Prec::Mul };
        if self.style == Style::Latex {
            return (format!("{number}\\,{}", latex_unit(&unit)), prec);
        }
        if let Some(rest) = unit.strip_prefix("1/") {
            return (format!("{number}/{rest}"), prec);
        }
        let first_end = unit.find(['*', '/']).unwrap_or(unit.len());
        if unit[..first_end].contains('(') {
            return (format!("{number} * {unit}"), prec);
        }
        (format!("{number} {unit}"), prec)
    }

    fn sum(&self, terms: &[NodeId]) -> (String, Prec) {
        let mut order: Vec<NodeId> = terms.to_vec();
        if let Some(first_positive) = order.iter().position(|t| !self.dag.is_negative_term(*t)) {
            let lead = order.remove(first_positive);
            order.insert(0, lead);
        }
        let mut out = String::new();
        for (k, &term) in order.iter().enumerate() {
            let negative = self.dag.is_negative_term(term);
            let body = if negative {
                self.negated(term)
            } else {
                self.expr(term)
            };
            let body = self.wrap(body, Prec::Mul);
            match (k, negative) {
                (0, false) => out.push_str(&body),
                (0, true) => {
                    out.push('-');
                    out.push_str(&body);
                }
                (_, false) => {
                    out.push_str(" + ");
                    out.push_str(&body);
                }
                (_, true) => {
                    out.push_str(" - ");
                    out.push_str(&body);
                }
            }
        }
        (out, Prec::Add)
    }

    /// The text of `−term` for a negative term.
    fn negated(&self, term: NodeId) -> (String, Prec) {
        match self.dag.node(term) {
            Node::Const(bits, dim) => self.constant(-f64::from_bits(*bits), *dim),
            Node::Mul(factors) => self.product(factors, true),
            _ => self.expr(term),
        }
    }

    /// A product `c·n₁·n₂/(d₁·d₂)`; `negate` prints the product with `−c`.
    fn product(&self, factors: &[NodeId], negate: bool) -> (String, Prec) {
        let mut coefficient = 1.0;
        let mut coefficient_dim = Dim::NONE;
        let mut numerator: Vec<NodeId> = Vec::new();
        // (base, positive exponent)
        let mut denominator: Vec<(NodeId, f64)> = Vec::new();
        for &f in factors {
            match self.dag.node(f) {
                Node::Const(bits, dim) => {
                    coefficient *= f64::from_bits(*bits);
                    coefficient_dim = coefficient_dim.checked_mul(*dim).unwrap_or(Dim::NONE);
                }
                Node::Pow(base, exponent) => match self.dag.const_value(*exponent) {
                    Some(e) if e < 0.0 => denominator.push((*base, -e)),
                    _ => numerator.push(f),
                },
                _ => numerator.push(f),
            }
        }
        if negate {
            coefficient = -coefficient;
        }
        let negative = coefficient < 0.0;
        let magnitude = coefficient.abs();
        // A coefficient of a sum whose reciprocal reads better goes below the line:
        // `-0.1/mV*(V + 40 mV)` → `-(V + 40 mV)/(10 mV)`.
        let mut denominator_constant: Option<(f64, Dim)> = None;
        let mut numerator_constant: Option<(f64, Dim)> = None;
        // A unit coefficient `1/ms` is written as a division by the unit: `x/ms`.
        let mut denominator_unit: Option<String> = None;
        let scales_sum = numerator
            .iter()
            .any(|f| matches!(self.dag.node(*f), Node::Add(_)));
        let unit_text = if self.model.dimensionless || coefficient_dim.is_none() {
            String::new()
        } else {
            internal_unit_text(coefficient_dim)
        };
        if magnitude == 1.0 && !numerator.is_empty() && self.style != Style::Latex {
            if let Some(rest) = unit_text.strip_prefix("1/") {
                denominator_unit = Some(rest.to_string());
            } else if !unit_text.is_empty() {
                numerator_constant = Some((magnitude, coefficient_dim));
            }
        } else if magnitude != 1.0 || !unit_text.is_empty() {
            let reciprocal = 1.0 / magnitude;
            let inverse_dim = Dim::NONE.checked_div(coefficient_dim).unwrap_or(Dim::NONE);
            if scales_sum
                && 1.0 / reciprocal == magnitude
                && self.number(reciprocal).len() < self.number(magnitude).len()
            {
                denominator_constant = Some((reciprocal, inverse_dim));
            } else {
                numerator_constant = Some((magnitude, coefficient_dim));
            }
        }
        let times = match self.style {
            Style::Lang => "*",
            Style::Unicode => "·",
            Style::Latex => " ",
        };
        let mut top: Vec<String> = Vec::new();
        if let Some((value, dim)) = numerator_constant {
            top.push(self.constant(value, dim).0);
        }
        for &f in &numerator {
            top.push(self.wrap(self.expr(f), Prec::Neg));
        }
        let mut bottom: Vec<(String, Prec)> = Vec::new();
        if let Some(unit) = denominator_unit {
            bottom.push((unit, Prec::Atom));
        }
        if let Some((value, dim)) = denominator_constant {
            bottom.push(self.constant(value, dim));
        }
        for &(base, e) in &denominator {
            if e == 1.0 {
                bottom.push(self.expr(base));
            } else {
                let e = self.dag_exponent_text(e);
                let base = self.wrap(self.expr(base), Prec::Atom);
                bottom.push((self.pow_text(&base, &e), Prec::Pow));
            }
        }
        let sign = if negative { "-" } else { "" };
        if self.style == Style::Latex && !bottom.is_empty() {
            // A lone sum above the line needs no parentheses: `\frac{V - E_{L}}{τ}`.
            let top_text = match (numerator_constant, numerator.as_slice()) {
                (None, [single]) => self.expr(*single).0,
                _ if top.is_empty() => "1".to_string(),
                _ => top.join(times),
            };
            let bottom_text: Vec<String> = bottom.into_iter().map(|(t, _)| t).collect();
            let text = format!("{sign}\\frac{{{top_text}}}{{{}}}", bottom_text.join(times));
            let prec = if negative { Prec::Neg } else { Prec::Atom };
            return (text, prec);
        }
        let mut text = String::from(sign);
        if top.is_empty() {
            text.push('1');
        } else {
            text.push_str(&top.join(times));
        }
        match bottom.len() {
            0 => {}
            1 => {
                let (b, prec) = bottom.remove(0);
                text.push('/');
                if prec >= Prec::Pow {
                    text.push_str(&b);
                } else {
                    text.push_str(&format!("({b})"));
                }
            }
            _ => {
                let parts: Vec<String> = bottom
                    .into_iter()
                    .map(|(t, p)| if p >= Prec::Neg { t } else { format!("({t})") })
                    .collect();
                text.push_str(&format!("/({})", parts.join(times)));
            }
        }
        let prec = if negative { Prec::Neg } else { Prec::Mul };
        (text, prec)
    }

    fn dag_exponent_text(&self, e: f64) -> String {
        format_f64(e)
    }

    fn pow_text(&self, base: &str, exponent: &str) -> String {
        match self.style {
            Style::Latex => format!("{base}^{{{exponent}}}"),
            Style::Unicode => match superscript(exponent) {
                Some(sup) => format!("{base}{sup}"),
                None => format!("{base}^{exponent}"),
            },
            Style::Lang => format!("{base}^{exponent}"),
        }
    }

    fn power(&self, base: NodeId, exponent: NodeId) -> (String, Prec) {
        let base_text = self.wrap(self.expr(base), Prec::Atom);
        let exponent_text = match self.dag.const_value(exponent) {
            Some(e) => format_f64(e),
            None => match self.style {
                Style::Latex => self.expr(exponent).0,
                _ => self.wrap(self.expr(exponent), Prec::Atom),
            },
        };
        (self.pow_text(&base_text, &exponent_text), Prec::Pow)
    }

    fn call(&self, func: Func, args: &[NodeId]) -> String {
        let texts: Vec<String> = args.iter().map(|a| self.expr(*a).0).collect();
        let joined = texts.join(", ");
        let spec = func.spec();
        match self.style {
            Style::Unicode => format!("{}({joined})", spec.unicode),
            Style::Latex => match spec.latex {
                Latex::Command(command) => format!("{command}\\left({joined}\\right)"),
                Latex::OperatorName => {
                    format!("\\operatorname{{{}}}\\left({joined}\\right)", spec.name)
                }
                Latex::SquareRoot => format!("\\sqrt{{{joined}}}"),
                Latex::AbsoluteBars => format!("\\left|{joined}\\right|"),
            },
            Style::Lang => format!("{}({joined})", spec.name),
        }
    }
}

/// `α_m`, `beta_m`, `m_{\infty}`, … for a gate's named field.
pub fn gate_field_name(gate: &str, field: GateField, style: Style) -> String {
    match style {
        Style::Lang => match field {
            GateField::Alpha => format!("alpha_{gate}"),
            GateField::Beta => format!("beta_{gate}"),
            GateField::Inf => format!("{gate}_inf"),
            GateField::Tau => format!("tau_{gate}"),
        },
        Style::Unicode => match field {
            GateField::Alpha => format!("α_{gate}"),
            GateField::Beta => format!("β_{gate}"),
            GateField::Inf => format!("{gate}∞"),
            GateField::Tau => format!("τ_{gate}"),
        },
        Style::Latex => {
            let gate = latex_escape(gate);
            match field {
                GateField::Alpha => format!("\\alpha_{{{gate}}}"),
                GateField::Beta => format!("\\beta_{{{gate}}}"),
                GateField::Inf => format!("{gate}_{{\\infty}}"),
                GateField::Tau => format!("\\tau_{{{gate}}}"),
            }
        }
    }
}

const GREEK: [&str; 35] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
    "Omega", "varphi",
];

fn latex_escape(text: &str) -> String {
    text.replace('_', "\\_")
}

/// A model name in LaTeX: `g_Na` → `g_{\mathrm{Na}}`, `tau_m` → `\tau_{m}`,
/// `Delta_T` → `\Delta_{T}`, `V` → `V`, `I_exp` → `I_{\mathrm{exp}}`.
pub fn latex_name(name: &str) -> String {
    let (base, sub) = match name.split_once('_') {
        Some((b, s)) if !b.is_empty() && !s.is_empty() => (b, Some(s)),
        _ => (name, None),
    };
    let base_text = if GREEK.contains(&base) {
        format!("\\{base}")
    } else if base.chars().count() == 1 {
        base.to_string()
    } else {
        format!("\\mathrm{{{}}}", latex_escape(base))
    };
    match sub {
        None => base_text,
        Some(s) if s.chars().count() == 1 => format!("{base_text}_{{{s}}}"),
        Some(s) if GREEK.contains(&s) => format!("{base_text}_{{\\{s}}}"),
        Some(s) => format!("{base_text}_{{\\mathrm{{{}}}}}", latex_escape(s)),
    }
}

/// `base` (LaTeX) with a subscript: `V_{1/2}`; a base that already carries one is braced,
/// `{E_{L}}_{1/2}`, as `E_{L}_{1/2}` is LaTeX's "Double subscript" error.
pub fn latex_subscript(base: &str, subscript: &str) -> String {
    if base.contains('_') {
        format!("{{{base}}}_{{{subscript}}}")
    } else {
        format!("{base}_{{{subscript}}}")
    }
}

/// A unit text in LaTeX: `mS/cm^2` → `\mathrm{mS}\,\mathrm{cm}^{-2}`,
/// `1/(mV*ms)` → `\mathrm{mV}^{-1}\,\mathrm{ms}^{-1}`.
pub fn latex_unit(unit: &str) -> String {
    let (top, bottom) = match unit.split_once('/') {
        Some((t, b)) => (t, Some(b)),
        None => (unit, None),
    };
    let mut parts: Vec<String> = Vec::new();
    let mut push = |text: &str, sign: &str| {
        for factor in text.trim_matches(|c| c == '(' || c == ')').split('*') {
            if factor.is_empty() || factor == "1" {
                continue;
            }
            let (name, power) = match factor.split_once('^') {
                Some((n, p)) => (n, Some(p.trim_matches(|c| c == '(' || c == ')'))),
                None => (factor, None),
            };
            let exponent = match (power, sign) {
                (None, "") => String::new(),
                (None, _) => "^{-1}".to_string(),
                (Some(p), s) => format!("^{{{s}{p}}}"),
            };
            parts.push(format!("\\mathrm{{{name}}}{exponent}"));
        }
    };
    push(top, "");
    if let Some(b) = bottom {
        push(b, "-");
    }
    parts.join("\\,")
}

/// Superscript digits for a small non-negative integer exponent (`3` → `³`).
fn superscript(exponent: &str) -> Option<String> {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    if exponent.is_empty() || exponent.len() > 2 {
        return None;
    }
    exponent
        .chars()
        .map(|c| c.to_digit(10).map(|d| DIGITS[d as usize]))
        .collect()
}
