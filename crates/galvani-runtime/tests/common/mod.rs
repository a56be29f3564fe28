//! Helpers shared by the runtime's integration tests.
#![allow(dead_code)]

use galvani_codegen::{Interpreter, JitKernel};
use galvani_ir::step::StepProgram;
use galvani_kernel::Kernel;
use galvani_runtime::{run, Discard, RunConfig, RunError, RunSummary, SpikeList, Trace};

/// The JIT and the interpreter of `program`, named.
pub fn kernels(program: &StepProgram) -> Vec<(&'static str, Box<dyn Kernel>)> {
    vec![
        (
            "jit",
            Box::new(JitKernel::compile(program).expect("compiles")),
        ),
        (
            "interpreter",
            Box::new(Interpreter::new(program).expect("valid")),
        ),
    ]
}

/// Runs and keeps everything in memory.
pub fn run_all(
    kernel: &dyn Kernel,
    config: &RunConfig,
) -> Result<(RunSummary, Trace, SpikeList), RunError> {
    let mut trace = Trace::default();
    let mut spikes = SpikeList::default();
    let summary = run(kernel, config, &mut trace, &mut spikes, None)?;
    Ok((summary, trace, spikes))
}

/// Runs and keeps only the spikes.
pub fn run_spikes(kernel: &dyn Kernel, config: &RunConfig) -> SpikeList {
    let mut spikes = SpikeList::default();
    run(kernel, config, &mut Discard, &mut spikes, None).expect("runs");
    spikes
}

/// Parses a CSV file of `tests/data` (header skipped) into rows of fields.
pub fn data_rows(name: &str) -> Vec<Vec<String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("test data present");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|f| f.trim().to_string()).collect())
        .collect()
}
