//! Bytes → header and rows, as the reference validator reads a BAL file: binary files
//! refused, encoding detected, byte-order marks dropped, line break and delimiter guessed,
//! blank lines skipped, and rows whose field count differs from the header's fatal.
//!
//! Reading streams: a [`Source`] is opened once per pass (detection needs a look at the
//! whole file before the first row can be decoded), and only the current row is held.
pub mod csv;
pub mod encoding;
pub mod sniff;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

pub use csv::{QuoteProblem, RawRow, Tokenizer};
pub use encoding::Encoding;

/// Something that can be read from the start as many times as needed.
pub trait Source {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>>;
    /// A name for messages (the file path).
    fn name(&self) -> String;
    /// The size in bytes, when known cheaply.
    fn size_hint(&self) -> Option<u64> {
        None
    }
}

impl Source for [u8] {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self))
    }
    fn name(&self) -> String {
        "<memory>".to_owned()
    }
    fn size_hint(&self) -> Option<u64> {
        Some(self.len() as u64)
    }
}

impl Source for Vec<u8> {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self.as_slice()))
    }
    fn name(&self) -> String {
        "<memory>".to_owned()
    }
    fn size_hint(&self) -> Option<u64> {
        Some(self.len() as u64)
    }
}

/// A file on disk.
#[derive(Debug, Clone)]
pub struct FileSource(pub PathBuf);

impl Source for FileSource {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(BufReader::with_capacity(256 * 1024, File::open(&self.0)?)))
    }
    fn name(&self) -> String {
        self.0.display().to_string()
    }
    fn size_hint(&self) -> Option<u64> {
        std::fs::metadata(&self.0).ok().map(|m| m.len())
    }
}

impl FileSource {
    pub fn new(path: impl AsRef<Path>) -> Self {
        FileSource(path.as_ref().to_path_buf())
    }
}

/// The line break of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linebreak {
    Lf,
    CrLf,
    Cr,
}

impl Linebreak {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Linebreak::Lf => b"\n",
            Linebreak::CrLf => b"\r\n",
            Linebreak::Cr => b"\r",
        }
    }

    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Linebreak::Lf => "Unix",
            Linebreak::CrLf => "Windows",
            Linebreak::Cr => "Old Mac/BSD",
        }
    }
}

/// Why a file cannot be read as text at all (the reference throws instead of reporting).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("not a text file: the content looks like a {0} file")]
    Binary(&'static str),
    #[error("unsupported character encoding {0}: save the file as UTF-8")]
    UnsupportedEncoding(String),
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
}

/// How the file is written, as detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub encoding: Encoding,
    pub linebreak: Linebreak,
    /// `None` when no candidate delimiter gives at least two columns.
    pub delimiter: Option<u8>,
}

/// Blank text for the closing-quote rule, in either encoding: JavaScript's `trim` set.
fn is_blank_utf8(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).chars().all(is_js_whitespace)
}

fn is_blank_windows_1252(bytes: &[u8]) -> bool {
    Encoding::Windows1252.decode(bytes).chars().all(is_js_whitespace)
}

/// The characters JavaScript's `String.prototype.trim` removes.
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// Trims like JavaScript's `String.prototype.trim`.
pub fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_whitespace)
}

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Opens the source past the byte-order marks the reference drops (the decoder drops one,
/// then the validator another).
fn open_text<'a>(
    source: &'a (impl Source + ?Sized),
    encoding: Encoding,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    let mut reader = source.open()?;
    if encoding != Encoding::Utf8 {
        return Ok(reader);
    }
    let mut head = [0u8; 6];
    let mut got = 0;
    while got < head.len() {
        let n = reader.read(&mut head[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let mut skip = 0;
    for _ in 0..2 {
        if head[skip..got].starts_with(UTF8_BOM) {
            skip += 3;
        }
    }
    let rest: Vec<u8> = head[skip..got].to_vec();
    Ok(Box::new(io::Cursor::new(rest).chain(reader)))
}

/// The executables `sniff::sniff_binary` (the reference's list) does not know: ELF (Linux)
/// and Mach-O (macOS), by their magic numbers.
fn executable_kind(head: &[u8]) -> Option<&'static str> {
    const MACH_O: [[u8; 4]; 4] = [
        [0xFE, 0xED, 0xFA, 0xCE],
        [0xFE, 0xED, 0xFA, 0xCF],
        [0xCE, 0xFA, 0xED, 0xFE],
        [0xCF, 0xFA, 0xED, 0xFE],
    ];
    if head.starts_with(b"\x7fELF") {
        Some("elf")
    } else if MACH_O.iter().any(|magic| head.starts_with(magic)) {
        Some("mach-o")
    } else {
        None
    }
}

/// Looks at the whole file once: binary sniffing, encoding, line break and delimiter.
pub fn detect(source: &(impl Source + ?Sized)) -> Result<Dialect, Refusal> {
    let mut reader = source.open()?;
    let mut chunk = vec![0u8; 256 * 1024];
    let mut score = encoding::Utf8Score::new();
    let mut first = true;
    let mut executable = None;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if first {
            first = false;
            // The sniffer looks at the first few kilobytes only.
            if let Some(kind) = sniff::sniff_binary(&chunk[..n]) {
                return Err(Refusal::Binary(kind));
            }
            executable = executable_kind(&chunk[..n]);
        }
        score.feed(&chunk[..n]);
    }
    // Beyond the reference's sniffer, which knows no executables (it reads them as Latin-1
    // text full of errors): refused as binary. Nothing else is: a UTF-16 file without its
    // byte-order mark, NUL bytes and all, is read as the reference reads it.
    if let Some(kind) = executable {
        return Err(Refusal::Binary(kind));
    }
    let encoding = score.verdict().map_err(Refusal::UnsupportedEncoding)?;
    let linebreak = guess_linebreak(open_text(source, encoding)?, encoding)?;
    let mut best: Option<(u8, usize, f64)> = None;
    for delimiter in [b',', b'\t', b';'] {
        let (delta, average) =
            preview_consistency(open_text(source, encoding)?, encoding, delimiter, linebreak)?;
        // Most consistent field count wins; more fields breaks ties.
        let better = match best {
            None => true,
            Some((_, best_delta, best_average)) => {
                delta < best_delta || (delta == best_delta && average > best_average)
            }
        };
        if average > 1.99 && better {
            best = Some((delimiter, delta, average));
        }
    }
    Ok(Dialect { encoding, linebreak, delimiter: best.map(|(d, _, _)| d) })
}

/// Line-break statistics of the text kept for the guess.
#[derive(Debug, Clone, Copy, Default)]
struct BreakCounts {
    seen_lf: bool,
    cr_first: bool,
    crs: usize,
    crlfs: usize,
    previous_cr: bool,
}

impl BreakCounts {
    fn feed(&mut self, b: u8) {
        match b {
            b'\r' => {
                if !self.seen_lf && self.crs == 0 {
                    self.cr_first = true;
                }
                self.crs += 1;
                self.previous_cr = true;
                return;
            }
            b'\n' => {
                if self.previous_cr {
                    self.crlfs += 1;
                }
                self.seen_lf = true;
            }
            _ => {}
        }
        self.previous_cr = false;
    }

    fn linebreak(&self) -> Linebreak {
        if self.crs == 0 || !self.cr_first {
            Linebreak::Lf
        } else if self.crlfs * 2 > self.crs {
            Linebreak::CrLf
        } else {
            Linebreak::Cr
        }
    }
}

/// The line break of the first megabyte (in UTF-16 units, as JavaScript counts), with
/// quoted text (from a quote to the next one) left out: LF if there is no CR or an LF
/// comes first, else CRLF if at least half of the CR-separated pieces start with LF,
/// else CR.
fn guess_linebreak(mut reader: impl Read, encoding: Encoding) -> io::Result<Linebreak> {
    const LIMIT: usize = 1024 * 1024;
    let mut units = 0usize;
    let mut kept = BreakCounts::default();
    // While inside quotes: what the counts would be if the quote is never closed.
    let mut open_quote: Option<BreakCounts> = None;
    let mut chunk = vec![0u8; 64 * 1024];
    'read: loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in &chunk[..n] {
            let width = match encoding {
                Encoding::Windows1252 => 1,
                Encoding::Utf8 if b & 0xc0 == 0x80 => 0,
                Encoding::Utf8 if b >= 0xf0 => 2,
                Encoding::Utf8 => 1,
            };
            if width > 0 && units >= LIMIT {
                break 'read;
            }
            units += width;
            match (&mut open_quote, b) {
                (None, b'"') => {
                    let mut pending = kept;
                    pending.feed(b);
                    open_quote = Some(pending);
                }
                (Some(_), b'"') => open_quote = None,
                (Some(pending), _) => pending.feed(b),
                (None, _) => kept.feed(b),
            }
        }
    }
    Ok(open_quote.unwrap_or(kept).linebreak())
}

/// Parses the first ten rows with `delimiter` as the reference does to guess it: the sum of
/// field-count changes between consecutive non-blank rows, and the average field count.
fn preview_consistency(
    reader: impl Read,
    encoding: Encoding,
    delimiter: u8,
    linebreak: Linebreak,
) -> io::Result<(usize, f64)> {
    let mut tokenizer = Tokenizer::new(reader, delimiter, linebreak, blank_test(encoding));
    let mut row = RawRow::default();
    let (mut rows, mut blanks, mut total, mut delta) = (0usize, 0usize, 0usize, 0usize);
    let mut previous: Option<usize> = None;
    while rows < 10 && tokenizer.next_row(&mut row)? {
        rows += 1;
        if row.is_blank() {
            blanks += 1;
            continue;
        }
        let count = row.len();
        total += count;
        if let Some(p) = previous {
            delta += p.abs_diff(count);
        }
        previous = Some(count);
    }
    let average = if rows > blanks { total as f64 / (rows - blanks) as f64 } else { 0.0 };
    Ok((delta, average))
}

fn blank_test(encoding: Encoding) -> fn(&[u8]) -> bool {
    match encoding {
        Encoding::Utf8 => is_blank_utf8,
        Encoding::Windows1252 => is_blank_windows_1252,
    }
}

/// Opens the rows of a detected file.
pub fn tokenize<'a>(
    source: &'a (impl Source + ?Sized),
    dialect: &Dialect,
) -> io::Result<Tokenizer<Box<dyn Read + Send + 'a>>> {
    let delimiter = dialect.delimiter.unwrap_or(b',');
    Ok(Tokenizer::new(
        open_text(source, dialect.encoding)?,
        delimiter,
        dialect.linebreak,
        blank_test(dialect.encoding),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialect(bytes: &[u8]) -> Dialect {
        match detect(bytes) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn detects_semicolon_utf8_unix() {
        let d = dialect("cle_interop;numero;voie_nom\n1_a_1;1;Rue\n".as_bytes());
        assert_eq!(d, Dialect { encoding: Encoding::Utf8, linebreak: Linebreak::Lf, delimiter: Some(b';') });
    }

    #[test]
    fn detects_comma_tab_and_line_breaks() {
        assert_eq!(dialect(b"a,b,c\r\n1,2,3\r\n").delimiter, Some(b','));
        assert_eq!(dialect(b"a,b,c\r\n1,2,3\r\n").linebreak, Linebreak::CrLf);
        assert_eq!(dialect(b"a\tb\r1\t2\r").delimiter, Some(b'\t'));
        assert_eq!(dialect(b"a\tb\r1\t2\r").linebreak, Linebreak::Cr);
    }

    #[test]
    fn single_column_or_empty_has_no_delimiter() {
        assert_eq!(dialect(b"numero\n1\n").delimiter, None);
        assert_eq!(dialect(b"").delimiter, None);
    }

    #[test]
    fn quoted_line_breaks_do_not_count() {
        assert_eq!(dialect(b"a;\"x\r\ny\r\nz\";b\n1;2;3\n").linebreak, Linebreak::Lf);
    }

    #[test]
    fn refuses_binary_files() {
        assert!(matches!(detect(&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..]), Err(Refusal::Binary(_))));
    }

    #[test]
    fn refuses_executables_the_reference_does_not_know() {
        let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0";
        assert!(matches!(detect(&elf[..]), Err(Refusal::Binary("elf"))));
        let mach_o = b"\xCF\xFA\xED\xFE\x07\0\0\x01\x03\0\0\0";
        assert!(matches!(detect(&mach_o[..]), Err(Refusal::Binary("mach-o"))));
        // NUL bytes alone (a UTF-16 file without its mark) are read as the reference reads them.
        assert!(detect(&b"cle_interop;numero\n\0\0;1\n"[..]).is_ok());
    }
}
