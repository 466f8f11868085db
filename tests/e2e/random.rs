//! Seeded random peers editing, disconnecting and reconnecting converge, also across a restart.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use yrs::{Doc, Text, Transact};

use protocol::client::Client;

use crate::harness::*;

const PEERS: usize = 5;
const STEPS: usize = 400;
const SEED: u64 = 0x5eed_7a4d;

fn random_edit(rng: &mut StdRng, doc: &Doc) {
    let files = protocol::schema::files(doc);
    let mut txn = doc.transact_mut();
    let Some(text) = protocol::schema::file_text(&txn, &files, "doc.txt") else {
        return;
    };
    let len = text.len(&txn);
    if len > 0 && rng.random_bool(0.3) {
        let at = rng.random_range(0..len);
        let n = rng.random_range(1..=(len - at).min(8));
        text.remove_range(&mut txn, at, n);
    } else {
        let at = rng.random_range(0..=len);
        let s: String = (0..rng.random_range(1..6))
            .map(|_| rng.random_range(b'a'..=b'z') as char)
            .collect();
        text.insert(&mut txn, at, &s);
    }
}

#[tokio::test]
async fn random_peers_converge_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let url = server.ws_url("random");
    let mut rng = StdRng::seed_from_u64(SEED);
    let docs: Vec<Doc> = (0..PEERS)
        .map(|i| Doc::with_client_id(i as u64 + 1))
        .collect();
    let mut clients: Vec<Option<Client>> = Vec::new();
    for d in &docs {
        let c = Client::connect(url.clone(), d.clone(), fast_reconnect());
        within(c.synced()).await;
        clients.push(Some(c));
    }
    append(&docs[0], "doc.txt", "seed");
    for d in &docs {
        eventually("file everywhere", || {
            protocol::schema::list_files(d).len() == 1
        })
        .await;
    }

    for step in 0..STEPS {
        let i = rng.random_range(0..PEERS);
        match rng.random_range(0..10) {
            // Disconnect abruptly; edits continue offline.
            0 => {
                if let Some(c) = clients[i].take() {
                    c.abort();
                }
            }
            // Reconnect (the handshake must resync both ways).
            1 => {
                if clients[i].is_none() {
                    clients[i] = Some(Client::connect(
                        url.clone(),
                        docs[i].clone(),
                        fast_reconnect(),
                    ));
                }
            }
            _ => random_edit(&mut rng, &docs[i]),
        }
        if step % 50 == 0 {
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    for (i, slot) in clients.iter_mut().enumerate() {
        if slot.is_none() {
            *slot = Some(Client::connect(
                url.clone(),
                docs[i].clone(),
                fast_reconnect(),
            ));
        }
    }
    let text = |d: &Doc| file_text(d, "doc.txt");
    eventually("all replicas equal", || {
        docs.iter().all(|d| text(d) == text(&docs[0]))
    })
    .await;
    let final_text = text(&docs[0]);
    assert!(!final_text.is_empty());

    for c in clients.into_iter().flatten() {
        c.close().await;
    }
    assert_eq!(server.terminate(), Some(0));
    server.restart();
    let fresh = peer(&server, "random").await;
    assert_eq!(text(fresh.doc()), final_text);
}
