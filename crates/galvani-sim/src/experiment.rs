//! The typed experiment API: a [`Simulator`] (a checked model, its step program and a
//! kernel that runs it) takes a [`RunRequest`] — everything in internal units, every name
//! already resolved to a typed id — validates it into a [`PreparedRun`] without touching
//! anything outside, and runs it into a [`RunResult`]. The command line parses its flags
//! into a request and renders the result; a Python binding or a network runner calls the
//! same functions.
//!
//! ```text
//! RunRequest ──prepare (names → slots, --set/--init tables, rest state, grid)──▶ PreparedRun
//!            ──run (runtime + caller's sinks + envelope/spike keepers)──▶ RunResult
//! ```

use crate::envelope::{Decimator, KeptSpikes, Series};
use crate::label::ColumnLabel;
use crate::params::param_table;
use crate::rates::{FiringRates, Rates};
use crate::rest::{rest_state, RestError};
use galvani_ir::model::{BinOp, ExprId, ExprKind, InputId, IntermediateId, ParamId, StateId};
use galvani_ir::step::{Slot, StepProgram};
use galvani_ir::{Dim, Model};
use galvani_kernel::{Kernel, KernelError};
use galvani_runtime::{
    ConfigError, Discard, Protocol, RecordSink, Recorded, RunConfig, RunError, RunSummary,
    SinkError, SpikeSink, Values,
};
use galvani_symbolic::{Jacobian, Linearized};
use thiserror::Error;

/// Points per series the plot envelope keeps (about twice this many are drawn).
const ENVELOPE_POINTS: usize = 2000;

/// A time or duration in a message, without float noise (`3.3`, not `3.3000000000000003`).
fn people(x: &f64) -> String {
    galvani_ir::text::format_for_people(*x)
}

/// A variable of the model, by its typed id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelVariable {
    Param(ParamId),
    Input(InputId),
    State(StateId),
    Intermediate(IntermediateId),
    /// The refractory period event `e` starts.
    Refractory(usize),
}

/// What kind of name a lookup wanted, for "the model has no param `g_na`".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Param,
    State,
    Input,
    /// A state, an intermediate or an input (what can be recorded).
    Recordable,
}

impl NameKind {
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::Param => "param",
            NameKind::State => "state",
            NameKind::Input => "input",
            NameKind::Recordable => "state, intermediate or input",
        }
    }

    /// The noun for several names of this kind ("its states and intermediates are …").
    pub fn plural(self) -> &'static str {
        match self {
            NameKind::Param => "params",
            NameKind::State => "states",
            NameKind::Input => "inputs",
            NameKind::Recordable => "states, intermediates and inputs",
        }
    }
}

/// Why an experiment could not be prepared or run.
#[derive(Debug, Error)]
pub enum SimError {
    #[error("the population needs at least one neuron")]
    EmptyPopulation,
    #[error("the model has no {} `{name}`", kind.noun())]
    UnknownName {
        kind: NameKind,
        name: String,
        /// Every name of that kind, in declaration order (for "did you mean").
        candidates: Vec<String>,
    },
    #[error("input `{0}` is given more than one protocol")]
    DuplicateInput(String),
    /// A param or a state is given more than one value.
    #[error("{} `{name}` is given more than one value", kind.noun())]
    DuplicateValue { kind: NameKind, name: String },
    /// `T > 0` rounds to no step of `dt`: the run would compute nothing.
    #[error("the simulated time {} ms is shorter than half a step of {} ms, so no step would run", people(.t_end), people(.dt))]
    NoStep { t_end: f64, dt: f64 },
    #[error(transparent)]
    Rest(#[from] RestError),
    /// The simulation produced NaN or ±∞ (exit status 2 of `galvani run`).
    #[error("`{name}` of neuron {neuron} became NaN or infinite at t = {} ms", people(.t))]
    NonFinite {
        variable: ModelVariable,
        /// The declared name, or a description for a refractory period.
        name: String,
        neuron: usize,
        t: f64,
    },
    /// An event's refractory period came out negative (a value given with `--set`, say).
    #[error("the refractory period of event {event} is {} ms for neuron {neuron} at t = {} ms; it must be ≥ 0", people(.duration), people(.t))]
    NegativeRefractory {
        event: usize,
        neuron: usize,
        t: f64,
        duration: f64,
    },
    /// A param that is a time and divides somewhere in the model (a time constant, a
    /// period) is given a value ≤ 0: the model means nothing (0 divides by zero, a negative
    /// time constant turns decay into blow-up).
    #[error("`{name}` is a time that divides in the model (a time constant or a period), but it is set to {value} ms{}; it must be > 0", neuron.map(|i| format!(" for neuron {i}")).unwrap_or_default())]
    NonPositiveTime {
        param: ParamId,
        name: String,
        /// In ms.
        value: f64,
        /// The first neuron with that value, when the values differ between neurons.
        neuron: Option<usize>,
    },
    /// The recording interval is not a whole number of steps.
    #[error("the recording interval {every} ms is not a whole number of steps of {dt} ms")]
    EveryNotMultiple {
        every: f64,
        dt: f64,
        /// The nearest whole multiples of `dt` below and above `every` (ms; `below` is 0
        /// when `every` is shorter than one step).
        below: f64,
        above: f64,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A result sink failed (writing a CSV file, say).
    #[error("writing results failed: {0}")]
    Sink(SinkError),
    /// The kernel rejected a call: a bug in galvani, not in the model.
    #[error("the compiled kernel failed: {0}")]
    Kernel(#[from] KernelError),
    /// The run would hold more memory than the machine has available.
    #[error("a population of {n} neurons needs about {} of memory, but {} are available", megabytes(*needed), megabytes(*available))]
    TooLarge {
        n: usize,
        needed: u64,
        available: u64,
    },
    /// The step program and the model disagree: a bug in galvani.
    #[error("`{0}` is missing from the step program's layout")]
    MissingFromLayout(String),
}

/// `1234567890` → `1177 MB`.
fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes.div_ceil(1 << 20))
}

impl SimError {
    /// True for errors that are galvani's fault, not the user's.
    pub fn is_internal(&self) -> bool {
        matches!(self, SimError::Kernel(_) | SimError::MissingFromLayout(_))
    }
}

/// A run, in internal units (ms, mV, …), every name resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    /// Simulated time `T`; the run has `round(T/dt)` steps.
    pub t_end: f64,
    pub dt: f64,
    /// Neurons in the population.
    pub n: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Param overrides: one value for all neurons, or one per neuron; each param at most
    /// once.
    pub params: Vec<(ParamId, Vec<f64>)>,
    /// Initial-value overrides, as `params` (each state at most once); they win over
    /// `init_rest` for their state.
    pub inits: Vec<(StateId, Vec<f64>)>,
    /// Start every (other) state at the resting state of its neuron's params.
    pub init_rest: bool,
    /// Input protocols; other inputs keep their default.
    pub inputs: Vec<(InputId, Protocol)>,
    /// Variables to record, in column order.
    pub record: Vec<Recorded>,
    /// Record every this long (`None`: every step); a whole number of steps, at least one.
    pub record_every: Option<f64>,
    /// Keep a min/max envelope of the recorded trace and the earliest spikes (up to this
    /// many) in memory, for a plot or a sketch.
    pub keep_for_picture: Option<usize>,
    /// Threads for the step and the conditions (`RunConfig::threads`): the same results
    /// for any number.
    pub threads: usize,
}

impl RunRequest {
    /// `n` neurons for `t_end` with step `dt`, defaults everywhere, nothing recorded.
    pub fn new(t_end: f64, dt: f64, n: usize) -> RunRequest {
        RunRequest {
            t_end,
            dt,
            n,
            seed: 0,
            params: Vec::new(),
            inits: Vec::new(),
            init_rest: false,
            inputs: Vec::new(),
            record: Vec::new(),
            record_every: None,
            keep_for_picture: None,
            threads: 1,
        }
    }
}

/// A validated run: the runtime's configuration, the number of steps and the columns it
/// will record. Preparing touches nothing outside (no file is opened).
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedRun {
    pub config: RunConfig,
    pub steps: u64,
    /// One label per recorded column, variable-major (`V[0], V[1], …, m[0], …`).
    pub columns: Vec<ColumnLabel>,
    keep_for_picture: Option<usize>,
}

/// What a run produced besides what its sinks received.
#[derive(Debug)]
pub struct RunResult {
    pub summary: RunSummary,
    /// The plot envelope of every column, when the request kept one.
    pub envelope: Option<Vec<Series>>,
    /// The earliest spikes, when the request kept them.
    pub spikes: Option<KeptSpikes>,
}

/// Where a run streams its results besides what the request keeps in memory.
#[derive(Default)]
pub struct Sinks<'s> {
    pub record: Vec<&'s mut dyn RecordSink>,
    pub spikes: Vec<&'s mut dyn SpikeSink>,
    /// Called with (steps done, steps in all) now and then.
    pub progress: Option<&'s mut dyn FnMut(u64, u64)>,
}

/// A compiled model ready to run: the linearized model (for the resting state's exact
/// Jacobian), its step program, and a kernel executing that program (the JIT or the
/// interpreter).
pub struct Simulator<'a, K: Kernel + ?Sized> {
    pub model: &'a Model,
    pub linearized: &'a Linearized,
    pub program: &'a StepProgram,
    pub kernel: &'a K,
}

impl<'a, K: Kernel + ?Sized> Simulator<'a, K> {
    pub fn new(linearized: &'a Linearized, program: &'a StepProgram, kernel: &'a K) -> Self {
        Simulator {
            model: linearized.model(),
            linearized,
            program,
            kernel,
        }
    }

    pub fn param(&self, name: &str) -> Result<ParamId, SimError> {
        let names = self.model.params.iter().map(|p| &p.name);
        self.model
            .find_param(name)
            .ok_or_else(|| unknown(NameKind::Param, name, names))
    }

    pub fn state(&self, name: &str) -> Result<StateId, SimError> {
        let names = self.model.states.iter().map(|s| &s.name);
        self.model
            .find_state(name)
            .ok_or_else(|| unknown(NameKind::State, name, names))
    }

    pub fn input(&self, name: &str) -> Result<InputId, SimError> {
        let names = self.model.inputs.iter().map(|i| &i.name);
        self.model
            .find_input(name)
            .ok_or_else(|| unknown(NameKind::Input, name, names))
    }

    /// A state, intermediate or input to record, by name.
    pub fn recordable(&self, name: &str) -> Result<Recorded, SimError> {
        let layout = &self.program.layout;
        if let Some(i) = position(&layout.states, name) {
            Ok(Recorded::State(i))
        } else if let Some(i) = position(&layout.intermediates, name) {
            Ok(Recorded::Intermediate(i))
        } else if let Some(i) = position(&layout.inputs, name) {
            Ok(Recorded::Input(i))
        } else {
            let names = layout
                .states
                .iter()
                .chain(&layout.intermediates)
                .chain(&layout.inputs);
            Err(unknown(
                NameKind::Recordable,
                name,
                names.map(|slot| &slot.name),
            ))
        }
    }

    /// What a run records when the caller names nothing: the first state.
    pub fn default_record(&self) -> Vec<Recorded> {
        if self.program.layout.states.is_empty() {
            Vec::new()
        } else {
            vec![Recorded::State(0)]
        }
    }

    /// Bytes a run of `n` neurons holds at once, besides what its sinks keep: the
    /// population's arrays (states, params, inputs, intermediates, three per event), the
    /// old states and the event bookkeeping of a step, one recorded row of every variable,
    /// and per-neuron override and protocol values — `8·n` bytes each.
    pub fn memory_needed(&self, n: usize) -> u64 {
        let layout = &self.program.layout;
        let per_neuron_arrays = 2 * layout.states.len()
            + layout.params.len()
            + 2 * layout.inputs.len()
            + 2 * layout.intermediates.len()
            + 6 * self.program.events.len()
            + 2;
        // Arrays are padded to whole blocks of neurons (`galvani_kernel::BLOCK`).
        let stride = galvani_kernel::stride_of(n).map_or(u64::MAX, |s| s as u64);
        stride
            .saturating_mul(per_neuron_arrays as u64)
            .saturating_mul(8)
    }

    /// Refuses a population whose arrays would not fit in the memory available now
    /// (`MemAvailable` of `/proc/meminfo`), before anything is allocated; where that
    /// cannot be read, allocation is fallible instead (`ConfigError::PopulationTooLarge`).
    pub fn check_memory(&self, n: usize) -> Result<(), SimError> {
        if n == 0 {
            return Err(SimError::EmptyPopulation);
        }
        let needed = self.memory_needed(n);
        match available_memory() {
            Some(available) if needed > available => Err(SimError::TooLarge {
                n,
                needed,
                available,
            }),
            _ => Ok(()),
        }
    }

    /// Refuses a value ≤ 0 (or NaN) for a param that is a time and divides in the model.
    /// Dimensionless models have no times to tell apart, and are not checked.
    fn check_time_constant(&self, param: ParamId, values: &[f64]) -> Result<(), SimError> {
        let declared = &self.model.params[param.index()];
        if declared.unit.dim != Dim::TIME || !divides(self.model, param) {
            return Ok(());
        }
        let Some(bad) = values.iter().position(|v| v.is_nan() || *v <= 0.0) else {
            return Ok(());
        };
        let uniform = values.iter().all(|v| v.to_bits() == values[0].to_bits());
        Err(SimError::NonPositiveTime {
            param,
            name: declared.name.clone(),
            value: values[bad],
            neuron: (!uniform).then_some(bad),
        })
    }

    /// Validates `request` and builds the runtime's configuration: overrides and
    /// protocols into layout slots, the resting state when asked, the recording interval
    /// in steps, and the step count.
    pub fn prepare(&self, request: &RunRequest) -> Result<PreparedRun, SimError> {
        self.check_memory(request.n)?;
        let layout = &self.program.layout;
        let mut config = RunConfig::new(request.t_end, request.dt, request.n);
        config.seed = request.seed;
        for (param, values) in &request.params {
            let name = &self.model.params[param.index()].name;
            let slot = self.slot(&layout.params, name)?;
            if config.params.iter().any(|(s, _)| *s == slot) {
                return Err(SimError::DuplicateValue {
                    kind: NameKind::Param,
                    name: name.clone(),
                });
            }
            self.check_time_constant(*param, values)?;
            config.params.push((slot, per_neuron(values)));
        }
        for (state, values) in &request.inits {
            let name = &self.model.states[state.index()].name;
            let slot = self.slot(&layout.states, name)?;
            if config.inits.iter().any(|(s, _)| *s == slot) {
                return Err(SimError::DuplicateValue {
                    kind: NameKind::State,
                    name: name.clone(),
                });
            }
            config.inits.push((slot, per_neuron(values)));
        }
        if request.init_rest {
            self.add_rest_state(&mut config)?;
        }
        for (input, protocol) in &request.inputs {
            let name = &self.model.inputs[input.index()].name;
            let slot = self.slot(&layout.inputs, name)?;
            if config.inputs.iter().any(|(s, _)| *s == slot) {
                return Err(SimError::DuplicateInput(name.clone()));
            }
            config.inputs.push((slot, protocol.clone()));
        }
        // Every white noise of the model: a fresh N(0,1) draw per neuron and step.
        for noise in &self.model.noises {
            let slot = self.slot(&layout.inputs, &noise.name)?;
            config.inputs.push((slot, Protocol::WhiteNoise));
        }
        // Every escape-noise event: a fresh uniform draw per neuron and step.
        let hazards = self.model.events.iter().filter(|e| e.hazard.is_some());
        for (k, _) in hazards.enumerate() {
            let slot = self.slot(&layout.inputs, &galvani_ir::step::hazard_slot(k))?;
            config.inputs.push((slot, Protocol::Uniform));
        }
        config.record = request.record.clone();
        config.threads = request.threads.max(1);
        if let Some(interval) = request.record_every {
            config.record_every = whole_steps(interval, request.dt)?;
        }
        let steps = config.steps()?;
        if steps == 0 && request.t_end > 0.0 {
            return Err(SimError::NoStep {
                t_end: request.t_end,
                dt: request.dt,
            });
        }
        let columns = self.column_labels(&config);
        Ok(PreparedRun {
            config,
            steps,
            columns,
            keep_for_picture: request.keep_for_picture,
        })
    }

    /// Runs a prepared run, streaming rows and spikes to `sinks`.
    pub fn run(&self, prepared: &PreparedRun, sinks: Sinks<'_>) -> Result<RunResult, SimError> {
        let config = &prepared.config;
        let rows = prepared.steps / config.record_every + 1;
        let mut envelope = prepared
            .keep_for_picture
            .map(|_| Decimator::new(config.record.len() * config.n, rows, ENVELOPE_POINTS));
        let mut kept_spikes = prepared.keep_for_picture.map(KeptSpikes::new);
        let Sinks {
            record: mut record_sinks,
            spikes: mut spike_sinks,
            progress,
        } = sinks;
        if let Some(decimator) = envelope.as_mut() {
            record_sinks.push(decimator);
        }
        if let Some(kept) = kept_spikes.as_mut() {
            spike_sinks.insert(0, kept);
        }
        let mut spikes = Tee(spike_sinks);
        let result = if config.record.is_empty() {
            galvani_runtime::run(self.kernel, config, &mut Discard, &mut spikes, progress)
        } else {
            let mut record = Tee(record_sinks);
            galvani_runtime::run(self.kernel, config, &mut record, &mut spikes, progress)
        };
        let summary = result.map_err(|e| self.run_error(e))?;
        Ok(RunResult {
            summary,
            envelope: envelope.map(|d| d.into_series(&prepared.columns)),
            spikes: kept_spikes,
        })
    }

    /// The firing rates (see [`FiringRates`]) of one neuron per value of `input`, held
    /// constant, in one population run of `values.len()` neurons; `base` gives the grid,
    /// overrides and seed (its `n`, inputs and recording are replaced).
    pub fn firing_rates(
        &self,
        base: &RunRequest,
        input: InputId,
        values: &[f64],
    ) -> Result<Vec<Rates>, SimError> {
        let mut request = base.clone();
        request.n = values.len();
        request.inputs = vec![(input, Protocol::PerNeuron(values.to_vec()))];
        request.record.clear();
        request.keep_for_picture = None;
        let prepared = self.prepare(&request)?;
        let mut rates = FiringRates::new(values.len());
        galvani_runtime::run(
            self.kernel,
            &prepared.config,
            &mut Discard,
            &mut rates,
            None,
        )
        .map_err(|e| self.run_error(e))?;
        Ok((0..values.len())
            .map(|n| rates.rates(n, request.t_end))
            .collect())
    }

    /// Adds the resting state of every neuron's params as initial values of the states
    /// not overridden already.
    fn add_rest_state(&self, config: &mut RunConfig) -> Result<(), SimError> {
        let model = self.model;
        let table = param_table(self.kernel, model, self.program, &config.params, config.n)?;
        let jacobian = Jacobian::of(self.linearized);
        let mut per_state: Vec<Vec<f64>> =
            vec![Vec::with_capacity(table.len()); model.states.len()];
        for params in &table {
            let inputs = model.input_defaults(params);
            let start = model.initial_state(params, &inputs);
            let y = rest_state(&jacobian, params, &inputs, &start)?;
            for (s, v) in y.into_iter().enumerate() {
                per_state[s].push(v);
            }
        }
        for (s, values) in per_state.iter().enumerate() {
            let slot = self.slot(&self.program.layout.states, &model.states[s].name)?;
            if config.inits.iter().any(|(i, _)| *i == slot) {
                continue;
            }
            config.inits.push((slot, per_neuron(values)));
        }
        Ok(())
    }

    fn slot(&self, slots: &[Slot], name: &str) -> Result<usize, SimError> {
        position(slots, name).ok_or_else(|| SimError::MissingFromLayout(name.to_string()))
    }

    /// Labels of the recorded columns as the runtime orders them (variable-major).
    fn column_labels(&self, config: &RunConfig) -> Vec<ColumnLabel> {
        let layout = &self.program.layout;
        let mut labels = Vec::with_capacity(config.record.len() * config.n);
        for recorded in &config.record {
            let slot = match recorded {
                Recorded::State(i) => layout.states.get(*i),
                Recorded::Intermediate(i) => layout.intermediates.get(*i),
                Recorded::Input(i) => layout.inputs.get(*i),
            };
            let Some(slot) = slot else { continue };
            for neuron in 0..config.n {
                labels.push(ColumnLabel {
                    variable: slot.name.clone(),
                    unit: slot.unit.text.clone(),
                    neuron: (config.n > 1).then_some(neuron),
                });
            }
        }
        labels
    }

    /// A runtime error in terms of the model: a non-finite value names the model's
    /// variable by its typed id.
    fn run_error(&self, error: RunError) -> SimError {
        match error {
            RunError::NonFinite {
                variable,
                neuron,
                t,
            } => {
                let name = variable.name(&self.program.layout);
                let model = self.model;
                let model_variable = match variable {
                    galvani_runtime::Variable::Param(_) => {
                        model.find_param(&name).map(ModelVariable::Param)
                    }
                    galvani_runtime::Variable::Input(_) => {
                        model.find_input(&name).map(ModelVariable::Input)
                    }
                    galvani_runtime::Variable::State(_) => {
                        model.find_state(&name).map(ModelVariable::State)
                    }
                    galvani_runtime::Variable::Intermediate(_) => model
                        .find_intermediate(&name)
                        .map(ModelVariable::Intermediate),
                    galvani_runtime::Variable::Refractory(e) => Some(ModelVariable::Refractory(e)),
                };
                match model_variable {
                    Some(variable) => SimError::NonFinite {
                        variable,
                        name,
                        neuron,
                        t,
                    },
                    None => SimError::MissingFromLayout(name),
                }
            }
            RunError::NegativeRefractory {
                event,
                neuron,
                t,
                duration,
            } => SimError::NegativeRefractory {
                event,
                neuron,
                t,
                duration,
            },
            RunError::Config(e) => SimError::Config(e),
            RunError::Sink(e) => SimError::Sink(e),
            RunError::Kernel(e) => SimError::Kernel(e),
        }
    }
}

/// Bytes of memory available for new allocations, from `/proc/meminfo` (Linux); `None`
/// where it cannot be read.
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kilobytes.checked_mul(1024)
}

fn unknown<'n>(kind: NameKind, name: &str, names: impl Iterator<Item = &'n String>) -> SimError {
    SimError::UnknownName {
        kind,
        name: name.to_string(),
        candidates: names.cloned().collect(),
    }
}

fn position(slots: &[Slot], name: &str) -> Option<usize> {
    slots.iter().position(|slot| slot.name == name)
}

/// The recording interval `every` in steps of `dt`, refused unless it is a whole number
/// of steps (to 1e-9 relative, so `1 ms / 0.1 ms` is 10 steps): rounding it silently
/// would record at times the user did not ask for.
fn whole_steps(every: f64, dt: f64) -> Result<u64, SimError> {
    let x = every / dt;
    let nearest = x.round();
    if nearest >= 1.0 && (x - nearest).abs() <= 1e-9 * nearest {
        return Ok(nearest as u64);
    }
    // Multiples printed as `k·dt` without the last-bit noise of the product.
    let multiple = |k: f64| crate::output::format_time(k * dt).parse().unwrap_or(k * dt);
    Err(SimError::EveryNotMultiple {
        every,
        dt,
        below: multiple(x.floor()),
        above: multiple(x.floor() + 1.0),
    })
}

/// Whether param `p` is a factor of a divisor somewhere in the model: `x / p`,
/// `x / (2 * p)`, `x / -p`, `x / (p / 3)` (a gate's `tau` field is lowered to such a
/// division too).
fn divides(model: &Model, p: ParamId) -> bool {
    fn is_factor(model: &Model, e: ExprId, p: ParamId) -> bool {
        match model.exprs.kind(e) {
            ExprKind::Param(q) => *q == p,
            ExprKind::Neg(a) => is_factor(model, *a, p),
            ExprKind::Binary(BinOp::Mul, a, b) => {
                is_factor(model, *a, p) || is_factor(model, *b, p)
            }
            ExprKind::Binary(BinOp::Div, a, _) => is_factor(model, *a, p),
            _ => false,
        }
    }
    model.exprs.nodes.iter().any(|node| match node.kind {
        ExprKind::Binary(BinOp::Div, _, divisor) => is_factor(model, divisor, p),
        _ => false,
    })
}

/// One value for all when every neuron has the same, otherwise one each.
fn per_neuron(values: &[f64]) -> Values {
    match values {
        [first, rest @ ..] if rest.iter().all(|v| v == first) => Values::Uniform(*first),
        _ => Values::PerNeuron(values.to_vec()),
    }
}

/// Several sinks fed in order.
struct Tee<'s, S: ?Sized>(Vec<&'s mut S>);

impl RecordSink for Tee<'_, dyn RecordSink + '_> {
    fn begin(&mut self, columns: &[galvani_runtime::Column]) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|sink| sink.begin(columns))
    }
    fn record(&mut self, t: f64, values: &[f64]) -> Result<(), SinkError> {
        self.0
            .iter_mut()
            .try_for_each(|sink| sink.record(t, values))
    }
}

impl SpikeSink for Tee<'_, dyn SpikeSink + '_> {
    fn spike(&mut self, neuron: u32, t: f64, event: usize) -> Result<(), SinkError> {
        self.0
            .iter_mut()
            .try_for_each(|sink| sink.spike(neuron, t, event))
    }
}
