//! The caller's end of a call: the events as they arrive, and, once they end, the call's usage
//! record (tokens, cost, latency), which also goes to the ledger and, for a completed cacheable
//! answer, into the response cache.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures_util::Stream;
use tokio::time::Instant;

use super::Call;
use super::attempt::Opened;
use crate::cache::{CacheKey, CachedAnswer, ResponseCache};
use crate::cost::cost_usd;
use crate::keypool::KeyLease;
use crate::models::ModelSpec;
use crate::usage::{Ledger, Outcome, UsageRecord};
use crate::{AiError, Event, EventStream, ProviderKind, Usage};

/// A streaming answer. Poll it as a `Stream` of events; after it ends (or is dropped), the
/// call's record is in the ledger and in [`Answer::record`].
pub struct Answer {
    pub model: String,
    pub provider: ProviderKind,
    /// The key that served it; `None` for a cache hit.
    pub key_id: Option<String>,
    pub cache_hit: bool,
    ahead: std::vec::IntoIter<Event>,
    stream: Option<EventStream>,
    meter: Meter,
}

/// What is tracked while the events flow.
struct Meter {
    lease: Option<KeyLease>,
    spec: Option<ModelSpec>,
    room: String,
    tenant: String,
    started: Instant,
    first_token: Option<Instant>,
    usage: Usage,
    /// Events kept for the response cache, with where to put them.
    cache: Option<(Arc<ResponseCache>, CacheKey, Vec<Event>)>,
    ledger: Arc<Ledger>,
    record: Arc<OnceLock<UsageRecord>>,
}

impl Answer {
    pub(super) fn live(
        call: &Call,
        spec: &ModelSpec,
        opened: Opened,
        started: Instant,
        cache: Option<(Arc<ResponseCache>, CacheKey)>,
        ledger: &Arc<Ledger>,
    ) -> Self {
        let provider = opened.lease.provider();
        let key_id = Some(opened.lease.key_id().to_owned());
        let mut meter = Meter {
            lease: Some(opened.lease),
            spec: Some(spec.clone()),
            room: call.room.clone(),
            tenant: call.tenant.clone(),
            started,
            first_token: opened.first_token,
            usage: Usage::default(),
            cache: cache.map(|(c, k)| (c, k, Vec::new())),
            ledger: ledger.clone(),
            record: Arc::default(),
        };
        for event in &opened.ahead {
            meter.observe(event);
        }
        Self {
            model: spec.name.clone(),
            provider,
            key_id,
            cache_hit: false,
            ahead: opened.ahead.into_iter(),
            stream: Some(opened.stream),
            meter,
        }
    }

    /// An answer from the response cache: the stored events, no provider call.
    pub(super) fn replay(
        call: &Call,
        hit: Arc<CachedAnswer>,
        spec: Option<ModelSpec>,
        ledger: &Arc<Ledger>,
    ) -> Self {
        let now = Instant::now();
        let meter = Meter {
            lease: None,
            spec,
            room: call.room.clone(),
            tenant: call.tenant.clone(),
            started: now,
            first_token: Some(now),
            usage: Usage::default(),
            cache: None,
            ledger: ledger.clone(),
            record: Arc::default(),
        };
        Self {
            model: hit.model.clone(),
            provider: hit.provider,
            key_id: None,
            cache_hit: true,
            ahead: hit.events.clone().into_iter(),
            stream: None,
            meter,
        }
    }

    /// The call's usage record, once the stream has ended or been dropped.
    pub fn record(&self) -> Option<&UsageRecord> {
        self.meter.record.get()
    }

    /// A handle to the record that outlives the answer (for whoever drops the stream).
    pub fn record_slot(&self) -> Arc<OnceLock<UsageRecord>> {
        self.meter.record.clone()
    }
}

impl Stream for Answer {
    type Item = Result<Event, AiError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.meter.record.get().is_some() {
            return Poll::Ready(None);
        }
        let item = match this.ahead.next() {
            Some(event) => Some(Ok(event)),
            None => match this.stream.as_mut() {
                Some(stream) => match stream.as_mut().poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(item) => {
                        if let Some(Ok(event)) = &item {
                            this.meter.observe(event);
                        }
                        item
                    }
                },
                None => None,
            },
        };
        match &item {
            Some(Ok(Event::MessageStop)) => this.finish(Outcome::Completed),
            Some(Err(e)) => this.finish(Outcome::Failed(e.kind())),
            None if this.cache_hit => this.finish(Outcome::Completed),
            None => this.finish(Outcome::Failed(None)),
            Some(Ok(_)) => {}
        }
        Poll::Ready(item)
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        if self.meter.record.get().is_none() {
            self.finish(Outcome::Cancelled);
        }
    }
}

impl Answer {
    fn finish(&mut self, outcome: Outcome) {
        if self.meter.record.get().is_some() {
            return;
        }
        let m = &mut self.meter;
        if let Some(mut lease) = m.lease.take() {
            lease.settle(m.usage.total());
        }
        let cost = m
            .spec
            .as_ref()
            .map_or(0.0, |s| cost_usd(&m.usage, &s.prices));
        if outcome == Outcome::Completed
            && let Some((cache, key, events)) = m.cache.take()
            && ResponseCache::storable(&events)
        {
            let answer = CachedAnswer {
                model: self.model.clone(),
                provider: self.provider,
                events,
            };
            cache.insert(key, answer);
        }
        let record = UsageRecord {
            at: SystemTime::now(),
            room: m.room.clone(),
            tenant: m.tenant.clone(),
            model: self.model.clone(),
            provider: self.provider,
            key_id: self.key_id.clone(),
            usage: m.usage,
            cost_usd: cost,
            first_token: m.first_token.map(|t| t - m.started),
            total: m.started.elapsed(),
            cache_hit: self.cache_hit,
            outcome,
        };
        m.ledger.record(record.clone());
        let _ = m.record.set(record);
    }
}

impl Meter {
    fn observe(&mut self, event: &Event) {
        match event {
            Event::MessageStart { usage: Some(u), .. } | Event::MessageDelta { usage: u, .. } => {
                self.usage = *u;
            }
            Event::TextDelta { .. } | Event::ToolUseStart { .. } | Event::ToolInputDelta { .. } => {
                self.first_token.get_or_insert_with(Instant::now);
            }
            _ => {}
        }
        if let Some((_, _, events)) = &mut self.cache {
            events.push(event.clone());
        }
    }
}
