//! Writing results without ever destroying an input or an earlier result. Every output
//! is first written to a temporary file beside its target and renamed over it only when
//! the whole command has succeeded ([`StagedFile`]), so a run that fails leaves the
//! previous files and their sidecars as they were. Before anything is written,
//! [`check_outputs`] refuses an output that is an input (the model, a `file(…)` CSV —
//! through symlinks and hard links too) and two outputs that are one file (sidecars
//! included).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// One output on its way to its target.
pub struct StagedFile {
    target: PathBuf,
    /// `None` for a target that is not a regular file (`/dev/null`, a FIFO): written in
    /// place, since there is nothing to keep and nothing to rename over.
    staged: Option<NamedTempFile>,
    direct: Option<File>,
}

impl StagedFile {
    /// A temporary file in the target's directory, named like the target's extension (so
    /// a writer that looks at the extension, such as a plot, sees the same one).
    pub fn create(target: &Path) -> io::Result<StagedFile> {
        if !is_regular_or_new(target) {
            return Ok(StagedFile {
                target: target.to_path_buf(),
                staged: None,
                direct: Some(File::options().write(true).open(target)?),
            });
        }
        let directory = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let suffix = target
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        builder.prefix(".galvani-").suffix(&suffix);
        // A temporary file is private (0600); the result gets the permissions the target
        // had, or those of an ordinary new file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let permissions = std::fs::metadata(target)
                .map(|m| m.permissions())
                .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
            builder.permissions(permissions);
        }
        // tempfile's error names the temporary file ("… at path /d/.galvani-x1Y2.csv"),
        // which the user never asked for: keep the OS error, the caller names the target.
        // (tempfile keeps the OS error only in that text: cut the path off).
        let staged = builder.tempfile_in(directory).map_err(|e| {
            let text = e.to_string();
            let os_error = text.split(" at path ").next().unwrap_or_default();
            io::Error::new(e.kind(), os_error.to_string())
        })?;
        Ok(StagedFile {
            target: target.to_path_buf(),
            staged: Some(staged),
            direct: None,
        })
    }

    /// Where to write now: the temporary file, or the target itself for a device.
    pub fn path(&self) -> &Path {
        match &self.staged {
            Some(staged) => staged.path(),
            None => &self.target,
        }
    }

    /// A handle to write through.
    pub fn file(&self) -> io::Result<File> {
        match (&self.staged, &self.direct) {
            (Some(staged), _) => staged.as_file().try_clone(),
            (None, Some(direct)) => direct.try_clone(),
            (None, None) => Err(io::Error::other("no file to write to")),
        }
    }

    /// False for a device or a FIFO: such an output gets no sidecar (`/dev/null.json`
    /// would be a stray file).
    pub fn is_regular(&self) -> bool {
        self.staged.is_some()
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary file over the target.
    pub fn commit(self) -> io::Result<()> {
        match self.staged {
            Some(staged) => staged
                .persist(&self.target)
                .map(|_| ())
                .map_err(|e| e.error),
            None => Ok(()),
        }
    }
}

/// Whether an output at `path` gets a sidecar: a regular file or a new one does, a
/// device (`/dev/null`) or a FIFO does not.
pub fn gets_sidecar(path: &Path) -> bool {
    is_regular_or_new(path)
}

/// A regular file, or nothing yet (a symlink is followed).
fn is_regular_or_new(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(metadata) => metadata.is_file(),
        Err(_) => true,
    }
}

/// Why a set of outputs cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathClash {
    #[error("`{output}` is an input of this run (`{input}`): writing it would destroy it")]
    OutputIsInput { output: PathBuf, input: PathBuf },
    #[error("`{first}` and `{second}` are the same file")]
    SameOutput { first: PathBuf, second: PathBuf },
}

/// What identifies a file: its device and inode when it exists (so a hard link or a
/// symlink is the file it names), else its canonical directory and name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    if let Ok(metadata) = std::fs::metadata(path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            return Identity::Inode(metadata.dev(), metadata.ino());
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
        }
    }
    let canonical = std::fs::canonicalize(path).ok().or_else(|| {
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        Some(std::fs::canonicalize(parent).ok()?.join(path.file_name()?))
    });
    Identity::Path(canonical.unwrap_or_else(|| path.to_path_buf()))
}

/// Refuses outputs that are inputs and outputs that are one file. Devices (`/dev/null`)
/// may be named more than once: nothing is kept there.
pub fn check_outputs(inputs: &[&Path], outputs: &[&Path]) -> Result<(), PathClash> {
    let input_ids: Vec<(Identity, &Path)> = inputs.iter().map(|p| (identity(p), *p)).collect();
    let mut seen: Vec<(Identity, &Path)> = Vec::new();
    for output in outputs {
        let id = identity(output);
        if let Some((_, input)) = input_ids.iter().find(|(i, _)| *i == id) {
            return Err(PathClash::OutputIsInput {
                output: output.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
        if !is_regular_or_new(output) {
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(i, _)| *i == id) {
            return Err(PathClash::SameOutput {
                first: first.to_path_buf(),
                second: output.to_path_buf(),
            });
        }
        seen.push((id, output));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_file_replaces_its_target_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        {
            let staged = StagedFile::create(&target).unwrap();
            std::io::Write::write_all(&mut staged.file().unwrap(), b"new").unwrap();
            assert!(staged.path().extension().is_some_and(|e| e == "csv"));
            // Dropped without a commit: a failed run.
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let staged = StagedFile::create(&target).unwrap();
        std::io::Write::write_all(&mut staged.file().unwrap(), b"new").unwrap();
        staged.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_that_are_inputs_or_each_other_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gal");
        std::fs::write(&model, "model m").unwrap();
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&model, &hard).unwrap();
        let soft = dir.path().join("soft.csv");
        std::os::unix::fs::symlink(&model, &soft).unwrap();
        let inputs = [model.as_path()];
        for output in [&model, &hard, &soft] {
            assert!(
                matches!(
                    check_outputs(&inputs, &[output.as_path()]),
                    Err(PathClash::OutputIsInput { .. })
                ),
                "{}",
                output.display()
            );
        }
        let a = dir.path().join("a.csv");
        let same = dir.path().join(".").join("a.csv");
        assert!(matches!(
            check_outputs(&inputs, &[a.as_path(), same.as_path()]),
            Err(PathClash::SameOutput { .. })
        ));
        let b = dir.path().join("b.csv");
        assert_eq!(check_outputs(&inputs, &[a.as_path(), b.as_path()]), Ok(()));
        let null = Path::new("/dev/null");
        assert_eq!(check_outputs(&inputs, &[null, null]), Ok(()));
    }
}
