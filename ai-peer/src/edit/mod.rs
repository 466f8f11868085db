//! Claude's `str_replace` edits applied live to a room document that people keep editing.
//!
//! The engine is sans-IO: the caller feeds it tool-input fragments, a clock and a `yrs::Doc`, and
//! decides when to step. The pieces, in the order an edit uses them:
//!
//! - [`InputStream`] decodes the tool input's top-level string fields while the model is still
//!   generating them, so `new_str` can be applied before the call is complete.
//! - [`resolve`] finds `old_str` in the file's *live* text: exactly, else line by line with
//!   fuzzy matching (Zed's edit agent), else it explains why not ([`Unresolved::message`]).
//! - [`LiveEdit`] pins the resolved range with `yrs::StickyIndex`es so people typing around it
//!   do not move it, then streams `new_str` into it as small character diffs and stops (never
//!   forces) when someone edits inside it.
//! - [`TokenBucket`] paces those writes so the agent types at a human-readable speed.

mod distance;
mod input;
mod live;
mod pace;
mod plan;
mod resolve;
pub(crate) mod units;

pub use input::{FieldEvent, InputStream};
pub use live::{Conflict, LiveEdit, Step};
pub use pace::TokenBucket;
pub use resolve::{Candidate, Resolved, Unresolved, resolve};

/// Tuning of resolution and streaming.
#[derive(Debug, Clone, PartialEq)]
pub struct EditSettings {
    /// Two lines match fuzzily when their normalized Levenshtein similarity is at least this.
    pub fuzzy_line_similarity: f32,
    /// A fuzzy candidate needs at least this fraction of `old_str`'s lines matching.
    pub fuzzy_min_line_fraction: f32,
    /// How many candidates an unresolved edit reports back to the model.
    pub max_candidates: usize,
    /// While `new_str` is still arriving, diff operations this close (in chars) to the end of
    /// what arrived are held back: the diff of a prefix is unstable at its tail.
    pub diff_lookahead_chars: usize,
}

impl Default for EditSettings {
    fn default() -> Self {
        Self {
            fuzzy_line_similarity: 0.8,
            fuzzy_min_line_fraction: 0.8,
            max_candidates: 3,
            diff_lookahead_chars: 32,
        }
    }
}
