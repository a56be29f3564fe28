//! The `galvani` command line: clap definitions, one function per subcommand, and the exit
//! statuses of `docs/cli.md` (0 success, 1 model or argument error, 2 simulation failure,
//! 3 internal error).

use crate::command::{KernelArg, MethodArg};
use crate::render;
use clap::{Parser, Subcommand, ValueEnum};
use galvani_diag::{Diagnostic, Severity};
use galvani_driver::{self as driver, DriverError, Sources};
use galvani_ir::step::Method;
use std::io::Write;
use std::path::PathBuf;

/// Process exit statuses, as `docs/cli.md` defines them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// The model or the arguments have an error.
    UserError = 1,
    /// The simulation failed (NaN/Inf).
    SimulationFailed = 2,
    /// A bug in galvani.
    Internal = 3,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The status of a command stopped by `diagnostics`: any bug in galvani (severity
    /// `Bug`) makes it an internal error, otherwise the model or the arguments are wrong.
    /// The one place this mapping is written.
    pub fn for_diagnostics(diagnostics: &[Diagnostic]) -> Exit {
        if diagnostics.iter().any(|d| d.severity == Severity::Bug) {
            Exit::Internal
        } else {
            Exit::UserError
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  galvani check models/*.gal
  galvani explain models/hh.gal
  galvani run models/hh.gal --input 'I_e=step(10ms,60ms,10uA/cm^2)' --spikes s.csv --plot hh.png
  galvani fi models/lif.gal --input I_e --range 0..5nA --points 26 --t 1s";

#[derive(Parser, Debug)]
#[command(
    name = "galvani",
    version,
    about = "A language and JIT compiler for neuron models",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and check model files; one summary line per valid file.
    #[command(after_help = "Example:\n  galvani check models/hh.gal models/lif.gal")]
    Check {
        /// Model files (.gal).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show how a model becomes code: the teaching view, or one pipeline stage as text.
    #[command(
        after_help = "Examples:\n  galvani explain models/hh.gal\n  galvani explain models/hh.gal --format latex\n  galvani explain models/lif.gal --stage step --method rk4"
    )]
    Explain {
        /// The model file.
        file: PathBuf,
        /// Print this stage's deterministic text instead of the teaching view.
        #[arg(long, value_enum)]
        stage: Option<StageArg>,
        /// The integration method whose update rule (or step program) is shown
        /// [default: expeuler2, or expeuler for a model with noise].
        #[arg(long, value_enum)]
        method: Option<MethodArg>,
        /// The step kernel whose Cranelift IR `--stage clif` shows: `blocked` (the default,
        /// as `run`) or `reference` (scalar).
        #[arg(long, value_enum, default_value_t = KernelArg::Blocked)]
        kernel: KernelArg,
        /// Output format of the teaching view (a `--stage` has one text form only).
        #[arg(long, value_enum, default_value_t = FormatArg::Text, conflicts_with = "stage")]
        format: FormatArg,
    },
    /// Simulate a model.
    #[command(
        after_help = "Examples:\n  galvani run models/hh.gal\n  galvani run models/hh.gal --input 'I_e=step(10ms,60ms,10uA/cm^2)' --spikes s.csv --plot hh.png\n  galvani run models/lif.gal --n 10 --input 'I_e=linspace(1.6nA, 5nA)' --t 1s --spikes s.csv"
    )]
    Run(crate::run_cmd::RunArgs),
    /// Firing rate against a constant input, one neuron per value, in one population run.
    #[command(
        after_help = "Example:\n  galvani fi models/hh.gal --input I_e --range 0..20uA/cm^2 --points 41 --t 500ms --out fi.csv --plot fi.png"
    )]
    Fi(crate::fi_cmd::FiArgs),
    /// Measure edit → first result, the compile stages and simulation throughput, each
    /// beside a reference measured in the same run.
    #[command(
        after_help = "Examples:\n  galvani bench models/hh.gal\n  galvani bench models/lif.gal --method euler --n 100000 --steps 100"
    )]
    Bench(crate::bench_cmd::BenchArgs),
    /// Spike-train statistics of a spikes CSV: mean rate, CV of ISI, Fano factor, ISI
    /// histogram and population activity, per population.
    #[command(
        after_help = "Example:\n  galvani run models/lif.gal --n 100 --input 'I_e=ou(2nA,1nA,5ms)' --t 2s --spikes s.csv\n  galvani stats s.csv --from 200ms --bin 10ms --plot stats.png"
    )]
    Stats(crate::stats_cmd::StatsArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    /// The parsed syntax tree.
    Ast,
    /// The checked model: every value in its declared unit, with its dimension.
    Ir,
    /// Every equation as `dy/dt = A − B·y`.
    Linear,
    /// The step program of `--method`.
    Step,
    /// The Cranelift IR of `--method`, before Cranelift's own optimisation.
    Clif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Markdown,
    Latex,
    Json,
}

/// Parses arguments and runs one command, writing results to `out`. Diagnostics go to
/// stderr. Argument errors exit with status 1 (clap's own default would be 2, which
/// `docs/cli.md` reserves for simulation failures).
pub fn main_with_args<I, T>(args: I, out: &mut dyn Write) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let err = with_our_subcommand_suggestion(err);
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Exit::Success,
                _ => Exit::UserError,
            };
        }
    };
    match cli.command {
        Command::Check { files } => cmd_check(&files, out),
        Command::Explain {
            file,
            stage,
            method,
            kernel,
            format,
        } => cmd_explain(&file, stage, method.map(Method::from), kernel, format, out),
        Command::Run(args) => crate::run_cmd::cmd_run(&args, out),
        Command::Fi(args) => crate::fi_cmd::cmd_fi(&args, out),
        Command::Bench(args) => crate::bench_cmd::cmd_bench(&args, out),
        Command::Stats(args) => crate::stats_cmd::cmd_stats(&args, out),
    }
}

/// clap suggests a subcommand by Jaro similarity, which finds `fi` in `frobnicate`; an
/// unknown subcommand gets the suggestion the rest of galvani gives instead
/// (`galvani_diag::suggest`, edit distance: `rn` → `run`, `frobnicate` → none). Every
/// other part of clap's message is kept.
fn with_our_subcommand_suggestion(err: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::InvalidSubcommand {
        return err;
    }
    let command = <Cli as clap::CommandFactory>::command();
    let mut ours = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(&command);
    for (kind, value) in err.context() {
        // An empty list of other tips would still print a blank line.
        let empty_tips = matches!(value, ContextValue::StyledStrs(tips) if tips.is_empty());
        if kind != ContextKind::SuggestedSubcommand && !empty_tips {
            ours.insert(kind, value.clone());
        }
    }
    if let Some(ContextValue::String(written)) = err.get(ContextKind::InvalidSubcommand) {
        let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
        if let Some(name) = galvani_diag::suggest::suggest(written, names) {
            ours.insert(ContextKind::SuggestedSubcommand, ContextValue::String(name));
        }
    }
    ours
}

/// Reports a driver error on stderr and says which exit status it means.
fn report(sources: &Sources, error: &DriverError) -> Exit {
    match error {
        DriverError::Io { path, source } => {
            eprintln!("error: cannot read `{}`: {source}", path.display());
            Exit::UserError
        }
        DriverError::Diagnostics(diagnostics) => {
            render::emit_stderr(sources, &diagnostics.0);
            Exit::for_diagnostics(&diagnostics.0)
        }
        DriverError::CodeGeneration(err) => {
            let bug = Diagnostic::bug(format!("code generation failed: {err}"));
            render::emit_stderr(sources, &[bug]);
            Exit::Internal
        }
    }
}

fn worst(a: Exit, b: Exit) -> Exit {
    if b.code() > a.code() {
        b
    } else {
        a
    }
}

/// `galvani check FILE…`
fn cmd_check(files: &[PathBuf], out: &mut dyn Write) -> Exit {
    let mut sources = Sources::new();
    let mut status = Exit::Success;
    let mut failed = 0;
    for path in files {
        // Through the linear forms: whatever passes `check` also compiles (an expression
        // too deep once intermediates are substituted is reported here), and `check` shows
        // the warnings `explain` shows.
        let file = match sources.load(path) {
            Ok(file) => file,
            Err(error) => {
                failed += 1;
                status = worst(status, report(&sources, &error));
                continue;
            }
        };
        if driver::is_network(&sources, file) {
            match driver::check_network(&mut sources, file) {
                Ok(checked) => {
                    render::emit_stderr(&sources, &checked.warnings);
                    let _ = writeln!(
                        out,
                        "{}: {}",
                        path.display(),
                        network_summary_line(&checked.network)
                    );
                }
                Err(diagnostics) => {
                    failed += 1;
                    let error = DriverError::from(diagnostics);
                    status = worst(status, report(&sources, &error));
                }
            }
            continue;
        }
        let result = driver::linearize(&sources, file)
            .map(|(checked, _)| checked)
            .map_err(DriverError::from);
        match result {
            Ok(checked) => {
                render::emit_stderr(&sources, &checked.warnings);
                let _ = writeln!(out, "{}: {}", path.display(), summary_line(&checked.model));
            }
            Err(error) => {
                failed += 1;
                status = worst(status, report(&sources, &error));
            }
        }
    }
    if failed > 0 && files.len() > 1 {
        eprintln!("error: {failed} of {} files failed to check", files.len());
    }
    status
}

/// `ok — network brunel: 2 populations (12500 neurons), 2 connections, 1 drive`
fn network_summary_line(network: &galvani_network::CheckedNetwork) -> String {
    fn count(n: usize, one: &str, many: &str) -> String {
        format!("{n} {}", if n == 1 { one } else { many })
    }
    format!(
        "ok — network {}: {} ({}), {}, {}",
        network.name,
        count(network.populations.len(), "population", "populations"),
        count(network.neurons(), "neuron", "neurons"),
        count(network.connections.len(), "connection", "connections"),
        count(network.drives.len(), "drive", "drives"),
    )
}

/// `ok — model hh: 4 states (3 gates), 7 params, 1 input, 3 intermediates, 1 event`
pub fn summary_line(model: &galvani_ir::Model) -> String {
    fn count(n: usize, one: &str, many: &str) -> String {
        format!("{n} {}", if n == 1 { one } else { many })
    }
    let gates = model.states.iter().filter(|s| s.gate.is_some()).count();
    let states = if gates > 0 {
        format!(
            "{} ({})",
            count(model.states.len(), "state", "states"),
            count(gates, "gate", "gates")
        )
    } else {
        count(model.states.len(), "state", "states")
    };
    // Silent events (not spikes) are named, so a timer is not mistaken for a threshold.
    let silent = model
        .events
        .iter()
        .filter(|e| e.kind == galvani_ir::EventKind::Silent)
        .count();
    let mut events = count(model.events.len(), "event", "events");
    if silent > 0 {
        events.push_str(&format!(" ({silent} silent)"));
    }
    // Escape noise too: it fires at random, not on a threshold.
    let escape = model.events.iter().filter(|e| e.hazard.is_some()).count();
    if escape > 0 {
        events.push_str(&format!(" ({escape} escape noise)"));
    }
    // White noises are named: a stochastic model runs with expeuler or euler only.
    let noises = if model.has_noise() {
        let names: Vec<&str> = model.noises.iter().map(|n| n.name.as_str()).collect();
        format!(
            ", {} ({})",
            count(names.len(), "white noise", "white noises"),
            names.join(", ")
        )
    } else {
        String::new()
    };
    format!(
        "ok — model {}: {}, {}, {}, {}, {}{}{}",
        model.name,
        states,
        count(model.params.len(), "param", "params"),
        count(model.inputs.len(), "input", "inputs"),
        count(model.intermediates.len(), "intermediate", "intermediates"),
        events,
        noises,
        if model.dimensionless {
            ", dimensionless"
        } else {
            ""
        }
    )
}

/// `galvani explain FILE [--stage S] [--method M] [--kernel K] [--format F]`
/// `galvani explain NET.gal`: the network's text view (no stages or other formats yet).
fn explain_network(
    sources: &mut Sources,
    file: galvani_diag::FileId,
    stage: Option<StageArg>,
    format: FormatArg,
    out: &mut dyn Write,
) -> Exit {
    if stage.is_some() || !matches!(format, FormatArg::Text) {
        eprintln!(
            "error: a network file has one explain view for now, as text (no --stage, no --format)"
        );
        return Exit::UserError;
    }
    match driver::check_network(sources, file) {
        Ok(checked) => {
            render::emit_stderr(sources, &checked.warnings);
            let text = galvani_views::explain_network(&checked.network, sources.text(file));
            let _ = out.write_all(text.as_bytes());
            Exit::Success
        }
        Err(diagnostics) => report(sources, &DriverError::from(diagnostics)),
    }
}

fn cmd_explain(
    path: &std::path::Path,
    stage: Option<StageArg>,
    method: Option<Method>,
    kernel: KernelArg,
    format: FormatArg,
    out: &mut dyn Write,
) -> Exit {
    let mut sources = Sources::new();
    let file = match sources.load(path) {
        Ok(file) => file,
        Err(error) => return report(&sources, &error),
    };
    if driver::is_network(&sources, file) {
        return explain_network(&mut sources, file, stage, format, out);
    }
    // Without --method, the model's default (expeuler for a model with noise); a model
    // that does not check gets its diagnostics from the stage below.
    let method = method.unwrap_or_else(|| match driver::check(&sources, file) {
        Ok(checked) => Method::default_for(&checked.model),
        Err(_) => Method::DEFAULT,
    });
    let text: Result<String, Exit> = match stage {
        Some(StageArg::Ast) => driver::parse(&sources, file)
            .map(|ast| galvani_syntax::print_ast(&ast))
            .map_err(|d| report(&sources, &DriverError::Diagnostics(d))),
        Some(StageArg::Ir) => driver::check(&sources, file)
            .map(|checked| {
                render::emit_stderr(&sources, &checked.warnings);
                galvani_ir::text::model_to_text(&checked.model)
            })
            .map_err(|d| report(&sources, &DriverError::Diagnostics(d))),
        Some(StageArg::Linear) => driver::linearize(&sources, file)
            .map(|(checked, linearized)| {
                render::emit_stderr(&sources, &checked.warnings);
                galvani_views::linear_text(&linearized)
            })
            .map_err(|d| report(&sources, &DriverError::Diagnostics(d))),
        Some(StageArg::Step) => driver::compile(&sources, file, method)
            .map(|(checked, program)| {
                render::emit_stderr(&sources, &checked.warnings);
                galvani_ir::step_text::step_to_text(&program)
            })
            .map_err(|d| report(&sources, &DriverError::Diagnostics(d))),
        Some(StageArg::Clif) => driver::compile(&sources, file, method)
            .map_err(|d| report(&sources, &DriverError::Diagnostics(d)))
            .and_then(|(checked, program)| {
                render::emit_stderr(&sources, &checked.warnings);
                galvani_codegen::clif_text_with(&program, &kernel.options()).map_err(|e| {
                    let bug = [internal_error(&format!("code generation failed: {e}"))];
                    render::emit_stderr(&sources, &bug);
                    Exit::for_diagnostics(&bug)
                })
            }),
        // Discretised too, so that a method the model cannot take (`rk4` with noise,
        // `exact` for a nonlinear model) is refused as `run` refuses it.
        None => driver::compile_keeping_forms(&sources, file, method)
            .map(|(checked, linearized, _)| {
                render::emit_stderr(&sources, &checked.warnings);
                let format = match format {
                    FormatArg::Text => galvani_views::Format::Text,
                    FormatArg::Markdown => galvani_views::Format::Markdown,
                    FormatArg::Latex => galvani_views::Format::Latex,
                    FormatArg::Json => galvani_views::Format::Json,
                };
                galvani_views::explain_in(&linearized, method, format, Some(sources.text(file)))
            })
            .map_err(|d| report(&sources, &DriverError::Diagnostics(d))),
    };
    match text {
        Ok(text) => {
            let _ = out.write_all(text.as_bytes());
            Exit::Success
        }
        Err(exit) => exit,
    }
}

/// Reports a panic caught at the top level as an internal error (exit status 3).
pub fn internal_error(message: &str) -> Diagnostic {
    Diagnostic::bug(format!("internal error: {message}"))
}
