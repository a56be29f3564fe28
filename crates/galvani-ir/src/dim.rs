//! Physical dimensions: exponent vectors over the seven SI base dimensions with exact
//! rational exponents, so `cm^2`, `mV^-1` and `sqrt(um^2)` are all exact.
//!
//! `Dim` is only the dimension (what kind of quantity); scale factors of units live in
//! `units.rs`.

use num_rational::Ratio;
use std::fmt;

/// A rational exponent. `Ratio<i32>` is exact and `Copy`; overflow is checked by callers
/// that combine user-written exponents (see [`Dim::checked_pow`]).
pub type Exponent = Ratio<i32>;

/// The SI base dimensions, in the order of `Dim`'s exponent vector.
pub const BASE_SYMBOLS: [&str; 7] = ["m", "kg", "s", "A", "K", "mol", "cd"];
pub const LENGTH: usize = 0;
pub const MASS: usize = 1;
pub const TIME: usize = 2;
pub const CURRENT: usize = 3;
pub const TEMPERATURE: usize = 4;
pub const AMOUNT: usize = 5;
pub const LUMINOUS: usize = 6;

/// A physical dimension: `L^a M^b T^c I^d Θ^e N^f J^g` with rational exponents.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dim(pub [Exponent; 7]);

const ZERO: Exponent = Ratio::new_raw(0, 1);

impl Dim {
    /// Dimensionless (also the dimension of booleans).
    pub const NONE: Dim = Dim([ZERO; 7]);

    /// One base dimension to an integer power.
    pub const fn base(index: usize, exponent: i32) -> Dim {
        let mut exps = [ZERO; 7];
        exps[index] = Ratio::new_raw(exponent, 1);
        Dim(exps)
    }

    /// Builds a dimension from integer exponents `[L, M, T, I, Θ, N, J]`.
    pub const fn from_ints(exps: [i32; 7]) -> Dim {
        let mut out = [ZERO; 7];
        let mut i = 0;
        while i < 7 {
            out[i] = Ratio::new_raw(exps[i], 1);
            i += 1;
        }
        Dim(out)
    }

    pub const TIME: Dim = Dim::base(TIME, 1);
    pub const LENGTH: Dim = Dim::base(LENGTH, 1);
    /// `V = kg·m²·s⁻³·A⁻¹`
    pub const VOLTAGE: Dim = Dim::from_ints([2, 1, -3, -1, 0, 0, 0]);
    pub const CURRENT: Dim = Dim::base(CURRENT, 1);
    /// `T^(-1/2)`: the dimension of white noise `ξ` (`<ξ(t) ξ(t')> = δ(t − t')`, and δ of
    /// time has dimension 1/time).
    pub const NOISE: Dim = {
        let mut exps = [ZERO; 7];
        exps[TIME] = Ratio::new_raw(-1, 2);
        Dim(exps)
    };

    pub fn is_none(&self) -> bool {
        *self == Dim::NONE
    }

    /// `[a]·[b]`: exponents add. `None` on exponent overflow.
    pub fn checked_mul(self, other: Dim) -> Option<Dim> {
        let mut out = [ZERO; 7];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = checked_add(self.0[i], other.0[i])?;
        }
        Some(Dim(out))
    }

    /// `[a]/[b]`: exponents subtract. `None` on exponent overflow.
    pub fn checked_div(self, other: Dim) -> Option<Dim> {
        self.checked_mul(other.checked_pow(Ratio::from_integer(-1))?)
    }

    /// `[a]^p`: exponents multiply by `p`. `None` on exponent overflow.
    pub fn checked_pow(self, power: Exponent) -> Option<Dim> {
        let mut out = [ZERO; 7];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = checked_mul(self.0[i], power)?;
        }
        Some(Dim(out))
    }

    /// Multiplication for dimensions known to be small (built-in tables). Panics on
    /// overflow, which cannot happen for table entries.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, other: Dim) -> Dim {
        self.checked_mul(other)
            .expect("dimension exponent overflow")
    }

    #[allow(clippy::should_implement_trait)]
    pub fn div(self, other: Dim) -> Dim {
        self.checked_div(other)
            .expect("dimension exponent overflow")
    }

    pub fn powi(self, power: i32) -> Dim {
        self.checked_pow(Ratio::from_integer(power))
            .expect("dimension exponent overflow")
    }

    /// A human name for common dimensions of neuron models ("voltage", "current
    /// density", …), or `None`.
    pub fn name(&self) -> Option<&'static str> {
        crate::units::dimension_name(*self)
    }
}

/// The largest denominator [`exponent_from_f64`] tries.
pub const MAX_EXPONENT_DENOMINATOR: i32 = 12;

/// Recovers a small rational exponent from its `f64` value, as the checker stores a
/// constant exponent (`x^(1/3)` keeps `Const(0.333…)`): the first denominator
/// `d = 1, 2, …, 12` for which `value·d` is within 1e-9 of an integer `n` gives `n/d`.
/// Example: `0.3333333333333333` → `1/3`, `-2.0` → `-2`, `0.3` → `3/10`, `0.123` → `None`.
/// `None` also for non-finite values and numerators beyond ±10^6.
pub fn exponent_from_f64(value: f64) -> Option<Exponent> {
    if !value.is_finite() {
        return None;
    }
    for denom in 1..=MAX_EXPONENT_DENOMINATOR {
        let scaled = value * f64::from(denom);
        let numer = scaled.round();
        if (scaled - numer).abs() <= 1e-9 * numer.abs().max(1.0) && numer.abs() <= 1e6 {
            return Some(Ratio::new(numer as i32, denom));
        }
    }
    None
}

fn checked_add(a: Exponent, b: Exponent) -> Option<Exponent> {
    // a/b + c/d = (a·d + c·b)/(b·d)
    let numer = a
        .numer()
        .checked_mul(*b.denom())?
        .checked_add(b.numer().checked_mul(*a.denom())?)?;
    let denom = a.denom().checked_mul(*b.denom())?;
    Some(Ratio::new(numer, denom))
}

fn checked_mul(a: Exponent, b: Exponent) -> Option<Exponent> {
    let numer = a.numer().checked_mul(*b.numer())?;
    let denom = a.denom().checked_mul(*b.denom())?;
    Some(Ratio::new(numer, denom))
}

/// Formats the SI base form, e.g. `m^2 kg s^-3 A^-1`; `1` when dimensionless.
pub struct SiForm(pub Dim);

impl fmt::Display for SiForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_none() {
            return f.write_str("1");
        }
        let mut first = true;
        for (i, exp) in self.0 .0.iter().enumerate() {
            if *exp.numer() == 0 {
                continue;
            }
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(BASE_SYMBOLS[i])?;
            if *exp != Ratio::from_integer(1) {
                if exp.is_integer() {
                    write!(f, "^{}", exp.numer())?;
                } else {
                    write!(f, "^({}/{})", exp.numer(), exp.denom())?;
                }
            }
        }
        Ok(())
    }
}

/// `Display` gives the human name when there is one, and the SI base form always:
/// `voltage [m^2 kg s^-3 A^-1]`, `dimensionless`.
impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("dimensionless");
        }
        match self.name() {
            Some(name) => write!(f, "{name} [{}]", SiForm(*self)),
            None => write!(f, "[{}]", SiForm(*self)),
        }
    }
}

impl fmt::Debug for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dim({})", SiForm(*self))
    }
}
