//! Signing Tandem's own HS256 tokens with the server secret.

use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::{AuthError, Claims, Secret, install_crypto_provider, valid_room_pattern};

/// Signs `claims` as an HS256 JWT. Refuses a `room` the verifier would refuse, so a minted token
/// is always usable until it expires.
pub fn mint(secret: &Secret, claims: &Claims) -> Result<String, AuthError> {
    install_crypto_provider();
    if !valid_room_pattern(&claims.room) {
        return Err(AuthError::Invalid(
            "room is not a valid room pattern".into(),
        ));
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.bytes()),
    )
    .map_err(|e| AuthError::Invalid(format!("signing failed: {e}")))
}
