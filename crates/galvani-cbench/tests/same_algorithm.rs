//! The C reference is the algorithm galvani runs for `models/hh.gal` under each method
//! (`expeuler`, `expeuler2`, `euler`, `rk4`): the same initial state, the same spikes and the same final state (to 1e-9
//! mV and 1e-11 in the gates: the C is compiled with -ffast-math, which may reassociate,
//! so not bit for bit) under four constant drives over 100 ms at dt = 0.025 ms.

use galvani_cbench::{CMethod, HhPopulation};
use galvani_codegen::{JitKernel, JitOptions};
use galvani_ir::step::Method;
use galvani_runtime::{Protocol, Recorded, RunConfig, SpikeList, Trace};

#[test]
fn the_c_steps_are_galvanis_methods() {
    for (method, c_method) in [
        (Method::ExpEuler, CMethod::ExpEuler),
        (Method::ExpEuler2, CMethod::ExpEuler2),
        (Method::Euler, CMethod::Euler),
        (Method::Rk4, CMethod::Rk4),
    ] {
        same_algorithm(method, c_method);
    }
}

fn same_algorithm(method: Method, c_method: CMethod) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/hh.gal");
    let mut sources = galvani_driver::Sources::new();
    let file = sources.load(&path).expect("models/hh.gal reads");
    let (_, program) = galvani_driver::compile(&sources, file, method).expect("hh compiles");
    let kernel =
        JitKernel::compile_with(&program, JitOptions::reference(), None).expect("JIT compiles");
    let inputs = [0.0, 5.0, 10.0, 20.0];
    let (dt, steps) = (0.025, 4000);

    let mut config = RunConfig::new(steps as f64 * dt, dt, inputs.len());
    config
        .inputs
        .push((0, Protocol::PerNeuron(inputs.to_vec())));
    config.record = (0..4).map(Recorded::State).collect();
    let mut trace = Trace::default();
    let mut spikes = SpikeList::default();
    let summary =
        galvani_runtime::run(&kernel, &config, &mut trace, &mut spikes, None).expect("runs");

    let mut c = HhPopulation::at_rest(inputs.len(), |i| inputs[i]);
    let first = &trace.rows[0];
    let c_first: Vec<f64> = [&c.v, &c.m, &c.h, &c.n]
        .iter()
        .flat_map(|a| a.to_vec())
        .collect();
    for (g, x) in first.iter().zip(&c_first) {
        assert!(
            (g - x).abs() <= 1e-15,
            "initial state: galvani {g} vs C {x}"
        );
    }
    c.run(c_method, steps, dt);
    assert_eq!(c.spikes, summary.spike_counts, "{method:?}: spike counts");
    assert!(c.spikes[3] > 0, "the strongest drive makes the neuron fire");
    let last = trace.rows.last().expect("rows");
    let c_last: Vec<f64> = [&c.v, &c.m, &c.h, &c.n]
        .iter()
        .flat_map(|a| a.to_vec())
        .collect();
    for (k, (g, x)) in last.iter().zip(&c_last).enumerate() {
        let tolerance = if k < inputs.len() { 1e-9 } else { 1e-11 };
        assert!(
            (g - x).abs() <= tolerance,
            "{method:?}: final state, column {k}: galvani {g} vs C {x}"
        );
    }
}
