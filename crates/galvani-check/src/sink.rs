//! Where the checker's passes put errors. After [`MAX_ERRORS`] it only counts, and the
//! closures that build errors (which may compute "did you mean" suggestions over every
//! name in the model) are no longer called, so a huge broken file stays fast. Identical
//! diagnostics (the same message at the same place, e.g. from a function body inlined at
//! several calls) are kept once.

use crate::error::CheckError;
use galvani_diag::Span;
use std::collections::HashSet;

/// Errors reported in full; the rest are counted in a final note.
pub const MAX_ERRORS: usize = 100;

pub struct Sink {
    errors: Vec<CheckError>,
    seen: HashSet<(Option<Span>, String)>,
    omitted: usize,
}

impl Sink {
    pub fn new() -> Sink {
        Sink {
            errors: Vec::new(),
            seen: HashSet::new(),
            omitted: 0,
        }
    }

    /// Records the error `make` builds, unless the cap is reached or the same diagnostic
    /// was already recorded.
    pub fn push(&mut self, make: impl FnOnce() -> CheckError) {
        if self.errors.len() >= MAX_ERRORS {
            self.omitted += 1;
            return;
        }
        let error = make();
        let key = (error.primary_span(), error.to_diagnostic().message);
        if self.seen.insert(key) {
            self.errors.push(error);
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors sorted by position (stable: equal positions keep the order found),
    /// followed by a "…and N more" note at `end` when some were only counted.
    pub fn finish(mut self, end: Span) -> Vec<CheckError> {
        self.errors
            .sort_by_key(|e| e.primary_span().map(|s| (s.file, s.start, s.end)));
        if self.omitted > 0 {
            self.errors.push(CheckError::TooManyErrors {
                omitted: self.omitted,
                span: end,
            });
        }
        self.errors
    }
}
