//! The deterministic text form of an `ast::Model` (`galvani explain --stage ast`, insta
//! snapshots): one node per line, two spaces of indent per level, spans as `@start..end`,
//! numbers exactly as written. A quantity and a call also show the span of their unit or
//! function name; `if` branches and `on` conditions are labelled. For
//!
//! ```text
//! model m "d"
//! x = -a^2 # c
//! on x > 1 mV {
//!     x += 2 um^2
//! }
//! ```
//!
//! it prints
//!
//! ```text
//! Model m @6..7 (header @0..11)
//!   description "d" @8..11
//!   Assign x = @12..13 (item @12..20)
//!     Unary - @16..20
//!       Binary ^ @17..20
//!         Name a @17..18
//!         Number 2 @19..20
//!   On (item @25..56)
//!     condition: Binary > @28..36
//!       Name x @28..29
//!       Quantity 1 mV @32..36 (unit @34..36)
//!     body:
//!       Assign x += @43..44 (item @43..54)
//!         Quantity 2 um^2 @48..54 (unit @50..54)
//! ```
//!
//! Recursion follows the tree, whose depth the parser bounds by `MAX_NESTING`.

use std::fmt::Write;

use crate::ast::{AssignOp, Expr, ExprKind, Item, ItemKind, Model, UnitSuffix};
use galvani_diag::Span;

/// Renders `model` as indented text; see the module documentation for the format.
pub fn print_ast(model: &Model) -> String {
    let mut printer = Printer { out: String::new() };
    printer.line(
        0,
        &format!(
            "Model {} {} (header {})",
            model.name.name,
            at(model.name.span),
            at(model.header_span)
        ),
    );
    if let Some((text, span)) = &model.description {
        printer.line(1, &format!("description \"{text}\" {}", at(*span)));
    }
    for item in &model.items {
        printer.item(1, item);
    }
    printer.out
}

/// `@start..end`
fn at(span: Span) -> String {
    format!("@{}..{}", span.start, span.end)
}

fn unit_text(unit: &UnitSuffix) -> String {
    if unit.exponent == 1 {
        unit.name.clone()
    } else {
        format!("{}^{}", unit.name, unit.exponent)
    }
}

struct Printer {
    out: String,
}

impl Printer {
    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn item(&mut self, indent: usize, item: &Item) {
        let whole = format!("(item {})", at(item.span));
        match &item.kind {
            ItemKind::Param { name, value }
            | ItemKind::Input { name, value }
            | ItemKind::State { name, value } => {
                let keyword = match &item.kind {
                    ItemKind::Param { .. } => "Param",
                    ItemKind::Input { .. } => "Input",
                    _ => "State",
                };
                self.line(
                    indent,
                    &format!("{keyword} {} {} {whole}", name.name, at(name.span)),
                );
                self.expr(indent + 1, None, value);
            }
            ItemKind::Gate { name, fields } => {
                self.line(
                    indent,
                    &format!("Gate {} {} {whole}", name.name, at(name.span)),
                );
                for field in fields {
                    self.line(
                        indent + 1,
                        &format!(
                            "Field {} {} (field {})",
                            field.name.name,
                            at(field.name.span),
                            at(field.span)
                        ),
                    );
                    self.expr(indent + 2, None, &field.value);
                }
            }
            ItemKind::Assign {
                target,
                op,
                value,
                unit,
            } => {
                let op = match op {
                    AssignOp::Set => "=",
                    AssignOp::Add => "+=",
                    AssignOp::Sub => "-=",
                };
                self.line(
                    indent,
                    &format!("Assign {} {op} {} {whole}", target.name, at(target.span)),
                );
                self.expr(indent + 1, None, value);
                if let Some(unit) = unit {
                    self.line(
                        indent + 1,
                        &format!("DisplayUnit {} {}", unit.text, at(unit.span)),
                    );
                }
            }
            ItemKind::Ode { state, value } => {
                self.line(
                    indent,
                    &format!("Ode {} {} {whole}", state.name, at(state.span)),
                );
                self.expr(indent + 1, None, value);
            }
            ItemKind::Function { name, params, body } => {
                let mut text = format!("Function {} {} (", name.name, at(name.span));
                for (index, param) in params.iter().enumerate() {
                    if index > 0 {
                        text.push_str(", ");
                    }
                    let _ = write!(text, "{} {}", param.name, at(param.span));
                }
                let _ = write!(text, ") {whole}");
                self.line(indent, &text);
                self.expr(indent + 1, None, body);
            }
            ItemKind::On {
                condition,
                marker,
                body,
            } => {
                self.line(indent, &format!("On {whole}"));
                self.expr(indent + 1, Some("condition"), condition);
                // Printed only when written, so the trees of files without one stay as
                // they were.
                if let Some(marker) = marker {
                    let word = if marker.spike { "spike" } else { "silent" };
                    self.line(indent + 1, &format!("marker: {word} {}", at(marker.span)));
                }
                if body.is_empty() {
                    self.line(indent + 1, "body: (empty)");
                } else {
                    self.line(indent + 1, "body:");
                    for statement in body {
                        self.item(indent + 2, statement);
                    }
                }
            }
            ItemKind::Refractory { duration } => {
                self.line(indent, &format!("Refractory {whole}"));
                self.expr(indent + 1, None, duration);
            }
        }
    }

    /// One expression node per line; `label` names the child's role where the order alone
    /// would not (`condition:`, `then:`, `else:`).
    fn expr(&mut self, indent: usize, label: Option<&str>, expr: &Expr) {
        let head = match &expr.kind {
            ExprKind::Number { text, .. } => format!("Number {text}"),
            ExprKind::Quantity { text, unit, .. } => format!(
                "Quantity {text} {} {} (unit {})",
                unit_text(unit),
                at(expr.span),
                at(unit.span)
            ),
            ExprKind::Name(name) => format!("Name {name}"),
            ExprKind::Unary { op, .. } => format!("Unary {}", op.symbol()),
            ExprKind::Binary { op, .. } => format!("Binary {}", op.symbol()),
            ExprKind::If { .. } => "If".to_string(),
            ExprKind::Call { function, args } => format!(
                "Call {} {} (function {}, {} argument{})",
                function.name,
                at(expr.span),
                at(function.span),
                args.len(),
                if args.len() == 1 { "" } else { "s" }
            ),
        };
        // Quantity and Call carry extra spans, already placed after the main one.
        let text = match &expr.kind {
            ExprKind::Quantity { .. } | ExprKind::Call { .. } => head,
            _ => format!("{head} {}", at(expr.span)),
        };
        match label {
            Some(label) => self.line(indent, &format!("{label}: {text}")),
            None => self.line(indent, &text),
        }
        match &expr.kind {
            ExprKind::Number { .. } | ExprKind::Quantity { .. } | ExprKind::Name(_) => {}
            ExprKind::Unary { operand, .. } => self.expr(indent + 1, None, operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(indent + 1, None, lhs);
                self.expr(indent + 1, None, rhs);
            }
            ExprKind::If {
                condition,
                then_branch,
                else_branch,
            } => {
                self.expr(indent + 1, Some("condition"), condition);
                self.expr(indent + 1, Some("then"), then_branch);
                self.expr(indent + 1, Some("else"), else_branch);
            }
            ExprKind::Call { args, .. } => {
                for arg in args {
                    self.expr(indent + 1, None, arg);
                }
            }
        }
    }
}
