//! The picture of `galvani stats`: per population, the histogram of interspike intervals
//! beside the population activity (PSTH) over the window, one row per population.

use std::path::Path;

use galvani_sim::spike_stats::Histogram;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::{
    draw_title, house_style, tick_label, write_figure, DrawResult, Figure, ImageFormat, PlotError,
    Target, PALETTE, TITLE_HEIGHT, WIDTH,
};

/// One population's row.
#[derive(Clone, Copy, Debug)]
pub struct StatsRow<'a> {
    /// `E`, or the model's name for a single model's spikes.
    pub name: &'a str,
    /// Interspike intervals in ms.
    pub isi: &'a Histogram,
    /// Activity bins (`start` and `width` in ms) …
    pub activity: &'a Histogram,
    /// … and the activity in Hz, one value per bin.
    pub activity_hz: &'a [f64],
}

const ROW_HEIGHT: u32 = 300;

/// Draws one row per population: ISI histogram (left), activity over time (right).
pub fn write_stats_plot(path: &Path, title: &str, rows: &[StatsRow]) -> Result<(), PlotError> {
    let format = ImageFormat::of(path)?;
    write_figure(path, format, &StatsFigure { title, rows })
}

struct StatsFigure<'a> {
    title: &'a str,
    rows: &'a [StatsRow<'a>],
}

impl Figure for StatsFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            TITLE_HEIGHT + ROW_HEIGHT * self.rows.len().max(1) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _target: Target,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (title_area, body) = root.split_vertically(TITLE_HEIGHT);
        draw_title(&title_area, self.title)?;
        let areas = body.split_evenly((self.rows.len().max(1), 2));
        for (index, row) in self.rows.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let isi_bars: Vec<(f64, f64, f64)> =
                bars(row.isi, row.isi.counts.iter().map(|&c| c as f64));
            draw_bars(
                &areas[2 * index],
                &isi_bars,
                &format!("{}: ISI [ms]", row.name),
                "intervals",
                color,
            )?;
            let activity_bars = bars(row.activity, row.activity_hz.iter().copied());
            draw_bars(
                &areas[2 * index + 1],
                &activity_bars,
                &format!("{}: t [ms]", row.name),
                "activity [Hz]",
                color,
            )?;
        }
        Ok(())
    }
}

/// `(left, right, height)` of each bin.
fn bars(histogram: &Histogram, heights: impl Iterator<Item = f64>) -> Vec<(f64, f64, f64)> {
    heights
        .enumerate()
        .map(|(i, height)| {
            let left = histogram.start + i as f64 * histogram.width;
            (left, left + histogram.width, height)
        })
        .filter(|(_, _, height)| height.is_finite())
        .collect()
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &[(f64, f64, f64)],
    x_description: &str,
    y_description: &str,
    color: RGBColor,
) -> DrawResult<DB> {
    let x_start = bars.first().map_or(0.0, |b| b.0);
    let x_end = bars.last().map_or(1.0, |b| b.1).max(x_start + f64::EPSILON);
    let highest = bars.iter().map(|b| b.2).fold(0.0, f64::max);
    let y_end = if highest > 0.0 { highest * 1.08 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .margin_right(20)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x_start..x_end, 0.0..y_end)?;
    let mut mesh = chart.configure_mesh();
    house_style(&mut mesh, 13, 15);
    mesh.x_desc(x_description)
        .y_desc(y_description)
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .x_labels(6)
        .y_labels(5)
        .draw()?;
    chart.draw_series(
        bars.iter()
            .filter(|b| b.2 > 0.0)
            .map(|&(left, right, height)| {
                Rectangle::new([(left, 0.0), (right, height)], color.mix(0.8).filled())
            }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::render_svg;

    #[test]
    fn one_row_per_population_with_bars_for_each_nonzero_bin() {
        let isi = Histogram {
            start: 0.0,
            width: 2.0,
            counts: vec![0, 3, 5, 0],
        };
        let activity = Histogram {
            start: 0.0,
            width: 10.0,
            counts: vec![1, 2],
        };
        let activity_hz = [10.0, 20.0];
        let row = StatsRow {
            name: "E",
            isi: &isi,
            activity: &activity,
            activity_hz: &activity_hz,
        };
        let rows = [row, StatsRow { name: "I", ..row }];
        let figure = StatsFigure {
            title: "spikes.csv",
            rows: &rows,
        };
        assert_eq!(figure.size(), (WIDTH, TITLE_HEIGHT + 2 * ROW_HEIGHT));
        let svg = render_svg(&figure).unwrap();
        // 2 ISI bars and 2 activity bars per population.
        assert_eq!(
            svg.matches("<rect").count() - 1,
            8,
            "bars (plus the background)"
        );
        assert!(svg.contains("E: ISI [ms]") && svg.contains("I: t [ms]"));
        assert!(svg.contains("activity [Hz]"));
    }
}
