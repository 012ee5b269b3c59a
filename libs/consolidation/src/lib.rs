//! The consolidation planner: from a commune's current state in the national base and the
//! rows of its newly published BAL, the changes that make the base match the file, with
//! identifiers that stay stable. Pure: no I/O, ids minted by the caller's generator.
//!
//! Identity, in order (the first rule that applies wins; an id is matched at most once):
//! 1. the BAN id the file gives (`id_ban_toponyme`, `id_ban_adresse`), refused when another
//!    commune owns it;
//! 2. `cle_interop` (the street code of it, for toponyms);
//! 3. the normalised street name (+ number + suffix + commune déléguée, for addresses);
//! 4. for addresses, the nearest current address with the same number and suffix, within
//!    [`NEAREST_MATCH_M`] (an R-tree over the commune's positions);
//! 5. else a new id. Ids are never reused: what the file no longer has is disabled, not erased,
//!    and a disabled id given again is re-activated.
//!
//! Rows for the same address (same id, or same street + number + suffix + commune déléguée)
//! are merged into one address with several positions, in file order.
//!
//! Mass deletion: disabling more than [`DELETION_REFUSED_RATIO`] (80 %) of the commune's
//! active addresses is refused unless forced, more than [`DELETION_WARNING_RATIO`] (25 %) is
//! reported — the rule of the BAN's id-fix (`DELETION_THRESHOLD`,
//! `DELETION_CRITICAL_THRESHOLD`), which counts addresses disabled when the base is written.
//! The depot's rule (20 % / 80 % of the file's rows, `ban_bal::depot`) is the other stage of
//! the reference, at validation; both are kept, each in one place (see
//! `docs/consolidation.md`).
pub mod legacy;

use ban_bal::normalize::normalize_street_name;
use ban_domain::base::{Address, AddressPosition, Toponym};
pub use ban_domain::base::{Change, ChangeOp};
use ban_domain::{BanId, PositionType, TOPONYM_NUMERO};
use ban_spatial::contours::{distance_m, lon_scale, METRES_PER_DEGREE_LAT};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use rustc_hash::{FxHashMap, FxHashSet};

/// An address with the same number is the same address within this distance.
pub const NEAREST_MATCH_M: f64 = 50.0;
/// Disabling more than this share of a commune's active addresses is refused (id-fix: 80 %)…
pub const DELETION_REFUSED_RATIO: f64 = 0.8;
/// …and more than this share is reported (id-fix: 25 %).
pub const DELETION_WARNING_RATIO: f64 = 0.25;

/// One validated row of a BAL, as the planner needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// 1-based line of the file, for messages.
    pub line: u32,
    pub id_toponyme: Option<BanId>,
    pub id_adresse: Option<BanId>,
    pub cle_interop: Option<String>,
    /// `voie_nom` (or `toponyme`).
    pub voie_nom: String,
    pub numero: u32,
    pub suffixe: Option<String>,
    pub position: Option<(Option<PositionType>, [f64; 2])>,
    pub complement: Option<String>,
    pub commune_deleguee: Option<String>,
    pub parcelles: Vec<String>,
    pub source: Option<String>,
    pub updated: Option<String>,
    pub certified: bool,
}

impl Row {
    /// The row of a BAL record; `None` for a record without street name or number (a
    /// validated file has none).
    pub fn from_record(record: &ban_bal::records::BalRecord) -> Option<Row> {
        Some(Row {
            line: record.line,
            id_toponyme: record.id_ban_toponyme,
            id_adresse: record.id_ban_adresse,
            cle_interop: record.cle_interop.clone(),
            voie_nom: record.voie_nom.clone()?,
            numero: record.numero?,
            suffixe: record.suffixe.clone(),
            position: record.long.zip(record.lat).map(|(lon, lat)| (record.position, [lon, lat])),
            complement: record.lieudit_complement_nom.clone(),
            commune_deleguee: record.commune_deleguee_insee.clone(),
            parcelles: record.cad_parcelles.clone(),
            source: record.source.clone(),
            updated: record.date_der_maj.clone(),
            certified: record.certification_commune.unwrap_or(false),
        })
    }
}

/// A commune's part of the national base.
#[derive(Debug, Clone, Default)]
pub struct CommuneState {
    pub toponyms: Vec<Toponym>,
    pub addresses: Vec<Address>,
}

/// What a publication changes in the base (objects left as they were are not listed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changeset {
    pub toponyms: Vec<Change<Toponym>>,
    pub addresses: Vec<Change<Address>>,
    /// Things worth telling the publisher that do not stop the publication.
    pub warnings: Vec<String>,
}

/// Why a publication cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("line {line}: the id {id} belongs to commune {owner}")]
    ForeignId { line: u32, id: BanId, owner: String },
    #[error(
        "the file would disable {disabled} of the commune's {active} addresses ({percent:.0} %, more than {limit:.0} %)",
        limit = DELETION_REFUSED_RATIO * 100.0
    )]
    MassDeletion { disabled: usize, active: usize, percent: f64 },
}

/// Which commune owns an id that is not in this commune's state.
pub trait IdOwners {
    fn owner(&self, id: BanId) -> Option<String>;
}

impl IdOwners for FxHashMap<BanId, String> {
    fn owner(&self, id: BanId) -> Option<String> {
        self.get(&id).cloned()
    }
}

/// Plans the changes that make `current` match `rows` for `commune`. `new_id` mints ids;
/// `force` lets a mass deletion through.
pub fn plan(
    commune: &str,
    current: &CommuneState,
    rows: &[Row],
    owners: &dyn IdOwners,
    new_id: &mut dyn FnMut() -> BanId,
    force: bool,
) -> Result<Changeset, PlanError> {
    let mut planner = Planner::new(commune, current, owners, new_id);
    for row in rows {
        planner.check_foreign(row)?;
    }
    let toponym_of_row: Vec<BanId> = rows.iter().map(|row| planner.toponym(row)).collect();
    for (row, toponym) in rows.iter().zip(&toponym_of_row) {
        if row.numero != TOPONYM_NUMERO {
            planner.address(row, *toponym);
        }
    }
    planner.finish(force)
}

fn normalized(name: &str) -> String {
    normalize_street_name(Some(name))
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| s.to_lowercase())
}

/// The street code of a `cle_interop` (`54084_0200_00001` → `54084_0200`).
fn cle_voie(cle: &str) -> Option<String> {
    let mut parts = cle.split('_');
    let (commune, voie) = (parts.next()?, parts.next()?);
    (parts.next().is_some() && !voie.is_empty()).then(|| format!("{}_{}", commune, voie).to_lowercase())
}

type AddressKey = (BanId, u32, Option<String>, Option<String>);

struct Planner<'a> {
    commune: &'a str,
    current: &'a CommuneState,
    owners: &'a dyn IdOwners,
    new_id: &'a mut dyn FnMut() -> BanId,
    current_toponyms: FxHashMap<BanId, usize>,
    current_addresses: FxHashMap<BanId, usize>,
    /// Planned states, by id, in creation order.
    toponyms: Vec<Toponym>,
    toponym_order: FxHashMap<BanId, usize>,
    addresses: Vec<Address>,
    address_index: FxHashMap<BanId, usize>,
    /// Incoming address identity → planned address.
    address_keys: FxHashMap<AddressKey, usize>,
    /// Current ids already taken by the file.
    taken: FxHashSet<BanId>,
    /// Incoming street identity (normalised name, lieu-dit) → toponym.
    street_keys: FxHashMap<(String, bool), BanId>,
    /// Toponym ids minted for this file (candidates for inheriting an old id, see `finish`).
    minted: FxHashSet<BanId>,
    /// Indexes of the current state: toponyms by (street code, lieu-dit) and by (normalised
    /// name, lieu-dit); addresses by `cle_interop` and by (toponym, number, suffix, déléguée).
    toponyms_by_code: FxHashMap<(String, bool), Vec<usize>>,
    toponyms_by_name: FxHashMap<(String, bool), Vec<usize>>,
    addresses_by_cle: FxHashMap<String, Vec<usize>>,
    addresses_by_key: FxHashMap<AddressKey, Vec<usize>>,
    nearest: RTree<GeomWithData<[f64; 2], usize>>,
}

impl<'a> Planner<'a> {
    fn new(
        commune: &'a str,
        current: &'a CommuneState,
        owners: &'a dyn IdOwners,
        new_id: &'a mut dyn FnMut() -> BanId,
    ) -> Self {
        let nearest = RTree::bulk_load(
            current
                .addresses
                .iter()
                .enumerate()
                .filter_map(|(i, a)| a.positions.first().map(|p| GeomWithData::new(metres(p.coordinates), i)))
                .collect(),
        );
        Planner {
            commune,
            current,
            owners,
            new_id,
            current_toponyms: current.toponyms.iter().enumerate().map(|(i, t)| (t.id, i)).collect(),
            current_addresses: current.addresses.iter().enumerate().map(|(i, a)| (a.id, i)).collect(),
            toponyms: Vec::new(),
            toponym_order: FxHashMap::default(),
            addresses: Vec::new(),
            address_index: FxHashMap::default(),
            address_keys: FxHashMap::default(),
            taken: FxHashSet::default(),
            street_keys: FxHashMap::default(),
            minted: FxHashSet::default(),
            toponyms_by_code: index(
                current.toponyms.iter().map(|t| t.cle_voie.clone().map(|c| (c, t.lieu_dit))),
            ),
            toponyms_by_name: index(current.toponyms.iter().map(|t| Some((normalized(&t.name), t.lieu_dit)))),
            addresses_by_cle: index(current.addresses.iter().map(|a| a.cle_interop.clone())),
            addresses_by_key: index(
                current
                    .addresses
                    .iter()
                    .map(|a| Some((a.toponym, a.numero, lower(&a.suffixe), a.commune_deleguee.clone()))),
            ),
            nearest,
        }
    }

    fn check_foreign(&self, row: &Row) -> Result<(), PlanError> {
        for id in [row.id_toponyme, row.id_adresse].into_iter().flatten() {
            let known = self.current_toponyms.contains_key(&id) || self.current_addresses.contains_key(&id);
            if !known {
                if let Some(owner) = self.owners.owner(id).filter(|owner| owner != self.commune) {
                    return Err(PlanError::ForeignId { line: row.line, id, owner });
                }
            }
        }
        Ok(())
    }

    /// The toponym of a row, planned on first sight.
    fn toponym(&mut self, row: &Row) -> BanId {
        let lieu_dit = row.numero == TOPONYM_NUMERO;
        let key = (normalized(&row.voie_nom), lieu_dit);
        if row.id_toponyme.is_none() {
            if let Some(&id) = self.street_keys.get(&key) {
                self.place_lieu_dit(id, row);
                return id;
            }
        }
        let cle = row.cle_interop.as_deref().and_then(cle_voie);
        let existing = row.id_toponyme.and_then(|id| self.current_toponyms.get(&id).copied()).or_else(|| {
            // Not by the street code or name when the file gives an id we do not know.
            if row.id_toponyme.is_some() {
                return None;
            }
            let free = |i: &&usize| !self.taken.contains(&self.current.toponyms[**i].id);
            let by_code = cle.as_ref().and_then(|c| {
                self.toponyms_by_code.get(&(c.clone(), lieu_dit)).and_then(|found| found.iter().find(free))
            });
            let by_name = || self.toponyms_by_name.get(&key).and_then(|found| found.iter().find(free));
            by_code.or_else(by_name).copied()
        });
        let id = match (row.id_toponyme, existing) {
            (_, Some(i)) => self.current.toponyms[i].id,
            (Some(id), None) => id,
            (None, None) => {
                let id = (self.new_id)();
                self.minted.insert(id);
                id
            }
        };
        if self.toponym_order.contains_key(&id) {
            // The same id on several rows: the first row names it.
            self.street_keys.entry(key).or_insert(id);
            self.place_lieu_dit(id, row);
            return id;
        }
        self.taken.insert(id);
        self.street_keys.entry(key).or_insert(id);
        let planned = Toponym {
            id,
            commune: self.commune.to_owned(),
            name: row.voie_nom.clone(),
            lieu_dit,
            cle_voie: cle,
            position: if lieu_dit { row.position.map(|(_, p)| p) } else { None },
            active: true,
        };
        let order = self.toponyms.len();
        self.toponym_order.insert(id, order);
        self.toponyms.push(planned);
        id
    }

    fn place_lieu_dit(&mut self, id: BanId, row: &Row) {
        if row.numero != TOPONYM_NUMERO {
            return;
        }
        if let Some(t) = self.toponym_order.get(&id).and_then(|&o| self.toponyms.get_mut(o)) {
            if t.position.is_none() {
                t.position = row.position.map(|(_, p)| p);
            }
        }
    }

    fn address(&mut self, row: &Row, toponym: BanId) {
        let key: AddressKey = (toponym, row.numero, lower(&row.suffixe), row.commune_deleguee.clone());
        let position = row.position.map(|(kind, coordinates)| AddressPosition { kind, coordinates });
        let planned = row.id_adresse.and_then(|id| self.address_index.get(&id).copied()).or_else(|| {
            if row.id_adresse.is_some() {
                None
            } else {
                self.address_keys.get(&key).copied()
            }
        });
        if let Some(i) = planned {
            // Another row of the same address: one more position.
            if let Some(p) = position {
                if !self.addresses[i].positions.contains(&p) {
                    self.addresses[i].positions.push(p);
                }
            }
            return;
        }
        let id = self
            .match_address(row, toponym)
            .unwrap_or_else(|| row.id_adresse.unwrap_or_else(|| (self.new_id)()));
        self.taken.insert(id);
        let address = Address {
            id,
            commune: self.commune.to_owned(),
            toponym,
            numero: row.numero,
            suffixe: row.suffixe.clone(),
            positions: position.into_iter().collect(),
            cle_interop: row.cle_interop.as_ref().map(|c| c.to_lowercase()),
            complement: row.complement.clone(),
            commune_deleguee: row.commune_deleguee.clone(),
            parcelles: row.parcelles.clone(),
            source: row.source.clone(),
            updated: row.updated.clone(),
            certified: row.certified,
            active: true,
        };
        self.address_index.insert(id, self.addresses.len());
        self.address_keys.insert(key, self.addresses.len());
        self.addresses.push(address);
    }

    /// A current address this row is, by the rules of the module's documentation.
    fn match_address(&self, row: &Row, toponym: BanId) -> Option<BanId> {
        if let Some(id) = row.id_adresse {
            return self.current_addresses.contains_key(&id).then_some(id);
        }
        let free = |i: &&usize| !self.taken.contains(&self.current.addresses[**i].id);
        let suffixe = lower(&row.suffixe);
        let same_number = |a: &Address| a.numero == row.numero && lower(&a.suffixe) == suffixe;
        if let Some(cle) = row.cle_interop.as_ref().map(|c| c.to_lowercase()) {
            if let Some(&i) = self.addresses_by_cle.get(&cle).and_then(|found| found.iter().find(free)) {
                return Some(self.current.addresses[i].id);
            }
        }
        // The same street, or (for a street new to the base) one of the same name.
        let mut streets = vec![toponym];
        if !self.current_toponyms.contains_key(&toponym) {
            let name = (normalized(&row.voie_nom), row.numero == TOPONYM_NUMERO);
            let same_name = self.toponyms_by_name.get(&name).into_iter().flatten();
            streets.extend(same_name.map(|&i| self.current.toponyms[i].id));
        }
        for street in streets {
            let key = (street, row.numero, suffixe.clone(), row.commune_deleguee.clone());
            if let Some(&i) = self.addresses_by_key.get(&key).and_then(|found| found.iter().find(free)) {
                return Some(self.current.addresses[i].id);
            }
        }
        let (_, here) = row.position?;
        let here_m = metres(here);
        self.nearest
            .nearest_neighbor_iter(&here_m)
            .map(|entry| &self.current.addresses[entry.data])
            .take_while(|a| {
                a.positions.first().is_some_and(|p| distance_m(p.coordinates, here) <= NEAREST_MATCH_M)
            })
            .find(|a| !self.taken.contains(&a.id) && same_number(a))
            .map(|a| a.id)
    }

    /// A street renamed without code or id got a new id; if its addresses are those of one
    /// old street that the file no longer has, it is that street: it takes back its id.
    fn inherit_renamed_streets(&mut self) {
        if self.minted.is_empty() || self.current.toponyms.is_empty() {
            return;
        }
        let planned: FxHashSet<BanId> = self.toponyms.iter().map(|t| t.id).collect();
        let mut by_toponym: FxHashMap<BanId, Vec<usize>> = FxHashMap::default();
        for (i, a) in self.addresses.iter().enumerate() {
            by_toponym.entry(a.toponym).or_default().push(i);
        }
        let mut inherited = FxHashSet::default();
        for toponym in self.toponyms.iter_mut().filter(|t| self.minted.contains(&t.id)) {
            let Some(addresses) = by_toponym.get(&toponym.id) else { continue };
            let mut votes: FxHashMap<BanId, usize> = FxHashMap::default();
            for &a in addresses {
                if let Some(&i) = self.current_addresses.get(&self.addresses[a].id) {
                    *votes.entry(self.current.addresses[i].toponym).or_default() += 1;
                }
            }
            let best = votes.into_iter().max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id)));
            let Some((old, n)) = best else { continue };
            let free = !planned.contains(&old) && !inherited.contains(&old);
            let same_kind = self
                .current_toponyms
                .get(&old)
                .is_some_and(|&i| self.current.toponyms[i].lieu_dit == toponym.lieu_dit);
            if free && same_kind && 2 * n > addresses.len() {
                inherited.insert(old);
                toponym.id = old;
                for &a in addresses {
                    self.addresses[a].toponym = old;
                }
            }
        }
    }

    fn finish(mut self, force: bool) -> Result<Changeset, PlanError> {
        self.inherit_renamed_streets();
        let mut changes = Changeset::default();
        let planned_toponyms = created_or_updated(
            self.toponyms,
            |t| t.id,
            &self.current_toponyms,
            &self.current.toponyms,
            &mut changes.toponyms,
        );
        let planned_addresses = created_or_updated(
            self.addresses,
            |a| a.id,
            &self.current_addresses,
            &self.current.addresses,
            &mut changes.addresses,
        );
        let active = self.current.addresses.iter().filter(|a| a.active).count();
        for gone in self.current.addresses.iter().filter(|a| a.active && !planned_addresses.contains(&a.id)) {
            changes.addresses.push(Change::Disabled(Address { active: false, ..gone.clone() }));
        }
        for gone in self.current.toponyms.iter().filter(|t| t.active && !planned_toponyms.contains(&t.id)) {
            changes.toponyms.push(Change::Disabled(Toponym { active: false, ..gone.clone() }));
        }
        let disabled = changes.addresses.iter().filter(|c| matches!(c, Change::Disabled(_))).count();
        if active > 0 {
            let ratio = disabled as f64 / active as f64;
            if ratio > DELETION_REFUSED_RATIO && !force {
                return Err(PlanError::MassDeletion { disabled, active, percent: ratio * 100.0 });
            }
            if ratio > DELETION_WARNING_RATIO {
                changes.warnings.push(format!(
                    "{disabled} des {active} adresses de la commune sont supprimées ({:.0} %)",
                    ratio * 100.0
                ));
            }
        }
        Ok(changes)
    }
}

/// Pushes to `changes` each planned object that is new (`Created`) or differs from its current
/// state (`Updated`), the current states being found by id through `index`; returns the ids
/// planned, against which the current objects that are gone are found.
fn created_or_updated<T: PartialEq + Clone>(
    planned: Vec<T>,
    id: fn(&T) -> BanId,
    index: &FxHashMap<BanId, usize>,
    current: &[T],
    changes: &mut Vec<Change<T>>,
) -> FxHashSet<BanId> {
    let ids = planned.iter().map(id).collect();
    for object in planned {
        match index.get(&id(&object)).map(|&i| &current[i]) {
            None => changes.push(Change::Created(object)),
            Some(before) if *before != object => {
                changes.push(Change::Updated { before: before.clone(), after: object })
            }
            Some(_) => {}
        }
    }
    ids
}

/// Positions of the keys given, by key.
fn index<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = Option<K>>) -> FxHashMap<K, Vec<usize>> {
    let mut map: FxHashMap<K, Vec<usize>> = FxHashMap::default();
    for (i, key) in keys.enumerate() {
        if let Some(key) = key {
            map.entry(key).or_default().push(i);
        }
    }
    map
}

/// A flat projection in metres, for the R-tree that finds the nearest addresses (the
/// distances themselves are great-circle ones).
fn metres(p: [f64; 2]) -> [f64; 2] {
    [p[0] * lon_scale(p[1]), p[1] * METRES_PER_DEGREE_LAT]
}
