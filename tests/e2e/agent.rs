//! Claude in the room, end to end: a real `tandem` hosting the AI peer in-process, a real
//! `claude-mock` playing the model (rules and scripts in the Anthropic wire format), the real
//! runner, and people played by protocol clients.

use std::time::Duration;

use protocol::chat::{self, Entry};
use protocol::client::Client;
use serde_json::{Value, json};
use yrs::{GetString, Text, Transact};

use crate::claude_mock::ClaudeMock;
use crate::harness::{Server, bearer_client, call, eventually, file_text, peer, within};

const KEY: &str = "sk-ant-e2e-agent";

/// A server with the AI peer in-process, talking to a fresh `claude-mock` following `rules`.
pub struct Room {
    pub server: Server,
    pub mock: ClaudeMock,
    pub name: String,
    _dir: tempfile::TempDir,
}

impl Room {
    pub async fn start(rules: Value, peer_settings: &str) -> Room {
        Room::start_with(rules, peer_settings, &[]).await
    }

    /// Like `start`, with extra `tandem serve` flags.
    pub async fn start_with(rules: Value, peer_settings: &str, extra: &[&str]) -> Room {
        let dir = tempfile::tempdir().unwrap();
        let rules_path = dir.path().join("rules.json");
        std::fs::write(&rules_path, rules.to_string()).unwrap();
        let mock =
            ClaudeMock::start(&["--rules", rules_path.to_str().unwrap(), "--api-key", KEY]).await;
        let config = dir.path().join("tandem.toml");
        std::fs::write(
            &config,
            format!(
                "[ai.anthropic.client]\nbase_url = \"{}\"\n[[ai.anthropic.keys]]\nid = \"e2e\"\nkey_env = \"E2E_AGENT_KEY\"\n[ai.router]\nproviders = [\"anthropic\"]\n[ai.peer]\n{peer_settings}\n",
                mock.url
            ),
        )
        .unwrap();
        let data = dir.path().join("data");
        let server = Server::launch(&data)
            .args(&[
                "--config",
                config.to_str().unwrap(),
                "--ai-peer",
                "in-process",
            ])
            .args(extra)
            .env("E2E_AGENT_KEY", KEY)
            .start();
        Room {
            server,
            mock,
            name: "agent-room".into(),
            _dir: dir,
        }
    }

    pub async fn person(&self) -> Client {
        self.person_in(&self.name).await
    }

    pub async fn person_in(&self, room: &str) -> Client {
        let c = peer(&self.server, room).await;
        within(c.synced()).await;
        c
    }
}

/// Posts a chat message as `author`.
pub fn say(client: &Client, author: &str, text: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = format!("m-{author}-{n}-{}", chat::now_ms() as u64);
    let mut txn = client.doc().transact_mut();
    chat::append(
        &mut txn,
        chat::NewEntry {
            id: id.clone(),
            author: author.into(),
            kind: chat::KIND_HUMAN.into(),
            text: text.into(),
            ts: chat::now_ms(),
            fields: vec![],
        },
    );
    id
}

/// The AI entry answering message `id`, as `client` sees it.
pub fn answer(client: &Client, id: &str) -> Option<Entry> {
    chat::entries(client.doc())
        .into_iter()
        .find(|e| e.kind == chat::KIND_AI && e.reply_to.as_deref() == Some(id))
}

/// How many AI entries answer message `id`, as `client` sees it.
pub fn replies_to(client: &Client, id: &str) -> usize {
    chat::entries(client.doc())
        .into_iter()
        .filter(|e| e.reply_to.as_deref() == Some(id))
        .count()
}

pub async fn finished_answer(client: &Client, id: &str) -> Entry {
    eventually("the turn to end", || {
        answer(client, id).is_some_and(|e| !e.is_running_turn())
    })
    .await;
    answer(client, id).unwrap()
}

/// Claude's awareness state as `client` sees it.
pub fn claude_presence(client: &Client) -> Option<Value> {
    client
        .presence()
        .into_iter()
        .map(|(_, state)| state)
        .find(|s| s["user"]["kind"] == "ai")
}

pub fn write(client: &Client, path: &str, text: &str) {
    protocol::schema::write_file(&mut client.doc().transact_mut(), path, text);
}

/// Inserts `s` at byte offset `at` of a file (the doc counts bytes: Rust clients' default).
pub fn insert(client: &Client, path: &str, at: usize, s: &str) {
    let files = protocol::schema::files(client.doc());
    let mut txn = client.doc().transact_mut();
    let text = protocol::schema::file_text(&txn, &files, path).expect("file exists");
    let len = text.get_string(&txn).len();
    text.insert(&mut txn, at.min(len) as u32, s);
}

async fn converged(a: &Client, b: &Client, path: &str) -> String {
    eventually("replicas to converge", || {
        file_text(a.doc(), path) == file_text(b.doc(), path)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    eventually("replicas to converge", || {
        file_text(a.doc(), path) == file_text(b.doc(), path)
    })
    .await;
    file_text(a.doc(), path)
}

#[tokio::test]
async fn a_mention_streams_a_reply_that_a_second_client_sees_while_it_streams() {
    let reply = "Hello Ada! ".repeat(30);
    let room = Room::start(
        json!({"rules": [{"when": {"last_user_contains": "@claude"}, "reply": [{"text": reply}], "delay_ms": 15, "chunk_chars": 6}]}),
        "",
    )
    .await;
    let ada = room.person().await;
    let bob = room.person().await;
    // A message without the mention gets no answer.
    let quiet = say(&ada, "ada", "just talking to bob");
    let id = say(&ada, "ada", "@claude say hello");
    eventually("bob to see the reply streaming", || {
        answer(&bob, &id).is_some_and(|e| {
            e.status.as_deref() == Some("streaming")
                && !e.text.is_empty()
                && e.text.len() < reply.len()
        })
    })
    .await;
    let done = finished_answer(&bob, &id).await;
    assert_eq!(done.status.as_deref(), Some("done"));
    assert_eq!(done.text, reply);
    assert_eq!(done.turn, Some(1));
    assert_eq!(done.author, "Claude");
    assert!(
        done.fields["model"]
            .as_str()
            .is_some_and(|m| m.starts_with("claude-"))
    );
    assert!(
        done.fields["usage"]["output_tokens"].as_u64().unwrap() > 0,
        "{}",
        done.fields
    );
    assert!(
        done.fields["cost_usd"].as_f64().unwrap() > 0.0,
        "{}",
        done.fields
    );
    assert!(answer(&bob, &quiet).is_none());
    // One model call, carrying the question with its author, and the tools.
    let requests = room.mock.requests().await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    let body = requests[0]["body"].to_string();
    assert!(body.contains("ada: @claude say hello"), "{body}");
    assert!(body.contains("str_replace"), "{body}");
    // A version was named before the turn.
    let versions = call(
        room.server.api().get(
            room.server
                .http(&format!("/api/rooms/{}/versions", room.name)),
        ),
    )
    .await
    .1;
    assert!(versions.to_string().contains("before turn 1"), "{versions}");
}

fn numbered_file(lines: usize) -> String {
    (1..=lines)
        .map(|i| format!("line {i}: value = {i}\n"))
        .collect()
}

#[tokio::test]
async fn an_edit_streams_in_while_a_person_types_before_after_and_far_from_it() {
    let new_str = "line 15: value = the answer is forty-two, computed slowly and written one small piece at a time";
    let rules = json!({"rules": [
        {"when": {"tool_result_for": "str_replace"}, "reply": [{"text": "Done."}]},
        {"when": {"last_user_contains": "@claude"}, "reply": [
            {"text": "Editing line 15."},
            {"tool": "str_replace", "input": {"path": "calc.py", "old_str": "line 15: value = 15", "new_str": new_str}}
        ], "delay_ms": 10, "chunk_chars": 3}
    ]});
    let room = Room::start(rules, "chars_per_sec = 400\nmax_chars_per_txn = 4").await;
    let ada = room.person().await;
    let bob = room.person().await;
    write(&ada, "calc.py", &numbered_file(30));
    let id = say(&ada, "ada", "@claude change line 15");
    // Ada types uppercase letters before (line 1), after (line 16) and far from (line 28) the
    // range, until the turn is over.
    let mut typed = 0usize;
    let mut leases = Vec::new();
    loop {
        if let Some(lease) = claude_presence(&bob).filter(|p| p["status"] == "editing") {
            leases.push(lease["lease"].clone());
        }
        let text = file_text(ada.doc(), "calc.py");
        let l16 = text.find("line 16").unwrap();
        let l28 = text.find("line 28").unwrap();
        for at in [0, l16, l28] {
            insert(&ada, "calc.py", at, "Q");
            typed += 1;
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
        if answer(&ada, &id).is_some_and(|e| !e.is_running_turn()) || typed > 3000 {
            break;
        }
    }
    let done = finished_answer(&ada, &id).await;
    assert_eq!(done.status.as_deref(), Some("done"), "{done:?}");
    // Bob saw Claude editing, holding a lease on the range in calc.py (UTF-16 offsets).
    assert!(
        leases
            .iter()
            .any(|l| l["file"] == "calc.py" && l["to"].as_u64() >= l["from"].as_u64()),
        "{leases:?}"
    );
    eventually("Claude's presence to go idle", || {
        claude_presence(&bob).is_some_and(|p| p["status"] == "idle" && p["lease"].is_null())
    })
    .await;
    let me = claude_presence(&bob).unwrap();
    assert_eq!(me["user"]["name"], "Claude");
    assert_eq!(me["user"]["kind"], "ai");
    let text = converged(&ada, &bob, "calc.py").await;
    assert_eq!(
        text.matches('Q').count(),
        typed,
        "every typed character survives"
    );
    assert!(text.contains(new_str), "the AI's text is in place:\n{text}");
    assert!(!text.contains("line 15: value = 15\n"), "{text}");
    // The tool result the model got says it applied.
    let requests = room.mock.requests().await;
    let last = requests.last().unwrap()["body"].to_string();
    assert!(last.contains("Edited calc.py"), "{last}");
}

#[tokio::test]
async fn editing_inside_the_leased_range_stops_the_edit_and_returns_fresh_text() {
    let new_str = "x".repeat(400);
    let rules = json!({"rules": [
        {"when": {"tool_result_for": "str_replace"}, "reply": [{"text": "I will look again."}]},
        {"when": {"last_user_contains": "@claude"}, "reply": [
            {"tool": "str_replace", "input": {"path": "a.txt", "old_str": "middle part of the file", "new_str": new_str}}
        ], "delay_ms": 10, "chunk_chars": 4}
    ]});
    let room = Room::start(rules, "chars_per_sec = 200\nmax_chars_per_txn = 4").await;
    let ada = room.person().await;
    write(&ada, "a.txt", "start\nmiddle part of the file\nend\n");
    let id = say(&ada, "ada", "@claude rewrite the middle");
    // Once Claude holds a lease and has written some of it, Ada types inside the range.
    eventually("Claude to be editing", || {
        file_text(ada.doc(), "a.txt").contains("xxxx")
    })
    .await;
    let text = file_text(ada.doc(), "a.txt");
    let inside = text.find("xxxx").unwrap() + 2;
    insert(&ada, "a.txt", inside, "ZZZ");
    let done = finished_answer(&ada, &id).await;
    assert_eq!(done.status.as_deref(), Some("done"), "{done:?}");
    let text = file_text(ada.doc(), "a.txt");
    assert!(text.contains("ZZZ"), "{text}");
    assert!(
        text.starts_with("start\n") && text.ends_with("\nend\n"),
        "{text}"
    );
    assert!(!text.contains(&new_str), "the edit stopped: {text}");
    // The model got the fresh text of the range, Ada's letters included.
    let requests = room.mock.requests().await;
    assert_eq!(requests.len(), 2);
    let result = requests[1]["body"]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .to_string();
    assert!(result.contains("Someone else edited a.txt"), "{result}");
    assert!(result.contains("ZZZ"), "{result}");
    assert!(result.contains("\"is_error\":true"), "{result}");
}

#[tokio::test]
async fn run_fails_then_claude_fixes_the_file_and_runs_again() {
    let rules = json!({"rules": [
        {"when": {"tool_result_for": "run", "tool_result_contains": "exit status 0"}, "reply": [{"text": "Fixed: it runs."}]},
        {"when": {"tool_result_for": "run", "tool_result_contains": "exit status 3"}, "reply": [
            {"text": "It failed; fixing."},
            {"tool": "str_replace", "input": {"path": "main.py", "old_str": "sys.exit(3)", "new_str": "sys.exit(0)"}}
        ]},
        {"when": {"tool_result_for": "str_replace"}, "reply": [{"tool": "run", "input": {"entry": "main.py"}}]},
        {"when": {"last_user_contains": "@claude"}, "reply": [{"tool": "run", "input": {"entry": "main.py"}}]}
    ]});
    let room = Room::start(rules, "").await;
    let ada = room.person().await;
    write(
        &ada,
        "main.py",
        "import sys\nprint('checking')\nsys.exit(3)\n",
    );
    let id = say(&ada, "ada", "@claude make it pass");
    let done = finished_answer(&ada, &id).await;
    assert_eq!(done.status.as_deref(), Some("done"), "{done:?}");
    assert!(done.text.ends_with("Fixed: it runs."), "{}", done.text);
    assert_eq!(
        file_text(ada.doc(), "main.py"),
        "import sys\nprint('checking')\nsys.exit(0)\n"
    );
    let runs = protocol::schema::export_json(ada.doc())["runs"].clone();
    let codes: Vec<i64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["exit_code"].as_f64().unwrap() as i64)
        .collect();
    assert_eq!(codes, [3, 0], "{runs}");
    let tools: Vec<String> = done.fields["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}:{}",
                t["name"].as_str().unwrap(),
                t["outcome"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(tools, ["run:error", "str_replace:ok", "run:ok"]);
    // The model read the failing output.
    let requests = room.mock.requests().await;
    assert!(requests[1]["body"].to_string().contains("checking"));
}

#[tokio::test]
async fn rejecting_a_turn_removes_its_changes_and_keeps_what_people_typed() {
    let rules = json!({"rules": [
        {"when": {"tool_result_for": "create_file"}, "reply": [{"text": "Done."}]},
        {"when": {"tool_result_for": "str_replace"}, "reply": [
            {"tool": "create_file", "input": {"path": "notes.md", "content": "# Notes by Claude\n"}}
        ]},
        {"when": {"last_user_contains": "@claude"}, "reply": [
            {"tool": "str_replace", "input": {"path": "app.py", "old_str": "return 1", "new_str": "return compute_the_answer() + 41"}}
        ], "delay_ms": 5, "chunk_chars": 3}
    ]});
    let room = Room::start(rules, "chars_per_sec = 300\nmax_chars_per_txn = 4").await;
    let ada = room.person().await;
    let original = "def f():\n    return 1\n\n# end\n";
    write(&ada, "app.py", original);
    let id = say(&ada, "ada", "@claude improve f");
    // Ada types at the end while the turn runs.
    let mut typed = String::new();
    while answer(&ada, &id).is_none_or(|e| e.is_running_turn()) {
        let len = file_text(ada.doc(), "app.py").len();
        insert(&ada, "app.py", len, "H");
        typed.push('H');
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = finished_answer(&ada, &id).await;
    assert_eq!(done.status.as_deref(), Some("done"));
    assert!(file_text(ada.doc(), "app.py").contains("compute_the_answer"));
    assert!(file_text(ada.doc(), "notes.md").starts_with("# Notes"));

    let http = bearer_client(&room.server.token(&room.name, "write"));
    let (status, body) = call(
        http.post(
            room.server
                .http(&format!("/api/rooms/{}/turns/1/reject", room.name)),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut files: Vec<String> = serde_json::from_value(body["files"].clone()).unwrap();
    files.sort();
    assert_eq!(files, ["app.py", "notes.md"]);
    eventually("the rejection to reach Ada", || {
        !file_text(ada.doc(), "app.py").contains("compute")
    })
    .await;
    assert_eq!(file_text(ada.doc(), "app.py"), format!("{original}{typed}"));
    assert_eq!(protocol::schema::read_file(ada.doc(), "notes.md"), None);
    let entry = answer(&ada, &id).unwrap();
    assert_eq!(entry.status.as_deref(), Some("rejected"));
    // A second rejection is refused.
    let (status, _) = call(
        http.post(
            room.server
                .http(&format!("/api/rooms/{}/turns/1/reject", room.name)),
        ),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn the_reject_command_in_chat_undoes_the_last_turn() {
    let rules = json!({"rules": [
        {"when": {"tool_result_for": "str_replace"}, "reply": [{"text": "Done."}]},
        {"when": {"last_user_contains": "@claude"}, "reply": [
            {"tool": "str_replace", "input": {"path": "a.txt", "old_str": "alpha", "new_str": "ALPHA by Claude"}}
        ]}
    ]});
    let room = Room::start(rules, "").await;
    let ada = room.person().await;
    write(&ada, "a.txt", "alpha\nbeta\n");
    let id = say(&ada, "ada", "@claude shout");
    finished_answer(&ada, &id).await;
    assert_eq!(file_text(ada.doc(), "a.txt"), "ALPHA by Claude\nbeta\n");
    insert(&ada, "a.txt", 0, "ada was here\n");
    say(&ada, "ada", "/reject");
    eventually("the turn to be rejected", || {
        file_text(ada.doc(), "a.txt") == "ada was here\nalpha\nbeta\n"
    })
    .await;
    eventually("a system message saying so", || {
        chat::entries(ada.doc())
            .iter()
            .any(|e| e.kind == chat::KIND_SYSTEM && e.text.contains("Turn 1 rejected by ada"))
    })
    .await;
}

#[tokio::test]
async fn a_provider_error_mid_edit_leaves_an_error_in_chat_and_no_half_edit() {
    let room = Room::start(json!({"rules": []}), "chars_per_sec = 2000").await;
    let start = json!({"type":"message_start","message":{"id":"msg_e2e","type":"message","role":"assistant","model":"claude-haiku-5-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":50,"output_tokens":1}}});
    let delta = |s: &str| json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json": s}});
    room.mock
        .script(json!([{"lines": [
            start,
            {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}},
            {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Rewriting."}},
            {"type":"content_block_stop","index":0},
            {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_e2e","name":"str_replace","input":{}}},
            delta("{\"path\": \"a.txt\", \"old_str\": \"keep this line\", "),
            delta("\"new_str\": \"half of a new"),
            {"mock": "sleep", "ms": 300},
            delta(" line that never"),
            {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
        ]}]))
        .await;
    let ada = room.person().await;
    write(&ada, "a.txt", "first\nkeep this line\nlast\n");
    let id = say(&ada, "ada", "@claude rewrite");
    let done = finished_answer(&ada, &id).await;
    assert_eq!(done.status.as_deref(), Some("error"), "{done:?}");
    assert!(
        done.fields["error"].as_str().unwrap().contains("broke off"),
        "{}",
        done.fields
    );
    eventually("a system message about the failure", || {
        chat::entries(ada.doc())
            .iter()
            .any(|e| e.kind == chat::KIND_SYSTEM && e.text.contains("could not finish turn 1"))
    })
    .await;
    let bob = room.person().await;
    let text = converged(&ada, &bob, "a.txt").await;
    assert_eq!(
        text, "first\nkeep this line\nlast\n",
        "the partial edit was taken back"
    );
}

#[tokio::test]
async fn turns_in_two_rooms_run_at_the_same_time() {
    let room = Room::start(
        json!({"rules": [{"when": {"last_user_contains": "@claude"}, "reply": [{"text": "slow answer ".repeat(20)}], "delay_ms": 30, "chunk_chars": 4}]}),
        "",
    )
    .await;
    let a = room.person_in("room-a").await;
    let b = room.person_in("room-b").await;
    let ida = say(&a, "ada", "@claude one");
    let idb = say(&b, "bob", "@claude two");
    eventually("both replies streaming at once", || {
        let streaming = |c: &Client, id: &str| {
            answer(c, id).is_some_and(|e| e.status.as_deref() == Some("streaming"))
        };
        streaming(&a, &ida) && streaming(&b, &idb)
    })
    .await;
    finished_answer(&a, &ida).await;
    finished_answer(&b, &idb).await;
}

#[tokio::test]
async fn stop_cancels_the_running_turn() {
    let room = Room::start(
        json!({"rules": [{"when": {"last_user_contains": "@claude"}, "reply": [{"text": "a very long answer ".repeat(200)}], "delay_ms": 20, "chunk_chars": 4}]}),
        "",
    )
    .await;
    let ada = room.person().await;
    let id = say(&ada, "ada", "@claude talk a lot");
    eventually("the reply to stream", || {
        answer(&ada, &id).is_some_and(|e| e.text.len() > 20)
    })
    .await;
    say(&ada, "ada", "/stop");
    let done = finished_answer(&ada, &id).await;
    assert_eq!(done.status.as_deref(), Some("stopped"), "{done:?}");
    assert!(done.text.ends_with("_(stopped)_"), "{}", done.text);
    let len = done.text.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        answer(&ada, &id).unwrap().text.len(),
        len,
        "nothing more arrives"
    );
}

#[tokio::test]
async fn the_room_setting_decides_when_claude_answers() {
    let room = Room::start(
        json!({"rules": [{"when": {"always": true}, "reply": [{"text": "Here."}]}]}),
        "",
    )
    .await;
    let ada = room.person().await;
    let set = |mode: &str| {
        let meta = protocol::schema::meta(ada.doc());
        yrs::Map::insert(&meta, &mut ada.doc().transact_mut(), chat::META_AI, mode);
    };
    set("always");
    let plain = say(&ada, "ada", "no mention, but the room says always");
    assert_eq!(finished_answer(&ada, &plain).await.text, "Here.");
    set("off");
    let ignored = say(&ada, "ada", "@claude are you there?");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(answer(&ada, &ignored).is_none(), "AI is off in this room");
    set("mention");
    let asked = say(&ada, "ada", "@Claude now?");
    assert_eq!(finished_answer(&ada, &asked).await.text, "Here.");
    assert_eq!(room.mock.requests().await.len(), 2);
}

#[tokio::test]
async fn edits_and_leases_count_emoji_and_cjk_correctly() {
    let rules = json!({"rules": [
        {"when": {"tool_result_for": "str_replace"}, "reply": [{"text": "Done 🎉"}]},
        {"when": {"last_user_contains": "@claude"}, "reply": [
            {"tool": "str_replace", "input": {"path": "i18n.txt", "old_str": "你好 🌍 world", "new_str": "こんにちは 🎉🎉 世界 — ünïcödé"}}
        ], "delay_ms": 5, "chunk_chars": 2}
    ]});
    let room = Room::start(rules, "chars_per_sec = 300\nmax_chars_per_txn = 3").await;
    let ada = room.person().await;
    write(&ada, "i18n.txt", "😀 first\n你好 🌍 world\n🚀 last\n");
    let id = say(&ada, "ada", "@claude translate the middle line");
    let mut leases = Vec::new();
    while answer(&ada, &id).is_none_or(|e| e.is_running_turn()) {
        if let Some(p) = claude_presence(&ada).filter(|p| p["lease"].is_object()) {
            leases.push(p["lease"].clone());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = finished_answer(&ada, &id).await;
    assert_eq!(done.status.as_deref(), Some("done"), "{done:?}");
    let text = file_text(ada.doc(), "i18n.txt");
    assert_eq!(text, "😀 first\nこんにちは 🎉🎉 世界 — ünïcödé\n🚀 last\n");
    // Leases are UTF-16 offsets (as Yjs counts in JavaScript): the range starts after "😀 first\n",
    // which is 9 code units (the emoji is a surrogate pair), not 11 bytes.
    assert!(!leases.is_empty());
    assert!(leases.iter().all(|l| l["from"] == 9), "{leases:?}");
}

/// A crash inside the group-commit window can take the turn's entry with it: the restarted
/// server only learns of it when Ada reconnects and sends it back, after the AI peer joined.
#[tokio::test]
async fn a_turn_the_server_lost_in_a_crash_ends_as_an_error_once_a_person_brings_it_back() {
    let mut room = Room::start_with(
        json!({"rules": [{"when": {"last_user_contains": "@claude"}, "reply": [{"text": "long ".repeat(400)}], "delay_ms": 20, "chunk_chars": 4}]}),
        "",
        &["--commit-interval-ms", "50"],
    )
    .await;
    let ada = room.person().await;
    let id = say(&ada, "ada", "@claude talk");
    eventually("the reply entry", || answer(&ada, &id).is_some()).await;
    room.server.kill9();
    room.server.restart();
    eventually("the interrupted turn to end as an error", || {
        answer(&ada, &id).is_some_and(|e| e.status.as_deref() == Some("error"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(replies_to(&ada, &id), 1);
}

#[tokio::test]
async fn a_turn_cut_off_by_a_server_crash_ends_as_an_error_after_the_restart() {
    let mut room = Room::start(
        json!({"rules": [{"when": {"last_user_contains": "@claude"}, "reply": [{"text": "long ".repeat(400)}], "delay_ms": 20, "chunk_chars": 4}]}),
        "",
    )
    .await;
    let ada = room.person().await;
    let id = say(&ada, "ada", "@claude talk");
    eventually("the reply to stream", || {
        answer(&ada, &id).is_some_and(|e| e.status.as_deref() == Some("streaming"))
    })
    .await;
    room.server.kill9();
    room.server.restart();
    // Ada reconnects; the restarted server's AI peer joins and ends the orphaned turn.
    eventually("the interrupted turn to end as an error", || {
        answer(&ada, &id).is_some_and(|e| e.status.as_deref() == Some("error"))
    })
    .await;
    let entry = answer(&ada, &id).unwrap();
    assert!(
        entry.fields["error"]
            .as_str()
            .unwrap()
            .contains("interrupted"),
        "{}",
        entry.fields
    );
    // It is not answered twice.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(replies_to(&ada, &id), 1);
}
