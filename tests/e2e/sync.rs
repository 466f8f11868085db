//! Convergence, late joiners and awareness between Rust peers over a real server.

use serde_json::json;

use crate::harness::*;

async fn converge(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let room = format!("converge-{n}");
    let mut peers = Vec::new();
    for _ in 0..n {
        peers.push(peer(&server, &room).await);
    }
    // One peer creates the file, then everyone types into the same Y.Text concurrently.
    let docs: Vec<&yrs::Doc> = peers.iter().map(|p| p.doc()).collect();
    create_file(docs[0], &docs, "main.py").await;
    for (i, p) in peers.iter().enumerate() {
        for k in 0..5 {
            append(p.doc(), "main.py", &format!("[{i}:{k}]"));
        }
    }
    let expected_len = (0..n).map(|i| 5 * format!("[{i}:0]").len()).sum::<usize>();
    for p in &peers {
        eventually("every edit everywhere", || {
            file_text(p.doc(), "main.py").len() == expected_len
        })
        .await;
    }
    let first = file_text(peers[0].doc(), "main.py");
    for p in &peers {
        assert_eq!(file_text(p.doc(), "main.py"), first);
    }
    for i in 0..n {
        for k in 0..5 {
            assert!(first.contains(&format!("[{i}:{k}]")));
        }
    }
    // A late joiner receives the full state.
    let late = peer(&server, &room).await;
    assert_eq!(file_text(late.doc(), "main.py"), first);
}

#[tokio::test]
async fn two_peers_converge() {
    converge(2).await;
}

#[tokio::test]
async fn ten_peers_converge_and_a_late_joiner_gets_everything() {
    converge(10).await;
}

#[tokio::test]
async fn awareness_arrives_and_is_removed_on_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let a = peer(&server, "aw").await;
    let b = peer(&server, "aw").await;
    a.set_awareness(json!({"user": {"name": "ada", "kind": "human"}}));
    let a_id = a.doc().client_id().get();
    eventually("b sees a", || {
        b.presence()
            .iter()
            .any(|(id, s)| *id == a_id && s["user"]["name"] == "ada")
    })
    .await;

    // A newcomer is told about everyone already present.
    let c = peer(&server, "aw").await;
    eventually("c sees a", || {
        c.presence().iter().any(|(id, _)| *id == a_id)
    })
    .await;

    // An abrupt disconnect (no close frame) removes a's presence for everyone else.
    a.abort();
    eventually("b forgets a", || {
        b.presence().iter().all(|(id, _)| *id != a_id)
    })
    .await;
    eventually("c forgets a", || {
        c.presence().iter().all(|(id, _)| *id != a_id)
    })
    .await;
}
