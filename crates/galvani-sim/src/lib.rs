//! galvani experiments: everything between a compiled model and its results — quantities
//! with units and the protocols and per-neuron values written with them (`values`), the
//! param table (`params`), the resting state (`rest`), record selection and the typed
//! [`RunRequest`] → [`RunResult`] API (`experiment`), the sinks that keep results in
//! bounded memory (`envelope`) and the firing rates of an f–I curve (`rates`), and the CSV files and sidecars a run writes
//! (`output`). The command line parses its flags into a request
//! and renders the result; it holds no simulation logic of its own.
//!
//! ```text
//! text ──values──▶ Quantity / Protocol ─┐
//! names ──Simulator::{param, state, …}──┴▶ RunRequest ──prepare──▶ PreparedRun ──run──▶ RunResult
//! ```

pub mod envelope;
pub mod experiment;
pub mod files;
pub mod label;
pub mod output;
pub mod params;
pub mod rates;
pub mod rest;
pub mod spike_stats;
pub mod values;

pub use envelope::{Decimator, KeptSpikes, Sample, Series};
pub use experiment::{
    ModelVariable, NameKind, PreparedRun, RunRequest, RunResult, SimError, Simulator, Sinks,
};
pub use label::ColumnLabel;
pub use rates::{FiringRates, Rates};
pub use rest::RestError;
pub use values::{Expect, InputContext, Quantity, ValueError};
