//! An export read from the store commune by commune and handed out in chunks (gzip or
//! plain): memory stays that of one commune, whatever the scope.
use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;

use ban_exports::{CommuneData, CsvStyle, ExportWriter, Format, Scope};
use ban_store::{BaseCommune, Store, StoreError};
use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;

/// What versions an export: its last change, for `ETag` and `Last-Modified`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub seq: i64,
    pub changed_at: Option<DateTime<Utc>>,
}

/// The communes of a scope, in code order.
pub async fn communes_of(store: &dyn Store, scope: &Scope) -> Result<Vec<BaseCommune>, StoreError> {
    let mut communes = store.base_communes(scope.departement()).await?;
    communes.retain(|c| scope.contains(&c.commune.code));
    Ok(communes)
}

pub fn version_of(communes: &[BaseCommune]) -> Version {
    let last = communes.iter().max_by_key(|c| c.seq);
    Version { seq: last.map_or(0, |c| c.seq), changed_at: last.map(|c| c.changed_at) }
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

/// One export under way.
pub struct ExportStream {
    store: Arc<dyn Store>,
    writer: ExportWriter,
    pending: VecDeque<String>,
    sink: Option<Sink>,
    started: bool,
    total: usize,
}

impl std::fmt::Debug for ExportStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportStream").field("pending", &self.pending.len()).finish()
    }
}

impl ExportStream {
    pub fn new(
        store: Arc<dyn Store>,
        format: Format,
        scope: Scope,
        communes: &[BaseCommune],
        style: CsvStyle,
        gzip: bool,
    ) -> Self {
        let sink = if gzip {
            Sink::Gzip(GzEncoder::new(Vec::new(), flate2::Compression::new(6)))
        } else {
            Sink::Plain(Vec::new())
        };
        ExportStream {
            store,
            writer: ExportWriter::new(format, scope, style),
            pending: communes.iter().map(|c| c.commune.code.clone()).collect(),
            sink: Some(sink),
            started: false,
            total: communes.len(),
        }
    }

    /// Communes in the export, and those written so far.
    pub fn progress(&self) -> (usize, usize) {
        (self.total - self.pending.len(), self.total)
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.writer.rows()
    }

    /// The next bytes of the file, `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ExportError> {
        loop {
            let Some(sink) = self.sink.as_mut() else { return Ok(None) };
            if !self.started {
                self.started = true;
                self.writer.begin(&mut sink.out())?;
            } else if let Some(code) = self.pending.pop_front() {
                let base = self.store.commune_base(&code).await?;
                let Some(commune) = base.commune.as_ref() else { continue };
                let data = CommuneData { commune, toponyms: &base.toponyms, addresses: &base.addresses };
                ban_exports::write_commune(&mut self.writer, &mut sink.out(), data)?;
            } else {
                self.writer.finish(&mut sink.out())?;
                let bytes = match self.sink.take() {
                    Some(Sink::Gzip(encoder)) => encoder.finish()?,
                    Some(Sink::Plain(buffer)) => buffer,
                    None => Vec::new(),
                };
                return Ok(Some(bytes));
            }
            let chunk = sink.take();
            if !chunk.is_empty() {
                return Ok(Some(chunk));
            }
        }
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}
