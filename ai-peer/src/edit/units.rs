//! Conversions between Rust byte offsets and the document's offset unit (UTF-8 bytes or UTF-16
//! code units, as `yrs::OffsetKind` says), which differ as soon as text leaves ASCII.

use yrs::OffsetKind;

/// Length of `s` in `kind` units.
pub(crate) fn len(s: &str, kind: OffsetKind) -> u32 {
    match kind {
        OffsetKind::Bytes => s.len() as u32,
        OffsetKind::Utf16 => utf16_len(s),
    }
}

pub(crate) fn utf16_len(s: &str) -> u32 {
    s.chars().map(|c| c.len_utf16() as u32).sum()
}

/// The byte offset in `s` of the offset `at` in `kind` units, if it falls on a character boundary
/// within `s`.
pub(crate) fn to_byte(s: &str, at: u32, kind: OffsetKind) -> Option<usize> {
    match kind {
        OffsetKind::Bytes => {
            let at = at as usize;
            s.is_char_boundary(at).then_some(at)
        }
        OffsetKind::Utf16 => {
            let mut units = 0u32;
            for (byte, c) in s.char_indices() {
                if units == at {
                    return Some(byte);
                }
                if units > at {
                    return None;
                }
                units += c.len_utf16() as u32;
            }
            (units == at).then_some(s.len())
        }
    }
}

/// Byte offset of the `n`th char of `s` (or `s.len()` when `s` has fewer chars).
pub(crate) fn char_to_byte(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(b, _)| b)
}

/// 1-based line of byte offset `at` in `s`.
pub(crate) fn line_of(s: &str, at: usize) -> u32 {
    1 + s.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() as u32
}

/// 1-based last line spanned by `piece` when it starts on line `first`: a trailing newline
/// ends the last line rather than opening another.
pub(crate) fn last_line(first: u32, piece: &str) -> u32 {
    let body = piece.strip_suffix('\n').unwrap_or(piece);
    first + body.bytes().filter(|&b| b == b'\n').count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_map_to_bytes_on_boundaries_only() {
        let s = "a😀中b";
        assert_eq!(utf16_len(s), 5);
        assert_eq!(to_byte(s, 0, OffsetKind::Utf16), Some(0));
        assert_eq!(to_byte(s, 1, OffsetKind::Utf16), Some(1));
        assert_eq!(to_byte(s, 2, OffsetKind::Utf16), None);
        assert_eq!(to_byte(s, 3, OffsetKind::Utf16), Some(5));
        assert_eq!(to_byte(s, 5, OffsetKind::Utf16), Some(s.len()));
        assert_eq!(to_byte(s, 6, OffsetKind::Utf16), None);
        assert_eq!(to_byte(s, 2, OffsetKind::Bytes), None);
        assert_eq!(to_byte(s, 5, OffsetKind::Bytes), Some(5));
        assert_eq!(char_to_byte(s, 2), 5);
        assert_eq!(char_to_byte(s, 9), s.len());
    }

    #[test]
    fn lines_are_one_based_and_a_final_newline_opens_none() {
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(last_line(2, "b\nc\n"), 3);
        assert_eq!(last_line(2, ""), 2);
    }
}
