//! The functions of one lane: branch-free (selects, no jumps on the value), so that a loop
//! over them vectorises, and built only from `+ − × ÷`, fused multiply-adds and bit
//! operations, so that every instruction set gives the same bits.
//!
//! All four rest on one reduction: `x = n·ln 2 + r`, `n = round(x/ln 2)`, `|r| ≤ ln 2/2`
//! (Cody–Waite: `ln 2` in two parts, the high part with trailing zero bits so that
//! `n·LN2_HI` is exact), then `eʳ` or `eʳ − 1` by a Taylor polynomial and the scaling by
//! `2ⁿ` through the exponent bits.

/// `log₂ e`.
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// `ln 2 = LN2_HI + LN2_LO`; `LN2_HI` has 32 significant bits, so `n·LN2_HI` is exact for
/// every `|n| ≤ 2²¹` (fdlibm's split).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-1
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
/// Adding then subtracting `1.5·2⁵²` rounds a double of magnitude < 2⁵¹ to the nearest
/// integer (ties to even), and leaves that integer in the low bits of the sum.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
/// `eˣ` overflows above `ln(MAX) ≈ 709.78` and is below half the smallest subnormal under
/// `−745.13`; arguments are clamped just outside so that `n` stays in `[−1075, 1024]`.
const EXP_ARGUMENT_MAX: f64 = 709.8;
const EXP_ARGUMENT_MIN: f64 = -745.2;

/// `1/k!` for k = 0..=17, the Taylor coefficients of `eʳ`.
const INVERSE_FACTORIALS: [f64; 18] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
    1.0 / 87_178_291_200.0,
    1.0 / 1_307_674_368_000.0,
    1.0 / 20_922_789_888_000.0,
    1.0 / 355_687_428_096_000.0,
];

/// `Σ_{k=0}^{13} rᵏ/k! ≈ eʳ` on `|r| ≤ ln 2/2`: the first omitted term, `r¹⁴/14!`, is below
/// 5e-18 there, a fortieth of an ulp of `eʳ ≥ 0.7`.
#[inline(always)]
fn exp_taylor(r: f64) -> f64 {
    let mut p = INVERSE_FACTORIALS[13];
    let mut k = 13;
    while k > 0 {
        k -= 1;
        p = p.mul_add(r, INVERSE_FACTORIALS[k]);
    }
    p
}

/// `(eˣ − 1)/x = Σ_{k=0}^{16} xᵏ/(k+1)!` on `|x| ≤ ln 2`: the first omitted term,
/// `x¹⁷/18!`, is below 4e-19 there (`(eˣ − 1)/x ≥ 0.72`). This is `φ` itself near 0.
#[inline(always)]
fn expm1_over_x_taylor(x: f64) -> f64 {
    let mut q = INVERSE_FACTORIALS[17];
    let mut k = 17;
    while k > 1 {
        k -= 1;
        q = q.mul_add(x, INVERSE_FACTORIALS[k]);
    }
    q
}

/// `2ᵏ` for an integer `k ∈ [−1022, 1023]`, built from the exponent bits.
#[inline(always)]
fn two_to(k: i64) -> f64 {
    f64::from_bits((k.wrapping_add(1023) as u64).wrapping_shl(52))
}

/// The reduction `x = n·ln 2 + r` of [`Reduced`].
#[inline(always)]
fn reduce(x: f64) -> Reduced {
    // NaN stays NaN (`clamp` keeps it); ±∞ and huge values clamp to just past the ends.
    let clamped = x.clamp(EXP_ARGUMENT_MIN, EXP_ARGUMENT_MAX);
    let shifted = clamped.mul_add(LOG2_E, ROUND_SHIFT);
    let n = shifted - ROUND_SHIFT;
    let r = (-n).mul_add(LN2_HI, clamped);
    let r = (-n).mul_add(LN2_LO, r);
    // The integer n from the low bits of the shifted sum (exact for |n| < 2⁵¹).
    let n = (shifted.to_bits() as i64).wrapping_sub(ROUND_SHIFT.to_bits() as i64);
    let half = n >> 1;
    Reduced {
        r,
        n,
        scale_low: two_to(half),
        scale_high: two_to(n.wrapping_sub(half)),
        inverse_scale: two_to(-half) * two_to(half.wrapping_sub(n)),
    }
}

/// `x = n·ln 2 + r` with `|r| ≤ ln 2/2`. `2ⁿ = scale_low·scale_high`, in two factors so
/// that `n ∈ [−1075, 1024]` (subnormal results, and 2¹⁰²⁴ times a mantissa below 1) needs
/// no exponent outside the normal range; a mantissa times `scale_low` is exact, so the
/// product rounds once.
struct Reduced {
    r: f64,
    n: i64,
    scale_low: f64,
    scale_high: f64,
    /// `2⁻ⁿ` (0 or subnormal for large n).
    inverse_scale: f64,
}

/// `eˣ`, within 1 ulp of the correctly rounded value on the normal range; `exp(−∞) = 0`,
/// `exp(+∞) = +∞`, `exp(NaN) = NaN`, 0 below −745.13, +∞ above 709.78.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let reduced = reduce(x);
    exp_taylor(reduced.r) * reduced.scale_low * reduced.scale_high
}

/// `eˣ − 1`, accurate near 0 as well as far from it. On `|x| < ln 2` the Taylor series of
/// `(eˣ − 1)/x` times x (no cancellation: `expm1(1e-10) = 1.00000000005e-10`). Beyond,
/// with `p = eʳ − 1`: for `n > 0`, `(p + (1 − 2⁻ⁿ))·2ⁿ` (`1 − 2⁻ⁿ` is exact, the sum is
/// at least 0.45, and 2ⁿ may be 2¹⁰²⁴ while the result is finite); for `n < 0`,
/// `p·2ⁿ + (2ⁿ − 1)`, two terms of the same sign at n = −1. `expm1(−∞) = −1`.
#[inline(always)]
pub fn expm1(x: f64) -> f64 {
    let near_zero = x * expm1_over_x_taylor(x);
    let reduced = reduce(x);
    let p = reduced.r * expm1_over_x_taylor_short(reduced.r);
    let above = ((p + (1.0 - reduced.inverse_scale)) * reduced.scale_low) * reduced.scale_high;
    let scale = reduced.scale_low * reduced.scale_high;
    let below = (p * reduced.scale_low * reduced.scale_high) + (scale - 1.0);
    if x.abs() < std::f64::consts::LN_2 {
        near_zero
    } else if reduced.n > 0 {
        above
    } else {
        below
    }
}

/// `(eʳ − 1)/r` on `|r| ≤ ln 2/2`: the terms up to `r¹²/13!` (the omitted `r¹³/14!` is
/// below 1e-17 of the result, and the result is multiplied by `|r| ≤ 0.35`).
#[inline(always)]
fn expm1_over_x_taylor_short(r: f64) -> f64 {
    let mut q = INVERSE_FACTORIALS[14];
    let mut k = 14;
    while k > 1 {
        k -= 1;
        q = q.mul_add(r, INVERSE_FACTORIALS[k]);
    }
    q
}

/// `φ(x) = (eˣ − 1)/x`, `φ(0) = 1`: the series itself on `|x| < ln 2`, the quotient
/// beyond. `φ(+∞) = +∞`, `φ(−∞) = 0`.
#[inline(always)]
pub fn phi(x: f64) -> f64 {
    let near_zero = expm1_over_x_taylor(x);
    let far = expm1(x) / x;
    if x.abs() < std::f64::consts::LN_2 {
        near_zero
    } else if x == f64::INFINITY {
        // ∞/∞ in the quotient; the limit is +∞.
        f64::INFINITY
    } else {
        far
    }
}

/// `exprel(x) = x/(eˣ − 1) = 1/φ(x)`, `exprel(0) = 1`. `exprel(+∞) = 0`,
/// `exprel(−∞) = +∞`.
#[inline(always)]
pub fn exprel(x: f64) -> f64 {
    let near_zero = 1.0 / expm1_over_x_taylor(x);
    let far = x / expm1(x);
    if x.abs() < std::f64::consts::LN_2 {
        near_zero
    } else if x == f64::INFINITY {
        // ∞/∞ in the quotient; the limit is 0.
        0.0
    } else {
        far
    }
}
