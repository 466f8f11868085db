//! Capability tokens: what a token grants (`Claims`), the server secret that signs Tandem's own
//! tokens, minting them, and verifying incoming ones (HS256 with the secret, RS256 from a JWKS).

mod claims;
mod jwks;
mod mint;
mod secret;
mod verify;

pub use claims::{Claims, ParsePermError, Perm, valid_room_pattern};
pub use mint::mint;
pub use secret::{Secret, new_jti};
pub use verify::{Expect, Verifier};

/// Why a token was refused, or why token machinery could not start. The API layer maps the first
/// five to the refusal codes of docs/api.md.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no token")]
    Missing,
    /// The reason is for logs; it must never contain the token itself.
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
    #[error("token revoked")]
    Revoked,
    #[error("forbidden")]
    Forbidden,
    #[error("JWKS: {0}")]
    Jwks(String),
    #[error("secret: {0}")]
    BadSecret(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// jsonwebtoken panics at first use if it cannot pick a crypto backend on its own (for instance when
/// another crate in the build enables its `aws_lc_rs` feature too), so every entry point here
/// installs ours first and no caller has to remember to.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only means some provider is installed already, which serves as well.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    });
}
