//! Pure parsers for `/proc/self/cgroup` and `/proc/self/mountinfo`, and the directory of our own
//! cgroup in each hierarchy they describe.

use std::path::{Path, PathBuf};

/// One line of `/proc/<pid>/cgroup`: `id:controllers:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Membership {
    pub id: u32,
    /// Empty for the cgroup2 line (`0::/path`).
    pub controllers: Vec<String>,
    pub path: String,
}

/// A mounted cgroup hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CgroupMount {
    pub mount_point: PathBuf,
    /// The cgroup shown at the mount point (not `/` in containers or bind mounts).
    pub root: String,
    pub v2: bool,
    /// The super options of a v1 mount (controllers among them); empty for cgroup2.
    pub options: Vec<String>,
}

pub(super) fn parse_proc_cgroup(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|line| {
            // The path may itself contain ':', so split only twice.
            let mut parts = line.splitn(3, ':');
            let id = parts.next()?.parse().ok()?;
            let controllers = parts.next()?;
            let path = parts.next()?;
            Some(Membership {
                id,
                controllers: split_list(controllers),
                path: path.to_owned(),
            })
        })
        .collect()
}

/// The cgroup and cgroup2 mounts of a mountinfo text; other lines are skipped.
pub(super) fn parse_mountinfo(text: &str) -> Vec<CgroupMount> {
    text.lines()
        .filter_map(|line| {
            // Optional fields come before " - ", so the fields after it are found from there.
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let mut right = right.split(' ');
            let (root, mount_point) = (left.get(3)?, left.get(4)?);
            let fstype = right.next()?;
            let _source = right.next()?;
            let options = right.next().unwrap_or("");
            let v2 = match fstype {
                "cgroup2" => true,
                "cgroup" => false,
                _ => return None,
            };
            Some(CgroupMount {
                mount_point: PathBuf::from(unescape(mount_point)),
                root: unescape(root),
                v2,
                options: if v2 { Vec::new() } else { split_list(options) },
            })
        })
        .collect()
}

/// Our directory in the v1 hierarchy that carries `controller`.
pub(super) fn v1_dir(
    mounts: &[CgroupMount],
    own: &[Membership],
    controller: &str,
) -> Option<PathBuf> {
    let has = |list: &[String]| list.iter().any(|c| c == controller);
    let mount = mounts.iter().find(|m| !m.v2 && has(&m.options))?;
    let member = own.iter().find(|m| has(&m.controllers))?;
    Some(join(&mount.mount_point, &mount.root, &member.path))
}

/// Our directory in the cgroup2 hierarchy, if one is mounted.
pub(super) fn v2_dir(mounts: &[CgroupMount], own: &[Membership]) -> Option<PathBuf> {
    let mount = mounts.iter().find(|m| m.v2)?;
    let member = own.iter().find(|m| m.id == 0 && m.controllers.is_empty())?;
    Some(join(&mount.mount_point, &mount.root, &member.path))
}

/// A mount shows the subtree at `root`, so our path is taken relative to it when it lies inside.
fn join(mount_point: &Path, root: &str, path: &str) -> PathBuf {
    let rel = match path.strip_prefix(root.trim_end_matches('/')) {
        Some(rest) if root != "/" && (rest.is_empty() || rest.starts_with('/')) => rest,
        _ => path,
    };
    let rel = rel.trim_start_matches('/');
    if rel.is_empty() {
        mount_point.to_path_buf()
    } else {
        mount_point.join(rel)
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// mountinfo writes space, tab, newline and backslash as `\ooo` octal escapes.
pub(super) fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct {
            Some(d) => {
                out.push(
                    d.iter()
                        .fold(0u8, |acc, c| acc.wrapping_mul(8).wrapping_add(c - b'0')),
                );
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
