//! One run's task: submit it to the runner, turn its events into edits of the run's entry
//! (output gathered into batches), and always leave the entry in a final state — whatever the
//! runner does, including not answering.

use std::sync::Arc;
use std::time::Duration;

use runner::proto::{self, output, run_event::Event};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Runs;
use super::doc::{self, Patch, Stream};
use super::status;
use super::utf8::Utf8Stream;
use crate::room::{RoomError, Rooms};
use crate::store::now_ms;

/// Output gathers this long after its first chunk before it goes into the document as one edit:
/// a chatty program costs a few transactions per second, not one per write.
const OUTPUT_WINDOW: Duration = Duration::from_millis(15);
/// ... or until this much is waiting.
const OUTPUT_BATCH_BYTES: usize = 64 << 10;
/// The runner accepts (or refuses) a run at once and streams from then on; a runner that does
/// not answer within this is treated as unreachable.
const RUNNER_ANSWER: Duration = Duration::from_secs(10);
/// After a cancel, how long the runner has to confirm it with its final event before the server
/// closes the stream (which also stops the run) and records the cancel itself.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

const NO_FINAL_STATUS: &str = "the runner ended the run without a final status";

/// How a run ended, as far as the server is concerned.
enum End {
    /// The runner's final event.
    Finished(proto::Finished),
    /// It never ran, or the runner stopped answering.
    Failed(String),
    /// Stopped by the server without the runner's final word.
    Cancelled(&'static str),
}

pub(super) struct Drive {
    pub runs: Arc<Runs>,
    pub room: Arc<str>,
    pub id: Arc<str>,
    pub request: proto::RunRequest,
    /// Cancelled by `POST .../runs/{id}/cancel`.
    pub cancel: CancellationToken,
}

impl Drive {
    pub async fn run(mut self) {
        let mut w = Writer {
            rooms: self.runs.rooms.clone(),
            room: self.room.clone(),
            id: self.id.clone(),
            patch: Patch::default(),
            flush_at: None,
            stdout: Utf8Stream::default(),
            stderr: Utf8Stream::default(),
        };
        match self.go(&mut w).await {
            Ok(end) => {
                if let Err(e) = w.finish(end).await {
                    let (room, run) = (&self.room, &self.id);
                    tracing::error!(%room, %run, error = %e, "could not record the end of a run");
                }
            }
            // Nothing more can be written; dropping the stream has told the runner to stop.
            Err(e) => {
                let (room, run) = (&self.room, &self.id);
                tracing::error!(%room, %run, error = %e, "room unavailable; run abandoned");
            }
        }
        self.runs.forget(&self.id);
    }

    async fn go(&mut self, w: &mut Writer) -> Result<End, RoomError> {
        let shutdown = self.runs.shutdown.clone();
        let Some(mut client) = self.runs.client.clone() else {
            return Ok(End::Failed("this server has no runner".into()));
        };
        let request = std::mem::take(&mut self.request);
        let mut stream = tokio::select! {
            biased;
            _ = shutdown.cancelled() => return Ok(End::Cancelled("server shutting down")),
            _ = self.cancel.cancelled() => return Ok(End::Cancelled("cancelled")),
            answer = tokio::time::timeout(RUNNER_ANSWER, client.run(request)) => match answer {
                Err(_) => {
                    let secs = RUNNER_ANSWER.as_secs();
                    return Ok(End::Failed(format!("runner did not answer within {secs} s")));
                }
                Ok(Err(s)) => return Ok(End::Failed(status::runner_error(&s))),
                Ok(Ok(response)) => response.into_inner(),
            },
        };
        let mut grace: Option<Instant> = None;
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(End::Cancelled("server shutting down")),
                _ = self.cancel.cancelled(), if grace.is_none() => {
                    grace = Some(Instant::now() + CANCEL_GRACE);
                    self.ask_runner_to_cancel().await;
                }
                _ = sleep_until(grace) => return Ok(End::Cancelled("cancelled")),
                _ = sleep_until(w.flush_at) => w.flush().await?,
                message = stream.message() => match message {
                    Ok(Some(proto::RunEvent { event: Some(Event::Finished(f)) })) => {
                        return Ok(End::Finished(f));
                    }
                    Ok(Some(proto::RunEvent { event: Some(e) })) => w.event(e).await?,
                    Ok(Some(proto::RunEvent { event: None })) => {}
                    Ok(None) => return Ok(End::Failed(NO_FINAL_STATUS.into())),
                    Err(s) => return Ok(End::Failed(status::runner_error(&s))),
                },
            }
        }
    }

    /// Runner.Cancel; its final event then ends the stream (killed, cancelled).
    async fn ask_runner_to_cancel(&self) {
        let Some(mut client) = self.runs.client.clone() else {
            return;
        };
        let request = proto::CancelRequest {
            run_id: self.id.to_string(),
        };
        match tokio::time::timeout(CANCEL_GRACE, client.cancel(request)).await {
            Ok(Ok(reply)) if reply.get_ref().found => {}
            // Already over: its final event is on the way.
            Ok(Ok(_)) => tracing::debug!(run = %self.id, "cancel: runner no longer has the run"),
            Ok(Err(s)) => tracing::warn!(run = %self.id, error = %s, "cancel refused"),
            Err(_) => tracing::warn!(run = %self.id, "cancel: runner did not answer"),
        }
    }
}

/// Waits until `at`, or forever when there is nothing to wait for.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Writes a run's changes to its entry through the room actor, output batched.
struct Writer {
    rooms: Arc<Rooms>,
    room: Arc<str>,
    id: Arc<str>,
    patch: Patch,
    /// When the waiting output must go out.
    flush_at: Option<Instant>,
    stdout: Utf8Stream,
    stderr: Utf8Stream,
}

impl Writer {
    async fn event(&mut self, event: Event) -> Result<(), RoomError> {
        match event {
            Event::Queued(q) => {
                status::queued(&mut self.patch, q.position);
                self.flush().await
            }
            Event::Started(s) => {
                status::started(&mut self.patch, &s, now_ms());
                self.flush().await
            }
            Event::Output(o) => {
                let (stream, decoder) = match o.stream() {
                    output::Stream::Stdout => (Stream::Stdout, &mut self.stdout),
                    output::Stream::Stderr => (Stream::Stderr, &mut self.stderr),
                };
                let text = decoder.push(&o.data);
                self.patch.output(stream, &text);
                if self.patch.output_bytes() >= OUTPUT_BATCH_BYTES {
                    self.flush().await
                } else {
                    self.flush_at
                        .get_or_insert_with(|| Instant::now() + OUTPUT_WINDOW);
                    Ok(())
                }
            }
            Event::Finished(f) => self.finish(End::Finished(f)).await,
        }
    }

    /// Writes what is waiting as one edit of the room.
    async fn flush(&mut self) -> Result<(), RoomError> {
        self.flush_at = None;
        if self.patch.is_empty() {
            return Ok(());
        }
        let patch = std::mem::take(&mut self.patch);
        let id = self.id.clone();
        let found = self
            .rooms
            .edit(&self.room, move |txn| doc::apply(txn, &id, &patch))
            .await?;
        if !found {
            let (room, run) = (&self.room, &self.id);
            tracing::debug!(%room, %run, "run entry removed from the document; output dropped");
        }
        Ok(())
    }

    /// The final edit: the rest of the output and the final status together.
    async fn finish(&mut self, end: End) -> Result<(), RoomError> {
        let (out, err) = (self.stdout.finish(), self.stderr.finish());
        self.patch.output(Stream::Stdout, &out);
        self.patch.output(Stream::Stderr, &err);
        let now = now_ms();
        match end {
            End::Finished(f) => status::finished(&mut self.patch, &f, now),
            End::Failed(message) => status::failed(&mut self.patch, &message, now),
            End::Cancelled(message) => status::cancelled(&mut self.patch, message, now),
        }
        self.flush().await
    }
}
