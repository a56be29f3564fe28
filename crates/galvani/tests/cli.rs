//! The `galvani` binary as a user meets it: exit statuses, which stream gets what, and no
//! panic on bad arguments (docs/cli.md, "Exit status and streams").

use std::path::PathBuf;
use std::process::{Command, Output};

fn galvani(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_galvani"))
        .args(args)
        .current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the galvani binary runs")
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp_model(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("galvani-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn check_valid_models_exits_zero_with_one_line_each() {
    let out = galvani(&["check", "models/hh.gal", "models/lif.gal"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.contains("models/hh.gal: ok — model hh: 4 states (3 gates)"),
        "{stdout}"
    );
    // stderr holds the warnings `explain` shows too (hh's two rate singularities), and
    // nothing else.
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("warning[W0601]").count(), 2, "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn check_invalid_model_exits_one_with_diagnostics_on_stderr() {
    let path = temp_model(
        "bad.gal",
        "model bad\nstate V = -65 mV\ndV/dt = (V + 55) / 10 ms\n",
    );
    let out = galvani(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "results only on success");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[E0302]"), "{stderr}");
    assert!(stderr.contains("bad.gal:3:"), "file:line:col in {stderr}");
    assert!(
        !stderr.contains("\u{1b}["),
        "no colour when NO_COLOR is set or not a terminal"
    );
}

#[test]
fn warnings_carry_their_codes_and_do_not_change_the_exit_status() {
    let path = temp_model(
        "unused.gal",
        "model unused\nfn f(x) = x * 2\nstate V = 0\ndV/dt = -V\n",
    );
    let out = galvani(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning[W0201]: function `f` is never used"),
        "{stderr}"
    );
    let out = galvani(&["explain", "models/hh.gal", "--stage", "linear"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("warning[W0601]"));
}

#[test]
fn one_bad_file_among_good_ones_still_reports_the_good_ones() {
    let path = temp_model("bad2.gal", "model bad2\nparam x = y\n");
    let out = galvani(&["check", "models/lif.gal", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("models/lif.gal: ok"));
    assert!(text(&out.stderr).contains("1 of 2 files failed"));
}

#[test]
fn missing_file_exits_one() {
    let out = galvani(&["check", "no/such/file.gal"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read `no/such/file.gal`"));
}

#[test]
fn bad_arguments_exit_one_without_panic() {
    for args in [
        &["frobnicate"][..],
        &["check"][..],
        &["explain"][..],
        &["explain", "models/hh.gal", "--stage", "nonsense"][..],
        &["--no-such-flag"][..],
    ] {
        let out = galvani(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"), "{args:?}");
    }
}

#[test]
fn help_and_version_exit_zero() {
    let out = galvani(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Examples:"));
    let out = galvani(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("galvani "));
}

#[test]
fn explain_stages_are_deterministic() {
    for stage in ["ast", "ir", "linear", "step", "clif"] {
        let a = galvani(&["explain", "models/hh.gal", "--stage", stage]);
        let b = galvani(&["explain", "models/hh.gal", "--stage", stage]);
        assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
        assert!(!a.stdout.is_empty());
        assert_eq!(
            a.stdout, b.stdout,
            "stage {stage} output differs between runs"
        );
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("galvani-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn explain_json_is_the_machine_readable_form() {
    let out = galvani(&["explain", "models/hh.gal", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(value["model"], "hh");
    assert_eq!(value["method"], "expeuler2");
    let states = value["states"].as_array().unwrap();
    assert_eq!(states.len(), 4);
    let m = states.iter().find(|s| s["name"] == "m").unwrap();
    assert_eq!(m["class"], "linear");
    assert!(m["reason"].is_null());
    assert!(m["steady_state"].is_string() && m["tau"].is_string());
    let rewrites = value["rewrites"].as_array().unwrap();
    let repaired = rewrites.iter().filter(|r| r["kind"] == "exprel").count();
    assert_eq!(
        repaired, 2,
        "alpha_m and alpha_n are repaired: {rewrites:?}"
    );
    assert!(
        rewrites.iter().any(|r| r["kind"] == "cse"),
        "the CSE count is reported"
    );
    for format in ["text", "markdown", "latex"] {
        let out = galvani(&["explain", "models/izhikevich.gal", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(!out.stdout.is_empty());
    }
}

#[test]
fn run_writes_spikes_trace_and_sidecars() {
    let dir = temp_dir("run");
    let spikes = dir.join("s.csv");
    let trace = dir.join("v.csv");
    let out = galvani(&[
        "run",
        "models/hh.gal",
        "--input",
        "I_e=step(10ms,60ms,10uA/cm^2)",
        "--spikes",
        spikes.to_str().unwrap(),
        "--out",
        trace.to_str().unwrap(),
        "--record",
        "V,m,I_Na",
        "--every",
        "1ms",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("spikes: 4"), "{stdout}");
    assert!(
        stdout.contains("compile") && stdout.contains("simulate"),
        "{stdout}"
    );
    let spikes_csv = std::fs::read_to_string(&spikes).unwrap();
    let mut lines = spikes_csv.lines();
    assert_eq!(lines.next(), Some("neuron,t [ms]"));
    assert_eq!(lines.count(), 4);
    let trace_csv = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(
        trace_csv.lines().next(),
        Some("t [ms],V [mV],m,I_Na [uA/cm^2]")
    );
    assert_eq!(trace_csv.lines().count(), 1 + 101, "t = 0, 1, …, 100 ms");
    for file in [&spikes, &trace] {
        let sidecar = format!("{}.json", file.display());
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&sidecar).unwrap()).unwrap();
        assert_eq!(value["method"], "expeuler2");
        assert_eq!(value["kernel"], "blocked");
        assert_eq!(value["dt_ms"], 0.025);
        assert_eq!(value["model_sha256"].as_str().unwrap().len(), 64);
        assert_eq!(value["inputs"][0], "I_e=step(10ms,60ms,10uA/cm^2)");
    }
}

#[test]
fn same_seed_same_bytes() {
    let dir = temp_dir("seed");
    let run = |seed: &str, name: &str| {
        let path = dir.join(name);
        let out = galvani(&[
            "run",
            "models/lif.gal",
            "--n",
            "3",
            "--input",
            "I_e=ou(2nA, 0.5nA, 5ms)",
            "--seed",
            seed,
            "--out",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        std::fs::read(&path).unwrap()
    };
    let a = run("7", "a.csv");
    let b = run("7", "b.csv");
    let c = run("8", "c.csv");
    assert_eq!(a, b, "same model, same seed, same bytes");
    assert_ne!(a, c, "another seed gives another noise");
    let header = String::from_utf8_lossy(&a)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(header, "t [ms],V[0] [mV],V[1] [mV],V[2] [mV]");
}

#[test]
fn numerical_blow_up_exits_two_naming_variable_neuron_and_time() {
    let out = galvani(&["run", "models/hh.gal", "--method", "euler", "--dt", "0.5ms"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("became NaN or infinite"), "{stderr}");
    assert!(stderr.contains("of neuron 0"), "{stderr}");
    assert!(
        stderr.contains("models/hh.gal:"),
        "points at the equation: {stderr}"
    );
    assert!(stderr.contains("smaller --dt"), "{stderr}");
}

#[test]
fn a_blow_up_time_prints_without_float_noise() {
    // Euler squares V each step: it overflows at the 6th step, t = 6 · 0.1 ms, which is
    // 0.6000000000000001 in binary; people read 0.6.
    let model = temp_model("blow.gal", "model blow\nstate V = 1\ndV/dt = V*V*1e10\n");
    let out = galvani(&[
        "run",
        model.to_str().unwrap(),
        "--method",
        "euler",
        "--dt",
        "0.1",
        "--t",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("infinite at t = 0.6 ms"), "{stderr}");
}

#[test]
fn bad_run_arguments_exit_one_with_a_hint() {
    for (args, expected) in [
        (
            &["run", "models/hh.gal", "--dt", "10mV"][..],
            "must be time",
        ),
        (
            &["run", "models/hh.gal", "--dt", "0"][..],
            "must be positive",
        ),
        (
            &["run", "models/hh.gal", "--input", "I_x=3"][..],
            "did you mean `I_e`?",
        ),
        (
            &["run", "models/hh.gal", "--input", "I_e=step(1,2)"][..],
            "takes 3 values",
        ),
        (
            &["run", "models/hh.gal", "--input", "I_e=3 mV"][..],
            "must be current density",
        ),
        (
            &["run", "models/hh.gal", "--set", "g_na=1"][..],
            "did you mean `g_Na`?",
        ),
        (
            &["run", "models/hh.gal", "--set", "g_Na"][..],
            "expected NAME=VALUE",
        ),
        (
            &["run", "models/hh.gal", "--method", "rk5"][..],
            "[possible values: euler, rk4, expeuler, expeuler2, exact]",
        ),
        (
            &["explain", "models/hh.gal", "--method", "rk5"][..],
            "[possible values: euler, rk4, expeuler, expeuler2, exact]",
        ),
        (
            &["bench", "models/hh.gal", "--method", "rk5"][..],
            "[possible values: euler, rk4, expeuler, expeuler2, exact]",
        ),
        (
            &["run", "models/hh.gal", "--record", "Q"][..],
            "no state, intermediate or input `Q`",
        ),
        (
            &["run", "models/hh.gal", "--n", "0"][..],
            "at least one neuron",
        ),
        (
            &["run", "models/hh.gal", "--summary", "xml"][..],
            "[possible values: json]",
        ),
        (&["run", "models/hh.gal", "--t", "1e400"][..], "too large"),
        (
            &["fi", "models/lif.gal", "--input", "I_e", "--range", "5"][..],
            "A..B",
        ),
    ] {
        let out = galvani(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected `{expected}` in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}");
    }
}

#[test]
fn init_rest_starts_at_the_fixed_point() {
    let dir = temp_dir("rest");
    let trace = dir.join("rest.csv");
    let out = galvani(&[
        "run",
        "models/hh.gal",
        "--init",
        "rest",
        "--t",
        "50",
        "--every",
        "10",
        "--out",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let values: Vec<f64> = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    for v in &values {
        assert!(
            (v - values[0]).abs() < 1e-9,
            "the rest state is stationary: {values:?}"
        );
    }
    assert!(
        (values[0] + 65.0).abs() < 0.01,
        "HH rests near -65 mV: {}",
        values[0]
    );
}

#[test]
fn fi_gives_one_rate_per_current() {
    let out = galvani(&[
        "fi",
        "models/lif.gal",
        "--input",
        "I_e",
        "--range",
        "0..5nA",
        "--points",
        "11",
        "--t",
        "500ms",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("I_e [nA],rate [Hz],first-ISI rate [Hz],mean rate [Hz]")
    );
    let rows: Vec<(f64, f64)> = lines
        .map(|l| {
            let cells: Vec<f64> = l.split(',').map(|c| c.parse().unwrap()).collect();
            assert_eq!(cells.len(), 4, "{l}");
            (cells[0], cells[1])
        })
        .collect();
    assert_eq!(rows.len(), 11);
    assert_eq!(rows[0], (0.0, 0.0), "no drive, no spikes");
    assert!(
        rows.windows(2).all(|w| w[1].1 >= w[0].1),
        "the rate grows with the current: {rows:?}"
    );
    // Above rheobase (1.5 nA) with t_ref = 2 ms: 1/(t_ref + τ ln(RI/(RI − 15 mV))) at 5 nA.
    let expected = 1000.0 / (2.0 + 10.0 * (50.0_f64 / 35.0).ln());
    assert!(
        (rows[10].1 - expected).abs() < 0.5,
        "{} Hz vs {expected} Hz",
        rows[10].1
    );
}

/// Hodgkin–Huxley is type II: just below its repetitive-firing threshold it fires a few
/// spikes and falls silent. Over 1 s that is no steady rate (0 Hz, said on stderr), though
/// the first ISI and the mean rate show the spikes; above threshold all three agree.
#[test]
fn fi_reports_transient_firing_as_no_steady_rate() {
    let out = galvani(&[
        "fi",
        "models/hh.gal",
        "--input",
        "I_e",
        "--range",
        "6..6.4uA/cm^2",
        "--points",
        "2",
        "--t",
        "1000ms",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: Vec<Vec<f64>> = text(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    let (transient, steady) = (&rows[0], &rows[1]);
    assert_eq!(transient[1], 0.0, "6 µA/cm²: no steady rate: {transient:?}");
    assert!(transient[2] > 40.0 && transient[3] > 0.0, "{transient:?}");
    assert!(steady[1] > 40.0, "6.4 µA/cm² fires on: {steady:?}");
    assert!(
        (steady[1] - steady[3]).abs() < 0.05 * steady[1],
        "{steady:?}"
    );
    assert!(text(&out.stderr).contains("fired only transiently"));
}

#[test]
fn run_alone_prints_a_summary() {
    let out = galvani(&["run", "models/hh.gal"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("model hh — expeuler2, dt = 0.025 ms, T = 100 ms, N = 1"),
        "{stdout}"
    );
}

#[test]
fn file_protocols_and_per_neuron_files_read_paths_verbatim() {
    let dir = temp_dir("files");
    // The same drive as step(10ms, 60ms, 10uA/cm^2), as samples held between rows.
    let stimulus = dir.join("drive.v1.csv");
    std::fs::write(&stimulus, "t,I_e\n0,0\n10,10\n60,0\n").unwrap();
    let from_file = galvani(&[
        "run",
        "models/hh.gal",
        "--input",
        &format!("I_e=file({})", stimulus.display()),
        "--summary",
        "json",
    ]);
    assert_eq!(
        from_file.status.code(),
        Some(0),
        "{}",
        text(&from_file.stderr)
    );
    let from_step = galvani(&[
        "run",
        "models/hh.gal",
        "--input",
        "I_e=step(10ms,60ms,10uA/cm^2)",
        "--summary",
        "json",
    ]);
    let spikes = |out: &Output| -> serde_json::Value {
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        value["spikes"].clone()
    };
    assert_eq!(spikes(&from_file), spikes(&from_step));
    assert_eq!(spikes(&from_file), 4);

    // One g_Na per neuron from a file: with no sodium the third neuron cannot fire.
    let values = dir.join("g-Na.per-neuron.csv");
    std::fs::write(&values, "g_Na\n120\n120\n0\n").unwrap();
    let spikes_path = dir.join("s.csv");
    let out = galvani(&[
        "run",
        "models/hh.gal",
        "--n",
        "3",
        "--set",
        &format!("g_Na=file({})", values.display()),
        "--input",
        "I_e=10uA/cm^2",
        "--spikes",
        spikes_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(&spikes_path).unwrap();
    let neurons: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(neurons.contains(&"0") && neurons.contains(&"1"), "{csv}");
    assert!(!neurons.contains(&"2"), "neuron 2 has g_Na = 0: {csv}");

    let missing = galvani(&["run", "models/hh.gal", "--input", "I_e=file(no.such.csv)"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no.such.csv"));
}

#[test]
fn bench_reports_each_measurement_beside_its_reference() {
    let out = galvani(&[
        "bench",
        "models/lif.gal",
        "--n",
        "10",
        "--steps",
        "10",
        "--repeat",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "edit → first result",
        "check",
        "parse+check",
        "JIT",
        "JIT (reference kernel)",
        "interpreter",
        "ns/neuron-step",
        "blocked  reference",
        "euler",
        "rk4",
        "expeuler ",
        "expeuler2",
    ] {
        assert!(stdout.contains(expected), "no `{expected}` in:\n{stdout}");
    }
    // On more than one core: one thread beside every core, on 100,000 neurons.
    if std::thread::available_parallelism().map_or(1, |k| k.get()) > 1 {
        assert!(
            stdout.contains("N = 100000") && stdout.contains("× one thread"),
            "no threads line in:\n{stdout}"
        );
    }
    let bad = galvani(&["bench", "models/lif.gal", "--repeat", "0"]);
    assert_eq!(bad.status.code(), Some(1));
}

/// The README's example diagnostic is what the program really prints for
/// `docs/examples/bad.gal`, byte for byte.
#[test]
fn readme_example_diagnostic_is_real() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let command = "$ cd docs/examples && galvani check bad.gal\n";
    let start = readme.find(command).expect("the README shows the example") + command.len();
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    let out = Command::new(env!("CARGO_BIN_EXE_galvani"))
        .args(["check", "bad.gal"])
        .current_dir(workspace_root().join("docs/examples"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // codespan ends a diagnostic with a blank line, which the README leaves out.
    assert_eq!(text(&out.stderr).trim_end(), shown.trim_end());
}

/// An input can be recorded like a state: its column holds the stimulus each step saw, and
/// the plot draws it as a strip below the traces. A population plot says which traces it
/// overlays.
#[test]
fn recording_an_input_shows_the_stimulus() {
    let dir = temp_model("unused.gal", "")
        .parent()
        .unwrap()
        .join("stimulus");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("trace.csv");
    let svg = dir.join("pop.svg");
    let out = galvani(&[
        "run",
        "models/hh.gal",
        "--t",
        "80",
        "--input",
        "I_e=step(10ms,60ms,10uA/cm^2)",
        "--record",
        "V,I_e",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trace = std::fs::read_to_string(&csv).unwrap();
    let mut lines = trace.lines();
    assert_eq!(lines.next(), Some("t [ms],V [mV],I_e [uA/cm^2]"));
    for line in lines {
        let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        let (t, stimulus) = (fields[0], fields[2]);
        let expected = if (10.0..60.0).contains(&t) { 10.0 } else { 0.0 };
        assert_eq!(stimulus, expected, "at t = {t}");
    }
    let out = galvani(&[
        "run",
        "models/lif.gal",
        "--n",
        "8",
        "--input",
        "I_e=linspace(1nA,3nA)",
        "--record",
        "V,I_e",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.contains("traces of neurons 0–4 of 8"), "no note");
    assert!(picture.contains("I_e [nA]"), "no stimulus panel");
}

/// A LIF with a timer event: the kick at 80 ms runs (it moves V) but is not a spike, so
/// it is in no count, no spikes CSV and no rate (issue 10, item 2).
const LIF_WITH_KICK: &str = "model lif_kick\n\
    param tau_m = 10 ms\nparam E_L = -65 mV\nparam R_m = 10 Mohm\n\
    param V_th = -50 mV\nparam V_reset = -65 mV\n\
    input I_e = 0 nA\nstate V = E_L\n\
    dV/dt = (E_L - V + R_m * I_e) / tau_m\n\
    on V > V_th {\n    V = V_reset\n    refractory 2 ms\n}\n\
    on t > 80 ms {\n    V += 10 mV\n}\n";

#[test]
fn a_timer_event_runs_but_is_not_a_spike() {
    let model = temp_model("lif_kick.gal", LIF_WITH_KICK);
    let check = galvani(&["check", model.to_str().unwrap()]);
    assert!(
        text(&check.stdout).contains("2 events (1 silent)"),
        "{}",
        text(&check.stdout)
    );
    let dir = temp_dir("kick");
    let (spikes, trace) = (dir.join("s.csv"), dir.join("v.csv"));
    let out = galvani(&[
        "run",
        model.to_str().unwrap(),
        "--spikes",
        spikes.to_str().unwrap(),
        "--out",
        trace.to_str().unwrap(),
        "--every",
        "10ms",
        "--summary",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["spikes"], 0, "{summary}");
    assert_eq!(std::fs::read_to_string(&spikes).unwrap(), "neuron,t [ms]\n");
    // The kick did happen: V is 10 mV above rest at 90 ms, decaying with tau_m.
    let trace = std::fs::read_to_string(&trace).unwrap();
    let at_90: f64 = trace
        .lines()
        .find(|l| l.starts_with("90,"))
        .and_then(|l| l.split(',').nth(1))
        .unwrap()
        .parse()
        .unwrap();
    let expected = -65.0 + 10.0 * (-(90.0 - 80.025) / 10.0_f64).exp();
    assert!((at_90 - expected).abs() < 0.05, "{at_90} vs {expected}");

    // Below rheobase (1.5 nA) the neuron never fires: every rate is 0.
    let fi = galvani(&[
        "fi",
        model.to_str().unwrap(),
        "--input",
        "I_e",
        "--range",
        "0..1nA",
        "--points",
        "2",
        "--t",
        "200ms",
    ]);
    assert_eq!(fi.status.code(), Some(0), "{}", text(&fi.stderr));
    assert_eq!(
        text(&fi.stdout),
        "I_e [nA],rate [Hz],first-ISI rate [Hz],mean rate [Hz]\n0,0,0,0\n1,0,0,0\n"
    );
}

#[test]
fn two_spike_events_get_an_event_column_and_a_silent_marker_is_obeyed() {
    let two_kinds = LIF_WITH_KICK.replace(
        "on t > 80 ms {",
        "on V > -60 mV silent {}\non V > -55 mV {}\non t > 80 ms spike {",
    );
    let model = temp_model("lif_two_kinds.gal", &two_kinds);
    let spikes = temp_dir("two-kinds").join("s.csv");
    let out = galvani(&[
        "run",
        model.to_str().unwrap(),
        "--input",
        "I_e=2nA",
        "--t",
        "100ms",
        "--spikes",
        spikes.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(&spikes).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("neuron,t [ms],event"));
    let events: Vec<&str> = lines.map(|l| l.rsplit(',').next().unwrap()).collect();
    // Events numbered from 0 in file order: 0 the threshold, 1 the silent one (never
    // written), 2 the second threshold, 3 the timer marked `spike`.
    assert!(events.contains(&"0") && events.contains(&"2"), "{csv}");
    assert_eq!(events.iter().filter(|e| **e == "3").count(), 1, "{csv}");
    assert!(!events.contains(&"1"), "{csv}");
}

/// `--input NAME=file(…)` with one column is one constant per neuron; with two it is a
/// time series; anything else is an error that says which forms exist (issue 10).
#[test]
fn a_one_column_input_file_gives_one_constant_per_neuron() {
    let dir = temp_dir("per-neuron-input");
    let currents = dir.join("ie.csv");
    std::fs::write(&currents, "I_e\n0\n2\n5\n").unwrap();
    let run = |n: &str, file: &std::path::Path| {
        galvani(&[
            "run",
            "models/lif.gal",
            "--n",
            n,
            "--input",
            &format!("I_e=file({})", file.display()),
            "--summary",
            "json",
            "--per-neuron",
        ])
    };
    let from_file = run("3", &currents);
    assert_eq!(
        from_file.status.code(),
        Some(0),
        "{}",
        text(&from_file.stderr)
    );
    let from_linspace = galvani(&[
        "run",
        "models/lif.gal",
        "--n",
        "2",
        "--input",
        "I_e=linspace(2nA, 5nA)",
        "--summary",
        "json",
        "--per-neuron",
    ]);
    let per_neuron = |out: &Output| -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["spikes_per_neuron"]
            .clone()
    };
    let file_counts = per_neuron(&from_file);
    assert_eq!(file_counts[0], 0, "no drive, no spike");
    assert_eq!(file_counts[1], per_neuron(&from_linspace)[0]);
    assert_eq!(file_counts[2], per_neuron(&from_linspace)[1]);

    let wrong_count = run("2", &currents);
    assert_eq!(wrong_count.status.code(), Some(1));
    assert!(
        text(&wrong_count.stderr)
            .contains("one value per neuron, but 3 values for a population of 2 neurons"),
        "{}",
        text(&wrong_count.stderr)
    );
    let three_columns = dir.join("three.csv");
    std::fs::write(&three_columns, "0,1,2\n").unwrap();
    let out = run("1", &three_columns);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "has 3 columns; an input file has one (a value per neuron) or two (time in ms, value)"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_intermediate_is_recorded_in_its_display_unit() {
    // The same leak current, once reported in the internal unit (uA), once given `: nA`.
    let body = |unit: &str| {
        format!(
            "model leak\nparam g_L = 10 nS\nparam E_L = -65 mV\nparam C = 200 pF\n\
             state V = -55 mV\nI_L = g_L * (V - E_L){unit}\ndV/dt = -I_L / C\n"
        )
    };
    let dir = temp_dir("display_unit");
    let mut columns = Vec::new();
    for (name, unit) in [("plain", ""), ("in_na", " : nA")] {
        let model = temp_model(&format!("leak_{name}.gal"), &body(unit));
        let trace = dir.join(format!("{name}.csv"));
        let out = galvani(&[
            "run",
            model.to_str().unwrap(),
            "--t",
            "1ms",
            "--dt",
            "0.5ms",
            "--record",
            "I_L",
            "--out",
            trace.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        columns.push(std::fs::read_to_string(&trace).unwrap());
    }
    assert_eq!(columns[0].lines().next(), Some("t [ms],I_L [uA]"));
    assert_eq!(columns[1].lines().next(), Some("t [ms],I_L [nA]"));
    // 10 nS · 10 mV = 100 pA = 0.0001 uA = 0.1 nA at t = 0.
    let first = |csv: &str| -> f64 {
        let row = csv.lines().nth(1).unwrap();
        row.split(',').nth(1).unwrap().parse().unwrap()
    };
    assert!((first(&columns[0]) - 1e-4).abs() < 1e-15, "{}", columns[0]);
    assert!((first(&columns[1]) - 0.1).abs() < 1e-12, "{}", columns[1]);
}

#[test]
fn a_model_with_noise_runs_with_expeuler_by_default_and_refuses_rk4() {
    let model = "models/lif_noisy.gal";
    let out = galvani(&["run", model, "--t", "50ms", "--n", "3", "--summary", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("\"method\":\"expeuler\""), "{summary}");
    // Euler–Maruyama is the other method that integrates noise.
    let out = galvani(&["run", model, "--t", "5ms", "--method", "euler"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for method in ["rk4", "expeuler2", "exact"] {
        let out = galvani(&["run", model, "--t", "5ms", "--method", method]);
        assert_eq!(out.status.code(), Some(1), "{method}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "error[E0409]: the method `{method}` cannot integrate white noise"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("use `expeuler`"), "{stderr}");
    }
    // The teaching view of a noisy model defaults to expeuler as well.
    let out = galvani(&["explain", model]);
    assert!(text(&out.stdout).contains("method: expeuler —"));
}

/// `exact` runs a model that is linear with constant coefficients, a network of them too,
/// and refuses any other with the equation, what its coefficient reads and a hint.
#[test]
fn exact_runs_linear_models_and_refuses_the_others_with_the_reason() {
    let out = galvani(&[
        "run",
        "models/lif_curr_exp.gal",
        "--t",
        "50ms",
        "--method",
        "exact",
        "--summary",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"method\":\"exact\""));
    let out = galvani(&[
        "run",
        "networks/cuba.gal",
        "--t",
        "20ms",
        "--method",
        "exact",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = galvani(&["run", "models/hh.gal", "--method", "exact"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for expected in [
        "error[E0410]: the method `exact` needs linear equations with constant coefficients, and dV/dt is not one",
        "models/hh.gal:41:1",
        "its coefficient of V reads the state m, so it is not constant",
        "help: use `expeuler2`",
    ] {
        assert!(stderr.contains(expected), "`{expected}` in {stderr}");
    }
    // The teaching view does not describe a method the model cannot take.
    let out = galvani(&["explain", "models/hh.gal", "--method", "exact"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[E0410]"));
    let out = galvani(&[
        "run",
        "networks/coba.gal",
        "--t",
        "20ms",
        "--method",
        "exact",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[E0410]"), "{stderr}");
    assert!(stderr.contains("lif_cond_exp.gal"), "{stderr}");
}
