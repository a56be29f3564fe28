//! Tests of the views: the four explain formats and the linear-stage text of the model
//! library, and a manual dump of every view for review.

use crate::{explain, linear_text, Format};
use galvani_ir::step::Method;
use galvani_ir::Model;
use galvani_symbolic::Linearized;

/// The directory of the project's model library.
fn models_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// Parses and checks one model of `models/` (the library is trusted to be valid).
fn library_model(name: &str) -> Model {
    let path = models_dir().join(format!("{name}.gal"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ast = galvani_syntax::parse(&source, galvani_diag::FileId(0))
        .unwrap_or_else(|e| panic!("parse error: {e:?}\n{source}"));
    match galvani_check::check(&ast) {
        Ok(checked) => checked.model,
        Err(errors) => panic!("check errors: {errors}\n{source}"),
    }
}

/// Every model of `models/`, by name, sorted.
fn all_library_models() -> Vec<(String, Model)> {
    let mut names: Vec<String> = std::fs::read_dir(models_dir())
        .expect("models/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter_map(|n| n.strip_suffix(".gal").map(str::to_string))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let m = library_model(&n);
            (n, m)
        })
        .collect()
}

/// Linearizes and verifies.
fn linearized(model: &Model) -> Linearized {
    let lin = galvani_symbolic::linearize(model).expect("linearize");
    lin.verify().expect("verify");
    lin
}

#[test]
fn hh_text_writes_gates_with_their_named_rates() {
    let lin = linearized(&library_model("hh"));
    let text = explain(&lin, Method::ExpEuler2, Format::Text);
    assert!(text.contains("(g_L + g_K·n⁴ + g_Na·m³·h)/c_m"), "{text}");
    assert!(text.contains("α_m + β_m"), "{text}");
    assert!(
        text.contains("α_m = exprel(-(V + 40 mV)/(10 mV))/ms"),
        "{text}"
    );
}

#[test]
fn explain_formats() {
    let lin = linearized(&library_model("hh"));
    let json: serde_json::Value =
        serde_json::from_str(&explain(&lin, Method::ExpEuler2, Format::Json)).expect("json");
    assert_eq!(json["model"], "hh");
    assert_eq!(json["method"], "expeuler2");
    let states = json["states"].as_array().expect("states");
    assert_eq!(states.len(), 4);
    for s in states {
        assert_eq!(s["class"], "linear");
        assert!(s["reason"].is_null());
        for key in ["A", "B", "steady_state", "tau"] {
            assert!(s[key].is_string(), "{key}");
        }
    }
    assert_eq!(states[0]["B"], "(g_L + g_K*n^4 + g_Na*m^3*h)/c_m");
    let rewrites = json["rewrites"].as_array().expect("rewrites");
    assert_eq!(rewrites.iter().filter(|r| r["kind"] == "exprel").count(), 2);
    let izh = linearized(&library_model("izhikevich"));
    let json: serde_json::Value =
        serde_json::from_str(&explain(&izh, Method::Euler, Format::Json)).expect("json");
    assert_eq!(json["states"][0]["class"], "nonlinear");
    assert!(json["states"][0]["reason"]
        .as_str()
        .expect("reason")
        .contains("0.04 * v^2"));
    assert!(json["states"][0]["steady_state"].is_null());

    let latex = explain(&lin, Method::ExpEuler2, Format::Latex);
    assert!(latex.contains("B &= \\alpha_{m} + \\beta_{m}"), "{latex}");
    assert!(latex.contains("g_{\\mathrm{Na}}"), "{latex}");
    assert!(latex.contains("\\frac{"), "{latex}");
    let markdown = explain(&lin, Method::Rk4, Format::Markdown);
    assert!(markdown.contains("## V [mV]"), "{markdown}");
    assert!(markdown.contains("`α_m + β_m`"), "{markdown}");
    for format in Format::ALL {
        for method in Method::ALL {
            assert_eq!(explain(&lin, method, format), explain(&lin, method, format));
        }
    }
}

#[test]
fn linear_text_is_deterministic_across_runs() {
    for (name, model) in all_library_models() {
        let a = linearized(&model);
        let b = linearized(&model);
        assert_eq!(linear_text(&a), linear_text(&b), "{name}");
    }
}

#[test]
#[ignore = "prints the views for manual review"]
fn dump_views() {
    let format = std::env::var("DUMP_FORMAT").unwrap_or_default();
    let method = std::env::var("DUMP_METHOD")
        .ok()
        .and_then(|m| galvani_ir::step::Method::from_name(&m))
        .unwrap_or(galvani_ir::step::Method::ExpEuler2);
    for (name, model) in all_library_models() {
        if std::env::var("DUMP_MODEL").is_ok_and(|m| m != name) {
            continue;
        }
        let lin = linearized(&model);
        match format.as_str() {
            "linear" => println!("{}", linear_text(&lin)),
            "step" => println!(
                "{}",
                galvani_ir::step_text::step_to_text(
                    &galvani_symbolic::discretize(&lin, method).unwrap()
                )
            ),
            other => println!(
                "{}",
                explain(
                    &lin,
                    method,
                    Format::from_name(other).unwrap_or(Format::Text)
                )
            ),
        }
    }
}
