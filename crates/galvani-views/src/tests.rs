//! Tests of the views: the printed forms of A, B, steady states and time constants
//! (and that they re-parse to the same values), the singularity warnings, the four
//! explain formats and the linear-stage text of the model library, and a manual dump of
//! every view for review.

use crate::{explain, linear_text, rewrite_warnings, Format, Printer, Style};
use galvani_ir::step::Method;
use galvani_ir::Model;
use galvani_symbolic::{Class, Linearized, NodeId, StateForm, Sym};

/// The directory of the project's model library.
fn models_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// One model of `models/`.
fn library_model(name: &str) -> Model {
    let path = models_dir().join(format!("{name}.gal"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    model_from_source(&source)
}

/// Parses and checks a model text (test input is trusted to be valid).
fn model_from_source(source: &str) -> Model {
    let ast = galvani_syntax::parse(source, galvani_diag::FileId(0))
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

fn printed(lin: &Linearized, id: NodeId) -> String {
    Printer::new(lin, Style::Lang).print(id)
}

fn form<'a>(lin: &'a Linearized, name: &str) -> &'a StateForm {
    lin.states
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no state {name}"))
}

/// A model with inf/tau gates, written for the tests (not taken from `models/`).
const A_CURRENT: &str = r#"model a_current "Connor-Stevens-like A current with inf/tau gates"
param g_A = 47.7 mS/cm^2
param E_A = -75 mV
param g_L = 0.3 mS/cm^2
param E_L = -17 mV
input I = 0 uA/cm^2
state V = -68 mV
gate a {
    inf = (0.0761 * exp((V + 94.22 mV) / 31.84 mV) / (1 + exp((V + 1.17 mV) / 28.93 mV)))^(1/3)
    tau = 0.3632 ms + 1.158 ms / (1 + exp((V + 55.96 mV) / 20.12 mV))
}
gate b {
    inf = 1 / (1 + exp((V + 53.3 mV) / 14.54 mV))^4
    tau = 1.24 ms + 2.678 ms / (1 + exp((V + 50 mV) / 16.027 mV))
}
dV/dt = (I - g_A * a^3 * b * (V - E_A) - g_L * (V - E_L)) / (1 uF/cm^2)
"#;

#[test]
fn hh_gates_have_the_normal_form_and_v_the_conductance_sum() {
    let lin = linearized(&library_model("hh"));
    for gate in ["m", "h", "n"] {
        let f = form(&lin, gate);
        assert_eq!(f.class, Class::Linear);
        let named = f
            .gate
            .as_ref()
            .and_then(|g| g.named.as_ref())
            .expect("named forms");
        assert_eq!(printed(&lin, named.a), format!("alpha_{gate}"));
        assert_eq!(
            printed(&lin, named.b),
            format!("alpha_{gate} + beta_{gate}")
        );
        assert_eq!(
            printed(&lin, named.steady_state),
            format!("alpha_{gate}/(alpha_{gate} + beta_{gate})")
        );
        assert_eq!(
            printed(&lin, named.tau),
            format!("1/(alpha_{gate} + beta_{gate})")
        );
    }
    let v = form(&lin, "V");
    assert_eq!(v.class, Class::Linear);
    assert_eq!(printed(&lin, v.b), "(g_L + g_K*n^4 + g_Na*m^3*h)/c_m");
    assert_eq!(
        printed(&lin, v.a),
        "(I_e + g_L*E_L + g_K*E_K*n^4 + g_Na*E_Na*m^3*h)/c_m"
    );
}

#[test]
fn lif_forms() {
    let lin = linearized(&library_model("lif"));
    let v = form(&lin, "V");
    assert_eq!(printed(&lin, v.a), "(E_L + R_m*I_e)/tau_m");
    assert_eq!(printed(&lin, v.b), "1/tau_m");
    assert_eq!(printed(&lin, v.tau.expect("tau")), "tau_m");
    assert_eq!(
        printed(&lin, v.steady_state.expect("steady")),
        "E_L + R_m*I_e"
    );
}

#[test]
fn inf_tau_gates_have_named_forms() {
    let lin = linearized(&model_from_source(A_CURRENT));
    let a = form(&lin, "a");
    let named = a
        .gate
        .as_ref()
        .and_then(|g| g.named.as_ref())
        .expect("named");
    assert_eq!(printed(&lin, named.a), "a_inf/tau_a");
    assert_eq!(printed(&lin, named.b), "1/tau_a");
    assert_eq!(printed(&lin, named.steady_state), "a_inf");
    assert_eq!(printed(&lin, named.tau), "tau_a");
}

#[test]
fn warnings_point_at_the_rewritten_rates() {
    let path = models_dir().join("hh.gal");
    let source = std::fs::read_to_string(path).expect("hh.gal");
    let lin = linearized(&model_from_source(&source));
    let warnings = rewrite_warnings(&lin, None);
    assert_eq!(warnings.len(), 2);
    let texts: Vec<&str> = warnings
        .iter()
        .map(|w| &source[w.primary_span().expect("span").range()])
        .collect();
    assert_eq!(
        texts,
        [
            "0.1/(ms*mV) * (V + 40 mV) / (1 - exp(-(V + 40 mV) / 10 mV))",
            "0.01/(ms*mV) * (V + 55 mV) / (1 - exp(-(V + 55 mV) / 10 mV))"
        ]
    );
    assert!(warnings
        .iter()
        .all(|w| w.severity == galvani_diag::Severity::Warning
            && w.code == Some(galvani_diag::codes::SINGULARITY_REWRITE)));
    assert!(warnings[0].labels[0].message.contains("V = -40 mV"));
    assert!(warnings[0]
        .notes
        .iter()
        .any(|n| n.starts_with("after:  exprel(")));
}

#[test]
fn printed_forms_reparse_to_the_same_values() {
    // The language-syntax text of A and B is valid galvani: substituting it into a model
    // as intermediates and checking that model gives back the same values.
    for (name, model) in all_library_models() {
        let lin = linearized(&model);
        let p = Printer::new(&lin, Style::Lang);
        let path = models_dir().join(format!("{name}.gal"));
        let mut source = std::fs::read_to_string(path).expect("source");
        let mut added = Vec::new();
        for (k, f) in lin.states.iter().enumerate() {
            source.push_str(&format!(
                "\nreparsed_a_{k} = {}\nreparsed_b_{k} = {}\n",
                p.print(f.a),
                p.print(f.b)
            ));
            added.push((k, f.a, f.b));
        }
        let reparsed = model_from_source(&source);
        let params = reparsed.param_values();
        let inputs: Vec<f64> = reparsed
            .input_defaults(&params)
            .iter()
            .map(|x| x + 0.3)
            .collect();
        let states: Vec<f64> = reparsed
            .initial_state(&params, &inputs)
            .iter()
            .map(|y| y * 1.01 + 0.01)
            .collect();
        let values = reparsed.intermediate_values(&params, &inputs, &states, 0.5);
        let env = |s: Sym| match s {
            Sym::State(i) => states[i as usize],
            Sym::Param(i) => params[i as usize],
            Sym::Input(i) => inputs[i as usize],
            Sym::Time => 0.5,
            _ => f64::NAN,
        };
        for (k, a, b) in added {
            for (label, node) in [("a", a), ("b", b)] {
                let index = reparsed
                    .find_intermediate(&format!("reparsed_{label}_{k}"))
                    .expect("added")
                    .index();
                let mine = lin.dag().eval(node, &env);
                let theirs = values[index];
                assert!(
                    (mine - theirs).abs() <= 1e-12 * (1.0 + mine.abs()),
                    "{name} {label}_{k}: {mine} vs {theirs}"
                );
            }
        }
    }
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
        for method in Method::GENERAL {
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

#[test]
fn a_perfect_integrator_has_b_zero_and_nothing_shared_said_plainly() {
    let lin = linearized(&library_model("pif"));
    let text = explain(&lin, Method::ExpEuler2, Format::Text);
    assert!(text.contains("  B             0\n"), "{text}");
    assert!(!text.contains("0/ms"), "{text}");
    assert!(
        text.contains("common subexpressions: none shared"),
        "{text}"
    );
    assert!(!text.contains("0 shared"), "{text}");
    let json = explain(&lin, Method::ExpEuler2, Format::Json);
    assert!(json.contains("\"B\": \"0\""), "{json}");
}

#[test]
fn before_is_the_rewritten_expression_as_written() {
    let path = models_dir().join("hh_cortical.gal");
    let source = std::fs::read_to_string(path).expect("source");
    let lin = linearized(&model_from_source(&source));
    for format in Format::ALL {
        let view = crate::explain_in(&lin, Method::ExpEuler2, format, Some(&source));
        // The file writes `0.02/(ms*mV)`; the IR's text form orders the units `mV*ms`.
        assert!(view.contains("0.02/(ms*mV)"), "{}: {view}", format.name());
        assert!(!view.contains("0.02/(mV*ms)"), "{}: {view}", format.name());
    }
    let warnings = rewrite_warnings(&lin, Some(&source));
    assert!(
        warnings[0].notes[0].contains("0.02/(ms*mV)"),
        "{warnings:?}"
    );
}

#[test]
fn latex_has_no_double_subscripts_no_lone_parentheses_and_escaped_reasons() {
    let lin = linearized(&model_from_source(
        "model calcium\nparam tau = 10 ms\nparam Ca_0 = 1 mM\nstate Ca_i = 0.1 mM\n\
         dCa_i/dt = (Ca_0 - Ca_i) / tau\n",
    ));
    let latex = explain(&lin, Method::ExpEuler2, Format::Latex);
    assert!(latex.contains("{\\mathrm{Ca}_{i}}_{1/2}"), "{latex}");
    assert!(latex.contains("{\\mathrm{Ca}_{i}}_{\\infty}"), "{latex}");
    assert!(!latex.contains("}_{i}_{"), "{latex}");
    assert!(latex.contains("\\usepackage{amsmath}"), "{latex}");
    // A lone sum above a fraction line needs no parentheses.
    assert!(
        latex.contains("\\frac{\\mathrm{Ca}_{0} - \\mathrm{Ca}_{i}}{\\tau}"),
        "{latex}"
    );
    let nonlinear = linearized(&model_from_source(
        "model c\nparam tau = 10 ms\nstate x = 0.1\n\
         dx/dt = (if x < 1 then 1 else 2) / tau - x / tau\n",
    ));
    let latex = explain(&nonlinear, Method::ExpEuler2, Format::Latex);
    assert!(latex.contains("x \\textless{} 1"), "{latex}");
}

/// Every event is shown with whether it is a spike and why: by default a threshold on a
/// state is a spike and a timer is silent; a marker overrides either, and says so.
#[test]
fn explain_shows_each_event_kind_and_why() {
    let source = "model kicks\nparam tau = 10 ms\nstate V = 0 mV\ndV/dt = -V / tau\n\
                  on V > 10 mV {\n    V = 0 mV\n    refractory 2 ms\n}\n\
                  on t > 80 ms {\n    V += 5 mV\n}\n\
                  on V < -5 mV silent {\n    V = 0 mV\n}\n\
                  on t > 90 ms spike {\n    V += 1 mV\n}\n";
    let lin = linearized(&model_from_source(source));
    let text = crate::explain::explain_in(&lin, Method::ExpEuler, Format::Text, Some(source));
    for line in [
        "on V > 10 mV — spike (its condition reads a state): counted in spikes, rates and the raster",
        "refractory 2 ms: the states set with `=` are held",
        "on t > 80 ms — silent (a timer: its condition reads no state): runs its actions, never counted",
        "on V < -5 mV — silent (marked `silent`)",
        "on t > 90 ms — spike (marked `spike`)",
        "V += 5 mV",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&explain(&lin, Method::ExpEuler, Format::Json)).unwrap();
    let kinds: Vec<&str> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["spike", "silent", "silent", "spike"]);
}

/// Under `exact` the teaching view shows the linear system and the propagator a run
/// computes: CUBA's current-based LIF, whose entries have closed forms
/// (`E[V,V] = e^(−dt/τ_m)`, `E[V,x_e] = (e^(−dt/τ_e) − e^(−dt/τ_m))/(1 − τ_m/τ_e)`,
/// `F[V,V] = τ_m·(1 − e^(−dt/τ_m))`, each written without cancellation); the other
/// methods show none of it.
#[test]
fn exact_shows_the_linear_system_and_its_propagator() {
    let lin = linearized(&library_model("lif_curr_exp"));
    let text = crate::explain(&lin, Method::Exact, crate::Format::Text);
    for line in [
        "system          dy/dt = M·y + c, y = (V, x_e, x_i)",
        "M = ∂f/∂y       M[V,V] = -1/tau_m",
        "M[V,x_e] = 1/tau_m",
        "M[x_i,x_i] = -1/tau_i",
        "c = f at y = 0  c[V] = E_L/tau_m",
    ] {
        assert!(text.contains(line), "`{line}` in\n{text}");
    }
    assert!(!crate::explain(&lin, Method::ExpEuler2, crate::Format::Text).contains("M[V,V]"));
    let latex = crate::explain(&lin, Method::Exact, crate::Format::Latex);
    for part in [
        r"\subsection*{Linear system}",
        r"M = \begin{pmatrix} -\frac{1}{\tau_{m}} & \frac{1}{\tau_{m}} & \frac{1}{\tau_{m}} \\ 0 & -\frac{1}{\tau_{e}} & 0 \\ 0 & 0 & -\frac{1}{\tau_{i}} \end{pmatrix}",
        r"c = \begin{pmatrix} \frac{E_{L}}{\tau_{m}} \\ 0 \\ 0 \end{pmatrix}",
        r"F_{V\,V} = ",
    ] {
        assert!(latex.contains(part), "`{part}` in\n{latex}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&crate::explain(&lin, Method::Exact, crate::Format::Json))
            .expect("json");
    let entry = |field: &str, row: &str, column: &str| {
        json["linear_system"][field]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["row"] == row && e["column"] == column)
            .and_then(|e| e["value"].as_f64())
            .unwrap_or_else(|| panic!("{field}[{row},{column}]"))
    };
    let (dt, tau_m, tau_e): (f64, f64, f64) = (0.025, 20.0, 5.0);
    let decay_m = (-dt / tau_m).exp();
    let close = |got: f64, want: f64| (got - want).abs() <= 1e-14 * want.abs();
    assert!(close(entry("exponential", "V", "V"), decay_m));
    // e^(−dt/τ_e) − e^(−dt/τ_m) = e^(−dt/τ_m)·expm1(dt/τ_m − dt/τ_e), without the
    // cancellation of the difference (3e-14 relative here).
    let difference = decay_m * (dt / tau_m - dt / tau_e).exp_m1();
    assert!(close(
        entry("exponential", "V", "x_e"),
        difference / (1.0 - tau_m / tau_e)
    ));
    assert!(close(
        entry("integral", "V", "V"),
        -tau_m * (-dt / tau_m).exp_m1()
    ));
}
