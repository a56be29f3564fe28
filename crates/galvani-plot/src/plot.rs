//! Plots of a run, written as PNG or SVG: the recorded traces with spikes marked, a spike
//! raster for populations (`galvani run --plot`), and a rate–current curve (`galvani fi`).
//! The points come from `galvani_sim`'s bounded-memory envelope; long series are thinned
//! again with its `Decimator` before drawing.
//!
//! Text is drawn with an embedded DejaVu Sans (`assets/DejaVuSans.ttf`, licence beside it)
//! through plotters' `ab_glyph` feature, so axis numbers render on a machine without system
//! fonts. PNGs are drawn into an RGB buffer and encoded with the `png` crate; SVGs are drawn
//! into a string. Both are deterministic: the same input gives the same bytes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use galvani_sim::{ColumnLabel, Decimator, Sample, Series};
use plotters::chart::SeriesAnno;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

/// Everything `galvani run --plot` draws.
#[derive(Clone, Copy, Debug)]
pub struct PlotInput<'a> {
    /// The figure's title, e.g. `hh — expeuler2, dt = 0.025 ms`.
    pub title: &'a str,
    /// The recorded variables: one panel per distinct variable (and unit).
    pub series: &'a [Series],
    /// `(neuron, t in ms)`, ordered by time.
    pub spikes: &'a [(u32, f64)],
    pub n_neurons: usize,
    /// The simulated time in ms: the time axis runs from 0 to here.
    pub t_end: f64,
    /// Recorded variables that are stimuli (the model's inputs): each gets a short panel
    /// below the others, drawn as a dark step line without spike marks.
    pub stimuli: &'a [String],
    /// A line under the title saying what the figure leaves out, e.g. which of a
    /// population's traces it shows.
    pub note: Option<&'a str>,
}

/// Why a plot could not be written.
#[derive(Debug)]
pub enum PlotError {
    /// The file name ends in neither `.png` nor `.svg`.
    Format { path: PathBuf },
    /// The embedded font was rejected (a build defect, not a user error).
    Font,
    /// plotters failed while drawing.
    Draw { message: String },
    /// The PNG encoder failed.
    Encode { message: String },
    /// The file could not be written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::Format { path } => write!(
                f,
                "cannot tell the image format of `{}`: the file name must end in .png or .svg",
                path.display()
            ),
            PlotError::Font => write!(f, "the embedded plot font could not be loaded"),
            PlotError::Draw { message } => write!(f, "drawing the plot failed: {message}"),
            PlotError::Encode { message } => write!(f, "encoding the PNG failed: {message}"),
            PlotError::Io { path, source } => {
                write!(f, "cannot write `{}`: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Checks that `path` names a format a plot can be written in (`.png`, `.svg`), before
/// anything is drawn or written.
pub fn check_format(path: &Path) -> Result<(), PlotError> {
    ImageFormat::of(path).map(|_| ())
}

/// Draws the traces (one panel per variable, spikes marked as triangles along each panel's
/// top edge) and, for `n_neurons > 1`, a spike raster below. The format follows the extension.
pub fn write_plot(path: &Path, input: &PlotInput) -> Result<(), PlotError> {
    let format = ImageFormat::of(path)?;
    write_figure(path, format, &TraceFigure::new(input))
}

/// Draws `points` as a line with markers, e.g. the firing rate against the input current.
pub fn write_xy_plot(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[(f64, f64)],
) -> Result<(), PlotError> {
    let format = ImageFormat::of(path)?;
    let figure = XyFigure {
        title,
        x_label,
        y_label,
        points: points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect(),
    };
    write_figure(path, format, &figure)
}

// ---------------------------------------------------------------------------------------------
// Output

/// The embedded font, registered with plotters under the family name every style here uses.
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
pub(crate) const FONT: &str = "sans-serif";

fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered =
        *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if registered {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImageFormat {
    Png,
    Svg,
}

impl ImageFormat {
    pub(crate) fn of(path: &Path) -> Result<Self, PlotError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("png") => Ok(ImageFormat::Png),
            Some("svg") => Ok(ImageFormat::Svg),
            _ => Err(PlotError::Format {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// A figure that can be drawn on any plotters backend.
pub(crate) trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<DB>;
}

/// How lines are handed to the backend. plotters fills a polyline wider than 1 px as one
/// polygon, and where a trace doubles back (every spike) the even–odd fill leaves holes; so
/// bitmaps get one short line per segment. SVG keeps one `<polyline>` per run (the viewer
/// strokes it properly, and the file stays small).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Bitmap,
    Vector,
}

pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_error<E: std::error::Error + Send + Sync>(error: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Draw {
        message: error.to_string(),
    }
}

pub(crate) fn write_figure(
    path: &Path,
    format: ImageFormat,
    figure: &impl Figure,
) -> Result<(), PlotError> {
    let bytes = match format {
        ImageFormat::Png => {
            let (width, height) = figure.size();
            encode_png(&render_rgb(figure)?, width, height)?
        }
        ImageFormat::Svg => render_svg(figure)?.into_bytes(),
    };
    std::fs::write(path, bytes).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn render_svg(figure: &impl Figure) -> Result<String, PlotError> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root, Target::Vector).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// The figure as 8-bit RGB rows, top to bottom.
pub(crate) fn render_rgb(figure: &impl Figure) -> Result<Vec<u8>, PlotError> {
    ensure_font()?;
    let (width, height) = figure.size();
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        figure.draw(&root, Target::Bitmap).map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(rgb)
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let encode_error = |e: png::EncodingError| PlotError::Encode {
        message: e.to_string(),
    };
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encode_error)?;
    writer.write_image_data(rgb).map_err(encode_error)?;
    writer.finish().map_err(encode_error)?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------
// Layout and style

pub(crate) const WIDTH: u32 = 1000;
pub(crate) const TITLE_HEIGHT: u32 = 44;
const NOTE_HEIGHT: u32 = 22;
const SINGLE_PANEL_HEIGHT: u32 = 556;
const PANEL_HEIGHT: u32 = 320;
/// A stimulus panel is a strip under the traces, as in an electrophysiology figure.
const STIMULUS_PANEL_HEIGHT: u32 = 180;
const STIMULUS_COLOR: RGBColor = RGBColor(60, 60, 60);
/// Points drawn per series at most (min/max decimated beyond): about a minimum and a
/// maximum per pixel column of the plotting area.
const MAX_DRAWN_POINTS: usize = 2000;

/// Tableau 10: distinct, colour-blind-friendlier than the primaries.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const SPIKE_MARK: RGBColor = RGBColor(214, 39, 40);
pub(crate) const GRID: RGBColor = RGBColor(232, 232, 232);

fn palette(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Tick labels without float noise: at most 6 decimals, trailing zeros dropped, no `-0`.
pub(crate) fn tick_label(value: &f64) -> String {
    // Huge values in scientific notation (`1.7e308` is 309 digits written out).
    if value.abs() >= 1e7 {
        let text = format!("{value:.3e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let text = format!("{value:.6}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Raster rows are whole neuron indices; ticks between rows get no label.
fn neuron_label(value: &f64) -> String {
    let rounded = value.round();
    if (value - rounded).abs() < 1e-9 && rounded >= 0.0 {
        format!("{}", rounded as u64)
    } else {
        String::new()
    }
}

/// A padded axis range of finite `values`; `(-1, 1)` without any, ±10 % around a constant.
/// `(low_pad, high_pad)` are fractions of the data span added below and above.
fn padded_range(values: impl Iterator<Item = f64>, low_pad: f64, high_pad: f64) -> (f64, f64) {
    let (min, max) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if min > max {
        return (-1.0, 1.0);
    }
    let span = if max > min {
        max - min
    } else {
        (max.abs() * 0.2).max(1.0)
    };
    let (min, max) = if max > min {
        (min, max)
    } else {
        (min - span / 2.0, max + span / 2.0)
    };
    // Near ±f64::MAX the padding overflows to ±∞, and plotters never finishes placing
    // ticks on an infinite axis: keep both ends, and the width, finite.
    let low = (min - low_pad * span).clamp(-f64::MAX, f64::MAX);
    let high = (max + high_pad * span).clamp(-f64::MAX, f64::MAX);
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low - 1.0_f64.max(low.abs() * 0.1), high)
    };
    if (high - low).is_finite() {
        (low, high)
    } else {
        // Values from near −MAX to near +MAX: no finite axis holds them all.
        (low / 2.0, high / 2.0)
    }
}

/// A series ready to draw: decimated, split at non-finite values.
struct PanelLine {
    legend: String,
    color: RGBColor,
    segments: Vec<Vec<Sample>>,
    spike_times: Vec<f64>,
}

struct Panel {
    y_description: String,
    y_range: (f64, f64),
    lines: Vec<PanelLine>,
    spike_color_single: bool,
    stimulus: bool,
}

struct TraceFigure<'a> {
    title: &'a str,
    note: Option<&'a str>,
    x_range: (f64, f64),
    panels: Vec<Panel>,
    /// Rows of the raster, when it is drawn.
    raster_neurons: Option<usize>,
    spikes: &'a [(u32, f64)],
}

fn drawable_points(series: &Series) -> Vec<Sample> {
    let n = series.times.len().min(series.values.len());
    if n <= MAX_DRAWN_POINTS {
        return series.times[..n]
            .iter()
            .copied()
            .zip(series.values[..n].iter().copied())
            .collect();
    }
    let mut decimator = Decimator::new(1, n as u64, MAX_DRAWN_POINTS / 2);
    for (&t, &v) in series.times[..n].iter().zip(&series.values[..n]) {
        decimator.push(t, &[v]);
    }
    let kept = decimator.into_series(&[]);
    kept.into_iter()
        .flat_map(|s| s.times.into_iter().zip(s.values))
        .collect()
}

/// Runs of consecutive finite points: a NaN or infinity breaks the line instead of drawing it.
fn finite_segments(points: &[Sample]) -> Vec<Vec<Sample>> {
    points
        .split(|(t, v)| !(t.is_finite() && v.is_finite()))
        .filter(|segment| !segment.is_empty())
        .map(<[Sample]>::to_vec)
        .collect()
}

impl<'a> TraceFigure<'a> {
    fn new(input: &PlotInput<'a>) -> Self {
        // Panels in order of first appearance, one per (variable, unit).
        let mut groups: Vec<(ColumnLabel, Vec<(ColumnLabel, &Series)>)> = Vec::new();
        for series in input.series {
            let label = series.label.clone();
            let position = groups
                .iter()
                .position(|(key, _)| key.variable == label.variable && key.unit == label.unit);
            match position {
                Some(index) => groups[index].1.push((label, series)),
                None => groups.push((label.clone(), vec![(label, series)])),
            }
        }

        // Stimulus panels go below the model's variables, in their recorded order.
        let is_stimulus = |key: &ColumnLabel| input.stimuli.contains(&key.variable);
        groups.sort_by_key(|(key, _)| is_stimulus(key));

        let panels: Vec<Panel> = groups
            .into_iter()
            .map(|(key, members)| {
                let stimulus = is_stimulus(&key);
                let lines: Vec<PanelLine> = members
                    .iter()
                    .enumerate()
                    .map(|(position, (label, series))| {
                        let neuron = label.neuron.unwrap_or(0);
                        let color = if stimulus && members.len() == 1 {
                            STIMULUS_COLOR
                        } else {
                            palette(label.neuron.unwrap_or(position))
                        };
                        PanelLine {
                            legend: label.name(),
                            color,
                            segments: finite_segments(&drawable_points(series)),
                            spike_times: input
                                .spikes
                                .iter()
                                .filter(|(n, t)| {
                                    !stimulus && *n as usize == neuron && t.is_finite()
                                })
                                .map(|(_, t)| *t)
                                .collect(),
                        }
                    })
                    .collect();
                let y_range = padded_range(
                    lines
                        .iter()
                        .flat_map(|l| l.segments.iter().flatten().map(|p| p.1)),
                    0.05,
                    0.12,
                );
                Panel {
                    y_description: key.axis_description(),
                    y_range,
                    spike_color_single: lines.len() == 1,
                    lines,
                    stimulus,
                }
            })
            .collect();

        let max_spiking = input
            .spikes
            .iter()
            .map(|(n, _)| *n as usize + 1)
            .max()
            .unwrap_or(0);
        let rows = input.n_neurons.max(max_spiking).max(1);
        // Nothing recorded: the raster is the only thing left to show, even for one neuron.
        let raster_neurons = (input.n_neurons > 1 || panels.is_empty()).then_some(rows);

        let x_range = if input.t_end.is_finite() && input.t_end > 0.0 {
            (0.0, input.t_end)
        } else {
            let data_end = input
                .series
                .iter()
                .flat_map(|s| s.times.iter().copied())
                .chain(input.spikes.iter().map(|s| s.1))
                .filter(|t| t.is_finite())
                .fold(0.0, f64::max);
            (0.0, if data_end > 0.0 { data_end } else { 1.0 })
        };

        TraceFigure {
            title: input.title,
            note: input.note,
            x_range,
            panels,
            raster_neurons,
            spikes: input.spikes,
        }
    }

    fn panel_height(&self, panel: &Panel) -> u32 {
        if panel.stimulus {
            STIMULUS_PANEL_HEIGHT
        } else if self.panels.iter().filter(|p| !p.stimulus).count() == 1 {
            SINGLE_PANEL_HEIGHT
        } else {
            PANEL_HEIGHT
        }
    }

    fn header_height(&self) -> u32 {
        TITLE_HEIGHT + if self.note.is_some() { NOTE_HEIGHT } else { 0 }
    }

    fn raster_height(&self) -> u32 {
        match self.raster_neurons {
            Some(rows) => (140 + 10 * rows.min(1000) as u32).clamp(220, 440),
            None => 0,
        }
    }
}

impl Figure for TraceFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let panels: u32 = self.panels.iter().map(|p| self.panel_height(p)).sum();
        (WIDTH, self.header_height() + panels + self.raster_height())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (header, body) = root.split_vertically(self.header_height());
        let (title_area, note_area) = header.split_vertically(TITLE_HEIGHT);
        draw_title(&title_area, self.title)?;
        if let Some(note) = self.note {
            draw_note(&note_area, note)?;
        }
        let mut breakpoints: Vec<u32> = self
            .panels
            .iter()
            .scan(0, |bottom, panel| {
                *bottom += self.panel_height(panel);
                Some(*bottom)
            })
            .collect();
        // The last breakpoint would leave an empty area when there is no raster.
        if self.raster_neurons.is_none() {
            breakpoints.pop();
        }
        let areas = body.split_by_breakpoints::<u32, u32, _, _>([], breakpoints);
        for (panel, area) in self.panels.iter().zip(&areas) {
            draw_panel(area, panel, self.x_range, target)?;
        }
        if let (Some(rows), Some(area)) = (self.raster_neurons, areas.get(self.panels.len())) {
            draw_raster(area, self.spikes, rows, self.x_range)?;
        }
        Ok(())
    }
}

/// The axes' look shared by every chart: label fonts, white minor lines, grey major grid.
pub(crate) fn house_style<'a, 'b, X, Y, DB>(
    mesh: &mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    label_size: u32,
    description_size: u32,
) where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
    DB: DrawingBackend,
{
    mesh.label_style((FONT, label_size))
        .axis_desc_style((FONT, description_size))
        .light_line_style(WHITE)
        .bold_line_style(GRID);
}

pub(crate) fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> DrawResult<DB> {
    let (width, _) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, 22).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(title, &style, (width as i32 / 2, TITLE_HEIGHT as i32 / 2))
}

fn draw_note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, note: &str) -> DrawResult<DB> {
    let (width, _) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, 15).into_font())
        .color(&RGBColor(90, 90, 90))
        .pos(Pos::new(HPos::Center, VPos::Top));
    area.draw_text(note, &style, (width as i32 / 2, 0))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x_range: (f64, f64),
    target: Target,
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .margin_right(28)
        .x_label_area_size(44)
        .y_label_area_size(78)
        .build_cartesian_2d(x_range.0..x_range.1, panel.y_range.0..panel.y_range.1)?;
    let mut mesh = chart.configure_mesh();
    // A stimulus strip is short: fewer value ticks keep their labels apart.
    if panel.stimulus {
        mesh.y_labels(4);
    }
    house_style(&mut mesh, 15, 17);
    mesh.x_desc("t [ms]")
        .y_desc(panel.y_description.as_str())
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .draw()?;

    // A stimulus strip's lines have the colours of the traces above, which carry the legend.
    let show_legend =
        !panel.stimulus && panel.lines.len() > 1 && panel.lines.len() <= PALETTE.len();
    for line in &panel.lines {
        let style = line.color.stroke_width(2);
        for (index, segment) in line.segments.iter().enumerate() {
            let drawn = draw_line(&mut chart, segment, style, target)?;
            if index == 0 && show_legend {
                let color = line.color;
                drawn.label(line.legend.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
            }
        }
    }

    // Spike marks: a downward triangle hanging from the panel's top edge at each spike time,
    // inside the headroom `padded_range` left above the data.
    let top = panel.y_range.1;
    for line in &panel.lines {
        let color = if panel.spike_color_single {
            SPIKE_MARK
        } else {
            line.color
        };
        chart.draw_series(
            line.spike_times
                .iter()
                .filter(|t| **t >= x_range.0 && **t <= x_range.1)
                .map(|&t| {
                    EmptyElement::at((t, top))
                        + Polygon::new(vec![(-5, 2), (5, 2), (0, 11)], color.filled())
                }),
        )?;
    }

    if show_legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font((FONT, 14))
            .draw()?;
    }
    Ok(())
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws the polyline through `points` (see [`Target`]) and returns the series handle, for
/// the legend.
fn draw_line<'c, 'a, DB: DrawingBackend + 'a>(
    chart: &'c mut Chart<'a, DB>,
    points: &[Sample],
    style: ShapeStyle,
    target: Target,
) -> Result<&'c mut SeriesAnno<'a, DB>, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>> {
    if points.len() < 2 {
        // A lone point has no line through it: a dot the width of a line instead.
        let radius = style.stroke_width.div_ceil(2);
        return chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, radius, style.filled())),
        );
    }
    match target {
        Target::Vector => chart.draw_series(LineSeries::new(points.iter().copied(), style)),
        Target::Bitmap => chart.draw_series(
            points
                .windows(2)
                .map(|pair| PathElement::new(vec![pair[0], pair[1]], style)),
        ),
    }
}

fn draw_raster<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spikes: &[(u32, f64)],
    rows: usize,
    x_range: (f64, f64),
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .margin_right(28)
        .x_label_area_size(44)
        .y_label_area_size(78)
        .build_cartesian_2d(x_range.0..x_range.1, -0.5..(rows as f64 - 0.5))?;
    let mut mesh = chart.configure_mesh();
    house_style(&mut mesh, 15, 17);
    mesh.x_desc("t [ms]")
        .y_desc("neuron")
        .y_labels(rows.min(10))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&neuron_label)
        .draw()?;
    let coloured = rows <= PALETTE.len();
    let width = if rows <= 50 { 2 } else { 1 };
    chart.draw_series(
        spikes
            .iter()
            .filter(|(n, t)| (*n as usize) < rows && t.is_finite())
            .map(|&(neuron, t)| {
                let color = if coloured {
                    palette(neuron as usize)
                } else {
                    BLACK
                };
                let row = neuron as f64;
                PathElement::new(
                    vec![(t, row - 0.38), (t, row + 0.38)],
                    color.stroke_width(width),
                )
            }),
    )?;
    Ok(())
}

struct XyFigure<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    points: Vec<Sample>,
}

impl Figure for XyFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 600)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        target: Target,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (title_area, body) = root.split_vertically(TITLE_HEIGHT);
        draw_title(&title_area, self.title)?;
        let x_range = padded_range(self.points.iter().map(|p| p.0), 0.03, 0.03);
        let mut y_range = padded_range(self.points.iter().map(|p| p.1), 0.05, 0.08);
        // Rates and other non-negative quantities read best from a zero baseline.
        if self.points.iter().all(|p| p.1 >= 0.0) {
            y_range.0 = 0.0;
        }
        let mut chart = ChartBuilder::on(&body)
            .margin(8)
            .margin_right(28)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)?;
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh, 15, 17);
        mesh.x_desc(self.x_label)
            .y_desc(self.y_label)
            .x_label_formatter(&tick_label)
            .y_label_formatter(&tick_label)
            .draw()?;
        let color = PALETTE[0];
        draw_line(&mut chart, &self.points, color.stroke_width(2), target)?;
        chart.draw_series(
            self.points
                .iter()
                .map(|&p| Circle::new(p, 4, color.filled())),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unique scratch directory under the system temp dir, removed when dropped.
    struct ScratchDir(PathBuf);

    impl ScratchDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "galvani-plot-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create scratch dir");
            ScratchDir(dir)
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// An HH-like trace: rest at −65 mV, a 1 ms spike to +40 mV every `period` ms from
    /// `first`, sampled every 0.025 ms; returns the series and the spike times.
    fn label(variable: &str, unit: &str, neuron: Option<usize>) -> ColumnLabel {
        ColumnLabel {
            variable: variable.to_string(),
            unit: unit.to_string(),
            neuron,
        }
    }

    fn hh_like(label: ColumnLabel, first: f64, period: f64, t_end: f64) -> (Series, Vec<f64>) {
        let dt = 0.025;
        let steps = (t_end / dt).round() as usize;
        let mut spikes = Vec::new();
        let mut s = first;
        while s < t_end {
            spikes.push(s);
            s += period;
        }
        let times: Vec<f64> = (0..=steps).map(|k| k as f64 * dt).collect();
        let values = times
            .iter()
            .map(|&t| {
                let since = spikes
                    .iter()
                    .rev()
                    .find(|&&s| s <= t)
                    .map_or(f64::INFINITY, |s| t - s);
                if since < 0.5 {
                    -65.0 + 105.0 * (since / 0.5)
                } else if since < 1.0 {
                    40.0 - 120.0 * ((since - 0.5) / 0.5)
                } else if since < 6.0 {
                    -80.0 + 15.0 * ((since - 1.0) / 5.0)
                } else {
                    -65.0
                }
            })
            .collect();
        (
            Series {
                label,
                times,
                values,
            },
            spikes,
        )
    }

    struct Fixture {
        series: Vec<Series>,
        spikes: Vec<(u32, f64)>,
    }

    fn population_fixture() -> Fixture {
        let mut series = Vec::new();
        let mut spikes = Vec::new();
        for neuron in 0..3u32 {
            let (s, times) = hh_like(
                label("V", "mV", Some(neuron as usize)),
                5.0 + 3.0 * neuron as f64,
                14.0 + 4.0 * neuron as f64,
                100.0,
            );
            series.push(s);
            spikes.extend(times.into_iter().map(|t| (neuron, t + 0.4)));
        }
        spikes.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        Fixture { series, spikes }
    }

    fn input(fixture: &Fixture) -> PlotInput<'_> {
        PlotInput {
            title: "hh — expeuler2, dt = 0.025 ms",
            series: &fixture.series,
            spikes: &fixture.spikes,
            n_neurons: 3,
            t_end: 100.0,
            stimuli: &[],
            note: None,
        }
    }

    fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buffer).expect("png frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buffer.truncate(info.buffer_size());
        (info.width, info.height, buffer)
    }

    fn count_pixels(rgb: &[u8], color: RGBColor) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| p[0] == color.0 && p[1] == color.1 && p[2] == color.2)
            .count()
    }

    #[test]
    fn png_of_a_population_has_the_layout_size_and_draws_traces_marks_and_raster() {
        let dir = ScratchDir::new("png");
        let fixture = population_fixture();
        let path = dir.0.join("hh.png");
        write_plot(&path, &input(&fixture)).expect("write png");
        let bytes = std::fs::read(&path).expect("read png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let (width, height, rgb) = decode_png(&bytes);
        // One panel (all three V traces) plus a raster of 3 rows.
        let expected_height = TITLE_HEIGHT + SINGLE_PANEL_HEIGHT + 220;
        assert_eq!((width, height), (WIDTH, expected_height));
        assert_eq!(rgb.len(), (width * height * 3) as usize);
        // Each neuron's colour appears (traces, marks, raster ticks) and so does black text.
        for neuron in 0..3 {
            assert!(
                count_pixels(&rgb, palette(neuron)) > 200,
                "neuron {neuron}'s colour barely drawn"
            );
        }
        assert!(
            count_pixels(&rgb, palette(3)) == 0,
            "a fourth colour appeared"
        );
        let dark = rgb
            .chunks_exact(3)
            .filter(|p| p.iter().all(|&c| c < 60))
            .count();
        assert!(
            dark > 500,
            "axis text and lines missing ({dark} dark pixels)"
        );
    }

    #[test]
    fn png_bytes_are_deterministic() {
        let fixture = population_fixture();
        let figure = TraceFigure::new(&input(&fixture));
        let first = encode_png(&render_rgb(&figure).unwrap(), WIDTH, figure.size().1).unwrap();
        let second = encode_png(&render_rgb(&figure).unwrap(), WIDTH, figure.size().1).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn svg_has_axis_numbers_and_is_deterministic() {
        let dir = ScratchDir::new("svg");
        let fixture = population_fixture();
        let first = dir.0.join("a.svg");
        let second = dir.0.join("b.SVG");
        write_plot(&first, &input(&fixture)).expect("write svg");
        write_plot(&second, &input(&fixture)).expect("write svg again");
        let a = std::fs::read(&first).expect("read svg");
        let b = std::fs::read(&second).expect("read svg");
        assert_eq!(a, b, "same input, different SVG bytes");
        let svg = String::from_utf8(a).expect("utf-8 svg");
        assert!(svg.contains("<svg"));
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|chunk| chunk.split_once(">\n"))
            .map(|(_, rest)| rest.split('\n').next().unwrap_or(""))
            .collect();
        // Time ticks of a 0–100 ms axis, the voltage range, raster rows and descriptions.
        for expected in [
            "0", "20", "40", "60", "80", "100", "-60", "t [ms]", "V [mV]",
        ] {
            assert!(
                texts.contains(&expected),
                "no `{expected}` label in {texts:?}"
            );
        }
        for row in ["1", "2", "neuron", "V[0]", "V[2]"] {
            assert!(texts.contains(&row), "no `{row}` label in {texts:?}");
        }
        assert!(texts.contains(&"hh — expeuler2, dt = 0.025 ms"));
        // Every spike has a triangle in the trace panel and a tick in the raster.
        assert_eq!(svg.matches("<polygon").count(), fixture.spikes.len());
    }

    #[test]
    fn single_neuron_plot_has_no_raster_and_marks_spikes_in_red() {
        let (series, spikes) = hh_like(label("V", "mV", None), 10.0, 20.0, 100.0);
        let spikes: Vec<(u32, f64)> = spikes.into_iter().map(|t| (0, t + 0.4)).collect();
        let series = [series];
        let figure = TraceFigure::new(&PlotInput {
            title: "one",
            series: &series,
            spikes: &spikes,
            n_neurons: 1,
            t_end: 100.0,
            stimuli: &[],
            note: None,
        });
        assert_eq!(figure.size(), (WIDTH, TITLE_HEIGHT + SINGLE_PANEL_HEIGHT));
        let rgb = render_rgb(&figure).unwrap();
        // A filled triangle of ~5×9 px per spike, five spikes.
        let red = count_pixels(&rgb, SPIKE_MARK);
        assert!(red >= 5 * 25, "spike marks missing: {red} red pixels");
        let svg = render_svg(&figure).unwrap();
        assert_eq!(svg.matches("<polygon").count(), 5);
        assert!(!svg.contains(">\nneuron\n<"), "raster drawn for one neuron");
    }

    #[test]
    fn a_stimulus_gets_a_short_panel_below_the_traces_without_spike_marks() {
        let (v, spike_times) = hh_like(label("V", "mV", None), 10.0, 20.0, 100.0);
        let stimulus = Series {
            label: label("I_e", "uA/cm^2", None),
            times: v.times.clone(),
            values: v
                .times
                .iter()
                .map(|t| if *t >= 10.0 { 10.0 } else { 0.0 })
                .collect(),
        };
        let spikes: Vec<(u32, f64)> = spike_times.iter().map(|t| (0, *t)).collect();
        // Recorded first, drawn last.
        let series = [stimulus, v];
        let stimuli = ["I_e".to_string()];
        let figure = TraceFigure::new(&PlotInput {
            title: "stimulus",
            series: &series,
            spikes: &spikes,
            n_neurons: 1,
            t_end: 100.0,
            stimuli: &stimuli,
            note: Some("a note"),
        });
        let descriptions: Vec<&str> = figure
            .panels
            .iter()
            .map(|p| p.y_description.as_str())
            .collect();
        assert_eq!(descriptions, ["V [mV]", "I_e [uA/cm^2]"]);
        assert!(!figure.panels[0].stimulus && figure.panels[1].stimulus);
        // The trace keeps the single-panel height; the stimulus is a strip; the note a line.
        assert_eq!(
            figure.size().1,
            TITLE_HEIGHT + NOTE_HEIGHT + SINGLE_PANEL_HEIGHT + STIMULUS_PANEL_HEIGHT
        );
        assert!(figure.panels[1].lines[0].spike_times.is_empty());
        assert_eq!(figure.panels[0].lines[0].spike_times.len(), spikes.len());
        let svg = render_svg(&figure).unwrap();
        assert_eq!(
            svg.matches("<polygon").count(),
            spikes.len(),
            "marks on V only"
        );
        assert!(svg.contains("a note"));
        let rgb = render_rgb(&figure).unwrap();
        assert!(
            count_pixels(&rgb, STIMULUS_COLOR) > 200,
            "the stimulus line is drawn"
        );
    }

    #[test]
    fn distinct_variables_get_their_own_panels() {
        let (v, _) = hh_like(label("V", "mV", None), 10.0, 20.0, 50.0);
        let gate = Series {
            label: label("m", "", None),
            times: v.times.clone(),
            values: v.times.iter().map(|t| (t / 50.0).min(1.0)).collect(),
        };
        let series = [v, gate];
        let input = PlotInput {
            title: "two",
            series: &series,
            spikes: &[],
            n_neurons: 1,
            t_end: 50.0,
            stimuli: &[],
            note: None,
        };
        let figure = TraceFigure::new(&input);
        assert_eq!(figure.panels.len(), 2);
        assert_eq!(figure.size().1, TITLE_HEIGHT + 2 * PANEL_HEIGHT);
        let svg = render_svg(&figure).unwrap();
        assert!(svg.contains(">\nm\n<") && svg.contains(">\nV [mV]\n<"));
        for tick in ["0.2", "0.4", "0.8", "1"] {
            assert!(
                svg.contains(&format!(">\n{tick}\n<")),
                "gate tick {tick} missing"
            );
        }
    }

    #[test]
    fn non_finite_values_break_the_line_and_empty_input_still_draws() {
        let points = [(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 4.0)];
        assert_eq!(
            finite_segments(&points),
            vec![vec![(0.0, 1.0)], vec![(2.0, 3.0), (3.0, 4.0)]]
        );
        let figure = TraceFigure::new(&PlotInput {
            title: "",
            series: &[],
            spikes: &[],
            n_neurons: 1,
            t_end: f64::NAN,
            stimuli: &[],
            note: None,
        });
        assert_eq!(figure.x_range, (0.0, 1.0));
        assert_eq!(figure.raster_neurons, Some(1));
        assert!(render_svg(&figure).unwrap().contains("<svg"));
    }

    #[test]
    fn unknown_extension_is_a_format_error_and_writes_nothing() {
        let dir = ScratchDir::new("ext");
        let fixture = population_fixture();
        for name in ["plot.jpg", "plot", "plot.png.txt"] {
            let path = dir.0.join(name);
            let error = write_plot(&path, &input(&fixture)).unwrap_err();
            assert!(matches!(error, PlotError::Format { .. }), "{name}: {error}");
            assert!(!path.exists());
        }
        let missing_dir = dir.0.join("no/such/dir/plot.svg");
        let error = write_plot(&missing_dir, &input(&fixture)).unwrap_err();
        assert!(matches!(error, PlotError::Io { .. }), "{error}");
    }

    #[test]
    fn xy_plot_writes_png_and_svg_with_labels() {
        let dir = ScratchDir::new("xy");
        let points: Vec<(f64, f64)> = (0..=10)
            .map(|i| {
                let current = i as f64;
                (
                    current,
                    if current < 3.0 {
                        0.0
                    } else {
                        40.0 + 8.0 * current
                    },
                )
            })
            .collect();
        let png_path = dir.0.join("fi.png");
        write_xy_plot(&png_path, "f–I", "I [uA/cm^2]", "rate [Hz]", &points).unwrap();
        let (width, height, rgb) = decode_png(&std::fs::read(&png_path).unwrap());
        assert_eq!((width, height), (900, 600));
        assert!(count_pixels(&rgb, PALETTE[0]) > 300);
        let svg_path = dir.0.join("fi.svg");
        write_xy_plot(&svg_path, "f–I", "I [uA/cm^2]", "rate [Hz]", &points).unwrap();
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        for text in ["rate [Hz]", "I [uA/cm^2]", "f–I", "0", "10"] {
            assert!(svg.contains(&format!(">\n{text}\n<")), "no `{text}`");
        }
        assert_eq!(svg.matches("<circle").count(), points.len());
    }

    #[test]
    fn a_trace_near_the_largest_double_is_drawn_on_a_finite_axis() {
        let (low, high) = padded_range([1.7e308, 1.7e308].into_iter(), 0.05, 0.12);
        assert!(low.is_finite() && high.is_finite() && high > low && (high - low).is_finite());
        let (low, high) = padded_range([-f64::MAX, f64::MAX].into_iter(), 0.05, 0.12);
        assert!(low.is_finite() && high.is_finite() && (high - low).is_finite());
        let series = [Series {
            label: label("V", "mV", None),
            times: vec![0.0],
            values: vec![1.7e308],
        }];
        let svg = render_svg(&TraceFigure::new(&PlotInput {
            title: "huge",
            series: &series,
            spikes: &[],
            n_neurons: 1,
            t_end: 0.0,
            stimuli: &[],
            note: None,
        }))
        .unwrap();
        assert!(
            svg.contains("e308"),
            "the axis is labelled in scientific notation"
        );
    }

    #[test]
    fn tick_and_neuron_labels_carry_no_float_noise() {
        assert_eq!(tick_label(&-0.0000001), "0");
        assert_eq!(tick_label(&0.30000000000000004), "0.3");
        assert_eq!(tick_label(&-80.0), "-80");
        assert_eq!(tick_label(&1.7e308), "1.7e308");
        assert_eq!(tick_label(&-2.5e9), "-2.5e9");
        assert_eq!(neuron_label(&2.0), "2");
        assert_eq!(neuron_label(&1.5), "");
    }
}
