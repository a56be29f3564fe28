//! Inputs that would exhaust the machine get an answer, never a hang, an abort or a panic:
//! an endless model file, a population that cannot fit in memory, a sweep or a benchmark
//! asking for more than any machine could do (exit status 1, with what was asked).

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
