//! White noise in models, measured: the Ornstein–Uhlenbeck membrane
//! `dV/dt = (mu − V)/tau + sigma·sqrt(2/tau)·xi` has stationary mean `mu` and variance
//! `sigma²`; `expeuler` reaches them exactly at any step, `euler` (Euler–Maruyama) with
//! its own closed-form bias; two names are independent, one name shared by two equations
//! is one draw; the same seed gives the same bytes. The methods that cannot integrate
//! noise are refused.
//!
//! Every statistical tolerance is 5 standard errors of the estimate for the sample size
//! (independent samples: `M` neurons × snapshots `10·tau` apart, correlation
//! `e^(−10) ≈ 5e-5`), so a failure is a bug, not bad luck (the chance of a 5σ miss is
//! below 1e-6 per check); the runs are seeded, so each test is deterministic anyway.

use galvani_codegen::JitKernel;
use galvani_driver::{self as driver, Sources};
use galvani_ir::step::Method;
use galvani_runtime::{SpikeList, Trace};
use galvani_sim::{RunRequest, Simulator, Sinks};

const OU: &str = "model ou \"Ornstein–Uhlenbeck membrane\"
param tau   = 10 ms
param mu    = -60 mV
param sigma = 2 mV
state V = mu
dV/dt = (mu - V) / tau + sigma * sqrt(2 / tau) * xi
";

/// Three states: `X` and `Y` driven by independent noises, `Z` by the same draw as `X`
/// with twice its factor.
const PAIRS: &str = "model pairs \"Two independent noises and one shared\"
param tau = 10 ms
param s   = 1 mV
state X = 0 mV
state Y = 0 mV
state Z = 0 mV
dX/dt = -X / tau + s * sqrt(2 / tau) * xi_a
dY/dt = -Y / tau + s * sqrt(2 / tau) * xi_b
dZ/dt = -Z / tau + 2 * s * sqrt(2 / tau) * xi_a
";

/// Neurons per run.
const N: usize = 4000;
/// Snapshots per neuron, `10·tau` apart after a burn-in of `10·tau`.
const SNAPSHOTS: usize = 10;
const TAU: f64 = 10.0;

/// Runs `source` with `method` and step `dt` for `N` neurons, recording every state every
/// `10·tau`; returns each state's values at the snapshots after the first (`t ≥ 10·tau`),
/// neuron-major within a snapshot.
fn samples(source: &str, method: Method, dt: f64, seed: u64) -> Vec<Vec<f64>> {
    let trace = run(
        source,
        method,
        dt,
        seed,
        N,
        10.0 * TAU * (SNAPSHOTS as f64 + 1.0),
    );
    let states = trace.columns.len() / N;
    (0..states)
        .map(|s| {
            trace.rows[2..]
                .iter()
                .flat_map(|row| row[s * N..(s + 1) * N].iter().copied())
                .collect()
        })
        .collect()
}

fn run(source: &str, method: Method, dt: f64, seed: u64, n: usize, t_end: f64) -> Trace {
    let mut sources = Sources::new();
    let file = sources.add("noise.gal", source.to_string());
    let (_, linearized, program) = driver::compile_keeping_forms(&sources, file, method)
        .unwrap_or_else(|d| panic!("{}", galvani_tests::render_all(&sources, d.iter())));
    let kernel = JitKernel::compile(&program).expect("the JIT compiles");
    let simulator = Simulator::new(&linearized, &program, &kernel);
    let mut request = RunRequest::new(t_end, dt, n);
    request.seed = seed;
    request.record = (0..program.layout.states.len())
        .map(galvani_runtime::Recorded::State)
        .collect();
    request.record_every = Some(10.0 * TAU);
    let prepared = simulator.prepare(&request).expect("a valid request");
    let mut trace = Trace::default();
    let mut spikes = SpikeList::default();
    simulator
        .run(
            &prepared,
            Sinks {
                record: vec![&mut trace],
                spikes: vec![&mut spikes],
                progress: None,
            },
        )
        .expect("the run succeeds");
    trace
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// The unbiased sample variance.
fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let sy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    cov / (sx * sy).sqrt()
}

/// Checks the sample mean and variance of `v` against `mean_expected` and
/// `variance_expected` within 5 standard errors: `sd/√M` for the mean, `var·√(2/(M−1))`
/// for the variance of a Gaussian sample.
fn assert_moments(what: &str, v: &[f64], mean_expected: f64, variance_expected: f64) {
    let m = v.len() as f64;
    let (sample_mean, sample_variance) = (mean(v), variance(v));
    let mean_tolerance = 5.0 * (variance_expected / m).sqrt();
    let variance_tolerance = 5.0 * variance_expected * (2.0 / (m - 1.0)).sqrt();
    eprintln!(
        "{what}: mean {sample_mean:.4} (expected {mean_expected} ± {mean_tolerance:.4}), variance {sample_variance:.4} (expected {variance_expected:.4} ± {variance_tolerance:.4})"
    );
    assert!(
        (sample_mean - mean_expected).abs() <= mean_tolerance,
        "{what}: mean {sample_mean} vs {mean_expected} ± {mean_tolerance}"
    );
    assert!(
        (sample_variance - variance_expected).abs() <= variance_tolerance,
        "{what}: variance {sample_variance} vs {variance_expected} ± {variance_tolerance}"
    );
}

#[test]
fn expeuler_gives_the_ou_stationary_mean_and_variance_at_any_step() {
    // The exact OU update: the grid values are an AR(1) process with the stationary law of
    // the continuous one, N(mu, sigma²), whatever dt (here 1% and 50% of tau).
    for dt in [0.1, 5.0] {
        let v = &samples(OU, Method::ExpEuler, dt, 1)[0];
        assert_eq!(v.len(), N * SNAPSHOTS);
        assert_moments(&format!("expeuler dt = {dt} ms"), v, -60.0, 4.0);
    }
}

#[test]
fn euler_maruyama_has_its_closed_form_bias() {
    // Euler–Maruyama on the OU equation is the AR(1) process
    // V' = V + h·(mu − V) + sigma·√(2h)·N with h = dt/tau, whose stationary variance is
    // sigma²·2h/(1 − (1 − h)²) = sigma²/(1 − h/2): an O(dt) bias.
    for dt in [0.1, 5.0] {
        let h = dt / TAU;
        let v = &samples(OU, Method::Euler, dt, 2)[0];
        assert_moments(
            &format!("euler dt = {dt} ms"),
            v,
            -60.0,
            4.0 / (1.0 - h / 2.0),
        );
    }
    // At dt = tau/2 the bias (a third) is far outside the statistical tolerance of the
    // exact variance: Euler–Maruyama is visibly off where expeuler is exact.
    let v = &samples(OU, Method::Euler, 5.0, 3)[0];
    let tolerance = 5.0 * 4.0 * (2.0 / (v.len() as f64 - 1.0)).sqrt();
    assert!(
        variance(v) - 4.0 > 5.0 * tolerance,
        "euler at dt = tau/2: variance {} should be about 16/3",
        variance(v)
    );
}

#[test]
fn two_names_are_independent_and_one_name_is_one_draw() {
    let states = samples(PAIRS, Method::ExpEuler, 0.5, 4);
    let (x, y, z) = (&states[0], &states[1], &states[2]);
    // Independent noises: the sample correlation of independent Gaussians has standard
    // error 1/√M.
    let r = correlation(x, y);
    let tolerance = 5.0 / (x.len() as f64).sqrt();
    eprintln!(
        "corr(X, Y) = {r:.5} ± {tolerance:.5}; corr(X, Z) = {}",
        correlation(x, z)
    );
    assert!(r.abs() <= tolerance, "corr(X, Y) = {r} (± {tolerance})");
    // One noise in two equations: the same draw, scaled by each equation's factor. X and
    // Z obey the same linear update from 0, so Z = 2X up to rounding.
    assert!(correlation(x, z) > 1.0 - 1e-12);
    for (a, b) in x.iter().zip(z) {
        assert!(
            (b - 2.0 * a).abs() <= 1e-12 * (1.0 + b.abs()),
            "Z {b} vs 2X {a}"
        );
    }
    assert_moments("X", x, 0.0, 1.0);
    assert_moments("Y", y, 0.0, 1.0);
    // Neighbouring neurons have their own streams.
    let first: Vec<f64> = x.iter().step_by(2).copied().collect();
    let second: Vec<f64> = x.iter().skip(1).step_by(2).copied().collect();
    let r = correlation(&first, &second);
    let tolerance = 5.0 / (first.len() as f64).sqrt();
    assert!(
        r.abs() <= tolerance,
        "neurons 2i, 2i+1: {r} (± {tolerance})"
    );
}

#[test]
fn successive_steps_have_the_exact_ou_autocorrelation() {
    // Fresh draws every step: under expeuler the lag-one correlation of the grid values
    // is exactly e^(−dt/tau). Pairs (V(t_k), V(t_k+1)) of 4,000 neurons at one time; the
    // standard error of a correlation estimate is (1 − ρ²)/√M.
    let dt = 5.0;
    let trace = {
        let mut sources = Sources::new();
        let file = sources.add("ou.gal", OU.to_string());
        let (_, linearized, program) =
            driver::compile_keeping_forms(&sources, file, Method::ExpEuler).expect("compiles");
        let kernel = JitKernel::compile(&program).expect("JIT");
        let simulator = Simulator::new(&linearized, &program, &kernel);
        let mut request = RunRequest::new(200.0, dt, N);
        request.seed = 5;
        request.record = vec![galvani_runtime::Recorded::State(0)];
        let prepared = simulator.prepare(&request).expect("valid");
        let mut trace = Trace::default();
        let mut spikes = SpikeList::default();
        simulator
            .run(
                &prepared,
                Sinks {
                    record: vec![&mut trace],
                    spikes: vec![&mut spikes],
                    progress: None,
                },
            )
            .expect("runs");
        trace
    };
    let rho = (-dt / TAU).exp();
    let tolerance = 5.0 * (1.0 - rho * rho) / (N as f64).sqrt();
    // Rows 20 and 21: t = 100 ms and 105 ms, stationary.
    let r = correlation(&trace.rows[20], &trace.rows[21]);
    eprintln!("lag-one correlation {r:.4}, e^(-dt/tau) = {rho:.4} ± {tolerance:.4}");
    assert!(
        (r - rho).abs() <= tolerance,
        "lag-one correlation {r} vs e^(-dt/tau) = {rho} ± {tolerance}"
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_values() {
    let bits = |seed: u64| -> Vec<u64> {
        let trace = run(OU, Method::ExpEuler, 0.1, seed, 50, 200.0);
        trace.rows.iter().flatten().map(|v| v.to_bits()).collect()
    };
    let a = bits(7);
    assert_eq!(a, bits(7), "same seed, same bytes");
    let b = bits(8);
    assert_eq!(a.len(), b.len());
    // The initial row is the same (V = mu); every later row differs.
    assert_ne!(a[50..], b[50..], "another seed, other values");
    // Euler–Maruyama too.
    let euler = |seed| {
        run(OU, Method::Euler, 0.1, seed, 50, 200.0)
            .rows
            .iter()
            .flatten()
            .map(|v: &f64| v.to_bits())
            .collect::<Vec<u64>>()
    };
    assert_eq!(euler(7), euler(7));
}

#[test]
fn methods_that_cannot_integrate_noise_are_refused_with_the_ones_that_can() {
    let mut sources = Sources::new();
    let file = sources.add("ou.gal", OU.to_string());
    for method in [Method::Rk4, Method::ExpEuler2] {
        let Err(diagnostics) = driver::compile(&sources, file, method) else {
            panic!("{method:?} must be refused for a model with noise");
        };
        let d = diagnostics.iter().next().expect("one diagnostic");
        assert_eq!(d.code, Some(galvani_diag::codes::NOISE_METHOD));
        assert_eq!(d.severity, galvani_diag::Severity::Error);
        assert!(d.message.contains(method.name()), "{}", d.message);
        let hints = d.hints.join(" ");
        assert!(
            hints.contains("expeuler") && hints.contains("euler"),
            "{hints}"
        );
    }
    let (checked, _) = driver::compile(&sources, file, Method::ExpEuler).expect("expeuler");
    assert_eq!(Method::default_for(&checked.model), Method::ExpEuler);
}

/// Escape noise at a constant rate with dead time.
const ESCAPE: &str = "model escape \"Escape noise at a constant rate\"
param rho   = 50 Hz
param t_ref = 2 ms
state V = 0 mV
dV/dt = -V / 10 ms
on hazard(rho) {
    V = 0 mV
    refractory t_ref
}
";

/// Spike times per neuron of `source` run for `t_end` with `dt` under expeuler.
fn spike_trains(source: &str, set: &[(&str, f64)], dt: f64, n: usize, t_end: f64) -> Vec<Vec<f64>> {
    let mut sources = Sources::new();
    let file = sources.add("escape.gal", source.to_string());
    let (_, linearized, program) =
        driver::compile_keeping_forms(&sources, file, Method::ExpEuler).expect("compiles");
    let kernel = JitKernel::compile(&program).expect("JIT");
    let simulator = Simulator::new(&linearized, &program, &kernel);
    let mut request = RunRequest::new(t_end, dt, n);
    request.seed = 11;
    for (name, value) in set {
        let param = simulator.param(name).expect("a param");
        request.params.push((param, vec![*value]));
    }
    let prepared = simulator.prepare(&request).expect("valid");
    let mut trace = Trace::default();
    let mut spikes = SpikeList::default();
    simulator
        .run(
            &prepared,
            Sinks {
                record: vec![&mut trace],
                spikes: vec![&mut spikes],
                progress: None,
            },
        )
        .expect("runs");
    (0..n as u32).map(|i| spikes.times_of(i).to_vec()).collect()
}

#[test]
fn escape_noise_fires_at_its_rate_after_the_dead_time() {
    // A free step fires with probability p = 1 − e^(−rho·dt); after a firing the neuron
    // is refractory for r = t_ref/dt steps, so an interval is (r + G)·dt with G geometric
    // on {1, 2, …}: mean (r + 1/p)·dt ≈ t_ref + 1/rho + dt/2, standard deviation
    // √(1 − p)/p·dt ≈ 1/rho.
    //
    // Only intervals that start before 2 s of a 3 s run count: the interval after a spike
    // is independent of everything before it, and one longer than 1 s has probability
    // e^(−48), so none is cut off. (Taking every interval inside the window would be biased
    // short: the window's two ends cut one partial interval each, about −0.2 ms here.)
    let (dt, rho, t_ref) = (0.1, 0.05, 2.0);
    let trains = spike_trains(ESCAPE, &[], dt, 1000, 3000.0);
    let isis: Vec<f64> = trains
        .iter()
        .flat_map(|train| {
            train
                .windows(2)
                .filter(|w| w[0] < 2000.0)
                .map(|w| w[1] - w[0])
                .collect::<Vec<_>>()
        })
        .collect();
    let p = -(-rho * dt).exp_m1();
    let r = (t_ref / dt).round();
    let expected = (r + 1.0 / p) * dt;
    let sd = (1.0 - p).sqrt() / p * dt;
    let tolerance = 5.0 * sd / (isis.len() as f64).sqrt();
    let measured = mean(&isis);
    eprintln!(
        "escape noise: {} intervals, mean {measured:.4} ms (expected {expected:.4} ± {tolerance:.4}; t_ref + 1/rho = {})",
        isis.len(),
        t_ref + 1.0 / rho
    );
    assert!((measured - expected).abs() <= tolerance);
    // The standard deviation of the interval: that of the geometric part, 5 standard
    // errors of a standard deviation estimate (about sd/√(2M) for this near-exponential
    // law with excess kurtosis 6: √((κ + 2)/(4M))·sd = sd·√(2/M)).
    let measured_sd = variance(&isis).sqrt();
    let sd_tolerance = 5.0 * sd * (2.0 / isis.len() as f64).sqrt();
    assert!(
        (measured_sd - sd).abs() <= sd_tolerance,
        "sd {measured_sd} vs {sd} ± {sd_tolerance}"
    );
    // Every interval lasts at least the dead time plus one step, and every spike is at the
    // end of a step.
    assert!(isis.iter().all(|&isi| isi >= (r + 1.0) * dt - 1e-9));
    for &t in trains.iter().flatten().take(1000) {
        assert!(
            ((t / dt) - (t / dt).round()).abs() < 1e-6,
            "{t} is not on the grid"
        );
    }
}

#[test]
fn escape_noise_at_rate_zero_never_fires_and_at_a_huge_rate_fires_every_free_step() {
    let trains = spike_trains(ESCAPE, &[("rho", 0.0)], 0.1, 20, 500.0);
    assert!(trains.iter().all(Vec::is_empty));
    // p = 1 − e^(−10⁶): every step that is not refractory fires, so the intervals are
    // exactly t_ref + dt (21 steps) and the first spike ends the first step.
    let trains = spike_trains(ESCAPE, &[("rho", 1e6)], 0.1, 5, 100.0);
    for train in &trains {
        assert!((train[0] - 0.1).abs() < 1e-12, "{}", train[0]);
        for w in train.windows(2) {
            assert!((w[1] - w[0] - 2.1).abs() < 1e-9, "{w:?}");
        }
    }
}

#[test]
fn the_escape_rate_is_taken_with_the_states_at_the_end_of_the_step() {
    // V rises by exactly 0.1 mV per step; the rate is huge once V > 1.05 mV and 0 before.
    // At the end of step 10 (t = 1.1 ms) V = 1.1 mV: the event fires there. Read at the
    // step's start (V = 1.0 mV) it would fire a step later.
    let source = "model ramp \"A state-dependent escape rate\"
param slope = 1 mV/ms
state V = 0 mV
dV/dt = slope
on hazard(if V > 1.05 mV then 1e6 Hz else 0 Hz) {
    V = 0 mV
}
";
    let trains = spike_trains(source, &[], 0.1, 3, 5.0);
    for train in &trains {
        assert!((train[0] - 1.1).abs() < 1e-9, "{train:?}");
        assert!((train[1] - 2.2).abs() < 1e-9, "{train:?}");
    }
}
