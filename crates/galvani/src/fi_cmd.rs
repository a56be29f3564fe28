//! `galvani fi`: the firing rates of one neuron per constant input value, in one population
//! run (`galvani_sim::Simulator::firing_rates`), written as a CSV curve and, on request, a
//! plot of the steady rate. `rate [Hz]` is the steady rate of firing that persists to the
//! end of the window (0 for firing that stops: transient); the first-ISI rate and the mean
//! rate follow in their own columns. The rule is `galvani_sim::rates`'.

use crate::cli::Exit;
use crate::command::{self, Failure, SimOptions};
use crate::run_cmd::{draw_failure, io_failure, provenance};
use clap::Args;
use galvani_diag::Diagnostic;
use galvani_driver::Compiled;
use galvani_plot as plot;
use galvani_sim::files::StagedFile;
use galvani_sim::output;
use galvani_sim::values::{self, Expect};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `galvani fi FILE --input NAME --range A..B --points K [options]`
#[derive(Args, Debug, Clone)]
pub struct FiArgs {
    /// The model file.
    pub file: PathBuf,
    /// The input to sweep.
    #[arg(long)]
    pub input: String,
    /// The range of constant input values, `A..B` (e.g. `0..20uA/cm^2`, `-5..5uA/cm^2`).
    // A range may start with a minus sign: `--range -5..5nA` is a value, not an option.
    #[arg(long, allow_hyphen_values = true)]
    pub range: String,
    /// Number of values (one neuron each).
    #[arg(long, default_value_t = 41)]
    pub points: usize,
    #[command(flatten)]
    pub sim: SimOptions,
    /// Write the curve to this CSV file (it is printed to stdout otherwise).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Draw the curve to a .png or .svg file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// `galvani fi`
pub fn cmd_fi(args: &FiArgs, out: &mut dyn Write) -> Exit {
    command::compile_then(&args.file, args.sim.method, args.sim.kernel, |compiled| {
        fi_compiled(args, compiled, out)
    })
}

fn fi_compiled(args: &FiArgs, compiled: &Compiled, out: &mut dyn Write) -> Result<Exit, Failure> {
    let model = compiled.model();
    if args.points == 0 {
        return Err(Failure::user(Diagnostic::error(
            "invalid --points: at least one point is needed",
        )));
    }
    let sim = compiled.simulator();
    let request = command::parse_request(&sim, &args.sim, args.points)?;
    // Everything is validated before anything is written.
    if let Some(path) = &args.plot {
        plot::check_format(path).map_err(|e| draw_failure(path, e))?;
    }
    let outputs: Vec<&Path> = [&args.out, &args.plot]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    command::check_outputs(
        &args.file,
        args.sim.set.iter().chain(&args.sim.init),
        &outputs,
    )?;
    let input_id = sim.input(&args.input).map_err(|e| Failure::sim(model, e))?;
    let input = &model.inputs[input_id.index()];
    let amplitude = Expect::declared(
        format!("`{}`", args.input),
        &input.unit,
        model.dimensionless,
    );
    let (a, b) = values::parse_range(&args.range).map_err(|e| Failure::value("--range", e))?;
    let a = amplitude
        .resolve(a)
        .map_err(|e| Failure::value("--range", e))?;
    let b = amplitude
        .resolve(b)
        .map_err(|e| Failure::value("--range", e))?;
    let currents = values::linspace(a, b, args.points);
    let rates = sim
        .firing_rates(&request, input_id, &currents)
        .map_err(|e| Failure::sim(model, e))?;

    let unit = &input.unit;
    let x_label = if unit.text.is_empty() {
        input.name.clone()
    } else {
        format!("{} [{}]", input.name, unit.text)
    };
    let points: Vec<(f64, f64)> = currents
        .iter()
        .zip(&rates)
        .map(|(current, rate)| (current / unit.scale, rate.steady_hz))
        .collect();
    let mut csv = format!("{x_label},rate [Hz],first-ISI rate [Hz],mean rate [Hz]\n");
    for ((shown, _), rate) in points.iter().zip(&rates) {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            output::format_value(*shown, 1.0),
            rate.steady_hz,
            rate.first_isi_hz,
            rate.mean_hz
        ));
    }
    // Firing that stops before the end of the window is not a rate: say where it happened.
    let transient: Vec<String> = points
        .iter()
        .zip(&rates)
        .filter(|(_, rate)| rate.transient)
        .map(|((shown, _), _)| output::format_value(*shown, 1.0))
        .collect();
    let provenance = provenance(
        &args.file,
        compiled.model_bytes(),
        &request,
        compiled,
        &args.sim,
        &[format!("{}=linspace({})", args.input, args.range)],
        None,
    );
    let mut staged = Vec::new();
    if let Some(path) = &args.out {
        let file = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
        file.file()
            .and_then(|mut f| f.write_all(csv.as_bytes()))
            .map_err(|e| io_failure(path, e))?;
        staged.push((file, "firing rate against input".to_string()));
    }
    if let Some(path) = &args.plot {
        let picture = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
        plot::write_xy_plot(
            picture.path(),
            &format!("{} — f-I curve", model.name),
            &x_label,
            "rate [Hz]",
            &points,
        )
        .map_err(|e| draw_failure(path, e))?;
        staged.push((picture, "plot of firing rate against input".to_string()));
    }
    command::commit_with_sidecars(staged, &provenance)?;
    match &args.out {
        _ if args.sim.summary.is_some() => {
            let curve: Vec<serde_json::Value> = points
                .iter()
                .zip(&rates)
                .map(|((shown, _), rate)| {
                    serde_json::json!({
                        "input": shown,
                        "rate_hz": rate.steady_hz,
                        "first_isi_rate_hz": rate.first_isi_hz,
                        "mean_rate_hz": rate.mean_hz,
                        "transient": rate.transient,
                    })
                })
                .collect();
            let value = serde_json::json!({
                "model": model.name,
                "method": compiled.program.method.name(),
                "dt_ms": request.dt,
                "t_ms": request.t_end,
                "input": input.name,
                "unit": unit.text,
                "out": args.out.as_deref().map(galvani_sim::output::path_json),
                "points": curve,
            });
            let _ = writeln!(out, "{value}");
        }
        Some(path) => {
            // The curve went to a file: say where, and what it found.
            let firing = points.iter().filter(|(_, rate)| *rate > 0.0).count();
            let peak = points.iter().map(|(_, rate)| *rate).fold(0.0, f64::max);
            let _ = writeln!(
                out,
                "model {} — f-I curve of {} points written to {} ({} firing, peak {:.2} Hz)",
                model.name,
                points.len(),
                path.display(),
                firing,
                peak
            );
        }
        None => {
            let _ = out.write_all(csv.as_bytes());
        }
    }
    let _ = out.flush();
    if !transient.is_empty() {
        eprintln!(
            "note: at {} {x_label} the neuron fired only transiently (it stopped before the end of the window): its steady rate is 0 Hz",
            transient.join(", ")
        );
    }
    Ok(Exit::Success)
}
