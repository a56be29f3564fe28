//! What `run` and `fi` write never destroys an input or an earlier result: an output that
//! is the model or a `file(…)` input (directly, through a symlink or a hard link) is
//! refused, as are two outputs (sidecars included) that are one file; every argument is
//! checked before anything is written; a run that fails leaves the previous files and
//! sidecars as they were; a device output gets no sidecar (so two outputs on `/dev/null`
//! are no clash); an output that cannot be written is named as the user gave it; a
//! non-UTF-8 path is recorded losslessly.

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

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A scratch directory holding a copy of `models/lif.gal` as `m.gal`.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/lif.gal");
    let model = dir.path().join("m.gal");
    std::fs::copy(source, &model).unwrap();
    (dir, model)
}

fn refused(output: &Output) -> bool {
    output.status.code() == Some(1) && stderr(output).contains("refusing to write")
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let (dir, model) = scratch();
    let original = std::fs::read(&model).unwrap();
    std::os::unix::fs::symlink(&model, dir.path().join("link.png")).unwrap();
    std::fs::hard_link(&model, dir.path().join("hard.csv")).unwrap();
    std::fs::write(dir.path().join("d.csv"), "t,I\n0,1\n100,1\n").unwrap();
    let cases: &[&[&str]] = &[
        &["run", "m.gal", "--t", "1", "--out", "m.gal"],
        &["run", "m.gal", "--t", "1", "--spikes", "./m.gal"],
        &["run", "m.gal", "--t", "1", "--plot", "link.png"],
        &["run", "m.gal", "--t", "1", "--out", "hard.csv"],
        &[
            "run", "m.gal", "--t", "1", "--out", "x.csv", "--spikes", "x.csv",
        ],
        &[
            "run",
            "m.gal",
            "--t",
            "1",
            "--out",
            "m.gal.json.csv",
            "--spikes",
            "m.gal.json.csv",
        ],
        &[
            "run",
            "m.gal",
            "--t",
            "1",
            "--input",
            "I_e=file(d.csv)",
            "--out",
            "d.csv",
        ],
        &[
            "fi", "m.gal", "--input", "I_e", "--range", "0..3nA", "--points", "2", "--out", "m.gal",
        ],
    ];
    for args in cases {
        let output = galvani(dir.path(), args);
        assert!(refused(&output), "{args:?}: {}", stderr(&output));
        assert_eq!(std::fs::read(&model).unwrap(), original, "{args:?}");
    }
    // The sidecar of one output may not be another output either.
    let output = galvani(
        dir.path(),
        &[
            "run",
            "m.gal",
            "--t",
            "1",
            "--out",
            "o.csv",
            "--spikes",
            "o.csv.json",
        ],
    );
    assert!(refused(&output), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("d.csv")).unwrap(),
        "t,I\n0,1\n100,1\n"
    );
    assert!(!dir.path().join("x.csv").exists());
}

#[test]
fn a_failed_run_leaves_the_previous_results_as_they_were() {
    let (dir, _) = scratch();
    let first = galvani(
        dir.path(),
        &[
            "run", "m.gal", "--t", "20", "--input", "I_e=2nA", "--out", "o.csv", "--spikes",
            "s.csv",
        ],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let before: Vec<Vec<u8>> = ["o.csv", "o.csv.json", "s.csv", "s.csv.json"]
        .map(read)
        .to_vec();
    let failures: &[(&[&str], i32)] = &[
        // An argument error found late (a protocol's shape).
        (
            &[
                "run",
                "m.gal",
                "--t",
                "5",
                "--input",
                "I_e=ou(2nA,0.5nA,0ms)",
                "--out",
                "o.csv",
                "--spikes",
                "s.csv",
            ],
            1,
        ),
        // A plot format nobody can write.
        (
            &[
                "run", "m.gal", "--t", "5", "--out", "o.csv", "--spikes", "s.csv", "--plot",
                "x.bmp",
            ],
            1,
        ),
        // A time constant of 0, refused before the run (issue 10).
        (
            &[
                "run", "m.gal", "--t", "5", "--set", "tau_m=0", "--out", "o.csv", "--spikes",
                "s.csv",
            ],
            1,
        ),
        // The simulation blows up (R_m·I_e overflows).
        (
            &[
                "run",
                "m.gal",
                "--t",
                "5",
                "--set",
                "R_m=1e300",
                "--input",
                "I_e=1e10nA",
                "--out",
                "o.csv",
                "--spikes",
                "s.csv",
            ],
            2,
        ),
    ];
    for (args, status) in failures {
        let output = galvani(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(*status),
            "{args:?}: {}",
            stderr(&output)
        );
        let after: Vec<Vec<u8>> = ["o.csv", "o.csv.json", "s.csv", "s.csv.json"]
            .map(read)
            .to_vec();
        assert!(after == before, "{args:?} changed the previous results");
    }
    assert!(!dir.path().join("x.bmp").exists());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".galvani-")),
        "temporary files left behind: {names:?}"
    );
}

#[test]
fn a_device_output_gets_no_sidecar_and_new_files_are_readable_by_others() {
    let (dir, _) = scratch();
    let output = galvani(
        dir.path(),
        &[
            "run",
            "m.gal",
            "--t",
            "5",
            "--out",
            "/dev/null",
            "--spikes",
            "s.csv",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!Path::new("/dev/null.json").exists());
    assert!(dir.path().join("s.csv.json").exists());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("s.csv"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o644, 0o644, "mode {mode:o}");
}

#[test]
fn a_sidecar_records_the_recording_interval_and_the_input_files() {
    let (dir, _) = scratch();
    std::fs::write(dir.path().join("d.csv"), "t,I\n0,1\n100,1\n").unwrap();
    let output = galvani(
        dir.path(),
        &[
            "run",
            "m.gal",
            "--t",
            "5",
            "--every",
            "0.5ms",
            "--input",
            "I_e=file(d.csv)",
            "--out",
            "o.csv",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.csv.json")).unwrap()).unwrap();
    assert_eq!(sidecar["every"], "0.5ms");
    assert_eq!(sidecar["input_files"][0]["path"], "d.csv");
    // SHA-256 of the file's bytes, as `sha256sum` prints it.
    assert_eq!(
        sidecar["input_files"][0]["sha256"],
        sha256_of(b"t,I\n0,1\n100,1\n").as_str()
    );
}

/// The digest computed independently of galvani, by the system's `sha256sum`.
fn sha256_of(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A Linux path is bytes: a model and an output whose names are not UTF-8 are recorded in
/// the sidecar losslessly (`{"utf8_lossy", "bytes_hex"}`), not with U+FFFD in place of a
/// byte, and the sidecar is the output's name plus `.json`, byte for byte.
#[test]
fn a_sidecar_keeps_non_utf8_paths_intact() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let (dir, model) = scratch();
    let model_name = OsStr::from_bytes(b"m\xff.gal");
    let out_name = OsStr::from_bytes(b"o\xfe\x80.csv");
    std::fs::rename(&model, dir.path().join(model_name)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_galvani"))
        .args([OsStr::new("run"), model_name])
        .args(["--t", "1", "--out"])
        .arg(out_name)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let sidecar_name = OsStr::from_bytes(b"o\xfe\x80.csv.json");
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(sidecar_name)).unwrap()).unwrap();
    assert_eq!(sidecar["model"]["bytes_hex"], "6dff2e67616c");
    assert_eq!(sidecar["model"]["utf8_lossy"], "m\u{FFFD}.gal");
    assert_eq!(sidecar["file"]["bytes_hex"], "6ffe802e637376");
    // The lossy text names another file: only the bytes find the model again.
    let output = galvani(dir.path(), &["run", "m\u{FFFD}.gal", "--t", "1"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "no such file: {}",
        stderr(&output)
    );
}

/// Output-path games as a table: each command, whatever it is refused for, ends with
/// status 1 and a message naming the path the user gave (never a temporary file), writes
/// nothing, and leaves every input as it was; two outputs on a device are no clash (a
/// device gets no sidecar).
#[test]
fn output_path_games_end_in_a_diagnostic_and_keep_the_inputs() {
    let (dir, model) = scratch();
    std::fs::copy(&model, dir.path().join("o.csv.json")).unwrap();
    std::fs::write(dir.path().join("i.csv.json"), "t,I\n0,1\n100,1\n").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let inputs = ["m.gal", "o.csv.json", "i.csv.json"];
    let before: Vec<Vec<u8>> = inputs
        .iter()
        .map(|name| std::fs::read(dir.path().join(name)).unwrap())
        .collect();
    let cases: &[(&[&str], &str)] = &[
        // the sidecar of the output is the model
        (
            &["run", "o.csv.json", "--t", "1", "--out", "o.csv"],
            "is an input",
        ),
        // the sidecar of the output is an input CSV
        (
            &[
                "run",
                "m.gal",
                "--t",
                "1",
                "--input",
                "I_e=file(i.csv.json)",
                "--out",
                "i.csv",
            ],
            "is an input",
        ),
        // a plot's sidecar is the trace
        (
            &[
                "run",
                "m.gal",
                "--t",
                "1",
                "--plot",
                "p.png",
                "--out",
                "p.png.json",
            ],
            "are the same file",
        ),
        (
            &["run", "m.gal", "--t", "1", "--out", "sub"],
            "cannot write `sub`",
        ),
        (
            &["run", "m.gal", "--t", "1", "--out", "nodir/o.csv"],
            "cannot write `nodir/o.csv`: No such file or directory",
        ),
        (
            &[
                "fi", "m.gal", "--input", "I_e", "--range", "0..1nA", "--points", "2", "--out",
                "sub",
            ],
            "cannot write `sub`",
        ),
        (
            &["run", "m.gal", "--t", "1", "--out", "/dev/full"],
            "cannot write `/dev/full`",
        ),
    ];
    for (args, message) in cases {
        let output = galvani(dir.path(), args);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains(message), "{args:?}: {text}");
        assert!(
            !text.contains(".galvani-"),
            "names a temporary file: {text}"
        );
    }
    for (name, bytes) in inputs.iter().zip(&before) {
        assert_eq!(
            &std::fs::read(dir.path().join(name)).unwrap(),
            bytes,
            "{name}"
        );
    }
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["i.csv.json", "m.gal", "o.csv.json", "sub"]);
    let output = galvani(
        dir.path(),
        &[
            "run",
            "m.gal",
            "--t",
            "1",
            "--out",
            "/dev/null",
            "--spikes",
            "/dev/null",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
}
