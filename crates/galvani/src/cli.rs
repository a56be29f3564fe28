//! The `galvani` command line: clap definitions, one function per subcommand, and the exit
//! statuses of `spec/cli.md` (0 success, 1 model or argument error, 2 simulation failure,
//! 3 internal error).

use crate::driver::{self, DriverError, Sources};
use crate::render;
use clap::{Parser, Subcommand, ValueEnum};
use galvani_diag::Diagnostic;
use std::io::Write;
use std::path::PathBuf;

/// Process exit statuses, as `spec/cli.md` defines them.
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
}

const EXAMPLES: &str = "\
Examples:
  galvani check models/*.gal
  galvani explain models/hh.gal
  galvani explain models/hh.gal --stage ir";

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
    /// Show how a model becomes code: one pipeline stage as deterministic text.
    #[command(
        after_help = "Examples:\n  galvani explain models/hh.gal --stage ast\n  galvani explain models/lif.gal --stage ir"
    )]
    Explain {
        /// The model file.
        file: PathBuf,
        /// The stage to print.
        #[arg(long, value_enum, default_value_t = StageArg::Ir)]
        stage: StageArg,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    /// The parsed syntax tree.
    Ast,
    /// The checked model: every value in its declared unit, with its dimension.
    Ir,
}

/// Parses arguments and runs one command, writing results to `out`. Diagnostics go to
/// stderr. Argument errors exit with status 1 (clap's own default would be 2, which
/// `spec/cli.md` reserves for simulation failures).
pub fn main_with_args<I, T>(args: I, out: &mut dyn Write) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
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
        Command::Explain { file, stage } => cmd_explain(&file, stage, out),
    }
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
            if diagnostics
                .iter()
                .any(|d| d.severity == galvani_diag::Severity::Bug)
            {
                Exit::Internal
            } else {
                Exit::UserError
            }
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
        let result = sources
            .load(path)
            .and_then(|file| driver::check(&sources, file).map_err(DriverError::from));
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
    format!(
        "ok — model {}: {}, {}, {}, {}, {}{}",
        model.name,
        states,
        count(model.params.len(), "param", "params"),
        count(model.inputs.len(), "input", "inputs"),
        count(model.intermediates.len(), "intermediate", "intermediates"),
        count(model.events.len(), "event", "events"),
        if model.dimensionless {
            ", dimensionless"
        } else {
            ""
        }
    )
}

/// `galvani explain FILE --stage S`
fn cmd_explain(path: &std::path::Path, stage: StageArg, out: &mut dyn Write) -> Exit {
    let mut sources = Sources::new();
    let file = match sources.load(path) {
        Ok(file) => file,
        Err(error) => return report(&sources, &error),
    };
    let text = match stage {
        StageArg::Ast => driver::parse(&sources, file).map(|ast| galvani_syntax::print_ast(&ast)),
        StageArg::Ir => driver::check(&sources, file).map(|checked| {
            render::emit_stderr(&sources, &checked.warnings);
            galvani_ir::text::model_to_text(&checked.model)
        }),
    };
    match text {
        Ok(text) => {
            let _ = out.write_all(text.as_bytes());
            Exit::Success
        }
        Err(diagnostics) => report(&sources, &DriverError::Diagnostics(diagnostics)),
    }
}

/// Reports a panic caught at the top level as an internal error (exit status 3).
pub fn internal_error(message: &str) -> Diagnostic {
    Diagnostic::bug(format!("internal error: {message}"))
}
