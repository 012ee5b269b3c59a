//! Citizen reports on addresses (signalements): what a report asks, in the JSON of the
//! national platform's report API ([`ReportRequest`]); the checks that turn a request into a
//! report to store or into a list of clear errors, one per field ([`check`]); and how a
//! publication of the commune that did what a report asked closes it (see `ban_consolidation`'s
//! caller).
//!
//! The field rules are the BAL's (`numero`, `suffixe`, `voie_nom`, `cad_parcelles`…, read by
//! `ban_bal::fields` with the reference validator's labels): a report asks only for what a
//! commune could publish. Positions must lie in the commune (its contour, with a margin).
pub mod check;
pub mod model;

pub use check::{check, Checked, FieldError, MAX_POSITIONS};
pub use model::{
    Author, ChangesRequested, ExistingLocation, ExistingToponym, GeoPoint, Position, ReportRequest,
};
