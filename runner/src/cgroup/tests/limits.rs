//! Limits and counters on real cgroups: OOM kill, pids.max events, CPU time.

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use super::*;

#[tokio::test]
async fn memory_limit_oom_kills() {
    if !root() {
        return;
    }
    let p = Parent::new(Preference::Auto);
    let limits = CgLimits {
        memory_bytes: 32 << 20,
        ..LIMITS
    };
    let job = p.cg.create("oom", &limits).unwrap();
    let status = spawn_in(&job, "exec /usr/bin/python3 -c 'b=bytearray(200<<20)'")
        .wait()
        .unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");
    let s = job.stats();
    assert!(s.oom_kills >= 1, "{s:?}");
    assert!(
        s.memory_peak_bytes > 0 && s.memory_peak_bytes <= 33 << 20,
        "{s:?}"
    );
    assert!(job.remove(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn pids_limit_counts_failed_forks() {
    if !root() {
        return;
    }
    let p = Parent::new(Preference::Auto);
    let job =
        p.cg.create("pids", &CgLimits { pids: 8, ..LIMITS })
            .unwrap();
    let mut child = spawn_in(
        &job,
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 30 & done; wait",
    );
    let t = Instant::now();
    while job.stats().pids_max_events == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "no pids.max event: {:?}",
            job.stats()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    job.kill();
    child.wait().unwrap();
    assert!(job.remove(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn cpu_time_is_counted() {
    if !root() {
        return;
    }
    let p = Parent::new(Preference::Auto);
    let job = p.cg.create("cpu", &LIMITS).unwrap();
    let status = spawn_in(&job, "exec /usr/bin/python3 -c 'sum(range(3_000_000))'")
        .wait()
        .unwrap();
    assert!(status.success(), "{status:?}");
    let s = job.stats();
    assert!(s.cpu >= Duration::from_millis(10), "{s:?}");
    assert!(s.memory_peak_bytes > 0 && s.oom_kills == 0, "{s:?}");
    assert!(job.remove(Duration::from_secs(1)).await);
}
