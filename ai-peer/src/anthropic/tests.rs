//! The provider over real HTTP: a tiny fixture server on 127.0.0.1 that records each request
//! and answers with canned bytes.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::stream::tests::{TRANSCRIPT, transcript_events};
use super::{AnthropicConfig, AnthropicProvider, http_client};
use crate::{AiError, ErrorKind, Event, Provider, ProviderKind, Request};

/// What the fixture answers.
#[derive(Clone)]
enum Reply {
    /// An SSE body in chunked encoding, one chunk per frame, on a connection kept alive;
    /// `cut` drops the connection before the `message_stop` frame and the final chunk.
    Sse { cut: bool },
    /// Bytes written as they are, then the connection closes.
    Raw(String),
    /// Read the request, then say nothing.
    Silent,
}

/// A fixture server: each request it reads is sent to `requests`, then answered with `reply`.
struct Fixture {
    addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<Received>,
}

/// The request the fixture received.
struct Received {
    request_line: String,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: serde_json::Value,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

async fn fixture(reply: Reply) -> Fixture {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, requests) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.expect("accept");
            tokio::spawn(serve(socket, reply.clone(), tx.clone()));
        }
    });
    Fixture { addr, requests }
}

async fn serve(mut socket: TcpStream, reply: Reply, requests: mpsc::UnboundedSender<Received>) {
    while let Some(received) = read_request(&mut socket).await {
        let _ = requests.send(received);
        match &reply {
            Reply::Raw(bytes) => {
                socket.write_all(bytes.as_bytes()).await.expect("write");
                return;
            }
            Reply::Sse { cut } => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                socket.write_all(head.as_bytes()).await.expect("head");
                let stop = TRANSCRIPT.find("event: message_stop").expect("has a stop");
                for frame in TRANSCRIPT[..stop].split_inclusive("\n\n") {
                    let chunk = format!("{:x}\r\n{frame}\r\n", frame.len());
                    socket.write_all(chunk.as_bytes()).await.expect("chunk");
                }
                if *cut {
                    return;
                }
                // The stop, the frames after it and the body's end arrive together, as they
                // do from the API.
                let tail = &TRANSCRIPT[stop..];
                let chunk = format!("{:x}\r\n{tail}\r\n0\r\n\r\n", tail.len());
                socket.write_all(chunk.as_bytes()).await.expect("tail");
            }
            Reply::Silent => std::future::pending().await,
        }
    }
}

/// The next request on the connection, or `None` when the client closed it.
async fn read_request(socket: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            assert!(buf.is_empty(), "request cut short");
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("head is text");
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .expect("content-length");
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "body cut short");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[head_end..head_end + length]).expect("body is JSON");
    Some(Received {
        request_line,
        headers,
        body,
    })
}

fn provider(addr: SocketAddr) -> AnthropicProvider {
    let config = AnthropicConfig {
        base_url: format!("http://{addr}/"),
        beta: vec!["fine-grained-tool-streaming-2025-05-14".into(), "b2".into()],
        ..AnthropicConfig::default()
    };
    let http = http_client(&config).expect("client");
    AnthropicProvider::new(config, "sk-ant-secret".into(), http)
}

async fn drain(stream: crate::EventStream) -> Vec<Result<Event, AiError>> {
    stream.collect().await
}

#[tokio::test]
async fn streams_a_transcript_with_the_right_headers() {
    let mut server = fixture(Reply::Sse { cut: false }).await;
    let provider = provider(server.addr);
    assert_eq!(provider.kind(), ProviderKind::Anthropic);
    let stream = provider
        .open(&Request::user("hello", 256), "claude-haiku-4-5")
        .await
        .expect("open");
    let got: Vec<Event> = drain(stream)
        .await
        .into_iter()
        .map(|e| e.expect("no error"))
        .collect();
    assert_eq!(got, transcript_events());

    let req = server.requests.recv().await.expect("request");
    assert_eq!(req.request_line, "POST /v1/messages HTTP/1.1");
    for (name, value) in [
        ("x-api-key", "sk-ant-secret"),
        ("anthropic-version", "2023-06-01"),
        (
            "anthropic-beta",
            "fine-grained-tool-streaming-2025-05-14,b2",
        ),
        ("content-type", "application/json"),
        ("accept", "text/event-stream"),
    ] {
        assert_eq!(req.header(name), Some(value), "{name}");
    }
    assert_eq!(req.body["model"], "claude-haiku-4-5");
    assert_eq!(req.body["stream"], true);
    assert_eq!(req.body["messages"][0]["content"][0]["text"], "hello");
}

#[tokio::test]
async fn a_429_is_rate_limited_with_retry_after() {
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"},"request_id":"req_9"}"#;
    let reply = format!(
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = fixture(Reply::Raw(reply)).await;
    let error = provider(server.addr)
        .open(&Request::user("hi", 8), "m")
        .await
        .err()
        .expect("refused");
    match error {
        AiError::Provider {
            kind,
            status,
            retry_after,
            message,
        } => {
            assert_eq!(kind, ErrorKind::RateLimited);
            assert_eq!(status, Some(429));
            assert_eq!(retry_after, Some(Duration::from_secs(2)));
            assert!(
                message.contains("slow down") && message.contains("req_9"),
                "{message}"
            );
        }
        other => panic!("not a provider error: {other:?}"),
    }
}

#[tokio::test]
async fn a_cut_stream_gives_its_events_then_disconnected() {
    let server = fixture(Reply::Sse { cut: true }).await;
    let stream = provider(server.addr)
        .open(&Request::user("hi", 8), "m")
        .await
        .expect("open");
    let mut got = drain(stream).await;
    assert!(
        matches!(got.pop(), Some(Err(AiError::Disconnected))),
        "{got:?}"
    );
    let events: Vec<Event> = got
        .into_iter()
        .map(|e| e.expect("events before the cut"))
        .collect();
    let mut want = transcript_events();
    assert_eq!(want.pop(), Some(Event::MessageStop));
    assert_eq!(events, want);
}

#[tokio::test]
async fn a_200_that_is_not_sse_is_malformed() {
    let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
    let server = fixture(Reply::Raw(reply.into())).await;
    let error = provider(server.addr)
        .open(&Request::user("hi", 8), "m")
        .await
        .err();
    assert!(matches!(error, Some(AiError::Malformed(_))), "{error:?}");
}

#[tokio::test]
async fn no_response_headers_within_the_first_byte_timeout_is_transport() {
    tokio::time::pause();
    let server = fixture(Reply::Silent).await;
    let provider = provider(server.addr);
    let start = tokio::time::Instant::now();
    let error = provider.open(&Request::user("hi", 8), "m").await.err();
    assert!(
        matches!(&error, Some(AiError::Transport(m)) if m.contains("no response")),
        "{error:?}"
    );
    assert!(start.elapsed() >= provider.config.first_byte_timeout);
}

#[tokio::test]
async fn an_unreachable_server_is_transport_and_checks_run_before_sending() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let provider = provider(addr);
    let error = provider.open(&Request::user("hi", 8), "m").await.err();
    assert!(
        matches!(&error, Some(e) if e.is_transient() && matches!(e, AiError::Transport(_))),
        "{error:?}"
    );

    let mut five = Request::user("hi", 8);
    five.messages[0]
        .content
        .extend(std::iter::repeat_n(crate::Block::CachePoint, 5));
    let marked = [crate::Block::Text("x".into()), crate::Block::CachePoint];
    five.messages.push(crate::Message::assistant(
        marked.iter().cycle().take(8).cloned().collect(),
    ));
    let error = provider.open(&five, "m").await.err();
    assert!(matches!(error, Some(AiError::Invalid(_))), "{error:?}");
}

#[test]
fn debug_hides_the_key() {
    let config = AnthropicConfig::default();
    let http = http_client(&config).expect("client");
    let text = format!(
        "{:?}",
        AnthropicProvider::new(config, "sk-ant-secret".into(), http)
    );
    assert!(
        !text.contains("sk-ant-secret") && text.contains("redacted"),
        "{text}"
    );
}
