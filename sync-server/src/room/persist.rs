//! The storage writer: one task that group-commits every room's updates off the broadcast path and
//! runs compactions in order with them, so a snapshot always covers exactly what precedes it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::store::{Append, Retention, Store};

/// Most updates written in one transaction.
const MAX_BATCH: usize = 4096;
/// First and last wait between retries of a failed commit.
const RETRY_MIN: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(2);

enum Cmd {
    Append(Append),
    /// Commit everything queued so far, then answer.
    Flush(oneshot::Sender<()>),
    Compact {
        room: Arc<str>,
        snapshot: Vec<u8>,
        loaded_seq: i64,
        retention: Retention,
    },
    /// The room was unloaded: drop its bookkeeping.
    Forget(Arc<str>),
    /// Commit everything queued so far, then delete the room's stored data.
    Delete {
        room: Arc<str>,
        reply: oneshot::Sender<Result<(), String>>,
    },
}

/// Handle to the storage writer. Sending waits when its queue (capacity `persist_queue`) is full,
/// which slows the rooms feeding it rather than dropping anything.
#[derive(Clone)]
pub struct Persister {
    tx: mpsc::Sender<Cmd>,
}

#[derive(Debug, thiserror::Error)]
#[error("storage writer stopped")]
pub struct PersisterGone;

impl Persister {
    /// Starts the writer; it ends once every `Persister` clone is dropped and its queue is drained.
    pub fn spawn(
        store: Arc<dyn Store>,
        capacity: usize,
        commit_interval: Duration,
        tracker: &tokio_util::task::TaskTracker,
    ) -> Persister {
        let (tx, rx) = mpsc::channel(capacity);
        let writer = Writer {
            store,
            rx,
            commit_interval,
            pending: Vec::new(),
            last_seq: HashMap::new(),
        };
        tracker.spawn(writer.run());
        Persister { tx }
    }

    pub async fn append(&self, room: Arc<str>, update: Bytes) -> Result<(), PersisterGone> {
        self.send(Cmd::Append(Append { room, update })).await
    }

    /// Resolves once everything sent before it is committed.
    pub async fn flush(&self) -> Result<(), PersisterGone> {
        let (tx, rx) = oneshot::channel();
        self.send(Cmd::Flush(tx)).await?;
        rx.await.map_err(|_| PersisterGone)
    }

    /// Replaces the room's log by `snapshot`, which must cover every update sent before this call.
    pub async fn compact(
        &self,
        room: Arc<str>,
        snapshot: Vec<u8>,
        loaded_seq: i64,
        retention: Retention,
    ) -> Result<(), PersisterGone> {
        self.send(Cmd::Compact {
            room,
            snapshot,
            loaded_seq,
            retention,
        })
        .await
    }

    /// Deletes the room's stored data after every update sent before this call is committed (so
    /// none of them lands after the delete). The inner error is the store's, for logs.
    pub async fn delete(&self, room: Arc<str>) -> Result<Result<(), String>, PersisterGone> {
        let (reply, rx) = oneshot::channel();
        self.send(Cmd::Delete { room, reply }).await?;
        rx.await.map_err(|_| PersisterGone)
    }

    pub async fn forget(&self, room: Arc<str>) -> Result<(), PersisterGone> {
        self.send(Cmd::Forget(room)).await
    }

    async fn send(&self, cmd: Cmd) -> Result<(), PersisterGone> {
        self.tx.send(cmd).await.map_err(|_| PersisterGone)
    }
}

struct Writer {
    store: Arc<dyn Store>,
    rx: mpsc::Receiver<Cmd>,
    commit_interval: Duration,
    pending: Vec<Append>,
    /// Highest seq written per loaded room, so a compaction knows what its snapshot covers.
    last_seq: HashMap<Arc<str>, i64>,
}

impl Writer {
    async fn run(mut self) {
        let mut deadline: Option<Instant> = None;
        loop {
            let cmd = match deadline {
                Some(at) => tokio::select! {
                    cmd = self.rx.recv() => cmd,
                    _ = tokio::time::sleep_until(at) => {
                        self.commit().await;
                        deadline = None;
                        continue;
                    }
                },
                None => self.rx.recv().await,
            };
            let Some(cmd) = cmd else { break };
            match cmd {
                Cmd::Append(a) => {
                    self.pending.push(a);
                    if self.pending.len() >= MAX_BATCH {
                        self.commit().await;
                        deadline = None;
                    } else if deadline.is_none() {
                        deadline = Some(Instant::now() + self.commit_interval);
                    }
                }
                Cmd::Flush(ack) => {
                    self.commit().await;
                    deadline = None;
                    let _ = ack.send(());
                }
                Cmd::Compact {
                    room,
                    snapshot,
                    loaded_seq,
                    retention,
                } => {
                    self.commit().await;
                    deadline = None;
                    let upto = self
                        .last_seq
                        .get(&room)
                        .copied()
                        .unwrap_or(0)
                        .max(loaded_seq);
                    if let Err(e) = self.store.compact(&room, &snapshot, upto, &retention).await {
                        // The log is intact; compaction will be tried again later.
                        tracing::warn!(room = %room, error = %e, "compaction failed");
                    }
                }
                Cmd::Forget(room) => {
                    self.last_seq.remove(&room);
                }
                Cmd::Delete { room, reply } => {
                    self.commit().await;
                    deadline = None;
                    self.last_seq.remove(&room);
                    let result = self.store.delete_room(&room).await;
                    let _ = reply.send(result.map_err(|e| e.to_string()));
                }
            }
        }
        self.commit().await;
        self.store.close().await;
    }

    /// Writes the pending batch, retrying until it lands: an update is never dropped.
    async fn commit(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut wait = RETRY_MIN;
        loop {
            match self.store.append(&self.pending).await {
                Ok(seqs) => {
                    for (room, seq) in seqs {
                        self.last_seq.insert(room, seq);
                    }
                    self.pending.clear();
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, updates = self.pending.len(), "commit failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_MAX);
                }
            }
        }
    }
}
