//! Every built-in (and the internal φ) at special arguments through every path that
//! evaluates it: the table's value function, the reference evaluator of `ir::Model`, the
//! symbolic DAG (its evaluator and its constant folding), the codegen interpreter and the
//! JIT. All must give the same bits (any NaN matching any NaN): the maths is written once,
//! in `galvani_ir::builtins`, and every path must really use it.
//!
//! Arguments: 0, −0, ±1, ±1e-8, large (±710 where `exp` overflows, ±1e300, ±f64::MAX),
//! ±∞, NaN, both sides of the series switch of `exprel`/`φ`, and every documented edge
//! of the table; two-argument functions get every pair.

use galvani_codegen::builder::{BlockBuilder, ProgramBuilder};
use galvani_codegen::{Interpreter, JitKernel, Kernel, Population};
use galvani_diag::Span;
use galvani_ir::builtins::{self, TABLE};
use galvani_ir::eval::{Evaluator, Values};
use galvani_ir::step::{Func, Inst, Method, StepProgram, Target};
use galvani_ir::{Builtin, Dim, ExprArena, ExprKind, Model, ParamId};
use galvani_symbolic::dag::{Dag, Node, Sym, SymDims};

fn same_bits(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// The next larger and smaller `f64` of a positive finite `x`.
fn neighbours(x: f64) -> [f64; 2] {
    [
        f64::from_bits(x.to_bits() + 1),
        f64::from_bits(x.to_bits() - 1),
    ]
}

fn special_values() -> Vec<f64> {
    let switch = builtins::SERIES_BELOW;
    let mut positive = vec![1.0, 1e-8, 710.0, 1e300, f64::MAX, f64::INFINITY, switch];
    positive.extend(neighbours(switch));
    let mut values = vec![0.0, -0.0, f64::NAN];
    for x in positive {
        values.push(x);
        values.push(-x);
    }
    values
}

/// Every argument list `func` is tested at: all special values (all pairs for two
/// arguments), then the table's documented edges.
fn argument_lists(func: Func) -> Vec<Vec<f64>> {
    let values = special_values();
    let mut lists: Vec<Vec<f64>> = match func.arity() {
        1 => values.iter().map(|&x| vec![x]).collect(),
        2 => values
            .iter()
            .flat_map(|&x| values.iter().map(move |&y| vec![x, y]))
            .collect(),
        n => panic!("{}: no test arguments for arity {n}", func.name()),
    };
    lists.extend(func.spec().edges.iter().map(|e| e.args.to_vec()));
    lists
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

fn symbolic_dag(arity: usize) -> Dag {
    Dag::new(SymDims {
        params: vec![Dim::NONE; arity],
        inputs: vec![],
        states: vec![],
        time: Dim::NONE,
    })
}

/// `f(x, y, …)` through the DAG's evaluator, on a call of symbols (`pow` is the DAG's
/// power node, which is what `pow(…)` becomes there).
fn through_dag_evaluator(func: Func, lists: &[Vec<f64>]) -> Vec<f64> {
    let mut dag = symbolic_dag(func.arity());
    let args: Vec<_> = (0..func.arity() as u32)
        .map(|i| dag.sym(Sym::Param(i)))
        .collect();
    let call = match (func, args.as_slice()) {
        (Func::Builtin(Builtin::Pow), &[base, exponent]) => dag.intern(Node::Pow(base, exponent)),
        _ => dag.intern(Node::Call(func, args)),
    };
    lists
        .iter()
        .map(|values| {
            dag.eval(call, &|sym| match sym {
                Sym::Param(i) => values[i as usize],
                _ => f64::NAN,
            })
        })
        .collect()
}

/// `f(c₁, c₂, …)` built from constants through the simplifying constructors: `Some(value)`
/// when it folded to a constant.
fn through_constant_folding(func: Func, args: &[f64]) -> Option<f64> {
    let mut dag = symbolic_dag(0);
    let constants: Vec<_> = args.iter().map(|&c| dag.constant(c, Dim::NONE)).collect();
    let result = dag.call(func, constants);
    dag.const_value(result)
}

/// A program with one param per argument and one state: the step sets the state to
/// `f(params…)`, one neuron per argument list.
fn program_of(func: Func) -> StepProgram {
    let mut builder = ProgramBuilder::new(func.name())
        .method(Method::Euler)
        .state("y", "");
    for i in 0..func.arity() {
        builder = builder.param(&format!("x{i}"), "");
    }
    let mut program = builder.build();
    let mut step = BlockBuilder::new();
    let args: Vec<_> = (0..func.arity() as u32).map(|i| step.param(i)).collect();
    let value = step.push(Inst::Call(func, args));
    step.output(Target::State(0), value);
    program.step = step.finish();
    program
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
        let lists = argument_lists(func);
        let table: Vec<f64> = lists.iter().map(|args| func.eval(args)).collect();

        // φ is internal to step programs: no model can call it.
        if let Func::Builtin(builtin) = func {
            let ir = through_ir_evaluator(builtin, &lists);
            assert_same(func, "ir's evaluator", &lists, &table, &ir);
        }

        let dag = through_dag_evaluator(func, &lists);
        assert_same(func, "the DAG's evaluator", &lists, &table, &dag);

        // Folding sees constants as the DAG stores them (−0 is 0) and folds only finite
        // values (its result −0 is stored as 0 too); anything else stays a call.
        for args in &lists {
            let stored: Vec<f64> = args
                .iter()
                .map(|&c| if c == 0.0 { 0.0 } else { c })
                .collect();
            let expected = func.eval(&stored);
            match through_constant_folding(func, &stored) {
                Some(folded) => {
                    let expected = if expected == 0.0 { 0.0 } else { expected };
                    assert!(
                        same_bits(folded, expected),
                        "{}{stored:?}: the table gives {expected:e}, folding {folded:e}",
                        func.name()
                    );
                }
                None => assert!(
                    !expected.is_finite(),
                    "{}{stored:?} = {expected:e} is finite but was not folded",
                    func.name()
                ),
            }
        }

        let program = program_of(func);
        let interpreter = Interpreter::new(&program).expect("the program is valid");
        let interpreted = through_kernel(&interpreter, &lists);
        assert_same(func, "the interpreter", &lists, &table, &interpreted);

        let jit = JitKernel::compile(&program).expect("the program compiles");
        let compiled = through_kernel(&jit, &lists);
        assert_same(func, "the JIT", &lists, &table, &compiled);
    }
}
