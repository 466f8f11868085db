//! One room's actor: owns the document, the member connections and their presence; applies
//! updates, persists them through the storage writer and fans them out, encoded once.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use protocol::codec;
use protocol::{Message, SyncMessage, close};
use tokio::time::Instant;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::presence::Presence;
use super::{Cmd, ConnId, Frames, Outbound, RoomError, RoomHandle, RoomInfo, Rooms};

/// Most commands handled between two persistence/fan-out points.
const MAX_BATCH: usize = 256;
/// Origin of transactions made by the server itself (HTTP API).
const SERVER_ORIGIN: &str = "tandem:server";
/// The v1 encoding of an update that changes nothing.
const EMPTY_UPDATE: &[u8] = &[0, 0];

enum Out {
    To(ConnId, Bytes),
    All {
        frame: Bytes,
        except: Option<ConnId>,
    },
}

pub(super) struct RoomActor {
    name: Arc<str>,
    handle: RoomHandle,
    rx: super::queue::Receiver<Cmd>,
    rooms: Arc<Rooms>,
    doc: Doc,
    conns: Vec<(ConnId, Outbound)>,
    presence: Presence,
    /// Frames produced by the current batch, sent once its updates are handed to storage.
    outbox: Vec<Out>,
    /// Broadcast frames waiting for the fan-out window (see `fanout_window`).
    pending: Vec<(Bytes, Option<ConnId>)>,
    /// Earliest time the next broadcast may go out, and the timer armed for it.
    next_fanout: Instant,
    fanout_at: Option<Instant>,
    /// Updates of the current batch, to persist.
    fresh: Vec<Bytes>,
    /// The step2 frame for a client with an empty state vector, kept until the next change:
    /// fresh clients are the common case, and encoding a large document is the costly part.
    full_state: Option<Bytes>,
    loaded_seq: i64,
    log_updates: u64,
    log_bytes: u64,
}

impl RoomActor {
    pub(super) fn new(
        name: Arc<str>,
        handle: RoomHandle,
        rx: super::queue::Receiver<Cmd>,
        rooms: Arc<Rooms>,
    ) -> Self {
        RoomActor {
            name,
            handle,
            rx,
            rooms,
            doc: Doc::new(),
            conns: Vec::new(),
            presence: Presence::default(),
            outbox: Vec::new(),
            pending: Vec::new(),
            next_fanout: Instant::now(),
            fanout_at: None,
            fresh: Vec::new(),
            full_state: None,
            loaded_seq: 0,
            log_updates: 0,
            log_bytes: 0,
        }
    }

    pub(super) async fn run(mut self) {
        if let Err(e) = self.load().await {
            tracing::error!(room = %self.name, error = %e, "room load failed; refusing connections");
            self.fail(e).await;
            return;
        }
        let shutdown = self.rooms.shutdown.clone();
        loop {
            let idle = self.conns.is_empty();
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    self.close_all(close::GOING_AWAY);
                    self.finish().await;
                    return;
                }
                cmd = self.rx.recv() => match cmd {
                    Some(cmd) => {
                        if !self.batch(cmd).await {
                            return;
                        }
                    }
                    None => return,
                },
                _ = tokio::time::sleep_until(self.fanout_at.unwrap_or_else(Instant::now)), if self.fanout_at.is_some() => {
                    self.fan_out();
                }
                _ = tokio::time::sleep(self.rooms.settings.idle), if idle => {
                    self.evict().await;
                    return;
                }
            }
        }
    }

    async fn load(&mut self) -> Result<(), RoomError> {
        let stored = self
            .rooms
            .store
            .load(&self.name)
            .await
            .map_err(|e| RoomError::LoadFailed(e.to_string()))?;
        let mut txn = self.doc.transact_mut();
        for blob in stored.snapshot.iter().chain(stored.updates.iter()) {
            let update =
                codec::decode_update(blob).map_err(|e| RoomError::LoadFailed(e.to_string()))?;
            txn.apply_update(update)
                .map_err(|e| RoomError::LoadFailed(e.to_string()))?;
        }
        drop(txn);
        self.loaded_seq = stored.last_seq;
        self.log_updates = stored.updates.len() as u64;
        self.log_bytes = stored.log_bytes;
        Ok(())
    }

    /// A room that cannot load answers every waiting join with the error and disappears, without
    /// ever writing to the store.
    async fn fail(mut self, err: RoomError) {
        self.rooms.remove(&self.name, self.handle.id);
        self.rx.close();
        while let Some(cmd) = self.rx.try_recv() {
            if let Cmd::Join { reply, .. } = cmd {
                let _ = reply.send(Err(err.clone()));
            }
        }
    }

    /// Handles `first` and whatever else is already queued, then persists and fans out.
    /// Returns false if the room had to stop.
    async fn batch(&mut self, first: Cmd) -> bool {
        let mut next = Some(first);
        let mut handled = 0;
        let mut delete = None;
        while let Some(cmd) = next.take() {
            if let Cmd::Delete(reply) = cmd {
                delete = Some(reply);
                break;
            }
            if !self.handle(cmd) {
                self.poisoned().await;
                return false;
            }
            handled += 1;
            if handled < MAX_BATCH {
                next = self.rx.try_recv();
            }
        }
        self.persist_batch().await;
        if let Some(reply) = delete {
            // Boxed: a rare path, and inline its state would enlarge every room's actor.
            Box::pin(self.delete(reply)).await;
            return false;
        }
        self.send_outbox();
        self.maybe_compact().await;
        true
    }

    /// Closes every member, then deletes the stored room after everything already sent to the
    /// storage writer, and unregisters; commands that raced with it go to a fresh (empty) room.
    async fn delete(&mut self, reply: tokio::sync::oneshot::Sender<Result<(), RoomError>>) {
        self.close_all(close::ROOM_DELETED);
        self.outbox.clear();
        self.pending.clear();
        let result = match self.rooms.persister.delete(self.name.clone()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(RoomError::Storage(e)),
            Err(_) => Err(RoomError::ShuttingDown),
        };
        if let Err(e) = &result {
            tracing::error!(room = %self.name, error = %e, "room delete failed");
        }
        self.rooms.remove(&self.name, self.handle.id);
        self.rx.close();
        let _ = reply.send(result);
        let mut leftovers = Vec::new();
        while let Some(cmd) = self.rx.try_recv() {
            leftovers.push(cmd);
        }
        self.forward(leftovers).await;
    }

    /// Applies one command. Returns false if the document may be corrupt (yrs panicked).
    fn handle(&mut self, cmd: Cmd) -> bool {
        match cmd {
            Cmd::Join { conn, out, reply } => {
                let sv = self.doc.transact().state_vector();
                let mut hello = vec![Bytes::from(codec::encode_sync_step1(&sv))];
                hello.extend(self.presence.full_message().map(Bytes::from));
                self.conns.push((conn, out));
                self.count_connections();
                for frame in hello {
                    self.outbox.push(Out::To(conn, frame));
                }
                let _ = reply.send(Ok(self.handle.clone()));
            }
            Cmd::Leave { conn } => self.drop_conn(conn),
            Cmd::Message { conn, msg } => {
                if self.conns.iter().any(|(c, _)| *c == conn) {
                    return self.on_message(conn, msg);
                }
            }
            Cmd::Read(f) => f(&self.doc),
            Cmd::Edit(f) => {
                let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    let mut txn = self.doc.transact_mut_with(SERVER_ORIGIN);
                    f(&mut txn);
                    txn.encode_update_v1()
                }));
                match result {
                    Ok(update) => self.accept_update(None, Bytes::from(update)),
                    Err(_) => return false,
                }
            }
            // `batch` intercepts deletes before they get here.
            Cmd::Delete(reply) => {
                let _ = reply.send(Err(RoomError::Storage("delete not handled".into())));
            }
            Cmd::Info(reply) => {
                let _ = reply.send(RoomInfo {
                    connections: self.conns.len(),
                    present: self.presence.len(),
                    log_updates: self.log_updates,
                    log_bytes: self.log_bytes,
                });
            }
        }
        true
    }

    fn on_message(&mut self, conn: ConnId, msg: Message) -> bool {
        match msg {
            Message::Sync(SyncMessage::Step1(sv)) => {
                let frame = if sv.is_empty() {
                    self.full_state_frame()
                } else {
                    let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                    codec::encode_sync_step2(&diff).into()
                };
                self.outbox.push(Out::To(conn, frame));
            }
            Message::Sync(SyncMessage::Step2(update) | SyncMessage::Update(update)) => {
                let decoded = match codec::decode_update(&update) {
                    Ok(u) => u,
                    Err(e) => {
                        tracing::info!(room = %self.name, conn, error = %e, "invalid update; closing 4400");
                        self.kick(conn, close::MALFORMED);
                        return true;
                    }
                };
                self.full_state = None;
                let applied = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    self.doc.transact_mut().apply_update(decoded)
                }));
                match applied {
                    Ok(Ok(())) => self.accept_update(Some(conn), update),
                    Ok(Err(e)) => {
                        tracing::info!(room = %self.name, conn, error = %e, "update refused; closing 4400");
                        self.kick(conn, close::MALFORMED);
                    }
                    Err(_) => return false,
                }
            }
            Message::Awareness(payload) => {
                if let Ok(entries) = codec::awareness_entries(&payload) {
                    self.presence.apply(conn, &entries);
                }
                self.outbox.push(Out::All {
                    frame: codec::encode_awareness(&payload).into(),
                    except: Some(conn),
                });
            }
            Message::QueryAwareness => {
                if let Some(msg) = self.presence.full_message() {
                    self.outbox.push(Out::To(conn, msg.into()));
                }
            }
            Message::Auth(_) | Message::Unknown { .. } => {}
        }
        true
    }

    fn full_state_frame(&mut self) -> Bytes {
        if let Some(frame) = &self.full_state {
            return frame.clone();
        }
        let state = self
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let frame = Bytes::from(codec::encode_sync_step2(&state));
        self.full_state = Some(frame.clone());
        frame
    }

    /// Records an applied update for storage and for every other member.
    fn accept_update(&mut self, from: Option<ConnId>, update: Bytes) {
        if update.as_ref() == EMPTY_UPDATE {
            return;
        }
        self.full_state = None;
        self.log_updates += 1;
        self.log_bytes += update.len() as u64;
        self.outbox.push(Out::All {
            frame: codec::encode_sync_update(&update).into(),
            except: from,
        });
        self.fresh.push(update);
    }

    /// Hands the batch's updates to storage; in strict mode waits until they are committed, so no
    /// client can receive an update that a crash would lose.
    async fn persist_batch(&mut self) {
        if self.fresh.is_empty() {
            return;
        }
        let persister = &self.rooms.persister;
        for update in self.fresh.drain(..) {
            if persister.append(self.name.clone(), update).await.is_err() {
                tracing::error!(room = %self.name, "storage writer gone; update not persisted");
            }
        }
        if self.rooms.settings.strict && persister.flush().await.is_err() {
            tracing::error!(room = %self.name, "storage writer gone during strict flush");
        }
    }

    /// Sends the batch's frames: direct replies at once, broadcasts through the fan-out window.
    fn send_outbox(&mut self) {
        let mut slow = Vec::new();
        for out in std::mem::take(&mut self.outbox) {
            match out {
                Out::To(conn, frame) => {
                    if let Some((_, o)) = self.conns.iter().find(|(c, _)| *c == conn)
                        && o.frames.try_send(Frames::from([frame])).is_err()
                    {
                        slow.push(conn);
                    }
                }
                Out::All { frame, except } => self.pending.push((frame, except)),
            }
        }
        self.kick_all(slow, close::SLOW_CONSUMER);
        if self.pending.is_empty() || self.fanout_at.is_some() {
            return;
        }
        if Instant::now() >= self.next_fanout {
            self.fan_out();
        } else {
            self.fanout_at = Some(self.next_fanout);
        }
    }

    /// How long broadcasts may gather before going out. A delivery costs each member a wake-up
    /// and a write, so big rooms batch what arrives within a few milliseconds into one write per
    /// member; small rooms (window of microseconds) send at once.
    fn fanout_window(&self) -> std::time::Duration {
        let s = &self.rooms.settings;
        (s.fanout_window_per_member * self.conns.len() as u32).min(s.fanout_window_max)
    }

    /// Sends every pending broadcast to every member in one queue item (one flush) each. Frames
    /// are encoded once and shared; a member whose queue is full is closed (4408) and resyncs on
    /// reconnect — never skipped.
    fn fan_out(&mut self) {
        self.fanout_at = None;
        let frames = std::mem::take(&mut self.pending);
        if frames.is_empty() {
            return;
        }
        let shared: Frames = frames.iter().map(|(f, _)| f.clone()).collect();
        let origins: Vec<ConnId> = frames.iter().filter_map(|(_, e)| *e).collect();
        let mut slow = Vec::new();
        for (conn, o) in &self.conns {
            let batch = if origins.contains(conn) {
                // Members do not get their own updates back.
                let own: Frames = frames
                    .iter()
                    .filter(|(_, e)| *e != Some(*conn))
                    .map(|(f, _)| f.clone())
                    .collect();
                if own.is_empty() {
                    continue;
                }
                own
            } else {
                shared.clone()
            };
            if o.frames.try_send(batch).is_err() {
                slow.push(*conn);
            }
        }
        self.kick_all(slow, close::SLOW_CONSUMER);
        self.next_fanout = Instant::now() + self.fanout_window();
        // Presence removals of kicked members go out with the next window.
        for out in std::mem::take(&mut self.outbox) {
            if let Out::All { frame, except } = out {
                self.pending.push((frame, except));
            }
        }
        if !self.pending.is_empty() {
            self.fanout_at = Some(self.next_fanout);
        }
    }

    fn kick_all(&mut self, mut conns: Vec<ConnId>, code: u16) {
        conns.sort_unstable();
        conns.dedup();
        for conn in conns {
            self.kick(conn, code);
        }
    }

    /// Closes a member with `code` and removes it (its presence removal is queued for the rest).
    fn kick(&mut self, conn: ConnId, code: u16) {
        if let Some((_, o)) = self.conns.iter().find(|(c, _)| *c == conn) {
            // A closed queue means the connection is already gone and its Leave is on the way.
            if !o.frames.is_closed() {
                tracing::info!(room = %self.name, conn, code, "closing connection");
            }
            o.kick.kick(code);
        }
        self.drop_conn(conn);
    }

    fn drop_conn(&mut self, conn: ConnId) {
        let before = self.conns.len();
        self.conns.retain(|(c, _)| *c != conn);
        self.count_connections();
        if self.conns.is_empty() {
            // Nobody left to join cheaply for: do not hold a copy of the whole document.
            self.full_state = None;
        }
        if self.conns.len() != before
            && let Some(msg) = self.presence.remove_conn(conn)
        {
            self.outbox.push(Out::All {
                frame: msg.into(),
                except: None,
            });
        }
    }

    fn close_all(&mut self, code: u16) {
        for (_, o) in self.conns.drain(..) {
            o.kick.kick(code);
        }
        self.count_connections();
    }

    /// Publishes the member count for the live-rooms feed, and marks the change.
    fn count_connections(&self) {
        let n = self.conns.len();
        if self.handle.connections.swap(n, Ordering::Relaxed) != n {
            self.rooms.bump();
        }
    }

    async fn maybe_compact(&mut self) {
        let s = &self.rooms.settings;
        if self.log_updates >= s.compact_after_updates || self.log_bytes >= s.compact_after_bytes {
            self.compact().await;
        }
    }

    /// Replaces the log by one snapshot of the whole document (ordered after every append sent).
    async fn compact(&mut self) {
        let snapshot = self
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let retention = self.rooms.settings.retention.clone();
        let sent = self
            .rooms
            .persister
            .compact(self.name.clone(), snapshot, self.loaded_seq, retention)
            .await;
        if sent.is_ok() {
            self.log_updates = 0;
            self.log_bytes = 0;
        }
    }

    /// Final compaction and flush; used on shutdown and eviction.
    async fn finish(&mut self) {
        if self.log_updates > 1 {
            self.compact().await;
        }
        if self.rooms.persister.flush().await.is_err() {
            tracing::error!(room = %self.name, "storage writer gone before final flush");
        }
        let _ = self.rooms.persister.forget(self.name.clone()).await;
    }

    /// Unloads an idle room. Commands that raced with the eviction are handed to a fresh actor,
    /// which loads only after this one's final flush, so nothing is lost or applied twice.
    async fn evict(mut self) {
        self.finish().await;
        self.rooms.remove(&self.name, self.handle.id);
        self.rx.close();
        let mut leftovers = Vec::new();
        while let Some(cmd) = self.rx.try_recv() {
            leftovers.push(cmd);
        }
        tracing::debug!(room = %self.name, forwarded = leftovers.len(), "room unloaded");
        self.forward(leftovers).await;
    }

    /// Hands commands that arrived after this actor stopped to its successor.
    async fn forward(&self, leftovers: Vec<Cmd>) {
        for cmd in leftovers {
            if matches!(
                cmd,
                Cmd::Join { .. } | Cmd::Read(_) | Cmd::Edit(_) | Cmd::Info(_) | Cmd::Delete(_)
            ) {
                let _ = self.rooms.send(&self.name, cmd).await;
            }
        }
    }

    /// yrs panicked while applying: the in-memory document cannot be trusted. Everyone is told to
    /// come back later and the room reloads from storage, which only ever received valid updates.
    async fn poisoned(&mut self) {
        tracing::error!(room = %self.name, "document panicked while applying an update; reloading room");
        self.close_all(close::TRY_AGAIN_LATER);
        self.outbox.clear();
        self.persist_batch().await;
        self.rooms.remove(&self.name, self.handle.id);
    }
}
