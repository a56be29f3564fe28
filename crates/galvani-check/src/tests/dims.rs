//! Dimension checking: mismatches with both sides labelled and unit hints, function
//! arguments, derivatives, exponents, conditions, gate fields, events, overflow.

use super::*;
use galvani_diag::codes;
use galvani_ir::Dim;

const VOLT: &str = "voltage [m^2 kg s^-3 A^-1]";

fn lif_like(rhs: &str) -> String {
    model(&format!(
        "param E_L = -65 mV\nparam tau = 10 ms\nstate V = -65 mV\ndV/dt = {rhs}"
    ))
}

#[test]
fn sum_of_voltage_and_bare_number() {
    let src = lif_like("(V + 55) / tau");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
    assert_eq!(d.message, "the two sides of `+` have different dimensions");
    let l = labels(&src, &d);
    assert_eq!(
        l[0],
        (
            true,
            "(V + 55)",
            "`+` needs both sides in the same dimension".to_string()
        )
    );
    assert_eq!(l[1], (false, "V", format!("this is {VOLT}")));
    assert_eq!(l[2], (false, "55", "this is dimensionless".to_string()));
    assert_eq!(d.hints, vec!["write `55 mV`"]);
}

#[test]
fn comparison_with_a_bare_number() {
    let src = model("state V = -65 mV\ndV/dt = -V / (10 ms)\non V > -20 {}");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
    assert_eq!(d.message, "the two sides of `>` have different dimensions");
    assert_eq!(d.hints, vec!["write `-20 mV`"]);
    assert_eq!(labels(&src, &d)[2].1, "-20");
}

#[test]
fn a_name_declared_as_a_bare_number_gets_a_declaration_hint() {
    let src = lif_like("(E_L - W) / tau\nstate W = 0\ndW/dt = -W / tau");
    let errs = errors(&src);
    let d = errs[0].to_diagnostic();
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
    assert_eq!(
        d.hints,
        vec!["`W` is declared as a bare number, so it is dimensionless: write `state W = 0 mV`"]
    );
}

#[test]
fn rate_constants_hint_without_a_space() {
    let src = model("param k = 4/ms\nstate y = 1\ndy/dt = -(k + 2) * y");
    let d = one(&src);
    assert_eq!(d.hints, vec!["write `2/ms`"]);
}

#[test]
fn transcendental_arguments_are_dimensionless() {
    let src = lif_like("exp(V) / tau * 1 mV");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSIONED_ARGUMENT));
    assert_eq!(d.message, "the argument of `exp` must be dimensionless");
    assert_eq!(
        labels(&src, &d),
        vec![(true, "V", format!("this is {VOLT}"))]
    );
    assert_eq!(
        d.hints,
        vec!["divide by a reference value of the same dimension: `exp(… / 10 mV)`"]
    );
}

#[test]
fn derivative_dimension() {
    let src = lif_like("E_L - V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DERIVATIVE_DIMENSION));
    assert_eq!(d.message, "`dV/dt` must have the dimension of `V` per time");
    let l = labels(&src, &d);
    assert_eq!(l[0], (true, "E_L - V", format!("this is {VOLT}")));
    assert_eq!(l[1], (false, "V", format!("`V` is {VOLT}")));
    assert_eq!(d.hints, vec!["divide by a time constant: `(…) / tau`"]);
    assert!(d.notes[0].contains("mV/ms"), "{:?}", d.notes);
}

#[test]
fn exponents_of_dimensioned_values() {
    let src = model("param p = 2\nparam x = 3 mV\nI = x^p\nstate V = 0\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::BAD_EXPONENT));
    assert_eq!(
        labels(&src, &d)[0],
        (true, "p", "not a constant number".to_string())
    );

    let src = model("param x = 3 mV\nI = x^0.123\nstate V = 0\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::BAD_EXPONENT));
    assert!(d.message.contains("`0.123`"), "{}", d.message);

    let src = model("param x = 3 mV\nI = 2^x\nstate V = 0\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
    assert_eq!(d.message, "an exponent must be dimensionless");
}

#[test]
fn allowed_powers() {
    let m = ok(&model(
        "param A = (20000 um)^2\nparam r = sqrt(A)\nparam c = A^(1/3)\nparam q = pow(r, -2)\n\
         param p = 3\nstate y = 0.5\ndy/dt = y^p / (1 ms)",
    ));
    let area = Dim::LENGTH.powi(2);
    assert_eq!(m.params[0].unit.dim, area);
    assert_eq!(m.params[1].unit.dim, Dim::LENGTH);
    assert_eq!(
        m.params[2].unit.dim,
        area.checked_pow(num_rational::Ratio::new(1, 3)).unwrap()
    );
    assert_eq!(m.params[3].unit.dim, Dim::LENGTH.powi(-2));
    let p = m.param_values();
    assert!(
        (p[0] - 4.0).abs() < 1e-15,
        "(2 cm)^2 = 4 cm^2, got {}",
        p[0]
    );
    assert!((p[1] - 2.0).abs() < 1e-15);
}

#[test]
fn conditions_and_numbers_do_not_mix() {
    let src = model("state V = 0\ndV/dt = -V\non V {}");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::CONDITION_TYPE));
    assert_eq!(d.message, "expected a condition, found a number");
    assert_eq!(
        labels(&src, &d),
        vec![(true, "V", "this is a number".to_string())]
    );

    let src = model("state V = 0\ndV/dt = -V * (V > 1)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::CONDITION_TYPE));
    assert_eq!(d.message, "a condition cannot be used as a number");
    assert_eq!(labels(&src, &d)[0].1, "(V > 1)");

    let src = model("state V = 0\ndV/dt = if V then 1 else 0");
    assert_eq!(one(&src).code, Some(codes::CONDITION_TYPE));
    let src = model("state V = 0\ndV/dt = -V\non V > 1 and 2 {}");
    assert_eq!(one(&src).code, Some(codes::CONDITION_TYPE));
    ok(&model(
        "state V = 0\ndV/dt = if not (V > 1) or V < -1 then -V else 0",
    ));
}

#[test]
fn if_branches_and_min_max_need_one_dimension() {
    let src = model("state V = 0 mV\ndV/dt = if V > 0 mV then 1 mV/ms else 0");
    let d = one(&src);
    assert_eq!(d.message, "the branches of `if` have different dimensions");
    assert_eq!(d.hints, vec!["write `0 mV/ms`"]);

    let src = model("state V = 0 mV\ndV/dt = max(V, 1 ms) / (1 ms)");
    let d = one(&src);
    assert_eq!(
        d.message,
        "the arguments of `max` have different dimensions"
    );
    let l = labels(&src, &d);
    assert_eq!((l[1].1, l[2].1), ("V", "1 ms"));
}

#[test]
fn gate_fields_have_required_dimensions() {
    let src = model(
        "state V = -65 mV\ndV/dt = -V / (1 ms)\ngate m {\n    alpha = 0.1\n    beta = 1/ms\n}",
    );
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
    assert_eq!(d.message, "the `alpha` of gate `m` must be a rate (1/time)");
    assert_eq!(
        labels(&src, &d)[0],
        (true, "0.1", "this is dimensionless".to_string())
    );
    assert_eq!(d.hints, vec!["write `0.1/ms`"]);

    let src = model("state V = 0 mV\ndV/dt = -V / (1 ms)\ngate n {\n    inf = 1\n    tau = 2\n}");
    let d = one(&src);
    assert_eq!(d.message, "the `tau` of gate `n` must be a time");
    assert_eq!(d.hints, vec!["write `2 ms`"]);

    let src =
        model("state V = 0 mV\ndV/dt = -V / (1 ms)\ngate n {\n    inf = V\n    tau = 2 ms\n}");
    assert_eq!(
        one(&src).message,
        "the `inf` of gate `n` must be dimensionless"
    );
}

#[test]
fn event_assignments_and_refractory_periods() {
    let src = model("state V = 0 mV\ndV/dt = -V / (1 ms)\non V > 1 mV {\n    V = 0\n}");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
    assert_eq!(
        d.message,
        format!("`V` is {VOLT}, so the value assigned to it must be too")
    );
    assert_eq!(d.hints, vec!["write `0 mV`"]);

    let src = model("state V = 0 mV\ndV/dt = -V / (1 ms)\non V > 1 mV {\n    refractory 2\n}");
    let d = one(&src);
    assert_eq!(d.message, "a refractory period must be a time");
    assert_eq!(d.hints, vec!["write `2 ms`"]);
}

#[test]
fn function_bodies_are_checked_at_each_call() {
    // The same function at two dimensions: fine.
    let m = ok(&model(
        "fn sq(x) = x * x\nparam a = sq(2 mV)\nparam b = sq(3 ms)\nstate V = 0\ndV/dt = -V / (1 ms)",
    ));
    assert_eq!(m.params[0].unit.dim, Dim::VOLTAGE.powi(2));
    assert_eq!(m.params[1].unit.dim, Dim::TIME.powi(2));
    // A dimensioned argument reaching exp inside the body: the error points into the body
    // and at the call.
    let src =
        model("fn boltz(x) = 1 / (1 + exp(x))\nstate V = 0 mV\nI = boltz(V)\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSIONED_ARGUMENT));
    let l = labels(&src, &d);
    assert_eq!(l[0], (true, "x", format!("this is {VOLT}")));
    assert_eq!(
        l[1],
        (
            false,
            "boltz(V)",
            "in this call of the function".to_string()
        )
    );
}

#[test]
fn the_same_body_error_at_two_calls_is_reported_once() {
    let src = model("fn f(x) = x + 1\nstate V = 0 mV\nI = f(V)\nJ = f(V)\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
    let l = labels(&src, &d);
    assert_eq!(l[0].1, "x + 1");
    assert_eq!(
        l[3],
        (false, "f(V)", "in this call of the function".to_string())
    );
    assert!(
        d.labels[3].span.start < src.find("J =").unwrap() as u32,
        "the first call"
    );
}

#[test]
fn overflowing_exponents_and_numbers_are_errors_not_panics() {
    let src = model("param x = 3 mV^2000000000\nstate V = 0\ndV/dt = -V / (1 ms)");
    assert_eq!(one(&src).code, Some(codes::BAD_EXPONENT));
    let src = model("param x = (3 mV)^2000000000\nstate V = 0\ndV/dt = -V / (1 ms)");
    assert_eq!(one(&src).code, Some(codes::BAD_EXPONENT));
    let src = model("param x = 1e308 V\nstate V = 0\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::BAD_NUMBER));
    assert_eq!(labels(&src, &d)[0].1, "1e308 V");
}

#[test]
fn dimensionless_models_check_trivially() {
    let m = ok(&model("param tau = 10\nstate v = 1\ndv/dt = -v / tau + t\non v > 2 {\n    v = 0\n    refractory 3\n}"));
    assert!(m.dimensionless);
    assert!(m.exprs.nodes.iter().all(|n| n.dim.is_none()));
    // One unit anywhere makes everything checked: `t` is a time, `v` is not.
    let src = model("param tau = 10 ms\nstate v = 1\ndv/dt = -v / tau + t");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DIMENSION_MISMATCH));
}
