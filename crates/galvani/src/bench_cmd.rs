//! `galvani bench`: measures what galvani promises — edit → first result for a freshly
//! edited model file, the cost of each compile stage, and simulation throughput — each next
//! to a reference measured in the same run (a bare `galvani check` of the same file, the
//! reference interpreter running the same program, the scalar reference kernel beside the
//! blocked one for every method), so the ratios survive a slow machine.

use crate::cli::Exit;
use crate::command::{self, Failure, KernelArg, MethodArg};
use crate::scaling::{generate, Family};
use clap::Args;
use galvani_codegen::{Interpreter, JitKernel, JitOptions};
use galvani_diag::Diagnostic;
use galvani_driver::Compiled;
use galvani_driver::{self as driver, Sources};
use galvani_ir::step::Method;
use galvani_kernel::Kernel;
use galvani_sim::{RunRequest, Simulator, Sinks};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Simulated time of the edit → first result run, as in the promise: 100 ms.
const EDIT_RUN_T: &str = "100ms";
/// Most repetitions of a measurement: a median of more says nothing new, and every one
/// spawns processes.
const MAX_REPEAT: usize = 1000;
/// Time step of the throughput runs (ms): `run`'s default.
const THROUGHPUT_DT: f64 = 0.025;

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// The model file, or a network file (not needed with --scaling).
    #[arg(required_unless_present = "scaling")]
    pub file: Option<PathBuf>,
    /// Instead of FILE: compile generated models of 1,000, 3,000 and 10,000 states, gates,
    /// chained params, intermediates and events, and print each compile time with its
    /// ratio to the smallest (near-linear: about 3× and 10×).
    #[arg(long)]
    pub scaling: bool,
    /// Integration method [default: expeuler2, or expeuler for a model with noise].
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Neurons in the throughput runs.
    #[arg(long, default_value_t = 10_000)]
    pub n: usize,
    /// Steps of each throughput run.
    #[arg(long, default_value_t = 100)]
    pub steps: u64,
    /// Repetitions of every measurement; medians are reported.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Network files: simulated time of each run.
    #[arg(long = "t", default_value = "1000ms", value_name = "T")]
    pub t: String,
    /// Network files: time step.
    #[arg(long, default_value = "0.1ms")]
    pub dt: String,
    /// Network files: seed of the connectivity and every random stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `galvani bench`
pub fn cmd_bench(args: &BenchArgs, out: &mut dyn Write) -> Exit {
    if args.scaling {
        return match scaling_report(args.method.map_or(Method::DEFAULT, Method::from), out) {
            Ok(exit) => exit,
            Err(failure) => command::report_failure(&Sources::new(), failure),
        };
    }
    let mut sources = Sources::new();
    if let Ok(file) = sources.load(model_file(args)) {
        if driver::is_network(&sources, file) {
            return crate::net_bench::bench_network(args, sources, file, out);
        }
    }
    command::compile_then(
        model_file(args),
        args.method,
        KernelArg::Blocked,
        |compiled| bench_compiled(args, compiled, out),
    )
}

/// The model file; clap requires it unless `--scaling` is given.
fn model_file(args: &BenchArgs) -> &Path {
    args.file.as_deref().unwrap_or(Path::new(""))
}

/// Sizes of the generated models of `--scaling`.
const SCALING_SIZES: [usize; 3] = [1_000, 3_000, 10_000];

/// `bench --scaling`: parse → JIT wall time of each generated family at each size, and the
/// ratios to the smallest size (10× the model in ≲ 12× the time is near-linear).
fn scaling_report(method: Method, out: &mut dyn Write) -> Result<Exit, Failure> {
    let mut report = format!(
        "compile scaling — {}, parse → JIT in process, generated models
  {:<14}",
        method.name(),
        "family"
    );
    for n in SCALING_SIZES {
        report.push_str(&format!("{:>11}", n));
    }
    for n in &SCALING_SIZES[1..] {
        report.push_str(&format!("{:>10}", format!("×{}", n / SCALING_SIZES[0])));
    }
    report.push('\n');
    for family in Family::ALL {
        let times = SCALING_SIZES
            .iter()
            .map(|&n| compile_generated(family, n, method))
            .collect::<Result<Vec<_>, _>>()?;
        report.push_str(&format!("  {:<14}", family.name()));
        for t in &times {
            report.push_str(&format!("{:>11}", millis(*t)));
        }
        for t in &times[1..] {
            report.push_str(&format!("{:>9.1}×", ratio(*t, times[0])));
        }
        report.push('\n');
        // Shown as each family finishes: the whole report takes a while.
        let _ = out.write_all(report.as_bytes());
        report.clear();
    }
    Ok(Exit::Success)
}

/// Wall time of parse → check → linear forms → discretize → JIT of a generated model.
fn compile_generated(family: Family, n: usize, method: Method) -> Result<Duration, Failure> {
    let started = Instant::now();
    let mut sources = Sources::new();
    let file = sources.add(format!("{}-{n}.gal", family.name()), generate(family, n));
    let (_, program) = driver::compile(&sources, file, method).map_err(|_| {
        Failure::internal(format!(
            "the generated {} model does not compile",
            family.name()
        ))
    })?;
    JitKernel::compile(&program).map_err(|e| Failure::internal(e.to_string()))?;
    Ok(started.elapsed())
}

fn failure(message: String) -> Failure {
    Failure::user(Diagnostic::error(message))
}

fn bench_compiled(
    args: &BenchArgs,
    compiled: &Compiled,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    if args.repeat == 0 || args.n == 0 || args.steps == 0 {
        return Err(failure(
            "invalid bench: --repeat, --n and --steps must be at least 1".to_string(),
        ));
    }
    if args.repeat > MAX_REPEAT {
        return Err(failure(format!(
            "invalid bench: --repeat {} is more than {MAX_REPEAT} repetitions",
            args.repeat
        )));
    }
    let model = &compiled.checked.model;
    let method = compiled.program.method;
    let mut report = format!(
        "bench {} — {}, medians of {} repetitions\n",
        model.name,
        method.name(),
        args.repeat
    );

    // 1. Edit → first result, as a user meets it: a fresh process on a just-edited file.
    let edit = edit_to_first_result(args, method)?;
    report.push_str(&format!(
        "edit → first result   `galvani run` of an edited copy, T = {EDIT_RUN_T}, spikes to a file\n\
         \x20 run    {:>9} (max {})\n\
         \x20 check  {:>9} (reference: parse and check only)\n\
         \x20 ratio  {:>8.2}×\n",
        millis(edit.run_median),
        millis(edit.run_max),
        millis(edit.check_median),
        ratio(edit.run_median, edit.check_median),
    ));

    // 2. The compile stages, in process.
    let stages = compile_stages(args, method)?;
    report.push_str("compile stages (in process)\n");
    for (name, time) in &stages {
        report.push_str(&format!("  {name:<23}{:>9}\n", millis(*time)));
    }

    // 3. Throughput: the blocked kernel against the scalar reference kernel, every method,
    //    alternated round by round; then the JIT against the interpreter.
    report.push_str(&format!(
        "throughput            N = {}, {} steps of {THROUGHPUT_DT} ms, default inputs, \
         kernels alternated\n\
         \x20 method       blocked  reference  ns/neuron-step\n",
        args.n, args.steps,
    ));
    for method in Method::ALL {
        let program = match galvani_symbolic::discretize(&compiled.linearized, method) {
            Ok(program) => program,
            // `exact` applies only to models linear with constant coefficients.
            Err(galvani_symbolic::SymbolicError::NotExact { .. }) => continue,
            Err(e) => return Err(Failure::internal(e.to_string())),
        };
        let compile = |options: JitOptions| {
            JitKernel::compile_with(&program, options, None)
                .map_err(|e| Failure::internal(e.to_string()))
        };
        let blocked = compile(KernelArg::Blocked.options())?;
        let reference = compile(KernelArg::Reference.options())?;
        let [b, r] = throughput_pair(
            &Simulator::new(&compiled.linearized, &program, &blocked),
            &Simulator::new(&compiled.linearized, &program, &reference),
            args,
        )?;
        report.push_str(&format!(
            "  {:<10}{b:>10.1}{r:>11.1}   ratio {:>6.2}× faster\n",
            method.name(),
            r / b,
        ));
    }
    let interpreter = Interpreter::new(&compiled.program)
        .map_err(|e| Failure::internal(format!("the interpreter rejects the program: {e}")))?;
    let [jit, reference] = throughput_pair(
        &compiled.simulator(),
        &Simulator::new(&compiled.linearized, &compiled.program, &interpreter),
        args,
    )?;
    report.push_str(&format!(
        "  {}: JIT (blocked) {:.1} ns/neuron-step, interpreter {:.1} (reference), \
         ratio {:.2}× faster\n",
        method.name(),
        jit,
        reference,
        reference / jit,
    ));

    // 4. Threads: the default method on every core against one thread, on a population
    //    large enough to be split (`PARALLEL_MIN_NEURONS`); beside them the machine's own
    //    ceiling, measured in the same rounds: one independent one-thread run of N/K
    //    neurons per core, all at once, with nothing shared (on a VM whose cores are not
    //    free this is well below K×, and no thread pool can do better).
    let cores = std::thread::available_parallelism().map_or(1, |k| k.get());
    if cores > 1 {
        let n = args.n.max(THREADS_N);
        let t_end = args.steps as f64 * THROUGHPUT_DT;
        let mut one = RunRequest::new(t_end, THROUGHPUT_DT, n);
        let mut all = one.clone();
        let mut part = RunRequest::new(t_end, THROUGHPUT_DT, n.div_ceil(cores));
        one.threads = 1;
        all.threads = cores;
        part.threads = 1;
        let simulator = compiled.simulator();
        let [single, many, apart] =
            threads_throughput(&simulator, [&one, &all, &part], cores, args)?;
        report.push_str(&format!(
            "threads               N = {n}, {}, {} steps, runs alternated\n\
             \x20 1 thread   {single:>8.1} ns/neuron-step\n\
             \x20 {cores} threads  {many:>8.1} ns/neuron-step   {:.2}× one thread\n\
             \x20 ceiling    {apart:>8.1} ns/neuron-step   {:.2}× one thread: {cores} independent \
             one-thread runs of N/{cores} at once ({cores} threads reach {:.0}% of it)\n",
            method.name(),
            args.steps,
            single / many,
            single / apart,
            100.0 * apart / many,
        ));
    }
    let _ = out.write_all(report.as_bytes());
    Ok(Exit::Success)
}

/// Neurons of the threads measurement (at least): well above the population a step is
/// split from, `galvani_runtime::PARALLEL_MIN_NEURONS`.
const THREADS_N: usize = 100_000;

struct EditTimes {
    run_median: Duration,
    run_max: Duration,
    check_median: Duration,
}

/// Spawns this executable on a fresh copy of the model with one comment line changed per
/// repetition, so no run sees a file it has seen before.
fn edit_to_first_result(args: &BenchArgs, method: Method) -> Result<EditTimes, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| failure(format!("cannot find the galvani executable: {e}")))?;
    let path = model_file(args);
    let text = std::fs::read_to_string(path)
        .map_err(|e| failure(format!("cannot read `{}`: {e}", path.display())))?;
    // A private directory, created exclusively (mode 0700, a fresh random name) and removed
    // when dropped: never one that exists already, where a link could redirect the writes.
    let dir = tempfile::Builder::new()
        .prefix("galvani-bench-")
        .tempdir()
        .map_err(|e| failure(format!("cannot create a temporary directory: {e}")))?;
    let model_path = dir.path().join("edited.gal");
    let spikes_path = dir.path().join("spikes.csv");
    (|| {
        let mut runs = Vec::with_capacity(args.repeat);
        let mut checks = Vec::with_capacity(args.repeat);
        for edit in 0..args.repeat {
            std::fs::write(
                &model_path,
                format!("{text}\n# galvani bench: edit {edit}\n"),
            )
            .map_err(|e| failure(format!("cannot write `{}`: {e}", model_path.display())))?;
            let model = model_path.to_string_lossy();
            let spikes = spikes_path.to_string_lossy();
            checks.push(time_process(&exe, &["check", &model])?);
            runs.push(time_process(
                &exe,
                &[
                    "run",
                    &model,
                    "--method",
                    method.name(),
                    "--t",
                    EDIT_RUN_T,
                    "--spikes",
                    &spikes,
                ],
            )?);
        }
        let run_max = runs.iter().copied().max().unwrap_or_default();
        Ok(EditTimes {
            run_median: median(runs),
            run_max,
            check_median: median(checks),
        })
    })()
}

fn time_process(exe: &Path, args: &[&str]) -> Result<Duration, Failure> {
    let started = Instant::now();
    let status = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| failure(format!("cannot start `{}`: {e}", exe.display())))?;
    let took = started.elapsed();
    if !status.success() {
        return Err(failure(format!(
            "`galvani {}` failed ({status}); run it by hand to see why",
            args.join(" ")
        )));
    }
    Ok(took)
}

/// Median wall time of each stage over `repeat` fresh compilations.
fn compile_stages(
    args: &BenchArgs,
    method: galvani_ir::step::Method,
) -> Result<Vec<(&'static str, Duration)>, Failure> {
    let names = [
        "load",
        "parse+check",
        "linearize",
        "discretize",
        "JIT",
        "JIT (reference kernel)",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    for _ in 0..args.repeat {
        let mut lap = Lap::new();
        let mut sources = Sources::new();
        let file = sources.load(model_file(args)).map_err(|e| {
            failure(format!(
                "cannot read `{}`: {e:?}",
                model_file(args).display()
            ))
        })?;
        times[0].push(lap.next());
        let checked = driver::check(&sources, file)
            .map_err(|_| failure("the model no longer checks".to_string()))?;
        times[1].push(lap.next());
        let linearized = galvani_symbolic::linearize(&checked.model)
            .map_err(|e| Failure::internal(e.to_string()))?;
        times[2].push(lap.next());
        let program = galvani_symbolic::discretize(&linearized, method)
            .map_err(|e| Failure::internal(e.to_string()))?;
        times[3].push(lap.next());
        JitKernel::compile(&program).map_err(|e| Failure::internal(e.to_string()))?;
        times[4].push(lap.next());
        JitKernel::compile_with(&program, JitOptions::reference(), None)
            .map_err(|e| Failure::internal(e.to_string()))?;
        times[5].push(lap.next());
    }
    Ok(names
        .into_iter()
        .zip(times.into_iter().map(median))
        .collect())
}

/// ns per neuron-step of two simulators of the same model on `--n` neurons for `--steps`
/// steps (medians), their runs alternated so that both see the same machine load.
fn throughput_pair<A: Kernel, B: Kernel>(
    a: &Simulator<'_, A>,
    b: &Simulator<'_, B>,
    args: &BenchArgs,
) -> Result<[f64; 2], Failure> {
    let request = RunRequest::new(args.steps as f64 * THROUGHPUT_DT, THROUGHPUT_DT, args.n);
    throughput_of((a, &request), (b, &request), args)
}

/// ns per neuron-step of two runs, each a simulator with its request (the same `n`),
/// medians of `--repeat` runs alternated so that both see the same machine load.
fn throughput_of<A: Kernel, B: Kernel>(
    (a, request_a): (&Simulator<'_, A>, &RunRequest),
    (b, request_b): (&Simulator<'_, B>, &RunRequest),
    args: &BenchArgs,
) -> Result<[f64; 2], Failure> {
    let prepared_a = a.prepare(request_a).map_err(|e| Failure::sim(a.model, e))?;
    let prepared_b = b.prepare(request_b).map_err(|e| Failure::sim(b.model, e))?;
    let mut times = [
        Vec::with_capacity(args.repeat),
        Vec::with_capacity(args.repeat),
    ];
    for _ in 0..args.repeat {
        let result = a
            .run(&prepared_a, Sinks::default())
            .map_err(|e| Failure::sim(a.model, e))?;
        times[0].push(result.summary.simulate_time);
        let result = b
            .run(&prepared_b, Sinks::default())
            .map_err(|e| Failure::sim(b.model, e))?;
        times[1].push(result.summary.simulate_time);
    }
    let per_step = request_a.n as f64 * args.steps as f64;
    Ok(times.map(|t| median(t).as_nanos() as f64 / per_step))
}

/// ns per neuron-step of one thread, of `cores` threads, and of `cores` independent
/// one-thread runs of the third request (each on its own OS thread with a kernel of its
/// own, started together; their wall time over all N neurons), alternated round by round,
/// medians.
fn threads_throughput(
    simulator: &Simulator<'_, JitKernel>,
    [one, all, part]: [&RunRequest; 3],
    cores: usize,
    args: &BenchArgs,
) -> Result<[f64; 3], Failure> {
    let (model, linearized, program) = (simulator.model, simulator.linearized, simulator.program);
    let prepared_one = simulator.prepare(one).map_err(|e| Failure::sim(model, e))?;
    let prepared_all = simulator.prepare(all).map_err(|e| Failure::sim(model, e))?;
    let prepared_part = simulator
        .prepare(part)
        .map_err(|e| Failure::sim(model, e))?;
    // One run of N/K neurons on a kernel compiled in its own thread (a JIT kernel owns
    // its code and is not shared between threads); its simulate time, setup and compile
    // left out as for the runs above.
    let independent_run = || -> Result<Duration, Failure> {
        let kernel = JitKernel::compile_with(program, KernelArg::Blocked.options(), None)
            .map_err(|e| Failure::internal(e.to_string()))?;
        Simulator::new(linearized, program, &kernel)
            .run(&prepared_part, Sinks::default())
            .map(|result| result.summary.simulate_time)
            .map_err(|e| Failure::sim(model, e))
    };
    let mut times: [Vec<Duration>; 3] = Default::default();
    for _ in 0..args.repeat {
        for (k, prepared) in [&prepared_one, &prepared_all].into_iter().enumerate() {
            let result = simulator
                .run(prepared, Sinks::default())
                .map_err(|e| Failure::sim(model, e))?;
            times[k].push(result.summary.simulate_time);
        }
        // The runs overlap, so the slowest is the wall time of all.
        let results: Vec<Result<Duration, Failure>> = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..cores).map(|_| scope.spawn(independent_run)).collect();
            runs.into_iter()
                .map(|run| {
                    run.join()
                        .unwrap_or_else(|_| Err(Failure::internal("a ceiling run panicked".into())))
                })
                .collect()
        });
        let mut slowest = Duration::ZERO;
        for result in results {
            slowest = slowest.max(result?);
        }
        times[2].push(slowest);
    }
    let per_step = [one.n, all.n, part.n * cores].map(|n| n as f64 * args.steps as f64);
    let mut medians = [0.0; 3];
    for (k, t) in times.into_iter().enumerate() {
        medians[k] = median(t).as_nanos() as f64 / per_step[k];
    }
    Ok(medians)
}

/// Successive intervals of one stopwatch.
struct Lap(Instant);

impl Lap {
    fn new() -> Self {
        Lap(Instant::now())
    }
    fn next(&mut self) -> Duration {
        let now = Instant::now();
        let took = now - self.0;
        self.0 = now;
        took
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}
