//! The sans-IO `Peer`: one replica of a room document speaking the y-websocket protocol.
//!
//! Bytes in, replies out. A driver (see `client`) owns the socket; the peer owns the document and
//! awareness, answers the handshake, applies remote messages and collects local edits to send.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use yrs::sync::Awareness;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::updates::encoder::Encode;
use yrs::{Doc, Origin, ReadTxn, StateVector, Transact};

use crate::ProtocolError;
use crate::codec::{self, AuthMessage, Message, SyncMessage};

/// Transactions applied from the network carry this origin so they are not echoed back.
pub const REMOTE_ORIGIN: &str = "tandem:remote";

/// Local updates waiting to be sent are merged into one once this many pile up, so the queue stays
/// bounded while disconnected or slow without ever dropping an edit.
pub const LOCAL_QUEUE_MERGE_AT: usize = 64;

type Wake = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Outbox {
    updates: Vec<Vec<u8>>,
    wake: Option<Wake>,
}

/// What a received message changed, for drivers and UIs that react to it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Received {
    /// Messages to send back, in order.
    pub replies: Vec<Vec<u8>>,
    /// The first step2 arrived: the peer now holds everything the server had.
    pub became_synced: bool,
    /// Awareness states changed.
    pub awareness_changed: bool,
    /// The server refused our writes (y-protocols auth, permission denied).
    pub permission_denied: Option<String>,
}

/// A replica of one room document plus its awareness.
pub struct Peer {
    awareness: Awareness,
    outbox: Arc<Mutex<Outbox>>,
    synced: bool,
}

impl Peer {
    /// Wraps `doc`; every local transaction on it from now on is queued for sending.
    pub fn new(doc: Doc) -> Peer {
        let outbox: Arc<Mutex<Outbox>> = Arc::default();
        let sink = outbox.clone();
        let remote = Origin::from(REMOTE_ORIGIN);
        // The doc was just created or handed to us; no transaction can be open on it here.
        let _ = doc.observe_update_v1("tandem:peer", move |txn, e| {
            if txn.origin() == Some(&remote) {
                return;
            }
            let mut out = sink.lock().unwrap_or_else(|p| p.into_inner());
            out.updates.push(e.update.clone());
            if out.updates.len() >= LOCAL_QUEUE_MERGE_AT {
                merge_in_place(&mut out.updates);
            }
            if let Some(wake) = &out.wake {
                wake();
            }
        });
        Peer {
            awareness: Awareness::new(doc),
            outbox,
            synced: false,
        }
    }

    pub fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    pub fn awareness(&self) -> &Awareness {
        &self.awareness
    }

    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Called (from inside the editing thread's commit) whenever a local update is queued.
    pub fn set_waker(&self, wake: impl Fn() + Send + Sync + 'static) {
        self.outbox.lock().unwrap_or_else(|p| p.into_inner()).wake = Some(Box::new(wake));
    }

    /// The opening messages of a (re)connection: our state vector and our awareness.
    ///
    /// Queued local updates are dropped here on purpose: the server answers our step1 with its own,
    /// and our step2 reply carries everything it lacks, queued edits included.
    pub fn on_connect(&mut self) -> Vec<Vec<u8>> {
        self.outbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .updates
            .clear();
        self.synced = false;
        let sv = self.doc().transact().state_vector();
        let mut out = vec![codec::encode_sync_step1(&sv)];
        out.extend(self.local_awareness_message());
        out
    }

    /// Forgets everyone else's presence: with the link down we cannot know who is still there.
    pub fn on_disconnect(&mut self) {
        self.synced = false;
        let me = self.awareness.client_id();
        let others: Vec<_> = self
            .awareness
            .iter()
            .map(|(id, _)| id)
            .filter(|id| *id != me)
            .collect();
        for id in others {
            self.awareness.remove_state(id);
        }
    }

    /// Handles one frame from the server.
    pub fn receive(&mut self, frame: &Bytes) -> Result<Received, ProtocolError> {
        let mut out = Received::default();
        match Message::decode(frame)? {
            Message::Sync(SyncMessage::Step1(sv)) => {
                let diff = self.doc().transact().encode_state_as_update_v1(&sv);
                out.replies.push(codec::encode_sync_step2(&diff));
            }
            Message::Sync(SyncMessage::Step2(update)) => {
                self.apply_remote(&update)?;
                if !self.synced {
                    self.synced = true;
                    out.became_synced = true;
                }
            }
            Message::Sync(SyncMessage::Update(update)) => self.apply_remote(&update)?,
            Message::Awareness(update) => {
                let update = to_yrs_awareness(&update)?;
                self.awareness
                    .apply_update(update)
                    .map_err(|e| ProtocolError::InvalidAwareness(e.to_string()))?;
                out.awareness_changed = true;
            }
            Message::QueryAwareness => {
                if let Some(msg) = self.full_awareness_message() {
                    out.replies.push(msg);
                }
            }
            Message::Auth(AuthMessage::PermissionDenied { reason }) => {
                out.permission_denied = Some(reason);
            }
            Message::Auth(AuthMessage::Other { .. }) | Message::Unknown { .. } => {}
        }
        Ok(out)
    }

    fn apply_remote(&mut self, update: &[u8]) -> Result<(), ProtocolError> {
        let update = codec::decode_update(update)?;
        let mut txn = self.doc().transact_mut_with(REMOTE_ORIGIN);
        txn.apply_update(update)
            .map_err(|e| ProtocolError::InvalidUpdate(e.to_string()))
    }

    /// Local edits made since the last call, as sync-update messages (merged when many).
    pub fn take_local_updates(&mut self) -> Vec<Vec<u8>> {
        let mut updates = std::mem::take(
            &mut self
                .outbox
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .updates,
        );
        if updates.len() > 1 {
            merge_in_place(&mut updates);
        }
        updates
            .iter()
            .map(|u| codec::encode_sync_update(u))
            .collect()
    }

    /// Sets our presence (a JSON object) and returns the message announcing it.
    pub fn set_local_awareness(&mut self, state: &serde_json::Value) -> Vec<u8> {
        self.awareness.set_local_state_raw(state.to_string());
        self.local_awareness_message().unwrap_or_default()
    }

    /// Our current presence, re-sent periodically so others do not time us out (y-protocols drops
    /// states not renewed within 30 s).
    pub fn local_awareness_message(&self) -> Option<Vec<u8>> {
        let me = self.awareness.client_id();
        self.awareness.local_state_raw()?;
        let update = self.awareness.update_with_clients([me]).ok()?;
        Some(codec::encode_awareness(&update.encode_v1()))
    }

    fn full_awareness_message(&self) -> Option<Vec<u8>> {
        let update = self.awareness.update().ok()?;
        if update.clients.is_empty() {
            return None;
        }
        Some(codec::encode_awareness(&update.encode_v1()))
    }

    /// Every peer's presence we currently know, as (client id, JSON state).
    pub fn presence(&self) -> Vec<(u64, serde_json::Value)> {
        self.awareness
            .iter()
            .filter_map(|(id, state)| {
                let json = state.data?;
                Some((id.get(), serde_json::from_str(&json).ok()?))
            })
            .collect()
    }

    /// This replica's state vector (for tests and resync diagnostics).
    pub fn state_vector(&self) -> StateVector {
        self.doc().transact().state_vector()
    }
}

fn to_yrs_awareness(payload: &[u8]) -> Result<AwarenessUpdate, ProtocolError> {
    let clients = codec::awareness_entries(payload)?
        .into_iter()
        .map(|e| {
            let entry = AwarenessUpdateEntry {
                clock: e.clock,
                json: e.json.into(),
            };
            (yrs::ClientID::new(e.client), entry)
        })
        .collect();
    Ok(AwarenessUpdate { clients })
}

/// Replaces the queued updates by their merge; if merging fails the originals stay (never dropped).
fn merge_in_place(updates: &mut Vec<Vec<u8>>) {
    if let Ok(merged) = yrs::merge_updates_v1(updates.iter()) {
        *updates = vec![merged];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{GetString, Text};

    /// Delivers every queued frame between two peers until both are quiet.
    fn pump(a: &mut Peer, b: &mut Peer, mut to_b: Vec<Vec<u8>>, mut to_a: Vec<Vec<u8>>) {
        while !to_a.is_empty() || !to_b.is_empty() {
            let mut next_a = Vec::new();
            let mut next_b = Vec::new();
            for m in to_b.drain(..) {
                next_a.extend(b.receive(&Bytes::from(m)).unwrap().replies);
            }
            for m in to_a.drain(..) {
                next_b.extend(a.receive(&Bytes::from(m)).unwrap().replies);
            }
            next_a.extend(b.take_local_updates());
            next_b.extend(a.take_local_updates());
            to_a = next_a;
            to_b = next_b;
        }
    }

    #[test]
    fn handshake_exchanges_missing_state_both_ways() {
        let mut a = Peer::new(Doc::with_client_id(1));
        let mut b = Peer::new(Doc::with_client_id(2));
        let ta = a.doc().get_or_insert_text("t");
        let tb = b.doc().get_or_insert_text("t");
        ta.insert(&mut a.doc().transact_mut(), 0, "left ");
        tb.insert(&mut b.doc().transact_mut(), 0, "right");
        let from_a = a.on_connect();
        let from_b = b.on_connect();
        pump(&mut a, &mut b, from_a, from_b);
        assert!(a.is_synced() && b.is_synced());
        let sa = ta.get_string(&a.doc().transact());
        assert_eq!(sa, tb.get_string(&b.doc().transact()));
        assert_eq!(sa.len(), "left right".len());
    }

    #[test]
    fn local_edits_are_queued_and_remote_ones_are_not_echoed() {
        let mut a = Peer::new(Doc::with_client_id(1));
        let mut b = Peer::new(Doc::with_client_id(2));
        let ta = a.doc().get_or_insert_text("t");
        for i in 0..200 {
            ta.insert(&mut a.doc().transact_mut(), i, "x");
        }
        let queued = a.take_local_updates();
        assert_eq!(queued.len(), 1, "many local updates merge into one message");
        for m in queued {
            b.receive(&Bytes::from(m)).unwrap();
        }
        assert!(
            b.take_local_updates().is_empty(),
            "remote updates are not echoed"
        );
        let tb = b.doc().get_or_insert_text("t");
        assert_eq!(tb.get_string(&b.doc().transact()).len(), 200);
    }

    #[test]
    fn awareness_flows_and_is_forgotten_on_disconnect() {
        let mut a = Peer::new(Doc::with_client_id(1));
        let mut b = Peer::new(Doc::with_client_id(2));
        let msg = a.set_local_awareness(&serde_json::json!({"user": {"name": "ada"}}));
        let got = b.receive(&Bytes::from(msg)).unwrap();
        assert!(got.awareness_changed);
        assert_eq!(b.presence().len(), 1);
        b.on_disconnect();
        assert!(b.presence().is_empty());
    }

    #[test]
    fn permission_denied_is_reported() {
        let mut a = Peer::new(Doc::new());
        let got = a
            .receive(&Bytes::from(codec::encode_permission_denied("read-only")))
            .unwrap();
        assert_eq!(got.permission_denied.as_deref(), Some("read-only"));
    }
}
