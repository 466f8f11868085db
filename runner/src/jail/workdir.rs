//! The run's private filesystem: the helper enters its own mount namespace and mounts two tmpfs
//! over the runner's runtime dir — the work dir (size = the disk limit) holding the run's files,
//! and an empty root for the jail. Both vanish with the helper's processes, so a killed run
//! leaves nothing on the host.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

use super::SpecFile;
use crate::language::Mount;

/// Size of the jail's root tmpfs: mount points and a few small `/etc` files.
const ROOT_TMPFS_BYTES: u64 = 1 << 20;

/// Subdirectory of the work dir that `/tmp` points to inside the jail.
pub const TMP_SUBDIR: &str = ".tmp";

pub struct WorkDir {
    pub work: PathBuf,
    pub root: PathBuf,
    /// The spec's extra mounts, with their host side re-bound under the runtime dir.
    pub mounts: Vec<Mount>,
}

/// Enters a private mount namespace (and, when not root, a user namespace mapping us to
/// ourselves, which grants the right to mount) and mounts the two tmpfs. Extra mounts (a
/// toolchain under root's home, say) are bound under the runtime dir first, while we may still
/// read them: the sandbox user could not reach the original path to bind it.
pub fn enter(
    runtime: &Path,
    disk_bytes: u64,
    owner: (u32, u32),
    root: bool,
    extra: &[Mount],
) -> Result<WorkDir, String> {
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    if root {
        unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("unshare(mount): {e}"))?;
    } else {
        unshare(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUSER)
            .map_err(|e| format!("unshare(user, mount): {e}"))?;
        let write = |file: &str, text: String| {
            std::fs::write(file, text).map_err(|e| format!("{file}: {e}"))
        };
        write("/proc/self/setgroups", "deny".into())?;
        write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
        write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    }
    // Nothing mounted from here on may propagate back to the host.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| format!("making / private: {e}"))?;
    let mut dirs = WorkDir {
        work: runtime.join("work"),
        root: runtime.join("root"),
        mounts: Vec::new(),
    };
    // Not MS_NODEV: hakoniwa re-binds the work dir with MS_NOSUID only, and a flag the bind
    // leaves out is locked and makes that remount fail; device nodes cannot be made in a user
    // namespace anyway.
    let flags = MsFlags::MS_NOSUID;
    for (dir, size) in [(&dirs.work, disk_bytes), (&dirs.root, ROOT_TMPFS_BYTES)] {
        let opts = format!("size={size},mode=0755,uid={},gid={}", owner.0, owner.1);
        mount(
            Some("tmpfs"),
            dir,
            Some("tmpfs"),
            flags,
            Some(opts.as_str()),
        )
        .map_err(|e| format!("mounting a tmpfs on {}: {e}", dir.display()))?;
    }
    if !extra.is_empty() {
        let mnt = runtime.join("mnt");
        mount(
            Some("tmpfs"),
            &mnt,
            Some("tmpfs"),
            flags,
            Some("size=64k,mode=0755"),
        )
        .map_err(|e| format!("mounting a tmpfs on {}: {e}", mnt.display()))?;
        for (i, m) in extra.iter().enumerate() {
            let at = mnt.join(i.to_string());
            std::fs::create_dir(&at).map_err(|e| format!("{}: {e}", at.display()))?;
            mount(
                Some(&m.host),
                &at,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(|e| format!("binding {}: {e}", m.host.display()))?;
            dirs.mounts.push(Mount {
                host: at,
                jail: m.jail.clone(),
            });
        }
    }
    Ok(dirs)
}

/// Writes the run's files (and the `/tmp` dir) into the work dir, owned by the sandbox user.
/// Files are written with our own rights before the drop, so a file the jail's rlimits would
/// refuse is refused here by the size check instead.
pub fn populate(
    work: &Path,
    files: &[SpecFile],
    owner: (u32, u32),
    file_limit: u64,
) -> Result<(), String> {
    let chown = |p: &Path| {
        std::os::unix::fs::chown(p, Some(owner.0), Some(owner.1))
            .map_err(|e| format!("chown {}: {e}", p.display()))
    };
    let tmp = work.join(TMP_SUBDIR);
    std::fs::DirBuilder::new()
        .mode(0o1777)
        .create(&tmp)
        .map_err(|e| format!("creating /tmp: {e}"))?;
    chown(&tmp)?;
    for f in files {
        if f.contents.len() as u64 > file_limit {
            return Err(format!(
                "{} is larger than the file size limit ({file_limit} bytes)",
                f.path
            ));
        }
        let path = work.join(&f.path);
        let mut dir = path.parent();
        let mut missing = Vec::new();
        while let Some(d) = dir.filter(|d| !d.exists()) {
            missing.push(d.to_path_buf());
            dir = d.parent();
        }
        for d in missing.iter().rev() {
            std::fs::create_dir(d).map_err(|e| format!("creating {}: {e}", d.display()))?;
            chown(d)?;
        }
        std::fs::write(&path, &f.contents).map_err(|e| match e.raw_os_error() {
            Some(28) => "the files do not fit in the disk limit".to_owned(),
            _ => format!("writing {}: {e}", f.path),
        })?;
        chown(&path)?;
    }
    Ok(())
}

/// After the run: did it fill the work dir, or write a file as large as the file limit?
pub fn hit_disk_limit(work: &Path, file_limit: u64) -> bool {
    let full = nix::sys::statvfs::statvfs(work).is_ok_and(|s| s.blocks_available() == 0);
    full || largest_file(work, 0) >= file_limit
}

fn largest_file(dir: &Path, depth: u32) -> u64 {
    // Bounded: a hostile tree can be deep but not bigger than the tmpfs.
    if depth > 64 {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => largest_file(&e.path(), depth + 1),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}
