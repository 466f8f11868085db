//! A job's cgroup as the runner holds it: the files a process joins by, counters, kill, and the
//! bounded wait-then-rmdir that removes it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{POLL, Stats, files, v1, v2};

/// One job's cgroup (a directory per hierarchy in v1, one in v2, none in Mode::None).
#[derive(Debug)]
pub struct JobCgroup {
    pub(super) job: Job,
}

#[derive(Debug)]
pub(super) enum Job {
    None,
    V1(v1::Job),
    V2(v2::Job),
}

impl JobCgroup {
    /// Files a process writes its own pid into to join this cgroup (v1: one per hierarchy used;
    /// v2: one; Mode::None: none). The jail helper writes its pid into each while still root,
    /// before dropping privileges.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs().iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// Sets (or changes) the limits, e.g. of a cgroup made ahead of its job. Lowering the
    /// memory limit below what its processes already use fails.
    pub fn set_limits(&self, limits: &super::CgLimits) -> Result<(), crate::RunnerError> {
        match &self.job {
            Job::None => Ok(()),
            Job::V1(j) => j.apply(limits),
            Job::V2(j) => j.apply(limits),
        }
    }

    /// Best effort: unreadable counters read as 0.
    pub fn stats(&self) -> Stats {
        match &self.job {
            Job::None => Stats::default(),
            Job::V1(j) => j.stats(),
            Job::V2(j) => j.stats(),
        }
    }

    /// No process is left in the job.
    pub fn is_empty(&self) -> bool {
        match &self.job {
            Job::None => true,
            Job::V1(j) => j.is_empty(),
            Job::V2(j) => j.is_empty(),
        }
    }

    /// SIGKILL everything inside (v2 cgroup.kill; else freeze, kill each listed pid, thaw, in
    /// bounded rounds). Returns without waiting for the processes to exit; never panics.
    pub fn kill(&self) {
        match &self.job {
            Job::None => {}
            Job::V1(j) => j.kill(),
            Job::V2(j) => j.kill(),
        }
    }

    /// Wait (bounded by `timeout`) until the job is empty, then rmdir its directories. False,
    /// with the directories left for the next sweep, if it did not empty in time or rmdir failed.
    pub async fn remove(self, timeout: Duration) -> bool {
        let dirs = self.dirs();
        let deadline = Instant::now() + timeout;
        loop {
            if self.is_empty() {
                match files::rmdir_all(&dirs) {
                    Ok(()) => return true,
                    // A process can still be on its way out after the last pid left the list.
                    Err(e) if Instant::now() >= deadline => {
                        tracing::warn!(job = ?self.job, error = %e, "job cgroup not removed");
                        return false;
                    }
                    Err(_) => {}
                }
            } else if Instant::now() >= deadline {
                tracing::warn!(job = ?self.job, ?timeout, "job cgroup still busy; left for the sweep");
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub(super) fn dirs(&self) -> Vec<&Path> {
        match &self.job {
            Job::None => Vec::new(),
            Job::V1(j) => j.dirs(),
            Job::V2(j) => vec![j.dir()],
        }
    }
}
