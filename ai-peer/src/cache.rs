//! The exact response cache: a whole answer replayed when the same request meets the same
//! document version again.
//!
//! A minor saving next to provider prompt caching (notes §5), so it is kept simple: an
//! in-process LRU bounded by entries and bytes, with a TTL. The key includes the document
//! version, and only answers that call no tool are stored: a replayed tool call would act
//! again (an edit twice), while a text answer to the same request about the same room state
//! (a repeated question) is as good as a fresh one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::{Block, Event, ProviderKind, Request, SystemBlock};

/// The `[ai.cache]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Serve repeated requests from the cache. Default `true`.
    pub enabled: bool,
    /// How long an answer stays servable after it was stored (humantime). Default `"10m"`.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub ttl: Duration,
    /// Most answers kept. Default 1024.
    pub max_entries: usize,
    /// Most bytes kept, by the answers' size estimates. Default 16 MiB.
    pub max_bytes: usize,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            ttl: Duration::from_secs(600),
            max_entries: 1024,
            max_bytes: 16 << 20,
        }
    }
}

/// SHA-256 of a request's normalized form, the document version and the model override.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CacheKey([u8; 32]);

/// A complete answer as it was streamed, replayable event by event.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAnswer {
    /// Our name of the model that answered.
    pub model: String,
    pub provider: ProviderKind,
    pub events: Vec<Event>,
}

impl CachedAnswer {
    /// Roughly how many bytes the answer holds in memory (what `max_bytes` bounds).
    pub fn size_estimate(&self) -> usize {
        let strings: usize = self
            .events
            .iter()
            .map(|e| match e {
                Event::MessageStart { model, .. } => model.as_ref().map_or(0, String::len),
                Event::TextDelta { text, .. } => text.len(),
                Event::ToolUseStart { id, name, .. } => id.len() + name.len(),
                Event::ToolInputDelta { partial_json, .. } => partial_json.len(),
                Event::MessageDelta {
                    stop_reason: Some(crate::StopReason::Other(s)),
                    ..
                } => s.len(),
                Event::BlockStop { .. } | Event::MessageDelta { .. } | Event::MessageStop => 0,
            })
            .sum();
        size_of::<Self>() + self.model.len() + self.events.len() * size_of::<Event>() + strings
    }
}

/// The cache. Cheap to share: every method takes `&self`.
#[derive(Debug)]
pub struct ResponseCache {
    settings: CacheSettings,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<CacheKey, Entry>,
    /// Use tick -> key; the first entry is the least recently used.
    order: BTreeMap<u64, CacheKey>,
    next_tick: u64,
    bytes: usize,
}

#[derive(Debug)]
struct Entry {
    answer: Arc<CachedAnswer>,
    expires: Instant,
    tick: u64,
    size: usize,
}

impl Inner {
    fn tick(&mut self) -> u64 {
        self.next_tick += 1;
        self.next_tick
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some(old) = self.entries.remove(key) {
            self.order.remove(&old.tick);
            self.bytes -= old.size;
        }
    }

    fn evict_lru(&mut self) {
        if let Some((_, key)) = self.order.pop_first() {
            self.remove(&key);
        }
    }
}

impl ResponseCache {
    pub fn new(settings: CacheSettings) -> Self {
        Self {
            settings,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Whether a completed answer may be stored: it calls no tool.
    pub fn storable(events: &[Event]) -> bool {
        !events
            .iter()
            .any(|e| matches!(e, Event::ToolUseStart { .. }))
    }

    /// The key of `request` against the room at `doc_version`, answered by `override_model`
    /// when the caller forces one. Cache points are left out: they change the price, not
    /// the answer.
    pub fn key(request: &Request, doc_version: &str, override_model: Option<&str>) -> CacheKey {
        let mut normal = request.clone();
        normal
            .system
            .retain(|b| !matches!(b, SystemBlock::CachePoint));
        for m in &mut normal.messages {
            m.content.retain(|b| !matches!(b, Block::CachePoint));
        }
        normal.cache_tools = false;

        let mut h = Sha256::new();
        h.update(b"tandem-ai-peer response cache v1\0");
        // A request always serializes (plain data, string keys); a failure would only make
        // every such request share one key, so it is hashed as a distinct marker instead.
        match serde_json::to_value(&normal) {
            Ok(v) => canonical(&mut h, &v),
            Err(e) => bytes(&mut h, format!("unserializable: {e}").as_bytes()),
        }
        bytes(&mut h, doc_version.as_bytes());
        match override_model {
            None => h.update([0]),
            Some(m) => {
                h.update([1]);
                bytes(&mut h, m.as_bytes());
            }
        }
        CacheKey(h.finalize().into())
    }

    /// The answer stored under `key`, unless it expired (then it is removed).
    pub fn get(&self, key: &CacheKey) -> Option<Arc<CachedAnswer>> {
        if !self.settings.enabled {
            return None;
        }
        let mut inner = self.lock();
        let expires = inner.entries.get(key)?.expires;
        if Instant::now() >= expires {
            inner.remove(key);
            return None;
        }
        let tick = inner.tick();
        let entry = inner.entries.get_mut(key)?;
        let old = std::mem::replace(&mut entry.tick, tick);
        let answer = Arc::clone(&entry.answer);
        inner.order.remove(&old);
        inner.order.insert(tick, *key);
        Some(answer)
    }

    /// Stores `answer`, evicting the least recently used entries to stay within
    /// `max_entries` and `max_bytes`. An answer larger than `max_bytes` is not stored.
    pub fn insert(&self, key: CacheKey, answer: CachedAnswer) {
        let size = answer.size_estimate();
        let s = &self.settings;
        let mut inner = self.lock();
        inner.remove(&key);
        if !s.enabled || s.max_entries == 0 || size > s.max_bytes {
            return;
        }
        while inner.entries.len() >= s.max_entries || inner.bytes + size > s.max_bytes {
            inner.evict_lru();
        }
        let tick = inner.tick();
        let expires = Instant::now() + s.ttl;
        inner.order.insert(tick, key);
        inner.bytes += size;
        inner.entries.insert(
            key,
            Entry {
                answer: Arc::new(answer),
                expires,
                tick,
                size,
            },
        );
    }

    /// Entries stored, expired ones included until they are looked up or evicted.
    /// False when the cache is switched off in its settings.
    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map stays consistent between statements, so a panic elsewhere cannot leave it
        // half-updated in a way that matters for a cache.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Length-prefixed bytes, so adjacent fields cannot run into each other.
fn bytes(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_le_bytes());
    h.update(b);
}

/// A canonical encoding of a JSON value: a tag per kind, sorted object keys (whatever map
/// order serde_json was built with), everything length-prefixed.
fn canonical(h: &mut Sha256, v: &Value) {
    match v {
        Value::Null => h.update(b"n"),
        Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            h.update(b"#");
            bytes(h, n.to_string().as_bytes());
        }
        Value::String(s) => {
            h.update(b"s");
            bytes(h, s.as_bytes());
        }
        Value::Array(items) => {
            h.update(b"[");
            h.update((items.len() as u64).to_le_bytes());
            items.iter().for_each(|i| canonical(h, i));
        }
        Value::Object(map) => {
            let mut fields: Vec<(&String, &Value)> = map.iter().collect();
            fields.sort_by_key(|(k, _)| *k);
            h.update(b"{");
            h.update((fields.len() as u64).to_le_bytes());
            for (k, v) in fields {
                bytes(h, k.as_bytes());
                canonical(h, v);
            }
        }
    }
}

#[cfg(test)]
mod tests;
