//! The functions of one lane: branch-free (selects, no jumps on the value), so that a loop
//! over them vectorises, and built only from `+ − × ÷`, fused multiply-adds and bit
//! operations, so that every instruction set gives the same bits.
//!
//! The exponentials rest on one reduction: `x = n·ln 2 + r`, `n = round(x/ln 2)`,
//! `|r| ≤ ln 2/2` (Cody–Waite: `ln 2` in two parts, the high part with trailing zero bits
//! so that `n·LN2_HI` is exact), then `eʳ` or `(eʳ − 1)/r` by a polynomial (the Taylor
//! series economised on the interval it serves, a few terms shorter for the same
//! accuracy) and the scaling by `2ⁿ` through the exponent bits. `expm1`, `φ` and
//! `exprel` evaluate one polynomial per value, on `x` itself near 0 and on `r` beyond (a
//! select picks the argument first).
//!
//! A table-driven reduction (`x = (n + j/128)·ln 2 + r`, `2^(j/128)` from a table, a
//! degree-5 polynomial) was measured and dropped: on Zen 4 the gather of the table entry
//! costs more than the eight multiply-adds it saves (per value 1.10–1.25 times slower).

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
pub const EXP_ARGUMENT_MAX: f64 = 709.8;
const EXP_ARGUMENT_MIN: f64 = -745.2;

/// `eʳ ≈ Σ_{k=0}^{11} Eₖ·rᵏ` on `|r| ≤ 0.3467` (just over `ln 2/2`): the Taylor series to
/// degree 24 economised to degree 11 (Chebyshev expansion on that interval in exact
/// rational arithmetic, the terms above degree 11 dropped, back to powers of `r`): the
/// dropped terms sum to `3.1·10⁻¹⁸`, and with the coefficients rounded to doubles the
/// largest relative error on the interval is `1.5·10⁻¹⁷`, 0.07 ulp (against 13 Taylor
/// terms for the same accuracy). Bit patterns in hex.
const EXP_COEFFICIENTS: [f64; 12] = [
    1.0,
    1.0,
    f64::from_bits(0x3fe0_0000_0000_0011), // 0.5000000000000019
    f64::from_bits(0x3fc5_5555_5555_5562), // 0.16666666666666702
    f64::from_bits(0x3fa5_5555_5554_f081), // 0.04166666666648756
    f64::from_bits(0x3f81_1111_1110_db4d), // 0.008333333333309456
    f64::from_bits(0x3f56_c16c_1880_be58), // 0.001388888895245707
    f64::from_bits(0x3f2a_01a0_1b80_fd00), // 0.0001984126990936877
    f64::from_bits(0x3efa_0199_181c_799f), // 2.4801485330455693e-5
    f64::from_bits(0x3ec7_1dde_74b2_cb3d), // 2.7557224818395814e-6
    f64::from_bits(0x3e92_8b42_cf24_e65c), // 2.7632695699976396e-7
    f64::from_bits(0x3e5a_f789_1a84_7204), // 2.511491606445952e-8
];

/// `eʳ` on `|r| ≤ ln 2/2` by [`EXP_COEFFICIENTS`]. The four low-order steps are Horner
/// (they decide the rounding of the result), the tail `Σ_{k≥4} Eₖ·rᵏ⁻⁴` is Estrin's scheme
/// (independent pairs combined by `r²`, `r⁴`), so a vector loop is not one chain of
/// eleven dependent multiply-adds.
#[inline(always)]
fn exp_polynomial(r: f64) -> f64 {
    let c = &EXP_COEFFICIENTS;
    let r2 = r * r;
    let r4 = r2 * r2;
    let tail = estrin8(r, r2, r4, &c[4..]);
    let p = tail.mul_add(r, c[3]);
    let p = p.mul_add(r, c[2]);
    let p = p.mul_add(r, c[1]);
    p.mul_add(r, c[0])
}

/// `Σ_{k=0}^{7} aₖ·rᵏ` by Estrin's scheme, given `r²` and `r⁴`: the pairs
/// `(a₀ + a₁r)`, `(a₂ + a₃r)`, … joined by `r²`, the quadruples by `r⁴`.
#[inline(always)]
fn estrin8(r: f64, r2: f64, r4: f64, a: &[f64]) -> f64 {
    let p01 = a[1].mul_add(r, a[0]);
    let p23 = a[3].mul_add(r, a[2]);
    let p45 = a[5].mul_add(r, a[4]);
    let p67 = a[7].mul_add(r, a[6]);
    let p03 = p23.mul_add(r2, p01);
    let p47 = p67.mul_add(r2, p45);
    p47.mul_add(r4, p03)
}

/// `(eˢ − 1)/s ≈ Σ_{k=0}^{12} Pₖ·sᵏ` on `−0.3467 ≤ s ≤ 0.6932` (just beyond
/// `[−ln 2/2, ln 2]`): the Taylor series `Σ sᵏ/(k+1)!` to degree 26 economised to degree
/// 12 on that interval (as [`EXP_COEFFICIENTS`]): the dropped terms sum to `6.8·10⁻¹⁹`,
/// and with the coefficients rounded to doubles the largest relative error on the
/// interval is `6.5·10⁻¹⁸`, 0.03 ulp (against 16 Taylor terms on `|s| < ln 2` before).
/// Bit patterns in hex.
const EXPM1_OVER_X_COEFFICIENTS: [f64; 13] = [
    1.0,
    0.5,
    f64::from_bits(0x3fc5_5555_5555_555d), // 0.16666666666666688
    f64::from_bits(0x3fa5_5555_5555_54ed), // 0.04166666666666594
    f64::from_bits(0x3f81_1111_1110_f5b9), // 0.00833333333332119
    f64::from_bits(0x3f56_c16c_16c3_f557), // 0.0013888888889249296
    f64::from_bits(0x3f2a_01a0_1a7c_c9ed), // 0.00019841269863148052
    f64::from_bits(0x3efa_01a0_0cae_6485), // 2.4801586544141475e-05
    f64::from_bits(0x3ec7_1de2_f147_b769), // 2.755730643003619e-06
    f64::from_bits(0x3e92_7e6d_6655_b069), // 2.755799413864706e-07
    f64::from_bits(0x3e5a_e5b9_74a5_3818), // 2.5050119570068484e-08
    f64::from_bits(0x3e21_c33b_df76_1512), // 2.067842560108245e-09
    f64::from_bits(0x3dea_0aea_013b_b8d4), // 1.894850948167032e-10
];

/// `(eˢ − 1)/s` on `−ln 2/2 ≤ s ≤ ln 2` by [`EXPM1_OVER_X_COEFFICIENTS`]: `φ` itself
/// near 0, and `eʳ − 1 = r·(…)` beyond. Horner for the four low-order steps, Estrin for
/// the tail (as [`exp_polynomial`], one more term by `s⁸`).
#[inline(always)]
fn expm1_over_x_polynomial(s: f64) -> f64 {
    let c = &EXPM1_OVER_X_COEFFICIENTS;
    let s2 = s * s;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    let tail = c[12].mul_add(s8, estrin8(s, s2, s4, &c[4..]));
    let q = tail.mul_add(s, c[3]);
    let q = q.mul_add(s, c[2]);
    let q = q.mul_add(s, c[1]);
    q.mul_add(s, c[0])
}

/// `2ᵏ` for an integer-valued `k ∈ [−1022, 1023]` held in a double: `k + (1.5·2⁵² + 1023)`
/// leaves `k + 1023` in the low bits, and the shift by 52 moves those bits (and nothing
/// else) into the exponent field. Floating-point adds and one 64-bit shift, which every
/// instruction set has in vector form (no 64-bit arithmetic shift or integer min, which
/// AVX2 lacks).
#[inline(always)]
fn two_to(k: f64) -> f64 {
    f64::from_bits((k + BIASED_ROUND_SHIFT).to_bits() << 52)
}

/// `1.5·2⁵² + 1023`, exact (the spacing of doubles there is 1).
const BIASED_ROUND_SHIFT: f64 = ROUND_SHIFT + 1023.0;

/// `eˣ`, within 1 ulp of the correctly rounded value on the normal range; `exp(−∞) = 0`,
/// `exp(+∞) = +∞`, `exp(NaN) = NaN`, 0 below −745.13, +∞ above 709.78.
///
/// `x = n·ln 2 + r`, `n = round(x/ln 2)`, `|r| ≤ ln 2/2` (`x` clamped so that
/// `n ∈ [−1075, 1024]`), then `eˣ = (eʳ·2^(n−64))·2⁶⁴` for `x ≥ 0` and
/// `(eʳ·2^(n+64))·2⁻⁶⁴` below: two factors, so that subnormal results and 2¹⁰²⁴ times a
/// mantissa below 1 need no exponent outside the normal range (`n ∓ 64` is in
/// `[−1011, 960]`); the first product is exact, so the second rounds once (the same
/// value as any other exact split of `2ⁿ`).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // NaN stays NaN (`clamp` keeps it); ±∞ and huge values clamp to just past the ends.
    let clamped = x.clamp(EXP_ARGUMENT_MIN, EXP_ARGUMENT_MAX);
    let n = clamped.mul_add(LOG2_E, ROUND_SHIFT) - ROUND_SHIFT;
    let r = (-n).mul_add(LN2_HI, clamped);
    let r = (-n).mul_add(LN2_LO, r);
    // ±64 picked by one comparison; `two_to` of a NaN `n` is 0, and NaN·0 is NaN.
    let (offset, factor) = if clamped < 0.0 {
        (64.0, TWO_MINUS_64)
    } else {
        (-64.0, TWO_64)
    };
    exp_polynomial(r) * two_to(n + offset) * factor
}

/// `2⁶⁴` and `2⁻⁶⁴`.
const TWO_64: f64 = 18_446_744_073_709_551_616.0;
const TWO_MINUS_64: f64 = 1.0 / TWO_64;

/// `eˣ − 1`, accurate near 0 as well as far from it: see [`expm1_parts`].
/// `expm1(−∞) = −1`, `expm1(−0) = −0`.
#[inline(always)]
pub fn expm1(x: f64) -> f64 {
    expm1_parts(x).expm1
}

/// `x` in `(−ln 2/2, ln 2)` takes the series of `(eˣ − 1)/x` on `x` itself: below
/// `−ln 2/2` the reduction has `n ≤ −1`, above `ln 2` `n ≥ 1` and `r ≥ −ln 2/2`, so that
/// `2ⁿ·r·q` never nearly cancels `2ⁿ − 1` (with `n = 1` and `r` near `−ln 2/2`, which
/// `x` just above `ln 2/2` would have, `|2r·q|` is 1.4 times the result and `q`'s
/// rounding shows: 3 ulp in `exprel`).
pub const NEAR_ZERO_BELOW: f64 = -std::f64::consts::LN_2 / 2.0;
pub const NEAR_ZERO_ABOVE: f64 = std::f64::consts::LN_2;

/// Below this, `eˣ − 1` rounds to −1 (`e⁻⁴⁵ < 2⁻⁶⁴`), so the reduction of `expm1` clamps
/// there and `2ⁿ` (`n ≥ −65`) stays normal.
pub const EXPM1_ARGUMENT_MIN: f64 = -45.0;

/// What `expm1`, `φ` and `exprel` share: one reduction and ONE polynomial per value,
/// its argument chosen by a select before it (so a value pays for one series, not for
/// both branches).
///
/// On `−ln 2/2 < x < ln 2`, `n = 0` and the argument is `x` itself: `q = (eˣ − 1)/x` by
/// its series, `eˣ − 1 = x·q` (no cancellation: `expm1(1e-10) = 1.00000000005e-10`).
/// Beyond, `x = n·ln 2 + r` (`|r| ≤ ln 2/2`, `n ≠ 0`, `x` clamped to `[−45, 709.8]`),
/// `eʳ − 1 = r·q(r)`, and `eˣ − 1 = 2·fma(r, q·2ⁿ⁻¹, 2ⁿ⁻¹ − ½)`: `q·2ⁿ⁻¹` is exact,
/// `2ⁿ⁻¹ − ½` is exact for `|n| ≤ 53` (beyond, its rounding is far below an ulp of the
/// result), the fused multiply-add rounds once and the doubling is exact (or overflows):
/// halved, so that `n = 1024` (`x ∈ [709.43, 709.8]`, finite results up to MAX) needs no
/// exponent outside the normal range.
struct Expm1Parts {
    /// `(eˢ − 1)/s` of the polynomial's argument `s` (`x` itself when `near_zero`).
    q: f64,
    /// `eˣ − 1`.
    expm1: f64,
    /// `−ln 2/2 < x < ln 2`: `q` is `φ(x)`.
    near_zero: bool,
}

#[inline(always)]
fn expm1_parts(x: f64) -> Expm1Parts {
    let near_zero = is_near_zero(x);
    let clamped = x.clamp(EXPM1_ARGUMENT_MIN, EXP_ARGUMENT_MAX);
    let n = clamped.mul_add(LOG2_E, ROUND_SHIFT) - ROUND_SHIFT;
    // A select, not a branch: n = 0 near 0, where then r = x exactly.
    let n = if near_zero { 0.0 } else { n };
    let r = (-n).mul_add(LN2_HI, clamped);
    let r = (-n).mul_add(LN2_LO, r);
    let q = expm1_over_x_polynomial(r);
    let p = r * q;
    let far = scaled_expm1(r, q, n);
    // Near 0 `p` itself, which keeps the sign of −0.
    let expm1 = if near_zero { p } else { far };
    Expm1Parts {
        q,
        expm1,
        near_zero,
    }
}

/// `eˣ − 1` from the reduction `x = n·ln 2 + r` and `q = (eʳ − 1)/r`:
/// `2·fma(r, q·2ⁿ⁻¹, 2ⁿ⁻¹ − ½)` (see [`Expm1Parts`]; `n − 1 ∈ [−66, 1023]`, so `2ⁿ⁻¹` is
/// always normal).
#[inline(always)]
fn scaled_expm1(r: f64, q: f64, n: f64) -> f64 {
    let half = f64::from_bits((n + (BIASED_ROUND_SHIFT - 1.0)).to_bits() << 52);
    // (eˣ − 1)/2 = r·(q·2ⁿ⁻¹) + (2ⁿ⁻¹ − ½), doubled: q·2ⁿ⁻¹ is exact, so `p = r·q` is
    // never rounded on its own.
    r.mul_add(q * half, half - 0.5) * 2.0
}

/// `x ∈ [−45, 709.8]` and not [`is_near_zero`]: where [`expm1_far`] gives
/// [`expm1_parts`]'s `eˣ − 1` (no clamp moves `x`, no select replaces `n`), so
/// [`phi_far`], [`expm1_far`] and [`exprel_far`] give the bits of [`phi`], [`expm1`] and
/// [`exprel`] without the clamp and the selects. False for NaN.
#[inline(always)]
pub fn is_far(x: f64) -> bool {
    (EXPM1_ARGUMENT_MIN..=EXP_ARGUMENT_MAX).contains(&x) && !is_near_zero(x)
}

/// [`expm1`] where [`is_far`].
#[inline(always)]
pub fn expm1_far(x: f64) -> f64 {
    let n = x.mul_add(LOG2_E, ROUND_SHIFT) - ROUND_SHIFT;
    let r = (-n).mul_add(LN2_HI, x);
    let r = (-n).mul_add(LN2_LO, r);
    scaled_expm1(r, expm1_over_x_polynomial(r), n)
}

/// [`phi`] where [`is_far`]: `(eˣ − 1)/x`.
#[inline(always)]
pub fn phi_far(x: f64) -> f64 {
    expm1_far(x) / x
}

/// [`exprel`] where [`is_far`]: `x/(eˣ − 1)`.
#[inline(always)]
pub fn exprel_far(x: f64) -> f64 {
    x / expm1_far(x)
}

/// `−ln 2/2 < x < ln 2`: where [`expm1_parts`] takes its polynomial on `x` itself (with
/// `n = 0`, both reduction steps `fma(−0, ·, x)` give `x` exactly), so [`phi_near_zero`],
/// [`expm1_near_zero`] and [`exprel_near_zero`] give the bits of [`phi`], [`expm1`] and
/// [`exprel`] without the reduction, the scaling, the selects or (for `φ`) the division.
/// False for NaN.
#[inline(always)]
pub fn is_near_zero(x: f64) -> bool {
    NEAR_ZERO_BELOW < x && x < NEAR_ZERO_ABOVE
}

/// [`phi`] where [`is_near_zero`]: the series `q(x)` (the general path's `q/1`).
#[inline(always)]
pub fn phi_near_zero(x: f64) -> f64 {
    expm1_over_x_polynomial(x)
}

/// [`expm1`] where [`is_near_zero`]: `x·q(x)`.
#[inline(always)]
pub fn expm1_near_zero(x: f64) -> f64 {
    x * expm1_over_x_polynomial(x)
}

/// [`exprel`] where [`is_near_zero`]: `1/q(x)`.
#[inline(always)]
pub fn exprel_near_zero(x: f64) -> f64 {
    1.0 / expm1_over_x_polynomial(x)
}

/// `φ(x) = (eˣ − 1)/x`, `φ(0) = 1`: the series itself on `(−ln 2/2, ln 2)`, the quotient
/// beyond, as one division of selected operands (`q/1` or `(eˣ − 1)/x`).
/// `φ(+∞) = +∞`, `φ(−∞) = 0`.
#[inline(always)]
pub fn phi(x: f64) -> f64 {
    let parts = expm1_parts(x);
    let numerator = if parts.near_zero {
        parts.q
    } else {
        parts.expm1
    };
    // x capped at 709.8, where eˣ − 1 is already +∞: φ(+∞) = ∞/709.8 = +∞, not ∞/∞.
    let denominator = if parts.near_zero { 1.0 } else { capped(x) };
    numerator / denominator
}

/// `x`, or 709.8 (where `eˣ − 1` is +∞) above: one minimum, NaN kept.
#[inline(always)]
fn capped(x: f64) -> f64 {
    if x > EXP_ARGUMENT_MAX {
        EXP_ARGUMENT_MAX
    } else {
        x
    }
}

/// `exprel(x) = x/(eˣ − 1) = 1/φ(x)`, `exprel(0) = 1`: `1/q` on `(−ln 2/2, ln 2)`, the
/// quotient beyond, as one division of selected operands. `exprel(+∞) = 0`, `exprel(−∞) = +∞`.
#[inline(always)]
pub fn exprel(x: f64) -> f64 {
    let parts = expm1_parts(x);
    // x capped as in `phi`: exprel(+∞) = 709.8/∞ = 0, not ∞/∞.
    let numerator = if parts.near_zero { 1.0 } else { capped(x) };
    let denominator = if parts.near_zero {
        parts.q
    } else {
        parts.expm1
    };
    numerator / denominator
}

/// fdlibm's `log` coefficients (`e_log.c`, Sun Microsystems 1993): with `s = f/(2+f)` and
/// `z = s²`, `R(z) = LG1·z + LG2·z² + … + LG7·z⁷` approximates `(ln(1+f) − 2s)/s` on
/// `|s| ≤ 0.1716` (`√2/2 ≤ 1+f < √2`) with error below 2⁻⁵⁸·⁴⁵. Bit patterns in hex.
const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 6.666666666666735130e-01
const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 3.999999999940941908e-01
const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 2.857142874366239149e-01
const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 2.222219843214978396e-01
const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 1.818357216161805012e-01
const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 1.531383769920937332e-01
const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 1.479819860511658591e-01
/// `2⁵⁴`, which scales a subnormal argument into the normal range.
const TWO_54: f64 = 18_014_398_509_481_984.0;
/// The bits of `√2/2` rounded down to its high word: mantissas at or above it keep their
/// exponent, those below take the next one, so that `1 + f ∈ [√2/2, √2)`.
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_0000_0000;

/// The natural logarithm `ln x`, within 1 ulp of the correctly rounded value (fdlibm's
/// algorithm, branch-free): `x = 2ᵏ·(1 + f)` with `√2/2 ≤ 1 + f < √2` (subnormal `x`
/// first scaled by 2⁵⁴), `s = f/(2 + f)`, and
/// `ln x = k·ln 2 + f − f²/2 + s·(f²/2 + R(s²))`, summed so that the large terms come
/// last: `k·LN2_HI − ((f²/2 − (s·(f²/2 + R) + k·LN2_LO)) − f)`.
/// `log(±0) = −∞`, `log(x < 0) = NaN`, `log(+∞) = +∞`, `log(NaN) = NaN`, `log(1) = +0`.
#[inline(always)]
pub fn log(x: f64) -> f64 {
    let parts = log_parts(x);
    let (k, f, h, s, r) = (parts.k, parts.f, parts.half_f_squared, parts.s, parts.r);
    let value = k * LN2_HI - ((h - (s * (h + r) + k * LN2_LO)) - f);
    if x > 0.0 {
        if x == f64::INFINITY {
            f64::INFINITY
        } else {
            value
        }
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else {
        // Negative or NaN.
        f64::NAN
    }
}

/// The pieces of `ln x` for a positive finite `x` (anything for other `x`): `x = 2ᵏ(1+f)`,
/// `√2/2 ≤ 1 + f < √2`, `f²/2`, `s = f/(2+f)`, `R(s²)`.
struct LogParts {
    k: f64,
    f: f64,
    half_f_squared: f64,
    s: f64,
    r: f64,
}

#[inline(always)]
fn log_parts(x: f64) -> LogParts {
    let subnormal = x < f64::MIN_POSITIVE;
    let scaled = if subnormal { x * TWO_54 } else { x };
    // Adding 1 − √2/2 (in exponent-field units) to the bits carries into the exponent
    // exactly when the mantissa is at least √2/2's: k is then the exponent of x·√2.
    let bits = scaled
        .to_bits()
        .wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
    // k from its exponent field (0..2047 for a positive x), as a double: 2⁵² + field,
    // less 2⁵² + 1023.
    let k =
        f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - (4_503_599_627_370_496.0 + 1023.0);
    let k = if subnormal { k - 54.0 } else { k };
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS));
    let f = m - 1.0;
    let half_f_squared = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    LogParts {
        k,
        f,
        half_f_squared,
        s,
        r: t2 + t1,
    }
}

/// `ln x` for a positive finite `x` as an unevaluated sum `hi + lo`, to about 2⁻⁶⁰
/// relative: fdlibm's `ln(1+f) = f − f²/2 + s·(f²/2 + R)` with every rounding that matters
/// carried (error-free sums and products): `f²/2 = h + h_err`, `s = f/(2+f)` to twice the
/// precision, `h + R` and `s·(h + R)` with their errors, then `k·LN2_HI + (f − h) + s·(…)`
/// by Fast2Sums (each first term the larger). Left: R's own error (2⁻⁵⁸·⁴⁵ of a term below
/// f³/6) and the roundings of the small corrections.
#[inline(always)]
fn log_double(x: f64) -> (f64, f64) {
    let parts = log_parts(x);
    let (k, f, h, s) = (parts.k, parts.f, parts.half_f_squared, parts.s);
    // f²/2 = h + h_err exactly (0.5·f is exact).
    let h_err = (0.5 * f).mul_add(f, -h);
    // 2 + f = d + d_err exactly, and s + s_lo = f/(2 + f) to twice the precision.
    let d = 2.0 + f;
    let d_err = (2.0 - d) + f;
    let s_lo = ((-s).mul_add(d, f) - s * d_err) / d;
    // R's leading term LG1·s² carries most of R's rounding: as R_hi + R_lo, with the
    // error of s² and of the product, and R's change with s_lo (dR/ds ≈ 2·LG1·s); the
    // rest of R (below 4·10⁻⁴) rounds harmlessly.
    let z = s * s;
    let z_err = s.mul_add(s, -z);
    let lead = LG1 * z;
    let lead_err = LG1.mul_add(z, -lead) + LG1 * z_err + 2.0 * LG1 * s * s_lo;
    // R − LG1·z computed on its own (not as r − lead, which would keep r's rounding).
    let w = z * z;
    let rest = (z * w).mul_add(LG3 + w * (LG5 + w * LG7), w * (LG2 + w * (LG4 + w * LG6)));
    let r_hi = lead + rest;
    let r_lo = ((lead - r_hi) + rest) + lead_err;
    // h + R_hi = hr + hr_err exactly (|h| ≥ |R|), s·hr = c + c_err exactly.
    let hr = h + r_hi;
    let hr_err = (h - hr) + r_hi;
    let c = s * hr;
    let c_lo = s.mul_add(hr, -c) + s * (hr_err + h_err + r_lo) + s_lo * hr;
    // (f − h) + c + k·LN2_HI by Fast2Sums: |f| ≥ |h|, |f − h| ≥ |c|, |k·LN2_HI| ≥ 0.69 >
    // |f − h + c| unless k = 0.
    let a = f - h;
    let a_err = (f - a) - h;
    let b = a + c;
    let b_err = (a - b) + c;
    let big = k * LN2_HI;
    let hi = big + b;
    let hi_err = (big - hi) + b;
    let lo = hi_err + b_err + a_err + (c_lo - h_err) + k * LN2_LO;
    // Renormalised so that lo is below half an ulp of hi.
    let sum = hi + lo;
    (sum, (hi - sum) + lo)
}

/// `xʸ` with IEEE `pow`'s special values (those of the built-in table's `pow`):
/// `pow(x, ±0) = 1` and `pow(1, y) = 1` even for NaN, NaN otherwise from a NaN; a negative
/// `x` gives NaN unless `y` is an integer, then `±|x|ʸ` by the parity of `y`; `±0` and
/// `±∞` give 0 or ∞ with the sign of `x` for odd integer `y`; `pow(−1, ±∞) = 1`; `y = ±∞`
/// gives 0 or ∞ by whether `|x|` is below or above 1.
///
/// The magnitude is `e^(y·ln|x|)` with `ln|x|` as a double-double ([`log_double`]) and
/// `y·ln|x| = t + t_err` exactly up to that error, then `eᵗ·(1 + t_err)`: the error is
/// that of `exp` (1 ulp) plus the logarithm's relative error times `|y·ln|x||`. Measured
/// against the table (`examples/ulps.rs`, 4·10⁶ random pairs): 1 ulp while
/// `|y·ln|x|| ≤ 10`, 2 ulp up to 100, 9 ulp up to 745 (results near overflow or
/// underflow).
#[inline(always)]
pub fn pow(x: f64, y: f64) -> f64 {
    let ax = x.abs();
    let (l_hi, l_lo) = log_double(ax);
    let t = y * l_hi;
    let t_err = y.mul_add(l_hi, -t) + y * l_lo;
    let e = exp(t);
    // Where eᵗ is 0 or ∞ the correction is left out (∞·c + ∞ is NaN for c < 0, and c is
    // NaN for an infinite t).
    let magnitude = if e.is_finite() && e != 0.0 {
        e.mul_add(t_err, e)
    } else {
        e
    };

    // Parity of y: an integer (y = trunc y), odd when y/2 is not one (|y| ≥ 2⁵³ is even).
    let y_integer = y == y.trunc();
    let half = 0.5 * y;
    let y_odd = y_integer && half != half.trunc();
    // The sign bit: −0 and −∞ are negative bases too.
    let negative = x.is_sign_negative();
    let signed = if negative && y_odd {
        -magnitude
    } else {
        magnitude
    };
    // x = ±0 or ±∞: 0 or ∞ by the sign of y (ln|x| = ∓∞ above does not give this).
    let zero_or_inf = if (ax == 0.0) == (y < 0.0) {
        f64::INFINITY
    } else {
        0.0
    };
    let at_edge = if negative && y_odd {
        -zero_or_inf
    } else {
        zero_or_inf
    };
    // y = ±∞: 1 at |x| = 1, else 0 or ∞ by whether |x| < 1 and the sign of y.
    let y_infinite = if ax == 1.0 {
        1.0
    } else if (ax < 1.0) == (y < 0.0) {
        f64::INFINITY
    } else {
        0.0
    };
    if y == 0.0 || x == 1.0 {
        1.0
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if y.is_infinite() {
        y_infinite
    } else if ax == 0.0 || ax == f64::INFINITY {
        at_edge
    } else if negative && !y_integer {
        f64::NAN
    } else {
        signed
    }
}
