//! Every class of parse error: its code, its one-line message, the exact text under the
//! primary label, and its hint. Rule names of the grammar never appear.

use galvani_diag::{codes, Code, Diagnostic, FileId};
use galvani_syntax::{parse, RESERVED_WORDS};

/// The diagnostic of a source that must fail, with the text under its primary label.
fn fail(source: &str) -> (Diagnostic, String) {
    let error = match parse(source, FileId(7)) {
        Ok(model) => panic!("{source:?} should fail, parsed {model:?}"),
        Err(error) => error,
    };
    let diagnostic = error.to_diagnostic();
    let primary = diagnostic.primary_span().expect("a primary label");
    assert_eq!(primary, error.span());
    assert_eq!(primary.file, FileId(7));
    for label in &diagnostic.labels {
        assert!(label.span.end as usize <= source.len());
    }
    let under = source[primary.range()].to_string();
    for leak in [
        "Rule",
        "kw_",
        "eol",
        "EOI",
        "_op",
        "_decl",
        "_chunk",
        "call_name",
    ] {
        assert!(
            !diagnostic.message.contains(leak),
            "{leak} leaked: {}",
            diagnostic.message
        );
        for label in &diagnostic.labels {
            assert!(
                !label.message.contains(leak),
                "{leak} leaked: {}",
                label.message
            );
        }
    }
    (diagnostic, under)
}

/// Checks code, message and the primary text of the error in `model m\n{line}`.
fn check(line: &str, code: Code, message: &str, under: &str) -> Diagnostic {
    let source = format!("model m\n{line}");
    let (diagnostic, actual_under) = fail(&source);
    assert_eq!(diagnostic.code, Some(code), "{line:?}: {diagnostic:?}");
    assert_eq!(diagnostic.message, message, "{line:?}");
    assert_eq!(actual_under, under, "{line:?}");
    diagnostic
}

fn has_hint(diagnostic: &Diagnostic, hint: &str) -> bool {
    diagnostic.hints.iter().any(|h| h == hint)
}

#[test]
fn missing_model_line() {
    let hint = "a model file starts with `model NAME \"description\"`";
    let (diagnostic, under) = fail("# comment\n\nparam x = 1\nmodel m\n");
    assert_eq!(diagnostic.code, Some(codes::MISSING_MODEL));
    assert_eq!(
        diagnostic.message,
        "expected `model` as the first declaration, found `param`"
    );
    assert_eq!(under, "param");
    assert!(has_hint(&diagnostic, hint));
    for empty in ["", "\n\n", "# only a comment\n", "   \t  "] {
        let (diagnostic, under) = fail(empty);
        assert_eq!(diagnostic.code, Some(codes::MISSING_MODEL), "{empty:?}");
        assert_eq!(diagnostic.message, "the file has no `model` declaration");
        assert_eq!(under, "");
        assert!(has_hint(&diagnostic, hint));
    }
    let (diagnostic, under) = fail("modle m \"typo\"\n");
    assert_eq!(
        (diagnostic.code, under.as_str()),
        (Some(codes::MISSING_MODEL), "modle")
    );
}

#[test]
fn non_ascii_outside_comments_and_the_description() {
    let micro = "write `u` for micro: `uA`, `uF`, `um`";
    let diagnostic = check(
        "x = 5 µA",
        codes::NON_ASCII,
        "non-ASCII character `µ` (U+00B5)",
        "µ",
    );
    assert!(has_hint(&diagnostic, micro));
    let diagnostic = check(
        "x = 5 μF",
        codes::NON_ASCII,
        "non-ASCII character `μ` (U+03BC)",
        "μ",
    );
    assert!(has_hint(&diagnostic, micro));
    let diagnostic = check(
        "x = a − b",
        codes::NON_ASCII,
        "non-ASCII character `−` (U+2212)",
        "−",
    );
    assert!(has_hint(&diagnostic, "write `-` (ASCII hyphen-minus)"));
    let diagnostic = check(
        "café = 1",
        codes::NON_ASCII,
        "non-ASCII character `é` (U+00E9)",
        "é",
    );
    assert!(!diagnostic.hints.is_empty());
    // Inside a block, on a later line.
    check(
        "gate g {\n  alpha = 1/ms # ok: µ\n  beta = 2 µs\n}",
        codes::NON_ASCII,
        "non-ASCII character `µ` (U+00B5)",
        "µ",
    );
    // Allowed in comments and in the description.
    assert!(parse("model m \"µ–ü\" # µ\n# ∂V/∂t\nx = 1 # ½\n", FileId(0)).is_ok());
}

#[test]
fn reserved_words_as_names() {
    check("param if = 1", codes::RESERVED, "`if` is a keyword", "if");
    let diagnostic = check(
        "state t = 0",
        codes::RESERVED,
        "`t` is reserved: it is the simulation time",
        "t",
    );
    assert!(!diagnostic.hints.is_empty());
    check("then = 1", codes::RESERVED, "`then` is a keyword", "then");
    check(
        "param = 1",
        codes::RESERVED,
        "`param` is a keyword",
        "param",
    );
    check(
        "fn f(a, t) = a",
        codes::RESERVED,
        "`t` is reserved: it is the simulation time",
        "t",
    );
    check("fn on(a) = a", codes::RESERVED, "`on` is a keyword", "on");
    check(
        "dt/dt = 1",
        codes::RESERVED,
        "`t` is reserved: it is the simulation time",
        "t",
    );
    check(
        "gate g {\n  not = 1\n}",
        codes::RESERVED,
        "`not` is a keyword",
        "not",
    );
    check(
        "gate state {\n}",
        codes::RESERVED,
        "`state` is a keyword",
        "state",
    );
    check(
        "x = input + 1",
        codes::RESERVED,
        "`input` is a keyword",
        "input",
    );
    check(
        "x = gate(1)",
        codes::RESERVED,
        "`gate` is a keyword",
        "gate",
    );
    check(
        "on x > 0 {\n  t = 0\n}",
        codes::RESERVED,
        "`t` is reserved: it is the simulation time",
        "t",
    );
    let (diagnostic, under) = fail("model or\n");
    assert_eq!(
        (diagnostic.code, under.as_str()),
        (Some(codes::RESERVED), "or")
    );
    // Every reserved word is refused as a parameter name; field names are not reserved.
    for word in RESERVED_WORDS {
        let (diagnostic, under) = fail(&format!("model m\nparam {word} = 1\n"));
        assert_eq!(
            (diagnostic.code, under.as_str()),
            (Some(codes::RESERVED), *word)
        );
    }
    assert!(parse(
        "model m\nparam tau = 10\nalpha = 1\ninf = 2\ninit = 3\nbeta = 4\n",
        FileId(0)
    )
    .is_ok());
}

#[test]
fn bad_numbers() {
    let diagnostic = check(
        "x = 1e999",
        codes::BAD_NUMBER,
        "the number `1e999` is too large",
        "1e999",
    );
    assert!(!diagnostic.notes.is_empty());
    check(
        "x = -2e400 mV",
        codes::BAD_NUMBER,
        "the number `2e400` is too large",
        "2e400",
    );
    check(
        "x = 2 m^99999999999",
        codes::BAD_NUMBER,
        "the unit exponent `99999999999` is out of range",
        "99999999999",
    );
    // Underflow to zero is not an error; a plain power of a name is not a unit exponent.
    assert!(parse("model m\nx = 1e-400\ny = m^99999999999\n", FileId(0)).is_ok());
}

#[test]
fn unexpected_tokens_name_what_was_expected() {
    let diagnostic = check(
        "x = 3 4",
        codes::SYNTAX,
        "expected end of line, found `4`",
        "4",
    );
    assert!(has_hint(
        &diagnostic,
        "there is no implicit multiplication: write `*` between factors"
    ));
    check(
        "x = a b",
        codes::SYNTAX,
        "expected end of line, found `b`",
        "b",
    );
    check(
        "x = )",
        codes::SYNTAX,
        "expected an expression, found `)`",
        ")",
    );
    check(
        "x = 1 +",
        codes::SYNTAX,
        "expected an expression, found end of file",
        "",
    );
    check(
        "x = 1 + # comment\ny = 2",
        codes::SYNTAX,
        "expected an expression, found end of line",
        "",
    );
    check(
        "x = a * / b",
        codes::SYNTAX,
        "expected an expression, found `/`",
        "/",
    );
    check(
        "param x 3",
        codes::SYNTAX,
        "expected `=` after the name, found `3`",
        "3",
    );
    check(
        "x 3",
        codes::SYNTAX,
        "expected `=` after the name, found `3`",
        "3",
    );
    check(
        "param 3 = 1",
        codes::SYNTAX,
        "expected a name, found `3`",
        "3",
    );
    check(
        "3 = x",
        codes::SYNTAX,
        "expected a declaration, found `3`",
        "3",
    );
    check("}", codes::SYNTAX, "expected a declaration, found `}`", "}");
    check(
        "x = f(a b)",
        codes::SYNTAX,
        "expected `,` or `)`, found `b`",
        "b",
    );
    check("fn f x = 1", codes::SYNTAX, "expected `(`, found `x`", "x");
    check(
        "x = if a b",
        codes::SYNTAX,
        "expected `then`, found `b`",
        "b",
    );
    check(
        "gate g {\n  3\n}",
        codes::SYNTAX,
        "expected a gate field such as `alpha = …` or `}`, found `3`",
        "3",
    );
    check(
        "on x > 0 {\n  3\n}",
        codes::SYNTAX,
        "expected a declaration or `}`, found `3`",
        "3",
    );
    check(
        "x = 2 \u{1}",
        codes::SYNTAX,
        "expected end of line, found a control character (U+0001)",
        "\u{1}",
    );
    check(
        "x = 2\ry = 3",
        codes::SYNTAX,
        "expected end of line, found a carriage return without a line feed",
        "\r",
    );
    check(
        "x = a`",
        codes::SYNTAX,
        "expected end of line, found ```",
        "`",
    );
    let diagnostic = check(
        "x = 3 param y = 2",
        codes::SYNTAX,
        "expected end of line, found `param`",
        "param",
    );
    assert!(has_hint(
        &diagnostic,
        "put each declaration on a line of its own"
    ));
}

#[test]
fn errors_with_a_known_cause_have_a_hint() {
    let diagnostic = check(
        "x = a < b < c",
        codes::SYNTAX,
        "comparisons do not chain",
        "<",
    );
    assert!(has_hint(
        &diagnostic,
        "comparisons do not chain: write `a < b and b < c`"
    ));
    check(
        "on 0 <= x == 1 {}",
        codes::SYNTAX,
        "comparisons do not chain",
        "==",
    );
    let diagnostic = check("x = a;", codes::SYNTAX, "unexpected `;`", ";");
    assert!(has_hint(
        &diagnostic,
        "a line ends a statement; remove the `;`"
    ));
    let diagnostic = check("x = a**2", codes::SYNTAX, "`**` is not an operator", "**");
    assert!(has_hint(&diagnostic, "write `^` for powers: `x^2`"));
    let diagnostic = check("x = a && b", codes::SYNTAX, "unexpected `&&`", "&&");
    assert!(has_hint(&diagnostic, "write `and`"));
    let diagnostic = check("x = a || b", codes::SYNTAX, "unexpected `||`", "||");
    assert!(has_hint(&diagnostic, "write `or`"));
    let diagnostic = check("x = !a", codes::SYNTAX, "unexpected `!`", "!");
    assert!(has_hint(&diagnostic, "write `not`"));
    let diagnostic = check("on V = 3 {}", codes::SYNTAX, "expected `{`, found `=`", "=");
    assert!(has_hint(&diagnostic, "to compare two values, write `==`"));
    let diagnostic = check(
        "x = if a then b",
        codes::SYNTAX,
        "expected `else`, found end of file",
        "",
    );
    assert!(has_hint(
        &diagnostic,
        "an `if` needs both branches: `if C then A else B`"
    ));
    let diagnostic = check(
        "x = 1 + if a then 1 else 2",
        codes::SYNTAX,
        "expected an expression, found `if`",
        "if",
    );
    assert!(diagnostic
        .hints
        .iter()
        .any(|h| h.contains("needs parentheses")));
    let diagnostic = check(
        "gate m { alpha = 1 }",
        codes::SYNTAX,
        "expected `}` or end of line, found `alpha`",
        "alpha",
    );
    assert!(diagnostic.hints.iter().any(|h| h.contains("next line")));
    let diagnostic = check(
        "x = 4 mV^0.5",
        codes::SYNTAX,
        "a unit's exponent must be a whole number written right after it",
        "4 mV^0.5",
    );
    assert!(diagnostic.hints.iter().any(|h| h.contains("`(4 mV)^…`")));
    check(
        "x = 2 ms^-1.5",
        codes::SYNTAX,
        "a unit's exponent must be a whole number written right after it",
        "2 ms^-1.5",
    );
}

#[test]
fn unclosed_and_unmatched_brackets() {
    let diagnostic = check("x = (a + (b * c)", codes::SYNTAX, "unclosed `(`", "(");
    let source = "model m\nx = (a + (b * c)";
    assert_eq!(diagnostic.primary_span().map(|s| s.start), Some(12));
    let secondary = diagnostic
        .labels
        .iter()
        .find(|l| !l.primary)
        .expect("secondary");
    assert_eq!(secondary.span.start as usize, source.len());
    check(
        "x = exp(a # comment\ny = 1",
        codes::SYNTAX,
        "unclosed `(`",
        "(",
    );
    check("x = a)", codes::SYNTAX, "unmatched `)`", ")");
    let diagnostic = check("on x > 0 {\n  x = 1\n", codes::SYNTAX, "unclosed `{`", "{");
    assert!(diagnostic.hints.iter().any(|h| h.contains('}')));
    check(
        "gate g {\n  alpha = 1\n",
        codes::SYNTAX,
        "unclosed `{`",
        "{",
    );
}

#[test]
fn header_errors() {
    let (diagnostic, under) = fail("model m \"unclosed\nx = 1\n");
    assert_eq!(diagnostic.message, "unclosed description string");
    assert_eq!(under, "\"");
    let (diagnostic, under) = fail("model\n");
    assert_eq!(diagnostic.message, "expected a name, found end of line");
    assert_eq!(under, "");
    let (diagnostic, under) = fail("model m \"d\" extra\n");
    assert_eq!(diagnostic.message, "expected end of line, found `extra`");
    assert_eq!(under, "extra");
    let (diagnostic, under) = fail("model m\nx = 1\nmodel n \"again\"\n");
    assert_eq!(diagnostic.code, Some(codes::SYNTAX));
    assert_eq!(diagnostic.message, "a file holds exactly one `model`");
    assert_eq!(under, "model n \"again\"");
    let secondary = diagnostic
        .labels
        .iter()
        .find(|l| !l.primary)
        .expect("first model");
    assert_eq!(secondary.span.range(), 0..7);
}

#[test]
fn the_first_error_in_source_order_is_reported() {
    // A reserved name on line 2 comes before a syntax error on line 3.
    let (diagnostic, under) = fail("model m\nparam if = 1\nx = )\n");
    assert_eq!(
        (diagnostic.code, under.as_str()),
        (Some(codes::RESERVED), "if")
    );
    // A syntax error before a non-ASCII character.
    let (diagnostic, under) = fail("model m\nx = )\ny = 2 µA\n");
    assert_eq!(
        (diagnostic.code, under.as_str()),
        (Some(codes::SYNTAX), ")")
    );
}
