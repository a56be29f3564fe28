//! Applying arrivals to post neurons (step 4 of the network step): for one projection,
//! the synapses whose spikes arrive at `t_{k+1}` in presynaptic order, each running the
//! connection's `on pre` block — additive weights straight into the post state, or the
//! general path: the synapse's own states advanced exactly to `t_{k+1}`
//! (`y ← y + (A − B·y)·Δ·φ(−B·Δ)`, `φ(x) = (eˣ − 1)/x`, the closed form of
//! `dy/dt = A − B·y` that stays exact at `B = 0`), then the statements in order. Held
//! states of neurons in their refractory window ignore arrivals.

use galvani_kernel::{Kernel, Population};
use galvani_network::{Formula, Leaf, PreAction, SynapseState, Target};
use galvani_runtime::Stepper;
use galvani_syntax::ast::AssignOp;

use crate::build::{Column, Effect, Projection, StateColumn};

/// `φ(x) = (eˣ − 1)/x`, 1 at 0.
fn phi(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        x.exp_m1() / x
    }
}

/// Which neurons of one population accept arrivals into each held state, in one step
/// (fixed through step 4: only step 5 starts new refractory periods).
pub(crate) struct Acceptance {
    /// `(state, accepts[neuron])` for each state some refractory event holds and some
    /// arrival or drive may write; other states accept always (or are never written) and
    /// are not listed.
    masks: Vec<(usize, Vec<bool>)>,
    /// Per state: whether some projection or drive into the population writes it.
    written: Vec<bool>,
    /// The step the masks are for.
    step: Option<u64>,
}

impl Acceptance {
    /// `written[s]`: whether some projection or drive into the population writes state
    /// `s` (a mask is only computed for those).
    pub(crate) fn new(written: Vec<bool>) -> Acceptance {
        Acceptance {
            masks: Vec::new(),
            written,
            step: None,
        }
    }

    /// Computes the masks for step `k`, once per step.
    pub(crate) fn prepare<K: Kernel + ?Sized>(&mut self, stepper: &Stepper<'_, K>, k: u64) {
        if self.step == Some(k) {
            return;
        }
        self.step = Some(k);
        let states = stepper.kernel().program().layout.states.len();
        if self.masks.is_empty() {
            self.masks = (0..states)
                .filter(|&s| stepper.holds(s) && self.written.get(s).copied().unwrap_or(true))
                .map(|s| (s, Vec::new()))
                .collect();
        }
        for (s, mask) in &mut self.masks {
            stepper.accept_mask(*s, k, mask);
        }
    }

    /// The mask of state `s`, `None` when every neuron accepts.
    fn mask(&self, s: usize) -> Option<&[bool]> {
        self.masks
            .iter()
            .find(|(m, _)| *m == s)
            .map(|(_, mask)| mask.as_slice())
    }

    fn accepts(&self, s: usize, neuron: usize) -> bool {
        self.mask(s).is_none_or(|mask| mask[neuron])
    }
}

/// The arrivals of one projection in one step, in presynaptic (and so synapse) order.
pub(crate) enum Arrivals<'a> {
    /// Every synapse of these presynaptic neurons (ascending): a constant delay.
    Rows(&'a [u32]),
    /// These synapses (ascending): drawn delays.
    Synapses(&'a [u32]),
}

impl Arrivals<'_> {
    /// Calls `f` with every arriving synapse, in order.
    #[inline]
    fn each(&self, offsets: &[u64], mut f: impl FnMut(usize)) {
        match self {
            Arrivals::Rows(pres) => {
                for &i in pres.iter() {
                    let (from, to) = (offsets[i as usize], offsets[i as usize + 1]);
                    for s in from as usize..to as usize {
                        f(s);
                    }
                }
            }
            Arrivals::Synapses(synapses) => {
                for &s in synapses.iter() {
                    f(s as usize);
                }
            }
        }
    }
}

/// Delivers the arrivals at `t_{k+1}` of `projection`.
pub(crate) fn deliver<K: Kernel + ?Sized>(
    projection: &mut Projection,
    arrivals: Arrivals<'_>,
    stepper: &mut Stepper<'_, K>,
    acceptance: &mut Acceptance,
    synapse_states: &[SynapseState],
    k: u64,
    dt: f64,
) {
    acceptance.prepare(stepper, k);
    let pop = stepper.population_mut();
    let shape = pop.shape();
    let Projection {
        synapses: rows,
        params,
        states,
        relaxations,
        coupled,
        effect,
        ..
    } = projection;
    let (offsets, targets) = (&rows.offsets, &rows.targets);
    match &*effect {
        Effect::Additive(weights) => {
            if let [(state, weight)] = weights.as_slice() {
                // One statement: a scatter-add into one array.
                let values = pop.state_mut(*state);
                match (weight, acceptance.mask(*state)) {
                    (Column::Constant(w), None) => arrivals.each(offsets, |s| {
                        values[targets[s] as usize] += w;
                    }),
                    (Column::Constant(w), Some(mask)) => arrivals.each(offsets, |s| {
                        let post = targets[s] as usize;
                        if mask[post] {
                            values[post] += w;
                        }
                    }),
                    (weight, mask) => arrivals.each(offsets, |s| {
                        let post = targets[s] as usize;
                        if mask.is_none_or(|m| m[post]) {
                            values[post] += weight.get(s);
                        }
                    }),
                }
            } else {
                arrivals.each(offsets, |s| {
                    let post = targets[s] as usize;
                    for (state, weight) in weights {
                        if acceptance.accepts(*state, post) {
                            let slot = shape.state_slot(*state);
                            pop.set(slot, post, pop.get(slot, post) + weight.get(s));
                        }
                    }
                });
            }
        }
        Effect::General(actions) => arrivals.each(offsets, |s| {
            let post = targets[s] as usize;
            if *coupled {
                advance_coupled(params, states, synapse_states, s, k + 1, dt);
            } else {
                advance_states(params, states, relaxations, synapse_states, s, k + 1, dt);
            }
            run_actions(actions, params, states, s, post, pop, acceptance);
        }),
    }
}

/// Brings synapse `s`'s states from their last update to grid index `g`.
fn advance_states(
    params: &[Column],
    columns: &mut [StateColumn],
    relaxations: &[Option<galvani_network::Relaxation>],
    synapse_states: &[SynapseState],
    s: usize,
    g: u64,
    dt: f64,
) {
    for (i, state) in synapse_states.iter().enumerate() {
        let last = columns[i].last[s];
        if last == g {
            continue;
        }
        let delta = (g - last) as f64 * dt;
        let (a, b) = match relaxations[i] {
            Some(r) => (r.a, r.b),
            None => {
                let at = |y: f64| {
                    state
                        .derivative_formula
                        .as_ref()
                        .map_or(0.0, |f| eval_synapse_only(f, params, s, i, y))
                };
                let a = at(0.0);
                (a, a - at(1.0))
            }
        };
        let y = columns[i].values[s];
        columns[i].values[s] = y + (a - b * y) * delta * phi(-b * delta);
        columns[i].last[s] = g;
    }
}

/// Brings synapse `s`'s coupled states together from their last update to grid index `g`.
fn advance_coupled(
    params: &[Column],
    columns: &mut [StateColumn],
    synapse_states: &[SynapseState],
    s: usize,
    g: u64,
    dt: f64,
) {
    let Some(last) = columns.first().map(|c| c.last[s]) else {
        return;
    };
    if last == g {
        return;
    }
    let delta = (g - last) as f64 * dt;
    let derivatives: Vec<Option<&Formula>> = synapse_states
        .iter()
        .map(|state| state.derivative_formula.as_ref())
        .collect();
    let mut y: Vec<f64> = columns.iter().map(|c| c.values[s]).collect();
    crate::linear::advance(&derivatives, params, s, &mut y, delta);
    for (column, value) in columns.iter_mut().zip(y) {
        column.values[s] = value;
        column.last[s] = g;
    }
}

/// A synapse state's derivative with the state at `y` and per-synapse params of `s`.
fn eval_synapse_only(formula: &Formula, params: &[Column], s: usize, own: usize, y: f64) -> f64 {
    formula.eval(&|leaf| match leaf {
        Leaf::SynapseParam(p) => params[p].get(s),
        Leaf::SynapseState(j) if j == own => y,
        // Another state: the connection is coupled and goes through `advance_coupled`.
        _ => f64::NAN,
    })
}

/// The statements of an `on pre` block for one arrival, in order.
fn run_actions(
    actions: &[PreAction],
    params: &[Column],
    columns: &mut [StateColumn],
    s: usize,
    post: usize,
    pop: &mut Population,
    acceptance: &Acceptance,
) {
    for action in actions {
        let value = {
            let (states, pop) = (&*columns, &*pop);
            action.formula.eval(&|leaf| match leaf {
                Leaf::SynapseParam(p) => params[p].get(s),
                Leaf::SynapseState(j) => states[j].values[s],
                Leaf::PostState(id) => pop.state(id.index())[post],
                Leaf::PostParam(id) => pop.param(id.index())[post],
                // The checker allows `t` only in rates.
                Leaf::Time => f64::NAN,
            })
        };
        let update = |old: f64| match action.op {
            AssignOp::Set => value,
            AssignOp::Add => old + value,
            AssignOp::Sub => old - value,
        };
        match action.target {
            Target::PostState(id) => {
                if acceptance.accepts(id.index(), post) {
                    let values = pop.state_mut(id.index());
                    values[post] = update(values[post]);
                }
            }
            Target::SynapseState(j) => {
                let values = &mut columns[j].values;
                values[s] = update(values[s]);
            }
        }
    }
}

/// Adds `count` events of a drive whose block is one additive statement with a constant
/// weight to every neuron: `counts[i]` events for neuron i, applied one by one.
pub(crate) fn drive_single(
    state: usize,
    weight: f64,
    counts: &[u32],
    pop: &mut Population,
    acceptance: &Acceptance,
) {
    let mask = acceptance.mask(state);
    let values = pop.state_mut(state);
    for (i, &count) in counts.iter().enumerate() {
        if count > 0 && mask.is_none_or(|m| m[i]) {
            for _ in 0..count {
                values[i] += weight;
            }
        }
    }
}

/// Runs a drive's `on pre` block `count` times for one neuron (drives have no synapse
/// params or states).
pub(crate) fn drive_events(
    effect: &Effect,
    count: u32,
    neuron: usize,
    pop: &mut Population,
    acceptance: &Acceptance,
) {
    match effect {
        Effect::Additive(weights) => {
            for _ in 0..count {
                for (state, weight) in weights {
                    if acceptance.accepts(*state, neuron) {
                        pop.state_mut(*state)[neuron] += weight.get(0);
                    }
                }
            }
        }
        Effect::General(actions) => {
            for _ in 0..count {
                for action in actions {
                    let value = action.formula.eval(&|leaf| match leaf {
                        Leaf::PostState(id) => pop.state(id.index())[neuron],
                        Leaf::PostParam(id) => pop.param(id.index())[neuron],
                        _ => f64::NAN,
                    });
                    if let Target::PostState(id) = action.target {
                        if acceptance.accepts(id.index(), neuron) {
                            let values = pop.state_mut(id.index());
                            values[neuron] = match action.op {
                                AssignOp::Set => value,
                                AssignOp::Add => values[neuron] + value,
                                AssignOp::Sub => values[neuron] - value,
                            };
                        }
                    }
                }
            }
        }
    }
}
