//! Usage and cost accounting: one record per model call, with running sums per room, per
//! tenant and per model that callers (the HTTP API, metrics) can query.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use serde::Serialize;

use crate::{ErrorKind, ProviderKind, Usage};

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Outcome {
    /// The message completed (`MessageStop`).
    Completed,
    /// The caller stopped reading before the end.
    Cancelled,
    /// A provider error ended it; `None` when it was not a provider-reported kind
    /// (a dropped connection, malformed data).
    Failed(Option<ErrorKind>),
}

/// One model call.
#[derive(Debug, Clone, Serialize)]
pub struct UsageRecord {
    pub at: SystemTime,
    pub room: String,
    pub tenant: String,
    /// Our model name (the registry's), not the provider's id.
    pub model: String,
    pub provider: ProviderKind,
    /// The key or account that served it; `None` for a cache hit.
    pub key_id: Option<String>,
    pub usage: Usage,
    pub cost_usd: f64,
    /// From the call to the first text or tool event.
    pub first_token: Option<Duration>,
    pub total: Duration,
    pub cache_hit: bool,
    pub outcome: Outcome,
}

/// Running sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub requests: u64,
    pub failures: u64,
    pub cache_hits: u64,
    pub usage: Usage,
    pub cost_usd: f64,
}

impl Totals {
    fn add(&mut self, r: &UsageRecord) {
        self.requests += 1;
        self.failures += u64::from(matches!(r.outcome, Outcome::Failed(_)));
        self.cache_hits += u64::from(r.cache_hit);
        self.usage.input_tokens += r.usage.input_tokens;
        self.usage.output_tokens += r.usage.output_tokens;
        self.usage.cache_write_tokens += r.usage.cache_write_tokens;
        self.usage.cache_read_tokens += r.usage.cache_read_tokens;
        self.cost_usd += r.cost_usd;
    }
}

/// Every call's record, the latest `recent_capacity` kept in full, sums kept forever.
#[derive(Debug)]
pub struct Ledger {
    recent: Mutex<VecDeque<UsageRecord>>,
    recent_capacity: usize,
    rooms: DashMap<String, Totals>,
    tenants: DashMap<String, Totals>,
    models: DashMap<String, Totals>,
}

impl Ledger {
    pub fn new(recent_capacity: usize) -> Self {
        Self {
            recent: Mutex::new(VecDeque::with_capacity(recent_capacity.min(4096))),
            recent_capacity,
            rooms: DashMap::new(),
            tenants: DashMap::new(),
            models: DashMap::new(),
        }
    }

    pub fn record(&self, record: UsageRecord) {
        tracing::info!(
            room = %record.room, tenant = %record.tenant, model = %record.model,
            provider = record.provider.as_str(), key = record.key_id.as_deref().unwrap_or("-"),
            input = record.usage.input_tokens, output = record.usage.output_tokens,
            cache_write = record.usage.cache_write_tokens, cache_read = record.usage.cache_read_tokens,
            cost_usd = record.cost_usd, first_token_ms = record.first_token.map(|d| d.as_millis() as u64),
            total_ms = record.total.as_millis() as u64, cache_hit = record.cache_hit,
            outcome = ?record.outcome, "model call"
        );
        self.rooms
            .entry(record.room.clone())
            .or_default()
            .add(&record);
        self.tenants
            .entry(record.tenant.clone())
            .or_default()
            .add(&record);
        self.models
            .entry(record.model.clone())
            .or_default()
            .add(&record);
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if self.recent_capacity == 0 {
            return;
        }
        if recent.len() == self.recent_capacity {
            recent.pop_front();
        }
        recent.push_back(record);
    }

    pub fn room(&self, room: &str) -> Totals {
        self.rooms.get(room).map(|t| *t).unwrap_or_default()
    }

    pub fn tenant(&self, tenant: &str) -> Totals {
        self.tenants.get(tenant).map(|t| *t).unwrap_or_default()
    }

    pub fn model(&self, model: &str) -> Totals {
        self.models.get(model).map(|t| *t).unwrap_or_default()
    }

    /// The latest records, newest last, at most `limit`.
    pub fn recent(&self, limit: usize) -> Vec<UsageRecord> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent
            .iter()
            .skip(recent.len().saturating_sub(limit))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(room: &str, tenant: &str, tokens: u64, cost: f64, outcome: Outcome) -> UsageRecord {
        UsageRecord {
            at: SystemTime::now(),
            room: room.into(),
            tenant: tenant.into(),
            model: "m".into(),
            provider: ProviderKind::Anthropic,
            key_id: Some("k".into()),
            usage: Usage {
                input_tokens: tokens,
                output_tokens: 1,
                ..Usage::default()
            },
            cost_usd: cost,
            first_token: None,
            total: Duration::ZERO,
            cache_hit: false,
            outcome,
        }
    }

    #[test]
    fn sums_per_room_and_tenant() {
        let ledger = Ledger::new(2);
        ledger.record(record("r1", "t1", 10, 0.5, Outcome::Completed));
        ledger.record(record("r2", "t1", 20, 0.25, Outcome::Failed(None)));
        ledger.record(record("r1", "t2", 5, 1.0, Outcome::Cancelled));
        let r1 = ledger.room("r1");
        assert_eq!(
            (r1.requests, r1.usage.input_tokens, r1.cost_usd),
            (2, 15, 1.5)
        );
        let t1 = ledger.tenant("t1");
        assert_eq!(
            (t1.requests, t1.failures, t1.usage.input_tokens),
            (2, 1, 30)
        );
        assert_eq!(ledger.tenant("nobody"), Totals::default());
        assert_eq!(ledger.model("m").requests, 3);
        let recent = ledger.recent(10);
        assert_eq!(recent.len(), 2, "bounded by its capacity");
        assert_eq!(recent[1].room, "r1");
    }
}
