//! The room's awareness table (sans-IO): who is present, which connection speaks for which client,
//! and the removals to announce when a connection goes away.

use std::collections::HashMap;
use std::sync::Arc;

use protocol::codec::{self, AwarenessEntry};

use super::ConnId;

struct State {
    clock: u32,
    json: Arc<str>,
    owner: ConnId,
}

/// Present clients of one room, keyed by Yjs client id.
#[derive(Default)]
pub struct Presence {
    states: HashMap<u64, State>,
}

impl Presence {
    /// Applies entries received from `conn` with y-protocols' clock rules. A connection that sends
    /// a client's state becomes responsible for removing it when it leaves.
    pub fn apply(&mut self, conn: ConnId, entries: &[AwarenessEntry<'_>]) {
        for e in entries {
            let current = self.states.get(&e.client).map(|s| s.clock);
            let newer = current.is_none_or(|c| c < e.clock || (c == e.clock && e.is_removal()));
            if !newer {
                continue;
            }
            if e.is_removal() {
                self.states.remove(&e.client);
            } else {
                self.states.insert(
                    e.client,
                    State {
                        clock: e.clock,
                        json: e.json.into(),
                        owner: conn,
                    },
                );
            }
        }
    }

    /// Forgets every client `conn` spoke for; returns the awareness message announcing it.
    pub fn remove_conn(&mut self, conn: ConnId) -> Option<Vec<u8>> {
        let gone: Vec<(u64, u32)> = self
            .states
            .iter()
            .filter(|(_, s)| s.owner == conn)
            .map(|(id, s)| (*id, s.clock))
            .collect();
        if gone.is_empty() {
            return None;
        }
        for (id, _) in &gone {
            self.states.remove(id);
        }
        let entries = gone.iter().map(|&(client, clock)| AwarenessEntry {
            client,
            clock: clock.wrapping_add(1),
            json: "null",
        });
        Some(codec::encode_awareness(&codec::encode_awareness_entries(
            entries,
        )))
    }

    /// Everyone's current state, for a client that just joined or asked.
    pub fn full_message(&self) -> Option<Vec<u8>> {
        if self.states.is_empty() {
            return None;
        }
        let entries = self.states.iter().map(|(&client, s)| AwarenessEntry {
            client,
            clock: s.clock,
            json: &s.json,
        });
        Some(codec::encode_awareness(&codec::encode_awareness_entries(
            entries,
        )))
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use protocol::Message;

    fn entry(client: u64, clock: u32, json: &str) -> AwarenessEntry<'_> {
        AwarenessEntry {
            client,
            clock,
            json,
        }
    }

    #[test]
    fn clocks_order_states_and_leaving_announces_removal() {
        let mut p = Presence::default();
        p.apply(1, &[entry(10, 2, r#"{"n":"a"}"#), entry(11, 1, "{}")]);
        p.apply(2, &[entry(10, 1, r#"{"n":"stale"}"#), entry(20, 1, "{}")]);
        assert_eq!(p.len(), 3);
        let msg = p.remove_conn(1).expect("conn 1 spoke for two clients");
        assert_eq!(p.len(), 1);
        let Message::Awareness(payload) = Message::decode(&Bytes::from(msg)).unwrap() else {
            panic!("not an awareness message")
        };
        let mut removed = codec::parse_awareness(&payload).unwrap();
        removed.sort_by_key(|e| e.client);
        assert_eq!(removed, vec![entry(10, 3, "null"), entry(11, 2, "null")]);
        assert!(p.remove_conn(1).is_none());
    }

    #[test]
    fn explicit_removal_drops_the_state() {
        let mut p = Presence::default();
        p.apply(1, &[entry(10, 1, "{}")]);
        p.apply(1, &[entry(10, 1, "null")]);
        assert_eq!(p.len(), 0);
        assert!(p.full_message().is_none());
    }
}
