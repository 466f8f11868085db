//! cgroup v1: a job is one directory in each hierarchy we use (memory, pids, cpu, cpuacct, and
//! freezer when mounted); co-mounted hierarchies such as `cpu,cpuacct` share one directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::files::{self, err, read_key, read_u64, set, set_optional, write};
use super::parse::{CgroupMount, Membership, v1_dir};
use super::{CgLimits, Stats};
use crate::RunnerError;

/// CFS period of every job; quotas are cores times this.
const PERIOD_US: u64 = 100_000;

/// The parent directory in each hierarchy (equal paths when co-mounted).
#[derive(Debug, Clone)]
pub(super) struct V1 {
    memory: PathBuf,
    pids: PathBuf,
    cpu: PathBuf,
    cpuacct: PathBuf,
    freezer: Option<PathBuf>,
}

impl V1 {
    /// Finds the hierarchies and makes `parent` under our cgroup in each; an error says why v1 is
    /// not usable.
    pub fn detect(
        mounts: &[CgroupMount],
        own: &[Membership],
        parent: &str,
    ) -> Result<V1, RunnerError> {
        let dir = |c: &str| -> Result<PathBuf, RunnerError> {
            let d = v1_dir(mounts, own, c)
                .ok_or_else(|| RunnerError::Config(format!("cgroup v1: no {c} hierarchy mounted")))?
                .join(parent);
            files::mkdir_existing_ok(&d).map_err(|e| err(d.clone(), e))?;
            Ok(d)
        };
        let v1 = V1 {
            memory: dir("memory")?,
            pids: dir("pids")?,
            cpu: dir("cpu")?,
            cpuacct: dir("cpuacct")?,
            // Only makes kill tighter, so a missing or unwritable freezer is not an error.
            freezer: dir("freezer").ok(),
        };
        if !v1.memory.join("memory.limit_in_bytes").exists() {
            return Err(RunnerError::Config(
                "cgroup v1: memory.limit_in_bytes missing".into(),
            ));
        }
        Ok(v1)
    }

    pub fn job(&self, name: &str) -> Job {
        Job {
            memory: self.memory.join(name),
            pids: self.pids.join(name),
            cpu: self.cpu.join(name),
            cpuacct: self.cpuacct.join(name),
            freezer: self.freezer.as_ref().map(|f| f.join(name)),
        }
    }

    /// Every job directory name under the parent in any hierarchy.
    pub fn children(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .parents()
            .iter()
            .flat_map(|p| files::child_dirs(p))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    pub fn parents(&self) -> Vec<&Path> {
        distinct(
            [&self.memory, &self.pids, &self.cpu, &self.cpuacct]
                .into_iter()
                .chain(&self.freezer),
        )
    }

    /// Makes the job's directories and writes its limits, before any process joins.
    pub fn create(&self, name: &str, limits: &CgLimits) -> Result<Job, RunnerError> {
        let job = self.job(name);
        let dirs = job.dirs();
        for (i, d) in dirs.iter().enumerate() {
            if let Err(e) = std::fs::create_dir(d) {
                let _ = files::rmdir_all(&dirs[..i]);
                return Err(err(d.to_path_buf(), e));
            }
        }
        if let Err(e) = job.apply(limits) {
            let _ = files::rmdir_all(&dirs);
            return Err(e);
        }
        Ok(job)
    }
}

/// One job's directories.
#[derive(Debug)]
pub(super) struct Job {
    memory: PathBuf,
    pids: PathBuf,
    cpu: PathBuf,
    cpuacct: PathBuf,
    freezer: Option<PathBuf>,
}

impl Job {
    pub fn dirs(&self) -> Vec<&Path> {
        distinct(
            [&self.memory, &self.pids, &self.cpu, &self.cpuacct]
                .into_iter()
                .chain(&self.freezer),
        )
    }

    pub(super) fn apply(&self, l: &CgLimits) -> Result<(), RunnerError> {
        if l.memory_bytes > 0 {
            set_memory(&self.memory, l.memory_bytes)?;
        }
        if l.pids > 0 {
            set(&self.pids, "pids.max", &l.pids.to_string())?;
        }
        if let Some(quota) = super::quota_us(l.cpu_cores, PERIOD_US) {
            set(&self.cpu, "cpu.cfs_period_us", &PERIOD_US.to_string())?;
            set(&self.cpu, "cpu.cfs_quota_us", &quota.to_string())?;
        }
        Ok(())
    }

    pub fn stats(&self) -> Stats {
        Stats {
            cpu: Duration::from_nanos(read_u64(&self.cpuacct.join("cpuacct.usage"))),
            memory_peak_bytes: read_u64(&self.memory.join("memory.max_usage_in_bytes")),
            oom_kills: read_key(&self.memory.join("memory.oom_control"), "oom_kill").unwrap_or(0),
            pids_max_events: read_key(&self.pids.join("pids.events"), "max").unwrap_or(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dirs().iter().all(|d| files::read_pids(d).is_empty())
    }

    pub fn kill(&self) {
        let freezer = self.freezer.as_deref();
        let freeze = |on: bool| {
            if let Some(f) = freezer {
                let _ = write(f, "freezer.state", if on { "FROZEN" } else { "THAWED" });
            }
        };
        files::kill_listed(&self.dirs(), &freeze);
    }
}

/// memsw (memory+swap) may never be below the memory limit, so the order of the two writes
/// depends on whether the limit goes down or up; a fresh cgroup only ever goes down.
fn set_memory(dir: &Path, bytes: u64) -> Result<(), RunnerError> {
    let v = bytes.to_string();
    match write(dir, "memory.limit_in_bytes", &v) {
        Ok(()) => set_optional(dir, "memory.memsw.limit_in_bytes", &v),
        Err(e) if e.raw_os_error() == Some(nix::errno::Errno::EINVAL as i32) => {
            set_optional(dir, "memory.memsw.limit_in_bytes", &v)?;
            set(dir, "memory.limit_in_bytes", &v)
        }
        Err(e) => Err(err(dir.join("memory.limit_in_bytes"), e)),
    }
}

fn distinct<'a>(paths: impl Iterator<Item = &'a PathBuf>) -> Vec<&'a Path> {
    let mut out: Vec<&Path> = Vec::with_capacity(5);
    for p in paths {
        if !out.contains(&p.as_path()) {
            out.push(p);
        }
    }
    out
}
