//! `bench coldload`: replays an editing trace into files["paper.tex"] through one writer, checks
//! the server holds exactly `endContent`, then times N fresh clients fetching the whole document
//! (connect to first byte, and SyncStep1 with an empty state vector to the complete SyncStep2).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use protocol::{codec, schema};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;
use yrs::{Doc, ReadTxn, StateVector, Text, TextRef, Transact};

use super::stats::{round3, summarize};
use super::target::Target;
use super::wire;
use super::{CommonArgs, fresh_room, loadavg_json};

const FILE: &str = "paper.tex";
/// How long the server may take to hold the whole replayed document.
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(60);
/// The writer's Yjs client id. Fixed, because ids are var-ints repeated throughout the encoding:
/// a random one would make the document size vary from run to run. (A typical 32-bit id.)
const WRITER_CLIENT_ID: u64 = 0x9e37_79b9;

#[derive(Debug, clap::Args)]
pub struct ColdloadArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Editing trace (josephg/editing-traces JSON, gzipped or not).
    #[arg(long, default_value = "/work/shared/data/automerge-paper.json.gz")]
    pub trace: PathBuf,
    /// Fresh clients to time, one after another.
    #[arg(long, default_value_t = 20)]
    pub fresh: usize,
    /// Trace transactions per update sent.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Room to use (default: a fresh name per run).
    #[arg(long)]
    pub room: Option<String>,
}

#[derive(Deserialize)]
struct Trace {
    #[serde(rename = "startContent")]
    start_content: String,
    #[serde(rename = "endContent")]
    end_content: String,
    txns: Vec<Txn>,
}

#[derive(Deserialize)]
struct Txn {
    patches: Vec<Patch>,
}

/// `[position, deleteCount, insertText]`, positions in characters.
#[derive(Deserialize)]
struct Patch(u32, u32, String);

fn load_trace(path: &Path) -> Result<Trace> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let json = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .with_context(|| format!("gunzipping {}", path.display()))?;
        out
    } else {
        raw
    };
    let trace: Trace =
        serde_json::from_slice(&json).with_context(|| format!("parsing {}", path.display()))?;
    // Yjs text offsets here are bytes; character positions equal them only for ASCII.
    let ascii = trace.start_content.is_ascii()
        && trace.end_content.is_ascii()
        && trace
            .txns
            .iter()
            .flat_map(|t| &t.patches)
            .all(|p| p.2.is_ascii());
    ensure!(
        ascii,
        "only ASCII traces are supported (positions are characters)"
    );
    Ok(trace)
}

pub async fn run(args: &ColdloadArgs, target: &Target) -> Result<Value> {
    ensure!(args.batch >= 1, "--batch must be at least 1");
    let trace = load_trace(&args.trace)?;
    let edits: usize = trace.txns.iter().map(|t| t.patches.len()).sum();
    let room = args.room.clone().unwrap_or_else(|| fresh_room("coldload"));
    let url = target.url(&room);

    // Replay through one writer, one update per batch of trace transactions.
    let doc = Doc::with_client_id(WRITER_CLIENT_ID);
    let mut writer = wire::connect(&url, wire::SMALL_READ_BUFFER).await?;
    let synced = wire::handshake(&mut writer, Some(&doc)).await?;
    wire::apply(&doc, &synced.step2)?;
    let replay_started = Instant::now();
    let update = {
        let mut txn = doc.transact_mut();
        if schema::write_file(&mut txn, FILE, &trace.start_content)
            == schema::WriteOutcome::Unchanged
        {
            bail!("room already has {FILE}; use a fresh --room");
        }
        txn.encode_update_v1()
    };
    wire::send(&mut writer, codec::encode_sync_update(&update)).await?;
    let text = {
        let files = schema::files(&doc);
        let txn = doc.transact();
        schema::file_text(&txn, &files, FILE).context("file missing after creating it")?
    };
    let mut updates_sent = 1;
    for chunk in trace.txns.chunks(args.batch) {
        let update = {
            let mut txn = doc.transact_mut();
            for patch in chunk.iter().flat_map(|t| &t.patches) {
                let Patch(pos, del, ins) = patch;
                let len = text.len(&txn);
                ensure!(
                    pos + del <= len,
                    "trace patch [{pos}, {del}] past the end ({len})"
                );
                if *del > 0 {
                    text.remove_range(&mut txn, *pos, *del);
                }
                if !ins.is_empty() {
                    text.insert(&mut txn, *pos, ins);
                }
            }
            txn.encode_update_v1()
        };
        wire::send(&mut writer, codec::encode_sync_update(&update)).await?;
        updates_sent += 1;
    }
    let replay_s = replay_started.elapsed().as_secs_f64();
    ensure!(
        schema::read_file(&doc, FILE).as_deref() == Some(trace.end_content.as_str()),
        "replaying the trace did not produce endContent"
    );

    // A second client checks that the server holds the very same text.
    let converge_started = Instant::now();
    let mut checker = wire::connect(&url, wire::LARGE_READ_BUFFER).await?;
    wire::handshake(&mut checker, None).await?;
    loop {
        let all = wire::fetch_all(&mut checker).await?;
        let copy = Doc::new();
        wire::apply(&copy, &all)?;
        if schema::read_file(&copy, FILE).as_deref() == Some(trace.end_content.as_str()) {
            break;
        }
        if converge_started.elapsed() > CONVERGE_TIMEOUT {
            bail!("the server did not reach endContent within {CONVERGE_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let converge_s = converge_started.elapsed().as_secs_f64();
    drop(checker);

    // Fresh clients, one at a time: first against the unchanged document (the server may answer
    // from a cached full-state frame), then each right after an edit, so the server must encode.
    let load_start = loadavg_json();
    let unchanged = fresh_clients(&url, args.fresh, None).await?;
    ensure!(
        schema::read_file(&unchanged.replica, FILE).as_deref() == Some(trace.end_content.as_str()),
        "a fresh client got a different document"
    );
    let after_edit = fresh_clients(&url, args.fresh, Some((&mut writer, &doc, &text))).await?;
    ensure!(
        after_edit.first_up_to_date,
        "a fresh client after an edit got a different document"
    );
    let load_end = loadavg_json();

    // What encoding the whole state costs yrs here: on the writer's document (built by local
    // edits) and on a replica built from the server's step2, like the server's own document.
    let writer_encode = full_encode_times(&doc, args.fresh);
    let replica_encode = full_encode_times(&unchanged.replica, args.fresh);
    let _ = tokio::time::timeout(Duration::from_millis(100), writer.close(None)).await;

    Ok(json!({
        "scenario": "coldload",
        "room": room,
        "trace": args.trace.display().to_string(),
        "trace_txns": trace.txns.len(),
        "trace_edits": edits,
        "end_chars": trace.end_content.chars().count(),
        "updates_sent": updates_sent,
        "replay_s": round3(replay_s),
        "server_converged_s": round3(converge_s),
        "doc_bytes": unchanged.doc_bytes,
        "fresh_clients": args.fresh,
        "step2_ms": summarize(&unchanged.step2),
        "ttfb_ms": summarize(&unchanged.ttfb),
        "connect_ms": summarize(&unchanged.connect),
        "step2_after_edit_ms": summarize(&after_edit.step2),
        "ttfb_after_edit_ms": summarize(&after_edit.ttfb),
        "writer_full_encode_ms": summarize(&writer_encode),
        "replica_full_encode_ms": summarize(&replica_encode),
        "load_average": { "start": load_start, "end": load_end },
    }))
}

/// Times `n` encodings of the whole document (at least one).
fn full_encode_times(doc: &Doc, n: usize) -> Vec<Duration> {
    (0..n.max(1))
        .map(|_| {
            let t = std::time::Instant::now();
            let bytes = doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            std::hint::black_box(bytes);
            t.elapsed()
        })
        .collect()
}

/// Timings of one series of fresh clients, and the document the first one received.
struct Fresh {
    connect: Vec<Duration>,
    ttfb: Vec<Duration>,
    step2: Vec<Duration>,
    doc_bytes: usize,
    replica: Doc,
    /// Whether the first client's document equals the writer's at that moment.
    first_up_to_date: bool,
}

/// Times `n` fresh clients one after another: connect to first byte (the server's step1), then
/// an empty-state-vector step1 on the open connection to the complete step2. With `edit`, the
/// writer changes the document (and waits until the server has applied it) before each one.
async fn fresh_clients(
    url: &str,
    n: usize,
    mut edit: Option<(&mut wire::Ws, &Doc, &TextRef)>,
) -> Result<Fresh> {
    let mut out = Fresh {
        connect: Vec::new(),
        ttfb: Vec::new(),
        step2: Vec::new(),
        doc_bytes: 0,
        replica: Doc::new(),
        first_up_to_date: false,
    };
    for i in 0..n {
        if let Some((ws, doc, text)) = edit.as_mut() {
            edit_and_confirm(ws, doc, text).await?;
        }
        let t0 = Instant::now();
        let mut ws = wire::connect(url, wire::LARGE_READ_BUFFER).await?;
        out.connect.push(t0.elapsed());
        wire::next_message(&mut ws)
            .await?
            .context("server closed before its first message")?;
        out.ttfb.push(t0.elapsed());
        let t1 = Instant::now();
        let all = wire::fetch_all(&mut ws).await?;
        out.step2.push(t1.elapsed());
        out.doc_bytes = all.len();
        if i == 0 {
            wire::apply(&out.replica, &all)?;
            out.first_up_to_date = match &edit {
                Some((_, doc, _)) => {
                    schema::read_file(&out.replica, FILE) == schema::read_file(doc, FILE)
                }
                None => true,
            };
        }
        let _ = tokio::time::timeout(Duration::from_millis(100), ws.close(None)).await;
    }
    Ok(out)
}

/// Appends one character through the writer, then does a step1/step2 round trip on the same
/// connection: the room handles a connection's messages in order, so the edit is then applied.
async fn edit_and_confirm(ws: &mut wire::Ws, doc: &Doc, text: &TextRef) -> Result<()> {
    let update = {
        let mut txn = doc.transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, ".");
        txn.encode_update_v1()
    };
    wire::send(ws, codec::encode_sync_update(&update)).await?;
    wire::handshake(ws, Some(doc)).await?;
    Ok(())
}
