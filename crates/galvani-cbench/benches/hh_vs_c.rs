//! `cargo bench -p galvani-cbench`: ns per neuron-step of HH exponential Euler,
//! second-order Rush–Larsen, forward Euler and RK4 (N = 10,000,
//! dt = 0.025 ms, 100 ms, constant 10 uA/cm² drive) in the hand-written C reference
//! (-O3 -march=native -ffast-math) and in galvani — blocked and reference kernels, the
//! whole runtime loop (events, NaN check) included; the blocked kernel with and without its
//! uniform params compiled in as constants — alternated round by round, medians of five
//! rounds, and galvani's ratio to C. The C loop counts spikes but runs no other pass.

use galvani_cbench::{CMethod, HhPopulation};
use galvani_codegen::{JitKernel, JitOptions};
use galvani_ir::step::Method;
use galvani_runtime::{Discard, Protocol, RunConfig, SpikeList};
use std::time::{Duration, Instant};

const N: usize = 10_000;
const DT: f64 = 0.025;
const STEPS: usize = 4000;
const ROUNDS: usize = 5;
const DRIVE: f64 = 10.0;

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_nanos() as f64 / (N * STEPS) as f64
}

fn main() {
    bench(Method::Euler, CMethod::Euler);
    bench(Method::Rk4, CMethod::Rk4);
    bench(Method::ExpEuler, CMethod::ExpEuler);
    bench(Method::ExpEuler2, CMethod::ExpEuler2);
}

fn bench(method: Method, c_method: CMethod) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/hh.gal");
    let mut sources = galvani_driver::Sources::new();
    let file = sources.load(&path).expect("models/hh.gal reads");
    let (_, program) = galvani_driver::compile(&sources, file, method).expect("hh compiles");
    let blocked = JitKernel::compile(&program).expect("JIT compiles");
    let reference =
        JitKernel::compile_with(&program, JitOptions::reference(), None).expect("JIT compiles");
    let mut config = RunConfig::new(STEPS as f64 * DT, DT, N);
    config.inputs.push((0, Protocol::Constant(DRIVE)));

    let mut general = config.clone();
    general.specialize_min_neuron_steps = u64::MAX;

    let galvani = |kernel: &JitKernel, config: &RunConfig| {
        let mut spikes = SpikeList::default();
        let started = Instant::now();
        galvani_runtime::run(kernel, config, &mut Discard, &mut spikes, None).expect("runs");
        started.elapsed()
    };
    let mut times: [Vec<Duration>; 4] = Default::default();
    for _ in 0..ROUNDS {
        let mut c = HhPopulation::at_rest(N, |_| DRIVE);
        let started = Instant::now();
        c.run(c_method, STEPS, DT);
        times[0].push(started.elapsed());
        times[1].push(galvani(&blocked, &config));
        times[2].push(galvani(&blocked, &general));
        times[3].push(galvani(&reference, &config));
    }
    let [c, b, g, r] = times.map(median);
    println!(
        "HH {}, N = {N}, dt = {DT} ms, {STEPS} steps, medians of {ROUNDS} alternated rounds",
        method.name()
    );
    println!("  C (-O3 -march=native -ffast-math)  {c:>7.1} ns/neuron-step");
    println!(
        "  galvani, blocked kernel            {b:>7.1} ns/neuron-step   {:.2}× C",
        b / c
    );
    println!(
        "    params loaded, not constants     {g:>7.1} ns/neuron-step   {:.2}× C",
        g / c
    );
    println!(
        "  galvani, reference kernel          {r:>7.1} ns/neuron-step   {:.2}× C",
        r / c
    );
}
