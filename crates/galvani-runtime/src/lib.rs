//! galvani runtime.
