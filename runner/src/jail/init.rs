//! PID 1 of the jail: starts the program as its child, reaps every orphan, and once the program
//! ends kills what it left behind and records how it ended.
//!
//! The program must not be PID 1 itself: the kernel drops signals to a namespace's init that it
//! has no handler for, so `abort()` would turn into SIGSEGV and SIGPIPE would be ignored, and
//! nothing would reap orphaned grandchildren.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io::Write;
use std::path::Path;

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, wait};
use nix::unistd::{ForkResult, Pid, execv, fork};

/// Where init records the program's ending, inside the work dir: `exited N` or `signaled N`.
/// Written after every other process in the jail is dead, over whatever the program left at
/// that path. (Its integrity protects nothing: a program could always just exit as it likes.)
pub const STATUS_FILE: &str = ".tandem-status";

/// Runs as the jail's PID 1 (a hakoniwa closure, in the freshly forked jail process, every other
/// layer already in place): applies the seccomp filters, then starts `program` (an absolute
/// path). Returns init's exit code: the program's, or 128 + its signal.
pub fn run(program: &CString, argv: &[CString], filters: &[seccompiler::BpfProgram]) -> i32 {
    for filter in filters {
        if let Err(e) = seccompiler::apply_filter(filter) {
            let _ = writeln!(std::io::stderr(), "tandem: seccomp: {e}");
            return 126;
        }
    }
    // SAFETY: this process was just forked by hakoniwa's single-threaded runc process; no other
    // thread exists, so the child may run anything before exec.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let err = execv(program, argv).unwrap_err();
            let _ = writeln!(
                std::io::stderr(),
                "tandem: cannot run `{}`: {err}",
                program.to_string_lossy()
            );
            std::process::exit(127);
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "tandem: fork: {e}");
            return 126;
        }
    };
    let ending = reap_until(child);
    // The run is over when its entry program is: stop anything it left running.
    let _ = kill(Pid::from_raw(-1), Signal::SIGKILL);
    while wait().is_ok() {}
    let (text, code) = match ending {
        Ending::Exited(c) => (format!("exited {c}"), c),
        Ending::Signaled(s) => (format!("signaled {s}"), 128 + s),
    };
    let path = Path::new(super::WORK_DIR).join(STATUS_FILE);
    let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
    let _ = std::fs::write(&path, text);
    code
}

enum Ending {
    Exited(i32),
    Signaled(i32),
}

fn reap_until(child: Pid) -> Ending {
    loop {
        match wait() {
            Ok(WaitStatus::Exited(pid, code)) if pid == child => return Ending::Exited(code),
            Ok(WaitStatus::Signaled(pid, sig, _)) if pid == child => {
                return Ending::Signaled(sig as i32);
            }
            Ok(_) => {}
            // No child left (cannot happen before ours is reaped, but never spin).
            Err(_) => return Ending::Exited(126),
        }
    }
}

/// Reads what init recorded (the helper, from the host side of the work dir).
pub fn read_status(work: &Path) -> Option<super::Outcome> {
    let text = std::fs::read_to_string(work.join(STATUS_FILE)).ok()?;
    let (kind, n) = text.split_once(' ')?;
    let n: i32 = n.trim().parse().ok()?;
    match kind {
        "exited" => Some(super::Outcome::Exited(n)),
        "signaled" => Some(super::Outcome::Signaled(n)),
        _ => None,
    }
}
