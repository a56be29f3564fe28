//! `galvani run`: parses the options into a `galvani_sim::RunRequest`, runs it with the
//! trace and spike CSV writers as sinks, and renders the result — sidecars, the plot, the
//! summary and the terminal sketch, as `docs/cli.md` describes them.

use crate::cli::Exit;
use crate::command::{self, Failure, SimOptions};
use galvani_driver::Compiled;
use galvani_plot::{self as plot, PlotInput};
use galvani_sim::files::StagedFile;
use galvani_sim::output::{self, CsvSpikes, CsvTrace};

use clap::Args;
use galvani_diag::Diagnostic;
use galvani_ir::text::format_for_people;
use galvani_ir::Model;
use galvani_runtime::{RecordSink, Recorded, RunSummary, SpikeSink};
use galvani_sim::values::{self, InputContext};
use galvani_sim::{PreparedRun, RunRequest, RunResult, Series, Sinks};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Traces drawn per recorded variable in a plot of a population (the raster shows every
/// neuron).
const PLOTTED_TRACES: usize = 5;

/// Spikes kept for a raster (32 MB); later ones are counted, and the plot says so.
const PLOTTED_SPIKES: usize = 2_000_000;

/// `galvani run FILE [options]`
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The model file, or a network file (populations, connections, drives).
    pub file: PathBuf,
    #[command(flatten)]
    pub sim: SimOptions,
    /// Neurons in the population (default 1; a network file gives its own sizes).
    #[arg(long)]
    pub n: Option<usize>,
    /// Drive an input: NAME=PROTOCOL (repeatable).
    #[arg(long = "input", value_name = "NAME=PROTOCOL")]
    pub input: Vec<String>,
    /// States, intermediates and inputs to record, comma-separated (default: the first state).
    #[arg(long, value_delimiter = ',')]
    pub record: Vec<String>,
    /// Recording interval (default: dt).
    #[arg(long)]
    pub every: Option<String>,
    /// Write the recorded trace to this CSV file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write spike times to this CSV file.
    #[arg(long)]
    pub spikes: Option<PathBuf>,
    /// Draw the trace (a recorded input as a stimulus strip below, a raster for N > 1) to a
    /// .png or .svg file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Add each neuron's spike count to the summary (one number per neuron).
    #[arg(long)]
    pub per_neuron: bool,
    /// Network files: write each population's activity (Hz, in bins of --bin) to this CSV.
    #[arg(long)]
    pub rate: Option<PathBuf>,
    /// Network files: the bin width of --rate.
    #[arg(long, default_value = "1ms")]
    pub bin: String,
}

impl RunArgs {
    /// Neurons of a model run.
    fn neurons(&self) -> usize {
        self.n.unwrap_or(1)
    }

    fn writes_files(&self) -> bool {
        self.out.is_some() || self.spikes.is_some() || self.plot.is_some()
    }

    /// The terminal sketch is drawn when nothing else shows the trace.
    fn wants_sketch(&self) -> bool {
        !self.writes_files() && self.sim.summary.is_none() && std::io::stdout().is_terminal()
    }
}

/// `galvani run`
pub fn cmd_run(args: &RunArgs, out: &mut dyn Write) -> Exit {
    let mut sources = galvani_driver::Sources::new();
    if let Ok(file) = sources.load(&args.file) {
        if galvani_driver::is_network(&sources, file) {
            return crate::net_run_cmd::run_network(args, sources, file, out);
        }
    }
    if args.rate.is_some() {
        return command::report_failure(
            &sources,
            Failure::user(
                Diagnostic::error("--rate is for network files")
                    .with_hint("a model run's rates are in its summary; its spikes go to --spikes"),
            ),
        );
    }
    command::compile_then(&args.file, args.sim.method, args.sim.kernel, |compiled| {
        run_compiled(args, compiled, out)
    })
}

fn run_compiled(args: &RunArgs, compiled: &Compiled, out: &mut dyn Write) -> Result<Exit, Failure> {
    let model = compiled.model();
    let request = parse_run_request(args, compiled)?;
    // Everything is validated before anything is written.
    if let Some(path) = &args.plot {
        plot::check_format(path).map_err(|e| draw_failure(path, e))?;
    }
    let outputs: Vec<&Path> = [&args.out, &args.spikes, &args.plot]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    let texts = args.input.iter().chain(&args.sim.set).chain(&args.sim.init);
    command::check_outputs(&args.file, texts, &outputs)?;
    let sim = compiled.simulator();
    let prepared = sim.prepare(&request).map_err(|e| Failure::sim(model, e))?;
    let (result, mut staged) = run_to_files(args, compiled, &prepared)?;
    let provenance = provenance(
        &args.file,
        compiled.model_bytes(),
        &request,
        compiled,
        &args.sim,
        &args.input,
        args.every.as_deref(),
    );
    if let Some(path) = &args.plot {
        let picture = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
        draw_run(&picture, compiled, &prepared, &result)?;
        staged.push((picture, format!("plot of {}", recorded_names(&prepared))));
    }
    command::commit_with_sidecars(staged, &provenance)?;
    let summary = summary_text(
        model,
        compiled,
        &prepared,
        &result.summary,
        args.sim.summary.is_some(),
        args.per_neuron,
    );
    let _ = out.write_all(summary.as_bytes());
    if args.wants_sketch() {
        let _ = out.write_all(sketch_of(&result).as_bytes());
    }
    Ok(Exit::Success)
}

/// Every option of `run` as a typed request.
fn parse_run_request(args: &RunArgs, compiled: &Compiled) -> Result<RunRequest, Failure> {
    let model = compiled.model();
    let sim = compiled.simulator();
    if args.neurons() == 0 {
        return Err(Failure::sim(model, galvani_sim::SimError::EmptyPopulation));
    }
    let mut request = command::parse_request(&sim, &args.sim, args.neurons())?;
    for text in &args.input {
        let (name, protocol_text) = command::split_assignment("--input", text)?;
        let input = sim.input(name).map_err(|e| Failure::sim(model, e))?;
        let context = InputContext {
            amplitude: values::Expect::declared(
                format!("`{name}`"),
                &model.inputs[input.index()].unit,
                model.dimensionless,
            ),
            dimensionless_model: model.dimensionless,
            n: args.neurons(),
        };
        let protocol = values::parse_protocol(protocol_text, &context)
            .map_err(|e| Failure::value("--input", e))?;
        if request.inputs.iter().any(|(i, _)| *i == input) {
            return Err(Failure::sim(
                model,
                galvani_sim::SimError::DuplicateInput(name.to_string()),
            ));
        }
        request.inputs.push((input, protocol));
    }
    request.record = if args.record.is_empty() {
        sim.default_record()
    } else {
        args.record
            .iter()
            .map(|name| sim.recordable(name.trim()))
            .collect::<Result<_, _>>()
            .map_err(|e| Failure::sim(model, e))?
    };
    if let Some(every) = &args.every {
        let interval = command::parse_time(
            "--every",
            "the recording interval --every",
            every,
            model.dimensionless,
        )?;
        if interval.is_nan() || interval <= 0.0 {
            return Err(Failure::user(Diagnostic::error(
                "invalid --every: the interval must be positive",
            )));
        }
        request.record_every = Some(interval);
    }
    if args.plot.is_some() || args.wants_sketch() {
        request.keep_for_picture = Some(PLOTTED_SPIKES);
    }
    Ok(request)
}

/// Runs with the CSV writers the options ask for as sinks, and closes them.
/// Runs with the CSV writers the options ask for as sinks; their files come back staged,
/// with what each holds, to be committed when everything else has succeeded.
fn run_to_files(
    args: &RunArgs,
    compiled: &Compiled,
    prepared: &PreparedRun,
) -> Result<(RunResult, Vec<(StagedFile, String)>), Failure> {
    let model = compiled.model();
    let mut staged = Vec::new();
    let mut trace_file = match &args.out {
        Some(path) => {
            let file = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
            let trace = CsvTrace::new(
                file.file().map_err(|e| io_failure(path, e))?,
                args.neurons(),
            );
            staged.push((file, format!("trace of {}", recorded_names(prepared))));
            Some(trace)
        }
        None => None,
    };
    let mut spikes_file = match &args.spikes {
        Some(path) => {
            let file = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
            let spikes = file
                .file()
                .and_then(|file| CsvSpikes::new(file, &compiled.program.events))
                .map_err(|e| io_failure(path, e))?;
            staged.push((file, "spike times".to_string()));
            Some(spikes)
        }
        None => None,
    };
    let mut progress = crate::progress::RunProgress::new();
    let mut report_progress = |done: u64, total: u64| progress.update(done, total);
    let mut sinks = Sinks {
        progress: Some(&mut report_progress),
        ..Sinks::default()
    };
    if let Some(file) = trace_file.as_mut() {
        sinks.record.push(file as &mut dyn RecordSink);
    }
    if let Some(file) = spikes_file.as_mut() {
        sinks.spikes.push(file as &mut dyn SpikeSink);
    }
    let result = compiled.simulator().run(prepared, sinks);
    progress.finish();
    let result = result.map_err(|e| Failure::sim(model, e))?;
    if let (Some(file), Some(path)) = (trace_file, &args.out) {
        file.finish().map_err(|e| io_failure(path, e))?;
    }
    if let (Some(file), Some(path)) = (spikes_file, &args.spikes) {
        file.finish().map_err(|e| io_failure(path, e))?;
    }
    Ok((result, staged))
}

/// The traces of a few neurons and, for a population, the raster of all.
fn draw_run(
    picture: &StagedFile,
    compiled: &Compiled,
    prepared: &PreparedRun,
    result: &RunResult,
) -> Result<(), Failure> {
    let n = prepared.config.n;
    // Overlaid traces stay readable for a few neurons; the raster shows them all.
    let series: Vec<Series> = result
        .envelope
        .iter()
        .flatten()
        .enumerate()
        .filter(|(column, _)| column % n < PLOTTED_TRACES)
        .map(|(_, s)| s.clone())
        .collect();
    let (spikes, dropped) = match &result.spikes {
        Some(kept) => (kept.kept.as_slice(), kept.dropped),
        None => (&[][..], 0),
    };
    let mut title = format!(
        "{} — {}, dt = {} ms",
        compiled.model().name,
        compiled.program.method.name(),
        format_for_people(prepared.config.dt)
    );
    if dropped > 0 {
        title.push_str(&format!(" (first {PLOTTED_SPIKES} spikes shown)"));
    }
    // Say what the overlaid traces leave out, so nobody reads 5 traces as the population.
    let note = (n > PLOTTED_TRACES).then(|| {
        format!(
            "traces of neurons 0–{} of {n} (overlaid traces stay readable for {PLOTTED_TRACES}); \
             the raster shows all {n}",
            PLOTTED_TRACES - 1
        )
    });
    let layout = &compiled.program.layout;
    let stimuli: Vec<String> = prepared
        .config
        .record
        .iter()
        .filter_map(|recorded| match recorded {
            Recorded::Input(i) => layout.inputs.get(*i).map(|slot| slot.name.clone()),
            _ => None,
        })
        .collect();
    plot::write_plot(
        picture.path(),
        &PlotInput {
            title: &title,
            series: &series,
            spikes,
            n_neurons: n,
            t_end: prepared.config.t_end,
            stimuli: &stimuli,
            note: note.as_deref(),
        },
    )
    .map_err(|e| draw_failure(picture.target(), e))
}

/// The first recorded column and neuron 0's spikes as text.
fn sketch_of(result: &RunResult) -> String {
    let Some(first) = result.envelope.as_ref().and_then(|s| s.first()) else {
        return String::new();
    };
    let neuron0: Vec<f64> = result
        .spikes
        .iter()
        .flat_map(|kept| &kept.kept)
        .filter(|(n, _)| *n == 0)
        .map(|(_, t)| *t)
        .collect();
    plot::sketch(first, &neuron0, 72, 12)
}

/// `V, m`: the recorded variables, for a sidecar's description (the columns are
/// variable-major, one per neuron).
fn recorded_names(prepared: &PreparedRun) -> String {
    let names: Vec<&str> = prepared
        .columns
        .iter()
        .step_by(prepared.config.n.max(1))
        .map(|label| label.variable.as_str())
        .collect();
    names.join(", ")
}

pub(crate) fn io_failure(path: &Path, error: std::io::Error) -> Failure {
    Failure::user(Diagnostic::error(format!(
        "cannot write `{}`: {error}",
        path.display()
    )))
}

pub(crate) fn draw_failure(path: &Path, error: plot::PlotError) -> Failure {
    Failure::user(Diagnostic::error(format!(
        "cannot draw `{}`: {error}",
        path.display()
    )))
}

/// The provenance recorded in every sidecar.
pub(crate) fn provenance(
    path: &Path,
    model_bytes: &[u8],
    request: &RunRequest,
    compiled: &Compiled,
    options: &SimOptions,
    inputs: &[String],
    every: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "galvani": env!("CARGO_PKG_VERSION"),
        "model": output::path_json(path),
        "model_sha256": output::sha256_hex(model_bytes),
        "method": compiled.program.method.name(),
        "kernel": options.kernel.name(),
        "dt_ms": request.dt,
        "t_ms": request.t_end,
        "n": request.n,
        "seed": options.seed,
        "inputs": inputs,
        "set": options.set,
        "init": options.init,
        "every": every,
        "input_files": input_files(inputs.iter().chain(&options.set).chain(&options.init)),
    })
}

/// Every `file(…)` a run read, with the SHA-256 of its bytes (`null` if it cannot be read
/// again), so a sidecar says which data made the result.
fn input_files<'t>(texts: impl Iterator<Item = &'t String>) -> serde_json::Value {
    let files: Vec<serde_json::Value> = command::files_read(texts)
        .into_iter()
        .map(|path| {
            let sha256 = std::fs::read(&path)
                .ok()
                .map(|bytes| output::sha256_hex(&bytes));
            serde_json::json!({ "path": output::path_json(&path), "sha256": sha256 })
        })
        .collect();
    serde_json::Value::Array(files)
}

fn summary_text(
    model: &Model,
    compiled: &Compiled,
    prepared: &PreparedRun,
    summary: &RunSummary,
    json: bool,
    per_neuron: bool,
) -> String {
    let config = &prepared.config;
    let n = config.n;
    let method = compiled.program.method.name();
    let spikes: u64 = summary.spike_counts.iter().sum();
    let seconds = config.t_end / 1000.0;
    let mean_rate = if seconds > 0.0 {
        spikes as f64 / n as f64 / seconds
    } else {
        0.0
    };
    let compile_ms = compiled.compile_time.as_secs_f64() * 1e3;
    let simulate_ms = summary.simulate_time.as_secs_f64() * 1e3;
    if json {
        let mut value = serde_json::json!({
            "model": model.name,
            "method": method,
            "dt_ms": config.dt,
            "t_ms": config.t_end,
            "n": n,
            "steps": summary.steps,
            "spikes": spikes,
            "mean_rate_hz": mean_rate,
            "compile_ms": compile_ms,
            "simulate_ms": simulate_ms,
        });
        // N numbers only when asked: a 10,000-neuron run's summary stays one short line.
        if per_neuron {
            value["spikes_per_neuron"] = serde_json::json!(summary.spike_counts);
        }
        format!("{value}\n")
    } else {
        let mut text = format!(
            "model {} — {method}, dt = {} ms, T = {} ms, N = {n}\n\
             spikes: {spikes} (mean rate {mean_rate:.2} Hz per neuron)\n\
             time: compile {compile_ms:.1} ms (parse → JIT), simulate {simulate_ms:.1} ms ({} steps)\n",
            model.name,
            format_for_people(config.dt),
            format_for_people(config.t_end),
            summary.steps,
        );
        if per_neuron {
            let counts: Vec<String> = summary.spike_counts.iter().map(u64::to_string).collect();
            text.push_str(&format!("spikes per neuron: {}\n", counts.join(" ")));
        }
        text
    }
}
