//! `tandem bench` against a real spawned server, at tiny sizes: every scenario runs, reports
//! JSON, and loses nothing.

use std::io::Write;
use std::process::Command;

use serde_json::{Value, json};

fn bench(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run tandem bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tandem bench {args:?} failed\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn fanout_delivers_every_edit_to_every_other_client() {
    let r = bench(&[
        "fanout",
        "--spawn",
        "--clients",
        "5",
        "--writers",
        "2",
        "--rate",
        "20",
        "--seconds",
        "2",
        "--warmup-ms",
        "500",
    ]);
    assert_eq!(r["lost_deliveries"], 0, "{r:#}");
    let delivered = r["deliveries"].as_u64().unwrap();
    assert!(delivered > 0, "{r:#}");
    // Every measured edit reaches the 4 other clients.
    assert_eq!(delivered, r["edits_sent"].as_u64().unwrap() * 4, "{r:#}");
    assert_eq!(r["expected_deliveries"].as_u64(), Some(delivered));
    assert_eq!(r["unmatched_updates"], 0);
    assert_eq!(r["closed_by_server"], 0);
    assert!(r["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(r["server_cpu_pct"].as_f64().is_some());
    assert!(r["server_rss_kib"].as_u64().unwrap() > 0);
    assert_eq!(r["load_average"]["start"].as_array().map(Vec::len), Some(3));
}

#[test]
fn rooms_reports_memory_per_room() {
    let r = bench(&["rooms", "--spawn", "--rooms", "20", "--settle-ms", "200"]);
    assert_eq!(r["rooms"], 20);
    assert_eq!(r["connections_dropped_early"], 0, "{r:#}");
    assert!(r["server_rss_after_kib"].as_u64().unwrap() > 0);
    assert!(r["rss_per_room_kib"].as_f64().is_some(), "{r:#}");
}

/// A small ASCII trace in the josephg/editing-traces format, with its end content.
fn synthetic_trace() -> Value {
    let mut text = String::from("start\n");
    let start = text.clone();
    let mut txns = Vec::new();
    for i in 0..300usize {
        let pos = (i * 7) % (text.len() + 1);
        let ins = format!("{}", (b'a' + (i % 26) as u8) as char);
        let del = if i % 5 == 0 {
            (text.len() - pos).min(2)
        } else {
            0
        };
        text.replace_range(pos..pos + del, &ins);
        txns.push(json!({ "patches": [[pos, del, ins]] }));
    }
    json!({ "startContent": start, "endContent": text, "txns": txns })
}

#[test]
fn coldload_replays_a_trace_and_times_fresh_clients() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(synthetic_trace().to_string().as_bytes())
        .unwrap();
    gz.finish().unwrap();
    let r = bench(&[
        "coldload",
        "--spawn",
        "--trace",
        path.to_str().unwrap(),
        "--fresh",
        "3",
        "--batch",
        "50",
    ]);
    assert_eq!(r["trace_edits"], 300);
    assert_eq!(r["updates_sent"], 1 + 6);
    assert_eq!(r["step2_ms"]["count"], 3);
    assert!(r["doc_bytes"].as_u64().unwrap() > 300, "{r:#}");
    assert!(r["ttfb_ms"]["p50"].as_f64().is_some());
}

#[test]
fn runs_are_combined_into_medians() {
    let r = bench(&[
        "rooms",
        "--spawn",
        "--rooms",
        "2",
        "--settle-ms",
        "50",
        "--runs",
        "2",
    ]);
    assert_eq!(r["runs"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["median"]["rooms"], 2);
}

#[test]
fn agent_edit_times_deltas_and_keystrokes_with_the_ai_streaming() {
    let r = bench(&[
        "agent-edit",
        "--spawn",
        "--deltas",
        "40",
        "--delta-gap-ms",
        "2",
        "--keystrokes",
        "20",
        "--keystroke-gap-ms",
        "5",
    ]);
    // Every delta past the edit engine's lookahead produced an update another client saw.
    let deltas = r["delta_to_peer_ms"]["count"].as_u64().unwrap();
    assert!(deltas >= 25, "{r:#}");
    assert_eq!(r["keystroke_idle_ms"]["count"], 20, "{r:#}");
    assert_eq!(r["keystroke_while_ai_streams_ms"]["count"], 20, "{r:#}");
    assert!(
        r["ai_chars_written_during_phase"].as_u64().unwrap() > 0,
        "{r:#}"
    );
    assert!(r["ratio_p99"].as_f64().is_some());
}
