//! `galvani bench NETWORK.gal`: what a network costs — compile (each model file once),
//! build (synapses drawn, populations set up), simulate, CPU time of the process, peak
//! memory and bytes per synapse — medians of `--repeat` runs in one process on one thread,
//! then the simulate time on every core (checked to give the same spikes).
//! The numbers to set beside NEST's and Brian2's (`docs/comparison.md`).

use crate::cli::Exit;
use crate::command::{self, Failure};
use galvani_diag::{Diagnostic, FileId};
use galvani_driver::{self as driver, Sources};
use galvani_ir::text::format_for_people;
use galvani_kernel::Kernel;
use galvani_netrun::{NetworkConfig, NetworkSpikeSink, NetworkSummary};
use galvani_network::Source;
use galvani_runtime::SinkError;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::bench_cmd::BenchArgs;

/// Counts spikes and drops them.
struct Count(u64);

impl NetworkSpikeSink for Count {
    fn spike(&mut self, _: usize, _: u32, _: f64, _: usize) -> Result<(), SinkError> {
        self.0 += 1;
        Ok(())
    }
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux);
/// `None` elsewhere.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces: fields count from after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in USER_HZ, 100 per second on every architecture galvani runs on.
    Some(Duration::from_millis(ticks * 10))
}

/// Peak resident memory of this process (`VmHWM`), bytes.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// `galvani bench NETWORK.gal`
pub(crate) fn bench_network(
    args: &BenchArgs,
    mut sources: Sources,
    file: FileId,
    out: &mut dyn Write,
) -> Exit {
    match bench(args, &mut sources, file, out) {
        Ok(exit) => exit,
        Err(failure) => command::report_failure(&sources, failure),
    }
}

fn bench(
    args: &BenchArgs,
    sources: &mut Sources,
    file: FileId,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    if args.repeat == 0 || args.repeat > 1000 {
        return Err(Failure::user(Diagnostic::error(
            "invalid bench: --repeat must be 1 to 1000",
        )));
    }
    let t_end = command::parse_time("--t", "the simulated time --t", &args.t, false)?;
    let dt = command::parse_time("--dt", "the time step --dt", &args.dt, false)?;
    if !(dt > 0.0 && dt.is_finite() && t_end > 0.0 && t_end.is_finite()) || t_end / dt > 1e9 {
        return Err(Failure::user(Diagnostic::error(format!(
            "invalid bench: --t {} with --dt {}",
            args.t, args.dt
        ))));
    }
    let checked = driver::check_network(sources, file).map_err(|d| Failure::diagnosed(d.0))?;
    let network = &checked.network;
    let compile_started = Instant::now();
    let (models, model_of) = crate::net_run_cmd::compile_models(
        network,
        args.method.map(Into::into),
        crate::command::KernelArg::Blocked.options(),
    )?;
    let compile_time = compile_started.elapsed();
    let kernels: Vec<Option<&dyn Kernel>> = model_of
        .iter()
        .map(|m: &Option<usize>| m.map(|m| &models[m].compiled.kernel as &dyn Kernel))
        .collect();
    if network
        .populations
        .iter()
        .any(|p| matches!(p.source, Source::Spikes { .. }))
    {
        return Err(Failure::user(
            Diagnostic::error("bench does not read spike files")
                .with_hint("time a network with spike-file sources with `galvani run`"),
        ));
    }
    let mut config = NetworkConfig::new(t_end, dt, network.populations.len());
    config.seed = args.seed;
    config.memory_limit = galvani_sim::experiment::available_memory();
    config.edge_files = crate::net_run_cmd::edge_files(network, sources.path(file))?;

    let mut builds = Vec::new();
    let mut simulates = Vec::new();
    let mut cpus = Vec::new();
    let mut last: Option<(NetworkSummary, u64)> = None;
    for _ in 0..args.repeat {
        let cpu_before = process_cpu();
        let mut count = Count(0);
        let summary = galvani_netrun::simulate(
            network,
            &kernels,
            &config,
            &mut galvani_runtime::Discard,
            &mut count,
            None,
        )
        .map_err(|e| Failure::user(Diagnostic::error(e.to_string())))?;
        if let (Some(before), Some(after)) = (cpu_before, process_cpu()) {
            cpus.push(after.saturating_sub(before));
        }
        builds.push(summary.build_time);
        simulates.push(summary.simulate_time);
        last = Some((summary, count.0));
    }
    let Some((summary, spikes)) = last else {
        return Err(Failure::internal("no bench run".to_string()));
    };
    // The same runs on every core (the same spikes, bit for bit).
    let cores = std::thread::available_parallelism().map_or(1, |k| k.get());
    let mut parallel = Vec::new();
    if cores > 1 {
        let mut all = config.clone();
        all.threads = cores;
        for _ in 0..args.repeat {
            let mut count = Count(0);
            let run = galvani_netrun::simulate(
                network,
                &kernels,
                &all,
                &mut galvani_runtime::Discard,
                &mut count,
                None,
            )
            .map_err(|e| Failure::user(Diagnostic::error(e.to_string())))?;
            if count.0 != spikes {
                return Err(Failure::internal(format!(
                    "{cores} threads gave {} spikes, one thread {spikes}",
                    count.0
                )));
            }
            parallel.push(run.simulate_time);
        }
    }
    let neurons: usize = summary
        .populations
        .iter()
        .map(|p| p.spike_counts.len())
        .sum();
    let (build, simulate) = (median(builds), median(simulates));
    let synapses = summary.synapses.max(1) as f64;
    let neuron_steps = (neurons as f64 * summary.steps as f64).max(1.0);
    let mut report = format!(
        "bench {} — {neurons} neurons, {} synapses, {} ms at dt {} ms, {}, medians of {}\n",
        network.name,
        summary.synapses,
        format_for_people(t_end),
        format_for_people(dt),
        models
            .first()
            .map_or("no model", |m| m.compiled.program.method.name()),
        args.repeat
    );
    report.push_str(&format!(
        "  compile   {:>12}  (each model file once)\n",
        millis(compile_time)
    ));
    report.push_str(&format!(
        "  build     {:>12}  ({:.1} ns per synapse)\n",
        millis(build),
        build.as_secs_f64() * 1e9 / synapses
    ));
    report.push_str(&format!(
        "  simulate  {:>12}  ({:.1} ns per neuron-step, 1 thread)\n",
        millis(simulate),
        simulate.as_secs_f64() * 1e9 / neuron_steps
    ));
    if !parallel.is_empty() {
        let time = median(parallel);
        report.push_str(&format!(
            "  simulate  {:>12}  ({cores} threads: {:.2}× one thread; the same spikes)\n",
            millis(time),
            simulate.as_secs_f64() / time.as_secs_f64()
        ));
    }
    if !cpus.is_empty() {
        report.push_str(&format!(
            "  CPU       {:>12}  (build and simulate on 1 thread, this process)\n",
            millis(median(cpus))
        ));
    }
    report.push_str(&format!(
        "  synapses  {:>12}  ({:.2} bytes per synapse)\n",
        format!("{:.2} MB", summary.synapse_bytes as f64 / 1e6),
        summary.synapse_bytes as f64 / synapses
    ));
    if let Some(peak) = peak_memory() {
        report.push_str(&format!(
            "  peak RSS  {:>12}  (the whole process)\n",
            format!("{:.1} MB", peak as f64 / 1e6)
        ));
    }
    report.push_str(&format!(
        "  spikes    {:>12}  ({:.2} Hz per neuron)\n",
        spikes,
        spikes as f64 / neurons.max(1) as f64 / (t_end / 1000.0)
    ));
    let _ = out.write_all(report.as_bytes());
    Ok(Exit::Success)
}
