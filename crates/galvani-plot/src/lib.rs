//! galvani's pictures of results, for any front end: PNG and SVG plots of recorded traces
//! with a spike raster and of rate–current curves (`plot`), ISI histograms and population
//! activity of a spike file (`stats_plot`), the rasters and activity of a network run
//! (`network_plot`), and a text sketch of one trace
//! for a terminal (`sketch`). They draw what `galvani-sim` hands on (`Series`, kept spikes,
//! points) and never run a simulation; every picture is deterministic, byte for byte.

pub mod network_plot;
pub mod plot;
pub mod sketch;
pub mod stats_plot;

pub use network_plot::{write_network_plot, NetworkRow};
pub use plot::{check_format, write_plot, write_xy_plot, PlotError, PlotInput};
pub use sketch::sketch;
pub use stats_plot::{write_stats_plot, StatsRow};
