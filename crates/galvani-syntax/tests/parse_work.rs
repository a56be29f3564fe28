//! How much work parsing costs, counted rather than timed: pest's call budget
//! (`pest::set_call_limit`), which each `GalParser::parse` call captures afresh, bounds the
//! work per declaration; a 100,000-line file must parse within it, and lines nested too
//! deeply must be refused without pest running at all.
//!
//! Why not a clock: a timed assertion in a debug-build test either flakes on a busy
//! machine or has so wide a margin that it proves little. `parse` cuts the file into
//! declarations with one forward line scan and runs pest on each declaration alone, so a
//! fixed budget per pest call that a 100,000-line file never exceeds means the parse is
//! linear in the number of declarations. Speed itself is measured where speed is measured
//! in this project: `galvani bench` (parse + check of a file, in a release build).
//!
//! The budget is process-wide, so this file holds a single test and sets it in sequence.

use std::num::NonZeroUsize;

use galvani_diag::{codes, FileId};
use galvani_syntax::{parse, ParseError};

/// pest calls allowed for one declaration: about twice what the most expensive declaration
/// of the file below costs (its gate block, about 900 calls with pest 2.9), and a vanishing
/// fraction of what re-reading the file for each declaration would cost.
const CALLS_PER_DECLARATION: usize = 2_000;

/// Enough pest calls for a `model` line (about 40), too few for any line with an
/// expression (`x = a` needs about 120).
const CALLS_FOR_THE_MODEL_LINE_ONLY: usize = 100;

/// A file of about `lines` lines like a real model's: parameters with units, currents,
/// states, equations, comments, blank lines and a gate block now and then.
fn big_file(lines: usize) -> String {
    let mut source = String::from("model big \"many declarations\"\nparam tau = 10 ms\n");
    let mut written = 2;
    let mut i = 0;
    while written < lines {
        let chunk = match i % 6 {
            0 => format!("param g{i} = 120 mS/cm^2   # conductance\n"),
            1 => format!("I{i} = g{} * m^3 * h * (V - E_Na)\n", i - 1),
            2 => format!("state s{i} = -65 mV\n"),
            3 => format!("ds{}/dt = (I{} - s{}) / tau\n", i - 1, i - 2, i - 1),
            4 => "\n".to_string(),
            _ => format!(
                "gate q{i} {{\n    alpha = 0.1/ms * exp(-(V + 40 mV) / 10 mV)\n    beta = 4/ms\n}}\n"
            ),
        };
        written += chunk.matches('\n').count();
        source.push_str(&chunk);
        i += 1;
    }
    source
}

fn set_budget(calls: usize) {
    pest::set_call_limit(Some(NonZeroUsize::new(calls).expect("a positive budget")));
}

#[test]
fn parsing_costs_a_bounded_number_of_pest_calls_per_declaration() {
    let source = big_file(100_000);

    set_budget(CALLS_PER_DECLARATION);
    let model = parse(&source, FileId(0)).expect("a 100,000-line file parses within the budget");
    assert!(model.items.len() > 50_000, "{}", model.items.len());

    // The budget is live: one too small for the gate block refuses the same file, so the
    // success above is a real bound and not a setting pest ignores.
    set_budget(CALLS_PER_DECLARATION / 4);
    assert!(
        parse(&source, FileId(0)).is_err(),
        "a quarter of the budget cannot parse a gate block"
    );

    // Too deep is refused by the line scan before pest sees the line: with a budget that
    // parses the `model` line but no expression at all, the answer is still TOO_DEEP.
    set_budget(CALLS_FOR_THE_MODEL_LINE_ONLY);
    assert!(
        parse("model deep\n", FileId(0)).is_ok(),
        "the budget parses a model line"
    );
    assert!(
        parse("model deep\nx = a\n", FileId(0)).is_err(),
        "the budget parses no expression"
    );
    let parentheses = format!("model deep\nx = {}a\n", "(".repeat(100_000));
    let blocks = format!("model deep\n{}", "on x {\n".repeat(10_000));
    for source in [parentheses, blocks] {
        match parse(&source, FileId(0)) {
            Err(error @ ParseError::LineTooDeep { .. }) => {
                assert_eq!(error.code(), codes::TOO_DEEP)
            }
            other => panic!("refused by the line scan, without pest: {other:?}"),
        }
    }

    pest::set_call_limit(None);
}
