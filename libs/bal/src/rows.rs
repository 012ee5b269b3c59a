//! Rules across rows: BAN identifiers used consistently (all rows or none, one commune id,
//! one id per street and per address and the other way round) and lieux-dits declared.
//!
//! Rows are not kept: each contributes a compact record of interned keys while the file
//! streams, and the rules run on those records at the end.
use rustc_hash::FxHashMap;

use ban_domain::TOPONYM_NUMERO;

/// Interns strings to small integers, so per-row records stay small.
#[derive(Debug, Default)]
pub struct Interner {
    ids: FxHashMap<Box<str>, u32>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(s.into(), id);
        id
    }
}

/// Interns BAN ids (already checked to be UUIDs). Ids are compared as written, so an
/// upper-case spelling is another id; the usual lower-case spelling is stored as a number.
#[derive(Debug, Default)]
pub struct IdInterner {
    canonical: FxHashMap<u128, u32>,
    other: FxHashMap<Box<str>, u32>,
}

impl IdInterner {
    fn next(&self) -> u32 {
        (self.canonical.len() + self.other.len()) as u32
    }

    /// A lower-case id, by its value.
    pub fn intern_canonical(&mut self, value: u128) -> u32 {
        let next = self.next();
        *self.canonical.entry(value).or_insert(next)
    }

    /// Any other spelling, as written.
    pub fn intern_written(&mut self, id: &str) -> u32 {
        if let Some(&known) = self.other.get(id) {
            return known;
        }
        let next = self.next();
        self.other.insert(id.into(), next);
        next
    }
}

/// "No value" in interned keys.
pub const NONE: u32 = u32::MAX;

/// What the multi-row rules need of one row (ids are interned strings).
#[derive(Debug, Clone, Copy, Default)]
pub struct RowKeys {
    /// Index of the row in the report.
    pub row: u32,
    pub numero: Option<u32>,
    /// Street identity: normalised name and street code of `cle_interop`.
    pub street: (u32, u32),
    /// Address identity: numero, suffixe, normalised street name, commune déléguée.
    pub address: [u32; 4],
    pub id_commune: Option<u32>,
    pub id_toponyme: Option<u32>,
    pub id_adresse: Option<u32>,
    /// The raw street name (for lieux-dits: numero 99999).
    pub name: Option<u32>,
    pub lieudit: Option<u32>,
}

impl RowKeys {
    fn is_toponym(&self) -> bool {
        self.numero == Some(TOPONYM_NUMERO)
    }
}

/// Findings of the multi-row rules.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RowsFindings {
    /// File-level codes (`rows.*`).
    pub file: Vec<&'static str>,
    /// (row, code) pairs.
    pub rows: Vec<(u32, &'static str)>,
}

/// Runs the multi-row rules over the records of every data row.
pub fn check_rows(records: &[RowKeys]) -> RowsFindings {
    let mut out = RowsFindings::default();
    if records.is_empty() {
        out.file.push("rows.empty");
    }
    check_id_usage(records, &mut out);
    check_toponym_ids(records, &mut out);
    check_address_ids(records, &mut out);
    check_lieux_dits(records, &mut out);
    out
}

/// Either every row carries its BAN ids (then with one commune id) or none does.
fn check_id_usage(records: &[RowKeys], out: &mut RowsFindings) {
    let mut using = 0usize;
    let mut communes: Vec<u32> = Vec::new();
    for r in records {
        let complete =
            r.id_commune.is_some() && r.id_toponyme.is_some() && (r.id_adresse.is_some() || r.is_toponym());
        if complete {
            using += 1;
            if let Some(c) = r.id_commune {
                if !communes.contains(&c) {
                    communes.push(c);
                }
            }
        }
    }
    if using == records.len() {
        if communes.len() > 1 {
            out.file.push("rows.multi_id_ban_commune");
        }
    } else if using > 0 {
        out.file.push("rows.every_line_required_id_ban");
    }
}

/// Flags every row of each group whose rows disagree on `value`.
fn flag_disagreeing_groups<K: std::hash::Hash + Eq + Copy, V: PartialEq + Copy>(
    records: &[RowKeys],
    key: impl Fn(&RowKeys) -> Option<K>,
    value: impl Fn(&RowKeys) -> V,
    code: &'static str,
    out: &mut RowsFindings,
) {
    // Per group: the first value seen, whether another was seen, and its rows.
    let mut groups: FxHashMap<K, (V, bool, Vec<u32>)> = FxHashMap::default();
    for r in records {
        let Some(k) = key(r) else { continue };
        let v = value(r);
        let group = groups.entry(k).or_insert_with(|| (v, false, Vec::new()));
        if group.0 != v {
            group.1 = true;
        }
        group.2.push(r.row);
    }
    let mut flagged: Vec<u32> =
        groups.into_values().filter(|(_, differs, _)| *differs).flat_map(|(_, _, rows)| rows).collect();
    flagged.sort_unstable();
    out.rows.extend(flagged.into_iter().map(|row| (row, code)));
}

fn check_toponym_ids(records: &[RowKeys], out: &mut RowsFindings) {
    flag_disagreeing_groups(
        records,
        |r| r.id_toponyme,
        |r| r.street,
        "row.different_voie_nom_with_same_id_ban_toponyme",
        out,
    );
    // Lieux-dits and streets of the same name are kept apart here.
    flag_disagreeing_groups(
        records,
        |r| r.id_toponyme.map(|_| (r.street, r.is_toponym())),
        |r| r.id_toponyme,
        "row.different_id_ban_toponyme_with_same_voie_nom",
        out,
    );
}

fn check_address_ids(records: &[RowKeys], out: &mut RowsFindings) {
    flag_disagreeing_groups(
        records,
        |r| if r.is_toponym() { None } else { r.id_adresse },
        |r| r.address,
        "row.different_adresse_with_same_id_ban_adresse",
        out,
    );
    // A row without an id in a group of rows with one also disagrees.
    flag_disagreeing_groups(
        records,
        |r| (!r.is_toponym()).then_some(r.address),
        |r| r.id_adresse,
        "row.different_id_ban_adresses_with_same_adresse",
        out,
    );
}

/// Every `lieudit_complement_nom` must be the exact name of some lieu-dit row (99999).
fn check_lieux_dits(records: &[RowKeys], out: &mut RowsFindings) {
    let declared: rustc_hash::FxHashSet<u32> =
        records.iter().filter(|r| r.is_toponym()).filter_map(|r| r.name).collect();
    for r in records {
        if let Some(l) = r.lieudit {
            if !declared.contains(&l) {
                out.rows.push((r.row, "row.lieudit_complement_nom_not_declared"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(row: u32, street: u32, address: u32, ids: (Option<u32>, Option<u32>, Option<u32>)) -> RowKeys {
        RowKeys {
            row,
            numero: Some(row + 1),
            street: (street, NONE),
            address: [address, 0, 0, 0],
            id_commune: ids.0,
            id_toponyme: ids.1,
            id_adresse: ids.2,
            ..RowKeys::default()
        }
    }

    #[test]
    fn empty_file() {
        assert_eq!(check_rows(&[]).file, vec!["rows.empty"]);
    }

    #[test]
    fn partial_id_usage_and_several_communes() {
        let some = [keys(0, 1, 1, (Some(1), Some(2), Some(3))), keys(1, 1, 2, (None, None, None))];
        assert!(check_rows(&some).file.contains(&"rows.every_line_required_id_ban"));
        let two = [keys(0, 1, 1, (Some(1), Some(2), Some(3))), keys(1, 1, 2, (Some(9), Some(2), Some(4)))];
        assert!(check_rows(&two).file.contains(&"rows.multi_id_ban_commune"));
    }

    #[test]
    fn one_address_id_for_two_addresses_flags_both_rows() {
        let rows = [keys(0, 1, 10, (Some(1), Some(2), Some(3))), keys(1, 1, 11, (Some(1), Some(2), Some(3)))];
        let found = check_rows(&rows);
        assert!(found.rows.contains(&(0, "row.different_adresse_with_same_id_ban_adresse")));
        assert!(found.rows.contains(&(1, "row.different_adresse_with_same_id_ban_adresse")));
    }

    #[test]
    fn undeclared_lieu_dit() {
        let mut lieu = keys(0, 1, 1, (None, None, None));
        lieu.numero = Some(TOPONYM_NUMERO);
        lieu.name = Some(7);
        let mut a = keys(1, 2, 2, (None, None, None));
        a.lieudit = Some(7);
        let mut b = keys(2, 2, 3, (None, None, None));
        b.lieudit = Some(8);
        assert_eq!(check_rows(&[lieu, a, b]).rows, vec![(2, "row.lieudit_complement_nom_not_declared")]);
    }
}
