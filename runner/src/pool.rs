//! Warm jail helpers: each already started and already in its own fresh cgroup, waiting for its
//! spec. Moving a process into a cgroup waits for an RCU grace period when the host's cgroups
//! have been quiet (10-20 ms measured here, cgroup v1), so that happens ahead of time, off the
//! run's critical path; the job's limits are written to the cgroup when the job takes it.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin};
use tokio_util::task::TaskTracker;

use crate::RunnerError;
use crate::cgroup::{CgLimits, Cgroups, JobCgroup};
use crate::jail::Prelude;

/// A helper waiting for its spec.
pub struct Warm {
    pub child: Child,
    pub stdin: ChildStdin,
    pub cgroup: JobCgroup,
}

/// Keeps up to `target` warm helpers ready.
pub struct Pool {
    ready: Mutex<VecDeque<Warm>>,
    target: usize,
    jail: Vec<String>,
    cgroups: Cgroups,
    next: AtomicU64,
    closed: AtomicBool,
    tasks: TaskTracker,
}

impl Pool {
    pub fn new(
        target: usize,
        jail: Vec<String>,
        cgroups: Cgroups,
        tasks: TaskTracker,
    ) -> Arc<Pool> {
        let pool = Arc::new(Pool {
            ready: Mutex::new(VecDeque::new()),
            target,
            jail,
            cgroups,
            next: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            tasks,
        });
        for _ in 0..target {
            pool.refill();
        }
        pool
    }

    /// A warm helper if one is ready, else a fresh one (paying the join on this run).
    pub async fn take(self: &Arc<Self>) -> Result<Warm, RunnerError> {
        let ready = self.ready.lock().expect("pool").pop_front();
        self.refill();
        match ready {
            Some(w) => Ok(w),
            None => self.spawn().await,
        }
    }

    /// Starts one helper in the background; it joins the pool if the pool still wants it.
    fn refill(self: &Arc<Self>) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let pool = self.clone();
        self.tasks.spawn(async move {
            match pool.spawn().await {
                Ok(w) => {
                    let mut ready = pool.ready.lock().expect("pool");
                    if ready.len() < pool.target && !pool.closed.load(Ordering::Acquire) {
                        ready.push_back(w);
                    } else {
                        drop(ready);
                        pool.discard(w);
                    }
                }
                Err(e) => tracing::warn!("warming a jail helper: {e}"),
            }
        });
    }

    async fn spawn(&self) -> Result<Warm, RunnerError> {
        let name = format!("w{}", self.next.fetch_add(1, Ordering::Relaxed));
        // Limits come with the job; until then nothing runs in it but the waiting helper.
        let cgroup = self.cgroups.create(&name, &CgLimits::default())?;
        // An empty environment: the jail must not inherit anything of ours (bubblewrap's
        // /proc/1/environ lesson; the helper passes on only the spec's variables).
        let child = tokio::process::Command::new(&self.jail[0])
            .args(&self.jail[1..])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                self.tasks.spawn(cgroup.remove(super::job::REMOVE_WITHIN));
                return Err(e.into());
            }
        };
        let mut stdin = child.stdin.take().expect("piped");
        let prelude = Prelude {
            cgroup_procs: cgroup.procs_files(),
        };
        let mut line = serde_json::to_vec(&prelude).map_err(std::io::Error::other)?;
        line.push(b'\n');
        stdin.write_all(&line).await?;
        Ok(Warm {
            child,
            stdin,
            cgroup,
        })
    }

    fn discard(&self, mut w: Warm) {
        let _ = w.child.start_kill();
        w.cgroup.kill();
        self.tasks.spawn(w.cgroup.remove(super::job::REMOVE_WITHIN));
    }

    /// At shutdown: stop every waiting helper and remove its cgroup.
    pub fn drain(&self) {
        self.closed.store(true, Ordering::Release);
        let all: Vec<Warm> = self.ready.lock().expect("pool").drain(..).collect();
        for w in all {
            self.discard(w);
        }
    }
}
