//! galvani's kernel contract: the `Kernel` trait (an executable `StepProgram`), the
//! structure-of-arrays `Population` it runs on with its `Shape`, the `BlockKind`s and
//! `BlockArgs` of a call, `KernelError`, and `check_call`, the validation every call passes
//! before touching the buffers.
//!
//! This crate knows no code generator: the JIT and the reference interpreter of
//! `galvani-codegen` implement `Kernel`, and the runtime runs any `Kernel` without depending
//! on Cranelift.
//!
//! ```text
//! galvani-codegen (JitKernel, Interpreter) ──impl──▶ Kernel ◀──runs── galvani-runtime
//! ```

mod kernel;
mod population;
mod team;

pub use kernel::{check_call, BlockArgs, BlockKind, Kernel, KernelError};
pub use population::{stride_of, BlockStatus, EventArray, Population, Shape, BLOCK};
pub use team::{Team, SPIN};
