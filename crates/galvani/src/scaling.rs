//! Generated models of growing size, one family per way a model grows (independent states,
//! gates, a param chain, chained intermediates, events), for `galvani bench --scaling` and
//! for the tests that count the compiler's work as a model grows.

use std::fmt::Write as _;

/// One way a model can grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `n` independent states `dx_i/dt = -x_i/tau`.
    States,
    /// One membrane state and `n` gates depending on it.
    Gates,
    /// An `n`-long chain of params `p_i = p_{i-1} + 1 mV` feeding one state.
    ParamChain,
    /// `n` intermediates in chains of [`CHAIN_SEGMENT`] (`a_i = a_{i-1}/2 + x_j`), each
    /// chain's last value driving its own state; segments keep the substituted expression
    /// far below the symbolic engine's depth bound.
    Intermediates,
    /// `n` states, each with its own `on` block resetting it.
    Events,
}

/// Length of one chain of intermediates in [`Family::Intermediates`].
pub const CHAIN_SEGMENT: usize = 50;

impl Family {
    pub const ALL: [Family; 5] = [
        Family::States,
        Family::Gates,
        Family::ParamChain,
        Family::Intermediates,
        Family::Events,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::States => "states",
            Family::Gates => "gates",
            Family::ParamChain => "param-chain",
            Family::Intermediates => "intermediates",
            Family::Events => "events",
        }
    }
}

/// The source text of a model of `family` with `n` members (`n ≥ 1`).
pub fn generate(family: Family, n: usize) -> String {
    let n = n.max(1);
    let mut text = format!(
        "model scaling_{} \"generated: {n} {}\"\n\nparam tau = 10 ms\n",
        family.name().replace('-', "_"),
        family.name()
    );
    // `write!` to a String cannot fail.
    let w = &mut text;
    match family {
        Family::States => {
            for i in 0..n {
                let _ = writeln!(w, "state x{i} = {} mV", 1 + i % 7);
            }
            for i in 0..n {
                let _ = writeln!(w, "dx{i}/dt = -x{i} / tau");
            }
        }
        Family::Gates => {
            let _ = writeln!(w, "state V = -65 mV");
            let _ = writeln!(w, "dV/dt = -(V + 65 mV) / tau");
            for i in 0..n {
                let rate = 0.1 + (i % 97) as f64 * 0.001;
                let _ = writeln!(
                    w,
                    "gate g{i} {{\n    alpha = {rate}/ms * exp((V + 65 mV) / 20 mV)\n    beta  = 0.2/ms * exp(-(V + 65 mV) / 18 mV)\n}}"
                );
            }
        }
        Family::ParamChain => {
            let _ = writeln!(w, "param p0 = 1 mV");
            for i in 1..n {
                let _ = writeln!(w, "param p{i} = p{} + 1 mV", i - 1);
            }
            let _ = writeln!(w, "state V = 0 mV");
            let _ = writeln!(w, "dV/dt = (p{} - V) / tau", n - 1);
        }
        Family::Intermediates => {
            let chains = n.div_ceil(CHAIN_SEGMENT);
            for j in 0..chains {
                let _ = writeln!(w, "state x{j} = {} mV", 1 + j % 7);
            }
            for i in 0..n {
                let j = i / CHAIN_SEGMENT;
                if i % CHAIN_SEGMENT == 0 {
                    let _ = writeln!(w, "a{i} = x{j}");
                } else {
                    let _ = writeln!(w, "a{i} = a{} / 2 + x{j}", i - 1);
                }
            }
            for j in 0..chains {
                let last = ((j + 1) * CHAIN_SEGMENT).min(n) - 1;
                let _ = writeln!(w, "dx{j}/dt = (a{last} - 3 * x{j}) / tau");
            }
        }
        Family::Events => {
            for i in 0..n {
                let _ = writeln!(w, "state x{i} = {} mV", i % 7);
            }
            for i in 0..n {
                let _ = writeln!(w, "dx{i}/dt = (10 mV - x{i}) / tau");
            }
            for i in 0..n {
                let _ = writeln!(w, "on x{i} > {} mV {{\n    x{i} = 0 mV\n}}", 5 + i % 3);
            }
        }
    }
    text
}
