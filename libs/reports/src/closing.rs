//! How a publication closes the reports it answers: once the consolidator has applied a
//! revision of a commune, each pending report of the commune is compared with the changes it
//! wrote. A report is answered when the publication did what it asked:
//!
//! - an address asked for exists now (created, or given again) with the number, the suffix
//!   and the street asked, within [`NEAR_M`] of the first position asked;
//! - an address changed as asked: the object named (its BAN id, or its number and street) now
//!   has the number, suffix and street asked, within [`NEAR_M`] of the first position asked;
//! - a street renamed as asked, a lieu-dit created or changed as asked (its name, and within
//!   [`NEAR_M`] of the position asked when it has one);
//! - an object deleted: the object named is deleted now.
//!
//! Names are compared without case, accents, hyphens or extra spaces (« Allée des Acacias »
//! answers « allee des acacias »). A change that does something else (another number, a
//! position 30 m away) leaves the report pending: the commune decides.
use std::collections::HashMap;

use ban_domain::base::{Address, Change, Toponym};
use ban_domain::BanId;
use ban_store::{Report, ReportType};

use crate::model::{ChangesRequested, ExistingLocation};

/// How close a position must be to the one asked, in metres.
pub const NEAR_M: f64 = 10.0;

/// The changes a publication wrote to a commune, and the names of its toponyms after them,
/// with the address changes indexed by id and by number: a publication of a large commune
/// writes tens of thousands of changes, and each pending report is compared only with those
/// that can answer it (a report costs microseconds, not a scan of every change).
#[derive(Debug)]
pub struct AppliedChanges<'a> {
    toponyms: &'a [Change<Toponym>],
    /// Every toponym of the commune once the changes are made, by id.
    toponym_names: HashMap<BanId, &'a str>,
    /// The address changes by the id of their address.
    addresses_by_id: HashMap<BanId, Vec<&'a Change<Address>>>,
    /// The address changes by the number of their address, after them and, for an update,
    /// before them.
    addresses_by_number: HashMap<u32, Vec<&'a Change<Address>>>,
}

impl<'a> AppliedChanges<'a> {
    /// The changes, with the names of the toponyms as they are after them (`before`: the
    /// commune's toponyms before the changes).
    pub fn new(
        addresses: &'a [Change<Address>],
        toponyms: &'a [Change<Toponym>],
        before: &'a [Toponym],
    ) -> Self {
        let mut toponym_names: HashMap<BanId, &'a str> =
            before.iter().map(|t| (t.id, t.name.as_str())).collect();
        for change in toponyms {
            let t = change.state();
            toponym_names.insert(t.id, t.name.as_str());
        }
        let mut addresses_by_id: HashMap<BanId, Vec<&'a Change<Address>>> = HashMap::new();
        let mut addresses_by_number: HashMap<u32, Vec<&'a Change<Address>>> = HashMap::new();
        for change in addresses {
            let after = change.state();
            addresses_by_id.entry(after.id).or_default().push(change);
            addresses_by_number.entry(after.numero).or_default().push(change);
            if let Change::Updated { before, .. } = change {
                if before.numero != after.numero {
                    addresses_by_number.entry(before.numero).or_default().push(change);
                }
            }
        }
        AppliedChanges { toponyms, toponym_names, addresses_by_id, addresses_by_number }
    }

    fn street_of(&self, address: &Address) -> Option<&str> {
        self.toponym_names.get(&address.toponym).copied()
    }

    /// The address changes whose address has (or had) number `numero`.
    fn numbered(&self, numero: u32) -> &[&'a Change<Address>] {
        self.addresses_by_number.get(&numero).map_or(&[], Vec::as_slice)
    }

    /// The address changes that may be of the address a report names: by its BAN id when
    /// it gives one, else by its number.
    fn named(&self, existing: &ExistingLocation) -> &[&'a Change<Address>] {
        match existing {
            ExistingLocation::Numero { ban_id: Some(id), .. } => {
                BanId::parse(id).ok().and_then(|id| self.addresses_by_id.get(&id)).map_or(&[], Vec::as_slice)
            }
            ExistingLocation::Numero { numero, .. } => self.numbered(*numero),
            _ => &[],
        }
    }
}

/// Whether the changes do what `report` asked.
pub fn answered_by(report: &Report, applied: &AppliedChanges<'_>) -> bool {
    let Ok(changes) = serde_json::from_value::<ChangesRequested>(report.changes_requested.clone()) else {
        return false;
    };
    let existing: Option<ExistingLocation> =
        report.existing_location.clone().and_then(|value| serde_json::from_value(value).ok());
    match (report.kind, &existing) {
        (ReportType::LocationToDelete, Some(existing)) => deleted(existing, applied),
        (ReportType::LocationToDelete, None) => false,
        (ReportType::LocationToUpdate, Some(ExistingLocation::Voie { ban_id, nom, .. })) => {
            renamed(ban_id.as_deref(), nom, &changes, applied)
        }
        (ReportType::LocationToUpdate, Some(ExistingLocation::Toponyme { ban_id, nom, .. })) => {
            renamed(ban_id.as_deref(), nom, &changes, applied)
        }
        (ReportType::LocationToUpdate, Some(existing @ ExistingLocation::Numero { .. })) => {
            applied.named(existing).iter().any(|change| {
                matches!(change, Change::Updated { before, .. } if is_named(existing, before, applied))
                    && address_as_asked(change.state(), &changes, applied)
            })
        }
        (ReportType::LocationToUpdate, None) => false,
        (ReportType::LocationToCreate, _) if changes.numero.is_none() => {
            let Some(nom) = changes.nom.as_deref() else { return false };
            applied.toponyms.iter().any(|change| {
                is_new(change, |t: &Toponym| t.active)
                    && same_name(&change.state().name, nom)
                    && near_any(change.state().position, &changes)
            })
        }
        (ReportType::LocationToCreate, _) => changes.numero.is_some_and(|numero| {
            applied.numbered(numero).iter().any(|change| {
                is_new(change, |a: &Address| a.active) && address_as_asked(change.state(), &changes, applied)
            })
        }),
    }
}

/// Created, or given again after being deleted.
fn is_new<T>(change: &Change<T>, active: fn(&T) -> bool) -> bool {
    match change {
        Change::Created(_) => true,
        Change::Updated { before, after } => !active(before) && active(after),
        Change::Disabled(_) => false,
    }
}

/// The address is the one the report names: by its BAN id when given, else by its number,
/// suffix and street.
fn is_named(existing: &ExistingLocation, address: &Address, applied: &AppliedChanges<'_>) -> bool {
    let ExistingLocation::Numero { ban_id, numero, suffixe, toponyme, .. } = existing else { return false };
    if let Some(id) = ban_id {
        return BanId::parse(id).is_ok_and(|id| id == address.id);
    }
    address.numero == *numero
        && same_suffix(address.suffixe.as_deref(), suffixe.as_deref())
        && toponyme
            .as_ref()
            .is_none_or(|t| applied.street_of(address).is_some_and(|name| same_name(name, &t.nom)))
}

/// The address has the number, suffix and street asked, near the first position asked.
fn address_as_asked(address: &Address, changes: &ChangesRequested, applied: &AppliedChanges<'_>) -> bool {
    let (Some(numero), Some(street)) = (changes.numero, changes.nom_voie.as_deref()) else { return false };
    address.active
        && address.numero == numero
        && same_suffix(address.suffixe.as_deref(), changes.suffixe.as_deref())
        && applied.street_of(address).is_some_and(|name| same_name(name, street))
        && changes.positions.first().is_none_or(|asked| {
            address
                .positions
                .iter()
                .any(|p| ban_spatial::contours::distance_m(p.coordinates, asked.point.coordinates) <= NEAR_M)
        })
}

/// A toponym renamed (or moved, for a lieu-dit) as asked: the one named by its id, or by its
/// old name.
fn renamed(
    ban_id: Option<&str>,
    old_name: &str,
    changes: &ChangesRequested,
    applied: &AppliedChanges<'_>,
) -> bool {
    let Some(new_name) = changes.nom.as_deref() else { return false };
    applied.toponyms.iter().any(|change| {
        let Change::Updated { before, after } = change else { return false };
        let named = match ban_id {
            Some(id) => BanId::parse(id).is_ok_and(|id| id == before.id),
            None => same_name(&before.name, old_name),
        };
        named && after.active && same_name(&after.name, new_name) && near_any(after.position, changes)
    })
}

/// The object the report names is deleted by the changes.
fn deleted(existing: &ExistingLocation, applied: &AppliedChanges<'_>) -> bool {
    match existing {
        ExistingLocation::Numero { .. } => applied
            .named(existing)
            .iter()
            .any(|change| matches!(change, Change::Disabled(a) if is_named(existing, a, applied))),
        ExistingLocation::Voie { ban_id, nom, .. } | ExistingLocation::Toponyme { ban_id, nom, .. } => {
            applied.toponyms.iter().any(|change| {
                let Change::Disabled(t) = change else { return false };
                match ban_id {
                    Some(id) => BanId::parse(id).is_ok_and(|id| id == t.id),
                    None => same_name(&t.name, nom),
                }
            })
        }
    }
}

/// Near the first position asked, when a position was asked and the object has one.
fn near_any(position: Option<[f64; 2]>, changes: &ChangesRequested) -> bool {
    match (position, changes.positions.first()) {
        (Some(at), Some(asked)) => ban_spatial::contours::distance_m(at, asked.point.coordinates) <= NEAR_M,
        _ => true,
    }
}

fn same_suffix(a: Option<&str>, b: Option<&str>) -> bool {
    let fold = |s: Option<&str>| s.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    fold(a) == fold(b)
}

/// Names equal without case, accents, hyphens, apostrophes or extra spaces.
pub fn same_name(a: &str, b: &str) -> bool {
    fold_name(a) == fold_name(b)
}

fn fold_name(name: &str) -> String {
    let plain = ban_domain::deburr(name).to_lowercase();
    plain
        .split(|c: char| c.is_whitespace() || c == '-' || c == '\'' || c == '’')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ban_domain::base::AddressPosition;
    use ban_store::ReportStatus;
    use serde_json::json;

    fn id(n: u128) -> BanId {
        BanId::from_random(n)
    }

    fn street(n: u128, name: &str) -> Toponym {
        Toponym {
            id: id(n),
            commune: "54084".into(),
            name: name.into(),
            lieu_dit: false,
            cle_voie: None,
            position: None,
            active: true,
        }
    }

    fn address(n: u128, street: u128, numero: u32, suffixe: Option<&str>, at: [f64; 2]) -> Address {
        Address {
            id: id(n),
            commune: "54084".into(),
            toponym: id(street),
            numero,
            suffixe: suffixe.map(Into::into),
            positions: vec![AddressPosition { kind: None, coordinates: at }],
            cle_interop: None,
            complement: None,
            commune_deleguee: None,
            parcelles: vec![],
            source: None,
            updated: None,
            certified: false,
            active: true,
        }
    }

    fn report(kind: ReportType, existing: Option<serde_json::Value>, changes: serde_json::Value) -> Report {
        Report {
            id: "r".into(),
            code_commune: "54084".into(),
            kind,
            status: ReportStatus::Pending,
            existing_location: existing,
            changes_requested: changes,
            lon: None,
            lat: None,
            author_name: None,
            author_email: None,
            source_client_id: None,
            processed_by: None,
            processed_revision_id: None,
            rejection_reason: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    const ASKED: [f64; 2] = [5.8335, 49.3259];

    fn creation() -> Report {
        report(
            ReportType::LocationToCreate,
            Some(json!({"type": "VOIE", "nom": "Allée des Acacias"})),
            json!({"numero": 14, "suffixe": "bis", "nomVoie": "Allée des Acacias",
                "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": ASKED}}]}),
        )
    }

    #[test]
    fn a_number_created_as_asked_answers_a_creation() {
        let streets = [street(1, "ALLEE DES ACACIAS")];
        // 5 m east of the point asked.
        let near = [ASKED[0] + 0.000069, ASKED[1]];
        let created = [Change::Created(address(10, 1, 14, Some("BIS"), near))];
        assert!(answered_by(&creation(), &AppliedChanges::new(&created, &[], &streets)));
        // Another suffix, another street, 30 m away: not what was asked.
        for other in [
            address(10, 1, 14, None, near),
            address(10, 2, 14, Some("bis"), near),
            address(10, 1, 14, Some("bis"), [ASKED[0] + 0.0004, ASKED[1]]),
        ] {
            let created = [Change::Created(other)];
            let streets = [street(1, "Allée des Acacias"), street(2, "Rue Haute")];
            assert!(!answered_by(&creation(), &AppliedChanges::new(&created, &[], &streets)));
        }
    }

    #[test]
    fn a_deletion_a_move_and_a_rename() {
        let streets = [street(1, "Allée des Acacias")];
        let before = address(10, 1, 3, None, ASKED);
        let delete = report(
            ReportType::LocationToDelete,
            Some(json!({"type": "NUMERO", "numero": 3, "banId": id(10).to_string()})),
            json!({"comment": "démolie"}),
        );
        let disabled = [Change::Disabled(Address { active: false, ..before.clone() })];
        assert!(answered_by(&delete, &AppliedChanges::new(&disabled, &[], &streets)));
        assert!(!answered_by(&delete, &AppliedChanges::new(&[], &[], &streets)));

        let moved_to = [ASKED[0] + 0.001, ASKED[1]];
        let update = report(
            ReportType::LocationToUpdate,
            Some(json!({"type": "NUMERO", "numero": 3, "toponyme": {"nom": "Allée des Acacias"}})),
            json!({"numero": 3, "nomVoie": "Allée des Acacias",
                "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": moved_to}}]}),
        );
        let moved = [Change::Updated {
            before: before.clone(),
            after: Address {
                positions: vec![AddressPosition { kind: None, coordinates: moved_to }],
                ..before.clone()
            },
        }];
        assert!(answered_by(&update, &AppliedChanges::new(&moved, &[], &streets)));

        let rename = report(
            ReportType::LocationToUpdate,
            Some(json!({"type": "VOIE", "nom": "Allée des Acacias", "banId": id(1).to_string()})),
            json!({"nom": "Allée des Tilleuls"}),
        );
        let renamed =
            [Change::Updated { before: streets[0].clone(), after: street(1, "allee des tilleuls") }];
        assert!(answered_by(&rename, &AppliedChanges::new(&[], &renamed, &streets)));
    }

    /// Among thousands of changes, a report finds the one that answers it: by its old number
    /// when the publication renumbered the address it names, by its BAN id when it gives one.
    #[test]
    fn a_renumbered_address_is_found_among_many_changes() {
        let streets = [street(1, "Allée des Acacias")];
        let mut changes: Vec<Change<Address>> = (100..5_000)
            .map(|n| Change::Created(address(u128::from(n) + 1_000, 1, n, None, ASKED)))
            .collect();
        let before = address(10, 1, 3, None, ASKED);
        changes
            .push(Change::Updated { before: before.clone(), after: Address { numero: 5, ..before.clone() } });
        let renumber = |existing: serde_json::Value| {
            report(
                ReportType::LocationToUpdate,
                Some(existing),
                json!({"numero": 5, "nomVoie": "Allée des Acacias",
                    "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": ASKED}}]}),
            )
        };
        let applied = AppliedChanges::new(&changes, &[], &streets);
        let by_number =
            renumber(json!({"type": "NUMERO", "numero": 3, "toponyme": {"nom": "Allée des Acacias"}}));
        let by_id = renumber(json!({"type": "NUMERO", "numero": 3, "banId": id(10).to_string()}));
        assert!(answered_by(&by_number, &applied));
        assert!(answered_by(&by_id, &applied));
        let other =
            renumber(json!({"type": "NUMERO", "numero": 4, "toponyme": {"nom": "Allée des Acacias"}}));
        assert!(!answered_by(&other, &applied));
    }
}
