//! `bench fanout`: C clients in one room, W of them typing R edits/s into files["bench.txt"];
//! every client times the delivery of every edit from the others.
//!
//! Each edit inserts a marker naming its writer and sequence number; the writer notes the send
//! time under (writer, seq) just before the frame leaves, and receivers scan the raw update for
//! the marker, so only writers keep a Yjs document.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use futures_util::{SinkExt, StreamExt};
use protocol::{Message, SyncMessage, codec, schema};
use serde_json::{Value, json};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;
use yrs::{Doc, Text, TextRef, Transact};

use super::procfs::Proc;
use super::stats::{round3, summarize_us};
use super::target::Target;
use super::wire::{self, Ws};
use super::{CommonArgs, fresh_room, loadavg_json};

const FILE: &str = "bench.txt";
/// Connections opened (and handshaken) at once during setup.
const CONNECT_PARALLELISM: usize = 64;
/// Delay between the end of setup and the first edit.
const LEAD_IN: Duration = Duration::from_millis(100);

#[derive(Debug, clap::Args)]
pub struct FanoutArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Clients in the room (writers included).
    #[arg(long, default_value_t = 10)]
    pub clients: usize,
    /// How many of the clients edit.
    #[arg(long, default_value_t = 1)]
    pub writers: usize,
    /// Edits per second per writer.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Length of the measured window.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Edits flow this long before measuring starts.
    #[arg(long, default_value_t = 1500)]
    pub warmup_ms: u64,
    /// After the window, how long to wait for outstanding deliveries before counting losses.
    #[arg(long, default_value_t = 5000)]
    pub grace_ms: u64,
    /// Room to use (default: a fresh name per run).
    #[arg(long)]
    pub room: Option<String>,
}

/// When and whether one edit was sent inside the measured window.
#[derive(Clone, Copy)]
struct Sent {
    at: Instant,
    measured: bool,
}

/// State shared by every client task of one run.
struct Shared {
    measure_from: Instant,
    measure_until: Instant,
    /// Send times, per writer, indexed by sequence number.
    sent: Vec<Mutex<Vec<Sent>>>,
    measured_sent: AtomicU64,
    measured_received: AtomicU64,
    writers_done: AtomicUsize,
    stop: CancellationToken,
}

impl Shared {
    fn lookup(&self, writer: u32, seq: u32) -> Option<Sent> {
        let table = self.sent.get(writer as usize)?;
        let table = table.lock().unwrap_or_else(PoisonError::into_inner);
        table.get(seq as usize).copied()
    }
}

/// What one client saw.
#[derive(Default)]
struct Outcome {
    latencies_us: Vec<u32>,
    warmup_received: u64,
    /// Updates without a known marker (none are expected).
    unmatched: u64,
    edits_sent: u64,
    /// Set when the server closed this client early (e.g. 4408 slow consumer).
    close_code: Option<u16>,
    error: Option<String>,
}

impl Outcome {
    fn on_update(&mut self, update: &[u8], shared: &Shared) {
        let now = Instant::now();
        let Some(sent) = wire::find_marker(update).and_then(|(w, s)| shared.lookup(w, s)) else {
            self.unmatched += 1;
            return;
        };
        if !sent.measured {
            self.warmup_received += 1;
            return;
        }
        let us = now.saturating_duration_since(sent.at).as_micros();
        self.latencies_us
            .push(u32::try_from(us).unwrap_or(u32::MAX));
        shared.measured_received.fetch_add(1, Ordering::Relaxed);
    }

    /// Handles one incoming frame; a writer also applies updates to its document.
    fn on_frame(&mut self, frame: &bytes::Bytes, doc: Option<&Doc>, shared: &Shared) -> Result<()> {
        match Message::decode(frame)? {
            Message::Sync(SyncMessage::Update(update)) => {
                self.on_update(&update, shared);
                if let Some(doc) = doc {
                    wire::apply(doc, &update)?;
                }
            }
            Message::Sync(SyncMessage::Step2(update)) => {
                if let Some(doc) = doc {
                    wire::apply(doc, &update)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The frame a socket read produced (empty for control frames), or `None` once the socket
    /// ended, recording how.
    fn on_ws(
        &mut self,
        msg: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> Option<bytes::Bytes> {
        match msg {
            Some(Ok(WsMessage::Binary(frame))) => Some(frame),
            Some(Ok(WsMessage::Close(frame))) => {
                self.close_code = Some(frame.map(|f| u16::from(f.code)).unwrap_or(1005));
                None
            }
            Some(Ok(_)) => Some(bytes::Bytes::new()),
            Some(Err(e)) => {
                self.error = Some(e.to_string());
                None
            }
            None => {
                self.error = Some("connection closed".into());
                None
            }
        }
    }
}

/// A client that types.
struct Writer {
    index: u32,
    doc: Doc,
    text: TextRef,
    first_tick: Instant,
    period: Duration,
}

pub async fn run(args: &FanoutArgs, target: &Target) -> Result<Value> {
    ensure!(args.clients >= 2, "--clients must be at least 2");
    ensure!(
        (1..=args.clients.min(wire::MAX_WRITERS)).contains(&args.writers),
        "--writers must be between 1 and min(clients, {})",
        wire::MAX_WRITERS
    );
    ensure!(
        args.rate > 0.0 && args.seconds > 0.0,
        "--rate and --seconds must be positive"
    );
    let total_edits = args.rate * (args.seconds + args.warmup_ms as f64 / 1000.0) + 16.0;
    ensure!(
        total_edits < f64::from(wire::MAX_SEQ),
        "too many edits per writer"
    );
    let room = args.room.clone().unwrap_or_else(|| fresh_room("fanout"));
    let url = target.url(&room);

    // Writer 0 creates the file first, so every other writer finds the same Y.Text.
    let (first, first_doc) = create_file(&url).await?;
    let setup_started = Instant::now();
    let others = futures_util::stream::iter(1..args.clients)
        .map(|i| {
            let url = url.clone();
            let writer = i < args.writers;
            async move {
                connect_client(&url, writer)
                    .await
                    .with_context(|| format!("client {i}"))
            }
        })
        .buffered(CONNECT_PARALLELISM)
        .collect::<Vec<_>>()
        .await;
    let mut clients = vec![(first, Some(first_doc))];
    for c in others {
        clients.push(c?);
    }
    let setup_s = setup_started.elapsed().as_secs_f64();

    let period = Duration::from_secs_f64(1.0 / args.rate);
    let start = Instant::now() + LEAD_IN;
    let measure_from = start + Duration::from_millis(args.warmup_ms);
    let shared = Arc::new(Shared {
        measure_from,
        measure_until: measure_from + Duration::from_secs_f64(args.seconds),
        sent: (0..args.writers)
            .map(|_| Mutex::new(Vec::with_capacity(total_edits as usize)))
            .collect(),
        measured_sent: AtomicU64::new(0),
        measured_received: AtomicU64::new(0),
        writers_done: AtomicUsize::new(0),
        stop: CancellationToken::new(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (ws, doc)) in clients.into_iter().enumerate() {
        let shared = shared.clone();
        match doc {
            Some(doc) => {
                let text = file_text(&doc)?;
                let writer = Writer {
                    index: i as u32,
                    doc,
                    text,
                    // Writers are spread evenly over one period.
                    first_tick: start + period.mul_f64(i as f64 / args.writers as f64),
                    period,
                };
                tasks.spawn(write_loop(ws, writer, shared));
            }
            None => {
                tasks.spawn(read_loop(ws, shared));
            }
        }
    }

    let server = target.proc();
    let me = Proc::own();
    tokio::time::sleep_until(shared.measure_from).await;
    let load_start = loadavg_json();
    let server_cpu_start = server.as_ref().map(|p| p.cpu_mark()).transpose()?;
    let bench_cpu_start = me.cpu_mark()?;
    tokio::time::sleep_until(shared.measure_until).await;
    let waited = Instant::now();
    while shared.writers_done.load(Ordering::Acquire) < args.writers
        && waited.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let server_cpu_pct = match (&server, &server_cpu_start) {
        (Some(p), Some(start)) => Some(round3(p.cpu_pct_since(start)?)),
        _ => None,
    };
    let bench_cpu_pct = round3(me.cpu_pct_since(&bench_cpu_start)?);
    let server_rss_kib = server.as_ref().map(|p| p.rss_kib()).transpose()?;
    let load_end = loadavg_json();

    // Wait for stragglers, then count what never came.
    let edits = shared.measured_sent.load(Ordering::Acquire);
    let expected = edits * (args.clients as u64 - 1);
    let grace = Instant::now() + Duration::from_millis(args.grace_ms);
    while shared.measured_received.load(Ordering::Acquire) < expected && Instant::now() < grace {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    shared.stop.cancel();
    let mut latencies = Vec::new();
    let (mut warmup, mut unmatched, mut sent_total, mut closed, mut errors) =
        (0, 0, 0, 0, Vec::new());
    let mut close_codes = std::collections::BTreeMap::<u16, usize>::new();
    while let Some(outcome) = tasks.join_next().await {
        let o = outcome.context("a client task panicked")?;
        latencies.extend_from_slice(&o.latencies_us);
        warmup += o.warmup_received;
        unmatched += o.unmatched;
        sent_total += o.edits_sent;
        if let Some(code) = o.close_code {
            closed += 1;
            *close_codes.entry(code).or_default() += 1;
        }
        if let Some(e) = o.error {
            errors.push(e);
        }
    }
    let delivered = latencies.len() as u64;
    errors.truncate(5);
    Ok(json!({
        "scenario": "fanout",
        "room": room,
        "clients": args.clients,
        "writers": args.writers,
        "rate": args.rate,
        "seconds": args.seconds,
        "warmup_s": args.warmup_ms as f64 / 1000.0,
        "latency_ms": summarize_us(&mut latencies),
        "edits_sent": edits,
        "edits_sent_incl_warmup": sent_total,
        "deliveries": delivered,
        "deliveries_per_s": round3(delivered as f64 / args.seconds),
        "expected_deliveries": expected,
        "lost_deliveries": expected.saturating_sub(delivered),
        "warmup_deliveries": warmup,
        "unmatched_updates": unmatched,
        "closed_by_server": closed,
        "close_codes": close_codes,
        "client_errors": errors,
        "server_cpu_pct": server_cpu_pct,
        "server_rss_kib": server_rss_kib,
        "bench_cpu_pct": bench_cpu_pct,
        "setup_s": round3(setup_s),
        "load_average": { "start": load_start, "end": load_end },
    }))
}

/// Connects writer 0, creates files["bench.txt"] and waits until the server has applied it.
async fn create_file(url: &str) -> Result<(Ws, Doc)> {
    let doc = Doc::new();
    let mut ws = wire::connect(url, wire::SMALL_READ_BUFFER).await?;
    let synced = wire::handshake(&mut ws, Some(&doc)).await?;
    wire::apply(&doc, &synced.step2)?;
    let update = {
        let mut txn = doc.transact_mut();
        if schema::write_file(&mut txn, FILE, "") == schema::WriteOutcome::Unchanged {
            bail!("room already has {FILE}; use a fresh --room");
        }
        txn.encode_update_v1()
    };
    wire::send(&mut ws, codec::encode_sync_update(&update)).await?;
    // The room handles one connection's messages in order: our step2 comes after the update.
    wire::handshake(&mut ws, Some(&doc)).await?;
    Ok((ws, doc))
}

/// Connects and syncs one client; writers get a document with the room's contents.
async fn connect_client(url: &str, writer: bool) -> Result<(Ws, Option<Doc>)> {
    let mut ws = wire::connect(url, wire::SMALL_READ_BUFFER).await?;
    if !writer {
        wire::handshake(&mut ws, None).await?;
        return Ok((ws, None));
    }
    let doc = Doc::new();
    let synced = wire::handshake(&mut ws, Some(&doc)).await?;
    wire::apply(&doc, &synced.step2)?;
    for u in &synced.updates {
        wire::apply(&doc, u)?;
    }
    file_text(&doc)?;
    Ok((ws, Some(doc)))
}

fn file_text(doc: &Doc) -> Result<TextRef> {
    let files = schema::files(doc);
    let txn = doc.transact();
    schema::file_text(&txn, &files, FILE).with_context(|| format!("{FILE} missing after sync"))
}

async fn read_loop(mut ws: Ws, shared: Arc<Shared>) -> Outcome {
    let mut out = Outcome::default();
    loop {
        let msg = tokio::select! {
            biased;
            _ = shared.stop.cancelled() => break,
            msg = ws.next() => msg,
        };
        let Some(frame) = out.on_ws(msg) else { break };
        if !frame.is_empty()
            && let Err(e) = out.on_frame(&frame, None, &shared)
        {
            out.error = Some(format!("{e:#}"));
            break;
        }
    }
    close(ws).await;
    out
}

async fn write_loop(mut ws: Ws, w: Writer, shared: Arc<Shared>) -> Outcome {
    let mut out = Outcome::default();
    let mut ticks = tokio::time::interval_at(w.first_tick, w.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut writing = true;
    let mut seq: u32 = 0;
    loop {
        tokio::select! {
            biased;
            _ = shared.stop.cancelled() => break,
            _ = ticks.tick(), if writing => {
                let now = Instant::now();
                if now >= shared.measure_until {
                    writing = false;
                    shared.writers_done.fetch_add(1, Ordering::AcqRel);
                    continue;
                }
                let frame = {
                    let mut txn = w.doc.transact_mut();
                    let len = w.text.len(&txn);
                    w.text.insert(&mut txn, len, &wire::marker(w.index, seq));
                    codec::encode_sync_update(&txn.encode_update_v1())
                };
                let measured = now >= shared.measure_from;
                if let Some(table) = shared.sent.get(w.index as usize) {
                    table.lock().unwrap_or_else(PoisonError::into_inner).push(Sent { at: Instant::now(), measured });
                }
                if measured {
                    shared.measured_sent.fetch_add(1, Ordering::AcqRel);
                }
                seq += 1;
                out.edits_sent += 1;
                if let Err(e) = ws.send(WsMessage::Binary(frame.into())).await {
                    out.error = Some(e.to_string());
                    break;
                }
            }
            msg = ws.next() => {
                let Some(frame) = out.on_ws(msg) else { break };
                if !frame.is_empty()
                    && let Err(e) = out.on_frame(&frame, Some(&w.doc), &shared)
                {
                    out.error = Some(format!("{e:#}"));
                    break;
                }
            }
        }
    }
    if writing {
        shared.writers_done.fetch_add(1, Ordering::AcqRel);
    }
    close(ws).await;
    out
}

/// Says goodbye without waiting for the server's answer.
async fn close(mut ws: Ws) {
    let _ = tokio::time::timeout(Duration::from_millis(100), ws.close(None)).await;
}
