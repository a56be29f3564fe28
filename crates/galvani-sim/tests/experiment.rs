//! The typed experiment API end to end on a small model, through the reference
//! interpreter: names resolve to typed ids or to errors carrying every candidate, a request
//! is validated before anything runs, a blow-up names the model's variable by id, overrides
//! reach the param table the kernel computes, and the steady rate agrees with the closed-form
//! LIF rate.

use galvani_codegen::Interpreter;
use galvani_ir::step::{Method, StepProgram};
use galvani_runtime::{Protocol, Recorded};
use galvani_sim::{ModelVariable, NameKind, RunRequest, SimError, Simulator, Sinks};
use galvani_symbolic::Linearized;

const LIF: &str = "model lif \"leaky integrate-and-fire\"
param tau_m = 10 ms
param E_L = -65 mV
param R_m = 10 Mohm
param V_th = -50 mV
param V_reset = -65 mV
param t_ref = 2 ms
param g_scaled = 2 * tau_m
input I_e = 0 nA
state V = E_L
I_leak = (E_L - V) / R_m
dV/dt = (E_L - V + R_m * I_e) / tau_m
on V > V_th {
    V = V_reset
    refractory t_ref
}
";

fn compile(text: &str) -> (Linearized, StepProgram) {
    compile_with(text, Method::ExpEuler)
}

fn compile_with(text: &str, method: Method) -> (Linearized, StepProgram) {
    let ast = galvani_syntax::parse_all(text, galvani_diag::FileId(0)).expect("parses");
    let model = galvani_check::check(&ast).expect("checks").model;
    let linearized = galvani_symbolic::linearize(&model).expect("linearizes");
    let program = galvani_symbolic::discretize(&linearized, method).expect("discretizes");
    (linearized, program)
}

#[test]
fn names_resolve_to_ids_or_to_errors_with_every_candidate() {
    let (linearized, program) = compile(LIF);
    let kernel = Interpreter::new(&program).unwrap();
    let sim = Simulator::new(&linearized, &program, &kernel);
    assert_eq!(sim.param("R_m").unwrap().index(), 2);
    assert_eq!(sim.state("V").unwrap().index(), 0);
    assert_eq!(sim.input("I_e").unwrap().index(), 0);
    assert_eq!(sim.recordable("I_leak").unwrap(), Recorded::Intermediate(0));
    match sim.param("r_m") {
        Err(SimError::UnknownName {
            kind: NameKind::Param,
            name,
            candidates,
        }) => {
            assert_eq!(name, "r_m");
            assert_eq!(candidates.len(), sim.model.params.len());
            assert!(candidates.contains(&"R_m".to_string()));
        }
        other => panic!("expected an unknown param, got {other:?}"),
    }
    assert!(matches!(
        sim.recordable("t"),
        Err(SimError::UnknownName {
            kind: NameKind::Recordable,
            ..
        })
    ));
}

#[test]
fn requests_are_validated_before_running() {
    let (linearized, program) = compile(LIF);
    let kernel = Interpreter::new(&program).unwrap();
    let sim = Simulator::new(&linearized, &program, &kernel);
    let empty = RunRequest::new(10.0, 0.1, 0);
    assert!(matches!(
        sim.prepare(&empty),
        Err(SimError::EmptyPopulation)
    ));
    let mut twice = RunRequest::new(10.0, 0.1, 1);
    let input = sim.input("I_e").unwrap();
    twice.inputs = vec![
        (input, Protocol::Constant(1.0)),
        (input, Protocol::Constant(2.0)),
    ];
    assert!(matches!(sim.prepare(&twice), Err(SimError::DuplicateInput(name)) if name == "I_e"));
    let bad_grid = RunRequest::new(10.0, 0.0, 1);
    assert!(matches!(sim.prepare(&bad_grid), Err(SimError::Config(_))));

    let mut request = RunRequest::new(10.0, 0.1, 3);
    request.record = vec![Recorded::State(0), Recorded::Intermediate(0)];
    request.record_every = Some(0.5);
    let prepared = sim.prepare(&request).unwrap();
    assert_eq!(prepared.steps, 100);
    assert_eq!(prepared.config.record_every, 5);
    let labels: Vec<String> = prepared.columns.iter().map(|l| l.to_string()).collect();
    assert_eq!(
        labels,
        [
            "V[0] [mV]",
            "V[1] [mV]",
            "V[2] [mV]",
            "I_leak[0] [uA]",
            "I_leak[1] [uA]",
            "I_leak[2] [uA]"
        ]
    );
}

#[test]
fn a_blow_up_names_the_models_variable_by_id() {
    let (linearized, program) = compile(LIF);
    let kernel = Interpreter::new(&program).unwrap();
    let sim = Simulator::new(&linearized, &program, &kernel);
    let mut request = RunRequest::new(10.0, 0.1, 2);
    request.inputs = vec![(sim.input("I_e").unwrap(), Protocol::Constant(f64::INFINITY))];
    match sim.run(&sim.prepare(&request).unwrap(), Sinks::default()) {
        Err(SimError::NonFinite {
            variable,
            name,
            neuron,
            t,
        }) => {
            assert_eq!(variable, ModelVariable::State(sim.state("V").unwrap()));
            assert_eq!((name.as_str(), neuron), ("V", 0));
            assert!((t - 0.1).abs() < 1e-12, "{t}");
        }
        other => panic!("expected a blow-up, got {other:?}"),
    }
}

#[test]
fn the_param_table_applies_overrides_and_recomputes_derived_params() {
    let (linearized, program) = compile(LIF);
    let kernel = Interpreter::new(&program).unwrap();
    let sim = Simulator::new(&linearized, &program, &kernel);
    let tau = sim.param("tau_m").unwrap();
    let derived = sim.param("g_scaled").unwrap();
    let mut request = RunRequest::new(1.0, 0.1, 2);
    request.params = vec![(tau, vec![5.0, 20.0])];
    let prepared = sim.prepare(&request).unwrap();
    let table =
        galvani_sim::params::param_table(&kernel, sim.model, &program, &prepared.config.params, 2)
            .unwrap();
    assert_eq!(
        table.len(),
        2,
        "one row per neuron when the override differs"
    );
    assert_eq!(table[0][tau.index()], 5.0);
    assert_eq!(
        table[1][derived.index()],
        40.0,
        "g_scaled = 2·tau_m follows the override"
    );
}

#[test]
fn the_steady_rate_matches_the_closed_form_lif_rate() {
    // Without refractoriness the LIF rate is 1/(τ ln((R I + E_L − V_reset)/(R I + E_L − V_th))).
    let text = LIF.replace("    refractory t_ref\n", "");
    let (linearized, program) = compile(&text);
    let kernel = Interpreter::new(&program).unwrap();
    let sim = Simulator::new(&linearized, &program, &kernel);
    let request = RunRequest::new(200.0, 0.005, 1);
    let currents_na = [1.0, 2.0, 3.0];
    // Internal current unit: uA.
    let currents: Vec<f64> = currents_na.iter().map(|i| i * 1e-3).collect();
    let rates: Vec<f64> = sim
        .firing_rates(&request, sim.input("I_e").unwrap(), &currents)
        .unwrap()
        .iter()
        .map(|r| r.steady_hz)
        .collect();
    assert_eq!(rates[0], 0.0, "1 nA·10 MΩ = 10 mV stays below threshold");
    for (rate, i_na) in rates.iter().zip(currents_na).skip(1) {
        let drive = 10.0 * i_na;
        let exact = 1000.0 / (10.0 * (drive / (drive - 15.0)).ln());
        // Spike times are interpolated inside the step: the rate is good to a few 1e-4.
        assert!(
            (rate - exact).abs() < 1e-3 * exact,
            "{i_na} nA: {rate} vs {exact}"
        );
    }
}

#[test]
fn the_rest_state_is_a_fixed_point_found_around_the_start_too() {
    let rest_of = |text: &str| {
        let (linearized, program) = compile(text);
        let kernel = Interpreter::new(&program).unwrap();
        let sim = Simulator::new(&linearized, &program, &kernel);
        let mut request = RunRequest::new(0.0, 0.1, 1);
        request.init_rest = true;
        sim.prepare(&request).map(|prepared| prepared.config.inits)
    };
    // dV/dt = exp(V) gets as small as you like and has no zero: an error, not V = −27.
    match rest_of("model e \"no rest\"\nstate V = 0\ndV/dt = exp(V)\n") {
        Err(SimError::Rest(galvani_sim::RestError::NoConvergence { .. })) => {}
        other => panic!("expected no convergence, got {other:?}"),
    }
    // dV/dt = 1 − √V has an infinite slope at its start V = 0 and a rest state at V = 1.
    let inits = rest_of("model s \"sqrt\"\nstate V = 0\ndV/dt = 1 - sqrt(V)\n").unwrap();
    assert_eq!(inits.len(), 1);
    match &inits[0].1 {
        galvani_runtime::Values::Uniform(v) => assert!((v - 1.0).abs() < 1e-12, "{v}"),
        other => panic!("{other:?}"),
    }
}

/// `dV/dt = 1 − √V` from V = 0 has an infinite slope `∂f/∂V` at its start: the exponential
/// methods' weight φ(−B·dt) would be φ(−∞) = 0 and freeze V at 0 forever. They take the
/// explicit step there instead, and then follow the exact solution
/// `t = −2√V − 2 ln(1 − √V)` (V(2 ms) = 0.7079634854…).
#[test]
fn an_infinite_slope_does_not_freeze_the_exponential_methods() {
    let text = "model s \"sqrt\"\nstate V = 0\ndV/dt = 1 - sqrt(V)\n";
    let exact = 0.7079634854153579;
    for method in [Method::ExpEuler, Method::ExpEuler2] {
        let (linearized, program) = compile_with(text, method);
        let kernel = Interpreter::new(&program).unwrap();
        let sim = Simulator::new(&linearized, &program, &kernel);
        let mut request = RunRequest::new(2.0, 0.025, 1);
        request.record = vec![Recorded::State(0)];
        let prepared = sim.prepare(&request).unwrap();
        let mut trace = galvani_runtime::Trace::default();
        let sinks = Sinks {
            record: vec![&mut trace],
            ..Sinks::default()
        };
        sim.run(&prepared, sinks).unwrap();
        let last = *trace.rows.last().unwrap().first().unwrap();
        assert!(
            (last - exact).abs() < 1e-3,
            "{method:?}: V(2) = {last}, exact {exact}"
        );
    }
}
