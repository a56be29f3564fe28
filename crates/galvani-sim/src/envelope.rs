//! Bounded-memory results for pictures: the [`Decimator`] keeps a min/max envelope of each
//! recorded column while a run streams its rows, and [`KeptSpikes`] the earliest spikes up
//! to a limit, so a plot or a terminal sketch of any run fits in memory. Both are runtime
//! sinks; [`Series`] is what the decimator hands on.

use crate::label::ColumnLabel;
use galvani_runtime::{Column, RecordSink, SinkError, SpikeSink};

/// One recorded variable of one neuron, in display units.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The column: variable, unit and neuron (printed as the trace CSV header `V[3] [mV]`).
    pub label: ColumnLabel,
    /// Sample times in ms, non-decreasing.
    pub times: Vec<f64>,
    /// One value per time, in the variable's declared (display) unit.
    pub values: Vec<f64>,
}

/// Bounded-memory recording for plots: of a stream of `(t, values)` rows it keeps, for each
/// series, the minimum and the maximum sample of every bucket of consecutive rows, plus the
/// first and the last sample. So a one-sample spike is never lost, and at most
/// `2 × max_points + 2` points per series are kept however long the stream runs.
///
/// The bucket length starts at `ceil(expected_rows / max_points)`; if more rows arrive than
/// expected, adjacent buckets are merged pairwise (the bucket length doubles) whenever their
/// number would exceed `max_points`. Non-finite values are not kept.
///
/// It is also a [`RecordSink`]: a run's rows arrive in internal units and are kept in each
/// column's display unit (`displayed = internal / scale`, as in the trace CSV).
#[derive(Clone, Debug)]
pub struct Decimator {
    max_buckets: usize,
    rows_per_bucket: usize,
    rows_in_open_bucket: usize,
    series: Vec<DecimatedSeries>,
    /// Display scales of the columns, from [`RecordSink::begin`]; empty before it.
    display_scales: Vec<f64>,
    /// Reused buffer of one row in display units.
    display_row: Vec<f64>,
}

/// A sample: `(t, value)`.
pub type Sample = (f64, f64);

#[derive(Clone, Copy, Debug)]
struct Extremes {
    min: Sample,
    max: Sample,
}

impl Extremes {
    fn of(sample: Sample) -> Self {
        Extremes {
            min: sample,
            max: sample,
        }
    }

    /// Ties keep the earlier sample, so the result does not depend on merge order.
    fn absorb(&mut self, sample: Sample) {
        if sample.1 < self.min.1 {
            self.min = sample;
        }
        if sample.1 > self.max.1 {
            self.max = sample;
        }
    }

    fn merged(self, later: Extremes) -> Extremes {
        let mut out = self;
        out.absorb(later.min);
        out.absorb(later.max);
        out
    }
}

#[derive(Clone, Debug, Default)]
struct DecimatedSeries {
    first: Option<Sample>,
    last: Option<Sample>,
    /// Closed buckets; `None` where a bucket held no finite value.
    closed: Vec<Option<Extremes>>,
    open: Option<Extremes>,
}

impl Decimator {
    /// `n_series` columns, about `expected_rows` rows in all, at most ~`2 × max_points` points
    /// kept per series (`max_points` is at least 1).
    pub fn new(n_series: usize, expected_rows: u64, max_points: usize) -> Self {
        let max_buckets = max_points.max(1);
        let rows_per_bucket = expected_rows.div_ceil(max_buckets as u64).max(1);
        Decimator {
            max_buckets,
            rows_per_bucket: usize::try_from(rows_per_bucket).unwrap_or(usize::MAX),
            rows_in_open_bucket: 0,
            series: vec![DecimatedSeries::default(); n_series],
            display_scales: Vec::new(),
            display_row: Vec::new(),
        }
    }

    /// One row: `values[i]` belongs to series `i`. Extra values are ignored; a series without
    /// a value in this row simply gets no sample.
    pub fn push(&mut self, t: f64, values: &[f64]) {
        for (series, &value) in self.series.iter_mut().zip(values) {
            if !(t.is_finite() && value.is_finite()) {
                continue;
            }
            let sample = (t, value);
            series.first.get_or_insert(sample);
            series.last = Some(sample);
            match &mut series.open {
                Some(extremes) => extremes.absorb(sample),
                None => series.open = Some(Extremes::of(sample)),
            }
        }
        self.rows_in_open_bucket += 1;
        if self.rows_in_open_bucket == self.rows_per_bucket {
            self.close_bucket();
        }
    }

    fn close_bucket(&mut self) {
        for series in &mut self.series {
            let open = series.open.take();
            series.closed.push(open);
        }
        self.rows_in_open_bucket = 0;
        let closed = self.series.first().map_or(0, |s| s.closed.len());
        if closed > self.max_buckets {
            for series in &mut self.series {
                series.closed = series
                    .closed
                    .chunks(2)
                    .map(|pair| match pair {
                        [Some(a), Some(b)] => Some(a.merged(*b)),
                        [a, b] => a.or(*b),
                        [a] => *a,
                        _ => None,
                    })
                    .collect();
            }
            self.rows_per_bucket *= 2;
        }
    }

    /// The kept points of every series, in time order, labelled by `labels[i]` (`#i` where a
    /// label is missing).
    pub fn into_series(self, labels: &[ColumnLabel]) -> Vec<Series> {
        self.series
            .into_iter()
            .enumerate()
            .map(|(index, series)| {
                let label = labels
                    .get(index)
                    .cloned()
                    .unwrap_or_else(|| ColumnLabel::positional(index));
                let points = series.into_points();
                Series {
                    label,
                    times: points.iter().map(|p| p.0).collect(),
                    values: points.iter().map(|p| p.1).collect(),
                }
            })
            .collect()
    }
}

/// The spikes a plot or sketch draws, collected while a run streams them, bounded like
/// [`Decimator`]: at most `limit` are kept (the earliest), the rest only counted, so a long
/// run of a large population cannot exhaust memory for a picture.
#[derive(Clone, Debug)]
pub struct KeptSpikes {
    /// `(neuron, t)` in time order.
    pub kept: Vec<(u32, f64)>,
    /// Spikes seen after `limit` was reached.
    pub dropped: u64,
    limit: usize,
}

impl KeptSpikes {
    pub fn new(limit: usize) -> Self {
        KeptSpikes {
            kept: Vec::new(),
            dropped: 0,
            limit,
        }
    }
}

impl SpikeSink for KeptSpikes {
    fn spike(&mut self, neuron: u32, t: f64, _event: usize) -> Result<(), SinkError> {
        if self.kept.len() < self.limit {
            self.kept.push((neuron, t));
        } else {
            self.dropped += 1;
        }
        Ok(())
    }
}

impl RecordSink for Decimator {
    /// Takes the columns' display scales; before any row, the number of series follows the
    /// columns.
    fn begin(&mut self, columns: &[Column]) -> Result<(), SinkError> {
        self.display_scales = columns.iter().map(|c| c.unit.scale).collect();
        let nothing_recorded = self.series.iter().all(|s| s.first.is_none());
        if nothing_recorded && self.rows_in_open_bucket == 0 {
            self.series
                .resize(columns.len(), DecimatedSeries::default());
        }
        Ok(())
    }

    fn record(&mut self, t: f64, values: &[f64]) -> Result<(), SinkError> {
        let mut row = std::mem::take(&mut self.display_row);
        row.clear();
        row.extend(values.iter().enumerate().map(|(column, &internal)| {
            match self.display_scales.get(column) {
                Some(&scale) if scale != 1.0 => internal / scale,
                _ => internal,
            }
        }));
        self.push(t, &row);
        self.display_row = row;
        Ok(())
    }
}

impl DecimatedSeries {
    fn into_points(self) -> Vec<Sample> {
        let mut points: Vec<Sample> = Vec::with_capacity(2 * self.closed.len() + 4);
        let mut keep = |sample: Sample| {
            // Samples arrive in time order; a repeat of the previous one (the first sample
            // being also its bucket's minimum, say) is kept once.
            if points.last() != Some(&sample) {
                points.push(sample);
            }
        };
        if let Some(first) = self.first {
            keep(first);
        }
        for extremes in self.closed.into_iter().chain([self.open]).flatten() {
            let (earlier, later) = if extremes.max.0 < extremes.min.0 {
                (extremes.max, extremes.min)
            } else {
                (extremes.min, extremes.max)
            };
            keep(earlier);
            keep(later);
        }
        if let Some(last) = self.last {
            keep(last);
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(variable: &str, unit: &str) -> ColumnLabel {
        ColumnLabel {
            variable: variable.to_string(),
            unit: unit.to_string(),
            neuron: None,
        }
    }

    #[test]
    fn kept_spikes_keep_the_earliest_up_to_the_limit_and_count_the_rest() {
        let mut spikes = KeptSpikes::new(3);
        for k in 0..10u32 {
            spikes.spike(k % 2, f64::from(k), 0).unwrap();
        }
        assert_eq!(spikes.kept, vec![(0, 0.0), (1, 1.0), (0, 2.0)]);
        assert_eq!(spikes.dropped, 7);
    }

    fn spike_stream(rows: usize, spike_row: usize) -> impl Iterator<Item = (f64, [f64; 2])> {
        (0..rows).map(move |k| {
            let t = k as f64 * 0.025;
            let v = if k == spike_row { 40.0 } else { -65.0 };
            // The second series dips once, at a different row.
            let w = if k == spike_row / 3 { -90.0 } else { 0.5 };
            (t, [v, w])
        })
    }

    #[test]
    fn decimator_keeps_single_sample_extremes_within_its_bound() {
        for spike_row in [0, 1, 5_432, 9_998, 9_999] {
            let mut decimator = Decimator::new(2, 10_000, 100);
            for (t, values) in spike_stream(10_000, spike_row) {
                decimator.push(t, &values);
            }
            let series = decimator.into_series(&[label("V", "mV"), label("m", "")]);
            assert_eq!(series.len(), 2);
            let v = &series[0];
            assert!(v.times.len() <= 2 * 100 + 2, "kept {}", v.times.len());
            assert!(v.times.len() >= 100, "kept too little: {}", v.times.len());
            let peak = v
                .values
                .iter()
                .position(|&x| x == 40.0)
                .expect("spike lost");
            assert_eq!(v.times[peak], spike_row as f64 * 0.025);
            assert!(series[1].values.contains(&-90.0), "dip lost");
            assert!(v.times.windows(2).all(|w| w[0] < w[1]), "not in time order");
            assert_eq!(v.times.first(), Some(&0.0));
            assert_eq!(v.times.last(), Some(&(9_999.0 * 0.025)));
            assert_eq!(series[1].label.to_string(), "m");
        }
    }

    #[test]
    fn decimator_stays_bounded_when_more_rows_arrive_than_expected() {
        let mut decimator = Decimator::new(2, 1_000, 50);
        let spike_row = 77_777;
        for (t, values) in spike_stream(100_000, spike_row) {
            decimator.push(t, &values);
        }
        let series = decimator.into_series(&[]);
        assert_eq!(series[0].label.to_string(), "#0");
        assert!(
            series[0].times.len() <= 2 * 50 + 2,
            "{}",
            series[0].times.len()
        );
        assert!(series[0].values.contains(&40.0));
        assert!(series[1].values.contains(&-90.0));
    }

    #[test]
    fn decimator_records_a_run_in_display_units() {
        use galvani_ir::model::DisplayUnit;
        let column = |variable: &str, text: &str, scale: f64| Column {
            variable: variable.to_string(),
            unit: DisplayUnit {
                text: text.to_string(),
                dim: galvani_ir::dim::Dim::NONE,
                scale,
            },
            neuron: 0,
        };
        // Created for one series; `begin` brings it to the run's two columns.
        let mut decimator = Decimator::new(1, 3, 100);
        let sink: &mut dyn RecordSink = &mut decimator;
        sink.begin(&[column("V", "mV", 1.0), column("I", "nA", 0.5)])
            .unwrap();
        for k in 0..3 {
            sink.record(k as f64, &[-65.0 + k as f64, 2.0 * k as f64])
                .unwrap();
        }
        let series = decimator.into_series(&[label("V", "mV"), label("I", "nA")]);
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].values, vec![-65.0, -64.0, -63.0]);
        assert_eq!(series[1].values, vec![0.0, 4.0, 8.0]);
        assert_eq!(series[1].times, vec![0.0, 1.0, 2.0]);
    }

    #[test]
    fn decimator_keeps_everything_below_its_bound_and_skips_non_finite() {
        let mut decimator = Decimator::new(1, 10, 100);
        for k in 0..10 {
            let v = if k == 4 { f64::NAN } else { k as f64 };
            decimator.push(k as f64, &[v, 99.0]);
        }
        let series = decimator.into_series(&[label("x", "")]);
        assert_eq!(
            series[0].values,
            vec![0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        );
    }
}
