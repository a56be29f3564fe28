//! The pipeline driver: loads model files into a source table and runs the stages in
//! order — `parse → check → linearize → discretize → JIT` — collecting every diagnostic
//! with the file it belongs to. It reads like the pipeline; each stage is one call into its
//! crate. The command line, a Python binding and the test suites all compile through here.

use galvani_codegen::{JitKernel, JitOptions};
use galvani_diag::{Diagnostic, Diagnostics, FileId};
use galvani_ir::Model;
use galvani_sim::Simulator;
use galvani_syntax::ast;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Largest model file read (real models are kilobytes; the parser answers 100,000 lines in
/// well under this).
const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Every source file loaded in this invocation. `FileId(n)` is the n-th file added.
#[derive(Default)]
pub struct Sources {
    /// `(display name, text)` per file.
    files: Vec<(String, String)>,
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
        self.files.push((name, text.into()));
        FileId(self.files.len() as u32 - 1)
    }

    /// Reads a file from disk and adds it. A file that is not UTF-8 is read lossily: the
    /// replacement characters then fail the parser's ASCII check with a diagnostic.
    pub fn load(&mut self, path: &Path) -> Result<FileId, DriverError> {
        let io_error = |source| DriverError::Io {
            path: path.to_path_buf(),
            source,
        };
        // At most MAX_SOURCE_BYTES (+1 to tell a longer file): `/dev/zero` or a huge file
        // is refused, not read without end.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io_error)?;
        if bytes.len() as u64 > MAX_SOURCE_BYTES {
            return Err(io_error(std::io::Error::other(format!(
                "a model file is at most {} MB",
                MAX_SOURCE_BYTES >> 20
            ))));
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        };
        Ok(self.add(path.display().to_string(), text))
    }

    pub fn text(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map_or("", |(_, text)| text.as_str())
    }

    /// The display name of `file` (the path as given).
    pub fn name(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map_or("", |(name, _)| name.as_str())
    }

    /// Every file as `(FileId, display name, text)`, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &str, &str)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, (name, text))| (FileId(i as u32), name.as_str(), text.as_str()))
    }

    pub fn path(&self, file: FileId) -> &Path {
        &self.paths[file.0 as usize]
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
    /// The code generator rejected a valid step program: a bug in galvani.
    CodeGeneration(galvani_codegen::CodegenError),
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
    linearize_checked(check(sources, file)?, sources.text(file))
}

/// The linear forms of a checked model, with the W0601 warnings (quoting `source`, the
/// model's text) added to its warnings.
fn linearize_checked(
    mut checked: Checked,
    source: &str,
) -> Result<(Checked, galvani_symbolic::Linearized), Diagnostics> {
    let linearized = galvani_symbolic::linearize(&checked.model).map_err(symbolic_diagnostics)?;
    // A and B free of y, with the dimensions y/time and 1/time: a failure is a galvani bug
    // (exit 3), never the user's.
    linearized.verify().map_err(symbolic_diagnostics)?;
    checked
        .warnings
        .extend(galvani_views::rewrite_warnings(&linearized, Some(source)));
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

/// A checked network file with the warnings of its model files.
pub struct CheckedNetworkFile {
    pub file: FileId,
    pub network: galvani_network::CheckedNetwork,
    pub warnings: Vec<Diagnostic>,
}

/// Whether a loaded file is a network file (its first declaration is `network`).
pub fn is_network(sources: &Sources, file: FileId) -> bool {
    galvani_syntax::is_network_file(sources.text(file))
}

/// Parses and checks a network file, loading and checking each model file it names
/// (relative to the network file's directory, each once) into `sources`. The diagnostics
/// of a model file that fails come with the network's own.
pub fn check_network(
    sources: &mut Sources,
    file: FileId,
) -> Result<CheckedNetworkFile, Diagnostics> {
    let ast = galvani_syntax::parse_network_all(sources.text(file), file)
        .map_err(|errors| Diagnostics(errors.iter().map(|e| e.to_diagnostic()).collect()))?;
    let directory = sources
        .path(file)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut loader = NetworkModels {
        sources,
        directory,
        loaded: Vec::new(),
        diagnostics: Vec::new(),
        warnings: Vec::new(),
    };
    let result = galvani_network::check(&ast, &mut loader);
    let NetworkModels {
        mut diagnostics,
        warnings,
        ..
    } = loader;
    match result {
        Ok(network) if diagnostics.is_empty() => Ok(CheckedNetworkFile {
            file,
            network,
            warnings,
        }),
        Ok(_) => Err(Diagnostics(diagnostics)),
        Err(errors) => {
            diagnostics.extend(errors.0);
            Err(Diagnostics(diagnostics))
        }
    }
}

/// Model files of a network, each read and checked once.
struct NetworkModels<'s> {
    sources: &'s mut Sources,
    directory: PathBuf,
    loaded: Vec<(PathBuf, Result<std::sync::Arc<Model>, String>)>,
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl galvani_network::ModelLoader for NetworkModels<'_> {
    fn load(&mut self, path: &str) -> Result<std::sync::Arc<Model>, String> {
        let full = self.directory.join(path);
        if let Some((_, result)) = self.loaded.iter().find(|(p, _)| *p == full) {
            return result.clone();
        }
        let result = match self.sources.load(&full) {
            Err(DriverError::Io { source, .. }) => Err(format!("cannot be read: {source}")),
            Err(_) => Err("cannot be read".to_string()),
            Ok(model_file) => match linearize(self.sources, model_file) {
                Ok((checked, _)) => {
                    self.warnings.extend(checked.warnings);
                    Ok(std::sync::Arc::new(checked.model))
                }
                Err(diagnostics) => {
                    self.diagnostics.extend(diagnostics.0);
                    Err("has errors (shown with its own file)".to_string())
                }
            },
        };
        self.loaded.push((full, result.clone()));
        result
    }
}

/// A network population's model (checked by [`check_network`]) compiled to native code.
pub struct CompiledModel {
    pub linearized: galvani_symbolic::Linearized,
    pub program: galvani_ir::step::StepProgram,
    pub kernel: JitKernel,
}

/// Compiles a checked model with `method` (`None`: the model's default, expeuler for a
/// model with noise) and the JIT's `options` (the kernel mode): linear forms, step
/// program, JIT kernel.
pub fn compile_model(
    model: &Model,
    method: Option<galvani_ir::step::Method>,
    options: JitOptions,
) -> Result<CompiledModel, DriverError> {
    let method = method.unwrap_or_else(|| galvani_ir::step::Method::default_for(model));
    let linearized = galvani_symbolic::linearize(model).map_err(symbolic_diagnostics)?;
    linearized.verify().map_err(symbolic_diagnostics)?;
    let program =
        galvani_symbolic::discretize(&linearized, method).map_err(symbolic_diagnostics)?;
    let kernel =
        JitKernel::compile_with(&program, options, None).map_err(DriverError::CodeGeneration)?;
    Ok(CompiledModel {
        linearized,
        program,
        kernel,
    })
}

/// A model compiled to native code, ready to run: its sources, the checked model and its
/// warnings, the linear forms, the step program of one method and the JIT kernel.
pub struct Compiled {
    pub sources: Sources,
    pub checked: Checked,
    pub linearized: galvani_symbolic::Linearized,
    pub program: galvani_ir::step::StepProgram,
    pub kernel: JitKernel,
    /// Parse → JIT wall time.
    pub compile_time: Duration,
}

impl Compiled {
    pub fn model(&self) -> &Model {
        &self.checked.model
    }

    /// The experiment API over this model and its kernel.
    pub fn simulator(&self) -> Simulator<'_, JitKernel> {
        Simulator::new(&self.linearized, &self.program, &self.kernel)
    }

    /// The model file's bytes, for the provenance of what a run writes.
    pub fn model_bytes(&self) -> &[u8] {
        self.sources.text(self.checked.file).as_bytes()
    }
}

/// Where a compilation is, for a caller that shows progress (the library never prints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompileProgress {
    /// A stage starts: `"parse and check"`, `"linear forms"`, `"discretize"`, `"JIT"`.
    Stage(&'static str),
    /// The JIT compiled `done` of its `total` functions.
    Functions { done: usize, total: usize },
}

/// Reads `path` and compiles it with `method` down to a JIT kernel. On failure the
/// sources come back too, so the diagnostics can be shown against them.
pub fn compile_file(
    path: &Path,
    method: galvani_ir::step::Method,
) -> Result<Compiled, (Sources, DriverError)> {
    compile_file_reporting(path, Some(method), &mut |_| {})
}

/// As [`compile_file`], telling `progress` where it is; without a method, the model's
/// default ([`galvani_ir::step::Method::default_for`]: `expeuler` for a model with noise).
pub fn compile_file_reporting(
    path: &Path,
    method: Option<galvani_ir::step::Method>,
    progress: &mut dyn FnMut(CompileProgress),
) -> Result<Compiled, (Sources, DriverError)> {
    compile_file_with(path, method, JitOptions::default(), progress)
}

/// As [`compile_file_reporting`], with the JIT's `options` (the kernel mode: blocked or
/// the scalar reference).
pub fn compile_file_with(
    path: &Path,
    method: Option<galvani_ir::step::Method>,
    options: JitOptions,
    progress: &mut dyn FnMut(CompileProgress),
) -> Result<Compiled, (Sources, DriverError)> {
    let started = Instant::now();
    let mut sources = Sources::new();
    let file = match sources.load(path) {
        Ok(file) => file,
        Err(error) => return Err((sources, error)),
    };
    progress(CompileProgress::Stage("parse and check"));
    let checked = match check(&sources, file) {
        Ok(checked) => checked,
        Err(diagnostics) => return Err((sources, DriverError::Diagnostics(diagnostics))),
    };
    progress(CompileProgress::Stage("linear forms"));
    let (checked, linearized) = match linearize_checked(checked, sources.text(file)) {
        Ok(ok) => ok,
        Err(diagnostics) => return Err((sources, DriverError::Diagnostics(diagnostics))),
    };
    progress(CompileProgress::Stage("discretize"));
    let method =
        method.unwrap_or_else(|| galvani_ir::step::Method::default_for(linearized.model()));
    let program = match galvani_symbolic::discretize(&linearized, method) {
        Ok(program) => program,
        Err(error) => {
            return Err((
                sources,
                DriverError::Diagnostics(symbolic_diagnostics(error)),
            ))
        }
    };
    progress(CompileProgress::Stage("JIT"));
    let mut functions = |done, total| progress(CompileProgress::Functions { done, total });
    let kernel = match JitKernel::compile_with(&program, options, Some(&mut functions)) {
        Ok(kernel) => kernel,
        Err(error) => return Err((sources, DriverError::CodeGeneration(error))),
    };
    Ok(Compiled {
        sources,
        checked,
        linearized,
        program,
        kernel,
        compile_time: started.elapsed(),
    })
}
