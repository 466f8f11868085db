//! The bridge's loop: JSON lines from the editor on one side, the joined room on the other, and
//! a writer task that owns the editor's stdout. `run` is what `tandem-bridge` and `tandem bridge`
//! call; tests call it too, over pipes.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::joined::{Internal, Joined, check_access};
use crate::lines::{Lines, TooLong};
use crate::link::{self, Target};
use crate::wire::{self, Event, Request, code};
use crate::{BridgeError, Config, Units};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long `open` waits for a room that has never synced.
const FIRST_SYNC: Duration = Duration::from_secs(10);

/// Internal messages (HTTP answers) waiting for the loop.
const INTERNAL_QUEUE: usize = 64;

/// Serves one editor until its stdin ends, it says `leave` and closes, or `shutdown` fires.
/// Returns `UnsupportedProtocol` when the handshake fails (the binary exits 2 then).
pub async fn run<R, W>(
    config: Config,
    input: R,
    output: W,
    shutdown: CancellationToken,
) -> Result<(), BridgeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, rx) = mpsc::channel::<Event>(config.out_queue.max(1));
    let writer = tokio::spawn(write_lines(rx, output));
    let (internal_tx, mut internal_rx) = mpsc::channel(INTERNAL_QUEUE);
    let mut lines = Lines::new(BufReader::new(input), config.max_line_bytes);
    let mut bridge = Bridge {
        config,
        out,
        internal: internal_tx,
        units: None,
        room: None,
    };
    let mut ticker = tokio::time::interval(bridge.config.cursor_period());
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let result = loop {
        let changed = bridge.room.as_ref().map(|r| r.changed.clone());
        tokio::select! {
            _ = shutdown.cancelled() => break Ok(()),
            line = lines.next() => match line {
                Ok(None) => break Ok(()),
                Ok(Some(Ok(line))) => match bridge.request(&line).await {
                    Ok(()) => {}
                    Err(e) => break Err(e),
                },
                Ok(Some(Err(TooLong))) => {
                    bridge.error(None, code::BAD_MESSAGE, "line too long (max_line_bytes)".into()).await;
                }
                Err(e) => break Err(e.into()),
            },
            _ = async { changed.expect("guarded").notified().await }, if changed.is_some() => {
                let events = bridge.room.as_mut().map(Joined::on_change).unwrap_or_default();
                bridge.emit_all(events).await;
            }
            _ = ticker.tick() => bridge.tick().await,
            Some(msg) = internal_rx.recv() => bridge.internal(msg).await,
        }
    };
    if let Some(room) = bridge.room.take() {
        room.leave().await;
    }
    drop(bridge);
    let _ = writer.await;
    result
}

struct Bridge {
    config: Config,
    out: mpsc::Sender<Event>,
    internal: mpsc::Sender<Internal>,
    /// Set by the handshake; nothing else is accepted before it.
    units: Option<Units>,
    room: Option<Joined>,
}

impl Bridge {
    async fn emit(&self, event: Event) {
        // Waits while the editor is not reading: nothing is ever dropped.
        let _ = self.out.send(event).await;
    }

    async fn emit_all(&self, events: Vec<Event>) {
        for e in events {
            self.emit(e).await;
        }
    }

    async fn error(&self, re: Option<Value>, code: &'static str, message: String) {
        self.emit(Event::Error { re, code, message }).await;
    }

    async fn tick(&mut self) {
        let events = match self.room.as_mut() {
            Some(room) => room.tick(&self.config, &self.internal),
            None => return,
        };
        self.emit_all(events).await;
    }

    async fn internal(&mut self, msg: Internal) {
        match msg {
            Internal::Emit(e) => self.emit(e).await,
            Internal::Refused(status) => {
                let events = match self.room.as_mut() {
                    Some(room) => room.close(Some(format!("the link was refused ({status})"))),
                    None => Vec::new(),
                };
                self.emit_all(events).await;
            }
        }
    }

    async fn request(&mut self, line: &str) -> Result<(), BridgeError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let req: Request = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(e) => {
                let re = serde_json::from_str::<Value>(line)
                    .ok()
                    .and_then(|v| v.get("id").cloned());
                self.error(re, code::BAD_MESSAGE, e.to_string()).await;
                return Ok(());
            }
        };
        let Some(units) = self.units else {
            return self.hello(req).await;
        };
        match req {
            Request::Hello { .. } => {
                self.error(None, code::BAD_MESSAGE, "hello was already said".into())
                    .await
            }
            Request::Join {
                id,
                link,
                url,
                room,
                token,
                name,
            } => self.join(units, id, link, url, room, token, name).await,
            Request::Leave { id } => {
                if let Some(room) = self.room.take() {
                    room.leave().await;
                }
                self.emit(Event::Left { re: id }).await;
            }
            other => self.in_room(other).await,
        }
        Ok(())
    }

    async fn hello(&mut self, req: Request) -> Result<(), BridgeError> {
        let Request::Hello {
            protocol,
            offsets,
            client,
            editor,
        } = req
        else {
            self.error(None, code::BAD_MESSAGE, "say hello first".into())
                .await;
            return Ok(());
        };
        if !wire::PROTOCOLS.contains(&protocol) {
            let e = BridgeError::UnsupportedProtocol(protocol);
            self.error(None, e.code(), e.to_string()).await;
            return Err(e);
        }
        let name = offsets.as_deref().unwrap_or("utf-8");
        let Some(units) = Units::parse(name) else {
            self.error(
                None,
                code::BAD_MESSAGE,
                format!("offsets must be utf-8, utf-16 or utf-32, not {name}"),
            )
            .await;
            return Ok(());
        };
        tracing::info!(?client, ?editor, offsets = name, "editor said hello");
        self.units = Some(units);
        self.emit(Event::Welcome {
            protocol,
            bridge: VERSION,
            offsets: match units {
                Units::Utf8 => "utf-8",
                Units::Utf16 => "utf-16",
                Units::Utf32 => "utf-32",
            },
        })
        .await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn join(
        &mut self,
        units: Units,
        id: Option<Value>,
        link: Option<String>,
        url: Option<String>,
        room: Option<String>,
        token: Option<String>,
        name: Option<String>,
    ) {
        let target: Result<Target, BridgeError> = match (link, url) {
            (Some(l), _) => link::parse_link(&l),
            (None, Some(u)) => link::parse_parts(
                &u,
                room.as_deref().unwrap_or(""),
                token.as_deref().unwrap_or(""),
            ),
            (None, None) => Err(BridgeError::BadLink(
                "give `link`, or `url`, `room` and `token`".into(),
            )),
        };
        let target = match target {
            Ok(t) => t,
            Err(e) => return self.error(id, e.code(), e.to_string()).await,
        };
        // A refused link is said at once; an unreachable server is retried like a lost one.
        if let Err(e @ BridgeError::Auth(_)) = check_access(&reqwest::Client::new(), &target).await
        {
            return self.error(id, e.code(), e.to_string()).await;
        }
        if let Some(old) = self.room.take() {
            old.leave().await;
        }
        let name = name
            .or_else(|| target.name())
            .or_else(|| self.config.name.clone())
            .unwrap_or_else(|| "editor".into());
        let joined = Joined::start(target, name, units);
        self.emit(Event::Joined {
            re: id,
            room: joined.target.room.clone(),
            read_only: joined.target.read_only(),
        })
        .await;
        self.room = Some(joined);
        self.tick().await;
    }

    async fn in_room(&mut self, req: Request) {
        let Some(room) = self.room.as_mut().filter(|r| !r.is_closed()) else {
            return self
                .error(
                    request_id(&req),
                    code::NOT_JOINED,
                    "join a room first".into(),
                )
                .await;
        };
        let events: Vec<Event> = match req {
            Request::Open { id, path, create } => {
                // The replica may not hold the file yet: wait (bounded) for the first sync.
                let _ = tokio::time::timeout(FIRST_SYNC, room.first_sync()).await;
                match room.session().open(&path, create) {
                    Ok(text) => vec![Event::Opened {
                        re: id,
                        path,
                        text,
                        tick: 0,
                    }],
                    Err((code, message)) => vec![Event::Error {
                        re: id,
                        code,
                        message,
                    }],
                }
            }
            Request::Close { path } => {
                room.session().close(&path);
                Vec::new()
            }
            Request::Edit {
                path,
                tick,
                changes,
            } => room.session().edit(&path, tick, &changes),
            Request::Applied { path, base, tick } => room.session().applied(&path, base, tick),
            Request::Cursor { path, anchor, head } => {
                room.set_cursor(&path, anchor, head);
                Vec::new()
            }
            Request::Follow { name } => {
                room.follow(name);
                Vec::new()
            }
            Request::Chat { id, text } => {
                let message = room.post(&text);
                vec![Event::Sent { re: id, message }]
            }
            Request::Ask { id, prompt } => {
                let prompt = prompt.trim();
                let text = if protocol::chat::mentions(prompt, "claude") {
                    prompt.to_owned()
                } else {
                    format!("@claude {prompt}")
                };
                let message = room.post(&text);
                vec![Event::Asked { re: id, message }]
            }
            Request::Run { id, entry } => {
                room.spawn_run(id, entry, self.internal.clone());
                Vec::new()
            }
            Request::Hello { .. } | Request::Join { .. } | Request::Leave { .. } => Vec::new(),
        };
        self.emit_all(events).await;
    }
}

fn request_id(req: &Request) -> Option<Value> {
    match req {
        Request::Join { id, .. }
        | Request::Leave { id }
        | Request::Open { id, .. }
        | Request::Chat { id, .. }
        | Request::Ask { id, .. }
        | Request::Run { id, .. } => id.clone(),
        _ => None,
    }
}

/// Owns stdout: one JSON object per line, flushed whenever the queue runs dry.
async fn write_lines<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Event>, mut output: W) {
    while let Some(event) = rx.recv().await {
        let mut buf = Vec::new();
        let mut next = Some(event);
        while let Some(e) = next {
            match serde_json::to_vec(&e) {
                Ok(mut line) => {
                    line.push(b'\n');
                    buf.extend_from_slice(&line);
                }
                Err(err) => tracing::error!(error = %err, "an event that does not serialize"),
            }
            next = rx.try_recv().ok();
        }
        if output.write_all(&buf).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}
