//! The stdio messages of PROTOCOL.md as serde types: what the editor sends (`Request`) and what
//! the bridge answers or reports (`Event`). One JSON object per line.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol versions this bridge speaks.
pub const PROTOCOLS: &[u64] = &[1];

/// One change in the editor's unit, against the text before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireChange {
    pub from: usize,
    pub to: usize,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Hello {
        protocol: u64,
        #[serde(default)]
        client: Option<String>,
        #[serde(default)]
        editor: Option<String>,
        #[serde(default)]
        offsets: Option<String>,
    },
    Join {
        #[serde(default)]
        id: Option<Value>,
        #[serde(default)]
        link: Option<String>,
        #[serde(default)]
        url: Option<String>,
        #[serde(default)]
        room: Option<String>,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        name: Option<String>,
    },
    Leave {
        #[serde(default)]
        id: Option<Value>,
    },
    Open {
        #[serde(default)]
        id: Option<Value>,
        path: String,
        /// Creates an empty file when the room has none at `path`.
        #[serde(default)]
        create: bool,
    },
    Close {
        path: String,
    },
    Edit {
        path: String,
        tick: u64,
        changes: Vec<WireChange>,
    },
    Applied {
        path: String,
        base: u64,
        tick: u64,
    },
    Cursor {
        path: String,
        anchor: usize,
        head: usize,
    },
    Follow {
        #[serde(default)]
        name: Option<String>,
    },
    Chat {
        #[serde(default)]
        id: Option<Value>,
        text: String,
    },
    Ask {
        #[serde(default)]
        id: Option<Value>,
        prompt: String,
    },
    Run {
        #[serde(default)]
        id: Option<Value>,
        #[serde(default)]
        entry: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteCursor {
    pub client: u64,
    pub name: String,
    pub color: String,
    pub kind: String,
    pub anchor: usize,
    pub head: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lease {
    pub name: String,
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub client: u64,
    pub name: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Welcome {
        protocol: u64,
        bridge: &'static str,
        offsets: &'static str,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        re: Option<Value>,
        code: &'static str,
        message: String,
    },
    Joined {
        #[serde(skip_serializing_if = "Option::is_none")]
        re: Option<Value>,
        room: String,
        read_only: bool,
    },
    Left {
        #[serde(skip_serializing_if = "Option::is_none")]
        re: Option<Value>,
    },
    State {
        state: &'static str,
        read_only: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Files {
        files: Vec<FileInfo>,
    },
    Opened {
        #[serde(skip_serializing_if = "Option::is_none")]
        re: Option<Value>,
        path: String,
        text: String,
        tick: u64,
    },
    RemoteEdit {
        path: String,
        base: u64,
        changes: Vec<WireChange>,
    },
    Resync {
        path: String,
        base: u64,
        text: String,
    },
    Closed {
        path: String,
        reason: &'static str,
    },
    Cursors {
        path: String,
        cursors: Vec<RemoteCursor>,
        leases: Vec<Lease>,
    },
    Presence {
        people: Vec<Person>,
    },
    FollowTarget {
        name: String,
        path: String,
        offset: usize,
    },
    Sent {
        #[serde(skip_serializing_if = "Option::is_none")]
        re: Option<Value>,
        message: String,
    },
    Asked {
        #[serde(skip_serializing_if = "Option::is_none")]
        re: Option<Value>,
        message: String,
    },
    ChatMessage {
        message: String,
        author: String,
        kind: String,
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        turn: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cost_usd: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reply_to: Option<String>,
    },
    RunStarted {
        #[serde(skip_serializing_if = "Option::is_none")]
        re: Option<Value>,
        run: String,
    },
    RunOutput {
        run: String,
        text: String,
        stderr: bool,
    },
    RunStatus {
        run: String,
        status: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_ms: Option<u64>,
        requested_by: String,
        entry: String,
    },
}

/// Error codes on the wire (PROTOCOL.md "Conventions").
pub mod code {
    pub const BAD_MESSAGE: &str = "bad_message";
    pub const UNSUPPORTED_PROTOCOL: &str = "unsupported_protocol";
    pub const NOT_JOINED: &str = "not_joined";
    pub const NO_SUCH_FILE: &str = "no_such_file";
    pub const BAD_RANGE: &str = "bad_range";
    pub const FORBIDDEN: &str = "forbidden";
    pub const AUTH: &str = "auth";
    pub const UNAVAILABLE: &str = "unavailable";
}
