//! galvani symbolic engine.
