//! Measures JIT compile time and simulation speed (ns per neuron-step) of the hand-built
//! Hodgkin–Huxley programs. Run with
//! `cargo run --release -p galvani-runtime --example throughput`.

use galvani_codegen::{examples, Interpreter, JitKernel};
use galvani_ir::step::Method;
use galvani_kernel::{Kernel, Population};
use galvani_runtime::{run, Discard, Protocol, RunConfig};
use std::time::Instant;

fn ns_per_neuron_step(kernel: &dyn Kernel, n: usize, steps: usize) -> f64 {
    let program = kernel.program();
    let mut pop = Population::new(program, n);
    kernel.eval_declared(&mut pop).unwrap();
    pop.input_mut(0).fill(5.0);
    let started = Instant::now();
    for k in 0..steps {
        kernel.step(&mut pop, k as f64 * 0.025, 0.025).unwrap();
    }
    started.elapsed().as_nanos() as f64 / (n * steps) as f64
}

fn main() {
    for method in [Method::Euler, Method::ExpEuler, Method::Rk4] {
        let program = examples::hh(method).unwrap();
        // Median of 11 compilations.
        let mut times: Vec<f64> = (0..11)
            .map(|_| {
                JitKernel::compile(&program)
                    .unwrap()
                    .compile_time()
                    .as_secs_f64()
                    * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let jit = JitKernel::compile(&program).unwrap();
        let interp = Interpreter::new(&program).unwrap();
        let step_only = ns_per_neuron_step(&jit, 10_000, 400);
        let interp_step = ns_per_neuron_step(&interp, 10_000, 40);

        let mut config = RunConfig::new(10.0, 0.025, 10_000);
        config.inputs = vec![(
            0,
            Protocol::Step {
                t0: 2.0,
                t1: 8.0,
                amp: 10.0,
            },
        )];
        let summary = run(&jit, &config, &mut Discard, &mut Discard, None).unwrap();
        let full = summary.simulate_time.as_nanos() as f64 / (10_000.0 * summary.steps as f64);
        println!(
            "hh {:9} compile {:.2} ms ({} CLIF insts) | step {:.1} ns/neuron-step (interpreter {:.0}) | full run loop {:.1}",
            method.name(),
            times[5],
            jit.clif_instructions(),
            step_only,
            interp_step,
            full
        );
    }
}
