//! Types of geolocated points in a BAL.
use serde::{Deserialize, Serialize};

/// What a BAL position designates. The canonical French spellings are those of the BAL
/// standard (note the typographic apostrophe in `cage d’escalier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PositionType {
    #[serde(rename = "entrée")]
    Entree,
    #[serde(rename = "bâtiment")]
    Batiment,
    #[serde(rename = "cage d’escalier")]
    CageEscalier,
    #[serde(rename = "logement")]
    Logement,
    #[serde(rename = "service technique")]
    ServiceTechnique,
    #[serde(rename = "délivrance postale")]
    DelivrancePostale,
    #[serde(rename = "parcelle")]
    Parcelle,
    #[serde(rename = "segment")]
    Segment,
}

impl PositionType {
    pub const ALL: [PositionType; 8] = [
        PositionType::Entree,
        PositionType::Batiment,
        PositionType::CageEscalier,
        PositionType::Logement,
        PositionType::ServiceTechnique,
        PositionType::DelivrancePostale,
        PositionType::Parcelle,
        PositionType::Segment,
    ];

    /// The spelling of the BAL standard.
    pub fn as_str(self) -> &'static str {
        match self {
            PositionType::Entree => "entrée",
            PositionType::Batiment => "bâtiment",
            PositionType::CageEscalier => "cage d’escalier",
            PositionType::Logement => "logement",
            PositionType::ServiceTechnique => "service technique",
            PositionType::DelivrancePostale => "délivrance postale",
            PositionType::Parcelle => "parcelle",
            PositionType::Segment => "segment",
        }
    }

    /// The type written exactly as the standard spells it.
    pub fn from_canonical(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}
