//! Small cgroupfs helpers shared by v1 and v2: writing and reading interface files, killing the
//! listed processes, and removing job directories.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::RunnerError;

/// Rounds of read-and-kill before `kill` gives up; only processes that fork faster than we read
/// (no freezer) need more than one.
const KILL_ROUNDS: usize = 16;

/// Writes `value` in one write(2). No O_CREAT: a missing interface file is ENOENT, which callers
/// treat as "this kernel has no such knob".
pub(super) fn write(dir: &Path, file: &str, value: &str) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join(file))?;
    f.write_all(value.as_bytes())
}

/// `write`, with a missing file counted as success (optional knobs).
pub(super) fn write_optional(dir: &Path, file: &str, value: &str) -> io::Result<()> {
    match write(dir, file, value) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

/// `write`, with the error naming the file.
pub(super) fn set(dir: &Path, file: &str, value: &str) -> Result<(), RunnerError> {
    write(dir, file, value).map_err(|e| err(dir.join(file), e))
}

/// `write_optional`, with the error naming the file.
pub(super) fn set_optional(dir: &Path, file: &str, value: &str) -> Result<(), RunnerError> {
    write_optional(dir, file, value).map_err(|e| err(dir.join(file), e))
}

pub(super) fn err(path: PathBuf, source: io::Error) -> RunnerError {
    RunnerError::Cgroup { path, source }
}

/// A single-number file such as `cpuacct.usage`; 0 when unreadable.
pub(super) fn read_u64(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// The value of `key` in a flat keyed file (`key value` lines: `memory.events`, `pids.events`).
pub(super) fn read_key(path: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The pids in `dir/cgroup.procs`; none when unreadable (a directory already removed).
pub(super) fn read_pids(dir: &Path) -> Vec<i32> {
    std::fs::read_to_string(dir.join("cgroup.procs"))
        .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// SIGKILLs every process listed in the `dirs`' `cgroup.procs`, with `freeze(true)` before and
/// `freeze(false)` after each round so nothing forks between the read and the kill.
/// Returns once every listed process has been sent SIGKILL: they cannot fork any more, and
/// waiting for them to exit is `remove`'s job.
pub(super) fn kill_listed(dirs: &[&Path], freeze: &dyn Fn(bool)) {
    // Never ourselves, even if a confused caller put us in the job.
    let me = i32::try_from(std::process::id()).unwrap_or(0);
    let listed = || -> Vec<i32> {
        let mut pids: Vec<i32> = dirs
            .iter()
            .flat_map(|d| read_pids(d))
            .filter(|&p| p > 0 && p != me)
            .collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    };
    let mut killed = HashSet::new();
    for _ in 0..KILL_ROUNDS {
        if listed().iter().all(|p| killed.contains(p)) {
            return;
        }
        freeze(true);
        for pid in listed() {
            if killed.insert(pid) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        freeze(false);
    }
    tracing::warn!(dirs = ?dirs, "cgroup still gaining processes after {KILL_ROUNDS} kill rounds");
}

/// rmdir of each dir (a missing one counts as removed). A dir that refuses is retried after its
/// child cgroups are removed, in case the job made some. Returns the first error.
pub(super) fn rmdir_all(dirs: &[&Path]) -> io::Result<()> {
    let mut first = Ok(());
    for dir in dirs {
        if let Err(e) = rmdir_tree(dir)
            && first.is_ok()
        {
            first = Err(e);
        }
    }
    first
}

fn rmdir_tree(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(_) => {}
    }
    // cgroupfs lists only interface files and child cgroups, and only the latter are dirs.
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            rmdir_tree(&entry.path())?;
        }
    }
    match std::fs::remove_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

/// Names of the child cgroups of `dir` (none if it cannot be listed).
pub(super) fn child_dirs(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

/// mkdir that accepts an existing directory (a parent made by an earlier run).
pub(super) fn mkdir_existing_ok(dir: &Path) -> io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        r => r,
    }
}
