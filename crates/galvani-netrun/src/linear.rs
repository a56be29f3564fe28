//! Synapse states whose equations read one another, solved exactly between spikes: the
//! states of one synapse form a linear system with constant coefficients,
//! `dy/dt = a + M·y` (the checker guarantees linearity; `a_i = f_i(0)`,
//! `M_ij = f_i(e_j) − f_i(0)`), whose solution over Δ is
//! `[y(t+Δ); 1] = exp(Δ·[[M, a], [0, 0]])·[y(t); 1]` — the augmented matrix carries the
//! constant term. The exponential is taken by scaling and squaring with a Taylor series
//! (the argument scaled to norm ≤ 1/2, terms until they no longer change the sum), to a few
//! units in the last place for the small systems synapses have (a dual-exponential synapse is 2×2).

use galvani_network::{Formula, Leaf};

use crate::build::Column;

/// A square matrix, row-major.
#[derive(Clone, Debug, PartialEq)]
struct Matrix {
    n: usize,
    values: Vec<f64>,
}

impl Matrix {
    fn zero(n: usize) -> Matrix {
        Matrix {
            n,
            values: vec![0.0; n * n],
        }
    }

    fn identity(n: usize) -> Matrix {
        let mut m = Matrix::zero(n);
        for i in 0..n {
            m.values[i * n + i] = 1.0;
        }
        m
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.n + j]
    }

    fn times(&self, other: &Matrix) -> Matrix {
        let n = self.n;
        let mut out = Matrix::zero(n);
        for i in 0..n {
            for k in 0..n {
                let a = self.at(i, k);
                if a == 0.0 {
                    continue;
                }
                for j in 0..n {
                    out.values[i * n + j] += a * other.at(k, j);
                }
            }
        }
        out
    }

    /// The largest row sum of absolute values (the ∞-norm).
    fn norm(&self) -> f64 {
        (0..self.n)
            .map(|i| (0..self.n).map(|j| self.at(i, j).abs()).sum::<f64>())
            .fold(0.0, f64::max)
    }

    /// `exp(self)` by scaling and squaring: `exp(X) = exp(X/2^s)^(2^s)` with
    /// `‖X/2^s‖ ≤ 1/2`, the inner exponential a Taylor series summed until a term no
    /// longer changes it.
    fn exp(&self) -> Matrix {
        let norm = self.norm();
        let squarings = if norm > 0.5 {
            (norm / 0.5).log2().ceil() as i32
        } else {
            0
        };
        let scale = 0.5f64.powi(squarings);
        let scaled = Matrix {
            n: self.n,
            values: self.values.iter().map(|v| v * scale).collect(),
        };
        let mut sum = Matrix::identity(self.n);
        let mut term = Matrix::identity(self.n);
        for k in 1..=30 {
            term = term.times(&scaled);
            let factor = 1.0 / k as f64;
            term.values.iter_mut().for_each(|v| *v *= factor);
            let before = sum.values.clone();
            for (s, t) in sum.values.iter_mut().zip(&term.values) {
                *s += t;
            }
            if sum.values == before {
                break;
            }
        }
        for _ in 0..squarings {
            sum = sum.times(&sum);
        }
        sum
    }
}

/// Advances the states `y` of synapse `s` (whose equations are `derivatives`, reading
/// params through `params`) exactly by `delta` ms.
pub(crate) fn advance(
    derivatives: &[Option<&Formula>],
    params: &[Column],
    s: usize,
    y: &mut [f64],
    delta: f64,
) {
    let n = y.len();
    let f = |i: usize, state: &[f64]| {
        derivatives[i].map_or(0.0, |formula| {
            formula.eval(&|leaf| match leaf {
                Leaf::SynapseParam(p) => params[p].get(s),
                Leaf::SynapseState(j) => state[j],
                // The checker allows only params and the synapse's states here.
                _ => f64::NAN,
            })
        })
    };
    let origin = vec![0.0; n];
    let mut augmented = Matrix::zero(n + 1);
    let mut unit = vec![0.0; n];
    for i in 0..n {
        let a = f(i, &origin);
        augmented.values[i * (n + 1) + n] = a * delta;
        for j in 0..n {
            unit[j] = 1.0;
            augmented.values[i * (n + 1) + j] = (f(i, &unit) - a) * delta;
            unit[j] = 0.0;
        }
    }
    let e = augmented.exp();
    let old = y.to_vec();
    for (i, yi) in y.iter_mut().enumerate() {
        *yi = (0..n).map(|j| e.at(i, j) * old[j]).sum::<f64>() + e.at(i, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exponential_of_a_diagonal_and_of_a_nilpotent_matrix() {
        let d = Matrix {
            n: 2,
            values: vec![-3.0, 0.0, 0.0, 0.5],
        }
        .exp();
        assert!(
            (d.at(0, 0) / (-3f64).exp() - 1.0).abs() < 1e-14,
            "{} vs {}",
            d.at(0, 0),
            (-3f64).exp()
        );
        assert!(
            (d.at(1, 1) / 0.5f64.exp() - 1.0).abs() < 1e-14,
            "{}",
            d.at(1, 1)
        );
        // exp([[0, 1], [0, 0]]·t) = [[1, t], [0, 1]]
        let n = Matrix {
            n: 2,
            values: vec![0.0, 7.0, 0.0, 0.0],
        }
        .exp();
        assert_eq!(n.values, vec![1.0, 7.0, 0.0, 1.0]);
    }

    #[test]
    fn a_large_argument_is_squared_back_accurately() {
        // exp(−40) through 7 squarings.
        let e = Matrix {
            n: 1,
            values: vec![-40.0],
        }
        .exp();
        assert!((e.at(0, 0) / (-40f64).exp() - 1.0).abs() < 1e-13);
    }
}
