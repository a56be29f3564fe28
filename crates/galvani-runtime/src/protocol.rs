//! Input protocols (`--input NAME=PROTOCOL`): what an input is at each grid time `t_k`.
//! `Protocol` is the description (the CLI parses text into it, in internal units: times
//! in ms, frequencies in 1/ms); `Driver` is its running state for one input of a
//! population (the Ornstein–Uhlenbeck processes and their random streams).
//!
//! Every protocol is evaluated with a fallback, the input's default for that neuron (what
//! a protocol yields "otherwise"). Inside a sum, each term's fallback is 0: a sum stacks
//! drives, and the default is not added once per term.

use crate::rng::Xoshiro256;
use crate::{ConfigError, ProtocolDefect};

#[derive(Clone, Debug, PartialEq)]
pub enum Protocol {
    /// `AMP`: the same value at all times for every neuron.
    Constant(f64),
    /// One constant per neuron (`linspace`, `file(values.csv)`, the `fi` sweep).
    PerNeuron(Vec<f64>),
    /// `step(t0, t1, amp)`: `amp` for `t0 ≤ t < t1`, the fallback otherwise.
    Step { t0: f64, t1: f64, amp: f64 },
    /// `pulses(start, width, period, amp[, count])`: `amp` for `t ≥ start` when
    /// `(t − start) mod period < width` and the pulse number `⌊(t − start)/period⌋` is
    /// below `count` (unlimited when `None`); the fallback otherwise.
    Pulses {
        start: f64,
        width: f64,
        period: f64,
        amp: f64,
        count: Option<u64>,
    },
    /// `ramp(t0, t1, a0, a1)`: `a0 + (a1 − a0)·(t − t0)/(t1 − t0)` for `t0 ≤ t < t1`, the
    /// fallback otherwise (like `step`).
    Ramp { t0: f64, t1: f64, a0: f64, a1: f64 },
    /// `sine(amp, freq[, offset])`: `offset + amp·sin(2π·freq·t)`; without `offset`, the
    /// fallback is the offset.
    Sine {
        amp: f64,
        freq: f64,
        offset: Option<f64>,
    },
    /// `ou(mean, sigma, tau)`: an Ornstein–Uhlenbeck process with stationary mean `mean`,
    /// standard deviation `sigma` and correlation time `tau`, sampled exactly on the grid:
    /// `x_{k+1} = mean + (x_k − mean)·e^{−dt/τ} + sigma·√(1 − e^{−2dt/τ})·ξ_k`, ξ standard
    /// normal; `x_0 = mean + sigma·ξ` (stationary from the start). One independent stream
    /// per neuron, input and `ou` term, derived from the run's seed.
    Ou { mean: f64, sigma: f64, tau: f64 },
    /// `file(path.csv)`: `(time, value)` samples sorted by time; the value of the last
    /// sample with time ≤ t is held; the fallback before the first sample.
    Samples(Vec<(f64, f64)>),
    /// `P1 + P2 + …`
    Sum(Vec<Protocol>),
    /// The slot of a white noise `xi_NAME` of the model (never written by users, and only
    /// alone, not in a sum): a fresh standard normal draw per neuron at every grid time,
    /// independent across steps, neurons and slots. Each neuron's draws come from its
    /// own stream, keyed by the run's seed, the slot and the neuron. The step program
    /// scales them (by `√dt` or the Ornstein–Uhlenbeck standard deviation).
    WhiteNoise,
    /// The slot of an escape-noise event (`on hazard(RATE)`; never written by users,
    /// only alone): a fresh uniform draw in [0, 1) per neuron at every grid time, from the
    /// neuron's own stream (keyed by the seed, the slot and the neuron). The event fires
    /// when it is below `1 − exp(−RATE·dt)`.
    Uniform,
}

impl Protocol {
    /// Whether the protocol gives every neuron the same value at every time (a constant,
    /// per-neuron constants, or a sum of them): the runtime then samples it once instead
    /// of every step.
    pub fn is_time_invariant(&self) -> bool {
        match self {
            Protocol::Constant(_) | Protocol::PerNeuron(_) => true,
            Protocol::Sum(terms) => terms.iter().all(Protocol::is_time_invariant),
            _ => false,
        }
    }

    /// Checks the protocol's numbers for a population of `n` (before a run starts).
    pub fn validate(&self, n: usize) -> Result<(), ConfigError> {
        let bad = |defect| Err(ConfigError::Protocol(defect));
        match self {
            Protocol::Step { t0, t1, .. } | Protocol::Ramp { t0, t1, .. }
                if t1.partial_cmp(t0) != Some(std::cmp::Ordering::Greater) =>
            {
                bad(ProtocolDefect::EmptyInterval)
            }
            Protocol::Constant(_) | Protocol::Step { .. } | Protocol::Ramp { .. } => Ok(()),
            Protocol::Sine { freq, .. } if !freq.is_finite() => bad(ProtocolDefect::SineFrequency),
            Protocol::Sine { .. } => Ok(()),
            Protocol::PerNeuron(values) if values.len() != n => Err(ConfigError::PerNeuronLength {
                what: "input protocol".to_string(),
                expected: n,
                found: values.len(),
            }),
            Protocol::PerNeuron(_) => Ok(()),
            Protocol::Pulses { width, period, .. }
                if !(*period > 0.0 && *width > 0.0 && width < period) =>
            {
                bad(ProtocolDefect::PulsesShape)
            }
            Protocol::Pulses { .. } => Ok(()),
            Protocol::Ou { sigma, tau, .. } if !(*tau > 0.0 && *sigma >= 0.0) => {
                bad(ProtocolDefect::OuShape)
            }
            Protocol::Ou { .. } => Ok(()),
            Protocol::Samples(samples) if samples.is_empty() => bad(ProtocolDefect::NoSamples),
            Protocol::Samples(samples)
                if samples.iter().any(|s| s.0.is_nan())
                    || samples.windows(2).any(|w| w[0].0 > w[1].0) =>
            {
                bad(ProtocolDefect::UnorderedSamples)
            }
            Protocol::Samples(_) => Ok(()),
            Protocol::Sum(terms) => terms.iter().try_for_each(|p| p.validate(n)),
            Protocol::WhiteNoise | Protocol::Uniform => Ok(()),
        }
    }

    /// The value at `t` for `neuron` when the protocol has no `ou` term (`None` if it has):
    /// for plots and previews.
    pub fn deterministic_value(&self, t: f64, neuron: usize, fallback: f64) -> Option<f64> {
        if self.ou_terms() > 0 || self.has_white_noise() {
            return None;
        }
        Some(self.value(t, t, neuron, fallback, &[], &mut 0))
    }

    fn has_white_noise(&self) -> bool {
        match self {
            Protocol::WhiteNoise | Protocol::Uniform => true,
            Protocol::Sum(terms) => terms.iter().any(Protocol::has_white_noise),
            _ => false,
        }
    }

    /// The number of `ou` terms, in evaluation order.
    fn ou_terms(&self) -> usize {
        match self {
            Protocol::Ou { .. } => 1,
            Protocol::Sum(terms) => terms.iter().map(Protocol::ou_terms).sum(),
            _ => 0,
        }
    }

    /// The value at `t`; `ou[j]` holds the current value of the `j`-th `ou` term for this
    /// neuron, `next_ou` counts the terms met so far. Interval edges are compared at
    /// `t_edge` (the runtime passes `t` nudged up by a billionth of a step, so that
    /// `k·dt` landing a rounding error below an edge such as `0.7` counts as on it).
    fn value(
        &self,
        t: f64,
        t_edge: f64,
        neuron: usize,
        fallback: f64,
        ou: &[f64],
        next_ou: &mut usize,
    ) -> f64 {
        match self {
            Protocol::Constant(a) => *a,
            Protocol::PerNeuron(values) => values.get(neuron).copied().unwrap_or(fallback),
            Protocol::Step { t0, t1, amp } => {
                if *t0 <= t_edge && t_edge < *t1 {
                    *amp
                } else {
                    fallback
                }
            }
            Protocol::Pulses {
                start,
                width,
                period,
                amp,
                count,
            } => {
                if t_edge < *start {
                    return fallback;
                }
                let since = t_edge - start;
                let number = (since / period).floor();
                let within = since - number * period;
                let counted = count.is_none_or(|c| number < c as f64);
                if within < *width && counted {
                    *amp
                } else {
                    fallback
                }
            }
            Protocol::Ramp { t0, t1, a0, a1 } => {
                if *t0 <= t_edge && t_edge < *t1 {
                    a0 + (a1 - a0) * (t - t0) / (t1 - t0)
                } else {
                    fallback
                }
            }
            Protocol::Sine { amp, freq, offset } => {
                offset.unwrap_or(fallback) + amp * (std::f64::consts::TAU * freq * t).sin()
            }
            Protocol::Ou { .. } => {
                let j = *next_ou;
                *next_ou += 1;
                ou.get(j).copied().unwrap_or(fallback)
            }
            Protocol::Samples(samples) => {
                // Index of the first sample later than t; the one before it holds.
                let later = samples.partition_point(|&(ts, _)| ts <= t_edge);
                if later == 0 {
                    fallback
                } else {
                    samples[later - 1].1
                }
            }
            Protocol::Sum(terms) => terms
                .iter()
                .map(|p| p.value(t, t_edge, neuron, 0.0, ou, next_ou))
                .sum(),
            // The driver writes the draws itself (see `Driver::sample`).
            Protocol::WhiteNoise | Protocol::Uniform => fallback,
        }
    }

    /// The `(mean, sigma, tau)` of every `ou` term, in evaluation order.
    fn ou_parameters(&self, out: &mut Vec<(f64, f64, f64)>) {
        match self {
            Protocol::Ou { mean, sigma, tau } => out.push((*mean, *sigma, *tau)),
            Protocol::Sum(terms) => terms.iter().for_each(|p| p.ou_parameters(out)),
            _ => {}
        }
    }
}

/// One OU term's processes for the whole population.
#[derive(Clone, Debug)]
struct OuProcesses {
    mean: f64,
    /// `e^{−dt/τ}`
    decay: f64,
    /// `sigma·√(1 − e^{−2dt/τ})`
    kick: f64,
    values: Vec<f64>,
    streams: Vec<Xoshiro256>,
}

/// The first key of a white-noise slot's streams: distinct from every `ou` stream, whose
/// first key is an input index.
const WHITE_NOISE_KEY: u64 = u64::MAX;

/// The first key of an escape-noise slot's streams.
const UNIFORM_KEY: u64 = u64::MAX - 1;

/// The current draws of a white-noise or escape-noise slot for the whole population.
#[derive(Clone, Debug)]
struct WhiteNoise {
    values: Vec<f64>,
    streams: Vec<Xoshiro256>,
    /// Uniform in [0, 1) (escape noise) instead of standard normal.
    uniform: bool,
}

impl WhiteNoise {
    fn new(seed: u64, slot: usize, n: usize, uniform: bool) -> WhiteNoise {
        let key = if uniform {
            UNIFORM_KEY
        } else {
            WHITE_NOISE_KEY
        };
        let streams = (0..n)
            .map(|i| Xoshiro256::for_stream(seed, &[key, slot as u64, i as u64]))
            .collect();
        let mut noise = WhiteNoise {
            values: vec![0.0; n],
            streams,
            uniform,
        };
        noise.draw();
        noise
    }

    fn draw(&mut self) {
        for (x, g) in self.values.iter_mut().zip(&mut self.streams) {
            *x = if self.uniform {
                g.uniform()
            } else {
                g.normal()
            };
        }
    }
}

/// A protocol driving one input of a population.
#[derive(Clone, Debug)]
pub(crate) struct Driver {
    pub input: usize,
    protocol: Protocol,
    ou: Vec<OuProcesses>,
    white: Option<WhiteNoise>,
    /// The nudge of interval edges, `1e-9·dt`.
    edge_tolerance: f64,
    /// Scratch: the OU values of one neuron.
    ou_values: Vec<f64>,
}

impl Driver {
    /// Whether the input's values never change during a run (see
    /// [`Protocol::is_time_invariant`]); nothing writes input arrays but the drivers.
    pub fn is_time_invariant(&self) -> bool {
        self.protocol.is_time_invariant()
    }

    /// The input's index keys its random streams (with the term and the neuron).
    pub fn new(input: usize, protocol: Protocol, n: usize, dt: f64, seed: u64) -> Driver {
        let mut parameters = Vec::new();
        protocol.ou_parameters(&mut parameters);
        let ou = parameters
            .into_iter()
            .enumerate()
            .map(|(term, (mean, sigma, tau))| {
                let mut streams: Vec<Xoshiro256> = (0..n)
                    .map(|i| Xoshiro256::for_stream(seed, &[input as u64, term as u64, i as u64]))
                    .collect();
                let values = streams
                    .iter_mut()
                    .map(|g| mean + sigma * g.normal())
                    .collect();
                let decay = (-dt / tau).exp();
                // 1 − e^{−2dt/τ} = −expm1(−2dt/τ), accurate for dt ≪ τ.
                let kick = sigma * (-(-2.0 * dt / tau).exp_m1()).sqrt();
                OuProcesses {
                    mean,
                    decay,
                    kick,
                    values,
                    streams,
                }
            })
            .collect::<Vec<_>>();
        let white = match protocol {
            Protocol::WhiteNoise => Some(WhiteNoise::new(seed, input, n, false)),
            Protocol::Uniform => Some(WhiteNoise::new(seed, input, n, true)),
            _ => None,
        };
        Driver {
            input,
            white,
            ou_values: vec![0.0; ou.len()],
            edge_tolerance: 1e-9 * dt,
            protocol,
            ou,
        }
    }

    /// Moves every OU process one step forward (from `t_k` to `t_{k+1}`); draws the next
    /// white-noise values.
    pub fn advance(&mut self) {
        if let Some(w) = &mut self.white {
            w.draw();
        }
        for p in &mut self.ou {
            for (x, g) in p.values.iter_mut().zip(&mut p.streams) {
                *x = p.mean + (*x - p.mean) * p.decay + p.kick * g.normal();
            }
        }
    }

    /// Writes the value at `t` for every neuron into `out`, with per-neuron `defaults`.
    pub fn sample(&mut self, t: f64, defaults: &[f64], out: &mut [f64]) {
        if let Some(w) = &self.white {
            for (x, v) in out.iter_mut().zip(&w.values) {
                *x = *v;
            }
            return;
        }
        for (i, (x, &default)) in out.iter_mut().zip(defaults).enumerate() {
            for (v, p) in self.ou_values.iter_mut().zip(&self.ou) {
                *v = p.values[i];
            }
            let t_edge = t + self.edge_tolerance;
            *x = self
                .protocol
                .value(t, t_edge, i, default, &self.ou_values, &mut 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_time_invariant_and_the_rest_is_not() {
        use Protocol::*;
        assert!(Constant(1.0).is_time_invariant());
        assert!(PerNeuron(vec![1.0, 2.0]).is_time_invariant());
        assert!(Sum(vec![Constant(1.0), PerNeuron(vec![2.0])]).is_time_invariant());
        let step = Step {
            t0: 1.0,
            t1: 2.0,
            amp: 3.0,
        };
        assert!(!step.is_time_invariant());
        assert!(!Sum(vec![Constant(1.0), step]).is_time_invariant());
        assert!(!Ou {
            mean: 0.0,
            sigma: 1.0,
            tau: 5.0
        }
        .is_time_invariant());
        assert!(!Samples(vec![(0.0, 1.0)]).is_time_invariant());
    }

    /// The values of `protocol` on the grid `k·dt`, `k < steps`, with fallback `d`.
    fn on_grid(protocol: Protocol, dt: f64, steps: usize, d: f64) -> Vec<f64> {
        let mut driver = Driver::new(0, protocol, 1, dt, 0);
        let mut out = [0.0];
        (0..steps)
            .map(|k| {
                if k > 0 {
                    driver.advance();
                }
                driver.sample(k as f64 * dt, &[d], &mut out);
                out[0]
            })
            .collect()
    }

    #[test]
    fn step_includes_t0_and_excludes_t1_on_the_grid() {
        // dt = 0.3: 3·0.3 = 0.8999999999999999 < 0.9, yet t_3 is the step's start.
        let v = on_grid(
            Protocol::Step {
                t0: 0.9,
                t1: 1.8,
                amp: 5.0,
            },
            0.3,
            8,
            -1.0,
        );
        assert_eq!(v, [-1.0, -1.0, -1.0, 5.0, 5.0, 5.0, -1.0, -1.0]);
        let v = on_grid(
            Protocol::Step {
                t0: 0.3,
                t1: 0.7,
                amp: 1.0,
            },
            0.1,
            9,
            0.0,
        );
        assert_eq!(v, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn pulses_repeat_and_stop_after_count() {
        let p = Protocol::Pulses {
            start: 1.0,
            width: 1.0,
            period: 3.0,
            amp: 2.0,
            count: Some(2),
        };
        let v = on_grid(p, 0.5, 20, 0.0);
        let expected: Vec<f64> = (0..20)
            .map(|k| {
                let t = k as f64 * 0.5;
                let on = (1.0..2.0).contains(&t) || (4.0..5.0).contains(&t);
                if on {
                    2.0
                } else {
                    0.0
                }
            })
            .collect();
        assert_eq!(v, expected);
        let endless = Protocol::Pulses {
            start: 0.0,
            width: 0.1,
            period: 1.0,
            amp: 1.0,
            count: None,
        };
        assert_eq!(endless.deterministic_value(1000.05, 0, 0.0), Some(1.0));
        assert_eq!(endless.deterministic_value(1000.5, 0, 0.0), Some(0.0));
    }

    #[test]
    fn ramp_sine_samples_and_sums() {
        let ramp = Protocol::Ramp {
            t0: 1.0,
            t1: 3.0,
            a0: 0.0,
            a1: 4.0,
        };
        assert_eq!(ramp.deterministic_value(0.5, 0, 9.0), Some(9.0));
        assert_eq!(ramp.deterministic_value(2.0, 0, 9.0), Some(2.0));
        assert_eq!(ramp.deterministic_value(3.0, 0, 9.0), Some(9.0));

        // sine(amp, freq) without offset oscillates around the default.
        let sine = Protocol::Sine {
            amp: 2.0,
            freq: 0.25,
            offset: None,
        };
        assert!((sine.deterministic_value(1.0, 0, 5.0).unwrap() - 7.0).abs() < 1e-15);
        let sine = Protocol::Sine {
            amp: 2.0,
            freq: 0.25,
            offset: Some(1.0),
        };
        assert!((sine.deterministic_value(3.0, 0, 5.0).unwrap() + 1.0).abs() < 1e-15);

        let file = Protocol::Samples(vec![(1.0, 10.0), (2.0, 20.0)]);
        assert_eq!(file.deterministic_value(0.5, 0, -1.0), Some(-1.0));
        assert_eq!(file.deterministic_value(1.0, 0, -1.0), Some(10.0));
        assert_eq!(file.deterministic_value(1.99, 0, -1.0), Some(10.0));
        assert_eq!(file.deterministic_value(50.0, 0, -1.0), Some(20.0));

        // In a sum each term falls back to 0, not to the default.
        let sum = Protocol::Sum(vec![
            Protocol::Step {
                t0: 0.0,
                t1: 1.0,
                amp: 3.0,
            },
            Protocol::PerNeuron(vec![0.5, 1.5]),
        ]);
        assert_eq!(sum.deterministic_value(0.5, 1, 100.0), Some(4.5));
        assert_eq!(sum.deterministic_value(2.0, 0, 100.0), Some(0.5));
        let with_ou = Protocol::Sum(vec![Protocol::Ou {
            mean: 0.0,
            sigma: 1.0,
            tau: 1.0,
        }]);
        assert_eq!(with_ou.deterministic_value(0.0, 0, 0.0), None);
    }

    #[test]
    fn validation_rejects_nonsense() {
        assert!(Protocol::Samples(vec![]).validate(1).is_err());
        assert!(Protocol::Samples(vec![(2.0, 1.0), (1.0, 1.0)])
            .validate(1)
            .is_err());
        assert!(Protocol::Pulses {
            start: 0.0,
            width: 1.0,
            period: 0.0,
            amp: 1.0,
            count: None
        }
        .validate(1)
        .is_err());
        // Pulses as wide as their period merge into a constant; a step or ramp that ends
        // where it starts, or before, never acts.
        let pulses = |width: f64| Protocol::Pulses {
            start: 0.0,
            width,
            period: 2.0,
            amp: 1.0,
            count: None,
        };
        assert!(pulses(2.0).validate(1).is_err());
        assert!(pulses(0.0).validate(1).is_err());
        assert!(pulses(1.0).validate(1).is_ok());
        let step = |t0: f64, t1: f64| Protocol::Step { t0, t1, amp: 1.0 };
        assert_eq!(
            step(60.0, 10.0).validate(1),
            Err(ConfigError::Protocol(ProtocolDefect::EmptyInterval))
        );
        assert!(step(10.0, 10.0).validate(1).is_err());
        assert!(Protocol::Ramp {
            t0: 5.0,
            t1: 1.0,
            a0: 0.0,
            a1: 1.0
        }
        .validate(1)
        .is_err());
        assert!(Protocol::PerNeuron(vec![1.0]).validate(2).is_err());
        assert!(Protocol::Sum(vec![Protocol::Ou {
            mean: 0.0,
            sigma: -1.0,
            tau: 1.0
        }])
        .validate(1)
        .is_err());
        assert!(Protocol::Sine {
            amp: 1.0,
            freq: 0.1,
            offset: None
        }
        .validate(3)
        .is_ok());
    }

    #[test]
    fn ou_with_zero_sigma_relaxes_to_the_mean_exactly() {
        let v = on_grid(
            Protocol::Ou {
                mean: 3.0,
                sigma: 0.0,
                tau: 2.0,
            },
            0.1,
            5,
            0.0,
        );
        assert_eq!(v, [3.0; 5]);
    }

    #[test]
    fn white_noise_draws_a_fresh_standard_normal_per_neuron_and_step() {
        let (n, steps) = (100, 400);
        let draws = |seed: u64, slot: usize| -> Vec<f64> {
            let mut driver = Driver::new(slot, Protocol::WhiteNoise, n, 0.1, seed);
            let mut out = vec![0.0; n];
            let mut all = Vec::with_capacity(n * steps);
            for k in 0..steps {
                if k > 0 {
                    driver.advance();
                }
                driver.sample(k as f64 * 0.1, &vec![5.0; n], &mut out);
                all.extend_from_slice(&out);
            }
            all
        };
        let x = draws(3, 0);
        // Mean 0 and variance 1 within 5 standard errors of 40,000 draws.
        let m = x.len() as f64;
        let mean = x.iter().sum::<f64>() / m;
        let variance = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (m - 1.0);
        assert!(mean.abs() < 5.0 / m.sqrt(), "mean {mean}");
        assert!(
            (variance - 1.0).abs() < 5.0 * (2.0 / m).sqrt(),
            "variance {variance}"
        );
        // Not the default, not repeated across neurons or steps.
        assert!(x.iter().all(|&v| v != 5.0));
        assert_ne!(x[..n], x[n..2 * n]);
        assert_ne!(x[0], x[1]);
        // Same seed and slot, same draws; another seed or slot, other draws.
        assert_eq!(x, draws(3, 0));
        assert_ne!(x, draws(4, 0));
        assert_ne!(x, draws(3, 1));
        assert_eq!(Protocol::WhiteNoise.deterministic_value(0.0, 0, 1.0), None);
        assert!(!Protocol::WhiteNoise.is_time_invariant());
    }
}
