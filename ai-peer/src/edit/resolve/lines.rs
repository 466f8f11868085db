//! The line structure of a text: where each line starts and ends, by byte offset.

use std::ops::Range;

use super::Candidate;

pub(super) struct Lines {
    /// Byte range of each line, without its newline. A final newline does not open a line.
    pub(super) spans: Vec<Range<usize>>,
}

impl Lines {
    pub(super) fn new(text: &str) -> Self {
        let mut spans = Vec::new();
        let mut start = 0;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                spans.push(start..i);
                start = i + 1;
            }
        }
        if start < text.len() || spans.is_empty() {
            spans.push(start..text.len());
        }
        Self { spans }
    }

    /// 1-based line holding byte `at`.
    pub(super) fn line_of(&self, at: usize) -> u32 {
        let idx = self.spans.partition_point(|s| s.end < at);
        idx.min(self.spans.len().saturating_sub(1)) as u32 + 1
    }

    /// The whole lines spanning `range`, as a candidate.
    pub(super) fn candidate(&self, text: &str, range: Range<usize>, similarity: f32) -> Candidate {
        let first = self.line_of(range.start);
        // A range ending with a newline ends on the line before it.
        let last_byte = if range.end > range.start {
            range.end - 1
        } else {
            range.start
        };
        let last = self.line_of(last_byte).max(first);
        self.window(
            text,
            first as usize - 1,
            (last - first) as usize + 1,
            similarity,
        )
    }

    /// Lines `first..first + n` (0-based), as a candidate.
    pub(super) fn window(&self, text: &str, first: usize, n: usize, similarity: f32) -> Candidate {
        let start = self.spans[first].start;
        let end = self.spans[first + n - 1].end;
        Candidate {
            start_line: first as u32 + 1,
            end_line: (first + n) as u32,
            similarity,
            text: text[start..end].to_owned(),
        }
    }
}
