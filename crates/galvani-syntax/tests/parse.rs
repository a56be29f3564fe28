//! What `parse` accepts and the trees it builds: the spec examples, precedence,
//! quantities, line endings, comments, spans, and the text form of `print_ast`.

use galvani_diag::{FileId, Span};
use galvani_syntax::ast::{AssignOp, Expr, ExprKind, ItemKind, Model, UnaryOp};
use galvani_syntax::{parse, print_ast};

const HH: &str = include_str!("data/hh.gal");
const LIF: &str = include_str!("data/lif.gal");

fn ok(source: &str) -> Model {
    match parse(source, FileId(0)) {
        Ok(model) => model,
        Err(error) => panic!("{source:?} should parse: {:?}", error.to_diagnostic()),
    }
}

/// Compact prefix form of an expression: `(neg (^ x 2))`, quantities as `65[mV]`.
fn sexpr(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Number { text, .. } => text.clone(),
        ExprKind::Quantity { text, unit, .. } if unit.exponent == 1 => {
            format!("{text}[{}]", unit.name)
        }
        ExprKind::Quantity { text, unit, .. } => {
            format!("{text}[{}^{}]", unit.name, unit.exponent)
        }
        ExprKind::Name(name) => name.clone(),
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", sexpr(operand))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs))
        }
        ExprKind::If {
            condition,
            then_branch,
            else_branch,
        } => format!(
            "(if {} {} {})",
            sexpr(condition),
            sexpr(then_branch),
            sexpr(else_branch)
        ),
        ExprKind::Call { function, args } => {
            let args: Vec<String> = args.iter().map(sexpr).collect();
            format!("({}() {})", function.name, args.join(" "))
        }
    }
}

/// The value of the single intermediate `x = EXPR`.
fn value_of(expr_text: &str) -> (String, Expr) {
    let source = format!("model m\nx = {expr_text}\n");
    let model = ok(&source);
    match model.items.into_iter().next().map(|item| item.kind) {
        Some(ItemKind::Assign { value, .. }) => (source, value),
        other => panic!("expected an assignment, got {other:?}"),
    }
}

fn tree(expr_text: &str) -> String {
    sexpr(&value_of(expr_text).1)
}

fn text(source: &str, span: Span) -> &str {
    &source[span.range()]
}

#[test]
fn the_hodgkin_huxley_example_parses() {
    let model = ok(HH);
    assert_eq!(model.name.name, "hh");
    assert_eq!(text(HH, model.name.span), "hh");
    let (description, span) = model.description.clone().expect("description");
    assert_eq!(
        description,
        "Hodgkin–Huxley squid giant axon (Dayan & Abbott 2001)"
    );
    assert_eq!(text(HH, span), format!("\"{description}\""));
    assert_eq!(text(HH, model.header_span), HH.lines().next().unwrap_or(""));
    let kinds: Vec<&str> = model
        .items
        .iter()
        .map(|item| match item.kind {
            ItemKind::Param { .. } => "param",
            ItemKind::Input { .. } => "input",
            ItemKind::State { .. } => "state",
            ItemKind::Gate { .. } => "gate",
            ItemKind::Assign { .. } => "assign",
            ItemKind::Ode { .. } => "ode",
            ItemKind::Function { .. } => "fn",
            ItemKind::On { .. } => "on",
            ItemKind::Refractory { .. } => "refractory",
        })
        .collect();
    let mut expected = vec!["param"; 7];
    expected.extend(["input", "state", "gate", "gate", "gate"]);
    expected.extend(["assign", "assign", "assign", "ode", "on"]);
    assert_eq!(kinds, expected);
    // Every declaration's span is exactly its text; a gate block includes its braces.
    for item in &model.items {
        let written = text(HH, item.span);
        assert_eq!(written, written.trim(), "{written:?}");
        if let ItemKind::Gate { name, fields } = &item.kind {
            assert!(
                written.starts_with("gate ") && written.ends_with('}'),
                "{written}"
            );
            assert_eq!(fields.len(), 2, "gate {}", name.name);
            for field in fields {
                assert_eq!(text(HH, field.name.span), field.name.name);
                assert!(text(HH, field.span).starts_with(&field.name.name));
            }
        }
    }
    let on = model.items.last().expect("on");
    assert_eq!(text(HH, on.span), "on V > 0 mV {}");
    match &on.kind {
        ItemKind::On {
            condition, body, ..
        } => {
            assert_eq!(sexpr(condition), "(> V 0[mV])");
            assert!(body.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_leaky_integrate_and_fire_example_parses() {
    let model = ok(LIF);
    assert_eq!(model.name.name, "lif");
    assert_eq!(model.items.len(), 10);
    match &model.items[8].kind {
        ItemKind::Ode { state, value } => {
            assert_eq!(state.name, "V");
            assert_eq!(text(LIF, state.span), "V");
            assert_eq!(
                text(LIF, model.items[8].span),
                "dV/dt = (E_L - V + R_m * I_e) / tau_m"
            );
            assert_eq!(sexpr(value), "(/ (+ (- E_L V) (* R_m I_e)) tau_m)");
        }
        other => panic!("{other:?}"),
    }
    let on = &model.items[9];
    assert!(text(LIF, on.span).starts_with("on V > V_th {") && text(LIF, on.span).ends_with('}'));
    match &on.kind {
        ItemKind::On {
            condition, body, ..
        } => {
            assert_eq!(sexpr(condition), "(> V V_th)");
            assert_eq!(body.len(), 2);
            assert!(matches!(
                &body[0].kind,
                ItemKind::Assign { target, op: AssignOp::Set, .. } if target.name == "V"
            ));
            assert!(
                matches!(&body[1].kind, ItemKind::Refractory { duration } if sexpr(duration) == "t_ref")
            );
            assert_eq!(text(LIF, body[1].span), "refractory t_ref");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("-x^2", "(neg (^ x 2))"),
        ("a^b^c", "(^ a (^ b c))"),
        ("2^-1", "(^ 2 (neg 1))"),
        ("-2^-x^2", "(neg (^ 2 (neg (^ x 2))))"),
        ("- -x", "(neg (neg x))"),
        ("--x", "(neg (neg x))"),
        ("x * -y", "(* x (neg y))"),
        ("-a * b", "(* (neg a) b)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c", "(* (/ a b) c)"),
        ("a + b * c ^ d", "(+ a (* b (^ c d)))"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("not a and b", "(and (not a) b)"),
        ("not not a", "(not (not a))"),
        ("not a < b", "(not (< a b))"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c and d", "(or (and a b) (and c d))"),
        (
            "a < b and c >= d or not e == f",
            "(or (and (< a b) (>= c d)) (not (== e f)))",
        ),
        ("a + 1 <= b * 2", "(<= (+ a 1) (* b 2))"),
        ("a != b", "(!= a b)"),
        ("if a then b else c", "(if a b c)"),
        ("if a then b else if c then d else e", "(if a b (if c d e))"),
        ("if a then if b then c else d else e", "(if a (if b c d) e)"),
        (
            "if a > 1 then b + 1 else c * 2",
            "(if (> a 1) (+ b 1) (* c 2))",
        ),
        ("(if a then 1 else 2) + 3", "(+ (if a 1 2) 3)"),
        ("max(if a then 1 else 2, x)", "(max() (if a 1 2) x)"),
        (
            "exp(-(V + 40 mV) / 10 mV)",
            "(exp() (/ (neg (+ V 40[mV])) 10[mV]))",
        ),
        ("exp (x)", "(exp() x)"),
        ("f()", "(f() )"),
        ("t * 2", "(* t 2)"),
        ("dt", "dt"),
    ];
    for (written, expected) in cases {
        assert_eq!(tree(written), expected, "{written}");
    }
}

#[test]
fn quantities_bind_a_unit_and_its_own_exponent() {
    let cases = [
        ("-65 mV", "(neg 65[mV])"),
        ("10uA/cm^2", "(/ 10[uA] (^ cm 2))"),
        ("120 mS/cm^2", "(/ 120[mS] (^ cm 2))"),
        ("20000 um^2", "20000[um^2]"),
        ("(20000 um)^2", "(^ 20000[um] 2)"),
        ("0.1/(ms*mV)", "(/ 0.1 (* ms mV))"),
        ("2 ms^-1", "2[ms^-1]"),
        ("2 ms^(-1)", "2[ms^-1]"),
        ("2 ms ^ 2", "2[ms^2]"),
        ("1e-3", "1e-3"),
        ("1e-3 mV", "1e-3[mV]"),
        ("1e3mV", "1e3[mV]"),
        ("2.5E+4", "2.5E+4"),
        (".5", ".5"),
        ("1.", "1."),
        ("1 em", "1[em]"),
        ("2eV", "2[eV]"),
        ("3 m", "3[m]"),
        ("3\tmV", "3[mV]"),
        ("if x > 3 then 1 else 0", "(if (> x 3) 1 0)"),
        (
            "if x > 3 mV then 1 mV else 0 mV",
            "(if (> x 3[mV]) 1[mV] 0[mV])",
        ),
        ("a < 3 and b", "(and (< a 3) b)"),
        ("x^2 mV", "(^ x 2[mV])"),
    ];
    for (written, expected) in cases {
        assert_eq!(tree(written), expected, "{written}");
    }
}

#[test]
fn numbers_keep_their_text_and_value() {
    for (written, value) in [
        ("1e-3", 1e-3),
        ("2.5E+4", 2.5e4),
        (".5", 0.5),
        ("1.", 1.0),
        ("007", 7.0),
    ] {
        match value_of(written).1.kind {
            ExprKind::Number { value: v, text } => {
                assert_eq!(text, written);
                assert_eq!(v, value, "{written}");
            }
            other => panic!("{written}: {other:?}"),
        }
    }
}

#[test]
fn quantity_spans_cover_number_and_unit_with_exponent() {
    let (source, value) = value_of("-20000 um^2 + 1");
    let ExprKind::Binary { lhs, .. } = &value.kind else {
        panic!("{value:?}")
    };
    assert_eq!(text(&source, lhs.span), "-20000 um^2");
    let ExprKind::Unary { operand, .. } = &lhs.kind else {
        panic!("{lhs:?}")
    };
    assert_eq!(text(&source, operand.span), "20000 um^2");
    let ExprKind::Quantity {
        value,
        unit,
        text: written,
    } = &operand.kind
    else {
        panic!("{operand:?}")
    };
    assert_eq!(
        (*value, written.as_str(), unit.exponent),
        (20000.0, "20000", 2)
    );
    assert_eq!(text(&source, unit.span), "um^2");
}

#[test]
fn expression_spans_are_exact() {
    let (source, value) = value_of("-(a + b) * f(c, 2 mV)");
    assert_eq!(text(&source, value.span), "-(a + b) * f(c, 2 mV)");
    let ExprKind::Binary { lhs, rhs, .. } = &value.kind else {
        panic!()
    };
    assert_eq!(text(&source, lhs.span), "-(a + b)");
    let ExprKind::Unary { operand, .. } = &lhs.kind else {
        panic!()
    };
    // A parenthesised expression's span includes its parentheses.
    assert_eq!(text(&source, operand.span), "(a + b)");
    let ExprKind::Call { function, args } = &rhs.kind else {
        panic!()
    };
    assert_eq!(text(&source, function.span), "f");
    assert_eq!(text(&source, args[1].span), "2 mV");
    let (source, value) = value_of("if a then b else not c");
    assert_eq!(text(&source, value.span), "if a then b else not c");
}

#[test]
fn crlf_line_endings_parse_like_lf() {
    let crlf = HH.replace('\n', "\r\n");
    let model = ok(&crlf);
    assert_eq!(model.items.len(), ok(HH).items.len());
    for item in &model.items {
        assert!(!text(&crlf, item.span).ends_with('\r'));
    }
    let strip = |printed: String| {
        printed
            .split_whitespace()
            .filter(|word| !word.starts_with('@') && !word.ends_with(')'))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(strip(print_ast(&model)), strip(print_ast(&ok(HH))));
    assert!(parse(&LIF.replace('\n', "\r\n"), FileId(0)).is_ok());
}

#[test]
fn comments_blank_lines_and_indentation_anywhere() {
    let source = "\u{FEFF}# leading comment ü\n\n   # indented comment\nmodel m \"a # is not a comment\" # trailing\n\n\
        \tparam a = 1 # note µ\n\
        gate g { # comment after the brace\n\
        \n\
        # comment line in a block\n\
        \talpha = a   # comment\n\
        beta = 2\n\
        } # after the block\n\
        on a > 1 {\n\
        # only a comment\n\
        }\n\
        \n# final comment without newline";
    let model = ok(source);
    assert_eq!(
        model.description.as_ref().map(|d| d.0.as_str()),
        Some("a # is not a comment")
    );
    assert_eq!(model.items.len(), 3);
    assert!(matches!(&model.items[1].kind, ItemKind::Gate { fields, .. } if fields.len() == 2));
    assert!(matches!(&model.items[2].kind, ItemKind::On { body, .. } if body.is_empty()));
    assert!(text(source, model.items[1].span).ends_with('}'));
}

#[test]
fn declarations_of_every_kind() {
    let source = "model m\n\
        param tau = 10 ms\n\
        input I = 0 nA\n\
        state V = -65 mV\n\
        alpha = 3\n\
        dt = 0.1\n\
        delta = 3\n\
        dV/dt = -V / tau\n\
        d_x / dt = 1\n\
        fn f(a, b) = a * b\n\
        fn g() = 1\n\
        refractory 2 ms\n\
        on V > 0 mV {}\n\
        on V > 0 mV {\n\
            V = -70 mV\n\
            w += 1\n\
            u -= 2\n\
            refractory 2 ms\n\
            dV/dt = 0\n\
            param p = 1\n\
        }\n\
        model_name = 1\n";
    let model = ok(source);
    let summary: Vec<String> = model
        .items
        .iter()
        .map(|item| match &item.kind {
            ItemKind::Param { name, .. } => format!("param {}", name.name),
            ItemKind::Input { name, .. } => format!("input {}", name.name),
            ItemKind::State { name, .. } => format!("state {}", name.name),
            ItemKind::Gate { name, .. } => format!("gate {}", name.name),
            ItemKind::Assign { target, op, .. } => format!("assign {} {op:?}", target.name),
            ItemKind::Ode { state, .. } => format!("ode {}", state.name),
            ItemKind::Function { name, params, .. } => format!(
                "fn {}({})",
                name.name,
                params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            ItemKind::On { body, .. } => format!("on {}", body.len()),
            ItemKind::Refractory { .. } => "refractory".to_string(),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "param tau",
            "input I",
            "state V",
            "assign alpha Set",
            "assign dt Set",
            "assign delta Set",
            "ode V",
            "ode _x",
            "fn f(a,b)",
            "fn g()",
            "refractory",
            "on 0",
            "on 6",
            "assign model_name Set",
        ]
    );
    let ItemKind::On { body, .. } = &model.items[12].kind else {
        panic!()
    };
    assert!(matches!(
        &body[1].kind,
        ItemKind::Assign {
            op: AssignOp::Add,
            ..
        }
    ));
    assert!(matches!(
        &body[2].kind,
        ItemKind::Assign {
            op: AssignOp::Sub,
            ..
        }
    ));
    assert!(matches!(&body[4].kind, ItemKind::Ode { .. }));
    let ItemKind::Ode { state, .. } = &model.items[7].kind else {
        panic!()
    };
    assert_eq!(text(source, state.span), "_x");
}

#[test]
fn the_description_is_optional() {
    let model = ok("model bare\nx = 1");
    assert_eq!(model.description, None);
    assert_eq!(text("model bare\nx = 1", model.header_span), "model bare");
}

#[test]
fn print_ast_of_a_small_model_is_exact() {
    let source = "model m \"d\"\nx = -a^2 # c\non x > 1 mV {\n    x += 2 um^2\n}\n";
    let expected = "\
Model m @6..7 (header @0..11)
  description \"d\" @8..11
  Assign x = @12..13 (item @12..20)
    Unary - @16..20
      Binary ^ @17..20
        Name a @17..18
        Number 2 @19..20
  On (item @25..56)
    condition: Binary > @28..36
      Name x @28..29
      Quantity 1 mV @32..36 (unit @34..36)
    body:
      Assign x += @43..44 (item @43..54)
        Quantity 2 um^2 @48..54 (unit @50..54)
";
    assert_eq!(print_ast(&ok(source)), expected);
}

#[test]
fn print_ast_of_hodgkin_huxley_shows_the_structure() {
    let model = ok(HH);
    let printed = print_ast(&model);
    assert_eq!(printed, print_ast(&ok(HH)), "deterministic");
    let lines: Vec<&str> = printed.lines().collect();
    assert!(
        lines[0].starts_with("Model hh @6..8 (header @0..66)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("  description \"Hodgkin–Huxley"),
        "{}",
        lines[1]
    );
    for expected in [
        "  Param c_m ",
        "  Input I_e ",
        "  State V ",
        "  Gate m ",
        "    Field alpha ",
        "    Field beta ",
        "  Assign I_Na = ",
        "  Ode V ",
        "  On (item ",
        "    condition: Binary > ",
        "    body: (empty)",
        "Call exp ",
        "Quantity 40 mV ",
        "Quantity -54.387 mV",
    ] {
        let present = lines.iter().any(|line| {
            line.starts_with(expected) || line.trim_start().starts_with(expected.trim_start())
        });
        if expected == "Quantity -54.387 mV" {
            // Negative literals are a unary minus applied to the quantity.
            assert!(!present, "{expected}");
            assert!(printed.contains("Quantity 54.387 mV"));
        } else {
            assert!(present, "missing {expected:?} in\n{printed}");
        }
    }
    // `m^3` in I_Na: a power of the gate variable.
    let i_na = lines
        .iter()
        .position(|line| line.starts_with("  Assign I_Na"))
        .expect("I_Na");
    assert!(lines[i_na..]
        .iter()
        .take(12)
        .any(|line| line.trim_start().starts_with("Binary ^")));
    // Every printed span lies inside the source and starts on a character boundary.
    for word in printed.split_whitespace() {
        let word = word.trim_start_matches('(').trim_end_matches([')', ',']);
        if let Some(range) = word.strip_prefix('@') {
            let (start, end) = range.split_once("..").expect("start..end");
            let (start, end): (usize, usize) = (start.parse().unwrap(), end.parse().unwrap());
            assert!(
                start <= end
                    && end <= HH.len()
                    && HH.is_char_boundary(start)
                    && HH.is_char_boundary(end)
            );
        }
    }
    // One node per line, indented by two spaces per level.
    assert!(lines
        .iter()
        .all(|line| (line.len() - line.trim_start().len()) % 2 == 0));
}

#[test]
fn spans_exclude_trailing_whitespace_and_comments() {
    let source = "model m   # header comment\n\
        x = a^2   # c\n\
        y = if a then b else c  \t# c\n\
        param p = 1 + 2 # c\n\
        gate g {\n\
        \talpha = a   # c\n\
        }\n";
    let model = ok(source);
    assert_eq!(text(source, model.header_span), "model m");
    let texts: Vec<&str> = model.items.iter().map(|i| text(source, i.span)).collect();
    assert_eq!(
        texts[..3],
        ["x = a^2", "y = if a then b else c", "param p = 1 + 2"]
    );
    let ItemKind::Assign { value, .. } = &model.items[1].kind else {
        panic!()
    };
    assert_eq!(text(source, value.span), "if a then b else c");
    let ItemKind::Gate { fields, .. } = &model.items[3].kind else {
        panic!()
    };
    assert_eq!(text(source, fields[0].span), "alpha = a");
}

#[test]
fn an_event_may_say_whether_it_is_a_spike() {
    let source = "model m\n\
        on t > 80 ms silent {\n    V += 10 mV\n}\n\
        on V > 0 mV spike {}\n\
        on V > silent {}\n\
        on V > 0 mV {}\n";
    let model = ok(source);
    let markers: Vec<Option<(bool, &str)>> = model
        .items
        .iter()
        .map(|item| match &item.kind {
            ItemKind::On { marker, .. } => marker.map(|m| (m.spike, text(source, m.span))),
            other => panic!("{other:?}"),
        })
        .collect();
    // The words are not reserved: `silent` right after `>` is a name in the condition.
    assert_eq!(
        markers,
        vec![Some((false, "silent")), Some((true, "spike")), None, None]
    );
    assert!(print_ast(&model).contains("marker: silent"));
    // A marker is one word before the block, nothing else.
    assert!(parse("model m\non V > 0 mV loud {}\n", FileId(0)).is_err());
}

#[test]
fn a_marker_after_a_bare_number_is_not_its_unit() {
    let source = "model m\non V > 2 silent {}\non t > 90 spike {}\nx = 2 spike\n";
    let model = ok(source);
    for item in &model.items[..2] {
        match &item.kind {
            ItemKind::On {
                condition, marker, ..
            } => {
                assert!(marker.is_some());
                assert!(!sexpr(condition).contains('['), "{}", sexpr(condition));
            }
            other => panic!("{other:?}"),
        }
    }
    // Elsewhere the word after a number is still read as its unit (and the checker says
    // that no unit has that name).
    assert!(print_ast(&model).contains("spike"));
}
