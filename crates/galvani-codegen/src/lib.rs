//! galvani code generator: turns a `StepProgram` into something that runs — native code
//! through Cranelift (`JitKernel`) or the reference interpreter (`Interpreter`). Both
//! implement `galvani_kernel::Kernel` and execute the same validated `plan`, on the same
//! structure-of-arrays `galvani_kernel::Population`; the runtime is generic over them and
//! never sees Cranelift.
//!
//! ```text
//! StepProgram ──plan (validate, resolve slots)──▶ Plan per block ──chunk (split if large)
//!            ──lower──▶ CLIF ──JIT──▶ JitKernel
//! Plan per block ──────────▶ Interpreter
//! ```

// Hand-built programs for tests and benchmarks (`test-support`, off by default): `builder`
// carries a second, independent discretiser that production code must never reach.
mod blocked;
#[cfg(feature = "test-support")]
pub mod builder;
mod chunk;
#[cfg(feature = "test-support")]
pub mod examples;
mod interp;
mod jit;
mod lower;
pub mod math;
mod plan;

pub use chunk::MAX_CHUNK_OPS;
pub use interp::Interpreter;
pub use jit::{FunctionStats, JitKernel, JitOptions, KernelMode};
pub use lower::{clif_text, clif_text_with};
pub use plan::ProgramDefect;

use thiserror::Error;

/// Why a program could not be compiled.
#[derive(Debug, Error)]
pub enum CodegenError {
    /// The program breaks the `StepProgram` contract (a compiler bug upstream).
    #[error("invalid step program in block `{block}`: {defect}")]
    InvalidProgram {
        block: String,
        defect: ProgramDefect,
    },
    /// Cranelift does not support this machine.
    #[error("this machine is not supported by the code generator: {0}")]
    UnsupportedHost(String),
    /// A Cranelift setting was rejected.
    #[error("code generator setting rejected: {0}")]
    Settings(String),
    /// The Cranelift verifier rejected a generated function (a code generator bug).
    #[error("generated function `{function}` failed verification:\n{errors}")]
    Verifier { function: String, errors: String },
    /// Declaring, compiling or linking a function failed.
    #[error("JIT module error: {0}")]
    Module(#[from] Box<cranelift_module::ModuleError>),
}

impl CodegenError {
    fn module(error: cranelift_module::ModuleError) -> CodegenError {
        CodegenError::Module(Box::new(error))
    }
}
