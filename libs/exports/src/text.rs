//! How values are printed: CSV cells as the BAN's writers quote them, numbers as JavaScript
//! prints them (the reference exports are written by Node).
use std::fmt::Write as _;
use std::io::{self, Write};

/// The two CSV dialects of the BAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStyle {
    /// The daily files (csv-write-stream): LF after every line; a cell is quoted when it holds
    /// `;`, `"`, CR or LF.
    Daily,
    /// The per-commune downloads (papaparse): CRLF between lines, none after the last; a cell
    /// is also quoted when it starts or ends with a space.
    Download,
}

/// Writes CSV rows in one style.
#[derive(Debug)]
pub struct CsvWriter {
    style: CsvStyle,
    lines: u64,
}

impl CsvWriter {
    pub fn new(style: CsvStyle) -> Self {
        CsvWriter { style, lines: 0 }
    }

    pub fn row<I, S>(&mut self, out: &mut impl Write, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        if self.style == CsvStyle::Download && self.lines > 0 {
            out.write_all(b"\r\n")?;
        }
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                out.write_all(b";")?;
            }
            self.cell(out, cell.as_ref())?;
        }
        if self.style == CsvStyle::Daily {
            out.write_all(b"\n")?;
        }
        self.lines += 1;
        Ok(())
    }

    fn cell(&self, out: &mut impl Write, cell: &str) -> io::Result<()> {
        let special = cell.bytes().any(|b| matches!(b, b';' | b'"' | b'\r' | b'\n'));
        let padded = self.style == CsvStyle::Download
            && (cell.starts_with(' ') || cell.ends_with(' ') || cell.contains('\u{feff}'));
        if !(special || padded) {
            return out.write_all(cell.as_bytes());
        }
        out.write_all(b"\"")?;
        out.write_all(cell.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    }
}

/// A number as JavaScript's `String(n)` prints it for the magnitudes of coordinates and
/// scores (shortest round-trip digits, no `.0`, `-0` as `0`).
pub fn js_number(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let mut text = String::new();
    let _ = write!(text, "{value}");
    text
}

/// `Number.parseFloat(value.toFixed(decimals))`: rounded half away from zero.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// An optional number, empty when absent.
pub fn opt_number(value: Option<f64>) -> String {
    value.map(js_number).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(style: CsvStyle, rows: &[&[&str]]) -> String {
        let mut writer = CsvWriter::new(style);
        let mut out = Vec::new();
        for row in rows {
            writer.row(&mut out, row.iter()).expect("in memory");
        }
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn daily_cells_are_quoted_only_for_separators_quotes_and_newlines() {
        let rows: &[&[&str]] = &[&["a", "b;c", "d\"e", "f\ng", " lead"], &["", "x", "", "", ""]];
        assert_eq!(csv(CsvStyle::Daily, rows), "a;\"b;c\";\"d\"\"e\";\"f\ng\"; lead\n;x;;;\n");
    }

    #[test]
    fn downloads_use_crlf_between_lines_and_quote_padded_cells() {
        let rows: &[&[&str]] = &[&["uid", "nom"], &[" @a:1", "Rue"]];
        assert_eq!(csv(CsvStyle::Download, rows), "uid;nom\r\n\" @a:1\";Rue");
    }

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(js_number(652000.0), "652000");
        assert_eq!(js_number(-0.0), "0");
        assert_eq!(js_number(5.844123), "5.844123");
        assert_eq!(js_number(round_to(0.125, 2)), "0.13");
        assert_eq!(js_number(round_to(49.3291604, 6)), "49.32916");
        assert_eq!(opt_number(None), "");
    }
}
