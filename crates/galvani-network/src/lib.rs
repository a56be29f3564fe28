//! Checking network files: from the parsed `ast::Network` to a [`CheckedNetwork`] — the
//! network params evaluated with their units, each population's source (a checked model
//! file, Poisson sources, or a spike file) with its size, param overrides and initial
//! values, each connection's rule, delay, synapse params and states and its `on pre`
//! actions with every name resolved and every dimension checked, and the Poisson drives.
//!
//! Model files are loaded through a [`ModelLoader`] the caller provides (the driver reads,
//! parses and checks them and reports their own diagnostics); this crate never touches
//! the file system. What runs a network (connectivity, delivery) comes later; see
//! `docs/design-blocks.md`.

pub mod connectivity;
mod formula;
mod quantity;

use std::collections::HashMap;
use std::sync::Arc;

use galvani_diag::{codes, suggest, Diagnostic, Diagnostics, Span};
use galvani_ir::{Dim, Model, ParamId, StateId};
use galvani_syntax::ast::{
    AssignOp, Expr, ExprKind, Field, FieldKind, FieldValue, Ident, ItemKind, Network,
    NetworkItemKind,
};

use formula::Resolved;
pub use formula::{Formula, Leaf, Op};
pub use quantity::Quantity;
use quantity::{constant, evaluate, wrong_dimension, Meaning, Scope, Value};

/// Loads the model file a population names.
pub trait ModelLoader {
    /// The checked model of `path`, as written in the network file (relative to it).
    /// `Err` with a one-line reason when it does not load or check; the loader has
    /// reported the model's own diagnostics.
    fn load(&mut self, path: &str) -> std::result::Result<Arc<Model>, String>;
}

/// A network file, checked.
#[derive(Clone, Debug)]
pub struct CheckedNetwork {
    pub name: String,
    pub description: Option<String>,
    pub params: Vec<NetworkParam>,
    pub populations: Vec<Population>,
    pub connections: Vec<Connection>,
    pub drives: Vec<Drive>,
}

impl CheckedNetwork {
    /// Neurons in every population (spike-file sources count once their file is read).
    pub fn neurons(&self) -> usize {
        self.populations.iter().filter_map(|p| p.size).sum()
    }
}

#[derive(Clone, Debug)]
pub struct NetworkParam {
    pub name: String,
    pub value: Quantity,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Population {
    pub name: String,
    /// `None` for a spike file without `size` (the file says).
    pub size: Option<usize>,
    pub source: Source,
    /// `param NAME = VALUE` overrides of the model's params.
    pub overrides: Vec<(ParamId, Distribution)>,
    /// `init NAME = VALUE`.
    pub inits: Vec<(StateId, Distribution)>,
    /// The population's name where it is declared.
    pub span: Span,
}

/// What a population's neurons are.
#[derive(Clone, Debug)]
pub enum Source {
    Model {
        path: String,
        model: Arc<Model>,
    },
    /// Independent Poisson sources of this rate (1/ms; at t = 0 when it depends on time).
    Poisson {
        rate: f64,
        /// The rate as a function of `t`, for an inhomogeneous source.
        rate_of_time: Option<RateOfTime>,
    },
    /// Spikes read from a CSV `neuron,t [ms]`.
    Spikes {
        path: String,
    },
}

/// A value per neuron or per synapse, in internal units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Distribution {
    Constant(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Evenly from `first` to `last` across the population, both ends exact.
    Linspace {
        first: f64,
        last: f64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    AllToAll,
    OneToOne,
    Probability(f64),
    FixedIndegree(u64),
    FixedOutdegree(u64),
    File(String),
}

#[derive(Clone, Debug)]
pub struct Connection {
    /// Index into `populations`.
    pub pre: usize,
    pub posts: Vec<usize>,
    pub rule: Rule,
    /// Conduction delay in ms; `None`: one step.
    pub delay: Option<Distribution>,
    /// Where the delay is written.
    pub delay_span: Option<Span>,
    pub autapses: bool,
    pub synapse_params: Vec<SynapseValue>,
    pub synapse_states: Vec<SynapseState>,
    pub on_pre: Vec<PreAction>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct SynapseValue {
    pub name: String,
    pub value: Distribution,
    pub dim: Dim,
    /// The unit the value is written in (`2 nS` → `nS`), when the expression names one of
    /// its dimension: a `file(…)` edge column of this param is read in it, and views show
    /// the value in it.
    pub unit: Option<WrittenUnit>,
}

/// A unit as written in the network file.
#[derive(Clone, Debug, PartialEq)]
pub struct WrittenUnit {
    pub text: String,
    pub unit: galvani_ir::units::Unit,
}

/// The first unit of dimension `dim` written in `expr` (`uniform(1 nS, 2 nS)` → `nS`).
fn written_unit(expr: &Expr, dim: Dim) -> Option<WrittenUnit> {
    match &expr.kind {
        ExprKind::Quantity { unit, .. } => {
            let resolved = galvani_ir::units::lookup(&unit.name)?.powi(unit.exponent)?;
            (resolved.dim == dim).then(|| WrittenUnit {
                text: if unit.exponent == 1 {
                    unit.name.clone()
                } else {
                    format!("{}^{}", unit.name, unit.exponent)
                },
                unit: resolved,
            })
        }
        ExprKind::Unary { operand, .. } => written_unit(operand, dim),
        ExprKind::Binary { lhs, rhs, .. } => {
            written_unit(lhs, dim).or_else(|| written_unit(rhs, dim))
        }
        ExprKind::Call { args, .. } => args.iter().find_map(|a| written_unit(a, dim)),
        _ => None,
    }
}

#[derive(Clone, Debug)]
pub struct SynapseState {
    pub name: String,
    pub dim: Dim,
    /// The initial value and `dNAME/dt`, as written (solved exactly between spikes when
    /// the network runs).
    pub init: Expr,
    pub derivative: Option<Expr>,
    /// `init` with its names resolved (synapse params and constants only).
    pub init_formula: Formula,
    /// `derivative` with its names resolved.
    pub derivative_formula: Option<Formula>,
    /// `dy/dt = A − B·y` with A and B known numbers (internal units), when the equation
    /// reads no other synapse state and no per-synapse distribution: the exact update
    /// between spikes is `y(t + Δ) = A/B + (y − A/B)·e^(−B·Δ)` (`y + A·Δ` for B = 0).
    pub relaxation: Option<Relaxation>,
}

/// `dy/dt = A − B·y` with constant A and B (internal units: y's unit per ms, 1/ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relaxation {
    pub a: f64,
    pub b: f64,
}

/// What an arriving spike changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A state of every post population's model (the same name in each).
    PostState(StateId),
    /// A state of the synapse (index into `synapse_states`).
    SynapseState(usize),
}

#[derive(Clone, Debug)]
pub struct PreAction {
    pub target: Target,
    pub op: AssignOp,
    /// Checked for names and dimension.
    pub value: Expr,
    /// `value` with its names resolved.
    pub formula: Formula,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Drive {
    pub targets: Vec<usize>,
    /// Poisson rate per target neuron, 1/ms (at t = 0 when it depends on time).
    pub rate: f64,
    /// The rate as a function of `t`, for an inhomogeneous drive.
    pub rate_of_time: Option<RateOfTime>,
    pub on_pre: Vec<PreAction>,
    pub span: Span,
}

/// A Poisson rate that depends on the time `t` (1/ms, `t` in ms): sources and drives
/// evaluate it at each step's start `t_k`; a negative value counts as 0.
#[derive(Clone, Debug, PartialEq)]
pub struct RateOfTime {
    pub formula: Formula,
    /// The expression in the network file.
    pub span: Span,
}

/// Checks `network`, loading its model files with `loader`.
pub fn check(
    network: &Network,
    loader: &mut dyn ModelLoader,
) -> std::result::Result<CheckedNetwork, Diagnostics> {
    let mut checker = Checker {
        params: Vec::new(),
        populations: Vec::new(),
        failed: Vec::new(),
        diagnostics: Diagnostics::default(),
    };
    let mut connections = Vec::new();
    let mut drives = Vec::new();
    for item in &network.items {
        let result = match &item.kind {
            NetworkItemKind::Param { name, value } => checker.param(name, value),
            NetworkItemKind::Population { name, fields } => {
                checker.population(name, fields, loader)
            }
            NetworkItemKind::Connect { pre, posts, fields } => checker
                .connection(pre, posts, fields, item.span)
                .map(|c| connections.push(c)),
            NetworkItemKind::Drive { targets, fields } => checker
                .drive(targets, fields, item.span)
                .map(|d| drives.push(d)),
        };
        match result {
            // A block that uses a population whose own block failed says nothing more.
            Err(diagnostic) if diagnostic.code == Some(ALREADY_REPORTED) => {}
            Err(diagnostic) => {
                if let NetworkItemKind::Population { name, .. } = &item.kind {
                    checker.failed.push(name.name.clone());
                }
                checker.diagnostics.push(*diagnostic);
            }
            Ok(()) => {}
        }
    }
    if checker.diagnostics.has_errors() {
        return Err(checker.diagnostics);
    }
    Ok(CheckedNetwork {
        name: network.name.name.clone(),
        description: network.description.as_ref().map(|(d, _)| d.clone()),
        params: checker.params,
        populations: checker.populations,
        connections,
        drives,
    })
}

type Checked<T> = std::result::Result<T, Box<Diagnostic>>;

struct Checker {
    params: Vec<NetworkParam>,
    populations: Vec<Population>,
    /// Populations whose block failed (and was reported).
    failed: Vec<String>,
    diagnostics: Diagnostics,
}

/// Marks the error of a block that names a population already reported as broken; it
/// never reaches the user.
const ALREADY_REPORTED: galvani_diag::Code = galvani_diag::Code("E0700");

/// The network's params, then a block's own names.
struct NetworkScope<'a> {
    params: &'a [NetworkParam],
    extra: &'a HashMap<String, Dim>,
}

impl Scope for NetworkScope<'_> {
    fn lookup(&self, name: &str) -> Option<Meaning> {
        if let Some(dim) = self.extra.get(name) {
            return Some(Meaning::Variable(*dim));
        }
        self.params
            .iter()
            .find(|p| p.name == name)
            .map(|p| Meaning::Constant(p.value))
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.extra.keys().cloned().collect();
        names.sort();
        names.extend(self.params.iter().map(|p| p.name.clone()));
        names
    }
}

fn field_error(span: Span, message: impl Into<String>, label: &str) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(message)
            .with_code(codes::NETWORK_FIELD)
            .with_primary(span, label.to_string()),
    )
}

/// The fields a block of this kind takes, for messages.
const POPULATION_FIELDS: [&str; 4] = ["model", "poisson", "spikes", "size"];
const CONNECT_FIELDS: [&str; 3] = ["rule", "delay", "autapses"];
const DRIVE_FIELDS: [&str; 1] = ["poisson"];

fn unknown_field(key: &Ident, block: &str, known: &[&str]) -> Box<Diagnostic> {
    let d = Diagnostic::error(format!("a {block} block has no field `{}`", key.name))
        .with_code(codes::NETWORK_FIELD)
        .with_primary(key.span, "unknown field");
    Box::new(match suggest::suggest(&key.name, known.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_note(format!("its fields are: {}", known.join(", "))),
    })
}

fn expr_of<'f>(value: &'f FieldValue, key: &Ident) -> Checked<&'f Expr> {
    match value {
        FieldValue::Expr(e) => Ok(e),
        FieldValue::Text(_, span) | FieldValue::File(_, span) => Err(field_error(
            *span,
            format!("`{}` takes a value, not a file name", key.name),
            "a value is expected here",
        )),
    }
}

impl Checker {
    fn scope<'a>(&'a self, extra: &'a HashMap<String, Dim>) -> NetworkScope<'a> {
        NetworkScope {
            params: &self.params,
            extra,
        }
    }

    fn param(&mut self, name: &Ident, value: &Expr) -> Checked<()> {
        if let Some(first) = self.params.iter().find(|p| p.name == name.name) {
            return Err(Box::new(
                Diagnostic::error(format!("`{}` is declared twice", name.name))
                    .with_code(codes::DUPLICATE)
                    .with_primary(name.span, "declared again here")
                    .with_secondary(first.span, "first declared here"),
            ));
        }
        let empty = HashMap::new();
        let value = match evaluate(value, &self.scope(&empty))? {
            Value::Constant(q) => q,
            Value::Variable(_) => {
                return Err(field_error(
                    value.span,
                    "a network param must be a constant",
                    "not a constant",
                ))
            }
        };
        self.params.push(NetworkParam {
            name: name.name.clone(),
            value,
            span: name.span,
        });
        Ok(())
    }

    fn find_population(&self, name: &Ident) -> Checked<usize> {
        if self.failed.contains(&name.name) {
            return Err(Box::new(
                Diagnostic::error("already reported").with_code(ALREADY_REPORTED),
            ));
        }
        self.populations
            .iter()
            .position(|p| p.name == name.name)
            .ok_or_else(|| {
                let d = Diagnostic::error(format!("no population `{}`", name.name))
                    .with_code(codes::UNKNOWN_POPULATION)
                    .with_primary(name.span, "not declared before this block");
                let names = self.populations.iter().map(|p| p.name.as_str());
                Box::new(match suggest::suggest(&name.name, names) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint("declare populations before the blocks that use them"),
                })
            })
    }

    /// A value per neuron or synapse: a constant, or `uniform(a, b)`, `normal(mean, sd)`,
    /// `linspace(a, b)`.
    fn distribution(
        &self,
        expr: &Expr,
        extra: &HashMap<String, Dim>,
        dim: Dim,
        what: &str,
    ) -> Checked<Distribution> {
        let scope = self.scope(extra);
        if let ExprKind::Call { function, args } = &expr.kind {
            let kind = function.name.as_str();
            if matches!(kind, "uniform" | "normal" | "linspace") {
                if args.len() != 2 {
                    return Err(field_error(
                        expr.span,
                        format!("`{kind}` takes two values"),
                        "here",
                    ));
                }
                let a = constant(&args[0], &scope, dim, what)?;
                let b = constant(&args[1], &scope, dim, what)?;
                return Ok(match kind {
                    "uniform" if a <= b => Distribution::Uniform { low: a, high: b },
                    "uniform" => {
                        return Err(field_error(
                            expr.span,
                            "`uniform(a, b)` needs a ≤ b",
                            "the bounds are the wrong way round",
                        ))
                    }
                    "normal" if b >= 0.0 => Distribution::Normal { mean: a, sd: b },
                    "normal" => {
                        return Err(field_error(
                            args[1].span,
                            "`normal(mean, sd)` needs sd ≥ 0",
                            "a negative standard deviation",
                        ))
                    }
                    _ => Distribution::Linspace { first: a, last: b },
                });
            }
        }
        Ok(Distribution::Constant(constant(expr, &scope, dim, what)?))
    }

    fn population(
        &mut self,
        name: &Ident,
        fields: &[Field],
        loader: &mut dyn ModelLoader,
    ) -> Checked<()> {
        if let Some(first) = self.populations.iter().find(|p| p.name == name.name) {
            return Err(Box::new(
                Diagnostic::error(format!("population `{}` is declared twice", name.name))
                    .with_code(codes::DUPLICATE)
                    .with_primary(name.span, "declared again here")
                    .with_secondary(first.span, "first declared here"),
            ));
        }
        let empty = HashMap::new();
        let mut source: Option<(Source, Span)> = None;
        let mut size = None;
        for field in fields {
            let FieldKind::Set { key, value } = &field.kind else {
                continue;
            };
            let new_source = match key.name.as_str() {
                "model" => match value {
                    FieldValue::Text(path, literal) => {
                        let model = loader.load(path).map_err(|reason| {
                            Box::new(
                                Diagnostic::error(format!("the model file `{path}` {reason}"))
                                    .with_code(codes::MODEL_FILE)
                                    .with_primary(*literal, "used here"),
                            )
                        })?;
                        Some(Source::Model {
                            path: path.clone(),
                            model,
                        })
                    }
                    _ => {
                        return Err(field_error(
                            field.span,
                            "`model` takes a file name in quotes",
                            "write `model = \"lif.gal\"`",
                        ))
                    }
                },
                "poisson" => {
                    let expr = expr_of(value, key)?;
                    let (rate, rate_of_time) = self.rate(expr)?;
                    Some(Source::Poisson { rate, rate_of_time })
                }
                "spikes" => match value {
                    FieldValue::File(path, _) => Some(Source::Spikes { path: path.clone() }),
                    _ => {
                        return Err(field_error(
                            field.span,
                            "`spikes` takes a file",
                            "write `spikes = file(\"times.csv\")`",
                        ))
                    }
                },
                "size" => {
                    let expr = expr_of(value, key)?;
                    let n = constant(expr, &self.scope(&empty), Dim::NONE, "a size")?;
                    if n < 1.0 || n.fract() != 0.0 || n > u32::MAX as f64 {
                        return Err(field_error(
                            expr.span,
                            format!("a size is a whole number of neurons from 1, not {n}"),
                            "here",
                        ));
                    }
                    size = Some(n as usize);
                    None
                }
                _ => return Err(unknown_field(key, "population", &POPULATION_FIELDS)),
            };
            if let Some(new_source) = new_source {
                if let Some((_, first)) = &source {
                    return Err(Box::new(
                        Diagnostic::error(
                            "a population has one source: `model`, `poisson` or `spikes`",
                        )
                        .with_code(codes::NETWORK_FIELD)
                        .with_primary(field.span, "a second source")
                        .with_secondary(*first, "the first"),
                    ));
                }
                source = Some((new_source, field.span));
            }
        }
        let Some((source, _)) = source else {
            return Err(field_error(
                name.span,
                format!(
                    "population `{}` has no `model`, `poisson` or `spikes`",
                    name.name
                ),
                "say what its neurons are",
            ));
        };
        if size.is_none() && !matches!(source, Source::Spikes { .. }) {
            return Err(field_error(
                name.span,
                format!("population `{}` has no `size`", name.name),
                "add `size = N`",
            ));
        }
        let mut overrides = Vec::new();
        let mut inits = Vec::new();
        for field in fields {
            match (&field.kind, &source) {
                (FieldKind::Set { .. }, _) => {}
                (FieldKind::Param { name: param, value }, Source::Model { model, .. }) => {
                    let id = model.find_param(&param.name).ok_or_else(|| {
                        unknown_model_name(
                            param,
                            "param",
                            model.params.iter().map(|p| p.name.as_str()),
                        )
                    })?;
                    let dim = model.params[id.index()].unit.dim;
                    overrides.push((id, self.distribution(value, &empty, dim, "this param")?));
                }
                (FieldKind::Init { name: state, value }, Source::Model { model, .. }) => {
                    let id = model.find_state(&state.name).ok_or_else(|| {
                        unknown_model_name(
                            state,
                            "state",
                            model.states.iter().map(|s| s.name.as_str()),
                        )
                    })?;
                    let dim = model.states[id.index()].unit.dim;
                    inits.push((
                        id,
                        self.distribution(value, &empty, dim, "this initial value")?,
                    ));
                }
                _ => {
                    return Err(field_error(
                        field.span,
                        "only a model population takes `param` and `init` lines",
                        "not here",
                    ))
                }
            }
        }
        self.populations.push(Population {
            name: name.name.clone(),
            size,
            source,
            overrides,
            inits,
            span: name.span,
        });
        Ok(())
    }

    /// The model populations `targets` name, all with the same model.
    fn post_models(&self, targets: &[Ident]) -> Checked<(Vec<usize>, Arc<Model>)> {
        let mut indices = Vec::new();
        let mut first: Option<(Arc<Model>, &str)> = None;
        for target in targets {
            let index = self.find_population(target)?;
            let Source::Model { model, path } = &self.populations[index].source else {
                return Err(field_error(
                    target.span,
                    format!(
                        "`{}` is a spike source; it cannot receive spikes",
                        target.name
                    ),
                    "not a model population",
                ));
            };
            match &first {
                None => first = Some((model.clone(), path)),
                Some((_, first_path)) if *first_path != path.as_str() => {
                    return Err(field_error(
                        target.span,
                        format!(
                            "the targets of one block share one model; `{}` uses `{path}`, the first `{first_path}`",
                            target.name
                        ),
                        "another model",
                    ))
                }
                _ => {}
            }
            indices.push(index);
        }
        let (model, _) = first.ok_or_else(|| field_error(Span::default(), "no target", "here"))?;
        Ok((indices, model))
    }

    fn connection(
        &self,
        pre: &Ident,
        posts: &[Ident],
        fields: &[Field],
        span: Span,
    ) -> Checked<Connection> {
        let pre_index = self.find_population(pre)?;
        let (post_indices, model) = self.post_models(posts)?;
        let mut rule = None;
        let mut delay = None;
        let mut delay_span = None;
        let mut autapses = false;
        let mut names: HashMap<String, Dim> = HashMap::new();
        let mut synapse_params = Vec::new();
        let mut synapse_states: Vec<SynapseState> = Vec::new();
        // The block's own names where declared, and the post model's names the block
        // writes as `post.NAME` (a name of both needs the post one written so).
        let mut declared: Vec<(String, Span)> = Vec::new();
        let mut post_written: Vec<String> = Vec::new();
        // Params and states first: `on pre` and the equations may use them.
        for field in fields {
            match &field.kind {
                FieldKind::Param { name, value } => {
                    declared.push((name.name.clone(), name.span));
                    let dim = evaluate_dim(value, &self.scope(&names))?;
                    let unit = written_unit(value, dim);
                    let value = self.distribution(value, &names, dim, "a synapse param")?;
                    synapse_params.push(SynapseValue {
                        name: name.name.clone(),
                        value,
                        dim,
                        unit,
                    });
                    names.insert(name.name.clone(), dim);
                }
                FieldKind::State { name, value } => {
                    declared.push((name.name.clone(), name.span));
                    let dim = evaluate_dim(value, &self.scope(&names))?;
                    let init_formula =
                        self.formula(value, &synapse_params, &synapse_states, None)?;
                    synapse_states.push(SynapseState {
                        name: name.name.clone(),
                        dim,
                        init: value.clone(),
                        derivative: None,
                        init_formula,
                        derivative_formula: None,
                        relaxation: None,
                    });
                    names.insert(name.name.clone(), dim);
                }
                _ => {}
            }
        }
        let mut on_pre = Vec::new();
        for field in fields {
            match &field.kind {
                FieldKind::Set { key, value } => match key.name.as_str() {
                    "rule" => rule = Some(self.rule(value, key)?),
                    "delay" => {
                        let expr = expr_of(value, key)?;
                        delay =
                            Some(self.distribution(expr, &HashMap::new(), Dim::TIME, "a delay")?);
                        delay_span = Some(expr.span);
                    }
                    "autapses" => {
                        autapses = match expr_of(value, key)?.kind {
                            ExprKind::Name(ref word) if word == "true" => true,
                            ExprKind::Name(ref word) if word == "false" => false,
                            _ => {
                                return Err(field_error(
                                    field.span,
                                    "`autapses` is `true` or `false`",
                                    "here",
                                ))
                            }
                        }
                    }
                    _ => return Err(unknown_field(key, "connect", &CONNECT_FIELDS)),
                },
                FieldKind::Ode { state, value } => {
                    let index = synapse_states
                        .iter()
                        .position(|s| s.name == state.name)
                        .ok_or_else(|| {
                            field_error(
                                state.span,
                                format!("`{}` is not a state of this connection", state.name),
                                "declare it with `state` in this block",
                            )
                        })?;
                    // Linearity first: it says more than a dimension would.
                    let states: Vec<&str> =
                        synapse_states.iter().map(|s| s.name.as_str()).collect();
                    let post_states: Vec<&str> =
                        model.states.iter().map(|s| s.name.as_str()).collect();
                    post_uses(value, &mut post_written);
                    synapse_degree(value, &states, &post_states)?;
                    let scope_names = block_and_post_names(&names, &model);
                    let dim = evaluate_dim(value, &self.scope(&scope_names))?;
                    let want = synapse_states[index].dim.div(Dim::TIME);
                    if dim != want {
                        return Err(wrong_dimension(value.span, "this derivative", want, dim));
                    }
                    synapse_states[index].derivative = Some(value.clone());
                    synapse_states[index].derivative_formula = Some(self.formula(
                        value,
                        &synapse_params,
                        &synapse_states,
                        Some(&model),
                    )?);
                    synapse_states[index].relaxation =
                        self.relaxation(value, index, &synapse_states, &synapse_params);
                }
                FieldKind::OnPre { body } => {
                    for item in body {
                        if let ItemKind::Assign { target, value, .. } = &item.kind {
                            post_uses(value, &mut post_written);
                            if let Some(name) = target.name.strip_prefix("post.") {
                                post_written.push(name.to_string());
                            }
                        }
                    }
                    on_pre = self.on_pre(body, &names, &synapse_params, &synapse_states, &model)?;
                }
                FieldKind::Init { .. } => {
                    return Err(field_error(
                        field.span,
                        "a connection has no `init` lines",
                        "not here",
                    ))
                }
                FieldKind::Param { .. } | FieldKind::State { .. } => {}
            }
        }
        // A name of the block that is also one of the post model: the block's, when the
        // block writes the post model's as `post.NAME`; an error otherwise.
        for (name, span) in &declared {
            let in_model = model.find_param(name).is_some() || model.find_state(name).is_some();
            if in_model && !post_written.contains(name) {
                return Err(Box::new(
                    Diagnostic::error(format!("`{name}` is also a name of the post model"))
                        .with_code(codes::AMBIGUOUS_NAME)
                        .with_primary(*span, "ambiguous")
                        .with_hint(format!(
                            "write the post model's as `post.{name}` (then `{name}` is this block's), or give this one another name"
                        )),
                ));
            }
        }
        if let Some(state) = synapse_states.iter().find(|s| s.derivative.is_none()) {
            return Err(field_error(
                state.init.span,
                format!(
                    "synapse state `{}` has no `d{}/dt` line",
                    state.name, state.name
                ),
                "add its equation",
            ));
        }
        let rule = rule.ok_or_else(|| {
            field_error(pre.span, "a connection needs a `rule`", "add `rule = …`")
        })?;
        if matches!(rule, Rule::File(_)) && posts.len() > 1 {
            return Err(Box::new(
                Diagnostic::error("a file of edges connects one pre and one post population")
                    .with_code(codes::CONNECTION_RULE)
                    .with_primary(posts[1].span, "a second post population")
                    .with_hint("write one `connect` block per post population, each with its file"),
            ));
        }
        Ok(Connection {
            pre: pre_index,
            posts: post_indices,
            rule,
            delay,
            delay_span,
            autapses,
            synapse_params,
            synapse_states,
            on_pre,
            span,
        })
    }

    /// A and B of state `index`'s linear equation `value`, evaluated with the state at 0
    /// and at 1 (`A = f(0)`, `B = f(0) − f(1)`), when every name it reads is a constant.
    fn relaxation(
        &self,
        value: &Expr,
        index: usize,
        states: &[SynapseState],
        params: &[SynapseValue],
    ) -> Option<Relaxation> {
        struct Constants<'a> {
            network: &'a [NetworkParam],
            block: HashMap<&'a str, Quantity>,
        }
        impl Scope for Constants<'_> {
            fn lookup(&self, name: &str) -> Option<Meaning> {
                self.block
                    .get(name)
                    .copied()
                    .or_else(|| {
                        self.network
                            .iter()
                            .find(|p| p.name == name)
                            .map(|p| p.value)
                    })
                    .map(Meaning::Constant)
            }
            fn names(&self) -> Vec<String> {
                Vec::new()
            }
        }
        let mut block: HashMap<&str, Quantity> = HashMap::new();
        for param in params {
            if let Distribution::Constant(v) = param.value {
                block.insert(
                    &param.name,
                    Quantity {
                        value: v,
                        dim: param.dim,
                    },
                );
            }
        }
        let state = &states[index];
        let at = |y: f64| {
            let mut block = block.clone();
            block.insert(
                &state.name,
                Quantity {
                    value: y,
                    dim: state.dim,
                },
            );
            let scope = Constants {
                network: &self.params,
                block,
            };
            match evaluate(value, &scope) {
                Ok(Value::Constant(q)) => Some(q.value),
                _ => None,
            }
        };
        let a = at(0.0)?;
        let b = a - at(1.0)?;
        (a.is_finite() && b.is_finite()).then_some(Relaxation { a, b })
    }

    /// The formula of a checked expression of a connection or drive: the block's params
    /// and states, then the post model's states
    /// and params, then the network's params.
    fn formula(
        &self,
        expr: &Expr,
        synapse_params: &[SynapseValue],
        synapse_states: &[SynapseState],
        model: Option<&Model>,
    ) -> Checked<Formula> {
        let resolve = |name: &str| -> Option<Resolved> {
            // Not folded even when one value for all: a `file(…)` of edges may give each
            // synapse its own (the runtime folds what stays constant).
            if let Some(i) = synapse_params.iter().position(|p| p.name == name) {
                return Some(Resolved::Leaf(Leaf::SynapseParam(i)));
            }
            if let Some(i) = synapse_states.iter().position(|s| s.name == name) {
                return Some(Resolved::Leaf(Leaf::SynapseState(i)));
            }
            if let (Some(model), Some(name)) = (model, name.strip_prefix("post.")) {
                if let Some(id) = model.find_state(name) {
                    return Some(Resolved::Leaf(Leaf::PostState(id)));
                }
                if let Some(id) = model.find_param(name) {
                    return Some(Resolved::Leaf(Leaf::PostParam(id)));
                }
            }
            if let Some(model) = model {
                if let Some(id) = model.find_state(name) {
                    return Some(Resolved::Leaf(Leaf::PostState(id)));
                }
                if let Some(id) = model.find_param(name) {
                    return Some(Resolved::Leaf(Leaf::PostParam(id)));
                }
            }
            self.params
                .iter()
                .find(|p| p.name == name)
                .map(|p| Resolved::Const(p.value.value))
        };
        Formula::lower(expr, &resolve).ok_or_else(|| {
            Box::new(
                Diagnostic::error("internal error: a checked network expression did not lower")
                    .with_code(codes::INTERNAL)
                    .with_primary(expr.span, "here"),
            )
        })
    }

    fn rule(&self, value: &FieldValue, key: &Ident) -> Checked<Rule> {
        let rules = "all_to_all, one_to_one, probability(p), fixed_indegree(K), fixed_outdegree(K), file(\"edges.csv\")";
        let bad = |span: Span, message: String| {
            Box::new(
                Diagnostic::error(message)
                    .with_code(codes::CONNECTION_RULE)
                    .with_primary(span, "here")
                    .with_note(format!("the rules are: {rules}")),
            )
        };
        let expr = match value {
            FieldValue::File(path, _) => return Ok(Rule::File(path.clone())),
            FieldValue::Text(_, span) => {
                return Err(bad(*span, "a rule is not a quoted text".to_string()))
            }
            FieldValue::Expr(expr) => expr,
        };
        let empty = HashMap::new();
        let scope = self.scope(&empty);
        match &expr.kind {
            ExprKind::Name(name) if name == "all_to_all" => Ok(Rule::AllToAll),
            ExprKind::Name(name) if name == "one_to_one" => Ok(Rule::OneToOne),
            ExprKind::Call { function, args } if args.len() == 1 => {
                let value = constant(&args[0], &scope, Dim::NONE, "a rule's argument")?;
                match function.name.as_str() {
                    "probability" if (0.0..=1.0).contains(&value) => Ok(Rule::Probability(value)),
                    "probability" => Err(bad(
                        args[0].span,
                        format!("a probability is between 0 and 1, not {value}"),
                    )),
                    "fixed_indegree" | "fixed_outdegree" => {
                        if value < 0.0 || value.fract() != 0.0 {
                            return Err(bad(
                                args[0].span,
                                format!("`{}` takes a whole number, not {value}", function.name),
                            ));
                        }
                        Ok(if function.name == "fixed_indegree" {
                            Rule::FixedIndegree(value as u64)
                        } else {
                            Rule::FixedOutdegree(value as u64)
                        })
                    }
                    _ => Err(bad(function.span, format!("no rule `{}`", function.name))),
                }
            }
            _ => Err(bad(
                expr.span,
                format!("`{}` is not a connection rule", key.name),
            )),
        }
    }

    fn on_pre(
        &self,
        body: &[galvani_syntax::ast::Item],
        names: &HashMap<String, Dim>,
        synapse_params: &[SynapseValue],
        synapse_states: &[SynapseState],
        model: &Model,
    ) -> Checked<Vec<PreAction>> {
        let scope_names = block_and_post_names(names, model);
        let scope = self.scope(&scope_names);
        let mut actions = Vec::new();
        for item in body {
            let ItemKind::Assign {
                target, op, value, ..
            } = &item.kind
            else {
                continue;
            };
            let block_state = synapse_states.iter().position(|s| s.name == target.name);
            let post_state = match target.name.strip_prefix("post.") {
                Some(name) => model.find_state(name),
                None => model.find_state(&target.name),
            };
            let (resolved, dim) =
                if let Some(i) = block_state.filter(|_| !target.name.starts_with("post.")) {
                    (Target::SynapseState(i), synapse_states[i].dim)
                } else if let Some(id) = post_state {
                    (Target::PostState(id), model.states[id.index()].unit.dim)
                } else {
                    let candidates: Vec<&str> = synapse_states
                        .iter()
                        .map(|s| s.name.as_str())
                        .chain(model.states.iter().map(|s| s.name.as_str()))
                        .collect();
                    let d = Diagnostic::error(format!(
                        "`{}` is neither a synapse state nor a state of the post model",
                        target.name
                    ))
                    .with_code(codes::ASSIGN_NOT_STATE)
                    .with_primary(target.span, "cannot be changed by a spike");
                    return Err(Box::new(match suggest::suggest(&target.name, candidates) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d,
                    }));
                };
            let got = evaluate_dim(value, &scope)?;
            if got != dim {
                return Err(wrong_dimension(
                    value.span,
                    &format!("what `{}` is changed by", target.name),
                    dim,
                    got,
                ));
            }
            let formula = self.formula(value, synapse_params, synapse_states, Some(model))?;
            actions.push(PreAction {
                target: resolved,
                op: *op,
                value: value.clone(),
                formula,
                span: item.span,
            });
        }
        Ok(actions)
    }

    /// A Poisson rate: a constant ≥ 0, or a function of the time `t` (and the network's
    /// params) for an inhomogeneous source or drive.
    fn rate(&self, expr: &Expr) -> Checked<(f64, Option<RateOfTime>)> {
        let want = Dim::TIME.powi(-1);
        let time: HashMap<String, Dim> = [("t".to_string(), Dim::TIME)].into_iter().collect();
        match evaluate(expr, &self.scope(&time))? {
            Value::Constant(_) => {
                let rate = constant(expr, &self.scope(&HashMap::new()), want, "a rate")?;
                if rate < 0.0 {
                    return Err(field_error(expr.span, "a rate cannot be negative", "here"));
                }
                Ok((rate, None))
            }
            Value::Variable(dim) if dim != want => {
                Err(wrong_dimension(expr.span, "a rate", want, dim))
            }
            Value::Variable(_) => {
                let resolve = |name: &str| -> Option<Resolved> {
                    if name == "t" {
                        return Some(Resolved::Leaf(Leaf::Time));
                    }
                    self.params
                        .iter()
                        .find(|p| p.name == name)
                        .map(|p| Resolved::Const(p.value.value))
                };
                let formula = Formula::lower(expr, &resolve).ok_or_else(|| {
                    Box::new(
                        Diagnostic::error("internal error: a checked rate did not lower")
                            .with_code(codes::INTERNAL)
                            .with_primary(expr.span, "here"),
                    )
                })?;
                let at_zero = formula.eval(&|_| 0.0);
                Ok((
                    at_zero,
                    Some(RateOfTime {
                        formula,
                        span: expr.span,
                    }),
                ))
            }
        }
    }

    fn drive(&self, targets: &[Ident], fields: &[Field], span: Span) -> Checked<Drive> {
        let (indices, model) = self.post_models(targets)?;
        let mut rate = None;
        let mut on_pre = Vec::new();
        let empty = HashMap::new();
        for field in fields {
            match &field.kind {
                FieldKind::Set { key, value } if key.name == "poisson" => {
                    let expr = expr_of(value, key)?;
                    rate = Some(self.rate(expr)?);
                }
                FieldKind::Set { key, .. } => {
                    return Err(unknown_field(key, "drive", &DRIVE_FIELDS))
                }
                FieldKind::OnPre { body } => {
                    on_pre = self.on_pre(body, &empty, &[], &[], &model)?
                }
                _ => {
                    return Err(field_error(
                        field.span,
                        "a drive takes `poisson = RATE` and an `on pre` block",
                        "not here",
                    ))
                }
            }
        }
        let (rate, rate_of_time) = rate
            .ok_or_else(|| field_error(span, "a drive needs `poisson = RATE`", "add its rate"))?;
        Ok(Drive {
            targets: indices,
            rate,
            rate_of_time,
            on_pre,
            span,
        })
    }
}

/// The degree of `expr` in the synapse states (0 or 1): a synapse state's equation must be
/// linear with constant coefficients, `dP/dt = A − B·P` with A and B made of params, so
/// that it can be solved exactly between spikes. Refuses, naming the term: a product or
/// quotient of states, a state in a denominator, a power or a function of a state, and a
/// post-model state (it changes between spikes).
fn synapse_degree(expr: &Expr, states: &[&str], post_states: &[&str]) -> Checked<u32> {
    use galvani_syntax::ast::{BinaryOp, UnaryOp};
    let not_linear = |span: Span, why: &str| {
        Box::new(
            Diagnostic::error("a synapse state's equation must be linear with constant coefficients")
                .with_code(codes::NETWORK_FIELD)
                .with_primary(span, why.to_string())
                .with_note("synapse states are solved exactly between spikes, as dy/dt = A − B·y with A and B made of params"),
        )
    };
    Ok(match &expr.kind {
        ExprKind::Number { .. } | ExprKind::Quantity { .. } => 0,
        ExprKind::Name(name) if states.contains(&name.as_str()) => 1,
        ExprKind::Name(name)
            if post_states.contains(&name.as_str())
                || name
                    .strip_prefix("post.")
                    .is_some_and(|n| post_states.contains(&n)) =>
        {
            return Err(not_linear(
                expr.span,
                "a state of the post model, which changes between spikes",
            ))
        }
        ExprKind::Name(_) => 0,
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => synapse_degree(operand, states, post_states)?,
        ExprKind::Binary { op, lhs, rhs } => {
            let left = synapse_degree(lhs, states, post_states)?;
            let right = synapse_degree(rhs, states, post_states)?;
            match op {
                BinaryOp::Add | BinaryOp::Sub => left.max(right),
                BinaryOp::Mul if left + right <= 1 => left + right,
                BinaryOp::Mul => return Err(not_linear(expr.span, "a product of synapse states")),
                BinaryOp::Div if right == 0 => left,
                BinaryOp::Div => {
                    return Err(not_linear(rhs.span, "a synapse state in a denominator"))
                }
                BinaryOp::Pow if left == 0 && right == 0 => 0,
                _ => return Err(not_linear(expr.span, "not linear in the synapse states")),
            }
        }
        ExprKind::Call { args, .. } => {
            for arg in args {
                if synapse_degree(arg, states, post_states)? > 0 {
                    return Err(not_linear(expr.span, "a function of a synapse state"));
                }
            }
            0
        }
        ExprKind::Unary { .. } | ExprKind::If { .. } => {
            return Err(not_linear(expr.span, "not linear in the synapse states"))
        }
    })
}

/// The dimension of an expression that may read per-synapse values and post states.
fn evaluate_dim(expr: &Expr, scope: &dyn Scope) -> Checked<Dim> {
    Ok(evaluate(expr, scope)?.dim())
}

/// The names a `connect` block's expressions see: its own params and states, the post
/// model's params and states where the block has no name of its own, and every post
/// model name as `post.NAME`.
fn block_and_post_names(block: &HashMap<String, Dim>, model: &Model) -> HashMap<String, Dim> {
    let mut names = block.clone();
    for (name, dim) in model_names(model) {
        names.insert(format!("post.{name}"), dim);
        names.entry(name).or_insert(dim);
    }
    names
}

/// Adds the names `expr` writes as `post.NAME` to `out`.
fn post_uses(expr: &Expr, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Name(name) => {
            if let Some(name) = name.strip_prefix("post.") {
                out.push(name.to_string());
            }
        }
        ExprKind::Unary { operand, .. } => post_uses(operand, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            post_uses(lhs, out);
            post_uses(rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| post_uses(a, out)),
        ExprKind::If {
            condition,
            then_branch,
            else_branch,
        } => {
            post_uses(condition, out);
            post_uses(then_branch, out);
            post_uses(else_branch, out);
        }
        _ => {}
    }
}

/// The post model's params and states by name, with their dimensions.
fn model_names(model: &Model) -> HashMap<String, Dim> {
    model
        .params
        .iter()
        .map(|p| (p.name.clone(), p.unit.dim))
        .chain(model.states.iter().map(|s| (s.name.clone(), s.unit.dim)))
        .collect()
}

fn unknown_model_name<'n>(
    name: &Ident,
    kind: &str,
    names: impl Iterator<Item = &'n str>,
) -> Box<Diagnostic> {
    let names: Vec<&str> = names.collect();
    let d = Diagnostic::error(format!("the model has no {kind} `{}`", name.name))
        .with_code(codes::UNKNOWN_NAME)
        .with_primary(name.span, format!("not a {kind} of the model"));
    Box::new(match suggest::suggest(&name.name, names.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_note(format!("its {kind}s are: {}", names.join(", "))),
    })
}
