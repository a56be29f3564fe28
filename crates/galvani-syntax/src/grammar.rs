//! The pest parser generated from `grammar.pest`. Private to the crate: `Rule` and pest's
//! pairs never appear in the public API.

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub(crate) struct GalParser;
