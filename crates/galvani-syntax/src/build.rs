//! Builds the spanned `ast::Model` from pest's pairs. Checks what the grammar cannot say
//! well: reserved words used as names, number literals that overflow, unit exponents out
//! of range, `4 mV^0.5`, a second `model` line, and expression trees deeper than
//! `MAX_NESTING` (long operator chains are flat in the grammar but deep in the tree).
//!
//! Each `expr` pair holds a flat list of operand and operator tokens (the grammar's
//! precedence layers are silent); `ExprParser` regroups them by recursive descent over
//! that list, one function per precedence level, mirroring `grammar.pest`. It recurses
//! into nested `expr` pairs only at `(`, `if` and `^`, which the pre-scan bounds.

use galvani_diag::{FileId, Span};
use pest::iterators::{Pair, Pairs};

use crate::ast::{
    AssignOp, BinaryOp, EventMarker, Expr, ExprKind, GateField, Ident, Item, ItemKind, UnaryOp,
    UnitAnnotation, UnitFactor, UnitSuffix,
};
use crate::error::{BadNumberReason, ParseError};
use crate::grammar::Rule;
use crate::{MAX_NESTING, RESERVED_WORDS};

mod network;

type Result<T> = std::result::Result<T, ParseError>;

/// Builds the AST of one chunk (see `prescan.rs`): pest's offsets are relative to the
/// chunk and `base` makes them absolute.
pub(crate) struct Builder {
    file: FileId,
    base: usize,
}

/// An expression with the depth of its tree (a leaf is 0; each operator adds 1).
struct Node {
    expr: Expr,
    depth: usize,
}

impl Builder {
    pub(crate) fn new(file: FileId, base: usize) -> Builder {
        Builder { file, base }
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(self.file, self.base + span.start(), self.base + span.end())
    }

    /// The span of a non-atomic pair without trailing whitespace and comments. pest's
    /// implicit whitespace before an optional or repeated tail that then matches nothing
    /// stays inside the rule (`x = a^2   # c` would cover the comment), so the end is
    /// taken from the last token instead: descend through the last children until an
    /// atomic rule, whose span is exact.
    fn tight_span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        let mut last = pair.clone();
        while matches!(
            last.as_rule(),
            Rule::header
                | Rule::network_header
                | Rule::network_item
                | Rule::population_decl
                | Rule::connect_decl
                | Rule::drive_decl
                | Rule::net_field
                | Rule::init_decl
                | Rule::on_pre
                | Rule::field_set
                | Rule::field_file
                | Rule::item
                | Rule::param_decl
                | Rule::input_decl
                | Rule::state_decl
                | Rule::gate_decl
                | Rule::gate_field
                | Rule::fn_decl
                | Rule::on_decl
                | Rule::refractory_stmt
                | Rule::extra_model
                | Rule::ode
                | Rule::assign
                | Rule::unit_annotation
                | Rule::expr
                | Rule::if_expr
                | Rule::exponent
        ) {
            match last.clone().into_inner().last() {
                Some(child) => last = child,
                None => break,
            }
        }
        let end = last.as_span().end();
        Span::new(self.file, self.base + start, self.base + end)
    }

    /// A pair whose shape the grammar guarantees was missing: a bug, reported as one.
    fn internal(&self, span: Span, what: &'static str) -> ParseError {
        ParseError::Internal { span, what }
    }

    /// The `header` pair: the model's name, its description and the line's span.
    #[allow(clippy::type_complexity)]
    pub(crate) fn header(
        &self,
        pair: Pair<'_, Rule>,
    ) -> Result<(Ident, Option<(String, Span)>, Span)> {
        let header_span = self.tight_span(&pair);
        let mut name = None;
        let mut description = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(self.declared_name(&child)?),
                Rule::description => {
                    let span = self.span(&child);
                    let text = child
                        .into_inner()
                        .next()
                        .map_or(String::new(), |text| text.as_str().to_string());
                    description = Some((text, span));
                }
                _ => {}
            }
        }
        let name = name.ok_or_else(|| self.internal(header_span, "model name"))?;
        Ok((name, description, header_span))
    }

    /// A name being declared: reserved words are refused here.
    fn declared_name(&self, pair: &Pair<'_, Rule>) -> Result<Ident> {
        let name = pair.as_str();
        let span = self.span(pair);
        if RESERVED_WORDS.contains(&name) || crate::is_reserved_for_noise(name) {
            return Err(ParseError::Reserved {
                word: name.to_string(),
                span,
            });
        }
        Ok(Ident {
            name: name.to_string(),
            span,
        })
    }

    /// One `item` pair; `header_span` is where the model was declared (for a second
    /// `model` line).
    pub(crate) fn item(&self, pair: Pair<'_, Rule>, header_span: Span) -> Result<Item> {
        let outer = self.span(&pair);
        let declaration = pair
            .into_inner()
            .next()
            .ok_or_else(|| self.internal(outer, "declaration"))?;
        let span = self.tight_span(&declaration);
        // `on` blocks recurse into `item`; the other kinds live in their own function so
        // that this frame, repeated once per nested block, stays small.
        let kind = match declaration.as_rule() {
            Rule::on_decl => self.on_block(declaration, span, header_span)?,
            Rule::extra_model => {
                return Err(ParseError::DuplicateModel {
                    span,
                    first: header_span,
                })
            }
            _ => self.declaration(declaration, span)?,
        };
        Ok(Item { kind, span })
    }

    fn on_block(&self, pair: Pair<'_, Rule>, span: Span, header_span: Span) -> Result<ItemKind> {
        let mut condition = None;
        let mut marker = None;
        let mut body = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::expr => condition = Some(self.expr(child)?),
                Rule::event_marker => {
                    marker = Some(EventMarker {
                        spike: child.as_str() == "spike",
                        span: self.span(&child),
                    })
                }
                Rule::item => body.push(self.item(child, header_span)?),
                _ => {}
            }
        }
        let condition = condition.ok_or_else(|| self.internal(span, "condition"))?;
        Ok(ItemKind::On {
            condition,
            marker,
            body,
        })
    }

    /// Every declaration but `on` and a second `model`.
    fn declaration(&self, pair: Pair<'_, Rule>, span: Span) -> Result<ItemKind> {
        let rule = pair.as_rule();
        let children: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        let find = |wanted: Rule| children.iter().find(|c| c.as_rule() == wanted);
        let need = |wanted: Rule, what: &'static str| {
            find(wanted).ok_or_else(|| self.internal(span, what))
        };
        Ok(match rule {
            Rule::param_decl | Rule::input_decl | Rule::state_decl => {
                let name = self.declared_name(need(Rule::ident, "name")?)?;
                let value = self.expr(need(Rule::expr, "value")?.clone())?;
                match rule {
                    Rule::param_decl => ItemKind::Param { name, value },
                    Rule::input_decl => ItemKind::Input { name, value },
                    _ => ItemKind::State { name, value },
                }
            }
            Rule::gate_decl => {
                let name = self.declared_name(need(Rule::ident, "gate name")?)?;
                let mut fields = Vec::new();
                for field in children.iter().filter(|c| c.as_rule() == Rule::gate_field) {
                    fields.push(self.gate_field(field.clone())?);
                }
                ItemKind::Gate { name, fields }
            }
            Rule::fn_decl => {
                let mut idents = children.iter().filter(|c| c.as_rule() == Rule::ident);
                let name = idents
                    .next()
                    .ok_or_else(|| self.internal(span, "function name"))?;
                let name = self.declared_name(name)?;
                let params = idents
                    .map(|p| self.declared_name(p))
                    .collect::<Result<Vec<_>>>()?;
                let body = self.expr(need(Rule::expr, "function body")?.clone())?;
                ItemKind::Function { name, params, body }
            }
            Rule::refractory_stmt => ItemKind::Refractory {
                duration: self.expr(need(Rule::expr, "duration")?.clone())?,
            },
            Rule::ode => {
                let head = need(Rule::ode_head, "derivative")?;
                let state = head
                    .clone()
                    .into_inner()
                    .find(|c| c.as_rule() == Rule::ode_state)
                    .ok_or_else(|| self.internal(span, "state of derivative"))?;
                ItemKind::Ode {
                    state: self.declared_name(&state)?,
                    value: self.expr(need(Rule::expr, "right-hand side")?.clone())?,
                }
            }
            Rule::assign => {
                let target = match children.iter().find(|c| c.as_rule() == Rule::post_target) {
                    // `post.g_e += w`: kept as written, for the network checker.
                    Some(post) => Ident {
                        name: post.as_str().to_string(),
                        span: self.span(post),
                    },
                    None => self.declared_name(need(Rule::ident, "target")?)?,
                };
                let op = match need(Rule::assign_op, "assignment operator")?.as_str() {
                    "+=" => AssignOp::Add,
                    "-=" => AssignOp::Sub,
                    _ => AssignOp::Set,
                };
                let value = self.expr(need(Rule::expr, "value")?.clone())?;
                let unit = match children
                    .iter()
                    .find(|c| c.as_rule() == Rule::unit_annotation)
                {
                    Some(annotation) => Some(self.unit_annotation(annotation.clone())?),
                    None => None,
                };
                ItemKind::Assign {
                    target,
                    op,
                    value,
                    unit,
                }
            }
            _ => return Err(self.internal(span, "declaration kind")),
        })
    }

    fn gate_field(&self, pair: Pair<'_, Rule>) -> Result<GateField> {
        let span = self.tight_span(&pair);
        let mut name = None;
        let mut value = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::field_name => name = Some(self.declared_name(&child)?),
                Rule::expr => value = Some(self.expr(child)?),
                _ => {}
            }
        }
        Ok(GateField {
            name: name.ok_or_else(|| self.internal(span, "field name"))?,
            value: value.ok_or_else(|| self.internal(span, "field value"))?,
            span,
        })
    }

    /// One `expr` pair (an `if` or a flat token list) to an expression.
    fn expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        self.expr_node(pair).map(|node| node.expr)
    }

    fn expr_node(&self, pair: Pair<'_, Rule>) -> Result<Node> {
        let span = self.span(&pair);
        let tokens = pair.into_inner();
        match tokens.peek() {
            Some(first) if first.as_rule() == Rule::if_expr => self.if_expr(first),
            _ => self.operators(tokens, span),
        }
    }

    fn if_expr(&self, pair: Pair<'_, Rule>) -> Result<Node> {
        let span = self.tight_span(&pair);
        let mut parts = pair.into_inner().filter(|c| c.as_rule() == Rule::expr);
        let mut part = |what| {
            parts
                .next()
                .ok_or_else(|| self.internal(span, what))
                .and_then(|p| self.expr_node(p))
        };
        let condition = part("condition")?;
        let then_branch = part("then branch")?;
        let else_branch = part("else branch")?;
        let depth = 1 + condition
            .depth
            .max(then_branch.depth)
            .max(else_branch.depth);
        self.node(
            ExprKind::If {
                condition: Box::new(condition.expr),
                then_branch: Box::new(then_branch.expr),
                else_branch: Box::new(else_branch.expr),
            },
            span,
            depth,
        )
    }

    /// Wraps a new node, refusing trees deeper than [`MAX_NESTING`].
    fn node(&self, kind: ExprKind, span: Span, depth: usize) -> Result<Node> {
        if depth > MAX_NESTING {
            return Err(ParseError::ExpressionTooDeep { span });
        }
        Ok(Node {
            expr: Expr { kind, span },
            depth,
        })
    }

    fn binary(&self, op: BinaryOp, lhs: Node, rhs: Node) -> Result<Node> {
        let span = lhs.expr.span.to(rhs.expr.span);
        let depth = 1 + lhs.depth.max(rhs.depth);
        self.node(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs.expr),
                rhs: Box::new(rhs.expr),
            },
            span,
            depth,
        )
    }

    fn number(&self, pair: &Pair<'_, Rule>) -> Result<f64> {
        let text = pair.as_str();
        let span = self.span(pair);
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(value),
            Ok(_) => Err(ParseError::BadNumber {
                text: text.to_string(),
                span,
                reason: BadNumberReason::Overflow,
            }),
            Err(_) => Err(self.internal(span, "number")),
        }
    }

    /// One operand. Each kind has its own function so that the frame on the recursive
    /// path (`(`, calls) stays small in unoptimised builds.
    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Node> {
        match pair.as_rule() {
            Rule::paren => self.paren(pair),
            Rule::call => self.call(pair),
            _ => self.leaf(pair),
        }
    }

    fn paren(&self, pair: Pair<'_, Rule>) -> Result<Node> {
        // The parenthesised expression keeps the parentheses in its span, so that
        // `-(a + b)` and its operand both end at `)`.
        let span = self.span(&pair);
        let inner = pair
            .into_inner()
            .find(|c| c.as_rule() == Rule::expr)
            .ok_or_else(|| self.internal(span, "parenthesised expression"))?;
        let mut node = self.expr_node(inner)?;
        node.expr.span = span;
        Ok(node)
    }

    fn call(&self, pair: Pair<'_, Rule>) -> Result<Node> {
        let span = self.span(&pair);
        let mut function = None;
        let mut args = Vec::new();
        let mut depth = 1;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::call_name => function = Some(self.expression_name(&child)?),
                Rule::expr => {
                    let arg = self.expr_node(child)?;
                    depth = depth.max(arg.depth + 1);
                    args.push(arg.expr);
                }
                _ => {}
            }
        }
        let function = function.ok_or_else(|| self.internal(span, "function name"))?;
        self.node(ExprKind::Call { function, args }, span, depth)
    }

    /// A name used in an expression: `t` is the time, other reserved words are refused.
    fn expression_name(&self, pair: &Pair<'_, Rule>) -> Result<Ident> {
        let name = pair.as_str();
        let span = self.span(pair);
        if name != "t" && RESERVED_WORDS.contains(&name) {
            return Err(ParseError::Reserved {
                word: name.to_string(),
                span,
            });
        }
        Ok(Ident {
            name: name.to_string(),
            span,
        })
    }

    /// A number, a quantity or a name.
    fn leaf(&self, pair: Pair<'_, Rule>) -> Result<Node> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => ExprKind::Number {
                value: self.number(&pair)?,
                text: pair.as_str().to_string(),
            },
            Rule::quantity => {
                let mut parts = pair.into_inner();
                let number = parts
                    .next()
                    .ok_or_else(|| self.internal(span, "quantity number"))?;
                let suffix = parts
                    .next()
                    .ok_or_else(|| self.internal(span, "quantity unit"))?;
                ExprKind::Quantity {
                    value: self.number(&number)?,
                    text: number.as_str().to_string(),
                    unit: self.unit_suffix(suffix)?,
                }
            }
            Rule::name => ExprKind::Name(self.expression_name(&pair)?.name),
            _ => return Err(self.internal(span, "operand")),
        };
        Ok(Node {
            expr: Expr { kind, span },
            depth: 0,
        })
    }

    /// `: nA`, `: uA/cm^2`, `: 1/ms` → its factors and its text without spaces.
    fn unit_annotation(&self, pair: Pair<'_, Rule>) -> Result<UnitAnnotation> {
        let mut factors = Vec::new();
        let mut divide = false;
        let mut text = String::new();
        let mut span: Option<Span> = None;
        let whole = self.span(&pair);
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::colon => continue,
                Rule::mul_op => divide = child.as_str() == "/",
                Rule::unit_suffix => factors.push(UnitFactor {
                    unit: self.unit_suffix(child.clone())?,
                    divide,
                }),
                _ => {}
            }
            text.extend(child.as_str().chars().filter(|c| !c.is_whitespace()));
            let here = self.span(&child);
            span = Some(match span {
                Some(first) => Span::new(self.file, first.start as usize, here.end as usize),
                None => here,
            });
        }
        let span = span.ok_or_else(|| self.internal(whole, "display unit"))?;
        Ok(UnitAnnotation {
            factors,
            text,
            span,
        })
    }

    fn unit_suffix(&self, pair: Pair<'_, Rule>) -> Result<UnitSuffix> {
        let span = self.span(&pair);
        let mut name = None;
        let mut exponent = 1;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::unit_name => name = Some(child.as_str().to_string()),
                Rule::unit_exponent => {
                    let digits: String = child
                        .as_str()
                        .chars()
                        .filter(|c| c.is_ascii_digit() || *c == '-')
                        .collect();
                    exponent = digits.parse::<i32>().map_err(|_| ParseError::BadNumber {
                        text: child.as_str().to_string(),
                        span: self.span(&child),
                        reason: BadNumberReason::ExponentOutOfRange,
                    })?;
                }
                _ => {}
            }
        }
        Ok(UnitSuffix {
            name: name.ok_or_else(|| self.internal(span, "unit name"))?,
            exponent,
            span,
        })
    }
}

/// An operator waiting on the stack of [`Builder::operators`].
#[derive(Clone, Copy)]
enum Pending {
    /// `not` or unary `-`, with the byte where it starts.
    Prefix(UnaryOp, usize),
    Infix(BinaryOp),
}

impl Pending {
    /// Binding power, loosest first; mirrors the layers of `grammar.pest`.
    fn power(self) -> u8 {
        match self {
            Pending::Infix(BinaryOp::Or) => 1,
            Pending::Infix(BinaryOp::And) => 2,
            Pending::Prefix(UnaryOp::Not, _) => 3,
            Pending::Infix(op) if op.is_comparison() => 4,
            Pending::Infix(BinaryOp::Add | BinaryOp::Sub) => 5,
            Pending::Infix(_) => 6,
            Pending::Prefix(UnaryOp::Neg, _) => 7,
        }
    }
}

/// The binary operator of an infix token, or `None` for any other token.
fn infix(pair: &Pair<'_, Rule>) -> Option<BinaryOp> {
    Some(match (pair.as_rule(), pair.as_str()) {
        (Rule::or_op, _) => BinaryOp::Or,
        (Rule::and_op, _) => BinaryOp::And,
        (Rule::cmp_op, "<") => BinaryOp::Lt,
        (Rule::cmp_op, "<=") => BinaryOp::Le,
        (Rule::cmp_op, ">") => BinaryOp::Gt,
        (Rule::cmp_op, ">=") => BinaryOp::Ge,
        (Rule::cmp_op, "==") => BinaryOp::Eq,
        (Rule::cmp_op, _) => BinaryOp::Ne,
        (Rule::add_op, "+") => BinaryOp::Add,
        (Rule::add_op, _) => BinaryOp::Sub,
        (Rule::mul_op, "*") => BinaryOp::Mul,
        (Rule::mul_op, _) => BinaryOp::Div,
        _ => return None,
    })
}

impl Builder {
    /// Operator precedence over the flat token list of one `expr` or `exponent` pair
    /// (shunting-yard, with prefix operators): iterative, so that only `(`, `if` and
    /// `^` recurse, and with small stack frames in unoptimised builds. The grammar has
    /// already checked the order of tokens; comparisons never chain.
    ///
    /// Example: `not a < -b^2 * c` → `not (a < ((-(b^2)) * c))`.
    fn operators(&self, tokens: Pairs<'_, Rule>, span: Span) -> Result<Node> {
        let mut operands: Vec<Node> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut tokens = tokens.peekable();
        while let Some(token) = tokens.next() {
            match token.as_rule() {
                Rule::not_op => pending.push(Pending::Prefix(
                    UnaryOp::Not,
                    self.base + token.as_span().start(),
                )),
                Rule::neg_op => pending.push(Pending::Prefix(
                    UnaryOp::Neg,
                    self.base + token.as_span().start(),
                )),
                _ => match infix(&token) {
                    Some(op) => {
                        let incoming = Pending::Infix(op);
                        // Left-associative: reduce everything that binds at least as tightly.
                        while pending
                            .last()
                            .is_some_and(|top| top.power() >= incoming.power())
                        {
                            self.reduce(&mut operands, &mut pending, span)?;
                        }
                        pending.push(incoming);
                    }
                    None => {
                        let exponent = match tokens.peek().map(Pair::as_rule) {
                            Some(Rule::pow_op) => {
                                tokens.next();
                                tokens.next()
                            }
                            _ => None,
                        };
                        operands.push(self.power(token, exponent, span)?);
                    }
                },
            }
        }
        while !pending.is_empty() {
            self.reduce(&mut operands, &mut pending, span)?;
        }
        match (operands.pop(), operands.is_empty()) {
            (Some(node), true) => Ok(node),
            _ => Err(self.internal(span, "single expression")),
        }
    }

    /// Applies the operator on top of `pending` to the operands on top of `operands`.
    fn reduce(
        &self,
        operands: &mut Vec<Node>,
        pending: &mut Vec<Pending>,
        span: Span,
    ) -> Result<()> {
        let missing = || self.internal(span, "operand");
        let node = match pending.pop().ok_or_else(missing)? {
            Pending::Prefix(op, start) => {
                let operand = operands.pop().ok_or_else(missing)?;
                let span = Span::new(self.file, start, operand.expr.span.end as usize);
                let depth = operand.depth + 1;
                let kind = ExprKind::Unary {
                    op,
                    operand: Box::new(operand.expr),
                };
                self.node(kind, span, depth)?
            }
            Pending::Infix(op) => {
                let rhs = operands.pop().ok_or_else(missing)?;
                let lhs = operands.pop().ok_or_else(missing)?;
                self.binary(op, lhs, rhs)?
            }
        };
        operands.push(node);
        Ok(())
    }

    /// `primary` or `primary ^ exponent`; the exponent pair holds its own token list
    /// (`-`… then a power), which makes `^` right-associative: `a^b^c = a^(b^c)`.
    fn power(
        &self,
        primary: Pair<'_, Rule>,
        exponent: Option<Pair<'_, Rule>>,
        span: Span,
    ) -> Result<Node> {
        let Some(exponent) = exponent else {
            return self.primary(primary);
        };
        let exponent_span = self.tight_span(&exponent);
        if primary.as_rule() == Rule::quantity {
            return Err(ParseError::QuantityPower {
                span: self.span(&primary).to(exponent_span),
                quantity_text: primary.as_str().to_string(),
            });
        }
        if exponent.as_rule() != Rule::exponent {
            return Err(self.internal(span, "exponent"));
        }
        let base = self.primary(primary)?;
        let exponent = self.operators(exponent.into_inner(), exponent_span)?;
        self.binary(BinaryOp::Pow, base, exponent)
    }
}
