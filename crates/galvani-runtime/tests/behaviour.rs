//! The runtime's contract beyond accuracy: NaN detection, OU reproducibility and
//! statistics, recording intervals, configuration errors, sinks and progress, and the JIT
//! and the interpreter giving the same run.

mod common;

use common::{kernels, run_all};
use galvani_codegen::examples;
use galvani_ir::step::Method;
use galvani_runtime::{
    run, ConfigError, Discard, Protocol, Recorded, RunConfig, RunError, SinkError, SpikeSink,
    Values, Variable,
};

#[test]
fn non_finite_values_stop_the_run_naming_variable_neuron_and_time() {
    let program = examples::passive(Method::Euler).unwrap();
    for (name, kernel) in kernels(&program) {
        // c_m = 0 in neuron 3: V = −65 + dt·(−∞ − ∞·(−65)) = NaN after the first step.
        let mut config = RunConfig::new(10.0, 0.1, 5);
        config.params = vec![(0, Values::PerNeuron(vec![1.0, 1.0, 1.0, 0.0, 1.0]))];
        match run_all(&*kernel, &config) {
            Err(RunError::NonFinite {
                variable,
                neuron,
                t,
            }) => {
                assert_eq!((variable, neuron), (Variable::State(0), 3), "{name}");
                assert_eq!(variable.name(&program.layout), "V");
                assert_eq!(t, 0.1, "{name}");
            }
            other => panic!("{name}: expected NonFinite, got {other:?}"),
        }
        // An infinite input from t = 5: V becomes infinite at the end of that step.
        let mut config = RunConfig::new(10.0, 0.1, 2);
        config.inputs = vec![(
            0,
            Protocol::Step {
                t0: 5.0,
                t1: 6.0,
                amp: f64::INFINITY,
            },
        )];
        match run_all(&*kernel, &config) {
            Err(RunError::NonFinite {
                variable,
                neuron,
                t,
            }) => {
                assert_eq!((variable, neuron), (Variable::State(0), 0), "{name}");
                assert!((t - 5.1).abs() < 1e-12, "{name}: {t}");
            }
            other => panic!("{name}: expected NonFinite, got {other:?}"),
        }
    }
}

fn ou_config(seed: u64, n: usize) -> RunConfig {
    let mut config = RunConfig::new(50.0, 0.1, n);
    config.seed = seed;
    config.inputs = vec![(
        0,
        Protocol::Ou {
            mean: 1.5,
            sigma: 0.5,
            tau: 5.0,
        },
    )];
    // drive = R_m · I_e, R_m = 10.
    config.record = vec![Recorded::Intermediate(0), Recorded::State(0)];
    config
}

#[test]
fn ou_input_is_reproducible_and_seeded() {
    let program = examples::lif(Method::ExpEuler).unwrap();
    let runs: Vec<_> = kernels(&program)
        .into_iter()
        .map(|(_, kernel)| run_all(&*kernel, &ou_config(42, 3)).unwrap())
        .collect();
    let (_, trace, spikes) = &runs[0];
    let (_, again, again_spikes) = run_all(&*kernels(&program)[0].1, &ou_config(42, 3)).unwrap();
    assert_eq!(trace, &again, "same seed, same values");
    assert_eq!(spikes, &again_spikes);
    // JIT and interpreter give the same run.
    assert_eq!(trace.times, runs[1].1.times);
    for (a, b) in trace.rows.iter().zip(&runs[1].1.rows) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
        }
    }
    let (_, other, _) = run_all(&*kernels(&program)[0].1, &ou_config(43, 3)).unwrap();
    assert_ne!(
        trace.column(0),
        other.column(0),
        "another seed, other values"
    );
    // Neurons get independent streams.
    assert_ne!(trace.column(0), trace.column(1));
}

#[test]
fn ou_input_has_the_stationary_statistics() {
    // 4,000 neurons × 501 samples: mean 1.5, sd 0.5, lag-one correlation e^{−dt/τ}.
    let program = examples::lif(Method::ExpEuler).unwrap();
    let n = 4000;
    let (_, trace, _) = run_all(&*kernels(&program)[0].1, &ou_config(7, n)).unwrap();
    let (mut sum, mut sum2, mut lag, mut count, mut lag_count) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        let drive = trace.column(i);
        for (k, d) in drive.iter().enumerate() {
            let x = d / 10.0 - 1.5;
            sum += x;
            sum2 += x * x;
            count += 1.0;
            if k > 0 {
                lag += x * (drive[k - 1] / 10.0 - 1.5);
                lag_count += 1.0;
            }
        }
    }
    let mean = sum / count;
    let var = sum2 / count;
    let rho = lag / lag_count / var;
    // Generous bounds: samples within a neuron are correlated (τ = 5 ms, 50 ms runs).
    assert!(mean.abs() < 0.02, "mean offset {mean}");
    assert!((var - 0.25).abs() < 0.02, "variance {var}");
    assert!(
        (rho - (-0.1f64 / 5.0).exp()).abs() < 0.005,
        "lag-one correlation {rho}"
    );
}

#[test]
fn recording_every_k_steps_includes_both_ends() {
    let program = examples::passive(Method::ExpEuler).unwrap();
    let (_, kernel) = kernels(&program).remove(0);
    let mut config = RunConfig::new(10.0, 0.1, 2);
    config.record = vec![Recorded::State(0), Recorded::Intermediate(0)];
    config.record_every = 10;
    config.inputs = vec![(0, Protocol::Constant(1.0))];
    let (summary, trace, _) = run_all(&*kernel, &config).unwrap();
    assert_eq!(summary.steps, 100);
    let expected: Vec<f64> = (0..=10).map(|k| (10 * k) as f64 * 0.1).collect();
    assert_eq!(trace.times, expected);
    let names: Vec<_> = trace
        .columns
        .iter()
        .map(|c| (c.variable.as_str(), c.neuron))
        .collect();
    assert_eq!(names, [("V", 0), ("V", 1), ("I_L", 0), ("I_L", 1)]);
    // I_L = g_L·(V − E_L) at the recorded state.
    for row in &trace.rows {
        assert!((row[2] - 0.1 * (row[0] + 65.0)).abs() < 1e-12);
    }
}

#[test]
fn input_defaults_and_param_overrides_reach_the_model() {
    let program = examples::lif(Method::ExpEuler).unwrap();
    let (_, kernel) = kernels(&program).remove(0);
    // No protocol: I_e = its default 0, V stays at E_L; E_L per neuron overrides V(0).
    let mut config = RunConfig::new(5.0, 0.1, 2);
    config.params = vec![(1, Values::PerNeuron(vec![-70.0, -60.0]))];
    config.record = vec![Recorded::State(0)];
    let (_, trace, _) = run_all(&*kernel, &config).unwrap();
    assert_eq!(trace.rows[0], vec![-70.0, -60.0]);
    assert_eq!(trace.rows.last().unwrap(), &vec![-70.0, -60.0]);
    // --init V=-55 overrides E_L's initial value.
    config.inits = vec![(0, Values::Uniform(-55.0))];
    let (_, trace, _) = run_all(&*kernel, &config).unwrap();
    assert_eq!(trace.rows[0], vec![-55.0, -55.0]);
}

#[test]
fn bad_configurations_are_typed_errors() {
    let program = examples::lif(Method::Euler).unwrap();
    let (_, kernel) = kernels(&program).remove(0);
    let check = |config: RunConfig, expected: ConfigError| match run_all(&*kernel, &config) {
        Err(RunError::Config(e)) => assert_eq!(e, expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    };
    check(RunConfig::new(10.0, 0.0, 1), ConfigError::TimeStep(0.0));
    check(RunConfig::new(-1.0, 0.1, 1), ConfigError::Duration(-1.0));
    check(
        RunConfig::new(1e300, 0.1, 1),
        ConfigError::TooManySteps(1e301),
    );
    let mut c = RunConfig::new(1.0, 0.1, 1);
    c.record_every = 0;
    check(c, ConfigError::RecordEvery);
    let mut c = RunConfig::new(1.0, 0.1, 2);
    c.params = vec![(9, Values::Uniform(1.0))];
    check(c, ConfigError::NoSuchParam(9));
    let mut c = RunConfig::new(1.0, 0.1, 2);
    c.params = vec![(0, Values::PerNeuron(vec![1.0]))];
    check(
        c,
        ConfigError::PerNeuronLength {
            what: "tau_m".to_string(),
            expected: 2,
            found: 1,
        },
    );
    let mut c = RunConfig::new(1.0, 0.1, 1);
    c.inputs = vec![(0, Protocol::Constant(1.0)), (0, Protocol::Constant(2.0))];
    check(c, ConfigError::DuplicateInput("I_e".to_string()));
    let mut c = RunConfig::new(1.0, 0.1, 1);
    c.inputs = vec![(
        0,
        Protocol::Ou {
            mean: 0.0,
            sigma: 1.0,
            tau: 0.0,
        },
    )];
    assert!(matches!(
        run_all(&*kernel, &c),
        Err(RunError::Config(ConfigError::Protocol(_)))
    ));
    check(
        RunConfig::new(1.0, 0.1, usize::MAX / 2),
        ConfigError::PopulationTooLarge(usize::MAX / 2),
    );
    let mut c = RunConfig::new(1.0, 0.1, 1);
    c.record = vec![Recorded::Intermediate(4)];
    check(c, ConfigError::NoSuchIntermediate(4));
}

struct FailingSink;
impl SpikeSink for FailingSink {
    fn spike(&mut self, _: u32, _: f64, _: usize) -> Result<(), SinkError> {
        Err("disk full".into())
    }
}

#[test]
fn sink_errors_stop_the_run_and_progress_is_reported() {
    let program = examples::lif(Method::ExpEuler).unwrap();
    let (_, kernel) = kernels(&program).remove(0);
    let mut config = RunConfig::new(100.0, 0.1, 1);
    config.inputs = vec![(0, Protocol::Constant(2.0))];
    let result = run(&*kernel, &config, &mut Discard, &mut FailingSink, None);
    assert!(matches!(result, Err(RunError::Sink(e)) if e.to_string() == "disk full"));

    let mut reports = Vec::new();
    let mut progress = |done: u64, total: u64| reports.push((done, total));
    run(
        &*kernel,
        &config,
        &mut Discard,
        &mut Discard,
        Some(&mut progress),
    )
    .unwrap();
    // 1,000 steps: every step is reported.
    assert_eq!(reports.len(), 1000);
    assert_eq!(reports.last(), Some(&(1000, 1000)));
    assert!(reports.windows(2).all(|w| w[0].0 < w[1].0));

    // 50,000 steps: steps 1, 2, 4 (a first batch to estimate from), then every 5th step —
    // 10,000 reports at a fixed interval, whatever the length of the run.
    let mut config = RunConfig::new(5000.0, 0.1, 1);
    config.inputs = vec![(0, Protocol::Constant(2.0))];
    let mut reports = Vec::new();
    let mut progress = |done: u64, total: u64| reports.push((done, total));
    run(
        &*kernel,
        &config,
        &mut Discard,
        &mut Discard,
        Some(&mut progress),
    )
    .unwrap();
    let done: Vec<u64> = reports.iter().map(|r| r.0).collect();
    assert_eq!(done[..6], [1, 2, 4, 5, 10, 15]);
    assert_eq!(reports.len(), 3 + 10_000);
    assert_eq!(reports.last(), Some(&(50_000, 50_000)));
}

#[test]
fn zero_length_run_records_the_initial_state() {
    let program = examples::hh(Method::Rk4).unwrap();
    let (_, kernel) = kernels(&program).remove(0);
    let mut config = RunConfig::new(0.0, 0.025, 1);
    config.record = vec![Recorded::State(0)];
    let (summary, trace, spikes) = run_all(&*kernel, &config).unwrap();
    assert_eq!(summary.steps, 0);
    assert_eq!(trace.rows, vec![vec![-65.0]]);
    assert!(spikes.spikes.is_empty());
}

#[test]
fn an_event_fires_only_on_the_rising_edge() {
    // HH's `on V > 0 {}` has no reset: V stays above 0 for several steps per spike, and
    // each spike is counted once.
    let program = examples::hh(Method::ExpEuler).unwrap();
    let (_, kernel) = kernels(&program).remove(0);
    let mut config = RunConfig::new(100.0, 0.025, 1);
    config.inputs = vec![(
        0,
        Protocol::Step {
            t0: 10.0,
            t1: 60.0,
            amp: 10.0,
        },
    )];
    config.record = vec![Recorded::State(0)];
    let (summary, trace, spikes) = run_all(&*kernel, &config).unwrap();
    let v = trace.column(0);
    let rising = v.windows(2).filter(|w| w[0] <= 0.0 && w[1] > 0.0).count();
    assert_eq!(summary.spike_counts[0] as usize, rising);
    assert_eq!(spikes.spikes.len(), 4);
    // The interpolated time lies in the step where V crosses 0.
    for s in &spikes.spikes {
        let k = (s.t / 0.025).floor() as usize;
        assert!(v[k] <= 0.0 && v[k + 1] > 0.0, "spike at {}", s.t);
    }
}
