//! Random combinations of command-line options, drawn from a table of sensible, nonsense
//! and extreme values, run through the binary (issue 9's adversarial family): every
//! command ends with status 0, 1 or 2 — never 101 (a panic) or 3 (an internal error) —
//! within a bounded time, a failure says why on stderr, and no input file changes.
//! (Whether each is refused or runs is the business of the focused tests.) The
//! values are chosen so that every accepted run is short (no tiny `--dt` with a long
//! `--t`): the suite measures answers, not patience. Cases are few and the seed comes
//! from `PROPTEST_RNG_SEED` in CI.

use proptest::prelude::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Option name and the values it may take, for each command.
type Table = &'static [(&'static str, &'static [&'static str])];

const COMMON: Table = &[
    (
        "--t",
        &[
            "0", "1", "2ms", "-1", "nan", "inf", "1e400", "abc", "", "1 s",
        ],
    ),
    (
        "--dt",
        &["0.1", "0.025ms", "0", "-0.1", "inf", "x", "1e30", "5 mV"],
    ),
    (
        "--method",
        &["euler", "rk4", "expeuler", "expeuler2", "bogus", ""],
    ),
    (
        "--set",
        &[
            "tau_m=20ms",
            "tau_m=0",
            "tau_m=nan",
            "tau_m=-5ms",
            "nope=1",
            "tau_m=file(missing.csv)",
            "tau_m=file(d.csv)",
            "tau_m=linspace(1ms, 2ms)",
            "R_m=1e308 Mohm",
            "=",
        ],
    ),
    (
        "--init",
        &[
            "V=-70mV",
            "V=rest",
            "rest",
            "V=1e308",
            "W=1",
            "V=nan",
            "V=file(/dev/null)",
        ],
    ),
    ("--seed", &["0", "18446744073709551615", "-3", "x"]),
    ("--summary", &["json", "xml"]),
];

const RUN: Table = &[
    (
        "--n",
        &["1", "3", "0", "-1", "18446744073709551616", "100000000000"],
    ),
    (
        "--input",
        &[
            "I_e=2nA",
            "I_e=step(0.5ms, 1ms, 1nA)",
            "I_e=ou(0nA, 1nA, 0ms)",
            "I_e=ou(0nA, 1nA, 1ms)",
            "I_e=file(d.csv)",
            "I_e=file(/dev/null)",
            "I_e=file(/dev/zero)",
            "X=1",
            "I_e=pulses(0ms, 0ms, 0ms, 1nA)",
            "I_e=sine(1nA, 1e300)",
            "I_e=1e308 nA",
        ],
    ),
    ("--record", &["V", "V,I_e", "nope", "", "t"]),
    ("--every", &["1", "0", "-1", "0.05ms", "1e30", "1e-300"]),
    (
        "--out",
        &["o.csv", "m.gal", "d.csv", "/dev/null", "sub/o.csv", ""],
    ),
    ("--spikes", &["s.csv", "o.csv", "/dev/full", "d.csv"]),
    ("--plot", &["p.png", "p.svg", "p.bmp", "m.gal", "p"]),
];

const FI: Table = &[
    ("--input", &["I_e", "X", ""]),
    (
        "--range",
        &["0..1nA", "1nA..0", "0..0", "x", "0..1e308nA", "0..1 mV"],
    ),
    ("--points", &["2", "0", "1", "18446744073709551615", "x"]),
    ("--out", &["f.csv", "m.gal", "/dev/null"]),
    ("--plot", &["f.png", "f.bmp"]),
];

const BENCH: Table = &[
    ("--method", &["euler", "expeuler2", "bogus"]),
    ("--n", &["1", "0", "18446744073709551615"]),
    ("--steps", &["10", "0", "18446744073709551615", "x"]),
    ("--repeat", &["1", "0", "1001"]),
];

const EXPLAIN: Table = &[
    ("--stage", &["ast", "ir", "linear", "step", "clif", "nope"]),
    ("--method", &["euler", "rk4", "bogus"]),
    ("--format", &["text", "markdown", "latex", "json", "html"]),
];

/// The arguments of one command: each option of its tables present or not, with one of
/// its values (`choices[k]` picks option k's value; `None` leaves it out, except for
/// `bench`, whose options are always given).
fn arguments(command: usize, choices: &[Option<usize>]) -> Vec<String> {
    let (name, tables): (&str, &[Table]) = match command % 4 {
        0 => ("run", &[COMMON, RUN]),
        1 => ("fi", &[COMMON, FI]),
        2 => ("bench", &[BENCH]),
        _ => ("explain", &[EXPLAIN]),
    };
    let mut args = vec![name.to_string(), "m.gal".to_string()];
    let options = tables.iter().flat_map(|t| t.iter());
    for ((option, values), choice) in options.zip(choices) {
        // `bench` always gets every option: its defaults measure for seconds
        let choice = if name == "bench" {
            choice.or(Some(0))
        } else {
            *choice
        };
        if let Some(k) = choice {
            args.push(option.to_string());
            args.push(values[k % values.len()].to_string());
        }
    }
    args
}

/// Runs the binary in `dir`, killed after `limit` (a hang is a failure, not a stuck CI).
fn run_bounded(dir: &Path, args: &[String], limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_galvani"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the galvani binary runs");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status.code(), reader.join().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_option_combination_gets_an_answer(
        command in 0usize..4,
        choices in proptest::collection::vec(
            prop_oneof![3 => Just(None), 1 => any::<usize>().prop_map(Some)],
            20,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/lif.gal");
        std::fs::copy(source, dir.path().join("m.gal")).unwrap();
        std::fs::write(dir.path().join("d.csv"), "t,I\n0,1\n100,1\n").unwrap();
        let inputs: Vec<(String, Vec<u8>)> = ["m.gal", "d.csv"]
            .iter()
            .map(|n| (n.to_string(), std::fs::read(dir.path().join(n)).unwrap()))
            .collect();
        let args = arguments(command, &choices);
        let (code, stderr) = run_bounded(dir.path(), &args, Duration::from_secs(60));
        prop_assert!(
            matches!(code, Some(0..=2)),
            "{:?} ended with {:?}:\n{}", args, code, stderr
        );
        prop_assert!(!stderr.contains("panicked"), "{:?}:\n{}", args, stderr);
        if code != Some(0) {
            prop_assert!(stderr.contains("error"), "{:?} failed without a message:\n{}", args, stderr);
        }
        // the model is always an input; `d.csv` only when a `file(d.csv)` reads it
        let reads_csv = args.iter().any(|a| a.contains("file(d.csv)"));
        for (name, bytes) in &inputs {
            if name == "d.csv" && !reads_csv {
                continue;
            }
            let now = std::fs::read(dir.path().join(name)).unwrap();
            prop_assert!(&now == bytes, "{:?} changed the input {}", args, name);
        }
    }
}
