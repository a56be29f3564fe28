//! The hand-written C Hodgkin–Huxley exponential Euler, second-order Rush–Larsen, forward
//! Euler and RK4 (`c/hh.c`, compiled by `build.rs` with -O3 -march=native -ffast-math)
//! behind a safe function, the yardstick `cargo bench -p galvani-cbench` measures
//! galvani's kernels against (issue 12: within 1.25× of the same algorithm in C for the
//! exponential methods, 1.5× for euler and rk4). Not part of galvani itself; tests check
//! that each is the algorithm of `models/hh.gal` under the same `--method`.

/// The algorithms written in C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CMethod {
    ExpEuler,
    ExpEuler2,
    Euler,
    Rk4,
}

impl CMethod {
    pub const ALL: [CMethod; 4] = [
        CMethod::Euler,
        CMethod::Rk4,
        CMethod::ExpEuler,
        CMethod::ExpEuler2,
    ];
}

/// The states of a population of HH neurons, one array per state.
#[derive(Clone, Debug, PartialEq)]
pub struct HhPopulation {
    pub v: Vec<f64>,
    pub m: Vec<f64>,
    pub h: Vec<f64>,
    pub n: Vec<f64>,
    /// The input current of each neuron (uA/cm²).
    pub input: Vec<f64>,
    /// Upward crossings of 0 mV per neuron.
    pub spikes: Vec<u64>,
}

impl HhPopulation {
    /// `count` neurons at `V = −65 mV` with each gate at its steady state there (the
    /// model's initial values), driven by `input(i)`.
    pub fn at_rest(count: usize, input: impl Fn(usize) -> f64) -> HhPopulation {
        // α/(α + β) at V = −65 mV, the values galvani's init block computes.
        let v: f64 = -65.0;
        let exprel = |x: f64| if x == 0.0 { 1.0 } else { x / x.exp_m1() };
        let a_m = exprel(-0.1 * (v + 40.0));
        let b_m = 4.0 * (-(v + 65.0) / 18.0).exp();
        let a_h = 0.07 * (-(v + 65.0) / 20.0).exp();
        let b_h = 1.0 / (1.0 + (-0.1 * (v + 35.0)).exp());
        let a_n = 0.1 * exprel(-0.1 * (v + 55.0));
        let b_n = 0.125 * (-(v + 65.0) / 80.0).exp();
        HhPopulation {
            v: vec![v; count],
            m: vec![a_m / (a_m + b_m); count],
            h: vec![a_h / (a_h + b_h); count],
            n: vec![a_n / (a_n + b_n); count],
            input: (0..count).map(input).collect(),
            spikes: vec![0; count],
        }
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// `steps` steps of `dt` ms with `method`, counting spikes.
    pub fn run(&mut self, method: CMethod, steps: usize, dt: f64) {
        let count = self.len();
        assert!(
            [&self.m, &self.h, &self.n, &self.input]
                .iter()
                .all(|a| a.len() == count)
                && self.spikes.len() == count,
            "every array has one value per neuron"
        );
        let function: CStep = match method {
            CMethod::ExpEuler => galvani_cbench_hh_expeuler,
            CMethod::ExpEuler2 => galvani_cbench_hh_expeuler2,
            CMethod::Euler => galvani_cbench_hh_euler,
            CMethod::Rk4 => galvani_cbench_hh_rk4,
        };
        // SAFETY: every array has `count` elements (checked above) and is borrowed
        // exclusively (or shared, for the input) for the call; the C function reads and
        // writes exactly indices 0..count of each.
        unsafe {
            function(
                count,
                steps,
                dt,
                self.v.as_mut_ptr(),
                self.m.as_mut_ptr(),
                self.h.as_mut_ptr(),
                self.n.as_mut_ptr(),
                self.input.as_ptr(),
                self.spikes.as_mut_ptr(),
            );
        }
    }
}

/// The signature of every C function.
type CStep = unsafe extern "C" fn(
    usize,
    usize,
    f64,
    *mut f64,
    *mut f64,
    *mut f64,
    *mut f64,
    *const f64,
    *mut u64,
);

/// Declares each C function of `c/hh.c`, all with the [`CStep`] signature:
/// `(count, steps, dt, V, m, h, n, input, spikes)`.
macro_rules! c_steps {
    ($($name:ident),* $(,)?) => {
        unsafe extern "C" {
            $(
                fn $name(
                    count: usize,
                    steps: usize,
                    dt: f64,
                    v: *mut f64,
                    m: *mut f64,
                    h: *mut f64,
                    n: *mut f64,
                    input: *const f64,
                    spikes: *mut u64,
                );
            )*
        }
    };
}

c_steps!(
    galvani_cbench_hh_euler,
    galvani_cbench_hh_rk4,
    galvani_cbench_hh_expeuler,
    galvani_cbench_hh_expeuler2,
);
