//! BAN Sync domain types, free of I/O: what an address file talks about, parsed once and
//! trusted afterwards.
pub mod base;
pub mod deburr;
pub mod ids;
pub mod insee;
pub mod level;
pub mod position;
mod text_enum;

pub use deburr::deburr;
pub use ids::BanId;
pub use insee::{departement_of, is_departement, InseeCode};
pub use level::Level;
pub use position::PositionType;
pub use text_enum::UnknownValue;

/// The `numero` that marks a BAL row describing a named place (street or lieu-dit) rather
/// than a numbered address.
pub const TOPONYM_NUMERO: u32 = 99_999;
