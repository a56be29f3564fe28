//! How generated code evaluates each call and `^` (`Lowering`), the one decision the JIT
//! and the interpreter both follow, and the runtime functions the JIT links. The maths
//! itself lives only in the built-in table (`galvani_ir::builtins`): a runtime call is a
//! call of the table's `extern "C"` value function (the interpreter calls the same
//! function), and an inlined instruction computes the same bits as it.

use galvani_ir::model::Builtin;
use galvani_ir::step::{Func, Inst};

/// The functions generated code calls rather than inlines, in table order. A function's
/// position here is its `u0:N` name index in the CLIF text (blocks come after them).
pub fn runtime_functions() -> impl Iterator<Item = Func> {
    Func::ALL
        .into_iter()
        .filter(|f| matches!(Lowering::of_func(*f), Lowering::Runtime(_)))
}

/// The symbol the JIT links a runtime function under: `galvani_exprel`.
pub fn symbol(func: Func) -> String {
    format!("galvani_{}", func.name())
}

/// How one call or `^` is evaluated; the JIT and the interpreter both follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lowering {
    /// A call of the table's value function.
    Runtime(Func),
    /// Hardware square root (correctly rounded, as the table's `sqrt`).
    Sqrt,
    /// Clearing the sign bit (`fabs`), as the table's `abs`.
    Abs,
    /// Cranelift `fmin`/`fmax` (NaN-propagating, −0 < +0), as the table's `min`/`max`.
    Min,
    Max,
    /// `x^k` for a small integer constant `k` as repeated multiplication,
    /// `((x·x)·x)·…` (k − 1 multiplications): no call, error ≤ (k − 1)/2 ulp.
    IntegerPower(u32),
}

impl Lowering {
    pub fn of_func(func: Func) -> Lowering {
        match func {
            Func::Builtin(Builtin::Sqrt) => Lowering::Sqrt,
            Func::Builtin(Builtin::Abs) => Lowering::Abs,
            Func::Builtin(Builtin::Min) => Lowering::Min,
            Func::Builtin(Builtin::Max) => Lowering::Max,
            _ => Lowering::Runtime(func),
        }
    }

    /// `base ^ exponent` (operator or `pow`), where `exponent_inst` defines the exponent:
    /// a constant 2, 3 or 4 becomes repeated multiplication, anything else a `pow` call.
    pub fn of_power(exponent_inst: &Inst) -> Lowering {
        match exponent_inst {
            Inst::Const(c) if *c == 2.0 => Lowering::IntegerPower(2),
            Inst::Const(c) if *c == 3.0 => Lowering::IntegerPower(3),
            Inst::Const(c) if *c == 4.0 => Lowering::IntegerPower(4),
            _ => Lowering::Runtime(Func::Builtin(Builtin::Pow)),
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
    fn runtime_functions_keep_their_name_indices() {
        // The CLIF text names runtime functions by position: this order is in snapshots.
        let names: Vec<String> = runtime_functions().map(symbol).collect();
        assert_eq!(
            names,
            [
                "galvani_exp",
                "galvani_expm1",
                "galvani_log",
                "galvani_log1p",
                "galvani_sin",
                "galvani_cos",
                "galvani_tanh",
                "galvani_pow",
                "galvani_exprel",
                "galvani_cosh",
                "galvani_sinh",
                "galvani_atan",
                "galvani_erf",
                "galvani_heaviside",
                "galvani_phi"
            ]
        );
    }
}
