//! The symbolic paths of every built-in (and φ) at the table's special arguments: the
//! DAG's evaluator and constant folding must give the bits of the table's value function
//! (`tests/tests/builtins.rs` checks the other paths against the same function).

use crate::dag::{Dag, Node, Sym, SymDims};
use galvani_ir::builtins::special_arguments;
use galvani_ir::step::Func;
use galvani_ir::{Builtin, Dim};

fn same_bits(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn dag_with_params(count: usize) -> Dag {
    Dag::new(SymDims {
        params: vec![Dim::NONE; count],
        inputs: vec![],
        states: vec![],
        time: Dim::NONE,
    })
}

#[test]
fn dag_evaluation_gives_the_table_bits() {
    for func in Func::ALL {
        let mut dag = dag_with_params(func.arity());
        let args: Vec<_> = (0..func.arity() as u32)
            .map(|i| dag.sym(Sym::Param(i)))
            .collect();
        // `pow(…)` is the DAG's power node, which is what a call of `pow` becomes.
        let call = match (func, args.as_slice()) {
            (Func::Builtin(Builtin::Pow), &[base, exponent]) => {
                dag.intern(Node::Pow(base, exponent))
            }
            _ => dag.intern(Node::Call(func, args)),
        };
        for values in special_arguments(func) {
            let expected = func.eval(&values);
            let got = dag.eval(call, &|sym| match sym {
                Sym::Param(i) => values[i as usize],
                _ => f64::NAN,
            });
            assert!(
                same_bits(got, expected),
                "{}{values:?}: the table gives {expected:e}, the DAG {got:e}",
                func.name()
            );
        }
    }
}

/// Folding sees constants as the DAG stores them (−0 is 0) and folds only finite values
/// (storing a −0 result as 0 too); anything else stays a call.
#[test]
fn constant_folding_gives_the_table_bits() {
    let stored = |x: f64| if x == 0.0 { 0.0 } else { x };
    for func in Func::ALL {
        for values in special_arguments(func) {
            let values: Vec<f64> = values.into_iter().map(stored).collect();
            let expected = func.eval(&values);
            let mut dag = dag_with_params(0);
            let constants = values.iter().map(|&c| dag.constant(c, Dim::NONE)).collect();
            let result = dag.call(func, constants);
            match dag.const_value(result) {
                Some(folded) => assert!(
                    same_bits(folded, stored(expected)),
                    "{}{values:?}: the table gives {expected:e}, folding {folded:e}",
                    func.name()
                ),
                None => assert!(
                    !expected.is_finite(),
                    "{}{values:?} = {expected:e} is finite but was not folded",
                    func.name()
                ),
            }
        }
    }
}
