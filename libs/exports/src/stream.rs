//! An export as a sequence of chunks (gzip or plain), a commune at a time, without I/O: the
//! export says which commune it needs next, the caller reads it from wherever the base lives
//! (the store, for the downloads service and `ban export`) and hands it in. Memory stays that
//! of one commune, whatever the scope.
use std::collections::VecDeque;
use std::io::{self, Write};

use flate2::write::GzEncoder;

use crate::{CommuneData, CsvStyle, ExportWriter, Format, Scope};

/// What an export needs or gives next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The next bytes of the file (the last chunk may be empty).
    Chunk(Vec<u8>),
    /// The commune of this code comes next: give its base to [`ChunkedExport::commune`], or
    /// nothing when it is not in the base.
    Read(String),
    /// The file is complete.
    End,
}

enum Sink {
    Gzip(GzEncoder<Vec<u8>>),
    Plain(Vec<u8>),
}

impl Sink {
    fn out(&mut self) -> &mut dyn Write {
        match self {
            Sink::Gzip(encoder) => encoder,
            Sink::Plain(buffer) => buffer,
        }
    }

    fn take(&mut self) -> Vec<u8> {
        match self {
            Sink::Gzip(encoder) => std::mem::take(encoder.get_mut()),
            Sink::Plain(buffer) => std::mem::take(buffer),
        }
    }
}

/// One export under way: the header, each commune of the list in its order, the end.
pub struct ChunkedExport {
    writer: ExportWriter,
    pending: VecDeque<String>,
    sink: Option<Sink>,
    started: bool,
    total: usize,
}

impl std::fmt::Debug for ChunkedExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedExport").field("pending", &self.pending.len()).finish()
    }
}

impl ChunkedExport {
    /// An export of the communes of these codes, in this order.
    pub fn new(format: Format, scope: Scope, communes: Vec<String>, style: CsvStyle, gzip: bool) -> Self {
        let sink = if gzip {
            Sink::Gzip(GzEncoder::new(Vec::new(), flate2::Compression::new(6)))
        } else {
            Sink::Plain(Vec::new())
        };
        ChunkedExport {
            writer: ExportWriter::new(format, scope, style),
            total: communes.len(),
            pending: communes.into(),
            sink: Some(sink),
            started: false,
        }
    }

    /// Communes asked for so far, and in the export.
    pub fn progress(&self) -> (usize, usize) {
        (self.total - self.pending.len(), self.total)
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.writer.rows()
    }

    /// What comes next: bytes of the file, a commune to read, or the end.
    pub fn next_step(&mut self) -> io::Result<Step> {
        loop {
            let Some(sink) = self.sink.as_mut() else { return Ok(Step::End) };
            let chunk = sink.take();
            if !chunk.is_empty() {
                return Ok(Step::Chunk(chunk));
            }
            if !self.started {
                self.started = true;
                self.writer.begin(&mut sink.out())?;
            } else if let Some(code) = self.pending.pop_front() {
                return Ok(Step::Read(code));
            } else {
                self.writer.finish(&mut sink.out())?;
                let bytes = match self.sink.take() {
                    Some(Sink::Gzip(encoder)) => encoder.finish()?,
                    Some(Sink::Plain(buffer)) => buffer,
                    None => Vec::new(),
                };
                return Ok(Step::Chunk(bytes));
            }
        }
    }

    /// Writes the commune last asked for by [`Step::Read`].
    pub fn commune(&mut self, data: CommuneData<'_>) -> io::Result<()> {
        match self.sink.as_mut() {
            Some(sink) => crate::write_commune(&mut self.writer, &mut sink.out(), data),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(export: &mut ChunkedExport) -> Vec<Step> {
        let mut steps = Vec::new();
        loop {
            let step = export.next_step().unwrap_or_else(|e| panic!("{e}"));
            let end = step == Step::End;
            steps.push(step);
            if end {
                return steps;
            }
        }
    }

    #[test]
    fn header_then_each_commune_then_the_end() {
        let codes = vec!["54084".to_owned(), "54085".to_owned()];
        let mut export = ChunkedExport::new(Format::Csv, Scope::France, codes, CsvStyle::Daily, false);
        let steps = run(&mut export);
        assert!(matches!(&steps[0], Step::Chunk(header) if header.starts_with(b"id;")), "{steps:?}");
        assert_eq!(steps[1], Step::Read("54084".into()));
        assert_eq!(steps[2], Step::Read("54085".into()));
        // The last chunk is given even when empty, then the end.
        assert_eq!(steps[3..], [Step::Chunk(Vec::new()), Step::End]);
        assert_eq!(export.progress(), (2, 2));
    }

    #[test]
    fn gzip_chunks_make_one_gzip_file() {
        let mut export = ChunkedExport::new(Format::Csv, Scope::France, Vec::new(), CsvStyle::Daily, true);
        let bytes: Vec<u8> = run(&mut export)
            .into_iter()
            .flat_map(|step| match step {
                Step::Chunk(bytes) => bytes,
                _ => Vec::new(),
            })
            .collect();
        let mut text = String::new();
        io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(text.starts_with("id;"), "{text}");
    }
}
