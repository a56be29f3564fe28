//! Arguments that would silently run something else than asked, or exhaust the machine,
//! get a diagnostic and exit status 1 — never a hang, an abort or a panic: a time step
//! longer than the simulated time (no step would run), a param or an initial value given
//! twice (as an input given twice already was), a negative refractory period, an endless
//! model file or values file, a population that cannot fit in memory, a benchmark without
//! end, protocols that never act or merge into a constant, a time constant set to 0 or
//! below, a recording interval that is not a whole number of steps (issue 10).

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

fn refused_with(args: &[&str], message: &str) {
    let output = galvani(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.contains(message), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[test]
fn a_step_longer_than_the_run_is_refused() {
    refused_with(
        &["run", "models/lif.gal", "--t", "100", "--dt", "1e30"],
        "no step would run",
    );
    // T = 0 asks for the initial state only, and gets it.
    let output = galvani(&["run", "models/lif.gal", "--t", "0", "--summary", "json"]);
    assert!(output.status.success());
}

#[test]
fn a_value_given_twice_is_refused() {
    refused_with(
        &[
            "run",
            "models/lif.gal",
            "--set",
            "tau_m=5",
            "--set",
            "tau_m=20",
        ],
        "--set `tau_m` is given more than once",
    );
    refused_with(
        &[
            "run",
            "models/lif.gal",
            "--init",
            "V=-60",
            "--init",
            "V=-70",
        ],
        "--init `V` is given more than once",
    );
}

#[test]
fn a_negative_refractory_period_is_an_error_not_no_refractoriness() {
    refused_with(
        &[
            "run",
            "models/lif.gal",
            "--input",
            "I_e=2nA",
            "--set",
            "t_ref=-5",
            "--t",
            "100",
        ],
        "it must be ≥ 0",
    );
}

#[cfg(unix)]
#[test]
fn an_endless_model_file_is_refused() {
    refused_with(&["check", "/dev/zero"], "a model file is at most 64 MB");
}

#[test]
fn a_population_larger_than_memory_is_refused_before_allocating() {
    let message = "the run does not fit in memory";
    refused_with(&["run", "models/hh.gal", "--n", "100000000000"], message);
    refused_with(
        &[
            "run",
            "models/hh.gal",
            "--n",
            "100000000000",
            "--set",
            "g_Na=linspace(100, 140)",
        ],
        message,
    );
    refused_with(
        &[
            "fi",
            "models/hh.gal",
            "--input",
            "I_e",
            "--range",
            "0..10",
            "--points",
            "18446744073709551615",
        ],
        message,
    );
}

#[test]
fn an_endless_values_file_is_refused() {
    // `file(/dev/zero)` is one endless line: read line by line with a cap, never whole.
    refused_with(
        &[
            "run",
            "models/lif.gal",
            "--t",
            "1",
            "--input",
            "I_e=file(/dev/zero)",
        ],
        "`/dev/zero` line 1 is longer than 4096 bytes",
    );
    refused_with(
        &[
            "run",
            "models/lif.gal",
            "--t",
            "1",
            "--set",
            "R_m=file(/dev/zero)",
        ],
        "`/dev/zero` line 1 is longer than 4096 bytes",
    );
}

#[test]
fn a_benchmark_without_end_is_refused() {
    refused_with(
        &[
            "bench",
            "models/lif.gal",
            "--repeat",
            "18446744073709551615",
        ],
        "more than 1000 repetitions",
    );
}

#[test]
fn options_listed_in_help_work_or_are_refused() {
    // `fi --summary json` prints the curve as one JSON object.
    let output = galvani(&[
        "fi",
        "models/lif.gal",
        "--input",
        "I_e",
        "--range",
        "0..3nA",
        "--points",
        "2",
        "--t",
        "100",
        "--summary",
        "json",
    ]);
    assert!(output.status.success());
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["points"].as_array().map(Vec::len), Some(2));
    assert_eq!(value["points"][0]["rate_hz"], 0.0);
    assert!(value["points"][1]["rate_hz"].as_f64().unwrap() > 100.0);
    refused_with(
        &[
            "fi",
            "models/lif.gal",
            "--input",
            "I_e",
            "--range",
            "0..3nA",
            "--summary",
            "xml",
        ],
        "possible values: json",
    );
    // A stage has one text form: `--format` with `--stage` is refused, not ignored.
    refused_with(
        &[
            "explain",
            "models/lif.gal",
            "--stage",
            "clif",
            "--format",
            "json",
        ],
        "cannot be used with",
    );
}

/// A misspelt subcommand gets the suggestion galvani gives for names everywhere (edit
/// distance), not clap's similarity, which offered `fi` for `frobnicate`.
#[test]
fn an_unknown_subcommand_suggests_only_a_close_name() {
    let output = galvani(&["frobnicate"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{stderr}"
    );
    assert!(!stderr.contains("tip"), "{stderr}");
    for (written, meant) in [("rn", "run"), ("chek", "check"), ("exlpain", "explain")] {
        refused_with(
            &[written],
            &format!("a similar subcommand exists: '{meant}'"),
        );
    }
}

/// `--summary` takes a format name (only `json`), listed by `--help` and checked by clap.
#[test]
fn summary_takes_a_format_name() {
    let help = galvani(&["run", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--summary <FORMAT>"));
}

/// A population's summary is one short line; each neuron's count comes with --per-neuron.
#[test]
fn per_neuron_counts_only_when_asked() {
    let base = [
        "run",
        "models/lif.gal",
        "--n",
        "3",
        "--t",
        "50",
        "--input",
        "I_e=linspace(1nA,3nA)",
        "--summary",
        "json",
    ];
    let summary = |extra: &[&str]| -> serde_json::Value {
        let output = galvani(&[&base[..], extra].concat());
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let short = summary(&[]);
    assert!(short.get("spikes_per_neuron").is_none(), "{short}");
    let long = summary(&["--per-neuron"]);
    let counts = long["spikes_per_neuron"].as_array().unwrap();
    assert_eq!(counts.len(), 3);
    let total: u64 = counts.iter().map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(total, long["spikes"].as_u64().unwrap());
    assert!(total > 0, "the drive makes the neurons fire");
}

/// `t` is time, always the trace's first column: no "did you mean `V`".
#[test]
fn recording_time_says_it_is_always_there() {
    let output = galvani(&["run", "models/hh.gal", "--record", "t", "--t", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("time is always the first column"),
        "{stderr}"
    );
    assert!(!stderr.contains("did you mean"), "{stderr}");
}

#[test]
fn protocols_that_never_act_or_merge_are_refused() {
    let input = |protocol: &str| ["run", "models/lif.gal", "--input", protocol].map(String::from);
    for (protocol, message) in [
        (
            "I_e=step(60ms, 10ms, 2nA)",
            "step: the end 10 ms is before the start 60 ms",
        ),
        ("I_e=step(60ms, 10ms, 2nA)", "`step(10ms, 60ms, …)`"),
        ("I_e=step(10ms, 10ms, 2nA)", "never acts"),
        (
            "I_e=ramp(60ms, 10ms, 0nA, 2nA)",
            "ramp: the end 10 ms is before the start 60 ms",
        ),
        (
            "I_e=pulses(0ms, 10ms, 10ms, 2nA)",
            "the pulses merge into a constant",
        ),
        (
            "I_e=pulses(0ms, 20ms, 10ms, 2nA)",
            "the pulse width 20 ms is not shorter than the period 10 ms",
        ),
        ("I_e=pulses(0ms, 1ms, 0ms, 2nA)", "the period is 0 ms"),
        ("I_e=pulses(0ms, 1ms, -5ms, 2nA)", "the period is -5 ms"),
        ("I_e=pulses(0ms, 0ms, 5ms, 2nA)", "the pulse width is 0 ms"),
        (
            "I_e=ou(2nA, 0.5nA, 0ms)",
            "the correlation time tau is 0 ms",
        ),
        ("I_e=ou(2nA, 0.5nA, -1ms)", "must be > 0"),
        ("I_e=ou(2nA, -0.5nA, 1ms)", "sigma must be ≥ 0"),
    ] {
        let args = input(protocol);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused_with(&args, message);
    }
    // A well-formed train still runs.
    let output = galvani(&[
        "run",
        "models/lif.gal",
        "--input",
        "I_e=pulses(0ms, 5ms, 10ms, 2nA)",
    ]);
    assert!(output.status.success());
}

#[test]
fn a_time_constant_set_to_zero_or_below_is_refused() {
    refused_with(
        &["run", "models/lif.gal", "--set", "tau_m=-5ms"],
        "`tau_m` is a time that divides in the model (a time constant or a period), but it is set to -5 ms",
    );
    refused_with(
        &["run", "models/lif.gal", "--set", "tau_m=0"],
        "it must be > 0",
    );
    // Per neuron: the first neuron with a bad value is named.
    refused_with(
        &[
            "run",
            "models/lif.gal",
            "--n",
            "3",
            "--set",
            "tau_m=linspace(10ms, 0ms)",
        ],
        "set to 0 ms for neuron 2",
    );
    // A time that divides nothing may be anything: t_ref = 0 is no refractoriness.
    let output = galvani(&["run", "models/lif.gal", "--set", "t_ref=0ms"]);
    assert!(output.status.success());
}

#[test]
fn a_recording_interval_between_steps_is_refused_with_the_nearest_valid_ones() {
    refused_with(
        &["run", "models/hh.gal", "--every", "0.06ms"],
        "the recording interval 0.06 ms is not a whole number of steps of 0.025 ms",
    );
    refused_with(
        &["run", "models/hh.gal", "--every", "0.06ms"],
        "use --every 0.05ms or --every 0.075ms",
    );
    refused_with(
        &["run", "models/hh.gal", "--every", "0.01ms"],
        "use --every 0.025ms",
    );
    // A whole multiple, even one with float noise in the quotient (0.3/0.1), is fine.
    for (every, dt) in [("1ms", "0.025ms"), ("0.3ms", "0.1ms")] {
        let output = galvani(&["run", "models/hh.gal", "--every", every, "--dt", dt]);
        assert!(output.status.success(), "--every {every} --dt {dt}");
    }
}

#[test]
fn a_negative_range_is_a_value_not_an_option() {
    let output = galvani(&[
        "fi",
        "models/lif.gal",
        "--input",
        "I_e",
        "--range",
        "-5..5nA",
        "--points",
        "3",
        "--t",
        "100ms",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let inputs: Vec<&str> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(inputs, ["-5", "0", "5"]);
}
