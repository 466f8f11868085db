//! The jail itself (hakoniwa): namespaces, a minimal read-only root, the work dir tmpfs,
//! rlimits, Landlock and seccomp around the program (started by `init` as PID 1).
#![allow(unsafe_code)]

use std::ffi::CString;
use std::path::Path;

use hakoniwa::landlock::{CompatMode, FsAccess, Resource, Ruleset};
use hakoniwa::{Container, Namespace, Rlimit, Stdio};

use super::init;
use super::workdir::{self, TMP_SUBDIR, WorkDir};
use super::{Outcome, Report, Spec, WORK_DIR};

/// The program's uid and gid inside the jail (the host sees the sandbox uid).
const JAIL_UID: u32 = 1000;

/// Extra time hakoniwa allows past the server's wall clock before killing on its own: a backstop
/// should the server die.
const BACKSTOP_SECS: u64 = 5;

/// Runs the program in the jail and waits for it. `dirs` are the tmpfs from `workdir::enter`,
/// already holding the files.
pub fn run(spec: &Spec, dirs: &WorkDir) -> Result<Report, String> {
    let container = container(spec, dirs);
    let stdin = stdin_file(&spec.stdin).map_err(|e| format!("stdin: {e}"))?;
    let argv: Vec<CString> = spec
        .argv
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| "a NUL byte in the command line")?;
    let program = argv.first().ok_or("empty command line")?.clone();
    let filters = super::seccomp::filters().map_err(|e| format!("seccomp filter: {e}"))?;
    // SAFETY: hakoniwa runs the closure in a process it forks; this helper is single-threaded,
    // so no lock can be held across that fork.
    let mut command =
        unsafe { container.command_from_closure(move || init::run(&program, &argv, &filters)) };
    command
        .current_dir(WORK_DIR)
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .wait_timeout(spec.limits.wall_ms.div_ceil(1000) + BACKSTOP_SECS);
    for (k, v) in &spec.env {
        command.env(k, v);
    }
    let status = command
        .status()
        .map_err(|e| format!("starting the jail: {e}"))?;
    let (cpu_ms, max_rss_bytes) = status.rusage.as_ref().map_or((0, 0), |r| {
        let cpu = r.user_time + r.system_time;
        (cpu.as_millis() as u64, (r.max_rss as u64) * 1024)
    });
    // Init's record first: its own exit code folds a signal into 128 + n.
    let outcome = match (init::read_status(&dirs.work), status.exit_code) {
        (Some(outcome), _) => outcome,
        (None, Some(code)) => Outcome::Exited(code),
        (None, None) if status.reason.contains("signal") && status.code > 128 => {
            Outcome::Signaled(status.code - 128)
        }
        (None, None) => Outcome::Failed(status.reason),
    };
    Ok(Report {
        outcome,
        cpu_ms,
        max_rss_bytes,
        disk_limit: workdir::hit_disk_limit(&dirs.work, spec.limits.file_bytes),
    })
}

fn container(spec: &Spec, dirs: &WorkDir) -> Container {
    let mut c = Container::new();
    c.rootdir(&dirs.root);
    for ns in [
        Namespace::Network,
        Namespace::Ipc,
        Namespace::Uts,
        Namespace::Cgroup,
    ] {
        c.unshare(ns);
    }
    c.uidmap(JAIL_UID).gidmap(JAIL_UID).hostname("sandbox");
    c.bindmount_ro("/usr", "/usr");
    for (dir, link) in [
        ("usr/bin", "/bin"),
        ("usr/sbin", "/sbin"),
        ("usr/lib", "/lib"),
        ("usr/lib64", "/lib64"),
        ("usr/lib32", "/lib32"),
    ] {
        if Path::new("/").join(dir).is_dir() {
            c.symlink(dir, link);
        }
    }
    // A curated /etc: the host's holds secrets and machine identity.
    for etc in [
        "/etc/alternatives",
        "/etc/ld.so.cache",
        "/etc/ssl",
        "/etc/localtime",
    ] {
        if Path::new(etc).exists() {
            c.bindmount_ro(etc, etc);
        }
    }
    c.file(
        "/etc/passwd",
        &format!("root:x:0:0:root:/root:/bin/sh\nsandbox:x:{JAIL_UID}:{JAIL_UID}:sandbox:{WORK_DIR}:/bin/sh\n"),
    );
    c.file("/etc/group", &format!("root:x:0:\nsandbox:x:{JAIL_UID}:\n"));
    c.file("/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n");
    for m in &dirs.mounts {
        c.bindmount_ro(&m.host.to_string_lossy(), &m.jail);
    }
    c.devfsmount("/dev");
    c.bindmount_rw(&dirs.work.to_string_lossy(), WORK_DIR);
    c.symlink(&format!("{WORK_DIR}/{TMP_SUBDIR}"), "/tmp");
    let l = &spec.limits;
    let cpu_secs = l.cpu_ms.div_ceil(1000).max(1);
    // Soft limit sends SIGXCPU (reported as the CPU limit); the hard one a second later SIGKILLs.
    c.setrlimit(Rlimit::Cpu, cpu_secs, cpu_secs + 1)
        .setrlimit(Rlimit::Fsize, l.file_bytes, l.file_bytes)
        .setrlimit(
            Rlimit::Nofile,
            u64::from(l.open_files),
            u64::from(l.open_files),
        )
        .setrlimit(Rlimit::Core, 0, 0);
    c.landlock_ruleset(landlock());
    c
}

/// Filesystem rules on top of the mounts (Landlock where the kernel has it), and no TCP bind or
/// connect at all, even on the jail's own loopback.
fn landlock() -> Ruleset {
    let mut r = Ruleset::default();
    r.restrict(Resource::FS, CompatMode::Relax)
        .restrict(Resource::NET_TCP_BIND, CompatMode::Relax)
        .restrict(Resource::NET_TCP_CONNECT, CompatMode::Relax);
    // Reading anywhere in the jail's own small root is fine (and `ls /` works); writing is
    // confined to the work dir, /dev and /proc.
    r.allow_path("/", FsAccess::R | FsAccess::X)
        .allow_path("/proc", FsAccess::R | FsAccess::W)
        .allow_path("/dev", FsAccess::R | FsAccess::W)
        .allow_path(WORK_DIR, FsAccess::R | FsAccess::W | FsAccess::X);
    r
}

/// The program's stdin: an in-memory file holding the request's bytes.
fn stdin_file(bytes: &[u8]) -> std::io::Result<std::fs::File> {
    use std::io::{Seek, Write};
    let fd = nix::sys::memfd::memfd_create(c"stdin", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    file.rewind()?;
    Ok(file)
}
