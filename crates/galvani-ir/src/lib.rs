//! The checked galvani model (`ir::Model`) and everything that describes it: the
//! expression arena, physical dimensions (`Dim`), unit names and the internal unit
//! system, the deterministic text form, and a reference evaluator.

pub mod builtins;
pub mod dim;
pub mod eval;
pub mod model;
pub mod propagator;
pub mod step;
pub mod step_text;
pub mod text;
pub mod units;
pub mod verify;

pub use dim::Dim;
pub use model::*;
