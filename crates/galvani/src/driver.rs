//! The pipeline driver: loads model files into a source table and runs the stages in
//! order — `parse → check → …` — collecting every diagnostic with the file it belongs to.
//! It reads like the pipeline; each stage is one call into its crate.

use codespan_reporting::files::SimpleFiles;
use galvani_diag::{Diagnostic, Diagnostics, FileId};
use galvani_ir::Model;
use galvani_syntax::ast;
use std::path::{Path, PathBuf};

/// Every source file loaded in this invocation. `FileId(n)` is the n-th file added.
#[derive(Default)]
pub struct Sources {
    files: SimpleFiles<String, String>,
    paths: Vec<PathBuf>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds a source text under a display name (usually the path as given).
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let name = name.into();
        self.paths.push(PathBuf::from(&name));
        FileId(self.files.add(name, text.into()) as u32)
    }

    /// Reads a file from disk and adds it. A file that is not UTF-8 is read lossily: the
    /// replacement characters then fail the parser's ASCII check with a diagnostic.
    pub fn load(&mut self, path: &Path) -> Result<FileId, DriverError> {
        let bytes = std::fs::read(path).map_err(|source| DriverError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        };
        Ok(self.add(path.display().to_string(), text))
    }

    pub fn text(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    pub fn path(&self, file: FileId) -> &Path {
        &self.paths[file.0 as usize]
    }

    pub fn files(&self) -> &SimpleFiles<String, String> {
        &self.files
    }
}

/// Why a driver call could not produce its result.
#[derive(Debug)]
pub enum DriverError {
    /// A file could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The model has errors (diagnostics, already sorted).
    Diagnostics(Diagnostics),
}

impl From<Diagnostics> for DriverError {
    fn from(d: Diagnostics) -> Self {
        DriverError::Diagnostics(d)
    }
}

/// A parsed and checked model with the warnings the front end produced.
pub struct Checked {
    pub file: FileId,
    pub ast: ast::Model,
    pub model: Model,
    pub warnings: Vec<Diagnostic>,
}

/// Parses one file.
pub fn parse(sources: &Sources, file: FileId) -> Result<ast::Model, Diagnostics> {
    galvani_syntax::parse_all(sources.text(file), file)
        .map_err(|errors| Diagnostics(errors.iter().map(|e| e.to_diagnostic()).collect()))
}

/// Parses and checks one file: `let ast = parse(..)?; let ir = check(&ast)?;`.
pub fn check(sources: &Sources, file: FileId) -> Result<Checked, Diagnostics> {
    let ast = parse(sources, file)?;
    let checked = galvani_check::check(&ast).map_err(|errors| {
        let mut diagnostics = Diagnostics(errors.0.iter().map(|e| e.to_diagnostic()).collect());
        diagnostics.sort();
        diagnostics
    })?;
    if let Err(err) = checked.model.verify() {
        return Err(Diagnostics::from(Diagnostic::bug(format!(
            "the checked model failed verification: {err}"
        ))));
    }
    Ok(Checked {
        file,
        ast,
        model: checked.model,
        warnings: checked.warnings,
    })
}

/// Converts a symbolic-middle error: a too-deep expression is the user's; anything else
/// is a bug (the checker guarantees the rest).
fn symbolic_diagnostics(error: galvani_symbolic::SymbolicError) -> Diagnostics {
    Diagnostics::from(error.to_diagnostic())
}

/// Parse, check and linearize: the `A − B·y` form of every equation.
pub fn linearize(
    sources: &Sources,
    file: FileId,
) -> Result<(Checked, galvani_symbolic::Linearized), Diagnostics> {
    let mut checked = check(sources, file)?;
    let linearized = galvani_symbolic::linearize(&checked.model).map_err(symbolic_diagnostics)?;
    // A and B free of y, with the dimensions y/time and 1/time: a failure is a galvani bug
    // (exit 3), never the user's.
    linearized.verify().map_err(symbolic_diagnostics)?;
    checked
        .warnings
        .extend(galvani_views::rewrite_warnings(&linearized));
    Ok((checked, linearized))
}

/// The whole front and middle: `parse → check → linearize → discretize(method)`.
pub fn compile(
    sources: &Sources,
    file: FileId,
    method: galvani_ir::step::Method,
) -> Result<(Checked, galvani_ir::step::StepProgram), Diagnostics> {
    compile_keeping_forms(sources, file, method).map(|(checked, _, program)| (checked, program))
}

/// As [`compile`], keeping the linear forms too (a simulation needs them for the exact
/// Jacobian of `--init rest`).
pub fn compile_keeping_forms(
    sources: &Sources,
    file: FileId,
    method: galvani_ir::step::Method,
) -> Result<
    (
        Checked,
        galvani_symbolic::Linearized,
        galvani_ir::step::StepProgram,
    ),
    Diagnostics,
> {
    let (checked, linearized) = linearize(sources, file)?;
    let program =
        galvani_symbolic::discretize(&linearized, method).map_err(symbolic_diagnostics)?;
    Ok((checked, linearized, program))
}
