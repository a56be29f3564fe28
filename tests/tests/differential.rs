//! The JIT against the reference interpreter on every model in `models/` × every method:
//! the same compiled `StepProgram` run by the real runtime through both back ends, three
//! neurons with different params and inputs, 1,000 steps, every state and intermediate
//! recorded at every step and every spike compared — agreement to 1e-12 relative.

use galvani::driver;
use galvani_codegen::{Interpreter, JitKernel};
use galvani_ir::step::{Method, StepProgram};
use galvani_ir::Model;
use galvani_kernel::Kernel;
use galvani_runtime::{Protocol, Recorded, RunConfig, SpikeList, Trace, Values};

/// Neurons per population: enough to see per-neuron values go to the right lanes.
const NEURONS: usize = 3;
const STEPS: usize = 1000;

/// Per model: the time step (ms) and an input amplitude in internal units (uA for
/// currents in nA/pA, uA/cm² for densities) that makes every spiking model fire within
/// the 1,000 steps, so event code runs too.
fn drive(model: &str) -> (f64, f64) {
    match model {
        "passive" => (0.1, 5.0),
        "pif" => (0.1, 5e-4),
        "lif" | "qif" => (0.1, 2e-3),
        "adex" => (0.1, 1e-3),
        "eif" => (0.01, 5.0),
        "izhikevich" => (0.25, 10.0),
        "fitzhugh_nagumo" => (0.1, 0.5),
        "hh" | "hh_1952" | "hh_cortical" => (0.025, 10.0),
        other => panic!("add `{other}` to the drive table of the differential test"),
    }
}

/// True when `a` and `b` agree to 1e-12 relative (or both are NaN, or are equal).
fn agree(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn simulate(kernel: &dyn Kernel, config: &RunConfig) -> (Trace, SpikeList) {
    let mut trace = Trace::default();
    let mut spikes = SpikeList::default();
    galvani_runtime::run(kernel, config, &mut trace, &mut spikes, None)
        .unwrap_or_else(|e| panic!("{}: the run fails: {e}", kernel.program().model));
    (trace, spikes)
}

fn config(program: &StepProgram, model: &Model, dt: f64, amplitude: f64) -> RunConfig {
    let mut config = RunConfig::new(STEPS as f64 * dt, dt, NEURONS);
    let layout = &program.layout;
    // Neuron i gets amplitude·(0.8 + 0.2·i) on every input.
    for input in 0..layout.inputs.len() {
        let per_neuron: Vec<f64> = (0..NEURONS)
            .map(|i| amplitude * (0.8 + 0.2 * i as f64))
            .collect();
        config.inputs.push((input, Protocol::PerNeuron(per_neuron)));
    }
    // The first param scaled by 1 + 1%·i across the population.
    if let Some(first) = layout.params.first() {
        let id = model
            .find_param(&first.name)
            .expect("layout params are model params");
        let declared = model.param_values()[id.index()];
        let per_neuron = (0..NEURONS)
            .map(|i| declared * (1.0 + 0.01 * i as f64))
            .collect();
        config.params.push((0, Values::PerNeuron(per_neuron)));
    }
    config.record = (0..layout.states.len())
        .map(Recorded::State)
        .chain((0..layout.intermediates.len()).map(Recorded::Intermediate))
        .collect();
    config
}

#[test]
fn jit_and_interpreter_agree_on_every_model_and_method() {
    let files = galvani_tests::gal_files("models");
    assert!(files.len() >= 11, "the model library is in models/");
    for path in &files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (dt, amplitude) = drive(&stem);
        let (sources, file) = galvani_tests::load(path);
        for method in Method::ALL {
            let what = format!("{stem} with {method:?}");
            let (checked, program) = driver::compile(&sources, file, method).unwrap_or_else(|d| {
                panic!(
                    "{what} does not compile: {}",
                    galvani_tests::render_all(&sources, d.iter())
                )
            });
            let jit = JitKernel::compile(&program).expect("the JIT compiles every model");
            let interpreter = Interpreter::new(&program).expect("the program is valid");
            let config = config(&program, &checked.model, dt, amplitude);
            let (jit_trace, jit_spikes) = simulate(&jit, &config);
            let (ref_trace, ref_spikes) = simulate(&interpreter, &config);

            assert_eq!(jit_trace.rows.len(), STEPS + 1, "{what}: one row per step");
            assert_eq!(jit_trace.times, ref_trace.times, "{what}: time grids");
            for (r, (a_row, b_row)) in jit_trace.rows.iter().zip(&ref_trace.rows).enumerate() {
                for (c, (a, b)) in a_row.iter().zip(b_row).enumerate() {
                    assert!(
                        agree(*a, *b),
                        "{what}: column {} at row {r}: jit {a} vs interpreter {b}",
                        jit_trace.columns[c].variable
                    );
                    assert!(a.is_finite(), "{what}: column {c} row {r} is {a}");
                }
            }
            assert_eq!(
                jit_spikes.spikes.len(),
                ref_spikes.spikes.len(),
                "{what}: spike counts"
            );
            for (a, b) in jit_spikes.spikes.iter().zip(&ref_spikes.spikes) {
                assert_eq!(a.neuron, b.neuron, "{what}: spiking neuron");
                assert_eq!(a.event, b.event, "{what}: event");
                assert!(agree(a.t, b.t), "{what}: spike at {} vs {}", a.t, b.t);
            }
            if !program.events.is_empty() {
                for neuron in 0..NEURONS as u32 {
                    assert!(
                        !jit_spikes.times_of(neuron).is_empty(),
                        "{what}: neuron {neuron} never fires, so event code went untested"
                    );
                }
            }
        }
    }
}
