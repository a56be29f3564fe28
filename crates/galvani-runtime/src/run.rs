//! The time loop.
//!
//! Setup: params (overrides kept, derived params follow them), input defaults, initial
//! states (overrides kept), inputs sampled at `t_0 = 0`, every event's condition at `t_0`,
//! the first recorded row.
//!
//! Step `k` (of `round(T/dt)`), from `t_k = k·dt` to `t_{k+1} = (k+1)·dt`, both computed
//! from the step index:
//! 1. the kernel's step block with the inputs sampled at `t_k` (held through the step);
//! 2. held states of refractory neurons are put back to their post-reset values;
//! 3. NaN/±∞ check of every state (`RunError::NonFinite` at `t_{k+1}`);
//! 4. inputs sampled at `t_{k+1}` (OU processes advance one step);
//! 5. every event's condition at `t_{k+1}`: it fires when false at `t_k` and true at
//!    `t_{k+1}`; the spike time is `t_k + dt·c₀/(c₀ − c₁)` from the crossing function
//!    (`t_{k+1}` without one), clamped to the step;
//! 6. actions of the neurons that fired, event by event in program order, at `t_{k+1}`;
//!    the conditions are then re-evaluated on the reset state, which becomes the "before"
//!    of the next step;
//! 7. spikes (firings of the spike events; silent events only act) to the sink ordered
//!    by time, neuron, event; the row at `t_{k+1}` if due.
//!
//! Refractoriness, aligned to the grid (as NEST does with `t_ref/h` steps, and as Brian2
//! does for `t_ref` a multiple of dt): an event that fires in step `k` with duration
//! `t_ref` makes the neuron refractory for the next `r = steps_of(t_ref, dt)` steps,
//! `k+1 … k+r`. In those steps the event cannot fire (its condition counts as false at
//! their ends, so the first free step `k+r+1` fires if the condition is true at its end)
//! and every held state is put back to its post-reset value after each step: it stays at
//! the reset value on the `r + 1` grid points `t_{k+1} … t_{k+r+1}`, i.e. for exactly
//! `t_ref` from the reset. A LIF with `t_ref = 2 ms` at `dt = 0.1 ms` is held 20 steps.

use crate::config::{steps_of, Recorded, RunConfig};
use crate::protocol::Driver;
use crate::sink::{Column, RecordSink, SpikeSink};
use crate::Variable;
use crate::{ConfigError, RunError};
use galvani_ir::step::{StepProgram, Target};
use galvani_ir::EventKind;
use galvani_kernel::{EventArray, Kernel, Population, Shape};
use std::time::{Duration, Instant};

/// How many times, at most, the time loop reports its progress at a fixed interval.
const PROGRESS_REPORTS: u64 = 10_000;

/// What a finished run reports.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    /// Steps taken, `round(T/dt)`.
    pub steps: u64,
    /// Spikes (firings of spike events, not of silent ones) per neuron.
    pub spike_counts: Vec<u64>,
    /// Wall time of `run`: setup and time loop, sinks included.
    pub simulate_time: Duration,
}

/// The runtime's per-event state.
struct EventState {
    /// A spike event: its firings go to the spike sink and the counts (a silent one only
    /// runs its actions).
    spike: bool,
    has_crossing: bool,
    has_refractory: bool,
    /// Held states (indices into the layout).
    held: Vec<usize>,
    /// The condition at the start of the current step ("false at t_k").
    previous: Vec<bool>,
    /// The crossing function at the start of the current step.
    previous_crossing: Vec<f64>,
    /// Refractory steps left per neuron.
    refractory_left: Vec<u64>,
    /// `hold_values[h][i]`: post-reset value of held state `h` of neuron `i`.
    hold_values: Vec<Vec<f64>>,
    /// Neurons that fired in the current step.
    fired: Vec<u32>,
}

/// Runs `kernel` as `config` says, streaming rows to `record` and spikes to `spikes`.
/// `progress(done, total)` is called after steps 1, 2, 4, 8, … (so a caller can estimate
/// the run time from a first batch of steps), then after every `⌈steps/10,000⌉`-th step,
/// and at the end: often enough to report every few seconds on runs of hours, and a
/// negligible cost per step.
pub fn run<K: Kernel + ?Sized>(
    kernel: &K,
    config: &RunConfig,
    record: &mut dyn RecordSink,
    spikes: &mut dyn SpikeSink,
    mut progress: Option<&mut dyn FnMut(u64, u64)>,
) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let program = kernel.program();
    let shape = Shape::of(program);
    let steps = config.steps()?;
    if config.record_every == 0 {
        return Err(ConfigError::RecordEvery.into());
    }
    validate_indices(program, &shape, config)?;
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
            return Err(ConfigError::DuplicateInput(program.layout.inputs[*j].name.clone()).into());
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
    // Params are final: a long run steps with the uniform params compiled in (same bits).
    let specialized = if (n as u64).saturating_mul(steps) >= config.specialize_min_neuron_steps {
        kernel.specialize_step(&pop)
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
            held: e.held_states.iter().map(|&s| s as usize).collect(),
            previous: vec![false; n],
            previous_crossing: vec![0.0; n],
            refractory_left: vec![0; n],
            hold_values: vec![vec![0.0; n]; e.held_states.len()],
            fired: Vec::new(),
        })
        .collect();
    for (e, event) in events.iter_mut().enumerate() {
        kernel.eval_condition(e, &mut pop, 0.0, dt)?;
        baseline(event, &pop, e);
    }

    let mut recorder = Recorder::new(program, config, record)?;
    recorder.row(kernel, &mut pop, 0.0, dt)?;

    let mut step_spikes: Vec<(f64, u32, usize)> = Vec::new();
    let report_every = steps.div_ceil(PROGRESS_REPORTS).max(1);
    for k in 0..steps {
        let t = k as f64 * dt;
        let t_next = (k + 1) as f64 * dt;
        match &specialized {
            Some(special) => special.step(&mut pop, t, dt)?,
            None => kernel.step(&mut pop, t, dt)?,
        }
        for event in &events {
            hold(event, &mut pop);
        }
        check_states(&pop, program, t_next)?;
        // A constant input keeps the values sampled at t = 0 (nothing else writes inputs).
        for d in drivers.iter_mut().filter(|d| !d.is_time_invariant()) {
            d.advance();
            d.sample(t_next, &defaults[d.input], pop.input_mut(d.input));
        }

        step_spikes.clear();
        for (e, event) in events.iter_mut().enumerate() {
            kernel.eval_condition(e, &mut pop, t_next, dt)?;
            detect(event, &pop, e, t, dt, &mut step_spikes);
        }
        if !step_spikes.is_empty() {
            for (e, event) in events.iter_mut().enumerate() {
                if event.fired.is_empty() {
                    continue;
                }
                kernel.apply_actions(e, &mut pop, &event.fired, t_next, dt)?;
                start_refractory(event, &pop, e, dt, t_next)?;
                for &i in &event.fired {
                    for s in 0..shape.states {
                        let v = pop.state(s)[i as usize];
                        if !v.is_finite() {
                            return Err(non_finite(Variable::State(s), i as usize, t_next));
                        }
                    }
                }
            }
            // The state after the resets is the "before" of the next step.
            for (e, event) in events.iter_mut().enumerate() {
                kernel.eval_condition(e, &mut pop, t_next, dt)?;
                baseline(event, &pop, e);
            }
            step_spikes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            for &(ts, neuron, e) in &step_spikes {
                if !events[e].spike {
                    continue;
                }
                spike_counts[neuron as usize] += 1;
                spikes.spike(neuron, ts, e).map_err(RunError::Sink)?;
            }
        }

        if (k + 1) % config.record_every == 0 {
            recorder.row(kernel, &mut pop, t_next, dt)?;
        }
        let done = k + 1;
        if done % report_every == 0
            || done == steps
            || (done < report_every && done.is_power_of_two())
        {
            if let Some(report) = progress.as_mut() {
                report(done, steps);
            }
        }
    }
    Ok(RunSummary {
        steps,
        spike_counts,
        simulate_time: started.elapsed(),
    })
}

fn non_finite(variable: Variable, neuron: usize, t: f64) -> RunError {
    RunError::NonFinite {
        variable,
        neuron,
        t,
    }
}

fn check_finite(values: &[f64], variable: Variable, t: f64) -> Result<(), RunError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(non_finite(variable, i, t)),
        None => Ok(()),
    }
}

/// The first non-finite state in layout order, lowest neuron first.
fn check_states(pop: &Population, program: &StepProgram, t: f64) -> Result<(), RunError> {
    for s in 0..program.layout.states.len() {
        check_finite(pop.state(s), Variable::State(s), t)?;
    }
    Ok(())
}

fn validate_indices(
    program: &StepProgram,
    shape: &Shape,
    config: &RunConfig,
) -> Result<(), ConfigError> {
    if let Some((i, _)) = config.params.iter().find(|(i, _)| *i >= shape.params) {
        return Err(ConfigError::NoSuchParam(*i));
    }
    if let Some((i, _)) = config.inits.iter().find(|(i, _)| *i >= shape.states) {
        return Err(ConfigError::NoSuchState(*i));
    }
    if let Some((i, _)) = config.inputs.iter().find(|(i, _)| *i >= shape.inputs) {
        return Err(ConfigError::NoSuchInput(*i));
    }
    for r in &config.record {
        match *r {
            Recorded::State(i) if i >= program.layout.states.len() => {
                return Err(ConfigError::NoSuchState(i))
            }
            Recorded::Intermediate(i) if i >= program.layout.intermediates.len() => {
                return Err(ConfigError::NoSuchIntermediate(i))
            }
            Recorded::Input(i) if i >= shape.inputs => return Err(ConfigError::NoSuchInput(i)),
            _ => {}
        }
    }
    Ok(())
}

/// Takes the condition arrays as the new "before" of every neuron that is not refractory;
/// refractory neurons keep "false".
fn baseline(event: &mut EventState, pop: &Population, e: usize) {
    let condition = pop.event(e, EventArray::Condition);
    let crossing = pop.event(e, EventArray::Crossing);
    for i in 0..pop.len() {
        if event.refractory_left[i] == 0 {
            event.previous[i] = condition[i] != 0.0;
        }
        event.previous_crossing[i] = crossing[i];
    }
}

/// Puts held states of refractory neurons back to their post-reset values.
fn hold(event: &EventState, pop: &mut Population) {
    if event.held.is_empty() {
        return;
    }
    for (i, &left) in event.refractory_left.iter().enumerate() {
        if left > 0 {
            for (h, &s) in event.held.iter().enumerate() {
                pop.state_mut(s)[i] = event.hold_values[h][i];
            }
        }
    }
}

/// Finds the neurons for which event `e` fires in the step from `t` to `t + dt`, and
/// counts down refractory periods (a step spent refractory cannot fire and ends with the
/// condition counted as false).
fn detect(
    event: &mut EventState,
    pop: &Population,
    e: usize,
    t: f64,
    dt: f64,
    spikes: &mut Vec<(f64, u32, usize)>,
) {
    event.fired.clear();
    let condition = pop.event(e, EventArray::Condition);
    let crossing = pop.event(e, EventArray::Crossing);
    for i in 0..pop.len() {
        if event.refractory_left[i] > 0 {
            event.refractory_left[i] -= 1;
            event.previous[i] = false;
            event.previous_crossing[i] = crossing[i];
            continue;
        }
        let now = condition[i] != 0.0;
        if now && !event.previous[i] {
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

/// After the actions of event `e`: the refractory period of every neuron that fired, and
/// the post-reset values its held states keep.
fn start_refractory(
    event: &mut EventState,
    pop: &Population,
    e: usize,
    dt: f64,
    t: f64,
) -> Result<(), RunError> {
    if !event.has_refractory {
        return Ok(());
    }
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
        event.refractory_left[i] = steps;
        if steps > 0 {
            event.previous[i] = false;
            for (h, &s) in event.held.iter().enumerate() {
                event.hold_values[h][i] = pop.state(s)[i];
            }
        }
    }
    Ok(())
}

/// Streams recorded rows.
struct Recorder<'a> {
    sink: &'a mut dyn RecordSink,
    record: Vec<Recorded>,
    needs_intermediates: bool,
    row: Vec<f64>,
}

impl<'a> Recorder<'a> {
    fn new(
        program: &StepProgram,
        config: &RunConfig,
        sink: &'a mut dyn RecordSink,
    ) -> Result<Recorder<'a>, RunError> {
        let mut columns = Vec::with_capacity(config.record.len() * config.n);
        for r in &config.record {
            let slot = match *r {
                Recorded::State(i) => &program.layout.states[i],
                Recorded::Intermediate(i) => &program.layout.intermediates[i],
                Recorded::Input(i) => &program.layout.inputs[i],
            };
            for neuron in 0..config.n {
                columns.push(Column {
                    variable: slot.name.clone(),
                    unit: slot.unit.clone(),
                    neuron,
                });
            }
        }
        if !config.record.is_empty() {
            sink.begin(&columns).map_err(RunError::Sink)?;
        }
        Ok(Recorder {
            sink,
            needs_intermediates: config
                .record
                .iter()
                .any(|r| matches!(r, Recorded::Intermediate(_))),
            record: config.record.clone(),
            row: vec![0.0; columns.len()],
        })
    }

    fn row<K: Kernel + ?Sized>(
        &mut self,
        kernel: &K,
        pop: &mut Population,
        t: f64,
        dt: f64,
    ) -> Result<(), RunError> {
        if self.record.is_empty() {
            return Ok(());
        }
        if self.needs_intermediates {
            kernel.eval_intermediates(pop, t, dt)?;
        }
        let n = pop.len();
        for (c, r) in self.record.iter().enumerate() {
            let values = match *r {
                Recorded::State(i) => pop.state(i),
                Recorded::Intermediate(i) => {
                    let values = pop.intermediate(i);
                    check_finite(values, Variable::Intermediate(i), t)?;
                    values
                }
                // Sampled at `t` before this row is recorded (see the step order above).
                Recorded::Input(i) => pop.input(i),
            };
            self.row[c * n..(c + 1) * n].copy_from_slice(values);
        }
        self.sink.record(t, &self.row).map_err(RunError::Sink)
    }
}
