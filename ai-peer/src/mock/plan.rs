//! What a translated scenario asks the server to do: answer an HTTP error, or stream frames
//! with pauses and perhaps a dropped connection. Both wire formats produce these.

use std::time::Duration;

use serde_json::Value;

/// The whole answer to one model request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<F> {
    /// A refusal before any streaming: a status, headers and a JSON body.
    Error(HttpReply),
    /// HTTP 200 and a body streamed step by step.
    Stream(Vec<Step<F>>),
}

/// One step of a streamed body.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<F> {
    /// A frame, sent (and flushed) on its own.
    Frame(F),
    /// A pause before the next step.
    Sleep(Duration),
    /// Abort the connection here, without the body's proper end.
    Drop,
}

/// An HTTP answer with a JSON body (`content-type: application/json`).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    pub status: u16,
    /// Extra headers, lowercase names.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl<F> Reply<F> {
    /// The streamed steps with every frame turned into something else (bytes, usually).
    pub fn try_map<G, E>(self, mut f: impl FnMut(F) -> Result<G, E>) -> Result<Reply<G>, E> {
        Ok(match self {
            Self::Error(reply) => Reply::Error(reply),
            Self::Stream(steps) => Reply::Stream(
                steps
                    .into_iter()
                    .map(|step| {
                        Ok(match step {
                            Step::Frame(frame) => Step::Frame(f(frame)?),
                            Step::Sleep(d) => Step::Sleep(d),
                            Step::Drop => Step::Drop,
                        })
                    })
                    .collect::<Result<_, E>>()?,
            ),
        })
    }
}
