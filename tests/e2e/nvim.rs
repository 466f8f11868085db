//! The Neovim plugin (`clients/nvim`) end to end: a real headless Neovim (0.7.2 and later) with
//! the plugin, typed into with real keystrokes over `nvim --server --remote-send` and read with
//! `--remote-expr`, its real `tandem-bridge`, the real server, and a stock y-websocket peer
//! (`tests/node/yclient.mjs`) as the other person in the room.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::agent::Room;
use crate::editor::bridge_bin;
use crate::harness::{PATIENCE, Server, claims};
use crate::yclient::{YClient, utf16_index};

fn plugin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../clients/nvim")
        .canonicalize()
        .expect("clients/nvim")
}

/// A write token for `room` whose `name` claim the bridge shows to the room.
pub(crate) fn named_token(server: &Server, room: &str, name: &str) -> String {
    let mut c = claims(room, "write");
    c["name"] = json!(name);
    server.token_with(&c)
}

/// Lua that reads the current buffer's room text (lines joined, final newline per 'eol').
pub(crate) const BUFFER_TEXT: &str = r#"(function() local b = require("tandem.buffer").by_buf[vim.api.nvim_get_current_buf()]; return b and require("tandem.buffer").room_text(b) or vim.NIL end)()"#;

/// Lua describing the cursor: row (1-based), byte column, the character under it, the mode.
const CURSOR: &str = r#"(function() local c = vim.api.nvim_win_get_cursor(0); local l = vim.api.nvim_get_current_line(); local n = require("tandem.text").char_len(l, c[2]); return {c[1], c[2], l:sub(c[2] + 1, c[2] + math.max(n, 1)), vim.api.nvim_get_mode().mode} end)()"#;

/// Lua listing the extmarks of the remote-cursor namespace in the current buffer.
const CURSOR_MARKS: &str = r#"(function()
  local out = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, vim.api.nvim_get_namespaces().tandem_cursors, 0, -1, {details = true})) do
    local d = m[4]
    table.insert(out, {row = m[2], col = m[3], end_row = d.end_row or vim.NIL, end_col = d.end_col or vim.NIL,
      hl = d.hl_group or vim.NIL, label = d.virt_text and d.virt_text[1][1] or vim.NIL,
      pos = d.virt_text_pos or vim.NIL})
  end
  return out
end)()"#;

/// A headless Neovim with the plugin, listening on a socket in its own temp dir.
pub(crate) struct Nvim {
    child: std::process::Child,
    sock: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Nvim {
    pub(crate) async fn start() -> Nvim {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("nvim.sock");
        let log = dir.path().join("tandem-nvim.log");
        let child = std::process::Command::new("nvim")
            .arg("--headless")
            .arg("--listen")
            .arg(&sock)
            .args(["-u", "NONE", "--noplugin", "-i", "NONE", "-n"])
            .arg("--cmd")
            .arg(format!("set rtp+={}", plugin_dir().display()))
            .args(["-c", "runtime plugin/tandem.lua"])
            .env("TANDEM_BRIDGE", bridge_bin())
            .env("TANDEM_NVIM_LOG", &log)
            .env_remove("TANDEM_NAME")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run `nvim` (the Neovim tests need it: apt-get install neovim): {e}")
            });
        let nvim = Nvim {
            child,
            sock,
            log,
            _dir: dir,
        };
        let start = Instant::now();
        loop {
            if nvim.sock.exists() && nvim.try_expr("1").await.ok().as_deref() == Some("1") {
                break;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "nvim never listened on its socket"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            nvim.lua("vim.g.loaded_tandem").await,
            json!(1),
            "the plugin loaded"
        );
        nvim
    }

    async fn remote(&self, args: &[&str]) -> std::process::Output {
        let out = tokio::process::Command::new("nvim")
            .args(["--headless", "-u", "NONE", "-i", "NONE", "--server"])
            .arg(&self.sock)
            .args(args)
            .stdin(Stdio::null())
            .output();
        tokio::time::timeout(PATIENCE, out)
            .await
            .expect("nvim --server answered")
            .expect("run nvim --server")
    }

    /// Types `keys` (Vim key notation) as if at the keyboard.
    pub(crate) async fn keys(&self, keys: &str) {
        let out = self.remote(&["--remote-send", keys]).await;
        assert!(
            out.status.success(),
            "--remote-send {keys:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The value of a Vim expression as `--remote-expr` prints it: on stdout in current
    /// Neovim, on stderr (beside any error) in 0.7, so both are taken and the caller parses.
    async fn try_expr(&self, expr: &str) -> Result<String, String> {
        let out = self.remote(&["--remote-expr", expr]).await;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text.trim().to_owned())
        } else {
            Err(text)
        }
    }

    /// The value of a Lua expression, through JSON.
    pub(crate) async fn lua(&self, code: &str) -> Value {
        let expr = format!("luaeval('vim.json.encode({})')", code.replace('\'', "''"));
        let out = self
            .try_expr(&expr)
            .await
            .unwrap_or_else(|e| panic!("lua {code}: {e}\n{}", self.log()));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("lua {code}: {out:?}: {e}"))
    }

    /// Polls the Lua expression `code` until `check` accepts its value; returns that value.
    pub(crate) async fn until(
        &self,
        what: &str,
        code: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let v = self.lua(code).await;
            if check(&v) {
                return v;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "timed out waiting for {what}; last value {v}\nplugin log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The current buffer's room text once it equals `want`.
    pub(crate) async fn until_text(&self, what: &str, want: &str) {
        self.until(what, BUFFER_TEXT, |v| v == want).await;
    }

    /// `:TandemJoin` with a link to `room`, until the plugin reports it is synced.
    pub(crate) async fn join(&self, server: &Server, room: &str, token: &str) {
        self.keys(&format!(
            ":TandemJoin http://{}/r/{room}#token={token}<CR>",
            server.addr
        ))
        .await;
        self.until(
            "the plugin to join and sync",
            r#"require("tandem").info()"#,
            |v| v["state"] == "synced" && v["room"] == room,
        )
        .await;
    }

    /// `:TandemOpen path` (a room file), until the current buffer is bound to it.
    pub(crate) async fn open(&self, room: &str, path: &str) {
        self.keys(&format!(":TandemOpen {path}<CR>")).await;
        let name = format!("tandem://{room}/{path}");
        self.until(
            &format!("{path} to open"),
            "vim.api.nvim_buf_get_name(0)",
            |v| v == name.as_str(),
        )
        .await;
    }

    async fn cursor(&self) -> Value {
        self.lua(CURSOR).await
    }

    fn log(&self) -> String {
        log_of(&self.log)
    }
}

fn log_of(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Drop for Nvim {
    fn drop(&mut self) {
        // :qa! first, so the plugin stops its bridge; a kill if Neovim does not go.
        let _ = std::process::Command::new("nvim")
            .args(["--headless", "-u", "NONE", "-i", "NONE", "--server"])
            .arg(&self.sock)
            .args(["--remote-send", "<C-\\><C-N>:qa!<CR>"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn keys_typed_in_neovim_reach_a_stock_yjs_peer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "nvim-typing";
    let mut bob = YClient::joined(&server, room, "Bob", &server.token(room, "write")).await;
    bob.cmd(json!({"cmd": "write", "file": "main.py", "text": "def f():\n    return 1\n"}))
        .await;
    bob.cmd(json!({"cmd": "write", "file": "notes.txt", "text": "no newline at the end"}))
        .await;

    let nvim = Nvim::start().await;
    nvim.join(&server, room, &named_token(&server, room, "Ada"))
        .await;
    nvim.open(room, "main.py").await;
    nvim.until_text("the room's text", "def f():\n    return 1\n")
        .await;
    nvim.keys("ggA  # héllo 你好 😀<Esc>").await;
    // Neovim's default 'autoindent' indents the new line like the one above.
    nvim.keys("Goprint(f())<Esc>").await;
    nvim.keys("2G^cwyield<Esc>").await;
    let want = "def f():  # héllo 你好 😀\n    yield 1\n    print(f())\n";
    bob.wait_equals("main.py", want).await;
    nvim.until_text("Neovim's own text", want).await;
    assert_eq!(bob.text("main.py").await.as_deref(), Some(want));

    // A file without a final newline keeps it missing through `o` on its last line and `dd`.
    nvim.open(room, "notes.txt").await;
    nvim.keys("osecond line<Esc>").await;
    bob.wait_equals("notes.txt", "no newline at the end\nsecond line")
        .await;
    nvim.keys("ggdd").await;
    bob.wait_equals("notes.txt", "second line").await;
    nvim.keys("u").await;
    bob.wait_equals("notes.txt", "no newline at the end\nsecond line")
        .await;
    // `:w` only says the text is in the room; nothing reaches the disk.
    nvim.keys(":w<CR>").await;
    assert_eq!(
        nvim.lua("vim.bo.modified").await,
        json!(false),
        "{}",
        nvim.log()
    );
    assert!(
        !Path::new("notes.txt").exists() && !nvim._dir.path().join("notes.txt").exists(),
        "nothing written to disk"
    );
    // Leaving stops the bridge; the statusline goes blank and Bob no longer sees Ada.
    nvim.keys(":TandemLeave<CR>").await;
    nvim.until(
        "the session to end",
        r#"{require("tandem").status(), require("tandem.session").bridge == nil}"#,
        |v| v == &json!(["", true]),
    )
    .await;
    let start = Instant::now();
    loop {
        let states = bob.cmd(json!({"cmd": "awareness"})).await["states"].clone();
        if !states.to_string().contains("\"Ada\"") {
            break;
        }
        assert!(start.elapsed() < PATIENCE, "Ada still present: {states}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bob.quit().await;
}

#[tokio::test]
async fn a_peers_edits_land_in_place_and_the_neovim_cursor_stays_on_its_character() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "nvim-remote";
    let mut bob = YClient::joined(&server, room, "Bob", &server.token(room, "write")).await;
    let start = "a = 'é'\nb = '你好' + x\nc = '😀'\n";
    bob.cmd(json!({"cmd": "write", "file": "main.py", "text": start}))
        .await;
    let nvim = Nvim::start().await;
    nvim.join(&server, room, &named_token(&server, room, "Ada"))
        .await;
    nvim.open(room, "main.py").await;
    nvim.until_text("the room's text", start).await;

    // The cursor on the x of line 2.
    nvim.keys("2G0fx").await;
    let x_col = "b = '你好' + ".len();
    assert_eq!(nvim.cursor().await, json!([2, x_col, "x", "n"]));

    // Bob inserts before the cursor on its line, between ' and 你.
    let mut text = start.to_owned();
    let at = text.find("你").unwrap();
    insert_at(&mut bob, &mut text, at, "é😀").await;
    nvim.until_text("Bob's insertion on the cursor's line", &text)
        .await;
    assert_eq!(
        nvim.cursor().await,
        json!([2, x_col + "é😀".len(), "x", "n"]),
        "still on x"
    );

    // ...and on an earlier line, adding lines.
    insert_at(&mut bob, &mut text, 0, "# 你好\n# 😀\n").await;
    nvim.until_text("Bob's lines above", &text).await;
    assert_eq!(
        nvim.cursor().await,
        json!([4, x_col + "é😀".len(), "x", "n"]),
        "moved down with its line"
    );

    // In insert mode (before the x), Bob types at the start of the line; then Ada types.
    nvim.keys("i").await;
    nvim.until("insert mode", "vim.api.nvim_get_mode().mode", |v| v == "i")
        .await;
    let line_start = text.find("b = ").unwrap();
    insert_at(&mut bob, &mut text, line_start, "ZZ").await;
    nvim.until_text("Bob's insertion while Ada is in insert mode", &text)
        .await;
    assert_eq!(
        nvim.cursor().await,
        json!([4, x_col + "é😀".len() + 2, "x", "i"]),
        "the insertion point stays before x"
    );
    nvim.keys("Q<Esc>").await;
    let x = text.find("x\n").unwrap();
    text.insert(x, 'Q');
    bob.wait_equals("main.py", &text).await;
    nvim.until_text("Ada's Q before x", &text).await;

    // A deletion before the cursor (Bob's é😀 goes) keeps it on its character (now the Q).
    let e = text.find("é😀").unwrap();
    bob.cmd(json!({"cmd": "delete", "file": "main.py", "index": utf16_index(&text, e), "len": "é😀".encode_utf16().count()}))
        .await;
    text.replace_range(e..e + "é😀".len(), "");
    nvim.until_text("Bob's deletion", &text).await;
    assert_eq!(
        nvim.cursor().await,
        json!([4, "ZZb = '你好' + ".len(), "Q", "n"])
    );
    // Bob's edits and Ada's typing agree on both sides.
    nvim.keys("A!<Esc>").await;
    text.insert(text.find("x\n").unwrap() + 1, '!');
    bob.wait_equals("main.py", &text).await;
    nvim.until_text("the same text in Neovim", &text).await;
    assert_eq!(
        nvim.cursor().await,
        json!([4, "ZZb = '你好' + Qx".len(), "!", "n"])
    );

    // A line break inserted before the cursor on its line takes it to the next line (Neovim
    // alone would keep its column there and land on another character).
    nvim.keys("FQ").await;
    assert_eq!(
        nvim.cursor().await,
        json!([4, "ZZb = '你好' + ".len(), "Q", "n"])
    );
    let plus = text.find("+ Qx!").unwrap();
    insert_at(&mut bob, &mut text, plus, "ß\n").await;
    nvim.until_text("Bob's line break", &text).await;
    assert_eq!(nvim.cursor().await, json!([5, "+ ".len(), "Q", "n"]));
    bob.quit().await;
}

/// Bob inserts `s` at byte `byte` of `text` (his copy is updated to match).
async fn insert_at(bob: &mut YClient, text: &mut String, byte: usize, s: &str) {
    bob.cmd(
        json!({"cmd": "insert", "file": "main.py", "index": utf16_index(text, byte), "text": s}),
    )
    .await;
    text.insert_str(byte, s);
}

#[tokio::test]
async fn a_peers_cursor_shows_in_neovim_with_their_name_and_neovims_reaches_the_peer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "nvim-cursors";
    let mut bob = YClient::joined(&server, room, "Bob", &server.token(room, "write")).await;
    let text = "first line\nsécond line\n";
    bob.cmd(json!({"cmd": "write", "file": "main.py", "text": text}))
        .await;
    let nvim = Nvim::start().await;
    nvim.join(&server, room, &named_token(&server, room, "Ada"))
        .await;
    nvim.open(room, "main.py").await;
    nvim.until_text("the room's text", text).await;

    // Bob's caret on the "o" of "sécond": row 1, byte column 4 (é is two bytes).
    let o = text.find("ond").unwrap();
    bob.cmd(json!({"cmd": "cursor", "file": "main.py", "index": utf16_index(text, o)}))
        .await;
    let marks = nvim
        .until("Bob's caret", CURSOR_MARKS, |v| {
            v.as_array().is_some_and(|ms| {
                ms.iter()
                    .any(|m| m["label"].as_str().is_some_and(|l| l.contains("Bob")))
                    && ms.iter().any(|m| m["row"] == 1 && m["col"] == 4)
            })
        })
        .await;
    let caret = marks
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["row"] == 1 && m["col"] == 4 && m["label"].is_null())
        .unwrap_or_else(|| panic!("a caret mark at 1:4 in {marks}"));
    assert_eq!(caret["end_col"], 5, "covers the o: {marks}");
    assert_eq!(
        caret["hl"], "TandemCursor22c55e",
        "in Bob's colour: {marks}"
    );
    let label = marks
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["label"].is_string())
        .unwrap();
    assert_eq!(label["row"], 1, "the label is on the caret's line: {marks}");
    assert_eq!(label["pos"], "eol");

    // A selection (anchor at the line start, head after "first") is highlighted.
    bob.cmd(json!({"cmd": "cursor", "file": "main.py", "anchor": 0, "index": 5}))
        .await;
    nvim.until("Bob's selection", CURSOR_MARKS, |v| {
        v.as_array().is_some_and(|ms| {
            ms.iter().any(|m| {
                m["row"] == 0
                    && m["col"] == 0
                    && m["end_col"] == 5
                    && m["hl"] == "TandemSelection22c55e"
            })
        })
    })
    .await;

    // Ada's cursor reaches Bob: on the "l" of "line" in row 2.
    nvim.keys("2G0w").await;
    let l = text.rfind("line").unwrap();
    let seen = bob
        .cmd(json!({"cmd": "wait_awareness", "name": "Ada", "has": "cursor", "head": utf16_index(text, l)}))
        .await;
    assert_eq!(seen["file"], "main.py", "{seen}");
    assert_eq!(seen["state"]["user"]["kind"], "human", "{seen}");

    // Bob leaving takes his caret away.
    bob.quit().await;
    nvim.until("Bob's marks to go", CURSOR_MARKS, |v| {
        v.as_array().is_some_and(Vec::is_empty)
    })
    .await;
}

#[tokio::test]
async fn tandem_ask_shows_claudes_reply_in_the_chat_buffer() {
    let reply = "Hello from Claude, answering Neovim. ".repeat(4);
    let room = Room::start_with(
        json!({"rules": [{"when": {"last_user_contains": "@claude"}, "reply": [{"text": reply}], "delay_ms": 15, "chunk_chars": 6}]}),
        "",
        &[],
    )
    .await;
    let nvim = Nvim::start().await;
    nvim.join(
        &room.server,
        &room.name,
        &named_token(&room.server, &room.name, "Ada"),
    )
    .await;
    nvim.keys(":TandemAsk say hello<CR>").await;
    let chat = r#"table.concat(vim.api.nvim_buf_get_lines(require("tandem.chat").buffer(), 0, -1, false), "\n")"#;
    let shown = nvim
        .until("Claude's whole reply in the chat buffer", chat, |v| {
            v.as_str().is_some_and(|s| {
                s.contains(reply.trim_end())
                    && s.contains("## Claude")
                    && !s.contains("(streaming)")
            })
        })
        .await;
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("@claude say hello"), "our question: {shown}");
    assert!(
        shown.contains("## Claude") && shown.contains("→ you"),
        "marked as the answer to our ask: {shown}"
    );
    // The chat is in a window of its own.
    assert_eq!(
        nvim.lua(r#"#vim.tbl_filter(function(w) return vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(w)) == "tandem://chat" end, vim.api.nvim_list_wins())"#)
            .await,
        json!(1)
    );
    // The model got the question.
    let requests = room.mock.requests().await;
    assert!(
        requests
            .iter()
            .any(|r| r["body"].to_string().contains("@claude say hello")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn tandem_run_shows_the_output_and_tandem_follow_goes_where_the_peer_goes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "nvim-run-follow";
    let mut bob = YClient::joined(&server, room, "Bob", &server.token(room, "write")).await;
    bob.cmd(json!({"cmd": "write", "file": "main.py", "text": "print('hello from the room')\n"}))
        .await;
    let other = "x = 1\ny = 2\nz = 3\n";
    bob.cmd(json!({"cmd": "write", "file": "other.py", "text": other}))
        .await;
    let nvim = Nvim::start().await;
    nvim.join(&server, room, &named_token(&server, room, "Ada"))
        .await;
    nvim.open(room, "main.py").await;

    nvim.keys(":TandemRun main.py<CR>").await;
    let runs = r#"table.concat(vim.api.nvim_buf_get_lines(require("tandem.runs").buffer(), 0, -1, false), "\n")"#;
    let shown = nvim
        .until("the run's output and end", runs, |v| {
            v.as_str()
                .is_some_and(|s| s.contains("hello from the room") && s.contains("[exited 0"))
        })
        .await;
    assert!(shown.as_str().unwrap().contains("main.py"), "{shown}");

    // Following Bob opens the file his cursor is in, at his cursor, and keeps up as he moves.
    let y = other.find("y = 2").unwrap();
    bob.cmd(json!({"cmd": "cursor", "file": "other.py", "index": utf16_index(other, y)}))
        .await;
    nvim.until(
        "Bob in the presence list",
        r#"require("tandem").info().people"#,
        |v| v == &json!(["Bob"]),
    )
    .await;
    nvim.keys(":TandemFollow Bob<CR>").await;
    let whereabouts = r#"{vim.api.nvim_buf_get_name(0), vim.api.nvim_win_get_cursor(0)}"#;
    let name = format!("tandem://{room}/other.py");
    nvim.until("Neovim to follow Bob into other.py", whereabouts, |v| {
        v == &json!([name, [2, 0]])
    })
    .await;
    let z = other.find("= 3").unwrap();
    bob.cmd(json!({"cmd": "cursor", "file": "other.py", "index": utf16_index(other, z)}))
        .await;
    nvim.until("Neovim to follow Bob's move", whereabouts, |v| {
        v == &json!([name, [3, 2]])
    })
    .await;
    // Stopped, it stays put.
    nvim.keys(":TandemFollow<CR>").await;
    nvim.until(
        "following to stop",
        r#"require("tandem").info().following == nil"#,
        |v| v == true,
    )
    .await;
    bob.cmd(json!({"cmd": "cursor", "file": "other.py", "index": 0}))
        .await;
    // The bridge sends cursors at most every 50 ms: by the time Bob's caret is drawn at 0:0, a
    // follow_target would have been handled too.
    nvim.until("Bob's caret at the start", CURSOR_MARKS, |v| {
        v.as_array().is_some_and(|ms| {
            ms.iter()
                .any(|m| m["row"] == 0 && m["col"] == 0 && m["label"].is_null())
        })
    })
    .await;
    assert_eq!(nvim.lua(whereabouts).await, json!([name, [3, 2]]));
    bob.quit().await;
}

#[tokio::test]
async fn typing_in_neovim_while_a_peer_types_converges_without_losing_a_character() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = "nvim-race";
    let mut bob = YClient::joined(&server, room, "Bob", &server.token(room, "write")).await;
    bob.cmd(json!({"cmd": "write", "file": "main.py", "text": "top\n\nbottom"}))
        .await;
    let nvim = Nvim::start().await;
    nvim.join(&server, room, &named_token(&server, room, "Ada"))
        .await;
    nvim.open(room, "main.py").await;
    nvim.until_text("the room's text", "top\n\nbottom").await;
    // Ada types on the empty middle line, one key per message, while Bob types at the top and
    // at the end of the same line, in between.
    nvim.keys("2Gi").await;
    let ada = "ádá😀你";
    for (k, c) in ada.chars().cycle().take(40).enumerate() {
        nvim.keys(&c.to_string()).await;
        let t = bob.text("main.py").await.unwrap();
        let at = if k % 2 == 0 {
            0
        } else {
            t.find("\nbottom").unwrap()
        };
        bob.cmd(
            json!({"cmd": "insert", "file": "main.py", "index": utf16_index(&t, at), "text": "b"}),
        )
        .await;
    }
    nvim.keys("<Esc>").await;
    // Bob's b's at the end of the line land where Ada types, so they interleave with her
    // characters; none of either is lost, and both sides hold the same text.
    let typed: String = ada.chars().cycle().take(40).collect();
    let start = Instant::now();
    let text = loop {
        let theirs = bob.text("main.py").await.unwrap();
        let ours = nvim.lua(BUFFER_TEXT).await;
        if ours == theirs.as_str() && theirs.replace('b', "").contains(&typed) {
            break theirs;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no convergence: Bob has {theirs:?}, Neovim {ours}\n{}",
            nvim.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        text.matches('b').count(),
        40 + 1,
        "every b of Bob's (and bottom's): {text}"
    );
    assert!(
        text.starts_with(&format!("{}top\n", "b".repeat(20))) && text.ends_with("\nbottom"),
        "{text}"
    );
    let middle = text.lines().nth(1).unwrap();
    assert_eq!(
        middle.replace('b', ""),
        typed,
        "Ada's line, Bob's b's aside: {text}"
    );
    eprintln!(
        "remote edits dropped because Ada had typed meanwhile: {}",
        nvim.log().matches("dropped").count()
    );
    bob.quit().await;
}
