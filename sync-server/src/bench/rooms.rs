//! `bench rooms`: K rooms, each with clients that synced and made one small edit each, all left
//! connected; the server's RSS before (empty) and after gives the memory cost of a live room.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use futures_util::StreamExt;
use protocol::{Message, SyncMessage, codec, schema};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use yrs::{Doc, Text, Transact};

use super::stats::round3;
use super::target::Target;
use super::wire::{self, Ws};
use super::{CommonArgs, fresh_room, loadavg_json};

const FILE: &str = "bench.txt";
/// How long one client may wait for another's edit; only reached when something is broken.
const EDIT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, clap::Args)]
pub struct RoomsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Rooms to open.
    #[arg(long, default_value_t = 1000)]
    pub rooms: usize,
    #[arg(long, default_value_t = 2)]
    pub clients_per_room: usize,
    /// Rooms being set up at once.
    #[arg(long, default_value_t = 32)]
    pub parallel: usize,
    /// Quiet time before each RSS reading (lets the server persist and settle).
    #[arg(long, default_value_t = 2000)]
    pub settle_ms: u64,
}

pub async fn run(args: &RoomsArgs, target: &Target) -> Result<Value> {
    ensure!(args.rooms >= 1, "--rooms must be at least 1");
    ensure!(
        args.clients_per_room >= 1,
        "--clients-per-room must be at least 1"
    );
    let server = target.require_proc()?;
    let settle = Duration::from_millis(args.settle_ms);
    tokio::time::sleep(settle).await;
    let rss_before = server.rss_kib()?;
    let load_start = loadavg_json();

    let prefix = fresh_room("rooms");
    let stop = CancellationToken::new();
    let started = Instant::now();
    let mut holders = tokio::task::JoinSet::new();
    let mut rooms = futures_util::stream::iter(0..args.rooms)
        .map(|k| {
            let url = target.url(&format!("{prefix}-{k}"));
            async move {
                setup_room(&url, args.clients_per_room)
                    .await
                    .with_context(|| format!("room {k}"))
            }
        })
        .buffer_unordered(args.parallel.max(1));
    while let Some(conns) = rooms.next().await {
        for ws in conns? {
            holders.spawn(hold(ws, stop.clone()));
        }
    }
    drop(rooms);
    let setup_s = started.elapsed().as_secs_f64();

    tokio::time::sleep(settle).await;
    let rss_after = server.rss_kib()?;
    let load_end = loadavg_json();
    stop.cancel();
    let mut dropped = 0;
    while let Some(kept) = holders.join_next().await {
        if !kept.context("a holder task panicked")? {
            dropped += 1;
        }
    }
    let delta = rss_after.saturating_sub(rss_before);
    Ok(json!({
        "scenario": "rooms",
        "rooms": args.rooms,
        "clients_per_room": args.clients_per_room,
        "server_rss_before_kib": rss_before,
        "server_rss_after_kib": rss_after,
        "rss_delta_kib": delta,
        "rss_per_room_kib": round3(delta as f64 / args.rooms as f64),
        "rss_per_connection_kib": round3(delta as f64 / (args.rooms * args.clients_per_room) as f64),
        "connections_dropped_early": dropped,
        "setup_s": round3(setup_s),
        "load_average": { "start": load_start, "end": load_end },
    }))
}

/// Connects and syncs the room's clients; the first creates the file, every other one waits for
/// it and appends one edit, and the first waits for all of those. Returns the open sockets.
async fn setup_room(url: &str, clients: usize) -> Result<Vec<Ws>> {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        let doc = Doc::new();
        let mut ws = wire::connect(url, wire::SMALL_READ_BUFFER).await?;
        let synced = wire::handshake(&mut ws, Some(&doc)).await?;
        wire::apply(&doc, &synced.step2)?;
        conns.push((ws, doc));
    }
    let mut iter = conns.iter_mut();
    let Some((ws0, doc0)) = iter.next() else {
        return Ok(Vec::new());
    };
    let update = {
        let mut txn = doc0.transact_mut();
        schema::write_file(&mut txn, FILE, "hello");
        txn.encode_update_v1()
    };
    wire::send(ws0, codec::encode_sync_update(&update)).await?;
    for (i, (ws, doc)) in iter.enumerate() {
        wait_update(ws, doc).await?;
        let files = schema::files(doc);
        let update = {
            let mut txn = doc.transact_mut();
            let text = schema::file_text(&txn, &files, FILE).context("file missing")?;
            let len = text.len(&txn);
            text.insert(&mut txn, len, &format!(" c{}", i + 1));
            txn.encode_update_v1()
        };
        wire::send(ws, codec::encode_sync_update(&update)).await?;
    }
    if let Some((ws0, doc0)) = conns.first_mut() {
        for _ in 1..clients {
            wait_update(ws0, doc0).await?;
        }
    }
    Ok(conns.into_iter().map(|(ws, _)| ws).collect())
}

/// Waits for the next update from the room and applies it.
async fn wait_update(ws: &mut Ws, doc: &Doc) -> Result<()> {
    let wait = async {
        loop {
            match wire::next_message(ws).await? {
                None => bail!("server closed the connection"),
                Some(Message::Sync(SyncMessage::Update(u))) => return wire::apply(doc, &u),
                Some(_) => {}
            }
        }
    };
    tokio::time::timeout(EDIT_TIMEOUT, wait)
        .await
        .context("no update from the other client")?
}

/// Keeps a connection open (answering pings) until `stop`; false if the server closed it first.
async fn hold(mut ws: Ws, stop: CancellationToken) -> bool {
    let kept = loop {
        tokio::select! {
            _ = stop.cancelled() => break true,
            msg = ws.next() => match msg {
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break false,
            },
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(100), ws.close(None)).await;
    kept
}
