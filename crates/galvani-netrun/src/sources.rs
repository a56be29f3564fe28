//! Random and recorded spike sources: `poisson = RATE` source populations (each neuron
//! spikes in step k with probability `1 − exp(−RATE·dt)`, drawn as geometric gaps between
//! its spikes), `spikes = file(…)` populations (spike times rounded to the grid), and the
//! Poisson event counts of `drive` blocks. Every neuron draws from its own stream keyed by
//! (seed, block, population, neuron), so the numbers do not depend on who draws them.

use galvani_network::{Formula, Leaf};
use galvani_runtime::rng::Xoshiro256;

use crate::NetworkRunError;

/// Stream keys: one tag per kind of source, so no two kinds share a stream.
const POISSON_SOURCE: u64 = 0x70_6f_69_73;
const DRIVE: u64 = 0x64_72_69_76;

/// A population of independent Poisson spike sources.
pub(crate) struct PoissonSources {
    /// `ln(1 − p)` for the spike probability `p` of one step (`−rate·dt`).
    log_miss: f64,
    streams: Vec<Xoshiro256>,
    /// The step in which each source spikes next (`u64::MAX`: never); unused for a rate
    /// that depends on time.
    next: Vec<u64>,
    /// An inhomogeneous rate (1/ms) of `t` (ms), and the step: each source draws in
    /// every step with `p = 1 − exp(−max(0, rate(t_k))·dt)`.
    rate_of_time: Option<(Formula, f64)>,
}

impl PoissonSources {
    /// `rate` in 1/ms (or `rate_of_time`); population `population` of the network.
    pub(crate) fn new(
        rate: f64,
        rate_of_time: Option<&Formula>,
        dt: f64,
        n: usize,
        seed: u64,
        population: usize,
    ) -> PoissonSources {
        // 1 − p = exp(−rate·dt) exactly, so ln(1 − p) = −rate·dt.
        let log_miss = -rate * dt;
        let mut streams: Vec<Xoshiro256> = (0..n)
            .map(|i| Xoshiro256::for_stream(seed, &[POISSON_SOURCE, population as u64, i as u64]))
            .collect();
        if let Some(formula) = rate_of_time {
            return PoissonSources {
                log_miss,
                streams,
                next: Vec::new(),
                rate_of_time: Some((formula.clone(), dt)),
            };
        }
        let next = streams.iter_mut().map(|g| gap(log_miss, g)).collect();
        PoissonSources {
            log_miss,
            streams,
            next,
            rate_of_time: None,
        }
    }

    /// The sources that spike in step `k` (at `t_{k+1}`), ascending, appended to `out`.
    pub(crate) fn fire(&mut self, k: u64, out: &mut Vec<u32>) {
        if let Some((formula, dt)) = &self.rate_of_time {
            let p = -(-rate_at(formula, k as f64 * dt) * dt).exp_m1();
            for (i, rng) in self.streams.iter_mut().enumerate() {
                if rng.uniform() < p {
                    out.push(i as u32);
                }
            }
            return;
        }
        for (i, next) in self.next.iter_mut().enumerate() {
            if *next == k {
                out.push(i as u32);
                *next = k
                    .saturating_add(1)
                    .saturating_add(gap(self.log_miss, &mut self.streams[i]));
            }
        }
    }
}

/// A rate that depends on time at `t` (ms), 1/ms; a negative value counts as 0.
pub(crate) fn rate_at(formula: &Formula, t: f64) -> f64 {
    let rate = formula.eval(&|leaf| match leaf {
        Leaf::Time => t,
        _ => f64::NAN,
    });
    if rate > 0.0 {
        rate
    } else {
        0.0
    }
}

/// The number of steps without a spike before the next one: geometric with success
/// probability `p`, `⌊ln u / ln(1 − p)⌋` for `u` uniform in (0, 1].
fn gap(log_miss: f64, rng: &mut Xoshiro256) -> u64 {
    if log_miss == 0.0 {
        return u64::MAX;
    }
    let u = 1.0 - rng.uniform();
    let g = (u.ln() / log_miss).floor();
    if g >= u64::MAX as f64 / 2.0 {
        u64::MAX / 2
    } else {
        g as u64
    }
}

/// Spikes of a `spikes = file(…)` population on the grid: `by_index[g]` are the neurons
/// that spike at `t_g`, ascending.
pub(crate) struct FileSources {
    spikes: Vec<(u64, u32)>,
    cursor: usize,
}

impl FileSources {
    /// `spikes` as `(neuron, t in ms)`; times are rounded to the grid, and spikes after
    /// the last grid point are dropped.
    pub(crate) fn new(
        spikes: &[(u32, f64)],
        n: usize,
        dt: f64,
        steps: u64,
        population: usize,
    ) -> Result<FileSources, NetworkRunError> {
        let mut on_grid = Vec::with_capacity(spikes.len());
        for &(neuron, t) in spikes {
            if neuron as usize >= n || !(t >= 0.0 && t.is_finite()) {
                return Err(NetworkRunError::SpikeFile {
                    population,
                    neuron,
                    t,
                    size: n,
                });
            }
            let index = (t / dt).round();
            if index <= steps as f64 {
                on_grid.push((index as u64, neuron));
            }
        }
        on_grid.sort_unstable();
        Ok(FileSources {
            spikes: on_grid,
            cursor: 0,
        })
    }

    /// The neurons that spike at grid index `g` (called with g = 0, 1, 2, … in order).
    pub(crate) fn at(&mut self, g: u64, out: &mut Vec<u32>) {
        while let Some(&(index, neuron)) = self.spikes.get(self.cursor) {
            if index > g {
                break;
            }
            if index == g {
                out.push(neuron);
            }
            self.cursor += 1;
        }
    }
}

/// Poisson event counts with one mean: the cumulative distribution as a table, so a
/// count costs one uniform draw and a binary search.
pub(crate) struct PoissonCounts {
    /// `cdf[n] = P(N ≤ n)`, up to where the tail is below 2⁻⁶⁰.
    cdf: Vec<f64>,
}

impl PoissonCounts {
    /// Counts of mean `mean` (≥ 0).
    pub(crate) fn new(mean: f64) -> PoissonCounts {
        let mut cdf = Vec::new();
        let mut total = 0.0;
        // ln P(N = n) = −λ + n·ln λ − ln n!, summed in order (no underflow of e^{−λ}).
        let mut log_factorial = 0.0;
        let limit = mean + 40.0 * mean.sqrt() + 40.0;
        let mut n = 0u64;
        while (n as f64) <= limit {
            if n > 0 {
                log_factorial += (n as f64).ln();
            }
            let log_p = if mean == 0.0 {
                if n == 0 {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            } else {
                -mean + n as f64 * mean.ln() - log_factorial
            };
            total += log_p.exp();
            cdf.push(total.min(1.0));
            if n as f64 > mean && 1.0 - total < 2f64.powi(-60) {
                break;
            }
            n += 1;
        }
        PoissonCounts { cdf }
    }

    /// The count for a uniform `u` in [0, 1): the smallest n with `u < P(N ≤ n)`.
    pub(crate) fn count(&self, u: f64) -> u32 {
        // The table is non-decreasing, so the entries ≤ u are a prefix and their number
        // is the count. For the short tables of a step's small mean (λ·dt) every entry is
        // compared, branch-free (the compiler vectorises it): a scan that stops at the
        // first larger entry mispredicts its exit on almost every draw, and Brunel's
        // drive draws one count per neuron and step.
        if self.cdf.len() <= 64 {
            return self.cdf.iter().map(|&c| u32::from(c <= u)).sum();
        }
        self.cdf.partition_point(|&c| c <= u) as u32
    }
}

/// The per-neuron streams of one drive onto one population.
pub(crate) fn drive_streams(
    seed: u64,
    drive: usize,
    population: usize,
    n: usize,
) -> Vec<Xoshiro256> {
    (0..n)
        .map(|i| Xoshiro256::for_stream(seed, &[DRIVE, drive as u64, population as u64, i as u64]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_counts_have_the_poisson_mean_and_variance() {
        for mean in [0.0, 0.05, 1.6, 12.0, 300.0] {
            let counts = PoissonCounts::new(mean);
            let mut rng = Xoshiro256::for_stream(7, &[1]);
            let draws = 200_000;
            let values: Vec<f64> = (0..draws)
                .map(|_| counts.count(rng.uniform()) as f64)
                .collect();
            let m = values.iter().sum::<f64>() / draws as f64;
            let v = values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (draws - 1) as f64;
            // Standard error of the mean √(λ/n); of the variance ≈ λ·√(2/n) (+ the
            // fourth cumulant λ/n): five of each.
            let se_mean = (mean / draws as f64).sqrt();
            let se_var = mean * (2.0 / draws as f64).sqrt() + (mean / draws as f64).sqrt();
            assert!(
                (m - mean).abs() <= 5.0 * se_mean + 1e-12,
                "mean {m} for {mean}"
            );
            assert!(
                (v - mean).abs() <= 5.0 * se_var + 1e-12,
                "variance {v} for {mean}"
            );
        }
    }

    #[test]
    fn poisson_sources_spike_with_the_step_probability() {
        // rate 0.05/ms, dt 0.1 ms: p = 1 − e^{−0.005} per step.
        let (rate, dt, n, steps) = (0.05, 0.1, 2000, 2000u64);
        let mut sources = PoissonSources::new(rate, None, dt, n, 3, 0);
        let mut total = 0usize;
        let mut fired = Vec::new();
        for k in 0..steps {
            fired.clear();
            sources.fire(k, &mut fired);
            assert!(fired.windows(2).all(|w| w[0] < w[1]));
            total += fired.len();
        }
        let p = -(-rate * dt).exp_m1();
        let trials = (n as u64 * steps) as f64;
        let expected = p * trials;
        let se = (trials * p * (1.0 - p)).sqrt();
        assert!(
            (total as f64 - expected).abs() <= 5.0 * se,
            "{total} spikes, expected {expected} ± {se}"
        );
    }

    #[test]
    fn file_spikes_land_on_the_nearest_grid_point() {
        let mut sources =
            FileSources::new(&[(1, 0.26), (0, 0.0), (1, 0.04), (0, 99.0)], 2, 0.1, 10, 0).unwrap();
        let mut out = Vec::new();
        sources.at(0, &mut out);
        assert_eq!(out, vec![0, 1]);
        out.clear();
        sources.at(1, &mut out);
        sources.at(2, &mut out);
        assert!(out.is_empty());
        sources.at(3, &mut out);
        assert_eq!(out, vec![1]);
        assert!(FileSources::new(&[(2, 1.0)], 2, 0.1, 10, 0).is_err());
        assert!(FileSources::new(&[(0, -1.0)], 2, 0.1, 10, 0).is_err());
    }
}
