//! One run from start to finish: its cgroup, the jail helper process, output streamed under the
//! cap, the wall clock, the kill, and the final status.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cgroup::{CgLimits, Cgroups, Mode};
use crate::config::Config;
use crate::jail::{Report, Spec, SpecFile};
use crate::language::Mount;
use crate::limits::Limits;
use crate::pool::{Pool, Warm};
use crate::proto::{self, KillReason, output::Stream, run_event::Event};
use crate::status;

/// Bytes read from the program's stdout or stderr at a time (one `Output` event at most).
pub const READ_CHUNK: usize = 16 << 10;

/// How often the job's cgroup counters are checked while it runs (for the process limit,
/// which the kernel enforces by failing `fork` rather than by killing).
const MONITOR_EVERY: Duration = Duration::from_millis(25);

/// How long a killed job's cgroup may take to empty before it is left to the next sweep.
pub const REMOVE_WITHIN: Duration = Duration::from_secs(10);

/// Shared by every job of one runner.
pub struct Context {
    pub config: Arc<Config>,
    pub cgroups: Cgroups,
    /// Holds empty `work` and `root` dirs the helpers mount over, and the report files.
    pub runtime_dir: PathBuf,
    /// Cgroup removals that outlive their job.
    pub cleanup: TaskTracker,
    pub pool: Arc<Pool>,
}

/// A run, ready to go.
pub struct Job {
    pub id: String,
    /// The language's name from the table.
    pub language: String,
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub files: Vec<SpecFile>,
    pub stdin: Vec<u8>,
    pub limits: Limits,
    pub mounts: Vec<Mount>,
}

/// Runs `job`, sending `Output` events to `out`, and returns its `Finished` event.
/// A full `out` makes the job wait (the program then blocks on its pipe; its wall clock runs on);
/// a closed `out` cancels it.
pub async fn execute(
    ctx: &Context,
    job: Job,
    out: &mpsc::Sender<proto::RunEvent>,
    cancel: &CancellationToken,
) -> proto::Finished {
    let started = Instant::now();
    let limits = job.limits;
    let cg_limits = CgLimits {
        memory_bytes: limits.memory_bytes,
        pids: limits.pids,
        cpu_cores: ctx.config.cpu_cores,
    };
    let warm = match ctx.pool.take().await {
        Ok(w) => w,
        Err(e) => return status::failed(started, format!("sandbox: {e}")),
    };
    let Warm {
        child,
        stdin,
        cgroup,
    } = warm;
    if let Err(e) = cgroup.set_limits(&cg_limits) {
        drop(child);
        cgroup.kill();
        ctx.cleanup.spawn(cgroup.remove(REMOVE_WITHIN));
        return status::failed(started, format!("sandbox: {e}"));
    }
    let result = supervise(ctx, &cgroup, child, stdin, job, out, cancel).await;
    let stats = cgroup.stats();
    ctx.cleanup.spawn(cgroup.remove(REMOVE_WITHIN));
    match result {
        Ok((kill, report)) => {
            status::finished(started, &limits, ctx.cgroups.mode(), kill, report, stats)
        }
        Err(e) => status::failed(started, format!("sandbox: {e}")),
    }
}

/// Starts the helper and watches it until the program ends or is killed. Returns why it was
/// killed (if it was) and the helper's report (if it wrote one).
async fn supervise(
    ctx: &Context,
    cgroup: &crate::cgroup::JobCgroup,
    mut child: tokio::process::Child,
    mut stdin: tokio::process::ChildStdin,
    job: Job,
    out: &mpsc::Sender<proto::RunEvent>,
    cancel: &CancellationToken,
) -> std::io::Result<(Option<KillReason>, Option<Report>)> {
    let report_file = tempfile::Builder::new()
        .prefix("report-")
        .tempfile_in(&ctx.runtime_dir)?;
    let limits = job.limits;
    let spec = Spec {
        files: job.files,
        argv: job.argv,
        env: job.env,
        stdin: job.stdin,
        limits,
        uid: ctx.config.sandbox_uid,
        gid: ctx.config.sandbox_gid,
        mounts: job.mounts,
        report: report_file.path().to_owned(),
        runtime_dir: ctx.runtime_dir.clone(),
    };
    let spec = serde_json::to_vec(&spec).map_err(std::io::Error::other)?;
    // The helper reads the whole spec before it writes anything, so this cannot deadlock.
    stdin.write_all(&spec).await?;
    drop(stdin);
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");

    let deadline = tokio::time::Instant::from_std(Instant::now()) + limits.wall();
    let mut monitor = tokio::time::interval(MONITOR_EVERY);
    let (mut out_buf, mut err_buf) = (vec![0u8; READ_CHUNK], vec![0u8; READ_CHUNK]);
    let (mut out_open, mut err_open) = (true, true);
    let mut sent: u64 = 0;
    let kill = loop {
        if !out_open && !err_open {
            break None;
        }
        let (read, stream) = tokio::select! {
            biased;
            _ = cancel.cancelled() => break Some(KillReason::Cancelled),
            _ = tokio::time::sleep_until(deadline) => break Some(KillReason::Timeout),
            _ = monitor.tick(), if ctx.cgroups.mode() != Mode::None => {
                if cgroup.stats().pids_max_events > 0 {
                    break Some(KillReason::Pids);
                }
                continue;
            }
            n = stdout.read(&mut out_buf), if out_open => (n, Stream::Stdout),
            n = stderr.read(&mut err_buf), if err_open => (n, Stream::Stderr),
        };
        let n = read?;
        if n == 0 {
            match stream {
                Stream::Stdout => out_open = false,
                Stream::Stderr => err_open = false,
            }
            continue;
        }
        let buf = if stream == Stream::Stdout {
            &out_buf
        } else {
            &err_buf
        };
        let room = limits.output_bytes.saturating_sub(sent);
        let take = (n as u64).min(room) as usize;
        if take > 0 {
            sent += take as u64;
            let event = Event::Output(proto::Output {
                stream: stream as i32,
                data: bytes::Bytes::copy_from_slice(&buf[..take]),
            });
            if out
                .send(proto::RunEvent { event: Some(event) })
                .await
                .is_err()
            {
                break Some(KillReason::Cancelled);
            }
        }
        if take < n {
            break Some(KillReason::Output);
        }
    };
    // Both pipes closed, but a program can close them and keep running: the clock and a
    // cancel still apply while it ends.
    let kill = match kill {
        Some(k) => Some(k),
        None => tokio::select! {
            biased;
            _ = cancel.cancelled() => Some(KillReason::Cancelled),
            _ = tokio::time::sleep_until(deadline) => Some(KillReason::Timeout),
            _ = child.wait() => None,
        },
    };
    // Always: whatever is left in the cgroup (normally nothing, as the jail's init kills
    // leftovers) must go before the cgroup can be removed.
    cgroup.kill();
    if kill.is_some() {
        let _ = child.start_kill();
    }
    let _ = child.wait().await;
    let report = tokio::fs::read(report_file.path())
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Report>(&bytes).ok());
    Ok((kill, report))
}
