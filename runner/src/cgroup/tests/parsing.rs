//! Table tests of the /proc parsers: this host, co-mounted cpu,cpuacct, pure v2, a container.

use crate::cgroup::parse::*;

/// This host kind: hybrid, cpu and cpuacct mounted apart, cgroup2 at unified.
const HYBRID: (&str, &str) = (
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/9f17\n2:cpuacct:/\n1:cpu:/\n0::/\n",
);
/// Older distributions: `cpu,cpuacct` co-mounted, optional fields before the separator.
const COMOUNTED: (&str, &str) = (
    "25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:8 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory
27 24 0:24 / /sys/fs/cgroup/pids rw,nosuid shared:10 - cgroup cgroup rw,pids",
    "5:pids:/user.slice\n4:memory:/user.slice\n3:cpu,cpuacct:/user.slice\n",
);
/// Pure v2 (production).
const PURE_V2: (&str, &str) = (
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
    "0::/system.slice/tandem.service\n",
);
/// A container: each mount shows only the container's subtree, whose path is its root.
const CONTAINER: (&str, &str) = (
    "700 690 0:40 /docker/abc /sys/fs/cgroup/memory ro,nosuid master:20 - cgroup cgroup rw,memory
701 690 0:41 /docker/abc /sys/fs/cgroup/pids ro,nosuid - cgroup cgroup rw,pids",
    "4:memory:/docker/abc/job\n3:pids:/docker/abc\n",
);

fn dir(layout: (&str, &str), controller: Option<&str>) -> Option<String> {
    let (mounts, own) = (parse_mountinfo(layout.0), parse_proc_cgroup(layout.1));
    let d = match controller {
        Some(c) => v1_dir(&mounts, &own, c),
        None => v2_dir(&mounts, &own),
    };
    d.map(|d| d.to_string_lossy().into_owned())
}

#[test]
fn own_directories() {
    type Row = (
        (&'static str, &'static str),
        Option<&'static str>,
        Option<&'static str>,
    );
    let table: &[Row] = &[
        (
            HYBRID,
            Some("memory"),
            Some("/sys/fs/cgroup/memory/process_api/9f17"),
        ),
        (HYBRID, Some("cpu"), Some("/sys/fs/cgroup/cpu")),
        (HYBRID, Some("cpuacct"), Some("/sys/fs/cgroup/cpuacct")),
        (HYBRID, Some("freezer"), None),
        (HYBRID, None, Some("/sys/fs/cgroup/unified")),
        (
            COMOUNTED,
            Some("cpu"),
            Some("/sys/fs/cgroup/cpu,cpuacct/user.slice"),
        ),
        (
            COMOUNTED,
            Some("cpuacct"),
            Some("/sys/fs/cgroup/cpu,cpuacct/user.slice"),
        ),
        (
            COMOUNTED,
            Some("memory"),
            Some("/sys/fs/cgroup/memory/user.slice"),
        ),
        (COMOUNTED, None, None),
        (
            PURE_V2,
            None,
            Some("/sys/fs/cgroup/system.slice/tandem.service"),
        ),
        (PURE_V2, Some("memory"), None),
        (CONTAINER, Some("memory"), Some("/sys/fs/cgroup/memory/job")),
        (CONTAINER, Some("pids"), Some("/sys/fs/cgroup/pids")),
    ];
    for (i, (layout, controller, want)) in table.iter().enumerate() {
        assert_eq!(
            dir(*layout, *controller).as_deref(),
            *want,
            "row {i}: {controller:?}"
        );
    }
}

#[test]
fn lines() {
    assert_eq!(
        parse_proc_cgroup("3:cpu,cpuacct:/a:b\n0::/\njunk\n"),
        vec![
            Membership {
                id: 3,
                controllers: vec!["cpu".into(), "cpuacct".into()],
                path: "/a:b".into()
            },
            Membership {
                id: 0,
                controllers: vec![],
                path: "/".into()
            },
        ]
    );
    let m = parse_mountinfo(
        "1 2 0:3 / /mnt/my\\040cg rw - cgroup2 none rw\n4 5 0:6 / /proc rw - proc proc rw",
    );
    assert_eq!(m.len(), 1, "non-cgroup mounts are skipped");
    assert_eq!(
        (m[0].mount_point.to_str(), m[0].v2),
        (Some("/mnt/my cg"), true)
    );
    assert_eq!(unescape("a\\134b\\011"), "a\\b\t");
}
