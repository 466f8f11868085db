//! The bridge's errors. Those an editor can act on cross the stdio wire as a stable `code`
//! (PROTOCOL.md); the details go to the log on stderr.

use crate::wire::code;

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("bad room link: {0}")]
    BadLink(String),
    #[error("the link was refused ({0})")]
    Auth(u16),
    #[error("the server cannot be reached: {0}")]
    Unavailable(String),
    #[error("the editor speaks protocol {0}, this bridge speaks 1")]
    UnsupportedProtocol(u64),
    #[error("stdio: {0}")]
    Io(#[from] std::io::Error),
}

impl BridgeError {
    pub fn code(&self) -> &'static str {
        match self {
            BridgeError::BadLink(_) => code::BAD_MESSAGE,
            BridgeError::Auth(_) => code::AUTH,
            BridgeError::Unavailable(_) | BridgeError::Io(_) => code::UNAVAILABLE,
            BridgeError::UnsupportedProtocol(_) => code::UNSUPPORTED_PROTOCOL,
        }
    }
}
