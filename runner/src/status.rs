//! A run's final status: a kill by the server first, then a limit the kernel enforced, then the
//! program's own ending — with a sentence for the people reading the terminal.

use std::time::Instant;

use crate::cgroup::{Mode, Stats};
use crate::jail::{Outcome, Report};
use crate::limits::Limits;
use crate::proto::{self, KillReason, finished::Status};

const SIGKILL: i32 = 9;
const SIGXCPU: i32 = 24;
const SIGXFSZ: i32 = 25;

/// The final status: a kill by us first, then a limit the kernel enforced, then the program's
/// own ending.
pub fn finished(
    started: Instant,
    limits: &Limits,
    mode: Mode,
    kill: Option<KillReason>,
    report: Option<Report>,
    stats: Stats,
) -> proto::Finished {
    let (cpu_ms, peak) = match (&report, mode) {
        (_, Mode::V1 | Mode::V2) => (stats.cpu.as_millis() as u64, stats.memory_peak_bytes),
        (Some(r), Mode::None) => (r.cpu_ms, r.max_rss_bytes),
        (None, Mode::None) => (0, 0),
    };
    let oom = stats.oom_kills > 0;
    let status = match (kill, report) {
        (Some(reason), _) => Status::Killed(reason as i32),
        (None, None) if oom => Status::Killed(KillReason::Memory as i32),
        (None, None) => Status::Failed("the sandbox helper ended without a report".into()),
        (None, Some(r)) => match r.outcome {
            Outcome::Failed(m) => Status::Failed(m),
            Outcome::Signaled(_) if oom => Status::Killed(KillReason::Memory as i32),
            Outcome::Signaled(SIGXCPU) => Status::Killed(KillReason::Cpu as i32),
            Outcome::Signaled(SIGKILL) if cpu_ms >= limits.cpu_ms => {
                Status::Killed(KillReason::Cpu as i32)
            }
            Outcome::Signaled(SIGXFSZ) => Status::Killed(KillReason::Disk as i32),
            Outcome::Signaled(s) => Status::Signaled(s),
            Outcome::Exited(0) => Status::Exited(0),
            Outcome::Exited(_) if oom => Status::Killed(KillReason::Memory as i32),
            Outcome::Exited(_) if r.disk_limit => Status::Killed(KillReason::Disk as i32),
            Outcome::Exited(_) if stats.pids_max_events > 0 => {
                Status::Killed(KillReason::Pids as i32)
            }
            Outcome::Exited(code) => Status::Exited(code),
        },
    };
    let message = describe(&status, limits);
    proto::Finished {
        status: Some(status),
        wall_ms: started.elapsed().as_millis() as u64,
        cpu_ms,
        peak_memory_bytes: peak,
        message,
    }
}

pub fn failed(started: Instant, message: String) -> proto::Finished {
    proto::Finished {
        status: Some(Status::Failed(message)),
        wall_ms: started.elapsed().as_millis() as u64,
        ..Default::default()
    }
}

/// A sentence for people reading the terminal.
pub fn describe(status: &Status, l: &Limits) -> String {
    let mib = |b: u64| format!("{} MiB", b >> 20);
    let secs = |ms: u64| format!("{} s", ms as f64 / 1000.0);
    match status {
        Status::Killed(r) => match KillReason::try_from(*r).unwrap_or_default() {
            KillReason::Timeout => format!("wall-clock limit of {} reached", secs(l.wall_ms)),
            KillReason::Cpu => format!("CPU time limit of {} reached", secs(l.cpu_ms)),
            KillReason::Memory => format!("memory limit of {} reached", mib(l.memory_bytes)),
            KillReason::Pids => format!("process limit of {} reached", l.pids),
            KillReason::Output => format!("output limit of {} bytes reached", l.output_bytes),
            KillReason::Disk => format!(
                "disk limit reached ({} in all, {} per file)",
                mib(l.disk_bytes),
                mib(l.file_bytes)
            ),
            KillReason::Cancelled => "cancelled".into(),
            KillReason::Unspecified => "killed".into(),
        },
        Status::Signaled(s) => format!("killed by signal {s}"),
        Status::Exited(_) | Status::Failed(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn report(outcome: Outcome, disk_limit: bool) -> Option<Report> {
        Some(Report {
            outcome,
            cpu_ms: 0,
            max_rss_bytes: 0,
            disk_limit,
        })
    }

    #[test]
    fn the_status_names_the_limit_that_ended_the_run() {
        let l = Limits::DEFAULT;
        let stats = |cpu_ms: u64, oom: u64, pids: u64| Stats {
            cpu: Duration::from_millis(cpu_ms),
            memory_peak_bytes: 1,
            oom_kills: oom,
            pids_max_events: pids,
        };
        let killed = |r: KillReason| Status::Killed(r as i32);
        let cases = [
            // (kill by the server, report, stats, expected)
            (
                Some(KillReason::Timeout),
                report(Outcome::Exited(0), true),
                stats(0, 1, 1),
                killed(KillReason::Timeout),
            ),
            (
                None,
                report(Outcome::Signaled(SIGXCPU), false),
                stats(5000, 0, 0),
                killed(KillReason::Cpu),
            ),
            (
                None,
                report(Outcome::Signaled(SIGKILL), false),
                stats(6000, 0, 0),
                killed(KillReason::Cpu),
            ),
            (
                None,
                report(Outcome::Signaled(SIGKILL), false),
                stats(10, 0, 0),
                Status::Signaled(SIGKILL),
            ),
            (
                None,
                report(Outcome::Signaled(SIGKILL), false),
                stats(10, 1, 0),
                killed(KillReason::Memory),
            ),
            (
                None,
                report(Outcome::Exited(1), false),
                stats(10, 1, 0),
                killed(KillReason::Memory),
            ),
            (
                None,
                report(Outcome::Exited(0), false),
                stats(10, 1, 0),
                Status::Exited(0),
            ),
            (
                None,
                report(Outcome::Signaled(SIGXFSZ), false),
                stats(10, 0, 0),
                killed(KillReason::Disk),
            ),
            (
                None,
                report(Outcome::Exited(1), true),
                stats(10, 0, 0),
                killed(KillReason::Disk),
            ),
            (
                None,
                report(Outcome::Exited(1), false),
                stats(10, 0, 3),
                killed(KillReason::Pids),
            ),
            (
                None,
                report(Outcome::Exited(3), false),
                stats(10, 0, 0),
                Status::Exited(3),
            ),
            (
                None,
                report(Outcome::Signaled(11), false),
                stats(10, 0, 0),
                Status::Signaled(11),
            ),
            (
                None,
                report(Outcome::Failed("no".into()), false),
                stats(0, 0, 0),
                Status::Failed("no".into()),
            ),
            (None, None, stats(0, 1, 0), killed(KillReason::Memory)),
        ];
        for (i, (kill, report, stats, expected)) in cases.into_iter().enumerate() {
            let f = finished(Instant::now(), &l, Mode::V1, kill, report, stats);
            assert_eq!(f.status, Some(expected), "case {i}");
        }
        let f = finished(Instant::now(), &l, Mode::V1, None, None, stats(0, 0, 0));
        assert!(matches!(f.status, Some(Status::Failed(m)) if m.contains("without a report")));
    }

    #[test]
    fn messages_state_the_limit() {
        let l = Limits::DEFAULT;
        let says = |r: KillReason| describe(&Status::Killed(r as i32), &l);
        assert_eq!(
            says(KillReason::Timeout),
            "wall-clock limit of 10 s reached"
        );
        assert_eq!(says(KillReason::Memory), "memory limit of 256 MiB reached");
        assert_eq!(says(KillReason::Pids), "process limit of 64 reached");
        assert_eq!(describe(&Status::Exited(0), &l), "");
    }
}
