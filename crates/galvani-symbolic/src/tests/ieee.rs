//! IEEE faithfulness of the simplifier: a model expression, simplified, gives what the
//! IR reference evaluator (`galvani_ir::eval`) gives for the expression as written —
//! NaN exactly where it is NaN, the same infinity where it is infinite, and the same
//! value up to rounding elsewhere — for every finite value of the symbols, adversarial
//! ones included (±0, ±1, tiny, huge, negative). Subexpressions may take any IEEE value
//! (`log(0) = −∞`, `0/0 = NaN`, `sqrt(−3) = NaN`), and that is what the rules must keep.

use super::model_from_source;
use crate::dag::{children_of, Dag, Node, NodeId};
use crate::lower::Lowerer;
use galvani_ir::eval::{Evaluator, Values};
use galvani_ir::{BinOp, Model};
use proptest::prelude::*;
use std::collections::HashMap;

/// The values each symbol (`y`, `a`, `b`, `t`) takes (params all but 0): zero, ±1, a tiny and a huge
/// magnitude, negative and fractional values. Not −0: the simplifier keeps values, not
/// the sign of a zero (`0 + a` is +0 at a = −0, `a` is −0, and constants store −0 as
/// +0), and a division turns that sign into the sign of an infinity that `min`, a
/// comparison or `0·x` can then turn into any value; the named cases below check −0
/// where it matters (`y/y` is NaN at ±0).
const ADVERSARIAL: [f64; 8] = [0.0, 1.0, -1.0, 1e-300, 1e300, -3.0, 0.5, -1e300];

/// A model whose `dy/dt` is `expression`, over the params `a`, `b`, the state `y` and `t`.
fn model_of(expression: &str) -> Model {
    model_from_source(&format!(
        "model m\nparam a = 1\nparam b = 2\nstate y = 0\ndy/dt = {expression}\n"
    ))
}

/// The raw (as lowered) and simplified DAG nodes of the model's `dy/dt`.
fn lowered(model: &Model) -> (Dag, NodeId, NodeId) {
    let mut dag = Dag::new(crate::linear::sym_dims(model));
    let mut lowerer = Lowerer::new(model);
    let derivative = model.states[0].derivative;
    let raw = lowerer.lower_raw(&mut dag, derivative).expect("lowers");
    let simplified = dag.simplify(raw);
    (dag, raw, simplified)
}

/// `y`, `a`, `b`, `t` at one point, as the DAG's symbol values.
fn env(point: [f64; 4]) -> impl Fn(crate::Sym) -> f64 {
    move |sym| match sym {
        crate::Sym::State(0) => point[0],
        crate::Sym::Param(0) => point[1],
        crate::Sym::Param(1) => point[2],
        crate::Sym::Time => point[3],
        _ => f64::NAN,
    }
}

/// The reference value: the IR evaluator on the expression as written.
fn reference(model: &Model, point: [f64; 4]) -> f64 {
    let values = Values {
        params: &point[1..3],
        inputs: &[],
        states: &point[0..1],
        intermediates: &[],
        t: point[3],
    };
    Evaluator::new(model).eval(model.states[0].derivative, &values)
}

/// Whether a comparison in the raw expression is decided by rounding at `point` (its
/// operands agree to rounding but are not both NaN): exact algebra and floating point
/// may then decide it differently, and the value jumps (a branch point, not an error).
fn at_branch_point(dag: &Dag, raw: NodeId, point: [f64; 4]) -> bool {
    let e = env(point);
    let mut memo = HashMap::new();
    let mut stack = vec![raw];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Node::Logic(op, a, b) = dag.node(id) {
            if !matches!(op, BinOp::And | BinOp::Or) {
                let (x, y) = (
                    dag.eval_memo(*a, &e, &mut memo),
                    dag.eval_memo(*b, &e, &mut memo),
                );
                let near = (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs()));
                let overflowed = x.is_infinite() || y.is_infinite() || x.abs() > 1e100;
                if near || (overflowed && !x.is_nan() && !y.is_nan()) {
                    return true;
                }
            }
        }
        stack.extend(children_of(dag.node(id)));
    }
    false
}

/// Whether finite arithmetic leaves its range in the raw expression at `point`, which
/// the simplifier's algebra does not model (`exp(y)·exp(−y)` is ∞·0 at y = 1e300, and
/// `1` once simplified): a product, power or exponential of finite operands that
/// overflows to ±∞ or underflows to 0, a sum that absorbs a term entirely (`1 − y`
/// at y = 1e-300 is 1, so `(1 − y) − 1` is 0 where exactly it is −y), or a sum that
/// cancels down to its rounding error (`1 − y·y⁻¹` is 0 or 1.1e-16 depending on the
/// order of the product: whether it divides by 0 is decided by rounding).
fn out_of_range(dag: &Dag, raw: NodeId, point: [f64; 4]) -> bool {
    let e = env(point);
    let mut memo = HashMap::new();
    let mut stack = vec![raw];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let node = dag.node(id);
        let children = children_of(node);
        stack.extend(children.iter().copied());
        let v = dag.eval_memo(id, &e, &mut memo);
        let operands: Vec<f64> = children
            .iter()
            .map(|c| dag.eval_memo(*c, &e, &mut memo))
            .collect();
        if !operands.iter().all(|x| x.is_finite()) {
            continue;
        }
        let nonzero_operands = operands.iter().all(|x| *x != 0.0);
        let grows = match node {
            Node::Mul(_) => true,
            Node::Pow(..) => nonzero_operands || operands[1] > 0.0,
            Node::Call(func, _) => matches!(
                func,
                galvani_ir::step::Func::Builtin(
                    galvani_ir::Builtin::Exp
                        | galvani_ir::Builtin::Expm1
                        | galvani_ir::Builtin::Exprel
                ) | galvani_ir::step::Func::Phi
            ),
            Node::Add(_) => {
                let largest = operands.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                let absorbed = operands
                    .iter()
                    .any(|x| *x != 0.0 && x.abs() < 1e-15 * largest);
                let only_rounding_left = v != 0.0 && v.abs() <= 1e-12 * largest;
                if v.is_infinite() || absorbed || only_rounding_left {
                    return true;
                }
                false
            }
            _ => false,
        };
        // exp(1e-300) rounds to 1, so log(exp(y)) is 0 there, where exactly it is y
        let exp_absorbed = matches!(
            node,
            Node::Call(galvani_ir::step::Func::Builtin(galvani_ir::Builtin::Exp), _)
        ) && v == 1.0
            && operands[0] != 0.0;
        if exp_absorbed || (grows && (v.is_infinite() || (v == 0.0 && nonzero_operands))) {
            return true;
        }
    }
    false
}

/// Whether the expression divides by ±0 at `point`: the sign of the infinity is the sign
/// of the zero, which the simplifier does not keep (`0 + a` is +0 at a = −0, `a` is −0;
/// constants are stored with −0 as +0), so only NaN-ness is compared there.
fn divides_by_zero(dag: &Dag, root: NodeId, point: [f64; 4]) -> bool {
    let e = env(point);
    let mut memo = HashMap::new();
    let mut stack = vec![root];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let node = dag.node(id);
        if let Node::Pow(base, exponent) = node {
            let b = dag.eval_memo(*base, &e, &mut memo);
            let x = dag.eval_memo(*exponent, &e, &mut memo);
            if b == 0.0 && x < 0.0 {
                return true;
            }
        }
        stack.extend(children_of(node));
    }
    false
}

/// The largest finite magnitude of any subexpression of the raw expression at `point`:
/// the scale of rounding errors once a rewrite reassociates a sum (`(a + y) − y` is 0 at
/// y = 1e300, `a` exactly).
fn scale_at(dag: &Dag, raw: NodeId, point: [f64; 4]) -> f64 {
    let e = env(point);
    let mut memo = HashMap::new();
    let mut stack = vec![raw];
    let mut seen = std::collections::HashSet::new();
    let mut scale: f64 = 0.0;
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            let v = dag.eval_memo(id, &e, &mut memo);
            if v.is_finite() {
                scale = scale.max(v.abs());
            }
            stack.extend(children_of(dag.node(id)));
        }
    }
    scale
}

/// Whether `simplified` is `reference` under IEEE semantics: both NaN, or the same
/// infinity, or equal to rounding (relative 1e-9 of the values or of the operands'
/// `scale`; ±0 are equal). A result beyond 1e100 may meet an overflowed one (rewriting
/// `x³·x⁻¹` as `x²` changes where an intermediate overflows, which is not a NaN hidden).
fn agrees(reference: f64, simplified: f64, scale: f64) -> bool {
    if reference.is_nan() || simplified.is_nan() {
        return reference.is_nan() && simplified.is_nan();
    }
    if reference == simplified {
        return true;
    }
    if reference.is_infinite() || simplified.is_infinite() {
        let finite = if reference.is_infinite() {
            simplified
        } else {
            reference
        };
        return finite.abs() > 1e100;
    }
    (reference - simplified).abs() <= 1e-9 * (reference.abs().max(simplified.abs()) + scale)
        || (reference.abs() < 1e-200 && simplified.abs() < 1e-200)
}

/// Checks one expression at every adversarial point (each symbol in turn takes each
/// value, the others a fixed ordinary one, then all take the same value).
fn check_expression(expression: &str, values: &[f64]) -> Result<(), String> {
    let model = model_of(expression);
    let (dag, raw, simplified) = lowered(&model);
    let mut points = Vec::new();
    for &v in values {
        for k in 0..4 {
            let mut p = [0.75, -1.25, 2.5, 0.25];
            p[k] = v;
            points.push(p);
        }
        points.push([v; 4]);
    }
    // params are taken to be non-zero (see `Facts`): `a/a => 1`
    points.retain(|p| p[1] != 0.0 && p[2] != 0.0);
    for point in points {
        if at_branch_point(&dag, raw, point)
            || out_of_range(&dag, raw, point)
            || out_of_range(&dag, simplified, point)
        {
            continue;
        }
        let want = reference(&model, point);
        let got = dag.eval(simplified, &env(point));
        // where a zero is divided by, its sign decides the infinity's, and so whether
        // `log`, `min` or a comparison downstream gives NaN: then only a NaN turned into
        // a finite value is an error, and only when no reading of the zeros' signs gives
        // that value (`0·min(y, (y/(1/0))⁻¹)` at y = −1 divides by y·0 = −0, which the
        // simplifier's `y·0 => 0` reads as +0: min(−1, +∞) is −1, not −∞, and the
        // product −0, not NaN)
        if divides_by_zero(&dag, raw, point) || divides_by_zero(&dag, simplified, point) {
            let scale = scale_at(&dag, raw, point);
            let a_reading_gives_it = [1.0, -1.0]
                .into_iter()
                .any(|sign| agrees(dag.eval_zero_signed(raw, &env(point), sign), got, scale));
            if !want.is_nan() || got.is_infinite() || a_reading_gives_it {
                continue;
            }
        }
        // the removable-singularity rule fills `y/expm1(y)` at y = 0 on purpose (W0601)
        if want.is_nan() && got.is_finite() && !dag.singular_hits.is_empty() {
            continue;
        }
        if !agrees(want, got, scale_at(&dag, raw, point)) {
            return Err(format!(
                "`{expression}` at (y, a, b, t) = {point:?}: reference {want}, simplified {got}"
            ));
        }
    }
    Ok(())
}

/// The cases of issue 9, item 10, each of which the simplifier used to get wrong.
#[test]
fn rewrites_keep_nan_and_infinities() {
    for expression in [
        // a/a is NaN at a = 0 (0·∞), not 1
        "y / y",
        // 1/(y·0) is ±∞ with y's sign, and +∞ once `y·0 => 0` has dropped that sign: the
        // result is what one of the two readings of the zero gives
        "0 * min(y, (y/(1/0))^(-1))",
        "0 * min(y, (0*y)^(-1))",
        "(y - a) / (y - a)",
        "y * y^(-1)",
        "(a*y)^2 / (a*y)^2",
        // 0·log(y) is NaN at y ≤ 0 (0·(−∞), 0·NaN), not 0
        "0 * log(y)",
        "0 * sqrt(y)",
        "0 * (1 / y)",
        "log(y) - log(y)",
        "2*log(y) - 2*log(y)",
        "sqrt(y) - sqrt(y) + a",
        // (y^0.5)^2 is NaN for y < 0, not y
        "(y^0.5)^2",
        "sqrt(y)^2",
        "(y^1.5)^2",
        "y^0.5 * y^0.5",
        "y^0.5 * y^(-0.5)",
        // a comparison with NaN is false
        "if y > 0/0 then 1 else 2",
        "if not (y > 0/0) then 1 else 2",
        "if y > log(-1) then 1 else 2",
        // exp(u)·exp(−u) is NaN where exp(u) overflows (∞·0)
        "exp(y) * exp(-y)",
        "exp(y) / exp(y)",
    ] {
        check_expression(expression, &ADVERSARIAL).unwrap_or_else(|e| panic!("{e}"));
        check_expression(expression, &[-0.0]).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A random expression as model text, over `y`, `a`, `b`, `t` and constants that
/// include the values that make subexpressions undefined (0, and 0/0 itself).
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("y".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just("t".to_string()),
        Just("0".to_string()),
        Just("1".to_string()),
        Just("2".to_string()),
        Just("0.5".to_string()),
        Just("(0/0)".to_string()),
        Just("(1/0)".to_string()),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        let unary = prop_oneof![
            Just("exp"),
            Just("log"),
            Just("sqrt"),
            Just("abs"),
            Just("tanh"),
            Just("expm1"),
            Just("exprel"),
            Just("log1p"),
        ];
        let comparison = prop_oneof![Just("<"), Just(">"), Just("<="), Just("=="), Just("!=")];
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} + {z})")),
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} - {z})")),
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} * {z})")),
            (inner.clone(), inner.clone()).prop_map(|(x, z)| format!("({x} / {z})")),
            inner.clone().prop_map(|x| format!("(-{x})")),
            (
                inner.clone(),
                prop_oneof![Just("2"), Just("(-1)"), Just("0.5"), Just("3"), Just("0")]
            )
                .prop_map(|(x, p)| format!("({x}^{p})")),
            (unary, inner.clone()).prop_map(|(f, x)| format!("{f}({x})")),
            (
                prop_oneof![Just("min"), Just("max")],
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(f, x, z)| format!("{f}({x}, {z})")),
            (
                inner.clone(),
                comparison,
                inner.clone(),
                inner.clone(),
                inner
            )
                .prop_map(|(c1, op, c2, x, z)| format!("(if {c1} {op} {c2} then {x} else {z})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random expressions, and each one multiplied by 0, divided by itself and subtracted
    /// from itself (the rewrites that can hide a NaN), agree with the reference evaluator.
    #[test]
    fn simplified_expressions_agree_with_the_reference_evaluator(e in expression()) {
        for expression in [
            e.clone(),
            format!("0 * {e}"),
            format!("{e} / {e}"),
            format!("{e} - {e}"),
            format!("(({e})^0.5)^2"),
        ] {
            if let Err(message) = check_expression(&expression, &ADVERSARIAL) {
                prop_assert!(false, "{}", message);
            }
        }
    }
}
