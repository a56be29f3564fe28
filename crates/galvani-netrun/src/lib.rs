//! galvani network runtime: runs a checked network file (`galvani_network::CheckedNetwork`)
//! with one compiled kernel per model population — the synapses drawn from the rules, every
//! population stepped on one grid with the single-model runtime's `Stepper`, spikes
//! delivered after their delays, Poisson and file sources, Poisson drives. It never prints
//! and never touches the file system (spike files come in as lists).
//!
//! ```text
//! CheckedNetwork + kernels + NetworkConfig ──simulate──▶ rows, spikes, NetworkSummary
//! ```
//!
//! Every step k, from `t_k` to `t_{k+1}`, for the whole network (the network spec's step
//! semantics):
//! 1. every model population integrates (`Stepper::integrate`);
//! 2. events fire (interpolated times); source populations spike at `t_{k+1}`;
//! 3. resets, and refractory periods start (2 and 3: `Stepper::fire`);
//! 4. deliveries: a spike emitted at grid time `t_j` through a synapse of `D` steps arrives
//!    at `t_{j+D}`; the arrivals at `t_{k+1}` run their `on pre` blocks connection by
//!    connection in file order (then post population in the order listed), presynaptic
//!    neuron ascending; then the drives' events of this step, drive by drive;
//! 5. a neuron whose condition was false before step 4 and is true after it fires at
//!    exactly `t_{k+1}` and is reset at once (`Stepper::fire_after_arrivals`).
//!
//! The spikes of step k (steps 2, 3 and 5) are emitted at `t_{k+1}`; delays are at least
//! one step, so none arrives in the step that emits it. Rows recorded at `t_{k+1}` see the
//! states after step 5.

mod build;
mod deliver;
mod linear;
mod sources;

use std::time::{Duration, Instant};

use galvani_ir::step::StepProgram;
use galvani_kernel::Kernel;
use galvani_network::connectivity::ConnectError;
use galvani_network::{CheckedNetwork, Distribution, Source};
use galvani_runtime::rng::Xoshiro256;
use galvani_runtime::{
    Column, ConfigError, Firing, Protocol, RecordSink, Recorded, RunConfig, RunError, SinkError,
    Stepper, Values,
};
use thiserror::Error;

use build::{Delays, Effect, Projection};
use deliver::{Acceptance, Arrivals};
use sources::{FileSources, PoissonCounts, PoissonSources};

/// How many times, at most, the time loop reports its progress at a fixed interval.
const PROGRESS_REPORTS: u64 = 10_000;

/// Stream tag of per-neuron initial values and params drawn from a distribution.
const NEURON_VALUES: u64 = 0x69_6e_69_74;
/// Stream tag of a population's input protocols (OU inputs).
const POPULATION_INPUTS: u64 = 0x69_6e_70_75;

/// Run options of one population, layered over the network file's own values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PopulationOptions {
    /// `--set POP.NAME=…`: `(param index, values)`.
    pub params: Vec<(usize, Values)>,
    /// `--init POP.NAME=…`: `(state index, values)`.
    pub inits: Vec<(usize, Values)>,
    /// `--input POP.NAME=…`: `(input index, protocol)`.
    pub inputs: Vec<(usize, Protocol)>,
}

/// The edges of a `rule = file(…)` connection, read by the caller: one entry per edge in
/// every list.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeFile {
    /// Index of the connection in the network file.
    pub connection: usize,
    /// `(pre, post)` neuron indices.
    pub edges: Vec<(u32, u32)>,
    /// Columns named after the block's params: `(param index, value per edge)`, internal
    /// units; they replace the block's own value of that param.
    pub params: Vec<(usize, Vec<f64>)>,
    /// A `delay` column, ms per edge; it replaces the block's `delay`.
    pub delays: Option<Vec<f64>>,
}

/// A recorded variable of some neurons of one population.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordRequest {
    pub population: usize,
    pub variable: Recorded,
    pub neurons: Vec<usize>,
}

/// A network run. Population indices follow the network file.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkConfig {
    pub t_end: f64,
    pub dt: f64,
    pub seed: u64,
    /// One per population (sources ignore theirs).
    pub populations: Vec<PopulationOptions>,
    pub record: Vec<RecordRequest>,
    pub record_every: u64,
    /// The spikes `(neuron, t in ms)` of each `spikes = file(…)` population, read by the
    /// caller: `(population, spikes)`.
    pub spike_files: Vec<(usize, Vec<(u32, f64)>)>,
    /// The edges of each `rule = file(…)` connection.
    pub edge_files: Vec<EdgeFile>,
    /// Refuse to build synapses estimated to need more than this many bytes.
    pub memory_limit: Option<u64>,
    /// Threads for each population's step and conditions (`RunConfig::threads`): the same
    /// bytes for any number.
    pub threads: usize,
}

impl NetworkConfig {
    pub fn new(t_end: f64, dt: f64, populations: usize) -> NetworkConfig {
        NetworkConfig {
            t_end,
            dt,
            seed: 0,
            populations: vec![PopulationOptions::default(); populations],
            record: Vec::new(),
            record_every: 1,
            spike_files: Vec::new(),
            edge_files: Vec::new(),
            memory_limit: None,
            threads: 1,
        }
    }
}

/// Where a network's spikes go: calls come ordered by time, then population in file
/// order, then neuron, then event (0 for source populations).
pub trait NetworkSpikeSink {
    fn spike(
        &mut self,
        population: usize,
        neuron: u32,
        t: f64,
        event: usize,
    ) -> Result<(), SinkError>;
}

/// One spike of a network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetworkSpike {
    pub population: usize,
    pub neuron: u32,
    pub t: f64,
    pub event: usize,
}

/// Keeps every spike in memory (tests, small runs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkSpikeList {
    pub spikes: Vec<NetworkSpike>,
}

impl NetworkSpikeList {
    /// The spike times of one neuron.
    pub fn times_of(&self, population: usize, neuron: u32) -> Vec<f64> {
        self.spikes
            .iter()
            .filter(|s| s.population == population && s.neuron == neuron)
            .map(|s| s.t)
            .collect()
    }
}

impl NetworkSpikeSink for NetworkSpikeList {
    fn spike(
        &mut self,
        population: usize,
        neuron: u32,
        t: f64,
        event: usize,
    ) -> Result<(), SinkError> {
        self.spikes.push(NetworkSpike {
            population,
            neuron,
            t,
            event,
        });
        Ok(())
    }
}

/// What a finished network run reports, per population and in total.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSummary {
    pub steps: u64,
    pub populations: Vec<PopulationSummary>,
    /// Synapses made by every connection.
    pub synapses: u64,
    /// Bytes the synapses take (rows, targets, per-synapse columns).
    pub synapse_bytes: u64,
    /// Drawing the synapses and setting the populations up.
    pub build_time: Duration,
    /// The time loop.
    pub simulate_time: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PopulationSummary {
    pub name: String,
    /// Spikes per neuron.
    pub spike_counts: Vec<u64>,
    /// Synapses onto this population and the bytes they take.
    pub synapses_in: u64,
    pub synapse_bytes_in: u64,
}

/// Why a network run stopped or did not start.
#[derive(Debug, Error)]
pub enum NetworkRunError {
    /// A population's run failed (NaN, a bad override, …): its index and the error.
    #[error("population {population}: {error}")]
    Population { population: usize, error: RunError },
    #[error("connection {}: {error}", .connection + 1)]
    Connect {
        connection: usize,
        error: ConnectError,
    },
    #[error("connection {}: a delay of {delay} ms is shorter than the time step ({dt} ms)", .connection + 1)]
    DelayTooShort {
        connection: usize,
        delay: f64,
        dt: f64,
    },
    #[error("connection {}: a delay of {delay} ms is more steps than a run can count", .connection + 1)]
    DelayTooLong { connection: usize, delay: f64 },
    #[error("the synapses would need about {} MB, more than the {} MB available", .bytes / 1_000_000, .limit / 1_000_000)]
    TooLarge { bytes: u64, limit: u64 },
    #[error("population {population}: spike of neuron {neuron} at t = {t} ms: the population has {size} neurons and times must be finite and ≥ 0")]
    SpikeFile {
        population: usize,
        neuron: u32,
        t: f64,
        size: usize,
    },
    #[error("connection {}: its `rule = file(…)` edges were not given (a bug)", .connection + 1)]
    MissingEdges { connection: usize },
    #[error("population {population} has no size (a spike file population needs its spikes)")]
    NoSize { population: usize },
    #[error("population {population} is a model population but no kernel was given (a bug)")]
    MissingKernel { population: usize },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("writing results failed: {0}")]
    Sink(SinkError),
}

/// What each population is while the network runs.
enum Runner<'k> {
    Model(Box<Stepper<'k, dyn Kernel + 'k>>),
    Poisson(PoissonSources),
    File(FileSources),
}

/// A drive while the network runs: its effect, the event counts of one step, and one
/// stream per neuron of each target population.
struct DriveRun {
    effect: Effect,
    counts: PoissonCounts,
    /// A rate that depends on time: the counts are drawn anew for each step.
    rate_of_time: Option<galvani_network::Formula>,
    targets: Vec<(usize, Vec<Xoshiro256>)>,
}

/// The sizes of every population: declared, or from its spike file.
fn sizes(network: &CheckedNetwork, config: &NetworkConfig) -> Result<Vec<usize>, NetworkRunError> {
    network
        .populations
        .iter()
        .enumerate()
        .map(|(p, population)| match population.size {
            Some(n) => Ok(n),
            None => config
                .spike_files
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, spikes)| {
                    spikes
                        .iter()
                        .map(|&(neuron, _)| neuron as usize + 1)
                        .max()
                        .unwrap_or(0)
                })
                .ok_or(NetworkRunError::NoSize { population: p }),
        })
        .collect()
}

/// One value per neuron of `distribution` for population `p`, what `which` (stream key).
fn neuron_values(distribution: &Distribution, n: usize, seed: u64, keys: [u64; 3]) -> Values {
    match *distribution {
        Distribution::Constant(v) => Values::Uniform(v),
        Distribution::Linspace { first, last } => Values::PerNeuron(
            (0..n)
                .map(|i| {
                    if i + 1 == n && n > 1 {
                        last
                    } else if n > 1 {
                        first + (last - first) * (i as f64 / (n - 1) as f64)
                    } else {
                        first
                    }
                })
                .collect(),
        ),
        _ => Values::PerNeuron(
            (0..n)
                .map(|i| {
                    let mut rng = Xoshiro256::for_stream(
                        seed,
                        &[NEURON_VALUES, keys[0], keys[1], keys[2], i as u64],
                    );
                    build::draw(distribution, &mut rng)
                })
                .collect(),
        ),
    }
}

/// Replaces or adds `(index, values)` in `list`.
fn layer<T>(list: &mut Vec<(usize, T)>, index: usize, value: T) {
    match list.iter_mut().find(|(i, _)| *i == index) {
        Some(entry) => entry.1 = value,
        None => list.push((index, value)),
    }
}

/// The single-population run configuration of population `p`.
fn population_config(
    network: &CheckedNetwork,
    config: &NetworkConfig,
    p: usize,
    n: usize,
    program: Option<&StepProgram>,
) -> RunConfig {
    let population = &network.populations[p];
    let mut run = RunConfig::new(config.t_end, config.dt, n);
    run.threads = config.threads.max(1);
    run.seed = Xoshiro256::for_stream(config.seed, &[POPULATION_INPUTS, p as u64]).next_u64();
    for (param, distribution) in &population.overrides {
        let values = neuron_values(
            distribution,
            n,
            config.seed,
            [p as u64, 0, param.index() as u64],
        );
        layer(&mut run.params, param.index(), values);
    }
    for (state, distribution) in &population.inits {
        let values = neuron_values(
            distribution,
            n,
            config.seed,
            [p as u64, 1, state.index() as u64],
        );
        layer(&mut run.inits, state.index(), values);
    }
    if let Some(options) = config.populations.get(p) {
        for (i, v) in &options.params {
            layer(&mut run.params, *i, v.clone());
        }
        for (i, v) in &options.inits {
            layer(&mut run.inits, *i, v.clone());
        }
        run.inputs = options.inputs.clone();
    }
    // Every white noise and escape-noise event of the model draws afresh each step from
    // its own per-neuron streams (as `galvani_sim::Simulator::prepare` does for a model).
    if let (Source::Model { model, .. }, Some(program)) = (&population.source, program) {
        let slot_of = |name: &str| program.layout.inputs.iter().position(|s| s.name == name);
        for noise in &model.noises {
            if let Some(slot) = slot_of(&noise.name) {
                run.inputs.push((slot, Protocol::WhiteNoise));
            }
        }
        let hazards = model.events.iter().filter(|e| e.hazard.is_some());
        for (k, _) in hazards.enumerate() {
            if let Some(slot) = slot_of(&galvani_ir::step::hazard_slot(k)) {
                run.inputs.push((slot, Protocol::Uniform));
            }
        }
    }
    run
}

/// Runs `network` as `config` says: `kernels[p]` is population p's compiled model
/// (`None` for source populations). Rows go to `record` (columns named `POP.NAME`),
/// spikes to `spikes`; `progress(done, total)` as in `galvani_runtime::run`, and once with
/// `done = 0` when the time loop starts (after the synapses are built).
pub fn simulate<'k>(
    network: &CheckedNetwork,
    kernels: &[Option<&'k (dyn Kernel + 'k)>],
    config: &NetworkConfig,
    record: &mut dyn RecordSink,
    spikes: &mut dyn NetworkSpikeSink,
    mut progress: Option<&mut dyn FnMut(u64, u64)>,
) -> Result<NetworkSummary, NetworkRunError> {
    let started = Instant::now();
    let probe = RunConfig::new(config.t_end, config.dt, 1);
    let steps = probe.steps()?;
    if config.record_every == 0 {
        return Err(ConfigError::RecordEvery.into());
    }
    let dt = config.dt;
    let sizes = sizes(network, config)?;
    if let Some(limit) = config.memory_limit {
        let bytes = build::estimate_bytes(network, &sizes, &config.edge_files);
        if bytes > limit as f64 {
            return Err(NetworkRunError::TooLarge {
                bytes: bytes as u64,
                limit,
            });
        }
    }

    // Populations, in file order.
    let mut runners: Vec<Runner<'k>> = Vec::with_capacity(network.populations.len());
    for (p, population) in network.populations.iter().enumerate() {
        let n = sizes[p];
        runners.push(match &population.source {
            Source::Model { .. } => {
                let kernel = kernels
                    .get(p)
                    .copied()
                    .flatten()
                    .ok_or(NetworkRunError::MissingKernel { population: p })?;
                let run = population_config(network, config, p, n, Some(kernel.program()));
                let stepper =
                    Stepper::new(kernel, &run).map_err(|error| NetworkRunError::Population {
                        population: p,
                        error,
                    })?;
                Runner::Model(Box::new(stepper))
            }
            Source::Poisson { rate, rate_of_time } => Runner::Poisson(PoissonSources::new(
                *rate,
                rate_of_time.as_ref().map(|r| &r.formula),
                dt,
                n,
                config.seed,
                p,
            )),
            Source::Spikes { .. } => {
                let list = config
                    .spike_files
                    .iter()
                    .find(|(q, _)| *q == p)
                    .map(|(_, s)| s.as_slice())
                    .unwrap_or(&[]);
                Runner::File(FileSources::new(list, n, dt, steps, p)?)
            }
        });
    }

    let mut projections = build::projections(network, &sizes, dt, config.seed, &config.edge_files)?;
    // Spike history per population: emissions at grid index g in slot g mod len.
    let mut history: Vec<Vec<Vec<u32>>> = (0..runners.len())
        .map(|p| {
            let longest = projections
                .iter()
                .filter(|j| j.pre == p)
                .map(|j| match j.delays {
                    Delays::Constant(d) => d,
                    Delays::PerSynapse(_) => 0,
                })
                .max()
                .unwrap_or(0);
            vec![Vec::new(); longest as usize + 1]
        })
        .collect();
    let mut drives: Vec<DriveRun> = network
        .drives
        .iter()
        .enumerate()
        .map(|(d, drive)| DriveRun {
            effect: build::effect(&drive.on_pre, &[], 1),
            counts: PoissonCounts::new(drive.rate * dt),
            rate_of_time: drive.rate_of_time.as_ref().map(|r| r.formula.clone()),
            targets: drive
                .targets
                .iter()
                .map(|&p| (p, sources::drive_streams(config.seed, d, p, sizes[p])))
                .collect(),
        })
        .collect();
    let summary_synapses = projections.iter().map(|j| j.synapses.len() as u64).sum();
    let summary_bytes = projections.iter().map(|j| j.bytes() as u64).sum();
    let mut populations: Vec<PopulationSummary> = network
        .populations
        .iter()
        .enumerate()
        .map(|(p, population)| PopulationSummary {
            name: population.name.clone(),
            spike_counts: vec![0; sizes[p]],
            synapses_in: projections
                .iter()
                .filter(|j| j.post == p)
                .map(|j| j.synapses.len() as u64)
                .sum(),
            synapse_bytes_in: projections
                .iter()
                .filter(|j| j.post == p)
                .map(|j| j.bytes() as u64)
                .sum(),
        })
        .collect();

    let mut recorder = NetworkRecorder::new(network, &runners, config, record)?;
    recorder.row(&mut runners, 0.0, dt)?;

    // Emissions at t_0: spike-file sources only.
    let mut emitted: Vec<Vec<u32>> = vec![Vec::new(); runners.len()];
    for (p, runner) in runners.iter_mut().enumerate() {
        if let Runner::File(files) = runner {
            files.at(0, &mut emitted[p]);
        }
    }
    let mut sink_order: Vec<(f64, usize, u32, usize)> = Vec::new();
    emit(0, &emitted, &mut history, &mut projections);
    for (p, neurons) in emitted.iter().enumerate() {
        for &i in neurons {
            populations[p].spike_counts[i as usize] += 1;
            sink_order.push((0.0, p, i, 0));
        }
    }
    for &(t, p, i, e) in &sink_order {
        spikes.spike(p, i, t, e).map_err(NetworkRunError::Sink)?;
    }
    let build_time = started.elapsed();
    let loop_started = Instant::now();
    if let Some(report) = progress.as_mut() {
        report(0, steps);
    }

    let mut firings: Vec<Vec<Firing>> = vec![Vec::new(); runners.len()];
    // Step 5 re-evaluates a population's conditions only when this step's arrivals or
    // drive events changed a state its conditions read; otherwise no condition can have
    // changed, and skipping it is exact.
    let condition_states: Vec<Vec<usize>> = runners
        .iter()
        .map(|runner| match runner {
            Runner::Model(stepper) => states_read_by_conditions(stepper.kernel().program()),
            Runner::Poisson(_) | Runner::File(_) => Vec::new(),
        })
        .collect();
    for projection in projections.iter_mut() {
        projection.reaches_conditions = condition_states[projection.post]
            .iter()
            .any(|&s| effect_writes(&projection.effect, s));
    }
    let mut touched = vec![false; runners.len()];
    // Masks of held states only for the states arrivals and drives write.
    let mut acceptance: Vec<Acceptance> = runners
        .iter()
        .enumerate()
        .map(|(p, runner)| {
            let states = match runner {
                Runner::Model(stepper) => stepper.kernel().program().layout.states.len(),
                Runner::Poisson(_) | Runner::File(_) => 0,
            };
            let into = |s: usize| {
                projections
                    .iter()
                    .any(|q| q.post == p && effect_writes(&q.effect, s))
                    || drives.iter().any(|d| {
                        d.targets.iter().any(|(t, _)| *t == p) && effect_writes(&d.effect, s)
                    })
            };
            Acceptance::new((0..states).map(into).collect())
        })
        .collect();
    let mut drive_counts: Vec<u32> = Vec::new();
    let report_every = steps.div_ceil(PROGRESS_REPORTS).max(1);
    for k in 0..steps {
        let t_next = (k + 1) as f64 * dt;
        // Steps 1–3, and the sources.
        for (p, runner) in runners.iter_mut().enumerate() {
            firings[p].clear();
            emitted[p].clear();
            touched[p] = false;
            let failed = |error| NetworkRunError::Population {
                population: p,
                error,
            };
            match runner {
                Runner::Model(stepper) => {
                    stepper.integrate(k).map_err(failed)?;
                    stepper.fire(k, &mut firings[p]).map_err(failed)?;
                }
                Runner::Poisson(sources) => sources.fire(k, &mut emitted[p]),
                Runner::File(files) => files.at(k + 1, &mut emitted[p]),
            }
        }
        // Step 4: arrivals, connection by connection; then the drives.
        for projection in projections.iter_mut() {
            let Runner::Model(stepper) = &mut runners[projection.post] else {
                continue;
            };
            let states = &network.connections[projection.connection].synapse_states;
            match projection.delays {
                Delays::Constant(d) => {
                    let Some(g) = (k + 1).checked_sub(d as u64) else {
                        continue;
                    };
                    let ring = &history[projection.pre];
                    let pres = &ring[(g % ring.len() as u64) as usize];
                    if pres.is_empty() {
                        continue;
                    }
                    deliver::deliver(
                        projection,
                        Arrivals::Rows(pres),
                        stepper,
                        &mut acceptance[projection.post],
                        states,
                        k,
                        dt,
                    );
                }
                Delays::PerSynapse(_) => {
                    let len = projection.buckets.len() as u64;
                    let mut bucket =
                        std::mem::take(&mut projection.buckets[((k + 1) % len) as usize]);
                    if bucket.is_empty() {
                        continue;
                    }
                    bucket.sort_unstable();
                    deliver::deliver(
                        projection,
                        Arrivals::Synapses(&bucket),
                        stepper,
                        &mut acceptance[projection.post],
                        states,
                        k,
                        dt,
                    );
                    bucket.clear();
                    projection.buckets[((k + 1) % len) as usize] = bucket;
                }
            }
            touched[projection.post] |= projection.reaches_conditions;
        }
        for drive in drives.iter_mut() {
            let DriveRun {
                effect,
                counts,
                rate_of_time,
                targets,
            } = drive;
            if let Some(formula) = rate_of_time {
                // Mean rate(t_k)·dt events in step k.
                *counts = PoissonCounts::new(sources::rate_at(formula, k as f64 * dt) * dt);
            }
            for (p, streams) in targets.iter_mut() {
                let Runner::Model(stepper) = &mut runners[*p] else {
                    continue;
                };
                let acceptance = &mut acceptance[*p];
                acceptance.prepare(stepper, k);
                drive_counts.clear();
                drive_counts.extend(streams.iter_mut().map(|rng| counts.count(rng.uniform())));
                let pop = stepper.population_mut();
                match effect {
                    Effect::Additive(weights) if weights.len() == 1 => {
                        let (state, weight) = &weights[0];
                        deliver::drive_single(
                            *state,
                            weight.get(0),
                            &drive_counts,
                            pop,
                            acceptance,
                        );
                    }
                    _ => {
                        for (i, &count) in drive_counts.iter().enumerate() {
                            if count > 0 {
                                deliver::drive_events(effect, count, i, pop, acceptance);
                            }
                        }
                    }
                }
                touched[*p] |= condition_states[*p]
                    .iter()
                    .any(|&s| effect_writes(effect, s));
            }
        }
        // Step 5, then what the step emits.
        sink_order.clear();
        for (p, runner) in runners.iter_mut().enumerate() {
            match runner {
                Runner::Model(stepper) => {
                    if touched[p] {
                        stepper
                            .fire_after_arrivals(k, &mut firings[p])
                            .map_err(|error| NetworkRunError::Population {
                                population: p,
                                error,
                            })?;
                    }
                    for &(t, i, e) in &firings[p] {
                        if stepper.is_spike_event(e) {
                            emitted[p].push(i);
                            populations[p].spike_counts[i as usize] += 1;
                            sink_order.push((t, p, i, e));
                        }
                    }
                    emitted[p].sort_unstable();
                }
                Runner::Poisson(_) | Runner::File(_) => {
                    for &i in &emitted[p] {
                        populations[p].spike_counts[i as usize] += 1;
                        sink_order.push((t_next, p, i, 0));
                    }
                }
            }
        }
        emit(k + 1, &emitted, &mut history, &mut projections);
        sink_order.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        for &(t, p, i, e) in &sink_order {
            spikes.spike(p, i, t, e).map_err(NetworkRunError::Sink)?;
        }
        if (k + 1) % config.record_every == 0 {
            recorder.row(&mut runners, t_next, dt)?;
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
    Ok(NetworkSummary {
        steps,
        populations,
        synapses: summary_synapses,
        synapse_bytes: summary_bytes,
        build_time,
        simulate_time: loop_started.elapsed(),
    })
}

/// The states any event condition (or crossing function) of `program` reads.
fn states_read_by_conditions(program: &StepProgram) -> Vec<usize> {
    let mut states: Vec<usize> = program
        .events
        .iter()
        .flat_map(|e| e.condition.insts.iter())
        .filter_map(|inst| match inst {
            galvani_ir::step::Inst::State(s) => Some(*s as usize),
            _ => None,
        })
        .collect();
    states.sort_unstable();
    states.dedup();
    states
}

/// Whether an `on pre` block can change post state `s`.
fn effect_writes(effect: &Effect, s: usize) -> bool {
    match effect {
        Effect::Additive(weights) => weights.iter().any(|(state, _)| *state == s),
        Effect::General(actions) => actions
            .iter()
            .any(|a| matches!(a.target, galvani_network::Target::PostState(id) if id.index() == s)),
    }
}

/// Stores the spikes emitted at grid index `g` (`emitted[p]`, neurons ascending) in each
/// population's history, and queues their arrivals on projections with per-synapse
/// delays.
fn emit(
    g: u64,
    emitted: &[Vec<u32>],
    history: &mut [Vec<Vec<u32>>],
    projections: &mut [Projection],
) {
    for (p, neurons) in emitted.iter().enumerate() {
        let ring = &mut history[p];
        let len = ring.len() as u64;
        let slot = &mut ring[(g % len) as usize];
        slot.clear();
        slot.extend_from_slice(neurons);
    }
    for projection in projections.iter_mut() {
        let Delays::PerSynapse(delays) = &projection.delays else {
            continue;
        };
        let len = projection.buckets.len() as u64;
        for &i in &emitted[projection.pre] {
            let (from, to) = (
                projection.synapses.offsets[i as usize] as usize,
                projection.synapses.offsets[i as usize + 1] as usize,
            );
            for (s, &delay) in delays.iter().enumerate().take(to).skip(from) {
                let arrival = g + delay as u64;
                projection.buckets[(arrival % len) as usize].push(s as u32);
            }
        }
    }
}

/// Streams the recorded rows of a network run: columns `POP.NAME` for each requested
/// neuron, in request order.
struct NetworkRecorder<'a> {
    sink: &'a mut dyn RecordSink,
    requests: Vec<RecordRequest>,
    row: Vec<f64>,
}

impl<'a> NetworkRecorder<'a> {
    fn new(
        network: &CheckedNetwork,
        runners: &[Runner<'_>],
        config: &NetworkConfig,
        sink: &'a mut dyn RecordSink,
    ) -> Result<NetworkRecorder<'a>, NetworkRunError> {
        let mut columns = Vec::new();
        for request in &config.record {
            let Some(Runner::Model(stepper)) = runners.get(request.population) else {
                return Err(ConfigError::NoSuchState(usize::MAX).into());
            };
            let program: &StepProgram = stepper.kernel().program();
            let slots = match request.variable {
                Recorded::State(_) => &program.layout.states,
                Recorded::Intermediate(_) => &program.layout.intermediates,
                Recorded::Input(_) => &program.layout.inputs,
            };
            let index = match request.variable {
                Recorded::State(i) | Recorded::Intermediate(i) | Recorded::Input(i) => i,
            };
            let slot = slots.get(index).ok_or(match request.variable {
                Recorded::State(i) => ConfigError::NoSuchState(i),
                Recorded::Intermediate(i) => ConfigError::NoSuchIntermediate(i),
                Recorded::Input(i) => ConfigError::NoSuchInput(i),
            })?;
            let n = stepper.population().len();
            for &neuron in &request.neurons {
                if neuron >= n {
                    return Err(NetworkRunError::Population {
                        population: request.population,
                        error: RunError::Config(ConfigError::PerNeuronLength {
                            what: format!("the recorded neuron {neuron}"),
                            expected: n,
                            found: neuron + 1,
                        }),
                    });
                }
                columns.push(Column {
                    variable: format!(
                        "{}.{}",
                        network.populations[request.population].name, slot.name
                    ),
                    unit: slot.unit.clone(),
                    neuron,
                });
            }
        }
        if !columns.is_empty() {
            sink.begin(&columns).map_err(NetworkRunError::Sink)?;
        }
        Ok(NetworkRecorder {
            sink,
            requests: config.record.clone(),
            row: vec![0.0; columns.len()],
        })
    }

    fn row(&mut self, runners: &mut [Runner<'_>], t: f64, dt: f64) -> Result<(), NetworkRunError> {
        if self.requests.is_empty() {
            return Ok(());
        }
        // Intermediates of each population that records one, once per row.
        for (p, runner) in runners.iter_mut().enumerate() {
            if let Runner::Model(stepper) = runner {
                let wants = self
                    .requests
                    .iter()
                    .any(|r| r.population == p && matches!(r.variable, Recorded::Intermediate(_)));
                if wants {
                    let kernel = stepper.kernel();
                    kernel
                        .eval_intermediates(stepper.population_mut(), t, dt)
                        .map_err(|e| NetworkRunError::Population {
                            population: p,
                            error: RunError::Kernel(e),
                        })?;
                }
            }
        }
        let mut c = 0;
        for request in &self.requests {
            let Runner::Model(stepper) = &runners[request.population] else {
                continue;
            };
            let pop = stepper.population();
            let values = match request.variable {
                Recorded::State(i) => pop.state(i),
                Recorded::Intermediate(i) => pop.intermediate(i),
                Recorded::Input(i) => pop.input(i),
            };
            for &neuron in &request.neurons {
                self.row[c] = values[neuron];
                c += 1;
            }
        }
        self.sink
            .record(t, &self.row)
            .map_err(NetworkRunError::Sink)
    }
}
