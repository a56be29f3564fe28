//! Dependency order of params, intermediates and initial values; cycles.

use super::*;
use galvani_diag::codes;

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| name(i).to_string()).collect()
}

#[test]
fn params_in_dependency_order_else_declaration_order() {
    let m = ok(&model(
        "param c = 1\nparam b = a * 2\nparam d = 4\nparam a = c + 1\nstate V = 0\ndV/dt = -V",
    ));
    assert_eq!(names(&m.params, |p| &p.name), ["c", "d", "a", "b"]);
    assert_eq!(m.param_values(), vec![1.0, 4.0, 2.0, 4.0]);
}

#[test]
fn params_through_functions() {
    let m = ok(&model(
        "param a = f(2)\nfn f(x) = x * b\nparam b = 3\nstate V = 0\ndV/dt = -V",
    ));
    assert_eq!(names(&m.params, |p| &p.name), ["b", "a"]);
    assert_eq!(m.param_values(), vec![3.0, 6.0]);
    let src = model("param a = f(1)\nfn f(x) = x * a\nstate V = 0\ndV/dt = -V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::CYCLE));
    assert_eq!(
        d.message,
        "params depend on each other in a cycle: a → f → a"
    );
}

#[test]
fn param_cycle_names_every_step() {
    let src = model("param a = b + 1\nparam b = 2 * a\nstate V = 0\ndV/dt = -V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::CYCLE));
    assert_eq!(
        d.message,
        "params depend on each other in a cycle: a → b → a"
    );
    let l = labels(&src, &d);
    assert_eq!(l[0], (true, "b", "`a` uses `b`".to_string()));
    assert_eq!(l[1], (false, "a", "`b` uses `a`".to_string()));
}

#[test]
fn intermediates_in_dependency_order() {
    let m = ok(&model(
        "state V = 0\nz = y + x\ny = 2 * x\nx = V + 1\nw = 5\ndV/dt = z - V",
    ));
    assert_eq!(names(&m.intermediates, |i| &i.name), ["x", "y", "z", "w"]);
    let inter = m.intermediate_values(&[], &[], &[1.0], 0.0);
    assert_eq!(inter, vec![2.0, 4.0, 6.0, 5.0]);
}

#[test]
fn intermediate_cycle() {
    let src = model("state V = 0\nx = z + V\ny = x\nz = y * 2\ndV/dt = x");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::CYCLE));
    assert_eq!(
        d.message,
        "intermediate values depend on each other in a cycle: x → z → y → x"
    );
    let l = labels(&src, &d);
    assert_eq!(l.len(), 3);
    assert!(l.iter().any(|x| x.2 == "`z` uses `y`"));
}

#[test]
fn init_order_follows_dependencies_through_intermediates() {
    let m = ok(&model(
        "state x = I\nI = 2 * y\nstate y = 3\nstate z = x + y\n\
         dx/dt = -x\ndy/dt = -y\ndz/dt = -z",
    ));
    let order: Vec<u32> = m.init_order.iter().map(|s| s.0).collect();
    assert_eq!(order, vec![1, 0, 2], "y, then x (through I), then z");
    assert_eq!(m.initial_state(&[], &[]), vec![6.0, 3.0, 9.0]);
}

#[test]
fn init_cycle_through_an_intermediate() {
    let src = model("state V = I\nI = 2 * V\ndV/dt = -V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::CYCLE));
    assert_eq!(
        d.message,
        "initial values depend on each other in a cycle: V → I → V"
    );
    assert_eq!(
        d.hints,
        vec!["give one of these states a constant initial value"]
    );

    let src = model("state a = b\nstate b = a\nda/dt = -a\ndb/dt = -b");
    assert_eq!(
        one(&src).message,
        "initial values depend on each other in a cycle: a → b → a"
    );
}

#[test]
fn states_may_start_from_inputs_params_and_time() {
    let m = ok(&model(
        "param a = 2\ninput I = 3 * a\nstate V = I + a + t\ndV/dt = -V",
    ));
    let p = m.param_values();
    let i = m.input_defaults(&p);
    assert_eq!(i, vec![6.0]);
    assert_eq!(m.initial_state(&p, &i), vec![8.0]);
}

#[test]
fn gates_start_after_what_their_rates_use() {
    let m = ok(&model(
        "gate h {\n    inf = 1 / (1 + exp(V0 - c))\n    tau = 1\n}\nV0 = 2 * c\nstate c = 1\ndc/dt = -c",
    ));
    let order: Vec<u32> = m.init_order.iter().map(|s| s.0).collect();
    assert_eq!(order, vec![1, 0]);
    let y = m.initial_state(&[], &[]);
    assert_eq!(y[0], 1.0 / (1.0 + 1f64.exp()));
}
