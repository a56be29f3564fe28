//! `SteadyRates`: the spike sink behind `galvani fi`, keeping per neuron only its first and
//! last spike time and its spike count — memory proportional to the population, not to
//! the number of spikes.

use galvani_runtime::{SinkError, SpikeSink};

/// Per neuron: its first and last spike time and its spike count.
pub struct SteadyRates {
    first_last_count: Vec<(f64, f64, u64)>,
}

impl SteadyRates {
    pub fn new(n: usize) -> Self {
        SteadyRates {
            first_last_count: vec![(0.0, 0.0, 0); n],
        }
    }

    /// The steady rate `(k − 1)/(t_k − t_1)` in Hz from the first to the last of `k ≥ 2`
    /// spikes (so an onset transient does not count as firing), 0 otherwise. Example:
    /// spikes at 10, 30 and 50 ms give 2/(40 ms) = 50 Hz.
    pub fn rate_hz(&self, neuron: usize) -> f64 {
        match self.first_last_count.get(neuron) {
            Some(&(first, last, count)) if count >= 2 && last > first => {
                (count - 1) as f64 / (last - first) * 1000.0
            }
            _ => 0.0,
        }
    }
}

impl SpikeSink for SteadyRates {
    fn spike(&mut self, neuron: u32, t: f64, _event: usize) -> Result<(), SinkError> {
        if let Some((first, last, count)) = self.first_last_count.get_mut(neuron as usize) {
            if *count == 0 {
                *first = t;
            }
            *last = t;
            *count += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_from_first_to_last_spike() {
        let mut rates = SteadyRates::new(3);
        for t in [10.0, 30.0, 50.0] {
            rates.spike(0, t, 0).unwrap();
        }
        rates.spike(1, 12.0, 0).unwrap();
        assert_eq!(rates.rate_hz(0), 50.0);
        assert_eq!(rates.rate_hz(1), 0.0, "one spike is no rate");
        assert_eq!(rates.rate_hz(2), 0.0);
        assert_eq!(rates.rate_hz(7), 0.0, "out of range");
    }
}
