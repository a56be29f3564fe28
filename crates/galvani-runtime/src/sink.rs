//! Where a run's results go while it runs: `RecordSink` receives recorded rows,
//! `SpikeSink` spikes, so memory stays bounded by the population and not by the run's
//! length (the CLI streams them to CSV). `Trace` and `SpikeList` keep everything in
//! memory, for tests and small runs; `Discard` drops it.

use galvani_ir::model::DisplayUnit;

/// An error from a sink (an I/O error of the CLI's writer, say); the run stops with it.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// One recorded column: a variable of one neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub variable: String,
    /// The declared unit: the recorded values are internal, displayed = internal / scale.
    pub unit: DisplayUnit,
    pub neuron: usize,
}

pub trait RecordSink {
    /// Called once, before the first row: the columns, variable-major
    /// (`V[0], V[1], …, m[0], …`).
    fn begin(&mut self, columns: &[Column]) -> Result<(), SinkError>;
    /// One row at time `t`: `values[c]` belongs to `columns[c]`, in internal units.
    fn record(&mut self, t: f64, values: &[f64]) -> Result<(), SinkError>;
}

pub trait SpikeSink {
    /// A spike of `neuron` at `t` from event `event` (its index in the program, always a
    /// spike event: silent events never reach a sink). Calls come ordered by time, then
    /// neuron, then event.
    fn spike(&mut self, neuron: u32, t: f64, event: usize) -> Result<(), SinkError>;
}

/// Keeps every row in memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub columns: Vec<Column>,
    pub times: Vec<f64>,
    /// `rows[r][c]`
    pub rows: Vec<Vec<f64>>,
}

impl Trace {
    /// The recorded values of column `c`.
    pub fn column(&self, c: usize) -> Vec<f64> {
        self.rows.iter().map(|row| row[c]).collect()
    }
}

impl RecordSink for Trace {
    fn begin(&mut self, columns: &[Column]) -> Result<(), SinkError> {
        self.columns = columns.to_vec();
        Ok(())
    }
    fn record(&mut self, t: f64, values: &[f64]) -> Result<(), SinkError> {
        self.times.push(t);
        self.rows.push(values.to_vec());
        Ok(())
    }
}

/// One spike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    pub neuron: u32,
    pub t: f64,
    pub event: usize,
}

/// Keeps every spike in memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeList {
    pub spikes: Vec<Spike>,
}

impl SpikeList {
    /// The spike times of `neuron`.
    pub fn times_of(&self, neuron: u32) -> Vec<f64> {
        self.spikes
            .iter()
            .filter(|s| s.neuron == neuron)
            .map(|s| s.t)
            .collect()
    }
}

impl SpikeSink for SpikeList {
    fn spike(&mut self, neuron: u32, t: f64, event: usize) -> Result<(), SinkError> {
        self.spikes.push(Spike { neuron, t, event });
        Ok(())
    }
}

/// Drops everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl RecordSink for Discard {
    fn begin(&mut self, _: &[Column]) -> Result<(), SinkError> {
        Ok(())
    }
    fn record(&mut self, _: f64, _: &[f64]) -> Result<(), SinkError> {
        Ok(())
    }
}

impl SpikeSink for Discard {
    fn spike(&mut self, _: u32, _: f64, _: usize) -> Result<(), SinkError> {
        Ok(())
    }
}
