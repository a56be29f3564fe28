//! White noise: the shapes of `dX/dt = f + g·xi` that are split into a deterministic part
//! and additive terms, the factor each term gets (sign included), shared names, and every
//! place noise is refused.

use super::{ok, one};
use galvani_diag::codes;
use galvani_ir::text::expr_to_string;
use galvani_ir::Model;

const HEAD: &str = "model m\nparam tau = 10\nparam s = 2\nstate x = 0\nstate y = 0\n";

/// The model `HEAD` + `body`, where `body` gives both equations.
fn noisy(body: &str) -> Model {
    ok(&format!("{HEAD}{body}"))
}

/// `(deterministic part, [(noise, factor)])` of state `k`, as the IR prints them.
fn parts(model: &Model, k: usize) -> (String, Vec<(String, String)>) {
    let state = &model.states[k];
    let terms = state
        .noise
        .iter()
        .map(|t| {
            (
                model.noise(t.noise).name.clone(),
                expr_to_string(model, t.scale),
            )
        })
        .collect();
    (expr_to_string(model, state.derivative), terms)
}

#[test]
fn additive_terms_are_split_with_their_signs() {
    let m = noisy("dx/dt = -x / tau + s * xi\ndy/dt = xi_b * s / 2 - (-y / tau) - s * xi\n");
    assert_eq!(
        parts(&m, 0),
        ("-x / tau".to_string(), vec![("xi".into(), "s".into())])
    );
    let (f, terms) = parts(&m, 1);
    assert_eq!(f, "-(-y / tau)");
    assert_eq!(
        terms,
        vec![
            ("xi_b".to_string(), "s / 2".to_string()),
            ("xi".to_string(), "-s".to_string())
        ]
    );
    // One name in two equations is one noise; names are kept in order of first use.
    let names: Vec<&str> = m.noises.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["xi", "xi_b"]);
    assert_eq!(m.states[0].noise[0].noise, m.states[1].noise[1].noise);
}

#[test]
fn an_equation_of_noise_alone_has_a_zero_drift() {
    let m = noisy("dx/dt = xi\ndy/dt = -(s * xi_2)\n");
    let (f, terms) = parts(&m, 0);
    assert_eq!(f, "0");
    assert_eq!(terms, vec![("xi".to_string(), "1".to_string())]);
    let (_, terms) = parts(&m, 1);
    assert_eq!(terms, vec![("xi_2".to_string(), "-s".to_string())]);
}

#[test]
fn noise_that_is_not_an_additive_factor_is_refused_at_the_noise() {
    for (equation, under) in [
        ("dx/dt = -x / tau * (1 + s * xi)", "xi"),
        ("dx/dt = -x / tau + s / xi", "xi"),
        ("dx/dt = -x / tau + exp(xi)", "xi"),
        ("dx/dt = -x / tau + xi^2", "xi"),
        ("dx/dt = -x / tau + xi * xi_b", "xi_b"),
        ("dx/dt = -x / tau + (if x > 0 then xi else 0)", "xi"),
    ] {
        let src = format!("{HEAD}{equation}\ndy/dt = -y\n");
        let d = one(&src);
        assert_eq!(d.code, Some(codes::NOISE_PLACEMENT), "{equation}");
        let span = d.labels[0].span;
        assert_eq!(
            &src[span.start as usize..span.end as usize],
            under,
            "{equation}"
        );
    }
}

#[test]
fn noise_outside_an_equation_is_refused() {
    for line in [
        "z = s * xi",
        "param p = xi",
        "input i = xi",
        "fn f(a) = a * xi",
        "on x > s {\n    x = xi\n}",
    ] {
        let src = format!("{HEAD}{line}\ndx/dt = -x\ndy/dt = -y\n");
        let d = one(&src);
        assert_eq!(d.code, Some(codes::NOISE_PLACEMENT), "{line}");
        assert!(d.message.contains("only in a `dX/dt` equation"), "{line}");
    }
    let src = "model m\ngate h {\n    inf = 0.5 + 0.1 * xi\n    tau = 1\n}\n";
    assert_eq!(one(src).code, Some(codes::NOISE_PLACEMENT));
}

#[test]
fn a_factor_that_reads_a_state_is_refused_even_through_an_intermediate() {
    let d = one(&format!("{HEAD}dx/dt = -x + x * xi\ndy/dt = -y\n"));
    assert_eq!(d.code, Some(codes::NOISE_FACTOR));
    assert!(d.message.contains("state `x`"), "{}", d.message);
    let d = one(&format!(
        "{HEAD}g = s * y\ndx/dt = -x + g * xi\ndy/dt = -y\n"
    ));
    assert_eq!(d.code, Some(codes::NOISE_FACTOR));
    assert!(d.message.contains("state `y`"), "{}", d.message);
}

#[test]
fn a_noise_term_needs_the_dimension_of_the_derivative() {
    let src = "model m\nparam tau = 10 ms\nparam sigma = 2 mV\nstate V = 0 mV\n";
    ok(&format!(
        "{src}dV/dt = -V / tau + sigma * sqrt(2 / tau) * xi\n"
    ));
    let d = one(&format!("{src}dV/dt = -V / tau + sigma / tau * xi\n"));
    assert_eq!(d.code, Some(codes::DERIVATIVE_DIMENSION));
    assert!(
        d.notes.iter().any(|n| n.contains("time^(-1/2)")),
        "{:?}",
        d.notes
    );
}
