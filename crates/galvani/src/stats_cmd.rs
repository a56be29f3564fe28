//! `galvani stats SPIKES.csv`: spike-train statistics of any spikes CSV galvani wrote —
//! per population the mean rate, the CV of interspike intervals and the Fano factor of
//! binned counts (`galvani_sim::spike_stats`), as text or JSON, and on request a plot of
//! the ISI histograms and the population activity. The population size and the window
//! come from the options, else from the file's sidecar (`SPIKES.csv.json`), else they are
//! inferred from the spikes, and stderr says so.

use crate::cli::Exit;
use crate::command::{self, Failure, SummaryFormat};
use crate::run_cmd::{draw_failure, io_failure};
use clap::Args;
use galvani_diag::Diagnostic;
use galvani_ir::text::format_for_people;
use galvani_plot::{self as plot, StatsRow};
use galvani_sim::files::StagedFile;
use galvani_sim::output::sidecar_path;
use galvani_sim::spike_stats::{self, PopulationSpikes, PopulationStats, StatsWindow};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `galvani stats SPIKES.csv [options]`
#[derive(Args, Debug, Clone)]
pub struct StatsArgs {
    /// A spikes CSV written by `galvani run --spikes`.
    pub file: PathBuf,
    /// Start of the window (spikes before it are left out, e.g. a transient).
    #[arg(long, default_value = "0ms")]
    pub from: String,
    /// End of the window (default: the run's --t from the sidecar, else the last spike).
    #[arg(long)]
    pub t: Option<String>,
    /// Neurons per population, silent ones included (default: the run's --n from the
    /// sidecar, else the highest neuron index + 1).
    #[arg(long)]
    pub n: Option<usize>,
    /// Width of the count bins of the Fano factor and of the activity.
    #[arg(long, default_value = "5ms")]
    pub bin: String,
    /// Draw the ISI histograms and the activity to a .png or .svg file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print the statistics as one JSON object.
    #[arg(long, value_name = "FORMAT")]
    pub summary: Option<SummaryFormat>,
}

/// `galvani stats`
pub fn cmd_stats(args: &StatsArgs, out: &mut dyn Write) -> Exit {
    match stats(args, out) {
        Ok(exit) => exit,
        Err(failure) => {
            crate::render::emit_stderr(&galvani_driver::Sources::new(), &failure.diagnostics);
            failure.exit
        }
    }
}

/// What the run that wrote the file recorded about itself, from its sidecar.
#[derive(Default)]
struct RunFacts {
    neurons: Option<usize>,
    /// A network run's population sizes, by name.
    sizes: Vec<(String, usize)>,
    t_end: Option<f64>,
    model: Option<String>,
}

fn run_facts(spikes_file: &Path) -> RunFacts {
    let Ok(text) = std::fs::read_to_string(sidecar_path(spikes_file)) else {
        return RunFacts::default();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return RunFacts::default();
    };
    RunFacts {
        neurons: json["n"].as_u64().and_then(|n| usize::try_from(n).ok()),
        sizes: json["sizes"]
            .as_object()
            .map(|sizes| {
                sizes
                    .iter()
                    .filter_map(|(name, n)| {
                        Some((name.clone(), usize::try_from(n.as_u64()?).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        t_end: json["t_ms"].as_f64().filter(|t| t.is_finite()),
        model: json["model"]
            .as_str()
            .and_then(|m| Path::new(m).file_stem())
            .map(|stem| stem.to_string_lossy().into_owned()),
    }
}

fn stats(args: &StatsArgs, out: &mut dyn Write) -> Result<Exit, Failure> {
    let from = command::parse_time("--from", "the window start --from", &args.from, false)?;
    let bin = command::parse_time("--bin", "the bin width --bin", &args.bin, false)?;
    if !(bin > 0.0 && bin.is_finite()) {
        return Err(Failure::user(Diagnostic::error(format!(
            "invalid --bin: the bin width must be positive, got {bin} ms"
        ))));
    }
    let explicit_end = match &args.t {
        Some(text) => Some(command::parse_time(
            "--t",
            "the window end --t",
            text,
            false,
        )?),
        None => None,
    };
    if args.n == Some(0) {
        return Err(Failure::user(Diagnostic::error(
            "invalid --n: a population has at least one neuron",
        )));
    }
    if let Some(path) = &args.plot {
        plot::check_format(path).map_err(|e| draw_failure(path, e))?;
        command::check_outputs(&args.file, std::iter::empty(), &[path])?;
    }

    let file = std::fs::File::open(&args.file).map_err(|e| {
        Failure::user(Diagnostic::error(format!(
            "cannot read `{}`: {e}",
            args.file.display()
        )))
    })?;
    let populations = spike_stats::read_spikes(std::io::BufReader::new(file)).map_err(|e| {
        Failure::user(
            Diagnostic::error(format!("`{}`: {e}", args.file.display()))
                .with_hint("give a spikes CSV written by `galvani run --spikes`"),
        )
    })?;
    let facts = run_facts(&args.file);
    let last_spike = populations
        .iter()
        .flat_map(|p| p.spikes.iter().map(|s| s.1))
        .fold(f64::NEG_INFINITY, f64::max);
    let to = match explicit_end.or(facts.t_end) {
        Some(t) => t,
        None if last_spike == f64::NEG_INFINITY => {
            return Err(Failure::user(
                Diagnostic::error(format!(
                    "`{}` has no spikes and no sidecar to say how long the run was",
                    args.file.display()
                ))
                .with_hint("give the end of the window with --t"),
            ))
        }
        None => {
            eprintln!(
                "note: no --t and no sidecar `{}`: the window ends with the last spike, at {} ms",
                sidecar_path(&args.file).display(),
                format_for_people(last_spike)
            );
            // The window is half-open: it ends just after the last spike, to hold it.
            last_spike.next_up()
        }
    };
    if to.partial_cmp(&from) != Some(std::cmp::Ordering::Greater) {
        return Err(Failure::user(
            Diagnostic::error(format!(
                "the window is empty: it ends at {} ms, not after its start {} ms",
                format_for_people(to),
                format_for_people(from)
            ))
            .with_hint("give a --t after --from"),
        ));
    }

    let mut results = Vec::new();
    for population in &populations {
        let highest = population.spikes.iter().map(|s| s.0 as usize + 1).max();
        // The sidecar's --n is that of a single model's run; a network run records each
        // population's size by name.
        let recorded = match &population.name {
            None => facts.neurons,
            Some(name) => facts
                .sizes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, size)| *size),
        };
        let neurons = match args.n.or(recorded) {
            Some(n) => n,
            None => {
                let inferred = highest.unwrap_or(1);
                eprintln!(
                    "note: {}: no --n and no sidecar: {inferred} neuron{} inferred from the \
                     highest index (silent neurons above it are not counted)",
                    display_name(population, &facts),
                    if inferred == 1 { "" } else { "s" }
                );
                inferred
            }
        };
        if let Some(highest) = highest.filter(|&h| h > neurons) {
            return Err(Failure::user(
                Diagnostic::error(format!(
                    "{}: neuron {} spiked, but the population has {neurons} neurons",
                    display_name(population, &facts),
                    highest - 1
                ))
                .with_hint("give the population's size with --n"),
            ));
        }
        let window = StatsWindow {
            neurons,
            from,
            to,
            bin,
        };
        results.push((
            display_name(population, &facts),
            neurons,
            spike_stats::population_stats(&population.spikes, &window),
        ));
    }

    let text = if args.summary.is_some() {
        summary_json(&args.file, from, to, bin, &results)
    } else {
        summary_text(&args.file, from, to, bin, &results)
    };
    if let Some(path) = &args.plot {
        let rows: Vec<StatsRow> = results
            .iter()
            .map(|(name, _, stats)| StatsRow {
                name,
                isi: &stats.isi_histogram,
                activity: &stats.activity,
                activity_hz: &stats.activity_hz,
            })
            .collect();
        let picture = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
        let title = format!(
            "{} — {}–{} ms",
            args.file.display(),
            format_for_people(from),
            format_for_people(to)
        );
        plot::write_stats_plot(picture.path(), &title, &rows)
            .map_err(|e| draw_failure(picture.target(), e))?;
        picture.commit().map_err(|e| io_failure(path, e))?;
    }
    out.write_all(text.as_bytes())
        .map_err(|e| io_failure(Path::new("stdout"), e))?;
    Ok(Exit::Success)
}

/// A network's population by its name; a single model's spikes by the model's name.
fn display_name(population: &PopulationSpikes, facts: &RunFacts) -> String {
    population
        .name
        .clone()
        .or_else(|| facts.model.clone())
        .unwrap_or_else(|| "neurons".to_string())
}

fn optional(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.digits$}"))
}

fn summary_text(
    file: &Path,
    from: f64,
    to: f64,
    bin: f64,
    results: &[(String, usize, PopulationStats)],
) -> String {
    let mut text = format!(
        "{}: window {}–{} ms, bins of {} ms\n",
        file.display(),
        format_for_people(from),
        format_for_people(to),
        format_for_people(bin)
    );
    for (name, neurons, stats) in results {
        text.push_str(&format!(
            "{name}: {neurons} neurons, {} spikes, mean rate {:.3} Hz\n  \
             CV of ISI {} ({} neurons with ≥ 2 intervals), Fano factor {} ({} neurons that \
             fired, {} bins)\n",
            stats.spikes,
            stats.mean_rate_hz,
            optional(stats.cv_isi, 3),
            stats.cv_neurons,
            optional(stats.fano, 3),
            stats.fano_neurons,
            stats.fano_bins,
        ));
    }
    text
}

fn summary_json(
    file: &Path,
    from: f64,
    to: f64,
    bin: f64,
    results: &[(String, usize, PopulationStats)],
) -> String {
    let populations: Vec<serde_json::Value> = results
        .iter()
        .map(|(name, neurons, stats)| {
            serde_json::json!({
                "name": name,
                "neurons": neurons,
                "spikes": stats.spikes,
                "mean_rate_hz": stats.mean_rate_hz,
                "cv_isi": stats.cv_isi,
                "cv_neurons": stats.cv_neurons,
                "fano": stats.fano,
                "fano_neurons": stats.fano_neurons,
                "fano_bins": stats.fano_bins,
            })
        })
        .collect();
    let value = serde_json::json!({
        "file": file.to_string_lossy(),
        "from_ms": from,
        "to_ms": to,
        "bin_ms": bin,
        "populations": populations,
    });
    format!("{value}\n")
}
