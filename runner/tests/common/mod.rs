//! Test harness: a real runner on a loopback port (the real jail helper binary, real cgroups) and
//! a gRPC client that collects a run's events.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use runner::proto::finished::Status;
use runner::proto::runner_client::RunnerClient;
use runner::proto::{self, KillReason, run_event::Event};
use runner::{Settings, config::Config};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct Runner {
    pub client: RunnerClient<Channel>,
    pub shutdown: CancellationToken,
    done: tokio::task::JoinHandle<()>,
}

impl Runner {
    pub async fn start(flags: Settings) -> Runner {
        let config = config(flags);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let done = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                runner::server::run(config, listener, shutdown)
                    .await
                    .unwrap()
            }
        });
        let client = runner::server::connect(&format!("http://{addr}")).unwrap();
        Runner {
            client,
            shutdown,
            done,
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.done.await.unwrap();
    }

    /// Runs one file and collects everything.
    pub async fn run(&self, entry: &str, code: &str, limits: proto::Limits) -> Ran {
        self.run_request(request(entry, code, limits)).await
    }

    pub async fn run_request(&self, req: proto::RunRequest) -> Ran {
        let stream = self.client.clone().run(req).await.unwrap().into_inner();
        collect(stream).await
    }

    /// Asks the runner to cancel `run_id`; whether it knew the run.
    pub async fn cancel(&self, run_id: &str) -> bool {
        let req = proto::CancelRequest {
            run_id: run_id.into(),
        };
        let reply = self.client.clone().cancel(req).await.unwrap();
        reply.into_inner().found
    }

    pub async fn health(&self) -> proto::HealthReply {
        self.client
            .clone()
            .health(proto::HealthRequest {})
            .await
            .unwrap()
            .into_inner()
    }
}

pub fn config(flags: Settings) -> Config {
    Settings::default()
        .resolve(flags, vec![env!("CARGO_BIN_EXE_tandem-jail").to_owned()])
        .unwrap()
}

pub fn request(entry: &str, code: &str, limits: proto::Limits) -> proto::RunRequest {
    proto::RunRequest {
        files: vec![proto::File {
            path: entry.into(),
            contents: code.as_bytes().to_vec().into(),
        }],
        entry: entry.into(),
        language: "auto".into(),
        limits: Some(limits),
        room: "test".into(),
        ..Default::default()
    }
}

/// Everything one run sent.
#[derive(Debug, Default)]
pub struct Ran {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub positions: Vec<u32>,
    pub started: Option<proto::Started>,
    /// When the `started` event arrived.
    pub started_at: Option<Instant>,
    pub finished: Option<proto::Finished>,
    /// Time from the call to the first output byte, and to the end.
    pub first_byte: Option<Duration>,
    pub total: Duration,
}

impl Ran {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    pub fn status(&self) -> Status {
        self.finished
            .as_ref()
            .and_then(|f| f.status.clone())
            .expect("a finished event with a status")
    }
    pub fn killed(&self) -> Option<KillReason> {
        match self.status() {
            Status::Killed(r) => KillReason::try_from(r).ok(),
            _ => None,
        }
    }
    pub fn exited(&self) -> Option<i32> {
        match self.status() {
            Status::Exited(c) => Some(c),
            _ => None,
        }
    }
}

pub async fn collect(mut stream: tonic::Streaming<proto::RunEvent>) -> Ran {
    let start = Instant::now();
    let mut ran = Ran::default();
    while let Some(event) = stream.message().await.unwrap() {
        match event.event.expect("event") {
            Event::Queued(q) => ran.positions.push(q.position),
            Event::Started(s) => {
                ran.started = Some(s);
                ran.started_at = Some(Instant::now());
            }
            Event::Output(o) => {
                ran.first_byte.get_or_insert(start.elapsed());
                if o.stream == proto::output::Stream::Stdout as i32 {
                    ran.stdout.extend_from_slice(&o.data);
                } else {
                    ran.stderr.extend_from_slice(&o.data);
                }
            }
            Event::Finished(f) => {
                assert!(ran.finished.is_none(), "one finished event");
                ran.finished = Some(f);
            }
        }
    }
    ran.total = start.elapsed();
    assert!(ran.finished.is_some(), "the stream ends with finished");
    ran
}

pub fn limits() -> proto::Limits {
    proto::Limits::default()
}
