//! Which file a run starts from when the request does not say: `meta.entry`, else the room's
//! only file, else its first top-level `main.*` file.

use std::collections::BTreeMap;

use super::RunError;

/// The entry of a run: `asked` (the request's), else `meta_entry`, else a guess from `files`.
pub fn pick(
    asked: Option<&str>,
    meta_entry: Option<&str>,
    files: &BTreeMap<String, String>,
) -> Result<String, RunError> {
    let named = |path: &str, whose: &str| {
        if !protocol::schema::valid_file_path(path) {
            Err(RunError::BadPath)
        } else if files.contains_key(path) {
            Ok(path.to_owned())
        } else {
            Err(RunError::Entry(format!(
                "{whose} `{path}` is not a file of this room"
            )))
        }
    };
    if let Some(path) = asked {
        return named(path, "entry");
    }
    if let Some(path) = meta_entry {
        return named(path, "meta.entry");
    }
    if files.len() == 1 {
        return Ok(files.keys().next().cloned().unwrap_or_default());
    }
    // Paths are sorted: `main.js` comes before `main.py`.
    files
        .keys()
        .find(|p| !p.contains('/') && p.starts_with("main.") && p.len() > "main.".len())
        .cloned()
        .ok_or_else(|| {
            RunError::Entry(
                "no entry file: name one (`entry`), set `meta.entry`, or add a top-level `main.*` file"
                    .into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> BTreeMap<String, String> {
        paths
            .iter()
            .map(|p| (p.to_string(), String::new()))
            .collect()
    }

    #[test]
    fn asked_then_meta_then_only_file_then_main() {
        let f = files(&["lib/util.py", "main.py", "notes.md"]);
        assert_eq!(
            pick(Some("notes.md"), Some("main.py"), &f).unwrap(),
            "notes.md"
        );
        assert_eq!(pick(None, Some("lib/util.py"), &f).unwrap(), "lib/util.py");
        assert_eq!(pick(None, None, &f).unwrap(), "main.py");
        assert_eq!(pick(None, None, &files(&["app.js"])).unwrap(), "app.js");
        assert_eq!(
            pick(None, None, &files(&["main.sh", "main.py", "a.txt"])).unwrap(),
            "main.py",
            "the first in path order"
        );
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let f = files(&["a.py", "b.py", "src/main.py"]);
        assert!(matches!(pick(None, None, &f), Err(RunError::Entry(m)) if m.contains("main.*")));
        assert!(
            matches!(pick(Some("x.py"), None, &f), Err(RunError::Entry(m)) if m.contains("`x.py`"))
        );
        assert!(
            matches!(pick(None, Some("gone.py"), &f), Err(RunError::Entry(m)) if m.contains("meta.entry"))
        );
        assert!(matches!(
            pick(Some("../etc/passwd"), None, &f),
            Err(RunError::BadPath)
        ));
        assert!(matches!(
            pick(None, None, &BTreeMap::new()),
            Err(RunError::Entry(_))
        ));
    }
}
