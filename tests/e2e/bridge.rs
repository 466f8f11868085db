//! `tandem-bridge` end to end: a scripted editor on its stdio (tests/e2e/editor.rs) against a
//! real `tandem`, beside stock y-websocket clients and Rust peers: concurrent typing converges,
//! the in-flight race is rebased, a server restart loses no local edit, and the handshake,
//! read-only seats, dead links, cursors, chat and runs behave as PROTOCOL.md says.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;
use yrs::{GetString, Map, Text, Transact};

use crate::agent::{insert, write};
use crate::editor::{Editor, Units, bridge_bin};
use crate::harness::{Server, eventually, file_text, peer, room_file, try_room_file, within};
use crate::node_peer::{NodePeer, NodeSpec};

fn link(server: &Server, room: &str, perm: &str) -> String {
    format!(
        "{}#token={}",
        server.http(&format!("/r/{room}")),
        server.token(room, perm)
    )
}

#[tokio::test]
async fn an_editor_and_a_stock_yjs_client_type_into_one_file_and_converge() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "bridge-converge";
    let seed = peer(&server, room).await;
    write(&seed, "main.py", "def main():\n    pass\n");
    eventually("the seed reaches the server", || true).await;

    let mut ed = Editor::start(Units::Bytes).await;
    ed.join(&link(&server, room, "write"), "Ada").await;
    let mut node = NodePeer::spawn(
        &server,
        NodeSpec {
            room,
            name: "nodey",
            file: "main.py",
            edits: 40,
            expect: (0..40).map(|i| format!("<ada{i}>")).collect(),
            await_names: vec!["Ada"],
            token: server.token(room, "write"),
            expect_denied: false,
        },
    );
    node.event("ready").await;
    ed.open("main.py").await;
    node.go().await;
    // Ada types at the top and in the middle while the stock client appends at the end.
    for i in 0..40 {
        let at = if i % 2 == 0 {
            0
        } else {
            ed.text("main.py").find("    pass").unwrap()
        };
        ed.type_at("main.py", at, at, &format!("<ada{i}>")).await;
        if i % 8 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let done = node.event("done").await;
    let node_text = done["text"].as_str().unwrap().to_owned();
    ed.until("the editor holds every node marker", |e| {
        (0..40).all(|i| e.text("main.py").contains(&format!("[nodey:{i}]")))
    })
    .await;
    let room_text = room_file(&server, room, "main.py").await;
    ed.until("the editor converges with the room", |e| {
        e.text("main.py") == room_text
    })
    .await;
    assert_eq!(node_text, room_text, "the stock client converged too");
    for i in 0..40 {
        assert_eq!(
            room_text.matches(&format!("<ada{i}>")).count(),
            1,
            "{room_text}"
        );
    }
    assert!(room_text.contains("def main():\n") && room_text.contains("    pass\n"));
    node.finish().await;
    assert_eq!(ed.finish().await, Some(0));
}

#[tokio::test]
async fn typing_while_a_remote_edit_is_in_flight_is_rebased_and_converges() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "bridge-race";
    let bob = peer(&server, room).await;
    write(&bob, "a.txt", "héllo 😀 wörld\nsecond line\n");

    let mut ed = Editor::start(Units::Utf16).await;
    ed.join(&link(&server, room, "write"), "Ada").await;
    ed.open("a.txt").await;
    ed.auto_apply = false;

    // Bob inserts at the top; the remote edit reaches the editor, which holds it unapplied.
    insert(&bob, "a.txt", 0, "# Bob 🎉\n");
    let held = ed
        .expect("a remote edit", |v| v["type"] == "remote_edit")
        .await;
    assert_eq!(held["base"], 1);
    // Meanwhile Ada types after "😀 " on her (stale) text: her counter moves to 2, so the
    // held edit no longer applies and is dropped, as an editor must.
    let before = "héllo 😀 ".encode_utf16().count();
    ed.type_at(
        "a.txt",
        before,
        before + "wörld".encode_utf16().count(),
        "planet",
    )
    .await;
    assert!(!ed.apply_event(&held).await, "a stale edit is refused");
    // The bridge rebases her edit onto the room and re-derives Bob's line on counter 2.
    let again = ed
        .expect("the re-derived remote edit", |v| {
            v["type"] == "remote_edit" && v["base"] == 2
        })
        .await;
    assert!(ed.apply_event(&again).await);
    let expected = "# Bob 🎉\nhéllo 😀 planet\nsecond line\n";
    assert_eq!(ed.text("a.txt"), expected);
    eventually("Bob sees Ada's edit", || {
        file_text(bob.doc(), "a.txt") == expected
    })
    .await;

    // Both at once in the same line: Bob deletes "second" while Ada, unaware, appends to it.
    {
        let files = protocol::schema::files(bob.doc());
        let mut txn = bob.doc().transact_mut();
        let t = protocol::schema::file_text(&txn, &files, "a.txt").unwrap();
        let at = t.get_string(&txn).find("second").unwrap() as u32;
        t.remove_range(&mut txn, at, "second ".len() as u32);
    }
    let held = ed
        .expect("Bob's delete", |v| v["type"] == "remote_edit")
        .await;
    let end = ed.units.len(ed.text("a.txt")) - 1;
    ed.type_at("a.txt", end, end, " (Ada)").await;
    assert!(!ed.apply_event(&held).await);
    ed.auto_apply = true;
    let expected = "# Bob 🎉\nhéllo 😀 planet\nline (Ada)\n";
    ed.until("the editor converges", |e| e.text("a.txt") == expected)
        .await;
    eventually("Bob converges", || {
        file_text(bob.doc(), "a.txt") == expected
    })
    .await;
    assert_eq!(room_file(&server, room, "a.txt").await, expected);

    // An edit that does not fit the buffer gets bad_range and a whole-text resync.
    let tick = ed.bufs["a.txt"].tick + 1;
    ed.bufs.get_mut("a.txt").unwrap().tick = tick;
    ed.send(json!({"type": "edit", "path": "a.txt", "tick": tick,
        "changes": [{"from": 1000, "to": 1001, "text": "x"}]}))
        .await;
    let err = ed.expect("bad_range", |v| v["type"] == "error").await;
    assert_eq!(err["code"], "bad_range");
    ed.expect("resync", |v| v["type"] == "resync").await;
    assert_eq!(ed.text("a.txt"), expected);
    // The buffer works on after the resync.
    ed.type_at("a.txt", 0, 0, "!").await;
    eventually("the edit after a resync lands", || {
        file_text(bob.doc(), "a.txt") == format!("!{expected}")
    })
    .await;
}

#[tokio::test]
async fn the_bridge_reconnects_after_a_server_restart_without_losing_local_edits() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let room = "bridge-restart";
    {
        let seed = peer(&server, room).await;
        write(&seed, "notes.md", "one\n");
        let api = server.api();
        let url = server.http(&format!("/api/rooms/{room}/files/notes.md"));
        crate::harness::eventually_async("the seed is stored", || {
            let (api, url) = (api.clone(), url.clone());
            async move { api.get(url).send().await.unwrap().text().await.unwrap() == "one\n" }
        })
        .await;
        seed.close().await;
    }
    let mut ed = Editor::start(Units::Bytes).await;
    ed.join(&link(&server, room, "write"), "Ada").await;
    ed.open("notes.md").await;
    ed.type_at("notes.md", 4, 4, "two\n").await;
    eventually_text(&server, room, "notes.md", "one\ntwo\n").await;

    server.kill9();
    ed.expect("reconnecting", |v| {
        v["type"] == "state" && v["state"] == "reconnecting"
    })
    .await;
    // Typed while the server is down: kept in the bridge's replica.
    for (i, line) in ["three\n", "four\n", "five\n"].iter().enumerate() {
        let end = ed.text("notes.md").len();
        ed.type_at("notes.md", end, end, line).await;
        if i == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    server.restart();
    ed.expect("synced again", |v| {
        v["type"] == "state" && v["state"] == "synced"
    })
    .await;
    let all = "one\ntwo\nthree\nfour\nfive\n";
    eventually_text(&server, room, "notes.md", all).await;
    // And the link works both ways again.
    let bob = peer(&server, room).await;
    insert(&bob, "notes.md", 0, "zero\n");
    let expected = format!("zero\n{all}");
    ed.until("Bob's edit after the restart", |e| {
        e.text("notes.md") == expected
    })
    .await;
    assert_eq!(ed.finish().await, Some(0));
}

async fn eventually_text(server: &Server, room: &str, path: &str, want: &str) {
    let start = std::time::Instant::now();
    while try_room_file(server, room, path).await.as_deref() != Some(want) {
        assert!(
            start.elapsed() < crate::harness::PATIENCE,
            "the room's {path} never became {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_handshake_dead_links_and_read_only_seats_get_clear_errors() {
    // An editor speaking a future protocol is told so, and the bridge exits 2.
    let mut cmd = Command::new(bridge_bin());
    cmd.arg("--cursor-rate").arg("50");
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let mut stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        stdin
            .write_all(b"{\"type\":\"open\",\"path\":\"x\"}\nnot json\n{\"type\":\"hello\",\"protocol\":9}\n")
            .await
            .unwrap();
        let mut codes = Vec::new();
        while let Some(line) = within(out.next_line()).await.unwrap() {
            let v: Value = serde_json::from_str(&line).unwrap();
            codes.push(v["code"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            codes,
            ["bad_message", "bad_message", "unsupported_protocol"]
        );
    }
    let status = within(child.wait()).await.unwrap();
    assert_eq!(status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "bridge-errors";
    let bob = peer(&server, room).await;
    write(&bob, "a.txt", "keep me\n");

    let mut ed = Editor::start(Units::Bytes).await;
    // Before joining, room requests are refused.
    ed.send(json!({"type": "open", "id": 5, "path": "a.txt"}))
        .await;
    let e = ed.expect("not_joined", |v| v["re"] == 5).await;
    assert_eq!(e["code"], "not_joined");
    // A forged token and a token for another room are refused at join, with `auth`.
    let forged = format!(
        "{}#token={}",
        server.http(&format!("/r/{room}")),
        crate::harness::sign_hs256(
            "not-the-secret-not-the-secret-00",
            &crate::harness::claims(room, "write")
        )
    );
    for bad in [
        forged,
        link(&server, "elsewhere", "write").replace("/r/elsewhere", &format!("/r/{room}")),
    ] {
        ed.send(json!({"type": "join", "id": 6, "link": bad})).await;
        let e = ed.expect("auth", |v| v["re"] == 6).await;
        assert_eq!(e["code"], "auth", "{e}");
    }
    ed.send(json!({"type": "join", "id": 7, "link": "http://nowhere"}))
        .await;
    let e = ed.expect("bad link", |v| v["re"] == 7).await;
    assert_eq!(e["code"], "bad_message");

    // A read-only seat: every edit is refused and the buffer set back to the room's text.
    ed.join(&link(&server, room, "read"), "Viewer").await;
    assert!(
        ed.log
            .iter()
            .any(|v| v["type"] == "joined" && v["read_only"] == true)
    );
    ed.open("a.txt").await;
    ed.type_at("a.txt", 0, 4, "lose").await;
    let e = ed.expect("forbidden", |v| v["type"] == "error").await;
    assert_eq!(e["code"], "forbidden");
    ed.until("the buffer is set back", |e| e.text("a.txt") == "keep me\n")
        .await;
    assert_eq!(file_text(bob.doc(), "a.txt"), "keep me\n");
    // A file that does not exist.
    ed.send(json!({"type": "open", "id": 8, "path": "nope.txt"}))
        .await;
    let e = ed.expect("no_such_file", |v| v["re"] == 8).await;
    assert_eq!(e["code"], "no_such_file");
    // A token revoked while joined ends the session with a reason instead of retrying.
    let mut w = Editor::start(Units::Bytes).await;
    let token = server.token(room, "write");
    w.join(
        &format!("{}#token={token}", server.http(&format!("/r/{room}"))),
        "Ada",
    )
    .await;
    let jti = crate::harness::peek_claims(&token)["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = server
        .api()
        .delete(server.http(&format!("/api/tokens/{jti}")))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "revoke: {}", resp.status());
    let closed = w
        .expect("closed", |v| v["type"] == "state" && v["state"] == "closed")
        .await;
    assert!(
        closed["reason"].as_str().unwrap().contains("revoked"),
        "{closed}"
    );
    w.send(json!({"type": "open", "id": 9, "path": "a.txt"}))
        .await;
    let e = w.expect("not_joined after close", |v| v["re"] == 9).await;
    assert_eq!(e["code"], "not_joined");
}

#[tokio::test]
async fn cursors_presence_follow_chat_and_runs_reach_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "bridge-social";
    let bob = peer(&server, room).await;
    write(
        &bob,
        "main.py",
        "# 😀 emoji first\nprint('hi from the room')\n",
    );
    write(&bob, "other.py", "x = 1\n");
    bob.set_awareness(json!({"user": {"name": "Bob", "color": "#22c55e", "kind": "human"}}));

    let mut ed = Editor::start(Units::Utf16).await;
    ed.join(&link(&server, room, "write"), "Ada").await;
    ed.open("main.py").await;
    let files = ed.expect("files", |v| v["type"] == "files").await;
    let paths: Vec<&str> = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["main.py", "other.py"]);

    // Bob's caret after "print" on line 2: UTF-16 offset counts 😀 as two units.
    let byte = "# 😀 emoji first\nprint".len();
    let cursor = {
        let files = protocol::schema::files(bob.doc());
        let txn = bob.doc().transact();
        let t = protocol::schema::file_text(&txn, &files, "main.py").unwrap();
        let pos =
            yrs::IndexedSequence::sticky_index(&t, &txn, byte as u32, yrs::Assoc::After).unwrap();
        serde_json::to_value(pos).unwrap()
    };
    bob.set_awareness(
        json!({"user": {"name": "Bob", "color": "#22c55e", "kind": "human"},
        "cursor": {"file": "main.py", "anchor": cursor, "head": cursor}}),
    );
    let want = "# 😀 emoji first\nprint".encode_utf16().count();
    let cursors = ed
        .expect("Bob's caret", |v| {
            v["type"] == "cursors" && v["cursors"].as_array().is_some_and(|c| !c.is_empty())
        })
        .await;
    assert_eq!(cursors["path"], "main.py");
    let c = &cursors["cursors"][0];
    assert_eq!(
        (c["name"].as_str(), c["head"].as_u64()),
        (Some("Bob"), Some(want as u64))
    );
    assert_eq!(c["color"], "#22c55e");
    let people = ed
        .expect("presence", |v| {
            v["type"] == "presence"
                && v["people"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["path"] == "main.py")
        })
        .await;
    assert_eq!(people["people"][0]["name"], "Bob");

    // Ada's caret, in UTF-16 units, is published as a relative position Bob resolves.
    let ada_at = "# 😀 emoji".encode_utf16().count();
    ed.send(json!({"type": "cursor", "path": "main.py", "anchor": ada_at, "head": ada_at}))
        .await;
    let me = bob.doc().client_id().get();
    eventually("Bob sees Ada's caret", || {
        bob.presence().iter().any(|(id, s)| {
            *id != me
                && s["user"]["name"] == "Ada"
                && resolve(&bob, &s["cursor"]["head"]) == Some("# 😀 emoji".len())
        })
    })
    .await;

    // Follow Bob: his caret moves to other.py.
    ed.send(json!({"type": "follow", "name": "Bob"})).await;
    ed.expect("follow main.py", |v| {
        v["type"] == "follow_target" && v["path"] == "main.py"
    })
    .await;
    let other = {
        let files = protocol::schema::files(bob.doc());
        let txn = bob.doc().transact();
        let t = protocol::schema::file_text(&txn, &files, "other.py").unwrap();
        serde_json::to_value(
            yrs::IndexedSequence::sticky_index(&t, &txn, 4, yrs::Assoc::After).unwrap(),
        )
        .unwrap()
    };
    bob.set_awareness(json!({"user": {"name": "Bob", "kind": "human"},
        "cursor": {"file": "other.py", "anchor": other, "head": other}}));
    let target = ed
        .expect("follow other.py", |v| {
            v["type"] == "follow_target" && v["path"] == "other.py"
        })
        .await;
    assert_eq!(target["offset"], 4);

    // Chat: ask posts "@claude ..."; a reply written by someone else streams back.
    ed.send(json!({"type": "ask", "id": 20, "prompt": "explain main.py"}))
        .await;
    let asked = ed.expect("asked", |v| v["re"] == 20).await;
    let id = asked["message"].as_str().unwrap().to_owned();
    eventually("the question is in the room", || {
        protocol::chat::entries(bob.doc())
            .iter()
            .any(|e| e.id == id && e.text == "@claude explain main.py" && e.author == "Ada")
    })
    .await;
    // A prompt that already mentions Claude is posted as it is; two posts get two ids.
    ed.send(json!({"type": "ask", "id": 21, "prompt": "@Claude and the tests?"}))
        .await;
    let again = ed.expect("asked again", |v| v["re"] == 21).await;
    let id2 = again["message"].as_str().unwrap().to_owned();
    assert_ne!(id2, id);
    eventually("the second question is in the room", || {
        protocol::chat::entries(bob.doc())
            .iter()
            .any(|e| e.id == id2 && e.text == "@Claude and the tests?")
    })
    .await;
    {
        let mut txn = bob.doc().transact_mut();
        let map = protocol::chat::append(
            &mut txn,
            protocol::chat::NewEntry {
                id: "ai-1-1".into(),
                author: "Claude".into(),
                kind: "ai".into(),
                text: "It prints".into(),
                ts: protocol::chat::now_ms(),
                fields: vec![
                    ("status".into(), yrs::Any::from("streaming")),
                    ("reply_to".into(), yrs::Any::from(id.clone())),
                ],
            },
        );
        let _ = map;
    }
    let partial = ed
        .expect("the streaming reply", |v| {
            v["type"] == "chat_message" && v["message"] == "ai-1-1"
        })
        .await;
    assert_eq!(
        (partial["status"].as_str(), partial["reply_to"].as_str()),
        (Some("streaming"), Some(id.as_str()))
    );
    {
        let chat = protocol::chat::chat(bob.doc());
        let mut txn = bob.doc().transact_mut();
        let (_, map) = protocol::chat::find(&txn, &chat, "ai-1-1").unwrap();
        if let Some(yrs::Out::YText(t)) = map.get(&txn, "text") {
            let len = t.get_string(&txn).len() as u32;
            t.insert(&mut txn, len, " a greeting.");
        }
        map.insert(&mut txn, "status", "done");
    }
    let done = ed
        .expect("the finished reply", |v| {
            v["type"] == "chat_message" && v["message"] == "ai-1-1" && v["status"] == "done"
        })
        .await;
    assert_eq!(done["text"], "It prints a greeting.");

    // Run: output and status, through the server's runner.
    ed.send(json!({"type": "run", "id": 30, "entry": "main.py"}))
        .await;
    let started = ed.expect("run_started", |v| v["re"] == 30).await;
    assert_eq!(started["type"], "run_started", "{started}");
    let run = started["run"].as_str().unwrap().to_owned();
    let status = ed
        .expect("the run's end", |v| {
            v["type"] == "run_status" && v["run"] == run.as_str() && v["status"] == "exited"
        })
        .await;
    assert_eq!(status["exit_code"], 0, "{status}");
    // Who asked: the link's subject, as the web page shows it.
    assert!(!status["requested_by"].as_str().unwrap().is_empty());
    let output: String = ed
        .seen("run_output")
        .iter()
        .filter(|v| v["run"] == run.as_str())
        .map(|v| v["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(output, "hi from the room\n");
}

fn resolve(client: &protocol::client::Client, pos: &Value) -> Option<usize> {
    let pos: yrs::StickyIndex = serde_json::from_value(pos.clone()).ok()?;
    let txn = client.doc().transact();
    pos.get_offset(&txn).map(|o| o.index as usize)
}

#[tokio::test]
async fn multibyte_typing_on_both_sides_at_full_speed_converges() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "bridge-multibyte";
    let bob = peer(&server, room).await;
    write(&bob, "f.txt", "😀\n");
    let mut ed = Editor::start(Units::Bytes).await;
    ed.join(&link(&server, room, "write"), "Ada").await;
    ed.open("f.txt").await;
    // Bob types multibyte characters at the top while Ada does at the end, without pauses: the
    // bridge must place her edits on the room's text as it is when they land.
    let typist = tokio::spawn(async move {
        for _ in 0..150 {
            insert(&bob, "f.txt", 0, "你ü");
            tokio::task::yield_now().await;
        }
        bob
    });
    for _ in 0..150 {
        let end = ed.text("f.txt").len();
        ed.type_at("f.txt", end, end, "é😀").await;
    }
    let bob = typist.await.unwrap();
    let want_len = "😀\n".len() + 150 * ("你ü".len() + "é😀".len());
    eventually("Bob has everything", || {
        file_text(bob.doc(), "f.txt").len() == want_len
    })
    .await;
    let room_text = file_text(bob.doc(), "f.txt");
    ed.until("the editor converges", |e| e.text("f.txt") == room_text)
        .await;
    assert_eq!(room_text.matches("你ü").count(), 150);
    assert_eq!(room_text.matches("é😀").count(), 150);
    assert_eq!(room_file(&server, room, "f.txt").await, room_text);
    assert_eq!(
        ed.finish().await,
        Some(0),
        "the bridge is alive and leaves cleanly"
    );
}
