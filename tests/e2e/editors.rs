//! Every kind of seat in one room at once: a stock y-websocket client (what the web page is),
//! real Neovim with the plugin and its bridge, the VS Code extension's sync module, and Claude
//! (the in-process AI peer on `claude-mock`) editing the same file. All must end with one text.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::agent::Room;
use crate::harness::{PATIENCE, Server, room_file};
use crate::nvim::{BUFFER_TEXT, Nvim, named_token};
use crate::vscode::{npm, vscode_dir};
use crate::yclient::YClient;

/// `clients/vscode/test/peer.ts`: the VS Code extension's sync module as a participant.
struct CodePeer {
    _child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl CodePeer {
    async fn start(server: &Server, room: &str, name: &str) -> CodePeer {
        let dir = vscode_dir();
        npm(&dir, "build:test").await;
        let link = format!(
            "{}#token={}",
            server.http(&format!("/r/{room}")),
            named_token(server, room, name)
        );
        let mut child = Command::new("node")
            .arg(dir.join("out-test/peer.js"))
            .env("LINK", link)
            .env("NAME", name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        CodePeer {
            _child: child,
            stdin,
            lines,
        }
    }

    async fn cmd(&mut self, req: Value) -> Value {
        self.stdin
            .write_all(format!("{req}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
        let line = tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .expect("the VS Code peer answered in time")
            .unwrap()
            .expect("the VS Code peer is running");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert!(v.get("error").is_none(), "{req} -> {v}");
        v
    }

    async fn text(&mut self, file: &str) -> String {
        self.cmd(json!({"cmd": "text", "file": file})).await["text"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

#[tokio::test]
async fn a_stock_client_neovim_vscode_and_claude_edit_one_file_and_converge() {
    let rules = json!({"rules": [
        {"when": {"tool_result_for": "str_replace"}, "reply": [{"text": "Renamed."}]},
        {"when": {"last_user_contains": "@claude"}, "reply": [
            {"text": "Renaming todo."},
            {"tool": "str_replace", "input": {"path": "shared.py", "old_str": "def todo():", "new_str": "def done_by_claude():"}}
        ], "delay_ms": 10, "chunk_chars": 3}
    ]});
    let room = Room::start(rules, "chars_per_sec = 400\nmax_chars_per_txn = 4").await;
    let (server, name) = (&room.server, room.name.as_str());
    let file = "shared.py";

    let mut web = YClient::joined(server, name, "Wendy", &named_token(server, name, "Wendy")).await;
    web.cmd(json!({"cmd": "write", "file": file, "text": "def todo():\n    pass\n# end\n"}))
        .await;
    let nvim = Nvim::start().await;
    nvim.join(server, name, &named_token(server, name, "Neo"))
        .await;
    nvim.open(name, file).await;
    let mut code = CodePeer::start(server, name, "Vera").await;
    code.cmd(json!({"cmd": "open", "file": file})).await;

    // Claude is asked from VS Code while everyone types in other parts of the file.
    code.cmd(json!({"cmd": "ask", "prompt": "rename todo"}))
        .await;
    nvim.keys("Go# neovim was here 😀<Esc>").await;
    for i in 0..5 {
        web.cmd(json!({"cmd": "insert", "file": file, "index": 0, "text": format!("# web {i}\n")}))
            .await;
        code.cmd(json!({"cmd": "type", "file": file, "before": "# end", "text": format!("# vscode {i} 你好\n")}))
            .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Everyone ends with the same text, holding every seat's edits and Claude's.
    let complete = |t: &str| {
        t.contains("def done_by_claude():\n    pass\n")
            && t.contains("# neovim was here 😀\n")
            && (0..5).all(|i| {
                t.contains(&format!("# web {i}\n")) && t.contains(&format!("# vscode {i} 你好\n"))
            })
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let want = loop {
        let t = room_file(server, name, file).await;
        if complete(&t) {
            break t;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the room never held every edit: {t:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    nvim.until_text("Neovim converges", &want).await;
    web.wait_equals(file, &want).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let got = code.text(file).await;
        if got == want {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "VS Code has {got:?}, the room {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(nvim.lua(BUFFER_TEXT).await, json!(want));
    assert_eq!(want.matches("def ").count(), 1, "{want}");
    code.cmd(json!({"cmd": "quit"})).await;
    web.quit().await;
}
