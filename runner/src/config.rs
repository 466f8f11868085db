//! Runner settings: flags (`--runner-*`, each also a `TANDEM_RUNNER_*` variable) and the TOML
//! `[runner]` table, resolved once into a `Config`.

use std::path::PathBuf;

use serde::Deserialize;

use crate::RunnerError;
use crate::cgroup::Preference;
use crate::language::{self, Language};
use crate::limits::Limits;

/// The resolved configuration of a runner.
#[derive(Debug, Clone)]
pub struct Config {
    /// Runs executing at once.
    pub slots: usize,
    /// Runs one room may have executing at once, so one room cannot take every slot.
    pub per_room: usize,
    /// Runs waiting for a slot; beyond it a request is refused with `RESOURCE_EXHAUSTED`.
    pub queue: usize,
    /// Runs of one room waiting at once, so one room cannot fill the queue either.
    pub per_room_queue: usize,
    pub cgroup: Preference,
    /// The parent cgroup job cgroups are made under (in our own cgroup).
    pub cgroup_parent: String,
    /// CPU quota of one run, in cores.
    pub cpu_cores: f64,
    /// Host uid/gid the jailed program runs as when the runner is root.
    pub sandbox_uid: u32,
    pub sandbox_gid: u32,
    /// The jail helper's command line (program, then its leading arguments).
    pub jail: Vec<String>,
    pub default_limits: Limits,
    pub max_limits: Limits,
    pub languages: Vec<Language>,
    /// Largest `Run` request (all files and stdin together).
    pub max_request_bytes: usize,
}

/// Every runner setting, unresolved.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[group(id = "RunnerSettings")]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Runs executing at once (default: the number of cores).
    #[arg(long = "runner-slots", env = "TANDEM_RUNNER_SLOTS")]
    pub slots: Option<usize>,
    /// Runs one room may have executing at once (default: half the slots, at least 1).
    #[arg(long = "runner-per-room", env = "TANDEM_RUNNER_PER_ROOM")]
    pub per_room: Option<usize>,
    /// Runs waiting for a slot before new ones are refused (default 64).
    #[arg(long = "runner-queue", env = "TANDEM_RUNNER_QUEUE")]
    pub queue: Option<usize>,
    /// Runs of one room waiting at once (default: a quarter of the queue, at least 1).
    #[arg(long = "runner-per-room-queue", env = "TANDEM_RUNNER_PER_ROOM_QUEUE")]
    pub per_room_queue: Option<usize>,
    /// cgroup version: auto, v2, v1 or none (rlimits only; not for untrusted code).
    #[arg(long = "runner-cgroup", env = "TANDEM_RUNNER_CGROUP")]
    pub cgroup: Option<Preference>,
    /// CPU quota of one run in cores (default 1).
    #[arg(long = "runner-cpu-cores", env = "TANDEM_RUNNER_CPU_CORES")]
    pub cpu_cores: Option<f64>,
    /// Host uid (and gid) jailed programs run as when the runner is root (default 60999).
    #[arg(long = "runner-sandbox-uid", env = "TANDEM_RUNNER_SANDBOX_UID")]
    pub sandbox_uid: Option<u32>,
    /// Path of the jail helper program (default: this binary's `jail` subcommand).
    #[arg(long = "runner-jail", env = "TANDEM_RUNNER_JAIL")]
    pub jail: Option<PathBuf>,
    /// Limits a run gets when it asks for none (TOML table `[runner.default_limits]`).
    #[arg(skip)]
    pub default_limits: Option<LimitSettings>,
    /// The most a run may ask for (TOML table `[runner.max_limits]`).
    #[arg(skip)]
    pub max_limits: Option<LimitSettings>,
    /// Replaces the built-in language table (TOML `[[runner.languages]]`).
    #[arg(skip)]
    pub languages: Option<Vec<Language>>,
    /// Longest wall-clock time a run may ask for (overrides `max_limits.wall_ms`).
    #[arg(long = "runner-max-wall-ms", env = "TANDEM_RUNNER_MAX_WALL_MS")]
    #[serde(skip)]
    pub max_wall_ms: Option<u64>,
    /// Most memory a run may ask for (overrides `max_limits.memory_bytes`).
    #[arg(
        long = "runner-max-memory-bytes",
        env = "TANDEM_RUNNER_MAX_MEMORY_BYTES"
    )]
    #[serde(skip)]
    pub max_memory_bytes: Option<u64>,
    /// Most output a run may ask for (overrides `max_limits.output_bytes`).
    #[arg(
        long = "runner-max-output-bytes",
        env = "TANDEM_RUNNER_MAX_OUTPUT_BYTES"
    )]
    #[serde(skip)]
    pub max_output_bytes: Option<u64>,
    /// Largest run request, files and stdin together (default 64 MiB).
    #[arg(
        long = "runner-max-request-bytes",
        env = "TANDEM_RUNNER_MAX_REQUEST_BYTES"
    )]
    pub max_request_bytes: Option<usize>,
}

/// Limits with every field optional: in TOML (a missing key keeps the built-in value) and in
/// requests from JSON callers (a missing one asks for the runner's default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub wall_ms: Option<u64>,
    pub cpu_ms: Option<u64>,
    pub memory_bytes: Option<u64>,
    pub pids: Option<u32>,
    pub output_bytes: Option<u64>,
    pub disk_bytes: Option<u64>,
    pub file_bytes: Option<u64>,
    pub open_files: Option<u32>,
}

impl LimitSettings {
    /// As a request's limits: zero (a missing field) means "the runner's default".
    pub fn to_proto(&self) -> crate::proto::Limits {
        self.over(Limits::UNSET).to_proto()
    }

    fn over(&self, base: Limits) -> Limits {
        Limits {
            wall_ms: self.wall_ms.unwrap_or(base.wall_ms),
            cpu_ms: self.cpu_ms.unwrap_or(base.cpu_ms),
            memory_bytes: self.memory_bytes.unwrap_or(base.memory_bytes),
            pids: self.pids.unwrap_or(base.pids),
            output_bytes: self.output_bytes.unwrap_or(base.output_bytes),
            disk_bytes: self.disk_bytes.unwrap_or(base.disk_bytes),
            file_bytes: self.file_bytes.unwrap_or(base.file_bytes),
            open_files: self.open_files.unwrap_or(base.open_files),
        }
    }
}

/// Host uid of jailed programs by default: high, unnamed, owned by nothing else.
pub const DEFAULT_SANDBOX_UID: u32 = 60999;

impl Settings {
    /// `flags` over `self` (the TOML table) over defaults. `default_jail` is the helper command
    /// the hosting binary provides (`[<tandem>, "jail"]`).
    pub fn resolve(
        self,
        flags: Settings,
        default_jail: Vec<String>,
    ) -> Result<Config, RunnerError> {
        let file = self;
        macro_rules! pick {
            ($f:ident) => {
                flags.$f.clone().or(file.$f.clone())
            };
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let slots = pick!(slots).unwrap_or(cores);
        let per_room = pick!(per_room).unwrap_or((slots / 2).max(1));
        let mut max_limits = pick!(max_limits).map_or(Limits::MAX, |l| l.over(Limits::MAX));
        if let Some(v) = pick!(max_wall_ms) {
            max_limits.wall_ms = v;
        }
        if let Some(v) = pick!(max_memory_bytes) {
            max_limits.memory_bytes = v;
        }
        if let Some(v) = pick!(max_output_bytes) {
            max_limits.output_bytes = v;
        }
        let default_limits =
            pick!(default_limits).map_or(Limits::DEFAULT, |l| l.over(Limits::DEFAULT));
        // A default above a lowered maximum follows the maximum.
        let default_limits = Limits::clamp(
            Some(&default_limits.to_proto()),
            &default_limits,
            &max_limits,
        );
        let uid = pick!(sandbox_uid).unwrap_or(DEFAULT_SANDBOX_UID);
        let jail = match pick!(jail) {
            Some(path) => vec![path.to_string_lossy().into_owned()],
            None => default_jail,
        };
        let queue = pick!(queue).unwrap_or(64);
        let c = Config {
            slots,
            per_room,
            queue,
            per_room_queue: pick!(per_room_queue).unwrap_or((queue / 4).max(1)),
            cgroup: pick!(cgroup).unwrap_or_default(),
            cgroup_parent: "tandem-runner".into(),
            cpu_cores: pick!(cpu_cores).unwrap_or(1.0),
            sandbox_uid: uid,
            sandbox_gid: uid,
            jail,
            default_limits,
            max_limits,
            languages: pick!(languages).unwrap_or_else(language::defaults),
            max_request_bytes: pick!(max_request_bytes).unwrap_or(64 << 20),
        };
        c.validate()?;
        Ok(c)
    }
}

impl Config {
    fn validate(&self) -> Result<(), RunnerError> {
        let bad = |m: &str| Err(RunnerError::Config(m.to_owned()));
        if self.slots == 0
            || self.per_room == 0
            || self.per_room_queue == 0
            || self.max_request_bytes == 0
        {
            return bad("runner slots, per_room, per_room_queue and max_request_bytes must be > 0");
        }
        if self.jail.is_empty() {
            return bad("runner jail command is empty");
        }
        if self.cpu_cores.is_nan() || self.cpu_cores <= 0.0 {
            return bad("runner cpu_cores must be > 0");
        }
        if self.sandbox_uid == 0 {
            return bad("runner sandbox_uid must not be root");
        }
        if !self.max_limits.all_positive() {
            return bad("runner max_limits: every limit must be > 0");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_toml_and_defaults_follow_lowered_maxima() {
        let file: Settings = toml::from_str(
            "slots = 3\nper_room = 2\n[max_limits]\nwall_ms = 2000\n[default_limits]\npids = 10\n",
        )
        .unwrap();
        let flags = Settings {
            slots: Some(5),
            ..Default::default()
        };
        let c = file.resolve(flags, vec!["jail".into()]).unwrap();
        assert_eq!((c.slots, c.per_room), (5, 2));
        assert_eq!(c.max_limits.wall_ms, 2000);
        assert_eq!(
            c.default_limits.wall_ms, 2000,
            "default follows the lower max"
        );
        assert_eq!(c.default_limits.pids, 10);
        assert_eq!(c.jail, vec!["jail".to_string()]);
    }

    #[test]
    fn refuses_nonsense() {
        let zero = Settings {
            slots: Some(0),
            ..Default::default()
        };
        assert!(Settings::default().resolve(zero, vec!["j".into()]).is_err());
        assert!(toml::from_str::<Settings>("slotz = 1").is_err());
        let root = Settings {
            sandbox_uid: Some(0),
            ..Default::default()
        };
        assert!(Settings::default().resolve(root, vec!["j".into()]).is_err());
    }
}
