//! The helper's steps: read the spec, join the job's cgroup, drop to the sandbox user, run the
//! jail, write the report. Single-threaded on purpose: hakoniwa forks, and a fork is only safe
//! when no other thread holds a lock.

use std::io::{BufRead, Read, Write};

use super::workdir::{self, WorkDir};
use super::{Outcome, Prelude, Report, Spec};

/// Exit status when no report could be written (the spec was unreadable).
const EXIT_NO_REPORT: i32 = 2;

/// Entry point of `tandem jail` / `tandem-jail`.
pub fn main() -> ! {
    let mut stdin = std::io::stdin().lock();
    let mut line = String::new();
    let prelude: Prelude = match stdin
        .read_line(&mut line)
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_str(&line).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tandem jail: bad prelude: {e}");
            std::process::exit(EXIT_NO_REPORT);
        }
    };
    // Joining now, while the helper waits in the pool, keeps the join's cost off the run.
    let joined = join(&prelude);
    let mut input = Vec::new();
    let spec: Spec = match stdin
        .read_to_end(&mut input)
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_slice(&input).map_err(|e| e.to_string()))
    {
        Ok(spec) => spec,
        Err(e) => {
            // A pooled helper whose runner went away gets no spec: nothing to report.
            if !input.is_empty() {
                eprintln!("tandem jail: bad spec: {e}");
            }
            std::process::exit(EXIT_NO_REPORT);
        }
    };
    // Opened before dropping privileges: the report file belongs to the runner.
    let mut report_file = match std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&spec.report)
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("tandem jail: report file {}: {e}", spec.report.display());
            std::process::exit(EXIT_NO_REPORT);
        }
    };
    let report = joined
        .and_then(|()| prepare(&spec))
        .and_then(|dirs| super::sandbox::run(&spec, &dirs))
        .unwrap_or_else(|message| Report {
            outcome: Outcome::Failed(message),
            cpu_ms: 0,
            max_rss_bytes: 0,
            disk_limit: false,
        });
    let json = serde_json::to_vec(&report).unwrap_or_default();
    let code = if report_file.write_all(&json).is_ok() {
        0
    } else {
        EXIT_NO_REPORT
    };
    std::process::exit(code)
}

fn join(prelude: &Prelude) -> Result<(), String> {
    let pid = std::process::id().to_string();
    for procs in &prelude.cgroup_procs {
        std::fs::write(procs, &pid)
            .map_err(|e| format!("joining cgroup {}: {e}", procs.display()))?;
    }
    Ok(())
}

/// Sets up the private work dir with the files, then gives up root for good.
fn prepare(spec: &Spec) -> Result<WorkDir, String> {
    let root = nix::unistd::Uid::effective().is_root();
    let owner = if root {
        (spec.uid, spec.gid)
    } else {
        (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        )
    };
    let dirs = workdir::enter(
        &spec.runtime_dir,
        spec.limits.disk_bytes,
        owner,
        root,
        &spec.mounts,
    )?;
    workdir::populate(&dirs.work, &spec.files, owner, spec.limits.file_bytes)?;
    if root {
        drop_root(spec.uid, spec.gid).map_err(|e| format!("dropping privileges: {e}"))?;
    }
    Ok(dirs)
}

fn drop_root(uid: u32, gid: u32) -> nix::Result<()> {
    use nix::unistd::{Gid, Uid, setgroups, setresgid, setresuid};
    let (uid, gid) = (Uid::from_raw(uid), Gid::from_raw(gid));
    setgroups(&[])?;
    setresgid(gid, gid, gid)?;
    setresuid(uid, uid, uid)?;
    // After setuid the kernel marks us non-dumpable, which makes /proc/self/uid_map unwritable
    // for the user namespace the jail creates next.
    nix::sys::prctl::set_dumpable(true)?;
    if nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(nix::errno::Errno::EPERM);
    }
    Ok(())
}
