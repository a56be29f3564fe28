//! One test per rewrite rule of the simplifier, per derivative rule, and for the
//! removable-singularity rule in each of its variants. Every rule test also checks that
//! the result is no larger than the input and evaluates equal to it.

use crate::dag::{Dag, Node, NodeId, Sym, SymDims};
use galvani_ir::step::Func;
use galvani_ir::{BinOp, Builtin, Dim};

/// Raw (unsimplified) expression building over a dimensionless DAG with states x, y, z
/// and params p, q.
struct R {
    dag: Dag,
}

impl R {
    fn new() -> R {
        R {
            dag: Dag::new(SymDims {
                params: vec![Dim::NONE; 2],
                inputs: vec![],
                states: vec![Dim::NONE; 3],
                time: Dim::NONE,
            }),
        }
    }
    fn c(&mut self, v: f64) -> NodeId {
        self.dag.constant(v, Dim::NONE)
    }
    fn x(&mut self) -> NodeId {
        self.dag.sym(Sym::State(0))
    }
    fn y(&mut self) -> NodeId {
        self.dag.sym(Sym::State(1))
    }
    fn z(&mut self) -> NodeId {
        self.dag.sym(Sym::State(2))
    }
    fn p(&mut self) -> NodeId {
        self.dag.sym(Sym::Param(0))
    }
    fn add(&mut self, terms: Vec<NodeId>) -> NodeId {
        self.dag.intern(Node::Add(terms))
    }
    fn mul(&mut self, factors: Vec<NodeId>) -> NodeId {
        self.dag.intern(Node::Mul(factors))
    }
    fn pow(&mut self, b: NodeId, e: NodeId) -> NodeId {
        self.dag.intern(Node::Pow(b, e))
    }
    fn neg(&mut self, a: NodeId) -> NodeId {
        let m = self.c(-1.0);
        self.mul(vec![m, a])
    }
    fn sub(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let nb = self.neg(b);
        self.add(vec![a, nb])
    }
    fn div(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let m = self.c(-1.0);
        let inv = self.pow(b, m);
        self.mul(vec![a, inv])
    }
    fn call(&mut self, b: Builtin, args: Vec<NodeId>) -> NodeId {
        self.dag.intern(Node::Call(Func::Builtin(b), args))
    }
    fn exp(&mut self, a: NodeId) -> NodeId {
        self.call(Builtin::Exp, vec![a])
    }

    /// Simplifies `raw`, checks size and value, and returns the result.
    fn check(&mut self, raw: NodeId) -> NodeId {
        let s = self.dag.simplify(raw);
        assert!(
            self.dag.size(s) <= self.dag.size(raw),
            "rule grew the expression: {} -> {}",
            self.dag.size(raw),
            self.dag.size(s)
        );
        let points = [
            [0.3, -1.7, 2.2, 0.9, -0.4],
            [1.9, 0.45, -0.6, 1.3, 2.5],
            [-2.4, 3.1, 0.77, -0.35, 1.05],
        ];
        for point in points {
            let env = |sym: Sym| match sym {
                Sym::State(i) => point[i as usize],
                Sym::Param(i) => point[3 + i as usize],
                _ => f64::NAN,
            };
            let before = self.dag.eval(raw, &env);
            let after = self.dag.eval(s, &env);
            if before.is_finite() {
                let tolerance = 1e-12 * (1.0 + before.abs());
                assert!(
                    (before - after).abs() <= tolerance,
                    "value changed: {before} vs {after}"
                );
            }
        }
        s
    }
}

#[test]
fn add_flattens_nested_sums() {
    // (x + y) + z => x + y + z
    let mut r = R::new();
    let (x, y, z) = (r.x(), r.y(), r.z());
    let inner = r.add(vec![x, y]);
    let raw = r.add(vec![inner, z]);
    let s = r.check(raw);
    assert!(matches!(r.dag.node(s), Node::Add(t) if t.len() == 3));
}

#[test]
fn add_folds_constants() {
    // 2 + x + 3 => x + 5
    let mut r = R::new();
    let (two, x, three) = (r.c(2.0), r.x(), r.c(3.0));
    let raw = r.add(vec![two, x, three]);
    let s = r.check(raw);
    let five = r.c(5.0);
    assert_eq!(r.dag.node(s), &Node::Add(vec![x, five]));
}

#[test]
fn add_collects_like_terms() {
    // x + x => 2·x;  2·x − x => x;  x − x => 0
    let mut r = R::new();
    let x = r.x();
    let raw = r.add(vec![x, x]);
    let s = r.check(raw);
    let two = r.c(2.0);
    assert_eq!(r.dag.node(s), &Node::Mul(vec![two, x]));
    let two_x = r.mul(vec![two, x]);
    let raw = r.sub(two_x, x);
    assert_eq!(r.check(raw), x);
    let raw = r.sub(x, x);
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 0.0));
}

#[test]
fn add_drops_zero() {
    // x + 0 => x
    let mut r = R::new();
    let (x, zero) = (r.x(), r.c(0.0));
    let raw = r.add(vec![x, zero]);
    assert_eq!(r.check(raw), x);
}

#[test]
fn add_order_is_canonical() {
    // y + x and x + y are the same node
    let mut r = R::new();
    let (x, y) = (r.x(), r.y());
    let a = r.add(vec![y, x]);
    let b = r.add(vec![x, y]);
    assert_eq!(r.check(a), r.check(b));
}

#[test]
fn mul_flattens_and_orders() {
    // (y·x)·p => p·x·y
    let mut r = R::new();
    let (x, y, p) = (r.x(), r.y(), r.p());
    let inner = r.mul(vec![y, x]);
    let raw = r.mul(vec![inner, p]);
    let s = r.check(raw);
    assert_eq!(r.dag.node(s), &Node::Mul(vec![p, x, y]));
}

#[test]
fn mul_by_zero() {
    // x·0 => 0
    let mut r = R::new();
    let (x, zero) = (r.x(), r.c(0.0));
    let raw = r.mul(vec![x, zero]);
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 0.0));
}

#[test]
fn mul_by_one_and_constant_folding() {
    // x·1 => x;  2·x·3 => 6·x
    let mut r = R::new();
    let (x, one, two, three) = (r.x(), r.c(1.0), r.c(2.0), r.c(3.0));
    let raw = r.mul(vec![x, one]);
    assert_eq!(r.check(raw), x);
    let raw = r.mul(vec![two, x, three]);
    let s = r.check(raw);
    let six = r.c(6.0);
    assert_eq!(r.dag.node(s), &Node::Mul(vec![six, x]));
}

#[test]
fn mul_collects_powers() {
    // x·x => x^2;  x^2·x^3 => x^5;  x/x and x^3/x stay (NaN at x = 0: 0·∞), but
    // (1 + exp(x))/(1 + exp(x)) => 1 (the denominator is positive)
    let mut r = R::new();
    let x = r.x();
    let raw = r.mul(vec![x, x]);
    let s = r.check(raw);
    let two = r.c(2.0);
    assert_eq!(r.dag.node(s), &Node::Pow(x, two));
    let three = r.c(3.0);
    let x2 = r.pow(x, two);
    let x3 = r.pow(x, three);
    let raw = r.mul(vec![x2, x3]);
    let s = r.check(raw);
    let five = r.c(5.0);
    assert_eq!(r.dag.node(s), &Node::Pow(x, five));
    let raw = r.div(x, x);
    let s = r.check(raw);
    assert!(!r.dag.is_const(s, 1.0));
    assert!(r.dag.eval(s, &|_| 0.0).is_nan());
    let raw = r.div(x3, x);
    let s = r.check(raw);
    assert!(r.dag.eval(s, &|_| 0.0).is_nan());
    let e = r.exp(x);
    let one = r.c(1.0);
    let positive = r.add(vec![one, e]);
    let raw = r.div(positive, positive);
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 1.0));
}

#[test]
fn mul_negative_sum_absorbs_sign() {
    // −1·p·(−x − y) => p·(x + y);  −(x − y) => y − x
    let mut r = R::new();
    let (x, y, p) = (r.x(), r.y(), r.p());
    let nx = r.neg(x);
    let ny = r.neg(y);
    let sum = r.add(vec![nx, ny]);
    let m = r.c(-1.0);
    let raw = r.mul(vec![m, p, sum]);
    let s = r.check(raw);
    let xy = r.add(vec![x, y]);
    let xy = r.dag.simplify(xy);
    assert_eq!(r.dag.node(s), &Node::Mul(vec![p, xy]));
    let diff = r.sub(x, y);
    let raw = r.neg(diff);
    let s = r.check(raw);
    let expected = r.sub(y, x);
    let expected = r.dag.simplify(expected);
    assert_eq!(s, expected);
}

#[test]
fn mul_combines_exponentials() {
    // exp(x)·exp(y) => exp(x + y);  exp(x)/exp(y) => exp(x − y)
    let mut r = R::new();
    let (x, y) = (r.x(), r.y());
    let (ex, ey) = (r.exp(x), r.exp(y));
    let raw = r.mul(vec![ex, ey]);
    let s = r.check(raw);
    assert!(matches!(
        r.dag.node(s),
        Node::Call(Func::Builtin(Builtin::Exp), _)
    ));
    let raw = r.div(ex, ey);
    let s = r.check(raw);
    let expected = r.sub(x, y);
    let expected = r.dag.simplify(expected);
    assert_eq!(
        r.dag.node(s),
        &Node::Call(Func::Builtin(Builtin::Exp), vec![expected])
    );
}

#[test]
fn pow_identities() {
    // x^0 => 1;  x^1 => x;  2^3 => 8;  1^x => 1
    let mut r = R::new();
    let (x, zero, one, two, three) = (r.x(), r.c(0.0), r.c(1.0), r.c(2.0), r.c(3.0));
    let raw = r.pow(x, zero);
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 1.0));
    let raw = r.pow(x, one);
    assert_eq!(r.check(raw), x);
    let raw = r.pow(two, three);
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 8.0));
    let raw = r.pow(one, x);
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 1.0));
}

#[test]
fn pow_of_pow_with_integer_outer_exponent() {
    // (x^0.5)^2 stays (NaN at x < 0, not x), (|x|^0.5)^2 => |x|, (x^−1)^2 => x^−2;
    // (x^2)^0.5 stays (it is |x|, not x)
    let mut r = R::new();
    let (x, half, two) = (r.x(), r.c(0.5), r.c(2.0));
    let root = r.pow(x, half);
    let raw = r.pow(root, two);
    let s = r.dag.simplify(raw);
    assert_ne!(s, x);
    assert!(r.dag.eval(s, &|_| -3.0).is_nan());
    let magnitude = r.call(Builtin::Abs, vec![x]);
    let root = r.pow(magnitude, half);
    let raw = r.pow(root, two);
    assert_eq!(r.dag.simplify(raw), magnitude);
    let minus_one = r.c(-1.0);
    let inverse = r.pow(x, minus_one);
    let raw = r.pow(inverse, two);
    let minus_two = r.c(-2.0);
    let s = r.dag.simplify(raw);
    assert_eq!(r.dag.node(s), &Node::Pow(x, minus_two));
    let square = r.pow(x, two);
    let raw = r.pow(square, half);
    let s = r.check(raw);
    assert_eq!(r.dag.node(s), &Node::Pow(square, half));
}

#[test]
fn pow_distributes_over_product_when_smaller() {
    // (p·x^(−1))^(−1) => x/p
    let mut r = R::new();
    let (x, p, m) = (r.x(), r.p(), r.c(-1.0));
    let inv_x = r.pow(x, m);
    let prod = r.mul(vec![p, inv_x]);
    let raw = r.pow(prod, m);
    let s = r.check(raw);
    let inv_p = r.pow(p, m);
    assert_eq!(r.dag.node(s), &Node::Mul(vec![inv_p, x]));
}

#[test]
fn pow_of_negative_sum() {
    // (−x − y)^(−1) => −(x + y)^(−1)
    let mut r = R::new();
    let (x, y, m) = (r.x(), r.y(), r.c(-1.0));
    let (nx, ny) = (r.neg(x), r.neg(y));
    let sum = r.add(vec![nx, ny]);
    let raw = r.pow(sum, m);
    let s = r.check(raw);
    let xy = r.add(vec![x, y]);
    let xy = r.dag.simplify(xy);
    let inv = r.pow(xy, m);
    assert_eq!(r.dag.node(s), &Node::Mul(vec![m, inv]));
}

#[test]
fn calls_fold_and_simplify() {
    // exp(0) => 1;  abs(abs(x)) => abs(x);  log(exp(x)) => x;  min(x, x) => x;
    // min(y, x) = min(x, y);  pow(x, 2) => x^2
    let mut r = R::new();
    let (x, y, zero, two) = (r.x(), r.y(), r.c(0.0), r.c(2.0));
    let raw = r.exp(zero);
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 1.0));
    let inner = r.call(Builtin::Abs, vec![x]);
    let raw = r.call(Builtin::Abs, vec![inner]);
    assert_eq!(r.check(raw), inner);
    let e = r.exp(x);
    let raw = r.call(Builtin::Log, vec![e]);
    assert_eq!(r.check(raw), x);
    let raw = r.call(Builtin::Min, vec![x, x]);
    assert_eq!(r.check(raw), x);
    let a = r.call(Builtin::Min, vec![y, x]);
    let b = r.call(Builtin::Min, vec![x, y]);
    assert_eq!(r.check(a), r.check(b));
    let raw = r.call(Builtin::Pow, vec![x, two]);
    let s = r.check(raw);
    assert_eq!(r.dag.node(s), &Node::Pow(x, two));
}

#[test]
fn conditionals_simplify() {
    // if 1 then x else y => x;  if c then x else x => x;  if not c then x else y => if c then y else x
    let mut r = R::new();
    let (x, y, one) = (r.x(), r.y(), r.c(1.0));
    let raw = r.dag.intern(Node::If(one, x, y));
    assert_eq!(r.check(raw), x);
    let c = r.dag.intern(Node::Logic(BinOp::Lt, x, y));
    let raw = r.dag.intern(Node::If(c, x, x));
    assert_eq!(r.check(raw), x);
    let not_c = r.dag.intern(Node::Not(c));
    let raw = r.dag.intern(Node::If(not_c, x, y));
    let s = r.check(raw);
    assert_eq!(r.dag.node(s), &Node::If(c, y, x));
}

#[test]
fn logic_simplifies() {
    // 1 < 2 => 1;  1 and c => c;  0 or c => c;  not not c => c
    let mut r = R::new();
    let (x, y, one, two, zero) = (r.x(), r.y(), r.c(1.0), r.c(2.0), r.c(0.0));
    let raw = r.dag.intern(Node::Logic(BinOp::Lt, one, two));
    let s = r.check(raw);
    assert!(r.dag.is_const(s, 1.0));
    let c = r.dag.intern(Node::Logic(BinOp::Gt, x, y));
    let raw = r.dag.intern(Node::Logic(BinOp::And, one, c));
    assert_eq!(r.check(raw), c);
    let raw = r.dag.intern(Node::Logic(BinOp::Or, zero, c));
    assert_eq!(r.check(raw), c);
    let n = r.dag.intern(Node::Not(c));
    let raw = r.dag.intern(Node::Not(n));
    assert_eq!(r.check(raw), c);
}

/// `k·(x + a)/(1 − exp(−(x + a)/s))` in raw form.
fn alpha_like(r: &mut R, k: f64, a: f64, s: f64, flip: bool) -> NodeId {
    let x = r.x();
    let a = r.c(a);
    let shifted = r.add(vec![x, a]);
    let scale = r.c(s);
    let u = r.div(shifted, scale);
    let u = if flip { u } else { r.neg(u) };
    let e = r.exp(u);
    let one = r.c(1.0);
    // flip: (exp(u) − 1), else (1 − exp(u))
    let d = if flip { r.sub(e, one) } else { r.sub(one, e) };
    let k = r.c(k);
    let top = r.mul(vec![k, shifted]);
    r.div(top, d)
}

fn is_exprel_form(r: &R, id: NodeId) -> bool {
    let has_exprel =
        |n: NodeId| matches!(r.dag.node(n), Node::Call(Func::Builtin(Builtin::Exprel), _));
    match r.dag.node(id) {
        Node::Mul(f) => f.iter().any(|n| has_exprel(*n)),
        _ => has_exprel(id),
    }
}

#[test]
fn singularity_one_minus_exp() {
    // 0.1·(x + 40)/(1 − exp(−(x + 40)/10)) => exprel(−(x + 40)/10)
    let mut r = R::new();
    let raw = alpha_like(&mut r, 0.1, 40.0, 10.0, false);
    let s = r.check(raw);
    assert!(is_exprel_form(&r, s));
    let x_sym = Sym::State(0);
    let at = |v: f64| move |sym: Sym| if sym == x_sym { v } else { 0.0 };
    assert!(r.dag.eval(raw, &at(-40.0)).is_nan());
    assert_eq!(r.dag.eval(s, &at(-40.0)), 1.0);
    assert_eq!(r.dag.singular_hits.len(), 1);
}

#[test]
fn singularity_exp_minus_one() {
    // 0.01·(x + 10)/(exp((x + 10)/10) − 1) => 0.1·exprel((x + 10)/10)
    let mut r = R::new();
    let raw = alpha_like(&mut r, 0.01, 10.0, 10.0, true);
    let s = r.check(raw);
    assert!(is_exprel_form(&r, s));
    let value = r.dag.eval(s, &|_| -10.0);
    assert!((value - 0.1).abs() < 1e-15, "{value}");
}

#[test]
fn singularity_expm1_and_reversed_numerator() {
    // (−x − 5)/expm1(0.5·(x + 5)) => −2·exprel(0.5·(x + 5))
    let mut r = R::new();
    let x = r.x();
    let five = r.c(5.0);
    let shifted = r.add(vec![x, five]);
    let half = r.c(0.5);
    let u = r.mul(vec![half, shifted]);
    let d = r.call(Builtin::Expm1, vec![u]);
    let nx = r.neg(x);
    let m5 = r.c(-5.0);
    let reversed = r.add(vec![nx, m5]);
    let raw = r.div(reversed, d);
    let s = r.check(raw);
    assert!(is_exprel_form(&r, s));
    let value = r.dag.eval(s, &|_| -5.0);
    assert!((value + 2.0).abs() < 1e-15, "{value}");
}

#[test]
fn singularity_with_parameter_scale() {
    // (x − p)/(1 − exp(−(x − p)/q)) => q·exprel(−(x − p)/q): λ = −1/q is free of x and p
    let mut r = R::new();
    let (x, p) = (r.x(), r.p());
    let q = r.dag.sym(Sym::Param(1));
    let shifted = r.sub(x, p);
    let u = r.div(shifted, q);
    let u = r.neg(u);
    let e = r.exp(u);
    let one = r.c(1.0);
    let d = r.sub(one, e);
    let raw = r.div(shifted, d);
    let s = r.check(raw);
    assert!(is_exprel_form(&r, s));
    let env = |sym: Sym| match sym {
        Sym::State(0) => 2.5,
        Sym::Param(0) => 2.5,
        Sym::Param(1) => 4.0,
        _ => 0.0,
    };
    assert!((r.dag.eval(s, &env) - 4.0).abs() < 1e-15);
}

#[test]
fn singularity_not_applied_without_shared_factor() {
    // x/(1 − exp(−y)) has no removable singularity at x = 0: left alone
    let mut r = R::new();
    let (x, y) = (r.x(), r.y());
    let ny = r.neg(y);
    let e = r.exp(ny);
    let one = r.c(1.0);
    let d = r.sub(one, e);
    let raw = r.div(x, d);
    let s = r.check(raw);
    assert!(!is_exprel_form(&r, s));
    assert!(r.dag.singular_hits.is_empty());
}

/// Central difference of `f` in state x at `x0`, the others at fixed values.
fn numeric_derivative(r: &R, f: NodeId, x0: f64) -> f64 {
    let h = 1e-6 * (1.0 + x0.abs());
    let at = |v: f64| move |sym: Sym| if sym == Sym::State(0) { v } else { 0.7 };
    (r.dag.eval(f, &at(x0 + h)) - r.dag.eval(f, &at(x0 - h))) / (2.0 * h)
}

#[test]
fn derivative_of_every_builtin_matches_finite_differences() {
    let mut r = R::new();
    let x = r.x();
    let y = r.y();
    let one_point_five = r.c(1.5);
    let x_sq = r.mul(vec![x, x]);
    let shifted = r.add(vec![x, one_point_five]);
    let cases: Vec<(Builtin, Vec<NodeId>)> = vec![
        (Builtin::Exp, vec![x]),
        (Builtin::Expm1, vec![x]),
        (Builtin::Log, vec![shifted]),
        (Builtin::Log1p, vec![x_sq]),
        (Builtin::Sqrt, vec![shifted]),
        (Builtin::Abs, vec![x]),
        (Builtin::Min, vec![x, y]),
        (Builtin::Max, vec![x, y]),
        (Builtin::Sin, vec![x]),
        (Builtin::Cos, vec![x]),
        (Builtin::Tanh, vec![x]),
        (Builtin::Pow, vec![shifted, x]),
        (Builtin::Exprel, vec![x]),
        (Builtin::Cosh, vec![x]),
        (Builtin::Sinh, vec![x]),
        (Builtin::Atan, vec![x]),
        (Builtin::Erf, vec![x]),
        (Builtin::Heaviside, vec![x]),
    ];
    for (builtin, args) in cases {
        let raw = r.call(builtin, args);
        let f = r.dag.simplify(raw);
        let d = r.dag.diff(f, Sym::State(0));
        for x0 in [-1.2, -0.3, 0.45, 1.1] {
            let symbolic = r
                .dag
                .eval(d, &|sym| if sym == Sym::State(0) { x0 } else { 0.7 });
            let numeric = numeric_derivative(&r, f, x0);
            assert!(
                (symbolic - numeric).abs() <= 1e-6 * (1.0 + numeric.abs()),
                "{}'({x0}) = {symbolic}, numerically {numeric}",
                builtin.name()
            );
        }
    }
}

#[test]
fn derivative_of_if_keeps_the_condition() {
    // (if x < y then x^2 else 3·x)' = if x < y then 2·x else 3
    let mut r = R::new();
    let (x, y, two, three) = (r.x(), r.y(), r.c(2.0), r.c(3.0));
    let c = r.dag.intern(Node::Logic(BinOp::Lt, x, y));
    let sq = r.pow(x, two);
    let lin = r.mul(vec![three, x]);
    let raw = r.dag.intern(Node::If(c, sq, lin));
    let f = r.dag.simplify(raw);
    let d = r.dag.diff(f, Sym::State(0));
    let two_x = r.mul(vec![two, x]);
    let two_x = r.dag.simplify(two_x);
    assert_eq!(r.dag.node(d), &Node::If(c, two_x, three));
}

#[test]
fn derivative_of_exprel_is_finite_and_accurate_near_zero() {
    // exprel'(u) = −1/2 + u/6 − u³/180 + …  (reference: that series, exact to 1e-20 here)
    let mut r = R::new();
    let x = r.x();
    let f = r.call(Builtin::Exprel, vec![x]);
    let f = r.dag.simplify(f);
    let d = r.dag.diff(f, Sym::State(0));
    for u in [0.0, 1e-12, -1e-9, 1e-6, 0.009, -0.011, 0.02] {
        let value = r.dag.eval(d, &|_| u);
        let series = -0.5 + u / 6.0 - u * u * u / 180.0 + u.powi(5) / 5040.0;
        assert!(
            (value - series).abs() < 1e-13,
            "exprel'({u}) = {value}, series {series}"
        );
    }
}

#[test]
fn derivative_of_phi_matches_its_series() {
    // φ'(x) = 1/2 + x/3 + x²/8 + x³/30 + x⁴/144 + …
    let mut r = R::new();
    let x = r.x();
    let f = r.dag.intern(Node::Call(Func::Phi, vec![x]));
    let d = r.dag.diff(f, Sym::State(0));
    for v in [0.0, 1e-8, -5e-4, 2e-3, -0.01] {
        let value = r.dag.eval(d, &|_| v);
        let series =
            0.5 + v / 3.0 + v * v / 8.0 + v.powi(3) / 30.0 + v.powi(4) / 144.0 + v.powi(5) / 840.0;
        assert!(
            (value - series).abs() < 1e-12,
            "phi'({v}) = {value}, series {series}"
        );
    }
}

#[test]
fn dimensions_follow_the_algebra() {
    // [0.1/(mV·ms)·(V + 40 mV)] = 1/ms, [V^2] = mV², [∂(V²)/∂V] = mV
    let mut dag = Dag::new(SymDims {
        params: vec![],
        inputs: vec![],
        states: vec![Dim::VOLTAGE],
        time: Dim::TIME,
    });
    let v = dag.sym(Sym::State(0));
    let forty = dag.constant(40.0, Dim::VOLTAGE);
    let k = dag.constant(0.1, Dim::VOLTAGE.mul(Dim::TIME).powi(-1));
    let shifted = dag.add(vec![v, forty]);
    let rate = dag.mul(vec![k, shifted]);
    assert_eq!(dag.dim(rate), Dim::TIME.powi(-1));
    let sq = dag.powf(v, 2.0);
    assert_eq!(dag.dim(sq), Dim::VOLTAGE.powi(2));
    let d = dag.diff(sq, Sym::State(0));
    assert_eq!(dag.dim(d), Dim::VOLTAGE);
    let zero = dag.diff(k, Sym::State(0));
    assert_eq!(dag.dim(zero), dag.dim(k).div(Dim::VOLTAGE));
}
