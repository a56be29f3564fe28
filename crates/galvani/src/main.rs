//! The `galvani` binary: runs the command line on a thread with a generous stack and turns
//! any panic into an internal-error report (exit status 3) instead of a Rust backtrace.

use std::process::ExitCode;

/// Deeply nested (but legal) expressions recurse in the front end; the parser bounds the
/// depth, and this stack leaves a wide margin above that bound.
const STACK_SIZE: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    // A panic is a bug in galvani: say so once, plainly, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        eprintln!(
            "bug: internal error: galvani panicked{location}: {payload}\n  = note: this is a bug in galvani, not in your model; please report it with the model file and command line"
        );
    }));
    let worker = std::thread::Builder::new()
        .name("galvani".into())
        .stack_size(STACK_SIZE)
        .spawn(|| {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            galvani::cli::main_with_args(std::env::args_os(), &mut out)
        });
    match worker.map(|handle| handle.join()) {
        Ok(Ok(exit)) => ExitCode::from(exit.code()),
        Ok(Err(_panic)) => ExitCode::from(galvani::cli::Exit::Internal.code()),
        Err(err) => {
            eprintln!("bug: internal error: cannot start the worker thread: {err}");
            ExitCode::from(galvani::cli::Exit::Internal.code())
        }
    }
}
