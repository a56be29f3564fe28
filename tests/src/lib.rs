//! Shared helpers for the cross-crate test suites: loading a model file under a stable
//! display name, and rendering a failed check the way `galvani check` prints it.

use galvani::render;
use galvani_driver::{self as driver, Checked, Sources};
use std::path::Path;

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
}

/// The `.gal` files of `dir` (relative to the workspace root), sorted by path.
pub fn gal_files(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = workspace_root().join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "gal"))
        .collect();
    paths.sort();
    paths
}

/// Loads `path` into a fresh source table under its path relative to the workspace root,
/// with `/` separators, so rendered diagnostics are identical on every machine.
pub fn load(path: &Path) -> (Sources, galvani_diag::FileId) {
    let text = std::fs::read_to_string(path).expect("test input is readable UTF-8");
    let name = path
        .strip_prefix(workspace_root())
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    let mut sources = Sources::new();
    let file = sources.add(name, text);
    (sources, file)
}

/// Checks a model file, returning the checked model or the rendered diagnostics.
pub fn check_file(path: &Path) -> Result<(Sources, Checked), String> {
    let (sources, file) = load(path);
    match driver::linearize(&sources, file) {
        Ok((checked, _)) => Ok((sources, checked)),
        Err(diagnostics) => Err(render_all(&sources, diagnostics.iter())),
    }
}

/// Renders diagnostics without colour, one after the other.
pub fn render_all<'a>(
    sources: &Sources,
    diagnostics: impl Iterator<Item = &'a galvani_diag::Diagnostic>,
) -> String {
    diagnostics.map(|d| render::to_string(sources, d)).collect()
}
