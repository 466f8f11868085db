//! The tonic `Runner` service: checks a request, queues it, drives it through `job::execute`,
//! and answers `Cancel` and `Health`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::{Request, Response, Status};

use crate::jail::SpecFile;
use crate::job::{self, Context, Job};
use crate::language;
use crate::limits::Limits;
use crate::proto::{self, run_event::Event};
use crate::scheduler::{Admit, Scheduler};

/// Events buffered per run stream; a slower reader makes the run wait (never drops output).
pub const RUN_EVENTS: usize = 32;

/// Longest accepted run id.
const MAX_RUN_ID: usize = 128;

#[derive(Clone)]
pub struct RunnerService {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: Context,
    state: Mutex<State>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

/// The scheduler and the live runs, under one lock so they never disagree.
struct State {
    sched: Scheduler,
    runs: HashMap<String, Live>,
}

struct Live {
    cancel: CancellationToken,
    /// The run's place in the queue; 0 once it may start.
    position: watch::Sender<u32>,
}

impl RunnerService {
    pub fn new(ctx: Context, tasks: TaskTracker, shutdown: CancellationToken) -> Self {
        let c = &ctx.config;
        let sched = Scheduler::new(c.slots, c.per_room, c.queue, c.per_room_queue);
        RunnerService {
            inner: Arc::new(Inner {
                ctx,
                state: Mutex::new(State {
                    sched,
                    runs: HashMap::new(),
                }),
                tasks,
                shutdown,
            }),
        }
    }

    fn prepare(&self, req: &mut proto::RunRequest) -> Result<Job, String> {
        let config = &self.inner.ctx.config;
        let lang = language::pick(&config.languages, &req.language, &req.entry)?;
        let program = lang.check_installed()?;
        if !req.files.iter().any(|f| f.path == req.entry) {
            return Err(format!(
                "the entry file `{}` is not among the files",
                req.entry
            ));
        }
        let mut files = Vec::with_capacity(req.files.len());
        for f in std::mem::take(&mut req.files) {
            if !protocol::schema::valid_file_path(&f.path) {
                return Err(format!("invalid file path `{}`", f.path));
            }
            files.push(SpecFile {
                path: f.path,
                contents: f.contents.into(),
            });
        }
        let limits = Limits::clamp(
            req.limits.as_ref(),
            &config.default_limits,
            &config.max_limits,
        );
        let mut argv = lang.argv(&req.entry);
        argv[0] = program;
        let mut env = lang.env.clone();
        env.insert("PATH".into(), lang.jail_path());
        env.insert("HOME".into(), crate::jail::WORK_DIR.into());
        env.insert("LANG".into(), "C.UTF-8".into());
        env.insert("TMPDIR".into(), "/tmp".into());
        Ok(Job {
            id: req.run_id.clone(),
            language: lang.name.clone(),
            argv,
            env,
            files,
            stdin: std::mem::take(&mut req.stdin).into(),
            limits,
            mounts: lang.mounts.clone(),
        })
    }

    pub fn max_request_bytes(&self) -> usize {
        self.inner.ctx.config.max_request_bytes
    }

    fn health(&self) -> proto::HealthReply {
        let c = &self.inner.ctx.config;
        let state = self.inner.state.lock().expect("runner state");
        proto::HealthReply {
            serving: !self.inner.shutdown.is_cancelled(),
            cgroup: self.inner.ctx.cgroups.mode().to_string(),
            slots: c.slots as u32,
            running: state.sched.running() as u32,
            queued: state.sched.queued() as u32,
            languages: c
                .languages
                .iter()
                .filter(|l| l.check_installed().is_ok())
                .map(|l| l.name.clone())
                .collect(),
            max_limits: Some(c.max_limits.to_proto()),
            default_limits: Some(c.default_limits.to_proto()),
        }
    }
}

type RunStream = ReceiverStream<Result<proto::RunEvent, Status>>;

#[tonic::async_trait]
impl proto::runner_server::Runner for RunnerService {
    type RunStream = RunStream;

    async fn run(
        &self,
        request: Request<proto::RunRequest>,
    ) -> Result<Response<RunStream>, Status> {
        let mut req = request.into_inner();
        if req.run_id.is_empty() {
            req.run_id = new_run_id();
        }
        if req.run_id.len() > MAX_RUN_ID
            || !req
                .run_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Status::invalid_argument(
                "run_id must be [A-Za-z0-9_-]{1,128}",
            ));
        }
        let (tx, rx) = mpsc::channel(RUN_EVENTS);
        let job = match self.prepare(&mut req) {
            Ok(job) => job,
            Err(message) => {
                let finished = proto::Finished {
                    status: Some(proto::finished::Status::Failed(message)),
                    ..Default::default()
                };
                let _ = tx.try_send(Ok(event(Event::Finished(finished))));
                return Ok(Response::new(ReceiverStream::new(rx)));
            }
        };
        let (position, position_rx) = watch::channel(0);
        let cancel = self.inner.shutdown.child_token();
        {
            let mut state = self.inner.state.lock().expect("runner state");
            if state.runs.contains_key(&req.run_id) {
                return Err(Status::already_exists("a run with this id is in progress"));
            }
            match state.sched.submit(&req.run_id, &req.room) {
                Admit::Start => {}
                Admit::Queued(p) => {
                    position.send_replace(p);
                }
                Admit::Full => return Err(Status::resource_exhausted("the run queue is full")),
                Admit::RoomFull => {
                    return Err(Status::resource_exhausted(
                        "this room already has its share of the run queue waiting",
                    ));
                }
            }
            let live = Live {
                cancel: cancel.clone(),
                position,
            };
            state.runs.insert(req.run_id.clone(), live);
        }
        let inner = self.inner.clone();
        self.inner
            .tasks
            .spawn(drive(inner, job, tx, position_rx, cancel));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn cancel(
        &self,
        request: Request<proto::CancelRequest>,
    ) -> Result<Response<proto::CancelReply>, Status> {
        let id = request.into_inner().run_id;
        let state = self.inner.state.lock().expect("runner state");
        let found = state
            .runs
            .get(&id)
            .map(|live| live.cancel.cancel())
            .is_some();
        Ok(Response::new(proto::CancelReply { found }))
    }

    async fn health(
        &self,
        _request: Request<proto::HealthRequest>,
    ) -> Result<Response<proto::HealthReply>, Status> {
        Ok(Response::new(self.health()))
    }
}

fn event(e: Event) -> proto::RunEvent {
    proto::RunEvent { event: Some(e) }
}

/// One run's task: wait for a slot (reporting the queue position), execute, free the slot.
async fn drive(
    inner: Arc<Inner>,
    job: Job,
    tx: mpsc::Sender<Result<proto::RunEvent, Status>>,
    mut position: watch::Receiver<u32>,
    cancel: CancellationToken,
) {
    let id = job.id.clone();
    let limits = job.limits;
    loop {
        let p = *position.borrow_and_update();
        if p == 0 {
            break;
        }
        let _ = tx
            .send(Ok(event(Event::Queued(proto::Queued { position: p }))))
            .await;
        let stop = tokio::select! {
            changed = position.changed() => changed.is_err(),
            _ = cancel.cancelled() => true,
            _ = tx.closed() => true,
        };
        if stop {
            {
                let mut state = inner.state.lock().expect("runner state");
                state.sched.remove_queued(&id);
                state.runs.remove(&id);
                publish_positions(&state);
            }
            let status = proto::finished::Status::Killed(proto::KillReason::Cancelled as i32);
            let message = crate::status::describe(&status, &limits);
            let finished = proto::Finished {
                status: Some(status),
                message,
                ..Default::default()
            };
            let _ = tx.send(Ok(event(Event::Finished(finished)))).await;
            return;
        }
    }
    let started = proto::Started {
        run_id: id.clone(),
        language: job.language.clone(),
        limits: Some(limits.to_proto()),
    };
    let _ = tx.send(Ok(event(Event::Started(started)))).await;
    let (out_tx, mut out_rx) = mpsc::channel(RUN_EVENTS);
    // Output goes through a forwarder so the job sees a closed client as a closed channel.
    let forward = async {
        loop {
            tokio::select! {
                e = out_rx.recv() => match e {
                    Some(e) => {
                        if tx.send(Ok(e)).await.is_err() {
                            break cancel.cancel();
                        }
                    }
                    None => break,
                },
                _ = tx.closed() => break cancel.cancel(),
            }
        }
    };
    let run = async {
        let finished = job::execute(&inner.ctx, job, &out_tx, &cancel).await;
        drop(out_tx);
        finished
    };
    let (finished, ()) = tokio::join!(run, forward);
    {
        let mut state = inner.state.lock().expect("runner state");
        state.runs.remove(&id);
        for next in state.sched.finish(&id) {
            if let Some(live) = state.runs.get(&next) {
                live.position.send_replace(0);
            }
        }
        publish_positions(&state);
    }
    let _ = tx.send(Ok(event(Event::Finished(finished)))).await;
}

/// Tells every queued run its (new) place.
fn publish_positions(state: &State) {
    for (id, p) in state.sched.positions() {
        if let Some(live) = state.runs.get(id) {
            live.position.send_if_modified(|old| {
                let changed = *old != p;
                *old = p;
                changed
            });
        }
    }
}

fn new_run_id() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("run-{n:016x}")
}
