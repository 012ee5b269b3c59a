//! An export fed from the store: the communes of a scope read one at a time and handed to
//! [`ChunkedExport`] (`ban_exports::stream`), which writes the file and cuts it into chunks.
use std::sync::Arc;

use ban_exports::stream::{ChunkedExport, Step};
use ban_exports::{CommuneData, CsvStyle, Format, Scope};
use ban_store::{BaseCommune, Store, StoreError};
use chrono::{DateTime, Utc};

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

/// One export under way, reading its communes from the store.
pub struct ExportStream {
    store: Arc<dyn Store>,
    export: ChunkedExport,
}

impl std::fmt::Debug for ExportStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportStream").field("export", &self.export).finish()
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
        let codes = communes.iter().map(|c| c.commune.code.clone()).collect();
        ExportStream { store, export: ChunkedExport::new(format, scope, codes, style, gzip) }
    }

    /// Communes in the export, and those written so far.
    pub fn progress(&self) -> (usize, usize) {
        self.export.progress()
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.export.rows()
    }

    /// The next bytes of the file, `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ExportError> {
        loop {
            match self.export.next_step()? {
                Step::Chunk(bytes) => return Ok(Some(bytes)),
                Step::End => return Ok(None),
                Step::Read(code) => {
                    let base = self.store.commune_base(&code).await?;
                    if let Some(commune) = base.commune.as_ref() {
                        let data =
                            CommuneData { commune, toponyms: &base.toponyms, addresses: &base.addresses };
                        self.export.commune(data)?;
                    }
                }
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
