//! Generated models checked against an independent evaluator (issue 9's adversarial
//! family): a random `dy/dt` over a state, two params and `t` goes through the whole
//! pipeline (parse → check → linearize → discretize → JIT → runtime) with forward Euler,
//! and one step must be `y0 + dt·f(y0)` with `f` computed by the IR reference evaluator
//! (`galvani_ir::eval`) on the expression as written — or, where that is NaN or ±∞, the
//! run must stop with an error instead of producing a number.

use galvani_codegen::JitKernel;
use galvani_driver::{self as driver, Sources};
use galvani_ir::eval::{Evaluator, Values};
use galvani_ir::step::Method;
use galvani_runtime::{Recorded, RunConfig, SpikeList, Trace};
use proptest::prelude::*;

/// A random expression as model text (no comparisons: a branch decided by rounding would
/// make the simplified and the written form differ by a jump, not by rounding).
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("y".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just("t".to_string()),
        Just("0".to_string()),
        Just("1".to_string()),
        Just("2.5".to_string()),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} + {z})")),
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} - {z})")),
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} * {z})")),
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} / {z})")),
            (
                inner.clone(),
                prop_oneof![Just("2"), Just("3"), Just("(-1)"), Just("0.5")]
            )
                .prop_map(|(x, p)| format!("({x}^{p})")),
            (
                prop_oneof![
                    Just("exp"),
                    Just("tanh"),
                    Just("abs"),
                    Just("sqrt"),
                    Just("log"),
                    Just("exprel")
                ],
                inner.clone()
            )
                .prop_map(|(f, x)| format!("{f}({x})")),
            (prop_oneof![Just("min"), Just("max")], inner.clone(), inner)
                .prop_map(|(f, x, z)| format!("{f}({x}, {z})")),
        ]
    })
}

/// Whether evaluating `dy/dt` at `y0` (and t = 0) divides by ±0 somewhere.
fn divides_by_zero(model: &galvani_ir::Model, y0: f64) -> bool {
    use galvani_ir::{BinOp, ExprKind};
    let params = model.param_values();
    let values = Values {
        params: &params,
        inputs: &[],
        states: &[y0],
        intermediates: &[],
        t: 0.0,
    };
    let mut evaluator = Evaluator::new(model);
    let mut stack = vec![model.states[0].derivative];
    while let Some(id) = stack.pop() {
        let kind = model.exprs.kind(id);
        let zero_denominator = match kind {
            ExprKind::Binary(BinOp::Div, _, d) => evaluator.eval(*d, &values) == 0.0,
            ExprKind::Binary(BinOp::Pow, base, e) => {
                evaluator.eval(*base, &values) == 0.0 && evaluator.eval(*e, &values) < 0.0
            }
            _ => false,
        };
        if zero_denominator {
            return true;
        }
        galvani_ir::eval::for_each_child(kind, |c| stack.push(c));
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn one_euler_step_is_the_reference_evaluators(
        e in expression(),
        y0 in -2.0f64..2.0,
        a in 0.5f64..3.0,
        b in -3.0f64..-0.5,
    ) {
        let text = format!(
            "model generated\nparam a = {a:?}\nparam b = {b:?}\nstate y = {y0:?}\ndy/dt = {e}\n"
        );
        let mut sources = Sources::new();
        let file = sources.add("generated.gal", text.clone());
        let (checked, program) = match driver::compile(&sources, file, Method::Euler) {
            Ok(compiled) => compiled,
            // a generated model may be refused (too deep), never a bug
            Err(d) => {
                prop_assert!(!d.iter().any(|d| d.severity == galvani_diag::Severity::Bug), "{text}\n{d:?}");
                return Ok(());
            }
        };
        let model = &checked.model;
        let f = Evaluator::new(model).eval(
            model.states[0].derivative,
            &Values {
                params: &model.param_values(),
                inputs: &[],
                states: &[y0],
                intermediates: &[],
                t: 0.0,
            },
        );
        // Where a zero is divided by, the sign of the zero decides the sign of the
        // infinity, and the simplifier keeps values, not the signs of zeros (`(y − y)·b`
        // is −0 as written, 0 simplified): such cases are the IEEE suite's
        // (`galvani-symbolic` `tests/ieee.rs`), not this one's.
        prop_assume!(!divides_by_zero(model, y0));
        let dt = 0.125;
        let kernel = JitKernel::compile(&program).expect("JIT compiles");
        let mut config = RunConfig::new(dt, dt, 1);
        config.record = vec![Recorded::State(0)];
        let mut trace = Trace::default();
        let mut spikes = SpikeList::default();
        let result = galvani_runtime::run(&kernel, &config, &mut trace, &mut spikes, None);
        let expected = y0 + dt * f;
        if expected.is_finite() {
            prop_assert!(result.is_ok(), "{text}: f = {f}, but the run failed: {:?}", result.err());
            prop_assert_eq!(trace.rows.len(), 2, "the initial row and one step");
            let got = trace.rows[1][0];
            let tolerance = 1e-9 * (1.0 + expected.abs() + dt * f.abs());
            prop_assert!(
                (got - expected).abs() <= tolerance,
                "{text}: one step gives {got}, the reference evaluator {expected}"
            );
        } else {
            prop_assert!(result.is_err(), "{text}: f = {f}, but the run gave {:?}", trace.rows.last());
        }
    }
}
