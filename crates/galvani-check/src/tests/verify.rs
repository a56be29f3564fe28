//! `Model::verify` accepts what `check` produces and rejects each kind of corruption, and
//! the checker's own guards for ASTs the parser would never produce.

use super::*;
use galvani_ir::verify::VerifyError;
use galvani_ir::{Dim, ExprId, ExprKind, IntermediateId, ParamId, StateId};

fn hh() -> Model {
    ok(models::HH)
}

fn fails(m: &Model) -> VerifyError {
    match m.verify() {
        Ok(()) => panic!("verify accepted a corrupted model"),
        Err(e) => e,
    }
}

#[test]
fn a_wrong_stored_dimension_is_caught() {
    let mut m = hh();
    let id = m.intermediates[0].value;
    m.exprs.nodes[id.index()].dim = Dim::VOLTAGE;
    assert!(matches!(
        fails(&m),
        VerifyError::Dimension { .. } | VerifyError::RootDimension { .. }
    ));
}

#[test]
fn a_forward_child_is_caught() {
    let mut m = hh();
    let last = ExprId(m.exprs.len() as u32 - 1);
    let first_binary = m
        .exprs
        .nodes
        .iter()
        .position(|n| matches!(n.kind, ExprKind::Binary(..)))
        .unwrap();
    if let ExprKind::Binary(_, a, _) = &mut m.exprs.nodes[first_binary].kind {
        *a = last;
    }
    assert!(matches!(fails(&m), VerifyError::ChildOrder { .. }));
}

#[test]
fn param_and_intermediate_order_are_checked() {
    let mut m = ok(&model(
        "param a = 1\nparam b = a * 2\nstate V = 0\nx = V\ny = x\ndV/dt = y",
    ));
    m.params.swap(0, 1);
    assert!(matches!(fails(&m), VerifyError::Order { .. }));

    let mut m = ok(&model(
        "param a = 1\nparam b = a * 2\nstate V = 0\nx = V\ny = x\ndV/dt = y",
    ));
    m.intermediates.swap(0, 1);
    // The references still name the old ids: intermediate 0 now refers to itself.
    let err = fails(&m);
    assert!(
        matches!(
            err,
            VerifyError::Order { .. } | VerifyError::Dimension { .. }
        ),
        "{err}"
    );
}

#[test]
fn init_order_must_be_a_valid_permutation() {
    let mut m = hh();
    m.init_order.pop();
    assert!(matches!(
        fails(&m),
        VerifyError::InitOrderNotPermutation { .. }
    ));
    let mut m = hh();
    m.init_order[1] = StateId(1);
    m.init_order[0] = StateId(1);
    assert!(matches!(
        fails(&m),
        VerifyError::InitOrderNotPermutation { .. }
    ));
    // m's steady state needs V: putting m first is wrong.
    let mut m = hh();
    m.init_order.swap(0, 1);
    assert!(matches!(fails(&m), VerifyError::Order { .. }));
}

#[test]
fn derivative_dimension_is_checked() {
    let mut m = hh();
    m.states[0].derivative = m.states[0].init;
    assert!(matches!(fails(&m), VerifyError::RootDimension { .. }));
}

#[test]
fn references_out_of_range_are_caught() {
    let mut m = hh();
    let p = m
        .exprs
        .nodes
        .iter()
        .position(|n| matches!(n.kind, ExprKind::Param(_)))
        .unwrap();
    m.exprs.nodes[p].kind = ExprKind::Param(ParamId(99));
    assert!(matches!(fails(&m), VerifyError::RefOutOfRange { .. }));
    let mut m = hh();
    m.intermediates[0].value = ExprId(1_000_000);
    assert!(matches!(fails(&m), VerifyError::RootOutOfRange { .. }));
    let mut m = hh();
    let x = m
        .exprs
        .nodes
        .iter()
        .position(|n| matches!(n.kind, ExprKind::Intermediate(_)))
        .unwrap();
    m.exprs.nodes[x].kind = ExprKind::Intermediate(IntermediateId(7));
    assert!(matches!(fails(&m), VerifyError::RefOutOfRange { .. }));
}

#[test]
fn booleans_only_where_conditions_belong() {
    let mut m = ok(&model("state V = 0\ndV/dt = -V\non V > 1 {}"));
    let cond = m.events[0].condition;
    m.states[0].derivative = cond;
    assert!(fails(&m).to_string().contains("condition"));
}

#[test]
fn reserved_names_in_hand_built_asts() {
    // The parser refuses `t` as a name; an AST built by hand still gets a diagnostic.
    let mut ast = parse(&model("param x = 1\nstate V = 0\ndV/dt = -V"));
    if let galvani_syntax::ast::ItemKind::Param { name, .. } = &mut ast.items[0].kind {
        name.name = "t".to_string();
    }
    let errs = crate::check(&ast).unwrap_err().0;
    let d = errs[0].to_diagnostic();
    assert_eq!(d.code, Some(galvani_diag::codes::RESERVED));
    assert_eq!(d.message, "`t` is reserved: it is the simulation time");
}

#[test]
fn unused_functions_are_warned_about() {
    let ast = parse(&model("fn f(x) = x * 2\nstate V = 0\ndV/dt = -V"));
    let checked = crate::check(&ast).unwrap();
    assert_eq!(checked.warnings.len(), 1);
    let w = &checked.warnings[0];
    assert_eq!(w.message, "function `f` is never used");
    assert_eq!(w.code, Some(galvani_diag::codes::UNUSED_FUNCTION));
    assert!(!w.is_error());
    let ast = parse(&model("fn f(x) = x * 2\nstate V = 0\ndV/dt = -f(V)"));
    assert!(crate::check(&ast).unwrap().warnings.is_empty());
}
