//! A streaming CSV tokenizer with the exact field and row boundaries of the parser the
//! reference validator uses (PapaParse 5): `"` quoting with `""` escapes, a closing quote
//! that only counts when followed by blanks then a delimiter or the line break, malformed
//! quotes kept as text, an unterminated quote swallowing the rest of the file, and a final
//! row for whatever follows the last line break.
//!
//! It works on bytes: every structural character is ASCII in UTF-8 and Windows-1252 alike,
//! so fields are cut before being decoded.
use std::io::{self, Read};

use super::Linebreak;

/// One row as cut from the file: field bytes (quotes resolved) and where it starts.
#[derive(Debug, Default, Clone)]
pub struct RawRow {
    data: Vec<u8>,
    ends: Vec<usize>,
    /// 1-based physical line where the row starts.
    pub line: usize,
}

impl RawRow {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn field(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.data[start..self.ends[index]]
    }

    /// All field bytes, back to back (fields are cut at ASCII separators, so if this is valid
    /// UTF-8, so is every field).
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// Byte range of a field within [`RawRow::bytes`].
    pub fn range(&self, index: usize) -> std::ops::Range<usize> {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        start..self.ends[index]
    }

    pub fn fields(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.field(i))
    }

    /// A line with nothing on it: one empty field.
    pub fn is_blank(&self) -> bool {
        self.ends.len() == 1 && self.ends[0] == 0
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    fn push_field(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        self.ends.push(self.data.len());
    }

    fn push_unescaped(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(i) = memchr::memmem::find(rest, b"\"\"") {
            self.data.extend_from_slice(&rest[..=i]);
            rest = &rest[i + 2..];
        }
        self.data.extend_from_slice(rest);
        self.ends.push(self.data.len());
    }
}

/// A quoting problem met while cutting rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteProblem {
    /// A quoted field is never closed: the rest of the file became its value (fatal).
    Missing { row: usize, line: usize },
    /// A closing quote is followed by text: the quote was kept as text (harmless).
    Malformed { row: usize, line: usize },
}

const CHUNK: usize = 64 * 1024;

/// Cuts rows out of a byte stream.
#[derive(Debug)]
pub struct Tokenizer<R> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    delimiter: u8,
    linebreak: Linebreak,
    /// Rows produced so far (blank ones included), as the reference counts them in errors.
    rows: usize,
    line: usize,
    started: bool,
    done: bool,
    whitespace: fn(&[u8]) -> bool,
    pub problems: Vec<QuoteProblem>,
}

impl<R: Read> Tokenizer<R> {
    /// `reader` must be positioned after any byte-order mark. `whitespace` tells whether a
    /// run of bytes is only blanks in the file's encoding.
    pub fn new(reader: R, delimiter: u8, linebreak: Linebreak, whitespace: fn(&[u8]) -> bool) -> Self {
        Tokenizer {
            reader,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            eof: false,
            delimiter,
            linebreak,
            rows: 0,
            line: 1,
            started: false,
            done: false,
            whitespace,
            problems: Vec::new(),
        }
    }

    /// Reads more bytes; false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let read = loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(old + read);
        if read == 0 {
            self.eof = true;
        }
        Ok(read > 0)
    }

    /// Makes `buf[at]` available; false if the input ends before it.
    fn available(&mut self, at: usize) -> io::Result<bool> {
        while at >= self.buf.len() {
            if !self.fill()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn newline_at(&mut self, at: usize) -> io::Result<bool> {
        let nl = self.linebreak.bytes();
        if self.buf.get(at) != Some(&nl[0]) {
            return Ok(false);
        }
        if nl.len() == 1 {
            return Ok(true);
        }
        Ok(self.available(at + 1)? && self.buf[at + 1] == nl[1])
    }

    fn count_lines(&mut self, from: usize, to: usize) {
        let needle = match self.linebreak {
            Linebreak::Cr => b'\r',
            Linebreak::Lf | Linebreak::CrLf => b'\n',
        };
        self.line += memchr::memchr_iter(needle, &self.buf[from..to]).count();
    }

    /// Unquoted text holds no line break of the file's own kind, but a CRLF file may hold
    /// a bare LF, which editors count as a line.
    fn count_stray_lines(&mut self, from: usize, to: usize) {
        if self.linebreak == Linebreak::CrLf {
            self.count_lines(from, to);
        }
    }

    /// Cuts the next row into `row`; false when the input is exhausted.
    pub fn next_row(&mut self, row: &mut RawRow) -> io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        if !self.started {
            self.started = true;
            // An empty input has no row at all, not one blank row.
            if !self.available(0)? {
                self.done = true;
                return Ok(false);
            }
        }
        // Indices stay valid within a row: the consumed part is only dropped between rows.
        if self.pos >= CHUNK {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        row.clear();
        row.line = self.line;
        let row_index = self.rows;
        self.rows += 1;
        loop {
            // At the start of a field.
            if !self.available(self.pos)? {
                row.push_field(b"");
                self.done = true;
                return Ok(true);
            }
            if self.buf[self.pos] == b'"' {
                if self.quoted_field(row, row_index)? {
                    return Ok(true);
                }
                if self.done {
                    return Ok(true);
                }
                continue;
            }
            // Unquoted: up to the delimiter or the line break, whichever comes first.
            let nl0 = self.linebreak.bytes()[0];
            let mut i = self.pos;
            loop {
                if !self.available(i)? {
                    let (s, e) = (self.pos, self.buf.len());
                    row.push_field(&self.buf[s..e]);
                    self.count_lines(s, e);
                    self.pos = e;
                    self.done = true;
                    return Ok(true);
                }
                match memchr::memchr2(self.delimiter, nl0, &self.buf[i..]) {
                    None => {
                        i = self.buf.len();
                        continue;
                    }
                    Some(off) => i += off,
                }
                let s = self.pos;
                if self.buf[i] == self.delimiter {
                    row.push_field(&self.buf[s..i]);
                    self.count_stray_lines(s, i);
                    self.pos = i + 1;
                    break;
                }
                if self.newline_at(i)? {
                    row.push_field(&self.buf[s..i]);
                    self.count_stray_lines(s, i);
                    self.pos = i + self.linebreak.bytes().len();
                    self.line += 1;
                    return Ok(true);
                }
                i += 1;
            }
        }
    }

    /// Reads a quoted field starting at `pos`. Returns true when it ended the row.
    fn quoted_field(&mut self, row: &mut RawRow, row_index: usize) -> io::Result<bool> {
        let open = self.pos;
        let content = open + 1;
        let mut search = open;
        loop {
            // Next quote after `search`.
            let mut q = search + 1;
            loop {
                if !self.available(q)? {
                    // Never closed: the rest of the input is the value, quotes and all.
                    self.problems.push(QuoteProblem::Missing { row: row_index, line: row.line });
                    let end = self.buf.len();
                    row.push_field(&self.buf[content..end]);
                    self.count_lines(open, end);
                    self.pos = end;
                    self.done = true;
                    return Ok(true);
                }
                match memchr::memchr(b'"', &self.buf[q..]) {
                    Some(off) => {
                        q += off;
                        break;
                    }
                    None => q = self.buf.len(),
                }
            }
            // Closing quote as the very last byte.
            if !self.available(q + 1)? {
                row.push_unescaped(&self.buf[content..q]);
                self.count_lines(open, q + 1);
                self.pos = q + 1;
                self.done = true;
                return Ok(true);
            }
            if self.buf[q + 1] == b'"' {
                search = q + 1;
                continue;
            }
            // What follows the quote, up to the first delimiter or line break.
            let mut e = q + 1;
            let boundary = loop {
                if !self.available(e)? {
                    break None;
                }
                if self.buf[e] == self.delimiter {
                    break Some(false);
                }
                if self.newline_at(e)? {
                    break Some(true);
                }
                e += 1;
            };
            let blank = e == q + 1 || (self.whitespace)(&self.buf[q + 1..e]);
            match boundary {
                Some(ends_row) if blank => {
                    row.push_unescaped(&self.buf[content..q]);
                    let next = if ends_row { e + self.linebreak.bytes().len() } else { e + 1 };
                    self.count_lines(open, e);
                    if ends_row {
                        self.line += 1;
                    }
                    self.pos = next;
                    return Ok(ends_row);
                }
                _ => {
                    self.problems.push(QuoteProblem::Malformed { row: row_index, line: row.line });
                    search = q + 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii_blank(bytes: &[u8]) -> bool {
        bytes.iter().all(|b| b" \t\r\n\x0b\x0c".contains(b))
    }

    fn rows(input: &str, delimiter: u8, linebreak: Linebreak) -> (Vec<Vec<String>>, Vec<QuoteProblem>) {
        let mut t = Tokenizer::new(input.as_bytes(), delimiter, linebreak, ascii_blank);
        let mut row = RawRow::default();
        let mut out = Vec::new();
        while t.next_row(&mut row).expect("in-memory read") {
            out.push(row.fields().map(|f| String::from_utf8_lossy(f).into_owned()).collect());
        }
        (out, t.problems)
    }

    fn cut(input: &str) -> Vec<Vec<String>> {
        rows(input, b';', Linebreak::Lf).0
    }

    #[test]
    fn plain_rows_and_trailing_blank_row() {
        assert_eq!(cut("a;b\nc;d\n"), vec![vec!["a", "b"], vec!["c", "d"], vec![""]]);
        assert_eq!(cut("a;b"), vec![vec!["a", "b"]]);
        assert!(cut("").is_empty());
    }

    #[test]
    fn quotes_escapes_and_embedded_separators() {
        assert_eq!(cut("\"a;b\";\"c\"\"d\"\n"), vec![vec!["a;b", "c\"d"], vec![""]]);
        assert_eq!(cut("\"multi\nline\";x"), vec![vec!["multi\nline", "x"]]);
        assert_eq!(cut("\"a\"  ;b"), vec![vec!["a", "b"]]);
        assert_eq!(cut("x\"y;z"), vec![vec!["x\"y", "z"]]);
    }

    #[test]
    fn malformed_and_missing_quotes() {
        let (r, p) = rows("\"ab\"c\";d\n", b';', Linebreak::Lf);
        assert_eq!(r[0], vec!["ab\"c", "d"]);
        assert!(matches!(p[0], QuoteProblem::Malformed { row: 0, .. }));
        let (r, p) = rows("a;b\n\"open;c\nd", b';', Linebreak::Lf);
        assert_eq!(r[1], vec!["open;c\nd"]);
        assert_eq!(p, vec![QuoteProblem::Missing { row: 1, line: 2 }]);
    }

    #[test]
    fn crlf_keeps_lone_cr_and_lf_in_fields() {
        let (r, _) = rows("a;b\r\nc\rx;d\ny\r\n", b';', Linebreak::CrLf);
        assert_eq!(r, vec![vec!["a", "b"], vec!["c\rx", "d\ny"], vec![""]]);
    }

    #[test]
    fn physical_lines_follow_quoted_line_breaks() {
        let mut t = Tokenizer::new("h\n\"a\nb\"\nc\n".as_bytes(), b';', Linebreak::Lf, ascii_blank);
        let mut row = RawRow::default();
        let mut lines = Vec::new();
        while t.next_row(&mut row).expect("read") {
            lines.push(row.line);
        }
        assert_eq!(lines, vec![1, 2, 4, 5]);
    }

    #[test]
    fn tiny_reads_cut_the_same_rows() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = "a;\"b\"\"c\";d\r\n\"e\r\nf\";g\r\n";
        let mut t = Tokenizer::new(Trickle(input.as_bytes()), b';', Linebreak::CrLf, ascii_blank);
        let mut row = RawRow::default();
        let mut out = Vec::new();
        while t.next_row(&mut row).expect("read") {
            out.push(row.fields().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>());
        }
        assert_eq!(out, vec![vec!["a", "b\"c", "d"], vec!["e\r\nf", "g"], vec![""]]);
    }
}
