//! Job cgroups: detect the host's cgroup layout (v2, v1 or none), give each sandboxed job its own
//! cgroup with memory, pids and CPU limits, read its counters, kill everything in it, remove it.

mod files;
mod job;
mod parse;
#[cfg(test)]
mod tests;
mod v1;
mod v2;

use std::sync::Arc;
use std::time::{Duration, Instant};

use job::Job;
pub use job::JobCgroup;

use crate::RunnerError;

/// The cgroup layout in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    V2,
    V1,
    None,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::V2 => "v2",
            Mode::V1 => "v1",
            Mode::None => "none",
        })
    }
}

/// The configured choice of layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Preference {
    #[default]
    Auto,
    V2,
    V1,
    None,
}

/// The cgroup limits of one job. A zero field leaves that resource unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CgLimits {
    /// Memory of the whole job (no swap on top).
    pub memory_bytes: u64,
    /// Processes and threads alive at once.
    pub pids: u32,
    /// CPU quota: 1.0 is one core.
    pub cpu_cores: f64,
}

/// A job's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub cpu: Duration,
    pub memory_peak_bytes: u64,
    pub oom_kills: u64,
    /// Times a fork failed on the pids limit.
    pub pids_max_events: u64,
}

/// The detected layout and our parent cgroup in it; cheap to clone.
#[derive(Debug, Clone)]
pub struct Cgroups {
    backend: Arc<Backend>,
}

#[derive(Debug)]
enum Backend {
    None,
    V1(v1::V1),
    V2(v2::V2),
}

/// How long `detect` waits for a stale job's processes to die before leaving it for next time.
const SWEEP_WAIT: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(1);

impl Cgroups {
    /// Detect the cgroup layout and prepare a parent cgroup named `parent` (e.g. "tandem-runner")
    /// under our own cgroup in each hierarchy used, then sweep job cgroups an earlier crash left
    /// there (kill what is inside, rmdir). Auto takes v2 when the cgroup2 tree offers memory, pids
    /// and cpu, else v1 when those hierarchies (and cpuacct) are mounted and writable, else none;
    /// an explicit V2 or V1 that is not usable is an error.
    ///
    /// `parent` must be unique to this runner on the host: the sweep kills whatever is under it.
    pub fn detect(pref: Preference, parent: &str) -> Result<Cgroups, RunnerError> {
        if !valid_name(parent) {
            return Err(RunnerError::Config(format!(
                "cgroup parent {parent:?}: use [A-Za-z0-9_-]"
            )));
        }
        let backend = if pref == Preference::None {
            Backend::None
        } else {
            let read = |p: &str| std::fs::read_to_string(p).map_err(|e| files::err(p.into(), e));
            let mounts = parse::parse_mountinfo(&read("/proc/self/mountinfo")?);
            let own = parse::parse_proc_cgroup(&read("/proc/self/cgroup")?);
            match pref {
                Preference::V2 => Backend::V2(v2::V2::detect(&mounts, &own, parent)?),
                Preference::V1 => Backend::V1(v1::V1::detect(&mounts, &own, parent)?),
                _ => auto(&mounts, &own, parent),
            }
        };
        let cg = Cgroups {
            backend: Arc::new(backend),
        };
        cg.sweep();
        tracing::info!(mode = %cg.mode(), parent, "cgroups");
        Ok(cg)
    }

    pub fn mode(&self) -> Mode {
        match *self.backend {
            Backend::None => Mode::None,
            Backend::V1(_) => Mode::V1,
            Backend::V2(_) => Mode::V2,
        }
    }

    /// Create the job cgroup `name` (a run id: [A-Za-z0-9_-]) with `limits`, before any process
    /// joins it. In Mode::None the job does nothing.
    pub fn create(&self, name: &str, limits: &CgLimits) -> Result<JobCgroup, RunnerError> {
        if !valid_name(name) {
            return Err(RunnerError::Config(format!(
                "cgroup name {name:?}: use [A-Za-z0-9_-]"
            )));
        }
        let job = match &*self.backend {
            Backend::None => Job::None,
            Backend::V1(v) => Job::V1(v.create(name, limits)?),
            Backend::V2(v) => Job::V2(v.create(name, Some(limits))?),
        };
        Ok(JobCgroup { job })
    }

    fn sweep(&self) {
        let stale: Vec<JobCgroup> = match &*self.backend {
            Backend::None => Vec::new(),
            Backend::V1(v) => v.children().iter().map(|n| Job::V1(v.job(n))).collect(),
            Backend::V2(v) => v.children().iter().map(|n| Job::V2(v.job(n))).collect(),
        }
        .into_iter()
        .map(|job| JobCgroup { job })
        .collect();
        if stale.is_empty() {
            return;
        }
        tracing::warn!(
            count = stale.len(),
            "sweeping job cgroups left by an earlier runner"
        );
        stale.iter().for_each(JobCgroup::kill);
        let deadline = Instant::now() + SWEEP_WAIT;
        while Instant::now() < deadline && !stale.iter().all(JobCgroup::is_empty) {
            std::thread::sleep(POLL);
        }
        for job in &stale {
            if let Err(e) = files::rmdir_all(&job.dirs()) {
                tracing::warn!(job = ?job, error = %e, "stale job cgroup not removed");
            }
        }
    }

    /// At shutdown, after every job was removed: rmdir the parent cgroups, so a runner whose
    /// parent name is not reused leaves nothing behind. False (and a warning) if a job is left.
    pub fn remove_parent(&self) -> bool {
        let mut ok = true;
        for dir in self.parent_dirs() {
            match std::fs::remove_dir(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(dir = %dir.display(), error = %e, "parent cgroup not removed");
                    ok = false;
                }
                _ => {}
            }
        }
        ok
    }

    /// Parent cgroups named `<prefix>-<pid>-<n>` next to ours whose runner process is gone
    /// (it crashed or was killed): each should be swept with `detect` and removed.
    pub fn dead_siblings(&self, prefix: &str) -> Vec<String> {
        let Some(parent) = self.parent_dirs().into_iter().next() else {
            return Vec::new();
        };
        let Some(dir) = parent.parent() else {
            return Vec::new();
        };
        files::child_dirs(dir)
            .into_iter()
            .filter(|name| {
                let pid = name
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix('-'))
                    .and_then(|r| r.split('-').next())
                    .and_then(|p| p.parse::<u32>().ok());
                pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
            })
            .collect()
    }

    fn parent_dirs(&self) -> Vec<std::path::PathBuf> {
        match &*self.backend {
            Backend::None => Vec::new(),
            Backend::V1(v) => v.parents().iter().map(|p| p.to_path_buf()).collect(),
            Backend::V2(v) => vec![v.parent().to_path_buf()],
        }
    }
}

fn auto(mounts: &[parse::CgroupMount], own: &[parse::Membership], parent: &str) -> Backend {
    let v2 = match v2::V2::detect(mounts, own, parent) {
        Ok(v) => return Backend::V2(v),
        Err(e) => e,
    };
    match v1::V1::detect(mounts, own, parent) {
        Ok(v) => {
            tracing::debug!(why = %v2, "cgroup v2 not usable");
            Backend::V1(v)
        }
        Err(v1) => {
            tracing::warn!(%v2, %v1, "no usable cgroups: jobs get rlimits only");
            Backend::None
        }
    }
}

/// CFS quota in microseconds per `period`, or None for no limit. The kernel's floor is 1 ms.
fn quota_us(cores: f64, period: u64) -> Option<u64> {
    (cores > 0.0 && cores.is_finite()).then(|| ((cores * period as f64).round() as u64).max(1000))
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
