//! `galvani run` and `galvani fi`: turn command-line options into a `RunConfig`, compile the
//! model (parse → check → linearize → discretize → JIT), run it through the shared runtime,
//! and write the trace, spikes, plot, sidecars and summary that `spec/cli.md` describes.

use crate::cli::Exit;
use crate::driver::{self, Sources};
use crate::output::{self, CsvSpikes, CsvTrace, TeeRecord, TeeSpikes};
use crate::plot::{self, Decimator, PlotInput, PlotSpikes, Series};
use crate::values::{self, Expect, InputContext, ValueError};
use crate::{render, rest, sketch};
use clap::Args;
use galvani_codegen::JitKernel;
use galvani_diag::Diagnostic;
use galvani_ir::step::{Method, StepProgram};
use galvani_ir::Model;
use galvani_runtime::{
    Discard, Protocol, Recorded, RunConfig, RunError, RunSummary, SinkError, SpikeSink, Values,
};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Traces drawn per recorded variable in a plot of a population (the raster shows every
/// neuron).
const PLOTTED_TRACES: usize = 5;

/// Spikes kept for a raster (32 MB); later ones are counted, and the plot says so.
const PLOTTED_SPIKES: usize = 2_000_000;

/// Options shared by `run` and `fi`.
#[derive(Args, Debug, Clone)]
pub struct SimOptions {
    /// Simulated time (a bare number is in ms).
    #[arg(long = "t", default_value = "100ms", value_name = "T")]
    pub t: String,
    /// Time step (a bare number is in ms).
    #[arg(long, default_value = "0.025ms")]
    pub dt: String,
    /// Integration method: euler, rk4, expeuler, expeuler2.
    #[arg(long, default_value = "expeuler2")]
    pub method: String,
    /// Override a param: NAME=VALUE, VALUE may be per neuron (linspace(A, B), file(x.csv)).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Override an initial value: NAME=VALUE, or `rest` for the resting state.
    #[arg(long = "init", value_name = "NAME=VALUE|rest")]
    pub init: Vec<String>,
    /// Seed of every random stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the summary as one JSON object.
    #[arg(long, value_name = "json")]
    pub summary: Option<String>,
}

/// `galvani run FILE [options]`
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The model file.
    pub file: PathBuf,
    #[command(flatten)]
    pub sim: SimOptions,
    /// Neurons in the population.
    #[arg(long, default_value_t = 1)]
    pub n: usize,
    /// Drive an input: NAME=PROTOCOL (repeatable).
    #[arg(long = "input", value_name = "NAME=PROTOCOL")]
    pub input: Vec<String>,
    /// States and intermediates to record, comma-separated (default: the first state).
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
    /// Draw the trace (and a raster for N > 1) to a .png or .svg file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// `galvani fi FILE --input NAME --range A..B --points K [options]`
#[derive(Args, Debug, Clone)]
pub struct FiArgs {
    /// The model file.
    pub file: PathBuf,
    /// The input to sweep.
    #[arg(long)]
    pub input: String,
    /// The range of constant input values, `A..B` (e.g. `0..20uA/cm^2`).
    #[arg(long)]
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

/// A failure of the command, already classified by exit status.
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Failure {
    pub(crate) fn user(diagnostic: Diagnostic) -> Failure {
        Failure {
            exit: Exit::UserError,
            diagnostics: vec![diagnostic],
        }
    }
    pub(crate) fn internal(message: String) -> Failure {
        Failure {
            exit: Exit::Internal,
            diagnostics: vec![Diagnostic::bug(message)],
        }
    }
}

fn value_error(option: &str, error: ValueError) -> Failure {
    let mut d = Diagnostic::error(format!("invalid {option}: {}", error.message));
    if let Some(hint) = error.hint {
        d = d.with_hint(hint);
    }
    Failure::user(d)
}

/// A compiled model, ready to run.
pub struct Compiled {
    pub sources: Sources,
    pub checked: driver::Checked,
    pub program: StepProgram,
    pub kernel: JitKernel,
    /// Parse → JIT wall time.
    pub compile_time: Duration,
}

fn compile(path: &Path, method: Method) -> Result<Compiled, (Sources, Failure)> {
    let started = Instant::now();
    let mut sources = Sources::new();
    let file = match sources.load(path) {
        Ok(file) => file,
        Err(driver::DriverError::Io { path, source }) => {
            let d = Diagnostic::error(format!("cannot read `{}`: {source}", path.display()));
            return Err((sources, Failure::user(d)));
        }
        Err(driver::DriverError::Diagnostics(d)) => {
            return Err((
                sources,
                Failure {
                    exit: Exit::UserError,
                    diagnostics: d.0,
                },
            ))
        }
    };
    let (checked, program) = match driver::compile(&sources, file, method) {
        Ok(ok) => ok,
        Err(diagnostics) => {
            let exit = if diagnostics
                .iter()
                .any(|d| d.severity == galvani_diag::Severity::Bug)
            {
                Exit::Internal
            } else {
                Exit::UserError
            };
            return Err((
                sources,
                Failure {
                    exit,
                    diagnostics: diagnostics.0,
                },
            ));
        }
    };
    let kernel = match JitKernel::compile(&program) {
        Ok(kernel) => kernel,
        Err(err) => {
            return Err((
                sources,
                Failure::internal(format!("code generation failed: {err}")),
            ))
        }
    };
    Ok(Compiled {
        sources,
        checked,
        program,
        kernel,
        compile_time: started.elapsed(),
    })
}

fn parse_method(text: &str) -> Result<Method, Failure> {
    Method::from_name(text).ok_or_else(|| {
        Failure::user(
            Diagnostic::error(format!("unknown method `{text}`"))
                .with_hint("methods: euler, rk4, expeuler, expeuler2 (the default)"),
        )
    })
}

/// Splits `NAME=VALUE`.
fn split_assignment<'a>(option: &str, text: &'a str) -> Result<(&'a str, &'a str), Failure> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() && !value.trim().is_empty() => {
            Ok((name.trim(), value.trim()))
        }
        _ => Err(Failure::user(
            Diagnostic::error(format!("invalid {option} `{text}`: expected NAME=VALUE"))
                .with_hint(format!("for example: {option} I_e=10uA/cm^2")),
        )),
    }
}

/// "unknown param `g_na`" with a did-you-mean among the model's names of that kind.
fn unknown(kind: &str, name: &str, candidates: &[&str]) -> Failure {
    let mut d = Diagnostic::error(format!("the model has no {kind} `{name}`"));
    let lower = name.to_ascii_lowercase();
    let close = candidates
        .iter()
        .find(|c| c.to_ascii_lowercase() == lower)
        .or_else(|| candidates.iter().find(|c| strsim_close(c, name)));
    d = match close {
        Some(c) => d.with_hint(format!("did you mean `{c}`?")),
        None if candidates.is_empty() => d.with_note(format!("the model has no {kind}s")),
        None => d.with_note(format!("its {kind}s are: {}", candidates.join(", "))),
    };
    Failure::user(d)
}

/// Edit distance ≤ 2 (or a third of the length): good enough for option names.
fn strsim_close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            row[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(row[j] + 1);
        }
        prev = row;
    }
    prev[b.len()] <= 2.max(a.len() / 3)
}

/// What a bare number means for a declared variable: its declared unit.
fn expect_declared(what: String, unit: &galvani_ir::DisplayUnit, dimensionless: bool) -> Expect {
    Expect {
        what,
        dim: unit.dim,
        bare_scale: unit.scale,
        bare_unit: unit.text.clone(),
        dimensionless_model: dimensionless,
    }
}

/// The grid and the population-independent parts of a run.
struct Grid {
    t_end: f64,
    dt: f64,
    method: Method,
}

fn parse_grid(sim: &SimOptions, dimensionless: bool) -> Result<Grid, Failure> {
    let t_end = values::parse_quantity(&sim.t)
        .and_then(|q| Expect::time("the simulated time --t", dimensionless).resolve(q))
        .map_err(|e| value_error("--t", e))?;
    let dt = values::parse_quantity(&sim.dt)
        .and_then(|q| Expect::time("the time step --dt", dimensionless).resolve(q))
        .map_err(|e| value_error("--dt", e))?;
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(Failure::user(Diagnostic::error(format!(
            "invalid --dt: the time step must be positive, got {}",
            sim.dt
        ))));
    }
    if !(t_end >= 0.0 && t_end.is_finite()) {
        return Err(Failure::user(Diagnostic::error(format!(
            "invalid --t: the simulated time must be ≥ 0, got {}",
            sim.t
        ))));
    }
    if t_end / dt > 1e12 {
        return Err(Failure::user(
            Diagnostic::error(format!(
                "--t {} with --dt {} is more than 10^12 steps",
                sim.t, sim.dt
            ))
            .with_hint("use a larger --dt or a shorter --t"),
        ));
    }
    Ok(Grid {
        t_end,
        dt,
        method: parse_method(&sim.method)?,
    })
}

/// Param values for every neuron, in internal units, with `--set` overrides; derived
/// params recomputed from the overridden ones (as the kernel does).
fn param_table(model: &Model, overrides: &[(usize, Vec<f64>)], n: usize) -> Vec<Vec<f64>> {
    // One row serves every neuron unless some override differs between neurons.
    let uniform = overrides
        .iter()
        .all(|(_, v)| v.windows(2).all(|w| w[0] == w[1]));
    let rows = if uniform { 1 } else { n };
    let mut table = vec![vec![0.0; model.params.len()]; rows];
    for (neuron, row) in table.iter_mut().enumerate() {
        for (p, param) in model.params.iter().enumerate() {
            row[p] = match overrides.iter().find(|(i, _)| *i == p) {
                Some((_, values)) => values[neuron.min(values.len() - 1)],
                None => galvani_ir::eval::eval(
                    model,
                    param.value,
                    &galvani_ir::eval::Values {
                        params: row,
                        inputs: &[],
                        states: &[],
                        intermediates: &[],
                        t: 0.0,
                    },
                ),
            };
        }
    }
    table
}

/// Builds the run configuration from the options (everything but the protocols).
fn build_config(
    model: &Model,
    program: &StepProgram,
    grid: &Grid,
    sim: &SimOptions,
    n: usize,
) -> Result<RunConfig, Failure> {
    let dimensionless = model.dimensionless;
    let mut config = RunConfig::new(grid.t_end, grid.dt, n);
    config.seed = sim.seed;
    let param_names: Vec<&str> = model.params.iter().map(|p| p.name.as_str()).collect();
    let state_names: Vec<&str> = model.states.iter().map(|s| s.name.as_str()).collect();

    let mut overrides: Vec<(usize, Vec<f64>)> = Vec::new();
    for text in &sim.set {
        let (name, value) = split_assignment("--set", text)?;
        let Some(p) = model.find_param(name) else {
            return Err(unknown("param", name, &param_names));
        };
        let param = &model.params[p.index()];
        let expect = expect_declared(format!("`{name}`"), &param.unit, dimensionless);
        let spec = values::parse_value_spec(value).map_err(|e| value_error("--set", e))?;
        let values =
            values::resolve_values(&spec, &expect, n).map_err(|e| value_error("--set", e))?;
        let slot = layout_index(&program.layout.params, name)?;
        overrides.retain(|(i, _)| *i != p.index());
        overrides.push((p.index(), values.clone()));
        config.params.push((slot, per_neuron(values)));
    }

    let mut rest_requested = false;
    for text in &sim.init {
        if text.trim() == "rest" {
            rest_requested = true;
            continue;
        }
        let (name, value) = split_assignment("--init", text)?;
        let Some(s) = model.find_state(name) else {
            return Err(unknown("state", name, &state_names));
        };
        let state = &model.states[s.index()];
        let expect = expect_declared(format!("`{name}`"), &state.unit, dimensionless);
        let spec = values::parse_value_spec(value).map_err(|e| value_error("--init", e))?;
        let values =
            values::resolve_values(&spec, &expect, n).map_err(|e| value_error("--init", e))?;
        let slot = layout_index(&program.layout.states, name)?;
        config.inits.push((slot, per_neuron(values)));
    }
    if rest_requested {
        let table = param_table(model, &overrides, n);
        let mut per_state: Vec<Vec<f64>> =
            vec![Vec::with_capacity(table.len()); model.states.len()];
        for params in &table {
            let inputs = model.input_defaults(params);
            let start = model.initial_state(params, &inputs);
            let y = rest::rest_state(model, params, &inputs, &start).map_err(|e| {
                Failure::user(
                    Diagnostic::error(format!("--init rest: {e}"))
                        .with_hint("give initial values with --init NAME=VALUE instead"),
                )
            })?;
            for (s, v) in y.into_iter().enumerate() {
                per_state[s].push(v);
            }
        }
        for (s, values) in per_state.into_iter().enumerate() {
            let slot = layout_index(&program.layout.states, &model.states[s].name)?;
            // Explicit --init NAME=VALUE wins over rest for that state.
            if config.inits.iter().any(|(i, _)| *i == slot) {
                continue;
            }
            let values = if values.len() == 1 {
                Values::Uniform(values[0])
            } else {
                Values::PerNeuron(values)
            };
            config.inits.push((slot, values));
        }
    }
    Ok(config)
}

fn per_neuron(values: Vec<f64>) -> Values {
    if values.windows(2).all(|w| w[0] == w[1]) && !values.is_empty() {
        Values::Uniform(values[0])
    } else {
        Values::PerNeuron(values)
    }
}

fn layout_index(slots: &[galvani_ir::step::Slot], name: &str) -> Result<usize, Failure> {
    slots.iter().position(|s| s.name == name).ok_or_else(|| {
        Failure::internal(format!(
            "`{name}` is missing from the step program's layout"
        ))
    })
}

/// The input amplitude context of input `name`.
fn input_context(model: &Model, name: &str, n: usize) -> Result<(usize, InputContext), Failure> {
    let input_names: Vec<&str> = model.inputs.iter().map(|i| i.name.as_str()).collect();
    let Some(i) = model.find_input(name) else {
        return Err(unknown("input", name, &input_names));
    };
    let input = &model.inputs[i.index()];
    Ok((
        i.index(),
        InputContext {
            amplitude: expect_declared(format!("`{name}`"), &input.unit, model.dimensionless),
            dimensionless_model: model.dimensionless,
            n,
        },
    ))
}

/// Reports a run error; `NonFinite` points at the equation of the variable.
pub(crate) fn run_failure(model: &Model, error: RunError) -> Failure {
    match error {
        RunError::NonFinite {
            variable,
            neuron,
            t,
        } => {
            let mut d = Diagnostic::error(format!(
                "the simulation failed: `{variable}` of neuron {neuron} became NaN or infinite at t = {t} ms"
            ));
            if let Some(s) = model.find_state(&variable) {
                d = d.with_primary(
                    model.states[s.index()].ode_span,
                    "this equation produced it",
                );
            } else if let Some(i) = model.find_intermediate(&variable) {
                d = d.with_primary(
                    model.intermediates[i.index()].span,
                    "this value became NaN or infinite",
                );
            }
            Failure {
                exit: Exit::SimulationFailed,
                diagnostics: vec![d.with_hint(
                    "try a smaller --dt, or --method expeuler, which stays stable for stiff equations",
                )],
            }
        }
        RunError::Config(e) => Failure::user(Diagnostic::error(format!("invalid run: {e}"))),
        RunError::Sink(e) => {
            Failure::user(Diagnostic::error(format!("writing results failed: {e}")))
        }
        RunError::Kernel(e) => Failure::internal(format!("the compiled kernel failed: {e}")),
    }
}

fn report_failure(sources: &Sources, failure: Failure) -> Exit {
    render::emit_stderr(sources, &failure.diagnostics);
    failure.exit
}

/// The provenance recorded in every sidecar.
fn provenance(
    path: &Path,
    model_bytes: &[u8],
    grid: &Grid,
    n: usize,
    sim: &SimOptions,
    inputs: &[String],
) -> serde_json::Value {
    serde_json::json!({
        "galvani": env!("CARGO_PKG_VERSION"),
        "model": path.display().to_string(),
        "model_sha256": output::sha256_hex(model_bytes),
        "method": grid.method.name(),
        "dt_ms": grid.dt,
        "t_ms": grid.t_end,
        "n": n,
        "seed": sim.seed,
        "inputs": inputs,
        "set": sim.set,
        "init": sim.init,
    })
}

/// A progress bar on stderr for runs longer than a second, when stderr is a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            bar: None,
            started: Instant::now(),
        }
    }

    fn update(&mut self, done: u64, total: u64) {
        if self.bar.is_none()
            && self.started.elapsed() > Duration::from_secs(1)
            && std::io::stderr().is_terminal()
        {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} steps, {eta} left")
            {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `galvani run`
pub fn cmd_run(args: &RunArgs, out: &mut dyn Write) -> Exit {
    compile_then(&args.file, &args.sim.method, |compiled| {
        run_compiled(args, compiled, out)
    })
}

/// Compiles `file` with the method named `method`, then runs `then` on it; every failure
/// is reported against the sources it concerns.
pub(crate) fn compile_then(
    file: &Path,
    method: &str,
    then: impl FnOnce(&Compiled) -> Result<Exit, Failure>,
) -> Exit {
    let method = match parse_method(method) {
        Ok(m) => m,
        Err(f) => return report_failure(&Sources::new(), f),
    };
    let compiled = match compile(file, method) {
        Ok(c) => c,
        Err((sources, failure)) => return report_failure(&sources, failure),
    };
    match then(&compiled) {
        Ok(exit) => exit,
        Err(failure) => report_failure(&compiled.sources, failure),
    }
}

fn run_compiled(args: &RunArgs, compiled: &Compiled, out: &mut dyn Write) -> Result<Exit, Failure> {
    let model = &compiled.checked.model;
    let program = &compiled.program;
    if args.n == 0 {
        return Err(Failure::user(Diagnostic::error(
            "invalid --n: the population needs at least one neuron",
        )));
    }
    if let Some(format) = &args.sim.summary {
        if format != "json" {
            return Err(Failure::user(
                Diagnostic::error(format!("invalid --summary `{format}`"))
                    .with_hint("the only summary format is `json`"),
            ));
        }
    }
    let grid = parse_grid(&args.sim, model.dimensionless)?;
    let mut config = build_config(model, program, &grid, &args.sim, args.n)?;
    for text in &args.input {
        let (name, protocol_text) = split_assignment("--input", text)?;
        let (_, ctx) = input_context(model, name, args.n)?;
        let protocol =
            values::parse_protocol(protocol_text, &ctx).map_err(|e| value_error("--input", e))?;
        let slot = layout_index(&program.layout.inputs, name)?;
        if config.inputs.iter().any(|(i, _)| *i == slot) {
            return Err(Failure::user(
                Diagnostic::error(format!("--input `{name}` is given more than once"))
                    .with_hint("combine protocols with `+`: step(…) + sine(…)"),
            ));
        }
        config.inputs.push((slot, protocol));
    }

    // What to record: named states and intermediates, or the first state.
    let names: Vec<String> = if args.record.is_empty() {
        model
            .states
            .first()
            .map(|s| vec![s.name.clone()])
            .unwrap_or_default()
    } else {
        args.record.iter().map(|s| s.trim().to_string()).collect()
    };
    for name in &names {
        if let Some(i) = program.layout.states.iter().position(|s| &s.name == name) {
            config.record.push(Recorded::State(i));
        } else if let Some(i) = program
            .layout
            .intermediates
            .iter()
            .position(|s| &s.name == name)
        {
            config.record.push(Recorded::Intermediate(i));
        } else {
            let candidates: Vec<&str> = program
                .layout
                .states
                .iter()
                .chain(&program.layout.intermediates)
                .map(|s| s.name.as_str())
                .collect();
            return Err(unknown("state or intermediate", name, &candidates));
        }
    }
    if let Some(every) = &args.every {
        let interval = values::parse_quantity(every)
            .and_then(|q| {
                Expect::time("the recording interval --every", model.dimensionless).resolve(q)
            })
            .map_err(|e| value_error("--every", e))?;
        if interval.is_nan() || interval <= 0.0 {
            return Err(Failure::user(Diagnostic::error(
                "invalid --every: the interval must be positive",
            )));
        }
        config.record_every = galvani_runtime::steps_of(interval, grid.dt).max(1);
    }

    let steps = config
        .steps()
        .map_err(|e| Failure::user(Diagnostic::error(format!("invalid run: {e}"))))?;
    let io_failure = |what: &Path, e: std::io::Error| {
        Failure::user(Diagnostic::error(format!(
            "cannot write `{}`: {e}",
            what.display()
        )))
    };
    let mut trace_file = match &args.out {
        Some(path) => Some(CsvTrace::create(path, args.n).map_err(|e| io_failure(path, e))?),
        None => None,
    };
    let mut spikes_file = match &args.spikes {
        Some(path) => Some(CsvSpikes::create(path).map_err(|e| io_failure(path, e))?),
        None => None,
    };
    let writes_files = args.out.is_some() || args.spikes.is_some() || args.plot.is_some();
    let wants_sketch =
        !writes_files && args.sim.summary.is_none() && std::io::stdout().is_terminal();
    let keep_in_memory = args.plot.is_some() || wants_sketch;
    let rows = steps / config.record_every + 1;
    let mut decimator =
        keep_in_memory.then(|| Decimator::new(config.record.len() * args.n, rows, 2000));
    let mut plot_spikes = keep_in_memory.then(|| PlotSpikes::new(PLOTTED_SPIKES));

    let mut progress = Progress::new();
    let mut progress_callback = |done: u64, total: u64| progress.update(done, total);
    let result = {
        let mut record_sinks: Vec<&mut dyn galvani_runtime::RecordSink> = Vec::new();
        if let Some(f) = trace_file.as_mut() {
            record_sinks.push(f);
        }
        if let Some(d) = decimator.as_mut() {
            record_sinks.push(d);
        }
        let mut spike_sinks: Vec<&mut dyn galvani_runtime::SpikeSink> = Vec::new();
        if let Some(p) = plot_spikes.as_mut() {
            spike_sinks.push(p);
        }
        if let Some(f) = spikes_file.as_mut() {
            spike_sinks.push(f);
        }
        let mut record = TeeRecord(record_sinks);
        let mut spikes = TeeSpikes(spike_sinks);
        if config.record.is_empty() {
            galvani_runtime::run(
                &compiled.kernel,
                &config,
                &mut Discard,
                &mut spikes,
                Some(&mut progress_callback),
            )
        } else {
            galvani_runtime::run(
                &compiled.kernel,
                &config,
                &mut record,
                &mut spikes,
                Some(&mut progress_callback),
            )
        }
    };
    progress.finish();
    let summary = result.map_err(|e| run_failure(model, e))?;

    // Files and their sidecars.
    let model_bytes = compiled
        .sources
        .text(compiled.checked.file)
        .as_bytes()
        .to_vec();
    let prov = provenance(
        &args.file,
        &model_bytes,
        &grid,
        args.n,
        &args.sim,
        &args.input,
    );
    if let (Some(file), Some(path)) = (trace_file, &args.out) {
        file.finish().map_err(|e| io_failure(path, e))?;
        output::write_sidecar(path, &format!("trace of {}", names.join(", ")), &prov)
            .map_err(|e| io_failure(path, e))?;
    }
    if let (Some(file), Some(path)) = (spikes_file, &args.spikes) {
        file.finish().map_err(|e| io_failure(path, e))?;
        output::write_sidecar(path, "spike times", &prov).map_err(|e| io_failure(path, e))?;
    }
    let series = decimator.map(|d| d.into_series(&series_labels(program, &config, args.n)));
    let plot_spikes = plot_spikes.unwrap_or_else(|| PlotSpikes::new(0));
    let spike_pairs = &plot_spikes.kept;
    if let (Some(path), Some(series)) = (&args.plot, &series) {
        // Overlaid traces stay readable for a few neurons; the raster shows them all.
        let series: Vec<Series> = series
            .iter()
            .enumerate()
            .filter(|(column, _)| column % args.n < PLOTTED_TRACES)
            .map(|(_, s)| s.clone())
            .collect();
        let series = &series;
        let mut title = format!(
            "{} — {}, dt = {} ms",
            model.name,
            grid.method.name(),
            grid.dt
        );
        if plot_spikes.dropped > 0 {
            title.push_str(&format!(" (first {PLOTTED_SPIKES} spikes shown)"));
        }
        plot::write_plot(
            path,
            &PlotInput {
                title: &title,
                series,
                spikes: spike_pairs,
                n_neurons: args.n,
                t_end: grid.t_end,
            },
        )
        .map_err(|e| {
            Failure::user(Diagnostic::error(format!(
                "cannot draw `{}`: {e}",
                path.display()
            )))
        })?;
        output::write_sidecar(path, &format!("plot of {}", names.join(", ")), &prov)
            .map_err(|e| io_failure(path, e))?;
    }

    // The summary.
    let text = summary_text(
        model,
        &grid,
        args.n,
        &summary,
        compiled.compile_time,
        args.sim.summary.is_some(),
    );
    let _ = out.write_all(text.as_bytes());
    if wants_sketch {
        if let Some(first) = series.as_ref().and_then(|s| s.first()) {
            let neuron0: Vec<f64> = spike_pairs
                .iter()
                .filter(|(n, _)| *n == 0)
                .map(|(_, t)| *t)
                .collect();
            let _ = out.write_all(sketch::sketch(first, &neuron0, 72, 12).as_bytes());
        }
    }
    Ok(Exit::Success)
}

/// Labels of the recorded columns as the runtime orders them (variable-major).
fn series_labels(program: &StepProgram, config: &RunConfig, n: usize) -> Vec<String> {
    let mut labels = Vec::new();
    for recorded in &config.record {
        let slot = match recorded {
            Recorded::State(i) => &program.layout.states[*i],
            Recorded::Intermediate(i) => &program.layout.intermediates[*i],
        };
        for neuron in 0..n {
            let name = if n > 1 {
                format!("{}[{neuron}]", slot.name)
            } else {
                slot.name.clone()
            };
            labels.push(if slot.unit.text.is_empty() {
                name
            } else {
                format!("{name} [{}]", slot.unit.text)
            });
        }
    }
    labels
}

fn summary_text(
    model: &Model,
    grid: &Grid,
    n: usize,
    summary: &RunSummary,
    compile: Duration,
    json: bool,
) -> String {
    let spikes: u64 = summary.spike_counts.iter().sum();
    let seconds = grid.t_end / 1000.0;
    let mean_rate = if seconds > 0.0 {
        spikes as f64 / n as f64 / seconds
    } else {
        0.0
    };
    let compile_ms = compile.as_secs_f64() * 1e3;
    let simulate_ms = summary.simulate_time.as_secs_f64() * 1e3;
    if json {
        let value = serde_json::json!({
            "model": model.name,
            "method": grid.method.name(),
            "dt_ms": grid.dt,
            "t_ms": grid.t_end,
            "n": n,
            "steps": summary.steps,
            "spikes": spikes,
            "spikes_per_neuron": summary.spike_counts,
            "mean_rate_hz": mean_rate,
            "compile_ms": compile_ms,
            "simulate_ms": simulate_ms,
        });
        format!("{value}\n")
    } else {
        format!(
            "model {} — {}, dt = {} ms, T = {} ms, N = {n}\n\
             spikes: {spikes} (mean rate {mean_rate:.2} Hz per neuron)\n\
             time: compile {compile_ms:.1} ms (parse → JIT), simulate {simulate_ms:.1} ms ({} steps)\n",
            model.name,
            grid.method.name(),
            grid.dt,
            grid.t_end,
            summary.steps,
        )
    }
}

/// Per neuron: its first and last spike time and its spike count — all `fi` needs, in
/// memory proportional to the population.
struct SteadyRates {
    first_last_count: Vec<(f64, f64, u64)>,
}

impl SteadyRates {
    fn new(n: usize) -> Self {
        SteadyRates {
            first_last_count: vec![(0.0, 0.0, 0); n],
        }
    }

    /// `(k − 1)/(t_k − t_1)` in Hz over k ≥ 2 spikes, 0 otherwise.
    fn rate_hz(&self, neuron: usize) -> f64 {
        match self.first_last_count[neuron] {
            (first, last, count) if count >= 2 && last > first => {
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

/// `galvani fi`: the firing rate of one neuron per constant input value, in one
/// population run. The rate is the steady firing rate `(k − 1)/(t_k − t_1)` from the
/// first to the last of `k ≥ 2` spikes (so an onset transient does not count as
/// firing), and 0 for a neuron that fires fewer than twice.
pub fn cmd_fi(args: &FiArgs, out: &mut dyn Write) -> Exit {
    compile_then(&args.file, &args.sim.method, |compiled| {
        fi_compiled(args, compiled, out)
    })
}

fn fi_compiled(args: &FiArgs, compiled: &Compiled, out: &mut dyn Write) -> Result<Exit, Failure> {
    let model = &compiled.checked.model;
    let program = &compiled.program;
    if args.points == 0 {
        return Err(Failure::user(Diagnostic::error(
            "invalid --points: at least one point is needed",
        )));
    }
    let grid = parse_grid(&args.sim, model.dimensionless)?;
    let mut config = build_config(model, program, &grid, &args.sim, args.points)?;
    let (input_index, ctx) = input_context(model, &args.input, args.points)?;
    let (a, b) = values::parse_range(&args.range).map_err(|e| value_error("--range", e))?;
    let a = ctx
        .amplitude
        .resolve(a)
        .map_err(|e| value_error("--range", e))?;
    let b = ctx
        .amplitude
        .resolve(b)
        .map_err(|e| value_error("--range", e))?;
    let currents = values::linspace(a, b, args.points);
    let slot = layout_index(&program.layout.inputs, &args.input)?;
    config
        .inputs
        .push((slot, Protocol::PerNeuron(currents.clone())));
    let mut spikes = SteadyRates::new(currents.len());
    galvani_runtime::run(&compiled.kernel, &config, &mut Discard, &mut spikes, None)
        .map_err(|e| run_failure(model, e))?;

    let input = &model.inputs[input_index];
    let unit = &input.unit;
    let header = if unit.text.is_empty() {
        format!("{},rate [Hz]", input.name)
    } else {
        format!("{} [{}],rate [Hz]", input.name, unit.text)
    };
    let mut points = Vec::with_capacity(currents.len());
    let mut csv = format!("{header}\n");
    for (neuron, current) in currents.iter().enumerate() {
        let rate = spikes.rate_hz(neuron);
        let shown = current / unit.scale;
        points.push((shown, rate));
        csv.push_str(&format!("{},{}\n", output::format_value(shown, 1.0), rate));
    }
    let prov = provenance(
        &args.file,
        compiled.sources.text(compiled.checked.file).as_bytes(),
        &grid,
        args.points,
        &args.sim,
        &[format!("{}=linspace({})", args.input, args.range)],
    );
    let io_failure = |what: &Path, e: std::io::Error| {
        Failure::user(Diagnostic::error(format!(
            "cannot write `{}`: {e}",
            what.display()
        )))
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &csv).map_err(|e| io_failure(path, e))?;
            output::write_sidecar(path, "firing rate against input", &prov)
                .map_err(|e| io_failure(path, e))?;
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
    if let Some(path) = &args.plot {
        let x_label = header.split(',').next().unwrap_or("input").to_string();
        plot::write_xy_plot(
            path,
            &format!("{} — f-I curve", model.name),
            &x_label,
            "rate [Hz]",
            &points,
        )
        .map_err(|e| {
            Failure::user(Diagnostic::error(format!(
                "cannot draw `{}`: {e}",
                path.display()
            )))
        })?;
        output::write_sidecar(path, "plot of firing rate against input", &prov)
            .map_err(|e| io_failure(path, e))?;
    }
    Ok(Exit::Success)
}
