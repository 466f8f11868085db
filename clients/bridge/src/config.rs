//! The bridge's settings: flags, or `TANDEM_BRIDGE_*` environment variables (the editor starts
//! the bridge, so the environment is the easy place for a user's preferences).

use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// How often a second, at most, remote cursors, presence and follow targets are sent.
    #[arg(long, env = "TANDEM_BRIDGE_CURSOR_RATE", default_value_t = 20)]
    pub cursor_rate: u32,
    /// How often a second, at most, a streaming chat reply is re-sent.
    #[arg(long, env = "TANDEM_BRIDGE_CHAT_RATE", default_value_t = 10)]
    pub chat_rate: u32,
    /// Chat entries reported on joining (the last ones).
    #[arg(long, env = "TANDEM_BRIDGE_CHAT_HISTORY", default_value_t = 20)]
    pub chat_history: usize,
    /// Longest request line accepted from the editor; a longer one gets `bad_message`.
    #[arg(long, env = "TANDEM_BRIDGE_MAX_LINE_BYTES", default_value_t = 16 << 20)]
    pub max_line_bytes: usize,
    /// Messages to the editor queued while it is not reading; when full the bridge waits for
    /// the editor (it never drops one: edits are in there).
    #[arg(long, env = "TANDEM_BRIDGE_OUT_QUEUE", default_value_t = 256)]
    pub out_queue: usize,
    /// The display name when neither `join` nor the link's token carries one.
    #[arg(long, env = "TANDEM_BRIDGE_NAME")]
    pub name: Option<String>,
    /// While the connection is down, how often the link is checked (a revoked or expired link
    /// ends the session instead of retrying forever).
    #[arg(long, env = "TANDEM_BRIDGE_RECHECK_MS", default_value_t = 3000)]
    pub recheck_ms: u64,
}

impl Config {
    pub fn cursor_period(&self) -> Duration {
        Duration::from_millis(1000 / u64::from(self.cursor_rate.max(1)))
    }

    pub fn chat_period(&self) -> Duration {
        Duration::from_millis(1000 / u64::from(self.chat_rate.max(1)))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cursor_rate: 20,
            chat_rate: 10,
            chat_history: 20,
            max_line_bytes: 16 << 20,
            out_queue: 256,
            name: None,
            recheck_ms: 3000,
        }
    }
}
