//! The galvani driver library.
