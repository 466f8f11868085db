//! The router's difficulty score: a few visible signals of a request, weighed by named
//! constants, so a routing decision can be explained from its inputs.

use super::{RouteInput, RouterSettings};

/// For each file in scope beyond the first: work that spans files needs the strong model.
pub const PER_EXTRA_FILE: i32 = 1;
/// A prompt above `long_context_tokens`: long reasoning over much context.
pub const LONG_PROMPT: i32 = 2;
/// Edit tools offered with `multi_file` or more files in scope: a multi-file edit.
pub const MULTI_FILE_EDIT: i32 = 2;
/// A short question (fewer than `short_chars` characters) that is not a multi-file edit.
pub const SHORT_QUESTION: i32 = -2;
/// The request mentions work the strong model does better (counted once, however many match).
pub const HARD_WORDS: i32 = 2;
/// The request mentions work the fast model does well (counted once).
pub const EASY_WORDS: i32 = -2;

/// Word beginnings, so "refactoring", "migration" and "debugging" match too. A phrase matches
/// whole words in order, whatever punctuation or spacing is between them.
const HARD: &[&str] = &[
    "refactor",
    "across",
    "all files",
    "every file",
    "architect",
    "design",
    "migrat",
    "debug",
];
const EASY: &[&str] = &["explain", "what is", "what's", "why", "summar", "rename"];

/// The score of `input`; the strong model is chosen when it reaches `strong_score`.
pub fn score(input: &RouteInput<'_>, settings: &RouterSettings) -> i32 {
    let files = input.files_in_scope;
    let extra_files = i32::try_from(files.saturating_sub(1)).unwrap_or(i32::MAX);
    let multi_file_edit = input.offers_edit_tools && files >= settings.multi_file;
    let short = input.last_user_text.chars().count() < settings.short_chars;
    let text = words(input.last_user_text);

    let mut score = extra_files.saturating_mul(PER_EXTRA_FILE);
    if input.estimated_prompt_tokens > settings.long_context_tokens {
        score += LONG_PROMPT;
    }
    if multi_file_edit {
        score += MULTI_FILE_EDIT;
    }
    // Short and at most a single-file edit: a question or a small change.
    if short && !multi_file_edit {
        score += SHORT_QUESTION;
    }
    if mentions(&text, HARD) {
        score += HARD_WORDS;
    }
    if mentions(&text, EASY) {
        score += EASY_WORDS;
    }
    score
}

/// The text lowercased as its words, each preceded by one space (" what is this"), so a word
/// beginning or a phrase is a plain substring search.
fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for word in text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
    {
        out.push(' ');
        // A typographic apostrophe ("what’s") matches the keyboard one.
        out.extend(
            word.replace('\u{2019}', "'")
                .chars()
                .flat_map(char::to_lowercase),
        );
    }
    out
}

fn mentions(words: &str, keys: &[&str]) -> bool {
    keys.iter().any(|key| words.contains(&format!(" {key}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_word_beginnings_and_phrases() {
        let cases = [
            ("Refactoring the parser", HARD, true),
            ("a MIGRATION plan", HARD, true),
            ("apply it to all\n  files", HARD, true),
            ("the redesign", HARD, false), // not a word beginning
            ("Explain this function.", EASY, true),
            ("What is a CRDT?", EASY, true),
            ("what's wrong here", EASY, true),
            ("What\u{2019}s wrong here", EASY, true),
            ("so, why?", EASY, true),
            ("summarise the thread", EASY, true),
            ("whatever is here", EASY, false),
            ("", EASY, false),
        ];
        for (text, keys, expected) in cases {
            assert_eq!(mentions(&words(text), keys), expected, "{text:?}");
        }
    }
}
