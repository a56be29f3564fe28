//! `--init rest`: the resting state, the fixed point `f(y) = 0` of the model's equations
//! with every input at its default, found by damped Newton iteration from the declared
//! initial values.
//!
//! Newton: `y ← y − λ·J⁻¹f(y)`, with the exact Jacobian `J_ij = ∂f_i/∂y_j` of the
//! symbolic engine (`galvani_symbolic::Jacobian`), solved by Gaussian elimination with
//! partial pivoting, and λ halved until `‖f‖` decreases. For HH this converges from −65 mV
//! to −64.997 mV in a handful of iterations. Everything is in internal units.

use galvani_symbolic::{Jacobian, Point};

/// Why no resting state was found.
#[derive(Clone, Debug, PartialEq)]
pub enum RestError {
    /// Newton did not converge; `residual` is the largest |dy/dt| reached.
    NoConvergence { residual: f64 },
    /// The equations are singular at the point reached (e.g. a perfect integrator
    /// without leak has no isolated rest state).
    Singular,
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestError::NoConvergence { residual } => write!(
                f,
                "no resting state found: Newton's method stopped with |dy/dt| = {residual:e}"
            ),
            RestError::Singular => f.write_str(
                "no isolated resting state: the equations are singular there (a state that never settles, like a perfect integrator?)",
            ),
        }
    }
}

impl std::error::Error for RestError {}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0_f64, |m, x| m.max(x.abs()))
}

/// Solves `a·x = b` in place (Gaussian elimination, partial pivoting).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        let magnitude = a[pivot][col].abs();
        if magnitude.is_nan() || magnitude <= 1e-300 || magnitude.is_infinite() {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            let (upper, lower) = a.split_at_mut(row);
            for (target, source) in lower[0][col..].iter_mut().zip(&upper[col][col..]) {
                *target -= factor * source;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let sum: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - sum) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The point `(params, inputs, states)` at `t = 0`.
fn at<'a>(params: &'a [f64], inputs: &'a [f64], states: &'a [f64]) -> Point<'a> {
    Point {
        params,
        inputs,
        states,
        t: 0.0,
    }
}

/// The resting state for the given (internal) param and input values, looked for from
/// `start` and, when Newton's method fails there, from a few points around it (`y ± 1`,
/// `y ± 10` in every state: `dV/dt = 1 − √V` has an infinite slope at its declared start
/// V = 0 but a rest state at V = 1). The error is the one from `start`.
pub fn rest_state(
    jacobian: &Jacobian,
    params: &[f64],
    inputs: &[f64],
    start: &[f64],
) -> Result<Vec<f64>, RestError> {
    let first = match newton(jacobian, params, inputs, start) {
        Ok(y) => return Ok(y),
        Err(error) => error,
    };
    for shift in [1.0, -1.0, 10.0, -10.0] {
        let moved: Vec<f64> = start.iter().map(|y| y + shift).collect();
        if let Ok(y) = newton(jacobian, params, inputs, &moved) {
            return Ok(y);
        }
    }
    Err(first)
}

/// Damped Newton from `start`. Converged when every rate is negligible against the
/// state's own scale *and* the Newton step is too: a small rate alone is not a fixed point
/// (`dV/dt = exp(V)` gets as small as you like and has none).
fn newton(
    jacobian: &Jacobian,
    params: &[f64],
    inputs: &[f64],
    start: &[f64],
) -> Result<Vec<f64>, RestError> {
    let f = |y: &[f64]| jacobian.rates(at(params, inputs, y));
    let mut y = start.to_vec();
    let mut fy = f(&y);
    for _ in 0..100 {
        let residual = max_abs(&fy);
        if residual.is_nan() {
            return Err(RestError::NoConvergence { residual });
        }
        let scale = 1.0 + max_abs(&y);
        let step = solve(jacobian.matrix(at(params, inputs, &y)), fy.clone());
        if residual <= 1e-13 * scale {
            match &step {
                // A singular Jacobian at a zero of f: a rest state that is not isolated
                // in some direction; it is still a rest state.
                None => return Ok(y),
                Some(step) if max_abs(step) <= 1e-6 * scale => return Ok(y),
                Some(_) => {}
            }
        }
        let step = step.ok_or(RestError::Singular)?;
        let mut lambda = 1.0;
        loop {
            let candidate: Vec<f64> = y
                .iter()
                .zip(&step)
                .map(|(yi, si)| yi - lambda * si)
                .collect();
            let fc = f(&candidate);
            if max_abs(&fc) < residual || lambda < 1e-6 {
                y = candidate;
                fy = fc;
                break;
            }
            lambda *= 0.5;
        }
    }
    Err(RestError::NoConvergence {
        residual: max_abs(&fy),
    })
}
