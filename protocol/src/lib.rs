//! Tandem's wire protocol: the y-websocket codec on `yrs`, the room schema and the sans-IO `Peer`.
//!
//! Nothing here does IO except the optional `client` driver (feature `client`), which connects a
//! `Peer` to a server over tokio-tungstenite.

pub mod chat;
pub mod close;
pub mod codec;
mod error;
pub mod peer;
pub mod schema;
pub mod turns;

#[cfg(feature = "client")]
pub mod client;

/// The runner's gRPC contract, generated from `proto/runner.proto` (feature `runner`).
#[cfg(feature = "runner")]
#[allow(clippy::all, clippy::pedantic, rust_2018_idioms, missing_docs)]
pub mod runner_proto {
    tonic::include_proto!("tandem.runner.v1");
}

pub use codec::{AuthMessage, Message, SyncMessage};
pub use error::ProtocolError;
pub use peer::Peer;

/// Bumped on any incompatible change to Tandem's extensions of the y-websocket protocol.
pub const PROTOCOL_VERSION: u32 = 1;

/// Validates a room name: `[A-Za-z0-9._-]{1,128}`.
pub fn valid_room_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
