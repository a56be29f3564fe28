//! `Stepper`: one population of one compiled model, advanced one grid step at a time —
//! the phases of a step (integrate, fire and reset, and, in a network, fire again after
//! arrivals) as separate calls, so that the single-model time loop (`run`) and the network
//! runtime share one implementation of events, refractoriness, held states, inputs and the
//! NaN/±∞ check.
//!
//! Refractoriness, aligned to the grid (as NEST does with `t_ref/h` steps, and as Brian2
//! does for `t_ref` a multiple of dt): an event that fires in step `k` with duration
//! `t_ref` makes the neuron refractory for the next `r = steps_of(t_ref, dt)` steps,
//! `k+1 … k+r`. In those steps the event cannot fire (its condition counts as false at
//! their ends, so the first free step `k+r+1` fires if the condition is true at its end)
//! and every held state is put back to its post-reset value after each step: it stays at
//! the reset value on the `r + 1` grid points `t_{k+1} … t_{k+r+1}`, i.e. for exactly
//! `t_ref` from the reset. A LIF with `t_ref = 2 ms` at `dt = 0.1 ms` is held 20 steps.
//! In a network the same neuron's held states ignore arrivals at `t_{k+1} … t_{k+1+r}`
//! (steps `k … k+r`), and it cannot fire on an arrival in those steps.

use crate::config::{steps_of, RunConfig};
use crate::protocol::Driver;
use crate::Variable;
use crate::{ConfigError, RunError};
use galvani_ir::step::{StepProgram, Target};
use galvani_ir::EventKind;
use galvani_kernel::{
    BlockArgs, BlockKind, BlockStatus, EventArray, Kernel, Population, Shape, Team,
};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Neurons below which a population runs on one thread: below it a split costs more than
/// it saves. With a rayon pool (tens of microseconds per hand-over) COBA (4,000 neurons)
/// ran 2.4× and Brunel (10,000 + 2,500) 1.5× slower on two threads. With the [`Team`]
/// (under a microsecond per hand-over), HH expeuler on 2 threads ran 0.81× as fast as one
/// at 5,000 neurons, 1.24× at 10,000, 1.45× at 20,000 and 1.85× at 100,000. At 32,768
/// neurons a step is ≥ 0.2 ms even for a LIF.
pub const PARALLEL_MIN_NEURONS: usize = 512 * galvani_kernel::BLOCK;

/// One team of threads per thread count, made on first use and shared by every
/// population of the process (a network's populations take turns on it).
type Teams = Mutex<Vec<(usize, Arc<Team>)>>;

fn team(threads: usize) -> Option<Arc<Team>> {
    static TEAMS: OnceLock<Teams> = OnceLock::new();
    let teams = TEAMS.get_or_init(|| Mutex::new(Vec::new()));
    let mut teams = teams.lock().ok()?;
    if let Some((_, team)) = teams.iter().find(|(k, _)| *k == threads) {
        return Some(team.clone());
    }
    let team = Arc::new(Team::new(threads, "galvani").ok()?);
    teams.push((threads, team.clone()));
    Some(team)
}

/// A firing found in a step: `(time, neuron, event)`.
pub type Firing = (f64, u32, usize);

/// The runtime's per-event state.
struct EventState {
    /// A spike event: its firings go to the spike sink and the counts (a silent one only
    /// runs its actions).
    spike: bool,
    has_crossing: bool,
    has_refractory: bool,
    /// Level-triggered (escape noise): fires whenever its condition is true at a step's
    /// end, not only on a false → true crossing.
    level: bool,
    /// Held states (indices into the layout).
    held: Vec<usize>,
    /// The condition at the start of the current step ("false at t_k").
    previous: Vec<bool>,
    /// The crossing function at the start of the current step.
    previous_crossing: Vec<f64>,
    /// Refractory steps left per neuron.
    refractory_left: Vec<u64>,
    /// The neurons whose `refractory_left` is above 0, in no particular order: the
    /// held states and the countdown touch only these.
    refractory: Vec<u32>,
    /// `k + 1 + r` for a neuron that fired in step `k` with `r` refractory steps: in steps
    /// before it, arrivals do not change held states and the neuron cannot fire on an
    /// arrival. 0 for a neuron that never fired (and for events without `refractory`).
    quiet_until: Vec<u64>,
    /// `hold_values[h][i]`: post-reset value of held state `h` of neuron `i`.
    hold_values: Vec<Vec<f64>>,
    /// Neurons that fired in the current phase.
    fired: Vec<u32>,
    /// Scratch of `detect`: the groups of 64 neurons in which some neuron fires.
    firing_groups: Vec<u32>,
}

/// One population being simulated.
pub struct Stepper<'k, K: Kernel + ?Sized> {
    kernel: &'k K,
    /// The step with the population's uniform params (and uniform inputs that stay fixed)
    /// compiled in, for a long run
    /// (`Kernel::specialize_step`: the same bits as `kernel`'s step).
    specialized: Option<Box<dyn Kernel>>,
    /// Worker threads for the step and the conditions (`RunConfig::threads` > 1 and a
    /// population large enough).
    team: Option<Arc<Team>>,
    pop: Population,
    dt: f64,
    events: Vec<EventState>,
    drivers: Vec<Driver>,
    /// Each input's default per neuron (the value where its protocol does not act).
    defaults: Vec<Vec<f64>>,
    /// Spikes per neuron (firings of spike events).
    spike_counts: Vec<u64>,
    /// `holders[s]`: the events (with `refractory`) that hold state `s`.
    holders: Vec<Vec<usize>>,
    /// Scratch: the neurons some event fired in the current phase, or whose states were
    /// put back, each once (`gather_changed`).
    changed: Vec<u32>,
    /// Per event: the step writes its condition at `t_{k+1}`
    /// (`Kernel::step_writes_condition` of the kernel that steps), so no pass of its
    /// own follows the step.
    fused: Vec<bool>,
    /// The step writes each block's status (`Kernel::step_writes_status`): the NaN check
    /// and the first look for firings after the step read it instead of every neuron.
    status: bool,
    /// Set by `integrate` when `status` is, cleared by `fire`'s first look: the status
    /// describes the conditions the step wrote (arrivals or a reset make it stale).
    status_fresh: bool,
}

impl<'k, K: Kernel + ?Sized> Stepper<'k, K> {
    /// Sets a population up as `config` says (its `t_end`, `record` and `record_every`
    /// are not used here): params (overrides kept, derived params follow them), input
    /// defaults, initial states (overrides kept), inputs sampled at `t_0 = 0`, every
    /// event's condition at `t_0`.
    pub fn new(kernel: &'k K, config: &RunConfig) -> Result<Stepper<'k, K>, RunError> {
        let program = kernel.program();
        let shape = Shape::of(program);
        validate_overrides(&shape, config)?;
        let (n, dt) = (config.n, config.dt);
        let mut pop = Population::try_new(program, n).ok_or(ConfigError::PopulationTooLarge(n))?;
        // Also allocated before anything else of size n: fails cleanly for absurd n even
        // when the program has no arrays.
        let mut spike_counts: Vec<u64> = Vec::new();
        spike_counts
            .try_reserve_exact(n)
            .map_err(|_| ConfigError::PopulationTooLarge(n))?;
        spike_counts.resize(n, 0);

        // Params: overrides first, then every derived param from them.
        let mut param_mask = vec![false; shape.params];
        for (i, values) in &config.params {
            values.fill(pop.param_mut(*i), &program.layout.params[*i].name)?;
            param_mask[*i] = true;
        }
        kernel.eval_params(&mut pop, &param_mask)?;
        // `exact`: the propagator of a step of dt, from the matrix just computed.
        if let Some(propagator) = &program.propagator {
            pop.fill_propagator(propagator, dt);
        }
        for p in 0..shape.params {
            check_finite(pop.param(p), Variable::Param(p), 0.0)?;
        }

        kernel.eval_input_defaults(&mut pop)?;
        let defaults: Vec<Vec<f64>> = (0..shape.inputs).map(|j| pop.input(j).to_vec()).collect();
        for (j, d) in defaults.iter().enumerate() {
            check_finite(d, Variable::Input(j), 0.0)?;
        }

        // Initial states see the inputs' defaults (the arrays hold them now).
        let mut state_mask = vec![false; shape.states];
        for (i, values) in &config.inits {
            values.fill(pop.state_mut(*i), &program.layout.states[*i].name)?;
            state_mask[*i] = true;
        }
        kernel.eval_init(&mut pop, &state_mask)?;
        check_states(&pop, program, 0.0)?;

        let mut drivers = Vec::with_capacity(config.inputs.len());
        for (j, protocol) in &config.inputs {
            if drivers.iter().any(|d: &Driver| d.input == *j) {
                return Err(
                    ConfigError::DuplicateInput(program.layout.inputs[*j].name.clone()).into(),
                );
            }
            protocol.validate(n)?;
            drivers.push(Driver::new(*j, protocol.clone(), n, dt, config.seed));
        }
        for d in &mut drivers {
            d.sample(0.0, &defaults[d.input], pop.input_mut(d.input));
        }
        // A blocked step computes whole blocks: the padding lanes get neuron 0's params,
        // inputs and initial states, so they stay finite (nothing reads them back).
        pop.fill_padding();
        // Params and inputs are final: a long run steps with the uniform params and fixed
        // inputs compiled in (same bits).
        let steps = config.steps().unwrap_or(0);
        let specialized = if (n as u64).saturating_mul(steps) >= config.specialize_min_neuron_steps
        {
            // An input keeps the values sampled at t = 0 when its protocol is constant in
            // time or it has none (its default): only drivers write inputs.
            let fixed_inputs: Vec<bool> = (0..shape.inputs)
                .map(|j| {
                    drivers
                        .iter()
                        .filter(|d| d.input == j)
                        .all(|d| d.is_time_invariant())
                })
                .collect();
            kernel.specialize_step(&pop, dt, &fixed_inputs)
        } else {
            None
        };

        let mut events: Vec<EventState> = program
            .events
            .iter()
            .map(|e| EventState {
                spike: e.kind == EventKind::Spike,
                has_crossing: e
                    .condition
                    .outputs
                    .iter()
                    .any(|(t, _)| *t == Target::Crossing),
                has_refractory: e
                    .actions
                    .outputs
                    .iter()
                    .any(|(t, _)| *t == Target::Refractory),
                level: e.level,
                held: e.held_states.iter().map(|&s| s as usize).collect(),
                previous: vec![false; n],
                previous_crossing: vec![0.0; n],
                refractory_left: vec![0; n],
                refractory: Vec::new(),
                quiet_until: vec![0; n],
                hold_values: vec![vec![0.0; n]; e.held_states.len()],
                fired: Vec::new(),
                firing_groups: Vec::new(),
            })
            .collect();
        for (e, event) in events.iter_mut().enumerate() {
            kernel.eval_condition(e, &mut pop, 0.0, dt)?;
            baseline(event, &pop, e, None);
        }
        let mut holders = vec![Vec::new(); shape.states];
        for (e, event) in events.iter().enumerate() {
            if event.has_refractory {
                for &s in &event.held {
                    holders[s].push(e);
                }
            }
        }
        let fused = (0..events.len())
            .map(|e| match &specialized {
                Some(special) => special.step_writes_condition(e),
                None => kernel.step_writes_condition(e),
            })
            .collect();
        let status = match &specialized {
            Some(special) => special.step_writes_status(),
            None => kernel.step_writes_status(),
        };
        let team = if config.threads > 1 && n >= PARALLEL_MIN_NEURONS {
            team(config.threads)
        } else {
            None
        };
        Ok(Stepper {
            kernel,
            specialized,
            team,
            pop,
            dt,
            events,
            drivers,
            defaults,
            spike_counts,
            holders,
            changed: Vec::new(),
            fused,
            status,
            status_fresh: false,
        })
    }

    pub fn kernel(&self) -> &'k K {
        self.kernel
    }

    pub fn population(&self) -> &Population {
        &self.pop
    }

    /// The population's arrays, to apply arrivals (see [`Stepper::accepts`]) or to
    /// evaluate intermediates for a record.
    pub fn population_mut(&mut self) -> &mut Population {
        &mut self.pop
    }

    /// Spikes per neuron so far.
    pub fn spike_counts(&self) -> &[u64] {
        &self.spike_counts
    }

    pub fn into_spike_counts(self) -> Vec<u64> {
        self.spike_counts
    }

    /// Whether event `e` is a spike event (its firings are spikes; a silent event only
    /// acts).
    pub fn is_spike_event(&self, e: usize) -> bool {
        self.events[e].spike
    }

    /// Step 1 of step `k`: integrates every neuron from `t_k` to `t_{k+1}`, puts held
    /// states of refractory neurons back, checks every state for NaN/±∞, and samples the
    /// inputs at `t_{k+1}` (OU processes advance one step).
    pub fn integrate(&mut self, k: u64) -> Result<(), RunError> {
        let (t, t_next) = (k as f64 * self.dt, (k + 1) as f64 * self.dt);
        let team = self.team.as_deref();
        match &self.specialized {
            Some(special) => step(special.as_ref(), team, &mut self.pop, t, self.dt)?,
            None => step(self.kernel, team, &mut self.pop, t, self.dt)?,
        }
        for event in &self.events {
            hold(event, &mut self.pop);
        }
        if self.fused.contains(&true) {
            // The step computed the conditions before the held states were put back: those
            // neurons' conditions again, on the held values.
            self.gather_changed(|event| match event.held.is_empty() {
                true => &[],
                false => &event.refractory,
            });
            for e in 0..self.events.len() {
                if self.fused[e] {
                    self.condition_at_changed(e, t_next)?;
                }
            }
            if self.status {
                // Their conditions are not the ones the step summed: their blocks are
                // looked at neuron by neuron, unless they are refractory in the event
                // (`detect` then counts the condition false).
                let status = self.pop.status_mut();
                for e in
                    (0..self.fused.len().min(BlockStatus::MAX_EVENTS)).filter(|&e| self.fused[e])
                {
                    let left = &self.events[e].refractory_left;
                    for &i in self.changed.iter().filter(|&&i| left[i as usize] == 0) {
                        status[i as usize / GROUP * GROUP + BlockStatus::fired(e)] = 1.0;
                    }
                }
            }
        }
        match self.team.as_deref() {
            // Every block's status says its new states are finite (the held states put
            // back are values checked a step ago): nothing to look at. A flag (NaN) may
            // come from a value since put back, or from a padding lane: the look at
            // every value decides.
            _ if self.status
                && self
                    .pop
                    .block_status(BlockStatus::NONFINITE)
                    .all(|sum| sum == 0.0) => {}
            // The look at every value split over the threads; the first bad value, if
            // there is one, is then found as on one thread.
            Some(team) if !states_finite_parallel(&self.pop, team) => {
                check_states(&self.pop, self.kernel.program(), t_next)?
            }
            Some(_) => {}
            None => check_states(&self.pop, self.kernel.program(), t_next)?,
        }
        self.status_fresh = self.status;
        // A constant input keeps the values sampled at t = 0 (nothing else writes inputs).
        for d in self.drivers.iter_mut().filter(|d| !d.is_time_invariant()) {
            d.advance();
            d.sample(t_next, &self.defaults[d.input], self.pop.input_mut(d.input));
        }
        Ok(())
    }

    /// Steps 2–3 of step `k`: every event's condition at `t_{k+1}`; an event fires when
    /// false at `t_k` and true at `t_{k+1}`, at `t_k + dt·c₀/(c₀ − c₁)` from the crossing
    /// function (`t_{k+1}` without one), clamped to the step. Then the actions of the
    /// neurons that fired, event by event in program order, at `t_{k+1}`, their
    /// refractory periods, and the conditions re-evaluated on the reset state, which
    /// becomes the "before" of the next step. Firings (of every event, unsorted) are
    /// appended to `out`; spike counts are updated.
    pub fn fire(&mut self, k: u64, out: &mut Vec<Firing>) -> Result<(), RunError> {
        let (t, t_next) = (k as f64 * self.dt, (k + 1) as f64 * self.dt);
        let first = out.len();
        // The step's block status describes the conditions it wrote: a block where no
        // condition of a fused event holds has no firing to look for.
        let fresh = std::mem::take(&mut self.status_fresh);
        for e in 0..self.events.len() {
            if !self.fused[e] {
                self.condition(e, t_next)?;
            }
            let team = self.team.as_deref();
            let status_lane = (fresh && self.fused[e] && e < BlockStatus::MAX_EVENTS)
                .then(|| BlockStatus::fired(e));
            detect(
                &mut self.events[e],
                &mut self.pop,
                e,
                (t, self.dt),
                (team, status_lane),
                out,
            );
        }
        if out.len() > first {
            self.reset(k)?;
            // Only the neurons that fired changed: their conditions on the reset state
            // become their "before" (the others' are those `detect` just took).
            self.gather_changed(|event| &event.fired);
            for e in 0..self.events.len() {
                self.condition_at_changed(e, t_next)?;
                baseline_at(&mut self.events[e], &self.pop, e, &self.changed);
            }
            self.count(&out[first..]);
        }
        Ok(())
    }

    /// Fills `changed` with the neurons of every event's `list`, each once: sorted when
    /// several lists contribute (a neuron can be in more than one), as it is otherwise.
    fn gather_changed(&mut self, list: impl Fn(&EventState) -> &[u32]) {
        self.changed.clear();
        let mut lists = 0;
        for event in &self.events {
            let neurons = list(event);
            if !neurons.is_empty() {
                self.changed.extend_from_slice(neurons);
                lists += 1;
            }
        }
        if lists > 1 {
            self.changed.sort_unstable();
            self.changed.dedup();
        }
    }

    /// Event `e`'s condition at `t` for the neurons of `changed`.
    fn condition_at_changed(&mut self, e: usize, t: f64) -> Result<(), RunError> {
        if self.changed.is_empty() {
            return Ok(());
        }
        self.kernel
            .eval_condition_at(e, &mut self.pop, &self.changed, t, self.dt)?;
        Ok(())
    }

    /// Step 5 of a network step `k`, after arrivals changed states: a neuron whose event
    /// condition was false before the arrivals and is true after them fires at exactly
    /// `t_{k+1}` and is reset at once (not while quiet after a firing, see the module
    /// notes). The conditions after this are the "before" of the next step. Firings are
    /// appended to `out`.
    pub fn fire_after_arrivals(&mut self, k: u64, out: &mut Vec<Firing>) -> Result<(), RunError> {
        let t_next = (k + 1) as f64 * self.dt;
        let first = out.len();
        for e in 0..self.events.len() {
            self.condition(e, t_next)?;
            let event = &mut self.events[e];
            event.fired.clear();
            let condition = self.pop.event(e, EventArray::Condition);
            for (i, &c) in condition.iter().enumerate().take(self.pop.len()) {
                let quiet = event.refractory_left[i] > 0 || event.quiet_until[i] > k;
                if !quiet && c != 0.0 && !event.previous[i] {
                    event.fired.push(i as u32);
                    out.push((t_next, i as u32, e));
                }
            }
        }
        if out.len() > first {
            self.reset(k)?;
            self.gather_changed(|event| &event.fired);
            for e in 0..self.events.len() {
                self.condition_at_changed(e, t_next)?;
            }
            self.count(&out[first..]);
        }
        for (e, event) in self.events.iter_mut().enumerate() {
            baseline(event, &self.pop, e, Some(k));
        }
        Ok(())
    }

    /// Whether an arrival in step `k` (at `t_{k+1}`) may change state `s` of `neuron`:
    /// not while the state is held by an event the neuron fired within its refractory
    /// window.
    pub fn accepts(&self, s: usize, neuron: usize, k: u64) -> bool {
        self.holders[s]
            .iter()
            .all(|&e| self.events[e].quiet_until[neuron] <= k)
    }

    /// Writes [`Stepper::accepts`] of every neuron for state `s` into `out` (resized to
    /// the population).
    pub fn accept_mask(&self, s: usize, k: u64, out: &mut Vec<bool>) {
        out.clear();
        out.resize(self.pop.len(), true);
        for &e in &self.holders[s] {
            for (accepts, &quiet_until) in out.iter_mut().zip(&self.events[e].quiet_until) {
                *accepts &= quiet_until <= k;
            }
        }
    }

    /// Whether some event with `refractory` holds state `s` (arrivals then depend on
    /// [`Stepper::accepts`]).
    pub fn holds(&self, s: usize) -> bool {
        !self.holders[s].is_empty()
    }

    /// Event `e`'s condition at `t` for every neuron, on the team's threads when there is
    /// one.
    fn condition(&mut self, e: usize, t: f64) -> Result<(), galvani_kernel::KernelError> {
        let args = BlockArgs::at(t, self.dt);
        match self.team.as_deref() {
            Some(team) => {
                self.kernel
                    .run_block_parallel(BlockKind::Condition(e), &mut self.pop, &args, team)
            }
            None => self.kernel.eval_condition(e, &mut self.pop, t, self.dt),
        }
    }

    /// Actions, refractory periods and the finiteness check of the neurons in each
    /// event's `fired` list, event by event.
    fn reset(&mut self, k: u64) -> Result<(), RunError> {
        let t_next = (k + 1) as f64 * self.dt;
        let states = self.kernel.program().layout.states.len();
        for (e, event) in self.events.iter_mut().enumerate() {
            if event.fired.is_empty() {
                continue;
            }
            self.kernel
                .apply_actions(e, &mut self.pop, &event.fired, t_next, self.dt)?;
            start_refractory(event, &self.pop, e, self.dt, k)?;
            for &i in &event.fired {
                for s in 0..states {
                    let v = self.pop.state(s)[i as usize];
                    if !v.is_finite() {
                        return Err(non_finite(Variable::State(s), i as usize, t_next));
                    }
                }
            }
        }
        Ok(())
    }

    fn count(&mut self, firings: &[Firing]) {
        for &(_, neuron, e) in firings {
            if self.events[e].spike {
                self.spike_counts[neuron as usize] += 1;
            }
        }
    }
}

/// One step from `t` for every neuron, on the team's threads when there is one.
fn step<K: Kernel + ?Sized>(
    kernel: &K,
    team: Option<&Team>,
    pop: &mut Population,
    t: f64,
    dt: f64,
) -> Result<(), galvani_kernel::KernelError> {
    match team {
        Some(team) => kernel.run_block_parallel(BlockKind::Step, pop, &BlockArgs::at(t, dt), team),
        None => kernel.step(pop, t, dt),
    }
}

pub(crate) fn non_finite(variable: Variable, neuron: usize, t: f64) -> RunError {
    RunError::NonFinite {
        variable,
        neuron,
        t,
    }
}

pub(crate) fn check_finite(values: &[f64], variable: Variable, t: f64) -> Result<(), RunError> {
    if all_finite(values) {
        return Ok(());
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(non_finite(variable, i, t)),
        None => Ok(()),
    }
}

/// Whether every value is finite: the common case in one branch-free pass the compiler
/// vectorises (an `or` of flags, unlike a search that stops early), compiled for AVX-512
/// and AVX2 too and picked at run time (it runs over every state of every neuron in
/// every step).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx2+fma",
    "x86_64+avx2+fma"
))]
fn all_finite(values: &[f64]) -> bool {
    !values.iter().fold(false, |bad, v| bad | !v.is_finite())
}

/// The first non-finite state in layout order, lowest neuron first.
fn check_states(pop: &Population, program: &StepProgram, t: f64) -> Result<(), RunError> {
    for s in 0..program.layout.states.len() {
        check_finite(pop.state(s), Variable::State(s), t)?;
    }
    Ok(())
}

fn validate_overrides(shape: &Shape, config: &RunConfig) -> Result<(), ConfigError> {
    if let Some((i, _)) = config.params.iter().find(|(i, _)| *i >= shape.params) {
        return Err(ConfigError::NoSuchParam(*i));
    }
    if let Some((i, _)) = config.inits.iter().find(|(i, _)| *i >= shape.states) {
        return Err(ConfigError::NoSuchState(*i));
    }
    if let Some((i, _)) = config.inputs.iter().find(|(i, _)| *i >= shape.inputs) {
        return Err(ConfigError::NoSuchInput(*i));
    }
    Ok(())
}

/// Takes the condition arrays as the new "before" of every neuron that is not refractory;
/// refractory neurons keep "false" — and, after arrivals in step `k` (`quiet_after`),
/// so do neurons still quiet after a firing.
fn baseline(event: &mut EventState, pop: &Population, e: usize, quiet_after: Option<u64>) {
    let n = pop.len();
    let condition = &pop.event(e, EventArray::Condition)[..n];
    let crossing = &pop.event(e, EventArray::Crossing)[..n];
    event.previous_crossing[..n].copy_from_slice(crossing);
    // Branch-free (the compiler vectorises it): a quiet neuron keeps its "before".
    let k = quiet_after.unwrap_or(u64::MAX);
    for (((previous, &c), &left), &until) in event.previous[..n]
        .iter_mut()
        .zip(condition)
        .zip(&event.refractory_left[..n])
        .zip(&event.quiet_until[..n])
    {
        let quiet = (left > 0) | (quiet_after.is_some() & (until > k));
        *previous = (quiet & *previous) | (!quiet & (c != 0.0));
    }
}

/// Puts held states of refractory neurons back to their post-reset values.
fn hold(event: &EventState, pop: &mut Population) {
    for (h, &s) in event.held.iter().enumerate() {
        let (values, state) = (&event.hold_values[h], pop.state_mut(s));
        for &i in &event.refractory {
            state[i as usize] = values[i as usize];
        }
    }
}

/// [`baseline`] for the listed neurons only (after a reset changed just those): a
/// refractory neuron keeps its "before".
fn baseline_at(event: &mut EventState, pop: &Population, e: usize, neurons: &[u32]) {
    let condition = pop.event(e, EventArray::Condition);
    let crossing = pop.event(e, EventArray::Crossing);
    for &i in neurons {
        let i = i as usize;
        event.previous_crossing[i] = crossing[i];
        if event.refractory_left[i] == 0 {
            event.previous[i] = condition[i] != 0.0;
        }
    }
}

/// Finds the neurons for which event `e` fires in the step from `t` to `t + dt`, and
/// counts down refractory periods (a step spent refractory cannot fire and ends with the
/// condition counted as false).
///
/// A refractory neuron's condition is first written as false (nothing reads it after
/// this step: the next condition pass writes it again), so the look at every neuron needs
/// only the condition and the "before": 64 neurons at a time, a branch-free `or` says
/// whether any of them fires (the compiler vectorises it), and only a group with a
/// firing is looked at neuron by neuron. The countdown touches the refractory neurons
/// only.
fn detect(
    event: &mut EventState,
    pop: &mut Population,
    e: usize,
    (t, dt): (f64, f64),
    (team, status_lane): (Option<&Team>, Option<usize>),
    spikes: &mut Vec<Firing>,
) {
    event.fired.clear();
    let n = pop.len();
    {
        let condition = pop.event_mut(e, EventArray::Condition);
        for &i in &event.refractory {
            condition[i as usize] = 0.0;
        }
    }
    let condition = &pop.event(e, EventArray::Condition)[..n];
    let crossing = &pop.event(e, EventArray::Crossing)[..n];
    let level = event.level;
    let groups = &mut event.firing_groups;
    groups.clear();
    let sums = status_lane.map(|lane| Sums {
        status: pop.status(),
        lane,
    });
    // The crossing at the end of this step becomes the next step's "before": copied by
    // the scan in every group without a firing (on the team's threads when there is
    // one), and below, after its use, in every group with one.
    let crossings = event.has_crossing.then(|| Crossings {
        previous: &mut event.previous_crossing[..n],
        now: crossing,
    });
    match team {
        Some(team) => scan_groups_parallel(
            (&mut event.previous[..n], crossings),
            condition,
            (level, sums),
            groups,
            team,
        ),
        None => scan_groups(
            &mut event.previous[..n],
            crossings,
            condition,
            level,
            sums,
            groups,
        ),
    }
    for &group in groups.iter() {
        let first = group as usize * GROUP;
        let last = (first + GROUP).min(n);
        for i in first..last {
            let now = condition[i] != 0.0;
            if now && (level || !event.previous[i]) {
                let (c0, c1) = (event.previous_crossing[i], crossing[i]);
                // t_k + dt·c₀/(c₀ − c₁): where the line through (t_k, c₀), (t_{k+1}, c₁) is 0.
                let ts = if event.has_crossing && c0.is_finite() && c1.is_finite() && c0 != c1 {
                    t + dt * (c0 / (c0 - c1)).clamp(0.0, 1.0)
                } else {
                    t + dt
                };
                event.fired.push(i as u32);
                spikes.push((ts, i as u32, e));
            }
            event.previous[i] = now;
            event.previous_crossing[i] = crossing[i];
        }
    }
    let left = &mut event.refractory_left;
    event.refractory.retain(|&i| {
        left[i as usize] -= 1;
        left[i as usize] > 0
    });
}

/// `(first, last)` neuron of each of `parts` contiguous ranges of whole groups of
/// [`GROUP`] neurons covering `0..n` (the last range ends at `n`).
fn group_ranges(n: usize, parts: usize) -> impl Iterator<Item = (usize, usize)> {
    let groups = n.div_ceil(GROUP);
    let parts = parts.clamp(1, groups.max(1));
    (0..parts).map(move |part| {
        let first = (part * groups / parts * GROUP).min(n);
        let last = ((part + 1) * groups / parts * GROUP).min(n);
        (first, last)
    })
}

/// [`scan_groups`] with the neurons split over `team`'s threads in ranges of whole
/// groups: each range lists its groups, and the lists are joined in order, so `groups`
/// is what one thread makes.
fn scan_groups_parallel(
    (previous, mut crossings): (&mut [bool], Option<Crossings<'_>>),
    condition: &[f64],
    (level, sums): (bool, Option<Sums<'_>>),
    groups: &mut Vec<u32>,
    team: &Team,
) {
    let ranges: Vec<(usize, usize)> = group_ranges(previous.len(), team.threads()).collect();
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); ranges.len()];
    // Each range's "before", crossings, conditions and sums, and its list, taken by the
    // thread of its part.
    let mut parts = Vec::with_capacity(ranges.len());
    let mut rest = previous;
    for (&(first, last), list) in ranges.iter().zip(lists.iter_mut()) {
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(last - first);
        rest = tail;
        let my_crossings = crossings.as_mut().map(|c| c.split_off_front(last - first));
        let now = &condition[first..last];
        let sums = sums.map(|sums| Sums {
            status: &sums.status[first..],
            lane: sums.lane,
        });
        parts.push(Mutex::new(Some((
            first,
            mine,
            my_crossings,
            now,
            sums,
            list,
        ))));
    }
    team.run(&|part| {
        let taken = parts
            .get(part)
            .and_then(|p| p.lock().unwrap_or_else(PoisonError::into_inner).take());
        if let Some((first, mine, crossings, now, sums, list)) = taken {
            scan_groups(mine, crossings, now, level, sums, list);
            let offset = (first / GROUP) as u32;
            for group in list.iter_mut() {
                *group += offset;
            }
        }
    });
    drop(parts);
    for list in lists {
        groups.extend_from_slice(&list);
    }
}

/// Whether every state of every neuron is finite, the neurons split over `team`'s
/// threads.
fn states_finite_parallel(pop: &Population, team: &Team) -> bool {
    let bad = std::sync::atomic::AtomicBool::new(false);
    let states = pop.shape().states;
    let ranges: Vec<(usize, usize)> = group_ranges(pop.len(), team.threads()).collect();
    team.run(&|part| {
        if let Some(&(first, last)) = ranges.get(part) {
            if (0..states).any(|s| !all_finite(&pop.state(s)[first..last])) {
                bad.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    !bad.into_inner()
}

/// Neurons per group of [`scan_groups`]: a block of the kernels, so that a group's
/// [`BlockStatus`] is its block's.
const GROUP: usize = galvani_kernel::BLOCK;

/// One event's condition sums in the status slot the step wrote ([`BlockStatus`]): the
/// slot from the first neuron scanned on, and the event's lane.
#[derive(Clone, Copy)]
struct Sums<'a> {
    status: &'a [f64],
    lane: usize,
}

/// The look at every neuron of [`detect`], in groups of [`GROUP`]: a group where some
/// neuron fires (condition true now, and false before or level-triggered) is listed in
/// `groups` and left as it is; in every other group the "before" becomes the condition
/// now. Branch-free within a group (an `or` over it), compiled for AVX-512 and AVX2 too
/// and picked at run time, since this runs over every neuron in every step; the result
/// is the same on every instruction set (comparisons only). With the step's condition
/// `sums`, a group whose sum is 0 holds no true condition: its "before" becomes false
/// without a look at its conditions.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx2+fma",
    "x86_64+avx2+fma"
))]
fn scan_groups(
    previous: &mut [bool],
    mut crossings: Option<Crossings<'_>>,
    condition: &[f64],
    level: bool,
    sums: Option<Sums<'_>>,
    groups: &mut Vec<u32>,
) {
    for (g, (previous, now)) in previous
        .chunks_mut(GROUP)
        .zip(condition.chunks(GROUP))
        .enumerate()
    {
        let listed = if sums.is_some_and(|sums| sums.status[g * GROUP + sums.lane] == 0.0) {
            previous.fill(false);
            false
        } else {
            let any = previous.iter().zip(now).fold(false, |any, (&before, &c)| {
                any | ((c != 0.0) & (level | !before))
            });
            if any {
                groups.push(g as u32);
            } else {
                for (before, &c) in previous.iter_mut().zip(now) {
                    *before = c != 0.0;
                }
            }
            any
        };
        // A listed group's crossings are copied after `detect` has read them.
        if let (false, Some(crossings)) = (listed, crossings.as_mut()) {
            let range = g * GROUP..((g + 1) * GROUP).min(crossings.now.len());
            crossings.previous[range.clone()].copy_from_slice(&crossings.now[range]);
        }
    }
}

/// An event's crossing at the start of the step (`previous`, written) and at its end
/// (`now`), for the neurons a scan looks at.
struct Crossings<'a> {
    previous: &'a mut [f64],
    now: &'a [f64],
}

impl<'a> Crossings<'a> {
    /// The first `len` neurons' crossings, leaving `self` with the rest.
    fn split_off_front(&mut self, len: usize) -> Crossings<'a> {
        let (previous, rest) = std::mem::take(&mut self.previous).split_at_mut(len);
        let (now, rest_now) = self.now.split_at(len);
        self.previous = rest;
        self.now = rest_now;
        Crossings { previous, now }
    }
}

/// After the actions of event `e` in step `k`: the refractory period of every neuron that
/// fired, and the post-reset values its held states keep.
fn start_refractory(
    event: &mut EventState,
    pop: &Population,
    e: usize,
    dt: f64,
    k: u64,
) -> Result<(), RunError> {
    if !event.has_refractory {
        return Ok(());
    }
    let t = (k + 1) as f64 * dt;
    let durations = pop.event(e, EventArray::Refractory);
    for &i in &event.fired {
        let i = i as usize;
        let duration = durations[i];
        if !duration.is_finite() {
            return Err(non_finite(Variable::Refractory(e), i, t));
        }
        // A negative period would be read as none: say so instead.
        if duration < 0.0 {
            return Err(RunError::NegativeRefractory {
                event: e,
                neuron: i,
                t,
                duration,
            });
        }
        let steps = steps_of(duration, dt);
        // A neuron fires only when not refractory, so it is not in the list yet.
        if steps > 0 && event.refractory_left[i] == 0 {
            event.refractory.push(i as u32);
        }
        event.refractory_left[i] = steps;
        event.quiet_until[i] = k + 1 + steps;
        if steps > 0 {
            event.previous[i] = false;
            for (h, &s) in event.held.iter().enumerate() {
                event.hold_values[h][i] = pop.state(s)[i];
            }
        }
    }
    Ok(())
}
