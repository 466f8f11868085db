//! WebSocket close codes, shared by the server and every Rust client (DESIGN §4).

/// Normal closure.
pub const NORMAL: u16 = 1000;
/// The server is shutting down.
pub const GOING_AWAY: u16 = 1001;
/// Try again later (for example: the room could not be loaded).
pub const TRY_AGAIN_LATER: u16 = 1013;
/// A frame that is not a valid protocol message.
pub const MALFORMED: u16 = 4400;
/// The token expired or was revoked.
pub const UNAUTHORIZED: u16 = 4401;
/// The client did not keep up with its outbound queue.
pub const SLOW_CONSUMER: u16 = 4408;
/// The room was deleted.
pub const ROOM_DELETED: u16 = 4410;
/// A message over the configured size limit.
pub const TOO_LARGE: u16 = 4413;
/// Rate limited.
pub const RATE_LIMITED: u16 = 4429;

/// A short human-readable reason sent with each code.
pub fn reason(code: u16) -> &'static str {
    match code {
        NORMAL => "bye",
        GOING_AWAY => "server shutting down",
        TRY_AGAIN_LATER => "try again later",
        MALFORMED => "malformed message",
        UNAUTHORIZED => "token expired or revoked",
        ROOM_DELETED => "room deleted",
        SLOW_CONSUMER => "slow consumer: resync on reconnect",
        TOO_LARGE => "message too large",
        RATE_LIMITED => "rate limited",
        _ => "",
    }
}
