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
//!    (`t_{k+1}` without one), clamped to the step; a level-triggered event (escape
//!    noise) fires whenever its condition is true at `t_{k+1}`;
//! 6. actions of the neurons that fired, event by event in program order, at `t_{k+1}`;
//!    the conditions are then re-evaluated on the reset state, which becomes the "before"
//!    of the next step;
//! 7. spikes (firings of the spike events; silent events only act) to the sink ordered
//!    by time, neuron, event; the row at `t_{k+1}` if due.
//!
//! Refractoriness and held states: see `stepper.rs`.

use crate::config::{Recorded, RunConfig};
use crate::sink::{Column, RecordSink, SpikeSink};
use crate::stepper::{check_finite, Firing, Stepper};
use crate::Variable;
use crate::{ConfigError, RunError};
use galvani_ir::step::StepProgram;
use galvani_kernel::{Kernel, Population, Shape};
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
    let dt = config.dt;
    let mut stepper = Stepper::new(kernel, config)?;
    let mut recorder = Recorder::new(program, config, record)?;
    recorder.row(kernel, stepper.population_mut(), 0.0, dt)?;

    let mut step_spikes: Vec<Firing> = Vec::new();
    let report_every = steps.div_ceil(PROGRESS_REPORTS).max(1);
    for k in 0..steps {
        let t_next = (k + 1) as f64 * dt;
        stepper.integrate(k)?;
        step_spikes.clear();
        stepper.fire(k, &mut step_spikes)?;
        if !step_spikes.is_empty() {
            step_spikes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            for &(ts, neuron, e) in &step_spikes {
                if stepper.is_spike_event(e) {
                    spikes.spike(neuron, ts, e).map_err(RunError::Sink)?;
                }
            }
        }

        if (k + 1) % config.record_every == 0 {
            recorder.row(kernel, stepper.population_mut(), t_next, dt)?;
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
        spike_counts: stepper.into_spike_counts(),
        simulate_time: started.elapsed(),
    })
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
