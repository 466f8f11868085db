//! `bench agent-edit`: the AI peer's edit path against a real server. Part one times each
//! tool-input delta of a streaming `str_replace` (through the agent's edit engine: input
//! scanner, live edit, one step) until the matching update reaches another client. Part two
//! times a person's keystrokes to another client, first idle, then while an edit streams at the
//! agent's full pacing rate in the same room.

use std::sync::Arc;
use std::time::Duration;

use ai_peer::edit::{EditSettings, FieldEvent, InputStream, LiveEdit, TokenBucket, resolve};
use anyhow::{Context, Result, bail};
use protocol::client::{Client, ClientOptions};
use protocol::schema;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;
use yrs::{Doc, Observable, Text, Transact};

use super::stats::{round3, summarize};
use super::target::Target;
use super::{CommonArgs, fresh_room, loadavg_json};

/// Observed arrivals buffered per client (the bench waits on each one, so few pile up).
const ARRIVALS: usize = 4096;
const EDITED: &str = "agent.py";
const TYPED: &str = "human.txt";
const ORIGIN: &str = "ai:1";

#[derive(Debug, clap::Args)]
pub struct AgentEditArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Tool-input deltas timed in part one.
    #[arg(long, default_value_t = 500)]
    pub deltas: usize,
    /// Characters of `new_str` per delta (a model token is 3-4).
    #[arg(long, default_value_t = 4)]
    pub delta_chars: usize,
    /// Pause between deltas (a fast model writes ~100 tokens/s).
    #[arg(long, default_value_t = 10)]
    pub delta_gap_ms: u64,
    /// Keystrokes timed in each phase of part two.
    #[arg(long, default_value_t = 300)]
    pub keystrokes: usize,
    /// Pause between keystrokes.
    #[arg(long, default_value_t = 20)]
    pub keystroke_gap_ms: u64,
    /// The agent's pacing in part two (the default of `[ai.peer]`).
    #[arg(long, default_value_t = 2000)]
    pub chars_per_sec: u32,
    #[arg(long, default_value_t = 48)]
    pub max_chars_per_txn: u32,
}

pub async fn run(args: &AgentEditArgs, target: &Target) -> Result<Value> {
    let room = fresh_room("agent");
    let agent = connect(target, &room).await?;
    let observer = connect(target, &room).await?;
    let person = connect(target, &room).await?;
    {
        let mut txn = agent.doc().transact_mut();
        schema::write_file(&mut txn, EDITED, "def f():\n    return 0\n");
        schema::write_file(&mut txn, TYPED, "");
    }
    wait_for(&observer, |d| schema::read_file(d, TYPED).is_some()).await?;
    wait_for(&person, |d| schema::read_file(d, TYPED).is_some()).await?;
    let edited = arrivals(&observer, EDITED)?;
    let mut typed = arrivals(&observer, TYPED)?;

    let delta_latency = deltas(args, &agent, edited).await?;
    let idle = keystrokes(args, &person, &mut typed, None).await?;
    let busy = {
        let streaming = Arc::new(tokio::sync::Notify::new());
        let stop = tokio_util::sync::CancellationToken::new();
        let writer = tokio::spawn(stream_at_full_speed(
            agent.doc().clone(),
            args.chars_per_sec,
            args.max_chars_per_txn,
            streaming.clone(),
            stop.clone(),
        ));
        streaming.notified().await;
        let out = keystrokes(args, &person, &mut typed, Some(&stop)).await;
        stop.cancel();
        let written = writer.await.context("the streaming task")??;
        (out?, written)
    };
    let (busy, written) = busy;
    let p = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    Ok(json!({
        "scenario": "agent-edit",
        "delta_to_peer_ms": delta_latency,
        "keystroke_idle_ms": idle,
        "keystroke_while_ai_streams_ms": busy,
        "ai_chars_written_during_phase": written,
        "ratio_p50": round3(p(&busy, "p50") / p(&idle, "p50").max(0.001)),
        "ratio_p99": round3(p(&busy, "p99") / p(&idle, "p99").max(0.001)),
        "settings": {
            "deltas": args.deltas, "delta_chars": args.delta_chars, "delta_gap_ms": args.delta_gap_ms,
            "keystrokes": args.keystrokes, "keystroke_gap_ms": args.keystroke_gap_ms,
            "chars_per_sec": args.chars_per_sec, "max_chars_per_txn": args.max_chars_per_txn,
        },
        "loadavg": loadavg_json(),
    }))
}

async fn connect(target: &Target, room: &str) -> Result<Client> {
    let client = Client::connect(target.url(room), Doc::new(), ClientOptions::default());
    tokio::time::timeout(Duration::from_secs(10), client.synced())
        .await
        .context("joining the bench room")?;
    Ok(client)
}

/// A channel receiving the instant of every change to `path` in `client`'s replica.
fn arrivals(client: &Client, path: &str) -> Result<mpsc::Receiver<std::time::Instant>> {
    let files = schema::files(client.doc());
    let text = {
        let txn = client.doc().transact();
        schema::file_text(&txn, &files, path)
    };
    let Some(text) = text else {
        bail!("{path} is not in the observer's replica yet")
    };
    let (tx, rx) = mpsc::channel(ARRIVALS);
    // Keyed subscription: it lives as long as the document, which the bench holds all run.
    text.observe("tandem:bench", move |_, _| {
        let _ = tx.try_send(std::time::Instant::now());
    });
    Ok(rx)
}

async fn wait_for(client: &Client, cond: impl Fn(&Doc) -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond(client.doc()) {
        if Instant::now() > deadline {
            bail!("the bench room did not sync");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Part one: each delta goes through the edit engine; the time until the observer's replica
/// changes is one sample (deltas the lookahead holds back are counted with the delta that
/// releases them).
async fn deltas(
    args: &AgentEditArgs,
    agent: &Client,
    mut edited: mpsc::Receiver<std::time::Instant>,
) -> Result<Value> {
    let doc = agent.doc();
    let text = schema::read_file(doc, EDITED).context("the edited file")?;
    let range = resolve(&text, "return 0", None, &EditSettings::default())
        .map_err(|e| anyhow::anyhow!(e.message(EDITED)))?
        .range;
    let mut live = LiveEdit::begin(doc, EDITED, range, ORIGIN)?;
    let mut input = InputStream::new();
    let _ = input.push("{\"path\": \"agent.py\", \"old_str\": \"return 0\", \"new_str\": \"");
    let mut samples = Vec::new();
    let chunk: String = "abcdefghijklmnopqrstuvwxyz"
        .chars()
        .cycle()
        .take(args.delta_chars.max(1))
        .collect();
    for _ in 0..args.deltas {
        tokio::time::sleep(Duration::from_millis(args.delta_gap_ms)).await;
        while edited.try_recv().is_ok() {}
        let arrived = std::time::Instant::now();
        for event in input.push(&chunk) {
            if let FieldEvent::Chunk { text, .. } = event {
                live.push_new(&text);
            }
        }
        let step = live
            .step(doc, usize::MAX)
            .map_err(|c| anyhow::anyhow!("conflict: {}", c.fresh))?;
        if step.applied == 0 {
            continue;
        }
        let seen = tokio::time::timeout(Duration::from_secs(5), edited.recv())
            .await
            .context("the observer never saw the edit")?
            .context("observer gone")?;
        samples.push(seen.saturating_duration_since(arrived));
    }
    Ok(summarize(&samples))
}

/// Part two: the person types one character at a time into another file; the observer times
/// each one's arrival.
async fn keystrokes(
    args: &AgentEditArgs,
    person: &Client,
    typed: &mut mpsc::Receiver<std::time::Instant>,
    ai_running: Option<&tokio_util::sync::CancellationToken>,
) -> Result<Value> {
    let files = schema::files(person.doc());
    let mut samples = Vec::new();
    for _ in 0..args.keystrokes {
        if ai_running.is_some_and(|t| t.is_cancelled()) {
            bail!("the AI stream ended before the keystrokes did");
        }
        tokio::time::sleep(Duration::from_millis(args.keystroke_gap_ms)).await;
        while typed.try_recv().is_ok() {}
        let sent = std::time::Instant::now();
        {
            let mut txn = person.doc().transact_mut();
            let text = schema::file_text(&txn, &files, TYPED).context("the typed file")?;
            let len = yrs::GetString::get_string(&text, &txn).len() as u32;
            text.insert(&mut txn, len, "k");
        }
        let seen = tokio::time::timeout(Duration::from_secs(5), typed.recv())
            .await
            .context("the observer never saw the keystroke")?
            .context("observer gone")?;
        samples.push(seen.saturating_duration_since(sent));
    }
    Ok(summarize(&samples))
}

/// The agent writing as fast as its pacing allows (one long `new_str`) until `stop`.
async fn stream_at_full_speed(
    doc: Doc,
    chars_per_sec: u32,
    max_per_txn: u32,
    started: Arc<tokio::sync::Notify>,
    stop: tokio_util::sync::CancellationToken,
) -> Result<u64> {
    let text = schema::read_file(&doc, EDITED).context("the edited file")?;
    let end = text.len();
    let mut live = LiveEdit::begin(&doc, EDITED, end..end, "ai:2")?;
    let mut bucket = TokenBucket::new(chars_per_sec, max_per_txn, std::time::Instant::now());
    let line = "    total = total + compute(value, factor) # streamed by the agent\n";
    let mut written = 0u64;
    started.notify_one();
    while !stop.is_cancelled() {
        if live.pending() < 256 {
            live.push_new(&line.repeat(8));
        }
        let now = std::time::Instant::now();
        let want = live.pending().min(max_per_txn as usize);
        let budget = bucket.take(want, now);
        if budget > 0 {
            let step = live
                .step(&doc, budget)
                .map_err(|c| anyhow::anyhow!("conflict: {}", c.fresh))?;
            written += step.applied as u64;
        }
        let wait = bucket.wait(want.max(1), std::time::Instant::now());
        tokio::time::sleep(wait.max(Duration::from_micros(200))).await;
    }
    Ok(written)
}
