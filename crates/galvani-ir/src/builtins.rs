//! The one table of built-in functions (`TABLE`): for every function a model may call, and
//! for the internal `φ` of exponential Euler, its name, its value function, its derivative
//! (as data), how it prints, its dimension rule and its documented values at ±∞ and NaN.
//! The checker, the reference evaluator, the symbolic middle (constant folding,
//! differentiation, printing), the interpreter and the JIT all read this table, so the
//! maths of a built-in is written exactly once and every stage computes the same bits.
//!
//! Adding a built-in is: a `Builtin` variant, its value function below, and its row in
//! `TABLE` at the variant's position (a test checks every row sits at its function). The
//! code generator then calls the value function; it may instead emit an instruction that
//! computes the same bits (its `Lowering`), which `tests/tests/builtins.rs` checks.

use crate::model::BinOp;
use crate::step::Func;

/// A built-in function. User `fn`s are inlined by the checker and never appear here.
/// The declaration order is the order of `TABLE` (and of `Builtin::ALL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    Exp,
    Expm1,
    Log,
    Log1p,
    Sqrt,
    Abs,
    Min,
    Max,
    Sin,
    Cos,
    Tanh,
    Pow,
    /// `exprel(x) = x/(exp(x) - 1)`, with `exprel(0) = 1` (the reciprocal of SciPy's).
    Exprel,
    Cosh,
    Sinh,
    Atan,
    /// The error function, `erf(x) = 2/√π ∫₀ˣ e^(−t²) dt`.
    Erf,
    /// The unit step: 0 below 0, 1 above, ½ at 0; its argument may carry any dimension.
    Heaviside,
}

impl Builtin {
    pub const ALL: [Builtin; 18] = [
        Builtin::Exp,
        Builtin::Expm1,
        Builtin::Log,
        Builtin::Log1p,
        Builtin::Sqrt,
        Builtin::Abs,
        Builtin::Min,
        Builtin::Max,
        Builtin::Sin,
        Builtin::Cos,
        Builtin::Tanh,
        Builtin::Pow,
        Builtin::Exprel,
        Builtin::Cosh,
        Builtin::Sinh,
        Builtin::Atan,
        Builtin::Erf,
        Builtin::Heaviside,
    ];

    /// This built-in's row of `TABLE`.
    pub fn spec(self) -> &'static Spec {
        Func::Builtin(self).spec()
    }

    /// The name a model calls it by.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The built-in a model calls `name` (φ is internal and has no such name).
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    pub fn arity(self) -> usize {
        self.spec().arity()
    }
}

impl Func {
    /// Every function in `TABLE` order: the built-ins, then `φ`.
    pub const ALL: [Func; Builtin::ALL.len() + 1] = {
        let mut all = [Func::Phi; Builtin::ALL.len() + 1];
        let mut i = 0;
        while i < Builtin::ALL.len() {
            all[i] = Func::Builtin(Builtin::ALL[i]);
            i += 1;
        }
        all
    };

    /// This function's row of `TABLE`.
    pub fn spec(self) -> &'static Spec {
        let index = match self {
            Func::Builtin(b) => b as usize,
            Func::Phi => Builtin::ALL.len(),
        };
        &TABLE[index]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn arity(self) -> usize {
        self.spec().arity()
    }

    /// The function's value; a wrong number of arguments gives NaN.
    pub fn eval(self, args: &[f64]) -> f64 {
        self.spec().value.call(args)
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Spec {
    pub func: Func,
    /// The source name (and the plain-text and step-program spelling).
    pub name: &'static str,
    /// The one definition of its value, also the function generated code calls.
    pub value: ValueFn,
    pub derivative: Derivative,
    /// The dimension of the result and what the arguments' dimensions must be.
    pub dims: DimRule,
    /// Infinitely differentiable at every real argument (no kink, no domain boundary).
    /// Other functions stop an equation from being recognised as linear.
    pub smooth_everywhere: bool,
    /// The spelling in Unicode text (differs from `name` only for `φ`).
    pub unicode: &'static str,
    pub latex: Latex,
    /// Documented values at special arguments (±∞, NaN, signed zeros, limits), each
    /// checked bit for bit by this crate's tests.
    pub edges: &'static [Edge],
}

impl Spec {
    pub fn arity(&self) -> usize {
        self.value.arity()
    }
}

/// The value function of a built-in, `extern "C"` so that generated code can call it.
#[derive(Clone, Copy, Debug)]
pub enum ValueFn {
    Unary(extern "C" fn(f64) -> f64),
    Binary(extern "C" fn(f64, f64) -> f64),
}

impl ValueFn {
    pub fn arity(self) -> usize {
        match self {
            ValueFn::Unary(_) => 1,
            ValueFn::Binary(_) => 2,
        }
    }

    /// Calls the function; a wrong number of arguments gives NaN.
    pub fn call(self, args: &[f64]) -> f64 {
        match (self, args) {
            (ValueFn::Unary(f), [x]) => f(*x),
            (ValueFn::Binary(f), [x, y]) => f(*x, *y),
            _ => f64::NAN,
        }
    }

    /// The function's address, for a JIT's symbol table.
    pub fn address(self) -> *const u8 {
        match self {
            ValueFn::Unary(f) => f as *const u8,
            ValueFn::Binary(f) => f as *const u8,
        }
    }
}

/// A documented value: `f(args) = value`, bit for bit (NaN matching NaN).
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub args: &'static [f64],
    pub value: f64,
}

/// How the result's dimension follows from the arguments'.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DimRule {
    /// Dimensionless arguments, dimensionless result (`exp`, `sin`, `exprel`, …).
    Dimensionless,
    /// All arguments of one dimension, the result of that dimension (`abs`, `min`, `max`).
    SameAsArguments,
    /// The argument's dimension to the power 1/2 (`sqrt(4 mV^2) = 2 mV`).
    SquareRoot,
    /// `pow(x, p)`: the dimension of `x` to the power `p`, which must then be a constant
    /// (the same rule as the operator `^`).
    Power,
    /// One argument of any dimension, a dimensionless result that depends only on the
    /// argument's sign (`heaviside(V - 10 mV)`): every unit scale is positive, so the
    /// unit it is measured in cannot change the value.
    SignOfArgument,
}

/// How a call prints in LaTeX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latex {
    /// A LaTeX command: `\exp\left(x\right)`.
    Command(&'static str),
    /// `\operatorname{exprel}\left(x\right)`, with the built-in's name.
    OperatorName,
    /// `\sqrt{x}`.
    SquareRoot,
    /// `\left|x\right|`.
    AbsoluteBars,
}

/// The derivative of a built-in, as data the symbolic middle turns into DAG nodes.
#[derive(Clone, Copy, Debug)]
pub enum Derivative {
    /// One argument `u`: the chain rule `f(u)' = f'(u)·u'`, with `f'(u)` given as a formula.
    Chain(&'static Formula),
    /// `min`/`max`: `f(a, b)' = if a op b then a' else b'` — the derivative of the
    /// argument the function picks (`op` is `<=` for `min`, `>=` for `max`).
    OfPicked(BinOp),
    /// `pow(a, b)`: the power rule of `a^b`, as for the operator `^`.
    Power,
    /// A piecewise-constant function (`heaviside`): the derivative is 0 wherever it exists
    /// (everywhere but the jump), and the symbolic middle uses 0 everywhere, so a
    /// linearisation treats the function as constant on each side of its jump.
    PiecewiseConstant,
}

/// `f'(u)` written over the argument `u` and the call's own value `f(u)`. Evaluated
/// children first, left to right, so a formula builds its nodes in a fixed order.
#[derive(Clone, Copy, Debug)]
pub enum Formula {
    /// The argument `u`.
    Arg,
    /// The value of the call `f(u)` itself (e.g. `exp' = exp`).
    Result,
    /// A dimensionless constant.
    Const(f64),
    /// Zero with the dimension of `u` (to compare `u` against).
    ZeroLikeArg,
    /// A one-argument call.
    Call(Func, &'static Formula),
    Sum(&'static [Formula]),
    Product(&'static [Formula]),
    Neg(&'static Formula),
    /// `a − b`.
    Difference(&'static Formula, &'static Formula),
    /// `a^k` for a constant `k`.
    Power(&'static Formula, f64),
    /// `a < b` (1.0 or 0.0).
    Less(&'static Formula, &'static Formula),
    /// `if c then a else b`.
    If(&'static Formula, &'static Formula, &'static Formula),
    /// `if |u| < below then Σ series[k]·uᵏ else otherwise`: a Taylor series where the
    /// closed form `otherwise` loses digits (evaluated: series, otherwise, condition).
    SeriesBelow {
        below: f64,
        series: &'static [f64],
        otherwise: &'static Formula,
    },
}

const ARG: Formula = Formula::Arg;

/// `f(args) = value`, a row's documented edge.
const fn edge(args: &'static [f64], value: f64) -> Edge {
    Edge { args, value }
}
const fn call(builtin: Builtin, arg: &'static Formula) -> Formula {
    Formula::Call(Func::Builtin(builtin), arg)
}

// ---------------------------------------------------------------------------------------
// The value functions. Each is the only definition of its maths in galvani.
// ---------------------------------------------------------------------------------------

/// Below this |x|, `exprel` and `φ` use their Taylor series: `x/expm1(x)` is 0/0 at
/// x = 0, and the series' first dropped term (x⁴/720 resp. x⁴/120) is < 1e-21 here.
pub const SERIES_BELOW: f64 = 1e-5;

/// `exp(x) = eˣ`; `exp(1) ≈ 2.718281828`.
pub extern "C" fn exp(x: f64) -> f64 {
    x.exp()
}
/// `expm1(x) = eˣ − 1`, accurate near 0: `expm1(1e-10) = 1.00000000005e-10` where
/// `exp(1e-10) − 1` keeps only 7 digits.
pub extern "C" fn expm1(x: f64) -> f64 {
    x.exp_m1()
}
/// The natural logarithm `ln x`; `log(e) = 1`, `log(0) = −∞`, `log(−1) = NaN`.
pub extern "C" fn log(x: f64) -> f64 {
    x.ln()
}
/// `log1p(x) = ln(1 + x)`, accurate near 0: `log1p(1e-10) ≈ 9.9999999995e-11`.
pub extern "C" fn log1p(x: f64) -> f64 {
    x.ln_1p()
}
/// The correctly rounded square root (the hardware instruction the JIT emits gives the
/// same bits); `sqrt(2) ≈ 1.414213562`, `sqrt(−0) = −0`, `sqrt(−1) = NaN`.
pub extern "C" fn sqrt(x: f64) -> f64 {
    x.sqrt()
}
/// `|x|`, clearing the sign bit (as `fabs`): `abs(−0) = +0`.
pub extern "C" fn abs(x: f64) -> f64 {
    x.abs()
}
/// `min` with Cranelift's `fmin` semantics (what the JIT emits): NaN if either operand is
/// NaN, and −0 < +0; `min(−0, +0) = −0`, `min(NaN, 1) = NaN`.
pub extern "C" fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a < b {
        a
    } else if b < a {
        b
    } else if a.is_sign_negative() {
        a
    } else {
        b
    }
}
/// `max` with Cranelift's `fmax` semantics: NaN if either operand is NaN, and +0 > −0;
/// `max(−0, +0) = +0`.
pub extern "C" fn max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a > b {
        a
    } else if b > a {
        b
    } else if a.is_sign_positive() {
        a
    } else {
        b
    }
}
/// `sin x` (radians); `sin(±∞) = NaN`.
pub extern "C" fn sin(x: f64) -> f64 {
    x.sin()
}
/// `cos x` (radians); `cos(0) = 1`.
pub extern "C" fn cos(x: f64) -> f64 {
    x.cos()
}
/// `tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)`; `tanh(±∞) = ±1`.
pub extern "C" fn tanh(x: f64) -> f64 {
    x.tanh()
}
/// `pow(x, y) = xʸ` (IEEE `pow`): `pow(2, 0.5) = √2`, `pow(NaN, 0) = 1`, `pow(−8, 1/3) = NaN`.
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// `cosh x = (eˣ + e⁻ˣ)/2`; `cosh(0) = 1`, `cosh(±∞) = +∞`.
pub extern "C" fn cosh(x: f64) -> f64 {
    x.cosh()
}
/// `sinh x = (eˣ − e⁻ˣ)/2`; `sinh(−0) = −0`, `sinh(±∞) = ±∞`.
pub extern "C" fn sinh(x: f64) -> f64 {
    x.sinh()
}
/// `atan x`, the inverse tangent in (−π/2, π/2); `atan(±∞) = ±π/2` (the double nearest).
pub extern "C" fn atan(x: f64) -> f64 {
    x.atan()
}
/// The error function `erf x = 2/√π ∫₀ˣ e^(−t²) dt`, from the `libm` crate (a port of
/// musl's, accurate to about 1 ulp): `erf(±∞) = ±1`, `erf(−0) = −0`, `erf(1) ≈ 0.8427008`.
/// Rust's standard library has no `erf`; `libm` is the well-kept, pure-Rust one.
pub extern "C" fn erf(x: f64) -> f64 {
    libm::erf(x)
}
/// The unit step `H(x)`: 0 for x < 0, 1 for x > 0, NaN for NaN, and `H(±0) = ½`.
/// ½ at 0 is the half-maximum convention: the mean of the two one-sided limits, the value
/// every smooth step (`(1 + tanh(x/k))/2`, `(1 + erf(x/k))/2`) takes at 0 for every k,
/// and the same for +0 and −0, so a step is symmetric and no unit or sign of zero decides it.
pub extern "C" fn heaviside(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        0.0
    } else if x == 0.0 {
        0.5
    } else {
        x
    }
}

/// `exprel(x) = x/(eˣ − 1)`, `exprel(0) = 1` (the reciprocal of SciPy's `exprel`).
/// Near 0 the series `1 − x/2 + x²/12` (next term −x⁴/720, below rounding there).
/// Limits: `exprel(+∞) = 0`, `exprel(−∞) = +∞`. Example: `exprel(1) = 1/(e − 1) ≈
/// 0.5819767`, `exprel(1e-6) = 0.9999995000000834`.
pub extern "C" fn exprel(x: f64) -> f64 {
    if x.abs() < SERIES_BELOW {
        1.0 - x / 2.0 + x * x / 12.0
    } else if x == f64::INFINITY {
        // ∞/∞ in the quotient; the limit is 0.
        0.0
    } else {
        x / x.exp_m1()
    }
}

/// `φ(x) = (eˣ − 1)/x`, `φ(0) = 1`: the exponential-Euler weight. Near 0 the series
/// `1 + x/2 + x²/6 + x³/24` (next term x⁴/120). Limits: `φ(+∞) = +∞`, `φ(−∞) = 0`.
/// Example: `φ(−1) = 1 − 1/e ≈ 0.6321206`.
pub extern "C" fn phi(x: f64) -> f64 {
    if x.abs() < SERIES_BELOW {
        1.0 + x * (0.5 + x * (1.0 / 6.0 + x / 24.0))
    } else if x == f64::INFINITY {
        // ∞/∞ in the quotient; the limit is +∞.
        f64::INFINITY
    } else {
        x.exp_m1() / x
    }
}

/// The arguments at which every path that evaluates `func` (the reference evaluator, the
/// symbolic DAG and its constant folding, the interpreter, the JIT) must give the value
/// function's bits; the cross-path tests use them. 0, −0, ±1, ±1e-8, ±710 (where `exp`
/// overflows), ±1e300, ±f64::MAX, ±∞, NaN, `SERIES_BELOW` and its two neighbours on both
/// sides of 0, the smallest subnormal ±5e-324 (the first value past `heaviside`'s jump),
/// the points where `libm`'s `erf` changes its rational approximation (0.84375, 1.25,
/// 1/0.35, and 6 where it rounds to ±1), in every combination for two arguments, then the
/// row's documented edges.
pub fn special_arguments(func: Func) -> Vec<Vec<f64>> {
    let switch = SERIES_BELOW;
    let positive = [
        1.0,
        1e-8,
        710.0,
        1e300,
        f64::MAX,
        f64::INFINITY,
        switch,
        f64::from_bits(switch.to_bits() + 1),
        f64::from_bits(switch.to_bits() - 1),
        5e-324,
        0.84375,
        1.25,
        1.0 / 0.35,
        6.0,
    ];
    let mut values = vec![0.0, -0.0, f64::NAN];
    for x in positive {
        values.push(x);
        values.push(-x);
    }
    // Every combination: one list per value for one argument, every pair for two, …
    let mut lists: Vec<Vec<f64>> = vec![Vec::new()];
    for _ in 0..func.arity() {
        lists = lists
            .iter()
            .flat_map(|list| {
                values
                    .iter()
                    .map(move |&x| [list.as_slice(), &[x]].concat())
            })
            .collect();
    }
    lists.extend(func.spec().edges.iter().map(|e| e.args.to_vec()));
    lists
}

// ---------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

/// Below this |u| the derivative of `exprel` uses its Taylor series: the quotient form
/// loses about `ε/|u|` relative accuracy (2e-14 at the switch), the series' first
/// omitted term `u⁷/1 209 600` is below 1e-20 there.
const EXPREL_DERIVATIVE_SERIES_BELOW: f64 = 0.01;
/// The same for `φ`: quotient error `ε/|x|` ≈ 2e-13, omitted term `x⁵/840` ≈ 1e-18.
const PHI_DERIVATIVE_SERIES_BELOW: f64 = 1e-3;

/// Every built-in in `Builtin` order, then `φ` (`Func::spec` indexes it).
pub static TABLE: [Spec; Builtin::ALL.len() + 1] = [
    Spec {
        func: Func::Builtin(Builtin::Exp),
        name: "exp",
        value: ValueFn::Unary(exp),
        // exp' = exp
        derivative: Derivative::Chain(&Formula::Result),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "exp",
        latex: Latex::Command("\\exp"),
        edges: &[
            edge(&[0.0], 1.0),
            edge(&[INF], INF),
            edge(&[-INF], 0.0),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Expm1),
        name: "expm1",
        value: ValueFn::Unary(expm1),
        // expm1'(u) = exp(u)
        derivative: Derivative::Chain(&call(Builtin::Exp, &ARG)),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "expm1",
        latex: Latex::OperatorName,
        edges: &[
            edge(&[-0.0], -0.0),
            edge(&[INF], INF),
            edge(&[-INF], -1.0),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Log),
        name: "log",
        value: ValueFn::Unary(log),
        // log'(u) = 1/u
        derivative: Derivative::Chain(&Formula::Power(&ARG, -1.0)),
        dims: DimRule::Dimensionless,
        smooth_everywhere: false,
        unicode: "log",
        latex: Latex::Command("\\log"),
        edges: &[
            edge(&[1.0], 0.0),
            edge(&[0.0], -INF),
            edge(&[-1.0], NAN),
            edge(&[INF], INF),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Log1p),
        name: "log1p",
        value: ValueFn::Unary(log1p),
        // log1p'(u) = 1/(1 + u)
        derivative: Derivative::Chain(&Formula::Power(
            &Formula::Sum(&[Formula::Const(1.0), ARG]),
            -1.0,
        )),
        dims: DimRule::Dimensionless,
        smooth_everywhere: false,
        unicode: "log1p",
        latex: Latex::OperatorName,
        edges: &[
            edge(&[-0.0], -0.0),
            edge(&[-1.0], -INF),
            edge(&[-2.0], NAN),
            edge(&[INF], INF),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Sqrt),
        name: "sqrt",
        value: ValueFn::Unary(sqrt),
        // sqrt'(u) = 1/(2·sqrt(u))
        derivative: Derivative::Chain(&Formula::Product(&[
            Formula::Const(0.5),
            Formula::Power(&Formula::Result, -1.0),
        ])),
        dims: DimRule::SquareRoot,
        smooth_everywhere: false,
        unicode: "sqrt",
        latex: Latex::SquareRoot,
        edges: &[
            edge(&[-0.0], -0.0),
            edge(&[-1.0], NAN),
            edge(&[INF], INF),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Abs),
        name: "abs",
        value: ValueFn::Unary(abs),
        // abs'(u) = sign(u) = if u < 0 then −1 else 1
        derivative: Derivative::Chain(&Formula::If(
            &Formula::Less(&ARG, &Formula::ZeroLikeArg),
            &Formula::Const(-1.0),
            &Formula::Const(1.0),
        )),
        dims: DimRule::SameAsArguments,
        smooth_everywhere: false,
        unicode: "abs",
        latex: Latex::AbsoluteBars,
        edges: &[edge(&[-0.0], 0.0), edge(&[-INF], INF), edge(&[NAN], NAN)],
    },
    Spec {
        func: Func::Builtin(Builtin::Min),
        name: "min",
        value: ValueFn::Binary(min),
        // min(a, b)' = if a <= b then a' else b'
        derivative: Derivative::OfPicked(BinOp::Le),
        dims: DimRule::SameAsArguments,
        smooth_everywhere: false,
        unicode: "min",
        latex: Latex::Command("\\min"),
        edges: &[
            edge(&[-0.0, 0.0], -0.0),
            edge(&[0.0, -0.0], -0.0),
            edge(&[NAN, 1.0], NAN),
            edge(&[1.0, NAN], NAN),
            edge(&[-INF, INF], -INF),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Max),
        name: "max",
        value: ValueFn::Binary(max),
        // max(a, b)' = if a >= b then a' else b'
        derivative: Derivative::OfPicked(BinOp::Ge),
        dims: DimRule::SameAsArguments,
        smooth_everywhere: false,
        unicode: "max",
        latex: Latex::Command("\\max"),
        edges: &[
            edge(&[-0.0, 0.0], 0.0),
            edge(&[0.0, -0.0], 0.0),
            edge(&[NAN, 1.0], NAN),
            edge(&[1.0, NAN], NAN),
            edge(&[-INF, INF], INF),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Sin),
        name: "sin",
        value: ValueFn::Unary(sin),
        // sin' = cos
        derivative: Derivative::Chain(&call(Builtin::Cos, &ARG)),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "sin",
        latex: Latex::Command("\\sin"),
        edges: &[
            edge(&[-0.0], -0.0),
            edge(&[INF], NAN),
            edge(&[-INF], NAN),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Cos),
        name: "cos",
        value: ValueFn::Unary(cos),
        // cos' = −sin
        derivative: Derivative::Chain(&Formula::Neg(&call(Builtin::Sin, &ARG))),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "cos",
        latex: Latex::Command("\\cos"),
        edges: &[
            edge(&[0.0], 1.0),
            edge(&[INF], NAN),
            edge(&[-INF], NAN),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Tanh),
        name: "tanh",
        value: ValueFn::Unary(tanh),
        // tanh' = 1 − tanh²
        derivative: Derivative::Chain(&Formula::Sum(&[
            Formula::Const(1.0),
            Formula::Neg(&Formula::Power(&Formula::Result, 2.0)),
        ])),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "tanh",
        latex: Latex::Command("\\tanh"),
        edges: &[
            edge(&[-0.0], -0.0),
            edge(&[INF], 1.0),
            edge(&[-INF], -1.0),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Pow),
        name: "pow",
        value: ValueFn::Binary(pow),
        derivative: Derivative::Power,
        dims: DimRule::Power,
        smooth_everywhere: false,
        unicode: "pow",
        latex: Latex::OperatorName,
        edges: &[
            edge(&[NAN, 0.0], 1.0),
            edge(&[1.0, NAN], 1.0),
            edge(&[2.0, NAN], NAN),
            edge(&[0.0, -1.0], INF),
            edge(&[-8.0, 1.0 / 3.0], NAN),
            edge(&[INF, -1.0], 0.0),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Exprel),
        name: "exprel",
        value: ValueFn::Unary(exprel),
        // exprel'(u) = (expm1(u) − u·exp(u))/expm1(u)², which is 0/0 at u = 0 (limit
        // −1/2) and loses digits near it; there the series of `exprel(u) = Σ Bₙuⁿ/n!`
        // differentiated: `−1/2 + u/6 − u³/180 + u⁵/5040`. E.g. exprel'(0.001) ≈ −0.49983.
        derivative: Derivative::Chain(&Formula::SeriesBelow {
            below: EXPREL_DERIVATIVE_SERIES_BELOW,
            series: &[-0.5, 1.0 / 6.0, 0.0, -1.0 / 180.0, 0.0, 1.0 / 5040.0],
            otherwise: &Formula::Product(&[
                Formula::Difference(
                    &call(Builtin::Expm1, &ARG),
                    &Formula::Product(&[ARG, call(Builtin::Exp, &ARG)]),
                ),
                Formula::Power(&call(Builtin::Expm1, &ARG), -2.0),
            ]),
        }),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "exprel",
        latex: Latex::OperatorName,
        edges: &[
            edge(&[0.0], 1.0),
            edge(&[-0.0], 1.0),
            edge(&[INF], 0.0),
            edge(&[-INF], INF),
            edge(&[1000.0], 0.0),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Cosh),
        name: "cosh",
        value: ValueFn::Unary(cosh),
        // cosh' = sinh
        derivative: Derivative::Chain(&call(Builtin::Sinh, &ARG)),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "cosh",
        latex: Latex::Command("\\cosh"),
        edges: &[
            edge(&[0.0], 1.0),
            edge(&[-0.0], 1.0),
            edge(&[INF], INF),
            edge(&[-INF], INF),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Sinh),
        name: "sinh",
        value: ValueFn::Unary(sinh),
        // sinh' = cosh
        derivative: Derivative::Chain(&call(Builtin::Cosh, &ARG)),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "sinh",
        latex: Latex::Command("\\sinh"),
        edges: &[
            edge(&[-0.0], -0.0),
            edge(&[INF], INF),
            edge(&[-INF], -INF),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Atan),
        name: "atan",
        value: ValueFn::Unary(atan),
        // atan'(u) = 1/(1 + u²)
        derivative: Derivative::Chain(&Formula::Power(
            &Formula::Sum(&[Formula::Const(1.0), Formula::Power(&ARG, 2.0)]),
            -1.0,
        )),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "atan",
        latex: Latex::Command("\\arctan"),
        edges: &[
            edge(&[-0.0], -0.0),
            edge(&[INF], std::f64::consts::FRAC_PI_2),
            edge(&[-INF], -std::f64::consts::FRAC_PI_2),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Erf),
        name: "erf",
        value: ValueFn::Unary(erf),
        // erf'(u) = 2/√π · exp(−u²)
        derivative: Derivative::Chain(&Formula::Product(&[
            Formula::Const(std::f64::consts::FRAC_2_SQRT_PI),
            call(Builtin::Exp, &Formula::Neg(&Formula::Power(&ARG, 2.0))),
        ])),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "erf",
        latex: Latex::OperatorName,
        edges: &[
            edge(&[0.0], 0.0),
            edge(&[-0.0], -0.0),
            edge(&[6.0], 1.0),
            edge(&[INF], 1.0),
            edge(&[-INF], -1.0),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Builtin(Builtin::Heaviside),
        name: "heaviside",
        value: ValueFn::Unary(heaviside),
        // 0 everywhere but the jump at 0, where no derivative exists; the symbolic middle
        // takes 0 there too, so a linearisation sees a constant on each side.
        derivative: Derivative::PiecewiseConstant,
        dims: DimRule::SignOfArgument,
        smooth_everywhere: false,
        unicode: "heaviside",
        latex: Latex::Command("\\Theta"),
        edges: &[
            edge(&[0.0], 0.5),
            edge(&[-0.0], 0.5),
            edge(&[5e-324], 1.0),
            edge(&[-5e-324], 0.0),
            edge(&[INF], 1.0),
            edge(&[-INF], 0.0),
            edge(&[NAN], NAN),
        ],
    },
    Spec {
        func: Func::Phi,
        name: "phi",
        value: ValueFn::Unary(phi),
        // φ'(x) = (x·exp(x) − expm1(x))/x², near 0 the series of `φ(x) = Σ xᵏ/(k+1)!`
        // differentiated: `1/2 + x/3 + x²/8 + x³/30 + x⁴/144`. E.g. φ'(0) = 1/2.
        derivative: Derivative::Chain(&Formula::SeriesBelow {
            below: PHI_DERIVATIVE_SERIES_BELOW,
            series: &[0.5, 1.0 / 3.0, 1.0 / 8.0, 1.0 / 30.0, 1.0 / 144.0],
            otherwise: &Formula::Product(&[
                Formula::Difference(
                    &Formula::Product(&[ARG, call(Builtin::Exp, &ARG)]),
                    &call(Builtin::Expm1, &ARG),
                ),
                Formula::Power(&ARG, -2.0),
            ]),
        }),
        dims: DimRule::Dimensionless,
        smooth_everywhere: true,
        unicode: "φ",
        latex: Latex::Command("\\varphi"),
        edges: &[
            edge(&[0.0], 1.0),
            edge(&[-0.0], 1.0),
            edge(&[INF], INF),
            edge(&[-INF], 0.0),
            edge(&[NAN], NAN),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn same_bits(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
    }

    #[test]
    fn every_row_sits_at_its_function_and_names_are_unique() {
        for (i, func) in Func::ALL.into_iter().enumerate() {
            assert_eq!(TABLE[i].func, func, "row {i}");
            assert_eq!(func.spec().func, func);
        }
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
        assert_eq!(Builtin::from_name("exprel"), Some(Builtin::Exprel));
        assert_eq!(Builtin::from_name("phi"), None);
        assert_eq!(Builtin::Pow.arity(), 2);
        assert_eq!(Func::Phi.arity(), 1);
    }

    #[test]
    fn documented_edges_hold_bit_for_bit() {
        for spec in &TABLE {
            for edge in spec.edges {
                assert_eq!(edge.args.len(), spec.arity(), "{}", spec.name);
                let got = spec.value.call(edge.args);
                assert!(
                    same_bits(got, edge.value),
                    "{}{:?} = {got}, documented {}",
                    spec.name,
                    edge.args,
                    edge.value
                );
            }
        }
    }

    #[test]
    fn exprel_and_phi_are_continuous_at_the_series_switch() {
        for &x in &[1e-5, -1e-5, 0.999e-5, -0.999e-5, 1.001e-5] {
            let direct_exprel = x / f64::exp_m1(x);
            assert!((exprel(x) - direct_exprel).abs() < 1e-15, "{x}");
            let direct_phi = f64::exp_m1(x) / x;
            assert!((phi(x) - direct_phi).abs() < 1e-15, "{x}");
        }
    }

    #[test]
    fn exprel_and_phi_values() {
        let e = std::f64::consts::E;
        assert!((exprel(1.0) - 1.0 / (e - 1.0)).abs() < 1e-15);
        assert!((phi(-1.0) - (1.0 - 1.0 / e)).abs() < 1e-15);
        // 1e-8: series 1 − 5e-9 + …, the direct form agrees to rounding.
        assert!((exprel(1e-8) - (1.0 - 5e-9)).abs() < 1e-16);
        for x in [
            1e-6f64, -1e-6, 9.9e-6, -9.9e-6, 1.1e-5, -1.1e-5, 1e-3, -1e-3,
        ] {
            // 1 / (expm1(x)/x) with expm1(x)/x = 1 + x/2 + x²/6 + x³/24 + x⁴/120 + …,
            // truncated far below rounding for |x| ≤ 1e-3.
            let reference =
                1.0 / (1.0 + x / 2.0 + x * x / 6.0 + x * x * x / 24.0 + x.powi(4) / 120.0);
            assert!((exprel(x) - reference).abs() <= 4e-16, "x={x}");
        }
    }

    #[test]
    fn calls_check_their_argument_count() {
        assert_eq!(Func::Builtin(Builtin::Pow).eval(&[2.0, 0.5]), 2f64.sqrt());
        assert_eq!(Func::Builtin(Builtin::Exp).eval(&[1.0]), 1f64.exp());
        assert!(Func::Builtin(Builtin::Exp).eval(&[1.0, 2.0]).is_nan());
        assert!(Func::Phi.eval(&[]).is_nan());
    }
}
