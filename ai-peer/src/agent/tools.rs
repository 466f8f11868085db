//! The tools Claude is offered in a room (Anthropic tool definitions, the same on Bedrock) and
//! the ones that act at once: listing, reading, deleting files and running the code. Edits
//! (`str_replace`, `create_file`) stream and live in `edits.rs`.

use std::sync::Arc;
use std::time::Duration;

use protocol::schema;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use yrs::{Any, Array, Doc, Map, Out, Transact};

use super::presence::Status;
use super::room::RoomCtx;
use crate::Tool;

pub const LIST_FILES: &str = "list_files";
pub const READ_FILE: &str = "read_file";
pub const STR_REPLACE: &str = "str_replace";
pub const CREATE_FILE: &str = "create_file";
pub const DELETE_FILE: &str = "delete_file";
pub const RUN: &str = "run";

/// How often a waiting `run` looks at the run's entry.
const RUN_POLL: Duration = Duration::from_millis(25);
/// Run statuses that are final.
const FINAL: [&str; 4] = ["exited", "killed", "failed", "signaled"];

/// What a tool call gives back to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub content: String,
    pub is_error: bool,
}

impl Outcome {
    pub fn ok(content: impl Into<String>) -> Outcome {
        Outcome {
            content: content.into(),
            is_error: false,
        }
    }
    pub fn error(content: impl Into<String>) -> Outcome {
        Outcome {
            content: content.into(),
            is_error: true,
        }
    }
}

/// The tool definitions.
pub fn definitions() -> Vec<Tool> {
    // Edit tools stream their input (fine-grained tool streaming) so text lands as it is written.
    let tool = |name: &str, description: &str, schema: Value, edits: bool| Tool {
        name: name.into(),
        description: description.into(),
        input_schema: schema,
        edits,
        eager_input_streaming: edits && name != DELETE_FILE,
    };
    vec![
        tool(
            LIST_FILES,
            "List every file of the room's project with its size in lines.",
            json!({"type": "object", "properties": {}}),
            false,
        ),
        tool(
            READ_FILE,
            "Read a file of the project as it is now (people may be editing it). Lines come numbered (`N\\t`); the numbers are not part of the file.",
            json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "Path relative to the project root"},
                "start_line": {"type": "integer", "description": "First line to show (1-based)"},
                "end_line": {"type": "integer", "description": "Last line to show"}
            }, "required": ["path"]}),
            false,
        ),
        tool(
            STR_REPLACE,
            "Replace text in a file: `old_str` must match the file's current text exactly once (include enough surrounding lines to make it unique; no line numbers). Others may be typing in the same file: keep edits small and targeted. Give `line` (where old_str starts) when you know it.",
            json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "old_str": {"type": "string", "description": "Exact text to replace"},
                "new_str": {"type": "string", "description": "Text to put in its place"},
                "line": {"type": "integer", "description": "1-based line where old_str starts (a hint)"}
            }, "required": ["path", "old_str", "new_str"]}),
            true,
        ),
        tool(
            CREATE_FILE,
            "Create a new file with the given content (fails if the file exists: use str_replace).",
            json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"}
            }, "required": ["path", "content"]}),
            true,
        ),
        tool(
            DELETE_FILE,
            "Delete a file of the project.",
            json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
            true,
        ),
        tool(
            RUN,
            "Run the project in the sandboxed runner (everyone in the room sees the output). Returns the exit status and the output.",
            json!({"type": "object", "properties": {
                "entry": {"type": "string", "description": "File to run (default: the project's entry file)"},
                "stdin": {"type": "string"}
            }}),
            false,
        ),
    ]
}

/// `list_files`.
pub fn list_files(doc: &Doc) -> Outcome {
    let files = schema::file_contents(doc);
    if files.is_empty() {
        return Outcome::ok("The project has no files yet.");
    }
    let lines: Vec<String> = files
        .iter()
        .map(|(p, t)| format!("{p} ({} lines)", t.lines().count()))
        .collect();
    Outcome::ok(lines.join("\n"))
}

/// `read_file`: numbered lines, as the text-editor tool shows them.
pub fn read_file(doc: &Doc, input: &Value) -> Outcome {
    let Some(path) = input["path"].as_str() else {
        return Outcome::error("read_file needs a `path`.");
    };
    let Some(text) = schema::read_file(doc, path) else {
        return Outcome::error(no_such_file(doc, path));
    };
    let start = input["start_line"].as_u64().unwrap_or(1).max(1) as usize;
    let end = input["end_line"]
        .as_u64()
        .map_or(usize::MAX, |e| e as usize);
    if text.is_empty() {
        return Outcome::ok(format!("{path} is empty."));
    }
    let body: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| (start..=end).contains(&(i + 1)))
        .map(|(i, l)| format!("{:>6}\t{l}", i + 1))
        .collect();
    Outcome::ok(body.join("\n"))
}

/// `delete_file`, in one transaction of the turn.
pub fn delete_file(doc: &Doc, origin: &str, input: &Value) -> Outcome {
    let Some(path) = input["path"].as_str() else {
        return Outcome::error("delete_file needs a `path`.");
    };
    if schema::delete_file(&mut doc.transact_mut_with(origin), path) {
        Outcome::ok(format!("Deleted {path}."))
    } else {
        Outcome::error(no_such_file(doc, path))
    }
}

pub fn no_such_file(doc: &Doc, path: &str) -> String {
    let all = schema::list_files(doc);
    format!(
        "There is no file {path:?}. The project's files: {}.",
        if all.is_empty() {
            "none".to_owned()
        } else {
            all.join(", ")
        }
    )
}

/// `run`: starts a run through the server (so the room sees it) and waits for its end.
pub async fn run(ctx: &Arc<RoomCtx>, input: &Value, cancel: &CancellationToken) -> Outcome {
    let entry = input["entry"].as_str();
    let stdin = input["stdin"].as_str();
    let accepted = match ctx.api.start_run(&ctx.room, entry, stdin).await {
        Ok(a) => a,
        Err(e) => return Outcome::error(format!("The run could not start: {e}")),
    };
    ctx.presence.update(|s| s.status = Status::Running);
    let deadline = tokio::time::Instant::now() + ctx.settings.run_timeout;
    loop {
        if let Some(done) = finished_run(&ctx.doc, &accepted.id) {
            return render_run(&done, ctx.settings.run_output_bytes);
        }
        if tokio::time::Instant::now() >= deadline {
            return Outcome::error(format!(
                "Run {} did not finish within {:?}; it is still going (see the room's run panel).",
                accepted.id, ctx.settings.run_timeout
            ));
        }
        tokio::select! {
            _ = cancel.cancelled() => return Outcome::error("The turn was stopped while the run was going."),
            _ = tokio::time::sleep(RUN_POLL) => {}
        }
    }
}

/// A finished run's entry as JSON (with `output` as a string), if run `id` has ended.
fn finished_run(doc: &Doc, id: &str) -> Option<Value> {
    let runs = schema::runs(doc);
    let txn = doc.transact();
    for v in runs.iter(&txn) {
        let Out::YMap(map) = v else { continue };
        if map.get(&txn, "id") != Some(Out::Any(Any::from(id))) {
            continue;
        }
        let status = protocol::chat::str_field(&txn, &map, "status")?;
        if !FINAL.contains(&status.as_str()) {
            return None;
        }
        let json = serde_json::to_value(yrs::types::ToJson::to_json(&map, &txn)).ok()?;
        return Some(json);
    }
    None
}

/// The run's status and output for the model, the output cut to `cap` bytes (head and tail).
fn render_run(run: &Value, cap: usize) -> Outcome {
    let status = run["status"].as_str().unwrap_or("?");
    let mut head = match status {
        "exited" => format!("exit status {}", run["exit_code"].as_i64().unwrap_or(-1)),
        "killed" => format!("killed: {} limit", run["reason"].as_str().unwrap_or("a")),
        "signaled" => format!("killed by signal {}", run["signal"].as_i64().unwrap_or(0)),
        _ => format!("failed: {}", run["message"].as_str().unwrap_or("unknown")),
    };
    if let Some(ms) = run["duration_ms"].as_f64() {
        head.push_str(&format!(" after {ms:.0} ms"));
    }
    let output = run["output"].as_str().unwrap_or("");
    let shown = cap_middle(output, cap);
    let ok = status == "exited" && run["exit_code"].as_i64() == Some(0);
    let content = format!(
        "{head}\n--- output{} ---\n{shown}",
        if shown.len() < output.len() {
            format!(" ({} bytes, middle cut)", output.len())
        } else {
            String::new()
        }
    );
    Outcome {
        content,
        is_error: !ok,
    }
}

/// `s` cut to about `cap` bytes by removing its middle (errors tend to be at the end).
pub fn cap_middle(s: &str, cap: usize) -> String {
    if s.len() <= cap {
        return s.to_owned();
    }
    let mut head = cap / 3;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - (cap - head);
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}\n[... {} bytes cut ...]\n{}",
        &s[..head],
        tail - head,
        &s[tail..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_numbers_lines_and_ranges() {
        let doc = Doc::new();
        schema::write_file(&mut doc.transact_mut(), "a.py", "one\ntwo\nthree\n");
        let all = read_file(&doc, &json!({"path": "a.py"}));
        assert_eq!(all.content, "     1\tone\n     2\ttwo\n     3\tthree");
        let two = read_file(
            &doc,
            &json!({"path": "a.py", "start_line": 2, "end_line": 2}),
        );
        assert_eq!(two.content, "     2\ttwo");
        let missing = read_file(&doc, &json!({"path": "b.py"}));
        assert!(missing.is_error && missing.content.contains("a.py"));
    }

    #[test]
    fn run_results_read_like_a_terminal() {
        let run = json!({"status": "exited", "exit_code": 1, "duration_ms": 12.0, "output": "Traceback\nZeroDivisionError\n"});
        let out = render_run(&run, 1000);
        assert!(out.is_error);
        assert!(out.content.starts_with("exit status 1 after 12 ms"));
        assert!(out.content.ends_with("ZeroDivisionError\n"));
        let long = "é".repeat(1000);
        let cut = cap_middle(&long, 100);
        assert!(cut.len() < 200 && cut.contains("bytes cut"));
    }

    #[test]
    fn definitions_mark_the_streaming_edit_tools() {
        let defs = definitions();
        let names: Vec<&str> = defs.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                LIST_FILES,
                READ_FILE,
                STR_REPLACE,
                CREATE_FILE,
                DELETE_FILE,
                RUN
            ]
        );
        assert_eq!(defs.iter().filter(|t| t.eager_input_streaming).count(), 2);
        assert_eq!(defs.iter().filter(|t| t.edits).count(), 3);
    }
}
