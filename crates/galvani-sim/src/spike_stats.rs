//! Spike-train statistics of a spikes CSV (`galvani stats`): reading the file any galvani
//! run writes (`neuron,t [ms]`, with an optional `event` column, or a network's
//! `population,neuron,t [ms]`), and per population the mean rate, the coefficient of
//! variation of interspike intervals, the Fano factor of binned spike counts, the ISI
//! histogram and the population activity (PSTH).
//!
//! Definitions, over the window `[from, to)` and `N` neurons (silent ones included):
//! - mean rate `ν = spikes / (N·(to − from))`;
//! - `CV = σ_ISI / μ_ISI` of each neuron's intervals between consecutive spikes in the
//!   window (population standard deviation), averaged over the neurons with at least two
//!   intervals (a Poisson train has CV = 1, a regular one 0);
//! - Fano factor `F = Var[c]/E[c]` of a neuron's counts `c` in consecutive bins of width
//!   `bin` covering the window (whole bins only), averaged over the neurons that fired
//!   in them (Poisson: F = 1);
//! - activity `A(t) = spikes in [t, t + bin) / (N·bin)`, in Hz.

use std::io::BufRead;

/// A spikes CSV line longer than this is not one (a spike row is ~40 bytes).
const MAX_LINE_BYTES: usize = 4096;
/// ISI histograms have this many bins from 0 to the longest interval.
pub const ISI_BINS: usize = 40;

/// The spikes of one population, ordered as the file lists them.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationSpikes {
    /// The population's name, or `None` for a single model's file (no population column).
    pub name: Option<String>,
    /// `(neuron, t in ms)`.
    pub spikes: Vec<(u32, f64)>,
}

/// Why a spikes file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SpikesFileError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty (a spikes CSV starts with a header line)")]
    Empty,
    #[error("line 1: `{header}` is not a spikes CSV header (expected `neuron,t [ms]`, optionally with an `event` column, or `population,neuron,t [ms]`)")]
    Header { header: String },
    #[error("line {line}: {reason}")]
    Row { line: usize, reason: String },
}

/// Reads a spikes CSV. Rows must have the header's columns; neuron indices are whole
/// numbers, times finite numbers of ms.
pub fn read_spikes(reader: impl BufRead) -> Result<Vec<PopulationSpikes>, SpikesFileError> {
    let mut lines = reader.split(b'\n');
    let header = match lines.next() {
        Some(line) => text_of(line?, 1)?,
        None => return Err(SpikesFileError::Empty),
    };
    let columns: Vec<&str> = header.trim_end_matches('\r').split(',').collect();
    let with_population = match columns.as_slice() {
        ["neuron", "t [ms]"] | ["neuron", "t [ms]", "event"] => false,
        ["population", "neuron", "t [ms]"] => true,
        _ => {
            return Err(SpikesFileError::Header {
                header: shortened(&header),
            })
        }
    };
    let mut populations: Vec<PopulationSpikes> = Vec::new();
    for (index, line) in lines.enumerate() {
        let number = index + 2;
        let line = text_of(line?, number)?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != columns.len() {
            return Err(row_error(
                number,
                format!(
                    "{} fields where the header has {}",
                    fields.len(),
                    columns.len()
                ),
            ));
        }
        let (name, neuron, time) = if with_population {
            (Some(fields[0]), fields[1], fields[2])
        } else {
            (None, fields[0], fields[1])
        };
        let neuron: u32 = neuron
            .trim()
            .parse()
            .map_err(|_| row_error(number, format!("`{neuron}` is not a neuron index")))?;
        let t: f64 = time
            .trim()
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite())
            .ok_or_else(|| row_error(number, format!("`{time}` is not a time in ms")))?;
        let name = name.map(str::to_string);
        match populations.iter_mut().find(|p| p.name == name) {
            Some(population) => population.spikes.push((neuron, t)),
            None => populations.push(PopulationSpikes {
                name,
                spikes: vec![(neuron, t)],
            }),
        }
    }
    if populations.is_empty() && !with_population {
        populations.push(PopulationSpikes {
            name: None,
            spikes: Vec::new(),
        });
    }
    Ok(populations)
}

fn text_of(bytes: Vec<u8>, line: usize) -> Result<String, SpikesFileError> {
    if bytes.len() > MAX_LINE_BYTES {
        return Err(row_error(
            line,
            format!("{} bytes long; a spikes CSV line is short", bytes.len()),
        ));
    }
    String::from_utf8(bytes).map_err(|_| row_error(line, "not UTF-8 text".to_string()))
}

/// At most 60 characters of a line for a message, control characters escaped.
fn shortened(line: &str) -> String {
    let mut out: String = line.chars().take(60).flat_map(char::escape_debug).collect();
    if line.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

fn row_error(line: usize, reason: String) -> SpikesFileError {
    SpikesFileError::Row { line, reason }
}

/// What the statistics are computed over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatsWindow {
    /// Neurons in the population (silent ones included).
    pub neurons: usize,
    /// Start of the window, ms.
    pub from: f64,
    /// End of the window (exclusive), ms; after `from`.
    pub to: f64,
    /// Width of the count and activity bins, ms; positive.
    pub bin: f64,
}

/// A histogram with equal bins from `start`.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub start: f64,
    pub width: f64,
    pub counts: Vec<u64>,
}

/// The statistics of one population in one window.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationStats {
    pub spikes: u64,
    /// Spikes per neuron per second, Hz.
    pub mean_rate_hz: f64,
    /// The mean CV of ISI, `None` when no neuron has two intervals.
    pub cv_isi: Option<f64>,
    /// Neurons with at least two intervals (those the CV averages).
    pub cv_neurons: usize,
    /// The mean Fano factor, `None` when no neuron fired in the whole bins.
    pub fano: Option<f64>,
    /// Neurons that fired in the whole bins (those the Fano factor averages).
    pub fano_neurons: usize,
    /// Whole bins the counts were taken in.
    pub fano_bins: usize,
    /// Interspike intervals, ms, in [`ISI_BINS`] bins from 0 to the longest.
    pub isi_histogram: Histogram,
    /// Population activity in Hz, one value per bin from `from` (the last bin may be
    /// partial; its rate is over the part inside the window).
    pub activity: Histogram,
    pub activity_hz: Vec<f64>,
}

/// The statistics of `spikes` in `window`. Spikes of neurons at or beyond
/// `window.neurons` count like the others (the caller decides whether that is an error).
pub fn population_stats(spikes: &[(u32, f64)], window: &StatsWindow) -> PopulationStats {
    let StatsWindow {
        neurons,
        from,
        to,
        bin,
    } = *window;
    let duration = to - from;
    let mut trains: Vec<Vec<f64>> = vec![Vec::new(); neurons];
    for &(neuron, t) in spikes {
        if t >= from && t < to {
            let neuron = neuron as usize;
            if neuron >= trains.len() {
                trains.resize(neuron + 1, Vec::new());
            }
            trains[neuron].push(t);
        }
    }
    for train in &mut trains {
        train.sort_by(f64::total_cmp);
    }
    let total: u64 = trains.iter().map(|t| t.len() as u64).sum();
    let mean_rate_hz = total as f64 / (neurons.max(1) as f64 * duration / 1000.0);

    // CV of ISI, per neuron, then averaged.
    let mut cvs = Vec::new();
    let mut intervals_all = Vec::new();
    for train in &trains {
        let intervals: Vec<f64> = train.windows(2).map(|w| w[1] - w[0]).collect();
        intervals_all.extend_from_slice(&intervals);
        if intervals.len() >= 2 {
            let (mean, variance) = mean_and_variance(&intervals);
            if mean > 0.0 {
                cvs.push(variance.sqrt() / mean);
            }
        }
    }
    let cv_isi = (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64);

    // Fano factor of counts in whole bins.
    let fano_bins = (duration / bin + 1e-9).floor() as usize;
    let mut fanos = Vec::new();
    if fano_bins >= 2 {
        for train in &trains {
            let mut counts = vec![0.0; fano_bins];
            for &t in train {
                let index = ((t - from) / bin).floor() as usize;
                if index < fano_bins {
                    counts[index] += 1.0;
                }
            }
            let (mean, variance) = mean_and_variance(&counts);
            if mean > 0.0 {
                fanos.push(variance / mean);
            }
        }
    }
    let fano = (!fanos.is_empty()).then(|| fanos.iter().sum::<f64>() / fanos.len() as f64);

    // ISI histogram.
    let longest = intervals_all.iter().copied().fold(0.0, f64::max);
    let isi_width = if longest > 0.0 {
        longest / ISI_BINS as f64
    } else {
        1.0
    };
    let mut isi_counts = vec![0u64; ISI_BINS];
    for interval in &intervals_all {
        let index = ((interval / isi_width) as usize).min(ISI_BINS - 1);
        isi_counts[index] += 1;
    }

    // Activity.
    let activity_bins = (duration / bin - 1e-9).ceil().max(1.0) as usize;
    let mut activity_counts = vec![0u64; activity_bins];
    for train in &trains {
        for &t in train {
            let index = (((t - from) / bin) as usize).min(activity_bins - 1);
            activity_counts[index] += 1;
        }
    }
    let activity_hz = activity_counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let start = from + i as f64 * bin;
            let width = (to.min(start + bin) - start).max(f64::MIN_POSITIVE);
            count as f64 / (neurons.max(1) as f64 * width / 1000.0)
        })
        .collect();

    PopulationStats {
        spikes: total,
        mean_rate_hz,
        cv_isi,
        cv_neurons: cvs.len(),
        fano,
        fano_neurons: fanos.len(),
        fano_bins,
        isi_histogram: Histogram {
            start: 0.0,
            width: isi_width,
            counts: isi_counts,
        },
        activity: Histogram {
            start: from,
            width: bin,
            counts: activity_counts,
        },
        activity_hz,
    }
}

/// Mean and population variance (divided by n).
fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(neurons: usize, from: f64, to: f64, bin: f64) -> StatsWindow {
        StatsWindow {
            neurons,
            from,
            to,
            bin,
        }
    }

    /// A seeded Poisson train (exponential intervals by inversion of a SplitMix64 stream):
    /// no dependency, the same numbers on every run.
    fn poisson_trains(neurons: u32, rate_hz: f64, duration_ms: f64, seed: u64) -> Vec<(u32, f64)> {
        let mut state = seed;
        let mut uniform = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut spikes = Vec::new();
        for neuron in 0..neurons {
            let mut t = 0.0;
            loop {
                t += -uniform().ln() / rate_hz * 1000.0;
                if t >= duration_ms {
                    break;
                }
                spikes.push((neuron, t));
            }
        }
        spikes
    }

    #[test]
    fn reads_single_model_and_network_files() {
        let single = read_spikes("neuron,t [ms]\n2,6.5\n0,7\n".as_bytes()).unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].name, None);
        assert_eq!(single[0].spikes, [(2, 6.5), (0, 7.0)]);
        let with_event = read_spikes("neuron,t [ms],event\n1,3,0\n".as_bytes()).unwrap();
        assert_eq!(with_event[0].spikes, [(1, 3.0)]);
        let network =
            read_spikes("population,neuron,t [ms]\nE,0,1\nI,3,1.5\nE,1,2\n".as_bytes()).unwrap();
        let names: Vec<_> = network.iter().map(|p| p.name.clone().unwrap()).collect();
        assert_eq!(names, ["E", "I"]);
        assert_eq!(network[0].spikes, [(0, 1.0), (1, 2.0)]);
        // A file with no spikes is one empty population.
        let empty = read_spikes("neuron,t [ms]\n".as_bytes()).unwrap();
        assert!(empty[0].spikes.is_empty());
    }

    #[test]
    fn bad_files_say_which_line_and_why() {
        let error = |text: &str| read_spikes(text.as_bytes()).unwrap_err().to_string();
        assert!(error("").contains("empty"));
        assert!(error("t [ms],V [mV]\n0,1\n").contains("not a spikes CSV header"));
        assert!(error("neuron,t [ms]\n0,1\n-1,2\n").contains("line 3: `-1` is not a neuron index"));
        assert!(error("neuron,t [ms]\n0,NaN\n").contains("line 2: `NaN` is not a time"));
        assert!(error("neuron,t [ms]\n0,1,2\n").contains("3 fields where the header has 2"));
        let long = format!("neuron,t [ms]\n0,{}\n", "1".repeat(5000));
        assert!(error(&long).contains("line 2: 5002 bytes long"));
    }

    #[test]
    fn a_regular_train_has_its_rate_no_variability_and_a_flat_activity() {
        // Neuron 0 fires every 10 ms from 5 ms, neuron 1 never, over 0–1000 ms.
        let spikes: Vec<(u32, f64)> = (0..100).map(|k| (0, 5.0 + 10.0 * k as f64)).collect();
        let stats = population_stats(&spikes, &window(2, 0.0, 1000.0, 10.0));
        assert_eq!(stats.spikes, 100);
        // 100 spikes / (2 neurons · 1 s).
        assert!((stats.mean_rate_hz - 50.0).abs() < 1e-12);
        assert!(stats.cv_isi.unwrap().abs() < 1e-9);
        assert_eq!(stats.cv_neurons, 1);
        // One spike in every 10 ms bin: no variance.
        assert_eq!(stats.fano, Some(0.0));
        assert_eq!(stats.fano_neurons, 1);
        assert_eq!(stats.fano_bins, 100);
        // Activity: 1 spike / (2 neurons · 10 ms) = 50 Hz in every bin.
        assert_eq!(stats.activity_hz.len(), 100);
        assert!(stats.activity_hz.iter().all(|a| (a - 50.0).abs() < 1e-9));
        // Every interval is 10 ms, the longest: all in the last ISI bin.
        assert_eq!(stats.isi_histogram.counts[ISI_BINS - 1], 99);
    }

    #[test]
    fn the_window_cuts_spikes_and_bins() {
        let spikes: Vec<(u32, f64)> = (0..100).map(|k| (0, 5.0 + 10.0 * k as f64)).collect();
        // From 500 ms: 50 spikes in 0.5 s for one neuron.
        let stats = population_stats(&spikes, &window(1, 500.0, 1000.0, 100.0));
        assert_eq!(stats.spikes, 50);
        assert!((stats.mean_rate_hz - 100.0).abs() < 1e-12);
        assert_eq!(stats.fano_bins, 5);
        // A window that is not a whole number of bins: the partial bin's activity is over
        // its own width.
        let stats = population_stats(&spikes, &window(1, 0.0, 1000.0, 300.0));
        assert_eq!(stats.fano_bins, 3);
        assert_eq!(stats.activity_hz.len(), 4);
        // 10 spikes in the last 100 ms: 100 Hz.
        assert!((stats.activity_hz[3] - 100.0).abs() < 1e-9);
    }

    /// A Poisson population: rate within 3 standard errors of ν, CV and Fano factor near
    /// one. With N·T·ν = 100·20 s·20 Hz = 40,000 spikes, the rate's standard error is
    /// ν/√40,000 = 0.5 % of ν; the mean of 100 per-neuron CVs (each from ~400 intervals)
    /// and Fano factors (each from 400 bins) are within a few percent of 1.
    #[test]
    fn a_poisson_population_has_cv_and_fano_near_one() {
        let rate = 20.0;
        let spikes = poisson_trains(100, rate, 20_000.0, 7);
        let stats = population_stats(&spikes, &window(100, 0.0, 20_000.0, 50.0));
        let standard_error = rate / (stats.spikes as f64).sqrt();
        assert!(
            (stats.mean_rate_hz - rate).abs() < 3.0 * standard_error,
            "rate {}",
            stats.mean_rate_hz
        );
        let cv = stats.cv_isi.unwrap();
        assert!((cv - 1.0).abs() < 0.03, "CV {cv}");
        let fano = stats.fano.unwrap();
        assert!((fano - 1.0).abs() < 0.05, "Fano {fano}");
        assert_eq!(stats.cv_neurons, 100);
        // The ISI histogram of a Poisson train falls off exponentially: the first bin holds
        // the most.
        let counts = &stats.isi_histogram.counts;
        assert_eq!(counts.iter().max(), Some(&counts[0]));
    }
}
