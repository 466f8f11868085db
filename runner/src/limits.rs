//! Per-run limits: the server's defaults and maxima, and clamping what a client asks for.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::proto;

/// The limits one run executes under (resolved: no zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Wall-clock time, owned by the server: the whole cgroup is killed when it runs out.
    pub wall_ms: u64,
    /// CPU time (RLIMIT_CPU, whole seconds rounded up, plus the cgroup's usage).
    pub cpu_ms: u64,
    /// Memory of the whole job, tmpfs pages included (cgroup).
    pub memory_bytes: u64,
    /// Processes and threads alive at once (cgroup `pids.max`).
    pub pids: u32,
    /// stdout + stderr bytes streamed; the run is killed when it writes more.
    pub output_bytes: u64,
    /// Size of the work dir tmpfs.
    pub disk_bytes: u64,
    /// Largest single file (RLIMIT_FSIZE).
    pub file_bytes: u64,
    /// RLIMIT_NOFILE.
    pub open_files: u32,
}

impl Limits {
    /// Every field unset: as a request's limits, "the runner's default" for each.
    pub const UNSET: Limits = Limits {
        wall_ms: 0,
        cpu_ms: 0,
        memory_bytes: 0,
        pids: 0,
        output_bytes: 0,
        disk_bytes: 0,
        file_bytes: 0,
        open_files: 0,
    };

    /// The defaults when a client asks for nothing (Judge0-like: 5 s CPU, 10 s wall).
    pub const DEFAULT: Limits = Limits {
        wall_ms: 10_000,
        cpu_ms: 5_000,
        memory_bytes: 256 << 20,
        pids: 64,
        output_bytes: 1 << 20,
        disk_bytes: 64 << 20,
        file_bytes: 64 << 20,
        open_files: 256,
    };

    /// The most a client may ask for.
    pub const MAX: Limits = Limits {
        wall_ms: 60_000,
        cpu_ms: 30_000,
        memory_bytes: 1 << 30,
        pids: 256,
        output_bytes: 16 << 20,
        disk_bytes: 512 << 20,
        file_bytes: 512 << 20,
        open_files: 1024,
    };

    pub fn wall(&self) -> Duration {
        Duration::from_millis(self.wall_ms)
    }

    /// What a request gets: each field it leaves at zero takes `default`, and every field is
    /// capped at `max`.
    pub fn clamp(asked: Option<&proto::Limits>, default: &Limits, max: &Limits) -> Limits {
        let a = asked.cloned().unwrap_or_default();
        fn pick<T: Copy + Ord + Default>(asked: T, default: T, max: T) -> T {
            let v = if asked == T::default() {
                default
            } else {
                asked
            };
            v.min(max)
        }
        Limits {
            wall_ms: pick(a.wall_ms, default.wall_ms, max.wall_ms),
            cpu_ms: pick(a.cpu_ms, default.cpu_ms, max.cpu_ms),
            memory_bytes: pick(a.memory_bytes, default.memory_bytes, max.memory_bytes),
            pids: pick(a.pids, default.pids, max.pids),
            output_bytes: pick(a.output_bytes, default.output_bytes, max.output_bytes),
            disk_bytes: pick(a.disk_bytes, default.disk_bytes, max.disk_bytes),
            file_bytes: pick(a.file_bytes, default.file_bytes, max.file_bytes),
            open_files: pick(a.open_files, default.open_files, max.open_files),
        }
    }

    /// Every field in one unit-free list, for comparisons across all of them.
    fn fields(&self) -> [u64; 8] {
        [
            self.wall_ms,
            self.cpu_ms,
            self.memory_bytes,
            u64::from(self.pids),
            self.output_bytes,
            self.disk_bytes,
            self.file_bytes,
            u64::from(self.open_files),
        ]
    }

    /// No limit is zero (zero would mean "nothing may run").
    pub fn all_positive(&self) -> bool {
        self.fields().iter().all(|&v| v > 0)
    }

    /// Every field positive and at most `max`'s.
    pub fn valid_under(&self, max: &Limits) -> bool {
        self.all_positive() && self.fields().iter().zip(max.fields()).all(|(&v, m)| v <= m)
    }

    pub fn to_proto(&self) -> proto::Limits {
        proto::Limits {
            wall_ms: self.wall_ms,
            cpu_ms: self.cpu_ms,
            memory_bytes: self.memory_bytes,
            pids: self.pids,
            output_bytes: self.output_bytes,
            disk_bytes: self.disk_bytes,
            file_bytes: self.file_bytes,
            open_files: self.open_files,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_takes_the_default_and_everything_is_capped() {
        let asked = proto::Limits {
            wall_ms: 3_600_000,
            memory_bytes: 1 << 20,
            pids: 0,
            ..Default::default()
        };
        let l = Limits::clamp(Some(&asked), &Limits::DEFAULT, &Limits::MAX);
        assert_eq!(l.wall_ms, Limits::MAX.wall_ms, "an hour is capped");
        assert_eq!(l.memory_bytes, 1 << 20, "less than the default is allowed");
        assert_eq!(l.pids, Limits::DEFAULT.pids);
        assert_eq!(
            Limits::clamp(None, &Limits::DEFAULT, &Limits::MAX),
            Limits::DEFAULT
        );
        assert!(Limits::DEFAULT.valid_under(&Limits::MAX));
        assert!(!Limits::MAX.valid_under(&Limits::DEFAULT));
    }
}
