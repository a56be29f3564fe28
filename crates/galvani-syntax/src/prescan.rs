//! The line scan that runs before pest. It cuts the file into declarations ("chunks": one
//! line, or a line that opens a `{` block through the line that closes it) and, line by
//! line, rejects what pest would report poorly or could not survive: non-ASCII characters
//! (with advice for `µ`), a first declaration that is not `model` (MISSING_MODEL), and a
//! line nested deeper than `MAX_NESTING` (TOO_DEEP).
//!
//! Recursion in the parser, the AST builder, the printer and `Drop` happens only at `(`,
//! `^`, `if` and `{`; everything else (`not not x`, `- - x`, `a + b + …`, lines) is
//! repetition. So "block depth + parenthesis depth + number of `^` + number of `if`" on
//! one line bounds the recursion depth of everything downstream of this scan.

use std::ops::Range;

use galvani_diag::{FileId, Span};

use crate::error::ParseError;
use crate::MAX_NESTING;

/// Yields the byte range of each declaration in order (blank and comment-only lines
/// between declarations are skipped), or the first problem found on the way. The first
/// chunk is the `model` line.
pub(crate) struct Chunks<'s> {
    source: &'s str,
    file: FileId,
    /// Start of the next unread line; `None` after the last line.
    next_line: Option<usize>,
    seen_declaration: bool,
    failed: bool,
}

impl<'s> Chunks<'s> {
    pub(crate) fn new(source: &'s str, file: FileId) -> Chunks<'s> {
        Chunks {
            source,
            file,
            next_line: Some(0),
            seen_declaration: false,
            failed: false,
        }
    }

    /// Reads the next line: its scan, and advances.
    fn read_line(&mut self) -> Option<LineScan> {
        let start = self.next_line?;
        let bytes = self.source.as_bytes();
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|offset| start + offset);
        self.next_line = end.map(|newline| newline + 1);
        let end = end.unwrap_or(bytes.len());
        let content_end = if end > start && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Some(LineScan {
            start,
            end: content_end,
        })
    }

    /// Checks one line that belongs to a chunk; returns the block depth after it.
    fn check_line(&self, line: &LineScan, block_depth: usize) -> Result<usize, ParseError> {
        line.check_ascii(self.source, self.file)?;
        let (depth, block_depth_after) = line.nesting(self.source, block_depth);
        if depth > MAX_NESTING {
            return Err(ParseError::LineTooDeep {
                span: Span::new(self.file, line.start, line.end),
                depth,
            });
        }
        Ok(block_depth_after)
    }

    fn next_chunk(&mut self) -> Option<Result<Range<usize>, ParseError>> {
        // Skip blank and comment-only lines (still checking their characters).
        let (first_line, token) = loop {
            let Some(line) = self.read_line() else {
                if !self.seen_declaration {
                    self.seen_declaration = true;
                    let end = self.source.len();
                    return Some(Err(ParseError::MissingModel {
                        span: Span::new(self.file, end, end),
                        found: None,
                    }));
                }
                return None;
            };
            match line.first_token(self.source) {
                Some(token) => break (line, token),
                None => {
                    if let Err(error) = line.check_ascii(self.source, self.file) {
                        return Some(Err(error));
                    }
                }
            }
        };
        if !self.seen_declaration {
            self.seen_declaration = true;
            if let Err(error) = check_model_first(self.source, self.file, token) {
                return Some(Err(error));
            }
        }
        let chunk_start = token.0;
        let mut chunk_end = first_line.end;
        let mut block_depth = match self.check_line(&first_line, 0) {
            Ok(depth) => depth,
            Err(error) => return Some(Err(error)),
        };
        // A block continues until its braces balance (or the file ends: pest then
        // reports the unclosed `{`).
        while block_depth > 0 {
            let Some(line) = self.read_line() else { break };
            block_depth = match self.check_line(&line, block_depth) {
                Ok(depth) => depth,
                Err(error) => return Some(Err(error)),
            };
            chunk_end = line.end;
        }
        Some(Ok(chunk_start..chunk_end))
    }
}

impl Iterator for Chunks<'_> {
    type Item = Result<Range<usize>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let chunk = self.next_chunk();
        self.failed = matches!(chunk, Some(Err(_)));
        chunk
    }
}

/// One line without its line ending.
struct LineScan {
    start: usize,
    end: usize,
}

/// A byte class of one line: code, inside a string (quotes included) or comment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    Code,
    String,
    Comment,
}

impl LineScan {
    /// Walks the line's characters with their region; stops when `visit` returns false.
    fn walk(&self, source: &str, mut visit: impl FnMut(usize, char, Region) -> bool) {
        let mut in_string = false;
        let mut in_comment = false;
        for (offset, character) in source[self.start..self.end].char_indices() {
            let index = self.start + offset;
            let region = if in_comment {
                Region::Comment
            } else if character == '#' && !in_string {
                in_comment = true;
                Region::Comment
            } else if character == '"' {
                in_string = !in_string;
                Region::String
            } else if in_string {
                Region::String
            } else {
                Region::Code
            };
            if !visit(index, character, region) {
                return;
            }
        }
    }

    /// The first token of a line that holds a declaration: `(start, end)`, or `None` for
    /// blank and comment-only lines. A word is the whole identifier; anything else is
    /// one character.
    fn first_token(&self, source: &str) -> Option<(usize, usize)> {
        let mut token = None;
        self.walk(source, |index, character, region| {
            let leading_bom = index == 0 && character == '\u{FEFF}';
            if region == Region::Comment {
                return false;
            }
            if character == ' ' || character == '\t' || leading_bom {
                return true;
            }
            let end = if is_word_char(character) {
                word_end(source, index)
            } else {
                index + character.len_utf8()
            };
            token = Some((index, end));
            false
        });
        token
    }

    /// Non-ASCII text is allowed in comments and strings only (and a byte-order mark at
    /// the very start of the file).
    fn check_ascii(&self, source: &str, file: FileId) -> Result<(), ParseError> {
        let mut error = None;
        self.walk(source, |index, character, region| {
            let leading_bom = index == 0 && character == '\u{FEFF}';
            if !character.is_ascii() && region == Region::Code && !leading_bom {
                error = Some(ParseError::NonAscii {
                    character,
                    span: Span::new(file, index, index + character.len_utf8()),
                });
                return false;
            }
            true
        });
        error.map_or(Ok(()), Err)
    }

    /// `(nesting measure of this line, block depth after it)`. The measure is the deepest
    /// block on the line + the deepest `(` + every `^` + every `if`.
    fn nesting(&self, source: &str, block_depth_before: usize) -> (usize, usize) {
        let bytes = source.as_bytes();
        let mut paren_depth: usize = 0;
        let mut max_paren_depth: usize = 0;
        let mut block_depth = block_depth_before;
        let mut max_block_depth = block_depth_before;
        let mut carets: usize = 0;
        let mut ifs: usize = 0;
        let mut previous_was_word = false;
        self.walk(source, |index, character, region| {
            if region != Region::Code {
                previous_was_word = false;
                return region != Region::Comment;
            }
            match character {
                '(' => {
                    paren_depth += 1;
                    max_paren_depth = max_paren_depth.max(paren_depth);
                }
                ')' => paren_depth = paren_depth.saturating_sub(1),
                '{' => {
                    block_depth += 1;
                    max_block_depth = max_block_depth.max(block_depth);
                }
                '}' => block_depth = block_depth.saturating_sub(1),
                '^' => carets += 1,
                'i' if !previous_was_word
                    && bytes.get(index + 1) == Some(&b'f')
                    && !bytes
                        .get(index + 2)
                        .is_some_and(|&b| is_word_char(char::from(b))) =>
                {
                    ifs += 1;
                }
                _ => {}
            }
            previous_was_word = is_word_char(character);
            true
        });
        (
            max_block_depth + max_paren_depth + carets + ifs,
            block_depth,
        )
    }
}

fn is_word_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_'
}

/// The end of the identifier-like word starting at `start`.
fn word_end(source: &str, start: usize) -> usize {
    source[start..]
        .char_indices()
        .find(|&(_, c)| !is_word_char(c))
        .map_or(source.len(), |(offset, _)| start + offset)
}

/// The first declaration must be `model` (or `network`, in a network file).
fn check_model_first(
    source: &str,
    file: FileId,
    (start, end): (usize, usize),
) -> Result<(), ParseError> {
    let token = &source[start..end];
    if token == "model" || token == "network" {
        return Ok(());
    }
    if let Some(character) = token.chars().next().filter(|c| !c.is_ascii()) {
        return Err(ParseError::NonAscii {
            character,
            span: Span::new(file, start, end),
        });
    }
    Err(ParseError::MissingModel {
        span: Span::new(file, start, end),
        found: Some(crate::humanize::shorten(token)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(line: &str, block_depth: usize) -> (usize, usize) {
        LineScan {
            start: 0,
            end: line.len(),
        }
        .nesting(line, block_depth)
    }

    fn chunks(source: &str) -> Vec<&str> {
        Chunks::new(source, FileId(0))
            .map(|chunk| &source[chunk.expect("no error")])
            .collect()
    }

    #[test]
    fn the_nesting_measure_counts_parentheses_powers_ifs_and_blocks() {
        assert_eq!(measure("x = (a + (b)) * (c)", 0), (2, 0));
        assert_eq!(measure("x = a^b^c", 0), (2, 0));
        assert_eq!(
            measure("x = if a then (if b then c else d) else e", 0),
            (3, 0)
        );
        // Words that merely contain `if` do not count, nor do comments and strings.
        assert_eq!(measure("iffy = diff + if_x # if ((((", 0), (0, 0));
        assert_eq!(measure("model m \"if ((\"", 0), (0, 0));
        assert_eq!(measure("on x > 0 {", 2), (3, 3));
        assert_eq!(measure("}", 3), (3, 2));
        // Unbalanced closers never go below zero.
        assert_eq!(measure(")) (", 0), (1, 0));
        assert_eq!(measure("}}", 1), (1, 0));
    }

    #[test]
    fn chunks_are_declarations_with_their_blocks() {
        let source = "# c\nmodel m\n\nx = 1 # c\ngate g {\n  alpha = 1\n\n}\non a {}\n  y = 2";
        assert_eq!(
            chunks(source),
            [
                "model m",
                "x = 1 # c",
                "gate g {\n  alpha = 1\n\n}",
                "on a {}",
                "y = 2"
            ]
        );
        // A block that never closes runs to the end of the file.
        assert_eq!(
            chunks("model m\non a {\nx = 1\n"),
            ["model m", "on a {\nx = 1\n"]
        );
        // CRLF: the chunk ends before the carriage return.
        assert_eq!(chunks("model m\r\nx = 1\r\n"), ["model m", "x = 1"]);
    }

    #[test]
    fn the_first_problem_stops_the_scan() {
        let mut scan = Chunks::new("model m\nx = µ\ny = 1\n", FileId(0));
        assert!(matches!(scan.next(), Some(Ok(_))));
        assert!(matches!(
            scan.next(),
            Some(Err(ParseError::NonAscii { .. }))
        ));
        assert!(scan.next().is_none());
    }
}
