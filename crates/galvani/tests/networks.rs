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

/// `run` takes model files for now: a network file given to it says what it is and which
/// command takes it, with exit status 1.
#[test]
fn run_says_a_network_is_not_a_model() {
    let out = galvani(&["run", "networks/brunel.gal"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("this is a network file"), "{stderr}");
    assert!(
        stderr.contains("`galvani check` and `galvani explain` take network files"),
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
