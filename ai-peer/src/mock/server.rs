//! The HTTP shell: the two model endpoints (record, validate, pick a scenario, translate) and
//! the streamed body that sends each frame as soon as it is produced.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::conversation::Conversation;
use super::plan::{HttpReply, Reply, Step};
use super::state::{Api, RecordedRequest, Shared};
use super::{control, converse, sse, validate};

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    pub shared: Arc<Shared>,
    /// Ends the streams in flight when the server shuts down.
    pub shutdown: CancellationToken,
}

pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/v1/messages", post(anthropic))
        .route("/model/{model_id}/converse-stream", post(bedrock))
        .merge(control::routes())
        // Real contexts reach ~1 MB of JSON; axum's default limit is 2 MB.
        .layer(DefaultBodyLimit::max(64 << 20))
        .with_state(app)
}

async fn anthropic(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let message_no = app.shared.next_message_no();
    let request_id = format!("req_mock_{message_no}");
    let parsed = serde_json::from_slice::<Value>(&body);
    let model = parsed
        .as_ref()
        .ok()
        .and_then(|b| b.get("model")?.as_str())
        .map(str::to_owned);
    app.shared.record(RecordedRequest::new(
        Api::Anthropic,
        uri.path(),
        model,
        &headers,
        as_recorded(&parsed, &body),
    ));

    let refuse = |status: u16, error_type: &str, message: &str| {
        http_reply(
            sse::error_reply(status, error_type, message, &request_id, Vec::new()),
            &[],
        )
    };
    let checked = checked_body(
        validate::anthropic_headers(&headers, &app.shared.api_keys),
        parsed,
        "body: invalid JSON",
        validate::anthropic_body,
        "invalid_request_error",
    );
    let body_json = match checked {
        Ok(json) => json,
        Err(r) => return refuse(r.status, r.error_type, &r.message),
    };
    let conversation = Conversation::from_anthropic(&body_json, body.len());
    let lines = match app.shared.reply_lines(&conversation, message_no) {
        Ok(lines) => lines,
        Err(e) => return refuse(500, "api_error", &format!("claude-mock: {e}")),
    };
    let reply = sse::translate(&lines, &conversation.model, &request_id);
    let Ok(reply) = reply.try_map(|frame| Ok::<_, std::convert::Infallible>(frame.encode()));
    respond(
        reply,
        "text/event-stream",
        &[("request-id".into(), request_id)],
        app.shutdown,
    )
}

async fn bedrock(
    State(app): State<App>,
    Path(model_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let message_no = app.shared.next_message_no();
    let request_id = vec![(
        "x-amzn-requestid".to_owned(),
        format!("req-mock-{message_no}"),
    )];
    let parsed = serde_json::from_slice::<Value>(&body);
    let recorded = RecordedRequest::new(
        Api::Bedrock,
        uri.path(),
        Some(model_id.clone()),
        &headers,
        as_recorded(&parsed, &body),
    );
    app.shared.record(recorded);

    let refuse = |status: u16, error_type: &str, message: &str| {
        http_reply(
            converse::error_reply(status, error_type, message, Vec::new()),
            &request_id,
        )
    };
    let checked = checked_body(
        validate::bedrock_headers(&headers, &app.shared.api_keys),
        parsed,
        "invalid JSON body",
        validate::bedrock_body,
        "ValidationException",
    );
    let body_json = match checked {
        Ok(json) => json,
        Err(r) => return refuse(r.status, r.error_type, &r.message),
    };
    let conversation = Conversation::from_bedrock(&model_id, &body_json, body.len());
    let reply = app
        .shared
        .reply_lines(&conversation, message_no)
        .and_then(|lines| converse::translate(&lines))
        .and_then(|reply| reply.try_map(|frame| frame.encode()));
    match reply {
        Ok(reply) => respond(
            reply,
            "application/vnd.amazon.eventstream",
            &request_id,
            app.shutdown,
        ),
        Err(e) => refuse(500, "InternalServerException", &format!("claude-mock: {e}")),
    }
}

/// The request's checks in the order a real server makes them: headers, then JSON, then the
/// body's schema (a bad body is a 400 of the API's own validation error type).
fn checked_body(
    headers: Result<(), validate::Rejection>,
    parsed: Result<Value, serde_json::Error>,
    invalid_json: &str,
    schema: fn(&Value) -> Result<(), String>,
    invalid_type: &'static str,
) -> Result<Value, validate::Rejection> {
    headers?;
    let bad = |message: String| validate::Rejection {
        status: 400,
        error_type: invalid_type,
        message,
    };
    let body = parsed.map_err(|e| bad(format!("{invalid_json}: {e}")))?;
    schema(&body).map_err(bad)?;
    Ok(body)
}

/// The body as recorded: its JSON, or its text when it is not JSON.
fn as_recorded(parsed: &Result<Value, serde_json::Error>, raw: &[u8]) -> Value {
    match parsed {
        Ok(json) => json.clone(),
        Err(_) => Value::String(String::from_utf8_lossy(raw).into_owned()),
    }
}

fn respond(
    reply: Reply<Bytes>,
    content_type: &'static str,
    extra: &[(String, String)],
    shutdown: CancellationToken,
) -> Response {
    let steps = match reply {
        Reply::Error(error) => return http_reply(error, extra),
        Reply::Stream(steps) => steps,
    };
    let mut response = Response::new(stream_body(steps, shutdown));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    add_headers(headers, extra);
    response
}

fn http_reply(reply: HttpReply, extra: &[(String, String)]) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(reply.body)).into_response();
    add_headers(response.headers_mut(), &reply.headers);
    add_headers(response.headers_mut(), extra);
    response
}

fn add_headers(headers: &mut HeaderMap, extra: &[(String, String)]) {
    for (name, value) in extra {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.insert(name, value);
        }
    }
}

/// A body that plays the steps: each frame is its own chunk and the stream yields to the
/// connection before producing the next, so hyper flushes frames one at a time; a `Drop`
/// ends the body with an error, which makes hyper abort the connection (no final chunk).
fn stream_body(steps: Vec<Step<Bytes>>, shutdown: CancellationToken) -> Body {
    let stream =
        futures_util::stream::unfold((steps.into_iter(), false), |(mut steps, sent)| async move {
            loop {
                match steps.next()? {
                    Step::Sleep(pause) => tokio::time::sleep(pause).await,
                    Step::Frame(bytes) => {
                        if sent {
                            tokio::task::yield_now().await;
                        }
                        return Some((Ok(bytes), (steps, true)));
                    }
                    Step::Drop => {
                        // Let hyper flush what was sent before aborting.
                        tokio::task::yield_now().await;
                        let error = std::io::Error::other(
                            "claude-mock: connection dropped by the scenario",
                        );
                        return Some((Err(error), (Vec::new().into_iter(), true)));
                    }
                }
            }
        });
    Body::from_stream(stream.take_until(shutdown.cancelled_owned()))
}
