//! The `ban` command line as a library: the binary is a thin `main` over these modules, and
//! end-to-end tests start the same server in-process.
pub mod admin;
pub mod directory;
pub mod export;
pub mod geocode;
pub mod import;
pub mod mirror;
pub mod serve;
pub mod validate;
