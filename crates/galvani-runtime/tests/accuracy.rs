//! Accuracy of the whole runtime on hand-built programs: closed forms, convergence orders,
//! the LIF firing rate with and without refractoriness, and Hodgkin–Huxley spike times
//! against an independent implementation of the same algorithms.

mod common;

use common::{data_rows, kernels, run_all, run_spikes};
use galvani_codegen::examples;
use galvani_ir::step::Method;
use galvani_runtime::{Protocol, Recorded, RunConfig, Values};

/// Passive membrane with constant input: `V(t) = V∞ + (V0 − V∞)·e^{−t/τ}`, `V∞ = E_L + I/g_L`.
fn passive_exact(t: f64, current: f64) -> f64 {
    let v_inf = -65.0 + current / 0.1;
    v_inf + (-65.0 - v_inf) * (-t / 10.0).exp()
}

fn passive_config(t_end: f64, dt: f64, current: f64) -> RunConfig {
    let mut config = RunConfig::new(t_end, dt, 1);
    config.inputs = vec![(0, Protocol::Constant(current))];
    config.record = vec![Recorded::State(0)];
    config
}

#[test]
fn expeuler_is_exact_on_a_passive_membrane() {
    let program = examples::passive(Method::ExpEuler).unwrap();
    for (name, kernel) in kernels(&program) {
        let (summary, trace, _) = run_all(&*kernel, &passive_config(100.0, 0.1, 2.0)).unwrap();
        assert_eq!(summary.steps, 1000);
        assert_eq!(trace.times.len(), 1001);
        for (k, (&t, row)) in trace.times.iter().zip(&trace.rows).enumerate() {
            assert_eq!(t, k as f64 * 0.1, "t_k = k·dt");
            let exact = passive_exact(t, 2.0);
            assert!(
                (row[0] - exact).abs() <= 1e-12 * exact.abs(),
                "{name} t={t}: {} vs {exact}",
                row[0]
            );
        }
    }
}

/// The error at `t_end` of `method` on `program` for each `dt`, against `exact`.
fn errors(
    program: &galvani_ir::step::StepProgram,
    config: impl Fn(f64) -> RunConfig,
    dts: &[f64],
    exact: f64,
) -> Vec<f64> {
    let (_, kernel) = kernels(program).remove(0);
    dts.iter()
        .map(|&dt| {
            let (_, trace, _) = run_all(&*kernel, &config(dt)).unwrap();
            (trace.rows.last().unwrap()[0] - exact).abs()
        })
        .collect()
}

#[test]
fn euler_is_first_order_on_a_passive_membrane() {
    let program = examples::passive(Method::Euler).unwrap();
    let exact = passive_exact(20.0, 2.0);
    let e = errors(
        &program,
        |dt| passive_config(20.0, dt, 2.0),
        &[0.2, 0.1, 0.05],
        exact,
    );
    for pair in e.windows(2) {
        let ratio = pair[0] / pair[1];
        assert!(
            (1.9..2.1).contains(&ratio),
            "halving dt divides the error by {ratio}: {e:?}"
        );
    }
}

fn hh_config(t_end: f64, dt: f64, current: f64) -> RunConfig {
    let mut config = RunConfig::new(t_end, dt, 1);
    config.inputs = vec![(0, Protocol::Constant(current))];
    config.record = vec![Recorded::State(0)];
    config
}

#[test]
fn convergence_orders_on_hodgkin_huxley() {
    // A 5 ms transient from rest under 5 µA/cm²; the truth is rk4 at dt = 0.0005 ms.
    let reference = {
        let program = examples::hh(Method::Rk4).unwrap();
        let (_, kernel) = kernels(&program).remove(0);
        let (_, trace, _) = run_all(&*kernel, &hh_config(5.0, 0.0005, 5.0)).unwrap();
        trace.rows.last().unwrap()[0]
    };
    let dts = [0.04, 0.02, 0.01];
    for (method, order, range) in [
        (Method::Euler, 1, 1.8..2.2),
        (Method::ExpEuler, 1, 1.8..2.2),
        (Method::ExpEuler2, 2, 3.6..4.4),
        (Method::Rk4, 4, 14.0..18.0),
    ] {
        let program = examples::hh(method).unwrap();
        let e = errors(&program, |dt| hh_config(5.0, dt, 5.0), &dts, reference);
        for pair in e.windows(2) {
            let ratio = pair[0] / pair[1];
            assert!(
                range.contains(&ratio),
                "{method:?} (order {order}): halving dt divides the error by {ratio}: {e:?}"
            );
        }
    }
}

#[test]
fn lif_with_refractory_fires_at_the_closed_form_rate() {
    // I = 2 nA: ISI = t_ref + τ·ln((RI + E_L − V_reset)/(RI + E_L − V_th)) = 2 + 10·ln(4).
    let isi = 2.0 + 10.0 * (20.0f64 / 5.0).ln();
    let dt = 0.1;
    let program = examples::lif(Method::ExpEuler).unwrap();
    for (name, kernel) in kernels(&program) {
        let mut config = RunConfig::new(1000.0, dt, 1);
        config.inputs = vec![(0, Protocol::Constant(2.0))];
        config.record = vec![Recorded::State(0)];
        let (summary, trace, spikes) = run_all(&*kernel, &config).unwrap();
        let times = spikes.times_of(0);
        assert_eq!(summary.spike_counts, vec![times.len() as u64]);
        assert!(times.len() > 50);
        // From rest, no refractory period before the first spike.
        assert!(
            (times[0] - 10.0 * 4f64.ln()).abs() < dt,
            "{name}: first {}",
            times[0]
        );
        // Each interval: the reset waits for the end of the step, so ISIs are ≥ the formula
        // and less than one step longer.
        for w in times.windows(2) {
            let measured = w[1] - w[0];
            assert!(
                measured > isi - 1e-9 && measured < isi + dt,
                "{name}: ISI {measured} vs {isi}"
            );
        }
        // Held for exactly 20 steps: V = V_reset on the 21 grid points from the reset.
        let v = trace.column(0);
        let first_reset = ((times[0] / dt).floor() as usize) + 1;
        for (k, value) in v.iter().enumerate().skip(first_reset).take(21) {
            assert_eq!(*value, -65.0, "{name}: held at step {k}");
        }
        assert!(
            v[first_reset + 21] > -65.0,
            "{name}: free again after 20 held steps"
        );
        let before = v[first_reset - 1];
        assert!(
            before <= -50.0 && before > -51.0,
            "{name}: just below threshold at t_k: {before}"
        );
    }
}

#[test]
fn lif_without_refractory_matches_the_reference_table() {
    // One neuron per current, as `galvani fi` runs it; t_ref = 0 by override.
    let rows = data_rows("lif_rate_closed_form.csv");
    let currents: Vec<f64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let program = examples::lif(Method::ExpEuler).unwrap();
    let dt = 0.01;
    for (name, kernel) in kernels(&program) {
        let mut config = RunConfig::new(200.0, dt, currents.len());
        config.params = vec![(5, Values::Uniform(0.0))];
        config.inputs = vec![(0, Protocol::PerNeuron(currents.clone()))];
        let spikes = run_spikes(&*kernel, &config);
        for (i, row) in rows.iter().enumerate() {
            let isi: f64 = row[2].parse().unwrap();
            let first: f64 = row[4].parse().unwrap();
            let times = spikes.times_of(i as u32);
            // Linear interpolation of an exact exponential: first spike within dt.
            assert!(
                (times[0] - first).abs() < dt,
                "{name} I={}: {} vs {first}",
                row[0],
                times[0]
            );
            for w in times.windows(2) {
                let measured = w[1] - w[0];
                assert!(
                    measured > isi - dt && measured < isi + dt,
                    "{name}: {measured} vs {isi}"
                );
            }
        }
        // Spikes arrive ordered by time, then neuron.
        for w in spikes.spikes.windows(2) {
            assert!((w[0].t, w[0].neuron) <= (w[1].t, w[1].neuron));
        }
    }
}

#[test]
fn hodgkin_huxley_spike_times_match_the_same_algorithm() {
    let rows = data_rows("hh_step_spikes_same_algorithm.csv");
    for (method, method_name) in [
        (Method::ExpEuler, "expeuler"),
        (Method::Euler, "euler"),
        (Method::Rk4, "rk4"),
    ] {
        let program = examples::hh(method).unwrap();
        let jit_only = kernels(&program).remove(0).1;
        for dt in [0.025, 0.01] {
            let expected: Vec<f64> = rows
                .iter()
                .filter(|r| r[0] == method_name && r[1].parse::<f64>().unwrap() == dt)
                .map(|r| r[3].parse().unwrap())
                .collect();
            assert_eq!(expected.len(), 4);
            let mut config = RunConfig::new(100.0, dt, 1);
            config.inputs = vec![(
                0,
                Protocol::Step {
                    t0: 10.0,
                    t1: 60.0,
                    amp: 10.0,
                },
            )];
            let times = run_spikes(&*jit_only, &config).times_of(0);
            assert_eq!(
                times.len(),
                expected.len(),
                "{method_name} dt={dt}: {times:?}"
            );
            for (got, want) in times.iter().zip(&expected) {
                assert!(
                    (got - want).abs() < 1e-6,
                    "{method_name} dt={dt}: spike at {got}, reference {want}"
                );
            }
        }
    }
}

#[test]
fn hodgkin_huxley_rk4_is_close_to_the_truth() {
    let truth: Vec<f64> = data_rows("hh_step_spikes_reference.csv")
        .iter()
        .map(|r| r[1].parse().unwrap())
        .collect();
    let program = examples::hh(Method::Rk4).unwrap();
    let (_, kernel) = kernels(&program).remove(0);
    let mut config = RunConfig::new(100.0, 0.01, 1);
    config.inputs = vec![(
        0,
        Protocol::Step {
            t0: 10.0,
            t1: 60.0,
            amp: 10.0,
        },
    )];
    let times = run_spikes(&*kernel, &config).times_of(0);
    assert_eq!(times.len(), truth.len());
    for (got, want) in times.iter().zip(&truth) {
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    }
}
