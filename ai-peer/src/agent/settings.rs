//! The agent's settings (TOML `[ai.peer]`): who Claude is in the room, how fast it may write,
//! how many tool rounds a turn may take, and the limits of what it reads back.

use std::time::Duration;

use serde::Deserialize;

/// `[ai.peer]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentSettings {
    /// Name shown in chat and presence. Default "Claude".
    pub name: String,
    /// Presence colour. Default "#d97757".
    pub color: String,
    /// Most model calls (tool rounds) in one turn. Default 12.
    pub max_tool_rounds: u32,
    /// Output reserve of each model call. Default 4096.
    pub max_tokens: u32,
    /// Edit pacing: characters per second the agent may change in files. Default 2000.
    pub chars_per_sec: u32,
    /// Characters one edit transaction may change at most. Default 48.
    pub max_chars_per_txn: u32,
    /// Presence updates per second at most. Default 10.
    pub presence_per_sec: u32,
    /// How long a published lease on a range holds without renewal. Default 2 s.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub lease_ttl: Duration,
    /// Most bytes of a run's output returned to the model (head and tail kept). Default 16 KiB.
    pub run_output_bytes: usize,
    /// How long a `run` tool call waits for the run to end. Default 120 s.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub run_timeout: Duration,
    /// Turns per room that can still be rejected (older ones: restore the version named
    /// before them). Default 32.
    pub reject_window: usize,
    /// Leave a room after being its only connection this long. Default 30 s.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub leave_after: Duration,
    /// Only messages newer than this (when the agent joins) are answered. Default 10 min.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub answer_window: Duration,
    /// Chat messages (newest first) given to the model as conversation. Default 20.
    pub history_messages: usize,
    /// Questions queued per room behind a running turn; more are answered "busy". Default 4.
    pub queued_turns: usize,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            name: "Claude".into(),
            color: "#d97757".into(),
            max_tool_rounds: 12,
            max_tokens: 4096,
            chars_per_sec: 2000,
            max_chars_per_txn: 48,
            presence_per_sec: 10,
            lease_ttl: Duration::from_secs(2),
            run_output_bytes: 16 * 1024,
            run_timeout: Duration::from_secs(120),
            reject_window: 32,
            leave_after: Duration::from_secs(30),
            answer_window: Duration::from_secs(600),
            history_messages: 20,
            queued_turns: 4,
        }
    }
}
