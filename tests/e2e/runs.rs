//! Runs: `POST /api/rooms/{room}/runs` sends the room's code to the runner (in-process, or a
//! separate `tandem runner`) and its output streams into the document's `runs` entry, where every
//! connected client sees it. Real sandboxed processes throughout.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use yrs::types::ToJson;
use yrs::{Doc, TransactionMut};

use crate::harness::*;

/// Prints a line, waits long enough for it to be seen, prints another.
const TWO_LINES: &str =
    "import time\nprint('first line', flush=True)\ntime.sleep(1.5)\nprint('second line')\n";

/// Creates `room` with `files` (path, text).
async fn create_room(server: &Server, room: &str, files: &[(&str, &str)]) {
    let files: serde_json::Map<String, Value> = files
        .iter()
        .map(|(p, t)| (p.to_string(), json!(t)))
        .collect();
    expect_status(
        server
            .api()
            .post(server.http("/api/rooms"))
            .json(&json!({"name": room, "files": files})),
        201,
    )
    .await;
}

/// Starts a run (202) and returns its id.
async fn start_run(server: &Server, room: &str, body: Value) -> String {
    let res = expect_status(
        server
            .api()
            .post(server.http(&format!("/api/rooms/{room}/runs")))
            .json(&body),
        202,
    )
    .await;
    assert_eq!(res["status"], "queued", "{res}");
    res["id"].as_str().expect("run id").to_owned()
}

/// The run's entry as the server's export shows it.
async fn entry(server: &Server, room: &str, id: &str) -> Value {
    let export = get_json(
        &server.api(),
        &server.http(&format!("/api/rooms/{room}/export")),
    )
    .await;
    find_run(&export["runs"], id).unwrap_or(Value::Null)
}

fn find_run(runs: &Value, id: &str) -> Option<Value> {
    runs.as_array()?.iter().find(|r| r["id"] == id).cloned()
}

/// Polls the run's entry until `done` holds; returns it.
async fn wait_entry(
    server: &Server,
    room: &str,
    id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        let last = entry(server, room, id).await;
        if done(&last) {
            return last;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for {what}; entry: {last}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn finished(e: &Value) -> bool {
    matches!(
        e["status"].as_str(),
        Some("exited" | "killed" | "failed" | "signaled")
    )
}

/// The run entry of `doc`, as JSON.
fn doc_run(doc: &Doc, id: &str) -> Option<Value> {
    find_run(&protocol::schema::export_json(doc)["runs"], id)
}

/// Records the state of every run entry after each transaction a replica applies, so a test can
/// ask whether a state was ever visible without racing against it.
fn watch_runs(doc: &Doc) -> Arc<Mutex<Vec<Value>>> {
    let runs = protocol::schema::runs(doc);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let make = || {
        let (runs, sink) = (runs.clone(), seen.clone());
        move |txn: &mut TransactionMut<'_>| {
            let state = serde_json::to_value(runs.to_json(txn)).unwrap_or(Value::Null);
            sink.lock().unwrap().push(state);
        }
    };
    // Registering needs the document's lock, which the client's driver may hold for a moment.
    while doc.observe_after_transaction("test:runs", make()).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    seen
}

#[tokio::test]
async fn a_runs_output_appears_in_two_clients_while_it_is_still_running() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let room = "runs-live";
    create_room(&server, room, &[("main.py", TWO_LINES)]).await;
    let a = peer(&server, room).await;
    let b = peer(&server, room).await;
    let (seen_a, seen_b) = (watch_runs(a.doc()), watch_runs(b.doc()));

    let id = start_run(&server, room, json!({})).await;
    for p in [&a, &b] {
        eventually("the run to finish on both clients", || {
            doc_run(p.doc(), &id).is_some_and(|e| finished(&e))
        })
        .await;
    }
    for (name, seen) in [("a", &seen_a), ("b", &seen_b)] {
        let states = seen.lock().unwrap().clone();
        let mid_run = states
            .iter()
            .filter_map(|runs| find_run(runs, &id))
            .any(|e| {
                let out = e["output"].as_str().unwrap_or("");
                e["status"] == "running"
                    && out.contains("first line")
                    && !out.contains("second line")
            });
        assert!(
            mid_run,
            "client {name} never saw the first line while the run was running: {states:?}"
        );
    }
    for p in [&a, &b] {
        let e = doc_run(p.doc(), &id).unwrap();
        assert_eq!(e["status"], "exited", "{e}");
        assert_eq!(e["exit_code"].as_f64(), Some(0.0), "{e}");
        assert_eq!(e["output"], "first line\nsecond line\n");
        assert_eq!(e["entry"], "main.py");
        assert_eq!(e["lang"], "python");
        assert_eq!(e["requested_by"], "test");
        assert!(e["duration_ms"].as_f64().is_some_and(|d| d > 0.0), "{e}");
        assert!(e["state_vector"].as_str().is_some_and(|s| !s.is_empty()));
    }
    assert_eq!(
        entry(&server, room, &id).await,
        doc_run(a.doc(), &id).unwrap(),
        "server and clients agree"
    );

    let audit = get_json(
        &server.api(),
        &server.http(&format!("/api/audit?room={room}")),
    )
    .await;
    let started = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "run.started")
        .expect("a run.started audit row");
    assert_eq!(started["target"], id.as_str());
    assert_eq!(started["actor"], "test");
    assert_eq!(server.terminate(), Some(0), "a clean shutdown");
}

#[tokio::test]
async fn a_cancel_ends_the_run_as_killed_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let room = "runs-cancel";
    let sleeper = "import time\nprint('waiting', flush=True)\ntime.sleep(50)\n";
    create_room(&server, room, &[("main.py", sleeper)]).await;
    // A wall limit far above the test's patience: only the cancel can end it in time.
    let id = start_run(&server, room, json!({"limits": {"wall_ms": 60000}})).await;
    wait_entry(&server, room, &id, "the program to start", |e| {
        e["output"].as_str().is_some_and(|o| o.contains("waiting"))
    })
    .await;
    assert_eq!(metric(&server, "tandem_runs_active").await, 1);
    let http = server.api();
    let res = expect_status(
        http.post(server.http(&format!("/api/rooms/{room}/runs/{id}/cancel"))),
        202,
    )
    .await;
    assert_eq!(res["id"], id.as_str());
    let e = wait_entry(&server, room, &id, "the run to end", finished).await;
    assert_eq!(
        (e["status"].as_str(), e["reason"].as_str()),
        (Some("killed"), Some("cancelled")),
        "{e}"
    );
    assert_eq!(e["exit_code"], Value::Null);
    metric_reaches(&server, "tandem_runs_active", 0).await;

    // A finished run is not running any more; an unknown one does not exist.
    let again =
        http_outcome(http.post(server.http(&format!("/api/rooms/{room}/runs/{id}/cancel")))).await;
    assert_eq!(again, (409, "conflict".into()));
    let unknown =
        http_outcome(http.post(server.http(&format!("/api/rooms/{room}/runs/nope/cancel")))).await;
    assert_eq!(unknown, (404, "not_found".into()));

    // Shutting down with a run in progress records its end before the rooms are flushed.
    let id = start_run(&server, room, json!({"limits": {"wall_ms": 60000}})).await;
    wait_entry(&server, room, &id, "the program to start", |e| {
        e["status"] == "running"
    })
    .await;
    assert_eq!(server.terminate(), Some(0));
    server.restart();
    let e = entry(&server, room, &id).await;
    assert_eq!(
        (e["status"].as_str(), e["reason"].as_str()),
        (Some("killed"), Some("cancelled")),
        "{e}"
    );
    assert_eq!(e["message"], "server shutting down");
    server.terminate();
}

#[tokio::test]
async fn runs_go_through_a_separate_runner_process() {
    let mut runner = RunnerProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--runner-url", &runner.url()]);
    let room = "runs-remote";
    create_room(
        &server,
        room,
        &[("hello.sh", "echo \"from $0\"; echo oops >&2; exit 3\n")],
    )
    .await;
    let id = start_run(&server, room, json!({"stdin": "ignored"})).await;
    let e = wait_entry(&server, room, &id, "the run to end", finished).await;
    assert_eq!(e["status"], "exited", "{e}");
    assert_eq!(e["exit_code"].as_f64(), Some(3.0));
    assert_eq!(e["lang"], "shell");
    assert_eq!(e["output"], "from hello.sh\noops\n");
    server.terminate();
    assert_eq!(
        runner.terminate(),
        Some(0),
        "the runner stops cleanly on SIGTERM"
    );

    // A runner nobody answers for: the run fails with a clear message instead of hanging.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--runner-url", &dead]);
    create_room(&server, room, &[("main.py", "print(1)\n")]).await;
    let id = start_run(&server, room, json!({})).await;
    let e = wait_entry(&server, room, &id, "the run to fail", finished).await;
    assert_eq!(e["status"], "failed", "{e}");
    assert_eq!(e["message"], "runner unreachable");
    server.terminate();
}

#[tokio::test]
async fn only_writers_may_run_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let room = "runs-perms";
    create_room(&server, room, &[("main.py", "print(1)\n")]).await;
    let url = server.http(&format!("/api/rooms/{room}/runs"));
    let reader = bearer_client(&server.token(room, "read"));
    assert_eq!(
        http_outcome(reader.post(&url).json(&json!({}))).await,
        (403, "forbidden".into())
    );
    assert_eq!(
        http_outcome(reader.post(server.http(&format!("/api/rooms/{room}/runs/x/cancel")))).await,
        (403, "forbidden".into())
    );
    let other = bearer_client(&server.token("elsewhere", "write"));
    assert_eq!(
        http_outcome(other.post(&url)).await,
        (403, "forbidden".into())
    );
    assert_eq!(
        http_outcome(reqwest::Client::new().post(&url)).await,
        (401, "token_missing".into())
    );
    // Nothing was started.
    let export = get_json(
        &server.api(),
        &server.http(&format!("/api/rooms/{room}/export")),
    )
    .await;
    assert_eq!(export["runs"], json!([]));
    // A writer may (with no body at all: every field has a default).
    let writer = bearer_client(&server.token(room, "write"));
    let (status, body) = call(writer.post(&url)).await;
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().unwrap();
    let e = wait_entry(&server, room, id, "the run to end", finished).await;
    assert_eq!(
        (e["status"].as_str(), e["output"].as_str()),
        (Some("exited"), Some("1\n"))
    );
    assert_eq!(server.terminate(), Some(0), "a clean shutdown");
}

#[tokio::test]
async fn runs_that_cannot_run_fail_with_a_message_naming_why() {
    let dir = tempfile::tempdir().unwrap();
    // A small request limit, so that a room's files can exceed it cheaply.
    let mut server = Server::start(dir.path(), &["--runner-max-request-bytes", "1048576"]);
    let room = "runs-fail";
    create_room(
        &server,
        room,
        &[("a.py", "print(1)\n"), ("x.unknownext", "?\n")],
    )
    .await;

    let id = start_run(&server, room, json!({"entry": "a.py", "language": "zig"})).await;
    let e = wait_entry(&server, room, &id, "the run to fail", finished).await;
    assert_eq!(e["status"], "failed", "{e}");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("zig")),
        "{e}"
    );

    let id = start_run(&server, room, json!({"entry": "x.unknownext"})).await;
    let e = wait_entry(&server, room, &id, "the run to fail", finished).await;
    assert_eq!(e["status"], "failed", "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains(".unknownext")),
        "{e}"
    );

    // More than the runner accepts in one request (`runner_max_request_bytes`).
    let big = format!("x = '{}'\n", "y".repeat(2 << 20));
    expect_status(
        server
            .api()
            .put(server.http(&format!("/api/rooms/{room}/files/big.py")))
            .body(big),
        201,
    )
    .await;
    let id = start_run(&server, room, json!({"entry": "big.py"})).await;
    let e = wait_entry(&server, room, &id, "the run to fail", finished).await;
    assert_eq!(e["status"], "failed", "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("too large")),
        "{e}"
    );

    // Refused before any entry is made: no entry to pick, one that is not a file, a bad body.
    let http = server.api();
    let url = server.http(&format!("/api/rooms/{room}/runs"));
    assert_eq!(
        http_outcome(http.post(&url).json(&json!({}))).await,
        (400, "entry_required".into())
    );
    assert_eq!(
        http_outcome(http.post(&url).json(&json!({"entry": "missing.py"}))).await,
        (400, "entry_required".into())
    );
    assert_eq!(
        http_outcome(http.post(&url).json(&json!({"entry": "../a.py"}))).await,
        (400, "bad_path".into())
    );
    assert_eq!(
        http_outcome(http.post(&url).json(&json!({"entyr": "a.py"})))
            .await
            .0,
        422
    );
    let export = get_json(&http, &server.http(&format!("/api/rooms/{room}/export"))).await;
    assert_eq!(export["runs"].as_array().map(Vec::len), Some(3));
    assert_eq!(server.terminate(), Some(0), "a clean shutdown");
}

#[tokio::test]
async fn a_flood_of_output_arrives_whole_up_to_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let room = "runs-flood";
    // 4 MB of numbered 100-byte lines, with a byte of stderr now and then.
    let flood = "import sys\n\
                 for i in range(40000):\n\
                 \x20   sys.stdout.write('%07d ' % i + 'x' * 91 + '\\n')\n\
                 \x20   if i % 10000 == 0: sys.stderr.write('e')\n";
    create_room(&server, room, &[("main.py", flood)]).await;
    let p = peer(&server, room).await;
    let limit = 1 << 20;
    let id = start_run(&server, room, json!({"limits": {"output_bytes": limit}})).await;
    let e = wait_entry(&server, room, &id, "the run to end", finished).await;
    assert_eq!(
        (e["status"].as_str(), e["reason"].as_str()),
        (Some("killed"), Some("output")),
        "{}",
        e["message"]
    );
    let out = e["output"].as_str().unwrap();
    assert_eq!(out.len(), limit, "exactly the capped bytes");
    // In order, nothing lost or repeated: stdout lines count up; stderr's bytes (`e`, which no
    // stdout line contains) land between them.
    assert!(out.contains('e'), "stderr is interleaved");
    let stdout = out.replace('e', "");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() > 10_000, "{} lines", lines.len());
    for (i, l) in lines[..lines.len() - 1].iter().enumerate() {
        assert_eq!(l.len(), 99, "line {i}");
        assert_eq!(l[..7].parse::<usize>().unwrap(), i, "line {i}");
    }
    eventually("the client has the same output", || {
        doc_run(p.doc(), &id).is_some_and(|c| c == e)
    })
    .await;
    assert_eq!(server.terminate(), Some(0), "a clean shutdown");
}

#[tokio::test]
async fn runs_wait_in_the_runner_queue_and_a_full_queue_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--runner-slots", "1", "--runner-queue", "1"]);
    let room = "runs-queue";
    let sleeper = "import time\nprint('busy', flush=True)\ntime.sleep(50)\n";
    create_room(&server, room, &[("main.py", sleeper)]).await;
    let long = json!({"limits": {"wall_ms": 60000}});
    let first = start_run(&server, room, long.clone()).await;
    wait_entry(&server, room, &first, "the first run to start", |e| {
        e["status"] == "running"
    })
    .await;
    let second = start_run(&server, room, long.clone()).await;
    wait_entry(&server, room, &second, "the second run to queue", |e| {
        e["status"] == "queued" && e["queue_position"].as_f64() == Some(1.0)
    })
    .await;
    let third = start_run(&server, room, long).await;
    let e = wait_entry(&server, room, &third, "the third run to fail", finished).await;
    assert_eq!(
        (e["status"].as_str(), e["message"].as_str()),
        (Some("failed"), Some("runner queue full")),
        "{e}"
    );

    // A queued run can be cancelled too; then the running one.
    let http = server.api();
    for id in [&second, &first] {
        let url = server.http(&format!("/api/rooms/{room}/runs/{id}/cancel"));
        expect_status(http.post(url), 202).await;
        let e = wait_entry(&server, room, id, "the run to end", finished).await;
        assert_eq!(
            (e["status"].as_str(), e["reason"].as_str()),
            (Some("killed"), Some("cancelled")),
            "{e}"
        );
    }
    let e = entry(&server, room, &second).await;
    assert!(e.get("queue_position").is_none(), "{e}");
    assert!(e.get("started_at").is_none(), "it never ran: {e}");
    assert_eq!(server.terminate(), Some(0), "a clean shutdown");
}
