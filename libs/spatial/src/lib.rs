//! Spatial building blocks: the legal projection of each French territory, commune contours,
//! the territories reference (communes and their EPCI), and the R-tree checks of a commune's
//! positions.
pub mod checks;
pub mod contours;
pub mod epci;
pub mod legal;
pub mod territories;

pub use epci::{Epci, Epcis};
pub use legal::{
    legal_projection_for, LegalProjection, Projected, ProjectionError, Projector, LEGAL_PROJECTIONS,
};
pub use territories::{Territories, Territory};
