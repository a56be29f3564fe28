//! Whole-model tests: classification of every library model and of
//! models written here (not by the authors of `models/`), the reasons given, the
//! singularity sweep, agreement of every method's step program with the reference
//! evaluator of `galvani_ir`, and events.

use super::{all_library_models, exec, library_model, linearized, model_from_source, Machine};
use crate::dag::Sym;
use crate::{discretize, Class};
use galvani_ir::step::{Method, Target};

fn form<'a>(lin: &'a crate::Linearized, name: &str) -> &'a crate::StateForm {
    lin.states
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no state {name}"))
}

/// Whether `dy/dt` of state `k` is affine in that state, judged by `galvani_ir`'s reference
/// evaluator alone (an oracle that shares nothing with the symbolic engine): the secant
/// slopes over [y, y + h] and [y + h, y + 3h] agree, the other states at their initial
/// values. The points are asymmetric so that an odd nonlinearity centred on y (`v − v³/3`
/// at `v = 0`) is not taken for a line; `h` is a tenth of |y| so curvature shows.
fn affine_in_own_state(model: &galvani_ir::Model, k: usize) -> (bool, String) {
    let params = model.param_values();
    let inputs = model.input_defaults(&params);
    let init = model.initial_state(&params, &inputs);
    let y = init[k];
    let h = 0.1 * y.abs().max(1.0);
    let f = |x: f64| {
        let mut states = init.clone();
        states[k] = x;
        model.derivatives(&params, &inputs, &states, 0.0)[k]
    };
    let (f0, f1, f3) = (f(y), f(y + h), f(y + 3.0 * h));
    let near = (f1 - f0) / h;
    let far = (f3 - f1) / (2.0 * h);
    // Rounding in f is relative to |f|, so the slopes are compared at the scale |f|/h.
    let scale = near.abs() + far.abs() + (f0.abs() + f1.abs() + f3.abs()) / h;
    let affine = (near - far).abs() <= 1e-9 * scale;
    (
        affine,
        format!("slopes {near} and {far} at y = {y}, h = {h}"),
    )
}

/// Every state of every model of `models/` is classified linear exactly when its equation
/// is affine in it, which is derived from the model itself (`affine_in_own_state`): a new
/// model needs no entry in a table here.
#[test]
fn every_library_model_is_classified_as_its_equations_say() {
    let models = all_library_models();
    let (mut linear, mut nonlinear) = (0, 0);
    for (name, model) in &models {
        let lin = linearized(model);
        for form in &lin.states {
            let k = model
                .find_state(&form.name)
                .expect("a state of the model")
                .index();
            let (affine, evidence) = affine_in_own_state(model, k);
            assert_eq!(
                form.class.is_linear(),
                affine,
                "{name}: {} is classified {:?}, but its equation has {evidence}",
                form.name,
                form.class
            );
            if affine {
                linear += 1;
            } else {
                nonlinear += 1;
            }
        }
    }
    // The oracle tells the two apart on the library (both kinds occur), so agreeing with
    // it is not vacuous.
    assert!(
        linear > 0 && nonlinear > 0,
        "{linear} linear, {nonlinear} nonlinear"
    );
}

#[test]
fn nonlinear_reasons_name_the_term() {
    let lin = linearized(&library_model("izhikevich"));
    match &form(&lin, "v").class {
        Class::Nonlinear { reason, .. } => {
            assert!(reason.starts_with("v appears in 0.04 * v^2"), "{reason}")
        }
        Class::Linear => panic!("izhikevich v classified linear"),
    }
    for model in ["eif", "adex"] {
        let lin = linearized(&library_model(model));
        match &form(&lin, "V").class {
            Class::Nonlinear { reason, .. } => {
                assert!(reason.contains("exp((V - V_T) / Delta_T)"), "{reason}");
                assert!(reason.contains("intermediate I_exp"), "{reason}");
            }
            Class::Linear => panic!("{model} V classified linear"),
        }
    }
    let lin = linearized(&library_model("fitzhugh_nagumo"));
    match &form(&lin, "v").class {
        Class::Nonlinear { reason, .. } => assert!(reason.contains("v^3"), "{reason}"),
        Class::Linear => panic!("fitzhugh_nagumo v classified linear"),
    }
}

#[test]
fn a_perfect_integrator_has_no_rate_and_no_steady_state() {
    // A perfect integrator: B ≡ 0, no steady state; the φ form needs no special case.
    let lin = linearized(&library_model("pif"));
    let v = form(&lin, "V");
    assert!(lin.dag().is_const(v.b, 0.0));
    assert!(v.steady_state.is_none() && v.tau.is_none());
}

/// Models written for this test, not taken from `models/`.
const UNSEEN: &[(&str, &[(&str, bool)])] = &[
    (
        r#"model morris_lecar "Morris-Lecar barnacle muscle fibre"
param C = 20 uF/cm^2
param g_Ca = 4.4 mS/cm^2
param g_K = 8 mS/cm^2
param g_L = 2 mS/cm^2
param E_Ca = 120 mV
param E_K = -84 mV
param E_L = -60 mV
param V1 = -1.2 mV
param V2 = 18 mV
param V3 = 2 mV
param V4 = 30 mV
param phi = 0.04 / ms
input I = 90 uA/cm^2
state V = -60 mV
state w = 0.01
m_inf = 0.5 * (1 + tanh((V - V1) / V2))
w_inf = 0.5 * (1 + tanh((V - V3) / V4))
lambda = phi * (exp((V - V3) / (2 * V4)) + exp(-(V - V3) / (2 * V4))) / 2
dV/dt = (I - g_L * (V - E_L) - g_Ca * m_inf * (V - E_Ca) - g_K * w * (V - E_K)) / C
dw/dt = lambda * (w_inf - w)
"#,
        &[("V", false), ("w", true)],
    ),
    (
        r#"model wang_buzsaki "Wang-Buzsaki interneuron, instantaneous m"
param g_Na = 35 mS/cm^2
param g_K = 9 mS/cm^2
param g_L = 0.1 mS/cm^2
param E_Na = 55 mV
param E_K = -90 mV
param E_L = -65 mV
input I = 1 uA/cm^2
state V = -64 mV
gate h {
    alpha = 5 * 0.07/ms * exp(-(V + 58 mV) / 20 mV)
    beta = 5 * 1/ms / (exp(-0.1/mV * (V + 28 mV)) + 1)
}
gate n {
    alpha = 5 * -0.01/(ms*mV) * (V + 34 mV) / (exp(-0.1/mV * (V + 34 mV)) - 1)
    beta = 5 * 0.125/ms * exp(-(V + 44 mV) / 80 mV)
}
alpha_m = -0.1/mV * (V + 35 mV) / (exp(-0.1/mV * (V + 35 mV)) - 1)
beta_m = 4 * exp(-(V + 60 mV) / 18 mV)
m_inf = alpha_m / (alpha_m + beta_m)
dV/dt = (I - g_Na * m_inf^3 * h * (V - E_Na) - g_K * n^4 * (V - E_K) - g_L * (V - E_L)) / (1 uF/cm^2)
"#,
        &[("V", false), ("h", true), ("n", true)],
    ),
    (
        r#"model a_current "Connor-Stevens-like A current with inf/tau gates"
param g_A = 47.7 mS/cm^2
param E_A = -75 mV
param g_L = 0.3 mS/cm^2
param E_L = -17 mV
input I = 0 uA/cm^2
state V = -68 mV
gate a {
    inf = (0.0761 * exp((V + 94.22 mV) / 31.84 mV) / (1 + exp((V + 1.17 mV) / 28.93 mV)))^(1/3)
    tau = 0.3632 ms + 1.158 ms / (1 + exp((V + 55.96 mV) / 20.12 mV))
}
gate b {
    inf = 1 / (1 + exp((V + 53.3 mV) / 14.54 mV))^4
    tau = 1.24 ms + 2.678 ms / (1 + exp((V + 50 mV) / 16.027 mV))
}
dV/dt = (I - g_A * a^3 * b * (V - E_A) - g_L * (V - E_L)) / (1 uF/cm^2)
"#,
        &[("V", true), ("a", true), ("b", true)],
    ),
    (
        r#"model cond_lif "Conductance-based LIF with an exponential synapse"
param tau_m = 20 ms
param tau_s = 5 ms
param E_L = -70 mV
param E_s = 0 mV
param V_th = -54 mV
input g_in = 0
state V = E_L
state g = 0
dV/dt = (E_L - V + g * (E_s - V)) / tau_m
dg/dt = -g / tau_s + g_in / ms
on V > V_th {
    V = E_L
    g -= 0.5 * g
}
"#,
        &[("V", true), ("g", true)],
    ),
    (
        r#"model ghk "A GHK-type flux, nonlinear in V with a removable singularity"
param P = 0.01 / ms
param k = 25 mV
input c = 1
state V = -70 mV
state x = 0
dV/dt = -P * V / (1 - exp(-V / k)) * (c - exp(-V / k))
dx/dt = if V > 10 mV then -x / ms else -2 * x / ms
"#,
        &[("V", false), ("x", true)],
    ),
    (
        r#"model piecewise "Piecewise right-hand sides are not linear"
param a = 2
state x = 1
state y = 1
state z = 1
state w = 0
dx/dt = if x > 0 then -x else -2 * x
dy/dt = -abs(y) + sin(t)
dz/dt = min(z, 1) - z * max(x, 0)
dw/dt = (a - w) * exp(-t) + w * t
"#,
        &[("x", false), ("y", false), ("z", false), ("w", true)],
    ),
];

#[test]
fn unseen_models_are_classified_correctly() {
    for (source, expected) in UNSEEN {
        let model = model_from_source(source);
        let lin = linearized(&model);
        for (name, linear) in *expected {
            let f = form(&lin, name);
            assert_eq!(
                f.class.is_linear(),
                *linear,
                "{} {name}: {:?}",
                model.name,
                f.class
            );
        }
        for method in Method::GENERAL {
            discretize(&lin, method).expect("discretize");
        }
    }
}

/// Deterministic pseudo-random numbers in [0, 1) (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// For every model (library and unseen) and every method: params, input defaults,
/// initial states and intermediates agree with `galvani_ir`'s reference evaluator, the
/// Euler step is `y + dt·f` with `f` from the reference evaluator, and every method's step
/// agrees with Euler to first order in dt.
#[test]
fn step_programs_agree_with_the_reference_evaluator() {
    let mut models: Vec<galvani_ir::Model> =
        all_library_models().into_iter().map(|(_, m)| m).collect();
    models.extend(UNSEEN.iter().map(|(s, _)| model_from_source(s)));
    let mut rng = Rng(0x9e3779b97f4a7c15);
    for model in &models {
        let lin = linearized(model);
        let euler = Machine::new(discretize(&lin, Method::Euler).expect("euler"));
        let params = model.param_values();
        let inputs = model.input_defaults(&params);
        let init = model.initial_state(&params, &inputs);
        let near = |a: f64, b: f64, scale: f64| {
            (a - b).abs() <= 1e-12 * (scale + a.abs()) || (a.is_nan() && b.is_nan())
        };
        for (i, (&mine, &reference)) in euler.params.iter().zip(&params).enumerate() {
            assert!(near(mine, reference, 1.0), "{} param {i}", model.name);
        }
        for (&mine, &reference) in euler.inputs.iter().zip(&inputs) {
            assert!(near(mine, reference, 1.0), "{} input", model.name);
        }
        for (i, (&mine, &reference)) in euler.states.iter().zip(&init).enumerate() {
            assert!(
                near(mine, reference, 1e-3),
                "{} init {i}: {mine} vs {reference}",
                model.name
            );
        }
        for _ in 0..20 {
            // A random state near the initial one, a random time and input.
            let states: Vec<f64> = init
                .iter()
                .map(|&y| y + (rng.next() - 0.5) * (0.2 + 0.1 * y.abs()))
                .collect();
            let inputs: Vec<f64> = inputs.iter().map(|&x| x + rng.next()).collect();
            let t = 10.0 * rng.next();
            let reference = model.derivatives(&params, &inputs, &states, t);
            let dt = 1.0;
            // White-noise slots (after the inputs) at 0: the step's deterministic part.
            let mut slots = inputs.clone();
            slots.resize(euler.program.layout.inputs.len(), 0.0);
            let out = exec(&euler.program.step, false, &states, &params, &slots, t, dt);
            for (target, value) in out {
                let Target::State(i) = target else { continue };
                let i = i as usize;
                let slope = value - states[i];
                let tolerance = 1e-9 * (reference[i].abs() + states[i].abs() + 1e-300);
                assert!(
                    (slope - reference[i]).abs() <= tolerance
                        || (slope.is_nan() && reference[i].is_nan()),
                    "{} state {i}: step slope {slope}, reference {}",
                    model.name,
                    reference[i]
                );
            }
            let intermediates = model.intermediate_values(&params, &inputs, &states, t);
            let lin_program = discretize(&lin, Method::ExpEuler).expect("expeuler");
            for (target, value) in exec(
                &lin_program.intermediates,
                false,
                &states,
                &params,
                &inputs,
                t,
                0.0,
            ) {
                let Target::Intermediate(i) = target else {
                    continue;
                };
                let r = intermediates[i as usize];
                assert!(
                    near(value, r, 1e-9),
                    "{} intermediate {i}: {value} vs {r}",
                    model.name
                );
            }
            // Every method is a consistent discretisation: (y' − y)/dt → f as dt → 0 (with
            // the noise draws at 0; a noisy model has the methods that integrate noise).
            for method in Method::GENERAL
                .into_iter()
                .filter(|m| !model.has_noise() || m.handles_noise())
            {
                let program = discretize(&lin, method).expect("discretize");
                let dt = 1e-6;
                for (target, value) in exec(&program.step, false, &states, &params, &slots, t, dt) {
                    let Target::State(i) = target else { continue };
                    let i = i as usize;
                    let slope = (value - states[i]) / dt;
                    let scale = reference[i].abs() + 1e-6 * states[i].abs() / dt + 1.0;
                    assert!(
                        (slope - reference[i]).abs() <= 1e-3 * scale,
                        "{} {} state {i}: {slope} vs {}",
                        model.name,
                        method.name(),
                        reference[i]
                    );
                }
            }
        }
    }
}

#[test]
fn singularities_are_removed_everywhere() {
    // At every singular point of every model, every step of every method is finite and
    // continuous; the reference evaluator (which has no rewrite) gives NaN there.
    let mut models: Vec<galvani_ir::Model> =
        all_library_models().into_iter().map(|(_, m)| m).collect();
    models.extend(UNSEEN.iter().map(|(s, _)| model_from_source(s)));
    let mut points_seen = 0;
    for model in &models {
        let lin = linearized(model);
        let points: Vec<(Sym, f64)> = lin
            .rewrites
            .iter()
            .filter_map(|r| r.singular_point)
            .collect();
        for &(sym, at) in &points {
            let Sym::State(si) = sym else { continue };
            points_seen += 1;
            let params = model.param_values();
            let inputs = model.input_defaults(&params);
            let mut states = model.initial_state(&params, &inputs);
            states[si as usize] = at;
            let naive = model.derivatives(&params, &inputs, &states, 0.0);
            assert!(
                naive.iter().any(|d| d.is_nan()),
                "{}: no 0/0 at {at}",
                model.name
            );
            // f, A and B of every state, at the point and next to it.
            let values = |x: f64| -> Vec<f64> {
                let env = |s: Sym| match s {
                    Sym::State(i) if i == si => x,
                    Sym::State(i) => states[i as usize],
                    Sym::Param(i) => params[i as usize],
                    Sym::Input(i) => inputs[i as usize],
                    _ => 0.0,
                };
                lin.states
                    .iter()
                    .flat_map(|f| [f.f, f.a, f.b])
                    .map(|n| lin.dag().eval(n, &env))
                    .collect()
            };
            let centre = values(at);
            for h in [1e-9, -1e-9, 1e-7, -1e-7] {
                let side = values(at + h * at.abs().max(1.0));
                for (c, s) in centre.iter().zip(&side) {
                    assert!(c.is_finite(), "{}: NaN at {at}", model.name);
                    // |g(x* + h) − g(x*)| ≤ 1e-9·|g| + |g'|·|h| (g' bounded by ~|g|/mV here)
                    let allowed = 1e-9 * c.abs().max(1e-12) + h.abs() * (c.abs() + 1.0) * 10.0;
                    assert!(
                        (c - s).abs() <= allowed,
                        "{}: jump at {at}: {c} vs {s}",
                        model.name
                    );
                }
            }
            for method in Method::GENERAL {
                let m = Machine::new(discretize(&lin, method).expect("discretize"));
                let next = m.step_from(&states, 0.0, 0.025);
                assert!(
                    next.iter().all(|v| v.is_finite()),
                    "{} {}",
                    model.name,
                    method.name()
                );
            }
        }
    }
    assert!(points_seen >= 8, "only {points_seen} singular points found");
}

#[test]
fn voltage_sweep_is_nan_free() {
    // V from −120 mV to +60 mV in steps of 0.005 mV (hitting every singular point of the
    // library exactly): every method's step is finite for every model with a removed 0/0.
    // Which models and states to sweep comes from their rewrites, not from a list of names.
    let mut swept = Vec::new();
    for (name, model) in all_library_models() {
        let lin = linearized(&model);
        let mut singular_states: Vec<u32> = Vec::new();
        for (sym, at) in lin.rewrites.iter().filter_map(|r| r.singular_point) {
            let Sym::State(si) = sym else { continue };
            assert!(
                (-120.0..=60.0).contains(&at) && (at / 0.005).fract() == 0.0,
                "{name}: the singular point {at} is not on the sweep's grid"
            );
            if !singular_states.contains(&si) {
                singular_states.push(si);
            }
        }
        if singular_states.is_empty() {
            continue;
        }
        let machines: Vec<Machine> = Method::GENERAL
            .iter()
            .map(|m| Machine::new(discretize(&lin, *m).expect("discretize")))
            .collect();
        for &si in &singular_states {
            let state = &model.states[si as usize].name;
            for k in 0..=36_000 {
                let volts = -120.0 + 0.005 * f64::from(k);
                for m in &machines {
                    let mut states = m.states.clone();
                    states[si as usize] = volts;
                    let next = m.step_from(&states, 0.0, 0.025);
                    assert!(
                        next.iter().all(|x| x.is_finite()),
                        "{name} at {state} = {volts}"
                    );
                }
            }
        }
        swept.push(name);
    }
    assert!(
        !swept.is_empty(),
        "no model of the library has a removed 0/0"
    );
}

#[test]
fn events_compose_assignments_in_order() {
    let source = r#"model ev "sequential resets"
param V_reset = -70 mV
param a = 2
state V = -65 mV
state w = 0 mV
dV/dt = -V / (10 ms)
dw/dt = -w / (100 ms)
on V > -50 mV {
    V = V_reset
    w += a * V
    V -= w
    refractory 2 ms
}
"#;
    let lin = linearized(&model_from_source(source));
    let program = discretize(&lin, Method::ExpEuler2).expect("discretize");
    let event = &program.events[0];
    assert_eq!(event.held_states, vec![0]);
    let out = exec(
        &event.actions,
        false,
        &[-40.0, 3.0],
        &[-70.0, 2.0],
        &[],
        0.0,
        0.0,
    );
    // V = −70; w = 3 + 2·(−70) = −137; V = −70 − (−137) = 67; refractory 2
    assert_eq!(
        out,
        vec![
            (Target::State(0), 67.0),
            (Target::State(1), -137.0),
            (Target::Refractory, 2.0)
        ]
    );
    let cond = exec(
        &event.condition,
        false,
        &[-40.0, 0.0],
        &[-70.0, 2.0],
        &[],
        0.0,
        0.0,
    );
    assert_eq!(
        cond,
        vec![(Target::Condition, 1.0), (Target::Crossing, 10.0)]
    );
}

#[test]
fn init_reads_overridable_earlier_states() {
    // The gates' initial values read V's output with a State load after it, so an
    // override of V moves them (the sequential meaning of the init block).
    let lin = linearized(&library_model("hh"));
    let program = discretize(&lin, Method::Euler).expect("discretize");
    let m = Machine::new(program.clone());
    let expected = |v: f64| {
        let a = 0.1 * (v + 40.0) / (1.0 - (-(v + 40.0) / 10.0).exp());
        let b = 4.0 * (-(v + 65.0) / 18.0).exp();
        a / (a + b)
    };
    assert!((m.states[1] - expected(-65.0)).abs() < 1e-12);
    let v_output = program
        .init
        .outputs
        .iter()
        .find(|(t, _)| *t == Target::State(0))
        .expect("V output")
        .1;
    let load = program
        .init
        .insts
        .iter()
        .position(|i| *i == galvani_ir::step::Inst::State(0))
        .expect("gates read V");
    assert!(load > v_output.0 as usize);
    // With V's output ignored (overridden to −50), the load reads the array.
    let out = exec(
        &program.init,
        false,
        &[-50.0, 0.0, 0.0, 0.0],
        &m.params,
        &m.inputs,
        0.0,
        0.0,
    );
    let m_init = out
        .iter()
        .find(|(t, _)| *t == Target::State(1))
        .expect("m")
        .1;
    assert!((m_init - expected(-50.0)).abs() < 1e-12);
}

#[test]
fn outputs_are_deterministic_across_runs() {
    for (name, model) in all_library_models() {
        let a = linearized(&model);
        let b = linearized(&model);
        let has_noise = model.has_noise();
        for method in Method::GENERAL
            .into_iter()
            .filter(|m| !has_noise || m.handles_noise())
        {
            let pa = galvani_ir::step_text::step_to_text(&discretize(&a, method).expect("a"));
            let pb = galvani_ir::step_text::step_to_text(&discretize(&b, method).expect("b"));
            assert_eq!(pa, pb, "{name} {}", method.name());
        }
    }
}

#[test]
fn deep_intermediate_chains_do_not_overflow() {
    let mut source = String::from("model deep \"a long chain\"\nstate x = 1\nm0 = x\n");
    for k in 1..400 {
        source.push_str(&format!("m{k} = m{} + x\n", k - 1));
    }
    source.push_str("dx/dt = -m399 / 400\n");
    let lin = linearized(&model_from_source(&source));
    assert!(lin.states[0].class.is_linear());
    for method in Method::GENERAL {
        discretize(&lin, method).expect("discretize");
    }
}
