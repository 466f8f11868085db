//! A tiny HTTP/1.1 fixture on 127.0.0.1 for the loopback tests: it records each request and
//! answers with event-stream frames written by the SDK's own codec, an error, or a cut body.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message as Frame};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// What the fixture saw of a request.
#[derive(Debug)]
pub(super) struct Seen {
    pub(super) request_line: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Value,
}

impl Seen {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(super) enum Reply {
    /// 200 with frames, one chunk each: `first`, then (once `gate` fires) `rest`; `cut` writes
    /// these bytes and drops the connection without ending the body.
    Stream {
        first: Vec<Vec<u8>>,
        gate: Option<oneshot::Receiver<()>>,
        rest: Vec<Vec<u8>>,
        cut: Option<Vec<u8>>,
    },
    Error {
        status: u16,
        headers: &'static [(&'static str, &'static str)],
        body: &'static str,
    },
}

pub(super) struct Fixture {
    pub(super) endpoint: String,
    pub(super) seen: mpsc::UnboundedReceiver<Seen>,
    pub(super) requests: Arc<AtomicUsize>,
}

pub(super) async fn serve(reply: Reply) -> Fixture {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (tx, seen) = mpsc::unbounded_channel();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        let mut reply = Some(reply);
        while let Ok((mut socket, _)) = listener.accept().await {
            let Some(request) = read_request(&mut socket).await else {
                continue;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(request);
            match reply.take() {
                Some(reply) => respond(socket, reply).await,
                None => {
                    let extra = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n";
                    let _ = socket.write_all(extra).await;
                }
            }
        }
    });
    Fixture {
        endpoint,
        seen,
        requests,
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")?
        .1
        .parse()
        .ok()?;
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&body).ok()?;
    Some(Seen {
        request_line,
        headers,
        body,
    })
}

async fn respond(mut socket: TcpStream, reply: Reply) {
    match reply {
        Reply::Error {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Error\r\ncontent-length: {}\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = socket.write_all(format!("{head}{body}").as_bytes()).await;
        }
        Reply::Stream {
            first,
            gate,
            rest,
            cut,
        } => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n\
                        transfer-encoding: chunked\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for frame in &first {
                let _ = write_chunk(&mut socket, frame).await;
            }
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            for frame in &rest {
                let _ = write_chunk(&mut socket, frame).await;
            }
            match cut {
                Some(partial) => {
                    let _ = write_chunk(&mut socket, &partial).await;
                }
                None => {
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                }
            }
            let _ = socket.flush().await;
        }
    }
}

async fn write_chunk(socket: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    socket
        .write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    socket.write_all(data).await?;
    socket.write_all(b"\r\n").await?;
    socket.flush().await
}

pub(super) fn frame(
    message_type: &'static str,
    type_header: &'static str,
    kind: &str,
    payload: Value,
) -> Vec<u8> {
    let message = Frame::new(Bytes::from(payload.to_string()))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.into()),
        ))
        .add_header(Header::new(
            type_header,
            HeaderValue::String(kind.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    write_message_to(&message, &mut out).unwrap();
    out
}

pub(super) fn event(kind: &str, payload: Value) -> Vec<u8> {
    frame("event", ":event-type", kind, payload)
}

pub(super) fn message_start() -> Vec<u8> {
    event("messageStart", json!({"role": "assistant"}))
}

pub(super) fn text(index: u32, s: &str) -> Vec<u8> {
    event(
        "contentBlockDelta",
        json!({"contentBlockIndex": index, "delta": {"text": s}}),
    )
}
