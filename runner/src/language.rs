//! The language table: file extension -> command line inside the jail, and which ones this host has.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `PATH` inside the jail, after a language's own entries.
pub const JAIL_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// One language: how to run an entry file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    pub name: String,
    /// Extensions without the dot.
    pub extensions: Vec<String>,
    /// The command line; `{entry}` is replaced by the entry's path relative to the work dir.
    pub command: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Programs that must be found in the jail's PATH (default: the command's first word).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Host directories bound read-only into the jail (a toolchain outside `/usr`).
    #[serde(default)]
    pub mounts: Vec<Mount>,
    /// Extra PATH entries inside the jail, searched first.
    #[serde(default)]
    pub path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    pub host: PathBuf,
    pub jail: String,
}

impl Language {
    fn new(name: &str, extensions: &[&str], command: &[&str]) -> Language {
        Language {
            name: name.into(),
            extensions: extensions.iter().map(|s| s.to_string()).collect(),
            command: command.iter().map(|s| s.to_string()).collect(),
            env: BTreeMap::new(),
            requires: Vec::new(),
            mounts: Vec::new(),
            path: Vec::new(),
        }
    }

    /// The command line for `entry`.
    pub fn argv(&self, entry: &str) -> Vec<String> {
        self.command
            .iter()
            .map(|a| a.replace("{entry}", entry))
            .collect()
    }

    /// `PATH` inside the jail for this language.
    pub fn jail_path(&self) -> String {
        let mut parts: Vec<&str> = self.path.iter().map(String::as_str).collect();
        parts.push(JAIL_PATH);
        parts.join(":")
    }

    fn required(&self) -> Vec<&str> {
        if self.requires.is_empty() {
            self.command
                .first()
                .map(String::as_str)
                .into_iter()
                .collect()
        } else {
            self.requires.iter().map(String::as_str).collect()
        }
    }

    /// The command's program as an absolute path inside the jail; Err names the first required
    /// program this host lacks, as the jail would see it.
    pub fn check_installed(&self) -> Result<String, String> {
        let missing = |program: &str| {
            format!(
                "`{program}` (needed for {}) is not installed on this runner",
                self.name
            )
        };
        for program in self.required() {
            self.jail_which(program).ok_or_else(|| missing(program))?;
        }
        let program = self
            .command
            .first()
            .ok_or_else(|| missing("(empty command)"))?;
        self.jail_which(program).ok_or_else(|| missing(program))
    }

    /// Where `program` resolves inside the jail: its PATH mapped back to host directories (the
    /// jail sees `/usr` as the host's, and each mount at its `jail` path).
    fn jail_which(&self, program: &str) -> Option<String> {
        if program.starts_with('/') {
            let dir = Path::new(program).parent()?.to_str()?;
            let name = Path::new(program).file_name()?;
            let host = self.host_dir(dir)?;
            return is_executable(&host.join(name)).then(|| program.to_owned());
        }
        self.jail_path().split(':').find_map(|dir| {
            let host = self.host_dir(dir)?;
            is_executable(&host.join(program)).then(|| format!("{dir}/{program}"))
        })
    }

    fn host_dir(&self, jail_dir: &str) -> Option<PathBuf> {
        for m in &self.mounts {
            if let Ok(rest) = Path::new(jail_dir).strip_prefix(&m.jail) {
                return Some(m.host.join(rest));
            }
        }
        // `/bin` is a symlink to `usr/bin` inside the jail, whatever the host has.
        let dir = jail_dir
            .strip_prefix("/bin")
            .map_or(jail_dir.to_owned(), |r| format!("/usr/bin{r}"));
        dir.starts_with("/usr/").then(|| PathBuf::from(dir))
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The built-in table: Python, Node.js, shell, bash, C, C++, and Rust when `rustc` is found on
/// the host (its sysroot is bound at `/opt/rust`, since rustup keeps it under a home directory
/// that the jail must not see).
pub fn defaults() -> Vec<Language> {
    let mut python = Language::new("python", &["py"], &["python3", "{entry}"]);
    python.env.insert("PYTHONUNBUFFERED".into(), "1".into());
    python
        .env
        .insert("PYTHONDONTWRITEBYTECODE".into(), "1".into());
    let node = Language::new("node", &["js", "mjs", "cjs"], &["node", "{entry}"]);
    let shell = Language::new("shell", &["sh"], &["sh", "{entry}"]);
    let bash = Language::new("bash", &["bash"], &["bash", "{entry}"]);
    let mut c = Language::new(
        "c",
        &["c"],
        &[
            "sh",
            "-c",
            "cc -O2 -o /tmp/main \"$1\" -lm && exec /tmp/main",
            "c",
            "{entry}",
        ],
    );
    c.requires = vec!["sh".into(), "cc".into()];
    let mut cpp = Language::new(
        "cpp",
        &["cpp", "cc", "cxx"],
        &[
            "sh",
            "-c",
            "c++ -O2 -o /tmp/main \"$1\" && exec /tmp/main",
            "cpp",
            "{entry}",
        ],
    );
    cpp.requires = vec!["sh".into(), "c++".into()];
    let mut list = vec![python, node, shell, bash, c, cpp];
    list.push(rust(rust_sysroot()));
    list
}

fn rust(sysroot: Option<PathBuf>) -> Language {
    let mut rust = Language::new(
        "rust",
        &["rs"],
        &[
            "sh",
            "-c",
            "rustc -O -o /tmp/main \"$1\" && exec /tmp/main",
            "rust",
            "{entry}",
        ],
    );
    rust.requires = vec!["sh".into(), "rustc".into(), "cc".into()];
    if let Some(host) = sysroot {
        rust.mounts.push(Mount {
            host,
            jail: "/opt/rust".into(),
        });
        rust.path.push("/opt/rust/bin".into());
    }
    rust
}

/// Where the host's Rust toolchain lives (`rustc --print sysroot`), unless it is under `/usr`
/// already.
fn rust_sysroot() -> Option<PathBuf> {
    let out = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let root = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && root.is_absolute() && !root.starts_with("/usr")).then_some(root)
}

/// Picks the language for a run: by name, or by the entry's extension for `auto` / "".
pub fn pick<'a>(table: &'a [Language], name: &str, entry: &str) -> Result<&'a Language, String> {
    if name.is_empty() || name == "auto" {
        let ext = Path::new(entry)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("");
        return table
            .iter()
            .find(|l| l.extensions.iter().any(|e| e == ext))
            .ok_or_else(|| format!("no language runs `.{ext}` files (entry {entry})"));
    }
    table
        .iter()
        .find(|l| l.name == name)
        .ok_or_else(|| format!("unknown language `{name}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_extension_or_name() {
        let table = defaults();
        assert_eq!(pick(&table, "auto", "src/main.py").unwrap().name, "python");
        assert_eq!(pick(&table, "", "app.mjs").unwrap().name, "node");
        assert_eq!(pick(&table, "shell", "x.txt").unwrap().name, "shell");
        assert!(
            pick(&table, "auto", "README")
                .unwrap_err()
                .contains("no language")
        );
        assert!(
            pick(&table, "cobol", "a.cob")
                .unwrap_err()
                .contains("unknown")
        );
        assert_eq!(
            pick(&table, "c", "m.c")
                .unwrap()
                .argv("m.c")
                .last()
                .unwrap(),
            "m.c"
        );
    }

    #[test]
    fn installed_check_names_the_missing_program() {
        let table = defaults();
        let python = pick(&table, "python", "a.py").unwrap();
        assert_eq!(
            python.check_installed().as_deref(),
            Ok("/usr/bin/python3"),
            "Debian's python3 is in /usr/bin"
        );
        let mut missing = Language::new("zig", &["zig"], &["zig", "run", "{entry}"]);
        assert!(missing.check_installed().unwrap_err().contains("`zig`"));
        // A program outside /usr is invisible to the jail unless mounted.
        missing.command[0] = "/root/.cargo/bin/cargo".into();
        assert!(missing.check_installed().is_err());
    }

    #[test]
    fn rust_uses_a_mounted_sysroot() {
        let l = rust(Some(PathBuf::from("/somewhere/toolchain")));
        assert_eq!(l.jail_path(), format!("/opt/rust/bin:{JAIL_PATH}"));
        assert_eq!(
            l.host_dir("/opt/rust/bin"),
            Some(PathBuf::from("/somewhere/toolchain/bin"))
        );
        assert_eq!(l.host_dir("/bin"), Some(PathBuf::from("/usr/bin")));
        assert_eq!(l.host_dir("/home/x"), None);
    }
}
