//! `RunConfig`: everything a run needs besides the kernel — the time grid, the population
//! size, overrides of params and initial states, input protocols, what to record and the
//! seed. All values are in galvani's internal units (ms, mV, …); the CLI converts.

use crate::protocol::Protocol;
use crate::ConfigError;

/// A value for every neuron: one for all, or one each.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Uniform(f64),
    PerNeuron(Vec<f64>),
}

impl Values {
    /// Writes the values into `out` (one per neuron); `what` names them in errors.
    pub(crate) fn fill(&self, out: &mut [f64], what: &str) -> Result<(), ConfigError> {
        match self {
            Values::Uniform(v) => out.fill(*v),
            Values::PerNeuron(values) if values.len() == out.len() => out.copy_from_slice(values),
            Values::PerNeuron(values) => {
                return Err(ConfigError::PerNeuronLength {
                    what: what.to_string(),
                    expected: out.len(),
                    found: values.len(),
                })
            }
        }
        Ok(())
    }
}

/// A variable to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recorded {
    /// Index into `Layout::states`.
    State(usize),
    /// Index into `Layout::intermediates`.
    Intermediate(usize),
    /// Index into `Layout::inputs`: the stimulus as the step at that time sees it.
    Input(usize),
}

/// A run. Indices refer to the program's `Layout`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// Simulated time `T`; the run has `round(T/dt)` steps.
    pub t_end: f64,
    pub dt: f64,
    /// Neurons in the population.
    pub n: usize,
    /// Seed of every random stream (`--seed`).
    pub seed: u64,
    /// Param overrides (`--set`): `(param index, values)`.
    pub params: Vec<(usize, Values)>,
    /// Initial-state overrides (`--init`): `(state index, values)`.
    pub inits: Vec<(usize, Values)>,
    /// Input protocols (`--input`): `(input index, protocol)`; other inputs keep their
    /// default.
    pub inputs: Vec<(usize, Protocol)>,
    /// Variables to record, in column order.
    pub record: Vec<Recorded>,
    /// Record every this many steps (≥ 1), at `t_k` for `k = 0, every, 2·every, …` up to
    /// and including the last grid point `round(T/dt)` when it falls on that grid.
    pub record_every: u64,
    /// Runs of at least this many neuron-steps (`n × steps`) step with a kernel whose
    /// uniform params and fixed uniform inputs are compiled in as constants
    /// (`Kernel::specialize_step`): a second
    /// compile of a few ms, worth it only for long runs. The results are the same bits
    /// either way.
    pub specialize_min_neuron_steps: u64,
    /// Threads for the blocks computed for every neuron (the step, the conditions) of a
    /// population of at least `PARALLEL_MIN_NEURONS`: each takes a contiguous range of
    /// whole 64-neuron blocks. The results are the same bits for any number (neurons are
    /// independent within a block). 1: this thread only.
    pub threads: usize,
}

/// The default of `RunConfig::specialize_min_neuron_steps`: 10⁶ neuron-steps take ≥ 10 ms
/// at ≥ 10 ns each, against 1–2 ms to compile a small model's step again (a network's
/// population of 800 LIF neurons for 1 s at 0.1 ms is 8·10⁶).
pub const SPECIALIZE_MIN_NEURON_STEPS: u64 = 1_000_000;

impl RunConfig {
    /// A run of `n` neurons for `t_end` with step `dt`, defaults everywhere, nothing
    /// recorded.
    pub fn new(t_end: f64, dt: f64, n: usize) -> RunConfig {
        RunConfig {
            t_end,
            dt,
            n,
            seed: 0,
            params: Vec::new(),
            inits: Vec::new(),
            inputs: Vec::new(),
            record: Vec::new(),
            specialize_min_neuron_steps: SPECIALIZE_MIN_NEURON_STEPS,
            threads: 1,
            record_every: 1,
        }
    }

    /// The number of steps, `round(T/dt)`.
    pub fn steps(&self) -> Result<u64, ConfigError> {
        if !(self.dt > 0.0 && self.dt.is_finite()) {
            return Err(ConfigError::TimeStep(self.dt));
        }
        if !(self.t_end >= 0.0 && self.t_end.is_finite()) {
            return Err(ConfigError::Duration(self.t_end));
        }
        let steps = (self.t_end / self.dt).round();
        if steps > u64::MAX as f64 / 2.0 {
            return Err(ConfigError::TooManySteps(steps));
        }
        Ok(steps as u64)
    }
}

/// The number of whole steps of a duration: `d/dt` rounded when it is within 1e-9
/// (relative) of an integer — `2 ms / 0.1 ms` is 20 although `2/0.1` is 19.999999999999996
/// — and rounded up otherwise, so a duration is never cut short. Negative → 0.
pub fn steps_of(duration: f64, dt: f64) -> u64 {
    let x = duration / dt;
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let nearest = x.round();
    let steps = if (x - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        x.ceil()
    };
    steps.min(u64::MAX as f64 / 2.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_counts() {
        assert_eq!(steps_of(2.0, 0.1), 20);
        assert_eq!(steps_of(2.0, 0.025), 80);
        assert_eq!(steps_of(0.25, 0.1), 3);
        assert_eq!(steps_of(0.0, 0.1), 0);
        assert_eq!(steps_of(-1.0, 0.1), 0);
        assert_eq!(RunConfig::new(100.0, 0.025, 1).steps(), Ok(4000));
        assert_eq!(RunConfig::new(1.0, 0.3, 1).steps(), Ok(3));
        assert!(RunConfig::new(1.0, 0.0, 1).steps().is_err());
        assert!(RunConfig::new(f64::NAN, 0.1, 1).steps().is_err());
    }
}
