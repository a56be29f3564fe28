//! Compile work as models grow, counted rather than timed (`galvani bench --scaling` times
//! it): generated models of every family (`galvani::scaling`) give JIT functions of
//! bounded size whose number grows linearly, event blocks that do not grow with the number
//! of states, and large blocks split into helper functions compute exactly what one
//! function computes.

use galvani::scaling::{generate, Family};
use galvani_codegen::{Interpreter, JitKernel, JitOptions, MAX_CHUNK_OPS};
use galvani_driver::{self as driver, Sources};
use galvani_ir::step::{Method, StepProgram};
use galvani_kernel::Kernel;
use galvani_runtime::{Recorded, RunConfig, SpikeList, Trace, Values};

fn program(family: Family, n: usize, method: Method) -> StepProgram {
    let mut sources = Sources::new();
    let file = sources.add(format!("{}.gal", family.name()), generate(family, n));
    match driver::compile(&sources, file, method) {
        Ok((_, program)) => program,
        Err(d) => panic!(
            "{} × {n} does not compile: {}",
            family.name(),
            galvani_tests::render_all(&sources, d.iter())
        ),
    }
}

const NEURONS: usize = 2;
const STEPS: usize = 200;

fn simulate(kernel: &dyn Kernel) -> (Trace, SpikeList) {
    let program = kernel.program();
    let dt = 0.1;
    let mut config = RunConfig::new(STEPS as f64 * dt, dt, NEURONS);
    config.record = (0..program.layout.states.len())
        .map(Recorded::State)
        .chain((0..program.layout.intermediates.len()).map(Recorded::Intermediate))
        .collect();
    // An overridden first param exercises the override masks of the params block.
    if !program.layout.params.is_empty() {
        config.params.push((0, Values::PerNeuron(vec![9.0, 11.0])));
    }
    let mut trace = Trace::default();
    let mut spikes = SpikeList::default();
    galvani_runtime::run(kernel, &config, &mut trace, &mut spikes, None)
        .unwrap_or_else(|e| panic!("{}: the run fails: {e}", program.model));
    (trace, spikes)
}

/// Every family and method, with blocks split into chunks of 40 operations: the same
/// bits as one function per block, and the interpreter's values to 1e-12.
#[test]
fn split_blocks_compute_what_one_function_computes() {
    for family in Family::ALL {
        for method in Method::GENERAL {
            let program = program(family, 60, method);
            let what = format!("{} {method:?}", family.name());
            // The scalar reference kernel: a blocked step is never split (one too large for
            // a function keeps the scalar lowering, which these options split).
            let split = JitKernel::compile_with(
                &program,
                JitOptions {
                    max_chunk_ops: 40,
                    ..JitOptions::reference()
                },
                None,
            )
            .expect("compiles split");
            let whole = JitKernel::compile_with(
                &program,
                JitOptions {
                    max_chunk_ops: usize::MAX,
                    ..JitOptions::reference()
                },
                None,
            )
            .expect("compiles whole");
            assert!(
                split.function_stats().functions > whole.function_stats().functions,
                "{what}: some block is split"
            );
            let interpreter = Interpreter::new(&program).expect("interprets");
            let (a, a_spikes) = simulate(&split);
            let (b, b_spikes) = simulate(&whole);
            let (c, c_spikes) = simulate(&interpreter);
            assert_eq!(a.rows.len(), STEPS + 1);
            for (r, (row_a, row_b)) in a.rows.iter().zip(&b.rows).enumerate() {
                let bits = |row: &Vec<f64>| row.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(row_a), bits(row_b), "{what}: row {r} differs");
            }
            for (row_a, row_c) in a.rows.iter().zip(&c.rows) {
                for (&x, &y) in row_a.iter().zip(row_c) {
                    assert!(
                        x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                        "{what}: JIT {x} vs interpreter {y}"
                    );
                }
            }
            assert_eq!(a_spikes, b_spikes, "{what}: spikes");
            assert_eq!(a_spikes, c_spikes, "{what}: spikes (interpreter)");
        }
    }
}

/// Cranelift is given functions of bounded size, and three times the model makes about
/// three times the functions and instructions.
#[test]
fn jit_functions_are_bounded_and_grow_linearly() {
    // One operation or store lowers to at most about ten instructions (a store of an
    // overridable value: its address, the old value, the flag, a select and the store)
    // plus its share of the scratch traffic.
    let bound = 12 * MAX_CHUNK_OPS;
    for family in Family::ALL {
        let stats = |n: usize| {
            JitKernel::compile(&program(family, n, Method::ExpEuler2))
                .expect("compiles")
                .function_stats()
        };
        let (small, large) = (stats(700), stats(2100));
        for s in [small, large] {
            assert!(
                s.max_instructions <= bound,
                "{}: a function of {} instructions",
                family.name(),
                s.max_instructions
            );
        }
        let ratio = |a: usize, b: usize| b as f64 / a as f64;
        assert!(
            ratio(small.functions, large.functions) <= 3.5,
            "{}: functions {} → {}",
            family.name(),
            small.functions,
            large.functions
        );
        assert!(
            ratio(small.instructions, large.instructions) <= 3.5,
            "{}: instructions {} → {}",
            family.name(),
            small.instructions,
            large.instructions
        );
    }
}

/// An event block holds what its condition and actions read, not a load of every state:
/// `n` events over `n` states make a program linear in `n`.
#[test]
fn event_blocks_do_not_grow_with_the_states() {
    let size = |n: usize| {
        let p = program(Family::Events, n, Method::ExpEuler2);
        p.events
            .iter()
            .map(|e| e.condition.insts.len() + e.actions.insts.len())
            .max()
            .unwrap_or(0)
    };
    assert_eq!(size(10), size(400));
}
