//! Robustness: no input makes `check` panic (generated and mutated model texts), a broken
//! file stops after `MAX_ERRORS`, deep or explosive function nesting is an error, and a
//! large valid file checks in linear-ish time.

use super::*;
use crate::MAX_ERRORS;
use galvani_diag::codes;
use proptest::prelude::*;

/// Everything a checker may be handed must give `Ok` (then a model that verifies, prints
/// and evaluates) or errors — never a panic.
fn survives(src: &str) {
    let Ok(ast) = galvani_syntax::parse(src, FileId(0)) else {
        return;
    };
    match check(&ast) {
        Ok(c) => {
            if let Err(e) = c.model.verify() {
                panic!("verify failed: {e}\n{src}");
            }
            let _ = galvani_ir::text::model_to_text(&c.model);
            let p = c.model.param_values();
            let i = c.model.input_defaults(&p);
            let y = c.model.initial_state(&p, &i);
            let _ = c.model.derivatives(&p, &i, &y, 0.0);
            super::roundtrip::assert_round_trip(&c.model);
        }
        Err(errors) => {
            assert!(!errors.0.is_empty());
            for e in &errors.0 {
                let d = e.to_diagnostic();
                assert!(!d.message.is_empty());
                for l in &d.labels {
                    assert!(
                        l.span.end as usize <= src.len(),
                        "label beyond the file: {d:?}"
                    );
                }
            }
        }
    }
}

const NAMES: &[&str] = &[
    "V",
    "w",
    "m",
    "h",
    "g_L",
    "E_L",
    "tau",
    "I",
    "x",
    "y",
    "f",
    "g",
    "t",
    "mV",
    "ms",
    "nA",
    "exp",
    "Mohm",
    "um",
    "q_unknown",
];
const UNITS: &[&str] = &[
    "mV", "ms", "nA", "uF", "cm^2", "um^2", "mS", "Hz", "mv", "s^-1",
];
const FUNCS: &[&str] = &["exp", "sqrt", "min", "pow", "exprel", "f", "g", "V", "nope"];

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..200).prop_map(|n| format!("{}", f64::from(n) / 4.0)),
        ((0u32..100), prop::sample::select(UNITS)).prop_map(|(n, u)| format!("{n} {u}")),
        prop::sample::select(NAMES).prop_map(str::to_string),
    ];
    leaf.prop_recursive(5, 40, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(&["+", "-", "*", "/", "^", "<", ">=", "and", "or"][..]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            inner.clone().prop_map(|a| format!("not ({a})")),
            (
                prop::sample::select(FUNCS),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
        ]
    })
}

fn line() -> impl Strategy<Value = String> {
    let name = prop::sample::select(NAMES).prop_map(str::to_string);
    prop_oneof![
        (name.clone(), expr()).prop_map(|(n, e)| format!("param {n} = {e}")),
        (name.clone(), expr()).prop_map(|(n, e)| format!("input {n} = {e}")),
        (name.clone(), expr()).prop_map(|(n, e)| format!("state {n} = {e}")),
        (name.clone(), expr()).prop_map(|(n, e)| format!("{n} = {e}")),
        (name.clone(), expr()).prop_map(|(n, e)| format!("d{n}/dt = {e}")),
        (prop::sample::select(&["f", "g"][..]), expr())
            .prop_map(|(n, e)| format!("fn {n}(x, y) = {e}")),
        (
            name.clone(),
            prop::collection::vec(
                (
                    prop::sample::select(&["alpha", "beta", "inf", "tau", "init", "alfa"][..]),
                    expr()
                ),
                0..4,
            )
        )
            .prop_map(|(n, fields)| {
                let body: Vec<String> = fields
                    .iter()
                    .map(|(f, e)| format!("    {f} = {e}"))
                    .collect();
                format!("gate {n} {{\n{}\n}}", body.join("\n"))
            }),
        (
            expr(),
            name.clone(),
            prop::sample::select(&["=", "+=", "-="][..]),
            expr(),
            prop::option::of(expr())
        )
            .prop_map(|(c, n, op, e, r)| {
                let r = r
                    .map(|r| format!("\n    refractory {r}"))
                    .unwrap_or_default();
                format!("on {c} {{\n    {n} {op} {e}{r}\n}}")
            }),
        expr().prop_map(|e| format!("refractory {e}")),
    ]
}

const TOKENS: &[&str] = &[
    " mV",
    " ms",
    "V",
    "(",
    ")",
    " + ",
    " * ",
    "^",
    "2",
    "-",
    " t ",
    "exp(",
    "m",
    "\n",
    "=",
    "{",
    "}",
    "state x = 1\n",
    "param V = 2\n",
    "dV/dt = 1\n",
    "gate m {\n",
    "fn f(a) = a\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn generated_models_never_panic(lines in prop::collection::vec(line(), 0..12)) {
        let src = format!("model gen\n{}\n", lines.join("\n"));
        survives(&src);
    }

    #[test]
    fn mutated_models_never_panic(
        which in 0usize..2,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..6, prop::sample::select(TOKENS)), 1..6),
    ) {
        let mut src = [models::HH, models::LIF][which].to_string();
        for (at, delete, insert) in edits {
            let mut pos = at.index(src.len() + 1);
            while !src.is_char_boundary(pos) {
                pos -= 1;
            }
            let mut end = (pos + delete).min(src.len());
            while !src.is_char_boundary(end) {
                end += 1;
            }
            src.replace_range(pos..end, insert);
        }
        survives(&src);
    }
}

#[test]
fn errors_stop_after_the_cap_with_a_count() {
    let mut body = String::from("state V = 0\ndV/dt = -V\n");
    for k in 0..1000 {
        body.push_str(&format!("x{k} = unknown{k}\n"));
    }
    let errs = errors(&model(&body));
    assert_eq!(errs.len(), MAX_ERRORS + 1);
    let last = errs.last().unwrap().to_diagnostic();
    assert_eq!(last.message, "…and 900 more errors");
    assert!(errs[..MAX_ERRORS]
        .windows(2)
        .all(|w| w[0].primary_span() <= w[1].primary_span()));
}

#[test]
fn errors_are_sorted_by_position() {
    let src =
        model("state V = 0\nstate w = 0\ndV/dt = unknown_a\nparam p = 1 mV + 1\ndw/dt = unknown_b");
    let errs = errors(&src);
    let starts: Vec<u32> = errs
        .iter()
        .filter_map(|e| e.primary_span())
        .map(|s| s.start)
        .collect();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(starts, sorted);
    assert!(errs.len() >= 3);
}

#[test]
fn deeply_nested_functions_are_an_error_not_a_stack_overflow() {
    let mut body = String::from("fn f0(x) = x + 1\n");
    for k in 1..200 {
        body.push_str(&format!("fn f{k}(x) = f{}(x) * 2\n", k - 1));
    }
    body.push_str("state V = 0\ndV/dt = f199(V)\n");
    let errs = errors(&model(&body));
    assert!(errs
        .iter()
        .any(|e| e.to_diagnostic().code == Some(codes::TOO_DEEP)));
}

#[test]
fn exponential_inlining_is_stopped_by_the_node_budget() {
    let mut body = String::from("fn f0(x) = x + 1\n");
    for k in 1..30 {
        body.push_str(&format!("fn f{k}(x) = f{}(x) + f{}(x)\n", k - 1, k - 1));
    }
    body.push_str("state V = 0\ndV/dt = f29(V)\n");
    // Fast because the work is counted, not because a clock says so (a timed assertion
    // flakes on a busy machine): inlined calls nest 30 deep, under the nesting limit, so
    // only the node budget per top-level expression (`MAX_NODES_PER_ROOT`) can stop the
    // 2^30-node expansion. This error is that budget's, so inlining built at most that
    // many nodes before giving up.
    let errs = errors(&model(&body));
    assert!(
        errs.iter().any(|e| matches!(
            e,
            CheckError::TooLarge {
                reason: crate::TooLargeReason::Expansion,
                ..
            }
        )),
        "stopped by the node budget: {errs:?}"
    );
    assert!(errs
        .iter()
        .any(|e| e.to_diagnostic().code == Some(codes::TOO_DEEP)));
}

/// A valid model of `4·n` lines: a param, a state, an intermediate and an equation per
/// group, with units, referring to the group before.
pub fn big_model(n: usize) -> String {
    let mut s = String::from("model big \"generated\"\n");
    for k in 0..n {
        let prev = if k == 0 {
            "0 mV".to_string()
        } else {
            format!("i{}", k - 1)
        };
        s.push_str(&format!("param p{k} = {k} mV\n"));
        s.push_str(&format!("state s{k} = p{k}\n"));
        s.push_str(&format!("i{k} = s{k} * 2 + {prev}\n"));
        s.push_str(&format!("ds{k}/dt = (p{k} - i{k}) / (10 ms)\n"));
    }
    s
}

#[test]
fn a_large_file_checks() {
    let src = big_model(5_000);
    let m = ok(&src);
    assert_eq!(m.states.len(), 5_000);
    assert_eq!(m.intermediates.len(), 5_000);
}

/// `1 + (1 + (… x …))`, `depth` levels deep (the parser allows 128).
fn nested(depth: usize, inner: &str) -> String {
    let mut s = inner.to_string();
    for _ in 0..depth {
        s = format!("1 + ({s})");
    }
    s
}

#[test]
fn maximal_nesting_through_functions_fits_a_small_stack() {
    // Runs on a 2 MiB thread in debug builds: each body is nested 60 deep around the call
    // of the next function, so the lowering recursion passes `MAX_DEPTH` and stops there.
    let mut body = format!("fn f0(x) = {}\n", nested(60, "x"));
    for k in 1..12 {
        body.push_str(&format!(
            "fn f{k}(x) = {}\n",
            nested(60, &format!("f{}(x)", k - 1))
        ));
    }
    body.push_str(&format!("state V = 0\ndV/dt = {}\n", nested(60, "f11(V)")));
    let src = model(&body);
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || errors(&src))
        .unwrap();
    let errs = handle.join().expect("no stack overflow");
    assert!(errs
        .iter()
        .any(|e| e.to_diagnostic().code == Some(codes::TOO_DEEP)));
    // Just under the limits it checks.
    let mut body = format!("fn f0(x) = {}\n", nested(60, "x"));
    for k in 1..4 {
        body.push_str(&format!(
            "fn f{k}(x) = {}\n",
            nested(60, &format!("f{}(x)", k - 1))
        ));
    }
    body.push_str(&format!("state V = 0\ndV/dt = {}\n", nested(60, "f3(V)")));
    let src = model(&body);
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || ok(&src).exprs.len())
        .unwrap();
    assert!(handle.join().expect("no stack overflow") > 300);
}

/// Dimensionally correct expressions: `(voltage, dimensionless, condition)` strategies.
/// With `in_gate`, no leaf uses the gate `m` or the intermediate `z` (which uses `m`), so
/// that the gate's steady state does not depend on itself.
fn typed(
    in_gate: bool,
) -> (
    BoxedStrategy<String>,
    BoxedStrategy<String>,
    BoxedStrategy<String>,
) {
    let volts: &'static [&'static str] = if in_gate {
        &["V", "E", "w", "t * (1 mV/ms)"]
    } else {
        &["V", "E", "w", "z", "t * (1 mV/ms)"]
    };
    let dlesses: &'static [&'static str] = if in_gate {
        &["k", "I"]
    } else {
        &["k", "m", "I"]
    };
    let volt_leaf = prop_oneof![
        prop::sample::select(volts).prop_map(str::to_string),
        (-100i32..100).prop_map(|n| format!("{n} mV")),
        (1u32..50).prop_map(|n| format!("{n}e-3 V")),
    ];
    let dless_leaf = prop_oneof![
        (0u32..40).prop_map(|n| format!("{}", f64::from(n) / 8.0)),
        prop::sample::select(dlesses).prop_map(str::to_string),
    ];
    // Each level builds from the previous level of both kinds.
    let mut volt: BoxedStrategy<String> = volt_leaf.boxed();
    let mut dless: BoxedStrategy<String> = dless_leaf.boxed();
    for _ in 0..3 {
        let (v, d) = (volt.clone(), dless.clone());
        let cond = prop_oneof![
            (
                v.clone(),
                prop::sample::select(&["<", "<=", ">", ">=", "==", "!="][..]),
                v.clone()
            )
                .prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            (d.clone(), d.clone()).prop_map(|(a, b)| format!("({a}) > ({b})")),
        ]
        .boxed();
        let cond = prop_oneof![
            cond.clone(),
            (cond.clone(), cond.clone()).prop_map(|(a, b)| format!("({a}) and ({b}) or not ({a})")),
        ];
        let new_volt = prop_oneof![
            v.clone(),
            (v.clone(), prop::sample::select(&["+", "-"][..]), v.clone())
                .prop_map(|(a, op, b)| format!("(({a}) {op} ({b}))")),
            v.clone().prop_map(|a| format!("-({a})")),
            (d.clone(), v.clone()).prop_map(|(a, b)| format!("(({a}) * ({b}))")),
            (v.clone(), d.clone()).prop_map(|(a, b)| format!("(({a}) / (1 + ({b})^2))")),
            (v.clone(), v.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
            (v.clone(), v.clone()).prop_map(|(a, b)| format!("sqrt(abs(({a}) * ({b})))")),
            (cond.clone(), v.clone(), v.clone())
                .prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
            v.clone().prop_map(|a| format!("fv({a}, 2)")),
        ]
        .boxed();
        let new_dless = prop_oneof![
            d.clone(),
            (
                d.clone(),
                prop::sample::select(&["+", "-", "*", "/", "^"][..]),
                d.clone()
            )
                .prop_map(|(a, op, b)| format!("(({a}) {op} ({b}))")),
            (v.clone(), v.clone()).prop_map(|(a, b)| format!("(({a}) / ({b}))")),
            v.clone().prop_map(|a| format!("(({a})^2 / (1 mV)^2)")),
            (
                prop::sample::select(
                    &[
                        "exp",
                        "expm1",
                        "log",
                        "log1p",
                        "sin",
                        "cos",
                        "tanh",
                        "exprel",
                        "cosh",
                        "sinh",
                        "atan",
                        "erf",
                        "heaviside"
                    ][..]
                ),
                d.clone()
            )
                .prop_map(|(f, a)| format!("{f}({a})")),
            v.clone().prop_map(|a| format!("exprel(({a}) / (10 mV))")),
            (d.clone(), d.clone()).prop_map(|(a, b)| format!("pow({a}, {b})")),
            (v.clone(), d.clone()).prop_map(|(a, b)| format!("(fd({a}) * ({b}))")),
        ]
        .boxed();
        volt = new_volt;
        dless = new_dless;
    }
    let v = volt.clone();
    let cond = (v.clone(), v)
        .prop_map(|(a, b)| format!("({a}) > ({b})"))
        .boxed();
    (volt, dless, cond)
}

fn typed_model() -> impl Strategy<Value = String> {
    let (volt, dless, cond) = typed(false);
    // `z` and the gate's `inf` must not use themselves: they take the restricted kind.
    let (plain_volt, gate_dless, _) = typed(true);
    (
        (plain_volt, volt.clone(), volt.clone(), gate_dless),
        (dless, cond, volt.clone(), volt),
    )
        .prop_map(|((z, dv, dw, inf), (tau, c, reset, jump))| {
            format!(
                "model typed\n\
                 fn fv(x, n) = x * n / (1 + n)\n\
                 fn fd(x) = x / (1 mV)\n\
                 param E = -65 mV\nparam k = 0.5\ninput I = 0.125\n\
                 state V = -60 mV\nstate w = E / 10\n\
                 gate m {{\n    inf = 1 / (1 + exp(-{inf}))\n    tau = 2 ms * (1 + ({tau})^2)\n}}\n\
                 z = {z}\n\
                 dV/dt = ({dv}) / (10 ms)\n\
                 dw/dt = ({dw} - w) / (5 ms)\n\
                 on {c} {{\n    V = {reset}\n    w += {jump}\n    refractory 1 ms\n}}\n"
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, .. ProptestConfig::default() })]

    /// Dimensionally correct models check, verify, and print back to the same values.
    #[test]
    fn typed_models_check_and_round_trip(src in typed_model()) {
        let m = match check(&parse(&src)) {
            Ok(c) => c.model,
            Err(e) => panic!("{:#?}\n{src}", e.to_diagnostics()),
        };
        prop_assert!(m.verify().is_ok());
        super::roundtrip::assert_round_trip(&m);
    }
}
