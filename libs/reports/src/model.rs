//! A report's request, as the national platform's report API reads it (`POST /signalements`):
//! camelCase fields, `type` tags, GeoJSON points.
use ban_domain::PositionType;
use ban_store::ReportType;
use serde::{Deserialize, Serialize};

/// What anyone sends to report an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportRequest {
    /// Code INSEE de la commune.
    pub code_commune: String,
    #[serde(rename = "type")]
    pub kind: ReportType,
    /// L’adresse, la voie ou le lieu-dit concerné (obligatoire sauf pour une création).
    #[serde(default)]
    pub existing_location: Option<ExistingLocation>,
    /// Ce qui est demandé : l’état voulu (création, modification), ou la raison (suppression).
    pub changes_requested: ChangesRequested,
    /// L’auteur, s’il veut être tenu au courant : jamais publié.
    #[serde(default)]
    pub author: Option<Author>,
}

/// The object a report is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum ExistingLocation {
    /// Une adresse numérotée.
    #[serde(rename = "NUMERO", rename_all = "camelCase")]
    Numero {
        #[serde(default)]
        ban_id: Option<String>,
        numero: u32,
        #[serde(default)]
        suffixe: Option<String>,
        #[serde(default)]
        position: Option<Position>,
        /// Sa voie ou son lieu-dit.
        #[serde(default)]
        toponyme: Option<ExistingToponym>,
    },
    /// Une voie.
    #[serde(rename = "VOIE", rename_all = "camelCase")]
    Voie {
        #[serde(default)]
        ban_id: Option<String>,
        nom: String,
        #[serde(default)]
        position: Option<Position>,
    },
    /// Un lieu-dit.
    #[serde(rename = "TOPONYME", rename_all = "camelCase")]
    Toponyme {
        #[serde(default)]
        ban_id: Option<String>,
        nom: String,
        #[serde(default)]
        position: Option<Position>,
    },
}

impl ExistingLocation {
    /// The BAN id given, if any.
    pub fn ban_id(&self) -> Option<&str> {
        match self {
            ExistingLocation::Numero { ban_id, .. }
            | ExistingLocation::Voie { ban_id, .. }
            | ExistingLocation::Toponyme { ban_id, .. } => ban_id.as_deref(),
        }
    }

    pub fn position(&self) -> Option<&Position> {
        match self {
            ExistingLocation::Numero { position, .. }
            | ExistingLocation::Voie { position, .. }
            | ExistingLocation::Toponyme { position, .. } => position.as_ref(),
        }
    }

    /// `NUMERO`, `VOIE` or `TOPONYME`.
    pub fn kind(&self) -> &'static str {
        match self {
            ExistingLocation::Numero { .. } => "NUMERO",
            ExistingLocation::Voie { .. } => "VOIE",
            ExistingLocation::Toponyme { .. } => "TOPONYME",
        }
    }
}

/// The street or lieu-dit of an address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExistingToponym {
    pub nom: String,
    #[serde(default)]
    pub ban_id: Option<String>,
}

/// What a report asks: the state wanted (every field of it, not a difference), or for a
/// deletion the reason only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangesRequested {
    /// Numéro de l’adresse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numero: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffixe: Option<String>,
    /// Nom de la voie de l’adresse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nom_voie: Option<String>,
    /// Nom de la voie ou du lieu-dit (création ou modification d’un toponyme).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nom: Option<String>,
    /// Nom du lieu-dit complémentaire de l’adresse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nom_complement: Option<String>,
    /// Parcelles cadastrales (14 caractères, p. ex. `54084000AB0123`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parcelles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<Position>,
    /// Commentaire ; la raison, pour une suppression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A position of the BAL: its type and its point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// `entrée`, `bâtiment`, `cage d’escalier`, `logement`, `service technique`,
    /// `délivrance postale`, `parcelle` ou `segment`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: PositionType,
    pub point: GeoPoint,
}

/// A GeoJSON point (WGS84 longitude, latitude).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// `Point`.
    #[serde(rename = "type")]
    pub kind: String,
    pub coordinates: [f64; 2],
}

/// Who wrote a report: kept to tell them what became of it, never published.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Author {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}
