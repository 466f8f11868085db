//! `bench editor`: a keystroke typed in real Neovim (the `clients/nvim` plugin, its bridge) until
//! it is visible in another client of the room. Neovim types on a timer through `nvim_input` —
//! the path a person's keys take — and logs each key's wall-clock time; a protocol client logs
//! the wall-clock time of every change to the file. Both clocks are this machine's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use protocol::client::{Client, ClientOptions};
use protocol::schema;
use serde_json::{Value, json};
use yrs::{Doc, GetString, Observable, Transact};

use super::stats::summarize_us;
use super::target::Target;
use super::{CommonArgs, fresh_room, loadavg_json};

const FILE: &str = "bench.txt";

#[derive(Debug, clap::Args)]
pub struct EditorArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The Neovim to drive.
    #[arg(long, default_value = "nvim")]
    pub nvim: String,
    /// The plugin's folder (`clients/nvim` of this repository).
    #[arg(long, default_value = "clients/nvim")]
    pub plugin: PathBuf,
    /// Keystrokes timed.
    #[arg(long, default_value_t = 300)]
    pub keystrokes: usize,
    /// Pause between keystrokes.
    #[arg(long, default_value_t = 20)]
    pub keystroke_gap_ms: u64,
    /// How long the whole run may take.
    #[arg(long, default_value_t = 120)]
    pub timeout_secs: u64,
}

pub async fn run(args: &EditorArgs, target: &Target) -> Result<Value> {
    let room = fresh_room("editor");
    let observer = Client::connect(target.url(&room), Doc::new(), ClientOptions::default());
    tokio::time::timeout(Duration::from_secs(10), observer.synced())
        .await
        .context("joining the bench room")?;
    schema::write_file(&mut observer.doc().transact_mut(), FILE, "typed: \n");
    let arrivals = watch(&observer)?;

    let dir = tempfile::tempdir()?;
    let script = dir.path().join("bench.lua");
    let times = dir.path().join("times.txt");
    std::fs::write(&script, lua(args, &target.link(&room), &times)?)?;
    let plugin = std::fs::canonicalize(&args.plugin)
        .with_context(|| format!("the plugin folder {}", args.plugin.display()))?;
    let mut nvim = tokio::process::Command::new(&args.nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "--noplugin"])
        .arg("--cmd")
        .arg(format!("set rtp+={}", plugin.display()))
        .arg("-c")
        .arg("runtime plugin/tandem.lua")
        .arg("-c")
        .arg(format!("luafile {}", script.display()))
        .stdin(std::process::Stdio::null())
        // Headless Neovim still writes its screen (mode messages) to stdout: the report's.
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", args.nvim))?;
    let status = tokio::time::timeout(Duration::from_secs(args.timeout_secs), nvim.wait())
        .await
        .context("Neovim did not finish typing in time")??;
    let sent = std::fs::read_to_string(&times).unwrap_or_default();
    if !status.success() || sent.is_empty() {
        bail!("Neovim failed ({status}); its log: {sent}");
    }
    let sent: Vec<(u64, usize)> = sent
        .lines()
        .filter_map(|l| {
            let (t, len) = l.split_once(' ')?;
            Some((t.parse().ok()?, len.parse().ok()?))
        })
        .collect();
    // Wait for the last key to arrive.
    let want = sent.last().map(|(_, len)| len + 1).unwrap_or(0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while arrivals
        .lock()
        .map(|a| a.last().map(|x| x.1) < Some(want))
        .unwrap_or(false)
    {
        if tokio::time::Instant::now() > deadline {
            bail!("the last keystroke never reached the other client");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let arrivals = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let mut latencies: Vec<u32> = Vec::new();
    let base = sent.first().map(|s| s.1).unwrap_or(0);
    for (k, (t_sent, _)) in sent.iter().enumerate() {
        // Keystroke k (one byte) is visible once the file is longer than before the first key
        // by more than k bytes.
        if let Some((t, _)) = arrivals.iter().find(|(_, len)| *len > base + k) {
            latencies.push(u32::try_from(t.saturating_sub(*t_sent)).unwrap_or(u32::MAX));
        }
    }
    let text = schema::read_file(observer.doc(), FILE).unwrap_or_default();
    observer.close().await;
    Ok(json!({
        "scenario": "editor",
        "keystrokes": args.keystrokes,
        "keystroke_gap_ms": args.keystroke_gap_ms,
        "delivered": latencies.len(),
        "final_length": text.len(),
        "nvim_to_client_ms": summarize_us(&mut latencies),
        "loadavg": loadavg_json(),
    }))
}

/// Every change of the file in the observer's replica: (wall clock µs, length in bytes).
type Arrivals = Arc<Mutex<Vec<(u64, usize)>>>;

fn watch(client: &Client) -> Result<Arrivals> {
    let files = schema::files(client.doc());
    let text = {
        let txn = client.doc().transact();
        schema::file_text(&txn, &files, FILE)
    }
    .context("the bench file is not in the replica")?;
    let log: Arrivals = Arc::default();
    let sink = log.clone();
    text.observe("tandem:bench", move |txn, e| {
        let len = e.target().get_string(txn).len();
        if let Ok(mut l) = sink.lock() {
            l.push((now_us(), len));
        }
    });
    Ok(log)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The script Neovim runs: join, open the file, then type `x` on a timer, logging
/// `<wall-clock µs> <buffer length in bytes before the key>` per key (the first length is the
/// base the keys are counted from).
fn lua(args: &EditorArgs, link: &str, times: &std::path::Path) -> Result<String> {
    let exe = std::env::current_exe()?;
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    Ok(format!(
        r#"
local tandem = require('tandem')
tandem.setup({{ bridge = {{ {exe}, 'bridge' }}, name = 'bench-nvim' }})
local out = io.open({times}, 'w')
local function fail(msg) out:write('error: ' .. msg .. '\n') out:close() vim.cmd('cquit 1') end
tandem.join({link})
if not vim.wait(20000, function() return tandem.info().state == 'synced' end, 5) then fail('no sync') end
tandem.open({file})
if not vim.wait(20000, function() return tandem.info().buffers[{file}] ~= nil end, 5) then fail('no buffer') end
vim.api.nvim_set_current_buf(tandem.info().buffers[{file}])
vim.api.nvim_win_set_cursor(0, {{1, 7}})
vim.cmd('startinsert')
local n, keys, gap = 0, {keys}, {gap}
local timer = vim.loop.new_timer()
local function len() return #table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') + 1 end
timer:start(500, gap, vim.schedule_wrap(function()
  if n >= keys then
    timer:stop()
    vim.defer_fn(function() out:close() vim.cmd('qa!') end, 200)
    return
  end
  n = n + 1
  local s, us = vim.loop.gettimeofday()
  out:write(string.format('%d %d\n', s * 1000000 + us, len()))
  vim.api.nvim_input('x')
end))
"#,
        exe = q(&exe.display().to_string()),
        times = q(&times.display().to_string()),
        link = q(link),
        file = q(FILE),
        keys = args.keystrokes,
        gap = args.keystroke_gap_ms,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_quotes_what_it_embeds() {
        let q = serde_json::to_string("a'b\"c").unwrap();
        assert_eq!(q, r#""a'b\"c""#);
    }
}
