//! What the `galvani` binary prints, snapshotted as a user sees it: the command line, the
//! exit status, stdout and stderr, without colour. Only the wall-clock timings of `run` are
//! masked (`mask_timings`); everything else — paths, numbers, wording — is the product.
//! Each case runs the real binary once from the workspace root with relative paths, so no
//! absolute path can reach a snapshot; the cases are few (a couple of dozen processes,
//! seconds in all), and the model list of `check` comes from the `models/` directory.

use regex_automata::meta::Regex;
use std::path::PathBuf;
use std::process::Command;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `galvani ARGS` from the workspace root and writes down what it did:
/// `$ galvani ARGS`, the exit status, then stdout and stderr (each only when not empty).
fn transcript(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_galvani"))
        .args(args)
        .current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the galvani binary runs");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    assert!(
        !stderr.contains("panicked"),
        "galvani {args:?} panicked:\n{stderr}"
    );
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "galvani {args:?} wrote colour codes with NO_COLOR set"
    );
    let shown_args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.contains([' ', '(', '\'', '^', '*']) {
                format!("'{a}'")
            } else {
                a.to_string()
            }
        })
        .collect();
    let mut text = format!(
        "$ galvani {}\nexit status: {}\n",
        shown_args.join(" "),
        output
            .status
            .code()
            .map_or("killed by a signal".to_string(), |c| c.to_string())
    );
    for (stream, content) in [("stdout", stdout), ("stderr", stderr)] {
        if !content.is_empty() {
            text.push_str(&format!("--- {stream}\n{content}"));
            if !content.ends_with('\n') {
                text.push_str("\n--- (no newline at the end)\n");
            }
        }
    }
    text
}

/// Replaces every match of `pattern` by `replacement(matched text)`.
fn replace_all(text: &str, pattern: &str, mut replacement: impl FnMut(&str) -> String) -> String {
    let regex = Regex::new(pattern).expect("a valid pattern");
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for found in regex.find_iter(text) {
        out.push_str(&text[last..found.start()]);
        out.push_str(&replacement(&text[found.range()]));
        last = found.end();
    }
    out.push_str(&text[last..]);
    out
}

/// The wall-clock times of `run`, and nothing else, become `<ms>`: in the text summary
/// `compile 82.3 ms` and `simulate 7.4 ms`, in the JSON summary `"compile_ms":93.06` and
/// `"simulate_ms":12.78`. Each run prints exactly two of them, which is asserted, so a
/// renamed field fails here instead of leaking a timing into a snapshot.
fn mask_timings(text: &str) -> String {
    const NUMBER: &str = r"[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?";
    let mut masked = 0;
    let text = replace_all(
        text,
        &format!(r"\b(?:compile|simulate) {NUMBER} ms\b"),
        |found| {
            masked += 1;
            let word = found.split(' ').next().unwrap_or_default();
            format!("{word} <ms> ms")
        },
    );
    let text = replace_all(
        &text,
        &format!(r#""(?:compile|simulate)_ms":{NUMBER}"#),
        |found| {
            masked += 1;
            let key = found.split(':').next().unwrap_or_default();
            format!(r#"{key}:"<ms>""#)
        },
    );
    assert_eq!(masked, 2, "expected two timings to mask in:\n{text}");
    text
}

/// `galvani check models/*.gal`: one summary line per model, in path order.
#[test]
fn check_every_model() {
    let mut models: Vec<String> = std::fs::read_dir(workspace_root().join("models"))
        .expect("models/ is readable")
        .map(|entry| entry.expect("directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".gal"))
        .map(|name| format!("models/{name}"))
        .collect();
    models.sort();
    let mut args = vec!["check"];
    args.extend(models.iter().map(String::as_str));
    insta::assert_snapshot!("check_models", transcript(&args));
}

/// Rendered errors as the terminal shows them (without colour): a dimension mismatch with
/// its secondary label, an unknown name with its suggestion, several syntax errors in one
/// file, and the closing count of failed files.
#[test]
fn check_failing_files() {
    insta::assert_snapshot!(
        "check_diagnostics",
        transcript(&[
            "check",
            "tests/diagnostics/dim_add_mismatch.gal",
            "tests/diagnostics/unknown_name.gal",
            "tests/diagnostics/several_syntax_errors.gal",
        ])
    );
}

#[test]
fn run_summary_text() {
    insta::assert_snapshot!(
        "run_summary_text",
        mask_timings(&transcript(&[
            "run",
            "models/hh.gal",
            "--input",
            "I_e=step(10ms,60ms,10uA/cm^2)",
        ]))
    );
    insta::assert_snapshot!(
        "run_summary_text_population",
        mask_timings(&transcript(&[
            "run",
            "models/lif.gal",
            "--n",
            "3",
            "--input",
            "I_e=linspace(1.6nA, 5nA)",
            "--t",
            "200ms",
        ]))
    );
}

#[test]
fn run_summary_json() {
    insta::assert_snapshot!(
        "run_summary_json",
        mask_timings(&transcript(&[
            "run",
            "models/hh.gal",
            "--input",
            "I_e=step(10ms,60ms,10uA/cm^2)",
            "--summary",
            "json",
        ]))
    );
}

/// The f–I curve goes to stdout as CSV when there is no `--out`.
#[test]
fn fi_csv_on_stdout() {
    insta::assert_snapshot!(
        "fi_csv",
        transcript(&[
            "fi",
            "models/lif.gal",
            "--input",
            "I_e",
            "--range",
            "0..5nA",
            "--points",
            "6",
            "--t",
            "200ms",
        ])
    );
}

/// One stage text through the command line (every stage of every model is snapshotted
/// through the library in `tests/tests/models.rs`; this pins the CLI's plumbing).
#[test]
fn explain_stage_step() {
    insta::assert_snapshot!(
        "explain_stage_step_lif_rk4",
        transcript(&[
            "explain",
            "models/lif.gal",
            "--stage",
            "step",
            "--method",
            "rk4",
        ])
    );
}

#[test]
fn help_of_every_command() {
    insta::assert_snapshot!("help", transcript(&["--help"]));
    for command in ["check", "explain", "run", "fi", "bench", "stats"] {
        insta::assert_snapshot!(format!("help_{command}"), transcript(&[command, "--help"]));
    }
}

/// Bad arguments: each gets one clear error on stderr and exit status 1.
#[test]
fn bad_arguments() {
    for (name, args) in [
        (
            "unknown_param",
            &["run", "models/hh.gal", "--set", "g_na=1"][..],
        ),
        (
            "unknown_input",
            &["run", "models/hh.gal", "--input", "I_x=3"][..],
        ),
        (
            "dt_not_a_time",
            &["run", "models/hh.gal", "--dt", "10mV"][..],
        ),
        (
            "input_wrong_dimension",
            &["run", "models/hh.gal", "--input", "I_e=3 mV"][..],
        ),
        (
            "unknown_method",
            &["explain", "models/hh.gal", "--method", "rk5"][..],
        ),
        (
            "unknown_record",
            &["run", "models/hh.gal", "--record", "Q"][..],
        ),
        ("unknown_command", &["frobnicate"][..]),
    ] {
        insta::assert_snapshot!(format!("error_{name}"), transcript(args));
    }
}
