//! The geocoder's core, free of HTTP and SQL: addok's text pipeline (`text`), an in-memory
//! index of the addok documents of the base, updated a commune at a time (`index`), search
//! and reverse search scored as addok scores (`search`), their GeoJSON answers (`render`), and
//! the batch geocoding of CSV files (`csv`, for `/search/csv/` and `ban geocode`); before
//! addok's pipeline, messy queries are read as people mean them (`messy`); a cadastral
//! parcel's id finds the addresses on it (`parcels`).
pub mod csv;
pub mod index;
pub mod messy;
pub mod parcels;
pub mod render;
pub mod search;
pub mod text;

pub use index::{DocId, Index, IndexStats};
pub use search::{Filters, Hit, ResultType, ReverseQuery, SearchQuery};
