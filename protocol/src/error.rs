//! The one error type of the `protocol` crate.

/// Everything that can go wrong while decoding or applying protocol data.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The frame is empty.
    #[error("empty message")]
    Empty,
    /// A var-int, length prefix or payload is cut short or malformed.
    #[error("malformed message: {0}")]
    Malformed(#[from] yrs::encoding::read::Error),
    /// A sync message with a sub-type other than step1/step2/update.
    #[error("unknown sync message type {0}")]
    UnknownSyncType(u64),
    /// Bytes left over after a complete message.
    #[error("{0} trailing bytes after message")]
    Trailing(usize),
    /// A client id larger than 2^53 - 1, which no Yjs peer can have.
    #[error("client id {0} out of range")]
    InvalidClientId(u64),
    /// A document update that yrs refused to integrate.
    #[error("invalid update: {0}")]
    InvalidUpdate(String),
    /// An awareness update whose state is not valid JSON.
    #[error("invalid awareness update: {0}")]
    InvalidAwareness(String),
}
