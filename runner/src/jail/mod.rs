//! The jail helper: a fresh single-threaded process per run that builds the sandbox and runs the
//! program in it. The server sends a `Prelude` line, then (when a run takes the helper) a `Spec`,
//! both JSON on the helper's stdin; the program's stdout and stderr are the helper's own (the
//! server's pipes); the outcome goes to the report file.

mod helper;
mod init;
mod sandbox;
mod seccomp;
mod workdir;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::language::Mount;
use crate::limits::Limits;

pub use helper::main;

/// The first line the helper reads, as soon as it starts (before its run is known).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prelude {
    /// `cgroup.procs` files the helper joins at once, while still root.
    pub cgroup_procs: Vec<PathBuf>,
}

/// Everything else the helper needs for one run (read after the prelude, up to end of input).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spec {
    pub files: Vec<SpecFile>,
    /// The command line; the first word is an absolute path inside the jail.
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    #[serde(with = "b64")]
    pub stdin: Vec<u8>,
    pub limits: Limits,
    /// Host uid/gid to become when started as root.
    pub uid: u32,
    pub gid: u32,
    /// Extra read-only host directories (language toolchains).
    pub mounts: Vec<Mount>,
    /// Where the helper writes its `Report` (JSON).
    pub report: PathBuf,
    /// The runner's runtime dir, holding empty `work` and `root` dirs that the helper mounts its
    /// private tmpfs over.
    pub runtime_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpecFile {
    pub path: String,
    #[serde(with = "b64")]
    pub contents: Vec<u8>,
}

/// How the program ended, as the helper saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    /// The sandbox could not be built or the program not started.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub outcome: Outcome,
    /// User + system time of the program and its children.
    pub cpu_ms: u64,
    /// Largest resident set of any one process (rusage), for hosts without cgroups.
    pub max_rss_bytes: u64,
    /// The program filled the work dir or wrote a file as large as the file limit.
    pub disk_limit: bool,
}

/// Where the jail mounts the run's files; also the program's working directory and `HOME`.
pub const WORK_DIR: &str = "/work";

mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}
