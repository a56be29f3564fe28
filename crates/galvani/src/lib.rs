//! The galvani driver library: loads model files, runs the pipeline stages in order, renders
//! diagnostics, and implements the command line (`cli`). The binary in `main.rs` is a thin
//! shell around [`cli::main_with_args`].

pub mod bench_cmd;
pub mod cli;
pub mod command;
pub mod fi_cmd;
mod net_bench;
mod net_run_cmd;
pub mod progress;
pub mod render;
pub mod run_cmd;
pub mod scaling;
pub mod stats_cmd;
