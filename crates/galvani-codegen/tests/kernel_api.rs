//! The safe kernel API: overrides in the sequential blocks (params, init), and the checks
//! every call makes before running code.

use galvani_codegen::builder::{BlockBuilder, ProgramBuilder};
use galvani_codegen::{examples, Interpreter, JitKernel};
use galvani_ir::step::{Method, StepProgram, Target};
use galvani_kernel::{BlockArgs, BlockKind, Kernel, KernelError, Population};

fn kernels(p: &StepProgram) -> Vec<Box<dyn Kernel>> {
    vec![
        Box::new(JitKernel::compile(p).unwrap()),
        Box::new(Interpreter::new(p).unwrap()),
    ]
}

/// `param a = 3`, `param b = 2·a`.
fn derived_params() -> StepProgram {
    let mut p = ProgramBuilder::new("derived")
        .param("a", "")
        .param("b", "")
        .build();
    let mut b = BlockBuilder::new();
    let three = b.konst(3.0);
    b.output(Target::Param(0), three);
    let a = b.param(0);
    let twice = b.scale(2.0, a);
    b.output(Target::Param(1), twice);
    p.params = b.finish();
    p
}

#[test]
fn derived_params_follow_overrides() {
    for kernel in kernels(&derived_params()) {
        let mut pop = Population::new(kernel.program(), 2);
        kernel.eval_params(&mut pop, &[false, false]).unwrap();
        assert_eq!(pop.param(0), &[3.0, 3.0]);
        assert_eq!(pop.param(1), &[6.0, 6.0]);

        // --set a=5,7 per neuron: b follows.
        pop.param_mut(0).copy_from_slice(&[5.0, 7.0]);
        kernel.eval_params(&mut pop, &[true, false]).unwrap();
        assert_eq!(pop.param(0), &[5.0, 7.0]);
        assert_eq!(pop.param(1), &[10.0, 14.0]);

        // --set b=1: a keeps its declared value, b the override.
        pop.param_mut(1).copy_from_slice(&[1.0, 1.0]);
        kernel.eval_params(&mut pop, &[false, true]).unwrap();
        assert_eq!(pop.param(0), &[3.0, 3.0]);
        assert_eq!(pop.param(1), &[1.0, 1.0]);
    }
}

#[test]
fn gates_start_at_steady_state_of_overridden_voltage() {
    let p = examples::hh(Method::ExpEuler).unwrap();
    for kernel in kernels(&p) {
        let mut pop = Population::new(&p, 2);
        kernel.eval_params(&mut pop, &[false; 7]).unwrap();
        kernel.eval_input_defaults(&mut pop).unwrap();
        kernel.eval_init(&mut pop, &[false; 4]).unwrap();
        assert_eq!(pop.state(0), &[-65.0, -65.0]);
        // The reference's m∞(−65 mV).
        assert!((pop.state(1)[0] - 0.052932485257).abs() < 1e-11);
        let m_default = pop.state(1)[0];
        pop.state_mut(0).copy_from_slice(&[-65.0, -40.0]);
        kernel
            .eval_init(&mut pop, &[true, false, false, false])
            .unwrap();
        assert_eq!(pop.state(0), &[-65.0, -40.0]);
        assert_eq!(pop.state(1)[0], m_default);
        // m∞(−40) = α/(α+β) with α = exprel(0) = 1, β = 4·e^{−25/18}.
        let beta = 4.0 * (-25.0f64 / 18.0).exp();
        assert!((pop.state(1)[1] - 1.0 / (1.0 + beta)).abs() < 1e-15);
    }
}

#[test]
fn calls_that_do_not_fit_are_rejected() {
    let p = examples::lif(Method::Euler).unwrap();
    let other = examples::hh(Method::Euler).unwrap();
    for kernel in kernels(&p) {
        let mut wrong = Population::new(&other, 3);
        assert!(matches!(
            kernel.step(&mut wrong, 0.0, 0.1),
            Err(KernelError::PopulationShape { .. })
        ));
        let mut pop = Population::new(&p, 3);
        assert_eq!(
            kernel.eval_params(&mut pop, &[false; 5]),
            Err(KernelError::MaskLength {
                block: BlockKind::Params,
                expected: 6,
                found: 5
            })
        );
        assert_eq!(
            kernel.apply_actions(0, &mut pop, &[0, 3], 0.0, 0.1),
            Err(KernelError::NeuronOutOfRange { neuron: 3, n: 3 })
        );
        assert_eq!(
            kernel.eval_condition(1, &mut pop, 0.0, 0.1),
            Err(KernelError::NoSuchBlock {
                block: BlockKind::Condition(1)
            })
        );
        assert!(kernel
            .run_block(BlockKind::Step, &mut pop, &BlockArgs::at(0.0, 0.1))
            .is_ok());
    }
}

#[test]
fn empty_population_is_fine() {
    let p = examples::hh(Method::Rk4).unwrap();
    for kernel in kernels(&p) {
        let mut pop = Population::new(&p, 0);
        kernel.step(&mut pop, 0.0, 0.1).unwrap();
        kernel.apply_actions(0, &mut pop, &[], 0.0, 0.1).unwrap();
    }
}

#[test]
fn many_compilations_free_their_code() {
    // 200 kernels: with leaked JIT memory this still passes, but it exercises drop and
    // free_memory on every one (a crash or a fault here is a use-after-free).
    let p = examples::lif(Method::ExpEuler).unwrap();
    for _ in 0..200 {
        let kernel = JitKernel::compile(&p).unwrap();
        let mut pop = Population::new(&p, 1);
        kernel.eval_params(&mut pop, &[false; 6]).unwrap();
        kernel.step(&mut pop, 0.0, 0.1).unwrap();
    }
}

#[test]
fn clif_text_is_deterministic_and_names_blocks() {
    let p = examples::hh(Method::ExpEuler).unwrap();
    let a = galvani_codegen::clif_text(&p).unwrap();
    let b = galvani_codegen::clif_text(&p).unwrap();
    assert_eq!(a, b);
    for block in BlockKind::all(&p) {
        assert!(a.contains(&format!("; galvani hh expeuler: {}\n", block.name())));
    }
    assert!(a.contains("call fn"), "exp/exprel/phi are calls");
    // x^3, x^4 are multiplications, not pow calls: pow is never imported.
    assert!(!a.contains("u0:7 "), "pow imported:\n{a}");
}
