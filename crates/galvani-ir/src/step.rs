//! `StepProgram`: one integration method applied to one model, written as straight-line
//! data. The symbolic middle builds it (discretisation), the code generator lowers it to
//! native code, and the reference interpreter executes it directly. Both back ends must
//! agree, so its meaning is fixed here.
//!
//! Execution model (per neuron, structure of arrays across the population):
//! - A `Block` is SSA: instruction `k` defines register `Reg(k)`; operands refer only to
//!   earlier registers. Loads read the values *before* the block runs; `outputs` are
//!   written only after every instruction has executed, so every new value is computed
//!   from the old state ("simultaneous update").
//! - `Inst::Time` is `t_k = k·dt` (the start of the step, computed by the runtime from
//!   the step index), `Inst::Dt` the step size; a method's stage times are arithmetic on
//!   them. `Inst::Input` is the input sampled at `t_k` and held for the whole step.
//! - Booleans are 1.0 (true) and 0.0 (false).

use crate::model::{BinOp, Builtin, DisplayUnit, EventKind};

/// An integration method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Euler,
    Rk4,
    /// Exponential Euler (Rosenbrock–Euler for nonlinear equations).
    ExpEuler,
    /// Second-order Rush–Larsen (Perego & Veneziani 2009).
    ExpEuler2,
    /// The exact step of a linear system with constant coefficients (the propagator
    /// `e^{M·dt}`, [`crate::propagator`]); only for models whose equations are all such.
    Exact,
}

impl Method {
    /// The methods that apply to every model without noise.
    pub const GENERAL: [Method; 4] = [
        Method::Euler,
        Method::Rk4,
        Method::ExpEuler,
        Method::ExpEuler2,
    ];
    /// Every method.
    pub const ALL: [Method; 5] = [
        Method::Euler,
        Method::Rk4,
        Method::ExpEuler,
        Method::ExpEuler2,
        Method::Exact,
    ];
    /// The default of `galvani run` for a model without noise.
    pub const DEFAULT: Method = Method::ExpEuler2;

    /// The default method for `model`: `expeuler` when it has white noise (exact for
    /// linear equations with additive noise; `expeuler2` and `rk4` cannot integrate
    /// noise), [`Method::DEFAULT`] otherwise.
    pub fn default_for(model: &crate::model::Model) -> Method {
        if model.has_noise() {
            Method::ExpEuler
        } else {
            Method::DEFAULT
        }
    }

    /// Whether the method integrates white noise (`euler` as Euler–Maruyama, `expeuler`
    /// with the exact Ornstein–Uhlenbeck update for linear equations).
    pub fn handles_noise(self) -> bool {
        matches!(self, Method::Euler | Method::ExpEuler)
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Euler => "euler",
            Method::Rk4 => "rk4",
            Method::ExpEuler => "expeuler",
            Method::ExpEuler2 => "expeuler2",
            Method::Exact => "exact",
        }
    }

    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// A register: the value defined by instruction `Reg.0` of the same block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(pub u32);

/// A function the generated code calls (or inlines).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    Builtin(Builtin),
    /// `φ(x) = expm1(x)/x`, `φ(0) = 1`: the exponential-Euler weight.
    Phi,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Inst {
    Const(f64),
    /// The current value of state `i` (index into `Layout::states`).
    State(u32),
    /// Param `i` of this neuron (after overrides and derived-param evaluation).
    Param(u32),
    /// Input `i` of this neuron, sampled at `t_k`.
    Input(u32),
    /// `t_k`, the start of the step.
    Time,
    /// The step size `dt`.
    Dt,
    Neg(Reg),
    /// Logical not: 1.0 if the operand is 0.0, else 0.0.
    Not(Reg),
    /// Arithmetic, comparison (result 1.0/0.0) or logic on 1.0/0.0 values.
    Binary(BinOp, Reg, Reg),
    /// `if c != 0 then a else b`.
    Select(Reg, Reg, Reg),
    Call(Func, Vec<Reg>),
}

impl Inst {
    /// The registers it reads, in order.
    pub fn operands(&self) -> Vec<Reg> {
        match self {
            Inst::Const(_)
            | Inst::State(_)
            | Inst::Param(_)
            | Inst::Input(_)
            | Inst::Time
            | Inst::Dt => Vec::new(),
            Inst::Neg(a) | Inst::Not(a) => vec![*a],
            Inst::Binary(_, a, b) => vec![*a, *b],
            Inst::Select(c, a, b) => vec![*c, *a, *b],
            Inst::Call(_, args) => args.clone(),
        }
    }

    /// The registers it reads, to rewrite them.
    pub fn operands_mut(&mut self) -> Vec<&mut Reg> {
        match self {
            Inst::Const(_)
            | Inst::State(_)
            | Inst::Param(_)
            | Inst::Input(_)
            | Inst::Time
            | Inst::Dt => Vec::new(),
            Inst::Neg(a) | Inst::Not(a) => vec![a],
            Inst::Binary(_, a, b) => vec![a, b],
            Inst::Select(c, a, b) => vec![c, a, b],
            Inst::Call(_, args) => args.iter_mut().collect(),
        }
    }
}

/// Where a block's result goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The new value of state `i`.
    State(u32),
    /// The value of intermediate `i` (for recording).
    Intermediate(u32),
    /// The value of param `i` (derived params).
    Param(u32),
    /// The default value of input `i` (used when a run gives no protocol).
    Input(u32),
    /// An event's condition (1.0/0.0).
    Condition,
    /// An event's crossing function: for a condition `a > b` it is `a − b`; the spike time
    /// is interpolated where it crosses 0. Absent for conditions that are not a single
    /// comparison (the event is then placed at the end of the step).
    Crossing,
    /// The refractory duration an event starts.
    Refractory,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    pub insts: Vec<Inst>,
    /// Written after all instructions ran, in this order.
    pub outputs: Vec<(Target, Reg)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    pub name: String,
    pub unit: DisplayUnit,
}

/// Names and units of every array the program reads or writes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub states: Vec<Slot>,
    pub params: Vec<Slot>,
    pub inputs: Vec<Slot>,
    pub intermediates: Vec<Slot>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventProgram {
    /// Whether the event's firings are spikes (the runtime hands only those to its spike
    /// sink and counts) or silent (their actions run all the same).
    pub kind: EventKind,
    /// Outputs `Condition` and optionally `Crossing`, evaluated on a state (before and
    /// after a step) — reads states, params, inputs, `Time`.
    pub condition: Block,
    /// Outputs the `State` writes of the `on` block (assignments applied in order are
    /// already composed: each output is a function of the pre-event state) and optionally
    /// `Refractory`.
    pub actions: Block,
    /// States assigned with `=` in the block: held at their new value while refractory.
    pub held_states: Vec<u32>,
    /// Level-triggered (escape noise, `on hazard(RATE)`): the event fires at the end of
    /// every step whose condition is true there, not only on a false → true crossing. Its
    /// condition is `U < 1 − exp(−RATE·dt)` with `U` the event's uniform draw (an input
    /// slot named [`hazard_slot`]) and has no crossing function.
    pub level: bool,
}

/// The name of the input slot holding the uniform draws of the `k`-th escape-noise event
/// (counting only `on hazard` events, from 0). Not a valid identifier, so it never meets a
/// model's name.
pub fn hazard_slot(k: usize) -> String {
    format!("hazard#{k}")
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepProgram {
    pub model: String,
    pub method: Method,
    pub layout: Layout,
    /// Every param value from the declared expressions; outputs `Param(i)` for every
    /// param in dependency order. `Inst::Param(j)` inside it reads a param already
    /// computed or overridden (the runtime skips outputs for overridden params).
    pub params: Block,
    /// Default value of every input (outputs `Input(i)`), from params.
    pub input_defaults: Block,
    /// Initial values of every state (outputs `State(i)`), from params, inputs' defaults
    /// and `t = 0`.
    pub init: Block,
    /// One step: outputs `State(i)` for every state.
    pub step: Block,
    /// Intermediates from the current state: outputs `Intermediate(i)` for every one.
    pub intermediates: Block,
    pub events: Vec<EventProgram>,
    /// Under `Method::Exact`: where the linear system's matrix and its step's propagator
    /// are kept (param slots after the model's own). The runtime fills the propagator's
    /// slots after the params block and before the first step.
    pub propagator: Option<crate::propagator::Propagator>,
}
