//! The built web client: `/` and `/r/{room}` answer its `index.html` (revalidated on every load),
//! `/assets/` its content-hashed files (cached for good), any other top-level file as it is; with
//! no build to serve, the pages answer 503 saying how to make one.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::app::App;

/// How to build the web client, from the repository root.
pub const BUILD_COMMAND: &str = "npm ci --prefix clients/web && npm run build --prefix clients/web";

/// Vite puts a hash of their contents in the names of the files under `assets/`.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The routes of the web client, served from `web_dir`. Logs which directory that is.
pub fn routes(web_dir: Option<&Path>) -> Router<Arc<App>> {
    announce(web_dir);
    let router = Router::new()
        .route("/", get(index))
        .route("/r/{room}", get(index))
        .route("/r/{room}/", get(index));
    let Some(dir) = web_dir else {
        return router;
    };
    let assets = Router::new()
        .nest_service("/assets", files(&dir.join("assets")))
        .layer(map_response(immutable));
    router.merge(assets).route_service("/{file}", files(dir))
}

/// The files of `dir`; a directory is not a page.
fn files(dir: &Path) -> ServeDir {
    ServeDir::new(dir).append_index_html_on_directories(false)
}

fn announce(web_dir: Option<&Path>) {
    match web_dir {
        Some(dir) if dir.join("index.html").is_file() => {
            tracing::info!(web_dir = %dir.display(), "serving the web client");
        }
        Some(dir) => tracing::warn!(
            web_dir = %dir.display(),
            build = BUILD_COMMAND,
            "the web client is not built (no index.html): its pages answer 503 until it is"
        ),
        None => tracing::info!(
            build = BUILD_COMMAND,
            "no web client to serve (see --web-dir): its pages answer 503"
        ),
    }
}

/// The app's page: its `index.html`, which the browser revalidates on every load so a new build
/// (new asset names) takes effect at once.
async fn index(State(app): State<Arc<App>>, req: Request) -> Response {
    let mut res = match &app.config.web_dir {
        Some(dir) => {
            let Ok(res) = ServeFile::new(dir.join("index.html")).oneshot(req).await;
            if res.status() == StatusCode::NOT_FOUND {
                not_built()
            } else {
                res.into_response()
            }
        }
        None => not_built(),
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// 503 with a page saying how to build the web client.
fn not_built() -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n\
         <title>Tandem: web client not built</title>\n\
         <h1>The web client is not built</h1>\n\
         <p>This Tandem server has no built web app to serve. From the repository root, run</p>\n\
         <pre>{BUILD_COMMAND}</pre>\n\
         <p>then reload this page (or start the server with <code>--web-dir</code> naming a \
         build).</p>\n</html>\n"
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// Marks the assets served (and their revalidations) as cacheable for good.
async fn immutable(mut res: Response) -> Response {
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    res
}
