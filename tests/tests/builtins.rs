//! Every built-in (and the internal φ) at special arguments through every path outside
//! the symbolic crate: the table's value function, the reference evaluator of
//! `ir::Model`, the codegen interpreter and the JIT's reference kernel. All must give the
//! same bits (any NaN matching any NaN): the maths is written once, in
//! `galvani_ir::builtins`, and every path must really use it. The blocked kernel gives the
//! same bits for every function but the six `galvani-vmath` computes (exp, expm1, φ,
//! exprel, log within 2 ulp of the table; pow within its bound, 2 + |y·ln|x||/50 ulp),
//! equal to it at ±0, ±∞ and NaN. The symbolic DAG's evaluator and constant folding are checked
//! against the same function at the same arguments inside that crate
//! (`crates/galvani-symbolic/src/tests/builtins.rs`), its DAG being private to it.
//!
//! The arguments are `builtins::special_arguments`: 0, −0, ±1, ±1e-8, large, ±∞, NaN,
//! both sides of the series switch of `exprel`/`φ`, and every documented edge of the
//! table; two-argument functions get every pair.

use galvani_codegen::{Interpreter, JitKernel, JitOptions};
use galvani_diag::Span;
use galvani_ir::builtins::{special_arguments, TABLE};
use galvani_ir::eval::{Evaluator, Values};
use galvani_ir::step::{Block, Func, Inst, Layout, Method, Reg, Slot, StepProgram, Target};
use galvani_ir::{Builtin, Dim, DisplayUnit, ExprArena, ExprKind, Model, ParamId};
use galvani_kernel::{Kernel, Population};

fn same_bits(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// `f(x, y, …)` through the reference evaluator: a model whose only expression is the
/// call on params.
fn through_ir_evaluator(builtin: Builtin, lists: &[Vec<f64>]) -> Vec<f64> {
    let mut exprs = ExprArena::default();
    let args: Vec<_> = (0..builtin.arity())
        .map(|i| {
            exprs.add(
                ExprKind::Param(ParamId(i as u32)),
                Span::default(),
                Dim::NONE,
            )
        })
        .collect();
    let call = exprs.add(ExprKind::Call(builtin, args), Span::default(), Dim::NONE);
    let model = Model {
        name: "builtin".into(),
        description: None,
        dimensionless: true,
        exprs,
        params: vec![],
        inputs: vec![],
        states: vec![],
        intermediates: vec![],
        events: vec![],
        init_order: vec![],
        noises: vec![],
    };
    let mut evaluator = Evaluator::new(&model);
    lists
        .iter()
        .map(|params| {
            evaluator.eval(
                call,
                &Values {
                    params,
                    inputs: &[],
                    states: &[],
                    intermediates: &[],
                    t: 0.0,
                },
            )
        })
        .collect()
}

/// A program with one param per argument and one state: the step sets the state to
/// `f(params…)`, one neuron per argument list.
fn program_of(func: Func) -> StepProgram {
    let slot = |name: String| Slot {
        name,
        unit: DisplayUnit {
            text: String::new(),
            dim: Dim::NONE,
            scale: 1.0,
        },
    };
    let arity = func.arity() as u32;
    // Registers 0..arity load the params, register `arity` is the call.
    let mut insts: Vec<Inst> = (0..arity).map(Inst::Param).collect();
    insts.push(Inst::Call(func, (0..arity).map(Reg).collect()));
    StepProgram {
        model: func.name().to_string(),
        method: Method::Euler,
        layout: Layout {
            states: vec![slot("y".into())],
            params: (0..arity).map(|i| slot(format!("x{i}"))).collect(),
            inputs: vec![],
            intermediates: vec![],
        },
        params: Block::default(),
        propagator: None,
        input_defaults: Block::default(),
        init: Block::default(),
        step: Block {
            insts,
            outputs: vec![(Target::State(0), Reg(arity))],
        },
        intermediates: Block::default(),
        events: vec![],
    }
}

fn through_kernel(kernel: &dyn Kernel, lists: &[Vec<f64>]) -> Vec<f64> {
    let mut population = Population::new(kernel.program(), lists.len());
    for (neuron, args) in lists.iter().enumerate() {
        for (i, &x) in args.iter().enumerate() {
            population.param_mut(i)[neuron] = x;
        }
    }
    kernel
        .step(&mut population, 0.0, 0.1)
        .unwrap_or_else(|e| panic!("{}: the step fails: {e}", kernel.program().model));
    population.state(0).to_vec()
}

fn assert_same(func: Func, path: &str, lists: &[Vec<f64>], expected: &[f64], got: &[f64]) {
    assert_eq!(got.len(), expected.len(), "{} through {path}", func.name());
    for ((args, &e), &g) in lists.iter().zip(expected).zip(got) {
        assert!(
            same_bits(e, g),
            "{}{args:?}: the table gives {e:e} ({:#018x}), {path} gives {g:e} ({:#018x})",
            func.name(),
            e.to_bits(),
            g.to_bits()
        );
    }
}

#[test]
fn every_builtin_agrees_bit_for_bit_on_every_path() {
    assert_eq!(TABLE.len(), Func::ALL.len());
    for func in Func::ALL {
        let lists = special_arguments(func);
        let table: Vec<f64> = lists.iter().map(|args| func.eval(args)).collect();

        // φ is internal to step programs: no model can call it.
        if let Func::Builtin(builtin) = func {
            let ir = through_ir_evaluator(builtin, &lists);
            assert_same(func, "ir's evaluator", &lists, &table, &ir);
        }

        let program = program_of(func);
        let interpreter = Interpreter::new(&program).expect("the program is valid");
        let interpreted = through_kernel(&interpreter, &lists);
        assert_same(func, "the interpreter", &lists, &table, &interpreted);

        let jit = JitKernel::compile_with(&program, JitOptions::reference(), None)
            .expect("the program compiles");
        let compiled = through_kernel(&jit, &lists);
        assert_same(func, "the JIT", &lists, &table, &compiled);

        let blocked = JitKernel::compile(&program).expect("the program compiles");
        let compiled = through_kernel(&blocked, &lists);
        let vector = matches!(
            func,
            Func::Phi
                | Func::Builtin(
                    Builtin::Exp | Builtin::Expm1 | Builtin::Exprel | Builtin::Log | Builtin::Pow
                )
        );
        if vector {
            for ((args, &e), &g) in lists.iter().zip(&table).zip(&compiled) {
                let special = e.is_nan() || e.is_infinite() || e == 0.0;
                // pow's documented bound grows with the size of the exponent y·ln|x|
                // (`galvani_vmath::lane::pow`): 2 + |y·ln|x||/50 ulp.
                let bound = match args.as_slice() {
                    [x, y] => {
                        let size = (y * x.abs().ln()).abs();
                        2.0 + if size.is_finite() { size / 50.0 } else { 0.0 }
                    }
                    _ => 2.0,
                };
                assert!(
                    if special {
                        same_bits(e, g)
                    } else {
                        ulps(e, g) as f64 <= bound
                    },
                    "{}{args:?}: the table gives {e:e}, the blocked JIT {g:e}",
                    func.name()
                );
            }
        } else {
            assert_same(func, "the blocked JIT", &lists, &table, &compiled);
        }
    }
}

/// Representable doubles between two finite values of the same sign.
fn ulps(a: f64, b: f64) -> u64 {
    if a.signum() != b.signum() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}
