//! The math functions generated code calls (`extern "C"`, registered with the JIT under
//! `galvani_*` names) and the interpreter calls directly, so both back ends compute
//! bit-identical results. Also the one decision of how each `Func`/`BinOp::Pow` is
//! evaluated (`Lowering`), shared by the JIT and the interpreter.

use galvani_ir::model::Builtin;
use galvani_ir::step::{Func, Inst};

/// Below this |x|, `exprel` and `phi` use their Taylor series: `x/expm1(x)` is 0/0 at
/// x = 0, and the series' first dropped term (x⁴/720 resp. x⁴/120) is < 1e-21 here.
const SERIES_BELOW: f64 = 1e-5;

/// `exp(x)`
pub extern "C" fn galvani_exp(x: f64) -> f64 {
    x.exp()
}
/// `expm1(x) = exp(x) − 1`, accurate near 0
pub extern "C" fn galvani_expm1(x: f64) -> f64 {
    x.exp_m1()
}
/// natural logarithm
pub extern "C" fn galvani_log(x: f64) -> f64 {
    x.ln()
}
/// `log1p(x) = ln(1 + x)`, accurate near 0
pub extern "C" fn galvani_log1p(x: f64) -> f64 {
    x.ln_1p()
}
pub extern "C" fn galvani_sin(x: f64) -> f64 {
    x.sin()
}
pub extern "C" fn galvani_cos(x: f64) -> f64 {
    x.cos()
}
pub extern "C" fn galvani_tanh(x: f64) -> f64 {
    x.tanh()
}
/// `pow(x, y) = x^y`
pub extern "C" fn galvani_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// `exprel(x) = x/(eˣ − 1)`, `exprel(0) = 1` (the reciprocal of SciPy's `exprel`).
/// Near 0 the series `1 − x/2 + x²/12` (next term −x⁴/720). Limits: `exprel(+∞) = 0`,
/// `exprel(−∞) = +∞`. Example: `exprel(1) = 1/(e − 1) ≈ 0.5819767`.
pub extern "C" fn galvani_exprel(x: f64) -> f64 {
    if x.abs() < SERIES_BELOW {
        1.0 - x / 2.0 + x * x / 12.0
    } else if x == f64::INFINITY {
        0.0
    } else {
        x / x.exp_m1()
    }
}

/// `φ(x) = (eˣ − 1)/x`, `φ(0) = 1`: the exponential-Euler weight. Near 0 the series
/// `1 + x/2 + x²/6 + x³/24` (next term x⁴/120). Limits: `φ(+∞) = +∞`, `φ(−∞) = 0`.
/// Example: `φ(−1) = 1 − 1/e ≈ 0.6321206`.
pub extern "C" fn galvani_phi(x: f64) -> f64 {
    if x.abs() < SERIES_BELOW {
        1.0 + x * (0.5 + x * (1.0 / 6.0 + x / 24.0))
    } else if x == f64::INFINITY {
        f64::INFINITY
    } else {
        x.exp_m1() / x
    }
}

/// `min` with Cranelift's `fmin` semantics (what the JIT emits): NaN if either operand is
/// NaN, and −0 < +0.
pub fn fmin(a: f64, b: f64) -> f64 {
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

/// `max` with Cranelift's `fmax` semantics: NaN if either operand is NaN, and +0 > −0.
pub fn fmax(a: f64, b: f64) -> f64 {
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

/// A function implemented in Rust and called from generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuntimeFn {
    Exp,
    Expm1,
    Log,
    Log1p,
    Sin,
    Cos,
    Tanh,
    Pow,
    Exprel,
    Phi,
}

impl RuntimeFn {
    pub const ALL: [RuntimeFn; 10] = [
        RuntimeFn::Exp,
        RuntimeFn::Expm1,
        RuntimeFn::Log,
        RuntimeFn::Log1p,
        RuntimeFn::Sin,
        RuntimeFn::Cos,
        RuntimeFn::Tanh,
        RuntimeFn::Pow,
        RuntimeFn::Exprel,
        RuntimeFn::Phi,
    ];

    /// The symbol name the JIT resolves.
    pub fn symbol(self) -> &'static str {
        match self {
            RuntimeFn::Exp => "galvani_exp",
            RuntimeFn::Expm1 => "galvani_expm1",
            RuntimeFn::Log => "galvani_log",
            RuntimeFn::Log1p => "galvani_log1p",
            RuntimeFn::Sin => "galvani_sin",
            RuntimeFn::Cos => "galvani_cos",
            RuntimeFn::Tanh => "galvani_tanh",
            RuntimeFn::Pow => "galvani_pow",
            RuntimeFn::Exprel => "galvani_exprel",
            RuntimeFn::Phi => "galvani_phi",
        }
    }

    pub fn arity(self) -> usize {
        match self {
            RuntimeFn::Pow => 2,
            _ => 1,
        }
    }

    /// The function's address, for `JITBuilder::symbol`.
    pub fn address(self) -> *const u8 {
        match self {
            RuntimeFn::Pow => galvani_pow as extern "C" fn(f64, f64) -> f64 as *const u8,
            _ => self.unary() as *const u8,
        }
    }

    fn unary(self) -> extern "C" fn(f64) -> f64 {
        match self {
            RuntimeFn::Exp => galvani_exp,
            RuntimeFn::Expm1 => galvani_expm1,
            RuntimeFn::Log => galvani_log,
            RuntimeFn::Log1p => galvani_log1p,
            RuntimeFn::Sin => galvani_sin,
            RuntimeFn::Cos => galvani_cos,
            RuntimeFn::Tanh => galvani_tanh,
            RuntimeFn::Exprel => galvani_exprel,
            RuntimeFn::Phi => galvani_phi,
            // Binary; `eval` and `address` handle it before reaching here.
            RuntimeFn::Pow => galvani_exp,
        }
    }

    /// Calls the function (the interpreter's path). `args` has `arity()` values.
    pub fn eval(self, args: &[f64]) -> f64 {
        match (self, args) {
            (RuntimeFn::Pow, [x, y]) => galvani_pow(*x, *y),
            (_, [x]) => (self.unary())(*x),
            _ => f64::NAN,
        }
    }
}

/// How one call or `^` is evaluated; the JIT and the interpreter both follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lowering {
    Runtime(RuntimeFn),
    /// Hardware square root (correctly rounded in both back ends).
    Sqrt,
    Abs,
    Min,
    Max,
    /// `x^k` for a small integer constant `k` as repeated multiplication,
    /// `((x·x)·x)·…` (k − 1 multiplications): no call, error ≤ (k − 1)/2 ulp.
    IntegerPower(u32),
}

impl Lowering {
    pub fn of_func(func: Func) -> Lowering {
        match func {
            Func::Phi => Lowering::Runtime(RuntimeFn::Phi),
            Func::Builtin(b) => match b {
                Builtin::Exp => Lowering::Runtime(RuntimeFn::Exp),
                Builtin::Expm1 => Lowering::Runtime(RuntimeFn::Expm1),
                Builtin::Log => Lowering::Runtime(RuntimeFn::Log),
                Builtin::Log1p => Lowering::Runtime(RuntimeFn::Log1p),
                Builtin::Sqrt => Lowering::Sqrt,
                Builtin::Abs => Lowering::Abs,
                Builtin::Min => Lowering::Min,
                Builtin::Max => Lowering::Max,
                Builtin::Sin => Lowering::Runtime(RuntimeFn::Sin),
                Builtin::Cos => Lowering::Runtime(RuntimeFn::Cos),
                Builtin::Tanh => Lowering::Runtime(RuntimeFn::Tanh),
                Builtin::Pow => Lowering::Runtime(RuntimeFn::Pow),
                Builtin::Exprel => Lowering::Runtime(RuntimeFn::Exprel),
            },
        }
    }

    /// `base ^ exponent` (operator or `pow`), where `exponent_inst` defines the exponent:
    /// a constant 2, 3 or 4 becomes repeated multiplication, anything else a `pow` call.
    pub fn of_power(exponent_inst: &Inst) -> Lowering {
        match exponent_inst {
            Inst::Const(c) if *c == 2.0 => Lowering::IntegerPower(2),
            Inst::Const(c) if *c == 3.0 => Lowering::IntegerPower(3),
            Inst::Const(c) if *c == 4.0 => Lowering::IntegerPower(4),
            _ => Lowering::Runtime(RuntimeFn::Pow),
        }
    }

    pub fn arity(self) -> usize {
        match self {
            Lowering::Runtime(f) => f.arity(),
            Lowering::Min | Lowering::Max | Lowering::IntegerPower(_) => 2,
            Lowering::Sqrt | Lowering::Abs => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exprel_and_phi_are_continuous_at_the_series_switch() {
        for &x in &[1e-5, -1e-5, 0.999e-5, -0.999e-5, 1.001e-5] {
            let direct_exprel = x / f64::exp_m1(x);
            assert!((galvani_exprel(x) - direct_exprel).abs() < 1e-15, "{x}");
            let direct_phi = f64::exp_m1(x) / x;
            assert!((galvani_phi(x) - direct_phi).abs() < 1e-15, "{x}");
        }
        assert_eq!(galvani_exprel(0.0), 1.0);
        assert_eq!(galvani_phi(0.0), 1.0);
        assert_eq!(galvani_phi(-0.0), 1.0);
    }

    #[test]
    fn exprel_and_phi_values_and_limits() {
        let e = std::f64::consts::E;
        assert!((galvani_exprel(1.0) - 1.0 / (e - 1.0)).abs() < 1e-15);
        assert!((galvani_phi(-1.0) - (1.0 - 1.0 / e)).abs() < 1e-15);
        assert_eq!(galvani_exprel(f64::INFINITY), 0.0);
        assert_eq!(galvani_exprel(f64::NEG_INFINITY), f64::INFINITY);
        assert_eq!(galvani_phi(f64::INFINITY), f64::INFINITY);
        assert_eq!(galvani_phi(f64::NEG_INFINITY), 0.0);
        assert_eq!(galvani_exprel(1000.0), 0.0);
        assert!(galvani_exprel(f64::NAN).is_nan());
        assert!(galvani_phi(f64::NAN).is_nan());
        // 1e-8: series 1 − 5e-9 + …, direct form agrees to rounding.
        assert!((galvani_exprel(1e-8) - (1.0 - 5e-9)).abs() < 1e-16);
    }

    #[test]
    fn min_max_follow_cranelift_semantics() {
        assert!(fmin(f64::NAN, 1.0).is_nan());
        assert!(fmax(1.0, f64::NAN).is_nan());
        assert_eq!(fmin(1.0, 2.0), 1.0);
        assert_eq!(fmax(1.0, 2.0), 2.0);
        assert!(fmin(0.0, -0.0).is_sign_negative());
        assert!(fmax(-0.0, 0.0).is_sign_positive());
    }

    #[test]
    fn runtime_eval_matches_direct_calls() {
        assert_eq!(RuntimeFn::Pow.eval(&[2.0, 0.5]), 2f64.sqrt());
        assert_eq!(RuntimeFn::Exp.eval(&[1.0]), 1f64.exp());
        assert!(RuntimeFn::Exp.eval(&[1.0, 2.0]).is_nan());
    }
}
