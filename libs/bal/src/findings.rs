//! Every finding of a file, one at a time: what [`Options::on_finding`](crate::Options)
//! receives, and its lines in CSV and NDJSON for a streamed report.
use std::io::Write;
use std::sync::Arc;

use serde::Serialize;

use crate::labels::label;
use crate::report::{Issue, ParseError};

/// A finding as [`Options::on_finding`](crate::Options) sees it.
#[derive(Debug, Clone, Copy)]
pub enum Finding<'a> {
    /// A row's finding: row checks in file order, then the checks across rows.
    Row(&'a Issue),
    /// A row that could not be cut (then no row is checked).
    Parse(&'a ParseError),
}

/// The receiver of [`Options::on_finding`](crate::Options), shared by the threads that check rows.
#[derive(Clone)]
pub struct FindingSink(Arc<dyn Fn(Finding<'_>) + Send + Sync>);

impl FindingSink {
    pub fn new(sink: impl Fn(Finding<'_>) + Send + Sync + 'static) -> Self {
        FindingSink(Arc::new(sink))
    }

    pub fn send(&self, finding: Finding<'_>) {
        (self.0)(finding)
    }
}

impl std::fmt::Debug for FindingSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FindingSink")
    }
}

/// The header of [`Finding::write_csv`]'s lines.
pub const CSV_HEADER: &str = "line;row;field;code;level;value;label\r\n";

#[derive(Serialize)]
struct Line<'a> {
    line: Option<u32>,
    row: Option<u32>,
    field: Option<&'a str>,
    code: &'a str,
    level: ban_domain::Level,
    value: Option<&'a str>,
    label: &'a str,
}

impl Finding<'_> {
    fn line(&self, label: &'_ str, write: impl FnOnce(&Line<'_>)) {
        let line = match *self {
            Finding::Row(i) => Line {
                line: Some(i.line),
                row: Some(i.row),
                field: i.field.as_deref(),
                code: &i.code,
                level: i.level,
                value: i.value.as_deref(),
                label,
            },
            Finding::Parse(e) => Line {
                line: e.line.map(|l| l as u32),
                row: e.row.map(|r| r as u32),
                field: None,
                code: e.code,
                level: ban_domain::Level::Error,
                value: Some(&e.message),
                label,
            },
        };
        write(&line)
    }

    fn code(&self) -> &str {
        match self {
            Finding::Row(i) => &i.code,
            Finding::Parse(e) => e.code,
        }
    }

    /// Appends the finding as a CSV line (`;`-separated, [`CSV_HEADER`]'s columns, the French
    /// label of its code last).
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        self.line(&label(self.code()), |l| {
            let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
            let cells = [
                &number(l.line),
                &number(l.row),
                l.field.unwrap_or(""),
                l.code,
                l.level.letter(),
                l.value.unwrap_or(""),
                l.label,
            ];
            for (i, cell) in cells.into_iter().enumerate() {
                if i > 0 {
                    out.push(b';');
                }
                if cell.bytes().any(|b| matches!(b, b';' | b'"' | b'\r' | b'\n')) {
                    let _ = write!(out, "\"{}\"", cell.replace('"', "\"\""));
                } else {
                    out.extend_from_slice(cell.as_bytes());
                }
            }
            out.extend_from_slice(b"\r\n");
        })
    }

    /// Appends the finding as one JSON object and a line feed.
    pub fn write_ndjson(&self, out: &mut Vec<u8>) {
        self.line(&label(self.code()), |l| {
            // Plain data into a Vec<u8>: serde_json cannot fail.
            let _ = serde_json::to_writer(&mut *out, l);
            out.push(b'\n');
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::revision::{compute, each_finding, MAX_STORED_FINDINGS_PER_CODE};

    /// A file of Escoulis (31591) whose 250 rows each have a number that is not one.
    fn broken_file() -> Vec<u8> {
        let mut csv = String::from("cle_interop;commune_insee;commune_nom;numero;suffixe;voie_nom;position;x;y;long;lat;source;date_der_maj\n");
        for i in 1..=250 {
            csv.push_str(&format!(
                "31591_0010_{i:05};31591;Escoulis;x{i};;Rue des Places;entrée;539416.13;6225601.11;1.028392;43.111637;Commune;2024-01-01\n"
            ));
        }
        csv.into_bytes()
    }

    fn streamed(bytes: &[u8], csv: bool) -> String {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let out = out.clone();
            FindingSink::new(move |f| {
                let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                if csv {
                    f.write_csv(&mut out)
                } else {
                    f.write_ndjson(&mut out)
                }
            })
        };
        let commune = ban_domain::InseeCode::parse("31591").unwrap_or_else(|e| panic!("{e}"));
        each_finding(bytes, commune, sink).unwrap_or_else(|e| panic!("{e}"));
        let bytes = out.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes).unwrap_or_default()
    }

    #[test]
    fn every_finding_is_streamed_while_the_stored_report_keeps_the_first_ones() {
        let bytes = broken_file();
        let csv = streamed(&bytes, true);
        let numero: Vec<&str> = csv.lines().filter(|l| l.contains(";numero.")).collect();
        assert_eq!(numero.len(), 250, "{csv}");
        assert!(numero[0].starts_with("2;0;numero;numero.type_invalide;E;x1;"), "{}", numero[0]);
        assert!(numero[249].starts_with("251;249;"), "{}", numero[249]);

        let context = crate::depot::DepotContext {
            commune: ban_domain::InseeCode::parse("31591").unwrap_or_else(|e| panic!("{e}")),
            previous_rows: 0,
        };
        let report = compute(&bytes, &context, true).report.unwrap_or_else(|| panic!("unread"));
        let kept = report.issues.iter().filter(|i| *i.code == *"numero.type_invalide").count();
        assert_eq!(kept, MAX_STORED_FINDINGS_PER_CODE);
        assert_eq!(report.counts.per_code.get("numero.type_invalide"), Some(&250));

        let ndjson = streamed(&bytes, false);
        let first: serde_json::Value =
            serde_json::from_str(ndjson.lines().next().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first["line"], 2);
        assert_eq!(first["level"], "E");
        assert!(first["label"].as_str().is_some_and(|l| !l.is_empty()));
    }

    #[test]
    fn parse_errors_are_streamed_past_the_cap() {
        let mut csv = String::from("cle_interop;commune_insee;numero\n");
        for _ in 0..300 {
            csv.push_str("a;b\n");
        }
        let out = streamed(csv.as_bytes(), true);
        assert_eq!(out.lines().filter(|l| l.contains(";TooFewFields;E;")).count(), 300, "{out}");
    }

    #[test]
    fn csv_cells_with_a_separator_or_quotes_are_quoted() {
        let issue = Issue {
            row: 3,
            line: 5,
            field: Some(Arc::from("voie_nom")),
            code: Arc::from("voie_nom.caractere_invalide"),
            level: ban_domain::Level::Warning,
            value: Some("rue \"du\"; Port".into()),
        };
        let mut out = Vec::new();
        Finding::Row(&issue).write_csv(&mut out);
        let line = String::from_utf8(out).unwrap_or_default();
        assert!(
            line.starts_with("5;3;voie_nom;voie_nom.caractere_invalide;W;\"rue \"\"du\"\"; Port\";"),
            "{line}"
        );
        assert!(line.ends_with("\r\n"));
    }
}
