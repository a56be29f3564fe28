//! Discretisation as data: a `Linearized` model and a method become a `StepProgram`
//! (straight-line SSA blocks, meaning fixed in `galvani_ir::step`).
//!
//! With `y` the old state, `t` the step's start, `f` the right-hand side, `A − B·y` its
//! linear form and `φ(x) = expm1(x)/x`:
//!
//! | method | update |
//! |---|---|
//! | `euler` | `y' = y + dt·f(t, y)` |
//! | `rk4` | `k₁ = f(t, y)`, `k₂ = f(t + dt/2, y + dt/2·k₁)`, `k₃ = f(t + dt/2, y + dt/2·k₂)`, `k₄ = f(t + dt, y + dt·k₃)`, `y' = y + dt/6·(k₁ + 2k₂ + 2k₃ + k₄)` |
//! | `expeuler` | linear: `y' = y + dt·(A − B·y)·φ(−B·dt)`; nonlinear: `y' = y + dt·f(y)·φ(−B(y)·dt)` (Rosenbrock–Euler) |
//! | `expeuler2` | `y½ = y + dt/2·g·φ(−B·dt/2)` (an `expeuler` half step), then linear: `A*`, `B*` at `(t + dt/2, y½)` and `y' = y + dt·(A* − B*·y)·φ(−B*·dt)` (Rush–Larsen 2); nonlinear: `f*`, `B*` at `t + dt/2` with the other states at `y½` and this one at `y`, `y' = y + dt·f*·φ(−B*·dt)` |
//!
//! White noise (`dy/dt = f + Σ g·ξ`, `f` the deterministic part the table applies to):
//! each noise is an input slot after the model's inputs, holding a fresh N(0,1) draw per
//! neuron and step (the runtime's `Protocol::WhiteNoise`), added as `g·sd·N` with `g` at
//! the step's start and `sd = √dt` (Euler–Maruyama) under `euler`, under `expeuler` for a
//! nonlinear equation or `B ≡ 0`, and `sd = √(dt·φ(−2B·dt))` (the exact Ornstein–Uhlenbeck
//! step) for a linear one; `rk4` and `expeuler2` refuse a model with noise.
//!
//! Every stage reads the old state; outputs are written after the whole block, so all new
//! values come from the old state. Instructions are hash-consed per block, which is
//! common-subexpression elimination across every equation of the step.

use crate::dag::{Dag, Node, NodeId, Sym};
use crate::exact::LinearSystem;
use crate::linear::{time_dim, Class, Linearized};
use crate::SymbolicError;
use galvani_ir::propagator::{Entry, Propagator};
use galvani_ir::step::{
    Block, EventProgram, Func, Inst, Layout, Method, Reg, Slot, StepProgram, Target,
};
use galvani_ir::{AssignOp, BinOp};
use std::collections::{BTreeSet, HashMap};

/// Builds one integration method's `StepProgram`.
pub fn discretize(lin: &Linearized, method: Method) -> Result<StepProgram, SymbolicError> {
    let model = &lin.model;
    if let (Some(first), Method::Rk4 | Method::ExpEuler2 | Method::Exact) =
        (model.noises.first(), method)
    {
        return Err(SymbolicError::NoiseMethod {
            method,
            span: first.span,
        });
    }
    let mut dag = lin.dag.clone();
    let system = match method {
        Method::Exact => Some(LinearSystem::of(&mut dag, lin)?),
        _ => None,
    };
    let slot = |name: &str, unit: &galvani_ir::DisplayUnit| Slot {
        name: name.to_string(),
        unit: unit.clone(),
    };
    let layout = Layout {
        states: model
            .states
            .iter()
            .map(|s| slot(&s.name, &s.unit))
            .collect(),
        params: model
            .params
            .iter()
            .map(|p| slot(&p.name, &p.unit))
            .collect(),
        // The model's inputs, then one slot per white noise: the runtime writes a fresh
        // N(0,1) draw per neuron into it before every step.
        inputs: model
            .inputs
            .iter()
            .map(|i| slot(&i.name, &i.unit))
            .chain(model.noises.iter().map(|n| Slot {
                name: n.name.clone(),
                unit: galvani_ir::units::internal_display_unit(galvani_ir::Dim::NONE),
            }))
            // Then one slot per escape-noise event: a uniform draw in [0, 1) per neuron
            // and step.
            .chain(
                lin.events
                    .iter()
                    .filter(|e| e.hazard.is_some())
                    .enumerate()
                    .map(|(k, _)| Slot {
                        name: galvani_ir::step::hazard_slot(k),
                        unit: galvani_ir::units::internal_display_unit(galvani_ir::Dim::NONE),
                    }),
            )
            .collect(),
        intermediates: model
            .intermediates
            .iter()
            .map(|m| slot(&m.name, &m.unit))
            .collect(),
    };

    let mut layout = layout;
    let propagator = system
        .as_ref()
        .map(|system| propagator_slots(&dag, lin, system, &mut layout.params));

    let mut params = Builder::new(&dag);
    for (i, &value) in lin.params.iter().enumerate() {
        let env = params.plain_env(0);
        let reg = params.emit(&dag, value, &env)?;
        params.outputs.push((Target::Param(i as u32), reg));
    }
    // The linear system's matrix, a derived param per entry that is not identically 0.
    if let (Some(system), Some(propagator)) = (&system, &propagator) {
        for entry in &propagator.matrix {
            let env = params.plain_env(0);
            let value = system.matrix[entry.row as usize][entry.column as usize];
            let reg = params.emit(&dag, value, &env)?;
            params.outputs.push((Target::Param(entry.param), reg));
        }
    }

    let mut input_defaults = Builder::new(&dag);
    for (i, &value) in lin.input_defaults.iter().enumerate() {
        let env = input_defaults.plain_env(0);
        let reg = input_defaults.emit(&dag, value, &env)?;
        input_defaults.outputs.push((Target::Input(i as u32), reg));
    }

    let init = init_block(&mut dag, lin)?;
    let step = match (&system, &propagator) {
        (Some(system), Some(propagator)) => exact_step_block(&dag, lin, system, propagator)?,
        _ => step_block(&dag, lin, method)?,
    };

    let mut intermediates = Builder::new(&dag);
    let env = intermediates.state_env(lin.states.len(), 0);
    for (i, &value) in lin.intermediates.iter().enumerate() {
        let reg = intermediates.emit(&dag, value, &env)?;
        intermediates
            .outputs
            .push((Target::Intermediate(i as u32), reg));
    }

    let mut events = Vec::with_capacity(lin.events.len());
    let mut hazards = 0;
    for event in &lin.events {
        let mut program = event_program(&mut dag, lin, event)?;
        if let Some(rate) = event.hazard {
            let slot = model.inputs.len() + model.noises.len() + hazards;
            program.condition = hazard_condition(&dag, lin, rate, slot as u32)?;
            program.level = true;
            hazards += 1;
        }
        events.push(program);
    }

    Ok(StepProgram {
        model: model.name.clone(),
        method,
        layout,
        params: params.finish(),
        input_defaults: input_defaults.finish(),
        init,
        step,
        intermediates: intermediates.finish(),
        events,
        propagator,
    })
}

/// The param slots of `M`'s non-zero entries and of the entries of `E` and `F` the exact
/// step reads, appended to `params` after the model's own: `M[v,ge]`, `E[v,ge]`,
/// `F[v,v]` (not identifiers, so they never meet a model's name or an override).
/// `F_ij` is read only where `c_j` is not identically 0.
fn propagator_slots(
    dag: &Dag,
    lin: &Linearized,
    system: &LinearSystem,
    params: &mut Vec<Slot>,
) -> Propagator {
    let model = &lin.model;
    let n = system.matrix.len();
    let reach = system.reach(dag);
    let time = time_dim(model);
    let mut slots = |prefix: &str,
                     dim: &dyn Fn(usize, usize) -> galvani_ir::Dim,
                     which: &dyn Fn(usize, usize) -> bool| {
        let mut entries = Vec::new();
        for row in 0..n {
            for column in 0..n {
                if !which(row, column) {
                    continue;
                }
                entries.push(Entry {
                    row: row as u32,
                    column: column as u32,
                    param: params.len() as u32,
                });
                params.push(Slot {
                    name: format!(
                        "{prefix}[{},{}]",
                        model.states[row].name, model.states[column].name
                    ),
                    unit: galvani_ir::units::internal_display_unit(dim(row, column)),
                });
            }
        }
        entries
    };
    // E_ij has the dimension of y_i/y_j, M_ij that over time, F_ij that times time.
    let ratio = |row: usize, column: usize| {
        dag.sym_dim(Sym::State(row as u32))
            .div(dag.sym_dim(Sym::State(column as u32)))
    };
    let matrix = slots(
        "M",
        &|row, column| ratio(row, column).div(time),
        &|row, column| !dag.is_const(system.matrix[row][column], 0.0),
    );
    let exponential = slots("E", &ratio, &|row, column| reach[row][column]);
    let integral = slots(
        "F",
        &|row, column| ratio(row, column).mul(time),
        &|row, column| reach[row][column] && !dag.is_const(system.constant[column], 0.0),
    );
    Propagator {
        size: n as u32,
        matrix,
        exponential,
        integral,
    }
}

/// The exact step: `y'_i = Σ_j E_ij·y_j + Σ_j F_ij·c_j` over the entries the propagator
/// keeps, in column order (`E`, then `F`), with `E` and `F` read as params and `c` from
/// params and inputs at the step's start.
fn exact_step_block(
    dag: &Dag,
    lin: &Linearized,
    system: &LinearSystem,
    propagator: &Propagator,
) -> Result<Block, SymbolicError> {
    let n = lin.states.len();
    let mut b = Builder::new(dag);
    let env = b.plain_env(0);
    let mut sums: Vec<Option<Reg>> = vec![None; n];
    let mut accumulate = |b: &mut Builder, row: u32, term: Reg| {
        let sum = &mut sums[row as usize];
        *sum = Some(match *sum {
            None => term,
            Some(partial) => b.bin(BinOp::Add, partial, term),
        });
    };
    for entry in &propagator.exponential {
        let weight = b.push(Inst::Param(entry.param));
        let y = b.push(Inst::State(entry.column));
        let term = b.bin(BinOp::Mul, weight, y);
        accumulate(&mut b, entry.row, term);
    }
    for entry in &propagator.integral {
        let weight = b.push(Inst::Param(entry.param));
        let drive = b.emit(dag, system.constant[entry.column as usize], &env)?;
        let term = b.bin(BinOp::Mul, weight, drive);
        accumulate(&mut b, entry.row, term);
    }
    for (i, sum) in sums.into_iter().enumerate() {
        let Some(new) = sum else {
            return Err(SymbolicError::Internal {
                what: format!("the exact step has no term for state #{i}"),
            });
        };
        b.outputs.push((Target::State(i as u32), new));
    }
    Ok(b.finish())
}

/// Initial values, in `init_order`: inputs replaced by their default expressions, `t` by
/// 0. Another state's initial value is read with a `State(j)` load placed after `j`'s
/// output, which (by the sequential meaning of the init block) reads that output, or the
/// run's override of it: `--init V=-70mV` moves the gates' steady states along.
fn init_block(dag: &mut Dag, lin: &Linearized) -> Result<Block, SymbolicError> {
    let model = &lin.model;
    let mut map: HashMap<Sym, NodeId> = HashMap::new();
    for (i, &default) in lin.input_defaults.iter().enumerate() {
        map.insert(Sym::Input(i as u32), default);
    }
    map.insert(Sym::Time, dag.zero(time_dim(model)));
    let mut block = Builder::new(dag);
    let time = block.constant(0.0);
    let mut env = Env {
        id: 0,
        states: vec![None; lin.inits.len()],
        time,
        load_on_use: 0,
    };
    let mut done = vec![false; lin.inits.len()];
    for (step, &state) in model.init_order.iter().enumerate() {
        let Some(&init) = lin.inits.get(state.index()) else {
            return Err(SymbolicError::MalformedModel {
                what: format!("init order names state #{}", state.0),
            });
        };
        let value = dag.substitute(init, &map);
        // Each state's value is its own stage: loads of earlier outputs differ per step.
        env.id = step as u32;
        let reg = block.emit(dag, value, &env)?;
        block.outputs.push((Target::State(state.0), reg));
        done[state.index()] = true;
        env.states[state.index()] = Some(block.push(Inst::State(state.0)));
    }
    if let Some(missing) = done.iter().position(|d| !d) {
        return Err(SymbolicError::MalformedModel {
            what: format!("state #{missing} is missing from the init order"),
        });
    }
    Ok(block.finish())
}

/// The step block of one method.
fn step_block(dag: &Dag, lin: &Linearized, method: Method) -> Result<Block, SymbolicError> {
    let n = lin.states.len();
    let mut b = Builder::new(dag);
    let env0 = b.state_env(n, 0);
    let y: Vec<Reg> = (0..n).map(|i| b.push(Inst::State(i as u32))).collect();
    let t = env0.time;
    let dt = b.push(Inst::Dt);
    let mut new_values: Vec<Reg> = Vec::with_capacity(n);
    match method {
        Method::Exact => {
            return Err(SymbolicError::Internal {
                what: "the exact step is built from the linear system (exact_step_block)"
                    .to_string(),
            })
        }
        Method::Euler => {
            // y' = y + dt·f(t, y)
            for (i, form) in lin.states.iter().enumerate() {
                let k = b.emit(dag, form.f, &env0)?;
                let deterministic = b.axpy(y[i], dt, k);
                // Euler–Maruyama: + g·√dt·N(0,1) per noise term
                let sd = b.sqrt(dt);
                let new = b.add_noise(dag, lin, form, &env0, deterministic, sd)?;
                new_values.push(new);
            }
        }
        Method::Rk4 => {
            let half = b.constant(0.5);
            let half_dt = b.bin(BinOp::Mul, half, dt);
            let t_half = b.bin(BinOp::Add, t, half_dt);
            let t_full = b.bin(BinOp::Add, t, dt);
            // k₁ = f(t, y)
            let k1 = b.emit_all(dag, lin, &env0)?;
            // k₂ = f(t + dt/2, y + dt/2·k₁)
            let env1 = b.stage_env(1, &y, half_dt, &k1, t_half);
            let k2 = b.emit_all(dag, lin, &env1)?;
            // k₃ = f(t + dt/2, y + dt/2·k₂)
            let env2 = b.stage_env(2, &y, half_dt, &k2, t_half);
            let k3 = b.emit_all(dag, lin, &env2)?;
            // k₄ = f(t + dt, y + dt·k₃)
            let env3 = b.stage_env(3, &y, dt, &k3, t_full);
            let k4 = b.emit_all(dag, lin, &env3)?;
            // y' = y + dt/6·(k₁ + 2k₂ + 2k₃ + k₄)
            let two = b.constant(2.0);
            let six = b.constant(6.0);
            let sixth_dt = b.bin(BinOp::Div, dt, six);
            for i in 0..n {
                let middle = b.bin(BinOp::Add, k2[i], k3[i]);
                let middle = b.bin(BinOp::Mul, two, middle);
                let sum = b.bin(BinOp::Add, k1[i], middle);
                let sum = b.bin(BinOp::Add, sum, k4[i]);
                new_values.push(b.axpy(y[i], sixth_dt, sum));
            }
        }
        Method::ExpEuler => {
            for (i, form) in lin.states.iter().enumerate() {
                let (g, rate) = b.slope_and_rate(dag, form, &env0, y[i])?;
                let deterministic =
                    b.phi_step(y[i], dt, g, rate, may_have_infinite_rate(dag, form, i))?;
                if form.noise.is_empty() {
                    new_values.push(deterministic);
                    continue;
                }
                let sd = match (&form.class, rate) {
                    // The exact Ornstein–Uhlenbeck step: the noise accumulated over the
                    // step, ∫₀^dt e^{−B(dt−s)} dW, has variance (1 − e^{−2B·dt})/(2B)
                    // = dt·φ(−2B·dt), which is dt in the limit B → 0.
                    (Class::Linear, Some(rate)) => {
                        let two = b.constant(-2.0);
                        let scaled = b.bin(BinOp::Mul, two, rate);
                        let argument = b.bin(BinOp::Mul, scaled, dt);
                        let weight = b.push(Inst::Call(Func::Phi, vec![argument]));
                        let variance = b.bin(BinOp::Mul, dt, weight);
                        b.sqrt(variance)
                    }
                    // B ≡ 0 (a pure diffusion), or a nonlinear equation: Euler–Maruyama.
                    _ => b.sqrt(dt),
                };
                let new = b.add_noise(dag, lin, form, &env0, deterministic, sd)?;
                new_values.push(new);
            }
        }
        Method::ExpEuler2 => {
            let half = b.constant(0.5);
            let half_dt = b.bin(BinOp::Mul, half, dt);
            let t_half = b.bin(BinOp::Add, t, half_dt);
            // y½ = y + dt/2·g·φ(−B·dt/2): an expeuler half step from the old state
            let mut mid = Vec::with_capacity(n);
            for (i, form) in lin.states.iter().enumerate() {
                let (g, rate) = b.slope_and_rate(dag, form, &env0, y[i])?;
                let guard = may_have_infinite_rate(dag, form, i);
                mid.push(b.phi_step(y[i], half_dt, g, rate, guard)?);
            }
            let mut env_mid = Env {
                id: 1,
                states: mid.iter().map(|r| Some(*r)).collect(),
                time: t_half,
                load_on_use: 0,
            };
            for (i, form) in lin.states.iter().enumerate() {
                let (g, rate) = match form.class {
                    // A* − B*·y (old y), A*, B* at the midpoint
                    Class::Linear => b.slope_and_rate(dag, form, &env_mid, y[i])?,
                    // f* = f, B* = −∂f/∂y at (t + dt/2, others at y½, this state at its
                    // old y): the update y + dt·f*·φ(−B*·dt) equals
                    // y + dt·f + dt²/2·(f_y·f + f_z·z') + O(dt³), second order. It is the
                    // linear rule above whenever f is linear in y, and its sign is the sign
                    // of f*: the midpoint line f(y½) + B(y½)·(y½ − y) can point the wrong
                    // way on an explosive upstroke (|B|·(y½ − y) > f(y½) on EIF's exp term)
                    // and φ then amplifies the error by e^{|B|·dt}.
                    // The midpoint environment with this state's old value, changed in
                    // place and put back: a copy per state was quadratic in the states.
                    Class::Nonlinear { .. } => {
                        env_mid.id = 2 + i as u32;
                        env_mid.states[i] = Some(y[i]);
                        let slope_and_rate = b.slope_and_rate(dag, form, &env_mid, y[i]);
                        env_mid.id = 1;
                        env_mid.states[i] = Some(mid[i]);
                        slope_and_rate?
                    }
                };
                let guard = may_have_infinite_rate(dag, form, i);
                new_values.push(b.phi_step(y[i], dt, g, rate, guard)?);
            }
        }
    }
    for (i, reg) in new_values.into_iter().enumerate() {
        b.outputs.push((Target::State(i as u32), reg));
    }
    Ok(b.finish())
}

fn event_program(
    dag: &mut Dag,
    lin: &Linearized,
    event: &crate::linear::EventForms,
) -> Result<EventProgram, SymbolicError> {
    let n = lin.states.len();
    let mut condition = Builder::new(dag);
    let env = condition.lazy_state_env(n, 0);
    let reg = condition.emit(dag, event.condition, &env)?;
    condition.outputs.push((Target::Condition, reg));
    // Crossing function: positive when the comparison holds (`a > b` → `a − b`).
    let crossing = match dag.node(event.condition).clone() {
        Node::Logic(galvani_ir::BinOp::Gt | galvani_ir::BinOp::Ge, a, b) => Some(dag.sub(a, b)),
        Node::Logic(galvani_ir::BinOp::Lt | galvani_ir::BinOp::Le, a, b) => Some(dag.sub(b, a)),
        _ => None,
    };
    if let Some(crossing) = crossing {
        let reg = condition.emit(dag, crossing, &env)?;
        condition.outputs.push((Target::Crossing, reg));
    }

    // Assignments in order, each seeing the values the previous ones left: compose them
    // into functions of the pre-event state.
    let mut current: HashMap<Sym, NodeId> = HashMap::new();
    let mut assigned: BTreeSet<u32> = BTreeSet::new();
    let mut held: BTreeSet<u32> = BTreeSet::new();
    for &(state, op, value) in &event.actions {
        let y = Sym::State(state.0);
        let value = dag.substitute(value, &current);
        let old = match current.get(&y) {
            Some(&v) => v,
            None => dag.sym(y),
        };
        let new = match op {
            AssignOp::Set => {
                held.insert(state.0);
                value
            }
            AssignOp::Add => dag.add(vec![old, value]),
            AssignOp::Sub => dag.sub(old, value),
        };
        current.insert(y, new);
        assigned.insert(state.0);
    }
    let mut actions = Builder::new(dag);
    let env = actions.lazy_state_env(n, 0);
    for &s in &assigned {
        let value = current
            .get(&Sym::State(s))
            .copied()
            .unwrap_or_else(|| dag.sym(Sym::State(s)));
        let reg = actions.emit(dag, value, &env)?;
        actions.outputs.push((Target::State(s), reg));
    }
    // The refractory duration sees the values left by every assignment of the block.
    if let Some(refractory) = event.refractory {
        let value = dag.substitute(refractory, &current);
        let reg = actions.emit(dag, value, &env)?;
        actions.outputs.push((Target::Refractory, reg));
    }
    Ok(EventProgram {
        kind: event.kind,
        condition: condition.finish(),
        actions: actions.finish(),
        held_states: held.into_iter().collect(),
        level: false,
    })
}

/// The condition of an escape-noise event: `U < 1 − e^(−RATE·dt) = −expm1(−RATE·dt)`, with
/// `U` the event's uniform draw in `slot` and RATE at the state it is evaluated on (the end
/// of the step); true with exactly that probability. No crossing function: a firing is
/// placed at the end of the step.
fn hazard_condition(
    dag: &Dag,
    lin: &Linearized,
    rate: NodeId,
    slot: u32,
) -> Result<Block, SymbolicError> {
    let mut b = Builder::new(dag);
    let env = b.lazy_state_env(lin.states.len(), 0);
    let rate = b.emit(dag, rate, &env)?;
    let dt = b.push(Inst::Dt);
    let exponent = b.bin(BinOp::Mul, rate, dt);
    let exponent = b.push(Inst::Neg(exponent));
    let m1 = b.push(Inst::Call(
        Func::Builtin(galvani_ir::Builtin::Expm1),
        vec![exponent],
    ));
    let probability = b.push(Inst::Neg(m1));
    let draw = b.push(Inst::Input(slot));
    let fires = b.bin(BinOp::Lt, draw, probability);
    b.outputs.push((Target::Condition, fires));
    Ok(b.finish())
}

/// What the symbols of an expression read in one stage.
#[derive(Clone, Debug)]
struct Env {
    /// Distinguishes stages in the emission memo.
    id: u32,
    /// `None` for a state that cannot be read here.
    states: Vec<Option<Reg>>,
    time: Reg,
    /// States below this index without a register are loaded where first read (event
    /// blocks: a block per event loading every state made 10,000 events × 10,000 states
    /// a hundred million instructions).
    load_on_use: u32,
}

/// The hash-consing key of an instruction (constants by their bits).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Const(u64),
    State(u32),
    Param(u32),
    Input(u32),
    Time,
    Dt,
    Neg(Reg),
    Not(Reg),
    Binary(BinOp, Reg, Reg),
    Select(Reg, Reg, Reg),
    Call(Func, Vec<Reg>),
}

fn key_of(inst: &Inst) -> Key {
    match inst {
        Inst::Const(v) => Key::Const(v.to_bits()),
        Inst::State(i) => Key::State(*i),
        Inst::Param(i) => Key::Param(*i),
        Inst::Input(i) => Key::Input(*i),
        Inst::Time => Key::Time,
        Inst::Dt => Key::Dt,
        Inst::Neg(a) => Key::Neg(*a),
        Inst::Not(a) => Key::Not(*a),
        Inst::Binary(op, a, b) => Key::Binary(*op, *a, *b),
        Inst::Select(c, a, b) => Key::Select(*c, *a, *b),
        Inst::Call(f, args) => Key::Call(*f, args.clone()),
    }
}

/// Builds one block: instructions hash-consed (CSE), DAG nodes memoised per stage.
struct Builder {
    insts: Vec<Inst>,
    interned: HashMap<Key, Reg>,
    emitted: HashMap<(NodeId, u32), Reg>,
    outputs: Vec<(Target, Reg)>,
}

impl Builder {
    fn new(_dag: &Dag) -> Builder {
        Builder {
            insts: Vec::new(),
            interned: HashMap::new(),
            emitted: HashMap::new(),
            outputs: Vec::new(),
        }
    }

    /// The block with dead instructions removed (loads no output needs, stage values of
    /// unused states) and registers renumbered in order.
    fn finish(self) -> Block {
        let mut live = vec![false; self.insts.len()];
        for (_, reg) in &self.outputs {
            live[reg.0 as usize] = true;
        }
        for k in (0..self.insts.len()).rev() {
            if live[k] {
                for operand in self.insts[k].operands() {
                    live[operand.0 as usize] = true;
                }
            }
        }
        let mut renumber = vec![Reg(u32::MAX); self.insts.len()];
        let mut insts = Vec::with_capacity(self.insts.len());
        let map = |r: &Reg, renumber: &[Reg]| renumber[r.0 as usize];
        for (k, inst) in self.insts.into_iter().enumerate() {
            if !live[k] {
                continue;
            }
            renumber[k] = Reg(insts.len() as u32);
            let inst = match inst {
                Inst::Neg(a) => Inst::Neg(map(&a, &renumber)),
                Inst::Not(a) => Inst::Not(map(&a, &renumber)),
                Inst::Binary(op, a, b) => Inst::Binary(op, map(&a, &renumber), map(&b, &renumber)),
                Inst::Select(c, a, b) => {
                    Inst::Select(map(&c, &renumber), map(&a, &renumber), map(&b, &renumber))
                }
                Inst::Call(f, args) => {
                    Inst::Call(f, args.iter().map(|a| map(a, &renumber)).collect())
                }
                other => other,
            };
            insts.push(inst);
        }
        let outputs = self
            .outputs
            .iter()
            .map(|(target, reg)| (*target, renumber[reg.0 as usize]))
            .collect();
        Block { insts, outputs }
    }

    fn push(&mut self, inst: Inst) -> Reg {
        let key = key_of(&inst);
        if let Some(&reg) = self.interned.get(&key) {
            return reg;
        }
        let reg = Reg(self.insts.len() as u32);
        self.insts.push(inst);
        self.interned.insert(key, reg);
        reg
    }

    fn constant(&mut self, value: f64) -> Reg {
        self.push(Inst::Const(value))
    }

    fn bin(&mut self, op: BinOp, a: Reg, b: Reg) -> Reg {
        self.push(Inst::Binary(op, a, b))
    }

    /// `y + h·k`
    fn axpy(&mut self, y: Reg, h: Reg, k: Reg) -> Reg {
        let step = self.bin(BinOp::Mul, h, k);
        self.bin(BinOp::Add, y, step)
    }

    /// `√x`
    fn sqrt(&mut self, x: Reg) -> Reg {
        self.push(Inst::Call(
            Func::Builtin(galvani_ir::Builtin::Sqrt),
            vec![x],
        ))
    }

    /// `y + Σ g·sd·N` over the noise terms of `form`: `g` at the step's start (it reads
    /// no state), `N` the noise's slot, after the model's inputs.
    fn add_noise(
        &mut self,
        dag: &Dag,
        lin: &Linearized,
        form: &crate::linear::StateForm,
        env: &Env,
        y: Reg,
        sd: Reg,
    ) -> Result<Reg, SymbolicError> {
        let mut y = y;
        for term in &form.noise {
            let g = self.emit(dag, term.scale, env)?;
            let slot = lin.model.inputs.len() + term.noise.index();
            let draw = self.push(Inst::Input(slot as u32));
            let kick = self.bin(BinOp::Mul, g, sd);
            let kick = self.bin(BinOp::Mul, kick, draw);
            y = self.bin(BinOp::Add, y, kick);
        }
        Ok(y)
    }

    /// `A − B·y`
    fn minus_rate_times(&mut self, a: Reg, rate: Reg, y: Reg) -> Reg {
        let decay = self.bin(BinOp::Mul, rate, y);
        self.bin(BinOp::Sub, a, decay)
    }

    /// `y + h·g·φ(−B·h)`, or `y + h·g` when `B ≡ 0` (`φ(0) = 1`). With `guard`, a
    /// non-finite `B` gives the weight 1, the explicit step `y + h·g`: where `f` has an
    /// infinite slope (`1 − √y` at `y = 0`) `φ(−∞) = 0` would freeze `y` forever.
    fn phi_step(
        &mut self,
        y: Reg,
        h: Reg,
        g: Reg,
        rate: Option<Reg>,
        guard: bool,
    ) -> Result<Reg, SymbolicError> {
        let Some(rate) = rate else {
            return Ok(self.axpy(y, h, g));
        };
        let scaled = self.bin(BinOp::Mul, rate, h);
        let argument = self.push(Inst::Neg(scaled));
        let mut weight = self.push(Inst::Call(Func::Phi, vec![argument]));
        if guard {
            // B·0 = 0 exactly when B is finite (∞·0 and NaN·0 are NaN).
            let zero = self.constant(0.0);
            let one = self.constant(1.0);
            let times_zero = self.bin(BinOp::Mul, rate, zero);
            let finite = self.bin(BinOp::Eq, times_zero, zero);
            weight = self.push(Inst::Select(finite, weight, one));
        }
        let increment = self.bin(BinOp::Mul, h, g);
        let increment = self.bin(BinOp::Mul, increment, weight);
        Ok(self.bin(BinOp::Add, y, increment))
    }

    /// The slope `g` and rate `B` of one equation at the stage `env`: `(A − B·y, B)` for
    /// a linear equation, `(f, B(y))` for a nonlinear one; `B` is `None` when it is ≡ 0.
    fn slope_and_rate(
        &mut self,
        dag: &Dag,
        form: &crate::linear::StateForm,
        env: &Env,
        y: Reg,
    ) -> Result<(Reg, Option<Reg>), SymbolicError> {
        let rate_is_zero = dag.is_const(form.b, 0.0);
        let rate = if rate_is_zero {
            None
        } else {
            Some(self.emit(dag, form.b, env)?)
        };
        let g = match (&form.class, rate) {
            (Class::Linear, Some(rate)) => {
                let a = self.emit(dag, form.a, env)?;
                self.minus_rate_times(a, rate, y)
            }
            (Class::Linear, None) => self.emit(dag, form.a, env)?,
            (Class::Nonlinear { .. }, _) => self.emit(dag, form.f, env)?,
        };
        Ok((g, rate))
    }

    /// Loads of the old state and `t`.
    fn state_env(&mut self, n: usize, id: u32) -> Env {
        let states = (0..n)
            .map(|i| Some(self.push(Inst::State(i as u32))))
            .collect();
        let time = self.push(Inst::Time);
        Env {
            id,
            states,
            time,
            load_on_use: 0,
        }
    }

    /// An environment without states (params, input defaults, init).
    fn plain_env(&mut self, id: u32) -> Env {
        let time = self.push(Inst::Time);
        Env {
            id,
            states: Vec::new(),
            time,
            load_on_use: 0,
        }
    }

    /// The old state of `n` states at `t`, each loaded where first read.
    fn lazy_state_env(&mut self, n: usize, id: u32) -> Env {
        let time = self.push(Inst::Time);
        Env {
            id,
            states: Vec::new(),
            time,
            load_on_use: n as u32,
        }
    }

    /// The stage state `y + h·k` at time `time`.
    fn stage_env(&mut self, id: u32, y: &[Reg], h: Reg, k: &[Reg], time: Reg) -> Env {
        let states = y
            .iter()
            .zip(k)
            .map(|(&yi, &ki)| Some(self.axpy(yi, h, ki)))
            .collect();
        Env {
            id,
            states,
            time,
            load_on_use: 0,
        }
    }

    /// `f` of every state at one stage.
    fn emit_all(
        &mut self,
        dag: &Dag,
        lin: &Linearized,
        env: &Env,
    ) -> Result<Vec<Reg>, SymbolicError> {
        lin.states
            .iter()
            .map(|form| self.emit(dag, form.f, env))
            .collect()
    }

    fn sym(&mut self, sym: Sym, env: &Env) -> Result<Reg, SymbolicError> {
        Ok(match sym {
            Sym::Param(i) => self.push(Inst::Param(i)),
            Sym::Input(i) => self.push(Inst::Input(i)),
            Sym::State(i) => match env.states.get(i as usize).copied().flatten() {
                Some(reg) => reg,
                None if i < env.load_on_use => self.push(Inst::State(i)),
                None => {
                    return Err(SymbolicError::Internal {
                        what: format!("state #{i} read where no state is available"),
                    })
                }
            },
            Sym::Time => env.time,
            Sym::Dt => self.push(Inst::Dt),
            Sym::Gate(..) => {
                return Err(SymbolicError::Internal {
                    what: "a gate placeholder reached a step program".to_string(),
                })
            }
        })
    }

    /// The register holding `id` evaluated at `env`.
    fn emit(&mut self, dag: &Dag, id: NodeId, env: &Env) -> Result<Reg, SymbolicError> {
        let reads_stage = dag
            .syms(id)
            .iter()
            .any(|s| matches!(s, Sym::State(_) | Sym::Time));
        let memo_key = (id, if reads_stage { env.id } else { u32::MAX });
        if let Some(&reg) = self.emitted.get(&memo_key) {
            return Ok(reg);
        }
        let reg = match dag.node(id) {
            Node::Const(bits, _) => self.push(Inst::Const(f64::from_bits(*bits))),
            Node::Sym(sym) => self.sym(*sym, env)?,
            Node::Add(terms) => {
                let terms = terms.clone();
                self.emit_sum(dag, &terms, env)?
            }
            Node::Mul(factors) => {
                let factors = factors.clone();
                self.emit_product(dag, &factors, false, env)?
            }
            Node::Pow(base, exponent) => match dag.const_value(*exponent) {
                Some(e) if e < 0.0 => self.emit_product(dag, &[id], false, env)?,
                _ => {
                    let b = self.emit(dag, *base, env)?;
                    let e = self.emit(dag, *exponent, env)?;
                    self.bin(BinOp::Pow, b, e)
                }
            },
            Node::Call(func, args) => {
                let (func, args) = (*func, args.clone());
                let regs = args
                    .iter()
                    .map(|a| self.emit(dag, *a, env))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(Inst::Call(func, regs))
            }
            Node::If(c, a, b) => {
                let (c, a, b) = (*c, *a, *b);
                let c = self.emit(dag, c, env)?;
                let a = self.emit(dag, a, env)?;
                let b = self.emit(dag, b, env)?;
                self.push(Inst::Select(c, a, b))
            }
            Node::Logic(op, a, b) => {
                let (op, a, b) = (*op, *a, *b);
                let a = self.emit(dag, a, env)?;
                let b = self.emit(dag, b, env)?;
                self.bin(op, a, b)
            }
            Node::Not(a) => {
                let a = self.emit(dag, *a, env)?;
                self.push(Inst::Not(a))
            }
        };
        self.emitted.insert(memo_key, reg);
        Ok(reg)
    }

    /// `t₀ + t₁ − t₂ …`, leading with a positive term (subtraction for negative terms).
    fn emit_sum(&mut self, dag: &Dag, terms: &[NodeId], env: &Env) -> Result<Reg, SymbolicError> {
        let mut order = terms.to_vec();
        if let Some(p) = order.iter().position(|t| !dag.is_negative_term(*t)) {
            let lead = order.remove(p);
            order.insert(0, lead);
        }
        let mut acc: Option<Reg> = None;
        for term in order {
            let negative = dag.is_negative_term(term);
            let magnitude = if negative {
                match dag.node(term) {
                    Node::Const(bits, _) => self.constant(-f64::from_bits(*bits)),
                    Node::Mul(factors) => {
                        let factors = factors.clone();
                        self.emit_product(dag, &factors, true, env)?
                    }
                    _ => self.emit(dag, term, env)?,
                }
            } else {
                self.emit(dag, term, env)?
            };
            acc = Some(match (acc, negative) {
                (None, false) => magnitude,
                (None, true) => self.push(Inst::Neg(magnitude)),
                (Some(a), false) => self.bin(BinOp::Add, a, magnitude),
                (Some(a), true) => self.bin(BinOp::Sub, a, magnitude),
            });
        }
        acc.ok_or_else(|| SymbolicError::Internal {
            what: "empty sum".to_string(),
        })
    }

    /// `c·n₁·n₂/(d₁·d₂)`; `negate` emits the product with `−c`.
    fn emit_product(
        &mut self,
        dag: &Dag,
        factors: &[NodeId],
        negate: bool,
        env: &Env,
    ) -> Result<Reg, SymbolicError> {
        let mut coefficient = 1.0;
        let mut numerator = Vec::new();
        let mut denominator = Vec::new();
        for &f in factors {
            match dag.node(f) {
                Node::Const(bits, _) => coefficient *= f64::from_bits(*bits),
                Node::Pow(base, exponent) => match dag.const_value(*exponent) {
                    Some(e) if e < 0.0 => {
                        let base_reg = self.emit(dag, *base, env)?;
                        denominator.push(if e == -1.0 {
                            base_reg
                        } else {
                            let positive = self.constant(-e);
                            self.bin(BinOp::Pow, base_reg, positive)
                        });
                    }
                    _ => numerator.push(self.emit(dag, f, env)?),
                },
                _ => numerator.push(self.emit(dag, f, env)?),
            }
        }
        if negate {
            coefficient = -coefficient;
        }
        let negate_at_end = coefficient == -1.0;
        let mut top: Option<Reg> = None;
        if coefficient != 1.0 && !negate_at_end {
            top = Some(self.constant(coefficient));
        }
        for reg in numerator {
            top = Some(match top {
                None => reg,
                Some(acc) => self.bin(BinOp::Mul, acc, reg),
            });
        }
        let mut bottom: Option<Reg> = None;
        for reg in denominator {
            bottom = Some(match bottom {
                None => reg,
                Some(acc) => self.bin(BinOp::Mul, acc, reg),
            });
        }
        let mut value = match (top, bottom) {
            (Some(t), Some(b)) => self.bin(BinOp::Div, t, b),
            (Some(t), None) => t,
            (None, Some(b)) => {
                let one = self.constant(1.0);
                self.bin(BinOp::Div, one, b)
            }
            (None, None) => self.constant(1.0),
        };
        if negate_at_end {
            value = self.push(Inst::Neg(value));
        }
        Ok(value)
    }
}

/// True for a nonlinear equation whose `f` is not smooth in its own state (a root, a
/// logarithm, a fractional or negative power, a branch): its `B = −∂f/∂y` may be infinite
/// or undefined at some state, where the exponential step must fall back to the explicit
/// one. Polynomials and exponentials (Izhikevich, EIF, AdEx) never need it.
fn may_have_infinite_rate(dag: &Dag, form: &crate::linear::StateForm, i: usize) -> bool {
    !form.class.is_linear()
        && crate::linear::obstruction(dag, form.f, Sym::State(i as u32)).is_some()
}
