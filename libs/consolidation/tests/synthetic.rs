//! The planner on the shared synthetic set (105 communes, ~50,000 addresses) and its second
//! revision, when `../shared` is present: ids stable across revisions, also for files
//! without BAN ids (matched by `cle_interop`, street and number, position).
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};

use ban_bal::read::FileSource;
use ban_bal::records::read_records;
use ban_consolidation::{plan, Change, CommuneState, Row};
use ban_domain::BanId;
use rustc_hash::FxHashMap;

fn set(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/synthetic")
        .join(name)
        .join("bal");
    dir.is_dir().then_some(dir)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .collect();
    files.sort();
    files
}

fn rows(path: &Path, keep_ids: bool) -> Vec<Row> {
    let records = read_records(&FileSource::new(path)).unwrap();
    records
        .iter()
        .filter_map(Row::from_record)
        .map(|r| if keep_ids { r } else { Row { id_adresse: None, id_toponyme: None, ..r } })
        .collect()
}

fn apply(state: &mut CommuneState, changes: &ban_consolidation::Changeset) {
    for change in &changes.toponyms {
        let t = change.state().clone();
        match state.toponyms.iter_mut().find(|x| x.id == t.id) {
            Some(x) => *x = t,
            None => state.toponyms.push(t),
        }
    }
    let mut index: FxHashMap<BanId, usize> =
        state.addresses.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    for change in &changes.addresses {
        let a = change.state().clone();
        match index.get(&a.id) {
            Some(&i) => state.addresses[i] = a,
            None => {
                index.insert(a.id, state.addresses.len());
                state.addresses.push(a);
            }
        }
    }
}

#[test]
fn ids_stay_stable_from_one_revision_to_the_next() {
    let (Some(first), Some(second)) = (set("small"), set("small-rev2")) else {
        eprintln!("../shared/data/synthetic not found: skipped");
        return;
    };
    let mut counter = 0u128;
    let mut new_id = || {
        counter += 1;
        BanId::from_random(counter)
    };
    let (mut kept, mut compared, mut created, mut disabled) = (0, 0, 0, 0);
    for path in files(&first) {
        let commune = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let Some(next) = files(&second).into_iter().find(|p| p.file_stem() == path.file_stem()) else {
            continue;
        };
        for keep_ids in [true, false] {
            let mut state = CommuneState::default();
            let owners = FxHashMap::default();
            let changes = plan(&commune, &state, &rows(&path, keep_ids), &owners, &mut new_id, true).unwrap();
            apply(&mut state, &changes);
            let by_cle: FxHashMap<String, BanId> =
                state.addresses.iter().filter_map(|a| Some((a.cle_interop.clone()?, a.id))).collect();
            let changes = plan(&commune, &state, &rows(&next, keep_ids), &owners, &mut new_id, true).unwrap();
            for change in &changes.addresses {
                match change {
                    Change::Created(_) => created += 1,
                    Change::Disabled(_) => disabled += 1,
                    Change::Updated { .. } => {}
                }
            }
            apply(&mut state, &changes);
            // An address whose key is in both revisions keeps its id.
            for a in state.addresses.iter().filter(|a| a.active) {
                if let Some(before) = a.cle_interop.as_ref().and_then(|c| by_cle.get(c)) {
                    compared += 1;
                    if *before == a.id {
                        kept += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 40_000, "{compared} addresses compared");
    let share = kept as f64 / compared as f64;
    eprintln!("kept {kept}/{compared} ids ({:.2} %), {created} created, {disabled} disabled", share * 100.0);
    assert!(share > 0.99, "kept {kept}/{compared}");
}
