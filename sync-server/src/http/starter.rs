//! The files a room made from the start page begins with: a program to run, a small site to
//! preview, and a README saying how to use the room.

use std::collections::BTreeMap;

const MAIN_PY: &str = r#"# Press Run: the output appears below the editor.
name = "Tandem"
print(f"Hello from {name}!")
for n in range(1, 4):
    print(f"{n} x {n} = {n * n}")
"#;

const INDEX_HTML: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Hello, Tandem</title>
    <link rel="stylesheet" href="style.css">
  </head>
  <body>
    <h1>Hello, Tandem!</h1>
    <p>Edit index.html, style.css and app.js: the preview follows.</p>
    <button id="greet">Say hello</button>
    <p id="out"></p>
    <script src="app.js"></script>
  </body>
</html>
"#;

const STYLE_CSS: &str = r#"body {
  font-family: system-ui, sans-serif;
  max-width: 40rem;
  margin: 3rem auto;
  padding: 0 1rem;
}

h1 {
  color: #4b3fd1;
}
"#;

const APP_JS: &str = r#"const out = document.getElementById("out");
document.getElementById("greet").addEventListener("click", () => {
  out.textContent = `Hello at ${new Date().toLocaleTimeString()}!`;
});
"#;

const README_MD: &str = r#"# Welcome to your room

Everyone with the edit link types in these files at the same time; the view link only watches.

- **Run** runs `main.py` (or the file you pick) and shows its output under the editor.
- **Preview** shows `index.html` (with `style.css` and `app.js`) as a page, live as you edit.
- **Chat**: type `@claude` followed by a question or a request in the chat, and Claude answers
  there, and edits the files beside you when you ask it to. `/stop` stops an answer, and a
  turn's changes can be rejected.
- **Share**: send the edit link to people who should type, the view link to people who watch.
"#;

/// The starter files, path to text.
pub fn files() -> BTreeMap<String, String> {
    [
        ("main.py", MAIN_PY),
        ("index.html", INDEX_HTML),
        ("style.css", STYLE_CSS),
        ("app.js", APP_JS),
        ("README.md", README_MD),
    ]
    .into_iter()
    .map(|(path, text)| (path.to_owned(), text.to_owned()))
    .collect()
}
