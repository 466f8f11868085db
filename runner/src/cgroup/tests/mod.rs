//! Tests against the real cgroups of this host (they need root; without it they check that
//! detection degrades instead).

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::*;

mod limits;
mod parsing;

const LIMITS: CgLimits = CgLimits {
    memory_bytes: 256 << 20,
    pids: 64,
    cpu_cores: 1.0,
};

fn root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// A unique parent, removed when dropped so a failing test leaves nothing behind.
struct Parent {
    name: String,
    cg: Cgroups,
}

impl Parent {
    fn new(pref: Preference) -> Parent {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "tandem-runner-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let cg = Cgroups::detect(pref, &name).expect("detect");
        Parent { name, cg }
    }
}

impl Drop for Parent {
    fn drop(&mut self) {
        let dirs = self.cg.parent_dirs();
        let _ = files::rmdir_all(&dirs.iter().map(PathBuf::as_path).collect::<Vec<_>>());
    }
}

fn quiet(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

/// A shell that joins the job (as the jail helper will) and then runs `script`.
fn spawn_in(job: &JobCgroup, script: &str) -> Child {
    let join = "for f; do echo $$ > \"$f\" || exit 99; done; ";
    quiet(
        Command::new("sh")
            .args(["-c", &format!("{join}{script}"), "sh"])
            .args(job.procs_files()),
    )
}

fn join(job: &JobCgroup, pid: u32) {
    for f in job.procs_files() {
        std::fs::write(&f, pid.to_string()).expect("join");
    }
}

/// The runner hands `remove` to tokio::spawn.
fn spawnable<F: std::future::Future + Send + 'static>(f: F) -> F {
    f
}

fn listed(job: &JobCgroup, pid: u32) -> bool {
    job.dirs()
        .iter()
        .all(|d| files::read_pids(d).contains(&(pid as i32)))
}

#[test]
fn auto_finds_cgroups_when_root() {
    let p = Parent::new(Preference::Auto);
    if !root() {
        return;
    }
    assert_ne!(p.cg.mode(), Mode::None);
    if Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists() {
        assert_eq!(
            p.cg.mode(),
            Mode::V1,
            "this host kind is hybrid: v2 has no memory controller"
        );
        assert_eq!(p.cg.mode().to_string(), "v1");
    }
}

#[tokio::test]
async fn explicit_none_and_bad_names() {
    let p = Parent::new(Preference::None);
    assert_eq!(p.cg.mode(), Mode::None);
    let job = p.cg.create("run-1", &LIMITS).unwrap();
    assert!(job.procs_files().is_empty() && job.is_empty());
    assert_eq!(job.stats(), Stats::default());
    job.kill();
    assert!(job.remove(Duration::ZERO).await);
    assert!(p.cg.create("../escape", &LIMITS).is_err());
    assert!(p.cg.create("", &LIMITS).is_err());
    assert!(Cgroups::detect(Preference::Auto, "a/b").is_err());
    if root() && !v2_has_memory() {
        let name = format!("tandem-runner-test-{}-v2", std::process::id());
        assert!(
            Cgroups::detect(Preference::V2, &name).is_err(),
            "v2 asked for but unusable"
        );
    }
}

/// Our directory in the cgroup2 tree, if one is mounted.
fn own_v2_dir() -> Option<PathBuf> {
    let read = |p| std::fs::read_to_string(p).unwrap();
    let own = parse::parse_proc_cgroup(&read("/proc/self/cgroup"));
    parse::v2_dir(&parse::parse_mountinfo(&read("/proc/self/mountinfo")), &own)
}

fn v2_has_memory() -> bool {
    own_v2_dir()
        .and_then(|d| std::fs::read_to_string(d.join("cgroup.controllers")).ok())
        .is_some_and(|c| c.split_whitespace().any(|c| c == "memory"))
}

#[test]
fn preference_parses_from_flags_and_config() {
    use clap::ValueEnum;
    use serde::Deserialize;
    use serde::de::value::{Error, StrDeserializer};
    for (text, want) in [
        ("auto", Preference::Auto),
        ("v2", Preference::V2),
        ("v1", Preference::V1),
        ("none", Preference::None),
    ] {
        assert_eq!(Preference::from_str(text, false), Ok(want));
        assert_eq!(
            Preference::deserialize(StrDeserializer::<Error>::new(text)),
            Ok(want)
        );
    }
    assert_eq!(Preference::default(), Preference::Auto);
    assert_eq!(Mode::V2.to_string(), "v2");
    assert_eq!(Mode::None.to_string(), "none");
}

#[tokio::test]
async fn join_kill_remove() {
    if !root() {
        return;
    }
    let p = Parent::new(Preference::Auto);
    let job = p.cg.create("job", &LIMITS).unwrap();
    assert!(!p.cg.remove_parent(), "a job is still in the parent");
    let dirs: Vec<PathBuf> = job.dirs().iter().map(|d| d.to_path_buf()).collect();
    assert!(dirs.iter().all(|d| d.is_dir()) && job.is_empty());
    let mut child = spawn_in(&job, "sleep 60");
    let t = Instant::now();
    while !listed(&job, child.id()) {
        assert!(t.elapsed() < Duration::from_secs(5), "child never joined");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(!job.is_empty());
    let t = Instant::now();
    job.kill();
    while !job.is_empty() {
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "kill did not empty the job"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    assert!(job.remove(Duration::from_secs(1)).await);
    assert!(dirs.iter().all(|d| !d.exists()));
    let parents = p.cg.parent_dirs();
    assert!(p.cg.remove_parent() && parents.iter().all(|d| !d.exists()));
}

#[tokio::test]
async fn detect_sweeps_stale_jobs() {
    if !root() {
        return;
    }
    let p = Parent::new(Preference::Auto);
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut children = Vec::new();
    for (name, crash) in [("crashed", true), ("timed-out", false)] {
        let job = p.cg.create(name, &LIMITS).unwrap();
        dirs.extend(job.dirs().iter().map(|d| d.to_path_buf()));
        let child = quiet(Command::new("sleep").arg("60"));
        join(&job, child.id());
        children.push(child);
        if crash {
            drop(job); // neither killed nor removed
        } else {
            assert!(
                !job.remove(Duration::from_millis(20)).await,
                "not empty: must fail"
            );
        }
    }
    assert!(dirs.iter().all(|d| d.is_dir()));
    let again = Cgroups::detect(Preference::Auto, &p.name).unwrap();
    assert_eq!(again.mode(), p.cg.mode());
    assert!(dirs.iter().all(|d| !d.exists()), "stale job left: {dirs:?}");
    for mut child in children {
        assert_eq!(child.wait().unwrap().signal(), Some(9));
    }
}

/// The v2 job code on this host's hugetlb-only cgroup2 tree: no limits, but membership,
/// cgroup.events, cgroup.kill, the freeze-and-kill fallback and rmdir are all real.
#[tokio::test]
async fn v2_job_on_the_unified_tree() {
    let Some(own_dir) = own_v2_dir().filter(|_| root()) else {
        return;
    };
    let parent = own_dir.join(format!("tandem-runner-test-{}-v2tree", std::process::id()));
    files::mkdir_existing_ok(&parent).unwrap();
    let v2 = v2::V2::at(parent.clone());
    for by_pid in [false, true] {
        let job = v2
            .create(if by_pid { "by-pid" } else { "kill-file" }, None)
            .unwrap();
        let job = JobCgroup { job: Job::V2(job) };
        assert_eq!(job.procs_files().len(), 1);
        let mut child = quiet(Command::new("sleep").arg("60"));
        join(&job, child.id());
        assert!(listed(&job, child.id()) && !job.is_empty());
        match &job.job {
            Job::V2(j) if by_pid => j.kill_by_pid(),
            _ => job.kill(),
        }
        assert_eq!(child.wait().unwrap().signal(), Some(9));
        assert!(job.remove(Duration::from_secs(1)).await);
    }
    // The sweep, v2 flavour: cgroup.kill on a job nobody removed.
    let stale = JobCgroup {
        job: Job::V2(v2.create("stale", None).unwrap()),
    };
    let mut child = quiet(Command::new("sleep").arg("60"));
    join(&stale, child.id());
    drop(stale);
    Cgroups {
        backend: Arc::new(Backend::V2(v2)),
    }
    .sweep();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    std::fs::remove_dir(&parent).expect("parent empty after the sweep");
}

/// The per-run cost the runner pays: create, join (a pid write per hierarchy), kill, remove.
#[tokio::test]
async fn create_join_remove_is_cheap() {
    if !root() {
        return;
    }
    let p = Parent::new(Preference::Auto);
    let mut times = Vec::new();
    for i in 0..20 {
        let mut child = quiet(Command::new("sleep").arg("60"));
        let t = Instant::now();
        let job = p.cg.create(&format!("t{i}"), &LIMITS).unwrap();
        join(&job, child.id());
        let joined = t.elapsed();
        job.kill();
        let _ = child.wait();
        assert!(spawnable(job.remove(Duration::from_secs(1))).await);
        times.push((joined, t.elapsed()));
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let joined = median(times.iter().map(|t| t.0).collect());
    let total = median(times.iter().map(|t| t.1).collect());
    eprintln!(
        "cgroup {}: create+join {joined:?}, +kill+reap+remove {total:?} (median of 20)",
        p.cg.mode()
    );
    assert!(total < Duration::from_millis(40), "{times:?}");
}
