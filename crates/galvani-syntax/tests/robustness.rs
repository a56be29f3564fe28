//! Robustness of `parse`: nesting at the limit works on a 2 MiB stack, nesting beyond it is
//! refused with TOO_DEEP (by the line scan, before pest runs, where the line is too deep),
//! and no input (random or mutated from the spec examples) panics or yields a span outside
//! the source. How much work a big file costs is counted in `parse_work.rs`.

use galvani_diag::{codes, FileId};
use galvani_syntax::{parse, print_ast, ParseError, MAX_NESTING};
use proptest::prelude::*;

const HH: &str = include_str!("data/hh.gal");
const LIF: &str = include_str!("data/lif.gal");

/// Runs `f` on a fresh thread with a 2 MiB stack (the size of cargo's test threads and
/// of a default spawned thread), so that a stack overflow would abort the test binary.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn test thread")
        .join()
        .expect("the parser thread panicked or overflowed")
}

fn model_with(expr: &str) -> String {
    format!("model deep\nx = {expr}\n")
}

/// Expressions whose line measure or tree depth is exactly `n` (or just above it for
/// odd `n` where a construct counts two levels).
fn shapes(n: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "parentheses",
            format!("{}a{}", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "negated parentheses",
            format!("{}a{}", "-(".repeat(n), ")".repeat(n)),
        ),
        ("power tower", format!("a{}", "^a".repeat(n))),
        // Each `^-` adds two tree levels (a power and a negation).
        (
            "power tower with minus",
            format!("2{}", "^-2".repeat(n.div_ceil(2))),
        ),
        (
            "nested if",
            format!("{}a{}", "if c then ".repeat(n), " else b".repeat(n)),
        ),
        (
            "if in parentheses",
            format!(
                "{}{}a{}{}",
                "(".repeat(n % 2),
                "(if c then ".repeat(n / 2),
                " else b)".repeat(n / 2),
                ")".repeat(n % 2)
            ),
        ),
        (
            "nested calls",
            format!("{}a{}", "exp(".repeat(n), ")".repeat(n)),
        ),
        ("sum chain", format!("a{}", " + a".repeat(n))),
        ("not chain", format!("{}a", "not ".repeat(n))),
        ("minus chain", format!("{}a", "- ".repeat(n))),
    ]
}

#[test]
fn nesting_at_the_limit_parses_on_a_2_mib_stack() {
    for (shape, expr) in shapes(MAX_NESTING) {
        let source = model_with(&expr);
        let result = on_small_stack(move || {
            let model = parse(&source, FileId(0));
            let printed = model.as_ref().ok().map(print_ast);
            (model.map(|_| ()), printed.map(|p| p.lines().count()))
        });
        assert!(result.0.is_ok(), "{shape}: {:?}", result.0);
        // At least the model, the assignment and the innermost operand.
        assert!(result.1.unwrap_or(0) >= 3, "{shape}: printed too little");
    }
}

#[test]
fn nested_blocks_and_expressions_at_the_limit_parse_on_a_2_mib_stack() {
    let blocks = MAX_NESTING / 2;
    let parens = MAX_NESTING - blocks;
    let mut source = String::from("model deep\n");
    for _ in 0..blocks {
        source.push_str("on x > 0 {\n");
    }
    source.push_str(&format!(
        "x = {}a{}\n",
        "-(".repeat(parens),
        ")".repeat(parens)
    ));
    for _ in 0..blocks {
        source.push_str("}\n");
    }
    let result = on_small_stack(move || parse(&source, FileId(0)).map(|m| print_ast(&m).len()));
    assert!(result.is_ok(), "{result:?}");
}

/// Parses `source`, expects TOO_DEEP with its hint, and returns the error.
fn expect_too_deep(source: &str) -> ParseError {
    let error = parse(source, FileId(0)).expect_err("too deep must be refused");
    assert_eq!(error.code(), codes::TOO_DEEP, "{error:?}");
    assert!(
        error
            .to_diagnostic()
            .hints
            .iter()
            .any(|h| h.contains("intermediates")),
        "{error:?}"
    );
    error
}

/// "Refused fast" without a clock (a timed assertion flakes on a busy machine and says
/// nothing in a debug build): `LineTooDeep` comes only from the line scan, one forward
/// pass over the text with no recursion, which runs before pest. So the refusal costs one
/// pass over the input, whatever its nesting; `parse_work.rs` checks that pest does not
/// run at all on such input.
fn expect_refused_by_the_line_scan(source: &str) -> ParseError {
    let error = expect_too_deep(source);
    assert!(
        matches!(error, ParseError::LineTooDeep { .. }),
        "refused by the line scan, not later: {error:?}"
    );
    error
}

#[test]
fn nesting_beyond_the_limit_is_too_deep() {
    for (shape, expr) in shapes(MAX_NESTING + 1) {
        // The chains are refused by the tree depth, the others by the line scan.
        let source = model_with(&expr);
        let error = on_small_stack(move || parse(&source, FileId(0)).err());
        let error = error.unwrap_or_else(|| panic!("{shape} must be refused"));
        assert_eq!(error.code(), codes::TOO_DEEP, "{shape}: {error:?}");
    }
}

#[test]
fn ten_thousand_parentheses_are_refused_fast_at_their_line() {
    let source = model_with(&format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)));
    // The line scan refuses it before pest runs: one pass, not a parse.
    let error = expect_refused_by_the_line_scan(&source);
    let line = &source[error.span().range()];
    assert!(
        line.starts_with("x = (((") && !line.contains('\n'),
        "{line:.20}"
    );
    match error {
        ParseError::LineTooDeep { depth, .. } => assert_eq!(depth, 10_000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn huge_flat_inputs_are_refused_or_parsed_without_overflow() {
    expect_too_deep(&model_with(&format!("a{}", " + a".repeat(100_000))));
    expect_too_deep(&model_with(&format!("{}a", "-".repeat(100_000))));
    expect_too_deep(&model_with(&format!("{}a", "not ".repeat(100_000))));
    expect_refused_by_the_line_scan(&model_with(&"(".repeat(100_000)));
    let mut blocks = String::from("model deep\n");
    blocks.push_str(&"on x {\n".repeat(10_000));
    expect_refused_by_the_line_scan(&blocks);
    // Unbalanced closers never make the depth negative or panic.
    let closers = model_with(&format!("a{}", ")".repeat(10_000)));
    assert_eq!(
        parse(&closers, FileId(0)).unwrap_err().code(),
        codes::SYNTAX
    );
}

/// Every label of the error lies inside the source, on character boundaries.
fn assert_spans_valid(source: &str, error: &ParseError) {
    let diagnostic = error.to_diagnostic();
    assert!(!diagnostic.labels.is_empty(), "no label: {error:?}");
    assert!(!diagnostic.message.contains("Rule"), "{diagnostic:?}");
    for label in &diagnostic.labels {
        let range = label.span.range();
        assert!(
            range.start <= range.end && range.end <= source.len(),
            "{error:?}"
        );
        assert!(source.is_char_boundary(range.start), "{error:?}");
        assert!(source.is_char_boundary(range.end), "{error:?}");
    }
}

fn check_no_panic(source: &str) {
    match parse(source, FileId(0)) {
        Err(error) => assert_spans_valid(source, &error),
        Ok(model) => {
            // Whatever parses also prints, and every declaration's span is real text.
            assert!(print_ast(&model).starts_with("Model "));
            for item in &model.items {
                let range = item.span.range();
                assert!(range.end <= source.len() && source.is_char_boundary(range.start));
                assert!(!source[range].trim().is_empty());
            }
        }
    }
}

/// Characters that matter to the grammar, plus a few non-ASCII ones.
fn token_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        1 => Just('\n'),
        1 => Just('\r'),
        1 => Just('\t'),
        1 => prop::sample::select(vec!['µ', 'μ', '–', 'é', '\u{0}', '\u{FEFF}', '²']),
    ]
}

/// A spec example with random edits: character deletions, insertions and swaps, and
/// token-level insertions.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Insert(usize, char),
    InsertToken(usize, &'static str),
    Swap(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let tokens = vec![
        "(",
        ")",
        "{",
        "}",
        "^",
        "-",
        "if ",
        " then ",
        " else ",
        "not ",
        " < ",
        "\n",
        "\r\n",
        "=",
        "+=",
        "dV/dt",
        "model ",
        "gate ",
        "on ",
        "1e999",
        " mV",
        "**",
        ";",
        "\"",
        "#",
        ",",
        "refractory ",
        "t",
        "µ",
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), token_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<usize>(), prop::sample::select(tokens)).prop_map(|(i, t)| Edit::InsertToken(i, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::Swap(i, j)),
    ]
}

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for edit in edits {
        let n = chars.len().max(1);
        match *edit {
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i % chars.len());
            }
            Edit::Delete(_) => {}
            Edit::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Edit::InsertToken(i, token) => {
                let at = i % (chars.len() + 1);
                for (k, c) in token.chars().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            Edit::Swap(i, j) if !chars.is_empty() => chars.swap(i % n, j % n),
            Edit::Swap(..) => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text_never_panics(text in proptest::collection::vec(token_char(), 0..200)) {
        let text: String = text.into_iter().collect();
        check_no_panic(&text);
        check_no_panic(&format!("model m\n{text}"));
    }

    #[test]
    fn mutated_examples_never_panic(
        example in prop::sample::select(vec![HH, LIF]),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        check_no_panic(&apply(example, &edits));
    }
}
