//! Throughput of the block functions against the scalar table, ns per value (a quick look,
//! `cargo run --release -p galvani-vmath --example speed`; `galvani bench` is the measurement).
use galvani_vmath::{apply_with, Isa, VectorFn};
use std::time::Instant;

fn main() {
    let grid: Vec<f64> = (0..4096)
        .map(|i| -20.0 + 40.0 * i as f64 / 4096.0)
        .collect();
    let rounds = 2000;
    for function in VectorFn::ALL {
        // The logarithm over positive arguments (1e-3 to 20).
        let values: Vec<f64> = match function {
            VectorFn::Log => grid.iter().map(|x| x.abs() + 1e-3).collect(),
            _ => grid.clone(),
        };
        let scalar: fn(f64) -> f64 = match function {
            VectorFn::Exp => f64::exp,
            VectorFn::Expm1 => f64::exp_m1,
            VectorFn::Phi => |x| x.exp_m1() / x,
            VectorFn::Exprel => |x| x / x.exp_m1(),
            VectorFn::Log => f64::ln,
            VectorFn::Pow => continue,
        };
        let mut buffer = values.clone();
        let start = Instant::now();
        for _ in 0..rounds {
            buffer.copy_from_slice(&values);
            for v in buffer.iter_mut() {
                *v = scalar(std::hint::black_box(*v));
            }
            std::hint::black_box(&buffer);
        }
        let libm = start.elapsed().as_secs_f64() * 1e9 / (rounds * values.len()) as f64;
        print!("{:7} libm {libm:5.2} ns", function.name());
        print_blocked(function, &values, rounds, libm);
        // Near 0 (−0.3 to 0.6), where expm1, φ and exprel take their fast path: the
        // arguments of φ(−B·dt) in a gating step.
        if matches!(function, VectorFn::Expm1 | VectorFn::Phi | VectorFn::Exprel) {
            let near: Vec<f64> = grid.iter().map(|x| 0.15 + 0.0225 * x).collect();
            print!("{:7} near 0     ", "");
            print_blocked(function, &near, rounds, libm);
        }
    }
    // pow over bases 1e-3..20 and exponents −3..3.
    let base: Vec<f64> = grid.iter().map(|x| x.abs() + 1e-3).collect();
    let exponent: Vec<f64> = grid.iter().map(|x| 0.15 * x).collect();
    let mut buffer = base.clone();
    let start = Instant::now();
    for _ in 0..rounds {
        buffer.copy_from_slice(&base);
        for (v, &e) in buffer.iter_mut().zip(&exponent) {
            *v = std::hint::black_box(*v).powf(e);
        }
        std::hint::black_box(&buffer);
    }
    let libm = start.elapsed().as_secs_f64() * 1e9 / (rounds * base.len()) as f64;
    print!("{:7} libm {libm:5.2} ns", "pow");
    for isa in Isa::available() {
        let start = Instant::now();
        for _ in 0..rounds {
            buffer.copy_from_slice(&base);
            galvani_vmath::apply_pow_with(isa, &mut buffer, &exponent);
            std::hint::black_box(&buffer);
        }
        let t = start.elapsed().as_secs_f64() * 1e9 / (rounds * base.len()) as f64;
        print!("  {isa:?} {t:5.2} ns ({:.1}×)", libm / t);
    }
    println!();
}

/// ns per value of `function` on `values` with each instruction set the host has, and
/// the ratio to `libm` (ns per value one at a time).
fn print_blocked(function: VectorFn, values: &[f64], rounds: usize, libm: f64) {
    let mut buffer = values.to_vec();
    for isa in Isa::available() {
        let start = Instant::now();
        for _ in 0..rounds {
            buffer.copy_from_slice(values);
            apply_with(isa, function, &mut buffer);
            std::hint::black_box(&buffer);
        }
        let t = start.elapsed().as_secs_f64() * 1e9 / (rounds * values.len()) as f64;
        print!("  {isa:?} {t:5.2} ns ({:.1}×)", libm / t);
    }
    println!();
}
