//! Runs: a room's code sent to the runner, with its progress and output streamed into the room
//! document (`runs`), where every connected client sees it. Each run is one task that owns the
//! runner's event stream; the HTTP API starts and cancels them.

mod doc;
mod drive;
mod entry;
mod status;
mod utf8;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use rand::Rng;
use runner::proto;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::room::{RoomError, Rooms};
use crate::store::now_ms;

/// A gRPC client of the runner (in-process or remote: the same type).
pub type RunnerClient = proto::runner_client::RunnerClient<tonic::transport::Channel>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RunError {
    #[error("this server has no runner")]
    NoRunner,
    #[error("server shutting down")]
    ShuttingDown,
    /// No entry file was given and none could be picked, or it is not a file of the room.
    #[error("{0}")]
    Entry(String),
    #[error("invalid entry path")]
    BadPath,
    #[error("run {0} not found")]
    NotFound(String),
    /// The run exists in the document but is not running on this server (it has finished).
    #[error("run {0} is not running")]
    NotRunning(String),
    #[error(transparent)]
    Room(#[from] RoomError),
}

/// What to run, from an HTTP request.
pub struct RunSpec {
    pub room: String,
    /// The entry file; `None` picks one (see `entry::pick`).
    pub entry: Option<String>,
    /// A runner language name or `auto`; `None` takes `meta.language`, else `auto`.
    pub language: Option<String>,
    pub stdin: Vec<u8>,
    pub limits: proto::Limits,
    /// The token's actor.
    pub requested_by: String,
}

/// A run that was accepted: its entry is in the document, its task started.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Accepted {
    pub id: String,
    pub entry: String,
    pub language: String,
    pub status: &'static str,
}

/// A run this server is driving.
struct Live {
    room: Arc<str>,
    cancel: CancellationToken,
}

/// Every run of this server.
pub struct Runs {
    /// `None` when the server has no runner (a `Config` built with `RunnerSetup::Off`).
    client: Option<RunnerClient>,
    rooms: Arc<Rooms>,
    live: Mutex<HashMap<Arc<str>, Live>>,
    /// Owns every run's task. Separate from the connections' tracker because the server waits for
    /// runs to record their end while rooms can still take edits (see `server::run`).
    tasks: TaskTracker,
    /// The server's shutdown: runs stop and record `killed` (`server shutting down`).
    shutdown: CancellationToken,
}

impl Runs {
    pub fn new(
        client: Option<RunnerClient>,
        rooms: Arc<Rooms>,
        shutdown: CancellationToken,
    ) -> Arc<Runs> {
        Arc::new(Runs {
            client,
            rooms,
            live: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            shutdown,
        })
    }

    /// Snapshots the room's files, appends the run's entry (status `queued`) in the same
    /// transaction, and starts its task. Returns without waiting for the runner.
    pub async fn start(self: &Arc<Self>, spec: RunSpec) -> Result<Accepted, RunError> {
        if self.client.is_none() {
            return Err(RunError::NoRunner);
        }
        if self.shutdown.is_cancelled() {
            return Err(RunError::ShuttingDown);
        }
        let id: Arc<str> = new_run_id().into();
        let RunSpec {
            room,
            entry,
            language,
            stdin,
            limits,
            requested_by,
        } = spec;
        let run_id = id.clone();
        let prepared = self
            .rooms
            .edit(&room, move |txn| {
                let snap = doc::snapshot(txn);
                let entry = entry::pick(entry.as_deref(), snap.meta_entry.as_deref(), &snap.files)?;
                let language = language
                    .or(snap.meta_language)
                    .unwrap_or_else(|| "auto".into());
                let state_vector =
                    base64::engine::general_purpose::STANDARD.encode(&snap.state_vector);
                doc::insert(
                    txn,
                    &doc::NewRun {
                        id: &run_id,
                        lang: &language,
                        entry: &entry,
                        requested_by: &requested_by,
                        state_vector: &state_vector,
                        ts_ms: now_ms(),
                    },
                );
                Ok::<_, RunError>((snap.files, entry, language))
            })
            .await??;
        let (files, entry, language) = prepared;
        let request = proto::RunRequest {
            run_id: id.to_string(),
            files: files
                .into_iter()
                .map(|(path, text)| proto::File {
                    path,
                    contents: text.into_bytes().into(),
                })
                .collect(),
            entry: entry.clone(),
            language: language.clone(),
            stdin: stdin.into(),
            limits: Some(limits),
            room: room.clone(),
        };
        let room: Arc<str> = room.into();
        let cancel = CancellationToken::new();
        self.live.lock().expect("runs").insert(
            id.clone(),
            Live {
                room: room.clone(),
                cancel: cancel.clone(),
            },
        );
        let drive = drive::Drive {
            runs: self.clone(),
            room,
            id: id.clone(),
            request,
            cancel,
        };
        self.tasks.spawn(drive.run());
        Ok(Accepted {
            id: id.to_string(),
            entry,
            language,
            status: "queued",
        })
    }

    /// Asks the run `id` of `room` to stop; its entry ends `killed` (reason `cancelled`) unless it
    /// finishes first.
    pub async fn cancel(self: &Arc<Self>, room: &str, id: &str) -> Result<(), RunError> {
        if let Some(live) = self.live.lock().expect("runs").get(id)
            && &*live.room == room
        {
            live.cancel.cancel();
            return Ok(());
        }
        // Not running here: tell a finished run from none at all.
        let wanted = id.to_owned();
        let known = self
            .rooms
            .read(room, move |d| doc::exists(d, &wanted))
            .await?;
        Err(if known {
            RunError::NotRunning(id.to_owned())
        } else {
            RunError::NotFound(id.to_owned())
        })
    }

    fn forget(&self, id: &str) {
        self.live.lock().expect("runs").remove(id);
    }

    /// Runs in progress.
    pub fn running(&self) -> usize {
        self.live.lock().expect("runs").len()
    }

    /// After the shutdown token fired: waits (at most `within`) for every run to record its end.
    pub async fn drain(&self, within: Duration) {
        self.tasks.close();
        if tokio::time::timeout(within, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                runs = self.running(),
                "runs did not record their end in time; their entries stay unfinished"
            );
        }
    }

    /// Waits for every run task to end.
    pub async fn stopped(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// A fresh run id: 64 random bits, so ids do not collide between servers sharing a runner.
fn new_run_id() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}
