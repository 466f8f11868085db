//! Tests of the budget builder: the layout, the trimming order at exact budgets, and the
//! invariants (tool pairs, current message, budget) at every budget.

use serde_json::json;

use super::*;
use crate::context::outline::MAX_OUTLINE_LINES;
use crate::context::tokens::estimate_request;
use crate::context::{docs, turns};
use crate::models::defaults;
use crate::{Block, Message, Role, Tool};

const MAX_TOKENS: u32 = 1000;
const SYSTEM: &str = "You are Claude, a peer editing this room with the people in it.";

fn spec() -> ModelSpec {
    defaults()[1].clone() // claude-haiku-4-5: 200k window, 3.5 chars per token
}

fn code(path: &str, lines: u32) -> FileDoc {
    let text = (0..lines)
        .map(|i| format!("    let value_{i} = compute({i}) + offset; // step {i}\n"))
        .collect();
    FileDoc {
        path: path.into(),
        text,
    }
}

fn cursor(path: &str, line: u32, who: &str) -> Cursor {
    Cursor {
        path: path.into(),
        line,
        who: who.into(),
    }
}

fn text(t: impl Into<String>) -> Block {
    Block::Text(t.into())
}

fn call(id: &str) -> Message {
    Message::assistant(vec![
        text("Reading it."),
        Block::ToolUse {
            id: id.into(),
            name: "read_file".into(),
            input: json!({"path": "src/main.rs"}),
        },
    ])
}

fn result(id: &str) -> Message {
    Message::user(vec![Block::ToolResult {
        tool_use_id: id.into(),
        content: "x".repeat(300),
        is_error: false,
    }])
}

fn long(what: &str) -> String {
    format!("{what}: {}", "words of a long turn ".repeat(70))
}

/// A room with one target, one file with cursors, two others, and three units of history
/// (the oldest one with a tool call).
fn input() -> ContextInput {
    ContextInput {
        system: SYSTEM.into(),
        tools: vec![Tool {
            name: "read_file".into(),
            description: "Reads a file of the room.".into(),
            input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
            edits: false,
            eager_input_streaming: false,
        }],
        file_tree: (0..30).map(|i| format!("src/module_{i}.rs")).collect(),
        targets: vec![code("src/main.rs", 300)],
        cursors: vec![
            cursor("src/main.rs", 150, "alice"),
            cursor("src/lib.rs", 50, "bob"),
            cursor("src/lib.rs", 60, "carol"),
            cursor("src/lib.rs", 300, "dave"),
        ],
        cursor_files: vec![code("src/lib.rs", 400)],
        others: vec![
            FileDoc {
                path: "src/util.rs".into(),
                text: (0..6)
                    .map(|i| format!("pub fn helper_{i}(x: u32) -> u32 {{\n    x + {i}\n}}\n"))
                    .collect(),
            },
            FileDoc {
                path: "app.py".into(),
                text: "import os\n\ndef main():\n    pass\n".into(),
            },
        ],
        history: vec![
            Message::user(vec![text(long("q0"))]),
            call("t1"),
            result("t1"),
            Message::assistant(vec![text(long("a0"))]),
            Message::user(vec![text(long("q1")), Block::CachePoint]),
            Message::assistant(vec![text(long("a1"))]),
            Message::user(vec![text("What does main do now?")]),
        ],
        max_tokens: MAX_TOKENS,
    }
}

fn settings(prompt_budget: u64) -> BudgetSettings {
    BudgetSettings {
        budget_tokens: prompt_budget + u64::from(MAX_TOKENS),
        ..BudgetSettings::default()
    }
}

fn block(t: String) -> u64 {
    estimate_block(&Block::Text(t), &spec())
}

/// What each piece of `input()` costs, from the same renderings the builder uses.
struct Costs {
    /// System prompt, tools, the current message and the reserve for the omitted note.
    base: u64,
    fixed: u64,
    tree: u64,
    tree_empty: u64,
    target: u64,
    target_window: u64,
    w1: u64,
    w2: u64,
    o1: u64,
    o2: u64,
    u0: u64,
    u1: u64,
}

fn costs() -> Costs {
    let i = input();
    let s = spec();
    let fixed = estimate_request(
        &Request {
            system: vec![SystemBlock::Text(SYSTEM.into())],
            messages: Vec::new(),
            tools: i.tools.clone(),
            cache_tools: true,
            max_tokens: MAX_TOKENS,
            temperature: None,
            stop_sequences: Vec::new(),
        },
        &s,
    );
    let msgs = |r: std::ops::Range<usize>| {
        i.history[r]
            .iter()
            .map(|m| estimate_message(m, &s))
            .sum::<u64>()
    };
    let tree = |k| estimate_system_block(&SystemBlock::Text(docs::tree(&i.file_tree, k)), &s);
    let main_cursor = [&i.cursors[0]];
    let lib_cursors: Vec<&Cursor> = i.cursors[1..].iter().collect();
    let lib = &i.cursor_files[0];
    Costs {
        base: fixed + msgs(6..7) + block(turns::omitted_note(6)),
        fixed,
        tree: tree(30),
        tree_empty: tree(0),
        target: block(docs::full(&i.targets[0])),
        target_window: block(docs::window(&i.targets[0], (110, 191), &main_cursor)),
        w1: block(docs::window(lib, (10, 101), &lib_cursors)),
        w2: block(docs::window(lib, (260, 341), &lib_cursors)),
        o1: block(docs::outlined(&i.others[0], MAX_OUTLINE_LINES)),
        o2: block(docs::outlined(&i.others[1], MAX_OUTLINE_LINES)),
        u0: msgs(0..4),
        u1: msgs(4..6),
    }
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn win(path: &str, a: u32, b: u32) -> (String, u32, u32) {
    (path.to_owned(), a, b)
}

/// Checks what must hold of every built request.
fn check_invariants(input: &ContextInput, built: &Built) {
    let (r, rep) = (&built.request, &built.report);
    let s = spec();
    assert_eq!(
        rep.estimated_tokens,
        estimate_request(r, &s),
        "the report is the request's estimate"
    );
    assert!(
        rep.estimated_tokens <= rep.budget,
        "{} over {}",
        rep.estimated_tokens,
        rep.budget
    );
    assert_eq!(r.max_tokens, input.max_tokens);
    assert_eq!(r.tools, input.tools);
    assert!(r.cache_tools);
    assert!(
        r.cache_points() <= 3,
        "one breakpoint is left for the caller"
    );
    assert_eq!(
        r.system.first(),
        Some(&SystemBlock::Text(input.system.clone()))
    );
    assert_eq!(r.system.last(), Some(&SystemBlock::CachePoint));

    // The current message, whole, last.
    let current = input.history.last().map(|m| &m.content);
    let last = r.messages.last().map(|m| &m.content);
    match (current, last) {
        (Some(c), Some(l)) => assert!(l.ends_with(c), "current message kept"),
        _ => panic!("no current message"),
    }
    // Roles alternate from a user message; every tool result follows its call.
    for (i, m) in r.messages.iter().enumerate() {
        let want = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        assert_eq!(m.role, want, "message {i}");
        for b in &m.content {
            if let Block::ToolResult { tool_use_id, .. } = b {
                let prev = i
                    .checked_sub(1)
                    .map_or(&[][..], |p| &r.messages[p].content[..]);
                assert!(
                    prev.iter()
                        .any(|p| matches!(p, Block::ToolUse { id, .. } if id == tool_use_id)),
                    "tool result {tool_use_id} in message {i} without its call"
                );
            }
        }
    }
    // Kept history is a suffix of the input, after the documents, breakpoint and note.
    let kept = &input.history[rep.dropped_messages..];
    assert_eq!(r.messages.len(), kept.len());
    let first = &r.messages[0].content;
    let strip = |c: &[Block]| {
        c.iter()
            .filter(|b| !matches!(b, Block::CachePoint))
            .cloned()
            .collect::<Vec<_>>()
    };
    let docs = rep.included_full.len() + rep.windows.len() + rep.outlined.len();
    let note = usize::from(rep.dropped_messages > 0);
    let lead = strip(first);
    assert_eq!(lead.len(), docs + note + strip(&kept[0].content).len());
    if note == 1 {
        assert_eq!(
            lead[docs],
            Block::Text(turns::omitted_note(rep.dropped_messages))
        );
    }
    for (out, inp) in r.messages.iter().zip(kept).skip(1) {
        assert_eq!(out.content, strip(&inp.content));
    }
}

#[test]
fn everything_fits_in_cache_friendly_order() -> Result<(), AiError> {
    let i = input();
    let built = build(&i, &spec(), &BudgetSettings::default())?;
    check_invariants(&i, &built);
    let rep = &built.report;
    assert_eq!(rep.budget, 180_000 - u64::from(MAX_TOKENS));
    assert_eq!(
        *rep,
        Report {
            estimated_tokens: rep.estimated_tokens,
            budget: rep.budget,
            included_full: names(&["src/main.rs"]),
            windows: vec![win("src/lib.rs", 10, 101), win("src/lib.rs", 260, 341)],
            outlined: names(&["src/util.rs", "app.py"]),
            omitted_files: vec![],
            tree_truncated: false,
            dropped_messages: 0,
        }
    );
    let c = costs();
    assert_eq!(
        rep.estimated_tokens,
        c.base - block(turns::omitted_note(6))
            + c.tree
            + c.target
            + c.w1
            + c.w2
            + c.o1
            + c.o2
            + c.u0
            + c.u1
    );

    let r = &built.request;
    assert_eq!(
        r.system,
        vec![
            SystemBlock::Text(SYSTEM.into()),
            SystemBlock::Text(docs::tree(&i.file_tree, 30)),
            SystemBlock::CachePoint
        ]
    );
    let first = &r.messages[0].content;
    let heads: Vec<&str> = first[..5]
        .iter()
        .map(|b| match b {
            Block::Text(t) => t.lines().next().unwrap_or(""),
            _ => "",
        })
        .collect();
    assert_eq!(
        heads,
        [
            "<file path=\"src/main.rs\" view=\"full\">",
            "<file path=\"src/lib.rs\" view=\"lines 11-101 of 400\" cursors=\"bob:51, carol:61\">",
            "<file path=\"src/lib.rs\" view=\"lines 261-341 of 400\" cursors=\"dave:301\">",
            "<file path=\"src/util.rs\" view=\"outline of 18 lines\">",
            "<file path=\"app.py\" view=\"outline of 4 lines\">",
        ]
    );
    assert_eq!(
        first[5],
        Block::CachePoint,
        "large documents end a cached prefix"
    );
    assert_eq!(first[6], Block::Text(long("q0")));
    assert_eq!(r.cache_points(), 3);
    Ok(())
}

#[test]
fn pieces_are_trimmed_in_priority_order() -> Result<(), AiError> {
    let c = costs();
    assert!(
        c.o1 > c.o2 && c.w1 > c.w2 && c.target > c.target_window,
        "fixture sizes"
    );
    assert!(c.u1 > c.o2 && c.u0 > c.o2, "fixture sizes");
    let docs = c.tree + c.target + c.w1 + c.w2 + c.o1 + c.o2;
    let all = c.base + docs + c.u0 + c.u1;
    let everyone = names(&["src/main.rs", "src/lib.rs", "src/util.rs", "app.py"]);
    let lib_windows = vec![win("src/lib.rs", 10, 101), win("src/lib.rs", 260, 341)];
    let full = Report {
        included_full: names(&["src/main.rs"]),
        windows: lib_windows.clone(),
        outlined: names(&["src/util.rs", "app.py"]),
        ..Report::default()
    };
    let no_docs = Report {
        omitted_files: everyone.clone(),
        dropped_messages: 6,
        ..Report::default()
    };
    let before_tree = c.base + c.tree;
    let cases: Vec<(&str, u64, Report)> = vec![
        ("everything", all, full.clone()),
        (
            "oldest unit dropped",
            all - 1,
            Report {
                dropped_messages: 4,
                ..full.clone()
            },
        ),
        (
            "all older history dropped",
            c.base + docs + c.u1 - 1,
            Report {
                dropped_messages: 6,
                ..full.clone()
            },
        ),
        (
            "second outline omitted",
            c.base + docs - 1,
            Report {
                outlined: names(&["src/util.rs"]),
                omitted_files: names(&["app.py"]),
                dropped_messages: 6,
                ..full.clone()
            },
        ),
        (
            "a smaller later outline still fits",
            before_tree + c.target + c.w1 + c.w2 + c.o2,
            Report {
                outlined: names(&["app.py"]),
                omitted_files: names(&["src/util.rs"]),
                dropped_messages: 6,
                ..full.clone()
            },
        ),
        (
            "outlines omitted",
            before_tree + c.target + c.w1 + c.w2,
            Report {
                outlined: vec![],
                omitted_files: names(&["src/util.rs", "app.py"]),
                dropped_messages: 6,
                ..full.clone()
            },
        ),
        (
            "second window dropped",
            before_tree + c.target + c.w1,
            Report {
                windows: lib_windows[..1].to_vec(),
                outlined: vec![],
                omitted_files: names(&["src/util.rs", "app.py"]),
                dropped_messages: 6,
                ..full.clone()
            },
        ),
        (
            "a smaller later window still fits",
            before_tree + c.target + c.w2,
            Report {
                windows: lib_windows[1..].to_vec(),
                outlined: vec![],
                omitted_files: names(&["src/util.rs", "app.py"]),
                dropped_messages: 6,
                ..full.clone()
            },
        ),
        (
            "windows dropped",
            before_tree + c.target,
            Report {
                included_full: names(&["src/main.rs"]),
                omitted_files: everyone[1..].to_vec(),
                ..no_docs.clone()
            },
        ),
        (
            "target falls back to the window at its cursor",
            before_tree + c.target_window,
            Report {
                windows: vec![win("src/main.rs", 110, 191)],
                omitted_files: everyone[1..].to_vec(),
                ..no_docs.clone()
            },
        ),
        ("target omitted", before_tree, no_docs.clone()),
        (
            "tree cut",
            before_tree - 1,
            Report {
                tree_truncated: true,
                ..no_docs.clone()
            },
        ),
        (
            "tree left out",
            c.base + c.tree_empty - 1,
            Report {
                tree_truncated: true,
                ..no_docs.clone()
            },
        ),
        (
            "nothing but the essentials",
            c.base,
            Report {
                tree_truncated: true,
                ..no_docs.clone()
            },
        ),
    ];
    let i = input();
    for (name, budget, want) in cases {
        let built = build(&i, &spec(), &settings(budget))?;
        check_invariants(&i, &built);
        let got = Report {
            estimated_tokens: 0,
            budget: 0,
            ..built.report.clone()
        };
        assert_eq!(got, want, "{name} at {budget}");
        assert_eq!(built.report.budget, budget, "{name}");
        let tree = built.request.system.get(1);
        match name {
            "tree cut" => {
                let Some(SystemBlock::Text(t)) = tree else {
                    panic!("tree missing")
                };
                assert!(t.ends_with(" more\n") && t.lines().count() > 20, "{t}");
            }
            "tree left out" | "nothing but the essentials" => {
                assert_eq!(tree, Some(&SystemBlock::CachePoint))
            }
            _ => assert_eq!(
                tree,
                Some(&SystemBlock::Text(docs::tree(&i.file_tree, 30))),
                "{name}"
            ),
        }
    }

    let too_small = [
        ("current message", c.base - 1),
        ("system and tools", c.fixed - 1),
        ("nothing", 0),
    ];
    for (name, budget) in too_small {
        assert!(
            matches!(
                build(&i, &spec(), &settings(budget)),
                Err(AiError::Invalid(_))
            ),
            "{name}"
        );
    }
    Ok(())
}

#[test]
fn invariants_hold_at_every_budget() {
    let plain = input();
    let mut agentic = input();
    // The current message answers a tool call, and an older unit holds two calls.
    agentic.history.extend([call("t9"), result("t9")]);
    agentic
        .history
        .splice(1..3, [call("t1"), result("t1"), call("t2"), result("t2")]);
    for i in [plain, agentic] {
        let mut last_dropped = 0;
        let mut built_any = false;
        for budget in (0..12_000).step_by(13) {
            match build(&i, &spec(), &settings(budget)) {
                Ok(built) => {
                    check_invariants(&i, &built);
                    built_any = true;
                    last_dropped = built.report.dropped_messages;
                }
                Err(AiError::Invalid(_)) => {
                    assert!(!built_any, "failed at {budget} after succeeding below")
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert!(built_any);
        assert_eq!(
            last_dropped, 0,
            "the largest budget keeps the whole conversation"
        );
    }
}

#[test]
fn the_budget_is_bounded_by_the_context_window() -> Result<(), AiError> {
    let small = ModelSpec {
        context_window: 20_000,
        ..spec()
    };
    let built = build(&input(), &small, &BudgetSettings::default())?;
    assert_eq!(built.report.budget, 20_000 - u64::from(MAX_TOKENS));
    Ok(())
}

#[test]
fn small_rooms_get_no_document_breakpoint() -> Result<(), AiError> {
    let i = ContextInput {
        system: SYSTEM.into(),
        others: vec![FileDoc {
            path: "a.md".into(),
            text: "# A\n".into(),
        }],
        history: vec![Message::user(vec![text("hi")])],
        max_tokens: MAX_TOKENS,
        ..ContextInput::default()
    };
    let built = build(&i, &spec(), &BudgetSettings::default())?;
    let r = &built.request;
    assert!(!r.cache_tools, "no tools, no tool breakpoint");
    assert_eq!(
        r.system,
        vec![SystemBlock::Text(SYSTEM.into()), SystemBlock::CachePoint]
    );
    assert_eq!(r.messages.len(), 1);
    assert_eq!(
        r.messages[0].content,
        vec![
            text("<file path=\"a.md\" view=\"outline of 1 lines\">\n1: # A\n</file>"),
            text("hi")
        ]
    );
    assert_eq!(built.report.outlined, names(&["a.md"]));
    Ok(())
}

#[test]
fn target_without_cursor_falls_back_to_its_head() -> Result<(), AiError> {
    let i = ContextInput {
        system: SYSTEM.into(),
        targets: vec![code("big.rs", 1000)],
        history: vec![Message::user(vec![text("hi")])],
        max_tokens: MAX_TOKENS,
        ..ContextInput::default()
    };
    let built = build(&i, &spec(), &settings(5_000))?;
    assert_eq!(built.report.windows, vec![win("big.rs", 0, 81)]);
    assert!(built.report.included_full.is_empty());
    Ok(())
}

#[test]
fn malformed_history_is_refused() {
    let mut i = input();
    i.history.push(Message::assistant(vec![text("trailing")]));
    assert!(matches!(
        build(&i, &spec(), &BudgetSettings::default()),
        Err(AiError::Invalid(_))
    ));
    i.history.clear();
    assert!(matches!(
        build(&i, &spec(), &BudgetSettings::default()),
        Err(AiError::Invalid(_))
    ));
}

#[test]
fn settings_parse_with_defaults() -> anyhow::Result<()> {
    let s: BudgetSettings = toml::from_str("window_lines = 10")?;
    assert_eq!(
        s,
        BudgetSettings {
            window_lines: 10,
            ..BudgetSettings::default()
        }
    );
    assert!(toml::from_str::<BudgetSettings>("budget = 1").is_err());
    Ok(())
}
