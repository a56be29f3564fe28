//! Firing rates of a population run, as an electrophysiologist reads an f–I curve: the
//! steady rate of firing that persists to the end of the window, the first-ISI rate and the
//! mean rate. `FiringRates` is the spike sink behind `galvani fi`; per neuron it keeps a
//! count and at most five spike times (the first two and the last three), so its memory is
//! proportional to the population, not to the number of spikes.
//!
//! The steady rate is `1/mean(ISI)` over the last (at most three) interspike intervals,
//! counted only when the firing persists: the window must end less than
//! `PERSISTENCE × mean ISI` after the last spike. A neuron that fires a few spikes and falls
//! silent (a type-II neuron just below its rheobase: Hodgkin–Huxley at 6 µA/cm² fires twice
//! and stops) has steady rate 0 and is reported as transient. Example: spikes at 10, 30, 50,
//! 70 ms in a 100 ms window give ISIs of 20 ms, the window ends 30 ms < 2 × 20 ms after the
//! last spike: 50 Hz; the same spikes in a 1 s window: transient, 0 Hz.

use galvani_runtime::{SinkError, SpikeSink};

/// The window may end at most this many mean ISIs after the last spike for the firing to
/// count as persistent: a regular spike train always has its next spike within one ISI,
/// and the factor leaves room for the ISI to lengthen slowly (adaptation).
pub const PERSISTENCE: f64 = 2.0;

/// How many of the last intervals the steady rate averages.
const LAST_INTERVALS: usize = 3;

/// One neuron's rates, in Hz.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    /// The steady rate (0 when the neuron fired fewer than twice or only transiently).
    pub steady_hz: f64,
    /// `1/(t₂ − t₁)`, 0 with fewer than two spikes.
    pub first_isi_hz: f64,
    /// Spikes per second over the whole window.
    pub mean_hz: f64,
    /// The neuron fired at least twice but fell silent before the end of the window.
    pub transient: bool,
}

#[derive(Clone, Debug, Default)]
struct Train {
    count: u64,
    first_two: [f64; 2],
    /// The last spikes, oldest first, at most `LAST_INTERVALS + 1` of them.
    last: Vec<f64>,
}

/// Per neuron: the spike count and the spike times the rates need.
pub struct FiringRates {
    trains: Vec<Train>,
}

impl FiringRates {
    pub fn new(n: usize) -> Self {
        FiringRates {
            trains: vec![Train::default(); n],
        }
    }

    /// The rates of `neuron` in a window of `t_end` ms starting at 0.
    pub fn rates(&self, neuron: usize, t_end: f64) -> Rates {
        let none = Rates {
            steady_hz: 0.0,
            first_isi_hz: 0.0,
            mean_hz: 0.0,
            transient: false,
        };
        let Some(train) = self.trains.get(neuron) else {
            return none;
        };
        let mean_hz = if t_end > 0.0 {
            train.count as f64 / t_end * 1000.0
        } else {
            0.0
        };
        if train.count < 2 {
            return Rates { mean_hz, ..none };
        }
        let first_isi = train.first_two[1] - train.first_two[0];
        let first_isi_hz = if first_isi > 0.0 {
            1000.0 / first_isi
        } else {
            0.0
        };
        let last = &train.last;
        let intervals = last.len() - 1;
        let mean_isi = (last[intervals] - last[0]) / intervals as f64;
        let persists = mean_isi > 0.0 && t_end - last[intervals] < PERSISTENCE * mean_isi;
        Rates {
            steady_hz: if persists { 1000.0 / mean_isi } else { 0.0 },
            first_isi_hz,
            mean_hz,
            transient: !persists,
        }
    }
}

impl SpikeSink for FiringRates {
    fn spike(&mut self, neuron: u32, t: f64, _event: usize) -> Result<(), SinkError> {
        if let Some(train) = self.trains.get_mut(neuron as usize) {
            if train.count < 2 {
                train.first_two[train.count as usize] = t;
            }
            train.count += 1;
            if train.last.len() == LAST_INTERVALS + 1 {
                train.last.remove(0);
            }
            train.last.push(t);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(times: &[f64]) -> FiringRates {
        let mut rates = FiringRates::new(1);
        for &t in times {
            rates.spike(0, t, 0).unwrap();
        }
        rates
    }

    #[test]
    fn regular_firing_to_the_end_is_steady() {
        let rates = train(&[10.0, 30.0, 50.0, 70.0]).rates(0, 100.0);
        assert_eq!(rates.steady_hz, 50.0);
        assert_eq!(rates.first_isi_hz, 50.0);
        assert_eq!(rates.mean_hz, 40.0);
        assert!(!rates.transient);
    }

    #[test]
    fn firing_that_stops_is_transient_with_steady_rate_zero() {
        // Hodgkin–Huxley just below rheobase: two spikes, then silence for a second.
        let rates = train(&[12.0, 30.0]).rates(0, 1000.0);
        assert_eq!(rates.steady_hz, 0.0);
        assert!(rates.transient);
        assert!((rates.first_isi_hz - 1000.0 / 18.0).abs() < 1e-12);
        assert_eq!(rates.mean_hz, 2.0);
    }

    #[test]
    fn the_steady_rate_uses_the_last_intervals_not_the_onset() {
        // An adapting train: ISIs 5, 10, 20, 20, 20 ms; the steady rate is 1/20 ms.
        let rates = train(&[0.0, 5.0, 15.0, 35.0, 55.0, 75.0]).rates(0, 90.0);
        assert_eq!(rates.steady_hz, 50.0);
        assert_eq!(rates.first_isi_hz, 200.0);
    }

    #[test]
    fn fewer_than_two_spikes_have_no_rate_but_a_mean() {
        let rates = train(&[12.0]).rates(0, 500.0);
        assert_eq!((rates.steady_hz, rates.first_isi_hz), (0.0, 0.0));
        assert_eq!(rates.mean_hz, 2.0);
        assert!(!rates.transient);
        assert_eq!(
            FiringRates::new(1).rates(7, 100.0).mean_hz,
            0.0,
            "out of range"
        );
    }
}
