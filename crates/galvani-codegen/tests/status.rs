//! The block status a blocked step writes (`galvani_kernel::BlockStatus`): per block of
//! 64 neurons, NaN exactly when a new state of the block is ±∞ or NaN, and per fused
//! event the number of neurons whose condition holds — checked against the population the
//! same step leaves, on 2½ blocks, with a blow-up planted in one block.

use galvani_codegen::{examples, JitKernel, JitOptions};
use galvani_ir::step::Method;
use galvani_kernel::{BlockArgs, BlockKind, BlockStatus, EventArray, Kernel, Population, BLOCK};

#[test]
fn the_blocked_step_writes_each_blocks_status() {
    let program = examples::lif(Method::ExpEuler).expect("lif");
    let kernel = JitKernel::compile(&program).expect("compiles");
    assert!(kernel.step_writes_status() && kernel.step_writes_condition(0));
    let reference =
        JitKernel::compile_with(&program, JitOptions::reference(), None).expect("compiles");
    assert!(!reference.step_writes_status());

    // Two whole blocks and half of a third (whose last lane pairs are not computed).
    let n = 2 * BLOCK + BLOCK / 2;
    let mut pop = Population::new(&program, n);
    kernel.eval_declared(&mut pop).unwrap();
    // Neurons 0..40 start far above threshold (their condition holds after the step),
    // neuron 100 at +∞ (block 1 blows up).
    for (i, v) in pop.state_mut(0).iter_mut().enumerate() {
        if i < 40 {
            *v = 100.0;
        }
        if i == 100 {
            *v = f64::INFINITY;
        }
    }
    pop.fill_padding();
    kernel
        .run_block(BlockKind::Step, &mut pop, &BlockArgs::at(0.0, 0.1))
        .unwrap();

    let nonfinite: Vec<f64> = pop.block_status(BlockStatus::NONFINITE).collect();
    let fired: Vec<f64> = pop.block_status(BlockStatus::fired(0)).collect();
    assert_eq!(nonfinite.len(), 3);
    let condition = pop.event(0, EventArray::Condition);
    for block in 0..3 {
        let neurons = block * BLOCK..((block + 1) * BLOCK).min(n);
        let bad = neurons.clone().any(|i| !pop.state(0)[i].is_finite());
        assert_eq!(nonfinite[block].is_nan(), bad, "block {block}");
        if !bad {
            assert_eq!(nonfinite[block], 0.0, "block {block}");
        }
        let holding = neurons.clone().filter(|&i| condition[i] != 0.0).count();
        // The third block's last computed pair holds neuron n − 1 and, past it, nothing
        // (n is even): its sum counts exactly its neurons.
        assert_eq!(fired[block], holding as f64, "block {block}");
    }
    assert!(nonfinite[1].is_nan() && nonfinite[0] == 0.0 && nonfinite[2] == 0.0);
    assert_eq!(fired[0], 40.0);
}
