//! `galvani stats` as a user runs it on the spikes a run wrote: the numbers agree with the
//! run (counts, and the rate of a regular train by its definition), the sidecar supplies N
//! and T, and bad files and windows are refused with a message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn galvani(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_galvani"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the galvani binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("galvani-stats-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Four LIF neurons under constant currents fire regularly: the statistics count every
/// spike of the file, the rate is spikes/(N·T) with N and T from the sidecar, and each
/// train's intervals are equal (CV 0 to rounding).
#[test]
fn statistics_of_a_regular_run() {
    let dir = scratch("regular");
    let run = galvani(
        &dir,
        &[
            "run",
            &model("lif.gal"),
            "--n",
            "4",
            "--input",
            "I_e=linspace(2nA,3nA)",
            "--t",
            "1s",
            "--spikes",
            "s.csv",
        ],
    );
    assert!(run.status.success(), "{run:?}");
    let rows = std::fs::read_to_string(dir.join("s.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let out = galvani(&dir, &["stats", "s.csv", "--summary", "json"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "N and T come from the sidecar: {out:?}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let population = &json["populations"][0];
    assert_eq!(population["name"], "lif");
    assert_eq!(population["neurons"], 4);
    assert_eq!(json["to_ms"], 1000.0);
    let spikes = population["spikes"].as_u64().unwrap();
    assert_eq!(spikes as usize, rows);
    let rate = population["mean_rate_hz"].as_f64().unwrap();
    assert!((rate - spikes as f64 / 4.0).abs() < 1e-9, "rate {rate}");
    assert!(population["cv_isi"].as_f64().unwrap() < 1e-6);
    assert_eq!(population["cv_neurons"], 4);

    // The text form, a window after the first spikes, and a plot.
    let out = galvani(
        &dir,
        &[
            "stats",
            "s.csv",
            "--from",
            "500ms",
            "--bin",
            "20ms",
            "--plot",
            "stats.png",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("s.csv: window 500–1000 ms, bins of 20 ms\n"),
        "{text}"
    );
    assert!(text.contains("lif: 4 neurons"), "{text}");
    let png = std::fs::read(dir.join("stats.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn bad_files_and_windows_are_refused() {
    let dir = scratch("refused");
    std::fs::write(dir.join("s.csv"), "neuron,t [ms]\n0,5\n2,7.5\n").unwrap();
    let refused = |args: &[&str], message: &str| {
        let out = galvani(&dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    };
    refused(
        &["stats", "s.csv", "--n", "2"],
        "neuron 2 spiked, but the population has 2 neurons",
    );
    refused(&["stats", "s.csv", "--from", "10ms"], "the window is empty");
    refused(
        &["stats", "s.csv", "--bin", "0ms"],
        "the bin width must be positive",
    );
    refused(&["stats", &model("lif.gal")], "is not a spikes CSV header");
    refused(&["stats", "missing.csv"], "cannot read `missing.csv`");
    // The plot must not overwrite the spikes it reads, even through a hard link.
    std::fs::hard_link(dir.join("s.csv"), dir.join("link.png")).unwrap();
    refused(
        &["stats", "s.csv", "--plot", "link.png"],
        "refusing to write",
    );
    // Without a sidecar, N and T are inferred, and stderr says so.
    let out = galvani(&dir, &["stats", "s.csv"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3 neurons inferred from the highest index"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the window ends with the last spike, at 7.5 ms"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("3 neurons, 2 spikes"), "{stdout}");
}
