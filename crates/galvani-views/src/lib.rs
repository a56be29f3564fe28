//! galvani's views of the symbolic results for people: the `explain` teaching view in
//! four formats and the deterministic text of the linear stage. The symbolic engine
//! computes; this crate only renders what it computed.
//!
//! ```text
//! Linearized ──explain(method, format)──▶ text / markdown / LaTeX / JSON
//!            ──linear_text──────────────▶ the `--stage linear` text
//! ```

mod explain;

#[cfg(test)]
mod tests;

pub use explain::{explain, explain_in, linear_text, Format};
