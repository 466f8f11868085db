//! Token records in SQLite: who minted which token id with which claims, and which ids are revoked.

use super::SqliteStore;
use crate::store::{StoreError, TokenRecord};

type TokenRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    String,
    i64,
);

impl SqliteStore {
    pub(super) async fn insert_token(&self, t: &TokenRecord) -> Result<(), StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO tokens (jti, room, perm, sub, name, tenant, exp_ms, minted_by, \
             minted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
        )
        .bind(&t.jti)
        .bind(&t.room)
        .bind(&t.perm)
        .bind(&t.sub)
        .bind(t.name.as_deref())
        .bind(t.tenant.as_deref())
        .bind(t.exp_ms)
        .bind(&t.minted_by)
        .bind(t.minted_at_ms)
        .execute(&self.writer)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::InvalidArgument(format!(
                "token id {:?} is already recorded",
                t.jti
            )));
        }
        Ok(())
    }

    pub(super) async fn token_record(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT jti, room, perm, sub, name, tenant, exp_ms, minted_by, minted_at_ms \
             FROM tokens WHERE jti = ?",
        )
        .bind(jti)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(
            |(jti, room, perm, sub, name, tenant, exp_ms, minted_by, minted_at_ms)| TokenRecord {
                jti,
                room,
                perm,
                sub,
                name,
                tenant,
                exp_ms,
                minted_by,
                minted_at_ms,
            },
        ))
    }

    pub(super) async fn insert_revocation(
        &self,
        jti: &str,
        exp_ms: i64,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO revoked_tokens (jti, exp_ms, revoked_by, revoked_at_ms) \
             VALUES (?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(exp_ms)
        .bind(by)
        .bind(at_ms)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub(super) async fn live_revocations(
        &self,
        now_ms: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        // Callers poll this often; asking the readers first keeps the single writer connection
        // free for appends unless there is something to prune.
        let stale: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE exp_ms < ?)")
                .bind(now_ms)
                .fetch_one(&self.reader)
                .await?;
        if stale {
            sqlx::query("DELETE FROM revoked_tokens WHERE exp_ms < ?")
                .bind(now_ms)
                .execute(&self.writer)
                .await?;
        }
        let live =
            sqlx::query_as("SELECT jti, exp_ms FROM revoked_tokens WHERE exp_ms >= ? ORDER BY jti")
                .bind(now_ms)
                .fetch_all(&self.reader)
                .await?;
        Ok(live)
    }
}
