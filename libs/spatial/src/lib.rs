//! Spatial building blocks: the legal projection of each French territory.
pub mod legal;

pub use legal::{
    legal_projection_for, LegalProjection, Projected, ProjectionError, Projector, LEGAL_PROJECTIONS,
};
