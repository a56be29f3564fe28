//! The specification's example models and the shipped models check cleanly, verify, and
//! give the expected initial values and derivatives.

use super::*;
use galvani_ir::eval::Values;

pub const HH: &str = r#"model hh "Hodgkin–Huxley squid giant axon (Dayan & Abbott 2001)"

param c_m  = 1       uF/cm^2
param g_Na = 120     mS/cm^2
param g_K  = 36      mS/cm^2
param g_L  = 0.3     mS/cm^2
param E_Na = 50      mV
param E_K  = -77     mV
param E_L  = -54.387 mV

input I_e = 0 uA/cm^2

state V = -65 mV

gate m {
    alpha = 0.1/(ms*mV) * (V + 40 mV) / (1 - exp(-(V + 40 mV) / 10 mV))
    beta  = 4/ms * exp(-(V + 65 mV) / 18 mV)
}
gate h {
    alpha = 0.07/ms * exp(-(V + 65 mV) / 20 mV)
    beta  = 1/ms / (1 + exp(-(V + 35 mV) / 10 mV))
}
gate n {
    alpha = 0.01/(ms*mV) * (V + 55 mV) / (1 - exp(-(V + 55 mV) / 10 mV))
    beta  = 0.125/ms * exp(-(V + 65 mV) / 80 mV)
}

I_Na = g_Na * m^3 * h * (V - E_Na)
I_K  = g_K * n^4 * (V - E_K)
I_L  = g_L * (V - E_L)

dV/dt = (I_e - I_Na - I_K - I_L) / c_m

on V > 0 mV {}          # detect spikes, no reset
"#;

pub const LIF: &str = r#"model lif "Leaky integrate-and-fire (Dayan & Abbott eq. 5.9)"

param tau_m   = 10 ms
param E_L     = -65 mV
param R_m     = 10 Mohm
param V_th    = -50 mV
param V_reset = -65 mV
param t_ref   = 2 ms

input I_e = 0 nA
state V = E_L

dV/dt = (E_L - V + R_m * I_e) / tau_m

on V > V_th {
    V = V_reset
    refractory t_ref
}
"#;

#[test]
fn hh_checks_and_starts_at_steady_state() {
    let m = ok(HH);
    assert!(!m.dimensionless);
    let names: Vec<&str> = m.states.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["V", "m", "h", "n"]);
    let p = m.param_values();
    let i = m.input_defaults(&p);
    let y = m.initial_state(&p, &i);
    assert_eq!(y[0], -65.0);
    // x∞ = α/(α+β) at V = −65 mV, computed independently:
    let v: f64 = -65.0;
    let am = 0.1 * (v + 40.0) / (1.0 - (-(v + 40.0) / 10.0).exp());
    let bm = 4.0 * (-(v + 65.0) / 18.0).exp();
    let ah = 0.07 * (-(v + 65.0) / 20.0).exp();
    let bh = 1.0 / (1.0 + (-(v + 35.0) / 10.0).exp());
    let an = 0.01 * (v + 55.0) / (1.0 - (-(v + 55.0) / 10.0).exp());
    let bn = 0.125 * (-(v + 65.0) / 80.0).exp();
    for (got, want) in [
        (y[1], am / (am + bm)),
        (y[2], ah / (ah + bh)),
        (y[3], an / (an + bn)),
    ] {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    assert!((y[1] - 0.0529325).abs() < 1e-7, "m∞ = {}", y[1]);
    assert!((y[2] - 0.5961208).abs() < 1e-7, "h∞ = {}", y[2]);
    assert!((y[3] - 0.3176769).abs() < 1e-7, "n∞ = {}", y[3]);
    // At the gates' steady state their derivatives vanish.
    let d = m.derivatives(&p, &i, &y, 0.0);
    for k in 1..4 {
        assert!(d[k].abs() < 1e-15, "d{}/dt = {}", names[k], d[k]);
    }
    // dV/dt = −(I_Na + I_K + I_L)/c_m, from the intermediates.
    let inter = m.intermediate_values(&p, &i, &y, 0.0);
    let sum: f64 = inter.iter().sum();
    assert!((d[0] + sum).abs() < 1e-12);
    assert_eq!(m.init_order.len(), 4);
    assert_eq!(
        m.init_order[0].0, 0,
        "V first: the gates' steady state needs it"
    );
    // internal units: mS/cm^2 and uF/cm^2 are stored unchanged.
    assert_eq!(p[m.find_param("g_Na").unwrap().index()], 120.0);
    assert_eq!(m.param(m.find_param("g_Na").unwrap()).unit.text, "mS/cm^2");
    assert_eq!(m.param(m.find_param("c_m").unwrap()).unit.text, "uF/cm^2");
    assert_eq!(m.input(galvani_ir::InputId(0)).unit.text, "uA/cm^2");
    assert_eq!(m.events.len(), 1);
    assert!(m.events[0].actions.is_empty());
}

#[test]
fn lif_checks_with_declared_units() {
    let m = ok(LIF);
    let p = m.param_values();
    let r = m.find_param("R_m").unwrap();
    assert_eq!(p[r.index()], 10_000.0, "10 Mohm = 10000 kohm");
    assert_eq!(m.param(r).unit.text, "Mohm");
    assert_eq!(m.param(r).unit.scale, 1000.0);
    assert_eq!(m.input(galvani_ir::InputId(0)).unit.text, "nA");
    assert_eq!(m.input(galvani_ir::InputId(0)).unit.scale, 1e-3);
    // V copies E_L's unit.
    assert_eq!(m.states[0].unit.text, "mV");
    let e = &m.events[0];
    assert_eq!(e.actions.len(), 1);
    assert!(e.refractory.is_some());
    // R_m · I_e with I_e = 1.5 nA is 15 mV: coherent internal units.
    let values = Values {
        params: &p,
        inputs: &[0.0015],
        states: &[-65.0],
        intermediates: &[],
        t: 0.0,
    };
    let d = galvani_ir::eval::eval(&m, m.states[0].derivative, &values);
    assert!((d - 1.5).abs() < 1e-12, "dV/dt = 15 mV / 10 ms, got {d}");
}

/// Every file of `models/` checks, and its `model` line names it after the file.
#[test]
fn shipped_models_check() {
    for (stem, src) in super::library_sources() {
        let m = ok(&src);
        assert_eq!(
            m.name, stem,
            "models/{stem}.gal names its model after the file"
        );
        let text = galvani_ir::text::model_to_text(&m);
        assert!(text.contains("init order"), "{text}");
    }
}

#[test]
fn izhikevich_is_dimensionless() {
    let m = ok(include_str!("../../../../models/izhikevich.gal"));
    assert!(m.dimensionless);
    assert!(m.exprs.nodes.iter().all(|n| n.dim.is_none()));
    assert!(m
        .params
        .iter()
        .all(|p| p.unit.text.is_empty() && p.unit.scale == 1.0));
    let p = m.param_values();
    let i = m.input_defaults(&p);
    let y = m.initial_state(&p, &i);
    assert_eq!(y, vec![-65.0, 0.2 * -65.0]);
    let d = m.derivatives(&p, &i, &y, 0.0);
    let v: f64 = -65.0;
    assert_eq!(d[0], 0.04 * v * v + 5.0 * v + 140.0 - (0.2 * v) + 0.0);
}
