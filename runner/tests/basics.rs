//! Languages, stdin, limits clamping and refusals, over the real gRPC service and jail.

mod common;

use common::{Runner, config, limits, request};
use runner::Settings;
use runner::language::Language;
use runner::proto::finished::Status;
use runner::proto::{self, Limits};

#[tokio::test]
async fn interpreted_languages_and_stdin() {
    let r = Runner::start(Settings::default()).await;
    let ran = r
        .run("main.py", "print('hello from', 6 * 7)", limits())
        .await;
    assert_eq!(ran.exited(), Some(0), "{ran:?}");
    assert_eq!(ran.stdout(), "hello from 42\n");
    assert_eq!(ran.started.as_ref().unwrap().language, "python");

    let ran = r
        .run(
            "app.js",
            "console.log('node', 1 + 1); console.error('oops')",
            limits(),
        )
        .await;
    assert_eq!(
        (ran.stdout(), ran.stderr()),
        ("node 2\n".into(), "oops\n".into())
    );

    let ran = r.run("s.sh", "echo $0 $HOME; exit 3", limits()).await;
    assert_eq!(ran.exited(), Some(3));
    assert_eq!(ran.stdout(), "s.sh /work\n");

    let mut req = request(
        "echo.py",
        "import sys\nprint(sys.stdin.read().upper())",
        limits(),
    );
    req.stdin = b"from stdin".to_vec().into();
    let ran = r.run_request(req).await;
    assert_eq!(ran.stdout(), "FROM STDIN\n");
    r.stop().await;
}

#[tokio::test]
async fn several_files_and_a_crash_by_signal() {
    let r = Runner::start(Settings::default()).await;
    let mut req = request("pkg/main.py", "from util import greet\ngreet()\n", limits());
    req.files.push(proto::File {
        path: "pkg/util.py".into(),
        contents: b"def greet():\n    print('imported')\n".to_vec().into(),
    });
    let ran = r.run_request(req).await;
    assert_eq!(ran.stdout(), "imported\n", "{}", ran.stderr());
    let ran = r.run("abort.py", "import os\nos.abort()\n", limits()).await;
    assert_eq!(ran.status(), Status::Signaled(6), "{ran:?}");
    assert!(ran.finished.unwrap().message.contains("signal 6"));
    r.stop().await;
}

#[tokio::test]
async fn compiled_languages_build_inside_the_jail() {
    let r = Runner::start(Settings::default()).await;
    let c = "#include <stdio.h>\n#include <math.h>\nint main(void){printf(\"c %.0f\\n\", sqrt(81.0));return 0;}\n";
    let ran = r.run("main.c", c, limits()).await;
    assert_eq!(ran.stdout(), "c 9\n", "{}", ran.stderr());
    let installed = r.health().await.languages;
    assert!(installed.contains(&"c".to_string()));
    // Rust when this host has a toolchain (rustup's lives outside /usr and is mounted in).
    if installed.contains(&"rust".to_string()) {
        let rs = "fn main() { println!(\"rust {}\", (1..=4).product::<u32>()); }\n";
        let l = Limits {
            wall_ms: 30_000,
            cpu_ms: 20_000,
            memory_bytes: 1 << 30,
            ..limits()
        };
        let ran = r.run("main.rs", rs, l).await;
        assert_eq!(ran.stdout(), "rust 24\n", "{ran:?}");
    }
    r.stop().await;
}

#[tokio::test]
async fn limits_are_clamped_to_the_servers_maxima() {
    let r = Runner::start(Settings {
        max_wall_ms: Some(2_000),
        ..Default::default()
    })
    .await;
    let asked = Limits {
        wall_ms: 3_600_000,
        memory_bytes: 64 << 20,
        ..limits()
    };
    let ran = r.run("x.py", "print(1)", asked).await;
    let got = ran.started.unwrap().limits.unwrap();
    assert_eq!(got.wall_ms, 2_000, "capped at the maximum");
    assert_eq!(got.memory_bytes, 64 << 20, "below the maximum: as asked");
    assert_eq!(
        got.pids,
        runner::limits::Limits::DEFAULT.pids,
        "zero: the default"
    );
    r.stop().await;
}

#[tokio::test]
async fn failures_are_clear_statuses() {
    let mut flags = Settings::default();
    let mut table = runner::language::defaults();
    table.push(Language {
        name: "zig".into(),
        extensions: vec!["zig".into()],
        command: vec!["zig".into(), "run".into(), "{entry}".into()],
        env: Default::default(),
        requires: vec![],
        mounts: vec![],
        path: vec![],
    });
    flags.languages = Some(table);
    let r = Runner::start(flags).await;
    let failed = |ran: &common::Ran| match ran.status() {
        Status::Failed(m) => m,
        other => panic!("expected failed, got {other:?}"),
    };
    let ran = r.run("main.zig", "pub fn main() void {}", limits()).await;
    let m = failed(&ran);
    assert!(m.contains("`zig`") && m.contains("not installed"), "{m}");
    assert!(failed(&r.run("notes.txt", "hi", limits()).await).contains(".txt"));
    let mut req = request("main.py", "print(1)", limits());
    req.entry = "other.py".into();
    assert!(failed(&r.run_request(req).await).contains("other.py"));
    let mut req = request("main.py", "print(1)", limits());
    req.files[0].path = "../escape.py".into();
    req.entry = "../escape.py".into();
    assert!(failed(&r.run_request(req).await).contains("invalid file path"));
    let mut req = request("main.py", "print(1)", limits());
    req.run_id = "no spaces please".into();
    let err = r.client.clone().run(req).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    // An unknown setting or a root sandbox uid never gets this far.
    assert!(
        Settings::default()
            .resolve(
                Settings {
                    sandbox_uid: Some(0),
                    ..Default::default()
                },
                vec!["x".into()]
            )
            .is_err()
    );
    let _ = config(Settings::default());
    r.stop().await;
}
