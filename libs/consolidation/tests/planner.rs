//! The planner on small tables: identity rules, merges, removals, guards.
#![allow(clippy::unwrap_used)]
use ban_consolidation::{plan, Change, Changeset, CommuneState, PlanError, Row};
use ban_domain::base::{Address, Toponym};
use ban_domain::{BanId, PositionType};
use rustc_hash::FxHashMap;

fn ids() -> impl FnMut() -> BanId {
    let mut next = 0u128;
    move || {
        next += 1;
        BanId::from_random(0xabcd_0000_0000_0000_0000_0000_0000_0000 + next)
    }
}

fn row(line: u32, voie: &str, numero: u32, lon: f64) -> Row {
    Row {
        line,
        cle_interop: Some(format!("54084_{:04}_{numero:05}", voie.len())),
        voie_nom: voie.into(),
        numero,
        position: Some((Some(PositionType::Entree), [lon, 49.32])),
        ..Row::default()
    }
}

/// Applies a changeset to a state, as the consolidator will.
fn apply(state: &CommuneState, changes: &Changeset) -> CommuneState {
    let mut next = state.clone();
    for change in &changes.toponyms {
        let t = change.state().clone();
        match next.toponyms.iter_mut().find(|x| x.id == t.id) {
            Some(x) => *x = t,
            None => next.toponyms.push(t),
        }
    }
    for change in &changes.addresses {
        let a = change.state().clone();
        match next.addresses.iter_mut().find(|x| x.id == a.id) {
            Some(x) => *x = a,
            None => next.addresses.push(a),
        }
    }
    next
}

fn publish(
    state: &CommuneState,
    rows: &[Row],
    new_id: &mut dyn FnMut() -> BanId,
) -> (CommuneState, Changeset) {
    let changes = plan("54084", state, rows, &FxHashMap::default(), new_id, false).unwrap();
    (apply(state, &changes), changes)
}

fn address<'a>(state: &'a CommuneState, voie: &str, numero: u32) -> &'a Address {
    let toponym: &Toponym = state.toponyms.iter().find(|t| t.name == voie && t.active).unwrap();
    state.addresses.iter().find(|a| a.toponym == toponym.id && a.numero == numero && a.active).unwrap()
}

fn ops<T>(changes: &[Change<T>]) -> Vec<&'static str> {
    changes.iter().map(|c| c.op().as_str()).collect()
}

#[test]
fn first_publication_creates_everything() {
    let mut new_id = ids();
    let rows =
        [row(2, "Rue Joffre", 1, 5.8336), row(3, "Rue Joffre", 2, 5.8338), row(4, "Rue Haute", 1, 5.8400)];
    let (state, changes) = publish(&CommuneState::default(), &rows, &mut new_id);
    assert_eq!(ops(&changes.toponyms), ["created", "created"]);
    assert_eq!(ops(&changes.addresses), ["created", "created", "created"]);
    assert_eq!(state.addresses.len(), 3);
    // Republishing the same file changes nothing.
    let (_, again) = publish(&state, &rows, &mut new_id);
    assert_eq!(again, Changeset::default());
}

#[test]
fn id_kept_when_only_the_position_moves() {
    let mut new_id = ids();
    let (state, _) = publish(&CommuneState::default(), &[row(2, "Rue Joffre", 1, 5.8336)], &mut new_id);
    let before = address(&state, "Rue Joffre", 1).id;
    let (state, changes) = publish(&state, &[row(2, "Rue Joffre", 1, 5.8337)], &mut new_id);
    assert_eq!(ops(&changes.addresses), ["updated"]);
    assert_eq!(address(&state, "Rue Joffre", 1).id, before);
}

#[test]
fn ids_kept_when_a_street_is_renamed_and_the_numbers_stay() {
    let mut new_id = ids();
    let rows = [row(2, "Rue Joffre", 1, 5.8336), row(3, "Rue Joffre", 3, 5.8338)];
    let (state, _) = publish(&CommuneState::default(), &rows, &mut new_id);
    let (street, one) = (state.toponyms[0].id, address(&state, "Rue Joffre", 1).id);
    // Renamed, and without cle_interop: numbers and positions carry the identity.
    let renamed: Vec<Row> = rows
        .iter()
        .map(|r| Row { voie_nom: "Rue du Maréchal Joffre".into(), cle_interop: None, ..r.clone() })
        .collect();
    let (state, changes) = publish(&state, &renamed, &mut new_id);
    assert_eq!(address(&state, "Rue du Maréchal Joffre", 1).id, one);
    assert!(changes.addresses.iter().all(|c| !matches!(c, Change::Disabled(_))), "{changes:?}");
    assert_eq!(ops(&changes.toponyms), ["updated"], "the street keeps its id under its new name");
    let renamed_street = state.toponyms.iter().find(|t| t.name == "Rue du Maréchal Joffre").unwrap();
    assert_eq!(renamed_street.id, street);
    // Renamed again, the key back: still the same street.
    let coded: Vec<Row> = rows.iter().map(|r| Row { voie_nom: "Rue Foch".into(), ..r.clone() }).collect();
    let (state, changes) = publish(&state, &coded, &mut new_id);
    assert_eq!(ops(&changes.toponyms), ["updated"]);
    assert_eq!(state.toponyms.iter().find(|t| t.name == "Rue Foch").unwrap().id, street);
    assert_eq!(address(&state, "Rue Foch", 1).id, one);
}

#[test]
fn new_number_gets_a_new_id_and_a_removed_one_is_disabled() {
    let mut new_id = ids();
    let (state, _) = publish(
        &CommuneState::default(),
        &[row(2, "Rue Joffre", 1, 5.8336), row(3, "Rue Joffre", 2, 5.8338)],
        &mut new_id,
    );
    let two = address(&state, "Rue Joffre", 2).id;
    let (state, changes) =
        publish(&state, &[row(2, "Rue Joffre", 1, 5.8336), row(3, "Rue Joffre", 4, 5.8345)], &mut new_id);
    assert_eq!(ops(&changes.addresses), ["created", "disabled"]);
    let four = address(&state, "Rue Joffre", 4).id;
    assert_ne!(four, two, "ids are never reused");
    let gone = state.addresses.iter().find(|a| a.id == two).unwrap();
    assert!(!gone.active, "removed addresses are kept, disabled");
    // Published again, number 2 comes back with its old id.
    let (state, changes) = publish(
        &state,
        &[row(2, "Rue Joffre", 1, 5.8336), row(3, "Rue Joffre", 2, 5.8338), row(4, "Rue Joffre", 4, 5.8345)],
        &mut new_id,
    );
    assert_eq!(ops(&changes.addresses), ["updated"]);
    assert_eq!(address(&state, "Rue Joffre", 2).id, two);
}

#[test]
fn duplicate_rows_are_merged_into_one_address_with_positions() {
    let mut new_id = ids();
    let mut building = row(3, "Rue Joffre", 1, 5.8340);
    building.position = Some((Some(PositionType::Batiment), [5.8340, 49.3201]));
    let rows = [row(2, "Rue Joffre", 1, 5.8336), building, row(4, "Rue Joffre", 1, 5.8336)];
    let (state, changes) = publish(&CommuneState::default(), &rows, &mut new_id);
    assert_eq!(ops(&changes.addresses), ["created"]);
    assert_eq!(address(&state, "Rue Joffre", 1).positions.len(), 2, "identical positions kept once");
}

#[test]
fn given_ids_are_honoured_and_foreign_ones_refused() {
    let mut new_id = ids();
    let given = BanId::parse("0246e48c-f33d-433a-8984-034219be842e").unwrap();
    let street = BanId::parse("9c8d2d8e-7b5f-4a8e-9d3c-2b1a0f9e8d7c").unwrap();
    let mut r = row(2, "Rue Joffre", 1, 5.8336);
    (r.id_adresse, r.id_toponyme) = (Some(given), Some(street));
    let (state, _) = publish(&CommuneState::default(), std::slice::from_ref(&r), &mut new_id);
    assert_eq!(address(&state, "Rue Joffre", 1).id, given);
    assert_eq!(state.toponyms[0].id, street);
    // Another commune owns this id: refused, whatever else the file says.
    let foreign = BanId::parse("11111111-2222-4333-8444-555555555555").unwrap();
    let mut owners = FxHashMap::default();
    owners.insert(foreign, "57001".to_owned());
    let mut stolen = row(7, "Rue Haute", 3, 5.84);
    stolen.id_adresse = Some(foreign);
    let refused = plan("54084", &state, &[r, stolen], &owners, &mut new_id, false);
    assert_eq!(refused, Err(PlanError::ForeignId { line: 7, id: foreign, owner: "57001".into() }));
}

#[test]
fn mass_deletion_is_refused_unless_forced() {
    let mut new_id = ids();
    let rows: Vec<Row> =
        (1..=10).map(|n| row(n + 1, "Rue Joffre", n, 5.83 + f64::from(n) * 0.0002)).collect();
    let (state, _) = publish(&CommuneState::default(), &rows, &mut new_id);
    let refused = plan("54084", &state, &rows[..1], &FxHashMap::default(), &mut new_id, false);
    assert!(matches!(refused, Err(PlanError::MassDeletion { disabled: 9, active: 10, .. })), "{refused:?}");
    let message = refused.err().map(|e| e.to_string());
    let expected = "the file would disable 9 of the commune's 10 addresses (90 %, more than 80 %)";
    assert_eq!(message.as_deref(), Some(expected));
    let forced = plan("54084", &state, &rows[..1], &FxHashMap::default(), &mut new_id, true).unwrap();
    assert_eq!(forced.addresses.len(), 9);
    let warned = plan("54084", &state, &rows[..6], &FxHashMap::default(), &mut new_id, false).unwrap();
    assert_eq!(warned.warnings.len(), 1);
}

#[test]
fn lieux_dits_are_toponyms_with_a_place() {
    let mut new_id = ids();
    let mut lieu = row(2, "Le Haut du Bois", 99_999, 5.81);
    lieu.cle_interop = None;
    let mut in_lieu = row(3, "Rue Joffre", 1, 5.8336);
    in_lieu.complement = Some("Le Haut du Bois".into());
    let (state, changes) = publish(&CommuneState::default(), &[lieu, in_lieu], &mut new_id);
    assert_eq!(ops(&changes.toponyms), ["created", "created"]);
    let place = state.toponyms.iter().find(|t| t.lieu_dit).unwrap();
    assert_eq!(place.position, Some([5.81, 49.32]));
    assert_eq!(state.addresses.len(), 1);
}
