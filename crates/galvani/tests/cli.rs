//! The `galvani` binary as a user meets it: exit statuses, which stream gets what, and no
//! panic on bad arguments (spec/cli.md, "Exit status and messages").

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
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
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
    for stage in ["ast", "ir"] {
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
