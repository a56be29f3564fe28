//! The checked model (`ir::Model`): every name resolved to a typed id, every expression in
//! one arena with its span and dimension, intermediates in dependency order, gates expanded
//! into ODEs, all constants converted to galvani's coherent internal unit system
//! (see `units.rs`). This is what the checker hands to the symbolic middle.

use crate::dim::Dim;
use galvani_diag::Span;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index into `Model::params`.
    ParamId
);
id_type!(
    /// Index into `Model::inputs`.
    InputId
);
id_type!(
    /// Index into `Model::states`.
    StateId
);
id_type!(
    /// Index into `Model::intermediates`.
    IntermediateId
);
id_type!(
    /// Index into `Model::exprs`.
    ExprId
);
id_type!(
    /// Index into `Model::noises`.
    NoiseId
);

/// The built-in functions; their maths is the table in `builtins.rs`.
pub use crate::builtins::Builtin;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `a ^ b`; when `a` has a dimension, `b` is a constant (checked).
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// True for operators whose result is a boolean (comparisons and logic).
    pub fn is_boolean(self) -> bool {
        !matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Pow
        )
    }
}

/// One node of the expression arena. Booleans are represented as 1.0 / 0.0 by evaluators;
/// the checker guarantees booleans appear only as conditions, `and`/`or`/`not` operands.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A constant in internal units.
    Const(f64),
    Param(ParamId),
    Input(InputId),
    State(StateId),
    Intermediate(IntermediateId),
    /// Simulated time `t` (internal unit ms; dimensionless in a dimensionless model).
    Time,
    Neg(ExprId),
    Not(ExprId),
    Binary(BinOp, ExprId, ExprId),
    /// `if c then a else b`
    If(ExprId, ExprId, ExprId),
    Call(Builtin, Vec<ExprId>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExprNode {
    pub kind: ExprKind,
    /// Where the expression was written. Expressions synthesised by the checker (a gate's
    /// expanded ODE) carry the span of the declaration they come from.
    pub span: Span,
    /// The physical dimension of the value (`Dim::NONE` for booleans and in dimensionless
    /// models).
    pub dim: Dim,
}

/// All expressions of one model. Append-only; ids are stable.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExprArena {
    pub nodes: Vec<ExprNode>,
}

impl ExprArena {
    pub fn add(&mut self, kind: ExprKind, span: Span, dim: Dim) -> ExprId {
        let id = ExprId(self.nodes.len() as u32);
        self.nodes.push(ExprNode { kind, span, dim });
        id
    }

    pub fn node(&self, id: ExprId) -> &ExprNode {
        &self.nodes[id.index()]
    }

    pub fn kind(&self, id: ExprId) -> &ExprKind {
        &self.nodes[id.index()].kind
    }

    pub fn dim(&self, id: ExprId) -> Dim {
        self.nodes[id.index()].dim
    }

    pub fn span(&self, id: ExprId) -> Span {
        self.nodes[id.index()].span
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// The unit a variable was declared in, used for reports and traces. Internal value =
/// displayed value × `scale`. For a dimensionless value `text` is empty and `scale` is 1.
#[derive(Clone, Debug, PartialEq)]
pub struct DisplayUnit {
    /// As a user would write it: `mV`, `uA/cm^2`, `ms`, `` (empty) for dimensionless.
    pub text: String,
    pub dim: Dim,
    pub scale: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    /// Depends only on earlier params (the list is in dependency order).
    pub value: ExprId,
    pub unit: DisplayUnit,
    /// The span of the name in the declaration.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub name: String,
    /// The default drive, used when a run gives no protocol. Depends only on params.
    pub default: ExprId,
    pub unit: DisplayUnit,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum GateForm {
    /// `dy/dt = alpha·(1 − y) − beta·y`
    AlphaBeta { alpha: ExprId, beta: ExprId },
    /// `dy/dt = (inf − y)/tau`
    InfTau { inf: ExprId, tau: ExprId },
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub name: String,
    /// The initial value. May refer to params, inputs (their defaults), `t` (= 0),
    /// intermediates and other states (their initial values); `Model::init_order` says in
    /// which order to evaluate them. A gate without `init` gets its steady state here.
    pub init: ExprId,
    /// The right-hand side of `dNAME/dt`. For a gate, the expanded form.
    pub derivative: ExprId,
    pub unit: DisplayUnit,
    /// Present when the state was declared with `gate`.
    pub gate: Option<GateForm>,
    /// The span of the name in the `state`/`gate` declaration.
    pub span: Span,
    /// The span of the `dNAME/dt = …` line (the gate block for a gate).
    pub ode_span: Span,
    /// The white-noise terms `+ g·xi_NAME` of the equation, taken out of `derivative`
    /// (which is the deterministic part `f`): `dX = f·dt + Σ g·dW`.
    pub noise: Vec<NoiseTerm>,
}

/// A Gaussian white noise `xi` or `xi_NAME` (dimension time^(-1/2),
/// `<ξ(t) ξ(t')> = δ(t − t')`): one independent N(0,1) draw per neuron per step, shared by
/// every equation that names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Noise {
    /// `xi` or `xi_NAME`, as written.
    pub name: String,
    /// Its first use.
    pub span: Span,
}

/// One additive noise term `g·xi_NAME` of a state's equation.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseTerm {
    pub noise: NoiseId,
    /// The factor `g` (sign included), of dimension state/time^(1/2); it reads no state,
    /// directly or through intermediates (checked).
    pub scale: ExprId,
    /// The term as written.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Intermediate {
    pub name: String,
    /// Refers only to params, inputs, states, `t` and earlier intermediates.
    pub value: ExprId,
    pub unit: DisplayUnit,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
}

/// One assignment in an `on` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub state: StateId,
    pub op: AssignOp,
    /// Same dimension as the state. Sees the values left by the actions before it.
    pub value: ExprId,
    pub span: Span,
}

/// Whether an event's firings are spikes: counted, written to the spikes CSV, drawn in the
/// raster and used for rates. A silent event still runs its resets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Spike,
    Silent,
}

impl EventKind {
    /// The kind of an event written without `spike` or `silent`: a threshold on the
    /// neuron's own state (a condition that reads a state, directly or through
    /// intermediates) is a spike; a timer or a condition on inputs and params alone is not.
    /// An escape-noise event (`on hazard(RATE)`) is a spike whatever its rate reads (see
    /// [`Event::default_kind`]).
    pub fn default_for(model: &Model, condition: ExprId) -> EventKind {
        if model.reads_a_state(condition) {
            EventKind::Spike
        } else {
            EventKind::Silent
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// A boolean expression; the event fires when it turns from false to true.
    pub condition: ExprId,
    /// Spike or silent: written after the condition, or [`EventKind::default_for`] it.
    pub kind: EventKind,
    /// In the order written.
    pub actions: Vec<Action>,
    /// Duration (dimension time) during which the condition cannot fire again and every
    /// state assigned with `=` is held.
    pub refractory: Option<ExprId>,
    /// The span of the `on` line's condition.
    pub span: Span,
    /// `on hazard(RATE)`: escape noise. The event fires in a step with probability
    /// `1 − exp(−RATE·dt)`, RATE (dimension 1/time) evaluated with the states at the end of
    /// the step; `condition` is then `RATE > 0` (when it can fire at all).
    pub hazard: Option<ExprId>,
}

impl Event {
    /// The kind of this event when written without `spike` or `silent`: escape noise
    /// (`on hazard`) is a spike; otherwise [`EventKind::default_for`] its condition.
    pub fn default_kind(&self, model: &Model) -> EventKind {
        if self.hazard.is_some() {
            EventKind::Spike
        } else {
            EventKind::default_for(model, self.condition)
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub name: String,
    pub description: Option<String>,
    /// True when no unit name appears in the file: every dimension is `Dim::NONE` and
    /// one unit of time is read as 1 ms by the runtime.
    pub dimensionless: bool,
    pub exprs: ExprArena,
    /// In dependency order: each param's value refers only to earlier params.
    pub params: Vec<Param>,
    /// In declaration order.
    pub inputs: Vec<Input>,
    /// In declaration order (gates where their `gate` block stands).
    pub states: Vec<State>,
    /// In dependency order.
    pub intermediates: Vec<Intermediate>,
    /// In declaration order.
    pub events: Vec<Event>,
    /// A permutation of the state ids in which the initial values can be evaluated.
    pub init_order: Vec<StateId>,
    /// The white noises the equations use, in order of first use.
    pub noises: Vec<Noise>,
}

impl Model {
    pub fn param(&self, id: ParamId) -> &Param {
        &self.params[id.index()]
    }
    pub fn input(&self, id: InputId) -> &Input {
        &self.inputs[id.index()]
    }
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.index()]
    }
    pub fn intermediate(&self, id: IntermediateId) -> &Intermediate {
        &self.intermediates[id.index()]
    }
    pub fn noise(&self, id: NoiseId) -> &Noise {
        &self.noises[id.index()]
    }
    /// The dimension of a white noise in this model: time^(-1/2), or none in a
    /// dimensionless model.
    pub fn noise_dim(&self) -> Dim {
        if self.dimensionless {
            Dim::NONE
        } else {
            Dim::NOISE
        }
    }
    /// Whether any equation has a white-noise term.
    pub fn has_noise(&self) -> bool {
        !self.noises.is_empty()
    }
    /// Whether the value of `root` depends on a state, directly or through intermediates.
    pub fn reads_a_state(&self, root: ExprId) -> bool {
        let mut seen = vec![false; self.exprs.len()];
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.index()], true) {
                continue;
            }
            match self.exprs.kind(id) {
                ExprKind::State(_) => return true,
                ExprKind::Intermediate(m) => stack.push(self.intermediate(*m).value),
                ExprKind::Const(_) | ExprKind::Param(_) | ExprKind::Input(_) | ExprKind::Time => {}
                ExprKind::Neg(a) | ExprKind::Not(a) => stack.push(*a),
                ExprKind::Binary(_, a, b) => stack.extend([*a, *b]),
                ExprKind::If(c, a, b) => stack.extend([*c, *a, *b]),
                ExprKind::Call(_, args) => stack.extend(args.iter().copied()),
            }
        }
        false
    }

    pub fn find_state(&self, name: &str) -> Option<StateId> {
        self.states
            .iter()
            .position(|s| s.name == name)
            .map(|i| StateId(i as u32))
    }
    pub fn find_param(&self, name: &str) -> Option<ParamId> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .map(|i| ParamId(i as u32))
    }
    pub fn find_input(&self, name: &str) -> Option<InputId> {
        self.inputs
            .iter()
            .position(|p| p.name == name)
            .map(|i| InputId(i as u32))
    }
    pub fn find_intermediate(&self, name: &str) -> Option<IntermediateId> {
        self.intermediates
            .iter()
            .position(|p| p.name == name)
            .map(|i| IntermediateId(i as u32))
    }
}
