//! Renders plain-data `Diagnostic`s with codespan-reporting, in the style of rustc:
//! `error[E0302]: …`, `--> file:line:col`, the span underlined, secondary labels, then
//! `= note:` and `= help:` lines. This is the only place diagnostics become text.

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity,
};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use galvani_diag::{Diagnostic, Severity};
use galvani_driver::Sources;
use std::io::Write;

fn to_codespan(diagnostic: &Diagnostic) -> CsDiagnostic<usize> {
    let severity = match diagnostic.severity {
        Severity::Bug => CsSeverity::Bug,
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Note => CsSeverity::Note,
    };
    let labels = diagnostic
        .labels
        .iter()
        .map(|label| {
            let make = if label.primary {
                CsLabel::primary
            } else {
                CsLabel::secondary
            };
            make(label.span.file.0 as usize, label.span.range()).with_message(&label.message)
        })
        .collect();
    let notes = diagnostic
        .notes
        .iter()
        .map(|n| format!("note: {n}"))
        .chain(diagnostic.hints.iter().map(|h| format!("help: {h}")))
        .collect();
    let mut out = CsDiagnostic::new(severity)
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes);
    if let Some(code) = diagnostic.code {
        out = out.with_code(code.0);
    }
    out
}

/// codespan's file table of `sources` (the same file ids, in the same order).
fn file_table(sources: &Sources) -> SimpleFiles<&str, &str> {
    let mut files = SimpleFiles::new();
    for (_, name, text) in sources.iter() {
        files.add(name, text);
    }
    files
}

/// The diagnostic as it would be printed, without colour (snapshots, pipes).
pub fn to_string(sources: &Sources, diagnostic: &Diagnostic) -> String {
    let config = Config::default();
    let rendered = to_codespan(diagnostic);
    match term::emit_into_string(&config, &file_table(sources), &rendered) {
        Ok(text) => text,
        // A span outside its file would be a bug upstream; still say what went wrong.
        Err(_) => to_codespan_fallback(diagnostic),
    }
}

/// Without source snippets: used only if a span does not fit its file.
fn to_codespan_fallback(diagnostic: &Diagnostic) -> String {
    let mut out = String::new();
    let head = match diagnostic.severity {
        Severity::Bug => "bug",
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    match diagnostic.code {
        Some(code) => out.push_str(&format!("{head}[{code}]: {}\n", diagnostic.message)),
        None => out.push_str(&format!("{head}: {}\n", diagnostic.message)),
    }
    for note in &diagnostic.notes {
        out.push_str(&format!("  = note: {note}\n"));
    }
    for hint in &diagnostic.hints {
        out.push_str(&format!("  = help: {hint}\n"));
    }
    out
}

/// Whether diagnostics on stderr get colour: only on a terminal, never with `NO_COLOR`.
pub fn stderr_wants_colour() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Prints diagnostics to stderr, coloured when [`stderr_wants_colour`].
pub fn emit_stderr(sources: &Sources, diagnostics: &[Diagnostic]) {
    if stderr_wants_colour() {
        use term::termcolor::{ColorChoice, StandardStream};
        let stream = StandardStream::stderr(ColorChoice::Always);
        let styles = term::Styles::default();
        let mut writer = term::StylesWriter::new(stream.lock(), &styles);
        let config = Config::default();
        let files = file_table(sources);
        for diagnostic in diagnostics {
            let rendered = to_codespan(diagnostic);
            if term::emit_to_write_style(&mut writer, &config, &files, &rendered).is_err() {
                let _ = write!(writer, "{}", to_codespan_fallback(diagnostic));
            }
        }
    } else {
        let mut stderr = std::io::stderr().lock();
        for diagnostic in diagnostics {
            let _ = write!(stderr, "{}", to_string(sources, diagnostic));
        }
    }
}
