//! The picture of a network run (`galvani run NETWORK.gal --plot`): one spike raster per
//! population (an evenly spaced sample of at most [`RASTER_NEURONS`] of its neurons),
//! stacked, above the population activity A(t) of every population, one line each.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::{
    draw_title, house_style, tick_label, write_figure, DrawResult, Figure, ImageFormat, PlotError,
    Target, PALETTE, TITLE_HEIGHT, WIDTH,
};

/// Neurons shown per population in its raster.
pub const RASTER_NEURONS: usize = 500;

const RASTER_HEIGHT: u32 = 240;
const ACTIVITY_HEIGHT: u32 = 260;

/// One population of a network run.
#[derive(Clone, Copy, Debug)]
pub struct NetworkRow<'a> {
    pub name: &'a str,
    /// Neurons in the population.
    pub neurons: usize,
    /// `(neuron, t in ms)`.
    pub spikes: &'a [(u32, f64)],
    /// Activity in Hz in bins of `bin` ms from 0.
    pub activity_hz: &'a [f64],
}

/// Draws the rasters and the activity of `rows` over `[0, t_end]` with activity bins of
/// `bin` ms.
pub fn write_network_plot(
    path: &Path,
    title: &str,
    rows: &[NetworkRow],
    t_end: f64,
    bin: f64,
) -> Result<(), PlotError> {
    let format = ImageFormat::of(path)?;
    write_figure(
        path,
        format,
        &NetworkFigure {
            title,
            rows,
            t_end,
            bin,
        },
    )
}

struct NetworkFigure<'a> {
    title: &'a str,
    rows: &'a [NetworkRow<'a>],
    t_end: f64,
    bin: f64,
}

/// The sampled neurons of a population of `n`: every `⌈n/500⌉`-th, renumbered from 0.
fn sample_step(n: usize) -> usize {
    n.div_ceil(RASTER_NEURONS).max(1)
}

impl Figure for NetworkFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            TITLE_HEIGHT + RASTER_HEIGHT * self.rows.len() as u32 + ACTIVITY_HEIGHT,
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _target: Target,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (title_area, mut body) = root.split_vertically(TITLE_HEIGHT);
        draw_title(&title_area, self.title)?;
        let x_end = self.t_end.max(f64::EPSILON);
        for (index, row) in self.rows.iter().enumerate() {
            let (area, rest) = body.split_vertically(RASTER_HEIGHT);
            body = rest;
            let step = sample_step(row.neurons);
            let shown = row.neurons.div_ceil(step).max(1);
            let color = PALETTE[index % PALETTE.len()];
            let mut chart = ChartBuilder::on(&area)
                .margin(8)
                .margin_right(28)
                .x_label_area_size(36)
                .y_label_area_size(78)
                .build_cartesian_2d(0.0..x_end, -0.5..(shown as f64 - 0.5))?;
            let mut mesh = chart.configure_mesh();
            house_style(&mut mesh, 13, 15);
            let description = if step > 1 {
                format!("{}: 1 in {step} neurons", row.name)
            } else {
                format!("{}: neuron", row.name)
            };
            // Ticks name the neurons' own indices.
            let neuron_label = |row: &f64| format!("{}", (row.round() as usize) * step);
            mesh.x_desc("t [ms]")
                .y_desc(description)
                .x_label_formatter(&tick_label)
                .y_label_formatter(&neuron_label)
                .y_labels(5)
                .draw()?;
            chart.draw_series(
                row.spikes
                    .iter()
                    .filter(|(n, t)| (*n as usize).is_multiple_of(step) && t.is_finite())
                    .map(|&(neuron, t)| {
                        let y = (neuron as usize / step) as f64;
                        PathElement::new(vec![(t, y - 0.4), (t, y + 0.4)], color.stroke_width(1))
                    }),
            )?;
        }
        let highest = self
            .rows
            .iter()
            .flat_map(|r| r.activity_hz.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let y_end = if highest > 0.0 { highest * 1.08 } else { 1.0 };
        let mut chart = ChartBuilder::on(&body)
            .margin(8)
            .margin_right(28)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d(0.0..x_end, 0.0..y_end)?;
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh, 15, 17);
        mesh.x_desc("t [ms]")
            .y_desc(format!("A(t) [Hz], bins of {} ms", tick_label(&self.bin)))
            .x_label_formatter(&tick_label)
            .y_label_formatter(&tick_label)
            .draw()?;
        for (index, row) in self.rows.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            // A step line: each bin's rate held over the bin.
            let mut points = Vec::with_capacity(2 * row.activity_hz.len());
            for (i, &hz) in row.activity_hz.iter().enumerate() {
                let left = i as f64 * self.bin;
                points.push((left, hz));
                points.push(((left + self.bin).min(x_end), hz));
            }
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(row.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::render_svg;

    #[test]
    fn a_raster_per_population_with_a_sample_of_its_neurons_and_one_activity_line_each() {
        let e_spikes: Vec<(u32, f64)> = (0..1000).map(|i| (i, 1.0 + i as f64 * 0.01)).collect();
        let i_spikes = [(0, 2.0), (3, 5.0)];
        let rows = [
            NetworkRow {
                name: "E",
                neurons: 1000,
                spikes: &e_spikes,
                activity_hz: &[10.0, 20.0],
            },
            NetworkRow {
                name: "I",
                neurons: 4,
                spikes: &i_spikes,
                activity_hz: &[5.0, 0.0],
            },
        ];
        let figure = NetworkFigure {
            title: "net",
            rows: &rows,
            t_end: 20.0,
            bin: 10.0,
        };
        assert_eq!(
            figure.size(),
            (WIDTH, TITLE_HEIGHT + 2 * RASTER_HEIGHT + ACTIVITY_HEIGHT)
        );
        let svg = render_svg(&figure).unwrap();
        // 1000 neurons shown as every 2nd: 500 marks; all 2 of I.
        assert!(svg.contains("E: 1 in 2 neurons"));
        assert!(svg.contains("I: neuron"));
        assert!(svg.contains("A(t) [Hz], bins of 10 ms"));
        // 502 spike marks (short vertical lines): the lines of the same figure without
        // spikes, plus 502.
        let silent = [
            NetworkRow {
                spikes: &[],
                ..rows[0]
            },
            NetworkRow {
                spikes: &[],
                ..rows[1]
            },
        ];
        let empty = render_svg(&NetworkFigure {
            rows: &silent,
            ..figure
        })
        .unwrap();
        assert_eq!(
            svg.matches("<polyline").count(),
            empty.matches("<polyline").count() + 502
        );
    }
}
