//! What every simulating command (`run`, `fi`, `bench`) shares: compiling a model file
//! (through `galvani-driver`) and reporting its failures, the options they have in common,
//! parsing those options into a `galvani_sim::RunRequest`, and failures classified by exit
//! status — a `SimError` or a `DriverError` becomes the diagnostic the user sees here, and
//! nowhere else.

use crate::cli::Exit;
use crate::render;
use clap::{Args, ValueEnum};
use galvani_diag::suggest::suggest;
use galvani_diag::Diagnostic;
use galvani_driver::{self as driver, Compiled, DriverError, Sources};
use galvani_ir::step::Method;
use galvani_ir::text::format_for_people;
use galvani_ir::Model;
use galvani_kernel::Kernel;
use galvani_sim::files::{self, StagedFile};
use galvani_sim::output;
use galvani_sim::values::{self, Expect, ValueError};
use galvani_sim::{ModelVariable, NameKind, RunRequest, SimError, Simulator};
use std::path::{Path, PathBuf};

/// `--method` of every command that takes it (`run`, `fi`, `bench`, `explain`): the
/// integration methods, each documented in `--help`, so clap rejects any other value and
/// lists the possible ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Forward Euler: first order, explicit.
    Euler,
    /// Classical fourth-order Runge–Kutta.
    Rk4,
    /// Exponential Euler: first order, solves `dy/dt = A − B·y` exactly with A and B held
    /// over the step (Rosenbrock–Euler when nonlinear in y); stable for stiff equations.
    #[value(name = "expeuler")]
    ExpEuler,
    /// Second-order Rush–Larsen (Perego & Veneziani 2009), the default.
    #[value(name = "expeuler2")]
    ExpEuler2,
    /// Exact for linear equations with constant coefficients (`dy/dt = M·y + c`): the
    /// propagator e^(M·dt), computed once per run. Refused (E0410) for any other model.
    Exact,
}

impl From<MethodArg> for Method {
    fn from(method: MethodArg) -> Method {
        match method {
            MethodArg::Euler => Method::Euler,
            MethodArg::Rk4 => Method::Rk4,
            MethodArg::ExpEuler => Method::ExpEuler,
            MethodArg::ExpEuler2 => Method::ExpEuler2,
            MethodArg::Exact => Method::Exact,
        }
    }
}

/// `--kernel`: how the JIT lowers the step block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum KernelArg {
    /// Scalar code, one neuron at a time, one libm call per transcendental per neuron: the
    /// reference the blocked kernel is tested against.
    Reference,
    /// Blocks of 64 neurons, two lanes per instruction, one vector-maths call per
    /// transcendental per block (within 2 ulp of libm): the default.
    #[default]
    Blocked,
}

impl From<KernelArg> for galvani_codegen::KernelMode {
    fn from(kernel: KernelArg) -> galvani_codegen::KernelMode {
        match kernel {
            KernelArg::Reference => galvani_codegen::KernelMode::Reference,
            KernelArg::Blocked => galvani_codegen::KernelMode::Blocked,
        }
    }
}

impl KernelArg {
    /// The name `--kernel` takes, as sidecars record it.
    pub fn name(self) -> &'static str {
        match self {
            KernelArg::Reference => "reference",
            KernelArg::Blocked => "blocked",
        }
    }

    /// The JIT options of this kernel mode.
    pub fn options(self) -> galvani_codegen::JitOptions {
        galvani_codegen::JitOptions {
            kernel: self.into(),
            ..galvani_codegen::JitOptions::default()
        }
    }
}

/// Options shared by `run` and `fi`.
#[derive(Args, Debug, Clone)]
pub struct SimOptions {
    /// Simulated time (a bare number is in ms).
    #[arg(long = "t", default_value = "100ms", value_name = "T")]
    pub t: String,
    /// Time step (a bare number is in ms).
    #[arg(long, default_value = "0.025ms")]
    pub dt: String,
    /// Integration method [default: expeuler2, or expeuler for a model with noise].
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Step kernel: `blocked` (64-neuron blocks, vector maths within 2 ulp of libm) or
    /// `reference` (scalar, libm per neuron).
    #[arg(long, value_enum, default_value_t = KernelArg::Blocked)]
    pub kernel: KernelArg,
    /// Override a param: NAME=VALUE, VALUE may be per neuron (linspace(A, B), file(x.csv)).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Override an initial value: NAME=VALUE, or `rest` for the resting state.
    #[arg(long = "init", value_name = "NAME=VALUE|rest")]
    pub init: Vec<String>,
    /// Threads for the step and the event conditions (default: every core); the results
    /// are the same bytes for any number.
    #[arg(long, value_name = "K")]
    pub threads: Option<usize>,
    /// Seed of every random stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the summary (`run`) or the curve (`fi`) as one JSON object.
    #[arg(long, value_name = "FORMAT")]
    pub summary: Option<SummaryFormat>,
}

/// The machine-readable form of a summary (`--summary FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// One JSON object on stdout.
    Json,
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
        Failure::diagnosed(vec![Diagnostic::bug(message)])
    }

    /// A failure reported by `diagnostics`, its exit status decided by them.
    pub(crate) fn diagnosed(diagnostics: Vec<Diagnostic>) -> Failure {
        Failure {
            exit: Exit::for_diagnostics(&diagnostics),
            diagnostics,
        }
    }

    /// An invalid value of `option` (`--set`, `--t`, …).
    pub(crate) fn value(option: &str, error: ValueError) -> Failure {
        let mut d = Diagnostic::error(format!("invalid {option}: {}", error.message));
        if let Some(hint) = error.hint {
            d = d.with_hint(hint);
        }
        Failure::user(d)
    }

    /// A library error, in terms of the command line: user errors exit 1, a simulation
    /// that blew up exits 2, galvani's own bugs exit 3.
    pub(crate) fn sim(model: &Model, error: SimError) -> Failure {
        match error {
            SimError::EmptyPopulation => Failure::user(Diagnostic::error(
                "invalid --n: the population needs at least one neuron",
            )),
            SimError::UnknownName {
                kind,
                name,
                candidates,
            } => unknown(kind, &name, &candidates),
            SimError::DuplicateValue { kind, name } => {
                let option = if kind == NameKind::Param {
                    "--set"
                } else {
                    "--init"
                };
                Failure::user(
                    Diagnostic::error(format!("{option} `{name}` is given more than once"))
                        .with_hint(format!("give each {} one {option}", kind.noun())),
                )
            }
            SimError::NegativeRefractory { event, .. } => {
                let mut d = Diagnostic::error(format!("the simulation stopped: {error}"));
                if let Some(id) = model.events.get(event).and_then(|e| e.refractory) {
                    let span = model.exprs.span(id);
                    d = d.with_primary(span, "this refractory period");
                }
                Failure::user(d.with_hint("check the values it is computed from (and --set)"))
            }
            SimError::NoStep { .. } => Failure::user(
                Diagnostic::error(format!("invalid --t: {error}"))
                    .with_hint("use a smaller --dt, or a longer --t"),
            ),
            SimError::DuplicateInput(name) => Failure::user(
                Diagnostic::error(format!("--input `{name}` is given more than once"))
                    .with_hint("combine protocols with `+`: step(…) + sine(…)"),
            ),
            SimError::Rest(e) => Failure::user(
                Diagnostic::error(format!("--init rest: {e}"))
                    .with_hint("give initial values with --init NAME=VALUE instead"),
            ),
            SimError::NonFinite {
                variable,
                name,
                neuron,
                t,
            } => {
                let mut d = Diagnostic::error(format!(
                    "the simulation failed: `{name}` of neuron {neuron} became NaN or infinite at t = {} ms",
                    format_for_people(t)
                ));
                // The hint fits where the value came from: an integration that blew up,
                // or a value the step never touches.
                let integration = "try a smaller --dt, or --method expeuler, which stays stable for stiff equations";
                let hint = match variable {
                    ModelVariable::State(s) => {
                        d = d.with_primary(
                            model.states[s.index()].ode_span,
                            "this equation produced it",
                        );
                        integration
                    }
                    ModelVariable::Intermediate(i) => {
                        d = d.with_primary(
                            model.intermediates[i.index()].span,
                            "this value became NaN or infinite",
                        );
                        integration
                    }
                    ModelVariable::Param(p) => {
                        d = d.with_primary(model.params[p.index()].span, "this param");
                        "check the param's value and the values it is computed from (and --set)"
                    }
                    ModelVariable::Input(i) => {
                        d = d.with_primary(model.inputs[i.index()].span, "this input");
                        "check the input's default and its --input protocol"
                    }
                    ModelVariable::Refractory(_) => {
                        "check the refractory period's expression and the params it uses"
                    }
                };
                Failure {
                    exit: Exit::SimulationFailed,
                    diagnostics: vec![d.with_hint(hint)],
                }
            }
            SimError::NonPositiveTime { param, .. } => Failure::user(
                Diagnostic::error(format!("invalid --set: {error}"))
                    .with_primary(model.params[param.index()].span, "declared here")
                    .with_hint("give it a positive time, such as its declared value"),
            ),
            SimError::EveryNotMultiple {
                dt, below, above, ..
            } => {
                let hint = if below > 0.0 {
                    format!("use --every {below}ms or --every {above}ms (multiples of --dt {dt}ms), or another --dt")
                } else {
                    format!("use --every {above}ms (one step of --dt {dt}ms) or a multiple of it")
                };
                Failure::user(
                    Diagnostic::error(format!("invalid --every: {error}")).with_hint(hint),
                )
            }
            SimError::Config(e) => Failure::user(Diagnostic::error(format!("invalid run: {e}"))),
            SimError::Sink(e) => {
                Failure::user(Diagnostic::error(format!("writing results failed: {e}")))
            }
            SimError::TooLarge { .. } => Failure::user(
                Diagnostic::error(format!("the run does not fit in memory: {error}"))
                    .with_hint("simulate fewer neurons (a smaller --n or fewer --points)"),
            ),
            SimError::Kernel(_) | SimError::MissingFromLayout(_) => {
                Failure::internal(error.to_string())
            }
        }
    }
}

/// "the model has no param `g_na`" with a did-you-mean among the model's names of that kind.
fn unknown(kind: NameKind, name: &str, candidates: &[String]) -> Failure {
    let d = Diagnostic::error(format!("the model has no {} `{name}`", kind.noun()));
    // Time is not a model variable: every trace has it as its first column already, and
    // `V` is no "did you mean" for it.
    if kind == NameKind::Recordable && name == "t" {
        return Failure::user(d.with_note("time is always the first column of the trace"));
    }
    let d = match suggest(name, candidates.iter().map(String::as_str)) {
        Some(c) => d.with_hint(format!("did you mean `{c}`?")),
        None if candidates.is_empty() => d.with_note(format!("the model has no {}", kind.plural())),
        None => d.with_note(format!(
            "its {} are: {}",
            kind.plural(),
            candidates.join(", ")
        )),
    };
    Failure::user(d)
}

/// A model that did not compile, in terms of the command line: an unreadable file is the
/// user's error, a model's diagnostics decide their own exit status, a code generator
/// failure is galvani's.
pub(crate) fn compile_failure(error: DriverError) -> Failure {
    match error {
        DriverError::Io { path, source } => Failure::user(Diagnostic::error(format!(
            "cannot read `{}`: {source}",
            path.display()
        ))),
        DriverError::Diagnostics(d) => Failure::diagnosed(d.0),
        DriverError::CodeGeneration(err) => {
            Failure::internal(format!("code generation failed: {err}"))
        }
    }
}

pub(crate) fn report_failure(sources: &Sources, failure: Failure) -> Exit {
    render::emit_stderr(sources, &failure.diagnostics);
    failure.exit
}

/// Compiles `file` with `method`, then runs `then` on it; every failure is reported
/// against the sources it concerns.
pub(crate) fn compile_then(
    file: &Path,
    method: Option<MethodArg>,
    kernel: KernelArg,
    then: impl FnOnce(&Compiled) -> Result<Exit, Failure>,
) -> Exit {
    let mut lines = crate::progress::CompileLines::new(file);
    let compiled = match driver::compile_file_with(
        file,
        method.map(Method::from),
        kernel.options(),
        &mut |p| lines.update(p),
    ) {
        Ok(c) => c,
        Err((sources, error)) => return report_failure(&sources, compile_failure(error)),
    };
    match then(&compiled) {
        Ok(exit) => exit,
        Err(failure) => report_failure(&compiled.sources, failure),
    }
}

/// Refuses, before anything is written, an output that is an input — the model file or a
/// `file(…)` named in `value_texts` (the `--input`, `--set` and `--init` values) — and
/// two outputs (sidecars included) that are one file.
pub(crate) fn check_outputs<'t>(
    model: &Path,
    value_texts: impl Iterator<Item = &'t String>,
    outputs: &[&Path],
) -> Result<(), Failure> {
    let read = files_read(value_texts);
    let mut inputs: Vec<&Path> = vec![model];
    inputs.extend(read.iter().map(PathBuf::as_path));
    // A device gets no sidecar, so it cannot clash through one (`--out /dev/null
    // --spikes /dev/null` writes nothing twice).
    let sidecars: Vec<PathBuf> = outputs
        .iter()
        .filter(|p| files::gets_sidecar(p))
        .map(|p| output::sidecar_path(p))
        .collect();
    let mut written: Vec<&Path> = outputs.to_vec();
    written.extend(sidecars.iter().map(PathBuf::as_path));
    files::check_outputs(&inputs, &written).map_err(|clash| {
        Failure::user(
            Diagnostic::error(format!("refusing to write: {clash}"))
                .with_hint("give every output its own path, different from the inputs"),
        )
    })
}

/// The files named by `file(…)` in `NAME=VALUE` option texts (`--input`, `--set`,
/// `--init`): the inputs a run reads besides the model.
pub(crate) fn files_read<'t>(value_texts: impl Iterator<Item = &'t String>) -> Vec<PathBuf> {
    value_texts
        .flat_map(|text| values::file_paths(text.split_once('=').map_or(text.as_str(), |(_, v)| v)))
        .collect()
}

/// The last step of a command that succeeded: stages the sidecar of every regular file
/// (`what` it holds, and the run's `provenance`), then moves every file over its target.
pub(crate) fn commit_with_sidecars(
    staged: Vec<(StagedFile, String)>,
    provenance: &serde_json::Value,
) -> Result<(), Failure> {
    let mut sidecars = Vec::new();
    for (file, what) in staged.iter().filter(|(file, _)| file.is_regular()) {
        let path = file.target();
        let sidecar = output::stage_sidecar(path, what, provenance).map_err(|e| {
            Failure::user(Diagnostic::error(format!(
                "cannot write `{}`: {e}",
                path.display()
            )))
        })?;
        sidecars.push(sidecar);
    }
    let files = staged.into_iter().map(|(file, _)| file).chain(sidecars);
    for file in files {
        let target = file.target().to_path_buf();
        file.commit().map_err(|e| {
            Failure::user(Diagnostic::error(format!(
                "cannot write `{}`: {e}",
                target.display()
            )))
        })?;
    }
    Ok(())
}

/// Splits `NAME=VALUE`.
pub(crate) fn split_assignment<'a>(
    option: &str,
    text: &'a str,
) -> Result<(&'a str, &'a str), Failure> {
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

/// A time option (`--t`, `--dt`, `--every`) in internal units.
pub(crate) fn parse_time(
    option: &str,
    what: &str,
    text: &str,
    dimensionless: bool,
) -> Result<f64, Failure> {
    values::parse_quantity(text)
        .and_then(|q| Expect::time(what, dimensionless).resolve(q))
        .map_err(|e| Failure::value(option, e))
}

/// The grid, seed, `--set` and `--init` of `options` as a request for `n` neurons.
pub(crate) fn parse_request<K: Kernel + ?Sized>(
    sim: &Simulator<'_, K>,
    options: &SimOptions,
    n: usize,
) -> Result<RunRequest, Failure> {
    let model = sim.model;
    // Before any per-neuron value is allocated.
    sim.check_memory(n).map_err(|e| Failure::sim(model, e))?;
    let dimensionless = model.dimensionless;
    let t_end = parse_time("--t", "the simulated time --t", &options.t, dimensionless)?;
    let dt = parse_time("--dt", "the time step --dt", &options.dt, dimensionless)?;
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(Failure::user(Diagnostic::error(format!(
            "invalid --dt: the time step must be positive, got {}",
            options.dt
        ))));
    }
    if !(t_end >= 0.0 && t_end.is_finite()) {
        return Err(Failure::user(Diagnostic::error(format!(
            "invalid --t: the simulated time must be ≥ 0, got {}",
            options.t
        ))));
    }
    if t_end / dt > 1e12 {
        return Err(Failure::user(
            Diagnostic::error(format!(
                "--t {} with --dt {} is more than 10^12 steps",
                options.t, options.dt
            ))
            .with_hint("use a larger --dt or a shorter --t"),
        ));
    }
    let mut request = RunRequest::new(t_end, dt, n);
    request.seed = options.seed;
    request.threads = threads(options)?;
    let sim_failure = |e| Failure::sim(model, e);

    for text in &options.set {
        let (name, value) = split_assignment("--set", text)?;
        let param = sim.param(name).map_err(sim_failure)?;
        let unit = &model.params[param.index()].unit;
        let expect = Expect::declared(format!("`{name}`"), unit, dimensionless);
        let values = per_neuron_values("--set", value, &expect, n)?;
        request.params.push((param, values));
    }
    for text in &options.init {
        if text.trim() == "rest" {
            request.init_rest = true;
            continue;
        }
        let (name, value) = split_assignment("--init", text)?;
        let state = sim.state(name).map_err(sim_failure)?;
        let unit = &model.states[state.index()].unit;
        let expect = Expect::declared(format!("`{name}`"), unit, dimensionless);
        let values = per_neuron_values("--init", value, &expect, n)?;
        request.inits.push((state, values));
    }
    Ok(request)
}

/// `--threads K` (at least 1), or every core the process may use.
pub(crate) fn threads(options: &SimOptions) -> Result<usize, Failure> {
    match options.threads {
        Some(0) => Err(Failure::user(
            Diagnostic::error("invalid --threads: at least one thread")
                .with_hint("leave --threads out to use every core"),
        )),
        Some(k) => Ok(k),
        None => Ok(std::thread::available_parallelism().map_or(1, |k| k.get())),
    }
}

fn per_neuron_values(
    option: &str,
    text: &str,
    expect: &Expect,
    n: usize,
) -> Result<Vec<f64>, Failure> {
    let spec = values::parse_value_spec(text).map_err(|e| Failure::value(option, e))?;
    values::resolve_values(&spec, expect, n).map_err(|e| Failure::value(option, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn unknown_names_suggest_the_closest_model_name() {
        // `g_N` is listed first and close enough, `g_Na` is closer.
        let failure = unknown(NameKind::Param, "g_Naa", &names(&["g_N", "g_Na"]));
        assert_eq!(failure.exit, Exit::UserError);
        assert_eq!(failure.diagnostics[0].hints, ["did you mean `g_Na`?"]);
        let failure = unknown(NameKind::Param, "g_na", &names(&["g_K", "g_Na"]));
        assert_eq!(failure.diagnostics[0].hints, ["did you mean `g_Na`?"]);
    }

    #[test]
    fn unknown_names_without_a_close_one_list_them_all() {
        let failure = unknown(NameKind::Input, "Q", &names(&["I_e", "I_syn"]));
        assert!(failure.diagnostics[0].hints.is_empty());
        assert_eq!(failure.diagnostics[0].notes, ["its inputs are: I_e, I_syn"]);
        let failure = unknown(NameKind::Input, "Q", &[]);
        assert_eq!(failure.diagnostics[0].notes, ["the model has no inputs"]);
    }

    #[test]
    fn a_bug_among_the_diagnostics_makes_an_internal_error() {
        let user = Diagnostic::error("bad model");
        let bug = Diagnostic::bug("broken invariant");
        assert_eq!(Exit::for_diagnostics(&[]), Exit::UserError);
        assert_eq!(
            Exit::for_diagnostics(std::slice::from_ref(&user)),
            Exit::UserError
        );
        assert_eq!(Exit::for_diagnostics(&[user, bug.clone()]), Exit::Internal);
        assert_eq!(Failure::internal("oops".into()).exit, Exit::Internal);
        assert_eq!(Failure::diagnosed(vec![bug]).exit, Exit::Internal);
    }
}
