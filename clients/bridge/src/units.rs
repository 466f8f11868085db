//! Offsets as editors count them: bytes (Neovim's `on_bytes`), UTF-16 code units (VS Code,
//! LSP) or code points; converted to and from byte offsets into a Rust string.

/// The unit an editor declares in `hello` (`utf-8`, `utf-16`, `utf-32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    Utf8,
    Utf16,
    Utf32,
}

impl Units {
    pub fn parse(name: &str) -> Option<Units> {
        match name {
            "utf-8" => Some(Units::Utf8),
            "utf-16" => Some(Units::Utf16),
            "utf-32" => Some(Units::Utf32),
            _ => None,
        }
    }

    /// Length of `s` in this unit.
    pub fn len(self, s: &str) -> usize {
        match self {
            Units::Utf8 => s.len(),
            Units::Utf16 => s.encode_utf16().count(),
            Units::Utf32 => s.chars().count(),
        }
    }

    /// The byte offset of `offset` (in this unit) into `s`; `None` past the end or inside a
    /// character.
    pub fn to_byte(self, s: &str, offset: usize) -> Option<usize> {
        match self {
            Units::Utf8 => s.is_char_boundary(offset).then_some(offset),
            Units::Utf16 | Units::Utf32 => {
                let mut at = 0;
                for (byte, ch) in s.char_indices() {
                    if at == offset {
                        return Some(byte);
                    }
                    at += if self == Units::Utf16 {
                        ch.len_utf16()
                    } else {
                        1
                    };
                    if at > offset {
                        return None;
                    }
                }
                (at == offset).then_some(s.len())
            }
        }
    }

    /// The offset in this unit of byte offset `byte` (a character boundary) of `s`.
    pub fn from_byte(self, s: &str, byte: usize) -> usize {
        self.len(&s[..byte])
    }
}

#[cfg(test)]
mod tests {
    use super::Units;

    #[test]
    fn offsets_round_trip_through_every_unit() {
        let s = "aü😀b你";
        // a(1 byte,1 unit) ü(2,1) 😀(4,2 utf-16) b(1,1) 你(3,1)
        let table = [
            (Units::Utf8, vec![0, 1, 3, 7, 8, 11]),
            (Units::Utf16, vec![0, 1, 2, 4, 5, 6]),
            (Units::Utf32, vec![0, 1, 2, 3, 4, 5]),
        ];
        let bytes = [0, 1, 3, 7, 8, 11];
        for (units, offsets) in table {
            for (o, b) in offsets.iter().zip(bytes) {
                assert_eq!(units.to_byte(s, *o), Some(b), "{units:?} {o}");
                assert_eq!(units.from_byte(s, b), *o, "{units:?} {b}");
            }
            assert_eq!(units.len(s), *offsets.last().unwrap());
        }
        assert_eq!(Units::Utf8.to_byte(s, 2), None, "inside ü");
        assert_eq!(
            Units::Utf16.to_byte(s, 3),
            None,
            "inside the surrogate pair"
        );
        assert_eq!(Units::Utf32.to_byte(s, 6), None, "past the end");
        assert_eq!(Units::parse("utf-16"), Some(Units::Utf16));
        assert_eq!(Units::parse("latin1"), None);
    }
}
