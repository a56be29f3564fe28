//! Last pass: lowers every definition in dependency order (so each name's dimension is
//! known before it is used), then every equation, gate and event, checks the dimensions
//! each place requires, expands gates, and assembles the `ir::Model`.
//!
//! Gate expansion (nodes carry the gate block's span):
//! - `alpha`/`beta`: `dy/dt = alpha·(1 − y) − beta·y`, initial value `alpha/(alpha + beta)`;
//! - `inf`/`tau`: `dy/dt = (inf − y)/tau`, initial value `inf`;
//!
//! evaluated at the initial values of the states and the default inputs, unless `init` is
//! given. The expanded nodes share the field expressions (the arena is a DAG).

use crate::collect::{action_target, Decl, DeclBody, DeclId, Decls, GateRates};
use crate::error::{CheckError, DeclKind, DimContext};
use crate::lower::{bare_number, unit_mul, IrRef, Lowerer, Ty, Typed, DIMENSIONLESS_UNIT};
use crate::noise;
use crate::order::Orders;
use crate::resolve::Resolution;
use crate::sink::Sink;
use galvani_diag::{codes, Diagnostic, Span};
use galvani_ir::units::{self, internal_display_unit, Unit};
use galvani_ir::{
    Action, AssignOp, BinOp, Dim, DisplayUnit, Event, EventKind, ExprId, ExprKind as IrKind,
    GateForm, Input, InputId, Intermediate, IntermediateId, Model, Noise, NoiseId, NoiseTerm,
    Param, ParamId, State, StateId,
};
use galvani_syntax::ast::{self, BinaryOp, Expr, ExprKind, UnaryOp};

/// What lowering produced for one declaration.
#[derive(Clone, Default)]
struct Slot {
    value: Option<ExprId>,
    unit: Option<DisplayUnit>,
    derivative: Option<ExprId>,
    gate: Option<GateForm>,
    ode_span: Option<Span>,
    noise: Vec<NoiseTerm>,
}

/// The lowered rates of a gate while it is being built.
#[derive(Clone, Copy, Default)]
struct GateParts {
    first: Option<ExprId>,
    second: Option<ExprId>,
}

pub struct Built {
    pub model: Model,
    pub warnings: Vec<Diagnostic>,
}

pub fn build(
    ast: &ast::Model,
    decls: &Decls,
    res: &Resolution,
    orders: &Orders,
    sink: &mut Sink,
) -> Option<Built> {
    let n = decls.decls.len();
    let (refs, state_decls) = ir_refs(decls, orders);
    let mut lw = Lowerer::new(decls, res, sink, refs);
    let mut slots: Vec<Slot> = vec![Slot::default(); n];
    let mut gates: Vec<GateParts> = vec![GateParts::default(); n];
    for (id, d) in decls.decls.iter().enumerate() {
        if d.kind == DeclKind::Gate {
            // A gating variable is a fraction: dimensionless, known before lowering.
            lw.dims[id] = Some(Dim::NONE);
            slots[id].unit = Some(internal_display_unit(Dim::NONE));
        }
    }

    // 1. Definitions, each after everything it uses.
    for &id in &orders.definitions {
        lower_definition(&mut lw, decls, id, &mut slots, &mut gates[id]);
    }
    // 2. Equations: plain states' `dX/dt`, gates' expansions.
    let mut noises: Vec<Noise> = Vec::new();
    for &id in &state_decls {
        lower_equation(&mut lw, decls, id, &mut slots[id], gates[id], &mut noises);
    }
    // 3. Events.
    let events = lower_events(&mut lw, decls);

    let warnings = unused_functions(decls, res);
    if lw.sink.has_errors() {
        return None;
    }
    let dimensionless = lw.dimensionless;
    let exprs = std::mem::take(&mut lw.arena);
    assemble(
        ast,
        decls,
        orders,
        &state_decls,
        slots,
        exprs,
        events,
        dimensionless,
        sink,
    )
    .and_then(|mut model| {
        model.noises = noises;
        if !noise_factors_free_of_states(&model, sink) {
            return None;
        }
        event_kinds(&mut model, decls);
        Some(Built { model, warnings })
    })
}

/// Reports every noise factor that reads a state, directly or through intermediates
/// (additive noise only); true when there is none.
fn noise_factors_free_of_states(model: &Model, sink: &mut Sink) -> bool {
    let mut ok = true;
    for state in &model.states {
        for term in &state.noise {
            if let Some(read) = first_state_read(model, term.scale) {
                ok = false;
                sink.push(|| CheckError::NoiseFactorReadsState {
                    name: model.noise(term.noise).name.clone(),
                    span: term.span,
                    state: model.state(read).name.clone(),
                });
            }
        }
    }
    ok
}

/// The first state `root` reads, directly or through intermediates.
fn first_state_read(model: &Model, root: ExprId) -> Option<StateId> {
    let mut seen = vec![false; model.exprs.len()];
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut seen[id.index()], true) {
            continue;
        }
        match model.exprs.kind(id) {
            IrKind::State(s) => return Some(*s),
            IrKind::Intermediate(m) => stack.push(model.intermediate(*m).value),
            kind => galvani_ir::eval::for_each_child(kind, |c| stack.push(c)),
        }
    }
    None
}

/// The kind of each event written without `spike` or `silent`
/// ([`EventKind::default_for`] its condition).
fn event_kinds(model: &mut Model, decls: &Decls) {
    let defaults: Vec<Option<EventKind>> = model
        .events
        .iter()
        .zip(&decls.events)
        .map(|(event, decl)| decl.marker.is_none().then(|| event.default_kind(model)))
        .collect();
    for (event, kind) in model.events.iter_mut().zip(defaults) {
        if let Some(kind) = kind {
            event.kind = kind;
        }
    }
}

/// Every declaration's id in the IR (params and intermediates in dependency order, inputs
/// and states in declaration order), and the declarations that are states, gates included.
fn ir_refs(decls: &Decls, orders: &Orders) -> (Vec<Option<IrRef>>, Vec<DeclId>) {
    let mut refs: Vec<Option<IrRef>> = vec![None; decls.decls.len()];
    for (k, &id) in orders.params.iter().enumerate() {
        refs[id] = Some(IrRef::Param(ParamId(k as u32)));
    }
    for (k, &id) in orders.intermediates.iter().enumerate() {
        refs[id] = Some(IrRef::Intermediate(IntermediateId(k as u32)));
    }
    let (mut inputs, mut states) = (0u32, 0u32);
    let mut state_decls = Vec::new();
    for (id, d) in decls.decls.iter().enumerate() {
        match d.kind {
            DeclKind::Input => {
                refs[id] = Some(IrRef::Input(InputId(inputs)));
                inputs += 1;
            }
            DeclKind::State | DeclKind::Gate => {
                refs[id] = Some(IrRef::State(StateId(states)));
                states += 1;
                state_decls.push(id);
            }
            _ => {}
        }
    }
    (refs, state_decls)
}

/// Lowers the value of declaration `id` (a gate's initial value, keeping the rates it
/// lowers on the way in `gate`) and records its dimension and display unit.
fn lower_definition(
    lw: &mut Lowerer,
    decls: &Decls,
    id: DeclId,
    slots: &mut [Slot],
    gate: &mut GateParts,
) {
    let decl = decls.decls[id];
    match decl.body {
        DeclBody::Param(e)
        | DeclBody::Input(e)
        | DeclBody::State(e)
        | DeclBody::Intermediate(e) => {
            let t = lw.lower_root(e);
            let dim = lw.expect_value(&t);
            let node = lw.node(t);
            slots[id].value = Some(node);
            if let Some(dim) = dim {
                let annotated = decl
                    .display_unit
                    .and_then(|annotation| annotated_unit(lw, &decl, annotation, e, dim));
                let unit = if let Some(unit) = annotated {
                    unit
                } else if decl.kind == DeclKind::Intermediate || lw.dimensionless {
                    plain_unit(lw, dim)
                } else {
                    display_unit(lw, decls, slots, e, dim)
                };
                slots[id].unit = Some(unit);
            }
            lw.dims[id] = dim;
        }
        DeclBody::Gate(spec) => {
            let span = decl.item_span;
            let init = match (spec.init, spec.rates) {
                (Some(init), _) => {
                    let t = lw.lower_root(init);
                    require(lw, &t, Dim::NONE, gate_field(decl.name, "init"), init);
                    Some(lw.node(t))
                }
                (None, Some(GateRates::AlphaBeta { alpha, beta })) => {
                    let rate = lw.rate();
                    let a = lower_field(lw, alpha, rate, decl.name, "alpha");
                    let b = lower_field(lw, beta, rate, decl.name, "beta");
                    *gate = GateParts {
                        first: Some(a),
                        second: Some(b),
                    };
                    // alpha/(alpha + beta)
                    let sum = lw.add(IrKind::Binary(BinOp::Add, a, b), span, rate);
                    Some(lw.add(IrKind::Binary(BinOp::Div, a, sum), span, Dim::NONE))
                }
                (None, Some(GateRates::InfTau { inf, .. })) => {
                    let i = lower_field(lw, inf, Dim::NONE, decl.name, "inf");
                    gate.first = Some(i);
                    Some(i)
                }
                (None, None) => None,
            };
            slots[id].value = init;
        }
        DeclBody::Function { .. } => {}
    }
}

/// Lowers the equation of state `id` into `slot`: its `dX/dt`, checked to have the
/// dimension of the state per time, or a gate's expansion from its fields (reusing the
/// rates its initial value lowered, `parts`).
fn lower_equation(
    lw: &mut Lowerer,
    decls: &Decls,
    id: DeclId,
    slot: &mut Slot,
    parts: GateParts,
    noises: &mut Vec<Noise>,
) {
    let decl = decls.decls[id];
    let Some(IrRef::State(sid)) = lw.refs[id] else {
        return;
    };
    match decl.body {
        DeclBody::State(_) => {
            let Some(ode) = decls.odes[id] else { return };
            if noise::mentions_noise(ode.value) {
                lower_noisy_equation(lw, decls, id, slot, noises);
                return;
            }
            slot.derivative = Some(lower_derivative(lw, decls, id, ode.value));
            slot.ode_span = Some(ode.span);
        }
        DeclBody::Gate(spec) => {
            let Some(rates) = spec.rates else { return };
            let (form, derivative) = expand_gate(lw, &decl, sid, rates, parts);
            slot.gate = Some(form);
            slot.derivative = Some(derivative);
            slot.ode_span = Some(decl.item_span);
        }
        _ => {}
    }
}

/// `dX/dt = f + Σ g·xi_NAME`: `f` lowered as any equation (`0` when absent), each `g`
/// lowered and checked to give its term the dimension of `dX/dt`.
fn lower_noisy_equation(
    lw: &mut Lowerer,
    decls: &Decls,
    id: DeclId,
    slot: &mut Slot,
    noises: &mut Vec<Noise>,
) {
    let decl = decls.decls[id];
    let Some(ode) = decls.odes[id] else { return };
    let Some(split) = noise::split(ode.value, lw.sink) else {
        return;
    };
    let expected = lw.dims[id].and_then(|d| d.checked_div(lw.time()));
    let derivative = match &split.deterministic {
        Some(f) => lower_derivative(lw, decls, id, f),
        None => {
            let dim = if lw.dimensionless {
                Dim::NONE
            } else {
                expected.unwrap_or(Dim::NONE)
            };
            lw.add(IrKind::Const(0.0), ode.value.span, dim)
        }
    };
    let noise_dim = if lw.dimensionless {
        Dim::NONE
    } else {
        Dim::NOISE
    };
    for term in split.terms {
        let t = lw.lower_root(&term.factor);
        let found = lw.expect_value(&t);
        let scale = lw.node(t);
        let found = found.and_then(|g| g.checked_mul(noise_dim));
        if let (Some(expected), Some(found)) = (expected, found) {
            if expected != found && !lw.dimensionless {
                lw.sink.push(|| CheckError::NoiseDimension {
                    name: term.name.clone(),
                    state: decl.name.to_string(),
                    span: term.span,
                    found,
                    expected,
                });
            }
        }
        let noise = match noises.iter().position(|n| n.name == term.name) {
            Some(k) => NoiseId(k as u32),
            None => {
                noises.push(Noise {
                    name: term.name.clone(),
                    span: term.name_span,
                });
                NoiseId(noises.len() as u32 - 1)
            }
        };
        slot.noise.push(NoiseTerm {
            noise,
            scale,
            span: term.span,
        });
    }
    slot.derivative = Some(derivative);
    slot.ode_span = Some(ode.span);
}

/// Lowers the right-hand side `value` of state `id`'s equation, checked to have the
/// dimension of the state per time.
fn lower_derivative(lw: &mut Lowerer, decls: &Decls, id: DeclId, value: &Expr) -> ExprId {
    let decl = decls.decls[id];
    let t = lw.lower_root(value);
    let found = lw.expect_value(&t);
    let node = lw.node(t);
    if let (Some(state_dim), Some(found)) = (lw.dims[id], found) {
        let time = lw.time();
        match state_dim.checked_div(time) {
            Some(expected) if expected == found => {}
            Some(_) => lw.sink.push(|| CheckError::DerivativeDimension {
                state: decl.name.to_string(),
                span: value.span,
                state_span: decl.span,
                state_dim,
                found,
            }),
            None => lw
                .sink
                .push(|| CheckError::DimensionOverflow { span: value.span }),
        }
    }
    node
}

/// A gate's equation from its rates, its nodes spanning the gate block.
fn expand_gate(
    lw: &mut Lowerer,
    decl: &Decl,
    sid: StateId,
    rates: GateRates,
    parts: GateParts,
) -> (GateForm, ExprId) {
    let span = decl.item_span;
    let rate = lw.rate();
    match rates {
        GateRates::AlphaBeta { alpha, beta } => {
            let a = parts
                .first
                .unwrap_or_else(|| lower_field(lw, alpha, rate, decl.name, "alpha"));
            let b = parts
                .second
                .unwrap_or_else(|| lower_field(lw, beta, rate, decl.name, "beta"));
            // alpha·(1 − y) − beta·y
            let y = lw.add(IrKind::State(sid), span, Dim::NONE);
            let one = lw.add(IrKind::Const(1.0), span, Dim::NONE);
            let rest = lw.add(IrKind::Binary(BinOp::Sub, one, y), span, Dim::NONE);
            let opening = lw.add(IrKind::Binary(BinOp::Mul, a, rest), span, rate);
            let closing = lw.add(IrKind::Binary(BinOp::Mul, b, y), span, rate);
            let d = lw.add(IrKind::Binary(BinOp::Sub, opening, closing), span, rate);
            (GateForm::AlphaBeta { alpha: a, beta: b }, d)
        }
        GateRates::InfTau { inf, tau } => {
            let i = parts
                .first
                .unwrap_or_else(|| lower_field(lw, inf, Dim::NONE, decl.name, "inf"));
            let time = lw.time();
            let t = lower_field(lw, tau, time, decl.name, "tau");
            // (inf − y)/tau
            let y = lw.add(IrKind::State(sid), span, Dim::NONE);
            let gap = lw.add(IrKind::Binary(BinOp::Sub, i, y), span, Dim::NONE);
            let d = lw.add(IrKind::Binary(BinOp::Div, gap, t), span, rate);
            (GateForm::InfTau { inf: i, tau: t }, d)
        }
    }
}

/// Every `on` block: its condition, its assignments (each checked to have the dimension of
/// the state it assigns) and its refractory period.
fn lower_events(lw: &mut Lowerer, decls: &Decls) -> Vec<Event> {
    let mut events = Vec::with_capacity(decls.events.len());
    for event in &decls.events {
        let (condition, hazard) = match crate::noise::hazard_rate(event.condition) {
            // Escape noise: the rate, 1/time, and the condition `RATE > 0`.
            Some(Ok(rate)) => {
                let t = lw.lower_root(rate);
                let expected = lw.rate();
                require(lw, &t, expected, DimContext::HazardRate, rate);
                let rate = lw.node(t);
                let span = event.condition.span;
                let dim = lw.arena.dim(rate);
                let zero = lw.add(IrKind::Const(0.0), span, dim);
                let positive = lw.add(IrKind::Binary(BinOp::Gt, rate, zero), span, Dim::NONE);
                (positive, Some(rate))
            }
            // Reported when names were resolved.
            Some(Err(_)) => continue,
            None => {
                let c = lw.lower_root(event.condition);
                lw.expect_bool(&c);
                (lw.node(c), None)
            }
        };
        let mut actions = Vec::with_capacity(event.actions.len());
        for a in &event.actions {
            let target = action_target(decls, a.target, lw.sink);
            let t = lw.lower_root(a.value);
            let found = lw.expect_value(&t);
            let value = lw.node(t);
            let Some(target) = target else { continue };
            let Some(IrRef::State(state)) = lw.refs[target] else {
                continue;
            };
            if let (Some(expected), Some(found)) = (lw.dims[target], found) {
                if expected != found {
                    lw.sink.push(|| CheckError::WrongDimension {
                        context: DimContext::Assignment {
                            state: a.target.name.clone(),
                        },
                        span: a.value.span,
                        expected,
                        found,
                        bare_number: bare_number(a.value),
                    });
                }
            }
            let op = match a.op {
                ast::AssignOp::Set => AssignOp::Set,
                ast::AssignOp::Add => AssignOp::Add,
                ast::AssignOp::Sub => AssignOp::Sub,
            };
            actions.push(Action {
                state,
                op,
                value,
                span: a.span,
            });
        }
        let refractory = event.refractory.map(|r| {
            let t = lw.lower_root(r);
            let time = lw.time();
            require(lw, &t, time, DimContext::Refractory, r);
            lw.node(t)
        });
        events.push(Event {
            condition,
            // The default needs the whole model (intermediates): see `event_kinds`.
            kind: match event.marker {
                Some(marker) if !marker.spike => EventKind::Silent,
                _ => EventKind::Spike,
            },
            actions,
            refractory,
            span: event.condition.span,
            hazard,
        });
    }
    events
}

fn gate_field(gate: &str, field: &'static str) -> DimContext {
    DimContext::GateField {
        gate: gate.to_string(),
        field,
    }
}

/// Lowers a gate field and checks its required dimension.
fn lower_field(
    lw: &mut Lowerer,
    e: &Expr,
    expected: Dim,
    gate: &str,
    field: &'static str,
) -> ExprId {
    let t = lw.lower_root(e);
    require(lw, &t, expected, gate_field(gate, field), e);
    lw.node(t)
}

/// Reports `t` unless it is a number of dimension `expected`.
fn require(lw: &mut Lowerer, t: &Typed, expected: Dim, context: DimContext, e: &Expr) {
    let Some(found) = lw.expect_value(t) else {
        return;
    };
    if found != expected && t.ty != Ty::Unknown {
        lw.sink.push(|| CheckError::WrongDimension {
            context,
            span: e.span,
            expected,
            found,
            bare_number: bare_number(e),
        });
    }
}

/// An intermediate's `: UNIT` (`I_Na = … : nA`) as its display unit, when every name in
/// it is a unit (unknown ones were reported when names were resolved) and its dimension
/// is the value's; a unit of another dimension is reported here, with a unit that fits.
fn annotated_unit(
    lw: &mut Lowerer,
    decl: &Decl,
    annotation: &ast::UnitAnnotation,
    value: &Expr,
    dim: Dim,
) -> Option<DisplayUnit> {
    let mut unit = DIMENSIONLESS_UNIT;
    for factor in &annotation.factors {
        let power = if factor.divide {
            factor.unit.exponent.checked_neg()?
        } else {
            factor.unit.exponent
        };
        let named = units::lookup(&factor.unit.name)?;
        let Some(product) = named.powi(power).and_then(|u| mul_units(unit, u)) else {
            lw.sink.push(|| CheckError::DimensionOverflow {
                span: annotation.span,
            });
            return None;
        };
        unit = product;
    }
    if unit.dim != dim {
        lw.sink.push(|| CheckError::DisplayUnitDimension {
            name: decl.name.to_string(),
            span: annotation.span,
            unit: annotation.text.clone(),
            unit_dim: unit.dim,
            value_span: value.span,
            value_dim: dim,
        });
        return None;
    }
    // `: 1` is a dimensionless value's unit, printed as nothing (as for a plain number).
    let text = if annotation.factors.is_empty() {
        String::new()
    } else {
        annotation.text.clone()
    };
    Some(DisplayUnit {
        text,
        dim,
        scale: unit.scale(),
    })
}

fn plain_unit(lw: &mut Lowerer, dim: Dim) -> DisplayUnit {
    let dim = if lw.dimensionless { Dim::NONE } else { dim };
    lw.units
        .entry(dim)
        .or_insert_with(|| internal_display_unit(dim))
        .clone()
}

/// The unit a param/input/state is reported in: the unit its value was written in
/// (`10 Mohm` → `Mohm`, `120 mS/cm^2` → `mS/cm^2`, `0.1/(ms*mV)` → `1/(ms*mV)`), the
/// unit of the declaration it copies (`state V = E_L`), else the internal unit.
fn display_unit(
    lw: &mut Lowerer,
    decls: &Decls,
    slots: &[Slot],
    e: &Expr,
    dim: Dim,
) -> DisplayUnit {
    let mut inner = e;
    while let ExprKind::Unary {
        op: UnaryOp::Neg,
        operand,
    } = &inner.kind
    {
        inner = operand;
    }
    if let ExprKind::Name(name) = &inner.kind {
        if let Some(id) = decls.lookup(name) {
            if matches!(
                decls.decls[id].kind,
                DeclKind::Param | DeclKind::Input | DeclKind::State
            ) {
                if let Some(unit) = slots[id].unit.as_ref().filter(|u| u.dim == dim) {
                    return unit.clone();
                }
            }
        }
    }
    if let Some((text, unit)) = written_unit(inner, decls) {
        if unit.dim == dim {
            return DisplayUnit {
                text,
                dim,
                scale: unit.scale(),
            };
        }
    }
    plain_unit(lw, dim)
}

/// `N unit (op unit-term)*` or `N (op unit-term)+` → the unit as written and its value.
fn written_unit(e: &Expr, decls: &Decls) -> Option<(String, Unit)> {
    let mut spine: Vec<(BinaryOp, &Expr)> = Vec::new();
    let mut leaf = e;
    while let ExprKind::Binary { op, lhs, rhs } = &leaf.kind {
        if !matches!(op, BinaryOp::Mul | BinaryOp::Div) {
            break;
        }
        spine.push((*op, rhs));
        leaf = lhs;
    }
    let (mut text, mut unit) = match &leaf.kind {
        ExprKind::Quantity { unit, .. } => (
            suffix_text(&unit.name, unit.exponent),
            units::lookup(&unit.name)?.powi(unit.exponent)?,
        ),
        ExprKind::Number { .. } if !spine.is_empty() => (String::new(), DIMENSIONLESS_UNIT),
        _ => return None,
    };
    for (op, rhs) in spine.iter().rev() {
        let (term, u, grouped) = unit_term(rhs, decls, 0)?;
        let term = if grouped { format!("({term})") } else { term };
        match op {
            BinaryOp::Mul => {
                unit = mul_units(unit, u)?;
                text = if text.is_empty() {
                    term
                } else {
                    format!("{text}*{term}")
                };
            }
            _ => {
                unit = mul_units(unit, u.powi(-1)?)?;
                text = if text.is_empty() {
                    format!("1/{term}")
                } else {
                    format!("{text}/{term}")
                };
            }
        }
    }
    Some((text, unit))
}

fn suffix_text(name: &str, exponent: i32) -> String {
    if exponent == 1 {
        name.to_string()
    } else {
        format!("{name}^{exponent}")
    }
}

fn mul_units(a: Unit, b: Unit) -> Option<Unit> {
    unit_mul(a, b)
}

/// A product of unit names (not shadowed by model names), possibly with integer powers:
/// its text, unit, and whether it is a compound that needs parentheses after `/`.
fn unit_term(e: &Expr, decls: &Decls, depth: usize) -> Option<(String, Unit, bool)> {
    if depth > 16 {
        return None;
    }
    let unit_name = |e: &Expr| -> Option<(String, Unit)> {
        match &e.kind {
            ExprKind::Name(n) if decls.lookup(n).is_none() => Some((n.clone(), units::lookup(n)?)),
            _ => None,
        }
    };
    match &e.kind {
        ExprKind::Name(_) => unit_name(e).map(|(t, u)| (t, u, false)),
        ExprKind::Binary {
            op: BinaryOp::Pow,
            lhs,
            rhs,
        } => {
            let (name, u) = unit_name(lhs)?;
            let k = match &rhs.kind {
                ExprKind::Number { value, .. } => *value,
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand,
                } => match &operand.kind {
                    ExprKind::Number { value, .. } => -*value,
                    _ => return None,
                },
                _ => return None,
            };
            if k.fract() != 0.0 || k.abs() > 64.0 {
                return None;
            }
            let k = k as i32;
            Some((format!("{name}^{k}"), u.powi(k)?, false))
        }
        ExprKind::Binary { op, lhs, rhs } if matches!(op, BinaryOp::Mul | BinaryOp::Div) => {
            let (a, ua, _) = unit_term(lhs, decls, depth + 1)?;
            let (b, ub, grouped) = unit_term(rhs, decls, depth + 1)?;
            let b = if grouped { format!("({b})") } else { b };
            if *op == BinaryOp::Mul {
                Some((format!("{a}*{b}"), mul_units(ua, ub)?, true))
            } else {
                Some((format!("{a}/{b}"), mul_units(ua, ub.powi(-1)?)?, true))
            }
        }
        _ => None,
    }
}

fn unused_functions(decls: &Decls, res: &Resolution) -> Vec<Diagnostic> {
    decls
        .decls
        .iter()
        .enumerate()
        .filter(|(id, d)| d.kind == DeclKind::Function && !res.function_used[*id])
        .map(|(_, d)| {
            Diagnostic::warning(
                codes::UNUSED_FUNCTION,
                format!("function `{}` is never used", d.name),
            )
                .with_primary(d.span, "never called")
                .with_note(
                    "its body was checked for names but not for dimensions, which depend on the arguments of each call",
                )
        })
        .collect()
}

/// Puts the lowered pieces into an `ir::Model`. Every slot is filled when no error was
/// reported; a missing one is an internal error.
#[allow(clippy::too_many_arguments)]
fn assemble(
    ast: &ast::Model,
    decls: &Decls,
    orders: &Orders,
    state_decls: &[DeclId],
    slots: Vec<Slot>,
    exprs: galvani_ir::ExprArena,
    events: Vec<Event>,
    dimensionless: bool,
    sink: &mut Sink,
) -> Option<Model> {
    let missing = |sink: &mut Sink, what: &str, name: &str| {
        sink.push(|| CheckError::Internal {
            message: format!("{what} of `{name}` was not lowered"),
        });
    };
    let mut model = Model {
        name: ast.name.name.clone(),
        description: ast.description.as_ref().map(|d| d.0.clone()),
        dimensionless,
        exprs,
        params: Vec::new(),
        inputs: Vec::new(),
        states: Vec::new(),
        intermediates: Vec::new(),
        events,
        init_order: Vec::new(),
        noises: Vec::new(),
    };
    for &id in &orders.params {
        let (d, s) = (decls.decls[id], &slots[id]);
        let (Some(value), Some(unit)) = (s.value, s.unit.clone()) else {
            missing(sink, "the value", d.name);
            return None;
        };
        model.params.push(Param {
            name: d.name.to_string(),
            value,
            unit,
            span: d.span,
        });
    }
    for (id, d) in decls.decls.iter().enumerate() {
        if d.kind != DeclKind::Input {
            continue;
        }
        let (Some(default), Some(unit)) = (slots[id].value, slots[id].unit.clone()) else {
            missing(sink, "the default", d.name);
            return None;
        };
        model.inputs.push(Input {
            name: d.name.to_string(),
            default,
            unit,
            span: d.span,
        });
    }
    for &id in state_decls {
        let (d, s) = (decls.decls[id], &slots[id]);
        let (Some(init), Some(derivative), Some(unit), Some(ode_span)) =
            (s.value, s.derivative, s.unit.clone(), s.ode_span)
        else {
            missing(sink, "the equation", d.name);
            return None;
        };
        model.states.push(State {
            name: d.name.to_string(),
            init,
            derivative,
            unit,
            gate: s.gate.clone(),
            span: d.span,
            ode_span,
            noise: s.noise.clone(),
        });
    }
    for &id in &orders.intermediates {
        let (d, s) = (decls.decls[id], &slots[id]);
        let (Some(value), Some(unit)) = (s.value, s.unit.clone()) else {
            missing(sink, "the value", d.name);
            return None;
        };
        model.intermediates.push(Intermediate {
            name: d.name.to_string(),
            value,
            unit,
            span: d.span,
        });
    }
    let position: std::collections::HashMap<DeclId, u32> = state_decls
        .iter()
        .enumerate()
        .map(|(k, &id)| (id, k as u32))
        .collect();
    model.init_order = orders
        .init
        .iter()
        .filter_map(|id| position.get(id).map(|&k| StateId(k)))
        .collect();
    Some(model)
}
