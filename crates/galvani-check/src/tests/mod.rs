//! Unit tests of the checker: each error class (code, message, labelled spans), scoping,
//! units, gates, ordering, the spec's models, and robustness.

mod dims;
pub mod models;
mod names;
mod noise;
mod order;
mod robust;
mod roundtrip;
mod structure;
mod units;
mod verify;

use crate::{check, CheckError};
use galvani_diag::{Diagnostic, FileId, Span};
use galvani_ir::Model;
use galvani_syntax::ast;

pub fn parse(src: &str) -> ast::Model {
    match galvani_syntax::parse(src, FileId(0)) {
        Ok(m) => m,
        Err(e) => panic!("parse error: {:?}\n{src}", e.to_diagnostic()),
    }
}

/// Every file of the model library `models/`, as (file stem, text), sorted by name: the
/// suites that cover "every shipped model" read the directory, so adding a model is
/// adding a file.
pub fn library_sources() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut sources: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "gal"))
        .map(|path| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (stem, text)
        })
        .collect();
    sources.sort();
    assert!(!sources.is_empty(), "the model library is in models/");
    sources
}

/// Checks `src`, which must be valid; verifies the model.
pub fn ok(src: &str) -> Model {
    let ast = parse(src);
    match check(&ast) {
        Ok(c) => {
            if let Err(e) = c.model.verify() {
                panic!("verify failed: {e}\n{src}");
            }
            c.model
        }
        Err(e) => panic!("unexpected errors:\n{:#?}\n{src}", e.to_diagnostics()),
    }
}

/// Checks `src`, which must fail; returns the errors.
pub fn errors(src: &str) -> Vec<CheckError> {
    let ast = parse(src);
    match check(&ast) {
        Ok(_) => panic!("expected errors:\n{src}"),
        Err(e) => e.0,
    }
}

/// The single error of `src`, as a diagnostic.
pub fn one(src: &str) -> Diagnostic {
    let errs = errors(src);
    assert_eq!(
        errs.len(),
        1,
        "expected exactly one error, got {:#?}",
        errs.iter().map(|e| e.to_diagnostic()).collect::<Vec<_>>()
    );
    errs[0].to_diagnostic()
}

/// The source text a span covers.
pub fn text(src: &str, span: Span) -> &str {
    &src[span.range()]
}

/// (primary?, covered text, message) of every label.
pub fn labels<'s>(src: &'s str, d: &Diagnostic) -> Vec<(bool, &'s str, String)> {
    d.labels
        .iter()
        .map(|l| (l.primary, text(src, l.span), l.message.clone()))
        .collect()
}

/// A model header plus `body`.
pub fn model(body: &str) -> String {
    format!("model test \"a test model\"\n{body}\n")
}
