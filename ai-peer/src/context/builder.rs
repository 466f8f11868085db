//! Fills a model's token budget in priority order and lays the request out stable prefix
//! first, so provider prompt caching keeps working from turn to turn.
//!
//! Priority: system prompt and tools (never trimmed), the current message (never dropped),
//! the file tree, target files, windows around cursors, outlines of other files, then older
//! conversation, newest first. Each step takes only what still fits.

use std::collections::HashSet;

use super::docs::{self, Span};
use super::input::{BudgetSettings, Built, ContextInput, Cursor, FileDoc, Report};
use super::tokens::{estimate_block, estimate_message, estimate_request, estimate_system_block};
use super::turns;
use crate::models::ModelSpec;
use crate::{AiError, Block, Message, Request, SystemBlock};

/// Documents at least this large get a cache breakpoint of their own (the smallest prefix
/// the providers cache is 1024 tokens on most models).
pub const DOCS_CACHE_POINT_MIN_TOKENS: u64 = 1024;

/// Builds the request for `spec` from `input`, within `settings`' budget.
pub fn build(
    input: &ContextInput,
    spec: &ModelSpec,
    settings: &BudgetSettings,
) -> Result<Built, AiError> {
    let budget = settings
        .budget_tokens
        .min(spec.context_window)
        .saturating_sub(u64::from(input.max_tokens));
    let units = turns::units(&input.history)?;
    let mut report = Report {
        budget,
        ..Report::default()
    };

    // (1) System prompt and tools: the cached prefix, never trimmed.
    let mut request = Request {
        system: Vec::new(),
        messages: Vec::new(),
        tools: input.tools.clone(),
        cache_tools: !input.tools.is_empty(),
        max_tokens: input.max_tokens,
        temperature: None,
        stop_sequences: Vec::new(),
    };
    if !input.system.is_empty() {
        request.system.push(SystemBlock::Text(input.system.clone()));
    }
    let fixed = estimate_request(&request, spec);
    if fixed > budget {
        return Err(AiError::Invalid(format!(
            "system prompt and tools need about {fixed} tokens, over the budget of {budget}"
        )));
    }

    // The current unit is reserved before any document, and room for the note that would
    // replace dropped history.
    let (current, older) = match units.split_last() {
        Some((last, rest)) => (last.clone(), rest),
        None => return Err(AiError::Invalid("conversation history is empty".into())),
    };
    let cost = |range: std::ops::Range<usize>| -> u64 {
        input.history[range]
            .iter()
            .map(|m| estimate_message(m, spec))
            .sum()
    };
    let note_reserve = if older.is_empty() {
        0
    } else {
        estimate_block(&Block::Text(turns::omitted_note(current.start)), spec)
    };
    let reserved = cost(current.clone()) + note_reserve;
    if fixed + reserved > budget {
        return Err(AiError::Invalid(format!(
            "the current message needs about {reserved} tokens; with the system prompt and tools \
             ({fixed}) that is over the budget of {budget}"
        )));
    }
    let mut free = budget - fixed - reserved;

    // (2) The file tree, cut short when it does not fit.
    if let Some((tree, truncated)) = fit_tree(&input.file_tree, spec, &mut free) {
        request.system.push(SystemBlock::Text(tree));
        report.tree_truncated = truncated;
    } else {
        report.tree_truncated = !input.file_tree.is_empty();
    }
    if !request.system.is_empty() {
        request.system.push(SystemBlock::CachePoint);
    }

    // (3)-(5) The documents.
    let docs = Docs {
        input,
        spec,
        settings,
    };
    let blocks = docs.fill(&mut free, &mut report);

    // (6) Older conversation, newest first, whole units, contiguous.
    let mut first_kept = current.start;
    for unit in older.iter().rev() {
        let c = cost(unit.clone());
        if c > free {
            break;
        }
        free -= c;
        first_kept = unit.start;
    }
    report.dropped_messages = first_kept;

    let mut messages: Vec<Message> = input.history[first_kept..].to_vec();
    // The builder places the breakpoints (at most three), leaving one for the caller.
    for m in &mut messages {
        m.content.retain(|b| !matches!(b, Block::CachePoint));
    }
    let mut lead: Vec<Block> = blocks;
    let docs_tokens: u64 = lead.iter().map(|b| estimate_block(b, spec)).sum();
    if docs_tokens >= DOCS_CACHE_POINT_MIN_TOKENS {
        lead.push(Block::CachePoint);
    }
    if first_kept > 0 {
        lead.push(Block::Text(turns::omitted_note(first_kept)));
    }
    // `units` guarantees a first message, a user message without tool results.
    if let Some(first) = messages.first_mut() {
        lead.append(&mut first.content);
        first.content = lead;
    }
    request.messages = messages;
    report.estimated_tokens = estimate_request(&request, spec);
    Ok(Built { request, report })
}

/// The tree text showing as many paths as fit in `free` (and whether it is cut), or `None`
/// when not even the count of the missing fits (or there is no tree).
fn fit_tree(paths: &[String], spec: &ModelSpec, free: &mut u64) -> Option<(String, bool)> {
    if paths.is_empty() {
        return None;
    }
    let cost =
        |shown: usize| estimate_system_block(&SystemBlock::Text(docs::tree(paths, shown)), spec);
    let whole = cost(paths.len());
    if whole <= *free {
        *free -= whole;
        return Some((docs::tree(paths, paths.len()), false));
    }
    if cost(0) > *free {
        return None;
    }
    // Below the whole list the cost only grows with the paths shown: the largest that fits.
    let (mut lo, mut hi) = (0, paths.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if cost(mid) <= *free {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    *free -= cost(lo);
    Some((docs::tree(paths, lo), true))
}

/// Steps (3) to (5): targets, windows, outlines, as blocks for the first user message.
struct Docs<'a> {
    input: &'a ContextInput,
    spec: &'a ModelSpec,
    settings: &'a BudgetSettings,
}

impl Docs<'_> {
    fn fill(&self, free: &mut u64, report: &mut Report) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for doc in &self.input.targets {
            if !seen.insert(&doc.path) {
                continue;
            }
            if self.take(docs::full(doc), free, &mut blocks) {
                report.included_full.push(doc.path.clone());
            } else {
                self.windows(doc, free, &mut blocks, report);
            }
        }
        for doc in &self.input.cursor_files {
            if seen.insert(&doc.path) {
                self.windows(doc, free, &mut blocks, report);
            }
        }
        for doc in &self.input.others {
            if !seen.insert(&doc.path) {
                continue;
            }
            if self.take(
                docs::outlined(doc, self.settings.outline_lines),
                free,
                &mut blocks,
            ) {
                report.outlined.push(doc.path.clone());
            } else {
                report.omitted_files.push(doc.path.clone());
            }
        }
        blocks
    }

    /// Windows around the cursors in `doc` (its head when there are none), each taken if it
    /// fits; the file is omitted when none does. An empty file is shown whole.
    fn windows(&self, doc: &FileDoc, free: &mut u64, blocks: &mut Vec<Block>, report: &mut Report) {
        let total = docs::line_count(&doc.text);
        if total == 0 {
            if self.take(docs::full(doc), free, blocks) {
                report.included_full.push(doc.path.clone());
            } else {
                report.omitted_files.push(doc.path.clone());
            }
            return;
        }
        let cursors: Vec<&Cursor> = self
            .input
            .cursors
            .iter()
            .filter(|c| c.path == doc.path)
            .collect();
        let lines: Vec<u32> = cursors.iter().map(|c| c.line).collect();
        let radius = self.settings.window_lines;
        let spans: Vec<Span> = if lines.is_empty() {
            vec![docs::head(total, radius)]
        } else {
            docs::merged_windows(total, &lines, radius)
        };
        let mut any = false;
        for span in spans {
            if self.take(docs::window(doc, span, &cursors), free, blocks) {
                report.windows.push((doc.path.clone(), span.0, span.1));
                any = true;
            }
        }
        if !any {
            report.omitted_files.push(doc.path.clone());
        }
    }

    /// Adds `text` as a block when it fits in `free`.
    fn take(&self, text: String, free: &mut u64, blocks: &mut Vec<Block>) -> bool {
        let block = Block::Text(text);
        let cost = estimate_block(&block, self.spec);
        if cost > *free {
            return false;
        }
        *free -= cost;
        blocks.push(block);
        true
    }
}

#[cfg(test)]
mod tests;
