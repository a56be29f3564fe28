//! Property tests: the simplifier preserves values and never grows an expression, and
//! is idempotent; the linearity classification never accepts an equation that is not
//! affine in its state (checked numerically), and accepts every affine one built as
//! `a + b·y` with `y`-free `a`, `b`.

use crate::dag::{Dag, Node, NodeId, Sym, SymDims};
use crate::linear::is_linear_in;
use galvani_ir::step::Func;
use galvani_ir::{BinOp, Builtin, Dim};
use proptest::prelude::*;
use std::collections::HashMap;

/// A random expression tree over y (state 0), a, b (params) and t.
#[derive(Clone, Debug)]
enum E {
    Const(f64),
    Y,
    A,
    B,
    T,
    Add(Box<E>, Box<E>),
    Sub(Box<E>, Box<E>),
    Mul(Box<E>, Box<E>),
    Div(Box<E>, Box<E>),
    Neg(Box<E>),
    Pow(Box<E>, i8),
    Call(usize, Box<E>),
    MinMax(bool, Box<E>, Box<E>),
    If(Box<E>, Box<E>, Box<E>, Box<E>),
}

const UNARY: [Builtin; 11] = [
    Builtin::Exp,
    Builtin::Sin,
    Builtin::Cos,
    Builtin::Tanh,
    Builtin::Abs,
    Builtin::Exprel,
    Builtin::Expm1,
    Builtin::Cosh,
    Builtin::Sinh,
    Builtin::Atan,
    Builtin::Erf,
];

fn leaf() -> impl Strategy<Value = E> {
    prop_oneof![
        prop_oneof![Just(0.0), Just(1.0), Just(-1.0), Just(2.0), -3.0f64..3.0].prop_map(E::Const),
        Just(E::Y),
        Just(E::Y),
        Just(E::A),
        Just(E::B),
        Just(E::T),
    ]
}

fn expr() -> impl Strategy<Value = E> {
    leaf().prop_recursive(5, 40, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| E::Add(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| E::Sub(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| E::Mul(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| E::Div(Box::new(a), Box::new(b))),
            inner.clone().prop_map(|a| E::Neg(Box::new(a))),
            (inner.clone(), -2i8..4).prop_map(|(a, p)| E::Pow(Box::new(a), p)),
            (0..UNARY.len(), inner.clone()).prop_map(|(f, a)| E::Call(f, Box::new(a))),
            (any::<bool>(), inner.clone(), inner.clone()).prop_map(|(m, a, b)| E::MinMax(
                m,
                Box::new(a),
                Box::new(b)
            )),
            (inner.clone(), inner.clone(), inner.clone(), inner).prop_map(|(a, b, c, d)| E::If(
                Box::new(a),
                Box::new(b),
                Box::new(c),
                Box::new(d)
            )),
        ]
    })
}

fn new_dag() -> Dag {
    Dag::new(SymDims {
        params: vec![Dim::NONE; 2],
        inputs: vec![],
        states: vec![Dim::NONE],
        time: Dim::NONE,
    })
}

/// The raw (unsimplified) node of a tree, built as lowering builds model expressions.
fn build(dag: &mut Dag, e: &E) -> NodeId {
    let minus_one = dag.constant(-1.0, Dim::NONE);
    match e {
        E::Const(v) => dag.constant(*v, Dim::NONE),
        E::Y => dag.sym(Sym::State(0)),
        E::A => dag.sym(Sym::Param(0)),
        E::B => dag.sym(Sym::Param(1)),
        E::T => dag.sym(Sym::Time),
        E::Add(a, b) => {
            let (a, b) = (build(dag, a), build(dag, b));
            dag.intern(Node::Add(vec![a, b]))
        }
        E::Sub(a, b) => {
            let (a, b) = (build(dag, a), build(dag, b));
            let nb = dag.intern(Node::Mul(vec![minus_one, b]));
            dag.intern(Node::Add(vec![a, nb]))
        }
        E::Mul(a, b) => {
            let (a, b) = (build(dag, a), build(dag, b));
            dag.intern(Node::Mul(vec![a, b]))
        }
        E::Div(a, b) => {
            let (a, b) = (build(dag, a), build(dag, b));
            let inv = dag.intern(Node::Pow(b, minus_one));
            dag.intern(Node::Mul(vec![a, inv]))
        }
        E::Neg(a) => {
            let a = build(dag, a);
            dag.intern(Node::Mul(vec![minus_one, a]))
        }
        E::Pow(a, p) => {
            let a = build(dag, a);
            let p = dag.constant(f64::from(*p), Dim::NONE);
            dag.intern(Node::Pow(a, p))
        }
        E::Call(f, a) => {
            let a = build(dag, a);
            dag.intern(Node::Call(Func::Builtin(UNARY[*f]), vec![a]))
        }
        E::MinMax(is_min, a, b) => {
            let (a, b) = (build(dag, a), build(dag, b));
            let f = if *is_min { Builtin::Min } else { Builtin::Max };
            dag.intern(Node::Call(Func::Builtin(f), vec![a, b]))
        }
        E::If(a, b, c, d) => {
            let (a, b, c, d) = (build(dag, a), build(dag, b), build(dag, c), build(dag, d));
            let cond = dag.intern(Node::Logic(BinOp::Lt, a, b));
            dag.intern(Node::If(cond, c, d))
        }
    }
}

fn env(point: [f64; 4]) -> impl Fn(Sym) -> f64 {
    move |sym| match sym {
        Sym::State(0) => point[0],
        Sym::Param(0) => point[1],
        Sym::Param(1) => point[2],
        Sym::Time => point[3],
        _ => f64::NAN,
    }
}

/// Values agree to rounding: relative 1e-9, or absolute 1e-9 of the operand scale.
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()) + scale)
}

/// The largest absolute value of any subexpression at `point` (a scale for cancellation);
/// infinite when some subexpression is undefined there (outside the expression's domain,
/// where the simplifier may fill holes: `t/t => 1` even under a comparison), and infinite
/// at a branch point: where a comparison's operands agree to rounding, exact algebra and
/// floating point may decide it differently (`y < t + (y − t)` is false, but rounds to
/// true at y = −0.55, t = 3), and the value jumps instead of moving by a rounding error.
fn scale_at(dag: &Dag, root: NodeId, point: [f64; 4]) -> f64 {
    let mut max: f64 = 0.0;
    let mut stack = vec![root];
    let mut seen = std::collections::HashSet::new();
    let e = env(point);
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let v = dag.eval(id, &e);
        if !v.is_finite() {
            return f64::INFINITY;
        }
        max = max.max(v.abs());
        if let Node::Logic(op, a, b) = dag.node(id) {
            let is_comparison = !matches!(op, BinOp::And | BinOp::Or);
            let (a, b) = (dag.eval(*a, &e), dag.eval(*b, &e));
            if is_comparison && (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())) {
                return f64::INFINITY;
            }
        }
        stack.extend(crate::dag::children_of(dag.node(id)));
    }
    max
}

const POINTS: [[f64; 4]; 4] = [
    [0.37, -1.21, 2.03, 0.5],
    [-1.62, 0.83, -0.47, 1.25],
    [2.41, 1.9, 0.61, 0.0],
    [-0.55, -2.2, 1.37, 3.0],
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn simplify_preserves_values_and_never_grows(e in expr()) {
        let mut dag = new_dag();
        let raw = build(&mut dag, &e);
        let s = dag.simplify(raw);
        prop_assert!(dag.size(s) <= dag.size(raw), "grew: {} -> {}", dag.size(raw), dag.size(s));
        for point in POINTS {
            let before = dag.eval(raw, &env(point));
            let after = dag.eval(s, &env(point));
            // Only where the original is defined (the simplifier may fill holes).
            if before.is_finite() && before.abs() < 1e8 {
                let scale = scale_at(&dag, raw, point);
                if scale < 1e8 {
                    prop_assert!(close(before, after, scale), "{e:?} at {point:?}: {before} vs {after}");
                }
            }
        }
    }

    #[test]
    fn simplify_is_idempotent(e in expr()) {
        let mut dag = new_dag();
        let raw = build(&mut dag, &e);
        let s = dag.simplify(raw);
        prop_assert_eq!(dag.simplify(s), s);
    }

    #[test]
    fn linear_classification_is_sound(e in expr()) {
        let mut dag = new_dag();
        let raw = build(&mut dag, &e);
        let f = dag.simplify(raw);
        let y = Sym::State(0);
        let (linear, b) = is_linear_in(&mut dag, f, y);
        if linear {
            let zero = dag.zero(Dim::NONE);
            let a = dag.substitute(f, &HashMap::from([(y, zero)]));
            prop_assert!(!dag.depends_on(a, y) && !dag.depends_on(b, y));
            for point in POINTS {
                for y_value in [-1.3, 0.4, 2.1, 5.0] {
                    let mut at = point;
                    at[0] = y_value;
                    let value = dag.eval(raw, &env(at));
                    if !value.is_finite() || value.abs() > 1e8 {
                        continue;
                    }
                    let affine = dag.eval(a, &env(at)) - dag.eval(b, &env(at)) * y_value;
                    let scale = scale_at(&dag, raw, at).max(scale_at(&dag, a, at));
                    if scale < 1e8 {
                        prop_assert!(close(value, affine, scale),
                            "{e:?} classified linear, but f({y_value}) = {value} != A - B*y = {affine}");
                    }
                }
            }
        }
    }

    #[test]
    fn distributing_products_over_sums_preserves_values(e in expr()) {
        let mut dag = new_dag();
        let raw = build(&mut dag, &e);
        let simplified = dag.simplify(raw);
        let mut budget = 64;
        let expanded = crate::linear::distribute(&mut dag, simplified, &mut budget);
        for point in POINTS {
            let value = dag.eval(raw, &env(point));
            if !value.is_finite() || value.abs() > 1e8 {
                continue;
            }
            let scale = scale_at(&dag, raw, point).max(scale_at(&dag, expanded, point));
            if scale < 1e8 {
                let got = dag.eval(expanded, &env(point));
                prop_assert!(close(value, got, scale),
                    "{e:?}: {value} before distributing, {got} after");
            }
        }
    }

    #[test]
    fn affine_equations_are_recognised(a in expr(), b in expr(), divide in any::<bool>()) {
        // f = a' + b'·y (or (a' − y)/b') with a', b' the y-free versions of a, b
        fn strip(e: &E) -> E {
            match e {
                E::Y => E::A,
                E::Add(x, y) => E::Add(Box::new(strip(x)), Box::new(strip(y))),
                E::Sub(x, y) => E::Sub(Box::new(strip(x)), Box::new(strip(y))),
                E::Mul(x, y) => E::Mul(Box::new(strip(x)), Box::new(strip(y))),
                E::Div(x, y) => E::Div(Box::new(strip(x)), Box::new(strip(y))),
                E::Neg(x) => E::Neg(Box::new(strip(x))),
                E::Pow(x, p) => E::Pow(Box::new(strip(x)), *p),
                E::Call(f, x) => E::Call(*f, Box::new(strip(x))),
                E::MinMax(m, x, y) => E::MinMax(*m, Box::new(strip(x)), Box::new(strip(y))),
                E::If(p, q, r, s) => E::If(Box::new(strip(p)), Box::new(strip(q)), Box::new(strip(r)), Box::new(strip(s))),
                other => other.clone(),
            }
        }
        let (a, b) = (strip(&a), strip(&b));
        let f = if divide {
            E::Div(Box::new(E::Sub(Box::new(a), Box::new(E::Y))), Box::new(b))
        } else {
            E::Add(Box::new(a), Box::new(E::Mul(Box::new(b), Box::new(E::Y))))
        };
        let mut dag = new_dag();
        let raw = build(&mut dag, &f);
        let f = dag.simplify(raw);
        let (linear, _) = is_linear_in(&mut dag, f, Sym::State(0));
        prop_assert!(linear, "{:?} not recognised as linear", f);
    }
}

/// A comparison decided by rounding is a branch point, not a simplifier error: at
/// y = −0.55, t = 3 the raw `t + (y − t)` rounds to −0.5499999999999998, above `y`, so `if y < t + (y − t)` takes
/// its first branch, while the simplified `y < y` is exactly false. The property tests
/// skip such points (found by `simplify_preserves_values_and_never_grows`).
#[test]
fn comparisons_decided_by_rounding_are_branch_points() {
    let b = Box::new;
    let e = E::If(
        b(E::Y),
        b(E::Add(b(E::T), b(E::Sub(b(E::Y), b(E::T))))),
        b(E::Const(0.0)),
        b(E::Const(1.0)),
    );
    let mut dag = new_dag();
    let raw = build(&mut dag, &e);
    let simplified = dag.simplify(raw);
    let point = POINTS[3];
    assert_eq!(
        dag.eval(raw, &env(point)),
        0.0,
        "rounding takes the first branch"
    );
    assert_eq!(
        dag.eval(simplified, &env(point)),
        1.0,
        "exact algebra takes the second"
    );
    assert_eq!(scale_at(&dag, raw, point), f64::INFINITY);
}

/// A sum whose sign a product absorbs can collapse into a factor that cancels another:
/// `(y − (y + a))/(a/−2)` → `−2·(y − (a + y))·a⁻¹` → `2·a·a⁻¹` → `2`, in one pass (found
/// by `simplify_is_idempotent`: the first pass stopped at `2·a⁻¹·a`). `a` is a param,
/// taken to be non-zero (`dag::Facts`); a state would stay `y·y⁻¹`.
#[test]
fn a_flipped_sum_cancels_against_the_other_factors_in_one_pass() {
    let b = Box::new;
    let e = E::Div(
        b(E::Sub(b(E::Y), b(E::Add(b(E::Y), b(E::A))))),
        b(E::Div(b(E::A), b(E::Neg(b(E::Const(2.0)))))),
    );
    let mut dag = new_dag();
    let raw = build(&mut dag, &e);
    let simplified = dag.simplify(raw);
    assert_eq!(dag.const_value(simplified), Some(2.0));
    assert_eq!(dag.simplify(simplified), simplified);
}

/// `x·0 => 0` keeps IEEE semantics for constants: `0/0` and `0·(1/0)` are NaN, not 0 (a
/// `param p = 0/0` used to compile as 0); a symbol times 0 is still 0.
#[test]
fn zero_times_a_constant_infinity_stays_nan() {
    let b = Box::new;
    let mut dag = new_dag();
    for e in [
        E::Div(b(E::Const(0.0)), b(E::Const(0.0))),
        E::Mul(
            b(E::Const(0.0)),
            b(E::Div(b(E::Const(1.0)), b(E::Const(0.0)))),
        ),
    ] {
        let raw = build(&mut dag, &e);
        let simplified = dag.simplify(raw);
        assert!(
            dag.const_value(simplified).is_some_and(f64::is_nan),
            "{e:?}"
        );
    }
    let raw = build(&mut dag, &E::Mul(b(E::Const(0.0)), b(E::Y)));
    let simplified = dag.simplify(raw);
    assert_eq!(dag.const_value(simplified), Some(0.0));
}
