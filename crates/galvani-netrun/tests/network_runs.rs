//! Network runs against closed forms: spikes triggered by jumps at delivery times along a
//! delay chain, sums of exponential conductances, the depressing synapse's release
//! probability sequence, arrivals ignored while refractory, connection counts, Campbell's
//! theorem for a Poisson drive, and the same bytes for the same seed.

use std::path::PathBuf;

use galvani_driver::{check_network, compile_model, CompiledModel, Sources};
use galvani_ir::step::Method;
use galvani_kernel::Kernel;
use galvani_netrun::{
    simulate, NetworkConfig, NetworkRunError, NetworkSpikeList, NetworkSummary, RecordRequest,
};
use galvani_network::{CheckedNetwork, Source};
use galvani_runtime::{Recorded, Trace};

/// A network written to a fresh directory with its model files, checked and compiled.
struct Net {
    network: CheckedNetwork,
    compiled: Vec<Option<CompiledModel>>,
}

fn load(name: &str, network: &str, models: &[(&str, &str)]) -> Net {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("galvani-netrun-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in models {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let path = dir.join("net.gal");
    std::fs::write(&path, network).unwrap();
    let mut sources = Sources::new();
    let file = sources.load(&path).unwrap();
    let checked = match check_network(&mut sources, file) {
        Ok(checked) => checked,
        Err(d) => panic!("{d:?}"),
    };
    let compiled = checked
        .network
        .populations
        .iter()
        .map(|p| match &p.source {
            Source::Model { model, .. } => Some(
                compile_model(
                    model,
                    Some(Method::ExpEuler),
                    galvani_codegen::JitOptions::default(),
                )
                .unwrap(),
            ),
            _ => None,
        })
        .collect();
    std::fs::remove_dir_all(&dir).ok();
    Net {
        network: checked.network,
        compiled,
    }
}

fn run(
    net: &Net,
    config: &NetworkConfig,
) -> Result<(NetworkSpikeList, Trace, NetworkSummary), NetworkRunError> {
    let kernels: Vec<Option<&dyn Kernel>> = net
        .compiled
        .iter()
        .map(|c| c.as_ref().map(|c| &c.kernel as &dyn Kernel))
        .collect();
    let mut spikes = NetworkSpikeList::default();
    let mut trace = Trace::default();
    let summary = simulate(
        &net.network,
        &kernels,
        config,
        &mut trace,
        &mut spikes,
        None,
    )?;
    Ok((spikes, trace, summary))
}

/// Fires when a jump takes V over 20 mV; barely leaks.
const RELAY: &str = "model relay \"fires on a jump\"
param theta = 20 mV
param t_ref = 2 ms
state V = 0 mV
dV/dt = -V / (1000 ms)
on V > theta {
    V = 0 mV
    refractory t_ref
}
";

/// Two conductances that decay exponentially, and one that never decays.
const SYNAPSES: &str = "model synapses \"exponential conductances\"
param tau = 5 ms
state g = 0 nS
state h = 0 nS
dg/dt = -g / tau
dh/dt = 0 nS / ms
";

/// The grid time `t_k`, computed as the runtime computes it.
fn grid(k: u64, dt: f64) -> f64 {
    k as f64 * dt
}

#[test]
fn jumps_trigger_spikes_at_delivery_times_along_a_delay_chain() {
    let net = load(
        "chain",
        "network chain \"delay chain\"
population S {
    spikes = file(\"s.csv\")
    size = 1
}
population A {
    model = \"relay.gal\"
    size = 1
}
population B {
    model = \"relay.gal\"
    size = 1
}
connect S -> A {
    rule = one_to_one
    delay = 2 ms
    on pre { V += 25 mV }
}
connect A -> B {
    rule = one_to_one
    delay = 1.5 ms
    on pre { V += 25 mV }
}
",
        &[("relay.gal", RELAY)],
    );
    let dt = 0.1;
    let mut config = NetworkConfig::new(10.0, dt, 3);
    config.spike_files = vec![(0, vec![(0, 1.0), (0, 1.04), (0, 6.0)])];
    let (spikes, _, summary) = run(&net, &config).unwrap();
    // S spikes at t_10 twice (1.0 and 1.04 round to the same grid point) and at t_60.
    assert_eq!(
        spikes.times_of(0, 0),
        vec![grid(10, dt), grid(10, dt), grid(60, dt)]
    );
    // Two arrivals at t_30 (V jumps twice, then A fires once at exactly t_30); the third
    // arrival (t_80) fires it again.
    assert_eq!(spikes.times_of(1, 0), vec![grid(30, dt), grid(80, dt)]);
    // A → B: 15 steps later.
    assert_eq!(spikes.times_of(2, 0), vec![grid(45, dt), grid(95, dt)]);
    assert_eq!(summary.populations[1].spike_counts, vec![2]);
    assert_eq!(summary.synapses, 2);
    // Rows of the sink come ordered by time, then population.
    let order: Vec<(f64, usize)> = spikes.spikes.iter().map(|s| (s.t, s.population)).collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    assert_eq!(order, sorted);
}

#[test]
fn arrivals_sum_exponential_conductances_exactly() {
    let net = load(
        "conductance",
        "network conductance \"exponential conductance sums\"
param w = 2 nS
population S {
    spikes = file(\"s.csv\")
    size = 2
}
population P {
    model = \"synapses.gal\"
    size = 1
}
connect S -> P {
    rule = all_to_all
    delay = 1 ms
    on pre {
        g += w
        h += w
    }
}
",
        &[("synapses.gal", SYNAPSES)],
    );
    let dt = 0.1;
    let input = vec![(0, 0.5), (1, 0.5), (0, 2.0), (1, 7.3)];
    let mut config = NetworkConfig::new(20.0, dt, 2);
    config.spike_files = vec![(0, input.clone())];
    config.record = vec![
        RecordRequest {
            population: 1,
            variable: Recorded::State(0),
            neurons: vec![0],
        },
        RecordRequest {
            population: 1,
            variable: Recorded::State(1),
            neurons: vec![0],
        },
    ];
    let (_, trace, _) = run(&net, &config).unwrap();
    assert_eq!(trace.columns[0].variable, "P.g");
    let tau = 5.0;
    let w = 2e-6; // nS in mS (internal units)
    for (row, &t) in trace.times.iter().enumerate() {
        // Arrivals at the spike time rounded to the grid plus the 1 ms delay.
        let arrivals: Vec<f64> = input
            .iter()
            .map(|&(_, ts)| (ts / dt).round() * dt + 1.0)
            .filter(|&ta| ta <= t + 1e-9)
            .collect();
        let g: f64 = arrivals.iter().map(|ta| w * (-(t - ta) / tau).exp()).sum();
        let h = w * arrivals.len() as f64;
        let (got_g, got_h) = (trace.rows[row][0], trace.rows[row][1]);
        assert!((got_g - g).abs() <= 1e-12 * w, "g at {t}: {got_g} vs {g}");
        assert_eq!(got_h, h, "h at {t}");
    }
}

#[test]
fn depressing_synapses_follow_the_release_probability_sequence() {
    let net = load(
        "stp",
        "network stp \"depression\"
population S {
    spikes = file(\"s.csv\")
    size = 1
}
population P {
    model = \"synapses.gal\"
    size = 1
}
connect S -> P {
    rule = all_to_all
    delay = 1 ms
    param w     = 1 nS
    param P_0   = 0.5
    param f_D   = 0.4
    param tau_P = 500 ms
    state R = P_0
    dR/dt = (P_0 - R) / tau_P
    on pre {
        h += w * R
        R -= f_D * R
    }
}
",
        &[("synapses.gal", SYNAPSES)],
    );
    let dt = 0.1;
    let times = [10.0, 30.0, 35.0, 200.0, 1000.0];
    let mut config = NetworkConfig::new(1100.0, dt, 2);
    config.spike_files = vec![(0, times.iter().map(|&t| (0, t)).collect())];
    config.record = vec![RecordRequest {
        population: 1,
        variable: Recorded::State(1),
        neurons: vec![0],
    }];
    config.record_every = 10;
    let (_, trace, _) = run(&net, &config).unwrap();
    // Closed form: P before spike i, P_{i+1} = P_0 + (P_i·(1 − f_D) − P_0)·e^{−Δ/τ_P};
    // h jumps by w·P_i at t_i + 1 ms.
    let (p0, fd, tau_p, w) = (0.5, 0.4, 500.0, 1e-6);
    let mut p = p0;
    let mut jumps = Vec::new();
    for (i, &t) in times.iter().enumerate() {
        if i > 0 {
            let delta = t - times[i - 1];
            p = p0 + (p * (1.0 - fd) - p0) * (-delta / tau_p).exp();
        }
        jumps.push((t + 1.0, w * p));
    }
    for (row, &t) in trace.times.iter().enumerate() {
        let h: f64 = jumps
            .iter()
            .filter(|(ta, _)| *ta <= t + 1e-9)
            .map(|(_, j)| j)
            .sum();
        assert!(
            (trace.rows[row][0] - h).abs() <= 1e-13 * w,
            "h at {t}: {} vs {h}",
            trace.rows[row][0]
        );
    }
}

#[test]
fn rules_make_the_counted_synapses_and_delays_below_dt_are_refused() {
    let text = |rule: &str, delay: &str| {
        format!(
            "network counts \"counts\"
population E {{
    model = \"relay.gal\"
    size = 50
}}
population I {{
    model = \"relay.gal\"
    size = 20
}}
connect E -> E, I {{
    rule = {rule}
    delay = {delay}
    on pre {{ V += 1 mV }}
}}
"
        )
    };
    let config = NetworkConfig::new(1.0, 0.1, 2);
    for (rule, expected) in [
        ("all_to_all", 50 * 49 + 50 * 20),
        ("fixed_indegree(7)", 7 * 50 + 7 * 20),
        ("fixed_outdegree(5)", 50 * 5 * 2),
        ("one_to_one", 50 + 20),
    ] {
        let net = load("counts", &text(rule, "1 ms"), &[("relay.gal", RELAY)]);
        match run(&net, &config) {
            Ok((_, _, summary)) => {
                assert_eq!(summary.synapses, expected as u64, "{rule}");
                assert_eq!(
                    summary.populations[0].synapses_in + summary.populations[1].synapses_in,
                    expected as u64
                );
            }
            // one_to_one between 50 and 20 neurons is refused.
            Err(NetworkRunError::Connect { .. }) if rule == "one_to_one" => {}
            Err(e) => panic!("{rule}: {e}"),
        }
    }
    let net = load(
        "short",
        &text("all_to_all", "0.04 ms"),
        &[("relay.gal", RELAY)],
    );
    assert!(matches!(
        run(&net, &config),
        Err(NetworkRunError::DelayTooShort { .. })
    ));
    let net = load(
        "drawn",
        &text("all_to_all", "uniform(0.5 ms, 3 ms)"),
        &[("relay.gal", RELAY)],
    );
    assert!(run(&net, &config).is_ok());
}

/// Campbell's theorem on the grid: a drive of rate ν onto `dg/dt = −g/τ` with `g += w`
/// adds Poisson(ν·dt) jumps per step; with `a = e^{−dt/τ}` the stationary mean is
/// `ν·dt·w/(1 − a)` and the variance `ν·dt·w²/(1 − a²)` (→ ν·w·τ and ν·w²·τ/2 as dt → 0).
#[test]
fn a_poisson_drive_obeys_campbells_theorem() {
    let net = load(
        "campbell",
        "network campbell \"shot noise\"
population P {
    model = \"synapses.gal\"
    size = 4000
}
drive P {
    poisson = 2000 Hz
    on pre { g += 1 nS }
}
",
        &[("synapses.gal", SYNAPSES)],
    );
    let dt = 0.1;
    let mut config = NetworkConfig::new(60.0, dt, 1);
    config.seed = 11;
    config.record = vec![RecordRequest {
        population: 0,
        variable: Recorded::State(0),
        neurons: (0..4000).collect(),
    }];
    config.record_every = 600;
    let (_, trace, _) = run(&net, &config).unwrap();
    let last = trace.rows.last().unwrap();
    let n = last.len() as f64;
    let (nu, w, tau) = (2.0, 1e-6, 5.0);
    let a: f64 = (-dt / tau).exp();
    let mean = nu * dt * w / (1.0 - a);
    let variance = nu * dt * w * w / (1.0 - a * a);
    let m = last.iter().sum::<f64>() / n;
    let v = last.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    // After 12 τ the start (g = 0) is forgotten to e^{−12}; neurons are independent.
    let se_mean = (variance / n).sqrt();
    let se_var = variance * (2.0 / (n - 1.0)).sqrt();
    assert!(
        (m - mean).abs() < 5.0 * se_mean,
        "mean {m} vs {mean} ± {se_mean}"
    );
    assert!(
        (v - variance).abs() < 5.0 * se_var + 0.05 * variance,
        "variance {v} vs {variance}"
    );
}

#[test]
fn the_same_seed_gives_the_same_spikes() {
    let network = "network random \"random\"
population X {
    poisson = 50 Hz
    size = 200
}
population E {
    model = \"relay.gal\"
    size = 100
    init V = uniform(0 mV, 19 mV)
}
connect X -> E {
    rule = probability(0.1)
    delay = uniform(1 ms, 3 ms)
    on pre { V += 4 mV }
}
connect E -> E {
    rule = fixed_indegree(10)
    delay = 1.5 ms
    on pre { V += 1 mV }
}
";
    let net = load("seeds", network, &[("relay.gal", RELAY)]);
    let mut config = NetworkConfig::new(200.0, 0.1, 2);
    config.seed = 5;
    let (a, _, _) = run(&net, &config).unwrap();
    let (b, _, _) = run(&net, &config).unwrap();
    assert_eq!(a, b);
    assert!(a.spikes.iter().filter(|s| s.population == 1).count() > 50);
    config.seed = 6;
    let (c, _, _) = run(&net, &config).unwrap();
    assert_ne!(a, c);
}

/// A neuron that fires at `t_{k+1}` with `refractory 2 ms` (r = 20 steps at dt 0.1 ms)
/// ignores arrivals at `t_{k+1} … t_{k+1+r}` in its held state, and takes the next one.
#[test]
fn held_states_ignore_arrivals_while_refractory() {
    let net = load(
        "refractory",
        "network held \"held states\"
population S {
    spikes = file(\"s.csv\")
    size = 1
}
population A {
    model = \"relay.gal\"
    size = 1
}
connect S -> A {
    rule = one_to_one
    delay = 2 ms
    on pre { V += 25 mV }
}
",
        &[("relay.gal", RELAY)],
    );
    let dt = 0.1;
    let mut config = NetworkConfig::new(8.0, dt, 2);
    // Arrivals at t_30 (fires), t_35 and t_50 (ignored: t_31 … t_50 is the window after
    // t_30, plus t_30 itself), t_51 (fires again: the refractory period is over).
    config.spike_files = vec![(0, vec![(0, 1.0), (0, 1.5), (0, 3.0), (0, 3.1)])];
    config.record = vec![RecordRequest {
        population: 1,
        variable: Recorded::State(0),
        neurons: vec![0],
    }];
    let (spikes, trace, _) = run(&net, &config).unwrap();
    assert_eq!(spikes.times_of(1, 0), vec![grid(30, dt), grid(51, dt)]);
    for (row, &t) in trace.times.iter().enumerate() {
        if (3.0..=5.05).contains(&t) {
            assert_eq!(trace.rows[row][0], 0.0, "V held at its reset value at {t}");
        }
    }
}

/// Poisson sources on the grid: each spikes in a step with probability `p = 1 − e^{−ν·dt}`,
/// so interspike intervals are geometric (in steps) with CV `√(1 − p)`, and spike counts
/// in a window of m steps are binomial with Fano factor `1 − p` (→ 1, the Poisson values,
/// as dt → 0). Checked within five standard errors of the sample sizes, over a window long
/// enough (2,000 mean intervals) that intervals cut by its ends bias the mean by 0.05 %.
#[test]
fn poisson_sources_have_geometric_intervals_and_binomial_counts() {
    let net = load(
        "poisson",
        "network sources \"poisson sources\"
population X {
    poisson = 20 Hz
    size = 200
}
",
        &[],
    );
    let dt = 0.1;
    let mut config = NetworkConfig::new(100_000.0, dt, 1);
    config.seed = 4;
    let (spikes, _, summary) = run(&net, &config).unwrap();
    let p = -(-0.02f64 * dt).exp_m1();
    let mut trains: Vec<Vec<f64>> = vec![Vec::new(); 200];
    for s in &spikes.spikes {
        // Every spike is at a grid time t_{k+1}.
        let k = (s.t / dt).round();
        assert!((s.t - k * dt).abs() < 1e-9 && k >= 1.0);
        trains[s.neuron as usize].push(s.t);
    }
    let intervals: Vec<f64> = trains
        .iter()
        .flat_map(|t| t.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>())
        .collect();
    let n = intervals.len() as f64;
    let mean = intervals.iter().sum::<f64>() / n;
    let sd = (intervals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // Mean interval dt/p; the CV's standard error is about CV/√n for near-exponential
    // intervals (√((1 + CV²)/(2n))·CV ≤ CV/√n).
    assert!(
        ((mean - dt / p) / (dt / p)).abs() < 5.0 / n.sqrt(),
        "mean {mean}"
    );
    let cv = sd / mean;
    assert!((cv - (1.0 - p).sqrt()).abs() < 5.0 / n.sqrt(), "CV {cv}");
    // Counts in 100 ms windows (1000 steps): binomial(1000, p).
    let windows = 1000;
    let mut counts = Vec::new();
    for train in &trains {
        let mut c = vec![0.0; windows];
        for &t in train {
            let w = ((t - 1e-9) / 100.0) as usize;
            if w < windows {
                c[w] += 1.0;
            }
        }
        counts.extend(c);
    }
    let m = counts.len() as f64;
    let mean_count = counts.iter().sum::<f64>() / m;
    let var = counts.iter().map(|x| (x - mean_count).powi(2)).sum::<f64>() / (m - 1.0);
    let fano = var / mean_count;
    // Standard error of a variance ratio from m counts: about √(2/m).
    assert!(
        (fano - (1.0 - p)).abs() < 5.0 * (2.0 / m).sqrt(),
        "Fano {fano}"
    );
    assert!((mean_count - 1000.0 * p).abs() < 5.0 * (1000.0 * p / m).sqrt());
    assert_eq!(
        summary.populations[0].spike_counts.iter().sum::<u64>(),
        spikes.spikes.len() as u64
    );
}

/// A population of a model with white noise draws its own noise in a network: the free
/// membrane potential of `dV/dt = (μ − V)/τ + σ/√τ·ξ` (threshold out of reach) has the
/// stationary variance σ²/2 of the exact OU update; neurons are independent; the same
/// seed gives the same values.
#[test]
fn a_noisy_population_draws_its_own_noise() {
    let model = "model noisy \"free OU membrane\"
param tau_m = 20 ms
param sigma = 4 mV
input mu = 0 mV
state V = 0 mV
dV/dt = (mu - V) / tau_m + sigma / sqrt(tau_m) * xi
on V > 1000 mV {
    V = 0 mV
}
";
    let net = load(
        "noisy",
        "network noisy \"noise\"
population P {
    model = \"noisy.gal\"
    size = 5000
}
",
        &[("noisy.gal", model)],
    );
    let mut config = NetworkConfig::new(200.0, 0.5, 1);
    config.seed = 8;
    config.record = vec![RecordRequest {
        population: 0,
        variable: Recorded::State(0),
        neurons: (0..5000).collect(),
    }];
    config.record_every = 400;
    let (_, trace, _) = run(&net, &config).unwrap();
    // After 10 τ the start (V = 0, variance 0) is forgotten to e^{−20} in the variance.
    let last = trace.rows.last().unwrap();
    let n = last.len() as f64;
    let mean = last.iter().sum::<f64>() / n;
    let variance = last.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let expected = 16.0 / 2.0;
    assert!(mean.abs() < 5.0 * (expected / n).sqrt(), "mean {mean}");
    assert!(
        (variance - expected).abs() < 5.0 * expected * (2.0 / n).sqrt(),
        "variance {variance}"
    );
    let (_, again, _) = run(&net, &config).unwrap();
    assert_eq!(trace, again);
}

/// An inhomogeneous Poisson source, `rate(t) = 80 Hz·t/T` (a ramp), spikes in step k with
/// probability `1 − exp(−rate(t_k)·dt)`: the counts of each quarter of the run match the
/// sum of those probabilities within five standard errors; a drive whose rate switches
/// on at 50 ms (`heaviside`) adds nothing before.
#[test]
fn rates_that_depend_on_time_follow_their_formula() {
    let net = load(
        "ramp",
        "network ramp \"an inhomogeneous source and drive\"
param T = 1000 ms
population X {
    poisson = 80 Hz * t / T
    size = 2000
}
population P {
    model = \"synapses.gal\"
    size = 50
}
drive P {
    poisson = 1000 Hz * heaviside(t - 50 ms)
    on pre { g += 1 nS }
}
",
        &[("synapses.gal", SYNAPSES)],
    );
    let dt = 0.1;
    let mut config = NetworkConfig::new(1000.0, dt, 2);
    config.seed = 2;
    config.record = vec![RecordRequest {
        population: 1,
        variable: Recorded::State(0),
        neurons: (0..50).collect(),
    }];
    config.record_every = 10;
    let (spikes, trace, _) = run(&net, &config).unwrap();
    for quarter in 0..4 {
        let steps = quarter * 2500..(quarter + 1) * 2500;
        let probabilities: Vec<f64> = steps
            .map(|k| -(-(0.08 * (k as f64 * dt) / 1000.0) * dt).exp_m1())
            .collect();
        let expected: f64 = 2000.0 * probabilities.iter().sum::<f64>();
        let variance: f64 = 2000.0 * probabilities.iter().map(|p| p * (1.0 - p)).sum::<f64>();
        let (from, to) = (quarter as f64 * 250.0, (quarter + 1) as f64 * 250.0);
        // A spike of step k is at t_{k+1}.
        let count = spikes
            .spikes
            .iter()
            .filter(|s| s.population == 0 && s.t > from + 1e-9 && s.t <= to + 1e-9)
            .count() as f64;
        assert!(
            (count - expected).abs() < 5.0 * variance.sqrt(),
            "quarter {quarter}: {count} spikes, expected {expected}"
        );
    }
    for (row, &t) in trace.times.iter().enumerate() {
        let total: f64 = trace.rows[row].iter().sum();
        if t <= 50.0 + 1e-9 {
            assert_eq!(total, 0.0, "no drive before 50 ms (t = {t})");
        } else if t > 60.0 {
            assert!(total > 0.0);
        }
    }
}

/// Synapse states that read one another — a dual-exponential kernel on the synapse,
/// `dx/dt = −x/τ_1`, `dG/dt = (x − G)/τ_2` — are solved exactly between spikes as one
/// linear system: after a kick of x at t_0, `G(t) = x_0·τ_1/(τ_1 − τ_2)·(e^{−Δ/τ_1} −
/// e^{−Δ/τ_2})`, which each later arrival reads (`h += w·G` before `x += 1`).
#[test]
fn coupled_synapse_states_follow_the_dual_exponential() {
    let net = load(
        "dual",
        "network dual \"dual exponential on the synapse\"
population S {
    spikes = file(\"s.csv\")
    size = 1
}
population P {
    model = \"synapses.gal\"
    size = 1
}
connect S -> P {
    rule = all_to_all
    delay = 1 ms
    param w     = 1 nS
    param tau_1 = 8 ms
    param tau_2 = 2 ms
    state x = 0
    state G = 0
    dx/dt = -x / tau_1
    dG/dt = (x - G) / tau_2
    on pre {
        h += w * G
        x += 1
    }
}
",
        &[("synapses.gal", SYNAPSES)],
    );
    let dt = 0.1;
    let times = [10.0, 13.0, 20.0, 45.0];
    let mut config = NetworkConfig::new(60.0, dt, 2);
    config.spike_files = vec![(0, times.iter().map(|&t| (0, t)).collect())];
    config.record = vec![RecordRequest {
        population: 1,
        variable: Recorded::State(1),
        neurons: vec![0],
    }];
    let (_, trace, _) = run(&net, &config).unwrap();
    let (tau_1, tau_2, w) = (8.0, 2.0, 1e-6);
    // G at each arrival: the sum of the kernels of the earlier kicks.
    let g_at = |t: f64| -> f64 {
        times
            .iter()
            .filter(|&&ts| ts < t)
            .map(|&ts| {
                let d = t - ts;
                tau_1 / (tau_1 - tau_2) * ((-d / tau_1).exp() - (-d / tau_2).exp())
            })
            .sum()
    };
    let h_final: f64 = times.iter().map(|&t| w * g_at(t)).sum();
    let last = trace.rows.last().unwrap()[0];
    assert!((last - h_final).abs() <= 1e-14 * w, "{last} vs {h_final}");
    assert!(h_final > 0.5 * w);
}
