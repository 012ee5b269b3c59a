//! The geocoder's core, free of HTTP and SQL: addok's text pipeline (`text`), an in-memory
//! index of the addok documents of the base, updated a commune at a time (`index`), and search
//! and reverse search scored as addok scores (`search`).
pub mod index;
pub mod search;
pub mod text;

pub use index::{DocId, Index, IndexStats};
pub use search::{Filters, Hit, ResultType, ReverseQuery, SearchQuery};
