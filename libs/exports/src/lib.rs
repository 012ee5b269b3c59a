//! The national base written in the layouts reusers already read: the BAN CSV (with and
//! without ids), lieux-dits, the base as BAL, GeoJSON (and GeoJSON Lines), and the addok
//! documents the geocoder is built from (layouts: `docs/downloads.md`).
//!
//! Domain code only: it writes prepared communes to any `io::Write`, one at a time, so an
//! export of France is written in the memory of its largest commune; `stream` cuts an export
//! into chunks (gzip or plain) and says which commune it needs next. Reading the store and
//! serving files belong to `services/downloads` (and `ban export`).
pub mod addok;
mod afnor;
pub mod commune;
pub mod formats;
pub mod stream;
pub mod text;

pub use afnor::nom_afnor;
pub use commune::{CommuneData, Prepared};
pub use formats::{address_feature, toponym_feature, BalVersion, ExportWriter, Format, Scope};
pub use text::CsvStyle;

use ban_spatial::Territories;

/// Writes one commune's part of an export (after `ExportWriter::begin`).
pub fn write_commune(
    writer: &mut ExportWriter,
    out: &mut impl std::io::Write,
    data: CommuneData<'_>,
) -> std::io::Result<()> {
    let prepared = Prepared::new(data, Territories::national());
    writer.commune(out, &prepared)
}
