//! Checks a parsed model: ast::Model -> ir::Model or diagnostics.
