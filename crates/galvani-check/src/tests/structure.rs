//! Model structure: equations and states, gate fields, statement placement, events.

use super::*;
use galvani_diag::codes;
use galvani_ir::{AssignOp, EventKind, GateForm};

#[test]
fn state_without_equation() {
    let src = model("state V = 0\nstate w = 1\ndV/dt = -V");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::MISSING_ODE));
    assert_eq!(d.message, "state `w` has no equation");
    assert_eq!(
        labels(&src, &d),
        vec![(true, "w", "declared here".to_string())]
    );
    assert_eq!(d.hints, vec!["add `dw/dt = …`"]);
}

#[test]
fn equation_without_state() {
    let src = model("state V = 0\ndV/dt = -V\ndW/dt = 1");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::ODE_WITHOUT_STATE));
    assert_eq!(d.message, "`dW/dt`: there is no state `W`");
    assert_eq!(labels(&src, &d)[0].1, "W");
    assert_eq!(d.hints, vec!["declare it: `state W = …`"]);

    let src = model("state Vm = 0\ndVm/dt = -Vm\ndVn/dt = 1");
    let d = one(&src);
    assert_eq!(d.hints, vec!["did you mean `Vm`?"]);

    let src = model("param g_L = 1\nstate V = 0\ndV/dt = -V\ndg_L/dt = 1");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::ODE_WITHOUT_STATE));
    assert_eq!(d.message, "`dg_L/dt`: `g_L` is a param, not a state");
}

#[test]
fn two_equations_for_one_state() {
    let src = model("state V = 0\ndV/dt = -V\ndV/dt = 1");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DUPLICATE_ODE));
    assert_eq!(d.message, "`V` has more than one equation");
    let l = labels(&src, &d);
    assert_eq!(l[0], (true, "dV/dt = 1", "second equation".to_string()));
    assert_eq!(l[1], (false, "dV/dt = -V", "first equation".to_string()));
}

#[test]
fn a_gate_has_no_written_equation() {
    let src = model("gate m {\n    inf = 0.5\n    tau = 2\n}\ndm/dt = 1");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DUPLICATE_ODE));
    assert!(d.message.starts_with("`m` is a gate"), "{}", d.message);
    assert_eq!(labels(&src, &d)[0].1, "dm/dt = 1");
    assert!(labels(&src, &d)[1].1.starts_with("gate m {"));
}

fn gate_error(fields: &str) -> (String, Diagnostic) {
    let src = model(&format!("gate x {{\n{fields}\n}}"));
    let d = one(&src);
    assert_eq!(d.code, Some(codes::GATE_FIELDS));
    (src, d)
}

#[test]
fn gate_fields() {
    let (src, d) = gate_error("    alpah = 1\n    beta = 2");
    assert_eq!(d.message, "gate `x` has an unknown field `alpah`");
    assert_eq!(
        labels(&src, &d),
        vec![(true, "alpah", "unknown field".to_string())]
    );
    assert_eq!(d.hints, vec!["did you mean `alpha`?"]);

    let (_, d) = gate_error("    alpha = 1\n    tau = 2");
    assert_eq!(d.message, "gate `x` mixes `alpha`/`beta` with `inf`/`tau`");

    let (src, d) = gate_error("    alpha = 1");
    assert_eq!(d.message, "gate `x` has `alpha` but no `beta`");
    assert!(labels(&src, &d)[0].1.starts_with("gate x {"));

    let (src, d) = gate_error("    inf = 1\n    tau = 2\n    inf = 3");
    assert_eq!(d.message, "gate `x` sets `inf` twice");
    let l = labels(&src, &d);
    assert_eq!((l[0].1, l[1].1), ("inf", "inf"));
    assert!(d.labels[0].span.start > d.labels[1].span.start);

    let (_, d) = gate_error("");
    assert_eq!(d.message, "gate `x` defines no rates");
}

#[test]
fn gate_expansion_alpha_beta_and_inf_tau() {
    let m = ok(&model(
        "param V = -10\n\
         gate a {\n    alpha = 2\n    beta = 3\n}\n\
         gate b {\n    inf = 0.25\n    tau = 4\n    init = 0.5\n}",
    ));
    assert!(matches!(m.states[0].gate, Some(GateForm::AlphaBeta { .. })));
    assert!(matches!(m.states[1].gate, Some(GateForm::InfTau { .. })));
    let p = m.param_values();
    let y0 = m.initial_state(&p, &[]);
    assert_eq!(
        y0,
        vec![2.0 / 5.0, 0.5],
        "steady state alpha/(alpha+beta); explicit init"
    );
    let d = m.derivatives(&p, &[], &[0.1, 0.3], 0.0);
    assert_eq!(d[0], 2.0 * (1.0 - 0.1) - 3.0 * 0.1);
    assert_eq!(d[1], (0.25 - 0.3) / 4.0);
    // Synthesised nodes carry the gate block's span.
    let src_gate = m.states[0].ode_span;
    assert_eq!(m.exprs.span(m.states[0].derivative), src_gate);
    assert_eq!(m.exprs.span(m.states[0].init), src_gate);
}

#[test]
fn gate_inf_tau_starts_at_inf() {
    let m = ok(&model(
        "state V = -65\ngate n {\n    inf = 1 / (1 + exp(-V / 10))\n    tau = 5\n}\ndV/dt = -V",
    ));
    let y = m.initial_state(&m.param_values(), &[]);
    assert_eq!(y[1], 1.0 / (1.0 + (6.5f64).exp()));
}

#[test]
fn compound_assignment_and_refractory_at_top_level() {
    let src = model("state V = 0\ndV/dt = -V\nV += 1");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::MISPLACED_STATEMENT));
    assert_eq!(
        d.message,
        "`+=` and `-=` are only allowed inside an `on` block"
    );
    assert_eq!(labels(&src, &d)[0].1, "V += 1");

    let src = model("state V = 0\ndV/dt = -V\nrefractory 2");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::MISPLACED_REFRACTORY));
    assert_eq!(
        d.message,
        "`refractory` is only allowed inside an `on` block"
    );
    assert_eq!(labels(&src, &d)[0].1, "refractory 2");
}

#[test]
fn declarations_inside_on_blocks() {
    let src = model("state V = 0\ndV/dt = -V\non V > 1 {\n    param x = 1\n}");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::MISPLACED_STATEMENT));
    assert_eq!(
        d.message,
        "declarations are not allowed inside an `on` block"
    );
    assert_eq!(labels(&src, &d)[0].1, "param x = 1");

    let src = model("state V = 0\ndV/dt = -V\non V > 1 {\n    dV/dt = 1\n}");
    assert_eq!(one(&src).code, Some(codes::MISPLACED_STATEMENT));

    let src = model("state V = 0\ndV/dt = -V\non V > 1 {\n    on V > 2 {}\n}");
    let d = one(&src);
    assert_eq!(d.message, "an `on` block cannot contain another `on` block");
}

#[test]
fn only_states_are_assigned() {
    let src = model("param g_L = 1\nstate V = 0\ndV/dt = -g_L * V\non V > 1 {\n    g_L = 2\n}");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::ASSIGN_NOT_STATE));
    assert_eq!(
        d.message,
        "`g_L` is a param; only states can be assigned in an `on` block"
    );
    assert_eq!(
        labels(&src, &d),
        vec![(true, "g_L", "not a state".to_string())]
    );
}

#[test]
fn one_refractory_per_event() {
    let src = model("state V = 0\ndV/dt = -V\non V > 1 {\n    refractory 1\n    refractory 2\n}");
    let d = one(&src);
    assert_eq!(d.code, Some(codes::DUPLICATE_REFRACTORY));
    let l = labels(&src, &d);
    assert_eq!(
        l[0],
        (true, "refractory 2", "second `refractory`".to_string())
    );
    assert_eq!(
        l[1],
        (false, "refractory 1", "first `refractory`".to_string())
    );
}

#[test]
fn events_keep_actions_in_order() {
    let m = ok(&model(
        "state V = 0\nstate w = 0\ndV/dt = 1 - w\ndw/dt = -w\n\
         on V > 1 {\n    V = 0\n    w += 2\n    w -= V\n    refractory 2\n}",
    ));
    let e = &m.events[0];
    let ops: Vec<(u32, AssignOp)> = e.actions.iter().map(|a| (a.state.0, a.op)).collect();
    assert_eq!(
        ops,
        vec![(0, AssignOp::Set), (1, AssignOp::Add), (1, AssignOp::Sub)]
    );
    assert!(e.refractory.is_some());
}

#[test]
fn an_event_is_a_spike_when_its_condition_reads_a_state_unless_it_says_otherwise() {
    let m = ok(&model(
        "param t_kick = 80 ms\ninput I = 0 mV\nstate V = 0 mV\nV_m = 2 * V\n\
         dV/dt = (I - V) / 1 ms\n\
         on V > 1 mV {}\n\
         on V_m > 1 mV {}\n\
         on t > t_kick {\n    V += 1 mV\n}\n\
         on I > 3 mV and t > 1 ms {}\n\
         on t > 90 ms spike {}\n\
         on V > 2 mV silent {}",
    ));
    let kinds: Vec<EventKind> = m.events.iter().map(|e| e.kind).collect();
    use EventKind::{Silent, Spike};
    assert_eq!(kinds, vec![Spike, Spike, Silent, Silent, Spike, Silent]);
    assert!(galvani_ir::text::model_to_text(&m).contains("on t > t_kick silent"));
}
