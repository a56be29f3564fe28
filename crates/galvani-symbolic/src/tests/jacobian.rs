//! The symbolic Jacobian against the model itself: on every library model, at the declared
//! initial state and at a perturbed one, `rates` equals the IR's reference evaluator and
//! every entry of `matrix` equals a central difference of those rates to the difference's
//! own accuracy; on the passive membrane the entry is exactly `−1/τ`.

use super::{all_library_models, linearized, model_from_source};
use crate::{Jacobian, Point};

/// Central difference `(f(y + h e_j) − f(y − h e_j))/2h` with `h = 1e-6·max(|y_j|, 1)`:
/// truncation `O(h²·f''')` plus rounding `O(ε·|f|/h)`.
fn central_difference(jacobian: &Jacobian, point: Point<'_>, j: usize) -> Vec<f64> {
    let h = 1e-6 * point.states[j].abs().max(1.0);
    let shifted = |delta: f64| {
        let mut states = point.states.to_vec();
        states[j] += delta;
        jacobian.rates(Point {
            states: &states,
            ..point
        })
    };
    let (plus, minus) = (shifted(h), shifted(-h));
    plus.iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect()
}

#[test]
fn rates_and_entries_match_the_model_on_every_library_model() {
    for (name, model) in all_library_models() {
        let lin = linearized(&model);
        let jacobian = Jacobian::of(&lin);
        assert_eq!(jacobian.len(), model.states.len(), "{name}");
        let params = model.param_values();
        let inputs = model.input_defaults(&params);
        let start = model.initial_state(&params, &inputs);
        // A second point off the rest state, so gates and nonlinear terms are exercised.
        let moved: Vec<f64> = start.iter().map(|y| y * 0.9 + 0.05).collect();
        for states in [start, moved] {
            let point = Point {
                params: &params,
                inputs: &inputs,
                states: &states,
                t: 0.0,
            };
            let rates = jacobian.rates(point);
            let reference = model.derivatives(&params, &inputs, &states, 0.0);
            for (i, (a, b)) in rates.iter().zip(&reference).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "{name}: rate {i} is {a}, the model gives {b}"
                );
            }
            let matrix = jacobian.matrix(point);
            for j in 0..states.len() {
                let column = central_difference(&jacobian, point, j);
                for (i, (row, estimate)) in matrix.iter().zip(column).enumerate() {
                    let exact = row[j];
                    let scale = 1.0 + exact.abs() + rates[i].abs();
                    assert!(
                        (exact - estimate).abs() <= 1e-5 * scale,
                        "{name}: ∂f{i}/∂y{j} is {exact}, the central difference {estimate}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_passive_membrane_has_the_exact_entry_minus_one_over_tau() {
    let model = model_from_source(
        "model passive \"passive membrane\"\nparam tau = 7 ms\nparam E_L = -65 mV\nstate V = E_L\ndV/dt = (E_L - V) / tau\n",
    );
    let jacobian = Jacobian::of(&linearized(&model));
    let params = model.param_values();
    for v in [-65.0, 0.0, 1e3] {
        let point = Point {
            params: &params,
            inputs: &[],
            states: &[v],
            t: 0.0,
        };
        assert_eq!(jacobian.matrix(point), vec![vec![-1.0 / 7.0]]);
    }
}
