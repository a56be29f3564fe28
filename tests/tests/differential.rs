//! The JIT against the reference interpreter on every model in `models/` × every method:
//! the same compiled `StepProgram` run by the real runtime through both back ends, three
//! neurons with different params and inputs, 1,000 steps, every state and intermediate
//! recorded at every step and every spike compared — agreement to 1e-12 relative. And the
//! blocked kernel (the default) against the scalar reference kernel on the same runs, to
//! the tolerance derived at `BLOCKED_TOL`, with the same spikes.

use galvani_codegen::{Interpreter, JitKernel, JitOptions};
use galvani_driver as driver;
use galvani_ir::step::{Method, StepProgram};
use galvani_ir::Model;
use galvani_kernel::Kernel;
use galvani_runtime::{Discard, Protocol, Recorded, RunConfig, SpikeList, Trace, Values};

/// Neurons per population: enough to see per-neuron values go to the right lanes.
const NEURONS: usize = 3;
const STEPS: usize = 1000;

/// Time steps (ms) and input amplitudes (in each input's declared unit) tried, in order,
/// when looking for a drive.
const TIME_STEPS: [f64; 4] = [0.1, 0.025, 0.01, 0.25];
const AMPLITUDES: [f64; 13] = [
    0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3,
];

/// A drive derived from the model alone: the smallest input amplitude of the ladder, with
/// the first time step that suits it, under which every method's run stays finite and — for a model with
/// events — every neuron fires within the 1,000 steps, so event code runs too. A new
/// model needs no entry anywhere; one that nothing on the ladders drives fails here.
fn drive(model: &Model, kernels: &[(Method, JitKernel)]) -> (f64, f64) {
    let unit_scale = model.inputs.first().map_or(1.0, |input| input.unit.scale);
    for amplitude in AMPLITUDES.map(|a| a * unit_scale) {
        for dt in TIME_STEPS {
            let drives_all = kernels.iter().all(|(_, kernel)| {
                let program = kernel.program();
                let config = config(program, model, dt, amplitude);
                let mut spikes = SpikeList::default();
                let finite =
                    galvani_runtime::run(kernel, &config, &mut Discard, &mut spikes, None).is_ok();
                finite
                    && (program.events.is_empty()
                        || (0..NEURONS as u32).all(|n| !spikes.times_of(n).is_empty()))
            });
            if drives_all {
                return (dt, amplitude);
            }
        }
    }
    panic!(
        "no time step of {TIME_STEPS:?} and amplitude of {AMPLITUDES:?} makes every neuron of `{}` fire under every method",
        model.name
    )
}

/// True when `a` and `b` agree to 1e-12 relative (or both are NaN, or are equal).
fn agree(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// The blocked kernel against the reference kernel, states and intermediates: every vector
/// call (exp, expm1, φ, exprel, log; pow with a moderate exponent) is within 2 ulp = 2·2⁻⁵² ≈ 4.4e-16 relative of the scalar
/// function, everything else is the same IEEE operation. The largest step program here (HH
/// rk4) makes 24 such calls a step, so one step perturbs a value by ≤ 24 · 4.4e-16 ≈ 1.1e-14
/// relative, and 1,000 steps by ≤ 1.1e-11 if the perturbations add without growth. Near a
/// spike the dynamics amplify them (a spike-time shift δt moves V by δt·dV/dt, up to
/// ~500 mV/ms), so allow 100×: 1e-9, relative to max(|a|, |b|, 1) — values that cross zero
/// (currents) are compared on the scale of one internal unit.
const BLOCKED_TOL: f64 = 1e-9;

/// Spike times of the two kernels, absolute (ms): the brief's bound, far above the
/// ~1e-13 ms the vector maths moves them.
const SPIKE_TIME_TOL: f64 = 1e-9;

fn agree_blocked(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= BLOCKED_TOL * a.abs().max(b.abs()).max(1.0)
}

/// Every value of the rows as its bits (a trace compared bit for bit).
fn bits(rows: &[Vec<f64>]) -> Vec<u64> {
    rows.iter()
        .flat_map(|r| r.iter().map(|v| v.to_bits()))
        .collect()
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
    // Neuron i gets amplitude·(0.8 + 0.2·i) on every input; the slots of white noises and
    // escape-noise events (after the model's inputs) their draws, the same for both back
    // ends by the seed.
    for input in model.inputs.len()..layout.inputs.len() {
        let draws = if layout.inputs[input].name.starts_with("hazard#") {
            Protocol::Uniform
        } else {
            Protocol::WhiteNoise
        };
        config.inputs.push((input, draws));
    }
    for input in 0..model.inputs.len() {
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
        let (sources, file) = galvani_tests::load(path);
        let mut model = None;
        let mut kernels = Vec::new();
        let has_noise = galvani_tests::check_file(path).is_ok_and(|(_, c)| c.model.has_noise());
        for method in Method::ALL
            .into_iter()
            .filter(|m| !has_noise || m.handles_noise())
        {
            let compiled = driver::compile(&sources, file, method);
            // `exact` takes only linear equations with constant coefficients (E0410).
            if method == Method::Exact
                && compiled.as_ref().is_err_and(|d| {
                    d.iter()
                        .all(|d| d.code == Some(galvani_diag::codes::NOT_EXACT))
                })
            {
                continue;
            }
            let (checked, program) = compiled.unwrap_or_else(|d| {
                panic!(
                    "{stem} with {method:?} does not compile: {}",
                    galvani_tests::render_all(&sources, d.iter())
                )
            });
            let jit = JitKernel::compile_with(&program, JitOptions::reference(), None)
                .expect("the JIT compiles every model");
            kernels.push((method, jit));
            model.get_or_insert(checked.model);
        }
        let model = model.expect("Method::ALL is not empty");
        let (dt, amplitude) = drive(&model, &kernels);
        for (method, jit) in &kernels {
            let what = format!("{stem} with {method:?}");
            let program = jit.program();
            let interpreter = Interpreter::new(program).expect("the program is valid");
            let config = config(program, &model, dt, amplitude);
            let (jit_trace, jit_spikes) = simulate(jit, &config);
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

            // The blocked kernel against the reference kernel (the JIT above).
            let blocked = JitKernel::compile_with(program, JitOptions::default(), None)
                .expect("the blocked kernel compiles every model");
            let (b_trace, b_spikes) = simulate(&blocked, &config);
            let mut worst: f64 = 0.0;
            for (r, (a_row, b_row)) in b_trace.rows.iter().zip(&jit_trace.rows).enumerate() {
                for (c, (a, b)) in a_row.iter().zip(b_row).enumerate() {
                    assert!(
                        agree_blocked(*a, *b),
                        "{what}: column {} at row {r}: blocked {a} vs reference {b}",
                        b_trace.columns[c].variable
                    );
                    worst = worst.max((a - b).abs() / a.abs().max(b.abs()).max(1.0));
                }
            }
            assert_eq!(
                b_spikes.spikes.len(),
                jit_spikes.spikes.len(),
                "{what}: spike counts, blocked vs reference"
            );
            for (a, b) in b_spikes.spikes.iter().zip(&jit_spikes.spikes) {
                assert_eq!((a.neuron, a.event), (b.neuron, b.event), "{what}: spike");
                assert!(
                    (a.t - b.t).abs() <= SPIKE_TIME_TOL,
                    "{what}: blocked spike at {} vs reference {}",
                    a.t,
                    b.t
                );
            }
            eprintln!("{what}: blocked vs reference, worst relative difference {worst:.1e}");

            // Uniform params compiled in as constants (every param but the first, which
            // differs per neuron): the same bits, in both kernel modes.
            let mut special = config.clone();
            special.specialize_min_neuron_steps = 0;
            let mut defaults = galvani_kernel::Population::new(program, NEURONS);
            let params = program.layout.params.len();
            blocked
                .eval_params(&mut defaults, &vec![false; params])
                .expect("params evaluate");
            let step_reads_a_param_or_dt = program.step.insts.iter().any(|i| {
                matches!(
                    i,
                    galvani_ir::step::Inst::Param(_) | galvani_ir::step::Inst::Dt
                )
            });
            assert_eq!(
                blocked.specialize_step(&defaults, config.dt, &[]).is_some(),
                step_reads_a_param_or_dt,
                "{what}: a step that reads a param, all uniform, or dt is specialised"
            );
            for (kernel, (trace, spikes)) in [
                (&blocked, (&b_trace, &b_spikes)),
                (jit, (&jit_trace, &jit_spikes)),
            ] {
                let (s_trace, s_spikes) = simulate(kernel, &special);
                assert_eq!(
                    bits(&s_trace.rows),
                    bits(&trace.rows),
                    "{what}: uniform params as constants change the trace"
                );
                assert_eq!(&s_spikes, spikes, "{what}: and the spikes");
            }

            // Uniform constant inputs compiled in too: the same bits as the general step
            // with the same inputs, in both kernel modes.
            if !program.layout.inputs.is_empty() {
                let mut general = config.clone();
                for (_, protocol) in &mut general.inputs {
                    // Neuron 0's value of `config` for every neuron.
                    *protocol = Protocol::Constant(amplitude * 0.8);
                }
                general.specialize_min_neuron_steps = u64::MAX;
                let mut constant = general.clone();
                constant.specialize_min_neuron_steps = 0;
                for kernel in [&blocked, jit] {
                    let (g_trace, g_spikes) = simulate(kernel, &general);
                    let (c_trace, c_spikes) = simulate(kernel, &constant);
                    assert_eq!(
                        bits(&c_trace.rows),
                        bits(&g_trace.rows),
                        "{what}: uniform inputs as constants change the trace"
                    );
                    assert_eq!(c_spikes, g_spikes, "{what}: and the spikes");
                }
            }
        }
    }
}
