//! The two OS calls the bench needs that std lacks: CPU affinity and the open-files limit.
//!
//! This is the only place in the workspace allowed `unsafe`: two libc calls on plain structs.
#![allow(unsafe_code)]

use std::io;

use anyhow::{Context, Result, bail};

/// Pins the calling thread to `cpu`. Threads and processes it starts afterwards inherit the mask.
pub fn pin_current_thread(cpu: usize) -> Result<()> {
    if cpu >= libc::CPU_SETSIZE as usize {
        bail!("cpu {cpu} is out of range");
    }
    // SAFETY: `cpu_set_t` is a plain bit array for which all-zero is the empty set; `CPU_SET` is
    // given an index below CPU_SETSIZE (checked above); `sched_setaffinity` only reads the set,
    // whose size we pass, and pid 0 means the calling thread.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        return Err(io::Error::last_os_error())
            .with_context(|| format!("sched_setaffinity(cpu {cpu})"));
    }
    Ok(())
}

/// Raises the soft open-files limit to the hard one (thousands of sockets on both ends); returns
/// the limit now in force. A spawned server inherits it.
pub fn raise_open_files_limit() -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the one `rlimit` we own and pass by pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: setrlimit only reads the `rlimit` we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(lim.rlim_cur)
}
