//! The national base: what a commune's addresses become once consolidated. These are the
//! states the change feed carries (absent values are left out rather than written as `null`).
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cle_voie: Option<String>,
    /// Where a lieu-dit is (a street's place follows from its addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 2]>,
    pub active: bool,
}

/// One position of an address.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AddressPosition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffixe: Option<String>,
    pub positions: Vec<AddressPosition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cle_interop: Option<String>,
    /// `lieudit_complement_nom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_deleguee: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parcelles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `date_der_maj` (ISO date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub certified: bool,
    pub active: bool,
}

/// Where a commune's part of the base comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommuneSource {
    /// The commune's own published BAL.
    Bal,
    /// An older BAN export, until the commune publishes a BAL (which then replaces it).
    Legacy,
}

/// A commune of the base (a district, in the BAN's words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commune {
    pub id: BanId,
    /// INSEE code.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub source: CommuneSource,
    /// The depot revision consolidated (BAL source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// When that revision was published (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_published_at: Option<String>,
    /// Active objects.
    pub addresses: u32,
    pub certified_addresses: u32,
    pub toponyms: u32,
}

/// One change to an object of the base.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<T> {
    Created(T),
    Updated { before: T, after: T },
    Disabled(T),
}

impl<T> Change<T> {
    /// The state after the change.
    pub fn state(&self) -> &T {
        match self {
            Change::Created(state) | Change::Updated { after: state, .. } | Change::Disabled(state) => state,
        }
    }

    pub fn op(&self) -> ChangeOp {
        match self {
            Change::Created(_) => ChangeOp::Created,
            Change::Updated { .. } => ChangeOp::Updated,
            Change::Disabled(_) => ChangeOp::Disabled,
        }
    }
}

/// What happened to an object, as the change feed says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    Created,
    Updated,
    Disabled,
}

/// The kinds of objects the base holds, as the change feed names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Commune,
    Toponym,
    Address,
}

crate::text_enum!(CommuneSource { Bal => "bal", Legacy => "legacy" });
crate::text_enum!(ChangeOp { Created => "created", Updated => "updated", Disabled => "disabled" });
crate::text_enum!(ObjectKind { Commune => "commune", Toponym => "toponym", Address => "address" });
