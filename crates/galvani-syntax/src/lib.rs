//! The `.gal` syntax: pest grammar, parser into the spanned `ast::Model`, AST text form.
pub mod ast;
