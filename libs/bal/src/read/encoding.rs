//! Character encoding detection and decoding, with the verdicts of the reference validator.
//!
//! The reference asks a charset detector for candidates: it takes UTF-8 when the UTF-8 score
//! is high (valid multi-byte sequences, or a BOM with few errors) or when the bytes are plain
//! ASCII; otherwise it takes the best candidate, and only the Latin-1 family is accepted
//! (decoded as Windows-1252, reported as non-standard). We reproduce the UTF-8 score exactly
//! and treat every other non-UTF-8 text as Windows-1252, except byte-order-marked UTF-16 and
//! UTF-32, which the detector recognises with certainty and the reference refuses.
use std::borrow::Cow;

/// The encoding a BAL file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

impl Encoding {
    /// The name reports use (`utf-8`, `windows-1252`).
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
        }
    }

    /// Decodes one field. UTF-8 errors become U+FFFD, as a lenient decoder does.
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(bytes),
            Encoding::Windows1252 => decode_windows_1252(bytes),
        }
    }
}

/// Scores how much a byte stream looks like UTF-8, fed chunk by chunk. The arithmetic
/// (including its quirks: the byte that breaks a sequence is consumed, the scan stops after
/// six bad lead bytes) is the one of the ICU-derived detector the reference relies on.
#[derive(Debug, Default)]
pub struct Utf8Score {
    seen: u64,
    head: [u8; 4],
    valid: u64,
    invalid: u64,
    /// Continuation bytes still expected; negative after a bad lead byte (then any run of
    /// continuation bytes is swallowed).
    trail: Option<i32>,
    stopped: bool,
}

impl Utf8Score {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            // Runs of ASCII outside a sequence change nothing: skip them in bulk.
            if self.seen >= 4 && self.trail.is_none() {
                let ascii = chunk.iter().position(|b| !b.is_ascii()).unwrap_or(chunk.len());
                self.seen += ascii as u64;
                chunk = &chunk[ascii..];
                if chunk.is_empty() {
                    break;
                }
            }
            let b = chunk[0];
            chunk = &chunk[1..];
            if self.seen < 4 {
                self.head[self.seen as usize] = b;
            }
            self.seen += 1;
            if self.stopped {
                self.seen += chunk.len() as u64;
                break;
            }
            match self.trail {
                Some(remaining) => {
                    if b & 0xc0 != 0x80 {
                        self.invalid += 1;
                        self.trail = None;
                    } else if remaining - 1 == 0 {
                        self.valid += 1;
                        self.trail = None;
                    } else {
                        self.trail = Some(remaining - 1);
                    }
                }
                None => {
                    if b & 0x80 == 0 {
                        continue;
                    }
                    self.trail = Some(if b & 0xe0 == 0xc0 {
                        1
                    } else if b & 0xf0 == 0xe0 {
                        2
                    } else if b & 0xf8 == 0xf0 {
                        3
                    } else {
                        self.invalid += 1;
                        if self.invalid > 5 {
                            self.stopped = true;
                            self.trail = None;
                            continue;
                        }
                        0
                    });
                }
            }
        }
    }

    fn has_bom(&self) -> bool {
        self.seen >= 3 && self.head[..3] == [0xef, 0xbb, 0xbf]
    }

    /// The detector's confidence that the bytes are UTF-8 (0 when it would not propose it).
    pub fn confidence(&self) -> u32 {
        let (valid, invalid, bom) = (self.valid, self.invalid, self.has_bom());
        if bom && invalid == 0 {
            100
        } else if bom && valid > invalid * 10 {
            80
        } else if valid > 3 && invalid == 0 {
            100
        } else if valid > 0 && invalid == 0 {
            80
        } else if valid == 0 && invalid == 0 {
            10
        } else if valid > invalid * 10 {
            25
        } else {
            0
        }
    }

    /// Decides the encoding once every byte has been fed.
    pub fn verdict(&self) -> Result<Encoding, String> {
        let confidence = self.confidence();
        if confidence >= 80 || confidence == 10 {
            return Ok(Encoding::Utf8);
        }
        let head = &self.head[..self.seen.min(4) as usize];
        let unicode = if head.starts_with(&[0xff, 0xfe, 0, 0]) {
            Some("UTF-32LE")
        } else if head.starts_with(&[0, 0, 0xfe, 0xff]) {
            Some("UTF-32BE")
        } else if head.starts_with(&[0xff, 0xfe]) {
            Some("UTF-16LE")
        } else if head.starts_with(&[0xfe, 0xff]) {
            Some("UTF-16BE")
        } else {
            None
        };
        match unicode {
            Some(name) => Err(name.to_owned()),
            None => Ok(Encoding::Windows1252),
        }
    }
}

/// Windows-1252 as the reference's decoder maps it: the five unassigned bytes become U+FFFD.
fn decode_windows_1252(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        return Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default());
    }
    const HIGH: [char; 32] = [
        '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž', '\u{fffd}',
        '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{fffd}', 'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(bytes: &[u8]) -> Result<Encoding, String> {
        let mut score = Utf8Score::new();
        score.feed(bytes);
        score.verdict()
    }

    #[test]
    fn ascii_and_valid_utf8_are_utf8() {
        assert_eq!(verdict(b"numero;voie_nom\n1;rue"), Ok(Encoding::Utf8));
        assert_eq!(verdict("rue de l'Église".as_bytes()), Ok(Encoding::Utf8));
        assert_eq!(verdict(b""), Ok(Encoding::Utf8));
    }

    #[test]
    fn latin1_is_windows_1252_and_decodes() {
        let bytes = b"rue de l'\xc9glise;Saint-\xc9tienne";
        assert_eq!(verdict(bytes), Ok(Encoding::Windows1252));
        assert_eq!(Encoding::Windows1252.decode(bytes), "rue de l'Église;Saint-Étienne");
        assert_eq!(Encoding::Windows1252.decode(b"\x80\x81"), "€\u{fffd}");
    }

    #[test]
    fn bom_tolerates_a_few_bad_bytes() {
        let mut bytes = vec![0xef, 0xbb, 0xbf];
        bytes.extend("é".repeat(30).as_bytes());
        bytes.extend(b" \xe9 ");
        assert_eq!(verdict(&bytes), Ok(Encoding::Utf8));
    }

    #[test]
    fn utf16_with_bom_is_refused() {
        assert_eq!(verdict(b"\xff\xfen\x00u\x00"), Err("UTF-16LE".into()));
    }

    #[test]
    fn split_chunks_score_like_one() {
        let text = "Châteauneuf-du-Pape;Ébreuil".as_bytes();
        let mut whole = Utf8Score::new();
        whole.feed(text);
        let mut parts = Utf8Score::new();
        for chunk in text.chunks(3) {
            parts.feed(chunk);
        }
        assert_eq!((whole.valid, whole.invalid), (parts.valid, parts.invalid));
    }
}
