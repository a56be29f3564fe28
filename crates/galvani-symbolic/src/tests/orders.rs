//! Convergence orders of every method, measured by halving dt on the step programs
//! themselves (run by the test interpreter): Euler ≈ 1, RK4 ≈ 4, expeuler ≈ 1 (exact on a
//! constant-coefficient linear equation), expeuler2 ≈ 2 on linear and nonlinear
//! equations alike.

use super::{linearized, model_from_source, Machine};
use crate::discretize;
use galvani_ir::step::Method;

/// Time-varying linear equation: dy/dt = −(1 + 0.5·sin t)·y + cos t (and a second state
/// driven by the first, so that coupling is exercised).
const LINEAR: &str = r#"model linear_tv "linear, time-varying"
state y = 1
state z = 0
dy/dt = -(1 + 0.5 * sin(t)) * y + cos(t)
dz/dt = y - 2 * z
"#;

/// Nonlinear in its own state and coupled: dv/dt = −v³ + sin(2t) − w, dw/dt = 0.5·v − w.
const NONLINEAR: &str = r#"model nonlinear "nonlinear, coupled"
state v = 0.8
state w = 0
dv/dt = -v^3 + sin(2 * t) - w
dw/dt = 0.5 * v - w
"#;

/// Constant-coefficient linear equation, solved exactly by expeuler.
const CONSTANT: &str = r#"model constant "dy/dt = 2 - 3 y"
state y = 5
dy/dt = 2 - 3 * y
"#;

fn max_error(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Observed orders `log2(e(dt)/e(dt/2))` for step counts n, 2n, 4n, against a reference
/// computed with RK4 at 64× the finest resolution.
fn orders(source: &str, method: Method, t_end: f64, n: usize) -> Vec<f64> {
    let lin = linearized(&model_from_source(source));
    let reference =
        Machine::new(discretize(&lin, Method::Rk4).expect("rk4")).integrate(t_end, n * 4 * 64);
    let machine = Machine::new(discretize(&lin, method).expect("discretize"));
    let errors: Vec<f64> = [n, 2 * n, 4 * n]
        .iter()
        .map(|&steps| max_error(&machine.integrate(t_end, steps), &reference))
        .collect();
    errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect()
}

fn assert_order(measured: &[f64], expected: f64, what: &str) {
    for &p in measured {
        assert!(
            (p - expected).abs() < 0.25,
            "{what}: measured orders {measured:?}, expected {expected}"
        );
    }
}

#[test]
fn euler_is_first_order() {
    assert_order(
        &orders(LINEAR, Method::Euler, 2.0, 200),
        1.0,
        "euler, linear",
    );
    assert_order(
        &orders(NONLINEAR, Method::Euler, 2.0, 200),
        1.0,
        "euler, nonlinear",
    );
}

#[test]
fn rk4_is_fourth_order() {
    assert_order(&orders(LINEAR, Method::Rk4, 2.0, 10), 4.0, "rk4, linear");
    assert_order(
        &orders(NONLINEAR, Method::Rk4, 2.0, 10),
        4.0,
        "rk4, nonlinear",
    );
}

#[test]
fn expeuler_is_first_order_and_exact_for_constant_coefficients() {
    assert_order(
        &orders(LINEAR, Method::ExpEuler, 2.0, 200),
        1.0,
        "expeuler, linear",
    );
    assert_order(
        &orders(NONLINEAR, Method::ExpEuler, 2.0, 200),
        1.0,
        "expeuler, nonlinear",
    );
    // y(t) = 2/3 + (5 − 2/3)·e^(−3t), for any dt, to rounding.
    let lin = linearized(&model_from_source(CONSTANT));
    for method in [Method::ExpEuler, Method::ExpEuler2] {
        let machine = Machine::new(discretize(&lin, method).expect("discretize"));
        for steps in [1, 3, 10, 1000] {
            let y = machine.integrate(2.0, steps)[0];
            let exact = 2.0 / 3.0 + (5.0 - 2.0 / 3.0) * (-6.0f64).exp();
            assert!(
                (y - exact).abs() < 1e-13,
                "{} with {steps} steps: {y} vs {exact}",
                method.name()
            );
        }
    }
}

#[test]
fn expeuler2_is_second_order_on_linear_and_nonlinear_equations() {
    assert_order(
        &orders(LINEAR, Method::ExpEuler2, 2.0, 50),
        2.0,
        "expeuler2, linear",
    );
    assert_order(
        &orders(NONLINEAR, Method::ExpEuler2, 2.0, 50),
        2.0,
        "expeuler2, nonlinear",
    );
}

#[test]
fn orders_on_hodgkin_huxley() {
    // 5 ms of HH with a 10 uA/cm^2 drive (an action potential); the reference is RK4 at
    // 64× the finest resolution.
    let source = std::fs::read_to_string(super::models_dir().join("hh.gal")).expect("hh");
    let source = source.replace("input I_e = 0 uA/cm^2", "input I_e = 10 uA/cm^2");
    for (method, expected, n) in [
        (Method::Euler, 1.0, 1000),
        (Method::ExpEuler, 1.0, 1000),
        (Method::ExpEuler2, 2.0, 500),
        (Method::Rk4, 4.0, 250),
    ] {
        assert_order(&orders(&source, method, 5.0, n), expected, method.name());
    }
}

#[test]
fn exponential_methods_are_stable_where_euler_is_not() {
    // A stiff passive membrane, tau = 0.01 ms, dt = 0.1 ms: Euler explodes, the φ forms
    // relax to the steady state.
    let source = r#"model stiff "stiff passive"
param tau = 0.01 ms
param E = -65 mV
state V = 0 mV
dV/dt = (E - V) / tau
"#;
    let lin = linearized(&model_from_source(source));
    let euler = Machine::new(discretize(&lin, Method::Euler).expect("euler"));
    assert!(euler.integrate(10.0, 100)[0].abs() > 1e10);
    for method in [Method::ExpEuler, Method::ExpEuler2] {
        let m = Machine::new(discretize(&lin, method).expect("discretize"));
        let v = m.integrate(10.0, 100)[0];
        assert!((v + 65.0).abs() < 1e-9, "{}: {v}", method.name());
    }
}
