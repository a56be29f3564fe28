//! The `exact` method: which models it takes and why it refuses the others, and that its
//! step is the solution of the linear system whatever the step size.

use super::{all_library_models, linearized, Machine};
use crate::{discretize, SymbolicError};
use galvani_ir::step::Method;

/// The library's models whose equations are all linear with constant coefficients.
const EXACT_MODELS: [&str; 8] = [
    "lif",
    "lif_curr_exp",
    "lif_delta",
    "lif_escape",
    "passive",
    "pif",
    "rate_erf",
    "srm0_escape",
];

#[test]
fn exact_takes_the_linear_models_and_says_why_it_refuses_the_others() {
    for (name, model) in all_library_models() {
        let lin = linearized(&model);
        match discretize(&lin, Method::Exact) {
            Ok(program) => {
                assert!(
                    EXACT_MODELS.contains(&name.as_str()),
                    "{name} is not linear"
                );
                let propagator = program.propagator.expect("exact has a propagator");
                assert_eq!(propagator.size as usize, model.states.len(), "{name}");
            }
            Err(SymbolicError::NotExact { state, reason, .. }) => {
                assert!(!EXACT_MODELS.contains(&name.as_str()), "{name}: {reason}");
                assert!(model.states.iter().any(|s| s.name == state), "{name}");
                assert!(!reason.is_empty(), "{name}: a reason");
            }
            Err(SymbolicError::NoiseMethod { .. }) => {
                assert!(model.has_noise(), "{name}");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    // The reason names what makes a coefficient vary.
    let lin = linearized(&super::library_model("hh"));
    let Err(SymbolicError::NotExact { reason, .. }) = discretize(&lin, Method::Exact) else {
        panic!("hh is not linear");
    };
    assert_eq!(
        reason,
        "its coefficient of V reads the state m, so it is not constant"
    );
}

#[test]
fn a_drive_that_reads_t_or_a_coefficient_that_reads_an_input_is_refused() {
    let drive_in_time = super::model_from_source(
        "model drift\nstate V = 0 mV\ndV/dt = (sin(t / 1 ms) * 1 mV - V) / 10 ms\n",
    );
    let Err(SymbolicError::NotExact { reason, .. }) =
        discretize(&linearized(&drive_in_time), Method::Exact)
    else {
        panic!("a drive in t is not held over a step");
    };
    assert!(reason.contains("reads the time t"), "{reason}");
    let input_gain = super::model_from_source(
        "model gain\ninput g = 1\nstate V = 0 mV\ndV/dt = -g * V / 10 ms\n",
    );
    let Err(SymbolicError::NotExact { reason, .. }) =
        discretize(&linearized(&input_gain), Method::Exact)
    else {
        panic!("a coefficient that is an input is not constant over a run");
    };
    assert_eq!(
        reason,
        "its coefficient of V reads the input g, so it is not constant"
    );
}

/// From a state away from rest (every state moved, so couplings act), `exact` over
/// 20 ms agrees with a fine rk4 (dt = 1 µs, error ~dt⁴) to 1e-10, and with itself at any
/// step size: 2 steps, 20 and 2,000 give the same state to rounding (1e-12).
#[test]
fn exact_steps_solve_the_system_at_any_step_size() {
    for name in EXACT_MODELS {
        let lin = linearized(&super::library_model(name));
        let mut exact = Machine::new(discretize(&lin, Method::Exact).expect("exact"));
        let mut rk4 = Machine::new(discretize(&lin, Method::Rk4).expect("rk4"));
        for (k, (a, b)) in exact.states.iter_mut().zip(&mut rk4.states).enumerate() {
            let moved = *a + 0.3 * (a.abs() + 1.0) * (k as f64 + 1.0);
            (*a, *b) = (moved, moved);
        }
        let reference = rk4.integrate(20.0, 20_000);
        for steps in [2, 20, 2000] {
            let got = exact.integrate(20.0, steps);
            for (k, (got, want)) in got.iter().zip(&reference).enumerate() {
                let scale = want.abs().max(1.0);
                assert!(
                    (got - want).abs() <= 1e-10 * scale,
                    "{name} state {k} after {steps} steps: {got} vs rk4 {want}"
                );
            }
            let finest = exact.integrate(20.0, 2000);
            for (got, want) in got.iter().zip(&finest) {
                assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{name}");
            }
        }
    }
}
