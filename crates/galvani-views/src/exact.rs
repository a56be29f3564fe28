//! The `exact` method in the teaching view: the model's linear system `dy/dt = M·y + c`
//! as expressions, and the propagator `E = e^(M·dt)`, `F = ∫₀^dt e^(M·s) ds` that a run
//! computes from it, here for the declared params at `run`'s default step.

use crate::print::{latex_name, Printer, Style};
use galvani_ir::propagator::exponential_and_integral;
use galvani_symbolic::{Linearized, Sym};
use serde_json::{json, Value};

/// `galvani run`'s default step (ms), at which the propagator is shown.
pub const SHOWN_DT_MS: f64 = 0.025;

/// The system and its propagator, as text.
pub(crate) struct ExactSystem {
    /// The states, in order: the rows and columns of `M`, `E` and `F`.
    pub states: Vec<String>,
    /// `(row, column, expression)` of `M`'s entries that are not identically 0.
    pub matrix: Vec<(usize, usize, String)>,
    /// `(row, expression)` of `c`'s entries that are not identically 0.
    pub constant: Vec<(usize, String)>,
    /// `(row, column, value)` of `E`'s entries that are not 0, internal units.
    pub exponential: Vec<(usize, usize, f64)>,
    /// `(row, column, value)` of `F`'s entries the step reads (`c_column` not 0).
    pub integral: Vec<(usize, usize, f64)>,
}

impl ExactSystem {
    /// `None` when the model is not linear with constant coefficients (the caller has
    /// refused `exact` for it already).
    pub(crate) fn of(lin: &Linearized, style: Style) -> Option<ExactSystem> {
        let system = galvani_symbolic::linear_system(lin).ok()?;
        let model = lin.model();
        let printer = Printer::over(&system.dag, model, style);
        let n = system.matrix.len();
        let zero = |id| system.dag.is_const(id, 0.0);
        let matrix = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| !zero(system.matrix[i][j]))
            .map(|(i, j)| (i, j, printer.print(system.matrix[i][j])))
            .collect();
        let constant = (0..n)
            .filter(|&i| !zero(system.constant[i]))
            .map(|i| (i, printer.print(system.constant[i])))
            .collect();
        let params = model.param_values();
        let at_declared = |sym: Sym| match sym {
            Sym::Param(k) => params.get(k as usize).copied().unwrap_or(f64::NAN),
            _ => f64::NAN,
        };
        let values: Vec<f64> = system
            .matrix
            .iter()
            .flat_map(|row| row.iter().map(|&id| system.dag.eval(id, &at_declared)))
            .collect();
        let (e, f) = exponential_and_integral(&values, n, SHOWN_DT_MS);
        let exponential = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| e[i * n + j] != 0.0)
            .map(|(i, j)| (i, j, e[i * n + j]))
            .collect();
        let integral = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| f[i * n + j] != 0.0 && !zero(system.constant[j]))
            .map(|(i, j)| (i, j, f[i * n + j]))
            .collect();
        Some(ExactSystem {
            states: model.states.iter().map(|s| s.name.clone()).collect(),
            matrix,
            constant,
            exponential,
            integral,
        })
    }

    /// Labelled lines for the text and markdown views.
    pub(crate) fn rows(&self) -> Vec<(String, String)> {
        let name = |i: usize| self.states[i].as_str();
        let mut rows = vec![(
            "system".to_string(),
            format!("dy/dt = M·y + c, y = ({})", self.states.join(", ")),
        )];
        let labelled = |label: &str, k: usize| {
            if k == 0 {
                label.to_string()
            } else {
                String::new()
            }
        };
        for (k, (i, j, text)) in self.matrix.iter().enumerate() {
            rows.push((
                labelled("M = ∂f/∂y", k),
                format!("M[{},{}] = {text}", name(*i), name(*j)),
            ));
        }
        for (k, (i, text)) in self.constant.iter().enumerate() {
            rows.push((
                labelled("c = f at y = 0", k),
                format!("c[{}] = {text}", name(*i)),
            ));
        }
        rows.push((
            "propagator".to_string(),
            format!(
                "E = e^(M·dt), F = ∫₀^dt e^(M·s) ds, once per run; at the declared params and dt = {SHOWN_DT_MS} ms, internal units:"
            ),
        ));
        for (i, j, value) in &self.exponential {
            rows.push((
                String::new(),
                format!("E[{},{}] = {value}", name(*i), name(*j)),
            ));
        }
        for (i, j, value) in &self.integral {
            rows.push((
                String::new(),
                format!("F[{},{}] = {value}", name(*i), name(*j)),
            ));
        }
        rows
    }

    /// The LaTeX section: `M` and `c` as column-aligned matrices (expressions in LaTeX
    /// style, from `ExactSystem::of(lin, Style::Latex)`), `E` as numbers, the `F` entries
    /// the step reads as a list.
    pub(crate) fn latex(&self) -> String {
        let n = self.states.len();
        let names: Vec<String> = self.states.iter().map(|s| latex_name(s)).collect();
        let column = |cells: Vec<String>| {
            format!(
                "\\begin{{pmatrix}} {} \\end{{pmatrix}}",
                cells.join(" \\\\ ")
            )
        };
        let matrix = |cell: &dyn Fn(usize, usize) -> Option<String>| {
            column(
                (0..n)
                    .map(|i| {
                        (0..n)
                            .map(|j| cell(i, j).unwrap_or_else(|| "0".to_string()))
                            .collect::<Vec<_>>()
                            .join(" & ")
                    })
                    .collect(),
            )
        };
        let m = matrix(&|i, j| entry(&self.matrix, i, j).cloned());
        let c = column(
            (0..n)
                .map(|i| {
                    self.constant
                        .iter()
                        .find(|(r, _)| *r == i)
                        .map_or_else(|| "0".to_string(), |(_, text)| text.clone())
                })
                .collect(),
        );
        let e = matrix(&|i, j| entry(&self.exponential, i, j).map(f64::to_string));
        let f: Vec<String> = self
            .integral
            .iter()
            .map(|(i, j, v)| format!("F_{{{}\\,{}}} = {v}", names[*i], names[*j]))
            .collect();
        format!(
            "\\subsection*{{Linear system}}\n\
             With $y = ({})$ the equations are $\\frac{{dy}}{{dt}} = M\\,y + c$:\n\
             \\[ M = {m}, \\qquad c = {c}. \\]\n\
             The propagator $E = e^{{M\\,\\Delta t}}$, $F = \\int_0^{{\\Delta t}} e^{{M s}}\\,ds$ \
             is computed once per run; at the declared params and \
             $\\Delta t = {SHOWN_DT_MS}$~ms (internal units):\n\
             \\[ E = {e}, \\qquad {}. \\]\n",
            names.join(", "),
            f.join(", \\; ")
        )
    }

    pub(crate) fn json(&self) -> Value {
        let name = |i: &usize| self.states[*i].clone();
        json!({
            "states": self.states,
            "matrix": self.matrix.iter().map(|(i, j, text)| json!({"row": name(i), "column": name(j), "value": text})).collect::<Vec<_>>(),
            "constant": self.constant.iter().map(|(i, text)| json!({"row": name(i), "value": text})).collect::<Vec<_>>(),
            "dt_ms": SHOWN_DT_MS,
            "exponential": self.exponential.iter().map(|(i, j, v)| json!({"row": name(i), "column": name(j), "value": v})).collect::<Vec<_>>(),
            "integral": self.integral.iter().map(|(i, j, v)| json!({"row": name(i), "column": name(j), "value": v})).collect::<Vec<_>>(),
        })
    }
}

/// The value at `(row, column)` of a matrix kept as its non-zero entries.
fn entry<T>(entries: &[(usize, usize, T)], row: usize, column: usize) -> Option<&T> {
    entries
        .iter()
        .find(|(r, c, _)| (*r, *c) == (row, column))
        .map(|(_, _, value)| value)
}
