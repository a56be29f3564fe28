//! Arguments that would silently run something else than asked, or exhaust the machine,
//! get a diagnostic and exit status 1 — never a hang, an abort or a panic: a time step
//! longer than the simulated time (no step would run), a param or an initial value given
//! twice (as an input given twice already was), a negative refractory period, an endless
//! model file or values file, a population that cannot fit in memory, a benchmark without
//! end.

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
        "the only summary format is `json`",
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
