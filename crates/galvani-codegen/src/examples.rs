//! Hand-built `StepProgram`s of three classic models — a passive membrane, a leaky
//! integrate-and-fire neuron with a refractory period, and Hodgkin–Huxley — for the back
//! ends' tests and benchmarks, written with `builder` (independently of the symbolic
//! middle). Units are galvani's internal ones (ms, mV, uA/cm², mS/cm², uF/cm², Mohm·nA).

use crate::builder::{constants_block, ode_step, BlockBuilder, ProgramBuilder};
use galvani_ir::model::{BinOp, Builtin};
use galvani_ir::step::{EventProgram, Method, Reg, StepProgram, Target};

/// Passive membrane: `c_m dV/dt = I_e − g_L (V − E_L)`, params `c_m = 1`, `g_L = 0.1`,
/// `E_L = −65`; input `I_e = 0`; `V(0) = E_L`. As `A − B·V`: `A = (I_e + g_L E_L)/c_m`,
/// `B = g_L/c_m`. Closed form for constant `I`: `V(t) = V∞ + (V(0) − V∞)·e^{−t/τ}` with
/// `V∞ = E_L + I/g_L`, `τ = c_m/g_L = 10 ms`. `None` for `expeuler2`.
pub fn passive(method: Method) -> Option<StepProgram> {
    let mut p = ProgramBuilder::new("passive")
        .method(method)
        .param("c_m", "uF/cm^2")
        .param("g_L", "mS/cm^2")
        .param("E_L", "mV")
        .input("I_e", "uA/cm^2")
        .state("V", "mV")
        .intermediate("I_L", "uA/cm^2")
        .build();
    p.params = constants_block(&[1.0, 0.1, -65.0], Target::Param);
    p.input_defaults = constants_block(&[0.0], Target::Input);
    let mut init = BlockBuilder::new();
    let e_l = init.param(2);
    init.output(Target::State(0), e_l);
    p.init = init.finish();
    p.step = ode_step(method, 1, |b, y, _t| {
        let (c_m, g_l, e_l, i_e) = (b.param(0), b.param(1), b.param(2), b.input(0));
        let leak_rest = b.mul(g_l, e_l);
        let drive = b.add(i_e, leak_rest);
        let a = b.div(drive, c_m);
        let bb = b.div(g_l, c_m);
        let _ = y;
        vec![(a, bb)]
    })?;
    let mut im = BlockBuilder::new();
    let (v, g_l, e_l) = (im.state(0), im.param(1), im.param(2));
    let dv = im.sub(v, e_l);
    let i_l = im.mul(g_l, dv);
    im.output(Target::Intermediate(0), i_l);
    p.intermediates = im.finish();
    Some(p)
}

/// Leaky integrate-and-fire (the spec's `lif`): `dV/dt = (E_L − V + R_m·I_e)/tau_m`,
/// `tau_m = 10`, `E_L = −65`, `R_m = 10`, `V_th = −50`, `V_reset = −65`, `t_ref = 2`;
/// `on V > V_th { V = V_reset; refractory t_ref }`. Intermediate `drive = R_m·I_e`.
/// Interspike interval for constant `I`: `t_ref + tau_m·ln((R I + E_L − V_reset)/(R I +
/// E_L − V_th))`.
pub fn lif(method: Method) -> Option<StepProgram> {
    let mut p = ProgramBuilder::new("lif")
        .method(method)
        .param("tau_m", "ms")
        .param("E_L", "mV")
        .param("R_m", "Mohm")
        .param("V_th", "mV")
        .param("V_reset", "mV")
        .param("t_ref", "ms")
        .input("I_e", "nA")
        .state("V", "mV")
        .intermediate("drive", "mV")
        .build();
    p.params = constants_block(&[10.0, -65.0, 10.0, -50.0, -65.0, 2.0], Target::Param);
    p.input_defaults = constants_block(&[0.0], Target::Input);
    let mut init = BlockBuilder::new();
    let e_l = init.param(1);
    init.output(Target::State(0), e_l);
    p.init = init.finish();
    p.step = ode_step(method, 1, |b, _y, _t| {
        let (tau, e_l, r, i) = (b.param(0), b.param(1), b.param(2), b.input(0));
        let ri = b.mul(r, i);
        let num = b.add(e_l, ri);
        let a = b.div(num, tau);
        let one = b.konst(1.0);
        let bb = b.div(one, tau);
        vec![(a, bb)]
    })?;
    let mut im = BlockBuilder::new();
    let (r, i) = (im.param(2), im.input(0));
    let drive = im.mul(r, i);
    im.output(Target::Intermediate(0), drive);
    p.intermediates = im.finish();
    p.events.push(threshold_event(0, 3, Some((4, 5))));
    Some(p)
}

/// `on State(v) > Param(threshold) { State(v) = Param(reset); refractory Param(t_ref) }`
/// (without the block when `reset_and_refractory` is `None`).
fn threshold_event(
    v: u32,
    threshold: u32,
    reset_and_refractory: Option<(u32, u32)>,
) -> EventProgram {
    let mut c = BlockBuilder::new();
    let (vr, th) = (c.state(v), c.param(threshold));
    let cond = c.bin(BinOp::Gt, vr, th);
    let crossing = c.sub(vr, th);
    c.output(Target::Condition, cond);
    c.output(Target::Crossing, crossing);
    let mut a = BlockBuilder::new();
    let mut held_states = Vec::new();
    if let Some((reset, t_ref)) = reset_and_refractory {
        let r = a.param(reset);
        a.output(Target::State(v), r);
        let t = a.param(t_ref);
        a.output(Target::Refractory, t);
        held_states.push(v);
    }
    EventProgram {
        kind: galvani_ir::EventKind::Spike,
        condition: c.finish(),
        actions: a.finish(),
        held_states,
        level: false,
    }
}

/// The HH rate functions (Dayan & Abbott), `V` in mV, rates in 1/ms:
/// `(α_m, β_m, α_h, β_h, α_n, β_n)`, with `x/(1 − e^{−x})` written `exprel(−x)`:
/// `α_m = exprel(−(V+40)/10)`, `β_m = 4·e^{−(V+65)/18}`, `α_h = 0.07·e^{−(V+65)/20}`,
/// `β_h = 1/(1 + e^{−(V+35)/10})`, `α_n = 0.1·exprel(−(V+55)/10)`, `β_n = 0.125·e^{−(V+65)/80}`.
fn hh_rates(b: &mut BlockBuilder, v: Reg) -> [Reg; 6] {
    let shifted = |b: &mut BlockBuilder, offset: f64, scale: f64| {
        let o = b.konst(offset);
        let s = b.add(v, o);
        b.scale(scale, s)
    };
    let x_m = shifted(b, 40.0, -0.1);
    let alpha_m = b.call(Builtin::Exprel, &[x_m]);
    let e = shifted(b, 65.0, -1.0 / 18.0);
    let e = b.exp(e);
    let beta_m = b.scale(4.0, e);
    let e = shifted(b, 65.0, -1.0 / 20.0);
    let e = b.exp(e);
    let alpha_h = b.scale(0.07, e);
    let e = shifted(b, 35.0, -0.1);
    let e = b.exp(e);
    let one = b.konst(1.0);
    let denominator = b.add(one, e);
    let beta_h = b.div(one, denominator);
    let x_n = shifted(b, 55.0, -0.1);
    let x = b.call(Builtin::Exprel, &[x_n]);
    let alpha_n = b.scale(0.1, x);
    let e = shifted(b, 65.0, -1.0 / 80.0);
    let e = b.exp(e);
    let beta_n = b.scale(0.125, e);
    [alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n]
}

/// The spec's Hodgkin–Huxley model (`models/hh.gal`): params `c_m, g_Na, g_K, g_L, E_Na,
/// E_K, E_L` = `1, 120, 36, 0.3, 50, −77, −54.387`; input `I_e = 0`; states `V, m, h, n`
/// with `V(0) = −65` and the gates at their steady state `α/(α + β)` at `V(0)` (the init
/// block reads `V` back: a sequential load); intermediates `I_Na, I_K, I_L`;
/// `on V > 0 {}`. As `A − B·y`: for `V`, `A = (I_e + g_Na m³h E_Na + g_K n⁴ E_K +
/// g_L E_L)/c_m`, `B = (g_Na m³h + g_K n⁴ + g_L)/c_m`; for a gate, `A = α`, `B = α + β`.
pub fn hh(method: Method) -> Option<StepProgram> {
    let mut p = ProgramBuilder::new("hh")
        .method(method)
        .param("c_m", "uF/cm^2")
        .param("g_Na", "mS/cm^2")
        .param("g_K", "mS/cm^2")
        .param("g_L", "mS/cm^2")
        .param("E_Na", "mV")
        .param("E_K", "mV")
        .param("E_L", "mV")
        .input("I_e", "uA/cm^2")
        .state("V", "mV")
        .state("m", "")
        .state("h", "")
        .state("n", "")
        .intermediate("I_Na", "uA/cm^2")
        .intermediate("I_K", "uA/cm^2")
        .intermediate("I_L", "uA/cm^2")
        .build();
    p.params = constants_block(
        &[1.0, 120.0, 36.0, 0.3, 50.0, -77.0, -54.387],
        Target::Param,
    );
    p.input_defaults = constants_block(&[0.0], Target::Input);

    let mut init = BlockBuilder::new();
    let v0 = init.konst(-65.0);
    init.output(Target::State(0), v0);
    let v = init.state(0); // sees -65 unless V's initial value is overridden
    let rates = hh_rates(&mut init, v);
    for (gate, pair) in rates.chunks(2).enumerate() {
        let total = init.add(pair[0], pair[1]);
        let steady = init.div(pair[0], total);
        init.output(Target::State(gate as u32 + 1), steady);
    }
    p.init = init.finish();

    p.step = ode_step(method, 4, |b, y, _t| {
        let (v, m, h, n) = (y[0], y[1], y[2], y[3]);
        let prm: Vec<Reg> = (0..7).map(|i| b.param(i)).collect();
        let (c_m, g_na, g_k, g_l, e_na, e_k, e_l) =
            (prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]);
        let i_e = b.input(0);
        let three = b.konst(3.0);
        let four = b.konst(4.0);
        let m3 = b.bin(BinOp::Pow, m, three);
        let m3h = b.mul(m3, h);
        let gna = b.mul(g_na, m3h);
        let n4 = b.bin(BinOp::Pow, n, four);
        let gk = b.mul(g_k, n4);
        let total = b.add(gna, gk);
        let total = b.add(total, g_l);
        let bv = b.div(total, c_m);
        let na = b.mul(gna, e_na);
        let k = b.mul(gk, e_k);
        let l = b.mul(g_l, e_l);
        let s = b.add(i_e, na);
        let s = b.add(s, k);
        let s = b.add(s, l);
        let av = b.div(s, c_m);
        let rates = hh_rates(b, v);
        let mut ab = vec![(av, bv)];
        for pair in rates.chunks(2) {
            let total = b.add(pair[0], pair[1]);
            ab.push((pair[0], total));
        }
        ab
    })?;

    let mut im = BlockBuilder::new();
    let (v, m, h, n) = (im.state(0), im.state(1), im.state(2), im.state(3));
    let prm: Vec<Reg> = (0..7).map(|i| im.param(i)).collect();
    let three = im.konst(3.0);
    let four = im.konst(4.0);
    let m3 = im.bin(BinOp::Pow, m, three);
    let m3h = im.mul(m3, h);
    let d_na = im.sub(v, prm[4]);
    let g = im.mul(prm[1], m3h);
    let i_na = im.mul(g, d_na);
    let n4 = im.bin(BinOp::Pow, n, four);
    let d_k = im.sub(v, prm[5]);
    let g = im.mul(prm[2], n4);
    let i_k = im.mul(g, d_k);
    let d_l = im.sub(v, prm[6]);
    let i_l = im.mul(prm[3], d_l);
    im.output(Target::Intermediate(0), i_na);
    im.output(Target::Intermediate(1), i_k);
    im.output(Target::Intermediate(2), i_l);
    p.intermediates = im.finish();

    // on V > 0 mV {}
    let mut c = BlockBuilder::new();
    let v = c.state(0);
    let zero = c.konst(0.0);
    let cond = c.bin(BinOp::Gt, v, zero);
    let crossing = c.sub(v, zero);
    c.output(Target::Condition, cond);
    c.output(Target::Crossing, crossing);
    p.events.push(EventProgram {
        kind: galvani_ir::EventKind::Spike,
        condition: c.finish(),
        actions: Default::default(),
        held_states: Vec::new(),
        level: false,
    });
    Some(p)
}
