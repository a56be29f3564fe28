//! galvani's views of the symbolic results for people: expression printing in three
//! syntaxes (`print`), the `explain` teaching view in four formats and the deterministic
//! text of the linear stage (`explain`), and the texts and warnings of the singularity
//! rewrites (`rewrite`). The symbolic engine computes; this crate only renders what it
//! computed.
//!
//! ```text
//! Linearized ──explain(method, format)──▶ text / markdown / LaTeX / JSON
//!            ──linear_text──────────────▶ the `--stage linear` text
//!            ──rewrite_warnings─────────▶ W0601 diagnostics
//! ```

mod events;
mod exact;
mod explain;
mod network;
mod noise;
mod print;
mod rewrite;

#[cfg(test)]
mod tests;

pub use explain::{explain, explain_in, linear_text, Format};
pub use network::explain_network;
pub use print::{Printer, Style};
pub use rewrite::rewrite_warnings;
