//! A small text sketch of one recorded trace, for `galvani run` on a terminal: a braille line
//! plot (2 × 4 dots per character) with the value range on the left, the time range below and
//! a tick above the plot at every spike. Pure and deterministic: the same input gives the same
//! text.
//!
//! ```text
//! V [mV]  (╷ spike)
//!               ╷              ╷
//!  40.0 ┤       ⢸              ⡇
//!       │       ⢸              ⡇
//!       │       ⣿              ⡇
//!       │       ⣿              ⣿
//! -80.0 ┤⠒⠒⠒⠒⠒⠒⠒⢻⡤⠴⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⢻⡤⠴⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒⠒
//!       └─────────────────────────────────────
//!        0                              100 ms
//! ```

use galvani_sim::Series;

/// Lines around the plot rows: the heading, the spike row, the time axis and its labels.
const FRAME_ROWS: usize = 4;
/// Braille dots per character cell.
const DOTS_X: usize = 2;
const DOTS_Y: usize = 4;
const SPIKE_TICK: char = '╷';

/// The sketch of `series` with ticks at `spikes` (times in ms, of the neuron the series
/// belongs to), exactly `height` lines of exactly `width` characters, each line ending in
/// `\n`. Sizes below the smallest useful sketch (5 lines; the value labels plus 4 plot
/// columns) are raised to it. Non-finite samples are left out.
pub fn sketch(series: &Series, spikes: &[f64], width: usize, height: usize) -> String {
    let samples = finite_samples(series);
    let value_range = samples.iter().fold(None, |range, &(_, v)| match range {
        None => Some((v, v)),
        Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
    });
    let decimals = value_decimals(value_range);
    let (top_label, bottom_label) = match value_range {
        Some((lo, hi)) => (format_value(hi, decimals), format_value(lo, decimals)),
        None => (String::new(), String::new()),
    };
    let label_width = top_label.chars().count().max(bottom_label.chars().count());
    // `label ┤` : the labels right-aligned, a space, the axis.
    let gutter = label_width + 2;
    let width = width.max(gutter + 4);
    let height = height.max(FRAME_ROWS + 1);
    let plot_columns = width - gutter;
    let plot_rows = height - FRAME_ROWS;

    let time_range = match (samples.first(), samples.last()) {
        (Some(first), Some(last)) if last.0 > first.0 => (first.0, last.0),
        (Some(first), _) => (first.0, first.0 + 1.0),
        _ => (0.0, 1.0),
    };

    let mut lines = Vec::with_capacity(height);

    let heading = if spikes.is_empty() {
        series.label.to_string()
    } else {
        format!("{}  ({SPIKE_TICK} spike)", series.label)
    };
    lines.push(heading);

    let mut spike_row = vec![' '; plot_columns];
    for &t in spikes {
        if let Some(column) = column_of(t, time_range, plot_columns) {
            spike_row[column] = SPIKE_TICK;
        }
    }
    lines.push(format!(
        "{}{}",
        " ".repeat(gutter),
        spike_row.iter().collect::<String>()
    ));

    let cells = match value_range {
        Some(range) => braille_cells(&samples, time_range, range, plot_columns, plot_rows),
        None => {
            let mut empty = vec![vec![' '; plot_columns]; plot_rows];
            for (cell, c) in empty[0].iter_mut().zip("(no samples)".chars()) {
                *cell = c;
            }
            empty
        }
    };
    for (row, cells) in cells.iter().enumerate() {
        let (label, axis) = if row == 0 {
            (top_label.as_str(), '┤')
        } else if row == plot_rows - 1 {
            (bottom_label.as_str(), '┤')
        } else {
            ("", '│')
        };
        lines.push(format!(
            "{label:>label_width$} {axis}{}",
            cells.iter().collect::<String>()
        ));
    }

    lines.push(format!(
        "{}└{}",
        " ".repeat(gutter - 1),
        "─".repeat(plot_columns)
    ));

    let start = format_time(time_range.0);
    let end = format!("{} ms", format_time(time_range.1));
    let gap = plot_columns.saturating_sub(start.chars().count() + end.chars().count());
    lines.push(format!(
        "{}{start}{}{end}",
        " ".repeat(gutter),
        " ".repeat(gap.max(1))
    ));

    let mut out = String::with_capacity(height * (width * 3 + 1));
    for line in lines {
        out.push_str(&fit(&line, width));
        out.push('\n');
    }
    out
}

/// The finite `(t, value)` pairs, in time order.
fn finite_samples(series: &Series) -> Vec<(f64, f64)> {
    let mut samples: Vec<(f64, f64)> = series
        .times
        .iter()
        .zip(&series.values)
        .map(|(&t, &v)| (t, v))
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .collect();
    // Recorded times are already ordered; the stable sort only guards odd input.
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    samples
}

/// Exactly `width` characters: truncated, or padded with spaces.
fn fit(line: &str, width: usize) -> String {
    let mut out: String = line.chars().take(width).collect();
    let count = out.chars().count();
    out.extend(std::iter::repeat_n(' ', width - count));
    out
}

/// The plot column (of `columns`) that time `t` falls in, if inside the time range.
fn column_of(t: f64, (t0, t1): (f64, f64), columns: usize) -> Option<usize> {
    if !t.is_finite() || t < t0 || t > t1 {
        return None;
    }
    let fraction = (t - t0) / (t1 - t0);
    Some(((fraction * columns as f64) as usize).min(columns - 1))
}

/// Decimals that resolve ~1/1000 of the value span: `3 − floor(log10(span))`, within 0..=6.
fn value_decimals(range: Option<(f64, f64)>) -> usize {
    let span = match range {
        Some((lo, hi)) if hi > lo => hi - lo,
        Some((lo, _)) if lo != 0.0 => lo.abs(),
        _ => 1.0,
    };
    (3.0 - span.log10().floor()).clamp(0.0, 6.0) as usize
}

fn format_value(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    // `-0.0` rounds to a negative zero; print it unsigned.
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text
    }
}

/// A time in ms with at most 3 decimals and no trailing zeros (`0`, `99.975`, `100`).
fn format_time(t: f64) -> String {
    let text = format!("{t:.3}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The braille character cells (`rows × columns`) of the line through `samples`.
///
/// Each dot column covers a time interval `[a, b]`; it lights every dot between the lowest
/// and the highest of: the line's (linearly interpolated) values at `a` and `b` and every
/// sample inside. So a one-sample spike shows at full height and the line stays connected.
fn braille_cells(
    samples: &[(f64, f64)],
    (t0, t1): (f64, f64),
    (lo, hi): (f64, f64),
    columns: usize,
    rows: usize,
) -> Vec<Vec<char>> {
    let dot_columns = columns * DOTS_X;
    let dot_rows = rows * DOTS_Y;
    let mut bits = vec![vec![0u8; columns]; rows];
    let dot_row_of = |v: f64| -> usize {
        // Dot row 0 is the top; the value range spans all dot rows.
        let fraction = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        let from_bottom = (fraction * (dot_rows - 1) as f64).round() as usize;
        dot_rows - 1 - from_bottom.min(dot_rows - 1)
    };
    let step = (t1 - t0) / dot_columns as f64;
    let mut next_sample = 0;
    for column in 0..dot_columns {
        let a = t0 + column as f64 * step;
        let b = if column + 1 == dot_columns {
            t1
        } else {
            t0 + (column + 1) as f64 * step
        };
        let mut low = value_at(samples, a).min(value_at(samples, b));
        let mut high = value_at(samples, a).max(value_at(samples, b));
        while next_sample < samples.len() && samples[next_sample].0 <= b {
            let (t, v) = samples[next_sample];
            if t >= a {
                low = low.min(v);
                high = high.max(v);
            }
            next_sample += 1;
        }
        // `high` maps to the upper (smaller) dot row.
        for dot_row in dot_row_of(high)..=dot_row_of(low) {
            bits[dot_row / DOTS_Y][column / DOTS_X] |=
                braille_bit(column % DOTS_X, dot_row % DOTS_Y);
        }
    }
    bits.iter()
        .map(|row| {
            row.iter()
                .map(|&b| {
                    if b == 0 {
                        ' '
                    } else {
                        char::from_u32(0x2800 + b as u32).unwrap_or(' ')
                    }
                })
                .collect()
        })
        .collect()
}

/// The line's value at `t`: linear between the neighbouring samples, held beyond the ends.
/// `samples` is non-empty and ordered by time.
fn value_at(samples: &[(f64, f64)], t: f64) -> f64 {
    let after = samples.partition_point(|s| s.0 < t);
    match (after.checked_sub(1).map(|i| samples[i]), samples.get(after)) {
        (Some((ta, va)), Some(&(tb, vb))) if tb > ta => va + (vb - va) * (t - ta) / (tb - ta),
        (_, Some(&(_, v))) => v,
        (Some((_, v)), None) => v,
        (None, None) => 0.0,
    }
}

/// The bit of dot (`x` in 0..2, `y` in 0..4 from the top) in a braille cell (U+2800 + bits).
fn braille_bit(x: usize, y: usize) -> u8 {
    const BITS: [[u8; DOTS_Y]; DOTS_X] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
    BITS[x][y]
}

#[cfg(test)]
mod tests {
    use super::*;
    use galvani_sim::ColumnLabel;

    /// Rest at −65 mV with one-sample spikes to +40 mV at the given rows, dt = 0.025 ms.
    fn trace(rows: usize, spike_rows: &[usize]) -> Series {
        let times: Vec<f64> = (0..rows).map(|k| k as f64 * 0.025).collect();
        let values = (0..rows)
            .map(|k| if spike_rows.contains(&k) { 40.0 } else { -65.0 })
            .collect();
        Series {
            label: ColumnLabel {
                variable: "V".into(),
                unit: "mV".into(),
                neuron: None,
            },
            times,
            values,
        }
    }

    #[test]
    fn sketch_has_the_requested_size_and_is_deterministic() {
        let series = trace(4001, &[400, 2000, 3600]);
        let spikes = [10.0, 50.0, 90.0];
        for (width, height) in [(60, 12), (40, 8), (100, 20), (24, 5)] {
            let text = sketch(&series, &spikes, width, height);
            assert_eq!(text, sketch(&series, &spikes, width, height));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), height, "{text}");
            for line in &lines {
                assert_eq!(line.chars().count(), width, "{line:?}");
            }
            assert!(text.ends_with('\n'));
        }
    }

    #[test]
    fn sketch_labels_the_value_and_time_ranges() {
        let series = trace(4001, &[2000]);
        let text = sketch(&series, &[], 60, 10);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("V [mV]"));
        assert!(lines[2].trim_start().starts_with("40.0 ┤"), "{text}");
        assert!(lines[7].trim_start().starts_with("-65.0 ┤"), "{text}");
        assert!(lines[8].contains('└'));
        let times = lines[9].trim();
        assert!(
            times.starts_with('0') && times.ends_with("100 ms"),
            "{text}"
        );
    }

    #[test]
    fn one_sample_spike_reaches_the_top_row_in_its_column() {
        let series = trace(4001, &[2000]);
        let text = sketch(&series, &[], 60, 10);
        let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        let gutter = lines[2].iter().position(|&c| c == '┤').unwrap() + 1;
        let plot_columns = 60 - gutter;
        let top: Vec<usize> = (0..plot_columns)
            .filter(|&c| lines[2][gutter + c] != ' ')
            .collect();
        // t = 50 ms is the middle of 0–100 ms.
        let middle = plot_columns / 2;
        assert!(!top.is_empty(), "{text}");
        assert!(
            top.iter().all(|&c| c + 1 >= middle && c <= middle),
            "{top:?}\n{text}"
        );
        // The resting line fills the bottom row everywhere.
        let bottom = &lines[7];
        assert!(
            (0..plot_columns).all(|c| bottom[gutter + c] != ' '),
            "{text}"
        );
    }

    #[test]
    fn spikes_are_marked_above_the_plot_at_their_times() {
        let series = trace(4001, &[400, 3600]);
        let text = sketch(&series, &[10.0, 90.0, 250.0], 60, 10);
        let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        assert!(text.lines().next().unwrap().contains(SPIKE_TICK));
        let ticks: Vec<usize> = lines[1]
            .iter()
            .enumerate()
            .filter(|(_, &c)| c == SPIKE_TICK)
            .map(|(i, _)| i)
            .collect();
        let gutter = lines[2].iter().position(|&c| c == '┤').unwrap() + 1;
        let plot_columns = 60 - gutter;
        // 250 ms is outside the trace and is not marked.
        let expected: Vec<usize> = [0.1, 0.9]
            .iter()
            .map(|f| gutter + (f * plot_columns as f64) as usize)
            .collect();
        assert_eq!(ticks, expected, "{text}");
        assert!(!sketch(&series, &[], 60, 10).contains(SPIKE_TICK));
    }

    #[test]
    fn degenerate_inputs_still_give_a_frame_of_the_requested_size() {
        let empty = Series {
            label: ColumnLabel {
                variable: "m".into(),
                unit: String::new(),
                neuron: None,
            },
            times: vec![],
            values: vec![],
        };
        let text = sketch(&empty, &[1.0], 30, 6);
        assert_eq!(text.lines().count(), 6);
        assert!(text.contains("(no samples)"), "{text}");
        let flat = Series {
            label: ColumnLabel {
                variable: "m".into(),
                unit: String::new(),
                neuron: None,
            },
            times: vec![0.0, 1.0, 2.0],
            values: vec![0.5, f64::NAN, 0.5],
        };
        let text = sketch(&flat, &[], 30, 6);
        assert!(text.lines().all(|l| l.chars().count() == 30));
        assert!(text.contains("0.500"), "{text}");
        // Too small a request is raised to the minimum, never a panic.
        let tiny = sketch(&flat, &[], 1, 1);
        assert_eq!(tiny.lines().count(), 5);
    }

    #[test]
    fn interpolation_holds_ends_and_joins_neighbours() {
        let samples = [(0.0, 0.0), (2.0, 4.0)];
        assert_eq!(value_at(&samples, -1.0), 0.0);
        assert_eq!(value_at(&samples, 1.0), 2.0);
        assert_eq!(value_at(&samples, 3.0), 4.0);
        assert_eq!(format_value(-0.0001, 2), "0.00");
        assert_eq!(format_time(99.97500000000001), "99.975");
    }
}
