//! The key pool: each provider's keys with their limits (requests and tokens per minute, a
//! daily token budget, concurrent streams), handing out the least-loaded key that can take a
//! request and telling callers when to come back when none can.
//!
//! Windows slide: the last 60 seconds for rates, a rolling 24 hours (not a calendar day) for
//! the budget. Time is `tokio::time::Instant`, so paused-clock tests drive it.

mod key;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::{AiError, ProviderKind};
use key::{Availability, Key, Ticket};

pub use key::CONCURRENCY_HINT;

/// A key's limits; a limit left out is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyLimits {
    /// Requests in any 60 seconds. Default: unlimited.
    pub rpm: Option<u32>,
    /// Tokens (the estimate until settled) in any 60 seconds. A request larger than this alone
    /// still runs when the window is empty. Default: unlimited.
    pub tpm: Option<u64>,
    /// Tokens in any 24 hours: a hard budget, a larger request is refused. Default: unlimited.
    pub daily_tokens: Option<u64>,
    /// Streams open at once. Default: unlimited.
    pub max_concurrent: Option<u32>,
}

/// One key of a provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    /// A name for logs and `cool_down` (never the secret itself).
    pub id: String,
    pub provider: ProviderKind,
    #[serde(default)]
    pub limits: KeyLimits,
}

/// A key's usage, for status pages and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub id: String,
    pub provider: ProviderKind,
    pub in_flight: u32,
    pub requests_last_minute: usize,
    pub tokens_last_minute: u64,
    pub tokens_last_day: u64,
    /// Time left of a cooldown after a 429.
    pub cooling_for: Option<Duration>,
}

type Keys = Arc<Mutex<Vec<Key>>>;

/// A cheap handle: clones share the same keys.
#[derive(Debug, Clone)]
pub struct KeyPool {
    keys: Keys,
}

/// The state stays consistent even if a holder panicked: every critical section is a few
/// counter updates that cannot panic half-way.
fn lock(keys: &Keys) -> MutexGuard<'_, Vec<Key>> {
    keys.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KeyPool {
    /// Fails with `AiError::Config` on an empty or duplicate id, or a limit of zero (leave a
    /// limit out for unlimited).
    pub fn new(keys: Vec<KeySpec>) -> Result<Self, AiError> {
        let mut ids = HashSet::new();
        for spec in &keys {
            if spec.id.is_empty() {
                return Err(AiError::Config("keys: a key has an empty id".into()));
            }
            if !ids.insert(spec.id.as_str()) {
                return Err(AiError::Config(format!(
                    "keys: duplicate key id {:?}",
                    spec.id
                )));
            }
            let l = spec.limits;
            if l.rpm == Some(0)
                || l.tpm == Some(0)
                || l.daily_tokens == Some(0)
                || l.max_concurrent == Some(0)
            {
                return Err(AiError::Config(format!(
                    "keys.{}: a limit of 0 makes the key unusable; leave it out for unlimited",
                    spec.id
                )));
            }
        }
        let keys = keys.into_iter().map(Key::new).collect();
        Ok(Self {
            keys: Arc::new(Mutex::new(keys)),
        })
    }

    pub fn has_keys(&self, provider: ProviderKind) -> bool {
        lock(&self.keys).iter().any(|k| k.spec.provider == provider)
    }

    /// The least-loaded key of `provider` that can take `estimated_tokens` now, counting the
    /// request and the estimate at once.
    ///
    /// Errors: `Exhausted` with the soonest moment a key may free up; `Invalid` when the
    /// estimate exceeds every key's daily budget (waiting cannot help); `Config` when the
    /// provider has no keys.
    pub fn acquire(
        &self,
        provider: ProviderKind,
        estimated_tokens: u64,
    ) -> Result<KeyLease, AiError> {
        let mut keys = lock(&self.keys);
        let now = Instant::now();
        let mut any = false;
        let mut soonest: Option<Duration> = None;
        let mut free: Vec<(usize, f64)> = Vec::new();
        for (i, key) in keys.iter_mut().enumerate() {
            if key.spec.provider != provider {
                continue;
            }
            any = true;
            match key.check(now, estimated_tokens) {
                Availability::Now(load) => free.push((i, load)),
                Availability::Later(wait) => soonest = Some(soonest.map_or(wait, |s| s.min(wait))),
                Availability::Never => {}
            }
        }
        // Least utilised first; among equals (unlimited keys, say) the one with fewer streams
        // and requests, so load still spreads; then by id, so choices are reproducible.
        let load_order = |&(a, la): &(usize, f64), &(b, lb): &(usize, f64)| -> Ordering {
            let (ka, kb) = (&keys[a], &keys[b]);
            la.total_cmp(&lb)
                .then(ka.in_flight.cmp(&kb.in_flight))
                .then(ka.requests_last_minute().cmp(&kb.requests_last_minute()))
                .then(ka.spec.id.cmp(&kb.spec.id))
        };
        let Some((index, _)) = free.into_iter().min_by(load_order) else {
            return Err(match soonest {
                Some(retry_after) => AiError::Exhausted { retry_after },
                None if any => AiError::Invalid(format!(
                    "an estimated {estimated_tokens} tokens exceed the daily budget of every {} key",
                    provider.as_str()
                )),
                None => AiError::Config(format!("no {} keys configured", provider.as_str())),
            });
        };
        let key = &mut keys[index];
        let ticket = key.record(now, estimated_tokens);
        Ok(KeyLease {
            keys: Arc::clone(&self.keys),
            index,
            key_id: key.spec.id.clone(),
            provider,
            ticket,
            recorded: estimated_tokens,
        })
    }

    /// After a 429: the key takes no request until `duration` from now. Unknown ids are
    /// ignored (the key list cannot change, so it is a caller's stale id).
    pub fn cool_down(&self, key_id: &str, duration: Duration) {
        let now = Instant::now();
        if let Some(key) = lock(&self.keys).iter_mut().find(|k| k.spec.id == key_id) {
            key.cool_down(now, duration);
        }
    }

    /// Every key's usage, in configuration order.
    pub fn snapshot(&self) -> Vec<KeyState> {
        let now = Instant::now();
        lock(&self.keys).iter_mut().map(|k| k.state(now)).collect()
    }
}

/// A key in use. Dropping it frees its concurrency slot; its request and tokens stay counted
/// in their windows.
#[derive(Debug)]
pub struct KeyLease {
    keys: Keys,
    index: usize,
    key_id: String,
    provider: ProviderKind,
    ticket: Ticket,
    /// The tokens currently counted for this request (the estimate until settled).
    recorded: u64,
}

impl KeyLease {
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn provider(&self) -> ProviderKind {
        self.provider
    }

    /// Replaces the counted tokens (the estimate, or an earlier settle) with `actual_tokens`
    /// in the minute and day windows, where the request still is in them.
    pub fn settle(&mut self, actual_tokens: u64) {
        if let Some(key) = lock(&self.keys).get_mut(self.index) {
            key.settle(self.ticket, self.recorded, actual_tokens);
        }
        self.recorded = actual_tokens;
    }
}

impl Drop for KeyLease {
    fn drop(&mut self) {
        if let Some(key) = lock(&self.keys).get_mut(self.index) {
            key.release();
        }
    }
}
