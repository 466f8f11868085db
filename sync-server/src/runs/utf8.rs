//! Program output as text: the runner streams raw bytes in chunks that can split a character, so
//! an incomplete character at the end of a chunk waits for the next one; bytes that are not UTF-8
//! become U+FFFD.

/// One output stream's decoder.
#[derive(Debug, Default)]
pub struct Utf8Stream {
    /// The start of a character whose remaining bytes have not arrived (at most 3 bytes).
    carry: Vec<u8>,
}

impl Utf8Stream {
    /// The text of `bytes`, after whatever was carried over from the previous chunk.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        let joined;
        let mut rest: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            let mut all = std::mem::take(&mut self.carry);
            all.extend_from_slice(bytes);
            joined = all;
            &joined
        };
        let mut out = String::with_capacity(rest.len());
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    return out;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                        // Valid so far but cut short: the rest comes with the next chunk.
                        None => {
                            self.carry = after.to_vec();
                            return out;
                        }
                    }
                }
            }
        }
    }

    /// Whatever is left when the stream ends (an incomplete character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.carry);
        String::from_utf8_lossy(&rest).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_split_across_chunks_survive_and_garbage_is_replaced() {
        let text = "héllo 🎉 世界\n".as_bytes();
        // Every split point, including inside each multi-byte character.
        for cut in 0..=text.len() {
            let mut d = Utf8Stream::default();
            let mut got = d.push(&text[..cut]);
            got += &d.push(&text[cut..]);
            got += &d.finish();
            assert_eq!(got, "héllo 🎉 世界\n", "cut at {cut}");
        }
        let mut d = Utf8Stream::default();
        assert_eq!(d.push(b"a\xffb\xc3"), "a\u{FFFD}b");
        assert_eq!(d.push(b"\xa9!"), "é!");
        assert_eq!(d.push(b"\xe4\xb8"), "");
        assert_eq!(d.finish(), "\u{FFFD}");
        assert_eq!(d.finish(), "");
    }
}
