//! `RunConfig::threads`: every library model, each with its default method, in both
//! kernels, on 1, 2 and 3 threads — the same trace and the same spikes, bit for bit. The
//! population is large enough (`PARALLEL_MIN_NEURONS` + 100) for the step and the conditions to be
//! split over the threads, with a partial last block; neurons differ in their first param
//! and their inputs, and noises draw from per-neuron streams.

use galvani_codegen::{JitKernel, JitOptions};
use galvani_driver as driver;
use galvani_ir::step::Method;
use galvani_kernel::Kernel;
use galvani_runtime::{Protocol, Recorded, RunConfig, SpikeList, Trace, Values};

const NEURONS: usize = galvani_runtime::PARALLEL_MIN_NEURONS + 100;
const STEPS: usize = 20;

fn simulate(kernel: &dyn Kernel, config: &RunConfig) -> (Vec<u64>, SpikeList) {
    let mut trace = Trace::default();
    let mut spikes = SpikeList::default();
    galvani_runtime::run(kernel, config, &mut trace, &mut spikes, None)
        .unwrap_or_else(|e| panic!("{}: the run fails: {e}", kernel.program().model));
    let bits = trace
        .rows
        .iter()
        .flat_map(|r| r.iter().map(|v| v.to_bits()))
        .collect();
    (bits, spikes)
}

#[test]
fn every_model_gives_the_same_bits_on_any_number_of_threads() {
    for path in galvani_tests::gal_files("models") {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (sources, file) = galvani_tests::load(&path);
        let checked = driver::check(&sources, file).expect("library models check");
        let method = Method::default_for(&checked.model);
        let (checked, program) = driver::compile(&sources, file, method).expect("compiles");
        let model = checked.model;
        let layout = &program.layout;
        let mut config = RunConfig::new(STEPS as f64 * 0.05, 0.05, NEURONS);
        config.seed = 9;
        // A long run's specialised step is part of what threads must not change.
        config.specialize_min_neuron_steps = 0;
        for input in model.inputs.len()..layout.inputs.len() {
            let draws = if layout.inputs[input].name.starts_with("hazard#") {
                Protocol::Uniform
            } else {
                Protocol::WhiteNoise
            };
            config.inputs.push((input, draws));
        }
        let defaults = model.input_defaults(&model.param_values());
        for (input, default) in defaults.iter().enumerate() {
            // From the default to three times it (or to 1 internal unit from 0), across
            // the population: some neurons fire, some do not.
            let top = if *default == 0.0 { 1.0 } else { 3.0 * default };
            let per_neuron = (0..NEURONS)
                .map(|i| default + (top - default) * i as f64 / NEURONS as f64)
                .collect();
            config.inputs.push((input, Protocol::PerNeuron(per_neuron)));
        }
        if let Some(first) = layout.params.first() {
            let id = model
                .find_param(&first.name)
                .expect("layout params are model params");
            let declared = model.param_values()[id.index()];
            let per_neuron = (0..NEURONS)
                .map(|i| declared * (1.0 + 0.001 * i as f64))
                .collect();
            config.params.push((0, Values::PerNeuron(per_neuron)));
        }
        config.record = (0..layout.states.len()).map(Recorded::State).collect();
        for options in [JitOptions::default(), JitOptions::reference()] {
            let kernel = JitKernel::compile_with(&program, options, None).expect("JIT");
            let one = simulate(&kernel, &config);
            for threads in [2, 3] {
                let mut parallel = config.clone();
                parallel.threads = threads;
                let many = simulate(&kernel, &parallel);
                assert!(
                    one.0 == many.0,
                    "{stem}: {threads} threads change the trace"
                );
                assert_eq!(one.1, many.1, "{stem}: {threads} threads change the spikes");
            }
        }
    }
}

/// A blow-up found while the values are looked at on several threads is reported as on
/// one thread: the first state in layout order and the lowest neuron. Two neurons, one in
/// each thread's range, grow past the largest double in the same step.
#[test]
fn a_blow_up_is_reported_alike_on_any_number_of_threads() {
    let path = std::env::temp_dir().join(format!("galvani-blowup-{}.gal", std::process::id()));
    std::fs::write(
        &path,
        "model blowup \"grows without bound where driven\"\n\
         param tau = 1 ms\n\
         input I = 0 mV\n\
         state V = 0 mV\n\
         dV/dt = (V * V / (1 mV) + I) / tau\n",
    )
    .expect("temp file");
    let (sources, file) = galvani_tests::load(&path);
    let (_, program) = driver::compile(&sources, file, Method::Euler).expect("compiles");
    std::fs::remove_file(&path).ok();
    let mut config = RunConfig::new(5.0, 0.05, NEURONS);
    let driven = [10, NEURONS - 50];
    let per_neuron = (0..NEURONS)
        .map(|i| if driven.contains(&i) { 100.0 } else { 0.0 })
        .collect();
    config.inputs.push((0, Protocol::PerNeuron(per_neuron)));
    let kernel = JitKernel::compile(&program).expect("JIT");
    let error = |threads: usize| {
        let mut config = config.clone();
        config.threads = threads;
        let mut trace = Trace::default();
        let mut spikes = SpikeList::default();
        galvani_runtime::run(&kernel, &config, &mut trace, &mut spikes, None)
            .expect_err("the driven neurons blow up")
            .to_string()
    };
    let one = error(1);
    assert!(one.contains("neuron 10 "), "{one}");
    for threads in [2, 3] {
        assert_eq!(error(threads), one, "{threads} threads");
    }
}
