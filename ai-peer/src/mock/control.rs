//! The control API tests drive the mock with over HTTP (`/_mock/...`): queue scripted
//! responses, read and clear the recorded requests, replace the rules, check health.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::rules::Rules;
use super::scenario::ScriptedResponse;
use super::server::App;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/_mock/script", post(script))
        .route("/_mock/requests", get(requests).delete(clear_requests))
        .route("/_mock/rules", put(rules))
        .route("/_mock/health", get(health))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// `{"responses": [name | {"lines": [...]}, ...]}`: all are checked before any is queued.
async fn script(State(app): State<App>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body).map_err(|e| format!("invalid JSON: {e}"));
    let responses = parsed.and_then(|body| {
        let items = body
            .get("responses")
            .and_then(Value::as_array)
            .ok_or("expected {\"responses\": [...]}")?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let response = ScriptedResponse::from_json(item)
                    .and_then(|response| app.shared.check(&response).map(|()| response));
                response.map_err(|e| format!("responses.{i}: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()
    });
    match responses {
        Ok(responses) => {
            let queued = responses.len();
            responses.into_iter().for_each(|r| app.shared.push(r));
            Json(json!({ "queued": queued })).into_response()
        }
        Err(message) => bad_request(message),
    }
}

async fn requests(State(app): State<App>) -> Response {
    Json(app.shared.requests()).into_response()
}

async fn clear_requests(State(app): State<App>) -> StatusCode {
    app.shared.clear_requests();
    StatusCode::NO_CONTENT
}

async fn rules(State(app): State<App>, body: Bytes) -> Response {
    match Rules::from_json(&String::from_utf8_lossy(&body)) {
        Ok(rules) => {
            app.shared.set_rules(rules);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => bad_request(message),
    }
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
