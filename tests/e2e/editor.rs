//! A scripted editor on `tandem-bridge`'s stdio, as PROTOCOL.md describes one: it keeps each
//! buffer's text and change counter, applies a remote edit only on its counter, acknowledges
//! what it applies, and types by sending `edit`s stamped with the counter after the change.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::harness::{PATIENCE, tandem_bin};

/// `tandem-bridge`, built beside `tandem`.
pub fn bridge_bin() -> PathBuf {
    let bin = tandem_bin().with_file_name("tandem-bridge");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace",
        bin.display()
    );
    bin
}

/// Offset units as the editor declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    Bytes,
    Utf16,
}

impl Units {
    fn name(self) -> &'static str {
        match self {
            Units::Bytes => "utf-8",
            Units::Utf16 => "utf-16",
        }
    }

    /// Byte offset of `offset` (in this unit) into `s`.
    pub fn byte(self, s: &str, offset: usize) -> usize {
        match self {
            Units::Bytes => offset,
            Units::Utf16 => {
                let mut units = 0;
                for (i, c) in s.char_indices() {
                    if units >= offset {
                        return i;
                    }
                    units += c.len_utf16();
                }
                s.len()
            }
        }
    }

    /// Length of `s` in this unit.
    pub fn len(self, s: &str) -> usize {
        match self {
            Units::Bytes => s.len(),
            Units::Utf16 => s.encode_utf16().count(),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Buf {
    pub text: String,
    pub tick: u64,
}

pub struct Editor {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    pub units: Units,
    pub bufs: HashMap<String, Buf>,
    /// Apply remote edits and resyncs as they arrive (off: the test handles them).
    pub auto_apply: bool,
    /// Events read but not yet asked for by `expect`.
    backlog: VecDeque<Value>,
    /// Every event, in order.
    pub log: Vec<Value>,
    next_id: u64,
}

impl Editor {
    /// Starts `tandem-bridge` and says hello.
    pub async fn start(units: Units) -> Editor {
        Editor::start_cmd(Command::new(bridge_bin()), units).await
    }

    pub async fn start_cmd(mut cmd: Command, units: Units) -> Editor {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .env("TANDEM_BRIDGE_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .expect("start the bridge");
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut e = Editor {
            child,
            stdin,
            lines,
            units,
            bufs: HashMap::new(),
            auto_apply: true,
            backlog: VecDeque::new(),
            log: Vec::new(),
            next_id: 1,
        };
        e.send(json!({"type": "hello", "protocol": 1, "client": "e2e", "offsets": units.name()}))
            .await;
        let welcome = e.expect("welcome", |v| v["type"] == "welcome").await;
        assert_eq!(welcome["offsets"], units.name());
        e
    }

    pub async fn send(&mut self, v: Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{v}\n").as_bytes())
            .await
            .expect("write to the bridge");
        stdin.flush().await.expect("flush");
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The next event from the bridge (None when it exited).
    async fn read(&mut self) -> Option<Value> {
        let line = tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .expect("the bridge said something in time")
            .expect("read the bridge's stdout")?;
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the bridge printed a non-JSON line {line:?}: {e}"));
        self.log.push(v.clone());
        if self.auto_apply {
            self.apply_event(&v).await;
        }
        Some(v)
    }

    /// Applies a `remote_edit` (on its counter only) or a `resync`, and acknowledges it.
    pub async fn apply_event(&mut self, v: &Value) -> bool {
        let path = v["path"].as_str().unwrap_or_default().to_owned();
        match v["type"].as_str() {
            Some("remote_edit") => {
                let units = self.units;
                let Some(buf) = self.bufs.get_mut(&path) else {
                    return false;
                };
                let base = v["base"].as_u64().unwrap();
                if buf.tick != base {
                    return false;
                }
                for c in v["changes"].as_array().unwrap() {
                    let from = units.byte(&buf.text, c["from"].as_u64().unwrap() as usize);
                    let to = units.byte(&buf.text, c["to"].as_u64().unwrap() as usize);
                    buf.text
                        .replace_range(from..to, c["text"].as_str().unwrap());
                }
                buf.tick += 1;
                let tick = buf.tick;
                self.send(json!({"type": "applied", "path": path, "base": base, "tick": tick}))
                    .await;
                true
            }
            Some("resync") => {
                let Some(buf) = self.bufs.get_mut(&path) else {
                    return false;
                };
                buf.text = v["text"].as_str().unwrap().to_owned();
                buf.tick += 1;
                let tick = buf.tick;
                let base = v["base"].clone();
                self.send(json!({"type": "applied", "path": path, "base": base, "tick": tick}))
                    .await;
                true
            }
            _ => false,
        }
    }

    /// Reads until an event satisfies `pred` (earlier ones stay in the backlog for later
    /// `expect`s, and remote edits are applied as they pass when `auto_apply` is on).
    pub async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i).unwrap();
        }
        loop {
            match self.read().await {
                Some(v) if pred(&v) => return v,
                Some(v) => self.backlog.push_back(v),
                None => panic!(
                    "the bridge exited before {what}; last events: {:?}",
                    self.log.iter().rev().take(5).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Reads and handles whatever arrives until `cond` holds on the editor's state.
    pub async fn until(&mut self, what: &str, cond: impl Fn(&Editor) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !cond(self) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {what}");
            match tokio::time::timeout(left, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => {
                    let v: Value = serde_json::from_str(&line).expect("JSON line");
                    self.log.push(v.clone());
                    if self.auto_apply {
                        self.apply_event(&v).await;
                    }
                    self.backlog.push_back(v);
                }
                Ok(_) => panic!("the bridge exited while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Joins by link and waits for the first sync.
    pub async fn join(&mut self, link: &str, name: &str) {
        let id = self.id();
        self.send(json!({"type": "join", "id": id, "link": link, "name": name}))
            .await;
        let joined = self
            .expect("joined", |v| v["re"] == id && v["type"] != "state")
            .await;
        assert_eq!(joined["type"], "joined", "{joined}");
        self.expect("synced", |v| v["type"] == "state" && v["state"] == "synced")
            .await;
    }

    /// Opens `path`, fills the buffer and acknowledges; returns the text.
    pub async fn open(&mut self, path: &str) -> String {
        let id = self.id();
        self.send(json!({"type": "open", "id": id, "path": path}))
            .await;
        let opened = self.expect("opened", |v| v["re"] == id).await;
        assert_eq!(opened["type"], "opened", "{opened}");
        let text = opened["text"].as_str().unwrap().to_owned();
        // A fresh buffer: its own counter (like Neovim's, never 0).
        self.bufs.insert(
            path.to_owned(),
            Buf {
                text: text.clone(),
                tick: 1,
            },
        );
        self.send(json!({"type": "applied", "path": path, "base": 0, "tick": 1}))
            .await;
        text
    }

    /// Types: replaces `from..to` (editor units) with `text` in the buffer and sends the edit.
    pub async fn type_at(&mut self, path: &str, from: usize, to: usize, text: &str) {
        let units = self.units;
        let buf = self.bufs.get_mut(path).expect("an open buffer");
        let (a, b) = (units.byte(&buf.text, from), units.byte(&buf.text, to));
        buf.text.replace_range(a..b, text);
        buf.tick += 1;
        let tick = buf.tick;
        self.send(json!({"type": "edit", "path": path, "tick": tick,
            "changes": [{"from": from, "to": to, "text": text}]}))
            .await;
    }

    pub fn text(&self, path: &str) -> &str {
        &self.bufs[path].text
    }

    /// Events of `kind` seen so far.
    pub fn seen(&self, kind: &str) -> Vec<Value> {
        self.log
            .iter()
            .filter(|v| v["type"] == kind)
            .cloned()
            .collect()
    }

    /// Closes stdin (the bridge leaves) and returns its exit status.
    pub async fn finish(mut self) -> Option<i32> {
        drop(self.stdin.take());
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("the bridge exits when stdin closes")
            .expect("wait");
        status.code()
    }
}
