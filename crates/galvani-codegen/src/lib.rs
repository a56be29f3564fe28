//! galvani code generator.
