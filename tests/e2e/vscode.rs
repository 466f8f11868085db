//! The VS Code extension (`clients/vscode`): its sync module (no `vscode` import) driven in Node by
//! `clients/vscode/test/sync.test.ts` against the real `tandem` server and a stock y-websocket peer
//! (join by link, UTF-16 edits both ways, the stale-version race, presence, chat, a run, a
//! read-only link, reconnect across a kill -9), the packaged `.vsix`, and that `.vsix` in real
//! VS Code (code-server 4.100.3 driven in Chromium by `clients/vscode/e2e/vscode.mjs`; runs when
//! `clients/vscode/e2e/install-code-server.sh` has installed it, and must when
//! `TANDEM_VSCODE_E2E=1`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::harness::{Server, bearer_client, call, claims};

/// The whole Node program; only reached when something hangs.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) fn vscode_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../clients/vscode");
    assert!(
        dir.join("node_modules").is_dir(),
        "{}/node_modules is missing: run `npm ci --prefix clients/vscode`",
        dir.display()
    );
    dir
}

/// `npm run <script>` in clients/vscode, required to succeed.
pub(crate) async fn npm(dir: &Path, script: &str) {
    let out = tokio::process::Command::new("npm")
        .args(["run", "--silent", script])
        .current_dir(dir)
        .output()
        .await
        .expect("npm runs (Node.js is needed for the VS Code extension tests)");
    assert!(
        out.status.success(),
        "npm run {script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `npm run package` once per test binary (the tests that need the `.vsix` run concurrently).
async fn package(dir: &Path) {
    static PACKAGED: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);
    let mut done = PACKAGED.lock().await;
    if !*done {
        npm(dir, "package").await;
        *done = true;
    }
}

fn token_named(server: &Server, room: &str, perm: &str, name: &str) -> String {
    let mut c = claims(room, perm);
    c["sub"] = json!(name.to_lowercase());
    c["name"] = json!(name);
    server.token_with(&c)
}

#[tokio::test]
async fn the_vscode_sync_module_edits_chats_runs_and_reconnects_against_the_real_server() {
    let dir = vscode_dir();
    npm(&dir, "build:test").await;
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(&data.path().join("data"), &[]);
    let room = "vscode-room";
    let admin = bearer_client(&server.token("*", "admin"));
    let (status, body) = call(admin.post(server.http("/api/rooms")).json(&json!({
        "name": room, "files": {"main.py": "print('hello from tandem')\n"}
    })))
    .await;
    assert_eq!(status, 201, "{body}");

    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("out-test/sync.test.js"))
        .env("TANDEM_URL", server.http(""))
        .env("ROOM", room)
        .env("TOKEN", token_named(&server, room, "write", "Vee"))
        .env("PEER_TOKEN", token_named(&server, room, "write", "Peer"))
        .env("RO_TOKEN", token_named(&server, room, "read", "Reader"))
        .env(
            "OTHER_ROOM_TOKEN",
            token_named(&server, "another-room", "write", "Stranger"),
        )
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut steps: Vec<Value> = Vec::new();
    tokio::time::timeout(SCRIPT_TIMEOUT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            eprintln!("vscode sync: {line}");
            let step: Value = serde_json::from_str(&line).unwrap_or(json!({"raw": line}));
            match step["step"].as_str() {
                Some("kill me") => {
                    server.kill9();
                    stdin.write_all(b"down\n").await.unwrap();
                }
                Some("typed offline") => {
                    server.restart();
                    stdin.write_all(b"up\n").await.unwrap();
                }
                _ => {}
            }
            stdin.flush().await.unwrap();
            steps.push(step);
        }
    })
    .await
    .expect("the Node program finished in time");
    let status = child.wait().await.unwrap();
    assert!(
        status.success(),
        "the Node program failed: {:?}",
        steps.last()
    );
    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    for want in [
        "joined",
        "refused link",
        "local edits",
        "remote edits",
        "race",
        "presence",
        "chat",
        "run",
        "read only",
        "reconnected",
        "done",
    ] {
        assert!(names.contains(&want), "no {want:?} step in {names:?}");
    }

    // The edits typed while the server was down are in the room, for everyone.
    let (_, text) = call(admin.get(server.http(&format!("/api/rooms/{room}/files/uni.txt")))).await;
    let text = text.as_str().unwrap_or_default().to_owned();
    assert!(text.starts_with("after offline 1 "), "{text:?}");
    assert!(text.ends_with("offline 2\n"), "{text:?}");
}

/// The names of the entries of a zip archive (its central directory).
fn zip_names(bytes: &[u8]) -> Vec<String> {
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
    let eocd = (0..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| bytes[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .expect("a zip end-of-central-directory record");
    let (count, mut at) = (u16_at(eocd + 10), u32_at(eocd + 16));
    let mut names = Vec::new();
    for _ in 0..count {
        assert_eq!(bytes[at..at + 4], [0x50, 0x4b, 0x01, 0x02], "central entry");
        let (name_len, extra, comment) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32));
        names.push(String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).into_owned());
        at += 46 + name_len + extra + comment;
    }
    names
}

#[tokio::test]
async fn the_vscode_extension_packages_as_a_vsix() {
    let dir = vscode_dir();
    package(&dir).await;
    let mut bytes = Vec::new();
    std::fs::File::open(dir.join("tandem-vscode.vsix"))
        .expect("clients/vscode/tandem-vscode.vsix was built")
        .read_to_end(&mut bytes)
        .unwrap();
    let names = zip_names(&bytes);
    eprintln!("vsix: {} bytes, {names:?}", bytes.len());
    for want in ["extension/package.json", "extension/dist/extension.js"] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains("node_modules/")),
        "dependencies are bundled, not shipped: {names:?}"
    );
}

#[tokio::test]
async fn the_extension_joins_edits_and_shows_cursors_in_real_vscode() {
    let dir = vscode_dir();
    if !dir.join(".code-server/.done").exists() {
        assert!(
            std::env::var_os("TANDEM_VSCODE_E2E").is_none(),
            "code-server is not installed: run clients/vscode/e2e/install-code-server.sh"
        );
        eprintln!("skipped: code-server not installed (clients/vscode/e2e/install-code-server.sh)");
        return;
    }
    package(&dir).await;
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&data.path().join("data"), &[]);
    let room = "vscode-real";
    let admin = bearer_client(&server.token("*", "admin"));
    let (status, body) = call(admin.post(server.http("/api/rooms")).json(&json!({
        "name": room, "files": {"main.py": "print('hello from tandem')\n", "README.md": "# room\n"}
    })))
    .await;
    assert_eq!(status, 201, "{body}");
    let out = tokio::time::timeout(
        Duration::from_secs(240),
        tokio::process::Command::new("node")
            .arg(dir.join("e2e/vscode.mjs"))
            .env("TANDEM_URL", server.http(""))
            .env("ROOM", room)
            .env("TOKEN", token_named(&server, room, "write", "Vic"))
            .env("PEER_TOKEN", token_named(&server, room, "write", "Peer"))
            .env("OUT_DIR", dir.join("../../target/vscode-e2e"))
            .current_dir(&dir)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the code-server script finished in time")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        eprintln!("code-server: {line}");
    }
    assert!(
        out.status.success(),
        "the code-server script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#"{"step":"done""#), "{stdout}");
    let (_, text) = call(admin.get(server.http(&format!("/api/rooms/{room}/files/main.py")))).await;
    let text = text.as_str().unwrap_or_default().to_owned();
    assert!(text.contains("# from the peer\n"), "{text:?}");
    assert!(text.contains("# typed in vscode ✓\n"), "{text:?}");
}
