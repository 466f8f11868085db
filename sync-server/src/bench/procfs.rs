//! Reads a process's CPU time, RSS and allowed CPUs from /proc, and the machine's load average.

use std::time::Instant;

use anyhow::{Context, Result, bail};

/// /proc reports CPU time in USER_HZ ticks, which Linux fixes at 100 per second for userspace.
const USER_HZ: f64 = 100.0;

/// A process to sample: this one or another by pid.
#[derive(Debug, Clone)]
pub struct Proc(String);

impl Proc {
    pub fn own() -> Proc {
        Proc("self".into())
    }
    /// The calling thread (its affinity can differ from the process's main thread).
    pub fn this_thread() -> Proc {
        Proc("thread-self".into())
    }
    pub fn pid(pid: u32) -> Proc {
        Proc(pid.to_string())
    }

    fn read(&self, file: &str) -> Result<String> {
        let path = format!("/proc/{}/{file}", self.0);
        std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))
    }

    /// utime + stime of every thread, in ticks.
    fn cpu_ticks(&self) -> Result<u64> {
        let stat = self.read("stat")?;
        // The command name may contain spaces; the fields after its closing parenthesis do not.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .context("malformed /proc/PID/stat")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Field 3 (state) is fields[0]; utime and stime are fields 14 and 15.
        let utime: u64 = fields.get(11).context("no utime")?.parse()?;
        let stime: u64 = fields.get(12).context("no stime")?.parse()?;
        Ok(utime + stime)
    }

    /// Starts a CPU measurement window.
    pub fn cpu_mark(&self) -> Result<CpuMark> {
        Ok(CpuMark {
            at: Instant::now(),
            ticks: self.cpu_ticks()?,
        })
    }

    /// CPU used since `start`, as a percentage of one core.
    pub fn cpu_pct_since(&self, start: &CpuMark) -> Result<f64> {
        let end = self.cpu_mark()?;
        let secs = end.at.duration_since(start.at).as_secs_f64();
        if secs <= 0.0 {
            bail!("empty CPU window");
        }
        Ok((end.ticks.saturating_sub(start.ticks)) as f64 / USER_HZ / secs * 100.0)
    }

    /// Resident set size in KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        self.status_field("VmRSS:")?
            .split_whitespace()
            .next()
            .context("empty VmRSS")?
            .parse()
            .context("VmRSS is not a number")
    }

    /// The CPUs the process may run on, as the kernel prints them (e.g. "0" or "0-1").
    pub fn cpus_allowed(&self) -> Result<String> {
        self.status_field("Cpus_allowed_list:")
    }

    fn status_field(&self, name: &str) -> Result<String> {
        let status = self.read("status")?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .with_context(|| format!("no {name} in /proc/{}/status", self.0))
    }
}

/// A point on a process's CPU clock.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    at: Instant,
    ticks: u64,
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> Result<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").context("reading /proc/loadavg")?;
    let mut it = text.split_whitespace().map(str::parse::<f64>);
    let mut out = [0.0; 3];
    for v in &mut out {
        *v = it.next().context("short /proc/loadavg")??;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_readable() {
        let me = Proc::own();
        assert!(me.rss_kib().unwrap() > 0);
        let mark = me.cpu_mark().unwrap();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(me.cpu_pct_since(&mark).unwrap() >= 0.0);
        assert!(!me.cpus_allowed().unwrap().is_empty());
        assert!(loadavg().unwrap()[0] >= 0.0);
    }
}
