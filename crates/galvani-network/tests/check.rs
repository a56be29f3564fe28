//! Network files against the network page of the language: the spec's examples check to
//! the values they say, and each error of its list is reported at its span.

use std::collections::HashMap;
use std::sync::Arc;

use galvani_diag::FileId;
use galvani_ir::Model;
use galvani_network::{check, Distribution, ModelLoader, Rule, Source, Target};

const LIF_DELTA: &str = "model lif_delta\nparam tau_m = 20 ms\nparam V_th = 20 mV\n\
    param V_reset = 10 mV\nstate V = 0 mV\ndV/dt = -V / tau_m\n\
    on V > V_th {\n    V = V_reset\n    refractory 2 ms\n}\n";

const LIF_COND: &str = "model lif_cond\nparam tau_m = 20 ms\nparam tau_e = 5 ms\n\
    param E_L = -60 mV\nparam E_e = 0 mV\nparam g_L = 10 nS\nparam C = 200 pF\n\
    state V = E_L\nstate g_e = 0 nS\n\
    dV/dt = (g_L * (E_L - V) + g_e * (E_e - V)) / C\ndg_e/dt = -g_e / tau_e\n\
    on V > -50 mV {\n    V = E_L\n}\n";

/// Model files from memory, checked as the driver checks them.
struct Files(HashMap<&'static str, &'static str>);

impl ModelLoader for Files {
    fn load(&mut self, path: &str) -> Result<Arc<Model>, String> {
        let text = self
            .0
            .get(path)
            .ok_or_else(|| "cannot be read".to_string())?;
        let ast =
            galvani_syntax::parse(text, FileId(1)).map_err(|_| "does not parse".to_string())?;
        let checked = galvani_check::check(&ast).map_err(|_| "does not check".to_string())?;
        Ok(Arc::new(checked.model))
    }
}

fn files() -> Files {
    Files(HashMap::from([
        ("lif_delta.gal", LIF_DELTA),
        ("../models/lif_delta.gal", LIF_DELTA),
        ("lif_cond.gal", LIF_COND),
        ("broken.gal", "model broken\nstate V = 0\ndV/dt = W\n"),
    ]))
}

fn checked(source: &str) -> galvani_network::CheckedNetwork {
    let ast = galvani_syntax::parse_network_all(source, FileId(0)).unwrap();
    check(&ast, &mut files()).unwrap_or_else(|d| panic!("{:?}", d.0))
}

/// The first error's message, its code, and the text its primary label covers.
fn error(source: &str) -> (String, &'static str, String) {
    let ast = galvani_syntax::parse_network_all(source, FileId(0)).unwrap();
    let diagnostics = check(&ast, &mut files()).expect_err("an error");
    let d = &diagnostics.0[0];
    let span = d.primary_span().expect("a primary label");
    (
        d.message.clone(),
        d.code.map_or("", |c| c.0),
        source[span.start as usize..span.end as usize].to_string(),
    )
}

/// The library's Brunel network (`networks/brunel.gal`).
fn brunel() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../networks/brunel.gal");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn brunel_checks_to_its_numbers() {
    let network = checked(&brunel());
    assert_eq!(network.populations.len(), 2);
    assert_eq!(network.neurons(), 12_500);
    assert_eq!(
        network.populations[0].inits[0].1,
        Distribution::Uniform {
            low: 0.0,
            high: 20.0
        }
    );
    let [excitatory, inhibitory] = &network.connections[..] else {
        panic!("two connections");
    };
    assert_eq!(excitatory.rule, Rule::FixedIndegree(800));
    assert_eq!(inhibitory.rule, Rule::FixedIndegree(200));
    assert_eq!((inhibitory.pre, inhibitory.posts.clone()), (1, vec![0, 1]));
    assert_eq!(excitatory.delay, Some(Distribution::Constant(1.5)));
    assert!(matches!(excitatory.on_pre[0].target, Target::PostState(_)));
    // 800 · 25 Hz = 20 kHz = 20 per ms.
    assert!((network.drives[0].rate - 20.0).abs() < 1e-12);
    assert_eq!(network.drives[0].targets, [0, 1]);
}

#[test]
fn short_term_depression_with_synapse_states() {
    let network = checked(
        r#"network stp "depression"
population X {
    poisson = 20 Hz
    size = 100
}
population E {
    model = "lif_cond.gal"
    size = 10
    param tau_m = 10 ms
}
connect X -> E {
    rule = probability(0.1)
    delay = 1 ms
    param w     = 2 nS
    param P_0   = 0.5
    param f_D   = 0.4
    param tau_P = 500 ms
    state P = P_0
    dP/dt = (P_0 - P) / tau_P
    on pre {
        g_e += w * P
        P -= f_D * P
    }
}
"#,
    );
    assert!(
        matches!(network.populations[0].source, Source::Poisson { rate, .. } if (rate - 0.02).abs() < 1e-15)
    );
    assert_eq!(network.populations[1].overrides.len(), 1);
    let connection = &network.connections[0];
    assert_eq!(connection.rule, Rule::Probability(0.1));
    assert_eq!(connection.synapse_params.len(), 4);
    assert_eq!(connection.synapse_states[0].name, "P");
    // dP/dt = (P_0 − P)/tau_P: A = P_0/tau_P = 0.001/ms, B = 1/tau_P = 0.002/ms.
    let relaxation = connection.synapse_states[0].relaxation.unwrap();
    assert!((relaxation.a - 0.001).abs() < 1e-15 && (relaxation.b - 0.002).abs() < 1e-15);
    let targets: Vec<Target> = connection.on_pre.iter().map(|a| a.target).collect();
    assert!(matches!(
        targets[..],
        [Target::PostState(_), Target::SynapseState(0)]
    ));
}

#[test]
fn each_error_points_at_its_cause() {
    let population = |body: &str| format!("network n\npopulation E {{\n{body}\n}}\n");
    let lif = "    model = \"lif_delta.gal\"\n    size = 10";
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            format!("{}connect F -> E {{\n    rule = all_to_all\n}}\n", population(lif)),
            "no population `F`",
            "E0701",
            "F",
        ),
        (population("    model = \"lif_delta.gal\""), "population `E` has no `size`", "E0702", "E"),
        (
            population("    model = \"lif_delta.gal\"\n    poisson = 5 Hz\n    size = 3"),
            "a population has one source: `model`, `poisson` or `spikes`",
            "E0702",
            "poisson = 5 Hz",
        ),
        (population(&format!("{lif}\n    sise = 3")), "a population block has no field `sise`", "E0702", "sise"),
        (population("    model = \"broken.gal\"\n    size = 1"), "the model file `broken.gal` does not check", "E0704", "\"broken.gal\""),
        (population(&format!("{lif}\n    param tau = 5 ms")), "the model has no param `tau`", "E0201", "tau"),
        (population(&format!("{lif}\n    init V = 3 nA")), "this initial value must be voltage [mV], not current [uA]", "E0302", "3 nA"),
        (population("    poisson = 5 mV\n    size = 3"), "a rate must be frequency [1/ms], not voltage [mV]", "E0302", "5 mV"),
        (
            population("    poisson = 5 Hz * t\n    size = 3"),
            "a rate must be frequency [1/ms], not dimensionless",
            "E0302",
            "5 Hz * t",
        ),
        (
            population("    poisson = 5 Hz * sin(t)\n    size = 3"),
            "this argument must be dimensionless, not time [ms]",
            "E0302",
            "t",
        ),
        (
            format!("{}connect E -> E {{\n    rule = fixed_indegree(2)\n    on pre {{ V += 1 nS }}\n}}\n", population(lif)),
            "what `V` is changed by must be voltage [mV], not conductance [mS]",
            "E0302",
            "1 nS",
        ),
        (
            format!("{}connect E -> E {{\n    rule = all_to_all\n    on pre {{ W += 1 mV }}\n}}\n", population(lif)),
            "`W` is neither a synapse state nor a state of the post model",
            "E0502",
            "W",
        ),
        (
            format!(
                "{}connect E -> E {{\n    rule = all_to_all\n    param tau_m = 3 ms\n    on pre {{ V += 1 mV * tau_m / (1 ms) }}\n}}\n",
                population(lif)
            ),
            "`tau_m` is also a name of the post model",
            "E0705",
            "tau_m",
        ),
        (
            format!("{}connect E -> E {{\n    rule = probability(1.5)\n}}\n", population(lif)),
            "a probability is between 0 and 1, not 1.5",
            "E0703",
            "1.5",
        ),
        (
            format!("{}connect E -> E {{\n    rule = sparse(3)\n}}\n", population(lif)),
            "no rule `sparse`",
            "E0703",
            "sparse",
        ),
        (
            format!(
                "{}population I {{\n{lif}\n}}\nconnect E -> E, I {{\n    rule = file(\"e.csv\")\n}}\n",
                population(lif)
            ),
            "a file of edges connects one pre and one post population",
            "E0703",
            "I",
        ),
        (
            format!("{}connect E -> E {{\n    delay = 1 ms\n}}\n", population(lif)),
            "a connection needs a `rule`",
            "E0702",
            "E",
        ),
        (
            format!(
                "{}connect E -> E {{\n    rule = all_to_all\n    param tau = 5 ms\n    state P = 1\n    dP/dt = -P * P / tau\n}}\n",
                population(lif)
            ),
            "a synapse state's equation must be linear with constant coefficients",
            "E0702",
            "-P * P",
        ),
        (
            format!(
                "{}connect E -> E {{\n    rule = all_to_all\n    param tau = 5 ms\n    state P = 1\n    dP/dt = (V / 1 mV - P) / tau\n}}\n",
                population(lif)
            ),
            "a synapse state's equation must be linear with constant coefficients",
            "E0702",
            "V",
        ),
        (
            format!(
                "{}connect E -> E {{\n    rule = all_to_all\n    param tau = 5 ms\n    state P = 1\n    dP/dt = exp(P) / tau\n}}\n",
                population(lif)
            ),
            "a synapse state's equation must be linear with constant coefficients",
            "E0702",
            "exp(P)",
        ),
    ];
    for (source, message, code, covered) in cases {
        let (got, got_code, got_covered) = error(&source);
        assert_eq!(
            (got.as_str(), got_code, got_covered.as_str()),
            (message, code, covered),
            "{source}"
        );
    }
}

/// `post.NAME` names the post model's NAME where the block has a name of its own; the
/// bare name is then the block's.
#[test]
fn post_names_the_post_models_value_beside_the_blocks_own() {
    let network = checked(
        "network n\npopulation E {\n    model = \"lif_delta.gal\"\n    size = 10\n}\n\
         connect E -> E {\n    rule = all_to_all\n    param tau_m = 3 ms\n    state V = 2 mV\n    dV/dt = -V / tau_m\n\
         on pre {\n        post.V += V * post.tau_m / tau_m\n        V -= 1 mV\n    }\n}\n",
    );
    let actions = &network.connections[0].on_pre;
    assert!(matches!(
        actions[0].target,
        galvani_network::Target::PostState(_)
    ));
    assert!(matches!(
        actions[1].target,
        galvani_network::Target::SynapseState(0)
    ));
    use galvani_network::{Formula, Leaf, Op};
    let Formula::Binary(Op::Div, numerator, denominator) = &actions[0].formula else {
        panic!("{:?}", actions[0].formula)
    };
    assert!(matches!(
        **denominator,
        Formula::Leaf(Leaf::SynapseParam(0))
    ));
    assert!(matches!(
        **numerator,
        Formula::Binary(Op::Mul, ref a, ref b)
            if matches!(**a, Formula::Leaf(Leaf::SynapseState(0)))
                && matches!(**b, Formula::Leaf(Leaf::PostParam(_)))
    ));
}
