//! The `Content-Type` of a room file served as a page (the preview), by its extension. Room
//! files are text, so every type says UTF-8; anything unknown is plain text, never sniffed.

/// The `Content-Type` for the file at `path`.
pub fn of(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    };
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::of;

    #[test]
    fn by_extension_else_plain_text() {
        let table = [
            ("index.html", "text/html"),
            ("old/page.HTM", "text/html"),
            ("style.css", "text/css"),
            ("app.js", "text/javascript"),
            ("lib/mod.mjs", "text/javascript"),
            ("data.json", "application/json"),
            ("logo.svg", "image/svg+xml"),
            ("README.md", "text/markdown"),
            ("notes.txt", "text/plain"),
            ("main.py", "text/plain"),
            ("Makefile", "text/plain"),
            (".gitignore", "text/plain"),
            ("dir.html/file", "text/plain"),
            ("archive.tar.gz", "text/plain"),
        ];
        for (path, want) in table {
            assert_eq!(of(path), format!("{want}; charset=utf-8"), "{path}");
        }
    }
}
