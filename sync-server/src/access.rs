//! Who may do what, at run time: checks a presented token (signature, expiry, revocation), mints
//! and records tokens, and tracks each token's live connections so a revocation closes them at once.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;

use crate::auth::{AuthError, Claims, Perm, Secret, Verifier};
use crate::room::{ConnId, Kick};
use crate::store::{AuditEntry, Store, StoreError, TokenRecord, now_ms};

/// Longest lifetime a minted token gets, whatever was asked.
pub const MAX_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

pub struct Access {
    verifier: Verifier,
    secret: Secret,
    /// Revoked token ids and when each token would have expired anyway (ms since the epoch).
    revoked: DashMap<String, i64>,
    /// Open connections by token id.
    live: DashMap<String, Vec<(ConnId, Arc<Kick>)>>,
    /// Base of the links handed out, without a trailing slash.
    pub public_url: String,
    pub link_ttl: Duration,
}

/// What to mint: everything but the bookkeeping claims (`jti`, `iat`, `exp`).
#[derive(Debug, Clone)]
pub struct Grant {
    pub room: String,
    pub perm: Perm,
    pub sub: String,
    pub name: Option<String>,
    pub tenant: Option<String>,
    pub ttl: Duration,
    /// The latest `exp` (seconds since the epoch) whatever `ttl` says: the minting token's own,
    /// so a token handed out from another never outlives it.
    pub not_after: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Mints a token for `grant`, records it (never the token itself) and audits the mint.
pub async fn issue(
    secret: &Secret,
    store: &dyn Store,
    grant: &Grant,
    minted_by: &str,
) -> Result<(String, Claims), IssueError> {
    let now = now_ms();
    let iat = u64::try_from(now / 1000).unwrap_or(0);
    let claims = Claims {
        room: grant.room.clone(),
        perm: grant.perm,
        sub: grant.sub.clone(),
        name: grant.name.clone(),
        tenant: grant.tenant.clone(),
        exp: (iat + grant.ttl.min(MAX_TTL).as_secs().max(1))
            .min(grant.not_after.unwrap_or(u64::MAX)),
        jti: Some(crate::auth::new_jti()),
        iat: Some(iat),
    };
    let token = crate::auth::mint(secret, &claims)?;
    let jti = claims.jti.clone().unwrap_or_default();
    let exp_ms = i64::try_from(claims.exp)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    store
        .record_token(&TokenRecord {
            jti: jti.clone(),
            room: claims.room.clone(),
            perm: claims.perm.to_string(),
            sub: claims.sub.clone(),
            name: claims.name.clone(),
            tenant: claims.tenant.clone(),
            exp_ms,
            minted_by: minted_by.to_owned(),
            minted_at_ms: now,
        })
        .await?;
    let entry = AuditEntry {
        at_ms: now,
        room: audit_room(&claims.room),
        actor: minted_by.to_owned(),
        action: "token.minted".into(),
        target: jti,
        detail: serde_json::json!({
            "room": claims.room,
            "perm": claims.perm,
            "sub": claims.sub,
            "exp": claims.exp,
        }),
    };
    store.audit(&entry).await?;
    Ok((token, claims))
}

/// The room an audit row is filed under: a pattern covering several rooms has none.
pub fn audit_room(pattern: &str) -> Option<String> {
    (!pattern.ends_with('*')).then(|| pattern.to_owned())
}

impl Access {
    pub async fn new(
        secret: Secret,
        verifier: Verifier,
        store: &dyn Store,
        public_url: String,
        link_ttl: Duration,
    ) -> Result<Access, StoreError> {
        let revoked = store.revoked_tokens(now_ms()).await?.into_iter().collect();
        Ok(Access {
            verifier,
            secret,
            revoked,
            live: DashMap::new(),
            public_url,
            link_ttl,
        })
    }

    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Verifies a presented token and refuses revoked ones.
    pub async fn check(&self, token: Option<&str>) -> Result<Claims, AuthError> {
        let token = token.filter(|t| !t.is_empty()).ok_or(AuthError::Missing)?;
        let claims = self.verifier.verify(token).await?;
        if self.is_revoked(&claims) {
            return Err(AuthError::Revoked);
        }
        Ok(claims)
    }

    fn is_revoked(&self, claims: &Claims) -> bool {
        claims
            .jti
            .as_deref()
            .is_some_and(|jti| self.revoked.contains_key(jti))
    }

    /// The link a person opens: the token rides in the fragment, which browsers never send.
    pub fn link(&self, room: &str, token: &str) -> String {
        format!("{}/r/{room}#token={token}", self.public_url)
    }

    pub fn websocket_url(&self, room: &str) -> String {
        let base = self
            .public_url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{base}/sync/{room}")
    }

    /// Registers a connection under its token so a revocation can close it. The guard unregisters.
    pub fn attach(
        self: &Arc<Self>,
        jti: Option<Box<str>>,
        conn: ConnId,
        kick: Arc<Kick>,
    ) -> Attached {
        if let Some(jti) = &jti {
            self.live
                .entry(jti.to_string())
                .or_default()
                .push((conn, kick.clone()));
            // A revocation that landed between `check` and here would have missed this socket.
            if self.revoked.contains_key(&**jti) {
                kick.kick(protocol::close::UNAUTHORIZED);
            }
        }
        Attached {
            access: self.clone(),
            jti,
            conn,
        }
    }

    /// Marks `jti` revoked and closes its open connections (4401). Returns how many were closed.
    pub fn revoke(&self, jti: &str, exp_ms: i64) -> usize {
        let now = now_ms();
        self.revoked.retain(|_, exp| *exp > now);
        self.revoked.insert(jti.to_owned(), exp_ms);
        let Some(conns) = self.live.get(jti) else {
            return 0;
        };
        for (_, kick) in conns.iter() {
            kick.kick(protocol::close::UNAUTHORIZED);
        }
        conns.len()
    }
}

/// A connection's registration under its token; dropping it unregisters.
pub struct Attached {
    access: Arc<Access>,
    jti: Option<Box<str>>,
    conn: ConnId,
}

impl Drop for Attached {
    fn drop(&mut self) {
        if let Some(jti) = &self.jti {
            self.access.live.remove_if_mut(&**jti, |_, conns| {
                conns.retain(|(c, _)| *c != self.conn);
                conns.is_empty()
            });
        }
    }
}
