//! Network files through `galvani check`: every file in `networks/` checks (adding a
//! network is adding a file), and a network whose model file fails shows the model's own
//! diagnostics and where the network uses it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn galvani(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_galvani"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("NO_COLOR", "1")
        .output()
        .expect("the galvani binary runs")
}

#[test]
fn every_library_network_checks() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<String> = std::fs::read_dir(root.join("networks"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "gal"))
        .map(|path| format!("networks/{}", path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let args: Vec<&str> = std::iter::once("check")
        .chain(files.iter().map(String::as_str))
        .collect();
    let out = galvani(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), files.len());
    assert!(stdout.contains(
        "networks/brunel.gal: ok — network brunel: 2 populations (12500 neurons), 2 connections, 1 drive"
    ));
}

#[test]
fn a_failing_model_file_is_shown_with_the_network_line_that_uses_it() {
    let dir = std::env::temp_dir().join(format!("galvani-networks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("broken.gal"),
        "model broken\nstate V = 0 mV\ndV/dt = W\n",
    )
    .unwrap();
    let network = dir.join("net.gal");
    std::fs::write(
        &network,
        "network net\npopulation A {\n    model = \"broken.gal\"\n    size = 2\n}\n\
         connect A -> A {\n    rule = all_to_all\n}\n",
    )
    .unwrap();
    let out = galvani(&["check", network.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The model's own error, in its own file …
    assert!(
        stderr.contains("unknown name `W`") || stderr.contains("`W`"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.gal:3:"), "{stderr}");
    // … then where the network uses it, and nothing more about `A`.
    assert!(
        stderr.contains("error[E0704]: the model file `broken.gal` has errors"),
        "{stderr}"
    );
    assert!(stderr.contains("net.gal:3:13"), "{stderr}");
    assert!(!stderr.contains("no population"), "{stderr}");
}

/// `fi` takes model files: a network file given to it says what it is and which
/// commands take it, with exit status 1.
#[test]
fn fi_says_a_network_is_not_a_model() {
    let out = galvani(&[
        "fi",
        "networks/brunel.gal",
        "--input",
        "I_e",
        "--range",
        "0..1nA",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("this is a network file"), "{stderr}");
    assert!(
        stderr.contains("`galvani check`, `galvani explain` and `galvani run` take network files"),
        "{stderr}"
    );
}

/// `explain` shows a network: populations, each rule with the synapses it makes, and
/// each synapse state's exact update between spikes.
#[test]
fn explain_shows_a_network() {
    let out = galvani(&["explain", "networks/brunel.gal"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "E: 10000 neurons of model lif_delta (../models/lif_delta.gal)",
        "init V = uniform(0 mV, 20 mV)",
        "fixed_indegree(800): each post neuron draws 800 distinct pre neurons; 10000000 synapses",
        "on pre    V -= g * J",
        "E, I: each neuron its own Poisson train at 20000 Hz",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
    let out = galvani(&["explain", "networks/stp_depression.gal"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("P(t + Δ) = 0.5 + (P − 0.5)·exp(−Δ/500 ms)"),
        "{text}"
    );
    let out = galvani(&["explain", "networks/brunel.gal", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Every library network runs (a short window) and writes the same bytes for the same
/// seed; the spikes CSV has the network header and its rows are ordered by time, then
/// population in file order.
#[test]
fn every_library_network_runs_the_same_for_the_same_seed() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::temp_dir().join(format!("galvani-network-runs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("networks"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "gal"))
        .collect();
    files.sort();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let mut outputs = Vec::new();
        for round in 0..2 {
            let spikes = dir.join(format!("{stem}-{round}.csv"));
            let out = galvani(&[
                "run",
                file.to_str().unwrap(),
                "--t",
                "20ms",
                "--dt",
                "0.1ms",
                "--seed",
                "3",
                "--spikes",
                spikes.to_str().unwrap(),
            ]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{stem}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            outputs.push(std::fs::read_to_string(&spikes).unwrap());
        }
        assert_eq!(outputs[0], outputs[1], "{stem}");
        let mut lines = outputs[0].lines();
        assert_eq!(lines.next(), Some("population,neuron,t [ms]"));
        let times: Vec<f64> = lines
            .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{stem}: unordered");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Options of a network run name their population; what does not fit is refused with a
/// hint, before anything runs.
#[test]
fn network_run_options_name_their_population() {
    let cases: [(&[&str], &str); 5] = [
        (&["--n", "10"], "--n does not apply to a network file"),
        (
            &["--set", "tau_m=10ms"],
            "a network run names the population first",
        ),
        (
            &["--set", "Q.tau_m=10ms"],
            "no population `Q` in the network",
        ),
        (&["--record", "E.V[20000]"], "invalid --record `E.V[20000]`"),
        (
            &["--out", "/dev/null"],
            "--out needs --record in a network run",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["run", "networks/brunel.gal", "--t", "1ms"];
        args.extend_from_slice(extra);
        let out = galvani(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
    let out = galvani(&["run", "models/lif.gal", "--rate", "/dev/null"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rate is for network files"));
}

/// Population-prefixed overrides, records and the activity file.
#[test]
fn a_network_run_records_prefixed_columns_and_population_rates() {
    let dir = std::env::temp_dir().join(format!("galvani-network-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("v.csv");
    let rate = dir.join("rate.csv");
    let picture = dir.join("net.svg");
    let spikes = dir.join("spikes.csv");
    let out = galvani(&[
        "run",
        "networks/cuba.gal",
        "--t",
        "10ms",
        "--dt",
        "0.1ms",
        "--record",
        "E.V[0:2],I.V[5]",
        "--every",
        "1ms",
        "--rate",
        rate.to_str().unwrap(),
        "--bin",
        "2ms",
        "--set",
        "I.tau_m=10ms",
        "--summary",
        "json",
        "--out",
        trace.to_str().unwrap(),
        "--plot",
        picture.to_str().unwrap(),
        "--spikes",
        spikes.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("t [ms],E.V[0] [mV],E.V[1] [mV],I.V[5] [mV]")
    );
    assert_eq!(lines.count(), 11);
    let rates = std::fs::read_to_string(&rate).unwrap();
    assert_eq!(rates.lines().next(), Some("t [ms],E [Hz],I [Hz]"));
    assert_eq!(rates.lines().count(), 1 + 5);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["populations"][0]["name"], "E");
    assert_eq!(summary["populations"][1]["neurons"], 800);
    assert!(summary["synapses"].as_u64().unwrap() > 300_000);
    let svg = std::fs::read_to_string(&picture).unwrap();
    assert!(svg.contains("E: 1 in 7 neurons") && svg.contains("I: 1 in 2 neurons"));
    assert!(svg.contains("A(t) [Hz], bins of 2 ms"));
    // `galvani stats` takes the populations' sizes and the window from the sidecar.
    let stats = galvani(&["stats", spikes.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&stats.stdout);
    assert_eq!(stats.status.code(), Some(0));
    assert!(
        text.contains("window 0–10 ms")
            && text.contains("E: 3200 neurons")
            && text.contains("I: 800 neurons"),
        "{text}"
    );
    assert!(!String::from_utf8_lossy(&stats.stderr).contains("inferred"));
    std::fs::remove_dir_all(&dir).ok();
}

/// `galvani bench NETWORK.gal` reports the build, the simulation, the memory per synapse
/// and the peak memory of a network.
#[test]
fn bench_reports_the_costs_of_a_network() {
    let out = galvani(&["bench", "networks/cuba.gal", "--repeat", "1", "--t", "5ms"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("bench cuba — 4000 neurons, "),
        "{stdout}"
    );
    for line in ["  build ", "  simulate ", "bytes per synapse", "  spikes "] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}

/// `rule = file("edges.csv")`: the synapses a file lists, with per-edge params (in the
/// unit the block writes the param in) and delays (ms); a bad row is refused with its line.
#[test]
fn edges_from_a_file_carry_their_weights_and_delays() {
    let dir = std::env::temp_dir().join(format!("galvani-edges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("relay.gal"),
        "model relay \"fires on a jump\"\nparam theta = 20 mV\nstate V = 0 mV\n\
         dV/dt = -V / (1000 ms)\non V > theta {\n    V = 0 mV\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("s.csv"), "neuron,t [ms]\n0,1\n").unwrap();
    std::fs::write(
        dir.join("edges.csv"),
        "pre,post,w,delay\n0,2,25,3.5\n0,0,25,2\n0,1,10,1\n",
    )
    .unwrap();
    let network = dir.join("net.gal");
    std::fs::write(
        &network,
        "network edges \"edges from a file\"\npopulation S {\n    spikes = file(\"s.csv\")\n    size = 1\n}\n\
         population A {\n    model = \"relay.gal\"\n    size = 3\n}\n\
         connect S -> A {\n    rule = file(\"edges.csv\")\n    param w = 1 mV\n    on pre { V += w }\n}\n",
    )
    .unwrap();
    let spikes = dir.join("out.csv");
    let out = galvani(&[
        "run",
        network.to_str().unwrap(),
        "--t",
        "10ms",
        "--dt",
        "0.1ms",
        "--spikes",
        spikes.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&spikes).unwrap(),
        "population,neuron,t [ms]\nS,0,1\nA,0,3\nA,2,4.5\n"
    );
    std::fs::write(dir.join("edges.csv"), "pre,post,w\n0,2,25\n0,7,25\n").unwrap();
    let out = galvani(&["run", network.to_str().unwrap(), "--t", "10ms"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("0 → 7 is outside the populations"),
        "{stderr}"
    );
    std::fs::write(dir.join("edges.csv"), "pre,post,weight\n0,2,25\n").unwrap();
    let out = galvani(&["run", network.to_str().unwrap(), "--t", "10ms"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the column `weight` is neither a param of the block nor `delay`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A network whose synapses would not fit in memory is refused before any is drawn, with
/// the estimate.
#[test]
fn a_network_too_large_for_memory_is_refused_with_the_estimate() {
    let dir = std::env::temp_dir().join(format!("galvani-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = root.join("models/lif_delta.gal");
    let network = dir.join("huge.gal");
    std::fs::write(
        &network,
        format!(
            "network huge \"all to all, 10^6 × 10^6\"\npopulation E {{\n    model = \"{}\"\n    size = 1000000\n}}\n\
             connect E -> E {{\n    rule = all_to_all\n    on pre {{ V += 0.1 mV }}\n}}\n",
            model.display()
        ),
    )
    .unwrap();
    let out = galvani(&["run", network.to_str().unwrap(), "--t", "1ms"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the network is too large for this machine"),
        "{stderr}"
    );
    // 10^12 synapses of 4 bytes: the estimate, made before any synapse is drawn.
    assert!(
        stderr.contains("the synapses would need about 40000"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Every file in `tests/network_diagnostics/` fails — when checked, or (for what depends
/// on the grid, such as a delay below `--dt`) when run at `--dt 0.1ms` — with status 1 and
/// a diagnostic at its file, line and span; the rendered output is snapshotted. Adding a
/// failing case is adding a file.
#[test]
fn every_network_diagnostics_case_fails_with_its_snapshot() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap();
    insta::glob!("../../../tests/network_diagnostics", "*.gal", |path| {
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let out = galvani(&["run", &relative, "--t", "1ms", "--dt", "0.1ms"]);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{relative}: {stderr}");
        assert!(
            stderr.contains(&format!("{relative}:")),
            "{relative}: no span in {stderr}"
        );
        insta::assert_snapshot!("network_diagnostic", stderr);
    });
}

/// `--threads K`: the same bytes for any K, for a network (its populations are below
/// `PARALLEL_MIN_NEURONS`: the option reaches them, each runs on one thread) and for a
/// population of one model large enough to be split.
#[test]
fn threads_do_not_change_a_byte() {
    let dir = std::env::temp_dir().join(format!("galvani-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runs: [&[&str]; 2] = [
        &[
            "run",
            "networks/coba.gal",
            "--t",
            "30ms",
            "--dt",
            "0.1ms",
            "--record",
            "E.V[0:300]",
        ],
        // Above `PARALLEL_MIN_NEURONS`: the step and the conditions are split over threads.
        &[
            "run",
            "models/hh.gal",
            "--n",
            "33000",
            "--t",
            "10ms",
            "--input",
            "I_e=linspace(0uA/cm^2, 20uA/cm^2)",
            "--record",
            "V",
            "--every",
            "2.5ms",
        ],
    ];
    for (r, args) in runs.iter().enumerate() {
        let mut outputs = Vec::new();
        for threads in ["1", "2", "3"] {
            let spikes = dir.join(format!("s{r}-{threads}.csv"));
            let trace = dir.join(format!("v{r}-{threads}.csv"));
            let mut all: Vec<&str> = args.to_vec();
            all.extend([
                "--threads",
                threads,
                "--spikes",
                spikes.to_str().unwrap(),
                "--out",
                trace.to_str().unwrap(),
            ]);
            let out = galvani(&all);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            outputs.push((
                std::fs::read(&spikes).unwrap(),
                std::fs::read(&trace).unwrap(),
            ));
        }
        assert!(
            outputs.iter().all(|o| *o == outputs[0]),
            "{args:?}: threads change the output"
        );
        assert!(outputs[0].0.len() > 100, "{args:?}: some spikes");
    }
    let out = galvani(&["run", "models/lif.gal", "--threads", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid --threads"));
    std::fs::remove_dir_all(&dir).ok();
}
