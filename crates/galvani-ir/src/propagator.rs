//! `Propagator`: the exact step of a linear system with constant coefficients, and the
//! matrix exponential that computes it.
//!
//! For `dy/dt = M·y + c` with `M` constant and `c` held over the step (inputs are held
//! by the language's meaning), the solution after one step is exactly
//!
//! `y(t + dt) = E·y(t) + F·c`, with `E = e^{M·dt}` and `F = ∫₀^dt e^{M·s} ds`,
//!
//! what NEST and Brian2 call the propagator (Rotter & Diesmann 1999). Both matrices come
//! from one exponential of a block matrix (Van Loan 1978):
//!
//! `exp([[M·dt, dt·I], [0, 0]]) = [[E, F], [0, I]]`,
//!
//! which needs no inverse of `M` (singular for any state without decay) and stays
//! accurate when two time constants are equal or close, where the textbook closed form
//! `(e^{−dt/τ₁} − e^{−dt/τ₂})/(1/τ₂ − 1/τ₁)` divides zero by zero.
//!
//! The exponential is Higham's scaling and squaring with the [13/13] Padé approximant
//! (Higham 2005, "The scaling and squaring method for the matrix exponential revisited"):
//! with `s` the least integer such that `‖A/2^s‖₁ ≤ θ₁₃ = 5.37`, `e^A = r₁₃(A/2^s)^(2^s)`,
//! backward error below the unit roundoff of f64.

/// One entry of a square matrix and the param slot that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    pub row: u32,
    pub column: u32,
    pub param: u32,
}

/// Where a step program keeps its linear system and the propagator of its step (only
/// under `Method::Exact`). The params block computes `M`'s entries into their slots like
/// any derived param; the runtime then fills `E`'s and `F`'s slots from them and `dt`
/// ([`Propagator::fill`]) before the first step, and the step block reads them as params.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Propagator {
    /// The system's size: the model's states, in layout order.
    pub size: u32,
    /// `M`'s entries that are not identically 0; every other entry is 0.
    pub matrix: Vec<Entry>,
    /// The entries of `E = e^{M·dt}` the step reads.
    pub exponential: Vec<Entry>,
    /// The entries of `F = ∫₀^dt e^{M·s} ds` the step reads.
    pub integral: Vec<Entry>,
}

impl Propagator {
    /// `E`'s and `F`'s entries as `(param slot, value)`, from `M`'s entries read with
    /// `param` (one neuron's params) and the step size `dt`.
    pub fn fill(&self, param: impl Fn(u32) -> f64, dt: f64) -> Vec<(u32, f64)> {
        let n = self.size as usize;
        let mut matrix = vec![0.0; n * n];
        for entry in &self.matrix {
            matrix[entry.row as usize * n + entry.column as usize] = param(entry.param);
        }
        let (exponential, integral) = exponential_and_integral(&matrix, n, dt);
        let at = |values: &[f64], entry: &Entry| {
            (
                entry.param,
                values[entry.row as usize * n + entry.column as usize],
            )
        };
        self.exponential
            .iter()
            .map(|e| at(&exponential, e))
            .chain(self.integral.iter().map(|e| at(&integral, e)))
            .collect()
    }
}

/// `(E, F)` for the `n × n` matrix `m` (row-major) and step `dt`: `E = e^{M·dt}`,
/// `F = ∫₀^dt e^{M·s} ds`, both row-major, from the exponential of the `2n × 2n` block
/// matrix `[[M·dt, dt·I], [0, 0]]`. Non-finite entries of `m` give non-finite results.
pub fn exponential_and_integral(m: &[f64], n: usize, dt: f64) -> (Vec<f64>, Vec<f64>) {
    let size = 2 * n;
    let mut block = vec![0.0; size * size];
    for row in 0..n {
        for column in 0..n {
            block[row * size + column] = m[row * n + column] * dt;
        }
        block[row * size + n + row] = dt;
    }
    let exponential_of_block = expm(&block, size);
    let mut exponential = vec![0.0; n * n];
    let mut integral = vec![0.0; n * n];
    for row in 0..n {
        for column in 0..n {
            exponential[row * n + column] = exponential_of_block[row * size + column];
            integral[row * n + column] = exponential_of_block[row * size + n + column];
        }
    }
    (exponential, integral)
}

/// The [13/13] Padé coefficients `b₀…b₁₃` (Higham 2005, table 10.4).
const PADE13: [f64; 14] = [
    64_764_752_532_480_000.0,
    32_382_376_266_240_000.0,
    7_771_770_303_897_600.0,
    1_187_353_796_428_800.0,
    129_060_195_264_000.0,
    10_559_470_521_600.0,
    670_442_572_800.0,
    33_522_128_640.0,
    1_323_241_920.0,
    40_840_800.0,
    960_960.0,
    16_380.0,
    182.0,
    1.0,
];

/// `θ₁₃`: the largest 1-norm for which `r₁₃` has backward error below 2⁻⁵³.
const THETA13: f64 = 5.371_920_351_148_152;

/// `e^A` of the `n × n` row-major matrix `a` (scaling and squaring, [13/13] Padé).
pub fn expm(a: &[f64], n: usize) -> Vec<f64> {
    let norm = (0..n)
        .map(|column| (0..n).map(|row| a[row * n + column].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    if !norm.is_finite() {
        return vec![f64::NAN; n * n];
    }
    // ‖A/2^s‖₁ ≤ θ₁₃; dividing by a power of two is exact.
    let squarings = if norm > THETA13 {
        (norm / THETA13).log2().ceil().max(0.0) as i32
    } else {
        0
    };
    let scale = 2f64.powi(-squarings);
    let a: Vec<f64> = a.iter().map(|x| x * scale).collect();
    let identity = identity(n);
    let a2 = multiply(&a, &a, n);
    let a4 = multiply(&a2, &a2, n);
    let a6 = multiply(&a4, &a2, n);
    let b = PADE13;
    // U = A·(A⁶·(b₁₃A⁶ + b₁₁A⁴ + b₉A²) + b₇A⁶ + b₅A⁴ + b₃A² + b₁I)
    let inner = combine(&[(b[13], &a6), (b[11], &a4), (b[9], &a2)]);
    let odd = add(
        &multiply(&a6, &inner, n),
        &combine(&[(b[7], &a6), (b[5], &a4), (b[3], &a2), (b[1], &identity)]),
    );
    let u = multiply(&a, &odd, n);
    // V = A⁶·(b₁₂A⁶ + b₁₀A⁴ + b₈A²) + b₆A⁶ + b₄A⁴ + b₂A² + b₀I
    let inner = combine(&[(b[12], &a6), (b[10], &a4), (b[8], &a2)]);
    let v = add(
        &multiply(&a6, &inner, n),
        &combine(&[(b[6], &a6), (b[4], &a4), (b[2], &a2), (b[0], &identity)]),
    );
    // r₁₃ = (V − U)⁻¹·(V + U)
    let denominator: Vec<f64> = v.iter().zip(&u).map(|(v, u)| v - u).collect();
    let numerator: Vec<f64> = v.iter().zip(&u).map(|(v, u)| v + u).collect();
    let mut result = solve(denominator, numerator, n);
    for _ in 0..squarings {
        result = multiply(&result, &result, n);
    }
    result
}

fn identity(n: usize) -> Vec<f64> {
    let mut identity = vec![0.0; n * n];
    for k in 0..n {
        identity[k * n + k] = 1.0;
    }
    identity
}

fn multiply(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut product = vec![0.0; n * n];
    for row in 0..n {
        for k in 0..n {
            let left = a[row * n + k];
            for column in 0..n {
                product[row * n + column] += left * b[k * n + column];
            }
        }
    }
    product
}

fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// `Σ coefficient·matrix`.
fn combine(terms: &[(f64, &Vec<f64>)]) -> Vec<f64> {
    let mut sum = vec![0.0; terms[0].1.len()];
    for (coefficient, matrix) in terms {
        for (s, x) in sum.iter_mut().zip(matrix.iter()) {
            *s += coefficient * x;
        }
    }
    sum
}

/// `X` with `A·X = B` (all `n × n`), by Gaussian elimination with partial pivoting. A
/// singular `A` (not reached by a scaled Padé denominator) gives non-finite entries.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Vec<f64> {
    for pivot in 0..n {
        let best = (pivot..n)
            .max_by(|&r, &s| a[r * n + pivot].abs().total_cmp(&a[s * n + pivot].abs()))
            .unwrap_or(pivot);
        if best != pivot {
            for column in 0..n {
                a.swap(pivot * n + column, best * n + column);
                b.swap(pivot * n + column, best * n + column);
            }
        }
        let diagonal = a[pivot * n + pivot];
        for row in pivot + 1..n {
            let factor = a[row * n + pivot] / diagonal;
            if factor == 0.0 {
                continue;
            }
            for column in pivot..n {
                a[row * n + column] -= factor * a[pivot * n + column];
            }
            for column in 0..n {
                b[row * n + column] -= factor * b[pivot * n + column];
            }
        }
    }
    for pivot in (0..n).rev() {
        let diagonal = a[pivot * n + pivot];
        for column in 0..n {
            let mut value = b[pivot * n + column];
            for k in pivot + 1..n {
                value -= a[pivot * n + k] * b[k * n + column];
            }
            b[pivot * n + column] = value / diagonal;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative_error(got: f64, want: f64) -> f64 {
        if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        }
    }

    /// One state, `dV/dt = −V/τ + c`: `E = e^{−dt/τ}`, `F = τ·(1 − e^{−dt/τ})`. To an
    /// ulp or two while `dt/τ` needs no squaring (≤ 5.37, every neuron model's step); past
    /// that the result is accurate relative to the matrix's norm (squaring), not to a
    /// tiny entry: `e^{−40}` ≈ 4e-18 to 1e-15 absolute.
    #[test]
    fn a_passive_membrane_is_its_closed_form() {
        for (tau, dt) in [
            (20.0, 0.1),
            (10.0, 0.025),
            (0.5, 3.0),
            (5.0, 1e-6),
            (1.0, 40.0),
        ] {
            let (e, f) = exponential_and_integral(&[-1.0 / tau], 1, dt);
            let decay = (-dt / tau).exp();
            if dt / tau <= THETA13 {
                assert!(
                    relative_error(e[0], decay) < 4e-16,
                    "τ {tau} dt {dt}: {}",
                    e[0]
                );
            } else {
                assert!((e[0] - decay).abs() < 1e-15, "τ {tau} dt {dt}: {}", e[0]);
            }
            let integral = -tau * (-dt / tau).exp_m1();
            assert!(
                relative_error(f[0], integral) < 4e-16,
                "τ {tau} dt {dt}: {} vs {integral}",
                f[0]
            );
        }
    }

    /// A state with no decay integrates its input: `E = 1`, `F = dt` (the inverse of M
    /// does not exist; the block exponential does not need it).
    #[test]
    fn a_pure_integrator_gets_dt() {
        let (e, f) = exponential_and_integral(&[0.0], 1, 0.1);
        assert_eq!((e[0], f[0]), (1.0, 0.1));
    }

    /// A current-based synapse feeding a membrane, `dI/dt = −I/τs`,
    /// `dV/dt = (−V + I)/τm`: `E₀₁ = (e^{−h/τm} − e^{−h/τs})/(τm/τs − 1)`… written with
    /// distinct rates, and its limit `(h/τ)·e^{−h/τ}` when the two are equal.
    #[test]
    fn a_synapse_onto_a_membrane_matches_the_closed_form_also_at_equal_time_constants() {
        let h = 0.1;
        for (tau_m, tau_s) in [(20.0, 5.0), (10.0, 10.0), (10.0, 10.0 + 1e-9), (3.0, 30.0)] {
            // y = (V, I)
            let m = [-1.0 / tau_m, 1.0 / tau_m, 0.0, -1.0 / tau_s];
            let (e, _) = exponential_and_integral(&m, 2, h);
            let (a, b) = (1.0 / tau_m, 1.0 / tau_s);
            let want = if (a - b).abs() < 1e-6 * a {
                (h / tau_m) * (-h * a).exp()
            } else {
                a * ((-h * b).exp() - (-h * a).exp()) / (a - b)
            };
            assert!(
                relative_error(e[1], want) < 1e-12,
                "τm {tau_m} τs {tau_s}: {} vs {want}",
                e[1]
            );
            assert!(relative_error(e[0], (-h * a).exp()) < 4e-16);
            assert!(relative_error(e[3], (-h * b).exp()) < 4e-16);
            assert_eq!(e[2], 0.0, "no path from V back to I");
        }
    }

    /// Complex eigenvalues: `dx/dt = −γx − ωy`, `dy/dt = ωx − γy` rotates and decays,
    /// `E = e^{−γh}·[[cos ωh, −sin ωh], [sin ωh, cos ωh]]`, also over many squarings.
    #[test]
    fn a_damped_rotation_is_its_closed_form() {
        for (gamma, omega, h) in [(0.1, 2.0, 0.05), (0.5, 30.0, 1.0), (0.0, 1.0, 100.0)] {
            let m = [-gamma, -omega, omega, -gamma];
            let (e, _) = exponential_and_integral(&m, 2, h);
            let decay = (-gamma * h).exp();
            let (sin, cos) = (omega * h).sin_cos();
            let want = [decay * cos, -decay * sin, decay * sin, decay * cos];
            for (got, want) in e.iter().zip(want) {
                assert!(
                    (got - want).abs() < 1e-12,
                    "γ {gamma} ω {omega} h {h}: {got} vs {want}"
                );
            }
        }
    }

    /// `F` solves the held-input problem: stepping `y ← E·y + F·c` many times reaches the
    /// fixed point `−M⁻¹·c` of a stable system.
    #[test]
    fn repeated_steps_reach_the_fixed_point() {
        let m = [-0.5, 0.2, 0.1, -0.3];
        let c = [1.0, -2.0];
        let (e, f) = exponential_and_integral(&m, 2, 0.7);
        let mut y = [0.0, 0.0];
        for _ in 0..2000 {
            y = [
                e[0] * y[0] + e[1] * y[1] + f[0] * c[0] + f[1] * c[1],
                e[2] * y[0] + e[3] * y[1] + f[2] * c[0] + f[3] * c[1],
            ];
        }
        // M·y* = −c
        let det = m[0] * m[3] - m[1] * m[2];
        let fixed = [
            (-c[0] * m[3] + c[1] * m[1]) / det,
            (-c[1] * m[0] + c[0] * m[2]) / det,
        ];
        for (got, want) in y.iter().zip(fixed) {
            assert!(relative_error(*got, want) < 1e-13, "{got} vs {want}");
        }
    }

    #[test]
    fn non_finite_coefficients_give_non_finite_propagators() {
        let (e, f) = exponential_and_integral(&[f64::INFINITY], 1, 0.1);
        assert!(!e[0].is_finite() && !f[0].is_finite());
        let (e, _) = exponential_and_integral(&[f64::NAN], 1, 0.1);
        assert!(e[0].is_nan());
    }

    #[test]
    fn fill_reads_the_matrix_from_params_and_writes_the_entries_the_step_reads() {
        let propagator = Propagator {
            size: 2,
            matrix: vec![
                Entry {
                    row: 0,
                    column: 0,
                    param: 5,
                },
                Entry {
                    row: 0,
                    column: 1,
                    param: 6,
                },
                Entry {
                    row: 1,
                    column: 1,
                    param: 7,
                },
            ],
            exponential: vec![Entry {
                row: 0,
                column: 1,
                param: 8,
            }],
            integral: vec![Entry {
                row: 1,
                column: 1,
                param: 9,
            }],
        };
        let params = |slot: u32| match slot {
            5 => -0.05,
            6 => 0.05,
            7 => -0.2,
            _ => f64::NAN,
        };
        let filled = propagator.fill(params, 0.1);
        let (e, f) = exponential_and_integral(&[-0.05, 0.05, 0.0, -0.2], 2, 0.1);
        assert_eq!(filled, vec![(8, e[1]), (9, f[3])]);
    }
}
