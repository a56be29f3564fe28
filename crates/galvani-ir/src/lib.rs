//! The checked galvani model (`ir::Model`) and everything that describes it: the
//! expression arena, physical dimensions (`Dim`), unit names and the internal unit
//! system, the deterministic text form, and a reference evaluator.

pub mod dim;
pub mod model;
pub mod step;
pub mod units;

pub use dim::Dim;
pub use model::*;
