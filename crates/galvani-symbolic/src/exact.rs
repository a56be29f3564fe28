//! `LinearSystem`: a model's equations written as `dy/dt = M·y + c`, for the `exact`
//! method, or the reason they cannot be.
//!
//! - `M_ij = ∂f_i/∂y_j`, simplified. The system is *linear with constant coefficients*
//!   when every `M_ij` reads params only: no state, no input, no `t`. A function whose
//!   gradient is the same at every `y` is affine in `y`, so then `f = M·y + c` exactly.
//!   Every equation must also be linear in its own state by `linear.rs`'s stricter test
//!   (no `y` in a piecewise or singular construct), which rules out a derivative that is
//!   constant only where it exists.
//! - `c_i = f_i[y ↦ 0]`: params and inputs (held over a step by the language's meaning,
//!   so the exact step stays exact), never `t` (a drive that changes within the step).
//!
//! Example: CUBA's `dv/dt = (ge + gi − (v − E_L))/τ_m`, `dge/dt = −ge/τ_e`,
//! `dgi/dt = −gi/τ_i` give `M = [[−1/τ_m, 1/τ_m, 1/τ_m], [0, −1/τ_e, 0], [0, 0, −1/τ_i]]`
//! and `c = (E_L/τ_m, 0, 0)`.

use crate::dag::{Dag, NodeId, Sym};
use crate::linear::{Class, Linearized};
use crate::SymbolicError;
use std::collections::HashMap;

/// A model's equations as `dy/dt = M·y + c`, for people (`galvani explain` under
/// `exact`): the expressions live in `dag`, a copy of the model's DAG with the
/// derivatives added.
#[derive(Clone, Debug)]
pub struct LinearSystemForms {
    pub dag: Dag,
    /// `matrix[i][j] = M_ij = ∂f_i/∂y_j`, reading params only.
    pub matrix: Vec<Vec<NodeId>>,
    /// `constant[i] = c_i`, reading params and inputs.
    pub constant: Vec<NodeId>,
}

/// `lin`'s equations as `dy/dt = M·y + c`, or `NotExact` (or `NoiseMethod` for a model
/// with noise) as `discretize` under `exact` gives it.
pub fn linear_system(lin: &Linearized) -> Result<LinearSystemForms, SymbolicError> {
    if let Some(first) = lin.model.noises.first() {
        return Err(SymbolicError::NoiseMethod {
            method: galvani_ir::step::Method::Exact,
            span: first.span,
        });
    }
    let mut dag = lin.dag.clone();
    let system = LinearSystem::of(&mut dag, lin)?;
    Ok(LinearSystemForms {
        dag,
        matrix: system.matrix,
        constant: system.constant,
    })
}

/// `dy/dt = M·y + c` over every state of a model.
#[derive(Clone, Debug)]
pub(crate) struct LinearSystem {
    /// `matrix[i][j] = M_ij = ∂f_i/∂y_j`, reading params only.
    pub(crate) matrix: Vec<Vec<NodeId>>,
    /// `constant[i] = c_i = f_i` at `y = 0`, reading params and inputs.
    pub(crate) constant: Vec<NodeId>,
}

impl LinearSystem {
    /// The system of `lin`'s equations (differentiation adds nodes to `dag`, a copy of
    /// `lin`'s), or `NotExact` naming the first equation that is not linear with
    /// constant coefficients and why.
    pub(crate) fn of(dag: &mut Dag, lin: &Linearized) -> Result<LinearSystem, SymbolicError> {
        let model = &lin.model;
        let n = lin.states.len();
        let not_exact = |i: usize, reason: String| {
            let state = &model.states[i];
            SymbolicError::NotExact {
                state: state.name.clone(),
                reason,
                span: state.ode_span,
            }
        };
        let mut matrix = Vec::with_capacity(n);
        let mut constant = Vec::with_capacity(n);
        let zeros: HashMap<Sym, NodeId> = (0..n as u32)
            .map(|j| (Sym::State(j), dag.zero(dag.sym_dim(Sym::State(j)))))
            .collect();
        for (i, form) in lin.states.iter().enumerate() {
            if let Class::Nonlinear { reason, .. } = &form.class {
                return Err(not_exact(i, reason.clone()));
            }
            let mut row = Vec::with_capacity(n);
            for j in 0..n {
                let coefficient = dag.diff(form.f, Sym::State(j as u32));
                if let Some(sym) = dag
                    .syms(coefficient)
                    .iter()
                    .find(|s| !matches!(s, Sym::Param(_)))
                {
                    let read = match sym {
                        Sym::State(k) => format!("the state {}", model.states[*k as usize].name),
                        Sym::Input(k) => match model.inputs.get(*k as usize) {
                            Some(input) => format!("the input {}", input.name),
                            None => "white noise".to_string(),
                        },
                        Sym::Time => "the time t".to_string(),
                        _ => "something other than params".to_string(),
                    };
                    return Err(not_exact(
                        i,
                        format!(
                            "its coefficient of {} reads {read}, so it is not constant",
                            model.states[j].name
                        ),
                    ));
                }
                row.push(coefficient);
            }
            matrix.push(row);
            let at_zero = dag.substitute(form.f, &zeros);
            if dag.depends_on(at_zero, Sym::Time) {
                return Err(not_exact(
                    i,
                    "its drive reads the time t, which changes within a step".to_string(),
                ));
            }
            constant.push(at_zero);
        }
        Ok(LinearSystem { matrix, constant })
    }

    /// `reach[i][j]`: `y_j` influences `y_i` within a step, through a chain of non-zero
    /// coefficients (or `i = j`). `E_ij` and `F_ij` are exactly 0 elsewhere.
    pub(crate) fn reach(&self, dag: &Dag) -> Vec<Vec<bool>> {
        let n = self.matrix.len();
        let mut reach: Vec<Vec<bool>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| i == j || !dag.is_const(self.matrix[i][j], 0.0))
                    .collect()
            })
            .collect();
        // Warshall's transitive closure.
        for k in 0..n {
            let through = reach[k].clone();
            for row in reach.iter_mut().filter(|row| row[k]) {
                for (to, &reachable) in row.iter_mut().zip(&through) {
                    *to |= reachable;
                }
            }
        }
        reach
    }
}
