//! One key's usage: sliding request and token windows, concurrency and cooldown, and when
//! it can take a request of a given size. Time is passed in, so this is a plain state machine.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::{KeySpec, KeyState};

/// The rate-limit window: requests and tokens of the last 60 seconds.
pub(super) const MINUTE: Duration = Duration::from_secs(60);
/// The budget window: a rolling 24 hours, not a calendar day.
pub(super) const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// The day window keeps one total per minute of activity instead of every request. A bucket
/// leaves the window 24 h after its last request, so the budget errs on the safe side by up to
/// a minute.
const DAY_BUCKET: Duration = Duration::from_secs(60);
/// When only the concurrency limit blocks: a slot frees when some stream ends, which no clock
/// can predict, so callers are told to look again soon.
pub const CONCURRENCY_HINT: Duration = Duration::from_secs(1);

/// One acquire in the minute window.
#[derive(Debug)]
struct Entry {
    at: Instant,
    tokens: u64,
    seq: u64,
}

/// The tokens of the acquires from `first` to `last` (less than `DAY_BUCKET` apart).
#[derive(Debug)]
struct Bucket {
    first: Instant,
    last: Instant,
    tokens: u64,
}

/// Where a lease's tokens were recorded, so `settle` can correct them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ticket {
    at: Instant,
    seq: u64,
}

pub(super) enum Availability {
    /// Free now; `f64` is its utilisation (the highest used/limit fraction).
    Now(f64),
    /// Blocked for at least this long.
    Later(Duration),
    /// The request is larger than the key's daily budget: it never fits.
    Never,
}

#[derive(Debug)]
pub(super) struct Key {
    pub(super) spec: KeySpec,
    pub(super) in_flight: u32,
    cooling_until: Option<Instant>,
    minute: VecDeque<Entry>,
    day: VecDeque<Bucket>,
    next_seq: u64,
}

impl Key {
    pub(super) fn new(spec: KeySpec) -> Self {
        Self {
            spec,
            in_flight: 0,
            cooling_until: None,
            minute: VecDeque::new(),
            day: VecDeque::new(),
            next_seq: 0,
        }
    }

    /// Drops what has left its window; an entry leaves exactly one window length after it.
    fn prune(&mut self, now: Instant) {
        while self.minute.front().is_some_and(|e| e.at + MINUTE <= now) {
            self.minute.pop_front();
        }
        while self.day.front().is_some_and(|b| b.last + DAY <= now) {
            self.day.pop_front();
        }
        if self.cooling_until.is_some_and(|until| until <= now) {
            self.cooling_until = None;
        }
    }

    pub(super) fn requests_last_minute(&self) -> usize {
        self.minute.len()
    }

    fn tokens_last_minute(&self) -> u64 {
        self.minute
            .iter()
            .fold(0, |sum, e| sum.saturating_add(e.tokens))
    }

    fn tokens_last_day(&self) -> u64 {
        self.day
            .iter()
            .fold(0, |sum, b| sum.saturating_add(b.tokens))
    }

    /// Whether a request of `estimate` tokens fits now, and if not, how long until it may.
    pub(super) fn check(&mut self, now: Instant, estimate: u64) -> Availability {
        self.prune(now);
        let limits = self.spec.limits;
        if limits.daily_tokens.is_some_and(|daily| estimate > daily) {
            return Availability::Never;
        }
        // The key is free once every blocking limit is: the latest of their waits.
        let mut wait: Option<Duration> = None;
        let mut block = |d: Duration| wait = Some(wait.map_or(d, |w| w.max(d)));

        if let Some(until) = self.cooling_until {
            block(until.saturating_duration_since(now));
        }
        if limits
            .max_concurrent
            .is_some_and(|max| self.in_flight >= max)
        {
            block(CONCURRENCY_HINT);
        }
        if let Some(rpm) = limits.rpm
            && let Some(excess) = self.minute.len().checked_sub(rpm as usize)
        {
            // The request that must leave for the count to drop below the limit.
            block(self.minute[excess].at + MINUTE - now);
        }
        let minute_tokens = self.tokens_last_minute();
        // An empty window takes any estimate, so a request larger than the limit still runs.
        if let Some(tpm) = limits.tpm
            && minute_tokens > 0
            && minute_tokens.saturating_add(estimate) > tpm
        {
            let mut left = minute_tokens;
            if let Some(e) = self.minute.iter().find(|e| {
                left = left.saturating_sub(e.tokens);
                left == 0 || left.saturating_add(estimate) <= tpm
            }) {
                block(e.at + MINUTE - now);
            }
        }
        if let Some(daily) = limits.daily_tokens {
            let mut left = self.tokens_last_day();
            if left.saturating_add(estimate) > daily
                && let Some(b) = self.day.iter().find(|b| {
                    left = left.saturating_sub(b.tokens);
                    left.saturating_add(estimate) <= daily
                })
            {
                block(b.last + DAY - now);
            }
        }
        match wait {
            Some(wait) => Availability::Later(wait),
            None => Availability::Now(self.utilisation()),
        }
    }

    /// The highest used/limit fraction over the key's limits; 0 for an unlimited key.
    fn utilisation(&self) -> f64 {
        let limits = self.spec.limits;
        let fraction =
            |used: u64, limit: Option<u64>| limit.map_or(0.0, |l| used as f64 / l as f64);
        [
            fraction(self.in_flight.into(), limits.max_concurrent.map(u64::from)),
            fraction(self.minute.len() as u64, limits.rpm.map(u64::from)),
            fraction(self.tokens_last_minute(), limits.tpm),
            fraction(self.tokens_last_day(), limits.daily_tokens),
        ]
        .into_iter()
        .fold(0.0, f64::max)
    }

    /// Takes a concurrency slot and counts the request and its estimate at once.
    pub(super) fn record(&mut self, now: Instant, estimate: u64) -> Ticket {
        self.in_flight += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.minute.push_back(Entry {
            at: now,
            tokens: estimate,
            seq,
        });
        match self.day.back_mut() {
            Some(b) if now.saturating_duration_since(b.first) < DAY_BUCKET => {
                b.last = now;
                b.tokens = b.tokens.saturating_add(estimate);
            }
            _ => self.day.push_back(Bucket {
                first: now,
                last: now,
                tokens: estimate,
            }),
        }
        Ticket { at: now, seq }
    }

    /// Replaces `recorded` tokens of `ticket` with `actual`, in whichever windows still hold it.
    pub(super) fn settle(&mut self, ticket: Ticket, recorded: u64, actual: u64) {
        if let Ok(i) = self.minute.binary_search_by_key(&ticket.seq, |e| e.seq) {
            self.minute[i].tokens = actual;
        }
        if let Some(b) = self
            .day
            .iter_mut()
            .rev()
            .find(|b| b.first <= ticket.at && ticket.at <= b.last)
        {
            b.tokens = b.tokens.saturating_sub(recorded).saturating_add(actual);
        }
    }

    pub(super) fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Unavailable until `now + duration`; a longer cooldown already running is kept.
    pub(super) fn cool_down(&mut self, now: Instant, duration: Duration) {
        let until = now + duration;
        self.cooling_until = Some(self.cooling_until.map_or(until, |u| u.max(until)));
    }

    pub(super) fn state(&mut self, now: Instant) -> KeyState {
        self.prune(now);
        KeyState {
            id: self.spec.id.clone(),
            provider: self.spec.provider,
            in_flight: self.in_flight,
            requests_last_minute: self.minute.len(),
            tokens_last_minute: self.tokens_last_minute(),
            tokens_last_day: self.tokens_last_day(),
            cooling_for: self.cooling_until.map(|until| until - now),
        }
    }
}
