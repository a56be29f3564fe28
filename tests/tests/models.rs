//! Every model in `models/` must check cleanly; one named snapshot per pipeline stage per
//! model (`ast@hh.gal`, `ir@hh.gal`, `linear@hh.gal`, `step_rk4@hh.gal`,
//! `clif_expeuler2@hh.gal`, …), and one per format of the `galvani explain` teaching view
//! (`explain_text@hh.gal`, `explain_markdown@hh.gal`, `explain_latex@hh.gal`,
//! `explain_json@hh.gal`). Adding a model is adding a file.

use galvani_ir::step::Method;
use galvani_tests::{check_file, render_all};

#[test]
fn every_model_checks_and_matches_its_stage_snapshots() {
    insta::glob!("../../models", "*.gal", |path| {
        let (sources, checked) = match check_file(path) {
            Ok(ok) => ok,
            Err(rendered) => panic!("{} must check cleanly:\n{rendered}", path.display()),
        };
        checked
            .model
            .verify()
            .unwrap_or_else(|e| panic!("{}: checked model fails verify(): {e}", path.display()));
        // The library's only warnings are the rate singularities rewritten with `exprel`.
        let unexpected = checked
            .warnings
            .iter()
            .filter(|w| w.code != Some(galvani_diag::codes::SINGULARITY_REWRITE));
        let warnings = render_all(&sources, unexpected);
        assert!(
            warnings.is_empty(),
            "{} has unexpected warnings:\n{warnings}",
            path.display()
        );
        insta::assert_snapshot!("ast", galvani_syntax::print_ast(&checked.ast));
        insta::assert_snapshot!("ir", galvani_ir::text::model_to_text(&checked.model));
    });
}

#[test]
fn every_model_opens_with_a_comment_citing_its_source() {
    insta::glob!("../../models", "*.gal", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with('#'),
            "{} must open with a comment citing its source and units",
            path.display()
        );
    });
}

#[test]
fn every_model_matches_its_linear_step_and_clif_snapshots() {
    insta::glob!("../../models", "*.gal", |path| {
        let (sources, file) = galvani_tests::load(path);
        let (_, linearized) = galvani_driver::linearize(&sources, file)
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), render_all(&sources, d.iter())));
        linearized
            .verify()
            .unwrap_or_else(|e| panic!("{}: linear forms fail verify(): {e}", path.display()));
        insta::assert_snapshot!("linear", galvani_views::linear_text(&linearized));
        // A model with white noise has the methods that integrate it (the others are
        // refused, tested in `noise.rs`).
        let has_noise = linearized.model().has_noise();
        for method in Method::ALL
            .into_iter()
            .filter(|m| !has_noise || m.handles_noise())
        {
            let program = match galvani_symbolic::discretize(&linearized, method) {
                Ok(program) => program,
                // `exact` takes only linear equations with constant coefficients.
                Err(galvani_symbolic::SymbolicError::NotExact { .. })
                    if method == Method::Exact =>
                {
                    continue
                }
                Err(e) => panic!("{} {method:?}: {e}", path.display()),
            };
            insta::assert_snapshot!(
                format!("step_{}", method.name()),
                galvani_ir::step_text::step_to_text(&program)
            );
            let clif = galvani_codegen::clif_text(&program)
                .unwrap_or_else(|e| panic!("{} {method:?}: {e}", path.display()));
            insta::assert_snapshot!(format!("clif_{}", method.name()), clif);
        }
    });
}

/// The teaching view is part of the product: each format is snapshotted exactly as
/// `galvani explain FILE --format F` prints it (the default method — `expeuler2`, or
/// `expeuler` for a model with noise —, places in the file as line and column of its
/// text).
#[test]
fn every_model_matches_its_explain_snapshots() {
    insta::glob!("../../models", "*.gal", |path| {
        let (sources, file) = galvani_tests::load(path);
        let (_, linearized) = galvani_driver::linearize(&sources, file)
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), render_all(&sources, d.iter())));
        let default_method = Method::default_for(linearized.model());
        for format in galvani_views::Format::ALL {
            insta::assert_snapshot!(
                format!("explain_{}", format.name()),
                galvani_views::explain_in(
                    &linearized,
                    default_method,
                    format,
                    Some(sources.text(file))
                )
            );
        }
    });
}

/// The blocked lowering of the step block (the default kernel), as CLIF text, for a few
/// models that between them show every kind of phase: HH expeuler (φ and exprel levels,
/// the vector calls between phases), LIF euler (no transcendental: one phase) and the
/// erf rate model (a function vmath lacks, called per lane). Only the step function is
/// snapshotted; every other block is the scalar code of `clif_<method>@…`.
#[test]
fn blocked_step_clif_snapshots() {
    for (stem, method) in [
        ("hh", Method::ExpEuler),
        ("lif", Method::Euler),
        ("rate_erf", Method::Euler),
    ] {
        let path = galvani_tests::workspace_root().join(format!("models/{stem}.gal"));
        let (sources, file) = galvani_tests::load(&path);
        let (_, linearized) = galvani_driver::linearize(&sources, file)
            .unwrap_or_else(|d| panic!("{stem}: {}", render_all(&sources, d.iter())));
        let program = galvani_symbolic::discretize(&linearized, method)
            .unwrap_or_else(|e| panic!("{stem} {method:?}: {e}"));
        let clif =
            galvani_codegen::clif_text_with(&program, &galvani_codegen::JitOptions::default())
                .unwrap_or_else(|e| panic!("{stem} {method:?}: {e}"));
        let start = clif
            .find(": step (blocked)\n")
            .and_then(|at| clif[..at].rfind("; galvani"))
            .unwrap_or_else(|| panic!("{stem} {method:?}: the step is not blocked"));
        let step = &clif[start..];
        // The next function's comment line ends this one (functions are separated by a
        // blank line before it).
        let end = step[1..]
            .find("\n\n; galvani")
            .map_or(step.len(), |e| e + 2);
        insta::assert_snapshot!(
            format!("clif_blocked_{}_{}", stem, method.name()),
            &step[..end]
        );
    }
}
