//! `Jacobian`: the right-hand sides `f_i(y)` of a model's ODEs and their exact partial
//! derivatives `J_ij = ∂f_i/∂y_j`, differentiated symbolically once and then evaluated at
//! any point — what Newton's method for the resting state needs, without the truncation
//! and cancellation error of finite differences.
//!
//! Example (a passive membrane, `dV/dt = (E_L − V)/τ`): `J = [[−1/τ]]` exactly, at every
//! `V`; central differences would give `−1/τ` only up to rounding of `(f(V+h) − f(V−h))/2h`.

use crate::dag::{Dag, NodeId, Sym};
use crate::linear::Linearized;

/// `f` and `∂f/∂y` of every state equation, in state order, over a private copy of the
/// model's DAG (differentiation adds nodes; the `Linearized` stays untouched).
#[derive(Clone, Debug)]
pub struct Jacobian {
    dag: Dag,
    rhs: Vec<NodeId>,
    /// `entries[i][j] = ∂f_i/∂y_j`, simplified.
    entries: Vec<Vec<NodeId>>,
}

/// Everything a point of the state space needs besides the states: param values, input
/// values and `t`, in internal units and the model's declaration order.
#[derive(Clone, Copy, Debug)]
pub struct Point<'a> {
    pub params: &'a [f64],
    pub inputs: &'a [f64],
    pub states: &'a [f64],
    pub t: f64,
}

impl Jacobian {
    /// Differentiates every `f_i` with respect to every state.
    pub fn of(linearized: &Linearized) -> Jacobian {
        let mut dag = linearized.dag().clone();
        let rhs: Vec<NodeId> = linearized.states.iter().map(|s| s.f).collect();
        let states = rhs.len() as u32;
        let entries = rhs
            .iter()
            .map(|&f| (0..states).map(|j| dag.diff(f, Sym::State(j))).collect())
            .collect();
        Jacobian { dag, rhs, entries }
    }

    /// The number of states.
    pub fn len(&self) -> usize {
        self.rhs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rhs.is_empty()
    }

    /// `f(y)`: one rate per state.
    pub fn rates(&self, at: Point<'_>) -> Vec<f64> {
        let env = environment(at);
        self.rhs.iter().map(|&f| self.dag.eval(f, &env)).collect()
    }

    /// `J(y)`: `[i][j] = ∂f_i/∂y_j`.
    pub fn matrix(&self, at: Point<'_>) -> Vec<Vec<f64>> {
        let env = environment(at);
        self.entries
            .iter()
            .map(|row| row.iter().map(|&d| self.dag.eval(d, &env)).collect())
            .collect()
    }
}

/// A symbol's value at `at`; NaN for a symbol a right-hand side cannot contain (a gate's
/// teaching name, `dt`) or an index out of range, so a defect shows up as NaN, not as a
/// plausible number.
fn environment(at: Point<'_>) -> impl Fn(Sym) -> f64 + '_ {
    move |sym| {
        let value = match sym {
            Sym::Param(i) => at.params.get(i as usize),
            Sym::Input(i) => at.inputs.get(i as usize),
            Sym::State(i) => at.states.get(i as usize),
            Sym::Time => Some(&at.t),
            Sym::Gate(..) | Sym::Dt => None,
        };
        value.copied().unwrap_or(f64::NAN)
    }
}
