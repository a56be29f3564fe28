//! Conversion to internal units at check time (one rounding), unit names as values, and
//! the display unit each declaration is reported in.

use super::*;
use galvani_ir::units::lookup;
use galvani_ir::{Dim, ExprKind};

/// The param values of a model whose body declares params only (plus a trivial state).
fn params(body: &str) -> (Model, Vec<f64>) {
    let m = ok(&model(&format!(
        "{body}\nstate V = 0 mV\ndV/dt = -V / (1 ms)"
    )));
    let p = m.param_values();
    (m, p)
}

#[test]
fn quantities_convert_to_internal_units() {
    let (m, p) = params(
        "param R = 10 Mohm\nparam I = 1.5 nA\nparam A = 20000 um^2\nparam C = 281 pF\nparam f = 2 Hz\nparam T = 1.5 s",
    );
    assert_eq!(p, vec![10000.0, 0.0015, 2e-4, 0.000281, 0.002, 1500.0]);
    // One rounding: each value is a single constant node.
    for param in &m.params {
        assert!(matches!(m.exprs.kind(param.value), ExprKind::Const(_)));
    }
}

#[test]
fn unit_arithmetic_stays_one_constant() {
    let (m, p) = params(
        "param g = 120 mS/cm^2\nparam k = 0.1/(ms*mV)\nparam r = 4/ms\nparam j = 1 nA/um^2\nparam s = 2 * mV",
    );
    assert_eq!(p, vec![120.0, 0.1, 4.0, 1e5, 2.0]);
    for param in &m.params {
        assert!(
            matches!(m.exprs.kind(param.value), ExprKind::Const(_)),
            "{} is {:?}",
            param.name,
            m.exprs.kind(param.value)
        );
    }
    let ms = lookup("ms").unwrap().dim;
    assert_eq!(m.params[1].unit.dim, ms.mul(Dim::VOLTAGE).powi(-1));
    assert_eq!(m.params[2].unit.dim, ms.powi(-1));
}

#[test]
fn unit_names_as_values() {
    let (m, p) = params("param one_ms = ms\nparam per_s = 1/s\nparam big = 3 * mA");
    assert_eq!(p, vec![1.0, 0.001, 3000.0]);
    assert_eq!(m.params[0].unit.dim, Dim::TIME);
}

#[test]
fn declared_units_are_kept_for_display() {
    let (m, _) = params(
        "param R = 10 Mohm\nparam A = 20000 um^2\nparam E = -65 mV\nparam k = 0.1/(ms*mV)\n\
         param g = 120 mS/cm^2\nparam j = 1 nA/um^2\nparam E2 = E\nparam E3 = 2 * E\nparam n = 3",
    );
    let shown: Vec<(&str, f64)> = m
        .params
        .iter()
        .map(|p| (p.unit.text.as_str(), p.unit.scale))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("Mohm", 1000.0),
            ("um^2", 1e-8),
            ("mV", 1.0),
            ("1/(ms*mV)", 1.0),
            ("mS/cm^2", 1.0),
            ("nA/um^2", 1e5),
            ("mV", 1.0),
            ("mV", 1.0),
            ("", 1.0),
        ]
    );
    for p in &m.params {
        assert_eq!(p.unit.dim, m.exprs.dim(p.value), "{}", p.name);
    }
}

#[test]
fn states_and_inputs_take_the_unit_they_are_written_in() {
    let m = ok(&model(
        "param E_L = -70 mV\ninput I = 0 pA\nstate V = E_L\nstate w = -(0 nA)\nstate c = 2 * E_L\n\
         dV/dt = I / (1 pF)\ndw/dt = -w / (1 ms)\ndc/dt = -c / (1 ms)",
    ));
    assert_eq!(m.inputs[0].unit.text, "pA");
    assert_eq!(m.inputs[0].unit.scale, 1e-6);
    assert_eq!(m.states[0].unit.text, "mV");
    assert_eq!(m.states[1].unit.text, "nA");
    assert_eq!(m.states[2].unit.text, "mV");
    // intermediates: internal units
    let m = ok(&model(
        "param g = 30 nS\nstate V = 0 mV\nI = g * V\ndV/dt = -I / (1 pF)",
    ));
    assert_eq!(m.intermediates[0].unit.text, "uA");
}

#[test]
fn time_is_milliseconds() {
    let m = ok(&model(
        "param tau = 1 s\nstate x = 0\ndx/dt = t / tau / tau",
    ));
    assert_eq!(m.param_values(), vec![1000.0]);
    let d = m.derivatives(&[1000.0], &[], &[0.0], 500.0);
    assert_eq!(d, vec![500.0 / 1e6]);
}
