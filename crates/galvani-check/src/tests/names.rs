//! Name resolution: unknown names with suggestions, duplicates, reserved names, arity,
//! calls of non-functions, functions as values, recursion, forbidden references, and the
//! scoping rules (model names shadow units, function parameters shadow model names).

use super::*;
use galvani_diag::codes;

#[test]
fn unknown_name_suggests_a_close_model_name() {
    let src =
        model("param E_L = -65 mV\nparam tau = 10 ms\nstate V = -65 mV\ndV/dt = (E_l - V) / tau");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::UNKNOWN_NAME));
    assert_eq!(d.message, "unknown name `E_l`");
    assert_eq!(
        labels(&src, &d),
        vec![(true, "E_l", "not defined".to_string())]
    );
    assert_eq!(d.hints, vec!["did you mean `E_L`?"]);
}

#[test]
fn unknown_name_suggests_a_unit_by_case() {
    let src = model("param k = 1/mv\nstate V = 0\ndV/dt = k * V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::UNKNOWN_NAME));
    assert_eq!(d.hints, vec!["did you mean `mV`?"]);
    assert_eq!(labels(&src, &d)[0].1, "mv");
}

#[test]
fn unknown_name_without_a_close_match_has_no_hint() {
    let src = model("state V = 0\ndV/dt = -V * completely_unrelated");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::UNKNOWN_NAME));
    assert!(d.hints.is_empty(), "{:?}", d.hints);
}

#[test]
fn unknown_unit_suggests_by_case_and_distance() {
    let src = model("param E = -65 mv\nstate V = 0 mV\ndV/dt = (E - V) / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::UNKNOWN_UNIT));
    assert_eq!(d.message, "unknown unit `mv`");
    assert_eq!(
        labels(&src, &d),
        vec![(true, "mv", "not a unit".to_string())]
    );
    assert_eq!(d.hints, vec!["did you mean `mV`?"]);

    let src = model("param g = 3 nSS\nstate V = 0 mV\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::UNKNOWN_UNIT));
    assert_eq!(d.hints, vec!["did you mean `nS`?"]);
}

#[test]
fn duplicate_points_at_both_definitions() {
    let src = model("param g_L = 1\nstate V = 0\nparam g_L = 2\ndV/dt = -g_L * V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DUPLICATE));
    assert_eq!(d.message, "`g_L` is defined more than once");
    let l = labels(&src, &d);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0], (true, "g_L", "defined again here".to_string()));
    assert_eq!(
        l[1],
        (false, "g_L", "first defined here as a param".to_string())
    );
    assert!(d.labels[0].span.start > d.labels[1].span.start);
}

#[test]
fn intermediate_named_like_a_state_is_a_duplicate() {
    let src = model("state V = 0\nV = 3\ndV/dt = -V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DUPLICATE));
    assert_eq!(d.labels[1].message, "first defined here as a state");
}

#[test]
fn builtin_names_are_reserved() {
    let src = model("param exp = 1\nstate V = 0\ndV/dt = -V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::RESERVED));
    assert_eq!(
        d.message,
        "`exp` is a built-in function and cannot be redefined"
    );
    assert_eq!(labels(&src, &d)[0].1, "exp");
}

#[test]
fn arity_of_builtins_and_functions() {
    let src = model("state V = 0\ndV/dt = exp(V, 2)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::ARITY));
    assert_eq!(d.message, "`exp` takes 1 argument, but 2 were given");
    assert_eq!(
        labels(&src, &d),
        vec![(true, "exp", "expected 1 argument, found 2".to_string())]
    );

    let src = model("fn f(a, b) = a * b\nstate V = 0\ndV/dt = f(V)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::ARITY));
    assert_eq!(d.message, "`f` takes 2 arguments, but 1 was given");
}

#[test]
fn calling_a_value_is_not_a_function() {
    let src = model("param g_L = 0.1\nstate V = 0\ndV/dt = g_L(V)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::NOT_A_FUNCTION));
    assert_eq!(d.message, "`g_L` is a param, not a function");
    assert_eq!(d.hints, vec!["to multiply, write `g_L * (…)`"]);
    assert_eq!(labels(&src, &d)[0].1, "g_L");
}

#[test]
fn unknown_function_suggests_a_builtin() {
    let src = model("state V = 0\ndV/dt = exq(V)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::UNKNOWN_NAME));
    assert_eq!(d.message, "unknown function `exq`");
    assert_eq!(d.hints, vec!["did you mean `exp`?"]);
}

#[test]
fn functions_and_builtins_are_not_values() {
    let src = model("fn f(x) = 2 * x\nstate V = 0\ndV/dt = f * V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::FUNCTION_AS_VALUE));
    assert_eq!(d.message, "`f` is a function, not a value");
    assert_eq!(
        labels(&src, &d)[0],
        (true, "f", "used as a value".to_string())
    );

    let src = model("state V = 0\ndV/dt = exp * V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::FUNCTION_AS_VALUE));
    assert_eq!(d.message, "`exp` is a built-in function, not a value");
}

#[test]
fn recursion_names_the_cycle() {
    let src = model("fn f(x) = g(x) + 1\nfn g(x) = 2 * f(x)\nstate V = 0\ndV/dt = f(V)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::RECURSIVE_FUNCTION));
    assert_eq!(d.message, "functions call each other in a cycle: f → g → f");
    let l = labels(&src, &d);
    assert_eq!(l[0], (true, "g", "`f` calls `g`".to_string()));
    assert_eq!(l[1], (false, "f", "`g` calls `f`".to_string()));
    // self-recursion
    let src = model("fn f(x) = f(x)\nstate V = 0\ndV/dt = f(V)");
    let d = one(&src);
    assert_eq!(d.message, "functions call each other in a cycle: f → f");
}

#[test]
fn params_are_constants() {
    let src = model("state V = 0 mV\nparam V0 = 2 * V\ndV/dt = -V / (1 ms)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::FORBIDDEN_REFERENCE));
    assert_eq!(
        d.message,
        "a param is a constant: it cannot depend on the state `V`"
    );
    assert_eq!(
        labels(&src, &d)[0],
        (true, "V", "`V` is used here, in `V0`".to_string())
    );

    let src = model("param p = t\nstate V = 0\ndV/dt = -V * p");
    let d = one(&src);
    assert_eq!(
        d.message,
        "a param is a constant: it cannot depend on the time `t`"
    );
}

#[test]
fn input_defaults_use_only_params() {
    let src = model("param a = 1\nI = 2 * a\ninput J = I\nstate V = 0\ndV/dt = J - V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::FORBIDDEN_REFERENCE));
    assert_eq!(
        d.message,
        "an input's default can only use params, not the intermediate value `I`"
    );
}

#[test]
fn function_bodies_see_parameters_params_and_functions_only() {
    let src = model("state V = 0\nfn f(x) = x * V\ndV/dt = f(2)");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::FORBIDDEN_REFERENCE));
    assert_eq!(
        d.message,
        "a function body can only use its parameters, params and other functions, not the state `V`"
    );
    assert_eq!(
        d.hints,
        vec!["add `V` to the parameters of `f` and pass it at each call"]
    );
    // Allowed: parameters, params, other functions, built-ins, units.
    let m = ok(&model(
        "param k = 2\nfn g(y) = k * y\nfn f(x) = g(exp(x)) + 1\nstate V = 0\ndV/dt = f(V)",
    ));
    assert!(m.dimensionless);
}

#[test]
fn function_parameters_shadow_model_names() {
    let m = ok(&model(
        "param V = 3\nfn double(V) = 2 * V\nstate x = 1\ndx/dt = double(x)",
    ));
    let p = m.param_values();
    let d = m.derivatives(&p, &[], &[5.0], 0.0);
    assert_eq!(d, vec![10.0], "the argument, not the param V = 3");
}

#[test]
fn a_gate_named_m_shadows_metre_but_3_m_is_metres() {
    let src = model(
        "param L = 3 m\nstate V = -65 mV\n\
         gate m {\n    inf = 0.5\n    tau = 1 ms\n}\n\
         I = m^3 * L\n\
         dV/dt = -V / (1 ms)",
    );
    let m = ok(&src);
    let p = m.param_values();
    assert_eq!(p[0], 300.0, "3 m = 300 cm internally");
    assert_eq!(m.params[0].unit.text, "m");
    // `m^3` is the gate cubed: dimensionless, so I is a length.
    assert_eq!(m.intermediates[0].unit.dim, galvani_ir::Dim::LENGTH);
    let y = m.initial_state(&p, &[]);
    let i = m.intermediate_values(&p, &[], &y, 0.0);
    assert_eq!(i[0], 0.125 * 300.0);
}

#[test]
fn a_param_named_like_a_unit_shadows_it() {
    let m = ok(&model("param ms = 4\nstate V = 0\ndV/dt = -V / ms"));
    assert!(
        m.dimensionless,
        "`ms` is the param here, so no unit appears"
    );
}

#[test]
fn assign_target_unknown_suggests_a_state() {
    let src = model("state V = 0\ndV/dt = -V\non V > 1 {\n    v = 0\n}");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::UNKNOWN_NAME));
    assert_eq!(
        d.message,
        "cannot assign `v`: there is no state of that name"
    );
    assert_eq!(d.hints, vec!["did you mean `V`?"]);
}
