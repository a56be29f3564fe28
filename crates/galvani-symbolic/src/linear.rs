//! Linearity analysis: every ODE `dy/dt = f` rearranged into `dy/dt = A − B·y`.
//!
//! - `B = −∂f/∂y`, simplified.
//! - The equation is *linear in y* when `B` does not depend on `y` (so `∂B/∂y ≡ 0`) and
//!   `f` is smooth in `y` on the whole real line: `y` appears in no piecewise construct
//!   (an `if` condition, `abs`, `min`, `max`) and in no singular one (a denominator, a
//!   root, a logarithm). The second condition matters: `y + (if y > 0 then 1 else 0)`
//!   has derivative 1 wherever it exists, and `y·(a/y + a)` has a hole at `y = 0`.
//! - Then `A = f + B·y`, which for an affine `f` is `f` at `y = 0`: computing it as
//!   `f[y ↦ 0]` guarantees `A` contains no `y` without needing to expand products.
//! - Otherwise the equation is *nonlinear*; `B(y) = −∂f/∂y` and `A(y) = f + B·y` are
//!   kept (the exponential Rosenbrock–Euler method evaluates them at the current state),
//!   and the reason names the sub-term that breaks linearity.
//!
//! Gates get their teaching forms in terms of named rates: `A = α_m`, `B = α_m + β_m`,
//! `m∞ = α_m/(α_m + β_m)`, `τ_m = 1/(α_m + β_m)` (or `m∞/τ_m`, `1/τ_m` for inf/tau
//! gates), derived by the same engine from `α̂·(1 − m) − β̂·m` with `α̂`, `β̂` as symbols
//! and checked to agree with the concrete forms.

use crate::dag::{children_of, Dag, GateField, Node, NodeId, Sym, SymDims};
use crate::lower::Lowerer;
use crate::SymbolicError;
use galvani_diag::Span;
use galvani_ir::{
    AssignOp, BinOp, Dim, EventKind, ExprId, ExprKind, GateForm, Model, NoiseId, StateId,
};
use std::collections::{HashMap, HashSet};

/// How an equation is classified.
#[derive(Clone, Debug, PartialEq)]
pub enum Class {
    Linear,
    /// `reason` names the sub-term (`v appears in 0.04 * v^2, which is not linear in v`),
    /// `span` is where it is written.
    Nonlinear {
        reason: String,
        span: Span,
    },
}

impl Class {
    pub fn is_linear(&self) -> bool {
        matches!(self, Class::Linear)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateKind {
    AlphaBeta,
    InfTau,
}

/// The teaching forms of a gate, written with its named fields (`Sym::Gate`).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedForms {
    /// `α̂·(1 − y) − β̂·y` or `(ŷ∞ − y)/τ̂`.
    pub f: NodeId,
    pub a: NodeId,
    pub b: NodeId,
    pub steady_state: NodeId,
    pub tau: NodeId,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GateInfo {
    pub kind: GateKind,
    /// The fields as written (alpha, beta or inf, tau), simplified.
    pub fields: Vec<(GateField, NodeId)>,
    /// Present when the fields do not depend on the gate itself (the usual case) and
    /// the named forms agree with the concrete `A` and `B`.
    pub named: Option<NamedForms>,
}

/// The analysis of one state's equation.
#[derive(Clone, Debug, PartialEq)]
pub struct StateForm {
    pub state: StateId,
    pub name: String,
    /// The equation as written (`dNAME/dt`'s right-hand side, or the gate's expansion).
    pub written: ExprId,
    /// `f`, simplified, intermediates substituted.
    pub f: NodeId,
    pub class: Class,
    /// `A` (free of y when linear).
    pub a: NodeId,
    /// `B = −∂f/∂y` (free of y when linear).
    pub b: NodeId,
    /// `A/B` and `1/B` for a linear equation whose `B` is not identically 0.
    pub steady_state: Option<NodeId>,
    pub tau: Option<NodeId>,
    pub gate: Option<GateInfo>,
    /// The white-noise terms `g·xi_NAME` (not part of `f`), factors simplified with
    /// intermediates substituted; they never read a state (checked).
    pub noise: Vec<NoiseForm>,
}

/// One noise term of an equation: `scale · noise`.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseForm {
    pub noise: NoiseId,
    pub scale: NodeId,
}

/// A removable singularity rewritten with `exprel`. Only what was found: the views
/// (`galvani-views`) write the texts and the warning.
#[derive(Clone, Debug, PartialEq)]
pub struct Rewrite {
    /// Where the expression is written.
    pub span: Span,
    /// The expression as written.
    pub written: ExprId,
    /// The simplified, finite form.
    pub after: NodeId,
    /// The singular point as a symbol and an internal value, when it is a single value of
    /// one symbol (`V = -40 mV`).
    pub singular_point: Option<(Sym, f64)>,
}

/// How much sharing the DAG gives the expressions of `A` and `B` of all states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CseStats {
    /// Nodes written out as separate trees (each use counted).
    pub tree_nodes: u64,
    /// Distinct nodes actually computed.
    pub dag_nodes: usize,
    /// Distinct non-leaf subexpressions used more than once (computed once each).
    pub shared: usize,
}

/// One event, lowered.
#[derive(Clone, Debug, PartialEq)]
pub struct EventForms {
    pub condition: NodeId,
    /// Spike or silent, as the checker decided.
    pub kind: EventKind,
    pub actions: Vec<(StateId, AssignOp, NodeId)>,
    pub refractory: Option<NodeId>,
    /// The rate of an escape-noise event (`on hazard(RATE)`).
    pub hazard: Option<NodeId>,
}

/// A whole model after linearity analysis: the input of discretisation and `explain`.
#[derive(Clone, Debug)]
pub struct Linearized {
    pub(crate) model: Model,
    pub(crate) dag: Dag,
    pub states: Vec<StateForm>,
    /// Param values (referring to earlier params as `Sym::Param`).
    pub params: Vec<NodeId>,
    /// Input defaults (referring to params).
    pub input_defaults: Vec<NodeId>,
    /// Initial values as written (may refer to params, inputs, `t`, other states).
    pub inits: Vec<NodeId>,
    /// Intermediates, substituted and simplified.
    pub intermediates: Vec<NodeId>,
    pub events: Vec<EventForms>,
    pub rewrites: Vec<Rewrite>,
    pub cse: CseStats,
}

impl Linearized {
    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// The dimension of time in this model.
    pub fn time_dim(&self) -> Dim {
        time_dim(&self.model)
    }

    /// Checks the contract of the analysis: for every linear equation `A` and `B` do not
    /// depend on `y`; for every equation `A` has the dimension of `y`/time and `B` of
    /// 1/time; every nonlinear equation has a reason.
    pub fn verify(&self) -> Result<(), SymbolicError> {
        let time = self.time_dim();
        let rate = Dim::NONE.checked_div(time).unwrap_or(Dim::NONE);
        for form in &self.states {
            let y = Sym::State(form.state.0);
            let fail = |problem: String| SymbolicError::VerifyFailed {
                state: form.name.clone(),
                problem,
            };
            let y_dim = self.dag.sym_dim(y);
            let expected_a = y_dim.checked_div(time).unwrap_or(Dim::NONE);
            if self.dag.dim(form.a) != expected_a {
                return Err(fail(format!(
                    "A has dimension {} instead of {}",
                    self.dag.dim(form.a),
                    expected_a
                )));
            }
            if self.dag.dim(form.b) != rate {
                return Err(fail(format!(
                    "B has dimension {} instead of {}",
                    self.dag.dim(form.b),
                    rate
                )));
            }
            match &form.class {
                Class::Linear => {
                    if self.dag.depends_on(form.a, y) {
                        return Err(fail(format!("A depends on {}", form.name)));
                    }
                    if self.dag.depends_on(form.b, y) {
                        return Err(fail(format!("B depends on {}", form.name)));
                    }
                }
                Class::Nonlinear { reason, .. } => {
                    if reason.is_empty() {
                        return Err(fail("a nonlinear equation without a reason".to_string()));
                    }
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn time_dim(model: &Model) -> Dim {
    if model.dimensionless {
        Dim::NONE
    } else {
        Dim::TIME
    }
}

/// The dimension of an arena expression (`Dim::NONE` for an id out of range, which
/// lowering then reports).
fn expr_dim(model: &Model, id: ExprId) -> Dim {
    model
        .exprs
        .nodes
        .get(id.index())
        .map(|n| n.dim)
        .unwrap_or(Dim::NONE)
}

pub(crate) fn sym_dims(model: &Model) -> SymDims {
    SymDims {
        params: model
            .params
            .iter()
            .map(|p| expr_dim(model, p.value))
            .collect(),
        inputs: model
            .inputs
            .iter()
            .map(|i| expr_dim(model, i.default))
            .collect(),
        states: model
            .states
            .iter()
            .map(|s| expr_dim(model, s.init))
            .collect(),
        time: time_dim(model),
    }
}

/// Analyses every equation of a checked model.
pub fn linearize(model: &Model) -> Result<Linearized, SymbolicError> {
    let mut dag = Dag::new(sym_dims(model));
    let mut lowerer = Lowerer::new(model);
    let params = model
        .params
        .iter()
        .map(|p| lowerer.lower(&mut dag, p.value))
        .collect::<Result<Vec<_>, _>>()?;
    let input_defaults = model
        .inputs
        .iter()
        .map(|i| lowerer.lower(&mut dag, i.default))
        .collect::<Result<Vec<_>, _>>()?;
    let inits = model
        .states
        .iter()
        .map(|s| lowerer.lower(&mut dag, s.init))
        .collect::<Result<Vec<_>, _>>()?;
    let intermediates = model
        .intermediates
        .iter()
        .map(|m| lowerer.lower(&mut dag, m.value))
        .collect::<Result<Vec<_>, _>>()?;
    let mut events = Vec::with_capacity(model.events.len());
    for event in &model.events {
        let condition = lowerer.lower(&mut dag, event.condition)?;
        let mut actions = Vec::with_capacity(event.actions.len());
        for action in &event.actions {
            if action.state.index() >= model.states.len() {
                return Err(SymbolicError::MalformedModel {
                    what: format!("action on state #{} out of range", action.state.0),
                });
            }
            actions.push((
                action.state,
                action.op,
                lowerer.lower(&mut dag, action.value)?,
            ));
        }
        let refractory = match event.refractory {
            Some(r) => Some(lowerer.lower(&mut dag, r)?),
            None => None,
        };
        let hazard = match event.hazard {
            Some(rate) => Some(lowerer.lower(&mut dag, rate)?),
            None => None,
        };
        events.push(EventForms {
            condition,
            kind: event.kind,
            actions,
            refractory,
            hazard,
        });
    }

    let mut states = Vec::with_capacity(model.states.len());
    for (index, state) in model.states.iter().enumerate() {
        let id = StateId(index as u32);
        let f = lowerer.lower(&mut dag, state.derivative)?;
        let mut form = analyse(&mut dag, model, &mut lowerer, id, f)?;
        form.gate = gate_info(&mut dag, &mut lowerer, id, state.gate.as_ref(), &form)?;
        for term in &state.noise {
            if term.noise.index() >= model.noises.len() {
                return Err(SymbolicError::MalformedModel {
                    what: format!("noise #{} out of range", term.noise.0),
                });
            }
            form.noise.push(NoiseForm {
                noise: term.noise,
                scale: lowerer.lower(&mut dag, term.scale)?,
            });
        }
        states.push(form);
    }

    let rewrites = collect_rewrites(&mut dag, model, &lowerer);
    let roots: Vec<NodeId> = states.iter().flat_map(|s| [s.a, s.b]).collect();
    let cse = cse_stats(&dag, &roots);
    Ok(Linearized {
        model: model.clone(),
        dag,
        states,
        params,
        input_defaults,
        inits,
        intermediates,
        events,
        rewrites,
        cse,
    })
}

/// `B = −∂f/∂y`; linear when `B` is free of `y` and nothing in `f` stops `f` from being
/// an entire function of `y` (see [`obstruction`]).
pub(crate) fn is_linear_in(dag: &mut Dag, f: NodeId, y: Sym) -> (bool, NodeId) {
    let derivative = dag.diff(f, y);
    let b = dag.neg(derivative);
    let linear = !dag.depends_on(b, y) && obstruction(dag, f, y).is_none();
    (linear, b)
}

/// A node of `f` that keeps `f` from being smooth in `y` on the whole real line: a
/// piecewise use (an `if` whose condition depends on `y`, `abs`/`min`/`max` of `y`) or a
/// singular one (a negative or fractional power, `sqrt`, `log`, `log1p` of something
/// that depends on `y`).
///
/// Why it matters: when `f` is smooth in `y` everywhere and `∂f/∂y` does not depend on
/// `y`, `f` is affine in `y` and `A = f[y ↦ 0]` is exact. Both conditions are needed:
/// `y + (if y > 0 then 1 else 0)` has derivative 1 wherever it exists, and
/// `y·(a/y + a)` (= `a + a·y` for `y ≠ 0`) has a hole exactly at `y = 0`. Equations with
/// such uses are classified nonlinear, which is always safe.
pub(crate) fn obstruction(dag: &Dag, f: NodeId, y: Sym) -> Option<NodeId> {
    let mut seen: HashSet<NodeId> = HashSet::new();
    let mut stack = vec![f];
    while let Some(id) = stack.pop() {
        if !dag.depends_on(id, y) || !seen.insert(id) {
            continue;
        }
        match dag.node(id) {
            Node::If(c, ..) if dag.depends_on(*c, y) => return Some(id),
            // a kink (`abs`, `min`, `max`) or a domain boundary (`sqrt`, `log`, `log1p`)
            Node::Call(func, _) if !func.spec().smooth_everywhere => return Some(id),
            Node::Logic(..) | Node::Not(_) => return Some(id),
            Node::Pow(base, exponent) if dag.depends_on(*base, y) => {
                let natural = dag
                    .const_value(*exponent)
                    .is_some_and(|e| e >= 0.0 && e.fract() == 0.0);
                if !natural {
                    return Some(id);
                }
                stack.push(*base);
            }
            node => stack.extend(children_of(node)),
        }
    }
    None
}

/// Terms `distribute` may create before it gives up (products of sums multiply out
/// exponentially; A of a nonlinear equation is only ever a few terms).
const DISTRIBUTE_BUDGET: usize = 64;

/// Multiplies products of sums out: `a·(b + c)·d = a·b·d + a·c·d`, recursively, then lets
/// the simplifier collect like terms. Returns `id` unchanged when more than `budget`
/// terms would be made.
pub(crate) fn distribute(dag: &mut Dag, id: NodeId, budget: &mut usize) -> NodeId {
    match dag.node(id).clone() {
        Node::Add(terms) => {
            let terms = terms
                .into_iter()
                .map(|t| distribute(dag, t, budget))
                .collect();
            dag.add(terms)
        }
        Node::Mul(factors) => {
            let Some((at, sum)) =
                factors
                    .iter()
                    .enumerate()
                    .find_map(|(at, f)| match dag.node(*f) {
                        Node::Add(sum) => Some((at, sum.clone())),
                        _ => None,
                    })
            else {
                return id;
            };
            if *budget < sum.len() {
                return id;
            }
            *budget -= sum.len();
            let mut terms = Vec::with_capacity(sum.len());
            for term in sum {
                let mut product = factors.clone();
                product[at] = term;
                let product = dag.mul(product);
                terms.push(distribute(dag, product, budget));
            }
            dag.add(terms)
        }
        _ => id,
    }
}

fn analyse(
    dag: &mut Dag,
    model: &Model,
    lowerer: &mut Lowerer,
    id: StateId,
    f: NodeId,
) -> Result<StateForm, SymbolicError> {
    let state = &model.states[id.index()];
    let y = Sym::State(id.0);
    let (linear, b) = is_linear_in(dag, f, y);
    let (class, a) = if linear {
        // A = f + B·y = f[y ↦ 0] for an affine f
        let zero = dag.zero(dag.sym_dim(y));
        let a = dag.substitute(f, &HashMap::from([(y, zero)]));
        (Class::Linear, a)
    } else {
        let y_node = dag.sym(y);
        let b_y = dag.mul(vec![b, y_node]);
        let a = dag.add(vec![f, b_y]);
        // A = f + B·y mixes f's terms with B·y's (`v·(−0.08·v − 5)` beside `5·v` and
        // `0.04·v²`); multiplied out, like terms cancel. Kept only when smaller.
        let mut budget = DISTRIBUTE_BUDGET;
        let expanded = distribute(dag, a, &mut budget);
        let a = if dag.size(expanded) < dag.size(a) {
            expanded
        } else {
            a
        };
        let (reason, span) = nonlinearity_reason(dag, model, lowerer, state.derivative, id)?;
        (Class::Nonlinear { reason, span }, a)
    };
    let (steady_state, tau) = if linear && !dag.is_const(b, 0.0) {
        let steady = dag.div(a, b);
        let tau = dag.powf(b, -1.0);
        (Some(steady), Some(tau))
    } else {
        (None, None)
    };
    Ok(StateForm {
        state: id,
        name: state.name.clone(),
        written: state.derivative,
        f,
        class,
        a,
        b,
        steady_state,
        tau,
        gate: None,
        noise: Vec::new(),
    })
}

/// Walks the equation as written down to the smallest sum term or product factor that
/// is not linear in `y` (through intermediates, negations, sums, and products or
/// quotients by `y`-free factors), and names it.
fn nonlinearity_reason(
    dag: &mut Dag,
    model: &Model,
    lowerer: &mut Lowerer,
    root: ExprId,
    state: StateId,
) -> Result<(String, Span), SymbolicError> {
    let y = Sym::State(state.0);
    let nonlinear = |dag: &mut Dag, lowerer: &mut Lowerer, e: ExprId| {
        lowerer
            .lower(dag, e)
            .map(|node| !is_linear_in(dag, node, y).0)
    };
    let mut current = root;
    let mut via: Option<String> = None;
    // Each step moves to a strictly smaller subexpression or into an intermediate
    // (intermediates are acyclic), so this ends.
    for _ in 0..100_000 {
        let next = match model.exprs.kind(current) {
            ExprKind::Intermediate(i) => {
                let m = &model.intermediates[i.index()];
                via = Some(m.name.clone());
                Some(m.value)
            }
            ExprKind::Neg(a) => Some(*a),
            ExprKind::Binary(BinOp::Add | BinOp::Sub, a, b) => {
                if nonlinear(dag, lowerer, *a)? {
                    Some(*a)
                } else if nonlinear(dag, lowerer, *b)? {
                    Some(*b)
                } else {
                    None
                }
            }
            // A product is a term of its own (`0.04 * v^2`), unless it scales a sum
            // (`(…)/c_m`, `k * (a + b)`), whose terms are then examined.
            ExprKind::Binary(BinOp::Mul, a, b) => {
                let a_node = lowerer.lower(dag, *a)?;
                let b_node = lowerer.lower(dag, *b)?;
                let varying = match (dag.depends_on(a_node, y), dag.depends_on(b_node, y)) {
                    (false, true) => Some(*b),
                    (true, false) => Some(*a),
                    _ => None,
                };
                varying.filter(|e| is_sum(model, *e))
            }
            ExprKind::Binary(BinOp::Div, a, b) => {
                let b_node = lowerer.lower(dag, *b)?;
                if !dag.depends_on(b_node, y) {
                    Some(*a)
                } else {
                    None
                }
            }
            _ => None,
        };
        match next {
            Some(e) => current = e,
            None => break,
        }
    }
    let name = &model.states[state.index()].name;
    let term = galvani_ir::text::expr_to_string(model, current);
    let mut reason = format!("{name} appears in {term}, which is not linear in {name}");
    if let Some(via) = via {
        reason.push_str(&format!(" (in the intermediate {via})"));
    }
    Ok((reason, model.exprs.span(current)))
}

/// A sum or difference, possibly negated or named by an intermediate.
fn is_sum(model: &Model, mut e: ExprId) -> bool {
    for _ in 0..model.exprs.len().max(1) {
        match model.exprs.kind(e) {
            ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => return true,
            ExprKind::Neg(a) => e = *a,
            ExprKind::Intermediate(i) => match model.intermediates.get(i.index()) {
                Some(m) => e = m.value,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

fn gate_info(
    dag: &mut Dag,
    lowerer: &mut Lowerer,
    id: StateId,
    gate: Option<&GateForm>,
    form: &StateForm,
) -> Result<Option<GateInfo>, SymbolicError> {
    let Some(gate) = gate else { return Ok(None) };
    let y = Sym::State(id.0);
    let y_node = dag.sym(y);
    let one = dag.one();
    let (kind, fields, abstract_f) = match gate {
        GateForm::AlphaBeta { alpha, beta } => {
            let alpha = lowerer.lower(dag, *alpha)?;
            let beta = lowerer.lower(dag, *beta)?;
            let alpha_hat = dag.sym(Sym::Gate(id.0, GateField::Alpha));
            let beta_hat = dag.sym(Sym::Gate(id.0, GateField::Beta));
            // α̂·(1 − y) − β̂·y
            let rest = dag.sub(one, y_node);
            let opening = dag.mul(vec![alpha_hat, rest]);
            let closing = dag.mul(vec![beta_hat, y_node]);
            let f = dag.sub(opening, closing);
            (
                GateKind::AlphaBeta,
                vec![(GateField::Alpha, alpha), (GateField::Beta, beta)],
                f,
            )
        }
        GateForm::InfTau { inf, tau } => {
            let inf = lowerer.lower(dag, *inf)?;
            let tau = lowerer.lower(dag, *tau)?;
            let inf_hat = dag.sym(Sym::Gate(id.0, GateField::Inf));
            let tau_hat = dag.sym(Sym::Gate(id.0, GateField::Tau));
            // (ŷ∞ − y)/τ̂
            let gap = dag.sub(inf_hat, y_node);
            let f = dag.div(gap, tau_hat);
            (
                GateKind::InfTau,
                vec![(GateField::Inf, inf), (GateField::Tau, tau)],
                f,
            )
        }
    };
    let fields_free = fields.iter().all(|(_, n)| !dag.depends_on(*n, y));
    let mut named = None;
    if fields_free && form.class.is_linear() {
        let (linear, b_hat) = is_linear_in(dag, abstract_f, y);
        let zero = dag.zero(Dim::NONE);
        let a_hat = dag.substitute(abstract_f, &HashMap::from([(y, zero)]));
        let back: HashMap<Sym, NodeId> = fields
            .iter()
            .map(|(field, node)| (Sym::Gate(id.0, *field), *node))
            .collect();
        let a_back = dag.substitute(a_hat, &back);
        let b_back = dag.substitute(b_hat, &back);
        if linear && a_back == form.a && b_back == form.b {
            let steady_state = dag.div(a_hat, b_hat);
            let tau = dag.powf(b_hat, -1.0);
            named = Some(NamedForms {
                f: abstract_f,
                a: a_hat,
                b: b_hat,
                steady_state,
                tau,
            });
        }
    }
    Ok(Some(GateInfo {
        kind,
        fields,
        named,
    }))
}

fn collect_rewrites(dag: &mut Dag, model: &Model, lowerer: &Lowerer) -> Vec<Rewrite> {
    let hits = dag.singular_hits.clone();
    let mut seen: HashSet<Option<NodeId>> = HashSet::new();
    let mut rewrites = Vec::new();
    for hit in hits {
        if !seen.insert(hit.context) {
            continue;
        }
        let origin = hit
            .context
            .and_then(|raw| lowerer.origin.get(&raw).copied());
        let Some(origin) = origin else { continue };
        let after_node = hit
            .context
            .and_then(|raw| dag.simplified.get(&raw).copied())
            .unwrap_or(hit.after);
        let singular_point = singular_point(dag, hit.numerator);
        rewrites.push(Rewrite {
            span: model.exprs.span(origin),
            written: origin,
            after: after_node,
            singular_point,
        });
    }
    rewrites.sort_by_key(|r| (r.span.file, r.span.start, r.span.end));
    rewrites
}

/// Where an affine numerator of one symbol vanishes: `N = a·s + k` → `s = −k/a`.
fn singular_point(dag: &mut Dag, numerator: NodeId) -> Option<(Sym, f64)> {
    let [sym] = dag.syms(numerator) else {
        return None;
    };
    let sym = *sym;
    let slope = dag.diff(numerator, sym);
    let slope = dag.const_value(slope)?;
    let zero = dag.zero(dag.sym_dim(sym));
    let at_zero = dag.substitute(numerator, &HashMap::from([(sym, zero)]));
    let offset = dag.const_value(at_zero)?;
    if slope == 0.0 {
        return None;
    }
    let point = -offset / slope;
    Some((sym, if point == 0.0 { 0.0 } else { point }))
}

/// Sharing statistics of the expressions reachable from `roots`.
pub fn cse_stats(dag: &Dag, roots: &[NodeId]) -> CseStats {
    let mut uses: HashMap<NodeId, usize> = HashMap::new();
    let mut stack: Vec<NodeId> = Vec::new();
    for &root in roots {
        *uses.entry(root).or_insert(0) += 1;
        stack.push(root);
    }
    let mut expanded: HashSet<NodeId> = HashSet::new();
    while let Some(id) = stack.pop() {
        if !expanded.insert(id) {
            continue;
        }
        for child in children_of(dag.node(id)) {
            *uses.entry(child).or_insert(0) += 1;
            stack.push(child);
        }
    }
    let shared = uses
        .iter()
        .filter(|(id, n)| **n > 1 && !children_of(dag.node(**id)).is_empty())
        .count();
    CseStats {
        tree_nodes: roots
            .iter()
            .fold(0u64, |acc, r| acc.saturating_add(dag.size(*r))),
        dag_nodes: expanded.len(),
        shared,
    }
}
