//! galvani runtime: runs a compiled model (any `galvani_kernel::Kernel`, JIT or
//! interpreter) over a time grid for a population of neurons — input protocols, events
//! with spike-time interpolation, resets and refractoriness, recording and spikes streamed
//! to sinks, NaN/Inf detection. It never prints; progress goes to an optional callback.
//!
//! ```text
//! Kernel + RunConfig ──run──▶ RecordSink rows, SpikeSink spikes, RunSummary
//! ```

mod config;
mod protocol;
pub mod rng;
mod run;
mod sink;
mod stepper;

pub use config::{steps_of, Recorded, RunConfig, Values, SPECIALIZE_MIN_NEURON_STEPS};
pub use protocol::Protocol;
pub use run::{run, RunSummary};
pub use sink::{Column, Discard, RecordSink, SinkError, Spike, SpikeList, SpikeSink, Trace};
pub use stepper::{Firing, Stepper, PARALLEL_MIN_NEURONS};

use galvani_ir::step::Layout;
use galvani_kernel::KernelError;
use thiserror::Error;

/// A run configuration that cannot be run.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ConfigError {
    #[error("the time step must be positive and finite, got {0}")]
    TimeStep(f64),
    #[error("the simulated time must be ≥ 0 and finite, got {0}")]
    Duration(f64),
    #[error("the simulated time is {0:e} steps of dt, more than a run can count (2^63)")]
    TooManySteps(f64),
    #[error("the recording interval must be at least one step")]
    RecordEvery,
    #[error("the model has no param number {0}")]
    NoSuchParam(usize),
    #[error("the model has no state number {0}")]
    NoSuchState(usize),
    #[error("the model has no input number {0}")]
    NoSuchInput(usize),
    #[error("the model has no intermediate number {0}")]
    NoSuchIntermediate(usize),
    #[error("input `{0}` is given more than one protocol")]
    DuplicateInput(String),
    #[error("{what} has {found} values, the population has {expected} neurons")]
    PerNeuronLength {
        what: String,
        expected: usize,
        found: usize,
    },
    #[error("a population of {0} neurons does not fit in memory")]
    PopulationTooLarge(usize),
    #[error("invalid protocol: {0}")]
    Protocol(ProtocolDefect),
}

/// What is wrong with a protocol's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ProtocolDefect {
    #[error("sine: the frequency must be finite")]
    SineFrequency,
    #[error("pulses: the period and the width must be > 0, the width shorter than the period")]
    PulsesShape,
    /// `step` or `ramp` whose end is not after its start: it would never act.
    #[error("step and ramp: the end must be after the start")]
    EmptyInterval,
    #[error("ou: tau must be > 0 and sigma ≥ 0")]
    OuShape,
    #[error("file: no samples")]
    NoSamples,
    #[error("file: sample times must be increasing")]
    UnorderedSamples,
}

/// A value the runtime checks for NaN and ±∞, by its index in the program's `Layout`
/// (`Variable::name` gives its declared name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variable {
    Param(usize),
    Input(usize),
    State(usize),
    Intermediate(usize),
    /// The refractory period an event starts (index of the event).
    Refractory(usize),
}

impl Variable {
    /// The declared name (`V`, `I_Na`), or `the refractory period of event 0`; `#i` for an
    /// index the layout does not have.
    pub fn name(self, layout: &Layout) -> String {
        let slot = |slots: &[galvani_ir::step::Slot], i: usize| {
            slots
                .get(i)
                .map_or_else(|| format!("#{i}"), |slot| slot.name.clone())
        };
        match self {
            Variable::Param(i) => slot(&layout.params, i),
            Variable::Input(i) => slot(&layout.inputs, i),
            Variable::State(i) => slot(&layout.states, i),
            Variable::Intermediate(i) => slot(&layout.intermediates, i),
            Variable::Refractory(e) => format!("the refractory period of event {e}"),
        }
    }
}

impl std::fmt::Display for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Variable::Param(i) => write!(f, "param #{i}"),
            Variable::Input(i) => write!(f, "input #{i}"),
            Variable::State(i) => write!(f, "state #{i}"),
            Variable::Intermediate(i) => write!(f, "intermediate #{i}"),
            Variable::Refractory(e) => write!(f, "the refractory period of event {e}"),
        }
    }
}

/// A time or duration in a message, without float noise (`3.3`, not `3.3000000000000003`).
fn people(x: &f64) -> String {
    galvani_ir::text::format_for_people(*x)
}

/// Why a run stopped.
#[derive(Debug, Error)]
pub enum RunError {
    /// The simulation produced NaN or ±∞ (exit status 2 of `galvani run`). `t` is the
    /// grid time at which the value appeared, in ms.
    #[error("{variable} of neuron {neuron} became NaN or infinite at t = {} ms", people(.t))]
    NonFinite {
        variable: Variable,
        neuron: usize,
        t: f64,
    },
    /// An event started a refractory period shorter than zero (`t` in ms, `duration` in
    /// ms).
    #[error("event {event} of neuron {neuron} started a negative refractory period ({} ms) at t = {} ms", people(.duration), people(.t))]
    NegativeRefractory {
        event: usize,
        neuron: usize,
        t: f64,
        duration: f64,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The kernel rejected a call: a bug in the runtime or the code generator.
    #[error("internal error: {0}")]
    Kernel(#[from] KernelError),
    /// A sink failed (for example, writing the CSV file).
    #[error("writing results failed: {0}")]
    Sink(SinkError),
}
