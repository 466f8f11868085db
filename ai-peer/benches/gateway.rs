//! How long the gateway takes from a provider's byte reaching our socket to the event reaching
//! the caller, for both wire formats (`cargo bench -p ai-peer --bench gateway`).
//!
//! A local server writes one frame per millisecond and notes when each write returned; the
//! caller notes when the matching event came out of the gateway. The same frames read from a
//! bare TCP socket give the floor (loopback plus the kernel); the difference is what the HTTP
//! client, the wire parser and the gateway add. Prints JSON lines.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ai_peer::config::AiSettings;
use ai_peer::gateway::Call;
use ai_peer::{Event, Request};
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FRAMES: usize = 2000;
const GAP: Duration = Duration::from_millis(1);
const RUNS: usize = 3;

#[derive(Clone, Copy, PartialEq)]
enum Wire {
    Sse,
    EventStream,
}

/// Send times of the frames of the current run, by frame number.
type Sent = Arc<Mutex<Vec<Instant>>>;

fn sse_frame(i: usize) -> Vec<u8> {
    let data = serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":format!("{i} ")}});
    format!("event: content_block_delta\ndata: {data}\n\n").into_bytes()
}

fn sse_head() -> Vec<u8> {
    let start = serde_json::json!({"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":"bench","content":[],"stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}});
    let block = serde_json::json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}});
    format!("event: message_start\ndata: {start}\n\nevent: content_block_start\ndata: {block}\n\n")
        .into_bytes()
}

fn sse_tail() -> Vec<u8> {
    let stop = serde_json::json!({"type":"content_block_stop","index":0});
    let delta = serde_json::json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2000}});
    let end = serde_json::json!({"type":"message_stop"});
    format!("event: content_block_stop\ndata: {stop}\n\nevent: message_delta\ndata: {delta}\n\nevent: message_stop\ndata: {end}\n\n").into_bytes()
}

fn es_frame(event_type: &str, payload: serde_json::Value) -> Vec<u8> {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event_type.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    write_message_to(&message, &mut out).expect("frame");
    out
}

/// An HTTP/1.1 server answering every request with a chunked stream of frames.
async fn serve(listener: TcpListener, wire: Wire, sent: Sent) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        socket.set_nodelay(true).ok();
        let sent = sent.clone();
        tokio::spawn(async move {
            if !read_request(&mut socket).await {
                return;
            }
            let content_type = match wire {
                Wire::Sse => "text/event-stream",
                Wire::EventStream => "application/vnd.amazon.eventstream",
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n"
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let (first, last) = match wire {
                Wire::Sse => (sse_head(), sse_tail()),
                Wire::EventStream => (
                    es_frame("messageStart", serde_json::json!({"role":"assistant"})),
                    [
                        es_frame("contentBlockStop", serde_json::json!({"contentBlockIndex":0})),
                        es_frame("messageStop", serde_json::json!({"stopReason":"end_turn"})),
                        es_frame("metadata", serde_json::json!({"usage":{"inputTokens":10,"outputTokens":2000,"totalTokens":2010},"metrics":{"latencyMs":1}})),
                    ]
                    .concat(),
                ),
            };
            let _ = write_chunk(&mut socket, &first).await;
            for i in 0..FRAMES {
                tokio::time::sleep(GAP).await;
                let frame = match wire {
                    Wire::Sse => sse_frame(i),
                    Wire::EventStream => es_frame(
                        "contentBlockDelta",
                        serde_json::json!({"contentBlockIndex":0,"delta":{"text":format!("{i} ")}}),
                    ),
                };
                // Stamped just before the write: the frame is on its way from here.
                sent.lock().unwrap()[i] = Instant::now();
                if write_chunk(&mut socket, &frame).await.is_err() {
                    return;
                }
            }
            let _ = write_chunk(&mut socket, &last).await;
            let _ = socket.write_all(b"0\r\n\r\n").await;
        });
    }
}

async fn write_chunk(socket: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(b"\r\n");
    socket.write_all(&chunk).await
}

/// Reads one request (headers and a content-length body); false when the peer went away.
async fn read_request(socket: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 16384];
    loop {
        let Ok(n) = socket.read(&mut tmp).await else {
            return false;
        };
        if n == 0 {
            return false;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let Ok(n) = socket.read(&mut tmp).await else {
                    return false;
                };
                if n == 0 {
                    return false;
                }
                buf.extend_from_slice(&tmp[..n]);
            }
            return true;
        }
    }
}

fn settings(wire: Wire, addr: std::net::SocketAddr) -> AiSettings {
    let toml = match wire {
        Wire::Sse => format!(
            "[anthropic.client]\nbase_url = \"http://{addr}\"\n[[anthropic.keys]]\nid = \"bench\"\nkey = \"sk-bench\"\n[cache]\nenabled = false\n"
        ),
        Wire::EventStream => format!(
            "[[bedrock.accounts]]\nid = \"bench\"\n[bedrock.accounts.client]\nregion = \"us-east-1\"\nendpoint_url = \"http://{addr}\"\naccess_key_id = \"AKIDBENCH\"\nsecret_access_key = \"secret\"\n[cache]\nenabled = false\n"
        ),
    };
    toml::from_str(&toml).expect("bench settings")
}

/// Latencies in microseconds of one run through the gateway.
async fn through_gateway(wire: Wire) -> Vec<f64> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent: Sent = Arc::new(Mutex::new(vec![Instant::now(); FRAMES]));
    tokio::spawn(serve(listener, wire, sent.clone()));
    let gateway = settings(wire, addr)
        .gateway(&|_| None)
        .await
        .expect("gateway");
    let mut call = Call::new(Request::user("bench", 4096), "bench", "bench");
    call.model = Some("claude-haiku-4-5".into());
    let mut answer = gateway.stream(call).await.expect("answer");
    let mut received = vec![None; FRAMES];
    while let Some(event) = answer.next().await {
        let now = Instant::now();
        if let Event::TextDelta { text, .. } = event.expect("event")
            && let Ok(i) = text.trim().parse::<usize>()
        {
            received[i] = Some(now);
        }
    }
    let sent = sent.lock().unwrap();
    received
        .iter()
        .zip(sent.iter())
        .filter_map(|(r, s)| r.map(|r| r.saturating_duration_since(*s).as_secs_f64() * 1e6))
        .collect()
}

/// Latencies of the same frames read straight off a TCP socket.
async fn bare_socket(wire: Wire) -> Vec<f64> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent: Sent = Arc::new(Mutex::new(vec![Instant::now(); FRAMES]));
    tokio::spawn(serve(listener, wire, sent.clone()));
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.set_nodelay(true).unwrap();
    socket
        .write_all(b"POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    // A delta frame is complete once its marker and the end of its chunk are in; frames are
    // 1 ms apart, so each read normally brings exactly one.
    let marker: &[u8] = match wire {
        Wire::Sse => b"event: content_block_delta",
        Wire::EventStream => b"contentBlockDelta",
    };
    let mut received = Vec::with_capacity(FRAMES);
    let mut buf = vec![0u8; 65536];
    let mut seen = 0usize;
    loop {
        let n = socket.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        let now = Instant::now();
        let frames = buf[..n]
            .windows(marker.len())
            .filter(|w| *w == marker)
            .count();
        for _ in 0..frames {
            if seen < FRAMES {
                received.push(now);
            }
            seen += 1;
        }
        if buf[..n].ends_with(b"0\r\n\r\n") {
            break;
        }
    }
    let sent = sent.lock().unwrap();
    received
        .iter()
        .zip(sent.iter())
        .map(|(r, s)| r.saturating_duration_since(*s).as_secs_f64() * 1e6)
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut us: Vec<f64>) -> (f64, f64) {
    us.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&us, 0.5), percentile(&us, 0.99));
    println!(
        "{}",
        serde_json::json!({"bench": name, "frames": us.len(), "p50_us": p50, "p90_us": percentile(&us, 0.9),
            "p99_us": p99, "max_us": us.last().copied().unwrap_or(0.0)})
    );
    (p50, p99)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for (wire, name) in [(Wire::Sse, "anthropic_sse"), (Wire::EventStream, "bedrock_eventstream")] {
            for run in 0..RUNS {
                let (_, floor) = report(&format!("{name}/bare_socket/run{run}"), bare_socket(wire).await);
                let (_, total) = report(&format!("{name}/gateway/run{run}"), through_gateway(wire).await);
                println!("{}", serde_json::json!({"bench": format!("{name}/added/run{run}"), "p99_added_us": total - floor}));
            }
        }
    });
}
