//! Adversarial programs: each must end in its limit's status, and the runner must stay healthy
//! (a hello world runs fine right after each).

mod common;

use common::{Runner, limits};
use runner::Settings;
use runner::proto::{KillReason, Limits};

async fn still_healthy(r: &Runner) {
    let h = r.health().await;
    assert!(h.serving);
    assert_eq!((h.running, h.queued), (0, 0), "the slot was freed");
    let ran = r.run("ok.py", "print('ok')", limits()).await;
    assert_eq!((ran.exited(), ran.stdout().as_str()), (Some(0), "ok\n"));
}

async fn runner() -> Runner {
    let r = Runner::start(Settings::default()).await;
    assert_ne!(
        r.health().await.cgroup,
        "none",
        "these tests need cgroups (run as root)"
    );
    r
}

#[tokio::test]
async fn fork_bomb_hits_the_process_limit() {
    let r = runner().await;
    let code =
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n";
    let ran = r.run("bomb.py", code, limits()).await;
    assert_eq!(ran.killed(), Some(KillReason::Pids), "{ran:?}");
    let shell = r.run("bomb.sh", "f(){ f|f& }; f; sleep 5", limits()).await;
    assert_eq!(shell.killed(), Some(KillReason::Pids), "{shell:?}");
    still_healthy(&r).await;
    r.stop().await;
}

#[tokio::test]
async fn busy_loop_hits_the_cpu_limit() {
    let r = runner().await;
    let l = Limits {
        cpu_ms: 1000,
        ..limits()
    };
    let ran = r.run("spin.py", "while True: pass", l).await;
    assert_eq!(ran.killed(), Some(KillReason::Cpu), "{ran:?}");
    let f = ran.finished.as_ref().unwrap();
    assert!(f.cpu_ms >= 900, "used its CPU second: {f:?}");
    assert!(f.message.contains("CPU"), "{f:?}");
    still_healthy(&r).await;
    r.stop().await;
}

#[tokio::test]
async fn sleeping_hits_the_wall_clock() {
    let r = runner().await;
    let l = Limits {
        wall_ms: 1000,
        ..limits()
    };
    // The second closes its output first: the clock must still apply.
    for code in ["sleep 1000", "exec >&- 2>&-; sleep 1000"] {
        let ran = r.run("nap.sh", code, l).await;
        assert_eq!(ran.killed(), Some(KillReason::Timeout), "{code}: {ran:?}");
        let wall = ran.finished.as_ref().unwrap().wall_ms;
        assert!((1000..3000).contains(&wall), "{code}: killed at {wall} ms");
    }
    still_healthy(&r).await;
    r.stop().await;
}

#[tokio::test]
async fn allocating_2_gb_hits_the_memory_limit() {
    let r = runner().await;
    let code = "chunks = []\nfor i in range(2048):\n    chunks.append(bytearray(1 << 20))\nprint('survived')\n";
    let ran = r.run("hog.py", code, limits()).await;
    assert_eq!(ran.killed(), Some(KillReason::Memory), "{ran:?}");
    assert!(!ran.stdout().contains("survived"));
    let f = ran.finished.as_ref().unwrap();
    assert!(f.peak_memory_bytes > 100 << 20, "peak recorded: {f:?}");
    still_healthy(&r).await;
    r.stop().await;
}

#[tokio::test]
async fn filling_the_disk_hits_the_disk_limit() {
    let r = runner().await;
    let one_file = "with open('big', 'wb') as f:\n    for _ in range(1024):\n        f.write(b'x' * (1 << 20))\n";
    let ran = r.run("one.py", one_file, limits()).await;
    assert_eq!(ran.killed(), Some(KillReason::Disk), "one file: {ran:?}");
    let many = "for i in range(1024):\n    with open(f'f{i}', 'wb') as f:\n        f.write(b'x' * (1 << 20))\n";
    let ran = r.run("many.py", many, limits()).await;
    assert_eq!(ran.killed(), Some(KillReason::Disk), "many files: {ran:?}");
    assert!(ran.stderr().contains("No space left"), "{}", ran.stderr());
    still_healthy(&r).await;
    r.stop().await;
}

#[tokio::test]
async fn printing_100_mb_is_capped() {
    let r = runner().await;
    let cap = 256 << 10;
    let l = Limits {
        output_bytes: cap,
        ..limits()
    };
    let code = "import sys\nfor _ in range(100):\n    sys.stdout.write('y' * (1 << 20))\n";
    let ran = r.run("flood.py", code, l).await;
    assert_eq!(ran.killed(), Some(KillReason::Output), "{:?}", ran.finished);
    assert_eq!(ran.stdout.len() + ran.stderr.len(), cap as usize);
    still_healthy(&r).await;
    r.stop().await;
}

#[tokio::test]
async fn no_network_not_even_the_hosts_loopback() {
    let r = runner().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let code = format!(
        "import socket\nfor host in ['127.0.0.1', '::1', 'localhost']:\n    try:\n        socket.create_connection((host, {port}), timeout=2)\n        print('CONNECTED', host)\n    except OSError as e:\n        print('refused', host, e.errno)\n"
    );
    let ran = r.run("net.py", &code, limits()).await;
    assert_eq!(ran.exited(), Some(0), "{ran:?}");
    assert!(!ran.stdout().contains("CONNECTED"), "{}", ran.stdout());
    assert_eq!(
        ran.stdout().matches("refused").count(),
        3,
        "{}",
        ran.stdout()
    );
    assert!(
        listener.accept().is_err(),
        "nothing reached the test's listener"
    );
    r.stop().await;
}

#[tokio::test]
async fn host_secrets_are_out_of_reach() {
    let r = runner().await;
    let here = std::env::current_dir().unwrap();
    let code = format!(
        r#"import os
def attempt(name, f):
    try:
        f()
        print('READ', name)
    except OSError as e:
        print('denied', name, e.errno)
attempt('shadow', lambda: open('/etc/shadow').read())
attempt('root', lambda: os.listdir('/root'))
attempt('worktree', lambda: os.listdir({here:?}))
attempt('cargo', lambda: os.listdir('/work/main'))
attempt('init', lambda: open('/proc/1/environ', 'rb').read())
attempt('init memory', lambda: open('/proc/1/mem', 'rb').read(1))
environ = open('/proc/self/environ', 'rb').read()
print('environ', sorted(set(k.split(b'=')[0].decode() for k in environ.split(b'\0') if k)))
print('uid', os.getuid())
# Every process this jail can see, and every environment it can read: none is the runner's.
pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
print('processes', len(pids))
for p in pids:
    try:
        if b'CARGO' in open('/proc/%d/environ' % p, 'rb').read():
            print('LEAK', p)
    except OSError:
        pass
"#
    );
    let ran = r.run("peek.py", &code, limits()).await;
    let out = ran.stdout();
    assert_eq!(ran.exited(), Some(0), "{ran:?}");
    assert!(!out.contains("READ"), "{out}");
    // PID 1 is the jail's init, not the runner, and even it is unreadable.
    assert_eq!(out.matches("denied").count(), 6, "{out}");
    let environ = out.lines().find(|l| l.starts_with("environ")).unwrap();
    assert_eq!(
        environ,
        "environ ['HOME', 'LANG', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED', 'TMPDIR']",
        "only the jail's own variables"
    );
    assert!(out.contains("uid 1000"), "{out}");
    // The runner under test runs with cargo's CARGO_* variables; the jail sees only init and
    // the program.
    assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
    assert!(!out.contains("LEAK"), "{out}");
    assert!(out.contains("processes 2"), "{out}");
    r.stop().await;
}

#[tokio::test]
async fn jail_runs_as_an_unprivileged_host_user() {
    let r = runner().await;
    // Inside uid 1000; outside the sandbox uid, so even a jail escape is not root.
    let code = "import os\nprint(open('/proc/self/uid_map').read().split())\n";
    let ran = r.run("who.py", code, limits()).await;
    assert_eq!(
        ran.stdout().trim(),
        format!("['1000', '{}', '1']", runner::config::DEFAULT_SANDBOX_UID)
    );
    r.stop().await;
}

#[tokio::test]
async fn kernel_escape_hatches_are_closed() {
    let r = runner().await;
    let code = r#"import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def call(name, *args):
    rc = getattr(libc, name)(*args)
    print(name, rc, os.strerror(ctypes.get_errno()) if rc != 0 else 'ok')
call('unshare', 0x10000000)            # CLONE_NEWUSER
call('unshare', 0x00020000)            # CLONE_NEWNS
call('mount', b'none', b'/work', b'tmpfs', 0, None)
call('ptrace', 16, 1, None, None)      # PTRACE_ATTACH to init
status = open('/proc/self/status').read()
print([l for l in status.splitlines() if l.startswith(('Seccomp:', 'NoNewPrivs:', 'CapEff:'))])
try:
    os.listdir('/sys')
    print('sys visible')
except OSError as e:
    print('no /sys', e.errno)
try:
    open('/usr/bin/tandem-was-here', 'w')
except OSError as e:
    print('usr read-only', e.errno)
"#;
    let ran = r.run("esc.py", code, limits()).await;
    let out = ran.stdout();
    assert_eq!(ran.exited(), Some(0), "{ran:?}");
    for call in ["unshare -1", "mount -1", "ptrace -1"] {
        assert!(out.contains(call), "{call} refused: {out}");
    }
    assert!(!out.contains(" 0 ok"), "{out}");
    assert!(out.contains("'Seccomp:\\t2'"), "{out}");
    assert!(out.contains("'NoNewPrivs:\\t1'"), "{out}");
    assert!(out.contains("'CapEff:\\t0000000000000000'"), "{out}");
    assert!(
        out.contains("no /sys") && out.contains("usr read-only"),
        "{out}"
    );
    r.stop().await;
}
