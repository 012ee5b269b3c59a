//! The national base: what a commune's addresses become once consolidated. These are the
//! states the change feed carries.
use serde::{Deserialize, Serialize};

use crate::{BanId, PositionType};

/// A named place of a commune: a street (voie) or a lieu-dit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Toponym {
    pub id: BanId,
    pub commune: String,
    pub name: String,
    /// A lieu-dit (a BAL row numbered 99999), rather than a street.
    pub lieu_dit: bool,
    /// The street code of `cle_interop` (`54084_0200`), when the file gives one.
    pub cle_voie: Option<String>,
    /// Where a lieu-dit is (a street's place follows from its addresses).
    pub position: Option<[f64; 2]>,
    pub active: bool,
}

/// One position of an address.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AddressPosition {
    pub kind: Option<PositionType>,
    /// Longitude, latitude (WGS84).
    pub coordinates: [f64; 2],
}

/// A numbered address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub id: BanId,
    pub commune: String,
    pub toponym: BanId,
    pub numero: u32,
    pub suffixe: Option<String>,
    pub positions: Vec<AddressPosition>,
    pub cle_interop: Option<String>,
    /// `lieudit_complement_nom`.
    pub complement: Option<String>,
    pub commune_deleguee: Option<String>,
    pub parcelles: Vec<String>,
    pub source: Option<String>,
    /// `date_der_maj` (ISO date).
    pub updated: Option<String>,
    pub certified: bool,
    pub active: bool,
}
