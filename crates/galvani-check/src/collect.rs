//! First pass over the AST: every declaration into one table (`Decls`), with the
//! structural checks that need no expression analysis — reserved and duplicate names,
//! gate fields, which statement may stand where, one equation per state, at most one
//! `refractory` per event.
//!
//! Declarations keep file order: a declaration's index (`DeclId`) is also its position,
//! which the stable topological sorts use to keep declaration order where they can.

use crate::error::{CheckError, DeclKind, GateProblem, NameRole, ReservedReason, StatementKind};
use crate::sink::Sink;
use galvani_diag::suggest::suggest;
use galvani_diag::Span;
use galvani_ir::Builtin;
use galvani_syntax::ast::{self, AssignOp, Expr, GateField, Ident, ItemKind, UnitAnnotation};
use std::collections::HashMap;

/// Index into `Decls::decls` (file order).
pub type DeclId = usize;

/// Words that cannot name anything besides `t` (the parser refuses them already; the
/// checker repeats the check for ASTs built by hand).
const KEYWORDS: [&str; 14] = [
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

/// The validated shape of a gate block.
#[derive(Clone, Copy, Debug)]
pub enum GateRates<'a> {
    AlphaBeta { alpha: &'a Expr, beta: &'a Expr },
    InfTau { inf: &'a Expr, tau: &'a Expr },
}

#[derive(Clone, Copy, Debug)]
pub struct GateSpec<'a> {
    /// `None` when the fields are invalid (already reported).
    pub rates: Option<GateRates<'a>>,
    pub init: Option<&'a Expr>,
    /// Every field as written, valid or not (so names in all of them are resolved).
    pub fields: &'a [GateField],
}

#[derive(Clone, Copy, Debug)]
pub enum DeclBody<'a> {
    Param(&'a Expr),
    Input(&'a Expr),
    State(&'a Expr),
    Gate(GateSpec<'a>),
    Intermediate(&'a Expr),
    Function { params: &'a [Ident], body: &'a Expr },
}

#[derive(Clone, Copy, Debug)]
pub struct Decl<'a> {
    pub kind: DeclKind,
    pub name: &'a str,
    /// The name in the declaration.
    pub span: Span,
    /// The whole declaration (a gate's block with its braces).
    pub item_span: Span,
    pub body: DeclBody<'a>,
    /// An intermediate's `: UNIT`, the unit its values are reported in.
    pub display_unit: Option<&'a UnitAnnotation>,
}

/// `dX/dt = value`, attached to its state.
#[derive(Clone, Copy, Debug)]
pub struct Ode<'a> {
    pub value: &'a Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug)]
pub struct ActionDecl<'a> {
    pub target: &'a Ident,
    pub op: AssignOp,
    pub value: &'a Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct EventDecl<'a> {
    pub condition: &'a Expr,
    /// `spike` or `silent` as written; without it the kind follows from the condition.
    pub marker: Option<ast::EventMarker>,
    pub actions: Vec<ActionDecl<'a>>,
    pub refractory: Option<&'a Expr>,
}

pub struct Decls<'a> {
    pub decls: Vec<Decl<'a>>,
    /// The first declaration of each name (later duplicates are reported and dropped).
    pub by_name: HashMap<&'a str, DeclId>,
    /// The equation of each state, by `DeclId` (always `None` for other kinds).
    pub odes: Vec<Option<Ode<'a>>>,
    pub events: Vec<EventDecl<'a>>,
}

impl<'a> Decls<'a> {
    pub fn lookup(&self, name: &str) -> Option<DeclId> {
        self.by_name.get(name).copied()
    }

    /// Names of every non-function declaration, in file order (suggestion candidates).
    pub fn value_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.decls
            .iter()
            .filter(|d| d.kind != DeclKind::Function)
            .map(|d| d.name)
    }

    pub fn state_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.decls
            .iter()
            .filter(|d| matches!(d.kind, DeclKind::State | DeclKind::Gate))
            .map(|d| d.name)
    }

    pub fn function_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.decls
            .iter()
            .filter(|d| d.kind == DeclKind::Function)
            .map(|d| d.name)
    }
}

/// Why `name` cannot be declared, if it cannot.
pub fn reserved_reason(name: &str) -> Option<ReservedReason> {
    if name == "t" {
        Some(ReservedReason::Time)
    } else if KEYWORDS.contains(&name) {
        Some(ReservedReason::Keyword)
    } else if Builtin::from_name(name).is_some() {
        Some(ReservedReason::Builtin)
    } else if galvani_syntax::is_reserved_for_noise(name) {
        Some(ReservedReason::Noise)
    } else {
        None
    }
}

pub fn collect<'a>(model: &'a ast::Model, sink: &mut Sink) -> Decls<'a> {
    let mut decls = Decls {
        decls: Vec::new(),
        by_name: HashMap::new(),
        odes: Vec::new(),
        events: Vec::new(),
    };
    let mut odes: Vec<(&'a Ident, &'a Expr, Span)> = Vec::new();
    // Top-level items, then params, inputs and functions declared inside an `on` block by
    // mistake: those are reported and then registered anyway, so their uses do not cascade
    // into "unknown name" errors.
    let mut items: Vec<&'a ast::Item> = model.items.iter().collect();
    let mut next = 0;
    while next < items.len() {
        let item = items[next];
        next += 1;
        let mut display_unit = None;
        let (kind, name, body) = match &item.kind {
            ItemKind::Param { name, value } => (DeclKind::Param, name, DeclBody::Param(value)),
            ItemKind::Input { name, value } => (DeclKind::Input, name, DeclBody::Input(value)),
            ItemKind::State { name, value } => (DeclKind::State, name, DeclBody::State(value)),
            ItemKind::Gate { name, fields } => (
                DeclKind::Gate,
                name,
                DeclBody::Gate(gate_spec(&name.name, item.span, fields, sink)),
            ),
            ItemKind::Assign {
                target,
                op,
                value,
                unit,
            } => {
                display_unit = unit.as_ref();
                if *op != AssignOp::Set {
                    sink.push(|| CheckError::MisplacedStatement {
                        span: item.span,
                        what: StatementKind::CompoundAssignment,
                    });
                    continue;
                }
                (
                    DeclKind::Intermediate,
                    target,
                    DeclBody::Intermediate(value),
                )
            }
            ItemKind::Function { name, params, body } => {
                check_function_params(params, sink);
                (
                    DeclKind::Function,
                    name,
                    DeclBody::Function { params, body },
                )
            }
            ItemKind::Ode { state, value } => {
                odes.push((state, value, item.span));
                continue;
            }
            ItemKind::On {
                condition,
                marker,
                body,
            } => {
                let (event, hoisted) = collect_event(condition, *marker, body, sink);
                decls.events.push(event);
                items.extend(hoisted);
                continue;
            }
            ItemKind::Refractory { .. } => {
                sink.push(|| CheckError::MisplacedRefractory { span: item.span });
                continue;
            }
        };
        if let Some(reason) = reserved_reason(&name.name) {
            sink.push(|| CheckError::Reserved {
                name: name.name.clone(),
                span: name.span,
                reason,
            });
            continue;
        }
        if let Some(&first) = decls.by_name.get(name.name.as_str()) {
            let first = decls.decls[first];
            sink.push(|| CheckError::Duplicate {
                name: name.name.clone(),
                span: name.span,
                first: first.span,
                first_kind: first.kind,
            });
            continue;
        }
        decls.by_name.insert(&name.name, decls.decls.len());
        decls.decls.push(Decl {
            kind,
            name: &name.name,
            span: name.span,
            item_span: item.span,
            body,
            display_unit,
        });
    }
    decls.odes = vec![None; decls.decls.len()];
    attach_odes(&mut decls, &odes, sink);
    for (id, decl) in decls.decls.iter().enumerate() {
        if decl.kind == DeclKind::State && decls.odes[id].is_none() {
            sink.push(|| CheckError::MissingOde {
                state: decl.name.to_string(),
                span: decl.span,
            });
        }
    }
    decls
}

fn check_function_params(params: &[Ident], sink: &mut Sink) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for p in params {
        if let Some(reason) = reserved_reason(&p.name).filter(|r| *r != ReservedReason::Builtin) {
            sink.push(|| CheckError::Reserved {
                name: p.name.clone(),
                span: p.span,
                reason,
            });
        }
        if let Some(first) = seen.get(p.name.as_str()) {
            let first = *first;
            sink.push(|| CheckError::Duplicate {
                name: p.name.clone(),
                span: p.span,
                first,
                first_kind: DeclKind::FunctionParam,
            });
        } else {
            seen.insert(&p.name, p.span);
        }
    }
}

fn attach_odes<'a>(decls: &mut Decls<'a>, odes: &[(&'a Ident, &'a Expr, Span)], sink: &mut Sink) {
    for &(target, value, span) in odes {
        let Some(id) = decls.lookup(&target.name) else {
            sink.push(|| CheckError::OdeWithoutState {
                name: target.name.clone(),
                span: target.span,
                actual: None,
                suggestion: suggest(&target.name, decls.state_names()),
            });
            continue;
        };
        let decl = decls.decls[id];
        match decl.kind {
            DeclKind::State => match decls.odes[id] {
                Some(first) => sink.push(|| CheckError::DuplicateOde {
                    state: target.name.clone(),
                    span,
                    first: first.span,
                }),
                None => decls.odes[id] = Some(Ode { value, span }),
            },
            DeclKind::Gate => sink.push(|| CheckError::OdeForGate {
                name: target.name.clone(),
                span,
                gate: decl.item_span,
            }),
            kind => sink.push(|| CheckError::OdeWithoutState {
                name: target.name.clone(),
                span: target.span,
                actual: Some(kind),
                suggestion: None,
            }),
        }
    }
}

const GATE_FIELD_NAMES: [&str; 5] = ["alpha", "beta", "inf", "tau", "init"];

/// Validates a gate block: exactly `{alpha, beta}` or `{inf, tau}`, optionally `init`.
fn gate_spec<'a>(gate: &str, span: Span, fields: &'a [GateField], sink: &mut Sink) -> GateSpec<'a> {
    let mut slots: [Option<&'a GateField>; 5] = [None; 5];
    let mut valid = true;
    let mut misspelt = false;
    for field in fields {
        let Some(k) = GATE_FIELD_NAMES.iter().position(|n| *n == field.name.name) else {
            valid = false;
            misspelt = true;
            sink.push(|| CheckError::GateFields {
                gate: gate.to_string(),
                span: field.name.span,
                problem: GateProblem::UnknownField {
                    field: field.name.name.clone(),
                    suggestion: suggest(&field.name.name, GATE_FIELD_NAMES),
                },
            });
            continue;
        };
        match slots[k] {
            Some(first) => {
                valid = false;
                sink.push(|| CheckError::GateFields {
                    gate: gate.to_string(),
                    span: field.name.span,
                    problem: GateProblem::DuplicateField {
                        field: field.name.name.clone(),
                        first: first.name.span,
                    },
                });
            }
            None => slots[k] = Some(field),
        }
    }
    let [alpha, beta, inf, tau, init] = slots;
    let problem = |problem| CheckError::GateFields {
        gate: gate.to_string(),
        span,
        problem,
    };
    let ab = alpha.or(beta);
    let it = inf.or(tau);
    let rates = match (alpha, beta, inf, tau) {
        (Some(a), Some(b), None, None) => Some(GateRates::AlphaBeta {
            alpha: &a.value,
            beta: &b.value,
        }),
        (None, None, Some(i), Some(t)) => Some(GateRates::InfTau {
            inf: &i.value,
            tau: &t.value,
        }),
        _ => {
            if let (Some(x), Some(y)) = (ab, it) {
                sink.push(|| {
                    problem(GateProblem::Mixed {
                        alpha_beta: x.span,
                        inf_tau: y.span,
                    })
                });
            } else if misspelt {
                // The misspelt field is most likely the missing one: already reported.
            } else if ab.is_some() {
                let (have, missing) = if alpha.is_some() {
                    ("alpha", "beta")
                } else {
                    ("beta", "alpha")
                };
                sink.push(|| problem(GateProblem::Missing { have, missing }));
            } else if it.is_some() {
                let (have, missing) = if inf.is_some() {
                    ("inf", "tau")
                } else {
                    ("tau", "inf")
                };
                sink.push(|| problem(GateProblem::Missing { have, missing }));
            } else if valid {
                sink.push(|| problem(GateProblem::Empty));
            }
            None
        }
    };
    GateSpec {
        rates: if valid { rates } else { None },
        init: init.map(|f| &f.value),
        fields,
    }
}

/// Collects one `on` block. Also returns the params, inputs and functions declared inside
/// it (each already reported as misplaced), for the caller to register.
fn collect_event<'a>(
    condition: &'a Expr,
    marker: Option<ast::EventMarker>,
    body: &'a [ast::Item],
    sink: &mut Sink,
) -> (EventDecl<'a>, Vec<&'a ast::Item>) {
    let mut hoisted = Vec::new();
    let mut event = EventDecl {
        condition,
        marker,
        actions: Vec::new(),
        refractory: None,
    };
    let mut refractory_span: Option<Span> = None;
    for item in body {
        match &item.kind {
            ItemKind::Assign {
                target,
                op,
                value,
                unit,
            } => {
                if let Some(unit) = unit {
                    sink.push(|| CheckError::MisplacedStatement {
                        span: unit.span,
                        what: StatementKind::DisplayUnitInEvent,
                    });
                }
                event.actions.push(ActionDecl {
                    target,
                    op: *op,
                    value,
                    span: item.span,
                })
            }
            ItemKind::Refractory { duration } => match refractory_span {
                Some(first) => sink.push(|| CheckError::DuplicateRefractory {
                    span: item.span,
                    first,
                }),
                None => {
                    refractory_span = Some(item.span);
                    event.refractory = Some(duration);
                }
            },
            ItemKind::On { .. } => sink.push(|| CheckError::MisplacedStatement {
                span: item.span,
                what: StatementKind::NestedOn,
            }),
            ItemKind::Ode { .. } => sink.push(|| CheckError::MisplacedStatement {
                span: item.span,
                what: StatementKind::Ode,
            }),
            ItemKind::Param { .. } | ItemKind::Input { .. } | ItemKind::Function { .. } => {
                sink.push(|| CheckError::MisplacedStatement {
                    span: item.span,
                    what: StatementKind::Declaration,
                });
                hoisted.push(item);
            }
            ItemKind::State { .. } | ItemKind::Gate { .. } => {
                sink.push(|| CheckError::MisplacedStatement {
                    span: item.span,
                    what: StatementKind::Declaration,
                })
            }
        }
    }
    (event, hoisted)
}

/// Resolves the target of an `on`-block assignment to a state or gate.
pub fn action_target(decls: &Decls, target: &Ident, sink: &mut Sink) -> Option<DeclId> {
    match decls.lookup(&target.name) {
        Some(id) => match decls.decls[id].kind {
            DeclKind::State | DeclKind::Gate => Some(id),
            kind => {
                sink.push(|| CheckError::AssignNotState {
                    name: target.name.clone(),
                    span: target.span,
                    kind,
                });
                None
            }
        },
        None => {
            sink.push(|| CheckError::UnknownName {
                name: target.name.clone(),
                span: target.span,
                role: NameRole::AssignTarget,
                suggestion: suggest(&target.name, decls.state_names()),
            });
            None
        }
    }
}
