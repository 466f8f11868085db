//! cgroup v2: one parent cgroup under ours with memory, pids and cpu delegated to its children;
//! each job is one child directory.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::files::{self, err, read_key, read_u64, set, set_optional, write};
use super::parse::{CgroupMount, Membership, v2_dir};
use super::{CgLimits, Stats};
use crate::RunnerError;

const NEEDED: [&str; 3] = ["memory", "pids", "cpu"];
const PERIOD_US: u64 = 100_000;

#[derive(Debug, Clone)]
pub(super) struct V2 {
    parent: PathBuf,
}

impl V2 {
    /// Delegates memory, pids and cpu from our cgroup to `parent` and from `parent` to its
    /// children; an error says why v2 is not usable.
    pub fn detect(
        mounts: &[CgroupMount],
        own: &[Membership],
        parent: &str,
    ) -> Result<V2, RunnerError> {
        let own_dir = v2_dir(mounts, own)
            .ok_or_else(|| RunnerError::Config("cgroup v2: no cgroup2 mount".into()))?;
        let offered = read_list(&own_dir.join("cgroup.controllers"));
        if let Some(c) = NEEDED.iter().find(|c| !offered.iter().any(|o| o == *c)) {
            return Err(RunnerError::Config(format!(
                "cgroup v2: {} offers no {c} controller (only {offered:?})",
                own_dir.display()
            )));
        }
        match enable(&own_dir) {
            Err(e) if e.raw_os_error() == Some(nix::errno::Errno::EBUSY as i32) => {
                leave_for_leaf(&own_dir, parent)?;
                enable(&own_dir).map_err(|e| err(own_dir.join("cgroup.subtree_control"), e))?;
            }
            r => r.map_err(|e| err(own_dir.join("cgroup.subtree_control"), e))?,
        }
        let dir = own_dir.join(parent);
        files::mkdir_existing_ok(&dir).map_err(|e| err(dir.clone(), e))?;
        // The parent never holds a process, so v2's no-internal-process rule allows this.
        enable(&dir).map_err(|e| err(dir.join("cgroup.subtree_control"), e))?;
        Ok(V2 { parent: dir })
    }

    /// A parent that is used as is, for tests on trees without the controllers.
    #[cfg(test)]
    pub fn at(parent: PathBuf) -> V2 {
        V2 { parent }
    }

    pub fn parent(&self) -> &Path {
        &self.parent
    }

    pub fn job(&self, name: &str) -> Job {
        Job {
            dir: self.parent.join(name),
        }
    }

    pub fn children(&self) -> Vec<String> {
        files::child_dirs(&self.parent)
    }

    /// Makes the job's directory and writes its limits, before any process joins.
    pub fn create(&self, name: &str, limits: Option<&CgLimits>) -> Result<Job, RunnerError> {
        let job = self.job(name);
        std::fs::create_dir(&job.dir).map_err(|e| err(job.dir.clone(), e))?;
        if let Some(l) = limits
            && let Err(e) = job.apply(l)
        {
            let _ = std::fs::remove_dir(&job.dir);
            return Err(e);
        }
        Ok(job)
    }
}

/// A non-root cgroup that holds processes cannot delegate controllers (EBUSY), so when we are
/// alone in ours we move into a leaf beside `parent` (as container init scripts do).
fn leave_for_leaf(own_dir: &Path, parent: &str) -> Result<(), RunnerError> {
    let me = std::process::id();
    let others: Vec<i32> = files::read_pids(own_dir)
        .into_iter()
        .filter(|&p| p as u32 != me)
        .collect();
    if !others.is_empty() {
        return Err(RunnerError::Config(format!(
            "cgroup v2: {} also holds processes {others:?}, so it cannot delegate controllers; \
             start the runner alone in its cgroup",
            own_dir.display()
        )));
    }
    let leaf = own_dir.join(format!("{parent}-supervisor"));
    files::mkdir_existing_ok(&leaf).map_err(|e| err(leaf.clone(), e))?;
    write(&leaf, "cgroup.procs", &me.to_string()).map_err(|e| err(leaf.join("cgroup.procs"), e))?;
    tracing::info!(cgroup = %leaf.display(), "moved the runner to a leaf to delegate controllers");
    Ok(())
}

fn enable(dir: &Path) -> io::Result<()> {
    let on = read_list(&dir.join("cgroup.subtree_control"));
    let add: Vec<String> = NEEDED
        .iter()
        .filter(|c| !on.iter().any(|o| o == *c))
        .map(|c| format!("+{c}"))
        .collect();
    if add.is_empty() {
        return Ok(());
    }
    write(dir, "cgroup.subtree_control", &add.join(" "))
}

fn read_list(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[derive(Debug)]
pub(super) struct Job {
    dir: PathBuf,
}

impl Job {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(super) fn apply(&self, l: &CgLimits) -> Result<(), RunnerError> {
        let d = &self.dir;
        if l.memory_bytes > 0 {
            set(d, "memory.max", &l.memory_bytes.to_string())?;
            set_optional(d, "memory.swap.max", "0")?;
            // One OOM kills the whole job, not just its largest process.
            set_optional(d, "memory.oom.group", "1")?;
        }
        if l.pids > 0 {
            set(d, "pids.max", &l.pids.to_string())?;
        }
        if let Some(quota) = super::quota_us(l.cpu_cores, PERIOD_US) {
            set(d, "cpu.max", &format!("{quota} {PERIOD_US}"))?;
        }
        Ok(())
    }

    pub fn stats(&self) -> Stats {
        let d = &self.dir;
        // memory.peak is 5.19+; the current usage is a floor for older kernels.
        let peak = match read_u64(&d.join("memory.peak")) {
            0 => read_u64(&d.join("memory.current")),
            p => p,
        };
        Stats {
            cpu: Duration::from_micros(read_key(&d.join("cpu.stat"), "usage_usec").unwrap_or(0)),
            memory_peak_bytes: peak,
            oom_kills: read_key(&d.join("memory.events"), "oom_kill").unwrap_or(0),
            pids_max_events: read_key(&d.join("pids.events"), "max").unwrap_or(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        match read_key(&self.dir.join("cgroup.events"), "populated") {
            Some(n) => n == 0,
            None => files::read_pids(&self.dir).is_empty(),
        }
    }

    pub fn kill(&self) {
        // cgroup.kill (5.14+) also catches processes forked while it runs.
        if write(&self.dir, "cgroup.kill", "1").is_err() {
            self.kill_by_pid();
        }
    }

    /// The fallback for kernels without cgroup.kill.
    pub fn kill_by_pid(&self) {
        let freeze = |on: bool| {
            let _ = write(&self.dir, "cgroup.freeze", if on { "1" } else { "0" });
        };
        files::kill_listed(&[&self.dir], &freeze);
    }
}
