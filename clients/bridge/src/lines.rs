//! The editor's requests as lines, each at most `max` bytes. A longer line is reported once and
//! skipped, and reading goes on with the next one (tokio-util's `FramedRead` ends the stream
//! after such an error, which would cut the editor off). Cancel-safe: what was read stays here.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// One line too long (its bytes were dropped).
#[derive(Debug, PartialEq, Eq)]
pub struct TooLong;

pub struct Lines<R> {
    inner: R,
    max: usize,
    buf: Vec<u8>,
    /// Inside a line already over `max`: drop bytes up to its newline.
    skipping: bool,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    pub fn new(inner: R, max: usize) -> Lines<R> {
        Lines {
            inner,
            max,
            buf: Vec::new(),
            skipping: false,
        }
    }

    /// The next line (without its `\n`; invalid UTF-8 replaced), `Err(TooLong)` for one over
    /// the limit, `None` at the end of input.
    pub async fn next(&mut self) -> std::io::Result<Option<Result<String, TooLong>>> {
        loop {
            let chunk = self.inner.fill_buf().await?;
            if chunk.is_empty() {
                if self.skipping {
                    self.skipping = false;
                    return Ok(Some(Err(TooLong)));
                }
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(Ok(self.take())));
            }
            let (piece, used, ends) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            if !self.skipping {
                self.buf.extend_from_slice(piece);
                if self.buf.len() > self.max {
                    self.buf = Vec::new();
                    self.skipping = true;
                }
            }
            self.inner.consume(used);
            if ends {
                if std::mem::take(&mut self.skipping) {
                    return Ok(Some(Err(TooLong)));
                }
                return Ok(Some(Ok(self.take())));
            }
        }
    }

    fn take(&mut self) -> String {
        let bytes = std::mem::take(&mut self.buf);
        let line = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        line.strip_suffix('\r').map(str::to_owned).unwrap_or(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn long_lines_are_skipped_and_reading_goes_on() {
        let input: &[u8] = b"short\nthis one is far too long\nok\r\nlast";
        // A tiny buffer, so lines arrive in many pieces.
        let mut lines = Lines::new(tokio::io::BufReader::with_capacity(3, input), 8);
        let mut got = Vec::new();
        while let Some(l) = lines.next().await.unwrap() {
            got.push(l);
        }
        assert_eq!(
            got,
            [
                Ok("short".to_owned()),
                Err(TooLong),
                Ok("ok".to_owned()),
                Ok("last".to_owned())
            ]
        );
    }
}
