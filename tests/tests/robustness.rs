//! No input file may make galvani panic, hang or allocate without bound. Random text and
//! randomly mutated model files go through parse → check → render; every result must be a
//! checked model that compiles down to native code, or well-formed diagnostics whose spans
//! lie inside the file.

use galvani::render;
use galvani_driver::{self as driver, Sources};
use galvani_ir::step::Method;
use proptest::prelude::*;

/// The model library and the failing cases: realistic starting points for mutation.
fn corpus() -> Vec<String> {
    let mut texts = Vec::new();
    for dir in ["models", "tests/diagnostics"] {
        let paths = galvani_tests::gal_files(dir);
        texts.extend(paths.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    assert!(!texts.is_empty());
    texts
}

/// Runs the front end and rendering; asserts the answer is clean.
fn assert_clean_answer(text: &str) {
    let mut sources = Sources::new();
    let file = sources.add("fuzz.gal", text.to_string());
    // `galvani check` goes through the linear forms (an expression too deep once
    // intermediates are substituted is a check error), so what passes it must compile.
    match driver::linearize(&sources, file) {
        Ok((checked, _)) => {
            checked.model.verify().expect("a checked model verifies");
            let _ = galvani_ir::text::model_to_text(&checked.model);
            // What checks must also compile: every method applies to every model (a model
            // with white noise: every method that integrates noise, the others are refused
            // by design), and the middle and back end raise no user errors and hit no bugs.
            let method = Method::GENERAL[text.len() % Method::GENERAL.len()];
            let method = if checked.model.has_noise() && !method.handles_noise() {
                Method::default_for(&checked.model)
            } else {
                method
            };
            match driver::compile(&sources, file, method) {
                Ok((_, program)) => {
                    if let Err(e) = galvani_codegen::JitKernel::compile(&program) {
                        panic!("JIT fails on input:\n{text}\n{e}");
                    }
                }
                // The one user error after `check` (docs/architecture.md): an expression
                // nested too deep once intermediates are substituted, found by the
                // symbolic engine (`tests/diagnostics/intermediate_chain_too_deep.gal`).
                Err(diagnostics)
                    if diagnostics
                        .iter()
                        .all(|d| d.code == Some(galvani_diag::codes::TOO_DEEP)) => {}
                Err(diagnostics) => {
                    panic!("a checked model does not compile with {method:?}:\n{text}\n{diagnostics:?}")
                }
            }
        }
        Err(diagnostics) => {
            assert!(
                diagnostics.has_errors(),
                "a failure carries at least one error"
            );
            for d in diagnostics.iter() {
                assert_ne!(
                    d.severity,
                    galvani_diag::Severity::Bug,
                    "internal error on input:\n{text}\n{d:?}"
                );
                for label in &d.labels {
                    assert!(
                        label.span.end as usize <= text.len(),
                        "span past the end: {d:?}"
                    );
                    assert!(text.is_char_boundary(label.span.start as usize));
                    assert!(text.is_char_boundary(label.span.end as usize));
                }
                let rendered = render::to_string(&sources, d);
                assert!(rendered.contains(&d.message));
            }
        }
    }
}

/// Tokens that make mutations interesting: keywords, operators, units, brackets.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "^",
    "-",
    "+",
    "*",
    "/",
    "=",
    "+=",
    "<",
    ">=",
    "==",
    " and ",
    " or ",
    " not ",
    "if ",
    " then ",
    " else ",
    "mV",
    " ms",
    "uA/cm^2",
    "exp(",
    "exprel(",
    "1e308",
    "1e400",
    "0",
    "t",
    "dV/dt",
    "\n",
    "\r\n",
    "#",
    "µ",
    "refractory ",
    "on ",
    "gate ",
    "state ",
    "param ",
    "fn f(x) = ",
    "m^3",
    "V",
    "1/0",
    "sqrt(",
    "min(",
    ",",
    "\"",
    "é",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
    /// Swaps two whole words (runs of non-whitespace): `V - E_L` → `E_L - V`, `param` and
    /// a name, a unit and a number.
    SwapWords(usize, usize),
}

/// The character ranges of the words of `chars` (maximal runs of non-whitespace).
fn words(chars: &[char]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (k, c) in chars.iter().enumerate() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(k),
            (true, Some(s)) => {
                ranges.push((s, k));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        ranges.push((s, chars.len()));
    }
    ranges
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let n = chars.len().max(1);
        match *m {
            Mutation::Delete(at, len) => {
                let start = at % n;
                let end = (start + len % 8).min(chars.len());
                if start < end {
                    chars.drain(start..end);
                }
            }
            Mutation::Insert(at, token) => {
                let at = (at % n).min(chars.len());
                let token: Vec<char> = TOKENS[token % TOKENS.len()].chars().collect();
                chars.splice(at..at, token);
            }
            Mutation::Duplicate(at, len) => {
                let start = at % n;
                let end = (start + len % 40).min(chars.len());
                let piece: Vec<char> = chars[start..end].to_vec();
                chars.splice(end..end, piece);
            }
            Mutation::SwapWords(a, b) => {
                let ranges = words(&chars);
                if ranges.len() >= 2 {
                    let (i, j) = (a % ranges.len(), b % ranges.len());
                    let (first, second) = (ranges[i.min(j)], ranges[i.max(j)]);
                    if first != second {
                        let one: Vec<char> = chars[first.0..first.1].to_vec();
                        let two: Vec<char> = chars[second.0..second.1].to_vec();
                        // the later range first, so the earlier one's indices still hold
                        chars.splice(second.0..second.1, one);
                        chars.splice(first.0..first.1, two);
                    }
                }
            }
        }
    }
    chars.into_iter().collect()
}

/// Found by the fuzz test (kept in `robustness.proptest-regressions`): a chain of
/// intermediates too deep once substituted passes the front end alone; `check` goes through
/// the linear forms and refuses it, so what it accepts still compiles.
#[test]
fn a_chain_too_deep_once_substituted_is_refused_by_check() {
    let path =
        galvani_tests::workspace_root().join("tests/diagnostics/intermediate_chain_too_deep.gal");
    let text = std::fs::read_to_string(path).expect("the diagnostics case is readable");
    assert_clean_answer(&text);
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapWords(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn mutated_models_get_a_clean_answer(
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let text = mutate(&corpus[which % corpus.len()], &mutations);
        assert_clean_answer(&text);
    }

    #[test]
    fn random_text_gets_a_clean_answer(text in "\\PC{0,200}") {
        assert_clean_answer(&text);
    }

    #[test]
    fn random_token_soup_gets_a_clean_answer(
        tokens in proptest::collection::vec(0..TOKENS.len(), 0..60),
    ) {
        let mut text = String::from("model soup\n");
        for t in tokens {
            text.push_str(TOKENS[t]);
        }
        assert_clean_answer(&text);
    }
}

// The big inputs below assert what bounds the work (a refusal by the line scan, an error
// cap, an answer of the right size), never how long it took: a clock in a debug-build test
// either flakes on a busy machine or has so wide a margin that it proves little. The
// parser's work per declaration is counted in `crates/galvani-syntax/tests/parse_work.rs`;
// speed is measured by `galvani bench` (parse + check of a file, in a release build).

#[test]
fn ten_thousand_nested_parentheses_get_a_diagnostic() {
    let depth = 10_000;
    let text = format!(
        "model deep\nparam x = {}1{}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let mut sources = Sources::new();
    let file = sources.add("deep.gal", text);
    let diagnostics = driver::check(&sources, file)
        .err()
        .expect("too deep must be an error");
    let first = diagnostics.iter().next().unwrap();
    assert_eq!(first.code, Some(galvani_diag::codes::TOO_DEEP));
    // The line scan's message: refused in one pass over the line, before any recursion.
    assert_eq!(first.message, "this line is nested too deeply", "{first:?}");
}

#[test]
fn a_hundred_thousand_line_model_checks_in_full() {
    let mut text =
        String::from("model big \"100,000 lines\"\nstate V = -65 mV\nparam tau = 10 ms\n");
    let lines = 100_000 - 4;
    for i in 0..lines {
        text.push_str(&format!("x{i} = {} mV\n", i % 97));
    }
    text.push_str("dV/dt = (x0 - V) / tau\n");
    let mut sources = Sources::new();
    let file = sources.add("big.gal", text);
    let checked = driver::check(&sources, file)
        .map_err(|d| format!("{d:?}"))
        .expect("the big model checks");
    assert_eq!(checked.model.intermediates.len(), lines);
}

#[test]
fn a_hundred_thousand_broken_lines_get_capped_diagnostics() {
    let mut text = String::from("model big\n");
    for i in 0..100_000 {
        text.push_str(&format!("x{i} = y{i} + 1\n"));
    }
    let mut sources = Sources::new();
    let file = sources.add("broken.gal", text);
    let diagnostics = driver::check(&sources, file)
        .err()
        .expect("unknown names are errors");
    assert!(
        diagnostics.len() <= 101,
        "errors are capped, got {}",
        diagnostics.len()
    );
}

#[test]
fn a_hundred_thousand_syntax_errors_are_capped() {
    let mut text = String::from("model big\n");
    for i in 0..100_000 {
        text.push_str(&format!("x{i} = * {i}\n"));
    }
    let mut sources = Sources::new();
    let file = sources.add("syntax.gal", text);
    // The parser stops looking after `MAX_PARSE_ERRORS` broken declarations.
    let diagnostics = driver::check(&sources, file)
        .err()
        .expect("syntax errors are errors");
    assert_eq!(diagnostics.len(), galvani_syntax::MAX_PARSE_ERRORS);
    assert!(diagnostics
        .iter()
        .all(|d| d.code == Some(galvani_diag::codes::SYNTAX)));
}
