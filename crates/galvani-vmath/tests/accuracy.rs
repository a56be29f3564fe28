//! Each block function against the scalar value function of galvani's built-in table
//! (`galvani_ir::builtins`, libm underneath): the error in ulps over sweeps of every range
//! that matters, the documented values at special arguments, and the same bits from every
//! instruction set this host has.

use galvani_ir::builtins;
use galvani_vmath::{apply, apply_with, lane, Isa, VectorFn};

fn reference(function: VectorFn) -> fn(f64) -> f64 {
    match function {
        VectorFn::Exp => |x| builtins::exp(x),
        VectorFn::Expm1 => |x| builtins::expm1(x),
        VectorFn::Phi => |x| builtins::phi(x),
        VectorFn::Exprel => |x| builtins::exprel(x),
        VectorFn::Log => |x| builtins::log(x),
        VectorFn::Pow => unreachable!("pow has its own test"),
    }
}

/// Distance in units in the last place, counting representable doubles between `a` and
/// `b` (0 for equal bits, for two NaNs, and for +0 against −0).
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    // Map the bits onto a line ordered like the values.
    fn ordered(x: f64) -> i64 {
        let bits = x.to_bits() as i64;
        if bits < 0 {
            i64::MIN - bits
        } else {
            bits
        }
    }
    ordered(a).abs_diff(ordered(b))
}

/// A deterministic spread of arguments: a fine uniform grid over `[low, high]` plus
/// points spread logarithmically towards 0 on both sides (where expm1, φ and exprel are
/// hardest) — no random seed to reproduce.
fn arguments(low: f64, high: f64, count: usize) -> Vec<f64> {
    let mut values: Vec<f64> = (0..=count)
        .map(|i| low + (high - low) * i as f64 / count as f64)
        .collect();
    for i in 0..=2000 {
        let magnitude = 10f64.powf(-300.0 + 300.0 * i as f64 / 2000.0);
        values.push(magnitude);
        values.push(-magnitude);
    }
    // Around the branch switches at ±ln 2 and the reduction's ±ln 2/2, bit by bit.
    let ln2 = std::f64::consts::LN_2;
    for switch in [ln2, -ln2, ln2 / 2.0, -ln2 / 2.0] {
        for step in -50i64..=50 {
            values.push(f64::from_bits((switch.to_bits() as i64 + step) as u64));
        }
    }
    // A seeded random sweep of |x| < 2, where the quotients of φ and exprel are hardest
    // (a grid alone missed a 3-ulp φ at 0.98885 in an earlier version).
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    values.extend((0..200_000).map(|_| 4.0 * random.unit() - 2.0));
    values
}

/// The arguments of `log`: a grid over (0, 1000], every binade from the smallest
/// subnormal to the largest double (seeded, log-uniform), and 1, √2 and √2/2 (where the
/// reduction changes exponent) bit by bit.
fn log_arguments() -> Vec<f64> {
    let count = 400_000;
    let mut values: Vec<f64> = (1..=count).map(|i| 1e3 * i as f64 / count as f64).collect();
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    values.extend((0..400_000).map(|_| 2f64.powf(-1074.0 + 2098.0 * random.unit())));
    for at in [
        1.0f64,
        std::f64::consts::SQRT_2,
        std::f64::consts::FRAC_1_SQRT_2,
    ] {
        for step in -1000i64..=1000 {
            values.push(f64::from_bits((at.to_bits() as i64 + step) as u64));
        }
    }
    values
}

/// A 64-bit xorshift: the same "random" arguments on every run.
struct Random(u64);

impl Random {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn worst_error(function: VectorFn, values: &[f64]) -> (u64, f64) {
    let mut computed = values.to_vec();
    apply(function, &mut computed);
    let reference = reference(function);
    values
        .iter()
        .zip(&computed)
        .map(|(&x, &y)| (ulps(y, reference(x)), x))
        .max_by_key(|(error, _)| *error)
        .unwrap()
}

#[test]
fn within_two_ulps_of_the_scalar_table_everywhere() {
    // exp over its whole finite range (subnormal results included); the others over the
    // ranges where they are neither saturated nor overflowing.
    let cases = [
        (VectorFn::Exp, arguments(-745.0, 709.7, 400_000)),
        (VectorFn::Expm1, arguments(-60.0, 709.7, 400_000)),
        (VectorFn::Phi, arguments(-700.0, 700.0, 400_000)),
        (VectorFn::Exprel, arguments(-700.0, 700.0, 400_000)),
        (VectorFn::Log, log_arguments()),
    ];
    for (function, values) in cases {
        let (error, at) = worst_error(function, &values);
        assert!(
            error <= 2,
            "{}: {error} ulps from the table at x = {at:e}",
            function.name()
        );
    }
}

#[test]
fn special_values_are_the_tables() {
    let mut specials = vec![
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        -f64::MAX,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        709.78,
        709.79,
        710.0,
        -745.1,
        -745.2,
        -746.0,
        1e300,
        -1e300,
    ];
    specials.extend([1e-8, -1e-8, 1.0, -1.0, builtins::SERIES_BELOW, 2.0, 0.5]);
    for function in VectorFn::ALL {
        let mut computed = specials.clone();
        apply(function, &mut computed);
        for (&x, &y) in specials.iter().zip(&computed) {
            let expected = reference(function)(x);
            let exact_case = !x.is_finite() || expected == 0.0 || expected.is_infinite();
            if exact_case || expected.is_nan() {
                assert!(
                    y.to_bits() == expected.to_bits() || (y.is_nan() && expected.is_nan()),
                    "{}({x:e}) = {y:e}, the table says {expected:e}",
                    function.name()
                );
            } else {
                assert!(
                    ulps(y, expected) <= 2,
                    "{}({x:e}) = {y:e}, the table says {expected:e}",
                    function.name()
                );
            }
        }
    }
}

#[test]
fn every_instruction_set_gives_the_same_bits() {
    let mut values = arguments(-750.0, 750.0, 20_000);
    values.extend(log_arguments().into_iter().step_by(10));
    for function in VectorFn::ALL {
        let mut baseline = values.clone();
        apply_with(Isa::Baseline, function, &mut baseline);
        // The lane function called one value at a time, outside any vector loop.
        let lane = function.lane().expect("a function of one argument");
        for (&x, &y) in values.iter().zip(&baseline) {
            assert_eq!(
                lane(x).to_bits(),
                y.to_bits(),
                "{} at {x:e}",
                function.name()
            );
        }
        for isa in Isa::available() {
            let mut wide = values.clone();
            apply_with(isa, function, &mut wide);
            for ((&x, &a), &b) in values.iter().zip(&baseline).zip(&wide) {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "{} at {x:e}: {isa:?} differs from the baseline",
                    function.name()
                );
            }
        }
    }
}

#[test]
fn blocks_of_every_length_are_done_whole() {
    // Tails shorter than a vector are handled like the rest.
    for len in 0..40 {
        let values: Vec<f64> = (0..len).map(|i| i as f64 * 0.37 - 3.0).collect();
        let mut computed = values.clone();
        apply(VectorFn::Exp, &mut computed);
        for (&x, &y) in values.iter().zip(&computed) {
            assert!(ulps(y, x.exp()) <= 1, "len {len}, x {x}");
        }
    }
}

/// The C entry point the JIT calls computes what `apply` does, by function number, on the
/// first lanes of each row, and leaves memory alone for an unknown number, an empty block
/// or more lanes than a row has.
#[test]
fn the_c_entry_point_is_apply_by_number() {
    let values: Vec<f64> = (0..64).map(|i| i as f64 * 0.21 - 6.5).collect();
    for function in VectorFn::ALL {
        assert_eq!(VectorFn::from_id(function.id()), Some(function));
        let mut expected = values.clone();
        apply(function, &mut expected);
        let mut computed = values.clone();
        // SAFETY: 64 initialised values (4 rows of 16), borrowed mutably for the call.
        unsafe {
            galvani_vmath::galvani_vmath_apply(function.id(), computed.as_mut_ptr(), 4, 16, 16);
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&computed), bits(&expected), "{}", function.name());

        // The first 3 lanes of each row of 16; the rest untouched.
        let mut partial = values.clone();
        // SAFETY: as above.
        unsafe {
            galvani_vmath::galvani_vmath_apply(function.id(), partial.as_mut_ptr(), 4, 16, 3);
        }
        for (i, (&p, (&e, &x))) in partial.iter().zip(expected.iter().zip(&values)).enumerate() {
            let want = if i % 16 < 3 { e } else { x };
            assert_eq!(p.to_bits(), want.to_bits(), "{} value {i}", function.name());
        }
    }
    let mut untouched = values.clone();
    // SAFETY: as above; number 99 names no function, no rows or no lanes touch nothing,
    // and 17 lanes of a row of 16 are refused.
    unsafe {
        galvani_vmath::galvani_vmath_apply(99, untouched.as_mut_ptr(), 1, 64, 64);
        galvani_vmath::galvani_vmath_apply(0, untouched.as_mut_ptr(), 0, 64, 64);
        galvani_vmath::galvani_vmath_apply(0, untouched.as_mut_ptr(), 1, 64, 0);
        galvani_vmath::galvani_vmath_apply(0, untouched.as_mut_ptr(), 4, 16, 17);
    }
    assert_eq!(untouched, values);
}

/// `pow` against the table's (IEEE `pow`): every special pair of
/// `builtins::special_arguments` with the same bits where the table gives 0, ±∞, NaN or
/// an exact small power, and otherwise within the bound `lane::pow` documents:
/// 2 + |y·ln|x||/50 ulp (measured: 1 ulp up to |y·ln|x|| = 10, 2 up to 100, 9 up
/// to 745, `examples/ulps.rs`).
#[test]
fn pow_is_the_tables_within_its_bound() {
    let mut pairs: Vec<(f64, f64)> =
        builtins::special_arguments(galvani_ir::step::Func::Builtin(galvani_ir::Builtin::Pow))
            .into_iter()
            .map(|args| (args[0], args[1]))
            .collect();
    let mut random = Random(0x5851_f42d_4c95_7f2d);
    for _ in 0..200_000 {
        // Positive bases over many binades, exponents of every size that stays finite.
        let x = 2f64.powf(-60.0 + 120.0 * random.unit());
        let y = 40.0 * random.unit() - 20.0;
        pairs.push((x, y));
        // Near 1, where ln x is small, and negative bases with integer exponents.
        pairs.push((0.5 + random.unit(), 400.0 * random.unit() - 200.0));
        pairs.push((
            -(0.1 + 10.0 * random.unit()),
            (60.0 * random.unit() - 30.0).round(),
        ));
    }
    let mut x: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let y: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    galvani_vmath::apply_pow(&mut x, &y);
    for (&(a, b), &got) in pairs.iter().zip(&x) {
        let expected = builtins::pow(a, b);
        let exact_case = expected == 0.0 || !expected.is_finite();
        if exact_case {
            assert!(
                got.to_bits() == expected.to_bits() || (got.is_nan() && expected.is_nan()),
                "pow({a:e}, {b:e}) = {got:e}, the table says {expected:e}"
            );
        } else {
            // 0·ln 0 and the like (pow(0, 0) = 1): no exponent to scale the bound.
            let size = (b * a.abs().ln()).abs();
            let bound = 2.0 + if size.is_finite() { size / 50.0 } else { 0.0 };
            assert!(
                ulps(got, expected) as f64 <= bound,
                "pow({a:e}, {b:e}) = {got:e}, the table says {expected:e}: {} ulps",
                ulps(got, expected)
            );
        }
    }
    // The same bits from every instruction set and from the lane function.
    let base: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    for isa in Isa::available() {
        let mut wide = base.clone();
        galvani_vmath::apply_pow_with(isa, &mut wide, &y);
        for ((&(a, b), &w), &v) in pairs.iter().zip(&wide).zip(&x) {
            assert_eq!(w.to_bits(), v.to_bits(), "pow({a:e}, {b:e}) on {isa:?}");
            assert_eq!(
                w.to_bits(),
                galvani_vmath::lane::pow(a, b).to_bits(),
                "pow({a:e}, {b:e}): the lane function"
            );
        }
    }
}

/// `pow` through the C entry point: rows in pairs (`x`, then `y`), the result in the `x`
/// row, the `y` rows untouched; a partial block does the first lanes of each pair only.
#[test]
fn the_c_entry_point_takes_pow_rows_in_pairs() {
    assert_eq!(VectorFn::from_id(VectorFn::Pow.id()), Some(VectorFn::Pow));
    // Two pairs of rows of 16: x = 0.1..3.3, y = −2.5..2.3.
    let values: Vec<f64> = (0..64)
        .map(|i| {
            let row = i / 16;
            let lane = (i % 16) as f64;
            if row % 2 == 0 {
                0.1 + 0.2 * lane
            } else {
                -2.5 + 0.3 * lane
            }
        })
        .collect();
    for lanes in [16, 3] {
        let mut computed = values.clone();
        // SAFETY: 64 initialised values (4 rows of 16), borrowed mutably for the call.
        unsafe {
            galvani_vmath::galvani_vmath_apply(
                VectorFn::Pow.id(),
                computed.as_mut_ptr(),
                4,
                16,
                lanes,
            );
        }
        for i in 0..64 {
            let (row, lane) = (i / 16, i % 16);
            let want = if row % 2 == 0 && lane < lanes {
                galvani_vmath::lane::pow(values[i], values[i + 16])
            } else {
                values[i]
            };
            assert_eq!(
                computed[i].to_bits(),
                want.to_bits(),
                "lanes {lanes}, value {i}"
            );
        }
    }
    // `apply` cannot do pow (one slice): it leaves the values alone.
    let mut untouched = values.clone();
    apply(VectorFn::Pow, &mut untouched);
    assert_eq!(untouched, values);
}

/// The fast paths of `expm1`, `φ` and `exprel` give the general path's bits wherever they
/// are taken: near 0 (every argument of `arguments` in the series' interval, and the
/// doubles next to its ends), and far on either side up to the clamps.
#[test]
fn the_fast_paths_give_the_general_paths_bits() {
    type Pair = (&'static str, fn(f64) -> f64, fn(f64) -> f64);
    let near: [Pair; 3] = [
        ("expm1", lane::expm1, lane::expm1_near_zero),
        ("phi", lane::phi, lane::phi_near_zero),
        ("exprel", lane::exprel, lane::exprel_near_zero),
    ];
    let far: [Pair; 3] = [
        ("expm1", lane::expm1, lane::expm1_far),
        ("phi", lane::phi, lane::phi_far),
        ("exprel", lane::exprel, lane::exprel_far),
    ];
    let mut values = arguments(-50.0, 710.0, 400_000);
    values.extend(arguments(-1.0, 1.0, 400_000));
    for bound in [
        lane::NEAR_ZERO_BELOW,
        lane::NEAR_ZERO_ABOVE,
        lane::EXPM1_ARGUMENT_MIN,
        lane::EXP_ARGUMENT_MAX,
    ] {
        for step in -1000i64..=1000 {
            values.push(f64::from_bits((bound.to_bits() as i64 + step) as u64));
        }
    }
    let (mut near_count, mut far_count) = (0, 0);
    for &x in &values {
        if lane::is_near_zero(x) {
            near_count += 1;
            for (name, general, fast) in near {
                assert_eq!(
                    fast(x).to_bits(),
                    general(x).to_bits(),
                    "{name} near 0 at {x:e}"
                );
            }
        }
        if lane::is_far(x) {
            far_count += 1;
            for (name, general, fast) in far {
                assert_eq!(
                    fast(x).to_bits(),
                    general(x).to_bits(),
                    "{name} far at {x:e}"
                );
            }
        }
    }
    assert!(near_count > 100_000 && far_count > 400_000);
}

/// Applied in blocks of 64, as the step kernels call them (sorted arguments, so that most
/// blocks lie wholly near 0 or wholly far and take a fast path; some straddle a bound or
/// hold a NaN or an infinity), every function gives each value the lane function's bits,
/// with every instruction set.
#[test]
fn blocks_on_every_path_give_the_lane_functions_bits() {
    let mut values = arguments(-60.0, 720.0, 100_000);
    values.extend(arguments(-1.0, 1.0, 100_000));
    values.sort_by(f64::total_cmp);
    // A NaN and infinities inside otherwise uniform blocks.
    for (at, odd) in [
        (5_000, f64::NAN),
        (9_000, f64::INFINITY),
        (13_000, f64::NEG_INFINITY),
    ] {
        values[at] = odd;
    }
    for function in [
        VectorFn::Exp,
        VectorFn::Expm1,
        VectorFn::Phi,
        VectorFn::Exprel,
    ] {
        let lane = function.lane().expect("a function of one argument");
        for isa in Isa::available() {
            let mut computed = values.clone();
            for block in computed.chunks_mut(64) {
                apply_with(isa, function, block);
            }
            for (&x, &y) in values.iter().zip(&computed) {
                assert!(
                    y.to_bits() == lane(x).to_bits() || (y.is_nan() && x.is_nan()),
                    "{} at {x:e} with {isa:?}: {y:e}, the lane function gives {:e}",
                    function.name(),
                    lane(x)
                );
            }
        }
    }
}
