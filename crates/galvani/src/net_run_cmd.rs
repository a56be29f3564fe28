//! `galvani run NETWORK.gal`: checks the network file and its model files, compiles each
//! model once, turns the population-prefixed options (`--set E.tau_m=…`, `--record
//! E.V[0:10]`, …) into a `galvani_netrun::NetworkConfig`, runs it with the CSV writers as
//! sinks, and reports per population: neurons, spikes, mean rate, CV of ISI, synapses and
//! their memory, with the build and simulate times (`docs/cli.md`, "Networks").

use crate::cli::Exit;
use crate::command::{self, Failure, SimOptions};
use crate::run_cmd::{io_failure, RunArgs};
use galvani_diag::Diagnostic;
use galvani_diag::FileId;
use galvani_driver::{self as driver, CompiledModel, Sources};
use galvani_ir::text::format_for_people;
use galvani_kernel::Kernel;
use galvani_netrun::{
    NetworkConfig, NetworkRunError, NetworkSpikeSink, NetworkSummary, PopulationOptions,
    RecordRequest,
};
use galvani_network::{CheckedNetwork, Source};
use galvani_runtime::{RecordSink, SinkError};
use galvani_sim::files::StagedFile;
use galvani_sim::output::{self, CsvNetworkSpikes, CsvTrace};
use galvani_sim::spike_stats::{self, PopulationStats, StatsWindow};
use galvani_sim::values::{self, InputContext};
use galvani_sim::Simulator;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Spikes kept in memory for the summary's statistics (16 bytes each: 320 MB); a run
/// with more reports rates from its counts and no CV.
const KEPT_SPIKES: usize = 20_000_000;

/// `galvani run NETWORK.gal`
pub(crate) fn run_network(
    args: &RunArgs,
    mut sources: Sources,
    file: FileId,
    out: &mut dyn Write,
) -> Exit {
    match run(args, &mut sources, file, out) {
        Ok(exit) => exit,
        Err(failure) => command::report_failure(&sources, failure),
    }
}

/// A compiled model file of a network.
pub(crate) struct ModelUse {
    pub(crate) path: String,
    pub(crate) compiled: CompiledModel,
}

/// Compiles each model file of `network` once, whatever the number of populations using
/// it: the compiled models, and for each population the index of its model (`None` for
/// a source population).
pub(crate) fn compile_models(
    network: &CheckedNetwork,
    method: Option<galvani_ir::step::Method>,
    options: galvani_codegen::JitOptions,
) -> Result<(Vec<ModelUse>, Vec<Option<usize>>), Failure> {
    let mut models: Vec<ModelUse> = Vec::new();
    let mut model_of = Vec::new();
    for population in &network.populations {
        let Source::Model { path, model } = &population.source else {
            model_of.push(None);
            continue;
        };
        let index = match models.iter().position(|m| &m.path == path) {
            Some(i) => i,
            None => {
                let compiled = driver::compile_model(model, method, options)
                    .map_err(command::compile_failure)?;
                models.push(ModelUse {
                    path: path.clone(),
                    compiled,
                });
                models.len() - 1
            }
        };
        model_of.push(Some(index));
    }
    Ok((models, model_of))
}

fn run(
    args: &RunArgs,
    sources: &mut Sources,
    file: FileId,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    if args.n.is_some() {
        return Err(Failure::user(
            Diagnostic::error("--n does not apply to a network file")
                .with_hint("population sizes are the `size = N` lines of the network file"),
        ));
    }
    let started = Instant::now();
    let checked = driver::check_network(sources, file).map_err(|d| Failure::diagnosed(d.0))?;
    crate::render::emit_stderr(sources, &checked.warnings);
    let network = &checked.network;

    let (models, model_of) = compile_models(
        network,
        args.sim.method.map(Into::into),
        args.sim.kernel.options(),
    )?;
    let compile_time = started.elapsed();

    let t_end = command::parse_time("--t", "the simulated time --t", &args.sim.t, false)?;
    let dt = command::parse_time("--dt", "the time step --dt", &args.sim.dt, false)?;
    if !(dt > 0.0 && dt.is_finite() && t_end >= 0.0 && t_end.is_finite()) || t_end / dt > 1e12 {
        return Err(Failure::user(
            Diagnostic::error(format!(
                "invalid grid: --t {} with --dt {}",
                args.sim.t, args.sim.dt
            ))
            .with_hint("--dt must be positive, --t ≥ 0, and at most 10^12 steps"),
        ));
    }
    let mut config = NetworkConfig::new(t_end, dt, network.populations.len());
    config.seed = args.sim.seed;
    config.threads = command::threads(&args.sim)?;
    config.memory_limit = galvani_sim::experiment::available_memory();
    if let Some(every) = &args.every {
        let interval =
            command::parse_time("--every", "the recording interval --every", every, false)?;
        config.record_every = record_every(interval, dt, every)?;
    }

    let populations = PopulationIndex { network };
    for (p, population) in network.populations.iter().enumerate() {
        let Some(m) = model_of[p] else { continue };
        let compiled = &models[m].compiled;
        let n = population.size.unwrap_or(0);
        config.populations[p] = population_options(args, &populations, p, n, compiled)?;
    }
    config.record = record_requests(args, &populations, &models, &model_of)?;
    if args.out.is_some() && config.record.is_empty() {
        return Err(Failure::user(
            Diagnostic::error("--out needs --record in a network run")
                .with_hint("name what to record with its population, e.g. --record E.V[0:10]"),
        ));
    }
    for option in [&args.sim.set, &args.sim.init, &args.input] {
        for text in option {
            populations.prefixed(text)?;
        }
    }
    config.spike_files = spike_files(network, sources.path(file))?;
    config.edge_files = edge_files(network, sources.path(file))?;

    // Everything is validated before anything is written.
    let rate_bin = match (&args.rate, &args.plot) {
        (None, None) => None,
        _ => Some(command::parse_time(
            "--bin",
            "the bin width --bin",
            &args.bin,
            false,
        )?),
    };
    if let Some(bin) = rate_bin {
        if !(bin > 0.0 && bin.is_finite()) {
            return Err(Failure::user(Diagnostic::error(
                "invalid --bin: the bin width must be positive",
            )));
        }
    }
    if let Some(path) = &args.plot {
        galvani_plot::check_format(path).map_err(|e| crate::run_cmd::draw_failure(path, e))?;
    }
    let outputs: Vec<&Path> = [&args.out, &args.spikes, &args.rate, &args.plot]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    let texts = args.input.iter().chain(&args.sim.set).chain(&args.sim.init);
    command::check_outputs(&args.file, texts, &outputs)?;

    let names: Vec<String> = network.populations.iter().map(|p| p.name.clone()).collect();
    let mut staged: Vec<(StagedFile, String)> = Vec::new();
    let mut trace = match &args.out {
        Some(path) => {
            let staged_file = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
            // Always `E.V[3]`: a population's columns name their neuron.
            let writer = CsvTrace::new(staged_file.file().map_err(|e| io_failure(path, e))?, 2);
            staged.push((staged_file, "recorded trace".to_string()));
            Some(writer)
        }
        None => None,
    };
    let mut spikes_csv = match &args.spikes {
        Some(path) => {
            let staged_file = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
            let writer = staged_file
                .file()
                .and_then(|f| CsvNetworkSpikes::new(f, names.clone()))
                .map_err(|e| io_failure(path, e))?;
            staged.push((staged_file, "spike times".to_string()));
            Some(writer)
        }
        None => None,
    };
    let kernels: Vec<Option<&dyn Kernel>> = model_of
        .iter()
        .map(|m| m.map(|m| &models[m].compiled.kernel as &dyn Kernel))
        .collect();
    let mut kept = KeptNetworkSpikes {
        spikes: vec![Vec::new(); names.len()],
        kept: 0,
        csv: spikes_csv.as_mut(),
    };
    let mut progress = crate::progress::RunProgress::new();
    let mut report_progress = |done: u64, total: u64| progress.update(done, total);
    let mut no_record = galvani_runtime::Discard;
    let record: &mut dyn RecordSink = match trace.as_mut() {
        Some(t) => t,
        None => &mut no_record,
    };
    let result = galvani_netrun::simulate(
        network,
        &kernels,
        &config,
        record,
        &mut kept,
        Some(&mut report_progress),
    );
    progress.finish();
    let summary = result.map_err(|e| run_failure(network, e))?;
    let complete = kept.kept < KEPT_SPIKES;
    let spikes = kept.spikes;
    if let (Some(writer), Some(path)) = (trace, &args.out) {
        writer.finish().map_err(|e| io_failure(path, e))?;
    }
    if let (Some(writer), Some(path)) = (spikes_csv, &args.spikes) {
        writer.finish().map_err(|e| io_failure(path, e))?;
    }

    let window_end = summary.steps as f64 * dt;
    let stats: Vec<Option<PopulationStats>> = summary
        .populations
        .iter()
        .enumerate()
        .map(|(p, population)| {
            (complete && window_end > 0.0).then(|| {
                spike_stats::population_stats(
                    &spikes[p],
                    &StatsWindow {
                        neurons: population.spike_counts.len(),
                        from: 0.0,
                        // The last grid point's spikes count.
                        to: window_end + 0.5 * dt,
                        bin: rate_bin.unwrap_or(5.0),
                    },
                )
            })
        })
        .collect();
    if let (Some(path), Some(bin)) = (&args.rate, rate_bin) {
        let staged_file = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
        write_rates(&staged_file, &names, &spikes, &summary, window_end, bin)
            .map_err(|e| io_failure(path, e))?;
        staged.push((staged_file, "population activity".to_string()));
    }
    if let Some(path) = &args.plot {
        let staged_file = StagedFile::create(path).map_err(|e| io_failure(path, e))?;
        draw(
            &staged_file,
            network,
            &spikes,
            &summary,
            window_end,
            rate_bin.unwrap_or(5.0),
            complete,
        )
        .map_err(|e| crate::run_cmd::draw_failure(path, e))?;
        staged.push((staged_file, "raster and population activity".to_string()));
    }
    let provenance = provenance(args, sources, file, network, &models, t_end, dt);
    command::commit_with_sidecars(staged, &provenance)?;
    let text = if args.sim.summary.is_some() {
        summary_json(network, &summary, &stats, compile_time, args.per_neuron)
    } else {
        summary_text(network, &summary, &stats, compile_time, window_end)
    };
    let _ = out.write_all(text.as_bytes());
    Ok(Exit::Success)
}

/// `--every` as a whole number of steps.
fn record_every(interval: f64, dt: f64, text: &str) -> Result<u64, Failure> {
    let steps = interval / dt;
    let whole = steps.round();
    if whole.is_nan() || whole < 1.0 || (steps - whole).abs() > 1e-9 * whole.max(1.0) {
        return Err(Failure::user(
            Diagnostic::error(format!(
                "invalid --every {text}: not a whole number of steps of --dt"
            ))
            .with_hint(format!(
                "use a multiple of --dt, e.g. --every {}ms",
                format_for_people(whole.max(1.0) * dt)
            )),
        ));
    }
    Ok(whole as u64)
}

/// Finds populations by the prefix of an option's name.
struct PopulationIndex<'n> {
    network: &'n CheckedNetwork,
}

impl PopulationIndex<'_> {
    /// `E.tau_m=…` → (index of E, `tau_m=…`); an unprefixed or unknown name is refused.
    fn prefixed<'t>(&self, text: &'t str) -> Result<(usize, &'t str), Failure> {
        let names: Vec<&str> = self
            .network
            .populations
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let Some((population, rest)) = text.split_once('.') else {
            return Err(Failure::user(
                Diagnostic::error(format!(
                    "`{text}`: a network run names the population first"
                ))
                .with_hint(format!(
                    "write POPULATION.{text}; the populations are: {}",
                    names.join(", ")
                )),
            ));
        };
        let population = population.trim();
        match names.iter().position(|n| *n == population) {
            Some(p) => Ok((p, rest)),
            None => {
                let d = Diagnostic::error(format!("no population `{population}` in the network"));
                Err(Failure::user(
                    match galvani_diag::suggest::suggest(population, names.iter().copied()) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_note(format!("the populations are: {}", names.join(", "))),
                    },
                ))
            }
        }
    }
}

/// `--set`, `--init` and `--input` of population `p`, parsed against its model.
fn population_options(
    args: &RunArgs,
    populations: &PopulationIndex,
    p: usize,
    n: usize,
    compiled: &CompiledModel,
) -> Result<PopulationOptions, Failure> {
    let mine = |texts: &[String]| -> Result<Vec<String>, Failure> {
        let mut own = Vec::new();
        for text in texts {
            let (q, rest) = populations.prefixed(text)?;
            if q == p {
                own.push(rest.to_string());
            }
        }
        Ok(own)
    };
    let options = SimOptions {
        set: mine(&args.sim.set)?,
        init: mine(&args.sim.init)?,
        ..args.sim.clone()
    };
    let inputs = mine(&args.input)?;
    if options.set.is_empty() && options.init.is_empty() && inputs.is_empty() {
        return Ok(PopulationOptions::default());
    }
    let sim = Simulator::new(&compiled.linearized, &compiled.program, &compiled.kernel);
    let model = sim.model;
    let mut request = command::parse_request(&sim, &options, n)?;
    for text in &inputs {
        let (name, protocol_text) = command::split_assignment("--input", text)?;
        let input = sim.input(name).map_err(|e| Failure::sim(model, e))?;
        let context = InputContext {
            amplitude: values::Expect::declared(
                format!("`{name}`"),
                &model.inputs[input.index()].unit,
                model.dimensionless,
            ),
            dimensionless_model: model.dimensionless,
            n,
        };
        let protocol = values::parse_protocol(protocol_text, &context)
            .map_err(|e| Failure::value("--input", e))?;
        request.inputs.push((input, protocol));
    }
    let prepared = sim.prepare(&request).map_err(|e| Failure::sim(model, e))?;
    Ok(PopulationOptions {
        params: prepared.config.params,
        inits: prepared.config.inits,
        inputs: prepared.config.inputs,
    })
}

/// `--record E.V[3],E.V[0:10],I.V`: what to record of which neurons.
fn record_requests(
    args: &RunArgs,
    populations: &PopulationIndex,
    models: &[ModelUse],
    model_of: &[Option<usize>],
) -> Result<Vec<RecordRequest>, Failure> {
    let mut requests = Vec::new();
    for text in &args.record {
        let (p, rest) = populations.prefixed(text.trim())?;
        let population = &populations.network.populations[p];
        let Some(m) = model_of[p] else {
            return Err(Failure::user(Diagnostic::error(format!(
                "`{}` is a spike source; it has nothing to record",
                population.name
            ))));
        };
        let n = population.size.unwrap_or(0);
        let (name, neurons) = match rest.split_once('[') {
            None => (rest, (0..n).collect::<Vec<usize>>()),
            Some((name, range)) => (name, neuron_range(text, range, n)?),
        };
        let compiled = &models[m].compiled;
        let sim = Simulator::new(&compiled.linearized, &compiled.program, &compiled.kernel);
        let variable = sim
            .recordable(name.trim())
            .map_err(|e| Failure::sim(sim.model, e))?;
        requests.push(RecordRequest {
            population: p,
            variable,
            neurons,
        });
    }
    Ok(requests)
}

/// `3]` or `0:10]` (half-open) of a population of `n`.
fn neuron_range(text: &str, range: &str, n: usize) -> Result<Vec<usize>, Failure> {
    let bad = |why: &str| {
        Failure::user(
            Diagnostic::error(format!("invalid --record `{text}`: {why}")).with_hint(format!(
                "write POP.NAME[i] or POP.NAME[a:b] with 0 ≤ i < {n}, a < b ≤ {n}"
            )),
        )
    };
    let inner = range.strip_suffix(']').ok_or_else(|| bad("missing `]`"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<usize>()
            .map_err(|_| bad("not a whole number"))
    };
    match inner.split_once(':') {
        None => {
            let i = number(inner)?;
            if i >= n {
                return Err(bad("no such neuron"));
            }
            Ok(vec![i])
        }
        Some((a, b)) => {
            let (a, b) = (number(a)?, number(b)?);
            if a >= b || b > n {
                return Err(bad("not a range of the population's neurons"));
            }
            Ok((a..b).collect())
        }
    }
}

/// A spike-file population's index and its spikes `(neuron, t in ms)`.
type SpikeFile = (usize, Vec<(u32, f64)>);

/// The spikes of each `spikes = file(…)` population, read relative to the network file.
fn spike_files(network: &CheckedNetwork, network_path: &Path) -> Result<Vec<SpikeFile>, Failure> {
    let directory = network_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut files = Vec::new();
    for (p, population) in network.populations.iter().enumerate() {
        let Source::Spikes { path } = &population.source else {
            continue;
        };
        let full = directory.join(path);
        let failed = |why: String| {
            Failure::user(
                Diagnostic::error(format!(
                    "population `{}`: cannot read the spikes of `{}`: {why}",
                    population.name,
                    full.display()
                ))
                .with_hint("a spikes file is a CSV with the header `neuron,t [ms]`"),
            )
        };
        let reader = std::fs::File::open(&full).map_err(|e| failed(e.to_string()))?;
        let read = spike_stats::read_spikes(std::io::BufReader::new(reader))
            .map_err(|e| failed(e.to_string()))?;
        let spikes = match read.as_slice() {
            [] => Vec::new(),
            [only] if only.name.is_none() => only.spikes.clone(),
            _ => return Err(failed("it has a population column".to_string())),
        };
        files.push((p, spikes));
    }
    Ok(files)
}

/// The edges of every `rule = file(…)` connection, read relative to the network file: a
/// CSV with the header `pre,post`, then optionally columns named after the block's params
/// (each in the unit the block writes that param in) and `delay` (ms).
pub(crate) fn edge_files(
    network: &CheckedNetwork,
    network_path: &Path,
) -> Result<Vec<galvani_netrun::EdgeFile>, Failure> {
    use std::io::BufRead;
    let directory = network_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut files = Vec::new();
    for (c, connection) in network.connections.iter().enumerate() {
        let galvani_network::Rule::File(path) = &connection.rule else {
            continue;
        };
        let full = directory.join(path);
        let failed = |line: usize, why: String| {
            let place = if line > 0 {
                format!("{}:{line}", full.display())
            } else {
                full.display().to_string()
            };
            Failure::user(
                Diagnostic::error(format!("cannot read the edges of `{place}`: {why}"))
                    .with_primary(connection.span, "this connection reads it")
                    .with_hint(
                        "an edges file is a CSV with the header `pre,post`, then optional columns named after the block's params and `delay` (ms)",
                    ),
            )
        };
        let reader = std::fs::File::open(&full).map_err(|e| failed(0, e.to_string()))?;
        let mut lines = std::io::BufReader::new(reader).lines();
        let header = match lines.next() {
            Some(line) => line.map_err(|e| failed(1, e.to_string()))?,
            None => return Err(failed(0, "the file is empty".to_string())),
        };
        let columns: Vec<&str> = header
            .trim_end_matches('\r')
            .split(',')
            .map(str::trim)
            .collect();
        if columns.len() < 2 || columns[0] != "pre" || columns[1] != "post" {
            return Err(failed(
                1,
                format!("the header is `{header}`, not `pre,post,…`"),
            ));
        }
        // What each further column sets: a param (its index and unit) or the delay.
        let mut kinds: Vec<Option<usize>> = Vec::new();
        for name in &columns[2..] {
            if *name == "delay" {
                kinds.push(None);
                continue;
            }
            match connection
                .synapse_params
                .iter()
                .position(|p| p.name == *name)
            {
                Some(i) => kinds.push(Some(i)),
                None => {
                    let known: Vec<&str> = connection
                        .synapse_params
                        .iter()
                        .map(|p| p.name.as_str())
                        .chain(["delay"])
                        .collect();
                    return Err(failed(
                        1,
                        format!("the column `{name}` is neither a param of the block nor `delay` (it has: {})", known.join(", ")),
                    ));
                }
            }
        }
        let mut edges = Vec::new();
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
        for (index, line) in lines.enumerate() {
            let number = index + 2;
            let line = line.map_err(|e| failed(number, e.to_string()))?;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != columns.len() {
                return Err(failed(
                    number,
                    format!("{} fields, the header has {}", fields.len(), columns.len()),
                ));
            }
            let neuron = |text: &str| {
                text.parse::<u32>()
                    .map_err(|_| failed(number, format!("`{text}` is not a neuron index")))
            };
            edges.push((neuron(fields[0])?, neuron(fields[1])?));
            for (k, kind) in kinds.iter().enumerate() {
                let text = fields[2 + k];
                let value: f64 = text
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| failed(number, format!("`{text}` is not a finite number")))?;
                values[k].push(match kind {
                    Some(i) => match &connection.synapse_params[*i].unit {
                        Some(written) => written.unit.to_internal(value),
                        None => value,
                    },
                    None => value,
                });
            }
        }
        let mut file = galvani_netrun::EdgeFile {
            connection: c,
            edges,
            params: Vec::new(),
            delays: None,
        };
        for (kind, column) in kinds.into_iter().zip(values) {
            match kind {
                Some(i) => file.params.push((i, column)),
                None => file.delays = Some(column),
            }
        }
        files.push(file);
    }
    Ok(files)
}

/// Keeps the spikes for the summary while passing them to the CSV writer.
struct KeptNetworkSpikes<'a> {
    spikes: Vec<Vec<(u32, f64)>>,
    kept: usize,
    csv: Option<&'a mut CsvNetworkSpikes>,
}

impl NetworkSpikeSink for KeptNetworkSpikes<'_> {
    fn spike(
        &mut self,
        population: usize,
        neuron: u32,
        t: f64,
        event: usize,
    ) -> Result<(), SinkError> {
        if self.kept < KEPT_SPIKES {
            self.spikes[population].push((neuron, t));
            self.kept += 1;
        }
        if let Some(csv) = self.csv.as_mut() {
            csv.spike(population, neuron, t, event)?;
        }
        Ok(())
    }
}

/// Each population's activity in Hz, in bins `[k·bin, (k+1)·bin)` from 0 to `t_end`.
fn activity(
    spikes: &[Vec<(u32, f64)>],
    summary: &NetworkSummary,
    t_end: f64,
    bin: f64,
) -> Vec<Vec<f64>> {
    summary
        .populations
        .iter()
        .enumerate()
        .map(|(p, population)| {
            spike_stats::population_stats(
                &spikes[p],
                &StatsWindow {
                    neurons: population.spike_counts.len(),
                    from: 0.0,
                    to: t_end,
                    bin,
                },
            )
            .activity_hz
        })
        .collect()
}

/// `t [ms],E [Hz],I [Hz]`: each population's activity, spikes per neuron per second in
/// bins of `bin` from 0 (the last bin may be partial: its rate is over its part).
fn write_rates(
    file: &StagedFile,
    names: &[String],
    spikes: &[Vec<(u32, f64)>],
    summary: &NetworkSummary,
    t_end: f64,
    bin: f64,
) -> std::io::Result<()> {
    let columns = activity(spikes, summary, t_end, bin);
    let mut writer = std::io::BufWriter::new(file.file()?);
    let header: Vec<String> = names.iter().map(|n| format!("{n} [Hz]")).collect();
    writeln!(writer, "t [ms],{}", header.join(","))?;
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..rows {
        let values: Vec<String> = columns
            .iter()
            .map(|c| c.get(row).map_or(String::new(), |v| v.to_string()))
            .collect();
        writeln!(
            writer,
            "{},{}",
            output::format_time(row as f64 * bin),
            values.join(",")
        )?;
    }
    writer.flush()
}

/// The rasters of every population above their activity.
fn draw(
    file: &StagedFile,
    network: &CheckedNetwork,
    spikes: &[Vec<(u32, f64)>],
    summary: &NetworkSummary,
    t_end: f64,
    bin: f64,
    complete: bool,
) -> Result<(), galvani_plot::PlotError> {
    let activity = activity(spikes, summary, t_end, bin);
    let rows: Vec<galvani_plot::NetworkRow> = summary
        .populations
        .iter()
        .enumerate()
        .map(|(p, population)| galvani_plot::NetworkRow {
            name: &population.name,
            neurons: population.spike_counts.len(),
            spikes: &spikes[p],
            activity_hz: &activity[p],
        })
        .collect();
    let mut title = format!(
        "{} — {}",
        network.name,
        network.description.as_deref().unwrap_or("")
    );
    if !complete {
        title.push_str(&format!(" (first {KEPT_SPIKES} spikes)"));
    }
    galvani_plot::write_network_plot(file.path(), &title, &rows, t_end, bin)
}

fn run_failure(network: &CheckedNetwork, error: NetworkRunError) -> Failure {
    let name = |p: usize| {
        network
            .populations
            .get(p)
            .map_or_else(|| format!("#{p}"), |x| x.name.clone())
    };
    match error {
        NetworkRunError::Population { population, error } => {
            let exit_blowup = matches!(error, galvani_runtime::RunError::NonFinite { .. });
            let d = Diagnostic::error(format!("population `{}`: {error}", name(population)));
            if exit_blowup {
                Failure {
                    exit: Exit::SimulationFailed,
                    diagnostics: vec![d.with_hint(
                        "try a smaller --dt, weaker synapses, or check the params of this population",
                    )],
                }
            } else {
                Failure::user(d)
            }
        }
        NetworkRunError::MissingKernel { .. } => Failure::internal(error.to_string()),
        NetworkRunError::TooLarge { .. } => Failure::user(
            Diagnostic::error(format!(
                "the network is too large for this machine: {error}"
            ))
            .with_hint("use fewer neurons or sparser connections"),
        ),
        NetworkRunError::Connect { connection, .. }
        | NetworkRunError::MissingEdges { connection }
        | NetworkRunError::DelayTooShort { connection, .. }
        | NetworkRunError::DelayTooLong { connection, .. } => {
            let delay_error = matches!(error, NetworkRunError::DelayTooShort { .. });
            let mut d = Diagnostic::error(error.to_string());
            if let Some(c) = network.connections.get(connection) {
                d = match c.delay_span {
                    Some(span) if delay_error => d.with_primary(span, "shorter than one step"),
                    _ => d.with_primary(c.span, "this connection"),
                };
            }
            if matches!(error, NetworkRunError::DelayTooShort { .. }) {
                d = d.with_hint(
                    "a delay is at least one time step: lengthen it or use a smaller --dt",
                );
            }
            Failure::user(d)
        }
        other => Failure::user(Diagnostic::error(other.to_string())),
    }
}

fn provenance(
    args: &RunArgs,
    sources: &Sources,
    file: FileId,
    network: &CheckedNetwork,
    models: &[ModelUse],
    t_end: f64,
    dt: f64,
) -> serde_json::Value {
    let directory = sources
        .path(file)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // Each population's size, for `galvani stats` (a spike file's size is its own).
    let sizes: serde_json::Map<String, serde_json::Value> = network
        .populations
        .iter()
        .filter_map(|p| Some((p.name.clone(), serde_json::json!(p.size?))))
        .collect();
    let model_files: Vec<serde_json::Value> = models
        .iter()
        .map(|m| {
            let sha256 = std::fs::read(directory.join(&m.path))
                .ok()
                .map(|bytes| output::sha256_hex(&bytes));
            serde_json::json!({ "path": m.path, "sha256": sha256 })
        })
        .collect();
    serde_json::json!({
        "galvani": env!("CARGO_PKG_VERSION"),
        "network": output::path_json(&args.file),
        "network_sha256": output::sha256_hex(sources.text(file).as_bytes()),
        "models": model_files,
        "populations": network.populations.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "sizes": sizes,
        "method": models.first().map(|m| m.compiled.program.method.name()),
        "kernel": args.sim.kernel.name(),
        "dt_ms": dt,
        "t_ms": t_end,
        "seed": args.sim.seed,
        "inputs": args.input,
        "set": args.sim.set,
        "init": args.sim.init,
        "every": args.every,
    })
}

fn megabytes(bytes: u64) -> String {
    format_for_people((bytes as f64 / 1e6 * 100.0).round() / 100.0)
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn summary_text(
    network: &CheckedNetwork,
    summary: &NetworkSummary,
    stats: &[Option<PopulationStats>],
    compile_time: Duration,
    t_end: f64,
) -> String {
    let mut text = format!(
        "{}: {} populations, {} neurons, {} synapses ({} MB, {} bytes per synapse), {} steps\n",
        network.name,
        network.populations.len(),
        summary
            .populations
            .iter()
            .map(|p| p.spike_counts.len())
            .sum::<usize>(),
        summary.synapses,
        megabytes(summary.synapse_bytes),
        if summary.synapses > 0 {
            format_for_people(
                (summary.synapse_bytes as f64 / summary.synapses as f64 * 10.0).round() / 10.0,
            )
        } else {
            "0".to_string()
        },
        summary.steps,
    );
    for (population, stat) in summary.populations.iter().zip(stats) {
        let spikes: u64 = population.spike_counts.iter().sum();
        let n = population.spike_counts.len();
        let rate = if n > 0 && t_end > 0.0 {
            spikes as f64 / n as f64 / (t_end / 1000.0)
        } else {
            0.0
        };
        let cv = stat
            .as_ref()
            .and_then(|s| s.cv_isi)
            .map_or_else(|| "-".to_string(), |cv| format!("{cv:.3}"));
        text.push_str(&format!(
            "  {:<8} {:>8} neurons {:>10} spikes {:>10} Hz  CV {:>6}  in: {} synapses, {} MB\n",
            population.name,
            n,
            spikes,
            format!("{:.3}", rate),
            cv,
            population.synapses_in,
            megabytes(population.synapse_bytes_in),
        ));
    }
    text.push_str(&format!(
        "compile {}, build {}, simulate {}\n",
        seconds(compile_time),
        seconds(summary.build_time),
        seconds(summary.simulate_time)
    ));
    text
}

fn summary_json(
    network: &CheckedNetwork,
    summary: &NetworkSummary,
    stats: &[Option<PopulationStats>],
    compile_time: Duration,
    per_neuron: bool,
) -> String {
    let populations: Vec<serde_json::Value> = summary
        .populations
        .iter()
        .zip(stats)
        .map(|(population, stat)| {
            let mut value = serde_json::json!({
                "name": population.name,
                "neurons": population.spike_counts.len(),
                "spikes": population.spike_counts.iter().sum::<u64>(),
                "mean_rate_hz": stat.as_ref().map(|s| s.mean_rate_hz),
                "cv_isi": stat.as_ref().and_then(|s| s.cv_isi),
                "synapses_in": population.synapses_in,
                "synapse_bytes_in": population.synapse_bytes_in,
            });
            if per_neuron {
                value["spike_counts"] = serde_json::json!(population.spike_counts);
            }
            value
        })
        .collect();
    let value = serde_json::json!({
        "network": network.name,
        "steps": summary.steps,
        "synapses": summary.synapses,
        "synapse_bytes": summary.synapse_bytes,
        "populations": populations,
        "compile_ms": compile_time.as_secs_f64() * 1e3,
        "build_ms": summary.build_time.as_secs_f64() * 1e3,
        "simulate_ms": summary.simulate_time.as_secs_f64() * 1e3,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
