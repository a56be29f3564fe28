//! The largest error in ulps of each block function against the scalar table, over dense
//! grids and a seeded random sweep of every range that matters (near 0, around the
//! switches at ±ln 2, large |x|, subnormal results): the numbers `docs/numerics.md` quotes.
//! `cargo run --release -p galvani-vmath --example ulps`.
use galvani_ir::builtins;
use galvani_vmath::{apply, VectorFn};

/// Distance in units in the last place (0 for equal bits, two NaNs, +0 against −0).
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    let ordered = |x: f64| {
        let bits = x.to_bits() as i64;
        if bits < 0 {
            i64::MIN - bits
        } else {
            bits
        }
    };
    ordered(a).abs_diff(ordered(b))
}

/// A 64-bit xorshift: the same sweep on every run.
struct Random(u64);
impl Random {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for function in VectorFn::ALL {
        let reference: fn(f64) -> f64 = match function {
            VectorFn::Exp => |x| builtins::exp(x),
            VectorFn::Expm1 => |x| builtins::expm1(x),
            VectorFn::Phi => |x| builtins::phi(x),
            VectorFn::Exprel => |x| builtins::exprel(x),
            VectorFn::Log => |x| builtins::log(x),
            VectorFn::Pow => continue,
        };
        // Where the function is neither saturated nor overflowing.
        let (low, high) = match function {
            VectorFn::Exp => (-745.0, 709.7),
            VectorFn::Expm1 => (-60.0, 709.7),
            VectorFn::Phi | VectorFn::Exprel => (-700.0, 700.0),
            VectorFn::Log => (0.0, 1e3),
            VectorFn::Pow => continue,
        };
        let mut ranges: Vec<(&str, Vec<f64>)> = Vec::new();
        let dense = 2_000_000;
        ranges.push((
            "dense grid",
            (0..=dense)
                .map(|i| low + (high - low) * i as f64 / dense as f64)
                .collect(),
        ));
        ranges.push((
            "|x| < 2 (random)",
            (0..2_000_000).map(|_| 4.0 * random.unit() - 2.0).collect(),
        ));
        ranges.push((
            "|x| in 1e-300..1 (log-uniform)",
            (0..1_000_000)
                .map(|i| {
                    let m = 10f64.powf(-300.0 * random.unit());
                    if i % 2 == 0 {
                        m
                    } else {
                        -m
                    }
                })
                .collect(),
        ));
        let mut switches = Vec::new();
        for at in [
            std::f64::consts::LN_2,
            -std::f64::consts::LN_2,
            std::f64::consts::LN_2 / 2.0,
            -std::f64::consts::LN_2 / 2.0,
        ] {
            for step in -20_000i64..=20_000 {
                switches.push(f64::from_bits((at.to_bits() as i64 + step) as u64));
            }
        }
        ranges.push(("±ln 2, ±ln 2/2 bit by bit", switches));
        ranges.push((
            "whole range (random)",
            (0..2_000_000)
                .map(|_| low + (high - low) * random.unit())
                .collect(),
        ));
        if function == VectorFn::Log {
            ranges.push((
                "2^-1074..2^1024 (log-uniform)",
                (0..2_000_000)
                    .map(|_| 2f64.powf(-1074.0 + 2098.0 * random.unit()))
                    .collect(),
            ));
            ranges.push((
                "0.5..2 (random, near 1)",
                (0..2_000_000).map(|_| 0.5 + 1.5 * random.unit()).collect(),
            ));
            let mut near_one = Vec::new();
            for at in [
                1.0f64,
                std::f64::consts::SQRT_2,
                std::f64::consts::FRAC_1_SQRT_2,
            ] {
                for step in -20_000i64..=20_000 {
                    near_one.push(f64::from_bits((at.to_bits() as i64 + step) as u64));
                }
            }
            ranges.push(("1, √2, √2/2 bit by bit", near_one));
        }
        if function == VectorFn::Exp {
            ranges.push((
                "subnormal results (random)",
                (0..1_000_000)
                    .map(|_| -745.0 + 37.0 * random.unit())
                    .collect(),
            ));
        }
        for (name, values) in ranges {
            let mut computed = values.clone();
            apply(function, &mut computed);
            let (error, at) = values
                .iter()
                .zip(&computed)
                .map(|(&x, &y)| (ulps(y, reference(x)), x))
                .max_by_key(|(e, _)| *e)
                .unwrap_or((0, 0.0));
            println!(
                "{:7} {name:32} max {error} ulp (at {at:e})",
                function.name()
            );
        }
    }
    // pow by the size of the exponent |y·ln x| (its error grows with it): random bases
    // over many binades and random exponents, sorted into bands.
    let bands = [1.0, 10.0, 100.0, 745.0];
    let mut worst = [(0u64, 0.0, 0.0); 4];
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..4_000_000 {
        // Half of the bases near 1 (k = 0, where the logarithm's rounding weighs most).
        let a = if random.unit() < 0.5 {
            2f64.powf(-1000.0 + 2000.0 * random.unit())
        } else {
            0.5 + 1.5 * random.unit()
        };
        let size = 745.0 * random.unit().powi(3);
        let sign = if random.unit() < 0.5 { 1.0 } else { -1.0 };
        x.push(a);
        y.push(sign * size / a.ln());
    }
    let mut computed = x.clone();
    galvani_vmath::apply_pow(&mut computed, &y);
    for ((&a, &b), &got) in x.iter().zip(&y).zip(&computed) {
        let size = (b * a.ln()).abs();
        let Some(band) = bands.iter().position(|&top| size <= top) else {
            continue;
        };
        let error = ulps(got, builtins::pow(a, b));
        if error > worst[band].0 {
            worst[band] = (error, a, b);
        }
    }
    for (top, (error, a, b)) in bands.iter().zip(worst) {
        println!("pow     |y·ln x| ≤ {top:<5}  max {error} ulp (at x = {a:e}, y = {b:e})");
    }
}
