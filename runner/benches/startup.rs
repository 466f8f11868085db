//! Run start-up benchmark: a real runner on loopback gRPC, the real jail helper, real cgroups.
//! Measures, for Python and Node hello worlds, the time from the `Run` call to the first output
//! byte and to the end (p50/p95 over sequential runs), then runs per second with every slot busy.
//!
//! `cargo bench -p runner --bench startup [-- --runs N --seconds S]`; prints one JSON object.

use std::time::{Duration, Instant};

use runner::proto::runner_client::RunnerClient;
use runner::proto::{self, run_event::Event};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

struct Timing {
    first_byte: Duration,
    total: Duration,
}

async fn one(client: &mut RunnerClient<Channel>, entry: &str, code: &str) -> Timing {
    let req = proto::RunRequest {
        files: vec![proto::File {
            path: entry.into(),
            contents: code.as_bytes().to_vec().into(),
        }],
        entry: entry.into(),
        room: "bench".into(),
        ..Default::default()
    };
    let start = Instant::now();
    let mut stream = client.run(req).await.expect("run").into_inner();
    let mut first = None;
    while let Some(e) = stream.message().await.expect("stream") {
        match e.event {
            Some(Event::Output(_)) => {
                first.get_or_insert(start.elapsed());
            }
            Some(Event::Finished(f)) => {
                assert_eq!(f.status, Some(proto::finished::Status::Exited(0)), "{f:?}");
            }
            _ => {}
        }
    }
    Timing {
        first_byte: first.expect("output"),
        total: start.elapsed(),
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(mut t: Vec<Timing>) -> serde_json::Value {
    let mut first: Vec<Duration> = t.iter().map(|t| t.first_byte).collect();
    first.sort();
    t.sort_by_key(|t| t.total);
    let total: Vec<Duration> = t.iter().map(|t| t.total).collect();
    serde_json::json!({
        "runs": total.len(),
        "first_byte_ms": {"p50": pct(&first, 0.5), "p95": pct(&first, 0.95)},
        "total_ms": {"p50": pct(&total, 0.5), "p95": pct(&total, 0.95)},
    })
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let runs = arg("--runs", 100) as usize;
    let seconds = arg("--seconds", 10);
    let config = runner::Settings::default()
        .resolve(
            runner::Settings::default(),
            vec![env!("CARGO_BIN_EXE_tandem-jail").to_owned()],
        )
        .expect("config");
    let slots = config.slots;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(runner::server::run(config, listener, shutdown.clone()));
    let mut client = runner::server::connect(&format!("http://{addr}")).unwrap();
    let health = client
        .health(proto::HealthRequest {})
        .await
        .unwrap()
        .into_inner();

    let python = ("hello.py", "print('hello')");
    let node = ("hello.js", "console.log('hello')");
    let mut report = serde_json::json!({"cgroup": health.cgroup, "slots": slots});
    for (name, (entry, code)) in [("python", python), ("node", node)] {
        for _ in 0..5 {
            one(&mut client, entry, code).await; // warm the page cache
        }
        let mut timings = Vec::with_capacity(runs);
        for _ in 0..runs {
            timings.push(one(&mut client, entry, code).await);
        }
        report[name] = summary(timings);
    }

    // Throughput: twice as many callers as slots keep the queue non-empty.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut callers = Vec::new();
    for _ in 0..slots * 2 {
        let mut client = client.clone();
        callers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                one(&mut client, python.0, python.1).await;
                n += 1;
            }
            n
        }));
    }
    let mut done = 0;
    for c in callers {
        done += c.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    report["throughput"] = serde_json::json!({
        "language": "python",
        "callers": slots * 2,
        "runs": done,
        "seconds": elapsed,
        "runs_per_second": done as f64 / elapsed,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    shutdown.cancel();
    server.await.unwrap().unwrap();
}
